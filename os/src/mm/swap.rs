//! Swapping pages out and in, over the swap areas of [`super::swapfile`], and the swap
//! cache (NOTES.md, "Reclaim, swap, kswapd, OOM": anonymous pages are written to swap and
//! read back on the next touch, a major fault).
//!
//! A swapped-out page's PTEs hold its [`SwapEntry`] (V = 0: `mm_core::swap`), one use of
//! the slot per PTE. When a page shared by several processes (fork) is read back by the
//! first of them, the frame is kept in the swap cache under its entry until every user of
//! the slot has faulted it in or let it go, so the page is read once and stays one page:
//! the later faults find it there (minor faults). The cache holds one reference on the
//! frame. I/O is synchronous (the disk driver waits for its request), so no page is ever
//! in flight while another fault looks for it.

use super::space::AddressSpace;
use super::{frame, swapfile, vmstat};
use crate::errno::Errno;
use alloc::collections::BTreeMap;
use alloc::vec::Vec;
use mm_core::swap::SwapEntry;
use mm_core::{PhysAddr, VirtAddr};
use spin::Mutex;

/// Frames read back from swap whose slot still has other users, by entry and by frame.
struct Cache {
    by_entry: BTreeMap<SwapEntry, PhysAddr>,
    by_frame: BTreeMap<PhysAddr, SwapEntry>,
}

static CACHE: Mutex<Cache> = Mutex::new(Cache {
    by_entry: BTreeMap::new(),
    by_frame: BTreeMap::new(),
});

impl Cache {
    fn remove(&mut self, e: SwapEntry) -> Option<PhysAddr> {
        let pa = self.by_entry.remove(&e)?;
        self.by_frame.remove(&pa);
        Some(pa)
    }
}

/// The frame holding `e`'s page, if the swap cache has it.
pub fn lookup(e: SwapEntry) -> Option<PhysAddr> {
    CACHE.lock().by_entry.get(&e).copied()
}

/// The entry whose page the frame at `pa` holds, if it is in the swap cache.
pub fn entry_of(pa: PhysAddr) -> Option<SwapEntry> {
    CACHE.lock().by_frame.get(&pa).copied()
}

/// Keeps `pa` (just read from `e`, whose slot has other users) in the swap cache: one
/// more reference on the frame.
pub fn insert(e: SwapEntry, pa: PhysAddr) {
    frame::get(pa);
    let mut c = CACHE.lock();
    c.by_entry.insert(e, pa);
    c.by_frame.insert(pa, e);
}

/// Pages in the swap cache (meminfo's SwapCached).
pub fn cached() -> u64 {
    CACHE.lock().by_entry.len() as u64
}

/// A PTE holding `e` is gone (the page was faulted in, or unmapped): one use of the slot
/// less; with the last, the slot is free and the swap cache lets its frame go.
pub fn put(e: SwapEntry) {
    swapfile::free(e);
    if swapfile::use_count(e) == 0 {
        let cached = CACHE.lock().remove(e);
        if let Some(pa) = cached {
            frame::put(pa);
        }
    }
}

/// Reclaim lets a swap-cache page go: its contents are still in its slot (the cache's
/// frames are never mapped writable, so never changed), so no write is needed. The
/// caller has turned every PTE mapping it back into the entry first.
pub fn drop_cached(e: SwapEntry) {
    let cached = CACHE.lock().remove(e);
    if let Some(pa) = cached {
        frame::put(pa);
    }
}

/// One more PTE holds `e` (fork copied it).
pub fn dup(e: SwapEntry) {
    if !swapfile::dup(e) {
        log::error!("swap: dup of a free slot {e:?}");
    }
}

/// Writes the frame at `pa` to a new slot with `users` uses (one per PTE that will hold
/// the entry); `None` when swap is full or the write failed (the slot is given back).
pub fn write_out(pa: PhysAddr, users: u32) -> Option<SwapEntry> {
    let e = swapfile::alloc_slot()?;
    if swapfile::write_page(e, super::space::frame_bytes(pa)).is_err() {
        log::warn!("swap: write of {e:?} failed; the page stays in memory");
        swapfile::free(e);
        return None;
    }
    for _ in 1..users {
        swapfile::dup(e);
    }
    vmstat::add(&vmstat::PSWPOUT, 1);
    Some(e)
}

/// Reads `e`'s page into the frame at `pa` (a major fault's I/O).
pub fn read_in(e: SwapEntry, pa: PhysAddr) -> bool {
    let ok = swapfile::read_page(e, super::space::frame_bytes(pa)).is_ok();
    if ok {
        vmstat::add(&vmstat::PSWPIN, 1);
    } else {
        log::error!("swap: read of {e:?} failed");
    }
    ok
}

/// The owner swapoff's scan gives the running process's space (out of the process table).
const CURRENT: u32 = u32::MAX;
/// Slots of the area swapoff looks for in one scan of every address space.
const SCAN_SLOTS: u64 = 4096;

