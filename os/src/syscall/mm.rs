//! The memory system calls: brk(214), munmap(215), mremap(216), mmap(222), mprotect(226),
//! madvise(233), over the
//! process's areas (mm_core::vma) and page table (mm/space.rs); a segmented process's go
//! to `segmm.rs`.
use crate::errno::Errno;
use crate::fs::files::File;
use crate::mm::space::STACK_GUARD_GAP;
use crate::proc::Process;
use crate::syscall::SysResult;
use alloc::sync::Arc;
use mm_core::pte::PteFlags;
use mm_core::shmem::SharedAnon;
use mm_core::vma::{Backing, Name, Vma};
use mm_core::{VirtAddr, PAGE_SIZE};

/// Whether `len` more bytes of private writable memory may be committed by `p` (the
/// overcommit policy, `mm::commit`).
fn may_commit(p: &Process, len: u64) -> bool {
    let own = crate::mm::vmstat::committed_of(&p.space);
    let size = p.space.vmas.iter().map(|(s, v)| v.end - s).sum::<u64>() / PAGE_SIZE;
    crate::mm::commit::enough_memory(
        len / PAGE_SIZE,
        size,
        own + crate::mm::oom::committed_by_others(),
    )
}

/// brk(addr): moves the break to `addr` when it stays at or above brk_start, below the
/// top of the user half, does not run into another area and the overcommit policy allows
/// the growth; returns the (possibly unchanged) break, as Linux does. Growing extends the
/// [heap] area that ends at the break, or starts one there (`Vmas::move_break`: a MAP_FIXED
/// mapping inside the heap, as musl's guard page, splits it); pages come on first touch.
/// Shrinking unmaps and frees whatever lies past the new end.
pub fn brk(p: &mut Process, addr: u64) -> u64 {
    if p.space.seg.is_some() {
        return super::segmm::brk(p, addr);
    }
    // Linux's limit: the break may grow until it would come within the stack's guard gap
    // (or run into another area, which move_break refuses). A static-pie's break starts at
    // mmap_base (the program is placed as a top-down mmap) and grows toward the stack.
    let stack_floor = p
        .space
        .vmas
        .iter()
        .find(|(_, v)| v.name == Name::Stack)
        .map_or(p.space.mode.user_end().0, |(start, _)| start);
    if addr < p.brk_start || addr > stack_floor.saturating_sub(STACK_GUARD_GAP) {
        return p.brk;
    }
    let old_end = VirtAddr(p.brk).align_up(PAGE_SIZE).0;
    let new_end = VirtAddr(addr).align_up(PAGE_SIZE).0;
    if new_end > old_end && !may_commit(p, new_end - old_end) {
        return p.brk;
    }
    let rw = PteFlags::R | PteFlags::W;
    let Some(gone) = p.space.vmas.move_break(p.brk_start, old_end, new_end, rw) else {
        return p.brk;
    };
    for (s, e) in gone {
        p.space.unmap_range(s, e);
    }
    p.brk = addr;
    p.space.note_size();
    addr
}

const MAP_SHARED: u64 = 0x01;
const MAP_PRIVATE: u64 = 0x02;
const MAP_SHARED_VALIDATE: u64 = 0x03;
const MAP_FIXED: u64 = 0x10;
const MAP_ANONYMOUS: u64 = 0x20;
const MAP_NORESERVE: u64 = 0x4000;
const MAP_POPULATE: u64 = 0x8000;
const MAP_FIXED_NOREPLACE: u64 = 0x10_0000;
/// Lowest address mmap hands out (Linux's vm.mmap_min_addr is 4096 or 65536).
const MMAP_MIN_ADDR: u64 = 0x1_0000;
/// Gap kept between the top of the mmap area and the top of the user half: Linux's
/// minimum (128 MiB), which covers the 8 MiB stack area.
const MMAP_GAP: u64 = 128 << 20;

fn prot_flags(prot: u64) -> Option<PteFlags> {
    if prot & !7 != 0 {
        return None;
    }
    let mut flags = PteFlags::empty();
    for (bit, f) in [(1, PteFlags::R), (2, PteFlags::W), (4, PteFlags::X)] {
        if prot & bit != 0 {
            flags |= f;
        }
    }
    Some(flags)
}

