//! Experiments on an rvmmu machine from Rust: boot the built-in kernel with your programs,
//! run until something happens — a system call, a read from the console, a page fault at
//! an address, an instruction count, a process's exit, some console output — and look at a
//! process's page tables two ways:
//!
//! - [`Lab::hardware_view`]: the tree walked from the process's root as the MMU sees it,
//!   swap entries decoded, physical addresses replaced by stable names (`F0`, `F1`, ... for
//!   frames, `T0`, ... for tables), so a snapshot test holds across runs and machines. It
//!   reads guest memory without any effect: the guest cannot tell it was taken.
//! - [`Lab::kernel_view`]: /proc/PID/maps as the kernel itself renders it. The kernel is
//!   asked through its event channel and answers at its next periodic memory sample (at
//!   most 10 ms of virtual time later), so the guest runs meanwhile and spends the
//!   instructions the rendering costs, as if a process had read the file. A run where
//!   nobody asks does exactly the same as before: the kernel reads the (empty) request
//!   register at every sample anyway.
//! - [`Lab::agree`]: whether the two agree page for page ([`Agreement`]).
//!
//! The machine is the one `rvmmu run` builds: the same kernel, the programs in an initramfs
//! at /bin/NAME, the same knobs (memory, paging mode, A/D scheme, TLB, swap). The console's
//! input is typed by the test while the machine is stopped ([`Lab::type_input`]) and ends
//! when it says so ([`Lab::end_input`]).
//! Everything is deterministic: the same lab run twice stops at the same instruction with
//! the same views.
//!
//! # Example
//!
//! ```no_run
//! use rvmmu_lab::{Event, Lab, Outcome, Paging};
//!
//! # fn main() -> Result<(), rvmmu_lab::LabError> {
//! // `malloc_1` is a static riscv64 Linux program that prints, then calls getchar().
//! let mut lab = Lab::builder()
//!     .mem(64 << 20)
//!     .paging(Paging::Sv39)
//!     .program_file("target/malloc_1")?
//!     .max_insns(2_000_000_000)
//!     .build()?;
//! match lab.run_until(Event::ConsoleRead(Some("malloc_1".into()))) {
//!     Outcome::Matched { pid, .. } => {
//!         println!("{}", lab.hardware_view(pid)?); // F0, F1, ... no physical address
//!         println!("{}", lab.kernel_view(pid)?); // /proc/PID/maps
//!         assert!(lab.agree(pid)?.holds());
//!         lab.type_input(b"\n"); // getchar() returns
//!     }
//!     other => panic!("malloc_1 never read its input: {other:?}"),
//! }
//! # Ok(())
//! # }
//! ```

#![deny(missing_docs)]

use rvmmu::bus::SharedInput;
use rvmmu::initramfs;
use rvmmu::machine::{Machine, MachineConfig};
use rvmmu::snapshot::watch::{self, ProcFileError, Until, Watcher};
use std::path::Path;
use std::sync::{Arc, Mutex};

pub use rvmmu::kevent::Event as KernelEvent;
pub use rvmmu::machine::Exit;
pub use rvmmu::mmu::tlb::TlbGeometry;
pub use rvmmu::mmu::walk::AdMode;
pub use rvmmu::snapshot::maps::{Agreement, Area, Disagreement, KernelView};
pub use rvmmu::snapshot::watch::{Proc, ProcInfo};
pub use rvmmu::snapshot::{HardwareView, Page, PageEntry, SwapPte};

/// The paging mode the kernel runs processes in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Paging {
    /// Three levels, 256 GiB of user space.
    Sv39,
    /// Four levels, 128 TiB of user space.
    Sv48,
}

