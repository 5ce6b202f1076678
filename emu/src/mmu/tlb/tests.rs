//! Unit tests of the modelled TLB: geometry parsing, hit/miss and LRU order per geometry,
//! ASIDs and global entries, the four SFENCE.VMA forms, superpages, counters.

use super::*;
use crate::mmu::Access::{Fetch, Load, Store};

const KIB4: u64 = 4096;
const MIB2: u64 = 2 << 20;
const GIB1: u64 = 1 << 30;

/// A leaf for `va_base` at `level` in address space `asid`, global if `g`; its pa_base is
/// derived from va_base so a hit's origin can be checked.
fn leaf(va_base: u64, level: u8, asid: u16, g: bool) -> Leaf {
    let mut flags = PteFlags::V | PteFlags::R | PteFlags::W | PteFlags::A | PteFlags::D;
    if g {
        flags |= PteFlags::G;
    }
    Leaf {
        va_base,
        pa_base: 0x8000_0000 + (va_base & 0xfff_ffff_f000) + asid as u64 * GIB1,
        level,
        flags,
        pte_addr: 0,
        asid,
    }
}

fn page(vpn: u64) -> Leaf {
    leaf(vpn * KIB4, 0, 1, false)
}

/// A fresh time for each lookup and refill: increasing, as the MMU's instruction-derived
/// times are (one counter for all tests is enough, since only the order matters).
fn tick() -> u64 {
    static NOW: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);
    NOW.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
}

fn tlb(spec: &str) -> Tlb {
    Tlb::new(TlbGeometry::parse(spec).unwrap())
}

fn hits(t: &mut Tlb, va: u64) -> bool {
    t.lookup(va, 1, Load, tick()).is_some()
}

#[test]
fn geometry_parsing() {
    let g = TlbGeometry::parse("64x4").unwrap();
    assert_eq!((g.entries(), g.ways(), g.sets()), (64, 4, 16));
    assert_eq!(TlbGeometry::default(), g);
    for full in ["32", "32xfull", "32xFULL", " 32 "] {
        let g = TlbGeometry::parse(full).unwrap();
        assert_eq!((g.entries(), g.ways(), g.sets()), (32, 32, 1), "{full}");
        assert_eq!(g.to_string(), "32xfull");
    }
    let g: TlbGeometry = "256x1".parse().unwrap();
    assert_eq!((g.sets(), g.to_string().as_str()), (256, "256x1"));
    use GeometryError::*;
    let err = |s: &str| TlbGeometry::parse(s).unwrap_err();
    assert_eq!(err("0"), ZeroEntries);
    assert_eq!(err("0xfull"), ZeroEntries);
    assert_eq!(err("64x0"), ZeroWays);
    assert_eq!(
        err("4x8"),
        WaysExceedEntries {
            ways: 8,
            entries: 4
        }
    );
    assert_eq!(
        err("10x3"),
        Uneven {
            entries: 10,
            ways: 3
        }
    );
    assert_eq!(err("48x4"), SetsNotPowerOfTwo { sets: 12 });
    assert_eq!(err("131072"), TooManyEntries { entries: 131072 });
    for bad in ["", "x4", "64x", "64x4x2", "sixty", "-4"] {
        assert_eq!(err(bad), Syntax(bad.into()), "{bad:?}");
    }
    assert_eq!(
        err("48x4").to_string(),
        "12 tlb sets is not a power of two (the set index is a field of the vpn)"
    );
    // A non-power-of-two way count is fine as long as the set count is a power of two.
    assert_eq!(TlbGeometry::parse("48x3").unwrap().sets(), 16);
}

#[test]
fn miss_insert_hit_and_counters() {
    let mut t = tlb("64x4");
    assert_eq!(t.lookup(0x5000, 1, Fetch, tick()), None);
    t.insert(page(5), tick());
    assert_eq!(t.lookup(0x5ffc, 1, Fetch, tick()), Some(page(5)));
    assert_eq!(
        t.lookup(0x5008, 1, Load, tick()).unwrap().translate(0x5008),
        0x8000_5008 + GIB1
    );
    assert_eq!(t.lookup(0x6000, 1, Store, tick()), None);
    let s = t.stats();
    assert_eq!(
        s.fetch,
        AccessStats {
            lookups: 2,
            hits: 1,
            misses: 1
        }
    );
    assert_eq!(
        s.load,
        AccessStats {
            lookups: 1,
            hits: 1,
            misses: 0
        }
    );
    assert_eq!(
        *s.access(Store),
        AccessStats {
            lookups: 1,
            hits: 0,
            misses: 1
        }
    );
    assert_eq!((s.refills, s.evictions), (1, 0));
}

