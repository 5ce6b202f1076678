//! A segmented process's segment table, and the PMP image that enforces it (NOTES.md,
//! "Segmentation": base, limit and permissions per segment; here each segment is one
//! contiguous physical range checked by the hart's Physical Memory Protection).
//!
//! A segmented process runs in U-mode with `satp` = Bare, so its addresses are physical. The
//! M-mode layer programs the PMP entries of [`SegTable::pmp_image`] before every entry to
//! the process; with PMP implemented, an S- or U-mode access that no entry matches fails
//! (priv/machine.adoc, "Physical Memory Protection": "If no PMP entry matches an S-mode or
//! U-mode access, but at least one PMP entry is implemented, the access fails"), so the
//! process reaches exactly its segments.
//!
//! The image uses two address-matching modes (priv/machine.adoc, "Address Matching"):
//! - TOR: entry *i* matches `pmpaddr[i-1] <= y < pmpaddr[i]` (addresses >> 2), whatever
//!   entry *i-1*'s A field is; entry 0's bottom is 0. A segment after a gap therefore needs
//!   an OFF entry holding its base before its TOR entry (2 entries), but a segment that
//!   starts exactly where the previous TOR entry ends *chains*: its TOR entry's bottom is
//!   that entry's top (1 entry; text followed by data costs 3, not 4).
//! - NAPOT: a naturally aligned power-of-two range of at least 8 bytes in one entry:
//!   `pmpaddr = (base >> 2) | (size / 8 - 1)`. Used where it saves an entry (a segment that
//!   cannot chain but whose base and size allow it).
//!
//! The L bit is never set: the entries constrain S and U mode only, and stay rewritable.
//!
//! An access must lie entirely inside the one lowest-numbered entry that matches any of its
//! bytes (priv/machine.adoc, "Priority and Matching Logic"), so the hardware refuses an
//! access straddling two chained segments; [`SegTable::check`] (the kernel's validation of
//! a user buffer, copied through the direct map) lets a range run across adjacent segments.

use bitflags::bitflags;

bitflags! {
    /// A segment's permissions, as the R, W and X bits of a `pmpcfg` byte (bits 0, 1, 2).
    #[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
    pub struct SegPerms: u8 {
        const R = 1;
        const W = 2;
        const X = 4;
    }
}

/// What a segment holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SegKind {
    /// The program's text and read-only data (R-X).
    Text,
    /// Data, bss and the heap that brk grows (RW-).
    Data,
    /// The user stack (RW-).
    Stack,
    /// One anonymous mmap (RW-, or as mprotect leaves it).
    Mmap,
}

/// One segment: the physical range `[base, base + len)` with `perms`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Segment {
    pub base: u64,
    pub len: u64,
    pub perms: SegPerms,
    pub kind: SegKind,
}

impl Segment {
    /// One past the segment's last byte.
    pub fn end(&self) -> u64 {
        self.base + self.len
    }
}

/// What [`SegTable`] refuses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SegError {
    /// The segment would overlap another.
    Overlap,
    /// The PMP image would need more entries than the hart has.
    NoPmpEntry,
    /// Empty, not 4-byte aligned, wrapping around, or no such segment.
    Invalid,
}

/// The `pmpcfg` A field (bits 3..5): OFF, TOR, NA4, NAPOT.
pub const PMP_A_OFF: u8 = 0;
pub const PMP_A_TOR: u8 = 1 << 3;
pub const PMP_A_NAPOT: u8 = 3 << 3;
/// Most PMP entries the architecture defines (pmpaddr0..pmpaddr63).
pub const PMP_MAX: usize = 64;

/// The PMP registers' values for one segment table.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PmpImage {
    /// pmpcfg byte of entry i (A = TOR, NAPOT or OFF; R/W/X; L never set).
    pub cfg: [u8; PMP_MAX],
    /// pmpaddr value of entry i (physical address >> 2, NAPOT's size bits included).
    pub addr: [u64; PMP_MAX],
    /// Entries 0..used are programmed; the rest are to be written OFF, address 0.
    pub used: usize,
    /// For segment k (in [`SegTable::segments`] order), the entry that grants it.
    pub entry_of: [u8; PMP_MAX],
}

