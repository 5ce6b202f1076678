//! The project's TAP tests (every `programs/tests/*.c`) on a real Linux kernel: the host's.
//! qemu-riscv64 answers what a program prints only where its user mode does what Linux
//! does; where it cannot (the checks it skips: "# SKIP on qemu-user"), this is the
//! reference. Each program is built with the host's `cc` (x86-64 or whatever the host is)
//! into a scratch directory, run there on the host's Linux, and must pass every check;
//! then its output must equal, line for line, what the riscv64 build prints on the rvmmu
//! kernel (`init=/bin/NAME quiet`, Sv48).
//!
//! The host runs with `RVMMU_ON_HOST_LINUX=1`, which skips (`CHECK_NOT_ON_HOST` and
//! `CHECK_NOT_ON_QEMU_OR_HOST` in programs/tests/check.h, each with its reason printed)
//! only what legitimately differs on a shared host: this program is not init, the
//! initramfs's /bin and /etc are not there, no 64-process limit, system-wide meminfo and
//! vmstat counters move with other processes, the host may swap. Those lines are compared
//! without their "# SKIP" remark: the same numbered "ok" lines on both.
//!
//! Without `cc` the test is skipped, unless `CI` is set: then it fails.

use rvmmu::machine::{Exit, MachineConfig};
use rvmmu_tests::process::run_with_timeout;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

/// What a program adds to a TAP line for a check skipped on the host.
const HOST_SKIP: &str = " # SKIP on host Linux: ";

