//! The scheduler: what happens at the end of a trap from U-mode (the process goes on,
//! yields, sleeps or ends), the timer tick, the round-robin choice of the next process,
//! and the switch to it (its page table, its FP registers). See the module above for the
//! model: switches only at the end of a trap, sleeping system calls restarted.

use super::{end, signal, Process, State, Table, Wait, TABLE};
use crate::arch::fp;
use crate::arch::trap::TrapFrame;
use crate::arch::{csr, sbi};
use mm_core::task::{self, Ending};

/// What a trap handler decided for the current process.
pub enum Outcome {
    /// Back to it.
    Resume,
    /// It gives up the hart (sched_yield).
    Yield,
    /// Its system call must wait: it sleeps and the call runs again when it wakes.
    Sleep(Wait),
    /// It ends.
    End(Ending),
}

/// Handles a trap from the current process with `handle` (which gets the process, out of
/// the table for the time, and its saved registers), then returns the frame the trap
/// exit resumes: the same process's, or the next one's after a switch.
pub fn on_user_trap(
    frame: &mut TrapFrame,
    handle: impl FnOnce(&mut Process, &mut TrapFrame) -> Outcome,
) -> *mut TrapFrame {
    super::life::free_reaped();
    let cur = TABLE.lock().current;
    let Some(mut p) = TABLE.lock().live.take(cur) else {
        panic!("user trap with no current process {cur}");
    };
    TABLE.lock().running = (p.name, p.oom_score_adj);
    // Its user stretch ends at the trap, its kernel stretch when the handling is done.
    p.charge(crate::time::now_ns(), true);
    let mut outcome = handle(&mut p, frame);
    if p.space.oom_killed {
        // The OOM killer chose it while it ran: SIGKILL, whatever the trap decided.
        outcome = Outcome::End(Ending::Signaled(super::SIGKILL));
    }
    // A system call about to sleep while a signal can be delivered is interrupted
    // instead (EINTR, or run again after the handler).
    if let Outcome::Sleep(_) = outcome {
        if signal::interrupt(&mut p, frame) {
            outcome = Outcome::Resume;
        }
    }
    p.charge(crate::time::now_ns(), false);
    p.restarted = false;
    if let Outcome::Resume = outcome {
        // Pending signals are delivered on the way back to U-mode.
        if signal::has_work(&p) {
            outcome = match signal::deliver(&mut p, frame) {
                signal::Delivery::Run => Outcome::Resume,
                signal::Delivery::Stopped => Outcome::Yield,
                signal::Delivery::End(e) => Outcome::End(e),
            };
            if p.space.oom_killed {
                outcome = Outcome::End(Ending::Signaled(super::SIGKILL));
            }
        }
    }
    let goes_on = match outcome {
        Outcome::Resume => {
            super::seg::arm_for(&p.space);
            TABLE.lock().live.put_back(p);
            true
        }
        Outcome::Yield => {
            TABLE.lock().live.put_back(p);
            false
        }
        Outcome::Sleep(w) => {
            frame.sepc -= 4;
            p.restarted = true;
            p.state = State::Sleeping(w);
            TABLE.lock().live.put_back(p);
            false
        }
        Outcome::End(ending) => {
            end(p, ending);
            false
        }
    };
    // Signals sent by this trap end their targets now that `p` is back in the table (or
    // gone).
    signal::end_doomed();
    if goes_on {
        frame
    } else {
        schedule(cur)
    }
}

/// A timer tick: set the next deadline; the process running in U-mode will be switched
/// away from at the end of this trap (`from_user`), or at the next trap if the tick
/// interrupted the kernel's idle wait.
pub fn tick(frame: &mut TrapFrame, from_user: bool) -> *mut TrapFrame {
    let interval = TABLE.lock().tick;
    // The load average's 5-second samples: the runnable processes (the one running
    // included: it is in the table while in U-mode).
    crate::fs::proc_stat::sample_load(crate::time::now_ns(), || {
        TABLE
            .lock()
            .live
            .values()
            .filter(|p| matches!(p.state, State::Runnable))
            .count() as u64
    });
    if crate::kevent::present() {
        // The memory sample, each tick (10 ms): the running process is in the table here.
        {
            let t = TABLE.lock();
            let mut procs = t.live.values().map(|p| (p.pid, p.space.resident));
            crate::kevent::mem_sample(&mut procs);
        }
        // A request from the host for a /proc file, answered with /proc's own code (every
        // process is in the table here).
        let mut path = [0u8; crate::kevent::REQUEST_PATH_MAX];
        if let Some((id, len)) = crate::kevent::take_request(&mut path) {
            let answer = crate::fs::proc::render_for_host(&path[..len]);
            crate::kevent::reply(id, answer.as_deref().map_err(|e| e.ret().unsigned_abs()));
        }
    }
    sbi::set_timer(if interval == 0 {
        u64::MAX
    } else {
        csr::read_time() + interval
    });
    if !from_user || interval == 0 {
        return frame;
    }
    let cur = {
        let mut t = TABLE.lock();
        let cur = t.current;
        if let Some(p) = t.live.get_mut(cur) {
            p.charge(crate::time::now_ns(), true);
        }
        cur
    };
    schedule(cur)
}

