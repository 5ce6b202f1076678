//! Page-table snapshots of one process, for tests and `rvmmu run --dump-pt PID@EVENT`
//! (docs/MMU.md, "Per-process snapshots").
//!
//! - [`HardwareView`]: the tree a process's satp selects, walked from its root as the MMU
//!   sees it ([`crate::mmu::dump::walk`], the hardware walker's rules), without any
//!   effect on the machine, with the kernel's swap entries decoded ([`SwapPte`]) and
//!   physical addresses replaced by stable names: frames `F0`, `F1`, ... and tables `T0`,
//!   `T1`, ... numbered in order of first appearance (tables in walk order, the root being
//!   `T0`; frames in ascending VA order). Two runs that build the same tree in different
//!   physical frames print the same text.
//! - [`maps::KernelView`]: /proc/PID/maps as the kernel renders it, asked for through the
//!   kernel event channel ([`watch::proc_file`]).
//! - [`maps::agree`]: whether the two agree page for page.
//! - [`watch`]: running a machine until an event of a process (a system call, a console
//!   read, a fault at a VA, its exit, a console output substring).

pub mod maps;
pub mod watch;

use crate::machine::Machine;
use crate::mmu::dump::{self, BadReason, GuestPtes, Visit};
use crate::mmu::mode::PagingMode;
use crate::mmu::pte::{flag_letters, Pte, PteFlags};
use crate::mmu::walk::SATP_PPN_MASK;
use std::collections::HashMap;
use std::fmt;

/// The kernel's swap entry in a PTE with V = 0 (Linux riscv64's layout, which the kernel
/// uses): bit 0 (V) clear, bit 5 clear (Linux keeps it for PROT_NONE), the swap type (which
/// swap area, in the order they were enabled) in the 5 bits from bit 6, the slot offset in
/// that area (in pages, slot 0 being the area's header) from bit 11. The hardware ignores
/// every bit but V of such an entry: only the kernel's fault handler reads it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SwapPte {
    pub area: u8,
    pub offset: u64,
}

impl SwapPte {
    /// Where the type starts.
    pub const TYPE_SHIFT: u32 = 6;
    /// Bits of the type.
    pub const TYPE_BITS: u32 = 5;
    /// Where the offset starts.
    pub const OFFSET_SHIFT: u32 = 11;

    /// The swap entry a PTE carries: `None` when V is set, the PTE is zero, or bit 5 or the
    /// bits between V and the type (R, W, X, U) are set, which the kernel's entries never
    /// have.
    pub fn decode(pte: u64) -> Option<SwapPte> {
        if pte == 0 || pte & 0x3f != 0 {
            return None;
        }
        Some(SwapPte {
            area: ((pte >> Self::TYPE_SHIFT) & ((1 << Self::TYPE_BITS) - 1)) as u8,
            offset: pte >> Self::OFFSET_SHIFT,
        })
    }
}

/// What a page's entry holds.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Page {
    /// A valid leaf: frame `frame` (its redacted number) with these flags.
    Mapped { frame: usize, flags: PteFlags },
    /// A swap entry (V = 0).
    Swapped(SwapPte),
    /// Another non-zero entry with V = 0 (not the kernel's swap format), raw.
    NotValid { pte: u64 },
}

/// One entry of the tree that maps (or once mapped) `size` bytes from `va`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PageEntry {
    /// Canonical VA of the first byte.
    pub va: u64,
    /// 4 KiB, or a superpage's size.
    pub size: u64,
    pub page: Page,
}

/// An entry a walk would fault on, located by table name and index.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BadEntry {
    /// The table's redacted number (`T`n).
    pub table: usize,
    pub index: u64,
    pub level: u8,
    pub reason: BadReason,
}

/// A process's page-table tree as the MMU sees it (see the module's documentation).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HardwareView {
    /// `sv39` or `sv48`.
    pub mode: &'static str,
    /// Every leaf, swap entry and other non-zero V = 0 entry, in ascending VA order.
    pub pages: Vec<PageEntry>,
    /// The tables' redacted numbers, by level (index 0 = leaf tables).
    pub tables: Vec<Vec<usize>>,
    pub bad: Vec<BadEntry>,
    /// Bits of a VA (39 or 48): VAs below `1 << (va_bits - 1)` are the user half.
    pub va_bits: u8,
}

