/* pmp_segments: a U-mode program confined by PMP alone (satp = Bare), as a kernel's
 * "segmented mode" runs a process, and the hardware behaviour that protocol relies on.
 *
 * Spec: priv/machine.adoc "Physical Memory Protection" (TOR: entry i matches
 * pmpaddr[i-1] <= a < pmpaddr[i], whatever pmpcfg[i-1] holds, so an OFF entry gives a
 * segment after a gap its base and adjacent segments chain; "Priority and Matching
 * Logic": with entries implemented, an S/U access no entry matches fails; access faults:
 * fetch 1, load 5, store/AMO 7, mtval = the faulting address), "Machine Interrupt
 * Registers (mip and mie)" (an interrupt traps to M when the hart runs below M, bit i is
 * set in mip and mie and not in mideleg: mstatus.MIE does not matter then), "Machine
 * Trap Delegation Registers" (medeleg = mideleg = 0: every trap goes to M), "Machine
 * Trap Value Register" (mtval = 0 for ECALL and interrupts).
 *
 * Layout (physical = virtual, satp = 0):
 *   text  [utext_start, utext_end)   R-X  entries 0 (OFF, base) and 1 (TOR)
 *   data  [D, D + 0x2000)            RW-  entries 2 (OFF, base after the gap) and 3 (TOR)
 *   stack [D + 0x2000, D + 0x3000)   RW-  entry 4 (TOR chained on entry 3's address)
 *   gap   [D + 0x3000, D + 0x5000)   no entry
 *   mmap  [D + 0x5000, D + 0x6000)   RW-  entries 5 (OFF, base) and 6 (TOR)
 *   entries 7-15 OFF (address 0)
 * The M-mode trap hook follows a kernel's protocol: on every trap it first writes entry 0
 * NAPOT allow-all (the rest OFF), and before returning to U it writes the segments again.
 *
 * Every trap is printed ("TRAP k mcause=.. mepc=.. mtval=.. mpp=..") and checked against
 * the sequence the program expects (case 10 + k); tests/tests/pmp_segments.rs also
 * compares the printed lines with qemu-system-riscv64's, exactly.
 *
 * PMP changes: the spec lets a hart with paging use PMP answers it cached, including for
 * Bare translation, until M-mode executes SFENCE.VMA x0, x0 after writing the PMP CSRs
 * ("Physical Memory Protection and Paging"). The segments below are rewritten without a
 * fence before the cases that change them (revoking the mmap segment, granting the gap,
 * taking X away from the running text): rvmmu checks PMP synchronously (every PMP write
 * drops whatever it cached), and QEMU 7.2 flushes its TLB on every PMP write, so both
 * show the new permissions at once. Portable software must still fence. */
#include "test.h"

#define PMP_R 0x01UL
#define PMP_W 0x02UL
#define PMP_X 0x04UL
#define PMP_TOR 0x08UL
#define PMP_NAPOT 0x18UL

/* The U program's text: its own pages, nothing else on them. */
extern char utext_start[], utext_end[];
extern char u_st_text[], u_ld_gap[], u_ld_out[], u_st_gap[], u_ecall1[], u_ecall_timer[],
    u_after_timer[], u_ecall_stip[], u_after_stip[], u_ecall_revoke[], u_ld_mmap2[],
    u_ecall_grant[], u_ecall_noexec[], u_after_noexec[];

