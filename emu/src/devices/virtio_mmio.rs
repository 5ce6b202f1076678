//! Virtio-mmio transport slots (`virtio,mmio` at 0x1000_1000 + 0x1000·i, i = 0..8, PLIC
//! sources 1..=8), for now all empty.
//!
//! Used by [`crate::bus`]. QEMU `virt` always has these eight slots; a slot with no device
//! behind it answers the identification registers and nothing else, which is how a driver
//! probing the device tree learns that it is empty: MagicValue (0x000) = "virt", Version
//! (0x004) = 2, DeviceID (0x008) = 0 (no device), VendorID (0x00c) = "QEMU", every other
//! register 0, writes ignored, interrupt line low. (QEMU 7.2 reports Version 1 because its
//! `virt` board defaults to the legacy transport; this machine presents the modern one,
//! which the block device that will fill slot 0 implements.)
//!
//! Like QEMU with no backend, reads of any width return the register at that offset
//! truncated to the width, and an 8-byte read returns two consecutive registers; misaligned
//! accesses fault.

use super::{aligned_within, size_mask, DeviceFault};

/// Number of slots.
pub const VIRTIO_SLOTS: usize = 8;
/// Size of one slot's window.
pub const VIRTIO_SLOT_SIZE: u64 = 0x1000;
/// PLIC source of slot 0; slot `i` uses `VIRTIO_IRQ_BASE + i`.
pub const VIRTIO_IRQ_BASE: u32 = 1;

/// "virt" in little-endian.
pub const MAGIC: u32 = 0x7472_6976;
/// "QEMU" in little-endian.
pub const VENDOR_QEMU: u32 = 0x554d_4551;
const VERSION: u32 = 2;

/// A slot with no device.
#[derive(Debug, Default, Clone, Copy)]
pub struct EmptySlot;

impl EmptySlot {
    pub fn read(&self, offset: u64, size: u8) -> Result<u64, DeviceFault> {
        if !aligned_within(offset, size, VIRTIO_SLOT_SIZE) {
            return Err(DeviceFault::BadSize { offset, size });
        }
        if size == 8 {
            return Ok(u64::from(reg(offset)) | (u64::from(reg(offset + 4)) << 32));
        }
        Ok(u64::from(reg(offset)) & size_mask(size))
    }

    pub fn write(&mut self, offset: u64, size: u8, _val: u64) -> Result<(), DeviceFault> {
        if !aligned_within(offset, size, VIRTIO_SLOT_SIZE) {
            return Err(DeviceFault::BadSize { offset, size });
        }
        Ok(())
    }

    /// The slot's interrupt line (always low: nothing to signal).
    pub fn irq_level(&self) -> bool {
        false
    }
}

fn reg(offset: u64) -> u32 {
    match offset {
        0x000 => MAGIC,
        0x004 => VERSION,
        0x00c => VENDOR_QEMU,
        _ => 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_empty_slot_identifies_itself_and_nothing_more() {
        let mut s = EmptySlot;
        assert_eq!(s.read(0, 4), Ok(0x7472_6976));
        assert_eq!(s.read(4, 4), Ok(2));
        assert_eq!(s.read(8, 4), Ok(0));
        assert_eq!(s.read(0xc, 4), Ok(0x554d_4551));
        assert_eq!(s.read(0x70, 4), Ok(0));
        assert_eq!(s.read(0, 1), Ok(0x76), "byte read, as on QEMU");
        assert_eq!(s.read(0, 8), Ok((2 << 32) | 0x7472_6976));
        assert!(s.read(2, 4).is_err());
        assert!(s.read(VIRTIO_SLOT_SIZE, 4).is_err());
        s.write(0x70, 4, 1).unwrap();
        assert_eq!(s.read(0x70, 4), Ok(0));
        assert!(!s.irq_level());
    }
}
