//! The machine: one hart on the `virt`-compatible bus, and the loop that runs it.
//!
//! [`Machine::run`] alternates between the hart's instruction loop and event processing
//! (interrupt sampling, exit devices, `--max-insns`). A run ends when the guest writes the
//! HTIF `tohost` word or the test finisher, when the instruction limit is reached, or when
//! the hart waits for an interrupt that can never come.

use crate::addr::PhysAddr;
use crate::bus::{Bus, BusConfig, BusError, Console, ConsoleInput, ConsoleLog, FinisherExit};
use crate::hart::{Halt, Hart, INSNS_PER_MTIME_TICK};
use crate::kevent::observers::{EventTrace, TraceKinds};
use crate::kevent::{Ctx, Event, Flow, Observer};
use crate::loader::{self, LoadError};
use crate::mmu::dump::{self, GuestPtes, PageTableDump};
use crate::mmu::mode::PagingMode;
use crate::mmu::walk::{satp_asid, SATP_PPN_MASK};
use crate::trace;
use std::io::Write;
use std::sync::{Arc, Mutex};
use thiserror::Error;

/// Steps between event checks when nothing else asks for one (a safety net: every event
/// source lowers the stop point itself).
const SLICE: u64 = 1 << 20;

/// How a run ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Exit {
    /// tohost = 1, or the test finisher's 0x5555.
    Pass,
    /// tohost = (code << 1) | 1, or the finisher's 0x3333 | code << 16.
    Fail(u64),
    /// `--max-insns` reached.
    MaxInsns,
    /// The machine cannot go on (the message says why).
    Halted(String),
    /// A kernel-event observer asked to stop ([`Flow::Stop`]); running again goes on.
    Stopped,
    /// The host sent rvmmu this signal (SIGINT, SIGTERM: [`crate::host_signal`]); the run
    /// ended at the next slice boundary.
    Interrupted(i32),
}

impl Exit {
    /// The process exit status `rvmmu bare` uses: 0 pass, the code on failure (1 if its low
    /// byte is 0), 124 at the instruction limit (like `timeout`), 3 when halted, 128 + the
    /// signal when the host interrupted the run (130 for Ctrl-C, as a shell reports it).
    pub fn status(&self) -> i32 {
        match self {
            Exit::Pass => 0,
            Exit::Fail(c) => match (c & 0xff) as i32 {
                0 => 1,
                n => n,
            },
            Exit::MaxInsns => 124,
            Exit::Halted(_) => 3,
            Exit::Stopped => 4,
            Exit::Interrupted(sig) => 128 + sig,
        }
    }
}

