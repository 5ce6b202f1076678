//! Physical frames: the boot-time carve-up of RAM, then the buddy allocator over the
//! per-frame metadata array (Linux's `mem_map`; NOTES.md: frames come from a buddy
//! allocator).
//!
//! At boot, before any allocator exists, frames are taken in order right after the kernel
//! image ([`Bump`]): first the kernel page tables (while only the boot table's first 4 GiB
//! are mapped), then, under the full direct map, the metadata array, one [`Page`] per frame
//! of RAM. Then the buddy allocator receives every frame not used by the image, those
//! tables, the metadata or the initrd (which stays until the initramfs is unpacked).

use super::layout::{self, phys_to_virt};
use core::fmt;
use mm_core::buddy::Buddy;
use mm_core::lru::{List, Lru};
use mm_core::page::{Page, PageFlags, PAGE_META_SIZE};
use mm_core::{PhysAddr, PAGE_SIZE};
use spin::Mutex;

/// Frames taken in order from `next`, skipping the initrd, before the buddy allocator
/// exists. They are zeroed.
pub struct Bump {
    next: PhysAddr,
    end: PhysAddr,
    avoid: Option<(PhysAddr, PhysAddr)>,
    /// Frames handed out for page tables.
    pub table_frames: usize,
    /// Frames passed over to avoid the initrd (they go to the buddy allocator).
    pub skipped: Option<(PhysAddr, PhysAddr)>,
}

impl Bump {
    /// Hands out frames from `start` up to `end`, never inside `avoid`.
    pub fn new(start: PhysAddr, end: PhysAddr, avoid: Option<(PhysAddr, PhysAddr)>) -> Bump {
        Bump {
            next: start.align_up(PAGE_SIZE),
            end,
            avoid: avoid.map(|(s, e)| (s.align_down(PAGE_SIZE), e.align_up(PAGE_SIZE))),
            table_frames: 0,
            skipped: None,
        }
    }

    /// `n` contiguous zeroed frames.
    pub fn alloc(&mut self, n: usize) -> Option<PhysAddr> {
        let len = n as u64 * PAGE_SIZE;
        let mut start = self.next;
        if let Some((s, e)) = self.avoid {
            if start < e && s < start.add(len) {
                if start < s {
                    self.skipped = Some((start, s));
                }
                start = e;
            }
        }
        if start.add(len) > self.end {
            return None;
        }
        self.next = start.add(len);
        zero(start, len);
        Some(start)
    }

    /// Where the next frame would come from.
    pub fn next(&self) -> PhysAddr {
        self.next
    }
}

#[allow(unsafe_code)]
fn zero(pa: PhysAddr, len: u64) {
    let va = phys_to_virt(pa).0 as *mut u8;
    // SAFETY: the range is RAM the caller owns, mapped by the direct map.
    unsafe { core::ptr::write_bytes(va, 0, len as usize) };
}

/// How RAM was divided at boot, in frames.
#[derive(Clone, Copy, Debug, Default)]
pub struct Census {
    pub total: usize,
    pub kernel_image: usize,
    pub page_tables: usize,
    pub metadata: usize,
    pub initrd: usize,
    pub free: usize,
}

impl fmt::Display for Census {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} total = {} kernel image + {} page tables + {} metadata + {} initrd + {} free",
            self.total, self.kernel_image, self.page_tables, self.metadata, self.initrd, self.free
        )
    }
}

/// The frame allocator: the buddy allocator and where frame index 0 is.
pub struct Frames {
    buddy: Buddy<'static>,
    base: PhysAddr,
    /// Frames given to the buddy allocator at boot (Linux's managed pages: MemTotal).
    managed: usize,
    /// Managed frames flagged PAGETABLE (by [`mark`]; the boot tables are not managed).
    tables: usize,
    /// The active and inactive lists of user frames (`mm_core::lru`; reclaim's).
    lru: Lru,
}

static FRAMES: Mutex<Option<Frames>> = Mutex::new(None);

