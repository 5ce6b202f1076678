//! What happens on a trap (the entry and exit are in [`crate::arch::trap`]): the timer
//! interrupt, and for now a kernel panic on any exception taken in the kernel.

use crate::arch::csr;
use crate::arch::trap::TrapFrame;
use crate::proc;
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
    if frame.sstatus & csr::SSTATUS_SPP == 0 {
        return user_exception(frame, scause, stval);
    }
    panic!(
        "exception {} in the kernel at sepc {:#x}, stval {:#x}",
        scause, frame.sepc, stval
    );
}

/// Exception names by scause (priv/supervisor.adoc, "Supervisor Cause Register").
fn exception_name(code: u64) -> &'static str {
    match code {
        0 => "instruction address misaligned",
        1 => "instruction access fault",
        2 => "illegal instruction",
        3 => "breakpoint",
        4 => "load address misaligned",
        5 => "load access fault",
        6 => "store/AMO address misaligned",
        7 => "store/AMO access fault",
        12 => "instruction page fault",
        13 => "load page fault",
        15 => "store/AMO page fault",
        _ => "exception",
    }
}

/// An exception taken in U-mode: a system call, or a fault that kills the process (never
/// the kernel).
fn user_exception(frame: &mut TrapFrame, scause: u64, stval: u64) {
    const ECALL_FROM_U: u64 = 8;
    let mut cur = proc::CURRENT.lock();
    let Some(p) = cur.as_mut() else {
        panic!("user trap {scause} with no process");
    };
    if scause == ECALL_FROM_U {
        frame.sepc += 4;
        let r = &frame.regs;
        let args = [r[10], r[11], r[12], r[13], r[14], r[15]];
        let nr = r[17];
        let ret = crate::syscall::dispatch(p, nr, args);
        frame.regs[10] = ret as u64;
        return;
    }
    // Page faults: demand paging, unless the access is outside every area or against its
    // permissions (then SIGSEGV below).
    let need = match scause {
        12 => Some(mm_core::pte::PteFlags::X),
        13 => Some(mm_core::pte::PteFlags::R),
        15 => Some(mm_core::pte::PteFlags::W),
        _ => None,
    };
    if let Some(need) = need {
        if p.space.fault_in(mm_core::VirtAddr(stval), need).is_ok() {
            return;
        }
    }
    let signal = match scause {
        2 => proc::SIGILL,
        3 => proc::SIGTRAP,
        0 | 4 | 6 => proc::SIGBUS,
        _ => proc::SIGSEGV,
    };
    let (name, minflt) = (p.name, p.space.minflt);
    drop(cur);
    proc::kill(
        name,
        minflt,
        signal,
        format_args!(
            "{} at {}, pc {:#x}",
            exception_name(scause),
            mm_core::VirtAddr(stval),
            frame.sepc
        ),
    )
}
