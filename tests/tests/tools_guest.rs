//! The /proc tools of `programs/bin` (built into rvmmu's /bin by emu/build.rs) on the rvmmu
//! kernel:
//!
//! - `programs/tools/tools_check.c` starts the notes' malloc_1 with a pipe on its input,
//!   waits until it is asleep in getchar(), runs ps, pmap, free and top on it and checks
//!   their layout and that their numbers are the ones /proc gives (VSZ = VmSize, RSS =
//!   VmRSS, pmap's totals, free's MemTotal...). The same driver runs under qemu-riscv64
//!   (each tool through qemu-riscv64 again), where the host's /proc answers: the TAP lines
//!   must be the same.
//! - Each tool as init, as `rvmmu run TOOL ARGS` runs it: what it prints has the reference
//!   tool's structure and numbers the kernel's files back.

use rvmmu::initramfs::File;
use rvmmu::machine::{Exit, MachineConfig};
use std::time::Duration;

/// Runs `/bin/NAME ARGS` as init on an initramfs with rvmmu's built-in /bin (as `rvmmu run`
/// packs it) and `extra`: how it ended and the console.
fn run_on_rvmmu(name: &str, args: &[&str], extra: Vec<File>) -> (Exit, String) {
    let mut files = rvmmu::guest_bin::initramfs_files();
    assert!(
        !files.is_empty(),
        "rvmmu was built without its /bin (RVMMU_NO_KERNEL set?)"
    );
    files.extend(extra);
    let mut bootargs = format!("paging=sv48 init=/bin/{name} quiet");
    if !args.is_empty() {
        bootargs.push_str(" --");
        for a in args {
            bootargs.push(' ');
            bootargs.push_str(a);
        }
    }
    let cfg = MachineConfig {
        mem_size: 128 << 20,
        bootargs,
        initrd: Some(rvmmu::initramfs::pack(&files).expect("an initramfs")),
        max_insns: Some(4_000_000_000),
        ..MachineConfig::capture(Vec::new())
    };
    rvmmu_tests::kernel::run_kernel(
        cfg,
        rvmmu::kernel::embedded().expect("rvmmu was built with its kernel"),
    )
}

/// The TAP lines of `out`, checked: a plan last, no "not ok".
fn assert_all_pass(what: &str, out: &str) {
    let oks = out.lines().filter(|l| l.starts_with("ok ")).count();
    assert!(
        !out.lines().any(|l| l.starts_with("not ok")),
        "{what}: a check failed:\n{out}"
    );
    assert!(
        out.lines().any(|l| l == format!("1..{oks}")) && oks > 0,
        "{what}: no plan line for {oks} checks:\n{out}"
    );
}

fn tools_check() -> &'static str {
    rvmmu_tests::linux_program("tools/tools_check").expect("tools/tools_check was built")
}

#[test]
fn ps_pmap_free_and_top_show_what_proc_says_about_a_waiting_notes_program() {
    let driver = File {
        path: "/bin/tools_check".into(),
        data: std::fs::read(tools_check()).expect("read tools_check"),
        mode: 0o755,
    };
    let (exit, console) = run_on_rvmmu("tools_check", &["/bin", "/bin/malloc_1"], vec![driver]);
    assert_eq!(exit, Exit::Pass, "{console}");
    let out = rvmmu_tests::kernel::program_output(&console);
    assert_all_pass("tools_check on rvmmu", &out);

    // The reference: the same driver under qemu-riscv64, with the riscv64 tools (built
    // from the same sources by tests/build.rs) run through qemu-riscv64 too.
    let Some(qemu) = rvmmu_tests::require_qemu_user("tools_check under qemu-riscv64") else {
        return;
    };
    let ps = rvmmu_tests::linux_program("bin/ps").expect("bin/ps was built");
    let tooldir = std::path::Path::new(ps).parent().unwrap().to_str().unwrap();
    let malloc_1 = rvmmu_tests::linux_program("notes/malloc_1").expect("notes/malloc_1 was built");
    let run = rvmmu_tests::linux::run_user_env(
        &qemu,
        tools_check(),
        &[tooldir, malloc_1],
        b"",
        &[
            ("RVMMU_ON_QEMU_USER", "1"),
            ("TOOLS_EXEC", qemu.to_str().unwrap()),
        ],
        Duration::from_secs(120),
    )
    .expect("run qemu-riscv64");
    assert_eq!(run.code, Some(0), "{}{}", run.stdout, run.stderr);
    let reference = rvmmu_tests::linux::without_qemu_skips(&run.stdout);
    assert_all_pass("tools_check under qemu-riscv64", &reference);
    assert_eq!(
        out, reference,
        "rvmmu (left) and qemu-riscv64 (right) differ"
    );
}

