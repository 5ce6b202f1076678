//! CPU time accounting: how long each process has run in user mode and in the kernel.
//!
//! Precise rather than sampled (Linux's VIRT_CPU_ACCOUNTING_GEN, not its tick sampling):
//! the clock is read where a process's mode changes — at a trap from U-mode (its user
//! stretch ends), at the end of the trap's handling (its kernel stretch ends), at the tick
//! that switches away from it, and when it is switched to (a stretch begins). Time spent
//! waiting for an interrupt with nothing to run is nobody's. The clock is the `time` CSR,
//! which rvmmu derives from retired instructions, so the times are deterministic there.
//!
//! Reported as Linux reports them: /proc/PID/stat's utime, stime, cutime and cstime in
//! clock ticks (USER_HZ, 100 a second), getrusage's and wait4's timevals, times(), and the
//! CPU-time clocks of clock_gettime.

use super::Process;

/// CPU time in nanoseconds, in user mode and in the kernel.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CpuTimes {
    pub user: u64,
    pub sys: u64,
}

/// Clock ticks per second of the times reported in clock ticks (USER_HZ, AT_CLKTCK).
pub const USER_HZ: u64 = 100;

/// Nanoseconds in clock ticks (whole ticks, rounded down).
pub fn clock_ticks(ns: u64) -> u64 {
    ns / (1_000_000_000 / USER_HZ)
}

impl CpuTimes {
    /// The sum of two accounts (a process's own and its reaped children's).
    pub fn plus(self, o: CpuTimes) -> CpuTimes {
        CpuTimes {
            user: self.user + o.user,
            sys: self.sys + o.sys,
        }
    }

    /// Both, in clock ticks: (user, sys).
    pub fn ticks(self) -> (u64, u64) {
        (clock_ticks(self.user), clock_ticks(self.sys))
    }

    /// Writes struct rusage's first two fields, ru_utime and ru_stime (two struct timevals:
    /// seconds and microseconds, 8 bytes each), into `out` (32 bytes).
    pub fn put_timevals(self, out: &mut [u8]) {
        for (i, ns) in [self.user, self.sys].into_iter().enumerate() {
            out[i * 16..i * 16 + 8].copy_from_slice(&(ns / 1_000_000_000).to_le_bytes());
            out[i * 16 + 8..i * 16 + 16]
                .copy_from_slice(&(ns % 1_000_000_000 / 1000).to_le_bytes());
        }
    }
}

impl Process {
    /// Ends the stretch being timed at `now`: charges it to user or kernel time, and
    /// starts the next one.
    pub(super) fn charge(&mut self, now: u64, user: bool) {
        let spent = now.saturating_sub(self.run_mark);
        crate::fs::proc_stat::charge(spent, user);
        if user {
            self.times.user += spent;
        } else {
            self.times.sys += spent;
        }
        self.run_mark = now;
    }

    /// The process's CPU times including the kernel time of the system call it is in (for
    /// the calls that report its own times).
    pub fn times_now(&self) -> CpuTimes {
        let now = crate::time::now_ns();
        CpuTimes {
            user: self.times.user,
            sys: self.times.sys + now.saturating_sub(self.run_mark),
        }
    }
}
