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
    /// The command name (the program file's base name, Linux's `comm`).
    pub name: &'static str,
    /// The program's path (/proc/PID/exe, the name of its areas in /proc/PID/maps).
    pub exe: &'static str,
    pub space: AddressSpace,
    /// The program break: `[brk_start, brk)` is the heap.
    pub brk_start: u64,
    pub brk: u64,
    pub limits: [rlimit::Limit; rlimit::NLIMITS],
    pub files: crate::fs::files::FdTable,
    /// Where exec put the code, data, stack and argument strings (/proc/PID/stat).
    pub loaded: elf::Loaded,
}

/// The running process.
pub static CURRENT: Mutex<Option<Process>> = Mutex::new(None);

/// Finisher status bit saying "killed by a signal": init's end is reported to the machine
/// as the exit status n (0..=255), or `KILLED | signal` when a signal killed it, which
/// `rvmmu run` turns into 128 + signal and the shell's word, as a shell reports a wait
/// status.
pub const KILLED: u16 = 0x100;

fn fault_counts(name: &str, minflt: u64) {
    log::info!(
        "{name}: minflt {minflt}, majflt 0; pgfault {}",
        space::PGFAULT.load(core::sync::atomic::Ordering::Relaxed)
    );
}

/// Ends the process with exit status `status` (its low 8 bits, as wait reports them) and,
/// being init, the machine with it.
pub fn exit(name: &str, minflt: u64, status: u32) -> ! {
    fault_counts(name, minflt);
    log::info!("{name}: exited with status {}", status & 0xff);
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
    fault_counts(name, minflt);
    crate::arch::sbi::shutdown(KILLED | (signal as u16 & 0x7f))
}
