//! The page-table snapshot: walks a whole tree the way the hardware walker would (same PTE
//! validity rules as `walk.rs`, steps 3–5) and summarises what it maps. Used by the CLI's
//! page-table dump and by snapshot tests of the kernel's address spaces.
//!
//! # Text format
//!
//! [`PageTableDump`]'s `Display` output is deterministic (entries in ascending canonical VA
//! order, which is table-index order) and has these lines, in this order:
//!
//! ```text
//! mode sv39, root PA:0x80200000
//! VA 0x0000000000010000-0x0000000000013000 -> PA 0x0000000080400000  4K x3  rwxu-ad
//! VA 0xffffffc000000000-0xffffffc040000000 -> PA 0x0000000080000000  1G x1  rwx-gad
//! tables: level 2: 1 (4 KiB), level 1: 1 (4 KiB), level 0: 1 (4 KiB); total 12 KiB
//! bad PTE at PA:0x80201008 level 0: 0x0000000020100c01 non-leaf at level 0
//! ```
//!
//! - The header names the mode and the root table's physical address.
//! - One line per mapping range: leaves with the same page size and flags whose VAs and PAs
//!   both continue the previous leaf's are merged. VAs are canonical (sign-extended), the end
//!   is exclusive (a range ending at the top of the address space prints its end as
//!   `0x0000000000000000`). Then the page size (4K, 2M, 1G, 512G, 256T), the number of pages
//!   and the flags as [`flag_letters`] prints them (`rwxugad`, `-` where clear). With no
//!   mappings at all the line `no mappings` stands instead.
//! - The table census: for each level from the top down, how many distinct 4 KiB tables the
//!   tree has there and their size; then the total.
//! - One line per bad entry, if any: its PTE's address and level, the raw PTE and why a walk
//!   through it would fault: `malformed` (V=1 but W without R, or reserved bits set: 63:54
//!   anywhere, D, A or U in a pointer to the next level; the subtree is not visited),
//!   `non-leaf at level 0`, `misaligned superpage`, or `unreadable` (the read failed; the rest
//!   of that table is skipped). Entries with V=0 are holes and are not listed.

use core::fmt;
use std::collections::HashSet;

use crate::addr::PAGE_SHIFT;

use super::mode::{PagingMode, PTE_SIZE, VPN_BITS};
use super::pmp::Pmp;
use super::pte::{flag_letters, Pte, PteFlags};
use super::walk::PteMemory;
use super::Access;
use crate::addr::PhysAddr;
use crate::bus::Ram;
use crate::isa::Priv;

/// Leaves that map one contiguous VA range to one contiguous PA range.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MappingRange {
    /// First VA (canonical).
    pub va_start: u64,
    /// One past the last VA (wraps to 0 at the top of the address space).
    pub va_end: u64,
    pub pa_start: u64,
    pub page_size: u64,
    /// Number of leaves merged.
    pub count: u64,
    pub flags: PteFlags,
}

/// Why an entry would make a walk through it fault.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BadReason {
    Malformed,
    NonLeafAtLevel0,
    MisalignedSuperpage,
    Unreadable,
}

/// An entry a walk would fault on (V=0 holes excluded).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BadPte {
    pub pte_addr: u64,
    pub level: u8,
    pub pte: u64,
    pub reason: BadReason,
}

/// A snapshot of one page-table tree.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PageTableDump {
    pub mode_name: &'static str,
    pub root_pa: u64,
    pub ranges: Vec<MappingRange>,
    /// Distinct tables per level, indexed by level (0 = leaf tables).
    pub tables: Vec<u64>,
    pub bad: Vec<BadPte>,
}

impl PageTableDump {
    /// Total bytes of page tables.
    pub fn table_bytes(&self) -> u64 {
        self.tables.iter().sum::<u64>() << PAGE_SHIFT
    }
}

/// Guest page-table memory as the hardware walker reads it: RAM, each PTE read PMP-checked as
/// an S-mode load (priv/machine.adoc, "Physical Memory Protection": the walker's implicit
/// accesses are checked as S-mode). A PTE the walker could not read is `unreadable` in the
/// dump. Unlike the MMU's own walker memory it counts nothing and never writes: a snapshot
/// must not change the machine.
pub struct GuestPtes<'a> {
    pub ram: &'a Ram,
    pub pmp: &'a Pmp,
}

