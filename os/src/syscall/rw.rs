//! readv(65) and writev(66): read(2) and write(2) over several buffers (musl's stdio reads
//! through readv; both libcs' stdio write through writev).

use crate::errno::Errno;
use crate::fs::files::{self, File};
use crate::proc::Process;
use crate::syscall::SysResult;
use alloc::vec::Vec;
use mm_core::VirtAddr;

/// The most buffers one call takes (Linux's UIO_MAXIOV).
const IOV_MAX: u64 = 1024;

/// readv(fd, iov, iovcnt): fills the buffers in order (see [`each_buffer`]).
pub fn readv(p: &mut Process, fd: u64, iov: VirtAddr, count: u64) -> SysResult {
    let bufs = iovecs(p, iov, count)?;
    if p.files.get(fd).is_none() {
        return Err(Errno::EBADF);
    }
    each_buffer(p, &bufs, |p, base, len| files::read(p, fd, base, len))
}

/// writev(fd, iov, iovcnt): writes the buffers in order (see [`each_buffer`]); only the
/// console and a pipe's write end can be written.
pub fn writev(p: &mut Process, fd: u64, iov: VirtAddr, count: u64) -> SysResult {
    let bufs = iovecs(p, iov, count)?;
    if !matches!(
        p.files.get(fd),
        Some(
            File::Console
                | File::Null
                | File::Pipe { write: true, .. }
                | File::Ram { write: true, .. }
        )
    ) {
        return Err(Errno::EBADF);
    }
    each_buffer(p, &bufs, |p, base, len| super::write(p, fd, base, len))
}

/// The (base, length) pairs of the `count` iovecs at `iov`, all read before any data moves,
/// as Linux's import_iovec does: more than [`IOV_MAX`] buffers, or lengths adding up past
/// isize::MAX, EINVAL; an array that cannot be read, EFAULT.
fn iovecs(p: &mut Process, iov: VirtAddr, count: u64) -> Result<Vec<(VirtAddr, u64)>, Errno> {
    if count > IOV_MAX {
        return Err(Errno::EINVAL);
    }
    let mut bufs = Vec::with_capacity(count as usize);
    let mut sum = 0u64;
    for i in 0..count {
        let mut raw = [0u8; 16];
        if p.space.copy_in(iov.add(i * 16), &mut raw).is_err() {
            return Err(Errno::EFAULT);
        }
        let base = u64::from_le_bytes(raw[..8].try_into().unwrap_or_default());
        let len = u64::from_le_bytes(raw[8..].try_into().unwrap_or_default());
        sum = sum.saturating_add(len);
        if len > i64::MAX as u64 || sum > i64::MAX as u64 {
            return Err(Errno::EINVAL);
        }
        bufs.push((VirtAddr(base), len));
    }
    Ok(bufs)
}

/// Moves the buffers in order, one `op` (a read or a write) each, and stops at the first
/// short one (that is all there is, or all the room, for now) or the first error: returns
/// what was moved before it, or the error when nothing was (so a call that must wait waits
/// only for its first buffer).
fn each_buffer(
    p: &mut Process,
    bufs: &[(VirtAddr, u64)],
    mut op: impl FnMut(&mut Process, VirtAddr, u64) -> SysResult,
) -> SysResult {
    let mut total = 0i64;
    for &(base, len) in bufs {
        if len == 0 {
            continue;
        }
        let n = match op(p, base, len) {
            Ok(n) => n,
            Err(e) => return if total > 0 { Ok(total) } else { Err(e) },
        };
        total += n;
        if (n as u64) < len {
            break;
        }
    }
    Ok(total)
}
