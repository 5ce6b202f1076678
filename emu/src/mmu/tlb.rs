//! The modelled TLB: a set-associative hardware structure holding leaf translations, with
//! the geometry, replacement and invalidation behaviour a kernel can observe.
//!
//! Used by the MMU (`mod.rs`): lookup before a walk, insert after one (unless PMP is not
//! uniform over the page), `sfence_vma` from `SFENCE.VMA`, `invalidate_all` at reset.
//!
//! **Stale entries are kept.** Writing satp does not flush (priv/supervisor.adoc,
//! "Supervisor Memory-Management Fence Instruction": only SFENCE.VMA orders page-table
//! updates and satp changes with later translations), so a kernel that forgets a fence sees
//! stale translations here, as it may on hardware; Spike flushes on every satp write.
//!
//! **Geometry** is `ENTRIES[xWAYS|xfull]` (default `64x4`: 16 sets of 4 ways). The number
//! of sets must be a power of two because the set index is a bit field of the VPN.
//!
//! **Replacement** is true LRU within a set: each entry carries the time of its last hit or
//! refill; a refill takes the lowest-numbered invalid way, else the way with the oldest
//! stamp. It is deterministic (no randomness: runs are reproducible and tests can predict
//! victims) and works for any way count, where tree-PLRU, its usual hardware approximation,
//! needs a power of two. The time is the caller's: the MMU passes `4 × instruction index +
//! phase` (fetch first, data last), so a stamp says *when* an entry was used and the
//! host-side fast path (`fast.rs`) can apply a run of hits after the fact and still leave
//! exactly the stamps the one-by-one lookups would have left.
//!
//! **Superpages** share the one array and are indexed by their own VPN bits: a level-`l`
//! leaf lives in set `(va >> (12 + 9*l)) % sets`. Indexing a 2 MiB page by the 4 KiB VPN of
//! whichever address missed would leave it findable only from 1/512th of its range. A
//! lookup therefore probes one set per page size, smallest first, and only for the levels
//! that have been inserted since the last full flush (`levels`), so a kernel without
//! superpages pays one probe; and a superpage level's set that has held no superpage entry
//! since then is skipped (`super_sets`: its 4 KiB entries cannot cover the address), so a
//! kernel's few gigapages cost the 4 KiB lookups of other sets nothing. A separate
//! fully-associative superpage array would also work but adds a second geometry to
//! configure and report; a unified array makes superpages compete for capacity as in a
//! unified second-level TLB.

use super::pte::PteFlags;
use super::{Access, Leaf};
use core::fmt;
use core::str::FromStr;

/// Highest leaf level (Sv57's 256 TiB page).
const MAX_LEVEL: u8 = 4;
/// Upper bound on the entry count, so a typo cannot allocate gigabytes.
pub const MAX_ENTRIES: usize = 1 << 16;

/// Errors from parsing or building a [`TlbGeometry`].
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum GeometryError {
    #[error("invalid tlb geometry `{0}`: expected ENTRIES, ENTRIESxWAYS or ENTRIESxfull")]
    Syntax(String),
    #[error("a tlb needs at least one entry")]
    ZeroEntries,
    #[error("a tlb needs at least one way")]
    ZeroWays,
    #[error("{entries} tlb entries exceed the limit of {MAX_ENTRIES}")]
    TooManyEntries { entries: usize },
    #[error("{ways} ways exceed the {entries} entries of the tlb")]
    WaysExceedEntries { ways: usize, entries: usize },
    #[error("{entries} tlb entries do not divide into sets of {ways} ways")]
    Uneven { entries: usize, ways: usize },
    #[error("{sets} tlb sets is not a power of two (the set index is a field of the vpn)")]
    SetsNotPowerOfTwo { sets: usize },
}

/// `Result` of geometry parsing.
pub type Result<T> = core::result::Result<T, GeometryError>;

/// Size and associativity of a TLB.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TlbGeometry {
    entries: usize,
    ways: usize,
}

impl TlbGeometry {
    /// `entries` entries in sets of `ways` ways.
    pub fn new(entries: usize, ways: usize) -> Result<TlbGeometry> {
        if entries == 0 {
            return Err(GeometryError::ZeroEntries);
        }
        if ways == 0 {
            return Err(GeometryError::ZeroWays);
        }
        if entries > MAX_ENTRIES {
            return Err(GeometryError::TooManyEntries { entries });
        }
        if ways > entries {
            return Err(GeometryError::WaysExceedEntries { ways, entries });
        }
        if entries % ways != 0 {
            return Err(GeometryError::Uneven { entries, ways });
        }
        let sets = entries / ways;
        if !sets.is_power_of_two() {
            return Err(GeometryError::SetsNotPowerOfTwo { sets });
        }
        Ok(TlbGeometry { entries, ways })
    }

