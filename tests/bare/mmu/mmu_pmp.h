/* Physical Memory Protection, shared by mmu_pmp.c (paging cases under Sv39, LEVELS 3) and
 * mmu_pmp_sv48.c (Sv48, LEVELS 4).
 * Spec: priv/machine.adoc "Physical Memory Protection", "Physical Memory
 * Protection CSRs" (address matching OFF/TOR/NA4/NAPOT, "Locking and
 * Privilege Mode", "Priority and Matching Logic"), "Physical Memory
 * Protection and Paging"; priv/supervisor.adoc "Virtual Address Translation
 * Process" step 2 (a PMP violation on a PTE read is an access fault of the
 * original access type) and step 9 (same for the A/D update store).
 *
 * Entries 0-6 are set per case; entry 7 is the fallback "all memory RWX"
 * (lowest priority) unless a case clears it. Accesses run in S and U mode
 * (case n and n + 100) with satp = Bare, except cases 20-24 (Sv39 or Sv48).
 * Access faults: fetch 1, load 5, store 7; mtval = the faulting address
 * (virtual when translated). The L bit cases (30-32) are last: locked entries
 * stay locked until reset. */
#include "paging.h"

#define PMP_R 0x01UL
#define PMP_W 0x02UL
#define PMP_X 0x04UL
#define PMP_TOR 0x08UL
#define PMP_NA4 0x10UL
#define PMP_NAPOT 0x18UL
#define PMP_L 0x80UL
#define CAUSE_FETCH_ACC 1
#define CAUSE_LOAD_ACC 5
#define CAUSE_STORE_ACC 7
#define NAPOT(base, size) (((uint64_t)(base) | ((size) / 2 - 1)) >> 2)
#define OUTSIDE 0x80400000UL            /* RAM above the image */
#if LEVELS == 3
#define TEST_VA 0x100000000UL
#else
#define TEST_VA 0x100000000000UL        /* root index 32: a level-2 table of its own */
#endif

extern char _end[];
static uint8_t frames[8][4096] __attribute__((aligned(8192)));
#define FRAME(i) ((uint64_t)frames[i])
#define WORD(pa) (*(volatile uint64_t *)(uintptr_t)(pa))

static long lw_fn(long a) { return *(volatile uint32_t *)a; }

static void pmp_addr(int i, uint64_t v)
{
    switch (i) {
    case 0: write_csr(pmpaddr0, v); break;
    case 1: write_csr(pmpaddr1, v); break;
    case 2: write_csr(pmpaddr2, v); break;
    case 3: write_csr(pmpaddr3, v); break;
    case 7: write_csr(pmpaddr7, v); break;
    default: fail_msg("pmp_addr index");
    }
}

/* pmpcfg0 holds the configurations of entries 0-7, one byte each */
static void pmp_set(int i, uint64_t addr, uint64_t cfg)
{
    pmp_addr(i, addr);
    uint64_t c = read_csr(pmpcfg0);
    c = (c & ~(0xffUL << 8 * i)) | cfg << 8 * i;
    write_csr(pmpcfg0, c);
    sfence_all();   /* "Physical Memory Protection and Paging" */
}

/* entries 0-6 off, entry 7 = all memory RWX */
static void pmp_reset(void)
{
    pmp_addr(7, -1UL);
    write_csr(pmpcfg0, (PMP_NAPOT | PMP_R | PMP_W | PMP_X) << 56);
    sfence_all();
}

static int mc(int n, long mode) { return mode == PRV_U ? n + 100 : n; }

static void load_ok(int n, long mode, uint64_t a)
{
    run(mode, ld_fn, a);
    expect_ok(n);
}
static void store_ok(int n, long mode, uint64_t a)
{
    WORD(a) = 0;
    run(mode, sd_fn, a);
    expect_ok(n);
    CHECK_EQ(n, WORD(a), STORE_MAGIC);
}

