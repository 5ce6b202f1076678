//! `rvmmu run`: a static Linux program (built here with `riscv64-linux-gnu-gcc -static`) on
//! the built-in kernel: its output on stdout and nothing else, stdin as its input, its exit
//! status as rvmmu's, a signal as 128 + the signal with the shell's word on stderr.

use crate::{run, Output};
use std::process::Command;

/// Builds a static riscv64 Linux program from C source; `None` (skip) without the compiler,
/// a panic instead under CI.
pub(crate) fn linux_program(dir: &std::path::Path, name: &str, source: &str) -> Option<String> {
    let src = dir.join(format!("{name}.c"));
    let exe = dir.join(name);
    std::fs::write(&src, source).unwrap();
    let out = Command::new("riscv64-linux-gnu-gcc")
        .args(["-static", "-O1", "-Wall", "-o"])
        .arg(&exe)
        .arg(&src)
        .output();
    let Ok(out) = out else {
        // Under CI (`CI` set and not empty) a missing compiler fails the test.
        assert!(
            std::env::var_os("CI").is_none_or(|v| v.is_empty()),
            "riscv64-linux-gnu-gcc (Debian package gcc-riscv64-linux-gnu) is missing and CI \
             is set: these tests must run"
        );
        return None;
    };
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    Some(exe.to_str().unwrap().to_string())
}

const ECHO: &str = r#"
#include <stdio.h>
#include <string.h>
int main(int argc, char **argv) {
    char line[100];
    for (int i = 1; i < argc; i++)
        printf("arg %d: [%s]\n", i, argv[i]);
    while (fgets(line, sizeof line, stdin))
        printf("read: %s", line);
    printf("end of input\n");
    return argc;
}
"#;

const SEGV: &str = r#"
int main(void) {
    volatile int *volatile p = 0;
    *p = 1;
    return 0;
}
"#;

fn rvmmu_run(args: &[&str], stdin: &[u8]) -> Output {
    let mut all = vec!["run", "--max-insns", "2000000000"];
    all.extend_from_slice(args);
    run(&all, Some(stdin))
}

#[test]
fn a_program_gets_its_arguments_and_input_and_gives_its_exit_status() {
    let dir = tempfile::TempDir::new().unwrap();
    let Some(echo) = linux_program(dir.path(), "echo", ECHO) else {
        eprintln!("skipped: no riscv64-linux-gnu-gcc");
        return;
    };
    for paging in ["sv39", "sv48"] {
        let out = rvmmu_run(
            &["--paging", paging, &echo, "one", "two words", "--stats"],
            b"first\nsecond\n",
        );
        assert_eq!(out.code, Some(4), "{out:#?}");
        assert_eq!(
            out.stdout,
            "arg 1: [one]\narg 2: [two words]\narg 3: [--stats]\n\
             read: first\nread: second\nend of input\n",
            "{out:#?}"
        );
        assert_eq!(out.stderr, "", "a quiet boot: {out:#?}");
    }
}

#[test]
fn a_program_killed_by_sigsegv_ends_rvmmu_as_a_shell_reports_it() {
    let dir = tempfile::TempDir::new().unwrap();
    let Some(segv) = linux_program(dir.path(), "segv", SEGV) else {
        eprintln!("skipped: no riscv64-linux-gnu-gcc");
        return;
    };
    let out = rvmmu_run(&[&segv], b"");
    assert_eq!(out.code, Some(139), "{out:#?}");
    assert_eq!(
        (out.stdout.as_str(), out.stderr.as_str()),
        ("", "Segmentation fault\n")
    );
}

#[test]
fn the_kernel_log_goes_to_stderr_and_whole_to_a_file() {
    let dir = tempfile::TempDir::new().unwrap();
    let Some(echo) = linux_program(dir.path(), "echo", ECHO) else {
        eprintln!("skipped: no riscv64-linux-gnu-gcc");
        return;
    };
    // Every kernel line on stderr; stdout carries the program's output alone.
    let out = rvmmu_run(&["--kernel-log", &echo], b"");
    assert_eq!(out.code, Some(1), "{out:#?}");
    assert_eq!(out.stdout, "end of input\n", "{out:#?}");
    assert!(out.stderr.contains("INFO  kernel: rvmmu-os"), "{out:#?}");
    assert!(out.stderr.contains("booting on hart 0"), "{out:#?}");
    assert!(out.stderr.ends_with("exited with status 1\n"), "{out:#?}");
    // --kernel-log=FILE: the console log, kernel lines and program output in order.
    let log = dir.path().join("console.log");
    let arg = format!("--kernel-log={}", log.display());
    let out = rvmmu_run(&[&arg, &echo], b"");
    assert_eq!(out.code, Some(1), "{out:#?}");
    assert_eq!(out.stdout, "end of input\n", "{out:#?}");
    assert_eq!(out.stderr, "", "{out:#?}");
    let text = std::fs::read_to_string(&log).unwrap();
    let boot = text.find("booting on hart 0").expect("the boot line");
    let prog = text.find("\nend of input\n").expect("the program's line");
    let exit = text
        .find("exited with status 1\n")
        .expect("init's exit line");
    assert!(boot < prog && prog < exit, "{text}");
}