impl PmpImage {
    /// No entry programmed: every S/U access fails.
    pub const EMPTY: PmpImage = PmpImage {
        cfg: [0; PMP_MAX],
        addr: [0; PMP_MAX],
        used: 0,
        entry_of: [0; PMP_MAX],
    };

    /// The range `[lo, hi)` entry `i` matches, by the spec's matching rules (None for OFF,
    /// NA4 or an empty TOR range). For tests and the M-layer's self-check.
    pub fn range(&self, i: usize) -> Option<(u64, u64)> {
        let a = self.cfg[i] & (3 << 3);
        match a {
            PMP_A_TOR => {
                let lo = if i == 0 { 0 } else { self.addr[i - 1] << 2 };
                let hi = self.addr[i] << 2;
                (lo < hi).then_some((lo, hi))
            }
            PMP_A_NAPOT => {
                let ones = self.addr[i].trailing_ones();
                let size = 8u64 << ones;
                let base = (self.addr[i] & !((1u64 << ones) - 1)) << 2;
                Some((base, base + size))
            }
            _ => None,
        }
    }

    /// The permissions a U-mode access to `[addr, addr + len)` gets from this image, as the
    /// hardware decides: the lowest-numbered entry matching any byte must contain them all
    /// (None: no entry matches, or the match is partial; the access fails).
    pub fn decide(&self, addr: u64, len: u64) -> Option<SegPerms> {
        let end = addr.checked_add(len.max(1))?;
        for i in 0..self.used {
            if let Some((lo, hi)) = self.range(i) {
                if addr < hi && lo < end {
                    return (lo <= addr && end <= hi)
                        .then(|| SegPerms::from_bits_truncate(self.cfg[i] & 7));
                }
            }
        }
        None
    }
}

/// A process's segments, sorted by base, and how many PMP entries they may use.
#[derive(Clone, Debug)]
pub struct SegTable {
    segs: alloc::vec::Vec<Segment>,
    pmp_entries: usize,
}

/// The NAPOT encoding of `[base, base + len)`, if it is a naturally aligned power of two of
/// at least 8 bytes.
fn napot(base: u64, len: u64) -> Option<u64> {
    (len >= 8 && len.is_power_of_two() && base & (len - 1) == 0)
        .then(|| (base >> 2) | ((len >> 3) - 1))
}

/// Builds the image of `segs` (sorted, disjoint); None if it needs more than `limit`
/// entries.
fn build(segs: &[Segment], limit: usize) -> Option<PmpImage> {
    let limit = limit.min(PMP_MAX);
    let mut img = PmpImage::EMPTY;
    let mut n = 0;
    // The top of the last entry if it was TOR (the bottom a chained TOR entry would get).
    let mut tor_top: Option<u64> = None;
    for (k, s) in segs.iter().enumerate() {
        let perms = s.perms.bits() & 7;
        let chains = tor_top == Some(s.base) || (n == 0 && s.base == 0);
        if chains {
            if n >= limit {
                return None;
            }
        } else if let Some(a) = napot(s.base, s.len) {
            if n >= limit {
                return None;
            }
            img.cfg[n] = PMP_A_NAPOT | perms;
            img.addr[n] = a;
            img.entry_of[k] = n as u8;
            n += 1;
            tor_top = None;
            continue;
        } else {
            if n + 2 > limit {
                return None;
            }
            img.cfg[n] = PMP_A_OFF;
            img.addr[n] = s.base >> 2;
            n += 1;
        }
        img.cfg[n] = PMP_A_TOR | perms;
        img.addr[n] = s.end() >> 2;
        img.entry_of[k] = n as u8;
        n += 1;
        tor_top = Some(s.end());
    }
    img.used = n;
    Some(img)
}

impl SegTable {
    /// An empty table whose image may use `pmp_entries` entries (at most 64).
    pub fn new(pmp_entries: usize) -> SegTable {
        SegTable {
            segs: alloc::vec::Vec::new(),
            pmp_entries: pmp_entries.min(PMP_MAX),
        }
    }

