//! The host-side fast path under translation: shortcuts that skip the TLB *search* but never
//! the TLB *model*.
//!
//! Every translation the fast path makes is one the modelled TLB would make at that moment,
//! from the same entry, and it leaves the same counters and LRU stamps (docs/MMU.md, "The
//! fast path under translation"). Two parts:
//!
//! - **Data** ([`FastTlb`]): for loads and stores, a direct-mapped table per access type,
//!   indexed by the low bits of the virtual page number, remembering for a 4 KiB virtual page
//!   its physical page and the TLB slot that maps it. A hit counts as a TLB hit on that slot
//!   at once (`Tlb::count_hits`): the counters and the stamp are written as the lookup would
//!   write them.
//! - **Fetch** ([`FetchRun`]): the hart's decoded-instruction cache already remembers the
//!   page it executes from. Under translation that page is tied to the TLB slot that mapped
//!   it, and its hits are counted after the fact: every instruction fetched there is one hit,
//!   and the entry's last use is the last of those fetches. The catch-up happens whenever the
//!   order could matter (before a refill chooses a victim) and whenever the run ends.
//!   Pages fetched from before are remembered ([`FastTlb::fetch_lookup`], kept and forgotten
//!   as the data tables are), so that coming back to one is a few loads and the TLB hit it
//!   stands for (`Mmu::switch_fetch_run`), not a translation.
//!
//! With paging off (satp Bare below M-mode, or M-mode with a locked PMP entry) the data
//! tables serve too: an entry maps a page to itself with [`NO_SLOT`], filled when PMP gives
//! the whole page one answer that allows the access and the page is RAM; a hit counts
//! nothing (there is no TLB lookup to stand for). The fetch side then needs no run: the
//! hart keeps its fetch page where PMP allows fetches throughout it (`Translated::fetch_bare`).
//!
//! An entry is only filled when the model would give the same answer for the whole 4 KiB
//! page with no side effect: the TLB holds the entry a lookup would hit first, its
//! permissions pass for the access type without an A/D update, PMP gives the whole page one
//! answer that allows the access, and the page is RAM. It is dropped when any of that may
//! change: the TLB slot is refilled or fenced, a refill covers the page, or the context
//! changes (privilege, satp, mstatus, PMP: [`FastTlb::flush`], O(1) by generation).

use super::{Access, Leaf};

/// Entries per access type (a power of two). 512 pages (2 MiB of data) fit without a
/// conflict when they are contiguous, as many as a large TLB holds (`--tlb 1024x4` keeps
/// 512 pages resident): with fewer, such a working set would hit the TLB but miss here on
/// every access and take the slower common path. Only the entries a loop uses are touched,
/// so a small working set pays nothing for the size, and a flush is O(1) by generation.
pub const ENTRIES: usize = 512;

/// The slot of an entry no TLB entry stands behind: a page of a Bare translation (satp
/// Bare in S or U-mode, or M-mode with a locked PMP entry), where only PMP is consulted and
/// the TLB counts nothing. [`crate::mmu::Mmu::fast_data`] counts no hit for it.
pub const NO_SLOT: usize = u32::MAX as usize;

/// Entries of the remembered fetch pages ([`FastTlb::fetch_lookup`]), a power of two: as
/// many as the data tables, so that the code pages a large program calls between (SQLite's
/// shell is 1.5 MiB) rarely share an entry; a flush is O(1) by generation whatever the size.
pub const FETCH_ENTRIES: usize = 512;

/// 32 bytes, aligned: compiled code finds an entry with a shift, and none straddles a cache
/// line.
#[derive(Clone, Copy, Debug)]
#[repr(C, align(32))]
struct Entry {
    /// The virtual page number (`va >> 12`, at most 52 bits) in bits 51:0 and the
    /// generation it was filled in in bits 63:52: one compare checks both. 0 when empty
    /// (generations start at 1).
    key: u64,
    /// The physical address of the 4 KiB page less the virtual one (wrapping): an address
    /// on the page plus this is its physical address.
    delta: u64,
    /// `delta` plus the host bias ([`FastTlb::set_host_bias`]): an address on the page plus
    /// this is the host address of its byte, for compiled loads.
    host: u64,
    /// The TLB slot holding the translation.
    slot: u32,
}

