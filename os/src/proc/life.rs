//! A process's life: fork (clone), its end (a zombie), wait4 reaping it, getrusage.

use super::{alloc_asid, sched::save_own_fp};
use super::{exec, kernel_space, CpuTimes, Process, State, Wait, Zombie, INIT, KILLED, TABLE};
use crate::arch::trap::TrapFrame;
use crate::arch::{csr, sbi};
use crate::errno::Errno;
use crate::mm::rmap::check_rmap;
use crate::mm::space;
use crate::syscall::SysResult;
use alloc::boxed::Box;
use mm_core::task::{Ending, MAX_PROCS};
use mm_core::VirtAddr;

/// Kernel stacks of children reaped at their end (their parent ignores SIGCHLD), given
/// back by [`free_reaped`] once no longer in use.
static REAP_LATER: spin::Mutex<alloc::vec::Vec<mm_core::PhysAddr>> =
    spin::Mutex::new(alloc::vec::Vec::new());

/// Whether [`REAP_LATER`] may hold stacks (a trap's start looks at this flag only).
static REAP_PENDING: core::sync::atomic::AtomicBool = core::sync::atomic::AtomicBool::new(false);

/// Gives back the kernel stacks of the children reaped at their end: called at a trap's
/// start, on the running process's own stack, so none of them is in use.
pub(super) fn free_reaped() {
    use core::sync::atomic::Ordering;
    if !REAP_PENDING.swap(false, Ordering::Relaxed) {
        return;
    }
    while let Some(k) = REAP_LATER.lock().pop() {
        exec::free_kstack(k);
    }
}

/// Logs the process's fault counts (as init's end always has).
fn fault_counts(name: &str, minflt: u64, majflt: u64) {
    log::info!(
        "{name}: minflt {minflt}, majflt {majflt}; pgfault {}",
        space::PGFAULT.load(core::sync::atomic::Ordering::Relaxed)
    );
}

/// Logs that `p` is killed by `signal`, and why; the caller ends it.
pub fn log_kill(p: &Process, signal: u32, why: core::fmt::Arguments<'_>) {
    log::info!(
        "{}: killed by {} ({why})",
        p.name,
        super::signal::name(signal)
    );
}

/// Ends process `p`: init's end powers the machine off with its status; any other
/// becomes a zombie, its memory given back, its children given to init, its parent woken.
pub(super) fn end(p: Box<Process>, ending: Ending) {
    crate::kevent::send_from(
        crate::kevent::kind::EXIT,
        p.pid,
        &[
            u64::from(ending.wait_status()),
            p.space.resident_peak,
            p.space.minflt,
            p.space.majflt,
        ],
        &[],
    );
    check_rmap(&p);
    let minflt = p.space.minflt;
    if p.pid == INIT {
        fault_counts(p.name, minflt, p.space.majflt);
        crate::mm::rmap::log_totals();
        log::debug!(
            "at init's end: {} free frames, {} other processes left",
            crate::mm::frame::free_frames(),
            {
                let t = TABLE.lock();
                t.live.values().count() + t.zombies.len()
            }
        );
        match ending {
            Ending::Exited(code) => {
                log::info!("{}: exited with status {}", p.name, code & 0xff);
                sbi::shutdown((code & 0xff) as u16)
            }
            Ending::Signaled(sig) => sbi::shutdown(KILLED | (sig as u16 & 0x7f)),
        }
    }
    let mut p = p;
    if p.clear_child_tid != 0 {
        // CLONE_CHILD_CLEARTID: Linux zeroes the word (and wakes a futex there; no
        // futexes yet). A bad address is ignored, as Linux ignores it.
        let _ = p
            .space
            .copy_out(VirtAddr(p.clear_child_tid), &0u32.to_le_bytes());
    }
    match ending {
        Ending::Exited(code) => log::info!(
            "{} (pid {}): exited with status {}",
            p.name,
            p.pid,
            code & 0xff
        ),
        Ending::Signaled(sig) => {
            log::info!(
                "{} (pid {}): ended by {}",
                p.name,
                p.pid,
                super::signal::name(sig)
            )
        }
    }
    // The running process's table is in satp: leave it for the kernel's before it goes. A
    // process ended by another's signal is not running, and the caller's table stays.
    if TABLE.lock().current == p.pid {
        let kernel = kernel_space();
        #[allow(unsafe_code)]
        // SAFETY: the kernel's own table maps the kernel; the process's table is about to go.
        unsafe {
            csr::write_satp(kernel.mode.satp(kernel.root, 0));
        }
    }
    let Process {
        pid,
        ppid,
        pgid,
        space,
        kstack,
        cminflt,
        cmajflt,
        files,
        times,
        ctimes,
        ..
    } = *p;
    let asid = space.asid;
    let majflt = space.majflt;
    drop(space);
    // Its descriptors close (a pipe's last writer or reader wakes the other end, which
    // takes the table's lock: not held here).
    drop(files);
    let mut t = TABLE.lock();
    if t.use_asids {
        t.asids.free(asid);
    }
    if t.fp_owner == pid {
        t.fp_owner = 0;
    }
    // Orphans go to init (which reaps them when it waits).
    let mut orphans = false;
    t.live.remove(pid);
    for c in t.live.values_mut().filter(|c| c.ppid == pid) {
        c.ppid = INIT;
    }
    for z in t.zombies.values_mut().filter(|z| z.ppid == pid) {
        z.ppid = INIT;
        orphans = true;
    }
    // A parent that ignores SIGCHLD (SIG_IGN or SA_NOCLDWAIT) gets no zombie: the child
    // is reaped at once (its kernel stack, which may be the one running now, is given
    // back at the next trap) and wait4 waits for the others, then ECHILD, as on Linux.
    let autoreap = t.live.get(ppid).is_some_and(super::signal::reaps_children);
    if autoreap {
        REAP_LATER.lock().push(kstack);
        REAP_PENDING.store(true, core::sync::atomic::Ordering::Relaxed);
    } else {
        t.zombies.insert(
            pid,
            Zombie {
                ppid,
                pgid,
                ending,
                minflt: minflt + cminflt,
                majflt: majflt + cmajflt,
                times: times.plus(ctimes),
                kstack,
            },
        );
    }
    // The parent gets SIGCHLD (CLD_EXITED or CLD_KILLED; ignored by default) and wakes
    // if it waits. (When the parent is the process running, out of the table — the OOM
    // killer ending another process in its trap — it is only woken by its wait4's next
    // look.)
    if let Some(w) = t.live.get_mut(ppid) {
        let (code, status) = super::signal::child_ended(ending);
        super::signal::notify_parent(w, pid, code, status);
    }
    if orphans {
        if let Some(w) = t.live.get_mut(INIT) {
            if w.state == State::Sleeping(Wait::Child) {
                w.state = State::Runnable;
            }
        }
    }
}

