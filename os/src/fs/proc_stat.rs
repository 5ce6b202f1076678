//! The machine's activity files of /proc, in Linux 6.1's formats (fs/proc/stat.c,
//! uptime.c, loadavg.c; kernel/sched/loadavg.c), from counters the kernel keeps here:
//!
//! - /proc/stat: the `cpu` and `cpu0` lines (user, nice, system, idle, iowait, irq,
//!   softirq, steal, guest, guest_nice, in clock ticks), `intr` (interrupts taken, with no
//!   per-line breakdown after the total: the one interrupt line is the timer's), `ctxt`
//!   (process switches), `btime` (0: the realtime clock counts from boot, see `time.rs`),
//!   `processes` (forks since boot), `procs_running`, `procs_blocked` (0: nothing waits
//!   uninterruptibly; swap I/O is synchronous) and `softirq` (none).
//! - /proc/uptime: seconds since boot and the idle seconds, with two decimals.
//! - /proc/loadavg: the 1, 5 and 15 minute load averages, running/total processes and the
//!   last pid given out.
//!
//! Times are virtual: the `time` CSR, so every number is the same on every run. CPU time
//! is charged where `proc::times` charges it; idle is the rest of the time since boot.

use alloc::string::String;
use core::fmt::Write;
use core::sync::atomic::{AtomicU64, Ordering};
use mm_core::loadavg::{calc_load, load_text, EXP, FIXED_1, LOAD_FREQ_NS};

/// Nanoseconds of CPU time charged to user mode and to the kernel, over every process
/// that ever ran.
static USER_NS: AtomicU64 = AtomicU64::new(0);
static SYS_NS: AtomicU64 = AtomicU64::new(0);
/// Switches from one process to another.
static CTXT: AtomicU64 = AtomicU64::new(0);
/// Successful forks since boot (init, started by the kernel, is not one).
static FORKS: AtomicU64 = AtomicU64::new(0);
/// The last pid given out.
static LAST_PID: AtomicU64 = AtomicU64::new(1);
/// Interrupts taken.
static INTR: AtomicU64 = AtomicU64::new(0);

/// The load averages as Linux keeps them (`mm_core::loadavg`): fixed point.
static AVENRUN: [AtomicU64; 3] = [AtomicU64::new(0), AtomicU64::new(0), AtomicU64::new(0)];
/// When the next load sample is due (ns since boot).
static NEXT_SAMPLE: AtomicU64 = AtomicU64::new(LOAD_FREQ_NS);

/// CPU time charged to a process: `ns` in user mode (`user`) or in the kernel.
pub fn charge(ns: u64, user: bool) {
    if user {
        USER_NS.fetch_add(ns, Ordering::Relaxed);
    } else {
        SYS_NS.fetch_add(ns, Ordering::Relaxed);
    }
}

/// A switch from one process to another.
pub fn count_switch() {
    CTXT.fetch_add(1, Ordering::Relaxed);
}

/// A fork that made process `pid`.
pub fn count_fork(pid: u32) {
    FORKS.fetch_add(1, Ordering::Relaxed);
    LAST_PID.store(u64::from(pid), Ordering::Relaxed);
}

/// An interrupt taken.
pub fn count_interrupt() {
    INTR.fetch_add(1, Ordering::Relaxed);
}

/// At a tick: when a 5-second sample is due at `now_ns`, folds `running` (the processes
/// that are runnable) into the averages, once per 5 seconds that passed.
pub fn sample_load(now_ns: u64, running: impl FnOnce() -> u64) {
    let due = NEXT_SAMPLE.load(Ordering::Relaxed);
    if now_ns < due {
        return;
    }
    let periods = (now_ns - due) / LOAD_FREQ_NS + 1;
    NEXT_SAMPLE.store(due + periods * LOAD_FREQ_NS, Ordering::Relaxed);
    let active = running() * FIXED_1;
    for (avg, exp) in AVENRUN.iter().zip(EXP) {
        let mut v = avg.load(Ordering::Relaxed);
        for _ in 0..periods.min(1000) {
            v = calc_load(v, exp, active);
        }
        avg.store(v, Ordering::Relaxed);
    }
}

/// (user, system, idle) in ns at `now`, plus `own` (the reader's CPU time not yet charged:
/// the system call it is in).
fn cpu_ns(now: u64, own_sys: u64) -> (u64, u64, u64) {
    let user = USER_NS.load(Ordering::Relaxed);
    let sys = SYS_NS.load(Ordering::Relaxed) + own_sys;
    (user, sys, now.saturating_sub(user + sys))
}

/// /proc/stat. `running` is the number of runnable processes (the reader included),
/// `own_sys` the reader's uncharged kernel time.
pub fn stat(running: u64, own_sys: u64) -> String {
    let now = crate::time::now_ns();
    let (user, sys, idle) = cpu_ns(now, own_sys);
    let t = crate::proc::clock_ticks;
    let mut out = String::new();
    for label in ["cpu ", "cpu0"] {
        let _ = writeln!(
            out,
            "{label} {} 0 {} {} 0 0 0 0 0 0",
            t(user),
            t(sys),
            t(idle)
        );
    }
    let _ = writeln!(out, "intr {}", INTR.load(Ordering::Relaxed));
    let _ = writeln!(out, "ctxt {}", CTXT.load(Ordering::Relaxed));
    out.push_str("btime 0\n");
    let _ = writeln!(out, "processes {}", FORKS.load(Ordering::Relaxed));
    let _ = writeln!(out, "procs_running {running}");
    out.push_str("procs_blocked 0\n");
    out.push_str("softirq 0 0 0 0 0 0 0 0 0 0 0\n");
    out
}

/// /proc/uptime: seconds since boot and idle seconds, with two decimals.
pub fn uptime(own_sys: u64) -> String {
    let now = crate::time::now_ns();
    let (_, _, idle) = cpu_ns(now, own_sys);
    let cs = |ns: u64| ns / 10_000_000;
    alloc::format!(
        "{}.{:02} {}.{:02}\n",
        cs(now) / 100,
        cs(now) % 100,
        cs(idle) / 100,
        cs(idle) % 100
    )
}

/// /proc/loadavg: the three averages, runnable/all processes, the last pid.
pub fn loadavg(running: u64, total: u64) -> String {
    let mut out = String::new();
    for avg in &AVENRUN {
        let (i, f) = load_text(avg.load(Ordering::Relaxed));
        let _ = write!(out, "{i}.{f:02} ");
    }
    let _ = writeln!(
        out,
        "{running}/{total} {}",
        LAST_PID.load(Ordering::Relaxed)
    );
    out
}
