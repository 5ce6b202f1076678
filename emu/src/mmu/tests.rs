//! The common translation ([`Mmu::find_common`], [`Mmu::commit_common`]: TLB misses and
//! TLB hits off the fast path's table) against the general path: the same sequence of
//! translations on two MMUs over two copies of the same memory, one with the fast path (and
//! so the common translation) on, one with it off, must give the same results, counters, TLB
//! entries with their stamps, and page-table contents (A/D updates), for page tables of
//! every shape the common path must either handle or leave alone.

use super::*;
use crate::bus::RAM_BASE;
use crate::mmu::pte::{Pte, PteFlags as F};

const MIB: u64 = 1 << 20;
/// Page tables from here on.
const PT: u64 = RAM_BASE + MIB;
/// Data pages from here on.
const DATA: u64 = RAM_BASE + 8 * MIB;

/// Lays out page tables in RAM.
struct Builder<'a> {
    ram: &'a mut Ram,
    mode: &'static mode::PagingMode,
    next: u64,
}

impl Builder<'_> {
    fn root(&self) -> u64 {
        PT
    }

    /// The table at `level` on the way to `va`, created if needed.
    fn table(&mut self, va: u64, level: u8) -> u64 {
        let mut t = self.root();
        for l in (level + 1..self.mode.levels).rev() {
            let slot = t + self.mode.vpn(va, l) * 8;
            let pte = Pte(self.ram.read_u64(PhysAddr(slot)).unwrap());
            t = if pte.flags().contains(F::V) && !pte.is_leaf() {
                pte.ppn() << 12
            } else {
                let n = self.next;
                self.next += 4096;
                self.put(slot, Pte::new(n >> 12, F::V).0);
                n
            };
        }
        t
    }

    fn put(&mut self, pa: u64, raw: u64) {
        assert!(self.ram.write(PhysAddr(pa), raw.to_le_bytes()));
    }

    /// Maps `va` at `level` with the raw PTE `raw`; returns the PTE's address.
    fn map(&mut self, va: u64, level: u8, raw: u64) -> u64 {
        let slot = self.table(va, level) + self.mode.vpn(va, level) * 8;
        self.put(slot, raw);
        slot
    }
}

fn leaf_pte(pa: u64, flags: F) -> u64 {
    Pte::new(pa >> 12, flags | F::V).0
}

/// Virtual pages (4 KiB apart from `BASE`) and the PTE shapes behind them.
const BASE: u64 = 0x4000_0000;

fn build(ram: &mut Ram, mode: &'static mode::PagingMode) -> Vec<u64> {
    let rw = F::R | F::W | F::A | F::D;
    let mut b = Builder {
        ram,
        mode,
        next: PT + 4096,
    };
    let mut vas = Vec::new();
    let mut page = |b: &mut Builder, raw: u64| {
        let va = BASE + vas.len() as u64 * 4096;
        b.map(va, 0, raw);
        vas.push(va);
    };
    let data = |i: u64| DATA + i * 4096;
    // The common shapes, many of them so that sets fill and entries are evicted.
    for i in 0..40 {
        page(&mut b, leaf_pte(data(i), rw));
    }
    page(&mut b, leaf_pte(data(40), rw | F::G));
    page(&mut b, leaf_pte(data(41), F::R | F::A));
    page(&mut b, leaf_pte(data(42), F::R | F::X | F::A));
    page(&mut b, leaf_pte(data(43), F::X | F::A));
    page(&mut b, leaf_pte(data(44), rw | F::U));
    page(&mut b, leaf_pte(data(45), rw | F::U | F::X));
    // A/D to set (Svadu) or to fault on (Svade).
    page(&mut b, leaf_pte(data(46), F::R | F::W));
    page(&mut b, leaf_pte(data(47), F::R | F::W | F::A));
    page(&mut b, leaf_pte(data(48), F::R | F::X));
    // Malformed: invalid, W without R, reserved bits, D/A/U in a pointer (below).
    page(&mut b, leaf_pte(data(49), rw) & !1);
    page(&mut b, leaf_pte(data(50), F::W | F::A | F::D));
    page(&mut b, leaf_pte(data(51), rw) | 1 << 60);
    page(&mut b, leaf_pte(data(52), rw) | 1 << 54);
    // Not RAM: a device page, and a page past the end of RAM.
    page(&mut b, leaf_pte(0x1000_0000, rw));
    page(&mut b, leaf_pte(RAM_BASE + 64 * MIB, rw));
    // A page of RAM that PMP treats unevenly (see `pmp`).
    page(&mut b, leaf_pte(data(60), rw));
    // A non-leaf at level 0.
    page(&mut b, Pte::new(data(61) >> 12, F::V).0);
    // A superpage, and a misaligned one, in a different gigabyte.
    let sp = 0x8000_0000u64;
    b.map(sp, 1, leaf_pte(RAM_BASE + 4 * MIB, rw));
    b.map(sp + 2 * MIB, 1, leaf_pte(RAM_BASE + 4 * MIB + 4096, rw));
    vas.extend([sp + 0x1000, sp + 2 * MIB + 0x1000]);
    // A pointer with A set, and a pointer to a table outside RAM.
    let bad = 0xc000_0000u64;
    let t = b.table(bad, 1);
    b.put(
        t + mode.vpn(bad, 1) * 8,
        Pte::new(data(62) >> 12, F::V | F::A).0,
    );
    b.put(
        t + mode.vpn(bad + 2 * MIB, 1) * 8,
        Pte::new(0x2000_0000 >> 12, F::V).0,
    );
    vas.extend([bad, bad + 2 * MIB]);
    // Unmapped, and not canonical.
    vas.extend([0x1_0000_0000 - 4096, 1 << 47 | BASE]);
    vas
}

