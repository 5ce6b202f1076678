//! The decoded-instruction cache: each physical RAM page that code runs from gets an array of
//! 2048 decoded slots, one per 16-bit parcel, filled on first execution.
//!
//! Coherence is exact rather than fence.i-driven: every RAM store by the hart that lands on a
//! page holding decoded slots clears the slots it overlaps, so modified code is re-decoded on
//! its next execution. (The spec lets instruction fetches see stale data until FENCE.I;
//! never doing so is one of the behaviours it permits.) A per-page flag byte makes the check
//! one load and compare on the store fast path. The same flags mark the page holding the HTIF
//! `tohost` word, so a store there stops the run loop at once.
//!
//! The fetch fast path remembers the page it is executing from (`fetch_tag`, `fetch_ptr`);
//! anything that can change what a fetch address means (a trap, xRET, satp, sfence.vma)
//! forgets it.
//!
//! With the JIT on (`--engine jit`, `super::jit`), each decoded page also has a table of
//! one `u32` per slot: how often the block engine entered a run there, or which compiled
//! region starts there. A compiled region is made of copies of the page's decoded slots, so
//! the table is reset whenever a store clears a decoded slot of the page (the regions that
//! might include it become unreachable), and dropped with the pages by [`ICache::clear`].
//! Each table has an identity, new at each reset, which a region compiled in the background
//! must find unchanged to be installed.

use super::decode::{Insn, Op};
use crate::bus::RAM_BASE;

/// Slots per page: one per 2-byte parcel of a 4 KiB page.
pub const SLOTS: usize = 2048;

/// Page flag: the page has decoded slots.
const CODE: u8 = 1;
/// Page flag: the page holds the watched `tohost` word.
const WATCH: u8 = 2;

/// A JIT entry (`ICache::jit_entry`) with this bit set names compiled region `entry &
/// !JIT_COMPILED` (`super::jit`); below it, it counts entries, up to the threshold.
pub(crate) const JIT_COMPILED: u32 = 1 << 31;
/// A JIT entry where no region can start (its first instruction would exit at once), or
/// one the JIT gave up: never counted again.
pub(crate) const JIT_NEVER: u32 = JIT_COMPILED - 1;
/// A JIT entry whose region the JIT's background worker is compiling (`super::jit::worker`):
/// the block engine runs the code there meanwhile, and the entry is not counted. The
/// worker's result is installed only while the entry still says so in the same table
/// ([`ICache::jit_pending_entry`]).
pub(crate) const JIT_PENDING: u32 = JIT_NEVER - 1;

/// Decoded pages beyond which the cache is emptied (each page is 32 KiB of host memory).
const MAX_PAGES: usize = 8192;

/// A decoded page: its 2048 slots, then one more that is never filled, the *sentinel*. It
/// stays [`Op::Undecoded`], so a walk of the slots that runs off the end of the page (the
/// block engine's straight-line run, `exec.rs`, which checks no page tag between
/// instructions) lands on an undecoded slot and leaves by the slow fetch path, which
/// translates the next page's address as the interpreter would.
type Page = Box<[Insn; SLOTS + 1]>;

// `fetch_base` addresses slots as 8 bytes per byte of pc: 16-byte slots, one per parcel.
const _: () = assert!(core::mem::size_of::<Insn>() * SLOTS == 8 << 12);

