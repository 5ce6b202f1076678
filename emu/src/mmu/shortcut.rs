//! The shortcuts beneath [`Mmu::translate`]: ways to reach the same result without the
//! general path, each leaving exactly what the general path would have left (the same
//! counters, LRU stamps, TLB contents and faults; docs/MMU.md, "The fast path under
//! translation" and "The common translation").
//!
//! - **The common translation** ([`Mmu::translate_common`], and [`Mmu::data_miss`] for the
//!   hart's loads and stores): a TLB hit whose entry serves the access as it is, or a TLB
//!   miss whose walk reads well-formed PTEs down to a 4 KiB leaf that needs no A/D update,
//!   on a RAM page PMP is uniform over. It splits into a pure part that finds
//!   ([`Mmu::find_common`]: returning None has changed nothing) and a commit
//!   ([`Mmu::commit_common`]). Faults, A/D updates, superpage walks, devices and PMP edge
//!   cases take the general path.
//! - **The fast tables** ([`fast::FastTlb`]): a 4 KiB page a TLB entry serves for loads or
//!   stores, remembered so that the next access needs no TLB search
//!   ([`Mmu::fast_data`], which counts the TLB hit it stands for). Filled from the general
//!   path ([`Mmu::fill_fast`], [`Mmu::fill_fast_bare`]) and from the common translation;
//!   forgotten with the TLB entry behind them ([`Mmu::refill`], fences, context changes).
//! - **The fetch run** ([`fast::FetchRun`]): the page the hart executes from is tied to its
//!   TLB slot, and its fetches are counted as hits after the fact
//!   ([`Mmu::catch_up_fetch_run`]); a page fetched from before is switched back to without a
//!   translation ([`Mmu::switch_fetch_run`]).
//!
//! Their equivalence with the general path is tested: `mmu/tests.rs`
//! (`the_common_path_agrees_with_the_general_path`,
//! `remembered_fetch_pages_agree_with_the_general_path`), `tests/tests/mmu_fast_path.rs` (whole programs with the shortcuts on and off) and
//! `bench::tests` (the benchmark loops' counters).

use super::{fast, mode, pmp, pte, tlb, walk, Access, Leaf, Mmu, TranslateCtx, Translated};
use crate::addr::PhysAddr;
use crate::bus::Ram;
use crate::isa::Priv;

/// A translation context with paging on, as [`Mmu::find_common`] uses it: satp with its
/// mode (level count) and ASID decoded, the effective privilege (S or U), SUM and MXR, and
/// what the leaf check needs of them.
#[derive(Clone, Copy, Debug)]
pub(super) struct PagedCtx {
    satp: u64,
    /// The paging mode's level count: 3, 4 or 5.
    levels: u8,
    asid: u16,
    prv: Priv,
    sum: bool,
    mxr: bool,
    /// [`walk::serves_mask`]'s table row for this privilege, SUM and MXR.
    serves: &'static [u8; 256],
}

impl PagedCtx {
    /// None when translation is off: M-mode, or satp Bare.
    #[inline(always)]
    pub(super) fn new(satp: u64, prv: Priv, sum: bool, mxr: bool) -> Option<PagedCtx> {
        if prv == Priv::M {
            return None;
        }
        Some(PagedCtx {
            satp,
            levels: mode::PagingMode::from_satp(satp)?.levels,
            asid: walk::satp_asid(satp),
            prv,
            sum,
            mxr,
            serves: walk::serves_row(prv, sum, mxr),
        })
    }
}

/// What the pure part of the common translation found ([`Mmu::find_common`]), for its
/// commit ([`Mmu::commit_common`]).
#[derive(Clone, Copy, Debug)]
enum Common {
    /// A TLB hit on `slot`, an entry that serves the access as it is, on a RAM page, PMP
    /// uniform over the entry's whole (super)page and allowing the access.
    Hit {
        slot: usize,
        /// Physical address of `va`'s 4 KiB page.
        pa_page: u64,
        /// Bit `access.index()` set: the entry serves that access type as it is and PMP
        /// allows it throughout the 4 KiB page (the fast path's fill test per table).
        mask: u8,
    },
    /// A miss whose walk ends in a 4 KiB leaf that serves the access without an A/D update.
    Miss(CommonMiss),
}

