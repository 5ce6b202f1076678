//! The kernel page table: built once at boot in the paging mode bootargs chose, shared by
//! every address space later (its upper-half root entries are copied into each process's
//! root).
//!
//! It maps, all global (G) and with A and D already set (so no A/D update is ever needed,
//! whether the hardware would set them, Svadu, or fault, Svade):
//! - the kernel image at PAGE_OFFSET + PA with 4 KiB pages: text R+X, rodata R, data and
//!   bss R+W (W^X: no page is both writable and executable);
//! - the rest of RAM in the direct map, R+W, with 2 MiB and 1 GiB leaves where aligned;
//! - the devices the S-mode kernel drives (UART, test finisher, the virtio-mmio window),
//!   R+W.
//!
//! No identity map: after the switch the kernel runs only in the high half.

use super::frame::Bump;
use super::layout::{self, phys_to_virt, FINISHER_PA, UART_PA, VIRTIO_MMIO_END, VIRTIO_MMIO_PA};
use mm_core::paging::{map_range, MapError, PagingMode, Range, TableAccess};
use mm_core::pte::{Pte, PteFlags};
use mm_core::{PhysAddr, PAGE_SIZE};
use spin::Once;

/// Tables reached through the direct map, new ones from the boot bump allocator.
struct BootTables<'a> {
    bump: &'a mut Bump,
}

#[allow(unsafe_code)]
impl TableAccess for BootTables<'_> {
    fn alloc_table(&mut self) -> Option<PhysAddr> {
        let pa = self.bump.alloc(1)?;
        self.bump.table_frames += 1;
        Some(pa)
    }
    fn read(&self, table: PhysAddr, index: usize) -> Pte {
        read_pte(table, index)
    }
    fn write(&mut self, table: PhysAddr, index: usize, pte: Pte) {
        write_pte(table, index, pte)
    }
}

/// The kernel's address space: its mode and root table.
#[derive(Clone, Copy, Debug)]
pub struct KernelSpace {
    pub mode: PagingMode,
    pub root: PhysAddr,
}

static KERNEL: Once<KernelSpace> = Once::new();

const KERNEL_AD: PteFlags = PteFlags::G.union(PteFlags::A).union(PteFlags::D);

/// Builds the kernel page table for RAM `[ram.0, ram.1)` in `mode` and switches to it.
pub fn build_and_switch(
    mode: PagingMode,
    ram: (PhysAddr, PhysAddr),
    bump: &mut Bump,
) -> Result<KernelSpace, MapError> {
    let img = layout::image();
    let mut t = BootTables { bump };
    let root = t.alloc_table().ok_or(MapError::OutOfMemory)?;
    let rx = KERNEL_AD | PteFlags::R | PteFlags::X;
    let r = KERNEL_AD | PteFlags::R;
    let rw = KERNEL_AD | PteFlags::R | PteFlags::W;
    let direct = |s: PhysAddr, e: PhysAddr| Range {
        va: phys_to_virt(s),
        pa: s,
        len: e.0.saturating_sub(s.0),
    };
    let regions = [
        (direct(ram.0, img.start), rw, 2),
        (direct(img.start, img.text_end), rx, 0),
        (direct(img.text_end, img.rodata_end), r, 0),
        (direct(img.rodata_end, img.end), rw, 0),
        (direct(img.end, ram.1.align_down(PAGE_SIZE)), rw, 2),
        (
            direct(PhysAddr(UART_PA), PhysAddr(UART_PA + PAGE_SIZE)),
            rw,
            0,
        ),
        (
            direct(PhysAddr(FINISHER_PA), PhysAddr(FINISHER_PA + PAGE_SIZE)),
            rw,
            0,
        ),
        // Next to the UART: in its leaf table, so no table frame more.
        (
            direct(PhysAddr(VIRTIO_MMIO_PA), PhysAddr(VIRTIO_MMIO_END)),
            rw,
            0,
        ),
        (
            direct(
                PhysAddr(layout::KEVENT_PA),
                PhysAddr(layout::KEVENT_PA + PAGE_SIZE),
            ),
            rw,
            0,
        ),
    ];
    for (range, flags, max_level) in regions {
        if range.len > 0 {
            map_range(mode, root, range, flags, max_level, &mut t)?;
        }
    }
    let space = KernelSpace { mode, root };
    // SAFETY: the new table maps everything the kernel uses at the addresses it uses now:
    // the image (code, stack in .bss), all RAM in the direct map, the UART.
    #[allow(unsafe_code)]
    unsafe {
        crate::arch::csr::switch_page_table(mode.satp(root, 0))
    };
    Ok(*KERNEL.call_once(|| space))
}

/// The kernel's address space, once built (new process spaces copy its upper half).
pub fn kernel() -> Option<KernelSpace> {
    KERNEL.get().copied()
}

/// Entry `index` (< 512) of the page-table frame at `table`, through the direct map.
#[allow(unsafe_code)]
pub fn read_pte(table: PhysAddr, index: usize) -> Pte {
    assert!(index < 512);
    let p = phys_to_virt(table).0 as *const u64;
    // SAFETY: `table` is a page-table frame of RAM (mapped by the direct map) and
    // index < 512.
    Pte(unsafe { p.add(index).read_volatile() })
}

/// Sets entry `index` (< 512) of the page-table frame at `table`; volatile because the
/// hardware walker reads these words.
#[allow(unsafe_code)]
pub fn write_pte(table: PhysAddr, index: usize, pte: Pte) {
    assert!(index < 512);
    let p = phys_to_virt(table).0 as *mut u64;
    // SAFETY: as in read_pte.
    unsafe { p.add(index).write_volatile(pte.0) }
}
