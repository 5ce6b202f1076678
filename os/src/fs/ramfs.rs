//! A small writable RAM file system over the read-only initramfs: regular files created
//! with O_CREAT in any directory (the initramfs's or one made here), directories made with
//! mkdirat (and /tmp, made at boot when the archive has none), removed with unlinkat.
//! Files live in the kernel heap, [`LIMIT`] bytes in all (ENOSPC past it). A file removed
//! while open stays readable and writable through its descriptors until the last closes,
//! as on Linux. Paths are components joined by `/` without a leading `/`, as `files.rs`
//! resolves them.

use crate::errno::Errno;
use alloc::collections::BTreeMap;
use alloc::string::String;
use alloc::vec::Vec;
use spin::Mutex;

/// The bytes all files may hold together.
pub const LIMIT: usize = 8 << 20;
/// Inode numbers of RAM files and directories start here (apart from the archive's).
const INO_BASE: u64 = 0x30_0000;

struct Node {
    data: Vec<u8>,
    /// Open file descriptions of it.
    opens: usize,
    /// Still named in a directory.
    linked: bool,
}

struct Ram {
    /// Named files: path → node id.
    names: BTreeMap<String, u32>,
    nodes: BTreeMap<u32, Node>,
    /// Directories made here: path → inode.
    dirs: BTreeMap<&'static str, u64>,
    next: u32,
    used: usize,
}

static RAM: Mutex<Ram> = Mutex::new(Ram {
    names: BTreeMap::new(),
    nodes: BTreeMap::new(),
    dirs: BTreeMap::new(),
    next: 1,
    used: 0,
});