/// A common TLB miss ([`Common::Miss`]).
#[derive(Clone, Copy, Debug)]
struct CommonMiss {
    /// The leaf PTE and its physical address.
    pte: pte::Pte,
    pte_addr: u64,
    /// As [`Common::Hit`]'s.
    mask: u8,
    /// The paging mode's level count: the PTEs the walk read.
    levels: u8,
    /// satp.ASID.
    asid: u16,
    /// Where the refill goes.
    victim: tlb::Victim,
}

impl Mmu {
    /// The common translation for [`Mmu::translate`]: an aligned access of at most 8 bytes,
    /// paging on, the fast path on. None: nothing changed, take the general path.
    #[inline(always)]
    pub(super) fn translate_common(
        &mut self,
        va: u64,
        len: u64,
        access: Access,
        ctx: &TranslateCtx,
        ram: &Ram,
    ) -> Option<Translated> {
        if !self.fast_on() || len > 8 || va & (len - 1) != 0 {
            return None;
        }
        let paged = PagedCtx::new(ctx.satp, ctx.prv, ctx.sum, ctx.mxr)?;
        let c = self.find_common(va, access, &paged, ram)?;
        let (pa, fetch_slot) = self.commit_common(va, access, ctx.now, c);
        if let Some(slot) = fetch_slot {
            self.fast.fetch_fill(va, pa & !0xfff, slot);
        }
        Some(Translated {
            pa,
            pte_written: None,
            fetch_slot,
            fetch_bare: false,
        })
    }

    /// After the general path translated a fetch: a page the hart may keep as its fetch page
    /// (tied to a slot, or Bare with PMP allowing fetches throughout it) is one it may come
    /// back to without a TLB search.
    #[inline(always)]
    pub(super) fn remember_fetch_page(&mut self, va: u64, t: &Translated) {
        if let Some(slot) = t.fetch_slot {
            self.fast.fetch_fill(va, t.pa & !0xfff, slot);
        } else if t.fetch_bare {
            self.fast.fetch_fill(va, t.pa & !0xfff, fast::NO_SLOT);
        }
    }

    /// The remembered fetch page of `va` ([`fast::FastTlb::fetch_lookup`]): its physical
    /// page and the TLB slot behind it ([`fast::NO_SLOT`] for a Bare translation). Changes
    /// nothing; [`Mmu::switch_fetch_run`] then does what the translation would have done.
    ///
    /// An entry is there only while a fetch translation of `va` at this moment would hit that
    /// slot first (or, Bare, touch no TLB), pass the leaf check without an A/D update and
    /// PMP over the whole page, on a RAM page: the fast path's data entries' invariant, kept
    /// by the same forgetting (docs/MMU.md, "The fast path under translation").
    #[inline(always)]
    pub fn remembered_fetch_page(&self, va: u64) -> Option<(u64, usize)> {
        self.fast.fetch_lookup(va)
    }

    /// A change of the hart's fetch page to the remembered page of `va_page` with `slot`
    /// ([`Mmu::remembered_fetch_page`]), by instruction `insn`: exactly what the slow fetch
    /// path leaves there — the old run's fetches counted up to the instruction before, the
    /// TLB lookup of this fetch (phase 0: `insn * 4`) counted as a hit on `slot` with its
    /// stamp, and a run opened on the new page — or, with [`fast::NO_SLOT`], nothing
    /// counted and no run (no TLB takes part in a Bare translation).
    #[inline(always)]
    pub fn switch_fetch_run(&mut self, va_page: u64, slot: usize, insn: u64) {
        self.end_fetch_run(insn.saturating_sub(1));
        if slot != fast::NO_SLOT {
            self.tlb.count_hit(slot, Access::Fetch, insn * 4);
            self.open_fetch_run(slot, va_page, insn);
        }
    }

