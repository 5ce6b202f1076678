/* triggers: the Sdtrig trigger module as M-mode software sees it (RISC-V
 * Debug Specification 1.0, "Sdtrig"): tselect/tinfo enumeration, tdata1 as a
 * WARL register, address-match triggers (mcontrol, type 2, and mcontrol6,
 * type 6) on execute, load and store in M-, S- and U-mode, timing "before"
 * (the instruction has not executed when the breakpoint exception, cause 3,
 * is taken), virtual-address compares under Sv39, and tcontrol.mte/mpte
 * (native M-mode triggers: a trap into M clears mte, MRET restores it).
 *
 * The hook disarms every trigger and resumes at the trapping instruction,
 * which then runs: a store's memory is read in the hook (before) and after.
 *
 * QEMU 7.2 (skipped there, see tests/bare/README.md): no tcontrol (M-mode
 * triggers always fire), breakpoint tval 0, tinfo without a version, writes
 * of tdata1 with type 0 or an unsupported type ignored, match values other
 * than 0 unsupported, and a trigger with size "any" watches 8 bytes from
 * tdata2 (rvmmu: only accesses that include the byte at tdata2). */
#include "paging.h"

#define LEVELS 3
#define TEST_VA 0x100000000UL
#define CSR_TSELECT 0x7a0
#define CSR_TDATA1 0x7a1
#define CSR_TDATA2 0x7a2
#define CSR_TINFO 0x7a4
#define CSR_TCONTROL 0x7a5
#define TYPE2 (2UL << 60)
#define TYPE6 (6UL << 60)
#define T_LOAD 1UL
#define T_STORE 2UL
#define T_EXEC 4UL
#define T_U (1UL << 3)
#define T_S (1UL << 4)
#define T_M (1UL << 6)
#define T_MATCH(m) ((uint64_t)(m) << 7)
#define MTE (1UL << 3)
#define MPTE (1UL << 7)
#define NTRIG 2 /* used here; QEMU 7.2 has 2 */

static volatile uint64_t data[4] __attribute__((aligned(64)));
static volatile uint64_t *volatile watch_ptr;
static volatile uint64_t watch_val, tcontrol_in_hook;
static uint8_t frame[4096] __attribute__((aligned(4096)));
static int has_tcontrol;

static void disarm_all(void)
{
    for (int i = 0; i < NTRIG; i++) {
        write_csr(0x7a0, i);
        write_csr(0x7a1, TYPE2); /* a mcontrol enabled nowhere: never fires */
    }
}

static void arm(int i, uint64_t tdata1, uint64_t addr)
{
    write_csr(0x7a0, i);
    write_csr(0x7a1, TYPE2);
    write_csr(0x7a2, addr);
    write_csr(0x7a1, tdata1);
}

/* M-mode hook: a breakpoint is recorded, every trigger disarmed, and the
 * instruction resumed (epc unchanged); anything else is recorded and skipped. */
static long trig_hook(struct trap_frame *f)
{
    if (f->cause != CAUSE_BREAKPOINT)
        return mmu_hook(f);
    last_trap.count++;
    last_trap.cause = f->cause;
    last_trap.epc = f->epc;
    last_trap.tval = f->tval;
    if (watch_ptr)
        watch_val = *watch_ptr;
    if (has_tcontrol)
        tcontrol_in_hook = read_csr(0x7a5);
    disarm_all();
    return 0;
}

static void expect_break(int n, uint64_t epc, uint64_t tval)
{
    CASE(n);
    CHECK_EQ(n, last_trap.count, 1);
    CHECK_EQ(n, last_trap.cause, CAUSE_BREAKPOINT);
    CHECK_EQ(n, last_trap.epc, epc);
    if (last_trap.tval != tval && !skip_on_qemu("QEMU 7.2 writes tval 0 for a trigger's breakpoint"))
        CHECK_EQ(n, last_trap.tval, tval);
}

static void expect_quiet(int n)
{
    if (last_trap.count) {
        print("unexpected trap: cause ");
        print_hex(last_trap.cause);
        print(" epc ");
        print_hex(last_trap.epc);
        print("\n");
    }
    CHECK_EQ(n, last_trap.count, 0);
}

static long __attribute__((noinline, aligned(4))) target_fn(long x) { return x * 3 + 1; }
static long (*volatile target)(long) = target_fn;

static long ld_at(long va) { return (long)*(volatile uint64_t *)va; }
static long lw_at(long va) { return (long)*(volatile uint32_t *)va; }
static long sd_at(long va) { *(volatile uint64_t *)va = STORE_MAGIC; return 0; }
static long call_target(long x) { return target(x); }

