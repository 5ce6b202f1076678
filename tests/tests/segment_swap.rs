//! Whole-segment swap (`os/src/proc/segswap.rs`, `os/src/mm/segmem.rs`; docs/KERNEL.md,
//! "Segment memory"): in 48 MiB of RAM with a 32 MiB swap disk, three segmented programs
//! (`programs/seg/seg_keep.c`, in rvmmu's /bin; run with `-s`: personality PER_SEGMENTS,
//! then itself again)
//! that together exceed RAM. A fills 14 MiB and sleeps, B fills 12 MiB and sleeps, C wants
//! 14 MiB: no hole holds it, so A (asleep) goes to swap whole and C takes its place; A's
//! /proc/PID/status shows VmRSS 0 and its pages in VmSwap. When C has ended, A's old ranges
//! are free and A comes back into exactly them when it wakes: its 14 MiB are checked word
//! by word. The counters in /proc/vmstat agree. The program's lines are those of
//! qemu-riscv64 (paged there: Linux ignores the personality bit), which must be installed
//! under CI.

use rvmmu::machine::{Exit, Machine, MachineConfig};
use std::collections::BTreeMap;

const SCRIPT: &str = "/bin/seg_keep -s A 14 3 & sleep 1; /bin/seg_keep -s B 12 1 & sleep 0.5; \
     cat /proc/2/status; /bin/seg_keep -s C 14 0; cat /proc/2/status; wait; \
     cat /proc/segmentinfo /proc/vmstat";

/// Runs the script on rvmmu; returns how it ended, the kernel log and the output.
fn run() -> (Exit, String, String) {
    let files = rvmmu::guest_bin::initramfs_files();
    let cfg = MachineConfig {
        mem_size: 48 << 20,
        bootargs: format!("paging=sv39 init=/bin/sh -- -c \"{SCRIPT}\""),
        initrd: Some(rvmmu::initramfs::pack(&files).unwrap()),
        disk: Some(rvmmu::disk::create_swap(32 << 20).unwrap()),
        max_insns: Some(20_000_000_000),
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

/// The `Label:\t N kB` values of each /proc/PID/status printed, in order.
fn status_values(out: &str, label: &str) -> Vec<u64> {
    out.lines()
        .filter_map(|l| l.strip_prefix(label))
        .filter_map(|r| r.split_whitespace().next()?.parse().ok())
        .collect()
}

#[test]
fn a_sleeping_segmented_process_goes_to_swap_whole_and_comes_back_intact() {
    let (exit, log, out) = run();
    assert!(matches!(exit, Exit::Pass), "{exit:?}\n{log}");
    let lines: Vec<&str> = out
        .lines()
        .filter(|l| l.len() > 2 && l.as_bytes()[1] == b':' && b"ABC".contains(&l.as_bytes()[0]))
        .collect();
    for want in [
        "A: 14 MiB filled",
        "B: 12 MiB filled",
        "C: 14 MiB filled",
        "C: 14 MiB intact",
        "B: 12 MiB intact",
        "A: 14 MiB intact",
    ] {
        assert!(lines.contains(&want), "{want:?} missing:\n{out}\n{log}");
    }
    assert_eq!(lines.len(), 6, "{lines:?}");
    // A (pid 2) before C: resident; after C: all of it in swap.
    let rss = status_values(&out, "VmRSS:");
    let swap = status_values(&out, "VmSwap:");
    assert_eq!(rss.len(), 2, "{out}");
    assert!(rss[0] >= 14 << 10 && swap[0] == 0, "{rss:?} {swap:?}");
    assert_eq!((rss[1], swap[1]), (0, rss[0]), "swapped out whole");
    assert!(log.contains("(pid 2): segments swapped out whole"), "{log}");
    assert!(log.contains("(pid 2): segments swapped back in"), "{log}");
    let v: BTreeMap<&str, u64> = out
        .lines()
        .filter_map(|l| {
            let (k, v) = l.split_once(' ')?;
            Some((k, v.parse().ok()?))
        })
        .collect();
    let pages = rss[0] / 4;
    assert!(v["seg_swapout"] >= 3, "A's stack, text, data, mmap: {v:?}");
    assert_eq!(v["seg_swapout"], v["seg_swapin"]);
    assert_eq!(v["seg_swapout_pages"], pages);
    assert_eq!(v["seg_swapin_pages"], pages);
    assert!(v["pswpout"] >= pages && v["pswpin"] >= pages);
    assert!(v["seg_swapin_wait_ms"] > 0);
    assert!(out.contains("SwappedOut:             0 kB"), "{out}");
}

#[test]
fn seg_keep_prints_what_it_prints_on_linux() {
    let Some(qemu) = rvmmu_tests::require_qemu_user("seg_keep under qemu-riscv64") else {
        return;
    };
    let path = rvmmu_tests::linux_program("seg/seg_keep").expect("built by build.rs");
    let linux = rvmmu_tests::linux::run_user(
        &qemu,
        path,
        &["L", "3", "0"],
        b"",
        std::time::Duration::from_secs(60),
    )
    .expect("run qemu-riscv64");
    let files = rvmmu::guest_bin::initramfs_files();
    let cfg = MachineConfig {
        mem_size: 64 << 20,
        bootargs: "paging=sv39 init=/bin/sh -- -c \"/bin/seg_keep -s L 3 0\"".into(),
        initrd: Some(rvmmu::initramfs::pack(&files).unwrap()),
        max_insns: Some(5_000_000_000),
        ..MachineConfig::capture(Vec::new())
    };
    let mut m = Machine::new(cfg).unwrap();
    m.load_elf(rvmmu::kernel::embedded().unwrap()).unwrap();
    let exit = m.run();
    let log = String::from_utf8_lossy(&m.console_log()).into_owned();
    let out = String::from_utf8_lossy(&m.console_output()).into_owned();
    assert!(matches!(exit, Exit::Pass), "{exit:?}\n{log}");
    assert!(log.contains("seg_keep: segmented:"), "ran segmented: {log}");
    assert_eq!(out, linux.stdout);
    assert_eq!(out, "L: 3 MiB filled\nL: 3 MiB intact\n");
}
