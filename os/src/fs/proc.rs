//! /proc: what its paths name, its directories' listings, and the files' contents, made
//! when read as Linux's seq_file makes them. The machine's files are `meminfo`, `vmstat`
//! ([`super::proc_mem`]), `stat`, `uptime`, `loadavg` ([`super::proc_stat`]), `swaps` (`crate::mm::swapfile`), `segmentinfo` (`crate::mm::segmem`) and `sys/vm/*` (`crate::sysctl`); each process's, under
//! /proc/PID and /proc/self, are `environ`, `status`, `comm`, `cmdline`, `stat`, `statm`, `maps`, `smaps`, `smaps_rollup`,
//! `exe` (a link: opening it opens the program), `oom_score` and `oom_score_adj`
//! ([`super::proc_pid`]).
//!
//! The generators take the process as an argument; [`generate`] finds it by pid: the
//! reader itself (`self`, out of the process table while it runs a system call) or any
//! other live process in the table. Ended processes (zombies) have no /proc directory.

use super::{proc_mem, proc_pid, proc_stat};
use crate::errno::Errno;
use crate::mm::vmstat::Snapshot;
use crate::proc::Process;
use crate::syscall::SysResult;
use alloc::string::String;
use alloc::vec::Vec;
use core::sync::atomic::{AtomicBool, Ordering};

/// The `dump_proc` boot option (see `cmdline.rs`).
static DUMP_ON_READ: AtomicBool = AtomicBool::new(false);

/// Turns the dump before console reads on or off.
pub fn set_dump_on_read(on: bool) {
    DUMP_ON_READ.store(on, Ordering::Relaxed);
}

/// First and last lines of a dump (tests find the dumps by them).
pub const DUMP_BEGIN: &str = "--- dump_proc: pid 1 waits for console input ---\n";
pub const DUMP_END: &str = "--- end of dump_proc ---\n";

/// With `dump_proc`, prints /proc/1/maps and /proc/1/status on the console (called before
/// a console read waits).
pub fn dump_before_read(p: &mut Process) {
    if !DUMP_ON_READ.load(Ordering::Relaxed) {
        return;
    }
    let maps = proc_pid::maps(p).into_bytes();
    // As another process reading it would see it: asleep in read.
    let status = proc_pid::status(p, "S (sleeping)").into_bytes();
    crate::console::write_bytes(DUMP_BEGIN.as_bytes());
    crate::console::write_bytes(b"/proc/1/maps:\n");
    crate::console::write_bytes(&maps);
    crate::console::write_bytes(b"/proc/1/status:\n");
    crate::console::write_bytes(&status);
    crate::console::write_bytes(DUMP_END.as_bytes());
}

/// A file under /proc.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Entry {
    Meminfo,
    Vmstat,
    /// /proc/stat, /proc/uptime, /proc/loadavg (`super::proc_stat`).
    Stat,
    Uptime,
    Loadavg,
    Zoneinfo,
    Swaps,
    /// /proc/segmentinfo (`crate::mm::segmem`; not Linux's).
    Segmentinfo,
    /// /proc/sys/vm/NAME: index into `sysctl::VM`.
    Sysctl(usize),
    /// /proc/version: the kernel's name, release and version (`syscall::host`).
    Version,
    /// /proc/sys/kernel/NAME: index into [`KERNEL_ENTRIES`] (read-only here).
    Kernel(usize),
    /// Files of /proc/PID.
    Pid(u64, PidEntry),
}

/// A file under /proc/PID, in the order Linux lists them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PidEntry {
    Environ,
    Status,
    Comm,
    Cmdline,
    Stat,
    Statm,
    Maps,
    Smaps,
    SmapsRollup,
    /// The `exe` link (followed on open, read by readlinkat).
    Exe,
    OomScore,
    OomScoreAdj,
    /// rvmmu's own: a segmented process's segments.
    Segments,
}

