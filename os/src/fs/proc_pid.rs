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

/// Ends a /proc/PID/maps line begun at `line_start`: the name, if any, in its column.
fn end_maps_line(out: &mut String, line_start: usize, name: &str) {
    if !name.is_empty() {
        while out.len() - line_start < MAPS_NAME_PAD {
            out.push(' ');
        }
        out.push(' ');
        out.push_str(name);
    }
    out.push('\n');
}

/// /proc/PID/maps: `start-end perms offset major:minor inode`, then the name.
pub fn maps(p: &Process) -> String {
    if let Some(s) = &p.space.seg {
        return seg_maps(p, s);
    }
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
        end_maps_line(&mut out, line_start, name);
    }
    out
}

/// The areas of a segmented process, one per segment in maps' format (addresses are
/// physical: they are the process's own): the text and data segments named by the
/// program's path (the text includes the signal trampoline's page in front of the
/// program), the data segment's part past the initial break as `[heap]`, the stack as
/// `[stack]`, mmap segments anonymous.
fn seg_maps(p: &Process, s: &crate::proc::seg::SegProc) -> String {
    use crate::proc::seg::{SegKind, SegPerms};
    let ino = super::files::ino_of(p.exe).unwrap_or(0);
    let heap_start = p.brk_start.next_multiple_of(PAGE_SIZE);
    let mut lines: Vec<(u64, u64, SegPerms, u64, &str)> = Vec::new();
    for g in s.table.segments() {
        let end = g.base + g.len;
        match g.kind {
            SegKind::Text => lines.push((g.base, end, g.perms, ino, p.exe)),
            SegKind::Data if g.base < heap_start && heap_start < end => {
                lines.push((g.base, heap_start, g.perms, ino, p.exe));
                lines.push((heap_start, end, g.perms, 0, "[heap]"));
            }
            SegKind::Data if g.base >= heap_start => {
                lines.push((g.base, end, g.perms, 0, "[heap]"))
            }
            SegKind::Data => lines.push((g.base, end, g.perms, ino, p.exe)),
            SegKind::Stack => lines.push((g.base, end, g.perms, 0, "[stack]")),
            SegKind::Mmap => lines.push((g.base, end, g.perms, 0, "")),
        }
    }
    let mut out = String::new();
    for (start, end, perms, inode, name) in lines {
        let perm = |f: SegPerms, c: char| if perms.contains(f) { c } else { '-' };
        let dev = if inode != 0 { 1 } else { 0 };
        let line_start = out.len();
        let _ = write!(
            out,
            "{start:08x}-{end:08x} {}{}{}p 00000000 00:{dev:02x} {inode} ",
            perm(SegPerms::R, 'r'),
            perm(SegPerms::W, 'w'),
            perm(SegPerms::X, 'x'),
        );
        end_maps_line(&mut out, line_start, name);
    }
    out
}

