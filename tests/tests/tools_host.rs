//! The tools of `programs/bin` built with the host's `cc` and run on the host's Linux beside
//! the real ones (procps-ng: free, ps, top, vmstat, pmap, sysctl, kill; sysstat: sar;
//! coreutils: cat), compared on what cannot move between two runs a moment apart: header
//! lines exactly, the column layout (field counts, where right-aligned columns end), and
//! the values that are fixed (MemTotal and SwapTotal in free; a sleeping process's PID,
//! VSZ, RSS, STAT and command in ps and top; its whole pmap). Without `cc`, procps or
//! sysstat the comparison is skipped, unless `CI` is set: then it fails.

use rvmmu_tests::process::run_with_timeout;
use std::path::{Path, PathBuf};
use std::process::{Child, Command};
use std::time::Duration;

/// Builds `programs/bin/NAME.c` with the host's cc into `dir`.
fn build(cc: &Path, dir: &Path, name: &str) -> PathBuf {
    let src = rvmmu_tests::kernel::repo_root()
        .join("programs")
        .join("bin")
        .join(format!("{name}.c"));
    let exe = dir.join(name);
    let mut cmd = Command::new(cc);
    cmd.args(["-O2", "-Wall", "-Werror", "-o"])
        .arg(&exe)
        .arg(&src);
    let out = run_with_timeout(cmd, None, Duration::from_secs(120)).expect("run cc");
    assert!(
        out.status.is_some_and(|s| s.success()),
        "building {} for the host failed:\n{}",
        src.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    exe
}

/// Runs `program ARGS` (in the C locale, as the tests expect its dates); its output.
fn output(program: &Path, args: &[&str]) -> String {
    let mut cmd = Command::new(program);
    cmd.args(args).env("LC_ALL", "C").env_remove("COLUMNS");
    let out = run_with_timeout(cmd, None, Duration::from_secs(60)).expect("run a tool");
    assert!(
        out.status.is_some_and(|s| s.success()),
        "{} {args:?} failed:\n{}",
        program.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// A real tool by name, from the directory procps's `ps` is in or the usual ones.
fn real(ps: &Path, name: &str) -> PathBuf {
    let dirs = [
        ps.parent().unwrap(),
        Path::new("/usr/bin"),
        Path::new("/bin"),
        Path::new("/usr/sbin"),
        Path::new("/sbin"),
    ];
    dirs.iter()
        .map(|d| d.join(name))
        .find(|p| p.is_file())
        .unwrap_or_else(|| panic!("procps is installed but has no {name}"))
}

/// The fields of each line.
fn words(text: &str) -> Vec<Vec<&str>> {
    text.lines()
        .map(|l| l.split_whitespace().collect())
        .collect()
}

/// The column where each field of `line` ends (right-aligned columns line up there).
fn field_ends(line: &str) -> Vec<usize> {
    let b = line.as_bytes();
    (0..b.len())
        .filter(|&i| b[i] != b' ' && (i + 1 == b.len() || b[i + 1] == b' '))
        .collect()
}

/// `line` without its numbers, its words separated by one blank.
fn shape(line: &str) -> String {
    let no_numbers: String = line
        .chars()
        .filter(|c| !c.is_ascii_digit() && *c != '.')
        .collect();
    no_numbers.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// A process that sleeps (coreutils' sleep) for the comparisons, killed when dropped.
struct Sleeper(Child);

impl Sleeper {
    fn start() -> Sleeper {
        let child = Command::new("sleep")
            .arg("60")
            .spawn()
            .expect("start sleep");
        // Until it is asleep in nanosleep, with its memory settled.
        let stat = format!("/proc/{}/stat", child.id());
        for _ in 0..5000 {
            let s = std::fs::read_to_string(&stat).unwrap_or_default();
            if s.rsplit_once(')')
                .is_some_and(|(_, r)| r.trim_start().starts_with('S'))
            {
                break;
            }
            std::thread::sleep(Duration::from_millis(1));
        }
        std::thread::sleep(Duration::from_millis(50));
        Sleeper(child)
    }
    fn pid(&self) -> String {
        self.0.id().to_string()
    }
}

impl Drop for Sleeper {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// The compiler and the procps `ps`, or None (skipped) outside CI.
fn needs() -> Option<(PathBuf, PathBuf)> {
    let cc = rvmmu_tests::require_host_cc("building programs/bin for the host")?;
    let ps = rvmmu_tests::require_procps("comparing programs/bin with procps")?;
    Some((cc, ps))
}

#[test]
fn free_matches_procps() {
    let Some((cc, ps)) = needs() else { return };
    let dir = tempfile::tempdir().unwrap();
    let ours = build(&cc, dir.path(), "free");
    let theirs = real(&ps, "free");
    for args in [
        &[][..],
        &["-m"],
        &["-g"],
        &["-b"],
        &["-h"],
        &["-w"],
        &["-h", "--si"],
    ] {
        let (a, b) = (output(&ours, args), output(&theirs, args));
        let (wa, wb) = (words(&a), words(&b));
        assert_eq!(
            a.lines().next(),
            b.lines().next(),
            "free {args:?}: the header"
        );
        assert_eq!(wa.len(), 3, "free {args:?}:\n{a}");
        for i in 1..3 {
            assert_eq!(wa[i].len(), wb[i].len(), "free {args:?}:\n{a}\n{b}");
            assert_eq!(
                wa[i][..2],
                wb[i][..2],
                "free {args:?}: label and total:\n{a}\n{b}"
            );
            // Every number is right-aligned at the same columns.
            assert_eq!(
                field_ends(a.lines().nth(i).unwrap()),
                field_ends(b.lines().nth(i).unwrap()),
                "free {args:?}: the columns:\n{a}\n{b}"
            );
        }
        // Swap: fixed unless the host swaps at this moment.
        assert_eq!(wa[2][1], wb[2][1], "free {args:?}: SwapTotal");
    }
}

#[test]
fn ps_matches_procps_on_a_sleeping_process() {
    let Some((cc, ps)) = needs() else { return };
    let dir = tempfile::tempdir().unwrap();
    let ours = build(&cc, dir.path(), "ps");
    let s = Sleeper::start();
    let pid = s.pid();
    // Fixed fields: everything of -o pid,vsz,rss,stat,comm,ppid,tty,user,ni,pri.
    for list in [
        "pid,vsz,rss,stat,comm",
        "pid,ppid,pgid,sid,tty,tpgid,user,ni,pri,args",
    ] {
        let args = ["-o", list, "-p", &pid];
        assert_eq!(output(&ours, &args), output(&ps, &args), "ps {args:?}");
    }
    let line_of = |text: &str, col: usize| -> String {
        text.lines()
            .find(|l| l.split_whitespace().nth(col) == Some(pid.as_str()))
            .unwrap_or_else(|| panic!("no line for {pid} in\n{text}"))
            .to_string()
    };
    // aux: the header; the sleeper's line but for START and TIME (which may tick between
    // the two runs), field by field and column by column.
    let (a, b) = (output(&ours, &["aux"]), output(&ps, &["aux"]));
    assert_eq!(a.lines().next(), b.lines().next(), "ps aux: the header");
    let (la, lb) = (line_of(&a, 1), line_of(&b, 1));
    let (fa, fb): (Vec<&str>, Vec<&str>) = (
        la.split_whitespace().collect(),
        lb.split_whitespace().collect(),
    );
    assert_eq!(fa.len(), fb.len(), "{la}\n{lb}");
    for i in [0, 1, 2, 3, 4, 5, 6, 7, 10, 11] {
        assert_eq!(fa[i], fb[i], "ps aux field {i}:\n{la}\n{lb}");
    }
    assert_eq!(
        field_ends(&la)[..6],
        field_ends(&lb)[..6],
        "ps aux columns:\n{la}\n{lb}"
    );
    // -ef: the header; UID PID PPID C and the command.
    let (a, b) = (output(&ours, &["-ef"]), output(&ps, &["-ef"]));
    assert_eq!(a.lines().next(), b.lines().next(), "ps -ef: the header");
    let (la, lb) = (line_of(&a, 1), line_of(&b, 1));
    let (fa, fb): (Vec<&str>, Vec<&str>) = (
        la.split_whitespace().collect(),
        lb.split_whitespace().collect(),
    );
    assert_eq!(fa[..4], fb[..4], "{la}\n{lb}");
    assert_eq!(fa[5..], fb[5..], "{la}\n{lb}");
    // Plain ps: the header.
    assert_eq!(
        output(&ours, &[]).lines().next(),
        output(&ps, &[]).lines().next()
    );
}

#[test]
fn top_pmap_vmstat_sysctl_kill_and_cat_match_the_real_tools() {
    let Some((cc, ps)) = needs() else { return };
    let dir = tempfile::tempdir().unwrap();
    let s = Sleeper::start();
    let pid = s.pid();

    let ours = build(&cc, dir.path(), "top");
    let args = ["-b", "-n", "1", "-p", &pid];
    let (a, b) = (output(&ours, &args), output(&real(&ps, "top"), &args));
    let (la, lb): (Vec<&str>, Vec<&str>) = (a.lines().collect(), b.lines().collect());
    assert_eq!(la.len(), lb.len(), "top:\n{a}\n{b}");
    assert!(
        la[0].starts_with("top - ") && la[0].contains(" load average: "),
        "{a}"
    );
    for (i, label) in [
        (1, "Tasks:"),
        (2, "%Cpu(s):"),
        (3, "MiB Mem :"),
        (4, "MiB Swap:"),
    ] {
        assert!(
            la[i].starts_with(label) && lb[i].starts_with(label),
            "top line {i}:\n{a}\n{b}"
        );
        // The words between the numbers (a number may fill its column and touch the word
        // before it, as "%Cpu(s):100.0 us").
        assert_eq!(shape(la[i]), shape(lb[i]), "top line {i}:\n{a}\n{b}");
    }
    // MiB Mem's total is MemTotal.
    assert_eq!(
        la[3].split_whitespace().nth(3),
        lb[3].split_whitespace().nth(3),
        "{a}\n{b}"
    );
    assert_eq!(la[6], lb[6], "top: the table's header");
    let (fa, fb): (Vec<&str>, Vec<&str>) = (
        la[7].split_whitespace().collect(),
        lb[7].split_whitespace().collect(),
    );
    for i in [0, 1, 2, 3, 4, 5, 6, 7, 11] {
        assert_eq!(fa[i], fb[i], "top field {i}:\n{a}\n{b}");
    }
    assert_eq!(
        field_ends(la[7]),
        field_ends(lb[7]),
        "top columns:\n{a}\n{b}"
    );

    let ours = build(&cc, dir.path(), "pmap");
    for args in [&["-x", &pid][..], &[&pid]] {
        assert_eq!(
            output(&ours, args),
            output(&real(&ps, "pmap"), args),
            "pmap {args:?}"
        );
    }

    let ours = build(&cc, dir.path(), "vmstat");
    let (a, b) = (output(&ours, &[]), output(&real(&ps, "vmstat"), &[]));
    let (la, lb): (Vec<&str>, Vec<&str>) = (a.lines().collect(), b.lines().collect());
    assert_eq!(la[..2], lb[..2], "vmstat: the headers");
    assert_eq!(
        la[2].split_whitespace().count(),
        lb[2].split_whitespace().count(),
        "{a}\n{b}"
    );

    let ours = build(&cc, dir.path(), "sysctl");
    let sysctl = real(&ps, "sysctl");
    let args = ["vm.swappiness", "vm.overcommit_memory", "kernel.ostype"];
    assert_eq!(output(&ours, &args), output(&sysctl, &args));
    assert_eq!(
        output(&ours, &["-n", "vm.swappiness"]),
        output(&sysctl, &["-n", "vm.swappiness"])
    );
    let vm = |text: String| -> Vec<String> {
        let mut v: Vec<String> = text
            .lines()
            .filter(|l| l.starts_with("vm."))
            .map(String::from)
            .collect();
        v.sort();
        v
    };
    assert_eq!(
        vm(output(&ours, &["-a"])),
        vm(output(&sysctl, &["-a"])),
        "sysctl -a's vm.*"
    );

    let ours = build(&cc, dir.path(), "kill");
    let kill = real(&ps, "kill");
    for args in [&["-l"][..], &["-L"], &["-l", "9"], &["-l", "TERM"]] {
        assert_eq!(output(&ours, args), output(&kill, args), "kill {args:?}");
    }

    let ours = build(&cc, dir.path(), "cat");
    let file = rvmmu_tests::kernel::repo_root()
        .join("programs")
        .join("bin")
        .join("cat.c");
    let file = file.to_str().unwrap();
    assert_eq!(
        output(&ours, &[file, file]),
        output(Path::new("cat"), &[file, file])
    );
}

#[test]
fn sar_matches_sysstat() {
    let Some(cc) = rvmmu_tests::require_host_cc("building programs/bin for the host") else {
        return;
    };
    let Some(sar) = rvmmu_tests::require_sysstat("comparing programs/bin/sar.c with sysstat")
    else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let ours = build(&cc, dir.path(), "sar");
    let (a, b) = (
        output(&ours, &["-B", "1", "1"]),
        output(&sar, &["-B", "1", "1"]),
    );
    let (la, lb): (Vec<&str>, Vec<&str>) = (a.lines().collect(), b.lines().collect());
    assert_eq!(la.len(), lb.len(), "sar:\n{a}\n{b}");
    // The system line: name, release and host, the date, the machine, the CPUs.
    assert_eq!(la[0], lb[0], "sar: the first line");
    assert_eq!(la[1], "");
    // The header after its timestamp; the rows' field counts and columns.
    assert_eq!(la[2][8..], lb[2][8..], "sar: the header");
    for i in 3..la.len() {
        assert_eq!(
            field_ends(la[i]),
            field_ends(lb[i]),
            "sar line {i}:\n{a}\n{b}"
        );
    }
    assert!(la[4].starts_with("Average:") && lb[4].starts_with("Average:"));
}