const PID_ENTRIES: [(&str, PidEntry); 13] = [
    ("environ", PidEntry::Environ),
    ("status", PidEntry::Status),
    ("comm", PidEntry::Comm),
    ("cmdline", PidEntry::Cmdline),
    ("stat", PidEntry::Stat),
    ("statm", PidEntry::Statm),
    ("maps", PidEntry::Maps),
    ("smaps", PidEntry::Smaps),
    ("smaps_rollup", PidEntry::SmapsRollup),
    ("exe", PidEntry::Exe),
    ("oom_score", PidEntry::OomScore),
    ("oom_score_adj", PidEntry::OomScoreAdj),
    ("segments", PidEntry::Segments),
];

/// A directory of /proc.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Dir {
    Root,
    Pid(u64),
    Sys,
    SysVm,
    SysKernel,
}

/// /proc/sys/kernel's files: uname's fields, one line each.
pub const KERNEL_ENTRIES: [&str; 3] = ["hostname", "osrelease", "ostype"];

/// What a path under /proc names.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Found {
    Dir(Dir),
    Entry(Entry),
}

/// The inode of the /proc/self link.
pub const SELF_INO: u64 = 0x10;

/// The pid `name` (a /proc component) stands for, for reader `me`, if that process lives.
fn pid_of(name: &str, me: u64) -> Option<u64> {
    match name {
        "self" => Some(me),
        n => n
            .parse::<u32>()
            .ok()
            .filter(|&p| u64::from(p) == me || crate::proc::is_live(p))
            .map(u64::from),
    }
}

/// What `parts` (a path's components, the first being "proc") names for the process `me`
/// looking it up, if anything.
pub fn lookup(parts: &[&str], me: u64) -> Option<Found> {
    match parts {
        ["proc"] => Some(Found::Dir(Dir::Root)),
        ["proc", "meminfo"] => Some(Found::Entry(Entry::Meminfo)),
        ["proc", "vmstat"] => Some(Found::Entry(Entry::Vmstat)),
        ["proc", "stat"] => Some(Found::Entry(Entry::Stat)),
        ["proc", "uptime"] => Some(Found::Entry(Entry::Uptime)),
        ["proc", "loadavg"] => Some(Found::Entry(Entry::Loadavg)),
        ["proc", "zoneinfo"] => Some(Found::Entry(Entry::Zoneinfo)),
        ["proc", "swaps"] => Some(Found::Entry(Entry::Swaps)),
        ["proc", "segmentinfo"] => Some(Found::Entry(Entry::Segmentinfo)),
        ["proc", "version"] => Some(Found::Entry(Entry::Version)),
        ["proc", "sys", "kernel"] => Some(Found::Dir(Dir::SysKernel)),
        ["proc", "sys", "kernel", name] => KERNEL_ENTRIES
            .iter()
            .position(|n| n == name)
            .map(|i| Found::Entry(Entry::Kernel(i))),
        ["proc", "sys"] => Some(Found::Dir(Dir::Sys)),
        ["proc", "sys", "vm"] => Some(Found::Dir(Dir::SysVm)),
        ["proc", "sys", "vm", name] => crate::sysctl::VM
            .iter()
            .position(|s| s.name == *name)
            .map(|i| Found::Entry(Entry::Sysctl(i))),
        ["proc", pid, rest @ ..] => {
            let pid = pid_of(pid, me)?;
            match rest {
                [] => Some(Found::Dir(Dir::Pid(pid))),
                [name] => PID_ENTRIES
                    .iter()
                    .find(|(n, _)| n == name)
                    .map(|&(_, e)| Found::Entry(Entry::Pid(pid, e))),
                _ => None,
            }
        }
        _ => None,
    }
}

/// Directory-entry types (d_type).
pub const DT_DIR: u8 = 4;
pub const DT_REG: u8 = 8;
pub const DT_LNK: u8 = 10;

/// Inode numbers of /proc's nodes (procfs's own device; any stable distinct numbers).
pub fn dir_ino(d: Dir) -> u64 {
    match d {
        Dir::Root => 1,
        Dir::Sys => 2,
        Dir::SysVm => 3,
        Dir::SysKernel => 8,
        Dir::Pid(pid) => 0x1000 + pid * 0x20,
    }
}

