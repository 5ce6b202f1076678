/* Translation, page faults, U/SUM/MXR, MPRV and A/D cases shared by mmu_sv39.c
 * (LEVELS 3) and mmu_sv48.c (LEVELS 4). Every case runs its checked accesses
 * in S-mode (case n) and in U-mode (case n + 100, own address space whose
 * identity map and test leaves carry U). Spec sections (priv/supervisor.adoc):
 * VATP = "Virtual Address Translation Process" (steps 1-10), "Addressing and
 * Memory Protection" of Sv39/Sv48, "Memory Privilege in sstatus Register"
 * (SUM, MXR), priv/machine.adoc "Memory Privilege in mstatus Register" (MPRV).
 *
 * A/D: the spec allows hardware updating (Svadu, VATP step 9 third bullet)
 * or faulting (Svade, first bullet). Case 50 detects which one is in effect
 * (load from a page with A=0: a fault means Svade, A set afterwards means
 * Svadu) and prints it; cases 51-54 check the consequences for that scheme. */
#include "paging.h"

#if LEVELS == 3
#define TEST_VA 0x100000000UL           /* GiB 4 */
#define HIGH_BIT 38
#else
#define TEST_VA 0x100000000000UL        /* VPN[3] = 32: exercises the 4th level */
#define HIGH_BIT 47
#endif
#define FRAME_2M 0x80400000UL           /* 2 MiB aligned, above the image */
#define NO_MEM_PA 0x09000000UL          /* nothing there on QEMU virt or rvmmu */
#define CAUSE_FETCH_ACC 1
#define CAUSE_LOAD_ACC 5
#define CAUSE_STORE_ACC 7

extern char _end[];
static uint8_t frames[6][4096] __attribute__((aligned(4096)));
#define FRAME(i) ((uint64_t)frames[i])
#define WORD(pa) (*(volatile uint64_t *)(uintptr_t)(pa))

static int user_case(int n, long mode) { return mode == PRV_U ? n + 100 : n; }

/* store through va (which must map pa), then load the value M put at pa+8 */
static void check_rw(int n, long mode, uint64_t va, uint64_t pa)
{
    WORD(pa) = 0;
    WORD(pa + 8) = 0x1122334455667788UL ^ pa;
    run(mode, sd_fn, va);
    expect_ok(n);
    CHECK_EQ(n, WORD(pa), STORE_MAGIC);
    CHECK_EQ(n, run(mode, ld_fn, va + 8), 0x1122334455667788UL ^ pa);
    expect_ok(n);
}

static const char *ad_scheme = "?";

/* amoadd.d 1 and lr.d at va */
static long amo_fn(long va)
{
    long r;
    __asm__ volatile("amoadd.d %0, %2, (%1)" : "=r"(r) : "r"(va), "r"(1L) : "memory");
    return r;
}
static long lr_fn(long va)
{
    long r;
    __asm__ volatile("lr.d %0, (%1)" : "=r"(r) : "r"(va) : "memory");
    return r;
}

/* expect_all_fault for access faults (load 5, store 7, fetch 1) */
static void expect_all_access(int n, long mode, uint64_t va)
{
    run(mode, ld_fn, va);
    expect_fault(n, CAUSE_LOAD_ACC, va);
    run(mode, sd_fn, va);
    expect_fault(n, CAUSE_STORE_ACC, va);
    run(mode, fetch_fn, va);
    expect_fault(n, CAUSE_FETCH_ACC, va);
}

