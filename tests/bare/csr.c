/* csr: Zicsr instructions and the machine/supervisor CSRs that define the
 * hart's configuration.
 * Spec: unpriv/zicsr.adoc ("CSR Instructions": rd=x0 / rs1=x0 rules, table
 * "Conditions determining whether a CSR instruction reads or writes"),
 * priv/csrs.adoc (address map: bits 11:10 = 3 are read-only, bits 9:8 the
 * lowest privilege), priv/machine.adoc (misa, mhartid, mstatus, medeleg /
 * mideleg, mip/mie, mcounteren), priv/supervisor.adoc (sstatus, sip/sie,
 * scounteren), unpriv/zicntr.adoc.
 *
 * Behaviour chosen by the platform (rvmmu and QEMU virt), not by the spec:
 * an illegal instruction writes its bits to mtval (the spec allows 0). */
#include "test.h"

#define MISA_EXT(c) (1UL << ((c) - 'A'))

static void no_trap(int n)
{
    CHECK_EQ(n, last_trap.count, 0);
}

/* exactly one trap with this cause; for illegal instructions mtval holds the bits */
static void one_trap(int n, uint64_t cause)
{
    CHECK_EQ(n, last_trap.count, 1);
    CHECK_EQ(n, last_trap.cause, cause);
    if (cause == CAUSE_ILLEGAL_INSN)
        CHECK_EQ(n, last_trap.tval, insn_bits_at(last_trap.epc));
}

/* ---- code run in U or S mode by run_in_mode ---- */
static long rd_cycle(long a) { (void)a; return (long)read_csr(cycle); }
static long rd_time(long a) { (void)a; return (long)read_csr(time); }
static long rd_instret(long a) { (void)a; return (long)read_csr(instret); }
static long rd_mstatus(long a) { (void)a; return (long)read_csr(mstatus); }
static long rd_mscratch(long a) { (void)a; return (long)read_csr(mscratch); }
static long rd_sstatus(long a) { (void)a; return (long)read_csr(sstatus); }
static long rw_sscratch(long a) { return (long)swap_csr(sscratch, a); }
static long rd_mhartid(long a) { (void)a; return (long)read_csr(mhartid); }

/* counter read in mode, returns number of traps (0 = readable) */
static uint64_t counter_traps(long mode, long (*fn)(long))
{
    trap_record_reset();
    run_in_mode(mode, fn, 0);
    if (last_trap.count)
        CHECK_EQ(test_case, last_trap.cause, CAUSE_ILLEGAL_INSN);
    return last_trap.count;
}

