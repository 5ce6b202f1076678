//! The guest shell, programs/bin/sh.c: the same scripts run through it and through dash
//! (the reference POSIX shell) must print the same standard output and end with the same
//! status — built with the host's cc and run on the host's Linux, built for riscv64 and run
//! under qemu-riscv64, and run on the rvmmu kernel (as init, with a small `cat` beside it).
//! Then the terminal behaviour on rvmmu with bytes fed to the console: job control for the
//! notes' `malloc_1 & cat /proc/$!/maps; fg`, ^C to the foreground job, line editing, ^D.
//!
//! Without dash, qemu-riscv64 or cc the comparison is skipped, unless `CI` is set: then it
//! fails.

use rvmmu::machine::{Exit, MachineConfig};
use rvmmu_tests::host::Tool;
use rvmmu_tests::process::run_with_timeout;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

const DASH: Tool = Tool {
    command: "dash",
    package: "dash",
    extra_dirs: &[],
};

const TIMEOUT: Duration = Duration::from_secs(60);

/// Scripts that use only the shell's builtins (they run under qemu-riscv64 too, where the
/// host's programs cannot be run by a riscv64 shell). `DIR` is replaced by a scratch
/// directory.
const BUILTIN_SCRIPTS: &[&str] = &[
    "echo hello world; echo \"a  b\" 'c  d' e\\ f",
    "X=5; echo $X \"$X\" '$X' ${X}b; Y='two  words'; echo $Y; echo \"$Y\"",
    "false; echo $?; true && echo and1 || echo or1; false && echo and2 || echo or2; false || false || echo or3",
    "echo before; exit 3; echo after",
    "cd DIR && pwd; cd / && pwd",
    "true & wait $!; echo waited $?; false & wait $!; echo waited $?",
    "echo a | echo b; echo c | false; echo status $?",
    "cd DIR && echo data > f && echo ok; echo more >> f; echo err 2>/dev/null; echo x >/dev/null; echo y",
    "echo $nosuchvariable; echo \"[$nosuchvariable]\"; echo '#' not a comment; # a comment",
    "echo one; echo two >&2; echo three 2>&1",
    "A=1; B=${A}2; echo $A $B; exit $B",
];

/// Scripts that also run the host's programs (on the host only) or `cat` (the host's, or
/// programs/shelltest/cat.c on rvmmu).
const CAT_SCRIPTS: &[&str] = &[
    "echo one two | cat | cat",
    "cd DIR && echo data > f && echo more >> f && cat < f && cat f f",
    "cd DIR && echo new > g && cat g; echo replaced > g; cat g",
    "cat /nonexistent 2>/dev/null; echo status $?",
    "cd DIR; echo abc > h; cat < h | cat > i; cat i",
];

const HOST_SCRIPTS: &[&str] = &[
    "echo one two | tr a-z A-Z | tr O 0",
    "cd DIR && printf 'l1\\nl2\\n' > f && wc -l < f",
    "ls /nonexistent 2>&1 | wc -l; ls /nonexistent 2>/dev/null || echo failed",
    "Y=\"x   y\"; printf '[%s]\\n' $Y \"$Y\"",
    "A=1; env | grep -c '^A='; B=2 env | grep '^B='",
    "export C=3; env | grep '^C='",
];

