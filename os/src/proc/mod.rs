//! Processes: the process table, fork, exit and wait, and the round-robin scheduler.
//!
//! Each process has a pid (from 1, init), a parent, an address space with its own ASID, a
//! kernel stack whose top holds its saved user registers (the [`TrapFrame`] the trap entry
//! wrote), and its FP registers. One hart: one process runs at a time (`Table::current`),
//! and the kernel is never preempted (it runs with interrupts off), so processes change
//! only at the end of a trap, when [`finish_trap`] picks which frame the trap exit
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
pub mod rlimit;
pub mod space;

use crate::arch::fp::{self, FpRegs};
use crate::arch::trap::TrapFrame;
use crate::arch::{csr, sbi};
use crate::mm::kpt::{self, KernelSpace};
use alloc::boxed::Box;
use alloc::collections::BTreeMap;
use alloc::string::String;
use alloc::vec::Vec;
use mm_core::task::{self, Asids, Ending, Pids, MAX_PROCS};
use mm_core::{PhysAddr, VirtAddr};
use space::AddressSpace;
use spin::Mutex;

/// Signal numbers (asm-generic).
pub const SIGILL: u32 = 4;
pub const SIGTRAP: u32 = 5;
pub const SIGBUS: u32 = 7;
pub const SIGSEGV: u32 = 11;

/// init's pid.
pub const INIT: u32 = 1;

/// What a sleeping process waits for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Wait {
    /// A child to end (wait4).
    Child,
    /// Console input (read on the console).
    Console,
}

/// A live process's state (an ended one is a [`Zombie`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum State {
    /// Running or ready to run.
    Runnable,
    Sleeping(Wait),
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
    /// The current system call is a restart after a sleep (its side effects before the
    /// sleep, such as the dump_proc print, are not repeated).
    pub restarted: bool,
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
    ending: Ending,
    /// Its minor faults and those of its reaped children (wait4's rusage).
    minflt: u64,
    kstack: PhysAddr,
}

struct Table {
    live: BTreeMap<u32, Box<Process>>,
    zombies: BTreeMap<u32, Zombie>,
    /// The process running (or last run); while it handles a trap it is out of `live`.
    current: u32,
    /// Whose registers the FP unit holds.
    fp_owner: u32,
    pids: Pids,
    asids: Asids,
    /// ASIDs are usable (ASIDLEN large enough for [`MAX_PROCS`]); otherwise every space
    /// uses ASID 0 and each switch fences everything.
    use_asids: bool,
    /// Timer deadline interval (10 ms of the timebase); 0 until init starts.
    tick: u64,
}

static TABLE: Mutex<Table> = Mutex::new(Table {
    live: BTreeMap::new(),
    zombies: BTreeMap::new(),
    current: 0,
    fp_owner: 0,
    pids: Pids::new(),
    asids: Asids::new(),
    use_asids: false,
    tick: 0,
});

/// Finisher status bit saying "killed by a signal": init's end is reported to the machine
/// as the exit status n (0..=255), or `KILLED | signal` when a signal killed it, which
/// `rvmmu run` turns into 128 + signal and the shell's word, as a shell reports a wait
/// status.
pub const KILLED: u16 = 0x100;

fn kernel_space() -> KernelSpace {
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
pub fn start_init(loaded: exec::Loaded, name: &'static str, exe: &'static str) -> ! {
    let Some(kstack) = exec::alloc_kstack() else {
        panic!("no memory for init's kernel stack");
    };
    let frame = exec::initial_frame(loaded.entry, loaded.sp);
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
        restarted: false,
    });
    let fptr = p.frame();
    let satp = p.space.satp();
    {
        let mut t = TABLE.lock();
        t.pids.alloc(|_| false);
        t.current = INIT;
        t.fp_owner = INIT;
        t.tick = crate::time::timebase() / 100;
        t.live.insert(INIT, p);
    }
    fp::restore(&FpRegs::default());
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
/// satp implements enough ASID bits for [`MAX_PROCS`] processes.
pub fn init_asids() -> u16 {
    let bits = csr::asid_bits();
    let mut t = TABLE.lock();
    t.use_asids = bits >= 7;
    let a = alloc_asid(&mut t).unwrap_or(0);
    log::debug!("satp: {bits} ASID bits; per-process ASIDs: {}", t.use_asids);
    a
}