    /// A change of the hart's fetch page to `va`'s page, for instruction `insn` in
    /// privilege `prv` under `satp`, when the MMU does not remember the page
    /// ([`Mmu::remembered_fetch_page`]) but the common translation serves the fetch (a TLB
    /// hit the fast table forgot, or a common 4 KiB miss): exactly what the slow fetch path
    /// leaves there — the old run's fetches counted up to the instruction before, the
    /// lookup (and walk and refill) of this fetch counted at phase 0 (`insn * 4`), the page
    /// remembered, and a run opened on it. `usable` is asked first, with the physical page,
    /// whether the caller can go on there (its decoded slot for `va`); returns its answer
    /// with the physical page. None: nothing the guest or the counters can see changed
    /// (tracing, the fast path off, Bare, a translation the general path must make, or
    /// `usable` said no).
    #[inline(never)]
    pub fn fetch_miss<T>(
        &mut self,
        va: u64,
        satp: u64,
        prv: Priv,
        insn: u64,
        ram: &Ram,
        usable: impl FnOnce(u64) -> Option<T>,
    ) -> Option<(u64, T)> {
        if !self.fast_on() || self.tracing {
            return None;
        }
        // SUM and MXR play no part in a fetch's leaf check.
        let ctx = PagedCtx::new(satp, prv, false, false)?;
        self.bind_ram(ram);
        // The slow path ends the run before its lookup, so the lookup's victim choice sees
        // the run's entry stamped with its last fetch. Counting the run's fetches so far
        // gives the stamps that choice sees, and changes nothing else: every later end of
        // this run counts up to this instruction at least (they were all fetched there).
        let last = insn.saturating_sub(1);
        self.catch_up_fetch_run(last);
        let c = self.find_common(va, Access::Fetch, &ctx, ram)?;
        let pa_page = match &c {
            Common::Hit { pa_page, .. } => *pa_page,
            Common::Miss(m) => m.pte.ppn() << crate::addr::PAGE_SHIFT,
        };
        let answer = usable(pa_page)?;
        self.end_fetch_run(last);
        let (pa, slot) = self.commit_common(va, Access::Fetch, insn * 4, c);
        debug_assert_eq!(pa & !0xfff, pa_page);
        let slot = slot.expect("a fetch's common translation ties the page to a slot");
        self.fast.fetch_fill(va, pa_page, slot);
        self.open_fetch_run(slot, va & !0xfff, insn);
        Some((pa_page, answer))
    }

    /// The common translation (a TLB hit, or a common TLB miss) in one place, for the hart's
    /// loads and stores that the fast path's tables did not serve: [`Mmu::translate`] with the same outcome when it returns `Some(pa)`
    /// (see [`Mmu::find_common`]); None when it changed nothing and the caller must ask
    /// [`Mmu::translate`]. Never while tracing.
    ///
    /// One out-of-line copy per access type ([`Mmu::data_miss_of`]), so that each has its
    /// counters' indices and its permission bit as constants.
    #[inline(always)]
    pub fn data_miss(&mut self, va: u64, access: Access, now: u64, ram: &Ram) -> Option<u64> {
        debug_assert!(access != Access::Fetch);
        match access {
            Access::Store => self.data_miss_of::<true>(va, now, ram),
            _ => self.data_miss_of::<false>(va, now, ram),
        }
    }

    /// [`Mmu::data_miss`] for a store (`STORE`) or a load.
    #[inline(never)]
    pub fn data_miss_of<const STORE: bool>(&mut self, va: u64, now: u64, ram: &Ram) -> Option<u64> {
        self.bind_ram(ram);
        let access = if STORE { Access::Store } else { Access::Load };
        debug_assert!(self.data_ctx.is_none() || self.fast_on() && !self.tracing);
        let c = self.find_common(va, access, self.data_ctx.as_ref()?, ram)?;
        Some(self.commit_common(va, access, now, c).0)
    }

    /// Sets the context of loads and stores for [`Mmu::data_miss`]: satp, the effective
    /// privilege (after MPRV), SUM and MXR. The hart calls it whenever one of them may have
    /// changed (where it drops the fast path: trap entry, xRET, every CSR write). With the
    /// fast path off or tracing, there is none: [`Mmu::data_miss`] then serves nothing,
    /// and the hart need not test those itself.
    pub fn set_data_ctx(&mut self, satp: u64, prv: Priv, sum: bool, mxr: bool) {
        self.data_ctx = if self.fast_on() && !self.tracing {
            PagedCtx::new(satp, prv, sum, mxr)
        } else {
            None
        };
    }

    /// What [`Mmu::set_data_ctx`] was last told, if it translates (for assertions).
    pub fn data_ctx(&self) -> Option<(u64, Priv, bool, bool)> {
        self.data_ctx.map(|c| (c.satp, c.prv, c.sum, c.mxr))
    }

