//! /proc: `/proc/self` and `/proc/PID` (any live process) with `maps`,
//! `status` and the `exe` link, in Linux 6.1's formats (fs/proc/task_mmu.c, array.c; the
//! facts are in LINUX-FACTS.md). Contents are made when read, from the process's areas and
//! page table, as Linux's seq_file does.

use crate::proc::Process;
use alloc::string::String;
use alloc::vec::Vec;
use core::fmt::Write;
use core::sync::atomic::{AtomicBool, Ordering};
use mm_core::pte::PteFlags;
use mm_core::vma::{Backing, Name};
use mm_core::PAGE_SIZE;

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
    let maps = contents(p, Entry::Maps);
    // As another process reading it would see it: asleep in read.
    let status = status(p, "S (sleeping)").into_bytes();
    crate::console::write_bytes(DUMP_BEGIN.as_bytes());
    crate::console::write_bytes(b"/proc/1/maps:\n");
    crate::console::write_bytes(&maps);
    crate::console::write_bytes(b"/proc/1/status:\n");
    crate::console::write_bytes(&status);
    crate::console::write_bytes(DUMP_END.as_bytes());
}

/// A file under /proc/PID.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Entry {
    Maps,
    Status,
    /// The `exe` link (followed on open, read by readlinkat).
    Exe,
}

/// What a path under /proc names.
pub enum Found {
    /// /proc or /proc/PID.
    Dir,
    /// A file of process PID.
    Entry(Entry, u32),
}

/// What `parts` (a path's components, the first being "proc") names for process `me`, if
/// anything: /proc/self is `me`, /proc/PID any live process (not zombies yet).
pub fn lookup(parts: &[&str], me: u32) -> Option<Found> {
    match parts {
        ["proc"] => Some(Found::Dir),
        ["proc", pid, rest @ ..] => {
            let pid = if *pid == "self" {
                me
            } else {
                pid.parse().ok()?
            };
            if pid != me && !crate::proc::is_live(pid) {
                return None;
            }
            match rest {
                [] => Some(Found::Dir),
                ["maps"] => Some(Found::Entry(Entry::Maps, pid)),
                ["status"] => Some(Found::Entry(Entry::Status, pid)),
                ["exe"] => Some(Found::Entry(Entry::Exe, pid)),
                _ => None,
            }
        }
        _ => None,
    }
}

/// The contents of `e` for process `pid`, read by `p` (which may be that process); `None`
/// when it has ended.
pub fn generate(p: &mut Process, pid: u32, e: Entry) -> Option<Vec<u8>> {
    if pid == p.pid {
        return Some(contents(p, e));
    }
    crate::proc::with_live(pid, |q| contents(q, e))
}

/// The program path of process `pid` (the `exe` link), read by `p`.
pub fn exe_of(p: &Process, pid: u32) -> Option<&'static str> {
    if pid == p.pid {
        return Some(p.exe);
    }
    crate::proc::with_live(pid, |q| q.exe)
}

/// The contents of `e` for `p`.
fn contents(p: &mut Process, e: Entry) -> Vec<u8> {
    let text = match e {
        Entry::Maps => maps(p),
        // The reader itself is running; another process as the scheduler has it.
        Entry::Status => match p.state {
            crate::proc::State::Sleeping(_) => status(p, "S (sleeping)"),
            crate::proc::State::Runnable => status(p, "R (running)"),
        },
        Entry::Exe => String::from(p.exe),
    };
    text.into_bytes()
}

/// Where the name column of /proc/PID/maps starts: the line is padded to 25 + 6 *
/// sizeof(void *) - 1 = 72 columns, then one space (seq_setwidth and seq_pad).
const MAPS_NAME_PAD: usize = 72;

/// /proc/PID/maps: `start-end perms offset major:minor inode`, then the name.
fn maps(p: &Process) -> String {
    let ino = super::files::ino_of(p.exe).unwrap_or(0);
    let mut out = String::new();
    for (start, v) in p.space.vmas.iter() {
        let perm = |f: PteFlags, c: char| if v.prot.contains(f) { c } else { '-' };
        // Anonymous areas show offset 0 and no device; the program's file areas its
        // offset in the file, the initramfs's device (0:1, as stat reports) and inode.
        let (offset, dev, inode) = match (v.backing, v.name) {
            (Backing::File { offset, .. }, Name::Program) => (offset, 1, ino),
            (Backing::File { offset, .. }, _) => (offset, 1, 0),
            (Backing::Anon, _) => (0, 0, 0),
        };
        let line_start = out.len();
        let _ = write!(
            out,
            "{start:08x}-{:08x} {}{}{}p {offset:08x} {:02x}:{:02x} {inode} ",
            v.end,
            perm(PteFlags::R, 'r'),
            perm(PteFlags::W, 'w'),
            perm(PteFlags::X, 'x'),
            dev >> 8,
            dev & 0xff,
        );
        let name = v.name.label(p.exe);
        if !name.is_empty() {
            while out.len() - line_start < MAPS_NAME_PAD {
                out.push(' ');
            }
            out.push(' ');
            out.push_str(name);
        }
        out.push('\n');
    }
    out
}

/// /proc/PID/status: the identity lines and the memory lines (`Label:\t%8lu kB`); `state`
/// as Linux spells it.
fn status(p: &mut Process, state: &str) -> String {
    let size = p.space.note_size();
    let kib = |bytes: u64| bytes >> 10;
    let (mut data, mut stack, mut exe, mut file_pages) = (0, 0, 0, 0);
    for (start, v) in p.space.vmas.iter() {
        let len = v.end - start;
        match v.name {
            Name::Stack => stack += len,
            _ if v.prot.contains(PteFlags::W) => data += len,
            Name::Program if v.prot.contains(PteFlags::X) => exe += len,
            _ => {}
        }
        // Resident pages of read-only file areas are file pages; the rest (written
        // private copies included, which Linux counts as anonymous after copy-on-write)
        // anonymous ones.
        if matches!(v.backing, Backing::File { .. }) && !v.prot.contains(PteFlags::W) {
            file_pages += p.space.present_in(start, v.end);
        }
    }
    let rss = p.space.resident * PAGE_SIZE;
    let file = file_pages * PAGE_SIZE;
    let mut out = String::new();
    let _ = write!(
        out,
        "Name:\t{}\nUmask:\t0022\nState:\t{state}\nTgid:\t{pid}\nNgid:\t0\nPid:\t{pid}\n\
         PPid:\t{}\nTracerPid:\t0\nUid:\t0\t0\t0\t0\nGid:\t0\t0\t0\t0\nFDSize:\t64\nGroups:\t \n",
        p.name,
        p.ppid,
        pid = p.pid,
    );
    for (label, bytes) in [
        ("VmPeak", p.space.size_peak),
        ("VmSize", size),
        ("VmLck", 0),
        ("VmPin", 0),
        ("VmHWM", p.space.resident_peak * PAGE_SIZE),
        ("VmRSS", rss),
        ("RssAnon", rss - file),
        ("RssFile", file),
        ("RssShmem", 0),
        ("VmData", data),
        ("VmStk", stack),
        ("VmExe", exe),
        ("VmLib", 0),
        ("VmPTE", p.space.table_pages() * PAGE_SIZE),
        ("VmSwap", 0),
    ] {
        let _ = writeln!(out, "{label}:\t{:8} kB", kib(bytes));
    }
    out.push_str("Threads:\t1\n");
    out
}
