//! Per-frame metadata: one [`Page`] record for every 4 KiB frame of RAM, as Linux's
//! `struct page` (the `mem_map` array).
//!
//! The buddy allocator uses `flags`, `order` and the `lru` links (a free block's head frame
//! is on its order's free list through them). A user frame's `refcount` and `mapcount` say
//! who holds and who maps it (fork shares frames copy-on-write), and `rmap` + `index` are
//! its reverse map (its address-space family and virtual page: [`crate::rmap`]). `lru`
//! will link in-use frames on the active/inactive lists (ROADMAP.md step 4, NOTES.md
//! "Reclaim, swap, kswapd, OOM").

use bitflags::bitflags;

/// "No frame" in a [`ListLink`] (frame indices are `u32`: 2^32 frames are 16 TiB).
pub const NIL: u32 = u32::MAX;

bitflags! {
    /// What a frame is used for, and its state (Linux's `PG_*` names where one exists).
    #[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
    pub struct PageFlags: u32 {
        /// Not managed by the allocator: the kernel image, firmware, the metadata array.
        const RESERVED = 1 << 0;
        /// The head of a free block in the buddy allocator (Linux: `PageBuddy`); `order`
        /// holds the block's order.
        const BUDDY = 1 << 1;
        /// Holds kernel heap objects (the slab allocator).
        const SLAB = 1 << 2;
        /// Holds a page table.
        const PAGETABLE = 1 << 3;
        /// The first frame of an allocated multi-frame block (`order` is its order).
        const HEAD = 1 << 4;
        /// On an LRU list (`lru` links it there).
        const LRU = 1 << 5;
        /// On the active list rather than the inactive one.
        const ACTIVE = 1 << 6;
        /// Seen referenced once by reclaim's scan (a second time activates it).
        const REFERENCED = 1 << 7;
        /// Anonymous memory (heap, stack): swap-backed.
        const ANON = 1 << 8;
        /// Contents differ from the backing store.
        const DIRTY = 1 << 9;
        /// Held by the initrd until it is unpacked.
        const INITRD = 1 << 10;
        /// Part of a segment: one frame of a contiguous physical range a segmented process
        /// uses (`os/src/mm/segmem.rs`). Never on an LRU list, never mapped by a PTE, never
        /// in the reverse map: reclaim and the OOM path's page walks leave it alone.
        const SEGMENT = 1 << 11;
    }
}

/// Links of a doubly linked list threaded through the [`Page`] array, by frame index.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ListLink {
    pub prev: u32,
    pub next: u32,
}

impl ListLink {
    /// Not on any list.
    pub const UNLINKED: ListLink = ListLink {
        prev: NIL,
        next: NIL,
    };
}

/// The metadata of one frame.
#[derive(Clone, Copy, Debug)]
#[repr(C)]
pub struct Page {
    pub flags: PageFlags,
    /// Order of the block this frame heads (free: [`PageFlags::BUDDY`]; allocated:
    /// [`PageFlags::HEAD`]).
    pub order: u8,
    /// References held on the frame (Linux: `_refcount`); 0 when free.
    pub refcount: u32,
    /// Page-table entries mapping the frame (Linux: `_mapcount` + 1).
    pub mapcount: u32,
    /// Free-list links while free; LRU-list links while on an LRU list.
    pub lru: ListLink,
    /// Reverse map: the owner of the frame's mappings (for a user frame, its address-space
    /// family: [`crate::rmap`]; Linux's `page->mapping`); 0 = none.
    pub rmap: u64,
    /// Offset of the frame in that owner, in pages (a user frame's virtual page number;
    /// Linux's `page->index`).
    pub index: u64,
}

impl Page {
    /// A frame the allocator does not manage (until it is given to it).
    pub const RESERVED: Page = Page {
        flags: PageFlags::RESERVED,
        order: 0,
        refcount: 0,
        mapcount: 0,
        lru: ListLink::UNLINKED,
        rmap: 0,
        index: 0,
    };
}

/// Bytes of metadata per frame: what [`Page`] costs (NOTES.md: Linux pays 64 bytes).
pub const PAGE_META_SIZE: usize = core::mem::size_of::<Page>();

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metadata_stays_small() {
        // 40 bytes: 1% of each frame; the reserved metadata the boot log reports relies on it.
        assert_eq!(PAGE_META_SIZE, 40);
        assert!(Page::RESERVED.flags.contains(PageFlags::RESERVED));
    }
}
