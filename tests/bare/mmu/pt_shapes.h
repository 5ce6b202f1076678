/* Page-table shapes for the page-table snapshot tests (tests/tests/pt_snapshots.rs), shared
 * by pt_shapes_sv39.c (LEVELS 3) and pt_shapes_sv48.c (LEVELS 4). The program builds one
 * address space, turns paging on, touches some of its pages from S-mode, checks what the
 * accesses did (data, A and D), and ends with satp still pointing at the tree, so that
 * `rvmmu bare --dump-pt` and Machine::page_tables() show it as the run left it.
 *
 * Tables and frames are at fixed physical addresses above the image, so the snapshot does
 * not change when the code does. The tree (VA -> PA, flags as the dump prints them
 * (rwxugad) after the run):
 *
 *   0x0_0000_0000 1 GiB  -> 0x0000_0000  rw---ad   identity, devices    (from new_space)
 *   0x0_4000_0000        hole
 *   0x0_8000_0000 1 GiB  -> 0x8000_0000  rwx--ad   identity, RAM: code, stacks, tables
 *   0x0_c000_0000 1 GiB  -> 0xc000_0000  rwx--ad   merges with the one above: "1G x2"
 *   0x1_0000_0000 2 MiB  -> 0x8120_0000  rw---ad   stored to     } "2M x2"
 *   0x1_0020_0000 2 MiB  -> 0x8140_0000  rw---ad   stored to     }
 *   0x1_0040_0000        hole
 *   0x1_0060_0000 2 MiB  -> 0x8160_0000  r--u-a-   loaded (SUM = 1)
 *   0x1_0080_0000 4 KiB  level-0 table:
 *        +0x0000, +0x1000 -> 0x81a0_0000 rw-u-ad   stored to (SUM = 1): "4K x2"
 *        +0x2000          -> 0x81a0_2000 rw-u-a-   loaded
 *        +0x3000          -> 0x81a0_3000 rw-u---   untouched
 *        +0x4000          hole (V = 0, the other bits set: still a hole)
 *        +0x5000          hole
 *        +0x6000          -> 0x81a0_6000 r-x--a-   fetched from (a copy of code_page)
 *        +0x7000          -> 0x81a0_7000 rw--gad   untouched, A and D written set
 *        +0x1ff000        -> 0x81a0_8000 rw---ad   the table's last entry, stored to
 *   0x1_00a0_0000 2 MiB  -> 0x81c0_0000  rw-----   untouched
 *   0xffff_ffff_ffe0_0000 2 MiB -> 0x81e0_0000  rw--ga-   the last 2 MiB of the address
 *                                                         space (upper half), loaded
 *   Sv48 only: 0x80_0000_0000 512 GiB -> 0  r----a-   loaded
 *
 * A and D: the leaves the program touches start with A = D = 0. Under Svadu (QEMU, rvmmu
 * --ad hw) the walker sets them; under Svade (rvmmu --ad fault) each first access is a page
 * fault and the M-mode hook below sets A (and D for a store) as a kernel would, and retries
 * (priv/supervisor.adoc, "Virtual Address Translation Process", step 9). Either way the
 * final tree is the same, which the snapshot test checks by running both. */
#define PT_POOL_PA 0x81000000UL
#include "paging.h"

#define TEST_VA 0x100000000UL
#define L0_VA (TEST_VA + 0x800000)
#define TOP_VA 0xffffffffffe00000UL
#define BIG_VA 0x8000000000UL           /* Sv48: root index 1, a 512 GiB leaf */
#define F2M(i) (0x81200000UL + (i) * 0x200000UL)
#define F4K(i) (0x81a00000UL + (i) * 0x1000UL)
#define F_TOP 0x81e00000UL
#define WORD(pa) (*(volatile uint64_t *)(uintptr_t)(pa))
#define RW (PTE_V | PTE_R | PTE_W)

extern char _end[];
static uint64_t *root;
static int ad_fixes;

/* The leaf PTE that maps va in the current tree, found as the walker would. */
static uint64_t *leaf_of(uint64_t va)
{
    uint64_t *t = root;
    for (int level = pg_levels - 1; level >= 0; level--) {
        uint64_t *e = &t[vpn(va, level)];
        if (!(*e & PTE_V))
            return 0;
        if (*e & (PTE_R | PTE_X))
            return e;
        t = (uint64_t *)PTE_TO_PA(*e);
    }
    return 0;
}

/* Svade: a page fault on a leaf whose A (or, for a store, D) is clear: set it and retry. */
static long ad_hook(struct trap_frame *f)
{
    if (f->cause != CAUSE_FETCH_PAGE && f->cause != CAUSE_LOAD_PAGE && f->cause != CAUSE_STORE_PAGE)
        return -1;
    uint64_t *e = leaf_of(f->tval);
    uint64_t need = PTE_A | (f->cause == CAUSE_STORE_PAGE ? PTE_D : 0);
    if (!e || (*e & need) == need)
        return -1;
    *e |= need;
    ad_fixes++;
    __asm__ volatile("sfence.vma %0, zero" ::"r"(f->tval) : "memory");
    return 0;
}

static void store(int n, uint64_t va, uint64_t pa)
{
    WORD(pa) = 0;
    run(PRV_S, sd_fn, va);
    expect_ok(n);
    CHECK_EQ(n, WORD(pa), STORE_MAGIC);
}

static void load(int n, uint64_t va, uint64_t pa)
{
    WORD(pa) = 0x600d0000UL ^ pa;
    CHECK_EQ(n, run(PRV_S, ld_fn, va), 0x600d0000UL ^ pa);
    expect_ok(n);
}

