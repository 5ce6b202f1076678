//! Page reclaim: the allocator's user path with its watermarks, kswapd, direct reclaim
//! and the call to the OOM killer (NOTES.md, "Reclaim, swap, kswapd, OOM"; LINUX-FACTS.md,
//! "Reclaim").
//!
//! - **Watermarks** (`sysctl::watermarks`: min = vm.min_free_kbytes in pages, low and high
//!   above it). A user page is allocated only while more than `min` frames stay free; the
//!   kernel's own allocations (page tables, its heap, kernel stacks) may dip below, so
//!   user pressure never starves the kernel. Falling below `low` wakes kswapd.
//! - **kswapd** ([`kswapd_run`]) is a kernel thread with no process-table entry, run by the
//!   scheduler at each switch while it is awake: one bounded batch each time (at most
//!   [`KSWAPD_BATCH`] pages), until more than `high` frames are free; then it sleeps. It
//!   does not block the process that woke it: a program that allocates slowly is served by
//!   it alone.
//! - **Direct reclaim**: an allocation that finds `min` reached reclaims
//!   [`SWAP_CLUSTER_MAX`] pages itself (allocstall_normal) and tries again; after
//!   [`MAX_RECLAIM_RETRIES`] passes down to priority 0 that free nothing, the OOM killer
//!   chooses a victim, and the allocation is tried again unless the victim was the
//!   allocating process.
//! - **The scan** ([`shrink`]): Linux's shrink_node, simplified. Each pass at priority
//!   12, 11, ... 0 looks at size >> priority pages of each list, the anonymous lists
//!   weighted by vm.swappiness and the file lists by 200 − swappiness (anon only while
//!   swap has room, and anon alone when file + free pages are at or below `high`, Linux's
//!   SCAN_ANON). An inactive list that is "low" (inactive × ratio < active, ratio =
//!   √(10 × GiB) or 1) first gets pages from the active tail (pgdeactivate). From the
//!   inactive tail: a page whose PTEs show A (cleared and fenced as they are read, through
//!   the reverse map) is kept if seen once, activated (pgactivate) if seen twice or mapped
//!   twice; one not used since is reclaimed: a file page is dropped (its PTEs emptied; the
//!   next touch reads the file again), an anonymous one written to swap and its PTEs made
//!   swap entries (pswpout); a page of the swap cache, whose slot still holds it, is
//!   given back to its PTEs as the entry with no write. A frame of a shared anonymous
//!   object (held by its mappings and by the object, found through a mapper's area) is
//!   written to a new slot that the object holds (Linux's shmem: the entry is the
//!   object's, not the PTEs'), its PTEs emptied, so that the next touch faults into the
//!   object (`AddressSpace::fault_shared`) and reads it back. Frames held by more than
//!   their mappings otherwise, and shared frames no process maps (nothing leads to their
//!   object), are passed over.

use super::frame::{self, LruPage};
use super::{swap, swapfile, vmstat};
use crate::mm::space::AddressSpace;
use alloc::sync::Arc;
use core::sync::atomic::{AtomicBool, Ordering};
use mm_core::lru::List;
use mm_core::page::PageFlags;
use mm_core::pte::Pte;
use mm_core::shmem::SharedAnon;
use mm_core::swap::SwapEntry;
use mm_core::vma::Backing;
use mm_core::{PhysAddr, PAGE_SHIFT};

/// Pages one direct-reclaim call tries to free (Linux's SWAP_CLUSTER_MAX).
pub const SWAP_CLUSTER_MAX: usize = 32;
/// Pages kswapd reclaims at most in one run (its share of the hart at a switch: a process
/// that takes more pages than this per tick also reclaims directly).
pub const KSWAPD_BATCH: usize = SWAP_CLUSTER_MAX;
/// Passes of direct reclaim that free nothing before the OOM killer is called (Linux's
/// MAX_RECLAIM_RETRIES).
const MAX_RECLAIM_RETRIES: u32 = 16;
/// The first scan priority (Linux's DEF_PRIORITY): size >> 12 pages of each list.
const DEF_PRIORITY: u32 = 12;

/// Who reclaims.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reclaimer {
    Kswapd,
    Direct,
}

/// kswapd is awake.
static KSWAPD_AWAKE: AtomicBool = AtomicBool::new(false);

