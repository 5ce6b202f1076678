//! The initramfs format: a cpio archive in the "new ASCII" (newc) format, as Linux unpacks
//! from its initrd (Documentation/driver-api/early-userspace/buffer-format.rst describes it).
//!
//! Each entry: a 110-byte header (`070701` then 13 fields of 8 hex digits: ino, mode, uid,
//! gid, nlink, mtime, filesize, devmajor, devminor, rdevmajor, rdevminor, namesize, check),
//! the name (namesize bytes, NUL included), padding to a multiple of 4 from the entry's
//! start, the data (filesize bytes), padding to 4. The entry named `TRAILER!!!` ends it.
//! Nothing here trusts the archive: a malformed one ends the walk, never the kernel.

const MAGIC: &[u8] = b"070701";
const HEADER: usize = 110;

/// One archive member.
#[derive(Clone, Copy, Debug)]
pub struct Entry<'a> {
    /// The path as stored, without a leading `./` or `/`.
    pub name: &'a str,
    /// st_mode (type and permission bits).
    pub mode: u32,
    pub data: &'a [u8],
}

impl Entry<'_> {
    /// A regular file (S_IFREG).
    pub fn is_file(&self) -> bool {
        self.mode & 0o170000 == 0o100000
    }

    /// A directory (S_IFDIR).
    pub fn is_dir(&self) -> bool {
        self.mode & 0o170000 == 0o040000
    }
}

/// The members of `archive`, in order, up to the trailer or the first malformed header.
pub fn entries(archive: &[u8]) -> impl Iterator<Item = Entry<'_>> {
    let mut off = 0usize;
    core::iter::from_fn(move || {
        let (entry, next) = parse(archive, off)?;
        off = next;
        Some(entry)
    })
}

/// Finds the regular file at `path` (leading `/` ignored).
pub fn find<'a>(archive: &'a [u8], path: &str) -> Option<Entry<'a>> {
    let want = path.trim_start_matches('/');
    entries(archive).find(|e| e.name == want && e.is_file())
}

fn field(h: &[u8], i: usize) -> Option<usize> {
    let digits = h.get(6 + 8 * i..6 + 8 * (i + 1))?;
    let s = core::str::from_utf8(digits).ok()?;
    usize::from_str_radix(s, 16).ok()
}

fn parse(a: &[u8], off: usize) -> Option<(Entry<'_>, usize)> {
    let h = a.get(off..off.checked_add(HEADER)?)?;
    if &h[..6] != MAGIC {
        return None;
    }
    let mode = field(h, 1)? as u32;
    let size = field(h, 6)?;
    let namesize = field(h, 11)?;
    let name_start = off + HEADER;
    let name = a.get(name_start..name_start.checked_add(namesize)?)?;
    let name = core::str::from_utf8(name.strip_suffix(&[0])?).ok()?;
    if name == "TRAILER!!!" {
        return None;
    }
    let data_start = (name_start + namesize).next_multiple_of(4);
    let data = a.get(data_start..data_start.checked_add(size)?)?;
    let next = (data_start + size).next_multiple_of(4);
    let name = name.trim_start_matches("./").trim_start_matches('/');
    Some((Entry { name, mode, data }, next))
}
