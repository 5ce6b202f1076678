//! Statistics and the memory timeline, from the kernel's events (docs/TRACING.md,
//! "Statistics" and "The memory timeline").
//!
//! A [`StatsObserver`] counts what the kernel reports as it happens — page faults by kind
//! and action, swap-ins and swap-outs, reclaim by kswapd and direct, OOM kills, and per
//! process its faults, peak RSS and exit — and keeps the periodic memory samples for the
//! timeline picture and the progress line. The counts live in a [`Stats`] shared with the
//! caller ([`StatsHandle`]), which reads them after (or during) the run.
//!
//! Time is virtual: the machine's clock (instructions executed plus the cycles skipped while
//! the hart waited), at [`CYCLES_PER_SECOND`].

use super::*;
use serde::Serialize;
use std::cell::RefCell;
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::rc::Rc;

/// Virtual cycles per second: mtime's 10 MHz, 10 cycles a tick.
pub const CYCLES_PER_SECOND: f64 = 100_000_000.0;

/// Bytes in a page.
const PAGE: u64 = 4096;

/// Page faults by how they ended.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct FaultCounts {
    /// Every fault the kernel handled (minor + major + invalid).
    pub total: u64,
    /// Resolved without I/O (spurious ones included).
    pub minor: u64,
    /// Resolved by reading the disk (swap).
    pub major: u64,
    /// Not resolvable: SIGSEGV for the process, or EFAULT for the kernel's own access.
    pub invalid: u64,
    /// Of the minor ones, those on a page present already (only its PTE's bits were set);
    /// the kernel does not count them in `pgfault` nor in the process's `minflt`.
    pub spurious: u64,
}

impl FaultCounts {
    fn count(&mut self, kind: FaultKind, action: FaultAction) {
        self.total += 1;
        match kind {
            FaultKind::Minor => self.minor += 1,
            FaultKind::Major => self.major += 1,
            FaultKind::Invalid => self.invalid += 1,
        }
        if action == FaultAction::Spurious {
            self.spurious += 1;
        }
    }
}

/// All page faults.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Faults {
    #[serde(flatten)]
    pub counts: FaultCounts,
    /// By the kernel's action (`zero-fill`, `file read`, `swap-in`, `COW copy`, `stack
    /// growth`, `SIGSEGV`, `spurious`, `other`); only actions that happened.
    pub by_action: BTreeMap<&'static str, u64>,
    /// Made by user code, and by the kernel copying from or to user memory.
    pub user: u64,
    pub kernel: u64,
}

/// Swap traffic, in pages.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Swap {
    /// Pages read back from swap (major swap-in faults: the kernel's `pswpin`).
    pub ins: u64,
    /// Swap-in faults that found the page still in memory (the swap cache): no I/O.
    pub cache_hits: u64,
    /// Pages written to swap and unmapped (`pswpout`).
    pub outs: u64,
}

/// One reclaimer's work.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Reclaimer {
    /// kswapd: times it was woken; direct: allocations that had to reclaim (stalls).
    pub runs: u64,
    /// Reclaim passes (shrinks of the LRU lists).
    pub passes: u64,
    /// Pages looked at on the inactive lists (`pgscan_kswapd` / `pgscan_direct`).
    pub scanned: u64,
    /// Pages freed (`pgsteal_kswapd` / `pgsteal_direct`).
    pub stolen: u64,
    /// Pages moved from an active list to its inactive one.
    pub deactivated: u64,
    /// Virtual seconds spent active (kswapd awake; inside direct reclaim).
    pub seconds: f64,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Reclaim {
    pub kswapd: Reclaimer,
    pub direct: Reclaimer,
}

/// A process the OOM killer ended.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct OomKill {
    /// Virtual seconds.
    pub time: f64,
    pub pid: u32,
    pub name: String,
    /// Its badness points when chosen.
    pub points: u64,
    /// Its resident pages then.
    pub rss_pages: u64,
    /// How many processes were candidates.
    pub candidates: u64,
}

/// How a process ended.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ExitStatus {
    /// As wait() reports it.
    pub wait_status: u64,
    /// Its exit code, when it exited.
    pub code: Option<u64>,
    /// The signal that killed it, when one did.
    pub signal: Option<u64>,
}

