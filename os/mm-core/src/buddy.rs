//! The buddy allocator for physical frames (NOTES.md, "malloc and the kernel": frames come
//! from a buddy allocator).
//!
//! Free memory is kept as blocks of 2^order frames, order 0 ..= [`MAX_ORDER`] (4 KiB to
//! 4 MiB), each aligned to its own size. A block's *buddy* is the other half of the block
//! twice its size: index `i ^ (1 << order)`. Allocating splits a larger block as needed
//! (the upper halves go back on the lists); freeing merges a block with its buddy as long
//! as the buddy is free and whole, so free memory is always kept in the largest blocks
//! its alignment allows.
//!
//! The free lists are threaded through the per-frame metadata ([`Page::lru`]), as in Linux:
//! only the first frame of a free block is on a list, marked [`PageFlags::BUDDY`] with its
//! `order`. Everything is by frame *index* into the [`Page`] slice (index 0 = the first
//! frame of RAM), so this module neither reads nor writes the frames themselves.

use crate::page::{ListLink, Page, PageFlags, NIL};

/// The largest order: blocks of 2^10 frames (4 MiB), as Linux's `MAX_ORDER` 10.
pub const MAX_ORDER: usize = 10;

/// Blocks of each list [`Buddy::alloc`] looks at for one above its preferred frame.
pub const PREFER_SCAN: usize = 32;

/// What [`Buddy::free`] refuses (each is a kernel bug, reported rather than corrupting the
/// lists).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FreeError {
    /// The block runs past the end of the frames, or `order` > [`MAX_ORDER`].
    OutOfRange { index: usize, order: usize },
    /// The index is not a multiple of the block size.
    Misaligned { index: usize, order: usize },
    /// A frame of the block is already free or not managed by the allocator.
    NotAllocated { index: usize },
}

/// The allocator, over the metadata of every frame of RAM.
pub struct Buddy<'a> {
    pages: &'a mut [Page],
    /// Head of each order's free list ([`NIL`] when empty).
    heads: [u32; MAX_ORDER + 1],
    /// Blocks on each order's list.
    blocks: [usize; MAX_ORDER + 1],
    /// Free frames in all.
    free: usize,
    /// Frame index above which [`Buddy::alloc`] prefers to take blocks (0: no preference).
    prefer_above: usize,
}

