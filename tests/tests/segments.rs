//! Segmented mode (issue 13): processes whose memory is a few contiguous physical segments
//! (text R-X, data + bss + heap RW-, stack RW-, each anonymous mmap RW-) that run in U-mode
//! with satp = Bare while the M-mode layer's PMP entries grant exactly those ranges.
//!
//! The guest programs are the static-pies of `programs/seg/` (built into rvmmu's /bin by
//! emu/build.rs, and by tests/build.rs for qemu-riscv64) and `segrun` (programs/bin). Each
//! run boots the built-in kernel on rvmmu as `rvmmu run` would (the built-in /bin, `paging=sv48
//! init=... -- ARGS`), with the command-line word `segments` where `rvmmu run --segments`
//! would add it.
//!
//! - seg_hello prints the same segmented (`--segments` and `segrun`), paged and under
//!   qemu-riscv64;
//! - every fault of seg_faults ends in SIGSEGV in both modes, and the kernel goes on;
//! - isolation: a segmented prober cannot read or write another segmented process's buffer.
//!
//! Under CI (`CI` set) a missing qemu-riscv64 or qemu-system-riscv64 fails the comparison
//! that needs it; elsewhere it is skipped with a line saying so.

use rvmmu::machine::{Exit, MachineConfig};
use std::time::Duration;

/// One boot of the kernel on rvmmu as `rvmmu run [--segments] --mem MEM`: init is `init`
/// with `args`; returns how it ended, the console log (program output with the kernel's
/// lines) and the program output alone.
fn boot(mem: u64, segments: bool, init: &str, args: &[&str]) -> (Exit, String, String) {
    let files = rvmmu::guest_bin::initramfs_files();
    assert!(
        !files.is_empty(),
        "rvmmu was built without its /bin (RVMMU_NO_KERNEL set?)"
    );
    let extra: Vec<String> = if segments {
        vec!["segments".into()]
    } else {
        Vec::new()
    };
    let args: Vec<String> = args.iter().map(|s| s.to_string()).collect();
    let bootargs =
        rvmmu::cli::kernel_cmdline("sv48", init, false, &extra, &args).expect("a command line");
    let cfg = MachineConfig {
        mem_size: mem,
        bootargs,
        initrd: Some(rvmmu::initramfs::pack(&files).expect("an initramfs")),
        max_insns: Some(3_000_000_000),
        ..MachineConfig::capture(Vec::new())
    };
    rvmmu_tests::kernel::run_kernel_split(
        cfg,
        rvmmu::kernel::embedded().expect("rvmmu was built with its kernel"),
    )
}

/// `rvmmu run -c SCRIPT` (init is the built-in /bin/sh), `--mem mem`: the console log and
/// the program output; the shell must end with status 0.
fn script(mem: u64, script: &str) -> (String, String) {
    let (exit, log, out) = boot(mem, false, "/bin/sh", &["-c", script]);
    assert_eq!(exit, Exit::Pass, "{script}:\n{log}");
    (log, out)
}

/// How many times the kernel logged an exec of `name` into segments (`proc::seg`'s
/// `NAME: segmented: entry ...` line): the proof that a run was segmented, not paged.
fn segmented_execs(log: &str, name: &str) -> usize {
    let line = format!("{name}: segmented: entry ");
    log.lines().filter(|l| l.contains(&line)).count()
}

/// The arguments seg_hello gets in every run.
const HELLO_ARGS: &[&str] = &["one", "two words"];

/// The TAP output of `what`, checked: no failure, a plan line.
fn assert_tap(what: &str, out: &str) {
    let oks = out.lines().filter(|l| l.starts_with("ok ")).count();
    assert!(
        oks > 0 && !out.lines().any(|l| l.starts_with("not ok")),
        "{what}: a check failed:\n{out}"
    );
    assert!(
        out.lines().any(|l| l == format!("1..{oks}")),
        "{what}: no plan line for {oks} checks:\n{out}"
    );
}

