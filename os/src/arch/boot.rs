//! From the M-layer's `mret` to Rust in the high half.
//!
//! `s_entry` runs in S-mode with paging off at the image's physical address. It turns on
//! Sv39 with [`BOOT_PT`], a table made at compile time (its entries hold only constants,
//! so it needs no code to build), jumps to the same code at its linked high-half address,
//! takes the boot stack and calls [`crate::kmain`] with a0 = hartid and a1 = the device
//! tree's physical address. `kmain` then builds the real kernel page table (Sv39 or Sv48)
//! and switches to it (crate::mm::kpt).
//!
//! The boot table maps, with 1 GiB leaves:
//! - VA 0x8000_0000 → PA 0x8000_0000 (identity): the instructions between the satp write
//!   and the jump are fetched here;
//! - PAGE_OFFSET + [0, 4 GiB) → PA [0, 4 GiB): the direct map's first 4 GiB, holding the
//!   devices, the kernel image (linked at PAGE_OFFSET + 0x8000_0000), the device tree
//!   (placed below 3 GiB) and the frames the kernel page table is built from.
//!
//! All entries have A and D set, so they work whether the hardware sets A/D (Svadu) or
//! faults on them (Svade): priv/supervisor.adoc, "Virtual Address Translation Process",
//! step 7.
#![allow(unsafe_code)]

use crate::mm::layout::{KERNEL_PA, PAGE_OFFSET};
use mm_core::paging::{PagingMode, SV39};
use mm_core::pte::{Pte, PteFlags};
use mm_core::PhysAddr;

/// A page-aligned table of 512 PTEs.
#[repr(C, align(4096))]
pub struct BootTable(pub [u64; 512]);

const GIB: u64 = 1 << 30;
const KERNEL_RWX: PteFlags = PteFlags::R
    .union(PteFlags::W)
    .union(PteFlags::X)
    .union(PteFlags::A)
    .union(PteFlags::D);

const fn boot_table() -> BootTable {
    let mut t = [0u64; 512];
    let ident = KERNEL_PA & !(GIB - 1);
    t[PagingMode::index(mm_core::VirtAddr(ident), 2)] = Pte::leaf(PhysAddr(ident), KERNEL_RWX).0;
    let mut i = 0;
    while i < 4 {
        let va = mm_core::VirtAddr(PAGE_OFFSET + i * GIB);
        t[PagingMode::index(va, 2)] = Pte::leaf(PhysAddr(i * GIB), KERNEL_RWX.union(PteFlags::G)).0;
        i += 1;
    }
    BootTable(t)
}

/// The boot page table (Sv39 root). Only read by the hardware walker.
#[no_mangle]
#[used]
#[link_section = ".data.boot_pt"]
static BOOT_PT: BootTable = boot_table();

/// Bytes of the boot stack (the kernel's stack until processes have their own).
pub const BOOT_STACK_SIZE: usize = 64 << 10;

core::arch::global_asm!(
    r#"
    .section .text.boot, "ax"
    .globl s_entry
s_entry:
    lla t0, BOOT_PT
    srli t0, t0, 12
    li t1, {satp_mode} << 60
    or t0, t0, t1
    csrw satp, t0
    sfence.vma
    li t1, {page_offset}
    lla t0, 1f
    add t0, t0, t1
    jr t0
1:  lla sp, boot_stack_top
    csrw sscratch, zero
    call kmain
2:  wfi
    j 2b

    .section .bss.stack, "aw", @nobits
    .align 12
    .globl boot_stack
boot_stack:
    .space {stack_size}
    .globl boot_stack_top
boot_stack_top:
    "#,
    satp_mode = const SV39.satp_mode,
    page_offset = const PAGE_OFFSET,
    stack_size = const BOOT_STACK_SIZE,
);