/// PMP: entry 0 denies the upper half of the uneven page, entry 1 allows everything.
fn pmp(mmu: &mut Mmu) {
    let uneven = DATA + 60 * 4096 + 2048;
    mmu.pmp.write_addr(0, (uneven + 1023) >> 2); // NAPOT, 2 KiB at `uneven`
    mmu.pmp.write_addr(1, u64::MAX >> 10);
    mmu.pmp.write_cfg(0, 0x18 | (0x1f << 8)); // entry 0: NAPOT, no access; entry 1: NAPOT RWX
}

fn mmu(fast: bool, common: bool, ad: walk::AdMode, tlb: &str) -> Mmu {
    let mut m = Mmu::new(16, tlb.parse().unwrap(), ad);
    m.fast_path = fast;
    m.no_common = !common;
    pmp(&mut m);
    m
}

#[test]
fn the_common_path_agrees_with_the_general_path() {
    let mut seed = 0x1234_5678_9abc_def1u64;
    let mut rand = move |n: u64| {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed % n
    };
    for mode in [&mode::SV39, &mode::SV48, &mode::SV57] {
        for ad in [walk::AdMode::Hardware, walk::AdMode::Fault] {
            for tlb in ["64x4", "8x2", "4xfull"] {
                let mut ram: Vec<Ram> = (0..3).map(|_| Ram::new(64 * MIB).unwrap()).collect();
                let vas = build(&mut ram[0], mode);
                build(&mut ram[1], mode);
                build(&mut ram[2], mode);
                // The common translation; the general path with the rest of the fast path; neither.
                let mut mmus = [
                    mmu(true, true, ad, tlb),
                    mmu(true, false, ad, tlb),
                    mmu(false, false, ad, tlb),
                ];
                for step in 1..6000u64 {
                    // Two address spaces over the same tables: entries of both ASIDs (and
                    // the global page's one) coexist in the TLB.
                    let satp = mode.satp_mode << 60 | (5 + rand(2)) << 44 | PT >> 12;
                    let va = vas[rand(vas.len() as u64) as usize] + rand(512) * 8;
                    let access = [Access::Fetch, Access::Load, Access::Store][rand(3) as usize];
                    let len = if access == Access::Fetch {
                        2
                    } else {
                        [1, 2, 4, 8][rand(4) as usize]
                    };
                    let va = va & !(len - 1);
                    let ctx = TranslateCtx {
                        satp,
                        prv: [Priv::S, Priv::S, Priv::U][rand(3) as usize],
                        sum: rand(4) == 0,
                        mxr: rand(4) == 0,
                        now: step * 4 + 2,
                    };
                    if rand(150) == 0 {
                        for m in &mut mmus {
                            m.sfence_vma(None, None, step);
                        }
                    }
                    // Loads and stores of the first MMU as the hart makes them: the common
                    // miss through `data_miss` first, with the context it was given.
                    mmus[0].set_data_ctx(ctx.satp, ctx.prv, ctx.sum, ctx.mxr);
                    let got: Vec<_> = mmus
                        .iter_mut()
                        .zip(ram.iter_mut())
                        .enumerate()
                        .map(|(i, (m, r))| {
                            let data = access != Access::Fetch && i == 0;
                            match data.then(|| m.data_miss(va, access, ctx.now, r)).flatten() {
                                Some(pa) => Ok(Translated {
                                    pa,
                                    ..Translated::default()
                                }),
                                None => m.translate(va, len, access, &ctx, r),
                            }
                        })
                        .collect();
                    let what =
                        format!("{} {ad:?} {tlb} step {step}: {access:?} {va:#x}", mode.name);
                    // Everything, fetch slot and fast-path tables included, against the
                    // general path with the fast path on.
                    assert_eq!(got[0], got[1], "{what}");
                    for a in [Access::Load, Access::Store] {
                        let fast = mmus.each_ref().map(|m| m.fast.lookup(va, a));
                        assert_eq!(fast[0], fast[1], "{what}: fast path for {a:?}");
                    }
                    // The guest-visible result, against the fast path off.
                    let result = |t: &Result<Translated, _>| t.map(|t| (t.pa, t.pte_written));
                    assert_eq!(result(&got[0]), result(&got[2]), "{what}");
                    for m in &mmus[1..] {
                        assert_eq!(mmus[0].tlb.stats(), m.tlb.stats(), "{what}");
                        assert_eq!(mmus[0].stats, m.stats, "{what}");
                    }
                    if step % 50 == 0 {
                        for (i, m) in mmus.iter().enumerate().skip(1) {
                            assert!(mmus[0].tlb.entries().eq(m.tlb.entries()), "{what}");
                            let (mut a, mut b) = ([0u8; 4096], [0u8; 4096]);
                            for t in (PT..PT + 64 * 4096).step_by(4096) {
                                ram[0].read_bytes(PhysAddr(t), &mut a).unwrap();
                                ram[i].read_bytes(PhysAddr(t), &mut b).unwrap();
                                assert_eq!(a, b, "{what}: table {t:#x}");
                            }
                        }
                    }
                }
                let taken = mmus[0].common_misses;
                assert!(
                    taken > 500,
                    "{} {ad:?} {tlb}: common path taken {taken}",
                    mode.name
                );
                assert_eq!(mmus[1].common_misses + mmus[2].common_misses, 0);
                // TLB hits the fast path's table did not serve, among them.
                let hits = mmus[0].common_hits;
                assert!(hits > 40, "{} {ad:?} {tlb}: common hits {hits}", mode.name);
                // The general path had its share too (faults, superpages, A/D, devices).
                let general = mmus[0].stats.walks.iter().sum::<u64>() - taken;
                assert!(
                    general > 300,
                    "{} {ad:?} {tlb}: general walks {general}",
                    mode.name
                );
            }
        }
    }
}