/// Wakes kswapd (free frames fell below the low watermark).
fn wake_kswapd() {
    if !KSWAPD_AWAKE.swap(true, Ordering::Relaxed) {
        crate::kevent::watermarks(crate::kevent::kind::KSWAPD_WAKE);
    }
}

/// kswapd goes to sleep.
fn sleep_kswapd() {
    if KSWAPD_AWAKE.swap(false, Ordering::Relaxed) {
        crate::kevent::watermarks(crate::kevent::kind::KSWAPD_SLEEP);
    }
}

/// A frame for a user page: from the free frames while more than `min` stay free (waking
/// kswapd below `low`), else after direct reclaim, else after the OOM killer has freed a
/// victim's memory. `None` when nothing can be had; the OOM killer may have chosen the
/// running process (`cur.oom_killed`). `cur` is the address space the page is for (the
/// running process's, out of the process table), so reclaim can see its mappings too.
pub fn alloc_user_frame(mut cur: Option<&mut AddressSpace>) -> Option<PhysAddr> {
    let mut no_progress = 0;
    loop {
        let w = crate::sysctl::watermarks(frame::managed_frames() as u64);
        let free = frame::free_frames() as u64;
        if free < w.low {
            wake_kswapd();
        }
        if free > w.min {
            if let Some(pa) = frame::alloc(0) {
                return Some(pa);
            }
        }
        vmstat::add(&vmstat::ALLOCSTALL_NORMAL, 1);
        crate::kevent::watermarks(crate::kevent::kind::DIRECT_BEGIN);
        let freed = shrink(SWAP_CLUSTER_MAX, Reclaimer::Direct, cur.as_deref_mut());
        crate::kevent::send(crate::kevent::kind::DIRECT_END, &[freed as u64]);
        if freed > 0 {
            no_progress = 0;
            continue;
        }
        // A pass that freed nothing has still cleared the A bits it looked at: the next
        // one reclaims the pages not used since (Linux's should_reclaim_retry).
        no_progress += 1;
        if no_progress < MAX_RECLAIM_RETRIES {
            continue;
        }
        no_progress = 0;
        log::info!(
            "reclaim freed nothing: {free} frames free (min {}), LRU lists {:?}, swap {} of {} pages free",
            w.min,
            frame::lru_lens(),
            swapfile::free_pages(),
            swapfile::total_pages()
        );
        match super::oom::out_of_memory(cur.as_deref_mut()) {
            super::oom::Kill::Other => continue,
            super::oom::Kill::Current | super::oom::Kill::Nothing => return None,
        }
    }
}

/// kswapd's run at a scheduler switch: while awake, reclaims one batch towards the high
/// watermark; sleeps once free frames are above it (or when a pass frees nothing: Linux's
/// kswapd gives up too, until the next wake). Returns whether it did any work.
pub fn kswapd_run() -> bool {
    if !KSWAPD_AWAKE.load(Ordering::Relaxed) {
        return false;
    }
    let w = crate::sysctl::watermarks(frame::managed_frames() as u64);
    let free = frame::free_frames() as u64;
    if free > w.high {
        sleep_kswapd();
        return false;
    }
    vmstat::add(&vmstat::PAGEOUTRUN, 1);
    let want = ((w.high + 1 - free) as usize).min(KSWAPD_BATCH);
    let mut freed = shrink(want, Reclaimer::Kswapd, None);
    if freed == 0 {
        // The first look cleared the A bits: a second finds the pages not used since.
        freed = shrink(want, Reclaimer::Kswapd, None);
    }
    if freed == 0 || frame::free_frames() as u64 > w.high {
        sleep_kswapd();
    }
    true
}

