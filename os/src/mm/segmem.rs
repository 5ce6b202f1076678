//! Segment memory: contiguous physical ranges for segmented processes (docs/KERNEL.md,
//! "Segment memory"; NOTES.md, "Segmentation").
//!
//! A segmented process runs with `satp` = Bare, so each of its segments is one contiguous
//! range of physical memory, checked by PMP entries. The ranges come straight out of the
//! buddy allocator's free frames: a *hole* is a maximal run of free frames
//! (`mm_core::buddy::Buddy::holes`), and a segment of n frames is placed in
//! - the lowest hole of at least n frames (first fit, the default), or
//! - the smallest such hole, the lowest of equals (best fit: sysctl vm.segment_best_fit=1),
//!
//! then taken out of the free lists exactly (`Buddy::take_range`). Nothing moves a segment
//! once placed, so external fragmentation is real: free memory can exceed a request while
//! no single hole holds it (/proc/segmentinfo shows the holes).
//!
//! Segment frames are flagged [`PageFlags::SEGMENT`](mm_core::page::PageFlags::SEGMENT)
//! and nothing else: never on an LRU list, never mapped by a PTE, never in the reverse map,
//! so reclaim and the OOM killer's page walks never see them. They are allocated frames, so
//! MemFree (and MemAvailable) go down by them; an allocation that would leave fewer free
//! frames than the min watermark is refused, keeping the kernel's own reserve.
//!
//! A segment can also go to swap whole ([`swap_out`]) and come back ([`swap_in`]) into
//! exactly the range it left: a Bare-mode program holds physical addresses in its
//! registers and data, and without relocation hardware (a base register) it cannot run
//! anywhere else.

use super::frame;
use super::vmstat::{self, add};
use crate::errno::Errno;
use alloc::string::String;
use alloc::vec::Vec;
use core::fmt::Write;
use core::sync::atomic::{AtomicU64, Ordering};
use mm_core::swap::SwapEntry;
use mm_core::{PhysAddr, PAGE_SIZE};

/// Segments in memory and their bytes (swapped-out ones are not counted: their frames are
/// free). Each allocation is one segment, each free one fewer; a caller that splits or
/// joins segments without memory changing hands says so ([`pieces_changed`]).
static LIVE: AtomicU64 = AtomicU64::new(0);
static LIVE_BYTES: AtomicU64 = AtomicU64::new(0);
/// Bytes of segments in swap now.
static SWAPPED_BYTES: AtomicU64 = AtomicU64::new(0);
/// The highest end any segment has had, rounded up to a buddy block of the largest order:
/// see [`keep_kernel_above`].
static HIGH_WATER: AtomicU64 = AtomicU64::new(0);

/// Moves the buddy allocator's preference to just above the highest segment there has
/// been (rounded up to a 4 MiB block, so that the small free blocks a segment's end leaves
/// in its block are not used either): the kernel's own frames (page tables, kernel stacks,
/// the heap, paged processes' pages) are then taken above the segments while there is
/// room there, rather than from the small free blocks that placing and freeing segments
/// leave between them, or from a segment's range freed a moment ago (the buddy allocator
/// hands out the most recently freed blocks first), either of which would cut the holes
/// segments need. The mark never goes down: a range segments used may be wanted by them
/// again. Before any segment exists the kernel's frames gather at the top of RAM anyway
/// (the highest blocks head the free lists after boot), and first fit fills RAM from the
/// bottom.
fn keep_kernel_above(base: PhysAddr, len: u64) {
    let block = PAGE_SIZE << mm_core::buddy::MAX_ORDER;
    let top = (base.0 + len).next_multiple_of(block);
    if HIGH_WATER.fetch_max(top, Ordering::Relaxed) < top {
        frame::prefer_above(PhysAddr(top));
    }
}

fn page_multiple(bytes: u64) -> bool {
    bytes > 0 && bytes.is_multiple_of(PAGE_SIZE)
}

/// Frames that must stay free: the min watermark (the kernel's reserve for its own
/// allocations: page tables, kernel stacks, the heap).
fn reserve() -> usize {
    crate::sysctl::watermarks(frame::managed_frames() as u64).min as usize
}

