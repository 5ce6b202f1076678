//! The virtio block device (Virtual I/O Device (VIRTIO) Version 1.2, §5.2 "Block Device"),
//! backed by a host file, behind the virtio-mmio transport ([`super::virtio_mmio`]) as
//! QEMU's `virtio-blk-device`.
//!
//! Used by [`crate::bus`], which puts the machine's disk in slot 7 (0x1000_8000, PLIC source
//! 8), where QEMU's `virt` board puts the first `-device virtio-blk-device`.
//!
//! Offered features: VIRTIO_F_VERSION_1, VIRTIO_BLK_F_SEG_MAX, VIRTIO_BLK_F_BLK_SIZE and
//! VIRTIO_BLK_F_FLUSH. Configuration space (§5.2.4 "Device configuration layout"): capacity
//! in 512-byte sectors (the file's length rounded down), seg_max = QueueNumMax − 2 = 254 and
//! blk_size = 512 as QEMU, num_queues = 1, everything else 0. One request queue of up to 256
//! entries.
//!
//! Requests (§5.2.6 "Device Operation") are handled synchronously when the driver writes
//! QueueNotify: a header (type u32, reserved u32, sector u64) in the device-readable bytes,
//! then data, and the status byte as the last device-writable byte. The device makes no
//! assumption about how these are split into descriptors (§2.7.4 "Message Framing"). Each
//! data descriptor is moved with one `pread`/`pwrite` between the file and guest RAM. A
//! request that reaches past the capacity, or whose data is not a multiple of 512 bytes, or
//! whose host I/O fails, gets VIRTIO_BLK_S_IOERR; OK means the host call succeeded for every
//! byte. Nothing here reads host time, so runs stay deterministic.

use super::virtio_mmio::{VirtioDevice, VIRTIO_F_VERSION_1};
use super::virtqueue::{Buf, Chain, GuestMem, QueueError, SplitQueue};
use crate::addr::PhysAddr;
use std::fs::File;
use std::os::unix::fs::FileExt;

/// DeviceID of a block device (§5 "Device Types").
pub const DEVICE_ID_BLOCK: u32 = 2;
/// The slot the first disk goes in (QEMU `virt` fills virtio-mmio slots from the top).
pub const FIRST_DISK_SLOT: usize = 7;
/// QueueNumMax (QEMU's virtio-blk default queue size).
pub const QUEUE_NUM_MAX: u32 = 256;
/// Bytes per sector: capacity and request sectors count in these whatever blk_size says.
pub const SECTOR: u64 = 512;

// Feature bits (§5.2.3 "Feature bits").
const VIRTIO_BLK_F_SEG_MAX: u64 = 1 << 2;
const VIRTIO_BLK_F_BLK_SIZE: u64 = 1 << 6;
const VIRTIO_BLK_F_FLUSH: u64 = 1 << 9;
const FEATURES: u64 =
    VIRTIO_F_VERSION_1 | VIRTIO_BLK_F_SEG_MAX | VIRTIO_BLK_F_BLK_SIZE | VIRTIO_BLK_F_FLUSH;

// Request types and status values (§5.2.6 "Device Operation").
pub const VIRTIO_BLK_T_IN: u32 = 0;
pub const VIRTIO_BLK_T_OUT: u32 = 1;
pub const VIRTIO_BLK_T_FLUSH: u32 = 4;
pub const VIRTIO_BLK_T_GET_ID: u32 = 8;
pub const VIRTIO_BLK_S_OK: u8 = 0;
pub const VIRTIO_BLK_S_IOERR: u8 = 1;
pub const VIRTIO_BLK_S_UNSUPP: u8 = 2;

/// The device ID string GET_ID returns (VIRTIO_BLK_ID_BYTES = 20, NUL-padded).
pub const DISK_ID: &[u8; 20] = b"rvmmu-disk\0\0\0\0\0\0\0\0\0\0";

/// Size of the configuration structure up to num_queues and the 1.2 fields after it.
const CONFIG_LEN: usize = 64;

/// A block device over a host file opened read-write.
pub struct VirtioBlk {
    disk: File,
    sectors: u64,
    config: [u8; CONFIG_LEN],
    stats: DiskStats,
}

/// Requests a disk has completed successfully, and their bytes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct DiskStats {
    pub reads: u64,
    pub read_bytes: u64,
    pub writes: u64,
    pub written_bytes: u64,
    pub flushes: u64,
}