#[test]
fn direct_mapped_conflicts() {
    let mut t = tlb("256x1");
    t.insert(page(0), tick());
    t.insert(page(1), tick());
    assert!(hits(&mut t, 0) && hits(&mut t, KIB4));
    t.insert(page(256), tick()); // same set as page 0
    assert!(!hits(&mut t, 0));
    assert!(hits(&mut t, 256 * KIB4) && hits(&mut t, KIB4));
    assert_eq!(t.stats().evictions, 1);
    let e: Vec<_> = t
        .entries()
        .map(|e| (e.set, e.way, e.leaf.va_base))
        .collect();
    assert_eq!(e, [(0, 0, 256 * KIB4), (1, 0, KIB4)]);
}

#[test]
fn set_associative_lru_order() {
    let mut t = tlb("64x4");
    // VPNs 0, 16, 32, 48, 64 all index set 0 of 16.
    for vpn in [0, 16, 32, 48] {
        t.insert(page(vpn), tick());
    }
    assert!(hits(&mut t, 0)); // page 0 becomes most recently used; 16 is now LRU
    t.insert(page(64), tick());
    assert!(!hits(&mut t, 16 * KIB4));
    let ways: Vec<_> = t
        .entries()
        .map(|e| (e.set, e.way, e.leaf.va_base / KIB4))
        .collect();
    assert_eq!(ways, [(0, 0, 0), (0, 1, 64), (0, 2, 32), (0, 3, 48)]);
    t.insert(page(80), tick()); // LRU now 32
    assert!(!hits(&mut t, 32 * KIB4));
    assert!(hits(&mut t, 0) && hits(&mut t, 48 * KIB4) && hits(&mut t, 64 * KIB4));
    // Other sets are untouched by set 0's pressure.
    t.insert(page(1), tick());
    assert_eq!(t.entries().filter(|e| e.set == 1).count(), 1);
}

#[test]
fn fully_associative_lru_order() {
    let mut t = tlb("32");
    for vpn in 0..32 {
        t.insert(page(vpn * 1000), tick());
    }
    assert_eq!(t.stats().evictions, 0);
    assert!(hits(&mut t, 0)); // page 0 saved; page 1000 is LRU
    t.insert(page(99_999), tick());
    assert!(hits(&mut t, 0));
    assert!(!hits(&mut t, 1000 * KIB4));
    assert!(hits(&mut t, 2000 * KIB4));
    assert_eq!(t.entries().count(), 32);
}

#[test]
fn reinsert_overwrites_in_place() {
    let mut t = tlb("64x4");
    t.insert(page(7), tick());
    let mut dirty = page(7);
    dirty.flags |= PteFlags::D;
    dirty.pte_addr = 0x1234;
    t.insert(dirty, tick());
    assert_eq!(t.entries().count(), 1);
    assert_eq!(t.lookup(0x7000, 1, Store, tick()), Some(dirty));
}

#[test]
fn asids_are_isolated() {
    let mut t = tlb("64x4");
    t.insert(leaf(0x1000, 0, 1, false), tick());
    assert_eq!(t.lookup(0x1000, 2, Load, tick()), None);
    t.insert(leaf(0x1000, 0, 2, false), tick());
    assert_eq!(t.entries().count(), 2);
    assert_eq!(
        t.lookup(0x1000, 1, Load, tick()),
        Some(leaf(0x1000, 0, 1, false))
    );
    assert_eq!(
        t.lookup(0x1000, 2, Load, tick()),
        Some(leaf(0x1000, 0, 2, false))
    );
    assert_eq!(t.lookup(0x1000, 3, Load, tick()), None);
}

#[test]
fn global_entries_serve_every_asid() {
    let mut t = tlb("64x4");
    let g = leaf(0xffff_ffff_c000_0000, 0, 7, true);
    t.insert(g, tick());
    for asid in [0, 7, 8, 0xffff] {
        assert_eq!(
            t.lookup(0xffff_ffff_c000_0123, asid, Fetch, tick()),
            Some(g)
        );
    }
}