/// Whether `extra` more frames may go to segments now.
fn room_for(bytes: u64) -> bool {
    let n = (bytes / PAGE_SIZE) as usize;
    frame::free_frames() >= n.saturating_add(reserve())
}

#[allow(unsafe_code)]
fn zero(pa: PhysAddr, bytes: u64) {
    let va = super::layout::phys_to_virt(pa).0 as *mut u8;
    // SAFETY: the range was just taken from the allocator for the caller (a segment's
    // frames, owned by nothing else) and is RAM mapped by the direct map.
    unsafe { core::ptr::write_bytes(va, 0, bytes as usize) };
}

/// Whether best fit is chosen (sysctl vm.segment_best_fit).
pub fn best_fit() -> bool {
    crate::sysctl::value("segment_best_fit") == 1
}

/// A zero-filled range of `bytes` (a page multiple) for a segment, placed first fit (or
/// best fit per vm.segment_best_fit). EINVAL for a size that is no page multiple, ENOMEM
/// when no hole is large enough (or the range would eat into the reserve).
pub fn alloc(bytes: u64) -> Result<PhysAddr, Errno> {
    if !page_multiple(bytes) {
        return Err(Errno::EINVAL);
    }
    let mut placed = frame::take_segment_fit(bytes, best_fit(), reserve());
    // No hole: a segmented process that is not running may go to swap whole to make one
    // (`proc::segswap`), once.
    if placed.is_none() && crate::proc::segswap::make_room(bytes) {
        placed = frame::take_segment_fit(bytes, best_fit(), reserve());
    }
    let Some(pa) = placed else {
        add(&vmstat::SEG_ALLOC_FAIL, 1);
        log::debug!(
            "segmem: no hole of {} kB ({} kB free, {})",
            bytes >> 10,
            (frame::free_frames() as u64 * PAGE_SIZE) >> 10,
            if best_fit() { "best fit" } else { "first fit" }
        );
        return Err(Errno::ENOMEM);
    };
    zero(pa, bytes);
    counted_in(pa, bytes);
    Ok(pa)
}

fn counted_in(pa: PhysAddr, bytes: u64) {
    keep_kernel_above(pa, bytes);
    add(&vmstat::SEG_ALLOC, 1);
    LIVE.fetch_add(1, Ordering::Relaxed);
    LIVE_BYTES.fetch_add(bytes, Ordering::Relaxed);
}

/// A zero-filled segment of `bytes` exactly at `base`, if all those frames are free (and
/// the reserve stays).
pub fn alloc_at(base: PhysAddr, bytes: u64) -> bool {
    if !page_multiple(bytes) || !room_for(bytes) || !frame::take_segment_at(base, bytes) {
        return false;
    }
    zero(base, bytes);
    counted_in(base, bytes);
    true
}

/// Grows the segment `[base, base + old)` to `new` bytes in place: only if the frames right
/// after it are free. The new part is zero-filled.
pub fn grow(base: PhysAddr, old: u64, new: u64) -> bool {
    if new <= old {
        return new == old;
    }
    let extra = new - old;
    let at = base.add(old);
    if !page_multiple(extra) || !room_for(extra) || !frame::take_segment_at(at, extra) {
        return false;
    }
    zero(at, extra);
    keep_kernel_above(base, new);
    LIVE_BYTES.fetch_add(extra, Ordering::Relaxed);
    true
}

/// Shrinks the segment `[base, base + old)` to `new` bytes (> 0), freeing its tail.
pub fn shrink(base: PhysAddr, old: u64, new: u64) {
    if new >= old || new == 0 || !page_multiple(old - new) {
        log::error!("segmem: bad shrink of {base}+{old:#x} to {new:#x}");
        return;
    }
    frame::give_segment(base.add(new), old - new);
    LIVE_BYTES.fetch_sub(old - new, Ordering::Relaxed);
    after_free();
}

