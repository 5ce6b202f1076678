//! Swap areas: the disks that carry a swap header, their slots, and page I/O to them
//! (docs/KERNEL.md, "Block devices and swap areas"; Linux's mm/swapfile.c).
//!
//! At boot every virtio disk whose first page is a swap header (mkswap's: `SWAPSPACE2` in
//! the last 10 bytes, version 1, last_page, the bad-page list; read by
//! `mm_core::swap_map::parse_header`) becomes a swap area, as `swapon -a` with one fstab
//! line per disk would make it; swapon(2) and swapoff(2) enable and disable one later. An
//! area's number (the swap "type" a [`SwapEntry`] carries) is the lowest free one, as
//! Linux's alloc_swap_info picks it. Priorities are Linux's defaults: -2 for the first area
//! enabled without a priority, -3 for the next, ...; [`alloc_slot`] takes from the area of
//! highest priority with a free slot. Bad pages listed in the header are skipped (never
//! handed out; SwapTotal leaves them out), as Linux does.
//!
//! Slot bookkeeping (which slots are in use, by how many page-table entries) is
//! `mm_core::swap_map::SlotMap`, a bit per slot in lazily allocated chunks; page I/O is one
//! synchronous request to the disk per page (`drivers::virtio_blk`), slot `n` being the
//! page at byte `n × 4096` of the disk. pswpin and pswpout are the memory manager's to
//! count; pgpgin and pgpgout are counted by the driver for every page moved.

use crate::drivers::virtio_blk::{self, BlkError, SECTORS_PER_PAGE};
use crate::errno::Errno;
use alloc::vec::Vec;
use core::fmt::Write;
use mm_core::swap::{SwapEntry, MAX_AREAS, MAX_OFFSET};
use mm_core::swap_map::{parse_header, HeaderError, SlotMap};
use spin::Mutex;

/// Why a swap page could not be read or written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SwapIoError {
    /// The entry names no active area, or a slot outside it.
    NoSuchSlot,
    /// The slot is not in use (nothing was allocated there).
    FreeSlot,
    /// The disk failed the request (logged by the driver).
    Device(BlkError),
}

/// An active swap area.
struct Area {
    /// The disk (index in the driver's probe order).
    disk: usize,
    map: SlotMap,
    prio: i32,
    /// Slots may be allocated (Linux's SWP_WRITEOK): false while swapoff empties it.
    writeok: bool,
}

struct Areas {
    by_type: [Option<Area>; MAX_AREAS],
    /// The priority the last area enabled without one got (Linux's least_priority).
    least_priority: i32,
}

static AREAS: Mutex<Areas> = Mutex::new(Areas {
    by_type: [const { None }; MAX_AREAS],
    least_priority: -1,
});

/// The device path of disk `disk`.
fn path(disk: usize) -> alloc::string::String {
    alloc::format!("/dev/{}", virtio_blk::name(disk).unwrap_or("?"))
}

/// Enables every disk with a swap header, in probe order (boot's `swapon -a`).
pub fn swapon_all() {
    for disk in 0..virtio_blk::count() {
        let mut page = [0u8; 4096];
        let is_swap = virtio_blk::read_page(disk, 0, &mut page).is_ok()
            && parse_header(&page) != Err(HeaderError::NoSignature);
        if !is_swap {
            log::debug!("{}: no swap signature, not swap", path(disk));
            continue;
        }
        let _ = enable(disk, None, &page);
    }
}

/// Enables disk `disk` as a swap area with priority `prio` (the next default one when
/// `None`); returns the area's number. EBUSY when it is one already, EINVAL when its first
/// page is no usable swap header (logged as Linux logs it), EIO when it cannot be read,
/// EPERM when all [`MAX_AREAS`] areas are in use.
pub fn swapon(disk: usize, prio: Option<i32>) -> Result<u8, Errno> {
    if area_on(disk) {
        return Err(Errno::EBUSY);
    }
    let mut page = [0u8; 4096];
    virtio_blk::read_page(disk, 0, &mut page).map_err(|_| Errno::EIO)?;
    enable(disk, prio, &page)
}