impl VirtioBlk {
    /// A device whose capacity is the file's length in whole sectors.
    pub fn new(disk: File) -> std::io::Result<VirtioBlk> {
        let sectors = disk.metadata()?.len() / SECTOR;
        let mut config = [0u8; CONFIG_LEN];
        config[0..8].copy_from_slice(&sectors.to_le_bytes()); // capacity
        config[12..16].copy_from_slice(&(QUEUE_NUM_MAX - 2).to_le_bytes()); // seg_max
        config[20..24].copy_from_slice(&(SECTOR as u32).to_le_bytes()); // blk_size
        config[34..36].copy_from_slice(&1u16.to_le_bytes()); // num_queues
        Ok(VirtioBlk {
            disk,
            sectors,
            config,
            stats: DiskStats::default(),
        })
    }

    /// Capacity in 512-byte sectors.
    pub fn sectors(&self) -> u64 {
        self.sectors
    }

    /// The requests completed so far.
    pub fn stats(&self) -> DiskStats {
        self.stats
    }

    /// Performs one request; returns the bytes written into device-writable buffers
    /// (status byte included), for the used ring.
    fn request(&mut self, chain: &Chain, mem: &mut GuestMem) -> Result<u32, QueueError> {
        let mut hdr = [0u8; 16];
        let data_out = take_front(&chain.readable, &mut hdr, mem)?;
        let (data_in, status_at) =
            split_last(&chain.writable).ok_or(QueueError::Request("no status byte"))?;
        for b in data_out.iter().chain(&data_in) {
            mem.check(b.addr, b.len)?;
        }
        mem.check(status_at, 1)?;
        let kind = u32::from_le_bytes(hdr[0..4].try_into().unwrap_or_default());
        let sector = u64::from_le_bytes(hdr[8..16].try_into().unwrap_or_default());
        let (status, written) = match kind {
            VIRTIO_BLK_T_IN => self.read(sector, &data_in, mem)?,
            VIRTIO_BLK_T_OUT => (self.write(sector, &data_out, mem)?, 0),
            VIRTIO_BLK_T_FLUSH => match self.disk.sync_data() {
                Ok(()) => {
                    self.stats.flushes += 1;
                    (VIRTIO_BLK_S_OK, 0)
                }
                Err(e) => {
                    log::warn!("virtio-blk: flush failed: {e}");
                    (VIRTIO_BLK_S_IOERR, 0)
                }
            },
            VIRTIO_BLK_T_GET_ID => (VIRTIO_BLK_S_OK, scatter(DISK_ID, &data_in, mem)?),
            _ => (VIRTIO_BLK_S_UNSUPP, 0),
        };
        mem.write_bytes(status_at, &[status])?;
        Ok(u32::try_from(written + 1).unwrap_or(u32::MAX))
    }

    /// The file offset of a transfer of `bufs` at `sector`, if it lies inside the disk and
    /// is a whole number of sectors.
    fn range(&self, sector: u64, bufs: &[Buf]) -> Option<u64> {
        let len: u64 = bufs.iter().map(|b| b.len).sum();
        let end = sector.checked_add(len / SECTOR)?;
        (len % SECTOR == 0 && end <= self.sectors).then_some(sector * SECTOR)
    }

    /// VIRTIO_BLK_T_IN: file → guest buffers. Returns the status and the bytes delivered.
    fn read(
        &mut self,
        sector: u64,
        bufs: &[Buf],
        mem: &mut GuestMem,
    ) -> Result<(u8, u64), QueueError> {
        let Some(mut off) = self.range(sector, bufs) else {
            return Ok((VIRTIO_BLK_S_IOERR, 0));
        };
        let mut done = 0;
        for b in bufs {
            if let Err(e) = self.disk.read_exact_at(mem.slice_mut(b.addr, b.len)?, off) {
                log::warn!("virtio-blk: read at byte {off} failed: {e}");
                return Ok((VIRTIO_BLK_S_IOERR, done));
            }
            off += b.len;
            done += b.len;
        }
        self.stats.reads += 1;
        self.stats.read_bytes += done;
        Ok((VIRTIO_BLK_S_OK, done))
    }

