//! A swap area's slots: which are in use and by how many page-table entries, and the
//! area's header page (Linux's `union swap_header`, include/linux/swap.h).
//!
//! Linux keeps one byte per slot (`swap_map`, counts up to SWAP_MAP_MAX with continuation
//! pages beyond). That is 10 MiB of kernel memory for a 40 GiB area, too much for a
//! small-RAM machine that swaps precisely because RAM is short. [`SlotMap`] keeps instead:
//! - one bit per slot (in use or not), in chunks of one page (32768 slots, 128 MiB of swap
//!   each) allocated on first use and dropped when their last slot is freed, so an idle
//!   40 GiB area costs a 5 KiB chunk table (and the header's chunk) and a full one
//!   1.25 MiB more;
//! - a map of the slots whose count is above 1 (a page shared by processes after fork),
//!   which is short: most slots have exactly one user.
//!
//! Slot 0 is the header page and never handed out; the bad pages the header lists are
//! marked in use for good. Allocation is next-fit: a cursor moves through the area and
//! wraps, so the search resumes where the last one ended (whole chunks that are full are
//! skipped by their count), and consecutive allocations get consecutive slots, as
//! Linux's `scan_swap_map_slots` gives a rotational disk.

use alloc::boxed::Box;
use alloc::collections::BTreeMap;
use alloc::vec::Vec;

/// Slots per chunk: one 4 KiB page of bits.
pub const CHUNK_SLOTS: u64 = 4096 * 8;
const WORDS: usize = (CHUNK_SLOTS / 64) as usize;

/// The largest count a slot may reach (Linux allows more through continuation pages; a
/// page mapped by 65535 processes is far beyond this kernel's process table).
pub const MAX_COUNT: u32 = u16::MAX as u32;

/// One chunk's bits and how many of them are set.
struct Chunk {
    bits: Box<[u64; WORDS]>,
    set: u32,
}

/// The slots of one swap area, 1..=`last`.
pub struct SlotMap {
    last: u64,
    chunks: Vec<Option<Chunk>>,
    /// Counts above 1, and 0 for the bad pages.
    shared: BTreeMap<u64, u16>,
    /// Slots in use (bad pages and the header aside).
    in_use: u64,
    /// Bad pages (marked in use for good).
    bad: u64,
    /// Where the next search starts.
    cursor: u64,
}

/// Why a header or a bad-page list cannot make a slot map.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SlotMapError {
    /// No usable slot (`last` = 0).
    Empty,
    /// A bad page outside 1..=last.
    BadPageOutOfRange(u64),
}

impl SlotMap {
    /// The slots 1..=`last` with the pages `bad` (each in 1..=`last`) unusable.
    pub fn new(last: u64, bad: &[u64]) -> Result<SlotMap, SlotMapError> {
        if last == 0 {
            return Err(SlotMapError::Empty);
        }
        let chunks = (last / CHUNK_SLOTS + 1) as usize;
        let mut m = SlotMap {
            last,
            chunks: (0..chunks).map(|_| None).collect(),
            shared: BTreeMap::new(),
            in_use: 0,
            bad: 0,
            cursor: 1,
        };
        m.set(0);
        for &b in bad {
            if b == 0 || b > last {
                return Err(SlotMapError::BadPageOutOfRange(b));
            }
            if !m.is_set(b) {
                m.set(b);
                m.shared.insert(b, 0);
                m.bad += 1;
            }
        }
        Ok(m)
    }

    /// The last slot.
    pub fn last(&self) -> u64 {
        self.last
    }

    /// Usable slots: 1..=last less the bad ones (Linux's `si->pages`).
    pub fn total(&self) -> u64 {
        self.last - self.bad
    }

    /// Slots in use (`si->inuse_pages`).
    pub fn in_use(&self) -> u64 {
        self.in_use
    }

    /// Usable slots not in use.
    pub fn free_slots(&self) -> u64 {
        self.total() - self.in_use
    }

