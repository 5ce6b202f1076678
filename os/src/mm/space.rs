//! A user address space: a root table whose upper half is the kernel's (the same
//! lower-level tables, so kernel mappings are shared) and whose lower half maps the process.
//!
//! Pages are mapped on demand (NOTES.md, "Page faults": allocation is lazy, the first touch
//! faults and the handler allocates and maps a frame): [`AddressSpace::fault_in`] finds the
//! area (`mm_core::vma`), checks the access against its permissions (outside any area or
//! against them: the caller sends SIGSEGV), fills a fresh frame from the area's backing
//! and maps it. Each such fault is a minor fault (nothing waits for I/O: the initramfs is
//! in memory) and counts in `pgfault` and the process's `minflt`, as Linux counts them; a
//! page read back from swap ([`AddressSpace::swap_in`]) is a major fault. User PTEs are
//! made with A set, and D set on writable pages; reclaim clears A to see whether a page is
//! used ([`AddressSpace::test_and_clear_young`]), and under Svade the next access faults
//! here and A is set again.
//!
//! After a fork, frames of writable areas are shared copy-on-write (present without W in
//! both spaces; their refcount says how many hold them): [`AddressSpace::fault_in`] copies
//! one on the first store, or makes it writable again once it is the only holder.
//!
//! The kernel reads and writes user memory only through [`AddressSpace::copy_in`] and
//! [`AddressSpace::copy_out`], which walk the tables in software and fault pages in as a
//! user access would, so a bad user pointer is an error (EFAULT), never a kernel fault.

use crate::arch::csr;
use crate::mm::frame;
use crate::mm::kpt::KernelSpace;
use crate::mm::layout::phys_to_virt;
use core::sync::atomic::{AtomicU64, Ordering};
use mm_core::page::PageFlags;
use mm_core::paging::{self, PagingMode, TableAccess, Translation, ENTRIES};
use mm_core::pte::{Pte, PteFlags};
use mm_core::swap::SwapEntry;
use mm_core::vma::{self, Vmas};
use mm_core::{PhysAddr, VirtAddr, PAGE_SHIFT, PAGE_SIZE};

/// Tables in RAM through the direct map, new ones from the buddy allocator.
pub struct FrameTables;

impl TableAccess for FrameTables {
    fn alloc_table(&mut self) -> Option<PhysAddr> {
        let pa = frame::alloc(0)?;
        frame::mark(pa, PageFlags::PAGETABLE);
        zero_frame(pa);
        Some(pa)
    }
    fn read(&self, table: PhysAddr, index: usize) -> Pte {
        crate::mm::kpt::read_pte(table, index)
    }
    fn write(&mut self, table: PhysAddr, index: usize, pte: Pte) {
        crate::mm::kpt::write_pte(table, index, pte)
    }
}

/// Fills a frame with zeros.
#[allow(unsafe_code)]
pub fn zero_frame(pa: PhysAddr) {
    // SAFETY: the caller owns the frame, which the direct map covers.
    unsafe { core::ptr::write_bytes(phys_to_virt(pa).0 as *mut u8, 0, PAGE_SIZE as usize) }
}

/// RLIMIT_STACK's default (8 MiB): how far the stack area may grow.
pub const DEFAULT_STACK_LIMIT: u64 = 8 << 20;
/// Linux's stack_guard_gap (256 pages): no other area may come this close below a stack.
pub const STACK_GUARD_GAP: u64 = 256 * PAGE_SIZE;

/// Faults handled, in all processes (Linux's `pgfault` in /proc/vmstat).
pub use crate::mm::vmstat::PGFAULT;

/// Why user memory could not be reached.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Fault(pub VirtAddr);