/// Frees the segment `[base, base + bytes)`.
pub fn free(base: PhysAddr, bytes: u64) {
    frame::give_segment(base, bytes);
    add(&vmstat::SEG_FREE, 1);
    LIVE.fetch_sub(1, Ordering::Relaxed);
    LIVE_BYTES.fetch_sub(bytes, Ordering::Relaxed);
    after_free();
}

/// Counts `delta` more live segments without memory changing hands: a segment split in two
/// by mprotect (+1), or two pieces of one merged again (-1).
pub fn pieces_changed(delta: i64) {
    if delta >= 0 {
        LIVE.fetch_add(delta as u64, Ordering::Relaxed);
    } else {
        LIVE.fetch_sub(delta.unsigned_abs(), Ordering::Relaxed);
    }
}

/// After segment frames went back. A swapped-out process waiting for its ranges is not
/// brought back from here (the process table may be held by the caller: a process
/// ending) but at the next scheduling decision (`proc::segswap::swap_in_ready`).
fn after_free() {}

/// Whether every frame of `[base, base + bytes)` is free (a swapped-out segment can come
/// back).
pub fn range_free(base: PhysAddr, bytes: u64) -> bool {
    frame::range_free(base, bytes)
}

/// A segment written to swap: where it was, and the slot of each of its pages.
#[derive(Debug)]
pub struct SegSwap {
    pub base: PhysAddr,
    pub bytes: u64,
    slots: Vec<SwapEntry>,
    /// When it went out (virtual time, ns).
    pub out_at_ns: u64,
}

impl SegSwap {
    /// Whether the segment is in swap (not brought back yet).
    pub fn is_out(&self) -> bool {
        !self.slots.is_empty()
    }
}

/// Swap slots held by segments in swap, per swap area (swapoff cannot bring them back: it
/// refuses an area that has some).
static SLOTS_IN_AREA: [AtomicU64; mm_core::swap::MAX_AREAS] =
    [const { AtomicU64::new(0) }; mm_core::swap::MAX_AREAS];

/// Gives back a segment's slot and forgets it.
fn free_slot(e: SwapEntry) {
    if let Some(n) = SLOTS_IN_AREA.get(e.area as usize) {
        n.fetch_sub(1, Ordering::Relaxed);
    }
    super::swapfile::free(e);
}

/// Slots of swap area `area` that segments in swap hold.
pub fn slots_in_area(area: u8) -> u64 {
    SLOTS_IN_AREA
        .get(area as usize)
        .map_or(0, |n| n.load(Ordering::Relaxed))
}

/// Whether any segment is in swap.
pub fn any_swapped() -> bool {
    SWAPPED_BYTES.load(Ordering::Relaxed) > 0
}

impl Drop for SegSwap {
    /// A segment that never comes back (its process ended while swapped out): its slots are
    /// freed.
    fn drop(&mut self) {
        if !self.slots.is_empty() {
            for e in self.slots.drain(..) {
                free_slot(e);
            }
            SWAPPED_BYTES.fetch_sub(self.bytes, Ordering::Relaxed);
        }
    }
}

/// Writes every page of the segment `[base, base + bytes)` to swap, then frees the range.
/// ENOMEM when the swap areas have too few free slots (nothing written), EIO when a write
/// fails (the slots written are freed; the segment stays in memory).
pub fn swap_out(base: PhysAddr, bytes: u64) -> Result<SegSwap, Errno> {
    if !page_multiple(bytes) {
        return Err(Errno::EINVAL);
    }
    let pages = bytes / PAGE_SIZE;
    if super::swapfile::free_pages() < pages {
        return Err(Errno::ENOMEM);
    }
    let mut slots = Vec::new();
    slots
        .try_reserve_exact(pages as usize)
        .map_err(|_| Errno::ENOMEM)?;
    for k in 0..pages {
        match super::swap::write_out(base.add(k * PAGE_SIZE), 1) {
            Some(e) => {
                if let Some(n) = SLOTS_IN_AREA.get(e.area as usize) {
                    n.fetch_add(1, Ordering::Relaxed);
                }
                slots.push(e)
            }
            None => {
                for e in slots {
                    free_slot(e);
                }
                log::warn!("segmem: swap-out of {base}+{bytes:#x} failed at page {k}");
                return Err(Errno::EIO);
            }
        }
    }
    free(base, bytes);
    add(&vmstat::SEG_SWAPOUT, 1);
    add(&vmstat::SEG_SWAPOUT_PAGES, pages);
    SWAPPED_BYTES.fetch_add(bytes, Ordering::Relaxed);
    Ok(SegSwap {
        base,
        bytes,
        slots,
        out_at_ns: crate::time::now_ns(),
    })
}