/// /proc/PID/segments (rvmmu's own): a header, then one line per segment of a segmented
/// process: its number, base (physical), limit (length), permissions, kind and the PMP
/// entry that grants it. A paged process has none: the header alone.
pub fn segments(p: &Process) -> String {
    let mut out = String::from("seg base               limit              perm kind  pmp\n");
    if let Some(s) = &p.space.seg {
        use crate::proc::seg::{SegKind, SegPerms};
        for (k, g) in s.table.segments().iter().enumerate() {
            let perm = |f: SegPerms, c: char| if g.perms.contains(f) { c } else { '-' };
            let kind = match g.kind {
                SegKind::Text => "text",
                SegKind::Data => "data",
                SegKind::Stack => "stack",
                SegKind::Mmap => "mmap",
            };
            let _ = writeln!(
                out,
                "{k:<3} {:#018x} {:#018x} {}{}{}  {kind:<5} {}",
                g.base,
                g.len,
                perm(SegPerms::R, 'r'),
                perm(SegPerms::W, 'w'),
                perm(SegPerms::X, 'x'),
                s.image.entry_of[k]
            );
        }
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
    if let Some(seg) = &p.space.seg {
        use crate::proc::seg::{SegKind, SegPerms};
        for g in seg.table.segments() {
            match g.kind {
                SegKind::Stack => s.stack += g.len,
                _ if g.perms.contains(SegPerms::W) => s.data += g.len,
                SegKind::Text => s.exe += g.len,
                _ => {}
            }
        }
        return s;
    }
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

/// The page counts of one area (or of all, for smaps_rollup), in bytes; Pss and SwapPss
/// in bytes << [`PSS_SHIFT`] (each page's share: its size over its mappers).
#[derive(Default, Clone, Copy)]
struct SmapCounts {
    rss: u64,
    pss: u64,
    pss_dirty: u64,
    pss_anon: u64,
    pss_file: u64,
    pss_shmem: u64,
    shared_clean: u64,
    shared_dirty: u64,
    private_clean: u64,
    private_dirty: u64,
    referenced: u64,
    anonymous: u64,
    swap: u64,
    swap_pss: u64,
}

/// Fraction bits of the proportional sizes (Linux's PSS_SHIFT).
const PSS_SHIFT: u32 = 12;

impl SmapCounts {
    fn add(&mut self, o: &SmapCounts) {
        self.rss += o.rss;
        self.pss += o.pss;
        self.pss_dirty += o.pss_dirty;
        self.pss_anon += o.pss_anon;
        self.pss_file += o.pss_file;
        self.pss_shmem += o.pss_shmem;
        self.shared_clean += o.shared_clean;
        self.shared_dirty += o.shared_dirty;
        self.private_clean += o.private_clean;
        self.private_dirty += o.private_dirty;
        self.referenced += o.referenced;
        self.anonymous += o.anonymous;
        self.swap += o.swap;
        self.swap_pss += o.swap_pss;
    }
}

/// Walks `p`'s page table once; returns each area's counts, in the areas' order. A page
/// is dirty when its PTE has D, referenced when it has A; shared when more than one PTE
/// maps its frame (the frame's mapcount), which divides its Pss. Anonymous: the pages of
/// anonymous areas and of writable private file areas (private copies here, as after
/// Linux's copy-on-write); shared anonymous areas are Linux's shmem.
fn smap_counts(p: &Process) -> Vec<SmapCounts> {
    use mm_core::paging::{self, Node};
    let areas: Vec<(u64, u64, bool, bool)> = p
        .space
        .vmas
        .iter()
        .map(|(s, v)| {
            let shmem = v.backing.is_shared();
            let anon =
                !shmem && (matches!(v.backing, Backing::Anon) || v.prot.contains(PteFlags::W));
            (s, v.end, anon, shmem)
        })
        .collect();
    let mut out = alloc::vec![SmapCounts::default(); areas.len()];
    let area_of = |va: u64| {
        let i = areas.partition_point(|a| a.1 <= va);
        (i < areas.len() && areas[i].0 <= va).then_some(i)
    };
    paging::visit_user(
        p.space.mode,
        p.space.root,
        &crate::mm::space::FrameTables,
        &mut |n| match n {
            Node::Leaf(va, level, pte) => {
                let Some(i) = area_of(va.0) else { return };
                let (_, _, anon, shmem) = areas[i];
                let size = PAGE_SIZE << (9 * level);
                let mappers = crate::mm::frame::rmap_of(pte.addr())
                    .map_or(1, |(_, _, m)| u64::from(m.max(1)));
                let pss = (size << PSS_SHIFT) / mappers;
                let dirty = pte.flags().contains(PteFlags::D);
                let c = &mut out[i];
                c.rss += size;
                c.pss += pss;
                if dirty {
                    c.pss_dirty += pss;
                }
                if shmem {
                    c.pss_shmem += pss;
                } else if anon {
                    c.pss_anon += pss;
                } else {
                    c.pss_file += pss;
                }
                match (mappers > 1, dirty) {
                    (true, true) => c.shared_dirty += size,
                    (true, false) => c.shared_clean += size,
                    (false, true) => c.private_dirty += size,
                    (false, false) => c.private_clean += size,
                }
                if pte.flags().contains(PteFlags::A) {
                    c.referenced += size;
                }
                if anon {
                    c.anonymous += size;
                }
            }
            Node::Swap(va, pte) => {
                let Some(i) = area_of(va.0) else { return };
                let users = mm_core::swap::SwapEntry::from_pte(pte)
                    .map_or(1, |e| u64::from(crate::mm::swapfile::use_count(e).max(1)));
                out[i].swap += PAGE_SIZE;
                out[i].swap_pss += (PAGE_SIZE << PSS_SHIFT) / users;
            }
            Node::Table(_) => {}
        },
    );
    out
}

/// The lines smaps and smaps_rollup share (6.1's __show_smap), `Label:` padded to 16
/// columns and the value right-aligned in 8 (SEQ_PUT_DEC); the rollup adds the Pss split.
fn smap_lines(out: &mut String, c: &SmapCounts, rollup: bool) {
    let kb = |b: u64| b >> 10;
    let pss_kb = |b: u64| b >> (10 + PSS_SHIFT);
    let mut line = |label: &str, v: u64| {
        let _ = writeln!(out, "{:<16}{v:>8} kB", alloc::format!("{label}:"));
    };
    line("Rss", kb(c.rss));
    line("Pss", pss_kb(c.pss));
    line("Pss_Dirty", pss_kb(c.pss_dirty));
    if rollup {
        line("Pss_Anon", pss_kb(c.pss_anon));
        line("Pss_File", pss_kb(c.pss_file));
        line("Pss_Shmem", pss_kb(c.pss_shmem));
    }
    line("Shared_Clean", kb(c.shared_clean));
    line("Shared_Dirty", kb(c.shared_dirty));
    line("Private_Clean", kb(c.private_clean));
    line("Private_Dirty", kb(c.private_dirty));
    line("Referenced", kb(c.referenced));
    line("Anonymous", kb(c.anonymous));
    line("LazyFree", 0);
    line("AnonHugePages", 0);
    line("ShmemPmdMapped", 0);
    line("FilePmdMapped", 0);
    line("Shared_Hugetlb", 0);
    line("Private_Hugetlb", 0);
    line("Swap", kb(c.swap));
    line("SwapPss", pss_kb(c.swap_pss));
    line("Locked", 0);
}

/// /proc/PID/smaps: each line of maps, then its area's sizes and counts, `THPeligible`
/// (0: no transparent huge pages) and the area's `VmFlags` (rd wr ex sh, mr mw me ms for
/// what mprotect may allow, gd for the stack, ac for accounted private writable areas).
pub fn smaps(p: &Process) -> String {
    if p.space.seg.is_some() {
        return seg_smaps(p);
    }
    let counts = smap_counts(p);
    let map_lines = maps(p);
    let mut out = String::new();
    for ((line, (start, v)), c) in map_lines.lines().zip(p.space.vmas.iter()).zip(&counts) {
        out.push_str(line);
        out.push('\n');
        let _ = writeln!(out, "{:<16}{:>8} kB", "Size:", (v.end - start) >> 10);
        let _ = writeln!(out, "{:<16}{:>8} kB", "KernelPageSize:", PAGE_SIZE >> 10);
        let _ = writeln!(out, "{:<16}{:>8} kB", "MMUPageSize:", PAGE_SIZE >> 10);
        smap_lines(&mut out, c, false);
        out.push_str("THPeligible:    0\n");
        out.push_str("VmFlags:");
        let shared = v.backing.is_shared();
        for (on, name) in [
            (v.prot.contains(PteFlags::R), "rd"),
            (v.prot.contains(PteFlags::W), "wr"),
            (v.prot.contains(PteFlags::X), "ex"),
            (shared, "sh"),
            (true, "mr"),
            (true, "mw"),
            (true, "me"),
            (shared, "ms"),
            (v.name == Name::Stack, "gd"),
            (
                v.prot.contains(PteFlags::W) && !shared && v.name != Name::Stack,
                "ac",
            ),
        ] {
            if on {
                out.push(' ');
                out.push_str(name);
            }
        }
        out.push_str(" \n");
    }
    out
}

/// smaps of a segmented process: each maps line with its sizes; a segment is resident
/// whole, private, dirty and anonymous (its memory was zero-filled or copied in at
/// allocation; nothing of it is a page-cache page).
fn seg_smaps(p: &Process) -> String {
    let mut out = String::new();
    for line in maps(p).lines() {
        let (start, end) = line
            .split_once(' ')
            .and_then(|(r, _)| r.split_once('-'))
            .and_then(|(a, b)| {
                Some((
                    u64::from_str_radix(a, 16).ok()?,
                    u64::from_str_radix(b, 16).ok()?,
                ))
            })
            .unwrap_or((0, 0));
        let len = end - start;
        out.push_str(line);
        out.push('\n');
        let _ = writeln!(out, "{:<16}{:>8} kB", "Size:", len >> 10);
        let _ = writeln!(out, "{:<16}{:>8} kB", "KernelPageSize:", PAGE_SIZE >> 10);
        let _ = writeln!(out, "{:<16}{:>8} kB", "MMUPageSize:", PAGE_SIZE >> 10);
        let c = SmapCounts {
            rss: len,
            pss: len << PSS_SHIFT,
            pss_dirty: len << PSS_SHIFT,
            pss_anon: len << PSS_SHIFT,
            private_dirty: len,
            referenced: len,
            anonymous: len,
            ..SmapCounts::default()
        };
        smap_lines(&mut out, &c, false);
        out.push_str("THPeligible:    0\n");
    }
    out
}

/// /proc/PID/smaps_rollup: one line spanning every area (`[rollup]`), then the sums.
pub fn smaps_rollup(p: &Process) -> String {
    let mut total = SmapCounts::default();
    for c in smap_counts(p) {
        total.add(&c);
    }
    let first = p.space.vmas.iter().next().map_or(0, |(s, _)| s);
    let last = p.space.vmas.iter().last().map_or(0, |(_, v)| v.end);
    let mut out = String::new();
    let line_start = out.len();
    let _ = write!(out, "{first:08x}-{last:08x} ---p 00000000 00:00 0 ");
    while out.len() - line_start < MAPS_NAME_PAD {
        out.push(' ');
    }
    out.push_str(" [rollup]\n");
    smap_lines(&mut out, &total, true);
    out
}
