//! Open files and the file system calls: a per-process descriptor table over the console
//! (0, 1, 2), the initramfs, which is the whole file system for now (read-only, files at
//! the root or in paths as the archive names them, a directory wherever the archive has one
//! or a path under it, the working directory `/`), /proc, and the disks as /dev/vda,
//! /dev/vdb, ... (block devices 254:0, 254:16, ..., as devtmpfs would show them; only
//! these paths exist under /dev, which is not listed; they can be opened read-only and
//! read).
//!
//! openat(56), close(57), getdents64(61), lseek(62), read(63), pread64(67),
//! readlinkat(78), newfstatat(79), fstat(80), with Linux's errors: ENOENT, EROFS for any
//! write access, EISDIR, ENOTDIR, EBADF, ESPIPE, EMFILE, ENAMETOOLONG, EINVAL, EFAULT.

use super::cpio;
use super::proc::{Dir, Entry, Found, PidEntry};
use crate::errno::Errno;
use crate::proc::Process;
use crate::syscall::SysResult;
use alloc::string::String;
use alloc::sync::Arc;
use alloc::vec::Vec;
use mm_core::VirtAddr;
use spin::{Mutex, Once};

/// The initramfs, once init starts.
static ROOT: Once<&'static [u8]> = Once::new();

/// Installs the initramfs as the file system, with a writable /tmp (`super::ramfs`) when
/// the archive has none.
pub fn set_root(archive: &'static [u8]) {
    ROOT.call_once(|| archive);
    if !cpio::entries(archive).any(|e| e.name == "tmp" || e.name.starts_with("tmp/")) {
        let _ = super::ramfs::mkdir("tmp");
    }
}

const AT_FDCWD: i64 = -100;
const AT_EMPTY_PATH: u64 = 0x1000;
const AT_SYMLINK_NOFOLLOW: u64 = 0x100;
const O_ACCMODE: u64 = 3;
const O_CREAT: u64 = 0o100;
const O_TRUNC: u64 = 0o1000;
const O_DIRECTORY: u64 = 0o200000;
const O_CLOEXEC: u64 = 0o2000000;
const O_APPEND: u64 = 0o2000;
const O_NONBLOCK: u64 = 0o4000;
/// The file status flags an open file description keeps (openat, pipe2, F_SETFL) and
/// F_GETFL reports: of Linux's changeable ones, those this kernel implements. O_APPEND has
/// nothing to act on yet (the console and pipes ignore it on Linux too; regular files are
/// read-only); O_NONBLOCK makes reads and writes that would sleep fail with EAGAIN.
const STATUS_FLAGS: u64 = O_APPEND | O_NONBLOCK;
/// Changeable status flags this kernel does not implement (F_SETFL refuses them).
const UNSUPPORTED_STATUS: u64 = 0o20000 | 0o40000 | 0o1000000; // O_ASYNC, O_DIRECT, O_NOATIME
/// RLIMIT_NOFILE's default soft limit.
const MAX_FDS: usize = 1024;
const PATH_MAX: usize = 4096;

/// What a descriptor refers to.
#[derive(Clone, Copy, Debug)]
pub enum File {
    /// The UART: reads take a line of input (end of file after a break), writes go to the
    /// console.
    Console,
    /// A directory of the initramfs (`""` is the root); `pos` is the index of the next
    /// entry getdents64 returns (0 is `.`, 1 is `..`).
    Dir { path: &'static str, pos: u64 },
    /// A directory of /proc, read as [`File::Dir`].
    ProcDir { dir: Dir, pos: u64 },
    /// A /proc file, made by a read at offset 0 and kept for the reads after it
    /// ([`OpenFile`]'s `proc_text`); `write` when opened for writing (the writable ones: /proc/sys/vm/*,
    /// /proc/PID/oom_score_adj).
    Proc { entry: Entry, pos: u64, write: bool },
    /// A regular file of the initramfs, read from `pos`.
    Initramfs {
        data: &'static [u8],
        ino: u64,
        mode: u32,
        pos: u64,
    },
    /// An end of a pipe (`super::pipe`): the read end, or the write end.
    Pipe { id: u32, write: bool },
    /// A disk (`crate::drivers::virtio_blk`'s number `disk`), read from byte `pos`.
    BlockDev { disk: u8, pos: u64 },
    /// A file of the RAM file system (`super::ramfs`'s node `id`); `write` when opened
    /// for writing.
    Ram { id: u32, pos: u64, write: bool },
    /// /dev/null: reads find end of file, writes vanish.
    Null,
}

/// An open file description (Linux's `struct file`): the file and its position, shared by
/// every descriptor made from one openat or pipe2 through dup, dup3, fcntl(F_DUPFD) and
/// fork, so a read or lseek through one moves the others' position too.
#[derive(Debug)]
pub struct OpenFile {
    file: File,
    /// File status flags ([`STATUS_FLAGS`]): shared by every descriptor of the description,
    /// as on Linux (F_SETFL through one is seen through the others, across fork too).
    status: u64,
    /// A /proc file's text as the last read at offset 0 made it: later reads continue in
    /// it, so a reader going through the file sees one consistent snapshot (Linux's
    /// seq_file keeps the text of a one-record file the same way), even when the file
    /// takes several reads and the process or memory changes in between.
    proc_text: Option<Arc<Vec<u8>>>,
}

impl Drop for OpenFile {
    /// The last descriptor of the description is closed: a pipe end counts one holder
    /// fewer (which wakes the other end's sleepers if it was the last, taking the process
    /// table's lock: nobody may drop a description while holding it).
    fn drop(&mut self) {
        if let File::Pipe { id, write } = self.file {
            super::pipe::release(id, write);
        }
        if let File::Ram { id, .. } = self.file {
            super::ramfs::release(id);
        }
    }
}

/// A shared reference to an open file description.
type Desc = Arc<Mutex<OpenFile>>;

/// A new open file description of `file` with status flags `status` (for a pipe end, the
/// caller has counted it).
fn describe(file: File, status: u64) -> Desc {
    if let File::Ram { id, .. } = file {
        super::ramfs::hold(id);
    }
    Arc::new(Mutex::new(OpenFile {
        file,
        status: status & STATUS_FLAGS,
        proc_text: None,
    }))
}

/// An open descriptor: its open file description and its own close-on-exec flag
/// (FD_CLOEXEC, per descriptor as on Linux).
#[derive(Clone, Debug)]
struct Slot {
    desc: Desc,
    cloexec: bool,
}

/// A process's descriptors. A fork copies the table; the copies refer to the same open
/// file descriptions (one position per description, as on Linux). Dropping a table, closing or
/// replacing a descriptor drops a reference; the description goes with its last one.
#[derive(Clone)]
pub struct FdTable(Vec<Option<Slot>>);

impl FdTable {
    /// stdin, stdout and stderr on the console (one description, as a terminal opened
    /// once and duplicated).
    pub fn new() -> FdTable {
        let console = Slot {
            desc: describe(File::Console, 0),
            cloexec: false,
        };
        FdTable(Vec::from([
            Some(console.clone()),
            Some(console.clone()),
            Some(console),
        ]))
    }

