//! Host files for the machine's disk (the virtio-blk device in virtio-mmio slot 7): opening
//! one as it is, and making a swap disk as `mkswap` would.
//!
//! Used by the `rvmmu` binary for `run --swap SIZE` ([`create_swap`]), `run --swap-file
//! PATH` and `bare --drive FILE` ([`open`]).
//!
//! A swap disk is a sparse anonymous temporary file: [`create_swap`] sets its length without
//! writing it, so untouched swap costs no host disk space, and the file has no name from the
//! start (it lives in `$TMPDIR`, default `/tmp`), so the host reclaims it when rvmmu exits,
//! however it exits. Its first page is the Linux swap header, byte for byte what util-linux
//! `mkswap` writes for 4 KiB pages (only the UUID differs, see [`SWAP_UUID`]):
//!
//! ```text
//! 0      .. 1024   zero (room for a boot block)
//! 1024   u32 version = 1
//! 1028   u32 last_page = size / 4096 - 1
//! 1032   u32 nr_badpages = 0
//! 1036   u8[16] uuid
//! 1052   u8[16] volume label (empty: zeros)
//! 1068   .. 4086 zero (padding, bad-page list)
//! 4086   "SWAPSPACE2"
//! ```

use std::fs::File;
use std::os::unix::fs::FileExt;
use std::path::Path;
use thiserror::Error;

/// The swap header's page size (Linux riscv64's PAGE_SIZE).
pub const SWAP_PAGE: u64 = 4096;
/// Smallest swap disk: 10 pages, as `mkswap` demands.
pub const SWAP_MIN: u64 = 10 * SWAP_PAGE;
/// Largest swap disk: `last_page` is a u32.
pub const SWAP_MAX: u64 = (u32::MAX as u64 + 1) * SWAP_PAGE;
/// The UUID written into every swap header, 72766d6d-752d-4000-8000-000000000001 ("rvmmu-"
/// in ASCII, then the RFC 4122 version-4 and variant bits). Fixed, so that runs are
/// reproducible; Linux's swapon does not need it to be unique.
pub const SWAP_UUID: [u8; 16] = [
    0x72, 0x76, 0x6d, 0x6d, 0x75, 0x2d, 0x40, 0x00, 0x80, 0x00, 0, 0, 0, 0, 0, 0x01,
];

const MAGIC: &[u8; 10] = b"SWAPSPACE2";

/// Why a disk could not be made or opened.
#[derive(Debug, Error)]
pub enum DiskError {
    #[error("swap size {0} is too small (at least 40K)")]
    TooSmall(u64),
    #[error("swap size {0} is too large (at most 16T)")]
    TooLarge(u64),
    #[error("swap size {0} is not a multiple of 4K")]
    NotPages(u64),
    #[error("cannot create the swap file: {0}")]
    Create(std::io::Error),
    #[error("cannot open {path}: {err}")]
    Open { path: String, err: std::io::Error },
}

/// Result of this module's operations.
pub type Result<T> = std::result::Result<T, DiskError>;

/// Checks a swap disk size: whole pages, at least [`SWAP_MIN`], at most [`SWAP_MAX`].
pub fn check_swap_size(size: u64) -> Result<u64> {
    if size < SWAP_MIN {
        return Err(DiskError::TooSmall(size));
    }
    if size > SWAP_MAX {
        return Err(DiskError::TooLarge(size));
    }
    if size % SWAP_PAGE != 0 {
        return Err(DiskError::NotPages(size));
    }
    Ok(size)
}

/// The first page of a swap disk of `size` bytes (a size [`check_swap_size`] accepts).
pub fn swap_header(size: u64) -> [u8; SWAP_PAGE as usize] {
    let last_page = u32::try_from(size / SWAP_PAGE - 1).unwrap_or(u32::MAX);
    let mut h = [0u8; SWAP_PAGE as usize];
    h[1024..1028].copy_from_slice(&1u32.to_le_bytes());
    h[1028..1032].copy_from_slice(&last_page.to_le_bytes());
    h[1036..1052].copy_from_slice(&SWAP_UUID);
    h[SWAP_PAGE as usize - MAGIC.len()..].copy_from_slice(MAGIC);
    h
}

