/* traps: synchronous exceptions, delegation and trap return.
 * Spec: priv/machine.adoc ("Machine Cause Register" table of causes and
 * mtval rules, "Machine Trap Delegation", "Privilege and Global
 * Interrupt-Enable Stack", "Virtualization Support in mstatus" for TVM/TW/TSR,
 * "Machine Trap-Vector Base-Address", "Environment Call and Breakpoint",
 * "Trap-Return Instructions", "Wait for Interrupt"), priv/supervisor.adoc
 * (scause/sepc/stval, SRET).
 *
 * Accepted either way because the spec allows both:
 *  - EBREAK: mtval is 0 or the pc (machine.adoc "mtval").
 *  - misaligned loads/stores: the EEI may perform them or raise an
 *    address-misaligned exception (then mtval = the address). rvmmu traps,
 *    QEMU 7.2 performs them; the test checks whichever happened.
 *  - mstatus.TVM is read-only 0 when satp.MODE is read-only 0 (Bare only,
 *    as rvmmu is now): cases 90-93 check the TVM traps only if TVM sticks.
 * Platform choice (rvmmu and QEMU): an illegal instruction writes its bits
 * to mtval/stval (the spec also allows 0). */
#include "test.h"

/* ---------------- code run in S or U mode ---------------- */
/* ecall with a7 != RUN_MAGIC; returns the address of the ecall */
static long do_ecall(long a)
{
    (void)a;
    long pc;
    __asm__ volatile("li a7, 0\n1: ecall\n la %0, 1b" : "=r"(pc) :: "a7", "memory");
    return pc;
}
static long do_ebreak(long a)
{
    (void)a;
    long pc;
    __asm__ volatile(".option push\n.option norvc\n1: ebreak\n.option pop\n la %0, 1b" : "=r"(pc) :: "memory");
    return pc;
}
/* an illegal 32-bit instruction (funct7 0100000 with SLL: reserved); returns its address */
static long do_illegal(long a)
{
    (void)a;
    long pc;
    __asm__ volatile("1: .word 0x40001033\n la %0, 1b" : "=r"(pc) :: "memory");
    return pc;
}
static long do_sret(long a) { (void)a; __asm__ volatile("sret" ::: "memory"); return 0; }
static long do_mret(long a) { (void)a; __asm__ volatile("mret" ::: "memory"); return 0; }
static long do_wfi(long a) { (void)a; __asm__ volatile("wfi" ::: "memory"); return 0; }
static long do_satp_read(long a) { (void)a; return (long)read_csr(satp); }
static long do_satp_write(long a) { write_csr(satp, a); return 0; }
static long do_sfence(long a) { (void)a; __asm__ volatile("sfence.vma" ::: "memory"); return 0; }
static long do_nothing(long a) { return a; }

/* Asm helpers:
 * mret_to_m_test: MRET with MPP = M, MPIE = 1, MIE = 0: returns mstatus seen after it.
 * s_sret_to_u (S-mode): SRET with SPP = U, SPIE = 1, SIE = 0 to a U-mode tail that
 *   reads sstatus (illegal in U: proves the mode) and returns 42.
 * s_sret_to_s (S-mode): SRET with SPP = S, SPIE = 0, SIE = 1 to the next line;
 *   returns sstatus read after it. */
__asm__(
    "    .text\n"
    "    .balign 4\n"
    "mret_to_m_test:\n"
    "    li t0, 0x1800\n csrs mstatus, t0\n"
    "    li t0, 0x80\n csrs mstatus, t0\n"
    "    csrci mstatus, 8\n"
    "    la t0, 1f\n csrw mepc, t0\n"
    "    mret\n"
    "1:  csrr a0, mstatus\n"
    "    csrci mstatus, 8\n"
    "    ret\n"
    "s_sret_to_u:\n"
    "    li t0, 0x100\n csrc sstatus, t0\n"
    "    li t0, 0x20\n csrs sstatus, t0\n"
    "    csrci sstatus, 2\n"
    "    la t0, 2f\n csrw sepc, t0\n"
    "    sret\n"
    "2:  csrr t1, sstatus\n"
    "    li a0, 42\n"
    "    ret\n"
    "s_sret_to_s:\n"
    "    li t0, 0x100\n csrs sstatus, t0\n"
    "    li t0, 0x20\n csrc sstatus, t0\n"
    "    csrsi sstatus, 2\n"
    "    la t0, 3f\n csrw sepc, t0\n"
    "    sret\n"
    "3:  csrr a0, sstatus\n"
    "    csrci sstatus, 2\n"
    "    ret\n");
