//! The memory-management unit: the single place where a hart's virtual addresses become
//! physical ones.
//!
//! satp modes Bare, Sv39, Sv48 and Sv57; [`Mmu::translate`] runs TLB lookup, walk and PMP in
//! the spec's order (docs/MMU.md). The hart asks it for every fetch, load and store except
//! where nothing can object: M-mode (after MPRV) with `Pmp::m_mode_exempt` (see
//! `Hart::translate`).

pub mod dump;
pub mod fast;
pub mod mode;
pub mod pmp;
pub mod pte;
pub mod tlb;
pub mod walk;

#[cfg(test)]
mod tests;

use crate::addr::PhysAddr;
use crate::bus::Ram;
use crate::isa::trap::Exception;
/// The kind of access, defined in the bottom layer and named here too.
pub use crate::isa::Access;
use crate::isa::Priv;

/// How the TLB took part in a translation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Lookup {
    /// No paging (satp Bare, or M-mode): the physical address is the virtual one and only PMP
    /// was consulted.
    Bare,
    /// The TLB held the translation and it was used as is.
    Hit,
    /// The TLB did not hold it: a walk.
    Miss,
    /// The TLB held an entry, but the access needed a fresh walk: an A/D update to make, or a
    /// permission failure that the walk decides (the spec lets no fault come from a cached
    /// copy alone; docs/MMU.md).
    Rewalk,
}

/// satp.MODE values (priv/supervisor.adoc, "Supervisor Address Translation and Protection
/// (satp) Register").
pub mod satp_mode {
    pub const BARE: u64 = 0;
    pub const SV39: u64 = 8;
    pub const SV48: u64 = 9;
    pub const SV57: u64 = 10;
}

/// A leaf translation: what a successful walk finds and what a TLB entry holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Leaf {
    /// Virtual address of the (super)page's first byte (canonical, sign-extended).
    pub va_base: u64,
    /// Physical address of the (super)page's first byte.
    pub pa_base: u64,
    /// Level of the leaf: 0 = 4 KiB page, 1 = 2 MiB, 2 = 1 GiB, 3 = 512 GiB, 4 = 256 TiB.
    pub level: u8,
    /// The leaf PTE's flags as they are after any A/D update by this walk.
    pub flags: pte::PteFlags,
    /// Physical address of the leaf PTE (for A/D updates on a later access).
    pub pte_addr: u64,
    /// ASID of the address space the walk ran in (satp.ASID).
    pub asid: u16,
}

impl Leaf {
    /// Size of the mapped (super)page in bytes.
    pub fn page_size(&self) -> u64 {
        4096u64 << (9 * self.level as u32)
    }

    /// Whether `va` falls inside this (super)page.
    pub fn covers(&self, va: u64) -> bool {
        va.wrapping_sub(self.va_base) < self.page_size()
    }

    /// The physical address of `va` (which must be covered).
    pub fn translate(&self, va: u64) -> u64 {
        self.pa_base + (va - self.va_base)
    }
}

/// What the hart tells the MMU about the access's context.
#[derive(Clone, Copy, Debug)]
pub struct TranslateCtx {
    pub satp: u64,
    /// Effective privilege (after mstatus.MPRV for loads and stores).
    pub prv: Priv,
    /// mstatus.SUM and mstatus.MXR.
    pub sum: bool,
    pub mxr: bool,
    /// When the access happens, for the TLB's LRU stamps: 4 × the instruction's index
    /// (`Hart::steps`) + 0 for a fetch, 1 for the second parcel of a fetch that crosses a
    /// page, 2 for a load or store.
    pub now: u64,
}

