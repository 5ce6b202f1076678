//! Signals (signal(7)): sending them (kill(129), tkill(130), tgkill(131), and the kernel's
//! own: faults, SIGCHLD), their dispositions (rt_sigaction(134): the default action,
//! SIG_IGN or a handler), blocking them (rt_sigprocmask(135)), and delivering them on the
//! way back to U-mode: a handler runs on the process's stack (or its alternate stack,
//! sigaltstack(132)) on a frame laid out as Linux's (`mm_core::sigframe`) and returns through the
//! `[vdso]` page's `li a7, 139; ecall` to rt_sigreturn(139). Also rt_sigpending(136),
//! rt_sigtimedwait(137), rt_sigsuspend(133), and ppoll(73)/pselect6(72), which wait for
//! descriptors (`poll.rs`), a signal or a timeout.
//!
//! Default actions: Term and Core end the process (the wait status carries the signal; no
//! core is written, as with Linux's RLIMIT_CORE of 0); Ign does nothing; Stop stops it
//! (it is not scheduled until SIGCONT; its parent gets SIGCHLD with CLD_STOPPED and wait4
//! with WUNTRACED reports it); Cont resumes it (CLD_CONTINUED, WCONTINUED). One hart and no
//! kernel preemption make delivery prompt: a target other than the caller is not running;
//! a signal that ends it ends it at the end of the caller's system call (once the caller
//! is back in the process table, so that what an end checks — the reverse map's users of
//! shared frames — sees every process), one that stops it stops it at once, one with a
//! handler waits in its pending set (waking it if it sleeps) until it next returns to
//! U-mode. The standard signals do not queue (one pending instance each, the first one's
//! siginfo kept); nor, here, do the real-time ones (Linux queues those).
//!
//! A system call that must sleep while a deliverable signal is pending is interrupted
//! (Linux's ERESTARTSYS and its kin): EINTR, or, for a handler with SA_RESTART, run again
//! after the handler returns (read, write, wait4: the `ecall` is simply executed again;
//! nanosleep, ppoll, pselect6, rt_sigsuspend and rt_sigtimedwait never restart after a
//! handler). A sleeper woken by a signal first runs its call again (which may now finish:
//! wait4 finding the child that sent SIGCHLD), as Linux's do_wait does.
//!
//! init (pid 1) gets only the signals it has a handler for (Linux's rule for pid 1), and
//! faults, which end it when it has none.

use super::{end, Process, State, Wait, INIT, TABLE};
use crate::arch::csr;
use crate::arch::fp;
use crate::arch::trap::TrapFrame;
use crate::errno::Errno;
use crate::syscall::SysResult;
use alloc::boxed::Box;
use alloc::vec::Vec;
use mm_core::sigframe::{self, Body, Info, Saved};
use mm_core::task::Ending;
use mm_core::VirtAddr;
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

pub use mm_core::signo::{SIGCHLD, SIGCONT, SIGKILL, SIGSEGV, SIGSTOP};
/// The highest signal number (the last real-time one).
const SIGRTMAX: u64 = 64;
/// Bit n - 1 for signal n.
const fn bit(sig: u32) -> u64 {
    1 << (sig - 1)
}
/// SIGKILL and SIGSTOP can be neither blocked, caught nor ignored.
const UNBLOCKABLE: u64 = bit(SIGKILL) | bit(SIGSTOP);
/// SIGSTOP, SIGTSTP, SIGTTIN, SIGTTOU.
const STOP_SIGNALS: u64 = bit(19) | bit(20) | bit(21) | bit(22);

/// sa_flags (asm-generic/signal-defs.h; riscv64 has no SA_RESTORER).
pub const SA_NOCLDSTOP: u64 = 0x1;
pub const SA_NOCLDWAIT: u64 = 0x2;
pub const SA_SIGINFO: u64 = 0x4;
pub const SA_ONSTACK: u64 = 0x0800_0000;
pub const SA_RESTART: u64 = 0x1000_0000;
pub const SA_NODEFER: u64 = 0x4000_0000;
pub const SA_RESETHAND: u64 = 0x8000_0000;
/// Flags Linux keeps (it clears unknown ones, so a program can tell what is supported;
/// SA_EXPOSE_TAGBITS, 0x800, has no meaning on riscv64 but is kept as Linux keeps it).
const SA_KNOWN: u64 = SA_NOCLDSTOP
    | SA_NOCLDWAIT
    | SA_SIGINFO
    | SA_ONSTACK
    | SA_RESTART
    | SA_NODEFER
    | SA_RESETHAND
    | 0x800;
const SIG_DFL: u64 = 0;
const SIG_IGN: u64 = 1;

/// si_code values (asm-generic/siginfo.h).
pub const SI_USER: i32 = 0;
pub const SI_TKILL: i32 = -6;
pub const SEGV_MAPERR: i32 = 1;
pub const SEGV_ACCERR: i32 = 2;
pub const BUS_ADRALN: i32 = 1;
pub const ILL_ILLOPC: i32 = 1;
pub const TRAP_BRKPT: i32 = 1;
const CLD_EXITED: i32 = 1;
const CLD_KILLED: i32 = 2;
const CLD_STOPPED: i32 = 5;
const CLD_CONTINUED: i32 = 6;

/// sigaltstack's ss_flags.
const SS_ONSTACK: i32 = 1;
const SS_DISABLE: i32 = 2;
const SS_AUTODISARM: i32 = 1 << 31;
/// asm-generic MINSIGSTKSZ.
const MINSIGSTKSZ: u64 = 2048;

/// One signal's disposition (the kernel's `struct sigaction` on riscv64: handler, flags,
/// mask; 24 bytes).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SigAction {
    pub handler: u64,
    pub flags: u64,
    pub mask: u64,
}