    /// Parses `64x4` (64 entries, 4-way), `32` or `32xfull` (fully associative), `256x1`
    /// (direct-mapped).
    pub fn parse(s: &str) -> Result<TlbGeometry> {
        let bad = || GeometryError::Syntax(s.to_string());
        let num = |t: &str| t.trim().parse::<usize>().map_err(|_| bad());
        match s.trim().split_once(['x', 'X']) {
            None => {
                let n = num(s)?;
                TlbGeometry::new(n, n)
            }
            Some((e, w)) if w.trim().eq_ignore_ascii_case("full") => {
                let n = num(e)?;
                TlbGeometry::new(n, n)
            }
            Some((e, w)) => TlbGeometry::new(num(e)?, num(w)?),
        }
    }

    /// Total entries.
    pub fn entries(&self) -> usize {
        self.entries
    }

    /// Ways per set.
    pub fn ways(&self) -> usize {
        self.ways
    }

    /// Number of sets (a power of two).
    pub fn sets(&self) -> usize {
        self.entries / self.ways
    }
}

impl Default for TlbGeometry {
    fn default() -> TlbGeometry {
        TlbGeometry {
            entries: 64,
            ways: 4,
        }
    }
}

impl FromStr for TlbGeometry {
    type Err = GeometryError;
    fn from_str(s: &str) -> Result<TlbGeometry> {
        TlbGeometry::parse(s)
    }
}

impl fmt::Display for TlbGeometry {
    /// The spec string that parses back to this geometry (`64x4`, `32xfull`).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.sets() == 1 {
            write!(f, "{}xfull", self.entries)
        } else {
            write!(f, "{}x{}", self.entries, self.ways)
        }
    }
}

/// Lookup counters of one access type.
///
/// `misses` sits between `lookups` and `hits` so that the two counters every hit adds to
/// are not neighbours: the compiler adds neighbouring counters as one vector, which takes
/// four instructions where two increments take two, on the fast path's every load and store.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct AccessStats {
    pub lookups: u64,
    pub misses: u64,
    pub hits: u64,
}

/// SFENCE.VMA counts by form, and the entries they invalidated.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct FlushStats {
    /// rs1 = x0, rs2 = x0: everything.
    pub all: u64,
    /// rs1 = x0, rs2 = ASID: one address space, global entries kept.
    pub asid: u64,
    /// rs1 = VA, rs2 = x0: one page, all address spaces.
    pub va: u64,
    /// rs1 = VA, rs2 = ASID: one page of one address space, global entries kept.
    pub va_asid: u64,
    /// Valid entries the fences above invalidated.
    pub entries: u64,
}

/// TLB counters for `--stats`.
///
/// `flushes` sits between `refills` and `evictions` for the reason `AccessStats` orders its
/// counters as it does: a refill that evicts adds to both.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TlbStats {
    pub fetch: AccessStats,
    pub load: AccessStats,
    pub store: AccessStats,
    /// Entries written ([`Tlb::fill`]).
    pub refills: u64,
    pub flushes: FlushStats,
    /// Refills that displaced a valid entry.
    pub evictions: u64,
}

impl TlbStats {
    /// The counters of `access`.
    pub fn access(&self, access: Access) -> &AccessStats {
        match access {
            Access::Fetch => &self.fetch,
            Access::Load => &self.load,
            Access::Store => &self.store,
        }
    }

    fn access_mut(&mut self, access: Access) -> &mut AccessStats {
        match access {
            Access::Fetch => &mut self.fetch,
            Access::Load => &mut self.load,
            Access::Store => &mut self.store,
        }
    }
}

impl fmt::Display for TlbStats {
    /// Several lines without a trailing newline; the caller prefixes each (`rvmmu: `).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (name, s) in [
            ("fetch", self.fetch),
            ("load", self.load),
            ("store", self.store),
        ] {
            writeln!(
                f,
                "tlb {name}: {} lookups, {} hits, {} misses",
                s.lookups, s.hits, s.misses
            )?;
        }
        writeln!(
            f,
            "tlb refills: {}, evictions: {}",
            self.refills, self.evictions
        )?;
        let fl = &self.flushes;
        write!(
            f,
            "tlb sfence.vma: {} all, {} asid, {} va, {} va+asid ({} entries invalidated)",
            fl.all, fl.asid, fl.va, fl.va_asid, fl.entries
        )
    }
}

/// A valid entry as seen by debuggers and snapshots.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TlbEntry {
    pub set: usize,
    pub way: usize,
    pub leaf: Leaf,
    /// Time of the last hit or refill (the LRU order within the set).
    pub stamp: u64,
}