    fn slot(&self, fd: u64) -> Option<&Slot> {
        self.0.get(fd as usize).and_then(Option::as_ref)
    }

    /// The file open at `fd` (a copy of its description's state).
    pub fn get(&self, fd: u64) -> Option<File> {
        self.slot(fd).map(|s| s.desc.lock().file)
    }

    /// The file open at `fd` and whether its description has O_NONBLOCK set.
    pub fn get_nonblock(&self, fd: u64) -> Option<(File, bool)> {
        self.slot(fd).map(|s| {
            let d = s.desc.lock();
            (d.file, d.status & O_NONBLOCK != 0)
        })
    }

    /// The open file description at `fd`.
    fn desc(&self, fd: u64) -> Option<Desc> {
        self.slot(fd).map(|s| s.desc.clone())
    }

    /// Opens `desc` at the lowest free descriptor at or above `from`; EMFILE when none is
    /// free (dropping `desc`).
    fn install_from(&mut self, from: usize, desc: Desc, cloexec: bool) -> SysResult {
        let slot = Some(Slot { desc, cloexec });
        if let Some(i) = (from..self.0.len()).find(|&i| self.0[i].is_none()) {
            self.0[i] = slot;
            return Ok(i as i64);
        }
        let fd = from.max(self.0.len());
        if fd >= MAX_FDS {
            return Err(Errno::EMFILE);
        }
        self.0.resize(fd + 1, None);
        self.0[fd] = slot;
        Ok(fd as i64)
    }

    /// Opens `desc` at the lowest free descriptor.
    fn install(&mut self, desc: Desc, cloexec: bool) -> SysResult {
        self.install_from(0, desc, cloexec)
    }

    /// Closes `fd`; false if it was not open.
    fn close(&mut self, fd: u64) -> bool {
        self.0.get_mut(fd as usize).and_then(Option::take).is_some()
    }