impl HardwareView {
    /// Walks the tree rooted at `root_ppn` for `mode` in `m`'s RAM, reading PTEs as the
    /// hardware walker would (PMP-checked as S-mode loads) but writing and counting nothing.
    pub fn of_root(m: &Machine, root_ppn: u64, mode: &PagingMode) -> HardwareView {
        let mut mem = GuestPtes {
            ram: &m.bus.ram,
            pmp: &m.hart.mmu.pmp,
        };
        let mut tables: HashMap<u64, usize> = HashMap::new();
        let mut by_level: Vec<Vec<usize>> = vec![Vec::new(); usize::from(mode.levels)];
        let mut frames: HashMap<u64, usize> = HashMap::new();
        let mut pages = Vec::new();
        let mut bad = Vec::new();
        let table_of = |pa: u64, tables: &mut HashMap<u64, usize>| -> usize {
            let n = tables.len();
            *tables.entry(pa & !0xfff).or_insert(n)
        };
        dump::walk(root_ppn, mode, &mut mem, &mut |v| match v {
            Visit::Table { level, pa } => {
                let n = tables.len();
                let t = *tables.entry(pa).or_insert(n);
                if t == n {
                    by_level[usize::from(level)].push(t);
                }
            }
            Visit::Leaf {
                va, level, pte, pa, ..
            } => {
                let n = frames.len();
                let frame = *frames.entry(pa).or_insert(n);
                pages.push(PageEntry {
                    va,
                    size: PagingMode::page_size(level),
                    page: Page::Mapped {
                        frame,
                        flags: Pte(pte).flags() - PteFlags::V,
                    },
                });
            }
            Visit::NotValid { va, level, pte, .. } => pages.push(PageEntry {
                va,
                size: PagingMode::page_size(level),
                page: match SwapPte::decode(pte) {
                    Some(s) if level == 0 => Page::Swapped(s),
                    _ => Page::NotValid { pte },
                },
            }),
            Visit::Bad(b) => bad.push(BadEntry {
                table: table_of(b.pte_addr, &mut tables),
                index: (b.pte_addr & 0xfff) / 8,
                level: b.level,
                reason: b.reason,
            }),
        });
        HardwareView {
            mode: mode.name,
            pages,
            tables: by_level,
            bad,
            va_bits: mode.va_bits,
        }
    }

    /// The tree `satp` selects; `None` when satp is Bare.
    pub fn of_satp(m: &Machine, satp: u64) -> Option<HardwareView> {
        let mode = PagingMode::from_satp(satp)?;
        Some(HardwareView::of_root(m, satp & SATP_PPN_MASK, mode))
    }

    /// Whether `va` is in the user (lower) half.
    pub fn is_user_half(&self, va: u64) -> bool {
        va < 1 << (self.va_bits - 1)
    }

    /// The entries of the user half only.
    pub fn user_pages(&self) -> impl Iterator<Item = &PageEntry> {
        self.pages.iter().filter(|p| self.is_user_half(p.va))
    }

    /// Pages of the user half that are mapped, and that are in swap.
    pub fn user_counts(&self) -> (u64, u64) {
        let (mut mapped, mut swapped) = (0, 0);
        for p in self.user_pages() {
            match p.page {
                Page::Mapped { .. } => mapped += p.size / 4096,
                Page::Swapped(_) => swapped += 1,
                Page::NotValid { .. } => {}
            }
        }
        (mapped, swapped)
    }
}

/// Consecutive entries printed as one line: same size and kind, VAs continuing, frames
/// numbered one after the other (or swap offsets), same flags.
fn continues(a: &PageEntry, last_of_run: &PageEntry, b: &PageEntry) -> bool {
    if a.size != b.size || last_of_run.va.wrapping_add(last_of_run.size) != b.va {
        return false;
    }
    match (&last_of_run.page, &b.page) {
        (Page::Mapped { frame: f, flags: x }, Page::Mapped { frame: g, flags: y }) => {
            x == y && *g == f + 1
        }
        (Page::Swapped(s), Page::Swapped(t)) => s.area == t.area && t.offset == s.offset + 1,
        _ => false,
    }
}

