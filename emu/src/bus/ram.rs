//! Guest RAM: one anonymous host mapping, sparse by construction.
//!
//! The whole `--mem` range is reserved with `mmap(MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE)`;
//! the host kernel backs a page only when the guest first writes it, so a 16 GiB guest that
//! touches 10 MiB costs about 10 MiB of host memory. Reads of untouched memory see zeros, as
//! the guest expects of RAM that nothing has written.
//!
//! This is the only module that holds a raw host pointer to guest memory; the hart's fast path
//! borrows it through [`Ram::host_ptr`] after checking the range with [`Ram::contains`].

use crate::addr::PhysAddr;
use thiserror::Error;

/// Where RAM starts on the QEMU `virt` machine.
pub const RAM_BASE: u64 = 0x8000_0000;

/// Errors creating or loading RAM.
#[derive(Debug, Error)]
pub enum RamError {
    #[error("memory size {0:#x} is not a positive multiple of 4 KiB")]
    BadSize(u64),
    #[error("cannot reserve {size} bytes of guest memory on the host: {err}")]
    Map { size: u64, err: std::io::Error },
    #[error("range {start}..+{len:#x} is outside guest RAM")]
    OutOfRange { start: PhysAddr, len: u64 },
}

/// The guest's RAM.
pub struct Ram {
    base: u64,
    size: u64,
    ptr: *mut u8,
}

// SAFETY: `Ram` owns its mapping exclusively; moving it to another thread moves that ownership.
unsafe impl Send for Ram {}

impl Ram {
    /// Reserves `size` bytes of zeroed guest RAM at [`RAM_BASE`].
    pub fn new(size: u64) -> Result<Ram, RamError> {
        if size == 0 || size % 4096 != 0 {
            return Err(RamError::BadSize(size));
        }
        let len = usize::try_from(size).map_err(|_| RamError::BadSize(size))?;
        // SAFETY: an anonymous private mapping at a kernel-chosen address has no aliasing
        // requirements; the result is checked against MAP_FAILED before use.
        let ptr = unsafe {
            libc::mmap(
                core::ptr::null_mut(),
                len,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_NORESERVE,
                -1,
                0,
            )
        };
        if ptr == libc::MAP_FAILED {
            return Err(RamError::Map {
                size,
                err: std::io::Error::last_os_error(),
            });
        }
        Ok(Ram {
            base: RAM_BASE,
            size,
            ptr: ptr.cast(),
        })
    }

    /// First physical address of RAM.
    #[inline(always)]
    pub fn base(&self) -> u64 {
        self.base
    }

    /// Size in bytes.
    #[inline(always)]
    pub fn size(&self) -> u64 {
        self.size
    }

    /// Whether `[pa, pa + len)` lies wholly inside RAM.
    #[inline(always)]
    pub fn contains(&self, pa: PhysAddr, len: u64) -> bool {
        let off = pa.0.wrapping_sub(self.base);
        off < self.size && len <= self.size - off
    }

    /// Host pointer to the byte at `pa`. The caller must have checked [`Ram::contains`] for
    /// the bytes it will touch; the pointer stays valid for as long as `self` lives.
    #[inline(always)]
    pub fn host_ptr(&self, pa: PhysAddr) -> *mut u8 {
        debug_assert!(self.contains(pa, 1));
        self.ptr.wrapping_add((pa.0 - self.base) as usize)
    }

    /// [`Ram::contains`] for a constant length of at most 4 KiB, with one comparison: RAM's
    /// size is a positive multiple of 4 KiB ([`Ram::new`]), so `size - N` cannot wrap.
    #[inline(always)]
    pub fn contains_n<const N: usize>(&self, pa: PhysAddr) -> bool {
        const { assert!(N <= 4096) };
        pa.0.wrapping_sub(self.base) <= self.size - N as u64
    }

