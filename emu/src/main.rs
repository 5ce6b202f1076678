//! The `rvmmu` command: runs RISC-V programs on the emulated machine.

use clap::{CommandFactory, Parser, Subcommand};
use std::process::ExitCode;

/// Writes one line to stderr, ignoring failure (a closed stderr must not panic the process).
macro_rules! say {
    ($($arg:tt)*) => {{
        let _ = std::io::Write::write_fmt(&mut std::io::stderr(), format_args!("{}\n", format_args!($($arg)*)));
    }};
}

mod cmd;
mod term;

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

// Parsed once per process: the size of its largest variant does not matter.
#[allow(clippy::large_enum_variant)]
#[derive(Subcommand)]
enum Cmd {
    /// Run a static Linux program on the kernel as its first process: a host file, or a
    /// built-in one of /bin (the tools, the notes' programs); with none, the shell /bin/sh,
    /// and `-c SCRIPT` runs a script. rvmmu's exit status is the program's.
    Run(Box<cmd::run::RunArgs>),
    /// Run a bare-metal ELF in M-mode from its entry; it ends by writing `tohost` or the test
    /// finisher.
    Bare(Box<cmd::bare::BareArgs>),
    /// Measure guest speed on the built-in workloads (median of several runs).
    Bench(cmd::bench::BenchArgs),
    /// Write the built-in kernel's ELF to FILE (for qemu-system-riscv64 -kernel).
    Kernel {
        /// Where to write it.
        #[arg(long, value_name = "FILE")]
        out: std::path::PathBuf,
    },
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

fn main() -> ExitCode {
    env_logger::Builder::from_env(env_logger::Env::default().default_filter_or("warn")).init();
    let argv = cmd::run::program_words_as_values(&Cli::command(), std::env::args_os().collect());
    let cli = match Cli::try_parse_from(argv) {
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
    let result = match cli.cmd {
        Cmd::Bench(b) => match cmd::bench::run_bench(b) {
            Ok(()) => Ok(ExitCode::SUCCESS),
            Err(msg) => {
                say!("rvmmu: {msg}");
                return ExitCode::FAILURE;
            }
        },
        Cmd::Bare(a) => cmd::bare::run(*a),
        Cmd::Run(a) => cmd::run::run(*a),
        Cmd::Kernel { out } => match rvmmu::kernel::embedded() {
            None => Err("this rvmmu was built without its kernel".into()),
            Some(k) => std::fs::write(&out, k)
                .map(|()| ExitCode::SUCCESS)
                .map_err(|e| format!("cannot write {}: {e}", out.display())),
        },
    };
    result.unwrap_or_else(|msg| {
        say!("rvmmu: {msg}");
        ExitCode::from(2)
    })
}
