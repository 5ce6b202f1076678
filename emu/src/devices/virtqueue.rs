//! The split virtqueue, device side (Virtual I/O Device (VIRTIO) Version 1.2, §2.7 "Split
//! Virtqueues"), and [`GuestMem`], the device's window on guest RAM.
//!
//! Used by [`super::virtio_mmio`] (which holds one [`SplitQueue`] per transport and resets
//! it) and by the devices behind it ([`super::virtio_blk`]), which take descriptor chains
//! with [`SplitQueue::pop`] and return them with [`SplitQueue::push_used`].
//!
//! The three areas the driver places in guest RAM (§2.7 "Split Virtqueues"):
//!
//! ```text
//! Descriptor Table  16 bytes × num:  addr u64 | len u32 | flags u16 | next u16
//! Available Ring    flags u16 | idx u16 | ring[num] u16 | used_event u16
//! Used Ring         flags u16 | idx u16 | ring[num] { id u32, len u32 } | avail_event u16
//! ```
//!
//! Every guest address is checked against RAM; a bad address, a descriptor index out of
//! range, a chain longer than the queue (a loop), a device-readable descriptor after a
//! device-writable one (§2.7.4.2) or an indirect descriptor (VIRTIO_F_INDIRECT_DESC is not
//! offered) is a [`QueueError`], which the transport turns into DEVICE_NEEDS_RESET.

use crate::addr::PhysAddr;
use crate::bus::Ram;
use thiserror::Error;

/// Descriptor flag: the chain continues at `next` (§2.7.5 "The Virtqueue Descriptor Table").
const VIRTQ_DESC_F_NEXT: u16 = 1;
/// Descriptor flag: the buffer is device-writable (otherwise device-readable).
const VIRTQ_DESC_F_WRITE: u16 = 2;
/// Descriptor flag: the buffer holds a table of indirect descriptors.
const VIRTQ_DESC_F_INDIRECT: u16 = 4;
/// Available-ring flag: the driver asks for no used-buffer notification (§2.7.7).
const VIRTQ_AVAIL_F_NO_INTERRUPT: u16 = 1;

/// A driver error in the queue or its buffers; the device stops using the queue.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Error)]
pub enum QueueError {
    #[error("guest range {addr}..+{len:#x} is not RAM")]
    NotRam { addr: PhysAddr, len: u64 },
    #[error("queue size {0} is not a power of two in 1..=the maximum")]
    BadSize(u32),
    #[error("available index moved by {0}, more than the queue holds")]
    AvailOverrun(u16),
    #[error("descriptor index {0} outside the table")]
    BadIndex(u16),
    #[error("descriptor chain longer than the queue (a loop)")]
    Loop,
    #[error("indirect descriptor, but VIRTIO_F_INDIRECT_DESC was not offered")]
    Indirect,
    #[error("device-readable descriptor after a device-writable one")]
    Order,
    #[error("malformed request: {0}")]
    Request(&'static str),
}

/// Guest RAM as a device sees it: checked accesses, and a log of every range the device
/// wrote, which the hart reads back to keep its decoded-instruction cache and LR
/// reservation coherent with device writes (as it does for its own stores).
pub struct GuestMem<'a> {
    ram: &'a mut Ram,
    written: &'a mut Vec<(PhysAddr, u64)>,
}

impl<'a> GuestMem<'a> {
    pub fn new(ram: &'a mut Ram, written: &'a mut Vec<(PhysAddr, u64)>) -> Self {
        GuestMem { ram, written }
    }

    fn read<const N: usize>(&self, pa: PhysAddr) -> Result<[u8; N], QueueError> {
        self.ram.read::<N>(pa).ok_or(QueueError::NotRam {
            addr: pa,
            len: N as u64,
        })
    }

    pub fn read_u16(&self, pa: PhysAddr) -> Result<u16, QueueError> {
        self.read(pa).map(u16::from_le_bytes)
    }

    pub fn read_u32(&self, pa: PhysAddr) -> Result<u32, QueueError> {
        self.read(pa).map(u32::from_le_bytes)
    }

    pub fn read_u64(&self, pa: PhysAddr) -> Result<u64, QueueError> {
        self.read(pa).map(u64::from_le_bytes)
    }

    /// Fails unless `[pa, pa + len)` is RAM.
    pub fn check(&self, pa: PhysAddr, len: u64) -> Result<(), QueueError> {
        match self.ram.contains(pa, len) || len == 0 {
            true => Ok(()),
            false => Err(QueueError::NotRam { addr: pa, len }),
        }
    }

    /// The bytes at `pa`, for the device to read.
    pub fn slice(&self, pa: PhysAddr, len: u64) -> Result<&[u8], QueueError> {
        self.ram
            .slice(pa, len)
            .ok_or(QueueError::NotRam { addr: pa, len })
    }

    /// The bytes at `pa`, for the device to write (logged as written).
    pub fn slice_mut(&mut self, pa: PhysAddr, len: u64) -> Result<&mut [u8], QueueError> {
        let s = self
            .ram
            .slice_mut(pa, len)
            .ok_or(QueueError::NotRam { addr: pa, len })?;
        self.written.push((pa, len));
        Ok(s)
    }