    /// Reads `N` little-endian bytes at `pa`, or `None` when the range is not RAM.
    #[inline(always)]
    pub fn read<const N: usize>(&self, pa: PhysAddr) -> Option<[u8; N]> {
        if !self.contains_n::<N>(pa) {
            return None;
        }
        let mut out = [0u8; N];
        // SAFETY: the range was checked to lie inside the mapping; guest RAM is plain bytes, so
        // an unaligned copy of any N of them is valid.
        unsafe { core::ptr::copy_nonoverlapping(self.host_ptr(pa), out.as_mut_ptr(), N) };
        Some(out)
    }

    /// Writes `N` bytes at `pa`; false when the range is not RAM.
    #[inline(always)]
    pub fn write<const N: usize>(&mut self, pa: PhysAddr, bytes: [u8; N]) -> bool {
        if !self.contains_n::<N>(pa) {
            return false;
        }
        // SAFETY: range checked above; `&mut self` guarantees no other Rust reference into RAM.
        unsafe { core::ptr::copy_nonoverlapping(bytes.as_ptr(), self.host_ptr(pa), N) };
        true
    }

    /// [`Ram::write`] without the bounds check.
    ///
    /// # Safety
    /// `[pa, pa + N)` must lie inside RAM ([`Ram::contains_n`]); debug builds assert it.
    #[inline(always)]
    pub unsafe fn write_unchecked<const N: usize>(&mut self, pa: PhysAddr, bytes: [u8; N]) {
        debug_assert!(self.contains_n::<N>(pa));
        // SAFETY: the caller guarantees the range lies inside the mapping; `&mut self`
        // guarantees no other Rust reference into RAM.
        unsafe { core::ptr::copy_nonoverlapping(bytes.as_ptr(), self.host_ptr(pa), N) };
    }

    /// Reads `N` (1, 2, 4 or 8) bytes at `pa` as a little-endian value, zero-extended; `None`
    /// when the range is not RAM. The hart's loads and fetches use this.
    #[inline(always)]
    pub fn read_le<const N: usize>(&self, pa: PhysAddr) -> Option<u64> {
        let b = self.read::<N>(pa)?;
        let mut w = [0u8; 8];
        w[..N].copy_from_slice(&b);
        Some(u64::from_le_bytes(w))
    }

    /// [`Ram::read_le`] without the bounds check.
    ///
    /// # Safety
    /// `[pa, pa + N)` must lie inside RAM ([`Ram::contains_n`]); debug builds assert it.
    #[inline(always)]
    pub unsafe fn read_le_unchecked<const N: usize>(&self, pa: PhysAddr) -> u64 {
        debug_assert!(self.contains_n::<N>(pa));
        let mut w = [0u8; 8];
        // SAFETY: the caller guarantees the range lies inside the mapping; guest RAM is plain
        // bytes, so an unaligned copy of any N of them is valid.
        unsafe { core::ptr::copy_nonoverlapping(self.host_ptr(pa), w.as_mut_ptr(), N) };
        u64::from_le_bytes(w)
    }

    /// Reads a little-endian u64 (used by the loader, snapshots and the page-table dumper).
    pub fn read_u64(&self, pa: PhysAddr) -> Option<u64> {
        self.read_le::<8>(pa)
    }

    /// Copies `data` into RAM at `pa` (ELF loading, device tree, initrd).
    pub fn write_bytes(&mut self, pa: PhysAddr, data: &[u8]) -> Result<(), RamError> {
        let len = data.len() as u64;
        if !self.contains(pa, len) {
            return Err(RamError::OutOfRange { start: pa, len });
        }
        // SAFETY: range checked; `data` is a host slice, so it cannot overlap the guest mapping
        // through a `&mut self` borrow.
        unsafe { core::ptr::copy_nonoverlapping(data.as_ptr(), self.host_ptr(pa), data.len()) };
        Ok(())
    }

    /// The `len` bytes at `pa` as a host slice, or `None` when the range is not wholly RAM.
    /// Devices use it to move a whole buffer with one host call (virtio-blk's pwrite).
    pub fn slice(&self, pa: PhysAddr, len: u64) -> Option<&[u8]> {
        if !self.contains(pa, len) {
            return None;
        }
        // SAFETY: the range lies inside the mapping (checked above), which lives as long as
        // `self`; the shared borrow of `self` keeps every writer out while the slice lives.
        Some(unsafe { core::slice::from_raw_parts(self.host_ptr(pa), len as usize) })
    }

