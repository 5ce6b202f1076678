//! S-mode trap entry and exit: saves every integer register in a [`TrapFrame`], calls
//! [`crate::trap::handle_raw`], which returns the frame to resume (the same one, or, after
//! a process switch, the next process's on its own kernel stack), restores that and
//! `sret`s.
//!
//! sscratch tells where the trap came from: 0 while the kernel runs (the trap nests on the
//! current kernel stack), the top of the process's kernel stack while a user process runs
//! (set on the way out to U-mode). The entry swaps sp and sscratch first, so a user's sp is
//! never used by the kernel.
#![allow(unsafe_code)]

use super::csr::SSTATUS_SPP;

/// The registers a trap saves. `regs[2]` is the interrupted sp.
#[repr(C)]
#[derive(Clone, Debug, Default)]
pub struct TrapFrame {
    /// x0..x31 (x0 unused).
    pub regs: [u64; 32],
    /// Where to resume.
    pub sepc: u64,
    /// sstatus at the trap (SPP, SPIE, ...), restored by `sret`.
    pub sstatus: u64,
}

/// Bytes a frame takes on the stack (16-byte aligned).
pub const FRAME_SIZE: usize = 288;
const _: () = assert!(core::mem::size_of::<TrapFrame>() <= FRAME_SIZE);

/// The address of the trap entry, for stvec.
pub fn entry_address() -> u64 {
    extern "C" {
        fn trap_entry();
    }
    trap_entry as *const () as u64
}

/// Leaves the kernel through the trap exit with `frame`'s registers (how a user process
/// starts). `frame` must be the topmost [`FRAME_SIZE`] bytes of the kernel stack that the
/// next trap from U-mode will use (the exit puts that stack's top in sscratch).
///
/// # Safety
/// `frame.sepc`/`frame.sstatus` must describe a valid place to return to; for U-mode, the
/// current page table must map the process.
pub unsafe fn return_to(frame: *mut TrapFrame) -> ! {
    extern "C" {
        fn trap_return(frame: *mut TrapFrame) -> !;
    }
    // SAFETY: the caller's guarantee; trap_return never comes back.
    unsafe { trap_return(frame) }
}

core::arch::global_asm!(
    r#"
    .section .text
    .align 2
    .globl trap_entry
trap_entry:
    csrrw sp, sscratch, sp
    bnez sp, 1f
    csrrw sp, sscratch, sp
    addi sp, sp, -{frame}
    sd t0, 40(sp)
    addi t0, sp, {frame}
    sd t0, 16(sp)
    j 2f
1:  addi sp, sp, -{frame}
    sd t0, 40(sp)
    csrr t0, sscratch
    sd t0, 16(sp)
    csrw sscratch, zero
2:  sd x1, 8(sp)
    sd x3, 24(sp)
    sd x4, 32(sp)
    sd x6, 48(sp)
    sd x7, 56(sp)
    sd x8, 64(sp)
    sd x9, 72(sp)
    sd x10, 80(sp)
    sd x11, 88(sp)
    sd x12, 96(sp)
    sd x13, 104(sp)
    sd x14, 112(sp)
    sd x15, 120(sp)
    sd x16, 128(sp)
    sd x17, 136(sp)
    sd x18, 144(sp)
    sd x19, 152(sp)
    sd x20, 160(sp)
    sd x21, 168(sp)
    sd x22, 176(sp)
    sd x23, 184(sp)
    sd x24, 192(sp)
    sd x25, 200(sp)
    sd x26, 208(sp)
    sd x27, 216(sp)
    sd x28, 224(sp)
    sd x29, 232(sp)
    sd x30, 240(sp)
    sd x31, 248(sp)
    csrr t0, sepc
    sd t0, 256(sp)
    csrr t0, sstatus
    sd t0, 264(sp)
    li t0, {fs}
    csrc sstatus, t0            # FS = Off in the kernel: any FP use traps (FP state is U's)
    mv a0, sp
    call {handler}              # returns the frame to resume: this one, or another process's

    .globl trap_return
trap_return:
    mv sp, a0
    ld t0, 256(sp)
    csrw sepc, t0
    ld t0, 264(sp)
    csrw sstatus, t0
    andi t0, t0, {spp}
    bnez t0, 3f
    addi t0, sp, {frame}
    csrw sscratch, t0
3:  ld x1, 8(sp)
    ld x3, 24(sp)
    ld x4, 32(sp)
    ld x5, 40(sp)
    ld x6, 48(sp)
    ld x7, 56(sp)
    ld x8, 64(sp)
    ld x9, 72(sp)
    ld x10, 80(sp)
    ld x11, 88(sp)
    ld x12, 96(sp)
    ld x13, 104(sp)
    ld x14, 112(sp)
    ld x15, 120(sp)
    ld x16, 128(sp)
    ld x17, 136(sp)
    ld x18, 144(sp)
    ld x19, 152(sp)
    ld x20, 160(sp)
    ld x21, 168(sp)
    ld x22, 176(sp)
    ld x23, 184(sp)
    ld x24, 192(sp)
    ld x25, 200(sp)
    ld x26, 208(sp)
    ld x27, 216(sp)
    ld x28, 224(sp)
    ld x29, 232(sp)
    ld x30, 240(sp)
    ld x31, 248(sp)
    ld sp, 16(sp)
    sret
    "#,
    frame = const FRAME_SIZE,
    spp = const SSTATUS_SPP,
    fs = const 3 << 13,
    handler = sym crate::trap::handle_raw,
);
