//! Physical memory protection registers (priv/machine.adoc, "Physical Memory Protection").
//!
//! This module holds `pmpcfg*`/`pmpaddr*` with their WARL rules and the checks the MMU makes
//! on every physical access: [`Pmp::check`] for one access, and [`Pmp::uniform_over`], which
//! tells the MMU whether a whole page has one PMP answer so that a TLB entry may cache it
//! (Spike's rule: a TLB refill is refused where PMP is not uniform across the page).
//!
//! Grain: G = 0 (4-byte granularity), so NA4 is selectable and every pmpaddr bit 53:0 is
//! writable. pmpaddr holds bits 55:2 of a 56-bit physical address.
//!
//! Ranges are computed as half-open `u128` intervals `[lo, hi)` so that a NAPOT region
//! covering the whole 2^56 (or more) space and an access ending at 2^64 cannot overflow.

use crate::addr::PhysAddr;
use crate::bus::ram::Ram;
use crate::isa::Access;
use crate::isa::Priv;
use bitflags::bitflags;
use core::cell::Cell;

/// Most PMP entries the spec allows (and the option's upper bound).
pub const MAX_ENTRIES: usize = 64;

/// pmpcfg bit fields.
pub mod cfg {
    pub const R: u8 = 1 << 0;
    pub const W: u8 = 1 << 1;
    pub const X: u8 = 1 << 2;
    pub const A_SHIFT: u8 = 3;
    pub const A: u8 = 3 << A_SHIFT;
    pub const A_OFF: u8 = 0;
    pub const A_TOR: u8 = 1;
    pub const A_NA4: u8 = 2;
    pub const A_NAPOT: u8 = 3;
    pub const L: u8 = 1 << 7;
}

bitflags! {
    /// Permissions a PMP entry (or the no-match rule) grants one privilege mode. The bit
    /// positions are those of pmpcfg.
    #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
    pub struct Perms: u8 {
        /// Loads are allowed.
        const R = cfg::R;
        /// Stores (and AMOs) are allowed.
        const W = cfg::W;
        /// Instruction fetches are allowed.
        const X = cfg::X;
    }
}

impl Perms {
    /// Whether these permissions allow `access`.
    #[inline]
    pub fn allows(self, access: Access) -> bool {
        self.contains(match access {
            Access::Load => Perms::R,
            Access::Store => Perms::W,
            Access::Fetch => Perms::X,
        })
    }
}

impl Perms {
    /// Bit `access.index()` set for each access type these permissions allow.
    #[inline(always)]
    pub fn access_mask(self) -> u8 {
        let b = self.bits();
        // X (bit 2) → fetch (bit 0), R (bit 0) → load (bit 1), W (bit 1) → store (bit 2).
        (b & cfg::X) >> 2 | (b & (cfg::R | cfg::W)) << 1
    }
}

/// How the range `[lo, hi)` relates to an entry's region.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Overlap {
    Partial,
    Full,
}

/// Which entry decided an access ([`Pmp::decide`]): what a translation trace shows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Decision {
    /// No entry matches any byte: M-mode succeeds, S and U fail.
    NoMatch,
    /// Entry `n`, the lowest-numbered match, covers every byte: its permissions decide.
    Entry(u8),
    /// Entry `n`, the lowest-numbered match, covers only some bytes: the access fails.
    Partial(u8),
}

/// The PMP register file.
#[derive(Clone, Debug)]
pub struct Pmp {
    /// Implemented entries (16 by default; entries past it read as zero and ignore writes).
    entries: usize,
    cfg: [u8; MAX_ENTRIES],
    addr: [u64; MAX_ENTRIES],
    /// Each entry's range as [`Pmp::range`] computes it (`(0, 0)` for none), recomputed on
    /// every register write: the checks run on every physical access, writes are rare.
    ranges: [(u128, u128); MAX_ENTRIES],
    /// One past the last entry with a non-empty range: the checks look no further.
    active: usize,
    /// The non-empty ranges in priority order, as inclusive `(first byte, last byte, entry)`
    /// (every range ends below 2^57, so u64 holds it): what the checks search when the
    /// access's last byte fits in a u64, which is every access but a wrapping one.
    spans: [(u64, u64, u8); MAX_ENTRIES],
    n_spans: usize,
    /// The first span with what its entry grants S and U mode (L does not matter below M)
    /// as a [`Perms::access_mask`], for [`Pmp::uniform_mask_su`]; `(1, 0, _)`, matching
    /// nothing, when there is none.
    first_su: (u64, u64, u8),
    /// Physical page numbers (direct-mapped by their low bits) where PMP is known to allow
    /// S-mode loads everywhere ([`Pmp::uniform_over`] the page includes R), so that the
    /// page-table walker's PTE reads there need no search ([`Pmp::check_pte_read`]).
    /// [`NO_PAGE`] when empty; emptied by every register write. A cache of answers the
    /// registers determine: nothing the guest can observe.
    pte_pages: [Cell<u64>; PTE_PAGES],
}