    /// Bytes this map holds on the heap (chunk table, chunks, the shared counts' entries
    /// counted at their key and value size).
    pub fn footprint(&self) -> usize {
        let chunk = core::mem::size_of::<[u64; WORDS]>();
        self.chunks.capacity() * core::mem::size_of::<Option<Chunk>>()
            + self.chunks.iter().flatten().count() * chunk
            + self.shared.len() * (8 + 2)
    }

    fn is_set(&self, slot: u64) -> bool {
        let (c, w, b) = Self::place(slot);
        self.chunks[c]
            .as_ref()
            .is_some_and(|ch| ch.bits[w] & (1 << b) != 0)
    }

    fn place(slot: u64) -> (usize, usize, u32) {
        let c = (slot / CHUNK_SLOTS) as usize;
        let i = slot % CHUNK_SLOTS;
        (c, (i / 64) as usize, (i % 64) as u32)
    }

    fn set(&mut self, slot: u64) {
        let (c, w, b) = Self::place(slot);
        let ch = self.chunks[c].get_or_insert_with(|| Chunk {
            bits: Box::new([0; WORDS]),
            set: 0,
        });
        ch.bits[w] |= 1 << b;
        ch.set += 1;
    }

    fn clear(&mut self, slot: u64) {
        let (c, w, b) = Self::place(slot);
        if let Some(ch) = self.chunks[c].as_mut() {
            ch.bits[w] &= !(1 << b);
            ch.set -= 1;
            if ch.set == 0 {
                self.chunks[c] = None;
            }
        }
    }

    /// Slots of chunk `c` that exist (the last chunk is partial).
    fn chunk_len(&self, c: usize) -> u64 {
        (self.last + 1 - c as u64 * CHUNK_SLOTS).min(CHUNK_SLOTS)
    }

    /// The first clear slot in `[from, to)` (both within one chunk), if any.
    fn find_in_chunk(&self, from: u64, to: u64) -> Option<u64> {
        let c = (from / CHUNK_SLOTS) as usize;
        let Some(ch) = self.chunks[c].as_ref() else {
            return Some(from);
        };
        if u64::from(ch.set) == self.chunk_len(c) {
            return None;
        }
        let base = c as u64 * CHUNK_SLOTS;
        let mut i = from - base;
        while base + i < to {
            let w = (i / 64) as usize;
            // Bits below `i` in this word are out of range: treat them as set.
            let word = ch.bits[w] | ((1u64 << (i % 64)) - 1);
            if word != u64::MAX {
                let slot = base + w as u64 * 64 + u64::from(word.trailing_ones());
                return (slot < to).then_some(slot);
            }
            i = (w as u64 + 1) * 64;
        }
        None
    }

    /// The first clear slot in `[from, to)`.
    fn find(&self, from: u64, to: u64) -> Option<u64> {
        let mut at = from;
        while at < to {
            let chunk_end = (at / CHUNK_SLOTS + 1) * CHUNK_SLOTS;
            let end = chunk_end.min(to);
            if let Some(s) = self.find_in_chunk(at, end) {
                return Some(s);
            }
            at = end;
        }
        None
    }

    /// A free slot, now in use with count 1; `None` when the area is full. Next-fit from
    /// the cursor, wrapping once.
    pub fn alloc(&mut self) -> Option<u64> {
        if self.free_slots() == 0 {
            return None;
        }
        let slot = self
            .find(self.cursor, self.last + 1)
            .or_else(|| self.find(1, self.cursor))?;
        self.set(slot);
        self.in_use += 1;
        self.cursor = if slot == self.last { 1 } else { slot + 1 };
        Some(slot)
    }

    /// Takes the free slot `slot` (count 1), as [`SlotMap::alloc`] would have; false when
    /// it is in use, bad, the header or beyond the area.
    pub fn take(&mut self, slot: u64) -> bool {
        if slot == 0 || slot > self.last || self.is_set(slot) {
            return false;
        }
        self.set(slot);
        self.in_use += 1;
        true
    }

    /// The number of users of `slot` (0: free; bad pages and the header report 0 too, as
    /// nothing may use them).
    pub fn count(&self, slot: u64) -> u32 {
        if slot == 0 || slot > self.last || !self.is_set(slot) {
            return 0;
        }
        // Bad pages are set with a recorded count of 0.
        self.shared.get(&slot).map_or(1, |&n| u32::from(n))
    }

