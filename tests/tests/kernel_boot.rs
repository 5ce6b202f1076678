//! Boots the kernel (os/) on rvmmu, in Sv39 and Sv48 and under both A/D schemes, and on
//! `qemu-system-riscv64 -machine virt -bios none -kernel`, and checks what it reports about
//! the machine (RAM, bootargs, initrd, paging mode), that its frame accounting adds up, and
//! that both machines print the same boot log byte for byte. Without QEMU on PATH the QEMU
//! half prints a skip line.

use rvmmu::machine::Exit;
use rvmmu::mmu::walk::AdMode;
use rvmmu_tests::kernel::{self, boot_rvmmu, image_frames, kernel_elf, log_value, Boot};
use rvmmu_tests::qemu;
use std::time::Duration;

const MIB: u64 = 1 << 20;
const QEMU_TIMEOUT: Duration = Duration::from_secs(30);

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
    assert!(console.trim_end().ends_with("powering off"), "{console}");
    f
}

fn boot_ok(b: &Boot) -> String {
    let (exit, console) = boot_rvmmu(b);
    assert_eq!(exit, Exit::Pass, "{b:?}\n--- console ---\n{console}");
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

#[test]
fn rvmmu_boot_defaults_to_sv39_and_reserves_the_initrd() {
    let initrd: Vec<u8> = (0..20_000u32).map(|i| (i * 31) as u8).collect();
    let b = Boot {
        initrd: Some(initrd.clone()),
        ..Boot::new(128 * MIB, "")
    };
    let console = boot_ok(&b);
    check_report(&b, &console, "sv39");
    // QEMU's -initrd placement: kernel load address + min(RAM / 2, 128 MiB).
    let start = 0x8000_0000 + 64 * MIB;
    assert_eq!(
        log_value(&console, "initrd: "),
        Some(format!("PA:{start:#x}..PA:{:#x} ({} bytes)", start + 20_000, 20_000).as_str())
    );
}

#[test]
fn bad_bootargs_are_reported_and_ignored() {
    let b = Boot::new(64 * MIB, "paging=sv57 quiet loglevel=info");
    let console = boot_ok(&b);
    check_report(&b, &console, "sv39");
    let warned: Vec<&str> = console
        .lines()
        .filter_map(|l| l.split_once("bootargs: ignoring ").map(|(_, w)| w))
        .collect();
    assert_eq!(warned, ["\"paging=sv57\"", "\"quiet\""]);
}

/// Boots on QEMU with the same settings; `None` when QEMU is not installed.
fn boot_qemu(b: &Boot) -> Option<String> {
    let Some(qemu) = qemu::find_qemu() else {
        eprintln!("skip: qemu-system-riscv64 not on PATH; the kernel is not booted on QEMU");
        return None;
    };
    let elf = kernel_elf().to_str().expect("UTF-8 path").to_string();
    let mem = format!("{}M", b.mem / MIB);
    let mut args = vec!["-m", &mem, "-kernel", &elf, "-append", &b.bootargs];
    let dir = tempdir();
    let initrd_path = dir.join("initrd");
    if let Some(data) = &b.initrd {
        std::fs::write(&initrd_path, data).unwrap();
        args.extend(["-initrd", initrd_path.to_str().unwrap()]);
    }
    let run = qemu::run_with(&qemu, &args, QEMU_TIMEOUT).expect("spawn qemu-system-riscv64");
    let _ = std::fs::remove_dir_all(&dir);
    assert!(
        run.status.is_some_and(|s| s.success()),
        "QEMU run {b:?} ended {:?}\n--- console ---\n{}",
        run.status,
        run.console
    );
    Some(run.console)
}

/// A fresh directory for one test's files.
fn tempdir() -> std::path::PathBuf {
    use std::sync::atomic::{AtomicU32, Ordering};
    static N: AtomicU32 = AtomicU32::new(0);
    let d = kernel::repo_root().join("target").join("os").join(format!(
        "qemu-{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    ));
    std::fs::create_dir_all(&d).unwrap();
    d
}

#[test]
fn qemu_prints_the_same_boot_log() {
    let initrd: Vec<u8> = (0..9000u32).map(|i| i as u8).collect();
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
        let Some(on_qemu) = boot_qemu(&b) else {
            return;
        };
        let on_qemu = on_qemu.replace("\r\n", "\n");
        check_report(&b, &on_qemu, mode);
        let (_, on_rvmmu) = boot_rvmmu(&b);
        assert_eq!(
            on_rvmmu, on_qemu,
            "{b:?}: rvmmu (left) and QEMU (right) differ"
        );
    }
}
