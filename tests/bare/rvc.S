/* rvc: the C extension (compressed instructions) on RV64.
 * Spec: unpriv/c-st-ext.adoc (Zca / Zcd: "Compressed Instruction Formats",
 * "Load and Store Instructions", "Control Transfer Instructions", "Integer
 * Computational Instructions", "Defined Illegal Instruction"). Each case
 * uses explicit c.* mnemonics so the assembler cannot pick a 32-bit form;
 * case 1 also checks that the pc advances by 2. */
#include "test_asm.h"

    .option rvc
    .text
    .globl main
main:
    la      t0, skip_hook
    la      t1, trap_hook
    sd      t0, 0(t1)

    CASE(1)                             /* a compressed instruction is 2 bytes: pc advances by 2 */
1:  auipc   a4, 0
    c.nop
    c.nop
2:  auipc   a5, 0
    sub     a5, a5, a4
    CHECK_IMM(a5, 8)                    /* 4 (auipc) + 2 + 2 */

    /* ---- CI: c.li, c.lui, c.addi, c.addiw, c.addi16sp, c.slli ---- */
    CASE(2);  c.li a0, -32;   CHECK_IMM(a0, -32)          /* imm[5] sign-extends */
    CASE(3);  c.li a0, 31;    CHECK_IMM(a0, 31)
    CASE(4);  c.lui a0, 1;    CHECK_IMM(a0, 0x1000)
    CASE(5);  c.lui a0, 0x1f; CHECK_IMM(a0, 0x1f000)
    CASE(6);  c.lui a0, 0xfffff; CHECK_IMM(a0, 0xfffffffffffff000) /* nzimm[17] sign-extends */
    CASE(7);  c.lui a0, 0xfffe0; CHECK_IMM(a0, 0xfffffffffffe0000)
    CASE(8);  c.li a0, 5; c.addi a0, -6; CHECK_IMM(a0, -1)
    CASE(9);  li a0, 0x7fffffffffffffff; c.addi a0, 1; CHECK_IMM(a0, 0x8000000000000000)
    CASE(10); li a0, 0x7fffffff; c.addiw a0, 1; CHECK_IMM(a0, 0xffffffff80000000)
    CASE(11); li a0, 0x12345678ffffffff; c.addiw a0, 0; CHECK_IMM(a0, -1) /* sext.w */
    CASE(12); li a0, 1; c.slli a0, 63; CHECK_IMM(a0, 0x8000000000000000)
    CASE(13); li a0, 3; c.slli a0, 32; CHECK_IMM(a0, 0x300000000)
    CASE(14)
    mv      a4, sp
    c.addi16sp sp, -64
    sub     a5, a4, sp
    CHECK_IMM(a5, 64)
    c.addi16sp sp, 496
    sub     a5, sp, a4
    CHECK_IMM(a5, 432)
    c.addi16sp sp, -512                 /* most negative */
    c.addi16sp sp, 80
    CHECK_EQ(sp, a4)
    CASE(15)                            /* c.addi4spn: rd' = sp + nzuimm */
    c.addi4spn a0, sp, 8
    addi    a5, sp, 8
    CHECK_EQ(a0, a5)
    c.addi4spn a1, sp, 1020
    addi    a5, sp, 1020
    CHECK_EQ(a1, a5)

    /* ---- CB: c.srli, c.srai, c.andi ---- */
    CASE(20); li a0, 0x8000000000000000; c.srli a0, 63; CHECK_IMM(a0, 1)
    CASE(21); li a0, 0x8000000000000000; c.srai a0, 63; CHECK_IMM(a0, -1)
    CASE(22); li a0, 0x8000000000000000; c.srai a0, 32; CHECK_IMM(a0, 0xffffffff80000000)
    CASE(23); li a0, 0x8000000000000000; c.srli a0, 32; CHECK_IMM(a0, 0x80000000)
    CASE(24); li a0, 0x123456789abcdef0; c.andi a0, -16; CHECK_IMM(a0, 0x123456789abcdef0)
    CASE(25); li a0, 0x123456789abcdeff; c.andi a0, 0x1f; CHECK_IMM(a0, 0x1f)
    CASE(26); li a0, 0x123456789abcdeff; c.andi a0, -32; CHECK_IMM(a0, 0x123456789abcdee0)

    /* ---- CR / CA: c.mv, c.add, c.sub, c.xor, c.or, c.and, c.subw, c.addw ---- */
    CASE(30); li a1, 0x1234; c.mv a0, a1; CHECK_IMM(a0, 0x1234)
    CASE(31); li a0, 0x7fffffffffffffff; li a1, 2; c.add a0, a1; CHECK_IMM(a0, 0x8000000000000001)
    CASE(32); li t0, 7; li t1, 5; c.add t0, t1; CHECK_IMM(t0, 12)   /* full register set for CR */
    CASE(33); li t1, 9; c.mv t2, t1; CHECK_IMM(t2, 9)
    CASE(34); li a0, 0; li a1, 1; c.sub a0, a1; CHECK_IMM(a0, -1)
    CASE(35); li a0, 0xff00ff00ff00ff00; li a1, 0x0f0f0f0f0f0f0f0f; c.xor a0, a1; CHECK_IMM(a0, 0xf00ff00ff00ff00f)
    CASE(36); li a0, 0xff00ff00ff00ff00; li a1, 0x0f0f0f0f0f0f0f0f; c.or a0, a1;  CHECK_IMM(a0, 0xff0fff0fff0fff0f)
    CASE(37); li a0, 0xff00ff00ff00ff00; li a1, 0x0f0f0f0f0f0f0f0f; c.and a0, a1; CHECK_IMM(a0, 0x0f000f000f000f00)
    CASE(38); li a0, 0x80000000; li a1, 1; c.subw a0, a1; CHECK_IMM(a0, 0x7fffffff)
    CASE(39); li a0, 0; li a1, 1; c.subw a0, a1; CHECK_IMM(a0, -1)
    CASE(40); li a0, 0x7fffffff; li a1, 1; c.addw a0, a1; CHECK_IMM(a0, 0xffffffff80000000)
    CASE(41); li a0, 0x100000001; li a1, 0x200000002; c.addw a0, a1; CHECK_IMM(a0, 3)

    /* ---- CL / CS: c.lw, c.ld, c.sw, c.sd, c.fld, c.fsd ---- */
    la      s0, cdata                   /* 0x8182838485868788, 0x0102030405060708, 0, 0 */
    CASE(50); c.lw a0, 0(s0); CHECK_IMM(a0, 0xffffffff85868788)   /* sign-extends */
    CASE(51); c.lw a0, 4(s0); CHECK_IMM(a0, 0xffffffff81828384)
    CASE(52); c.lw a0, 8(s0); CHECK_IMM(a0, 0x05060708)
    CASE(53); c.ld a0, 0(s0); CHECK_IMM(a0, 0x8182838485868788)
    CASE(54); c.ld a0, 8(s0); CHECK_IMM(a0, 0x0102030405060708)
    CASE(55)
    li      a1, 0x1122334455667788
    c.sw    a1, 16(s0)
    ld      a2, 16(s0)
    CHECK_IMM(a2, 0x55667788)
    CASE(56)
    c.sd    a1, 24(s0)
    ld      a2, 24(s0)
    CHECK_EQ(a2, a1)
    CASE(57)
    c.fld   fa0, 0(s0)
    c.fsd   fa0, 16(s0)
    ld      a2, 16(s0)
    CHECK_IMM(a2, 0x8182838485868788)
    CASE(58)                            /* largest offsets: c.lw 124, c.ld 248 */
    la      s1, cbig
    li      a1, 0x0badcafe
    sw      a1, 124(s1)
    c.lw    a0, 124(s1)
    CHECK_EQ(a0, a1)
    li      a1, 0x0123456789abcdef
    sd      a1, 248(s1)
    c.ld    a0, 248(s1)
    CHECK_EQ(a0, a1)

    /* ---- CSS / CI stack-relative: c.lwsp, c.ldsp, c.swsp, c.sdsp, c.fldsp, c.fsdsp ---- */
    addi    sp, sp, -512
    CASE(60)
    li      a1, 0x8000000180000002
    c.sdsp  a1, 8(sp)
    c.ldsp  a2, 8(sp)
    CHECK_EQ(a2, a1)
    CASE(61)
    c.swsp  a1, 16(sp)
    c.lwsp  a2, 16(sp)
    CHECK_IMM(a2, 0xffffffff80000002)
    lwu     a3, 16(sp)
    CHECK_IMM(a3, 0x80000002)
    CASE(62)
    c.lwsp  t3, 12(sp)                  /* rd may be any register */
    CHECK_IMM(t3, 0xffffffff80000001)
    CASE(63)
    c.fldsp fa1, 8(sp)
    c.fsdsp fa1, 24(sp)
    ld      a2, 24(sp)
    CHECK_EQ(a2, a1)
    CASE(64)
    c.sdsp  a1, 504(sp)
    c.ldsp  a3, 504(sp)
    CHECK_EQ(a3, a1)
    c.swsp  a1, 252(sp)
    c.lwsp  a3, 252(sp)
    CHECK_IMM(a3, 0xffffffff80000002)
    addi    sp, sp, 512

    /* ---- control transfer: c.j, c.beqz, c.bnez, c.jr, c.jalr ---- */
    CASE(70)
    c.j     3f
    j       fail
