/* mmu_satp_stale: a satp write is not a fence. Run under Sv39 (cases 1-4) and Sv48
 * (the same checks as cases 11-14).
 *
 * Spec: priv/supervisor.adoc, "Supervisor Address Translation and Protection (satp)
 * Register": "Note that writing satp does not imply any ordering constraints between
 * page-table updates and subsequent address translations, nor does it imply any
 * invalidation of address-translation caches. If the new address space's page tables
 * have been modified, or if an ASID is reused, it may be necessary to execute an
 * SFENCE.VMA instruction after, or in some cases before, writing satp."
 * And "Virtual Address Translation Process": a cached translation may satisfy a later
 * access when its ASID matches (or it is global); non-global entries never serve
 * another ASID.
 *
 * Three roots map the same VA: root A (ASID 5) to frame A, root B (ASID 5, the ASID
 * reused) to frame B, root C (ASID 6) to frame C. Everything checked runs in S-mode in
 * one run_in_mode call: the satp writes, the loads and the fences, with no trap or
 * M-mode CSR write in between that an implementation might use to flush.
 *
 * Required by the spec (checked everywhere):
 *   - before any switch, root A's walk gives A; after satp = root B and SFENCE.VMA,
 *     the load gives B;
 *   - satp = root C (another ASID): C, root C's walk (ASID 5's entry cannot serve it);
 *   - the load right after satp = root B without a fence gives A or B (either allowed).
 * rvmmu TLB model (docs/MMU.md, emu/src/mmu/tlb.rs: entries tagged by ASID, a satp
 * write flushes nothing), skipped on QEMU, which flushes its TLB on every satp write:
 *   - satp = root B (same ASID) without a fence keeps using ASID 5's entry: A, the
 *     stale translation;
 *   - ASID 5's entry survives a switch to ASID 6 and back: after satp = C, a load from
 *     VA2 (another page, so that both entries fit in any TLB geometry), then satp =
 *     root B (ASID 5) without a fence, the load from VA still gives A.
 * A satp write that flushed the TLB would make cases 2 and 4 fail on rvmmu. */
#include "paging.h"

#define VA 0x100000000UL
/* Another page, so that ASID 6's entry for it and ASID 5's for VA can be in the TLB
 * together even when it is tiny (`--tlb 4x1`: direct-mapped, indexed by the VPN). */
#define VA2 (VA + 0x1000)
#define ASID_5 5UL
#define ASID_6 6UL
#define WORD(pa) (*(volatile uint64_t *)(uintptr_t)(pa))
#define DATA_A 0x0a0a0a0a0a0a0a0aUL
#define DATA_B 0x0b0b0b0b0b0b0b0bUL
#define DATA_C 0x0c0c0c0c0c0c0c0cUL
#define LEAF (PTE_V | PTE_R | PTE_W | PTE_A | PTE_D)

static uint8_t frames[3][4096] __attribute__((aligned(4096)));

/* What the S-mode run saw; filled by switch_fn. */
struct seen {
    uint64_t satp_a, satp_b, satp_c, va, va2;
    uint64_t first;       /* root A, after a full fence */
    uint64_t same_asid;   /* satp = root B (ASID 5), no fence */
    uint64_t fenced;      /* then sfence.vma x0, x0 */
    uint64_t again_a;     /* satp = root A, sfence.vma x0, x0: A's walk refills ASID 5 */
    uint64_t other_va;    /* satp = root C (ASID 6), no fence, a load from VA2 */
    uint64_t back;        /* satp = root B (ASID 5), no fence */
    uint64_t other_asid;  /* satp = root C (ASID 6), no fence, a load from VA */
    uint64_t back_fenced; /* satp = root B, sfence.vma x0, x0 */
};
static struct seen s;