    pub fn write_bytes(&mut self, pa: PhysAddr, data: &[u8]) -> Result<(), QueueError> {
        self.slice_mut(pa, data.len() as u64)?.copy_from_slice(data);
        Ok(())
    }
}

/// One buffer of a descriptor chain.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Buf {
    pub addr: PhysAddr,
    pub len: u64,
}

/// A descriptor chain taken from the available ring: its head (the id the used ring
/// returns) and its buffers, device-readable ones first.
#[derive(Debug, Default)]
pub struct Chain {
    pub head: u16,
    pub readable: Vec<Buf>,
    pub writable: Vec<Buf>,
}

/// The device's state of one split virtqueue: what the driver configured through the
/// transport, and the device's own two indices.
#[derive(Clone, Debug, Default)]
pub struct SplitQueue {
    /// QueueNum: entries in each area.
    pub num: u32,
    /// QueueReady.
    pub ready: bool,
    /// QueueDesc: the descriptor table.
    pub desc: u64,
    /// QueueDriver: the available ring.
    pub driver: u64,
    /// QueueDevice: the used ring.
    pub device: u64,
    /// The next available-ring entry the device will take.
    last_avail: u16,
    /// The used ring's idx as the device last wrote it.
    used_idx: u16,
}

impl SplitQueue {
    /// Back to the reset state (§4.2.3.1: every queue register reads as zero after reset).
    pub fn reset(&mut self) {
        *self = SplitQueue::default();
    }

    /// How many used-ring entries the device has written since reset (wrapping).
    pub fn used_idx(&self) -> u16 {
        self.used_idx
    }

    /// The next chain the driver made available, if any (§2.7.13 "Supplying Buffers to The
    /// Device", seen from the device). `max` is the transport's QueueNumMax.
    pub fn pop(&mut self, mem: &GuestMem, max: u32) -> Result<Option<Chain>, QueueError> {
        let num = self.num;
        if num == 0 || num > max || !num.is_power_of_two() {
            return Err(QueueError::BadSize(num));
        }
        let avail_idx = mem.read_u16(PhysAddr(self.driver).add(2))?;
        let pending = avail_idx.wrapping_sub(self.last_avail);
        if pending == 0 {
            return Ok(None);
        }
        if u32::from(pending) > num {
            return Err(QueueError::AvailOverrun(pending));
        }
        // Ring slots wrap at num, a power of two dividing 2^16, so the free-running u16
        // index stays in step (§2.7.6 "The Virtqueue Available Ring").
        let slot = u64::from(self.last_avail) % u64::from(num);
        let head = mem.read_u16(PhysAddr(self.driver).add(4 + 2 * slot))?;
        self.last_avail = self.last_avail.wrapping_add(1);
        let mut chain = Chain {
            head,
            ..Chain::default()
        };
        let mut i = head;
        for _ in 0..num {
            if u32::from(i) >= num {
                return Err(QueueError::BadIndex(i));
            }
            let d = PhysAddr(self.desc).add(16 * u64::from(i));
            let buf = Buf {
                addr: PhysAddr(mem.read_u64(d)?),
                len: u64::from(mem.read_u32(d.add(8))?),
            };
            let flags = mem.read_u16(d.add(12))?;
            if flags & VIRTQ_DESC_F_INDIRECT != 0 {
                return Err(QueueError::Indirect);
            }
            if flags & VIRTQ_DESC_F_WRITE != 0 {
                chain.writable.push(buf);
            } else if !chain.writable.is_empty() {
                return Err(QueueError::Order);
            } else {
                chain.readable.push(buf);
            }
            if flags & VIRTQ_DESC_F_NEXT == 0 {
                return Ok(Some(chain));
            }
            i = mem.read_u16(d.add(14))?;
        }
        Err(QueueError::Loop)
    }

    /// Returns a chain to the driver: the used-ring element (head, bytes written into
    /// device-writable buffers), then the used index (§2.7.8 "The Virtqueue Used Ring").
    pub fn push_used(&mut self, mem: &mut GuestMem, head: u16, len: u32) -> Result<(), QueueError> {
        let slot = u64::from(self.used_idx) % u64::from(self.num);
        let mut elem = [0u8; 8];
        elem[..4].copy_from_slice(&u32::from(head).to_le_bytes());
        elem[4..].copy_from_slice(&len.to_le_bytes());
        mem.write_bytes(PhysAddr(self.device).add(4 + 8 * slot), &elem)?;
        self.used_idx = self.used_idx.wrapping_add(1);
        mem.write_bytes(PhysAddr(self.device).add(2), &self.used_idx.to_le_bytes())
    }

    /// Whether the driver asked for no used-buffer notifications (VIRTQ_AVAIL_F_NO_INTERRUPT;
    /// without VIRTIO_F_EVENT_IDX the device SHOULD NOT notify then, §2.7.10).
    pub fn interrupt_suppressed(&self, mem: &GuestMem) -> bool {
        mem.read_u16(PhysAddr(self.driver))
            .is_ok_and(|f| f & VIRTQ_AVAIL_F_NO_INTERRUPT != 0)
    }
}