static void vm_cases(long mode)
{
    uint64_t uf = mode == PRV_U ? PTE_U : 0;
    uint64_t *root;
    uint64_t *pte;
    uint64_t va;
#define C(n) user_case(n, mode)
#define FRESH() do { deactivate(); pt_reset(); root = new_space(mode == PRV_U); } while (0)
#define GO() activate(root, 0)

    /* 10: 4 KiB leaf (VATP step 10, i = 0) */
    FRESH();
    map(root, TEST_VA, FRAME(0), 0, PTE_V | PTE_R | PTE_W | PTE_A | PTE_D | uf);
    GO();
    check_rw(C(10), mode, TEST_VA + 0x100, FRAME(0) + 0x100);

    /* 11: 2 MiB superpage: pa.ppn[0] = va.vpn[0] */
    FRESH();
    map(root, TEST_VA + 0x200000, FRAME_2M, 1, PTE_V | PTE_R | PTE_W | PTE_A | PTE_D | uf);
    GO();
    check_rw(C(11), mode, TEST_VA + 0x200000 + 0x1238, FRAME_2M + 0x1238);
    check_rw(C(11), mode, TEST_VA + 0x200000 + 0x1ff000, FRAME_2M + 0x1ff000);

    /* 12: 1 GiB superpage */
    FRESH();
    map(root, TEST_VA + 0x40000000, 0x80000000UL, 2, PTE_V | PTE_R | PTE_W | PTE_A | PTE_D | uf);
    GO();
    check_rw(C(12), mode, TEST_VA + 0x40000000 + (FRAME_2M - 0x80000000UL) + 0x2340,
             FRAME_2M + 0x2340);

#if LEVELS == 4
    /* 13: Sv48 512 GiB superpage (level 3 leaf) */
    FRESH();
    map(root, 0x8000000000UL, 0, 3, PTE_V | PTE_R | PTE_W | PTE_A | PTE_D | uf);
    GO();
    check_rw(C(13), mode, 0x8000000000UL + FRAME_2M + 0x3450, FRAME_2M + 0x3450);
#endif

    /* 14: fetch through a 4 KiB R|X mapping of the code page */
    FRESH();
    map(root, TEST_VA, (uint64_t)code_page, 0, PTE_V | PTE_R | PTE_X | PTE_A | uf);
    GO();
    CHECK_EQ(C(14), run(mode, fetch_fn, TEST_VA), 42);
    expect_ok(C(14));

    /* 20: V = 0 (VATP step 3): load 13, store 15, fetch 12, stval = va */
    FRESH();
    map(root, TEST_VA, (uint64_t)code_page, 0, PTE_R | PTE_W | PTE_X | PTE_A | PTE_D | uf);
    GO();
    expect_all_fault(C(20), mode, TEST_VA + 0x10, 1);

    /* 21: missing R (X-only page): load and store fault, fetch works (step 8) */
    FRESH();
    map(root, TEST_VA, (uint64_t)code_page, 0, PTE_V | PTE_X | PTE_A | PTE_D | uf);
    GO();
    run(mode, ld_fn, TEST_VA + 8);
    expect_fault(C(21), CAUSE_LOAD_PAGE, TEST_VA + 8);
    run(mode, sd_fn, TEST_VA + 8);
    expect_fault(C(21), CAUSE_STORE_PAGE, TEST_VA + 8);
    CHECK_EQ(C(21), run(mode, fetch_fn, TEST_VA), 42);
    expect_ok(C(21));

    /* 22: missing W and X (R-only page): store 15, fetch 12, load works */
    FRESH();
    map(root, TEST_VA, (uint64_t)code_page, 0, PTE_V | PTE_R | PTE_A | PTE_D | uf);
    GO();
    run(mode, ld_fn, TEST_VA);
    expect_ok(C(22));
    run(mode, sd_fn, TEST_VA + 0x20);
    expect_fault(C(22), CAUSE_STORE_PAGE, TEST_VA + 0x20);
    run(mode, fetch_fn, TEST_VA);
    expect_fault(C(22), CAUSE_FETCH_PAGE, TEST_VA);

    /* 23: W without R is reserved (step 3): every access faults, also W|X */
    FRESH();
    map(root, TEST_VA, (uint64_t)code_page, 0, PTE_V | PTE_W | PTE_A | PTE_D | uf);
    map(root, TEST_VA + 0x1000, (uint64_t)code_page, 0, PTE_V | PTE_W | PTE_X | PTE_A | PTE_D | uf);
    GO();
    expect_all_fault(C(23), mode, TEST_VA + 0x30, 1);
    expect_all_fault(C(23), mode, TEST_VA + 0x1000, 1);

    /* 24: a pointer PTE at level 0 (step 4: i < 0) */
    FRESH();
    map(root, TEST_VA, FRAME(1), 0, PTE_V | uf);
    GO();
    expect_all_fault(C(24), mode, TEST_VA + 0x40, 1);

    /* 25: misaligned superpages (step 5): 2 MiB leaf with ppn[0] != 0,
     * 1 GiB leaf with ppn[1] != 0 */
    FRESH();
    map(root, TEST_VA + 0x200000, FRAME_2M + 0x1000, 1, PTE_RWXAD | uf);
    map(root, TEST_VA + 0x40000000, 0x80200000UL, 2, PTE_RWXAD | uf);
    GO();
    expect_all_fault(C(25), mode, TEST_VA + 0x200000 + 0x3008, 1);
    expect_all_fault(C(25), mode, TEST_VA + 0x40000000 + 0x400000, 1);
#if LEVELS == 4
    /* ... and a 512 GiB leaf with ppn[2] != 0 */
    FRESH();
    map(root, 0x8000000000UL, 0x40000000UL, 3, PTE_RWXAD | uf);
    GO();
    expect_all_fault(C(25), mode, 0x8000000000UL + 0x80001000UL, 1);
#endif

    /* 26: non-canonical VAs: bits 63..HIGH_BIT+1 must equal bit HIGH_BIT
     * (Sv39/Sv48 "Addressing and Memory Protection"). The canonical high
     * address with the same low bits is mapped and works; the same low
     * bits with the upper bits cleared or set wrongly fault. */
    FRESH();
    va = (~0UL << HIGH_BIT) | TEST_VA;   /* canonical, upper half */
    map(root, va, FRAME(1), 0, PTE_V | PTE_R | PTE_W | PTE_A | PTE_D | uf);
    GO();
    check_rw(C(26), mode, va + 0x50, FRAME(1) + 0x50);
    expect_all_fault(C(26), mode, (1UL << HIGH_BIT) | TEST_VA | 0x50, 1);
    expect_all_fault(C(26), mode, (1UL << 63) | TEST_VA | 0x50, 1);
    expect_all_fault(C(26), mode, va ^ (1UL << (HIGH_BIT + 1)), 1);

    /* 27: reserved PTE bits 60..54 set (step 3) */
    FRESH();
    map(root, TEST_VA, FRAME(1), 0, PTE_RWXAD | uf | (1UL << 54));
    map(root, TEST_VA + 0x1000, FRAME(1), 0, PTE_RWXAD | uf | (1UL << 60));
    GO();
    expect_all_fault(C(27), mode, TEST_VA + 0x60, 1);
    expect_all_fault(C(27), mode, TEST_VA + 0x1060, 1);

    /* 28: PBMT (bits 62..61) and N (bit 63) are reserved when Svpbmt and Svnapot are not
     * implemented (neither is, on rvmmu; QEMU 7.2 has them off by default): set, they make
     * the PTE invalid (Sv39 "Addressing and Memory Protection": "if any of these bits are
     * set, a page-fault exception is raised"; step 3) */
    FRESH();
    map(root, TEST_VA, FRAME(1), 0, PTE_RWXAD | uf | (1UL << 61));
    map(root, TEST_VA + 0x1000, FRAME(1), 0, PTE_RWXAD | uf | (1UL << 63));
    GO();
    expect_all_fault(C(28), mode, TEST_VA + 0x68, 1);
    expect_all_fault(C(28), mode, TEST_VA + 0x1068, 1);

    /* 29: a pointer PTE to a "table" where there is no memory: the PTE access fails a PMA
     * check (step 2), the access fault of the access type, stval = va */
    FRESH();
    *pte_ptr(root, TEST_VA, 1) = PTE_PPN(NO_MEM_PA) | PTE_V;
    GO();
    CASE(C(29));
    if (!skip_on_qemu("a PTE read from where there is no memory is a page fault"))
        expect_all_access(C(29), mode, TEST_VA + 0x78);

    /* 36: a leaf whose page has no memory: the access fault of the access type, stval = va */
    FRESH();
    map(root, TEST_VA, NO_MEM_PA, 0, PTE_RWXAD | uf);
    GO();
    expect_all_access(C(36), mode, TEST_VA + 0x78);

    /* 37: in a pointer (non-leaf) PTE, D, A and U are reserved (Sv32 "Addressing and Memory
     * Protection": "For non-leaf PTEs, the D, A, and U bits are reserved for future standard
     * use"): set, the walk stops with a page fault (step 3) */
    FRESH();
    map(root, TEST_VA, FRAME(1), 0, PTE_RWXAD | uf);
    map(root, TEST_VA + 0x200000, FRAME(1), 0, PTE_RWXAD | uf);
    map(root, TEST_VA + 0x400000, FRAME(1), 0, PTE_RWXAD | uf);
    *pte_ptr(root, TEST_VA, 1) |= PTE_A;
    *pte_ptr(root, TEST_VA + 0x200000, 1) |= PTE_D;
    *pte_ptr(root, TEST_VA + 0x400000, 1) |= PTE_U;
    GO();
    expect_all_fault(C(37), mode, TEST_VA + 0x88, 1);
    expect_all_fault(C(37), mode, TEST_VA + 0x200088, 1);
    expect_all_fault(C(37), mode, TEST_VA + 0x400088, 1);

    /* 34: a 4-byte instruction whose second half is on an unmapped page: fetch page fault,
     * stval = the address of the half that faulted, epc = the instruction's start
     * (priv/machine.adoc, "Machine Trap Value (mtval) Register") */
    FRESH();
    ((volatile uint16_t *)FRAME(4))[0xffe / 2] = 0x0513;     /* low half of li a0, 42 */
    __asm__ volatile("fence.i" ::: "memory");
    map(root, TEST_VA, FRAME(4), 0, PTE_V | PTE_R | PTE_X | PTE_A | uf);
    GO();
    CHECK_EQ(C(34), run(mode, fetch_fn, TEST_VA + 0xffe), -1);
    expect_fault(C(34), CAUSE_FETCH_PAGE, TEST_VA + 0x1000);
    CHECK_EQ(C(34), last_trap.epc, TEST_VA + 0xffe);

    /* 38: the same instruction with both pages mapped, the second to another frame: it is
     * put together from two physical pages; remapping the second page (and a fence) changes
     * the instruction executed (li a0, 42 becomes li a0, 99) */
    ((volatile uint16_t *)FRAME(5))[0] = 0x02a0;     /* high half of li a0, 42 */
    ((volatile uint16_t *)FRAME(5))[1] = 0x8082;     /* c.ret */
    ((volatile uint16_t *)FRAME(3))[0] = 0x0630;     /* high half of li a0, 99 */
    ((volatile uint16_t *)FRAME(3))[1] = 0x8082;
    __asm__ volatile("fence.i" ::: "memory");
    pte = map(root, TEST_VA + 0x1000, FRAME(5), 0, PTE_V | PTE_R | PTE_X | PTE_A | uf);
    sfence_all();
    CHECK_EQ(C(38), run(mode, fetch_fn, TEST_VA + 0xffe), 42);
    expect_ok(C(38));
    *pte = PTE_PPN(FRAME(3)) | PTE_V | PTE_R | PTE_X | PTE_A | uf;
    sfence_all();
    CHECK_EQ(C(38), run(mode, fetch_fn, TEST_VA + 0xffe), 99);
    expect_ok(C(38));

    /* 35: AMOs raise store/AMO page faults (an AMO on an R-only page), LR load page faults
     * (on an X-only page); LR on a readable page works */
    FRESH();
    map(root, TEST_VA, FRAME(5), 0, PTE_V | PTE_R | PTE_A | PTE_D | uf);
    map(root, TEST_VA + 0x1000, FRAME(5), 0, PTE_V | PTE_X | PTE_A | PTE_D | uf);
    GO();
    WORD(FRAME(5) + 0x80) = 7;
    run(mode, amo_fn, TEST_VA + 0x80);
    expect_fault(C(35), CAUSE_STORE_PAGE, TEST_VA + 0x80);
    CHECK_EQ(C(35), WORD(FRAME(5) + 0x80), 7);
    run(mode, lr_fn, TEST_VA + 0x1080);
    expect_fault(C(35), CAUSE_LOAD_PAGE, TEST_VA + 0x1080);
    CHECK_EQ(C(35), run(mode, lr_fn, TEST_VA + 0x80), 7);
    expect_ok(C(35));

    /* 30: U-mode on a page without U faults; S-mode on a U page (SUM = 0) faults */
    FRESH();
    /* the opposite U bit: none for U-mode, U for S-mode */
    map(root, TEST_VA, (uint64_t)code_page, 0, PTE_RWXAD | (mode == PRV_U ? 0 : PTE_U));
    GO();
    clear_csr(mstatus, MSTATUS_SUM | MSTATUS_MXR);
    expect_all_fault(C(30), mode, TEST_VA + 0x70, 1);

    if (mode == PRV_S) {
        /* 31: SUM = 1 lets S-mode load/store a U page */
        set_csr(mstatus, MSTATUS_SUM);
        check_rw(31, mode, TEST_VA + 0x800, (uint64_t)code_page + 0x800);
        /* 32: ... but S-mode never fetches from a U page */
        run(mode, fetch_fn, TEST_VA);
        expect_fault(32, CAUSE_FETCH_PAGE, TEST_VA);
        clear_csr(mstatus, MSTATUS_SUM);
        run(mode, fetch_fn, TEST_VA);
        expect_fault(32, CAUSE_FETCH_PAGE, TEST_VA);
    } else {
        /* 131: SUM does not open non-U pages to U-mode */
        set_csr(mstatus, MSTATUS_SUM);
        expect_all_fault(131, mode, TEST_VA + 0x70, 1);
        clear_csr(mstatus, MSTATUS_SUM);
    }

    /* 33: MXR = 1 lets loads read an X-only page; stores still fault */
    FRESH();
    map(root, TEST_VA, (uint64_t)code_page, 0, PTE_V | PTE_X | PTE_A | PTE_D | uf);
    GO();
    run(mode, ld_fn, TEST_VA);
    expect_fault(C(33), CAUSE_LOAD_PAGE, TEST_VA);
    set_csr(mstatus, MSTATUS_MXR);
    CHECK_EQ(C(33), run(mode, ld_fn, TEST_VA), *(volatile uint64_t *)code_page);
    expect_ok(C(33));
    run(mode, sd_fn, TEST_VA);
    expect_fault(C(33), CAUSE_STORE_PAGE, TEST_VA);
    clear_csr(mstatus, MSTATUS_MXR);

    /* 50: which A/D scheme: load from a page with A = 0 */
    FRESH();
    pte = map(root, TEST_VA, FRAME(2), 0, PTE_V | PTE_R | PTE_W | PTE_X | uf);
    GO();
    WORD(FRAME(2)) = 77;
    uint64_t got = run(mode, ld_fn, TEST_VA);
    int svade = last_trap.count != 0;
    if (svade) {
        expect_fault(C(50), CAUSE_LOAD_PAGE, TEST_VA);
        CHECK_EQ(C(50), *pte & (PTE_A | PTE_D), 0);
        ad_scheme = "Svade (page fault when A = 0 or a store finds D = 0)";
    } else {
        CHECK_EQ(C(50), got, 77);
        CHECK_EQ(C(50), *pte & (PTE_A | PTE_D), PTE_A);   /* a load sets A only */
        ad_scheme = "Svadu (hardware sets A and D)";
    }
    print("case ");
    print_dec(C(50));
    print(": A/D scheme: ");
    print(ad_scheme);
    print("\n");

    /* 51: store to a page with A = 1, D = 0 */
    *pte = PTE_PPN(FRAME(2)) | PTE_V | PTE_R | PTE_W | PTE_A | uf;
    sfence_all();
    run(mode, sd_fn, TEST_VA + 8);
    if (svade) {
        expect_fault(C(51), CAUSE_STORE_PAGE, TEST_VA + 8);
        CHECK_EQ(C(51), *pte & PTE_D, 0);
        CHECK(C(51), WORD(FRAME(2) + 8) != STORE_MAGIC);
    } else {
        expect_ok(C(51));
        CHECK_EQ(C(51), *pte & (PTE_A | PTE_D), PTE_A | PTE_D);
        CHECK_EQ(C(51), WORD(FRAME(2) + 8), STORE_MAGIC);
    }

    /* 52: store to a page with A = 0, D = 0: Svadu sets both */
    *pte = PTE_PPN(FRAME(2)) | PTE_V | PTE_R | PTE_W | uf;
    sfence_all();
    WORD(FRAME(2) + 16) = 0;
    run(mode, sd_fn, TEST_VA + 16);
    if (svade) {
        expect_fault(C(52), CAUSE_STORE_PAGE, TEST_VA + 16);
        CHECK_EQ(C(52), *pte & (PTE_A | PTE_D), 0);
    } else {
        expect_ok(C(52));
        CHECK_EQ(C(52), *pte & (PTE_A | PTE_D), PTE_A | PTE_D);
        CHECK_EQ(C(52), WORD(FRAME(2) + 16), STORE_MAGIC);
    }

    /* 55: an AMO writes, so it needs D like a store: A = 1, D = 0 */
    *pte = PTE_PPN(FRAME(2)) | PTE_V | PTE_R | PTE_W | PTE_A | uf;
    sfence_all();
    WORD(FRAME(2) + 32) = 5;
    run(mode, amo_fn, TEST_VA + 32);
    if (svade) {
        expect_fault(C(55), CAUSE_STORE_PAGE, TEST_VA + 32);
        CHECK_EQ(C(55), *pte & PTE_D, 0);
        CHECK_EQ(C(55), WORD(FRAME(2) + 32), 5);
    } else {
        expect_ok(C(55));
        CHECK_EQ(C(55), *pte & (PTE_A | PTE_D), PTE_A | PTE_D);
        CHECK_EQ(C(55), WORD(FRAME(2) + 32), 6);
    }

    /* 53: fetch from an X page with A = 0 */
    *pte = PTE_PPN(code_page) | PTE_V | PTE_X | uf;
    sfence_all();
    got = run(mode, fetch_fn, TEST_VA);
    if (svade) {
        expect_fault(C(53), CAUSE_FETCH_PAGE, TEST_VA);
        CHECK_EQ(C(53), *pte & PTE_A, 0);
    } else {
        expect_ok(C(53));
        CHECK_EQ(C(53), got, 42);
        CHECK_EQ(C(53), *pte & (PTE_A | PTE_D), PTE_A);
    }

    /* 54: an access denied by R/W/X (step 8) updates nothing (step 9 not
     * reached): store to an R-only page with A = 0 */
    *pte = PTE_PPN(FRAME(2)) | PTE_V | PTE_R | uf;
    sfence_all();
    run(mode, sd_fn, TEST_VA + 24);
    expect_fault(C(54), CAUSE_STORE_PAGE, TEST_VA + 24);
    CHECK_EQ(C(54), *pte & (PTE_A | PTE_D), 0);

    deactivate();
#undef C
#undef FRESH
#undef GO
}