/// clone's flags that glibc's fork() passes (0x01200011) and the ones accepted with them.
const CSIGNAL: u64 = 0xff;
const SIGCHLD: u64 = mm_core::signo::SIGCHLD as u64;
const CLONE_PARENT_SETTID: u64 = 0x0010_0000;
const CLONE_CHILD_CLEARTID: u64 = 0x0020_0000;
const CLONE_CHILD_SETTID: u64 = 0x0100_0000;

/// clone(flags, newsp, ptid, ctid, tls) as fork: a new process with a copy-on-write copy
/// of `p`'s address space, its registers (a0 = 0 in the child), descriptors, limits and FP
/// registers. Thread flags (CLONE_VM, CLONE_THREAD, ...) are not supported: EINVAL, with
/// one log line. EAGAIN past [`mm_core::task::MAX_PROCS`] processes, ENOMEM when memory runs out.
pub fn fork(p: &mut Process, frame: &mut TrapFrame, a: [u64; 6]) -> SysResult {
    let [flags, newsp, ptid, ctid, _tls, _] = a;
    if p.space.seg.is_some() {
        // Its child, in Bare mode too, would use the parent's physical addresses.
        crate::ratelimit::warn_ratelimited!(
            "fork: {}: segmented processes cannot fork: the child would share the parent's physical addresses: -ENOMEM",
            p.name
        );
        return Err(Errno::ENOMEM);
    }
    let allowed = CSIGNAL | CLONE_PARENT_SETTID | CLONE_CHILD_CLEARTID | CLONE_CHILD_SETTID;
    let signal = flags & CSIGNAL;
    if flags & !allowed != 0 || (signal != 0 && signal != SIGCHLD) {
        crate::ratelimit::warn_ratelimited!(
            "{}: clone flags {flags:#x} not supported (only fork's): -EINVAL",
            p.name
        );
        return Err(Errno::EINVAL);
    }
    // Leave the kernel's heap some frames (the new Process and table nodes come from it).
    if crate::mm::frame::free_frames() < FORK_RESERVE_FRAMES {
        return Err(Errno::ENOMEM);
    }
    let (pid, asid) = {
        let mut guard = TABLE.lock();
        let t = &mut *guard;
        if t.live.len() + t.zombies.len() >= MAX_PROCS {
            return Err(Errno::EAGAIN);
        }
        let me = p.pid;
        let (live, zombies) = (&t.live, &t.zombies);
        let in_use = |x: u32| x == me || live.contains(x) || zombies.contains_key(&x);
        let Some(pid) = t.pids.alloc(in_use) else {
            return Err(Errno::EAGAIN);
        };
        let Some(asid) = alloc_asid(t) else {
            return Err(Errno::EAGAIN);
        };
        (pid, asid)
    };
    let give_back_asid = |asid| {
        let mut t = TABLE.lock();
        if t.use_asids {
            t.asids.free(asid);
        }
    };
    let Some(kstack) = exec::alloc_kstack() else {
        give_back_asid(asid);
        return Err(Errno::ENOMEM);
    };
    let Some(space) = p.space.fork(kernel_space(), asid) else {
        exec::free_kstack(kstack);
        give_back_asid(asid);
        return Err(Errno::ENOMEM);
    };
    save_own_fp(p, frame);
    let mut child = Box::new(Process {
        pid,
        ppid: p.pid,
        state: State::Runnable,
        name: p.name,
        exe: p.exe,
        space,
        brk_start: p.brk_start,
        brk: p.brk,
        limits: p.limits,
        files: p.files.clone(),
        kstack,
        fp: p.fp,
        clear_child_tid: if flags & CLONE_CHILD_CLEARTID != 0 {
            ctid
        } else {
            0
        },
        cminflt: 0,
        cmajflt: 0,
        times: CpuTimes::default(),
        ctimes: CpuTimes::default(),
        sigmask: p.sigmask,
        sigpending: 0,
        sig: p.sig.fork(),
        oom_score_adj: p.oom_score_adj,
        run_mark: 0, // set when it is first switched to
        sleep_until: None,
        restarted: false,
        poll_console: false,
        sleep_on: None,
        loaded: p.loaded,
        cred: p.cred.clone(),
        pgid: p.pgid,
        sid: p.sid,
        execed: false,
        cwd: p.cwd.clone(),
        persona: p.persona,
    });
    crate::kevent::send_from(
        crate::kevent::kind::FORK,
        p.pid,
        &[u64::from(pid), child.space.satp()],
        &[],
    );
    let mut regs = frame.clone();
    regs.regs[10] = 0;
    if newsp != 0 {
        regs.regs[2] = newsp;
    }
    #[allow(unsafe_code)]
    // SAFETY: the top FRAME_SIZE bytes of the child's fresh kernel stack.
    unsafe {
        child.frame().write(regs)
    };
    let tid = (pid as i32).to_le_bytes();
    if flags & CLONE_CHILD_SETTID != 0 {
        // Written in the child's memory (a copy-on-write break there), as Linux does.
        let _ = child.space.copy_out(VirtAddr(ctid), &tid);
    }
    if flags & CLONE_PARENT_SETTID != 0 {
        let _ = p.space.copy_out(VirtAddr(ptid), &tid);
    }
    log::debug!("{} (pid {}): forked pid {pid}", p.name, p.pid);
    TABLE.lock().live.insert(child);
    check_rmap(p);
    crate::fs::proc_stat::count_fork(pid);
    Ok(pid as i64)
}

