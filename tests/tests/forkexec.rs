//! `programs/stress/forkexec.c` (fork, execve of itself in its child role, a pipe, wait; each
//! child's output and exit status checked) built against glibc, musl and musl as a
//! static-pie, run on the kernel on rvmmu and under qemu-riscv64 (Linux's answer; its
//! children run as `qemu-riscv64 forkexec --child I`, forkexec's RUNNER argument, since the
//! host need not have binfmt_misc for riscv64): every run must end with status 0 and print
//! the same summary line, checksum included. `scripts/real-bench.py` and `rvmmu bench`'s
//! kernel-fork run it longer, for speed.

use rvmmu::machine::Exit;
use rvmmu_tests::kernel::{boot_rvmmu, initramfs_with_init, program_output, Boot};
use rvmmu_tests::linux::{find_qemu_user, run_user};
use rvmmu_tests::linux_program;
use std::time::Duration;

/// Iterations: enough for several children to reuse frames and ASIDs of earlier ones.
const N: &str = "12";
const VARIANTS: [&str; 3] = [
    "stress/forkexec",
    "stress/forkexec.musl",
    "stress/forkexec.musl-pie",
];

#[test]
fn every_c_library_forks_and_execs_as_on_linux() {
    let qemu = find_qemu_user();
    let mut lines = Vec::new();
    for name in VARIANTS {
        let path = linux_program(name).unwrap_or_else(|| panic!("{name} was not built"));
        let b = Boot {
            initrd: Some(initramfs_with_init(&std::fs::read(path).unwrap())),
            ..Boot::new(128 << 20, &format!("-- {N}"))
        };
        let (exit, console) = boot_rvmmu(&b);
        assert_eq!(exit, Exit::Pass, "{name} on rvmmu:\n{console}");
        let ours = program_output(&console);
        assert!(
            ours.starts_with(&format!("forkexec: {N} children, 0 bad, checksum ")),
            "{name}: {console}"
        );
        assert!(!console.contains("not implemented"), "{name}: {console}");
        if let Some(q) = &qemu {
            // execv does not search PATH: the runner's full path.
            let runner = std::fs::canonicalize(q).unwrap();
            let runner = runner.to_str().unwrap();
            let r = run_user(q, path, &[N, runner], b"", Duration::from_secs(120)).unwrap();
            assert_eq!(r.code, Some(0), "{name} under qemu-riscv64: {r:#?}");
            assert_eq!(
                ours, r.stdout,
                "{name}: rvmmu (left) and qemu-riscv64 (right)"
            );
        }
        lines.push(ours);
    }
    // The children compute the same sums whatever the C library.
    assert!(lines.windows(2).all(|w| w[0] == w[1]), "{lines:#?}");
}
