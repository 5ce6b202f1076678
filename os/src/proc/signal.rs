//! Sending signals: kill(129), tkill(130), tgkill(131), with every signal's default action
//! (signal(7)), since no process can install a handler yet (rt_sigaction is ENOSYS); and
//! blocking them, rt_sigprocmask(135): a signal sent while blocked waits, pending, until
//! it is unblocked (SIGKILL and SIGSTOP cannot be blocked). glibc's raise() blocks every
//! signal around its tgkill, so the signal arrives when it restores the mask, as on Linux.
//!
//! Term and Core signals end the target as if the signal had been delivered (the wait
//! status carries the signal; no core is written, as with Linux's RLIMIT_CORE of 0). Ign
//! signals (SIGCHLD, SIGURG, SIGWINCH) and SIGCONT (nothing is ever stopped) do nothing.
//! The stop signals are not implemented: ENOSYS with a log line. One hart and no kernel
//! preemption make delivery prompt: a target other than the caller is not running, and
//! ends at the end of the caller's system call (once the caller is back in the process
//! table, so that what an end checks — the reverse map's users of shared frames — sees
//! every process); a caller that signals itself ends when the call returns. init is never
//! ended by a signal (Linux delivers to pid 1 only the signals it handles).

use super::{end, Process, TABLE};
use crate::errno::Errno;
use crate::syscall::SysResult;
use alloc::vec::Vec;
use mm_core::task::Ending;
use spin::Mutex;

/// Processes a signal has ended, to be ended at the end of the sender's trap.
static DOOMED: Mutex<Vec<(u32, Ending)>> = Mutex::new(Vec::new());

/// Ends the processes signals have ended during this trap (see the module's notes). The
/// caller of the trap is back in the table, or has ended.
pub(super) fn end_doomed() {
    loop {
        let Some((pid, ending)) = DOOMED.lock().pop() else {
            return;
        };
        let victim = TABLE.lock().live.take(pid);
        if let Some(victim) = victim {
            end(victim, ending);
        }
    }
}

const SIGKILL: u64 = 9;
const SIGSTOP: u64 = 19;
/// The highest signal number (the last real-time one).
const SIGRTMAX: u64 = 64;

/// A signal's default action (signal(7)).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Action {
    /// End the process (Term and Core alike: no core files).
    End,
    /// Nothing (Ign, and Cont with nothing stopped).
    Nothing,
    /// Stop the process: not implemented.
    Stop,
}

/// A signal's name, for the log (signal(7)'s numbers on RISC-V, the generic ones).
pub fn name(sig: u32) -> &'static str {
    const NAMES: [&str; 31] = [
        "SIGHUP",
        "SIGINT",
        "SIGQUIT",
        "SIGILL",
        "SIGTRAP",
        "SIGABRT",
        "SIGBUS",
        "SIGFPE",
        "SIGKILL",
        "SIGUSR1",
        "SIGSEGV",
        "SIGUSR2",
        "SIGPIPE",
        "SIGALRM",
        "SIGTERM",
        "SIGSTKFLT",
        "SIGCHLD",
        "SIGCONT",
        "SIGSTOP",
        "SIGTSTP",
        "SIGTTIN",
        "SIGTTOU",
        "SIGURG",
        "SIGXCPU",
        "SIGXFSZ",
        "SIGVTALRM",
        "SIGPROF",
        "SIGWINCH",
        "SIGIO",
        "SIGPWR",
        "SIGSYS",
    ];
    match sig {
        1..=31 => NAMES[sig as usize - 1],
        _ => "a real-time signal",
    }
}

fn default_action(sig: u64) -> Action {
    match sig {
        17 | 23 | 28 => Action::Nothing, // SIGCHLD, SIGURG, SIGWINCH: Ign
        18 => Action::Nothing,           // SIGCONT: Cont
        19..=22 => Action::Stop,         // SIGSTOP, SIGTSTP, SIGTTIN, SIGTTOU
        _ => Action::End,                // Term or Core (the real-time signals: Term)
    }
}

/// What a signal call decided: its return value, and whether the caller itself must end.
pub struct Sent {
    pub ret: SysResult,
    pub end_caller: Option<Ending>,
}

impl Sent {
    fn ret(ret: SysResult) -> Sent {
        Sent {
            ret,
            end_caller: None,
        }
    }
}

/// kill(pid, sig): pid > 0 that process; 0 every process of the caller's process group
/// (there is one: every process, the caller and init included); -1 every process but init
/// and the caller; < -1 the process group -pid (none but the one: ESRCH). sig 0 only checks
/// that the target exists. A zombie can be signalled, to no effect, as on Linux.
pub fn kill(p: &mut Process, pid: i64, sig: u64) -> Sent {
    let pid = pid as i32 as i64;
    let targets: Vec<u32> = match pid {
        1.. => {
            let pid = pid as u32;
            let t = TABLE.lock();
            if pid != p.pid && !t.live.contains(pid) && !t.zombies.contains_key(&pid) {
                return Sent::ret(Err(Errno::ESRCH));
            }
            alloc::vec![pid]
        }
        0 | -1 => {
            let t = TABLE.lock();
            let mut all: Vec<u32> = t.live.pids().collect();
            if pid == 0 {
                all.push(p.pid);
            } else {
                all.retain(|&q| q != super::INIT);
                if all.is_empty() {
                    return Sent::ret(Err(Errno::ESRCH));
                }
            }
            all
        }
        _ => return Sent::ret(Err(Errno::ESRCH)),
    };
    send(p, &targets, sig)
}