/// The cache.
pub struct ICache {
    pages: Vec<Page>,
    /// The RAM frame (`(pa - RAM_BASE) >> 12`) of each page in `pages`, in the same order.
    frames: Vec<u32>,
    /// Per RAM frame: 1 + its index in `pages`, or 0 when it has none. An array, not a hash
    /// map: the slow fetch path looks it up at every change of code page (one in about 25
    /// instructions of a large program), and a store into a frame that once held code at
    /// every store (a kernel reusing the frame), so the lookup is one load.
    index: Vec<u32>,
    /// Per RAM frame: CODE | WATCH flags (one byte, so that the store fast path's test
    /// touches as little memory as it can).
    flags: Vec<u8>,
    /// Fetch fast path: page-aligned pc of the page being executed, or `u64::MAX`.
    pub fetch_tag: u64,
    /// The fast path's page, biased so that the slot of an (even) pc on it is at
    /// `fetch_base + 8 * pc` (16-byte slots, one per 2-byte parcel): the page's first slot
    /// minus `8 * fetch_tag`, in wrapping arithmetic. Valid while `fetch_tag != u64::MAX`
    /// (pages are only freed by `clear`, which also resets the tag).
    fetch_base: *const u8,
    watch: Option<(u64, u64)>,
    /// With the JIT on: per page in `pages` (same order), its JIT entry table
    /// (`super::jit`: a counter or a compiled region per slot). Empty with the JIT off.
    jit_tables: Vec<Box<[u32]>>,
    /// Whether pages get JIT entry tables.
    jit_on: bool,
    /// Per page in `pages`: whether its JIT entry table may hold a nonzero entry (so that
    /// a run of stores over a page of code resets its table once, not at every store).
    jit_dirty: Vec<bool>,
    /// Per page in `pages`: the identity of its JIT entry table, new whenever the table is
    /// made or reset (from `jit_next_id`, never reused), so that a region requested from
    /// the background worker is not installed in a table that changed meanwhile.
    jit_ids: Vec<u64>,
    jit_next_id: u64,
    /// The page in `pages` `jit_base` is for.
    jit_fetch_idx: usize,
    /// The entry count at which a region is compiled (`super::jit`).
    pub(crate) jit_threshold: u32,
    /// The fast path's page's JIT entry table, biased as `fetch_base` is: the entry of an
    /// (even) pc on the page is at `jit_base + 2 * pc` (4 bytes per 2-byte parcel). Valid
    /// while `fetch_tag != u64::MAX` and `jit_on`.
    jit_base: *mut u8,
    /// The compiler and its compiled regions (`--engine jit`), which the entry tables
    /// index.
    #[cfg(feature = "jit")]
    pub(crate) jit: Option<Box<super::jit::Jit>>,
}

impl ICache {
    /// An empty cache for a RAM of `ram_size` bytes.
    pub fn new(ram_size: u64) -> ICache {
        ICache {
            pages: Vec::new(),
            frames: Vec::new(),
            // calloc'd: untouched parts cost no host memory, like RAM itself.
            index: vec![0; ram_size.div_ceil(4096) as usize],
            flags: vec![0; ram_size.div_ceil(4096) as usize],
            fetch_tag: u64::MAX,
            fetch_base: core::ptr::null(),
            watch: None,
            jit_tables: Vec::new(),
            jit_on: false,
            jit_dirty: Vec::new(),
            jit_ids: Vec::new(),
            jit_next_id: 0,
            jit_fetch_idx: 0,
            jit_threshold: u32::MAX,
            jit_base: core::ptr::null_mut(),
            #[cfg(feature = "jit")]
            jit: None,
        }
    }

    /// The slot for physical address `pa` (which must be in RAM) in the page at `idx`.
    #[inline(always)]
    pub fn slot(&self, idx: usize, pa: u64) -> Insn {
        self.pages[idx][((pa & 0xfff) >> 1) as usize]
    }

    /// The decoded page of RAM page `pa_page` (created if new, which is invisible to the
    /// guest and the counters) when its slot for `pc` holds an instruction decoded on it:
    /// not undecoded, nor one read across pages.
    #[inline]
    pub fn decoded_page(&mut self, pa_page: u64, pc: u64) -> Option<usize> {
        let idx = self.page_for(pa_page);
        let op = self.slot(idx, pa_page | (pc & 0xfff)).op;
        (!matches!(op, Op::Undecoded | Op::CrossPage)).then_some(idx)
    }

    /// Stores a decoded instruction.
    #[inline]
    pub fn fill(&mut self, idx: usize, pa: u64, insn: Insn) {
        self.pages[idx][((pa & 0xfff) >> 1) as usize] = insn;
    }

    /// Whether RAM address `pa`'s page is one the cache can decode (it lies in RAM).
    #[inline]
    pub fn holds(&self, pa: u64) -> bool {
        ((pa.wrapping_sub(RAM_BASE) >> 12) as usize) < self.index.len()
    }

    /// The index of the decoded page for RAM address `pa`, created if needed.
    pub fn page_for(&mut self, pa: u64) -> usize {
        let frame = ((pa - RAM_BASE) >> 12) as usize;
        if let Some(i) = self.index[frame].checked_sub(1) {
            return i as usize;
        }
        if self.pages.len() >= MAX_PAGES {
            self.clear();
        }
        let i = self.pages.len();
        self.pages.push(Box::new([Insn::UNDECODED; SLOTS + 1]));
        self.frames.push(frame as u32);
        // `MAX_PAGES` keeps `i + 1` far below `u32::MAX`.
        self.index[frame] = i as u32 + 1;
        self.flags[frame] |= CODE;
        if self.jit_on {
            // Zeroed (calloc'd): every slot's counter starts at 0.
            self.jit_tables.push(vec![0; SLOTS].into_boxed_slice());
            self.jit_dirty.push(false);
            let id = new_table_id(&mut self.jit_next_id);
            self.jit_ids.push(id);
        }
        i
    }