/// What a trap handler decided for the current process.
pub enum Outcome {
    /// Back to it.
    Resume,
    /// It gives up the hart (sched_yield).
    Yield,
    /// Its system call must wait: it sleeps and the call runs again when it wakes.
    Sleep(Wait),
    /// It ends.
    End(Ending),
}

/// Handles a trap from the current process with `handle` (which gets the process, out of
/// the table for the time, and its saved registers), then returns the frame the trap
/// exit resumes: the same process's, or the next one's after a switch.
pub fn on_user_trap(
    frame: &mut TrapFrame,
    handle: impl FnOnce(&mut Process, &mut TrapFrame) -> Outcome,
) -> *mut TrapFrame {
    let cur = TABLE.lock().current;
    let Some(mut p) = TABLE.lock().live.remove(&cur) else {
        panic!("user trap with no current process {cur}");
    };
    let outcome = handle(&mut p, frame);
    p.restarted = false;
    match outcome {
        Outcome::Resume => {
            TABLE.lock().live.insert(cur, p);
            frame
        }
        Outcome::Yield => {
            TABLE.lock().live.insert(cur, p);
            schedule(cur)
        }
        Outcome::Sleep(w) => {
            frame.sepc -= 4;
            p.restarted = true;
            p.state = State::Sleeping(w);
            TABLE.lock().live.insert(cur, p);
            schedule(cur)
        }
        Outcome::End(ending) => {
            end(p, ending);
            schedule(cur)
        }
    }
}

/// A timer tick: set the next deadline; the process running in U-mode will be switched
/// away from at the end of this trap (`from_user`), or at the next trap if the tick
/// interrupted the kernel's idle wait.
pub fn tick(frame: &mut TrapFrame, from_user: bool) -> *mut TrapFrame {
    let interval = TABLE.lock().tick;
    sbi::set_timer(if interval == 0 {
        u64::MAX
    } else {
        csr::read_time() + interval
    });
    if !from_user || interval == 0 {
        return frame;
    }
    let cur = TABLE.lock().current;
    schedule(cur)
}

/// The process to run after `prev` (round robin among the runnable ones, `prev` last);
/// with none, waits for an interrupt (each tick checks the console again). Switches the
/// address space and FP registers to it and returns its saved registers.
fn schedule(prev: u32) -> *mut TrapFrame {
    loop {
        {
            let mut t = TABLE.lock();
            if t.live
                .values()
                .any(|p| p.state == State::Sleeping(Wait::Console))
                && crate::console::input_ready()
            {
                for p in t.live.values_mut() {
                    if p.state == State::Sleeping(Wait::Console) {
                        p.state = State::Runnable;
                    }
                }
            }
            let live = &t.live;
            let next = task::next_to_run(live.keys().copied(), prev, |pid| {
                live.get(&pid).is_some_and(|p| p.state == State::Runnable)
            });
            if let Some(pid) = next {
                return switch_to(&mut t, pid);
            }
        }
        // Nothing can run: wait for the next interrupt (the tick at the latest) with
        // interrupts on, then look again. The interrupt nests on this kernel stack.
        csr::set_sstatus(csr::SSTATUS_SIE);
        csr::wfi();
        csr::clear_sstatus(csr::SSTATUS_SIE);
    }
}

/// Makes `pid` the running process: its page table, its FP registers.
fn switch_to(t: &mut Table, pid: u32) -> *mut TrapFrame {
    let prev = t.current;
    t.current = pid;
    let Some(next) = t.live.get(&pid) else {
        panic!("switch to a missing process {pid}");
    };
    let frame = next.frame();
    if prev != pid || t.fp_owner != pid {
        let satp = next.space.satp();
        #[allow(unsafe_code)]
        // SAFETY: every process's table maps the kernel in its upper half (the kernel's
        // own tables, global). With per-process ASIDs the satp write needs no fence (their
        // translations are apart, and each space's tables were fenced when written);
        // without, everything is fenced.
        unsafe {
            if t.use_asids {
                csr::write_satp(satp)
            } else {
                csr::switch_page_table(satp)
            }
        }
    }
    if t.fp_owner != pid {
        let owner = t.fp_owner;
        if let Some(o) = t.live.get_mut(&owner) {
            #[allow(unsafe_code)]
            // SAFETY: a live process's frame is on its own kernel stack, which nothing
            // else uses while it does not run.
            let f = unsafe { &mut *o.frame() };
            if f.sstatus & csr::SSTATUS_FS == csr::SSTATUS_FS {
                fp::save(&mut o.fp);
                f.sstatus = (f.sstatus & !csr::SSTATUS_FS) | csr::SSTATUS_FS_CLEAN;
            }
        }
        if let Some(n) = t.live.get(&pid) {
            fp::restore(&n.fp);
        }
        t.fp_owner = pid;
    }
    frame
}

