//! The memory system calls of a segmented process (`proc::seg`; docs/KERNEL.md,
//! "Segmented processes"), where every mapping is a whole segment: one contiguous
//! physical range that one PMP entry grants (two, after a gap).
//!
//! - brk grows the data segment in place while the frames right after it are free
//!   (`segmem::grow`), else returns the old break (Linux's way of saying ENOMEM: musl's
//!   malloc then uses mmap); shrinking gives the pages back.
//! - mmap makes a new segment, right after another mmap segment or the stack where the
//!   frames there are free (its PMP entry chains: one entry, not two) (anonymous: zero-filled; MAP_SHARED anonymous is private,
//!   there being no fork; an initramfs file: its bytes copied in) while the PMP has an
//!   entry for it, else ENOMEM. MAP_FIXED cannot be honoured (the address is physical):
//!   ENOMEM and a log line.
//! - munmap frees whole segments and shrinks a segment whose tail it covers; a head or a
//!   middle would split a segment: EINVAL and a log line.
//! - mprotect changes permissions inside one segment: a part becomes a segment of its own
//!   (adjacent, so its PMP entry chains), alike neighbours merge back; a range over
//!   several segments is EINVAL and a log line (musl's malloc reserves PROT_NONE memory
//!   and opens it page by page this way).
//! - mremap is ENOMEM (musl's realloc then copies); madvise accepts every advice, and
//!   MADV_DONTNEED zero-fills the range as Linux does for private anonymous memory.
use crate::errno::Errno;
use crate::proc::seg::{self, segmem, SegKind, SegPerms, SegProc, Segment};
use crate::proc::Process;
use crate::ratelimit::warn_ratelimited;
use crate::syscall::SysResult;
use alloc::vec::Vec;
use mm_core::{PhysAddr, PAGE_SIZE};

const MAP_SHARED: u64 = 0x01;
const MAP_PRIVATE: u64 = 0x02;
const MAP_SHARED_VALIDATE: u64 = 0x03;
const MAP_FIXED: u64 = 0x10;
const MAP_FIXED_NOREPLACE: u64 = 0x10_0000;
const MADV_DONTNEED: u64 = 4;

fn page_up(n: u64) -> Option<u64> {
    n.checked_next_multiple_of(PAGE_SIZE)
}

/// mmap's prot as segment permissions: PROT_READ, PROT_WRITE and PROT_EXEC (1, 2, 4) are
/// pmpcfg's R, W and X bits, which SegPerms uses; anything else is invalid.
fn perms_of(prot: u64) -> Option<SegPerms> {
    (prot & !7 == 0).then(|| SegPerms::from_bits_truncate(prot as u8))
}

fn segs(p: &mut Process) -> &mut SegProc {
    match p.space.seg.as_deref_mut() {
        Some(s) => s,
        None => panic!("segmented call for the paged process {}", p.pid),
    }
}

/// Zero-fills physical `[pa, pa + len)` (memory of the process's segments).
fn zero(pa: u64, len: u64) {
    let va = crate::mm::layout::phys_to_virt(PhysAddr(pa)).0 as *mut u8;
    // SAFETY: callers pass a range inside the process's own segments, reached through the
    // direct map.
    #[allow(unsafe_code)]
    unsafe {
        core::ptr::write_bytes(va, 0, len as usize)
    };
}

/// brk(addr) for a segmented process.
pub fn brk(p: &mut Process, addr: u64) -> u64 {
    let (brk, brk_start) = (p.brk, p.brk_start);
    let s = segs(p);
    // The heap is the end of the data segment (its last piece, if mprotect split it).
    let Some(data) = s
        .table
        .segments()
        .iter()
        .rev()
        .copied()
        .find(|g| g.kind == SegKind::Data)
    else {
        return brk;
    };
    if data.perms != SegPerms::R | SegPerms::W {
        // mprotect made the data's end something else: no heap grows there.
        return brk;
    }
    let Some(new_end) = page_up(addr) else {
        return brk;
    };
    if addr < brk_start {
        return brk;
    }
    let old_len = data.len;
    // The data segment never shrinks below what exec gave it.
    let floor = page_up(brk_start)
        .unwrap_or(brk_start)
        .max(data.base + PAGE_SIZE);
    let new_len = new_end.max(floor) - data.base;
    if new_len > old_len {
        if s.table.set_len(data.base, new_len).is_err() {
            return brk;
        }
        if !segmem::grow(PhysAddr(data.base), old_len, new_len) {
            let _ = s.table.set_len(data.base, old_len);
            log::debug!(
                "brk: pid {}: no free memory right after the data segment: break stays",
                p.pid
            );
            return brk;
        }
    } else if new_len < old_len {
        if s.table.set_len(data.base, new_len).is_err() {
            return brk;
        }
        segmem::shrink(PhysAddr(data.base), old_len, new_len);
    }
    s.update();
    seg::note_resident(&mut p.space);
    p.brk = addr;
    addr
}