/// The program's output of a run of `/bin/NAME ARGS` that must end with status 0.
fn tool_output(name: &str, args: &[&str]) -> String {
    let (exit, console) = run_on_rvmmu(name, args, Vec::new());
    assert_eq!(exit, Exit::Pass, "{name} {args:?}:\n{console}");
    rvmmu_tests::kernel::program_output(&console)
}

/// The number after `key` in the kernel's file text `text` (a `/proc/meminfo` line).
fn value_of(text: &str, key: &str) -> u64 {
    text.lines()
        .find_map(|l| l.strip_prefix(key))
        .and_then(|r| r.split_whitespace().next())
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("no {key} in\n{text}"))
}

#[test]
fn free_and_vmstat_show_the_kernels_meminfo() {
    let meminfo = tool_output("cat", &["/proc/meminfo"]);
    let total = value_of(&meminfo, "MemTotal:");
    let free = tool_output("free", &[]);
    let lines: Vec<&str> = free.lines().collect();
    assert_eq!(
        lines[0],
        "               total        used        free      shared  buff/cache   available"
    );
    let mem: Vec<&str> = lines[1].split_whitespace().collect();
    assert_eq!(mem.len(), 7, "{free}");
    assert_eq!(mem[0], "Mem:");
    assert_eq!(mem[1].parse::<u64>().unwrap(), total);
    // used = total - available (procps-ng 4); the free one's run sees its own memory, so
    // only the identity is checked.
    let n = |i: usize| mem[i].parse::<u64>().unwrap();
    assert_eq!(n(2), n(1) - n(6), "{free}");
    assert_eq!(
        lines[2].split_whitespace().collect::<Vec<_>>(),
        ["Swap:", "0", "0", "0"]
    );
    // -m: whole MiB, rounded down.
    let free_m = tool_output("free", &["-m"]);
    let mem_m: Vec<&str> = free_m.lines().nth(1).unwrap().split_whitespace().collect();
    assert_eq!(mem_m[1].parse::<u64>().unwrap(), total / 1024, "{free_m}");

    let vmstat = tool_output("vmstat", &[]);
    let lines: Vec<&str> = vmstat.lines().collect();
    assert_eq!(
        lines[..2],
        [
            "procs -----------memory---------- ---swap-- -----io---- -system-- ------cpu-----",
            " r  b   swpd   free   buff  cache   si   so    bi    bo   in   cs us sy id wa st"
        ]
    );
    let v: Vec<u64> = lines[2]
        .split_whitespace()
        .map(|w| w.parse().unwrap())
        .collect();
    assert_eq!(v.len(), 17, "{vmstat}");
    assert_eq!(v[0], 1, "vmstat itself is the one runnable process");
    assert_eq!(v[2], 0, "no swap in use");
    assert_eq!(
        v[12] + v[13] + v[14] + v[15] + v[16],
        100,
        "the CPU columns: {vmstat}"
    );

    // vmstat 1 3: the averages since boot, then two one-second intervals in which vmstat
    // sleeps: the CPU is idle, and the timer's interrupts arrive.
    let vmstat = tool_output("vmstat", &["1", "3"]);
    let rows: Vec<Vec<u64>> = vmstat
        .lines()
        .skip(2)
        .map(|l| l.split_whitespace().map(|w| w.parse().unwrap()).collect())
        .collect();
    assert_eq!(rows.len(), 3, "{vmstat}");
    for r in &rows[1..] {
        assert_eq!(r.len(), 17, "{vmstat}");
        assert!(r[14] >= 90, "idle while vmstat sleeps: {vmstat}");
        assert!(r[10] > 0, "interrupts: {vmstat}");
    }
}

