/* rv64i: the RV64I base integer instruction set.
 * Spec: unpriv/rv-32-64g.adoc / base.adoc ("RV32I Base Integer Instruction
 * Set": integer computational instructions, control transfer, load/store)
 * and rv64.adoc ("RV64I Base Integer Instruction Set": W forms, 6-bit shift
 * amounts, LWU/LD/SD). Every case is numbered; a failure names it. */
#include "test_asm.h"

    .text
    .globl main
main:
    /* ---- 2.4.1 Integer register-immediate: ADDI, SLTI(U), ANDI/ORI/XORI ---- */
    TEST_RI(1,  addi, 0x0000000000000000, 0, 0)
    TEST_RI(2,  addi, 0x0000000000000002, 1, 1)
    TEST_RI(3,  addi, 0xfffffffffffff800, 0, -2048)       /* imm sign-extended */
    TEST_RI(4,  addi, 0x00000000000007ff, 0, 2047)
    TEST_RI(5,  addi, 0x8000000000000000, 0x7fffffffffffffff, 1) /* wraps, no trap */
    TEST_RI(6,  addi, 0xffffffffffffffff, 0, -1)
    TEST_RI(7,  slti, 1, -1, 0)
    TEST_RI(8,  slti, 0, 0, -1)
    TEST_RI(9,  slti, 0, 5, 5)
    TEST_RI(10, sltiu, 1, 0, -1)                          /* -1 is 2^64-1 unsigned */
    TEST_RI(11, sltiu, 0, -1, 1)
    TEST_RI(12, sltiu, 1, 0, 1)                           /* seqz idiom */
    TEST_RI(13, andi, 0x000000000000070f, 0x0000ff0f0f0f0f0f, 0x70f)
    TEST_RI(14, andi, 0x0000ff0f0f0f0f0f, 0x0000ff0f0f0f0f0f, -1)
    TEST_RI(15, ori,  0xfffffffffffff80f, 0x000000000000000f, -2048)
    TEST_RI(16, xori, 0xff00ff00ff00f0ff, 0x00ff00ff00ff0f00, -1) /* not */
    TEST_RI(17, xori, 0x00ff00ff00ff0ff0, 0x00ff00ff00ff0f0f, 0xff)

    /* ---- shifts by immediate, RV64: shamt is 6 bits ---- */
    TEST_RI(20, slli, 0x8000000000000000, 1, 63)
    TEST_RI(21, slli, 0x0000000080000000, 1, 31)
    TEST_RI(22, slli, 0x2121212121212121, 0x2121212121212121, 0)
    TEST_RI(23, srli, 0x0000000000000001, 0x8000000000000000, 63)
    TEST_RI(24, srli, 0x0000000100000000, 0x8000000000000000, 31)
    TEST_RI(25, srai, 0xffffffffffffffff, 0x8000000000000000, 63)
    TEST_RI(26, srai, 0xffffffff00000000, 0x8000000000000000, 31)
    TEST_RI(27, srai, 0x0000000000000000, 0x7fffffffffffffff, 63)
    TEST_RI(28, srai, 0xfffffffff8000000, 0xffffffff80000000, 4)

    /* ---- register-register ---- */
    TEST_RR(30, add, 0x0000000000000000, 0x7fffffffffffffff, 0x8000000000000001)
    TEST_RR(31, add, 0x8000000000000000, 0x7fffffffffffffff, 1)
    TEST_RR(32, add, 0xfffffffffffffffe, -1, -1)
    TEST_RR(33, sub, 0xffffffffffffffff, 0, 1)
    TEST_RR(34, sub, 0x7fffffffffffffff, 0x8000000000000000, 1)
    TEST_RR(35, sub, 0x0000000000000000, 12345, 12345)
    TEST_RR(36, slt, 1, 0x8000000000000000, 0x7fffffffffffffff)
    TEST_RR(37, slt, 0, 0x7fffffffffffffff, 0x8000000000000000)
    TEST_RR(38, sltu, 0, 0x8000000000000000, 0x7fffffffffffffff)
    TEST_RR(39, sltu, 1, 0x7fffffffffffffff, 0x8000000000000000)
    TEST_RR(40, sltu, 0, 7, 7)
    TEST_RR(41, and, 0x0f000f000f000f00, 0xff00ff00ff00ff00, 0x0f0f0f0f0f0f0f0f)
    TEST_RR(42, or,  0xff0fff0fff0fff0f, 0xff00ff00ff00ff00, 0x0f0f0f0f0f0f0f0f)
    TEST_RR(43, xor, 0xf00ff00ff00ff00f, 0xff00ff00ff00ff00, 0x0f0f0f0f0f0f0f0f)
    TEST_RR(44, sll, 0x8000000000000000, 1, 63)
    TEST_RR(45, sll, 0x0000000000000002, 1, 65)           /* only rs2[5:0] used */
    TEST_RR(46, sll, 0x8000000000000000, 1, -1)           /* rs2 = ...111111 -> 63 */
    TEST_RR(47, srl, 0x0000000000000001, 0x8000000000000000, 63)
    TEST_RR(48, srl, 0x4000000000000000, 0x8000000000000000, 0x41)
    TEST_RR(49, sra, 0xffffffffffffffff, 0x8000000000000000, 63)
    TEST_RR(50, sra, 0xc000000000000000, 0x8000000000000000, 0x41)
    TEST_RR(51, sra, 0x0000000000000001, 0x4000000000000000, 62)
    TEST_RR(52, sll, 0x0000000080000000, 1, 31)
    TEST_RR(53, srl, 0x0000000100000000, 0x8000000000000000, 31)
    TEST_RR(54, sra, 0xffffffff00000000, 0x8000000000000000, 31)

    /* ---- rd == rs1 == rs2 and rd aliasing a source ---- */
    TEST_RR_SAME(56, add, 0x0000000000000022, 0x11)
    TEST_RR_SAME(57, sub, 0, 0x1234)
    TEST_RR_DST1(58, sub, 0x0000000000000002, 5, 3)
    TEST_RR_DST2(59, sub, 0x0000000000000002, 5, 3)

    /* ---- RV64I W forms: operate on low 32 bits, sign-extend result (rv64.adoc) ---- */
    TEST_RI(60, addiw, 0xffffffff80000000, 0x7fffffff, 1)
    TEST_RI(61, addiw, 0x0000000000000000, 0xffffffff, 1)
    TEST_RI(62, addiw, 0x0000000000000001, 0x1234567800000000, 1) /* upper bits ignored */
    TEST_RI(63, addiw, 0xffffffffffffffff, 0, -1)
    TEST_R(64,  sext.w, 0xffffffff87654321, 0x0123456787654321)   /* addiw rd, rs, 0 */
    TEST_R(65,  sext.w, 0x0000000012345678, 0xffffffff12345678)
    TEST_RR(66, addw, 0xffffffff80000000, 0x7fffffff, 1)
    TEST_RR(67, addw, 0x0000000000000000, 0xffffffff80000000, 0x80000000)
    TEST_RR(68, subw, 0x000000007fffffff, 0x80000000, 1)
    TEST_RR(69, subw, 0xffffffffffffffff, 0x100000000, 1)
    TEST_RI(70, slliw, 0xffffffff80000000, 1, 31)
    TEST_RI(71, slliw, 0x0000000000000000, 0x100000000, 1)
    TEST_RI(72, srliw, 0x0000000000000001, 0x80000000, 31)
    TEST_RI(73, srliw, 0xffffffff80000000, 0x80000000, 0)   /* result bit 31 sign-extends */
    TEST_RI(74, srliw, 0x0000000000000001, 0xffffffff80000000, 31)
    TEST_RI(75, srliw, 0x000000007fffffff, 0x12345678fffffffe, 1)
    TEST_RI(76, sraiw, 0xffffffffffffffff, 0x80000000, 31)
    TEST_RI(77, sraiw, 0x0000000000000000, 0x7fffffff, 31)
    TEST_RI(78, sraiw, 0xfffffffff8000000, 0x0000000080000000, 4)
    TEST_RR(79, sllw, 0xffffffff80000000, 1, 31)
    TEST_RR(80, sllw, 0x0000000000000002, 1, 33)          /* only rs2[4:0] used */
    TEST_RR(81, srlw, 0x0000000000000001, 0xffffffff80000000, 31)
    TEST_RR(82, srlw, 0x0000000040000000, 0x80000000, 0x21)
    TEST_RR(83, sraw, 0xffffffffffffffff, 0x80000000, 31)
    TEST_RR(84, sraw, 0xffffffffc0000000, 0x80000000, 0x21)
    TEST_RR(85, sraw, 0x0000000000000001, 0xffffffff7fffffff, 30)

    /* ---- LUI / AUIPC ---- */
    CASE(90)
    lui     a3, 0x80000                 /* bit 31 set: sign-extended to 64 bits */
    CHECK_IMM(a3, 0xffffffff80000000)
    CASE(91)
    lui     a3, 0x7ffff
    CHECK_IMM(a3, 0x000000007ffff000)
    CASE(92)
    lui     a3, 0xfffff
    addi    a3, a3, -1
    CHECK_IMM(a3, 0xffffffffffffefff)
    CASE(93)
