//! Boots the kernel (os/) on rvmmu, in Sv39 and Sv48 and under both A/D schemes, and on
//! `qemu-system-riscv64 -machine virt -bios none -kernel`, and checks what it reports about
//! the machine (RAM, bootargs, initrd, paging mode), that its frame accounting adds up, and
//! that both machines print the same boot log byte for byte. Without QEMU on PATH the QEMU
//! half prints a skip line.

use rvmmu::machine::Exit;
use rvmmu::mmu::walk::AdMode;
use rvmmu_tests::kernel::{boot_qemu, boot_rvmmu, image_frames, kernel_elf, log_value, Boot};

const MIB: u64 = 1 << 20;

/// The numbers of the `frames:` census line and of the `boot done:` line.
#[derive(Debug)]
struct Frames {
    total: u64,
    image: u64,
    page_tables: u64,
    metadata: u64,
    initrd: u64,
    free: u64,
    free_after_boot: u64,
    slab: u64,
    blocks_by_order: Vec<u64>,
}

fn numbers(s: &str) -> Vec<u64> {
    s.split(|c: char| !c.is_ascii_digit())
        .filter(|w| !w.is_empty())
        .map(|w| w.parse().unwrap())
        .collect()
}

fn frames(console: &str) -> Frames {
    let census = log_value(console, "frames: ").expect("a frames: line");
    let c = numbers(census);
    assert_eq!(c.len(), 6, "{census}");
    let done = log_value(console, "boot done: ").expect("a boot done: line");
    let d = numbers(done);
    Frames {
        total: c[0],
        image: c[1],
        page_tables: c[2],
        metadata: c[3],
        initrd: c[4],
        free: c[5],
        free_after_boot: d[0],
        slab: d[1],
        blocks_by_order: d[2..].to_vec(),
    }
}

/// Everything the kernel reports that the test can know independently.
fn check_report(b: &Boot, console: &str, mode: &str) -> Frames {
    let mem = log_value(console, "memory: ").expect("a memory: line");
    assert_eq!(
        mem,
        format!(
            "PA:0x80000000..PA:{:#x} ({} MiB)",
            0x8000_0000 + b.mem,
            b.mem / MIB
        )
    );
    assert_eq!(
        log_value(console, "bootargs: "),
        Some(format!("\"{}\"", b.bootargs).as_str())
    );
    let paging = log_value(console, "paging: ").expect("a paging: line");
    assert!(paging.starts_with(&format!("{mode}, ")), "{paging}");
    let f = frames(console);
    assert_eq!(f.total, b.mem / 4096, "{f:?}");
    let elf = std::fs::read(kernel_elf()).unwrap();
    assert_eq!(f.image, image_frames(&elf), "{f:?}");
    let meta = (f.total as usize * std::mem::size_of::<mm_core::page::Page>()).div_ceil(4096);
    assert_eq!(f.metadata, meta as u64, "{f:?}");
    let initrd_frames = b
        .initrd
        .as_ref()
        .map_or(0, |d| d.len().div_ceil(4096) as u64);
    assert_eq!(f.initrd, initrd_frames, "{f:?}");
    assert_eq!(
        f.total,
        f.image + f.page_tables + f.metadata + f.initrd + f.free,
        "{f:?}"
    );
    // The heap's large objects went back; only the slab frames stay allocated.
    assert_eq!(f.free_after_boot + f.slab, f.free, "{f:?}");
    let by_order: u64 = f
        .blocks_by_order
        .iter()
        .enumerate()
        .map(|(o, n)| n << o)
        .sum();
    assert_eq!(by_order, f.free_after_boot, "buddy blocks by order: {f:?}");
    assert_eq!(f.blocks_by_order.len(), 11, "orders 0..=10");
    assert!(console.contains("heap: self-test ok"), "{console}");
    assert!(
        console.contains("timer: interrupt through the M-layer after the deadline"),
        "{console}"
    );
    f
}

/// Boots without an initrd: the kernel has nothing to run and powers off with status 0.
fn boot_ok(b: &Boot) -> String {
    let (exit, console) = boot_rvmmu(b);
    assert_eq!(exit, Exit::Pass, "{b:?}\n--- console ---\n{console}");
    assert!(
        console.trim_end().ends_with("nothing to run, powering off"),
        "{console}"
    );
    console
}

