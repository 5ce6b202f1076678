//! Paging modes as data, and the page-table code every mode shares: one loop over levels.
//!
//! A virtual address splits into VPN fields of 9 bits above the 12-bit page offset, one per
//! level; level `levels - 1` indexes the root (satp's table), level 0 the last table
//! (priv/supervisor.adoc, "Sv39" figure "Sv39 virtual address", and "Sv48"):
//!
//! ```text
//!  Sv39:                 | VPN[2] 38..30 | VPN[1] 29..21 | VPN[0] 20..12 | offset 11..0 |
//!  Sv48: | VPN[3] 47..39 | VPN[2] 38..30 | VPN[1] 29..21 | VPN[0] 20..12 | offset 11..0 |
//! ```
//!
//! A leaf at level `l` maps 4 KiB × 512^l (4 KiB, 2 MiB, 1 GiB, 512 GiB); its physical
//! address must be aligned to that size or the hardware raises a page fault ("misaligned
//! superpage", the translation process's step 6).
//!
//! Tables are reached through [`TableAccess`], which the kernel implements over its direct
//! map and the tests over a `HashMap`.

use crate::addr::{PhysAddr, VirtAddr, PAGE_SHIFT};
use crate::pte::{Pte, PteFlags};

/// Entries per table (4 KiB of 8-byte PTEs).
pub const ENTRIES: usize = 512;

/// A paging mode: everything that differs between Sv39 and Sv48.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PagingMode {
    /// The name bootargs use (`paging=sv39`).
    pub name: &'static str,
    /// Levels of tables.
    pub levels: usize,
    /// satp.MODE (priv/supervisor.adoc, "Supervisor Address Translation and Protection
    /// (satp) Register": 8 = Sv39, 9 = Sv48).
    pub satp_mode: u64,
}

/// Sv39: three levels, 39-bit virtual addresses (256 GiB per half).
pub const SV39: PagingMode = PagingMode {
    name: "sv39",
    levels: 3,
    satp_mode: 8,
};

/// Sv48: four levels, 48-bit virtual addresses (128 TiB per half).
pub const SV48: PagingMode = PagingMode {
    name: "sv48",
    levels: 4,
    satp_mode: 9,
};

impl PagingMode {
    /// The mode called `name` (`sv39`, `sv48`).
    pub fn by_name(name: &str) -> Option<PagingMode> {
        [SV39, SV48].into_iter().find(|m| m.name == name)
    }

    /// Bits of a virtual address that translation uses.
    pub const fn va_bits(&self) -> u32 {
        PAGE_SHIFT + 9 * self.levels as u32
    }

    /// Bytes a leaf at `level` maps.
    pub const fn page_size(level: usize) -> u64 {
        1 << (PAGE_SHIFT + 9 * level as u32)
    }

    /// Whether bits 63..va_bits all equal bit va_bits-1, as the spec requires of every
    /// address translated (otherwise a page fault).
    pub const fn is_canonical(&self, va: VirtAddr) -> bool {
        let shift = self.va_bits() - 1;
        let top = (va.0 as i64) >> shift;
        top == 0 || top == -1
    }

    /// The first address past the lower (user) half: 2^(va_bits-1).
    pub const fn user_end(&self) -> VirtAddr {
        VirtAddr(1 << (self.va_bits() - 1))
    }

    /// The VPN field of `va` that indexes the table at `level`.
    pub const fn index(va: VirtAddr, level: usize) -> usize {
        ((va.0 >> (PAGE_SHIFT + 9 * level as u32)) & (ENTRIES as u64 - 1)) as usize
    }

    /// The satp value selecting this mode with root table `root` and address space `asid`.
    pub const fn satp(&self, root: PhysAddr, asid: u16) -> u64 {
        (self.satp_mode << 60) | ((asid as u64) << 44) | (root.0 >> PAGE_SHIFT)
    }
}

/// How page-table code reaches the tables.
pub trait TableAccess {
    /// A zeroed 4 KiB frame for a new table, or `None` when memory is exhausted.
    fn alloc_table(&mut self) -> Option<PhysAddr>;
    /// Entry `index` of the table at `table`.
    fn read(&self, table: PhysAddr, index: usize) -> Pte;
    /// Sets entry `index` of the table at `table`.
    fn write(&mut self, table: PhysAddr, index: usize, pte: Pte);
}