1:  auipc   a3, 0                       /* pc of the auipc itself */
    la      a4, 1b
    CHECK_EQ(a3, a4)
    CASE(94)
2:  auipc   a3, 1
    la      a4, 2b
    li      t6, 0x1000
    add     a4, a4, t6
    CHECK_EQ(a3, a4)
    CASE(95)
3:  auipc   a3, 0xfffff                 /* negative offset: pc - 0x1000 */
    la      a4, 3b
    li      t6, -0x1000
    add     a4, a4, t6
    CHECK_EQ(a3, a4)

    /* ---- conditional branches: taken and not taken ---- */
#define BR_TAKEN(n, br, v1, v2) \
    CASE(n); li a1, v1; li a2, v2; br a1, a2, 4f; j fail; 4:
#define BR_NOT(n, br, v1, v2) \
    CASE(n); li a1, v1; li a2, v2; br a1, a2, fail_far_##n; j 5f; fail_far_##n: j fail; 5:
    BR_TAKEN(100, beq, 3, 3)
    BR_NOT(101, beq, 3, 4)
    BR_TAKEN(102, bne, 3, 4)
    BR_NOT(103, bne, -1, -1)
    BR_TAKEN(104, blt, -1, 0)
    BR_NOT(105, blt, 0, -1)
    BR_NOT(106, blt, 5, 5)
    BR_TAKEN(107, bge, 0, -1)
    BR_TAKEN(108, bge, 5, 5)
    BR_NOT(109, bge, -1, 0)
    BR_TAKEN(110, bltu, 0, -1)
    BR_NOT(111, bltu, -1, 0)
    BR_NOT(112, bltu, 5, 5)
    BR_TAKEN(113, bgeu, -1, 0)
    BR_TAKEN(114, bgeu, 5, 5)
    BR_NOT(115, bgeu, 0, -1)
    BR_TAKEN(116, blt, 0x8000000000000000, 0x7fffffffffffffff)
    BR_TAKEN(117, bltu, 0x7fffffffffffffff, 0x8000000000000000)
    /* backward branch */
    CASE(118)
    li      a1, 3
    li      a3, 0