#[test]
fn satp_write_does_not_flush() {
    // The kernel switches satp (same ASID 0, new root) without SFENCE.VMA: the model, like
    // hardware may, keeps translating with the old entry. The caller never flushes on a satp
    // write; this documents the behaviour the MMU relies on.
    let mut t = tlb("64x4");
    let old = leaf(0x4000, 0, 0, false);
    t.insert(old, tick());
    // ... satp written here, no fence ...
    assert_eq!(t.lookup(0x4000, 0, Load, tick()), Some(old));
    t.sfence_vma(None, None);
    assert_eq!(t.lookup(0x4000, 0, Load, tick()), None);
}

/// A: 0x1000 ASID 1; B: 0x1000 ASID 2; G: 0x1000 global; C: 0x2000 ASID 1; H: 0x3000
/// global; S: 2 MiB superpage at 0x20_0000 ASID 1.
fn fenced(va: Option<u64>, asid: Option<u16>) -> (usize, Vec<&'static str>) {
    let mut t = tlb("64x4");
    let all = [
        ("A", leaf(0x1000, 0, 1, false)),
        ("B", leaf(0x1000, 0, 2, false)),
        ("G", leaf(0x1000, 0, 1, true)),
        ("C", leaf(0x2000, 0, 1, false)),
        ("H", leaf(0x3000, 0, 2, true)),
        ("S", leaf(0x20_0000, 1, 1, false)),
    ];
    for (_, l) in all {
        t.insert(l, tick());
    }
    let n = t.sfence_vma(va, asid);
    let left = all
        .iter()
        .filter(|(_, l)| t.entries().any(|e| e.leaf == *l))
        .map(|(name, _)| *name)
        .collect();
    (n, left)
}

#[test]
fn sfence_vma_all_four_forms() {
    assert_eq!(fenced(None, None), (6, vec![]));
    assert_eq!(fenced(None, Some(1)), (3, vec!["B", "G", "H"]));
    assert_eq!(
        fenced(None, Some(9)),
        (0, vec!["A", "B", "G", "C", "H", "S"])
    );
    assert_eq!(fenced(Some(0x1ff8), None), (3, vec!["C", "H", "S"]));
    assert_eq!(
        fenced(Some(0x3000), None),
        (1, vec!["A", "B", "G", "C", "S"])
    );
    assert_eq!(
        fenced(Some(0x1000), Some(1)),
        (1, vec!["B", "G", "C", "H", "S"])
    );
    assert_eq!(
        fenced(Some(0x3000), Some(2)),
        (0, vec!["A", "B", "G", "C", "H", "S"])
    );
    // Any address inside a superpage fences it.
    assert_eq!(fenced(Some(0x3f_f000), None).0, 1);
    assert_eq!(
        fenced(Some(0x2a_b123), Some(1)),
        (1, vec!["A", "B", "G", "C", "H"])
    );
    assert_eq!(fenced(Some(0x2a_b123), Some(2)).0, 0);
}

#[test]
fn flush_counters_and_invalidate_all() {
    let mut t = tlb("64x4");
    t.insert(page(1), tick());
    t.insert(page(2), tick());
    t.sfence_vma(Some(KIB4), None);
    t.sfence_vma(Some(KIB4), Some(1));
    t.sfence_vma(None, Some(1));
    t.sfence_vma(None, None);
    let f = t.stats().flushes;
    assert_eq!((f.all, f.asid, f.va, f.va_asid, f.entries), (1, 1, 1, 1, 2));
    t.insert(page(3), tick());
    t.invalidate_all();
    assert_eq!(t.entries().count(), 0);
    assert_eq!(t.stats().flushes.all, 1, "reset is not a fence");
}

/// Every 4 KiB page of `sp` (and its first, last and a middle byte) hits; the bytes just
/// outside miss.
fn check_superpage(spec: &str, sp: Leaf) {
    let mut t = tlb(spec);
    t.insert(sp, tick());
    let size = sp.page_size();
    let step = (size / 512).max(KIB4);
    for off in (0..size).step_by(step as usize) {
        for va in [sp.va_base + off, sp.va_base + off + step / 2 + 3] {
            assert_eq!(t.lookup(va, 1, Load, tick()), Some(sp), "{spec} va {va:#x}");
        }
    }
    assert_eq!(t.lookup(sp.va_base + size - 1, 1, Load, tick()), Some(sp));
    assert_eq!(t.lookup(sp.va_base.wrapping_sub(1), 1, Load, tick()), None);
    assert_eq!(
        t.lookup(sp.va_base.wrapping_add(size), 1, Load, tick()),
        None
    );
}

