//! The calls every real program makes, answered as Linux does (`programs/tests/identity.c`:
//! ids, umask, faccessat, uname, sysinfo, socket), the rate limit on the kernel's warnings
//! about unimplemented calls, and real programs from elsewhere run on the kernel and
//! compared with qemu-riscv64.

use rvmmu::machine::Exit;
use rvmmu_tests::kernel::{boot_rvmmu, program_output, Boot};
use rvmmu_tests::linux::{find_qemu_user, run_user_env};
use rvmmu_tests::linux_program;
use std::time::Duration;

/// The qemu-riscv64 reference, or None (with a note) when it is missing; missing under CI
/// is a failure, never a skip.
fn reference() -> Option<std::path::PathBuf> {
    let q = find_qemu_user();
    if q.is_none() {
        assert!(
            std::env::var_os("CI").is_none(),
            "qemu-riscv64 is missing: CI must compare with Linux"
        );
        eprintln!("skip: qemu-riscv64 not on PATH; no comparison with Linux");
    }
    q
}

/// Boots `name` (a built program, "dir/name") as /bin/NAME with `files` beside it.
fn on_rvmmu(name: &str, bootargs: &str, files: Vec<rvmmu::initramfs::File>) -> (Exit, String) {
    let base = name.rsplit('/').next().unwrap();
    let init = format!("/bin/{base}");
    let mut all = vec![rvmmu::initramfs::File {
        path: init.clone(),
        data: std::fs::read(linux_program(name).expect("built")).unwrap(),
        mode: 0o755,
    }];
    all.extend(files);
    let b = Boot {
        initrd: Some(rvmmu::initramfs::pack(&all).expect("an initramfs")),
        ..Boot::new(128 << 20, &format!("init={init} quiet {bootargs}"))
    };
    boot_rvmmu(&b)
}

#[test]
fn the_start_up_calls_answer_as_linux_does() {
    let name = "tests/identity";
    let qemu = reference();
    for paging in ["paging=sv39", "paging=sv48"] {
        let (exit, console) = on_rvmmu(name, paging, vec![]);
        assert_eq!(exit, Exit::Pass, "{paging}\n{console}");
        assert!(!console.contains("not ok"), "{console}");
        // Every call it makes is implemented now.
        assert!(!console.contains("not implemented"), "{console}");
        if let Some(q) = &qemu {
            let path = linux_program(name).unwrap();
            let env = [("RVMMU_ON_QEMU_USER", "1")];
            let r = run_user_env(q, path, &[], b"", &env, Duration::from_secs(60)).unwrap();
            assert_eq!(r.code, Some(0), "{r:#?}");
            let linux: String = r
                .stdout
                .lines()
                .map(|l| format!("{}\n", l.split(" # SKIP on qemu-user").next().unwrap()))
                .collect();
            assert_eq!(
                program_output(&console),
                linux,
                "rvmmu (left), qemu-riscv64"
            );
        }
    }
}

#[test]
fn warnings_about_an_unimplemented_call_are_rate_limited() {
    let (exit, console) = on_rvmmu("kernel/enosys_flood", "", vec![]);
    assert_eq!(exit, Exit::Pass, "{console}");
    assert_eq!(program_output(&console), "PASS\n", "{console}");
    let warned: Vec<&str> = console
        .lines()
        .filter(|l| l.contains("syscall 500"))
        .collect();
    // 3695 calls in the first window: 10 lines; after 6 s, the 3685 others are reported
    // and the next call is printed.
    assert_eq!(warned.len(), 12, "{console}");
    assert!(warned[..10]
        .iter()
        .all(|l| l.ends_with("enosys_flood: syscall 500 not implemented: -ENOSYS")));
    assert!(
        warned[10].ends_with("syscall 500: 3685 callbacks suppressed"),
        "{console}"
    );
    assert!(warned[11].ends_with("syscall 500 not implemented: -ENOSYS"));
}