/// What [`Lab::run_until`] runs until. `None` as a process means any process.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Event {
    /// The process enters system call `nr` (riscv64's numbers, e.g. 222 for mmap); the
    /// machine stops before the kernel carries it out.
    Syscall {
        /// The system call's number.
        nr: u64,
        /// Whose (any process's when `None`).
        proc: Option<Proc>,
    },
    /// `text` appears in the console output (looked for after each write(2) and writev(2)
    /// completes, from the end of the previous `Output` match). If it is there already, the
    /// run does not go on: the outcome's record is then [`KernelEvent::Unknown`] of kind 0
    /// and its pid the current process.
    Output(String),
    /// The process reads the console and, finding no input, waits (the kernel's
    /// console-wait event): a program in getchar() with nothing typed yet.
    ConsoleRead(Option<Proc>),
    /// A page fault in the page of `va`, after the kernel has handled it.
    Fault {
        /// An address in the faulting page.
        va: u64,
        /// Whose (any process's when `None`).
        proc: Option<Proc>,
    },
    /// This many instructions (retired or trapped) have run since boot.
    Insns(u64),
    /// With a process: its exit (or exit_group) system call, before its address space is
    /// taken down. With `None`: the end of the whole run.
    Exit(Option<Proc>),
}

/// How [`Lab::run_until`] stopped.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// The event happened in process `pid`; `record` is the kernel's event record that
    /// matched (system call entry, console wait, fault end, exit...), `instret` the
    /// instructions retired when it arrived.
    Matched {
        /// The process the event was about.
        pid: u32,
        /// The kernel's record that matched.
        record: KernelEvent,
        /// Instructions retired when it arrived.
        instret: u64,
    },
    /// [`Event::Insns`] reached: `pid` is the process current then (0: none).
    Reached {
        /// Instructions run (retired or trapped) since boot.
        steps: u64,
        /// The current process then (0: none yet).
        pid: u32,
    },
    /// The run ended first, or had already ended: how.
    Ended(Exit),
}

/// What went wrong.
#[derive(Debug, PartialEq, Eq)]
pub enum LabError {
    /// The machine could not be set up (a file, the kernel, the swap disk).
    Setup(String),
    /// No live process is that one (not started yet, or exited).
    NoProcess(Proc),
    /// The process's satp is Bare: it has no page tables.
    NoTables(u32),
    /// The kernel could not give the /proc file.
    ProcFile(String),
}

impl std::fmt::Display for LabError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            LabError::Setup(s) => write!(f, "cannot set the machine up: {s}"),
            LabError::NoProcess(p) => write!(f, "no live process {p:?}"),
            LabError::NoTables(pid) => write!(f, "process {pid} runs with satp Bare"),
            LabError::ProcFile(s) => write!(f, "cannot read the /proc file: {s}"),
        }
    }
}

impl std::error::Error for LabError {}

/// The instruction limit of a lab unless [`LabBuilder::max_insns`] sets another: ten
/// billion, a few minutes of host time.
pub const DEFAULT_MAX_INSNS: u64 = 10_000_000_000;

/// Builds a [`Lab`]: the knobs of `rvmmu run`.
#[derive(Debug)]
pub struct LabBuilder {
    mem: u64,
    paging: Paging,
    ad: AdMode,
    tlb: TlbGeometry,
    swap: Option<u64>,
    files: Vec<initramfs::File>,
    init: Option<(String, Vec<String>)>,
    input: Vec<u8>,
    sysctls: Vec<String>,
    max_insns: Option<u64>,
}

impl Default for LabBuilder {
    fn default() -> Self {
        LabBuilder {
            mem: 128 << 20,
            paging: Paging::Sv48,
            ad: AdMode::Hardware,
            tlb: TlbGeometry::default(),
            swap: None,
            files: Vec::new(),
            init: None,
            input: Vec::new(),
            sysctls: Vec::new(),
            max_insns: Some(DEFAULT_MAX_INSNS),
        }
    }
}

impl LabBuilder {
    /// RAM size in bytes (default 128 MiB; a multiple of 4 KiB, at least 1 MiB).
    pub fn mem(mut self, bytes: u64) -> Self {
        self.mem = bytes;
        self
    }

