//! Virtual memory areas (NOTES.md, "Address space": areas tracked as `vm_area_struct`s with
//! start, end and flags, in an ordered structure; `mm_struct` holds them with the page
//! table). Here an ordered map from start address to [`Vma`]; areas never overlap.
//!
//! An area says what a page *may* be; the page table says what is there now. A page of an
//! area is made present on its first touch (demand paging: the kernel's `proc/space.rs`
//! fault path), filled from the area's [`Backing`] by [`fill`].

use crate::pte::PteFlags;
use crate::shmem::SharedAnon;
use crate::PAGE_SIZE;
use alloc::collections::BTreeMap;
use alloc::sync::Arc;
use alloc::vec::Vec;

/// Where an area's pages come from.
#[derive(Clone, Debug)]
pub enum Backing {
    /// Zero-filled on first touch (heap, stack, bss).
    Anon,
    /// A private file mapping: the page at `va` holds the file's bytes from
    /// `offset + (va - area start)`, up to `file_end` (a virtual address: the segment's
    /// vaddr + filesz); bytes past it are zero (the bss tail of an ELF data segment).
    File {
        data: &'static [u8],
        offset: u64,
        file_end: u64,
    },
    /// Shared anonymous memory (MAP_SHARED | MAP_ANONYMOUS): the page at `va` is page
    /// `(offset + va - area start) / PAGE_SIZE` of `obj`, which every area sharing it
    /// maps (no copy-on-write).
    Shared { obj: Arc<SharedAnon>, offset: u64 },
}

impl Backing {
    /// The backing of the part of an area (starting at `start`) that begins at `at`: a
    /// file or shared object's offset follows.
    pub fn from(&self, start: u64, at: u64) -> Backing {
        match self {
            Backing::Anon => Backing::Anon,
            Backing::File {
                data,
                offset,
                file_end,
            } => Backing::File {
                data,
                offset: offset + (at - start),
                file_end: *file_end,
            },
            Backing::Shared { obj, offset } => Backing::Shared {
                obj: obj.clone(),
                offset: offset + (at - start),
            },
        }
    }

    /// Whether the area's pages are shared with every process mapping it (Linux's
    /// VM_MAYSHARE: `s` in /proc/PID/maps).
    pub fn is_shared(&self) -> bool {
        matches!(self, Backing::Shared { .. })
    }
}

/// What the area is, for /proc/PID/maps later.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Name {
    /// The program's own file.
    Program,
    /// An anonymous mapping (mmap): no name.
    Anon,
    /// A file mapping (mmap of a descriptor); its path is not kept yet.
    File,
    Heap,
    Stack,
    /// The kernel's page of user code (the signal return trampoline): `[vdso]`.
    Vdso,
}

impl Name {
    /// The name /proc/PID/maps shows (the program's path is the process's).
    pub fn label<'a>(&self, program: &'a str) -> &'a str {
        match self {
            Name::Program => program,
            Name::Anon | Name::File => "",
            Name::Heap => "[heap]",
            Name::Stack => "[stack]",
            Name::Vdso => "[vdso]",
        }
    }
}

/// One area: `[start, end)` (the map's key is the start).
#[derive(Clone, Debug)]
pub struct Vma {
    pub end: u64,
    /// Some of R, W, X (empty = PROT_NONE).
    pub prot: PteFlags,
    pub backing: Backing,
    pub name: Name,
}

/// A process's areas.
#[derive(Clone, Default)]
pub struct Vmas(BTreeMap<u64, Vma>);

impl Vmas {
    /// The area containing `va`, with its start.
    pub fn find(&self, va: u64) -> Option<(u64, &Vma)> {
        self.0
            .range(..=va)
            .next_back()
            .filter(|(_, v)| va < v.end)
            .map(|(s, v)| (*s, v))
    }

    /// Whether any area intersects `[start, end)`.
    pub fn overlaps(&self, start: u64, end: u64) -> bool {
        self.find(start).is_some() || self.0.range(start..end).next().is_some()
    }

    /// Adds an area; false (and nothing added) if it would overlap one.
    pub fn insert(&mut self, start: u64, vma: Vma) -> bool {
        if start >= vma.end || self.overlaps(start, vma.end) {
            return false;
        }
        self.0.insert(start, vma);
        true
    }

