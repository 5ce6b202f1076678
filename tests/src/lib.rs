//! Integration-test helpers for rvmmu.
//!
//! The bare-metal ISA test programs (sources in `tests/bare/`, built by
//! `build.rs` with `riscv64-unknown-elf-gcc`) are listed in [`BARE_TESTS`], the MMU
//! programs (`tests/bare/mmu/`) in [`MMU_TESTS`].
//! Each program is self-checking: it prints `PASS <name>` or
//! `FAIL <name> case <n>` on the UART, then writes `tohost` (1 = pass,
//! `(n << 1) | 1` = fail n) and finally the test finisher at 0x10_0000.
//!
//! [`qemu`] runs them on `qemu-system-riscv64` to validate the tests
//! themselves; `tests/bare_isa.rs` runs them on rvmmu.

include!(concat!(env!("OUT_DIR"), "/bare_tests.rs"));

pub mod host;
pub mod kernel;
pub mod linux;
pub mod process;
pub mod qemu;
pub mod tutorial;

/// `qemu-riscv64`, the user-mode Linux reference; `None` (a skip line) when it is missing
/// outside CI, a panic under CI (see [`host`]). `what` names the comparison.
pub fn require_qemu_user(what: &str) -> Option<std::path::PathBuf> {
    host::require(&host::QEMU_USER, what)
}

/// `qemu-system-riscv64`, the reference machine; as [`require_qemu_user`].
pub fn require_qemu_system(what: &str) -> Option<std::path::PathBuf> {
    host::require(&host::QEMU_SYSTEM, what)
}

/// util-linux's `mkswap`; as [`require_qemu_user`].
pub fn require_mkswap(what: &str) -> Option<std::path::PathBuf> {
    host::require(&host::MKSWAP, what)
}

/// The host's C compiler `cc`; as [`require_qemu_user`].
pub fn require_host_cc(what: &str) -> Option<std::path::PathBuf> {
    host::require(&host::HOST_CC, what)
}

/// The host's `strace`; as [`require_qemu_user`].
pub fn require_strace(what: &str) -> Option<std::path::PathBuf> {
    host::require(&host::STRACE, what)
}

/// procps's `ps` (its package has the other reference tools); as [`require_qemu_user`].
pub fn require_procps(what: &str) -> Option<std::path::PathBuf> {
    host::require(&host::PROCPS, what)
}

/// sysstat's `sar`; as [`require_qemu_user`].
pub fn require_sysstat(what: &str) -> Option<std::path::PathBuf> {
    host::require(&host::SYSSTAT, what)
}

/// Path of the built ELF of the bare-metal test `name` (ISA or MMU program).
pub fn bare_test_path(name: &str) -> Option<&'static str> {
    BARE_TESTS
        .iter()
        .chain(MMU_TESTS)
        .find(|(n, _)| *n == name)
        .map(|(_, p)| *p)
}

/// Path of the built Linux program `dir/name` (from `programs/`).
pub fn linux_program(name: &str) -> Option<&'static str> {
    LINUX_PROGRAMS
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, p)| *p)
}

/// The verdict a bare-metal test printed on its console.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// `PASS <name>`.
    Pass,
    /// `FAIL <name> case <n>`.
    Fail(u64),
    /// No verdict line for this test.
    Missing,
}

/// Finds the verdict line of test `name` in its console output.
pub fn console_verdict(name: &str, console: &str) -> Verdict {
    let pass = format!("PASS {name}");
    let fail = format!("FAIL {name} case ");
    for line in console.lines() {
        let line = line.trim_end_matches('\r');
        if line == pass {
            return Verdict::Pass;
        }
        if let Some(n) = line.strip_prefix(&fail).and_then(|n| n.trim().parse().ok()) {
            return Verdict::Fail(n);
        }
    }
    Verdict::Missing
}

/// A `Write` into a buffer the test keeps and reads back: a tracer owns its writer, so a
/// test hands it a clone and reads the bytes through its own.
#[derive(Clone, Default)]
pub struct SharedBuf(pub std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

impl std::io::Write for SharedBuf {
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        self.0.lock().expect("not poisoned").extend_from_slice(b);
        Ok(b.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// The "SKIP case <n> on QEMU: <reason>" lines a test printed (known QEMU divergences).
pub fn qemu_skips(console: &str) -> Vec<&str> {
    console
        .lines()
        .filter(|l| l.starts_with("SKIP case "))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn verdict_lines() {
        assert_eq!(console_verdict("rv64i", "x\nPASS rv64i\n"), Verdict::Pass);
        assert_eq!(
            console_verdict("rv64i", "FAIL rv64i case 12\r\n"),
            Verdict::Fail(12)
        );
        assert_eq!(console_verdict("rv64i", "PASS rv64im\n"), Verdict::Missing);
        assert_eq!(console_verdict("rv64i", ""), Verdict::Missing);
    }

    #[test]
    fn every_program_was_built() {
        assert!(!BARE_TESTS.is_empty());
        assert!(!MMU_TESTS.is_empty());
        for (name, path) in BARE_TESTS.iter().chain(MMU_TESTS) {
            assert!(
                std::path::Path::new(path).is_file(),
                "{name}: {path} missing"
            );
        }
        assert!(bare_test_path("rv64i").is_some());
        assert!(bare_test_path("mmu_sv39").is_some());
    }
}