/// One process (by pid; a name from its last exec, or its parent's).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Process {
    pub pid: u32,
    pub name: String,
    /// The parent that forked it (0 for the first process).
    pub parent: u32,
    /// Peak resident pages: the kernel's own high-water mark (VmHWM) from its exit
    /// record, or, while it lives, the largest the memory samples saw.
    pub peak_rss_pages: u64,
    /// The largest resident size the memory samples saw (the timeline's peak).
    pub sampled_peak_rss_pages: u64,
    /// Its faults, from the fault events.
    pub faults: FaultCounts,
    /// The kernel's own minflt and majflt at its end (`/proc/PID/stat`'s), when it ended.
    pub kernel_minflt: Option<u64>,
    pub kernel_majflt: Option<u64>,
    /// How it ended; `null` while it runs.
    pub exit: Option<ExitStatus>,
    /// Virtual seconds at its exit.
    pub exit_time: Option<f64>,
    /// Whether the OOM killer chose it.
    pub oom_killed: bool,
}

/// The kernel's event counters as /proc/vmstat names them, counted from the events (a run
/// that reads /proc/vmstat last sees the same numbers).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Vmstat {
    /// Faults that mapped or copied a page (minor ones but the spurious, and major ones).
    pub pgfault: u64,
    pub pgmajfault: u64,
    pub pswpin: u64,
    pub pswpout: u64,
    pub pgscan_kswapd: u64,
    pub pgscan_direct: u64,
    pub pgsteal_kswapd: u64,
    pub pgsteal_direct: u64,
    pub oom_kill: u64,
}

/// The latest memory sample, in pages.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Memory {
    /// Samples seen (one each 10 ms of virtual time).
    pub samples: u64,
    pub free_pages: u64,
    pub min_pages: u64,
    pub low_pages: u64,
    pub high_pages: u64,
    pub swap_total_pages: u64,
    pub swap_free_pages: u64,
    /// The fewest free pages any sample saw.
    pub lowest_free_pages: Option<u64>,
}

/// Everything `--stats` reports from the kernel's events (`--stats-format json` writes it
/// as one object with these field names).
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Report {
    /// Virtual seconds at the last event.
    pub virtual_seconds: f64,
    pub faults: Faults,
    pub swap: Swap,
    pub reclaim: Reclaim,
    pub oom_kills: Vec<OomKill>,
    pub vmstat: Vmstat,
    pub memory: Memory,
    /// By pid.
    pub processes: Vec<Process>,
}

/// One memory sample, for the timeline.
#[derive(Clone, Debug, PartialEq)]
pub struct Sample {
    /// Virtual seconds.
    pub time: f64,
    pub free: u64,
    pub min: u64,
    pub low: u64,
    pub high: u64,
    pub swap_used: u64,
    /// The kernel's cumulative pswpin and pswpout.
    pub pswpin: u64,
    pub pswpout: u64,
}

/// What the timeline draws.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Timeline {
    pub samples: Vec<Sample>,
    /// Resident pages per process over time, from the samples.
    pub rss: BTreeMap<u32, Vec<(f64, u64)>>,
    /// kswapd awake, [start, end) in virtual seconds.
    pub kswapd: Vec<(f64, f64)>,
    /// Direct reclaim, [start, end).
    pub direct: Vec<(f64, f64)>,
}

/// What the observer has gathered.
#[derive(Debug, Default)]
pub struct Stats {
    pub report: Report,
    pub timeline: Timeline,
    /// Keep no timeline (its samples grow with the run's length): set when nothing will
    /// draw it.
    pub no_timeline: bool,
    procs: BTreeMap<u32, Process>,
    kswapd_since: Option<f64>,
    direct_since: BTreeMap<u32, f64>,
    candidates: u64,
    /// Virtual seconds of the latest event.
    now: f64,
}

impl Stats {
    /// The report as of now: processes in pid order, intervals still open counted to now.
    pub fn report(&self) -> Report {
        let mut r = self.report.clone();
        r.virtual_seconds = self.now;
        if let Some(s) = self.kswapd_since {
            r.reclaim.kswapd.seconds += self.now - s;
        }
        for s in self.direct_since.values() {
            r.reclaim.direct.seconds += self.now - s;
        }
        r.processes = self.procs.values().cloned().collect();
        r
    }