static void bare_cases(long mode)
{
    uint64_t f;
#define C(n) mc(n, mode)
    /* 10: NAPOT 4 KiB, R only: load works, store faults */
    pmp_reset();
    f = FRAME(0);
    pmp_set(0, NAPOT(f, 4096), PMP_NAPOT | PMP_R);
    load_ok(C(10), mode, f + 0x10);
    run(mode, sd_fn, f + 0x18);
    expect_fault(C(10), CAUSE_STORE_ACC, f + 0x18);
    /* ... no permissions: both fault; R|W: both work */
    pmp_set(0, NAPOT(f, 4096), PMP_NAPOT);
    run(mode, ld_fn, f + 0xff8);
    expect_fault(C(10), CAUSE_LOAD_ACC, f + 0xff8);
    run(mode, sd_fn, f);
    expect_fault(C(10), CAUSE_STORE_ACC, f);
    pmp_set(0, NAPOT(f, 4096), PMP_NAPOT | PMP_R | PMP_W);
    store_ok(C(10), mode, f + 0x20);
    load_ok(C(10), mode, f + 0x20);
    /* the neighbours are not in the region (entry 7) */
    pmp_set(0, NAPOT(f, 4096), PMP_NAPOT);
    store_ok(C(10), mode, f + 0x1000);
    store_ok(C(10), mode, f - 8);

    /* 11: X: fetch needs X, loads need R */
    pmp_reset();
    uint64_t cp = (uint64_t)code_page;
    pmp_set(0, NAPOT(cp, 4096), PMP_NAPOT | PMP_X);
    CHECK_EQ(C(11), run(mode, fetch_fn, cp), 42);
    expect_ok(C(11));
    run(mode, ld_fn, cp);
    expect_fault(C(11), CAUSE_LOAD_ACC, cp);
    pmp_set(0, NAPOT(cp, 4096), PMP_NAPOT | PMP_R);
    run(mode, fetch_fn, cp);
    expect_fault(C(11), CAUSE_FETCH_ACC, cp);
    load_ok(C(11), mode, cp);

    /* 12: TOR: entry 1 covers [pmpaddr0, pmpaddr1) (entry 0 OFF gives the base) */
    pmp_reset();
    f = FRAME(2);
    pmp_set(0, f >> 2, 0);
    pmp_set(1, (f + 0x2000) >> 2, PMP_TOR);
    run(mode, ld_fn, f);
    expect_fault(C(12), CAUSE_LOAD_ACC, f);
    run(mode, sd_fn, f + 0x1ff8);
    expect_fault(C(12), CAUSE_STORE_ACC, f + 0x1ff8);
    store_ok(C(12), mode, f + 0x2000);  /* top is exclusive */
    store_ok(C(12), mode, f - 8);
    pmp_set(1, (f + 0x2000) >> 2, PMP_TOR | PMP_R | PMP_W);
    store_ok(C(12), mode, f + 0x1000);

    /* 13: NA4: exactly 4 bytes */
    pmp_reset();
    f = FRAME(4);
    pmp_set(0, (f + 0x10) >> 2, PMP_NA4);
    run(mode, lw_fn, f + 0x10);
    expect_fault(C(13), CAUSE_LOAD_ACC, f + 0x10);
    run(mode, lw_fn, f + 0x14);
    expect_ok(C(13));
    run(mode, lw_fn, f + 0xc);
    expect_ok(C(13));

    /* 14: partial match fails even when the entry allows the access
     * ("Priority and Matching Logic"): NA4 R|W, 8-byte access over it */
    pmp_set(0, (f + 0x10) >> 2, PMP_NA4 | PMP_R | PMP_W);
    run(mode, lw_fn, f + 0x10);
    expect_ok(C(14));
    run(mode, ld_fn, f + 0x10);
    expect_fault(C(14), CAUSE_LOAD_ACC, f + 0x10);
    run(mode, sd_fn, f + 0x10);
    expect_fault(C(14), CAUSE_STORE_ACC, f + 0x10);

    /* 15: priority: the lowest-numbered matching entry decides */
    pmp_reset();
    f = FRAME(6);   /* 8 KiB aligned pair 6, 7 */
    pmp_set(0, NAPOT(f, 4096), PMP_NAPOT | PMP_R);
    pmp_set(1, NAPOT(f, 8192), PMP_NAPOT | PMP_R | PMP_W);
    run(mode, sd_fn, f + 8);
    expect_fault(C(15), CAUSE_STORE_ACC, f + 8);
    store_ok(C(15), mode, f + 0x1008);
    pmp_set(0, NAPOT(f, 4096), PMP_NAPOT | PMP_R | PMP_W);
    pmp_set(1, NAPOT(f, 8192), PMP_NAPOT);
    store_ok(C(15), mode, f + 8);
    run(mode, sd_fn, f + 0x1008);
    expect_fault(C(15), CAUSE_STORE_ACC, f + 0x1008);

    /* 16: with entries in use, an S/U access no entry matches fails;
     * M-mode accesses no entry matches succeed */
    write_csr(pmpcfg0, 0);
    pmp_set(0, NAPOT(0x80000000UL, 0x400000), PMP_NAPOT | PMP_R | PMP_W | PMP_X);
    run(mode, ld_fn, OUTSIDE);
    expect_fault(C(16), CAUSE_LOAD_ACC, OUTSIDE);
    run(mode, sd_fn, OUTSIDE + 8);
    expect_fault(C(16), CAUSE_STORE_ACC, OUTSIDE + 8);
    trap_record_reset();
    sd_fn(OUTSIDE + 8);
    CHECK_EQ(C(16), ld_fn(OUTSIDE + 8), STORE_MAGIC);
    expect_ok(C(16));
    pmp_reset();

    /* 17: TOR in entry 0 starts at address 0 ("If PMP entry 0's A field is set to TOR,
     * zero is used for the lower bound"): [0, 0x8000_0000) without permissions denies the
     * boot ROM at 0x1000 (readable through entry 7 otherwise) */
    pmp_set(0, 0x80000000UL >> 2, PMP_TOR);
    run(mode, ld_fn, 0x1000);
    expect_fault(C(17), CAUSE_LOAD_ACC, 0x1000);
    load_ok(C(17), mode, FRAME(0));
    pmp_reset();
    load_ok(C(17), mode, 0x1000);

    /* 18: TOR with pmpaddr[i-1] >= pmpaddr[i] matches nothing (entry 7 decides) */
    f = FRAME(2);
    pmp_set(0, (f + 0x2000) >> 2, 0);
    pmp_set(1, f >> 2, PMP_TOR);
    store_ok(C(18), mode, f + 0x1000);
    store_ok(C(18), mode, f - 8);
    pmp_set(0, f >> 2, 0);
    store_ok(C(18), mode, f);
    pmp_reset();

    /* 19: the smallest NAPOT region, 8 bytes (pmpaddr ending in binary 0) */
    f = FRAME(3);
    pmp_set(0, NAPOT(f + 0x40, 8), PMP_NAPOT);
    run(mode, ld_fn, f + 0x40);
    expect_fault(C(19), CAUSE_LOAD_ACC, f + 0x40);
    run(mode, lw_fn, f + 0x44);
    expect_fault(C(19), CAUSE_LOAD_ACC, f + 0x44);
    load_ok(C(19), mode, f + 0x48);
    load_ok(C(19), mode, f + 0x38);
    pmp_reset();
#undef C
}

