//! Everything that touches the hart directly: the M-mode layer, the boot hand-over to the
//! high half, CSRs and fences, the trap entry, and the calls into the M-layer. The rest of
//! the kernel reaches the hardware only through these modules.

pub mod boot;
pub mod csr;
pub mod fp;
pub mod mlayer;
pub mod sbi;
pub mod trap;
