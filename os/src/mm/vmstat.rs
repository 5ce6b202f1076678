//! Memory counters in Linux's names, in one place: the event counters of /proc/vmstat
//! (mm/vmstat.c's `vmstat_text`), and the page counts /proc/meminfo and /proc/vmstat show,
//! computed when read from the frames' metadata and the processes' page tables.
//!
//! Events are counted where they happen (`pgfault` by the fault handler, `pgalloc_normal`
//! and `pgfree` by the frame allocator) with [`add`]. The reclaim, swap and OOM events
//! (`pswpin`, `pgscan_*`, `pgsteal_*`, `pgactivate`, `pageoutrun`, `allocstall_normal`,
//! `oom_kill`, ...) by `mm::reclaim`, `mm::swap` and the OOM killer; the I/O ones
//! (`pgmajfault`, `pgpgin`, `pgpgout`) by swap-in and the disk.

use crate::proc::Process;
use core::sync::atomic::{AtomicU64, Ordering};
use mm_core::pte::PteFlags;
use mm_core::vma::Backing;

/// Faults handled, in all processes (`pgfault`; minor and major).
pub static PGFAULT: AtomicU64 = AtomicU64::new(0);
/// Frames held by shared anonymous objects (meminfo's Shmem, vmstat's nr_shmem), each
/// counted once however many processes map it.
pub static SHMEM_PAGES: AtomicU64 = AtomicU64::new(0);
/// Faults that waited for I/O (`pgmajfault`: swap-in, file read).
pub static PGMAJFAULT: AtomicU64 = AtomicU64::new(0);
/// kB read from and written to block devices (every page the virtio-blk driver moves,
/// swap's included).
pub static PGPGIN: AtomicU64 = AtomicU64::new(0);
pub static PGPGOUT: AtomicU64 = AtomicU64::new(0);
/// Frames allocated and freed by the buddy allocator (the one zone stands where Linux's
/// ZONE_NORMAL would).
pub static PGALLOC_NORMAL: AtomicU64 = AtomicU64::new(0);
pub static PGFREE: AtomicU64 = AtomicU64::new(0);
/// Pages read from and written to swap.
pub static PSWPIN: AtomicU64 = AtomicU64::new(0);
pub static PSWPOUT: AtomicU64 = AtomicU64::new(0);
/// Pages scanned and reclaimed by kswapd and by direct reclaim, and by type.
pub static PGSCAN_KSWAPD: AtomicU64 = AtomicU64::new(0);
pub static PGSCAN_DIRECT: AtomicU64 = AtomicU64::new(0);
pub static PGSCAN_ANON: AtomicU64 = AtomicU64::new(0);
pub static PGSCAN_FILE: AtomicU64 = AtomicU64::new(0);
pub static PGSTEAL_KSWAPD: AtomicU64 = AtomicU64::new(0);
pub static PGSTEAL_DIRECT: AtomicU64 = AtomicU64::new(0);
pub static PGSTEAL_ANON: AtomicU64 = AtomicU64::new(0);
pub static PGSTEAL_FILE: AtomicU64 = AtomicU64::new(0);
/// Pages moved to the active list and back to the inactive one.
pub static PGACTIVATE: AtomicU64 = AtomicU64::new(0);
pub static PGDEACTIVATE: AtomicU64 = AtomicU64::new(0);
/// kswapd's reclaim passes.
pub static PAGEOUTRUN: AtomicU64 = AtomicU64::new(0);
/// Allocations that had to reclaim directly (the one zone is ZONE_NORMAL's place).
pub static ALLOCSTALL_NORMAL: AtomicU64 = AtomicU64::new(0);
/// Processes the OOM killer killed.
pub static OOM_KILL: AtomicU64 = AtomicU64::new(0);
/// Segment memory (`mm::segmem`; not Linux's, listed after its counters): ranges placed
/// and refused for want of a hole, ranges freed; segments written to swap and read back,
/// in segments and in pages; the virtual milliseconds swapped-out segments spent in swap
/// before their range came back (summed over the segments swapped in).
pub static SEG_ALLOC: AtomicU64 = AtomicU64::new(0);
pub static SEG_ALLOC_FAIL: AtomicU64 = AtomicU64::new(0);
pub static SEG_FREE: AtomicU64 = AtomicU64::new(0);
pub static SEG_SWAPOUT: AtomicU64 = AtomicU64::new(0);
pub static SEG_SWAPIN: AtomicU64 = AtomicU64::new(0);
pub static SEG_SWAPOUT_PAGES: AtomicU64 = AtomicU64::new(0);
pub static SEG_SWAPIN_PAGES: AtomicU64 = AtomicU64::new(0);
pub static SEG_SWAPIN_WAIT_MS: AtomicU64 = AtomicU64::new(0);

