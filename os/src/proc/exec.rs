//! Starting a program: an area per PT_LOAD segment (a private file mapping of the ELF,
//! read on first touch) and an 8 MiB stack area, the initial stack as Linux builds it
//! (LINUX-FACTS.md, "Starting a static program"), then U-mode. Nothing is mapped before it
//! is touched; the kernel's own writes of the initial stack fault its top pages in.
//!
//! The stack, from sp upward: argc; argv[0..n], NULL; envp[..], NULL; auxv pairs in
//! fs/binfmt_elf.c's order, AT_NULL; then (higher) the 16 AT_RANDOM bytes and the strings.
//! sp is 16-byte aligned; a0 = 0 (glibc's rtld_fini), every other register 0.

use super::elf::{Elf, ElfError, PF_R, PF_W, PF_X, PT_LOAD};
use crate::arch::csr;
use crate::arch::trap::{TrapFrame, FRAME_SIZE};
use crate::mm::frame;
use crate::mm::kpt::KernelSpace;
use crate::mm::layout::phys_to_virt;
use crate::mm::space::AddressSpace;
use alloc::vec::Vec;
use mm_core::paging::MapError;
use mm_core::pte::PteFlags;
use mm_core::vma::{Backing, Name, Vma};
use mm_core::{PhysAddr, VirtAddr, PAGE_SIZE};

/// Room the stack area gets below the initial sp (Linux's setup_arg_pages: 128 KiB); it
/// grows on faults below it up to RLIMIT_STACK (`space::grow_stack`).
const STACK_EXPAND: u64 = 128 << 10;
/// The gap between the top of the user half and mmap_base (syscall/mm.rs's MMAP_GAP).
const MMAP_GAP: u64 = 128 << 20;
/// Order of the kernel stack each process traps onto (16 KiB).
pub const KSTACK_ORDER: usize = 2;
/// AT_HWCAP: rv64imafdc, bit (letter - 'a') per extension.
const HWCAP: u64 = 0x112d;

/// Why a program could not be started.
#[derive(Debug)]
pub enum ExecError {
    Elf(ElfError),
    Map(MapError),
    /// A segment outside the user half, or overlapping another.
    BadAddress(u64),
    NoMemory,
}

impl core::fmt::Display for ExecError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            ExecError::Elf(e) => write!(f, "bad executable: {e:?}"),
            ExecError::Map(e) => write!(f, "cannot map it: {e:?}"),
            ExecError::BadAddress(a) => write!(f, "bad address {a:#x}"),
            ExecError::NoMemory => f.write_str("out of memory"),
        }
    }
}

impl From<MapError> for ExecError {
    fn from(e: MapError) -> Self {
        ExecError::Map(e)
    }
}

fn pte_flags(p_flags: u32) -> PteFlags {
    let mut f = PteFlags::empty();
    if p_flags & PF_R != 0 {
        f |= PteFlags::R;
    }
    if p_flags & PF_W != 0 {
        f |= PteFlags::W;
    }
    if p_flags & PF_X != 0 {
        f |= PteFlags::X;
    }
    f
}

/// A program loaded into a new address space, ready to enter.
pub struct Loaded {
    pub space: AddressSpace,
    pub entry: u64,
    pub sp: u64,
    /// The end of the last segment: where the heap starts.
    pub brk: u64,
    /// The `[vdso]` page (the signal trampoline).
    pub vdso: u64,
    /// Where the code, data, stack and argument strings went (/proc/PID/stat).
    pub layout: super::elf::Loaded,
}

/// The program to load: its command name, its ELF image and the path it was started by
/// (AT_EXECFN, as Linux gives execve's filename).
pub struct Program<'a> {
    pub name: &'a str,
    pub image: &'static [u8],
    pub path: &'a str,
}

/// Loads `prog` paged ([`load`]) or, when `persona` has [`super::seg::PER_SEGMENTS`],
/// segmented ([`super::seg::load`]).
pub fn load_for(
    persona: u32,
    kernel: KernelSpace,
    asid: u16,
    prog: Program<'_>,
    argv: &[&str],
    envp: &[&str],
) -> Result<Loaded, ExecError> {
    if persona & super::seg::PER_SEGMENTS != 0 {
        super::seg::load(kernel, asid, prog, argv, envp)
    } else {
        load(kernel, asid, prog, argv, envp)
    }
}

