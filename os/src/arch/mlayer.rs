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
//!
//! # Segmented processes: the resume protocol
//!
//! A segmented process (docs/KERNEL.md, "Segmented processes") runs in U-mode with
//! satp = Bare and PMP entries granting exactly its segments. PMP without the L bit binds
//! S and U alike, and with PMP implemented an S or U access that no entry matches fails
//! (priv/machine.adoc, "Physical Memory Protection", "Priority and Matching Logic"): the
//! kernel's own code is then unreachable, so the switch to and from such a process is
//! done here, in M-mode, which PMP does not bind (no L bit). The pieces:
//!
//! - At boot this layer probes how many PMP entries exist (all pmpaddr CSRs exist, the
//!   unimplemented ones read-only zero: it writes all-ones and reads back) and answers
//!   [`sbi::PMP_COUNT`] with the number.
//! - The kernel registers ([`sbi::SEG_REGISTER`]) the physical address of its per-hart
//!   resume block (`crate::proc::seg::SegResume`: `armed`, then 64 pmpcfg bytes, then 64
//!   pmpaddr values) and the virtual address of `seg_resume_ecall`, the `ecall` its trap
//!   exit ends with instead of `sret` when it returns to U-mode with `armed` set. Both go
//!   into this hart's area, found through mscratch (above the hart's M stack), so several
//!   harts would each have their own.
//! - Resume (an ecall from S whose mepc is the registered label, `armed` set): the layer
//!   does the `sret` on S's behalf. It writes the block's PMP entries (all the probed
//!   ones: those the image leaves unused are OFF, so U matches nothing else), fences
//!   (SFENCE.VMA x0, x0 after PMP writes: "Physical Memory Protection", the paragraph on
//!   synchronising with address translation), saves satp and writes Bare (a change of
//!   MODE to or from Bare needs no fence: priv/supervisor.adoc, "Supervisor Address
//!   Translation and Protection Register"), saves medeleg/mideleg and clears them (every
//!   trap U now raises comes here: "Machine Trap Delegation Registers"), applies sret's
//!   effects to mstatus (SIE = SPIE, SPIE = 1, SPP = U), sets mepc = sepc and MPP = U and
//!   `mret`s ("Trap-Return Instructions") with every user register as trap_return left
//!   it (this layer borrows only its own scratch registers, saved on its stack).
//! - Any trap while the segmented process runs lands here (nothing is delegated): the
//!   layer disarms (PMP entry 0 NAPOT allow-all again, the others OFF, SFENCE.VMA; satp,
//!   medeleg and mideleg restored), then redirects the trap to S as if it had been
//!   delegated ("Machine Trap Delegation Registers" describes what a delegated trap does):
//!   scause = mcause (a machine timer interrupt first gets the usual MTIE off + STIP on
//!   and goes to S as the supervisor timer interrupt), sepc = mepc, stval = mtval,
//!   SPP = U, SPIE = SIE, SIE = 0, then `mret` to stvec in S. S's trap entry runs
//!   unchanged: sscratch holds the process's kernel stack top (trap_return set it before
//!   the ecall).
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
/// Bytes of the M stack frame the trap handler saves its scratch registers in.
const M_FRAME: u64 = 48;
/// The hart area above the M stack (offsets from its start, `mlayer_stack_top`).
const HART_BLOCK: u64 = 0; // physical address of the kernel's resume block (0: none)
const HART_LABEL: u64 = 8; // virtual address of the kernel's `seg_resume_ecall`
const HART_SATP: u64 = 16; // the kernel's satp while a segmented process runs
const HART_MEDELEG: u64 = 24;
const HART_MIDELEG: u64 = 32;
const HART_IN_SEG: u64 = 40; // a segmented process runs in U-mode now
const HART_PMP_N: u64 = 48; // PMP entries probed at boot
/// Offsets in the kernel's resume block (`crate::proc::seg::SegResume`).
pub const BLOCK_ARMED: u64 = 0;
pub const BLOCK_CFG: u64 = 8;
pub const BLOCK_ADDR: u64 = 72;

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
    call mlayer_probe_pmp
    lla t3, mlayer_stack_top    # this hart's area
    sd t2, {hart_pmp_n}(t3)
    lla t2, mlayer_pmp_allow_all
    call mlayer_load_pmp        # entry 0 NAPOT allow-all, the others OFF
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
    addi sp, sp, -{m_frame}
    sd t0, 0(sp)
    sd t1, 8(sp)
    sd t2, 16(sp)
    sd ra, 24(sp)
    sd t3, 32(sp)
    sd t4, 40(sp)
    addi t3, sp, {m_frame}      # this hart's area
    ld t0, {hart_in_seg}(t3)
    bnez t0, mlayer_seg_leave   # a trap from a segmented process in U-mode
    csrr t0, mcause
    bltz t0, 5f
    li t1, 9                    # environment call from S-mode
    bne t0, t1, 8f
    csrr t1, mepc
    ld t2, {hart_label}(t3)
    beq t1, t2, mlayer_seg_enter
    addi t1, t1, 4
    csrw mepc, t1
    li t1, {pmp_count}
    beq a7, t1, 10f
    li t1, {seg_register}
    beq a7, t1, 11f
    li t1, {set_timer}
    beq a7, t1, 1f
    li t1, {putchar}
    beq a7, t1, 2f
    li t1, {shutdown}
    beq a7, t1, 3f
    li a0, -2                   # not supported
    j 7f