/// Why a mapping was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MapError {
    /// The address is not canonical in this mode.
    NotCanonical(VirtAddr),
    /// `va` or `pa` is not aligned to the leaf's size, or the level does not exist.
    Misaligned {
        va: VirtAddr,
        pa: PhysAddr,
        level: usize,
    },
    /// Something is mapped there already (a leaf on the way down, or at the slot).
    AlreadyMapped(VirtAddr),
    /// No frame for a table.
    OutOfMemory,
}

/// A mapping changed: the TLB may hold the old translation of `va` until an SFENCE.VMA
/// orders the change (priv/supervisor.adoc, "Supervisor Memory-Management Fence
/// Instruction": even an invalid entry made valid needs one, as translations of invalid
/// entries may be cached). The caller fences `va`, or knows that a wider fence follows.
#[must_use = "the TLB may hold the old translation until an SFENCE.VMA"]
#[derive(Debug)]
pub struct Flush(pub VirtAddr);

impl Flush {
    /// The fence is made by the caller's wider fence (a whole-TLB one, or the satp switch
    /// that makes this table live).
    pub fn covered_by_full_fence(self) {}
}

/// Maps one leaf at `level` from `va` to `pa` with `flags` in the tree at `root`, creating
/// tables on the way.
pub fn map(
    mode: PagingMode,
    root: PhysAddr,
    va: VirtAddr,
    pa: PhysAddr,
    level: usize,
    flags: PteFlags,
    mem: &mut impl TableAccess,
) -> Result<Flush, MapError> {
    if !mode.is_canonical(va) {
        return Err(MapError::NotCanonical(va));
    }
    let size = PagingMode::page_size(level);
    if level >= mode.levels || !va.is_aligned(size) || !pa.is_aligned(size) {
        return Err(MapError::Misaligned { va, pa, level });
    }
    let mut table = root;
    for l in (level + 1..mode.levels).rev() {
        let i = PagingMode::index(va, l);
        let pte = mem.read(table, i);
        table = if !pte.is_valid() {
            let next = mem.alloc_table().ok_or(MapError::OutOfMemory)?;
            mem.write(table, i, Pte::table(next));
            next
        } else if pte.is_leaf() {
            return Err(MapError::AlreadyMapped(va));
        } else {
            pte.addr()
        };
    }
    let i = PagingMode::index(va, level);
    if mem.read(table, i).is_valid() {
        return Err(MapError::AlreadyMapped(va));
    }
    mem.write(table, i, Pte::leaf(pa, flags));
    Ok(Flush(va))
}

/// Writes `pte` (any value: a swap entry, or empty) into the 4 KiB slot of `va` in the tree
/// at `root`, creating tables on the way; refused where a larger leaf maps `va`. The
/// caller fences `va` if the slot was valid before.
pub fn set_entry(
    mode: PagingMode,
    root: PhysAddr,
    va: VirtAddr,
    pte: Pte,
    mem: &mut impl TableAccess,
) -> Result<(), MapError> {
    if !mode.is_canonical(va) {
        return Err(MapError::NotCanonical(va));
    }
    let mut table = root;
    for l in (1..mode.levels).rev() {
        let i = PagingMode::index(va, l);
        let e = mem.read(table, i);
        table = if !e.is_valid() {
            let next = mem.alloc_table().ok_or(MapError::OutOfMemory)?;
            mem.write(table, i, Pte::table(next));
            next
        } else if e.is_leaf() {
            return Err(MapError::AlreadyMapped(va));
        } else {
            e.addr()
        };
    }
    mem.write(table, PagingMode::index(va, 0), pte);
    Ok(())
}