static void csr_cases(void)
{
    /* 1: tinfo lists types 2 and 6 (and on rvmmu version 1, Sdtrig 1.0) */
    uint64_t tinfo = read_csr(0x7a4);
    CHECK_EQ(1, tinfo & 0x44, 0x44);
    if (!skip_on_qemu("QEMU 7.2's tinfo has no version field"))
        CHECK_EQ(1, (tinfo >> 24) & 0xff, 1);
    /* 2: tselect selects triggers 0 and 1; a trigger that does not exist is not selected */
    write_csr(0x7a0, 1);
    CHECK_EQ(2, read_csr(0x7a0), 1);
    write_csr(0x7a0, 0x7fff);
    CHECK(2, read_csr(0x7a0) != 0x7fff);
    write_csr(0x7a0, 0);
    CHECK_EQ(2, read_csr(0x7a0), 0);
    /* 3: tdata1 keeps supported settings and drops the rest (WARL) */
    uint64_t v = TYPE2 | T_M | T_EXEC;
    write_csr(0x7a1, v);
    CHECK_EQ(3, read_csr(0x7a1), v);
    v = TYPE6 | T_U | T_S | T_LOAD | T_STORE;
    write_csr(0x7a1, v);
    CHECK_EQ(3, read_csr(0x7a1), v);
    /* dmode (bit 59), action 1 (enter Debug Mode), chain, select: unavailable, read 0 */
    write_csr(0x7a1, TYPE2 | 1UL << 59 | 1UL << 12 | 1UL << 11 | 1UL << 19 | T_U | T_LOAD);
    CHECK_EQ(3, read_csr(0x7a1), TYPE2 | T_U | T_LOAD);
    /* 4: writing 0 disables the trigger: type 15 ("If this trigger supports
     * multiple types, then the hardware should disable it by changing type to
     * 15"); an unsupported type does the same on rvmmu */
    CASE(4);
    if (!skip_on_qemu("QEMU 7.2 ignores a write of 0 or of an unsupported type to tdata1")) {
        write_csr(0x7a1, 0);
        CHECK_EQ(4, read_csr(0x7a1) >> 60, 15);
        write_csr(0x7a1, (3UL << 60) | T_M | T_LOAD);
        CHECK_EQ(4, read_csr(0x7a1) >> 60, 15);
    }
    disarm_all();
    /* 5: tcontrol (optional; rvmmu has it, mte 0 at reset) */
    CASE(5);
    trap_record_reset();
    trap_hook = skip_hook;
    uint64_t tc = read_csr(0x7a5);
    has_tcontrol = last_trap.count == 0;
    trap_hook = trig_hook;
    if (!skip_on_qemu("QEMU 7.2 has no tcontrol")) {
        CHECK(5, has_tcontrol);
        CHECK_EQ(5, tc & (MTE | MPTE), 0);
    }
}

static void m_cases(void)
{
    /* 10: M-mode execute trigger: fires with epc = tval = the address, before the
     * instruction; resumed, it runs */
    arm(0, TYPE2 | T_M | T_EXEC, (uint64_t)target_fn);
    trap_record_reset();
    long r = call_target(5);
    expect_break(10, (uint64_t)target_fn, (uint64_t)target_fn);
    CHECK_EQ(10, r, 16);
    /* 11: the handler ran with mte clear, mpte set; MRET restored mte */
    CASE(11);
    if (!skip_on_qemu("QEMU 7.2 has no tcontrol")) {
        CHECK_EQ(11, tcontrol_in_hook & (MTE | MPTE), MPTE);
        CHECK_EQ(11, read_csr(0x7a5) & MTE, MTE);
    }
    /* 12: M-mode load trigger (mcontrol6): fires for a load including the byte
     * at tdata2, not for loads around it, nor for stores */
    arm(1, TYPE6 | T_M | T_LOAD, (uint64_t)&data[1]);
    data[1] = 0x1234;
    trap_record_reset();
    r = ld_at((long)&data[1]);
    expect_break(12, last_trap.epc, (uint64_t)&data[1]);
    CHECK_EQ(12, r, 0x1234);
    arm(1, TYPE6 | T_M | T_LOAD, (uint64_t)&data[1] + 2);
    trap_record_reset();
    r = ld_at((long)&data[1]); /* 8 bytes from data[1] include tdata2 */
    expect_break(12, last_trap.epc, (uint64_t)&data[1]);
    arm(1, TYPE6 | T_M | T_LOAD, (uint64_t)&data[1]);
    trap_record_reset();
    ld_at((long)&data[0]);
    ld_at((long)&data[2]);
    sd_at((long)&data[1]);
    expect_quiet(12);
    if (!skip_on_qemu("QEMU 7.2 watches 8 bytes from tdata2 when size is 0")) {
        trap_record_reset();
        lw_at((long)&data[1] + 4);
        expect_quiet(12);
    }
    disarm_all();
    /* 13: M-mode store trigger (mcontrol): the store has not happened when the
     * exception is taken; loads do not fire it */
    data[2] = 7;
    watch_ptr = &data[2];
    arm(0, TYPE2 | T_M | T_STORE, (uint64_t)&data[2]);
    trap_record_reset();
    sd_at((long)&data[2]);
    expect_break(13, last_trap.epc, (uint64_t)&data[2]);
    CHECK_EQ(13, watch_val, 7);
    CHECK_EQ(13, data[2], STORE_MAGIC);
    watch_ptr = 0;
    arm(0, TYPE2 | T_M | T_STORE, (uint64_t)&data[2]);
    trap_record_reset();
    r = ld_at((long)&data[2]);
    expect_quiet(13);
    CHECK_EQ(13, r, STORE_MAGIC);
    /* 14: a trigger enabled for S and U only does not fire in M */
    arm(0, TYPE2 | T_S | T_U | T_LOAD | T_STORE | T_EXEC, (uint64_t)&data[2]);
    trap_record_reset();
    ld_at((long)&data[2]);
    expect_quiet(14);
    disarm_all();
    /* 15: with tcontrol.mte clear, M-mode triggers do not fire */
    CASE(15);
    if (!skip_on_qemu("QEMU 7.2 has no tcontrol: M-mode triggers always fire")) {
        clear_csr(0x7a5, MTE);
        arm(0, TYPE2 | T_M | T_LOAD, (uint64_t)&data[2]);
        trap_record_reset();
        ld_at((long)&data[2]);
        expect_quiet(15);
        disarm_all();
        set_csr(0x7a5, MTE);
    }
}