/// swapoff's work (Linux's try_to_unuse): every page of swap area `area` comes back into
/// memory, so that no slot of it is in use. `cur` is the running process's space (out of
/// the process table); the others are the table's. The area must take no new slots
/// (`swapfile::swapoff` has cleared its writeok), so reclaim, which may run for the
/// frames, swaps other pages out to other areas only.
///
/// The area is done [`SCAN_SLOTS`] slots at a time: one scan of every space collects the
/// PTEs holding an entry of those slots, then each entry's page comes back: the swap
/// cache's frame if it has one, else a new frame (`reclaim::alloc_user_frame`) read from
/// the slot and put in the swap cache, which every PTE holding the entry then maps (one
/// frame, copy-on-write while shared, as the swap cache's faults do); the last one frees
/// the slot and takes the frame out of the cache. Between entries the allocation may
/// reclaim (never changing a swap PTE) or kill a process (whose uses of the slots go with
/// it), so each PTE is checked before it is replaced. Then the shared anonymous objects'
/// pages of the area, whose entries the objects hold (no PTE), come back into their
/// objects ([`unuse_shared`]).
///
/// ENOMEM when no frame can be had, EIO when a slot cannot be read, EBUSY when a slot is
/// still in use after all (a PTE out of reach): the pages brought back so far stay in
/// memory, the rest stays in the area, and nothing is lost.
pub fn unuse_area(mut cur: Option<&mut AddressSpace>, area: u8) -> Result<(), Errno> {
    let Some((last, _)) = swapfile::area_slots(area) else {
        return Err(Errno::EINVAL);
    };
    let mut lo = 1;
    while lo <= last {
        let slots = lo..(lo + SCAN_SLOTS).min(last + 1);
        lo = slots.end;
        // (entry, owner, address) of every PTE holding an entry of `slots`, by entry.
        let mut found: Vec<(SwapEntry, u32, VirtAddr)> = Vec::new();
        if let Some(c) = cur.as_deref() {
            c.swap_entries(area, slots.clone(), &mut |va, e| {
                found.push((e, CURRENT, va))
            });
        }
        for q in crate::proc::spaces().iter() {
            q.space
                .swap_entries(area, slots.clone(), &mut |va, e| found.push((e, q.pid, va)));
        }
        found.sort_unstable_by_key(|&(e, owner, va)| (e, owner, va.0));
        let mut rest = &found[..];
        while let Some(&(e, ..)) = rest.first() {
            let n = rest.iter().take_while(|m| m.0 == e).count();
            unuse_entry(cur.as_deref_mut(), e, &rest[..n])?;
            rest = &rest[n..];
        }
    }
    unuse_shared(cur, area)?;
    match swapfile::area_slots(area) {
        Some((_, 0)) | None => Ok(()),
        Some((_, left)) => {
            log::error!("swapoff: {left} slots of swap area {area} still in use");
            Err(Errno::EBUSY)
        }
    }
}

/// swapoff's work on shared anonymous objects, which hold their swapped pages' entries
/// themselves (no PTE does): every live object (found through the areas of the running
/// process and of the process table) gets its pages in area `area` back, each into a new
/// frame that the object holds (its mappers map it at their next touch, a minor fault),
/// and gives the slot back. Errors as [`unuse_area`]'s.
fn unuse_shared(mut cur: Option<&mut AddressSpace>, area: u8) -> Result<(), Errno> {
    use alloc::sync::Arc;
    use mm_core::shmem::{SharedAnon, Slot};
    let mut objs: Vec<Arc<SharedAnon>> = Vec::new();
    let mut add = |s: &AddressSpace| {
        for (_, v) in s.vmas.iter() {
            if let mm_core::vma::Backing::Shared { obj, .. } = &v.backing {
                if !objs.iter().any(|o| Arc::ptr_eq(o, obj)) {
                    objs.push(obj.clone());
                }
            }
        }
    };
    if let Some(c) = cur.as_deref() {
        add(c);
    }
    for q in crate::proc::spaces().iter() {
        add(&q.space);
    }
    for obj in &objs {
        let mut todo: Vec<(u64, SwapEntry)> = Vec::new();
        obj.swapped_in_area(area, |i, e| todo.push((i, e)));
        for (index, e) in todo {
            let pa = super::reclaim::alloc_user_frame(cur.as_deref_mut()).ok_or(Errno::ENOMEM)?;
            // The object holds `e` until a fault brings the page back, and no fault ran.
            if obj.slot_of(index) != Slot::Swapped(e) {
                frame::free(pa, 0);
                continue;
            }
            if !read_in(e, pa) {
                frame::free(pa, 0);
                return Err(Errno::EIO);
            }
            if !obj.swap_in(index, e, pa) {
                frame::free(pa, 0);
                continue;
            }
            put(e);
            vmstat::SHMEM_PAGES.fetch_add(1, core::sync::atomic::Ordering::Relaxed);
            frame::lru_add(pa, true);
        }
    }
    Ok(())
}

/// Brings entry `e`'s page back into memory and maps it in each of the PTEs `at` (entry,
/// owner, address) that still holds `e` ([`unuse_area`]).
fn unuse_entry(
    mut cur: Option<&mut AddressSpace>,
    e: SwapEntry,
    at: &[(SwapEntry, u32, VirtAddr)],
) -> Result<(), Errno> {
    let pa = match lookup(e) {
        Some(pa) => pa,
        None => {
            let pa = super::reclaim::alloc_user_frame(cur.as_deref_mut()).ok_or(Errno::ENOMEM)?;
            // The allocation may have killed a process, and with it its uses of `e`.
            if swapfile::use_count(e) == 0 {
                frame::free(pa, 0);
                return Ok(());
            }
            if !read_in(e, pa) {
                frame::free(pa, 0);
                return Err(Errno::EIO);
            }
            // The swap cache's reference is the frame's only one until the PTEs map it.
            insert(e, pa);
            frame::put(pa);
            frame::lru_add(pa, true);
            pa
        }
    };
    let mut spaces = crate::proc::spaces();
    for &(_, owner, va) in at {
        let space = if owner == CURRENT {
            cur.as_deref_mut()
        } else {
            spaces.space_mut(owner)
        };
        if let Some(s) = space {
            s.unuse(va, e, pa);
        }
    }
    Ok(())
}
