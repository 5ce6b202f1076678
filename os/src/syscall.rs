//! System calls from U-mode (`ecall`: number in a7, arguments in a0..a5, result in a0,
//! negative errno on failure; riscv64 uses the asm-generic numbers).
//!
//! This stage: write, exit, exit_group, brk, mprotect, mmap and munmap (anonymous),
//! getpid/gettid/getppid, set_tid_address, set_robust_list, prlimit64, clock_gettime,
//! getrandom; the file calls are in `fs/files.rs`. Anything else returns -ENOSYS and
//! logs one line (LINUX-FACTS.md lists which ones glibc tolerates that for).

use crate::console;
use crate::fs::files::{self, File};
use crate::proc::{self, Process};
use mm_core::pte::PteFlags;
use mm_core::vma::{Backing, Name, Vma};
use mm_core::{VirtAddr, PAGE_SIZE};

pub const ESRCH: i64 = 3;
pub const EBADF: i64 = 9;
pub const EEXIST: i64 = 17;
pub const ENOMEM: i64 = 12;
pub const EFAULT: i64 = 14;
pub const EINVAL: i64 = 22;
pub const ENOTTY: i64 = 25;
pub const ENOSYS: i64 = 38;

const SYS_IOCTL: u64 = 29;
const SYS_OPENAT: u64 = 56;
const SYS_CLOSE: u64 = 57;
const SYS_LSEEK: u64 = 62;
const SYS_READ: u64 = 63;
const SYS_NEWFSTATAT: u64 = 79;
const SYS_FSTAT: u64 = 80;
const SYS_WRITE: u64 = 64;
const SYS_WRITEV: u64 = 66;
const SYS_SET_TID_ADDRESS: u64 = 96;
const SYS_SET_ROBUST_LIST: u64 = 99;
const SYS_CLOCK_GETTIME: u64 = 113;
const SYS_GETPID: u64 = 172;
const SYS_GETPPID: u64 = 173;
const SYS_GETTID: u64 = 178;
const SYS_EXIT: u64 = 93;
const SYS_EXIT_GROUP: u64 = 94;
const SYS_BRK: u64 = 214;
const SYS_PRLIMIT64: u64 = 261;
const SYS_GETRANDOM: u64 = 278;
const SYS_MUNMAP: u64 = 215;
const SYS_MMAP: u64 = 222;
const SYS_MPROTECT: u64 = 226;

/// Largest heap (brk) for now; the RLIMIT_DATA and overcommit rules come with reclaim.
const BRK_MAX: u64 = 64 << 20;

/// Runs system call `nr` for `p`; returns a0.
pub fn dispatch(p: &mut Process, nr: u64, a: [u64; 6]) -> i64 {
    match nr {
        SYS_OPENAT => files::openat(p, a[0] as i64, VirtAddr(a[1]), a[2]),
        SYS_CLOSE => files::close(p, a[0]),
        SYS_LSEEK => files::lseek(p, a[0], a[1] as i64, a[2]),
        SYS_READ => files::read(p, a[0], VirtAddr(a[1]), a[2]),
        SYS_NEWFSTATAT => files::newfstatat(p, a[0] as i64, VirtAddr(a[1]), VirtAddr(a[2]), a[3]),
        SYS_FSTAT => files::fstat(p, a[0], VirtAddr(a[1])),
        SYS_WRITE => write(p, a[0], VirtAddr(a[1]), a[2]),
        SYS_WRITEV => writev(p, a[0], VirtAddr(a[1]), a[2]),
        // The console is not a terminal yet (no termios): what Linux answers for a pipe.
        SYS_IOCTL => match p.files.get(a[0]) {
            Some(_) => -ENOTTY,
            None => -EBADF,
        },
        SYS_EXIT | SYS_EXIT_GROUP => proc::exit(p.name, p.space.minflt, a[0] as u32 & 0xff),
        // One process, one thread: init is pid and tid 1, its parent the kernel (0). The
        // clear_child_tid and robust-list addresses matter once threads exit; not kept yet.
        SYS_SET_TID_ADDRESS | SYS_GETPID | SYS_GETTID => 1,
        SYS_GETPPID => 0,
        SYS_SET_ROBUST_LIST => set_robust_list(a[1]),
        SYS_BRK => brk(p, a[0]) as i64,
        SYS_GETRANDOM => getrandom(p, VirtAddr(a[0]), a[1], a[2]),
        SYS_CLOCK_GETTIME => clock_gettime(p, a[0], VirtAddr(a[1])),
        SYS_PRLIMIT64 => prlimit64(p, a[0], a[1], VirtAddr(a[2]), VirtAddr(a[3])),
        SYS_MPROTECT => mprotect(p, a[0], a[1], a[2]),
        SYS_MMAP => mmap(p, a),
        SYS_MUNMAP => munmap(p, a[0], a[1]),
        _ => {
            log::warn!("{}: syscall {nr} not implemented: -ENOSYS", p.name);
            -ENOSYS
        }
    }
}