/// Brings a swapped-out segment back at `base` (its old base: see the module's comment):
/// ENOMEM when those frames are not all free, EIO when a read fails (the range is freed
/// again and the slots kept). On success the slots are freed and the wait counted.
pub fn swap_in(s: &mut SegSwap, base: PhysAddr) -> Result<(), Errno> {
    if !alloc_at(base, s.bytes) {
        return Err(Errno::ENOMEM);
    }
    for (k, &e) in s.slots.iter().enumerate() {
        if !super::swap::read_in(e, base.add(k as u64 * PAGE_SIZE)) {
            free(base, s.bytes);
            return Err(Errno::EIO);
        }
    }
    for e in s.slots.drain(..) {
        free_slot(e);
    }
    SWAPPED_BYTES.fetch_sub(s.bytes, Ordering::Relaxed);
    add(&vmstat::SEG_SWAPIN, 1);
    add(&vmstat::SEG_SWAPIN_PAGES, s.bytes / PAGE_SIZE);
    let waited = crate::time::now_ns().saturating_sub(s.out_at_ns);
    add(&vmstat::SEG_SWAPIN_WAIT_MS, waited / 1_000_000);
    Ok(())
}

/// /proc/segmentinfo: the placement policy and totals, then every hole in address order
/// (docs/KERNEL.md, "Segment memory").
pub fn proc_segmentinfo() -> String {
    // Count the holes first, then collect them into room reserved outside the
    // allocator's lock (a few to spare: the heap may take frames meanwhile).
    let n = frame::holes(&mut Vec::new());
    let mut holes = Vec::with_capacity(n + 8);
    let total = frame::holes(&mut holes);
    let free_bytes = frame::free_frames() as u64 * PAGE_SIZE;
    let largest = holes.iter().map(|h| h.1).max().unwrap_or(0);
    let mut out = String::new();
    let policy = if best_fit() { "best-fit" } else { "first-fit" };
    let _ = writeln!(out, "{:<16}{policy:>9}", "Policy:");
    let _ = writeln!(
        out,
        "{:<16}{:>9}",
        "Segments:",
        LIVE.load(Ordering::Relaxed)
    );
    for (label, bytes) in [
        ("InSegments:", LIVE_BYTES.load(Ordering::Relaxed)),
        ("SwappedOut:", SWAPPED_BYTES.load(Ordering::Relaxed)),
        ("MemFree:", free_bytes),
        ("LargestHole:", largest),
    ] {
        let _ = writeln!(out, "{label:<16}{:>9} kB", bytes >> 10);
    }
    let _ = writeln!(out, "{:<16}{total:>9}", "Holes:");
    let _ = writeln!(
        out,
        "{:>5} {:>18} {:>18} {:>12}",
        "hole", "start", "end", "size"
    );
    for (k, (base, len)) in holes.iter().enumerate() {
        let _ = writeln!(
            out,
            "{k:>5} {:#018x} {:#018x} {:>9} kB",
            base.0,
            base.0 + len,
            len >> 10
        );
    }
    out
}

/// The `segmem_selftest` boot option: the notes' fragmentation example on raw segments,
/// scaled to the free memory (at `--mem 1G`, 1 MiB units: game 512, browser 128, music 256;
/// end the browser; 200 must not fit though more is free), then growing, shrinking and
/// placing at an address, and a whole-segment swap-out and swap-in when a swap area has
/// room. Everything is freed again; each step and the result are logged.
pub fn self_test() {
    let mut held = Held(Vec::new());
    match self_test_steps(&mut held) {
        Ok(()) => log::info!("segmem self-test: ok"),
        Err(why) => log::error!("segmem self-test: FAILED: {why}"),
    }
}