static long switch_fn(long arg)
{
    struct seen *p = (struct seen *)arg;
    volatile uint64_t *x = (volatile uint64_t *)p->va;
    write_csr(satp, p->satp_a);
    __asm__ volatile("sfence.vma zero, zero" ::: "memory");
    p->first = *x;
    write_csr(satp, p->satp_b);
    p->same_asid = *x;
    __asm__ volatile("sfence.vma zero, zero" ::: "memory");
    p->fenced = *x;
    write_csr(satp, p->satp_a);
    __asm__ volatile("sfence.vma zero, zero" ::: "memory");
    p->again_a = *x;
    write_csr(satp, p->satp_c);
    p->other_va = *(volatile uint64_t *)p->va2;
    write_csr(satp, p->satp_b);
    p->back = *x;
    write_csr(satp, p->satp_c);
    p->other_asid = *x;
    write_csr(satp, p->satp_b);
    __asm__ volatile("sfence.vma zero, zero" ::: "memory");
    p->back_fenced = *x;
    return 0;
}

static void said(int n, const char *what, uint64_t v)
{
    print("case ");
    print_dec(n);
    print(": ");
    print(what);
    print(v == DATA_A ? " saw frame A (root A)\n"
          : v == DATA_B ? " saw frame B (root B)\n"
          : v == DATA_C ? " saw frame C (root C)\n" : " saw none of the frames\n");
}

static void satp_cases(int levels, int base)
{
    pg_init(levels);
    deactivate();
    pt_reset();
    WORD(frames[0]) = DATA_A;
    WORD(frames[1]) = DATA_B;
    WORD(frames[2]) = DATA_C;
    uint64_t *ra = new_space(0), *rb = new_space(0), *rc = new_space(0);
    map(ra, VA, (uint64_t)frames[0], 0, LEAF);
    map(rb, VA, (uint64_t)frames[1], 0, LEAF);
    map(rc, VA, (uint64_t)frames[2], 0, LEAF);
    map(rc, VA2, (uint64_t)frames[2], 0, LEAF);
    sfence_all();
    s = (struct seen){
        .satp_a = satp_for(ra, ASID_5),
        .satp_b = satp_for(rb, ASID_5),
        .satp_c = satp_for(rc, ASID_6),
        .va = VA,
        .va2 = VA2,
    };
    run(PRV_S, switch_fn, (uint64_t)&s);
    deactivate();
    expect_ok(base + 1);

    /* 1: root A's walk, and after satp = root B and a full fence, root B's */
    CHECK_EQ(base + 1, s.first, DATA_A);
    CHECK_EQ(base + 1, s.fenced, DATA_B);
    CHECK_EQ(base + 1, s.again_a, DATA_A);
    CHECK_EQ(base + 1, s.back_fenced, DATA_B);

    /* 2: satp = root B with the same ASID, no fence: either translation is allowed; the
     * rvmmu TLB model keeps ASID 5's cached entry (frame A) */
    said(base + 2, "satp write (same ASID) without a fence", s.same_asid);
    CHECK(base + 2, s.same_asid == DATA_A || s.same_asid == DATA_B);
    CASE(base + 2);
    if (!skip_on_qemu("rvmmu TLB model: a satp write does not flush (QEMU flushes on every "
                      "satp write)"))
        CHECK_EQ(base + 2, s.same_asid, DATA_A);

    /* 3: satp = root C with another ASID: ASID 5's entry for VA (cached, case 4) is not
     * used, root C is walked; and VA2, mapped by root C only */
    said(base + 3, "satp write (other ASID) without a fence", s.other_asid);
    CHECK_EQ(base + 3, s.other_asid, DATA_C);
    CHECK_EQ(base + 3, s.other_va, DATA_C);

    /* 4: back to ASID 5 (root B) without a fence, after ASID 6 loaded from VA2: A or B
     * allowed; the rvmmu TLB model kept ASID 5's entry through the switch to ASID 6 */
    said(base + 4, "satp write back to ASID 5 without a fence", s.back);
    CHECK(base + 4, s.back == DATA_A || s.back == DATA_B);
    CASE(base + 4);
    if (!skip_on_qemu("rvmmu TLB model: ASID 5's entries survive satp writes to ASID 6"))
        CHECK_EQ(base + 4, s.back, DATA_A);

}

int main(void)
{
    trap_hook = mmu_hook;
    satp_cases(3, 0);
    satp_cases(4, 10);
    return 0;
}
