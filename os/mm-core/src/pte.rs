//! The page-table entry, defined once for Sv39 and Sv48 (their PTEs are the same 64-bit
//! format: priv/supervisor.adoc, "Sv39: Page-Based 39-bit Virtual-Memory System",
//! figure "Sv39 page table entry"; Sv48 reuses it with one more level).

use crate::addr::{PhysAddr, PAGE_SHIFT};
use bitflags::bitflags;

bitflags! {
    /// The low ten bits of a PTE.
    #[derive(Clone, Copy, Debug, PartialEq, Eq)]
    pub struct PteFlags: u64 {
        /// V: the entry is valid; with V = 0 the hardware ignores every other bit (so
        /// software may keep its own data there, as a swap entry will).
        const V = 1 << 0;
        /// R: the page is readable.
        const R = 1 << 1;
        /// W: the page is writable (W without R is reserved).
        const W = 1 << 2;
        /// X: the page is executable. With R, W and X all 0 the entry points to the next
        /// level of the table.
        const X = 1 << 3;
        /// U: the page is accessible in U-mode (S-mode may read it only with SUM = 1, and
        /// never execute it).
        const U = 1 << 4;
        /// G: a global mapping, present in every address space (a hint the TLB may use to
        /// ignore the ASID).
        const G = 1 << 5;
        /// A: the page was read, written or fetched since A was last cleared.
        const A = 1 << 6;
        /// D: the page was written since D was last cleared.
        const D = 1 << 7;
    }
}

/// The PPN field: bits 53..10 (44 bits).
const PPN_MASK: u64 = ((1 << 44) - 1) << 10;

/// A page-table entry.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
#[repr(transparent)]
pub struct Pte(pub u64);

impl Pte {
    /// An invalid entry.
    pub const INVALID: Pte = Pte(0);

    /// A leaf mapping `pa` with `flags` (V is added).
    pub const fn leaf(pa: PhysAddr, flags: PteFlags) -> Pte {
        Pte(((pa.0 >> PAGE_SHIFT) << 10) | flags.bits() | PteFlags::V.bits())
    }

    /// A pointer to the next-level table at `pa`: V alone. The spec reserves D, A and U in
    /// a non-leaf PTE for future use: they must be 0 (priv/supervisor.adoc, "For non-leaf
    /// PTEs, the D, A, and U bits are reserved for future standard use").
    pub const fn table(pa: PhysAddr) -> Pte {
        Pte(((pa.0 >> PAGE_SHIFT) << 10) | PteFlags::V.bits())
    }

    /// The flag bits.
    pub const fn flags(self) -> PteFlags {
        PteFlags::from_bits_truncate(self.0)
    }

    /// The physical address the PPN names.
    pub const fn addr(self) -> PhysAddr {
        PhysAddr(((self.0 & PPN_MASK) >> 10) << PAGE_SHIFT)
    }

    /// V is set.
    pub const fn is_valid(self) -> bool {
        self.0 & PteFlags::V.bits() != 0
    }

    /// A valid leaf: V and at least one of R, W, X.
    pub const fn is_leaf(self) -> bool {
        self.is_valid()
            && self.0 & (PteFlags::R.bits() | PteFlags::W.bits() | PteFlags::X.bits()) != 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_round_trip() {
        let f = PteFlags::R | PteFlags::W | PteFlags::A | PteFlags::D | PteFlags::G;
        let p = Pte::leaf(PhysAddr(0x8020_3000), f);
        assert_eq!(p.0, (0x80203 << 10) | 0xe7);
        assert_eq!(p.addr(), PhysAddr(0x8020_3000));
        assert_eq!(p.flags(), f | PteFlags::V);
        assert!(p.is_leaf());
        let t = Pte::table(PhysAddr(0x8040_0000));
        assert!(t.is_valid() && !t.is_leaf());
        assert_eq!(t.flags(), PteFlags::V);
        assert!(!Pte::INVALID.is_valid());
    }
}