/// Builds the metadata array and the buddy allocator over `ram`, marking the image, the
/// frames `bump` handed out and the initrd as in use. Returns the census.
#[allow(unsafe_code)]
pub fn init(
    ram: (PhysAddr, PhysAddr),
    initrd: Option<(PhysAddr, PhysAddr)>,
    bump: &mut Bump,
) -> Option<Census> {
    let image = layout::image();
    let base = ram.0.align_down(PAGE_SIZE);
    let total = ((ram.1 .0 - base.0) / PAGE_SIZE) as usize;
    let meta_frames = (total * PAGE_META_SIZE).div_ceil(PAGE_SIZE as usize);
    let meta = bump.alloc(meta_frames)?;
    let pages_va = phys_to_virt(meta).0 as *mut Page;
    // SAFETY: `meta` is `meta_frames` fresh frames of RAM, mapped by the direct map, large
    // enough for `total` records, and used for nothing else from now on.
    let pages = unsafe {
        for i in 0..total {
            pages_va.add(i).write(Page::RESERVED);
        }
        core::slice::from_raw_parts_mut(pages_va, total)
    };
    let index = |pa: PhysAddr| (((pa.0 - base.0) / PAGE_SIZE) as usize).min(total);
    let mut buddy = Buddy::new(pages);
    // In use: the image and the bump frames (tables, then metadata) minus any frames the
    // bump skipped to avoid the initrd, and the initrd.
    let bump_end = index(bump.next().align_up(PAGE_SIZE));
    let mut census = Census {
        total,
        kernel_image: index(image.end) - index(image.start),
        page_tables: bump.table_frames,
        metadata: meta_frames,
        ..Census::default()
    };
    let mut busy: [(usize, usize); 3] = [(index(image.start), bump_end), (0, 0), (0, 0)];
    if let Some((s, e)) = bump.skipped {
        busy[0].1 = index(s);
        busy[2] = (index(e), bump_end);
    }
    if let Some((s, e)) = initrd {
        let (s, e) = (index(s.align_down(PAGE_SIZE)), index(e.align_up(PAGE_SIZE)));
        census.initrd = e - s;
        for i in s..e {
            buddy.page_mut(i).flags |= PageFlags::INITRD;
        }
        busy[1] = (s, e);
    }
    busy.sort_unstable();
    for i in index(image.end)..index(image.end) + bump.table_frames {
        let p = buddy.page_mut(i);
        p.flags = PageFlags::PAGETABLE;
        p.refcount = 1;
    }
    let mut from = 0;
    for (s, e) in busy {
        if e > s {
            buddy.add_range(from, s);
            from = from.max(e);
        }
    }
    buddy.add_range(from, total);
    census.free = buddy.free_frames();
    *FRAMES.lock() = Some(Frames {
        buddy,
        base,
        managed: census.free,
        tables: 0,
        lru: Lru::default(),
    });
    Some(census)
}

/// Allocates 2^`order` contiguous frames (not zeroed).
pub fn alloc(order: usize) -> Option<PhysAddr> {
    let mut g = FRAMES.lock();
    let f = g.as_mut()?;
    let i = f.buddy.alloc(order)?;
    super::vmstat::add(&super::vmstat::PGALLOC_NORMAL, 1 << order);
    Some(f.base.add(i as u64 * PAGE_SIZE))
}

/// Frees what [`alloc`] returned. A bad free is a kernel bug: it is logged and ignored.
pub fn free(pa: PhysAddr, order: usize) {
    let mut g = FRAMES.lock();
    if let Some(f) = g.as_mut() {
        let i = ((pa.0 - f.base.0) / PAGE_SIZE) as usize;
        let table = i < f.buddy.len() && f.buddy.page(i).flags.contains(PageFlags::PAGETABLE);
        if i < f.buddy.len() {
            // A user frame leaves its LRU list with its last reference.
            f.lru.remove(&mut f.buddy, i);
        }
        match f.buddy.free(i, order) {
            Ok(()) => {
                super::vmstat::add(&super::vmstat::PGFREE, 1 << order);
                f.tables -= usize::from(table);
            }
            Err(e) => log::error!("bad free of {pa} order {order}: {e:?}"),
        }
    }
}