#[test]
fn rvmmu_boots_sv39_and_sv48_under_both_ad_schemes() {
    let mut tables = Vec::new();
    for mode in ["sv39", "sv48"] {
        for ad in [AdMode::Hardware, AdMode::Fault] {
            let b = Boot {
                ad,
                ..Boot::new(64 * MIB, &format!("paging={mode}"))
            };
            let console = boot_ok(&b);
            let f = check_report(&b, &console, mode);
            tables.push((mode, ad, f.page_tables, console));
        }
    }
    // The A/D scheme changes nothing the kernel sees (its PTEs have A and D set).
    assert_eq!(tables[0].3, tables[1].3);
    assert_eq!(tables[2].3, tables[3].3);
    // Everything the kernel maps lies in one 512 GiB region: Sv48 adds exactly one table.
    assert_eq!(
        tables[2].2,
        tables[0].2 + 1,
        "{:?}",
        (tables[0].2, tables[2].2)
    );
}

/// An initramfs without /init: 20 000 bytes in one data file.
fn initramfs_without_init() -> Vec<u8> {
    let data: Vec<u8> = (0..19_000u32).map(|i| (i * 31) as u8).collect();
    rvmmu::initramfs::pack(&[rvmmu::initramfs::File {
        path: "/data".into(),
        data,
        mode: 0o644,
    }])
    .unwrap()
}

#[test]
fn rvmmu_boot_defaults_to_sv39_and_reserves_the_initrd() {
    let initrd = initramfs_without_init();
    let len = initrd.len() as u64;
    let b = Boot {
        initrd: Some(initrd),
        ..Boot::new(128 * MIB, "")
    };
    let (exit, console) = boot_rvmmu(&b);
    assert_eq!(exit, Exit::Fail(127), "no init: status 127\n{console}");
    assert!(console.contains("initramfs: 1 entries"), "{console}");
    assert!(
        console.contains("no /init in the initramfs: nothing to run"),
        "{console}"
    );
    check_report(&b, &console, "sv39");
    // QEMU's -initrd placement: kernel load address + min(RAM / 2, 128 MiB).
    let start = 0x8000_0000 + 64 * MIB;
    assert_eq!(
        log_value(&console, "initrd: "),
        Some(format!("PA:{start:#x}..PA:{:#x} ({len} bytes)", start + len).as_str())
    );
}

#[test]
fn bad_bootargs_are_reported_and_ignored() {
    let b = Boot::new(64 * MIB, "paging=sv57 splash loglevel=info");
    let console = boot_ok(&b);
    check_report(&b, &console, "sv39");
    let warned: Vec<&str> = console
        .lines()
        .filter_map(|l| l.split_once("bootargs: ignoring ").map(|(_, w)| w))
        .collect();
    assert_eq!(warned, ["\"paging=sv57\"", "\"splash\""]);
}

/// Boots on QEMU with the same settings and checks its exit status (0 without an initrd,
/// 127 with an initramfs lacking /init); `None` when QEMU is not installed.
fn boot_qemu_checked(b: &Boot) -> Option<String> {
    let (code, console) = boot_qemu(b)?;
    let want = if b.initrd.is_some() { 127 } else { 0 };
    assert_eq!(
        code,
        Some(want),
        "QEMU run {b:?}\n--- console ---\n{console}"
    );
    Some(console)
}

#[test]
fn qemu_prints_the_same_boot_log() {
    let initrd = initramfs_without_init();
    let boots = [
        ("sv39", Boot::new(64 * MIB, "paging=sv39")),
        ("sv48", Boot::new(64 * MIB, "paging=sv48")),
        (
            "sv39",
            Boot {
                initrd: Some(initrd),
                ..Boot::new(128 * MIB, "loglevel=info")
            },
        ),
    ];
    for (mode, b) in boots {
        let Some(on_qemu) = boot_qemu_checked(&b) else {
            return;
        };
        check_report(&b, &on_qemu, mode);
        let (_, on_rvmmu) = boot_rvmmu(&b);
        assert_eq!(
            on_rvmmu, on_qemu,
            "{b:?}: rvmmu (left) and QEMU (right) differ"
        );
    }
}

#[test]
fn with_16_gib_the_metadata_goes_past_the_initrd_and_every_frame_is_counted() {
    // 4 Mi frames of metadata (160 MiB) do not fit between the image and the initrd (at
    // +128 MiB): the boot allocator skips the initrd and the skipped frames are freed.
    let b = Boot {
        initrd: Some(initramfs_without_init()),
        ..Boot::new(16 << 30, "paging=sv48")
    };
    let (exit, console) = boot_rvmmu(&b);
    assert_eq!(exit, Exit::Fail(127), "{console}");
    let f = check_report(&b, &console, "sv48");
    assert!(f.metadata * 4096 > 128 * MIB, "{f:?}");
    if let Some(on_qemu) = boot_qemu_checked(&b) {
        assert_eq!(console, on_qemu, "rvmmu (left) and QEMU (right) differ");
    }
}