#[test]
fn superpages_hit_everywhere_inside() {
    for spec in ["64x4", "256x1", "32", "1"] {
        check_superpage(spec, leaf(0x4020_0000, 1, 1, false));
        check_superpage(spec, leaf(0x1_4000_0000, 2, 1, false));
        check_superpage(spec, leaf(0xffff_ffc0_0000_0000, 2, 1, false));
        check_superpage(spec, leaf(0x80_0000_0000, 3, 1, false));
    }
    // Every byte-page of a 2 MiB page, exhaustively, in the default geometry.
    let mut t = tlb("64x4");
    let sp = leaf(0x60_0000, 1, 1, true);
    t.insert(sp, tick());
    for va in (sp.va_base..sp.va_base + MIB2).step_by(KIB4 as usize) {
        assert_eq!(t.lookup(va + 0xabc, 42, Fetch, tick()), Some(sp));
    }
    assert_eq!(t.stats().fetch.hits, 512);
}

#[test]
fn superpages_and_pages_share_the_array() {
    let mut t = tlb("64x4");
    // A 2 MiB page with VPN[1] = 16 indexes set 0, like 4 KiB pages 0, 16, 32, ...
    let sp = leaf(16 * MIB2, 1, 1, false);
    t.insert(sp, tick());
    assert_eq!(t.entries().next().map(|e| e.set), Some(0));
    for vpn in [0, 16, 32, 48] {
        t.insert(page(vpn), tick());
    }
    assert!(
        !hits(&mut t, 16 * MIB2 + 0x1234),
        "evicted by 4 KiB pages of its set"
    );
    // A 4 KiB page inside a superpage's range is found first (smallest page first).
    let inner = page(16 * MIB2 / KIB4 + 1);
    t.insert(sp, tick());
    t.insert(inner, tick());
    assert_eq!(t.lookup(16 * MIB2 + KIB4, 1, Load, tick()), Some(inner));
    assert_eq!(t.lookup(16 * MIB2 + 2 * KIB4, 1, Load, tick()), Some(sp));
}

#[test]
fn stats_display() {
    let mut t = tlb("64x4");
    t.lookup(0, 1, Fetch, tick());
    t.insert(page(0), tick());
    t.lookup(0, 1, Fetch, tick());
    t.lookup(0, 1, Store, tick());
    t.sfence_vma(None, Some(1));
    assert_eq!(
        t.stats().to_string(),
        "tlb fetch: 2 lookups, 1 hits, 1 misses\n\
         tlb load: 0 lookups, 0 hits, 0 misses\n\
         tlb store: 1 lookups, 1 hits, 0 misses\n\
         tlb refills: 1, evictions: 0\n\
         tlb sfence.vma: 0 all, 1 asid, 0 va, 0 va+asid (1 entries invalidated)"
    );
}

/// The TLB as first written (one `Option<entry>` per slot, searched entry by entry), kept as
/// the reference the parallel-array storage must agree with.
mod reference {
    use super::super::{Leaf, MAX_LEVEL};
    use crate::mmu::pte::PteFlags;

    pub struct RefTlb {
        pub sets: usize,
        pub ways: usize,
        pub slots: Vec<Option<(Leaf, u64)>>,
        pub levels: u8,
    }

    fn global(l: &Leaf) -> bool {
        l.flags.contains(PteFlags::G)
    }

    impl RefTlb {
        fn set_slots(&self, va: u64, level: u8) -> core::ops::Range<usize> {
            let first = ((va >> (12 + 9 * level as u32)) as usize & (self.sets - 1)) * self.ways;
            first..first + self.ways
        }

        fn present(&self) -> Vec<u8> {
            (0..=MAX_LEVEL)
                .filter(|l| self.levels & (1 << l) != 0)
                .collect()
        }