/// The process to run after `prev` (round robin among the runnable ones, `prev` last);
/// with none, waits for an interrupt (each tick checks the console and the clock again). Switches the
/// address space and FP registers to it and returns its saved registers.
fn schedule(mut prev: u32) -> *mut TrapFrame {
    loop {
        // kswapd, while awake, gets a batch at every switch (`mm::reclaim`).
        let kswapd_worked = crate::mm::reclaim::kswapd_run();
        // Segmented processes swapped out whole come back when their ranges are free.
        super::segswap::swap_in_ready();
        let on_console = |p: &Process| match p.state {
            State::Sleeping(Wait::Console) => true,
            State::Sleeping(Wait::Poll) => p.poll_console,
            _ => false,
        };
        // Timers due wake their sleepers; then whether a console reader waits with nothing
        // else to run (the only time the console's input may be waited for).
        let idle_reader = {
            let mut t = TABLE.lock();
            let now = crate::time::now_ns();
            for p in t.live.values_mut() {
                let due = match p.state {
                    State::Sleeping(Wait::Timer(at)) => at <= now,
                    State::Sleeping(Wait::Poll) => p.sleep_until.is_some_and(|at| at <= now),
                    _ => false,
                };
                if due {
                    p.state = State::Runnable;
                }
            }
            !t.live.values().any(|p| p.state == State::Runnable) && t.live.values().any(on_console)
        };
        // The console's input goes through its line discipline whoever reads (^C, ^\ and
        // ^Z reach the foreground group even when nobody reads).
        crate::fs::tty::pump(idle_reader);
        for (pgid, sig) in crate::fs::tty::take_signals() {
            signal::kernel_to_group(pgid, sig);
        }
        {
            let mut t = TABLE.lock();
            if t.live.values().any(on_console) && crate::fs::tty::readable() {
                for p in t.live.values_mut() {
                    if on_console(p) {
                        p.state = State::Runnable;
                    }
                }
            }
            let live = &t.live;
            let next = task::next_to_run(live.pids(), prev, |pid| {
                live.get(pid)
                    .is_some_and(|p| p.state == State::Runnable && super::segswap::may_run(p))
            });
            if let Some(pid) = next {
                let frame = switch_to(&mut t, pid);
                if !t.live.get(pid).is_some_and(signal::has_work) {
                    return frame;
                }
                // Signals to deliver on its way back to U-mode: out of the table for
                // that, as for a trap (the frame's writes may fault pages in).
                let Some(mut p) = t.live.take(pid) else {
                    return frame;
                };
                t.running = (p.name, p.oom_score_adj);
                drop(t);
                #[allow(unsafe_code)]
                // SAFETY: its frame is on its own kernel stack, which nothing else uses
                // while it is out of the table.
                let f = unsafe { &mut *frame };
                let delivery = signal::deliver(&mut p, f);
                let delivery = if p.space.oom_killed {
                    signal::Delivery::End(Ending::Signaled(super::SIGKILL))
                } else {
                    delivery
                };
                match delivery {
                    signal::Delivery::Run => {
                        TABLE.lock().live.put_back(p);
                        signal::end_doomed();
                        return frame;
                    }
                    signal::Delivery::Stopped => TABLE.lock().live.put_back(p),
                    signal::Delivery::End(e) => end(p, e),
                }
                signal::end_doomed();
                prev = pid;
                continue;
            }
        }
        // Nothing can run: wait for the next interrupt (the tick at the latest) with
        // interrupts on, then look again. The interrupt nests on this kernel stack.
        // kswapd, awake, works on instead.
        if kswapd_worked {
            continue;
        }
        csr::set_sstatus(csr::SSTATUS_SIE);
        csr::wfi();
        csr::clear_sstatus(csr::SSTATUS_SIE);
    }
}

/// Makes `pid` the running process: its page table, its FP registers.
fn switch_to(t: &mut Table, pid: u32) -> *mut TrapFrame {
    let prev = t.current;
    if prev != pid {
        crate::fs::proc_stat::count_switch();
    }
    t.current = pid;
    let Some(next) = t.live.get_mut(pid) else {
        panic!("switch to a missing process {pid}");
    };
    // Its time runs from here (what passed since it stopped was others' or nobody's).
    next.run_mark = crate::time::now_ns();
    let frame = next.frame();
    super::seg::arm_for(&next.space);
    crate::kevent::switch(pid, next.space.satp());
    if prev != pid || t.fp_owner != pid {
        let satp = next.space.satp();
        #[allow(unsafe_code)]
        // SAFETY: every process's table maps the kernel in its upper half (the kernel's
        // own tables, global). With per-process ASIDs the satp write needs no fence (their
        // translations are apart, and each space's tables were fenced when written);
        // without, everything is fenced.
        unsafe {
            if t.use_asids {
                csr::write_satp(satp)
            } else {
                csr::switch_page_table(satp)
            }
        }
    }
    if t.fp_owner != pid {
        let owner = t.fp_owner;
        if let Some(o) = t.live.get_mut(owner) {
            #[allow(unsafe_code)]
            // SAFETY: a live process's frame is on its own kernel stack, which nothing
            // else uses while it does not run.
            let f = unsafe { &mut *o.frame() };
            if f.sstatus & csr::SSTATUS_FS == csr::SSTATUS_FS {
                fp::save(&mut o.fp);
                f.sstatus = (f.sstatus & !csr::SSTATUS_FS) | csr::SSTATUS_FS_CLEAN;
            }
        }
        if let Some(n) = t.live.get(pid) {
            fp::restore(&n.fp);
        }
        t.fp_owner = pid;
    }
    frame
}

/// The FP registers of the current process `p` (which owns the FP unit) into `p.fp`, so a
/// copy of `p` (fork) gets them.
pub(super) fn save_own_fp(p: &mut Process, frame: &mut TrapFrame) {
    if frame.sstatus & csr::SSTATUS_FS == csr::SSTATUS_FS {
        fp::save(&mut p.fp);
        frame.sstatus = (frame.sstatus & !csr::SSTATUS_FS) | csr::SSTATUS_FS_CLEAN;
    }
}