impl<'a> Buddy<'a> {
    /// An allocator with nothing free: every frame stays as the caller set it (normally
    /// [`Page::RESERVED`]) until [`Buddy::add_range`] hands it over. Frame index `i` must be
    /// aligned as physical frame number `base + i` for blocks to be naturally aligned in
    /// physical memory, so the caller's first frame should be 2^[`MAX_ORDER`]-aligned.
    pub fn new(pages: &'a mut [Page]) -> Buddy<'a> {
        assert!(pages.len() < NIL as usize, "frame indices are u32");
        Buddy {
            pages,
            heads: [NIL; MAX_ORDER + 1],
            blocks: [0; MAX_ORDER + 1],
            free: 0,
            prefer_above: 0,
        }
    }

    /// Frames covered (free or not).
    pub fn len(&self) -> usize {
        self.pages.len()
    }

    /// Whether there are no frames at all.
    pub fn is_empty(&self) -> bool {
        self.pages.is_empty()
    }

    /// Free frames.
    pub fn free_frames(&self) -> usize {
        self.free
    }

    /// Free blocks of `order` (what Linux's /proc/buddyinfo shows per order).
    pub fn free_blocks(&self, order: usize) -> usize {
        self.blocks[order]
    }

    /// The metadata of frame `index`.
    pub fn page(&self, index: usize) -> &Page {
        &self.pages[index]
    }

    /// The metadata of frame `index`, to change (flags, counts, links of an allocated frame).
    pub fn page_mut(&mut self, index: usize) -> &mut Page {
        &mut self.pages[index]
    }

    /// Hands frames `[start, end)` (all reserved until now) to the allocator, in the
    /// largest aligned blocks that fit, each merged with free neighbours.
    pub fn add_range(&mut self, start: usize, end: usize) {
        let end = end.min(self.pages.len());
        self.release_range(start, end);
    }

    /// Allocates a block of 2^`order` frames; returns the index of its first frame, whose
    /// refcount is 1 (and which is marked [`PageFlags::HEAD`] when `order` > 0).
    ///
    /// With a preference set ([`Buddy::set_prefer_above`]), the block comes from the
    /// smallest order that has one starting at or above that frame among the first
    /// [`PREFER_SCAN`] blocks of its list; when none does, the highest of the blocks looked
    /// at is taken (the kernel's frames stay as high as they can).
    pub fn alloc(&mut self, order: usize) -> Option<usize> {
        let (index, found) = self.pick(order)?;
        self.unlink(index, found);
        // Split down: the upper half of each split goes back on the list one order lower.
        for o in (order..found).rev() {
            self.push(index + (1 << o), o);
        }
        self.free -= 1 << order;
        let p = &mut self.pages[index];
        p.flags = if order > 0 {
            PageFlags::HEAD
        } else {
            PageFlags::empty()
        };
        p.order = order as u8;
        p.refcount = 1;
        Some(index)
    }

    /// The block [`Buddy::alloc`] takes for `order`, and its order.
    fn pick(&self, order: usize) -> Option<(usize, usize)> {
        if order > MAX_ORDER {
            return None;
        }
        if self.prefer_above > 0 {
            // The highest block seen, for when none is above the mark.
            let mut highest: Option<(usize, usize)> = None;
            for o in order..=MAX_ORDER {
                let mut i = self.heads[o];
                for _ in 0..PREFER_SCAN {
                    if i == NIL {
                        break;
                    }
                    if i as usize >= self.prefer_above {
                        return Some((i as usize, o));
                    }
                    if highest.is_none_or(|(h, _)| h < i as usize) {
                        highest = Some((i as usize, o));
                    }
                    i = self.pages[i as usize].lru.next;
                }
            }
            return highest;
        }
        let found = (order..=MAX_ORDER).find(|&o| self.heads[o] != NIL)?;
        Some((self.heads[found] as usize, found))
    }

    /// Makes [`Buddy::alloc`] prefer blocks at or above frame `index` (0: none). Segment
    /// memory sets it to the end of its highest range, so that the kernel's own small
    /// allocations go above the segments instead of into the holes between them, which
    /// are kept for segments (a coarse form of Linux's grouping of pages by mobility).
    pub fn set_prefer_above(&mut self, index: usize) {
        self.prefer_above = index;
    }

    /// Frees the block of 2^`order` frames at `index` (as [`Buddy::alloc`] returned it).
    pub fn free(&mut self, index: usize, order: usize) -> Result<(), FreeError> {
        if order > MAX_ORDER || index.saturating_add(1 << order) > self.pages.len() {
            return Err(FreeError::OutOfRange { index, order });
        }
        if index & ((1 << order) - 1) != 0 {
            return Err(FreeError::Misaligned { index, order });
        }
        let busy = PageFlags::BUDDY | PageFlags::RESERVED;
        if let Some(bad) = (index..index + (1 << order)).find(|&i| {
            // A tail frame of a free block carries no flag: look for its head.
            self.pages[i].flags.intersects(busy) || self.free_head_covering(i).is_some()
        }) {
            return Err(FreeError::NotAllocated { index: bad });
        }
        for p in &mut self.pages[index..index + (1 << order)] {
            p.flags = PageFlags::empty();
            p.refcount = 0;
            p.mapcount = 0;
            p.rmap = 0;
            p.index = 0;
        }
        self.release(index, order);
        Ok(())
    }

    /// The head of the free block that contains frame `i`, if `i` is free.
    pub fn free_head_covering(&self, i: usize) -> Option<usize> {
        (0..=MAX_ORDER).map(|o| i & !((1 << o) - 1)).find(|&h| {
            let p = &self.pages[h];
            p.flags.contains(PageFlags::BUDDY) && i < h + (1 << p.order)
        })
    }

    /// The maximal runs of free frames, in address order, as (first frame, frames): the
    /// holes a contiguous range can be placed in. Walks the frames once (a free block is
    /// passed over whole).
    pub fn holes(&self) -> Holes<'_> {
        Holes {
            pages: self.pages,
            at: 0,
        }
    }