pub fn entry_ino(e: Entry) -> u64 {
    match e {
        Entry::Meminfo => 4,
        Entry::Vmstat => 5,
        Entry::Swaps => 6,
        Entry::Zoneinfo => 7,
        Entry::Stat => 10,
        Entry::Uptime => 11,
        Entry::Loadavg => 12,
        Entry::Segmentinfo => 13,
        Entry::Sysctl(i) => 0x100 + i as u64,
        Entry::Version => 9,
        Entry::Kernel(i) => 0x200 + i as u64,
        Entry::Pid(pid, pe) => dir_ino(Dir::Pid(pid)) + 1 + pe as u64,
    }
}

/// The entries of `d` after `.` and `..`: (inode, type, name), in Linux's order: /proc's
/// own files by name length then name (its tree's order), then `self` and the pids.
pub fn list(d: Dir, me: u64) -> Vec<(u64, u8, String)> {
    let mut out: Vec<(u64, u8, String)> = Vec::new();
    let mut push = |ino: u64, t: u8, name: &str| out.push((ino, t, String::from(name)));
    match d {
        Dir::Root => {
            push(dir_ino(Dir::Sys), DT_DIR, "sys");
            push(entry_ino(Entry::Stat), DT_REG, "stat");
            push(entry_ino(Entry::Swaps), DT_REG, "swaps");
            push(entry_ino(Entry::Uptime), DT_REG, "uptime");
            push(entry_ino(Entry::Vmstat), DT_REG, "vmstat");
            push(entry_ino(Entry::Loadavg), DT_REG, "loadavg");
            push(entry_ino(Entry::Meminfo), DT_REG, "meminfo");
            push(entry_ino(Entry::Version), DT_REG, "version");
            push(entry_ino(Entry::Zoneinfo), DT_REG, "zoneinfo");
            push(entry_ino(Entry::Segmentinfo), DT_REG, "segmentinfo");
            push(SELF_INO, DT_LNK, "self");
            let mut pids = crate::proc::live_pids();
            pids.push(me as u32);
            pids.sort_unstable();
            for pid in pids {
                let pid = u64::from(pid);
                push(dir_ino(Dir::Pid(pid)), DT_DIR, &alloc::format!("{pid}"));
            }
        }
        Dir::Sys => {
            // sysctl directories list by name (Linux's namecmp).
            push(dir_ino(Dir::SysKernel), DT_DIR, "kernel");
            push(dir_ino(Dir::SysVm), DT_DIR, "vm");
        }
        Dir::SysKernel => {
            for (i, name) in KERNEL_ENTRIES.iter().enumerate() {
                push(entry_ino(Entry::Kernel(i)), DT_REG, name);
            }
        }
        Dir::SysVm => {
            for (i, s) in crate::sysctl::VM.iter().enumerate() {
                push(entry_ino(Entry::Sysctl(i)), DT_REG, s.name);
            }
        }
        Dir::Pid(pid) => {
            for (name, e) in PID_ENTRIES {
                let t = if e == PidEntry::Exe { DT_LNK } else { DT_REG };
                push(entry_ino(Entry::Pid(pid, e)), t, name);
            }
        }
    }
    out
}

/// The inode of `d`'s parent.
pub fn parent_ino(d: Dir) -> u64 {
    match d {
        Dir::Root | Dir::Sys | Dir::Pid(_) => dir_ino(Dir::Root),
        Dir::SysVm | Dir::SysKernel => dir_ino(Dir::Sys),
    }
}

/// The machine-wide counts over every process: the reader `p` and the others.
fn snapshot(p: &Process) -> Snapshot {
    crate::proc::with_others(|others| {
        let mut all: Vec<&Process> = Vec::from([p]);
        all.extend_from_slice(others);
        Snapshot::take(&all)
    })
}

