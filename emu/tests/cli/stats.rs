//! `rvmmu run --stats`: the kernel's statistics in text and JSON agree with each other and
//! with the guest's own /proc/vmstat at the end of the run; host SIGINT ends a run with
//! status 130 and the statistics (and the timeline) still written; no progress line when
//! stderr is not a terminal.

use crate::{run, Output};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// `programs/pressure/vmstat_report.c` (or `source` when given) built as a static riscv64
/// Linux program in `dir`; `None` (skip) without the compiler, a failure under CI.
fn linux_program(dir: &Path, name: &str, source: Option<&str>) -> Option<PathBuf> {
    let src = match source {
        Some(text) => {
            let p = dir.join(format!("{name}.c"));
            std::fs::write(&p, text).unwrap();
            p
        }
        None => {
            Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("../programs/pressure/{name}.c"))
        }
    };
    let exe = dir.join(name);
    let Ok(out) = Command::new("riscv64-linux-gnu-gcc")
        .args(["-static", "-O2", "-Wall", "-Werror", "-o"])
        .arg(&exe)
        .arg(&src)
        .output()
    else {
        assert!(
            std::env::var_os("CI").is_none_or(|v| v.is_empty()),
            "riscv64-linux-gnu-gcc (Debian package gcc-riscv64-linux-gnu) is missing and CI \
             is set: these tests must run"
        );
        eprintln!("skipped: no riscv64-linux-gnu-gcc");
        return None;
    };
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    Some(exe)
}

/// The counters both sides name, in /proc/vmstat's words.
const COUNTERS: [&str; 9] = [
    "pgfault",
    "pgmajfault",
    "pswpin",
    "pswpout",
    "pgscan_kswapd",
    "pgscan_direct",
    "pgsteal_kswapd",
    "pgsteal_direct",
    "oom_kill",
];

/// `name value` lines after the program's `# /proc/vmstat` line.
fn guest_vmstat(stdout: &str) -> std::collections::BTreeMap<String, u64> {
    stdout
        .split("# /proc/vmstat\n")
        .nth(1)
        .unwrap_or_else(|| panic!("no /proc/vmstat in the output:\n{stdout}"))
        .lines()
        .filter_map(|l| {
            let (k, v) = l.split_once(' ')?;
            Some((k.to_string(), v.parse().ok()?))
        })
        .collect()
}

/// The number after `key ` in a line of words.
fn word_after(line: &str, key: &str) -> u64 {
    let mut w = line.split_whitespace();
    while let Some(x) = w.next() {
        if x.trim_start_matches('(') == key {
            return w
                .next()
                .and_then(|n| n.trim_end_matches([',', ';', ')']).parse().ok())
                .unwrap_or_else(|| panic!("no number after {key} in {line}"));
        }
    }
    panic!("no {key} in {line}")
}

