//! The notes' programs (programs/notes/, byte for byte as the notes give them) and the
//! project's TAP tests (programs/tests/) run on the kernel as `rvmmu run` runs them: the
//! program at /bin/NAME in an initramfs, bootargs `paging=MODE init=/bin/NAME quiet`, the
//! console's input supplied (the UART reports a break after its last byte: end of file).
//! With `quiet` the console holds only the program's output, which must equal what
//! qemu-riscv64 (Linux's ABI) prints for the same input, line for line after
//! `rvmmu_tests::linux::normalize` (addresses and pids differ between any two runs).

use rvmmu::machine::{Exit, Machine, MachineConfig};
use rvmmu_tests::linux::{find_qemu_user, normalize, run_user_env};
use std::time::Duration;

/// The built program `dir/name`.
fn program_path(name: &str) -> &'static str {
    rvmmu_tests::linux_program(name).unwrap_or_else(|| panic!("no program {name} was built"))
}

/// Runs `name` (a `dir/name` of programs/) on rvmmu as `rvmmu run --mem MEM --paging MODE`
/// would, with `stdin` as its console input; returns how the run ended and the console.
fn on_rvmmu(name: &str, mem: u64, paging: &str, stdin: &[u8]) -> (Exit, String) {
    on_rvmmu_args(name, mem, paging, stdin, "")
}

/// [`on_rvmmu`] with `args` as the command line's words after `--` (quoted as `rvmmu run`
/// quotes them).
fn on_rvmmu_args(name: &str, mem: u64, paging: &str, stdin: &[u8], args: &str) -> (Exit, String) {
    let base = name.rsplit('/').next().unwrap();
    let init = format!("/bin/{base}");
    let initrd = rvmmu::initramfs::pack(&[rvmmu::initramfs::File {
        path: init.clone(),
        data: std::fs::read(program_path(name)).expect("read the program"),
        mode: 0o755,
    }])
    .expect("an initramfs");
    let kernel = rvmmu::kernel::embedded().expect("rvmmu was built with its kernel");
    let cfg = MachineConfig {
        mem_size: mem,
        bootargs: if args.is_empty() {
            format!("paging={paging} init={init} quiet")
        } else {
            format!("paging={paging} init={init} quiet -- {args}")
        },
        initrd: Some(initrd),
        max_insns: Some(2_000_000_000),
        ..MachineConfig::capture(stdin.to_vec())
    };
    let mut m = Machine::new(cfg).expect("a machine");
    m.load_elf(kernel).expect("load the kernel");
    let exit = m.run();
    (
        exit,
        String::from_utf8_lossy(&m.console_output()).into_owned(),
    )
}

/// `name` under qemu-riscv64 with `stdin` (and `env`): its exit code and output; `None`
/// (and a skip line) when qemu-riscv64 is not installed.
fn on_linux(name: &str, stdin: &[u8], env: &[(&str, &str)]) -> Option<(Option<i32>, String)> {
    on_linux_args(name, &[], stdin, env)
}

/// [`on_linux`] with arguments.
fn on_linux_args(
    name: &str,
    args: &[&str],
    stdin: &[u8],
    env: &[(&str, &str)],
) -> Option<(Option<i32>, String)> {
    let Some(qemu) = find_qemu_user() else {
        eprintln!("skip: qemu-riscv64 not on PATH; no Linux reference for {name}");
        return None;
    };
    let run = run_user_env(
        &qemu,
        program_path(name),
        args,
        stdin,
        env,
        Duration::from_secs(60),
    )
    .expect("run qemu-riscv64");
    assert!(run.stderr.is_empty(), "{name}: {}", run.stderr);
    Some((run.code, run.stdout))
}

