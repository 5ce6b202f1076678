//! The kernel's memory-management logic that does not touch hardware.
//!
//! `os/` (the kernel, built for `riscv64gc-unknown-none-elf`) uses this crate for its frame
//! metadata ([`page`]), its buddy allocator ([`buddy`]), its page-table format and
//! mapping code ([`pte`], [`paging`]), the process's memory areas ([`vma`]), the process
//! table's rules ([`task`]), reclaim's watermarks ([`watermark`]), the signal frame's
//! layout ([`sigframe`]) and the console's line discipline ([`ldisc`]). Nothing here reads a CSR or dereferences a physical
//! address: page tables are reached through the [`paging::TableAccess`] trait, the buddy
//! allocator works on a slice of [`page::Page`] records. So `cargo test` runs all of it on
//! the host (the crate is a member of the root workspace), with "physical memory" in a `Vec`.
//!
//! This crate is written against the RISC-V privileged specification
//! (priv/supervisor.adoc, "Sv39: Page-Based 39-bit Virtual-Memory System" and "Sv48"), not
//! against the emulator's MMU model in `emu/src/mmu/`: the two check each other.

#![no_std]
#![deny(unsafe_code)]

extern crate alloc;
#[cfg(test)]
extern crate std;

pub mod addr;
pub mod buddy;
pub mod ldisc;
pub mod loadavg;
pub mod lru;
pub mod page;
pub mod paging;
pub mod policy;
pub mod pte;
pub mod ratelimit;
pub mod rmap;
pub mod seglayout;
pub mod segment;
pub mod shmem;
pub mod sigframe;
pub mod signo;
pub mod swap;
pub mod swap_map;
pub mod task;
pub mod vma;
pub mod watermark;

pub use addr::{PhysAddr, VirtAddr, PAGE_SHIFT, PAGE_SIZE};
