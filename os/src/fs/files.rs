//! Open files and the file system calls: a per-process descriptor table over the console
//! (0, 1, 2) and the initramfs, which is the whole file system for now: read-only, files
//! at the root or in paths as the archive names them, the working directory `/`.
//!
//! openat(56), close(57), lseek(62), read(63), pread64(67), newfstatat(79), fstat(80),
//! with Linux's errors: ENOENT, EROFS for any write access, EISDIR, ENOTDIR, EBADF, ESPIPE,
//! EMFILE, ENAMETOOLONG, EFAULT.

use super::cpio;
use crate::proc::Process;
use alloc::vec::Vec;
use mm_core::VirtAddr;
use spin::Once;

/// The initramfs, once init starts.
static ROOT: Once<&'static [u8]> = Once::new();

/// Installs the initramfs as the file system.
pub fn set_root(archive: &'static [u8]) {
    ROOT.call_once(|| archive);
}

const ENOENT: i64 = 2;
const ESRCH: i64 = 3;
const EBADF: i64 = 9;
const EACCES: i64 = 13;
const EFAULT: i64 = 14;
const ENOTDIR: i64 = 20;
const EISDIR: i64 = 21;
const EINVAL: i64 = 22;
const EMFILE: i64 = 24;
const ESPIPE: i64 = 29;
const EROFS: i64 = 30;
const ENAMETOOLONG: i64 = 36;

const AT_FDCWD: i64 = -100;
const AT_EMPTY_PATH: u64 = 0x1000;
const O_ACCMODE: u64 = 3;
const O_CREAT: u64 = 0o100;
const O_TRUNC: u64 = 0o1000;
const O_DIRECTORY: u64 = 0o200000;
/// RLIMIT_NOFILE's default soft limit.
const MAX_FDS: usize = 1024;
const PATH_MAX: usize = 4096;

/// What a descriptor refers to.
#[derive(Clone, Copy, Debug)]
pub enum File {
    /// The UART: reads take a line of input (end of file after a break), writes go to the
    /// console.
    Console,
    /// The root directory.
    Root,
    /// /proc or /proc/PID.
    ProcDir,
    /// A /proc file, made when read (so a read at `pos` sees the process as it is then).
    Proc {
        entry: super::proc::Entry,
        pid: u32,
        pos: u64,
    },
    /// A regular file of the initramfs, read from `pos`.
    Initramfs {
        data: &'static [u8],
        ino: u64,
        mode: u32,
        pos: u64,
    },
}

/// A process's descriptors (a fork copies them: here each copy keeps its own file
/// positions, where Linux's share one open file description).
#[derive(Clone)]
pub struct FdTable(Vec<Option<File>>);

impl FdTable {
    /// stdin, stdout and stderr on the console.
    pub fn new() -> FdTable {
        FdTable(Vec::from([Some(File::Console); 3]))
    }

    /// The file open at `fd`.
    pub fn get(&self, fd: u64) -> Option<File> {
        self.0.get(fd as usize).copied().flatten()
    }

    fn get_mut(&mut self, fd: u64) -> Option<&mut File> {
        self.0.get_mut(fd as usize).and_then(|f| f.as_mut())
    }

    /// Opens `file` at the lowest free descriptor.
    fn install(&mut self, file: File) -> i64 {
        if let Some(i) = self.0.iter().position(|f| f.is_none()) {
            self.0[i] = Some(file);
            return i as i64;
        }
        if self.0.len() >= MAX_FDS {
            return -EMFILE;
        }
        self.0.push(Some(file));
        (self.0.len() - 1) as i64
    }
}

impl Default for FdTable {
    fn default() -> Self {
        FdTable::new()
    }
}

/// Reads a NUL-terminated path from user memory.
pub fn user_path(p: &mut Process, va: VirtAddr) -> Result<Vec<u8>, i64> {
    let mut path = Vec::new();
    let mut byte = [0u8];
    loop {
        if p.space
            .copy_in(va.add(path.len() as u64), &mut byte)
            .is_err()
        {
            return Err(-EFAULT);
        }
        if byte[0] == 0 {
            return Ok(path);
        }
        if path.len() >= PATH_MAX - 1 {
            return Err(-ENAMETOOLONG);
        }
        path.push(byte[0]);
    }
}

