//! Paging modes as data: Sv39, Sv48 and Sv57 differ only in how many levels the walk has and
//! how many VA bits are significant, so each is a [`PagingMode`] value and one walker loop
//! (`walk.rs`) and one dumper (`dump.rs`) serve them all.
//!
//! A virtual address, for a mode with LEVELS levels (priv/supervisor.adoc, "Sv39", "Sv48",
//! "Sv57"; VA_BITS = 12 + 9 × LEVELS):
//!
//! ```text
//!  63        VA_BITS  ...  38    30 29    21 20    12 11          0
//! +-----------+------+-----+--------+--------+--------+-------------+
//! | sign ext. | ...  | ... | VPN[2] | VPN[1] | VPN[0] | page offset |
//! +-----------+------+-----+--------+--------+--------+-------------+
//! ```
//!
//! Bits 63..VA_BITS must all equal bit VA_BITS-1, or the access takes a page fault.

use crate::addr::PAGE_SHIFT;

use super::satp_mode;

/// One paging mode's parameters.
#[derive(Debug, PartialEq, Eq)]
pub struct PagingMode {
    /// Lowercase name as printed by traces and dumps ("sv39").
    pub name: &'static str,
    /// The satp.MODE encoding that selects it.
    pub satp_mode: u64,
    /// Number of page-table levels (the walk starts at level `levels - 1`).
    pub levels: u8,
    /// Number of significant VA bits; the rest are a sign extension of bit `va_bits - 1`.
    pub va_bits: u8,
}

/// Bits of VA per level index (512 eight-byte PTEs per 4 KiB table).
pub const VPN_BITS: u32 = 9;
/// Size in bytes of one page-table entry (PTESIZE for RV64 modes).
pub const PTE_SIZE: u64 = 8;

/// priv/supervisor.adoc, "Sv39: Page-Based 39-bit Virtual-Memory System".
pub const SV39: PagingMode = PagingMode {
    name: "sv39",
    satp_mode: satp_mode::SV39,
    levels: 3,
    va_bits: 39,
};

/// priv/supervisor.adoc, "Sv48: Page-Based 48-bit Virtual-Memory System".
pub const SV48: PagingMode = PagingMode {
    name: "sv48",
    satp_mode: satp_mode::SV48,
    levels: 4,
    va_bits: 48,
};

/// priv/supervisor.adoc, "Sv57: Page-Based 57-bit Virtual-Memory System".
pub const SV57: PagingMode = PagingMode {
    name: "sv57",
    satp_mode: satp_mode::SV57,
    levels: 5,
    va_bits: 57,
};

/// Every paged mode, shallowest first.
pub static ALL: [&PagingMode; 3] = [&SV39, &SV48, &SV57];

/// The largest number of levels any mode has (sizes the walker's step record).
pub const MAX_LEVELS: usize = 5;

