//! virtio block devices on the virtio-mmio transport: vda, vdb, ... (docs/KERNEL.md, "Block
//! devices and swap areas").
//!
//! The transport and the split virtqueue are the `virtio-drivers` crate's (rcore-os), which
//! speaks both MMIO versions: the legacy one (Version register 1, virtio 1.2 section 4.2.4
//! "Legacy interface": the queue's page number in QueuePFN) that QEMU 7.2's virt board
//! offers by default, and the modern one (Version 2, section 4.2.2 "MMIO Device Register
//! Layout": QueueDescLow/High and the rest, QueueReady) that rvmmu offers and QEMU gives
//! with `-global virtio-mmio.force-legacy=false`. This module gives the crate its memory
//! ([`KernelHal`]), finds the disks, and offers whole 4 KiB pages.
//!
//! Requests (section 5.2.6 "Device Operation" of "Block Device": a `virtio_blk_req` header
//! of type IN (0), OUT (1) or FLUSH (4) and a 512-byte sector number, the data, a status
//! byte) are **synchronous and polled**: the request is put on the queue, the device
//! notified (QueueNotify), and the driver spins on the used ring until the device has
//! answered. The kernel is single-hart, not preemptible, with interrupts off in S-mode, so
//! nothing else could run meanwhile anyway; the disks' PLIC interrupts are not used yet.
//!
//! Probe: the `virtio,mmio` nodes of the device tree in address order (the slot order;
//! QEMU puts its first `-device` in the highest slot, 0x1000_8000), those whose DeviceID
//! register (offset 0x008) says 2, a block device (virtio 1.2 section 5 "Device Types").
//! Empty slots (DeviceID 0) are skipped silently. Names are given in probe order.

use crate::dtb::VirtioMmio;
use crate::mm::layout::{phys_to_virt, virt_to_phys, VIRTIO_MMIO_END, VIRTIO_MMIO_PA};
use alloc::vec::Vec;
use core::ptr::NonNull;
use mm_core::{PhysAddr, VirtAddr, PAGE_SIZE};
use spin::Mutex;
use virtio_drivers::device::blk::{VirtIOBlk, SECTOR_SIZE};
use virtio_drivers::transport::mmio::{MmioTransport, VirtIOHeader};
use virtio_drivers::transport::{DeviceType, Transport};
use virtio_drivers::{BufferDirection, Hal};

/// 512-byte sectors per 4 KiB page.
pub const SECTORS_PER_PAGE: u64 = PAGE_SIZE / SECTOR_SIZE as u64;

/// Linux's virtblk major number (dynamic in Linux; 254 on a machine whose only dynamic
/// block driver is virtio_blk) and minors per disk (PART_BITS = 4).
pub const MAJOR: u32 = 254;
pub const MINORS_PER_DISK: u32 = 16;

/// The disk names, in probe order.
const NAMES: [&str; 16] = [
    "vda", "vdb", "vdc", "vdd", "vde", "vdf", "vdg", "vdh", "vdi", "vdj", "vdk", "vdl", "vdm",
    "vdn", "vdo", "vdp",
];

/// What went wrong with a request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BlkError {
    /// No such disk.
    NoDevice,
    /// The page lies (partly) beyond the disk's end.
    OutOfRange,
    /// The device refused or failed the request (the crate's error: the request's status
    /// byte, VIRTIO_BLK_S_IOERR or _UNSUPP, or a queue error).
    Device(virtio_drivers::Error),
}

impl core::fmt::Display for BlkError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            BlkError::NoDevice => f.write_str("no such device"),
            BlkError::OutOfRange => f.write_str("beyond the end of the device"),
            BlkError::Device(e) => write!(f, "device error: {e}"),
        }
    }
}

/// The crate's view of the kernel's memory: DMA buffers are buddy frames, reached through
/// the direct map; there is no IOMMU, so a buffer's device address is its physical address.
pub struct KernelHal;

/// The buddy order that holds `pages` frames.
fn order_of(pages: usize) -> usize {
    pages.next_power_of_two().trailing_zeros() as usize
}

