//! Segmented processes (docs/KERNEL.md, "Segmented processes"): a process that runs in
//! U-mode with satp = Bare, each of its segments one contiguous physical range that a PMP
//! entry grants (text R-X, data + heap RW-, stack RW-, each anonymous mmap RW- or per its
//! prot). Every address such a process sees is physical.
//!
//! This module holds a process's segment state ([`SegProc`], in its `AddressSpace`), the
//! segmented exec ([`load`]), the checked copies between the kernel and the process
//! ([`SegProc::copy_in`], [`SegProc::copy_out`]: through the direct map), and the resume
//! block's arming for the trap exit ([`arm_for`]). The memory system calls of such a
//! process are in syscall/mm.rs (`seg_*`).

use super::elf::{Elf, ElfError, PF_W, PT_LOAD};
use super::exec::{self, ExecError, Loaded, Program};
use crate::mm::kpt::KernelSpace;
use crate::mm::layout::phys_to_virt;
use crate::mm::space::{AddressSpace, Fault};
use alloc::boxed::Box;
use core::sync::atomic::{AtomicU64, Ordering};
use mm_core::seglayout::{self, Load};
use mm_core::{PhysAddr, VirtAddr, PAGE_SIZE};

pub use crate::mm::segmem;
pub use mm_core::segment::{PmpImage, SegError, SegKind, SegPerms, SegTable, Segment};

/// personality(2)'s bit asking for segmented execs (unused by Linux, which keeps and
/// ignores it).
pub const PER_SEGMENTS: u32 = 0x1000_0000;

/// The stack segment's size: sysctl vm.segment_stack_kb (default 256), in whole pages.
pub fn stack_bytes() -> u64 {
    let kb = crate::sysctl::value("segment_stack_kb").max(4) as u64;
    (kb << 10).next_multiple_of(PAGE_SIZE)
}

/// A segmented process's segments and the PMP image that grants them.
pub struct SegProc {
    pub table: SegTable,
    /// `table.pmp_image()`, kept in step with the table ([`SegProc::update`]: every
    /// change of the table must be followed by it).
    pub image: PmpImage,
    /// The image's identity: unique over every image any process has had (a fresh
    /// number at each [`SegProc::update`]), so the trap exit copies an image into the
    /// resume block only when it differs from the one there.
    generation: u64,
    /// The ranges mmap made, `[start, end)`: mprotect may split one into several
    /// segments, and only pieces of the same mapping merge again (so that munmap of one
    /// mapping never has to split a segment another mapping shares).
    pub mappings: alloc::vec::Vec<(u64, u64)>,
    /// The segments written to swap while the process is swapped out whole
    /// (`proc::segswap`); empty while they are in memory.
    pub swapped: alloc::vec::Vec<segmem::SegSwap>,
}

impl SegProc {
    /// An empty table for the PMP entries the M-layer found.
    pub fn new() -> SegProc {
        let table = SegTable::new(crate::arch::sbi::pmp_count());
        let image = table.pmp_image();
        SegProc {
            table,
            image,
            generation: next_generation(),
            mappings: alloc::vec::Vec::new(),
            swapped: alloc::vec::Vec::new(),
        }
    }

    /// Whether its segments are in swap (`proc::segswap`): it must not run, and its
    /// ranges are not its own.
    pub fn is_swapped(&self) -> bool {
        self.swapped.iter().any(segmem::SegSwap::is_out)
    }

    /// Recomputes the PMP image after a change of the table.
    pub fn update(&mut self) {
        self.image = self.table.pmp_image();
        self.generation = next_generation();
    }

    /// Adds a segment (its memory already allocated).
    pub fn insert(&mut self, s: Segment) -> Result<(), SegError> {
        self.table.insert(s)?;
        self.update();
        Ok(())
    }

    /// Copies `buf.len()` bytes from the process's address `va`, which its segments must
    /// let it read.
    pub fn copy_in(&self, va: VirtAddr, buf: &mut [u8]) -> Result<(), Fault> {
        if self.is_swapped() || !self.table.check(va.0, buf.len() as u64, SegPerms::R) {
            return Err(Fault(va));
        }
        let src = phys_to_virt(PhysAddr(va.0)).0 as *const u8;
        // SAFETY: the range lies in the process's segments (checked), physical memory the
        // kernel reaches through its direct map; `buf` is a distinct kernel buffer.
        #[allow(unsafe_code)]
        unsafe {
            core::ptr::copy_nonoverlapping(src, buf.as_mut_ptr(), buf.len())
        };
        Ok(())
    }