3:  CASE(71)
    li      a0, 0
    c.beqz  a0, 4f
    j       fail
4:  CASE(72)
    li      a0, 1
    c.beqz  a0, fail_near
    CASE(73)
    c.bnez  a0, 5f
    j       fail
5:  CASE(74)
    li      a0, 0
    c.bnez  a0, fail_near
    CASE(75)                            /* negative offset: c.bnez loop */
    li      a0, 3
    li      a1, 0
6:  c.addi  a1, 1
    c.addi  a0, -1
    c.bnez  a0, 6b
    CHECK_IMM(a1, 3)
    CASE(76)                            /* c.beqz compares the full 64-bit register */
    li      a0, 0x100000000
    c.beqz  a0, fail_near
    CASE(77)
    la      t0, 7f
    c.jr    t0
    j       fail
    .balign 4
    c.nop                               /* 7: sits at a 2-byte (not 4-byte) aligned address */
7:  CASE(78)
    la      t0, 8f
    c.jalr  t0                          /* ra = address of c.jalr + 2 */
9:  j       fail
8:  la      a4, 9b
    CHECK_EQ(ra, a4)
    CASE(79)                            /* backward c.j */
    j       11f
10: c.j     12f
11: c.j     10b
12:
    CASE(80)                            /* a 32-bit instruction at a 2-byte aligned address */
    .balign 4
    c.nop
    .option push
    .option norvc
    lui     a0, 0x12                    /* 32-bit lui + addiw starting at 4n+2 */
    addiw   a0, a0, 0x345
    .option pop
    CHECK_IMM(a0, 0x12345)

    /* ---- c.ebreak: breakpoint exception, mepc = its address ---- */
    CASE(90)
    la      s2, last_trap
    sd      zero, 0(s2)