/// The alternate signal stack (sigaltstack); size 0: none.
#[derive(Clone, Copy, Debug, Default)]
pub struct AltStack {
    pub sp: u64,
    pub size: u64,
    /// SS_AUTODISARM.
    pub autodisarm: bool,
}

impl AltStack {
    /// Whether `sp` is on it (Linux's on_sig_stack for a downward stack).
    fn on(&self, sp: u64) -> bool {
        !self.autodisarm && sp > self.sp && sp - self.sp <= self.size
    }
    /// ss_flags as sigaltstack and uc_stack report them at `sp`.
    fn flags(&self, sp: u64) -> i32 {
        if self.size == 0 {
            SS_DISABLE
        } else if self.on(sp) {
            SS_ONSTACK
        } else if self.autodisarm {
            SS_AUTODISARM
        } else {
            0
        }
    }
}

/// A process's signal state besides its mask and pending set (which are `Process`
/// fields).
#[derive(Clone)]
pub struct Signals {
    /// Dispositions, by signal - 1.
    pub actions: [SigAction; 64],
    /// The siginfo of each pending signal.
    info: [Info; 64],
    /// Pending signals sent to the thread (tkill, tgkill, faults) rather than the process
    /// (kill): /proc's SigPnd and ShdPnd.
    pub thread_pending: u64,
    pub alt: AltStack,
    /// The mask to restore once a signal has been handled (rt_sigsuspend, ppoll and
    /// pselect6 with a mask run with theirs meanwhile).
    saved_mask: Option<u64>,
    /// Signals rt_sigtimedwait waits for (they wake the process although blocked).
    waiting: u64,
    /// A stop or continue its parent's wait4 has not reported yet (the wait status).
    pub report: Option<u32>,
    /// The `[vdso]` page's address: handlers return to its `li a7, 139; ecall`.
    pub vdso: u64,
}

impl Signals {
    pub fn new(vdso: u64) -> Box<Signals> {
        Box::new(Signals {
            actions: [SigAction::default(); 64],
            info: [Info::default(); 64],
            thread_pending: 0,
            alt: AltStack::default(),
            saved_mask: None,
            waiting: 0,
            report: None,
            vdso,
        })
    }

    /// A fork's child's: the same dispositions and alternate stack, nothing pending.
    pub fn fork(&self) -> Box<Signals> {
        let mut s = Signals::new(self.vdso);
        s.actions = self.actions;
        s.alt = self.alt;
        s
    }

    /// After execve: handlers back to SIG_DFL (ignored signals stay ignored), no
    /// alternate stack, the new program's `[vdso]`.
    pub fn exec(&mut self, vdso: u64) {
        for a in self.actions.iter_mut() {
            let ignored = a.handler == SIG_IGN;
            *a = SigAction::default();
            if ignored {
                a.handler = SIG_IGN;
            }
        }
        self.alt = AltStack::default();
        self.vdso = vdso;
    }

    /// Signals ignored (SigIgn) and caught (SigCgt), as bit sets.
    pub fn ignored_caught(&self) -> (u64, u64) {
        let (mut ign, mut cgt) = (0, 0);
        for (i, a) in self.actions.iter().enumerate() {
            match a.handler {
                SIG_DFL => {}
                SIG_IGN => ign |= 1 << i,
                _ => cgt |= 1 << i,
            }
        }
        (ign, cgt)
    }
}

/// The `[vdso]` page's contents: `li a7, 139` (addi a7, zero, 139) and `ecall`, the
/// rt_sigreturn call handlers return to (Linux's __vdso_rt_sigreturn does the same).
pub static TRAMPOLINE: [u8; 8] = {
    let li = (139u32 << 20) | (17 << 7) | 0x13;
    let ecall = 0x73u32;
    let (a, b) = (li.to_le_bytes(), ecall.to_le_bytes());
    [a[0], a[1], a[2], a[3], b[0], b[1], b[2], b[3]]
};

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

/// A signal's disposition as delivery sees it.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Disp {
    /// Run this handler.
    Catch(SigAction),
    /// Discard it (SIG_IGN, or the default Ign or Cont).
    Ignore,
    /// End the process (Term and Core alike: no core files).
    End,
    /// Stop the process.
    Stop,
}

fn disposition(p: &Process, sig: u32) -> Disp {
    let a = p.sig.actions[sig as usize - 1];
    match a.handler {
        _ if sig == SIGKILL => Disp::End,
        _ if sig == SIGSTOP => Disp::Stop,
        SIG_IGN => Disp::Ignore,
        SIG_DFL => match sig {
            17 | 23 | 28 => Disp::Ignore, // SIGCHLD, SIGURG, SIGWINCH: Ign
            18 => Disp::Ignore,           // SIGCONT: Cont (the resuming is done when sent)
            19..=22 => Disp::Stop,        // SIGSTOP, SIGTSTP, SIGTTIN, SIGTTOU
            _ => Disp::End,               // Term or Core (the real-time signals: Term)
        },
        _ => Disp::Catch(a),
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

/// kill(pid, sig): pid > 0 that process; 0 every process of the caller's process group;
/// -1 every process but init and the caller; < -1 the process group -pid (ESRCH when it has
/// no member). sig 0 only checks that the target exists. A zombie can be signalled, to no
/// effect, as on Linux.
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
        -1 => {
            let t = TABLE.lock();
            let mut all: Vec<u32> = t.live.pids().collect();
            all.retain(|&q| q != INIT);
            if all.is_empty() {
                return Sent::ret(Err(Errno::ESRCH));
            }
            all
        }
        _ => {
            let group = if pid == 0 {
                p.pgid
            } else {
                pid.unsigned_abs() as u32
            };
            let members = group_members(group, Some(p));
            if members.is_empty() {
                return Sent::ret(Err(Errno::ESRCH));
            }
            members
        }
    };
    send(p, &targets, sig, SI_USER)
}

