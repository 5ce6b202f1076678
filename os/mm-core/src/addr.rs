//! Typed addresses: physical ([`PhysAddr`]) and virtual ([`VirtAddr`]), both over `u64`.

use core::fmt;

/// log2 of the base page size.
pub const PAGE_SHIFT: u32 = 12;
/// The base page size (4 KiB; RISC-V's only base page size).
pub const PAGE_SIZE: u64 = 1 << PAGE_SHIFT;

/// A physical address.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
#[repr(transparent)]
pub struct PhysAddr(pub u64);

/// A virtual address (canonical for the paging mode in use: see
/// [`crate::paging::PagingMode::is_canonical`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
#[repr(transparent)]
pub struct VirtAddr(pub u64);

macro_rules! addr_common {
    ($t:ident, $prefix:literal) => {
        impl $t {
            /// The page frame (or virtual page) number: the address over 4 KiB.
            pub const fn page_number(self) -> u64 {
                self.0 >> PAGE_SHIFT
            }
            /// Rounded down to a multiple of `align` (a power of two).
            pub const fn align_down(self, align: u64) -> Self {
                $t(self.0 & !(align - 1))
            }
            /// Rounded up to a multiple of `align` (a power of two); saturates at the top.
            pub const fn align_up(self, align: u64) -> Self {
                match self.0.checked_add(align - 1) {
                    Some(v) => $t(v & !(align - 1)),
                    None => $t(u64::MAX & !(align - 1)),
                }
            }
            /// Whether the address is a multiple of `align` (a power of two).
            pub const fn is_aligned(self, align: u64) -> bool {
                self.0 & (align - 1) == 0
            }
            /// `self + n` (wrapping, as address arithmetic on the hardware does).
            pub const fn add(self, n: u64) -> Self {
                $t(self.0.wrapping_add(n))
            }
        }

        impl fmt::Display for $t {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, concat!($prefix, ":{:#x}"), self.0)
            }
        }
    };
}

addr_common!(PhysAddr, "PA");
addr_common!(VirtAddr, "VA");

#[cfg(test)]
mod tests {
    use super::*;
    use std::format;

    #[test]
    fn alignment_and_display() {
        let a = PhysAddr(0x8000_1234);
        assert_eq!(a.align_down(PAGE_SIZE), PhysAddr(0x8000_1000));
        assert_eq!(a.align_up(PAGE_SIZE), PhysAddr(0x8000_2000));
        assert!(!a.is_aligned(PAGE_SIZE));
        assert_eq!(a.page_number(), 0x80001);
        assert_eq!(VirtAddr(u64::MAX).align_up(PAGE_SIZE), VirtAddr(!0xfff));
        assert_eq!(format!("{}", VirtAddr(0x10)), "VA:0x10");
        assert_eq!(format!("{a}"), "PA:0x80001234");
    }
}
