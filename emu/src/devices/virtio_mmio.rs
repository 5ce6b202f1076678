//! Virtio-mmio transport slots (`virtio,mmio` at 0x1000_1000 + 0x1000·i, i = 0..8, PLIC
//! sources 1..=8): empty ones, and the modern (version 2) transport for a device behind one
//! (Virtual I/O Device (VIRTIO) Version 1.2, §4.2 "Virtio Over MMIO").
//!
//! Used by [`crate::bus`], which owns the eight [`Slot`]s, routes offsets to them, passes
//! guest RAM ([`GuestMem`]) with every write (a QueueNotify write makes the device process
//! its queue at once, synchronously) and forwards [`Slot::irq_level`] to the PLIC. The
//! devices implement [`VirtioDevice`] ([`super::virtio_blk`]).
//!
//! QEMU `virt` always has these eight slots; a slot with no device behind it answers the
//! identification registers and nothing else, which is how a driver probing the device tree
//! learns that it is empty: MagicValue (0x000) = "virt", Version (0x004) = 2, DeviceID
//! (0x008) = 0 (no device), VendorID (0x00c) = "QEMU", every other register 0, writes
//! ignored, interrupt line low. (QEMU 7.2 reports Version 1 because its `virt` board
//! defaults to the legacy transport; this machine presents the modern one.)
//!
//! Like QEMU with no backend, reads of any width return the register at that offset
//! truncated to the width, and an 8-byte read returns two consecutive registers; misaligned
//! accesses fault. With a device, as QEMU's modern transport: registers below 0x100 take
//! 32-bit accesses (an 8-byte access is two of them, as QEMU's memory core splits it; a 1- or
//! 2-byte one reads 0 and writes nothing), the configuration space from 0x100 any width.

use super::virtqueue::{GuestMem, QueueError, SplitQueue};
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

/// Device status bits (§2.1 "Device Status Field").
pub mod status {
    pub const ACKNOWLEDGE: u32 = 1;
    pub const DRIVER: u32 = 2;
    pub const DRIVER_OK: u32 = 4;
    pub const FEATURES_OK: u32 = 8;
    pub const DEVICE_NEEDS_RESET: u32 = 0x40;
    pub const FAILED: u32 = 0x80;
}

/// VIRTIO_F_VERSION_1 (§6 "Reserved Feature Bits"): the device is modern (not legacy).
pub const VIRTIO_F_VERSION_1: u64 = 1 << 32;
/// InterruptStatus bit 0: Used Buffer Notification.
pub const INT_USED_BUFFER: u32 = 1;
/// InterruptStatus bit 1: Configuration Change Notification.
pub const INT_CONFIG_CHANGE: u32 = 2;

/// Offset of the device-specific configuration space.
pub const CONFIG: u64 = 0x100;

// Register offsets (§4.2.2 "MMIO Device Register Layout").
const MAGIC_VALUE: u64 = 0x000;
const VERSION_REG: u64 = 0x004;
const DEVICE_ID: u64 = 0x008;
const VENDOR_ID: u64 = 0x00c;
const DEVICE_FEATURES: u64 = 0x010;
const DEVICE_FEATURES_SEL: u64 = 0x014;
const DRIVER_FEATURES: u64 = 0x020;
const DRIVER_FEATURES_SEL: u64 = 0x024;
const QUEUE_SEL: u64 = 0x030;
const QUEUE_NUM_MAX: u64 = 0x034;
const QUEUE_NUM: u64 = 0x038;
const QUEUE_READY: u64 = 0x044;
const QUEUE_NOTIFY: u64 = 0x050;
const INTERRUPT_STATUS: u64 = 0x060;
const INTERRUPT_ACK: u64 = 0x064;
const STATUS: u64 = 0x070;
const QUEUE_DESC_LOW: u64 = 0x080;
const QUEUE_DESC_HIGH: u64 = 0x084;
const QUEUE_DRIVER_LOW: u64 = 0x090;
const QUEUE_DRIVER_HIGH: u64 = 0x094;
const QUEUE_DEVICE_LOW: u64 = 0x0a0;
const QUEUE_DEVICE_HIGH: u64 = 0x0a4;
const SHM_LEN_LOW: u64 = 0x0b0;
const SHM_BASE_HIGH: u64 = 0x0bc;
const CONFIG_GENERATION: u64 = 0x0fc;

/// A virtio device behind the transport, with one virtqueue (queue 0).
pub trait VirtioDevice: Send {
    /// DeviceID (§5 "Device Types": 2 = block device).
    fn device_id(&self) -> u32;
    /// The feature bits offered (VIRTIO_F_VERSION_1 among them).
    fn features(&self) -> u64;
    /// The device-specific configuration space, little-endian.
    fn config(&self) -> &[u8];
    /// QueueNumMax of queue 0.
    fn queue_num_max(&self) -> u32;
    /// Processes every chain the driver has made available on queue 0 (after a QueueNotify).
    fn process(&mut self, queue: &mut SplitQueue, mem: &mut GuestMem) -> Result<(), QueueError>;
    /// What the device has done so far, in one line for `--stats` (e.g. a disk's requests).
    fn stats_line(&self) -> String;
}