/// The live members of process group `pgid` (`me`, the caller out of the table, counted
/// when it is one), ascending.
pub fn group_members(pgid: u32, me: Option<&Process>) -> Vec<u32> {
    let t = TABLE.lock();
    let mut v: Vec<u32> = t
        .live
        .values()
        .filter(|q| q.pgid == pgid)
        .map(|q| q.pid)
        .collect();
    if let Some(me) = me.filter(|m| m.pgid == pgid) {
        v.push(me.pid);
        v.sort_unstable();
    }
    v
}

/// Sends `sig` from the kernel (si_code SI_KERNEL) to every live member of process group
/// `pgid` — the terminal's signals (^C, ^\, ^Z, SIGTTIN, SIGTTOU) — when no process is out
/// of the table (between traps: the scheduler's loop). A signal that ends a member ends it
/// here.
pub fn kernel_to_group(pgid: u32, sig: u32) {
    let members = group_members(pgid, None);
    for pid in members {
        kernel_to(pid, sig);
    }
    end_doomed();
}

/// Sends `sig` from the kernel to live process `pid` (not the one running).
pub fn kernel_to(pid: u32, sig: u32) {
    const SI_KERNEL: i32 = 0x80;
    let info = Info {
        code: SI_KERNEL,
        body: Body::Sender { pid: 0, uid: 0 },
    };
    let (posted, ppid) = {
        let mut t = TABLE.lock();
        let Some(v) = t.live.get_mut(pid) else {
            return;
        };
        (post(v, sig, info, false, false), v.ppid)
    };
    if let Some(ending) = posted.doom {
        DOOMED.lock().push((pid, ending));
    }
    if posted.stopped.is_some() || posted.continued {
        let (code, status) = match posted.stopped {
            Some(s) => (CLD_STOPPED, s as i32),
            None => (CLD_CONTINUED, SIGCONT as i32),
        };
        if let Some(parent) = TABLE.lock().live.get_mut(ppid) {
            notify_parent(parent, pid, code, status);
        }
    }
}

/// Whether `p` ignores or blocks `sig` (the terminal then does not send SIGTTIN or
/// SIGTTOU, and the call fails with EIO, or goes ahead for SIGTTOU).
pub fn ignores_or_blocks(p: &Process, sig: u32) -> bool {
    p.sigmask & bit(sig) != 0 || p.sig.actions[sig as usize - 1].handler == SIG_IGN
}

/// Posts `sig` from the kernel to the running process `p` itself (SIGTTIN or SIGTTOU for
/// its own terminal access): delivered on its way back to U-mode.
pub fn kernel_to_self(p: &mut Process, sig: u32) {
    const SI_KERNEL: i32 = 0x80;
    let info = Info {
        code: SI_KERNEL,
        body: Body::Sender { pid: 0, uid: 0 },
    };
    post(p, sig, info, true, false);
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
    send(p, &[tid], sig, SI_TKILL)
}

/// What posting a signal to a process that is not running left to do.
#[derive(Default)]
struct Posted {
    /// It ends (at the end of the sender's trap).
    doom: Option<Ending>,
    /// It stopped (by this signal) or continued: its parent is told.
    stopped: Option<u32>,
    continued: bool,
}

/// Posts `sig` (with `info`) to `t`; `running`: `t` is the caller (its stop and end wait
/// for its return to U-mode, see [`deliver`]). `thread`: sent to the thread, not the
/// process (/proc's SigPnd rather than ShdPnd).
fn post(t: &mut Process, sig: u32, info: Info, running: bool, thread: bool) -> Posted {
    let b = bit(sig);
    let mut out = Posted::default();
    if sig == SIGCONT {
        // Resumes it whatever SIGCONT's disposition, and cancels pending stops.
        t.sigpending &= !STOP_SIGNALS;
        if t.state == State::Stopped {
            t.state = State::Runnable;
            t.sig.report = Some(0xffff);
            out.continued = true;
        }
    }
    if b & STOP_SIGNALS != 0 {
        t.sigpending &= !bit(SIGCONT);
    }
    let blocked = t.sigmask & b != 0;
    let queue = |t: &mut Process| {
        if t.sigpending & b == 0 {
            t.sig.info[sig as usize - 1] = info;
        }
        t.sigpending |= b;
        if thread {
            t.sig.thread_pending |= b;
        } else {
            t.sig.thread_pending &= !b;
        }
        // A sleeper wakes (to be interrupted) if the signal can be delivered now.
        if matches!(t.state, State::Sleeping(_)) && (!blocked || t.sig.waiting & b != 0) {
            t.state = State::Runnable;
        }
    };
    match disposition(t, sig) {
        // SIG_IGN discards it; so does a default Ign (unless it is blocked and waited for).
        Disp::Ignore if t.sig.waiting & b != 0 => queue(t),
        Disp::Ignore => {}
        Disp::Catch(_) => queue(t),
        // init gets only the signals it handles.
        _ if t.pid == INIT => {}
        Disp::End | Disp::Stop if blocked || running => queue(t),
        Disp::End => out.doom = Some(Ending::Signaled(sig)),
        Disp::Stop => {
            stop(t, sig);
            out.stopped = Some(sig);
        }
    }
    out
}

/// Stops `t` by `sig`: it is not scheduled until SIGCONT (a system call it slept in runs
/// again then).
fn stop(t: &mut Process, sig: u32) {
    t.state = State::Stopped;
    t.sig.report = Some(0x7f | (sig << 8));
    log::info!("{} (pid {}): stopped by {}", t.name, t.pid, name(sig));
}

