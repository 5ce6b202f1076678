//! Signal handlers on the kernel: the TAP programs `tests/signals` (handlers, siginfo,
//! masks, sigaltstack, EINTR and SA_RESTART, sigsuspend, pause, SIGCHLD, stop and
//! continue, /proc's signal fields), `tests/sigsegv_vm` (SIGSEGV handlers doing user-level
//! virtual memory) and `musl/musl_signals` (musl's pause, which is ppoll, and sigsuspend)
//! run as init on rvmmu (both paging modes, both A/D schemes) and on QEMU virt, and must
//! print what they print under Linux's ABI (qemu-riscv64, user mode), line for line (a
//! check QEMU's user mode gets wrong says `# SKIP on qemu-user: why` there; that suffix
//! is dropped before the comparison). Without qemu-riscv64 the comparison is skipped,
//! unless `CI` is set: then it fails.

use rvmmu::machine::{Exit, MachineConfig};
use rvmmu_tests::kernel::{boot_qemu, Boot};
use rvmmu_tests::linux::tap_on_qemu_user;

const PROGRAMS: [&str; 3] = ["tests/signals", "tests/sigsegv_vm", "musl/musl_signals"];
const MEM: u64 = 128 << 20;

fn program_path(name: &str) -> &'static str {
    rvmmu_tests::linux_program(name).unwrap_or_else(|| panic!("no program {name} was built"))
}

fn initrd(name: &str) -> (Vec<u8>, String) {
    let base = name.rsplit('/').next().unwrap();
    let init = format!("/bin/{base}");
    let files = vec![rvmmu::initramfs::File {
        path: init.clone(),
        data: std::fs::read(program_path(name)).expect("read the program"),
        mode: 0o755,
    }];
    (rvmmu::initramfs::pack(&files).expect("an initramfs"), init)
}

/// `name` as init on rvmmu (`paging` may end with ` ad=fault`): how it ended, the console.
fn on_rvmmu(name: &str, paging: &str) -> (Exit, String) {
    let (initrd, init) = initrd(name);
    let (paging, ad) = match paging.strip_suffix(" ad=fault") {
        Some(p) => (p, rvmmu::mmu::walk::AdMode::Fault),
        None => (paging, rvmmu::mmu::walk::AdMode::Hardware),
    };
    let cfg = MachineConfig {
        mem_size: MEM,
        ad,
        bootargs: format!("paging={paging} init={init} quiet"),
        initrd: Some(initrd),
        max_insns: Some(2_000_000_000),
        ..MachineConfig::capture(Vec::new())
    };
    let kernel = rvmmu::kernel::embedded().expect("rvmmu was built with its kernel");
    rvmmu_tests::kernel::run_kernel(cfg, kernel)
}

#[test]
fn signal_programs_pass_and_print_what_linux_prints() {
    for name in PROGRAMS {
        let linux = tap_on_qemu_user(name, &[]);
        for mode in ["sv48", "sv39 ad=fault"] {
            let (exit, console) = on_rvmmu(name, mode);
            assert_eq!(exit, Exit::Pass, "{name} {mode}\n{console}");
            assert!(!console.contains("not ok"), "{name} {mode}\n{console}");
            assert!(console.starts_with("ok 1 "), "{name} {mode}\n{console}");
            let plan = console.lines().last().unwrap_or_default();
            assert!(plan.starts_with("1.."), "{name} {mode}: no plan\n{console}");
            if let Some(linux) = &linux {
                assert_eq!(&console, linux, "{name} {mode}: rvmmu (left), qemu-riscv64");
            }
        }
    }
}

/// The same kernel on QEMU virt (real-time timer, another interleaving): the same output.
#[test]
fn signal_programs_print_the_same_on_qemu_virt() {
    for name in PROGRAMS {
        let (exit, console) = on_rvmmu(name, "sv39");
        assert_eq!(exit, Exit::Pass, "{name}\n{console}");
        let (initrd, init) = initrd(name);
        let b = Boot {
            initrd: Some(initrd),
            ..Boot::new(MEM, &format!("paging=sv39 init={init} quiet"))
        };
        if let Some((code, on_qemu)) = boot_qemu(&b) {
            assert_eq!(code, Some(0), "{name} on QEMU\n{on_qemu}");
            assert_eq!(
                console, on_qemu,
                "{name}: rvmmu (left) and QEMU virt (right)"
            );
        }
    }
}
