//! Saving and restoring the user's floating-point registers on a process switch.
//!
//! The kernel runs with sstatus.FS = Off (the trap entry turns it off), so it never uses
//! the FP registers itself and they hold the last user process's values. A switch saves
//! them only when that process's saved sstatus says Dirty (it wrote them since the last
//! save), then marks it Clean; it loads the next process's. FS is turned on just for the
//! copy and off again ("Extension Context Status in mstatus Register": with FS = Off any
//! FP instruction raises an illegal-instruction exception; software saves the state when
//! FS = Dirty and may set it to Clean after).
#![allow(unsafe_code)]

use core::arch::asm;

/// f0..f31 and fcsr.
#[derive(Clone, Copy, Debug, Default)]
#[repr(C)]
pub struct FpRegs {
    pub f: [u64; 32],
    pub fcsr: u64,
}

macro_rules! fp_copy {
    ($op:literal, $csr:literal, $ptr:expr) => {
        // SAFETY: `$ptr` points to an FpRegs (33 aligned u64s); FS is on only for the copy.
        unsafe {
            asm!(
                "li t0, 1 << 13",
                "csrs sstatus, t0",
                concat!($op, " f0, 0({p})"), concat!($op, " f1, 8({p})"),
                concat!($op, " f2, 16({p})"), concat!($op, " f3, 24({p})"),
                concat!($op, " f4, 32({p})"), concat!($op, " f5, 40({p})"),
                concat!($op, " f6, 48({p})"), concat!($op, " f7, 56({p})"),
                concat!($op, " f8, 64({p})"), concat!($op, " f9, 72({p})"),
                concat!($op, " f10, 80({p})"), concat!($op, " f11, 88({p})"),
                concat!($op, " f12, 96({p})"), concat!($op, " f13, 104({p})"),
                concat!($op, " f14, 112({p})"), concat!($op, " f15, 120({p})"),
                concat!($op, " f16, 128({p})"), concat!($op, " f17, 136({p})"),
                concat!($op, " f18, 144({p})"), concat!($op, " f19, 152({p})"),
                concat!($op, " f20, 160({p})"), concat!($op, " f21, 168({p})"),
                concat!($op, " f22, 176({p})"), concat!($op, " f23, 184({p})"),
                concat!($op, " f24, 192({p})"), concat!($op, " f25, 200({p})"),
                concat!($op, " f26, 208({p})"), concat!($op, " f27, 216({p})"),
                concat!($op, " f28, 224({p})"), concat!($op, " f29, 232({p})"),
                concat!($op, " f30, 240({p})"), concat!($op, " f31, 248({p})"),
                $csr,
                "li t0, 3 << 13",
                "csrc sstatus, t0",
                p = in(reg) $ptr,
                out("t0") _,
                out("t1") _,
            )
        }
    };
}

/// Copies the FP registers into `regs`.
pub fn save(regs: &mut FpRegs) {
    let p = regs as *mut FpRegs;
    fp_copy!("fsd", "frcsr t1\nsd t1, 256({p})", p);
}

/// Loads the FP registers from `regs`.
pub fn restore(regs: &FpRegs) {
    let p = regs as *const FpRegs;
    fp_copy!("fld", "ld t1, 256({p})\nfscsr t1", p);
}
