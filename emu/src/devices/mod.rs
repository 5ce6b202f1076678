//! Memory-mapped devices of the `virt`-compatible machine.
//!
//! Each device sees only offsets into its own window and knows nothing of where it lives;
//! [`crate::bus`] owns the memory map, routes accesses here and turns a [`DeviceFault`] into
//! the bus fault the hart reports as an access fault. Interrupt outputs are plain levels that
//! the bus forwards to the PLIC or to the hart's `mip` bits.

pub mod bootrom;
pub mod clint;
pub mod console;
pub mod finisher;
pub mod kevent;
pub mod plic;
pub mod uart;
pub mod virtio_blk;
pub mod virtio_mmio;
pub mod virtqueue;

use thiserror::Error;

/// Why a device refused an access. QEMU raises an access fault for the same cases (checked on
/// QEMU 7.2 `virt`): a width the register file does not accept, a hole in the window, or a
/// write to read-only memory.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Error)]
pub enum DeviceFault {
    #[error("access width {size} not accepted at offset {offset:#x}")]
    BadSize { offset: u64, size: u8 },
    #[error("no register at offset {0:#x}")]
    BadOffset(u64),
    #[error("write to read-only memory at offset {0:#x}")]
    ReadOnly(u64),
}

/// Mask of the low `size` bytes (size is 1, 2, 4 or 8).
#[inline]
pub(crate) fn size_mask(size: u8) -> u64 {
    if size >= 8 {
        u64::MAX
    } else {
        (1u64 << (8 * u32::from(size))) - 1
    }
}

/// Whether an access of `size` bytes at `offset` is naturally aligned and lies below `limit`.
#[inline]
pub(crate) fn aligned_within(offset: u64, size: u8, limit: u64) -> bool {
    let s = u64::from(size);
    s.is_power_of_two() && s <= 8 && offset % s == 0 && offset < limit && s <= limit - offset
}