    /// Drops every decoded page.
    pub fn clear(&mut self) {
        for &frame in &self.frames {
            self.index[frame as usize] = 0;
            self.flags[frame as usize] &= !CODE;
        }
        self.pages.clear();
        self.frames.clear();
        self.jit_tables.clear();
        self.jit_dirty.clear();
        self.jit_ids.clear();
        self.forget_fetch_page();
    }

    /// Makes page `idx` the fetch fast path's, for pcs on the page starting at `tag`.
    #[inline(always)]
    pub fn set_fetch_page(&mut self, tag: u64, idx: usize) {
        self.fetch_tag = tag;
        self.fetch_base = (self.pages[idx].as_ptr() as *const u8).wrapping_sub((tag as usize) << 3);
        if let Some(t) = self.jit_tables.get_mut(idx) {
            self.jit_base = (t.as_mut_ptr() as *mut u8).wrapping_sub((tag as usize) << 1);
            // The page is about to have its entries counted.
            self.jit_dirty[idx] = true;
            self.jit_fetch_idx = idx;
        }
    }

    /// The decoded slot for `pc` when pc lies on the fast path's page and the slot holds a
    /// decoded instruction; `None` sends the caller to the slow path.
    #[inline(always)]
    pub fn fast_slot(&self, pc: u64) -> Option<Insn> {
        // SAFETY: `fast_slot_ptr` returns a pointer to a live slot or to a static one.
        let insn = unsafe { *self.fast_slot_ptr(pc) };
        (insn.op as u8 > Op::CrossPage as u8).then_some(insn)
    }

    /// A pointer to the slot for `pc` when pc lies on the fast path's page, else to a static
    /// undecoded slot: one check of the op then covers both the page and the slot. Valid
    /// until the cache is next changed.
    #[inline(always)]
    pub fn fast_slot_ptr(&self, pc: u64) -> *const Insn {
        // An odd pc, which the hart never produces (jumps clear bit 0, xEPC and xTVEC hold
        // even addresses, the boot ROM enters by JALR), would match no tag and take the slow
        // path: never an address between two slots.
        if pc & !0xffe != self.fetch_tag {
            return undecoded_slot();
        }
        // The tag matched, so `fetch_base + 8 * pc` is the first slot of the live fast-path
        // page (see the field's invariant) plus 16 bytes per parcel below pc & 0xfff: a slot
        // inside the page. One `lea` from pc, where indexing from the page start took three
        // instructions.
        self.fetch_base.wrapping_add((pc as usize) << 3) as *const Insn
    }

    /// The fast path's page as [`ICache::fast_slot_ptr`] addresses it: the slot of an even pc
    /// on the page is at `fetch_base() + 8 * pc` (wrapping). Meaningful only while the tag
    /// matches that pc's page; the block engine reads it right after a `fast_slot_ptr` that
    /// matched, and walks on from there with no further tag check (see `Page`'s sentinel).
    #[inline(always)]
    pub fn fetch_base(&self) -> *const u8 {
        self.fetch_base
    }

    /// Forgets the fetch fast path's page (the next fetch translates again).
    #[inline]
    pub fn forget_fetch_page(&mut self) {
        self.fetch_tag = u64::MAX;
    }

    /// Watches the 8 bytes at RAM address `pa` (HTIF tohost).
    pub fn watch(&mut self, pa: u64) {
        self.watch = Some((pa, pa + 8));
        self.flags[((pa - RAM_BASE) >> 12) as usize] |= WATCH;
    }

    /// Called after every hart store of `len` bytes to RAM address `pa`. Returns true when the
    /// store touched the watched word.
    #[inline(always)]
    pub fn note_store(&mut self, pa: u64, len: u64) -> bool {
        let frame = ((pa - RAM_BASE) >> 12) as usize;
        let f = self.flags[frame];
        if f == 0 {
            return false;
        }
        self.note_store_slow(f, frame, pa, len)
    }

