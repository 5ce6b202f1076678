//! The kernel built into rvmmu (`os/`, compiled by `emu/build.rs`), booted by `rvmmu run`
//! when no `--kernel` is given, and written out by `rvmmu kernel` for
//! `qemu-system-riscv64 -machine virt -bios none -kernel`.

/// The kernel's ELF image; empty when rvmmu was built without it (`RVMMU_NO_KERNEL=1`).
const IMAGE: &[u8] = include_bytes!(env!("RVMMU_KERNEL_ELF"));

/// The built-in kernel's ELF image, if this rvmmu has one.
pub fn embedded() -> Option<&'static [u8]> {
    (!IMAGE.is_empty()).then_some(IMAGE)
}