/// Entries of [`Pmp`]'s PTE-page cache (a power of two: a walk touches one table per level).
const PTE_PAGES: usize = 8;
/// An empty PTE-page cache entry (no physical page number reaches it).
const NO_PAGE: u64 = u64::MAX;

impl Pmp {
    /// A PMP with `entries` implemented entries (clamped to 0..=64), all OFF.
    pub fn new(entries: usize) -> Pmp {
        Pmp {
            entries: entries.min(MAX_ENTRIES),
            cfg: [0; MAX_ENTRIES],
            addr: [0; MAX_ENTRIES],
            ranges: [(0, 0); MAX_ENTRIES],
            active: 0,
            spans: [(0, 0, 0); MAX_ENTRIES],
            n_spans: 0,
            first_su: (1, 0, 0),
            pte_pages: core::array::from_fn(|_| Cell::new(NO_PAGE)),
        }
    }

    /// Recomputes the decoded ranges after a register write.
    fn decode_ranges(&mut self) {
        self.decode_spans();
        self.first_su = match self.spans[..self.n_spans].first() {
            Some(&(lo, last, i)) => (
                lo,
                last,
                self.entry_perms(i as usize, Priv::S).access_mask(),
            ),
            None => (1, 0, 0),
        };
    }

    /// Forgets the PTE pages [`Pmp::check_pte_read`] remembered (the MMU was given another
    /// RAM, see `Mmu::bind_ram`).
    pub(crate) fn forget_pte_pages(&self) {
        self.pte_pages.iter().for_each(|c| c.set(NO_PAGE));
    }

    fn decode_spans(&mut self) {
        self.active = 0;
        self.n_spans = 0;
        self.forget_pte_pages();
        for i in 0..self.entries {
            self.ranges[i] = self.range(i).unwrap_or((0, 0));
            if self.ranges[i] != (0, 0) {
                self.active = i + 1;
                let (lo, hi) = self.ranges[i];
                debug_assert!(hi <= 1 << 57);
                self.spans[self.n_spans] = (lo as u64, (hi - 1) as u64, i as u8);
                self.n_spans += 1;
            }
        }
    }

    /// Number of implemented entries.
    pub fn entries(&self) -> usize {
        self.entries
    }

    /// Configuration byte of entry `i`.
    pub fn cfg(&self, i: usize) -> u8 {
        self.cfg[i]
    }

    /// Address register of entry `i`.
    pub fn addr(&self, i: usize) -> u64 {
        self.addr[i]
    }

    fn locked(&self, i: usize) -> bool {
        self.cfg[i] & cfg::L != 0
    }

    /// Reads pmpcfg`n` (RV64: only even `n` exist; the caller rejects odd ones). Each holds
    /// the configuration bytes of entries 4n .. 4n+7.
    pub fn read_cfg(&self, n: usize) -> u64 {
        (0..8).fold(0, |acc, b| acc | (self.cfg[n * 4 + b] as u64) << (8 * b))
    }

    /// Writes pmpcfg`n`: locked entries ignore the write; R=0 W=1 is reserved and is
    /// legalized to R=0 W=0; the two reserved bits 6:5 read as zero.
    pub fn write_cfg(&mut self, n: usize, val: u64) {
        for b in 0..8 {
            let i = n * 4 + b;
            if i >= self.entries || self.locked(i) {
                continue;
            }
            let mut c = (val >> (8 * b)) as u8 & !0x60;
            if c & cfg::R == 0 {
                c &= !cfg::W;
            }
            self.cfg[i] = c;
        }
        self.decode_ranges();
    }

    /// Reads pmpaddr`i`.
    pub fn read_addr(&self, i: usize) -> u64 {
        if i < self.entries {
            self.addr[i]
        } else {
            0
        }
    }

    /// Writes pmpaddr`i` (bits 53:0, address bits 55:2): ignored when entry `i` is locked, or
    /// when entry `i + 1` is a locked TOR entry, whose bottom this register is.
    pub fn write_addr(&mut self, i: usize, val: u64) {
        if i >= self.entries || self.locked(i) {
            return;
        }
        if i + 1 < self.entries
            && self.locked(i + 1)
            && (self.cfg[i + 1] & cfg::A) >> cfg::A_SHIFT == cfg::A_TOR
        {
            return;
        }
        self.addr[i] = val & ((1 << 54) - 1);
        self.decode_ranges();
    }