/// The virtio-mmio transport around device `D` (the last field, so that
/// `Box<Transport<dyn VirtioDevice>>` can hold any device).
pub struct Transport<D: ?Sized + VirtioDevice> {
    status: u32,
    /// Set when the driver broke the queue; sticky until reset.
    needs_reset: bool,
    device_features_sel: u32,
    driver_features: u64,
    driver_features_sel: u32,
    queue_sel: u32,
    queue: SplitQueue,
    interrupt_status: u32,
    pub dev: D,
}

impl<D: VirtioDevice> Transport<D> {
    pub fn new(dev: D) -> Self {
        Transport {
            status: 0,
            needs_reset: false,
            device_features_sel: 0,
            driver_features: 0,
            driver_features_sel: 0,
            queue_sel: 0,
            queue: SplitQueue::default(),
            interrupt_status: 0,
            dev,
        }
    }
}

impl<D: ?Sized + VirtioDevice> Transport<D> {
    pub fn read(&self, offset: u64, size: u8) -> Result<u64, DeviceFault> {
        if !aligned_within(offset, size, VIRTIO_SLOT_SIZE) {
            return Err(DeviceFault::BadSize { offset, size });
        }
        if offset >= CONFIG {
            let cfg = self.dev.config();
            let mut b = [0u8; 8];
            for (i, v) in b.iter_mut().take(usize::from(size)).enumerate() {
                *v = cfg
                    .get((offset - CONFIG) as usize + i)
                    .copied()
                    .unwrap_or(0);
            }
            return Ok(u64::from_le_bytes(b));
        }
        Ok(match size {
            4 => u64::from(self.reg(offset)),
            8 => u64::from(self.reg(offset)) | u64::from(self.reg(offset + 4)) << 32,
            _ => {
                log::debug!("virtio-mmio: {size}-byte read of register {offset:#x} reads 0");
                0
            }
        })
    }

    fn reg(&self, offset: u64) -> u32 {
        let q0 = self.queue_sel == 0;
        match offset {
            MAGIC_VALUE => MAGIC,
            VERSION_REG => VERSION,
            DEVICE_ID => self.dev.device_id(),
            VENDOR_ID => VENDOR_QEMU,
            DEVICE_FEATURES => match self.device_features_sel {
                0 => self.dev.features() as u32,
                1 => (self.dev.features() >> 32) as u32,
                _ => 0,
            },
            // 0 = "the queue is not available" for any queue but 0.
            QUEUE_NUM_MAX if q0 => self.dev.queue_num_max(),
            QUEUE_READY if q0 => u32::from(self.queue.ready),
            INTERRUPT_STATUS => self.interrupt_status,
            STATUS => {
                self.status
                    | if self.needs_reset {
                        status::DEVICE_NEEDS_RESET
                    } else {
                        0
                    }
            }
            // No shared memory regions: a length (and base) of -1 (§4.2.2).
            SHM_LEN_LOW..=SHM_BASE_HIGH => u32::MAX,
            // The configuration never changes, so its generation stays 0.
            CONFIG_GENERATION => 0,
            _ => 0,
        }
    }

    pub fn write(
        &mut self,
        offset: u64,
        size: u8,
        val: u64,
        mem: &mut GuestMem,
    ) -> Result<(), DeviceFault> {
        if !aligned_within(offset, size, VIRTIO_SLOT_SIZE) {
            return Err(DeviceFault::BadSize { offset, size });
        }
        match size {
            // The configuration space is read-only (no VIRTIO_BLK_F_CONFIG_WCE).
            _ if offset >= CONFIG => {}
            4 => self.set_reg(offset, val as u32, mem),
            8 => {
                self.set_reg(offset, val as u32, mem);
                self.set_reg(offset + 4, (val >> 32) as u32, mem);
            }
            _ => log::debug!("virtio-mmio: {size}-byte write of register {offset:#x} ignored"),
        }
        Ok(())
    }

