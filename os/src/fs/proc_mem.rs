//! /proc/meminfo and /proc/vmstat in Linux 6.1's formats and order (fs/proc/meminfo.c,
//! mm/vmstat.c), every number from [`Snapshot`]: the frame allocator, the heap, the
//! page-table frames and the processes' present pages.
//!
//! What this kernel does not have shows as 0, which is then the true value: no buffers or
//! shared page cache (a file page is a process's private copy of the initramfs's bytes,
//! counted as Cached and Mapped), nothing dirty or under writeback (anonymous pages go to
//! swap synchronously), no mlock, no reclaimable slab, no vmalloc area, no per-cpu areas.
//! Active and Inactive are the LRU lists' lengths (`mm_core::lru`); shared anonymous
//! frames are on the anon lists, as Linux keeps shmem there.

use crate::mm::vmstat::{self, Snapshot};
use alloc::string::String;
use core::fmt::Write;

/// Pages to kB.
fn kb(pages: u64) -> u64 {
    pages * (mm_core::PAGE_SIZE >> 10)
}

/// /proc/meminfo: `Label:` padded to 16 columns, the value right-aligned in 8, ` kB`.
pub fn meminfo(s: &Snapshot) -> String {
    let commit_limit = crate::mm::commit::limit();
    let [inactive_anon, active_anon, inactive_file, active_file] = s.lru;
    let lines: [(&str, u64); 36] = [
        ("MemTotal", kb(s.managed)),
        ("MemFree", kb(s.free)),
        ("MemAvailable", kb(s.available())),
        ("Buffers", 0),
        ("Cached", kb(s.file + s.shmem)),
        ("SwapCached", kb(s.swap_cached)),
        ("Active", kb(active_anon + active_file)),
        ("Inactive", kb(inactive_anon + inactive_file)),
        ("Active(anon)", kb(active_anon)),
        ("Inactive(anon)", kb(inactive_anon)),
        ("Active(file)", kb(active_file)),
        ("Inactive(file)", kb(inactive_file)),
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

/// The one zone's page counts, as /proc/vmstat and /proc/zoneinfo list them.
fn zone_counts(s: &Snapshot) -> [(&'static str, u64); 9] {
    let [inactive_anon, active_anon, inactive_file, active_file] = s.lru;
    [
        ("nr_free_pages", s.free),
        ("nr_zone_inactive_anon", inactive_anon),
        ("nr_zone_active_anon", active_anon),
        ("nr_zone_inactive_file", inactive_file),
        ("nr_zone_active_file", active_file),
        ("nr_zone_unevictable", 0),
        ("nr_zone_write_pending", 0),
        ("nr_mlock", 0),
        ("nr_bounce", 0),
    ]
}

/// /proc/vmstat: the page counts (zone, then node), then the event counters.
pub fn vmstat(s: &Snapshot) -> String {
    let [inactive_anon, active_anon, inactive_file, active_file] = s.lru;
    let node: [(&str, u64); 14] = [
        ("nr_inactive_anon", inactive_anon),
        ("nr_active_anon", active_anon),
        ("nr_inactive_file", inactive_file),
        ("nr_active_file", active_file),
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
    for (name, v) in zone_counts(s).into_iter().chain(node) {
        let _ = writeln!(out, "{name} {v}");
    }
    let _ = writeln!(out, "nr_page_table_pages {}", s.page_tables);
    for (name, counter) in vmstat::EVENTS.iter() {
        let _ = writeln!(out, "{name} {}", vmstat::read(counter));
    }
    out
}

/// /proc/zoneinfo: the one zone (Normal, node 0) in Linux 6.1's layout (mm/vmstat.c's
/// zoneinfo_show_print): its free pages, the watermarks reclaim works against (min, low,
/// high: `sysctl::watermarks`), its size, then its page counts. The per-node statistics and
/// per-cpu pagesets Linux adds are left out (one node, one hart, no per-cpu lists).
pub fn zoneinfo(s: &Snapshot) -> String {
    let w = crate::sysctl::watermarks(s.managed);
    let ram = crate::mm::frame::total_frames() as u64;
    let mut out = String::new();
    let _ = write!(out, "Node 0, zone {:>8}", "Normal");
    let _ = write!(out, "\n  pages free     {}", s.free);
    for (name, v) in [
        ("boost", 0),
        ("min", w.min),
        ("low", w.low),
        ("high", w.high),
        ("spanned", ram),
        ("present", ram),
        ("managed", s.managed),
        ("cma", 0),
    ] {
        let _ = write!(out, "\n        {name:<8} {v}");
    }
    out.push_str("\n        protection: (0, 0, 0, 0)");
    for (name, v) in zone_counts(s) {
        let _ = write!(out, "\n      {name:<12} {v}");
    }
    let _ = write!(out, "\n  node_unreclaimable:  0");
    let _ = write!(
        out,
        "\n  start_pfn:           {}\n",
        crate::mm::frame::first_pfn()
    );
    out
}
