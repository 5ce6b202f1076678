//! The kernel event channel (`rvmmu,kevent` at 0x1000_9000): how the guest kernel tells the
//! emulator what it does (system calls, faults, reclaim, process life, its log lines), one
//! MMIO store per event. rvmmu only: QEMU's `virt` has no such device, and the kernel uses
//! it only when the device tree lists it (docs/TRACING.md, "The kernel event channel").
//!
//! Registers (little-endian, 4 KiB window):
//!
//! | offset | width | access | what |
//! |--------|-------|--------|------|
//! | 0x0    | 4     | read   | magic `0x7476_656b` ("kevt" in memory order) |
//! | 0x4    | 4     | read   | protocol version ([`VERSION`]) |
//! | 0x8    | 8     | write  | doorbell: the physical address of a record in RAM |
//! | 0x10   | 8     | read   | request: the id of the host's pending request (0: none); the read takes it |
//! | 0x18   | 8     | read   | the taken request's path length in bytes |
//! | 0x100  | 256   | read   | the taken request's path (8-byte reads, zero-padded) |
//!
//! Requests go the other way: the host ([`Kevent::request`]) asks for a /proc file by
//! path; the kernel reads the request register at every periodic memory sample (one read,
//! always, so that a run does the same whether or not anything is asked) and, when it
//! finds a request, answers with `PROC_REPLY` records carrying the file's text.
//!
//! A record is an 8-byte header — kind (u16), payload length in bytes (u16, at most
//! [`MAX_PAYLOAD`]), pid (u32) — followed by the payload. On a doorbell write the device
//! copies the record out of RAM (a plain read: no side effect on the hart, its TLB or any
//! counter) into its queue, which the machine drains between instructions
//! ([`crate::machine`]), stamping each record with the retired-instruction count and satp
//! at that point. A record that is not wholly in RAM or whose length is too large is
//! counted ([`Kevent::malformed`]) and dropped; the store itself always succeeds. Other
//! widths and offsets fault, like a hole.

use super::DeviceFault;
use crate::addr::PhysAddr;
use crate::bus::Ram;
use std::collections::VecDeque;

/// Window size.
pub const KEVENT_SIZE: u64 = 0x1000;
/// The magic at offset 0.
pub const MAGIC: u32 = 0x7476_656b;
/// The protocol version at offset 4 (docs/TRACING.md lists the record kinds of each).
pub const VERSION: u32 = 1;
/// The doorbell's offset.
pub const DOORBELL: u64 = 0x8;
/// Bytes of a record header.
pub const HEADER: usize = 8;
/// Largest payload accepted.
pub const MAX_PAYLOAD: usize = 4096 - HEADER;
/// Records kept when nothing drains the queue (the rest are dropped and counted).
const QUEUE_MAX: usize = 4096;
/// The request register's offset.
pub const REQUEST: u64 = 0x10;
/// The taken request's path length.
pub const REQUEST_LEN: u64 = 0x18;
/// The taken request's path.
pub const REQUEST_PATH: u64 = 0x100;
/// The longest request path.
pub const REQUEST_PATH_MAX: usize = 256;

/// One record as the device copied it: header fields and payload bytes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RawRecord {
    pub kind: u16,
    pub pid: u32,
    pub payload: Vec<u8>,
}

/// The device: a queue of records not yet handed to the machine.
#[derive(Debug, Default)]
pub struct Kevent {
    queue: VecDeque<RawRecord>,
    /// Doorbell writes whose record could not be read.
    pub malformed: u64,
    /// Records dropped because the queue was full.
    pub overflowed: u64,
    /// Records received in all.
    pub received: u64,
    /// The host's request not yet taken by the kernel: id and path.
    pending_request: Option<(u64, Vec<u8>)>,
    /// The path of the request the kernel took last.
    taken_path: Vec<u8>,
    /// The last request id handed out.
    last_request: u64,
}

impl Kevent {
    pub fn new() -> Kevent {
        Kevent::default()
    }

    pub fn read(&mut self, offset: u64, size: u8) -> Result<u64, DeviceFault> {
        let path_end = REQUEST_PATH + REQUEST_PATH_MAX as u64;
        match (offset, size) {
            (0, 4) => Ok(u64::from(MAGIC)),
            (4, 4) => Ok(u64::from(VERSION)),
            (0, 8) => Ok(u64::from(MAGIC) | u64::from(VERSION) << 32),
            (DOORBELL, 8) => Ok(0),
            (REQUEST, 8) => Ok(match self.pending_request.take() {
                Some((id, path)) => {
                    self.taken_path = path;
                    id
                }
                None => 0,
            }),
            (REQUEST_LEN, 8) => Ok(self.taken_path.len() as u64),
            (o, 8) if (REQUEST_PATH..path_end).contains(&o) && o % 8 == 0 => {
                let at = (o - REQUEST_PATH) as usize;
                let mut w = [0u8; 8];
                for (i, b) in w.iter_mut().enumerate() {
                    *b = self.taken_path.get(at + i).copied().unwrap_or(0);
                }
                Ok(u64::from_le_bytes(w))
            }
            _ if offset < KEVENT_SIZE => Err(DeviceFault::BadSize { offset, size }),
            _ => Err(DeviceFault::BadOffset(offset)),
        }
    }

