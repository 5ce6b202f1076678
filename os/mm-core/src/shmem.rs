//! Shared anonymous memory (`mmap(MAP_SHARED | MAP_ANONYMOUS)`): the object every area
//! mapping it refers to (Linux backs such a mapping with a shmem file, shown as
//! `/dev/zero (deleted)`). It maps a page index within the object to the frame holding
//! that page, filled in on the first touch by any of the processes sharing it; the others
//! then map the same frame. The object holds one reference on each of its frames and
//! gives it back (`release`) when the last area referring to it goes (the areas hold it
//! by an `Arc`: fork clones them, a split gives both sides the object with an offset).
//!
//! The object's size is fixed when it is made (the mapping's length): one slot per page,
//! 0 = not yet touched, else the frame's address (page-aligned: bit 0 clear) or, once
//! reclaim has written the page to swap, its swap entry's PTE encoding with bit 0 set
//! (`mm_core::swap`: V = 0 there, so the tag never collides with a field). As Linux's
//! shmem, the object, not the PTEs, holds the entry (one use of the slot): the mappers'
//! PTEs are emptied and their next touch finds the entry here. Slots are atomics so that
//! the object can be shared between processes without a lock (one hart runs the kernel);
//! a slot changes by compare-and-set only: empty to frame, frame to entry and back.

use crate::addr::PhysAddr;
use crate::pte::Pte;
use crate::swap::SwapEntry;
use alloc::vec::Vec;
use core::fmt;
use core::sync::atomic::{AtomicU64, Ordering};

/// What a slot of a shared anonymous object holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Slot {
    /// Not touched yet (or past the end).
    Empty,
    /// In memory: the frame (the object holds one reference on it).
    Frame(PhysAddr),
    /// In swap: the entry (the object holds one use of its slot).
    Swapped(SwapEntry),
}

/// The tag of a slot holding a swap entry.
const SWAPPED: u64 = 1;

impl Slot {
    fn encode(self) -> u64 {
        match self {
            Slot::Empty => 0,
            Slot::Frame(pa) => pa.0,
            Slot::Swapped(e) => e.to_pte().0 | SWAPPED,
        }
    }

    fn decode(v: u64) -> Slot {
        if v == 0 {
            Slot::Empty
        } else if v & SWAPPED != 0 {
            match SwapEntry::from_pte(Pte(v & !SWAPPED)) {
                Some(e) => Slot::Swapped(e),
                None => Slot::Empty,
            }
        } else {
            Slot::Frame(PhysAddr(v))
        }
    }
}

/// A shared anonymous object's pages.
pub struct SharedAnon {
    slots: Vec<AtomicU64>,
    release: fn(PhysAddr),
    release_swap: fn(SwapEntry),
    /// The object's inode number (/proc/PID/maps shows it, as Linux shows its shmem file's).
    pub ino: u64,
}

impl SharedAnon {
    /// An object of `pages` pages, none present yet, numbered `ino`; when it goes,
    /// `release` gives back the object's reference on a frame and `release_swap` its use
    /// of a swap slot. `None` when the slots cannot be allocated.
    pub fn new(
        pages: u64,
        ino: u64,
        release: fn(PhysAddr),
        release_swap: fn(SwapEntry),
    ) -> Option<SharedAnon> {
        let n = usize::try_from(pages).ok()?;
        let mut slots = Vec::new();
        slots.try_reserve_exact(n).ok()?;
        slots.extend((0..n).map(|_| AtomicU64::new(0)));
        Some(SharedAnon {
            slots,
            release,
            release_swap,
            ino,
        })
    }

    /// Pages the object spans.
    pub fn len(&self) -> u64 {
        self.slots.len() as u64
    }

    /// Whether the object spans no page.
    pub fn is_empty(&self) -> bool {
        self.slots.is_empty()
    }

    fn slot(&self, index: u64) -> Option<&AtomicU64> {
        self.slots.get(usize::try_from(index).ok()?)
    }