    /// The paging mode (default Sv48).
    pub fn paging(mut self, p: Paging) -> Self {
        self.paging = p;
        self
    }

    /// The A/D scheme: the walker sets A and D (default) or faults (the kernel sets them).
    pub fn ad(mut self, ad: AdMode) -> Self {
        self.ad = ad;
        self
    }

    /// The TLB's geometry (default 64 entries, 4 ways).
    pub fn tlb(mut self, g: TlbGeometry) -> Self {
        self.tlb = g;
        self
    }

    /// A swap disk of `bytes` (a temporary file with a swap header, as `rvmmu run --swap`).
    pub fn swap(mut self, bytes: u64) -> Self {
        self.swap = Some(bytes);
        self
    }

    /// Adds a program at /bin/`name`. The first program added is the init command unless
    /// [`LabBuilder::init`] says otherwise.
    pub fn program(mut self, name: &str, bytes: Vec<u8>) -> Self {
        self.files.push(initramfs::File {
            path: format!("/bin/{name}"),
            data: bytes,
            mode: 0o755,
        });
        self
    }

    /// Adds the host file at `path` as /bin/ and its file name.
    pub fn program_file(self, path: impl AsRef<Path>) -> Result<Self, LabError> {
        let path = path.as_ref();
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .ok_or_else(|| LabError::Setup(format!("{}: no file name", path.display())))?
            .to_string();
        let bytes =
            std::fs::read(path).map_err(|e| LabError::Setup(format!("{}: {e}", path.display())))?;
        Ok(self.program(&name, bytes))
    }

    /// The first process: `program` (a name under /bin, or an absolute path) with `args`.
    pub fn init(mut self, program: &str, args: &[&str]) -> Self {
        self.init = Some((
            program.to_string(),
            args.iter().map(|a| a.to_string()).collect(),
        ));
        self
    }

    /// Bytes the console delivers first, as the guest reads them. The input stays open
    /// after them (a read then waits, as on a terminal nobody types on) until
    /// [`Lab::end_input`]; [`Lab::type_input`] adds more while the machine is stopped. A
    /// run whose processes all wait for input goes on in virtual time (the kernel's ticks)
    /// until the instruction limit ([`LabBuilder::max_insns`]).
    pub fn input(mut self, bytes: &[u8]) -> Self {
        self.input.extend_from_slice(bytes);
        self
    }

    /// A sysctl set at boot (`vm.swappiness`, `10`), as `rvmmu run --sysctl`.
    pub fn sysctl(mut self, name: &str, value: &str) -> Self {
        self.sysctls.push(format!("sysctl.{name}={value}"));
        self
    }

    /// Ends the run after this many instructions ([`Exit::MaxInsns`]); default
    /// [`DEFAULT_MAX_INSNS`], so that a run waiting for input nobody types ends.
    pub fn max_insns(mut self, n: u64) -> Self {
        self.max_insns = Some(n);
        self
    }