    #[cold]
    fn note_store_slow(&mut self, f: u8, frame: usize, pa: u64, len: u64) -> bool {
        if f & CODE != 0 {
            if let Some(i) = self.index[frame].checked_sub(1) {
                let i = i as usize;
                // A 32-bit instruction starting one parcel earlier also overlaps the store.
                let first = ((pa & 0xfff) >> 1).saturating_sub(1) as usize;
                let last = (((pa & 0xfff) + len - 1) >> 1) as usize;
                let mut decoded = false;
                for s in &mut self.pages[i][first..=last.min(SLOTS - 1)] {
                    decoded |= s.op as u8 > Op::CrossPage as u8;
                    s.op = Op::Undecoded;
                }
                // Compiled regions hold copies of decoded slots: one that may include a
                // slot cleared here must not run again. (Clearing slots that were not
                // decoded changes no region: they include decoded slots only.)
                if decoded && self.jit_dirty.get(i) == Some(&true) {
                    self.jit_tables[i].fill(0);
                    self.jit_ids[i] = new_table_id(&mut self.jit_next_id);
                    // Clean until it is next the fetch page (`set_fetch_page`): no entry
                    // is counted or compiled elsewhere.
                    self.jit_dirty[i] = self.fetch_tag != u64::MAX && self.jit_fetch_idx == i;
                }
            }
        }
        match self.watch {
            Some((lo, hi)) if f & WATCH != 0 => pa < hi && pa + len > lo,
            _ => false,
        }
    }
}

/// The JIT's view of the cache (`super::jit`).
impl ICache {
    /// Turns the JIT entry tables on (or off), dropping every decoded page first so that
    /// each page has its table.
    pub fn set_jit_tables(&mut self, on: bool) {
        self.clear();
        self.jit_on = on;
    }

    /// The JIT entry of the slot for `pc`, which must lie on the fetch page (its tag
    /// matched) with the JIT tables on: see `jit_base`.
    #[inline(always)]
    pub fn jit_entry(&self, pc: u64) -> *mut u32 {
        debug_assert!(self.jit_on && pc & !0xffe == self.fetch_tag);
        self.jit_base.wrapping_add((pc as usize) << 1) as *mut u32
    }

    /// Resets every page's JIT entry table (all compiled regions are being dropped).
    pub fn reset_jit_tables(&mut self) {
        let tables = self.jit_tables.iter_mut().zip(&self.jit_dirty);
        for ((t, &dirty), id) in tables.zip(&mut self.jit_ids) {
            if dirty {
                t.fill(0);
                *id = new_table_id(&mut self.jit_next_id);
            }
        }
    }

    /// Sets every [`JIT_PENDING`] entry back to 0 (counting again): the results they wait
    /// for will never come (the background worker is gone).
    pub fn cancel_jit_pending(&mut self) {
        let tables = self.jit_tables.iter_mut().zip(&self.jit_dirty);
        // Only a table that is dirty has nonzero entries.
        for (t, _) in tables.filter(|(_, &dirty)| dirty) {
            for e in t.iter_mut().filter(|e| **e == JIT_PENDING) {
                *e = 0;
            }
        }
    }

    /// The fetch page's decoded page and the identity of its JIT entry table (the JIT tables
    /// on, the fetch page set).
    #[inline]
    pub fn jit_fetch_table(&self) -> (usize, u64) {
        debug_assert!(self.jit_on && self.fetch_tag != u64::MAX);
        (self.jit_fetch_idx, self.jit_ids[self.jit_fetch_idx])
    }

    /// The fetch page's biased bases (`fetch_base`, `jit_base`), for
    /// [`ICache::restore_fetch_page`]. With the JIT tables on and the fetch page set.
    pub fn jit_fetch_bases(&self) -> (*const u8, *mut u8) {
        debug_assert!(self.jit_on && self.fetch_tag != u64::MAX);
        (self.fetch_base, self.jit_base)
    }

    /// [`ICache::set_fetch_page`]`(tag, idx)` with the bases it computed then
    /// ([`ICache::jit_fetch_bases`]), when page `idx` still has the entry table it had then
    /// ([`ICache::jit_table_is`]): its slots and table are where they were (they are only
    /// freed by `clear`, which changes every identity), and it is still marked dirty (only
    /// a new identity clears the mark).
    #[inline(always)]
    pub fn restore_fetch_page(&mut self, tag: u64, idx: usize, (fetch, jit): (*const u8, *mut u8)) {
        debug_assert!(self.jit_dirty[idx]);
        self.fetch_tag = tag;
        self.fetch_base = fetch;
        self.jit_base = jit;
        self.jit_fetch_idx = idx;
    }

    /// Whether decoded page `idx` (still) has JIT entry table `id`: no store has cleared
    /// a slot of it, nor has the cache been emptied, since the identity was read.
    #[inline(always)]
    pub fn jit_table_is(&self, idx: usize, id: u64) -> bool {
        self.jit_ids.get(idx) == Some(&id)
    }