/// Tells parent `parent` about its child `child`: SIGCHLD with `code` and `status` (not
/// for a stop or continue when the parent asked SA_NOCLDSTOP); a parent waiting in wait4
/// wakes.
pub(super) fn notify_parent(parent: &mut Process, child: u32, code: i32, status: i32) {
    let quiet = matches!(code, CLD_STOPPED | CLD_CONTINUED)
        && parent.sig.actions[SIGCHLD as usize - 1].flags & SA_NOCLDSTOP != 0;
    if !quiet {
        let info = Info {
            code,
            body: Body::Child {
                pid: child,
                uid: 0,
                status,
            },
        };
        post(parent, SIGCHLD, info, false, false);
    }
    if parent.state == State::Sleeping(Wait::Child) {
        parent.state = State::Runnable;
    }
}

/// Whether `parent`'s children are reaped when they end (SIGCHLD set to SIG_IGN, or a
/// disposition with SA_NOCLDWAIT).
pub(super) fn reaps_children(parent: &Process) -> bool {
    let a = parent.sig.actions[SIGCHLD as usize - 1];
    a.handler == SIG_IGN || a.flags & SA_NOCLDWAIT != 0
}

/// SIGCHLD's code and status for an ended child.
pub(super) fn child_ended(ending: Ending) -> (i32, i32) {
    match ending {
        Ending::Exited(code) => (CLD_EXITED, (code & 0xff) as i32),
        Ending::Signaled(sig) => (CLD_KILLED, sig as i32),
    }
}

/// Tells the parent of `child` (not running: the caller is) that it stopped or continued.
fn tell_parent(me: &mut Process, ppid: u32, child: u32, stopped: Option<u32>) {
    let (code, status) = match stopped {
        Some(sig) => (CLD_STOPPED, sig as i32),
        None => (CLD_CONTINUED, SIGCONT as i32),
    };
    if ppid == me.pid {
        notify_parent(me, child, code, status);
    } else if let Some(parent) = TABLE.lock().live.get_mut(ppid) {
        notify_parent(parent, child, code, status);
    }
}

/// Sends `sig` to `targets` (the caller's pid among them ends the caller when the call
/// returns, after the others), with si_code `code`.
fn send(p: &mut Process, targets: &[u32], sig: u64, code: i32) -> Sent {
    if sig > SIGRTMAX {
        return Sent::ret(Err(Errno::EINVAL));
    }
    if sig == 0 {
        return Sent::ret(Ok(0));
    }
    let sig = sig as u32;
    let info = Info {
        code,
        body: Body::Sender { pid: p.pid, uid: 0 },
    };
    let thread = code == SI_TKILL;
    let mut end_caller = None;
    for &pid in targets {
        if pid == p.pid {
            let posted = post(p, sig, info, true, thread);
            end_caller = posted.doom;
            if posted.continued {
                let ppid = p.ppid;
                if let Some(parent) = TABLE.lock().live.get_mut(ppid) {
                    notify_parent(parent, pid, CLD_CONTINUED, SIGCONT as i32);
                }
            }
            continue;
        }
        // The target is not running (the caller is); a zombie has nothing left to do.
        let (posted, ppid, tname) = {
            let mut t = TABLE.lock();
            let Some(v) = t.live.get_mut(pid) else {
                continue;
            };
            (post(v, sig, info, false, thread), v.ppid, v.name)
        };
        if let Some(ending) = posted.doom {
            log::info!(
                "{tname} (pid {pid}): signal {sig} from {} (pid {})",
                p.name,
                p.pid
            );
            DOOMED.lock().push((pid, ending));
        }
        if posted.stopped.is_some() || posted.continued {
            tell_parent(p, ppid, pid, posted.stopped);
        }
    }
    Sent {
        ret: Ok(0),
        end_caller,
    }
}

/// A fault in `p` (signal `sig`, si_code `code`, si_addr `addr`): true when a handler will
/// run (the signal is pending); false when the fault ends the process (no handler, or
/// the signal blocked or ignored: Linux then resets it to SIG_DFL and kills).
pub fn fault(p: &mut Process, sig: u32, code: i32, addr: u64) -> bool {
    if p.sigmask & bit(sig) != 0 || !matches!(disposition(p, sig), Disp::Catch(_)) {
        p.sig.actions[sig as usize - 1] = SigAction::default();
        return false;
    }
    let info = Info {
        code,
        body: Body::Fault { addr },
    };
    // A fault's signal goes first: forget an older pending one of the same number.
    p.sigpending &= !bit(sig);
    post(p, sig, info, true, true);
    true
}

fn read_u64(p: &mut Process, va: u64) -> Result<u64, Errno> {
    let mut raw = [0u8; 8];
    p.space
        .copy_in(VirtAddr(va), &mut raw)
        .map_err(|_| Errno::EFAULT)?;
    Ok(u64::from_le_bytes(raw))
}