    /// What page `index` is now (`Empty` past the end too).
    pub fn slot_of(&self, index: u64) -> Slot {
        self.slot(index)
            .map_or(Slot::Empty, |s| Slot::decode(s.load(Ordering::Acquire)))
    }

    /// The frame holding page `index`, if it is in memory.
    pub fn get(&self, index: u64) -> Option<PhysAddr> {
        match self.slot_of(index) {
            Slot::Frame(pa) => Some(pa),
            _ => None,
        }
    }

    /// Replaces page `index`'s `from` by `to`; false (nothing changed) when the index is
    /// past the end or the slot does not hold `from`.
    fn replace(&self, index: u64, from: Slot, to: Slot) -> bool {
        let Some(slot) = self.slot(index) else {
            return false;
        };
        slot.compare_exchange(
            from.encode(),
            to.encode(),
            Ordering::AcqRel,
            Ordering::Acquire,
        )
        .is_ok()
    }

    /// Records `pa` (its reference now the object's) as page `index`; false (nothing
    /// recorded) when the index is past the end or the page is present already.
    pub fn insert(&self, index: u64, pa: PhysAddr) -> bool {
        pa.0 != 0 && pa.0 & SWAPPED == 0 && self.replace(index, Slot::Empty, Slot::Frame(pa))
    }

    /// Reclaim wrote page `index`, held by frame `pa`, to `e`: the slot holds `e` from now
    /// on (the object's reference on `pa` is the caller's to drop). False (nothing
    /// changed) when the slot does not hold `pa`.
    pub fn swap_out(&self, index: u64, pa: PhysAddr, e: SwapEntry) -> bool {
        self.replace(index, Slot::Frame(pa), Slot::Swapped(e))
    }

    /// Page `index`, in swap at `e`, was read into `pa`: the slot holds `pa` (its
    /// reference now the object's; the use of `e` is the caller's to give back). False
    /// (nothing changed) when the slot does not hold `e`.
    pub fn swap_in(&self, index: u64, e: SwapEntry, pa: PhysAddr) -> bool {
        pa.0 != 0 && pa.0 & SWAPPED == 0 && self.replace(index, Slot::Swapped(e), Slot::Frame(pa))
    }

    /// Pages present in the object (in memory).
    pub fn present(&self) -> u64 {
        self.count(|s| matches!(s, Slot::Frame(_)))
    }

    /// Pages of the object in swap.
    pub fn swapped(&self) -> u64 {
        self.count(|s| matches!(s, Slot::Swapped(_)))
    }

    fn count(&self, f: impl Fn(Slot) -> bool) -> u64 {
        self.slots
            .iter()
            .filter(|s| f(Slot::decode(s.load(Ordering::Relaxed))))
            .count() as u64
    }

    /// Calls `f` with the index and entry of each page of the object in swap area `area`
    /// (swapoff's scan).
    pub fn swapped_in_area(&self, area: u8, mut f: impl FnMut(u64, SwapEntry)) {
        for (i, s) in self.slots.iter().enumerate() {
            if let Slot::Swapped(e) = Slot::decode(s.load(Ordering::Acquire)) {
                if e.area == area {
                    f(i as u64, e);
                }
            }
        }
    }
}

impl Drop for SharedAnon {
    /// Gives back the object's reference on each of its frames and its use of each of its
    /// swap slots.
    fn drop(&mut self) {
        for s in &self.slots {
            match Slot::decode(s.swap(0, Ordering::AcqRel)) {
                Slot::Empty => {}
                Slot::Frame(pa) => (self.release)(pa),
                Slot::Swapped(e) => (self.release_swap)(e),
            }
        }
    }
}

impl fmt::Debug for SharedAnon {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "SharedAnon({} pages, {} present, {} swapped)",
            self.len(),
            self.present(),
            self.swapped()
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::sync::Arc;
    use std::sync::Mutex;