#[test]
fn segments_reaches_the_kernel_command_line_and_qemus() {
    // `--segments` is the kernel command-line word `segments` (what the kernel does with it
    // is the kernel's: tests/tests/segments.rs). The kernel logs the line it booted with.
    let out = rvmmu_run(&["--segments", "--kernel-log", "seg_hello", "one"], b"");
    assert!(
        out.stderr
            .contains("bootargs: \"paging=sv48 init=/bin/seg_hello segments -- one\""),
        "{out:#?}"
    );
    // The same word in the QEMU command --qemu-files prints.
    let dir = tempfile::TempDir::new().unwrap();
    let files = dir.path().to_str().unwrap();
    let out = rvmmu_run(&["--segments", "--qemu-files", files, "seg_hello"], b"");
    assert_eq!(out.code, Some(0), "{out:#?}");
    assert!(
        out.stdout
            .contains("-append 'paging=sv48 init=/bin/seg_hello quiet segments'"),
        "{out:#?}"
    );
}

const ENOSYS: &str = r#"
#include <stdio.h>
#include <unistd.h>
#include <sys/syscall.h>
int main(void) {
    printf("before\n");
    fflush(stdout);
    long r = syscall(4000);
    printf("after %ld\n", r);
    return 0;
}
"#;

#[test]
fn a_kernel_warning_never_lands_in_the_programs_piped_stdout() {
    // The kernel warns about an unimplemented system call while the program's stdout is a
    // pipe: the warning goes to rvmmu's stderr, stdout holds the program's lines only.
    let dir = tempfile::TempDir::new().unwrap();
    let Some(prog) = linux_program(dir.path(), "enosys", ENOSYS) else {
        eprintln!("skipped: no riscv64-linux-gnu-gcc");
        return;
    };
    let out = rvmmu_run(&[&prog], b"");
    assert_eq!(out.code, Some(0), "{out:#?}");
    assert_eq!(out.stdout, "before\nafter -1\n", "{out:#?}");
    assert_eq!(
        out.stderr, "WARN  syscall: enosys: syscall 4000 not implemented: -ENOSYS\n",
        "{out:#?}"
    );
}

/// The `rvmmu: instructions retired: N` line of `--stats`.
fn instret(stderr: &str) -> u64 {
    stderr
        .lines()
        .find_map(|l| l.strip_prefix("rvmmu: instructions retired: "))
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no instret line in {stderr}"))
}

#[test]
fn tracing_kernel_events_changes_nothing_the_guest_does() {
    // The kernel sends its event records whether or not rvmmu traces them: a traced run
    // prints the same and retires the same instructions as an untraced one.
    let dir = tempfile::TempDir::new().unwrap();
    let Some(echo) = linux_program(dir.path(), "echo", ECHO) else {
        eprintln!("skipped: no riscv64-linux-gnu-gcc");
        return;
    };
    let plain = rvmmu_run(&["--stats", &echo, "a"], b"x\n");
    let trace = dir.path().join("t.txt");
    let t = trace.to_str().unwrap();
    let traced = rvmmu_run(
        &[
            "--stats",
            "--trace",
            "faults,reclaim,syscalls",
            "--trace-out",
            t,
            &echo,
            "a",
        ],
        b"x\n",
    );
    assert_eq!(plain.code, Some(2), "{plain:#?}");
    assert_eq!(traced.code, plain.code);
    assert_eq!(traced.stdout, plain.stdout);
    assert_eq!(instret(&traced.stderr), instret(&plain.stderr));
    let text = std::fs::read_to_string(&trace).unwrap();
    // What the program did is there: its read of "x\n", the write of "read: x\n"
    // (the console is a terminal: line-buffered), its faults, its exit.
    assert!(text.contains("[pid 1] read(0, "), "{text}");
    assert!(
        text.lines()
            .any(|l| l.starts_with("[pid 1] write(1, ") && l.ends_with(") = 8")),
        "{text}"
    );
    assert!(text.contains("[pid 1] fault 0x"), "{text}");
    assert!(text.contains(" user: minor zero-fill, "), "{text}");
    assert!(text.ends_with("[pid 1] +++ exited with 2 +++\n"), "{text}");
    // JSON Lines: one object per record, typed fields.
    let json = dir.path().join("t.json");
    let out = rvmmu_run(
        &[
            "--trace",
            "syscalls,faults",
            "--trace-format",
            "json",
            "--trace-out",
            json.to_str().unwrap(),
            &echo,
        ],
        b"",
    );
    assert_eq!(out.code, Some(1), "{out:#?}");
    let lines = std::fs::read_to_string(&json).unwrap();
    let mut kinds = std::collections::BTreeSet::new();
    for l in lines.lines() {
        let v: serde_json::Value = serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}"));
        assert_eq!(v["pid"], 1, "{l}");
        kinds.insert(v["type"].as_str().unwrap().to_string());
        if v["type"] == "fault" {
            assert!(v["va"].as_str().unwrap().starts_with("0x"), "{l}");
            assert!(v["insns"].as_u64().unwrap() > 0, "{l}");
        }
    }
    assert_eq!(
        kinds.into_iter().collect::<Vec<_>>(),
        ["exit", "fault", "syscall"],
        "{lines}"
    );
}

