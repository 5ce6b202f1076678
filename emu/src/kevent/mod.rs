//! The kernel event channel, emulator side: records the kernel writes through the
//! `rvmmu,kevent` device ([`crate::devices::kevent`]) decoded into typed [`Event`]s, and the
//! observers the machine hands each one to (docs/TRACING.md, "The kernel event channel").
//!
//! The machine drains the device's queue between instructions (every doorbell store ends
//! the hart's run slice, as any device write does), so an observer sees each event right
//! after the store that announced it retired: [`Ctx::instret`] is the retired-instruction
//! count including that store. An observer may return [`Flow::Stop`]: `Machine::run` then
//! returns `Exit::Stopped`, and running again goes on from exactly there.

mod decode;
pub mod observers;
pub mod stats;

pub use decode::decode;

use crate::bus::Bus;
use crate::mmu::mode::PagingMode;
use crate::mmu::walk::SATP_PPN_MASK;
use crate::trace::Tracer;

/// Record kinds of protocol version 1 (the `kind` field of a record header).
pub mod kind {
    pub const LOG: u16 = 1;
    pub const SYSCALL_ENTER: u16 = 2;
    pub const SYSCALL_EXIT: u16 = 3;
    pub const FAULT_BEGIN: u16 = 4;
    pub const FAULT_END: u16 = 5;
    pub const EXEC: u16 = 6;
    pub const FORK: u16 = 7;
    pub const EXIT: u16 = 8;
    pub const SWITCH: u16 = 9;
    pub const CONSOLE_WAIT: u16 = 10;
    pub const KSWAPD_WAKE: u16 = 11;
    pub const KSWAPD_SLEEP: u16 = 12;
    pub const DIRECT_BEGIN: u16 = 13;
    pub const DIRECT_END: u16 = 14;
    pub const RECLAIM_PASS: u16 = 15;
    pub const SWAP_OUT: u16 = 16;
    pub const SWAP_IN: u16 = 17;
    pub const OOM_CANDIDATE: u16 = 18;
    pub const OOM_KILL: u16 = 19;
    pub const MEM_SAMPLE: u16 = 20;
    pub const PROC_REPLY: u16 = 21;
}

/// A kernel log line's level (the `log` crate's numbering: 1 error .. 5 trace).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Level {
    Error = 1,
    Warn = 2,
    Info = 3,
    Debug = 4,
    Trace = 5,
}

impl Level {
    pub fn from_u64(v: u64) -> Level {
        match v {
            0 | 1 => Level::Error,
            2 => Level::Warn,
            3 => Level::Info,
            4 => Level::Debug,
            _ => Level::Trace,
        }
    }

    /// The name the kernel's log lines start with.
    pub fn name(self) -> &'static str {
        ["ERROR", "WARN", "INFO", "DEBUG", "TRACE"][self as usize - 1]
    }
}

/// The access a page fault was taken for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FaultAccess {
    Read,
    Write,
    Exec,
}

impl FaultAccess {
    pub fn name(self) -> &'static str {
        match self {
            FaultAccess::Read => "read",
            FaultAccess::Write => "write",
            FaultAccess::Exec => "exec",
        }
    }
}

/// What kind of fault it turned out to be.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FaultKind {
    /// Resolved without I/O.
    Minor,
    /// Resolved by reading the disk (swap).
    Major,
    /// Not resolvable: outside every area or against its permissions.
    Invalid,
}

impl FaultKind {
    pub fn name(self) -> &'static str {
        match self {
            FaultKind::Minor => "minor",
            FaultKind::Major => "major",
            FaultKind::Invalid => "invalid",
        }
    }
}

/// What the kernel did about a fault.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FaultAction {
    ZeroFill,
    FileRead,
    SwapIn,
    CowCopy,
    StackGrowth,
    Sigsegv,
    Other,
    /// The page was present already: only the PTE's bits were set (not counted in the
    /// kernel's `pgfault`).
    Spurious,
}

impl FaultAction {
    pub fn name(self) -> &'static str {
        match self {
            FaultAction::ZeroFill => "zero-fill",
            FaultAction::FileRead => "file read",
            FaultAction::SwapIn => "swap-in",
            FaultAction::CowCopy => "COW copy",
            FaultAction::StackGrowth => "stack growth",
            FaultAction::Sigsegv => "SIGSEGV",
            FaultAction::Other => "other",
            FaultAction::Spurious => "spurious",
        }
    }
}

/// Free pages and the zone's watermarks, in pages.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Watermarks {
    pub free: u64,
    pub min: u64,
    pub low: u64,
    pub high: u64,
}

/// An LRU list.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LruList {
    InactiveAnon,
    ActiveAnon,
    InactiveFile,
    ActiveFile,
    Other(u64),
}

