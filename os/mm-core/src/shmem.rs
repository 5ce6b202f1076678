//! Shared anonymous memory (`mmap(MAP_SHARED | MAP_ANONYMOUS)`): the object every area
//! mapping it refers to (Linux backs such a mapping with a shmem file, shown as
//! `/dev/zero (deleted)`). It maps a page index within the object to the frame holding
//! that page, filled in on the first touch by any of the processes sharing it; the others
//! then map the same frame. The object holds one reference on each of its frames and
//! gives it back (`release`) when the last area referring to it goes (the areas hold it
//! by an `Arc`: fork clones them, a split gives both sides the object with an offset).
//!
//! The object's size is fixed when it is made (the mapping's length): one slot per page,
//! 0 = not yet touched. Slots are atomics so that the object can be shared between
//! processes without a lock (one hart runs the kernel; a slot is set once).

use crate::addr::PhysAddr;
use alloc::vec::Vec;
use core::fmt;
use core::sync::atomic::{AtomicU64, Ordering};

/// A shared anonymous object's pages.
pub struct SharedAnon {
    slots: Vec<AtomicU64>,
    release: fn(PhysAddr),
    /// The object's inode number (/proc/PID/maps shows it, as Linux shows its shmem file's).
    pub ino: u64,
}

impl SharedAnon {
    /// An object of `pages` pages, none present yet, numbered `ino`; `release` gives back
    /// the object's reference on a frame when it goes. `None` when the slots cannot be
    /// allocated.
    pub fn new(pages: u64, ino: u64, release: fn(PhysAddr)) -> Option<SharedAnon> {
        let n = usize::try_from(pages).ok()?;
        let mut slots = Vec::new();
        slots.try_reserve_exact(n).ok()?;
        slots.extend((0..n).map(|_| AtomicU64::new(0)));
        Some(SharedAnon {
            slots,
            release,
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

    /// The frame holding page `index`, if it was touched.
    pub fn get(&self, index: u64) -> Option<PhysAddr> {
        let slot = self.slots.get(usize::try_from(index).ok()?)?;
        match slot.load(Ordering::Acquire) {
            0 => None,
            pa => Some(PhysAddr(pa)),
        }
    }

    /// Records `pa` (its reference now the object's) as page `index`; false (nothing
    /// recorded) when the index is past the end or the page is present already.
    pub fn insert(&self, index: u64, pa: PhysAddr) -> bool {
        let Some(slot) = usize::try_from(index).ok().and_then(|i| self.slots.get(i)) else {
            return false;
        };
        pa.0 != 0
            && slot
                .compare_exchange(0, pa.0, Ordering::AcqRel, Ordering::Acquire)
                .is_ok()
    }

    /// Pages present in the object.
    pub fn present(&self) -> u64 {
        self.slots
            .iter()
            .filter(|s| s.load(Ordering::Relaxed) != 0)
            .count() as u64
    }
}

impl Drop for SharedAnon {
    /// Gives back the object's reference on each of its frames.
    fn drop(&mut self) {
        for s in &self.slots {
            let pa = s.swap(0, Ordering::AcqRel);
            if pa != 0 {
                (self.release)(PhysAddr(pa));
            }
        }
    }
}

impl fmt::Debug for SharedAnon {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "SharedAnon({} pages, {} present)",
            self.len(),
            self.present()
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::sync::Arc;
    use std::sync::Mutex;

    static RELEASED: Mutex<Vec<u64>> = Mutex::new(Vec::new());

    fn release(pa: PhysAddr) {
        RELEASED.lock().unwrap().push(pa.0);
    }

    #[test]
    fn pages_are_recorded_once_and_released_with_the_last_reference() {
        let obj = Arc::new(SharedAnon::new(4, 1, release).unwrap());
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
        assert!(SharedAnon::new(u64::MAX / 8, 1, release).is_none());
    }
}