/// Whether disk `disk` is a swap area.
fn area_on(disk: usize) -> bool {
    AREAS
        .lock()
        .by_type
        .iter()
        .flatten()
        .any(|a| a.disk == disk)
}

/// [`swapon`] with the disk's first page read.
fn enable(disk: usize, prio: Option<i32>, page: &[u8; 4096]) -> Result<u8, Errno> {
    let name = path(disk);
    if area_on(disk) {
        return Err(Errno::EBUSY);
    }
    let sectors = virtio_blk::capacity(disk).ok_or(Errno::EINVAL)?;
    let header = match parse_header(page) {
        Ok(h) => h,
        Err(e) => {
            match e {
                HeaderError::NoSignature => log::error!("Unable to find swap-space signature"),
                HeaderError::Version(v) => log::warn!("Unable to handle swap header version {v}"),
                HeaderError::Empty => log::warn!("Empty swap-file"),
                HeaderError::TooManyBadPages(_) | HeaderError::BadPageOutOfRange(_) => {
                    log::warn!("{name}: bad swap header ({e:?})")
                }
            }
            return Err(Errno::EINVAL);
        }
    };
    let last = u64::from(header.last_page).min(MAX_OFFSET);
    if (last + 1) * SECTORS_PER_PAGE > sectors {
        log::warn!("Swap area shorter than signature indicates");
        return Err(Errno::EINVAL);
    }
    let map = SlotMap::new(last, &header.bad).map_err(|_| Errno::EINVAL)?;
    let mut areas = AREAS.lock();
    let Some(t) = areas.by_type.iter().position(Option::is_none) else {
        return Err(Errno::EPERM);
    };
    let prio = prio.unwrap_or_else(|| {
        areas.least_priority -= 1;
        areas.least_priority
    });
    let kb = map.total() * (mm_core::PAGE_SIZE >> 10);
    // Linux's line, whose flags (SS, D, s, c) are all empty here: the disk is not known to
    // be solid-state and no discard is done; hence the space at the end.
    log::info!("Adding {kb}k swap on {name}.  Priority:{prio} extents:1 across:{kb}k ");
    areas.by_type[t] = Some(Area {
        disk,
        map,
        prio,
        writeok: true,
    });
    Ok(t as u8)
}

/// Disables the swap area on disk `disk`. EINVAL when it is not one. When slots are in
/// use, their pages are first brought back into memory (`mm::swap::unuse_area`; `cur` is
/// the calling process's space, out of the process table); the area takes no new slot
/// meanwhile, and is enabled again, with what is still in it, if that fails (ENOMEM when
/// memory runs out, as Linux).
pub fn swapoff(disk: usize, cur: Option<&mut super::space::AddressSpace>) -> Result<(), Errno> {
    let t = {
        let mut areas = AREAS.lock();
        let Some(t) = areas
            .by_type
            .iter()
            .position(|a| a.as_ref().is_some_and(|a| a.disk == disk && a.writeok))
        else {
            return Err(Errno::EINVAL);
        };
        let a = areas.by_type[t].as_mut().ok_or(Errno::EINVAL)?;
        a.writeok = false;
        (t, a.map.in_use())
    };
    let (t, in_use) = t;
    // Segments swapped out whole (`mm::segmem`) hold slots no page table names: their
    // processes must come back (or end) first.
    let held = super::segmem::slots_in_area(t as u8);
    if held > 0 {
        log::warn!(
            "swapoff of {}: {held} slots hold swapped-out segments (EBUSY; the area stays)",
            path(disk)
        );
        if let Some(a) = AREAS.lock().by_type[t].as_mut() {
            a.writeok = true;
        }
        return Err(Errno::EBUSY);
    }
    if in_use > 0 {
        if let Err(e) = super::swap::unuse_area(cur, t as u8) {
            log::warn!(
                "swapoff of {}: {} (the area stays, with what is still in it)",
                path(disk),
                e.name()
            );
            if let Some(a) = AREAS.lock().by_type[t].as_mut() {
                a.writeok = true;
            }
            return Err(e);
        }
    }
    let mut areas = AREAS.lock();
    let Some(gone) = areas.by_type[t].take() else {
        return Err(Errno::EINVAL);
    };
    // As Linux: an area with a default (negative) priority leaves its place to the ones
    // enabled after it, which move up one.
    if gone.prio < 0 {
        for a in areas.by_type.iter_mut().flatten() {
            if a.prio < gone.prio {
                a.prio += 1;
            }
        }
        areas.least_priority += 1;
    }
    Ok(())
}