/// Loads `prog` into a new address space with ASID `asid`, its stack holding `argv` and
/// `envp` (init's start and execve).
pub fn load(
    kernel: KernelSpace,
    asid: u16,
    prog: Program<'_>,
    argv: &[&str],
    envp: &[&str],
) -> Result<Loaded, ExecError> {
    let Program { name, image, path } = prog;
    let mut elf = Elf::parse(image).map_err(ExecError::Elf)?;
    let mut space = AddressSpace::new(kernel, asid).ok_or(ExecError::NoMemory)?;
    let user_end = space.mode.user_end().0;
    elf.place(user_end);
    let mut top = 0;
    let mut low = u64::MAX;
    for s in elf.segments().filter(|s| s.kind == PT_LOAD && s.memsz > 0) {
        let end = VirtAddr(s.vaddr + s.memsz).align_up(PAGE_SIZE).0;
        let start = VirtAddr(s.vaddr).align_down(PAGE_SIZE).0;
        let lead = s.vaddr - start;
        if end > user_end || s.offset < lead {
            return Err(ExecError::BadAddress(s.vaddr));
        }
        let area = Vma {
            end,
            prot: pte_flags(s.flags),
            backing: Backing::File {
                data: image,
                offset: s.offset - lead,
                file_end: s.vaddr + s.filesz,
            },
            name: Name::Program,
        };
        // Segments sharing a page (GNU ld does not make them for these programs) are
        // refused rather than mapped with mixed permissions.
        if !space.vmas.insert(start, area) {
            return Err(ExecError::BadAddress(s.vaddr));
        }
        top = top.max(end);
        low = low.min(start);
    }
    let brk = top;

    let stack_top = user_end;
    let stack = Vma {
        end: stack_top,
        prot: PteFlags::R | PteFlags::W,
        backing: Backing::Anon,
        name: Name::Stack,
    };
    if !space.vmas.insert(stack_top - STACK_EXPAND, stack) {
        return Err(ExecError::BadAddress(stack_top - STACK_EXPAND));
    }
    // The [vdso] page (the signal trampoline, `signal::TRAMPOLINE`) at mmap_base, just
    // above where top-down mmaps go, so it moves none of them (Linux maps its vDSO as the
    // first of them, right below mmap_base). A static-pie already fills the top of the
    // mmap region (placed as a top-down mmap, ending at mmap_base, where its break starts
    // and grows up toward the stack): the vDSO goes right below it, as Linux's first
    // top-down mapping after the program would.
    let mmap_base = user_end - MMAP_GAP;
    let vdso = if top == mmap_base && low != u64::MAX {
        low - PAGE_SIZE
    } else {
        mmap_base
    };
    let tramp: &'static [u8] = &super::signal::TRAMPOLINE;
    let area = Vma {
        end: vdso + PAGE_SIZE,
        prot: PteFlags::R | PteFlags::X,
        backing: Backing::File {
            data: tramp,
            offset: 0,
            file_end: vdso + tramp.len() as u64,
        },
        name: Name::Vdso,
    };
    if !space.vmas.insert(vdso, area) {
        return Err(ExecError::BadAddress(vdso));
    }
    let execfn = path;
    let sp = build_stack(&mut space, &elf, stack_top, argv, envp, execfn)
        .ok_or(ExecError::BadAddress(stack_top))?;
    let want = VirtAddr(sp).align_down(PAGE_SIZE).0 - STACK_EXPAND;
    if let Some((start, _)) = space.vmas.find(sp) {
        if want < start {
            space.vmas.grow_down(start, want, 0);
        }
    }
    for (start, v) in space.vmas.iter() {
        log::debug!(
            "{name}: area {start:#x}-{:#x} {:?} {}",
            v.end,
            v.prot,
            v.name.label(execfn)
        );
    }
    log::info!(
        "{name}: entry {:#x}, stack {:#x}, brk {:#x}, {} argument(s)",
        elf.entry,
        sp,
        brk,
        argv.len()
    );
    // The stack's writes went through the direct map to the new tables' frames: order
    // them (and the tables) before the first walk with this ASID.
    csr::sfence_asid(asid);
    Ok(Loaded {
        space,
        entry: elf.entry,
        sp,
        brk,
        vdso,
        layout: super::elf::Loaded::new(&elf, stack_top, sp, argv, envp, execfn),
    })
}

/// The registers a program starts with: sp, pc at the entry, every other register 0 (a0
/// too: glibc's rtld_fini), U-mode with interrupts on after `sret` and the FP unit in its
/// Initial state (sstatus.FS = 1).
pub fn initial_frame(entry: u64, sp: u64) -> TrapFrame {
    let mut regs = [0u64; 32];
    regs[2] = sp;
    let sstatus = (csr::read_sstatus() & !(csr::SSTATUS_SPP | csr::SSTATUS_FS))
        | csr::SSTATUS_SPIE
        | csr::SSTATUS_FS_INITIAL;
    TrapFrame {
        regs,
        sepc: entry,
        sstatus,
    }
}

/// What a fresh kernel stack is filled with, so that how deep it was ever used can be
/// measured when it is freed (Linux's CONFIG_DEBUG_STACK_USAGE does the same).
const STACK_POISON: u64 = 0x57ac_57ac_57ac_57ac;

/// The fewest bytes any freed kernel stack had never used (`usize::MAX`: none freed yet).
static LEAST_LEFT: core::sync::atomic::AtomicUsize =
    core::sync::atomic::AtomicUsize::new(usize::MAX);