6:  addi    a3, a3, 1
    addi    a1, a1, -1
    bnez    a1, 6b
    CHECK_IMM(a3, 3)

    /* ---- JAL / JALR ---- */
    CASE(120)
    jal     a3, 7f                      /* link = pc + 4 */
8:  j       fail
7:  la      a4, 8b
    CHECK_EQ(a3, a4)
    CASE(121)
    la      a1, 9f
    jalr    a3, 0(a1)
10: j       fail
9:  la      a4, 10b
    CHECK_EQ(a3, a4)
    CASE(122)                           /* target = (rs1 + imm) & ~1 */
    la      a1, 11f
    addi    a1, a1, -3
    jalr    a3, 4(a1)                   /* a1 + 4 = label + 1: bit 0 cleared */
    j       fail
    .balign 4
11: CASE(123)
    la      a1, 12f
    addi    a1, a1, 1                   /* odd register value, imm 0 */
    jalr    x0, 0(a1)
    j       fail
    .balign 4
12: CASE(124)                           /* rd == rs1: target uses old rs1 */
    la      a1, 13f
    jalr    a1, 0(a1)
14: j       fail
13: la      a4, 14b
    CHECK_EQ(a1, a4)
    CASE(125)                           /* negative immediate */
    la      a1, 15f
    addi    a1, a1, 16
    jalr    x0, -16(a1)
    j       fail
15: CASE(126)                           /* jal x0 does not write x0 */
    jal     x0, 16f
    j       fail
