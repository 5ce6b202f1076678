//! Typed guest physical addresses.
//!
//! The bus, RAM and the devices take a [`PhysAddr`], never a bare `u64`, so an address that
//! has not been through translation cannot reach them by mistake: the hart gets one only
//! from the MMU (or, where nothing translates, by stating that the address is physical).
//! The MMU's own interface is plain `u64`s (a virtual address in, a physical one out, as
//! the spec's algorithm states them); the typing starts where its result meets the bus.
//! A physical address prints as `PA:0x…`, the notation of traces and snapshots.

use core::fmt;

/// A guest physical address: what the bus, RAM and devices see.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
#[repr(transparent)]
pub struct PhysAddr(pub u64);

/// Size of a base page (priv/supervisor.adoc: "Sv32 ... 4 KiB pages", shared by Sv39/Sv48).
pub const PAGE_SIZE: u64 = 4096;
/// log2 of [`PAGE_SIZE`].
pub const PAGE_SHIFT: u32 = 12;

impl PhysAddr {
    /// The raw value.
    #[inline(always)]
    pub const fn get(self) -> u64 {
        self.0
    }
    /// Physical page number (address >> 12).
    #[inline(always)]
    pub const fn ppn(self) -> u64 {
        self.0 >> PAGE_SHIFT
    }
    /// Byte offset inside the 4 KiB page.
    #[inline(always)]
    pub const fn page_offset(self) -> u64 {
        self.0 & (PAGE_SIZE - 1)
    }
    /// This address plus `n` bytes (wrapping, as the hardware adder does).
    #[inline(always)]
    pub const fn add(self, n: u64) -> Self {
        PhysAddr(self.0.wrapping_add(n))
    }
}

impl fmt::Debug for PhysAddr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PA:{:#x}", self.0)
    }
}
impl fmt::Display for PhysAddr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PA:{:#x}", self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn physical_addresses_print_with_their_kind() {
        assert_eq!(format!("{}", PhysAddr(0x8000_1000)), "PA:0x80001000");
        assert_eq!(PhysAddr(0x8000_1234).ppn(), 0x80001);
    }
}