/// rt_sigaction(sig, act, oact, sigsetsize): the disposition of `sig` (1..=64; not SIGKILL
/// or SIGSTOP for a new one) to `oact` (when not null), then `act`'s (when not null):
/// `struct sigaction` {handler, flags, mask}, 24 bytes on riscv64. Ignoring a signal
/// (SIG_IGN, or SIG_DFL of an Ign signal) discards its pending instance.
pub fn sigaction(p: &mut Process, sig: u64, act: u64, oact: u64, size: u64) -> SysResult {
    if size != 8 {
        return Err(Errno::EINVAL);
    }
    if !(1..=SIGRTMAX).contains(&sig) {
        return Err(Errno::EINVAL);
    }
    let sig = sig as u32;
    if act != 0 && (sig == SIGKILL || sig == SIGSTOP) {
        return Err(Errno::EINVAL);
    }
    let new = if act != 0 {
        let mut raw = [0u8; 24];
        p.space
            .copy_in(VirtAddr(act), &mut raw)
            .map_err(|_| Errno::EFAULT)?;
        let w = |i: usize| u64::from_le_bytes(raw[i * 8..i * 8 + 8].try_into().unwrap_or_default());
        Some(SigAction {
            handler: w(0),
            flags: w(1) & SA_KNOWN,
            mask: w(2) & !UNBLOCKABLE,
        })
    } else {
        None
    };
    let old = p.sig.actions[sig as usize - 1];
    if oact != 0 {
        let mut raw = [0u8; 24];
        raw[..8].copy_from_slice(&old.handler.to_le_bytes());
        raw[8..16].copy_from_slice(&old.flags.to_le_bytes());
        raw[16..].copy_from_slice(&old.mask.to_le_bytes());
        p.space
            .copy_out(VirtAddr(oact), &raw)
            .map_err(|_| Errno::EFAULT)?;
    }
    if let Some(new) = new {
        p.sig.actions[sig as usize - 1] = new;
        if disposition(p, sig) == Disp::Ignore {
            p.sigpending &= !bit(sig);
        }
    }
    Ok(0)
}

/// sigaltstack(ss, old_ss): `stack_t` {ss_sp, ss_flags (int), ss_size}, 24 bytes. The old
/// one (ss_flags SS_ONSTACK while on it, SS_DISABLE when there is none) to `old_ss`; a new
/// one from `ss`: EPERM while on the alternate stack, EINVAL for flags other than 0,
/// SS_ONSTACK (taken as 0) or SS_DISABLE (with SS_AUTODISARM), ENOMEM below MINSIGSTKSZ.
pub fn sigaltstack(p: &mut Process, frame: &TrapFrame, ss: u64, old_ss: u64) -> SysResult {
    let sp = frame.regs[2];
    let old = p.sig.alt;
    let new = if ss != 0 {
        let mut raw = [0u8; 24];
        p.space
            .copy_in(VirtAddr(ss), &mut raw)
            .map_err(|_| Errno::EFAULT)?;
        let sp_ = u64::from_le_bytes(raw[..8].try_into().unwrap_or_default());
        let flags = i32::from_le_bytes(raw[8..12].try_into().unwrap_or_default());
        let size = u64::from_le_bytes(raw[16..].try_into().unwrap_or_default());
        Some((sp_, flags, size))
    } else {
        None
    };
    if let Some(new) = new {
        set_altstack(p, new, sp)?;
    }
    if old_ss != 0 {
        let mut raw = [0u8; 24];
        raw[..8].copy_from_slice(&old.sp.to_le_bytes());
        raw[8..12].copy_from_slice(&old.flags(sp).to_le_bytes());
        raw[16..].copy_from_slice(&old.size.to_le_bytes());
        p.space
            .copy_out(VirtAddr(old_ss), &raw)
            .map_err(|_| Errno::EFAULT)?;
    }
    Ok(0)
}

/// Sets the alternate stack from a `stack_t`'s (sp, flags, size), the user's sp being `sp`.
fn set_altstack(
    p: &mut Process,
    (ss_sp, flags, size): (u64, i32, u64),
    sp: u64,
) -> Result<(), Errno> {
    if p.sig.alt.on(sp) {
        return Err(Errno::EPERM);
    }
    let mode = flags & !SS_AUTODISARM;
    if mode != 0 && mode != SS_ONSTACK && mode != SS_DISABLE {
        return Err(Errno::EINVAL);
    }
    p.sig.alt = if mode == SS_DISABLE {
        AltStack::default()
    } else {
        if size < MINSIGSTKSZ {
            return Err(Errno::ENOMEM);
        }
        AltStack {
            sp: ss_sp,
            size,
            autodisarm: flags & SS_AUTODISARM != 0,
        }
    };
    Ok(())
}

/// rt_sigprocmask(how, set, oldset, sigsetsize): SIG_BLOCK (0), SIG_UNBLOCK (1) or
/// SIG_SETMASK (2) with `set` (when not null), the previous mask to `oldset` (when not
/// null); sigsetsize must be 8. A pending signal the new mask unblocks is delivered on
/// the way back to U-mode.
pub fn sigprocmask(p: &mut Process, how: u64, set: u64, oldset: u64, size: u64) -> SysResult {
    if size != 8 {
        return Err(Errno::EINVAL);
    }
    let old = p.sigmask;
    if set != 0 {
        let set = read_u64(p, set)?;
        let mask = match how {
            0 => old | set,
            1 => old & !set,
            2 => set,
            _ => return Err(Errno::EINVAL),
        };
        p.sigmask = mask & !UNBLOCKABLE;
    }
    if oldset != 0
        && p.space
            .copy_out(VirtAddr(oldset), &old.to_le_bytes())
            .is_err()
    {
        return Err(Errno::EFAULT);
    }
    Ok(0)
}

/// rt_sigpending(set, sigsetsize): the pending signals that are blocked (sigsetsize at
/// most 8 bytes of them).
pub fn sigpending(p: &mut Process, set: u64, size: u64) -> SysResult {
    if size > 8 {
        return Err(Errno::EINVAL);
    }
    let pending = (p.sigpending & p.sigmask).to_le_bytes();
    p.space
        .copy_out(VirtAddr(set), &pending[..size as usize])
        .map_err(|_| Errno::EFAULT)?;
    Ok(0)
}

/// Runs with the temporary mask `mask` until a signal is handled (the old mask comes back
/// then, or when the call returns otherwise).
fn swap_mask(p: &mut Process, mask: u64) {
    if p.sig.saved_mask.is_none() {
        p.sig.saved_mask = Some(p.sigmask);
    }
    p.sigmask = mask & !UNBLOCKABLE;
}

