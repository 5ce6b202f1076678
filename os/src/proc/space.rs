//! A user address space: a root table whose upper half is the kernel's (the same
//! lower-level tables, so kernel mappings are shared) and whose lower half maps the process.
//!
//! This stage maps eagerly (the ELF's segments, the stack, brk growth); demand paging with
//! VMAs comes next. User PTEs are made with A set, and D set on writable pages, so no A/D
//! update is needed under Svade either (reclaim will want A cleared later).
//!
//! The kernel reads and writes user memory only through [`AddressSpace::copy_in`] and
//! [`AddressSpace::copy_out`], which walk the tables in software and refuse anything not
//! mapped with U and the needed permission, so a bad user pointer is an error (EFAULT),
//! never a kernel fault.

use crate::arch::csr;
use crate::mm::frame;
use crate::mm::kpt::KernelSpace;
use crate::mm::layout::phys_to_virt;
use mm_core::page::PageFlags;
use mm_core::paging::{self, MapError, PagingMode, TableAccess, Translation, ENTRIES};
use mm_core::pte::{Pte, PteFlags};
use mm_core::{PhysAddr, VirtAddr, PAGE_SIZE};

/// Tables in RAM through the direct map, new ones from the buddy allocator.
pub struct FrameTables;

#[allow(unsafe_code)]
impl TableAccess for FrameTables {
    fn alloc_table(&mut self) -> Option<PhysAddr> {
        let pa = frame::alloc(0)?;
        frame::mark(pa, PageFlags::PAGETABLE);
        zero_frame(pa);
        Some(pa)
    }
    fn read(&self, table: PhysAddr, index: usize) -> Pte {
        let p = phys_to_virt(table).0 as *const u64;
        // SAFETY: `table` is a page-table frame (mapped by the direct map); index < 512.
        Pte(unsafe { p.add(index).read_volatile() })
    }
    fn write(&mut self, table: PhysAddr, index: usize, pte: Pte) {
        let p = phys_to_virt(table).0 as *mut u64;
        // SAFETY: as in read; volatile because the hardware walker reads these words.
        unsafe { p.add(index).write_volatile(pte.0) }
    }
}

/// Fills a frame with zeros.
#[allow(unsafe_code)]
pub fn zero_frame(pa: PhysAddr) {
    // SAFETY: the caller owns the frame, which the direct map covers.
    unsafe { core::ptr::write_bytes(phys_to_virt(pa).0 as *mut u8, 0, PAGE_SIZE as usize) }
}

/// Why user memory could not be reached.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Fault(pub VirtAddr);

/// A process's address space.
pub struct AddressSpace {
    pub mode: PagingMode,
    pub root: PhysAddr,
    pub asid: u16,
}

impl AddressSpace {
    /// A new space sharing the kernel's upper half.
    pub fn new(kernel: KernelSpace, asid: u16) -> Option<AddressSpace> {
        let mut t = FrameTables;
        let root = t.alloc_table()?;
        for i in ENTRIES / 2..ENTRIES {
            t.write(root, i, t.read(kernel.root, i));
        }
        Some(AddressSpace {
            mode: kernel.mode,
            root,
            asid,
        })
    }

    /// satp for this space.
    pub fn satp(&self) -> u64 {
        self.mode.satp(self.root, self.asid)
    }

    /// Maps a fresh zeroed frame at `va` (page-aligned, in the user half) with `flags`
    /// (U, A, and D when writable, are added).
    pub fn map_zeroed(&mut self, va: VirtAddr, flags: PteFlags) -> Result<PhysAddr, MapError> {
        if va.0 >= self.mode.user_end().0 {
            return Err(MapError::NotCanonical(va));
        }
        let pa = frame::alloc(0).ok_or(MapError::OutOfMemory)?;
        zero_frame(pa);
        let mut f = flags | PteFlags::U | PteFlags::A;
        if f.contains(PteFlags::W) {
            f |= PteFlags::D | PteFlags::R;
        }
        match paging::map(self.mode, self.root, va, pa, 0, f, &mut FrameTables) {
            Ok(flush) => {
                csr::sfence_va(flush.0 .0);
                Ok(pa)
            }
            Err(e) => {
                frame::free(pa, 0);
                Err(e)
            }
        }
    }

    /// What maps `va`, if anything.
    pub fn translate(&self, va: VirtAddr) -> Option<Translation> {
        paging::translate(self.mode, self.root, va, &FrameTables)
    }