/// mmap(addr, len, prot, flags, fd, offset): anonymous memory, or a private mapping of an
/// initramfs file (bytes past its end read as zero; Linux would raise SIGBUS for whole
/// pages past the end). Placement is top-down below the mmap base, or at
/// `addr` with MAP_FIXED (replacing whatever was there, splitting any area) or
/// MAP_FIXED_NOREPLACE (EEXIST if something is there), or at the hint when it is free.
/// MAP_SHARED anonymous memory gets a shared object (`mm_core::shmem`): its pages are the
/// same frames in every process that maps it after a fork (no copy-on-write), as Linux's
/// shmem-backed mappings.
/// mmap's file: None for MAP_ANONYMOUS, else the bytes of the open initramfs file `fd`
/// (EBADF if none is open, ENODEV for another kind of file; EACCES for a shared writable
/// mapping, `shared_write`, since initramfs files are read-only). Segmented mmap too.
pub(super) fn mapped_file(
    p: &Process,
    flags: u64,
    fd: u64,
    shared_write: bool,
) -> Result<Option<&'static [u8]>, Errno> {
    if flags & MAP_ANONYMOUS != 0 {
        return Ok(None);
    }
    match p.files.get(fd) {
        None => Err(Errno::EBADF),
        Some(File::Initramfs { .. }) if shared_write => Err(Errno::EACCES),
        Some(File::Initramfs { data, .. }) => Ok(Some(data)),
        Some(_) => Err(Errno::ENODEV),
    }
}

pub fn mmap(p: &mut Process, a: [u64; 6]) -> SysResult {
    if p.space.seg.is_some() {
        return super::segmm::mmap(p, a);
    }
    let [addr, len, prot, flags, fd, off] = a;
    let Some(prot) = prot_flags(prot) else {
        return Err(Errno::EINVAL);
    };
    let kind = flags & MAP_SHARED_VALIDATE;
    if len == 0 || !(kind == MAP_SHARED || kind == MAP_PRIVATE || kind == MAP_SHARED_VALIDATE) {
        return Err(Errno::EINVAL);
    }
    if !off.is_multiple_of(PAGE_SIZE) {
        return Err(Errno::EINVAL);
    }
    // A file mapping: the descriptor must be an open initramfs file (read-only, so a
    // shared writable mapping is refused: EACCES); a private one is copied page by page on
    // first touch, so writes stay private.
    let file = mapped_file(
        p,
        flags,
        fd,
        kind != MAP_PRIVATE && prot.contains(PteFlags::W),
    )?;
    let user_end = p.space.mode.user_end().0;
    let Some(len) = len.checked_add(PAGE_SIZE - 1).map(|l| l & !(PAGE_SIZE - 1)) else {
        return Err(Errno::ENOMEM);
    };
    if len > user_end {
        return Err(Errno::ENOMEM);
    }
    // Shared anonymous memory: one object, which a fork shares with the child; made before
    // MAP_FIXED removes anything, so that its failure changes nothing. Larger than RAM:
    // ENOMEM, as Linux's shmem accounting refuses it (overcommit heuristic: no swap here);
    // so its page slots take at most 1/512 of RAM.
    let shared = if file.is_none() && kind != MAP_PRIVATE {
        static INO: core::sync::atomic::AtomicU64 = core::sync::atomic::AtomicU64::new(0);
        if len / PAGE_SIZE > crate::mm::frame::managed_frames() as u64 {
            return Err(Errno::ENOMEM);
        }
        let ino = INO.fetch_add(1, core::sync::atomic::Ordering::Relaxed) + 1;
        match SharedAnon::new(
            len / PAGE_SIZE,
            ino,
            crate::mm::space::release_shared,
            crate::mm::swap::put,
        ) {
            Some(obj) => Some(Arc::new(obj)),
            None => return Err(Errno::ENOMEM),
        }
    } else {
        None
    };
    // Private writable memory is charged to the overcommit policy when mapped (MAP_NORESERVE
    // skips the charge but in mode 2, as Linux).
    let norestrict = flags & MAP_NORESERVE != 0 && crate::sysctl::value("overcommit_memory") != 2;
    if shared.is_none() && prot.contains(PteFlags::W) && !norestrict && !may_commit(p, len) {
        return Err(Errno::ENOMEM);
    }
    let fixed = flags & (MAP_FIXED | MAP_FIXED_NOREPLACE) != 0;
    let start = if fixed {
        if !addr.is_multiple_of(PAGE_SIZE) {
            return Err(Errno::EINVAL);
        }
        if addr.checked_add(len).is_none_or(|e| e > user_end) {
            return Err(Errno::ENOMEM);
        }
        if p.space.vmas.overlaps(addr, addr + len) {
            if flags & MAP_FIXED_NOREPLACE != 0 {
                return Err(Errno::EEXIST);
            }
            for (s, e) in p.space.vmas.remove_range(addr, addr + len) {
                p.space.unmap_range(s, e);
            }
        }
        addr
    } else {
        let hint = VirtAddr(addr).align_down(PAGE_SIZE).0;
        let hint_ok = hint >= MMAP_MIN_ADDR
            && hint.checked_add(len).is_some_and(|e| e <= user_end)
            && !p.space.vmas.overlaps(hint, hint + len);
        if hint_ok {
            hint
        } else {
            match p
                .space
                .vmas
                .gap_below(len, user_end - MMAP_GAP, MMAP_MIN_ADDR)
            {
                Some(s) => s,
                None => return Err(Errno::ENOMEM),
            }
        }
    };
    let backing = match file {
        None => match shared {
            Some(obj) => Backing::Shared { obj, offset: 0 },
            None => Backing::Anon,
        },
        Some(data) => Backing::File {
            data,
            offset: off,
            file_end: start + (data.len() as u64).saturating_sub(off),
        },
    };
    let area = Vma {
        end: start + len,
        prot,
        backing,
        name: if file.is_some() {
            Name::File
        } else {
            Name::Anon
        },
    };

    if !p.space.vmas.insert(start, area) {
        return Err(Errno::ENOMEM);
    }
    p.space.vmas.merge_anon(start);
    p.space.note_size();
    if flags & MAP_POPULATE != 0 && !prot.is_empty() {
        let mut va = start;
        while va < start + len {
            if p.space.fault_in(VirtAddr(va), PteFlags::empty()).is_err() {
                break;
            }
            va += PAGE_SIZE;
        }
    }
    Ok(start as i64)
}