    /// A doorbell write copies the record at physical address `val` out of `ram`.
    pub fn write(&mut self, offset: u64, size: u8, val: u64, ram: &Ram) -> Result<(), DeviceFault> {
        if offset != DOORBELL {
            return Err(if offset < KEVENT_SIZE {
                DeviceFault::ReadOnly(offset)
            } else {
                DeviceFault::BadOffset(offset)
            });
        }
        if size != 8 {
            return Err(DeviceFault::BadSize { offset, size });
        }
        match read_record(ram, val) {
            Some(r) => {
                self.received += 1;
                if self.queue.len() >= QUEUE_MAX {
                    self.overflowed += 1;
                } else {
                    self.queue.push_back(r);
                }
            }
            None => {
                self.malformed += 1;
                log::debug!("kevent: no valid record at {val:#x}");
            }
        }
        Ok(())
    }

    /// Asks the kernel for the /proc file at `path` (at most [`REQUEST_PATH_MAX`] bytes):
    /// the request's id, which the kernel's `PROC_REPLY` records will carry. A request not
    /// yet taken is replaced (one request waits at a time). `None` if the path is too long.
    pub fn request(&mut self, path: &str) -> Option<u64> {
        if path.len() > REQUEST_PATH_MAX {
            return None;
        }
        self.last_request += 1;
        self.pending_request = Some((self.last_request, path.as_bytes().to_vec()));
        Some(self.last_request)
    }

    /// Whether a request waits for the kernel to take it.
    pub fn request_pending(&self) -> bool {
        self.pending_request.is_some()
    }

    /// Whether records wait in the queue.
    #[inline]
    pub fn pending(&self) -> bool {
        !self.queue.is_empty()
    }

    /// The oldest record not yet taken.
    pub fn pop(&mut self) -> Option<RawRecord> {
        self.queue.pop_front()
    }
}

fn read_record(ram: &Ram, pa: u64) -> Option<RawRecord> {
    let mut h = [0u8; HEADER];
    ram.read_bytes(PhysAddr(pa), &mut h).ok()?;
    let kind = u16::from_le_bytes([h[0], h[1]]);
    let len = usize::from(u16::from_le_bytes([h[2], h[3]]));
    let pid = u32::from_le_bytes([h[4], h[5], h[6], h[7]]);
    if len > MAX_PAYLOAD {
        return None;
    }
    let mut payload = vec![0; len];
    ram.read_bytes(PhysAddr(pa.checked_add(HEADER as u64)?), &mut payload)
        .ok()?;
    Some(RawRecord { kind, pid, payload })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bus::RAM_BASE;

    #[test]
    fn registers_and_a_record() {
        let mut ram = Ram::new(1 << 20).unwrap();
        let mut d = Kevent::new();
        assert_eq!(d.read(0, 4), Ok(u64::from(MAGIC)));
        assert_eq!(d.read(4, 4), Ok(1));
        assert!(d.read(2, 4).is_err());
        assert!(d.write(0, 4, 0, &ram).is_err());
        assert!(d.write(DOORBELL, 4, 0, &ram).is_err());
        let mut rec = vec![3, 0, 16, 0, 7, 0, 0, 0];
        rec.extend_from_slice(&64u64.to_le_bytes());
        rec.extend_from_slice(&(-12i64).to_le_bytes());
        ram.write_bytes(PhysAddr(RAM_BASE + 0x100), &rec).unwrap();
        d.write(DOORBELL, 8, RAM_BASE + 0x100, &ram).unwrap();
        let r = d.pop().unwrap();
        assert_eq!((r.kind, r.pid, r.payload.len()), (3, 7, 16));
        assert_eq!(&r.payload[..], &rec[8..]);
        assert!(!d.pending());

        // Outside RAM, or a payload running off its end: counted, dropped, no fault.
        d.write(DOORBELL, 8, 0x1000, &ram).unwrap();
        ram.write_bytes(
            PhysAddr(RAM_BASE + (1 << 20) - 8),
            &[1, 0, 64, 0, 0, 0, 0, 0],
        )
        .unwrap();
        d.write(DOORBELL, 8, RAM_BASE + (1 << 20) - 8, &ram)
            .unwrap();
        assert_eq!(d.malformed, 2);
        assert!(d.pop().is_none());
    }

    #[test]
    fn a_request_is_taken_once_and_its_path_read_back() {
        let mut d = Kevent::new();
        assert_eq!(d.read(REQUEST, 8), Ok(0), "none pending");
        let id = d.request("/proc/2/maps").unwrap();
        assert!(d.request_pending());
        assert_eq!(d.read(REQUEST, 8), Ok(id));
        assert_eq!(d.read(REQUEST, 8), Ok(0), "taken");
        assert_eq!(d.read(REQUEST_LEN, 8), Ok(12));
        let mut path = Vec::new();
        for i in 0..2 {
            path.extend_from_slice(&d.read(REQUEST_PATH + 8 * i, 8).unwrap().to_le_bytes());
        }
        assert_eq!(&path[..12], b"/proc/2/maps");
        assert_eq!(&path[12..], &[0; 4]);
        assert!(d.read(REQUEST_PATH + 4, 8).is_err(), "misaligned");
        assert!(d.read(REQUEST_PATH, 4).is_err(), "narrow");
        assert!(d.request(&"x".repeat(REQUEST_PATH_MAX + 1)).is_none());
        assert_eq!(d.request("/proc/meminfo"), Some(id + 1));
    }
}
