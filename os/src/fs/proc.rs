//! /proc: what its paths name, its directories' listings, and the files' contents, made
//! when read as Linux's seq_file makes them. The machine's files are `meminfo`, `vmstat`
//! ([`super::proc_mem`]) and `sys/vm/*` (`crate::sysctl`); each process's, under
//! /proc/PID and /proc/self, are `environ`, `status`, `comm`, `cmdline`, `stat`, `statm`, `maps`,
//! `exe` (a link: opening it opens the program), `oom_score` and `oom_score_adj`
//! ([`super::proc_pid`]).
//!
//! The generators take the process as an argument; the caller finds it by pid. Until the
//! process table exists there is one process, init (pid 1), which is also `self`.

use super::{proc_mem, proc_pid};
use crate::mm::vmstat::Snapshot;
use crate::proc::Process;
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
    let status = proc_pid::status(p, PID, "S (sleeping)").into_bytes();
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
    /// /proc/sys/vm/NAME: index into `sysctl::VM`.
    Sysctl(usize),
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
    /// The `exe` link (followed on open, read by readlinkat).
    Exe,
    OomScore,
    OomScoreAdj,
}

const PID_ENTRIES: [(&str, PidEntry); 10] = [
    ("environ", PidEntry::Environ),
    ("status", PidEntry::Status),
    ("comm", PidEntry::Comm),
    ("cmdline", PidEntry::Cmdline),
    ("stat", PidEntry::Stat),
    ("statm", PidEntry::Statm),
    ("maps", PidEntry::Maps),
    ("exe", PidEntry::Exe),
    ("oom_score", PidEntry::OomScore),
    ("oom_score_adj", PidEntry::OomScoreAdj),
];

/// A directory of /proc.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Dir {
    Root,
    Pid(u64),
    Sys,
    SysVm,
}

/// What a path under /proc names.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Found {
    Dir(Dir),
    Entry(Entry),
}

/// init's pid: the only process.
const PID: u64 = 1;
/// The pid /proc/self names (the caller's; today always init).
pub const SELF_PID: u64 = PID;
/// The inode of the /proc/self link.
pub const SELF_INO: u64 = 0x10;

/// The pid `name` (a /proc component) stands for, if that process exists.
fn pid_of(name: &str) -> Option<u64> {
    match name {
        "self" => Some(PID),
        n => n.parse().ok().filter(|&p| p == PID),
    }
}

/// What `parts` (a path's components, the first being "proc") names, if anything.
pub fn lookup(parts: &[&str]) -> Option<Found> {
    match parts {
        ["proc"] => Some(Found::Dir(Dir::Root)),
        ["proc", "meminfo"] => Some(Found::Entry(Entry::Meminfo)),
        ["proc", "vmstat"] => Some(Found::Entry(Entry::Vmstat)),
        ["proc", "sys"] => Some(Found::Dir(Dir::Sys)),
        ["proc", "sys", "vm"] => Some(Found::Dir(Dir::SysVm)),
        ["proc", "sys", "vm", name] => crate::sysctl::VM
            .iter()
            .position(|s| s.name == *name)
            .map(|i| Found::Entry(Entry::Sysctl(i))),
        ["proc", pid, rest @ ..] => {
            let pid = pid_of(pid)?;
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
        Dir::Pid(pid) => 0x1000 + pid * 0x20,
    }
}

pub fn entry_ino(e: Entry) -> u64 {
    match e {
        Entry::Meminfo => 4,
        Entry::Vmstat => 5,
        Entry::Sysctl(i) => 0x100 + i as u64,
        Entry::Pid(pid, pe) => dir_ino(Dir::Pid(pid)) + 1 + pe as u64,
    }
}

/// The entries of `d` after `.` and `..`: (inode, type, name), in Linux's order: /proc's
/// own files by name length then name (its tree's order), then `self` and the pids.
pub fn list(d: Dir) -> Vec<(u64, u8, String)> {
    let mut out: Vec<(u64, u8, String)> = Vec::new();
    let mut push = |ino: u64, t: u8, name: &str| out.push((ino, t, String::from(name)));
    match d {
        Dir::Root => {
            push(dir_ino(Dir::Sys), DT_DIR, "sys");
            push(entry_ino(Entry::Vmstat), DT_REG, "vmstat");
            push(entry_ino(Entry::Meminfo), DT_REG, "meminfo");
            push(SELF_INO, DT_LNK, "self");
            push(dir_ino(Dir::Pid(PID)), DT_DIR, "1");
        }
        Dir::Sys => push(dir_ino(Dir::SysVm), DT_DIR, "vm"),
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
        Dir::SysVm => dir_ino(Dir::Sys),
    }
}

/// The processes there are (for the machine-wide counts): today only the caller.
fn processes(current: &Process) -> [&Process; 1] {
    [current]
}

/// The contents of `e`, read by `p` (which, being the only process, is also the one a
/// per-process entry names).
pub fn generate(p: &mut Process, e: Entry) -> Vec<u8> {
    let text = match e {
        Entry::Meminfo => proc_mem::meminfo(&Snapshot::take(&processes(p))),
        Entry::Vmstat => proc_mem::vmstat(&Snapshot::take(&processes(p))),
        Entry::Sysctl(i) => crate::sysctl::VM.get(i).map_or(String::new(), |s| s.text()),
        Entry::Pid(pid, pe) => return generate_pid(p, pid, pe),
    };
    text.into_bytes()
}

/// The contents of /proc/PID/`e` for process `p` (whose pid is `pid`).
pub fn generate_pid(p: &mut Process, pid: u64, e: PidEntry) -> Vec<u8> {
    let text = match e {
        PidEntry::Maps => proc_pid::maps(p),
        PidEntry::Status => proc_pid::status(p, pid, "R (running)"),
        PidEntry::Stat => proc_pid::stat(p, pid),
        PidEntry::Statm => proc_pid::statm(p),
        PidEntry::Cmdline => return proc_pid::cmdline(p),
        PidEntry::Environ => return proc_pid::environ(p),
        PidEntry::Comm => proc_pid::comm(p),
        PidEntry::OomScore => alloc::format!("{}\n", proc_pid::oom_score(p, pid)),
        PidEntry::OomScoreAdj => alloc::format!("{}\n", proc_pid::oom_score_adj(p)),
        PidEntry::Exe => String::from(p.exe),
    };
    text.into_bytes()
}