/// The table and index of the 4 KiB slot of `va` in the tree at `root`, when the tables
/// down to level 0 exist (its entry may be valid, a swap entry or empty).
pub fn leaf_slot(
    mode: PagingMode,
    root: PhysAddr,
    va: VirtAddr,
    mem: &impl TableAccess,
) -> Option<(PhysAddr, usize)> {
    if !mode.is_canonical(va) {
        return None;
    }
    let mut table = root;
    for level in (1..mode.levels).rev() {
        let pte = mem.read(table, PagingMode::index(va, level));
        if !pte.is_valid() || pte.is_leaf() {
            return None;
        }
        table = pte.addr();
    }
    Some((table, PagingMode::index(va, 0)))
}

/// A virtually and physically contiguous range: `[va, va + len)` → `[pa, pa + len)`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Range {
    pub va: VirtAddr,
    pub pa: PhysAddr,
    /// A multiple of 4 KiB.
    pub len: u64,
}

/// Maps `range` with `flags`, each step with the largest leaf (up to `max_level`) that
/// alignment and the remaining length allow. Returns the number of leaves made.
pub fn map_range(
    mode: PagingMode,
    root: PhysAddr,
    range: Range,
    flags: PteFlags,
    max_level: usize,
    mem: &mut impl TableAccess,
) -> Result<usize, MapError> {
    let Range { va, pa, len } = range;
    let mut done = 0;
    let mut leaves = 0;
    while done < len {
        let (v, p) = (va.add(done), pa.add(done));
        let level = (0..=max_level.min(mode.levels - 1))
            .rev()
            .find(|&l| {
                let s = PagingMode::page_size(l);
                v.is_aligned(s) && p.is_aligned(s) && len - done >= s
            })
            .unwrap_or(0);
        map(mode, root, v, p, level, flags, mem)?.covered_by_full_fence();
        done += PagingMode::page_size(level);
        leaves += 1;
    }
    Ok(leaves)
}

/// What a software walk finds for `va`: the physical address, the leaf's flags and level.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Translation {
    pub pa: PhysAddr,
    pub flags: PteFlags,
    pub level: usize,
}

/// Walks the tree at `root` for `va` as the hardware would (without permission checks and
/// A/D updates); `None` when nothing valid maps it.
pub fn translate(
    mode: PagingMode,
    root: PhysAddr,
    va: VirtAddr,
    mem: &impl TableAccess,
) -> Option<Translation> {
    if !mode.is_canonical(va) {
        return None;
    }
    let mut table = root;
    for level in (0..mode.levels).rev() {
        let pte = mem.read(table, PagingMode::index(va, level));
        if !pte.is_valid() {
            return None;
        }
        if pte.is_leaf() {
            let offset = va.0 & (PagingMode::page_size(level) - 1);
            return Some(Translation {
                pa: pte.addr().add(offset),
                flags: pte.flags(),
                level,
            });
        }
        table = pte.addr();
    }
    None
}

/// How fork treats one present user page (see [`fork_copy`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ForkPage {
    /// Both tables map the frame with the parent's PTE unchanged (read-only pages).
    Share,
    /// Both map it without W: the first store in either faults, and the fault handler
    /// copies the frame (or, once the other side has let go, makes it writable again).
    CopyOnWrite,
    /// Only the parent maps it: the child's first touch faults it in from where it lives
    /// (a shared mapping's object). Linux's fork copies no PTEs of a shared mapping
    /// (`vma_needs_copy`), so the child's map count and accessed bits start at nothing.
    Skip,
}

/// Fork's copy of the lower (user) half of the tree at `from` into the empty tree at `to`:
/// every valid leaf is mapped at the same address in `to`; `decide` says whether it is
/// shared as it is or copy-on-write (then W is cleared in `from` too), and `shared` is
/// called for each leaf once `to` maps it (the caller counts the frame's new reference).
/// A swapped-out page (a 4 KiB entry with V = 0 that is not empty: `crate::swap`) is
/// copied as it is, and `swapped` is called with it (the caller counts the slot's new
/// user).
/// Returns how many of `from`'s leaves lost W (their old translations may still be in the
/// TLB: the caller fences). On `OutOfMemory`, `to` holds the leaves copied so far.
pub fn fork_copy(
    mode: PagingMode,
    from: PhysAddr,
    to: PhysAddr,
    mem: &mut impl TableAccess,
    decide: &mut impl FnMut(VirtAddr, Pte) -> ForkPage,
    shared: &mut impl FnMut(PhysAddr),
    swapped: &mut impl FnMut(Pte),
) -> Result<usize, MapError> {
    let mut changed = 0;
    fork_level(
        mode,
        from,
        mode.levels - 1,
        0,
        to,
        mem,
        decide,
        shared,
        swapped,
        &mut changed,
    )?;
    Ok(changed)
}