/// Sets flags on the metadata of the frame at `pa`.
pub fn mark(pa: PhysAddr, flags: PageFlags) {
    let mut g = FRAMES.lock();
    if let Some(f) = g.as_mut() {
        let i = ((pa.0 - f.base.0) / PAGE_SIZE) as usize;
        let page = f.buddy.page_mut(i);
        let new_table =
            flags.contains(PageFlags::PAGETABLE) && !page.flags.contains(PageFlags::PAGETABLE);
        page.flags |= flags;
        f.tables += usize::from(new_table);
    }
}

/// The page frame number of RAM's first frame.
pub fn first_pfn() -> u64 {
    FRAMES.lock().as_ref().map_or(0, |f| f.base.0 / PAGE_SIZE)
}

/// Frames of RAM in all.
pub fn total_frames() -> usize {
    FRAMES.lock().as_ref().map_or(0, |f| f.buddy.len())
}

/// Free frames now.
pub fn free_frames() -> usize {
    FRAMES.lock().as_ref().map_or(0, |f| f.buddy.free_frames())
}

/// Free blocks per order (what /proc/buddyinfo will show).
pub fn free_blocks() -> [usize; mm_core::buddy::MAX_ORDER + 1] {
    let mut out = [0; mm_core::buddy::MAX_ORDER + 1];
    if let Some(f) = FRAMES.lock().as_ref() {
        for (o, n) in out.iter_mut().enumerate() {
            *n = f.buddy.free_blocks(o);
        }
    }
    out
}

/// Runs `f` on the metadata of the 4 KiB frame at `pa` (None before the allocator exists).
fn with_page<R>(pa: PhysAddr, f: impl FnOnce(&mut Page) -> R) -> Option<R> {
    with_frame(pa, |fr, i| f(fr.buddy.page_mut(i)))
}

/// Runs `f` on the allocator and the index of the managed frame at `pa` (None before the
/// allocator exists, or for an address outside RAM).
fn with_frame<R>(pa: PhysAddr, f: impl FnOnce(&mut Frames, usize) -> R) -> Option<R> {
    let mut g = FRAMES.lock();
    let fr = g.as_mut()?;
    let i = (pa.0.checked_sub(fr.base.0)? / PAGE_SIZE) as usize;
    (i < fr.buddy.len()).then(|| f(fr, i))
}

/// A user frame gets one more mapping (fork shares it): refcount and mapcount go up.
pub fn share(pa: PhysAddr) {
    with_page(pa, |p| {
        p.refcount += 1;
        p.mapcount += 1;
    });
}

/// A user frame newly mapped by its first PTE (it was just allocated: refcount 1), at
/// virtual page `vpn` of an address space of `family` (the reverse map: `mm_core::rmap`).
pub fn mapped(pa: PhysAddr, family: u64, vpn: u64) {
    with_page(pa, |p| {
        p.mapcount = 1;
        p.rmap = family;
        p.index = vpn;
    });
}

/// A frame of a shared anonymous object (`mm_core::shmem`) gets one more mapping, at
/// virtual page `vpn` of a space of `family`: refcount and mapcount go up (the object
/// holds a reference of its own, so a shared frame's refcount stays above 1 and no write
/// fault takes it for copy-on-write: shared areas are told apart by their area). The first
/// mapping (again, after all were dropped) sets the reverse map.
pub fn map_shared(pa: PhysAddr, family: u64, vpn: u64) {
    with_page(pa, |p| {
        if p.mapcount == 0 {
            p.rmap = family;
            p.index = vpn;
        }
        p.refcount += 1;
        p.mapcount += 1;
    });
}

/// A frame just allocated (refcount 1) and given to a shared object (that reference is
/// now the object's), then mapped by [`mapped`]: the mapping takes a reference of its own.
pub fn get(pa: PhysAddr) {
    with_page(pa, |p| p.refcount += 1);
}

