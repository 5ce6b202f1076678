//! Memory management: the layout ([`layout`]), boot-time frame accounting and the buddy
//! allocator over per-frame metadata ([`frame`]), the kernel heap ([`heap`]) and the kernel
//! page table ([`kpt`]), the
//! counters in Linux's names ([`vmstat`]), the swap areas ([`swapfile`]). The hardware-free logic is in the `mm-core` crate.

pub mod commit;
pub mod frame;
pub mod heap;
pub mod kpt;
pub mod layout;
pub mod reclaim;
pub mod swap;
pub mod swapfile;
pub mod vmstat;

/// swapoff of swap area `area` while some of its slots are in use: every page there must
/// come back into memory (each swap PTE naming the area replaced by a present page) before
/// the area can go. Not yet: the memory manager's step (docs/KERNEL.md, "Block devices and
/// swap areas"). Until then swapoff of an area in use fails with ENOMEM, and the area stays.
pub fn swap_off_area(area: u8) -> Result<(), crate::syscall::Errno> {
    log::warn!("swapoff of swap area {area} with pages in use: not yet (-ENOMEM)");
    Err(crate::syscall::ENOMEM)
}