/// What `path` (relative to `dirfd`) names in the initramfs.
pub fn lookup(p: &Process, dirfd: i64, path: &[u8]) -> Result<File, i64> {
    if path.is_empty() {
        return Err(-ENOENT);
    }
    if path[0] != b'/' && dirfd != AT_FDCWD {
        match p.files.get(dirfd as u64) {
            None => return Err(-EBADF),
            Some(File::Root) => {}
            Some(_) => return Err(-ENOTDIR),
        }
    }
    let path = core::str::from_utf8(path).map_err(|_| -ENOENT)?;
    let parts: Vec<&str> = path
        .split('/')
        .filter(|c| !c.is_empty() && *c != ".")
        .collect();
    if parts.is_empty() {
        return Ok(File::Root);
    }
    if parts[0] == "proc" {
        use super::proc::{Entry, Found};
        return match super::proc::lookup(&parts, p.pid) {
            Some(Found::Dir) => Ok(File::ProcDir),
            // The exe link leads to the program's file.
            Some(Found::Entry(Entry::Exe, pid)) => match super::proc::exe_of(p, pid) {
                Some(exe) => lookup(p, AT_FDCWD, exe.as_bytes()),
                None => Err(-ENOENT),
            },
            Some(Found::Entry(entry, pid)) => Ok(File::Proc { entry, pid, pos: 0 }),
            None => Err(-ENOENT),
        };
    }
    let name = parts.join("/");
    let root = ROOT.get().copied().unwrap_or(&[]);
    let (ino, entry) = cpio::entries(root)
        .enumerate()
        .find(|(_, e)| e.name == name)
        .ok_or(-ENOENT)?;
    if !entry.is_file() {
        return Err(-ENOENT);
    }
    Ok(File::Initramfs {
        data: entry.data,
        ino: ino as u64 + 1,
        mode: entry.mode,
        pos: 0,
    })
}

/// openat(dirfd, path, flags, mode).
pub fn openat(p: &mut Process, dirfd: i64, path: VirtAddr, flags: u64) -> i64 {
    let path = match user_path(p, path) {
        Ok(v) => v,
        Err(e) => return e,
    };
    let file = match lookup(p, dirfd, &path) {
        Ok(f) => f,
        Err(e) if e == -ENOENT && flags & O_CREAT != 0 => return -EROFS,
        Err(e) => return e,
    };
    let writing = flags & O_ACCMODE != 0 || flags & O_TRUNC != 0;
    match file {
        File::Root | File::ProcDir if writing => -EISDIR,
        File::Initramfs { .. } | File::Proc { .. } if flags & O_DIRECTORY != 0 => -ENOTDIR,
        // /proc files refuse writes with EACCES (mode 0444), not EROFS.
        File::Proc { .. } if writing => -EACCES,
        _ if writing => -EROFS,
        f => p.files.install(f),
    }
}

/// close(fd).
pub fn close(p: &mut Process, fd: u64) -> i64 {
    match p.files.0.get_mut(fd as usize) {
        Some(slot @ Some(_)) => {
            *slot = None;
            0
        }
        _ => -EBADF,
    }
}

/// read(fd, buf, len).
pub fn read(p: &mut Process, fd: u64, buf: VirtAddr, len: u64) -> i64 {
    read_at(p, fd, buf, len, None)
}

/// pread64(fd, buf, len, offset): reads at `offset`, leaving the file position alone.
pub fn pread64(p: &mut Process, fd: u64, buf: VirtAddr, len: u64, offset: i64) -> i64 {
    if offset < 0 {
        return -EINVAL;
    }
    match p.files.get(fd) {
        Some(File::Console) => -ESPIPE,
        _ => read_at(p, fd, buf, len, Some(offset as u64)),
    }
}