    /// Copies `data` to the process's address `va`, which its segments must let it write.
    pub fn copy_out(&self, va: VirtAddr, data: &[u8]) -> Result<(), Fault> {
        if self.is_swapped() || !self.table.check(va.0, data.len() as u64, SegPerms::W) {
            return Err(Fault(va));
        }
        let dst = phys_to_virt(PhysAddr(va.0)).0 as *mut u8;
        // SAFETY: as in copy_in, the other way.
        #[allow(unsafe_code)]
        unsafe {
            core::ptr::copy_nonoverlapping(data.as_ptr(), dst, data.len())
        };
        Ok(())
    }

    /// The mapping (from mmap) that holds `addr`.
    pub fn mapping_of(&self, addr: u64) -> Option<(u64, u64)> {
        self.mappings
            .iter()
            .copied()
            .find(|&(s, e)| s <= addr && addr < e)
    }

    /// Forgets `[start, end)` of the mappings (munmap).
    pub fn forget_mappings(&mut self, start: u64, end: u64) {
        let mut kept = alloc::vec::Vec::new();
        for &(s, e) in &self.mappings {
            if e <= start || end <= s {
                kept.push((s, e));
                continue;
            }
            if s < start {
                kept.push((s, start));
            }
            if end < e {
                kept.push((end, e));
            }
        }
        self.mappings = kept;
    }

    /// Pages the segments hold.
    pub fn pages(&self) -> u64 {
        self.table.bytes() / PAGE_SIZE
    }
}

impl Default for SegProc {
    fn default() -> Self {
        SegProc::new()
    }
}

impl Drop for SegProc {
    /// Gives every segment's memory back (one in swap gives its slots back instead, as
    /// its `SegSwap` goes).
    fn drop(&mut self) {
        for s in self.table.segments() {
            if self
                .swapped
                .iter()
                .any(|w| w.is_out() && w.base.0 == s.base)
            {
                continue;
            }
            segmem::free(PhysAddr(s.base), s.len);
        }
    }
}

/// The last image generation handed out.
static GENERATIONS: AtomicU64 = AtomicU64::new(0);
/// The generation of the image in the resume block (0: none yet).
static IN_BLOCK: AtomicU64 = AtomicU64::new(0);

fn next_generation() -> u64 {
    GENERATIONS.fetch_add(1, Ordering::Relaxed) + 1
}

/// Makes the next exit to U-mode fit `space`'s process: through the M-layer with its PMP
/// image when it is segmented (copied into the resume block unless it is there already),
/// a plain `sret` otherwise.
#[inline]
pub fn arm_for(space: &AddressSpace) {
    match &space.seg {
        Some(s) => {
            let fresh = IN_BLOCK.swap(s.generation, Ordering::Relaxed) != s.generation;
            crate::arch::trap::arm_segments(&s.image.cfg, &s.image.addr, fresh);
        }
        None => crate::arch::trap::disarm_segments(),
    }
}

/// Keeps the space's resident count (VmRSS, the OOM killer's measure) equal to its
/// segments' pages.
pub fn note_resident(space: &mut AddressSpace) {
    if let Some(s) = &space.seg {
        let pages = s.pages();
        space.resident = pages;
        space.resident_peak = space.resident_peak.max(pages);
        space.size_peak = space.size_peak.max(pages * PAGE_SIZE);
    }
}

/// Refuses `path` for a segmented exec, with the reason in the log (execve: ENOEXEC).
fn refuse(path: &str, why: &'static str) -> ExecError {
    log::warn!("exec: {path}: {why}");
    ExecError::Elf(ElfError::Unsupported(why))
}