/* 20-24: PMP and paging (Sv39 or Sv48) */
static void paging_cases(long mode)
{
    uint64_t uf = mode == PRV_U ? PTE_U : 0;
    int n0 = mode == PRV_U ? 100 : 0;
    pmp_reset();
    pt_reset();
    uint64_t *root = new_space(mode == PRV_U);
    uint64_t *pte = map(root, TEST_VA, FRAME(0), 0, PTE_V | PTE_R | PTE_W | PTE_A | PTE_D | uf);
    map(root, TEST_VA + 0x1000, (uint64_t)code_page, 0, PTE_V | PTE_X | PTE_A | uf);
    uint64_t t1 = table_of(root, TEST_VA, 1), t0 = table_of(root, TEST_VA, 0);
    activate(root, 0);

    /* 20: the level-1 table denied: access faults of the access type */
    pmp_set(0, NAPOT(t1, 4096), PMP_NAPOT);
    run(mode, ld_fn, TEST_VA + 8);
    expect_fault(n0 + 20, CAUSE_LOAD_ACC, TEST_VA + 8);
    run(mode, sd_fn, TEST_VA + 8);
    expect_fault(n0 + 20, CAUSE_STORE_ACC, TEST_VA + 8);
    run(mode, fetch_fn, TEST_VA + 0x1000);
    expect_fault(n0 + 20, CAUSE_FETCH_ACC, TEST_VA + 0x1000);
    /* 21: the level-0 table denied */
    pmp_set(0, NAPOT(t0, 4096), PMP_NAPOT);
    run(mode, ld_fn, TEST_VA + 8);
    expect_fault(n0 + 21, CAUSE_LOAD_ACC, TEST_VA + 8);
    run(mode, sd_fn, TEST_VA + 8);
    expect_fault(n0 + 21, CAUSE_STORE_ACC, TEST_VA + 8);
    run(mode, fetch_fn, TEST_VA + 0x1000);
    expect_fault(n0 + 21, CAUSE_FETCH_ACC, TEST_VA + 0x1000);
    /* ... readable tables are enough for the walk */
    pmp_set(0, NAPOT(t0, 4096), PMP_NAPOT | PMP_R);
    run(mode, sd_fn, TEST_VA + 8);
    expect_ok(n0 + 21);
    CHECK_EQ(n0 + 21, run(mode, fetch_fn, TEST_VA + 0x1000), 42);
    expect_ok(n0 + 21);

#if LEVELS == 4
    /* 24: the level-2 table denied (Sv48: the level below the root) */
    pmp_set(0, NAPOT(table_of(root, TEST_VA, 2), 4096), PMP_NAPOT);
    run(mode, ld_fn, TEST_VA + 8);
    expect_fault(n0 + 24, CAUSE_LOAD_ACC, TEST_VA + 8);
    run(mode, sd_fn, TEST_VA + 8);
    expect_fault(n0 + 24, CAUSE_STORE_ACC, TEST_VA + 8);
    run(mode, fetch_fn, TEST_VA + 0x1000);
    expect_fault(n0 + 24, CAUSE_FETCH_ACC, TEST_VA + 0x1000);
#endif

    /* 22: translation succeeds, PMP denies the page: access fault, mtval = VA */
    pmp_set(0, NAPOT(FRAME(0), 4096), PMP_NAPOT | PMP_R);
    run(mode, ld_fn, TEST_VA + 0x10);
    expect_ok(n0 + 22);
    run(mode, sd_fn, TEST_VA + 0x10);
    expect_fault(n0 + 22, CAUSE_STORE_ACC, TEST_VA + 0x10);

    /* 23: hardware A/D update (Svadu) into a table PMP makes read-only:
     * access fault (VATP step 9). Not applicable under Svade. */
    pmp_reset();
    *pte &= ~(PTE_A | PTE_D);
    sfence_all();
    run(mode, ld_fn, TEST_VA + 8);
    CASE(n0 + 23);
    if (last_trap.count) {
        expect_fault(n0 + 23, CAUSE_LOAD_PAGE, TEST_VA + 8);
        print("case 23: Svade: no A/D update to check\n");
    } else {
        *pte &= ~(PTE_A | PTE_D);
        pmp_set(0, NAPOT(t0, 4096), PMP_NAPOT | PMP_R);
        run(mode, ld_fn, TEST_VA + 8);
        if (!skip_on_qemu("a PMP-denied A/D update is not an access fault")) {
            expect_fault(n0 + 23, CAUSE_LOAD_ACC, TEST_VA + 8);
            CHECK_EQ(n0 + 23, *pte & PTE_A, 0);
        }
    }
    pmp_reset();
    deactivate();
}

