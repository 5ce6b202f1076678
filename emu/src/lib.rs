//! rvmmu: a RISC-V RV64GC system emulator built around a modelled MMU.
//!
//! The crate is the hardware: a hart ([`hart`]) with its MMU ([`mmu`]), the physical bus and
//! devices ([`bus`], [`devices`]) of a QEMU `virt`-compatible machine, and the [`machine`]
//! that ties them together and runs guest code loaded by [`loader`]. [`strace`] renders the
//! system calls of a traced guest the way strace prints them.

pub mod addr;
pub mod bench;
pub mod bench_kernel;
pub mod bus;
pub mod cli;
pub mod devices;
pub mod disk;
pub mod fdt;
pub mod guest_bin;
pub mod hart;
pub mod host_signal;
pub mod initramfs;
pub mod isa;
pub mod kernel;
pub mod kevent;
pub mod loader;
pub mod machine;
pub mod mmu;
pub mod progress;
pub mod snapshot;
pub mod strace;
pub mod timeline;
pub mod trace;