#[test]
fn text_and_json_statistics_agree_with_each_other_and_with_the_guests_proc_vmstat() {
    let dir = tempfile::TempDir::new().unwrap();
    let Some(prog) = linux_program(dir.path(), "vmstat_report", None) else {
        return;
    };
    let prog = prog.to_str().unwrap();
    let json_file = dir.path().join("stats.json");
    // 32 MiB of RAM (a quarter of it the initramfs), no swap, three workers of 10 MiB: direct reclaim, then an OOM kill.
    let common = ["run", "--max-insns", "2000000000", "--mem", "32M"];
    let mut args = common.to_vec();
    args.extend([
        "--stats-format",
        "json",
        "--stats-out",
        json_file.to_str().unwrap(),
    ]);
    args.extend([prog, "3", "10"]);
    let j = run(&args, None);
    assert_eq!(j.code, Some(0), "{j:#?}");
    assert!(
        !j.stderr.contains('\r'),
        "no progress line off a terminal: {j:#?}"
    );
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&json_file).unwrap()).unwrap();
    let k = &json["kernel"];
    let guest = guest_vmstat(&j.stdout);
    for c in COUNTERS {
        assert_eq!(k["vmstat"][c], guest[c], "{c}: JSON against /proc/vmstat");
    }
    assert_eq!(
        guest["oom_kill"], 1,
        "the run has the OOM kill it is meant to: {j:#?}"
    );
    assert!(guest["pgscan_direct"] > 0);
    let kills = k["oom_kills"].as_array().unwrap();
    assert_eq!(kills.len(), 1);
    assert_eq!(kills[0]["name"], "vmstat_report");
    let victim = kills[0]["pid"].as_u64().unwrap();
    let procs = k["processes"].as_array().unwrap();
    assert_eq!(procs.len(), 4, "init and three workers");
    for p in procs {
        let pid = p["pid"].as_u64().unwrap();
        let f = &p["faults"];
        if pid == victim {
            assert_eq!(p["exit"]["signal"], 9, "{p}");
            assert_eq!(p["oom_killed"], true);
        } else {
            assert_eq!(p["exit"]["code"], 0, "{p}");
        }
        // The kernel's own counts at the process's end, against its fault events.
        let counted = f["minor"].as_u64().unwrap() - f["spurious"].as_u64().unwrap();
        assert_eq!(p["kernel_minflt"], counted, "{p}");
        assert_eq!(p["kernel_majflt"], f["major"], "{p}");
        assert!(
            p["peak_rss_pages"].as_u64().unwrap() >= p["sampled_peak_rss_pages"].as_u64().unwrap(),
            "{p}"
        );
    }
    assert_eq!(json["machine"]["exit_status"], 0);
    assert_eq!(json["machine"]["interrupted"], serde_json::Value::Null);

    // The same run in text (runs are deterministic): the same numbers.
    let mut args = common.to_vec();
    args.extend(["--stats", prog, "3", "10"]);
    let t: Output = run(&args, None);
    assert_eq!(t.stdout, j.stdout);
    assert_eq!(
        word_after(t.stat("instructions retired:"), "retired:"),
        json["machine"]["instructions"].as_u64().unwrap()
    );
    let line = t.stat("vmstat:");
    for c in COUNTERS {
        assert_eq!(
            word_after(line, c),
            k["vmstat"][c].as_u64().unwrap(),
            "{c} in {line}"
        );
    }
    let faults = t.stat("kernel page faults: ");
    let f = &k["faults"];
    assert_eq!(
        word_after(faults, "faults:"),
        f["total"].as_u64().unwrap(),
        "{faults}"
    );
    for kind in ["minor", "major", "invalid", "spurious"] {
        assert_eq!(
            word_after(faults, kind),
            f[kind].as_u64().unwrap(),
            "{faults}"
        );
    }
    assert_eq!(word_after(t.stat("oom kills:"), "kills:"), 1);
    let direct = t.stat("direct reclaim:");
    // "rvmmu: direct reclaim: N stalls, N passes, N pages scanned, ..."
    let scanned: u64 = direct.split_whitespace().nth(7).unwrap().parse().unwrap();
    assert_eq!(
        scanned,
        k["reclaim"]["direct"]["scanned"].as_u64().unwrap(),
        "{direct}"
    );
    let rows: Vec<&str> = t
        .stderr
        .lines()
        .filter(|l| l.starts_with("rvmmu: processes: ") && !l.contains("peak rss"))
        .collect();
    assert_eq!(rows.len(), 4, "{}", t.stderr);
    assert!(
        rows.iter()
            .any(|r| r.contains(&format!(" {victim} ")) && r.ends_with("signal 9 (oom)")),
        "{rows:#?}"
    );
}

const SPIN: &str = r#"
#include <stdio.h>
int main(void) {
    volatile unsigned long n = 0;
    printf("spinning\n");
    fflush(stdout);
    for (;;) n++;
}
"#;

#[test]
fn sigint_from_the_host_ends_the_run_with_130_and_the_statistics_and_timeline_written() {
    let dir = tempfile::TempDir::new().unwrap();
    let Some(prog) = linux_program(dir.path(), "spin", Some(SPIN)) else {
        return;
    };
    let svg = dir.path().join("t.svg");
    let mut child = Command::new(crate::RVMMU)
        .args(["run", "--stats", "--timeline"])
        .arg(&svg)
        .arg(&prog)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Once the program runs (its line is out), the run is in the machine loop.
    let mut out = std::io::BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    std::io::BufRead::read_line(&mut out, &mut line).unwrap();
    assert_eq!(line, "spinning\n");
    // Some virtual time for memory samples (one each 10 ms) to draw.
    std::thread::sleep(std::time::Duration::from_millis(500));
    let pid = child.id() as libc::pid_t;
    // SAFETY: kill(2) with the pid of our own child, which has not been waited for.
    assert_eq!(unsafe { libc::kill(pid, libc::SIGINT) }, 0);
    let deadline = std::time::Instant::now() + crate::TIMEOUT;
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        if std::time::Instant::now() > deadline {
            let _ = child.kill();
            panic!("rvmmu did not end after SIGINT");
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    };
    let mut stderr = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut stderr).unwrap();
    assert_eq!(status.code(), Some(130), "{stderr}");
    assert!(
        stderr.starts_with("rvmmu: interrupted by SIGINT after "),
        "{stderr}"
    );
    assert!(stderr.contains("rvmmu: instructions retired: "), "{stderr}");
    assert!(stderr.contains("rvmmu: kernel page faults: "), "{stderr}");
    let row = stderr
        .lines()
        .find(|l| l.starts_with("rvmmu: processes: ") && l.contains(" spin "))
        .unwrap_or_else(|| panic!("{stderr}"));
    assert!(row.ends_with("running"), "{row}");
    let picture = std::fs::read_to_string(&svg).unwrap();
    assert!(picture.contains("spin (pid 1)"), "the timeline was written");
}