/// mmap(addr, len, prot, flags, fd, offset) for a segmented process.
pub fn mmap(p: &mut Process, a: [u64; 6]) -> SysResult {
    let [_addr, len, prot, flags, fd, off] = a;
    let Some(perms) = perms_of(prot) else {
        return Err(Errno::EINVAL);
    };
    let kind = flags & MAP_SHARED_VALIDATE;
    if len == 0 || !(kind == MAP_SHARED || kind == MAP_PRIVATE || kind == MAP_SHARED_VALIDATE) {
        return Err(Errno::EINVAL);
    }
    if !off.is_multiple_of(PAGE_SIZE) {
        return Err(Errno::EINVAL);
    }
    if flags & (MAP_FIXED | MAP_FIXED_NOREPLACE) != 0 {
        warn_ratelimited!(
            "mmap: {}: MAP_FIXED in a segmented process (its addresses are physical): -ENOMEM",
            p.name
        );
        return Err(Errno::ENOMEM);
    }
    let data = super::mm::mapped_file(
        p,
        flags,
        fd,
        kind != MAP_PRIVATE && perms.contains(SegPerms::W),
    )?;
    let Some(len) = page_up(len) else {
        return Err(Errno::ENOMEM);
    };
    let Some(base) = place(segs(p), len) else {
        return Err(Errno::ENOMEM);
    };
    let segment = Segment {
        base: base.0,
        len,
        perms,
        kind: SegKind::Mmap,
    };
    if segs(p).insert(segment).is_err() {
        segmem::free(base, len);
        warn_ratelimited!(
            "mmap: {}: no PMP entry left for another segment: -ENOMEM",
            p.name
        );
        return Err(Errno::ENOMEM);
    }
    segs(p).mappings.push((base.0, base.0 + len));
    if let Some(data) = data {
        let from = (off as usize).min(data.len());
        let n = (data.len() - from).min(len as usize);
        let dst = crate::mm::layout::phys_to_virt(base).0 as *mut u8;
        // SAFETY: the new segment is `len` >= n bytes, reached through the direct map.
        #[allow(unsafe_code)]
        unsafe {
            core::ptr::copy_nonoverlapping(data[from..].as_ptr(), dst, n)
        };
    }
    seg::note_resident(&mut p.space);
    Ok(base.0 as i64)
}

/// Memory for a new mmap segment of `len` bytes: right after one of the process's mmap
/// segments or its stack if the frames there are free (the new segment's PMP entry then
/// chains on that one's: one entry instead of two, the OFF entry a gap needs being
/// saved), the highest first; never right after the data segment, whose following frames
/// brk grows into. Otherwise wherever the allocator's policy puts it.
fn place(s: &SegProc, len: u64) -> Option<PhysAddr> {
    let mut ends: Vec<u64> = s
        .table
        .segments()
        .iter()
        .filter(|g| matches!(g.kind, SegKind::Mmap | SegKind::Stack))
        .map(|g| g.base + g.len)
        .filter(|&end| s.table.containing(end).is_none())
        .collect();
    ends.sort_unstable_by(|a, b| b.cmp(a));
    for end in ends {
        if segmem::alloc_at(PhysAddr(end), len) {
            return Some(PhysAddr(end));
        }
    }
    segmem::alloc(len).ok()
}

/// munmap(addr, len) for a segmented process.
pub fn munmap(p: &mut Process, addr: u64, len: u64) -> SysResult {
    if !addr.is_multiple_of(PAGE_SIZE) || len == 0 {
        return Err(Errno::EINVAL);
    }
    let Some(end) = page_up(len).and_then(|l| addr.checked_add(l)) else {
        return Err(Errno::EINVAL);
    };
    let name = p.name;
    let s = segs(p);
    let hit: Vec<Segment> = s
        .table
        .segments()
        .iter()
        .copied()
        .filter(|g| g.base < end && addr < g.base + g.len)
        .collect();
    // Every segment touched must lose all of it or its tail.
    if let Some(g) = hit.iter().find(|g| g.base + g.len > end) {
        warn_ratelimited!(
            "munmap: {name}: [{addr:#x}, {end:#x}) is neither the whole of the segment at {:#x} nor its tail: -EINVAL",
            g.base
        );
        return Err(Errno::EINVAL);
    }
    for g in hit {
        if g.base >= addr {
            s.table.remove(g.base);
            segmem::free(PhysAddr(g.base), g.len);
        } else {
            let keep = addr - g.base;
            if s.table.set_len(g.base, keep).is_ok() {
                segmem::shrink(PhysAddr(g.base), g.len, keep);
            }
        }
    }
    s.forget_mappings(addr, end);
    s.update();
    seg::note_resident(&mut p.space);
    Ok(0)
}