/// The saved mask back (a call that swapped it returns without a signal).
fn restore_mask(p: &mut Process) {
    if let Some(m) = p.sig.saved_mask.take() {
        p.sigmask = m;
    }
}

/// rt_sigsuspend(mask, sigsetsize): sleeps with `mask` until a signal is delivered; always
/// EINTR (after the handler).
pub fn sigsuspend(p: &mut Process, mask: u64, size: u64) -> Result<SysResult, Wait> {
    if size != 8 {
        return Ok(Err(Errno::EINVAL));
    }
    let mask = match read_u64(p, mask) {
        Ok(m) => m,
        Err(e) => return Ok(Err(e)),
    };
    swap_mask(p, mask);
    Err(Wait::Signal)
}

/// Reads a timespec at `va` (EFAULT, EINVAL) as nanoseconds.
fn read_timespec(p: &mut Process, va: u64) -> Result<u64, Errno> {
    let mut raw = [0u8; 16];
    p.space
        .copy_in(VirtAddr(va), &mut raw)
        .map_err(|_| Errno::EFAULT)?;
    let sec = i64::from_le_bytes(raw[..8].try_into().unwrap_or_default());
    let nsec = i64::from_le_bytes(raw[8..].try_into().unwrap_or_default());
    if sec < 0 || !(0..1_000_000_000).contains(&nsec) {
        return Err(Errno::EINVAL);
    }
    Ok((sec as u64)
        .saturating_mul(1_000_000_000)
        .saturating_add(nsec as u64))
}

/// Sets the end of a first (not restarted) sleep: `now` plus the timespec at `tmo`, or none
/// when `tmo` is 0 (no timeout).
fn set_deadline(p: &mut Process, tmo: u64, now: u64) -> Result<(), Errno> {
    p.sleep_until = None;
    if tmo != 0 {
        p.sleep_until = Some(now.saturating_add(read_timespec(p, tmo)?));
    }
    Ok(())
}

/// Waits until `scan` finds descriptors ready (its count), a signal comes (EINTR, see
/// [`interrupt`]) or the timeout `tmo` passes (0; `tmo` a timespec's address, 0: none),
/// with the temporary mask `mask`: ppoll and pselect6. `fds`: there are descriptors to
/// watch (the sleep then also ends at any pipe's change or console input). `scan` is told
/// whether this is its last look (the timeout has passed).
fn wait_ready(
    p: &mut Process,
    tmo: u64,
    mask: Option<u64>,
    fds: bool,
    scan: impl FnOnce(&mut Process, bool) -> Result<i64, Errno>,
) -> Result<SysResult, Wait> {
    let now = crate::time::now_ns();
    if !p.restarted {
        if let Err(e) = set_deadline(p, tmo, now) {
            return Ok(Err(e));
        }
        if let Some(m) = mask {
            swap_mask(p, m);
        }
    }
    let timed_out = p.sleep_until.is_some_and(|at| now >= at);
    let found = scan(p, timed_out);
    match found {
        Ok(0) if !timed_out => {}
        r => {
            p.sleep_until = None;
            restore_mask(p);
            return Ok(r);
        }
    }
    match p.sleep_until {
        _ if fds => Err(Wait::Poll),
        Some(at) => Err(Wait::Timer(at)),
        None => Err(Wait::Signal),
    }
}

/// ppoll(fds, nfds, tmo, sigmask, sigsetsize): waits for one of the `struct pollfd`s to be
/// ready (pipes, the console; other files always are), a signal or the timeout. With nfds
/// 0 it is glibc's and musl's pause(). More descriptors than RLIMIT_NOFILE: EINVAL.
pub fn ppoll(p: &mut Process, a: [u64; 6]) -> Result<SysResult, Wait> {
    let [fds, nfds, tmo, sigmask, size, _] = a;
    if nfds > p.limits[7].cur {
        // RLIMIT_NOFILE
        return Ok(Err(Errno::EINVAL));
    }
    let mask = if sigmask != 0 && !p.restarted {
        if size != 8 {
            return Ok(Err(Errno::EINVAL));
        }
        match read_u64(p, sigmask) {
            Ok(m) => Some(m),
            Err(e) => return Ok(Err(e)),
        }
    } else {
        None
    };
    wait_ready(p, tmo, mask, nfds != 0, |p, _| {
        super::poll::scan_pollfds(p, fds, nfds)
    })
}

/// pselect6(n, inp, outp, exp, tsp, sig): select's three `fd_set`s of `n` descriptors (as
/// ppoll sees them), a timespec timeout, and `sig` pointing to {sigset pointer, size}.
pub fn pselect6(p: &mut Process, a: [u64; 6]) -> Result<SysResult, Wait> {
    let [n, inp, outp, exp, tsp, sig] = a;
    if (n as i32) < 0 {
        return Ok(Err(Errno::EINVAL));
    }
    // Linux clamps n to the descriptor table's size (here FD_SETSIZE, 1024).
    let n = (n & 0xffff_ffff).min(1024);
    let mask = if sig != 0 && !p.restarted {
        let (set, size) = match (read_u64(p, sig), read_u64(p, sig + 8)) {
            (Ok(s), Ok(z)) => (s, z),
            _ => return Ok(Err(Errno::EFAULT)),
        };
        if set == 0 {
            None
        } else if size != 8 {
            return Ok(Err(Errno::EINVAL));
        } else {
            match read_u64(p, set) {
                Ok(m) => Some(m),
                Err(e) => return Ok(Err(e)),
            }
        }
    } else {
        None
    };
    let fds = n != 0 && (inp | outp | exp) != 0;
    wait_ready(p, tsp, mask, fds, |p, last| {
        super::poll::scan_fdsets(p, n, [inp, outp, exp], last)
    })
}