/* a0 = D. s0 = data, sp = top of stack, s2 = the gap, s3 = mmap, s4 = M's test_case. */
__asm__(
    "    .pushsection .text.useg, \"ax\"\n"
    "    .option push\n"
    "    .option norvc\n"
    "    .balign 4096\n"
    "    .globl utext_start\n"
    "utext_start:\n"
    "    mv    s0, a0\n"
    "    li    t0, 0x3000\n"
    "    add   sp, a0, t0\n"
    "    mv    s2, sp\n"
    "    li    t0, 0x5000\n"
    "    add   s3, a0, t0\n"
    "    la    s4, test_case\n"
    /* inside the segments: data, stack, mmap; across the data/stack chain */
    "    li    t0, 0x1111\n"
    "    sd    t0, 0(s0)\n"
    "    ld    t1, 0(s0)\n"
    "    addi  t1, t1, 0x111\n"
    "    sd    t1, -8(sp)\n"
    "    ld    t2, -8(sp)\n"
    "    addi  t2, t2, 0x111\n"
    "    sd    t2, 0(s3)\n"
    "    ld    t3, 0(s3)\n"
    "    li    t4, 0x1ff8\n"
    "    add   t4, s0, t4\n"
    "    sd    t3, 0(t4)\n"
    "    sd    t3, 8(t4)\n"      /* first dword of the stack segment */
    "    la    t5, utext_start\n"
    "    ld    t6, 0(t5)\n"      /* text is readable */
    "    .globl u_st_text\n"
    "u_st_text:\n"
    "    sd    t0, 0(t5)\n"      /* TRAP 0: store to text, 7 */
    "    .globl u_ld_gap\n"
    "u_ld_gap:\n"
    "    ld    t6, 0(s2)\n"      /* TRAP 1: load from the gap, 5 */
    "    .globl u_ld_out\n"
    "u_ld_out:\n"
    "    ld    t6, 0(s4)\n"      /* TRAP 2: load from M's data, no entry, 5 */
    "    .globl u_st_gap\n"
    "u_st_gap:\n"
    "    sd    t0, 8(s2)\n"      /* TRAP 3: store to the gap, 7 */
    "    jalr  ra, 0(s0)\n"      /* TRAP 4: fetch from data (RW-), 1; resumes at ra */
    "    jalr  ra, 0(s2)\n"      /* TRAP 5: fetch from the gap, 1 */
    "    li    a7, 1\n"
    "    .globl u_ecall1\n"
    "u_ecall1:\n"
    "    ecall\n"                /* TRAP 6: ecall, 8 */
    "    li    a7, 2\n"
    "    .globl u_ecall_timer\n"
    "u_ecall_timer:\n"
    "    ecall\n"                /* TRAP 7: M arms its timer (already due) */
    "    .globl u_after_timer\n"
    "u_after_timer:\n"
    "    addi  t0, t0, 1\n"      /* TRAP 8: machine timer interrupt before this */
    "    li    a7, 3\n"
    "    .globl u_ecall_stip\n"
    "u_ecall_stip:\n"
    "    ecall\n"                /* TRAP 9: M sets mip.STIP, not delegated */
    "    .globl u_after_stip\n"
    "u_after_stip:\n"
    "    addi  t0, t0, 1\n"      /* TRAP 10: supervisor timer interrupt, to M */
    /* use the mmap segment (so that whatever a machine caches about it is warm) */
    "    li    t1, 4\n"
    "1:  ld    t6, 0(s3)\n"
    "    sd    t6, 8(s3)\n"
    "    addi  t1, t1, -1\n"
    "    bnez  t1, 1b\n"
    "    li    a7, 4\n"
    "    .globl u_ecall_revoke\n"
    "u_ecall_revoke:\n"
    "    ecall\n"                /* TRAP 11: M removes the mmap segment */
    "    .globl u_ld_mmap2\n"
    "u_ld_mmap2:\n"
    "    ld    t6, 0(s3)\n"      /* TRAP 12: the segment is gone, 5 */
    "    li    a7, 5\n"
    "    .globl u_ecall_grant\n"
    "u_ecall_grant:\n"
    "    ecall\n"                /* TRAP 13: M grows the stack segment over the gap */
    "    sd    t0, 8(s2)\n"      /* now fine */
    "    ld    t6, 8(s2)\n"
    "    sd    t6, 16(s2)\n"
    "    li    a7, 6\n"
    "    .globl u_ecall_noexec\n"
    "u_ecall_noexec:\n"
    "    ecall\n"                /* TRAP 14: M takes X away from the text */
    "    .globl u_after_noexec\n"
    "u_after_noexec:\n"
    "    addi  t0, t0, 1\n"      /* TRAP 15: fetch fault here, 1; M gives X back */
    "    sd    t0, 24(s2)\n"
    "    li    a7, 0x52554e4d\n" /* RUN_MAGIC: back to run_in_mode's caller */
    "    ecall\n"
    "    .balign 4096\n"
    "    .globl utext_end\n"
    "utext_end:\n"
    "    .option pop\n"
    "    .popsection\n");

static uint8_t seg[6][4096] __attribute__((aligned(4096)));
#define D ((uint64_t)seg)
#define WORD(a) (*(volatile uint64_t *)(uintptr_t)(a))

/* Segment state the hook programs: which changes the program asked for. */
static int mmap_present = 1, gap_granted = 0, text_exec = 1;

static void write_addr(int i, uint64_t v)
{
    switch (i) {
    case 0: write_csr(pmpaddr0, v); break;
    case 1: write_csr(pmpaddr1, v); break;
    case 2: write_csr(pmpaddr2, v); break;
    case 3: write_csr(pmpaddr3, v); break;
    case 4: write_csr(pmpaddr4, v); break;
    case 5: write_csr(pmpaddr5, v); break;
    case 6: write_csr(pmpaddr6, v); break;
    case 7: write_csr(pmpaddr7, v); break;
    case 8: write_csr(pmpaddr8, v); break;
    case 9: write_csr(pmpaddr9, v); break;
    case 10: write_csr(pmpaddr10, v); break;
    case 11: write_csr(pmpaddr11, v); break;
    case 12: write_csr(pmpaddr12, v); break;
    case 13: write_csr(pmpaddr13, v); break;
    case 14: write_csr(pmpaddr14, v); break;
    case 15: write_csr(pmpaddr15, v); break;
    }
}

