/* crt0 for the rvmmu bare-metal ISA tests.
 *
 * Entry in M-mode at _start with a0 = hartid, a1 = DTB (boot ROM convention
 * of QEMU virt, mirrored by rvmmu). Sets up the stacks, the M-mode trap vector,
 * PMP entry 0 = all memory RWX (so S/U code can run: priv/machine.adoc
 * "Physical Memory Protection" -- with PMP implemented and no entry matching,
 * S/U accesses fail), mstatus.FS = Initial, zeroes .bss and calls main().
 * main() returns 0 for pass or the number of the failing case; test_exit()
 * reports it (see runtime.c).
 *
 * Trap handling: trap_entry (M) and strap_entry (S) save all registers in a
 * struct trap_frame (see test.h) on a dedicated trap stack and call the hook
 * in trap_hook / strap_hook (a C function pointer: long hook(struct trap_frame *)).
 * A hook returning 0 resumes at frame->epc with frame->status written back
 * into mstatus/sstatus; a missing hook or a non-zero return is an unexpected
 * trap and fails the current case.
 *
 * run_in_mode(mode, fn, arg) runs fn(arg) in U (0) or S (1) mode and returns
 * its result in M-mode: fn returns to a trampoline that executes ECALL with
 * a7 = RUN_MAGIC, which trap_entry recognises before calling any hook.
 */
#include "test_asm.h"

    .section .text.init, "ax"
    .globl _start
_start:
    .option push
    .option norelax
    la      t0, trap_entry
    csrw    mtvec, t0
    la      sp, __stack_top
    la      t0, __mtrap_stack_top
    csrw    mscratch, t0
    la      t0, __strap_stack_top
    csrw    sscratch, t0
    .option pop
    la      t0, boot_hartid
    sd      a0, 0(t0)
    la      t0, boot_dtb
    sd      a1, 0(t0)
    /* zero .bss */
    la      t0, __bss_start
    la      t1, __bss_end
1:  bgeu    t0, t1, 2f
    sd      zero, 0(t0)
    addi    t0, t0, 8
    j       1b
2:
    /* PMP entry 0: NAPOT over the whole address space, R W X. */
    li      t0, -1
    csrw    pmpaddr0, t0
    li      t0, 0x1f
    csrw    pmpcfg0, t0
    /* mstatus: FS = Initial (bits 14:13 = 01), everything else as reset. */
    li      t0, MSTATUS_FS
    csrc    mstatus, t0
    li      t0, MSTATUS_FS_INITIAL
    csrs    mstatus, t0
    csrwi   fcsr, 0
    /* mtimecmp = max: no machine timer interrupt pending until a test arms it
     * (its reset value is unspecified). */
    li      t0, CLINT_MTIMECMP
    li      t1, -1
    sd      t1, 0(t0)
    call    main
    call    test_exit
3:  j       3b

/* ------------------------------------------------------------------ */
#define SAVE_GPRS \
    sd x1, 1*8(sp);  sd x3, 3*8(sp);  sd x4, 4*8(sp);  sd x5, 5*8(sp); \
    sd x6, 6*8(sp);  sd x7, 7*8(sp);  sd x8, 8*8(sp);  sd x9, 9*8(sp); \
    sd x10, 10*8(sp); sd x11, 11*8(sp); sd x12, 12*8(sp); sd x13, 13*8(sp); \
    sd x14, 14*8(sp); sd x15, 15*8(sp); sd x16, 16*8(sp); sd x17, 17*8(sp); \
    sd x18, 18*8(sp); sd x19, 19*8(sp); sd x20, 20*8(sp); sd x21, 21*8(sp); \
    sd x22, 22*8(sp); sd x23, 23*8(sp); sd x24, 24*8(sp); sd x25, 25*8(sp); \
    sd x26, 26*8(sp); sd x27, 27*8(sp); sd x28, 28*8(sp); sd x29, 29*8(sp); \
    sd x30, 30*8(sp); sd x31, 31*8(sp)
#define RESTORE_GPRS_BUT_SP \
    ld x1, 1*8(sp);  ld x3, 3*8(sp);  ld x4, 4*8(sp);  ld x5, 5*8(sp); \
    ld x6, 6*8(sp);  ld x7, 7*8(sp);  ld x8, 8*8(sp);  ld x9, 9*8(sp); \
    ld x10, 10*8(sp); ld x11, 11*8(sp); ld x12, 12*8(sp); ld x13, 13*8(sp); \
    ld x14, 14*8(sp); ld x15, 15*8(sp); ld x16, 16*8(sp); ld x17, 17*8(sp); \
    ld x18, 18*8(sp); ld x19, 19*8(sp); ld x20, 20*8(sp); ld x21, 21*8(sp); \
    ld x22, 22*8(sp); ld x23, 23*8(sp); ld x24, 24*8(sp); ld x25, 25*8(sp); \
    ld x26, 26*8(sp); ld x27, 27*8(sp); ld x28, 28*8(sp); ld x29, 29*8(sp); \
    ld x30, 30*8(sp); ld x31, 31*8(sp)

    .text
    .balign 4
    .globl trap_entry
trap_entry:
    csrrw   sp, mscratch, sp        /* sp = trap stack, mscratch = interrupted sp */
    addi    sp, sp, -FRAME_SIZE
    SAVE_GPRS
    csrr    t0, mscratch
    sd      t0, 2*8(sp)
    csrr    t0, mcause
    sd      t0, FRAME_CAUSE(sp)
    csrr    t0, mepc
    sd      t0, FRAME_EPC(sp)
    csrr    t0, mtval
    sd      t0, FRAME_TVAL(sp)
    csrr    t0, mstatus
    sd      t0, FRAME_STATUS(sp)
    csrw    mscratch, sp            /* a nested trap builds its frame below this one */
    /* run_in_mode return: ECALL from U (8) or S (9) with a7 == RUN_MAGIC */
    ld      t0, FRAME_CAUSE(sp)
    addi    t0, t0, -8
    li      t1, 1
    bgtu    t0, t1, 1f
    li      t1, RUN_MAGIC
    bne     a7, t1, 1f
    j       run_in_mode_return