/// The event counters in /proc/vmstat's order (Linux 6.1's, the ones this kernel has), then
/// segment memory's.
pub static EVENTS: [(&str, &AtomicU64); 29] = [
    ("pgpgin", &PGPGIN),
    ("pgpgout", &PGPGOUT),
    ("pswpin", &PSWPIN),
    ("pswpout", &PSWPOUT),
    ("pgalloc_normal", &PGALLOC_NORMAL),
    ("allocstall_normal", &ALLOCSTALL_NORMAL),
    ("pgfree", &PGFREE),
    ("pgactivate", &PGACTIVATE),
    ("pgdeactivate", &PGDEACTIVATE),
    ("pgfault", &PGFAULT),
    ("pgmajfault", &PGMAJFAULT),
    ("pgsteal_kswapd", &PGSTEAL_KSWAPD),
    ("pgsteal_direct", &PGSTEAL_DIRECT),
    ("pgscan_kswapd", &PGSCAN_KSWAPD),
    ("pgscan_direct", &PGSCAN_DIRECT),
    ("pgscan_anon", &PGSCAN_ANON),
    ("pgscan_file", &PGSCAN_FILE),
    ("pgsteal_anon", &PGSTEAL_ANON),
    ("pgsteal_file", &PGSTEAL_FILE),
    ("pageoutrun", &PAGEOUTRUN),
    ("oom_kill", &OOM_KILL),
    ("seg_alloc", &SEG_ALLOC),
    ("seg_alloc_fail", &SEG_ALLOC_FAIL),
    ("seg_free", &SEG_FREE),
    ("seg_swapout", &SEG_SWAPOUT),
    ("seg_swapin", &SEG_SWAPIN),
    ("seg_swapout_pages", &SEG_SWAPOUT_PAGES),
    ("seg_swapin_pages", &SEG_SWAPIN_PAGES),
    ("seg_swapin_wait_ms", &SEG_SWAPIN_WAIT_MS),
];

/// An event counter's value.
pub fn read(counter: &AtomicU64) -> u64 {
    counter.load(Ordering::Relaxed)
}

/// Counts `n` events.
pub fn add(counter: &AtomicU64, n: u64) {
    counter.fetch_add(n, Ordering::Relaxed);
}

/// Bytes of the kernel stack each process has (exec.rs allocates 2^KSTACK_ORDER frames).
pub const KERNEL_STACK_BYTES: u64 = mm_core::PAGE_SIZE << crate::proc::exec::KSTACK_ORDER;

/// One process's pages, by kind.
#[derive(Clone, Copy, Debug, Default)]
pub struct ProcessPages {
    /// Present pages holding anonymous data: anonymous areas, and file areas that may be
    /// written (their pages are private copies, anonymous once written, as after Linux's
    /// copy-on-write).
    pub anon: u64,
    /// Present pages of read-only file areas: the file's bytes unchanged (the program's
    /// text and rodata), which reclaim could drop and read again.
    pub file: u64,
    /// Present pages of shared anonymous areas (status's RssShmem).
    pub shmem: u64,
    /// Pages of private writable areas: what the process has committed (Linux accounts
    /// these at mmap, brk and stack growth: VM_ACCOUNT).
    pub committed: u64,
}

impl ProcessPages {
    /// Walks `p`'s areas and page table.
    pub fn of(p: &Process) -> ProcessPages {
        Self::of_space(&p.space)
    }