long mret_to_m_test(void);
long s_sret_to_u(long);
long s_sret_to_s(long);

/* ---------------- vectored mtvec ---------------- */
volatile uint64_t vec_hit, vec_cause;
__asm__(
    "    .text\n"
    "    .balign 256\n"
    "vec_table:\n"
    "    .option push\n"
    "    .option norvc\n"
    "    j trap_entry\n"       /* 0: exceptions (and cause-0 interrupts) */
    "    j vec_irq1\n"         /* 1: SSI */
    "    j vec_bad\n"
    "    j vec_irq3\n"         /* 3: MSI */
    "    j vec_bad\n"
    "    j vec_bad\n"
    "    j vec_bad\n"
    "    j vec_bad\n"
    "    j vec_bad\n"
    "    j vec_bad\n"
    "    j vec_bad\n"
    "    j vec_bad\n"
    "    .option pop\n"
    "vec_irq1:\n"
    "    addi sp, sp, -16\n sd t0, 0(sp)\n sd t1, 8(sp)\n"
    "    li t0, 1\n la t1, vec_hit\n sd t0, 0(t1)\n"
    "    csrr t0, mcause\n la t1, vec_cause\n sd t0, 0(t1)\n"
    "    csrci mip, 2\n"
    "    ld t0, 0(sp)\n ld t1, 8(sp)\n addi sp, sp, 16\n"
    "    mret\n"
    "vec_irq3:\n"
    "    addi sp, sp, -16\n sd t0, 0(sp)\n sd t1, 8(sp)\n"
    "    li t0, 3\n la t1, vec_hit\n sd t0, 0(t1)\n"
    "    csrr t0, mcause\n la t1, vec_cause\n sd t0, 0(t1)\n"
    "    li t0, 0x02000000\n sw zero, 0(t0)\n"
    "    ld t0, 0(sp)\n ld t1, 8(sp)\n addi sp, sp, 16\n"
    "    mret\n"
    "vec_bad:\n"
    "    li a0, 0xbad\n"
    "    la t1, vec_hit\n sd a0, 0(t1)\n"
    "    csrw mie, zero\n"
    "    mret\n");
extern char vec_table[];

static void expect_m_trap(int n, uint64_t cause, uint64_t epc)
{
    CHECK_EQ(n, last_trap.count, 1);
    CHECK_EQ(n, last_trap.cause, cause);
    CHECK_EQ(n, last_trap.epc, epc);
}

static void misaligned(void);