13: c.ebreak
    ld      a0, 0(s2)
    CHECK_IMM(a0, 1)
    ld      a0, 8(s2)
    CHECK_IMM(a0, CAUSE_BREAKPOINT)
    ld      a0, 16(s2)
    la      a1, 13b
    CHECK_EQ(a0, a1)
    CASE(91)                            /* mtval = 0 or the address of the instruction */
    ld      a0, 24(s2)
    beqz    a0, 14f
    CHECK_EQ(a0, a1)
14:
    /* ---- the all-zero halfword is a defined illegal instruction ---- */
    CASE(92)
    sd      zero, 0(s2)
15: .hword  0
    ld      a0, 0(s2)
    CHECK_IMM(a0, 1)
    ld      a0, 8(s2)
    CHECK_IMM(a0, CAUSE_ILLEGAL_INSN)
    ld      a0, 16(s2)
    la      a1, 15b
    CHECK_EQ(a0, a1)
    ld      a0, 24(s2)                  /* mtval: 0 or the instruction bits -- both 0 here */
    CHECK_IMM(a0, 0)
    CASE(93)                            /* c.addi16sp with imm 0 is reserved: illegal */
    sd      zero, 0(s2)
    .hword  0x6101                      /* c.addi16sp sp, 0 */
    ld      a0, 8(s2)
    CHECK_IMM(a0, CAUSE_ILLEGAL_INSN)
    CASE(94)                            /* c.jr with rs1 = x0 is reserved: illegal */
    sd      zero, 0(s2)
    .hword  0x8002
    ld      a0, 8(s2)
    CHECK_IMM(a0, CAUSE_ILLEGAL_INSN)
    ld      a0, 0(s2)
    CHECK_IMM(a0, 1)

    TEST_PASS

fail_near:
    j       fail

    .data
    .balign 8
cdata:
    .dword 0x8182838485868788, 0x0102030405060708, 0, 0
cbig:
    .fill 256, 1, 0
