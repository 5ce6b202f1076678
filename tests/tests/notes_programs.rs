//! The notes' programs (programs/notes/, byte for byte as the notes give them) and the
//! project's TAP tests (programs/tests/) run on the kernel as `rvmmu run` runs them: the
//! program at /bin/NAME in an initramfs, bootargs `paging=MODE init=/bin/NAME quiet`, the
//! console's input supplied (the UART reports a break after its last byte: end of file).
//! With `quiet` the console holds only the program's output, which must equal what
//! qemu-riscv64 (Linux's ABI) prints for the same input, line for line after
//! `rvmmu_tests::linux::normalize` (addresses and pids differ between any two runs).

use rvmmu::machine::{Exit, MachineConfig};
use rvmmu_tests::linux::{normalize, run_user_env};
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
    on_rvmmu_with(name, mem, paging, stdin, args, Vec::new())
}

/// [`on_rvmmu_args`] with `extra` files in the initramfs besides the program. `paging`
/// may end with ` ad=fault`: the A/D scheme where the walker faults (Svade) instead of
/// setting the bits.
fn on_rvmmu_with(
    name: &str,
    mem: u64,
    paging: &str,
    stdin: &[u8],
    args: &str,
    extra: Vec<rvmmu::initramfs::File>,
) -> (Exit, String) {
    let base = name.rsplit('/').next().unwrap();
    let init = format!("/bin/{base}");
    let mut files = vec![rvmmu::initramfs::File {
        path: init.clone(),
        data: std::fs::read(program_path(name)).expect("read the program"),
        mode: 0o755,
    }];
    files.extend(extra);
    let initrd = rvmmu::initramfs::pack(&files).expect("an initramfs");
    let kernel = rvmmu::kernel::embedded().expect("rvmmu was built with its kernel");
    let (paging, ad) = match paging.strip_suffix(" ad=fault") {
        Some(p) => (p, rvmmu::mmu::walk::AdMode::Fault),
        None => (paging, rvmmu::mmu::walk::AdMode::Hardware),
    };
    let cfg = MachineConfig {
        mem_size: mem,
        ad,
        // `paging` may carry more words (as `rvmmu run --append` adds them).
        bootargs: if args.is_empty() {
            format!("paging={paging} init={init} quiet")
        } else {
            format!("paging={paging} init={init} quiet -- {args}")
        },
        initrd: Some(initrd),
        max_insns: Some(2_000_000_000),
        ..MachineConfig::capture(stdin.to_vec())
    };
    rvmmu_tests::kernel::run_kernel(cfg, kernel)
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
    let qemu = rvmmu_tests::require_qemu_user(&format!("the Linux reference for {name}"))?;
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

/// The files processes.c expects besides itself: another program to execve, an
/// executable that is not ELF, a file without execute permission.
fn process_test_files() -> Vec<rvmmu::initramfs::File> {
    let file = |path: &str, data: Vec<u8>, mode| rvmmu::initramfs::File {
        path: path.to_string(),
        data,
        mode,
    };
    vec![
        file(
            "/bin/exit_code",
            std::fs::read(program_path("kernel/exit_code")).expect("read exit_code"),
            0o755,
        ),
        file("/bin/not_elf", b"just text\n".to_vec(), 0o755),
        file("/etc/data", b"data\n".to_vec(), 0o644),
    ]
}

/// The project's TAP tests: all pass on the kernel in both paging modes and A/D schemes,
/// and print what Linux (qemu-riscv64) prints.
#[test]
fn tap_tests_pass_and_print_what_linux_prints() {
    for name in [
        "tests/brk_semantics",
        "tests/mmap_semantics",
        "tests/fork_cow",
        "tests/processes",
        "tests/pipes",
        "tests/file_offsets",
        "tests/shared_anon",
    ] {
        // `check_rmap` checks the reverse map at every fork and exit; a wrong entry is a
        // warning, which `quiet` still prints, so the comparison below catches it.
        for mode in ["sv48", "sv39", "sv48 ad=fault", "sv39 check_rmap ad=fault"] {
            let (exit, console) =
                on_rvmmu_with(name, 128 << 20, mode, b"", "", process_test_files());
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

/// The `dump_proc` blocks of a console (the kernel prints /proc/1/maps and status each
/// time init is about to wait for console input), and the rest (the program's output).
fn split_dumps(console: &str) -> (Vec<String>, String) {
    const BEGIN: &str = "--- dump_proc: pid 1 waits for console input ---\n";
    const END: &str = "--- end of dump_proc ---\n";
    let (mut dumps, mut rest, mut s) = (Vec::new(), String::new(), console);
    while let Some(b) = s.find(BEGIN) {
        rest.push_str(&s[..b]);
        let after = &s[b + BEGIN.len()..];
        let e = after.find(END).expect("a dump ends");
        dumps.push(after[..e].to_string());
        s = &after[e + END.len()..];
    }
    rest.push_str(s);
    (dumps, rest)
}

/// The `[start, end)` and name of each line of a maps listing.
fn areas(dump: &str) -> Vec<(u64, u64, String)> {
    dump.lines()
        .skip_while(|l| *l != "/proc/1/maps:")
        .skip(1)
        .take_while(|l| *l != "/proc/1/status:")
        .map(|l| {
            let (range, _) = l.split_once(' ').unwrap();
            let (s, e) = range.split_once('-').unwrap();
            let name = l.get(73..).unwrap_or("").to_string();
            let hex = |x: &str| u64::from_str_radix(x, 16).unwrap();
            (hex(s), hex(e), name)
        })
        .collect()
}

/// A `Label:\t%8lu kB` value of the status in `dump`.
fn status_kb(dump: &str, label: &str) -> u64 {
    let line = dump
        .lines()
        .find(|l| l.starts_with(&format!("{label}:\t")))
        .unwrap_or_else(|| panic!("no {label} in\n{dump}"));
    line[label.len() + 2..]
        .trim()
        .trim_end_matches(" kB")
        .trim()
        .parse()
        .unwrap()
}

/// The hexadecimal numbers the program printed after `：` (its malloc addresses).
fn printed_addresses(output: &str) -> Vec<u64> {
    output
        .lines()
        .filter_map(|l| l.rsplit_once('：'))
        .filter_map(|(_, a)| u64::from_str_radix(a.trim_start_matches("0X"), 16).ok())
        .collect()
}

/// Runs a notes program with `dump_proc`: its output still matches Linux's, and the dumps
/// taken while it waits in getchar() are returned with its output.
fn dumps_of(name: &str, mem: u64, stdin: &[u8]) -> (Vec<String>, String) {
    let (exit, console) = on_rvmmu_args(name, mem, "sv48 dump_proc", stdin, "");
    assert_eq!(exit, Exit::Pass, "{console}");
    let (dumps, output) = split_dumps(&console);
    if let Some((_, linux)) = on_linux(name, stdin, &[]) {
        assert_eq!(normalize(&output), normalize(&linux));
    }
    for d in &dumps {
        assert!(d.contains("\nState:\tS (sleeping)\n"), "{d}");
    }
    (dumps, output)
}

#[test]
fn malloc_1_waiting_in_getchar_has_a_heap_that_stays_after_free() {
    let (dumps, output) = dumps_of("notes/malloc_1", 128 << 20, b"\n\n");
    assert_eq!(dumps.len(), 2, "one dump per getchar()");
    let addr = printed_addresses(&output)[0];
    for d in &dumps {
        let heap = areas(d)
            .into_iter()
            .find(|a| a.2 == "[heap]")
            .expect("a [heap]");
        assert!(
            heap.0 <= addr && addr < heap.1,
            "malloc(1) is in [heap]\n{d}"
        );
        // The notes' 132 KiB (glibc's first sbrk), here after the TLS block static glibc
        // puts at the heap's start.
        assert!(heap.1 - heap.0 >= 132 << 10, "{d}");
    }
    assert_eq!(areas(&dumps[0]), areas(&dumps[1]), "free() keeps the heap");
    insta::assert_snapshot!("malloc_1_before_free", dumps[0]);
    insta::assert_snapshot!("malloc_1_after_free", dumps[1]);
}

#[test]
fn alloc_4x1g_waiting_in_getchar_has_4_gib_mapped_and_little_resident() {
    let (dumps, output) = dumps_of("notes/alloc_4x1g", 2 << 30, b"\n");
    assert_eq!(dumps.len(), 1);
    let d = &dumps[0];
    let addrs = printed_addresses(&output);
    assert_eq!(addrs.len(), 4, "{output}");
    // glibc maps each block (1 GiB + a page) right below the previous one; as on Linux,
    // the kernel merges them into one anonymous area of over 4 GiB.
    let anon: Vec<_> = areas(d).into_iter().filter(|a| a.2.is_empty()).collect();
    assert_eq!(anon.len(), 1, "{d}");
    let (start, end, _) = anon[0];
    assert!(
        end - start >= 4 << 30 && end - start < (4 << 30) + (1 << 20),
        "{d}"
    );
    // %x printed the low 32 bits of each block's address: the first block is the highest.
    assert_eq!(addrs[0] as u32, (end - (1 << 30) - 4096 + 16) as u32, "{d}");
    assert!(status_kb(d, "VmSize") > 4 << 20, "{d}");
    assert!(
        status_kb(d, "VmRSS") < 1024,
        "untouched: only a few hundred KiB\n{d}"
    );
    insta::assert_snapshot!("alloc_4x1g_in_getchar", d);
}

/// The process tests on QEMU virt too (the same kernel, a real-time timer, so a different
/// interleaving of processes): the TAP output is the same as on rvmmu.
#[test]
fn process_tests_print_the_same_on_qemu_virt() {
    use rvmmu_tests::kernel::{boot_qemu, Boot};
    for name in [
        "tests/fork_cow",
        "tests/processes",
        "tests/pipes",
        "tests/file_offsets",
        "tests/shared_anon",
    ] {
        let base = name.rsplit('/').next().unwrap();
        let mut files = vec![rvmmu::initramfs::File {
            path: format!("/bin/{base}"),
            data: std::fs::read(program_path(name)).expect("read the program"),
            mode: 0o755,
        }];
        files.extend(process_test_files());
        for mode in ["sv39", "sv48"] {
            let (exit, console) =
                on_rvmmu_with(name, 128 << 20, mode, b"", "", process_test_files());
            assert_eq!(exit, Exit::Pass, "{name} {mode}\n{console}");
            let b = Boot {
                initrd: Some(rvmmu::initramfs::pack(&files).expect("an initramfs")),
                ..Boot::new(128 << 20, &format!("paging={mode} init=/bin/{base} quiet"))
            };
            if let Some((code, on_qemu)) = boot_qemu(&b) {
                assert_eq!(code, Some(0), "{name} {mode} on QEMU\n{on_qemu}");
                assert_eq!(
                    console, on_qemu,
                    "{name} {mode}: rvmmu (left) and QEMU (right)"
                );
            }
        }
    }
}

/// procwatch's reports (`--- procwatch: /proc/child/FILE (wait N) ---` and the file) by
/// wait, each the maps then the status, and the rest of the console (the program's output).
fn split_procwatch(console: &str) -> (Vec<(String, String)>, String) {
    let mut waits: Vec<(String, String)> = Vec::new();
    let mut rest = String::new();
    let mut current: Option<(bool, usize)> = None; // (is maps, wait index)
    for line in console.split_inclusive('\n') {
        if let Some(head) = line.strip_prefix("--- procwatch: /proc/child/") {
            let is_maps = head.starts_with("maps ");
            if is_maps {
                waits.push((String::new(), String::new()));
            }
            current = Some((is_maps, waits.len() - 1));
            continue;
        }
        match current {
            // A report ends where the next one starts or at the program's first line of
            // output (maps lines start with a hex digit, status lines with a label).
            Some((true, i)) if line.as_bytes()[0].is_ascii_hexdigit() && line.contains('-') => {
                waits[i].0.push_str(line)
            }
            Some((false, i)) if line.contains(":\t") || line.starts_with("Groups:") => {
                waits[i].1.push_str(line)
            }
            _ => {
                current = None;
                rest.push_str(line);
            }
        }
    }
    (waits, rest)
}

/// The notes' way of watching a program, with a second process as the notes do it: the
/// guest's procwatch runs the program with a pipe as its standard input and, each time it
/// waits in getchar(), reads its /proc/PID/maps and status. What the second process reads
/// is what the kernel's own dump (`dump_proc`) shows, the program still prints what Linux
/// prints, and the reports are snapshots.
#[test]
fn a_second_process_reads_the_proc_files_of_a_notes_program_in_getchar() {
    for (name, mem, input, snapshot) in [
        ("malloc_1", 128u64 << 20, &b"\n\n"[..], "procwatch_malloc_1"),
        ("alloc_4x1g", 2 << 30, &b"\n"[..], "procwatch_alloc_4x1g"),
    ] {
        let program = rvmmu::initramfs::File {
            path: format!("/bin/{name}"),
            data: std::fs::read(program_path(&format!("notes/{name}"))).expect("read"),
            mode: 0o755,
        };
        let (exit, console) = on_rvmmu_with(
            "tools/procwatch",
            mem,
            "sv48",
            input,
            &format!("/bin/{name}"),
            vec![program],
        );
        assert_eq!(exit, Exit::Pass, "{console}");
        let (waits, output) = split_procwatch(&console);
        let getchars = input.iter().filter(|&&b| b == b'\n').count();
        assert_eq!(waits.len(), getchars, "one report per getchar()\n{console}");
        if let Some((_, linux)) = on_linux(&format!("notes/{name}"), input, &[]) {
            assert_eq!(normalize(&output), normalize(&linux), "{console}");
        }
        // The kernel's own view of the same program at the same moments.
        let (dumps, _) = dumps_of(&format!("notes/{name}"), mem, input);
        for ((maps, status), dump) in waits.iter().zip(&dumps) {
            assert!(status.contains("\nState:\tS (sleeping)\n"), "{status}");
            assert!(status.contains("\nPid:\t2\nPPid:\t1\n"), "{status}");
            let dump_maps: String = dump
                .lines()
                .skip_while(|l| *l != "/proc/1/maps:")
                .skip(1)
                .take_while(|l| *l != "/proc/1/status:")
                .map(|l| format!("{l}\n"))
                .collect();
            // The same areas; only the program file's inode differs (the initramfs holds
            // procwatch too).
            let without_inode = |m: &str| -> Vec<String> {
                m.lines()
                    .map(|l| {
                        let mut f: Vec<&str> = l.split_whitespace().collect();
                        f.remove(4);
                        f.join(" ")
                    })
                    .collect()
            };
            assert_eq!(
                without_inode(maps),
                without_inode(&dump_maps),
                "procwatch (left), dump_proc (right)"
            );
            // Sizes agree; VmRSS may not: stdin is a pipe here (st_blksize 4096, so glibc's
            // stdin buffer is 4 KiB and its malloc touches one more heap page) and the
            // console there (st_blksize 1024).
            for label in ["VmSize", "VmData", "VmStk", "VmExe"] {
                assert_eq!(status_kb(status, label), status_kb(dump, label), "{label}");
            }
        }
        let (maps, status) = &waits[0];
        insta::assert_snapshot!(snapshot, format!("{maps}---\n{status}"));
    }
}