impl LruList {
    pub fn from_u64(v: u64) -> LruList {
        match v {
            0 => LruList::InactiveAnon,
            1 => LruList::ActiveAnon,
            2 => LruList::InactiveFile,
            3 => LruList::ActiveFile,
            n => LruList::Other(n),
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            LruList::InactiveAnon => "inactive_anon",
            LruList::ActiveAnon => "active_anon",
            LruList::InactiveFile => "inactive_file",
            LruList::ActiveFile => "active_file",
            LruList::Other(_) => "other",
        }
    }
}

/// One LRU list's part of a reclaim pass.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ListScan {
    pub list: LruList,
    pub scanned: u64,
    pub reclaimed: u64,
}

/// The periodic memory sample (every 10 ms of virtual time).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct MemSample {
    pub marks: Watermarks,
    pub swap_total: u64,
    pub swap_free: u64,
    pub pgfault: u64,
    pub pgmajfault: u64,
    pub pswpin: u64,
    pub pswpout: u64,
    pub pgscan_kswapd: u64,
    pub pgscan_direct: u64,
    pub pgsteal: u64,
    pub oom_kill: u64,
    /// (pid, resident pages) of each process.
    pub rss: Vec<(u32, u64)>,
}

/// A decoded record. `pid` is the record header's: the process current when the kernel
/// wrote it (0 when none is, e.g. at boot).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Event {
    /// A kernel log line: its level and text (`module: message`); `bare`: a console
    /// message shown as is, without the `LEVEL` prefix (the OOM killer's lines).
    Log {
        pid: u32,
        level: Level,
        bare: bool,
        text: String,
    },
    SyscallEnter {
        pid: u32,
        nr: u64,
        args: [u64; 6],
    },
    SyscallExit {
        pid: u32,
        nr: u64,
        ret: i64,
    },
    FaultBegin {
        pid: u32,
        va: u64,
        access: FaultAccess,
        user: bool,
    },
    FaultEnd {
        pid: u32,
        va: u64,
        kind: FaultKind,
        action: FaultAction,
    },
    /// `pid` now runs the program at `path` in the address space `satp` selects.
    Exec {
        pid: u32,
        satp: u64,
        path: String,
    },
    Fork {
        parent: u32,
        child: u32,
        satp: u64,
    },
    /// `status` as wait() reports it; the process's peak resident pages (VmHWM) and its
    /// minor and major fault counts as the kernel kept them (0 from a kernel that does not
    /// send them).
    Exit {
        pid: u32,
        status: u64,
        peak_rss: u64,
        minflt: u64,
        majflt: u64,
    },
    /// `pid` (0: none, the idle loop) is the current process from now on.
    Switch {
        pid: u32,
        satp: u64,
    },
    /// `pid` blocks reading the console.
    ConsoleWait {
        pid: u32,
    },
    KswapdWake {
        pid: u32,
        marks: Watermarks,
    },
    KswapdSleep {
        pid: u32,
        marks: Watermarks,
    },
    DirectReclaimBegin {
        pid: u32,
        marks: Watermarks,
    },
    DirectReclaimEnd {
        pid: u32,
        reclaimed: u64,
    },
    ReclaimPass {
        pid: u32,
        direct: bool,
        lists: Vec<ListScan>,
    },
    /// A page of `owner` (0 when unknown) at `va` went to swap slot `slot`.
    SwapOut {
        pid: u32,
        owner: u32,
        va: u64,
        slot: u64,
    },
    SwapIn {
        pid: u32,
        owner: u32,
        va: u64,
        slot: u64,
    },
    OomCandidate {
        pid: u32,
        candidate: u32,
        points: u64,
        adj: i64,
    },
    OomKill {
        pid: u32,
        victim: u32,
        points: u64,
        rss: u64,
        name: String,
    },
    MemSample {
        pid: u32,
        sample: Box<MemSample>,
    },
    /// Part of the kernel's answer to the host's request `id`
    /// ([`crate::devices::kevent::Kevent::request`]): `data` is the file's bytes from
    /// `offset`, of `total` in all; `errno` non-zero (and no data) when the kernel could not
    /// render the path.
    ProcReply {
        pid: u32,
        id: u64,
        offset: u64,
        total: u64,
        errno: u64,
        data: Vec<u8>,
    },
    /// A record of a kind this emulator does not know, or too short for its kind.
    Unknown {
        pid: u32,
        kind: u16,
        payload: Vec<u8>,
    },
}

impl Event {
    /// The record header's pid.
    pub fn pid(&self) -> u32 {
        match self {
            Event::Log { pid, .. }
            | Event::SyscallEnter { pid, .. }
            | Event::SyscallExit { pid, .. }
            | Event::FaultBegin { pid, .. }
            | Event::FaultEnd { pid, .. }
            | Event::Exec { pid, .. }
            | Event::Exit { pid, .. }
            | Event::Switch { pid, .. }
            | Event::ConsoleWait { pid }
            | Event::KswapdWake { pid, .. }
            | Event::KswapdSleep { pid, .. }
            | Event::DirectReclaimBegin { pid, .. }
            | Event::DirectReclaimEnd { pid, .. }
            | Event::ReclaimPass { pid, .. }
            | Event::SwapOut { pid, .. }
            | Event::SwapIn { pid, .. }
            | Event::OomCandidate { pid, .. }
            | Event::OomKill { pid, .. }
            | Event::MemSample { pid, .. }
            | Event::ProcReply { pid, .. }
            | Event::Unknown { pid, .. } => *pid,
            Event::Fork { parent, .. } => *parent,
        }
    }
}

