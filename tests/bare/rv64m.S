/* rv64m: the M extension on RV64.
 * Spec: unpriv/m-st-ext.adoc ("Multiplication Operations", "Division
 * Operations", table "Semantics for division by zero and division
 * overflow"): x/0 -> quotient all ones (DIV: -1, DIVU: 2^XLEN-1),
 * remainder = dividend; signed overflow -2^(L-1)/-1 -> quotient = dividend,
 * remainder 0. No exception in any case. W forms use the low 32 bits of the
 * operands and sign-extend the 32-bit result (also for DIVUW/REMUW). */
#include "test_asm.h"

#define MIN64 0x8000000000000000
#define MAX64 0x7fffffffffffffff

    .text
    .globl main
main:
    /* ---- MUL: low XLEN bits ---- */
    TEST_RR(1,  mul, 0x0000000000000000, 0, 0x1234)
    TEST_RR(2,  mul, 0x0000000000000006, 2, 3)
    TEST_RR(3,  mul, 0xfffffffffffffffb, -1, 5)
    TEST_RR(4,  mul, 0x0000000000000001, MAX64, MAX64)
    TEST_RR(5,  mul, 0x0000000000000000, MIN64, 2)
    TEST_RR(6,  mul, 0x22236d88fe5618cf, 0x0123456789abcdef, 0x0fedcba987654321)

    /* ---- MULH / MULHU / MULHSU: high XLEN bits of the 2*XLEN product ---- */
    TEST_RR(10, mulh,   0x0000000000000000, -1, -1)
    TEST_RR(11, mulhu,  0xfffffffffffffffe, -1, -1)
    TEST_RR(12, mulhsu, 0xffffffffffffffff, -1, -1)     /* -1 * (2^64-1) */
    TEST_RR(13, mulh,   0x4000000000000000, MIN64, MIN64)
    TEST_RR(14, mulhu,  0x4000000000000000, MIN64, MIN64)
    TEST_RR(15, mulhsu, 0xc000000000000000, MIN64, MIN64) /* -2^63 * 2^63 */
    TEST_RR(16, mulh,   0x3fffffffffffffff, MAX64, MAX64)
    TEST_RR(17, mulhsu, 0x0000000000000004, 5, -1)      /* 5 * (2^64-1) */
    TEST_RR(18, mulh,   0xffffffffffffffff, -5, 3)
    TEST_RR(19, mulhu,  0x0000000000000002, -5, 3)
    TEST_RR(20, mulhsu, 0xffffffffffffffff, -5, 3)
    TEST_RR(21, mulh,   0x0000000000000000, MIN64, 0)
    TEST_RR(22, mulhu,  0x0000000000000000, 0x00000000ffffffff, 0x00000000ffffffff)
    TEST_RR(23, mulhu,  0x00b6c222d8e444fa, 0x0123456789abcdef, 0xa0a0a0a0a0a0a0a0)
    TEST_RR(24, mulh,   0xff937cbb4f38770b, 0x0123456789abcdef, 0xa0a0a0a0a0a0a0a0)
    TEST_RR(25, mulhsu, 0x00b6c222d8e444fa, 0x0123456789abcdef, 0xa0a0a0a0a0a0a0a0)

    /* ---- MULW: low 32 bits of rs1[31:0]*rs2[31:0], sign-extended ---- */
    TEST_RR(30, mulw, 0xfffffffffffffffe, 0x7fffffff, 2)
    TEST_RR(31, mulw, 0x000000000000000f, 0x100000003, 0x200000005) /* upper bits ignored */
    TEST_RR(32, mulw, 0x0000000000000001, -1, -1)
    TEST_RR(33, mulw, 0xffffffff80000000, 0x40000000, 2)

    /* ---- DIV / DIVU / REM / REMU ---- */
    TEST_RR(40, div,  0xfffffffffffffffd, -7, 2)          /* rounds toward zero */
    TEST_RR(41, div,  0xfffffffffffffffd, 7, -2)
    TEST_RR(42, div,  0x0000000000000003, -7, -2)
    TEST_RR(43, rem,  0xffffffffffffffff, -7, 2)          /* sign of the dividend */
    TEST_RR(44, rem,  0x0000000000000001, 7, -2)
    TEST_RR(45, rem,  0xffffffffffffffff, -7, -2)
    TEST_RR(46, divu, 0x7ffffffffffffffc, -7, 2)
    TEST_RR(47, remu, 0x0000000000000001, -7, 2)
    TEST_RR(48, divu, 0x0000000000000000, 5, -1)
    TEST_RR(49, remu, 0x0000000000000005, 5, -1)
    /* division by zero */
    TEST_RR(50, div,  0xffffffffffffffff, 12345, 0)
    TEST_RR(51, div,  0xffffffffffffffff, -12345, 0)
    TEST_RR(52, divu, 0xffffffffffffffff, 12345, 0)
    TEST_RR(53, rem,  12345, 12345, 0)
    TEST_RR(54, rem,  -12345, -12345, 0)
    TEST_RR(55, remu, 0xfedcba9876543210, 0xfedcba9876543210, 0)
    TEST_RR(56, div,  0xffffffffffffffff, 0, 0)
    /* signed overflow */
    TEST_RR(57, div,  MIN64, MIN64, -1)
    TEST_RR(58, rem,  0, MIN64, -1)
    TEST_RR(59, divu, 0x0000000000000000, MIN64, -1)
    TEST_RR(60, remu, MIN64, MIN64, -1)

    /* ---- DIVW / DIVUW / REMW / REMUW ---- */
    TEST_RR(70, divw,  0xfffffffffffffffd, -7, 2)
    TEST_RR(71, divw,  0x0000000000000002, 0x100000006, 3)    /* upper bits ignored */
    TEST_RR(72, divuw, 0x000000007ffffffc, -7, 2)
    TEST_RR(73, divuw, 0xffffffff80000000, 0x80000000, 1)     /* 32-bit result sign-extended */
    TEST_RR(74, remw,  0xffffffffffffffff, -7, 2)
    TEST_RR(75, remuw, 0x0000000000000001, -7, 2)
    TEST_RR(76, remuw, 0xfffffffffffffffe, 0xfffffffe, 0xffffffff) /* 0xfffffffe sign-extended */
    /* W division by zero: quotient -1 (DIVUW: 2^32-1 sign-extended = -1), remainder = sext(dividend[31:0]) */
    TEST_RR(77, divw,  0xffffffffffffffff, 0x1234, 0)
    TEST_RR(78, divuw, 0xffffffffffffffff, 0x1234, 0)
    TEST_RR(79, remw,  0xffffffff80001234, 0x1280001234, 0)
    TEST_RR(80, remuw, 0xffffffff80001234, 0x1280001234, 0)
    TEST_RR(81, divw,  0xffffffffffffffff, 0x1234, 0x500000000) /* rs2[31:0] == 0 */
    /* W signed overflow: -2^31 / -1 */
    TEST_RR(82, divw,  0xffffffff80000000, 0x80000000, -1)
    TEST_RR(83, remw,  0x0000000000000000, 0x80000000, -1)
    TEST_RR(84, divuw, 0x0000000000000000, 0x80000000, -1)
    TEST_RR(85, remuw, 0xffffffff80000000, 0x80000000, -1)

    /* ---- rd aliasing and rd = x0 ---- */
    TEST_RR_SAME(90, mul, 0x0000000000000009, 3)
    TEST_RR_SAME(91, div, 0x0000000000000001, -9)
    TEST_RR_DST1(92, rem, 0x0000000000000002, 17, 5)
    TEST_RR_DST2(93, divu, 0x0000000000000003, 17, 5)
    TEST_RR_ZERO(94, div, 5, 0)

    TEST_PASS
