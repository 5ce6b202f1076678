//! The options every command that runs a machine shares (`bare`, `run`): memory, TLB, A/D,
//! PMP, limits, statistics, traces and page-table dumps; and running a machine to its end
//! with what they ask for.

use clap::{Args, ValueEnum};
use rvmmu::bus::{Console, ConsoleInput, ConsoleOutput};
use rvmmu::hart::trap::{Interrupt, EXCEPTION_NAMES};
use rvmmu::machine::{Exit, Machine, MachineConfig};
use rvmmu::snapshot::watch::Watcher;
use std::io::{IsTerminal as _, Write as _};
use std::path::PathBuf;
use std::time::Instant;

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum AdArg {
    Hw,
    Fault,
}

fn tlb_geometry(s: &str) -> Result<rvmmu::mmu::tlb::TlbGeometry, String> {
    rvmmu::mmu::tlb::TlbGeometry::parse(s).map_err(|e| e.to_string())
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum MisalignedArg {
    /// Perform misaligned loads and stores (as QEMU does), page-crossing ones too.
    Perform,
    /// Raise load/store address-misaligned exceptions (as Spike does).
    Trap,
}

/// The default is the fastest engine built ([`rvmmu::hart::Engine`]'s default).
#[derive(Clone, Copy, Default, PartialEq, Eq, ValueEnum)]
pub enum EngineArg {
    /// The block engine: straight-line runs of decoded instructions.
    #[cfg_attr(not(feature = "jit"), default)]
    Block,
    /// The interpreter, one instruction at a time (the reference).
    Interp,
    /// The block engine plus hot regions compiled to host code (Cranelift).
    #[cfg_attr(feature = "jit", default)]
    Jit,
}

impl EngineArg {
    pub fn engine(self) -> rvmmu::hart::Engine {
        match self {
            EngineArg::Block => rvmmu::hart::Engine::Block,
            EngineArg::Interp => rvmmu::hart::Engine::Interp,
            EngineArg::Jit => rvmmu::hart::Engine::Jit,
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum TraceKind {
    /// One record per retired instruction.
    Insns,
    /// One record per address translation (TLB hits included), with each walk step.
    Translations,
    /// The kernel's system calls, in strace's format (`rvmmu run`).
    Syscalls,
    /// Every page fault: pid, VA, access, kind, the kernel's action and its cost.
    Faults,
    /// kswapd, direct reclaim, reclaim passes, swap-out/in and OOM decisions.
    Reclaim,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum TraceFormatArg {
    /// One line per record (docs/TRACING.md).
    Text,
    /// One JSON object per line.
    Json,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum StatsFormatArg {
    /// `rvmmu: ` lines.
    Text,
    /// One JSON object (docs/TRACING.md, "Statistics").
    Json,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum AccessArg {
    Fetch,
    Load,
    Store,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum TlbOutcomeArg {
    /// Translations the TLB served.
    Hit,
    /// Translations that walked the page tables.
    Miss,
}

#[derive(Args)]
pub struct MachineArgs {
    /// RAM size (K, M, G suffixes).
    #[arg(long, default_value = "128M", value_parser = mem_size)]
    pub mem: u64,
    /// Stop after N instructions and exit with status 124.
    #[arg(long, value_name = "N")]
    pub max_insns: Option<u64>,
    /// Print statistics on stderr at exit: instructions retired, speed, traps by cause, the
    /// TLB and MMU counters, and (`rvmmu run`) what the kernel reported: page faults by
    /// kind and action, swap, reclaim, OOM kills, and each process's peak RSS, faults and
    /// exit.
    #[arg(long)]
    pub stats: bool,
    /// The statistics' format (implies --stats).
    #[arg(long, value_enum, value_name = "FORMAT")]
    pub stats_format: Option<StatsFormatArg>,
    /// Write the statistics to FILE instead of stderr (implies --stats).
    #[arg(long, value_name = "FILE")]
    pub stats_out: Option<PathBuf>,
    /// TLB geometry: ENTRIESxWAYS (e.g. 64x4), Nxfull (fully associative), Nx1 (direct-mapped).
    #[arg(long, default_value = "64x4", value_parser = tlb_geometry)]
    pub tlb: rvmmu::mmu::tlb::TlbGeometry,
    /// A and D bits: `hw` the page-table walker sets them (Svadu), `fault` it raises a page
    /// fault when A = 0 or a store finds D = 0 (Svade) and software sets them.
    #[arg(long, value_enum, default_value = "hw")]
    pub ad: AdArg,
    /// Trace execution: insns, translations, syscalls, faults, reclaim (comma-separated;
    /// one ordered stream; records of an instruction's translations come before its own).
    /// syscalls, faults and reclaim come from the kernel's event channel (`rvmmu run`).
    #[arg(long, value_enum, value_delimiter = ',', value_name = "KINDS")]
    pub trace: Vec<TraceKind>,
    /// Write the trace to FILE instead of stderr.
    #[arg(long, value_name = "FILE", requires = "trace")]
    pub trace_out: Option<PathBuf>,
    /// Trace record format.
    #[arg(long, value_enum, default_value = "text")]
    pub trace_format: TraceFormatArg,
    /// Trace only translations of VAs in START-END (END excluded) or START+LEN.
    #[arg(long, value_name = "RANGE", value_parser = rvmmu::cli::parse_va_range)]
    pub trace_va: Option<(u64, u64)>,
    /// Trace only these access types (comma-separated: fetch, load, store).
    #[arg(long, value_enum, value_delimiter = ',', value_name = "TYPES")]
    pub trace_access: Vec<AccessArg>,
    /// Trace only TLB hits, or only translations that walked.
    #[arg(long, value_enum)]
    pub trace_tlb: Option<TlbOutcomeArg>,
    /// Trace only process N: its events, and instructions and translations while it is
    /// the current process.
    #[arg(long, value_name = "N", requires = "trace")]
    pub trace_pid: Option<u32>,
    /// Trace only translations in this ASID.
    #[arg(long, value_name = "N", value_parser = asid)]
    pub trace_asid: Option<u16>,
    /// Print the page tables after N instructions (retired or trapped); the run goes on.
    /// Repeatable.
    #[arg(long, value_name = "N")]
    pub dump_pt_at: Vec<u64>,
    /// Write the page-table dumps to FILE instead of stderr.
    #[arg(long, value_name = "FILE")]
    pub dump_pt_out: Option<PathBuf>,
    /// PMP entries (0 to 64).
    #[arg(long, value_name = "N", default_value_t = 16,
          value_parser = clap::value_parser!(u16).range(0..=64))]
    pub pmp: u16,
    /// Misaligned loads and stores: `perform` them, or `trap` (address-misaligned
    /// exceptions). LR/SC and AMOs always trap.
    #[arg(long, value_enum, default_value = "perform")]
    pub misaligned: MisalignedArg,
    /// The instruction loop: `jit` (the block engine plus hot code compiled to host code;
    /// the default when built with the `jit` feature), `block` (straight-line runs) or
    /// `interp` (one instruction at a time). Counters, traces and output are the same with
    /// each; only speed differs.
    #[arg(long, value_enum, default_value_t)]
    pub engine: EngineArg,
    /// With `--engine jit`: compile the code starting at a pc once runs have been entered
    /// there this many times.
    #[arg(long, value_name = "N", default_value_t = rvmmu::machine::DEFAULT_JIT_THRESHOLD,
          value_parser = clap::value_parser!(u32).range(1..))]
    pub jit_threshold: u32,
    /// With `--engine jit`: compile on the emulating thread rather than a background one.
    /// Slower, but the JIT's own counters (shown at `RUST_LOG=rvmmu=debug`) then repeat
    /// run to run; what the guest sees is the same either way.
    #[arg(long)]
    pub jit_sync: bool,
}

fn asid(s: &str) -> Result<u16, String> {
    let v = rvmmu::cli::parse_u64(s)?;
    u16::try_from(v).map_err(|_| format!("ASID {v} does not fit in 16 bits"))
}

fn mem_size(s: &str) -> Result<u64, String> {
    rvmmu::cli::parse_size(s).and_then(rvmmu::cli::check_mem)
}

impl MachineArgs {
    /// Checks the combinations of options clap cannot; call before any file is touched.
    /// `dumping`: whether the command's own options ask for a page-table dump (`--dump-pt`).
    pub fn check(&self, dumping: bool) -> Result<(), String> {
        let dumping = dumping || !self.dump_pt_at.is_empty();
        if self.dump_pt_out.is_some() && !dumping {
            return Err("--dump-pt-out needs --dump-pt or --dump-pt-at".into());
        }
        let filtering = self.trace_va.is_some()
            || !self.trace_access.is_empty()
            || self.trace_tlb.is_some()
            || self.trace_asid.is_some();
        if filtering && !self.trace.contains(&TraceKind::Translations) {
            return Err(
                "--trace-va, --trace-access, --trace-tlb and --trace-asid need --trace translations"
                    .into(),
            );
        }
        Ok(())
    }

    /// The machine these options describe, with the host's console (stdin feeds the UART's
    /// receiver, stdout shows what it sends), its kernel command line, initrd and disk.
    pub fn machine(
        &self,
        bootargs: String,
        initrd: Option<Vec<u8>>,
        disk: Option<std::fs::File>,
        log: Option<rvmmu::bus::ConsoleLog>,
    ) -> Result<Machine, String> {
        let cfg = MachineConfig {
            mem_size: self.mem,
            max_insns: self.max_insns,
            pmp_entries: self.pmp.into(),
            tlb: self.tlb,
            ad: match self.ad {
                AdArg::Hw => rvmmu::mmu::walk::AdMode::Hardware,
                AdArg::Fault => rvmmu::mmu::walk::AdMode::Fault,
            },
            trace: self.trace_config()?,
            console: Console {
                input: if crate::term::stdin_is_tty() {
                    ConsoleInput::Terminal
                } else {
                    ConsoleInput::Stdin
                },
                output: ConsoleOutput::Stdout,
                log,
            },
            bootargs,
            initrd,
            disk,
            misaligned: match self.misaligned {
                MisalignedArg::Perform => rvmmu::hart::Misaligned::Perform,
                MisalignedArg::Trap => rvmmu::hart::Misaligned::Trap,
            },
            engine: self.engine.engine(),
            jit_threshold: self.jit_threshold,
            jit_sync: self.jit_sync,
            ..Default::default()
        };
        Machine::new(cfg).map_err(|e| e.to_string())
    }

    /// Whether statistics are printed at the end.
    pub fn wants_stats(&self) -> bool {
        self.stats || self.stats_format.is_some() || self.stats_out.is_some()
    }

    /// Runs `m` to its end with the page-table dumps asked for — `at_end`, `--dump-pt-at`,
    /// and the process `points` (`rvmmu run --dump-pt PID@EVENT`, with the watcher
    /// installed in `m` that finds their events) — reports a halt, an interruption and the
    /// statistics (the kernel's from `kernel`, when given) on stderr, and returns how the
    /// run ended. Host SIGINT and SIGTERM end the run cleanly ([`Exit::Interrupted`]); a
    /// progress line is drawn while stderr is a terminal.
    pub fn run(
        &self,
        m: &mut Machine,
        at_end: bool,
        points: &[super::dump::DumpPoint],
        watcher: Option<&Watcher>,
        kernel: Option<&rvmmu::kevent::stats::StatsHandle>,
    ) -> Result<Exit, String> {
        let stats_out = match &self.stats_out {
            Some(p) => Some(super::create_file(p)?),
            None => None,
        };
        let mut pt_out: Box<dyn std::io::Write> = match &self.dump_pt_out {
            Some(p) => Box::new(super::create_file(p)?),
            None => Box::new(std::io::stderr()),
        };
        rvmmu::host_signal::install().map_err(|e| format!("cannot catch SIGINT: {e}"))?;
        // Not when a trace is written to the same terminal.
        let tracing_to_stderr = !self.trace.is_empty() && self.trace_out.is_none();
        let mut progress = (std::io::stderr().is_terminal() && !tracing_to_stderr)
            .then(|| Progress::new(kernel.cloned()));
        let start = Instant::now();
        let exit = run_dumping(
            m,
            &self.dump_pt_at,
            points,
            watcher,
            pt_out.as_mut(),
            progress.as_mut(),
        );
        rvmmu::progress::clear();
        let exit = exit?;
        let secs = start.elapsed().as_secs_f64();
        if let Exit::Interrupted(sig) = &exit {
            say!(
                "rvmmu: interrupted by {} after {} instructions",
                rvmmu::host_signal::name(*sig),
                m.hart.instret()
            );
        }
        if at_end {
            pt_out
                .write_all(m.page_table_report().as_bytes())
                .and_then(|()| pt_out.flush())
                .map_err(|e| format!("cannot write the page-table dump: {e}"))?;
        }
        if let Exit::Halted(why) = &exit {
            say!("rvmmu: machine halted: {why}");
        }
        if self.wants_stats() {
            let report = kernel.map(|k| k.borrow().report());
            let text = match self.stats_format {
                Some(StatsFormatArg::Json) => stats_json(m, secs, &exit, report.as_ref()),
                _ => {
                    let mut t = stats_text(m, secs);
                    if let Some(r) = &report {
                        t.push_str(&r.to_text());
                    }
                    t
                }
            };
            match stats_out {
                Some(mut f) => f
                    .write_all(text.as_bytes())
                    .map_err(|e| format!("cannot write the statistics: {e}"))?,
                None => {
                    let _ = std::io::stderr().write_all(text.as_bytes());
                }
            }
        }
        Ok(exit)
    }

    /// The tracer's set-up from `--trace*` options; `None` when nothing is traced.
    fn trace_config(&self) -> Result<Option<rvmmu::machine::TraceConfig>, String> {
        let insns = self.trace.contains(&TraceKind::Insns);
        let translations = self.trace.contains(&TraceKind::Translations);
        let events = rvmmu::kevent::observers::TraceKinds {
            syscalls: self.trace.contains(&TraceKind::Syscalls),
            faults: self.trace.contains(&TraceKind::Faults),
            reclaim: self.trace.contains(&TraceKind::Reclaim),
        };
        if !insns && !translations && !events.any() {
            return Ok(None);
        }
        let out: Box<dyn std::io::Write> = match &self.trace_out {
            None => Box::new(std::io::stderr()),
            Some(p) => Box::new(super::create_file(p)?),
        };
        let filter = translations.then(|| {
            let mut f = rvmmu::trace::Filter {
                va: self.trace_va,
                hit: self.trace_tlb.map(|t| t == TlbOutcomeArg::Hit),
                asid: self.trace_asid,
                ..Default::default()
            };
            if !self.trace_access.is_empty() {
                f.access = [AccessArg::Fetch, AccessArg::Load, AccessArg::Store]
                    .map(|k| self.trace_access.contains(&k));
            }
            f
        });
        Ok(Some(rvmmu::machine::TraceConfig {
            out,
            format: match self.trace_format {
                TraceFormatArg::Text => rvmmu::trace::Format::Text,
                TraceFormatArg::Json => rvmmu::trace::Format::Json,
            },
            insns,
            translations: filter,
            events,
            pid: self.trace_pid,
        }))
    }
}

/// The progress line's state: when it was last drawn, and the count then.
struct Progress {
    kernel: Option<rvmmu::kevent::stats::StatsHandle>,
    last: Instant,
    last_steps: u64,
}

impl Progress {
    /// Host time between redraws.
    const EVERY: std::time::Duration = std::time::Duration::from_millis(250);
    /// Instructions between looks at the host's clock (a few milliseconds of guest time).
    const CHUNK: u64 = 2_000_000;

    fn new(kernel: Option<rvmmu::kevent::stats::StatsHandle>) -> Progress {
        Progress {
            kernel,
            last: Instant::now(),
            last_steps: 0,
        }
    }

    /// Redraws the line when it is time.
    fn tick(&mut self, m: &Machine) {
        let now = Instant::now();
        let dt = now.duration_since(self.last);
        if dt < Self::EVERY {
            return;
        }
        let steps = m.hart.steps;
        let mips = (steps - self.last_steps) as f64 / dt.as_secs_f64() / 1e6;
        (self.last, self.last_steps) = (now, steps);
        let mut line = format!(
            "rvmmu: {:.3} G instructions, {mips:.1} MIPS, {:.2} s virtual",
            m.hart.instret() as f64 / 1e9,
            m.hart.clock() as f64 / rvmmu::kevent::stats::CYCLES_PER_SECOND
        );
        if let Some(k) = &self.kernel {
            let mem = &k.borrow().report.memory;
            if mem.samples > 0 {
                let mib = |p: u64| (p * 4096) as f64 / (1 << 20) as f64;
                line.push_str(&format!(
                    ", free {:.1} MiB, swap used {:.1} MiB",
                    mib(mem.free_pages),
                    mib(mem.swap_total_pages.saturating_sub(mem.swap_free_pages))
                ));
            }
        }
        rvmmu::progress::show(&line);
    }
}

/// Runs `m` until `steps` instructions (as [`Machine::run_until`]), in chunks when a progress
/// line is drawn (a pause changes nothing the guest sees).
fn run_to(m: &mut Machine, steps: u64, progress: Option<&mut Progress>) -> Option<Exit> {
    let Some(p) = progress else {
        return m.run_until(steps);
    };
    loop {
        let to = steps.min(m.hart.steps.saturating_add(Progress::CHUNK));
        if let Some(e) = m.run_until(to) {
            return Some(e);
        }
        if m.hart.steps >= steps {
            return None;
        }
        p.tick(m);
    }
}

/// Runs `m` to its end, writing its page tables to `out` after each of `insns` instructions
/// (a point the run does not reach gets a line saying so), and the process reports of
/// `points` when their events come (their goals are set in `watcher` here) or their
/// instruction counts are reached. A process report asks the kernel for the maps, so the
/// run goes on to the kernel's next memory sample before the next point is looked for.
fn run_dumping(
    m: &mut Machine,
    insns: &[u64],
    points: &[super::dump::DumpPoint],
    watcher: Option<&Watcher>,
    out: &mut dyn std::io::Write,
    mut progress: Option<&mut Progress>,
) -> Result<rvmmu::machine::Exit, String> {
    use super::dump::{report, At};
    // (steps, Some(point) for a process report, None for a --dump-pt-at dump)
    let mut at_counts: Vec<(u64, Option<usize>)> = insns.iter().map(|&n| (n, None)).collect();
    let mut pending = vec![false; points.len()];
    for (i, p) in points.iter().enumerate() {
        match (&p.at, watcher) {
            (At::Insns(n), _) => at_counts.push((*n, Some(i))),
            (At::Event(goal), Some(w)) => {
                w.watch(i, goal.clone());
                pending[i] = true;
            }
            (At::Event(_), None) => {}
        }
    }
    at_counts.sort_unstable();
    at_counts.dedup();
    let mut write = |text: &str| {
        rvmmu::progress::clear();
        out.write_all(text.as_bytes())
            .map_err(|e| format!("cannot write the page-table dump: {e}"))
    };
    let mut next = 0;
    let exit = loop {
        let ended = match at_counts.get(next) {
            Some(&(n, _)) => run_to(m, n, progress.as_deref_mut()),
            None => run_to(m, u64::MAX, progress.as_deref_mut()),
        };
        match ended {
            None => {
                let (n, what) = at_counts[next];
                next += 1;
                match (what, watcher) {
                    (Some(i), Some(w)) => write(&report(m, w, &points[i]))?,
                    (Some(_), None) => {}
                    (None, _) if m.hart.steps > n => write(&format!(
                        "page tables after {n} instructions: passed while the kernel rendered a dump's maps (now {})\n",
                        m.hart.steps
                    ))?,
                    (None, _) => write(&m.page_table_report())?,
                }
            }
            Some(Exit::Stopped) => {
                if let Some(w) = watcher {
                    while let Some(hit) = w.take_hit() {
                        pending[hit.goal] = false;
                        write(&report(m, w, &points[hit.goal]))?;
                    }
                }
            }
            Some(e) => break e,
        }
    };
    for &(n, what) in &at_counts[next..] {
        let spec = what.map_or(String::new(), |i| format!("--dump-pt {}: ", points[i].spec));
        write(&format!(
            "{spec}page tables after {n} instructions: not reached (the run ended after {})\n",
            m.hart.steps
        ))?;
    }
    for (i, p) in points.iter().enumerate() {
        if pending[i] {
            write(&format!(
                "--dump-pt {}: the event did not happen (the run ended after {} instructions)\n",
                p.spec, m.hart.steps
            ))?;
        }
    }
    Ok(exit)
}

/// Appends one line to `out`.
macro_rules! put {
    ($out:expr, $($arg:tt)*) => {{
        use std::fmt::Write as _;
        let _ = writeln!($out, $($arg)*);
    }};
}

/// The machine's counters as `--stats-format json` writes them, with the kernel's report
/// under `kernel` (`null` for `rvmmu bare`). Numbers are exact integers; times in seconds.
fn stats_json(
    m: &Machine,
    secs: f64,
    exit: &Exit,
    kernel: Option<&rvmmu::kevent::stats::Report>,
) -> String {
    use serde_json::{json, Map, Value};
    let s = m.stats();
    let mut exceptions = Map::new();
    for (code, n) in s.exceptions.iter().enumerate().filter(|(_, n)| **n > 0) {
        exceptions.insert(EXCEPTION_NAMES[code].to_string(), json!(n));
    }
    let mut interrupts = Map::new();
    for i in Interrupt::PRIORITY {
        let n = s.interrupts[i.code() as usize];
        if n > 0 {
            interrupts.insert(i.name().to_string(), json!(n));
        }
    }
    let mmu = &m.hart.mmu;
    let tlb = mmu.tlb.stats();
    let by_access = |n: &[u64; 3]| json!({"fetch": n[0], "load": n[1], "store": n[2]});
    let tlb_access = |a: &rvmmu::mmu::tlb::AccessStats| json!({"lookups": a.lookups, "hits": a.hits, "misses": a.misses});
    let st = &mmu.stats;
    let interrupted = match exit {
        Exit::Interrupted(sig) => json!(rvmmu::host_signal::name(*sig)),
        _ => Value::Null,
    };
    let v = json!({
        "machine": {
            "instructions": s.instret,
            "steps": s.steps,
            "cycles": s.cycles,
            "mtime": s.mtime,
            "virtual_seconds": s.cycles as f64 / rvmmu::kevent::stats::CYCLES_PER_SECOND,
            "host_seconds": secs,
            "mips": s.steps as f64 / secs.max(1e-9) / 1e6,
            "exit_status": exit.status(),
            "interrupted": interrupted,
            "exceptions": exceptions,
            "interrupts": interrupts,
            "tlb": {
                "geometry": mmu.tlb.geometry().to_string(),
                "fetch": tlb_access(&tlb.fetch),
                "load": tlb_access(&tlb.load),
                "store": tlb_access(&tlb.store),
                "refills": tlb.refills,
                "evictions": tlb.evictions,
            },
            "mmu": {
                "walks": by_access(&st.walks),
                "pte_reads": by_access(&st.pte_reads),
                "pte_writes": by_access(&st.pte_writes),
                "page_faults": by_access(&st.page_faults),
                "access_faults": by_access(&st.access_faults),
            },
        },
        "kernel": kernel,
    });
    let mut out = serde_json::to_string_pretty(&v).unwrap_or_default();
    out.push('\n');
    out
}

/// The machine's counters as `rvmmu: ` lines.
fn stats_text(m: &Machine, secs: f64) -> String {
    let mut o = String::new();
    let s = m.stats();
    put!(o, "rvmmu: instructions retired: {}", s.instret);
    put!(o, "rvmmu: cycles: {} (mtime {})", s.cycles, s.mtime);
    put!(
        o,
        "rvmmu: host time: {secs:.3} s, {:.1} MIPS",
        s.steps as f64 / secs.max(1e-9) / 1e6
    );
    let mut traps: Vec<String> = Vec::new();
    for (code, n) in s.exceptions.iter().enumerate().filter(|(_, n)| **n > 0) {
        traps.push(format!("{} {n}", EXCEPTION_NAMES[code]));
    }
    for i in Interrupt::PRIORITY {
        let n = s.interrupts[i.code() as usize];
        if n > 0 {
            traps.push(format!("{} {n}", i.name()));
        }
    }
    put!(
        o,
        "rvmmu: traps: {}",
        if traps.is_empty() {
            "none".into()
        } else {
            traps.join(", ")
        }
    );
    let mmu = &m.hart.mmu;
    put!(o, "rvmmu: tlb geometry {}", mmu.tlb.geometry());
    for line in mmu.tlb.stats().to_string().lines() {
        put!(o, "rvmmu: {line}");
    }
    let st = &mmu.stats;
    let mut by_access = |what: &str, n: &[u64; 3]| {
        put!(
            o,
            "rvmmu: {what}: fetch {} load {} store {}",
            n[0],
            n[1],
            n[2]
        );
    };
    by_access("walks", &st.walks);
    by_access("pte reads", &st.pte_reads);
    by_access("pte writes (A/D)", &st.pte_writes);
    by_access("page faults", &st.page_faults);
    by_access("access faults", &st.access_faults);
    put!(
        o,
        "rvmmu: refills refused (pmp not uniform over the page): {}",
        st.refills_refused
    );
    for (base, line) in m.bus.device_stats() {
        put!(o, "rvmmu: {base:#x} {line}");
    }
    o
}