/// A process's address space.
pub struct AddressSpace {
    pub mode: PagingMode,
    pub root: PhysAddr,
    pub asid: u16,
    pub vmas: Vmas,
    /// Minor faults (no I/O waited for).
    pub minflt: u64,
    /// How far the stack area may grow (the process's RLIMIT_STACK soft limit).
    pub stack_limit: u64,
    /// Pages present (resident: /proc/PID/status VmRSS) and their high-water mark (VmHWM).
    pub resident: u64,
    pub resident_peak: u64,
    /// The largest total size of the areas so far (VmPeak), in bytes; see [`Self::note_size`].
    pub size_peak: u64,
    /// The reverse map's family (`mm_core::rmap`): the spaces a fork tree shares frames
    /// with. A new program starts one; fork keeps it.
    pub family: u64,
    /// Pages swapped out (PTEs holding a swap entry: /proc/PID/status VmSwap).
    pub swapped: u64,
    /// Major faults (those that waited for I/O: a page read back from swap).
    pub majflt: u64,
    /// The OOM killer chose this space's process while it was running (its fault then
    /// fails, and the process ends by SIGKILL at the end of its trap).
    pub oom_killed: bool,
    /// The segments of a segmented process (`proc::seg`; None: paged). Its user
    /// pointers are physical addresses: `copy_in`/`copy_out` check them against the
    /// segments and copy through the direct map.
    pub seg: Option<alloc::boxed::Box<crate::proc::seg::SegProc>>,
}

