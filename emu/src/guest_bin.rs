//! The guest's /bin, built into rvmmu by `emu/build.rs`: the tools of `programs/bin/`
//! (`cat`, `ps`, `free`, `top`, `vmstat`, `sar`, `sysctl`, `pmap`, `sleep`, `kill`, and the
//! shell `sh` when its source is there, and `segrun`), the notes' programs (`malloc_1`, ...),
//! `procwatch`, and the static-pies of `programs/seg/` that can run segmented (`seg_hello`,
//! `seg_faults`, `memhog`, `seg_isolation`, `seg_keep`), as static riscv64 Linux executables. `rvmmu run` packs every one at
//! /bin/NAME in the initramfs. Empty when rvmmu was built with `RVMMU_NO_KERNEL=1`.

/// (name, executable), sorted by name within each source directory.
const BIN: &[(&str, &[u8])] = include!(concat!(env!("OUT_DIR"), "/guest_bin.rs"));

/// The built-in programs: (name, executable image).
pub fn programs() -> &'static [(&'static str, &'static [u8])] {
    BIN
}

/// The built-in program `name`, if there is one.
pub fn find(name: &str) -> Option<&'static [u8]> {
    BIN.iter().find(|(n, _)| *n == name).map(|&(_, data)| data)
}

/// The files every `rvmmu run` initramfs starts with: each built-in program at /bin/NAME,
/// and (with them) the user database the tools read for names (ps's USER), /etc/passwd and
/// /etc/group with root alone, as the kernel runs everything as uid 0. Empty without /bin.
pub fn initramfs_files() -> Vec<crate::initramfs::File> {
    let mut files: Vec<crate::initramfs::File> = BIN
        .iter()
        .map(|&(name, data)| crate::initramfs::File {
            path: format!("/bin/{name}"),
            data: data.to_vec(),
            mode: 0o755,
        })
        .collect();
    if !files.is_empty() {
        for (path, text) in [
            ("/etc/passwd", "root:x:0:0:root:/root:/bin/sh\n"),
            ("/etc/group", "root:x:0:\n"),
        ] {
            files.push(crate::initramfs::File {
                path: path.into(),
                data: text.as_bytes().to_vec(),
                mode: 0o644,
            });
        }
    }
    files
}