    /// PMP entries the image may use.
    pub fn pmp_entries(&self) -> usize {
        self.pmp_entries
    }

    fn valid(base: u64, len: u64) -> bool {
        len > 0
            && base.is_multiple_of(4)
            && len.is_multiple_of(4)
            && base.checked_add(len).is_some()
    }

    /// Adds a segment: Overlap if it meets another, NoPmpEntry if the image would need more
    /// entries than exist, Invalid if empty, unaligned (4-byte PMP grain) or wrapping.
    pub fn insert(&mut self, s: Segment) -> Result<(), SegError> {
        if !Self::valid(s.base, s.len) {
            return Err(SegError::Invalid);
        }
        let at = self.segs.partition_point(|o| o.base < s.base);
        let prev_overlaps = at > 0 && self.segs[at - 1].end() > s.base;
        let next_overlaps = at < self.segs.len() && self.segs[at].base < s.end();
        if prev_overlaps || next_overlaps {
            return Err(SegError::Overlap);
        }
        self.segs.insert(at, s);
        if build(&self.segs, self.pmp_entries).is_none() {
            self.segs.remove(at);
            return Err(SegError::NoPmpEntry);
        }
        Ok(())
    }

    /// Removes the segment starting at `base`.
    pub fn remove(&mut self, base: u64) -> Option<Segment> {
        let at = self.segs.iter().position(|s| s.base == base)?;
        Some(self.segs.remove(at))
    }

    /// Changes the length of the segment at `base` (brk, a munmap of a tail): Overlap if it
    /// would reach the next segment, NoPmpEntry if the image would no longer fit (a
    /// shrink can break a chain), Invalid for no such segment or a bad length.
    pub fn set_len(&mut self, base: u64, len: u64) -> Result<(), SegError> {
        let at = self
            .segs
            .iter()
            .position(|s| s.base == base)
            .ok_or(SegError::Invalid)?;
        if !Self::valid(base, len) {
            return Err(SegError::Invalid);
        }
        if at + 1 < self.segs.len() && base + len > self.segs[at + 1].base {
            return Err(SegError::Overlap);
        }
        let old = self.segs[at].len;
        self.segs[at].len = len;
        if build(&self.segs, self.pmp_entries).is_none() {
            self.segs[at].len = old;
            return Err(SegError::NoPmpEntry);
        }
        Ok(())
    }

    /// Changes the permissions of the segment at `base` (mprotect of a whole segment).
    pub fn set_perms(&mut self, base: u64, perms: SegPerms) -> Result<(), SegError> {
        let s = self
            .segs
            .iter_mut()
            .find(|s| s.base == base)
            .ok_or(SegError::Invalid)?;
        s.perms = perms;
        Ok(())
    }

    /// The segments, by base.
    pub fn segments(&self) -> &[Segment] {
        &self.segs
    }

    /// The segment holding byte `addr`.
    pub fn containing(&self, addr: u64) -> Option<&Segment> {
        let at = self.segs.partition_point(|s| s.base <= addr);
        let s = self.segs.get(at.checked_sub(1)?)?;
        (addr < s.end()).then_some(s)
    }

    /// Whether `[addr, addr + len)` is covered by segments (adjacent ones chain) that each
    /// grant `need`. A range of length 0 is always acceptable.
    pub fn check(&self, addr: u64, len: u64, need: SegPerms) -> bool {
        if len == 0 {
            return true;
        }
        let Some(end) = addr.checked_add(len) else {
            return false;
        };
        let mut at = addr;
        while at < end {
            match self.containing(at) {
                Some(s) if s.perms.contains(need) => at = s.end(),
                _ => return false,
            }
        }
        true
    }

    /// The PMP registers that give U-mode exactly these segments.
    pub fn pmp_image(&self) -> PmpImage {
        // insert and set_len keep the table within the entries it has.
        build(&self.segs, self.pmp_entries).unwrap_or(PmpImage::EMPTY)
    }