#[allow(clippy::too_many_arguments)]
fn fork_level(
    mode: PagingMode,
    table: PhysAddr,
    level: usize,
    base: u64,
    to: PhysAddr,
    mem: &mut impl TableAccess,
    decide: &mut impl FnMut(VirtAddr, Pte) -> ForkPage,
    shared: &mut impl FnMut(PhysAddr),
    swapped: &mut impl FnMut(Pte),
    changed: &mut usize,
) -> Result<(), MapError> {
    let top = level == mode.levels - 1;
    let count = if top { ENTRIES / 2 } else { ENTRIES };
    for i in 0..count {
        let pte = mem.read(table, i);
        let va = VirtAddr(base + ((i as u64) << (PAGE_SHIFT + 9 * level as u32)));
        if !pte.is_valid() {
            if level == 0 && pte != Pte::INVALID {
                set_entry(mode, to, va, pte, mem)?;
                swapped(pte);
            }
            continue;
        }
        if !pte.is_leaf() {
            if level > 0 {
                fork_level(
                    mode,
                    pte.addr(),
                    level - 1,
                    va.0,
                    to,
                    mem,
                    decide,
                    shared,
                    swapped,
                    changed,
                )?;
            }
            continue;
        }
        let mut flags = pte.flags() - PteFlags::V;
        let decision = decide(va, pte);
        if decision == ForkPage::Skip {
            continue;
        }
        let cow = decision == ForkPage::CopyOnWrite && flags.contains(PteFlags::W);
        if cow {
            flags -= PteFlags::W;
        }
        map(mode, to, va, pte.addr(), level, flags, mem)?.covered_by_full_fence();
        shared(pte.addr());
        if cow {
            mem.write(table, i, Pte::leaf(pte.addr(), flags));
            *changed += 1;
        }
    }
    Ok(())
}

/// What [`visit_user`] meets in the lower (user) half of a tree.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Node {
    /// A valid leaf at `level` (0: 4 KiB) mapping the page at the address.
    Leaf(VirtAddr, usize, Pte),
    /// A table below the root, after everything under it was visited.
    Table(PhysAddr),
    /// A 4 KiB entry with V = 0 that is not empty: a swapped-out page (`crate::swap`).
    Swap(VirtAddr, Pte),
}

/// Visits the lower (user) half of the tree at `root` depth-first, in address order: each
/// valid leaf, and each lower table after its entries.
pub fn visit_user(
    mode: PagingMode,
    root: PhysAddr,
    mem: &impl TableAccess,
    visit: &mut impl FnMut(Node),
) {
    visit_level(mode, root, mode.levels - 1, 0, mem, visit);
}

fn visit_level(
    mode: PagingMode,
    table: PhysAddr,
    level: usize,
    base: u64,
    mem: &impl TableAccess,
    visit: &mut impl FnMut(Node),
) {
    // The root's upper half is the kernel's (shared by every space): not visited.
    let count = if level == mode.levels - 1 {
        ENTRIES / 2
    } else {
        ENTRIES
    };
    for i in 0..count {
        let pte = mem.read(table, i);
        let va = base + ((i as u64) << (PAGE_SHIFT + 9 * level as u32));
        if !pte.is_valid() {
            if level == 0 && pte != Pte::INVALID {
                visit(Node::Swap(VirtAddr(va), pte));
            }
            continue;
        }
        if pte.is_leaf() {
            visit(Node::Leaf(VirtAddr(va), level, pte));
        } else if level > 0 {
            visit_level(mode, pte.addr(), level - 1, va, mem, visit);
            visit(Node::Table(pte.addr()));
        }
    }
}