/// A translation context with paging on, as [`Mmu::find_common`] uses it: satp with its
/// mode (level count) and ASID decoded, the effective privilege (S or U), SUM and MXR, and
/// what the leaf check needs of them.
#[derive(Clone, Copy, Debug)]
struct PagedCtx {
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
    fn new(satp: u64, prv: Priv, sum: bool, mxr: bool) -> Option<PagedCtx> {
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

/// Counters beyond the TLB's own, for `--stats`. Arrays are indexed by access type (fetch,
/// load, store): the access whose translation walked.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct MmuStats {
    pub walks: [u64; 3],
    pub pte_reads: [u64; 3],
    /// A/D updates written by the walker (Svadu).
    pub pte_writes: [u64; 3],
    /// Page faults by access type.
    pub page_faults: [u64; 3],
    /// Access faults (PMP or not memory) by access type.
    pub access_faults: [u64; 3],
    /// Walks whose leaf was not cached because PMP is not uniform over the page.
    pub refills_refused: u64,
}

/// What a translation produced besides the physical address.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Translated {
    pub pa: u64,
    /// Physical address of a PTE the walk rewrote (A/D update), so the hart can keep its
    /// decoded-instruction cache coherent.
    pub pte_written: Option<u64>,
    /// For a fetch: the TLB slot the hart may tie its fetch page to ([`Mmu::open_fetch_run`]),
    /// when the fast path may serve the rest of the page.
    pub fetch_slot: Option<usize>,
    /// For a fetch with paging off: PMP allows fetches throughout the 4 KiB page and no TLB
    /// entry is involved, so the hart may keep the page as its fetch page (until the
    /// privilege, satp or PMP changes, where it forgets it) without a fetch run.
    pub fetch_bare: bool,
}

/// The MMU of one hart: TLB, walker, PMP, in the order priv/supervisor.adoc and
/// priv/machine.adoc give (docs/MMU.md, "The order of a translation").
#[derive(Debug)]
pub struct Mmu {
    pub pmp: pmp::Pmp,
    pub tlb: tlb::Tlb,
    pub ad: walk::AdMode,
    pub stats: MmuStats,
    /// Whether the host-side fast path ([`fast`]) may be filled. Set before the first
    /// [`Mmu::set_data_ctx`], which reads it (as it reads `tracing`).
    pub fast_path: bool,
    /// Set by the hart while a load or store trigger is armed: the fast path is off as if
    /// `fast_path` were (every load and store must reach the hart's slow paths, which check
    /// the triggers), without forgetting what the configuration asked for.
    pub fast_suspended: bool,
    /// Filled only by the MMU's own methods, each given the RAM it checks pages against
    /// (see `ram_size`): the hart reads fast-path pages without a second RAM check.
    pub(crate) fast: fast::FastTlb,
    /// The size of the RAM the cached knowledge was checked against: the fast path's pages
    /// and the PMP's PTE pages lie in a RAM of this size (its base is always `RAM_BASE`).
    /// Every method given a RAM first compares its size ([`Mmu::bind_ram`]) and forgets
    /// both caches when it differs, so that pages checked against one RAM are never read
    /// unchecked in another, whatever the library's user hands the MMU.
    ram_size: u64,
    fetch_run: Option<fast::FetchRun>,
    /// The context of loads and stores ([`Mmu::set_data_ctx`]), None when they are not
    /// translated, or when [`Mmu::data_miss`] must not serve them (fast path off, tracing).
    data_ctx: Option<PagedCtx>,
    /// Set when a refill ended the fetch run; the hart then forgets its fetch page.
    fetch_run_dropped: bool,
    /// Whether every translation is traced (the hart, which owns the tracer, asks
    /// [`Mmu::translate_noted`] for each): the common path then serves nothing, so that
    /// every access reaches the hart's traced path. The fast path must be off as well, or
    /// most accesses would not be seen.
    pub tracing: bool,
    /// Translations the common path ([`Mmu::find_common`]) made (for tests), and how many of
    /// them were TLB hits.
    #[cfg(test)]
    common_misses: u64,
    #[cfg(test)]
    common_hits: u64,
    /// Turns the common translation off, leaving the rest of the fast path on (for tests).
    #[cfg(test)]
    no_common: bool,
}

/// Page-table memory as the walker sees it: RAM, with every PTE access PMP-checked as an
/// S-mode access ("implicit accesses by the page-table walker ... are checked as S-mode").
struct WalkerMemory<'a, N> {
    ram: &'a mut Ram,
    pmp: &'a pmp::Pmp,
    stats: &'a mut MmuStats,
    /// The access type whose translation walks, as an index into the counters.
    access: usize,
    /// Which copy of the translation path walks (see [`Notes`]).
    notes: core::marker::PhantomData<N>,
}

impl<N> walk::PteMemory for WalkerMemory<'_, N> {
    fn read_pte(&mut self, pa: u64) -> Result<u64, ()> {
        self.stats.pte_reads[self.access] += 1;
        if !self.pmp.check_pte_read(pa, self.ram) {
            return Err(());
        }
        self.ram.read_u64(PhysAddr(pa)).ok_or(())
    }

    fn cas_pte(&mut self, pa: u64, old: u64, new: u64) -> Result<bool, ()> {
        if !self.pmp.check(pa, 8, Access::Store, Priv::S) {
            return Err(());
        }
        // One hart, and the walk runs between two instructions: the read and the write
        // cannot be separated by another store.
        match self.ram.read_u64(PhysAddr(pa)) {
            None => Err(()),
            Some(v) if v != old => Ok(false),
            Some(_) => {
                self.stats.pte_writes[self.access] += 1;
                Ok(self.ram.write(PhysAddr(pa), new.to_le_bytes()))
            }
        }
    }
}