/// A free slot in the active area of highest priority that has one, in use once; `None`
/// when swap is full or there is none.
pub fn alloc_slot() -> Option<SwapEntry> {
    let mut areas = AREAS.lock();
    let (t, a) = areas
        .by_type
        .iter_mut()
        .enumerate()
        .filter_map(|(t, a)| Some((t, a.as_mut()?)))
        .filter(|(_, a)| a.writeok && a.map.free_slots() > 0)
        .max_by_key(|(t, a)| (a.prio, core::cmp::Reverse(*t)))?;
    let slot = a.map.alloc()?;
    Some(SwapEntry::new(t as u8, slot))
}

/// The last slot of area `area` and how many of its slots are in use (None: no such area).
pub fn area_slots(area: u8) -> Option<(u64, u64)> {
    let areas = AREAS.lock();
    let a = areas.by_type.get(area as usize)?.as_ref()?;
    Some((a.map.last(), a.map.in_use()))
}

/// Runs `f` on the area `e` names (writable or being emptied).
fn with_area<T>(e: SwapEntry, f: impl FnOnce(&mut Area) -> T) -> Option<T> {
    let mut areas = AREAS.lock();
    areas.by_type.get_mut(e.area as usize)?.as_mut().map(f)
}

/// One more user of `e` (fork copying a swap PTE); false when `e` is not in use or its
/// count is at its maximum.
pub fn dup(e: SwapEntry) -> bool {
    with_area(e, |a| a.map.dup(e.offset)).unwrap_or(false)
}

/// One user fewer of `e`; the slot is free when the last one goes.
pub fn free(e: SwapEntry) {
    let freed = with_area(e, |a| {
        let used = a.map.count(e.offset) > 0;
        a.map.free(e.offset);
        used
    });
    if freed != Some(true) {
        log::error!("free of a swap entry not in use: {e:?}");
    }
}

/// The users of `e` (0: free, or no such slot).
pub fn use_count(e: SwapEntry) -> u32 {
    with_area(e, |a| a.map.count(e.offset)).unwrap_or(0)
}

/// The disk and sector of `e`'s slot, if the slot is in use.
fn place(e: SwapEntry) -> Result<(usize, u64), SwapIoError> {
    with_area(e, |a| {
        if e.offset == 0 || e.offset > a.map.last() {
            Err(SwapIoError::NoSuchSlot)
        } else if a.map.count(e.offset) == 0 {
            Err(SwapIoError::FreeSlot)
        } else {
            Ok((a.disk, e.offset * SECTORS_PER_PAGE))
        }
    })
    .unwrap_or(Err(SwapIoError::NoSuchSlot))
}

/// Writes `page` to `e`'s slot (in use): one request to the disk.
pub fn write_page(e: SwapEntry, page: &[u8; 4096]) -> Result<(), SwapIoError> {
    let (disk, sector) = place(e)?;
    virtio_blk::write_page(disk, sector, page).map_err(SwapIoError::Device)
}

