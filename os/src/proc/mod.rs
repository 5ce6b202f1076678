//! Processes: the process table (here), fork, exit and wait (`life.rs`) and the round-robin
//! scheduler (`sched.rs`). The memory manager (`mm/`: the reverse map, the OOM killer,
//! swapoff) sees the table only through [`Spaces`].
//!
//! Each process has a pid (from 1, init), a parent, an address space with its own ASID, a
//! kernel stack whose top holds its saved user registers (the [`TrapFrame`] the trap entry
//! wrote), and its FP registers. One hart: one process runs at a time (`Table::current`),
//! and the kernel is never preempted (it runs with interrupts off), so processes change
//! only at the end of a trap, when [`sched`] picks which frame the trap exit
//! restores. A process that must wait (wait4 for a child, a console read for input)
//! sleeps and its system call is restarted when it wakes (its `ecall` runs again), so no
//! kernel state is kept across a wait. A timer tick every 10 ms (virtual time on rvmmu,
//! so runs are reproducible) preempts a process that runs too long in U-mode.
//!
//! A process that ends becomes a zombie (its memory and ASID are given back at once; its
//! pid, status and kernel stack stay until the parent's wait4 reaps it). Its children go
//! to init. init's own end is the machine's: its status goes to the finisher.

pub mod elf;
pub mod exec;
pub mod jobs;
mod life;
mod poll;
pub mod rlimit;
mod sched;
pub mod seg;
pub mod segswap;
pub mod signal;
mod times;

use life::end;
pub use life::{fork, getrusage, log_kill, wait4};
pub use sched::{on_user_trap, tick, Outcome};
pub use times::{clock_ticks, CpuTimes, USER_HZ};

use crate::arch::csr;
use crate::arch::fp::{self, FpRegs};
use crate::arch::trap::TrapFrame;
use crate::mm::kpt::{self, KernelSpace};
use crate::mm::space::AddressSpace;
use alloc::boxed::Box;
use alloc::collections::BTreeMap;
use alloc::string::String;
use alloc::vec::Vec;
use mm_core::task::{Asids, Ending, Pids};
use mm_core::{PhysAddr, VirtAddr};
use spin::{Mutex, MutexGuard};

pub use mm_core::signo::{SIGBUS, SIGILL, SIGKILL, SIGPIPE, SIGSEGV, SIGTRAP};

/// init's pid.
pub const INIT: u32 = 1;

/// What a sleeping process waits for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Wait {
    /// A child to end (wait4).
    Child,
    /// Console input (read on the console).
    Console,
    /// The clock to reach this many nanoseconds since boot (nanosleep).
    Timer(u64),
    /// A pipe to have data or room, or its other end to close (`fs::pipe`).
    Pipe(u32),
    /// A signal (rt_sigsuspend, pause's ppoll, rt_sigtimedwait with no timeout).
    Signal,
    /// A change on polled descriptors (ppoll, pselect6): any pipe's, console input (when
    /// the console is among them: `Process::poll_console`), or
    /// `sleep_until`'s time.
    Poll,
}

/// A live process's state (an ended one is a [`Zombie`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum State {
    /// Running or ready to run.
    Runnable,
    Sleeping(Wait),
    /// Stopped by a stop signal, until SIGCONT.
    Stopped,
}

