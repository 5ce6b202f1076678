//! rvmmu-os: the small Linux-like kernel that runs on rvmmu and on QEMU virt
//! (docs/KERNEL.md).
//!
//! Boot: the M-layer (`arch::mlayer`) at 0x8000_0000 in M-mode, `mret` to S-mode
//! (`arch::boot`), Sv39 boot table and a jump to the high half, then [`kmain`]: device tree,
//! console, the kernel page table in the mode bootargs chose, frame metadata and the buddy
//! allocator, the heap, the trap vector and the timer, the virtio disks and the swap areas
//! on them.

#![no_std]
#![no_main]
#![deny(unsafe_code)]

extern crate alloc;

mod arch;
mod cmdline;
mod console;
mod drivers;
mod dtb;
mod errno;
mod fs;
mod kevent;
mod mm;
mod proc;
mod ratelimit;
mod syscall;
mod sysctl;
mod time;
mod trap;

use alloc::string::String;
use alloc::vec::Vec;
use log::{error, info};
use mm_core::PhysAddr;

/// Finisher status of a kernel panic (the M-layer's own fatal status is 0xfe).
pub const PANIC_STATUS: u16 = 0xfd;

/// The S-mode kernel's entry, running in the high half on the boot stack.
#[allow(unsafe_code)]
#[no_mangle]
pub extern "C" fn kmain(hartid: u64, dtb_pa: u64) -> ! {
    console::init(log::LevelFilter::Info);
    // The device tree first: its bootargs may say `quiet` before the first line is logged.
    let boot = match dtb::read(PhysAddr(dtb_pa)) {
        Ok(b) => b,
        Err(e) => panic!("cannot read the device tree at {:#x}: {e}", dtb_pa),
    };
    // rvmmu's event channel, if the tree lists it: from here on log lines go there.
    kevent::init(boot.kevent.filter(|pa| pa.0 == mm::layout::KEVENT_PA));
    let args = cmdline::parse(boot.bootargs());
    log::set_max_level(args.log_level);
    info!(
        "rvmmu-os {} booting on hart {hartid}",
        env!("CARGO_PKG_VERSION")
    );
    let (ram_start, ram_end) = boot.ram;
    info!(
        "memory: {}..{} ({} MiB)",
        ram_start,
        ram_end,
        (ram_end.0 - ram_start.0) >> 20
    );
    info!("bootargs: \"{}\"", boot.bootargs());
    for bad in args.unknown() {
        log::warn!("bootargs: ignoring \"{bad}\"");
    }
    match boot.initrd {
        Some((s, e)) => info!("initrd: {s}..{e} ({} bytes)", e.0 - s.0),
        None => info!("initrd: none"),
    }
    info!("timebase: {} Hz", boot.timebase);

    let image = mm::layout::image();
    let mut bump = mm::frame::Bump::new(image.end, ram_end, boot.initrd);
    let space = match mm::kpt::build_and_switch(args.paging, boot.ram, &mut bump) {
        Ok(s) => s,
        Err(e) => panic!("cannot build the kernel page table: {e:?}"),
    };
    info!(
        "paging: {}, root table {} (satp {:#x}), kernel at VA:{:#x}, direct map at PAGE_OFFSET VA:{:#x}",
        space.mode.name,
        space.root,
        arch::csr::read_satp(),
        mm::layout::phys_to_virt(image.start).0,
        mm::layout::PAGE_OFFSET
    );
    let initrd = mm::frame::relocate_initrd(&mut bump, boot.ram, boot.initrd);
    let Some(census) = mm::frame::init(boot.ram, initrd, &mut bump) else {
        panic!("no room for the frame metadata");
    };
    info!("frames: {census}");
    info!(
        "frame metadata: {} bytes per frame, {} frames",
        mm_core::page::PAGE_META_SIZE,
        census.metadata
    );

    sysctl::init(
        mm::frame::managed_frames() as u64,
        mm::frame::free_frames() as u64,
    );
    sysctl::apply_bootargs(args.sysctls());
    trap::init();
    heap_self_test();
    time::init(boot.timebase);
    timer_self_test(boot.timebase);
    drivers::virtio_blk::probe(boot.virtio());
    mm::swapfile::swapon_all();
    if args.swap_selftest {
        mm::swapfile::self_test();
    }
    if args.segmem_selftest {
        mm::segmem::self_test();
    }

    info!(
        "boot done: {} free frames, {} slab frames, buddy blocks by order {:?}",
        mm::frame::free_frames(),
        mm::heap::slab_frames(),
        mm::frame::free_blocks()
    );
    let Some(range) = initrd else {
        info!("no initramfs: nothing to run, powering off");
        arch::sbi::shutdown(0)
    };
    run_init(space, fs::initrd_bytes(range), &args)
}