#[test]
fn seg_hello_prints_the_same_segmented_paged_and_under_qemu_user() {
    let (exit, log, paged) = boot(128 << 20, false, "/bin/seg_hello", HELLO_ARGS);
    assert_eq!(exit, Exit::Pass, "paged:\n{log}");
    assert_tap("seg_hello paged", &paged);
    assert_eq!(segmented_execs(&log, "seg_hello"), 0, "{log}");

    let (exit, log, segmented) = boot(128 << 20, true, "/bin/seg_hello", HELLO_ARGS);
    assert_eq!(exit, Exit::Pass, "--segments:\n{log}");
    assert_eq!(segmented_execs(&log, "seg_hello"), 1, "{log}");
    assert_eq!(
        segmented, paged,
        "--segments (left) and paged (right) differ"
    );

    let (log, via_segrun) = script(128 << 20, "segrun seg_hello one 'two words'");
    assert_eq!(
        via_segrun, paged,
        "segrun (left) and paged (right) differ:\n{log}"
    );
    assert_eq!(segmented_execs(&log, "seg_hello"), 1, "{log}");

    let Some(reference) = rvmmu_tests::linux::tap_on_qemu_user("seg/seg_hello", HELLO_ARGS) else {
        return;
    };
    assert_eq!(
        paged, reference,
        "rvmmu (left) and qemu-riscv64 (right) differ"
    );
}

/// seg_faults' modes (programs/seg/seg_faults.c).
const FAULTS: &[&str] = &[
    "null-write",
    "null-read",
    "text-write",
    "exec-data",
    "kernel-read",
    "kernel-write",
    "device-read",
];

#[test]
fn every_forbidden_access_is_sigsegv_in_both_modes_and_the_kernel_goes_on() {
    // One boot: each mode paged and segmented, the shell reporting the status (139: killed
    // by SIGSEGV), then a last line from the shell. (The script travels on the kernel
    // command line, which holds about a kilobyte: the runs with the handler get a boot of
    // their own.)
    let mut s = String::new();
    for mode in FAULTS {
        s.push_str(&format!(
            "seg_faults {mode}; echo paged {mode} $?; segrun seg_faults {mode}; echo segmented {mode} $?; "
        ));
    }
    s.push_str("echo the kernel is still here");
    let (log, out) = script(128 << 20, &s);
    for mode in FAULTS {
        for how in ["paged", "segmented"] {
            assert!(
                out.contains(&format!("{how} {mode} 139\n")),
                "{how} {mode}: not killed by SIGSEGV:\n{out}\n{log}"
            );
        }
    }
    assert!(out.ends_with("the kernel is still here\n"), "{out}\n{log}");
    assert_eq!(segmented_execs(&log, "seg_faults"), FAULTS.len(), "{log}");

    // With the handler: each mode's paged run prints what qemu-riscv64 prints (the same
    // si_code), and its segmented run is caught too, si_addr being the address touched.
    let mut s = String::new();
    for mode in FAULTS {
        s.push_str(&format!(
            "seg_faults {mode} catch; segrun seg_faults {mode} catch; "
        ));
    }
    s.push_str("echo the kernel is still here");
    let (_, out) = script(128 << 20, &s);
    assert!(out.ends_with("the kernel is still here\n"), "{out}");
    let caught: Vec<&str> = out.lines().filter(|l| l.starts_with("caught ")).collect();
    assert_eq!(caught.len(), 2 * FAULTS.len(), "{out}");
    for (i, mode) in FAULTS.iter().enumerate() {
        let (paged, segmented) = (caught[2 * i], caught[2 * i + 1]);
        // The kernel's rule is a page fault's: SEGV_MAPERR where no segment holds the
        // address, SEGV_ACCERR where one does but forbids the access.
        assert!(
            segmented.ends_with("si_addr is the address touched"),
            "segmented {mode}: {segmented}"
        );
        assert_eq!(
            segmented, paged,
            "{mode}: segmented (left) and paged (right)"
        );
        let Some(qemu) = rvmmu_tests::require_qemu_user("seg_faults under qemu-riscv64") else {
            continue;
        };
        let path = rvmmu_tests::linux_program("seg/seg_faults").expect("seg/seg_faults built");
        let run = rvmmu_tests::linux::run_user(
            &qemu,
            path,
            &[mode, "catch"],
            b"",
            Duration::from_secs(30),
        )
        .expect("run qemu-riscv64");
        assert_eq!(run.code, Some(0), "{mode} under qemu-riscv64: {run:?}");
        assert_eq!(
            run.stdout,
            format!("seg_faults: {mode}\n{paged}\n"),
            "{mode}: qemu-riscv64 (left) and paged rvmmu (right) differ"
        );
    }
}

