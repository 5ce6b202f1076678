//! Files: the initramfs, read in place from the initrd, is the (read-only) file system;
//! [`files`] holds the descriptor table and the file system calls, [`proc`] the /proc tree, [`proc_pid`] and [`proc_mem`] its files.

pub mod cpio;
pub mod files;
pub mod pipe;
pub mod proc;
pub mod proc_mem;
pub mod proc_pid;
pub mod proc_stat;
pub mod ramfs;
pub mod tty;

use mm_core::PhysAddr;

/// The initrd's bytes, read in place through the direct map.
#[allow(unsafe_code)]
pub fn initrd_bytes(range: (PhysAddr, PhysAddr)) -> &'static [u8] {
    let start = crate::mm::layout::phys_to_virt(range.0).0 as *const u8;
    // SAFETY: the initrd's frames are RAM reserved at boot (never handed to the allocator)
    // and never written, so a shared borrow for the kernel's lifetime is sound.
    unsafe { core::slice::from_raw_parts(start, (range.1 .0 - range.0 .0) as usize) }
}