/// Frames a fork leaves free at least (for the kernel heap's next slab frames).
const FORK_RESERVE_FRAMES: usize = 16;

/// wait4's options.
const WNOHANG: u64 = 1;
const WUNTRACED: u64 = 2;
const WCONTINUED: u64 = 8;
const WNOTHREAD: u64 = 0x2000_0000;
const WALL: u64 = 0x4000_0000;
const WCLONE: u64 = 0x8000_0000;

/// wait4(pid, status, options, rusage): reaps an ended child (pid > 0: that one; -1: any;
/// 0: any in the caller's process group; < -1: any in process group -pid), storing its wait status and, with a
/// rusage pointer, its resource use (CPU times, ru_minflt, ru_majflt). With children
/// but none ended: 0 with WNOHANG, else the caller sleeps until one ends. No child
/// matching: ECHILD.
pub fn wait4(p: &mut Process, a: [u64; 6]) -> Result<SysResult, Wait> {
    let [pid, status, options, rusage, _, _] = a;
    let pid = pid as i64 as i32;
    if options & !(WNOHANG | WUNTRACED | WCONTINUED | WNOTHREAD | WALL | WCLONE) != 0 {
        return Ok(Err(Errno::EINVAL));
    }
    // pid > 0: that child; -1: any; 0: any in the caller's process group; < -1: any in
    // process group -pid.
    let group = match pid {
        0 => Some(p.pgid),
        ..=-2 => Some(pid.unsigned_abs()),
        _ => None,
    };
    let matches = |c: u32, g: u32| match group {
        Some(want) => g == want,
        None => pid == -1 || c == pid as u32,
    };
    let found = {
        let t = TABLE.lock();
        let zombie = t
            .zombies
            .iter()
            .find(|(&c, z)| z.ppid == p.pid && matches(c, z.pgid))
            .map(|(&c, z)| (c, z.ending, z.minflt, z.majflt, z.times));
        let alive = t
            .live
            .values()
            .any(|l| l.ppid == p.pid && matches(l.pid, l.pgid));
        match zombie {
            Some(z) => Some(z),
            None if alive => None,
            None => return Ok(Err(Errno::ECHILD)),
        }
    };
    let Some((child, ending, minflt, majflt, times)) = found else {
        // A stopped (WUNTRACED) or continued (WCONTINUED) child not reported yet: its
        // status (0x7f | sig << 8, or 0xffff), and it stays.
        let report = {
            let mut t = TABLE.lock();
            let found = t
                .live
                .values_mut()
                .filter(|l| l.ppid == p.pid && matches(l.pid, l.pgid))
                .find_map(|l| {
                    let wanted = match l.sig.report {
                        Some(0xffff) => options & WCONTINUED != 0,
                        Some(_) => options & WUNTRACED != 0,
                        None => false,
                    };
                    wanted.then(|| (l.pid, l.sig.report.take().unwrap_or(0)))
                });
            found
        };
        if let Some((child, st)) = report {
            if status != 0
                && p.space
                    .copy_out(VirtAddr(status), &st.to_le_bytes())
                    .is_err()
            {
                return Ok(Err(Errno::EFAULT));
            }
            if rusage != 0 {
                let ru = [0u8; 144];
                if p.space.copy_out(VirtAddr(rusage), &ru).is_err() {
                    return Ok(Err(Errno::EFAULT));
                }
            }
            return Ok(Ok(child as i64));
        }
        return if options & WNOHANG != 0 {
            Ok(Ok(0))
        } else {
            Err(Wait::Child)
        };
    };
    // Reaped first: as on Linux, a bad status or rusage pointer gives EFAULT, but the
    // child is gone all the same.
    let z = TABLE.lock().zombies.remove(&child);
    if let Some(z) = z {
        exec::free_kstack(z.kstack);
        p.cminflt += z.minflt;
        p.cmajflt += z.majflt;
        p.ctimes = p.ctimes.plus(z.times);
    }
    if rusage != 0 {
        // struct rusage: two timevals (32 bytes), then 14 longs: maxrss, ixrss, idrss,
        // isrss, minflt, majflt, ...
        let mut ru = [0u8; 144];
        times.put_timevals(&mut ru[..32]);
        ru[64..72].copy_from_slice(&minflt.to_le_bytes());
        ru[72..80].copy_from_slice(&majflt.to_le_bytes());
        if p.space.copy_out(VirtAddr(rusage), &ru).is_err() {
            return Ok(Err(Errno::EFAULT));
        }
    }
    if status != 0
        && p.space
            .copy_out(VirtAddr(status), &ending.wait_status().to_le_bytes())
            .is_err()
    {
        return Ok(Err(Errno::EFAULT));
    }
    Ok(Ok(child as i64))
}