/// The contents of `e`, read by `p`; `None` when `e` belongs to a process that has ended
/// since it was opened.
pub fn generate(p: &mut Process, e: Entry) -> Option<Vec<u8>> {
    match e {
        Entry::Pid(pid, pe) if pid == u64::from(p.pid) => Some(generate_pid(p, pe, true)),
        Entry::Pid(pid, pe) => crate::proc::with_live(pid as u32, |q| generate_pid(q, pe, false)),
        _ => {
            let (running, total) = run_counts();
            let reader = Reader {
                own_sys: own_sys(p),
                running,
                total,
            };
            Some(machine_file(e, || snapshot(p), reader).into_bytes())
        }
    }
}

/// What the machine-wide files need to know of who reads them.
struct Reader {
    /// The reader's kernel time in this system call, not charged yet (0 for the host).
    own_sys: u64,
    /// Runnable processes, the reader included.
    running: u64,
    /// All processes, the reader included.
    total: u64,
}

/// The contents of a machine-wide file (not under /proc/PID); `snap` gives the counts over
/// every process when the file needs them.
fn machine_file(e: Entry, snap: impl FnOnce() -> Snapshot, r: Reader) -> String {
    match e {
        Entry::Meminfo => proc_mem::meminfo(&snap()),
        Entry::Vmstat => proc_mem::vmstat(&snap()),
        Entry::Stat => proc_stat::stat(r.running, r.own_sys),
        Entry::Uptime => proc_stat::uptime(r.own_sys),
        Entry::Loadavg => proc_stat::loadavg(r.running, r.total),
        Entry::Zoneinfo => proc_mem::zoneinfo(&snap()),
        Entry::Swaps => crate::mm::swapfile::proc_swaps(),
        Entry::Segmentinfo => crate::mm::segmem::proc_segmentinfo(),
        Entry::Version => crate::syscall::host::proc_version(),
        Entry::Kernel(i) => crate::syscall::host::proc_sys_kernel(KERNEL_ENTRIES[i]),
        Entry::Sysctl(i) => crate::sysctl::VM.get(i).map_or(String::new(), |s| s.text()),
        Entry::Pid(..) => String::new(),
    }
}

/// The file at `path` (a /proc path) as a read by no process would see it: for the
/// emulator's requests (`crate::kevent::take_request`), answered from the scheduler's tick
/// while every process is in the table. `self` names no process here.
pub fn render_for_host(path: &[u8]) -> Result<Vec<u8>, Errno> {
    let path = core::str::from_utf8(path).map_err(|_| Errno::ENOENT)?;
    let parts: Vec<&str> = path.split('/').filter(|c| !c.is_empty()).collect();
    match lookup(&parts, 0) {
        Some(Found::Entry(Entry::Pid(pid, pe))) => {
            crate::proc::with_live(pid as u32, |q| generate_pid(q, pe, false)).ok_or(Errno::ENOENT)
        }
        Some(Found::Entry(e)) => {
            // From the tick every process is in the table, and none is reading.
            let (running, total) = crate::proc::with_others(|all| {
                let runnable = all
                    .iter()
                    .filter(|q| matches!(q.state, crate::proc::State::Runnable))
                    .count() as u64;
                (runnable, all.len() as u64)
            });
            let reader = Reader {
                own_sys: 0,
                running,
                total,
            };
            let all = || crate::proc::with_others(Snapshot::take);
            Ok(machine_file(e, all, reader).into_bytes())
        }
        Some(Found::Dir(_)) => Err(Errno::EISDIR),
        None => Err(Errno::ENOENT),
    }
}

/// (runnable, all) processes: the reader, which is running, and the others in the table.
fn run_counts() -> (u64, u64) {
    crate::proc::with_others(|others| {
        let runnable = others
            .iter()
            .filter(|q| matches!(q.state, crate::proc::State::Runnable))
            .count() as u64;
        (1 + runnable, 1 + others.len() as u64)
    })
}

