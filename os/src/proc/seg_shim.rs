//! TEMPORARY stand-in for `mm_core::segment` and `mm::segmem` (owned by the seg-mem branch)
//! with the same interface, so this branch builds until that one is merged; removed then.
//! Its allocator takes whole buddy blocks (power-of-two sizes), cannot grow or shrink in
//! place, and frees a block only by its base.
#![allow(dead_code)]

pub mod segment {
    /// Segment permissions (pmpcfg's R, W, X bits).
    #[derive(Clone, Copy, Debug, PartialEq, Eq)]
    pub struct SegPerms(u8);
    impl SegPerms {
        pub const R: SegPerms = SegPerms(1);
        pub const W: SegPerms = SegPerms(2);
        pub const X: SegPerms = SegPerms(4);
        pub fn bits(self) -> u8 {
            self.0
        }
        pub fn contains(self, o: SegPerms) -> bool {
            self.0 & o.0 == o.0
        }
        pub fn empty() -> SegPerms {
            SegPerms(0)
        }
    }
    impl core::ops::BitOr for SegPerms {
        type Output = SegPerms;
        fn bitor(self, o: SegPerms) -> SegPerms {
            SegPerms(self.0 | o.0)
        }
    }

    #[derive(Clone, Copy, Debug, PartialEq, Eq)]
    pub enum SegKind {
        Text,
        Data,
        Stack,
        Mmap,
    }

    #[derive(Clone, Copy, Debug, PartialEq, Eq)]
    pub struct Segment {
        pub base: u64,
        pub len: u64,
        pub perms: SegPerms,
        pub kind: SegKind,
    }

    #[derive(Clone, Copy, Debug, PartialEq, Eq)]
    pub enum SegError {
        Overlap,
        NoPmpEntry,
        Invalid,
    }

    #[derive(Clone)]
    pub struct PmpImage {
        pub cfg: [u8; 64],
        pub addr: [u64; 64],
        pub used: usize,
        pub entry_of: [u8; 64],
    }

    pub struct SegTable {
        segs: alloc::vec::Vec<Segment>,
        entries: usize,
    }

    impl SegTable {
        pub fn new(pmp_entries: usize) -> SegTable {
            SegTable {
                segs: alloc::vec::Vec::new(),
                entries: pmp_entries.min(64),
            }
        }
        fn image_of(segs: &[Segment]) -> (PmpImage, usize) {
            let mut im = PmpImage {
                cfg: [0; 64],
                addr: [0; 64],
                used: 0,
                entry_of: [0; 64],
            };
            let mut top = 0u64;
            let mut n = 0usize;
            for (k, s) in segs.iter().enumerate() {
                if s.base != top {
                    if n < 64 {
                        im.addr[n] = s.base >> 2;
                    }
                    n += 1;
                }
                if n < 64 {
                    im.addr[n] = (s.base + s.len) >> 2;
                    im.cfg[n] = (1 << 3) | s.perms.bits();
                    im.entry_of[k.min(63)] = n as u8;
                }
                n += 1;
                top = s.base + s.len;
            }
            im.used = n.min(64);
            (im, n)
        }
        pub fn insert(&mut self, s: Segment) -> Result<(), SegError> {
            if s.len == 0 || !s.base.is_multiple_of(4) || !s.len.is_multiple_of(4) {
                return Err(SegError::Invalid);
            }
            if self
                .segs
                .iter()
                .any(|o| s.base < o.base + o.len && o.base < s.base + s.len)
            {
                return Err(SegError::Overlap);
            }
            let mut v = self.segs.clone();
            let at = v.partition_point(|o| o.base < s.base);
            v.insert(at, s);
            if Self::image_of(&v).1 > self.entries {
                return Err(SegError::NoPmpEntry);
            }
            self.segs = v;
            Ok(())
        }
        pub fn remove(&mut self, base: u64) -> Option<Segment> {
            let i = self.segs.iter().position(|s| s.base == base)?;
            Some(self.segs.remove(i))
        }
        pub fn set_len(&mut self, base: u64, len: u64) -> Result<(), SegError> {
            let i = self
                .segs
                .iter()
                .position(|s| s.base == base)
                .ok_or(SegError::Invalid)?;
            if len == 0 {
                return Err(SegError::Invalid);
            }
            if let Some(n) = self.segs.get(i + 1) {
                if base + len > n.base {
                    return Err(SegError::Overlap);
                }
            }
            let mut v = self.segs.clone();
            v[i].len = len;
            if Self::image_of(&v).1 > self.entries {
                return Err(SegError::NoPmpEntry);
            }
            self.segs = v;
            Ok(())
        }
        pub fn segments(&self) -> &[Segment] {
            &self.segs
        }
        pub fn containing(&self, addr: u64) -> Option<&Segment> {
            self.segs
                .iter()
                .find(|s| s.base <= addr && addr - s.base < s.len)
        }
        pub fn check(&self, addr: u64, len: u64, need: SegPerms) -> bool {
            let Some(end) = addr.checked_add(len) else {
                return false;
            };
            let mut at = addr;
            while at < end {
                match self.containing(at) {
                    Some(s) if s.perms.contains(need) => at = s.base + s.len,
                    _ => return false,
                }
            }
            true
        }
        pub fn pmp_image(&self) -> PmpImage {
            Self::image_of(&self.segs).0
        }
        pub fn bytes(&self) -> u64 {
            self.segs.iter().map(|s| s.len).sum()
        }
    }
}

pub mod segmem {
    use crate::errno::Errno;
    use crate::mm::frame;
    use mm_core::{PhysAddr, PAGE_SIZE};
    use spin::Mutex;

    static BLOCKS: Mutex<alloc::vec::Vec<(u64, usize)>> = Mutex::new(alloc::vec::Vec::new());

    fn order_of(bytes: u64) -> usize {
        let pages = bytes.div_ceil(PAGE_SIZE).max(1);
        pages.next_power_of_two().trailing_zeros() as usize
    }

    pub fn alloc(bytes: u64) -> Result<PhysAddr, Errno> {
        let order = order_of(bytes);
        if order > mm_core::buddy::MAX_ORDER {
            return Err(Errno::ENOMEM);
        }
        let pa = frame::alloc(order).ok_or(Errno::ENOMEM)?;
        let va = crate::mm::layout::phys_to_virt(pa).0 as *mut u8;
        #[allow(unsafe_code)]
        // SAFETY: the block was just allocated, reached through the direct map.
        unsafe {
            core::ptr::write_bytes(va, 0, (PAGE_SIZE << order) as usize)
        };
        BLOCKS.lock().push((pa.0, order));
        Ok(pa)
    }
    pub fn alloc_at(_base: PhysAddr, _bytes: u64) -> bool {
        false
    }
    pub fn grow(_base: PhysAddr, _old: u64, _new: u64) -> bool {
        false
    }
    pub fn shrink(_base: PhysAddr, _old: u64, _new: u64) {}
    pub fn free(base: PhysAddr, _bytes: u64) {
        let mut b = BLOCKS.lock();
        if let Some(i) = b.iter().position(|&(pa, _)| pa == base.0) {
            let (_, order) = b.remove(i);
            frame::free(base, order);
        }
    }
}