/// Loads `prog` segmented: ONE contiguous range for a page holding the signal trampoline
/// followed by all the PT_LOADs (a PIE's code reaches its data pc-relatively: their
/// distance is fixed), split into the text segment (R-X: the trampoline page and the R and
/// RX loads) and the data segment right after it (RW-: data and bss; the heap grows it);
/// and a stack segment (RW-, [`stack_bytes`]) holding argv, envp and auxv as for a paged
/// exec. Only a static-pie qualifies (ET_DYN without PT_INTERP: `Elf::parse` refuses
/// PT_INTERP).
pub fn load(
    kernel: KernelSpace,
    asid: u16,
    prog: Program<'_>,
    argv: &[&str],
    envp: &[&str],
) -> Result<Loaded, ExecError> {
    let Program { name, image, path } = prog;
    let mut elf = Elf::parse(image).map_err(ExecError::Elf)?;
    if !elf.pie {
        return Err(refuse(
            path,
            "not a static-pie (ET_EXEC): segments need position-independent code",
        ));
    }
    let loads: alloc::vec::Vec<Load> = elf
        .segments()
        .filter(|s| s.kind == PT_LOAD && s.memsz > 0)
        .map(|s| Load {
            vaddr: s.vaddr,
            memsz: s.memsz,
            writable: s.flags & PF_W != 0,
        })
        .collect();
    let split =
        seglayout::split(&loads, PAGE_SIZE, 1 << 40).map_err(|e| refuse(path, e.reason()))?;
    // The stack first: a first-fit allocator then puts the text and data above it,
    // leaving the memory after the data free for the heap as long as nothing else
    // takes it.
    let stack_len = stack_bytes();
    let stack_base = match segmem::alloc(stack_len) {
        Ok(b) => b.0,
        Err(_) => {
            log::warn!(
                "exec: {path}: no contiguous {} KiB of physical memory for its stack",
                stack_len >> 10
            );
            return Err(ExecError::NoMemory);
        }
    };
    let stack = Segment {
        base: stack_base,
        len: stack_len,
        perms: SegPerms::R | SegPerms::W,
        kind: SegKind::Stack,
    };
    let mut seg = Box::new(SegProc::new());
    if seg.insert(stack).is_err() {
        segmem::free(PhysAddr(stack_base), stack_len);
        return Err(refuse(path, "not enough PMP entries for its segments"));
    }
    // From here on, dropping `seg` gives the memory of the segments in it back.
    let total = split.total();
    let base = match segmem::alloc(total) {
        Ok(b) => b.0,
        Err(_) => {
            log::warn!(
                "exec: {path}: no contiguous {} KiB of physical memory for its text and data",
                total >> 10
            );
            return Err(ExecError::NoMemory);
        }
    };
    let text_len = split.text_len;
    let text = Segment {
        base,
        len: text_len,
        perms: SegPerms::R | SegPerms::X,
        kind: SegKind::Text,
    };
    let data = Segment {
        base: base + text_len,
        len: split.data_len,
        perms: SegPerms::R | SegPerms::W,
        kind: SegKind::Data,
    };
    // Text and data become two segments, each its own allocation (what segmem counts):
    // the data's part is given back and taken again exactly there (nothing can come
    // between: one hart, interrupts off).
    segmem::shrink(PhysAddr(base), total, text_len);
    if !segmem::alloc_at(PhysAddr(base + text_len), data.len) {
        segmem::free(PhysAddr(base), text_len);
        log::warn!("exec: {path}: its data segment could not be placed after its text");
        return Err(ExecError::NoMemory);
    }
    for s in [text, data] {
        if seg.insert(s).is_err() {
            // The text may be in the table: out of it, so that only this frees it.
            seg.table.remove(base);
            segmem::free(PhysAddr(base), text_len);
            segmem::free(PhysAddr(base + text_len), data.len);
            return Err(refuse(path, "not enough PMP entries for its segments"));
        }
    }
    elf.bias = split.bias(base, PAGE_SIZE);
    elf.entry = elf.entry.wrapping_add(elf.bias);
    // The trampoline page, then each load's file bytes (the rest is zero: bss).
    let tramp: &[u8] = &super::signal::TRAMPOLINE;
    write_phys(base, tramp);
    for s in elf.segments().filter(|s| s.kind == PT_LOAD && s.memsz > 0) {
        let bytes = &image[s.offset as usize..(s.offset + s.filesz) as usize];
        write_phys(s.vaddr, bytes);
    }
    let mut space = AddressSpace::new(kernel, asid).ok_or(ExecError::NoMemory)?;
    space.seg = Some(seg);
    note_resident(&mut space);
    let stack_top = stack_base + stack_len;
    let sp = exec::build_stack(&mut space, &elf, stack_top, argv, envp, path)
        .ok_or(ExecError::BadAddress(stack_top))?;
    let brk = data.base + data.len;
    if let Some(s) = &space.seg {
        for (k, g) in s.table.segments().iter().enumerate() {
            log::debug!(
                "{name}: segment {k} {:#x}-{:#x} {:?} {:?}, PMP entry {}",
                g.base,
                g.base + g.len,
                g.perms,
                g.kind,
                s.image.entry_of[k]
            );
        }
    }
    log::info!(
        "{name}: segmented: entry {:#x}, stack {:#x}, brk {:#x}, {} argument(s)",
        elf.entry,
        sp,
        brk,
        argv.len()
    );
    Ok(Loaded {
        space,
        entry: elf.entry,
        sp,
        brk,
        vdso: base,
        layout: super::elf::Loaded::new(&elf, stack_top, sp, argv, envp, path),
    })
}

/// Writes `bytes` at physical address `pa` (memory this exec allocated) through the
/// direct map.
fn write_phys(pa: u64, bytes: &[u8]) {
    let dst = phys_to_virt(PhysAddr(pa)).0 as *mut u8;
    // SAFETY: `pa..pa + len` lies in the range just allocated for the process (the loads
    // are inside [low, high), which the allocation covers after the trampoline page).
    #[allow(unsafe_code)]
    unsafe {
        core::ptr::copy_nonoverlapping(bytes.as_ptr(), dst, bytes.len())
    };
}
