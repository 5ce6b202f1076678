//! Swap entries: where a swapped-out page lives, and how a PTE with V = 0 carries it.
//!
//! The layout is Linux riscv64's (arch/riscv/include/asm/pgtable.h, as LINUX-FACTS.md
//! "Swap" gives it): V = 0, the swap type (which swap area) in 5 bits from bit 6, the
//! offset (the page's slot in that area) from bit 11. Bit 5 stays clear: Linux keeps it for
//! PROT_NONE pages, which are present to the kernel but not to the hardware. With V = 0 the
//! hardware ignores every other bit (priv/supervisor.adoc, "Virtual Address Translation
//! Process", step 3: a PTE with V = 0 raises a page fault), so the walker never reads the
//! entry; only the kernel's fault handler does.

use crate::pte::Pte;

/// Bits of the swap type (Linux: `__SWP_TYPE_BITS`): at most 32 swap areas.
pub const TYPE_BITS: u32 = 5;
/// Where the type starts (`__SWP_TYPE_SHIFT`).
pub const TYPE_SHIFT: u32 = 6;
/// Where the offset starts (`__SWP_OFFSET_SHIFT`).
pub const OFFSET_SHIFT: u32 = TYPE_SHIFT + TYPE_BITS;
/// How many swap areas an entry can name (Linux's MAX_SWAPFILES before its reserved types).
pub const MAX_AREAS: usize = 1 << TYPE_BITS;
/// The largest slot offset an entry can carry (53 bits of a 64-bit PTE).
pub const MAX_OFFSET: u64 = (1 << (64 - OFFSET_SHIFT)) - 1;

/// A page's place in swap: area `area` (the order swap areas were enabled in), slot
/// `offset` (in pages from the start of the area, the header page being slot 0).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SwapEntry {
    pub area: u8,
    pub offset: u64,
}

impl SwapEntry {
    /// The entry for slot `offset` of area `area` (`area` < [`MAX_AREAS`], `offset` <=
    /// [`MAX_OFFSET`]).
    pub const fn new(area: u8, offset: u64) -> SwapEntry {
        SwapEntry { area, offset }
    }

    /// The PTE that stands for this entry (V = 0).
    pub const fn to_pte(self) -> Pte {
        Pte(((self.area as u64) << TYPE_SHIFT) | (self.offset << OFFSET_SHIFT))
    }

    /// The entry a non-valid PTE carries; `None` for an empty PTE (0) or a valid one.
    pub const fn from_pte(pte: Pte) -> Option<SwapEntry> {
        if pte.is_valid() || pte.0 == 0 {
            return None;
        }
        Some(SwapEntry {
            area: ((pte.0 >> TYPE_SHIFT) & ((1 << TYPE_BITS) - 1)) as u8,
            offset: pte.0 >> OFFSET_SHIFT,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_round_trip_through_a_pte() {
        for (area, offset) in [(0, 1), (3, 0x1234), (31, MAX_OFFSET)] {
            let e = SwapEntry::new(area, offset);
            let pte = e.to_pte();
            assert!(!pte.is_valid());
            assert_eq!(pte.0 & (1 << 5), 0, "bit 5 is PROT_NONE's");
            assert_eq!(SwapEntry::from_pte(pte), Some(e));
        }
        // Linux riscv64's layout: type from bit 6, offset from bit 11.
        assert_eq!(SwapEntry::new(1, 2).to_pte().0, (1 << 6) | (2 << 11));
        assert_eq!(SwapEntry::from_pte(Pte(0)), None);
        assert_eq!(SwapEntry::from_pte(Pte(0x401)), None);
    }
}