/// A process.
pub struct Process {
    pub pid: u32,
    /// The parent's pid (0 for init: the kernel).
    pub ppid: u32,
    pub state: State,
    /// The command name (the program file's base name, Linux's `comm`).
    pub name: &'static str,
    /// The program's path (/proc/PID/exe, the name of its areas in /proc/PID/maps).
    pub exe: &'static str,
    pub space: AddressSpace,
    /// The program break: `[brk_start, brk)` is the heap.
    pub brk_start: u64,
    pub brk: u64,
    pub limits: [rlimit::Limit; rlimit::NLIMITS],
    pub files: crate::fs::files::FdTable,
    /// The kernel stack (its top holds the saved user registers).
    pub kstack: PhysAddr,
    /// The FP registers while another process owns the FP unit.
    pub fp: FpRegs,
    /// CLONE_CHILD_CLEARTID / set_tid_address: zeroed when the process ends.
    pub clear_child_tid: u64,
    /// Minor faults of the children reaped so far (their own and their reaped children's).
    pub cminflt: u64,
    /// Major faults of the children reaped so far (likewise).
    pub cmajflt: u64,
    /// CPU time used so far, in user and in kernel mode (`times`).
    pub times: CpuTimes,
    /// CPU time of the children reaped so far (their own and their reaped children's).
    pub ctimes: CpuTimes,
    /// Blocked signals (rt_sigprocmask; bit n - 1 for signal n): inherited by fork, kept by
    /// execve.
    pub sigmask: u64,
    /// Signals sent and not delivered yet (blocked, or waiting for the return to U-mode);
    /// a fork's child starts with none.
    pub sigpending: u64,
    /// Dispositions, the alternate stack, the pending signals' siginfo (`signal.rs`).
    pub sig: Box<signal::Signals>,
    /// The OOM killer's bias, -1000 (never chosen) to 1000 (/proc/PID/oom_score_adj):
    /// inherited by fork, kept by execve.
    pub oom_score_adj: i16,
    /// When the stretch of running now being timed began (ns since boot): the process's
    /// last switch in, trap entry or trap exit.
    pub run_mark: u64,
    /// Where a nanosleep that had to wait ends (ns since boot), kept across its restarts.
    pub sleep_until: Option<u64>,
    /// The current system call is a restart after a sleep (its side effects before the
    /// sleep, such as the dump_proc print, are not repeated).
    pub restarted: bool,
    /// The descriptors a ppoll or pselect6 sleeps on include the console, so console
    /// input (or its end) wakes it (a sleep on pipes alone is not woken by the console).
    pub poll_console: bool,
    /// What a system call that returned ERESTARTSYS waits for (None: console input).
    pub sleep_on: Option<Wait>,
    /// Where exec put the code, data, stack and argument strings (/proc/PID/stat).
    pub loaded: elf::Loaded,
    /// User and group ids and the umask (`syscall::identity`): inherited by fork.
    pub cred: crate::syscall::identity::Cred,
    /// Process group and session (`jobs.rs`): inherited by fork, kept by execve.
    pub pgid: u32,
    pub sid: u32,
    /// It has called execve (setpgid on it by its parent is then EACCES).
    pub execed: bool,
    /// The working directory: its path components joined by `/`, no leading `/` (`""` is
    /// the root). Inherited by fork.
    pub cwd: String,
    /// personality(2)'s persona: inherited by fork, kept by execve. Its
    /// [`seg::PER_SEGMENTS`] bit makes execve load the program segmented.
    pub persona: u32,
}

impl Process {
    /// The saved user registers.
    pub fn frame(&self) -> *mut TrapFrame {
        exec::frame_of(self.kstack)
    }
}

/// What is left of an ended process until its parent reaps it.
struct Zombie {
    ppid: u32,
    /// Its process group (wait4 for a group).
    pgid: u32,
    ending: Ending,
    /// Its minor and major faults and those of its reaped children (wait4's rusage).
    minflt: u64,
    majflt: u64,
    /// Its CPU time and that of its reaped children (wait4's rusage, the parent's cutime).
    times: CpuTimes,
    kstack: PhysAddr,
}

/// The live processes by pid. The running one's slot is empty while it handles a trap
/// (the handler has it: see `sched::on_user_trap`), so taking it out and putting it back
/// moves no map nodes; the lookups and iterations here see the others only.
struct Live(BTreeMap<u32, Option<Box<Process>>>);