    /// One more user of `slot` (fork copying a swap PTE); false when the slot is not in use
    /// or its count is at [`MAX_COUNT`].
    pub fn dup(&mut self, slot: u64) -> bool {
        let n = self.count(slot);
        if n == 0 || n >= MAX_COUNT {
            return false;
        }
        self.shared.insert(slot, (n + 1) as u16);
        true
    }

    /// One user fewer of `slot`; returns the count left (0: the slot is free again). A slot
    /// not in use is left alone (returns 0).
    pub fn free(&mut self, slot: u64) -> u32 {
        let n = self.count(slot);
        match n {
            0 => 0,
            1 => {
                self.clear(slot);
                self.in_use -= 1;
                0
            }
            2 => {
                self.shared.remove(&slot);
                1
            }
            n => {
                self.shared.insert(slot, (n - 1) as u16);
                n - 1
            }
        }
    }
}

/// The signature in the last 10 bytes of a swap area's first page (mkswap's, Linux's
/// "new-style" swap: SWAPSPACE2; the old SWAP-SPACE is not supported, as in Linux since 2.5).
pub const SIGNATURE: &[u8; 10] = b"SWAPSPACE2";
/// Where `struct swap_header.info` starts in the page: after 1024 boot bytes.
const INFO: usize = 1024;
/// Where the bad-page list starts: version, last_page, nr_badpages (3 × u32), uuid and
/// volume label (16 bytes each), 117 u32 of padding.
const BADPAGES: usize = INFO + 12 + 32 + 117 * 4;
/// Linux's MAX_SWAP_BADPAGES: the list's room before the signature.
pub const MAX_BADPAGES: u32 = ((4096 - BADPAGES - SIGNATURE.len()) / 4) as u32;

/// A swap area's header page, read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SwapHeader {
    /// The last usable slot (the area's size in pages less one).
    pub last_page: u32,
    /// The bad pages, skipped.
    pub bad: Vec<u64>,
    pub uuid: [u8; 16],
    pub label: [u8; 16],
}

/// Why a page is not a swap header Linux would accept (mm/swapfile.c, read_swap_header).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HeaderError {
    /// No SWAPSPACE2 at the end ("Unable to find swap-space signature").
    NoSignature,
    /// Version other than 1 ("Unable to handle swap header version %d").
    Version(u32),
    /// last_page = 0 ("Empty swap-file").
    Empty,
    /// More bad pages than the page can list.
    TooManyBadPages(u32),
    /// A bad page outside 1..=last_page.
    BadPageOutOfRange(u32),
}

fn u32_at(page: &[u8; 4096], at: usize) -> u32 {
    u32::from_le_bytes([page[at], page[at + 1], page[at + 2], page[at + 3]])
}

/// Reads a swap header (little-endian, as mkswap writes it on riscv64).
pub fn parse_header(page: &[u8; 4096]) -> Result<SwapHeader, HeaderError> {
    if &page[4096 - SIGNATURE.len()..] != SIGNATURE {
        return Err(HeaderError::NoSignature);
    }
    let version = u32_at(page, INFO);
    if version != 1 {
        return Err(HeaderError::Version(version));
    }
    let last_page = u32_at(page, INFO + 4);
    let nr_bad = u32_at(page, INFO + 8);
    if last_page == 0 {
        return Err(HeaderError::Empty);
    }
    if nr_bad > MAX_BADPAGES {
        return Err(HeaderError::TooManyBadPages(nr_bad));
    }
    let mut bad = Vec::with_capacity(nr_bad as usize);
    for i in 0..nr_bad as usize {
        let b = u32_at(page, BADPAGES + 4 * i);
        if b == 0 || b > last_page {
            return Err(HeaderError::BadPageOutOfRange(b));
        }
        bad.push(u64::from(b));
    }
    let mut uuid = [0; 16];
    uuid.copy_from_slice(&page[INFO + 12..INFO + 28]);
    let mut label = [0; 16];
    label.copy_from_slice(&page[INFO + 28..INFO + 44]);
    Ok(SwapHeader {
        last_page,
        bad,
        uuid,
        label,
    })
}

