//! The memory-management unit: the single place where a hart's virtual addresses become
//! physical ones.
//!
//! satp modes Bare, Sv39, Sv48 and Sv57; [`Mmu::translate`] runs TLB lookup, walk and PMP in
//! the spec's order (docs/MMU.md). The hart asks it for every fetch, load and store except
//! where nothing can object: M-mode (after MPRV) with `Pmp::m_mode_exempt` (see
//! `Hart::translate`).
//!
//! This file is the architecture: [`Mmu::translate`] and the general path it falls back to
//! ([`Mmu::translate_noting`]), and the one TLB refill ([`Mmu::refill`]). Beneath it, in
//! [`shortcut`] and [`fast`], the shortcuts that reach the same results sooner; the parts of
//! the model each in its own file (`tlb`, `walk`, `pmp`, `pte`, `mode`).

pub mod dump;
pub mod fast;
pub mod mode;
pub mod pmp;
pub mod pte;
mod shortcut;
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
    data_ctx: Option<shortcut::PagedCtx>,
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

    /// Translates an access of `len` bytes at `va` and checks PMP on the result, in the
    /// architecture's order: the TLB lookup, a walk on a miss, the leaf check with any A/D
    /// update, then PMP on the physical address ([`Mmu::translate_noting`]; docs/MMU.md, "The
    /// order of a translation").
    ///
    /// First, a shortcut beneath it ([`shortcut`]): the common translation, a TLB hit or a
    /// common miss served without the general path, leaving exactly what the general path
    /// would. Never traces: the hart calls [`Mmu::translate_noted`] instead while it traces,
    /// so the untraced path has no trace code at all.
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
        if let Some(t) = self.translate_common(va, len, access, ctx, ram) {
            return Ok(t);
        }
        let t = self.translate_noting(va, len, access, ctx, ram, &mut NoNotes)?;
        self.remember_fetch_page(va, &t);
        Ok(t)
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
            let slot = self.refill(leaf, ctx.now, None);
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

    /// Refills the TLB with `leaf` and keeps what sits above the TLB a subset of it: the
    /// fast path forgets the displaced entry's pages and `leaf`'s, and the fetch run ends if
    /// its entry is gone or `leaf` covers its page. Returns the slot.
    ///
    /// `chosen` is the victim the common translation's probe chose ([`tlb::Tlb::find_4k`],
    /// a 4 KiB leaf whose page it missed); None, the choice is made here.
    ///
    /// The choice must see the fetch page's entry stamped with its latest use, this
    /// instruction's fetch (the run counts its hits after the fact, `fast::FetchRun`). A
    /// choice made before, on the entry's older stamp, still stands unless it chose that
    /// very entry: raising its stamp changes the choice only then (any other victim, an
    /// invalid way or an entry no later than it, stays the first, oldest one). Otherwise the
    /// restamp is not needed at all: the run's catch-up, which comes before anything else
    /// reads the stamp (the counters, a fence, the run's end, a refill choosing in that
    /// entry's set, which does this again), raises it to a later fetch's time anyway
    /// (`Mmu::catch_up_fetch_run`: the maximum).
    #[inline(always)]
    fn refill(&mut self, leaf: Leaf, now: u64, chosen: Option<tlb::Victim>) -> usize {
        let run_slot = self.fetch_run.map(|run| run.slot);
        let victim = match chosen {
            Some(v) if !(v.evicts() && Some(v.slot()) == run_slot) => v,
            _ => {
                self.restamp_fetch_run(now);
                self.tlb.victim_for(&leaf)
            }
        };
        let displaced = self.tlb.fill(leaf, now, victim);
        if let Some(old) = displaced {
            self.fast.forget_page(old.va_base, old.level);
        }
        self.after_refill(victim.slot(), displaced.is_some(), &leaf, now);
        self.fast.forget(&leaf);
        victim.slot()
    }

    /// SFENCE.VMA, executed by instruction `insn`: `va` None when rs1 = x0, `asid` None when
    /// rs2 = x0. The fast path is dropped whole (the hart forgets its fetch page too).
    pub fn sfence_vma(&mut self, va: Option<u64>, asid: Option<u16>, insn: u64) {
        self.end_fetch_run(insn);
        self.fast.flush();
        self.tlb.sfence_vma(va, asid);
    }
}