/// rt_sigtimedwait(set, info, timeout, sigsetsize): takes a pending signal of `set` (the
/// lowest), writing its siginfo to `info` (when not null); with none, sleeps until one
/// comes (EINTR if another, unblocked, is delivered) or the timeout passes (EAGAIN).
pub fn sigtimedwait(p: &mut Process, a: [u64; 6]) -> Result<SysResult, Wait> {
    let [set, info, tmo, size, _, _] = a;
    if size != 8 {
        return Ok(Err(Errno::EINVAL));
    }
    let set = match read_u64(p, set) {
        Ok(s) => s & !UNBLOCKABLE,
        Err(e) => return Ok(Err(e)),
    };
    let now = crate::time::now_ns();
    if !p.restarted {
        if let Err(e) = set_deadline(p, tmo, now) {
            return Ok(Err(e));
        }
    }
    let ready = p.sigpending & set;
    if ready != 0 {
        let sig = ready.trailing_zeros() + 1;
        p.sigpending &= !bit(sig);
        p.sig.thread_pending &= !bit(sig);
        p.sig.waiting = 0;
        p.sleep_until = None;
        if info != 0 {
            let mut raw = [0u8; 128];
            sigframe::write_info(&mut raw, sig, &p.sig.info[sig as usize - 1]);
            if p.space.copy_out(VirtAddr(info), &raw).is_err() {
                return Ok(Err(Errno::EFAULT));
            }
        }
        return Ok(Ok(sig as i64));
    }
    match p.sleep_until {
        Some(at) if now >= at => {
            p.sig.waiting = 0;
            p.sleep_until = None;
            Ok(Err(Errno::EAGAIN))
        }
        w => {
            p.sig.waiting = set;
            Err(w.map_or(Wait::Signal, Wait::Timer))
        }
    }
}

/// System calls a handler never restarts (Linux's ERESTARTNOHAND and
/// ERESTART_RESTARTBLOCK callers, and rt_sigtimedwait's plain EINTR): pselect6, ppoll,
/// nanosleep, rt_sigsuspend, rt_sigtimedwait, clock_nanosleep.
const NEVER_RESTARTED: [u64; 6] = [72, 73, 101, 133, 137, 115];

/// A system call of `p` is about to sleep (its registers in `frame`, sepc past the
/// `ecall`): if a signal can be delivered now, it does not sleep but is interrupted —
/// true, with a0 = -EINTR (nanosleep writing the time left), or, when the signal's
/// handler has SA_RESTART (or the signal's default action stops the process), pc back on
/// the `ecall` so that it runs again afterwards.
pub fn interrupt(p: &mut Process, frame: &mut TrapFrame) -> bool {
    let ready = p.sigpending & !p.sigmask;
    if ready == 0 {
        return false;
    }
    let sig = ready.trailing_zeros() + 1;
    let nr = frame.regs[17];
    let restart = match disposition(p, sig) {
        Disp::Catch(a) => a.flags & SA_RESTART != 0 && !NEVER_RESTARTED.contains(&nr),
        _ => true,
    };
    p.sig.waiting = 0;
    let until = p.sleep_until.take();
    if restart {
        frame.sepc -= 4;
        return true;
    }
    // nanosleep(req, rem) and clock_nanosleep(clock, flags, req, rem) without
    // TIMER_ABSTIME: the time left to `rem`.
    let rem = match nr {
        101 => frame.regs[11],
        115 if frame.regs[11] & 1 == 0 => frame.regs[13],
        _ => 0,
    };
    if let (Some(until), true) = (until, rem != 0) {
        let left = until.saturating_sub(crate::time::now_ns());
        let mut ts = [0u8; 16];
        ts[..8].copy_from_slice(&(left / 1_000_000_000).to_le_bytes());
        ts[8..].copy_from_slice(&(left % 1_000_000_000).to_le_bytes());
        let _ = p.space.copy_out(VirtAddr(rem), &ts);
    }
    frame.regs[10] = Errno::EINTR.ret() as u64;
    true
}

/// Whether `p`, about to return to U-mode, has a signal to deliver. Not while it is to
/// run again a system call it slept in: the call, run again, decides first (it may finish,
/// or be interrupted).
pub fn has_work(p: &Process) -> bool {
    p.sigpending & !p.sigmask != 0 && !p.restarted
}

/// What delivering the pending signals decided.
pub enum Delivery {
    /// Back to U-mode (in a handler, if one was set up).
    Run,
    /// The process stopped (it does not run until SIGCONT).
    Stopped,
    /// It ends.
    End(Ending),
}

/// Delivers `p`'s pending unblocked signals on its way back to U-mode (its registers in
/// `frame`; `p` out of the table, its page table and FP registers live): the lowest first;
/// each handler's frame goes on the stack above the previous one, so the last set up runs
/// first, as on Linux. A stop stops it; an ending signal ends it; a frame that cannot be
/// written ends it by SIGSEGV.
pub fn deliver(p: &mut Process, frame: &mut TrapFrame) -> Delivery {
    loop {
        let ready = p.sigpending & !p.sigmask;
        if ready == 0 {
            break;
        }
        let sig = ready.trailing_zeros() + 1;
        p.sigpending &= !bit(sig);
        p.sig.thread_pending &= !bit(sig);
        let info = p.sig.info[sig as usize - 1];
        match disposition(p, sig) {
            Disp::Ignore => {}
            // init gets only the signals it handles (these were sent before a change to
            // SIG_DFL).
            Disp::End | Disp::Stop if p.pid == INIT => {}
            Disp::End => {
                restore_mask(p);
                return Delivery::End(Ending::Signaled(sig));
            }
            Disp::Stop => {
                restore_mask(p);
                stop(p, sig);
                let (ppid, pid) = (p.ppid, p.pid);
                if let Some(parent) = TABLE.lock().live.get_mut(ppid) {
                    notify_parent(parent, pid, CLD_STOPPED, sig as i32);
                }
                return Delivery::Stopped;
            }
            Disp::Catch(act) => {
                if !setup_frame(p, frame, sig, &act, &info) {
                    log::info!(
                        "{} (pid {}): cannot write the frame for {} at sp {:#x}: SIGSEGV",
                        p.name,
                        p.pid,
                        name(sig),
                        frame.regs[2]
                    );
                    return Delivery::End(Ending::Signaled(SIGSEGV));
                }
            }
        }
    }
    restore_mask(p);
    Delivery::Run
}

