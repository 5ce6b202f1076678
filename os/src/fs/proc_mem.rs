//! /proc/meminfo and /proc/vmstat in Linux 6.1's formats and order (fs/proc/meminfo.c,
//! mm/vmstat.c), every number from [`Snapshot`]: the frame allocator, the heap, the
//! page-table frames and the processes' present pages.
//!
//! SwapTotal and SwapFree are the active swap areas' (`crate::mm::swapfile`), and
//! CommitLimit counts swap as Linux does. What this kernel does not have shows as 0, which
//! is then the true value: no swap cache, no buffers or shared page cache (a file page is a process's private copy of the
//! initramfs's bytes, counted as Cached and Mapped), nothing dirty or under writeback, no
//! mlock, no reclaimable slab, no vmalloc area, no per-cpu areas. No LRU lists exist yet;
//! every user page is on the inactive list of its kind, where Linux 6.1 puts a new page
//! and where it stays until reclaim's scans activate it (ROADMAP.md step 4).

use crate::mm::vmstat::{self, Snapshot};
use alloc::string::String;
use core::fmt::Write;

/// Pages to kB.
fn kb(pages: u64) -> u64 {
    pages * (mm_core::PAGE_SIZE >> 10)
}

/// /proc/meminfo: `Label:` padded to 16 columns, the value right-aligned in 8, ` kB`.
pub fn meminfo(s: &Snapshot) -> String {
    let ratio = crate::sysctl::value("overcommit_ratio").max(0) as u64;
    // Linux's vm_commit_limit: RAM × overcommit_ratio / 100 + swap pages.
    let commit_limit = s.managed * ratio / 100 + s.swap_total;
    let lines: [(&str, u64); 36] = [
        ("MemTotal", kb(s.managed)),
        ("MemFree", kb(s.free)),
        ("MemAvailable", kb(s.available())),
        ("Buffers", 0),
        ("Cached", kb(s.file + s.shmem)),
        ("SwapCached", 0),
        ("Active", 0),
        ("Inactive", kb(s.anon + s.shmem + s.file)),
        ("Active(anon)", 0),
        ("Inactive(anon)", kb(s.anon + s.shmem)),
        ("Active(file)", 0),
        ("Inactive(file)", kb(s.file)),
        ("Unevictable", 0),
        ("Mlocked", 0),
        ("SwapTotal", kb(s.swap_total)),
        ("SwapFree", kb(s.swap_free)),
        ("Dirty", 0),
        ("Writeback", 0),
        ("AnonPages", kb(s.anon)),
        ("Mapped", kb(s.file)),
        ("Shmem", kb(s.shmem)),
        ("KReclaimable", 0),
        ("Slab", kb(s.slab)),
        ("SReclaimable", 0),
        ("SUnreclaim", kb(s.slab)),
        ("KernelStack", s.kernel_stack_bytes >> 10),
        ("PageTables", kb(s.page_tables)),
        ("NFS_Unstable", 0),
        ("Bounce", 0),
        ("WritebackTmp", 0),
        ("CommitLimit", kb(commit_limit)),
        ("Committed_AS", kb(s.committed)),
        ("VmallocTotal", 0),
        ("VmallocUsed", 0),
        ("VmallocChunk", 0),
        ("Percpu", 0),
    ];
    let mut out = String::new();
    for (label, value) in lines {
        let _ = writeln!(out, "{:<16}{value:>8} kB", alloc::format!("{label}:"));
    }
    out
}

/// /proc/vmstat: the page counts (zone, then node), then the event counters.
pub fn vmstat(s: &Snapshot) -> String {
    let counts: [(&str, u64); 23] = [
        ("nr_free_pages", s.free),
        ("nr_zone_inactive_anon", s.anon + s.shmem),
        ("nr_zone_active_anon", 0),
        ("nr_zone_inactive_file", s.file),
        ("nr_zone_active_file", 0),
        ("nr_zone_unevictable", 0),
        ("nr_zone_write_pending", 0),
        ("nr_mlock", 0),
        ("nr_bounce", 0),
        ("nr_inactive_anon", s.anon + s.shmem),
        ("nr_active_anon", 0),
        ("nr_inactive_file", s.file),
        ("nr_active_file", 0),
        ("nr_unevictable", 0),
        ("nr_slab_reclaimable", 0),
        ("nr_slab_unreclaimable", s.slab),
        ("nr_anon_pages", s.anon),
        ("nr_mapped", s.file),
        ("nr_file_pages", s.file + s.shmem),
        ("nr_dirty", 0),
        ("nr_writeback", 0),
        ("nr_shmem", s.shmem),
        // In kB, as Linux keeps it.
        ("nr_kernel_stack", s.kernel_stack_bytes >> 10),
    ];
    let mut out = String::new();
    for (name, v) in counts {
        let _ = writeln!(out, "{name} {v}");
    }
    let _ = writeln!(out, "nr_page_table_pages {}", s.page_tables);
    for (name, counter) in vmstat::EVENTS.iter() {
        let _ = writeln!(out, "{name} {}", vmstat::read(counter));
    }
    out
}
