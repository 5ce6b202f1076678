/* Assembly-side test macros (riscv-tests style, written for rvmmu).
 *
 * Register conventions inside the macros: t5/t6 are scratch, results are
 * compared with CHECK_EQ which, on mismatch, calls fail_values(got, want)
 * (prints both and fails the current case). Data registers used by the
 * table macros: a1, a2 sources, a3 result.
 */
#ifndef RVMMU_TESTS_TEST_ASM_H
#define RVMMU_TESTS_TEST_ASM_H
#include "encoding.h"

#ifdef __ASSEMBLER__

/* Start case n: record it in test_case so failures and unexpected traps name it. */
#define CASE(n) \
    li t6, n; la t5, test_case; sd t6, 0(t5)

/* Fail the current case unless got == want (registers, neither sp nor t5). */
#define CHECK_EQ(got, want) \
    beq got, want, 9876f; \
    addi sp, sp, -16; sd got, 0(sp); sd want, 8(sp); \
    ld a0, 0(sp); ld a1, 8(sp); addi sp, sp, 16; \
    j fail_values; \
9876:

/* Fail the current case unless reg == imm (reg must not be t6). */
#define CHECK_IMM(reg, imm) li t6, imm; CHECK_EQ(reg, t6)

/* rd = inst rs1, rs2 */
#define TEST_RR(n, inst, expect, v1, v2) \
    CASE(n); li a1, v1; li a2, v2; inst a3, a1, a2; CHECK_IMM(a3, expect)
/* rd = inst rs1, imm */
#define TEST_RI(n, inst, expect, v1, imm) \
    CASE(n); li a1, v1; inst a3, a1, imm; CHECK_IMM(a3, expect)
/* rd = inst rs1 (unary, e.g. sext.w) */
#define TEST_R(n, inst, expect, v1) \
    CASE(n); li a1, v1; inst a3, a1; CHECK_IMM(a3, expect)
/* rd == rs1 == rs2 */
#define TEST_RR_SAME(n, inst, expect, v1) \
    CASE(n); li a1, v1; inst a1, a1, a1; CHECK_IMM(a1, expect)
/* rd == rs1 */
#define TEST_RR_DST1(n, inst, expect, v1, v2) \
    CASE(n); li a1, v1; li a2, v2; inst a1, a1, a2; CHECK_IMM(a1, expect)
/* rd == rs2 */
#define TEST_RR_DST2(n, inst, expect, v1, v2) \
    CASE(n); li a1, v1; li a2, v2; inst a2, a1, a2; CHECK_IMM(a2, expect)
/* write to x0 is discarded */
#define TEST_RR_ZERO(n, inst, v1, v2) \
    CASE(n); li a1, v1; li a2, v2; inst x0, a1, a2; CHECK_EQ(x0, zero)

/* Known spec-vs-QEMU difference: when the QEMU harness flagged the run,
 * print "SKIP case <n> on QEMU: <reason>" and jump to label. Clobbers
 * caller-saved registers. */
#define SKIP_ON_QEMU(label, reason) \
    .pushsection .rodata; 9875: .asciz reason; .popsection; \
    la a0, 9875b; call skip_on_qemu; bnez a0, label

/* Finish: main returns 0 to crt0, which reports PASS. */
#define TEST_PASS \
    li a0, 0; call test_exit

#endif /* __ASSEMBLER__ */
#endif