    /// execve: closes the descriptors marked close-on-exec.
    pub fn close_on_exec(&mut self) {
        for slot in self.0.iter_mut() {
            if slot.as_ref().is_some_and(|s| s.cloexec) {
                *slot = None;
            }
        }
    }
}

impl Default for FdTable {
    fn default() -> Self {
        FdTable::new()
    }
}

/// Reads a NUL-terminated path from user memory.
pub fn user_path(p: &mut Process, va: VirtAddr) -> Result<Vec<u8>, Errno> {
    let mut path = Vec::new();
    let mut byte = [0u8];
    loop {
        if p.space
            .copy_in(va.add(path.len() as u64), &mut byte)
            .is_err()
        {
            return Err(Errno::EFAULT);
        }
        if byte[0] == 0 {
            return Ok(path);
        }
        if path.len() >= PATH_MAX - 1 {
            return Err(Errno::ENAMETOOLONG);
        }
        path.push(byte[0]);
    }
}

/// The path (components joined by `/`, no leading `/`) of the directory open at `fd`.
fn dir_path(p: &Process, fd: u64) -> Result<String, Errno> {
    match p.files.get(fd) {
        None => Err(Errno::EBADF),
        Some(File::Dir { path, .. }) => Ok(String::from(path)),
        Some(File::ProcDir { dir, .. }) => Ok(match dir {
            Dir::Root => String::from("proc"),
            Dir::Sys => String::from("proc/sys"),
            Dir::SysVm => String::from("proc/sys/vm"),
            Dir::SysKernel => String::from("proc/sys/kernel"),
            Dir::Pid(pid) => alloc::format!("proc/{pid}"),
        }),
        Some(_) => Err(Errno::ENOTDIR),
    }
}

/// The components of `path` (relative to `dirfd`), with `.` dropped and `..` applied.
fn components(p: &Process, dirfd: i64, path: &[u8]) -> Result<Vec<String>, Errno> {
    let path = core::str::from_utf8(path).map_err(|_| Errno::ENOENT)?;
    let mut full = String::new();
    if !path.starts_with('/') {
        full = if dirfd == AT_FDCWD {
            p.cwd.clone()
        } else {
            dir_path(p, dirfd as u64)?
        };
        full.push('/');
    }
    full.push_str(path);
    let mut parts: Vec<String> = Vec::new();
    for c in full.split('/') {
        match c {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            c => parts.push(String::from(c)),
        }
    }
    Ok(parts)
}

/// What `path` (relative to `dirfd`) names.
pub fn lookup(p: &Process, dirfd: i64, path: &[u8]) -> Result<File, Errno> {
    if path.is_empty() {
        return Err(Errno::ENOENT);
    }
    let parts = components(p, dirfd, path)?;
    let parts: Vec<&str> = parts.iter().map(String::as_str).collect();
    if parts.first() == Some(&"proc") {
        return match super::proc::lookup(&parts, u64::from(p.pid)) {
            Some(Found::Dir(dir)) => Ok(File::ProcDir { dir, pos: 0 }),
            // The exe link leads to the program's file.
            Some(Found::Entry(Entry::Pid(pid, PidEntry::Exe))) => {
                match super::proc::exe_of(p, pid) {
                    Some(exe) => lookup(p, AT_FDCWD, exe.as_bytes()),
                    None => Err(Errno::ENOENT),
                }
            }
            Some(Found::Entry(entry)) => Ok(File::Proc {
                entry,
                pos: 0,
                write: false,
            }),
            None => Err(Errno::ENOENT),
        };
    }
    if let ["dev", name] = parts.as_slice() {
        if let Some(disk) = crate::drivers::virtio_blk::by_name(name) {
            return Ok(File::BlockDev {
                disk: disk as u8,
                pos: 0,
            });
        }
        match *name {
            "null" => return Ok(File::Null),
            "tty" | "console" | "ttyS0" => return Ok(File::Console),
            _ => {}
        }
    }
    let root = ROOT.get().copied().unwrap_or(&[]);
    if parts.is_empty() {
        return Ok(File::Dir { path: "", pos: 0 });
    }
    let name = parts.join("/");
    match super::ramfs::lookup(&name) {
        Some(super::ramfs::Found::File(id)) => {
            return Ok(File::Ram {
                id,
                pos: 0,
                write: false,
            })
        }
        Some(super::ramfs::Found::Dir(path)) => return Ok(File::Dir { path, pos: 0 }),
        None => {}
    }
    // A regular file on the way is not a directory.
    for n in 1..parts.len() {
        let prefix = parts[..n].join("/");
        if cpio::entries(root).any(|e| e.name == prefix && e.is_file()) {
            return Err(Errno::ENOTDIR);
        }
    }
    if let Some((ino, entry)) = cpio::entries(root)
        .enumerate()
        .find(|(_, e)| e.name == name)
    {
        if entry.is_file() {
            return Ok(File::Initramfs {
                data: entry.data,
                ino: ino as u64 + 1,
                mode: entry.mode,
                pos: 0,
            });
        }
        if entry.is_dir() {
            return Ok(File::Dir {
                path: entry.name,
                pos: 0,
            });
        }
        return Err(Errno::ENOENT);
    }
    // A directory the archive does not list but holds files under.
    cpio::entries(root)
        .find(|e| {
            e.name.len() > name.len()
                && e.name.starts_with(name.as_str())
                && e.name.as_bytes()[name.len()] == b'/'
        })
        .map(|e| File::Dir {
            path: &e.name[..name.len()],
            pos: 0,
        })
        .ok_or(Errno::ENOENT)
}

/// The inode number /proc's mount point has in the root's listing.
const PROC_MOUNT_INO: u64 = 0x20_0000;

/// The inode number of the initramfs directory `path` (`""`: the root, 1): its archive
/// entry's, or past every entry's for a directory the archive only implies.
fn dir_ino(path: &str) -> u64 {
    if path.is_empty() {
        return 1;
    }
    if let Some(ino) = super::ramfs::dir_ino(path) {
        return ino;
    }
    let root = ROOT.get().copied().unwrap_or(&[]);
    let under = |e: &cpio::Entry<'_>| {
        e.name.len() > path.len()
            && e.name.starts_with(path)
            && e.name.as_bytes()[path.len()] == b'/'
    };
    match cpio::entries(root).position(|e| e.name == path) {
        Some(i) => i as u64 + 2,
        None => 0x10_0000 + cpio::entries(root).position(|e| under(&e)).unwrap_or(0) as u64,
    }
}

/// The entries of the initramfs directory `path` after `.` and `..`: (inode, type,
/// name), newest first (the archive's last member first), as Linux's ramfs lists a
/// directory the archive was unpacked into.
fn list_dir(path: &str) -> Vec<(u64, u8, String)> {
    use super::proc::{DT_DIR, DT_LNK, DT_REG};
    let root = ROOT.get().copied().unwrap_or(&[]);
    let all: Vec<cpio::Entry<'_>> = cpio::entries(root).collect();
    let mut out: Vec<(u64, u8, String)> = Vec::new();
    for e in all.iter().rev() {
        let rest = if path.is_empty() {
            e.name
        } else {
            match e.name.strip_prefix(path).and_then(|r| r.strip_prefix('/')) {
                Some(r) => r,
                None => continue,
            }
        };
        if rest.is_empty() {
            continue;
        }
        let (child, deeper) = match rest.split_once('/') {
            Some((c, _)) => (c, true),
            None => (rest, false),
        };
        if out.iter().any(|(_, _, n)| n == child) {
            continue;
        }
        let child_path = if path.is_empty() {
            String::from(child)
        } else {
            alloc::format!("{path}/{child}")
        };
        let (ino, t) = if deeper || e.is_dir() {
            (dir_ino(&child_path), DT_DIR)
        } else if e.mode & 0o170000 == 0o120000 {
            (ino_of(&child_path).unwrap_or(0), DT_LNK)
        } else {
            (ino_of(&child_path).unwrap_or(0), DT_REG)
        };
        out.push((ino, t, String::from(child)));
    }
    for (ino, dir, name) in super::ramfs::list(path) {
        if !out.iter().any(|(_, _, n)| *n == name) {
            out.push((ino, if dir { DT_DIR } else { DT_REG }, name));
        }
    }
    out
}