impl PteMemory for GuestPtes<'_> {
    fn read_pte(&mut self, pa: u64) -> Result<u64, ()> {
        if !self.pmp.check(pa, PTE_SIZE, Access::Load, Priv::S) {
            return Err(());
        }
        self.ram.read_u64(PhysAddr(pa)).ok_or(())
    }

    /// Never called by [`dump`]; a snapshot writes nothing.
    fn cas_pte(&mut self, _pa: u64, _old: u64, _new: u64) -> Result<bool, ()> {
        Err(())
    }
}

/// What [`walk`] finds, in table-index order (ascending canonical VA), depth first.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Visit {
    /// The walk enters the table at `pa` at `level` (again, when two entries point to it).
    Table { level: u8, pa: u64 },
    /// A leaf the hardware would use: it maps `va` (canonical) to the page at `pa`.
    Leaf {
        va: u64,
        level: u8,
        pte_addr: u64,
        pte: u64,
        pa: u64,
    },
    /// An entry with V = 0 that is not zero: the hardware ignores its other bits (a walk
    /// through it faults), but software may keep data there (a swap entry). `va` is the
    /// first address it would cover.
    NotValid {
        va: u64,
        level: u8,
        pte_addr: u64,
        pte: u64,
    },
    /// An entry a walk would fault on (see [`BadReason`]).
    Bad(BadPte),
}

/// Walks the tree rooted at `root_ppn` for `mode` with the hardware walker's validity
/// rules, handing each table, leaf, non-valid non-zero entry and bad entry to `visit`.
/// Reads only, through `mem`.
pub fn walk(
    root_ppn: u64,
    mode: &PagingMode,
    mem: &mut impl PteMemory,
    visit: &mut dyn FnMut(Visit),
) {
    Walker { mode, mem, visit }.table(root_ppn << PAGE_SHIFT, mode.top_level(), 0);
}

/// Walks the tree rooted at `root_ppn` for `mode`.
pub fn dump(root_ppn: u64, mode: &PagingMode, mem: &mut impl PteMemory) -> PageTableDump {
    let mut out = PageTableDump {
        mode_name: mode.name,
        root_pa: root_ppn << PAGE_SHIFT,
        ranges: Vec::new(),
        tables: vec![0; mode.levels as usize],
        bad: Vec::new(),
    };
    // (level, PA) of tables already counted: a table reached twice maps twice but is one
    // table's worth of memory.
    let mut seen = HashSet::new();
    walk(root_ppn, mode, mem, &mut |v| match v {
        Visit::Table { level, pa } => {
            if seen.insert((level, pa)) {
                out.tables[level as usize] += 1;
            }
        }
        Visit::Leaf {
            va, level, pte, pa, ..
        } => {
            let size = 1u64 << (PAGE_SHIFT + VPN_BITS * level as u32);
            leaf(&mut out.ranges, va, pa, size, Pte(pte).flags());
        }
        Visit::NotValid { .. } => {}
        Visit::Bad(b) => out.bad.push(b),
    });
    out
}

struct Walker<'a, M> {
    mode: &'a PagingMode,
    mem: &'a mut M,
    visit: &'a mut dyn FnMut(Visit),
}

impl<M: PteMemory> Walker<'_, M> {
    /// Visits the table at `pa` at `level`; `va_prefix` holds the VPN bits above `level`.
    fn table(&mut self, pa: u64, level: u8, va_prefix: u64) {
        (self.visit)(Visit::Table { level, pa });
        let shift = PAGE_SHIFT + VPN_BITS * level as u32;
        for idx in 0..1u64 << VPN_BITS {
            let pte_addr = pa.wrapping_add(idx * PTE_SIZE);
            let bad = |pte, reason| {
                Visit::Bad(BadPte {
                    pte_addr,
                    level,
                    pte,
                    reason,
                })
            };
            let Ok(raw) = self.mem.read_pte(pte_addr) else {
                (self.visit)(bad(0, BadReason::Unreadable));
                return;
            };
            let pte = Pte(raw);
            let va = va_prefix | idx << shift;
            if !pte.flags().contains(PteFlags::V) {
                if raw != 0 {
                    (self.visit)(Visit::NotValid {
                        va: self.mode.sign_extend(va),
                        level,
                        pte_addr,
                        pte: raw,
                    });
                }
                continue;
            }
            if pte.is_invalid() {
                (self.visit)(bad(raw, BadReason::Malformed));
                continue;
            }
            if !pte.is_leaf() {
                if level == 0 {
                    (self.visit)(bad(raw, BadReason::NonLeafAtLevel0));
                } else {
                    self.table(pte.ppn() << PAGE_SHIFT, level - 1, va);
                }
                continue;
            }
            if pte.ppn() & ((1 << (VPN_BITS * level as u32)) - 1) != 0 {
                (self.visit)(bad(raw, BadReason::MisalignedSuperpage));
                continue;
            }
            (self.visit)(Visit::Leaf {
                va: self.mode.sign_extend(va),
                level,
                pte_addr,
                pte: raw,
                pa: pte.ppn() << PAGE_SHIFT,
            });
        }
    }
}