int main(void)
{
    trap_hook = skip_hook;
    uint64_t v, old;

    /* ---- misa (machine.adoc "Machine ISA Register") ---- */
    v = read_csr(misa);
    CHECK_EQ(1, v >> 62, 2);                                 /* MXL = 2: RV64 */
    uint64_t ext = MISA_EXT('I') | MISA_EXT('M') | MISA_EXT('A') | MISA_EXT('F') |
                   MISA_EXT('D') | MISA_EXT('C') | MISA_EXT('S') | MISA_EXT('U');
    CHECK_EQ(2, v & ext, ext);
    CHECK_EQ(3, v & MISA_EXT('E'), 0);                       /* E is never set with I */

    /* ---- mhartid, ids ---- */
    CHECK_EQ(4, read_csr(mhartid), 0);
    CHECK_EQ(5, boot_hartid, 0);                             /* a0 at entry = hartid */
    trap_record_reset();
    (void)read_csr(mvendorid);
    (void)read_csr(marchid);
    (void)read_csr(mimpid);
    no_trap(6);

    /* ---- CSRRW/CSRRS/CSRRC and immediate forms on mscratch (all bits writable).
     * mscratch holds the runtime's trap stack: no trap may happen until it is restored. */
    uint64_t saved_mscratch = read_csr(mscratch);
    write_csr(mscratch, 0x0123456789abcdefUL);
    CHECK_EQ(10, read_csr(mscratch), 0x0123456789abcdefUL);
    old = swap_csr(mscratch, 0xfedcba9876543210UL);
    CHECK_EQ(11, old, 0x0123456789abcdefUL);
    CHECK_EQ(11, read_csr(mscratch), 0xfedcba9876543210UL);
    old = set_csr(mscratch, 0x0f);
    CHECK_EQ(12, old, 0xfedcba9876543210UL);
    CHECK_EQ(12, read_csr(mscratch), 0xfedcba987654321fUL);
    old = clear_csr(mscratch, 0xff00000000000000UL);
    CHECK_EQ(13, old, 0xfedcba987654321fUL);
    CHECK_EQ(13, read_csr(mscratch), 0x00dcba987654321fUL);
    __asm__ volatile("csrrwi %0, mscratch, 31" : "=r"(old));  /* uimm zero-extended */
    CHECK_EQ(14, old, 0x00dcba987654321fUL);
    CHECK_EQ(14, read_csr(mscratch), 31);
    __asm__ volatile("csrrci %0, mscratch, 0x11" : "=r"(old));
    CHECK_EQ(15, old, 31);
    CHECK_EQ(15, read_csr(mscratch), 0x0e);
    __asm__ volatile("csrrsi %0, mscratch, 0x10" : "=r"(old));
    CHECK_EQ(16, old, 0x0e);
    CHECK_EQ(16, read_csr(mscratch), 0x1e);
    __asm__ volatile("li t0, 0x55\n csrrw x0, mscratch, t0" ::: "t0"); /* rd = x0 still writes */
    CHECK_EQ(17, read_csr(mscratch), 0x55);
    __asm__ volatile("csrrs %0, mscratch, x0" : "=r"(old));   /* rs1 = x0: read only */
    CHECK_EQ(18, old, 0x55);
    CHECK_EQ(18, read_csr(mscratch), 0x55);
    __asm__ volatile("csrrw x0, mscratch, x0");               /* writes zero */
    CHECK_EQ(19, read_csr(mscratch), 0);
    __asm__ volatile("li t0, 7\n csrrw t0, mscratch, t0\n csrr %0, mscratch" : "=r"(v) :: "t0"); /* rd == rs1 */
    CHECK_EQ(20, v, 7);
    write_csr(mscratch, saved_mscratch);

    /* ---- read-only CSRs: reads (incl. CSRRS/CSRRC rs1=x0, CSRRSI/CSRRCI uimm=0) are legal ---- */
    trap_record_reset();
    __asm__ volatile("csrrs %0, mhartid, x0" : "=r"(v));
    __asm__ volatile("csrrc %0, mvendorid, x0" : "=r"(v));
    __asm__ volatile("csrrsi %0, mimpid, 0" : "=r"(v));
    __asm__ volatile("csrrci %0, marchid, 0" : "=r"(v));
    __asm__ volatile("csrrs x0, mhartid, x0");
    __asm__ volatile("csrrs %0, cycle, x0" : "=r"(v));
    no_trap(30);
    /* ... and every write attempt is illegal, whatever the value */
    trap_record_reset();
    __asm__ volatile("csrrw x0, mhartid, x0");                /* CSRRW with rs1 = x0 writes 0 */
    one_trap(31, CAUSE_ILLEGAL_INSN);
    trap_record_reset();
    __asm__ volatile("csrrwi %0, mhartid, 0" : "=r"(v));
    one_trap(32, CAUSE_ILLEGAL_INSN);
    trap_record_reset();
    __asm__ volatile("csrrsi %0, mhartid, 1" : "=r"(v));
    one_trap(33, CAUSE_ILLEGAL_INSN);
    trap_record_reset();
    __asm__ volatile("li t0, 1\n csrrc %0, mvendorid, t0" : "=r"(v) :: "t0");
    one_trap(34, CAUSE_ILLEGAL_INSN);
    trap_record_reset();
    __asm__ volatile("csrw cycle, x0");
    one_trap(35, CAUSE_ILLEGAL_INSN);
    /* CSRRS with rs1 != x0 is a write even when the register holds 0 (zicsr.adoc table) */
    CASE(36);
    if (!skip_on_qemu("QEMU 7.2 decides on the value of rs1, not on rs1 != x0")) {
        trap_record_reset();
        __asm__ volatile("li t0, 0\n csrrs %0, mhartid, t0" : "=r"(v) :: "t0");
        one_trap(36, CAUSE_ILLEGAL_INSN);
    }

    /* ---- a CSR that does not exist: illegal instruction, mtval = the bits ---- */
    trap_record_reset();
    __asm__ volatile("1: .word 0x7ff02573\n"                 /* csrrs a0, 0x7ff, x0 */
                     "la %0, 1b" : "=r"(v) :: "a0");
    one_trap(40, CAUSE_ILLEGAL_INSN);
    CHECK_EQ(40, last_trap.tval, 0x7ff02573);
    CHECK_EQ(40, last_trap.epc, v);
    trap_record_reset();
    __asm__ volatile(".word 0x7ff51073");                    /* csrrw x0, 0x7ff, a0 */
    one_trap(41, CAUSE_ILLEGAL_INSN);
    CHECK_EQ(41, last_trap.tval, 0x7ff51073);
    trap_record_reset();
    __asm__ volatile(".word 0x0ff02573");                    /* csrrs a0, 0x0ff (unallocated), x0 */
    one_trap(42, CAUSE_ILLEGAL_INSN);

    /* ---- privilege encoded in the CSR number ---- */
    CHECK_EQ(45, counter_traps(PRV_U, rd_mstatus), 1);
    CHECK_EQ(46, counter_traps(PRV_S, rd_mstatus), 1);
    CHECK_EQ(47, counter_traps(PRV_S, rd_mscratch), 1);
    CHECK_EQ(48, counter_traps(PRV_U, rd_sstatus), 1);
    CHECK_EQ(49, counter_traps(PRV_S, rd_mhartid), 1);
    CHECK_EQ(50, counter_traps(PRV_S, rd_sstatus), 0);
    uint64_t saved_sscratch = read_csr(sscratch);           /* the S trap stack */
    write_csr(sscratch, 11);
    trap_record_reset();
    CHECK_EQ(51, run_in_mode(PRV_S, rw_sscratch, 22), 11);
    CHECK_EQ(51, last_trap.count, 0);
    CHECK_EQ(51, read_csr(sscratch), 22);
    CHECK_EQ(52, counter_traps(PRV_U, rw_sscratch), 1);
    CHECK_EQ(52, read_csr(sscratch), 22);
    write_csr(sscratch, saved_sscratch);

    /* ---- mstatus WARL fields ---- */
    v = read_csr(mstatus);
    CHECK_EQ(60, (v & MSTATUS_SXL) >> 34, 2);                /* SXLEN = 64 */
    CHECK_EQ(61, (v & MSTATUS_UXL) >> 32, 2);                /* UXLEN = 64 */
    clear_csr(mstatus, MSTATUS_MPP);
    set_csr(mstatus, 2UL << 11);                             /* MPP = 2: reserved, WARL */
    CASE(62);
    if (!skip_on_qemu("QEMU 7.2 stores MPP = 2 (legalised only in later QEMU)"))
        CHECK(62, ((read_csr(mstatus) & MSTATUS_MPP) >> 11) != 2);
    for (uint64_t m = 0; m < 4; m++) {
        if (m == 2)
            continue;
        clear_csr(mstatus, MSTATUS_MPP);
        set_csr(mstatus, m << 11);
        CHECK_EQ(63, (read_csr(mstatus) & MSTATUS_MPP) >> 11, m);  /* U, S, M all held */
    }
    set_csr(mstatus, MSTATUS_SPP);
    CHECK_EQ(64, read_csr(mstatus) & MSTATUS_SPP, MSTATUS_SPP);
    clear_csr(mstatus, MSTATUS_SPP);
    CHECK_EQ(64, read_csr(mstatus) & MSTATUS_SPP, 0);
    set_csr(mstatus, MSTATUS_SIE | MSTATUS_SPIE | MSTATUS_MPIE);
    CHECK_EQ(65, read_csr(mstatus) & (MSTATUS_SIE | MSTATUS_SPIE | MSTATUS_MPIE),
             MSTATUS_SIE | MSTATUS_SPIE | MSTATUS_MPIE);
    clear_csr(mstatus, MSTATUS_SIE | MSTATUS_SPIE | MSTATUS_MPIE);
    CHECK_EQ(65, read_csr(mstatus) & (MSTATUS_SIE | MSTATUS_SPIE | MSTATUS_MPIE), 0);
    set_csr(mstatus, MSTATUS_TSR | MSTATUS_TW | MSTATUS_MPRV);
    CHECK_EQ(66, read_csr(mstatus) & (MSTATUS_TSR | MSTATUS_TW | MSTATUS_MPRV),
             MSTATUS_TSR | MSTATUS_TW | MSTATUS_MPRV);
    clear_csr(mstatus, MSTATUS_TSR | MSTATUS_TW | MSTATUS_MPRV);
    CHECK_EQ(66, read_csr(mstatus) & (MSTATUS_TSR | MSTATUS_TW | MSTATUS_MPRV), 0);
    /* XS is read-only zero (no custom extension state); SD summarises FS/XS/VS */
    set_csr(mstatus, MSTATUS_XS);
    CHECK_EQ(67, read_csr(mstatus) & MSTATUS_XS, 0);
    clear_csr(mstatus, MSTATUS_FS);
    v = read_csr(mstatus);
    CHECK_EQ(68, v & (MSTATUS_FS | MSTATUS_SD), 0);          /* all Off: SD = 0 */
    set_csr(mstatus, MSTATUS_FS_INITIAL);
    CHECK_EQ(69, read_csr(mstatus) & (MSTATUS_FS | MSTATUS_SD), MSTATUS_FS_INITIAL);

    /* ---- sstatus is a restricted view of mstatus (supervisor.adoc "Supervisor Status") ---- */
    const uint64_t sstatus_mask = MSTATUS_SIE | MSTATUS_SPIE | MSTATUS_UBE | MSTATUS_SPP |
                                  MSTATUS_VS | MSTATUS_FS | MSTATUS_XS | MSTATUS_SUM |
                                  MSTATUS_MXR | MSTATUS_UXL | MSTATUS_SD;
    set_csr(mstatus, MSTATUS_MPIE | MSTATUS_MPP | MSTATUS_SPIE);
    CHECK_EQ(70, read_csr(sstatus), read_csr(mstatus) & sstatus_mask);
    CHECK_EQ(71, read_csr(sstatus) & (MSTATUS_MIE | MSTATUS_MPIE | MSTATUS_MPP), 0);
    set_csr(sstatus, MSTATUS_SIE | MSTATUS_SPP);             /* writes through to mstatus */
    CHECK_EQ(72, read_csr(mstatus) & (MSTATUS_SIE | MSTATUS_SPP), MSTATUS_SIE | MSTATUS_SPP);
    clear_csr(mstatus, MSTATUS_SIE | MSTATUS_SPP);           /* and back */
    CHECK_EQ(73, read_csr(sstatus) & (MSTATUS_SIE | MSTATUS_SPP), 0);
    old = read_csr(mstatus);
    set_csr(sstatus, MSTATUS_MPIE | MSTATUS_MPP | MSTATUS_TSR | MSTATUS_TW | MSTATUS_MPRV);
    CHECK_EQ(74, read_csr(mstatus), old);                    /* M-only fields not reachable */
    write_csr(sstatus, read_csr(sstatus) & ~(MSTATUS_SPIE));
    CHECK_EQ(75, read_csr(mstatus), old & ~MSTATUS_SPIE);
    CHECK_EQ(75, read_csr(mstatus) & MSTATUS_MPP, MSTATUS_MPP); /* csrw sstatus kept MPP */
    clear_csr(mstatus, MSTATUS_MPIE | MSTATUS_MPP);

    /* ---- medeleg / mideleg WARL ---- */
    write_csr(medeleg, -1UL);
    v = read_csr(medeleg);
    CHECK_EQ(80, v & (1UL << CAUSE_ECALL_U), 1UL << CAUSE_ECALL_U);  /* delegable in S+U harts */
    CHECK_EQ(80, v & (1UL << CAUSE_ILLEGAL_INSN), 1UL << CAUSE_ILLEGAL_INSN);
    CASE(81);
    if (!skip_on_qemu("QEMU 7.2 lets medeleg[11] (ECALL from M) be set"))
        CHECK_EQ(81, v & (1UL << CAUSE_ECALL_M), 0);         /* medeleg[11] read-only 0 */
    write_csr(medeleg, 0);
    CHECK_EQ(82, read_csr(medeleg), 0);                      /* no bit read-only one */
    write_csr(mideleg, MIP_SSIP | MIP_STIP | MIP_SEIP);
    /* (bits of interrupts the hart does not have may read as anything but M-level ones) */
    CHECK_EQ(83, read_csr(mideleg) & 0xaaa, MIP_SSIP | MIP_STIP | MIP_SEIP);
    write_csr(mideleg, 0);
    CHECK_EQ(84, read_csr(mideleg) & (MIP_MSIP | MIP_MTIP | MIP_MEIP), 0);

    /* ---- mip: SSIP, STIP, SEIP writable from M; MSIP, MTIP, MEIP read-only ---- */
    clear_csr(mstatus, MSTATUS_MIE | MSTATUS_SIE);
    write_csr(mie, 0);
    write_csr(mip, 0);
    CHECK_EQ(90, read_csr(mip) & (MIP_SSIP | MIP_STIP | MIP_SEIP | MIP_MSIP | MIP_MTIP | MIP_MEIP), 0);
    set_csr(mip, MIP_SSIP);
    CHECK_EQ(91, read_csr(mip) & MIP_SSIP, MIP_SSIP);
    set_csr(mip, MIP_STIP);
    CHECK_EQ(92, read_csr(mip) & MIP_STIP, MIP_STIP);
    set_csr(mip, MIP_SEIP);
    CHECK_EQ(93, read_csr(mip) & MIP_SEIP, MIP_SEIP);
    set_csr(mip, MIP_MSIP | MIP_MTIP | MIP_MEIP);            /* ignored: driven by CLINT / PLIC */
    CHECK_EQ(94, read_csr(mip) & (MIP_MSIP | MIP_MTIP | MIP_MEIP), 0);
    clear_csr(mip, MIP_SSIP | MIP_STIP | MIP_SEIP);
    CHECK_EQ(95, read_csr(mip) & (MIP_SSIP | MIP_STIP | MIP_SEIP), 0);
    /* mie: all six standard enables writable */
    write_csr(mie, MIP_SSIP | MIP_STIP | MIP_SEIP | MIP_MSIP | MIP_MTIP | MIP_MEIP);
    CHECK_EQ(96, read_csr(mie), MIP_SSIP | MIP_STIP | MIP_SEIP | MIP_MSIP | MIP_MTIP | MIP_MEIP);

    /* ---- sie/sip: views of mie/mip masked by mideleg (machine.adoc, end of "mip and mie") ---- */
    write_csr(mideleg, 0);
    CHECK_EQ(100, read_csr(sie), 0);                         /* nothing delegated: read-only 0 */
    set_csr(mip, MIP_SSIP);
    CHECK_EQ(101, read_csr(sip), 0);
    write_csr(sie, 0);
    CHECK_EQ(102, read_csr(mie) & (MIP_SSIP | MIP_STIP | MIP_SEIP), MIP_SSIP | MIP_STIP | MIP_SEIP);
    clear_csr(sip, MIP_SSIP);                                /* not delegated: no effect */
    CHECK_EQ(103, read_csr(mip) & MIP_SSIP, MIP_SSIP);
    write_csr(mideleg, MIP_SSIP | MIP_STIP | MIP_SEIP);
    CHECK_EQ(104, read_csr(sie), MIP_SSIP | MIP_STIP | MIP_SEIP); /* M bits of mie never visible */
    CHECK_EQ(105, read_csr(sip) & MIP_SSIP, MIP_SSIP);
    clear_csr(sip, MIP_SSIP);                                /* SSIP writable through sip */
    CHECK_EQ(106, read_csr(mip) & MIP_SSIP, 0);
    set_csr(sip, MIP_SSIP);
    CHECK_EQ(107, read_csr(mip) & MIP_SSIP, MIP_SSIP);
    clear_csr(sie, MIP_STIP);                                /* sie writes through to mie */
    CHECK_EQ(108, read_csr(mie), MIP_SSIP | MIP_SEIP | MIP_MSIP | MIP_MTIP | MIP_MEIP);
    set_csr(sip, MIP_STIP);                                  /* STIP is read-only in sip */
    CHECK_EQ(109, read_csr(mip) & MIP_STIP, 0);
    write_csr(mideleg, MIP_SSIP);                            /* partial delegation */
    set_csr(mip, MIP_STIP);
    CHECK_EQ(110, read_csr(sie), MIP_SSIP);
    CHECK_EQ(111, read_csr(sip) & (MIP_SSIP | MIP_STIP), MIP_SSIP);
    write_csr(mip, 0);
    write_csr(mie, 0);
    write_csr(mideleg, 0);

    /* ---- counters from S and U: mcounteren / scounteren (machine.adoc, supervisor.adoc) ---- */
    trap_record_reset();
    v = read_csr(cycle);
    v = read_csr(time);
    v = read_csr(instret);
    no_trap(120);                                            /* always readable in M */
    write_csr(mcounteren, 0);
    write_csr(scounteren, 0);
    CHECK_EQ(121, counter_traps(PRV_S, rd_cycle), 1);
    CHECK_EQ(122, counter_traps(PRV_S, rd_time), 1);
    CHECK_EQ(123, counter_traps(PRV_S, rd_instret), 1);
    CHECK_EQ(124, counter_traps(PRV_U, rd_cycle), 1);
    write_csr(scounteren, 7);                                /* scounteren alone is not enough for U */
    CHECK_EQ(125, counter_traps(PRV_U, rd_time), 1);
    write_csr(mcounteren, 7);
    write_csr(scounteren, 0);
    CHECK_EQ(126, counter_traps(PRV_S, rd_cycle), 0);
    CHECK_EQ(127, counter_traps(PRV_S, rd_time), 0);
    CHECK_EQ(128, counter_traps(PRV_S, rd_instret), 0);
    CHECK_EQ(129, counter_traps(PRV_U, rd_cycle), 1);        /* U also needs scounteren */
    CHECK_EQ(130, counter_traps(PRV_U, rd_instret), 1);
    write_csr(scounteren, 7);
    CHECK_EQ(131, counter_traps(PRV_U, rd_cycle), 0);
    CHECK_EQ(132, counter_traps(PRV_U, rd_time), 0);
    CHECK_EQ(133, counter_traps(PRV_U, rd_instret), 0);
    write_csr(mcounteren, 1);                                /* CY only */
    CHECK_EQ(134, counter_traps(PRV_U, rd_cycle), 0);
    CHECK_EQ(135, counter_traps(PRV_U, rd_time), 1);
    CHECK_EQ(136, counter_traps(PRV_U, rd_instret), 1);
    write_csr(mcounteren, 7);
    write_csr(scounteren, 2);                                /* TM only for U */
    CHECK_EQ(137, counter_traps(PRV_U, rd_cycle), 1);
    CHECK_EQ(138, counter_traps(PRV_U, rd_time), 0);
    CHECK_EQ(139, counter_traps(PRV_S, rd_cycle), 0);        /* scounteren does not gate S */
    CHECK_EQ(140, read_csr(mcounteren) & 7, 7);
    CHECK_EQ(140, read_csr(scounteren) & 7, 2);
    write_csr(mcounteren, 0);
    write_csr(scounteren, 0);

    /* ---- satp: only Bare; a write of an unsupported mode is ignored (WARL) ---- */
    write_csr(satp, 0);
    CHECK_EQ(150, read_csr(satp), 0);

    return 0;
}
