/* SFENCE.VMA forms, ASIDs and TLB staleness, shared by mmu_sfence.c (Sv39, LEVELS 3) and
 * mmu_sfence_sv48.c (Sv48, LEVELS 4).
 * Spec: priv/supervisor.adoc "Supervisor Memory-Management Fence
 * Instruction" (the four rs1/rs2 forms, global mappings), "Virtual Address
 * Translation Process" (the address-translation cache: entries may satisfy
 * later walks if their ASID matches or they are global; an SFENCE.VMA is
 * needed for implicit reads to observe PTE writes), satp (ASID).
 *
 * Case 26 repeats the ASID isolation check with U-mode accesses.
 * The checked accesses, PTE writes and fences all run in S-mode in one
 * run_in_mode call (no trap or CSR write in between that an implementation
 * might use to flush). Only what the spec requires is asserted everywhere:
 * after a fence that covers the changed mapping the new one is seen; a
 * non-global entry never serves another ASID.
 *
 * Cases marked "rvmmu TLB model" assert what the spec merely allows and
 * rvmmu's TLB (emu/src/mmu/tlb.rs) does: stale entries survive until a
 * fence that covers them, global entries serve every ASID and survive fences
 * that name an ASID. They prove rvmmu's TLB model is really in use and are
 * skipped on QEMU (which may flush more; QEMU 7.2 flushes its whole TLB on
 * every satp and mstatus.MPP/SUM/MXR write). */
#include "paging.h"

#define VA 0x100000000UL
#define VA2 0x100200000UL                /* another page, for the "other VA" fences */
#define ASID 5UL
#define ASID_B 6UL
static uint8_t frames[4][4096] __attribute__((aligned(4096)));
#define FRAME(i) ((uint64_t)frames[i])
#define WORD(pa) (*(volatile uint64_t *)(uintptr_t)(pa))
#define OLD 0x0101010101010101UL
#define NEW 0x0202020202020202UL
#define FRAME_2M_A 0x80400000UL
#define FRAME_2M_B 0x80600000UL

enum form { F_NONE, F_ALL, F_VA, F_ASID, F_VA_ASID, F_OTHER_VA, F_OTHER_ASID, F_VA_OTHER_ASID };
static const char *form_name[] = {
    "none", "sfence.vma x0, x0", "sfence.vma va, x0", "sfence.vma x0, asid",
    "sfence.vma va, asid", "sfence.vma other-va, x0", "sfence.vma x0, other-asid",
    "sfence.vma va, other-asid",
};

struct stale {
    uint64_t va, fence_va, *pte, new_pte;
    int form1, form2;
    uint64_t before, nofence, mid, after;
};

static void fence(int form, uint64_t va)
{
    uint64_t asid = ASID, other = ASID_B, ova = VA2 ^ 0x400000;
    switch (form) {
    case F_ALL: __asm__ volatile("sfence.vma zero, zero" ::: "memory"); break;
    case F_VA: __asm__ volatile("sfence.vma %0, zero" :: "r"(va) : "memory"); break;
    case F_ASID: __asm__ volatile("sfence.vma zero, %0" :: "r"(asid) : "memory"); break;
    case F_VA_ASID: __asm__ volatile("sfence.vma %0, %1" :: "r"(va), "r"(asid) : "memory"); break;
    case F_OTHER_VA: __asm__ volatile("sfence.vma %0, zero" :: "r"(ova) : "memory"); break;
    case F_OTHER_ASID: __asm__ volatile("sfence.vma zero, %0" :: "r"(other) : "memory"); break;
    case F_VA_OTHER_ASID: __asm__ volatile("sfence.vma %0, %1" :: "r"(va), "r"(other) : "memory"); break;
    default: break;
    }
}