/// Text (docs/MMU.md, "Per-process snapshots"): a header, one line per run of entries of
/// the user half, a summary of the kernel half (the kernel's own mappings, the same in
/// every process), the table census and any bad entries. No physical address appears.
impl fmt::Display for HardwareView {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (mapped, swapped) = self.user_counts();
        writeln!(
            f,
            "mode {}, root T0; user half: {mapped} pages mapped, {swapped} in swap",
            self.mode
        )?;
        let user = self.pages.partition_point(|p| self.is_user_half(p.va));
        let mut i = 0;
        while i < user {
            let first = &self.pages[i];
            let mut j = i + 1;
            while j < user && continues(first, &self.pages[j - 1], &self.pages[j]) {
                j += 1;
            }
            let last = &self.pages[j - 1];
            let n = j - i;
            let what = match (&first.page, &last.page) {
                (Page::Mapped { frame, flags }, Page::Mapped { frame: end, .. }) => {
                    let frames = if n == 1 {
                        format!("F{frame}")
                    } else {
                        format!("F{frame}-F{end}")
                    };
                    format!("{}  {frames}", flag_letters(*flags))
                }
                (Page::Swapped(s), Page::Swapped(e)) => {
                    if n == 1 {
                        format!("swap type {} offset {}", s.area, s.offset)
                    } else {
                        format!("swap type {} offsets {}-{}", s.area, s.offset, e.offset)
                    }
                }
                (Page::NotValid { pte }, _) => format!("not valid, pte {pte:#018x}"),
                _ => String::new(),
            };
            writeln!(
                f,
                "{:#018x}-{:#018x}  {} x{n}  {what}",
                first.va,
                last.va.wrapping_add(last.size),
                dump::size_name(first.size)
            )?;
            i = j;
        }
        // The kernel half: the same in every process (the kernel's own mappings), by
        // page size.
        let mut sizes: Vec<(u64, u64)> = Vec::new();
        let mut other = 0;
        for p in &self.pages[user..] {
            match p.page {
                Page::Mapped { .. } => match sizes.iter_mut().find(|(s, _)| *s == p.size) {
                    Some((_, n)) => *n += 1,
                    None => sizes.push((p.size, 1)),
                },
                _ => other += 1,
            }
        }
        sizes.sort_unstable();
        let sizes: Vec<String> = sizes
            .iter()
            .map(|(s, n)| format!("{n} x {}", dump::size_name(*s)))
            .collect();
        writeln!(
            f,
            "kernel half (not listed): {} leaves{}{}{}",
            self.pages.len() - user - other,
            if sizes.is_empty() { "" } else { ": " },
            sizes.join(", "),
            if other == 0 {
                String::new()
            } else {
                format!("; {other} non-valid entries")
            }
        )?;
        write!(f, "tables:")?;
        for level in (0..self.tables.len()).rev() {
            let names: Vec<String> = self.tables[level].iter().map(|t| format!("T{t}")).collect();
            let sep = if level + 1 == self.tables.len() {
                ""
            } else {
                ";"
            };
            write!(f, "{sep} level {level}: {}", names.join(" "))?;
        }
        writeln!(f)?;
        for b in &self.bad {
            writeln!(
                f,
                "bad entry T{}[{}] at level {}: {}",
                b.table, b.index, b.level, b.reason
            )?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn swap_entries_decode_in_linux_riscv64_layout() {
        assert_eq!(
            SwapPte::decode((1 << 6) | (2 << 11)),
            Some(SwapPte { area: 1, offset: 2 })
        );
        assert_eq!(
            SwapPte::decode(31 << 6 | 0x1234 << 11),
            Some(SwapPte {
                area: 31,
                offset: 0x1234
            })
        );
        assert_eq!(SwapPte::decode(0), None);
        assert_eq!(SwapPte::decode(0x401), None, "valid");
        assert_eq!(
            SwapPte::decode(1 << 5 | 2 << 11),
            None,
            "bit 5: PROT_NONE's"
        );
    }

    fn page(va: u64, page: Page) -> PageEntry {
        PageEntry {
            va,
            size: 4096,
            page,
        }
    }

    #[test]
    fn runs_merge_on_consecutive_frames_and_slots_only() {
        let rw = PteFlags::R | PteFlags::W | PteFlags::U | PteFlags::A | PteFlags::D;
        let m = |frame| Page::Mapped { frame, flags: rw };
        let s = |offset| Page::Swapped(SwapPte { area: 0, offset });
        let v = HardwareView {
            mode: "sv39",
            pages: vec![
                page(0x1000, m(0)),
                page(0x2000, m(1)),
                page(0x3000, m(0)), // a frame seen before: a new line
                page(0x5000, s(7)),
                page(0x6000, s(8)),
                page(0x7000, s(3)),
                page(0xffff_ffc0_0000_0000, Page::NotValid { pte: 0x20 }),
            ],
            tables: vec![vec![2], vec![1], vec![0]],
            bad: vec![],
            va_bits: 39,
        };
        assert_eq!(v.user_counts(), (3, 3));
        assert_eq!(
            v.to_string(),
            "mode sv39, root T0; user half: 3 pages mapped, 3 in swap\n\
             0x0000000000001000-0x0000000000003000  4K x2  rw-u-ad  F0-F1\n\
             0x0000000000003000-0x0000000000004000  4K x1  rw-u-ad  F0\n\
             0x0000000000005000-0x0000000000007000  4K x2  swap type 0 offsets 7-8\n\
             0x0000000000007000-0x0000000000008000  4K x1  swap type 0 offset 3\n\
             kernel half (not listed): 0 leaves; 1 non-valid entries\n\
             tables: level 2: T0; level 1: T1; level 0: T2\n"
        );
    }
}