#[test]
fn a_progress_line_is_drawn_on_a_terminal_and_erased_at_the_end() {
    use std::io::Read as _;
    use std::os::fd::FromRawFd as _;
    let dir = tempfile::TempDir::new().unwrap();
    let Some(prog) = linux_program(dir.path(), "vmstat_report", None) else {
        return;
    };
    let (mut master, mut slave) = (0, 0);
    // SAFETY: openpty writes the two new descriptors into the locals; the name, termios
    // and window-size pointers may be null.
    let rc = unsafe {
        libc::openpty(
            &mut master,
            &mut slave,
            std::ptr::null_mut(),
            std::ptr::null(),
            std::ptr::null(),
        )
    };
    assert_eq!(rc, 0, "openpty: {}", std::io::Error::last_os_error());
    // SAFETY: both descriptors were just opened and are owned by nothing else.
    let (mut master, slave) = unsafe {
        (
            std::fs::File::from_raw_fd(master),
            std::fs::File::from_raw_fd(slave),
        )
    };
    let mut child = {
        // The command (and its copy of the terminal's slave side) is dropped once the
        // child has started, so the master reads EIO when the child ends.
        let mut cmd = Command::new(crate::RVMMU);
        cmd.args(["run", "--mem", "32M", "--swap", "32M"])
            .arg(&prog)
            .args(["3", "10"])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::from(slave));
        cmd.spawn().unwrap()
    };
    let reader = std::thread::spawn(move || {
        let mut seen = Vec::new();
        let mut buf = [0u8; 4096];
        while let Ok(n) = master.read(&mut buf) {
            if n == 0 {
                break;
            }
            seen.extend_from_slice(&buf[..n]);
        }
        String::from_utf8_lossy(&seen).into_owned()
    });
    let mut stdout = String::new();
    child
        .stdout
        .take()
        .unwrap()
        .read_to_string(&mut stdout)
        .unwrap();
    let status = child.wait().unwrap();
    let tty = reader.join().unwrap();
    assert_eq!(status.code(), Some(0), "{tty}");
    assert!(
        stdout.contains("# /proc/vmstat"),
        "the program's output is unchanged"
    );
    assert!(!stdout.contains("MIPS"), "no progress line on stdout");
    let erase = "\r\x1b[K";
    let lines: Vec<&str> = tty
        .split(erase)
        .filter(|l| l.starts_with("rvmmu: "))
        .collect();
    assert!(!lines.is_empty(), "no progress line in {tty:?}");
    for l in &lines {
        assert!(
            l.contains(" G instructions, ") && l.contains(" MIPS, ") && l.contains(" s virtual"),
            "{l:?}"
        );
    }
    assert!(
        lines
            .iter()
            .any(|l| l.contains(", free ") && l.contains(" MiB, swap used ")),
        "{lines:?}"
    );
    assert!(
        tty.ends_with(erase),
        "the line is erased at the end: {tty:?}"
    );
}

#[test]
fn bare_json_statistics_have_the_machine_counters_and_no_kernel() {
    let g = crate::guest!("timer.S");
    let text = crate::bare(&["--max-insns", "10000000", "--stats", g.path()]);
    let json = crate::bare(&[
        "--max-insns",
        "10000000",
        "--stats-format",
        "json",
        g.path(),
    ]);
    assert_eq!(json.code, Some(0), "{json:#?}");
    let v: serde_json::Value = serde_json::from_str(&json.stderr).unwrap();
    assert_eq!(v["kernel"], serde_json::Value::Null);
    let m = &v["machine"];
    assert_eq!(
        word_after(text.stat("instructions retired:"), "retired:"),
        m["instructions"].as_u64().unwrap()
    );
    assert_eq!(
        m["interrupts"]["machine-timer"], 5,
        "as the text's traps line says"
    );
    assert_eq!(text.stat("traps"), "rvmmu: traps: machine-timer 5");
    assert_eq!(m["exit_status"], 0);
}