#[test]
fn trace_pid_keeps_one_process() {
    let dir = tempfile::TempDir::new().unwrap();
    let Some(echo) = linux_program(dir.path(), "echo", ECHO) else {
        eprintln!("skipped: no riscv64-linux-gnu-gcc");
        return;
    };
    let trace = dir.path().join("t.txt");
    let t = trace.to_str().unwrap();
    let out = rvmmu_run(
        &[
            "--trace",
            "syscalls,faults",
            "--trace-pid",
            "2",
            "--trace-out",
            t,
            &echo,
        ],
        b"",
    );
    assert_eq!(out.code, Some(1), "{out:#?}");
    assert_eq!(
        std::fs::read_to_string(&trace).unwrap(),
        "",
        "no pid 2 in this run"
    );
    let out = rvmmu_run(
        &[
            "--trace",
            "syscalls,faults",
            "--trace-pid",
            "1",
            "--trace-out",
            t,
            &echo,
        ],
        b"",
    );
    assert_eq!(out.code, Some(1), "{out:#?}");
    let text = std::fs::read_to_string(&trace).unwrap();
    assert!(text.lines().count() > 10, "{text}");
    assert!(text.lines().all(|l| l.starts_with("[pid 1] ")), "{text}");
}

const SYSCTL: &str = r#"
#include <stdio.h>
extern char **environ;
int main(int argc, char **argv) {
    char value[32] = "";
    FILE *f = fopen("/proc/sys/vm/swappiness", "r");
    if (!f || !fgets(value, sizeof value, f))
        return 1;
    printf("swappiness %s", value);
    fclose(f);
    f = fopen("/proc/sys/vm/page-cluster", "r");
    if (!f || !fgets(value, sizeof value, f))
        return 1;
    printf("page-cluster %s", value);
    for (int i = 0; i < argc; i++)
        printf("argv[%d] %s\n", i, argv[i]);
    for (char **e = environ; *e; e++)
        printf("env %s\n", *e);
    return 0;
}
"#;

#[test]
fn sysctl_sets_proc_sys_vm_and_reaches_neither_argv_nor_envp() {
    let dir = tempfile::TempDir::new().unwrap();
    let Some(prog) = linux_program(dir.path(), "sysctl", SYSCTL) else {
        eprintln!("skipped: no riscv64-linux-gnu-gcc");
        return;
    };
    let out = rvmmu_run(
        &[
            "--sysctl",
            "vm.swappiness=10",
            "--sysctl",
            "vm.page-cluster=5",
            &prog,
            "a",
        ],
        b"",
    );
    assert_eq!(out.code, Some(0), "{out:?}");
    assert_eq!(
        out.stdout,
        "swappiness 10\npage-cluster 5\nargv[0] /bin/sysctl\nargv[1] a\nenv HOME=/\nenv TERM=linux\n"
    );
    let out = rvmmu_run(&[&prog], b"");
    assert!(
        out.stdout.starts_with("swappiness 60\npage-cluster 3\n"),
        "{out:?}"
    );
}

const MODES: &str = r#"
#include <stdio.h>
#include <sys/stat.h>
int main(int argc, char **argv) {
    for (int i = 1; i < argc; i++) {
        struct stat st;
        if (stat(argv[i], &st) != 0) {
            printf("%s: missing\n", argv[i]);
            continue;
        }
        printf("%s: %o\n", argv[i], st.st_mode & 07777);
    }
    return 0;
}
"#;

