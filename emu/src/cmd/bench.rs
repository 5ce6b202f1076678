//! `rvmmu bench`: guest speed on the built-in workloads, and translation-trace throughput.

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
    /// Run only the named workload (int-loop, sv39-hit, sv39-miss, u-bare-pmp).
    #[arg(long, value_name = "NAME", value_parser = workload_name)]
    pub only: Option<String>,
    /// Measure translation tracing instead: run the paged and segmented workloads with
    /// `--trace translations` writing to FILE, and report records per second.
    #[arg(long, value_name = "FILE")]
    pub trace_out: Option<PathBuf>,
    /// The instruction loop to measure: `block` or `interp`.
    #[arg(long, value_enum, default_value = "block")]
    pub engine: super::machine::EngineArg,
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
                rvmmu::bench::run_once_on(w, iterations, b.engine.engine())
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