/// Adds a leaf to `ranges`, merged with the last range when it continues it.
fn leaf(ranges: &mut Vec<MappingRange>, va: u64, pa: u64, size: u64, flags: PteFlags) {
    if let Some(last) = ranges.last_mut() {
        if last.page_size == size
            && last.flags == flags
            && last.va_end == va
            && last.pa_start.wrapping_add(last.count * size) == pa
        {
            last.count += 1;
            last.va_end = va.wrapping_add(size);
            return;
        }
    }
    ranges.push(MappingRange {
        va_start: va,
        va_end: va.wrapping_add(size),
        pa_start: pa,
        page_size: size,
        count: 1,
        flags,
    });
}

/// "4K", "2M", "1G", "512G", "256T".
pub fn size_name(size: u64) -> String {
    let units = [(40, 'T'), (30, 'G'), (20, 'M'), (10, 'K')];
    let &(shift, unit) = units
        .iter()
        .find(|&&(s, _)| size >= 1 << s)
        .unwrap_or(&(0, 'B'));
    format!("{}{unit}", size >> shift)
}

impl fmt::Display for BadReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            BadReason::Malformed => "malformed",
            BadReason::NonLeafAtLevel0 => "non-leaf at level 0",
            BadReason::MisalignedSuperpage => "misaligned superpage",
            BadReason::Unreadable => "unreadable",
        })
    }
}