fn read_at(p: &mut Process, fd: u64, buf: VirtAddr, len: u64, at: Option<u64>) -> i64 {
    let (data, pos) = match p.files.get(fd) {
        None => return -EBADF,
        Some(File::Console) => return read_console(p, buf, len),
        Some(File::Root | File::ProcDir) => return -EISDIR,
        Some(File::Proc { entry, pid, pos }) => {
            let Some(text) = super::proc::generate(p, pid, entry) else {
                return -ESRCH; // the process has ended
            };
            let start = (at.unwrap_or(pos) as usize).min(text.len());
            let n = (len as usize).min(text.len() - start);
            if p.space.copy_out(buf, &text[start..start + n]).is_err() {
                return -EFAULT;
            }
            if at.is_none() {
                if let Some(File::Proc { pos, .. }) = p.files.get_mut(fd) {
                    *pos += n as u64;
                }
            }
            return n as i64;
        }
        Some(File::Initramfs { data, pos, .. }) => (data, at.unwrap_or(pos)),
    };
    let start = (pos as usize).min(data.len());
    let n = (len as usize).min(data.len() - start);
    if p.space.copy_out(buf, &data[start..start + n]).is_err() {
        return -EFAULT;
    }
    if at.is_none() {
        if let Some(File::Initramfs { pos, .. }) = p.files.get_mut(fd) {
            *pos += n as u64;
        }
    }
    n as i64
}

/// readlinkat(dirfd, path, buf, size): the only link is /proc/PID/exe (the program's
/// path); any other existing file is not a link (EINVAL). Like Linux, at most `size` bytes,
/// no terminating NUL.
pub fn readlinkat(p: &mut Process, dirfd: i64, path: VirtAddr, buf: VirtAddr, size: u64) -> i64 {
    if size as i64 <= 0 {
        return -EINVAL;
    }
    let path = match user_path(p, path) {
        Ok(v) => v,
        Err(e) => return e,
    };
    let exe_of = core::str::from_utf8(&path).ok().and_then(|s| {
        let parts: Vec<&str> = s
            .split('/')
            .filter(|c| !c.is_empty() && *c != ".")
            .collect();
        if !(s.starts_with('/') || dirfd == AT_FDCWD) {
            return None;
        }
        match super::proc::lookup(&parts, p.pid) {
            Some(super::proc::Found::Entry(super::proc::Entry::Exe, pid)) => Some(pid),
            _ => None,
        }
    });
    let Some(exe) = exe_of.and_then(|pid| super::proc::exe_of(p, pid)) else {
        return match lookup(p, dirfd, &path) {
            Ok(_) => -EINVAL,
            Err(e) => e,
        };
    };
    let exe = exe.as_bytes();
    let n = exe.len().min(size as usize);
    match p.space.copy_out(buf, &exe[..n]) {
        Ok(()) => n as i64,
        Err(_) => -EFAULT,
    }
}

/// The inode number stat reports for the initramfs file at `path`.
pub fn ino_of(path: &str) -> Option<u64> {
    let root = ROOT.get().copied().unwrap_or(&[]);
    let name = path.trim_start_matches('/');
    cpio::entries(root)
        .position(|e| e.name == name)
        .map(|i| i as u64 + 2)
}

/// A read of the console: one line at most (see [`crate::console::read_line`]); 0 at end
/// of input. The bytes are taken before the buffer is checked, so a bad buffer loses them
/// (EFAULT), as a terminal's read would.
fn read_console(p: &mut Process, buf: VirtAddr, len: u64) -> i64 {
    if len == 0 {
        return 0;
    }
    if !p.restarted {
        super::proc::dump_before_read(p);
    }
    if !crate::console::input_ready() {
        // Nothing to read yet: the process sleeps and the read runs again when input
        // arrives (other processes run meanwhile).
        return -crate::syscall::ERESTARTSYS;
    }
    let mut line = [0u8; 1024];
    let want = (len as usize).min(line.len());
    let n = crate::console::read_line(&mut line[..want]);
    match p.space.copy_out(buf, &line[..n]) {
        Ok(()) => n as i64,
        Err(_) => -EFAULT,
    }
}