/// getdents64(fd, dirp, count): as many `struct linux_dirent64` records (d_ino, d_off,
/// d_reclen, d_type, the name and its NUL, padded to 8 bytes) as fit, from the
/// directory's position; 0 at the end. EINVAL when not even the next record fits.
pub fn getdents64(p: &mut Process, fd: u64, buf: VirtAddr, count: u64) -> SysResult {
    use super::proc::DT_DIR;
    let (mut entries, pos, ino, parent) = match p.files.get(fd) {
        None => return Err(Errno::EBADF),
        Some(File::Dir { path, pos }) => {
            let parent = match path.rsplit_once('/') {
                Some((up, _)) => dir_ino(up),
                None => 1,
            };
            (Vec::new(), pos, dir_ino(path), parent)
        }
        Some(File::ProcDir { dir, pos }) => (
            Vec::new(),
            pos,
            super::proc::dir_ino(dir),
            super::proc::parent_ino(dir),
        ),
        Some(_) => return Err(Errno::ENOTDIR),
    };
    entries.push((ino, DT_DIR, String::from(".")));
    entries.push((parent, DT_DIR, String::from("..")));
    match p.files.get(fd) {
        Some(File::Dir { path, .. }) => {
            // Where procfs is mounted (the inode of the directory under it).
            if path.is_empty() {
                entries.push((PROC_MOUNT_INO, DT_DIR, String::from("proc")));
            }
            entries.extend(list_dir(path))
        }
        Some(File::ProcDir { dir, .. }) => entries.extend(super::proc::list(dir, u64::from(p.pid))),
        _ => {}
    }
    let count = count.min(i32::MAX as u64) as usize;
    let mut out: Vec<u8> = Vec::new();
    let mut i = pos as usize;
    while let Some((ino, t, name)) = entries.get(i) {
        let reclen = (19 + name.len() + 1).next_multiple_of(8);
        if out.len() + reclen > count {
            break;
        }
        let at = out.len();
        out.resize(at + reclen, 0);
        out[at..at + 8].copy_from_slice(&ino.to_le_bytes());
        out[at + 8..at + 16].copy_from_slice(&(i as u64 + 1).to_le_bytes());
        out[at + 16..at + 18].copy_from_slice(&(reclen as u16).to_le_bytes());
        out[at + 18] = *t;
        out[at + 19..at + 19 + name.len()].copy_from_slice(name.as_bytes());
        i += 1;
    }
    if out.is_empty() && i < entries.len() {
        return Err(Errno::EINVAL);
    }
    if p.space.copy_out(buf, &out).is_err() {
        return Err(Errno::EFAULT);
    }
    if let Some(desc) = p.files.desc(fd) {
        if let File::Dir { pos, .. } | File::ProcDir { pos, .. } = &mut desc.lock().file {
            *pos = i as u64;
        }
    }
    Ok(out.len() as i64)
}

/// openat(dirfd, path, flags, mode).
pub fn openat(p: &mut Process, dirfd: i64, path: VirtAddr, flags: u64) -> SysResult {
    const O_EXCL: u64 = 0o200;
    const O_NOCTTY: u64 = 0o400;
    let path = user_path(p, path)?;
    let file = match lookup(p, dirfd, &path) {
        Ok(_) if flags & O_CREAT != 0 && flags & O_EXCL != 0 => return Err(Errno::EEXIST),
        Ok(f) => f,
        Err(Errno::ENOENT) if flags & O_CREAT != 0 => {
            let (parent, name) = parent_of(p, dirfd, &path)?;
            if name.is_empty() || path.ends_with(b"/") {
                return Err(Errno::EISDIR);
            }
            let full = if parent.is_empty() {
                name
            } else {
                alloc::format!("{parent}/{name}")
            };
            if full == "proc" || full.starts_with("proc/") || full.starts_with("dev/") {
                return Err(Errno::EACCES);
            }
            let id = super::ramfs::create(&full)?;
            File::Ram {
                id,
                pos: 0,
                write: false,
            }
        }
        Err(e) => return Err(e),
    };
    let writing = flags & O_ACCMODE != 0 || flags & O_TRUNC != 0;
    if matches!(file, File::Console) && flags & O_NOCTTY == 0 {
        super::tty::opened_by(p);
    }
    match file {
        File::Ram { id, .. } => {
            if flags & O_DIRECTORY != 0 {
                return Err(Errno::ENOTDIR);
            }
            if flags & O_TRUNC != 0 && flags & O_ACCMODE != 0 {
                super::ramfs::truncate(id, 0)?;
            }
            let f = File::Ram {
                id,
                pos: 0,
                write: flags & O_ACCMODE != 0,
            };
            p.files.install(describe(f, flags), flags & O_CLOEXEC != 0)
        }
        File::Null | File::Console => p
            .files
            .install(describe(file, flags), flags & O_CLOEXEC != 0),
        File::Dir { .. } | File::ProcDir { .. } if writing => Err(Errno::EISDIR),
        File::Initramfs { .. } | File::Proc { .. } | File::BlockDev { .. }
            if flags & O_DIRECTORY != 0 =>
        {
            Err(Errno::ENOTDIR)
        }
        // /proc files refuse writes with EACCES (mode 0444), not EROFS, but the tunables
        // and oom_score_adj (0644).
        File::Proc { entry, .. } if writing => {
            if !super::proc::writable(entry) || flags & O_ACCMODE == 0 {
                return Err(Errno::EACCES);
            }
            let f = File::Proc {
                entry,
                pos: 0,
                write: true,
            };
            p.files.install(describe(f, flags), flags & O_CLOEXEC != 0)
        }
        _ if writing => Err(Errno::EROFS),
        f => p.files.install(describe(f, flags), flags & O_CLOEXEC != 0),
    }
}

/// close(fd).
pub fn close(p: &mut Process, fd: u64) -> SysResult {
    if p.files.close(fd) {
        Ok(0)
    } else {
        Err(Errno::EBADF)
    }
}

/// pipe2(fds, flags): a new pipe; its read end's descriptor goes to fds[0], the write
/// end's to fds[1] (two ints). Flags: O_CLOEXEC, O_NONBLOCK (on both ends' descriptions);
/// O_DIRECT (packet mode) is not supported (EINVAL, logged); anything else EINVAL as on
/// Linux.
pub fn pipe2(p: &mut Process, fds: VirtAddr, flags: u64) -> SysResult {
    const O_DIRECT: u64 = 0o40000;
    if flags & !(O_CLOEXEC | O_NONBLOCK | O_DIRECT) != 0 {
        return Err(Errno::EINVAL);
    }
    if flags & O_DIRECT != 0 {
        crate::ratelimit::warn_ratelimited!(
            "{}: pipe2 with O_DIRECT is not supported: -EINVAL",
            p.name
        );
        return Err(Errno::EINVAL);
    }
    let status = flags & O_NONBLOCK;
    let cloexec = flags & O_CLOEXEC != 0;
    let id = super::pipe::create();
    let rd = match p
        .files
        .install(describe(File::Pipe { id, write: false }, status), cloexec)
    {
        Ok(fd) => fd,
        Err(e) => {
            super::pipe::release(id, true);
            return Err(e);
        }
    };
    let wr = match p
        .files
        .install(describe(File::Pipe { id, write: true }, status), cloexec)
    {
        Ok(fd) => fd,
        Err(e) => {
            p.files.close(rd as u64);
            return Err(e);
        }
    };
    let mut raw = [0u8; 8];
    raw[..4].copy_from_slice(&(rd as i32).to_le_bytes());
    raw[4..].copy_from_slice(&(wr as i32).to_le_bytes());
    if p.space.copy_out(fds, &raw).is_err() {
        p.files.close(rd as u64);
        p.files.close(wr as u64);
        return Err(Errno::EFAULT);
    }
    Ok(0)
}