    /// Merges the unnamed anonymous area starting at `start` with the areas right before and
    /// after it when they are unnamed anonymous areas with the same permissions, as Linux's
    /// vma_merge does for a new mapping (so consecutive mmaps show as one line in
    /// /proc/PID/maps). Returns the start of the resulting area.
    pub fn merge_anon(&mut self, start: u64) -> u64 {
        let mergeable = |a: &Vma, b: &Vma| {
            a.name == Name::Anon
                && b.name == Name::Anon
                && matches!(a.backing, Backing::Anon)
                && matches!(b.backing, Backing::Anon)
                && a.prot == b.prot
        };
        let Some(this) = self.0.get(&start).cloned() else {
            return start;
        };
        let mut start = start;
        if let Some((&ps, prev)) = self.0.range(..start).next_back() {
            if prev.end == start && mergeable(prev, &this) {
                self.0.remove(&start);
                self.0.get_mut(&ps).expect("just found").end = this.end;
                start = ps;
            }
        }
        let end = self.0[&start].end;
        if let Some(next) = self.0.get(&end).cloned() {
            if mergeable(&self.0[&start], &next) {
                self.0.remove(&end);
                self.0.get_mut(&start).expect("present").end = next.end;
            }
        }
        start
    }

    /// Whether `[start, end)` is covered by areas without a gap.
    pub fn covers(&self, start: u64, end: u64) -> bool {
        let mut at = start;
        while at < end {
            match self.find(at) {
                Some((_, v)) => at = v.end,
                None => return false,
            }
        }
        true
    }

    /// Splits the area containing `addr` (page-aligned) in two at `addr`, so that later
    /// changes can apply to one side.
    pub fn split_at(&mut self, addr: u64) {
        let Some((start, v)) = self.find(addr).map(|(s, v)| (s, v.clone())) else {
            return;
        };
        if start == addr {
            return;
        }
        let backing = v.backing.from(start, addr);
        self.0.get_mut(&start).expect("found above").end = addr;
        self.0.insert(addr, Vma { backing, ..v });
    }

    /// The highest `len`-byte gap that ends at or below `below` and starts at or above
    /// `floor` (top-down placement, as Linux's mmap does by default).
    pub fn gap_below(&self, len: u64, below: u64, floor: u64) -> Option<u64> {
        let mut hi = below;
        for (s, v) in self.0.range(..below).rev() {
            if v.end <= hi && hi - v.end >= len {
                return Some(hi - len);
            }
            hi = hi.min(*s);
        }
        (hi >= floor && hi - floor >= len).then(|| hi - len)
    }

    /// Removes `[start, end)` from the areas, splitting those that straddle its ends;
    /// returns the ranges removed (only there can pages be mapped).
    pub fn remove_range(&mut self, start: u64, end: u64) -> Vec<(u64, u64)> {
        self.split_at(start);
        self.split_at(end);
        let gone: Vec<(u64, u64)> = self.0.range(start..end).map(|(s, v)| (*s, v.end)).collect();
        for (s, _) in &gone {
            self.0.remove(s);
        }
        gone
    }

    /// Moves the program break's page-aligned end from `old_end` to `new_end`, as Linux's
    /// brk does over whatever areas lie there now: growing adds `[old_end, new_end)` to the
    /// heap (the [heap] area ending at `old_end` grows when there is one, else a new one
    /// starts there: a MAP_FIXED mapping such as musl's PROT_NONE guard page may have split
    /// the heap, and the area holding `brk_start` is then no longer the one at the break);
    /// it fails (None, nothing changed) when another area lies in the way. Shrinking unmaps
    /// `[new_end, old_end)` whatever areas it holds, as munmap would. Returns the ranges
    /// removed, whose pages the caller unmaps.
    pub fn move_break(
        &mut self,
        brk_start: u64,
        old_end: u64,
        new_end: u64,
        prot: PteFlags,
    ) -> Option<Vec<(u64, u64)>> {
        if new_end <= old_end {
            return Some(if new_end < old_end {
                self.remove_range(new_end, old_end)
            } else {
                Vec::new()
            });
        }
        if self.overlaps(old_end, new_end) {
            return None;
        }
        let heap_below = old_end > brk_start
            && self.find(old_end - 1).is_some_and(|(_, v)| {
                v.end == old_end
                    && v.name == Name::Heap
                    && v.prot == prot
                    && matches!(v.backing, Backing::Anon)
            });
        if heap_below {
            let (start, _) = self.find(old_end - 1).expect("found above");
            self.0.get_mut(&start).expect("found above").end = new_end;
        } else {
            let heap = Vma {
                end: new_end,
                prot,
                backing: Backing::Anon,
                name: Name::Heap,
            };
            self.0.insert(old_end, heap);
        }
        Some(Vec::new())
    }