impl Live {
    /// Process `pid`, unless it is gone or running.
    fn get(&self, pid: u32) -> Option<&Process> {
        self.0.get(&pid).and_then(|p| p.as_deref())
    }
    fn get_mut(&mut self, pid: u32) -> Option<&mut Process> {
        self.0.get_mut(&pid).and_then(|p| p.as_deref_mut())
    }
    fn values(&self) -> impl Iterator<Item = &Process> {
        self.0.values().flatten().map(|p| &**p)
    }
    fn values_mut(&mut self) -> impl Iterator<Item = &mut Process> {
        self.0.values_mut().flatten().map(|p| &mut **p)
    }
    /// Pids of the processes here, ascending.
    fn pids(&self) -> impl Iterator<Item = u32> + Clone + '_ {
        self.0
            .iter()
            .filter(|(_, p)| p.is_some())
            .map(|(&pid, _)| pid)
    }
    /// Live processes, the running one included.
    fn len(&self) -> usize {
        self.0.len()
    }
    fn contains(&self, pid: u32) -> bool {
        self.0.contains_key(&pid)
    }
    fn insert(&mut self, p: Box<Process>) {
        self.0.insert(p.pid, Some(p));
    }
    /// Takes process `pid` out of its slot (it is about to handle a trap).
    fn take(&mut self, pid: u32) -> Option<Box<Process>> {
        self.0.get_mut(&pid).and_then(Option::take)
    }
    /// Puts a taken process back in its slot.
    fn put_back(&mut self, p: Box<Process>) {
        if let Some(slot) = self.0.get_mut(&p.pid) {
            *slot = Some(p);
        }
    }
    /// Removes `pid`'s slot (it has ended).
    fn remove(&mut self, pid: u32) {
        self.0.remove(&pid);
    }
}

struct Table {
    live: Live,
    zombies: BTreeMap<u32, Zombie>,
    /// The process running (or last run); while it handles a trap its slot in `live` is
    /// empty.
    current: u32,
    /// Whose registers the FP unit holds.
    fp_owner: u32,
    pids: Pids,
    asids: Asids,
    /// ASIDs are usable (ASIDLEN large enough for [`mm_core::task::MAX_PROCS`]); otherwise every space
    /// uses ASID 0 and each switch fences everything.
    use_asids: bool,
    /// Timer deadline interval (10 ms of the timebase); 0 until init starts.
    tick: u64,
    /// The running process's name and oom_score_adj, while it is out of `live` handling a
    /// trap (the OOM killer may have to choose it).
    running: (&'static str, i16),
}

static TABLE: Mutex<Table> = Mutex::new(Table {
    live: Live(BTreeMap::new()),
    zombies: BTreeMap::new(),
    current: 0,
    fp_owner: 0,
    pids: Pids::new(),
    asids: Asids::new(),
    use_asids: false,
    tick: 0,
    running: ("", 0),
});

/// Finisher status bit saying "killed by a signal": init's end is reported to the machine
/// as the exit status n (0..=255), or `KILLED | signal` when a signal killed it, which
/// `rvmmu run` turns into 128 + signal and the shell's word, as a shell reports a wait
/// status.
pub const KILLED: u16 = 0x100;

pub(crate) fn kernel_space() -> KernelSpace {
    match kpt::kernel() {
        Some(k) => k,
        None => panic!("no kernel page table"),
    }
}

/// A name that lives as long as the kernel (process names and paths), each distinct one
/// allocated once.
pub fn intern(s: &str) -> &'static str {
    static NAMES: Mutex<Vec<&'static str>> = Mutex::new(Vec::new());
    let mut names = NAMES.lock();
    if let Some(n) = names.iter().find(|n| **n == s) {
        return n;
    }
    let n: &'static str = String::leak(String::from(s));
    names.push(n);
    n
}

/// A new ASID (1.. when ASIDs are usable, else 0).
fn alloc_asid(t: &mut Table) -> Option<u16> {
    if t.use_asids {
        t.asids.alloc()
    } else {
        Some(0)
    }
}

