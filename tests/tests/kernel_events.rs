//! The kernel event channel (docs/TRACING.md, "The kernel event channel"): observers see
//! the kernel's records with the machine's state at that moment, can read guest memory
//! without disturbing anything, and can stop a run that then resumes exactly.

use rvmmu::kevent::{Ctx, Event, Flow, Observer};
use rvmmu::machine::{Exit, Machine, MachineConfig};
use std::sync::{Arc, Mutex};

const SYS_WRITE: u64 = 64;

fn machine(name: &str, observers: Vec<Box<dyn Observer>>) -> Machine {
    let prog = rvmmu_tests::kernel::program(name);
    let cfg = MachineConfig {
        bootargs: "paging=sv48 init=/init".into(),
        initrd: Some(rvmmu_tests::kernel::initramfs_with_init(&prog)),
        max_insns: Some(500_000_000),
        observers,
        ..MachineConfig::capture(Vec::new())
    };
    let mut m = Machine::new(cfg).expect("a machine");
    m.load_elf(rvmmu::kernel::embedded().expect("rvmmu was built with its kernel"))
        .expect("load the kernel");
    m
}

/// Keeps what each write(2) asked to write, read from the caller's memory at its enter
/// record, and every event.
#[derive(Default)]
struct Recorder {
    writes: Arc<Mutex<Vec<String>>>,
    events: Arc<Mutex<Vec<(u64, Event)>>>,
    /// Stop at the first write's enter record.
    stop_at_write: bool,
    stopped: bool,
}

impl Observer for Recorder {
    fn event(&mut self, ev: &Event, ctx: &mut Ctx<'_>) -> Flow {
        self.events.lock().unwrap().push((ctx.instret, ev.clone()));
        if let Event::SyscallEnter { nr, args, .. } = ev {
            if *nr == SYS_WRITE {
                let mut buf = vec![0; args[2] as usize];
                assert!(ctx.read_current(args[1], &mut buf), "the buffer is mapped");
                let text = String::from_utf8_lossy(&buf).into_owned();
                self.writes.lock().unwrap().push(text);
                if self.stop_at_write && !self.stopped {
                    self.stopped = true;
                    return Flow::Stop;
                }
            }
        }
        Flow::Continue
    }
}

/// What a run leaves: exit, console log, instret, TLB and walker counters.
fn outcome(m: &mut Machine, exit: Exit) -> String {
    format!(
        "{exit:?}\n{}\ninstret {}\n{}\n{:?}",
        String::from_utf8_lossy(&m.console_log()),
        m.stats().instret,
        m.hart.mmu.tlb.stats(),
        m.hart.mmu.stats
    )
}

#[test]
fn observers_read_guest_memory_without_a_trace_and_a_stop_resumes_exactly() {
    let mut plain = machine("hello", Vec::new());
    let exit = plain.run();
    let expected = outcome(&mut plain, exit);
    assert!(expected.starts_with("Pass\n"), "{expected}");

    let rec = Recorder {
        stop_at_write: true,
        ..Recorder::default()
    };
    let (writes, events) = (rec.writes.clone(), rec.events.clone());
    let mut m = machine("hello", vec![Box::new(rec)]);
    assert_eq!(m.run(), Exit::Stopped, "stopped at the first write");
    let at = m.stats().instret;
    let (last_at, last) = events.lock().unwrap().last().cloned().unwrap();
    assert_eq!(
        last_at, at,
        "the event's count is the machine's at the stop"
    );
    assert!(
        matches!(
            last,
            Event::SyscallEnter {
                nr: SYS_WRITE,
                pid: 1,
                ..
            }
        ),
        "{last:?}"
    );
    assert_eq!(m.current_pid(), 1);
    let exit = m.run();
    // Reading guest memory and stopping changed nothing: same console, same instruction
    // count, same TLB and walker counters.
    assert_eq!(outcome(&mut m, exit), expected);
    let console = String::from_utf8_lossy(&plain.console_output()).into_owned();
    let written: String = writes.lock().unwrap().concat();
    assert_eq!(
        written, console,
        "what write(2) was given is what the console got"
    );

    let events = events.lock().unwrap();
    // Init's life: exec first among its records, exit last; log lines in between.
    let exec = events
        .iter()
        .position(|(_, e)| matches!(e, Event::Exec { pid: 1, .. }))
        .expect("init's exec record");
    let exit = events
        .iter()
        .position(|(_, e)| {
            matches!(
                e,
                Event::Exit {
                    pid: 1,
                    status: 0,
                    ..
                }
            )
        })
        .expect("init's exit record");
    assert!(exec < exit);
    let Event::Exec { satp, path, .. } = &events[exec].1 else {
        unreachable!()
    };
    assert_eq!(path, "/init");
    assert_eq!(satp >> 60, 9, "Sv48");
    // Every fault that began ended, in the same process, at a later count.
    let begins = events
        .iter()
        .filter(|(_, e)| matches!(e, Event::FaultBegin { .. }))
        .count();
    let ends = events
        .iter()
        .filter(|(_, e)| matches!(e, Event::FaultEnd { .. }))
        .count();
    assert!(begins > 10, "{begins}");
    assert_eq!(begins, ends);
    // The kernel's boot line came as a log record.
    assert!(events.iter().any(|(_, e)| matches!(
        e,
        Event::Log { text, .. } if text.starts_with("kernel: rvmmu-os")
    )));
}

#[test]
fn memory_samples_come_every_10_ms_of_virtual_time() {
    let rec = Recorder::default();
    let events = rec.events.clone();
    // A program that sleeps 6 s: 600 ticks at least.
    let mut m = machine("enosys_flood", vec![Box::new(rec)]);
    assert_eq!(m.run(), Exit::Pass);
    let events = events.lock().unwrap();
    let samples: Vec<&rvmmu::kevent::MemSample> = events
        .iter()
        .filter_map(|(_, e)| match e {
            Event::MemSample { sample, .. } => Some(&**sample),
            _ => None,
        })
        .collect();
    // mtime runs at 10 MHz; the run's length in 10 ms ticks bounds the sample count.
    let ticks = m.stats().mtime / 100_000;
    assert!(
        samples.len() >= 600,
        "{} samples in {ticks} ticks",
        samples.len()
    );
    assert!(
        samples.len() as u64 <= ticks + 1,
        "{} > {ticks}",
        samples.len()
    );
    for s in &samples {
        assert!(s.marks.min < s.marks.low && s.marks.low < s.marks.high);
        assert!(s.marks.free > 0);
        assert!(s.rss.iter().all(|&(_, rss)| rss > 0), "{s:?}");
    }
    // The boot's timer self-test has a tick before any process; once init runs, it is in
    // the samples with its resident pages.
    assert!(
        samples
            .iter()
            .any(|s| s.rss.iter().any(|&(pid, rss)| pid == 1 && rss > 0)),
        "{samples:?}"
    );
    // Cumulative counters never go down.
    for w in samples.windows(2) {
        assert!(w[1].pgfault >= w[0].pgfault);
    }
}
