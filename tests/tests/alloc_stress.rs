//! `programs/stress/alloc_stress.c` (random malloc, calloc, realloc growing and shrinking,
//! free; every block's bytes checked) built against glibc, musl and musl as a static-pie, run
//! on the kernel on rvmmu and under qemu-riscv64 (Linux's answer): every run must end with
//! status 0 and print the same summary line, checksum included. Before the kernel's brk
//! followed a heap split by musl's MAP_FIXED guard page (`Vmas::move_break`), the musl
//! build died here with SIGSEGV a few pages above its initial break.

use rvmmu::machine::Exit;
use rvmmu_tests::kernel::{boot_rvmmu, initramfs_with_init, program_output, Boot};
use rvmmu_tests::linux::{find_qemu_user, run_user};
use rvmmu_tests::linux_program;
use std::time::Duration;

/// Rounds, seed and largest block: about 50 M guest instructions, enough for musl's
/// allocator to grow its brk-based metadata area several times (the old crash needed ~200
/// rounds at these sizes). `scripts/alloc-stress.sh` runs the long version.
const ARGS: [&str; 3] = ["400", "1", "65536"];
const VARIANTS: [&str; 3] = [
    "stress/alloc_stress",
    "stress/alloc_stress.musl",
    "stress/alloc_stress.musl-pie",
];

fn on_rvmmu(name: &str) -> (Exit, String) {
    let path = linux_program(name).unwrap_or_else(|| panic!("{name} was not built"));
    let b = Boot {
        initrd: Some(initramfs_with_init(&std::fs::read(path).unwrap())),
        ..Boot::new(256 << 20, &format!("-- {}", ARGS.join(" ")))
    };
    boot_rvmmu(&b)
}

#[test]
fn every_c_library_survives_the_allocator_stress_as_on_linux() {
    let qemu = find_qemu_user();
    if qemu.is_none() {
        assert!(
            std::env::var_os("CI").is_none(),
            "qemu-riscv64 is missing: CI must compare with Linux"
        );
        eprintln!("skip: qemu-riscv64 not on PATH; the runs are compared with each other only");
    }
    let mut lines = Vec::new();
    for name in VARIANTS {
        let (exit, console) = on_rvmmu(name);
        assert_eq!(exit, Exit::Pass, "{name} on rvmmu:\n{console}");
        let ours = program_output(&console);
        assert!(
            ours.starts_with("alloc_stress: 400 rounds") && ours.contains(", 0 bad"),
            "{name}: {console}"
        );
        assert!(!console.contains("not implemented"), "{name}: {console}");
        if let Some(q) = &qemu {
            let path = linux_program(name).unwrap();
            let r = run_user(q, path, &ARGS, b"", Duration::from_secs(120)).unwrap();
            assert_eq!(r.code, Some(0), "{name} under qemu-riscv64: {r:#?}");
            assert_eq!(
                ours, r.stdout,
                "{name}: rvmmu (left) and qemu-riscv64 (right)"
            );
        }
        lines.push(ours);
    }
    // One generator, one sequence of requests: the C library does not change the output.
    assert!(lines.windows(2).all(|w| w[0] == w[1]), "{lines:#?}");
}