/// A kernel stack for a process: 2^KSTACK_ORDER frames; its top FRAME_SIZE bytes hold the
/// process's saved user registers while it is in the kernel or not running. It starts
/// filled with [`STACK_POISON`].
pub fn alloc_kstack() -> Option<PhysAddr> {
    let kstack = frame::alloc(KSTACK_ORDER)?;
    let words = (PAGE_SIZE << KSTACK_ORDER) as usize / 8;
    let base = phys_to_virt(kstack).0 as *mut u64;
    for i in 0..words {
        // SAFETY: the block was just allocated to us, 2^KSTACK_ORDER frames in the direct map.
        #[allow(unsafe_code)]
        unsafe {
            base.add(i).write(STACK_POISON)
        };
    }
    Some(kstack)
}

/// The bytes at the bottom of `kstack` still holding the poison: never used.
fn never_used(kstack: PhysAddr) -> usize {
    let words = (PAGE_SIZE << KSTACK_ORDER) as usize / 8;
    let base = phys_to_virt(kstack).0 as *const u64;
    // SAFETY: the stack's frames are ours until freed; reading them has no side effect.
    #[allow(unsafe_code)]
    let untouched = (0..words)
        .take_while(|&i| unsafe { base.add(i).read() } == STACK_POISON)
        .count();
    untouched * 8
}

/// Gives a kernel stack back. A stack that went deeper than any before it is logged, as
/// Linux logs "greatest stack depth"; one whose last word was written says it may have
/// overflowed (there is no guard page below it).
pub fn free_kstack(kstack: PhysAddr) {
    use core::sync::atomic::Ordering;
    let left = never_used(kstack);
    if left == 0 {
        log::error!("a kernel stack was used to its last word: it may have overflowed");
    } else if left < LEAST_LEFT.fetch_min(left, Ordering::Relaxed) {
        log::info!("greatest kernel stack depth so far: {left} bytes left");
    }
    frame::free(kstack, KSTACK_ORDER)
}

/// Where a process's saved registers live on its kernel stack.
pub fn frame_of(kstack: PhysAddr) -> *mut TrapFrame {
    (phys_to_virt(kstack).0 + (PAGE_SIZE << KSTACK_ORDER) - FRAME_SIZE as u64) as *mut TrapFrame
}

/// Writes argc/argv/envp/auxv and the strings below `top`; returns sp.
pub(super) fn build_stack(
    space: &mut AddressSpace,
    elf: &Elf<'_>,
    top: u64,
    argv: &[&str],
    envp: &[&str],
    execfn: &str,
) -> Option<u64> {
    let mut at = top;
    let mut push_str = |s: &str| -> Option<u64> {
        at -= s.len() as u64 + 1;
        space.copy_out(VirtAddr(at), s.as_bytes()).ok()?;
        space.copy_out(VirtAddr(at + s.len() as u64), &[0]).ok()?;
        Some(at)
    };
    let execfn_at = push_str(execfn)?;
    let mut env_at = Vec::new();
    for e in envp.iter().rev() {
        env_at.push(push_str(e)?);
    }
    env_at.reverse();
    let mut arg_at = Vec::new();
    for a in argv.iter().rev() {
        arg_at.push(push_str(a)?);
    }
    arg_at.reverse();
    // AT_RANDOM: 16 bytes. Fixed, so runs are reproducible (a later stage may take a seed
    // from bootargs); glibc uses them for the stack protector and pointer guard.
    at = (at - 16) & !15;
    let random_at = at;
    let random: [u8; 16] = core::array::from_fn(|i| (i as u8).wrapping_mul(0x9d) ^ 0x5a);
    space.copy_out(VirtAddr(random_at), &random).ok()?;

    let phdr = elf.phdr_vaddr().unwrap_or(0);
    let auxv: [(u64, u64); 17] = [
        (16, HWCAP),                   // AT_HWCAP
        (6, PAGE_SIZE),                // AT_PAGESZ
        (17, super::USER_HZ),          // AT_CLKTCK
        (3, phdr),                     // AT_PHDR
        (4, super::elf::PHENT as u64), // AT_PHENT
        (5, elf.phnum as u64),         // AT_PHNUM
        (7, 0),                        // AT_BASE
        (8, 0),                        // AT_FLAGS
        (9, elf.entry),                // AT_ENTRY
        (11, 0),                       // AT_UID
        (12, 0),                       // AT_EUID
        (13, 0),                       // AT_GID
        (14, 0),                       // AT_EGID
        (23, 0),                       // AT_SECURE
        (25, random_at),               // AT_RANDOM
        (31, execfn_at),               // AT_EXECFN
        (0, 0),                        // AT_NULL
    ];
    let mut words: Vec<u64> = Vec::new();
    words.push(argv.len() as u64);
    words.extend(&arg_at);
    words.push(0);
    words.extend(&env_at);
    words.push(0);
    for (k, v) in auxv {
        words.push(k);
        words.push(v);
    }
    let sp = (at - words.len() as u64 * 8) & !15;
    let bytes: Vec<u8> = words.iter().flat_map(|w| w.to_le_bytes()).collect();
    space.copy_out(VirtAddr(sp), &bytes).ok()?;
    Some(sp)
}