    /// Whether every frame of `[start, start + n)` is free (and inside the frames).
    pub fn range_free(&self, start: usize, n: usize) -> bool {
        let Some(end) = start.checked_add(n).filter(|&e| e <= self.pages.len()) else {
            return false;
        };
        let mut i = start;
        while i < end {
            match self.free_head_covering(i) {
                Some(h) => i = h + (1 << self.pages[h].order),
                None => return false,
            }
        }
        true
    }

    /// Takes exactly the frames `[start, start + n)` out of the free lists, as Linux
    /// isolates a range for a contiguous allocation: every free block the range touches is
    /// unlinked, and the parts of the blocks straddling its ends go back in the largest
    /// aligned blocks that fit. Each frame taken is left with refcount 1, no flags and
    /// order 0 (the caller marks what it is for). False, with nothing changed, if any frame
    /// of the range is not free.
    pub fn take_range(&mut self, start: usize, n: usize) -> bool {
        if n == 0 || !self.range_free(start, n) {
            return false;
        }
        let end = start + n;
        let mut i = start;
        // The pieces of the first and last blocks outside the range.
        let mut before = (0, 0);
        let mut after = (0, 0);
        while i < end {
            let h = self.free_head_covering(i).unwrap_or(i);
            let order = self.pages[h].order as usize;
            let top = h + (1 << order);
            self.unlink(h, order);
            self.free -= 1 << order;
            if h < start {
                before = (h, start);
            }
            if top > end {
                after = (end, top);
            }
            i = top;
        }
        for p in &mut self.pages[start..end] {
            *p = Page {
                flags: PageFlags::empty(),
                refcount: 1,
                ..Page::RESERVED
            };
        }
        self.release_range(before.0, before.1);
        self.release_range(after.0, after.1);
        true
    }

    /// Gives back frames `[start, start + n)` taken by [`Buddy::take_range`] (or allocated
    /// any other way), in the largest aligned blocks, each merged with its free buddies.
    /// Refuses (changing nothing) if a frame is free, reserved or out of range.
    pub fn give_range(&mut self, start: usize, n: usize) -> Result<(), FreeError> {
        let end = match start.checked_add(n) {
            Some(e) if e <= self.pages.len() => e,
            _ => {
                return Err(FreeError::OutOfRange {
                    index: start,
                    order: 0,
                })
            }
        };
        let busy = PageFlags::BUDDY | PageFlags::RESERVED;
        let mut i = start;
        while i < end {
            if self.pages[i].flags.intersects(busy) {
                return Err(FreeError::NotAllocated { index: i });
            }
            if self.free_head_covering(i).is_some() {
                // A tail frame of a free block.
                return Err(FreeError::NotAllocated { index: i });
            }
            i += 1;
        }
        self.release_range(start, end);
        Ok(())
    }

    /// Puts frames `[start, end)`, none of them free, on the lists in the largest aligned
    /// blocks that fit (metadata cleared).
    fn release_range(&mut self, start: usize, end: usize) {
        let mut i = start;
        while i < end {
            let mut order = (i.trailing_zeros() as usize).min(MAX_ORDER);
            while i + (1 << order) > end {
                order -= 1;
            }
            for p in &mut self.pages[i..i + (1 << order)] {
                *p = Page {
                    flags: PageFlags::empty(),
                    ..Page::RESERVED
                };
            }
            self.release(i, order);
            i += 1 << order;
        }
    }