/// The FP registers of the current process `p` (which owns the FP unit) into `p.fp`, so a
/// copy of `p` (fork) gets them.
fn save_own_fp(p: &mut Process, frame: &mut TrapFrame) {
    if frame.sstatus & csr::SSTATUS_FS == csr::SSTATUS_FS {
        fp::save(&mut p.fp);
        frame.sstatus = (frame.sstatus & !csr::SSTATUS_FS) | csr::SSTATUS_FS_CLEAN;
    }
}

/// Logs the process's fault counts (as init's end always has).
fn fault_counts(name: &str, minflt: u64) {
    log::info!(
        "{name}: minflt {minflt}, majflt 0; pgfault {}",
        space::PGFAULT.load(core::sync::atomic::Ordering::Relaxed)
    );
}

/// Signal names for the log.
fn signal_name(signal: u32) -> &'static str {
    match signal {
        SIGSEGV => "SIGSEGV",
        SIGBUS => "SIGBUS",
        SIGILL => "SIGILL",
        SIGTRAP => "SIGTRAP",
        _ => "signal",
    }
}

/// Logs that `p` is killed by `signal`, and why; the caller ends it.
pub fn log_kill(p: &Process, signal: u32, why: core::fmt::Arguments<'_>) {
    log::info!("{}: killed by {} ({why})", p.name, signal_name(signal));
}

/// Ends process `p`: init's end powers the machine off with its status; any other
/// becomes a zombie, its memory given back, its children given to init, its parent woken.
fn end(p: Box<Process>, ending: Ending) {
    check_rmap(&p);
    let minflt = p.space.minflt;
    if p.pid == INIT {
        fault_counts(p.name, minflt);
        if CHECK_RMAP.load(core::sync::atomic::Ordering::Relaxed) {
            log::info!(
                "rmap check: {} mappings found, {} wrong",
                RMAP_CHECKED.load(core::sync::atomic::Ordering::Relaxed),
                RMAP_WRONG.load(core::sync::atomic::Ordering::Relaxed)
            );
        }
        log::debug!(
            "at init's end: {} free frames, {} processes left",
            crate::mm::frame::free_frames(),
            {
                let t = TABLE.lock();
                t.live.len() + t.zombies.len()
            }
        );
        match ending {
            Ending::Exited(code) => {
                log::info!("{}: exited with status {}", p.name, code & 0xff);
                sbi::shutdown((code & 0xff) as u16)
            }
            Ending::Signaled(sig) => sbi::shutdown(KILLED | (sig as u16 & 0x7f)),
        }
    }
    let mut p = p;
    if p.clear_child_tid != 0 {
        // CLONE_CHILD_CLEARTID: Linux zeroes the word (and wakes a futex there; no
        // futexes yet). A bad address is ignored, as Linux ignores it.
        let _ = p
            .space
            .copy_out(VirtAddr(p.clear_child_tid), &0u32.to_le_bytes());
    }
    match ending {
        Ending::Exited(code) => log::info!(
            "{} (pid {}): exited with status {}",
            p.name,
            p.pid,
            code & 0xff
        ),
        Ending::Signaled(sig) => {
            log::info!("{} (pid {}): ended by {}", p.name, p.pid, signal_name(sig))
        }
    }
    let kernel = kernel_space();
    #[allow(unsafe_code)]
    // SAFETY: the kernel's own table maps the kernel; the process's table is about to go.
    unsafe {
        csr::write_satp(kernel.mode.satp(kernel.root, 0));
    }
    let Process {
        pid,
        ppid,
        space,
        kstack,
        cminflt,
        ..
    } = *p;
    let asid = space.asid;
    drop(space);
    let mut t = TABLE.lock();
    if t.use_asids {
        t.asids.free(asid);
    }
    if t.fp_owner == pid {
        t.fp_owner = 0;
    }
    // Orphans go to init (which reaps them when it waits).
    let mut orphans = false;
    for c in t.live.values_mut().filter(|c| c.ppid == pid) {
        c.ppid = INIT;
    }
    for z in t.zombies.values_mut().filter(|z| z.ppid == pid) {
        z.ppid = INIT;
        orphans = true;
    }
    t.zombies.insert(
        pid,
        Zombie {
            ppid,
            ending,
            minflt: minflt + cminflt,
            kstack,
        },
    );
    // SIGCHLD's default action is to ignore it: the parent is only woken if it waits.
    for waiter in [ppid, if orphans { INIT } else { 0 }] {
        if let Some(w) = t.live.get_mut(&waiter) {
            if w.state == State::Sleeping(Wait::Child) {
                w.state = State::Runnable;
            }
        }
    }
}