/// Drops a reference that maps nothing (a shared object's own, when it goes), freeing the
/// frame with the last one.
pub fn put(pa: PhysAddr) {
    let last = with_page(pa, |p| {
        p.refcount = p.refcount.saturating_sub(1);
        if p.refcount == 0 {
            p.rmap = 0;
            p.index = 0;
            p.mapcount = 0;
        }
        p.refcount == 0
    });
    if last == Some(true) {
        free(pa, 0);
    }
}

/// The frame's only mapping moved to virtual page `vpn` (mremap).
pub fn moved(pa: PhysAddr, vpn: u64) {
    with_page(pa, |p| p.index = vpn);
}

/// The reverse-map fields of the frame at `pa`: family, virtual page, mapcount.
pub fn rmap_of(pa: PhysAddr) -> Option<(u64, u64, u32)> {
    with_page(pa, |p| (p.rmap, p.index, p.mapcount))
}

/// References held on the frame at `pa` (1: one owner, which may write it in place).
pub fn refcount(pa: PhysAddr) -> u32 {
    with_page(pa, |p| p.refcount).unwrap_or(0)
}

/// A PTE mapping the user frame at `pa` is gone: drops one reference and one mapping, and
/// frees the frame with the last reference (Linux's put_page).
pub fn unshare(pa: PhysAddr) {
    let last = with_page(pa, |p| {
        p.mapcount = p.mapcount.saturating_sub(1);
        p.refcount = p.refcount.saturating_sub(1);
        if p.refcount == 0 {
            p.rmap = 0;
            p.index = 0;
        }
        p.refcount == 0
    });
    if last == Some(true) {
        free(pa, 0);
    }
}

/// Frames the buddy allocator manages (those it was given at boot; /proc/meminfo's
/// MemTotal).
pub fn managed_frames() -> usize {
    FRAMES.lock().as_ref().map_or(0, |f| f.managed)
}

/// Page-table frames allocated from the buddy allocator (flagged PAGETABLE by [`mark`]
/// and not yet freed; the boot tables are not managed): /proc/meminfo's PageTables.
pub fn page_table_frames() -> usize {
    FRAMES.lock().as_ref().map_or(0, |f| f.tables)
}

/// Puts the user frame at `pa` (just mapped by its first PTE) at the head of the inactive
/// list of its type: anonymous (swap-backed) or file (dropped and read again).
pub fn lru_add(pa: PhysAddr, anon: bool) {
    with_frame(pa, |f, i| {
        if !f.buddy.page(i).flags.contains(PageFlags::LRU) {
            f.lru.add(&mut f.buddy, i, List::of(anon, false));
        }
    });
}

/// The frame at `pa` may be written from now on (mprotect to writable, a copy-on-write
/// fault keeping the frame): a file page becomes anonymous, as Linux's private file page
/// becomes an anonymous copy at its first write, so reclaim never drops data.
pub fn lru_make_anon(pa: PhysAddr) {
    with_frame(pa, |f, i| match Lru::list_of(&mut f.buddy, i) {
        Some(list) if !list.is_anon() => {
            f.lru
                .move_to(&mut f.buddy, i, List::of(true, list.is_active()))
        }
        _ => {}
    });
}

/// Lengths of the four LRU lists, in [`List::ALL`]'s order.
pub fn lru_lens() -> [usize; 4] {
    let g = FRAMES.lock();
    let mut out = [0; 4];
    if let Some(f) = g.as_ref() {
        for (n, l) in out.iter_mut().zip(List::ALL) {
            *n = f.lru.len(l);
        }
    }
    out
}

/// What reclaim needs to know of a frame on an LRU list.
#[derive(Clone, Copy, Debug)]
pub struct LruPage {
    pub pa: PhysAddr,
    pub list: List,
    pub flags: PageFlags,
    pub refcount: u32,
    pub mapcount: u32,
}

/// The oldest frame of `list`, if any.
pub fn lru_tail(list: List) -> Option<LruPage> {
    let mut g = FRAMES.lock();
    let f = g.as_mut()?;
    let i = f.lru.tail(list)?;
    let p = f.buddy.page(i);
    Some(LruPage {
        pa: f.base.add(i as u64 * PAGE_SIZE),
        list,
        flags: p.flags,
        refcount: p.refcount,
        mapcount: p.mapcount,
    })
}

