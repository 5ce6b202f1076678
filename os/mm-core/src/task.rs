//! Process-table logic with no hardware in it, used by the kernel's `proc` module and
//! tested on the host: pid allocation under the process limit, the ASID pool, wait
//! statuses and the round-robin choice of the next process.

/// The most processes that may exist at once, zombies included (docs/KERNEL.md,
/// "Processes"): a fork past it fails with EAGAIN, as Linux's RLIMIT_NPROC makes it fail.
pub const MAX_PROCS: usize = 64;

/// Largest pid before allocation wraps around (Linux's default pid_max, 32768).
pub const PID_MAX: u32 = 32768;

/// Pids as Linux hands them out: increasing from 1, skipping pids in use, wrapping to the
/// bottom after [`PID_MAX`] (Linux wraps to 300; here there are no kernel threads below).
#[derive(Debug)]
pub struct Pids {
    last: u32,
}

impl Default for Pids {
    fn default() -> Self {
        Pids::new()
    }
}

impl Pids {
    pub const fn new() -> Pids {
        Pids { last: 0 }
    }

    /// The next pid not `in_use`, or `None` when all are (never with [`MAX_PROCS`] limits).
    pub fn alloc(&mut self, in_use: impl Fn(u32) -> bool) -> Option<u32> {
        let mut pid = self.last;
        for _ in 0..PID_MAX {
            pid = if pid >= PID_MAX { 1 } else { pid + 1 };
            if !in_use(pid) {
                self.last = pid;
                return Some(pid);
            }
        }
        None
    }
}

/// Address-space identifiers 1..=[`MAX_PROCS`] (satp.ASID; 0 stays the kernel's): one per
/// live address space, so no two live processes share one. A freed ASID must be fenced
/// (`sfence.vma x0, asid`) before it is handed out again.
#[derive(Debug, Default)]
pub struct Asids {
    used: u64,
}

const _: () = assert!(MAX_PROCS <= 64, "Asids is a 64-bit mask");

impl Asids {
    pub const fn new() -> Asids {
        Asids { used: 0 }
    }

    /// The lowest free ASID.
    pub fn alloc(&mut self) -> Option<u16> {
        let free = !self.used;
        if free == 0 {
            return None;
        }
        let bit = free.trailing_zeros();
        self.used |= 1 << bit;
        Some(bit as u16 + 1)
    }

    /// Gives `asid` back.
    pub fn free(&mut self, asid: u16) {
        if (1..=MAX_PROCS as u16).contains(&asid) {
            self.used &= !(1 << (asid - 1));
        }
    }
}

/// How a process ended, as wait4 reports it (the status word's encoding, which the
/// WIFEXITED/WEXITSTATUS/WIFSIGNALED/WTERMSIG macros of <sys/wait.h> decode).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ending {
    /// exit(code): the low 8 bits of the code.
    Exited(u32),
    /// Killed by a signal (no core dump: RLIMIT_CORE is 0).
    Signaled(u32),
}

impl Ending {
    /// The wait status: `code << 8` for an exit, the signal number in the low 7 bits for a
    /// kill.
    pub const fn wait_status(self) -> u32 {
        match self {
            Ending::Exited(code) => (code & 0xff) << 8,
            Ending::Signaled(sig) => sig & 0x7f,
        }
    }
}

/// Round robin: the first pid after `current` (in ascending order, wrapping) for which
/// `runnable` holds; `current` itself comes last, so it runs again only when nothing else
/// can. `pids` is in ascending order.
pub fn next_to_run(
    pids: impl Iterator<Item = u32> + Clone,
    current: u32,
    runnable: impl Fn(u32) -> bool,
) -> Option<u32> {
    pids.clone()
        .filter(|&p| p > current)
        .chain(pids.filter(|&p| p <= current))
        .find(|&p| runnable(p))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pids_increase_skip_used_ones_and_wrap() {
        let mut p = Pids::new();
        assert_eq!(p.alloc(|_| false), Some(1));
        assert_eq!(p.alloc(|_| false), Some(2));
        assert_eq!(p.alloc(|x| x == 3 || x == 4), Some(5));
        let mut p = Pids { last: PID_MAX - 1 };
        assert_eq!(p.alloc(|_| false), Some(PID_MAX));
        assert_eq!(p.alloc(|x| x == 1), Some(2));
        assert_eq!(Pids::new().alloc(|_| true), None);
    }

    #[test]
    fn asids_are_unique_while_live_and_reused_after_free() {
        let mut a = Asids::new();
        let all: std::vec::Vec<u16> = (0..MAX_PROCS).map(|_| a.alloc().unwrap()).collect();
        assert_eq!(all.first(), Some(&1));
        assert_eq!(all.last(), Some(&(MAX_PROCS as u16)));
        assert_eq!(a.alloc(), None);
        a.free(7);
        a.free(0);
        assert_eq!(a.alloc(), Some(7));
        assert_eq!(a.alloc(), None);
    }

    #[test]
    fn wait_statuses_decode_as_sys_wait_h_says() {
        let s = Ending::Exited(42).wait_status();
        assert_eq!((s & 0x7f, (s >> 8) & 0xff), (0, 42)); // WIFEXITED, WEXITSTATUS
        assert_eq!(Ending::Exited(0x1ff).wait_status(), 0xff00);
        let s = Ending::Signaled(11).wait_status();
        // WIFSIGNALED: ((s & 0x7f) + 1) >> 1 > 0 as a signed char; WTERMSIG = s & 0x7f.
        assert!((((s & 0x7f) + 1) as i8 >> 1) > 0);
        assert_eq!(s & 0x7f, 11);
    }

    #[test]
    fn round_robin_goes_around_and_picks_current_last() {
        let pids = [1u32, 2, 5, 9];
        let it = pids.iter().copied();
        assert_eq!(next_to_run(it.clone(), 2, |_| true), Some(5));
        assert_eq!(next_to_run(it.clone(), 9, |_| true), Some(1));
        assert_eq!(next_to_run(it.clone(), 5, |p| p == 5), Some(5));
        assert_eq!(next_to_run(it.clone(), 5, |p| p == 1 || p == 5), Some(1));
        assert_eq!(next_to_run(it, 1, |_| false), None);
    }
}