/// dup(fd): a copy at the lowest free descriptor, close-on-exec clear.
pub fn dup(p: &mut Process, fd: u64) -> SysResult {
    match p.files.desc(fd) {
        Some(d) => p.files.install(d, false),
        None => Err(Errno::EBADF),
    }
}

/// dup3(old, new, flags): `new` becomes a copy of `old` (closing what was open there);
/// flags O_CLOEXEC only; `old` = `new` is EINVAL (glibc's dup2 handles that case itself).
pub fn dup3(p: &mut Process, old: u64, new: u64, flags: u64) -> SysResult {
    if flags & !O_CLOEXEC != 0 || old == new {
        return Err(Errno::EINVAL);
    }
    let Some(d) = p.files.desc(old) else {
        return Err(Errno::EBADF);
    };
    if new as usize >= MAX_FDS {
        return Err(Errno::EBADF);
    }
    p.files.close(new);
    p.files
        .install_from(new as usize, d, flags & O_CLOEXEC != 0)
}

/// fcntl(fd, cmd, arg) for the descriptor commands: F_DUPFD, F_DUPFD_CLOEXEC, F_GETFD,
/// F_SETFD, F_GETFL (the access mode — O_RDONLY, O_WRONLY for a pipe's write end, O_RDWR for
/// the console — with the status flags), F_SETFL (sets O_APPEND and O_NONBLOCK as given;
/// like Linux it ignores the access mode and creation flags; O_ASYNC, O_DIRECT and
/// O_NOATIME are not supported: EINVAL, logged). Others: EINVAL, logged.
pub fn fcntl(p: &mut Process, fd: u64, cmd: u64, arg: u64) -> SysResult {
    const F_DUPFD: u64 = 0;
    const F_GETFD: u64 = 1;
    const F_SETFD: u64 = 2;
    const F_GETFL: u64 = 3;
    const F_SETFL: u64 = 4;
    const F_DUPFD_CLOEXEC: u64 = 1030;
    const FD_CLOEXEC: u64 = 1;
    let Some(d) = p.files.desc(fd) else {
        return Err(Errno::EBADF);
    };
    let (f, status) = {
        let open = d.lock();
        (open.file, open.status)
    };
    match cmd {
        F_DUPFD | F_DUPFD_CLOEXEC => {
            if arg as usize >= MAX_FDS {
                return Err(Errno::EINVAL);
            }
            p.files
                .install_from(arg as usize, d, cmd == F_DUPFD_CLOEXEC)
        }
        F_GETFD => match p.files.slot(fd) {
            Some(s) if s.cloexec => Ok(FD_CLOEXEC as i64),
            _ => Ok(0),
        },
        F_SETFD => {
            if let Some(Some(s)) = p.files.0.get_mut(fd as usize) {
                s.cloexec = arg & FD_CLOEXEC != 0;
            }
            Ok(0)
        }
        F_GETFL => {
            let mode = match f {
                File::Pipe { write: true, .. } => 1,
                File::Console | File::Null => 2, // O_RDWR, as a terminal is opened
                File::Ram { write: true, .. } => 1,
                _ => 0,
            };
            Ok((mode | status) as i64)
        }
        F_SETFL => {
            if arg & UNSUPPORTED_STATUS != 0 {
                crate::ratelimit::warn_ratelimited!(
                    "{}: fcntl(F_SETFL) with O_ASYNC, O_DIRECT or O_NOATIME ({arg:#o}) is not supported: -EINVAL",
                    p.name
                );
                return Err(Errno::EINVAL);
            }
            d.lock().status = arg & STATUS_FLAGS;
            Ok(0)
        }
        _ => {
            crate::ratelimit::warn_ratelimited!(
                "{}: fcntl command {cmd} not implemented: -EINVAL",
                p.name
            );
            Err(Errno::EINVAL)
        }
    }
}

/// read(fd, buf, len).
pub fn read(p: &mut Process, fd: u64, buf: VirtAddr, len: u64) -> SysResult {
    read_at(p, fd, buf, len, None)
}

/// pread64(fd, buf, len, offset): reads at `offset`, leaving the file position alone.
pub fn pread64(p: &mut Process, fd: u64, buf: VirtAddr, len: u64, offset: i64) -> SysResult {
    if offset < 0 {
        return Err(Errno::EINVAL);
    }
    match p.files.get(fd) {
        Some(File::Console | File::Pipe { .. }) => Err(Errno::ESPIPE),
        Some(File::Ram { write: true, .. }) => Err(Errno::EBADF),
        _ => read_at(p, fd, buf, len, Some(offset as u64)),
    }
}