#[test]
fn a_segmented_process_cannot_touch_another_ones_memory() {
    // The secret holder (segmented) writes its buffer's physical address to a file; a
    // segmented prober reads, then writes there: SIGSEGV both times; then the holder finds
    // its buffer unchanged.
    let (log, out) = script(
        128 << 20,
        "segrun seg_isolation secret /tmp/addr & sleep 1; \
         segrun seg_isolation probe /tmp/addr read; echo read $?; \
         segrun seg_isolation probe /tmp/addr write; echo write $?; \
         kill -USR1 $!; wait $!; echo secret $?",
    );
    assert_eq!(
        out,
        "secret: ready\n\
         probe: reading the other process's buffer\nread 139\n\
         probe: writing to the other process's buffer\nwrite 139\n\
         secret: buffer unchanged\nsecret 0\n",
        "{log}"
    );
    assert_eq!(segmented_execs(&log, "seg_isolation"), 3, "{log}");
}

#[test]
fn segrun_and_the_fault_checks_behave_the_same_on_qemu_virt() {
    // The reference machine: the same kernel and /bin on qemu-system-riscv64 -machine virt
    // (16 PMP entries), the same script through the built-in shell.
    let script = "segrun seg_hello one 'two words'; echo hello $?; \
                  segrun seg_faults kernel-read; echo kernel-read $?; \
                  segrun seg_faults device-read catch; echo device-read $?";
    let files = rvmmu::guest_bin::initramfs_files();
    assert!(!files.is_empty(), "rvmmu was built without its /bin");
    let bootargs =
        rvmmu::cli::kernel_cmdline("sv48", "/bin/sh", false, &[], &["-c".into(), script.into()])
            .expect("a command line");
    let (log, on_rvmmu) = self::script(128 << 20, script);
    assert_eq!(segmented_execs(&log, "seg_hello"), 1, "{log}");
    assert!(
        on_rvmmu.contains("\nhello 0\n") && on_rvmmu.contains("\nkernel-read 139\n"),
        "{on_rvmmu}"
    );
    let b = rvmmu_tests::kernel::Boot {
        initrd: Some(rvmmu::initramfs::pack(&files).expect("an initramfs")),
        ..rvmmu_tests::kernel::Boot::new(128 << 20, &bootargs)
    };
    let Some((code, console)) = rvmmu_tests::kernel::boot_qemu(&b) else {
        return;
    };
    assert_eq!(code, Some(0), "QEMU:\n{console}");
    assert_eq!(segmented_execs(&console, "seg_hello"), 1, "{console}");
    assert_eq!(segmented_execs(&console, "seg_faults"), 2, "{console}");
    // What the programs and the shell printed: the same lines (kernel lines left out; on
    // QEMU they share the console).
    let on_qemu = rvmmu_tests::kernel::program_output(&console);
    assert_eq!(on_qemu, on_rvmmu, "QEMU (left) and rvmmu (right) differ");
}