/// Finisher status when init cannot be found or started (a shell's "command not found").
const NO_INIT_STATUS: u16 = 127;

/// Starts init from the initramfs; does not return (init's exit powers the machine off).
fn run_init(space: mm::kpt::KernelSpace, archive: &'static [u8], args: &cmdline::Args<'_>) -> ! {
    fs::files::set_root(archive);
    fs::proc::set_dump_on_read(args.dump_proc);
    fs::tty::set_echo(args.tty_echo);
    mm::rmap::set_check_rmap(args.check_rmap);
    let files = fs::cpio::entries(archive).count();
    info!("initramfs: {files} entries");
    let Some(entry) = fs::cpio::find(archive, args.init) else {
        error!("no {} in the initramfs: nothing to run", args.init);
        arch::sbi::shutdown(NO_INIT_STATUS)
    };
    let name = proc::intern(args.init.rsplit('/').next().unwrap_or(args.init));
    let init_args: Vec<String> = args.init_args().collect();
    let mut argv: Vec<&str> = Vec::from([args.init]);
    argv.extend(init_args.iter().map(String::as_str));
    let envp = ["HOME=/", "TERM=linux"];
    info!("starting {} ({} bytes)", args.init, entry.data.len());
    let asid = proc::init_asids();
    // The faults of setting init's stack up are init's.
    kevent::starting(proc::INIT);
    let exe = proc::intern(argv[0]);
    let prog = proc::exec::Program {
        name,
        image: entry.data,
        path: args.init,
    };
    let persona = if args.segments {
        proc::seg::PER_SEGMENTS
    } else {
        0
    };
    match proc::exec::load_for(persona, space, asid, prog, &argv, &envp) {
        Ok(loaded) => proc::start_init(loaded, name, exe, persona),
        Err(e) => {
            error!("cannot start {}: {e}", args.init);
            arch::sbi::shutdown(NO_INIT_STATUS)
        }
    }
}

/// Allocates through every slab class and the buddy path, checks the contents, frees.
fn heap_self_test() {
    let before = mm::frame::free_frames();
    let mut boxes: Vec<Vec<u64>> = Vec::new();
    for words in [1usize, 3, 8, 30, 100, 250, 1000, 3000] {
        let v: Vec<u64> = (0..words as u64).map(|i| i * 7 + words as u64).collect();
        boxes.push(v);
    }
    let ok = boxes.iter().all(|v| {
        let n = v.len() as u64;
        v.iter().enumerate().all(|(i, &x)| x == i as u64 * 7 + n)
    });
    let big_frames = before - mm::frame::free_frames() - mm::heap::slab_frames();
    drop(boxes);
    if !ok {
        panic!("heap self-test: contents corrupted");
    }
    info!(
        "heap: self-test ok ({} slab frames; {} frames of large objects returned to the buddy allocator)",
        mm::heap::slab_frames(),
        big_frames
    );
}

/// Asks the M-layer for a timer interrupt 10 ms ahead and waits for it.
fn timer_self_test(timebase: u64) {
    let deadline = arch::csr::read_time() + timebase / 100;
    arch::csr::set_sie(arch::csr::SIE_STIE);
    arch::sbi::set_timer(deadline);
    arch::csr::set_sstatus(arch::csr::SSTATUS_SIE);
    while trap::ticks() == 0 {
        arch::csr::wfi();
    }
    arch::csr::clear_sstatus(arch::csr::SSTATUS_SIE);
    let late = arch::csr::read_time() >= deadline;
    info!(
        "timer: interrupt through the M-layer {} the deadline",
        if late { "after" } else { "BEFORE" }
    );
}

#[panic_handler]
fn panic(info: &core::panic::PanicInfo<'_>) -> ! {
    console::print_emergency(format_args!("kernel panic: {info}\n"));
    error!("halting");
    arch::sbi::shutdown(PANIC_STATUS)
}