    /// The first area starting at or above `va`.
    pub fn above(&self, va: u64) -> Option<(u64, &Vma)> {
        self.0.range(va..).next().map(|(s, v)| (*s, v))
    }

    /// Moves the start of the area at `start` down to `new_start`, as a stack grows, if
    /// no other area lies in `[new_start - guard, start)` (Linux keeps a guard gap below a
    /// stack). False, and nothing changed, otherwise.
    pub fn grow_down(&mut self, start: u64, new_start: u64, guard: u64) -> bool {
        if new_start >= start || self.overlaps(new_start.saturating_sub(guard), start) {
            return false;
        }
        match self.0.remove(&start) {
            Some(v) => {
                self.0.insert(new_start, v);
                true
            }
            None => false,
        }
    }

    /// Every area with its start, in address order.
    pub fn iter(&self) -> impl Iterator<Item = (u64, &Vma)> {
        self.0.iter().map(|(s, v)| (*s, v))
    }

    /// The areas starting in `[start, end)`, to change.
    pub fn range_mut(&mut self, start: u64, end: u64) -> impl Iterator<Item = (&u64, &mut Vma)> {
        self.0.range_mut(start..end)
    }

    /// The area starting at `start`, to change.
    pub fn get_mut(&mut self, start: u64) -> Option<&mut Vma> {
        self.0.get_mut(&start)
    }

    /// Removes the area starting at `start`.
    pub fn remove(&mut self, start: u64) -> Option<Vma> {
        self.0.remove(&start)
    }
}