/// munmap(addr, len): removes the areas' parts in the range and frees its pages.
pub fn munmap(p: &mut Process, addr: u64, len: u64) -> SysResult {
    if p.space.seg.is_some() {
        return super::segmm::munmap(p, addr, len);
    }
    if !addr.is_multiple_of(PAGE_SIZE) || len == 0 {
        return Err(Errno::EINVAL);
    }
    let user_end = p.space.mode.user_end().0;
    let Some(end) = addr
        .checked_add(len)
        .map(|e| VirtAddr(e).align_up(PAGE_SIZE).0)
    else {
        return Err(Errno::EINVAL);
    };
    if end > user_end {
        return Err(Errno::EINVAL);
    }
    for (s, e) in p.space.vmas.remove_range(addr, end) {
        p.space.unmap_range(s, e);
    }
    Ok(0)
}

/// mprotect(addr, len, prot): the areas covering the range (split at its ends) take the new
/// permissions, and so do the pages present in it. PROT_NONE keeps the pages (see
/// `space::pte_flags`).
pub fn mprotect(p: &mut Process, addr: u64, len: u64, prot: u64) -> SysResult {
    if p.space.seg.is_some() {
        return super::segmm::mprotect(p, addr, len, prot);
    }
    const PROT_READ: u64 = 1;
    const PROT_WRITE: u64 = 2;
    const PROT_EXEC: u64 = 4;
    if !addr.is_multiple_of(PAGE_SIZE) || prot & !(PROT_READ | PROT_WRITE | PROT_EXEC) != 0 {
        return Err(Errno::EINVAL);
    }
    let Some(end) = addr
        .checked_add(len)
        .map(|e| VirtAddr(e).align_up(PAGE_SIZE).0)
    else {
        return Err(Errno::ENOMEM);
    };
    if !p.space.vmas.covers(addr, end) {
        return Err(Errno::ENOMEM);
    }
    let mut flags = PteFlags::empty();
    for (bit, f) in [
        (PROT_READ, PteFlags::R),
        (PROT_WRITE, PteFlags::W),
        (PROT_EXEC, PteFlags::X),
    ] {
        if prot & bit != 0 {
            flags |= f;
        }
    }
    p.space.vmas.split_at(addr);
    p.space.vmas.split_at(end);
    for (_, v) in p.space.vmas.range_mut(addr, end) {
        v.prot = flags;
    }
    let mut va = addr;
    while va < end {
        p.space.set_flags(VirtAddr(va), flags);
        va += PAGE_SIZE;
    }
    Ok(0)
}

const MREMAP_MAYMOVE: u64 = 1;
const MREMAP_FIXED: u64 = 2;
const MREMAP_DONTUNMAP: u64 = 4;