/// What an observer wants after an event.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Flow {
    Continue,
    /// End `Machine::run` now (`Exit::Stopped`); a later run goes on from here.
    Stop,
}

/// Something the machine hands every kernel event to.
pub trait Observer {
    fn event(&mut self, ev: &Event, ctx: &mut Ctx<'_>) -> Flow;
}

/// What an observer can see of the machine when an event arrives.
pub struct Ctx<'a> {
    /// Instructions retired so far (the doorbell store included).
    pub instret: u64,
    /// Instructions executed, retired or trapped.
    pub steps: u64,
    /// Virtual cycles: `steps` plus the cycles skipped while the hart waited (WFI);
    /// 10^8 per virtual second (mtime runs at 10 MHz, 10 cycles a tick).
    pub clock: u64,
    /// satp now.
    pub satp: u64,
    /// The current process as the kernel last said (0: none yet).
    pub pid: u32,
    pub(crate) bus: &'a mut Bus,
    pub(crate) tracer: Option<&'a mut Tracer>,
}

impl Ctx<'_> {
    /// Reads physical memory (RAM only); false if any byte is outside RAM.
    pub fn read_phys(&self, pa: u64, buf: &mut [u8]) -> bool {
        self.bus
            .ram
            .read_bytes(crate::addr::PhysAddr(pa), buf)
            .is_ok()
    }

    /// The physical address behind `va` in the address space `satp` selects, walked from
    /// the root in RAM as the MMU would find the leaf, but without any effect: no TLB fill,
    /// no A/D update, no counter, no permission check. `va` itself when satp is Bare;
    /// `None` where nothing is mapped.
    pub fn translate(&self, satp: u64, va: u64) -> Option<u64> {
        let Some(mode) = PagingMode::from_satp(satp) else {
            return Some(va);
        };
        let bits = u32::from(mode.va_bits);
        // Canonical: the bits above va_bits - 1 copy it.
        let top = (va as i64) >> (bits - 1);
        if top != 0 && top != -1 {
            return None;
        }
        let mut table = (satp & SATP_PPN_MASK) << 12;
        for level in (0..u32::from(mode.levels)).rev() {
            let shift = 12 + 9 * level;
            let idx = (va >> shift) & 511;
            let pte = self
                .bus
                .ram
                .read_u64(crate::addr::PhysAddr(table + idx * 8))?;
            let (v, r, w, x) = (pte & 1, pte >> 1 & 1, pte >> 2 & 1, pte >> 3 & 1);
            if v == 0 || (r == 0 && w == 1) {
                return None;
            }
            let ppn = (pte >> 10) & ((1 << 44) - 1);
            if r == 1 || x == 1 {
                let mask = (1u64 << shift) - 1;
                return Some(((ppn << 12) & !mask) | (va & mask));
            }
            table = ppn << 12;
        }
        None
    }

    /// Reads guest-virtual memory of the address space `satp` selects (see
    /// [`Ctx::translate`]); false if any byte is unmapped or outside RAM.
    pub fn read_virt(&self, satp: u64, va: u64, buf: &mut [u8]) -> bool {
        let mut done = 0;
        while done < buf.len() {
            let at = va.wrapping_add(done as u64);
            let in_page = (4096 - (at & 4095)) as usize;
            let n = in_page.min(buf.len() - done);
            match self.translate(satp, at) {
                Some(pa) if self.read_phys(pa, &mut buf[done..done + n]) => done += n,
                _ => return false,
            }
        }
        true
    }

    /// [`Ctx::read_virt`] through the current satp.
    pub fn read_current(&self, va: u64, buf: &mut [u8]) -> bool {
        self.read_virt(self.satp, va, buf)
    }

    /// Writes out the console's buffered output (so that what an observer prints comes
    /// after what the guest printed before the event).
    pub fn flush_console(&mut self) {
        self.bus.flush_console();
    }

    /// The run's trace output (`--trace`), when there is one.
    pub fn tracer(&mut self) -> Option<&mut Tracer> {
        self.tracer.as_deref_mut()
    }
}

impl<'a> Ctx<'a> {
    /// A guest-memory reader over the current address space, for decoders.
    pub fn mem(&self) -> CtxMem<'_, 'a> {
        CtxMem {
            ctx: self,
            satp: self.satp,
        }
    }
}

/// Guest-virtual reads through one satp (for the system-call decoder).
pub struct CtxMem<'c, 'a> {
    ctx: &'c Ctx<'a>,
    satp: u64,
}

impl crate::strace::GuestMem for CtxMem<'_, '_> {
    fn read(&mut self, va: u64, buf: &mut [u8]) -> bool {
        self.ctx.read_virt(self.satp, va, buf)
    }
}