/* 40-42: MPRV (machine.adoc "Memory Privilege in mstatus Register"):
 * M-mode loads and stores with MPRV = 1 use the MPP privilege and its
 * translation; fetches stay untranslated. */
static long mprv_load(uint64_t va, uint64_t mpp)
{
    long r;
    uint64_t bits = MSTATUS_MPRV | mpp;
    clear_csr(mstatus, MSTATUS_MPP);
    __asm__ volatile("csrs mstatus, %2\n"
                     "ld %0, 0(%1)\n"
                     "csrc mstatus, %2\n"
                     : "=&r"(r) : "r"(va), "r"(bits) : "memory");
    clear_csr(mstatus, MSTATUS_MPRV);
    return r;
}

static void mprv_cases(void)
{
    deactivate();
    pt_reset();
    uint64_t *root = new_space(0);
    map(root, TEST_VA, FRAME(3), 0, PTE_V | PTE_R | PTE_W | PTE_A | PTE_D);
    map(root, TEST_VA + 0x1000, FRAME(3), 0, PTE_V | PTE_R | PTE_W | PTE_A | PTE_D | PTE_U);
    map(root, TEST_VA + 0x3000, FRAME(3), 0, PTE_V | PTE_X | PTE_A | PTE_D);
    activate(root, 0);
    WORD(FRAME(3) + 0x18) = 0xabcdef;
    /* 40: MPP = S: translated */
    trap_record_reset();
    CHECK_EQ(40, mprv_load(TEST_VA + 0x18, MSTATUS_MPP_S), 0xabcdef);
    expect_ok(40);
    /* 41: MPP = S, unmapped VA: load page fault with mtval = va */
    trap_record_reset();
    mprv_load(TEST_VA + 0x2018, MSTATUS_MPP_S);
    expect_fault(41, CAUSE_LOAD_PAGE, TEST_VA + 0x2018);
    /* 42: MPP = U: U rules apply (non-U page faults, U page works) */
    trap_record_reset();
    mprv_load(TEST_VA + 0x18, 0);
    expect_fault(42, CAUSE_LOAD_PAGE, TEST_VA + 0x18);
    trap_record_reset();
    CHECK_EQ(42, mprv_load(TEST_VA + 0x1018, 0), 0xabcdef);
    expect_ok(42);
    /* 43: M-mode without MPRV is untranslated although satp is active */
    CHECK_EQ(43, WORD(FRAME(3) + 0x18), 0xabcdef);
    /* 44: MPP = S follows SUM: the U page faults with SUM = 0, loads with SUM = 1 */
    clear_csr(mstatus, MSTATUS_SUM | MSTATUS_MXR);
    trap_record_reset();
    mprv_load(TEST_VA + 0x1018, MSTATUS_MPP_S);
    expect_fault(44, CAUSE_LOAD_PAGE, TEST_VA + 0x1018);
    set_csr(mstatus, MSTATUS_SUM);
    trap_record_reset();
    CHECK_EQ(44, mprv_load(TEST_VA + 0x1018, MSTATUS_MPP_S), 0xabcdef);
    expect_ok(44);
    clear_csr(mstatus, MSTATUS_SUM);
    /* 45: ... and MXR: the X-only page loads only with MXR = 1 */
    trap_record_reset();
    mprv_load(TEST_VA + 0x3018, MSTATUS_MPP_S);
    expect_fault(45, CAUSE_LOAD_PAGE, TEST_VA + 0x3018);
    set_csr(mstatus, MSTATUS_MXR);
    trap_record_reset();
    CHECK_EQ(45, mprv_load(TEST_VA + 0x3018, MSTATUS_MPP_S), 0xabcdef);
    expect_ok(45);
    clear_csr(mstatus, MSTATUS_MXR);
    /* 46: MPP = M: no translation, so TEST_VA is a physical address without memory */
    trap_record_reset();
    mprv_load(TEST_VA + 0x18, MSTATUS_MPP);
    expect_fault(46, CAUSE_LOAD_ACC, TEST_VA + 0x18);
    deactivate();
}

int main(void)
{
    trap_hook = mmu_hook;
    pg_init(LEVELS);
    /* 1: satp accepts the mode; the image ends below FRAME_2M */
    CHECK(1, (uint64_t)_end <= FRAME_2M);
    write_csr(satp, satp_for(pt_pool[0], 0));
    CHECK_EQ(1, read_csr(satp) >> 60, pg_satp_mode() >> 60);
    /* 2: "if satp is written with an unsupported MODE, the entire write has no effect"
     * (satp register): Sv64 (11) and a reserved mode (1) leave it as it was */
    uint64_t satp_before = read_csr(satp);
    write_csr(satp, (11UL << 60) | (3UL << SATP_ASID_SHIFT) | 0x12345);
    CHECK_EQ(2, read_csr(satp), satp_before);
    write_csr(satp, (1UL << 60) | 0x12345);
    CHECK_EQ(2, read_csr(satp), satp_before);
    deactivate();
    vm_cases(PRV_S);
    vm_cases(PRV_U);
    mprv_cases();
    return 0;
}