/// tgkill(tgid, tid, sig), and tkill(tid, sig) with `tgid` None: one thread per process, so
/// the thread is the process `tid` (in thread group `tgid` when given).
pub fn tgkill(p: &mut Process, tgid: Option<i64>, tid: i64, sig: u64) -> Sent {
    let tid = tid as i32 as i64;
    if tid <= 0 || tgid.is_some_and(|g| g as i32 as i64 <= 0) {
        return Sent::ret(Err(Errno::EINVAL));
    }
    if tgid.is_some_and(|g| g as i32 as i64 != tid) {
        return Sent::ret(Err(Errno::ESRCH));
    }
    let tid = tid as u32;
    // Linux finds no thread once the process has ended (zombie threads are not looked up).
    if tid != p.pid && !TABLE.lock().live.contains(tid) {
        return Sent::ret(Err(Errno::ESRCH));
    }
    send(p, &[tid], sig)
}

/// Delivers `sig` to `targets` (the caller's pid among them ends the caller when the call
/// returns, after the others).
fn send(p: &mut Process, targets: &[u32], sig: u64) -> Sent {
    if sig > SIGRTMAX {
        return Sent::ret(Err(Errno::EINVAL));
    }
    if sig == 0 {
        return Sent::ret(Ok(0));
    }
    match default_action(sig) {
        Action::Nothing => return Sent::ret(Ok(0)),
        Action::Stop => {
            log::warn!("{}: stop signal {sig}: not implemented: -ENOSYS", p.name);
            return Sent::ret(Err(Errno::ENOSYS));
        }
        Action::End => {}
    }
    let ending = Ending::Signaled(sig as u32);
    let bit = 1u64 << (sig - 1);
    let mut end_caller = None;
    for &pid in targets {
        // init ends only by its own exit: the signals it has no handler for (all of them,
        // here) are not delivered to it, whoever sends them.
        if pid == super::INIT {
            continue;
        }
        if pid == p.pid {
            if p.sigmask & bit != 0 {
                p.sigpending |= bit;
            } else {
                end_caller = Some(ending);
            }
            continue;
        }
        // The target is not running (the caller is); a zombie has nothing left to end.
        let mut t = TABLE.lock();
        let Some(v) = t.live.get_mut(pid) else {
            continue;
        };
        if v.sigmask & bit != 0 {
            v.sigpending |= bit;
        } else {
            log::info!(
                "{} (pid {}): signal {sig} from {} (pid {})",
                v.name,
                v.pid,
                p.name,
                p.pid
            );
            DOOMED.lock().push((pid, ending));
        }
    }
    Sent {
        ret: Ok(0),
        end_caller,
    }
}

/// rt_sigprocmask(how, set, oldset, sigsetsize): SIG_BLOCK (0), SIG_UNBLOCK (1) or
/// SIG_SETMASK (2) with `set` (when not null), the previous mask to `oldset` (when not
/// null); sigsetsize must be 8. A pending signal the new mask unblocks is delivered: the
/// lowest-numbered one ends the caller.
pub fn sigprocmask(p: &mut Process, how: u64, set: u64, oldset: u64, size: u64) -> Sent {
    use mm_core::VirtAddr;
    if size != 8 {
        return Sent::ret(Err(Errno::EINVAL));
    }
    let old = p.sigmask;
    if set != 0 {
        let mut raw = [0u8; 8];
        if p.space.copy_in(VirtAddr(set), &mut raw).is_err() {
            return Sent::ret(Err(Errno::EFAULT));
        }
        let set = u64::from_le_bytes(raw);
        let mask = match how {
            0 => old | set,
            1 => old & !set,
            2 => set,
            _ => return Sent::ret(Err(Errno::EINVAL)),
        };
        p.sigmask = mask & !(1 << (SIGKILL - 1) | 1 << (SIGSTOP - 1));
    }
    if oldset != 0
        && p.space
            .copy_out(VirtAddr(oldset), &old.to_le_bytes())
            .is_err()
    {
        return Sent::ret(Err(Errno::EFAULT));
    }
    let ready = p.sigpending & !p.sigmask;
    if ready != 0 {
        let sig = ready.trailing_zeros() + 1;
        p.sigpending &= !(1 << (sig - 1));
        return Sent {
            ret: Ok(0),
            end_caller: Some(Ending::Signaled(sig)),
        };
    }
    Sent::ret(Ok(0))
}