/// set_robust_list(head, len): Linux accepts only its own head size (24 bytes).
fn set_robust_list(len: u64) -> i64 {
    if len == 24 {
        0
    } else {
        -EINVAL
    }
}

fn write(p: &mut Process, fd: u64, buf: VirtAddr, len: u64) -> i64 {
    if !matches!(p.files.get(fd), Some(File::Console)) {
        return -EBADF;
    }
    let mut chunk = [0u8; 256];
    let mut done = 0u64;
    while done < len {
        let n = (len - done).min(chunk.len() as u64) as usize;
        if p.space.copy_in(buf.add(done), &mut chunk[..n]).is_err() {
            // Linux returns what was written before the bad byte, or EFAULT.
            return if done > 0 { done as i64 } else { -EFAULT };
        }
        console::write_bytes(&chunk[..n]);
        done += n as u64;
    }
    done as i64
}

/// The state of [`getrandom`]'s generator.
static RANDOM: spin::Mutex<u64> = spin::Mutex::new(0x853c_49e6_748f_ea9b);

/// getrandom(buf, len, flags): bytes from a generator with a fixed seed (xorshift64*), so
/// that runs are reproducible, as the fixed AT_RANDOM bytes are; not for cryptography.
/// Flags as Linux checks them: GRND_NONBLOCK, GRND_RANDOM, GRND_INSECURE (not with
/// GRND_RANDOM); one call returns at most 32 MiB - 1 bytes.
fn getrandom(p: &mut Process, buf: VirtAddr, len: u64, flags: u64) -> i64 {
    const GRND_RANDOM: u64 = 2;
    const GRND_INSECURE: u64 = 4;
    if flags & !7 != 0 || flags & (GRND_RANDOM | GRND_INSECURE) == GRND_RANDOM | GRND_INSECURE {
        return -EINVAL;
    }
    let len = len.min((1 << 25) - 1);
    let mut done = 0u64;
    let mut chunk = [0u8; 256];
    while done < len {
        let n = (len - done).min(chunk.len() as u64) as usize;
        {
            let mut s = RANDOM.lock();
            for word in chunk[..n].chunks_mut(8) {
                *s ^= *s >> 12;
                *s ^= *s << 25;
                *s ^= *s >> 27;
                let v = s.wrapping_mul(0x2545_f491_4f6c_dd1d).to_le_bytes();
                word.copy_from_slice(&v[..word.len()]);
            }
        }
        if p.space.copy_out(buf.add(done), &chunk[..n]).is_err() {
            return if done > 0 { done as i64 } else { -EFAULT };
        }
        done += n as u64;
    }
    done as i64
}

/// clock_gettime(clock, tp): REALTIME, MONOTONIC, MONOTONIC_RAW, REALTIME_COARSE,
/// MONOTONIC_COARSE and BOOTTIME all read the time since boot (no RTC, no suspend).
fn clock_gettime(p: &mut Process, clock: u64, tp: VirtAddr) -> i64 {
    if !matches!(clock, 0 | 1 | 4 | 5 | 6 | 7) {
        return -EINVAL;
    }
    let ns = crate::time::now_ns();
    let mut raw = [0u8; 16];
    raw[..8].copy_from_slice(&(ns / 1_000_000_000).to_le_bytes());
    raw[8..].copy_from_slice(&(ns % 1_000_000_000).to_le_bytes());
    match p.space.copy_out(tp, &raw) {
        Ok(()) => 0,
        Err(_) => -EFAULT,
    }
}

