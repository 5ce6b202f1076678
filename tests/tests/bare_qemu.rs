//! Runs every bare-metal test program on QEMU (`qemu-system-riscv64 -machine
//! virt`), which proves the tests themselves right. Cases where QEMU 7.2 is
//! known to differ from the spec are skipped by the programs themselves
//! (they print `SKIP case <n> on QEMU: <reason>`). Without QEMU on PATH every test
//! prints a skip line and passes, except under CI (`CI` set): then it fails.

use rvmmu_tests::{bare_test_path, console_verdict, qemu, qemu_skips, Verdict};
use std::time::Duration;

const TIMEOUT: Duration = Duration::from_secs(20);

fn run_on_qemu(name: &str) {
    let Some(qemu) = rvmmu_tests::require_qemu_system(&format!("bare test {name} on QEMU")) else {
        return;
    };
    let elf = bare_test_path(name).expect("bare test was built");
    let run = qemu::run(&qemu, elf, TIMEOUT).expect("spawn qemu-system-riscv64");
    for skip in qemu_skips(&run.console) {
        eprintln!("{name}: {skip}");
    }
    let verdict = console_verdict(name, &run.console);
    let exit_ok = run.status.is_some_and(|s| s.success());
    match (verdict, exit_ok) {
        (Verdict::Pass, true) => {}
        (Verdict::Fail(case), _) => {
            panic!("bare test {name} failed case {case} on QEMU\n--- console ---\n{}", run.console)
        }
        (v, _) => panic!(
            "bare test {name} did not pass on QEMU (verdict {v:?}, exit {:?}{})\n--- console ---\n{}",
            run.status,
            if run.status.is_none() { ", timed out" } else { "" },
            run.console
        ),
    }
}

macro_rules! qemu_test {
    ($name:ident) => {
        #[test]
        fn $name() {
            run_on_qemu(stringify!($name));
        }
    };
}

rvmmu_tests::for_each_bare_test!(qemu_test);
rvmmu_tests::for_each_mmu_test!(qemu_test);
