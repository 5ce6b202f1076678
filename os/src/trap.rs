//! What happens on a trap (the entry and exit are in [`crate::arch::trap`]): the timer
//! interrupt, and for now a kernel panic on any exception taken in the kernel.

use crate::arch::csr;
use crate::arch::trap::TrapFrame;
use core::sync::atomic::{AtomicU64, Ordering};

/// Timer interrupts taken.
static TICKS: AtomicU64 = AtomicU64::new(0);

/// scause's interrupt bit.
const INTERRUPT: u64 = 1 << 63;
/// Supervisor timer interrupt (scause code 5).
const IRQ_S_TIMER: u64 = 5;

/// Installs the trap vector.
pub fn init() {
    csr::write_sscratch(0);
    csr::write_stvec(crate::arch::trap::entry_address());
}

/// Timer interrupts taken so far.
pub fn ticks() -> u64 {
    TICKS.load(Ordering::Relaxed)
}

/// Called by the trap entry with the saved registers.
#[allow(unsafe_code)]
#[no_mangle]
pub extern "C" fn handle_raw(frame: &mut TrapFrame) {
    let scause: u64;
    let stval: u64;
    #[allow(unsafe_code)]
    // SAFETY: reading the trap CSRs has no side effect.
    unsafe {
        core::arch::asm!("csrr {}, scause", "csrr {}, stval", out(reg) scause, out(reg) stval);
    }
    if scause & INTERRUPT != 0 {
        match scause & !INTERRUPT {
            IRQ_S_TIMER => {
                TICKS.fetch_add(1, Ordering::Relaxed);
                // No periodic tick yet: the next deadline is "never" (this clears STIP).
                crate::arch::sbi::set_timer(u64::MAX);
            }
            code => log::warn!("unexpected interrupt {code}"),
        }
        return;
    }
    panic!(
        "exception {} in the kernel at sepc {:#x}, stval {:#x}",
        scause, frame.sepc, stval
    );
}
