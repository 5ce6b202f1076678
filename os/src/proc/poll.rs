//! What ppoll(73) and pselect6(72) see of a descriptor (fs/select.c's rules with
//! fs/pipe.c's pipe_poll): a pipe's read end is readable with bytes queued and hangs up
//! with no write end left; its write end is writable with room and in error with no read
//! end left; the console is readable with input (or at its end) and always writable;
//! every other file is both (Linux's DEFAULT_POLLMASK for files without a poll method).
//! The waiting itself is in `signal.rs` (the calls also wait for signals).

use super::Process;
use crate::errno::Errno;
use crate::fs::files::File;
use alloc::vec;
use mm_core::VirtAddr;

pub const POLLIN: u16 = 0x1;
pub const POLLPRI: u16 = 0x2;
pub const POLLOUT: u16 = 0x4;
pub const POLLERR: u16 = 0x8;
pub const POLLHUP: u16 = 0x10;
pub const POLLNVAL: u16 = 0x20;
const POLLRDNORM: u16 = 0x40;
const POLLWRNORM: u16 = 0x100;

/// The events ready on descriptor `fd` now (POLLNVAL when it is not open).
fn ready(p: &Process, fd: u64) -> u16 {
    match p.files.get(fd) {
        None => POLLNVAL,
        Some(File::Pipe { id, write: false }) => {
            let (queued, _, _, writers) = crate::fs::pipe::poll_state(id);
            let mut m = 0;
            if queued > 0 {
                m |= POLLIN | POLLRDNORM;
            }
            if writers == 0 {
                m |= POLLHUP;
            }
            m
        }
        Some(File::Pipe { id, write: true }) => {
            let (_, room, readers, _) = crate::fs::pipe::poll_state(id);
            let mut m = 0;
            if room > 0 {
                m |= POLLOUT | POLLWRNORM;
            }
            if readers == 0 {
                m |= POLLERR;
            }
            m
        }
        Some(File::Console) => {
            let input = if crate::fs::tty::readable() {
                POLLIN | POLLRDNORM
            } else {
                0
            };
            input | POLLOUT | POLLWRNORM
        }
        Some(_) => POLLIN | POLLOUT | POLLRDNORM | POLLWRNORM,
    }
}

/// ppoll's scan: `nfds` `struct pollfd` {fd (int), events, revents (shorts)} at `fds`;
/// writes each revents (a negative fd gets 0); returns how many are nonzero. Done 64 at
/// a time, so a large nfds takes no kernel memory.
pub fn scan_pollfds(p: &mut Process, fds: u64, nfds: u64) -> Result<i64, Errno> {
    p.poll_console = false;
    let mut n = 0;
    let mut buf = [0u8; 64 * 8];
    let mut done = 0;
    while done < nfds {
        let k = (nfds - done).min(64) as usize;
        let at = VirtAddr(fds.wrapping_add(done * 8));
        let chunk = &mut buf[..k * 8];
        p.space.copy_in(at, chunk).map_err(|_| Errno::EFAULT)?;
        for e in chunk.chunks_exact_mut(8) {
            let fd = i32::from_le_bytes([e[0], e[1], e[2], e[3]]);
            let events = u16::from_le_bytes([e[4], e[5]]);
            let revents = if fd < 0 {
                0
            } else {
                p.poll_console |= matches!(p.files.get(fd as u64), Some(File::Console));
                ready(p, fd as u64) & (events | POLLERR | POLLHUP | POLLNVAL)
            };
            e[6..8].copy_from_slice(&revents.to_le_bytes());
            n += i64::from(revents != 0);
        }
        p.space.copy_out(at, chunk).map_err(|_| Errno::EFAULT)?;
        done += k as u64;
    }
    Ok(n)
}

/// pselect6's scan: the `fd_set` bitmaps (of `n` descriptors) at `sets` (read, write,
/// except; 0: none) are replaced by the ready ones when some are or on the `last` look
/// (left as they are for the look after the sleep otherwise); returns how many bits are
/// set. A set bit for a descriptor that is not open: EBADF.
pub fn scan_fdsets(p: &mut Process, n: u64, sets: [u64; 3], last: bool) -> Result<i64, Errno> {
    let words = n.div_ceil(64) as usize;
    let mut bits = [vec![0u64; words], vec![0u64; words], vec![0u64; words]];
    for (set, at) in bits.iter_mut().zip(sets) {
        if at == 0 {
            continue;
        }
        let mut raw = vec![0u8; words * 8];
        p.space
            .copy_in(VirtAddr(at), &mut raw)
            .map_err(|_| Errno::EFAULT)?;
        for (w, b) in set.iter_mut().zip(raw.chunks_exact(8)) {
            *w = u64::from_le_bytes(b.try_into().unwrap_or_default());
        }
    }
    let wants = [POLLIN | POLLHUP | POLLERR, POLLOUT | POLLERR, POLLPRI];
    let mut count = 0;
    p.poll_console = false;
    for fd in 0..n {
        let (w, b) = ((fd / 64) as usize, 1u64 << (fd % 64));
        if bits.iter().all(|s| s[w] & b == 0) {
            continue;
        }
        p.poll_console |= matches!(p.files.get(fd), Some(File::Console));
        let m = ready(p, fd);
        if m & POLLNVAL != 0 {
            return Err(Errno::EBADF);
        }
        for (set, want) in bits.iter_mut().zip(wants) {
            if set[w] & b != 0 && m & want == 0 {
                set[w] &= !b;
            } else if set[w] & b != 0 {
                count += 1;
            }
        }
    }
    if count == 0 && !last {
        return Ok(0);
    }
    for (set, at) in bits.iter().zip(sets) {
        if at == 0 {
            continue;
        }
        let raw: alloc::vec::Vec<u8> = set.iter().flat_map(|w| w.to_le_bytes()).collect();
        p.space
            .copy_out(VirtAddr(at), &raw)
            .map_err(|_| Errno::EFAULT)?;
    }
    Ok(count)
}