#[test]
fn sysctl_reads_and_writes_proc_sys() {
    assert_eq!(
        tool_output("sysctl", &["vm.swappiness"]),
        "vm.swappiness = 60\n"
    );
    assert_eq!(
        tool_output("sysctl", &["-w", "vm.swappiness=10"]),
        "vm.swappiness = 10\n"
    );
    let all = tool_output("sysctl", &["-a"]);
    for line in [
        "kernel.ostype = Linux",
        "vm.swappiness = 60",
        "vm.overcommit_memory = 0",
    ] {
        assert!(all.lines().any(|l| l == line), "{line} not in\n{all}");
    }
    // Out of range: the kernel refuses it, sysctl says so and fails.
    let (exit, console) = run_on_rvmmu("sysctl", &["-w", "vm.swappiness=1000"], Vec::new());
    assert_ne!(exit, Exit::Pass, "{console}");
    assert!(
        console.contains("sysctl: setting key \"vm.swappiness\": Invalid argument"),
        "{console}"
    );
}

#[test]
fn ps_top_and_kill_describe_the_one_process() {
    let ps = tool_output("ps", &["aux"]);
    let lines: Vec<&str> = ps.lines().collect();
    assert_eq!(
        lines,
        [
            "USER       PID %CPU %MEM    VSZ   RSS TTY      STAT START   TIME COMMAND",
            lines[1]
        ]
    );
    let f: Vec<&str> = lines[1].split_whitespace().collect();
    assert_eq!(f[..2], ["root", "1"], "{ps}");
    // init leads the session whose controlling terminal is the console, in its
    // foreground group: TTY ttyS0, STAT Rs+ (as a shell's command on a Linux console).
    assert_eq!(f[6..8], ["ttyS0", "Rs+"], "{ps}");
    assert_eq!(f[10..], ["/bin/ps", "aux"], "{ps}");

    let top = tool_output("top", &["-b", "-n", "1"]);
    let lines: Vec<&str> = top.lines().collect();
    assert!(lines[0].starts_with("top - 00:00:0"), "{top}");
    assert!(
        lines[0].contains(" up 0 min,  0 user,  load average: "),
        "{top}"
    );
    assert_eq!(
        lines[1],
        "Tasks:   1 total,   1 running,   0 sleeping,   0 stopped,   0 zombie"
    );
    assert!(lines[2].starts_with("%Cpu(s):"), "{top}");
    assert!(lines[3].starts_with("MiB Mem : "), "{top}");
    assert!(
        lines[4].starts_with("MiB Swap:      0.0 total,      0.0 free,      0.0 used."),
        "{top}"
    );
    assert_eq!(lines[5], "");
    assert_eq!(
        lines[6],
        "  PID USER      PR  NI    VIRT    RES    SHR S  %CPU  %MEM     TIME+ COMMAND"
    );
    let f: Vec<&str> = lines[7].split_whitespace().collect();
    assert_eq!(f.len(), 12, "{top}");
    assert_eq!(f[..4], ["1", "root", "20", "0"], "{top}");
    assert_eq!(f[7], "R", "{top}");
    assert_eq!(f[11], "top", "{top}");

    assert_eq!(
        tool_output("kill", &["-l"]),
        "HUP INT QUIT ILL TRAP ABRT BUS FPE KILL USR1 SEGV USR2 PIPE ALRM TERM STKFLT\n\
         CHLD CONT STOP TSTP TTIN TTOU URG XCPU XFSZ VTALRM PROF WINCH POLL PWR SYS\n"
    );
    // kill -0 1: init exists; kill -s TERM of a pid that does not: an error.
    assert_eq!(tool_output("kill", &["-0", "1"]), "");
    let (exit, console) = run_on_rvmmu("kill", &["-s", "TERM", "999"], Vec::new());
    assert_ne!(exit, Exit::Pass);
    assert!(
        console.contains("kill: (999): No such process"),
        "{console}"
    );
}