/// What the MMU checked against one RAM (fast-path pages, the PMP's PTE pages) is forgotten
/// when it is given a RAM of another size: pages of the first are never read unchecked in
/// the second (`Mmu::bind_ram`).
#[test]
fn a_ram_of_another_size_forgets_the_pages_checked_against_the_old_one() {
    let mut big = Ram::new(64 * MIB).unwrap();
    let vas = build(&mut big, &mode::SV39);
    let mut m = mmu(true, true, walk::AdMode::Hardware, "64x4");
    let satp = mode::SV39.satp_mode << 60 | 5 << 44 | PT >> 12;
    let ctx = TranslateCtx {
        satp,
        prv: Priv::S,
        sum: false,
        mxr: false,
        now: 6,
    };
    m.set_data_ctx(satp, Priv::S, false, false);
    let t = m.translate(vas[0], 8, Access::Load, &ctx, &mut big);
    assert_eq!(t.map(|t| t.pa), Ok(DATA));
    assert_eq!(
        m.data_miss(vas[1], Access::Load, 10, &big),
        Some(DATA + 4096)
    );
    let known = |m: &Mmu| {
        [vas[0], vas[1]].map(|va| m.fast.lookup(va, Access::Load).is_some()) == [true, true]
            && m.pmp.pte_page_known(PT)
    };
    assert!(known(&m));
    // The same size again: nothing forgotten.
    m.bind_ram(&Ram::new(64 * MIB).unwrap());
    assert!(known(&m));
    // Another size: both caches empty (every method given a RAM binds it first).
    m.bind_ram(&Ram::new(16 * MIB).unwrap());
    assert!(m.fast.lookup(vas[0], Access::Load).is_none());
    assert!(m.fast.lookup(vas[1], Access::Load).is_none());
    assert!(!m.pmp.pte_page_known(PT));
}