int main(void)
{
    trap_hook = mmu_hook;
    pg_init(LEVELS);
    CHECK(1, (uint64_t)_end <= OUTSIDE);
    /* 2: pmpaddr7 exists and holds address bits 55:2 (bits 63:54 are
     * WARL 0 on RV64: "Physical Memory Protection CSRs") */
    pmp_reset();
    CHECK_EQ(2, read_csr(pmpaddr7) & ((1UL << 54) - 1), (1UL << 54) - 1);
    CASE(2);
    if (!skip_on_qemu("pmpaddr bits 63:54 are writable"))
        CHECK_EQ(2, read_csr(pmpaddr7) >> 54, 0);
    bare_cases(PRV_S);
    bare_cases(PRV_U);
    paging_cases(PRV_S);
    paging_cases(PRV_U);

    /* 30: L applies the entry to M-mode and locks it (last case) */
    uint64_t f = FRAME(1);
    pmp_reset();
    WORD(f + 0x20) = 99;
    pmp_set(0, NAPOT(f, 4096), PMP_NAPOT | PMP_R | PMP_L);
    trap_record_reset();
    CHECK_EQ(30, ld_fn(f + 0x20), 99);
    expect_ok(30);
    sd_fn(f + 0x28);
    expect_fault(30, CAUSE_STORE_ACC, f + 0x28);
    /* writes to a locked entry are ignored */
    write_csr(pmpcfg0, read_csr(pmpcfg0) & ~0xffUL);
    CHECK_EQ(30, read_csr(pmpcfg0) & 0xff, PMP_NAPOT | PMP_R | PMP_L);
    write_csr(pmpaddr0, 0);
    CHECK_EQ(30, read_csr(pmpaddr0), NAPOT(f, 4096));
    run(PRV_S, sd_fn, f + 0x28);
    expect_fault(30, CAUSE_STORE_ACC, f + 0x28);
    /* 31: M-mode partial match fails too ("irrespective of the L, R, W, and X bits") */
    pmp_set(1, (FRAME(4) + 0x10) >> 2, PMP_NA4 | PMP_R | PMP_W);
    trap_record_reset();
    ld_fn(FRAME(4) + 0x10);
    expect_fault(31, CAUSE_LOAD_ACC, FRAME(4) + 0x10);
    /* 32: a locked TOR entry also locks the address register below it, pmpaddr[i-1]
     * (priv/machine.adoc, "Locking and Privilege Mode"), and holds M-mode to its R/W/X */
    f = FRAME(6);
    pmp_set(2, f >> 2, 0);
    pmp_set(3, (f + 0x1000) >> 2, PMP_TOR | PMP_R | PMP_L);
    write_csr(pmpaddr2, 0);
    CHECK_EQ(32, read_csr(pmpaddr2), f >> 2);
    CHECK_EQ(32, read_csr(pmpaddr3), (f + 0x1000) >> 2);
    trap_record_reset();
    sd_fn(f + 0x30);
    expect_fault(32, CAUSE_STORE_ACC, f + 0x30);
    trap_record_reset();
    ld_fn(f + 0x30);
    expect_ok(32);
    return 0;
}