    /// The common translation, its pure part: paging on, an aligned access of at most 8
    /// bytes (so inside one 4 KiB page), and either
    ///
    /// - a TLB hit whose entry (of any page size) serves the access as it is, or
    /// - a TLB miss (the TLB may hold entries of any page size) and a walk that reads
    ///   well-formed PTEs from RAM where PMP lets it, down to a 4 KiB leaf that serves the
    ///   access with no A/D update,
    ///
    /// on a RAM page PMP is uniform over and allows. Then [`Mmu::commit_common`] counts the
    /// lookup (and the walk with its PTE reads), refills the TLB on a miss and fills the
    /// fast path as [`Mmu::translate`] would. Anything else returns None, and nothing has
    /// changed (a PTE read is not a side effect until counted): the general path decides
    /// faults, A/D updates, superpage walks, PMP oddities, devices.
    ///
    /// Split in two: this part borrows the MMU shared, so returning None cannot have changed
    /// anything, and the commit starts from the few values it found.
    ///
    /// Only with the fast path on: with it off every translation takes the general path,
    /// which is how the tests compare the two (`tests/tests/mmu_fast_path.rs`,
    /// `bench::tests`, and `tests::the_common_path_agrees_with_the_general_path`).
    #[inline(always)]
    fn find_common(&self, va: u64, access: Access, ctx: &PagedCtx, ram: &Ram) -> Option<Common> {
        #[cfg(test)]
        if self.no_common {
            return None;
        }
        debug_assert_eq!(ram.size(), self.ram_size, "find_common with an unbound RAM");
        // The probe and, on a miss, the victim choice.
        let victim = match self.tlb.find_4k(va, ctx.asid) {
            tlb::Found::Miss(v) => v,
            tlb::Found::Hit(slot) => return self.find_hit(va, access, ctx, ram, slot),
        };
        let pmp = &self.pmp;
        let read = |pa| {
            if pmp.pte_page_known(pa) {
                // SAFETY: the PTE-page cache remembers only pages that lie in a RAM of
                // `self.ram_size` bytes (`Pmp::check_pte_read_slow`, reached only through
                // methods that call `bind_ram` first), and `ram` has that size (the callers,
                // `translate` and `data_miss_of`, bound it, as asserted above); RAM's base is
                // always RAM_BASE.
                Some(unsafe { ram.read_le_unchecked::<8>(PhysAddr(pa)) })
            } else if pmp.check_pte_read_slow(pa, ram) {
                ram.read_u64(PhysAddr(pa))
            } else {
                None
            }
        };
        let levels = ctx.levels;
        // Sv39 first: the kernel's usual mode.
        let (pte, pte_addr) = if levels == 3 {
            walk::walk_4k::<3>(ctx.satp, va, read)
        } else if levels == 4 {
            walk::walk_4k::<4>(ctx.satp, va, read)
        } else {
            debug_assert_eq!(levels, 5);
            walk::walk_4k::<5>(ctx.satp, va, read)
        }?;
        let pte = pte::Pte(pte);
        let pa_page = pte.ppn() << crate::addr::PAGE_SHIFT;
        let allowed = self.pmp.uniform_mask_su(pa_page, ctx.prv)?;
        let mask = self.serving_mask(pte.flags(), pa_page, allowed, access, ctx, ram)?;
        Some(Common::Miss(CommonMiss {
            pte,
            pte_addr,
            mask,
            levels,
            asid: ctx.asid,
            victim,
        }))
    }

    /// [`Mmu::find_common`] after its probe hit `slot`: the general path's hit (the lookup
    /// counts it and the leaf check passes without an A/D update, then PMP allows the
    /// access), when the page is RAM and PMP is uniform over the whole (super)page, as
    /// `Mmu::fill_fast` requires to fill the fast path from it.
    #[inline(always)]
    fn find_hit(
        &self,
        va: u64,
        access: Access,
        ctx: &PagedCtx,
        ram: &Ram,
        slot: usize,
    ) -> Option<Common> {
        let leaf = self.tlb.leaf_at(slot);
        let pa_page = leaf.translate(va) & !0xfff;
        let allowed = if leaf.level == 0 {
            self.pmp.uniform_mask_su(pa_page, ctx.prv)?
        } else {
            self.pmp
                .uniform_mask_su_over(leaf.pa_base, leaf.page_size(), ctx.prv)?
        };
        let mask = self.serving_mask(leaf.flags, pa_page, allowed, access, ctx, ram)?;
        Some(Common::Hit {
            slot,
            pa_page,
            mask,
        })
    }