16: mv      a3, x0
    CHECK_IMM(a3, 0)

    /* ---- loads: each width, sign/zero extension ---- */
    la      s0, load_data               /* 0x8182838485868788, 0x0102030405060708 */
    CASE(130); lb  a3, 0(s0);  CHECK_IMM(a3, 0xffffffffffffff88)
    CASE(131); lbu a3, 0(s0);  CHECK_IMM(a3, 0x0000000000000088)
    CASE(132); lb  a3, 8(s0);  CHECK_IMM(a3, 0x0000000000000008)
    CASE(133); lh  a3, 0(s0);  CHECK_IMM(a3, 0xffffffffffff8788)
    CASE(134); lhu a3, 0(s0);  CHECK_IMM(a3, 0x0000000000008788)
    CASE(135); lh  a3, 8(s0);  CHECK_IMM(a3, 0x0000000000000708)
    CASE(136); lw  a3, 0(s0);  CHECK_IMM(a3, 0xffffffff85868788)
    CASE(137); lwu a3, 0(s0);  CHECK_IMM(a3, 0x0000000085868788)
    CASE(138); lw  a3, 4(s0);  CHECK_IMM(a3, 0xffffffff81828384)
    CASE(139); lw  a3, 8(s0);  CHECK_IMM(a3, 0x0000000005060708)
    CASE(140); ld  a3, 0(s0);  CHECK_IMM(a3, 0x8182838485868788)
    CASE(141); ld  a3, 8(s0);  CHECK_IMM(a3, 0x0102030405060708)
    CASE(142); lb  a3, 7(s0);  CHECK_IMM(a3, 0xffffffffffffff81)
    CASE(143); lhu a3, 6(s0);  CHECK_IMM(a3, 0x0000000000008182)
    CASE(144); addi a1, s0, 16; ld a3, -16(a1); CHECK_IMM(a3, 0x8182838485868788) /* negative offset */
    CASE(145); addi a1, s0, 8; ld a1, 0(a1); CHECK_IMM(a1, 0x0102030405060708)  /* rd == rs1 */

    /* ---- stores: each width writes exactly its bytes ---- */
    la      s1, store_buf
    li      a1, -1
    sd      a1, 0(s1)
    sd      a1, 8(s1)
    li      a2, 0x1122334455667788
    CASE(150)
    sb      a2, 0(s1)
    ld      a3, 0(s1)
    CHECK_IMM(a3, 0xffffffffffffff88)
    CASE(151)
    sh      a2, 2(s1)
    ld      a3, 0(s1)
    CHECK_IMM(a3, 0xffffffff7788ff88)
    CASE(152)
    sw      a2, 4(s1)
    ld      a3, 0(s1)
    CHECK_IMM(a3, 0x556677887788ff88)
    CASE(153)
    sd      a2, 8(s1)
    ld      a3, 8(s1)
    CHECK_IMM(a3, 0x1122334455667788)
    CASE(154)                           /* negative offset */
    addi    a1, s1, 16
    sb      zero, -1(a1)
    ld      a3, 8(s1)
    CHECK_IMM(a3, 0x0022334455667788)
    CASE(155)                           /* x0 as store data */
    sd      zero, 0(s1)
    ld      a3, 0(s1)
    CHECK_IMM(a3, 0)

    /* ---- x0 is hard-wired to zero ---- */
    CASE(160)
    li      x0, 123                     /* addi x0, x0, 123 */
    mv      a3, x0
    CHECK_IMM(a3, 0)
    CASE(161)
    li      a1, 5
    add     x0, a1, a1
    add     a3, x0, x0
    CHECK_IMM(a3, 0)
    CASE(162)
    lui     x0, 0x12345
    or      a3, x0, zero
    CHECK_IMM(a3, 0)
    CASE(163)
    ld      x0, 0(s0)                   /* load into x0: performed, value discarded */
    mv      a3, x0
    CHECK_IMM(a3, 0)
    CASE(164)
    auipc   x0, 1
    sub     a3, x0, zero
    CHECK_IMM(a3, 0)

    /* ---- FENCE / FENCE.TSO / PAUSE execute as no-ops for a single hart ---- */
    CASE(170)
    li      a3, 7
    fence
    fence   rw, rw
    fence.tso
    .word   0x0100000f                  /* PAUSE: FENCE pred=W succ=0 (a FENCE hint, Zihintpause) */
    CHECK_IMM(a3, 7)
    /* NOP and HINTs in ADDI/LUI/... with rd = x0 */
    CASE(171)
    nop
    slti    x0, a3, 1
    CHECK_IMM(a3, 7)

    TEST_PASS

    .data
    .balign 8
load_data:
    .dword 0x8182838485868788
    .dword 0x0102030405060708
store_buf:
    .dword 0, 0