    /// Adds permissions to the 4 KiB leaf at `va` (two segments sharing a page).
    pub fn add_flags(&mut self, va: VirtAddr, flags: PteFlags) {
        let Some(t) = self.translate(va) else { return };
        if t.flags.contains(flags) {
            return;
        }
        if let Some((table, i)) = self.leaf_slot(va) {
            let pte = Pte::leaf(t.pa.align_down(PAGE_SIZE), t.flags | flags);
            FrameTables.write(table, i, pte);
            csr::sfence_va(va.0);
        }
    }

    /// Replaces the permissions of the 4 KiB leaf at `va` with `flags` (U and A added, D
    /// when writable); false when nothing is mapped there. `flags` must hold R, W or X.
    pub fn set_flags(&mut self, va: VirtAddr, flags: PteFlags) -> bool {
        let Some(t) = self.translate(va) else {
            return false;
        };
        let Some((table, i)) = self.leaf_slot(va) else {
            return false;
        };
        let mut f = flags | PteFlags::U | PteFlags::A;
        if f.contains(PteFlags::W) {
            f |= PteFlags::D | PteFlags::R;
        }
        FrameTables.write(table, i, Pte::leaf(t.pa.align_down(PAGE_SIZE), f));
        csr::sfence_va(va.0);
        true
    }

    /// Unmaps the 4 KiB page at `va` and frees its frame; false when nothing was mapped.
    pub fn unmap(&mut self, va: VirtAddr) -> bool {
        let Some((table, i)) = self.leaf_slot(va) else {
            return false;
        };
        let pte = FrameTables.read(table, i);
        if !pte.is_leaf() {
            return false;
        }
        FrameTables.write(table, i, Pte::INVALID);
        csr::sfence_va(va.0);
        frame::free(pte.addr(), 0);
        true
    }

    /// The table and index holding the level-0 PTE of `va`, when the walk gets there.
    fn leaf_slot(&self, va: VirtAddr) -> Option<(PhysAddr, usize)> {
        let mut table = self.root;
        for level in (1..self.mode.levels).rev() {
            let pte = FrameTables.read(table, PagingMode::index(va, level));
            if !pte.is_valid() || pte.is_leaf() {
                return None;
            }
            table = pte.addr();
        }
        Some((table, PagingMode::index(va, 0)))
    }

    /// The physical address of user byte `va` if it is mapped with U and `need`.
    fn user_pa(&self, va: VirtAddr, need: PteFlags) -> Result<PhysAddr, Fault> {
        if va.0 >= self.mode.user_end().0 {
            return Err(Fault(va));
        }
        match self.translate(va) {
            Some(t) if t.flags.contains(PteFlags::U | need) => Ok(t.pa),
            _ => Err(Fault(va)),
        }
    }

    /// Copies `buf.len()` bytes from user address `va`.
    #[allow(unsafe_code)]
    pub fn copy_in(&self, va: VirtAddr, buf: &mut [u8]) -> Result<(), Fault> {
        let mut done = 0;
        while done < buf.len() {
            let at = va.add(done as u64);
            let pa = self.user_pa(at, PteFlags::R)?;
            let n = ((PAGE_SIZE - (at.0 % PAGE_SIZE)) as usize).min(buf.len() - done);
            let src = phys_to_virt(pa).0 as *const u8;
            // SAFETY: `pa..pa + n` lies in one user frame (n stops at the page end), reached
            // through the direct map; `buf` is a distinct kernel buffer.
            unsafe { core::ptr::copy_nonoverlapping(src, buf[done..].as_mut_ptr(), n) };
            done += n;
        }
        Ok(())
    }

    /// Copies `data` to user address `va` (the pages must be writable by the user, unless
    /// `force`, which the kernel uses to fill read-only segments it maps).
    #[allow(unsafe_code)]
    pub fn copy_out(&self, va: VirtAddr, data: &[u8], force: bool) -> Result<(), Fault> {
        let need = if force {
            PteFlags::empty()
        } else {
            PteFlags::W
        };
        let mut done = 0;
        while done < data.len() {
            let at = va.add(done as u64);
            let pa = self.user_pa(at, need)?;
            let n = ((PAGE_SIZE - (at.0 % PAGE_SIZE)) as usize).min(data.len() - done);
            let dst = phys_to_virt(pa).0 as *mut u8;
            // SAFETY: as in copy_in, the other way.
            unsafe { core::ptr::copy_nonoverlapping(data[done..].as_ptr(), dst, n) };
            done += n;
        }
        Ok(())
    }
}
