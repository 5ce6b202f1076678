//! Writes initramfs archives in Linux's cpio "newc" format (what `rvmmu run` will pack):
//! per file a 110-byte ASCII header (`070701` and 13 eight-digit hex fields), the name with
//! its NUL, padding to 4, the data, padding to 4; the `TRAILER!!!` entry ends the archive.

/// One file: its path in the archive, mode (type and permission bits) and contents.
pub struct File<'a> {
    pub path: &'a str,
    pub mode: u32,
    pub data: &'a [u8],
}

/// Regular file, rwxr-xr-x.
pub const EXECUTABLE: u32 = 0o100755;

fn entry(out: &mut Vec<u8>, ino: u32, name: &str, mode: u32, data: &[u8]) {
    let fields = [
        ino,
        mode,
        0, // uid
        0, // gid
        1, // nlink
        0, // mtime
        data.len() as u32,
        0, // devmajor
        0, // devminor
        0, // rdevmajor
        0, // rdevminor
        name.len() as u32 + 1,
        0, // check
    ];
    out.extend_from_slice(b"070701");
    for f in fields {
        out.extend_from_slice(format!("{f:08X}").as_bytes());
    }
    out.extend_from_slice(name.as_bytes());
    out.push(0);
    while !out.len().is_multiple_of(4) {
        out.push(0);
    }
    out.extend_from_slice(data);
    while !out.len().is_multiple_of(4) {
        out.push(0);
    }
}

/// The archive holding `files`.
pub fn archive(files: &[File<'_>]) -> Vec<u8> {
    let mut out = Vec::new();
    for (i, f) in files.iter().enumerate() {
        entry(
            &mut out,
            i as u32 + 1,
            f.path.trim_start_matches('/'),
            f.mode,
            f.data,
        );
    }
    entry(&mut out, 0, "TRAILER!!!", 0, &[]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layout_is_newc() {
        let a = archive(&[File {
            path: "/init",
            mode: EXECUTABLE,
            data: b"abcde",
        }]);
        assert_eq!(&a[..6], b"070701");
        assert_eq!(&a[6 + 8..6 + 16], b"000081ED", "mode 0100755");
        assert_eq!(&a[6 + 6 * 8..6 + 7 * 8], b"00000005", "filesize");
        assert_eq!(&a[110..115], b"init\0");
        assert_eq!(
            &a[116..121],
            b"abcde",
            "data after 110 + 5 bytes padded to 116"
        );
        assert_eq!(a.len() % 4, 0);
        let trailer = &a[124..];
        assert_eq!(&trailer[..6], b"070701");
        assert_eq!(&trailer[110..121], b"TRAILER!!!\0");
        // Cross-check with GNU cpio when it is installed.
        if let Ok(mut child) = std::process::Command::new("cpio")
            .args(["-i", "-t", "--quiet"])
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .spawn()
        {
            use std::io::Write;
            child.stdin.take().unwrap().write_all(&a).unwrap();
            let out = child.wait_with_output().unwrap();
            assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "init");
        }
    }
}