    /// The access types a leaf with `flags` serves as it is at `ctx` and PMP allows
    /// (`allowed`, throughout the leaf) on the RAM page at `pa_page`, as a mask by
    /// [`Access::index`]; None if that leaves out `access` or the page is not RAM.
    #[inline(always)]
    fn serving_mask(
        &self,
        flags: pte::PteFlags,
        pa_page: u64,
        allowed: u8,
        access: Access,
        ctx: &PagedCtx,
        ram: &Ram,
    ) -> Option<u8> {
        let mask = ctx.serves[flags.bits() as usize] & allowed;
        if mask >> access.index() & 1 == 0 || !ram.contains_n::<4096>(PhysAddr(pa_page)) {
            return None;
        }
        Some(mask)
    }

    /// The common translation, its commit: what the general path does after the same lookup
    /// (and walk) [`Mmu::find_common`] found. Returns the physical address and, for a
    /// fetch, the slot to tie the fetch page to.
    #[inline(always)]
    fn commit_common(
        &mut self,
        va: u64,
        access: Access,
        now: u64,
        c: Common,
    ) -> (u64, Option<usize>) {
        #[cfg(test)]
        {
            self.common_misses += 1;
        }
        let (slot, pa_page, mask) = match c {
            Common::Hit {
                slot,
                pa_page,
                mask,
            } => {
                #[cfg(test)]
                {
                    self.common_hits += 1;
                }
                // The lookup's count and stamp, and `fill_fast` (which forgets nothing).
                self.tlb.count_hit(slot, access, now);
                let pa = pa_page | (va & 0xfff);
                if access == Access::Fetch {
                    return (pa, Some(slot));
                }
                self.fast.fill_mask(va, mask, pa_page, slot);
                return (pa, None);
            }
            Common::Miss(m) => {
                self.tlb.count_miss(access);
                let a = access.index();
                self.stats.walks[a] += 1;
                self.stats.pte_reads[a] += m.levels as u64;
                let pa_page = m.pte.ppn() << crate::addr::PAGE_SHIFT;
                let leaf = Leaf {
                    va_base: va & !0xfff,
                    pa_base: pa_page,
                    level: 0,
                    flags: m.pte.flags(),
                    pte_addr: m.pte_addr,
                    asid: m.asid,
                };
                (self.refill(leaf, now, Some(m.victim)), pa_page, m.mask)
            }
        };
        let pa = pa_page | (va & 0xfff);
        if access == Access::Fetch {
            return (pa, Some(slot));
        }
        // `fill_fast` for the load and store tables.
        self.fast.fill_mask(va, mask, pa_page, slot);
        (pa, None)
    }

    /// With paging off, after an access PMP allowed: the fast path for its 4 KiB page, if
    /// the page is RAM and PMP gives all of it one answer — the data tables (page to itself,
    /// [`fast::NO_SLOT`]) for each of load and store that answer allows, or for a fetch
    /// `fetch_bare`. Nothing is counted: no TLB takes part in a Bare translation. What the
    /// page's entries serve later is decided by PMP's answer for the whole page, whatever
    /// the size of the access that filled them.
    #[cold]
    pub(super) fn fill_fast_bare(
        &mut self,
        out: &mut Translated,
        access: Access,
        prv: Priv,
        ram: &Ram,
    ) {
        let page = out.pa & !0xfff;
        if !ram.contains(PhysAddr(page), 4096) {
            return;
        }
        let Some(perms) = self.pmp.uniform_over(page, 4096, prv) else {
            return;
        };
        if access == Access::Fetch {
            out.fetch_bare = perms.allows(Access::Fetch);
            return;
        }
        for a in [Access::Load, Access::Store] {
            if perms.allows(a) {
                self.fast.fill(page, a, page, fast::NO_SLOT);
            }
        }
    }

    /// Before a refill chooses its victim, the fetch page's entry gets the stamp of its
    /// latest use: this instruction's fetch, which came from it.
    #[inline(always)]
    pub(super) fn restamp_fetch_run(&mut self, now: u64) {
        if let Some(run) = &self.fetch_run {
            self.tlb.restamp(run.slot, now & !3);
        }
    }