/// Frees up to `nr` frames from the LRU lists; returns how many it freed.
pub fn shrink(nr: usize, who: Reclaimer, mut cur: Option<&mut AddressSpace>) -> usize {
    let swappiness = crate::sysctl::value("swappiness").clamp(0, 200) as usize;
    let mut freed = 0;
    // Per list (inactive anon, active anon, inactive file, active file): pages scanned
    // (looked at on an inactive list, moved off an active one) and reclaimed.
    let mut seen = [(0u64, 0u64); 4];
    for priority in (0..=DEF_PRIORITY).rev() {
        let lens = frame::lru_lens();
        let len = |l: List| lens[l as usize];
        let can_swap = swapfile::free_pages() > 0;
        // Linux's get_scan_count: anon ∝ swappiness, file ∝ 200 − swappiness; no anon
        // scan without swap space.
        let file = (len(List::InactiveFile) + len(List::ActiveFile)) as u64;
        let high = crate::sysctl::watermarks(frame::managed_frames() as u64).high;
        let (anon_w, file_w) = if !can_swap {
            (0, 1)
        } else if file + frame::free_frames() as u64 <= high {
            // Too few file pages to matter (Linux's SCAN_ANON when file + free is at or
            // below the high watermark).
            (1, 0)
        } else {
            (swappiness, 200 - swappiness)
        };
        let sum = (anon_w + file_w).max(1);
        let target = |l: List, w: usize| {
            let n = len(l) >> priority;
            let n = if n == 0 && priority == 0 { len(l) } else { n };
            n * w / sum
        };
        for (inactive, active, w) in [
            (List::InactiveAnon, List::ActiveAnon, anon_w),
            (List::InactiveFile, List::ActiveFile, file_w),
        ] {
            if w == 0 {
                continue;
            }
            if mm_core::policy::inactive_is_low(len(inactive) as u64, len(active) as u64) {
                seen[active as usize].0 += deactivate(
                    active,
                    target(active, w).max(SWAP_CLUSTER_MAX),
                    cur.as_deref_mut(),
                ) as u64;
            }
            let mut scan = target(inactive, w);
            while scan > 0 && freed < nr {
                let batch = scan.min(SWAP_CLUSTER_MAX);
                let (looked, got) =
                    shrink_inactive(inactive, batch, nr - freed, who, cur.as_deref_mut());
                freed += got;
                seen[inactive as usize].0 += looked as u64;
                seen[inactive as usize].1 += got as u64;
                scan -= batch;
            }
        }
        if freed >= nr {
            break;
        }
    }
    if crate::kevent::present() {
        let mut words = [0u64; 13];
        words[0] = u64::from(who == Reclaimer::Direct);
        let mut n = 1;
        for (list, &(scanned, reclaimed)) in seen.iter().enumerate() {
            if scanned > 0 {
                words[n..n + 3].copy_from_slice(&[list as u64, scanned, reclaimed]);
                n += 3;
            }
        }
        crate::kevent::send(crate::kevent::kind::RECLAIM_PASS, &words[..n]);
    }
    freed
}

/// Moves up to `n` pages from the tail of `active` to the head of its inactive list, their
/// A bits cleared on the way, so that the inactive scan sees only later use (Linux 6.1's
/// shrink_active_list deactivates referenced pages too; it keeps referenced executable
/// file pages active, which this kernel does not tell apart).
fn deactivate(active: List, n: usize, mut cur: Option<&mut AddressSpace>) -> usize {
    let inactive = List::of(active.is_anon(), false);
    for moved in 0..n {
        let Some(page) = frame::lru_tail(active) else {
            return moved;
        };
        super::rmap::for_each_mapper(cur.as_deref_mut(), page.pa, |s, va| {
            s.test_and_clear_young(va);
        });
        frame::lru_move(page.pa, inactive, false);
        vmstat::add(&vmstat::PGDEACTIVATE, 1);
    }
    n
}

