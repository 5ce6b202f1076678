//! The options every command that runs a machine shares (`bare`, `run`): memory, TLB, A/D,
//! PMP, limits, statistics, traces and page-table dumps; and running a machine to its end
//! with what they ask for.

use clap::{Args, ValueEnum};
use rvmmu::bus::{Console, ConsoleInput, ConsoleOutput};
use rvmmu::hart::trap::{Interrupt, EXCEPTION_NAMES};
use rvmmu::machine::{Exit, Machine, MachineConfig};
use std::io::Write as _;
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
    /// Print instructions retired, speed and traps by cause on stderr at exit.
    #[arg(long)]
    pub stats: bool,
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
    /// Print the page tables satp points at when the run ends (walked as the hardware would).
    #[arg(long)]
    pub dump_pt: bool,
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
    pub fn check(&self) -> Result<(), String> {
        let dumping = self.dump_pt || !self.dump_pt_at.is_empty();
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
            ..Default::default()
        };
        Machine::new(cfg).map_err(|e| e.to_string())
    }

    /// Runs `m` to its end with the page-table dumps asked for, reports a halt and the
    /// statistics on stderr, and returns how the run ended.
    pub fn run(&self, m: &mut Machine) -> Result<Exit, String> {
        let mut pt_out: Box<dyn std::io::Write> = match &self.dump_pt_out {
            Some(p) => Box::new(super::create_file(p)?),
            None => Box::new(std::io::stderr()),
        };
        let start = Instant::now();
        let exit = run_dumping(m, &self.dump_pt_at, pt_out.as_mut())?;
        let secs = start.elapsed().as_secs_f64();
        if self.dump_pt {
            pt_out
                .write_all(m.page_table_report().as_bytes())
                .and_then(|()| pt_out.flush())
                .map_err(|e| format!("cannot write the page-table dump: {e}"))?;
        }
        if let Exit::Halted(why) = &exit {
            say!("rvmmu: machine halted: {why}");
        }
        if self.stats {
            print_stats(m, secs);
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
    for (base, line) in m.bus.device_stats() {
        say!("rvmmu: {base:#x} {line}");
    }
}