/// A scratch directory for one run.
fn scratch(tag: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("rvmmu-shell-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("make a scratch directory");
    dir
}

/// Runs `shell -c script` (with `prefix` before it: qemu-riscv64) in `dir`: its exit code
/// and standard output.
fn run_c(prefix: &[&Path], shell: &Path, script: &str, dir: &Path) -> (Option<i32>, String) {
    let mut cmd = match prefix.first() {
        Some(p) => {
            let mut c = Command::new(p);
            c.arg(shell);
            c
        }
        None => Command::new(shell),
    };
    cmd.arg("-c").arg(script).current_dir(dir);
    let out = run_with_timeout(cmd, Some(Vec::new()), TIMEOUT).expect("run a shell");
    (
        out.status.and_then(|s| s.code()),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

/// Compares `ours` (run as `prefix ours -c`) with dash on each script.
fn compare(tag: &str, prefix: &[&Path], ours: &Path, dash: &Path, scripts: &[&str]) {
    for (i, script) in scripts.iter().enumerate() {
        let d1 = scratch(&format!("{tag}-{i}-ours"));
        let d2 = scratch(&format!("{tag}-{i}-dash"));
        let mine = run_c(
            prefix,
            ours,
            &script.replace("DIR", &d1.to_string_lossy()),
            &d1,
        );
        let reference = run_c(
            &[],
            dash,
            &script.replace("DIR", &d2.to_string_lossy()),
            &d2,
        );
        let strip = |s: &str, d: &Path| s.replace(&*d.to_string_lossy(), "DIR");
        assert_eq!(
            (mine.0, strip(&mine.1, &d1)),
            (reference.0, strip(&reference.1, &d2)),
            "{tag}: script {script:?}: ours (left) and dash (right) differ"
        );
        let _ = std::fs::remove_dir_all(&d1);
        let _ = std::fs::remove_dir_all(&d2);
    }
}

/// The shell built for the host with its cc.
fn host_shell(cc: &Path) -> PathBuf {
    let dir = scratch("build");
    let exe = dir.join("sh");
    let src = rvmmu_tests::kernel::repo_root()
        .join("programs")
        .join("bin")
        .join("sh.c");
    let mut cmd = Command::new(cc);
    cmd.args(["-O2", "-Wall", "-Werror", "-o"])
        .arg(&exe)
        .arg(&src);
    let out = run_with_timeout(cmd, None, Duration::from_secs(120)).expect("run cc");
    assert!(
        out.status.is_some_and(|s| s.success()),
        "building sh.c for the host failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    exe
}

fn program(name: &str) -> &'static str {
    rvmmu_tests::linux_program(name).unwrap_or_else(|| panic!("no program {name} was built"))
}

#[test]
fn scripts_print_what_dash_prints_on_the_host() {
    let Some(dash) = rvmmu_tests::host::require(&DASH, "the shell's comparison with dash") else {
        return;
    };
    let Some(cc) = rvmmu_tests::require_host_cc("the shell's host build") else {
        return;
    };
    let sh = host_shell(&cc);
    compare("host", &[], &sh, &dash, BUILTIN_SCRIPTS);
    compare("host", &[], &sh, &dash, CAT_SCRIPTS);
    compare("host", &[], &sh, &dash, HOST_SCRIPTS);
}

#[test]
fn scripts_print_what_dash_prints_under_qemu_user() {
    let Some(dash) = rvmmu_tests::host::require(&DASH, "the shell's comparison with dash") else {
        return;
    };
    let Some(qemu) = rvmmu_tests::require_qemu_user("the shell under qemu-riscv64") else {
        return;
    };
    let sh = PathBuf::from(program("bin/sh"));
    compare("qemu", &[&qemu], &sh, &dash, BUILTIN_SCRIPTS);
}

/// Runs the shell as init on rvmmu with `args` after `--`, `stdin` as the console's input,
/// /bin/cat and the notes' malloc_1 beside it; returns the end and the console.
fn on_rvmmu(args: &str, stdin: &[u8]) -> (Exit, String) {
    let file = |guest: &str, name: &str| rvmmu::initramfs::File {
        path: guest.into(),
        data: std::fs::read(program(name)).expect("read a built program"),
        mode: 0o755,
    };
    let files = vec![
        file("/bin/sh", "bin/sh"),
        file("/bin/cat", "shelltest/cat"),
        file("/bin/malloc_1", "notes/malloc_1"),
        file("/bin/sleep", "bin/sleep"),
    ];
    let cfg = MachineConfig {
        mem_size: 128 << 20,
        bootargs: format!("paging=sv39 init=/bin/sh quiet -- {args}"),
        initrd: Some(rvmmu::initramfs::pack(&files).expect("an initramfs")),
        max_insns: Some(2_000_000_000),
        ..MachineConfig::capture(stdin.to_vec())
    };
    let kernel = rvmmu::kernel::embedded().expect("rvmmu was built with its kernel");
    rvmmu_tests::kernel::run_kernel(cfg, kernel)
}

/// `s` quoted as one word of the kernel command line.
fn quoted(s: &str) -> String {
    assert!(!s.contains('"'), "no double quotes in the rvmmu scripts");
    format!("\"{s}\"")
}

/// The exit status a run's end stands for.
fn status(exit: &Exit) -> Option<i32> {
    match exit {
        Exit::Pass => Some(0),
        Exit::Fail(code) if code & 0x100 == 0 => Some((code & 0xff) as i32),
        _ => None,
    }
}

#[test]
fn scripts_print_what_dash_prints_on_rvmmu() {
    let Some(dash) = rvmmu_tests::host::require(&DASH, "the shell's comparison with dash") else {
        return;
    };
    // The kernel command line cannot carry a double quote, and the console mixes stderr
    // into stdout: the scripts with either are left to the host and qemu-riscv64 runs.
    let scripts: Vec<&&str> = BUILTIN_SCRIPTS
        .iter()
        .chain(CAT_SCRIPTS)
        .filter(|s| !s.contains('"') && !s.contains(">&2"))
        .collect();
    assert!(scripts.len() >= 10);
    for script in scripts {
        let guest = script.replace("DIR", "/tmp");
        let (exit, console) = on_rvmmu(&format!("-c {}", quoted(&guest)), b"");
        let d = scratch("rvmmu-dash");
        let reference = run_c(&[], &dash, &script.replace("DIR", &d.to_string_lossy()), &d);
        // The console carries stderr too: dash's stderr is not compared, so the scripts
        // keep theirs empty.
        assert_eq!(
            (status(&exit), rvmmu_tests::kernel::program_output(&console)),
            (
                reference.0,
                reference.1.replace(&*d.to_string_lossy(), "/tmp")
            ),
            "script {script:?} on rvmmu (left) and dash (right)"
        );
        let _ = std::fs::remove_dir_all(&d);
    }
}

#[test]
fn a_background_job_waits_for_fg_before_it_reads_the_console() {
    // The notes' session: malloc_1 in the background stops (SIGTTIN) at its getchar()
    // instead of taking the console's input; cat reads its maps meanwhile (after a second,
    // so that malloc_1 has made its heap: without it cat may run first); fg gives it the
    // terminal and its two lines of input.
    let script = quoted("malloc_1 & sleep 1; cat /proc/$!/maps; fg; echo fg $?");
    let (exit, console) = on_rvmmu(&format!("-c {script}"), b"\n\n");
    let out = rvmmu_tests::kernel::program_output(&console);
    assert_eq!(status(&exit), Some(0), "{console}");
    assert!(
        out.contains("[heap]") && out.contains("/bin/malloc_1"),
        "{out}"
    );
    assert!(out.ends_with("fg 0\n"), "{out}");
    let maps_end = out.find("[stack]").expect("the maps");
    let freed = out
        .find("释放了1字节的内存")
        .expect("malloc_1's second line");
    assert!(maps_end < freed, "malloc_1 went on only after fg: {out}");
}

#[test]
fn ctrl_c_ends_the_foreground_job_and_the_shell_goes_on() {
    // cat copies a line, then ^C (ISIG) sends SIGINT to its group: the shell sees 130.
    let (exit, console) = on_rvmmu(
        &format!("-c {}", quoted("cat; echo after $?")),
        b"abc\n\x03",
    );
    assert_eq!(status(&exit), Some(0), "{console}");
    assert_eq!(
        rvmmu_tests::kernel::program_output(&console),
        "abc\nafter 130\n"
    );
}

#[test]
fn canonical_mode_edits_the_line_and_ctrl_d_ends_it() {
    // DEL erases "x"; ^U kills "junk"; ^W erases the word "word "; ^D pushes "tail"
    // without a newline; ^D on the empty line is end of file.
    let input = b"ab\x7fc\njunk\x15d\nsome word \x17x\ntail\x04\x04";
    let (exit, console) = on_rvmmu(&format!("-c {}", quoted("cat; echo end $?")), input);
    assert_eq!(status(&exit), Some(0), "{console}");
    assert_eq!(
        rvmmu_tests::kernel::program_output(&console),
        "ac\nd\nsome x\ntailend 0\n"
    );
}

#[test]
fn the_shell_reads_a_script_from_its_input_and_ctrl_d_ends_it() {
    // Interactive (the console is a terminal): the prompt "$ " before each line (no echo:
    // ECHO starts clear when rvmmu's input is not a terminal), end of input ends the shell
    // with the last status.
    let (exit, console) = on_rvmmu("", b"echo one\nfalse\n");
    assert_eq!(status(&exit), Some(1), "{console}");
    assert_eq!(
        rvmmu_tests::kernel::program_output(&console),
        "$ one\n$ $ \n"
    );
}