/// Errors of the process calls.
pub const EAGAIN: i64 = 11;
pub const ECHILD: i64 = 10;

/// clone's flags that glibc's fork() passes (0x01200011) and the ones accepted with them.
const CSIGNAL: u64 = 0xff;
const SIGCHLD: u64 = 17;
const CLONE_PARENT_SETTID: u64 = 0x0010_0000;
const CLONE_CHILD_CLEARTID: u64 = 0x0020_0000;
const CLONE_CHILD_SETTID: u64 = 0x0100_0000;

/// clone(flags, newsp, ptid, ctid, tls) as fork: a new process with a copy-on-write copy
/// of `p`'s address space, its registers (a0 = 0 in the child), descriptors, limits and FP
/// registers. Thread flags (CLONE_VM, CLONE_THREAD, ...) are not supported: EINVAL, with
/// one log line. EAGAIN past [`MAX_PROCS`] processes, ENOMEM when memory runs out.
pub fn fork(p: &mut Process, frame: &mut TrapFrame, a: [u64; 6]) -> i64 {
    let [flags, newsp, ptid, ctid, _tls, _] = a;
    let allowed = CSIGNAL | CLONE_PARENT_SETTID | CLONE_CHILD_CLEARTID | CLONE_CHILD_SETTID;
    let signal = flags & CSIGNAL;
    if flags & !allowed != 0 || (signal != 0 && signal != SIGCHLD) {
        log::warn!(
            "{}: clone flags {flags:#x} not supported (only fork's): -EINVAL",
            p.name
        );
        return -crate::syscall::EINVAL;
    }
    // Leave the kernel's heap some frames (the new Process and table nodes come from it).
    if crate::mm::frame::free_frames() < FORK_RESERVE_FRAMES {
        return -crate::syscall::ENOMEM;
    }
    let (pid, asid) = {
        let mut guard = TABLE.lock();
        let t = &mut *guard;
        // The caller is out of the table while it runs this call: count it too.
        if t.live.len() + t.zombies.len() + 1 >= MAX_PROCS {
            return -EAGAIN;
        }
        let me = p.pid;
        let (live, zombies) = (&t.live, &t.zombies);
        let in_use = |x: u32| x == me || live.contains_key(&x) || zombies.contains_key(&x);
        let Some(pid) = t.pids.alloc(in_use) else {
            return -EAGAIN;
        };
        let Some(asid) = alloc_asid(t) else {
            return -EAGAIN;
        };
        (pid, asid)
    };
    let give_back_asid = |asid| {
        let mut t = TABLE.lock();
        if t.use_asids {
            t.asids.free(asid);
        }
    };
    let Some(kstack) = exec::alloc_kstack() else {
        give_back_asid(asid);
        return -crate::syscall::ENOMEM;
    };
    let Some(space) = p.space.fork(kernel_space(), asid) else {
        exec::free_kstack(kstack);
        give_back_asid(asid);
        return -crate::syscall::ENOMEM;
    };
    save_own_fp(p, frame);
    let mut child = Box::new(Process {
        pid,
        ppid: p.pid,
        state: State::Runnable,
        name: p.name,
        exe: p.exe,
        space,
        brk_start: p.brk_start,
        brk: p.brk,
        limits: p.limits,
        files: p.files.clone(),
        kstack,
        fp: p.fp,
        clear_child_tid: if flags & CLONE_CHILD_CLEARTID != 0 {
            ctid
        } else {
            0
        },
        cminflt: 0,
        restarted: false,
    });
    let mut regs = frame.clone();
    regs.regs[10] = 0;
    if newsp != 0 {
        regs.regs[2] = newsp;
    }
    #[allow(unsafe_code)]
    // SAFETY: the top FRAME_SIZE bytes of the child's fresh kernel stack.
    unsafe {
        child.frame().write(regs)
    };
    let tid = (pid as i32).to_le_bytes();
    if flags & CLONE_CHILD_SETTID != 0 {
        // Written in the child's memory (a copy-on-write break there), as Linux does.
        let _ = child.space.copy_out(VirtAddr(ctid), &tid);
    }
    if flags & CLONE_PARENT_SETTID != 0 {
        let _ = p.space.copy_out(VirtAddr(ptid), &tid);
    }
    log::debug!("{} (pid {}): forked pid {pid}", p.name, p.pid);
    TABLE.lock().live.insert(pid, child);
    check_rmap(p);
    pid as i64
}