    /// Boots nothing yet: packs the initramfs, makes the machine and loads the kernel.
    pub fn build(self) -> Result<Lab, LabError> {
        let setup = LabError::Setup;
        rvmmu::cli::check_mem(self.mem).map_err(setup)?;
        let (init, args) = match self.init {
            Some((p, a)) if p.starts_with('/') => (p, a),
            Some((p, a)) => (format!("/bin/{p}"), a),
            None => match self.files.first() {
                Some(f) => (f.path.clone(), Vec::new()),
                None => return Err(setup("no program to run".into())),
            },
        };
        let paging = match self.paging {
            Paging::Sv39 => "sv39",
            Paging::Sv48 => "sv48",
        };
        let bootargs = rvmmu::cli::kernel_cmdline(paging, &init, false, &self.sysctls, &args)
            .map_err(setup)?;
        let initrd = initramfs::pack(&self.files).map_err(|e| setup(e.to_string()))?;
        let disk = match self.swap {
            Some(size) => Some(rvmmu::disk::create_swap(size).map_err(|e| setup(e.to_string()))?),
            None => None,
        };
        let kernel = rvmmu::kernel::embedded()
            .ok_or_else(|| setup("rvmmu was built without its kernel".into()))?;
        let output = Arc::new(Mutex::new(Vec::new()));
        let input = SharedInput::default();
        input.push(&self.input);
        let mut cfg = MachineConfig::capture(Vec::new());
        cfg.console.output = rvmmu::bus::ConsoleOutput::Capture(output.clone());
        cfg.console.input = rvmmu::bus::ConsoleInput::Shared(input.clone());
        let cfg = MachineConfig {
            mem_size: self.mem,
            ad: self.ad,
            tlb: self.tlb,
            max_insns: self.max_insns,
            bootargs,
            initrd: Some(initrd),
            disk,
            ..cfg
        };
        let mut machine = Machine::new(cfg).map_err(|e| setup(e.to_string()))?;
        machine
            .load_elf(kernel)
            .map_err(|e| setup(format!("the kernel: {e}")))?;
        let watcher = Watcher::new(Some(output));
        watcher.install(&mut machine);
        Ok(Lab {
            machine,
            watcher,
            input,
            ended: None,
        })
    }
}

/// A machine running the kernel and your programs (see the crate's documentation).
pub struct Lab {
    machine: Machine,
    watcher: Watcher,
    input: SharedInput,
    ended: Option<Exit>,
}

impl Lab {
    /// A builder with `rvmmu run`'s defaults: 128 MiB, Sv48, hardware A/D, a 64x4 TLB, no
    /// swap; and at most [`DEFAULT_MAX_INSNS`] instructions.
    pub fn builder() -> LabBuilder {
        LabBuilder::default()
    }

    /// Runs until `ev` happens, or the run ends. Runs resume where the last one stopped.
    pub fn run_until(&mut self, ev: Event) -> Outcome {
        if let Some(e) = &self.ended {
            return Outcome::Ended(e.clone());
        }
        let goal = match ev {
            Event::Insns(n) => {
                return match self.machine.run_until(n) {
                    None => Outcome::Reached {
                        steps: self.machine.hart.steps,
                        pid: self.machine.current_pid(),
                    },
                    Some(e) => self.end(e),
                };
            }
            Event::Exit(None) => {
                let e = loop {
                    match self.machine.run() {
                        Exit::Stopped => {}
                        e => break e,
                    }
                };
                return self.end(e);
            }
            Event::Syscall { nr, proc } => Until::Syscall { nr, proc },
            Event::Output(s) => {
                // Printed already (say while the kernel rendered a /proc file)?
                self.machine.console_output();
                if self.watcher.output_seen(&s) {
                    return Outcome::Matched {
                        pid: self.machine.current_pid(),
                        record: KernelEvent::Unknown {
                            pid: 0,
                            kind: 0,
                            payload: Vec::new(),
                        },
                        instret: self.machine.hart.instret(),
                    };
                }
                Until::Output(s)
            }
            Event::ConsoleRead(p) => Until::ConsoleRead(p),
            Event::Fault { va, proc } => Until::Fault { va, proc },
            Event::Exit(p) => Until::Exit(p),
        };
        self.watcher.clear();
        self.watcher.watch(0, goal);
        let r = watch::run_to_hit(&mut self.machine, &self.watcher);
        self.watcher.clear();
        match r {
            Ok(h) => Outcome::Matched {
                pid: h.pid,
                record: h.event,
                instret: h.instret,
            },
            Err(e) => self.end(e),
        }
    }

    fn end(&mut self, e: Exit) -> Outcome {
        self.ended = Some(e.clone());
        Outcome::Ended(e)
    }