    /// [`Ram::slice`], writable (virtio-blk's pread lands here).
    pub fn slice_mut(&mut self, pa: PhysAddr, len: u64) -> Option<&mut [u8]> {
        if !self.contains(pa, len) {
            return None;
        }
        // SAFETY: as in `slice`; the exclusive borrow of `self` makes this the only live
        // reference into guest RAM.
        Some(unsafe { core::slice::from_raw_parts_mut(self.host_ptr(pa), len as usize) })
    }

    /// Copies `out.len()` bytes from RAM at `pa`.
    pub fn read_bytes(&self, pa: PhysAddr, out: &mut [u8]) -> Result<(), RamError> {
        let len = out.len() as u64;
        if !self.contains(pa, len) {
            return Err(RamError::OutOfRange { start: pa, len });
        }
        // SAFETY: range checked; `out` is a distinct host buffer.
        unsafe { core::ptr::copy_nonoverlapping(self.host_ptr(pa), out.as_mut_ptr(), out.len()) };
        Ok(())
    }
}

impl Drop for Ram {
    fn drop(&mut self) {
        // SAFETY: `ptr`/`size` are exactly the mapping created in `new`, unmapped once here.
        unsafe { libc::munmap(self.ptr.cast(), self.size as usize) };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_and_writes_inside_and_refuses_outside() {
        let mut ram = Ram::new(1 << 20).unwrap();
        assert!(ram.write(
            PhysAddr(RAM_BASE + 8),
            0x1122_3344_5566_7788u64.to_le_bytes()
        ));
        assert_eq!(
            ram.read_u64(PhysAddr(RAM_BASE + 8)),
            Some(0x1122_3344_5566_7788)
        );
        assert_eq!(ram.read::<4>(PhysAddr(RAM_BASE + (1 << 20) - 2)), None);
        assert_eq!(ram.read::<1>(PhysAddr(RAM_BASE - 1)), None);
        assert!(ram
            .write_bytes(PhysAddr(RAM_BASE + (1 << 20) - 1), &[1, 2])
            .is_err());
    }

    #[test]
    fn the_one_comparison_bounds_check_agrees_with_contains() {
        let ram = Ram::new(1 << 20).unwrap();
        let end = RAM_BASE + (1 << 20);
        for pa in [
            0,
            RAM_BASE - 8,
            RAM_BASE - 1,
            RAM_BASE,
            RAM_BASE + 4,
            end - 9,
            end - 8,
        ]
        .into_iter()
        .chain([
            end - 7,
            end - 4,
            end - 1,
            end,
            end + 8,
            u64::MAX - 3,
            u64::MAX,
        ]) {
            let pa = PhysAddr(pa);
            assert_eq!(ram.contains_n::<1>(pa), ram.contains(pa, 1), "{pa}");
            assert_eq!(ram.contains_n::<2>(pa), ram.contains(pa, 2), "{pa}");
            assert_eq!(ram.contains_n::<4>(pa), ram.contains(pa, 4), "{pa}");
            assert_eq!(ram.contains_n::<8>(pa), ram.contains(pa, 8), "{pa}");
            assert_eq!(ram.contains_n::<4096>(pa), ram.contains(pa, 4096), "{pa}");
        }
    }

    #[test]
    fn a_large_guest_costs_nothing_until_touched() {
        // 16 GiB reserved; only one page is touched.
        let mut ram = Ram::new(16 << 30).unwrap();
        assert_eq!(ram.read_u64(PhysAddr(RAM_BASE + (8 << 30))), Some(0));
        assert!(ram.write(PhysAddr(RAM_BASE + (16 << 30) - 8), [7u8; 8]));
    }

    #[test]
    fn bad_sizes_are_refused() {
        assert!(matches!(Ram::new(0), Err(RamError::BadSize(0))));
        assert!(matches!(Ram::new(4095), Err(RamError::BadSize(_))));
    }
}