int main(void)
{
    trap_hook = skip_hook;
    uint64_t pc, v;

    /* ---- ECALL from M, S, U: causes 11, 9, 8; mepc = the ECALL; mtval = 0 ---- */
    trap_record_reset();
    pc = (uint64_t)do_ecall(0);
    expect_m_trap(1, CAUSE_ECALL_M, pc);
    CHECK_EQ(1, last_trap.tval, 0);
    CHECK_EQ(1, (last_trap.status & MSTATUS_MPP) >> 11, PRV_M);
    trap_record_reset();
    pc = (uint64_t)run_in_mode(PRV_S, do_ecall, 0);
    expect_m_trap(2, CAUSE_ECALL_S, pc);
    CHECK_EQ(2, last_trap.tval, 0);
    CHECK_EQ(2, (last_trap.status & MSTATUS_MPP) >> 11, PRV_S);
    trap_record_reset();
    pc = (uint64_t)run_in_mode(PRV_U, do_ecall, 0);
    expect_m_trap(3, CAUSE_ECALL_U, pc);
    CHECK_EQ(3, last_trap.tval, 0);
    CHECK_EQ(3, (last_trap.status & MSTATUS_MPP) >> 11, PRV_U);

    /* ---- EBREAK: cause 3, mepc = the EBREAK, mtval = 0 or its address ---- */
    trap_record_reset();
    pc = (uint64_t)do_ebreak(0);
    expect_m_trap(4, CAUSE_BREAKPOINT, pc);
    CHECK(5, last_trap.tval == 0 || last_trap.tval == pc);
    trap_record_reset();
    pc = (uint64_t)run_in_mode(PRV_U, do_ebreak, 0);
    expect_m_trap(6, CAUSE_BREAKPOINT, pc);

    /* ---- illegal instruction: cause 2, mepc, mtval = the instruction bits ---- */
    trap_record_reset();
    pc = (uint64_t)do_illegal(0);
    expect_m_trap(7, CAUSE_ILLEGAL_INSN, pc);
    CHECK_EQ(7, last_trap.tval, 0x40001033);
    trap_record_reset();
    pc = (uint64_t)run_in_mode(PRV_U, do_illegal, 0);
    expect_m_trap(8, CAUSE_ILLEGAL_INSN, pc);
    CHECK_EQ(8, last_trap.tval, 0x40001033);
    /* privileged instructions below their mode */
    trap_record_reset();
    run_in_mode(PRV_U, do_sret, 0);
    CHECK_EQ(9, last_trap.count, 1);
    CHECK_EQ(9, last_trap.cause, CAUSE_ILLEGAL_INSN);
    CHECK_EQ(9, last_trap.tval, 0x10200073);                 /* sret */
    trap_record_reset();
    run_in_mode(PRV_U, do_mret, 0);
    CHECK_EQ(10, last_trap.count, 1);
    CHECK_EQ(10, last_trap.tval, 0x30200073);                /* mret */
    trap_record_reset();
    run_in_mode(PRV_S, do_mret, 0);
    CHECK_EQ(11, last_trap.count, 1);
    CHECK_EQ(11, last_trap.cause, CAUSE_ILLEGAL_INSN);

    /* ---- misaligned loads and stores ---- */
    misaligned();

    /* ---- JALR to an odd address: bit 0 cleared, 2-byte aligned target is fine with C ---- */
    trap_record_reset();
    __asm__ volatile(".balign 4\n"
                     "la t0, 1f\n addi t0, t0, 1\n jalr x0, 0(t0)\n"
                     "c.nop\n"                               /* 1f is 4n+2 aligned */
                     "1: li %0, 5" : "=r"(v) :: "t0");
    CHECK_EQ(30, v, 5);
    CHECK_EQ(30, last_trap.count, 0);

    /* ---- delegation to S (medeleg): S handler sees scause/sepc/stval ---- */
    write_csr(stvec, (uint64_t)strap_entry);
    strap_hook = sskip_hook;
    write_csr(medeleg, (1UL << CAUSE_ILLEGAL_INSN) | (1UL << CAUSE_BREAKPOINT) | (1UL << CAUSE_ECALL_U));
    trap_record_reset();
    pc = (uint64_t)run_in_mode(PRV_U, do_ecall, 0);
    CHECK_EQ(40, last_strap.count, 1);
    CHECK_EQ(40, last_strap.cause, CAUSE_ECALL_U);
    CHECK_EQ(40, last_strap.epc, pc);
    CHECK_EQ(40, last_strap.tval, 0);
    CHECK_EQ(41, last_strap.status & MSTATUS_SPP, 0);       /* SPP = U */
    CHECK_EQ(42, last_trap.count, 0);                        /* M saw nothing */
    trap_record_reset();
    pc = (uint64_t)run_in_mode(PRV_U, do_illegal, 0);
    CHECK_EQ(43, last_strap.count, 1);
    CHECK_EQ(43, last_strap.cause, CAUSE_ILLEGAL_INSN);
    CHECK_EQ(43, last_strap.epc, pc);
    CHECK_EQ(43, last_strap.tval, 0x40001033);
    CHECK_EQ(43, last_trap.count, 0);
    trap_record_reset();                                     /* S to S (horizontal) */
    pc = (uint64_t)run_in_mode(PRV_S, do_illegal, 0);
    CHECK_EQ(44, last_strap.count, 1);
    CHECK_EQ(44, last_strap.cause, CAUSE_ILLEGAL_INSN);
    CHECK_EQ(44, last_strap.epc, pc);
    CHECK_EQ(44, last_strap.status & MSTATUS_SPP, MSTATUS_SPP);
    CHECK_EQ(44, last_trap.count, 0);
    trap_record_reset();
    pc = (uint64_t)run_in_mode(PRV_S, do_ebreak, 0);
    CHECK_EQ(45, last_strap.count, 1);
    CHECK_EQ(45, last_strap.cause, CAUSE_BREAKPOINT);
    CHECK_EQ(45, last_strap.epc, pc);
    trap_record_reset();                                     /* ECALL from S not delegated */
    pc = (uint64_t)run_in_mode(PRV_S, do_ecall, 0);
    CHECK_EQ(46, last_strap.count, 0);
    expect_m_trap(46, CAUSE_ECALL_S, pc);
    /* SPIE takes SIE, SIE is cleared on the delegated trap */
    set_csr(mstatus, MSTATUS_SIE);
    clear_csr(mstatus, MSTATUS_SPIE);
    trap_record_reset();
    run_in_mode(PRV_S, do_illegal, 0);
    CHECK_EQ(47, last_strap.status & (MSTATUS_SIE | MSTATUS_SPIE), MSTATUS_SPIE);
    clear_csr(mstatus, MSTATUS_SIE | MSTATUS_SPIE);
    /* traps never go down: an illegal instruction in M is taken in M */
    trap_record_reset();
    pc = (uint64_t)do_illegal(0);
    expect_m_trap(48, CAUSE_ILLEGAL_INSN, pc);
    CHECK_EQ(48, last_strap.count, 0);
    write_csr(medeleg, 0);
    strap_hook = 0;

    /* ---- MRET: MIE = MPIE, MPIE = 1, MPP = least-privileged mode (U) ---- */
    v = (uint64_t)mret_to_m_test();
    CHECK_EQ(50, v & MSTATUS_MIE, MSTATUS_MIE);
    CHECK_EQ(51, v & MSTATUS_MPIE, MSTATUS_MPIE);
    CHECK_EQ(52, v & MSTATUS_MPP, 0);
    /* MRET to S or U clears MPRV; MRET to M keeps it */
    CASE(53);
    if (!skip_on_qemu("QEMU 7.2 does not clear MPRV on MRET to S/U (cases 53, 54)")) {
        set_csr(mstatus, MSTATUS_MPRV);
        run_in_mode(PRV_U, do_nothing, 0);
        CHECK_EQ(53, read_csr(mstatus) & MSTATUS_MPRV, 0);
        set_csr(mstatus, MSTATUS_MPRV);
        run_in_mode(PRV_S, do_nothing, 0);
        CHECK_EQ(54, read_csr(mstatus) & MSTATUS_MPRV, 0);
    }
    clear_csr(mstatus, MSTATUS_MPRV);
    set_csr(mstatus, MSTATUS_MPRV);
    v = (uint64_t)mret_to_m_test();                          /* MPP = M */
    CHECK_EQ(55, v & MSTATUS_MPRV, MSTATUS_MPRV);
    clear_csr(mstatus, MSTATUS_MPRV);
    /* the trap into M stacked MIE into MPIE and cleared MIE */
    set_csr(mstatus, MSTATUS_MIE);
    trap_record_reset();
    do_ecall(0);
    CHECK_EQ(56, last_trap.status & (MSTATUS_MIE | MSTATUS_MPIE), MSTATUS_MPIE);
    CHECK_EQ(56, read_csr(mstatus) & MSTATUS_MIE, MSTATUS_MIE); /* restored by MRET */
    clear_csr(mstatus, MSTATUS_MIE);

    /* ---- SRET: SIE = SPIE, SPIE = 1, SPP = U, privilege from SPP ---- */
    trap_record_reset();
    CHECK_EQ(60, run_in_mode(PRV_S, s_sret_to_u, 0), 42);
    CHECK_EQ(61, last_trap.count, 1);                        /* csrr sstatus in U */
    CHECK_EQ(61, last_trap.cause, CAUSE_ILLEGAL_INSN);
    CHECK_EQ(61, (last_trap.status & MSTATUS_MPP) >> 11, PRV_U);
    v = read_csr(mstatus);
    CHECK_EQ(62, v & (MSTATUS_SIE | MSTATUS_SPIE | MSTATUS_SPP), MSTATUS_SIE | MSTATUS_SPIE);
    clear_csr(mstatus, MSTATUS_SIE);
    trap_record_reset();
    v = (uint64_t)run_in_mode(PRV_S, s_sret_to_s, 0);
    CHECK_EQ(63, last_trap.count, 0);                        /* still S: sstatus readable */
    CHECK_EQ(63, v & (MSTATUS_SIE | MSTATUS_SPIE | MSTATUS_SPP), MSTATUS_SPIE);
    /* SRET in M is allowed and pops the S stack (xRET in a higher mode) */

    /* ---- mstatus.TSR: SRET in S is illegal; TW: WFI in S is illegal; WFI in U is illegal ---- */
    set_csr(mstatus, MSTATUS_TSR);
    trap_record_reset();
    run_in_mode(PRV_S, do_sret, 0);
    CHECK_EQ(70, last_trap.count, 1);
    CHECK_EQ(70, last_trap.cause, CAUSE_ILLEGAL_INSN);
    CHECK_EQ(70, last_trap.tval, 0x10200073);
    clear_csr(mstatus, MSTATUS_TSR);
    write_csr(mie, 0);                                       /* nothing can wake a WFI */
    set_csr(mstatus, MSTATUS_TW);
    trap_record_reset();
    run_in_mode(PRV_S, do_wfi, 0);
    CHECK_EQ(71, last_trap.count, 1);
    CHECK_EQ(71, last_trap.cause, CAUSE_ILLEGAL_INSN);
    CHECK_EQ(71, last_trap.tval, 0x10500073);
    clear_csr(mstatus, MSTATUS_TW);
    trap_record_reset();
    run_in_mode(PRV_U, do_wfi, 0);                           /* S implemented: WFI in U illegal, TW or not */
    CHECK_EQ(72, last_trap.count, 1);
    CHECK_EQ(72, last_trap.cause, CAUSE_ILLEGAL_INSN);

    /* ---- mstatus.TVM (only if writable; see header) ---- */
    trap_record_reset();
    run_in_mode(PRV_S, do_satp_read, 0);
    run_in_mode(PRV_S, do_satp_write, 0);
    run_in_mode(PRV_S, do_sfence, 0);
    CHECK_EQ(90, last_trap.count, 0);                        /* TVM = 0: all allowed in S */
    set_csr(mstatus, MSTATUS_TVM);
    if (read_csr(mstatus) & MSTATUS_TVM) {
        trap_record_reset();
        run_in_mode(PRV_S, do_satp_read, 0);
        CHECK_EQ(91, last_trap.count, 1);
        CHECK_EQ(91, last_trap.cause, CAUSE_ILLEGAL_INSN);
        trap_record_reset();
        run_in_mode(PRV_S, do_sfence, 0);
        CHECK_EQ(92, last_trap.count, 1);
        CHECK_EQ(92, last_trap.cause, CAUSE_ILLEGAL_INSN);
        trap_record_reset();
        (void)read_csr(satp);                                /* M is not affected */
        CHECK_EQ(93, last_trap.count, 0);
    } else {
        print("note: mstatus.TVM is read-only 0 (satp Bare only): cases 91-93 not applicable\n");
    }
    clear_csr(mstatus, MSTATUS_TVM);

    /* ---- mepc/sepc: bit 0 always 0 (IALIGN = 16) ---- */
    CASE(95);
    if (!skip_on_qemu("QEMU 7.2 reads back mepc/sepc bit 0 as written (cases 95, 96)")) {
        write_csr(mepc, 0x80000003UL);
        CHECK_EQ(95, read_csr(mepc), 0x80000002UL);
        write_csr(sepc, 0x80000005UL);
        CHECK_EQ(96, read_csr(sepc), 0x80000004UL);
    }

    /* ---- vectored mtvec: interrupts go to base + 4 * cause, exceptions to base ---- */
    uint64_t tvec = read_csr(mtvec);
    write_csr(mtvec, (uint64_t)vec_table | 1);
    CHECK_EQ(100, read_csr(mtvec), (uint64_t)vec_table | 1);
    trap_record_reset();
    pc = (uint64_t)do_ecall(0);                               /* exception: base (trap_entry) */
    expect_m_trap(101, CAUSE_ECALL_M, pc);
    vec_hit = 0;
    write_csr(mideleg, 0);
    write_csr(mie, MIP_SSIP);
    set_csr(mip, MIP_SSIP);
    set_csr(mstatus, MSTATUS_MIE);                           /* taken here */
    for (int i = 0; i < 1000 && !vec_hit; i++)
        ;
    clear_csr(mstatus, MSTATUS_MIE);
    CHECK_EQ(102, vec_hit, 1);
    CHECK_EQ(102, vec_cause, CAUSE_INTERRUPT | IRQ_S_SOFT);
    vec_hit = 0;
    write_csr(mie, MIP_MSIP);
    *(volatile uint32_t *)CLINT_MSIP = 1;
    set_csr(mstatus, MSTATUS_MIE);
    for (int i = 0; i < 100000 && !vec_hit; i++)
        ;
    clear_csr(mstatus, MSTATUS_MIE);
    CHECK_EQ(103, vec_hit, 3);
    CHECK_EQ(103, vec_cause, CAUSE_INTERRUPT | IRQ_M_SOFT);
    write_csr(mie, 0);
    write_csr(mtvec, tvec);
    CHECK_EQ(104, read_csr(mtvec), tvec);                     /* direct mode */

    return 0;
}