/* Entry 0 NAPOT over everything, R W X; the rest OFF (what M restores on every trap). */
static void allow_all(void)
{
    write_csr(pmpcfg2, 0);
    write_csr(pmpcfg0, 0);
    for (int i = 1; i < 16; i++)
        write_addr(i, 0);
    write_csr(pmpaddr0, -1UL);
    write_csr(pmpcfg0, PMP_NAPOT | PMP_R | PMP_W | PMP_X);
}

/* The process's segments (see the layout above), all 16 entries written. */
static void program_segments(void)
{
    uint64_t addr[16], cfg[16];
    for (int i = 0; i < 16; i++)
        addr[i] = cfg[i] = 0;
    addr[0] = (uint64_t)utext_start >> 2;
    addr[1] = (uint64_t)utext_end >> 2;
    cfg[1] = PMP_TOR | PMP_R | (text_exec ? PMP_X : 0);
    addr[2] = D >> 2;
    addr[3] = (D + 0x2000) >> 2;
    cfg[3] = PMP_TOR | PMP_R | PMP_W;
    addr[4] = (D + (gap_granted ? 0x5000 : 0x3000)) >> 2;
    cfg[4] = PMP_TOR | PMP_R | PMP_W;
    if (mmap_present) {
        addr[5] = (D + 0x5000) >> 2;
        addr[6] = (D + 0x6000) >> 2;
        cfg[6] = PMP_TOR | PMP_R | PMP_W;
    }
    /* configurations OFF first, so that no half-written segment set is ever active */
    write_csr(pmpcfg0, 0);
    write_csr(pmpcfg2, 0);
    for (int i = 0; i < 16; i++)
        write_addr(i, addr[i]);
    uint64_t c0 = 0, c2 = 0;
    for (int i = 0; i < 8; i++) {
        c0 |= cfg[i] << (8 * i);
        c2 |= cfg[i + 8] << (8 * i);
    }
    write_csr(pmpcfg2, c2);
    write_csr(pmpcfg0, c0);
}

struct expect {
    uint64_t cause, epc, tval;
};
#define NTRAPS 16
static struct expect want[NTRAPS];
static volatile uint64_t ntraps;

static void expect(int k, uint64_t cause, uint64_t epc, uint64_t tval)
{
    want[k].cause = cause;
    want[k].epc = epc;
    want[k].tval = tval;
}

static void print_trap(uint64_t k, struct trap_frame *f)
{
    print("TRAP ");
    print_dec(k);
    print(" mcause=");
    print_hex(f->cause);
    print(" mepc=");
    print_hex(f->epc);
    print(" mtval=");
    print_hex(f->tval);
    print(" mpp=");
    print_dec((f->status & MSTATUS_MPP) >> 11);
    print("\n");
}

static long seg_hook(struct trap_frame *f)
{
    allow_all();
    uint64_t k = ntraps++;
    print_trap(k, f);
    CHECK(10 + k, k < NTRAPS);
    CHECK_EQ(10 + k, (f->status & MSTATUS_MPP) >> 11, PRV_U);
    CHECK_EQ(10 + k, f->cause, want[k].cause);
    CHECK_EQ(10 + k, f->epc, want[k].epc);
    CHECK_EQ(10 + k, f->tval, want[k].tval);
    switch (f->cause) {
    case CAUSE_FETCH_ACCESS:
        if (!text_exec)
            text_exec = 1;           /* resume where the fetch failed */
        else
            f->epc = f->x[1];        /* a jalr into a segment without X: back to ra */
        break;
    case CAUSE_LOAD_ACCESS:
    case CAUSE_STORE_ACCESS:
        f->epc += 4;
        break;
    case CAUSE_ECALL_U:
        switch (f->x[17]) {
        case 2:
            set_csr(mie, MIP_MTIP);
            mtimecmp_write(0);       /* due at once; M's MIE stays 0 */
            break;
        case 3:
            set_csr(mie, MIP_STIP);
            set_csr(mip, MIP_STIP);
            break;
        case 4:
            mmap_present = 0;
            break;
        case 5:
            gap_granted = 1;
            break;
        case 6:
            text_exec = 0;
            break;
        }
        f->epc += 4;
        break;
    case CAUSE_INTERRUPT | IRQ_M_TIMER:
        mtimecmp_write(-1UL);
        clear_csr(mie, MIP_MTIP);
        break;
    case CAUSE_INTERRUPT | IRQ_S_TIMER:
        clear_csr(mip, MIP_STIP);
        clear_csr(mie, MIP_STIP);
        break;
    }
    program_segments();
    return 0;
}