/// What a refill did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Refill {
    /// The slot now holding the new entry.
    pub slot: usize,
    /// The entry it replaced (evicted, or the same page overwritten in place), if any.
    pub displaced: Option<Displaced>,
}

/// The (super)page of an entry a refill replaced: what the caches above the TLB must forget.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Displaced {
    pub va_base: u64,
    pub level: u8,
}

/// Bit 0 of a tag: the slot holds an entry.
const VALID: u64 = 1;
/// The owner of a global entry (above every 16-bit ASID).
const GLOBAL: u32 = 1 << 16;

/// The tag of a slot holding `leaf`: its VA base (aligned to at least 4 KiB, so bits 11:0
/// are free), the level in bits 3:1, and [`VALID`]. An empty slot's tag is 0.
#[inline]
fn tag_of(leaf: &Leaf) -> u64 {
    leaf.va_base | (leaf.level as u64) << 1 | VALID
}

/// The owner of a slot holding `leaf`: its ASID, or [`GLOBAL`] if its G flag is set.
#[inline]
fn owner_of(leaf: &Leaf) -> u32 {
    if leaf.flags.contains(PteFlags::G) {
        GLOBAL
    } else {
        leaf.asid as u32
    }
}

/// Whether the entry tagged `tag` is valid and its (super)page covers `va`: the tag a level-l
/// leaf containing `va` would have, with l read from the tag itself (an entry of any level
/// may sit in the set searched for another level when the set indices coincide).
#[inline(always)]
fn tag_covers(tag: u64, va: u64) -> bool {
    let level = (tag >> 1) & 7;
    let mask = !((4096u64 << (9 * level)) - 1);
    tag == (va & mask) | (tag & 0xe) | VALID
}

/// [`tag_covers`] with the 4 KiB tag of `va` (`key`) at hand: a 4 KiB entry covers `va`
/// only if its tag is `key`, and only a superpage entry (level bits set) needs the general
/// test. The common entries cost one comparison.
#[inline(always)]
fn tag_covers_keyed(tag: u64, key: u64, va: u64) -> bool {
    debug_assert_eq!(key, (va & !0xfff) | VALID);
    tag == key || (tag & 0xe != 0 && tag_covers(tag, va))
}

/// Whether an entry of `owner` is usable by address space `asid`: global entries are shared
/// by all address spaces.
#[inline(always)]
fn owner_matches(owner: u32, asid: u16) -> bool {
    owner == asid as u32 || owner == GLOBAL
}

/// One way of a set: what a probe compares, side by side. A set is its ways in a row, so
/// the default 4-way set is 64 bytes (its stamps, which only the victim choice reads, are
/// 32 more), and one pass over it both probes and picks the victim ([`Tlb::probe_4k`]).
///
/// The stamps have an array of their own, 8 bytes a slot, because the fast path writes the
/// stamp of a slot on every load and store it serves (`Tlb::count_fast_hit`): in the `Way`
/// that address would cost the hit one more multiplication than an 8-byte stride does.
#[derive(Clone, Copy, Debug)]
struct Way {
    /// [`tag_of`] the entry, 0 when empty.
    tag: u64,
    /// [`owner_of`] the entry (meaningless when empty).
    owner: u32,
}

const EMPTY_WAY: Way = Way { tag: 0, owner: 0 };

/// Where a refill goes ([`Tlb::victim_for`], or [`Tlb::find_4k`] after a missed probe): the
/// slot, and whether the entry it holds is evicted (not when the slot is invalid or holds the
/// same page, overwritten in place).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Victim {
    slot: usize,
    evicts: bool,
}

impl Victim {
    /// The slot the refill fills.
    #[inline(always)]
    pub fn slot(self) -> usize {
        self.slot
    }

    /// Whether the slot holds a valid entry the refill evicts.
    #[inline(always)]
    pub fn evicts(self) -> bool {
        self.evicts
    }
}

