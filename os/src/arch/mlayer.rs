//! The M-mode layer: the only code that runs in M-mode. It is the kernel's firmware, as
//! OpenSBI is Linux's, and like it owns what S-mode cannot touch: the PMP, trap delegation,
//! the machine timer. It is assembly because it runs with paging off at the image's physical
//! address, where only pc-relative code is safe (Rust would reach vtables and jump tables
//! through their linked, high-half addresses).
//!
//! At reset (`_start`, physical 0x8000_0000, a0 = hartid, a1 = device tree) it:
//! 1. parks every hart but hart 0, sets its own trap stack (mscratch) and trap vector;
//! 2. programs PMP entry 0 as NAPOT over the whole address space with R, W, X for S and U
//!    (priv/machine.adoc, "Physical Memory Protection": with PMP implemented, S and U may
//!    access nothing that no entry grants). A later step carves PMP regions for segments;
//! 3. delegates to S the exceptions S handles ([`MEDELEG`]) and the S interrupts
//!    (medeleg/mideleg, "Machine Trap Delegation Registers");
//! 4. lets S and U read cycle, time and instret (mcounteren);
//! 5. sets mstatus.MPP = S and FS = Initial (floating point usable), mepc = `s_entry`, and
//!    `mret`s into the S-mode kernel with a0/a1 unchanged.
//!
//! Afterwards it runs only on traps that are not delegated:
//! - the machine timer interrupt (MTI): it clears mie.MTIE and raises mip.STIP, which is
//!   delegated, so S sees a supervisor timer interrupt (M-mode may write STIP: "Machine
//!   Interrupt Registers");
//! - `ecall` from S, the SBI-like calls of [`crate::arch::sbi`] (function in a7, argument in
//!   a0, error in a0 on return): set timer (writes the CLINT's mtimecmp, clears STIP, sets
//!   MTIE), console putchar (polls the UART's LSR.THRE, writes THR), shutdown (writes the
//!   test finisher: 0x5555 for status 0, `0x3333 | status << 16` otherwise);
//! - anything else is a bug: it prints mcause, mepc and mtval and fails the run with
//!   status 0xfe.
#![allow(unsafe_code)]

use super::sbi;
use crate::mm::layout::{CLINT_PA, FINISHER_PA, UART_PA};

/// Exceptions delegated to S: misaligned fetch (0), fetch access (1), illegal instruction
/// (2), breakpoint (3), misaligned load (4), load access (5), misaligned store/AMO (6),
/// store/AMO access (7), ecall from U (8), fetch, load and store/AMO page faults (12, 13,
/// 15). Not ecall from S (9): that is how S calls this layer.
pub const MEDELEG: u64 = 0xb1ff;
/// Interrupts delegated to S: SSI (1), STI (5), SEI (9).
pub const MIDELEG: u64 = (1 << 1) | (1 << 5) | (1 << 9);
/// The CLINT's mtimecmp for hart 0.
const MTIMECMP: u64 = CLINT_PA + 0x4000;
/// Status code the finisher reports when this layer meets an unexpected trap.
pub const M_FATAL_STATUS: u64 = 0xfe;