    /// The half-open byte range `[lo, hi)` entry `i` matches, or None when it matches nothing
    /// (priv/machine.adoc, "Address Matching").
    fn range(&self, i: usize) -> Option<(u128, u128)> {
        let a = self.addr[i] as u128;
        match (self.cfg[i] & cfg::A) >> cfg::A_SHIFT {
            cfg::A_TOR => {
                // "If PMP entry 0's A field is set to TOR, zero is used for the lower bound";
                // the bottom is pmpaddr[i-1] "irrespective of the value of pmpcfg[i-1]", and
                // "if pmpaddr[i-1] >= pmpaddr[i] ... entry i matches no addresses".
                let lo = if i == 0 {
                    0
                } else {
                    (self.addr[i - 1] as u128) << 2
                };
                let hi = a << 2;
                (lo < hi).then_some((lo, hi))
            }
            cfg::A_NA4 => Some((a << 2, (a << 2) + 4)),
            cfg::A_NAPOT => {
                // Trailing ones k of pmpaddr: a 2^(k+3)-byte region (Table "NAPOT range
                // encoding"); k can reach 54 (all writable bits set).
                let size = 1u128 << (self.addr[i].trailing_ones() + 3);
                let lo = (a << 2) & !(size - 1);
                Some((lo, lo + size))
            }
            _ => None,
        }
    }

    /// What entry `i` grants `prv` once it matches: with L clear M-mode is not checked
    /// (priv/machine.adoc, "Priority and Matching Logic").
    fn entry_perms(&self, i: usize, prv: Priv) -> Perms {
        let c = self.cfg[i];
        if prv == Priv::M && c & cfg::L == 0 {
            Perms::all()
        } else {
            Perms::from_bits_truncate(c)
        }
    }

    /// What `prv` gets where no entry matches: M-mode succeeds; S and U fail if at least one
    /// entry is implemented.
    fn default_perms(&self, prv: Priv) -> Perms {
        if prv == Priv::M || self.entries == 0 {
            Perms::all()
        } else {
            Perms::empty()
        }
    }

    /// Whether M-mode accesses of at most 8 naturally aligned bytes are certain to pass, so
    /// the hart may skip the check: no active entry is locked (an unlocked full match grants
    /// M-mode everything, as does no match), and every active entry's bounds are 8-byte
    /// aligned (so such an access can never match only partly, which would fail even in
    /// M-mode). The hart caches the answer and recomputes it on every PMP register write.
    pub fn m_mode_exempt(&self) -> bool {
        (0..self.entries).all(|i| match self.range(i) {
            None => true,
            Some((lo, hi)) => self.cfg[i] & cfg::L == 0 && lo % 8 == 0 && hi % 8 == 0,
        })
    }

    /// The first entry (in priority order) that matches any byte of `[lo, hi)`, with how.
    #[inline]
    fn first_match(&self, lo: u128, hi: u128) -> Option<(usize, Overlap)> {
        // An empty access has no byte for an entry to match.
        if hi <= lo {
            return None;
        }
        (0..self.active).find_map(|i| {
            let (rlo, rhi) = self.ranges[i];
            if hi <= rlo || rhi <= lo {
                None
            } else if rlo <= lo && hi <= rhi {
                Some((i, Overlap::Full))
            } else {
                Some((i, Overlap::Partial))
            }
        })
    }

    /// [`Pmp::first_match`] for the access `[lo, last]` (inclusive, so that it needs no
    /// u128): the same answer, searched over the non-empty ranges only.
    #[inline]
    fn first_match_incl(&self, lo: u64, last: u64) -> Option<(usize, Overlap)> {
        self.spans[..self.n_spans]
            .iter()
            .find(|&&(rlo, rlast, _)| lo <= rlast && rlo <= last)
            .map(|&(rlo, rlast, i)| {
                let how = if rlo <= lo && last <= rlast {
                    Overlap::Full
                } else {
                    Overlap::Partial
                };
                (i as usize, how)
            })
    }

    /// The first entry matching `len` bytes at `pa`, with how.
    #[inline]
    fn first_match_at(&self, pa: u64, len: u64) -> Option<(usize, Overlap)> {
        match len.checked_sub(1).and_then(|l| pa.checked_add(l)) {
            Some(last) => self.first_match_incl(pa, last),
            // Empty, or running past 2^64: the u128 search.
            None => self.first_match(pa as u128, pa as u128 + len as u128),
        }
    }

    /// Whether an access of `len` bytes at physical address `pa` by privilege `prv` passes
    /// PMP. "The lowest-numbered PMP entry that matches any byte of a memory operation
    /// determines whether that operation succeeds or fails"; a match of only some bytes fails
    /// "irrespective of the L, R, W, and X bits" (priv/machine.adoc, "Priority and Matching
    /// Logic"). A zero-length access matches no entry.
    #[inline]
    pub fn check(&self, pa: u64, len: u64, access: Access, prv: Priv) -> bool {
        if self.entries == 0 {
            return true;
        }
        match self.first_match_at(pa, len) {
            None => self.default_perms(prv).allows(access),
            Some((_, Overlap::Partial)) => false,
            Some((i, Overlap::Full)) => self.entry_perms(i, prv).allows(access),
        }
    }

    /// Which entry decides an access of `len` bytes at `pa` (the one [`Pmp::check`] asks),
    /// or None when no entry is implemented (there is no PMP to ask). For traces: the
    /// checks themselves do not call it.
    #[inline]
    pub fn decide(&self, pa: u64, len: u64) -> Option<Decision> {
        if self.entries == 0 {
            return None;
        }
        Some(match self.first_match_at(pa, len) {
            None => Decision::NoMatch,
            Some((i, Overlap::Full)) => Decision::Entry(i as u8),
            Some((i, Overlap::Partial)) => Decision::Partial(i as u8),
        })
    }