int main(void)
{
    uint64_t gap = D + 0x3000, mmap = D + 0x5000;
    expect(0, CAUSE_STORE_ACCESS, (uint64_t)u_st_text, (uint64_t)utext_start);
    expect(1, CAUSE_LOAD_ACCESS, (uint64_t)u_ld_gap, gap);
    expect(2, CAUSE_LOAD_ACCESS, (uint64_t)u_ld_out, (uint64_t)&test_case);
    expect(3, CAUSE_STORE_ACCESS, (uint64_t)u_st_gap, gap + 8);
    expect(4, CAUSE_FETCH_ACCESS, D, D);
    expect(5, CAUSE_FETCH_ACCESS, gap, gap);
    expect(6, CAUSE_ECALL_U, (uint64_t)u_ecall1, 0);
    expect(7, CAUSE_ECALL_U, (uint64_t)u_ecall_timer, 0);
    expect(8, CAUSE_INTERRUPT | IRQ_M_TIMER, (uint64_t)u_after_timer, 0);
    expect(9, CAUSE_ECALL_U, (uint64_t)u_ecall_stip, 0);
    expect(10, CAUSE_INTERRUPT | IRQ_S_TIMER, (uint64_t)u_after_stip, 0);
    expect(11, CAUSE_ECALL_U, (uint64_t)u_ecall_revoke, 0);
    expect(12, CAUSE_LOAD_ACCESS, (uint64_t)u_ld_mmap2, mmap);
    expect(13, CAUSE_ECALL_U, (uint64_t)u_ecall_grant, 0);
    expect(14, CAUSE_ECALL_U, (uint64_t)u_ecall_noexec, 0);
    expect(15, CAUSE_FETCH_ACCESS, (uint64_t)u_after_noexec, (uint64_t)u_after_noexec);

    /* 1: the layout is what the entries assume */
    CHECK(1, ((uint64_t)utext_start & 0xfff) == 0 && ((uint64_t)utext_end & 0xfff) == 0);
    CHECK(1, (uint64_t)utext_end <= D || (uint64_t)utext_start >= D + sizeof seg);

    /* 2: PMP entries read back as written (TOR, chained, OFF bases) */
    program_segments();
    CHECK_EQ(2, read_csr(pmpaddr1), (uint64_t)utext_end >> 2);
    CHECK_EQ(2, read_csr(pmpaddr4), (D + 0x3000) >> 2);
    CHECK_EQ(2, read_csr(pmpcfg0) & 0xffffffffffffffUL,
             (PMP_TOR | PMP_R | PMP_X) << 8 | (PMP_TOR | PMP_R | PMP_W) << 24 |
                 (PMP_TOR | PMP_R | PMP_W) << 32 | (PMP_TOR | PMP_R | PMP_W) << 48);
    CHECK_EQ(2, read_csr(pmpcfg2), 0);

    /* 3: run the process: satp Bare, nothing delegated, M's interrupts off */
    write_csr(satp, 0);
    write_csr(medeleg, 0);
    write_csr(mideleg, 0);
    write_csr(mie, 0);
    clear_csr(mstatus, MSTATUS_MIE);
    trap_hook = seg_hook;
    run_in_mode(PRV_U, (long (*)(long))utext_start, (long)D);
    trap_hook = 0;
    allow_all();
    CHECK_EQ(3, ntraps, NTRAPS);

    /* 4: what the process stored, where it was allowed to */
    CHECK_EQ(4, WORD(D), 0x1111);
    CHECK_EQ(4, WORD(D + 0x3000 - 8), 0x1222);
    CHECK_EQ(4, WORD(mmap), 0x1333);
    CHECK_EQ(4, WORD(D + 0x1ff8), 0x1333);
    CHECK_EQ(4, WORD(D + 0x2000), 0x1333);
    CHECK_EQ(4, WORD(mmap + 8), 0x1333);
    CHECK_EQ(4, WORD(gap + 8), 0x1113);     /* after the grant: t0 + 2 */
    CHECK_EQ(4, WORD(gap + 16), 0x1113);
    CHECK_EQ(4, WORD(gap + 24), 0x1114);
    CHECK_EQ(4, *(volatile uint32_t *)utext_start, 0x00050413); /* mv s0,a0: not overwritten */
    return 0;
}