/// What a translation tells a tracer besides its result. Implemented by [`NoNotes`], which
/// ignores it all so that the untraced translation compiles to what it would be without
/// traces, and by `TraceNotes`, which keeps it for the record.
///
/// The two make two copies of the translation path, each with its own walker
/// (`WalkerMemory<N>` gives each copy its own instance of [`walk::walk`]): with one walker
/// shared by both copies, the compiler stopped inlining it into the untraced one, and the
/// untraced path lost its ability to drop the walk record's stores (measured with
/// callgrind on sv39-miss: 5% more host instructions; with the copies apart and the
/// tracer checked once in the hart, 1.4%, against a build without traces).
trait Notes {
    /// Whether the walk's record is wanted (else the walker does not build it).
    const WANTS_WALK: bool;
    fn lookup(&mut self, l: Lookup);
    fn walk(&mut self, w: &walk::Walk);
    fn uncached(&mut self);
    /// PMP is asked about `len` bytes at physical address `pa`: the access's own address,
    /// after translation (not the walk's PTE reads).
    fn pmp(&mut self, pa: u64, len: u64);
}

struct NoNotes;

impl Notes for NoNotes {
    const WANTS_WALK: bool = false;
    #[inline(always)]
    fn lookup(&mut self, _: Lookup) {}
    #[inline(always)]
    fn walk(&mut self, _: &walk::Walk) {}
    #[inline(always)]
    fn uncached(&mut self) {}
    #[inline(always)]
    fn pmp(&mut self, _: u64, _: u64) {}
}

/// What a traced translation reports besides its result ([`Mmu::translate_noted`]): the
/// makings of a translation record, which the hart, owner of the tracer, writes.
#[cfg(feature = "trace-translations")]
#[derive(Clone, Copy, Debug)]
pub struct TraceNotes {
    /// How the TLB took part.
    pub lookup: Lookup,
    /// The walk, when one ran.
    pub walk: Option<walk::Walk>,
    /// The walk's leaf was not put in the TLB because PMP is not uniform over its page.
    pub uncached: bool,
    /// Which PMP entry decided the access at its physical address, when PMP was asked.
    pub pmp: Option<pmp::Decision>,
    /// The physical access PMP was asked about, until `pmp` is decided.
    pmp_access: Option<(u64, u64)>,
}

#[cfg(feature = "trace-translations")]
impl Notes for TraceNotes {
    const WANTS_WALK: bool = true;
    fn lookup(&mut self, l: Lookup) {
        self.lookup = l;
    }
    fn walk(&mut self, w: &walk::Walk) {
        self.walk = Some(*w);
    }
    fn uncached(&mut self) {
        self.uncached = true;
    }
    fn pmp(&mut self, pa: u64, len: u64) {
        self.pmp_access = Some((pa, len));
    }
}

impl Mmu {
    /// An MMU with `pmp_entries` PMP entries, a TLB of the given geometry and an A/D scheme.
    pub fn new(pmp_entries: usize, geometry: tlb::TlbGeometry, ad: walk::AdMode) -> Mmu {
        Mmu {
            pmp: pmp::Pmp::new(pmp_entries),
            tlb: tlb::Tlb::new(geometry),
            ad,
            stats: MmuStats::default(),
            fast_path: true,
            fast_suspended: false,
            fast: fast::FastTlb::default(),
            ram_size: 0,
            fetch_run: None,
            data_ctx: None,
            fetch_run_dropped: false,
            tracing: false,
            #[cfg(test)]
            common_misses: 0,
            #[cfg(test)]
            common_hits: 0,
            #[cfg(test)]
            no_common: false,
        }
    }

    /// Makes `ram` the RAM the caches' pages are known to lie in: when its size is not the
    /// one they were checked against, forgets them (see the `ram_size` field).
    #[inline(always)]
    pub fn bind_ram(&mut self, ram: &Ram) {
        if ram.size() != self.ram_size {
            self.rebind_ram(ram.size());
        }
    }