    /// `check(pa, 8, Load, S)` for the page-table walker's PTE reads ("implicit accesses by
    /// the page-table walker ... are checked as S-mode", priv/supervisor.adoc), remembering
    /// the pages where the answer is yes throughout. For an 8-byte aligned `pa` in such a page
    /// the answer cannot differ: the first entry touching the page covers all of it (or none
    /// touches it), so it is the first entry the read matches, and fully.
    ///
    /// Only pages that lie wholly in `ram` are remembered, so that a page the cache knows
    /// ([`Pmp::pte_page_known`]) can be read without a RAM check. Crate-private: only the
    /// MMU fills the cache, after `Mmu::bind_ram`, which empties it when the RAM it is
    /// given changes size.
    #[inline]
    pub(crate) fn check_pte_read(&self, pa: u64, ram: &Ram) -> bool {
        if self.pte_page_known(pa) {
            return true;
        }
        self.check_pte_read_slow(pa, ram)
    }

    /// The PTE-page cache's answer alone: true when `pa` is 8-byte aligned on a page where
    /// S-mode loads are allowed throughout and that lies in RAM ([`Pmp::check_pte_read`]
    /// remembers no other); false when the cache does not know (ask `check_pte_read_slow`).
    #[inline(always)]
    pub(crate) fn pte_page_known(&self, pa: u64) -> bool {
        let page = pa >> 12;
        let cached = &self.pte_pages[page as usize & (PTE_PAGES - 1)];
        cached.get() == page && pa & 7 == 0
    }

    #[inline(never)]
    pub(crate) fn check_pte_read_slow(&self, pa: u64, ram: &Ram) -> bool {
        let page = pa >> 12;
        if pa & 7 == 0
            && ram.contains_n::<4096>(PhysAddr(page << 12))
            && self
                .uniform_over(page << 12, 4096, Priv::S)
                .is_some_and(|p| p.allows(Access::Load))
        {
            self.pte_pages[page as usize & (PTE_PAGES - 1)].set(page);
        }
        self.check(pa, 8, Access::Load, Priv::S)
    }

    /// The permissions every access by `prv` inside the page `[page_pa, page_pa + page_size)`
    /// gets, if they are the same everywhere in it, so that a TLB entry may cache them; None
    /// otherwise, and the MMU then refuses the TLB refill.
    ///
    /// The answer is uniform exactly when the first entry touching the page covers all of it
    /// (or no entry touches it). An entry that covers only part of the page makes it
    /// non-uniform even if the other part happens to get the same R/W/X: an access straddling
    /// that entry's boundary fails as a partial match, which a cached answer would miss.
    /// Cost: one interval comparison per entry, independent of the page size.
    ///
    /// The common answer comes first, inlined: a page inside the first span (the
    /// lowest-numbered active entry, which the search would find first, fully).
    #[inline(always)]
    pub fn uniform_over(&self, page_pa: u64, page_size: u64, prv: Priv) -> Option<Perms> {
        if let Some(&(lo, last, i)) = self.spans[..self.n_spans].first() {
            if lo <= page_pa
                && page_size != 0
                && page_pa
                    .checked_add(page_size - 1)
                    .is_some_and(|end| end <= last)
            {
                return Some(self.entry_perms(i as usize, prv));
            }
        }
        self.uniform_over_search(page_pa, page_size, prv)
    }

    /// [`Pmp::uniform_over`] for S or U mode and a 4 KiB page, as an [`Perms::access_mask`]
    /// (bit `access.index()` set for each access type allowed throughout the page): the
    /// first span's answer precomputed (`first_su`), the search out of line otherwise.
    #[inline(always)]
    pub fn uniform_mask_su(&self, page_pa: u64, prv: Priv) -> Option<u8> {
        debug_assert!(prv != Priv::M && page_pa & 0xfff == 0);
        let (lo, last, mask) = self.first_su;
        // page_pa is 4 KiB aligned, so page_pa + 0xfff cannot wrap.
        if lo <= page_pa && page_pa + 0xfff <= last {
            return Some(mask);
        }
        self.uniform_over_search(page_pa, 4096, prv)
            .map(Perms::access_mask)
    }

    /// [`Pmp::uniform_mask_su`] for the (super)page of `page_size` bytes at `page_pa`
    /// (aligned to its size): [`Pmp::uniform_over`] as an access mask.
    #[inline(always)]
    pub fn uniform_mask_su_over(&self, page_pa: u64, page_size: u64, prv: Priv) -> Option<u8> {
        debug_assert!(prv != Priv::M && page_pa % page_size == 0);
        let (lo, last, mask) = self.first_su;
        if lo <= page_pa
            && page_pa
                .checked_add(page_size - 1)
                .is_some_and(|end| end <= last)
        {
            return Some(mask);
        }
        self.uniform_over_search(page_pa, page_size, prv)
            .map(Perms::access_mask)
    }