/// mremap(addr, old_len, new_len, flags, new_addr): shrinking unmaps the tail; growing
/// extends the area in place when the pages after it are free, or with MREMAP_MAYMOVE
/// moves it (its present pages keep their frames and contents) to a new place, chosen
/// top-down as mmap does or given by MREMAP_FIXED. The old range must lie in one area
/// (EFAULT otherwise), as Linux requires. MREMAP_DONTUNMAP is not supported (EINVAL).
/// A shared anonymous area moves with its object and offset; old_len 0 on one (with
/// MREMAP_MAYMOVE) maps the same object a second time at the new place, leaving the old
/// mapping (Linux's "duplicate shm area"; EINVAL on a private area, as Linux).
pub fn mremap(p: &mut Process, a: [u64; 6]) -> SysResult {
    if p.space.seg.is_some() {
        return super::segmm::mremap(p);
    }
    let [addr, old_len, new_len, flags, new_addr, _] = a;
    if flags & !(MREMAP_MAYMOVE | MREMAP_FIXED | MREMAP_DONTUNMAP) != 0
        || flags & (MREMAP_FIXED | MREMAP_DONTUNMAP) != 0 && flags & MREMAP_MAYMOVE == 0
        || flags & MREMAP_DONTUNMAP != 0
        || !addr.is_multiple_of(PAGE_SIZE)
    {
        return Err(Errno::EINVAL);
    }
    let user_end = p.space.mode.user_end().0;
    let align = |l: u64| l.checked_add(PAGE_SIZE - 1).map(|l| l & !(PAGE_SIZE - 1));
    let (Some(old_len), Some(new_len)) = (align(old_len), align(new_len)) else {
        return Err(Errno::EINVAL);
    };
    if new_len == 0 {
        return Err(Errno::EINVAL);
    }
    if addr.checked_add(old_len).is_none_or(|e| e > user_end) || new_len > user_end {
        return Err(Errno::EINVAL);
    }
    let fixed = flags & MREMAP_FIXED != 0;
    if fixed {
        let overlap = new_addr < addr + old_len && addr < new_addr.saturating_add(new_len);
        if !new_addr.is_multiple_of(PAGE_SIZE)
            || new_addr.checked_add(new_len).is_none_or(|e| e > user_end)
            || overlap
        {
            return Err(Errno::EINVAL);
        }
    }
    if !fixed && new_len <= old_len {
        for (s, e) in p.space.vmas.remove_range(addr + new_len, addr + old_len) {
            p.space.unmap_range(s, e);
        }
        return Ok(addr as i64);
    }
    let Some((start, area)) = p.space.vmas.find(addr).map(|(s, v)| (s, v.clone())) else {
        return Err(Errno::EFAULT);
    };
    if old_len > area.end - addr {
        return Err(Errno::EFAULT);
    }
    if old_len == 0 && !area.backing.is_shared() {
        // Duplicating a private mapping: Linux refuses it too.
        return Err(Errno::EINVAL);
    }
    if !area.backing.is_shared()
        && area.prot.contains(PteFlags::W)
        && new_len > old_len
        && !may_commit(p, new_len - old_len)
    {
        return Err(Errno::ENOMEM);
    }
    // In place, when the area ends where the old range does and the pages after it are
    // free.
    if !fixed
        && area.end == addr + old_len
        && addr + new_len <= user_end
        && !p.space.vmas.overlaps(area.end, addr + new_len)
    {
        if let Some(v) = p.space.vmas.get_mut(start) {
            v.end = addr + new_len;
        }
        p.space.note_size();
        return Ok(addr as i64);
    }
    if flags & MREMAP_MAYMOVE == 0 {
        return Err(Errno::ENOMEM);
    }
    let to = if fixed {
        for (s, e) in p.space.vmas.remove_range(new_addr, new_addr + new_len) {
            p.space.unmap_range(s, e);
        }
        new_addr
    } else {
        match p
            .space
            .vmas
            .gap_below(new_len, user_end - MMAP_GAP, MMAP_MIN_ADDR)
        {
            Some(s) => s,
            None => return Err(Errno::ENOMEM),
        }
    };
    // The moved part of the area: its file offset follows it; it is no longer the heap or
    // the stack (those are named by where they are).
    let backing = match area.backing.from(start, addr) {
        Backing::File {
            data,
            offset,
            file_end,
        } => Backing::File {
            data,
            offset,
            file_end: (file_end - addr).saturating_add(to),
        },
        b => b,
    };
    let name = match area.name {
        Name::Heap | Name::Stack => Name::Anon,
        n => n,
    };
    let moved = Vma {
        end: to + new_len,
        prot: area.prot,
        backing,
        name,
    };
    if !p.space.vmas.insert(to, moved) {
        return Err(Errno::ENOMEM);
    }
    let keep = old_len.min(new_len);
    let ok = p
        .space
        .move_pages(addr, to, keep, area.prot, area.backing.is_shared());
    if old_len > 0 {
        for (s, e) in p.space.vmas.remove_range(addr, addr + old_len) {
            p.space.unmap_range(s, e);
        }
    }
    if !ok {
        crate::ratelimit::warn_ratelimited!(
            "{}: mremap: out of memory for page tables, pages lost",
            p.name
        );
    }
    if addr == p.brk_start && name == Name::Anon && area.name == Name::Heap {
        // The heap moved away whole: the break stays where it was, with no area.
        p.brk = p.brk_start;
    }
    p.space.note_size();
    Ok(to as i64)
}