    #[cold]
    #[inline(never)]
    fn rebind_ram(&mut self, size: u64) {
        self.fast.flush();
        self.pmp.forget_pte_pages();
        self.ram_size = size;
    }

    /// Whether the fast path may be used now: configured on, and not suspended.
    #[inline(always)]
    pub fn fast_on(&self) -> bool {
        self.fast_path && !self.fast_suspended
    }

    /// Whether a satp value selects a mode this MMU implements (satp is WARL: a write with an
    /// unsupported mode has no effect at all).
    pub fn supports_mode(&self, satp: u64) -> bool {
        satp >> 60 == satp_mode::BARE || mode::PagingMode::from_satp(satp).is_some()
    }

    /// Translates an access of `len` bytes at `va` and checks PMP on the result: the
    /// architecture's order is [`Mmu::translate_noting`] (TLB lookup, walk on a miss, leaf
    /// check, A/D, PMP); the common translation ([`Mmu::find_common`]) is a shortcut taken
    /// first, which must leave exactly what that would (docs/MMU.md, "The common
    /// translation"). Never traces: the hart calls [`Mmu::translate_noted`] instead while it traces, so
    /// the untraced path has no trace code at all.
    #[inline]
    pub fn translate(
        &mut self,
        va: u64,
        len: u64,
        access: Access,
        ctx: &TranslateCtx,
        ram: &mut Ram,
    ) -> Result<Translated, Exception> {
        self.bind_ram(ram);
        if self.fast_on() && len <= 8 && va & (len - 1) == 0 {
            let paged = PagedCtx::new(ctx.satp, ctx.prv, ctx.sum, ctx.mxr);
            if let Some(c) = paged.and_then(|p| self.find_common(va, access, &p, ram)) {
                let (pa, fetch_slot) = self.commit_common(va, access, ctx.now, c);
                if let Some(slot) = fetch_slot {
                    self.fast.fetch_fill(va, pa & !0xfff, slot);
                }
                return Ok(Translated {
                    pa,
                    pte_written: None,
                    fetch_slot,
                    fetch_bare: false,
                });
            }
        }
        let t = self.translate_noting(va, len, access, ctx, ram, &mut NoNotes)?;
        // A fetch page the hart may keep (tied to a slot, or Bare with PMP allowing fetches
        // throughout it) is one it may come back to without a TLB search.
        if let Some(slot) = t.fetch_slot {
            self.fast.fetch_fill(va, t.pa & !0xfff, slot);
        } else if t.fetch_bare {
            self.fast.fetch_fill(va, t.pa & !0xfff, fast::NO_SLOT);
        }
        Ok(t)
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
    #[inline]
    pub fn switch_fetch_run(&mut self, va_page: u64, slot: usize, insn: u64) {
        self.end_fetch_run(insn.saturating_sub(1));
        if slot != fast::NO_SLOT {
            self.tlb.count_hit(slot, Access::Fetch, insn * 4);
            self.open_fetch_run(slot, va_page, insn);
        }
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
                (self.refill_missed_4k(leaf, now, m.victim), pa_page, m.mask)
            }
        };
        let pa = pa_page | (va & 0xfff);
        if access == Access::Fetch {
            // `refill`'s forget of the new page.
            self.fast.forget_4k(va & !0xfff);
            return (pa, Some(slot));
        }
        // `fill_fast` for the load and store tables, with `refill`'s forget of the new page.
        self.fast.refresh_page(va, mask, pa_page, slot);
        (pa, None)
    }

    /// [`Mmu::translate`] reporting how it went (the TLB's part, the walk, PMP's deciding
    /// entry), for a translation trace: the hart, which owns the tracer, writes the record.
    #[cfg(feature = "trace-translations")]
    #[cold]
    pub fn translate_noted(
        &mut self,
        va: u64,
        len: u64,
        access: Access,
        ctx: &TranslateCtx,
        ram: &mut Ram,
    ) -> (Result<Translated, Exception>, TraceNotes) {
        self.bind_ram(ram);
        let mut notes = TraceNotes {
            lookup: Lookup::Bare,
            walk: None,
            uncached: false,
            pmp: None,
            pmp_access: None,
        };
        let r = self.translate_noting(va, len, access, ctx, ram, &mut notes);
        notes.pmp = notes
            .pmp_access
            .and_then(|(pa, len)| self.pmp.decide(pa, len));
        (r, notes)
    }

    /// The translation itself, telling `notes` how the TLB and the walker took part.
    #[inline(always)]
    fn translate_noting<N: Notes>(
        &mut self,
        va: u64,
        len: u64,
        access: Access,
        ctx: &TranslateCtx,
        ram: &mut Ram,
        notes: &mut N,
    ) -> Result<Translated, Exception> {
        let mut out = Translated {
            pa: va,
            pte_written: None,
            fetch_slot: None,
            fetch_bare: false,
        };
        let paging = if ctx.prv == Priv::M {
            None
        } else {
            mode::PagingMode::from_satp(ctx.satp)
        };
        // PMP's answer for the whole page, when the walk has just worked it out.
        let mut page_perms = None;
        if let Some(mode) = paging {
            (out, page_perms) = self
                .translate_paged(va, access, ctx, mode, ram, notes)
                .inspect_err(|e| {
                    if matches!(
                        e,
                        Exception::InstructionPageFault(_)
                            | Exception::LoadPageFault(_)
                            | Exception::StorePageFault(_)
                    ) {
                        self.stats.page_faults[access.index()] += 1;
                    } else {
                        self.stats.access_faults[access.index()] += 1;
                    }
                })?;
        }
        notes.pmp(out.pa, len);
        let allowed = match page_perms {
            // An aligned access of at most 8 bytes lies inside the page.
            Some(p) if len <= 8 && out.pa & (len - 1) == 0 => p.allows(access),
            _ => self.pmp.check(out.pa, len, access, ctx.prv),
        };
        if !allowed {
            self.stats.access_faults[access.index()] += 1;
            return Err(walk::access_fault(access, va));
        }
        if paging.is_none() && self.fast_on() {
            self.fill_fast_bare(&mut out, access, ctx.prv, ram);
        }
        Ok(out)
    }

    /// With paging off, after an access PMP allowed: the fast path for its 4 KiB page, if
    /// the page is RAM and PMP gives all of it one answer — the data tables (page to itself,
    /// [`fast::NO_SLOT`]) for each of load and store that answer allows, or for a fetch
    /// `fetch_bare`. Nothing is counted: no TLB takes part in a Bare translation. What the
    /// page's entries serve later is decided by PMP's answer for the whole page, whatever
    /// the size of the access that filled them.
    #[cold]
    fn fill_fast_bare(&mut self, out: &mut Translated, access: Access, prv: Priv, ram: &Ram) {
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

    /// The paged part of [`Mmu::translate`]; also returns PMP's permissions for the whole
    /// page when it had to compute them (on a refill).
    #[inline(always)]
    fn translate_paged<N: Notes>(
        &mut self,
        va: u64,
        access: Access,
        ctx: &TranslateCtx,
        mode: &'static mode::PagingMode,
        ram: &mut Ram,
        notes: &mut N,
    ) -> Result<(Translated, Option<pmp::Perms>), Exception> {
        let wctx = walk::WalkCtx {
            satp: ctx.satp,
            mode,
            access,
            prv: ctx.prv,
            sum: ctx.sum,
            mxr: ctx.mxr,
            ad: self.ad,
        };
        let asid = walk::satp_asid(ctx.satp);
        let found = self.tlb.lookup_slot(va, asid, access, ctx.now);
        if let Some((slot, leaf)) = found {
            // A hit whose permissions pass and that needs no A/D update is used as is (even if
            // the PTE in memory changed since: stale until a fence, as hardware may be). A hit
            // that fails, or needs A/D written, walks afresh: the spec forbids doing step 9 on
            // a cached copy, and a fresh walk decides the fault.
            if let Ok(walk::AdUpdate::None) = walk::check_leaf(leaf.flags, &wctx, va) {
                notes.lookup(Lookup::Hit);
                let mut out = Translated {
                    pa: leaf.translate(va),
                    pte_written: None,
                    fetch_slot: None,
                    fetch_bare: false,
                };
                if self.fast_on() {
                    let perms = self
                        .pmp
                        .uniform_over(leaf.pa_base, leaf.page_size(), ctx.prv);
                    // The lookup just found `slot`: it is the entry a lookup answers from.
                    out.fetch_slot = self.fill_fast(va, &wctx, asid, slot, true, &leaf, perms, ram);
                }
                return Ok((out, None));
            }
        }
        notes.lookup(if found.is_some() {
            Lookup::Rewalk
        } else {
            Lookup::Miss
        });
        self.stats.walks[access.index()] += 1;
        let (result, pte_written) = {
            let mut mem = WalkerMemory::<N> {
                ram,
                pmp: &self.pmp,
                stats: &mut self.stats,
                access: access.index(),
                notes: core::marker::PhantomData,
            };
            if N::WANTS_WALK {
                let w = walk::walk(&wctx, va, &mut mem);
                notes.walk(&w);
                (w.result, w.ad_update.map(|(a, _, _)| a))
            } else {
                // The same walk without its record (only traces read it).
                walk::walk_unrecorded(&wctx, va, &mut mem)
            }
        };
        let leaf = result?;
        let mut out = Translated {
            pa: leaf.translate(va),
            pte_written,
            fetch_slot: None,
            fetch_bare: false,
        };
        let perms = self
            .pmp
            .uniform_over(leaf.pa_base, leaf.page_size(), ctx.prv);
        if perms.is_some() {
            let slot = self.refill(leaf, ctx.now);
            if self.fast_on() {
                // After a miss no other entry covered `va`, and the refill changed only
                // `slot`: a lookup would answer from it. After a hit that had to walk again,
                // the entry hit may still come first.
                let first = found.is_none();
                out.fetch_slot = self.fill_fast(va, &wctx, asid, slot, first, &leaf, perms, ram);
            }
        } else {
            notes.uncached();
            self.stats.refills_refused += 1;
        }
        Ok((out, perms))
    }

    /// Refills the TLB with `leaf` and keeps the fast path a subset of it.
    fn refill(&mut self, leaf: Leaf, now: u64) -> usize {
        self.restamp_fetch_run(now);
        let r = self.tlb.insert(leaf, now);
        if let Some(old) = &r.displaced {
            self.fast.forget(old);
        }
        self.after_refill(r.slot, r.displaced.is_some(), &leaf, now);
        self.fast.forget(&leaf);
        r.slot
    }

    /// [`Mmu::refill`] with a 4 KiB `leaf` into the `victim` [`tlb::Tlb::probe_4k`] chose
    /// for it, without forgetting `leaf`'s own page in the fast path (the caller does).
    #[inline(always)]
    fn refill_missed_4k(&mut self, leaf: Leaf, now: u64, victim: tlb::Victim) -> usize {
        let mut victim = victim;
        // `refill` restamps the fetch run's entry before choosing; here the victim was chosen
        // before, on the entry's older stamp. Raising that stamp changes the choice only if
        // it was that entry (else an invalid way, or an entry no later than it, stays the
        // first, oldest one): then restamp and choose again. Otherwise the restamp is not
        // needed at all: it raises the stamp to this instruction's fetch, and the run's
        // catch-up, which comes before anything else reads the stamp (the counters, a fence,
        // the run's end, a refill choosing in that entry's set, which does this again),
        // raises it to a later fetch's time anyway (`Mmu::catch_up_fetch_run`: the maximum).
        if let Some(run) = &self.fetch_run {
            if victim.evicts() && victim.slot() == run.slot {
                self.restamp_fetch_run(now);
                victim = self
                    .tlb
                    .probe_4k(leaf.va_base, leaf.asid)
                    .expect("missed before");
            }
        }
        let displaced = self.tlb.fill_4k(leaf, now, victim);
        if let Some((va_base, level)) = displaced {
            self.fast.forget_page(va_base, level);
        }
        self.after_refill(victim.slot(), displaced.is_some(), &leaf, now);
        victim.slot()
    }

    /// Before a refill chooses its victim, the fetch page's entry gets the stamp of its
    /// latest use: this instruction's fetch, which came from it.
    #[inline(always)]
    fn restamp_fetch_run(&mut self, now: u64) {
        if let Some(run) = &self.fetch_run {
            self.tlb.restamp(run.slot, now & !3);
        }
    }

    /// After a refill of `slot` with `leaf` (`displaced`: it evicted or overwrote an
    /// entry): the fetch run ends if its entry is gone or the new leaf covers its page.
    #[inline(always)]
    fn after_refill(&mut self, slot: usize, displaced: bool, leaf: &Leaf, now: u64) {
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
    fn fill_fast(
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

    /// SFENCE.VMA, executed by instruction `insn`: `va` None when rs1 = x0, `asid` None when
    /// rs2 = x0. The fast path is dropped whole (the hart forgets its fetch page too).
    pub fn sfence_vma(&mut self, va: Option<u64>, asid: Option<u16>, insn: u64) {
        self.end_fetch_run(insn);
        self.fast.flush();
        self.tlb.sfence_vma(va, asid);
    }
}