    fn set_reg(&mut self, offset: u64, v: u32, mem: &mut GuestMem) {
        let q0 = self.queue_sel == 0;
        let set_low = |x: &mut u64| *x = (*x & !0xffff_ffff) | u64::from(v);
        let set_high = |x: &mut u64| *x = (*x & 0xffff_ffff) | u64::from(v) << 32;
        match offset {
            DEVICE_FEATURES_SEL => self.device_features_sel = v,
            DRIVER_FEATURES => match self.driver_features_sel {
                0 => set_low(&mut self.driver_features),
                1 => set_high(&mut self.driver_features),
                _ => {}
            },
            DRIVER_FEATURES_SEL => self.driver_features_sel = v,
            QUEUE_SEL => self.queue_sel = v,
            QUEUE_NUM if q0 => self.queue.num = v,
            QUEUE_READY if q0 => self.queue.ready = v & 1 != 0,
            // The value written is the queue's index (no VIRTIO_F_NOTIFICATION_DATA).
            QUEUE_NOTIFY if v == 0 => self.notify(mem),
            INTERRUPT_ACK => self.interrupt_status &= !v,
            STATUS => self.set_status(v),
            QUEUE_DESC_LOW if q0 => set_low(&mut self.queue.desc),
            QUEUE_DESC_HIGH if q0 => set_high(&mut self.queue.desc),
            QUEUE_DRIVER_LOW if q0 => set_low(&mut self.queue.driver),
            QUEUE_DRIVER_HIGH if q0 => set_high(&mut self.queue.driver),
            QUEUE_DEVICE_LOW if q0 => set_low(&mut self.queue.device),
            QUEUE_DEVICE_HIGH if q0 => set_high(&mut self.queue.device),
            _ => {}
        }
    }

    /// A Status write: 0 resets the device (§4.2.3.1 "Device Initialization"); setting
    /// FEATURES_OK is refused (the bit stays clear, which the driver reads back, §3.1.1)
    /// when the driver accepted a feature not offered or did not accept VIRTIO_F_VERSION_1.
    fn set_status(&mut self, v: u32) {
        if v == 0 {
            self.status = 0;
            self.needs_reset = false;
            self.device_features_sel = 0;
            self.driver_features = 0;
            self.driver_features_sel = 0;
            self.queue_sel = 0;
            self.queue.reset();
            self.interrupt_status = 0;
            return;
        }
        let mut v = v & 0xff & !status::DEVICE_NEEDS_RESET;
        let newly = v & !self.status & status::FEATURES_OK != 0;
        let unoffered = self.driver_features & !self.dev.features() != 0;
        if newly && (unoffered || self.driver_features & VIRTIO_F_VERSION_1 == 0) {
            log::debug!(
                "virtio-mmio: FEATURES_OK refused for driver features {:#x}",
                self.driver_features
            );
            v &= !status::FEATURES_OK;
        }
        self.status = v;
    }

    /// QueueNotify for queue 0: the device processes every available chain now. Used
    /// buffers raise InterruptStatus bit 0 unless the driver suppressed it; a broken queue
    /// sets DEVICE_NEEDS_RESET and, with DRIVER_OK, sends a configuration change
    /// notification (§2.1.2 "Device Requirements: Device Status Field").
    fn notify(&mut self, mem: &mut GuestMem) {
        if self.needs_reset || self.status & status::DRIVER_OK == 0 || !self.queue.ready {
            return;
        }
        let before = self.queue.used_idx();
        let r = self.dev.process(&mut self.queue, mem);
        if self.queue.used_idx() != before && !self.queue.interrupt_suppressed(mem) {
            self.interrupt_status |= INT_USED_BUFFER;
        }
        if let Err(e) = r {
            log::warn!("virtio-mmio: device needs reset: {e}");
            self.needs_reset = true;
            self.interrupt_status |= INT_CONFIG_CHANGE;
        }
    }

    /// The interrupt line: high while any InterruptStatus bit is set.
    pub fn irq_level(&self) -> bool {
        self.interrupt_status != 0
    }
}

/// What a slot holds.
pub enum Slot {
    Empty(EmptySlot),
    Device(Box<Transport<dyn VirtioDevice>>),
}

impl Slot {
    /// The device's `--stats` line, for a slot with a device.
    pub fn stats_line(&self) -> Option<String> {
        match self {
            Slot::Device(t) => Some(t.dev.stats_line()),
            Slot::Empty(_) => None,
        }
    }

    pub fn read(&self, offset: u64, size: u8) -> Result<u64, DeviceFault> {
        match self {
            Slot::Empty(s) => s.read(offset, size),
            Slot::Device(t) => t.read(offset, size),
        }
    }

    /// A write; a device may use guest RAM (`mem`) before it returns.
    pub fn write(
        &mut self,
        offset: u64,
        size: u8,
        val: u64,
        mem: &mut GuestMem,
    ) -> Result<(), DeviceFault> {
        match self {
            Slot::Empty(s) => s.write(offset, size, val),
            Slot::Device(t) => t.write(offset, size, val, mem),
        }
    }

    pub fn irq_level(&self) -> bool {
        match self {
            Slot::Empty(s) => s.irq_level(),
            Slot::Device(t) => t.irq_level(),
        }
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