        pub fn probe(&self, va: u64, asid: u16) -> Option<usize> {
            self.present().into_iter().find_map(|level| {
                self.set_slots(va, level).find(|&i| {
                    self.slots[i]
                        .as_ref()
                        .is_some_and(|(l, _)| (global(l) || l.asid == asid) && l.covers(va))
                })
            })
        }

        pub fn insert(&mut self, leaf: Leaf, now: u64) -> (usize, bool) {
            let g = global(&leaf);
            let range = self.set_slots(leaf.va_base, leaf.level);
            let slots = &self.slots[range.clone()];
            let same = |(l, _): &(Leaf, u64)| {
                l.va_base == leaf.va_base
                    && l.level == leaf.level
                    && global(l) == g
                    && (g || l.asid == leaf.asid)
            };
            let mut evicted = false;
            let way = slots
                .iter()
                .position(|s| s.as_ref().is_some_and(same))
                .or_else(|| slots.iter().position(Option::is_none))
                .unwrap_or_else(|| {
                    evicted = true;
                    (0..slots.len())
                        .min_by_key(|&w| slots[w].map_or(0, |e| e.1))
                        .unwrap_or(0)
                });
            self.slots[range.start + way] = Some((leaf, now));
            self.levels |= 1 << leaf.level;
            (range.start + way, evicted)
        }

        pub fn sfence(&mut self, va: Option<u64>, asid: Option<u16>) -> usize {
            let hit = |l: &Leaf| {
                asid.is_none_or(|a| !global(l) && l.asid == a) && va.is_none_or(|v| l.covers(v))
            };
            let mut n = 0;
            let slots: Vec<usize> = match va {
                None => (0..self.slots.len()).collect(),
                Some(v) => self
                    .present()
                    .into_iter()
                    .flat_map(|l| self.set_slots(v, l))
                    .collect(),
            };
            for i in slots {
                if self.slots[i].is_some_and(|(l, _)| hit(&l)) {
                    self.slots[i] = None;
                    n += 1;
                }
            }
            if va.is_none() && asid.is_none() {
                self.levels = 0;
            }
            n
        }
    }
}

/// Random lookups, refills (4 KiB pages and superpages, global or not, in a few ASIDs) and
/// fences on small geometries: the parallel arrays give the slot, the victim, the counters
/// and the contents (with stamps) that the entry-by-entry reference gives.
#[test]
fn parallel_arrays_agree_with_the_reference_model() {
    // A small xorshift generator: deterministic, no dependency.
    let mut seed = 0x9e37_79b9_7f4a_7c15u64;
    let mut rand = move |n: u64| {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed % n
    };
    for spec in ["64x4", "8x1", "2xfull", "16x2", "4xfull", "32x4"] {
        let mut t = tlb(spec);
        let g = t.geometry();
        let mut r = reference::RefTlb {
            sets: g.sets(),
            ways: g.ways(),
            slots: vec![None; g.entries()],
            levels: 0,
        };
        let mut evictions = 0;
        for step in 1..20_000u64 {
            // Times as the MMU makes them: non-decreasing, sometimes equal (ties in the LRU
            // order go to the lowest way).
            let now = step / 2;
            // VAs from a small window, so that pages repeat and superpages overlap them; some
            // in the upper (sign-extended) half.
            let mut va = rand(64) * KIB4 + rand(4) * MIB2 + rand(2) * GIB1 + rand(4096);
            if rand(8) == 0 {
                va |= !((1u64 << 38) - 1);
            }
            let asid = rand(3) as u16;
            match rand(16) {
                0..=9 => {
                    let want = r.probe(va, asid);
                    assert_eq!(t.probe(va, asid), want, "{spec} probe {va:#x} at {now}");
                    let got = t.lookup_slot(va, asid, Load, now);
                    assert_eq!(got.map(|(s, _)| s), want);
                    if let Some(i) = want {
                        let e = r.slots[i].as_mut().unwrap();
                        e.1 = now;
                        assert_eq!(got.map(|(_, l)| l), Some(e.0));
                    }
                }
                10..=14 => {
                    let level = [0, 0, 0, 0, 1, 2][rand(6) as usize];
                    let size = 4096u64 << (9 * level);
                    let l = leaf(va & !(size - 1), level, asid, rand(5) == 0);
                    let (slot, evicted) = r.insert(l, now);
                    evictions += evicted as u64;
                    assert_eq!(t.insert(l, now).slot, slot, "{spec} insert {l:?}");
                }
                _ => {
                    let fva = (rand(2) == 0).then_some(va);
                    let fasid = (rand(2) == 0).then_some(asid);
                    assert_eq!(t.sfence_vma(fva, fasid), r.sfence(fva, fasid), "{spec}");
                }
            }
            if step % 97 == 0 {
                let want: Vec<_> = r
                    .slots
                    .iter()
                    .enumerate()
                    .filter_map(|(i, s)| s.map(|(leaf, stamp)| (i, leaf, stamp)))
                    .collect();
                let got: Vec<_> = t
                    .entries()
                    .map(|e| (e.set * g.ways() + e.way, e.leaf, e.stamp))
                    .collect();
                assert_eq!(got, want, "{spec} contents at {now}");
            }
        }
        assert_eq!(t.stats().evictions, evictions, "{spec}");
    }
}