/// Frames a fork leaves free at least (for the kernel heap's next slab frames).
const FORK_RESERVE_FRAMES: usize = 16;

/// wait4's options.
const WNOHANG: u64 = 1;
const WUNTRACED: u64 = 2;
const WCONTINUED: u64 = 8;
const WNOTHREAD: u64 = 0x2000_0000;
const WALL: u64 = 0x4000_0000;
const WCLONE: u64 = 0x8000_0000;

/// wait4(pid, status, options, rusage): reaps an ended child (pid > 0: that one; -1 or 0:
/// any; every process is in one process group), storing its wait status and, with a
/// rusage pointer, its resource use (ru_minflt, ru_majflt; times are 0). With children
/// but none ended: 0 with WNOHANG, else the caller sleeps until one ends. No child
/// matching: ECHILD.
pub fn wait4(p: &mut Process, a: [u64; 6]) -> Result<i64, Wait> {
    let [pid, status, options, rusage, _, _] = a;
    let pid = pid as i64 as i32;
    if options & !(WNOHANG | WUNTRACED | WCONTINUED | WNOTHREAD | WALL | WCLONE) != 0 {
        return Ok(-crate::syscall::EINVAL);
    }
    if pid < -1 {
        // Process group -pid: there are no process groups but init's (pid 0 and -1 below).
        return Ok(-ECHILD);
    }
    let matches = |c: u32| pid <= 0 || c == pid as u32;
    let found = {
        let t = TABLE.lock();
        let zombie = t
            .zombies
            .iter()
            .find(|(&c, z)| z.ppid == p.pid && matches(c))
            .map(|(&c, z)| (c, z.ending, z.minflt));
        let alive = t.live.iter().any(|(&c, l)| l.ppid == p.pid && matches(c));
        match zombie {
            Some(z) => Some(z),
            None if alive => None,
            None => return Ok(-ECHILD),
        }
    };
    let Some((child, ending, minflt)) = found else {
        return if options & WNOHANG != 0 {
            Ok(0)
        } else {
            Err(Wait::Child)
        };
    };
    // Reaped first: as on Linux, a bad status or rusage pointer gives EFAULT, but the
    // child is gone all the same.
    let z = TABLE.lock().zombies.remove(&child);
    if let Some(z) = z {
        exec::free_kstack(z.kstack);
        p.cminflt += z.minflt;
    }
    if rusage != 0 {
        // struct rusage: two timevals (32 bytes), then 14 longs: maxrss, ixrss, idrss,
        // isrss, minflt, majflt, ...
        let mut ru = [0u8; 144];
        ru[64..72].copy_from_slice(&minflt.to_le_bytes());
        if p.space.copy_out(VirtAddr(rusage), &ru).is_err() {
            return Ok(-crate::syscall::EFAULT);
        }
    }
    if status != 0
        && p.space
            .copy_out(VirtAddr(status), &ending.wait_status().to_le_bytes())
            .is_err()
    {
        return Ok(-crate::syscall::EFAULT);
    }
    Ok(child as i64)
}

/// The `check_rmap` boot option.
static CHECK_RMAP: core::sync::atomic::AtomicBool = core::sync::atomic::AtomicBool::new(false);
/// Mappings the check has verified, and those it found wrong.
static RMAP_CHECKED: core::sync::atomic::AtomicU64 = core::sync::atomic::AtomicU64::new(0);
static RMAP_WRONG: core::sync::atomic::AtomicU64 = core::sync::atomic::AtomicU64::new(0);

