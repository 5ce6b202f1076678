//! The ISA's shared vocabulary: privilege levels, traps, the kinds of memory access.
//!
//! The bottom layer of the emulator's modules. The hart (`hart/`), the MMU (`mmu/`), the
//! bus and the devices all speak these types, and import them from here: none of those
//! modules imports from a layer above it (the MMU knows nothing of the hart, the bus nothing
//! of either). The memory map is the bus's (`bus::RAM_BASE` and the device windows), which
//! sits below the MMU.

pub mod trap;

/// Privilege levels (priv/machine.adoc, "Privilege Levels").
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
#[repr(u8)]
pub enum Priv {
    U = 0,
    S = 1,
    M = 3,
}

impl Priv {
    /// From an xPP field value (2, reserved, never stored: WARL legalization prevents it).
    pub fn from_bits(b: u64) -> Priv {
        match b & 3 {
            0 => Priv::U,
            1 => Priv::S,
            _ => Priv::M,
        }
    }

    /// One-letter name used by traces.
    pub fn letter(self) -> char {
        match self {
            Priv::U => 'U',
            Priv::S => 'S',
            Priv::M => 'M',
        }
    }
}

/// The kind of access being translated (they fault with different causes).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Access {
    Fetch,
    Load,
    Store,
}

impl Access {
    /// 0, 1, 2 for fetch, load, store: the index of per-access-type counters and tables.
    #[inline]
    pub fn index(self) -> usize {
        match self {
            Access::Fetch => 0,
            Access::Load => 1,
            Access::Store => 2,
        }
    }
}