/// Code pages for [`remembered_fetch_pages_agree_with_the_general_path`]: `CODE_PAGES`
/// executable 4 KiB pages from `CODE` (a few U, one global, a few with A clear), data pages
/// from `DATA_VA` (whose refills evict code pages' entries), and an executable superpage.
const CODE: u64 = 0x5000_0000;
const CODE_PAGES: u64 = 48;
const DATA_VA: u64 = 0x6000_0000;
const CODE_SUPER: u64 = 0x8000_0000;

fn build_code(ram: &mut Ram, mode: &'static mode::PagingMode) {
    let mut b = Builder {
        ram,
        mode,
        next: PT + 4096,
    };
    for i in 0..CODE_PAGES {
        let mut flags = F::R | F::X | F::A;
        if i % 8 == 7 {
            flags |= F::U;
        }
        if i == 5 {
            flags |= F::G;
        }
        if i % 13 == 12 {
            flags -= F::A; // set by the walker (Svadu) or a fault (Svade)
        }
        b.map(CODE + i * 4096, 0, leaf_pte(DATA + i * 4096, flags));
    }
    for i in 0..32 {
        let pa = DATA + (64 + i) * 4096;
        b.map(
            DATA_VA + i * 4096,
            0,
            leaf_pte(pa, F::R | F::W | F::A | F::D),
        );
    }
    b.map(
        CODE_SUPER,
        1,
        leaf_pte(RAM_BASE + 4 * MIB, F::R | F::X | F::A),
    );
}

/// One MMU driven as the hart drives it: a fetch page kept between instructions (the fetch
/// run counting them), changed either through the remembered fetch pages
/// (`Mmu::remembered_fetch_page` + `Mmu::switch_fetch_run`, as `Hart::fetch_slow` and the
/// block engine do) or always through `Mmu::translate`.
struct FetchSim {
    m: Mmu,
    /// The hart's fetch page, if it keeps one: virtual and physical page.
    page: Option<(u64, u64)>,
    /// Whether changes of page use the remembered pages.
    remembered: bool,
    /// Whether a change of page the remembered pages do not serve tries the common
    /// translation next (`Mmu::fetch_miss`, as `Hart::switch_fetch_page` does).
    common: bool,
    /// Switches the remembered pages served, and `Mmu::fetch_miss`.
    switched: u64,
    missed: u64,
}

impl FetchSim {
    /// The fetch of instruction `insn` at `va`: the physical address, or the fault.
    fn fetch(
        &mut self,
        va: u64,
        insn: u64,
        ctx: &TranslateCtx,
        ram: &mut Ram,
    ) -> Result<u64, Exception> {
        if let Some((va_page, pa_page)) = self.page {
            if va_page == va & !0xfff {
                // The fetch run (or, Bare, nothing) counts it.
                return Ok(pa_page | (va & 0xfff));
            }
        }
        if self.remembered {
            if let Some((pa_page, slot)) = self.m.remembered_fetch_page(va) {
                self.m.switch_fetch_run(va & !0xfff, slot, insn);
                self.page = Some((va & !0xfff, pa_page));
                self.switched += 1;
                return Ok(pa_page | (va & 0xfff));
            }
        }
        if self.common {
            let found = self
                .m
                .fetch_miss(va, ctx.satp, ctx.prv, insn, ram, |_| Some(()));
            if let Some((pa_page, ())) = found {
                self.page = Some((va & !0xfff, pa_page));
                self.missed += 1;
                return Ok(pa_page | (va & 0xfff));
            }
        }
        self.m.end_fetch_run(insn.saturating_sub(1));
        self.page = None;
        let t = self.m.translate(va, 2, Access::Fetch, ctx, ram);
        self.m.take_fetch_run_dropped();
        let t = t?;
        if let Some(slot) = t.fetch_slot {
            self.m.open_fetch_run(slot, va & !0xfff, insn);
            self.page = Some((va & !0xfff, t.pa & !0xfff));
        } else if t.fetch_bare {
            self.page = Some((va & !0xfff, t.pa & !0xfff));
        }
        Ok(t.pa)
    }

