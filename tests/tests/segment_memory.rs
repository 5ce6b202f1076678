//! Segment memory (`os/src/mm/segmem.rs`, docs/KERNEL.md "Segment memory"): the
//! `segmem_selftest` boot option runs the notes' fragmentation example on raw ranges (game,
//! browser and music side by side; end the browser; a 200-unit segment finds no hole though
//! more is free), grow/shrink/alloc_at, and a whole-segment swap-out and swap-in through a
//! swap disk; then /proc/segmentinfo and /proc/vmstat are read from the shell. The same
//! self-test runs on `qemu-system-riscv64 -machine virt` (without a disk), which must be
//! installed under CI.

use rvmmu::machine::{Exit, Machine, MachineConfig};
use rvmmu_tests::kernel::{boot_qemu, Boot};
use std::collections::BTreeMap;

const BOOTARGS: &str =
    "paging=sv39 segmem_selftest init=/bin/sh -- -c \"cat /proc/segmentinfo /proc/vmstat\"";

/// Boots rvmmu with `mem` bytes of RAM and a swap disk of `swap` bytes (none if 0); returns
/// how it ended, the log (kernel lines and output) and the output alone.
fn boot(mem: u64, swap: u64) -> (Exit, String, String) {
    let cfg = MachineConfig {
        mem_size: mem,
        bootargs: BOOTARGS.into(),
        initrd: Some(rvmmu::initramfs::pack(&rvmmu::guest_bin::initramfs_files()).unwrap()),
        disk: (swap > 0).then(|| rvmmu::disk::create_swap(swap).unwrap()),
        max_insns: Some(3_000_000_000),
        ..MachineConfig::capture(Vec::new())
    };
    let mut m = Machine::new(cfg).unwrap();
    m.load_elf(rvmmu::kernel::embedded().expect("rvmmu was built with its kernel"))
        .unwrap();
    let exit = m.run();
    let log = String::from_utf8_lossy(&m.console_log()).into_owned();
    let out = String::from_utf8_lossy(&m.console_output()).into_owned();
    (exit, log, out)
}

/// The self-test's log lines (their text after `segmem self-test: `).
fn self_test_lines(log: &str) -> Vec<&str> {
    log.lines()
        .filter_map(|l| l.split_once("segmem self-test: ").map(|(_, r)| r))
        .collect()
}

/// Checks the self-test's story: the three side by side, no hole for the 200, ok.
fn check_self_test(log: &str) {
    let lines = self_test_lines(log);
    assert!(lines.iter().any(|l| l.ends_with("(side by side)")), "{log}");
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("browser ended:") && l.ends_with("segment: no hole")),
        "{log}"
    );
    // The free memory then is more than the 200 units that found no hole.
    let ended = lines
        .iter()
        .find(|l| l.starts_with("browser ended:"))
        .unwrap();
    let nums: Vec<u64> = ended
        .split(|c: char| !c.is_ascii_digit())
        .filter_map(|w| w.parse().ok())
        .collect();
    assert!(
        nums[0] > nums[1],
        "free {} kB > {} kB: {ended}",
        nums[0],
        nums[1]
    );
    assert_eq!(lines.last(), Some(&"ok"), "{log}");
}

/// /proc/segmentinfo's summary (label → first number) and holes (start, end, kB).
type Info = (BTreeMap<String, u64>, Vec<(u64, u64, u64)>);

fn segmentinfo(out: &str) -> Info {
    let mut summary = BTreeMap::new();
    let mut holes = Vec::new();
    let start = out
        .find("Policy:")
        .expect("/proc/segmentinfo in the output");
    for l in out[start..].lines() {
        if let Some((label, rest)) = l.split_once(':') {
            if label.starts_with(char::is_alphabetic) && !label.contains(' ') {
                let v = rest.split_whitespace().next().unwrap_or("");
                summary.insert(label.to_string(), v.parse().unwrap_or(u64::MAX));
                continue;
            }
        }
        let w: Vec<&str> = l.split_whitespace().collect();
        if w.len() == 5 && w[4] == "kB" && w[1].starts_with("0x") {
            let hex = |s: &str| u64::from_str_radix(&s[2..], 16).unwrap();
            holes.push((hex(w[1]), hex(w[2]), w[3].parse().unwrap()));
        } else if !holes.is_empty() || l.trim_start().starts_with("hole") {
            if holes.is_empty() {
                continue;
            }
            break;
        }
    }
    (summary, holes)
}