    /// Bytes in all segments.
    pub fn bytes(&self) -> u64 {
        self.segs.iter().map(|s| s.len).sum()
    }
}

/// Whether freeing `ranges` (start, bytes) would leave a run of free memory of at least
/// `bytes`, given the free `holes` (start, bytes) now: the test that a segmented process's
/// segments, swapped out, make the room a segment needs. Touching ranges join.
pub fn frees_a_run(holes: &[(u64, u64)], ranges: &[(u64, u64)], bytes: u64) -> bool {
    if bytes == 0 {
        return true;
    }
    let mut all: alloc::vec::Vec<(u64, u64)> = holes
        .iter()
        .chain(ranges)
        .map(|&(s, l)| (s, s.saturating_add(l)))
        .collect();
    all.sort_unstable();
    let mut run: Option<(u64, u64)> = None;
    for (s, e) in all {
        let (rs, re) = match run {
            Some((rs, re)) if s <= re => (rs, re.max(e)),
            _ => (s, e),
        };
        if re - rs >= bytes {
            return true;
        }
        run = Some((rs, re));
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    const RW: SegPerms = SegPerms::R.union(SegPerms::W);
    const RX: SegPerms = SegPerms::R.union(SegPerms::X);

    fn seg(base: u64, len: u64, perms: SegPerms, kind: SegKind) -> Segment {
        Segment {
            base,
            len,
            perms,
            kind,
        }
    }

    /// The image grants exactly the segments: each segment's bytes get its permissions from
    /// the entry `entry_of` names, and the bytes around every segment get nothing unless
    /// another segment holds them.
    fn agrees(t: &SegTable) {
        let img = t.pmp_image();
        for (k, s) in t.segments().iter().enumerate() {
            let e = img.entry_of[k] as usize;
            let (lo, hi) = img.range(e).expect("entry programmed");
            assert_eq!((lo, hi), (s.base, s.end()), "segment {k} entry {e}");
            assert_eq!(img.decide(s.base, 8), Some(s.perms));
            assert_eq!(img.decide(s.end() - 8, 8), Some(s.perms));
            for probe in [s.base.wrapping_sub(4), s.end()] {
                let want = t.containing(probe).map(|o| o.perms);
                assert_eq!(img.decide(probe, 4), want, "byte {probe:#x}");
            }
        }
        for i in img.used..PMP_MAX {
            assert_eq!((img.cfg[i], img.addr[i]), (0, 0));
        }
        assert!(img.cfg.iter().all(|c| c & 0x80 == 0), "L never set");
    }

    #[test]
    fn adjacent_segments_chain_tor_entries() {
        let mut t = SegTable::new(16);
        t.insert(seg(0x8100_0000, 0x3000, RX, SegKind::Text))
            .unwrap();
        t.insert(seg(0x8100_3000, 0x5000, RW, SegKind::Data))
            .unwrap();
        let img = t.pmp_image();
        assert_eq!(img.used, 3, "OFF base, TOR text, TOR data chained");
        assert_eq!(img.cfg[0], PMP_A_OFF);
        assert_eq!(img.addr[0], 0x8100_0000 >> 2);
        assert_eq!(img.cfg[1], PMP_A_TOR | 5);
        assert_eq!(img.addr[1], 0x8100_3000 >> 2);
        assert_eq!(img.cfg[2], PMP_A_TOR | 3);
        assert_eq!(img.addr[2], 0x8100_8000 >> 2);
        assert_eq!(&img.entry_of[..2], &[1, 2]);
        agrees(&t);
        // The hardware refuses an access straddling the two entries; check() chains them.
        assert_eq!(img.decide(0x8100_2ffc, 8), None);
        assert!(t.check(0x8100_2000, 0x2000, SegPerms::R));
        assert!(!t.check(0x8100_2000, 0x2000, SegPerms::W), "text is not W");
        assert!(!t.check(0x8100_7000, 0x2000, SegPerms::R), "runs past data");
    }

    #[test]
    fn a_gap_costs_an_off_entry() {
        let mut t = SegTable::new(16);
        t.insert(seg(0x8100_0000, 0x3000, RX, SegKind::Text))
            .unwrap();
        t.insert(seg(0x8200_1000, 0x3000, RW, SegKind::Stack))
            .unwrap();
        let img = t.pmp_image();
        assert_eq!(img.used, 4);
        assert_eq!(img.cfg[2], PMP_A_OFF);
        assert_eq!(img.addr[2], 0x8200_1000 >> 2);
        assert_eq!(img.cfg[3], PMP_A_TOR | 3);
        agrees(&t);
        assert_eq!(img.decide(0x8100_3000, 4), None, "the gap");
        assert!(!t.check(0x8100_2000, 0x2000, SegPerms::R));
    }

    #[test]
    fn napot_where_it_saves_an_entry() {
        let mut t = SegTable::new(16);
        // 64 KiB at a 64 KiB boundary after a gap: one NAPOT entry instead of OFF + TOR.
        t.insert(seg(0x8100_0000, 0x3000, RX, SegKind::Text))
            .unwrap();
        t.insert(seg(0x8201_0000, 0x1_0000, RW, SegKind::Mmap))
            .unwrap();
        let img = t.pmp_image();
        assert_eq!(img.used, 3);
        assert_eq!(img.cfg[2], PMP_A_NAPOT | 3);
        assert_eq!(img.addr[2], (0x8201_0000 >> 2) | 0x1fff);
        agrees(&t);
        // A segment right after the NAPOT one cannot chain on it: OFF + TOR.
        t.insert(seg(0x8202_0000, 0x3000, RW, SegKind::Mmap))
            .unwrap();
        assert_eq!(t.pmp_image().used, 5);
        agrees(&t);
        // Text in one NAPOT entry, then data right after it (OFF + TOR): 3 entries, as many
        // as OFF + TOR + chained TOR would take; two NAPOT-shaped neighbours take 2.
        let mut u = SegTable::new(16);
        u.insert(seg(0x8000_3000, 0x1000, RX, SegKind::Text))
            .unwrap();
        u.insert(seg(0x8000_4000, 0x5000, RW, SegKind::Data))
            .unwrap();
        assert_eq!(u.pmp_image().used, 3);
        agrees(&u);
        u.set_len(0x8000_4000, 0x4000).unwrap();
        assert_eq!(u.pmp_image().used, 2);
        agrees(&u);
    }

    #[test]
    fn entries_run_out() {
        // 16 entries: text + data = 3, stack = 2, then 2 per (non-NAPOT) mmap: 5 mmaps.
        let mut t = SegTable::new(16);
        t.insert(seg(0x8100_0000, 0x3000, RX, SegKind::Text))
            .unwrap();
        t.insert(seg(0x8100_3000, 0x5000, RW, SegKind::Data))
            .unwrap();
        t.insert(seg(0x8f00_0000, 0x3000, RW, SegKind::Stack))
            .unwrap();
        for k in 0..5 {
            t.insert(seg(0x8200_0000 + k * 0x10_0000, 0x3000, RW, SegKind::Mmap))
                .unwrap();
        }
        assert_eq!(t.pmp_image().used, 15);
        agrees(&t);
        assert_eq!(
            t.insert(seg(0x8300_0000, 0x3000, RW, SegKind::Mmap)),
            Err(SegError::NoPmpEntry)
        );
        assert_eq!(t.segments().len(), 8, "the refused segment is not kept");
        // One more entry is enough for a segment that chains, or a NAPOT one.
        t.insert(seg(0x8100_8000, 0x3000, RW, SegKind::Mmap))
            .unwrap();
        assert_eq!(t.pmp_image().used, 16);
        assert_eq!(
            t.insert(seg(0x8400_0000, 0x1000, RW, SegKind::Mmap)),
            Err(SegError::NoPmpEntry),
            "not even a NAPOT one once all 16 are used"
        );
        agrees(&t);
        // Shrinking the data segment breaks the chain: one more entry, none left.
        assert_eq!(t.set_len(0x8100_3000, 0x4000), Err(SegError::NoPmpEntry));
        assert_eq!(t.segments()[1].len, 0x5000, "unchanged");
    }

    #[test]
    fn overlaps_and_bad_segments_are_refused() {
        let mut t = SegTable::new(16);
        t.insert(seg(0x8100_0000, 0x3000, RX, SegKind::Text))
            .unwrap();
        t.insert(seg(0x8100_8000, 0x3000, RW, SegKind::Data))
            .unwrap();
        for (b, l) in [
            (0x8100_2000, 0x1000),
            (0x80ff_f000, 0x2000),
            (0x8100_0000, 0x10_000),
        ] {
            assert_eq!(
                t.insert(seg(b, l, RW, SegKind::Mmap)),
                Err(SegError::Overlap)
            );
        }
        assert_eq!(
            t.insert(seg(0x9000_0000, 0, RW, SegKind::Mmap)),
            Err(SegError::Invalid)
        );
        assert_eq!(
            t.insert(seg(0x9000_0002, 0x1000, RW, SegKind::Mmap)),
            Err(SegError::Invalid)
        );
        assert_eq!(
            t.insert(seg(u64::MAX - 0xfff, 0x2000, RW, SegKind::Mmap)),
            Err(SegError::Invalid)
        );
        // set_len: growing into the next segment is refused; up to it is fine (chains).
        assert_eq!(t.set_len(0x8100_0000, 0x9000), Err(SegError::Overlap));
        t.set_len(0x8100_0000, 0x8000).unwrap();
        assert_eq!(t.pmp_image().used, 3);
        agrees(&t);
        assert_eq!(t.set_len(0x8100_1000, 0x1000), Err(SegError::Invalid));
        assert_eq!(t.bytes(), 0xb000);
        assert_eq!(t.remove(0x8100_0000).map(|s| s.kind), Some(SegKind::Text));
        assert_eq!(t.remove(0x8100_0000), None);
        assert_eq!(t.containing(0x8100_0000), None);
        assert_eq!(
            t.containing(0x8100_a000).map(|s| s.kind),
            Some(SegKind::Data)
        );
        assert!(t.check(0x1234, 0, SegPerms::W), "empty range");
        assert!(!t.check(u64::MAX, 2, SegPerms::R), "wraps");
    }

    #[test]
    fn empty_table_grants_nothing() {
        let t = SegTable::new(16);
        let img = t.pmp_image();
        assert_eq!(img.used, 0);
        assert_eq!(img.decide(0x8000_0000, 4), None);
        assert!(!t.check(0x8000_0000, 1, SegPerms::R));
    }

    #[test]
    fn segment_at_zero_chains_on_entry_zeros_bottom() {
        let mut t = SegTable::new(1);
        t.insert(seg(0, 0x3000, RW, SegKind::Data)).unwrap();
        let img = t.pmp_image();
        assert_eq!((img.used, img.cfg[0]), (1, PMP_A_TOR | 3));
        agrees(&t);
    }

    #[test]
    fn freed_ranges_join_the_holes_around_them() {
        let holes = [(0x1000, 0x1000), (0x5000, 0x2000)];
        // 0x2000..0x5000 freed joins both holes: 0x1000..0x7000.
        assert!(frees_a_run(&holes, &[(0x2000, 0x3000)], 0x6000));
        assert!(!frees_a_run(&holes, &[(0x2000, 0x3000)], 0x6001));
        // A range that touches nothing stands alone.
        assert!(frees_a_run(&holes, &[(0x9000, 0x4000)], 0x4000));
        assert!(!frees_a_run(&holes, &[(0x9000, 0x3000)], 0x4000));
        // Several ranges of one process chain with each other and the holes.
        assert!(frees_a_run(
            &holes,
            &[(0x2000, 0x1000), (0x3000, 0x2000)],
            0x6000
        ));
        assert!(!frees_a_run(&holes, &[(0x2000, 0x1000)], 0x3000));
        assert!(frees_a_run(&[], &[], 0), "nothing needed");
        assert!(!frees_a_run(&[], &[], 1));
    }
}