fn read_at(p: &mut Process, fd: u64, buf: VirtAddr, len: u64, at: Option<u64>) -> SysResult {
    let Some(desc) = p.files.desc(fd) else {
        return Err(Errno::EBADF);
    };
    let (file, nonblock) = {
        let open = desc.lock();
        (open.file, open.status & O_NONBLOCK != 0)
    };
    let (data, pos) = match file {
        File::Console => return read_console(p, buf, len, nonblock),
        File::Pipe { write: true, .. } => return Err(Errno::EBADF),
        File::Pipe { id, .. } => return super::pipe::read(p, id, buf, len, nonblock),
        File::Dir { .. } | File::ProcDir { .. } => return Err(Errno::EISDIR),
        File::Proc { entry, pos, .. } => {
            let from = at.unwrap_or(pos);
            let kept = match from {
                0 => None,
                _ => desc.lock().proc_text.clone(),
            };
            let text = match kept {
                Some(text) => text,
                None => {
                    let Some(text) = super::proc::generate(p, entry) else {
                        return Err(Errno::ESRCH); // the process has ended
                    };
                    let text = Arc::new(text);
                    desc.lock().proc_text = Some(text.clone());
                    text
                }
            };
            let start = (from as usize).min(text.len());
            let n = (len as usize).min(text.len() - start);
            if p.space.copy_out(buf, &text[start..start + n]).is_err() {
                return Err(Errno::EFAULT);
            }
            if at.is_none() {
                if let File::Proc { pos, .. } = &mut desc.lock().file {
                    *pos += n as u64;
                }
            }
            return Ok(n as i64);
        }
        File::Initramfs { data, pos, .. } => (data, at.unwrap_or(pos)),
        File::Null => return Ok(0),
        File::Ram { id, pos, .. } => {
            let bytes = super::ramfs::read(id, at.unwrap_or(pos), len.min(1 << 30) as usize);
            if p.space.copy_out(buf, &bytes).is_err() {
                return Err(Errno::EFAULT);
            }
            if at.is_none() {
                if let File::Ram { pos, .. } = &mut desc.lock().file {
                    *pos += bytes.len() as u64;
                }
            }
            return Ok(bytes.len() as i64);
        }
        File::BlockDev { disk, pos } => {
            let n = read_disk(p, disk, at.unwrap_or(pos), buf, len)?;
            if n > 0 && at.is_none() {
                if let File::BlockDev { pos, .. } = &mut desc.lock().file {
                    *pos += n as u64;
                }
            }
            return Ok(n);
        }
    };
    let start = (pos as usize).min(data.len());
    let n = (len as usize).min(data.len() - start);
    if p.space.copy_out(buf, &data[start..start + n]).is_err() {
        return Err(Errno::EFAULT);
    }
    if at.is_none() {
        if let File::Initramfs { pos, .. } = &mut desc.lock().file {
            *pos += n as u64;
        }
    }
    Ok(n as i64)
}

/// A read of disk `disk` at byte `pos`: at most the rest of the 4 KiB page `pos` is in (a
/// short read, which callers loop over), 0 at the end of the disk, EIO if the disk fails.
fn read_disk(p: &mut Process, disk: u8, pos: u64, buf: VirtAddr, len: u64) -> SysResult {
    use crate::drivers::virtio_blk;
    let size = virtio_blk::capacity(disk as usize).unwrap_or(0) * 512;
    if pos >= size || len == 0 {
        return Ok(0);
    }
    let page_at = pos & !(mm_core::PAGE_SIZE - 1);
    let mut page = alloc::boxed::Box::new([0u8; 4096]);
    if virtio_blk::read_page(disk as usize, page_at / 512, &mut page).is_err() {
        return Err(Errno::EIO);
    }
    let start = (pos - page_at) as usize;
    let n = (len as usize).min(4096 - start).min((size - pos) as usize);
    match p.space.copy_out(buf, &page[start..start + n]) {
        Ok(()) => Ok(n as i64),
        Err(_) => Err(Errno::EFAULT),
    }
}