// SAFETY: dma_alloc returns zeroed, page-aligned frames of RAM that nothing else uses
// until dma_dealloc gives them back; the direct map makes them reachable at the returned
// pointer; share and unshare report the buffer's physical address (all kernel memory is in
// the direct map: the image is linked at PAGE_OFFSET + PA, heap and stacks are buddy frames).
#[allow(unsafe_code)]
unsafe impl Hal for KernelHal {
    fn dma_alloc(pages: usize, _dir: BufferDirection) -> (u64, NonNull<u8>) {
        let Some(pa) = crate::mm::frame::alloc(order_of(pages)) else {
            // The crate turns a physical address of 0 into Error::DmaError.
            return (0, NonNull::dangling());
        };
        let va = phys_to_virt(pa).0 as *mut u8;
        // SAFETY: the frames were just allocated: `pages` (rounded up to a power of two)
        // frames of RAM, mapped R+W by the direct map, used by nobody else.
        unsafe { core::ptr::write_bytes(va, 0, pages * PAGE_SIZE as usize) };
        (pa.0, NonNull::new(va).unwrap_or(NonNull::dangling()))
    }

    unsafe fn dma_dealloc(paddr: u64, _vaddr: NonNull<u8>, pages: usize) -> i32 {
        crate::mm::frame::free(PhysAddr(paddr), order_of(pages));
        0
    }

    unsafe fn mmio_phys_to_virt(paddr: u64, _size: usize) -> NonNull<u8> {
        // Only the PCI transport asks; the MMIO window is mapped at its direct-map address.
        NonNull::new(phys_to_virt(PhysAddr(paddr)).0 as *mut u8).unwrap_or(NonNull::dangling())
    }

    unsafe fn share(buffer: NonNull<[u8]>, _dir: BufferDirection) -> u64 {
        virt_to_phys(VirtAddr(buffer.as_ptr() as *mut u8 as u64)).0
    }

    unsafe fn unshare(_paddr: u64, _buffer: NonNull<[u8]>, _dir: BufferDirection) {}
}

/// A disk.
struct Disk {
    name: &'static str,
    blk: VirtIOBlk<KernelHal, MmioTransport<'static>>,
    sectors: u64,
}

// SAFETY: the transport's pointers name this disk's own MMIO registers, which only this
// `Disk` touches, and the disk is only used under the DISKS lock.
#[allow(unsafe_code)]
unsafe impl Send for Disk {}

static DISKS: Mutex<Vec<Disk>> = Mutex::new(Vec::new());

/// Finds the block devices among the virtio-mmio transports `devs` (the device tree's, in
/// slot order), starts them, and logs one line for each.
#[allow(unsafe_code)]
pub fn probe(devs: &[VirtioMmio]) {
    let mut disks = DISKS.lock();
    for d in devs {
        let end = d.base.0.saturating_add(d.size);
        if d.base.0 < VIRTIO_MMIO_PA || end > VIRTIO_MMIO_END || d.size < 0x200 {
            log::warn!(
                target: "virtio-blk",
                "ignoring the virtio-mmio node at {:#x} (size {:#x}): outside the mapped window",
                d.base.0,
                d.size
            );
            continue;
        }
        let header = phys_to_virt(d.base).0 as *mut VirtIOHeader;
        let Some(header) = NonNull::new(header) else {
            continue;
        };
        // SAFETY: `header` is the transport's register window (virtio 1.2 section 4.2.2,
        // config space from 0x100), mapped R+W by the kernel page table for good, and no
        // other transport is made for it (each node is visited once).
        let transport = match unsafe { MmioTransport::new(header, d.size as usize) } {
            Ok(t) => t,
            // DeviceID 0: an empty slot.
            Err(virtio_drivers::transport::mmio::MmioError::InvalidDeviceID(_)) => continue,
            Err(e) => {
                log::warn!(target: "virtio-blk", "virtio-mmio at {:#x}: {e}", d.base.0);
                continue;
            }
        };
        if transport.device_type() != DeviceType::Block {
            continue;
        }
        let version = transport.version() as u32;
        let Some(&name) = NAMES.get(disks.len()) else {
            log::warn!(target: "virtio-blk", "more than {} disks: ignoring {:#x}", NAMES.len(), d.base.0);
            continue;
        };
        let blk = match VirtIOBlk::<KernelHal, _>::new(transport) {
            Ok(b) => b,
            Err(e) => {
                log::error!(target: "virtio-blk", "{name} at {:#x}: cannot start: {e}", d.base.0);
                continue;
            }
        };
        let sectors = blk.capacity();
        log::info!(
            target: "virtio-blk",
            "{name} at {:#x} (irq {}, virtio-mmio v{version}), {sectors} sectors ({} MiB){}",
            d.base.0,
            d.irq,
            sectors >> 11,
            if blk.readonly() { ", read-only" } else { "" }
        );
        disks.push(Disk { name, blk, sectors });
    }
}