    /// [`Pmp::uniform_over`] by searching every entry.
    #[inline(never)]
    fn uniform_over_search(&self, page_pa: u64, page_size: u64, prv: Priv) -> Option<Perms> {
        match self.first_match_at(page_pa, page_size) {
            None => Some(self.default_perms(prv)),
            Some((_, Overlap::Partial)) => None,
            Some((i, Overlap::Full)) => Some(self.entry_perms(i, prv)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn access_mask_follows_allows() {
        for b in 0..8u8 {
            let p = Perms::from_bits_truncate(b);
            for access in [Access::Fetch, Access::Load, Access::Store] {
                assert_eq!(p.access_mask() >> access.index() & 1 != 0, p.allows(access));
            }
        }
    }

    #[test]
    fn decide_names_the_entry_the_checks_use() {
        assert_eq!(Pmp::new(0).decide(0x8000_0000, 8), None, "no PMP to ask");
        let mut p = Pmp::new(16);
        assert_eq!(p.decide(0x8000_0000, 8), Some(Decision::NoMatch));
        // Entry 1: TOR [0x8000_1000, 0x8000_2000); entry 2: NA4 at 0x8000_2004.
        set(&mut p, 0, 0x8000_1000 >> 2, 0);
        set(&mut p, 1, 0x8000_2000 >> 2, TOR | RW);
        set(&mut p, 2, 0x8000_2004 >> 2, NA4 | R);
        assert_eq!(p.decide(0x8000_1ff8, 8), Some(Decision::Entry(1)));
        assert_eq!(p.decide(0x8000_1ffc, 8), Some(Decision::Partial(1)));
        assert_eq!(p.decide(0x8000_2004, 4), Some(Decision::Entry(2)));
        assert_eq!(p.decide(0x8000_2000, 8), Some(Decision::Partial(2)));
        assert_eq!(p.decide(0x8000_2008, 8), Some(Decision::NoMatch));
        // The same answers as `check`: a full match's permissions, a partial one fails.
        assert!(p.check(0x8000_1ff8, 8, Store, U) && !p.check(0x8000_1ffc, 8, Load, U));
    }

    #[test]
    fn cfg_warl_rules() {
        let mut p = Pmp::new(16);
        p.write_cfg(0, 0x0f_02_ff_1f);
        assert_eq!(p.cfg(0), 0x1f);
        assert_eq!(p.cfg(1), 0x9f, "reserved bits 6:5 read zero");
        assert_eq!(p.cfg(2), 0x00, "W without R is legalized");
        assert_eq!(p.cfg(3), 0x0f);
        // Entry 1 is locked: further writes to it are ignored.
        p.write_cfg(0, 0);
        assert_eq!(p.cfg(1), 0x9f);
        assert_eq!(p.cfg(0), 0);
    }

    #[test]
    fn locked_tor_protects_the_address_below() {
        let mut p = Pmp::new(16);
        p.write_addr(0, 0x1000);
        p.write_cfg(
            0,
            ((cfg::L | (cfg::A_TOR << cfg::A_SHIFT) | cfg::R) as u64) << 8,
        );
        p.write_addr(0, 0x2000);
        assert_eq!(p.read_addr(0), 0x1000);
        p.write_addr(1, 0x3000);
        assert_eq!(p.read_addr(1), 0);
    }

    const R: u8 = cfg::R;
    const RW: u8 = cfg::R | cfg::W;
    const RWX: u8 = cfg::R | cfg::W | cfg::X;
    const TOR: u8 = cfg::A_TOR << cfg::A_SHIFT;
    const NA4: u8 = cfg::A_NA4 << cfg::A_SHIFT;
    const NAPOT: u8 = cfg::A_NAPOT << cfg::A_SHIFT;
    use Access::{Fetch, Load, Store};
    use Priv::{M, S, U};

    /// Sets entry `i`'s address register (a byte address >> 2) and configuration byte.
    fn set(p: &mut Pmp, i: usize, addr: u64, c: u8) {
        p.write_addr(i, addr);
        let (n, b) = ((i / 8) * 2, i % 8);
        let old = p.read_cfg(n) & !(0xff << (8 * b));
        p.write_cfg(n, old | (c as u64) << (8 * b));
    }

    /// pmpaddr for a NAPOT region of `size` bytes at `base`.
    fn napot(base: u64, size: u64) -> u64 {
        (base | (size / 2 - 1)) >> 2
    }

    #[test]
    fn tor_matches_between_the_previous_address_and_its_own() {
        let mut p = Pmp::new(16);
        p.write_addr(0, 0x1000 >> 2); // entry 0 stays OFF: only its address is the bottom
        set(&mut p, 1, 0x2000 >> 2, TOR | R);
        assert!(p.check(0x1000, 8, Load, S));
        assert!(p.check(0x1ff8, 8, Load, U));
        assert!(!p.check(0x1ff8, 8, Store, S));
        assert!(
            !p.check(0x2000, 1, Load, S),
            "top is exclusive, no match fails for S"
        );
        assert!(!p.check(0xfff, 1, Load, S));
    }

    #[test]
    fn a_zero_length_access_matches_no_entry() {
        // Entry 1, locked, denies everything in [0x1000, 0x2000), M-mode included; with no
        // match, S/U fail and M passes: an empty access is judged as unmatched wherever it
        // lies.
        let mut p = Pmp::new(16);
        p.write_addr(0, 0x1000 >> 2);
        set(&mut p, 1, 0x2000 >> 2, TOR | cfg::L);
        assert!(!p.check(0x1800, 1, Load, M), "a byte inside: entry 1, no R");
        assert!(p.check(0x1800, 0, Load, M), "no byte: no entry, M passes");
        assert!(!p.check(0x1800, 0, Load, S), "no byte: no entry, S fails");
    }

    #[test]
    fn tor_entry_zero_starts_at_zero() {
        let mut p = Pmp::new(16);
        set(&mut p, 0, 0x1000 >> 2, TOR | RWX);
        assert!(p.check(0, 8, Fetch, U));
        assert!(p.check(0xffc, 4, Store, U));
        assert!(!p.check(0x1000, 4, Load, U));
    }

    #[test]
    fn tor_with_bottom_above_top_matches_nothing() {
        let mut p = Pmp::new(16);
        set(&mut p, 0, 0x3000 >> 2, TOR | R);
        set(&mut p, 1, 0x2000 >> 2, TOR | RWX);
        set(&mut p, 2, napot(0, 0x4000), NAPOT | RWX);
        // Entry 1 matches nothing, so 0x3000.. falls through to entry 2; 0x1000 is entry 0's.
        assert!(p.check(0x3800, 8, Store, S));
        assert!(!p.check(0x1000, 8, Store, S));
        assert_eq!(p.range(1), None);
        set(&mut p, 1, 0x3000 >> 2, TOR | RWX);
        assert_eq!(p.range(1), None, "equal bounds match nothing too");
    }

    #[test]
    fn na4_matches_four_bytes() {
        let mut p = Pmp::new(16);
        set(&mut p, 0, 0x8000_0010 >> 2, NA4 | RW);
        assert!(p.check(0x8000_0010, 4, Store, U));
        assert!(p.check(0x8000_0013, 1, Load, U));
        assert!(!p.check(0x8000_0014, 1, Load, U));
        assert!(!p.check(0x8000_0010, 4, Fetch, U));
        // The example of "Priority and Matching Logic": an 8-byte access over 0x8-0xf when
        // the highest-priority match is 0xc-0xf fails.
        set(&mut p, 1, 0xc >> 2, NA4 | RWX);
        set(&mut p, 2, napot(0, 16), NAPOT | RWX);
        assert!(!p.check(0x8, 8, Load, S));
        assert!(p.check(0x8, 4, Load, S));
    }

    #[test]
    fn napot_sizes_including_eight_bytes() {
        let mut p = Pmp::new(16);
        set(&mut p, 0, napot(0x100, 8), NAPOT | R);
        assert_eq!(p.range(0), Some((0x100, 0x108)));
        assert!(p.check(0x100, 8, Load, U));
        assert!(!p.check(0x104, 8, Load, U), "partly outside");
        assert!(!p.check(0xf8, 8, Load, U));
        set(&mut p, 1, napot(0x8000_0000, 0x20_0000), NAPOT | RWX);
        assert_eq!(p.range(1), Some((0x8000_0000, 0x8020_0000)));
        // All 54 writable bits set: the whole 2^57-byte space.
        set(&mut p, 2, (1 << 54) - 1, NAPOT | R);
        assert_eq!(p.range(2), Some((0, 1 << 57)));
        assert!(p.check((1 << 56) - 8, 8, Load, S));
    }

    #[test]
    fn lowest_numbered_match_wins() {
        let mut p = Pmp::new(16);
        set(&mut p, 0, napot(0x1000, 0x1000), NAPOT | R);
        set(&mut p, 1, napot(0, 0x10000), NAPOT | RWX);
        assert!(!p.check(0x1800, 8, Store, S), "entry 0 denies W");
        assert!(p.check(0x2800, 8, Store, S));
        // A partial match of the first entry fails even though entry 1 covers it all.
        assert!(!p.check(0xffc, 8, Load, S));
    }

    #[test]
    fn m_mode_is_checked_only_when_locked() {
        let mut p = Pmp::new(16);
        set(&mut p, 0, napot(0x1000, 0x1000), NAPOT);
        assert!(p.check(0x1000, 8, Store, M));
        assert!(!p.check(0x1000, 8, Load, S));
        set(&mut p, 0, napot(0x1000, 0x1000), NAPOT | cfg::L | cfg::X);
        assert!(!p.check(0x1000, 8, Store, M));
        assert!(p.check(0x1000, 4, Fetch, M));
        // A partial match fails even for M-mode with L clear.
        set(&mut p, 1, napot(0x4000, 0x1000), NAPOT);
        assert!(!p.check(0x3ffc, 8, Load, M));
    }

    #[test]
    fn no_match_rules() {
        let none = Pmp::new(0);
        assert!(
            none.check(0x1234, 8, Store, U),
            "no entries: everything succeeds"
        );
        assert_eq!(none.uniform_over(0, 4096, U), Some(Perms::all()));
        let mut p = Pmp::new(16);
        assert!(p.check(0x1234, 8, Store, M));
        assert!(
            !p.check(0x1234, 8, Load, S),
            "entries implemented, all OFF: S fails"
        );
        set(&mut p, 3, napot(0, 0x1000), NAPOT | RWX);
        assert!(!p.check(0x1000, 8, Load, U));
        assert!(p.check(0x1000, 8, Load, M));
    }

    #[test]
    fn uniform_over_pages() {
        let mut p = Pmp::new(16);
        // R-only for [0x8000_0000, 0x8000_0800): half of the first page.
        set(&mut p, 0, 0x8000_0000 >> 2, 0);
        set(&mut p, 1, 0x8000_0800 >> 2, TOR | R);
        set(&mut p, 2, napot(0x8000_0000, 0x20_0000), NAPOT | RWX);
        assert_eq!(
            p.uniform_over(0x8000_0000, 4096, S),
            None,
            "straddles entry 1's top"
        );
        assert_eq!(p.uniform_over(0x8000_1000, 4096, S), Some(Perms::all()));
        assert_eq!(p.uniform_over(0x8000_0000, 0x20_0000, S), None);
        assert_eq!(p.uniform_over(0x9000_0000, 4096, S), Some(Perms::empty()));
        assert_eq!(p.uniform_over(0x9000_0000, 4096, M), Some(Perms::all()));
        // Entry 1 is unlocked: M-mode sees all permissions inside it, but the page is still
        // not uniform because of the boundary.
        assert_eq!(p.uniform_over(0x8000_0000, 4096, M), None);
        set(&mut p, 1, 0x8000_1000 >> 2, TOR | R);
        assert_eq!(p.uniform_over(0x8000_0000, 4096, U), Some(Perms::R));
        // A page larger than the 8-byte NAPOT inside it is not uniform.
        set(&mut p, 0, napot(0x8000_2008, 8), NAPOT | R);
        assert_eq!(p.uniform_over(0x8000_2000, 4096, S), None);
    }

    #[test]
    fn unimplemented_entries_read_zero() {
        let mut p = Pmp::new(16);
        p.write_cfg(4, u64::MAX);
        assert_eq!(p.read_cfg(4), 0);
        p.write_addr(20, 5);
        assert_eq!(p.read_addr(20), 0);
    }

    #[test]
    fn zero_entries_are_all_read_only_zero() {
        let mut p = Pmp::new(0);
        for n in (0..16).step_by(2) {
            p.write_cfg(n, u64::MAX);
            assert_eq!(p.read_cfg(n), 0, "pmpcfg{n}");
        }
        for i in 0..MAX_ENTRIES {
            p.write_addr(i, u64::MAX);
            assert_eq!(p.read_addr(i), 0, "pmpaddr{i}");
        }
        // With no entry implemented there is no PMP: every access succeeds in every mode.
        for prv in [M, S, U] {
            assert!(p.check(0x8000_0000, 8, Store, prv));
            assert_eq!(p.uniform_over(0, 1 << 30, prv), Some(Perms::all()));
        }
        assert!(p.m_mode_exempt());
    }

    #[test]
    fn sixty_four_entries_reach_pmpcfg14_and_pmpaddr63() {
        let mut p = Pmp::new(MAX_ENTRIES);
        assert_eq!(Pmp::new(100).entries(), MAX_ENTRIES, "clamped");
        p.write_addr(63, napot(0x8000_0000, 4096));
        p.write_cfg(14, ((NAPOT | R) as u64) << 56);
        assert_eq!(p.read_cfg(14), ((NAPOT | R) as u64) << 56);
        assert_eq!(p.read_addr(63), napot(0x8000_0000, 4096));
        // Entry 63 is the only active one: it matches its page, and nothing else does.
        assert!(p.check(0x8000_0ff8, 8, Load, U));
        assert!(!p.check(0x8000_0ff8, 8, Store, U));
        assert!(!p.check(0x8000_1000, 8, Load, U));
        // Entry 56 (pmpcfg14 byte 0) wins over entry 63 where both match.
        set(&mut p, 56, napot(0x8000_0000, 8), NAPOT | RW);
        assert!(p.check(0x8000_0000, 8, Store, S));
        assert!(!p.check(0x8000_0008, 8, Store, S));
    }

    #[test]
    fn m_mode_exemption() {
        let mut p = Pmp::new(16);
        assert!(p.m_mode_exempt());
        // NAPOT over everything, RWX, unlocked (what bare-metal start-up code writes).
        p.write_addr(0, (1 << 54) - 1);
        p.write_cfg(
            0,
            ((cfg::A_NAPOT << cfg::A_SHIFT) | cfg::R | cfg::W | cfg::X) as u64,
        );
        assert!(p.m_mode_exempt());
        // An NA4 region: an 8-byte access can straddle its bounds.
        p.write_addr(1, 0x2000_0001);
        p.write_cfg(
            0,
            (((cfg::A_NA4 << cfg::A_SHIFT) | cfg::R) as u64) << 8 | p.read_cfg(0),
        );
        assert!(!p.m_mode_exempt());
        p.write_cfg(0, p.read_cfg(0) & 0xff);
        assert!(p.m_mode_exempt());
        // A locked entry applies to M-mode.
        p.write_cfg(0, p.read_cfg(0) | cfg::L as u64);
        assert!(!p.m_mode_exempt());
    }

    /// The u64 search over the non-empty ranges gives the u128 search's answer, for random
    /// configurations (every address mode, bounds near 0 and near the top of the space) and
    /// accesses, including empty ones and ones running past 2^64.
    #[test]
    fn inclusive_search_agrees_with_the_u128_search() {
        let mut seed = 0x2545_f491_4f6c_dd1du64;
        let mut rand = move || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        for _ in 0..500 {
            let mut p = Pmp::new(8);
            for i in 0..8 {
                let addr = match rand() % 4 {
                    0 => rand() % 0x1000,
                    1 => (1 << 54) - 1 - rand() % 4,
                    2 => rand(),
                    _ => (0x8000_0000 >> 2) + rand() % 0x4000,
                };
                let c = ((rand() % 4) as u8) << cfg::A_SHIFT | (rand() % 8) as u8;
                set(&mut p, i, addr, c);
            }
            for _ in 0..200 {
                let pa = match rand() % 4 {
                    0 => rand() % 0x4000,
                    1 => u64::MAX - rand() % 16,
                    2 => 0x8000_0000 + rand() % 0x10000,
                    _ => rand() >> (rand() % 64),
                };
                let len = [0, 1, 2, 4, 8, 4096, 1 << 21][(rand() % 7) as usize];
                let want = p.first_match(pa as u128, pa as u128 + len as u128);
                let got = p.first_match_at(pa, len);
                assert_eq!(
                    got.map(|(i, o)| (i, o == Overlap::Full)),
                    want.map(|(i, o)| (i, o == Overlap::Full)),
                    "pa {pa:#x} len {len}"
                );
                // The first-span shortcut of `uniform_over` answers as the search does.
                for prv in [Priv::U, Priv::S, Priv::M] {
                    assert_eq!(
                        p.uniform_over(pa, len, prv),
                        p.uniform_over_search(pa, len, prv),
                        "pa {pa:#x} len {len} {prv:?}"
                    );
                }
                // And so does the S/U one for the access's 4 KiB page.
                for prv in [Priv::U, Priv::S] {
                    let page = pa & !0xfff;
                    assert_eq!(
                        p.uniform_mask_su(page, prv),
                        p.uniform_over_search(page, 4096, prv)
                            .map(Perms::access_mask),
                        "page {page:#x} {prv:?}"
                    );
                    // And for the superpages around it.
                    for size in [1u64 << 21, 1 << 30] {
                        let base = pa & !(size - 1);
                        assert_eq!(
                            p.uniform_mask_su_over(base, size, prv),
                            p.uniform_over_search(base, size, prv)
                                .map(Perms::access_mask),
                            "superpage {base:#x}+{size:#x} {prv:?}"
                        );
                    }
                }
            }
        }
    }

    /// The PTE-page cache answers as `check` does, before and after register writes that
    /// change the answer for a cached page.
    #[test]
    fn pte_read_cache_follows_register_writes() {
        let ram = Ram::new(2 << 20).unwrap();
        let mut p = Pmp::new(16);
        let agree = |p: &Pmp| {
            for pa in [
                0x8000_0000u64,
                0x8000_0ff8,
                0x8000_1000,
                0x8000_2008,
                0x8010_0000,
            ] {
                for _ in 0..2 {
                    assert_eq!(
                        p.check_pte_read(pa, &ram),
                        p.check(pa, 8, Load, S),
                        "{pa:#x}"
                    );
                }
            }
        };
        agree(&p);
        set(&mut p, 0, napot(0x8000_0000, 1 << 20), NAPOT | R);
        agree(&p);
        assert!(
            p.pte_pages.iter().any(|c| c.get() == 0x8_0000),
            "page cached"
        );
        // Entry 0 now ends inside the cached page: its upper half is no longer readable.
        set(&mut p, 0, 0x8000_0800 >> 2, TOR | R);
        agree(&p);
        assert!(!p.check_pte_read(0x8000_0ff8, &ram));
        set(&mut p, 0, 0, 0);
        agree(&p);
        assert!(
            !p.check_pte_read(0x8000_0000, &ram),
            "no entry: S-mode fails"
        );
    }
}