    /// The timeline as of now (open intervals end now).
    pub fn timeline(&self) -> Timeline {
        let mut t = self.timeline.clone();
        if let Some(s) = self.kswapd_since {
            t.kswapd.push((s, self.now));
        }
        for s in self.direct_since.values() {
            t.direct.push((*s, self.now));
        }
        t
    }

    /// Virtual seconds of the latest event.
    pub fn now(&self) -> f64 {
        self.now
    }

    /// The name a process is known by.
    pub fn name_of(&self, pid: u32) -> Option<&str> {
        self.procs.get(&pid).map(|p| p.name.as_str())
    }

    fn process(&mut self, pid: u32) -> &mut Process {
        self.procs.entry(pid).or_insert_with(|| Process {
            pid,
            name: String::new(),
            parent: 0,
            peak_rss_pages: 0,
            sampled_peak_rss_pages: 0,
            faults: FaultCounts::default(),
            kernel_minflt: None,
            kernel_majflt: None,
            exit: None,
            exit_time: None,
            oom_killed: false,
        })
    }

    /// Counts one event that arrived at virtual cycle `clock`.
    pub fn record(&mut self, ev: &Event, clock: u64) {
        let now = clock as f64 / CYCLES_PER_SECOND;
        self.now = now;
        let r = &mut self.report;
        match ev {
            Event::FaultBegin { user, .. } => {
                if *user {
                    r.faults.user += 1;
                } else {
                    r.faults.kernel += 1;
                }
            }
            Event::FaultEnd {
                pid, kind, action, ..
            } => {
                r.faults.counts.count(*kind, *action);
                *r.faults.by_action.entry(action.name()).or_default() += 1;
                match (kind, action) {
                    (FaultKind::Major, FaultAction::SwapIn) => r.swap.ins += 1,
                    (FaultKind::Minor, FaultAction::SwapIn) => r.swap.cache_hits += 1,
                    _ => {}
                }
                if *kind != FaultKind::Invalid && *action != FaultAction::Spurious {
                    r.vmstat.pgfault += 1;
                }
                if *kind == FaultKind::Major {
                    r.vmstat.pgmajfault += 1;
                }
                r.vmstat.pswpin = r.swap.ins;
                if *pid != 0 {
                    self.process(*pid).faults.count(*kind, *action);
                }
            }
            Event::SwapOut { .. } => {
                r.swap.outs += 1;
                r.vmstat.pswpout = r.swap.outs;
            }
            Event::KswapdWake { .. } => {
                r.reclaim.kswapd.runs += 1;
                self.kswapd_since.get_or_insert(now);
            }
            Event::KswapdSleep { .. } => {
                if let Some(s) = self.kswapd_since.take() {
                    r.reclaim.kswapd.seconds += now - s;
                    if !self.no_timeline {
                        self.timeline.kswapd.push((s, now));
                    }
                }
            }
            Event::DirectReclaimBegin { pid, .. } => {
                r.reclaim.direct.runs += 1;
                self.direct_since.insert(*pid, now);
            }
            Event::DirectReclaimEnd { pid, .. } => {
                if let Some(s) = self.direct_since.remove(pid) {
                    r.reclaim.direct.seconds += now - s;
                    if !self.no_timeline {
                        self.timeline.direct.push((s, now));
                    }
                }
            }
            Event::ReclaimPass { direct, lists, .. } => {
                let who = if *direct {
                    &mut r.reclaim.direct
                } else {
                    &mut r.reclaim.kswapd
                };
                who.passes += 1;
                for l in lists {
                    match l.list {
                        LruList::InactiveAnon | LruList::InactiveFile => {
                            who.scanned += l.scanned;
                            who.stolen += l.reclaimed;
                        }
                        _ => who.deactivated += l.scanned,
                    }
                }
                r.vmstat.pgscan_kswapd = r.reclaim.kswapd.scanned;
                r.vmstat.pgsteal_kswapd = r.reclaim.kswapd.stolen;
                r.vmstat.pgscan_direct = r.reclaim.direct.scanned;
                r.vmstat.pgsteal_direct = r.reclaim.direct.stolen;
            }
            Event::OomCandidate { .. } => self.candidates += 1,
            Event::OomKill {
                victim,
                points,
                rss,
                name,
                ..
            } => {
                r.oom_kills.push(OomKill {
                    time: now,
                    pid: *victim,
                    name: name.clone(),
                    points: *points,
                    rss_pages: *rss,
                    candidates: self.candidates,
                });
                r.vmstat.oom_kill += 1;
                self.candidates = 0;
                self.process(*victim).oom_killed = true;
            }
            Event::Exec { pid, path, .. } => {
                let name = path.rsplit('/').next().unwrap_or(path).to_string();
                self.process(*pid).name = name;
            }
            Event::Fork { parent, child, .. } => {
                let name = self.name_of(*parent).unwrap_or("").to_string();
                // A pid seen again after its end is a new process.
                if self.procs.get(child).is_some_and(|p| p.exit.is_some()) {
                    self.procs.remove(child);
                }
                let p = self.process(*child);
                p.name = name;
                p.parent = *parent;
            }
            Event::Exit {
                pid,
                status,
                peak_rss,
                minflt,
                majflt,
            } => {
                let p = self.process(*pid);
                let sig = status & 0x7f;
                p.exit = Some(ExitStatus {
                    wait_status: *status,
                    code: (sig == 0).then_some((status >> 8) & 0xff),
                    signal: (sig != 0).then_some(sig),
                });
                p.exit_time = Some(now);
                if *peak_rss > 0 || *minflt > 0 {
                    p.peak_rss_pages = *peak_rss;
                    p.kernel_minflt = Some(*minflt);
                    p.kernel_majflt = Some(*majflt);
                }
            }
            Event::MemSample { sample, .. } => self.sample(sample, now),
            _ => {}
        }
    }

