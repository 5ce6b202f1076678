//! The guest Linux programs as `qemu-riscv64` (user mode) runs them: the reference the kernel's
//! runs are compared with (issue 4). Here: that `programs/` builds into static riscv64
//! executables that run as the notes say, with stdin supplied where they wait in getchar().
//! Skipped, with a line saying so, where qemu-riscv64 is missing; failed under CI.

use rvmmu_tests::linux::{normalize, run_user};
use rvmmu_tests::linux_program;
use rvmmu_tests::require_qemu_user;
use std::time::Duration;

const TIMEOUT: Duration = Duration::from_secs(60);

#[test]
fn the_notes_programs_run_as_the_notes_describe_under_qemu_user() {
    let Some(qemu) = require_qemu_user("the programs under qemu-riscv64") else {
        return;
    };
    // malloc_1: malloc(1) then free; waits twice in getchar().
    let prog = linux_program("notes/malloc_1").expect("built");
    let r = run_user(&qemu, prog, &[], b"\n\n", TIMEOUT).unwrap();
    assert_eq!(r.code, Some(0), "{r:#?}");
    let lines: Vec<String> = r.stdout.lines().map(normalize).collect();
    assert_eq!(lines.len(), 3, "{r:#?}");
    assert!(lines[0].ends_with("：<addr>"), "{r:#?}");
    assert!(lines[1].contains("/proc/<pid>/maps"), "{r:#?}");

    // alloc_4x1g: four 1 GiB mallocs, untouched, then getchar().
    let prog = linux_program("notes/alloc_4x1g").expect("built");
    let r = run_user(&qemu, prog, &[], b"\n", TIMEOUT).unwrap();
    assert_eq!(r.code, Some(0), "{r:#?}");
    let lines: Vec<String> = r.stdout.lines().map(normalize).collect();
    assert_eq!(lines.len(), 4, "{r:#?}");
    assert!(lines.iter().all(|l| l.ends_with("：<addr>")), "{r:#?}");
}

#[test]
fn every_program_is_a_static_riscv64_executable() {
    for (name, path) in rvmmu_tests::LINUX_PROGRAMS {
        let bytes = std::fs::read(path).unwrap();
        // ELF64, little-endian, EM_RISCV (243), and no PT_INTERP (static).
        assert_eq!(&bytes[..4], b"\x7fELF", "{name}");
        assert_eq!((bytes[4], bytes[5]), (2, 1), "{name}");
        assert_eq!(u16::from_le_bytes([bytes[18], bytes[19]]), 243, "{name}");
        let phoff = u64::from_le_bytes(bytes[32..40].try_into().unwrap()) as usize;
        let phnum = u16::from_le_bytes([bytes[56], bytes[57]]) as usize;
        for i in 0..phnum {
            let ty = u32::from_le_bytes(bytes[phoff + i * 56..][..4].try_into().unwrap());
            assert_ne!(ty, 3, "{name} has a PT_INTERP");
        }
    }
    assert!(rvmmu_tests::LINUX_PROGRAMS.len() >= 5);
}

#[test]
fn the_projects_own_programs_pass_under_qemu_user() {
    let Some(qemu) = require_qemu_user("the programs under qemu-riscv64") else {
        return;
    };
    let ours: Vec<_> = rvmmu_tests::LINUX_PROGRAMS
        .iter()
        .filter(|(n, _)| n.starts_with("tests/") || n.starts_with("musl/"))
        .collect();
    assert!(ours.len() >= 4);
    for (name, path) in ours {
        // musl_basics checks that it got exactly these arguments.
        let args: &[&str] = if name.starts_with("musl/") {
            &["one", "two words"]
        } else {
            &[]
        };
        let r = rvmmu_tests::linux::run_user_env(
            &qemu,
            path,
            args,
            b"",
            &[("RVMMU_ON_QEMU_USER", "1")],
            TIMEOUT,
        )
        .unwrap();
        assert_eq!(r.code, Some(0), "{name}: {r:#?}");
        assert!(!r.stdout.contains("not ok"), "{name}: {}", r.stdout);
        let plan = r.stdout.lines().last().unwrap_or_default();
        let n: usize = plan
            .strip_prefix("1..")
            .and_then(|n| n.parse().ok())
            .unwrap_or(0);
        assert!(n > 0, "{name}: no plan line in {}", r.stdout);
        assert_eq!(
            r.stdout.lines().filter(|l| l.starts_with("ok ")).count(),
            n,
            "{name}"
        );
    }
}
