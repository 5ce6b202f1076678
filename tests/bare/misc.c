/* misc: Zifencei (self-modifying code), Zicntr counters, WFI wake-up.
 * Spec: unpriv/zifencei.adoc (FENCE.I makes stores to instruction memory
 * visible to subsequent fetches of the same hart), unpriv/zicntr.adoc and
 * unpriv/zicsr.adoc ("if a CSR access instruction reads a CSR [such as
 * instret], it reads the value prior to the execution of the instruction";
 * "a value written to instret by one instruction will be the value read by
 * the following instruction"), priv/machine.adoc ("Hardware Performance
 * Monitor": time is a read-only shadow of mtime; "Wait for Interrupt").
 *
 * Counters are checked by ordering and by exact instret arithmetic only,
 * never against absolute time. QEMU 7.2 (without -icount) derives instret
 * from the host's cycle counter, so the exact-count cases 20-22 are skipped
 * there (with -icount shift=0 they pass); and QEMU counts the CSRW that wrote
 * minstret, against zicsr.adoc, so cases 23-24 are skipped there too. */
#include "test.h"

#define INSN_LI_A0(imm) (((uint32_t)(imm) << 20) | 0x513u)   /* addi a0, zero, imm */
#define INSN_RET        0x00008067u                        /* jalr x0, 0(ra) */

/* code buffer in .data (RAM is RWX: no PMP checks, no paging) */
static uint32_t code_buf[16] __attribute__((aligned(64)));

/* patchable function in .text: li a0, 1; ret (uncompressed) */
__asm__(".text\n .balign 4\n .option push\n .option norvc\n"
        "patchable:\n li a0, 1\n ret\n .option pop\n");
long patchable(void);

static long call_buf(void)
{
    return ((long (*)(void))(uintptr_t)code_buf)();
}

static long u_smc(long imm)
{
    code_buf[0] = INSN_LI_A0(imm);
    code_buf[1] = INSN_RET;
    __asm__ volatile("fence.i" ::: "memory");
    return call_buf();
}

/* The WFI loop below enables MIE right before "1: wfi; j 1b". The hook leaves
 * the loop by resuming at wfi_exit, so no WFI can run after the (only)
 * interrupt, however early it arrives. */
static volatile uint64_t wfi_hits, wfi_epc, wfi_loop, wfi_exit;
static long wfi_hook(struct trap_frame *f)
{
    if (f->cause != (CAUSE_INTERRUPT | IRQ_M_TIMER))
        return 1;
    wfi_hits++;
    wfi_epc = f->epc;
    mtimecmp_write(-1UL);
    if (f->epc >= wfi_loop && f->epc <= wfi_loop + 4)
        f->epc = wfi_exit;
    return 0;
}

