//! readv(65): read(2) into several buffers (musl's stdio reads through it).

use crate::errno::Errno;
use crate::fs::files;
use crate::proc::Process;
use crate::syscall::SysResult;
use mm_core::VirtAddr;

/// readv(fd, iov, iovcnt): fills the buffers in order, one read each, and stops at the
/// first short read (the data there is all there is for now) or the first error (returning
/// what was read before it, or the error when nothing was: a read that must wait waits
/// only when it is the first). More than IOV_MAX (1024) buffers, or lengths adding up past
/// isize::MAX: EINVAL, as Linux checks before reading.
pub fn readv(p: &mut Process, fd: u64, iov: VirtAddr, count: u64) -> SysResult {
    const IOV_MAX: u64 = 1024;
    if count > IOV_MAX {
        return Err(Errno::EINVAL);
    }
    let mut bufs = alloc::vec::Vec::with_capacity(count as usize);
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
        bufs.push((base, len));
    }
    if p.files.get(fd).is_none() {
        return Err(Errno::EBADF);
    }
    let mut total = 0i64;
    for (base, len) in bufs {
        if len == 0 {
            continue;
        }
        let n = match files::read(p, fd, VirtAddr(base), len) {
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