/* S-mode: load, rewrite the PTE, load without a fence, fence 1, load, fence 2, load */
static long stale_fn(long a)
{
    struct stale *s = (struct stale *)a;
    volatile uint64_t *p = (volatile uint64_t *)s->va;
    s->before = *p;
    *(volatile uint64_t *)s->pte = s->new_pte;
    s->nofence = *p;
    fence(s->form1, s->fence_va);
    s->mid = *p;
    fence(s->form2, s->fence_va);
    s->after = *p;
    return 0;
}

/* U-mode (satp Bare): sfence.vma, illegal there */
extern char u_sfence_at[];
static long u_sfence_fn(long a)
{
    (void)a;
    __asm__ volatile(".globl u_sfence_at\nu_sfence_at: sfence.vma" ::: "memory");
    return 0;
}

static const char *seen(uint64_t v)
{
    return v == OLD ? "the old mapping" : v == NEW ? "the new mapping" : "neither mapping";
}

static void report(int n, const char *what, uint64_t v)
{
    print("case ");
    print_dec(n);
    print(": ");
    print(what);
    print(" saw ");
    print(seen(v));
    print("\n");
}

static struct stale st;

/* A fresh space (ASID 5) mapping VA -> OLD frame with `flags` at `level`;
 * the S-mode run switches it to the NEW frame. */
static void stale_run(int n, int level, uint64_t flags, uint64_t off, int form1, int form2)
{
    uint64_t old_pa = level ? FRAME_2M_A : FRAME(0);
    uint64_t new_pa = level ? FRAME_2M_B : FRAME(1);
    WORD(old_pa + off) = OLD;
    WORD(new_pa + off) = NEW;
    deactivate();
    pt_reset();
    uint64_t *root = new_space(0);
    st.va = VA + off;
    st.fence_va = VA + (level ? 0x5008 : 0x10);   /* another address in the same page */
    st.pte = map(root, VA, old_pa, level, flags);
    st.new_pte = PTE_PPN(new_pa) | flags;
    st.form1 = form1;
    st.form2 = form2;
    st.before = st.nofence = st.mid = st.after = 0;
    activate(root, ASID);
    run(PRV_S, stale_fn, (uint64_t)&st);
    expect_ok(n);
    deactivate();
    CHECK_EQ(n, st.before, OLD);
}

#define LEAF (PTE_V | PTE_R | PTE_W | PTE_A | PTE_D)

/* ASID cases: two address spaces, switched by S-mode */
struct two {
    uint64_t satp_a, satp_b, va;
    uint64_t a1, b1, a2;
};
static struct two tw;
static long two_fn(long a)
{
    struct two *t = (struct two *)a;
    volatile uint64_t *p = (volatile uint64_t *)t->va;
    write_csr(satp, t->satp_a);
    t->a1 = *p;
    write_csr(satp, t->satp_b);
    t->b1 = *p;
    write_csr(satp, t->satp_a);
    t->a2 = *p;
    return 0;
}