/// Turns the reverse-map check on or off.
pub fn set_check_rmap(on: bool) {
    CHECK_RMAP.store(on, core::sync::atomic::Ordering::Relaxed);
}

/// The PTEs that map user frame `pa` (the reverse map, `mm_core::rmap`): among the
/// address spaces of the frame's family, `p` (the running process, out of the table)
/// included.
pub fn rmap_walk(p: &Process, pa: PhysAddr) -> Vec<mm_core::rmap::Mapping> {
    let Some((family, vpn, mapcount)) = crate::mm::frame::rmap_of(pa) else {
        return Vec::new();
    };
    let t = TABLE.lock();
    let spaces: Vec<(u32, PhysAddr)> = core::iter::once(p)
        .chain(t.live.values().map(|q| &**q))
        .filter(|q| q.space.family == family)
        .map(|q| (q.pid, q.space.root))
        .collect();
    mm_core::rmap::find_mappings(
        p.space.mode,
        &spaces,
        pa,
        VirtAddr(vpn << mm_core::PAGE_SHIFT),
        mapcount,
        &space::FrameTables,
    )
}

/// With `check_rmap`: every page `p` maps must be found by the reverse map at its address,
/// with as many mappings as the frame's mapcount says. Run at each fork and each end; a
/// mismatch is logged as a warning, the totals at init's end.
fn check_rmap(p: &Process) {
    use core::sync::atomic::Ordering::Relaxed;
    if !CHECK_RMAP.load(Relaxed) {
        return;
    }
    let mut leaves = Vec::new();
    mm_core::paging::user_leaves(
        p.space.mode,
        p.space.root,
        &space::FrameTables,
        &mut |va, pte| leaves.push((va, pte.addr())),
    );
    for (va, pa) in leaves {
        let found = rmap_walk(p, pa);
        let mapcount = crate::mm::frame::rmap_of(pa).map_or(0, |r| r.2) as usize;
        let me = found.iter().any(|m| m.owner == p.pid && m.va == va);
        RMAP_CHECKED.fetch_add(1, Relaxed);
        if !me || found.len() != mapcount {
            RMAP_WRONG.fetch_add(1, Relaxed);
            log::warn!(
                "rmap: pid {} {va} -> {pa}: found {found:?}, mapcount {mapcount}",
                p.pid
            );
        }
    }
}

/// Whether `pid` is a live process other than the one running (which is out of the table
/// while it runs a system call).
pub fn is_live(pid: u32) -> bool {
    TABLE.lock().live.contains_key(&pid)
}

/// Runs `f` on live process `pid` (not the one running: see [`is_live`]).
pub fn with_live<R>(pid: u32, f: impl FnOnce(&mut Process) -> R) -> Option<R> {
    TABLE.lock().live.get_mut(&pid).map(|q| f(q))
}

/// getrusage(who, usage): RUSAGE_SELF (0) and RUSAGE_THREAD (1, one thread per
/// process) report the process's minor faults and peak resident size (ru_maxrss, KiB);
/// RUSAGE_CHILDREN (-1) the reaped children's faults (and their children's). Times are 0
/// (no accounting yet), majflt 0 (no I/O yet). Other `who`: EINVAL.
pub fn getrusage(p: &mut Process, who: u64, usage: u64) -> i64 {
    let (minflt, maxrss) = match who as i64 {
        0 | 1 => (
            p.space.minflt,
            p.space.resident_peak * mm_core::PAGE_SIZE / 1024,
        ),
        -1 => (p.cminflt, 0),
        _ => return -crate::syscall::EINVAL,
    };
    let mut ru = [0u8; 144];
    ru[32..40].copy_from_slice(&maxrss.to_le_bytes());
    ru[64..72].copy_from_slice(&minflt.to_le_bytes());
    match p.space.copy_out(VirtAddr(usage), &ru) {
        Ok(()) => 0,
        Err(_) => -crate::syscall::EFAULT,
    }
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
    drop(old);
    p.name = name;
    p.exe = exe;
    p.brk_start = loaded.brk;
    p.brk = loaded.brk;
    p.fp = FpRegs::default();
    fp::restore(&p.fp);
    *frame = exec::initial_frame(loaded.entry, loaded.sp);
}