/// Reads `e`'s slot (in use) into `page`: one request to the disk.
pub fn read_page(e: SwapEntry, page: &mut [u8; 4096]) -> Result<(), SwapIoError> {
    let (disk, sector) = place(e)?;
    virtio_blk::read_page(disk, sector, page).map_err(SwapIoError::Device)
}

/// Usable slots of the areas that take new pages (SwapTotal, in pages).
pub fn total_pages() -> u64 {
    sum_over_writable(|m| m.total())
}

/// Free slots of those areas (SwapFree, in pages).
pub fn free_pages() -> u64 {
    sum_over_writable(|m| m.free_slots())
}

/// The sum of `f` over the slot maps of the areas that take new pages.
fn sum_over_writable(f: impl Fn(&SlotMap) -> u64) -> u64 {
    let areas = AREAS.lock();
    areas
        .by_type
        .iter()
        .flatten()
        .filter(|a| a.writeok)
        .map(|a| f(&a.map))
        .sum()
}

/// /proc/swaps, as Linux 6.1's swap_show writes it: a header line, then per area its path
/// padded to 40 columns, `partition`, size and used in kB, priority, tab-separated (a
/// second tab after a number below 10 000 000).
pub fn proc_swaps() -> alloc::string::String {
    let mut out = alloc::string::String::from("Filename\t\t\t\tType\t\tSize\t\tUsed\t\tPriority\n");
    let rows: Vec<(usize, u64, u64, i32)> = {
        let areas = AREAS.lock();
        areas
            .by_type
            .iter()
            .flatten()
            .map(|a| (a.disk, a.map.total(), a.map.in_use(), a.prio))
            .collect()
    };
    let kb = mm_core::PAGE_SIZE >> 10;
    for (disk, size, used, prio) in rows {
        let name = path(disk);
        let pad = if name.len() < 40 { 40 - name.len() } else { 1 };
        let (size, used) = (size * kb, used * kb);
        let tab = |n: u64| if n < 10_000_000 { "\t" } else { "" };
        let _ = writeln!(
            out,
            "{name}{:pad$}partition\t{size}\t{}{used}\t{}{prio}",
            "",
            tab(size),
            tab(used)
        );
    }
    out
}

/// The `swap_selftest` boot option: writes a pattern to the first area's last slot (taken
/// for the test if free, then freed), flushes the disk, reads the slot back into another
/// page and compares; logs the result.
pub fn self_test() {
    let taken = {
        let mut areas = AREAS.lock();
        areas.by_type.iter_mut().enumerate().find_map(|(t, a)| {
            let a = a.as_mut()?;
            let last = a.map.last();
            a.map.take(last).then(|| SwapEntry::new(t as u8, last))
        })
    };
    let Some(e) = taken else {
        log::info!("swap self-test: no swap area with a free last slot");
        return;
    };
    let mut out = alloc::boxed::Box::new([0u8; 4096]);
    for (i, b) in out.iter_mut().enumerate() {
        *b = ((i as u64).wrapping_mul(0x9e37_79b9) >> 7) as u8 ^ (i >> 8) as u8 ^ e.offset as u8;
    }
    let mut back = alloc::boxed::Box::new([0u8; 4096]);
    let result = write_page(e, &out)
        .and_then(|()| {
            let disk = with_area(e, |a| a.disk).ok_or(SwapIoError::NoSuchSlot)?;
            virtio_blk::flush(disk).map_err(SwapIoError::Device)
        })
        .and_then(|()| read_page(e, &mut back));
    let name = with_area(e, |a| path(a.disk)).unwrap_or_default();
    match result {
        Ok(()) if out == back => log::info!(
            "swap self-test: slot {} of {name} written and read back: ok",
            e.offset
        ),
        Ok(()) => log::error!(
            "swap self-test: slot {} of {name} read back DIFFERENT from what was written",
            e.offset
        ),
        Err(err) => log::error!("swap self-test: slot {} of {name}: {err:?}", e.offset),
    }
    free(e);
}