impl fmt::Display for PageTableDump {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "mode {}, root PA:{:#x}", self.mode_name, self.root_pa)?;
        if self.ranges.is_empty() {
            writeln!(f, "no mappings")?;
        }
        for r in &self.ranges {
            writeln!(
                f,
                "VA {:#018x}-{:#018x} -> PA {:#018x}  {} x{}  {}",
                r.va_start,
                r.va_end,
                r.pa_start,
                size_name(r.page_size),
                r.count,
                flag_letters(r.flags)
            )?;
        }
        write!(f, "tables: ")?;
        for (n, level) in (0..self.tables.len()).rev().enumerate() {
            let sep = if n == 0 { "" } else { ", " };
            let count = self.tables[level];
            write!(f, "{sep}level {level}: {count} ({} KiB)", count * 4)?;
        }
        writeln!(f, "; total {} KiB", self.table_bytes() >> 10)?;
        for b in &self.bad {
            writeln!(
                f,
                "bad PTE at PA:{:#x} level {}: {:#018x} {}",
                b.pte_addr, b.level, b.pte, b.reason
            )?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mmu::mode::{SV39, SV48};
    use crate::mmu::walk::testmem::{PtBuilder, RWXAD};
    use PteFlags as F;

    const ROOT: u64 = 0x8020_0000;

    fn text(b: &mut PtBuilder) -> String {
        dump(b.root >> PAGE_SHIFT, b.mode, &mut b.mem).to_string()
    }

    #[test]
    fn small_sv39_tree() {
        let mut b = PtBuilder::new(&SV39, ROOT);
        for n in 0..3 {
            b.map(0x1_0000 + n * 4096, 0x8040_0000 + n * 4096, 0, RWXAD | F::U);
        }
        b.map(0xffff_ffc0_0000_0000, 0x8000_0000, 2, RWXAD | F::G);
        assert_eq!(
            text(&mut b),
            "mode sv39, root PA:0x80200000\n\
             VA 0x0000000000010000-0x0000000000013000 -> PA 0x0000000080400000  4K x3  rwxu-ad\n\
             VA 0xffffffc000000000-0xffffffc040000000 -> PA 0x0000000080000000  1G x1  rwx-gad\n\
             tables: level 2: 1 (4 KiB), level 1: 1 (4 KiB), level 0: 1 (4 KiB); total 12 KiB\n"
        );
    }

    #[test]
    fn ranges_break_on_size_flags_pa_and_holes() {
        let mut b = PtBuilder::new(&SV39, ROOT);
        let r = F::V | F::R | F::A;
        b.map(0x20_0000, 0x8020_0000, 1, r); // 2M
        b.map(0x40_0000, 0x8040_0000, 0, r); // 4K right after: other size
        b.map(0x40_1000, 0x8040_1000, 0, r | F::W | F::D); // other flags
        b.map(0x40_2000, 0x8050_0000, 0, r | F::W | F::D); // PA jumps
        b.map(0x40_4000, 0x8050_2000, 0, r | F::W | F::D); // VA hole
        b.map(0x40_5000, 0x8050_3000, 0, r | F::W | F::D); // merges
        assert_eq!(
            text(&mut b),
            "mode sv39, root PA:0x80200000\n\
             VA 0x0000000000200000-0x0000000000400000 -> PA 0x0000000080200000  2M x1  r----a-\n\
             VA 0x0000000000400000-0x0000000000401000 -> PA 0x0000000080400000  4K x1  r----a-\n\
             VA 0x0000000000401000-0x0000000000402000 -> PA 0x0000000080401000  4K x1  rw---ad\n\
             VA 0x0000000000402000-0x0000000000403000 -> PA 0x0000000080500000  4K x1  rw---ad\n\
             VA 0x0000000000404000-0x0000000000406000 -> PA 0x0000000080502000  4K x2  rw---ad\n\
             tables: level 2: 1 (4 KiB), level 1: 1 (4 KiB), level 0: 1 (4 KiB); total 12 KiB\n"
        );
    }

    #[test]
    fn sv48_identity_gigapages_merge_across_tables() {
        let mut b = PtBuilder::new(&SV48, ROOT);
        for g in 0..4u64 {
            b.map(g << 30, g << 30, 2, RWXAD | F::G);
        }
        // The last 1 GiB of the address space, whose end wraps to 0.
        b.map(0xffff_ffff_c000_0000, 0x8000_0000, 2, RWXAD | F::G);
        let d = dump(ROOT >> PAGE_SHIFT, &SV48, &mut b.mem);
        assert_eq!(d.tables, vec![0, 0, 2, 1]);
        assert_eq!(d.table_bytes(), 12 << 10);
        assert_eq!(d.ranges.len(), 2);
        assert_eq!(d.ranges[0].count, 4);
        assert_eq!(
            d.to_string(),
            "mode sv48, root PA:0x80200000\n\
             VA 0x0000000000000000-0x0000000100000000 -> PA 0x0000000000000000  1G x4  rwx-gad\n\
             VA 0xffffffffc0000000-0x0000000000000000 -> PA 0x0000000080000000  1G x1  rwx-gad\n\
             tables: level 3: 1 (4 KiB), level 2: 2 (8 KiB), level 1: 0 (0 KiB), \
             level 0: 0 (0 KiB); total 12 KiB\n"
        );
    }

    #[test]
    fn empty_tree() {
        let mut b = PtBuilder::new(&SV39, ROOT);
        assert_eq!(
            text(&mut b),
            "mode sv39, root PA:0x80200000\nno mappings\n\
             tables: level 2: 1 (4 KiB), level 1: 0 (0 KiB), level 0: 0 (0 KiB); total 4 KiB\n"
        );
    }

    #[test]
    fn bad_entries_are_listed_and_holes_skipped() {
        let mut b = PtBuilder::new(&SV39, ROOT);
        b.map(0x1000, 0x8000_1000, 0, RWXAD);
        let a0 = b.set_raw(0x2000, 0, Pte::new(0x80402, F::V).0); // pointer at level 0
        let a1 = b.map(0x20_0000, 0x8060_1000, 1, RWXAD); // misaligned 2M
        let a2 = b.set_raw(0x3000, 0, Pte::new(0x80003, F::V | F::W).0); // W without R
        b.set_raw(0x4000, 0, Pte::new(0x80004, RWXAD - F::V).0); // hole
        let d = dump(ROOT >> PAGE_SHIFT, &SV39, &mut b.mem);
        let reasons: Vec<(u64, u8, BadReason)> = d
            .bad
            .iter()
            .map(|b| (b.pte_addr, b.level, b.reason))
            .collect();
        assert_eq!(
            reasons,
            vec![
                (a0, 0, BadReason::NonLeafAtLevel0),
                (a2, 0, BadReason::Malformed),
                (a1, 1, BadReason::MisalignedSuperpage),
            ]
        );
        assert_eq!(d.ranges.len(), 1);
        assert!(d.to_string().ends_with(
            "total 12 KiB\n\
             bad PTE at PA:0x80202010 level 0: 0x0000000020100801 non-leaf at level 0\n\
             bad PTE at PA:0x80202018 level 0: 0x0000000020000c05 malformed\n\
             bad PTE at PA:0x80201008 level 1: 0x00000000201804cf misaligned superpage\n"
        ));
    }

    #[test]
    fn walk_reports_non_valid_entries_that_hold_data() {
        let mut b = PtBuilder::new(&SV39, ROOT);
        b.map(0x1000, 0x8000_1000, 0, RWXAD | F::U);
        let a = b.set_raw(0x2000, 0, (3 << 11) | (1 << 6)); // V = 0, software's bits
        let mut seen = Vec::new();
        walk(ROOT >> PAGE_SHIFT, &SV39, &mut b.mem, &mut |v| seen.push(v));
        assert!(matches!(seen[0], Visit::Table { level: 2, pa: ROOT }));
        assert!(matches!(
            seen[3],
            Visit::Leaf {
                va: 0x1000,
                level: 0,
                pa: 0x8000_1000,
                ..
            }
        ));
        assert_eq!(
            seen[4],
            Visit::NotValid {
                va: 0x2000,
                level: 0,
                pte_addr: a,
                pte: (3 << 11) | (1 << 6)
            }
        );
        assert_eq!(seen.len(), 5, "{seen:?}");
        // The dump shows only what the hardware uses.
        assert_eq!(dump(ROOT >> PAGE_SHIFT, &SV39, &mut b.mem).ranges.len(), 1);
    }

    #[test]
    fn pointer_with_reserved_bits_is_malformed() {
        let mut b = PtBuilder::new(&SV39, ROOT);
        b.map(0x1000, 0x8000_1000, 0, RWXAD);
        let l1 = b.pte_addr(0x1000, 1);
        let ptr = b.mem.read(l1);
        b.mem.write(l1, ptr | F::A.bits() as u64);
        let d = dump(ROOT >> PAGE_SHIFT, &SV39, &mut b.mem);
        assert!(
            d.ranges.is_empty(),
            "a walk stops there: nothing below is mapped"
        );
        assert_eq!(d.tables, vec![0, 1, 1]);
        assert_eq!(
            d.bad,
            vec![BadPte {
                pte_addr: l1,
                level: 1,
                pte: ptr | F::A.bits() as u64,
                reason: BadReason::Malformed
            }]
        );
    }

    #[test]
    fn unreadable_table_and_shared_table() {
        let mut b = PtBuilder::new(&SV39, ROOT);
        b.map(0x1000, 0x8000_1000, 0, RWXAD);
        // A second level-1 pointer to the same level-0 table maps it again, 1 GiB higher.
        let l1 = b.pte_addr(0x1000, 1);
        let ptr = b.mem.read(l1);
        b.set_raw(0x4000_0000, 1, ptr);
        let d = dump(ROOT >> PAGE_SHIFT, &SV39, &mut b.mem);
        assert_eq!(
            d.tables,
            vec![1, 2, 1],
            "the shared level-0 table counts once"
        );
        let vas: Vec<u64> = d.ranges.iter().map(|r| r.va_start).collect();
        assert_eq!(vas, vec![0x1000, 0x4000_1000]);

        let leaf_table = Pte(ptr).ppn() << PAGE_SHIFT;
        b.mem.fail_at(leaf_table + 8);
        let d = dump(ROOT >> PAGE_SHIFT, &SV39, &mut b.mem);
        assert_eq!(d.bad.len(), 2, "once per path into the table");
        assert!(
            d.ranges.is_empty(),
            "entry 1 failed, so the table was skipped"
        );
        assert!(d
            .to_string()
            .contains("bad PTE at PA:0x80202008 level 0: 0x0000000000000000 unreadable\n"));
    }

    #[test]
    fn size_names() {
        let names: Vec<String> = (0..5)
            .map(|l| size_name(PagingMode::page_size(l)))
            .collect();
        assert_eq!(names, ["4K", "2M", "1G", "512G", "256T"]);
    }
}