/// Bits of an [`Entry`] key holding the VPN.
const VPN_MASK: u64 = (1 << 52) - 1;
/// Generations run from 1 to 4095 (12 bits, so a key never equals [`EMPTY`]'s), then the
/// tables are cleared.
const EMPTY: Entry = Entry {
    key: 0,
    delta: 0,
    host: 0,
    slot: 0,
};

/// The data part: one table for loads, one for stores.
#[derive(Clone, Debug)]
pub struct FastTlb {
    load: [Entry; ENTRIES],
    store: [Entry; ENTRIES],
    /// Remembered fetch pages: a code page the hart executed from, the TLB slot its fetch
    /// run was tied to (or [`NO_SLOT`] under a Bare translation PMP allows throughout the
    /// page) and its physical page, so that coming back to it needs no TLB search
    /// (`Mmu::switch_fetch_page`). Kept exactly as the data tables: filled where a fetch's
    /// translation returns a slot the fetch run may be tied to (`Translated::fetch_slot`)
    /// or `fetch_bare`, forgotten with the page or the generation.
    fetch: [Entry; FETCH_ENTRIES],
    /// The current generation, shifted into place (bits 63:52 of a key); entries of another
    /// generation are stale.
    gen: u64,
    /// The host address of guest physical address 0 (wrapping), as entries' `host` holds it.
    host_bias: u64,
}

impl Default for FastTlb {
    fn default() -> FastTlb {
        FastTlb {
            load: [EMPTY; ENTRIES],
            store: [EMPTY; ENTRIES],
            fetch: [EMPTY; FETCH_ENTRIES],
            gen: 1 << 52,
            host_bias: 0,
        }
    }
}

#[inline(always)]
fn fetch_index(vpn: u64) -> usize {
    vpn as usize & (FETCH_ENTRIES - 1)
}

#[inline(always)]
fn index(vpn: u64) -> usize {
    vpn as usize & (ENTRIES - 1)
}

impl FastTlb {
    fn table(&self, access: Access) -> &[Entry; ENTRIES] {
        match access {
            Access::Store => &self.store,
            _ => &self.load,
        }
    }

    fn table_mut(&mut self, access: Access) -> &mut [Entry; ENTRIES] {
        match access {
            Access::Store => &mut self.store,
            _ => &mut self.load,
        }
    }

    /// The physical address of `va` and the TLB slot behind it, if remembered.
    #[inline(always)]
    pub fn lookup(&self, va: u64, access: Access) -> Option<(u64, usize)> {
        let vpn = va >> 12;
        let e = &self.table(access)[index(vpn)];
        (e.key == vpn | self.gen).then_some((va.wrapping_add(e.delta), e.slot as usize))
    }

    /// Remembers that `va`'s page maps to `pa_page` through TLB slot `slot` for `access`
    /// (a load or a store).
    pub fn fill(&mut self, va: u64, access: Access, pa_page: u64, slot: usize) {
        debug_assert!(access != Access::Fetch);
        let (vpn, new) = self.entry_for(va, pa_page, slot);
        self.table_mut(access)[index(vpn)] = new;
    }

    /// The entry of the current generation that maps `va`'s 4 KiB page to `pa_page`
    /// through `slot`, and the page's VPN.
    #[inline(always)]
    fn entry_for(&self, va: u64, pa_page: u64, slot: usize) -> (u64, Entry) {
        let vpn = (va >> 12) & VPN_MASK;
        let delta = pa_page.wrapping_sub(va & !0xfff);
        let new = Entry {
            key: vpn | self.gen,
            delta,
            host: delta.wrapping_add(self.host_bias),
            slot: slot as u32,
        };
        (vpn, new)
    }

    /// The remembered fetch page of `va`: its physical page and the TLB slot behind it
    /// ([`NO_SLOT`] for a Bare translation).
    #[inline(always)]
    pub fn fetch_lookup(&self, va: u64) -> Option<(u64, usize)> {
        let vpn = (va >> 12) & VPN_MASK;
        let e = &self.fetch[fetch_index(vpn)];
        let pa_page = (va & !0xfff).wrapping_add(e.delta);
        (e.key == vpn | self.gen).then_some((pa_page, e.slot as usize))
    }

    /// Remembers that fetches from `va`'s page go to `pa_page` through TLB slot `slot` (or
    /// [`NO_SLOT`]).
    #[inline]
    pub fn fetch_fill(&mut self, va: u64, pa_page: u64, slot: usize) {
        let (vpn, new) = self.entry_for(va, pa_page, slot);
        self.fetch[fetch_index(vpn)] = new;
    }

