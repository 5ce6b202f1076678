//! What happens on a trap (the entry and exit are in [`crate::arch::trap`]): the timer
//! interrupt (the scheduler's tick), system calls and faults from U-mode, and a kernel
//! panic on any exception taken in the kernel.

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
    crate::arch::trap::register_seg_resume();
    log::info!("pmp: {} entries", crate::arch::sbi::pmp_count());
}

/// Timer interrupts taken so far.
pub fn ticks() -> u64 {
    TICKS.load(Ordering::Relaxed)
}

/// Called by the trap entry with the saved registers; returns the frame to resume (after
/// a process switch, another process's, on its own kernel stack).
#[allow(unsafe_code)]
#[no_mangle]
pub extern "C" fn handle_raw(frame: &mut TrapFrame) -> *mut TrapFrame {
    let scause: u64;
    let stval: u64;
    #[allow(unsafe_code)]
    // SAFETY: reading the trap CSRs has no side effect.
    unsafe {
        core::arch::asm!("csrr {}, scause", "csrr {}, stval", out(reg) scause, out(reg) stval);
    }
    let from_user = frame.sstatus & csr::SSTATUS_SPP == 0;
    if scause & INTERRUPT != 0 {
        crate::fs::proc_stat::count_interrupt();
        match scause & !INTERRUPT {
            IRQ_S_TIMER => {
                TICKS.fetch_add(1, Ordering::Relaxed);
                // The scheduler's tick: the next deadline (which clears STIP), and a switch
                // when the tick interrupted a user process.
                return proc::tick(frame, from_user);
            }
            code => log::warn!("unexpected interrupt {code}"),
        }
        return frame;
    }
    if from_user {
        return proc::on_user_trap(frame, |p, frame| user_exception(p, frame, scause, stval));
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

/// An exception taken in U-mode by process `p`: a system call, or a fault that runs the
/// process's handler for its signal or, without one, kills the process (never the
/// kernel).
fn user_exception(
    p: &mut proc::Process,
    frame: &mut TrapFrame,
    scause: u64,
    stval: u64,
) -> proc::Outcome {
    const ECALL_FROM_U: u64 = 8;
    if scause == ECALL_FROM_U {
        frame.sepc += 4;
        return crate::syscall::syscall(p, frame);
    }
    // Page faults: demand paging and copy-on-write, unless the access is outside every
    // area or against its permissions (then SIGSEGV below).
    let need = match scause {
        12 => Some(mm_core::pte::PteFlags::X),
        13 => Some(mm_core::pte::PteFlags::R),
        15 => Some(mm_core::pte::PteFlags::W),
        _ => None,
    };
    if let Some(need) = need {
        crate::kevent::fault_begin(stval, need, true);
        let ok = p.space.fault_in(mm_core::VirtAddr(stval), need).is_ok();
        crate::kevent::fault_end(stval, ok, true);
        if ok {
            return proc::Outcome::Resume;
        }
        if p.space.oom_killed {
            // No memory, and the OOM killer chose this process (it has said so).
            return proc::Outcome::End(mm_core::task::Ending::Signaled(proc::SIGKILL));
        }
    }
    // The signal, si_code and si_addr Linux gives (arch/riscv/kernel/traps.c and
    // mm/fault.c): a page fault's address is stval, with SEGV_MAPERR when no area holds
    // it and SEGV_ACCERR when one does but forbids the access; the others report the pc.
    use proc::signal::{BUS_ADRALN, ILL_ILLOPC, SEGV_ACCERR, SEGV_MAPERR, TRAP_BRKPT};
    let (signal, code, addr) = match scause {
        // A segmented process's access outside its segments or against their permissions
        // (PMP: an access fault): SIGSEGV at the address with the si_code a page fault
        // would give (no segment: SEGV_MAPERR; one that forbids the access: SEGV_ACCERR).
        1 | 5 | 7 if p.space.seg.is_some() => {
            let held = p
                .space
                .seg
                .as_ref()
                .is_some_and(|s| s.table.containing(stval).is_some());
            let code = if held { SEGV_ACCERR } else { SEGV_MAPERR };
            (proc::SIGSEGV, code, stval)
        }
        2 => (proc::SIGILL, ILL_ILLOPC, frame.sepc),
        3 => (proc::SIGTRAP, TRAP_BRKPT, frame.sepc),
        0 | 4 | 6 => (proc::SIGBUS, BUS_ADRALN, stval),
        12 | 13 | 15 if p.space.vmas.find(stval).is_some() => (proc::SIGSEGV, SEGV_ACCERR, stval),
        12 | 13 | 15 => (proc::SIGSEGV, SEGV_MAPERR, stval),
        _ => (proc::SIGSEGV, SEGV_ACCERR, frame.sepc),
    };
    // A handler runs (on the way back to U-mode); otherwise the fault ends the process.
    if proc::signal::fault(p, signal, code, addr) {
        return proc::Outcome::Resume;
    }
    proc::log_kill(
        p,
        signal,
        format_args!(
            "{} at {}, pc {:#x}",
            exception_name(scause),
            mm_core::VirtAddr(stval),
            frame.sepc
        ),
    );
    proc::Outcome::End(mm_core::task::Ending::Signaled(signal))
}