/// readlinkat(dirfd, path, buf, size): the links are /proc/PID/exe (the program's path)
/// and /proc/self (the caller's pid); any other existing file is not a link (EINVAL). Like
/// Linux, at most `size` bytes, no terminating NUL.
pub fn readlinkat(
    p: &mut Process,
    dirfd: i64,
    path: VirtAddr,
    buf: VirtAddr,
    size: u64,
) -> SysResult {
    if size as i64 <= 0 {
        return Err(Errno::EINVAL);
    }
    let path = user_path(p, path)?;
    if path.is_empty() {
        return Err(Errno::ENOENT);
    }
    let parts = components(p, dirfd, &path)?;
    let parts: Vec<&str> = parts.iter().map(String::as_str).collect();
    let target = match (
        parts.as_slice(),
        super::proc::lookup(&parts, u64::from(p.pid)),
    ) {
        (["proc", "self"], _) => alloc::format!("{}", p.pid),
        (_, Some(Found::Entry(Entry::Pid(pid, PidEntry::Exe)))) => {
            match super::proc::exe_of(p, pid) {
                Some(exe) => String::from(exe),
                None => return Err(Errno::ENOENT),
            }
        }
        _ => {
            lookup(p, dirfd, &path)?;
            return Err(Errno::EINVAL);
        }
    };
    let n = target.len().min(size as usize);
    match p.space.copy_out(buf, &target.as_bytes()[..n]) {
        Ok(()) => Ok(n as i64),
        Err(_) => Err(Errno::EFAULT),
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

/// A read of the console: through its line discipline (`super::tty::read`).
fn read_console(p: &mut Process, buf: VirtAddr, len: u64, nonblock: bool) -> SysResult {
    if len == 0 {
        return Ok(0);
    }
    if !p.restarted {
        super::proc::dump_before_read(p);
    }
    super::tty::read(p, buf, len, nonblock)
}

/// lseek(fd, offset, whence).
pub fn lseek(p: &mut Process, fd: u64, offset: i64, whence: u64) -> SysResult {
    let Some(desc) = p.files.desc(fd) else {
        return Err(Errno::EBADF);
    };
    let mut open = desc.lock();
    let (pos, size) = match &mut open.file {
        File::Console | File::Pipe { .. } => return Err(Errno::ESPIPE),
        File::Null => return Ok(0),
        File::Ram { id, pos, .. } => (pos, Some(super::ramfs::size(*id) as i64)),
        // Directories (rewinddir) and /proc files, whose size is unknown until read: from
        // the start or the current position only.
        File::Dir { pos, .. } | File::ProcDir { pos, .. } | File::Proc { pos, .. } => (pos, None),
        File::Initramfs { data, pos, .. } => (pos, Some(data.len() as i64)),
        File::BlockDev { disk, pos } => (
            pos,
            Some((crate::drivers::virtio_blk::capacity(*disk as usize).unwrap_or(0) * 512) as i64),
        ),
    };
    let base = match (whence, size) {
        (0, _) => 0,
        (1, _) => *pos as i64,
        (2, Some(size)) => size,
        _ => return Err(Errno::EINVAL),
    };
    match base.checked_add(offset) {
        Some(n) if n >= 0 => {
            *pos = n as u64;
            Ok(n)
        }
        _ => Err(Errno::EINVAL),
    }
}

/// The `struct stat` (asm-generic layout, 128 bytes) of `file`.
fn stat_bytes(file: File) -> [u8; 128] {
    // (dev, ino, mode, nlink, rdev, size, blksize)
    let (dev, ino, mode, nlink, rdev, size, blksize): (u64, u64, u32, u32, u64, u64, u32) =
        match file {
            // /dev/ttyS0: character device 4:64, on devtmpfs.
            File::Console => (5, 3, 0o020620, 1, (4 << 8) | 64, 0, 1024),
            // /dev/null: character device 1:3.
            File::Null => (5, 4, 0o020666, 1, (1 << 8) | 3, 0, 4096),
            // tmpfs-like: the RAM file system's own device.
            File::Ram { id, .. } => (
                0x1a,
                super::ramfs::ino(id),
                0o100644,
                1,
                0,
                super::ramfs::size(id),
                4096,
            ),
            File::Dir { path, .. } => (1, dir_ino(path), 0o040755, 2, 0, 0, 4096),
            // procfs (its own device; files report size 0, as Linux's do, and are 0444:
            // none can be written yet).
            File::ProcDir { dir, .. } => (0x16, super::proc::dir_ino(dir), 0o040555, 2, 0, 0, 1024),
            File::Proc { entry, .. } => {
                let mode = if super::proc::writable(entry) {
                    0o100644
                } else {
                    0o100444
                };
                (0x16, super::proc::entry_ino(entry), mode, 1, 0, 0, 1024)
            }
            File::Initramfs {
                data, ino, mode, ..
            } => (1, ino + 1, mode, 1, 0, data.len() as u64, 4096),
            // pipefs (device 0:0xc, as Linux numbers it at boot); a FIFO, mode 0600, size 0.
            File::Pipe { id, .. } => (0xc, u64::from(id), 0o010600, 1, 0, 0, 4096),
            // /dev/vdX on devtmpfs: brw-rw----, rdev 254:(16 × disk), size 0 (a block
            // device's stat reports none; lseek to the end finds it).
            File::BlockDev { disk, .. } => {
                use crate::drivers::virtio_blk::{MAJOR, MINORS_PER_DISK};
                let minor = u64::from(disk) * u64::from(MINORS_PER_DISK);
                let rdev = (u64::from(MAJOR) << 8) | (minor & 0xff) | ((minor & !0xff) << 12);
                (5, 0x40 + u64::from(disk), 0o060660, 1, rdev, 0, 4096)
            }
        };
    raw_stat(dev, ino, mode, nlink, rdev, size, blksize)
}

/// A `struct stat` with these fields (uid, gid and the times 0).
fn raw_stat(
    dev: u64,
    ino: u64,
    mode: u32,
    nlink: u32,
    rdev: u64,
    size: u64,
    blksize: u32,
) -> [u8; 128] {
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

fn put_stat(p: &mut Process, file: File, buf: VirtAddr) -> SysResult {
    match p.space.copy_out(buf, &stat_bytes(file)) {
        Ok(()) => Ok(0),
        Err(_) => Err(Errno::EFAULT),
    }
}

/// fstat(fd, buf).
pub fn fstat(p: &mut Process, fd: u64, buf: VirtAddr) -> SysResult {
    match p.files.get(fd) {
        Some(f) => put_stat(p, f, buf),
        None => Err(Errno::EBADF),
    }
}

/// newfstatat(dirfd, path, buf, flags).
pub fn newfstatat(
    p: &mut Process,
    dirfd: i64,
    path: VirtAddr,
    buf: VirtAddr,
    flags: u64,
) -> SysResult {
    let path = user_path(p, path)?;
    if path.is_empty() && flags & AT_EMPTY_PATH != 0 {
        if dirfd == AT_FDCWD {
            let cwd = lookup(p, AT_FDCWD, b".")?;
            return put_stat(p, cwd, buf);
        }
        return fstat(p, dirfd as u64, buf);
    }
    if flags & AT_SYMLINK_NOFOLLOW != 0 && !path.is_empty() {
        if let Some(ino) = proc_link_ino(p, dirfd, &path) {
            // lstat of a /proc link: lrwxrwxrwx, size 0.
            let raw = raw_stat(0x16, ino, 0o120777, 1, 0, 0, 1024);
            return match p.space.copy_out(buf, &raw) {
                Ok(()) => Ok(0),
                Err(_) => Err(Errno::EFAULT),
            };
        }
    }
    let file = lookup(p, dirfd, &path)?;
    put_stat(p, file, buf)
}

/// The inode of the /proc link `path` names (/proc/self, /proc/PID/exe), if it is one.
fn proc_link_ino(p: &Process, dirfd: i64, path: &[u8]) -> Option<u64> {
    let parts = components(p, dirfd, path).ok()?;
    let parts: Vec<&str> = parts.iter().map(String::as_str).collect();
    match (
        parts.as_slice(),
        super::proc::lookup(&parts, u64::from(p.pid))?,
    ) {
        (["proc", "self"], _) => Some(super::proc::SELF_INO),
        (_, Found::Entry(e @ Entry::Pid(_, PidEntry::Exe))) => Some(super::proc::entry_ino(e)),
        _ => None,
    }
}

/// The mode (file type and permission bits) `stat` reports for `file` (faccessat checks
/// against it).
pub fn mode_of(file: File) -> u32 {
    let raw = stat_bytes(file);
    u32::from_le_bytes([raw[16], raw[17], raw[18], raw[19]])
}

/// Writes to a file of the RAM file system or /dev/null (the other kinds are written in
/// `syscall`): None when `fd` is neither.
pub fn write_file(p: &mut Process, fd: u64, buf: VirtAddr, len: u64) -> Option<SysResult> {
    let desc = p.files.desc(fd)?;
    let (file, append) = {
        let open = desc.lock();
        (open.file, open.status & O_APPEND != 0)
    };
    match file {
        File::Null => Some(Ok(len as i64)),
        File::Ram { write: false, .. } => Some(Err(Errno::EBADF)),
        File::Ram { id, pos, .. } => {
            let len = len.min(1 << 30) as usize;
            let mut bytes = alloc::vec![0u8; len];
            if p.space.copy_in(buf, &mut bytes).is_err() {
                return Some(Err(Errno::EFAULT));
            }
            let at = if append { super::ramfs::size(id) } else { pos };
            let r = super::ramfs::write(id, at, &bytes);
            if let Ok(n) = r {
                if let File::Ram { pos, .. } = &mut desc.lock().file {
                    *pos = at + n as u64;
                }
            }
            Some(r.map(|n| n as i64))
        }
        _ => None,
    }
}

/// The parent directory (checked to exist and to be a directory) and last component of
/// `path` relative to `dirfd`.
fn parent_of(p: &Process, dirfd: i64, path: &[u8]) -> Result<(String, String), Errno> {
    let parts = components(p, dirfd, path)?;
    let Some((name, parent)) = parts.split_last() else {
        return Ok((String::new(), String::new()));
    };
    let parent = parent.join("/");
    let mut abs = alloc::vec![b'/'];
    abs.extend_from_slice(parent.as_bytes());
    match lookup(p, AT_FDCWD, &abs)? {
        File::Dir { .. } => Ok((parent, name.clone())),
        File::ProcDir { .. } => Err(Errno::EACCES),
        _ => Err(Errno::ENOTDIR),
    }
}

/// getcwd(buf, size): the working directory's absolute path and its NUL; ERANGE when it
/// does not fit, EINVAL for size 0 with a buffer. Returns the length with the NUL.
pub fn getcwd(p: &mut Process, buf: VirtAddr, size: u64) -> SysResult {
    let mut path = alloc::vec![b'/'];
    path.extend_from_slice(p.cwd.as_bytes());
    path.push(0);
    if size == 0 {
        return Err(Errno::EINVAL);
    }
    if (path.len() as u64) > size {
        return Err(Errno::ERANGE);
    }
    match p.space.copy_out(buf, &path) {
        Ok(()) => Ok(path.len() as i64),
        Err(_) => Err(Errno::EFAULT),
    }
}

/// chdir(path): the working directory becomes `path` (ENOTDIR when not a directory).
pub fn chdir(p: &mut Process, path: VirtAddr) -> SysResult {
    let path = user_path(p, path)?;
    if path.is_empty() {
        return Err(Errno::ENOENT);
    }
    match lookup(p, AT_FDCWD, &path)? {
        File::Dir { .. } | File::ProcDir { .. } => {
            p.cwd = components(p, AT_FDCWD, &path)?.join("/");
            Ok(0)
        }
        _ => Err(Errno::ENOTDIR),
    }
}

/// fchdir(fd): the working directory becomes the directory open at `fd`.
pub fn fchdir(p: &mut Process, fd: u64) -> SysResult {
    p.cwd = dir_path(p, fd)?;
    Ok(0)
}

/// mkdirat(dirfd, path, mode): a directory of the RAM file system (EEXIST when the path
/// names something; /proc and /dev: EACCES).
pub fn mkdirat(p: &mut Process, dirfd: i64, path: VirtAddr) -> SysResult {
    let path = user_path(p, path)?;
    if path.is_empty() {
        return Err(Errno::ENOENT);
    }
    if lookup(p, dirfd, &path).is_ok() {
        return Err(Errno::EEXIST);
    }
    let (parent, name) = parent_of(p, dirfd, &path)?;
    if parent == "proc" || parent.starts_with("proc/") || parent == "dev" {
        return Err(Errno::EACCES);
    }
    let full = if parent.is_empty() {
        name
    } else {
        alloc::format!("{parent}/{name}")
    };
    super::ramfs::mkdir(&full).map(|()| 0)
}

/// unlinkat(dirfd, path, flags): removes a RAM file (AT_REMOVEDIR: an empty RAM
/// directory). The archive's files are read-only (EROFS); a directory without
/// AT_REMOVEDIR, EISDIR.
pub fn unlinkat(p: &mut Process, dirfd: i64, path: VirtAddr, flags: u64) -> SysResult {
    const AT_REMOVEDIR: u64 = 0x200;
    if flags & !AT_REMOVEDIR != 0 {
        return Err(Errno::EINVAL);
    }
    let path = user_path(p, path)?;
    if path.is_empty() {
        return Err(Errno::ENOENT);
    }
    let file = lookup(p, dirfd, &path)?;
    let full = components(p, dirfd, &path)?.join("/");
    match (file, flags & AT_REMOVEDIR != 0) {
        (File::Ram { .. }, false) => super::ramfs::unlink(&full).map(|()| 0),
        (File::Dir { .. }, true) => match super::ramfs::rmdir(&full) {
            Err(Errno::ENOENT) => Err(Errno::EROFS),
            r => r.map(|()| 0),
        },
        (File::Dir { .. } | File::ProcDir { .. }, false) => Err(Errno::EISDIR),
        (_, true) => Err(Errno::ENOTDIR),
        (File::Proc { .. }, false) => Err(Errno::EACCES),
        _ => Err(Errno::EROFS),
    }
}

/// ftruncate(fd, length): for a RAM file open for writing (EINVAL for others, as for a
/// pipe or the console; EROFS... the archive's files cannot be opened for writing).
pub fn ftruncate(p: &mut Process, fd: u64, len: i64) -> SysResult {
    if len < 0 {
        return Err(Errno::EINVAL);
    }
    match p.files.get(fd) {
        None => Err(Errno::EBADF),
        Some(File::Ram {
            id, write: true, ..
        }) => super::ramfs::truncate(id, len as u64).map(|()| 0),
        Some(_) => Err(Errno::EINVAL),
    }
}
