//! S-mode trap entry and exit: saves every integer register in a [`TrapFrame`], calls
//! [`crate::trap::handle_raw`], which returns the frame to resume (the same one, or, after
//! a process switch, the next process's on its own kernel stack), restores that and
//! `sret`s.
//!
//! sscratch tells where the trap came from: 0 while the kernel runs (the trap nests on the
//! current kernel stack), the top of the process's kernel stack while a user process runs
//! (set on the way out to U-mode). The entry swaps sp and sscratch first, so a user's sp is
//! never used by the kernel.
//!
//! The exit to U-mode of a segmented process (the resume block [`SEG_RESUME`] armed) ends
//! with the `ecall` at `seg_resume_ecall` instead of `sret`: the M-layer then performs the
//! sret with the process's PMP entries and satp = Bare ([`super::mlayer`] documents the
//! protocol). Its traps come back here through the M-layer as if delegated.
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

/// The resume block the M-layer reads (by its physical address) when the trap exit asks it
/// to enter a segmented process: `armed`, then the process's PMP image (pmpcfg bytes, then
/// pmpaddr values). Offsets: [`super::mlayer::BLOCK_ARMED`] and the two after it.
#[repr(C, align(64))]
pub struct SegResume {
    /// Non-zero: the next exit to U-mode goes through the M-layer with this image.
    pub armed: u64,
    pub cfg: [u8; 64],
    pub addr: [u64; 64],
}

const _: () = assert!(core::mem::offset_of!(SegResume, cfg) as u64 == super::mlayer::BLOCK_CFG);
const _: () = assert!(core::mem::offset_of!(SegResume, addr) as u64 == super::mlayer::BLOCK_ADDR);

/// One hart's resume block (one hart today: a second would get its own).
struct SegResumeCell(core::cell::UnsafeCell<SegResume>);
// SAFETY: one hart; the kernel runs with interrupts off, so one writer at a time, and the
// M-layer reads the block only when the kernel ecalls it.
unsafe impl Sync for SegResumeCell {}

#[no_mangle]
static SEG_RESUME: SegResumeCell = SegResumeCell(core::cell::UnsafeCell::new(SegResume {
    armed: 0,
    cfg: [0; 64],
    addr: [0; 64],
}));

/// Registers the resume block and the resume `ecall` with the M-layer (once, at boot).
pub fn register_seg_resume() {
    extern "C" {
        fn seg_resume_ecall();
    }
    let block = crate::mm::layout::virt_to_phys(mm_core::VirtAddr(SEG_RESUME.0.get() as u64));
    super::sbi::seg_register(block.0, seg_resume_ecall as *const () as u64);
}

/// The next exit to U-mode enters a segmented process with this PMP image (entries past
/// the image's are written OFF); `fresh`: the block does not hold it yet.
pub fn arm_segments(cfg: &[u8; 64], addr: &[u64; 64], fresh: bool) {
    // SAFETY: see SegResumeCell; nobody holds a reference into the block.
    let b = unsafe { &mut *SEG_RESUME.0.get() };
    if fresh {
        b.cfg = *cfg;
        b.addr = *addr;
    }
    b.armed = 1;
}

/// The next exit to U-mode is a plain `sret` (a paged process).
#[inline]
pub fn disarm_segments() {
    // SAFETY: as in arm_segments.
    unsafe { (*SEG_RESUME.0.get()).armed = 0 };
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
    .macro restore_but_t0_sp
    ld x1, 8(sp)
    ld x3, 24(sp)
    ld x4, 32(sp)
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
    .endm

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
    lla t0, {resume}
    ld t0, 0(t0)
    beqz t0, 3f
    # To a segmented process: the M-layer does the sret (see the module documentation).
    restore_but_t0_sp
    ld x5, 40(sp)
    ld sp, 16(sp)
    .globl seg_resume_ecall
seg_resume_ecall:
    ecall
4:  j 4b                        # never reached: the M-layer returns to U-mode
3:  restore_but_t0_sp
    ld x5, 40(sp)
    ld sp, 16(sp)
    sret
    "#,
    frame = const FRAME_SIZE,
    spp = const SSTATUS_SPP,
    fs = const 3 << 13,
    handler = sym crate::trap::handle_raw,
    resume = sym SEG_RESUME,
);