    fn sample(&mut self, s: &MemSample, now: f64) {
        let m = &mut self.report.memory;
        m.samples += 1;
        m.free_pages = s.marks.free;
        m.min_pages = s.marks.min;
        m.low_pages = s.marks.low;
        m.high_pages = s.marks.high;
        m.swap_total_pages = s.swap_total;
        m.swap_free_pages = s.swap_free;
        m.lowest_free_pages = Some(
            m.lowest_free_pages
                .map_or(s.marks.free, |l| l.min(s.marks.free)),
        );
        if !self.no_timeline {
            self.timeline.samples.push(Sample {
                time: now,
                free: s.marks.free,
                min: s.marks.min,
                low: s.marks.low,
                high: s.marks.high,
                swap_used: s.swap_total.saturating_sub(s.swap_free),
                pswpin: s.pswpin,
                pswpout: s.pswpout,
            });
        }
        for &(pid, rss) in &s.rss {
            if !self.no_timeline {
                self.timeline.rss.entry(pid).or_default().push((now, rss));
            }
            let p = self.process(pid);
            p.sampled_peak_rss_pages = p.sampled_peak_rss_pages.max(rss);
            if p.exit.is_none() {
                p.peak_rss_pages = p.peak_rss_pages.max(rss);
            }
        }
    }
}

/// The caller's side of a [`StatsObserver`]: read the counts during or after a run.
pub type StatsHandle = Rc<RefCell<Stats>>;

/// Counts every event into its [`Stats`].
pub struct StatsObserver {
    stats: StatsHandle,
}

impl StatsObserver {
    /// An observer and the handle to read what it counts.
    pub fn new() -> (StatsObserver, StatsHandle) {
        let stats = StatsHandle::default();
        (
            StatsObserver {
                stats: stats.clone(),
            },
            stats,
        )
    }
}

impl Observer for StatsObserver {
    fn event(&mut self, ev: &Event, ctx: &mut Ctx<'_>) -> Flow {
        self.stats.borrow_mut().record(ev, ctx.clock);
        Flow::Continue
    }
}

/// Pages as MiB, one decimal.
fn mib(pages: u64) -> String {
    format!("{:.1} MiB", (pages * PAGE) as f64 / (1 << 20) as f64)
}