/// Fills `page` (4 KiB) with what `vma` (starting at `start`) holds at `va`.
pub fn fill(vma: &Vma, start: u64, va: u64, page: &mut [u8]) {
    match vma.backing {
        // A shared page comes from its object; a new one starts zeroed.
        Backing::Anon | Backing::Shared { .. } => page.fill(0),
        Backing::File {
            data,
            offset,
            file_end,
        } => {
            page.fill(0);
            let in_file = file_end.saturating_sub(va).min(PAGE_SIZE) as usize;
            let from = (offset + (va - start)) as usize;
            let avail = data.len().saturating_sub(from).min(in_file);
            if avail > 0 {
                page[..avail].copy_from_slice(&data[from..from + avail]);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::vec;

    const RW: PteFlags = PteFlags::R.union(PteFlags::W);

    fn anon(end: u64) -> Vma {
        Vma {
            end,
            prot: RW,
            backing: Backing::Anon,
            name: Name::Anon,
        }
    }

    fn ranges(v: &Vmas) -> Vec<(u64, u64)> {
        v.iter().map(|(s, a)| (s, a.end)).collect()
    }

    /// musl's mallocng: brk grows by two pages, a MAP_FIXED PROT_NONE guard page replaces
    /// the first, then brk grows by a page at a time. Each new page must be read-write heap
    /// beside the last (the guard's area must not be the one stretched), and a shrink over
    /// the split heap unmaps whatever lies there, the guard included.
    #[test]
    fn the_break_moves_over_a_heap_split_by_a_fixed_mapping() {
        const P: u64 = 0x1000;
        let start = 0x10_0000;
        let mut v = Vmas::default();
        assert_eq!(v.move_break(start, start, start + 2 * P, RW), Some(vec![]));
        assert_eq!(ranges(&v), vec![(start, start + 2 * P)]);
        // mmap(start, 4096, PROT_NONE, MAP_FIXED | MAP_PRIVATE | MAP_ANONYMOUS)
        assert_eq!(v.remove_range(start, start + P), vec![(start, start + P)]);
        let guard = Vma {
            prot: PteFlags::empty(),
            ..anon(start + P)
        };
        assert!(v.insert(start, guard));
        for k in 2..5 {
            let (old, new) = (start + k * P, start + (k + 1) * P);
            assert_eq!(v.move_break(start, old, new, RW), Some(vec![]));
            let (s, a) = v.find(new - 1).expect("the new page is in an area");
            assert_eq!((s, a.end, a.prot, a.name), (start + P, new, RW, Name::Heap));
        }
        let (_, g) = v.find(start).unwrap();
        assert_eq!(
            (g.end, g.prot),
            (start + P, PteFlags::empty()),
            "the guard is kept"
        );
        // Something mapped right at the break stops it from growing.
        assert!(v.insert(start + 5 * P, anon(start + 6 * P)));
        assert_eq!(v.move_break(start, start + 5 * P, start + 7 * P, RW), None);
        // Back to the start: both the heap and the guard go.
        let gone = v.move_break(start, start + 5 * P, start, RW).unwrap();
        assert_eq!(gone, vec![(start, start + P), (start + P, start + 5 * P)]);
        assert_eq!(ranges(&v), vec![(start + 5 * P, start + 6 * P)]);
        // A heap started anew where nothing is below it.
        assert_eq!(v.move_break(start, start, start + P, RW), Some(vec![]));
        assert_eq!(
            v.find(start).map(|(s, a)| (s, a.name)),
            Some((start, Name::Heap))
        );
    }

    #[test]
    fn adjacent_anonymous_areas_with_the_same_permissions_merge() {
        let mut v = Vmas::default();
        assert!(v.insert(0x5000, anon(0x6000)));
        assert!(v.insert(0x3000, anon(0x5000)));
        assert_eq!(v.merge_anon(0x3000), 0x3000, "merged with the next");
        assert!(v.insert(0x6000, anon(0x7000)));
        assert_eq!(v.merge_anon(0x6000), 0x3000, "merged with the previous");
        assert_eq!(ranges(&v), vec![(0x3000, 0x7000)]);
        // Different permissions, or a named area ([heap]), stay apart.
        let ro = Vma {
            prot: PteFlags::R,
            ..anon(0x8000)
        };
        assert!(v.insert(0x7000, ro));
        assert_eq!(v.merge_anon(0x7000), 0x7000);
        let heap = Vma {
            name: Name::Heap,
            ..anon(0x2000)
        };
        assert!(v.insert(0x1000, heap));
        assert!(v.insert(0x2000, anon(0x3000)));
        assert_eq!(v.merge_anon(0x2000), 0x2000, "not into the heap");
        assert_eq!(
            ranges(&v),
            vec![(0x1000, 0x2000), (0x2000, 0x7000), (0x7000, 0x8000)]
        );
    }

    #[test]
    fn areas_never_overlap() {
        let mut v = Vmas::default();
        assert!(v.insert(0x1000, anon(0x3000)));
        assert!(!v.insert(0x2000, anon(0x4000)), "overlaps the end");
        assert!(!v.insert(0x0, anon(0x2000)), "overlaps the start");
        assert!(!v.insert(0x0, anon(0x8000)), "contains it");
        assert!(!v.insert(0x5000, anon(0x5000)), "empty");
        assert!(v.insert(0x3000, anon(0x4000)), "adjacent is fine");
        assert_eq!(v.find(0x2fff).map(|(s, _)| s), Some(0x1000));
        assert_eq!(v.find(0x3000).map(|(s, _)| s), Some(0x3000));
        assert!(v.find(0x4000).is_none());
        assert!(v.covers(0x1000, 0x4000));
        assert!(!v.covers(0x1000, 0x5000));
    }

    #[test]
    fn splitting_keeps_file_offsets() {
        let data: &'static [u8] = &[7; 0x4000];
        let mut v = Vmas::default();
        let file = Backing::File {
            data,
            offset: 0x1000,
            file_end: 0x12800,
        };
        v.insert(
            0x10000,
            Vma {
                end: 0x13000,
                prot: PteFlags::R,
                backing: file,
                name: Name::Program,
            },
        );
        v.split_at(0x11000);
        v.split_at(0x11000); // already a boundary: nothing happens
        assert_eq!(ranges(&v), vec![(0x10000, 0x11000), (0x11000, 0x13000)]);
        let (s, second) = v.find(0x11000).unwrap();
        match second.backing {
            Backing::File { offset, .. } => assert_eq!(offset, 0x2000),
            _ => panic!("backing lost"),
        }
        // The page at 0x12000 holds file bytes up to file_end (0x12800), zeros after.
        let mut page = vec![0xffu8; 4096];
        fill(second, s, 0x12000, &mut page);
        assert!(page[..0x800].iter().all(|&b| b == 7));
        assert!(page[0x800..].iter().all(|&b| b == 0));
    }

    #[test]
    fn a_shared_area_split_keeps_its_object_with_an_offset() {
        fn release(_: crate::PhysAddr) {}
        fn release_swap(_: crate::swap::SwapEntry) {}
        let obj = Arc::new(SharedAnon::new(4, 1, release, release_swap).unwrap());
        let mut v = Vmas::default();
        let shared = Vma {
            end: 0x14000,
            prot: PteFlags::R | PteFlags::W,
            backing: Backing::Shared {
                obj: obj.clone(),
                offset: 0,
            },
            name: Name::Anon,
        };
        v.insert(0x10000, shared);
        v.insert(0x14000, anon(0x15000));
        assert_eq!(
            v.merge_anon(0x14000),
            0x14000,
            "a shared area is not merged"
        );
        v.split_at(0x12000);
        assert_eq!(Arc::strong_count(&obj), 3);
        match &v.find(0x12000).unwrap().1.backing {
            Backing::Shared { obj: o, offset } => {
                assert!(Arc::ptr_eq(o, &obj));
                assert_eq!(*offset, 0x2000);
            }
            _ => panic!("object lost"),
        }
        assert!(v.find(0x10000).unwrap().1.backing.is_shared());
        v.remove_range(0x10000, 0x14000);
        assert_eq!(Arc::strong_count(&obj), 1);
    }

    #[test]
    fn removing_a_range_splits_what_straddles_it() {
        let mut v = Vmas::default();
        v.insert(0x10000, anon(0x20000));
        v.insert(0x30000, anon(0x40000));
        let gone = v.remove_range(0x18000, 0x38000);
        assert_eq!(gone, vec![(0x18000, 0x20000), (0x30000, 0x38000)]);
        assert_eq!(ranges(&v), vec![(0x10000, 0x18000), (0x38000, 0x40000)]);
        assert!(v.remove_range(0x20000, 0x30000).is_empty());
    }

    #[test]
    fn a_stack_grows_down_but_keeps_its_guard_gap() {
        let mut v = Vmas::default();
        v.insert(0x10_0000, anon(0x20_0000));
        v.insert(0x40_0000, anon(0x50_0000));
        assert_eq!(v.above(0x30_0000).map(|(s, _)| s), Some(0x40_0000));
        assert!(v.grow_down(0x40_0000, 0x3f_0000, 0x1_0000));
        assert_eq!(
            v.find(0x3f_0000).map(|(s, a)| (s, a.end)),
            Some((0x3f_0000, 0x50_0000))
        );
        assert!(
            !v.grow_down(0x3f_0000, 0x20_8000, 0x1_0000),
            "guard gap reaches 0x1f8000"
        );
        assert!(v.grow_down(0x3f_0000, 0x21_0000, 0x1_0000));
        assert!(!v.grow_down(0x21_0000, 0x21_0000, 0), "not a growth");
        assert!(
            !v.grow_down(0x12_3000, 0x11_0000, 0),
            "no area starts there"
        );
    }

    #[test]
    fn gaps_are_found_top_down() {
        let mut v = Vmas::default();
        v.insert(0x8000_0000, anon(0x8001_0000));
        v.insert(0x7fff_0000, anon(0x7fff_8000));
        // Highest fit below 0x8001_0000: between the two areas there are 0x8000 bytes.
        assert_eq!(
            v.gap_below(0x8000, 0x8001_0000, 0x1_0000),
            Some(0x7fff_8000)
        );
        assert_eq!(
            v.gap_below(0x9000, 0x8001_0000, 0x1_0000),
            Some(0x7ffe_7000)
        );
        assert_eq!(
            v.gap_below(0x1000, 0x9000_0000, 0x1_0000),
            Some(0x8fff_f000)
        );
        assert_eq!(v.gap_below(0x7fff_0000, 0x8001_0000, 0x1_0000), None);
        assert_eq!(
            Vmas::default().gap_below(0x1000, 0x2_0000, 0x1_0000),
            Some(0x1_f000)
        );
        assert_eq!(
            Vmas::default().gap_below(0x2_0000, 0x2_0000, 0x1_0000),
            None
        );
    }
}