/// A new swap disk of `size` bytes: an unnamed sparse temporary file with the swap header.
pub fn create_swap(size: u64) -> Result<File> {
    let size = check_swap_size(size)?;
    let file = tempfile::tempfile().map_err(DiskError::Create)?;
    file.set_len(size).map_err(DiskError::Create)?;
    file.write_all_at(&swap_header(size), 0)
        .map_err(DiskError::Create)?;
    Ok(file)
}

/// An existing file, read-write, as the disk.
pub fn open(path: &Path) -> Result<File> {
    let err = |err| DiskError::Open {
        path: path.display().to_string(),
        err,
    };
    let file = File::options()
        .read(true)
        .write(true)
        .open(path)
        .map_err(err)?;
    if !file.metadata().map_err(err)?.is_file() {
        return Err(err(std::io::Error::other("not a regular file")));
    }
    Ok(file)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_swap_header_has_mkswaps_layout() {
        let h = swap_header(512 << 20);
        assert_eq!(
            &h[1024..1036],
            &[1, 0, 0, 0, 0xff, 0xff, 0x01, 0, 0, 0, 0, 0]
        );
        assert_eq!(&h[1036..1052], &SWAP_UUID);
        assert_eq!(&SWAP_UUID[..6], b"rvmmu-");
        assert_eq!(SWAP_UUID[6] >> 4, 4, "version 4");
        assert_eq!(SWAP_UUID[8] >> 6, 2, "RFC 4122 variant");
        assert_eq!(&h[4086..], b"SWAPSPACE2");
        let zero = |r: std::ops::Range<usize>| h[r].iter().all(|&b| b == 0);
        assert!(zero(0..1024) && zero(1052..4086));
        let top = swap_header(SWAP_MAX);
        assert_eq!(&top[1028..1032], &[0xff; 4]);
    }

    #[test]
    fn sizes_are_checked() {
        assert!(matches!(
            check_swap_size(36 << 10),
            Err(DiskError::TooSmall(_))
        ));
        assert_eq!(check_swap_size(40 << 10).unwrap(), 40 << 10);
        assert!(matches!(
            check_swap_size((40 << 10) + 512),
            Err(DiskError::NotPages(_))
        ));
        assert!(check_swap_size(SWAP_MAX).is_ok());
        assert!(matches!(
            check_swap_size(SWAP_MAX + 4096),
            Err(DiskError::TooLarge(_))
        ));
    }

    #[test]
    fn a_swap_disk_is_sparse_and_starts_with_the_header() {
        use std::os::unix::fs::MetadataExt;
        let f = create_swap(4 << 30).unwrap();
        let m = f.metadata().unwrap();
        assert_eq!(m.len(), 4 << 30);
        assert!(m.blocks() * 512 < 1 << 20, "sparse: {} blocks", m.blocks());
        let mut page = [0u8; 4096];
        f.read_exact_at(&mut page, 0).unwrap();
        assert_eq!(page, swap_header(4 << 30));
    }

    /// util-linux `mkswap` (given the same UUID) writes the same first page. Run only where
    /// mkswap is installed (Debian's util-linux puts it in /sbin): the layout test above does
    /// not depend on it.
    #[test]
    fn the_swap_header_equals_mkswaps() {
        let mkswap = ["/sbin/mkswap", "/usr/sbin/mkswap"]
            .into_iter()
            .find(|p| Path::new(p).exists());
        let Some(mkswap) = mkswap else {
            // Under CI (`CI` set and not empty) the comparison must run, not be skipped.
            assert!(
                std::env::var_os("CI").is_none_or(|v| v.is_empty()),
                "mkswap (Debian package util-linux) is missing and CI is set"
            );
            eprintln!("skipped: no mkswap (util-linux) on this host to compare with");
            return;
        };
        let dir = tempfile::TempDir::new().unwrap();
        let size = 1 << 20;
        let img = dir.path().join("swap.img");
        File::create(&img).unwrap().set_len(size).unwrap();
        let u = SWAP_UUID.map(|b| format!("{b:02x}")).concat();
        let uuid = format!(
            "{}-{}-{}-{}-{}",
            &u[0..8],
            &u[8..12],
            &u[12..16],
            &u[16..20],
            &u[20..]
        );
        let out = std::process::Command::new(mkswap)
            .arg("-U")
            .arg(&uuid)
            .arg(&img)
            .output()
            .unwrap();
        assert!(out.status.success(), "{out:?}");
        let theirs = std::fs::read(&img).unwrap();
        assert_eq!(&theirs[..4096], &swap_header(size)[..]);
    }
}
