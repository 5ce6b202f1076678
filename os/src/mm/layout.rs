//! Where things are: the physical map (QEMU virt's, which rvmmu reproduces) and the
//! kernel's virtual layout. One virtual layout serves Sv39 and Sv48.
//!
//! ```text
//!  physical                                   virtual (both modes)
//!  0x0010_0000  test finisher                 0x0000_0000_0000_0000 ┐ user half (later):
//!  0x0200_0000  CLINT (M-layer only)                                │ 256 GiB in Sv39,
//!  0x0c00_0000  PLIC                          user_end()            ┘ 128 TiB in Sv48
//!  0x1000_0000  UART 16550                          ... non-canonical hole ...
//!  0x1000_1000  virtio-mmio slots 0..7
//!  0x1000_9000  rvmmu's event channel
//!  0x8000_0000  RAM: kernel image             0xffff_ffc0_0000_0000 PAGE_OFFSET: direct map,
//!               (text, rodata, data, bss),                          VA = PAGE_OFFSET + PA
//!               page tables, frame metadata,  0xffff_ffc0_8000_0000 the kernel image (linked
//!               then free frames                                    here: inside the direct map)
//!  RAM end                                    0xffff_ffff_ffff_ffff
//! ```
//!
//! PAGE_OFFSET is the lowest address of Sv39's upper half, 2^64 - 2^38. It is canonical in
//! Sv48 too (where the upper half starts lower, at 2^64 - 2^47), so the kernel's addresses
//! do not depend on the paging mode and nothing moves when the kernel switches from the
//! Sv39 boot table to an Sv48 one. (Linux moves PAGE_OFFSET per mode to give the direct map
//! more room; 256 GiB is plenty for rvmmu's 64 GiB maximum RAM.)

/// Start of the direct map: VA = PAGE_OFFSET + PA.
pub const PAGE_OFFSET: u64 = 0xffff_ffc0_0000_0000;
/// Where RAM starts and the kernel image is loaded.
pub const KERNEL_PA: u64 = 0x8000_0000;
/// The 16550 UART.
pub const UART_PA: u64 = 0x1000_0000;
/// The SiFive test finisher.
pub const FINISHER_PA: u64 = 0x10_0000;
/// QEMU virt's eight virtio-mmio transports, 4 KiB apart (slot 0 at 0x1000_1000, PLIC
/// source 1; slot 7 at 0x1000_8000, source 8): `[VIRTIO_MMIO_PA, VIRTIO_MMIO_END)`.
pub const VIRTIO_MMIO_PA: u64 = 0x1000_1000;
pub const VIRTIO_MMIO_END: u64 = 0x1000_9000;
/// rvmmu's kernel event channel (`rvmmu,kevent`; absent on QEMU): one page after the
/// virtio slots, mapped always, used only when the device tree lists it there.
pub const KEVENT_PA: u64 = 0x1000_9000;
/// The CLINT (mtimecmp, mtime): the M-layer's.
pub const CLINT_PA: u64 = 0x200_0000;

use mm_core::{PhysAddr, VirtAddr};

/// The direct-map address of `pa`.
pub const fn phys_to_virt(pa: PhysAddr) -> VirtAddr {
    VirtAddr(pa.0 + PAGE_OFFSET)
}

/// The physical address behind a direct-map (or kernel image) address.
pub const fn virt_to_phys(va: VirtAddr) -> PhysAddr {
    PhysAddr(va.0 - PAGE_OFFSET)
}

/// The kernel image's sections (linker symbols, link.ld), as physical ranges.
pub struct ImageLayout {
    pub start: PhysAddr,
    pub text_end: PhysAddr,
    pub rodata_end: PhysAddr,
    pub end: PhysAddr,
}

extern "C" {
    static _kernel_start: u8;
    static _etext: u8;
    static _erodata: u8;
    static _kernel_end: u8;
}

/// The image's section boundaries.
#[allow(unsafe_code)]
pub fn image() -> ImageLayout {
    let pa = |p: *const u8| virt_to_phys(VirtAddr(p as u64));
    ImageLayout {
        start: pa(&raw const _kernel_start),
        text_end: pa(&raw const _etext),
        rodata_end: pa(&raw const _erodata),
        end: pa(&raw const _kernel_end),
    }
}
