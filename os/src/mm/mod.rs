//! Memory management, all of it: the layout ([`layout`]), boot-time frame accounting and
//! the buddy allocator over per-frame metadata ([`frame`]), the kernel heap ([`heap`]) and
//! the kernel page table ([`kpt`]); a process's address space and its fault handler, swap-in
//! and copy-on-write ([`space`]); the reverse map ([`rmap`]), reclaim ([`reclaim`]), the swap
//! cache ([`swap`]) and the swap areas ([`swapfile`]), the OOM killer ([`oom`]), contiguous ranges for segmented processes ([`segmem`]), overcommit
//! accounting ([`commit`]) and the counters in Linux's names ([`vmstat`]). The process table
//! is `proc`'s; this module sees it through `proc::Spaces`. The hardware-free logic is in
//! the `mm-core` crate.

pub mod commit;
pub mod frame;
pub mod heap;
pub mod kpt;
pub mod layout;
pub mod oom;
pub mod reclaim;
pub mod rmap;
pub mod segmem;
pub mod space;
pub mod swap;
pub mod swapfile;
pub mod vmstat;