    /// [`FastTlb::fill`] of `va`'s page for the access types in `mask` (bit 1 load, bit 2
    /// store, as [`Access::index`]).
    #[inline(always)]
    pub fn fill_mask(&mut self, va: u64, mask: u8, pa_page: u64, slot: usize) {
        let (vpn, new) = self.entry_for(va, pa_page, slot);
        let i = index(vpn);
        if mask & 2 != 0 {
            self.load[i] = new;
        }
        if mask & 4 != 0 {
            self.store[i] = new;
        }
    }

    /// Makes entries hold host addresses for guest RAM whose physical address 0 is at host
    /// address `bias` (wrapping; compiled code's, `Hart::jit_call`). A new bias forgets
    /// every entry, whose `host` was for the old one.
    #[inline]
    pub fn set_host_bias(&mut self, bias: u64) {
        if bias != self.host_bias {
            self.host_bias = bias;
            self.flush();
        }
    }

    /// Forgets everything (the translation context changed): a new generation.
    #[inline]
    pub fn flush(&mut self) {
        self.gen = self.gen.wrapping_add(1 << 52);
        if self.gen == 0 {
            // Entries of the generation about to be reused could come back to life.
            self.load.fill(EMPTY);
            self.store.fill(EMPTY);
            self.fetch.fill(EMPTY);
            self.gen = 1 << 52;
        }
    }

    /// Forgets every page `leaf` covers: the one entry per table a 4 KiB page can occupy, or
    /// everything for a superpage.
    pub fn forget(&mut self, leaf: &Leaf) {
        self.forget_page(leaf.va_base, leaf.level);
    }

    /// [`FastTlb::forget`] of the (super)page at `va_base` of level `level`.
    #[inline(always)]
    pub fn forget_page(&mut self, va_base: u64, level: u8) {
        if level > 0 {
            self.flush();
            return;
        }
        self.forget_4k(va_base);
    }

    /// [`FastTlb::forget`] of the 4 KiB page at `va_page`.
    #[inline(always)]
    pub fn forget_4k(&mut self, va_page: u64) {
        let vpn = (va_page >> 12) & VPN_MASK;
        let i = index(vpn);
        // Only an entry of this generation can answer a lookup; a key of 0 matches none
        // (generations start at 1), and the rest of the entry may stay.
        let key = vpn | self.gen;
        if self.load[i].key == key {
            self.load[i].key = 0;
        }
        if self.store[i].key == key {
            self.store[i].key = 0;
        }
        let f = &mut self.fetch[fetch_index(vpn)];
        if f.key == key {
            f.key = 0;
        }
    }

    /// For compiled code that looks the data tables up itself (`hart::jit`): the load and
    /// store tables and the current generation; their entries are laid out as
    /// [`ENTRY_LAYOUT`] says. A lookup there must be exactly [`FastTlb::lookup`]: entry
    /// `(va >> 12) & (ENTRIES - 1)`, a hit when its key equals `(va >> 12) | gen`. The
    /// pointers are valid while `self` is neither moved nor dropped.
    pub fn jit_view(&self) -> FastView {
        FastView {
            load: self.load.as_ptr() as *const u8,
            store: self.store.as_ptr() as *const u8,
            gen: self.gen,
        }
    }
}

/// What [`FastTlb::jit_view`] returns.
#[derive(Clone, Copy, Debug)]
pub struct FastView {
    pub load: *const u8,
    pub store: *const u8,
    pub gen: u64,
}

/// Where compiled code finds an entry's fields: the size of an entry (a power of two), and
/// the offsets of `key` (u64), `slot` (u32), `delta` (u64: the physical address of `va`
/// on the page is `va + delta`, wrapping) and `host` (u64: its host address is `va + host`,
/// for the bias last set).
#[derive(Clone, Copy, Debug)]
pub struct EntryLayout {
    pub size: usize,
    pub key: usize,
    pub slot: usize,
    pub delta: usize,
    pub host: usize,
}

