//! The host tools a test needs (the references QEMU, qemu-riscv64 and strace, mkswap, the
//! host's C compiler) and the one rule for a missing one: outside CI the test says it is skipped
//! and passes; under CI (the environment variable `CI` set and non-empty) it FAILS, naming
//! the Debian package to install, so a reference comparison never passes by not running.

use std::ffi::OsStr;
use std::path::{Path, PathBuf};

/// A host tool a test may need.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tool {
    /// The command's file name.
    pub command: &'static str,
    /// The Debian package that installs it.
    pub package: &'static str,
    /// Directories searched besides `PATH` (mkswap lives in /sbin).
    pub extra_dirs: &'static [&'static str],
}

/// `qemu-system-riscv64`: the reference machine (bare-metal programs, the kernel's boot).
pub const QEMU_SYSTEM: Tool = Tool {
    command: "qemu-system-riscv64",
    package: "qemu-system-misc",
    extra_dirs: &[],
};
/// `qemu-riscv64`: the user-mode reference for what a Linux program prints.
pub const QEMU_USER: Tool = Tool {
    command: "qemu-riscv64",
    package: "qemu-user",
    extra_dirs: &[],
};
/// util-linux's `mkswap`, which formats the swap disks handed to the kernel.
pub const MKSWAP: Tool = Tool {
    command: "mkswap",
    package: "util-linux",
    extra_dirs: &["/sbin", "/usr/sbin"],
};
/// The host's C compiler, which builds `programs/tests/*.c` for the host's own Linux.
pub const HOST_CC: Tool = Tool {
    command: "cc",
    package: "gcc (and libc6-dev)",
    extra_dirs: &[],
};

/// strace: the reference for the syscall decoder's lines (`rvmmu::strace`).
pub const STRACE: Tool = Tool {
    command: "strace",
    package: "strace",
    extra_dirs: &[],
};

/// procps's `ps` (and free, top, vmstat, pmap, sysctl, kill): the references of the tools
/// in programs/bin.
pub const PROCPS: Tool = Tool {
    command: "ps",
    package: "procps",
    extra_dirs: &[],
};
/// sysstat's `sar`: the reference of programs/bin/sar.c.
pub const SYSSTAT: Tool = Tool {
    command: "sar",
    package: "sysstat",
    extra_dirs: &[],
};

/// Whether `CI` says this is a CI run: set and not empty.
pub fn ci_from(value: Option<&OsStr>) -> bool {
    value.is_some_and(|v| !v.is_empty())
}

/// Whether this run is a CI run ([`ci_from`] of the environment).
pub fn in_ci() -> bool {
    ci_from(std::env::var_os("CI").as_deref())
}

/// The decision for a tool that was looked for: `Ok(Some(path))` when found, `Ok(None)`
/// (skip) when missing outside CI, `Err(message)` (the test must fail) when missing under
/// CI. A pure function of its inputs, so it is unit-tested.
pub fn decide(
    tool: &Tool,
    found: Option<PathBuf>,
    ci: bool,
    needed_for: &str,
) -> Result<Option<PathBuf>, String> {
    match (found, ci) {
        (Some(p), _) => Ok(Some(p)),
        (None, false) => Ok(None),
        (None, true) => Err(format!(
            "{} is not installed (Debian package {}) and CI is set: {needed_for} must run, \
             not be skipped",
            tool.command, tool.package
        )),
    }
}

/// Looks for `tool` in `path` (a `PATH`-style list) and then in its extra directories.
pub fn find_in(tool: &Tool, path: Option<&OsStr>) -> Option<PathBuf> {
    let dirs: Vec<PathBuf> = path
        .map(|p| std::env::split_paths(p).collect())
        .unwrap_or_default();
    dirs.iter()
        .map(PathBuf::as_path)
        .chain(tool.extra_dirs.iter().map(Path::new))
        .map(|d| d.join(tool.command))
        .find(|p| p.is_file())
}

/// Looks for `tool` on this host.
pub fn find(tool: &Tool) -> Option<PathBuf> {
    find_in(tool, std::env::var_os("PATH").as_deref())
}

/// `tool`'s path; `None` with a skip line on stderr when it is missing outside CI.
///
/// # Panics
/// When it is missing and `CI` is set.
pub fn require(tool: &Tool, needed_for: &str) -> Option<PathBuf> {
    match decide(tool, find(tool), in_ci(), needed_for) {
        Ok(Some(p)) => Some(p),
        Ok(None) => {
            eprintln!(
                "SKIPPED (not a pass): {} not found (Debian package {}); {needed_for} not run",
                tool.command, tool.package
            );
            None
        }
        Err(msg) => panic!("{msg}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ci_means_set_and_not_empty() {
        assert!(!ci_from(None));
        assert!(!ci_from(Some(OsStr::new(""))));
        assert!(ci_from(Some(OsStr::new("true"))));
        assert!(ci_from(Some(OsStr::new("1"))));
    }

    #[test]
    fn a_missing_reference_fails_under_ci_and_skips_otherwise() {
        let p = PathBuf::from("/usr/bin/qemu-riscv64");
        assert_eq!(
            decide(&QEMU_USER, Some(p.clone()), true, "x"),
            Ok(Some(p.clone()))
        );
        assert_eq!(decide(&QEMU_USER, Some(p.clone()), false, "x"), Ok(Some(p)));
        assert_eq!(decide(&QEMU_USER, None, false, "x"), Ok(None));
        let err = decide(&QEMU_USER, None, true, "the comparison").unwrap_err();
        assert!(err.contains("qemu-riscv64"), "{err}");
        assert!(err.contains("qemu-user"), "{err}");
        assert!(err.contains("the comparison"), "{err}");
        let err = decide(&QEMU_SYSTEM, None, true, "x").unwrap_err();
        assert!(err.contains("qemu-system-misc"), "{err}");
    }

    #[test]
    fn tools_are_found_on_the_path_and_in_their_extra_directories() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("qemu-riscv64"), b"").unwrap();
        let path =
            std::env::join_paths(["/nonexistent-dir", dir.path().to_str().unwrap()]).unwrap();
        assert_eq!(
            find_in(&QEMU_USER, Some(&path)),
            Some(dir.path().join("qemu-riscv64"))
        );
        assert_eq!(find_in(&QEMU_SYSTEM, Some(&path)), None);
        assert_eq!(find_in(&QEMU_USER, None), None);
        // A directory of the tool's name is not the tool.
        std::fs::create_dir(dir.path().join("cc")).unwrap();
        assert_eq!(find_in(&HOST_CC, Some(&path)), None);
    }
}
