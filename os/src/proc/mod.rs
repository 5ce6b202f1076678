//! Processes. This stage has one: init, started from a static ELF in the initramfs, with
//! eagerly mapped segments and stack, running until it exits or faults. Its exit status
//! becomes the machine's (through the finisher), as `rvmmu run` will report it.

pub mod elf;
pub mod exec;
pub mod rlimit;
pub mod space;

use space::AddressSpace;
use spin::Mutex;

/// Signal numbers (asm-generic).
pub const SIGILL: u32 = 4;
pub const SIGTRAP: u32 = 5;
pub const SIGBUS: u32 = 7;
pub const SIGSEGV: u32 = 11;

/// A process.
pub struct Process {
    pub name: &'static str,
    pub space: AddressSpace,
    /// The program break: `[brk_start, brk)` is the heap.
    pub brk_start: u64,
    pub brk: u64,
    pub limits: [rlimit::Limit; rlimit::NLIMITS],
    pub files: crate::fs::files::FdTable,
}

/// The running process.
pub static CURRENT: Mutex<Option<Process>> = Mutex::new(None);

/// Ends the process with `status` (the wait status's exit code, or 128 + signal as a
/// shell reports a kill) and, being init, the machine with it.
pub fn exit(name: &str, minflt: u64, status: u32) -> ! {
    log::info!(
        "{name}: minflt {minflt}, majflt 0; pgfault {}",
        space::PGFAULT.load(core::sync::atomic::Ordering::Relaxed)
    );
    log::info!("{name}: exited with status {status}");
    crate::arch::sbi::shutdown((status & 0xff) as u16)
}

/// Kills the process with `signal` (default action: terminate), logging why.
pub fn kill(name: &str, minflt: u64, signal: u32, why: core::fmt::Arguments<'_>) -> ! {
    let sig = match signal {
        SIGSEGV => "SIGSEGV",
        SIGBUS => "SIGBUS",
        SIGILL => "SIGILL",
        SIGTRAP => "SIGTRAP",
        _ => "signal",
    };
    log::info!("{name}: killed by {sig} ({why})");
    exit(name, minflt, 128 + signal)
}