/// The reader's kernel time in this system call, not charged yet.
fn own_sys(p: &Process) -> u64 {
    p.times_now().sys - p.times.sys
}

/// The program path of process `pid` (its `exe` link), read by `p`.
pub fn exe_of(p: &Process, pid: u64) -> Option<&'static str> {
    if pid == u64::from(p.pid) {
        return Some(p.exe);
    }
    crate::proc::with_live(pid as u32, |q| q.exe)
}

/// The contents of /proc/PID/`e` for process `p`, which is the reader itself when `own`
/// (the running process: its CPU time so far includes this system call's).
pub fn generate_pid(p: &mut Process, e: PidEntry, own: bool) -> Vec<u8> {
    let text = match e {
        PidEntry::Maps => proc_pid::maps(p),
        PidEntry::Smaps => proc_pid::smaps(p),
        PidEntry::SmapsRollup => proc_pid::smaps_rollup(p),
        PidEntry::Status => {
            let state = proc_pid::state_words(p);
            proc_pid::status(p, state)
        }
        PidEntry::Stat => proc_pid::stat(p, own),
        PidEntry::Statm => proc_pid::statm(p),
        PidEntry::Cmdline => return proc_pid::cmdline(p),
        PidEntry::Environ => return proc_pid::environ(p),
        PidEntry::Comm => proc_pid::comm(p),
        PidEntry::OomScore => alloc::format!("{}\n", proc_pid::oom_score(p)),
        PidEntry::OomScoreAdj => alloc::format!("{}\n", proc_pid::oom_score_adj(p)),
        PidEntry::Exe => String::from(p.exe),
        PidEntry::Segments => proc_pid::segments(p),
    };
    text.into_bytes()
}

/// Whether `e` can be written: the tunables of /proc/sys/vm and /proc/PID/oom_score_adj.
pub fn writable(e: Entry) -> bool {
    matches!(e, Entry::Sysctl(_) | Entry::Pid(_, PidEntry::OomScoreAdj))
}

/// write(2) of `len` bytes at `buf` to the /proc file `e` by `p`: one number, with
/// optional blanks and a newline around it (as `echo 10 > FILE` writes it). A tunable out
/// of its range or anything but a number: EINVAL (the value stays); oom_score_adj takes
/// -1000..=1000. Returns `len` on success, as Linux's proc handlers do.
pub fn write(p: &mut Process, e: Entry, buf: mm_core::VirtAddr, len: u64) -> SysResult {
    let mut bytes = [0u8; 32];
    let n = len.min(bytes.len() as u64) as usize;
    if len > bytes.len() as u64 {
        return Err(Errno::EINVAL);
    }
    if p.space.copy_in(buf, &mut bytes[..n]).is_err() {
        return Err(Errno::EFAULT);
    }
    let Ok(text) = core::str::from_utf8(&bytes[..n]) else {
        return Err(Errno::EINVAL);
    };
    let text = text.trim();
    match e {
        Entry::Sysctl(i) => {
            let Some(s) = crate::sysctl::VM.get(i) else {
                return Err(Errno::EINVAL);
            };
            match s.set(text) {
                Ok(()) => {
                    log::info!("sysctl: vm.{} = {text} (written by {})", s.name, p.name);
                    Ok(len as i64)
                }
                Err(why) => {
                    log::debug!("sysctl: vm.{}={text} refused: {why}", s.name);
                    Err(Errno::EINVAL)
                }
            }
        }
        Entry::Pid(pid, PidEntry::OomScoreAdj) => {
            let adj = match text.parse::<i64>() {
                Ok(v) if (-1000..=1000).contains(&v) => v as i16,
                _ => return Err(Errno::EINVAL),
            };
            if pid == u64::from(p.pid) {
                p.oom_score_adj = adj;
            } else if crate::proc::with_live(pid as u32, |q| q.oom_score_adj = adj).is_none() {
                return Err(Errno::ESRCH);
            }
            Ok(len as i64)
        }
        _ => Err(Errno::EINVAL),
    }
}