/// prlimit64(pid, resource, new, old): this process only (pid 0 or 1). init runs as root,
/// so it may raise hard limits too (CAP_SYS_RESOURCE); soft above hard is EINVAL.
fn prlimit64(p: &mut Process, pid: u64, resource: u64, new: VirtAddr, old: VirtAddr) -> i64 {
    use crate::proc::rlimit::{Limit, NLIMITS, STACK};
    if pid != 0 && pid != 1 {
        return -ESRCH;
    }
    let r = resource as usize;
    if r >= NLIMITS {
        return -EINVAL;
    }
    let mut wanted = None;
    if new.0 != 0 {
        let mut raw = [0u8; 16];
        if p.space.copy_in(new, &mut raw).is_err() {
            return -EFAULT;
        }
        let cur = u64::from_le_bytes(raw[..8].try_into().unwrap_or_default());
        let max = u64::from_le_bytes(raw[8..].try_into().unwrap_or_default());
        if cur > max {
            return -EINVAL;
        }
        wanted = Some(Limit { cur, max });
    }
    if old.0 != 0 {
        let l = p.limits[r];
        let mut raw = [0u8; 16];
        raw[..8].copy_from_slice(&l.cur.to_le_bytes());
        raw[8..].copy_from_slice(&l.max.to_le_bytes());
        if p.space.copy_out(old, &raw).is_err() {
            return -EFAULT;
        }
    }
    if let Some(l) = wanted {
        p.limits[r] = l;
        if r == STACK {
            p.space.stack_limit = l.cur;
        }
    }
    0
}

/// writev(fd, iov, iovcnt): the buffers in order, as one write each; stops at the first
/// bad one (returning what was written, or its error if nothing was).
fn writev(p: &mut Process, fd: u64, iov: VirtAddr, count: u64) -> i64 {
    const IOV_MAX: u64 = 1024;
    if count > IOV_MAX {
        return -EINVAL;
    }
    if !matches!(p.files.get(fd), Some(File::Console)) {
        return -EBADF;
    }
    let mut total = 0i64;
    for i in 0..count {
        let mut raw = [0u8; 16];
        if p.space.copy_in(iov.add(i * 16), &mut raw).is_err() {
            return if total > 0 { total } else { -EFAULT };
        }
        let base = u64::from_le_bytes(raw[..8].try_into().unwrap_or_default());
        let len = u64::from_le_bytes(raw[8..].try_into().unwrap_or_default());
        let n = write(p, fd, VirtAddr(base), len);
        if n < 0 {
            return if total > 0 { total } else { n };
        }
        total += n;
        if (n as u64) < len {
            break;
        }
    }
    total
}

/// brk(addr): moves the break to `addr` when it stays within [brk_start, brk_start +
/// BRK_MAX] and does not run into another area; returns the (possibly unchanged) break, as
/// Linux does. Growing only extends the [heap] area (pages come on first touch); shrinking
/// unmaps and frees the pages past the new end.
fn brk(p: &mut Process, addr: u64) -> u64 {
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

/// mmap(addr, len, prot, flags, fd, offset), anonymous mappings only for now (file
/// mappings need file descriptors: EBADF). Placement is top-down below the mmap base, or at
/// `addr` with MAP_FIXED (replacing whatever was there, splitting any area) or
/// MAP_FIXED_NOREPLACE (EEXIST if something is there), or at the hint when it is free.
/// MAP_SHARED anonymous memory behaves as private while there is one process.
fn mmap(p: &mut Process, a: [u64; 6]) -> i64 {
    let [addr, len, prot, flags, _fd, off] = a;
    let Some(prot) = prot_flags(prot) else {
        return -EINVAL;
    };
    let kind = flags & MAP_SHARED_VALIDATE;
    if len == 0 || !(kind == MAP_SHARED || kind == MAP_PRIVATE || kind == MAP_SHARED_VALIDATE) {
        return -EINVAL;
    }
    if flags & MAP_ANONYMOUS == 0 {
        return -EBADF;
    }
    if !off.is_multiple_of(PAGE_SIZE) {
        return -EINVAL;
    }
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
    let area = Vma {
        end: start + len,
        prot,
        backing: Backing::Anon,
        name: Name::Anon,
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
fn munmap(p: &mut Process, addr: u64, len: u64) -> i64 {
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
fn mprotect(p: &mut Process, addr: u64, len: u64, prot: u64) -> i64 {
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
