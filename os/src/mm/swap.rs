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

use super::{frame, swapfile, vmstat};
use alloc::collections::BTreeMap;
use mm_core::swap::SwapEntry;
use mm_core::PhysAddr;
use spin::Mutex;

/// Frames read back from swap whose slot still has other users.
static CACHE: Mutex<BTreeMap<SwapEntry, PhysAddr>> = Mutex::new(BTreeMap::new());

/// The frame holding `e`'s page, if the swap cache has it.
pub fn lookup(e: SwapEntry) -> Option<PhysAddr> {
    CACHE.lock().get(&e).copied()
}

/// Keeps `pa` (just read from `e`, whose slot has other users) in the swap cache: one
/// more reference on the frame.
pub fn insert(e: SwapEntry, pa: PhysAddr) {
    frame::get(pa);
    CACHE.lock().insert(e, pa);
}

/// Pages in the swap cache (meminfo's SwapCached).
pub fn cached() -> u64 {
    CACHE.lock().len() as u64
}

/// A PTE holding `e` is gone (the page was faulted in, or unmapped): one use of the slot
/// less; with the last, the slot is free and the swap cache lets its frame go.
pub fn put(e: SwapEntry) {
    swapfile::free(e);
    if swapfile::use_count(e) == 0 {
        let cached = CACHE.lock().remove(&e);
        if let Some(pa) = cached {
            frame::put(pa);
        }
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
    if swapfile::write_page(e, frame_page(pa)).is_err() {
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
    let ok = swapfile::read_page(e, frame_page_mut(pa)).is_ok();
    if ok {
        vmstat::add(&vmstat::PSWPIN, 1);
    } else {
        log::error!("swap: read of {e:?} failed");
    }
    ok
}

#[allow(unsafe_code)]
fn frame_page(pa: PhysAddr) -> &'static [u8; 4096] {
    // SAFETY: a user frame the caller holds, reached through the direct map; nothing
    // writes it while it is being written out (one hart, the kernel is not preempted).
    unsafe { &*(super::layout::phys_to_virt(pa).0 as *const [u8; 4096]) }
}

#[allow(unsafe_code)]
fn frame_page_mut(pa: PhysAddr) -> &'static mut [u8; 4096] {
    // SAFETY: a frame just allocated for the read, mapped by nobody yet.
    unsafe { &mut *(super::layout::phys_to_virt(pa).0 as *mut [u8; 4096]) }
}