/// Looks at up to `n` pages from the tail of `list` (an inactive one) and reclaims those not
/// used since the last look; stops after `max` are freed. Returns how many were freed.
fn shrink_inactive(
    list: List,
    n: usize,
    max: usize,
    who: Reclaimer,
    mut cur: Option<&mut AddressSpace>,
) -> (usize, usize) {
    let (scan_c, steal_c) = match who {
        Reclaimer::Kswapd => (&vmstat::PGSCAN_KSWAPD, &vmstat::PGSTEAL_KSWAPD),
        Reclaimer::Direct => (&vmstat::PGSCAN_DIRECT, &vmstat::PGSTEAL_DIRECT),
    };
    let (scan_t, steal_t) = if list.is_anon() {
        (&vmstat::PGSCAN_ANON, &vmstat::PGSTEAL_ANON)
    } else {
        (&vmstat::PGSCAN_FILE, &vmstat::PGSTEAL_FILE)
    };
    let (mut freed, mut looked) = (0, 0);
    for _ in 0..n {
        if freed >= max {
            break;
        }
        let Some(page) = frame::lru_tail(list) else {
            break;
        };
        looked += 1;
        vmstat::add(scan_c, 1);
        vmstat::add(scan_t, 1);
        match check_references(&page, cur.as_deref_mut()) {
            Verdict::Activate => {
                frame::lru_move(page.pa, List::of(list.is_anon(), true), false);
                vmstat::add(&vmstat::PGACTIVATE, 1);
            }
            Verdict::Keep => frame::lru_move(page.pa, list, true),
            Verdict::Skip => {
                frame::lru_move(page.pa, list, page.flags.contains(PageFlags::REFERENCED))
            }
            Verdict::Reclaim(holder) => {
                if reclaim_page(&page, holder, cur.as_deref_mut()) {
                    freed += 1;
                    vmstat::add(steal_c, 1);
                    vmstat::add(steal_t, 1);
                } else {
                    // Swap full or the write failed: an anonymous page stays, active.
                    frame::lru_move(page.pa, List::of(list.is_anon(), true), false);
                }
            }
        }
    }
    (looked, freed)
}

/// What holds a page besides its mappings (one reference), found once by
/// [`check_references`] for [`reclaim_page`].
enum Holder {
    /// Nothing: its mappings are all its references.
    Mappings,
    /// The swap cache, under this entry.
    SwapCache(SwapEntry),
    /// A shared anonymous object, as this page of it.
    Shared(Arc<SharedAnon>, u64),
}

/// What to do with an inactive page (Linux's folio_check_references).
enum Verdict {
    Activate,
    Keep,
    Reclaim(Holder),
    /// Not reclaimable now (held by more than its mappings, or its mappers are out of
    /// reach): rotated to the head.
    Skip,
}

fn check_references(page: &LruPage, mut cur: Option<&mut AddressSpace>) -> Verdict {
    // Held by its mappings alone, or by them and the swap cache (whose reference is one),
    // or by them and a shared anonymous object (one reference too).
    let holder = match swap::entry_of(page.pa) {
        Some(e) if page.refcount == page.mapcount + 1 => Holder::SwapCache(e),
        Some(_) => return Verdict::Skip,
        None if page.refcount == page.mapcount => Holder::Mappings,
        // A shared object's frame no process maps (mapcount 0) stays: no mapper leads to
        // its object.
        None if page.list.is_anon() && page.mapcount > 0 && page.refcount == page.mapcount + 1 => {
            match shmem_of(cur.as_deref_mut(), page.pa) {
                Some((obj, index)) => Holder::Shared(obj, index),
                None => return Verdict::Skip,
            }
        }
        None => return Verdict::Skip,
    };
    if page.mapcount == 0 {
        // Only the swap cache holds it: nothing to look at, its slot has the contents.
        return match holder {
            Holder::SwapCache(_) => Verdict::Reclaim(holder),
            _ => Verdict::Skip,
        };
    }
    let mut young = 0u32;
    let found = super::rmap::for_each_mapper(cur, page.pa, |s, va| {
        young += u32::from(s.test_and_clear_young(va));
    });
    if found.is_none() {
        return Verdict::Skip;
    }
    let referenced_before = page.flags.contains(PageFlags::REFERENCED);
    if young > 0 {
        if referenced_before || young > 1 {
            return Verdict::Activate;
        }
        return Verdict::Keep;
    }
    Verdict::Reclaim(holder)
}