/// Puts the frame for handler `act` of `sig` on the stack (the alternate one with
/// SA_ONSTACK when set up and not already on it) and points the registers at the
/// handler: a0 = sig, a1 = &siginfo, a2 = &ucontext, sp = the frame, ra = the `[vdso]`
/// trampoline. The mask becomes mask | sa_mask | sig (not sig with SA_NODEFER). False when
/// the frame cannot be written.
fn setup_frame(
    p: &mut Process,
    frame: &mut TrapFrame,
    sig: u32,
    act: &SigAction,
    info: &Info,
) -> bool {
    let sp = frame.regs[2];
    let alt = p.sig.alt;
    let onto_alt = act.flags & SA_ONSTACK != 0 && alt.size != 0 && !alt.on(sp);
    let top = if onto_alt {
        alt.sp.wrapping_add(alt.size)
    } else {
        sp
    };
    let at = top.wrapping_sub(sigframe::SIZE as u64) & !15;
    // The FP unit holds `p`'s registers: they go in the frame.
    fp::save(&mut p.fp);
    let mut regs = frame.regs;
    regs[0] = frame.sepc;
    let saved = Saved {
        regs,
        f: p.fp.f,
        fcsr: p.fp.fcsr as u32,
        mask: p.sig.saved_mask.unwrap_or(p.sigmask),
        stack: (alt.sp, alt.flags(sp), alt.size),
    };
    let bytes = sigframe::build(sig, info, &saved);
    if at > top || p.space.copy_out(VirtAddr(at), &bytes).is_err() {
        return false;
    }
    p.sig.saved_mask = None;
    if onto_alt && alt.autodisarm {
        // SS_AUTODISARM: no alternate stack while the handler runs (rt_sigreturn puts
        // back the one in uc_stack).
        p.sig.alt = AltStack::default();
    }
    frame.regs[1] = p.sig.vdso;
    frame.regs[2] = at;
    frame.regs[10] = sig as u64;
    frame.regs[11] = at;
    frame.regs[12] = at + sigframe::UCONTEXT as u64;
    frame.sepc = act.handler;
    let mut mask = p.sigmask | act.mask;
    if act.flags & SA_NODEFER == 0 {
        mask |= bit(sig);
    }
    p.sigmask = mask & !UNBLOCKABLE;
    if act.flags & SA_RESETHAND != 0 {
        p.sig.actions[sig as usize - 1] = SigAction::default();
    }
    true
}

/// rt_sigreturn(): the handler's frame, at sp, gives back the registers (pc included), FP
/// registers, mask and alternate stack it saved (as the handler may have changed them).
/// A frame that cannot be read ends the process by SIGSEGV.
pub fn sigreturn(p: &mut Process, frame: &mut TrapFrame) -> super::Outcome {
    let at = frame.regs[2];
    let mut b = [0u8; sigframe::SIZE];
    if p.space.copy_in(VirtAddr(at), &mut b).is_err() {
        log::info!(
            "{} (pid {}): rt_sigreturn: no frame at sp {at:#x}: SIGSEGV",
            p.name,
            p.pid
        );
        return super::Outcome::End(Ending::Signaled(SIGSEGV));
    }
    let s = sigframe::parse(&b);
    frame.sepc = s.regs[0];
    frame.regs[1..].copy_from_slice(&s.regs[1..]);
    p.fp.f = s.f;
    p.fp.fcsr = u64::from(s.fcsr);
    fp::restore(&p.fp);
    frame.sstatus = (frame.sstatus & !csr::SSTATUS_FS) | csr::SSTATUS_FS;
    p.sigmask = s.mask & !UNBLOCKABLE;
    // As Linux's restore_altstack: a refused stack (EPERM on it, EINVAL...) is ignored.
    let _ = set_altstack(p, s.stack, frame.regs[2]);
    super::Outcome::Resume
}

/// /proc/PID/status's signal lines (SigQ to SigCgt) and /proc/PID/stat's four signal
/// fields (pending, blocked, ignored, caught: the low 31 bits, as Linux prints them).
pub fn proc_lines(p: &Process) -> (alloc::string::String, [u64; 4]) {
    let (ign, cgt) = p.sig.ignored_caught();
    let thread = p.sigpending & p.sig.thread_pending;
    let shared = p.sigpending & !p.sig.thread_pending;
    let lines = alloc::format!(
        "SigQ:\t{}/{}\nSigPnd:\t{thread:016x}\nShdPnd:\t{shared:016x}\nSigBlk:\t{:016x}\n\
         SigIgn:\t{ign:016x}\nSigCgt:\t{cgt:016x}\n",
        p.sigpending.count_ones(),
        p.limits[11].cur, // RLIMIT_SIGPENDING
        p.sigmask,
    );
    let low = 0x7fff_ffff;
    (lines, [thread & low, p.sigmask & low, ign & low, cgt & low])
}