/// [`Tlb::find_4k`]'s pass over the level-0 set of `va` (`ways` and their `stamps`, equally
/// long): `Err(w)` if way `w` is the first whose entry covers `va` (`key` is its 4 KiB tag)
/// for `asid` or globally; else the way a refill takes, as [`Tlb::insert`] chooses it when
/// the set holds no entry for the page (the first invalid way, else the oldest stamp, the
/// lowest way on a tie), and whether that evicts.
///
/// `SUPER`: the set may hold superpage entries; else a covering entry's tag is `key`.
#[inline(always)]
fn scan_4k<const SUPER: bool>(
    ways: &[Way],
    stamps: &[u64],
    key: u64,
    va: u64,
    asid: u16,
) -> core::result::Result<(usize, bool), usize> {
    let (mut invalid, mut lru, mut oldest) = (usize::MAX, 0, u64::MAX);
    for w in 0..ways.len() {
        let tag = ways[w].tag;
        let covers = if SUPER {
            tag_covers_keyed(tag, key, va)
        } else {
            tag == key
        };
        if covers && owner_matches(ways[w].owner, asid) {
            return Err(w);
        }
        if tag & VALID == 0 {
            invalid = invalid.min(w);
        } else if stamps[w] < oldest {
            (lru, oldest) = (w, stamps[w]);
        }
    }
    Ok(if invalid != usize::MAX {
        (invalid, false)
    } else {
        (lru, true)
    })
}

/// What [`Tlb::find_4k`] found for an address.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Found {
    /// The slot a lookup would hit ([`Tlb::probe`]'s answer).
    Hit(usize),
    /// No entry covers the address: where a refill with a 4 KiB leaf of it goes.
    Miss(Victim),
}

/// The TLB of one hart.
///
/// Stored set-major: `ways` holds every slot's tag and owner ([`Way`]), set after set, so a
/// lookup reads one set's ways from one place; `stamps` and `leaves` have the same indices,
/// read by the victim choice and on a hit.
#[derive(Clone, Debug)]
pub struct Tlb {
    geom: TlbGeometry,
    /// `geom.ways()` and `geom.sets() - 1`, kept at hand for the index arithmetic.
    n_ways: usize,
    set_mask: usize,
    /// Per slot, `sets * ways` of them: tag and owner.
    ways: Box<[Way]>,
    /// Per slot: the time of the last hit or refill (meaningless when empty).
    stamps: Box<[u64]>,
    /// Per slot: the rest of the translation (meaningless when empty).
    leaves: Box<[Held]>,
    /// Bit `l` set: a level-`l` leaf may be present (cleared only by a full invalidation).
    levels: u8,
    /// Bit `set % 64` set: the set may hold a superpage entry (set by every superpage
    /// refill, cleared only with `levels`). A probe skips a superpage level's set whose bit
    /// is clear ([`Tlb::probe_levels`]).
    super_sets: u64,
    stats: TlbStats,
}

/// What a slot keeps of its [`Leaf`] besides the tag: the VA base and the level are in the
/// tag ([`tag_of`]), so a refill writes two words fewer.
#[derive(Clone, Copy, Debug)]
struct Held {
    pa_base: u64,
    pte_addr: u64,
    flags: PteFlags,
    asid: u16,
}

const EMPTY_HELD: Held = Held {
    pa_base: 0,
    pte_addr: 0,
    flags: PteFlags::empty(),
    asid: 0,
};

impl Held {
    #[inline(always)]
    fn of(leaf: &Leaf) -> Held {
        Held {
            pa_base: leaf.pa_base,
            pte_addr: leaf.pte_addr,
            flags: leaf.flags,
            asid: leaf.asid,
        }
    }

    /// The leaf of a valid slot tagged `tag` that holds this.
    #[inline(always)]
    fn leaf(&self, tag: u64) -> Leaf {
        Leaf {
            va_base: tag & !0xfff,
            pa_base: self.pa_base,
            level: (tag >> 1 & 7) as u8,
            flags: self.flags,
            pte_addr: self.pte_addr,
            asid: self.asid,
        }
    }
}

impl Tlb {
    /// An empty TLB of the given geometry.
    pub fn new(geom: TlbGeometry) -> Tlb {
        let n = geom.entries;
        Tlb {
            geom,
            n_ways: geom.ways,
            set_mask: geom.sets() - 1,
            ways: vec![EMPTY_WAY; n].into_boxed_slice(),
            stamps: vec![0; n].into_boxed_slice(),
            leaves: vec![EMPTY_HELD; n].into_boxed_slice(),
            levels: 0,
            super_sets: 0,
            stats: TlbStats::default(),
        }
    }

    /// The geometry.
    pub fn geometry(&self) -> TlbGeometry {
        self.geom
    }

    /// The counters.
    pub fn stats(&self) -> &TlbStats {
        &self.stats
    }

    /// The first slot of the set a level-`level` leaf containing `va` lives in: its own VPN
    /// bits select the set.
    #[inline(always)]
    fn set_start(&self, va: u64, level: u8) -> usize {
        ((va >> (12 + 9 * level as u32)) as usize & self.set_mask) * self.n_ways
    }

    /// Slot indices of the set holding level-`level` leaves for `va`.
    #[inline(always)]
    fn set_slots(&self, va: u64, level: u8) -> core::ops::Range<usize> {
        let first = self.set_start(va, level);
        first..first + self.n_ways
    }