core::arch::global_asm!(
    r#"
    .section .text.entry, "ax"
    .globl _start
_start:
    csrw mie, zero
    bnez a0, 9f
    lla sp, mlayer_stack_top
    csrw mscratch, sp
    lla t0, mlayer_trap
    csrw mtvec, t0
    li t0, -1
    csrw pmpaddr0, t0
    li t0, 0x1f                 # A = NAPOT, X, W, R
    csrw pmpcfg0, t0
    li t0, {medeleg}
    csrw medeleg, t0
    li t0, {mideleg}
    csrw mideleg, t0
    li t0, 7                    # CY, TM, IR
    csrw mcounteren, t0
    li t0, (3 << 11) | (1 << 7) | (1 << 3)     # MPP, MPIE, MIE
    csrc mstatus, t0
    li t0, (1 << 11) | (1 << 13)               # MPP = S, FS = Initial
    csrs mstatus, t0
    csrw satp, zero
    lla t0, s_entry
    csrw mepc, t0
    mret
9:  wfi
    j 9b

    .align 2
mlayer_trap:
    csrrw sp, mscratch, sp
    addi sp, sp, -32
    sd t0, 0(sp)
    sd t1, 8(sp)
    sd t2, 16(sp)
    sd ra, 24(sp)
    csrr t0, mcause
    bltz t0, 5f
    li t1, 9                    # environment call from S-mode
    bne t0, t1, 8f
    csrr t1, mepc
    addi t1, t1, 4
    csrw mepc, t1
    li t1, {set_timer}
    beq a7, t1, 1f
    li t1, {putchar}
    beq a7, t1, 2f
    li t1, {shutdown}
    beq a7, t1, 3f
    li a0, -2                   # not supported
    j 7f
1:  li t1, {mtimecmp}
    sd a0, 0(t1)
    li t1, 1 << 5
    csrc mip, t1                # STIP
    li t1, 1 << 7
    csrs mie, t1                # MTIE
    li a0, 0
    j 7f
2:  call mlayer_putc
    li a0, 0
    j 7f
3:  mv t2, a0
    j mlayer_exit
5:  slli t0, t0, 1
    srli t0, t0, 1
    li t1, 7                    # machine timer interrupt
    bne t0, t1, 8f
    li t1, 1 << 7
    csrc mie, t1                # MTIE off until S asks for the next deadline
    li t1, 1 << 5
    csrs mip, t1                # STIP on: S takes it
7:  ld t0, 0(sp)
    ld t1, 8(sp)
    ld t2, 16(sp)
    ld ra, 24(sp)
    addi sp, sp, 32
    csrrw sp, mscratch, sp
    mret

    # Unexpected trap: report it and fail the run.
8:  lla a1, mlayer_msg_cause
    call mlayer_puts
    csrr a1, mcause
    call mlayer_puthex
    lla a1, mlayer_msg_epc
    call mlayer_puts
    csrr a1, mepc
    call mlayer_puthex
    lla a1, mlayer_msg_tval
    call mlayer_puts
    csrr a1, mtval
    call mlayer_puthex
    li a0, 10
    call mlayer_putc
    li t2, {fatal}

    # Exit with status t2 through the test finisher.
mlayer_exit:
    li t1, {finisher}
    li t0, 0x5555
    beqz t2, 1f
    slli t2, t2, 16
    li t0, 0x3333
    or t0, t0, t2
1:  sw t0, 0(t1)
2:  wfi
    j 2b

    # a0: the byte to send. Clobbers t0, t1.
mlayer_putc:
    li t0, {uart}
1:  lbu t1, 5(t0)               # LSR
    andi t1, t1, 0x20           # THRE
    beqz t1, 1b
    sb a0, 0(t0)
    ret

    # a1: NUL-terminated string. Clobbers a0, a1, t0, t1, t2.
mlayer_puts:
    mv t2, ra
1:  lbu a0, 0(a1)
    beqz a0, 2f
    call mlayer_putc
    addi a1, a1, 1
    j 1b
2:  mv ra, t2
    ret

    # a1: value, printed as 0x + 16 hex digits. Clobbers a0, a1, a2, t0, t1, t2.
mlayer_puthex:
    mv t2, ra
    li a0, 48
    call mlayer_putc
    li a0, 120
    call mlayer_putc
    li a2, 60
1:  srl a0, a1, a2
    andi a0, a0, 15
    addi a0, a0, 48
    li t0, 58
    blt a0, t0, 2f
    addi a0, a0, 39
2:  call mlayer_putc
    addi a2, a2, -4
    bgez a2, 1b
    mv ra, t2
    ret

    .section .rodata.mlayer, "a"
mlayer_msg_cause:
    .asciz "M-mode trap: mcause "
mlayer_msg_epc:
    .asciz " mepc "
mlayer_msg_tval:
    .asciz " mtval "

    .section .bss.stack, "aw", @nobits
    .align 12
mlayer_stack:
    .space 4096
mlayer_stack_top:
    "#,
    medeleg = const MEDELEG,
    mideleg = const MIDELEG,
    set_timer = const sbi::SET_TIMER,
    putchar = const sbi::CONSOLE_PUTCHAR,
    shutdown = const sbi::SHUTDOWN,
    mtimecmp = const MTIMECMP,
    finisher = const FINISHER_PA,
    uart = const UART_PA,
    fatal = const M_FATAL_STATUS,
);