#[test]
fn sar_reports_paging_rates_over_virtual_seconds() {
    let sar = tool_output("sar", &["-B", "1", "2"]);
    let lines: Vec<&str> = sar.lines().collect();
    assert_eq!(lines.len(), 6, "{sar}");
    assert_eq!(
        lines[0],
        "Linux 6.1.0-rvmmu (rvmmu) \t01/01/70 \t_riscv64_\t(1 CPU)"
    );
    assert_eq!(lines[1], "");
    assert_eq!(
        lines[2],
        "00:00:00     pgpgin/s pgpgout/s   fault/s  majflt/s  pgfree/s pgscank/s pgscand/s pgsteal/s    %vmeff"
    );
    assert!(lines[3].starts_with("00:00:01 "), "{sar}");
    assert!(lines[4].starts_with("00:00:02 "), "{sar}");
    assert!(lines[5].starts_with("Average:    "), "{sar}");
    for l in &lines[3..] {
        let f: Vec<&str> = l.split_whitespace().collect();
        assert_eq!(f.len(), 10, "{l}");
        // sar faults while it runs (its own stack, its buffers): a rate above 0; nothing is
        // scanned or stolen without memory pressure.
        assert!(f[3].parse::<f64>().unwrap() >= 0.0, "{l}");
        assert_eq!(f[6..], ["0.00", "0.00", "0.00", "0.00"], "{l}");
    }
}

#[test]
fn proc_stat_uptime_and_loadavg_count_virtual_time() {
    let stat = tool_output("cat", &["/proc/stat"]);
    let lines: Vec<&str> = stat.lines().collect();
    let cpu: Vec<&str> = lines[0].split_whitespace().collect();
    assert_eq!(cpu[0], "cpu");
    assert_eq!(cpu.len(), 11, "{stat}");
    assert_eq!(lines[1].split_whitespace().next(), Some("cpu0"));
    for key in [
        "intr ",
        "ctxt ",
        "btime 0",
        "processes 0",
        "procs_running 1",
        "procs_blocked 0",
    ] {
        assert!(lines.iter().any(|l| l.starts_with(key)), "{key} in\n{stat}");
    }
    let up = tool_output("cat", &["/proc/uptime"]);
    let f: Vec<f64> = up.split_whitespace().map(|w| w.parse().unwrap()).collect();
    assert_eq!(f.len(), 2, "{up}");
    assert!(f[1] <= f[0], "idle within uptime: {up}");
    // Right after boot: no 5-second sample yet; one process (the reader, runnable), pid 1
    // the last given out.
    let load = tool_output("cat", &["/proc/loadavg"]);
    let f: Vec<&str> = load.split_whitespace().collect();
    assert_eq!(f, ["0.00", "0.00", "0.00", "1/1", "1"], "{load}");
}

#[test]
fn smaps_rollup_adds_up_to_status() {
    // The reader's own files: the rollup's Rss is VmRSS, its Swap VmSwap, read together.
    let out = tool_output("cat", &["/proc/self/status", "/proc/self/smaps_rollup"]);
    let rss = value_of(&out, "VmRSS:");
    let rollup_rss = value_of(&out, "Rss:");
    // cat's two reads are one process at two moments: its RSS may grow between them (a
    // page of its buffer), never shrink.
    assert!(rollup_rss >= rss && rollup_rss <= rss + 8, "{out}");
    assert_eq!(value_of(&out, "Swap:"), 0, "{out}");
    assert!(out.contains("[rollup]\n"), "{out}");
    let pss = value_of(&out, "Pss:");
    assert_eq!(
        pss, rollup_rss,
        "nothing shared with another process: {out}"
    );
}