/// madvise(addr, len, advice): MADV_DONTNEED (and MADV_FREE, which may act the same, on
/// private anonymous areas only: EINVAL at a file or shared one) drop the pages present in
/// the range, so the next touch faults in a zero page (or the file's
/// bytes again, or a shared anonymous area's page from its object, which keeps the data,
/// as Linux's shmem); the areas stay. Other known advice is accepted and ignored. ENOMEM when
/// part of the range is not mapped (after acting on the rest), as Linux.
pub fn madvise(p: &mut Process, addr: u64, len: u64, advice: u64) -> SysResult {
    if p.space.seg.is_some() {
        return super::segmm::madvise(p, addr, len, advice);
    }
    const MADV_DONTNEED: u64 = 4;
    const MADV_FREE: u64 = 8;
    const KNOWN: &[u64] = &[
        0, 1, 2, 3, 4, 8, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23,
    ];
    if !addr.is_multiple_of(PAGE_SIZE) || !KNOWN.contains(&advice) {
        return Err(Errno::EINVAL);
    }
    // A length that rounds up past 2^64 (a small negative one) or a range that wraps:
    // EINVAL, as Linux checks. (Rounding the end up with a saturating align_up once made
    // madvise(0, -1, MADV_DONTNEED) drop every page of the process: found by the syscall
    // fuzzer, seed 6.)
    let Some(end) = len
        .checked_add(PAGE_SIZE - 1)
        .map(|l| l & !(PAGE_SIZE - 1))
        .and_then(|l| addr.checked_add(l))
    else {
        return Err(Errno::EINVAL);
    };
    if end == addr {
        return Ok(0);
    }
    let covered = p.space.vmas.covers(addr, end);
    if advice == MADV_DONTNEED || advice == MADV_FREE {
        let ranges: alloc::vec::Vec<(u64, u64, bool)> = p
            .space
            .vmas
            .iter()
            .filter(|&(s, v)| s < end && v.end > addr)
            .map(|(s, v)| {
                let anon = matches!(v.backing, mm_core::vma::Backing::Anon);
                (s.max(addr), v.end.min(end), anon)
            })
            .collect();
        for (s, e, anon) in ranges {
            // MADV_FREE is for private anonymous memory only: Linux stops with EINVAL at
            // the first file or shared mapping (the areas before it have been done).
            if !anon && advice == MADV_FREE {
                return Err(Errno::EINVAL);
            }
            p.space.unmap_range(s, e);
        }
    }
    if covered {
        Ok(0)
    } else {
        Err(Errno::ENOMEM)
    }
}

/// msync(addr, len, flags): nothing to write back (no writable shared file mappings), so
/// only Linux's checks: EINVAL for an unaligned address, unknown flags or MS_ASYNC with
/// MS_SYNC; ENOMEM when part of the range is not mapped (programs use that to probe).
pub fn msync(p: &mut Process, addr: u64, len: u64, flags: u64) -> SysResult {
    const MS_ASYNC: u64 = 1;
    const MS_INVALIDATE: u64 = 2;
    const MS_SYNC: u64 = 4;
    if !addr.is_multiple_of(PAGE_SIZE)
        || flags & !(MS_ASYNC | MS_INVALIDATE | MS_SYNC) != 0
        || flags & (MS_ASYNC | MS_SYNC) == MS_ASYNC | MS_SYNC
    {
        return Err(Errno::EINVAL);
    }
    let Some(end) = addr
        .checked_add(len)
        .map(|e| VirtAddr(e).align_up(PAGE_SIZE).0)
    else {
        return Err(Errno::ENOMEM);
    };
    if end == addr || p.space.vmas.covers(addr, end) {
        Ok(0)
    } else {
        Err(Errno::ENOMEM)
    }
}