    /// Puts a block on the lists, merging it with its buddy while that one is free and of
    /// the same order.
    fn release(&mut self, mut index: usize, mut order: usize) {
        self.free += 1 << order;
        while order < MAX_ORDER {
            let buddy = index ^ (1 << order);
            let whole = buddy + (1 << order) <= self.pages.len();
            if !whole {
                break;
            }
            let b = &self.pages[buddy];
            if !b.flags.contains(PageFlags::BUDDY) || b.order as usize != order {
                break;
            }
            self.unlink(buddy, order);
            index = index.min(buddy);
            order += 1;
        }
        self.push(index, order);
    }

    fn push(&mut self, index: usize, order: usize) {
        let old = self.heads[order];
        if old != NIL {
            self.pages[old as usize].lru.prev = index as u32;
        }
        let p = &mut self.pages[index];
        p.flags = PageFlags::BUDDY;
        p.order = order as u8;
        p.lru = ListLink {
            prev: NIL,
            next: old,
        };
        self.heads[order] = index as u32;
        self.blocks[order] += 1;
    }

    fn unlink(&mut self, index: usize, order: usize) {
        let ListLink { prev, next } = self.pages[index].lru;
        if prev == NIL {
            self.heads[order] = next;
        } else {
            self.pages[prev as usize].lru.next = next;
        }
        if next != NIL {
            self.pages[next as usize].lru.prev = prev;
        }
        let p = &mut self.pages[index];
        p.lru = ListLink::UNLINKED;
        p.flags.remove(PageFlags::BUDDY);
        self.blocks[order] -= 1;
    }
}

/// The maximal runs of free frames in address order: [`Buddy::holes`].
pub struct Holes<'b> {
    pages: &'b [Page],
    at: usize,
}