/// Moves the frame at `pa` to the head of `list` (activation, rotation, deactivation),
/// with `referenced` as its REFERENCED flag.
pub fn lru_move(pa: PhysAddr, list: List, referenced: bool) {
    with_frame(pa, |f, i| {
        if f.buddy.page(i).flags.contains(PageFlags::LRU) {
            f.lru.move_to(&mut f.buddy, i, list);
            f.buddy
                .page_mut(i)
                .flags
                .set(PageFlags::REFERENCED, referenced);
        }
    });
}

/// Frames `[pa, pa + bytes)` of RAM as frame indices, if page-aligned, non-empty and inside
/// the managed frames.
fn range_index(f: &Frames, pa: PhysAddr, bytes: u64) -> Option<(usize, usize)> {
    if bytes == 0 || !pa.0.is_multiple_of(PAGE_SIZE) || !bytes.is_multiple_of(PAGE_SIZE) {
        return None;
    }
    let i = (pa.0.checked_sub(f.base.0)? / PAGE_SIZE) as usize;
    let n = (bytes / PAGE_SIZE) as usize;
    (i.checked_add(n)? <= f.buddy.len()).then_some((i, n))
}

/// Marks frames `[i, i + n)`, just taken, as a segment's.
fn mark_segment(f: &mut Frames, i: usize, n: usize) {
    for k in i..i + n {
        f.buddy.page_mut(k).flags = PageFlags::SEGMENT;
    }
    super::vmstat::add(&super::vmstat::PGALLOC_NORMAL, n as u64);
}

/// Takes exactly the frames `[pa, pa + bytes)` (page-aligned) for a segment, if all are
/// free; they are flagged [`PageFlags::SEGMENT`] (not zeroed).
pub fn take_segment_at(pa: PhysAddr, bytes: u64) -> bool {
    let mut g = FRAMES.lock();
    let Some(f) = g.as_mut() else {
        return false;
    };
    let Some((i, n)) = range_index(f, pa, bytes) else {
        return false;
    };
    if !f.buddy.take_range(i, n) {
        return false;
    }
    mark_segment(f, i, n);
    true
}

/// Takes `bytes` (page multiple) of contiguous free frames for a segment: from the lowest
/// hole large enough (first fit), or the smallest one (best fit; the lowest of equals),
/// leaving `reserve` frames free at least. Flagged [`PageFlags::SEGMENT`], not zeroed.
pub fn take_segment_fit(bytes: u64, best: bool, reserve: usize) -> Option<PhysAddr> {
    let mut g = FRAMES.lock();
    let f = g.as_mut()?;
    if bytes == 0 || !bytes.is_multiple_of(PAGE_SIZE) {
        return None;
    }
    let n = (bytes / PAGE_SIZE) as usize;
    if f.buddy.free_frames() < n.checked_add(reserve)? {
        return None;
    }
    let mut fits = f.buddy.holes().filter(|&(_, len)| len >= n);
    let (i, _) = if best {
        fits.min_by_key(|&(start, len)| (len, start))?
    } else {
        fits.next()?
    };
    if !f.buddy.take_range(i, n) {
        return None;
    }
    mark_segment(f, i, n);
    Some(f.base.add(i as u64 * PAGE_SIZE))
}

/// Gives back segment frames `[pa, pa + bytes)`. Frames not flagged SEGMENT are a kernel
/// bug: logged, nothing freed.
pub fn give_segment(pa: PhysAddr, bytes: u64) {
    let mut g = FRAMES.lock();
    let Some(f) = g.as_mut() else {
        return;
    };
    let Some((i, n)) = range_index(f, pa, bytes) else {
        log::error!("segment free of {pa}+{bytes:#x}: not a range of RAM");
        return;
    };
    if let Some(bad) = (i..i + n).find(|&k| f.buddy.page(k).flags != PageFlags::SEGMENT) {
        log::error!(
            "segment free of {pa}+{bytes:#x}: frame {} is not a segment's",
            f.base.add(bad as u64 * PAGE_SIZE)
        );
        return;
    }
    match f.buddy.give_range(i, n) {
        Ok(()) => super::vmstat::add(&super::vmstat::PGFREE, n as u64),
        Err(e) => log::error!("segment free of {pa}+{bytes:#x}: {e:?}"),
    }
}