#[test]
fn the_translation_trace_shows_a_segmented_process_checked_by_pmp_alone() {
    // `rvmmu run --segments --trace translations --trace-pid 1 seg_faults text-write`, as
    // the machine sees it: every access of the process is a Bare lookup judged by PMP at
    // the same address, and the store into its text is refused by the entry that grants
    // its fetches.
    use rvmmu::trace::{Filter, Format};
    let buf = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let files = rvmmu::guest_bin::initramfs_files();
    let bootargs = rvmmu::cli::kernel_cmdline(
        "sv48",
        "/bin/seg_faults",
        false,
        &["segments".into()],
        &["text-write".into()],
    )
    .expect("a command line");
    let cfg = MachineConfig {
        mem_size: 128 << 20,
        bootargs,
        initrd: Some(rvmmu::initramfs::pack(&files).expect("an initramfs")),
        max_insns: Some(500_000_000),
        trace: Some(rvmmu::machine::TraceConfig {
            out: Box::new(rvmmu_tests::SharedBuf(buf.clone())),
            format: Format::Text,
            insns: false,
            translations: Some(Filter::default()),
            events: Default::default(),
            pid: Some(1),
        }),
        ..MachineConfig::capture(Vec::new())
    };
    let (exit, log, out) = rvmmu_tests::kernel::run_kernel_split(
        cfg,
        rvmmu::kernel::embedded().expect("rvmmu was built with its kernel"),
    );
    // init killed by SIGSEGV: the finisher's `0x100 | signal` code.
    assert_eq!(exit, Exit::Fail(0x100 | 11), "{log}");
    assert_eq!(out, "seg_faults: text-write\n", "{log}");
    assert_eq!(segmented_execs(&log, "seg_faults"), 1, "{log}");
    let trace = String::from_utf8(buf.lock().unwrap().clone()).expect("UTF-8 trace");
    // Fields: count, privilege, ASID, access, VA, pa=/fault=, lookup, pmp=...
    let user: Vec<Vec<&str>> = trace
        .lines()
        .map(|l| l.split_whitespace().collect::<Vec<_>>())
        .filter(|f| f.get(1) == Some(&"U"))
        .collect();
    assert!(user.len() > 1000, "too few user records:\n{trace}");
    for f in &user {
        assert_eq!(f[2], "----", "no ASID with paging off: {f:?}");
        assert_eq!(
            f[6], "bare",
            "a segmented process never walks a table: {f:?}"
        );
        assert!(f[7].starts_with("pmp="), "PMP judged it: {f:?}");
        if let Some(pa) = f[5].strip_prefix("pa=") {
            assert_eq!(
                u64::from_str_radix(pa, 16).ok(),
                u64::from_str_radix(f[4], 16).ok(),
                "virtual = physical: {f:?}"
            );
        }
    }
    // Its last access: the store into its text, refused by the entry of its fetches.
    let last = user.last().unwrap();
    assert_eq!(
        (last[3], last[5]),
        ("S", "fault=store-access-fault"),
        "{last:?}"
    );
    let text_entry = last[7];
    let fetches = user.iter().filter(|f| f[3] == "F").count();
    let from_text = user
        .iter()
        .filter(|f| f[3] == "F" && f[7] == text_entry)
        .count();
    assert!(
        fetches > 0 && from_text * 10 > fetches * 9,
        "the fetches come from the text segment's entry {text_entry}: {from_text} of {fetches}"
    );
    // Every earlier access succeeded (the faulting store is the first refusal).
    let refused = user.iter().filter(|f| f[5].starts_with("fault=")).count();
    assert_eq!(refused, 1, "only the store into the text is refused");
}

/// A /proc/segmentinfo summary line's value in kB (`MemFree:  242108 kB`).
fn info_kb(block: &str, label: &str) -> u64 {
    block
        .lines()
        .find_map(|l| l.strip_prefix(label))
        .and_then(|v| v.trim().trim_end_matches(" kB").trim().parse().ok())
        .unwrap_or_else(|| panic!("no {label} in\n{block}"))
}

/// The holes of a /proc/segmentinfo: (start, size in kB).
fn holes(block: &str) -> Vec<(String, u64)> {
    block
        .lines()
        .filter_map(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            (f.len() == 5 && f[1].starts_with("0x") && f[4] == "kB")
                .then(|| (f[1].to_string(), f[3].parse().expect("a size")))
        })
        .collect()
}