10: ld a0, {hart_pmp_n}(t3)
    j 7f
11: sd a0, {hart_block}(t3)
    sd a1, {hart_label}(t3)
    li a0, 0
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
    ld t3, 32(sp)
    ld t4, 40(sp)
    addi sp, sp, {m_frame}
    csrrw sp, mscratch, sp
    mret

    # Resume a segmented process: sret on S's behalf with its PMP image, satp = Bare and
    # nothing delegated (see the module documentation). t3 = hart area.
mlayer_seg_enter:
    ld t2, {hart_block}(t3)
    beqz t2, 8f                 # no block registered: a bug
    ld t0, {block_armed}(t2)
    beqz t0, 8f                 # the kernel ecalled here unarmed: a bug
    addi t2, t2, {block_cfg}
    call mlayer_load_pmp
    sfence.vma zero, zero       # PMP changed: order it with translation caches
    csrr t0, satp
    sd t0, {hart_satp}(t3)
    csrw satp, zero
    csrr t0, medeleg
    sd t0, {hart_medeleg}(t3)
    csrw medeleg, zero
    csrr t0, mideleg
    sd t0, {hart_mideleg}(t3)
    csrw mideleg, zero
    csrr t0, sepc
    csrw mepc, t0
    # sret's effects: SIE = SPIE, SPIE = 1, SPP = U; and MPP = U for the mret.
    csrr t0, mstatus
    andi t1, t0, 1 << 5         # SPIE
    srli t1, t1, 4              # -> SIE
    li t2, (3 << 11) | (1 << 8) | (1 << 1)
    not t2, t2
    and t0, t0, t2
    or t0, t0, t1
    ori t0, t0, 1 << 5
    csrw mstatus, t0
    li t0, 1
    sd t0, {hart_in_seg}(t3)
    j 7b

    # A trap from the segmented process: disarm, then redirect the trap to S as if it
    # had been delegated. t3 = hart area.
mlayer_seg_leave:
    lla t2, mlayer_pmp_allow_all
    call mlayer_load_pmp
    sfence.vma zero, zero
    ld t0, {hart_satp}(t3)
    csrw satp, t0
    ld t0, {hart_medeleg}(t3)
    csrw medeleg, t0
    ld t0, {hart_mideleg}(t3)
    csrw mideleg, t0
    sd zero, {hart_in_seg}(t3)
    csrr t0, mcause
    bgez t0, 1f
    slli t1, t0, 1
    srli t1, t1, 1
    li t2, 7                    # machine timer interrupt: S sees its timer interrupt
    bne t1, t2, 1f
    li t1, 1 << 7
    csrc mie, t1                # MTIE off until S asks for the next deadline
    li t1, 1 << 5
    csrs mip, t1                # STIP on
    li t0, 5
    li t1, 1
    slli t1, t1, 63
    or t0, t0, t1
1:  csrw scause, t0
    csrr t1, mepc
    csrw sepc, t1
    csrr t1, mtval
    csrw stval, t1
    # SPP = U, SPIE = SIE, SIE = 0; MPP = S.
    csrr t1, mstatus
    andi t2, t1, 1 << 1         # SIE
    slli t2, t2, 4              # -> SPIE
    li t4, (3 << 11) | (1 << 8) | (1 << 5) | (1 << 1)
    not t4, t4
    and t1, t1, t4
    or t1, t1, t2
    li t4, 1 << 11
    or t1, t1, t4
    csrw mstatus, t1
    # mepc = stvec's base, + 4 * cause for an interrupt in vectored mode.
    csrr t1, stvec
    andi t2, t1, 3
    andi t1, t1, -4
    beqz t2, 2f
    bgez t0, 2f
    slli t2, t0, 2
    add t1, t1, t2