int main(void)
{
    long r;

    /* ---- FENCE.I: self-modifying code ---- */
    code_buf[0] = INSN_LI_A0(1);
    code_buf[1] = INSN_RET;
    __asm__ volatile("fence.i" ::: "memory");
    CHECK_EQ(1, call_buf(), 1);
    code_buf[0] = INSN_LI_A0(2);                             /* after it has been executed */
    __asm__ volatile("fence.i" ::: "memory");
    CHECK_EQ(2, call_buf(), 2);
    for (int i = 3; i < 8; i++) {                            /* repeatedly */
        code_buf[0] = INSN_LI_A0(i);
        __asm__ volatile("fence.i" ::: "memory");
        CHECK_EQ(3, call_buf(), i);
    }
    volatile uint16_t *half = (volatile uint16_t *)(uintptr_t)code_buf;
    half[0] = 0x4515;                                        /* c.li a0, 5 */
    half[1] = 0x8082;                                        /* c.jr ra */
    __asm__ volatile("fence.i" ::: "memory");
    CHECK_EQ(4, call_buf(), 5);
    CHECK_EQ(5, patchable(), 1);                             /* code in .text */
    *(volatile uint32_t *)(uintptr_t)patchable = INSN_LI_A0(77);
    __asm__ volatile("fence.i" ::: "memory");
    CHECK_EQ(5, patchable(), 77);
    *(volatile uint32_t *)(uintptr_t)patchable = INSN_LI_A0(1);
    __asm__ volatile("fence.i" ::: "memory");
    CHECK_EQ(6, run_in_mode(PRV_U, u_smc, 99), 99);          /* FENCE.I is unprivileged */
    CHECK_EQ(7, run_in_mode(PRV_S, u_smc, -5), -5);

    /* ---- counters: monotonic; time shadows mtime ---- */
    uint64_t c0 = read_csr(cycle), i0 = read_csr(instret), t0 = read_csr(time);
    for (volatile int i = 0; i < 1000; i++)
        ;
    uint64_t c1 = read_csr(cycle), i1 = read_csr(instret), t1 = read_csr(time);
    CHECK(10, c1 > c0);
    CHECK(11, i1 >= i0 + 1000);                              /* >= 1000 loop iterations retired */
    CHECK(12, t1 >= t0);
    CHECK_EQ(13, read_csr(mcycle) >= c1, 1);
    CHECK_EQ(13, read_csr(minstret) >= i1, 1);
    uint64_t m0 = mtime_read();
    uint64_t tc = read_csr(time);
    uint64_t m1 = mtime_read();
    CHECK(14, m0 <= tc && tc <= m1);                         /* time is a shadow of mtime */
    /* time advances (bounded wait, no assumption about the rate) */
    r = 0;
    for (long i = 0; i < 1000000 && read_csr(time) == t1; i++)
        r++;
    CHECK(15, read_csr(time) != t1);

    /* ---- instret counts exactly (zicsr.adoc: a CSR read sees the value before the instruction) ---- */
    uint64_t a, b;
    CASE(20);
    if (!skip_on_qemu("QEMU 7.2 without -icount reads instret from the host cycle counter (cases 20-22)")) {
        __asm__ volatile(".option push\n.option norvc\n"
                         "csrr %0, instret\n csrr %1, instret\n .option pop" : "=r"(a), "=r"(b));
        CHECK_EQ(20, b - a, 1);                              /* back-to-back reads differ by 1 */
        __asm__ volatile("csrr %0, minstret\n csrr %1, minstret" : "=r"(a), "=r"(b));
        CHECK_EQ(21, b - a, 1);
        __asm__ volatile("csrr %0, instret\n nop\n nop\n nop\n nop\n nop\n nop\n nop\n nop\n nop\n nop\n"
                         "csrr %1, instret" : "=r"(a), "=r"(b));
        CHECK_EQ(22, b - a, 11);                             /* 10 nops + the first csrr */
    }
    CASE(23);
    if (!skip_on_qemu("QEMU 7.2 also counts the csrw that wrote minstret, even with -icount (cases 23-24)")) {
        __asm__ volatile("li t0, 1000\n csrw minstret, t0\n csrr %0, minstret\n csrr %1, minstret"
                         : "=r"(a), "=r"(b) :: "t0");
        CHECK_EQ(23, a, 1000);                               /* the write replaces the increment */
        CHECK_EQ(24, b, 1001);
    }
    /* mcycle is writable; it keeps counting from the written value */
    write_csr(mcycle, 1UL << 40);
    CHECK(25, read_csr(cycle) >= (1UL << 40));

    /* ---- WFI: returns on a timer interrupt, which is then taken ---- */
    trap_hook = wfi_hook;
    write_csr(mie, MIP_MTIP);
    mtimecmp_write(mtime_read() + 100);
    __asm__ volatile(".option push\n.option norvc\n"
                     "la t0, 1f\n sd t0, 0(%0)\n"
                     "la t0, 3f\n sd t0, 0(%1)\n"
                     "csrsi mstatus, 8\n"
                     "1: wfi\n"
                     "2: j 1b\n"
                     "3: csrci mstatus, 8\n"
                     ".option pop" :: "r"(&wfi_loop), "r"(&wfi_exit) : "t0", "memory");
    CHECK_EQ(30, wfi_hits, 1);
    /* a stalled WFI takes the interrupt on the next instruction (mepc = pc + 4);
     * an interrupt already pending is taken before the WFI (mepc = its pc) */
    CHECK(31, wfi_epc == wfi_loop || wfi_epc == wfi_loop + 4);
    write_csr(mie, 0);
    trap_hook = 0;
    (void)r;
    return 0;
}