    /// The fetch page as a region request needs it (the JIT tables on, and the fetch page
    /// set): its RAM frame, the identity of its JIT entry table, and its decoded slots.
    pub fn jit_fetch_page(&self) -> (u32, u64, &[Insn]) {
        debug_assert!(self.jit_on && self.fetch_tag != u64::MAX);
        let i = self.jit_fetch_idx;
        (self.frames[i], self.jit_ids[i], &self.pages[i][..SLOTS])
    }

    /// The JIT entry for `pc` on the page of RAM frame `frame`, if that page's entry table
    /// is still table `id` ([`ICache::jit_fetch_page`]) and the entry is [`JIT_PENDING`]:
    /// where a region requested then may be installed. None when the page's code was
    /// stored to since (or the cache was emptied, or the JIT flushed): the result is stale.
    pub fn jit_pending_entry(&mut self, frame: u32, id: u64, pc: u64) -> Option<&mut u32> {
        let i = self.index.get(frame as usize)?.checked_sub(1)? as usize;
        if !self.jit_table_is(i, id) {
            return None;
        }
        let e = &mut self.jit_tables[i][((pc & 0xfff) >> 1) as usize];
        (*e == JIT_PENDING).then_some(e)
    }

    /// At an entry of a run (or an in-page jump of one) at `pc`, which lies on the fetch
    /// page with the JIT tables on: whether the JIT has something to do there (a compiled
    /// region, a pending one whose result may have come, or the entry count reaching the
    /// threshold: `Hart::jit_enter` compiles then). Otherwise counts the entry. Inline: it
    /// is on every jump of the block engine.
    #[inline(always)]
    pub fn jit_hot(&mut self, pc: u64) -> bool {
        let entry = self.jit_entry(pc);
        // SAFETY: `jit_entry`'s pointer is into the fetch page's live entry table.
        let e = unsafe { *entry };
        if e >= JIT_PENDING {
            // Compiled, or pending (`Hart::jit_enter` looks for the worker's results).
            return e != JIT_NEVER;
        }
        if e + 1 >= self.jit_threshold {
            return true;
        }
        // SAFETY: as above.
        unsafe { *entry = e + 1 };
        false
    }

    /// The page flags per RAM frame (nonzero: a store there must call [`ICache::note_store`]).
    pub fn flags_ptr(&self) -> *const u8 {
        self.flags.as_ptr()
    }

    /// The decoded slot for `pc` when it lies on the fetch page, else the static undecoded
    /// one (a copy: [`ICache::fast_slot_ptr`] read at once).
    #[inline]
    pub fn fetch_page_slot(&self, pc: u64) -> Insn {
        // SAFETY: `fast_slot_ptr` returns a pointer to a live slot or to a static one.
        unsafe { *self.fast_slot_ptr(pc) }
    }
}

/// A new identity for a JIT entry table, from the cache's counter (never reused).
fn new_table_id(next: &mut u64) -> u64 {
    *next += 1;
    *next - 1
}

/// The static undecoded slot [`ICache::fast_slot_ptr`] returns off the fast path's page.
/// Cold and out of line so that the page-tag check falls through on a match, which saves
/// the hot loop a taken branch per instruction.
#[cold]
#[inline(never)]
fn undecoded_slot() -> *const Insn {
    static UNDECODED: Insn = Insn::UNDECODED;
    &UNDECODED
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hart::decode::decode;

    #[test]
    fn a_store_clears_exactly_the_overlapping_slots() {
        let mut c = ICache::new(1 << 20);
        let pa = RAM_BASE + 0x1000;
        let i = c.page_for(pa);
        for off in (0..16).step_by(2) {
            c.fill(i, pa + off, decode(0x13));
        }
        assert!(!c.note_store(pa + 8, 4));
        assert_eq!(c.slot(i, pa + 2).op, Op::Addi);
        assert_eq!(
            c.slot(i, pa + 6).op,
            Op::Undecoded,
            "a 32-bit insn at +6 overlaps +8"
        );
        assert_eq!(c.slot(i, pa + 8).op, Op::Undecoded);
        assert_eq!(c.slot(i, pa + 10).op, Op::Undecoded);
        assert_eq!(c.slot(i, pa + 12).op, Op::Addi);
    }

    #[test]
    fn the_watched_word_is_reported() {
        let mut c = ICache::new(1 << 20);
        c.watch(RAM_BASE + 0x2000);
        assert!(c.note_store(RAM_BASE + 0x2004, 4));
        assert!(!c.note_store(RAM_BASE + 0x2008, 8));
        assert!(!c.note_store(RAM_BASE + 0x3000, 8));
    }
}