    /// VIRTIO_BLK_T_OUT: guest buffers → file.
    fn write(&mut self, sector: u64, bufs: &[Buf], mem: &GuestMem) -> Result<u8, QueueError> {
        let Some(mut off) = self.range(sector, bufs) else {
            return Ok(VIRTIO_BLK_S_IOERR);
        };
        for b in bufs {
            if let Err(e) = self.disk.write_all_at(mem.slice(b.addr, b.len)?, off) {
                log::warn!("virtio-blk: write at byte {off} failed: {e}");
                return Ok(VIRTIO_BLK_S_IOERR);
            }
            off += b.len;
        }
        self.stats.writes += 1;
        self.stats.written_bytes += bufs.iter().map(|b| b.len).sum::<u64>();
        Ok(VIRTIO_BLK_S_OK)
    }
}

impl VirtioDevice for VirtioBlk {
    fn device_id(&self) -> u32 {
        DEVICE_ID_BLOCK
    }

    fn features(&self) -> u64 {
        FEATURES
    }

    fn config(&self) -> &[u8] {
        &self.config
    }

    fn stats_line(&self) -> String {
        let s = self.stats;
        format!(
            "virtio-blk: {} reads ({} KiB), {} writes ({} KiB), {} flushes",
            s.reads,
            s.read_bytes / 1024,
            s.writes,
            s.written_bytes / 1024,
            s.flushes
        )
    }

    fn queue_num_max(&self) -> u32 {
        QUEUE_NUM_MAX
    }

    fn process(&mut self, queue: &mut SplitQueue, mem: &mut GuestMem) -> Result<(), QueueError> {
        while let Some(chain) = queue.pop(mem, QUEUE_NUM_MAX)? {
            let len = self.request(&chain, mem)?;
            queue.push_used(mem, chain.head, len)?;
        }
        Ok(())
    }
}

/// Fills `out` from the front of `bufs` (the request header, which may span descriptors)
/// and returns the buffers that follow it.
fn take_front(bufs: &[Buf], out: &mut [u8], mem: &GuestMem) -> Result<Vec<Buf>, QueueError> {
    let mut need = out.len() as u64;
    let mut rest = Vec::new();
    for b in bufs {
        let n = need.min(b.len);
        if n > 0 {
            let at = out.len() - need as usize;
            out[at..at + n as usize].copy_from_slice(mem.slice(b.addr, n)?);
            need -= n;
        }
        if b.len > n {
            rest.push(Buf {
                addr: b.addr.add(n),
                len: b.len - n,
            });
        }
    }
    match need {
        0 => Ok(rest),
        _ => Err(QueueError::Request("header shorter than 16 bytes")),
    }
}

/// Splits the last byte (the status) off `bufs`: the data buffers before it, and its address.
fn split_last(bufs: &[Buf]) -> Option<(Vec<Buf>, PhysAddr)> {
    let mut data: Vec<Buf> = bufs.iter().copied().filter(|b| b.len > 0).collect();
    let last = data.last_mut()?;
    last.len -= 1;
    let status = last.addr.add(last.len);
    if last.len == 0 {
        data.pop();
    }
    Some((data, status))
}