/// Calls `leaf` for every valid leaf of the lower (user) half of the tree at `root`.
pub fn user_leaves(
    mode: PagingMode,
    root: PhysAddr,
    mem: &impl TableAccess,
    leaf: &mut impl FnMut(VirtAddr, Pte),
) {
    visit_user(mode, root, mem, &mut |n| {
        if let Node::Leaf(va, _, pte) = n {
            leaf(va, pte)
        }
    });
}

/// Tears down the lower (user) half of the tree at `root`: `leaf` sees every valid leaf
/// (to drop its frame) and every swap entry (to drop its slot), `free_table` every table
/// below the root (the root stays, its lower half cleared). The caller fences (the address
/// space's ASID) before reuse.
pub fn clear_user(
    mode: PagingMode,
    root: PhysAddr,
    mem: &mut impl TableAccess,
    leaf: &mut impl FnMut(VirtAddr, Pte),
    free_table: &mut impl FnMut(PhysAddr),
) {
    visit_user(mode, root, mem, &mut |n| match n {
        Node::Leaf(va, _, pte) | Node::Swap(va, pte) => leaf(va, pte),
        Node::Table(pa) => free_table(pa),
    });
    // The lower tables are gone whole; only the root's entries need clearing.
    for i in 0..ENTRIES / 2 {
        mem.write(root, i, Pte::INVALID);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;
    use std::vec::Vec;

    /// "Physical memory" holding tables only, handed out from `next` upward.
    struct Tables {
        frames: HashMap<u64, [u64; ENTRIES]>,
        next: u64,
        limit: usize,
    }

    impl Tables {
        fn new(limit: usize) -> (Tables, PhysAddr) {
            let mut t = Tables {
                frames: HashMap::new(),
                next: 0x8000_0000,
                limit,
            };
            let root = t.alloc_table().unwrap();
            (t, root)
        }
    }

    impl TableAccess for Tables {
        fn alloc_table(&mut self) -> Option<PhysAddr> {
            if self.frames.len() >= self.limit {
                return None;
            }
            let pa = self.next;
            self.next += 4096;
            self.frames.insert(pa, [0; ENTRIES]);
            Some(PhysAddr(pa))
        }
        fn read(&self, table: PhysAddr, index: usize) -> Pte {
            Pte(self.frames[&table.0][index])
        }
        fn write(&mut self, table: PhysAddr, index: usize, pte: Pte) {
            self.frames.get_mut(&table.0).unwrap()[index] = pte.0;
        }
    }

    const RWAD: PteFlags = PteFlags::R
        .union(PteFlags::W)
        .union(PteFlags::A)
        .union(PteFlags::D);

    #[test]
    fn modes_are_data() {
        assert_eq!(SV39.va_bits(), 39);
        assert_eq!(SV48.va_bits(), 48);
        assert_eq!(SV39.user_end(), VirtAddr(1 << 38));
        assert_eq!(SV48.user_end(), VirtAddr(1 << 47));
        assert!(SV39.is_canonical(VirtAddr(0xffff_ffc0_0000_0000)));
        assert!(!SV39.is_canonical(VirtAddr(0xffff_ff80_0000_0000)));
        assert!(SV48.is_canonical(VirtAddr(0xffff_ffc0_0000_0000)));
        assert!(SV48.is_canonical(VirtAddr(0xffff_8000_0000_0000)));
        assert!(!SV48.is_canonical(VirtAddr(0x0000_8000_0000_0000)));
        assert_eq!(PagingMode::by_name("sv48"), Some(SV48));
        assert_eq!(PagingMode::by_name("sv57"), None);
        assert_eq!(
            SV48.satp(PhysAddr(0x8020_0000), 3),
            (9 << 60) | (3 << 44) | 0x80200
        );
    }

    #[test]
    fn one_walk_for_every_mode() {
        for mode in [SV39, SV48] {
            let (mut mem, root) = Tables::new(16);
            let va = VirtAddr(0xffff_ffc0_8020_3000);
            map(mode, root, va, PhysAddr(0x8765_4000), 0, RWAD, &mut mem)
                .unwrap()
                .covered_by_full_fence();
            assert_eq!(mem.frames.len(), mode.levels, "one table per level");
            let t = translate(mode, root, va.add(0x123), &mem).unwrap();
            assert_eq!(t.pa, PhysAddr(0x8765_4123));
            assert_eq!(t.level, 0);
            assert_eq!(t.flags, RWAD | PteFlags::V);
            assert_eq!(translate(mode, root, va.add(0x1000), &mem), None);
            assert_eq!(
                map(mode, root, va, PhysAddr(0x9000_0000), 0, RWAD, &mut mem).unwrap_err(),
                MapError::AlreadyMapped(va)
            );
        }
    }

    #[test]
    fn ranges_use_the_largest_aligned_leaves() {
        for mode in [SV39, SV48] {
            let (mut mem, root) = Tables::new(64);
            // 4 KiB short of 2 MiB alignment, then 1 GiB + 2 MiB + 8 KiB.
            let va = VirtAddr(0xffff_ffc0_3fdf_f000);
            let pa = PhysAddr(0x3fdf_f000);
            let len = 0x1000 + 0x20_0000 + (1 << 30) + 0x20_0000 + 0x2000;
            let leaves = map_range(mode, root, Range { va, pa, len }, RWAD, 2, &mut mem).unwrap();
            assert_eq!(leaves, 1 + 1 + 1 + 1 + 2);
            for (off, level) in [
                (0, 0),
                (0x1000, 1),
                (0x20_1000, 2),
                (0x4020_1000, 1),
                (0x4040_1000, 0),
                (0x4040_2000, 0),
            ] {
                let t = translate(mode, root, va.add(off), &mem).unwrap();
                assert_eq!((t.pa, t.level), (pa.add(off), level), "offset {off:#x}");
            }
            assert_eq!(translate(mode, root, va.add(len), &mem), None);
            // max_level 0: 4 KiB leaves only.
            let (mut mem, root) = Tables::new(64);
            let len = 0x40_0000;
            let n = map_range(mode, root, Range { va, pa, len }, RWAD, 0, &mut mem).unwrap();
            assert_eq!(n, 0x400);
        }
    }

    #[test]
    fn refusals() {
        let (mut mem, root) = Tables::new(3);
        let bad = VirtAddr(0x0000_8000_0000_0000);
        assert_eq!(
            map(SV39, root, bad, PhysAddr(0), 0, RWAD, &mut mem).unwrap_err(),
            MapError::NotCanonical(bad)
        );
        let va = VirtAddr(0x20_0000);
        assert!(matches!(
            map(SV39, root, va, PhysAddr(0x1000), 1, RWAD, &mut mem),
            Err(MapError::Misaligned { level: 1, .. })
        ));
        assert!(matches!(
            map(SV39, root, VirtAddr(0), PhysAddr(0), 3, RWAD, &mut mem),
            Err(MapError::Misaligned { level: 3, .. })
        ));
        map(SV39, root, va, PhysAddr(0x20_0000), 1, RWAD, &mut mem)
            .unwrap()
            .covered_by_full_fence();
        // A 4 KiB page inside the 2 MiB leaf: the walk meets the leaf first.
        assert_eq!(
            map(SV39, root, va.add(0x1000), PhysAddr(0), 0, RWAD, &mut mem).unwrap_err(),
            MapError::AlreadyMapped(va.add(0x1000))
        );
        // Root + one level-1 table made; the limit of 3 leaves one more table.
        map(
            SV39,
            root,
            VirtAddr(0x4000_0000),
            PhysAddr(0),
            0,
            RWAD,
            &mut mem,
        )
        .unwrap_err();
        assert_eq!(
            map(
                SV39,
                root,
                VirtAddr(0x8000_0000),
                PhysAddr(0),
                0,
                RWAD,
                &mut mem
            )
            .unwrap_err(),
            MapError::OutOfMemory
        );
    }

    #[test]
    fn fork_shares_read_only_pages_and_makes_writable_ones_copy_on_write() {
        for mode in [SV39, SV48] {
            let (mut mem, parent) = Tables::new(64);
            let child = mem.alloc_table().unwrap();
            let rx = PteFlags::R | PteFlags::X | PteFlags::U | PteFlags::A;
            let rw = RWAD | PteFlags::U;
            let pages = [
                (0x1_0000, 0x8100_0000, rx),
                (0x2_0000, 0x8100_1000, rw),
                (0x3f_ffff_f000, 0x8100_2000, rw),
            ];
            for (va, pa, f) in pages {
                map(mode, parent, VirtAddr(va), PhysAddr(pa), 0, f, &mut mem)
                    .unwrap()
                    .covered_by_full_fence();
            }
            let mut seen = Vec::new();
            let changed = fork_copy(
                mode,
                parent,
                child,
                &mut mem,
                &mut |_, _| ForkPage::CopyOnWrite,
                &mut |pa| seen.push(pa.0),
                &mut |_| {},
            )
            .unwrap();
            assert_eq!(changed, 2, "the two writable pages lost W");
            assert_eq!(seen, [0x8100_0000, 0x8100_1000, 0x8100_2000]);
            for (va, pa, f) in pages {
                let want = (f - PteFlags::W) | PteFlags::V;
                for root in [parent, child] {
                    let t = translate(mode, root, VirtAddr(va), &mem).unwrap();
                    assert_eq!((t.pa, t.flags), (PhysAddr(pa), want), "{va:#x}");
                }
            }
            // Teardown sees each leaf once and frees every lower table.
            let tables_before = mem.frames.len();
            let (mut leaves, mut freed) = (0, Vec::new());
            clear_user(mode, child, &mut mem, &mut |_, _| leaves += 1, &mut |t| {
                freed.push(t)
            });
            assert_eq!(leaves, 3);
            assert_eq!(translate(mode, child, VirtAddr(0x1_0000), &mem), None);
            assert!(!freed.is_empty() && freed.len() < tables_before);
            assert!(translate(mode, parent, VirtAddr(0x1_0000), &mem).is_some());
        }
    }

    #[test]
    fn swap_entries_are_copied_by_fork_and_seen_by_teardown() {
        use crate::swap::SwapEntry;
        for mode in [SV39, SV48] {
            let (mut mem, parent) = Tables::new(64);
            let child = mem.alloc_table().unwrap();
            let e = SwapEntry::new(0, 42).to_pte();
            set_entry(mode, parent, VirtAddr(0x5000), e, &mut mem).unwrap();
            map(
                mode,
                parent,
                VirtAddr(0x6000),
                PhysAddr(0x8100_0000),
                0,
                RWAD,
                &mut mem,
            )
            .unwrap()
            .covered_by_full_fence();
            assert_eq!(translate(mode, parent, VirtAddr(0x5000), &mem), None);
            let (t, i) = leaf_slot(mode, parent, VirtAddr(0x5000), &mem).unwrap();
            assert_eq!(mem.read(t, i), e);
            let mut swapped = Vec::new();
            fork_copy(
                mode,
                parent,
                child,
                &mut mem,
                &mut |_, _| ForkPage::CopyOnWrite,
                &mut |_| {},
                &mut |pte| swapped.push(pte),
            )
            .unwrap();
            assert_eq!(swapped, [e]);
            let (t, i) = leaf_slot(mode, child, VirtAddr(0x5000), &mem).unwrap();
            assert_eq!(mem.read(t, i), e);
            let mut seen = Vec::new();
            clear_user(
                mode,
                child,
                &mut mem,
                &mut |va, pte| seen.push((va, pte)),
                &mut |_| {},
            );
            assert_eq!(seen.len(), 2);
            assert!(seen.contains(&(VirtAddr(0x5000), e)));
        }
    }

    #[test]
    fn fork_runs_out_of_tables_cleanly() {
        let (mut mem, parent) = Tables::new(5);
        map(
            SV39,
            parent,
            VirtAddr(0x1000),
            PhysAddr(0x8100_0000),
            0,
            RWAD,
            &mut mem,
        )
        .unwrap()
        .covered_by_full_fence();
        let child = mem.alloc_table().unwrap();
        let mut n = 0;
        let r = fork_copy(
            SV39,
            parent,
            child,
            &mut mem,
            &mut |_, _| ForkPage::CopyOnWrite,
            &mut |_| n += 1,
            &mut |_| {},
        );
        assert_eq!(r, Err(MapError::OutOfMemory));
        assert_eq!(n, 0, "nothing counted for a leaf that was not copied");
    }
}