/// A header page as mkswap writes it (for tests, and for a kernel that formats a disk).
pub fn make_header(last_page: u32, bad: &[u32], uuid: [u8; 16]) -> [u8; 4096] {
    let mut page = [0u8; 4096];
    page[INFO..INFO + 4].copy_from_slice(&1u32.to_le_bytes());
    page[INFO + 4..INFO + 8].copy_from_slice(&last_page.to_le_bytes());
    page[INFO + 8..INFO + 12].copy_from_slice(&(bad.len() as u32).to_le_bytes());
    page[INFO + 12..INFO + 28].copy_from_slice(&uuid);
    for (i, b) in bad.iter().enumerate() {
        page[BADPAGES + 4 * i..BADPAGES + 4 * i + 4].copy_from_slice(&b.to_le_bytes());
    }
    page[4096 - SIGNATURE.len()..].copy_from_slice(SIGNATURE);
    page
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn every_slot_is_handed_out_once_then_the_area_is_full() {
        let mut m = SlotMap::new(100, &[]).unwrap();
        assert_eq!((m.total(), m.free_slots(), m.in_use()), (100, 100, 0));
        let got: Vec<u64> = (0..100).map(|_| m.alloc().unwrap()).collect();
        assert_eq!(got, (1..=100).collect::<Vec<_>>(), "slot 0 is the header");
        assert_eq!(m.alloc(), None);
        assert_eq!((m.free_slots(), m.in_use()), (0, 100));
        for s in 1..=100 {
            assert_eq!(m.count(s), 1);
        }
        assert_eq!(m.count(0), 0);
        assert_eq!(m.count(101), 0);
    }

    #[test]
    fn freed_slots_come_back_next_fit_and_the_cursor_wraps() {
        let mut m = SlotMap::new(10, &[]).unwrap();
        for _ in 0..6 {
            m.alloc().unwrap();
        }
        assert_eq!(m.free(2), 0);
        assert_eq!(m.count(2), 0);
        // Next-fit: the cursor is at 7, so 7..=10 come first, then the search wraps to 2.
        assert_eq!(m.alloc(), Some(7));
        assert_eq!(m.free(3), 0);
        assert_eq!(
            [m.alloc(), m.alloc(), m.alloc(), m.alloc(), m.alloc()],
            [Some(8), Some(9), Some(10), Some(2), Some(3)]
        );
        assert_eq!(m.alloc(), None);
        // Freeing a free slot changes nothing.
        assert_eq!(m.free(5), 0);
        assert_eq!(m.free(5), 0);
        assert_eq!(m.in_use(), 9);
        assert_eq!(m.alloc(), Some(5));
    }

    #[test]
    fn dup_counts_users_and_the_slot_is_free_after_the_last() {
        let mut m = SlotMap::new(8, &[]).unwrap();
        let empty = m.footprint();
        let s = m.alloc().unwrap();
        assert!(!m.dup(5), "a free slot cannot be shared");
        for n in 2..=64 {
            assert!(m.dup(s));
            assert_eq!(m.count(s), n);
        }
        assert_eq!(m.in_use(), 1, "one slot, however many users");
        for n in (1..64).rev() {
            assert_eq!(m.free(s), n);
        }
        assert_eq!(m.count(s), 1);
        assert_eq!(m.free(s), 0);
        assert_eq!((m.in_use(), m.count(s)), (0, 0));
        assert_eq!(m.footprint(), empty, "the shared counts are gone");
    }

    #[test]
    fn the_count_stops_at_its_maximum() {
        let mut m = SlotMap::new(1, &[]).unwrap();
        let s = m.alloc().unwrap();
        for _ in 1..MAX_COUNT {
            assert!(m.dup(s));
        }
        assert!(!m.dup(s));
        assert_eq!(m.count(s), MAX_COUNT);
    }

    #[test]
    fn bad_pages_are_never_handed_out() {
        let mut m = SlotMap::new(6, &[2, 5, 5]).unwrap();
        assert_eq!((m.total(), m.free_slots()), (4, 4));
        let got: Vec<u64> = core::iter::from_fn(|| m.alloc()).collect();
        assert_eq!(got, [1, 3, 4, 6]);
        assert_eq!(m.count(2), 0);
        assert!(!m.dup(2));
        assert_eq!(m.free(2), 0);
        assert_eq!(
            m.alloc(),
            None,
            "freeing a bad page does not make it usable"
        );
        assert_eq!(
            SlotMap::new(6, &[7]).err(),
            Some(SlotMapError::BadPageOutOfRange(7))
        );
        assert_eq!(SlotMap::new(0, &[]).err(), Some(SlotMapError::Empty));
    }

    #[test]
    fn allocation_crosses_chunks_and_skips_full_ones() {
        let last = 3 * CHUNK_SLOTS + 10;
        let mut m = SlotMap::new(last, &[]).unwrap();
        let mut seen = HashSet::new();
        for _ in 0..last {
            assert!(seen.insert(m.alloc().unwrap()));
        }
        assert_eq!(m.alloc(), None);
        // Free one slot deep in the second chunk and one in the last: found after wrapping.
        let a = CHUNK_SLOTS + 777;
        let b = 3 * CHUNK_SLOTS + 3;
        m.free(a);
        m.free(b);
        assert_eq!(m.alloc(), Some(a));
        assert_eq!(m.alloc(), Some(b));
        assert_eq!(m.alloc(), None);
    }

    #[test]
    fn a_40_gib_area_costs_little_memory() {
        // 40 GiB of 4 KiB pages, less the header page.
        let last = (40u64 << 30) / 4096 - 1;
        let mut m = SlotMap::new(last, &[]).unwrap();
        // Empty: the chunk table (320 entries) and the header's chunk.
        assert!(m.footprint() < 10 * 1024, "{}", m.footprint());
        // 100 000 pages swapped out (390 MiB) fill 4 chunks.
        for _ in 0..100_000 {
            m.alloc().unwrap();
        }
        assert!(m.footprint() < 10 * 1024 + 4 * 4096, "{}", m.footprint());
        // Full: one bit per slot, 1.25 MiB (Linux's byte map would be 10 MiB).
        while m.alloc().is_some() {}
        assert_eq!(m.in_use(), last);
        let bits = (last + 1).div_ceil(8) as usize;
        assert!(m.footprint() < bits + bits / 50, "{}", m.footprint());
        // Freed again: the chunks go.
        for s in 1..=last {
            m.free(s);
        }
        assert!(m.footprint() < 10 * 1024, "{}", m.footprint());
    }

    #[test]
    fn mkswap_headers_read_back() {
        let page = make_header(16383, &[], [7; 16]);
        let h = parse_header(&page).unwrap();
        assert_eq!(h.last_page, 16383);
        assert!(h.bad.is_empty());
        assert_eq!(h.uuid, [7; 16]);
        let h = parse_header(&make_header(100, &[3, 99], [0; 16])).unwrap();
        assert_eq!(h.bad, [3, 99]);
        assert_eq!(MAX_BADPAGES, 637);
        assert_eq!(
            parse_header(&[0; 4096]).err(),
            Some(HeaderError::NoSignature)
        );
        let mut v2 = make_header(10, &[], [0; 16]);
        v2[1024] = 2;
        assert_eq!(parse_header(&v2).err(), Some(HeaderError::Version(2)));
        assert_eq!(
            parse_header(&make_header(0, &[], [0; 16])).err(),
            Some(HeaderError::Empty)
        );
        assert_eq!(
            parse_header(&make_header(10, &[11], [0; 16])).err(),
            Some(HeaderError::BadPageOutOfRange(11))
        );
        let mut many = make_header(10, &[], [0; 16]);
        many[1032..1036].copy_from_slice(&1000u32.to_le_bytes());
        assert_eq!(
            parse_header(&many).err(),
            Some(HeaderError::TooManyBadPages(1000))
        );
    }
}
