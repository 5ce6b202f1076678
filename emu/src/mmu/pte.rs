//! The page-table entry format of Sv39/Sv48/Sv57, defined once.
//!
//! priv/supervisor.adoc, "Sv39: Page-Based 39-bit Virtual-Memory System" gives the layout:
//! bits 9:0 are flags, 53:10 the PPN, 60:54 reserved (must be zero without Svpbmt/Svnapot),
//! 63 N (Svnapot), 62:61 PBMT (Svpbmt). Sv48 and Sv57 use the same PTE.
//!
//! Used by the walker (`walk.rs`), the TLB (`tlb.rs`) and the page-table dumper.

use bitflags::bitflags;

bitflags! {
    /// The low eight PTE bits, named as in the spec.
    #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
    pub struct PteFlags: u8 {
        /// V: the PTE is valid.
        const V = 1 << 0;
        /// R: the page is readable.
        const R = 1 << 1;
        /// W: the page is writable.
        const W = 1 << 2;
        /// X: the page is executable.
        const X = 1 << 3;
        /// U: the page is accessible to user mode.
        const U = 1 << 4;
        /// G: the mapping exists in all address spaces.
        const G = 1 << 5;
        /// A: the page was read, written or fetched since A was last cleared.
        const A = 1 << 6;
        /// D: the page was written since D was last cleared.
        const D = 1 << 7;
    }
}

/// A page-table entry as stored in memory.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default)]
#[repr(transparent)]
pub struct Pte(pub u64);

/// Bits 63:54: N, PBMT and the reserved field. None of the extensions that give them meaning
/// (Svnapot, Svpbmt) is implemented, so any of them set makes the PTE invalid (page fault).
pub const HIGH_BITS: u64 = 0x3ff << 54;

impl Pte {
    /// The flag bits.
    #[inline]
    pub fn flags(self) -> PteFlags {
        PteFlags::from_bits_truncate(self.0 as u8)
    }

    /// The physical page number (bits 53:10).
    #[inline]
    pub fn ppn(self) -> u64 {
        (self.0 >> 10) & ((1 << 44) - 1)
    }

    /// A leaf has any of R, W, X set; otherwise it points to the next level.
    #[inline]
    pub fn is_leaf(self) -> bool {
        self.flags()
            .intersects(PteFlags::R | PteFlags::W | PteFlags::X)
    }

    /// Whether the PTE is malformed for a walk: V = 0, W without R, or reserved bits set
    /// (priv/supervisor.adoc, "Virtual Address Translation Process", step 3). Reserved bits
    /// are bits 63:54 in every PTE and, in a pointer to the next level, D, A and U ("For
    /// non-leaf PTEs, the D, A, and U bits are reserved for future standard use", Sv32
    /// "Addressing and Memory Protection").
    #[inline]
    pub fn is_invalid(self) -> bool {
        let f = self.flags();
        !f.contains(PteFlags::V)
            || (f.contains(PteFlags::W) && !f.contains(PteFlags::R))
            || self.0 & HIGH_BITS != 0
            || (!self.is_leaf() && f.intersects(PteFlags::D | PteFlags::A | PteFlags::U))
    }

    /// Builds a PTE from a PPN and flags (the RSW bits 9:8 left zero).
    pub fn new(ppn: u64, flags: PteFlags) -> Pte {
        Pte((ppn << 10) | flags.bits() as u64)
    }
}

impl core::fmt::Debug for Pte {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(
            f,
            "Pte({:#x}: ppn={:#x} {})",
            self.0,
            self.ppn(),
            flag_letters(self.flags())
        )
    }
}

/// Flags as fixed-position letters, `-` where clear: "RWXUGAD" order, V omitted (a printed
/// mapping is valid). Used by traces and the page-table dump.
pub fn flag_letters(f: PteFlags) -> String {
    [
        (PteFlags::R, 'r'),
        (PteFlags::W, 'w'),
        (PteFlags::X, 'x'),
        (PteFlags::U, 'u'),
        (PteFlags::G, 'g'),
        (PteFlags::A, 'a'),
        (PteFlags::D, 'd'),
    ]
    .iter()
    .map(|&(b, c)| if f.contains(b) { c } else { '-' })
    .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_and_validity() {
        let p = Pte::new(
            0x80001,
            PteFlags::V | PteFlags::R | PteFlags::W | PteFlags::A,
        );
        assert_eq!(p.ppn(), 0x80001);
        assert!(p.is_leaf());
        assert!(!p.is_invalid());
        assert_eq!(flag_letters(p.flags()), "rw---a-");
        assert!(
            Pte::new(1, PteFlags::V | PteFlags::W).is_invalid(),
            "W without R"
        );
        assert!(Pte::new(1, PteFlags::R).is_invalid(), "V clear");
        assert!(
            Pte(Pte::new(1, PteFlags::V).0 | 1 << 63).is_invalid(),
            "N bit without Svnapot"
        );
        assert!(
            !Pte::new(1, PteFlags::V).is_leaf(),
            "pointer to the next level"
        );
        for reserved in [PteFlags::D, PteFlags::A, PteFlags::U] {
            assert!(
                Pte::new(1, PteFlags::V | reserved).is_invalid(),
                "{reserved:?} in a pointer"
            );
        }
        assert!(
            !Pte::new(1, PteFlags::V | PteFlags::G).is_invalid(),
            "G is defined in a pointer"
        );
    }
}
