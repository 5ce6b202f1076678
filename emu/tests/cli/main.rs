//! Command-line tests of the `rvmmu` binary: error reporting, exit codes, the UART console,
//! `--stats`, `--trace insns` and `--trace translations`, `--help` and `--version`.
//!
//! The guests are small assembly programs in `emu/tests/guests/`, built at test time with
//! `riscv64-unknown-elf-gcc` (override with `RISCV_GCC`) into a temporary directory. Where the
//! compiler is missing, the tests that need a guest print a `skipped:` line and pass (under CI,
//! `CI` set, they fail).
//!
//! Every run of the emulator has a wall-clock limit ([`TIMEOUT`]) and, where the guest could
//! spin, a `--max-insns` bound, so a hang fails the test instead of stalling the suite.
//!
//! Modules: [`errors`] (exit status 2 paths), [`runs`] (exit codes, console, determinism),
//! [`trace`] (the `--trace insns` snapshot, `--help`, `--version`), [`trace_translations`]
//! (translation records, filters, JSON).

mod dump_pt;
mod dump_pt_run;
mod errors;
mod run_cmd;
mod runs;
mod stats;
mod terminal;
mod trace;
mod trace_translations;

/// The test crate's runner of host commands with a timeout (the same file, shared by path:
/// this crate cannot depend on `rvmmu-tests`, which depends on it).
#[path = "../../../tests/src/process.rs"]
mod process;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;
use std::time::Duration;
use tempfile::TempDir;

/// The binary under test.
const RVMMU: &str = env!("CARGO_BIN_EXE_rvmmu");

/// Where the guest sources are.
const GUESTS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/guests");

/// Wall-clock limit for one run of the emulator (debug build, shared machine).
const TIMEOUT: Duration = Duration::from_secs(60);

/// The RISC-V cross compiler, if it runs.
fn gcc() -> Option<&'static str> {
    static GCC: OnceLock<Option<String>> = OnceLock::new();
    GCC.get_or_init(|| {
        let gcc =
            std::env::var("RISCV_GCC").unwrap_or_else(|_| "riscv64-unknown-elf-gcc".to_string());
        let ok = Command::new(&gcc)
            .arg("--version")
            .output()
            .is_ok_and(|o| o.status.success());
        ok.then_some(gcc)
    })
    .as_deref()
}

/// A built guest program; its temporary directory lives as long as it does.
pub struct Guest {
    pub dir: TempDir,
    pub elf: PathBuf,
}

impl Guest {
    /// The ELF's path as a command-line argument.
    pub fn path(&self) -> &str {
        self.elf.to_str().expect("temporary paths are UTF-8")
    }

    /// The address of `symbol` in the ELF.
    pub fn symbol(&self, symbol: &str) -> u64 {
        let bytes = std::fs::read(&self.elf).unwrap();
        let elf = goblin::elf::Elf::parse(&bytes).unwrap();
        elf.syms
            .iter()
            .find(|s| elf.strtab.get_at(s.st_name) == Some(symbol))
            .unwrap_or_else(|| panic!("no symbol {symbol}"))
            .st_value
    }
}

/// Assembles and links `source` (preprocessed assembly; `common.h` can be included) with
/// `flags` added to the compiler's command line, the text at 0x8000_0000 unless a flag sets
/// it. `None` when there is no cross compiler.
pub fn build_asm(source: &str, flags: &[&str]) -> Option<Guest> {
    let gcc = gcc()?;
    let dir = TempDir::new().unwrap();
    let src = dir.path().join("guest.S");
    let elf = dir.path().join("guest.elf");
    std::fs::write(&src, source).unwrap();
    let rv32 = flags.iter().any(|f| f.starts_with("-march=rv32"));
    let mut cmd = Command::new(gcc);
    if !rv32 {
        cmd.args(["-march=rv64gc", "-mabi=lp64"]);
    }
    cmd.args(["-nostdlib", "-nostartfiles", "-static"])
        // Do not load the ELF headers: the image starts exactly at the text address.
        .args(["-Wl,-n", "-Wl,--no-warn-rwx-segments"])
        .arg(format!("-I{GUESTS}"));
    if !flags.iter().any(|f| f.starts_with("-Wl,-Ttext")) {
        cmd.arg("-Wl,-Ttext=0x80000000");
    }
    cmd.args(flags).arg(&src).arg("-o").arg(&elf);
    let out = cmd.output().unwrap();
    assert!(
        out.status.success(),
        "{cmd:?} failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    Some(Guest { dir, elf })
}

/// Builds `emu/tests/guests/<name>` with `flags`; `None` when there is no cross compiler.
pub fn build_guest(name: &str, flags: &[&str]) -> Option<Guest> {
    let source = std::fs::read_to_string(Path::new(GUESTS).join(name)).unwrap();
    build_asm(&source, flags)
}

/// `build_guest(name, flags)`, or return from the test with a skip line when the cross
/// compiler is missing.
#[macro_export]
macro_rules! guest {
    ($name:expr $(, $flag:expr)* $(,)?) => {
        match $crate::build_guest($name, &[$($flag),*]) {
            Some(g) => g,
            None => {
                // Under CI (`CI` set and not empty) the test must run, not be skipped.
                assert!(
                    std::env::var_os("CI").is_none_or(|v| v.is_empty()),
                    "riscv64-unknown-elf-gcc (Debian package gcc-riscv64-unknown-elf) is \
                     missing and CI is set"
                );
                eprintln!("skipped: no RISC-V cross compiler (riscv64-unknown-elf-gcc)");
                return;
            }
        }
    };
}

/// What one run of the emulator produced.
#[derive(Debug)]
pub struct Output {
    /// The exit status (`None` if a signal ended the process).
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
}

impl Output {
    pub fn stderr_lines(&self) -> Vec<&str> {
        self.stderr.lines().collect()
    }

    /// The `rvmmu: <prefix>...` line of `--stats` output.
    pub fn stat(&self, prefix: &str) -> &str {
        let want = format!("rvmmu: {prefix}");
        self.stderr
            .lines()
            .find(|l| l.starts_with(&want))
            .unwrap_or_else(|| panic!("no '{want}' line in stderr:\n{}", self.stderr))
    }
}

/// Runs `rvmmu` with `args`. `stdin`: `None` gives it a closed (null) standard input,
/// `Some(bytes)` a pipe that delivers the bytes and then closes. Panics after [`TIMEOUT`].
pub fn run(args: &[&str], stdin: Option<&[u8]>) -> Output {
    let mut cmd = Command::new(RVMMU);
    cmd.args(args);
    let done = process::run_with_timeout(cmd, stdin.map(<[u8]>::to_vec), TIMEOUT)
        .unwrap_or_else(|e| panic!("cannot start rvmmu {args:?}: {e}"));
    let Some(status) = done.status else {
        panic!("rvmmu {args:?} still running after {TIMEOUT:?}: hung");
    };
    let output = Output {
        code: status.code(),
        stdout: String::from_utf8_lossy(&done.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&done.stderr).into_owned(),
    };
    assert!(
        !output.stderr.contains("panicked") && !output.stdout.contains("panicked"),
        "rvmmu {args:?} panicked:\n{}",
        output.stderr
    );
    output
}

/// `bare` followed by `args`: the common case.
pub fn bare(args: &[&str]) -> Output {
    let mut all = vec!["bare"];
    all.extend_from_slice(args);
    run(&all, None)
}
