//! The files of /proc/PID, made from the process given (any process: the caller looks the
//! pid up), in Linux 6.1's formats (fs/proc/array.c, task_mmu.c, base.c; LINUX-FACTS.md):
//! maps, status, stat, statm, cmdline, environ, comm, oom_score, oom_score_adj.

use crate::mm::vmstat::ProcessPages;
use crate::proc::{clock_ticks, Process};
use alloc::string::String;
use alloc::vec::Vec;
use core::fmt::Write;
use mm_core::pte::PteFlags;
use mm_core::vma::{Backing, Name};
use mm_core::PAGE_SIZE;

/// Where the name column of /proc/PID/maps starts: the line is padded to 25 + 6 *
/// sizeof(void *) - 1 = 72 columns, then one space (seq_setwidth and seq_pad).
const MAPS_NAME_PAD: usize = 72;

/// /proc/PID/maps: `start-end perms offset major:minor inode`, then the name.
pub fn maps(p: &Process) -> String {
    let ino = super::files::ino_of(p.exe).unwrap_or(0);
    let mut out = String::new();
    for (start, v) in p.space.vmas.iter() {
        let perm = |f: PteFlags, c: char| if v.prot.contains(f) { c } else { '-' };
        // Anonymous areas show offset 0 and no device; the program's file areas its
        // offset in the file, the initramfs's device (0:1, as stat reports) and inode.
        // A shared anonymous area shows its object as Linux shows the shmem file behind
        // it: its offset in it, device 0:1, its inode, `s` and `/dev/zero (deleted)`.
        let (offset, dev, inode) = match (&v.backing, v.name) {
            (_, Name::Vdso) => (0, 0, 0),
            (Backing::File { offset, .. }, Name::Program) => (*offset, 1, ino),
            (Backing::File { offset, .. }, _) => (*offset, 1, 0),
            (Backing::Shared { obj, offset }, _) => (*offset, 1, obj.ino),
            (Backing::Anon, _) => (0, 0, 0),
        };
        let shared = v.backing.is_shared();
        let line_start = out.len();
        let _ = write!(
            out,
            "{start:08x}-{:08x} {}{}{}{} {offset:08x} {:02x}:{:02x} {inode} ",
            v.end,
            perm(PteFlags::R, 'r'),
            perm(PteFlags::W, 'w'),
            perm(PteFlags::X, 'x'),
            if shared { 's' } else { 'p' },
            dev >> 8,
            dev & 0xff,
        );
        let name = if shared {
            "/dev/zero (deleted)"
        } else {
            v.name.label(p.exe)
        };
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

/// The areas' sizes by kind, in bytes (status's VmData, VmStk, VmExe; statm's data).
struct Sizes {
    /// Writable areas other than the stack (Linux's data_vm: private writable).
    data: u64,
    stack: u64,
    /// The program's executable areas.
    exe: u64,
}

fn sizes(p: &Process) -> Sizes {
    let mut s = Sizes {
        data: 0,
        stack: 0,
        exe: 0,
    };
    for (start, v) in p.space.vmas.iter() {
        let len = v.end - start;
        match v.name {
            Name::Stack => s.stack += len,
            // Linux's is_data_mapping: writable, neither shared nor stack.
            _ if v.prot.contains(PteFlags::W) && !v.backing.is_shared() => s.data += len,
            Name::Program if v.prot.contains(PteFlags::X) => s.exe += len,
            _ => {}
        }
    }
    s
}

/// The state as /proc/PID/stat's letter and status's words: the reader itself is
/// running; another process is as the scheduler has it.
pub fn state_letter(p: &Process) -> char {
    match p.state {
        crate::proc::State::Runnable => 'R',
        crate::proc::State::Sleeping(_) => 'S',
        crate::proc::State::Stopped => 'T',
    }
}

/// /proc/PID/status's State line for [`state_letter`].
pub fn state_words(p: &Process) -> &'static str {
    match state_letter(p) {
        'R' => "R (running)",
        'T' => "T (stopped)",
        _ => "S (sleeping)",
    }
}

/// /proc/PID/status: the identity lines and the memory lines (`Label:\t%8lu kB`); `state`
/// as Linux spells it.
pub fn status(p: &mut Process, state: &str) -> String {
    let size = p.space.note_size();
    let kib = |bytes: u64| bytes >> 10;
    let s = sizes(p);
    let pages = ProcessPages::of(p);
    let rss = p.space.resident * PAGE_SIZE;
    let file = pages.file * PAGE_SIZE;
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
        ("RssAnon", pages.anon * PAGE_SIZE),
        ("RssFile", file),
        ("RssShmem", pages.shmem * PAGE_SIZE),
        ("VmData", s.data),
        ("VmStk", s.stack),
        ("VmExe", s.exe),
        ("VmLib", 0),
        ("VmPTE", table_pages(p) * PAGE_SIZE),
        ("VmSwap", p.space.swapped * PAGE_SIZE),
    ] {
        let _ = writeln!(out, "{label}:\t{:8} kB", kib(bytes));
    }
    out.push_str("Threads:\t1\n");
    out.push_str(&crate::proc::signal::proc_lines(p).0);
    out
}