/// mprotect(addr, len, prot) for a segmented process. The range must lie in one segment;
/// a part of a segment is split off as a segment of its own (physically adjacent pieces
/// chain their PMP entries, so a split costs one entry), and neighbours of the same kind
/// and permissions merge again. No PMP entry for the split: ENOMEM (Linux's answer when a
/// split would pass the map count limit).
pub fn mprotect(p: &mut Process, addr: u64, len: u64, prot: u64) -> SysResult {
    let Some(perms) = perms_of(prot) else {
        return Err(Errno::EINVAL);
    };
    if !addr.is_multiple_of(PAGE_SIZE) {
        return Err(Errno::EINVAL);
    }
    let Some(end) = page_up(len).and_then(|l| addr.checked_add(l)) else {
        return Err(Errno::ENOMEM);
    };
    if len == 0 {
        return Ok(0);
    }
    let name = p.name;
    let s = segs(p);
    let Some(g) = s.table.containing(addr).copied() else {
        return Err(Errno::ENOMEM);
    };
    if end > g.base + g.len {
        warn_ratelimited!(
            "mprotect: {name}: [{addr:#x}, {end:#x}) spans more than the segment at {:#x}: -EINVAL",
            g.base
        );
        return Err(Errno::EINVAL);
    }
    if g.perms == perms {
        return Ok(0);
    }
    let pieces = [
        (g.base, addr, g.perms),
        (addr, end, perms),
        (end, g.base + g.len, g.perms),
    ];
    s.table.remove(g.base);
    let mut placed = Vec::new();
    for (from, to, perms) in pieces {
        if from == to {
            continue;
        }
        let piece = Segment {
            base: from,
            len: to - from,
            perms,
            kind: g.kind,
        };
        if s.table.insert(piece).is_err() {
            for b in placed {
                s.table.remove(b);
            }
            let _ = s.table.insert(g);
            s.update();
            warn_ratelimited!(
                "mprotect: {name}: no PMP entry left to split the segment at {:#x}: -ENOMEM",
                g.base
            );
            return Err(Errno::ENOMEM);
        }
        placed.push(from);
    }
    segmem::pieces_changed(placed.len() as i64 - 1);
    coalesce(s);
    s.update();
    Ok(0)
}

/// Merges physically adjacent segments of the same kind and permissions that mprotect
/// split from one segment or one mapping, giving their PMP entries back.
fn coalesce(s: &mut SegProc) {
    loop {
        let segs = s.table.segments();
        let Some(i) = (1..segs.len()).find(|&i| {
            let (a, b) = (segs[i - 1], segs[i]);
            let same_origin = a.kind != SegKind::Mmap || {
                let m = s.mapping_of(a.base);
                m.is_some() && m == s.mapping_of(b.base)
            };
            a.base + a.len == b.base && a.kind == b.kind && a.perms == b.perms && same_origin
        }) else {
            return;
        };
        let (a, b) = (segs[i - 1], segs[i]);
        s.table.remove(b.base);
        if s.table.set_len(a.base, a.len + b.len).is_err() {
            let _ = s.table.insert(b);
            return;
        }
        segmem::pieces_changed(-1);
    }
}

/// mremap for a segmented process: a segment cannot move without its addresses changing
/// under the program's pointers, nor always grow in place.
pub fn mremap(p: &mut Process) -> SysResult {
    log::debug!("mremap: pid {}: segmented: -ENOMEM", p.pid);
    Err(Errno::ENOMEM)
}

/// madvise(addr, len, advice) for a segmented process.
pub fn madvise(p: &mut Process, addr: u64, len: u64, advice: u64) -> SysResult {
    if !addr.is_multiple_of(PAGE_SIZE) {
        return Err(Errno::EINVAL);
    }
    let Some(len) = page_up(len) else {
        return Err(Errno::EINVAL);
    };
    let s = segs(p);
    if !s.table.check(addr, len, SegPerms::empty()) {
        return Err(Errno::ENOMEM);
    }
    if advice == MADV_DONTNEED {
        if !s.table.check(addr, len, SegPerms::W) {
            return Err(Errno::EINVAL);
        }
        zero(addr, len);
    }
    Ok(0)
}