/// Copies `src` into the front of `bufs` as far as they reach; returns the bytes copied.
fn scatter(src: &[u8], bufs: &[Buf], mem: &mut GuestMem) -> Result<u64, QueueError> {
    let mut done = 0usize;
    for b in bufs {
        let n = (src.len() - done).min(b.len as usize);
        mem.write_bytes(b.addr, &src[done..done + n])?;
        done += n;
    }
    Ok(done as u64)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bus::{MIP_SEIP, PLIC_BASE, RAM_BASE};
    use crate::devices::virtio_mmio::status::*;
    use crate::machine::{Machine, MachineConfig};

    /// Slot 7, where the bus puts the disk.
    const SLOT: u64 = 0x1000_8000;
    const DESC: u64 = RAM_BASE + 0x1000;
    const AVAIL: u64 = RAM_BASE + 0x2000;
    const USED: u64 = RAM_BASE + 0x3000;
    const BUFS: u64 = RAM_BASE + 0x10000;
    const QSIZE: u32 = 8;
    /// The test disk: 64 sectors (32 KiB).
    const SECTORS: u64 = 64;

    /// A driver, as the spec's initialization sequence (§3.1.1 "Driver Requirements: Device
    /// Initialization") does it, over the bus of a machine whose hart stays still, with the
    /// disk's host file beside it.
    struct Driver {
        m: Machine,
        file: File,
        next_desc: u16,
        avail_idx: u16,
    }

    impl Driver {
        fn new() -> Driver {
            let file = tempfile::tempfile().unwrap();
            file.set_len(SECTORS * SECTOR).unwrap();
            let cfg = MachineConfig {
                mem_size: 1 << 20,
                disk: Some(file.try_clone().unwrap()),
                ..MachineConfig::capture(Vec::new())
            };
            let mut d = Driver {
                m: Machine::new(cfg).unwrap(),
                file,
                next_desc: 0,
                avail_idx: 0,
            };
            d.w(0x70, 0);
            d.w(0x70, ACKNOWLEDGE);
            d.w(0x70, ACKNOWLEDGE | DRIVER);
            d.w(0x24, 1);
            d.w(0x20, 1); // VIRTIO_F_VERSION_1
            d.w(0x24, 0);
            d.w(0x20, (VIRTIO_BLK_F_FLUSH | VIRTIO_BLK_F_BLK_SIZE) as u32);
            d.w(0x70, ACKNOWLEDGE | DRIVER | FEATURES_OK);
            assert_eq!(d.r(0x70), ACKNOWLEDGE | DRIVER | FEATURES_OK);
            d.w(0x30, 0);
            assert_eq!(d.r(0x34), QUEUE_NUM_MAX);
            d.w(0x38, QSIZE);
            for (off, addr) in [(0x80, DESC), (0x90, AVAIL), (0xa0, USED)] {
                d.w(off, addr as u32);
                d.w(off + 4, (addr >> 32) as u32);
            }
            d.w(0x44, 1);
            d.w(0x70, ACKNOWLEDGE | DRIVER | FEATURES_OK | DRIVER_OK);
            // PLIC: source 8 at priority 1, enabled for context 1 (S-mode).
            d.m.bus.write(PhysAddr(PLIC_BASE + 4 * 8), 4, 1, 0).unwrap();
            d.m.bus
                .write(PhysAddr(PLIC_BASE + 0x2080), 4, 1 << 8, 0)
                .unwrap();
            d
        }

        fn w(&mut self, off: u64, v: u32) {
            self.m
                .bus
                .write(PhysAddr(SLOT + off), 4, u64::from(v), 0)
                .unwrap();
        }

        fn r(&mut self, off: u64) -> u32 {
            self.m.bus.read(PhysAddr(SLOT + off), 4, 0).unwrap() as u32
        }

        fn poke(&mut self, pa: u64, bytes: &[u8]) {
            self.m.bus.ram.write_bytes(PhysAddr(pa), bytes).unwrap();
        }

        fn peek(&self, pa: u64, len: usize) -> Vec<u8> {
            let mut v = vec![0; len];
            self.m.bus.ram.read_bytes(PhysAddr(pa), &mut v).unwrap();
            v
        }

        /// Chains `bufs` (address, length, device-writable) into descriptors, makes the
        /// chain available and notifies. Returns the head.
        fn submit(&mut self, bufs: &[(u64, u32, bool)]) -> u16 {
            let head = self.next_desc;
            for (k, &(addr, len, write)) in bufs.iter().enumerate() {
                let i = (self.next_desc + k as u16) % QSIZE as u16;
                let last = k + 1 == bufs.len();
                let flags = u16::from(!last) | if write { 2 } else { 0 };
                let mut d = [0u8; 16];
                d[0..8].copy_from_slice(&addr.to_le_bytes());
                d[8..12].copy_from_slice(&len.to_le_bytes());
                d[12..14].copy_from_slice(&flags.to_le_bytes());
                d[14..16].copy_from_slice(&((i + 1) % QSIZE as u16).to_le_bytes());
                self.poke(DESC + 16 * u64::from(i), &d);
            }
            self.next_desc = (self.next_desc + bufs.len() as u16) % QSIZE as u16;
            let slot = u64::from(self.avail_idx % QSIZE as u16);
            self.poke(AVAIL + 4 + 2 * slot, &head.to_le_bytes());
            self.avail_idx = self.avail_idx.wrapping_add(1);
            self.poke(AVAIL + 2, &self.avail_idx.to_le_bytes());
            self.w(0x50, 0);
            head
        }

        /// A request header at `at`.
        fn header(&mut self, at: u64, kind: u32, sector: u64) {
            let mut h = [0u8; 16];
            h[0..4].copy_from_slice(&kind.to_le_bytes());
            h[8..16].copy_from_slice(&sector.to_le_bytes());
            self.poke(at, &h);
        }

        /// The used ring's idx and its entry `n` (id, len).
        fn used(&self, n: u16) -> (u16, u32, u32) {
            let idx = u16::from_le_bytes(self.peek(USED + 2, 2).try_into().unwrap());
            let e = self.peek(USED + 4 + 8 * u64::from(n % QSIZE as u16), 8);
            let id = u32::from_le_bytes(e[0..4].try_into().unwrap());
            (idx, id, u32::from_le_bytes(e[4..8].try_into().unwrap()))
        }

        fn file_bytes(&self, off: u64, len: usize) -> Vec<u8> {
            let mut v = vec![0; len];
            self.file.read_exact_at(&mut v, off).unwrap();
            v
        }
    }

    const HDR: u64 = BUFS;
    const STATUS: u64 = BUFS + 0x100;
    const DATA: u64 = BUFS + 0x1000;

    #[test]
    fn identifies_itself_and_its_configuration_like_qemu() {
        let mut d = Driver::new();
        assert_eq!(d.r(0x000), 0x7472_6976, "\"virt\"");
        assert_eq!(d.r(0x004), 2, "modern transport");
        assert_eq!(d.r(0x008), 2, "block device");
        assert_eq!(d.r(0x00c), 0x554d_4551, "\"QEMU\"");
        d.w(0x14, 0);
        assert_eq!(d.r(0x10), (1 << 2) | (1 << 6) | (1 << 9));
        d.w(0x14, 1);
        assert_eq!(d.r(0x10), 1, "VIRTIO_F_VERSION_1");
        let cap = d.m.bus.read(PhysAddr(SLOT + 0x100), 8, 0).unwrap();
        assert_eq!(cap, SECTORS);
        assert_eq!(d.r(0x10c), 254, "seg_max");
        assert_eq!(d.r(0x114), 512, "blk_size");
        assert_eq!(d.m.bus.read(PhysAddr(SLOT + 0x114), 2, 0), Ok(512));
        assert_eq!(d.r(0xfc), 0, "config generation");
        assert_eq!(
            d.m.bus.read(PhysAddr(SLOT), 1, 0),
            Ok(0),
            "byte read of a register"
        );
        d.w(0x30, 1);
        assert_eq!(d.r(0x34), 0, "only queue 0 exists");
        assert!(
            d.m.bus.read(PhysAddr(SLOT + 2), 4, 0).is_err(),
            "misaligned"
        );

        // FEATURES_OK stays clear for a feature not offered, or without VERSION_1.
        d.w(0x70, 0);
        d.w(0x24, 0);
        d.w(0x20, 1 << 28); // VIRTIO_F_INDIRECT_DESC (bit 28) is not offered
        d.w(0x24, 1);
        d.w(0x20, 1);
        d.w(0x70, ACKNOWLEDGE | DRIVER | FEATURES_OK);
        assert_eq!(d.r(0x70), ACKNOWLEDGE | DRIVER);
        d.w(0x70, 0);
        d.w(0x70, ACKNOWLEDGE | DRIVER | FEATURES_OK);
        assert_eq!(d.r(0x70), ACKNOWLEDGE | DRIVER, "no VERSION_1");
    }

    #[test]
    fn writes_reach_the_file_and_reads_come_back_with_an_interrupt() {
        let mut d = Driver::new();
        let page: Vec<u8> = (0..8192u32).map(|i| (i * 7 + 3) as u8).collect();
        d.poke(DATA, &page);
        d.header(HDR, VIRTIO_BLK_T_OUT, 8);
        d.poke(STATUS, &[0xff]);
        let head = d.submit(&[
            (HDR, 16, false),
            (DATA, 4096, false),
            (DATA + 4096, 4096, false),
            (STATUS, 1, true),
        ]);
        assert_eq!(d.peek(STATUS, 1), [VIRTIO_BLK_S_OK]);
        assert_eq!(d.file_bytes(8 * 512, 8192), page);
        assert_eq!(d.used(0), (1, u32::from(head), 1));
        assert_eq!(d.r(0x60), 1, "used buffer notification");
        assert_eq!(
            d.m.bus.irq_lines(0) & MIP_SEIP,
            MIP_SEIP,
            "PLIC source 8 to S-mode"
        );
        assert_eq!(d.m.bus.read(PhysAddr(PLIC_BASE + 0x20_1004), 4, 0), Ok(8));
        d.w(0x64, 1);
        assert_eq!(d.r(0x60), 0);
        d.m.bus
            .write(PhysAddr(PLIC_BASE + 0x20_1004), 4, 8, 0)
            .unwrap();
        assert_eq!(d.m.bus.irq_lines(0) & MIP_SEIP, 0, "acknowledged: line low");
        d.m.bus.drain_device_writes(|_, _| {});

        // Read it back, the header split over two descriptors and the status sharing the
        // last data descriptor.
        let back = DATA + 0x4000;
        d.header(HDR, VIRTIO_BLK_T_IN, 8);
        let head = d.submit(&[
            (HDR, 8, false),
            (HDR + 8, 8, false),
            (back, 4096, true),
            (back + 4096, 4097, true),
        ]);
        assert_eq!(d.peek(back, 8192), page);
        assert_eq!(d.peek(back + 8192, 1), [VIRTIO_BLK_S_OK]);
        assert_eq!(d.used(1), (2, u32::from(head), 8193));
        let mut written = Vec::new();
        d.m.bus
            .drain_device_writes(|pa, len| written.push((pa.0, len)));
        assert!(written.contains(&(back, 4096)), "{written:x?}");
        assert!(written.contains(&(back + 4096, 4096)), "{written:x?}");
        // --stats counts each request once, with its data bytes.
        let stats = d.m.bus.device_stats();
        assert_eq!(stats.len(), 1);
        assert_eq!(stats[0].0, SLOT);
        assert_eq!(
            stats[0].1,
            "virtio-blk: 1 reads (8 KiB), 1 writes (8 KiB), 0 flushes"
        );
    }

    #[test]
    fn flush_get_id_and_unsupported_requests() {
        let mut d = Driver::new();
        d.header(HDR, VIRTIO_BLK_T_FLUSH, 0);
        d.submit(&[(HDR, 16, false), (STATUS, 1, true)]);
        assert_eq!(d.peek(STATUS, 1), [VIRTIO_BLK_S_OK]);
        assert_eq!(d.used(0).2, 1);

        d.header(HDR, VIRTIO_BLK_T_GET_ID, 0);
        d.submit(&[(HDR, 16, false), (DATA, 20, true), (STATUS, 1, true)]);
        assert_eq!(d.peek(DATA, 20), DISK_ID);
        assert_eq!(d.peek(STATUS, 1), [VIRTIO_BLK_S_OK]);
        assert_eq!(d.used(1), (2, 2, 21));

        d.header(HDR, 11, 0); // VIRTIO_BLK_T_DISCARD, not offered
        d.submit(&[(HDR, 16, false), (DATA, 16, false), (STATUS, 1, true)]);
        assert_eq!(d.peek(STATUS, 1), [VIRTIO_BLK_S_UNSUPP]);
        assert_eq!(d.used(2).0, 3);
    }

    #[test]
    fn out_of_range_and_partial_sectors_are_io_errors_and_write_nothing() {
        let mut d = Driver::new();
        d.poke(DATA, &[0xaa; 1024]);
        for (sector, len) in [
            (SECTORS - 1, 1024),
            (SECTORS, 512),
            (u64::MAX, 512),
            (0, 100),
        ] {
            d.header(HDR, VIRTIO_BLK_T_OUT, sector);
            d.submit(&[(HDR, 16, false), (DATA, len, false), (STATUS, 1, true)]);
            assert_eq!(d.peek(STATUS, 1), [VIRTIO_BLK_S_IOERR], "sector {sector}");
            d.header(HDR, VIRTIO_BLK_T_IN, sector);
            d.submit(&[(HDR, 16, false), (DATA, len, true), (STATUS, 1, true)]);
            assert_eq!(d.peek(STATUS, 1), [VIRTIO_BLK_S_IOERR], "sector {sector}");
        }
        assert_eq!(d.file_bytes(0, (SECTORS * SECTOR) as usize), vec![0; 32768]);
        assert_eq!(d.used(0).0, 8);
        assert_eq!(d.r(0x70) & DEVICE_NEEDS_RESET, 0);
    }

    #[test]
    fn a_bad_descriptor_sets_needs_reset_and_nothing_else_happens() {
        let mut d = Driver::new();
        d.header(HDR, VIRTIO_BLK_T_OUT, 0);
        d.poke(STATUS, &[0xff]);
        // 0x2000 is not RAM (a hole below the boot ROM's end is not either).
        d.submit(&[(HDR, 16, false), (0x2000, 512, false), (STATUS, 1, true)]);
        assert_eq!(d.r(0x70) & DEVICE_NEEDS_RESET, DEVICE_NEEDS_RESET);
        assert_eq!(d.r(0x60), 2, "configuration change notification");
        assert_eq!(d.peek(STATUS, 1), [0xff], "no status written");
        assert_eq!(d.used(0).0, 0, "nothing used");
        // Further notifies are ignored until the driver resets the device.
        d.header(HDR, VIRTIO_BLK_T_FLUSH, 0);
        d.submit(&[(HDR, 16, false), (STATUS, 1, true)]);
        assert_eq!(d.used(0).0, 0);
        d.w(0x70, 0);
        assert_eq!((d.r(0x70), d.r(0x60), d.r(0x44)), (0, 0, 0), "reset");

        // A loop, a head past the table and a descriptor table outside RAM.
        for bad in [
            |d: &mut Driver| {
                d.poke(DESC, &[0; 12]);
                d.poke(DESC + 12, &[1, 0, 0, 0]); // NEXT to itself
            },
            |d: &mut Driver| d.poke(AVAIL + 4, &[QSIZE as u8, 0]),
            |d: &mut Driver| d.w(0x80, 0x10),
        ] {
            let mut d = Driver::new();
            d.poke(AVAIL + 2, &[1, 0]);
            bad(&mut d);
            d.w(0x50, 0);
            assert_eq!(d.r(0x70) & DEVICE_NEEDS_RESET, DEVICE_NEEDS_RESET);
        }
    }

    #[test]
    fn no_interrupt_flag_is_honoured() {
        let mut d = Driver::new();
        d.poke(AVAIL, &[1, 0]); // VIRTQ_AVAIL_F_NO_INTERRUPT
        d.header(HDR, VIRTIO_BLK_T_FLUSH, 0);
        d.submit(&[(HDR, 16, false), (STATUS, 1, true)]);
        assert_eq!(d.used(0).0, 1);
        assert_eq!(d.r(0x60), 0);
        assert_eq!(d.m.bus.irq_lines(0) & MIP_SEIP, 0);
    }

    #[test]
    fn the_hart_sees_code_a_read_request_puts_in_ram() {
        use crate::hart::decode::{decode, Op};
        let mut d = Driver::new();
        // The hart has decoded an instruction where the request's data will land.
        let idx = d.m.hart.icache.page_for(DATA + 4096);
        d.m.hart.icache.fill(idx, DATA + 4096 + 8, decode(0x13));
        d.header(HDR, VIRTIO_BLK_T_IN, 0);
        for (i, &(addr, len, write)) in [(HDR, 16, false), (DATA, 8192, true), (STATUS, 1, true)]
            .iter()
            .enumerate()
        {
            let mut desc = [0u8; 16];
            desc[0..8].copy_from_slice(&addr.to_le_bytes());
            desc[8..12].copy_from_slice(&u32::to_le_bytes(len));
            let flags: u16 = if i < 2 { 1 } else { 0 } | if write { 2 } else { 0 };
            desc[12..14].copy_from_slice(&flags.to_le_bytes());
            desc[14] = i as u8 + 1;
            d.poke(DESC + 16 * i as u64, &desc);
        }
        d.poke(AVAIL + 2, &[1, 0]);
        // The notify as the hart stores it.
        let (hart, bus) = (&mut d.m.hart, &mut d.m.bus);
        hart.store_pa::<4>(bus, SLOT + 0x50, 0).unwrap();
        assert_eq!(d.peek(STATUS, 1), [VIRTIO_BLK_S_OK]);
        assert_eq!(d.m.hart.icache.slot(idx, DATA + 4096 + 8).op, Op::Undecoded);
    }
}