/// What `Tlb::probe` answers, by the definition: the sets of the present levels, smallest
/// page first, each way in order; the first valid entry of `asid` (or global) covering `va`.
fn search_every_level(t: &Tlb, va: u64, asid: u16) -> Option<usize> {
    (0..=MAX_LEVEL)
        .filter(|l| t.levels & (1 << l) != 0)
        .flat_map(|l| t.set_slots(va, l))
        .find(|&i| tag_covers(t.ways[i].tag, va) && owner_matches(t.ways[i].owner, asid))
}

#[test]
fn insert_after_a_miss_agrees_with_insert() {
    let mut seed = 0x2545_f491_4f6c_dd1du64;
    let mut rand = move |n: u64| {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed % n
    };
    for spec in ["64x4", "8x1", "4xfull", "16x2"] {
        let (mut a, mut b) = (tlb(spec), tlb(spec));
        let mut fast_inserts = 0;
        for step in 1..20_000u64 {
            let now = step / 2;
            let va = rand(48) * KIB4 + rand(2) * GIB1;
            let asid = rand(3) as u16;
            match rand(16) {
                0..=5 => {
                    assert_eq!(
                        a.lookup_slot(va, asid, Load, now),
                        b.lookup_slot(va, asid, Load, now)
                    );
                }
                6..=14 => {
                    // Mostly 4 KiB leaves, some 2 MiB and 1 GiB ones among them.
                    let level = match rand(10) {
                        0 => 1,
                        1 => 2,
                        _ => 0,
                    };
                    let base = va & !((KIB4 << (9 * level)) - 1);
                    let l = leaf(base, level, asid, rand(5) == 0);
                    // `find_4k` answers as `probe` does, and `probe` (which skips sets
                    // without superpages) as the plain search of every present level.
                    let probed = b.probe(va, asid);
                    assert_eq!(probed, search_every_level(&b, va, asid), "{spec} at {now}");
                    match b.find_4k(va, asid) {
                        Found::Hit(slot) => assert_eq!(Some(slot), probed, "{spec} at {now}"),
                        Found::Miss(_) => assert_eq!(probed, None, "{spec} at {now}"),
                    }
                    let missed = level == 0 && probed.is_none();
                    let want = a.insert(l, now);
                    if missed {
                        fast_inserts += 1;
                        // The choice the probe made, filled: what `insert` chooses and does.
                        let victim = b.probe_4k(l.va_base, l.asid).expect("a miss");
                        assert_eq!(victim, b.victim_for(&l), "{spec} choice {l:?} at {now}");
                        let got = Refill {
                            slot: victim.slot(),
                            displaced: b.fill(l, now, victim),
                        };
                        assert_eq!(got, want, "{spec} insert {l:?} at {now}");
                    } else {
                        assert_eq!(b.insert(l, now), want, "{spec} insert {l:?} at {now}");
                    }
                }
                _ => {
                    let fva = (rand(2) == 0).then_some(va);
                    let fasid = (rand(2) == 0).then_some(asid);
                    assert_eq!(a.sfence_vma(fva, fasid), b.sfence_vma(fva, fasid));
                }
            }
            assert_eq!(a.stats(), b.stats(), "{spec} at {now}");
            if step % 61 == 0 {
                assert!(a.entries().eq(b.entries()), "{spec} contents at {now}");
            }
        }
        assert!(fast_inserts > 4_000, "{spec}: {fast_inserts}");
    }
}