impl Report {
    /// The report as JSON (one object; docs/TRACING.md lists the fields).
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_else(|e| format!("{{\"error\":\"{e}\"}}"))
    }

    /// The report as `rvmmu: ` lines (what `--stats` prints after the machine's counters).
    pub fn to_text(&self) -> String {
        let mut o = String::new();
        let f = &self.faults;
        let c = &f.counts;
        let _ = writeln!(
            o,
            "rvmmu: kernel page faults: {} (minor {}, major {}, invalid {}; spurious {}; user {}, kernel {})",
            c.total, c.minor, c.major, c.invalid, c.spurious, f.user, f.kernel
        );
        if !f.by_action.is_empty() {
            let parts: Vec<String> = f
                .by_action
                .iter()
                .map(|(a, n)| format!("{a} {n}"))
                .collect();
            let _ = writeln!(
                o,
                "rvmmu: kernel page faults by action: {}",
                parts.join(", ")
            );
        }
        let _ = writeln!(
            o,
            "rvmmu: swap: {} pages in ({} more from the swap cache), {} pages out",
            self.swap.ins, self.swap.cache_hits, self.swap.outs
        );
        for (who, r, runs) in [
            ("kswapd", &self.reclaim.kswapd, "wakeups"),
            ("direct reclaim", &self.reclaim.direct, "stalls"),
        ] {
            let _ = writeln!(
                o,
                "rvmmu: {who}: {} {runs}, {} passes, {} pages scanned, {} stolen, {} deactivated, {:.3} s active",
                r.runs, r.passes, r.scanned, r.stolen, r.deactivated, r.seconds
            );
        }
        let _ = writeln!(o, "rvmmu: oom kills: {}", self.oom_kills.len());
        for k in &self.oom_kills {
            let _ = writeln!(
                o,
                "rvmmu:   at {:.3} s: pid {} ({}) points {} rss {} of {} candidates",
                k.time,
                k.pid,
                k.name,
                k.points,
                mib(k.rss_pages),
                k.candidates
            );
        }
        let v = &self.vmstat;
        let _ = writeln!(
            o,
            "rvmmu: vmstat: pgfault {} pgmajfault {} pswpin {} pswpout {} pgscan_kswapd {} pgscan_direct {} pgsteal_kswapd {} pgsteal_direct {} oom_kill {}",
            v.pgfault,
            v.pgmajfault,
            v.pswpin,
            v.pswpout,
            v.pgscan_kswapd,
            v.pgscan_direct,
            v.pgsteal_kswapd,
            v.pgsteal_direct,
            v.oom_kill
        );
        let m = &self.memory;
        if m.samples > 0 {
            let _ = writeln!(
                o,
                "rvmmu: memory (last of {} samples): free {}, lowest {}, watermarks min {} low {} high {}, swap used {} of {}",
                m.samples,
                mib(m.free_pages),
                mib(m.lowest_free_pages.unwrap_or(0)),
                mib(m.min_pages),
                mib(m.low_pages),
                mib(m.high_pages),
                mib(m.swap_total_pages.saturating_sub(m.swap_free_pages)),
                mib(m.swap_total_pages)
            );
        }
        let _ = writeln!(
            o,
            "rvmmu: processes: {:>5} {:<16} {:>10} {:>8} {:>6} {:>8} {:>8} exit",
            "pid", "name", "peak rss", "minor", "major", "invalid", "spurious"
        );
        for p in &self.processes {
            let exit = match &p.exit {
                None => "running".to_string(),
                Some(ExitStatus { code: Some(c), .. }) => format!("exited {c}"),
                Some(ExitStatus { signal, .. }) => {
                    let oom = if p.oom_killed { " (oom)" } else { "" };
                    format!("signal {}{oom}", signal.unwrap_or(0))
                }
            };
            let _ = writeln!(
                o,
                "rvmmu: processes: {:>5} {:<16} {:>10} {:>8} {:>6} {:>8} {:>8} {exit}",
                p.pid,
                p.name,
                mib(p.peak_rss_pages),
                p.faults.minor,
                p.faults.major,
                p.faults.invalid,
                p.faults.spurious
            );
        }
        o
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn end(pid: u32, kind: FaultKind, action: FaultAction) -> Event {
        Event::FaultEnd {
            pid,
            va: 0x1000,
            kind,
            action,
        }
    }

    #[test]
    fn events_add_up_to_the_report() {
        let mut s = Stats::default();
        let marks = Watermarks {
            free: 100,
            min: 10,
            low: 20,
            high: 30,
        };
        let evs = [
            Event::Exec {
                pid: 1,
                satp: 0,
                path: "/bin/init".into(),
            },
            Event::Fork {
                parent: 1,
                child: 2,
                satp: 0,
            },
            end(2, FaultKind::Minor, FaultAction::ZeroFill),
            end(2, FaultKind::Minor, FaultAction::Spurious),
            end(2, FaultKind::Major, FaultAction::SwapIn),
            end(2, FaultKind::Minor, FaultAction::SwapIn),
            end(1, FaultKind::Invalid, FaultAction::Sigsegv),
            Event::KswapdWake { pid: 2, marks },
            Event::ReclaimPass {
                pid: 0,
                direct: false,
                lists: vec![
                    ListScan {
                        list: LruList::InactiveAnon,
                        scanned: 32,
                        reclaimed: 30,
                    },
                    ListScan {
                        list: LruList::ActiveAnon,
                        scanned: 16,
                        reclaimed: 0,
                    },
                ],
            },
            Event::SwapOut {
                pid: 0,
                owner: 0,
                va: 0,
                slot: 1,
            },
            Event::KswapdSleep { pid: 0, marks },
            Event::MemSample {
                pid: 2,
                sample: Box::new(MemSample {
                    marks,
                    swap_total: 50,
                    swap_free: 40,
                    rss: vec![(1, 5), (2, 70)],
                    ..Default::default()
                }),
            },
            Event::OomCandidate {
                pid: 1,
                candidate: 2,
                points: 900,
                adj: 0,
            },
            Event::OomKill {
                pid: 1,
                victim: 2,
                points: 900,
                rss: 70,
                name: "init".into(),
            },
            Event::Exit {
                pid: 2,
                status: 9,
                peak_rss: 75,
                minflt: 2,
                majflt: 1,
            },
        ];
        for (i, e) in evs.iter().enumerate() {
            s.record(e, i as u64 * 10_000_000);
        }
        let r = s.report();
        assert_eq!(
            r.faults.counts,
            FaultCounts {
                total: 5,
                minor: 3,
                major: 1,
                invalid: 1,
                spurious: 1
            }
        );
        assert_eq!(r.vmstat.pgfault, 3, "not the spurious nor the invalid");
        assert_eq!((r.vmstat.pgmajfault, r.vmstat.pswpin), (1, 1));
        assert_eq!((r.swap.cache_hits, r.swap.outs), (1, 1));
        assert_eq!(
            (r.reclaim.kswapd.scanned, r.reclaim.kswapd.stolen),
            (32, 30)
        );
        assert_eq!(r.reclaim.kswapd.deactivated, 16);
        assert!((r.reclaim.kswapd.seconds - 0.3).abs() < 1e-9);
        assert_eq!(r.oom_kills.len(), 1);
        assert_eq!(r.oom_kills[0].candidates, 1);
        let child = &r.processes[1];
        assert_eq!((child.pid, child.name.as_str()), (2, "init"));
        assert_eq!(child.faults.minor, 3);
        assert_eq!(
            (child.peak_rss_pages, child.sampled_peak_rss_pages),
            (75, 70)
        );
        assert_eq!(child.exit.as_ref().unwrap().signal, Some(9));
        assert!(child.oom_killed);
        assert_eq!(r.processes[0].exit, None);
        let t = s.timeline();
        assert_eq!(t.kswapd, vec![(0.7, 1.0)]);
        assert_eq!(t.rss[&2], vec![(1.1, 70)]);
        assert_eq!(t.samples[0].swap_used, 10);
        let json: serde_json::Value = serde_json::from_str(&r.to_json()).unwrap();
        assert_eq!(json["faults"]["minor"], 3);
        assert_eq!(json["faults"]["by_action"]["swap-in"], 2);
        assert_eq!(json["processes"][1]["exit"]["signal"], 9);
        let text = r.to_text();
        assert!(
            text.contains("rvmmu: kernel page faults: 5 (minor 3, major 1, invalid 1; spurious 1")
        );
        assert!(
            text.contains("pgfault 3 pgmajfault 1 pswpin 1 pswpout 1"),
            "{text}"
        );
    }
}