    /// Walks an address space's areas and page table.
    pub fn of_space(space: &crate::mm::space::AddressSpace) -> ProcessPages {
        let mut out = ProcessPages::default();
        for (start, v) in space.vmas.iter() {
            let writable = v.prot.contains(PteFlags::W);
            if matches!(v.backing, Backing::File { .. }) && !writable {
                out.file += space.present_in(start, v.end);
            }
            if v.backing.is_shared() {
                out.shmem += space.present_in(start, v.end);
            }
        }
        out.committed = committed_of(space);
        out.anon = space.resident.saturating_sub(out.file + out.shmem);
        out
    }
}

/// Pages of an address space's private writable areas: what it has committed (the
/// overcommit policy's charge, Linux's VM_ACCOUNT).
pub fn committed_of(space: &crate::mm::space::AddressSpace) -> u64 {
    space
        .vmas
        .iter()
        .filter(|(_, v)| v.prot.contains(PteFlags::W) && !v.backing.is_shared())
        .map(|(s, v)| (v.end - s) / mm_core::PAGE_SIZE)
        .sum()
}

/// The whole machine's memory, in pages, as /proc/meminfo and /proc/vmstat show it.
#[derive(Clone, Copy, Debug, Default)]
pub struct Snapshot {
    /// Frames the buddy allocator manages (RAM less the image, boot page tables, frame
    /// metadata and the initrd): MemTotal.
    pub managed: u64,
    /// Free frames in the buddy allocator.
    pub free: u64,
    /// Frames of kernel heap objects: slabs and large objects (Linux counts kmalloc's
    /// large allocations as unreclaimable slab too).
    pub slab: u64,
    /// Page-table frames in use below the processes' roots (flagged PAGETABLE; the boot
    /// tables, not managed, aside).
    pub page_tables: u64,
    /// Processes' kernel stacks, in bytes.
    pub kernel_stack_bytes: u64,
    /// Sums over the processes.
    pub anon: u64,
    pub file: u64,
    pub committed: u64,
    /// Frames of shared anonymous objects ([`SHMEM_PAGES`]).
    pub shmem: u64,
    /// The LRU lists' lengths, in `mm_core::lru::List::ALL`'s order: inactive anon,
    /// active anon, inactive file, active file.
    pub lru: [u64; 4],
    /// Swap: pages in all swap areas, free among them, and in the swap cache.
    pub swap_total: u64,
    pub swap_free: u64,
    pub swap_cached: u64,
}

impl Snapshot {
    /// Reads the allocators and walks `procs` (every process).
    pub fn take(procs: &[&Process]) -> Snapshot {
        let mut s = Snapshot {
            managed: super::frame::managed_frames() as u64,
            free: super::frame::free_frames() as u64,
            slab: (super::heap::slab_frames() + super::heap::large_frames()) as u64,
            // Each process's root table aside, as Linux on riscv64 counts (its pgd is not
            // accounted), so the sum of the processes' VmPTE is PageTables.
            page_tables: super::frame::page_table_frames().saturating_sub(procs.len()) as u64,
            kernel_stack_bytes: procs.len() as u64 * KERNEL_STACK_BYTES,
            shmem: SHMEM_PAGES.load(Ordering::Relaxed),
            lru: super::frame::lru_lens().map(|n| n as u64),
            swap_total: super::swapfile::total_pages(),
            swap_free: super::swapfile::free_pages(),
            swap_cached: super::swap::cached(),
            ..Snapshot::default()
        };
        for p in procs {
            let pp = ProcessPages::of(p);
            s.anon += pp.anon;
            s.file += pp.file;
            s.committed += pp.committed;
        }
        s
    }

    /// MemAvailable, by Linux's si_mem_available: free pages less the reserve (the high
    /// watermark; one zone, so no lowmem reserve), plus the file pages and reclaimable slab
    /// beyond what must stay (half of each, at most the low watermark). No slab is
    /// reclaimable here.
    pub fn available(&self) -> u64 {
        let w = crate::sysctl::watermarks(self.managed);
        let file = self.lru[2] + self.lru[3];
        let pagecache = file - (file / 2).min(w.low);
        (self.free + pagecache).saturating_sub(w.high)
    }
}
