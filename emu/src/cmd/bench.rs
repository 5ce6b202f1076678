//! `rvmmu bench`: guest speed on the built-in workloads (the bare-metal ones of
//! `rvmmu::bench`, then the kernel ones of `rvmmu::bench_kernel`), and translation-trace
//! throughput.

use clap::Args;
use std::path::PathBuf;

#[derive(Args)]
pub struct BenchArgs {
    /// Loop iterations per run (default 25000000; 200000 with --trace-out).
    #[arg(long)]
    pub iterations: Option<u64>,
    /// Runs per workload; the median is reported.
    #[arg(long, default_value_t = 5, value_parser = clap::value_parser!(u64).range(1..=100))]
    pub runs: u64,
    /// Run only the named workload: int-loop, sv39-hit, sv39-miss, u-bare-pmp; the
    /// kernel-mapped sv39-giga-64, sv39-giga-miss, sv39-giga-1024x4, sv48-giga-miss,
    /// sv39-asid-switch; the kernel's kernel-boot, kernel-fork, kernel-malloc.
    #[arg(long, value_name = "NAME", value_parser = workload_name)]
    pub only: Option<String>,
    /// The kernel workloads' scale: kernel-fork's fork/exec iterations (default 200),
    /// kernel-malloc's rounds (default 1000); kernel-boot has none.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    pub scale: Option<u64>,
    /// Measure translation tracing instead: run the paged and segmented workloads with
    /// `--trace translations` writing to FILE, and report records per second.
    #[arg(long, value_name = "FILE")]
    pub trace_out: Option<PathBuf>,
    /// The instruction loop to measure: `jit` (the default when built with the `jit`
    /// feature), `block` or `interp`.
    #[arg(long, value_enum, default_value_t)]
    pub engine: super::machine::EngineArg,
    /// With `--engine jit`: the entries at a pc after which the code there is compiled.
    #[arg(long, value_name = "N", default_value_t = rvmmu::machine::DEFAULT_JIT_THRESHOLD,
          value_parser = clap::value_parser!(u32).range(1..))]
    pub jit_threshold: u32,
}

fn workload_name(s: &str) -> Result<String, String> {
    let names: Vec<&str> = rvmmu::bench::WORKLOADS
        .iter()
        .map(|w| w.name)
        .chain(rvmmu::bench_kernel::KERNEL_WORKLOADS.iter().map(|w| w.name))
        .collect();
    if names.contains(&s) {
        Ok(s.to_string())
    } else {
        Err(format!(
            "no such workload (there are: {})",
            names.join(", ")
        ))
    }
}

pub fn run_bench(b: BenchArgs) -> Result<(), String> {
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
            samples.push(
                rvmmu::bench::run_once_on(w, iterations, b.engine.engine(), b.jit_threshold)
                    .map_err(|e| e.to_string())?,
            );
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
    run_kernel_bench(&b)
}

/// The kernel workloads (those `--only` selects), after the bare ones: each booted `--runs`
/// times, reported as the median run's MIPS. Without the built-in kernel this is an error
/// when one of them was to run.
fn run_kernel_bench(b: &BenchArgs) -> Result<(), String> {
    use rvmmu::bench_kernel::{run_once, KERNEL_WORKLOADS};
    for w in KERNEL_WORKLOADS {
        if b.only.as_ref().is_some_and(|n| n != w.name) {
            continue;
        }
        let n = if w.scale > 1 {
            b.scale.unwrap_or(w.scale)
        } else {
            w.scale
        };
        let mut samples = Vec::new();
        for _ in 0..b.runs {
            samples.push(
                run_once(w, n, b.engine.engine(), b.jit_threshold)
                    .map_err(|e| e.to_string())?
                    .0,
            );
        }
        let all: Vec<String> = samples.iter().map(|s| format!("{:.1}", s.mips())).collect();
        let m = rvmmu::bench::median(samples);
        let scale = if w.scale > 1 {
            format!(" (N = {n})")
        } else {
            String::new()
        };
        println!(
            "{:<13} {:>8.1} MIPS  median of {} ({} MIPS, {:.3} s); {} instructions per run: {}{scale}",
            w.name,
            m.mips(),
            b.runs,
            all.join(", "),
            m.seconds,
            m.instructions,
            w.what
        );
    }
    Ok(())
}

/// `rvmmu bench --trace-out FILE`: translation records per second, median of the runs.
fn run_trace_bench(b: &BenchArgs, path: &std::path::Path) -> Result<(), String> {
    let iterations = b.iterations.unwrap_or(200_000);
    if let Some(k) = b.only.as_deref().and_then(rvmmu::bench_kernel::find) {
        return Err(format!(
            "{} is a kernel workload: --trace-out measures the bare ones",
            k.name
        ));
    }
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

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Parser)]
    struct Cli {
        #[command(flatten)]
        bench: BenchArgs,
    }

    #[test]
    fn only_takes_the_bare_and_the_kernel_workloads_by_name() {
        let only = |name: &str| {
            Cli::try_parse_from(["rvmmu-bench", "--only", name])
                .map(|c| c.bench.only)
                .map_err(|e| e.to_string())
        };
        assert_eq!(only("kernel-fork"), Ok(Some("kernel-fork".to_string())));
        assert_eq!(only("sv39-hit"), Ok(Some("sv39-hit".to_string())));
        let e = only("kernel-nothing").unwrap_err();
        assert!(
            e.contains("int-loop") && e.contains("kernel-boot") && e.contains("kernel-malloc"),
            "{e}"
        );
        let scale = Cli::try_parse_from(["rvmmu-bench", "--scale", "7"]).unwrap();
        assert_eq!(scale.bench.scale, Some(7));
        assert!(Cli::try_parse_from(["rvmmu-bench", "--scale", "0"]).is_err());
    }

    #[test]
    fn the_help_names_every_workload() {
        use clap::CommandFactory;
        let help = Cli::command().render_long_help().to_string();
        let names = rvmmu::bench::WORKLOADS.iter().map(|w| w.name);
        for name in names.chain(rvmmu::bench_kernel::KERNEL_WORKLOADS.iter().map(|w| w.name)) {
            assert!(help.contains(name), "--only's help does not name {name}");
        }
    }

    #[test]
    fn a_kernel_workload_has_no_trace_bench() {
        let b = Cli::try_parse_from(["rvmmu-bench", "--only", "kernel-boot"])
            .unwrap()
            .bench;
        let e = run_trace_bench(&b, std::path::Path::new("/nonexistent/trace")).unwrap_err();
        assert!(e.contains("kernel-boot is a kernel workload"), "{e}");
    }
}
