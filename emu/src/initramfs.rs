//! The initial RAM file system `rvmmu run` hands the kernel: a cpio archive in the "newc"
//! format Linux unpacks from its initrd (Documentation/driver-api/early-userspace/
//! buffer-format.rst), written with the `cpio` crate.
//!
//! The archive is deterministic (fixed inode numbers in order, mtime 0, uid/gid 0), so the
//! same files always give the same bytes, and so the same guest run. Parent directories are
//! added before the files in them, as `cpio -o` run over a tree would.

use std::io::{self, Write};

/// One regular file for the archive.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct File {
    /// Its path in the guest, absolute (`/bin/prog`).
    pub path: String,
    pub data: Vec<u8>,
    /// Permission bits (`0o755` for a program).
    pub mode: u32,
}

/// Errors building an archive.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("initramfs path `{0}` must be absolute and name a file (no `.`, `..` or empty parts)")]
    BadPath(String),
    #[error("initramfs path `{0}` is given twice")]
    Duplicate(String),
    #[error("initramfs file `{0}` is larger than the 4 GiB newc allows")]
    TooLarge(String),
    #[error(transparent)]
    Io(#[from] io::Error),
}

/// The path's components, checked.
fn components(path: &str) -> Result<Vec<&str>, Error> {
    let bad = || Error::BadPath(path.to_string());
    let rest = path.strip_prefix('/').ok_or_else(bad)?;
    let parts: Vec<&str> = rest.split('/').collect();
    if parts
        .iter()
        .any(|p| p.is_empty() || *p == "." || *p == "..")
    {
        return Err(bad());
    }
    Ok(parts)
}

/// Packs `files` into a newc archive, with their parent directories (mode 0755).
pub fn pack(files: &[File]) -> Result<Vec<u8>, Error> {
    // Entries in order: each directory before what it holds, files in the order given.
    let mut dirs: Vec<String> = Vec::new();
    let mut names: Vec<String> = Vec::new();
    for f in files {
        let parts = components(&f.path)?;
        for i in 1..parts.len() {
            let dir = parts[..i].join("/");
            if !dirs.contains(&dir) {
                dirs.push(dir);
            }
        }
        let name = parts.join("/");
        if names.contains(&name) || dirs.contains(&name) {
            return Err(Error::Duplicate(f.path.clone()));
        }
        if u32::try_from(f.data.len()).is_err() {
            return Err(Error::TooLarge(f.path.clone()));
        }
        names.push(name);
    }
    if let Some(d) = dirs.iter().find(|d| names.contains(d)) {
        return Err(Error::Duplicate(format!("/{d}")));
    }
    let mut out: Vec<u8> = Vec::new();
    let mut ino = 1;
    for d in &dirs {
        out = cpio::newc::Builder::new(d)
            .ino(ino)
            .mode(0o040_755)
            .nlink(2)
            .write(out, 0)
            .finish()?;
        ino += 1;
    }
    for (f, name) in files.iter().zip(&names) {
        let mut w = cpio::newc::Builder::new(name)
            .ino(ino)
            .mode(0o100_000 | (f.mode & 0o7777))
            .nlink(1)
            .write(out, f.data.len() as u32);
        w.write_all(&f.data)?;
        out = w.finish()?;
        ino += 1;
    }
    Ok(cpio::newc::trailer(out)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(path: &str, data: &[u8]) -> File {
        File {
            path: path.into(),
            data: data.to_vec(),
            mode: 0o755,
        }
    }

    /// Reads an archive back with the crate's reader: (name, mode, data) per entry.
    fn unpack(mut bytes: &[u8]) -> Vec<(String, u32, Vec<u8>)> {
        let mut out = Vec::new();
        loop {
            let r = cpio::newc::Reader::new(bytes).unwrap();
            if r.entry().is_trailer() {
                return out;
            }
            let (name, mode) = (r.entry().name().to_string(), r.entry().mode());
            let mut data = Vec::new();
            bytes = r.to_writer(&mut data).unwrap();
            out.push((name, mode, data));
        }
    }

    #[test]
    fn directories_come_first_then_the_files_with_their_bytes() {
        let a = pack(&[file("/bin/prog", b"\x7fELF..."), file("/etc/motd", b"hi\n")]).unwrap();
        assert_eq!(
            unpack(&a),
            [
                ("bin".into(), 0o040_755, vec![]),
                ("etc".into(), 0o040_755, vec![]),
                ("bin/prog".into(), 0o100_755, b"\x7fELF...".to_vec()),
                ("etc/motd".into(), 0o100_755, b"hi\n".to_vec()),
            ]
        );
        // newc: "070701" magic, headers and data padded to 4 bytes, a TRAILER!!! entry.
        assert!(a.starts_with(b"070701"));
        assert_eq!(a.len() % 4, 0);
        assert!(a.windows(10).any(|w| w == b"TRAILER!!!"));
    }

    #[test]
    fn the_same_files_give_the_same_bytes() {
        let files = [file("/a/b/c", b"1"), file("/a/d", b"22")];
        assert_eq!(pack(&files).unwrap(), pack(&files).unwrap());
    }

    #[test]
    fn bad_paths_and_duplicates_are_refused() {
        for p in ["prog", "/", "/a//b", "/a/../b", "/./a", "/a/"] {
            assert!(
                matches!(pack(&[file(p, b"")]), Err(Error::BadPath(_))),
                "{p}"
            );
        }
        assert!(matches!(
            pack(&[file("/x", b""), file("/x", b"")]),
            Err(Error::Duplicate(_))
        ));
        assert!(matches!(
            pack(&[file("/x", b""), file("/x/y", b"")]),
            Err(Error::Duplicate(_))
        ));
    }
}