/// getrusage(who, usage): RUSAGE_SELF (0) and RUSAGE_THREAD (1, one thread per
/// process) report the process's CPU times (this call's time so far included), minor
/// faults and peak resident size (ru_maxrss, KiB); RUSAGE_CHILDREN (-1) the reaped
/// children's times and faults (and their children's). Major faults are those that read a
/// page back from swap. Other `who`: EINVAL.
pub fn getrusage(p: &mut Process, who: u64, usage: u64) -> SysResult {
    let (times, minflt, majflt, maxrss) = match who as i64 {
        0 | 1 => (
            p.times_now(),
            p.space.minflt,
            p.space.majflt,
            p.space.resident_peak * mm_core::PAGE_SIZE / 1024,
        ),
        -1 => (p.ctimes, p.cminflt, p.cmajflt, 0),
        _ => return Err(Errno::EINVAL),
    };
    let mut ru = [0u8; 144];
    times.put_timevals(&mut ru[..32]);
    ru[32..40].copy_from_slice(&maxrss.to_le_bytes());
    ru[64..72].copy_from_slice(&minflt.to_le_bytes());
    ru[72..80].copy_from_slice(&majflt.to_le_bytes());
    match p.space.copy_out(VirtAddr(usage), &ru) {
        Ok(()) => Ok(0),
        Err(_) => Err(Errno::EFAULT),
    }
}