int main(void)
{
    trap_hook = mmu_hook;
    pg_init(LEVELS);

    /* 1: the paging mode and at least 3 ASID bits (QEMU and rvmmu: 16) */
    write_csr(satp, pg_satp_mode() | 0xffffUL << SATP_ASID_SHIFT | (uint64_t)pt_pool[0] >> 12);
    uint64_t asids = (read_csr(satp) >> SATP_ASID_SHIFT) & 0xffff;
    deactivate();
    CHECK(1, asids >= 7);

    /* 2: SFENCE.VMA in U-mode is an illegal instruction (priv/supervisor.adoc, "Supervisor
     * Memory-Management Fence Instruction"; priv/machine.adoc, TVM) */
    run(PRV_U, u_sfence_fn, 0);
    CHECK_EQ(2, last_trap.count, 1);
    CHECK_EQ(2, last_trap.cause, 2);
    CHECK_EQ(2, last_trap.epc, (uint64_t)u_sfence_at);

    /* 10-13: every fence form that covers the mapping makes the new PTE visible.
     * Without a fence either mapping may be seen: recorded, not asserted. */
    for (int f = F_ALL; f <= F_VA_ASID; f++) {
        int n = 9 + f;
        stale_run(n, 0, LEAF, 0x18, f, F_NONE);
        report(n, "load after the PTE write without a fence", st.nofence);
        print("case ");
        print_dec(n);
        print(": after ");
        print(form_name[f]);
        print(" saw ");
        print(seen(st.mid));
        print("\n");
        CHECK_EQ(n, st.mid, NEW);
        CHECK_EQ(n, st.after, NEW);
    }

    /* 14: rvmmu TLB model: without a fence the stale translation is still used */
    stale_run(14, 0, LEAF, 0x20, F_ALL, F_NONE);
    report(14, "load after the PTE write without a fence", st.nofence);
    CHECK_EQ(14, st.mid, NEW);
    if (!skip_on_qemu("rvmmu TLB model: asserts the stale mapping is kept until a fence"))
        CHECK_EQ(14, st.nofence, OLD);

    /* 15-17: rvmmu TLB model: fences that do not cover the entry keep it
     * (another VA; another ASID; this VA in another ASID). Then x0, x0 must
     * show the new mapping (checked everywhere). */
    static const int narrow[] = { F_OTHER_VA, F_OTHER_ASID, F_VA_OTHER_ASID };
    for (int i = 0; i < 3; i++) {
        int n = 15 + i;
        stale_run(n, 0, LEAF, 0x28, narrow[i], F_ALL);
        CHECK_EQ(n, st.after, NEW);
        if (!skip_on_qemu("rvmmu TLB model: a fence that does not cover the entry keeps it"))
            CHECK_EQ(n, st.mid, OLD);
    }

    /* 18: sfence.vma va covers a whole superpage: 2 MiB leaf, accessed at
     * +0x1238, fenced with another address inside it (+0x5008) */
    stale_run(18, 1, LEAF, 0x1238, F_VA, F_NONE);
    CHECK_EQ(18, st.mid, NEW);
    stale_run(18, 1, LEAF, 0x1238, F_VA_ASID, F_NONE);
    CHECK_EQ(18, st.mid, NEW);

    /* 19: a changed pointer (non-leaf) PTE: after sfence.vma x0, x0 the walk
     * goes through the new level-0 table */
    {
        deactivate();
        pt_reset();
        uint64_t *root = new_space(0);
        WORD(FRAME(0) + 0x30) = OLD;
        WORD(FRAME(1) + 0x30) = NEW;
        map(root, VA, FRAME(0), 0, LEAF);
        uint64_t *l1 = pte_ptr(root, VA, 1);
        uint64_t *t2 = pt_alloc();
        t2[vpn(VA, 0)] = PTE_PPN(FRAME(1)) | LEAF;
        st.va = VA + 0x30;
        st.fence_va = VA;
        st.pte = l1;
        st.new_pte = PTE_PPN(t2) | PTE_V;
        st.form1 = F_ALL;
        st.form2 = F_NONE;
        activate(root, ASID);
        run(PRV_S, stale_fn, (uint64_t)&st);
        expect_ok(19);
        deactivate();
        CHECK_EQ(19, st.before, OLD);
        CHECK_EQ(19, st.mid, NEW);
    }

    /* 20: ASID isolation: ASIDs 5 and 6 map VA to different frames
     * (non-global); switching satp between them (no fence) sees each one's own */
    {
        deactivate();
        pt_reset();
        WORD(FRAME(0) + 0x40) = OLD;
        WORD(FRAME(1) + 0x40) = NEW;
        uint64_t *ra = new_space(0), *rb = new_space(0);
        map(ra, VA, FRAME(0), 0, LEAF);
        map(rb, VA, FRAME(1), 0, LEAF);
        sfence_all();
        tw.satp_a = satp_for(ra, ASID);
        tw.satp_b = satp_for(rb, ASID_B);
        tw.va = VA + 0x40;
        tw.a1 = tw.b1 = tw.a2 = 0;
        run(PRV_S, two_fn, (uint64_t)&tw);
        deactivate();
        expect_ok(20);
        CHECK_EQ(20, tw.a1, OLD);
        CHECK_EQ(20, tw.b1, NEW);
        CHECK_EQ(20, tw.a2, OLD);

        /* 21: a non-global entry of ASID 5 does not serve ASID 6, which
         * does not map VA: page fault */
        *pte_ptr(rb, VA, 0) = 0;
        sfence_all();
        tw.a1 = tw.b1 = tw.a2 = 0;
        run(PRV_S, two_fn, (uint64_t)&tw);
        deactivate();
        expect_fault(21, CAUSE_LOAD_PAGE, VA + 0x40);
        CHECK_EQ(21, tw.a1, OLD);
        CHECK_EQ(21, tw.a2, OLD);

        /* 22: a global entry may serve every ASID: ASID 5 maps VA global,
         * ASID 6 does not map it. Either the global entry (OLD) or a page
         * fault is allowed: recorded. rvmmu TLB model: the entry is used. */
        *pte_ptr(ra, VA, 0) = PTE_PPN(FRAME(0)) | LEAF | PTE_G;
        sfence_all();
        tw.a1 = tw.b1 = tw.a2 = 0;
        run(PRV_S, two_fn, (uint64_t)&tw);
        deactivate();
        CASE(22);
        print("case 22: global entry of another ASID: ");
        print(last_trap.count ? "page fault (not reused)\n" : "reused\n");
        CHECK_EQ(22, tw.a1, OLD);
        CHECK_EQ(22, tw.a2, OLD);
        if (last_trap.count)
            expect_fault(22, CAUSE_LOAD_PAGE, VA + 0x40);
        else
            CHECK_EQ(22, tw.b1, OLD);
        if (!skip_on_qemu("rvmmu TLB model: a global entry serves every ASID")) {
            CHECK_EQ(22, last_trap.count, 0);
            CHECK_EQ(22, tw.b1, OLD);
        }
    }

    /* 23, 24: fences naming an ASID leave global entries alone (they "are not
     * ordered"; flushing them too is allowed, so only the rvmmu TLB model
     * asserts it); sfence.vma va, x0 and x0, x0 cover global entries */
    stale_run(23, 0, LEAF | PTE_G, 0x48, F_ASID, F_VA);
    CHECK_EQ(23, st.after, NEW);
    if (!skip_on_qemu("rvmmu TLB model: sfence.vma x0, asid keeps global entries"))
        CHECK_EQ(23, st.mid, OLD);
    stale_run(24, 0, LEAF | PTE_G, 0x50, F_VA_ASID, F_ALL);
    CHECK_EQ(24, st.after, NEW);
    if (!skip_on_qemu("rvmmu TLB model: sfence.vma va, asid keeps global entries"))
        CHECK_EQ(24, st.mid, OLD);

    /* 25: sfence.vma x0, x0 covers global entries too */
    stale_run(25, 0, LEAF | PTE_G, 0x58, F_ALL, F_NONE);
    CHECK_EQ(25, st.mid, NEW);

    /* 26: ASID isolation seen from U-mode: M switches satp between ASIDs 5
     * and 6 (U spaces, one fence after building both, none after) */
    {
        deactivate();
        pt_reset();
        WORD(FRAME(0) + 0x60) = OLD;
        WORD(FRAME(1) + 0x60) = NEW;
        uint64_t *ra = new_space(1), *rb = new_space(1);
        map(ra, VA, FRAME(0), 0, LEAF | PTE_U);
        map(rb, VA, FRAME(1), 0, LEAF | PTE_U);
        sfence_all();
        for (int i = 0; i < 2; i++) {
            write_csr(satp, satp_for(ra, ASID));
            CHECK_EQ(26, run(PRV_U, ld_fn, VA + 0x60), OLD);
            expect_ok(26);
            write_csr(satp, satp_for(rb, ASID_B));
            CHECK_EQ(26, run(PRV_U, ld_fn, VA + 0x60), NEW);
            expect_ok(26);
        }
        deactivate();
    }
    return 0;
}