impl Iterator for Holes<'_> {
    type Item = (usize, usize);

    fn next(&mut self) -> Option<(usize, usize)> {
        let n = self.pages.len();
        // Stepping over allocated frames one at a time, the first free frame met is the
        // head of its (aligned) free block.
        while self.at < n && !self.pages[self.at].flags.contains(PageFlags::BUDDY) {
            self.at += 1;
        }
        if self.at >= n {
            return None;
        }
        let start = self.at;
        while self.at < n && self.pages[self.at].flags.contains(PageFlags::BUDDY) {
            self.at += 1 << self.pages[self.at].order;
        }
        Some((start, self.at - start))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::vec;
    use std::vec::Vec;

    fn frames(n: usize) -> Vec<Page> {
        vec![Page::RESERVED; n]
    }

    /// Every invariant the lists must keep: blocks aligned, disjoint, not merged with a free
    /// buddy, counts agreeing.
    fn check(b: &Buddy<'_>) {
        let mut covered = vec![false; b.len()];
        let mut total = 0;
        for o in 0..=MAX_ORDER {
            let mut n = 0;
            let mut prev = NIL;
            let mut i = b.heads[o];
            while i != NIL {
                let p = b.page(i as usize);
                assert!(p.flags.contains(PageFlags::BUDDY));
                assert_eq!(p.order as usize, o);
                assert_eq!(p.lru.prev, prev);
                assert_eq!(
                    i as usize % (1 << o),
                    0,
                    "block {i} of order {o} misaligned"
                );
                for c in &mut covered[i as usize..i as usize + (1 << o)] {
                    assert!(!*c, "overlapping free blocks");
                    *c = true;
                }
                if o < MAX_ORDER {
                    let buddy = i as usize ^ (1 << o);
                    if buddy < b.len() {
                        let bp = b.page(buddy);
                        assert!(
                            !(bp.flags.contains(PageFlags::BUDDY) && bp.order as usize == o),
                            "buddies {i} and {buddy} both free at order {o}"
                        );
                    }
                }
                n += 1;
                total += 1 << o;
                prev = i;
                i = p.lru.next;
            }
            assert_eq!(n, b.free_blocks(o));
        }
        assert_eq!(total, b.free_frames());
    }

    #[test]
    fn a_range_is_cut_into_the_largest_aligned_blocks() {
        let mut pages = frames(3000);
        let mut b = Buddy::new(&mut pages);
        b.add_range(3, 2051);
        check(&b);
        assert_eq!(b.free_frames(), 2048);
        // 3 | 4..8 | 8..16 | ... | 512..1024 | 1024..2048 | 2048..2051
        assert_eq!(b.free_blocks(MAX_ORDER), 1);
        assert_eq!(b.free_blocks(0), 2, "frames 3 and 2050");
        assert_eq!(b.free_blocks(1), 1, "2048..2050");
        assert!(
            (2..MAX_ORDER).all(|o| b.free_blocks(o) == 1),
            "4..8, 8..16, ..., 512..1024"
        );
        assert!(b.page(0).flags.contains(PageFlags::RESERVED));
        assert!(b.page(2051).flags.contains(PageFlags::RESERVED));
    }

    #[test]
    fn allocation_splits_and_freeing_merges_back() {
        let mut pages = frames(1 << MAX_ORDER);
        let mut b = Buddy::new(&mut pages);
        b.add_range(0, 1 << MAX_ORDER);
        let a = b.alloc(0).unwrap();
        assert_eq!(a, 0);
        check(&b);
        for o in 0..MAX_ORDER {
            assert_eq!(b.free_blocks(o), 1, "one upper half per order");
        }
        assert_eq!(b.page(a).refcount, 1);
        b.free(a, 0).unwrap();
        check(&b);
        assert_eq!(b.free_blocks(MAX_ORDER), 1);
        assert_eq!(b.free_frames(), 1 << MAX_ORDER);
    }

    #[test]
    fn exhaustion_and_refusals() {
        let mut pages = frames(64);
        let mut b = Buddy::new(&mut pages);
        b.add_range(0, 64);
        assert_eq!(b.alloc(7), None, "64 frames hold no 128-frame block");
        let big = b.alloc(6).unwrap();
        assert!(b.page(big).flags.contains(PageFlags::HEAD));
        assert_eq!(b.alloc(0), None);
        assert_eq!(
            b.free(big + 1, 0),
            Ok(()),
            "a frame of a block may be freed alone"
        );
        assert_eq!(
            b.free(big + 1, 0),
            Err(FreeError::NotAllocated { index: 1 })
        );
        assert_eq!(b.free(2, 1), Ok(()));
        assert_eq!(
            b.free(3, 0),
            Err(FreeError::NotAllocated { index: 3 }),
            "inside a free block"
        );
        assert_eq!(
            b.free(6, 2),
            Err(FreeError::Misaligned { index: 6, order: 2 })
        );
        assert_eq!(
            b.free(62, 2),
            Err(FreeError::OutOfRange {
                index: 62,
                order: 2
            })
        );
        check(&b);
        assert_eq!(b.free_frames(), 3);
    }

    #[test]
    fn reserved_frames_are_never_handed_out() {
        let mut pages = frames(40);
        let mut b = Buddy::new(&mut pages);
        b.add_range(0, 16);
        b.add_range(24, 40);
        let mut got = Vec::new();
        while let Some(i) = b.alloc(0) {
            got.push(i);
        }
        got.sort_unstable();
        let want: Vec<usize> = (0..16).chain(24..40).collect();
        assert_eq!(got, want);
        assert_eq!(b.free(20, 0), Err(FreeError::NotAllocated { index: 20 }));
        for i in got {
            b.free(i, 0).unwrap();
        }
        check(&b);
        assert_eq!(b.free_blocks(4), 1, "0..16");
        assert_eq!(
            b.free_blocks(3),
            2,
            "24..32 and 32..40 are not buddies (24's is 16)"
        );
        assert_eq!(
            b.free_blocks(5),
            0,
            "16..24 is reserved: no merge across it"
        );
    }

    #[test]
    fn random_allocations_keep_the_invariants() {
        let n = 5000;
        let mut pages = frames(n);
        let mut b = Buddy::new(&mut pages);
        b.add_range(1, n - 7);
        let initial = b.free_frames();
        let mut live: Vec<(usize, usize)> = Vec::new();
        let mut seed: u64 = 0x2545_f491_4f6c_dd1d;
        for step in 0..4000 {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            if !seed.is_multiple_of(3) || live.is_empty() {
                let order = (seed >> 8) as usize % 5;
                if let Some(i) = b.alloc(order) {
                    assert!(live
                        .iter()
                        .all(|&(j, o)| i + (1 << order) <= j || j + (1 << o) <= i));
                    live.push((i, order));
                }
            } else {
                let (i, o) = live.swap_remove((seed >> 16) as usize % live.len());
                b.free(i, o).unwrap();
            }
            if step % 500 == 0 {
                check(&b);
            }
            let used: usize = live.iter().map(|&(_, o)| 1 << o).sum();
            assert_eq!(b.free_frames() + used, initial);
        }
        for (i, o) in live.drain(..) {
            b.free(i, o).unwrap();
        }
        check(&b);
        assert_eq!(b.free_frames(), initial);
        let mut fresh = frames(n);
        let mut f = Buddy::new(&mut fresh);
        f.add_range(1, n - 7);
        for o in 0..=MAX_ORDER {
            assert_eq!(
                b.free_blocks(o),
                f.free_blocks(o),
                "order {o} after everything merged"
            );
        }
    }

    /// The holes, by walking every frame (what [`Buddy::holes`] must agree with).
    fn holes_by_frame(b: &Buddy<'_>) -> Vec<(usize, usize)> {
        let mut out: Vec<(usize, usize)> = Vec::new();
        for i in 0..b.len() {
            if b.free_head_covering(i).is_some() {
                match out.last_mut() {
                    Some((s, n)) if *s + *n == i => *n += 1,
                    _ => out.push((i, 1)),
                }
            }
        }
        out
    }

    #[test]
    fn holes_are_the_maximal_free_runs_in_address_order() {
        let mut pages = frames(4096);
        let mut b = Buddy::new(&mut pages);
        b.add_range(0, 4096);
        assert_eq!(b.holes().collect::<Vec<_>>(), vec![(0, 4096)]);
        assert!(b.take_range(100, 50));
        assert!(b.take_range(1024, 1024));
        assert!(b.take_range(4000, 96));
        let h: Vec<_> = b.holes().collect();
        assert_eq!(h, vec![(0, 100), (150, 874), (2048, 1952)]);
        assert_eq!(h, holes_by_frame(&b));
        check(&b);
        assert_eq!(b.free_frames(), 4096 - 50 - 1024 - 96);
    }

    #[test]
    fn taking_a_range_splits_the_straddling_blocks() {
        let mut pages = frames(2048);
        let mut b = Buddy::new(&mut pages);
        b.add_range(0, 2048);
        assert!(b.take_range(3, 1000), "inside the first 4 MiB block");
        check(&b);
        for i in 3..1003 {
            let p = b.page(i);
            assert_eq!((p.flags, p.refcount), (PageFlags::empty(), 1));
            assert!(b.free_head_covering(i).is_none());
        }
        assert_eq!(b.free_frames(), 1048);
        assert_eq!(holes_by_frame(&b), vec![(0, 3), (1003, 1045)]);
        assert!(!b.take_range(1002, 2), "frame 1002 is taken");
        assert!(!b.take_range(2040, 9), "runs past the end");
        assert!(!b.take_range(0, 0));
        assert_eq!(b.free_frames(), 1048, "refusals change nothing");
        // Giving it back merges everything into the two 4 MiB blocks again.
        b.give_range(3, 1000).unwrap();
        check(&b);
        assert_eq!(b.free_blocks(MAX_ORDER), 2);
        assert_eq!(b.free_frames(), 2048);
        assert_eq!(
            b.give_range(10, 5),
            Err(FreeError::NotAllocated { index: 10 })
        );
        assert_eq!(
            b.give_range(2040, 9),
            Err(FreeError::OutOfRange {
                index: 2040,
                order: 0
            })
        );
        check(&b);
    }

    #[test]
    fn ranges_and_blocks_mix() {
        let n = 6000;
        let mut pages = frames(n);
        let mut b = Buddy::new(&mut pages);
        b.add_range(2, n - 3);
        let initial = b.free_frames();
        let mut ranges: Vec<(usize, usize)> = Vec::new();
        let mut blocks: Vec<(usize, usize)> = Vec::new();
        let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
        for step in 0..3000 {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            match seed % 4 {
                0 => {
                    // First fit of a run of 1..64 frames.
                    let want = 1 + (seed >> 8) as usize % 64;
                    let hole = b.holes().find(|&(_, len)| len >= want);
                    if let Some((s, _)) = hole {
                        assert!(b.take_range(s, want));
                        ranges.push((s, want));
                    }
                }
                1 => {
                    if let Some(i) = b.alloc((seed >> 8) as usize % 4) {
                        blocks.push((i, b.page(i).order as usize));
                    }
                }
                2 if !ranges.is_empty() => {
                    let (s, len) = ranges.swap_remove((seed >> 16) as usize % ranges.len());
                    b.give_range(s, len).unwrap();
                }
                _ if !blocks.is_empty() => {
                    let (i, o) = blocks.swap_remove((seed >> 16) as usize % blocks.len());
                    b.free(i, o).unwrap();
                }
                _ => {}
            }
            if step % 300 == 0 {
                check(&b);
                assert_eq!(b.holes().collect::<Vec<_>>(), holes_by_frame(&b));
            }
            let used: usize = ranges.iter().map(|r| r.1).sum::<usize>()
                + blocks.iter().map(|&(_, o)| 1usize << o).sum::<usize>();
            assert_eq!(b.free_frames() + used, initial);
        }
        for (s, len) in ranges {
            b.give_range(s, len).unwrap();
        }
        for (i, o) in blocks {
            b.free(i, o).unwrap();
        }
        check(&b);
        assert_eq!(b.holes().collect::<Vec<_>>(), vec![(2, n - 5)]);
    }

    #[test]
    fn allocation_prefers_blocks_above_the_mark() {
        let mut pages = frames(4096);
        let mut b = Buddy::new(&mut pages);
        b.add_range(0, 4096);
        // A range taken at 3..1003 leaves small blocks below 1024 (3, 1003, 1004..1008,
        // ...) that a plain allocation of one frame would take first.
        assert!(b.take_range(3, 1000));
        let plain = b.pick(0).unwrap().0;
        assert!(plain < 1024, "the smallest order's first block: {plain}");
        b.set_prefer_above(1024);
        let i = b.alloc(0).unwrap();
        assert!(i >= 1024, "{i}");
        let j = b.alloc(2).unwrap();
        assert!(j >= 1024, "{j}");
        check(&b);
        // With nothing free above the mark, the highest block looked at is taken.
        b.set_prefer_above(4096);
        let k = b.alloc(0).unwrap();
        assert!(k > 3000, "{k}");
        b.free(k, 0).unwrap();
        b.free(i, 0).unwrap();
        b.free(j, 2).unwrap();
        b.give_range(3, 1000).unwrap();
        check(&b);
        assert_eq!(b.free_blocks(MAX_ORDER), 4);
    }
}