#[test]
fn the_notes_fragmentation_example_at_1g_segmented_and_paged() {
    // Segmented: game, browser and music side by side; the browser ends and leaves a
    // 128 MiB hole; a 200 MiB program finds no hole although more than 200 MiB are free.
    let (log, out) = script(
        1 << 30,
        "segrun memhog game 512 & sleep 2; segrun memhog browser 128 & B=$!; sleep 2; \
         segrun memhog music 256 & sleep 2; cat /proc/segmentinfo; kill $B; wait $B; \
         echo browser $?; cat /proc/segmentinfo; segrun memhog prog 200; echo prog $?; \
         kill %1 %3",
    );
    for line in [
        "game: 512 MiB ready\n",
        "browser: 128 MiB ready\n",
        "music: 256 MiB ready\n",
        "browser 143\n",
        "prog: cannot allocate 200 MiB\nprog 1\n",
    ] {
        assert!(out.contains(line), "no {line:?} in\n{out}\n{log}");
    }
    assert_eq!(segmented_execs(&log, "memhog"), 4, "{log}");
    let infos: Vec<&str> = out.split("Policy:").skip(1).collect();
    assert_eq!(infos.len(), 2, "{out}");
    let (before, after) = (infos[0], infos[1]);
    let mib = 1024;
    // Before: the largest hole is what is left at the top, less than 128 MiB.
    assert!(info_kb(before, "LargestHole:") < 128 * mib, "{before}");
    // After: a new hole of the browser's 128 MiB (its segments and stack), the total free
    // above 200 MiB, the largest hole below it.
    let old: Vec<String> = holes(before).into_iter().map(|(s, _)| s).collect();
    let browser_hole = holes(after)
        .into_iter()
        .find(|(start, kb)| !old.contains(start) && *kb >= 128 * mib);
    assert!(
        browser_hole.is_some(),
        "no 128 MiB hole where the browser was:\n{after}"
    );
    assert!(info_kb(after, "MemFree:") > 200 * mib, "{after}");
    assert!(info_kb(after, "LargestHole:") < 200 * mib, "{after}");

    // Paged, the same sequence: pages need no contiguity, so the 200 MiB program starts.
    let (log, out) = script(
        1 << 30,
        "memhog game 512 & sleep 2; memhog browser 128 & B=$!; sleep 2; \
         memhog music 256 & sleep 2; kill $B; wait $B; echo browser $?; \
         memhog prog 200 & P=$!; sleep 2; kill %1 %3 $P; echo done",
    );
    assert_eq!(
        out,
        "game: 512 MiB ready\nbrowser: 128 MiB ready\nmusic: 256 MiB ready\nbrowser 143\n\
         prog: 200 MiB ready\ndone\n",
        "{log}"
    );
    assert_eq!(segmented_execs(&log, "memhog"), 0, "{log}");
}

#[test]
fn segrun_reports_what_cannot_run_segmented_as_a_shell_would() {
    // ps is a static glibc ET_EXEC: ENOEXEC (126) with the kernel's reason in the log; a
    // missing program 127; no program: the usage line and 1.
    let (log, out) = script(
        128 << 20,
        "segrun ps; echo status $?; segrun nothere; echo status $?; segrun; echo status $?",
    );
    assert_eq!(
        out,
        "segrun: ps: Exec format error\nstatus 126\n\
         segrun: nothere: No such file or directory\nstatus 127\n\
         usage: segrun PROG [ARGS...]\n\
         runs PROG with its memory in contiguous segments guarded by PMP\nstatus 1\n",
        "{log}"
    );
    assert!(
        log.contains("exec: /bin/ps: not a static-pie (ET_EXEC)"),
        "{log}"
    );
    // On Linux the bit is accepted and ignored: segrun under qemu-riscv64 execs (on the
    // host) qemu-riscv64 again with seg_hello, which runs paged and prints what it prints
    // without segrun.
    let Some(qemu) = rvmmu_tests::require_qemu_user("segrun under qemu-riscv64") else {
        return;
    };
    let Some(reference) = rvmmu_tests::linux::tap_on_qemu_user("seg/seg_hello", HELLO_ARGS) else {
        return;
    };
    let segrun = rvmmu_tests::linux_program("bin/segrun").expect("bin/segrun was built");
    let hello = rvmmu_tests::linux_program("seg/seg_hello").expect("seg/seg_hello was built");
    let qemu_path = qemu.to_str().expect("a UTF-8 path");
    let run = rvmmu_tests::linux::run_user_env(
        &qemu,
        segrun,
        &[qemu_path, hello, HELLO_ARGS[0], HELLO_ARGS[1]],
        b"",
        &[("RVMMU_ON_QEMU_USER", "1")],
        Duration::from_secs(60),
    )
    .expect("run qemu-riscv64");
    assert_eq!(run.code, Some(0), "{run:?}");
    let out = rvmmu_tests::linux::without_qemu_skips(&run.stdout);
    assert_eq!(out, reference, "segrun seg_hello (left), seg_hello (right)");
}
