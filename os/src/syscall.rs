//! System calls from U-mode (`ecall`: number in a7, arguments in a0..a5, result in a0,
//! negative errno on failure; riscv64 uses the asm-generic numbers).
//!
//! This stage: write, exit, exit_group, brk, mprotect. Anything else returns -ENOSYS and
//! logs one line (LINUX-FACTS.md lists which ones glibc tolerates that for).

use crate::console;
use crate::proc::{self, Process};
use mm_core::pte::PteFlags;
use mm_core::{VirtAddr, PAGE_SIZE};

pub const EBADF: i64 = 9;
pub const ENOMEM: i64 = 12;
pub const EFAULT: i64 = 14;
pub const EINVAL: i64 = 22;
pub const ENOSYS: i64 = 38;

const SYS_WRITE: u64 = 64;
const SYS_EXIT: u64 = 93;
const SYS_EXIT_GROUP: u64 = 94;
const SYS_BRK: u64 = 214;
const SYS_MPROTECT: u64 = 226;

/// Largest heap (brk) for now; the RLIMIT_DATA and overcommit rules come with reclaim.
const BRK_MAX: u64 = 64 << 20;

/// Runs system call `nr` for `p`; returns a0.
pub fn dispatch(p: &mut Process, nr: u64, a: [u64; 6]) -> i64 {
    match nr {
        SYS_WRITE => write(p, a[0], VirtAddr(a[1]), a[2]),
        SYS_EXIT | SYS_EXIT_GROUP => proc::exit(p.name, a[0] as u32 & 0xff),
        SYS_BRK => brk(p, a[0]) as i64,
        SYS_MPROTECT => mprotect(p, a[0], a[1], a[2]),
        _ => {
            log::warn!("{}: syscall {nr} not implemented: -ENOSYS", p.name);
            -ENOSYS
        }
    }
}

fn write(p: &Process, fd: u64, buf: VirtAddr, len: u64) -> i64 {
    if fd != 1 && fd != 2 {
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

/// brk(addr): moves the break to `addr` when it stays within [brk_start, brk_start +
/// BRK_MAX] and the pages can be had; returns the (possibly unchanged) break, as Linux does.
fn brk(p: &mut Process, addr: u64) -> u64 {
    if addr < p.brk_start || addr > p.brk_start + BRK_MAX {
        return p.brk;
    }
    let old_end = VirtAddr(p.brk).align_up(PAGE_SIZE).0;
    let new_end = VirtAddr(addr).align_up(PAGE_SIZE).0;
    let mut va = old_end;
    while va < new_end {
        if p.space
            .map_zeroed(VirtAddr(va), PteFlags::R | PteFlags::W)
            .is_err()
        {
            // Undo the partial growth: the break does not move.
            while va > old_end {
                va -= PAGE_SIZE;
                p.space.unmap(VirtAddr(va));
            }
            return p.brk;
        }
        va += PAGE_SIZE;
    }
    let mut va = new_end;
    while va < old_end {
        p.space.unmap(VirtAddr(va));
        va += PAGE_SIZE;
    }
    p.brk = addr;
    addr
}

/// mprotect(addr, len, prot) over pages mapped now.
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
    if prot == 0 {
        // PROT_NONE needs an invalid PTE that still owns its frame: it comes with VMAs.
        log::warn!("{}: mprotect PROT_NONE not supported yet: -EINVAL", p.name);
        return -EINVAL;
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
    let mut va = addr;
    while va < end {
        if p.space.translate(VirtAddr(va)).is_none() {
            return -ENOMEM;
        }
        va += PAGE_SIZE;
    }
    let mut va = addr;
    while va < end {
        p.space.set_flags(VirtAddr(va), flags);
        va += PAGE_SIZE;
    }
    0
}