1:  ld      t0, trap_hook
    beqz    t0, 2f
    mv      a0, sp
    jalr    t0
    bnez    a0, 2f
    ld      t0, FRAME_EPC(sp)
    csrw    mepc, t0
    ld      t0, FRAME_STATUS(sp)
    csrw    mstatus, t0
    addi    t0, sp, FRAME_SIZE
    csrw    mscratch, t0
    RESTORE_GPRS_BUT_SP
    ld      sp, 2*8(sp)
    mret
2:  mv      a0, sp
    call    trap_unexpected         /* does not return */
3:  j       3b

    .balign 4
    .globl strap_entry
strap_entry:
    csrrw   sp, sscratch, sp
    addi    sp, sp, -FRAME_SIZE
    SAVE_GPRS
    csrr    t0, sscratch
    sd      t0, 2*8(sp)
    csrr    t0, scause
    sd      t0, FRAME_CAUSE(sp)
    csrr    t0, sepc
    sd      t0, FRAME_EPC(sp)
    csrr    t0, stval
    sd      t0, FRAME_TVAL(sp)
    csrr    t0, sstatus
    sd      t0, FRAME_STATUS(sp)
    csrw    sscratch, sp
    /* run_in_mode return from U delegated to S: forward it to M with an ECALL from S */
    ld      t0, FRAME_CAUSE(sp)
    li      t1, 8
    bne     t0, t1, 1f
    li      t1, RUN_MAGIC
    bne     a7, t1, 1f
    addi    t0, sp, FRAME_SIZE
    csrw    sscratch, t0
    RESTORE_GPRS_BUT_SP
    ld      sp, 2*8(sp)
    ecall
1:  ld      t0, strap_hook
    beqz    t0, 2f
    mv      a0, sp
    jalr    t0
    bnez    a0, 2f
    ld      t0, FRAME_EPC(sp)
    csrw    sepc, t0
    ld      t0, FRAME_STATUS(sp)
    csrw    sstatus, t0
    addi    t0, sp, FRAME_SIZE
    csrw    sscratch, t0
    RESTORE_GPRS_BUT_SP
    ld      sp, 2*8(sp)
    sret
2:  mv      a0, sp
    call    strap_unexpected        /* does not return */
3:  j       3b

/* long run_in_mode(long mode, long (*fn)(long), long arg) */
    .globl run_in_mode
run_in_mode:
    addi    sp, sp, -128
    sd      ra, 0(sp)
    sd      s0, 8(sp);  sd s1, 16(sp); sd s2, 24(sp); sd s3, 32(sp)
    sd      s4, 40(sp); sd s5, 48(sp); sd s6, 56(sp); sd s7, 64(sp)
    sd      s8, 72(sp); sd s9, 80(sp); sd s10, 88(sp); sd s11, 96(sp)
    sd      gp, 104(sp); sd tp, 112(sp)
    csrr    t0, mstatus
    sd      t0, 120(sp)
    la      t1, run_saved_sp
    sd      sp, 0(t1)
    /* MPP = mode, MPIE = 0 */
    li      t1, MSTATUS_MPP | MSTATUS_MPIE
    csrc    mstatus, t1
    andi    t1, a0, 3
    slli    t1, t1, 11
    csrs    mstatus, t1
    csrw    mepc, a1
    mv      a0, a2
    la      ra, run_in_mode_trampoline
    mret
run_in_mode_trampoline:
    li      a7, RUN_MAGIC
    ecall
1:  j       1b                      /* not reached */

/* reached from trap_entry with sp = trap frame */
run_in_mode_return:
    ld      a0, 10*8(sp)            /* fn's return value */
    addi    t0, sp, FRAME_SIZE
    csrw    mscratch, t0
    la      t1, run_saved_sp
    ld      sp, 0(t1)
    /* restore mstatus.MIE as it was at the call; leave MPP at U */
    ld      t0, 120(sp)
    andi    t0, t0, MSTATUS_MIE
    csrs    mstatus, t0
    ld      ra, 0(sp)
    ld      s0, 8(sp);  ld s1, 16(sp); ld s2, 24(sp); ld s3, 32(sp)
    ld      s4, 40(sp); ld s5, 48(sp); ld s6, 56(sp); ld s7, 64(sp)
    ld      s8, 72(sp); ld s9, 80(sp); ld s10, 88(sp); ld s11, 96(sp)
    ld      gp, 104(sp); ld tp, 112(sp)
    addi    sp, sp, 128
    ret

/* Common failure entry for assembly tests: fails with the case in test_case. */
    .globl fail
fail:
    ld      a0, test_case
    bnez    a0, 1f
    li      a0, CASE_NONE
1:  call    test_exit
2:  j       2b

/* fail_values(got = a0, expected = a1): print both, then fail the current case. */

    .data
    .balign 8
    .globl test_case, trap_hook, strap_hook, boot_hartid, boot_dtb
test_case:      .dword 0
trap_hook:      .dword 0
strap_hook:     .dword 0
boot_hartid:    .dword 0
boot_dtb:       .dword 0
run_saved_sp:   .dword 0

    .section .tohost, "aw", @progbits
    .balign 64
    .globl tohost, fromhost
tohost:         .dword 0
    .balign 64
fromhost:       .dword 0

    .section .rodata
    .globl test_name
test_name:      .asciz TEST_NAME_STR
