//! The first user processes: static glibc programs from programs/, packed as /init in an
//! initramfs, run by the kernel on rvmmu (Sv39 and Sv48, both A/D schemes) and on QEMU
//! virt. Their output must match Linux's (qemu-riscv64, user mode, run with the same
//! arguments and environment), both machines must print the same console, and the exit
//! status (or 128 + the signal) must reach the finisher.

use rvmmu::machine::Exit;
use rvmmu::mmu::walk::AdMode;
use rvmmu_tests::kernel::{
    boot_qemu, boot_rvmmu, initramfs_with_init, program, program_output, Boot,
};
use std::process::Command;
use std::time::Duration;

const MEM: u64 = 64 << 20;

/// The program's exit status (128 + signal when killed, as a shell reports it) and output
/// under Linux (qemu-riscv64, which passes a guest's fatal signal on to itself) with init's
/// environment; `None` when qemu-riscv64 is not installed.
fn on_linux(name: &str, args: &[&str]) -> Option<(i32, String)> {
    on_linux_in(name, args, &[])
}

/// [`on_linux`] in a fresh working directory holding `files` (name, contents).
fn on_linux_in(name: &str, args: &[&str], files: &[(&str, &[u8])]) -> Option<(i32, String)> {
    use std::os::unix::process::ExitStatusExt;
    let qemu = rvmmu_tests::require_qemu_user(&format!("the Linux reference for {name}"))?;
    let dir = std::env::temp_dir().join(format!("rvmmu-user-{}-{name}.d", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    for (file, data) in files {
        std::fs::write(dir.join(file), data).unwrap();
    }
    let path = std::env::temp_dir().join(format!("rvmmu-user-{}-{name}", std::process::id()));
    std::fs::write(&path, program(name)).unwrap();
    let exec = std::os::unix::fs::PermissionsExt::from_mode(0o755);
    std::fs::set_permissions(&path, exec).unwrap();
    let mut cmd = Command::new(qemu);
    cmd.env_clear()
        .envs([("HOME", "/"), ("TERM", "linux")])
        .current_dir(&dir)
        .arg(&path)
        .args(args);
    let out = rvmmu_tests::process::run_with_timeout(cmd, None, Duration::from_secs(60))
        .expect("run qemu-riscv64");
    let _ = std::fs::remove_file(&path);
    let _ = std::fs::remove_dir_all(&dir);
    assert!(
        out.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let status = out
        .status
        .unwrap_or_else(|| panic!("qemu-riscv64 {name}: timed out after 60 s"));
    let status = match (status.code(), status.signal()) {
        (Some(c), _) => c,
        (None, Some(sig)) => 128 + sig,
        (None, None) => panic!("qemu-riscv64 ended without a status"),
    };
    Some((status, String::from_utf8_lossy(&out.stdout).into_owned()))
}

fn boot_with(name: &str, bootargs: &str, ad: AdMode) -> Boot {
    Boot {
        ad,
        initrd: Some(initramfs_with_init(&program(name))),
        ..Boot::new(MEM, bootargs)
    }
}

/// Runs `name` on rvmmu in every mode and A/D scheme and on QEMU; checks the exit and that
/// all consoles agree; returns the console.
fn run_everywhere(name: &str, init_args: &str, want: &Exit) -> String {
    let mut first: Option<String> = None;
    for mode in ["sv39", "sv48"] {
        for ad in [AdMode::Hardware, AdMode::Fault] {
            let b = boot_with(name, &format!("paging={mode} -- {init_args}"), ad);
            let (exit, console) = boot_rvmmu(&b);
            assert_eq!(&exit, want, "{name} {mode} {ad:?}\n{console}");
            assert!(console.contains(&format!("paging: {mode}, ")), "{console}");
            let output = program_output(&console);
            match &first {
                None => first = Some(output),
                Some(f) => assert_eq!(f, &output, "{name}: {mode} {ad:?} printed otherwise"),
            }
            if mode == "sv48" && ad == AdMode::Hardware {
                if let Some((code, on_qemu)) = boot_qemu(&b) {
                    let want_code = match want {
                        Exit::Pass => 0,
                        // QEMU exits with the finisher's code; the process status keeps
                        // its low 8 bits (0x100 | signal arrives as the signal).
                        Exit::Fail(c) => (*c & 0xff) as i32,
                        other => panic!("{other:?}"),
                    };
                    assert_eq!(code, Some(want_code), "QEMU\n{on_qemu}");
                    assert_eq!(console, on_qemu, "{name}: rvmmu (left) and QEMU (right)");
                }
            }
        }
    }
    let b = boot_with(name, &format!("-- {init_args}"), AdMode::Hardware);
    boot_rvmmu(&b).1
}

#[test]
fn hello_runs_as_init_and_prints_what_linux_prints() {
    let console = run_everywhere("hello", "one two", &Exit::Pass);
    let output = program_output(&console);
    assert!(output.ends_with("PASS\n"), "{console}");
    if let Some((code, linux)) = on_linux("hello", &["one", "two"]) {
        assert_eq!(code, 0);
        // argv[0] is "/init" here and the host path under qemu-riscv64; the program prints
        // only its base name, which differs ("init" vs the file name).
        let ours = output.replacen("hello from init,", "hello from PROGRAM,", 1);
        let theirs = linux.replacen(
            &format!("hello from rvmmu-user-{}-hello,", std::process::id()),
            "hello from PROGRAM,",
            1,
        );
        assert_eq!(ours, theirs);
    }
    // glibc's start-up makes no call the kernel lacks now (readlinkat of /proc/self/exe
    // was the last).
    assert!(
        !console.contains("not implemented"),
        "readlinkat\n{console}"
    );
    assert!(
        !console.contains("syscall 261 "),
        "prlimit64 is implemented"
    );
    assert!(
        !console.contains("syscall 96 "),
        "set_tid_address is implemented"
    );
    assert!(console.contains("init: exited with status 0"), "{console}");
}

#[test]
fn misbehaving_programs_get_the_signal_linux_sends() {
    // (argument, signal, the fault the kernel logs); the finisher gets 0x100 | signal.
    let cases = [
        ("null", 11, "SIGSEGV (store/AMO page fault at VA:0x0, pc "),
        (
            "kernel",
            11,
            "SIGSEGV (load page fault at VA:0xffffffc080000000, pc ",
        ),
        ("text", 11, "SIGSEGV (store/AMO page fault at VA:0x"),
        ("stack-exec", 11, "SIGSEGV (instruction page fault at VA:0x"),
        ("csr", 4, "SIGILL (illegal instruction at "),
    ];
    for (what, signal, fault) in cases {
        let console = run_everywhere("segv", what, &Exit::Fail(0x100 | signal));
        assert_eq!(
            program_output(&console),
            format!("misbehaving: {what}\n"),
            "{console}"
        );
        assert!(
            console.contains(&format!("init: killed by {fault}")),
            "{what}: {console}"
        );
        assert!(!console.contains("init: exited with status"), "{console}");
        if let Some((code, linux)) = on_linux("segv", &[what]) {
            assert_eq!(code, 128 + signal as i32, "{what}: Linux's status");
            assert_eq!(linux, program_output(&console));
        }
    }
}

#[test]
fn syscall_errors_match_linux() {
    let console = run_everywhere("syscalls", "", &Exit::Pass);
    let output = program_output(&console);
    assert!(output.ends_with("PASS\n"), "{console}");
    assert!(
        console.contains("init: syscall 1234 not implemented: -ENOSYS"),
        "{console}"
    );
    if let Some((code, linux)) = on_linux("syscalls", &[]) {
        assert_eq!(code, 0);
        assert_eq!(output, linux);
    }
}

#[test]
fn anonymous_mmap_and_munmap_match_linux() {
    let console = run_everywhere("mmap", "noreplace", &Exit::Pass);
    let output = program_output(&console);
    assert!(output.ends_with("PASS\n"), "{console}");
    let noreplace = "MAP_FIXED_NOREPLACE over a mapping fails: ok\n";
    assert!(output.contains(noreplace), "{output}");
    if let Some((code, linux)) = on_linux("mmap", &[]) {
        assert_eq!(code, 0);
        assert_eq!(output.replacen(noreplace, "", 1), linux);
    }
}

#[test]
fn a_bad_init_is_refused_not_a_panic() {
    let hello = program("hello");
    let mut kernel_half = hello.clone();
    // The first PT_LOAD's p_vaddr moved into the kernel half.
    let phoff = u64::from_le_bytes(hello[0x20..0x28].try_into().unwrap()) as usize;
    let load = (0..)
        .map(|i| phoff + i * 56)
        .find(|&ph| hello[ph..ph + 4] == [1, 0, 0, 0])
        .unwrap();
    kernel_half[load + 16..load + 24].copy_from_slice(&0xffff_ffc0_8000_0000u64.to_le_bytes());
    let cases: [(&str, Vec<u8>, &str); 4] = [
        (
            "a script",
            b"#!/bin/sh\necho hi\n".to_vec(),
            "bad executable: NotElf",
        ),
        (
            "a truncated ELF",
            hello[..4096].to_vec(),
            "bad executable: Malformed(\"PT_LOAD outside the file\")",
        ),
        (
            "a segment in the kernel half",
            kernel_half,
            "bad address 0xffffffc080000000",
        ),
        ("an empty file", Vec::new(), "bad executable: NotElf"),
    ];
    for (what, init, why) in cases {
        let b = Boot {
            initrd: Some(rvmmu_tests::kernel::initramfs_with_init(&init)),
            ..Boot::new(MEM, "")
        };
        let (exit, console) = boot_rvmmu(&b);
        assert_eq!(exit, Exit::Fail(127), "{what}\n{console}");
        assert!(
            console.contains(&format!("cannot start /init: {why}")),
            "{what}\n{console}"
        );
        assert!(!console.contains("panic"), "{what}\n{console}");
    }
}

#[test]
fn the_stack_grows_on_demand_up_to_8_mib() {
    // (KiB, the finisher's code, Linux's status): SIGSEGV is 0x100 | 11 and 128 + 11.
    for (kib, want, linux_status) in [
        ("4000", Exit::Pass, 0),
        ("12000", Exit::Fail(0x100 | 11), 139),
    ] {
        let console = run_everywhere("stack", kib, &want);
        let output = program_output(&console);
        if want != Exit::Pass {
            assert!(console.contains("init: killed by SIGSEGV"), "{console}");
        }
        if let Some((code, linux)) = on_linux("stack", &[kib]) {
            assert_eq!(code, linux_status, "{kib} KiB: Linux's status");
            assert_eq!(output, linux);
        }
    }
}

#[test]
fn a_lower_rlimit_stack_stops_the_growth_sooner() {
    // Not compared with qemu-riscv64: its guest stack is fixed and ignores RLIMIT_STACK.
    for (args, want) in [
        ("2000 4096", Exit::Pass),
        ("2000 1024", Exit::Fail(0x100 | 11)),
    ] {
        let (exit, console) =
            boot_rvmmu(&boot_with("stack", &format!("-- {args}"), AdMode::Hardware));
        assert_eq!(exit, want, "{args}\n{console}");
        assert!(
            program_output(&console).contains("RLIMIT_STACK lowered to"),
            "{console}"
        );
    }
}

#[test]
fn files_of_the_initramfs_read_as_on_linux() {
    let data = b"hello world from the initramfs\nsecond line\n";
    let init = program("files");
    let archive = rvmmu::initramfs::pack(&[
        rvmmu::initramfs::File {
            path: "/init".into(),
            data: init,
            mode: 0o755,
        },
        rvmmu::initramfs::File {
            path: "/data.txt".into(),
            data: data.to_vec(),
            mode: 0o644,
        },
    ])
    .unwrap();
    let mut consoles = Vec::new();
    for mode in ["sv39", "sv48"] {
        let b = Boot {
            initrd: Some(archive.clone()),
            ..Boot::new(MEM, &format!("paging={mode}"))
        };
        let (exit, console) = boot_rvmmu(&b);
        assert_eq!(exit, Exit::Pass, "{console}");
        if let Some((code, on_qemu)) = boot_qemu(&b) {
            assert_eq!(code, Some(0));
            assert_eq!(console, on_qemu, "rvmmu (left) and QEMU (right)");
        }
        consoles.push(program_output(&console));
    }
    assert_eq!(consoles[0], consoles[1]);
    assert!(
        consoles[0].contains("5 bytes from 6: world\n"),
        "{}",
        consoles[0]
    );
    if let Some((code, linux)) = on_linux_in("files", &[], &[("data.txt", data)]) {
        assert_eq!(code, 0);
        assert_eq!(consoles[0], linux);
    }
}

/// The `minflt` the kernel logged when init exited.
fn minflt(console: &str) -> u64 {
    let line = rvmmu_tests::kernel::log_value(console, "init: minflt ").expect("a minflt line");
    line.split(',').next().unwrap().parse().unwrap()
}

#[test]
fn only_touched_pages_fault_in() {
    let run = |touch: &str| {
        let (exit, console) = boot_rvmmu(&boot_with("lazy", &format!("-- {touch}"), AdMode::Fault));
        assert_eq!(exit, Exit::Pass, "{console}");
        let output = program_output(&console);
        if let Some((code, linux)) = on_linux("lazy", &[touch]) {
            assert_eq!((code, linux.as_str()), (0, output.as_str()));
        }
        minflt(&console)
    };
    let (none, some) = (run("0"), run("40"));
    assert_eq!(
        some - none,
        40,
        "one fault per touched page ({none} without touching)"
    );
}

#[test]
fn the_exit_status_reaches_the_finisher() {
    for status in ["0", "3", "42"] {
        let want = match status {
            "0" => Exit::Pass,
            s => Exit::Fail(s.parse().unwrap()),
        };
        let (exit, console) = boot_rvmmu(&boot_with(
            "exit_code",
            &format!("-- {status}"),
            AdMode::Hardware,
        ));
        assert_eq!(exit, want, "{console}");
        assert!(
            console.contains(&format!("init: exited with status {status}")),
            "{console}"
        );
    }
}

/// Lines of procfs.c's output that qemu-riscv64 cannot reproduce: its emulated
/// /proc/self/maps has no [heap] area, and /proc/self/status is the host's (Name:
/// qemu-riscv64). On rvmmu they must say ok (the program's PASS covers them); the host's
/// own Linux passes them too.
const QEMU_USER_DIFFERS: [&str; 3] = [
    "heap: ",
    "maps has one [heap], one [stack] and the program: ",
    "status: Name is the program's name: ",
];

#[test]
fn proc_self_maps_status_exe_mremap_and_madvise_as_on_linux() {
    let console = run_everywhere("procfs", "", &Exit::Pass);
    let output = program_output(&console);
    assert!(output.ends_with("PASS\n"), "{console}");
    assert!(
        output.contains("heap: rw-p, offset 0, device no, holds malloc(1): yes\n"),
        "{output}"
    );
    let comparable = |s: &str| -> String {
        s.lines()
            // (a WRONG check is followed by its errno line)
            .filter(|l| !l.starts_with("  errno "))
            .filter(|l| !QEMU_USER_DIFFERS.iter().any(|p| l.starts_with(p)))
            .map(|l| format!("{l}\n"))
            .collect()
    };
    if let Some((code, linux)) = on_linux("procfs", &[]) {
        // qemu-riscv64 fails exactly the checks it cannot reproduce.
        assert_eq!(code, 2, "{linux}");
        assert_eq!(
            comparable(&output),
            comparable(&linux).replace("FAIL\n", "PASS\n")
        );
    }
}