/* A, D and the rest of a leaf's flags after the run */
static void flags_are(int n, uint64_t va, uint64_t want)
{
    uint64_t *e = leaf_of(va);
    CHECK(n, e != 0);
    CHECK_EQ(n, *e & 0xff, want);
}

int main(void)
{
    trap_hook = ad_hook;
    pg_init(LEVELS);
    CASE(1);
    CHECK(1, (uint64_t)_end <= PT_POOL_PA);

    /* 2: build the tree (M-mode, physical addresses) */
    pt_reset();
    root = new_space(0);
    map(root, 0xc0000000UL, 0xc0000000UL, 2, PTE_RWXAD);
    map(root, TEST_VA, F2M(0), 1, RW);
    map(root, TEST_VA + 0x200000, F2M(1), 1, RW);
    map(root, TEST_VA + 0x600000, F2M(2), 1, PTE_V | PTE_R | PTE_U);
    for (int i = 0; i < 4; i++)
        map(root, L0_VA + i * 0x1000UL, F4K(i), 0, RW | PTE_U);
    *pte_ptr(root, L0_VA + 0x4000, 0) = PTE_PPN(F4K(4)) | PTE_R | PTE_W | PTE_X | PTE_A | PTE_D;
    map(root, L0_VA + 0x6000, F4K(6), 0, PTE_V | PTE_R | PTE_X);
    map(root, L0_VA + 0x7000, F4K(7), 0, RW | PTE_G | PTE_A | PTE_D);
    map(root, L0_VA + 0x1ff000, F4K(8), 0, RW);
    map(root, TEST_VA + 0xa00000, F2M(5), 1, RW);
    map(root, TOP_VA, F_TOP, 1, RW | PTE_G);
#if LEVELS == 4
    map(root, BIG_VA, 0, 3, PTE_V | PTE_R);
#endif
    CHECK_EQ(2, pt_used, LEVELS == 3 ? 4 : 6);
    /* the code page's `li a0, 42; ret`, for the fetch */
    for (int i = 0; i < 16; i++)
        ((volatile uint8_t *)F4K(6))[i] = code_page[i];
    __asm__ volatile("fence.i" ::: "memory");
    activate(root, 0);

    /* 10-17: touch pages from S-mode, SUM = 1 for the U pages */
    set_csr(mstatus, MSTATUS_SUM);
    store(10, TEST_VA + 0x10, F2M(0) + 0x10);
    store(10, TEST_VA + 0x200000 + 0x1ffff8, F2M(1) + 0x1ffff8);
    load(11, TEST_VA + 0x600000 + 0x12340, F2M(2) + 0x12340);
    store(12, L0_VA + 0x18, F4K(0) + 0x18);
    store(12, L0_VA + 0x1020, F4K(1) + 0x20);
    load(13, L0_VA + 0x2028, F4K(2) + 0x28);
    CHECK_EQ(14, run(PRV_S, fetch_fn, L0_VA + 0x6000), 42);
    expect_ok(14);
    store(15, L0_VA + 0x1ffff0, F4K(8) + 0xff0);
    load(16, TOP_VA + 0x1fff00, F_TOP + 0x1fff00);
#if LEVELS == 4
    load(17, BIG_VA + F2M(3) + 0x38, F2M(3) + 0x38);
#endif
    /* 18: holes fault: the V = 0 entry with its other bits set, and an empty one */
    trap_hook = mmu_hook;
    run(PRV_S, ld_fn, L0_VA + 0x4000);
    expect_fault(18, CAUSE_LOAD_PAGE, L0_VA + 0x4000);
    run(PRV_S, ld_fn, TEST_VA + 0x400000);
    expect_fault(18, CAUSE_LOAD_PAGE, TEST_VA + 0x400000);
    trap_hook = ad_hook;
    clear_csr(mstatus, MSTATUS_SUM);

    /* 20: A and D as the accesses left them, the same under Svadu and Svade */
    flags_are(20, TEST_VA, RW | PTE_A | PTE_D);
    flags_are(20, TEST_VA + 0x200000, RW | PTE_A | PTE_D);
    flags_are(20, TEST_VA + 0x600000, PTE_V | PTE_R | PTE_U | PTE_A);
    flags_are(20, L0_VA, RW | PTE_U | PTE_A | PTE_D);
    flags_are(20, L0_VA + 0x1000, RW | PTE_U | PTE_A | PTE_D);
    flags_are(20, L0_VA + 0x2000, RW | PTE_U | PTE_A);
    flags_are(20, L0_VA + 0x3000, RW | PTE_U);
    flags_are(20, L0_VA + 0x6000, PTE_V | PTE_R | PTE_X | PTE_A);
    flags_are(20, L0_VA + 0x7000, RW | PTE_G | PTE_A | PTE_D);
    flags_are(20, L0_VA + 0x1ff000, RW | PTE_A | PTE_D);
    flags_are(20, TEST_VA + 0xa00000, RW);
    flags_are(20, TOP_VA, RW | PTE_G | PTE_A);
#if LEVELS == 4
    flags_are(20, BIG_VA, PTE_V | PTE_R | PTE_A);
#endif

    /* 21: Svadu sets them all in hardware; Svade faults once per A/D update the hook made:
     * 5 first stores (A and D), 3 first loads (4 in Sv48), 1 first fetch */
    print(ad_fixes ? "A/D: Svade, set by the trap handler\n" : "A/D: Svadu, set by the walker\n");
    if (ad_fixes)
        CHECK_EQ(21, ad_fixes, LEVELS == 3 ? 9 : 10);

    /* satp stays on: the tree is what the run leaves behind (M-mode is not translated) */
    return 0;
}