2:  csrw mepc, t1
    j 7b

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

    # Counts the implemented PMP entries into t2: each implemented pmpaddr keeps some of
    # the all-ones written to it, an unimplemented one reads zero (WARL; the entries are
    # implemented lowest-numbered first). An implementation of the privileged spec before
    # 1.12 (QEMU 7) has only pmpaddr0..15 and raises an illegal-instruction exception on
    # the others: mtvec points at the end of the count meanwhile. Leaves every pmpaddr
    # zero and mtvec at mlayer_trap. Clobbers t0, t1.
    .option push
    .option norvc
mlayer_probe_pmp:
    lla t1, 2f
    csrw mtvec, t1
    li t2, 0
    li t0, -1
    .irp i, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32, 33, 34, 35, 36, 37, 38, 39, 40, 41, 42, 43, 44, 45, 46, 47, 48, 49, 50, 51, 52, 53, 54, 55, 56, 57, 58, 59, 60, 61, 62, 63
    csrw pmpaddr\i, t0
    csrr t1, pmpaddr\i
    csrw pmpaddr\i, zero
    beqz t1, 1f
    addi t2, t2, 1
    .endr
    j 1f
    .align 2
2:                              # an unimplemented pmpaddr CSR trapped here
1:  lla t1, mlayer_trap
    csrw mtvec, t1
    ret

    # Writes the first n PMP entries (n = the hart area's count; t3 = hart area) from the
    # image at t2 (64 pmpcfg bytes, then 64 pmpaddr values): pmpaddr first, then pmpcfg,
    # as a computed jump into unrolled writes (CSR numbers are immediates). The image's
    # cfg bytes past n must be 0 (OFF). Clobbers t0, t1, t4.
mlayer_load_pmp:
    ld t4, {hart_pmp_n}(t3)
    lla t1, 2f
    slli t0, t4, 3
    sub t1, t1, t0
    jr t1
    .irp i, 63, 62, 61, 60, 59, 58, 57, 56, 55, 54, 53, 52, 51, 50, 49, 48, 47, 46, 45, 44, 43, 42, 41, 40, 39, 38, 37, 36, 35, 34, 33, 32, 31, 30, 29, 28, 27, 26, 25, 24, 23, 22, 21, 20, 19, 18, 17, 16, 15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0
    ld t0, (64 + 8 * \i)(t2)
    csrw pmpaddr\i, t0
    .endr
2:  addi t4, t4, 7
    srli t4, t4, 3              # pmpcfg registers holding n entries (8 per register)
    lla t1, 3f
    slli t0, t4, 3
    sub t1, t1, t0
    jr t1
    ld t0, 56(t2)
    csrw pmpcfg14, t0
    ld t0, 48(t2)
    csrw pmpcfg12, t0
    ld t0, 40(t2)
    csrw pmpcfg10, t0
    ld t0, 32(t2)
    csrw pmpcfg8, t0
    ld t0, 24(t2)
    csrw pmpcfg6, t0
    ld t0, 16(t2)
    csrw pmpcfg4, t0
    ld t0, 8(t2)
    csrw pmpcfg2, t0
    ld t0, 0(t2)
    csrw pmpcfg0, t0
3:  ret
    .option pop

    .section .rodata.mlayer, "a"
    .align 3
    # The PMP of the kernel and paged processes: entry 0 NAPOT over everything, R W X.
mlayer_pmp_allow_all:
    .byte 0x1f
    .space 63
    .dword -1
    .space 8 * 63
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
    .space 64                   # this hart's area (HART_* offsets)
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
    m_frame = const M_FRAME,
    hart_block = const HART_BLOCK,
    hart_label = const HART_LABEL,
    hart_satp = const HART_SATP,
    hart_medeleg = const HART_MEDELEG,
    hart_mideleg = const HART_MIDELEG,
    hart_in_seg = const HART_IN_SEG,
    hart_pmp_n = const HART_PMP_N,
    block_armed = const BLOCK_ARMED,
    block_cfg = const BLOCK_CFG,
    pmp_count = const sbi::PMP_COUNT,
    seg_register = const sbi::SEG_REGISTER,
);