/// lseek(fd, offset, whence).
pub fn lseek(p: &mut Process, fd: u64, offset: i64, whence: u64) -> i64 {
    match p.files.get_mut(fd) {
        None => -EBADF,
        Some(File::Console) => -ESPIPE,
        Some(File::Root | File::ProcDir) => -EINVAL,
        // Size unknown until read: from the start or the current position only.
        Some(File::Proc { pos, .. }) => {
            let base = match whence {
                0 => 0,
                1 => *pos as i64,
                _ => return -EINVAL,
            };
            match base.checked_add(offset) {
                Some(n) if n >= 0 => {
                    *pos = n as u64;
                    n
                }
                _ => -EINVAL,
            }
        }
        Some(File::Initramfs { data, pos, .. }) => {
            let base = match whence {
                0 => 0,
                1 => *pos as i64,
                2 => data.len() as i64,
                _ => return -EINVAL,
            };
            match base.checked_add(offset) {
                Some(n) if n >= 0 => {
                    *pos = n as u64;
                    n
                }
                _ => -EINVAL,
            }
        }
    }
}

/// The `struct stat` (asm-generic layout, 128 bytes) of `file`.
fn stat_bytes(file: File) -> [u8; 128] {
    // (dev, ino, mode, nlink, rdev, size, blksize)
    let (dev, ino, mode, nlink, rdev, size, blksize): (u64, u64, u32, u32, u64, u64, u32) =
        match file {
            // /dev/ttyS0: character device 4:64, on devtmpfs.
            File::Console => (5, 3, 0o020620, 1, (4 << 8) | 64, 0, 1024),
            File::Root => (1, 1, 0o040755, 2, 0, 0, 4096),
            // procfs (its own device; files are 0444 and report size 0, as Linux's do).
            File::ProcDir => (0x16, 1, 0o040555, 2, 0, 0, 1024),
            File::Proc { entry, .. } => (0x16, 2 + entry as u64, 0o100444, 1, 0, 0, 1024),
            File::Initramfs {
                data, ino, mode, ..
            } => (1, ino + 1, mode, 1, 0, data.len() as u64, 4096),
        };
    let mut b = [0u8; 128];
    b[0..8].copy_from_slice(&dev.to_le_bytes());
    b[8..16].copy_from_slice(&ino.to_le_bytes());
    b[16..20].copy_from_slice(&mode.to_le_bytes());
    b[20..24].copy_from_slice(&nlink.to_le_bytes());
    // uid, gid 0 (24..32); rdev at 32, pad at 40
    b[32..40].copy_from_slice(&rdev.to_le_bytes());
    b[48..56].copy_from_slice(&size.to_le_bytes());
    b[56..60].copy_from_slice(&blksize.to_le_bytes());
    b[64..72].copy_from_slice(&size.div_ceil(512).to_le_bytes());
    b
}

fn put_stat(p: &mut Process, file: File, buf: VirtAddr) -> i64 {
    match p.space.copy_out(buf, &stat_bytes(file)) {
        Ok(()) => 0,
        Err(_) => -EFAULT,
    }
}

/// fstat(fd, buf).
pub fn fstat(p: &mut Process, fd: u64, buf: VirtAddr) -> i64 {
    match p.files.get(fd) {
        Some(f) => put_stat(p, f, buf),
        None => -EBADF,
    }
}

/// newfstatat(dirfd, path, buf, flags).
pub fn newfstatat(p: &mut Process, dirfd: i64, path: VirtAddr, buf: VirtAddr, flags: u64) -> i64 {
    let path = match user_path(p, path) {
        Ok(v) => v,
        Err(e) => return e,
    };
    if path.is_empty() && flags & AT_EMPTY_PATH != 0 {
        if dirfd == AT_FDCWD {
            return put_stat(p, File::Root, buf);
        }
        return fstat(p, dirfd as u64, buf);
    }
    match lookup(p, dirfd, &path) {
        Ok(f) => put_stat(p, f, buf),
        Err(e) => e,
    }
}