/// The layout of the data tables' entries ([`FastTlb::jit_view`]).
pub const ENTRY_LAYOUT: EntryLayout = EntryLayout {
    size: core::mem::size_of::<Entry>(),
    key: core::mem::offset_of!(Entry, key),
    slot: core::mem::offset_of!(Entry, slot),
    delta: core::mem::offset_of!(Entry, delta),
    host: core::mem::offset_of!(Entry, host),
};
const _: () = assert!(ENTRY_LAYOUT.size.is_power_of_two());

/// The fetch part: the page the hart is executing from, tied to a TLB slot.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FetchRun {
    /// The TLB slot that maps the page.
    pub slot: usize,
    /// Virtual address of the 4 KiB page.
    pub va_page: u64,
    /// Index of the last instruction whose fetch has been counted: the one whose slow fetch
    /// opened the run, or the last one caught up to. Later instructions up to the end of the
    /// run were fetched here.
    pub counted: u64,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mmu::pte::PteFlags;

    fn leaf(va_base: u64, level: u8) -> Leaf {
        Leaf {
            va_base,
            pa_base: 0x8000_0000,
            level,
            flags: PteFlags::V | PteFlags::R,
            pte_addr: 0,
            asid: 0,
        }
    }

    #[test]
    fn fill_lookup_and_forget() {
        let mut f = FastTlb::default();
        assert_eq!(f.lookup(0x1234, Access::Load), None);
        f.fill(0x1000, Access::Load, 0x8000_5000, 7);
        assert_eq!(f.lookup(0x1234, Access::Load), Some((0x8000_5234, 7)));
        assert_eq!(
            f.lookup(0x1234, Access::Store),
            None,
            "tables are per access"
        );
        assert_eq!(f.lookup(0x1000 + 4096 * ENTRIES as u64, Access::Load), None);
        f.forget(&leaf(0x1000, 0));
        assert_eq!(f.lookup(0x1234, Access::Load), None);
    }

    #[test]
    fn flush_and_superpages_forget_everything() {
        let mut f = FastTlb::default();
        f.fill(0x1000, Access::Store, 0x8000_5000, 1);
        f.flush();
        assert_eq!(f.lookup(0x1000, Access::Store), None);
        f.fill(0x1000, Access::Store, 0x8000_5000, 1);
        f.forget(&leaf(0x4000_0000, 1));
        assert_eq!(f.lookup(0x1000, Access::Store), None);
    }

    #[test]
    fn the_top_page_and_empty_entries_do_not_collide() {
        let mut f = FastTlb::default();
        let top = !0xfffu64;
        assert_eq!(f.lookup(top, Access::Load), None);
        assert_eq!(f.lookup(0, Access::Load), None);
        f.fill(top, Access::Load, 0x8000_5000, 3);
        assert_eq!(f.lookup(u64::MAX, Access::Load), Some((0x8000_5fff, 3)));
        f.forget(&leaf(top, 0));
        assert_eq!(f.lookup(top, Access::Load), None);
    }

    #[test]
    fn a_new_host_bias_forgets_entries_and_later_ones_hold_it() {
        let mut f = FastTlb::default();
        f.fill(0x1000, Access::Load, 0x8000_5000, 1);
        f.set_host_bias(0x7000_0000_0000);
        assert_eq!(
            f.lookup(0x1000, Access::Load),
            None,
            "filled for the old bias"
        );
        f.fill(0x1000, Access::Load, 0x8000_5000, 1);
        let e = f.load[index(1)];
        // va + host: the host address of the physical byte, as compiled loads compute it.
        assert_eq!(
            0x1234u64.wrapping_add(e.host),
            0x7000_0000_0000 + 0x8000_5234
        );
        assert_eq!(f.lookup(0x1234, Access::Load), Some((0x8000_5234, 1)));
        let gen = f.gen;
        f.set_host_bias(0x7000_0000_0000);
        assert_eq!(f.gen, gen, "the same bias again forgets nothing");
    }

    #[test]
    fn a_wrapped_generation_does_not_revive_old_entries() {
        let mut f = FastTlb::default();
        f.fill(0x1000, Access::Load, 0x8000_5000, 1);
        f.gen = 0xfff << 52;
        f.fill(0x2000, Access::Load, 0x8000_6000, 2);
        f.flush(); // wraps: tables cleared, gen back to 1
        assert_eq!(f.gen, 1 << 52);
        assert_eq!(f.lookup(0x1000, Access::Load), None);
        assert_eq!(f.lookup(0x2000, Access::Load), None);
    }
}
