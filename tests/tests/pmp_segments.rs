//! `tests/bare/mmu/pmp_segments.c`: a U-mode program confined by PMP segments alone
//! (satp = Bare, medeleg = mideleg = 0), as a kernel's segmented mode runs a process.
//!
//! - The trap sequence it prints (`TRAP k mcause=.. mepc=.. mtval=.. mpp=..`) is the same on
//!   rvmmu and on qemu-system-riscv64, line for line (QEMU missing: a skip line, or a
//!   failure under CI).
//! - A translation trace of the run shows the PMP check of each of the process's
//!   accesses: the entry that decided it (`pmp=N`), or `pmp=none` where no entry matched
//!   and the access failed.

use rvmmu::machine::{Exit, Machine, MachineConfig, TraceConfig};
use rvmmu::trace::{Filter, Format};
use rvmmu_tests::{bare_test_path, console_verdict, qemu, Verdict};
use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::Duration;

const NAME: &str = "pmp_segments";

/// A writer whose bytes stay readable after the machine is done with it.
#[derive(Clone, Default)]
struct Sink(Arc<Mutex<Vec<u8>>>);

impl Write for Sink {
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(b);
        Ok(b.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Runs the program on rvmmu; returns its console and, with `trace`, its translation
/// records (text format).
fn run_rvmmu(trace: bool) -> (String, String) {
    let elf = bare_test_path(NAME).expect("pmp_segments was built");
    let sink = Sink::default();
    let cfg = MachineConfig {
        mem_size: 128 << 20,
        max_insns: Some(5_000_000),
        trace: trace.then(|| TraceConfig {
            out: Box::new(sink.clone()),
            format: Format::Text,
            insns: false,
            translations: Some(Filter::default()),
            events: Default::default(),
            pid: None,
        }),
        ..MachineConfig::capture(Vec::new())
    };
    let mut m = Machine::new(cfg).expect("machine");
    m.load_elf(&std::fs::read(elf).expect("read the ELF"))
        .expect("load the ELF");
    let exit = m.run();
    let console = String::from_utf8_lossy(&m.console_output()).into_owned();
    assert!(matches!(exit, Exit::Pass), "{exit:?}\n{console}");
    drop(m);
    let records = String::from_utf8(sink.0.lock().unwrap().clone()).expect("utf-8 trace");
    (console, records)
}

fn trap_lines(console: &str) -> Vec<&str> {
    console
        .lines()
        .map(|l| l.trim_end_matches('\r'))
        .filter(|l| l.starts_with("TRAP "))
        .collect()
}

#[test]
fn the_trap_sequence_is_qemus() {
    let (console, _) = run_rvmmu(false);
    let ours = trap_lines(&console);
    assert_eq!(ours.len(), 16, "{console}");
    let Some(qemu_bin) = rvmmu_tests::require_qemu_system("pmp_segments on QEMU") else {
        return;
    };
    let elf = bare_test_path(NAME).expect("pmp_segments was built");
    let run = qemu::run(&qemu_bin, elf, Duration::from_secs(20)).expect("run QEMU");
    assert_eq!(
        console_verdict(NAME, &run.console),
        Verdict::Pass,
        "{}",
        run.console
    );
    assert_eq!(ours, trap_lines(&run.console), "rvmmu and QEMU differ");
}

/// The fields of a text translation record this test reads.
struct Rec<'a> {
    prv: &'a str,
    access: &'a str,
    va: u64,
    result: &'a str,
    lookup: &'a str,
    pmp: Option<&'a str>,
}

fn parse(line: &str) -> Rec<'_> {
    let f: Vec<&str> = line.split_whitespace().collect();
    Rec {
        prv: f[1],
        access: f[3],
        va: u64::from_str_radix(f[4], 16).expect("hex va"),
        result: f[5],
        lookup: f[6],
        pmp: f[7..].iter().find_map(|x| x.strip_prefix("pmp=")),
    }
}

/// The value of `name=0x...` on a trap line.
fn field(line: &str, name: &str) -> u64 {
    let v = line
        .split_whitespace()
        .find_map(|w| w.strip_prefix(name))
        .unwrap_or_else(|| panic!("{name} in {line}"));
    u64::from_str_radix(v.trim_start_matches("0x"), 16).expect("hex")
}

#[test]
fn a_translation_trace_shows_the_pmp_check_of_every_process_access() {
    let (console, trace) = run_rvmmu(true);
    let traps = trap_lines(&console);
    let recs: Vec<Rec> = trace.lines().map(parse).collect();
    let user: Vec<&Rec> = recs.iter().filter(|r| r.prv == "U").collect();
    assert!(user.len() > 50, "{} U records", user.len());
    // Satp is Bare: every U record is `bare`, and PMP decided each one.
    for r in &user {
        assert_eq!(r.lookup, "bare");
        let pmp = r.pmp.unwrap_or_else(|| panic!("no pmp field: {}", r.va));
        // An access succeeds exactly when an entry (a segment's TOR entry) decided it
        // and allowed it; where no entry matched it failed.
        if pmp == "none" {
            assert!(r.result.starts_with("fault="), "{pmp} {}", r.result);
        }
    }
    // The process's text is entry 1, its data entry 3, its stack entry 4.
    let text = field(traps[0], "mtval=");
    let fetch = user.iter().find(|r| r.access == "F").expect("a fetch");
    assert_eq!((fetch.va, fetch.pmp), (text, Some("1")));
    // Each access fault of the sequence has its record: the store to the text (entry 1,
    // no W), loads and stores outside every segment (none).
    for (k, access, pmp) in [
        (0, "S", "1"),
        (1, "L", "none"),
        (2, "L", "none"),
        (3, "S", "none"),
        (4, "F", "3"),
        (5, "F", "none"),
        (12, "L", "none"),
        (15, "F", "1"),
    ] {
        let tval = field(traps[k], "mtval=");
        let hit = user.iter().any(|r| {
            r.va == tval && r.access == access && r.pmp == Some(pmp) && r.result.contains("fault")
        });
        assert!(
            hit,
            "trap {k} ({}) has no {access} record with pmp={pmp}",
            traps[k]
        );
    }
    // The load from M's data (no entry) happened in U: the trace says so, and M-mode
    // accesses (PMP cannot object to them: no entry is locked) have no record at all.
    assert!(recs.iter().all(|r| r.prv != "M"));
}