    /// Runs to the end of the run.
    pub fn run_to_end(&mut self) -> Exit {
        match self.run_until(Event::Exit(None)) {
            Outcome::Ended(e) => e,
            _ => unreachable!("only the end ends a run to the end"),
        }
    }

    /// The live process `p` names (the latest started, when several run one program).
    pub fn process(&self, p: impl Into<Proc>) -> Result<ProcInfo, LabError> {
        let p = p.into();
        let t = self.watcher.state();
        t.find(&p).cloned().ok_or(LabError::NoProcess(p))
    }

    /// The pid of the live process running the program `name`.
    pub fn pid_of(&self, name: &str) -> Option<u32> {
        self.process(Proc::Name(name.into())).ok().map(|p| p.pid)
    }

    /// Every process the kernel has reported, exited ones included, by pid.
    pub fn processes(&self) -> Vec<ProcInfo> {
        self.watcher.state().procs.values().cloned().collect()
    }

    /// The process's page tables as the MMU sees them, now (no effect on the guest).
    pub fn hardware_view(&self, p: impl Into<Proc>) -> Result<HardwareView, LabError> {
        let info = self.process(p)?;
        HardwareView::of_satp(&self.machine, info.satp).ok_or(LabError::NoTables(info.pid))
    }

    /// /proc/PID/maps as the kernel renders it (the guest runs until the kernel answers:
    /// see the crate's documentation).
    pub fn kernel_view(&mut self, p: impl Into<Proc>) -> Result<KernelView, LabError> {
        let pid = self.process(p)?.pid;
        let text = self.proc_file(&format!("/proc/{pid}/maps"))?;
        KernelView::parse(&text).map_err(LabError::ProcFile)
    }

    /// Any /proc file (`/proc/meminfo`, `/proc/PID/status`...) as the kernel renders it for
    /// a reader that is no process (`self` names none); like [`Lab::kernel_view`], it costs
    /// the guest the rendering.
    pub fn proc_file(&mut self, path: &str) -> Result<String, LabError> {
        if let Some(e) = &self.ended {
            return Err(LabError::ProcFile(format!("the run has ended ({e:?})")));
        }
        match watch::proc_file(&mut self.machine, &self.watcher, path) {
            Ok(bytes) => Ok(String::from_utf8_lossy(&bytes).into_owned()),
            Err(ProcFileError::Ended(e)) => {
                self.ended = Some(e.clone());
                Err(LabError::ProcFile(ProcFileError::Ended(e).to_string()))
            }
            Err(e) => Err(LabError::ProcFile(e.to_string())),
        }
    }

    /// Compares the two views page for page at one moment: the kernel's maps are asked
    /// for first, and the hardware view is taken the moment they arrive.
    pub fn agree(&mut self, p: impl Into<Proc>) -> Result<Agreement, LabError> {
        let p = p.into();
        let kv = self.kernel_view(p.clone())?;
        let hv = self.hardware_view(p)?;
        Ok(rvmmu::snapshot::maps::agree(&hv, &kv))
    }

    /// Types `bytes` on the console: the guest reads them when it next reads the console.
    pub fn type_input(&mut self, bytes: &[u8]) {
        self.input.push(bytes);
    }

    /// Ends the console's input after what was typed (a program's read then returns 0, as
    /// at Ctrl-D on a terminal).
    pub fn end_input(&mut self) {
        self.input.close();
    }

    /// What the programs wrote to the console so far.
    pub fn console_output(&mut self) -> String {
        String::from_utf8_lossy(&self.machine.console_output()).into_owned()
    }

    /// The console log: the output with the kernel's log lines, as a serial console shows.
    pub fn console_log(&mut self) -> String {
        String::from_utf8_lossy(&self.machine.console_log()).into_owned()
    }

    /// The machine, for what this API does not cover (its counters, its TLB...).
    pub fn machine(&mut self) -> &mut Machine {
        &mut self.machine
    }
}