/// The process's page-table pages as Linux counts them (mm_pgtables_bytes: the tables
/// below the root; the root table is not counted): VmPTE and the OOM score's share.
fn table_pages(p: &Process) -> u64 {
    p.space.table_pages().saturating_sub(1)
}

/// /proc/PID/stat: the 52 fields of fs/proc/array.c's do_task_stat. The CPU times in clock
/// ticks (with `own`, the reader's own: they include the system call it is in); the
/// signal sets in decimal.
pub fn stat(p: &mut Process, own: bool) -> String {
    let pid = p.pid;
    let size = p.space.note_size();
    let l = p.loaded;
    let rsslim = p.limits[5].cur;
    // init's exit_signal is 0 (the kernel starts it without one); forked children get
    // SIGCHLD.
    let exit_signal = if pid == 1 { 0 } else { 17 };
    let start_ticks = clock_ticks(l.start_ns);
    let comm: String = p.name.chars().take(15).collect();
    let (utime, stime) = if own { p.times_now() } else { p.times }.ticks();
    let (cutime, cstime) = p.ctimes.ticks();
    // signal, blocked, sigignore, sigcatch.
    let sigs = crate::proc::signal::proc_lines(p).1;
    let fields: [u64; 12] = [
        p.space.minflt,
        p.cminflt,
        p.space.majflt,
        p.cmajflt,
        utime,
        stime,
        cutime,
        cstime,
        20,
        0, // nice
        1, // threads
        0, // itrealvalue
    ];
    let mut out = String::new();
    // pid (comm) state ppid pgrp session tty_nr tpgid flags
    let (session, fg) = super::tty::control();
    let (tty_nr, tpgid) = if session != 0 && session == p.sid {
        (super::tty::TTY_NR, fg as i64)
    } else {
        (0, -1)
    };
    let _ = write!(
        out,
        "{pid} ({comm}) {} {} {} {} {tty_nr} {tpgid} 0",
        state_letter(p),
        p.ppid,
        p.pgid,
        p.sid
    );
    for f in fields {
        let _ = write!(out, " {f}");
    }
    let _ = writeln!(
        out,
        " {start_ticks} {size} {} {rsslim} {} {} {} 0 0 {} {} {} {} 0 0 0 {exit_signal} 0 0 0 0 0 0 \
         {} {} {} {} {} {} {} 0",
        p.space.resident,
        l.start_code,
        l.end_code,
        l.start_stack,
        sigs[0],
        sigs[1],
        sigs[2],
        sigs[3],
        l.start_data,
        l.end_data,
        p.brk_start,
        l.arg_start,
        l.arg_end,
        l.env_start,
        l.env_end,
    );
    out
}

/// /proc/PID/statm: size resident shared text lib data dt, in pages (shared: the file
/// and shared anonymous pages, Linux's RssFile + RssShmem; lib and dt are always 0 since
/// Linux 2.6).
pub fn statm(p: &mut Process) -> String {
    let size = p.space.note_size() / PAGE_SIZE;
    let pages = ProcessPages::of(p);
    let s = sizes(p);
    let l = p.loaded;
    let code_end = l.end_code.div_ceil(PAGE_SIZE);
    let text = code_end.saturating_sub(l.start_code / PAGE_SIZE);
    let data = (s.data + s.stack) / PAGE_SIZE;
    alloc::format!(
        "{size} {} {} {text} 0 {data} 0\n",
        p.space.resident,
        pages.file + pages.shmem
    )
}

/// /proc/PID/cmdline: the argument strings as they are now in the process's memory,
/// each with its NUL (empty if that memory is gone).
pub fn cmdline(p: &mut Process) -> Vec<u8> {
    let l = p.loaded;
    user_bytes(p, l.arg_start, l.arg_end)
}

/// The bytes of `[start, end)` in `p`'s memory (at most 1 MiB); empty if unreadable.
fn user_bytes(p: &mut Process, start: u64, end: u64) -> Vec<u8> {
    let len = end.saturating_sub(start).min(1 << 20) as usize;
    let mut buf = alloc::vec![0u8; len];
    match p.space.copy_in(mm_core::VirtAddr(start), &mut buf) {
        Ok(()) => buf,
        Err(_) => Vec::new(),
    }
}

/// /proc/PID/environ: the environment strings as they are now in the process's memory.
pub fn environ(p: &mut Process) -> Vec<u8> {
    let l = p.loaded;
    user_bytes(p, l.env_start, l.env_end)
}

/// /proc/PID/comm: the command name (at most 15 bytes) and a newline.
pub fn comm(p: &Process) -> String {
    let mut s: String = p.name.chars().take(15).collect();
    s.push('\n');
    s
}

/// The process's oom_score_adj (/proc/PID/oom_score_adj).
pub fn oom_score_adj(p: &Process) -> i64 {
    i64::from(p.oom_score_adj)
}

/// /proc/PID/oom_score (LINUX-FACTS.md, "OOM killer"): the OOM killer's points as Linux
/// shows them (`mm::oom::oom_score`).
pub fn oom_score(p: &Process) -> u64 {
    crate::mm::oom::oom_score(p)
}