#[test]
fn extra_files_keep_their_host_permissions() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::TempDir::new().unwrap();
    let Some(modes) = linux_program(dir.path(), "modes", MODES) else {
        eprintln!("skipped: no riscv64-linux-gnu-gcc");
        return;
    };
    let data = dir.path().join("data.txt");
    std::fs::write(&data, "some data\n").unwrap();
    std::fs::set_permissions(&data, std::fs::Permissions::from_mode(0o640)).unwrap();
    let tool = dir.path().join("tool");
    std::fs::write(&tool, "#!/bin/sh\n").unwrap();
    std::fs::set_permissions(&tool, std::fs::Permissions::from_mode(0o750)).unwrap();
    let data_spec = format!("{}:/etc/data", data.display());
    let out = rvmmu_run(
        &[
            "--file",
            &data_spec,
            "--file",
            tool.to_str().unwrap(),
            &modes,
            "/etc/data",
            "/bin/tool",
            "/bin/modes",
        ],
        b"",
    );
    assert_eq!(out.code, Some(0), "{out:?}");
    assert_eq!(
        out.stdout, "/etc/data: 640\n/bin/tool: 750\n/bin/modes: 755\n",
        "{out:?}"
    );
}

#[test]
fn a_swap_disk_changes_nothing_the_program_sees() {
    let dir = tempfile::TempDir::new().unwrap();
    let Some(echo) = linux_program(dir.path(), "echo", ECHO) else {
        eprintln!("skipped: no riscv64-linux-gnu-gcc");
        return;
    };
    let file = dir.path().join("swap.img");
    std::fs::File::create(&file)
        .unwrap()
        .set_len(1 << 20)
        .unwrap();
    let file = file.to_str().unwrap();
    for disk in [&["--swap", "40G"][..], &["--swap-file", file]] {
        let mut args = disk.to_vec();
        args.extend([echo.as_str(), "x"]);
        let out = rvmmu_run(&args, b"in\n");
        assert_eq!(out.code, Some(2), "{out:#?}");
        assert_eq!(
            out.stdout, "arg 1: [x]\nread: in\nend of input\n",
            "{out:#?}"
        );
        assert_eq!(out.stderr, "", "{out:#?}");
    }
}

#[test]
fn built_in_programs_run_by_name_and_a_file_of_the_same_path_replaces_them() {
    // The built-in /bin/cat reads its file; the notes' malloc_1 runs without a host file.
    let out = rvmmu_run(&["cat", "/etc/passwd"], b"");
    assert_eq!(out.code, Some(0), "{out:?}");
    assert_eq!(out.stdout, "root:x:0:0:root:/root:/bin/sh\n");
    let out = rvmmu_run(&["malloc_1"], b"\n\n");
    assert_eq!(out.code, Some(0), "{out:?}");
    assert!(out.stdout.contains("cat /proc/1/maps"), "{out:?}");
    // Options after the program are the program's: -h is free's, not rvmmu's help.
    let out = rvmmu_run(&["free", "-h"], b"");
    assert_eq!(out.code, Some(0), "{out:?}");
    assert!(
        out.stdout
            .lines()
            .nth(1)
            .is_some_and(|l| l.starts_with("Mem:") && l.contains("Mi")),
        "{out:?}"
    );
    // A user's --file at /bin/cat is the cat that runs.
    let dir = tempfile::TempDir::new().unwrap();
    let Some(echo) = linux_program(dir.path(), "echo", ECHO) else {
        eprintln!("skipped: no riscv64-linux-gnu-gcc");
        return;
    };
    let spec = format!("{echo}:/bin/cat");
    let out = rvmmu_run(&["--file", &spec, "cat", "x"], b"");
    assert_eq!(out.code, Some(2), "{out:?}");
    assert_eq!(out.stdout, "arg 1: [x]\nend of input\n", "{out:?}");
}

#[test]
fn the_oom_killer_kills_a_dying_victim_only_once() {
    // The notes' touch_4x1g started by the shell (so it is not init) on 64 MiB with 64 MiB
    // of swap: both fill, and the OOM killer chooses it. While it is on its way out its
    // next allocations fail without a second kill (once it was chosen twice: two kill
    // lines and oom_kill 2 for one victim).
    let out = rvmmu_run(
        &[
            "--mem",
            "64M",
            "--swap",
            "64M",
            "--sysctl",
            "vm.overcommit_memory=1",
            "-c",
            "touch_4x1g; echo status $?",
        ],
        b"\n",
    );
    assert_eq!(out.code, Some(0), "{out:#?}");
    assert!(out.stdout.ends_with("status 137\n"), "{out:#?}");
    let kills: Vec<&str> = out
        .stderr
        .lines()
        .filter(|l| l.starts_with("Out of memory: Killed process"))
        .collect();
    assert_eq!(kills.len(), 1, "{out:#?}");
    assert!(kills[0].contains("(touch_4x1g)"), "{out:#?}");
}
