//! Memory management: the layout ([`layout`]), boot-time frame accounting and the buddy
//! allocator over per-frame metadata ([`frame`]), the kernel heap ([`heap`]) and the kernel
//! page table ([`kpt`]), the
//! counters in Linux's names ([`vmstat`]). The hardware-free logic is in the `mm-core` crate.

pub mod commit;
pub mod frame;
pub mod heap;
pub mod kpt;
pub mod layout;
pub mod reclaim;
pub mod swap;
pub mod swapfile;
pub mod vmstat;