/// The last family handed out.
static FAMILIES: AtomicU64 = AtomicU64::new(0);

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
            vmas: Vmas::default(),
            minflt: 0,
            stack_limit: DEFAULT_STACK_LIMIT,
            resident: 0,
            resident_peak: 0,
            size_peak: 0,
            family: FAMILIES.fetch_add(1, Ordering::Relaxed) + 1,
            swapped: 0,
            majflt: 0,
            oom_killed: false,
            seg: None,
        })
    }

    /// satp for this space.
    pub fn satp(&self) -> u64 {
        self.mode.satp(self.root, self.asid)
    }

    /// Makes the page holding `va` present for an access needing `need` (R, W or X), as
    /// the page-fault handler does; returns the page's frame. Refused (`Fault`) when no
    /// area holds `va`, or its permissions do not allow the access.
    pub fn fault_in(&mut self, va: VirtAddr, need: PteFlags) -> Result<PhysAddr, Fault> {
        if va.0 >= self.mode.user_end().0 {
            return Err(Fault(va));
        }
        use crate::kevent::{fault as how, fault_how};
        let page = va.align_down(PAGE_SIZE);
        let mut grew = false;
        let found = match self.vmas.find(va.0) {
            Some((s, v)) => Some((s, v.clone())),
            None => {
                grew = true;
                self.grow_stack(page.0)
            }
        };
        let (start, area) = match found {
            Some((s, v)) if v.prot.contains(need) => (s, v),
            _ => return Err(Fault(va)),
        };
        if let Some(t) = self.translate(page) {
            let pa = t.pa.align_down(PAGE_SIZE);
            if need == PteFlags::W && !t.flags.contains(PteFlags::W) && !area.backing.is_shared() {
                // A store to a present page its area lets it write: copy-on-write.
                fault_how(how::MINOR, how::COW_COPY);
                return self.break_cow(page, pa, area.prot, true).ok_or(Fault(va));
            }
            fault_how(how::MINOR, how::SPURIOUS);
            // Present already: the TLB may have held an older entry, the access comes
            // from the kernel's copy routines, or reclaim cleared A (under Svade the
            // access faults until A is set again: priv/supervisor.adoc, "Virtual Address
            // Translation Process", step 7). Make the PTE match the area and go on.
            let ad = if need == PteFlags::W {
                PteFlags::A | PteFlags::D
            } else {
                PteFlags::A
            };
            if !t.flags.contains(PteFlags::U | need | ad) {
                self.set_flags(page, area.prot);
            } else {
                csr::sfence_va_asid(page.0, self.asid);
            }
            return Ok(pa);
        }
        if let Some((table, i)) = self.leaf_slot(page) {
            if let Some(e) = SwapEntry::from_pte(FrameTables.read(table, i)) {
                let pa = self.swap_in(page, e, &area, (table, i))?;
                if need == PteFlags::W && !area.backing.is_shared() && frame::refcount(pa) > 1 {
                    // (the fault stays a swap-in, as swap_in said)
                    // Back from swap but still shared (the swap cache, another process):
                    // mapped without W, so a store — the kernel's copy_out too — copies
                    // it first.
                    // swap_in counted the fault: one fault, as Linux's do_swap_page
                    // copies a shared page within the same fault.
                    return self.break_cow(page, pa, area.prot, false).ok_or(Fault(va));
                }
                return Ok(pa);
            }
        }
        let flags = pte_flags(area.prot);
        if let vma::Backing::Shared { obj, offset } = &area.backing {
            return self.fault_shared(page, obj, (offset + (page.0 - start)) >> PAGE_SHIFT, flags);
        }
        let pa = self.alloc_user(va)?;
        let action = if grew {
            how::STACK_GROWTH
        } else if matches!(area.backing, vma::Backing::File { .. }) {
            how::FILE_READ
        } else {
            how::ZERO_FILL
        };
        fault_how(how::MINOR, action);
        vma::fill(&area, start, page.0, frame_bytes(pa));
        match paging::map(self.mode, self.root, page, pa, 0, flags, &mut FrameTables) {
            Ok(flush) => csr::sfence_va_asid(flush.0 .0, self.asid),
            Err(_) => {
                frame::free(pa, 0);
                return Err(Fault(va));
            }
        }
        frame::mapped(pa, self.family, page.0 >> PAGE_SHIFT);
        // Pages of read-only file areas are the file's bytes, which reclaim may drop and
        // read again; everything else is anonymous (swap-backed).
        let file =
            matches!(area.backing, vma::Backing::File { .. }) && !area.prot.contains(PteFlags::W);
        frame::lru_add(pa, !file);
        self.count_fault(false);
        Ok(pa)
    }

    /// A fault made one more page present: resident (and its peak) up, and the fault
    /// counted, as major (it waited for the disk) or minor.
    fn count_fault(&mut self, major: bool) {
        self.mapped_one();
        if major {
            self.majflt += 1;
            crate::mm::vmstat::add(&crate::mm::vmstat::PGMAJFAULT, 1);
        } else {
            self.minflt += 1;
        }
        PGFAULT.fetch_add(1, Ordering::Relaxed);
    }

    /// One more page present (VmRSS, and VmHWM's high-water mark).
    fn mapped_one(&mut self) {
        self.resident += 1;
        self.resident_peak = self.resident_peak.max(self.resident);
    }

    /// The first touch of `page`, page `index` of shared anonymous object `obj`: maps the
    /// object's frame for that page, or a new zeroed one that the object records (shmem's
    /// fault: every process sharing the object then maps the same frame, writable when its
    /// area is: no copy-on-write), or, when reclaim wrote the page to swap, a new frame read
    /// back from the object's slot (which is then given back). Counts as a minor fault, or
    /// a major one when the page came from swap.
    fn fault_shared(
        &mut self,
        page: VirtAddr,
        obj: &mm_core::shmem::SharedAnon,
        index: u64,
        flags: PteFlags,
    ) -> Result<PhysAddr, Fault> {
        use mm_core::shmem::Slot;
        if index >= obj.len() {
            // Past the object's end (Linux: SIGBUS).
            return Err(Fault(page));
        }
        let (pa, new, major) = match obj.slot_of(index) {
            Slot::Frame(pa) => (pa, false, false),
            _ => {
                let pa = self.alloc_user(page)?;
                // The allocation may have reclaimed or killed, though never touched this
                // slot (only a fault fills it, and the object outlives this area's clone):
                // look at it again all the same.
                match obj.slot_of(index) {
                    Slot::Frame(other) => {
                        frame::free(pa, 0);
                        (other, false, false)
                    }
                    Slot::Swapped(e) => {
                        if !crate::mm::swap::read_in(e, pa) {
                            frame::free(pa, 0);
                            return Err(Fault(page));
                        }
                        if !obj.swap_in(index, e, pa) {
                            frame::free(pa, 0);
                            return Err(Fault(page));
                        }
                        // The object held the slot's one use: the page lives in `pa` now.
                        crate::mm::swap::put(e);
                        crate::mm::vmstat::SHMEM_PAGES.fetch_add(1, Ordering::Relaxed);
                        frame::lru_add(pa, true);
                        (pa, true, true)
                    }
                    _ => {
                        zero_frame(pa);
                        if !obj.insert(index, pa) {
                            frame::free(pa, 0);
                            return Err(Fault(page));
                        }
                        crate::mm::vmstat::SHMEM_PAGES.fetch_add(1, Ordering::Relaxed);
                        frame::lru_add(pa, true);
                        (pa, true, false)
                    }
                }
            }
        };
        match paging::map(self.mode, self.root, page, pa, 0, flags, &mut FrameTables) {
            Ok(flush) => csr::sfence_va_asid(flush.0 .0, self.asid),
            // The object keeps a new frame (and its contents) for a later touch.
            Err(_) => return Err(Fault(page)),
        }
        if new {
            // Allocated with one reference, now the object's; the mapping takes another.
            frame::mapped(pa, self.family, page.0 >> PAGE_SHIFT);
            frame::get(pa);
        } else {
            frame::map_shared(pa, self.family, page.0 >> PAGE_SHIFT);
        }
        self.count_fault(major);
        use crate::kevent::fault as how;
        match (major, new) {
            (true, _) => crate::kevent::fault_how(how::MAJOR, how::SWAP_IN),
            (false, true) => crate::kevent::fault_how(how::MINOR, how::ZERO_FILL),
            (false, false) => crate::kevent::fault_how(how::MINOR, how::OTHER),
        }
        Ok(pa)
    }

    /// The write fault on a copy-on-write page (present without W in a writable area):
    /// the only reference left makes the page writable in place; otherwise the contents go
    /// to a new frame, mapped writable here, and the shared frame loses one reference
    /// (Linux's do_wp_page). Counts as a minor fault when `count` (not when the fault was
    /// counted already, as a swap-in). `None` when no frame is free.
    fn break_cow(
        &mut self,
        page: VirtAddr,
        old: PhysAddr,
        prot: PteFlags,
        count: bool,
    ) -> Option<PhysAddr> {
        let pa = if frame::refcount(old) <= 1 {
            frame::lru_make_anon(old);
            old
        } else {
            // A reference of our own keeps reclaim off `old` while the allocation may
            // reclaim (it passes over frames held by more than their mappings).
            frame::get(old);
            let new = self.alloc_user(page);
            frame::put(old);
            let new = new.ok()?;
            frame_bytes(new).copy_from_slice(frame_bytes(old));
            frame::mapped(new, self.family, page.0 >> PAGE_SHIFT);
            frame::lru_add(new, true);
            frame::unshare(old);
            new
        };
        let (table, i) = self.leaf_slot(page)?;
        FrameTables.write(table, i, Pte::leaf(pa, pte_flags(prot)));
        csr::sfence_va_asid(page.0, self.asid);
        if count {
            self.minflt += 1;
            PGFAULT.fetch_add(1, Ordering::Relaxed);
        }
        Some(pa)
    }

    /// A copy of this space for a child (fork): the same areas, and every present page
    /// mapped in both but those of shared areas (the child faults them in from their
    /// object); pages of writable areas copy-on-write (W cleared in both tables, the
    /// frames' reference and map counts up), the others shared as they are. `None` when
    /// memory runs out (everything the copy took is given back).
    pub fn fork(&mut self, kernel: KernelSpace, asid: u16) -> Option<AddressSpace> {
        let mut child = AddressSpace::new(kernel, asid)?;
        child.vmas = self.vmas.clone();
        child.stack_limit = self.stack_limit;
        child.resident = self.resident;
        child.resident_peak = self.resident;
        child.size_peak = self.size_peak;
        child.family = self.family;
        let vmas = &self.vmas;
        let mut skipped = 0u64;
        let r = paging::fork_copy(
            self.mode,
            self.root,
            child.root,
            &mut FrameTables,
            &mut |va, _| match vmas.find(va.0) {
                // Shared anonymous memory stays shared through its object: the child maps
                // a page when it first touches it, as on Linux.
                Some((_, v)) if v.backing.is_shared() => {
                    skipped += 1;
                    paging::ForkPage::Skip
                }
                Some((_, v)) if v.prot.contains(PteFlags::W) => paging::ForkPage::CopyOnWrite,
                _ => paging::ForkPage::Share,
            },
            &mut |pa| frame::share(pa),
            &mut |pte| {
                if let Some(e) = SwapEntry::from_pte(pte) {
                    crate::mm::swap::dup(e);
                }
            },
        );
        child.swapped = self.swapped;
        child.resident -= skipped;
        child.resident_peak = child.resident;
        // Parent leaves lost W (even on failure, some may have): one fence for all of them,
        // and one orders the child's new tables before its first walk.
        csr::sfence_asid(self.asid);
        csr::sfence_asid(child.asid);
        match r {
            Ok(_) => Some(child),
            Err(_) => None, // dropping `child` gives back what it took
        }
    }

    /// A touch of `page`, below every area that holds it, grows the stack area down to it
    /// when the stack would stay within RLIMIT_STACK and keep its guard gap (Linux's
    /// expand_stack); returns the grown area.
    fn grow_stack(&mut self, page: u64) -> Option<(u64, vma::Vma)> {
        let (start, v) = self.vmas.above(page)?;
        if v.name != vma::Name::Stack || v.end - page > self.stack_limit {
            return None;
        }
        let v = v.clone();
        self.vmas
            .grow_down(start, page, STACK_GUARD_GAP)
            .then_some((page, v))
    }

    /// What maps `va`, if anything.
    pub fn translate(&self, va: VirtAddr) -> Option<Translation> {
        paging::translate(self.mode, self.root, va, &FrameTables)
    }

    /// Replaces the permissions of the 4 KiB leaf at `va` with `prot` (some of R, W, X;
    /// see [`pte_flags`]); false when nothing is mapped there.
    pub fn set_flags(&mut self, va: VirtAddr, prot: PteFlags) -> bool {
        let Some(t) = self.translate(va) else {
            return false;
        };
        let Some((table, i)) = self.leaf_slot(va) else {
            return false;
        };
        let pa = t.pa.align_down(PAGE_SIZE);
        let mut f = pte_flags(prot);
        let shared = self
            .vmas
            .find(va.0)
            .is_some_and(|(_, v)| v.backing.is_shared());
        if frame::refcount(pa) > 1 && !shared {
            // Shared with another process since a fork: it stays copy-on-write, and the
            // next store copies it.
            f -= PteFlags::W | PteFlags::D;
        } else if f.contains(PteFlags::W) {
            frame::lru_make_anon(pa);
        }
        FrameTables.write(table, i, Pte::leaf(pa, f));
        csr::sfence_va_asid(va.0, self.asid);
        true
    }

    /// Unmaps the 4 KiB page at `va` and frees its frame (or its swap slot, when it is
    /// swapped out); false when nothing was mapped.
    pub fn unmap(&mut self, va: VirtAddr) -> bool {
        if let Some(e) = self.take_swapped(va) {
            crate::mm::swap::put(e);
            return true;
        }
        match self.take(va) {
            Some(pa) => {
                frame::unshare(pa);
                self.resident -= 1;
                true
            }
            None => false,
        }
    }

    /// Clears the swap entry at `va`, if the page there is swapped out, and returns it (the
    /// caller owns that use of the slot).
    fn take_swapped(&mut self, va: VirtAddr) -> Option<SwapEntry> {
        let (table, i) = self.leaf_slot(va)?;
        let e = SwapEntry::from_pte(FrameTables.read(table, i))?;
        FrameTables.write(table, i, Pte::INVALID);
        self.swapped -= 1;
        Some(e)
    }

    /// Unmaps the 4 KiB page at `va` and returns its frame, which stays the caller's (still
    /// counted resident: [`Self::put`] maps it again elsewhere).
    fn take(&mut self, va: VirtAddr) -> Option<PhysAddr> {
        let (table, i) = self.leaf_slot(va)?;
        let pte = FrameTables.read(table, i);
        if !pte.is_leaf() {
            return None;
        }
        FrameTables.write(table, i, Pte::INVALID);
        csr::sfence_va_asid(va.0, self.asid);
        Some(pte.addr())
    }

    /// Moves the pages present in `[from, from + len)` to `[to, to + len)` (mremap): the
    /// frames keep their contents and are mapped with `prot`. False if a table for the new
    /// place could not be allocated (the pages not yet moved are freed then).
    /// Pages of a shared area (`shared`) stay writable: they are never copy-on-write.
    pub fn move_pages(
        &mut self,
        from: u64,
        to: u64,
        len: u64,
        prot: PteFlags,
        shared: bool,
    ) -> bool {
        let mut ok = true;
        let mut off = 0;
        while off < len {
            if let Some(e) = self.take_swapped(VirtAddr(from + off)) {
                // A swapped-out page moves as its entry.
                let to_va = VirtAddr(to + off);
                match paging::set_entry(self.mode, self.root, to_va, e.to_pte(), &mut FrameTables) {
                    Ok(()) => self.swapped += 1,
                    Err(_) => {
                        crate::mm::swap::put(e);
                        ok = false;
                    }
                }
            }
            if let Some(pa) = self.take(VirtAddr(from + off)) {
                let va = VirtAddr(to + off);
                let mut flags = pte_flags(prot);
                if shared {
                    // The object holds a reference too; the reverse map's index follows
                    // the only mapping (others are found by its slow path).
                    if frame::rmap_of(pa).is_some_and(|r| r.2 == 1) {
                        frame::moved(pa, va.0 >> PAGE_SHIFT);
                    }
                } else if frame::refcount(pa) > 1 {
                    // Still shared copy-on-write with another process: stays read-only
                    // (and the reverse map finds this mapping by its slow path).
                    flags -= PteFlags::W | PteFlags::D;
                } else {
                    frame::moved(pa, va.0 >> PAGE_SHIFT);
                }
                match paging::map(self.mode, self.root, va, pa, 0, flags, &mut FrameTables) {
                    Ok(flush) => csr::sfence_va_asid(flush.0 .0, self.asid),
                    Err(_) => {
                        frame::unshare(pa);
                        self.resident -= 1;
                        ok = false;
                    }
                }
            }
            off += PAGE_SIZE;
        }
        ok
    }

    /// Records the areas' total size for VmPeak; returns it (VmSize).
    pub fn note_size(&mut self) -> u64 {
        let size = match &self.seg {
            Some(s) => s.table.bytes(),
            None => self.vmas.iter().map(|(s, v)| v.end - s).sum(),
        };
        self.size_peak = self.size_peak.max(size);
        size
    }

    /// Pages present in `[start, end)`.
    pub fn present_in(&self, start: u64, end: u64) -> u64 {
        let mut n = 0;
        self.walk_present(
            self.root,
            self.mode.levels - 1,
            0,
            start,
            end,
            &mut n,
            &mut 0,
        );
        n
    }

    /// Page-table pages of the user half (VmPTE), the root included.
    pub fn table_pages(&self) -> u64 {
        let mut tables = 1;
        let end = self.mode.user_end().0;
        self.walk_present(
            self.root,
            self.mode.levels - 1,
            0,
            0,
            end,
            &mut 0,
            &mut tables,
        );
        tables
    }

    /// Counts the leaves in `[start, end)` under `table` (a level-`level` table mapping from
    /// `base`) into `leaves` and the lower tables into `tables`, skipping empty entries.
    #[allow(clippy::too_many_arguments)]
    fn walk_present(
        &self,
        table: PhysAddr,
        level: usize,
        base: u64,
        start: u64,
        end: u64,
        leaves: &mut u64,
        tables: &mut u64,
    ) {
        let span = PAGE_SIZE << (9 * level);
        let half = if level == self.mode.levels - 1 {
            ENTRIES / 2
        } else {
            ENTRIES
        };
        for i in 0..half {
            let lo = base + i as u64 * span;
            if lo >= end || lo + span <= start {
                continue;
            }
            let pte = FrameTables.read(table, i);
            if !pte.is_valid() {
                continue;
            }
            if pte.is_leaf() {
                *leaves += span / PAGE_SIZE;
            } else if level > 0 {
                *tables += 1;
                self.walk_present(pte.addr(), level - 1, lo, start, end, leaves, tables);
            }
        }
    }

    /// Unmaps every present page of `[start, end)` and frees the frames (the areas are the
    /// caller's business).
    pub fn unmap_range(&mut self, start: u64, end: u64) {
        let mut va = start;
        while va < end {
            self.unmap(VirtAddr(va));
            va += PAGE_SIZE;
        }
    }

    /// The table and index holding the level-0 PTE of `va`, when the walk gets there.
    fn leaf_slot(&self, va: VirtAddr) -> Option<(PhysAddr, usize)> {
        paging::leaf_slot(self.mode, self.root, va, &FrameTables)
    }

    /// A frame for a user page of this space, from the allocator's user path (watermarks,
    /// kswapd, direct reclaim, the OOM killer: `mm::reclaim`). `Fault(va)` when none can
    /// be had; if the OOM killer chose this space's process, `oom_killed` says so.
    fn alloc_user(&mut self, va: VirtAddr) -> Result<PhysAddr, Fault> {
        crate::mm::reclaim::alloc_user_frame(Some(self)).ok_or(Fault(va))
    }

    /// The first touch since `page` went to swap (its PTE holds `e`, at `slot`): the page
    /// comes back from the swap cache (a minor fault) or from the disk (a major fault:
    /// pgmajfault, majflt, pswpin), and this PTE gives up its use of the slot. A page
    /// other PTEs still wait for stays in the swap cache, mapped without W here: the
    /// first store copies it, as after fork.
    fn swap_in(
        &mut self,
        page: VirtAddr,
        e: SwapEntry,
        area: &vma::Vma,
        slot: (PhysAddr, usize),
    ) -> Result<PhysAddr, Fault> {
        let vpn = page.0 >> PAGE_SHIFT;
        let (pa, major) = match crate::mm::swap::lookup(e) {
            Some(pa) => {
                frame::map_shared(pa, self.family, vpn);
                (pa, false)
            }
            None => {
                let pa = self.alloc_user(page)?;
                if !crate::mm::swap::read_in(e, pa) {
                    frame::free(pa, 0);
                    return Err(Fault(page));
                }
                frame::mapped(pa, self.family, vpn);
                if crate::mm::swapfile::use_count(e) > 1 {
                    crate::mm::swap::insert(e, pa);
                }
                frame::lru_add(pa, true);
                (pa, true)
            }
        };
        // The allocation may have reclaimed, which never changes a swap entry; the slot is
        // the one the walk found.
        let mut flags = pte_flags(area.prot);
        if frame::refcount(pa) > 1 && !area.backing.is_shared() {
            flags -= PteFlags::W | PteFlags::D;
        }
        FrameTables.write(slot.0, slot.1, Pte::leaf(pa, flags));
        csr::sfence_va_asid(page.0, self.asid);
        crate::mm::swap::put(e);
        self.swapped -= 1;
        self.count_fault(major);
        use crate::kevent::fault as how;
        let kind = if major { how::MAJOR } else { how::MINOR };
        crate::kevent::fault_how(kind, how::SWAP_IN);
        crate::kevent::send_from(
            crate::kevent::kind::SWAP_IN,
            crate::kevent::current(),
            &[u64::from(crate::kevent::current()), page.0, e.offset],
            &[],
        );
        Ok(pa)
    }

    /// Calls `f` with each swap entry of area `area` whose slot is in `slots` that a PTE
    /// of this space holds, and the PTE's address (swapoff's scan).
    pub fn swap_entries(
        &self,
        area: u8,
        slots: core::ops::Range<u64>,
        f: &mut impl FnMut(VirtAddr, SwapEntry),
    ) {
        paging::visit_user(self.mode, self.root, &FrameTables, &mut |n| {
            if let paging::Node::Swap(va, pte) = n {
                match SwapEntry::from_pte(pte) {
                    Some(e) if e.area == area && slots.contains(&e.offset) => f(va, e),
                    _ => {}
                }
            }
        });
    }

    /// swapoff brings back the page at `va`, if its PTE still holds `e`: maps `pa`, the
    /// frame holding `e`'s page (the swap cache's), and gives up this PTE's use of the
    /// slot (with the last, the swap cache lets the frame go). While other PTEs share the
    /// frame, it is mapped without W (copy-on-write, as after fork). No fault is counted.
    /// False when the PTE holds something else.
    pub fn unuse(&mut self, va: VirtAddr, e: SwapEntry, pa: PhysAddr) -> bool {
        let Some((table, i)) = self.leaf_slot(va) else {
            return false;
        };
        if SwapEntry::from_pte(FrameTables.read(table, i)) != Some(e) {
            return false;
        }
        let Some((_, area)) = self.vmas.find(va.0) else {
            log::error!("swapoff: {e:?} at {va} is in no area");
            return false;
        };
        let (prot, shared) = (area.prot, area.backing.is_shared());
        frame::map_shared(pa, self.family, va.0 >> PAGE_SHIFT);
        crate::mm::swap::put(e);
        let mut flags = pte_flags(prot);
        if frame::refcount(pa) > 1 && !shared {
            flags -= PteFlags::W | PteFlags::D;
        }
        FrameTables.write(table, i, Pte::leaf(pa, flags));
        csr::sfence_va_asid(va.0, self.asid);
        self.swapped -= 1;
        self.mapped_one();
        true
    }

    /// Reclaim's look at the page at `va`: clears its PTE's A bit and fences the
    /// translation, so the next access sets A again (or, under Svade, faults); true when A
    /// was set (the page was used since the last look).
    pub fn test_and_clear_young(&mut self, va: VirtAddr) -> bool {
        let Some((table, i)) = self.leaf_slot(va) else {
            return false;
        };
        let pte = FrameTables.read(table, i);
        if !pte.is_leaf() || !pte.flags().contains(PteFlags::A) {
            return false;
        }
        FrameTables.write(table, i, Pte(pte.0 & !PteFlags::A.bits()));
        csr::sfence_va_asid(va.0, self.asid);
        true
    }

    /// Reclaim takes the page at `va` away: its PTE becomes `to` (a swap entry, or empty
    /// for a file page read again on the next touch), and the frame loses this mapping.
    pub fn reclaim_unmap(&mut self, va: VirtAddr, to: Pte) {
        let Some((table, i)) = self.leaf_slot(va) else {
            return;
        };
        let pte = FrameTables.read(table, i);
        if !pte.is_leaf() {
            return;
        }
        FrameTables.write(table, i, to);
        csr::sfence_va_asid(va.0, self.asid);
        self.resident -= 1;
        if to != Pte::INVALID {
            self.swapped += 1;
        }
        frame::unshare(pte.addr());
    }

    /// The physical address of user byte `va` for an access needing `need`, faulting the
    /// page in as a user access would.
    fn user_pa(&mut self, va: VirtAddr, need: PteFlags) -> Result<PhysAddr, Fault> {
        if va.0 >= self.mode.user_end().0 {
            return Err(Fault(va));
        }
        match self.translate(va) {
            Some(t) if t.flags.contains(PteFlags::U | need) => Ok(t.pa),
            _ => {
                crate::kevent::fault_begin(va.0, need, false);
                let r = self.fault_in(va, need);
                crate::kevent::fault_end(va.0, r.is_ok(), false);
                Ok(r?.add(va.0 % PAGE_SIZE))
            }
        }
    }

    /// Copies `buf.len()` bytes from user address `va`.
    #[allow(unsafe_code)]
    pub fn copy_in(&mut self, va: VirtAddr, buf: &mut [u8]) -> Result<(), Fault> {
        if let Some(s) = &self.seg {
            return s.copy_in(va, buf);
        }
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

    /// Copies `data` to user address `va` (which the user must be allowed to write).
    #[allow(unsafe_code)]
    pub fn copy_out(&mut self, va: VirtAddr, data: &[u8]) -> Result<(), Fault> {
        if let Some(s) = &self.seg {
            return s.copy_out(va, data);
        }
        let need = PteFlags::W;
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

impl Drop for AddressSpace {
    /// Gives back every user frame (one reference each), the user half's tables and the
    /// root, then fences the ASID so that its next owner sees none of these translations.
    /// The space must not be the one in satp (the kernel switches to its own table first).
    fn drop(&mut self) {
        paging::clear_user(
            self.mode,
            self.root,
            &mut FrameTables,
            &mut |_, pte| match SwapEntry::from_pte(pte) {
                Some(e) => crate::mm::swap::put(e),
                None => frame::unshare(pte.addr()),
            },
            &mut |table| frame::free(table, 0),
        );
        frame::free(self.root, 0);
        csr::sfence_asid(self.asid);
    }
}

/// The PTE flags of a user page with permissions `prot`: U and A, D when writable (so no
/// A/D update is ever needed), R with W (W alone is reserved). PROT_NONE keeps the frame
/// mapped but without U, so every user access faults (and the area refuses it) while the
/// contents survive a later mprotect.
pub fn pte_flags(prot: PteFlags) -> PteFlags {
    if prot.is_empty() {
        return PteFlags::R | PteFlags::A;
    }
    let mut f = prot | PteFlags::U | PteFlags::A;
    if f.contains(PteFlags::W) {
        f |= PteFlags::D | PteFlags::R;
    }
    f
}

/// A shared anonymous object lets go of its frame `pa` (the object's `release`, when the
/// last area referring to it goes): one reference less, and one Shmem page less.
pub fn release_shared(pa: PhysAddr) {
    crate::mm::vmstat::SHMEM_PAGES.fetch_sub(1, Ordering::Relaxed);
    frame::put(pa);
}

/// A frame's bytes through the direct map, for the memory manager's copies: filling a
/// new page, copy-on-write, swap I/O.
#[allow(unsafe_code)]
pub(crate) fn frame_bytes(pa: PhysAddr) -> &'static mut [u8; PAGE_SIZE as usize] {
    // SAFETY: the caller holds the frame (just allocated, or one it is copying or writing
    // out); one hart and no kernel preemption, so no other reference to its bytes is used
    // while this one lives.
    unsafe { &mut *(phys_to_virt(pa).0 as *mut [u8; PAGE_SIZE as usize]) }
}