/// Whether every frame of `[pa, pa + bytes)` is free.
pub fn range_free(pa: PhysAddr, bytes: u64) -> bool {
    let g = FRAMES.lock();
    let Some(f) = g.as_ref() else {
        return false;
    };
    range_index(f, pa, bytes).is_some_and(|(i, n)| f.buddy.range_free(i, n))
}

/// The holes (maximal runs of free frames) in address order, as (address, bytes), into
/// `out` up to its capacity (nothing is allocated under the allocator's lock); returns how
/// many holes there are in all.
pub fn holes(out: &mut alloc::vec::Vec<(PhysAddr, u64)>) -> usize {
    let g = FRAMES.lock();
    let Some(f) = g.as_ref() else {
        return 0;
    };
    let mut count = 0;
    for (i, n) in f.buddy.holes() {
        if out.len() < out.capacity() {
            out.push((f.base.add(i as u64 * PAGE_SIZE), n as u64 * PAGE_SIZE));
        }
        count += 1;
    }
    count
}

/// Moves the initrd (the initramfs, which stays for the kernel's lifetime: files are read
/// from it in place) down to the boot allocator's next frames, right after the kernel's
/// boot page tables, before the buddy allocator is built, so that its old frames join the
/// free memory above in address order. The boot loader (rvmmu, as QEMU's virt) places the
/// initrd 128 MiB into RAM (half of RAM when smaller), which would cut the memory where
/// segments go (`mm::segmem`) in two; Linux too moves an initrd that is in the way
/// (x86's relocate_initrd). Returns where the initrd is now: unchanged when it is not
/// page-aligned or the copy and the frame metadata would not both fit below it.
#[allow(unsafe_code)]
pub fn relocate_initrd(
    bump: &mut Bump,
    ram: (PhysAddr, PhysAddr),
    initrd: Option<(PhysAddr, PhysAddr)>,
) -> Option<(PhysAddr, PhysAddr)> {
    let (s, e) = initrd?;
    let len = e.0.checked_sub(s.0).filter(|&l| l > 0)?;
    let frames = len.div_ceil(PAGE_SIZE);
    let total = (ram.1 .0 - ram.0.align_down(PAGE_SIZE).0) / PAGE_SIZE;
    let meta = (total * PAGE_META_SIZE as u64).div_ceil(PAGE_SIZE);
    let fits = bump.next().0 + (frames + meta) * PAGE_SIZE <= s.0;
    if !s.0.is_multiple_of(PAGE_SIZE) || !fits {
        return initrd;
    }
    let to = bump.alloc(frames as usize)?;
    // SAFETY: both ranges are RAM under the direct map: the source the initrd (read by
    // nothing yet), the destination frames the boot allocator just handed out, below it.
    unsafe {
        core::ptr::copy_nonoverlapping(
            phys_to_virt(s).0 as *const u8,
            phys_to_virt(to).0 as *mut u8,
            len as usize,
        );
    }
    let moved = (to, to.add(len));
    log::info!(
        "initrd: moved to {}..{} (its old frames will be free)",
        moved.0,
        moved.1
    );
    Some(moved)
}

/// Ordinary allocations ([`alloc`]) prefer blocks at or above `pa` from now on (segment
/// memory keeps the kernel's frames above its ranges: `mm::segmem`); `PhysAddr(0)`: none.
pub fn prefer_above(pa: PhysAddr) {
    let mut g = FRAMES.lock();
    if let Some(f) = g.as_mut() {
        let i = pa.0.saturating_sub(f.base.0).div_ceil(PAGE_SIZE) as usize;
        f.buddy.set_prefer_above(if pa.0 == 0 { 0 } else { i });
    }
}