/// Takes `page` from every PTE that maps it (a swap entry in each for an anonymous page,
/// written out first; nothing for a file page) and so frees its frame. A page of the swap
/// cache is not written: its slot holds its contents (the cache's frames are never mapped
/// writable), so its PTEs get the entry back and the cache lets it go. A shared anonymous
/// object's page goes to its object ([`reclaim_shared`]). False when it could not (no
/// swap slot, a failed write, mappers out of reach).
fn reclaim_page(page: &LruPage, holder: Holder, cur: Option<&mut AddressSpace>) -> bool {
    match holder {
        Holder::SwapCache(e) => {
            let done = super::rmap::for_each_mapper(cur, page.pa, |s, va| {
                swap::dup(e);
                s.reclaim_unmap(va, e.to_pte());
            });
            if page.mapcount > 0 && done != Some(page.mapcount as usize) {
                return false;
            }
            swap::drop_cached(e);
            return true;
        }
        Holder::Shared(obj, index) => return reclaim_shared(page, cur, &obj, index),
        Holder::Mappings => {}
    }
    let to = if page.list.is_anon() {
        let Some(e) = swap::write_out(page.pa, page.mapcount) else {
            return false;
        };
        e.to_pte()
    } else {
        Pte::INVALID
    };
    let mut first_va = None;
    let done = super::rmap::for_each_mapper(cur, page.pa, |s, va| {
        first_va.get_or_insert(va.0);
        s.reclaim_unmap(va, to)
    });
    match done {
        Some(n) if n == page.mapcount as usize => {
            if let Some(e) = SwapEntry::from_pte(to) {
                // The owner's pid is not known here (the reverse map knows spaces).
                crate::kevent::send(
                    crate::kevent::kind::SWAP_OUT,
                    &[0, first_va.unwrap_or(0), e.offset],
                );
            }
            true
        }
        _ => {
            // Nothing was unmapped (for_each_mapper calls back for all or none): give the
            // slot's uses back.
            if let Some(e) = SwapEntry::from_pte(to) {
                for _ in 0..page.mapcount {
                    swapfile::free(e);
                }
            }
            false
        }
    }
}

/// The shared anonymous object holding frame `pa`, and the page's index in it: found
/// through the areas of the frame's mappers (the reverse map), which must all name the
/// same object and index, and the object's slot must hold `pa`. `None` otherwise (a
/// private page, or mappers out of reach).
fn shmem_of(cur: Option<&mut AddressSpace>, pa: PhysAddr) -> Option<(Arc<SharedAnon>, u64)> {
    let mut found: Option<(Arc<SharedAnon>, u64)> = None;
    let mut agree = true;
    super::rmap::for_each_mapper(cur, pa, |s, va| {
        let here = s.vmas.find(va.0).and_then(|(start, v)| match &v.backing {
            Backing::Shared { obj, offset } => {
                Some((obj.clone(), (offset + (va.0 - start)) >> PAGE_SHIFT))
            }
            _ => None,
        });
        match (&found, here) {
            (_, None) => agree = false,
            (None, Some(h)) => found = Some(h),
            (Some((o, i)), Some((o2, i2))) => {
                agree &= Arc::ptr_eq(o, &o2) && *i == i2;
            }
        }
    })?;
    let (obj, index) = found.filter(|_| agree)?;
    (obj.get(index) == Some(pa)).then_some((obj, index))
}

/// Reclaims page `index` of shared anonymous object `obj`, in frame `page.pa`: written to
/// a new slot whose one use the object holds (the slot records the entry), every PTE
/// mapping it emptied (the next touch faults into the object and reads the page back, a
/// major fault), then the object's reference dropped, which frees the frame. Nothing
/// changes when a step fails (no slot, a failed write, mappers out of reach).
fn reclaim_shared(
    page: &LruPage,
    cur: Option<&mut AddressSpace>,
    obj: &SharedAnon,
    index: u64,
) -> bool {
    let Some(e) = swap::write_out(page.pa, 1) else {
        return false;
    };
    if !obj.swap_out(index, page.pa, e) {
        swapfile::free(e);
        return false;
    }
    let mut first_va = None;
    let done = super::rmap::for_each_mapper(cur, page.pa, |s, va| {
        first_va.get_or_insert(va.0);
        s.reclaim_unmap(va, Pte::INVALID)
    });
    if done == Some(page.mapcount as usize) {
        crate::kevent::send(
            crate::kevent::kind::SWAP_OUT,
            &[0, first_va.unwrap_or(0), e.offset],
        );
    }
    if done != Some(page.mapcount as usize) {
        // Nothing was unmapped (for_each_mapper calls back for all or none): the frame
        // stays the object's page.
        if !obj.swap_in(index, e, page.pa) {
            log::error!("reclaim: shared page {index} lost its slot {e:?}");
        }
        swapfile::free(e);
        return false;
    }
    vmstat::SHMEM_PAGES.fetch_sub(1, Ordering::Relaxed);
    // The object's reference, the last one: the frame is free.
    frame::put(page.pa);
    true
}