/* S- and U-mode under Sv39 (case n in S, n + 100 in U): triggers compare
 * virtual addresses */
static void paged_cases(long mode)
{
    int u = mode == PRV_U;
    int k = u ? 100 : 0;
    uint64_t mbit = u ? T_U : T_S;
    pt_reset();
    uint64_t *root = new_space(u);
    map(root, TEST_VA, (uint64_t)frame, 0, PTE_V | PTE_R | PTE_W | PTE_A | PTE_D | (u ? PTE_U : 0));
    activate(root, 0);
    volatile uint64_t *w = (volatile uint64_t *)(frame + 0x800);
    /* 20: a load trigger on the virtual address fires, with tval = that address */
    *w = 0x55;
    arm(0, TYPE6 | mbit | T_LOAD, TEST_VA + 0x800);
    trap_record_reset();
    long r = run(mode, ld_at, TEST_VA + 0x800);
    expect_break(20 + k, last_trap.epc, TEST_VA + 0x800);
    CHECK_EQ(20 + k, r, 0x55);
    /* 21: one on the physical address does not; nor one for the other mode */
    arm(0, TYPE6 | mbit | T_LOAD, (uint64_t)w);
    arm(1, TYPE6 | (u ? T_S : T_U) | T_LOAD, TEST_VA + 0x800);
    trap_record_reset();
    run(mode, ld_at, TEST_VA + 0x800);
    expect_quiet(21 + k);
    disarm_all();
    /* 22: execute trigger in this mode, on code it runs */
    arm(1, TYPE2 | mbit | T_EXEC, (uint64_t)target_fn);
    trap_record_reset();
    r = run(mode, call_target, 10);
    expect_break(22 + k, (uint64_t)target_fn, (uint64_t)target_fn);
    CHECK_EQ(22 + k, r, 31);
    /* 23: store trigger: nothing stored when the exception is taken */
    *w = 9;
    watch_ptr = w;
    arm(0, TYPE2 | mbit | T_STORE, TEST_VA + 0x800);
    trap_record_reset();
    run(mode, sd_at, TEST_VA + 0x800);
    expect_break(23 + k, last_trap.epc, TEST_VA + 0x800);
    CHECK_EQ(23 + k, watch_val, 9);
    CHECK_EQ(23 + k, *w, STORE_MAGIC);
    watch_ptr = 0;
    /* 24: match 2 (>=) and 3 (<), where supported (rvmmu) */
    CASE(24 + k);
    write_csr(0x7a0, 0);
    write_csr(0x7a1, TYPE2 | T_MATCH(2) | mbit | T_STORE);
    if (read_csr(0x7a1) == (TYPE2 | T_MATCH(2) | mbit | T_STORE) ||
        !skip_on_qemu("QEMU 7.2 supports match 0 only")) {
        arm(0, TYPE2 | T_MATCH(2) | mbit | T_STORE, TEST_VA + 0x800);
        CHECK_EQ(24 + k, read_csr(0x7a1), TYPE2 | T_MATCH(2) | mbit | T_STORE);
        trap_record_reset();
        run(mode, sd_at, TEST_VA + 0x7f8); /* bytes 0x7f8-0x7ff: below */
        expect_quiet(24 + k);
        run(mode, sd_at, TEST_VA + 0x900);
        expect_break(24 + k, last_trap.epc, TEST_VA + 0x900);
        arm(0, TYPE6 | T_MATCH(3) | mbit | T_LOAD, TEST_VA + 0x800);
        trap_record_reset();
        run(mode, ld_at, TEST_VA + 0x800);
        expect_quiet(24 + k);
        run(mode, ld_at, TEST_VA + 0x7fc); /* bytes 0x7fc-0x803: some below */
        expect_break(24 + k, last_trap.epc, TEST_VA + 0x7fc);
    }
    disarm_all();
    deactivate();
}

int main(void)
{
    trap_hook = trig_hook;
    pg_init(LEVELS);
    csr_cases();
    /* enable M-mode triggers (tcontrol.mte), where tcontrol exists */
    if (has_tcontrol)
        set_csr(0x7a5, MTE);
    m_cases();
    paged_cases(PRV_S);
    paged_cases(PRV_U);
    return 0;
}