    /// The ways and the stamps of the set that starts at slot `start`, which must come from
    /// [`Tlb::set_start`]: two slices of `n_ways` elements.
    #[inline(always)]
    fn set(&self, start: usize) -> (&[Way], &[u64]) {
        let end = start + self.n_ways;
        debug_assert!(start % self.n_ways == 0 && end <= self.ways.len());
        debug_assert!(self.ways.len() == self.stamps.len());
        // SAFETY: `set_start` gives `(x & set_mask) * n_ways` ≤ `(sets - 1) * n_ways`, so
        // `end` ≤ `sets * n_ways`, the length `new` gave both boxed slices (which never
        // change length: no field is reassigned after `new`).
        unsafe {
            (
                self.ways.get_unchecked(start..end),
                self.stamps.get_unchecked(start..end),
            )
        }
    }

    /// Whether set `set` may hold a superpage entry (`super_sets`).
    #[inline(always)]
    fn may_hold_superpage(&self, set: usize) -> bool {
        self.super_sets >> (set & 63) & 1 != 0
    }

    /// Levels that may be present, smallest page first.
    fn present_levels(&self) -> impl Iterator<Item = u8> + use<> {
        let levels = self.levels;
        (0..=MAX_LEVEL).filter(move |l| levels & (1 << l) != 0)
    }

    /// The leaf in the valid `slot`.
    #[inline(always)]
    fn leaf(&self, slot: usize) -> Leaf {
        self.leaves[slot].leaf(self.ways[slot].tag)
    }

    #[inline(always)]
    fn valid(&self, slot: usize) -> bool {
        self.ways[slot].tag & VALID != 0
    }

    /// The slot a lookup of `va` in `asid` would hit, without counting or touching it: the
    /// sets of the present levels, smallest page first, each way in order; the first valid
    /// entry of `asid` (or global) whose (super)page covers `va`.
    #[inline]
    pub fn probe(&self, va: u64, asid: u16) -> Option<usize> {
        if self.levels == 1 {
            // Only 4 KiB leaves: every candidate's tag is the one key.
            let key = (va & !0xfff) | VALID;
            let start = self.set_start(va, 0);
            let (set, _) = self.set(start);
            for (w, way) in set.iter().enumerate() {
                if way.tag == key && owner_matches(way.owner, asid) {
                    return Some(start + w);
                }
            }
            return None;
        }
        self.probe_levels(va, asid, self.levels)
    }

    /// [`Tlb::probe`] when superpages may be present (or nothing at all): the sets of the
    /// present levels in `levels`, smallest page first.
    #[inline(always)]
    fn probe_levels(&self, va: u64, asid: u16, levels: u8) -> Option<usize> {
        let key = (va & !0xfff) | VALID;
        let mut levels = levels;
        while levels != 0 {
            let level = levels.trailing_zeros() as u8;
            levels &= levels - 1;
            // A set holding no superpage entry holds only 4 KiB entries (or none: without
            // level 0 present, none at all). The only 4 KiB entries that can cover `va` are
            // in its level-0 set, which the level-0 pass has searched first: nothing here
            // can answer, and skipping the set changes no answer.
            let set_index = (va >> (12 + 9 * level as u32)) as usize & self.set_mask;
            if level > 0 && !self.may_hold_superpage(set_index) {
                continue;
            }
            let start = self.set_start(va, level);
            let (set, _) = self.set(start);
            for (w, way) in set.iter().enumerate() {
                if tag_covers_keyed(way.tag, key, va) && owner_matches(way.owner, asid) {
                    return Some(start + w);
                }
            }
        }
        None
    }

    /// Looks `va` up for address space `asid` at time `now`: a hit needs a valid entry,
    /// global or of `asid`, whose (super)page covers `va`. A hit makes the entry most
    /// recently used. Returns the slot and the entry.
    #[inline(always)] // one search per translation: keep it in the caller's loop
    pub fn lookup_slot(
        &mut self,
        va: u64,
        asid: u16,
        access: Access,
        now: u64,
    ) -> Option<(usize, Leaf)> {
        match self.probe(va, asid) {
            Some(i) => {
                self.count_hit(i, access, now);
                Some((i, self.leaf(i)))
            }
            None => {
                self.count_miss(access);
                None
            }
        }
    }

    /// Counts a lookup of type `access` that missed, as [`Tlb::lookup_slot`] does when
    /// [`Tlb::probe`] finds nothing: for a caller that has probed already.
    #[inline(always)]
    pub fn count_miss(&mut self, access: Access) {
        let s = self.stats.access_mut(access);
        s.lookups += 1;
        s.misses += 1;
    }