/// How many disks there are.
pub fn count() -> usize {
    DISKS.lock().len()
}

/// Disk `i`'s name (`vda`, ...).
pub fn name(i: usize) -> Option<&'static str> {
    DISKS.lock().get(i).map(|d| d.name)
}

/// The disk called `name`.
pub fn by_name(name: &str) -> Option<usize> {
    DISKS.lock().iter().position(|d| d.name == name)
}

/// Disk `i`'s capacity in 512-byte sectors.
pub fn capacity(i: usize) -> Option<u64> {
    DISKS.lock().get(i).map(|d| d.sectors)
}

/// Runs `f` on disk `i` for the page at `sector`, checking it lies on the disk; a failure
/// is logged.
fn with_page<T>(
    i: usize,
    sector: u64,
    what: &str,
    f: impl FnOnce(&mut VirtIOBlk<KernelHal, MmioTransport<'static>>) -> virtio_drivers::Result<T>,
) -> Result<T, BlkError> {
    let mut disks = DISKS.lock();
    let Some(d) = disks.get_mut(i) else {
        return Err(BlkError::NoDevice);
    };
    if sector
        .checked_add(SECTORS_PER_PAGE)
        .is_none_or(|end| end > d.sectors)
    {
        log::error!(target: "virtio-blk", "{}: {what} at sector {sector}: beyond the end ({} sectors)", d.name, d.sectors);
        return Err(BlkError::OutOfRange);
    }
    f(&mut d.blk).map_err(|e| {
        log::error!(target: "virtio-blk", "{}: {what} at sector {sector}: {e}", d.name);
        BlkError::Device(e)
    })
}

/// Reads the 4 KiB at `sector` of disk `i` into `page` (one request; polled). Counts
/// `pgpgin` (kB read from block devices, as Linux's submit_bio does).
pub fn read_page(i: usize, sector: u64, page: &mut [u8; 4096]) -> Result<(), BlkError> {
    with_page(i, sector, "read", |b| b.read_blocks(sector as usize, page))?;
    crate::mm::vmstat::add(&crate::mm::vmstat::PGPGIN, PAGE_SIZE >> 10);
    Ok(())
}

/// Writes `page` to the 4 KiB at `sector` of disk `i` (one request; polled; done when the
/// device has answered, which may be in its cache: see [`flush`]). Counts `pgpgout`.
pub fn write_page(i: usize, sector: u64, page: &[u8; 4096]) -> Result<(), BlkError> {
    with_page(i, sector, "write", |b| {
        b.write_blocks(sector as usize, page)
    })?;
    crate::mm::vmstat::add(&crate::mm::vmstat::PGPGOUT, PAGE_SIZE >> 10);
    Ok(())
}

/// Asks disk `i` to make its writes durable (a FLUSH request when the device offers
/// VIRTIO_BLK_F_FLUSH; nothing to do otherwise).
pub fn flush(i: usize) -> Result<(), BlkError> {
    let mut disks = DISKS.lock();
    let d = disks.get_mut(i).ok_or(BlkError::NoDevice)?;
    d.blk.flush().map_err(|e| {
        log::error!(target: "virtio-blk", "{}: flush: {e}", d.name);
        BlkError::Device(e)
    })
}