/// The self-test's segments: whatever is still held when it ends (early, on a failure)
/// is freed.
struct Held(Vec<(PhysAddr, u64)>);

impl Held {
    fn take(&mut self, what: &str, bytes: u64) -> Result<PhysAddr, String> {
        let pa = alloc(bytes).map_err(|e| {
            alloc::format!(
                "{what} ({} kB): {e:?}: {}",
                bytes >> 10,
                first_lines(&proc_segmentinfo(), 7)
            )
        })?;
        self.0.push((pa, bytes));
        Ok(pa)
    }

    fn give(&mut self, pa: PhysAddr) {
        if let Some(k) = self.0.iter().position(|h| h.0 == pa) {
            let (pa, bytes) = self.0.swap_remove(k);
            free(pa, bytes);
        }
    }
}

impl Drop for Held {
    fn drop(&mut self) {
        for (pa, bytes) in self.0.drain(..) {
            free(pa, bytes);
        }
    }
}

fn self_test_steps(held: &mut Held) -> Result<(), String> {
    let kernel_frames = || super::heap::slab_frames() + super::heap::large_frames();
    let (free0, kernel0) = (frame::free_frames(), kernel_frames());
    let holes0 = frame::holes(&mut Vec::new());
    let free_bytes = free0 as u64 * PAGE_SIZE;
    // 1 MiB units when there is room for the notes' 1 GiB example, else 1/1024 of what
    // is free.
    let unit = if free_bytes >= 960 << 20 {
        1 << 20
    } else {
        (free_bytes / 1024) & !(PAGE_SIZE - 1)
    };
    if unit == 0 {
        return Err(String::from("too little memory"));
    }
    let kb = |b: u64| b >> 10;
    log::info!(
        "segmem self-test: {} kB free in {holes0} holes; unit {} kB, {}",
        kb(free_bytes),
        kb(unit),
        if best_fit() { "best fit" } else { "first fit" }
    );
    let game = held.take("game", 512 * unit)?;
    let browser = held.take("browser", 128 * unit)?;
    let music = held.take("music", 256 * unit)?;
    let side_by_side = browser == game.add(512 * unit) && music == browser.add(128 * unit);
    log::info!(
        "segmem self-test: game at {game}, browser at {browser}, music at {music}{}",
        if side_by_side {
            " (side by side)"
        } else {
            " (not side by side)"
        }
    );
    held.give(browser);
    let free_now = frame::free_frames() as u64 * PAGE_SIZE;
    let big = held.take("200", 200 * unit);
    log::info!(
        "segmem self-test: browser ended: {} kB free, a {} kB segment: {}",
        kb(free_now),
        kb(200 * unit),
        if big.is_ok() { "placed" } else { "no hole" }
    );
    if let Ok(b) = big {
        held.give(b);
        if side_by_side {
            return Err(String::from("200 units placed in the fragmented memory"));
        }
    }
    // First fit puts a small segment into the lowest hole large enough: the browser's when
    // the three were side by side; best fit into the smallest.
    let small = held.take("small", 16 * PAGE_SIZE)?;
    log::info!(
        "segmem self-test: 64 kB placed ({}) in the browser's hole: {}",
        if best_fit() { "best fit" } else { "first fit" },
        small == browser
    );
    held.give(small);
    held.give(game);
    held.give(music);

    // Grow in place, shrink, and place exactly.
    let a = held.take("a", 4 * PAGE_SIZE)?;
    let grown = grow(a, 4 * PAGE_SIZE, 8 * PAGE_SIZE);
    if grown {
        held.0.retain(|h| h.0 != a);
        held.0.push((a, 8 * PAGE_SIZE));
    }
    let len = if grown { 8 * PAGE_SIZE } else { 4 * PAGE_SIZE };
    let b = held.take("b", PAGE_SIZE)?;
    if b != a.add(len) {
        log::info!("segmem self-test: the next segment is not right after the first");
    } else if grow(a, len, len + PAGE_SIZE) {
        held.0.retain(|h| h.0 != a);
        held.0.push((a, len + PAGE_SIZE));
        return Err(String::from("grew into the next segment"));
    }
    shrink(a, len, PAGE_SIZE);
    held.0.retain(|h| h.0 != a);
    held.0.push((a, PAGE_SIZE));
    let again = alloc_at(a.add(PAGE_SIZE), PAGE_SIZE);
    if again {
        held.0.push((a.add(PAGE_SIZE), PAGE_SIZE));
    }
    let twice = alloc_at(a.add(PAGE_SIZE), PAGE_SIZE);
    if !grown || !again || twice {
        return Err(alloc::format!(
            "grow in place {grown}, alloc_at a freed tail {again}, alloc_at twice {twice}"
        ));
    }
    for pa in [a, a.add(PAGE_SIZE), b] {
        held.give(pa);
    }

    // A whole segment to swap and back, into the same range.
    let pages = 32;
    if super::swapfile::free_pages() >= pages {
        let s = held.take("swap segment", pages * PAGE_SIZE)?;
        fill(s, pages * PAGE_SIZE, 0x5e9);
        let mut out =
            swap_out(s, pages * PAGE_SIZE).map_err(|e| alloc::format!("swap_out {e:?}"))?;
        held.0.retain(|h| h.0 != s);
        if !range_free(s, pages * PAGE_SIZE) {
            return Err(String::from("range not free after swap-out"));
        }
        let back_at = out.base;
        swap_in(&mut out, back_at).map_err(|e| alloc::format!("swap_in {e:?}"))?;
        held.0.push((s, pages * PAGE_SIZE));
        let same = verify(s, pages * PAGE_SIZE, 0x5e9);
        held.give(s);
        if !same {
            return Err(String::from("segment came back different"));
        }
        log::info!("segmem self-test: {pages} pages swapped out and back in at {s}: same");
    } else {
        log::info!("segmem self-test: no swap area with room: swap not tried");
    }
    // Everything went back: the free frames are those of the start, less what the kernel
    // heap took meanwhile (the log lines, the swap slots' list).
    let (free1, kernel1) = (frame::free_frames(), kernel_frames());
    let heap_grew = kernel1.saturating_sub(kernel0);
    if free1 + heap_grew != free0 || LIVE_BYTES.load(Ordering::Relaxed) != 0 {
        return Err(alloc::format!(
            "afterwards {free1} free frames (the heap took {heap_grew}), before {free0}; \
             {} bytes in segments",
            LIVE_BYTES.load(Ordering::Relaxed)
        ));
    }
    log::info!(
        "segmem self-test: all freed; {} holes before, {} after",
        holes0,
        frame::holes(&mut Vec::new())
    );
    Ok(())
}

/// The first `n` lines of `s`, joined by "; ".
fn first_lines(s: &str, n: usize) -> String {
    let mut out = String::new();
    for (k, l) in s.lines().take(n).enumerate() {
        if k > 0 {
            out.push_str("; ");
        }
        out.push_str(l.trim());
    }
    out
}

/// The pattern word at offset `i` of a range filled with `seed`.
fn pattern(i: u64, seed: u64) -> u64 {
    (i ^ seed).wrapping_mul(0x9e37_79b9_7f4a_7c15)
}

#[allow(unsafe_code)]
fn fill(pa: PhysAddr, bytes: u64, seed: u64) {
    let va = super::layout::phys_to_virt(pa).0 as *mut u64;
    for i in 0..bytes / 8 {
        // SAFETY: the range is a segment the self-test owns, mapped by the direct map.
        unsafe { va.add(i as usize).write(pattern(i, seed)) };
    }
}

#[allow(unsafe_code)]
fn verify(pa: PhysAddr, bytes: u64, seed: u64) -> bool {
    let va = super::layout::phys_to_virt(pa).0 as *const u64;
    // SAFETY: as in `fill`.
    (0..bytes / 8).all(|i| unsafe { va.add(i as usize).read() } == pattern(i, seed))
}