    /// [`Tlb::lookup_slot`] without the slot.
    pub fn lookup(&mut self, va: u64, asid: u16, access: Access, now: u64) -> Option<Leaf> {
        self.lookup_slot(va, asid, access, now).map(|(_, l)| l)
    }

    /// Counts `n` hits of type `access` on the entry in `slot`, the last of them at `last`:
    /// the counters and the stamp that `n` lookups hitting it would have left. The fast
    /// path's way of catching up (its caller guarantees those lookups would have hit there).
    #[inline]
    pub fn count_hits(&mut self, slot: usize, access: Access, n: u64, last: u64) {
        self.count_lookups_hit(access, n);
        self.restamp(slot, last);
    }

    /// `n` lookups of type `access` that hit: the counters only.
    #[inline(always)]
    fn count_lookups_hit(&mut self, access: Access, n: u64) {
        let s = self.stats.access_mut(access);
        s.lookups += n;
        s.hits += n;
    }

    /// One hit of a load or store at `now` on the valid entry in `slot`, counted for the
    /// fast path ([`Tlb::count_hits`] with n = 1). Its entries are always valid (it drops
    /// them with their slot), and no stamp lies in the future of a data access (the last
    /// phase of its instruction), so the stamp is just `now`.
    #[inline(always)]
    pub fn count_fast_hit(&mut self, slot: usize, access: Access, now: u64) {
        debug_assert!(self.valid(slot) && self.stamps[slot] <= now);
        self.count_hit(slot, access, now);
    }

    /// One hit of type `access` at `now` on the valid entry in `slot`, which [`Tlb::probe`]
    /// has just answered: the counters and the stamp [`Tlb::lookup_slot`] leaves.
    #[inline(always)]
    pub fn count_hit(&mut self, slot: usize, access: Access, now: u64) {
        let s = self.stats.access_mut(access);
        s.lookups += 1;
        s.hits += 1;
        self.stamps[slot] = now;
    }

    /// The leaf in the valid `slot` (which [`Tlb::probe`] or [`Tlb::find_4k`] returned).
    #[inline(always)]
    pub fn leaf_at(&self, slot: usize) -> Leaf {
        self.leaf(slot)
    }

    /// The entry in `slot` was used at `at` (a stamp only: no counters). The stamp of an
    /// empty slot is never read (the victim choice and `entries` look at valid ones only,
    /// and a refill writes it), so the slot's validity need not be tested.
    #[inline(always)]
    pub fn restamp(&mut self, slot: usize, at: u64) {
        let s = &mut self.stamps[slot];
        *s = (*s).max(at);
    }

    /// Refills with `leaf` (a superpage if `leaf.level > 0`; global if its G flag is set):
    /// [`Tlb::victim_for`] then [`Tlb::fill`]. `now` is the new entry's stamp.
    #[inline]
    pub fn insert(&mut self, leaf: Leaf, now: u64) -> Refill {
        let victim = self.victim_for(&leaf);
        Refill {
            slot: victim.slot,
            displaced: self.fill(leaf, now, victim),
        }
    }

    /// Where a refill with `leaf` goes. An entry for the same page in the same address space
    /// is overwritten in place (a re-walk after an A/D update refreshes it rather than
    /// duplicating it); otherwise the lowest invalid way of the set is used, else the least
    /// recently used one (the lowest way among equally old ones), which the refill evicts.
    #[inline]
    pub fn victim_for(&self, leaf: &Leaf) -> Victim {
        debug_assert!(leaf.level <= MAX_LEVEL, "leaf level {}", leaf.level);
        let (tag, owner) = (tag_of(leaf), owner_of(leaf));
        let start = self.set_start(leaf.va_base, leaf.level);
        let (set, stamps) = self.set(start);
        // One pass: the same entry wins outright; else the first invalid way; else the
        // oldest stamp (strictly older, so the lowest way wins a tie).
        let mut invalid = usize::MAX;
        let (mut lru, mut oldest) = (0, u64::MAX);
        for w in 0..set.len() {
            let way = &set[w];
            if way.tag == tag && way.owner == owner {
                return Victim {
                    slot: start + w,
                    evicts: false,
                };
            }
            if way.tag & VALID == 0 {
                invalid = invalid.min(w);
            } else if stamps[w] < oldest {
                (lru, oldest) = (w, stamps[w]);
            }
        }
        if invalid != usize::MAX {
            return Victim {
                slot: start + invalid,
                evicts: false,
            };
        }
        Victim {
            slot: start + lru,
            evicts: true,
        }
    }