/// What a path names here.
pub enum Found {
    File(u32),
    Dir(&'static str),
}

/// What `path` names in the RAM file system.
pub fn lookup(path: &str) -> Option<Found> {
    let r = RAM.lock();
    if let Some(&id) = r.names.get(path) {
        return Some(Found::File(id));
    }
    r.dirs.get_key_value(path).map(|(k, _)| Found::Dir(k))
}

/// Creates an empty file at `path` (its parent checked by the caller); its node id.
pub fn create(path: &str) -> Result<u32, Errno> {
    let mut r = RAM.lock();
    if let Some(&id) = r.names.get(path) {
        return Ok(id);
    }
    if r.nodes.len() >= 4096 {
        return Err(Errno::ENOSPC);
    }
    let id = r.next;
    r.next += 1;
    r.nodes.insert(
        id,
        Node {
            data: Vec::new(),
            opens: 0,
            linked: true,
        },
    );
    r.names.insert(String::from(path), id);
    Ok(id)
}

/// Makes directory `path` (the caller checked that it does not exist and that its parent
/// does).
pub fn mkdir(path: &str) -> Result<(), Errno> {
    let mut r = RAM.lock();
    if r.dirs.len() >= 1024 {
        return Err(Errno::ENOSPC);
    }
    let ino = INO_BASE + 0x8000 + r.dirs.len() as u64;
    r.dirs.insert(crate::proc::intern(path), ino);
    Ok(())
}

/// Removes the name `path` (a file); ENOENT when it is not one here.
pub fn unlink(path: &str) -> Result<(), Errno> {
    let mut r = RAM.lock();
    let Some(id) = r.names.remove(path) else {
        return Err(Errno::ENOENT);
    };
    if let Some(n) = r.nodes.get_mut(&id) {
        n.linked = false;
    }
    forget_if_unused(&mut r, id);
    Ok(())
}

/// Removes the empty directory `path`: ENOTEMPTY when something is under it, ENOENT when
/// it is not one made here.
pub fn rmdir(path: &str) -> Result<(), Errno> {
    let mut r = RAM.lock();
    if !r.dirs.contains_key(path) {
        return Err(Errno::ENOENT);
    }
    let under =
        |p: &str| p.len() > path.len() && p.starts_with(path) && p.as_bytes()[path.len()] == b'/';
    if r.names.keys().any(|k| under(k)) || r.dirs.keys().any(|k| under(k)) {
        return Err(Errno::ENOTEMPTY);
    }
    r.dirs.remove(path);
    Ok(())
}

fn forget_if_unused(r: &mut Ram, id: u32) {
    if r.nodes.get(&id).is_some_and(|n| n.opens == 0 && !n.linked) {
        if let Some(n) = r.nodes.remove(&id) {
            r.used -= n.data.len();
        }
    }
}

/// A new open file description of node `id`.
pub fn hold(id: u32) {
    if let Some(n) = RAM.lock().nodes.get_mut(&id) {
        n.opens += 1;
    }
}

/// An open file description of node `id` is gone.
pub fn release(id: u32) {
    let mut r = RAM.lock();
    if let Some(n) = r.nodes.get_mut(&id) {
        n.opens = n.opens.saturating_sub(1);
    }
    forget_if_unused(&mut r, id);
}

/// The size of node `id`.
pub fn size(id: u32) -> u64 {
    RAM.lock().nodes.get(&id).map_or(0, |n| n.data.len() as u64)
}

/// The inode number of node `id`.
pub fn ino(id: u32) -> u64 {
    INO_BASE + u64::from(id)
}

/// The inode number of a directory made here.
pub fn dir_ino(path: &str) -> Option<u64> {
    RAM.lock().dirs.get(path).copied()
}

/// Copies at most `len` bytes of node `id` from `pos`.
pub fn read(id: u32, pos: u64, len: usize) -> Vec<u8> {
    let r = RAM.lock();
    let Some(n) = r.nodes.get(&id) else {
        return Vec::new();
    };
    let start = (pos as usize).min(n.data.len());
    let end = start.saturating_add(len).min(n.data.len());
    n.data[start..end].to_vec()
}

/// Writes `bytes` to node `id` at `pos` (past the end: a hole of zeros first); ENOSPC
/// when the file system would hold more than [`LIMIT`] bytes (nothing written), EFBIG
/// past 2^31 bytes.
pub fn write(id: u32, pos: u64, bytes: &[u8]) -> Result<usize, Errno> {
    let mut r = RAM.lock();
    let used = r.used;
    let Some(n) = r.nodes.get_mut(&id) else {
        return Err(Errno::EIO);
    };
    let end = pos.checked_add(bytes.len() as u64).ok_or(Errno::EFBIG)?;
    if end > 1 << 31 {
        return Err(Errno::EFBIG);
    }
    let end = end as usize;
    let grow = end.saturating_sub(n.data.len());
    if used + grow > LIMIT {
        return Err(Errno::ENOSPC);
    }
    if grow > 0 {
        n.data.resize(end, 0);
    }
    n.data[pos as usize..end].copy_from_slice(bytes);
    r.used += grow;
    Ok(bytes.len())
}

/// Sets node `id`'s size to `len` (cut, or zeros added).
pub fn truncate(id: u32, len: u64) -> Result<(), Errno> {
    let mut r = RAM.lock();
    let used = r.used;
    let Some(n) = r.nodes.get_mut(&id) else {
        return Err(Errno::EIO);
    };
    let len = usize::try_from(len).map_err(|_| Errno::EFBIG)?;
    let old = n.data.len();
    if len > old && used + (len - old) > LIMIT {
        return Err(Errno::ENOSPC);
    }
    n.data.resize(len, 0);
    n.data.shrink_to_fit();
    r.used = used - old + len;
    Ok(())
}

/// The entries directly under directory `dir` ("" is the root): (inode, is a directory,
/// name).
pub fn list(dir: &str) -> Vec<(u64, bool, String)> {
    let r = RAM.lock();
    let child = |p: &str| -> Option<String> {
        let rest = if dir.is_empty() {
            p
        } else {
            p.strip_prefix(dir)?.strip_prefix('/')?
        };
        (!rest.is_empty() && !rest.contains('/')).then(|| String::from(rest))
    };
    let mut out = Vec::new();
    for (p, &ino) in r.dirs.iter() {
        if let Some(name) = child(p) {
            out.push((ino, true, name));
        }
    }
    for (p, &id) in r.names.iter() {
        if let Some(name) = child(p) {
            out.push((INO_BASE + u64::from(id), false, name));
        }
    }
    out
}