    /// After a refill of `slot` with `leaf` (`displaced`: it evicted or overwrote an
    /// entry): the fetch run ends if its entry is gone or the new leaf covers its page.
    #[inline(always)]
    pub(super) fn after_refill(&mut self, slot: usize, displaced: bool, leaf: &Leaf, now: u64) {
        if let Some(run) = self.fetch_run {
            let displaced_run = displaced && run.slot == slot;
            if displaced_run || leaf.covers(run.va_page) {
                self.end_fetch_run(now >> 2);
                self.fetch_run_dropped = true;
            }
        }
    }

    /// Fills the fast path for `va`'s 4 KiB page from the entry in `slot`, for every data
    /// access type the model would serve from it unchanged; for a fetch, returns the slot if
    /// the fetch page may be tied to it. `leaf_perms` is PMP's answer for the whole leaf,
    /// if uniform. `first`: the caller knows `slot` is the entry a lookup of `va` would hit
    /// first (else the TLB is searched). See [`fast`] for the conditions.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn fill_fast(
        &mut self,
        va: u64,
        wctx: &walk::WalkCtx,
        asid: u16,
        slot: usize,
        first: bool,
        leaf: &Leaf,
        leaf_perms: Option<pmp::Perms>,
        ram: &Ram,
    ) -> Option<usize> {
        debug_assert!(!first || self.tlb.probe(va, asid) == Some(slot));
        if !first && self.tlb.probe(va, asid) != Some(slot) {
            return None; // an entry searched earlier would answer a lookup
        }
        let pa_page = leaf.translate(va & !0xfff);
        if !ram.contains(PhysAddr(pa_page), 4096) {
            return None;
        }
        // Uniform over the leaf means uniform over each of its 4 KiB pages.
        let perms = leaf_perms?;
        let serves =
            |access: Access| perms.allows(access) && walk::serves_as_is(leaf.flags, wctx, access);
        if wctx.access == Access::Fetch {
            return serves(Access::Fetch).then_some(slot);
        }
        for access in [Access::Load, Access::Store] {
            if serves(access) {
                self.fast.fill(va, access, pa_page, slot);
            }
        }
        None
    }

    /// A load or store through the fast path: the physical address, counted as the TLB hit
    /// it stands for. None: take the long way.
    #[inline(always)]
    pub fn fast_data(&mut self, va: u64, access: Access, now: u64) -> Option<u64> {
        let (pa, slot) = self.fast.lookup(va, access)?;
        // Compiled code relies on it (`DataPath::Paged`): the tables are emptied at every
        // change of context, and a translating one fills them from TLB slots only.
        debug_assert!(
            slot != fast::NO_SLOT || self.data_ctx.is_none(),
            "a paged context's fast-table entry stands for a TLB slot"
        );
        if slot != fast::NO_SLOT {
            self.tlb.count_fast_hit(slot, access, now);
        }
        Some(pa)
    }

    /// The hart ties its fetch page (`va_page`) to TLB slot `slot`; instruction `insn`'s
    /// fetch, which found the slot, has been counted.
    pub fn open_fetch_run(&mut self, slot: usize, va_page: u64, insn: u64) {
        debug_assert!(self.fetch_run.is_none());
        self.fetch_run = Some(fast::FetchRun {
            slot,
            va_page,
            counted: insn,
        });
    }

    /// Ends the fetch run, if any, after counting the fetches made in it up to instruction
    /// `last` (each one TLB hit on its slot).
    pub fn end_fetch_run(&mut self, last: u64) {
        self.catch_up_fetch_run(last);
        self.fetch_run = None;
    }

    /// Counts the fetch run's fetches up to instruction `last` and keeps it going: for
    /// readers of the counters mid-run.
    pub fn catch_up_fetch_run(&mut self, last: u64) {
        if let Some(run) = &mut self.fetch_run {
            if last > run.counted {
                let n = last - run.counted;
                self.tlb.count_hits(run.slot, Access::Fetch, n, last * 4);
                run.counted = last;
            }
        }
    }

    /// Whether a refill ended the fetch run since the last call.
    #[inline]
    pub fn take_fetch_run_dropped(&mut self) -> bool {
        // Read first: the flag is rarely set, and then only written.
        if !self.fetch_run_dropped {
            return false;
        }
        self.fetch_run_dropped = false;
        true
    }
}