    /// The one way an entry is written: `leaf` into `victim`, the choice
    /// [`Tlb::victim_for`] makes for it on the current stamps (or [`Tlb::find_4k`] for a 4 KiB
    /// leaf whose page it missed: the same choice, made in the probe's pass). Returns the
    /// (super)page the slot held before, if it was valid: evicted, or the same page
    /// overwritten in place.
    #[inline(always)]
    pub fn fill(&mut self, leaf: Leaf, now: u64, victim: Victim) -> Option<Displaced> {
        debug_assert_eq!(leaf.va_base % leaf.page_size(), 0, "unaligned leaf");
        debug_assert_eq!(victim, self.victim_for(&leaf), "a victim not chosen now");
        let Victim { slot, evicts } = victim;
        let old = self.ways[slot].tag;
        // A valid tag is the VA base | level << 1 | VALID.
        let displaced = (old & VALID != 0).then_some(Displaced {
            va_base: old & !0xfff,
            level: (old >> 1 & 7) as u8,
        });
        self.ways[slot] = Way {
            tag: tag_of(&leaf),
            owner: owner_of(&leaf),
        };
        debug_assert!(self.stamps.len() == self.ways.len() && self.leaves.len() == self.ways.len());
        // SAFETY: `slot` indexes `ways` (checked just above), and `stamps` and `leaves` have
        // the same length, `sets * n_ways`, from `new` on (boxed slices: their length never
        // changes, and no field is reassigned after `new`).
        unsafe {
            *self.stamps.get_unchecked_mut(slot) = now;
            *self.leaves.get_unchecked_mut(slot) = Held::of(&leaf);
        }
        if evicts {
            self.stats.evictions += 1;
        }
        self.levels |= 1 << leaf.level;
        if leaf.level > 0 {
            // The set's index: slots are numbered set-major.
            self.super_sets |= 1 << ((slot / self.n_ways) & 63);
        }
        self.stats.refills += 1;
        displaced
    }

    /// Whether only 4 KiB leaves may be present: then [`Tlb::probe`] searches one set.
    #[inline(always)]
    pub fn only_4k(&self) -> bool {
        self.levels == 1
    }

    /// [`Tlb::probe`] and, when it misses, the victim choice [`Tlb::insert`] makes for a
    /// 4 KiB leaf of `va` in `asid`. With a miss no entry of the leaf's set is the same page
    /// of the same owner (the probe would have found it, global or not), so `insert`'s choice
    /// is the first invalid way of the level-0 set, else the oldest stamp (the lowest way on
    /// a tie), whatever levels its entries have.
    ///
    /// With only 4 KiB leaves present ([`Tlb::only_4k`]) probe and choice are one pass over
    /// one set; with superpages too, the probe searches each present level's set, then the
    /// choice passes over the level-0 set.
    #[inline(always)]
    pub fn find_4k(&self, va: u64, asid: u16) -> Found {
        let start = self.set_start(va, 0);
        let key = (va & !0xfff) | VALID;
        let (set, stamps) = self.set(start);
        let found = if self.only_4k() {
            // Only 4 KiB entries: a covering entry's tag is the key. The default geometry's
            // 4 ways: the same scan over slices of a length the compiler knows, so that it
            // unrolls the loop.
            if set.len() == 4 {
                scan_4k::<false>(&set[..4], &stamps[..4], key, va, asid)
            } else {
                scan_4k::<false>(set, stamps, key, va, asid)
            }
        } else {
            return self.find_4k_mixed(va, asid, start, key);
        };
        match found {
            Err(w) => Found::Hit(start + w),
            Ok((w, evicts)) => Found::Miss(Victim {
                slot: start + w,
                evicts,
            }),
        }
    }

    /// [`Tlb::find_4k`] when superpage entries may be present (or nothing at all); `start`
    /// and `key` are the level-0 set's first slot and `va`'s 4 KiB tag.
    #[inline(always)]
    fn find_4k_mixed(&self, va: u64, asid: u16, start: usize, key: u64) -> Found {
        let (set, stamps) = self.set(start);
        if self.levels & 1 == 0 {
            // No 4 KiB entry: the probe does not search the level-0 set first (a superpage
            // entry there is found in its own level's pass, which may come later).
            if let Some(slot) = self.probe_levels(va, asid, self.levels) {
                return Found::Hit(slot);
            }
            // Nothing covers `va` (the probe searched every present level), so the scan only
            // chooses.
            let (w, evicts) = scan_4k::<true>(set, stamps, key, va, asid).unwrap_or((0, false));
            return Found::Miss(Victim {
                slot: start + w,
                evicts,
            });
        }
        // Level 0 first: its set's probe and victim choice in one pass. A level-0 set
        // without a superpage entry holds only 4 KiB ones (or none): a covering entry's tag
        // is then the key.
        let plain = !self.may_hold_superpage((va >> 12) as usize & self.set_mask);
        let found = match (set.len() == 4, plain) {
            (true, true) => scan_4k::<false>(&set[..4], &stamps[..4], key, va, asid),
            (true, false) => scan_4k::<true>(&set[..4], &stamps[..4], key, va, asid),
            (false, true) => scan_4k::<false>(set, stamps, key, va, asid),
            (false, false) => scan_4k::<true>(set, stamps, key, va, asid),
        };
        let (w, evicts) = match found {
            Err(w) => return Found::Hit(start + w),
            Ok(v) => v,
        };
        // Then the superpage levels' sets.
        if let Some(slot) = self.probe_levels(va, asid, self.levels & !1) {
            return Found::Hit(slot);
        }
        Found::Miss(Victim {
            slot: start + w,
            evicts,
        })
    }