    static RELEASED: Mutex<Vec<u64>> = Mutex::new(Vec::new());
    static RELEASED_SWAP: Mutex<Vec<SwapEntry>> = Mutex::new(Vec::new());

    fn release(pa: PhysAddr) {
        RELEASED.lock().unwrap().push(pa.0);
    }

    fn release_swap(e: SwapEntry) {
        RELEASED_SWAP.lock().unwrap().push(e);
    }

    #[test]
    fn pages_are_recorded_once_and_released_with_the_last_reference() {
        let obj = Arc::new(SharedAnon::new(4, 1, release, release_swap).unwrap());
        assert_eq!(obj.len(), 4);
        assert_eq!(obj.get(1), None);
        assert!(obj.insert(1, PhysAddr(0x8000_1000)));
        assert!(!obj.insert(1, PhysAddr(0x8000_2000)), "present already");
        assert!(!obj.insert(4, PhysAddr(0x8000_3000)), "past the end");
        assert!(!obj.insert(2, PhysAddr(0)), "no frame");
        assert_eq!(obj.get(1), Some(PhysAddr(0x8000_1000)));
        assert_eq!(obj.get(9), None);
        assert!(obj.insert(3, PhysAddr(0x8000_4000)));
        assert_eq!(obj.present(), 2);
        let other = obj.clone(); // a second area (fork, split)
        drop(obj);
        assert!(!RELEASED.lock().unwrap().contains(&0x8000_1000));
        drop(other);
        let r = RELEASED.lock().unwrap();
        assert!(r.contains(&0x8000_1000) && r.contains(&0x8000_4000));
        assert!(!r.contains(&0x8000_2000));
    }

    #[test]
    fn a_huge_object_is_refused_not_a_panic() {
        assert!(SharedAnon::new(u64::MAX / 8, 1, release, release_swap).is_none());
    }

    #[test]
    fn slots_go_to_swap_and_back_by_compare_and_set() {
        let obj = SharedAnon::new(3, 2, release, release_swap).unwrap();
        let (pa, pb) = (PhysAddr(0x9000_1000), PhysAddr(0x9000_2000));
        let e = SwapEntry::new(0, 1);
        let f = SwapEntry::new(crate::swap::MAX_AREAS as u8 - 1, crate::swap::MAX_OFFSET);
        assert_eq!(obj.slot_of(0), Slot::Empty);
        assert!(!obj.swap_out(0, pa, e), "not present");
        assert!(obj.insert(0, pa));
        assert!(!obj.swap_out(0, pb, e), "another frame");
        assert!(obj.swap_out(0, pa, e));
        assert_eq!(obj.slot_of(0), Slot::Swapped(e));
        assert_eq!(obj.get(0), None);
        assert!(!obj.insert(0, pb), "swapped is not empty");
        assert!(!obj.swap_in(0, f, pb), "another entry");
        assert!(obj.swap_in(0, e, pb));
        assert_eq!(obj.slot_of(0), Slot::Frame(pb));
        assert!(!obj.swap_in(0, e, pa), "in memory already");
        // The largest entry round-trips through the tagged slot.
        assert!(obj.insert(1, pa));
        assert!(obj.swap_out(1, pa, f));
        assert_eq!(obj.slot_of(1), Slot::Swapped(f));
        assert!(!obj.swap_out(5, pa, e), "past the end");
        assert_eq!(obj.slot_of(5), Slot::Empty);
        assert_eq!((obj.present(), obj.swapped()), (1, 1));
        let mut seen = Vec::new();
        obj.swapped_in_area(f.area, |i, x| seen.push((i, x)));
        assert_eq!(seen, [(1, f)]);
        obj.swapped_in_area(0, |_, _| panic!("none in area 0"));
        drop(obj);
        assert!(RELEASED.lock().unwrap().contains(&pb.0));
        assert!(RELEASED_SWAP.lock().unwrap().contains(&f));
        assert!(!RELEASED_SWAP.lock().unwrap().contains(&e));
    }
}