/// Runs a notes program on rvmmu in `modes` and checks it against qemu-riscv64.
fn notes_program_matches_linux(name: &str, mem: u64, modes: &[&str], stdin: &[u8]) {
    let name = format!("notes/{name}");
    let linux = on_linux(&name, stdin, &[]);
    for mode in modes {
        let (exit, console) = on_rvmmu(&name, mem, mode, stdin);
        assert_eq!(exit, Exit::Pass, "{name} {mode}\n{console}");
        assert!(!console.is_empty(), "{name} {mode}: no output");
        if let Some((code, out)) = &linux {
            assert_eq!(*code, Some(0), "{name} under qemu-riscv64\n{out}");
            assert_eq!(
                normalize(&console),
                normalize(out),
                "{name} {mode}: rvmmu (left) and qemu-riscv64 (right)"
            );
        }
    }
}

#[test]
fn malloc_1_prints_what_linux_prints() {
    notes_program_matches_linux("malloc_1", 128 << 20, &["sv48", "sv39"], b"\n\n");
}

#[test]
fn malloc_128k_prints_what_linux_prints() {
    notes_program_matches_linux("malloc_128k", 128 << 20, &["sv48", "sv39"], b"\n\n");
}

#[test]
fn alloc_4x1g_on_2_gib_prints_what_linux_prints() {
    notes_program_matches_linux("alloc_4x1g", 2 << 30, &["sv48", "sv39"], b"\n");
}

#[test]
fn without_input_getchar_sees_end_of_file() {
    // The break after the (empty) input is end of file: getchar returns EOF at once and
    // the program runs to its end, as under Linux with stdin at end of file.
    let name = "notes/malloc_1";
    let (exit, console) = on_rvmmu(name, 128 << 20, "sv48", b"");
    assert_eq!(exit, Exit::Pass, "{console}");
    if let Some((code, out)) = on_linux(name, b"", &[]) {
        assert_eq!(code, Some(0));
        assert_eq!(normalize(&console), normalize(&out));
    }
}

/// What qemu-riscv64 adds to a TAP line for a check QEMU 7.2's user mode cannot do as
/// Linux does (programs/README.md); the check itself is "ok" on both.
const QEMU_SKIP: &str = " # SKIP on qemu-user: ";

/// The project's TAP tests that pass on the kernel today; `fork_cow` needs fork and wait4
/// (docs/KERNEL.md lists it as not yet passing).
#[test]
fn tap_tests_pass_and_print_what_linux_prints() {
    for name in ["tests/brk_semantics", "tests/mmap_semantics"] {
        for mode in ["sv48", "sv39"] {
            let (exit, console) = on_rvmmu(name, 128 << 20, mode, b"");
            assert_eq!(exit, Exit::Pass, "{name} {mode}\n{console}");
            assert!(!console.contains("not ok"), "{name} {mode}\n{console}");
            assert!(console.starts_with("ok 1 "), "{name} {mode}\n{console}");
            if let Some((code, out)) = on_linux(name, b"", &[("RVMMU_ON_QEMU_USER", "1")]) {
                assert_eq!(code, Some(0), "{name} under qemu-riscv64\n{out}");
                let linux: String = out
                    .lines()
                    .map(|l| format!("{}\n", l.split(QEMU_SKIP).next().unwrap_or(l)))
                    .collect();
                assert_eq!(console, linux, "{name} {mode}: rvmmu (left), qemu-riscv64");
            }
        }
    }
}

#[test]
fn a_musl_program_gets_a_quoted_argument_whole() {
    // `rvmmu run prog one "two words"` puts `-- one "two words"` on the command line; the
    // kernel's parser keeps the quoted words together and drops the quotes.
    let name = "musl/musl_basics";
    let (exit, console) = on_rvmmu_args(name, 128 << 20, "sv48", b"", "one \"two words\"");
    assert_eq!(exit, Exit::Pass, "{console}");
    assert!(console.contains("ok 1 - argv is as given"), "{console}");
    if let Some((code, out)) = on_linux_args(name, &["one", "two words"], b"", &[]) {
        assert_eq!(code, Some(0));
        assert_eq!(normalize(&console), normalize(&out));
    }
}