/// The C sources of the TAP tests, sorted.
fn sources() -> Vec<PathBuf> {
    let dir = rvmmu_tests::kernel::repo_root()
        .join("programs")
        .join("tests");
    let mut v: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("read {}: {e}", dir.display()))
        .map(|e| e.expect("a directory entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "c"))
        .collect();
    v.sort();
    v
}

/// Builds `src` with the host's compiler, as build.rs builds the riscv64 programs (-O2
/// -Wall -Werror), dynamically linked (the host's glibc).
fn build_native(cc: &Path, src: &Path, exe: &Path) {
    let mut cmd = Command::new(cc);
    cmd.args(["-O2", "-g", "-Wall", "-Werror", "-o"])
        .arg(exe)
        .arg(src);
    let out = run_with_timeout(cmd, None, Duration::from_secs(120)).expect("run cc");
    assert!(
        out.status.is_some_and(|s| s.success()),
        "building {} for the host failed:\n{}",
        src.display(),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Runs `exe` on the host in `dir` with init's environment and RVMMU_ON_HOST_LINUX=1:
/// its exit code and output.
fn run_native(exe: &Path, dir: &Path) -> (Option<i32>, String) {
    let mut cmd = Command::new(exe);
    cmd.env_clear()
        .envs([
            ("HOME", "/"),
            ("TERM", "linux"),
            ("RVMMU_ON_HOST_LINUX", "1"),
        ])
        .current_dir(dir);
    let out = run_with_timeout(cmd, None, Duration::from_secs(120)).expect("run the program");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.stderr.is_empty(),
        "{}: {}",
        exe.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.and_then(|s| s.code()), stdout)
}

/// The files the process tests expect besides themselves (as the other harnesses give
/// them): another program to execve, an executable that is not ELF, a file without
/// execute permission.
fn extra_files() -> Vec<rvmmu::initramfs::File> {
    let exit_code = rvmmu_tests::linux_program("kernel/exit_code").expect("exit_code was built");
    vec![
        rvmmu::initramfs::File {
            path: "/bin/exit_code".into(),
            data: std::fs::read(exit_code).expect("read exit_code"),
            mode: 0o755,
        },
        rvmmu::initramfs::File {
            path: "/bin/not_elf".into(),
            data: b"just text\n".to_vec(),
            mode: 0o755,
        },
        rvmmu::initramfs::File {
            path: "/etc/data".into(),
            data: b"data\n".to_vec(),
            mode: 0o644,
        },
    ]
}

/// Runs the riscv64 build of `tests/NAME` on the rvmmu kernel as `rvmmu run` does
/// (128 MiB, Sv48, `init=/bin/NAME quiet`): how it ended and the console.
fn on_rvmmu(name: &str) -> (Exit, String) {
    let elf = rvmmu_tests::linux_program(&format!("tests/{name}"))
        .unwrap_or_else(|| panic!("tests/{name} was not built for riscv64"));
    let init = format!("/bin/{name}");
    let mut files = vec![rvmmu::initramfs::File {
        path: init.clone(),
        data: std::fs::read(elf).expect("read the program"),
        mode: 0o755,
    }];
    files.extend(extra_files());
    let cfg = MachineConfig {
        mem_size: 128 << 20,
        bootargs: format!("paging=sv48 init={init} quiet"),
        initrd: Some(rvmmu::initramfs::pack(&files).expect("an initramfs")),
        max_insns: Some(4_000_000_000),
        ..MachineConfig::capture(Vec::new())
    };
    rvmmu_tests::kernel::run_kernel(
        cfg,
        rvmmu::kernel::embedded().expect("rvmmu was built with its kernel"),
    )
}

/// Checks a TAP output: a plan line last, as many "ok" lines as it says, no "not ok".
fn assert_all_pass(what: &str, out: &str) {
    assert!(!out.contains("not ok"), "{what}:\n{out}");
    let plan: usize = out
        .lines()
        .last()
        .and_then(|l| l.strip_prefix("1.."))
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("{what}: no plan line last\n{out}"));
    let oks = out.lines().filter(|l| l.starts_with("ok ")).count();
    assert!(plan > 0 && oks == plan, "{what}: {oks} ok of {plan}\n{out}");
}

/// `out` without the host's skip remarks, and the skipped lines (for the log).
fn strip_host_skips(out: &str) -> (String, Vec<&str>) {
    let mut skipped = Vec::new();
    let text = out
        .lines()
        .map(|l| match l.split_once(HOST_SKIP) {
            Some((check, _)) => {
                skipped.push(l);
                format!("{check}\n")
            }
            None => format!("{l}\n"),
        })
        .collect();
    (text, skipped)
}

#[test]
fn every_tap_test_passes_on_the_host_linux_and_prints_what_rvmmu_prints() {
    let Some(cc) = rvmmu_tests::require_host_cc("the TAP tests on the host's Linux") else {
        return;
    };
    let sources = sources();
    assert!(sources.len() >= 8, "programs/tests/*.c: {sources:?}");
    let scratch = tempfile::tempdir().expect("a scratch directory");
    for src in &sources {
        let name = src.file_stem().unwrap().to_str().unwrap().to_string();
        let exe = scratch.path().join(&name);
        build_native(&cc, src, &exe);
        let dir = scratch.path().join(format!("{name}.d"));
        std::fs::create_dir(&dir).unwrap();
        let (code, host) = run_native(&exe, &dir);
        assert_eq!(code, Some(0), "tests/{name} on the host's Linux\n{host}");
        assert_all_pass(&format!("tests/{name} on the host's Linux"), &host);
        let (host, skipped) = strip_host_skips(&host);
        for line in skipped {
            eprintln!("tests/{name}: {line}");
        }
        let (exit, console) = on_rvmmu(&name);
        assert_eq!(exit, Exit::Pass, "tests/{name} on rvmmu\n{console}");
        assert_all_pass(&format!("tests/{name} on rvmmu"), &console);
        assert_eq!(
            console, host,
            "tests/{name}: rvmmu (left) and the host's Linux (right) print otherwise"
        );
    }
}

#[test]
fn host_skip_remarks_are_stripped_and_listed() {
    let (text, skipped) = strip_host_skips("ok 1 - a\nok 2 - b # SKIP on host Linux: why\n1..2\n");
    assert_eq!(text, "ok 1 - a\nok 2 - b\n1..2\n");
    assert_eq!(skipped, ["ok 2 - b # SKIP on host Linux: why"]);
    assert_all_pass("x", "ok 1 - a\nok 2 - b\n1..2\n");
    let r = std::panic::catch_unwind(|| assert_all_pass("x", "ok 1 - a\nnot ok 2 - b\n1..2\n"));
    assert!(r.is_err());
    let r = std::panic::catch_unwind(|| assert_all_pass("x", "ok 1 - a\n1..2\n"));
    assert!(r.is_err());
}