/// Starts init (pid 1) from `loaded` and enters it; does not return.
pub fn start_init(loaded: exec::Loaded, name: &'static str, exe: &'static str, persona: u32) -> ! {
    let Some(kstack) = exec::alloc_kstack() else {
        panic!("no memory for init's kernel stack");
    };
    let frame = exec::initial_frame(loaded.entry, loaded.sp);
    crate::kevent::exec(INIT, loaded.space.satp(), exe);
    let ram_pages = crate::mm::frame::total_frames() as u64;
    let p = Box::new(Process {
        pid: INIT,
        ppid: 0,
        state: State::Runnable,
        name,
        exe,
        space: loaded.space,
        brk_start: loaded.brk,
        brk: loaded.brk,
        limits: rlimit::init_limits(ram_pages),
        files: crate::fs::files::FdTable::new(),
        kstack,
        fp: FpRegs::default(),
        clear_child_tid: 0,
        cminflt: 0,
        cmajflt: 0,
        times: CpuTimes::default(),
        ctimes: CpuTimes::default(),
        sigmask: 0,
        sigpending: 0,
        sig: signal::Signals::new(loaded.vdso),
        oom_score_adj: 0,
        run_mark: crate::time::now_ns(),
        sleep_until: None,
        restarted: false,
        poll_console: false,
        sleep_on: None,
        loaded: loaded.layout,
        cred: crate::syscall::identity::Cred::root(),
        pgid: INIT,
        sid: INIT,
        execed: false,
        cwd: String::new(),
        persona,
    });
    let fptr = p.frame();
    let satp = p.space.satp();
    {
        let mut t = TABLE.lock();
        t.pids.alloc(|_| false);
        t.current = INIT;
        t.fp_owner = INIT;
        t.tick = crate::time::timebase() / 100;
        t.live.insert(p);
    }
    fp::restore(&FpRegs::default());
    if let Some(p) = TABLE.lock().live.get(INIT) {
        seg::arm_for(&p.space);
    }
    crate::arch::sbi::set_timer(csr::read_time() + TABLE.lock().tick);
    #[allow(unsafe_code)]
    // SAFETY: `fptr` is the top FRAME_SIZE bytes of init's own kernel stack; its table maps
    // the kernel (shared upper half) and the program; the frame returns to U-mode at the
    // ELF's entry. The full fence of switch_page_table covers the new tables' writes.
    unsafe {
        fptr.write(frame);
        csr::switch_page_table(satp);
        crate::arch::trap::return_to(fptr)
    }
}

/// The process's choice of the ASID scheme, made once at boot: per-process ASIDs when
/// satp implements enough ASID bits for [`mm_core::task::MAX_PROCS`] processes.
pub fn init_asids() -> u16 {
    let bits = csr::asid_bits();
    let mut t = TABLE.lock();
    t.use_asids = bits >= 7;
    let a = alloc_asid(&mut t).unwrap_or(0);
    log::debug!("satp: {bits} ASID bits; per-process ASIDs: {}", t.use_asids);
    a
}

/// Whether `pid` is a live process other than the one running (which is out of the table
/// while it runs a system call).
pub fn is_live(pid: u32) -> bool {
    TABLE.lock().live.get(pid).is_some()
}

/// The pids of the live processes in the table (the one running a system call is out of
/// it: its caller adds it).
pub fn live_pids() -> Vec<u32> {
    TABLE.lock().live.pids().collect()
}

/// Runs `f` on every live process in the table (all but the one running).
pub fn with_others<R>(f: impl FnOnce(&[&Process]) -> R) -> R {
    let t = TABLE.lock();
    let others: Vec<&Process> = t.live.values().collect();
    f(&others)
}

/// Makes every process sleeping on `w` runnable (the one running is not in the table
/// and is not asleep); a pipe's wake wakes the pollers too.
pub fn wake(w: Wait) {
    let poll = matches!(w, Wait::Pipe(_));
    for p in TABLE.lock().live.values_mut() {
        if p.state == State::Sleeping(w) || (poll && p.state == State::Sleeping(Wait::Poll)) {
            p.state = State::Runnable;
        }
    }
}

