//! The memory system calls: brk(214), munmap(215), mmap(222), mprotect(226), over the
//! process's areas (mm_core::vma) and page table (proc/space.rs).

use super::{EACCES, EBADF, EEXIST, EINVAL, ENODEV, ENOMEM};
use crate::fs::files::File;
use crate::proc::Process;
use mm_core::pte::PteFlags;
use mm_core::vma::{Backing, Name, Vma};
use mm_core::{VirtAddr, PAGE_SIZE};

/// Largest heap (brk) for now; the RLIMIT_DATA and overcommit rules come with reclaim.
const BRK_MAX: u64 = 64 << 20;

/// brk(addr): moves the break to `addr` when it stays within [brk_start, brk_start +
/// BRK_MAX] and does not run into another area; returns the (possibly unchanged) break, as
/// Linux does. Growing only extends the [heap] area (pages come on first touch); shrinking
/// unmaps and frees the pages past the new end.
pub fn brk(p: &mut Process, addr: u64) -> u64 {
    if addr < p.brk_start || addr > p.brk_start + BRK_MAX {
        return p.brk;
    }
    let old_end = VirtAddr(p.brk).align_up(PAGE_SIZE).0;
    let new_end = VirtAddr(addr).align_up(PAGE_SIZE).0;
    let vmas = &mut p.space.vmas;
    if new_end > old_end {
        if vmas.overlaps(old_end, new_end) {
            return p.brk;
        }
        match vmas.get_mut(p.brk_start) {
            Some(heap) => heap.end = new_end,
            None => {
                let heap = Vma {
                    end: new_end,
                    prot: PteFlags::R | PteFlags::W,
                    backing: Backing::Anon,
                    name: Name::Heap,
                };
                vmas.insert(p.brk_start, heap);
            }
        }
    } else if new_end < old_end {
        if new_end == p.brk_start {
            vmas.remove(p.brk_start);
        } else if let Some(heap) = vmas.get_mut(p.brk_start) {
            heap.end = new_end;
        }
        let mut va = new_end;
        while va < old_end {
            p.space.unmap(VirtAddr(va));
            va += PAGE_SIZE;
        }
    }
    p.brk = addr;
    addr
}

const MAP_SHARED: u64 = 0x01;
const MAP_PRIVATE: u64 = 0x02;
const MAP_SHARED_VALIDATE: u64 = 0x03;
const MAP_FIXED: u64 = 0x10;
const MAP_ANONYMOUS: u64 = 0x20;
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
/// MAP_SHARED anonymous memory behaves as private while there is one process.
pub fn mmap(p: &mut Process, a: [u64; 6]) -> i64 {
    let [addr, len, prot, flags, fd, off] = a;
    let Some(prot) = prot_flags(prot) else {
        return -EINVAL;
    };
    let kind = flags & MAP_SHARED_VALIDATE;
    if len == 0 || !(kind == MAP_SHARED || kind == MAP_PRIVATE || kind == MAP_SHARED_VALIDATE) {
        return -EINVAL;
    }
    if !off.is_multiple_of(PAGE_SIZE) {
        return -EINVAL;
    }
    // A file mapping: the descriptor must be an open initramfs file (read-only, so a
    // shared writable mapping is refused: EACCES); a private one is copied page by page on
    // first touch, so writes stay private.
    let file = if flags & MAP_ANONYMOUS != 0 {
        None
    } else {
        match p.files.get(fd) {
            None => return -EBADF,
            Some(File::Initramfs { data, .. }) => {
                if kind != MAP_PRIVATE && prot.contains(PteFlags::W) {
                    return -EACCES;
                }
                Some(data)
            }
            Some(_) => return -ENODEV,
        }
    };
    let user_end = p.space.mode.user_end().0;
    let Some(len) = len.checked_add(PAGE_SIZE - 1).map(|l| l & !(PAGE_SIZE - 1)) else {
        return -ENOMEM;
    };
    if len > user_end {
        return -ENOMEM;
    }
    let fixed = flags & (MAP_FIXED | MAP_FIXED_NOREPLACE) != 0;
    let start = if fixed {
        if !addr.is_multiple_of(PAGE_SIZE) {
            return -EINVAL;
        }
        if addr.checked_add(len).is_none_or(|e| e > user_end) {
            return -ENOMEM;
        }
        if p.space.vmas.overlaps(addr, addr + len) {
            if flags & MAP_FIXED_NOREPLACE != 0 {
                return -EEXIST;
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
                None => return -ENOMEM,
            }
        }
    };
    let backing = match file {
        None => Backing::Anon,
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
        return -ENOMEM;
    }
    if flags & MAP_POPULATE != 0 && !prot.is_empty() {
        let mut va = start;
        while va < start + len {
            if p.space.fault_in(VirtAddr(va), PteFlags::empty()).is_err() {
                break;
            }
            va += PAGE_SIZE;
        }
    }
    start as i64
}

/// munmap(addr, len): removes the areas' parts in the range and frees its pages.
pub fn munmap(p: &mut Process, addr: u64, len: u64) -> i64 {
    if !addr.is_multiple_of(PAGE_SIZE) || len == 0 {
        return -EINVAL;
    }
    let user_end = p.space.mode.user_end().0;
    let Some(end) = addr
        .checked_add(len)
        .map(|e| VirtAddr(e).align_up(PAGE_SIZE).0)
    else {
        return -EINVAL;
    };
    if end > user_end {
        return -EINVAL;
    }
    for (s, e) in p.space.vmas.remove_range(addr, end) {
        p.space.unmap_range(s, e);
    }
    0
}

/// mprotect(addr, len, prot): the areas covering the range (split at its ends) take the new
/// permissions, and so do the pages present in it. PROT_NONE keeps the pages (see
/// `space::pte_flags`).
pub fn mprotect(p: &mut Process, addr: u64, len: u64, prot: u64) -> i64 {
    const PROT_READ: u64 = 1;
    const PROT_WRITE: u64 = 2;
    const PROT_EXEC: u64 = 4;
    if !addr.is_multiple_of(PAGE_SIZE) || prot & !(PROT_READ | PROT_WRITE | PROT_EXEC) != 0 {
        return -EINVAL;
    }
    let Some(end) = addr
        .checked_add(len)
        .map(|e| VirtAddr(e).align_up(PAGE_SIZE).0)
    else {
        return -ENOMEM;
    };
    if !p.space.vmas.covers(addr, end) {
        return -ENOMEM;
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
    0
}