/// Errors setting a machine up.
#[derive(Debug, Error)]
pub enum MachineError {
    #[error(transparent)]
    Bus(#[from] BusError),
    #[error(transparent)]
    Load(#[from] LoadError),
    #[error("{0}")]
    Guest(String),
    #[error("cannot write the trace: {0}")]
    Trace(#[from] std::io::Error),
    #[error("this rvmmu was built without translation traces (cargo feature trace-translations)")]
    NoTranslationTrace,
    #[error("this rvmmu was built without the JIT (cargo feature jit): use --engine block")]
    NoJit,
    #[error("--engine jit: {0}")]
    Jit(String),
}

/// What to trace (`--trace`) and where to.
pub struct TraceConfig {
    /// Where the records go (the tracer buffers; no need to wrap it).
    pub out: Box<dyn Write>,
    pub format: trace::Format,
    /// One record per retired instruction.
    pub insns: bool,
    /// One record per translation, those the filter accepts; `None`: none.
    pub translations: Option<trace::Filter>,
    /// Records made from kernel events (system calls, faults, reclaim).
    pub events: TraceKinds,
    /// Trace only while this process is current, and only its events (`--trace-pid`).
    pub pid: Option<u32>,
}

/// Machine options.
pub struct MachineConfig {
    /// RAM size in bytes.
    pub mem_size: u64,
    /// Stop after this many instructions (retired or trapped).
    pub max_insns: Option<u64>,
    /// PMP entries (0..=64).
    pub pmp_entries: usize,
    /// TLB geometry (`--tlb`).
    pub tlb: crate::mmu::tlb::TlbGeometry,
    /// A/D scheme (`--ad`): the walker sets A/D (Svadu) or faults (Svade).
    pub ad: crate::mmu::walk::AdMode,
    /// Traces (`--trace`), if any. Tracing translations turns the MMU's fast path off.
    pub trace: Option<TraceConfig>,
    /// The UART's host side; [`MachineConfig::capture`] makes one for tests.
    pub console: Console,
    /// Kernel command line, put in the device tree's `/chosen/bootargs`.
    pub bootargs: String,
    /// Initial RAM disk, placed and described in the device tree as QEMU's `-initrd` does.
    pub initrd: Option<Vec<u8>>,
    /// A disk: this host file, open read-write, behind a virtio-blk device in virtio-mmio
    /// slot 7 (0x1000_8000, PLIC source 8), as QEMU's first `-device virtio-blk-device`.
    /// Its capacity is the file's length in 512-byte sectors.
    pub disk: Option<std::fs::File>,
    /// Host-side shortcuts under translation (docs/MMU.md, "The fast path under
    /// translation"). They never change what the guest sees or what the counters say; off,
    /// every access goes the long way through the TLB model (tests compare the two, and
    /// translation tracing turns them off so that every access is seen).
    pub mmu_fast_path: bool,
    /// Misaligned loads and stores (`--misaligned`): performed (the default) or trapped.
    pub misaligned: crate::hart::Misaligned,
    /// Kernel-event observers, called in order for each event (none by default).
    pub observers: Vec<Box<dyn Observer>>,
    /// The instruction loop (`--engine`): the block engine (the default), the JIT, or the
    /// interpreter they are checked against. The guest sees no difference.
    pub engine: crate::hart::Engine,
    /// With the JIT: how many times a run must be entered at a pc before the region
    /// starting there is compiled (`--jit-threshold`).
    pub jit_threshold: u32,
    /// With the JIT: compile on the emulating thread, at once (`--jit-sync`), rather than
    /// on a background thread while the block engine goes on. Slower, but the JIT's own
    /// counters (`JitStats`) then repeat run to run; what the guest sees is the same.
    pub jit_sync: bool,
}

impl MachineConfig {
    /// A configuration whose console output is kept in memory (read it back with
    /// [`Machine::console_output`]) and whose input is `input`.
    pub fn capture(input: Vec<u8>) -> MachineConfig {
        let (mut console, _) = Console::captured(ConsoleInput::Bytes(input));
        console.log = Some(ConsoleLog::Capture(Arc::default()));
        MachineConfig {
            console,
            ..MachineConfig::default()
        }
    }
}

impl Default for MachineConfig {
    fn default() -> Self {
        MachineConfig {
            mem_size: 128 << 20,
            max_insns: None,
            pmp_entries: 16,
            tlb: crate::mmu::tlb::TlbGeometry::default(),
            ad: crate::mmu::walk::AdMode::Hardware,
            trace: None,
            console: Console::default(),
            bootargs: String::new(),
            initrd: None,
            disk: None,
            mmu_fast_path: true,
            misaligned: crate::hart::Misaligned::Perform,
            observers: Vec::new(),
            engine: crate::hart::Engine::default(),
            jit_threshold: DEFAULT_JIT_THRESHOLD,
            jit_sync: false,
        }
    }
}

/// [`MachineConfig::jit_threshold`]'s default.
pub const DEFAULT_JIT_THRESHOLD: u32 = 2000;

/// Counters reported by `--stats`.
#[derive(Clone, Debug)]
pub struct RunStats {
    pub instret: u64,
    pub steps: u64,
    pub cycles: u64,
    pub mtime: u64,
    pub exceptions: [u64; 16],
    pub interrupts: [u64; 12],
}

/// A machine ready to run.
pub struct Machine {
    pub hart: Hart,
    pub bus: Bus,
    max_insns: u64,
    /// [`Machine::run_until`]'s pause point: the run loop stops here too.
    pause_at: u64,
    tohost: Option<u64>,
    /// Whether instructions are traced (the run loop is then the traced one).
    trace_insns: bool,
    /// The untraced run loop.
    engine: crate::hart::Engine,
    captured: Option<Arc<Mutex<Vec<u8>>>>,
    /// The captured console log, when the console's log is captured.
    captured_log: Option<Arc<Mutex<Vec<u8>>>>,
    /// Called with each kernel event.
    pub observers: Vec<Box<dyn Observer>>,
    /// The current process as the kernel's last switch, exec or fork record said.
    pid: u32,
    /// `--trace-pid`: the tracer is paused while another process is current.
    trace_pid: Option<u32>,
}

impl Machine {
    /// Builds the machine with empty RAM; the hart starts at the boot ROM.
    pub fn new(cfg: MachineConfig) -> Result<Machine, MachineError> {
        let captured = match &cfg.console.output {
            crate::bus::ConsoleOutput::Capture(buf) => Some(buf.clone()),
            crate::bus::ConsoleOutput::Stdout => None,
        };
        let captured_log = match &cfg.console.log {
            Some(ConsoleLog::Capture(buf)) => Some(buf.clone()),
            _ => None,
        };
        let mut observers = cfg.observers;
        let mut trace_pid = None;
        let bus = Bus::new(BusConfig {
            ram_size: cfg.mem_size,
            bootargs: cfg.bootargs,
            initrd: cfg.initrd,
            console: cfg.console,
            disk: cfg.disk,
        })?;
        let mut hart = Hart::new(
            0x1000,
            crate::mmu::Mmu::new(cfg.pmp_entries, cfg.tlb, cfg.ad),
            cfg.mem_size,
        );
        hart.mmu.fast_path = cfg.mmu_fast_path;
        hart.misaligned = cfg.misaligned;
        if cfg.engine == crate::hart::Engine::Jit {
            #[cfg(feature = "jit")]
            hart.enable_jit(
                crate::hart::jit::Jit::new(cfg.jit_threshold, !cfg.jit_sync)
                    .map_err(MachineError::Jit)?,
            );
            #[cfg(not(feature = "jit"))]
            return Err(MachineError::NoJit);
        }
        let trace_insns = cfg.trace.as_ref().is_some_and(|t| t.insns);
        if let Some(t) = cfg.trace {
            if t.translations.is_some() {
                if !cfg!(feature = "trace-translations") {
                    return Err(MachineError::NoTranslationTrace);
                }
                // Every access must reach `Mmu::translate` to be seen.
                hart.mmu.fast_path = false;
            }
            if t.events.any() {
                observers.push(Box::new(EventTrace::new(t.events, t.format, t.pid)));
            }
            trace_pid = t.pid;
            let mut tracer = trace::Tracer::new(t.out, t.format, t.insns, t.translations);
            // Until the kernel says which process runs, none does.
            tracer.paused = t.pid.is_some();
            hart.set_tracer(Some(Box::new(tracer)));
        }
        Ok(Machine {
            hart,
            bus,
            max_insns: cfg.max_insns.unwrap_or(u64::MAX),
            pause_at: u64::MAX,
            tohost: None,
            trace_insns,
            engine: cfg.engine,
            captured,
            captured_log,
            observers,
            pid: 0,
            trace_pid,
        })
    }

    /// Loads a bare-metal ELF: its segments into RAM, and the boot hand-over to its entry.
    pub fn load_elf(&mut self, bytes: &[u8]) -> Result<loader::Loaded, MachineError> {
        let loaded = loader::load_bare(bytes, &mut self.bus.ram)?;
        if let Some(t) = loaded.tohost {
            if self.bus.ram.contains(crate::addr::PhysAddr(t), 8) {
                self.tohost = Some(t);
                self.hart.icache.watch(t);
            }
        }
        // The hart starts in the boot ROM, which hands over to the entry with a0 = hartid and
        // a1 = the device tree, as QEMU's reset vector does.
        self.bus.boot(loaded.entry)?;
        Ok(loaded)
    }

    /// Loads a raw image (no ELF) at `pa` and boots to `entry`.
    pub fn load_image(
        &mut self,
        pa: PhysAddr,
        bytes: &[u8],
        entry: u64,
    ) -> Result<(), MachineError> {
        self.bus
            .ram
            .write_bytes(pa, bytes)
            .map_err(|e| MachineError::Guest(e.to_string()))?;
        self.bus.boot(entry)?;
        Ok(())
    }

    /// Runs until the guest ends the run.
    pub fn run(&mut self) -> Exit {
        loop {
            if let Some(exit) = self.run_until(u64::MAX) {
                return exit;
            }
        }
    }

    /// Runs until the guest ends the run (`Some`) or until `steps` instructions (retired or
    /// trapped, [`Hart::steps`]) have run in all (`None`; at once if that many already have).
    /// A pause changes nothing the guest can see: it is one more event check, of which the
    /// loop makes many anyway, so `run_until(n)` then `run()` ends exactly as `run()` does,
    /// and what is inspected in between (say [`Machine::page_tables`], or the counters) is
    /// the state after exactly `steps` instructions.
    pub fn run_until(&mut self, steps: u64) -> Option<Exit> {
        self.pause_at = steps;
        loop {
            let exit = self.service();
            if exit.is_some() || self.hart.steps >= steps {
                #[cfg(feature = "jit")]
                if let Some(j) = self.hart.jit_stats() {
                    log::debug!("jit: {j:?}");
                }
                // The counters include the fetch fast path's pending hits (`mmu::fast`).
                let last = self.hart.steps.saturating_sub(1);
                self.hart.mmu.catch_up_fetch_run(last);
                let flushed = match self.hart.tracer.as_deref_mut() {
                    Some(t) => t.flush(),
                    None => Ok(()),
                };
                self.bus.flush_console();
                if let Err(e) = flushed {
                    // The trace was asked for: losing it fails the run, however it ended.
                    return Some(Exit::Halted(format!("cannot write the trace: {e}")));
                }
                return exit;
            }
            // Execute triggers are checked by the stepped loop only, so the fast loop has no
            // test for them.
            if self.trace_insns || self.hart.triggers.armed_exec() {
                self.hart.run_traced(&mut self.bus, self.trace_insns);
            } else {
                match self.engine {
                    crate::hart::Engine::Interp => self.hart.run_fast(&mut self.bus),
                    crate::hart::Engine::Block => self.hart.run_block(&mut self.bus),
                    #[cfg(feature = "jit")]
                    crate::hart::Engine::Jit => self.hart.run_jit(&mut self.bus),
                    // Refused by `Machine::new` without the JIT.
                    #[cfg(not(feature = "jit"))]
                    crate::hart::Engine::Jit => self.hart.run_block(&mut self.bus),
                }
            }
            if let Some(e) = self.hart.tracer.as_deref_mut().and_then(|t| t.take_error()) {
                let last = self.hart.steps.saturating_sub(1);
                self.hart.mmu.catch_up_fetch_run(last);
                return Some(Exit::Halted(format!("cannot write the trace: {e}")));
            }
        }
    }

    /// Event processing between instruction runs; returns the exit once the run is over.
    fn service(&mut self) -> Option<Exit> {
        if self.bus.kevent.pending() && self.deliver_events() == Flow::Stop {
            return Some(Exit::Stopped);
        }
        let h = &mut self.hart;
        if let Some(Halt::Deadlock(why)) = h.halt.take() {
            return Some(Exit::Halted(why));
        }
        if let Some(f) = self.bus.finisher_exit() {
            return Some(match f {
                FinisherExit::Pass => Exit::Pass,
                FinisherExit::Fail(c) => Exit::Fail(c as u64),
            });
        }
        if let Some(v) = self
            .tohost
            .and_then(|t| self.bus.ram.read_u64(crate::addr::PhysAddr(t)))
        {
            if v != 0 {
                // HTIF: bit 0 set = exit with code v >> 1; anything else is a device request
                // (console, syscalls) that this machine does not offer.
                return Some(match (v & 1, v >> 1) {
                    (1, 0) => Exit::Pass,
                    (1, code) => Exit::Fail(code),
                    _ => Exit::Halted(format!("unsupported HTIF request {v:#x} written to tohost")),
                });
            }
        }
        if h.steps >= self.max_insns {
            return Some(Exit::MaxInsns);
        }
        if let Some(sig) = crate::host_signal::received() {
            return Some(Exit::Interrupted(sig));
        }
        h.sample_irqs(&mut self.bus);
        let now = h.mtime();
        h.time_offset = self.bus.mtime(now).wrapping_sub(now);
        h.check_interrupts();
        let mut stop = self
            .max_insns
            .min(self.pause_at)
            .min(h.steps.saturating_add(SLICE));
        let deadline = self.bus.timer_deadline();
        if deadline <= u64::MAX / INSNS_PER_MTIME_TICK {
            let at = (deadline * INSNS_PER_MTIME_TICK).saturating_sub(h.idle);
            if at > h.steps {
                stop = stop.min(at);
            }
        }
        h.stop_at = stop;
        None
    }

    /// Hands the kernel events the device has queued to the observers, oldest first;
    /// `Flow::Stop` as soon as one asks for it (the rest stay queued for the next run).
    fn deliver_events(&mut self) -> Flow {
        while let Some(raw) = self.bus.kevent.pop() {
            let ev = crate::kevent::decode(&raw);
            match &ev {
                Event::Switch { pid, .. } | Event::Exec { pid, .. } => self.pid = *pid,
                Event::Log {
                    level, bare, text, ..
                } if self.bus.has_console_log() => {
                    let line = crate::kevent::observers::log_line(*level, *bare, text);
                    self.bus.console_log_line(&line);
                }
                _ => {}
            }
            let tracer = self.hart.tracer.as_deref_mut();
            if let (Some(t), Some(p)) = (tracer, self.trace_pid) {
                t.paused = self.pid != p;
            }
            if self.observers.is_empty() {
                continue;
            }
            let mut ctx = Ctx {
                instret: self.hart.instret(),
                steps: self.hart.steps,
                clock: self.hart.clock(),
                satp: self.hart.csr.satp,
                pid: self.pid,
                bus: &mut self.bus,
                tracer: self.hart.tracer.as_deref_mut(),
            };
            let mut flow = Flow::Continue;
            for o in self.observers.iter_mut() {
                if o.event(&ev, &mut ctx) == Flow::Stop {
                    flow = Flow::Stop;
                }
            }
            if flow == Flow::Stop {
                return flow;
            }
        }
        Flow::Continue
    }

    /// The current process, as the kernel's event records last said (0: none yet).
    pub fn current_pid(&self) -> u32 {
        self.pid
    }

    /// The page tables satp selects now, walked as the hardware walker would (PTE reads
    /// PMP-checked as S-mode; nothing written, nothing counted); `None` when satp is Bare.
    pub fn page_tables(&self) -> Option<PageTableDump> {
        let satp = self.hart.csr.satp;
        let mode = PagingMode::from_satp(satp)?;
        let mut mem = GuestPtes {
            ram: &self.bus.ram,
            pmp: &self.hart.mmu.pmp,
        };
        Some(dump::dump(satp & SATP_PPN_MASK, mode, &mut mem))
    }

    /// What `--dump-pt` prints: a line naming the moment and satp, then the dump
    /// (mmu/dump.rs documents its format), or one line saying that satp is Bare.
    pub fn page_table_report(&self) -> String {
        let (satp, steps) = (self.hart.csr.satp, self.hart.steps);
        match self.page_tables() {
            None => {
                format!("page tables after {steps} instructions: satp is Bare (no translation)\n")
            }
            Some(d) => format!(
                "page tables after {steps} instructions: satp {satp:#018x} (ASID {})\n{d}",
                satp_asid(satp)
            ),
        }
    }

    /// Counters for `--stats`.
    pub fn stats(&self) -> RunStats {
        let h = &self.hart;
        RunStats {
            instret: h.instret(),
            steps: h.steps,
            cycles: h.clock(),
            mtime: h.mtime(),
            exceptions: h.trap_stats.exceptions,
            interrupts: h.trap_stats.interrupts,
        }
    }

    /// The whole console log when it is captured ([`MachineConfig::capture`] does): what
    /// the guest wrote to the console with the kernel's log lines, of every level, in
    /// order, as a serial console would have shown them (empty otherwise).
    pub fn console_log(&mut self) -> Vec<u8> {
        self.bus.flush_console();
        match &self.captured_log {
            Some(buf) => buf.lock().map(|b| b.clone()).unwrap_or_default(),
            None => Vec::new(),
        }
    }

    /// Bytes the guest wrote to the console, when it is captured (empty otherwise).
    pub fn console_output(&mut self) -> Vec<u8> {
        self.bus.flush_console();
        match &self.captured {
            Some(buf) => buf.lock().map(|b| b.clone()).unwrap_or_default(),
            None => Vec::new(),
        }
    }
}