impl PagingMode {
    /// The mode a satp value selects; `None` for Bare and for reserved encodings.
    #[inline]
    pub fn from_satp(satp: u64) -> Option<&'static PagingMode> {
        match satp >> 60 {
            satp_mode::SV39 => Some(&SV39),
            satp_mode::SV48 => Some(&SV48),
            satp_mode::SV57 => Some(&SV57),
            _ => None,
        }
    }

    /// The 9-bit index of `va` into a table at `level` (VPN[level]).
    #[inline]
    pub fn vpn(&self, va: u64, level: u8) -> u64 {
        (va >> (PAGE_SHIFT + VPN_BITS * level as u32)) & ((1 << VPN_BITS) - 1)
    }

    /// Whether bits 63..va_bits-1 of `va` are all equal (the address is canonical).
    #[inline]
    pub fn is_canonical(&self, va: u64) -> bool {
        self.sign_extend(va) == va
    }

    /// `va` with bits 63..va_bits replaced by copies of bit va_bits-1.
    #[inline]
    pub fn sign_extend(&self, va: u64) -> u64 {
        let shift = 64 - self.va_bits as u32;
        (((va << shift) as i64) >> shift) as u64
    }

    /// Size in bytes of the lower (user) half of the address space: the canonical addresses
    /// `0..user_half_size()`; the upper half is the same size and ends at 2^64.
    pub fn user_half_size(&self) -> u64 {
        1 << (self.va_bits - 1)
    }

    /// Size in bytes of a page mapped by a leaf at `level` (4 KiB, 2 MiB, 1 GiB, ...).
    #[inline]
    pub fn page_size(level: u8) -> u64 {
        1 << (PAGE_SHIFT + VPN_BITS * level as u32)
    }

    /// The level a walk starts at (LEVELS - 1).
    #[inline]
    pub fn top_level(&self) -> u8 {
        self.levels - 1
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn from_satp_selects_by_mode_field() {
        assert_eq!(PagingMode::from_satp(0), None, "Bare");
        assert_eq!(PagingMode::from_satp(8 << 60 | 0x1234), Some(&SV39));
        assert_eq!(PagingMode::from_satp(9 << 60 | (0xffff << 44)), Some(&SV48));
        assert_eq!(PagingMode::from_satp(10 << 60), Some(&SV57));
        assert_eq!(PagingMode::from_satp(1 << 60), None, "Sv32 encoding");
        assert_eq!(PagingMode::from_satp(11 << 60), None, "reserved");
        assert_eq!(PagingMode::from_satp(15 << 60), None, "custom");
    }

    #[test]
    fn va_bits_follow_levels() {
        for m in ALL {
            assert_eq!(
                m.va_bits as u32,
                12 + VPN_BITS * m.levels as u32,
                "{}",
                m.name
            );
            assert!(m.levels as usize <= MAX_LEVELS);
        }
    }

    #[test]
    fn sv39_vpn_and_canonical() {
        let va = 0x0000_003f_c020_1abc_u64; // vpn2 = 0xff, vpn1 = 1, vpn0 = 1
        assert_eq!(SV39.vpn(va, 2), 0xff);
        assert_eq!(SV39.vpn(va, 1), 0x001);
        assert_eq!(SV39.vpn(va, 0), 0x001);
        assert_eq!(SV39.vpn(0xffff_ffc0_0000_0000, 2), 0x100);
        assert!(SV39.is_canonical(0x0000_003f_ffff_ffff));
        assert!(!SV39.is_canonical(0x0000_0040_0000_0000));
        assert!(SV39.is_canonical(0xffff_ffc0_0000_0000));
        assert!(!SV39.is_canonical(0xffff_ff80_0000_0000));
        assert!(!SV39.is_canonical(0x8000_0000_0000_0000));
        assert_eq!(SV39.sign_extend(0x40_0000_0000), 0xffff_ffc0_0000_0000);
        assert_eq!(SV39.user_half_size(), 1 << 38);
        assert_eq!(SV39.top_level(), 2);
    }

    #[test]
    fn sv48_vpn_and_canonical() {
        let va = 0x0000_7f80_4020_3abc_u64;
        assert_eq!(SV48.vpn(va, 3), 0xff);
        assert_eq!(SV48.vpn(va, 2), 0x001);
        assert_eq!(SV48.vpn(va, 1), 0x001);
        assert_eq!(SV48.vpn(va, 0), 0x003);
        assert!(SV48.is_canonical(0x0000_7fff_ffff_ffff));
        assert!(!SV48.is_canonical(0x0000_8000_0000_0000));
        assert!(SV48.is_canonical(0xffff_8000_0000_0000));
        assert!(
            SV48.is_canonical(0x0000_0040_0000_0000),
            "not canonical in Sv39"
        );
        assert_eq!(SV48.user_half_size(), 1 << 47);
    }

    #[test]
    fn sv57_vpn_and_canonical() {
        assert_eq!(SV57.vpn(0x00ff_0000_0000_0000, 4), 0xff);
        assert!(SV57.is_canonical(0x00ff_ffff_ffff_ffff));
        assert!(!SV57.is_canonical(0x0100_0000_0000_0000));
        assert!(SV57.is_canonical(0xff00_0000_0000_0000));
        assert_eq!(SV57.user_half_size(), 1 << 56);
    }

    #[test]
    fn page_sizes() {
        assert_eq!(PagingMode::page_size(0), 4 << 10);
        assert_eq!(PagingMode::page_size(1), 2 << 20);
        assert_eq!(PagingMode::page_size(2), 1 << 30);
        assert_eq!(PagingMode::page_size(3), 512 << 30);
        assert_eq!(PagingMode::page_size(4), 256 << 40);
    }
}