/* Misaligned loads/stores: trap with mtval = address (rvmmu) or be performed (allowed). */
static uint64_t mis_buf[4];

static void misaligned(void)
{
    volatile uint8_t *b = (volatile uint8_t *)mis_buf;
    for (int i = 0; i < 32; i++)
        b[i] = (uint8_t)(0x10 + i);
    uint64_t v = 0x5a5a5a5a5a5a5a5aUL, addr;
    int traps = 0;

    /* ld at +1 */
    addr = (uint64_t)b + 1;
    trap_record_reset();
    __asm__ volatile("ld %0, 0(%1)" : "+r"(v) : "r"(addr) : "memory");
    if (last_trap.count) {
        CHECK_EQ(20, last_trap.cause, CAUSE_MISALIGNED_LOAD);
        CHECK_EQ(20, last_trap.tval, addr);
        CHECK_EQ(20, v, 0x5a5a5a5a5a5a5a5aUL);               /* rd not written */
        traps++;
    } else {
        CHECK_EQ(20, v, 0x1817161514131211UL);
    }
    /* lw at +2 (sign-extended if performed) */
    addr = (uint64_t)b + 0x1e - 4;                           /* bytes 0x1a..0x1d: 0x2d2c2b2a */
    trap_record_reset();
    __asm__ volatile("lw %0, 0(%1)" : "=r"(v) : "r"(addr) : "memory");
    if (last_trap.count) {
        CHECK_EQ(21, last_trap.cause, CAUSE_MISALIGNED_LOAD);
        CHECK_EQ(21, last_trap.tval, addr);
        traps++;
    } else {
        CHECK_EQ(21, v, 0x2d2c2b2a);
    }
    /* lhu at +3 */
    addr = (uint64_t)b + 3;
    trap_record_reset();
    __asm__ volatile("lhu %0, 0(%1)" : "=r"(v) : "r"(addr) : "memory");
    if (last_trap.count) {
        CHECK_EQ(22, last_trap.cause, CAUSE_MISALIGNED_LOAD);
        CHECK_EQ(22, last_trap.tval, addr);
        traps++;
    } else {
        CHECK_EQ(22, v, 0x1413);
    }
    /* sd at +4 */
    addr = (uint64_t)b + 4;
    trap_record_reset();
    __asm__ volatile("sd %1, 0(%0)" :: "r"(addr), "r"(0xa1a2a3a4a5a6a7a8UL) : "memory");
    if (last_trap.count) {
        CHECK_EQ(23, last_trap.cause, CAUSE_MISALIGNED_STORE);
        CHECK_EQ(23, last_trap.tval, addr);
        CHECK_EQ(23, mis_buf[0], 0x1716151413121110UL);       /* memory untouched */
        CHECK_EQ(23, mis_buf[1], 0x1f1e1d1c1b1a1918UL);
        traps++;
    } else {
        CHECK_EQ(23, mis_buf[0], 0xa5a6a7a813121110UL);
        CHECK_EQ(23, mis_buf[1], 0x1f1e1d1ca1a2a3a4UL);
    }
    /* sh at +1 */
    addr = (uint64_t)b + 17;
    trap_record_reset();
    __asm__ volatile("sh %1, 0(%0)" :: "r"(addr), "r"(0xbeefUL) : "memory");
    if (last_trap.count) {
        CHECK_EQ(24, last_trap.cause, CAUSE_MISALIGNED_STORE);
        CHECK_EQ(24, last_trap.tval, addr);
        traps++;
    } else {
        CHECK_EQ(24, (mis_buf[2] >> 8) & 0xffff, 0xbeef);
    }
    /* an aligned access next to them never traps */
    trap_record_reset();
    __asm__ volatile("lw %0, 0(%1)" : "=r"(v) : "r"((uint64_t)b + 24) : "memory");
    CHECK_EQ(25, last_trap.count, 0);
    CHECK_EQ(25, v, 0x2b2a2928);
    print(traps ? "note: misaligned accesses trap\n" : "note: misaligned accesses are performed\n");
}