/// Runs `f` on live process `pid` (not the one running: see [`is_live`]).
pub fn with_live<R>(pid: u32, f: impl FnOnce(&mut Process) -> R) -> Option<R> {
    TABLE.lock().live.get_mut(pid).map(f)
}

/// Replaces `p`'s program (execve, after the checks): its new address space (same ASID)
/// goes live, the old one is given back; registers and FP state start afresh.
pub fn replace_image(
    p: &mut Process,
    frame: &mut TrapFrame,
    loaded: exec::Loaded,
    name: &'static str,
    exe: &'static str,
) {
    if p.clear_child_tid != 0 {
        let _ = p
            .space
            .copy_out(VirtAddr(p.clear_child_tid), &0u32.to_le_bytes());
        p.clear_child_tid = 0;
    }
    let satp = loaded.space.satp();
    let asid = loaded.space.asid;
    let old = core::mem::replace(&mut p.space, loaded.space);
    #[allow(unsafe_code)]
    // SAFETY: the new table maps the kernel in its upper half. The ASID is the same as the
    // old space's: it is recycled, so after the satp write it is fenced (the spec's first
    // way: "first change satp to point to the new page table using the recycled ASID,
    // then execute SFENCE.VMA with rs1=x0 and rs2 set to the recycled ASID").
    unsafe {
        csr::write_satp(satp);
    }
    csr::sfence_asid(asid);
    crate::kevent::exec(p.pid, satp, exe);
    drop(old);
    p.name = name;
    p.exe = exe;
    p.brk_start = loaded.brk;
    p.brk = loaded.brk;
    p.loaded = loaded.layout;
    p.sig.exec(loaded.vdso);
    p.execed = true;
    p.fp = FpRegs::default();
    fp::restore(&p.fp);
    *frame = exec::initial_frame(loaded.entry, loaded.sp);
}

/// The memory manager's view of the process table (`mm::rmap`, `mm::oom`, swapoff): the
/// live processes' pids, names, oom_score_adj and address spaces, and the running
/// process's pid, name and oom_score_adj (its space is out of the table while it handles
/// its trap: the memory manager's callers pass it in). Holding a `Spaces` holds the
/// table's lock.
pub(crate) struct Spaces(MutexGuard<'static, Table>);

/// The table locked ([`Spaces`]); it must not be held further up the call chain.
pub(crate) fn spaces() -> Spaces {
    Spaces(TABLE.lock())
}

/// The table locked ([`Spaces`]), or None when it is held further up the call chain (the
/// kernel reading another process's memory).
pub(crate) fn try_spaces() -> Option<Spaces> {
    TABLE.try_lock().map(Spaces)
}

impl Spaces {
    /// The running process (or the last to run): pid, name, oom_score_adj.
    pub fn running(&self) -> (u32, &'static str, i16) {
        let (name, adj) = self.0.running;
        (self.0.current, name, adj)
    }
    /// The live processes in the table (all but the running one).
    pub fn iter(&self) -> impl Iterator<Item = &Process> {
        self.0.live.values()
    }
    /// Process `pid`'s space, unless it is gone or running.
    pub fn space_mut(&mut self, pid: u32) -> Option<&mut AddressSpace> {
        self.0.live.get_mut(pid).map(|q| &mut q.space)
    }
    /// Takes process `pid` out of the table (the OOM killer's victim, for [`oom_kill`]),
    /// unlocking the table.
    pub fn take(mut self, pid: u32) -> Option<Box<Process>> {
        self.0.live.take(pid)
    }
}

/// Ends `victim`, taken out of the table by [`Spaces::take`], by SIGKILL: its memory and
/// swap slots are given back now (it is not running).
pub(crate) fn oom_kill(victim: Box<Process>) {
    end(victim, Ending::Signaled(SIGKILL));
}