fn vmstat(out: &str) -> BTreeMap<String, u64> {
    out.lines()
        .filter_map(|l| {
            let (k, v) = l.split_once(' ')?;
            Some((k.to_string(), v.trim().parse().ok()?))
        })
        .collect()
}

/// The holes agree with the summary: in address order, disjoint, sizes as their bounds
/// say, summing to MemFree, the largest being LargestHole, as many as Holes says.
fn check_holes((summary, holes): &Info) {
    assert_eq!(summary["InSegments"], 0, "the self-test freed everything");
    assert_eq!(summary["SwappedOut"], 0);
    assert_eq!(summary["Holes"], holes.len() as u64);
    assert!(!holes.is_empty());
    for w in holes.windows(2) {
        assert!(w[0].1 < w[1].0, "holes in order, not touching: {w:?}");
    }
    for &(s, e, kb) in holes {
        assert_eq!((e - s) >> 10, kb);
        assert_eq!(s % 4096, 0);
    }
    let total: u64 = holes.iter().map(|h| h.2).sum();
    assert_eq!(total, summary["MemFree"]);
    assert_eq!(
        holes.iter().map(|h| h.2).max(),
        Some(summary["LargestHole"])
    );
}

#[test]
fn self_test_and_proc_files_on_rvmmu() {
    let (exit, log, out) = boot(128 << 20, 16 << 20);
    assert!(matches!(exit, Exit::Pass), "{exit:?}\n{log}");
    check_self_test(&log);
    assert!(
        self_test_lines(&log)
            .iter()
            .any(|l| l.starts_with("32 pages swapped out and back in") && l.ends_with(": same")),
        "{log}"
    );
    assert!(log.contains("initrd: moved to"), "{log}");
    let info = segmentinfo(&out);
    assert_eq!(
        info.0.get("Policy"),
        Some(&u64::MAX),
        "Policy is a word: {out}"
    );
    assert!(out.contains("Policy:         first-fit\n"), "{out}");
    check_holes(&info);
    // The kernel's frames stay together at the top: free memory is at most a few holes.
    assert!(info.1.len() <= 4, "{:?}", info.1);
    let v = vmstat(&out);
    assert_eq!(v["seg_alloc"], v["seg_free"], "all freed: {out}");
    assert!(v["seg_alloc"] >= 6, "{out}");
    assert!(v["seg_alloc_fail"] >= 1, "the 200 units");
    assert_eq!((v["seg_swapout"], v["seg_swapin"]), (1, 1));
    assert_eq!((v["seg_swapout_pages"], v["seg_swapin_pages"]), (32, 32));
    assert!(v["pswpout"] >= 32 && v["pswpin"] >= 32, "{out}");
}

#[test]
fn best_fit_is_a_sysctl() {
    let cfg_args = format!("sysctl.vm.segment_best_fit=1 {BOOTARGS}");
    let cfg = MachineConfig {
        mem_size: 64 << 20,
        bootargs: cfg_args,
        initrd: Some(rvmmu::initramfs::pack(&rvmmu::guest_bin::initramfs_files()).unwrap()),
        max_insns: Some(3_000_000_000),
        ..MachineConfig::capture(Vec::new())
    };
    let mut m = Machine::new(cfg).unwrap();
    m.load_elf(rvmmu::kernel::embedded().unwrap()).unwrap();
    let exit = m.run();
    let log = String::from_utf8_lossy(&m.console_log()).into_owned();
    let out = String::from_utf8_lossy(&m.console_output()).into_owned();
    assert!(matches!(exit, Exit::Pass), "{exit:?}\n{log}");
    assert!(out.contains("Policy:          best-fit\n"), "{out}");
    let lines = self_test_lines(&log);
    assert!(lines.contains(&"ok"), "{log}");
    // Best fit puts the small segment into the smallest hole that holds it: not the
    // browser's 128 units, as what is left above music (less than 128 units: the kernel's
    // frames and reserve are there) is smaller.
    assert!(
        lines.contains(&"64 kB placed (best fit) in the browser's hole: false"),
        "{log}"
    );
    assert!(lines.iter().any(|l| l.contains("no swap area")), "{log}");
}

#[test]
fn self_test_on_qemu_virt() {
    let mut b = Boot::new(128 << 20, BOOTARGS);
    b.initrd = Some(rvmmu::initramfs::pack(&rvmmu::guest_bin::initramfs_files()).unwrap());
    let Some((code, console)) = boot_qemu(&b) else {
        return;
    };
    assert_eq!(code, Some(0), "{console}");
    check_self_test(&console);
    check_holes(&segmentinfo(&console));
}
