//! The `rvmmu` command: runs RISC-V programs on the emulated machine.

use clap::{Args, Parser, Subcommand, ValueEnum};
use rvmmu::bus::{Console, ConsoleInput, ConsoleOutput};
use rvmmu::hart::trap::{Interrupt, EXCEPTION_NAMES};
use rvmmu::machine::{Machine, MachineConfig};
use std::io::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

#[derive(Parser)]
#[command(
    name = "rvmmu",
    version,
    about = "A RISC-V RV64GC system emulator built around a modelled MMU"
)]
struct Cli {
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Run a bare-metal ELF in M-mode from its entry; it ends by writing `tohost` or the test
    /// finisher.
    Bare(BareArgs),
    /// Measure guest speed on the built-in workloads (median of several runs).
    Bench(BenchArgs),
}

#[derive(Args)]
struct BenchArgs {
    /// Loop iterations per run (default 25000000; 200000 with --trace-out).
    #[arg(long)]
    iterations: Option<u64>,
    /// Runs per workload; the median is reported.
    #[arg(long, default_value_t = 5, value_parser = clap::value_parser!(u64).range(1..=100))]
    runs: u64,
    /// Run only the named workload (int-loop, sv39-hit, sv39-miss).
    #[arg(long, value_name = "NAME", value_parser = workload_name)]
    only: Option<String>,
    /// Measure translation tracing instead: run the paged workloads with
    /// `--trace translations` writing to FILE, and report records per second.
    #[arg(long, value_name = "FILE")]
    trace_out: Option<PathBuf>,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum AdArg {
    Hw,
    Fault,
}

fn tlb_geometry(s: &str) -> Result<rvmmu::mmu::tlb::TlbGeometry, String> {
    rvmmu::mmu::tlb::TlbGeometry::parse(s).map_err(|e| e.to_string())
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum TraceKind {
    /// One record per retired instruction.
    Insns,
    /// One record per address translation (TLB hits included), with each walk step.
    Translations,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum TraceFormatArg {
    /// One line per record (docs/TRACING.md).
    Text,
    /// One JSON object per line.
    Json,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum AccessArg {
    Fetch,
    Load,
    Store,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum TlbOutcomeArg {
    /// Translations the TLB served.
    Hit,
    /// Translations that walked the page tables.
    Miss,
}

#[derive(Args)]
struct BareArgs {
    /// RAM size (K, M, G suffixes).
    #[arg(long, default_value = "128M", value_parser = mem_size)]
    mem: u64,
    /// Stop after N instructions and exit with status 124.
    #[arg(long, value_name = "N")]
    max_insns: Option<u64>,
    /// Print instructions retired, speed and traps by cause on stderr at exit.
    #[arg(long)]
    stats: bool,
    /// TLB geometry: ENTRIESxWAYS (e.g. 64x4), Nxfull (fully associative), Nx1 (direct-mapped).
    #[arg(long, default_value = "64x4", value_parser = tlb_geometry)]
    tlb: rvmmu::mmu::tlb::TlbGeometry,
    /// A and D bits: `hw` the page-table walker sets them (Svadu), `fault` it raises a page
    /// fault when A = 0 or a store finds D = 0 (Svade) and software sets them.
    #[arg(long, value_enum, default_value = "hw")]
    ad: AdArg,
    /// Trace execution: insns, translations, or both (comma-separated; records of an
    /// instruction's translations come before its own).
    #[arg(long, value_enum, value_delimiter = ',', value_name = "KINDS")]
    trace: Vec<TraceKind>,
    /// Write the trace to FILE instead of stderr.
    #[arg(long, value_name = "FILE", requires = "trace")]
    trace_out: Option<PathBuf>,
    /// Trace record format.
    #[arg(long, value_enum, default_value = "text")]
    trace_format: TraceFormatArg,
    /// Trace only translations of VAs in START-END (END excluded) or START+LEN.
    #[arg(long, value_name = "RANGE", value_parser = rvmmu::cli::parse_va_range)]
    trace_va: Option<(u64, u64)>,
    /// Trace only these access types (comma-separated: fetch, load, store).
    #[arg(long, value_enum, value_delimiter = ',', value_name = "TYPES")]
    trace_access: Vec<AccessArg>,
    /// Trace only TLB hits, or only translations that walked.
    #[arg(long, value_enum)]
    trace_tlb: Option<TlbOutcomeArg>,
    /// Trace only translations in this ASID.
    #[arg(long, value_name = "N", value_parser = asid)]
    trace_asid: Option<u16>,
    /// Print the page tables satp points at when the run ends (walked as the hardware would).
    #[arg(long)]
    dump_pt: bool,
    /// Print the page tables after N instructions (retired or trapped); the run goes on.
    /// Repeatable.
    #[arg(long, value_name = "N")]
    dump_pt_at: Vec<u64>,
    /// Write the page-table dumps to FILE instead of stderr.
    #[arg(long, value_name = "FILE")]
    dump_pt_out: Option<PathBuf>,
    /// PMP entries (0 to 64).
    #[arg(long, value_name = "N", default_value_t = 16,
          value_parser = clap::value_parser!(u16).range(0..=64))]
    pmp: u16,
    /// The program.
    elf: PathBuf,
}

/// Clap's error as one line: its message and any indented detail lines (such as the names
/// of missing arguments), without the usage block and the help hint.
fn clap_error_line(e: &clap::Error) -> String {
    use clap::error::ErrorKind;
    if e.kind() == ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand {
        return "missing subcommand (try 'rvmmu --help')".into();
    }
    let text = e.render().to_string();
    let mut parts = Vec::new();
    for line in text.lines() {
        let line = line.trim();
        if line.starts_with("Usage:") || line.starts_with("For more information") {
            break;
        }
        if !line.is_empty() {
            parts.push(line.trim_start_matches("error: ").to_string());
        }
    }
    let mut msg = parts.join(" ");
    if msg.is_empty() {
        msg = "bad arguments (try 'rvmmu --help')".into();
    }
    msg
}

fn asid(s: &str) -> Result<u16, String> {
    let v = rvmmu::cli::parse_u64(s)?;
    u16::try_from(v).map_err(|_| format!("ASID {v} does not fit in 16 bits"))
}

fn workload_name(s: &str) -> Result<String, String> {
    let names: Vec<&str> = rvmmu::bench::WORKLOADS.iter().map(|w| w.name).collect();
    if names.contains(&s) {
        Ok(s.to_string())
    } else {
        Err(format!(
            "no such workload (there are: {})",
            names.join(", ")
        ))
    }
}

fn mem_size(s: &str) -> Result<u64, String> {
    rvmmu::cli::parse_size(s).and_then(rvmmu::cli::check_mem)
}

/// Writes one line to stderr, ignoring failure (a closed stderr must not panic the process).
macro_rules! say {
    ($($arg:tt)*) => {{
        let _ = writeln!(std::io::stderr(), $($arg)*);
    }};
}

fn main() -> ExitCode {
    env_logger::Builder::from_env(env_logger::Env::default().default_filter_or("warn")).init();
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) if !e.use_stderr() => {
            // --help and --version.
            let _ = e.print();
            return ExitCode::SUCCESS;
        }
        Err(e) => {
            say!("rvmmu: {}", clap_error_line(&e));
            return ExitCode::from(2);
        }
    };
    match cli.cmd {
        Cmd::Bench(b) => match run_bench(b) {
            Ok(()) => ExitCode::SUCCESS,
            Err(msg) => {
                say!("rvmmu: {msg}");
                ExitCode::FAILURE
            }
        },
        Cmd::Bare(a) => match run_bare(a) {
            Ok(code) => code,
            Err(msg) => {
                say!("rvmmu: {msg}");
                ExitCode::from(2)
            }
        },
    }
}

fn run_bare(a: BareArgs) -> Result<ExitCode, String> {
    let dumping = a.dump_pt || !a.dump_pt_at.is_empty();
    if a.dump_pt_out.is_some() && !dumping {
        return Err("--dump-pt-out needs --dump-pt or --dump-pt-at".into());
    }
    check_trace_args(&a)?;
    let bytes =
        std::fs::read(&a.elf).map_err(|e| format!("cannot read {}: {e}", a.elf.display()))?;
    let trace = trace_config(&a)?;
    let mut pt_out: Box<dyn std::io::Write> = match &a.dump_pt_out {
        Some(p) => Box::new(
            std::fs::File::create(p).map_err(|e| format!("cannot create {}: {e}", p.display()))?,
        ),
        None => Box::new(std::io::stderr()),
    };
    let cfg = MachineConfig {
        mem_size: a.mem,
        max_insns: a.max_insns,
        pmp_entries: a.pmp.into(),
        tlb: a.tlb,
        ad: match a.ad {
            AdArg::Hw => rvmmu::mmu::walk::AdMode::Hardware,
            AdArg::Fault => rvmmu::mmu::walk::AdMode::Fault,
        },
        trace,
        // The program's console is the host's: stdin feeds the UART's receiver.
        console: Console {
            input: ConsoleInput::Stdin,
            output: ConsoleOutput::Stdout,
        },
        ..Default::default()
    };
    let mut m = Machine::new(cfg).map_err(|e| e.to_string())?;
    m.load_elf(&bytes)
        .map_err(|e| format!("{}: {e}", a.elf.display()))?;
    let start = Instant::now();
    let exit = run_dumping(&mut m, &a.dump_pt_at, pt_out.as_mut())?;
    let secs = start.elapsed().as_secs_f64();
    if a.dump_pt {
        pt_out
            .write_all(m.page_table_report().as_bytes())
            .and_then(|()| pt_out.flush())
            .map_err(|e| format!("cannot write the page-table dump: {e}"))?;
    }
    if let rvmmu::machine::Exit::Halted(why) = &exit {
        say!("rvmmu: machine halted: {why}");
    }
    if a.stats {
        print_stats(&m, secs);
    }
    Ok(ExitCode::from(exit.status() as u8))
}

/// The combinations of `--trace*` options clap cannot check.
fn check_trace_args(a: &BareArgs) -> Result<(), String> {
    let filtering = a.trace_va.is_some()
        || !a.trace_access.is_empty()
        || a.trace_tlb.is_some()
        || a.trace_asid.is_some();
    if filtering && !a.trace.contains(&TraceKind::Translations) {
        return Err(
            "--trace-va, --trace-access, --trace-tlb and --trace-asid need --trace translations"
                .into(),
        );
    }
    Ok(())
}

/// The tracer's set-up from `--trace*` options; `None` when nothing is traced.
fn trace_config(a: &BareArgs) -> Result<Option<rvmmu::machine::TraceConfig>, String> {
    let insns = a.trace.contains(&TraceKind::Insns);
    let translations = a.trace.contains(&TraceKind::Translations);
    if !insns && !translations {
        return Ok(None);
    }
    let out: Box<dyn std::io::Write> = match &a.trace_out {
        None => Box::new(std::io::stderr()),
        Some(p) => Box::new(
            std::fs::File::create(p).map_err(|e| format!("cannot create {}: {e}", p.display()))?,
        ),
    };
    let filter = translations.then(|| {
        let mut f = rvmmu::trace::Filter {
            va: a.trace_va,
            hit: a.trace_tlb.map(|t| t == TlbOutcomeArg::Hit),
            asid: a.trace_asid,
            ..Default::default()
        };
        if !a.trace_access.is_empty() {
            f.access = [AccessArg::Fetch, AccessArg::Load, AccessArg::Store]
                .map(|k| a.trace_access.contains(&k));
        }
        f
    });
    Ok(Some(rvmmu::machine::TraceConfig {
        out,
        format: match a.trace_format {
            TraceFormatArg::Text => rvmmu::trace::Format::Text,
            TraceFormatArg::Json => rvmmu::trace::Format::Json,
        },
        insns,
        translations: filter,
    }))
}

/// Runs `m` to its end, writing its page tables to `out` after each of `points` instructions
/// (in ascending order; a point the run does not reach gets a line saying so).
fn run_dumping(
    m: &mut Machine,
    points: &[u64],
    out: &mut dyn std::io::Write,
) -> Result<rvmmu::machine::Exit, String> {
    let mut points = points.to_vec();
    points.sort_unstable();
    points.dedup();
    let mut ended = None;
    for n in points {
        if ended.is_none() {
            ended = m.run_until(n);
        }
        let report = match ended {
            None => m.page_table_report(),
            Some(_) => format!(
                "page tables after {n} instructions: not reached (the run ended after {})\n",
                m.hart.steps
            ),
        };
        out.write_all(report.as_bytes())
            .map_err(|e| format!("cannot write the page-table dump: {e}"))?;
    }
    Ok(match ended {
        Some(e) => e,
        None => m.run(),
    })
}

fn print_stats(m: &Machine, secs: f64) {
    let s = m.stats();
    say!("rvmmu: instructions retired: {}", s.instret);
    say!("rvmmu: cycles: {} (mtime {})", s.cycles, s.mtime);
    say!(
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
    say!(
        "rvmmu: traps: {}",
        if traps.is_empty() {
            "none".into()
        } else {
            traps.join(", ")
        }
    );
    let mmu = &m.hart.mmu;
    say!("rvmmu: tlb geometry {}", mmu.tlb.geometry());
    for line in mmu.tlb.stats().to_string().lines() {
        say!("rvmmu: {line}");
    }
    let st = &mmu.stats;
    let by_access = |what: &str, n: &[u64; 3]| {
        say!("rvmmu: {what}: fetch {} load {} store {}", n[0], n[1], n[2]);
    };
    by_access("walks", &st.walks);
    by_access("pte reads", &st.pte_reads);
    by_access("pte writes (A/D)", &st.pte_writes);
    by_access("page faults", &st.page_faults);
    by_access("access faults", &st.access_faults);
    say!(
        "rvmmu: refills refused (pmp not uniform over the page): {}",
        st.refills_refused
    );
}

fn run_bench(b: BenchArgs) -> Result<(), String> {
    if let Some(path) = &b.trace_out {
        return run_trace_bench(&b, path);
    }
    let iterations = b.iterations.unwrap_or(25_000_000);
    for w in rvmmu::bench::WORKLOADS {
        if b.only.as_ref().is_some_and(|n| n != w.name) {
            continue;
        }
        let mut samples = Vec::new();
        for _ in 0..b.runs {
            samples.push(rvmmu::bench::run_once(w, iterations).map_err(|e| e.to_string())?);
        }
        let all: Vec<String> = samples.iter().map(|s| format!("{:.1}", s.mips())).collect();
        let m = rvmmu::bench::median(samples);
        println!(
            "{:<10} {:>8.1} MIPS  median of {} ({} MIPS); {} instructions per run: {}",
            w.name,
            m.mips(),
            b.runs,
            all.join(", "),
            m.instructions,
            w.what
        );
    }
    Ok(())
}

/// `rvmmu bench --trace-out FILE`: translation records per second, median of the runs.
fn run_trace_bench(b: &BenchArgs, path: &std::path::Path) -> Result<(), String> {
    let iterations = b.iterations.unwrap_or(200_000);
    for w in rvmmu::bench::WORKLOADS {
        if w.paged.is_none() || b.only.as_ref().is_some_and(|n| n != w.name) {
            continue;
        }
        let mut rates = Vec::new();
        let mut records = 0;
        for _ in 0..b.runs {
            let f = std::fs::File::create(path)
                .map_err(|e| format!("cannot create {}: {e}", path.display()))?;
            let (n, secs) =
                rvmmu::bench::run_traced(w, iterations, Box::new(f)).map_err(|e| e.to_string())?;
            records = n;
            rates.push(n as f64 / secs.max(1e-9) / 1e6);
        }
        let bytes = std::fs::metadata(path).map(|m| m.len()).unwrap_or(0);
        let all: Vec<String> = rates.iter().map(|r| format!("{r:.2}")).collect();
        rates.sort_by(f64::total_cmp);
        println!(
            "{:<10} {:>6.2} M translation records/s  median of {} ({}); {} records, {} bytes per run to {}",
            w.name,
            rates[rates.len() / 2],
            b.runs,
            all.join(", "),
            records,
            bytes,
            path.display()
        );
    }
    Ok(())
}