    /// A load or store as the hart makes it (the common path's `data_miss` first).
    fn data(
        &mut self,
        va: u64,
        access: Access,
        ctx: &TranslateCtx,
        ram: &mut Ram,
    ) -> Result<u64, Exception> {
        let r = match self.m.data_miss(va, access, ctx.now, ram) {
            Some(pa) => Ok(pa),
            None => self.m.translate(va, 8, access, ctx, ram).map(|t| t.pa),
        };
        if self.m.take_fetch_run_dropped() {
            self.page = None;
        }
        r
    }

    /// A change of context (privilege, satp, PMP): the hart drops the fast path and its
    /// fetch page.
    fn context(&mut self, ctx: &TranslateCtx) {
        self.m.fast.flush();
        self.m.set_data_ctx(ctx.satp, ctx.prv, ctx.sum, ctx.mxr);
        self.page = None;
    }
}

/// The remembered fetch pages against the general path: random fetch sequences across code
/// pages (and within them), with data accesses whose refills evict the code pages' entries,
/// SFENCE.VMA, changes of ASID, privilege, satp mode (Bare included) and PMP, on four MMUs
/// driven as the hart drives them: page changes through the remembered pages, the same
/// MMU always translating, the fast path off (every fetch a lookup), and page changes
/// through the remembered pages or else the common translation (`Mmu::fetch_miss`). Results, every
/// counter, the TLB's entries with their stamps, and the fast path's tables must agree.
#[test]
fn remembered_fetch_pages_agree_with_the_general_path() {
    let mut seed = 0x0fed_cba9_8765_4321u64;
    let mut rand = move |n: u64| {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed % n
    };
    for mode in [&mode::SV39, &mode::SV48] {
        for ad in [walk::AdMode::Hardware, walk::AdMode::Fault] {
            for tlb in ["64x4", "8x2", "4xfull"] {
                let mut ram: Vec<Ram> = (0..4).map(|_| Ram::new(64 * MIB).unwrap()).collect();
                for r in &mut ram {
                    build_code(r, mode);
                }
                let mut sims = [
                    (true, true, false),
                    (true, false, false),
                    (false, false, false),
                    (true, true, true),
                ]
                .map(|(fast, remembered, common)| FetchSim {
                    m: mmu(fast, true, ad, tlb),
                    page: None,
                    remembered,
                    common,
                    switched: 0,
                    missed: 0,
                });
                let paged = |asid: u64| mode.satp_mode << 60 | asid << 44 | PT >> 12;
                let mut ctx = TranslateCtx {
                    satp: paged(5),
                    prv: Priv::S,
                    sum: false,
                    mxr: false,
                    now: 0,
                };
                for s in &mut sims {
                    s.context(&ctx);
                }
                let mut va = CODE;
                for insn in 1..20000u64 {
                    let what = format!(
                        "{} {ad:?} {tlb} insn {insn}: {va:#x} {:?} satp {:#x}",
                        mode.name, ctx.prv, ctx.satp
                    );
                    // Where this instruction is: mostly on the same page, else another code
                    // page (the superpage's, a data page, or an unmapped one now and then).
                    if rand(3) == 0 {
                        let page = match rand(20) {
                            // Paging off: physical code pages.
                            _ if ctx.satp == 0 && rand(4) != 0 => DATA + rand(CODE_PAGES) * 4096,
                            0 if rand(4) == 0 => CODE_SUPER + rand(512) * 4096,
                            1 => DATA_VA + rand(32) * 4096,
                            2 => 0x7000_0000,
                            _ => CODE + rand(CODE_PAGES) * 4096,
                        };
                        va = page + rand(2040) * 2;
                    } else {
                        va = (va & !0xfff) | ((va + 2 * rand(8)) & 0xffe).min(0xffc);
                    }
                    let fctx = TranslateCtx {
                        now: insn * 4,
                        ..ctx
                    };
                    let got: Vec<_> = sims
                        .iter_mut()
                        .zip(ram.iter_mut())
                        .map(|(s, r)| s.fetch(va, insn, &fctx, r))
                        .collect();
                    for g in &got[1..] {
                        assert_eq!(got[0], *g, "{what}");
                    }
                    // What else the instruction does.
                    match rand(200) {
                        // A load or store, whose refill may evict a code page's entry.
                        0..=59 => {
                            let base = if rand(4) == 0 {
                                CODE + rand(CODE_PAGES) * 4096
                            } else {
                                DATA_VA + rand(32) * 4096
                            };
                            let dva = base + rand(512) * 8;
                            let access = [Access::Load, Access::Store][rand(2) as usize];
                            let dctx = TranslateCtx {
                                now: insn * 4 + 2,
                                ..ctx
                            };
                            let got: Vec<_> = sims
                                .iter_mut()
                                .zip(ram.iter_mut())
                                .map(|(s, r)| s.data(dva, access, &dctx, r))
                                .collect();
                            for g in &got[1..] {
                                assert_eq!(got[0], *g, "{what}: {access:?} {dva:#x}");
                            }
                        }
                        // SFENCE.VMA, all of it or one page of one address space.
                        60 => {
                            let (fva, asid) = if rand(2) == 0 {
                                (None, None)
                            } else {
                                (Some(va), Some(5 + rand(2) as u16))
                            };
                            for s in &mut sims {
                                s.m.sfence_vma(fva, asid, insn);
                                s.page = None;
                            }
                        }
                        // A trap or xRET (privilege), or a satp write (ASID, or Bare).
                        61 | 62 => {
                            ctx.prv = [Priv::S, Priv::U][rand(2) as usize];
                            ctx.satp = match rand(8) {
                                0 => 0,
                                n => paged(5 + n % 2),
                            };
                            for s in &mut sims {
                                s.context(&ctx);
                            }
                        }
                        // A PMP write: entry 0 (no access) over half of a code page or
                        // none, so that a page is uneven and its fetches not remembered.
                        63 => {
                            let at = DATA + rand(CODE_PAGES * 2) * 2048;
                            for s in &mut sims {
                                s.m.pmp.write_addr(0, (at + 1023) >> 2);
                                s.context(&ctx);
                            }
                        }
                        _ => {}
                    }
                    if insn % 64 == 0 {
                        for s in &mut sims {
                            s.m.catch_up_fetch_run(insn);
                        }
                        for s in &sims[1..] {
                            assert_eq!(sims[0].m.tlb.stats(), s.m.tlb.stats(), "{what}");
                            assert_eq!(sims[0].m.stats, s.m.stats, "{what}");
                            assert!(sims[0].m.tlb.entries().eq(s.m.tlb.entries()), "{what}");
                        }
                        assert_eq!(sims[0].m.fetch_run, sims[1].m.fetch_run, "{what}");
                        assert_eq!(sims[0].m.fetch_run, sims[3].m.fetch_run, "{what}");
                        for page in 0..CODE_PAGES + 32 {
                            let pva = if page < CODE_PAGES {
                                CODE + page * 4096
                            } else {
                                DATA_VA + (page - CODE_PAGES) * 4096
                            };
                            for a in [Access::Load, Access::Store] {
                                let fast = [0, 1, 3].map(|i| sims[i].m.fast.lookup(pva, a));
                                assert_eq!(fast[0], fast[1], "{what}: {pva:#x} {a:?}");
                                assert_eq!(fast[0], fast[2], "{what}: {pva:#x} {a:?}");
                            }
                        }
                    }
                }
                let switched = sims[0].switched;
                assert!(
                    switched > 100,
                    "{} {ad:?} {tlb}: switched {switched}",
                    mode.name
                );
                assert_eq!(sims[1].switched + sims[2].switched, 0);
                let missed = sims[3].missed;
                assert!(missed > 100, "{} {ad:?} {tlb}: missed {missed}", mode.name);
                assert_eq!(sims[0].missed + sims[1].missed + sims[2].missed, 0);
            }
        }
    }
}