    /// [`Tlb::find_4k`]'s victim when it misses; None when an entry covers `va`.
    #[inline(always)]
    pub fn probe_4k(&self, va: u64, asid: u16) -> Option<Victim> {
        match self.find_4k(va, asid) {
            Found::Miss(v) => Some(v),
            Found::Hit(_) => None,
        }
    }

    /// SFENCE.VMA (priv/supervisor.adoc, "Supervisor Memory-Management Fence Instruction").
    /// `va` is rs1 and `asid` rs2, None standing for x0 (the caller resolves the rs1 = x0
    /// versus "register holding 0" distinction and masks the ASID to ASIDLEN):
    /// - (None, None): every entry, global ones included;
    /// - (None, Some(a)): non-global entries of ASID `a`; global entries stay;
    /// - (Some(v), None): entries covering `v` in every address space, global ones included;
    /// - (Some(v), Some(a)): entries of ASID `a` covering `v`, except global ones.
    ///
    /// Returns how many valid entries were invalidated.
    pub fn sfence_vma(&mut self, va: Option<u64>, asid: Option<u16>) -> usize {
        let f = &mut self.stats.flushes;
        *match (va, asid) {
            (None, None) => &mut f.all,
            (None, Some(_)) => &mut f.asid,
            (Some(_), None) => &mut f.va,
            (Some(_), Some(_)) => &mut f.va_asid,
        } += 1;
        // Whether the fence hits the entry in slot `i`: a fence naming an ASID never touches
        // globals (a global entry's owner is above every ASID).
        let hit = |tlb: &Tlb, i: usize| {
            let way = &tlb.ways[i];
            way.tag & VALID != 0
                && asid.is_none_or(|a| way.owner == a as u32)
                && va.is_none_or(|v| tag_covers(way.tag, v))
        };
        let mut n = 0;
        let slots: Vec<usize> = match va {
            None => (0..self.ways.len()).collect(),
            Some(v) => self
                .present_levels()
                .flat_map(|level| self.set_slots(v, level))
                .collect(),
        };
        for i in slots {
            if hit(self, i) {
                self.ways[i].tag = 0;
                n += 1;
            }
        }
        if va.is_none() && asid.is_none() {
            self.levels = 0;
            self.super_sets = 0;
        }
        self.stats.flushes.entries += n as u64;
        n
    }

    /// Invalidates every entry (reset); not counted as a fence.
    pub fn invalidate_all(&mut self) {
        self.ways.iter_mut().for_each(|w| w.tag = 0);
        self.levels = 0;
        self.super_sets = 0;
    }

    /// The valid entries, set by set, way by way.
    pub fn entries(&self) -> impl Iterator<Item = TlbEntry> + '_ {
        let ways = self.n_ways;
        (0..self.ways.len())
            .filter(|&i| self.valid(i))
            .map(move |i| TlbEntry {
                set: i / ways,
                way: i % ways,
                leaf: self.leaf(i),
                stamp: self.stamps[i],
            })
    }

    /// For compiled code that counts the fast path's hits itself (`hart::jit`, as
    /// [`Tlb::count_fast_hit`]): the stamps array (one `u64` per slot), which it writes at
    /// each hit. Valid while `self` is neither moved nor dropped.
    pub fn jit_stamps(&mut self) -> *mut u64 {
        self.stamps.as_mut_ptr()
    }

    /// `loads` and `stores` fast-path hits whose stamps were written where they happened
    /// (by compiled code): each one lookup and one hit.
    pub fn count_hits_elsewhere(&mut self, loads: u64, stores: u64) {
        self.count_lookups_hit(Access::Load, loads);
        self.count_lookups_hit(Access::Store, stores);
    }
}

#[cfg(test)]
mod tests;
