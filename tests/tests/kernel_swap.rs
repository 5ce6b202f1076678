//! The kernel's virtio block devices and swap areas on `qemu-system-riscv64 -machine virt`,
//! over both virtio-mmio transports (QEMU 7.2's default legacy one, Version 1, and the
//! modern one, Version 2, which rvmmu offers): the disks found at boot, the swap area
//! enabled on the disk with a swap header (Linux's "Adding ...k swap" line), the
//! `swap_selftest` round trip through the disk, and `programs/kernel/swaps.c` checking
//! /dev/vdX, /proc/swaps, meminfo's SwapTotal and SwapFree, swapon and swapoff.
//!
//! Without QEMU on PATH the tests print a skip line, unless `CI` is set: then they fail.

use rvmmu_tests::kernel::{initramfs_with_init, kernel_elf, program, program_output, repo_root};
use std::path::{Path, PathBuf};

/// QEMU, or `None` (and a skip line) when it is missing outside CI.
fn qemu() -> Option<PathBuf> {
    rvmmu_tests::require_qemu_system("the swap tests on QEMU virt")
}

/// A scratch directory for one test's disk images.
fn scratch(name: &str) -> PathBuf {
    let dir = repo_root()
        .join("target")
        .join("os")
        .join(format!("swap-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("create a scratch directory");
    dir
}

/// A 16 MiB disk image with mkswap's header: 4095 usable pages.
fn swap_image(path: &Path) {
    let mut disk = vec![0u8; 16 << 20];
    let header = mm_core::swap_map::make_header(4095, &[], *b"rvmmu-swap-test!");
    disk[..4096].copy_from_slice(&header);
    std::fs::write(path, disk).expect("write the swap image");
}

/// Boots the kernel on QEMU virt with `-m 128M`, these bootargs, `initrd` and the disk
/// images `disks` (in `-device` order: QEMU gives the first the highest slot); `modern`
/// asks for the Version 2 transport. Returns QEMU's exit code and the console.
fn boot(
    qemu: &Path,
    dir: &Path,
    bootargs: &str,
    initrd: Option<Vec<u8>>,
    disks: &[&Path],
    modern: bool,
) -> (Option<i32>, String) {
    let elf = kernel_elf().to_str().expect("UTF-8 path").to_string();
    let mut args: Vec<String> = ["-m", "128M", "-kernel", &elf, "-append", bootargs]
        .map(String::from)
        .to_vec();
    if let Some(data) = initrd {
        let path = dir.join("initrd");
        std::fs::write(&path, data).expect("write the initrd");
        args.extend(["-initrd".into(), path.to_str().expect("UTF-8 path").into()]);
    }
    for (i, disk) in disks.iter().enumerate() {
        args.extend([
            "-drive".into(),
            format!(
                "file={},format=raw,if=none,id=d{i}",
                disk.to_str().expect("UTF-8 path")
            ),
            "-device".into(),
            format!("virtio-blk-device,drive=d{i}"),
        ]);
    }
    if modern {
        args.extend(["-global".into(), "virtio-mmio.force-legacy=false".into()]);
    }
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let run = rvmmu_tests::qemu::run_with(
        &qemu.to_path_buf(),
        &args,
        rvmmu_tests::kernel::QEMU_TIMEOUT,
    )
    .expect("spawn QEMU");
    (
        run.status.and_then(|s| s.code()),
        run.console.replace("\r\n", "\n"),
    )
}

#[test]
fn swap_areas_on_both_virtio_mmio_transports() {
    let Some(qemu) = qemu() else { return };
    for (modern, version) in [(false, 1), (true, 2)] {
        let dir = scratch(&format!("v{version}"));
        let (plain, swap) = (dir.join("plain.img"), dir.join("swap.img"));
        std::fs::write(&plain, vec![0u8; 1 << 20]).unwrap();
        swap_image(&swap);
        let initrd = initramfs_with_init(&program("swaps"));
        // The plain disk first: QEMU puts it in slot 7 (0x1000_8000), the swap disk in slot
        // 6, so in slot order the swap disk is vda.
        let (code, console) = boot(
            &qemu,
            &dir,
            "swap_selftest",
            Some(initrd),
            &[&plain, &swap],
            modern,
        );
        let want = [
            format!(
                "INFO  virtio-blk: vda at 0x10007000 (irq 7, virtio-mmio v{version}), 32768 sectors (16 MiB)\n"
            ),
            format!(
                "INFO  virtio-blk: vdb at 0x10008000 (irq 8, virtio-mmio v{version}), 2048 sectors (1 MiB)\n"
            ),
            "INFO  mm::swapfile: Adding 16380k swap on /dev/vda.  Priority:-2 extents:1 across:16380k \n"
                .to_string(),
            "INFO  mm::swapfile: swap self-test: slot 4095 of /dev/vda written and read back: ok\n"
                .to_string(),
        ];
        let mut at = 0;
        for line in &want {
            let found = console[at..].find(line.as_str());
            assert!(
                found.is_some(),
                "v{version}: no {line:?} (in order) in\n{console}"
            );
            at += found.unwrap() + line.len();
        }
        // The one error: swapon of the plain disk, logged as Linux logs it.
        let errors: Vec<&str> = console.lines().filter(|l| l.starts_with("ERROR")).collect();
        assert_eq!(
            errors,
            ["ERROR mm::swapfile: Unable to find swap-space signature"],
            "v{version}:\n{console}"
        );
        let out = program_output(&console);
        assert!(!out.contains("not ok"), "v{version}:\n{out}");
        assert!(out.ends_with("1..27\n"), "v{version}:\n{out}");
        assert_eq!(code, Some(0), "v{version}:\n{console}");
        // The self-test's page is on the disk (the slot was freed, not cleared), the
        // header is intact.
        let disk = std::fs::read(&swap).unwrap();
        assert_eq!(
            disk[..4096],
            mm_core::swap_map::make_header(4095, &[], *b"rvmmu-swap-test!")
        );
        assert!(
            disk[4095 * 4096..].iter().any(|&b| b != 0),
            "v{version}: slot 4095 not written"
        );
        assert!(
            disk[4096..4095 * 4096].iter().all(|&b| b == 0),
            "v{version}: other slots written"
        );
        let _ = std::fs::remove_dir_all(&dir);
    }
}

#[test]
fn without_a_swap_disk_there_is_no_swap() {
    let Some(qemu) = qemu() else { return };
    let dir = scratch("none");
    let plain = dir.join("plain.img");
    std::fs::write(&plain, vec![0u8; 1 << 20]).unwrap();
    for disks in [&[][..], &[plain.as_path()][..]] {
        let (code, console) = boot(&qemu, &dir, "swap_selftest", None, disks, true);
        assert_eq!(code, Some(0), "{console}");
        assert!(!console.contains("Adding"), "{console}");
        assert!(
            console.contains("swap self-test: no swap area with a free last slot\n"),
            "{console}"
        );
        assert_eq!(
            console.contains("virtio-blk: vda at 0x10008000"),
            !disks.is_empty(),
            "{console}"
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// util-linux's mkswap, or `None` (and a skip line) when it is missing outside CI.
fn mkswap() -> Option<PathBuf> {
    rvmmu_tests::require_mkswap("formatting the swap disk")
}

/// A sparse 256 MiB disk image formatted by `mkswap`, in a scratch directory named
/// `name`, and the initramfs running `pressure/PROGRAM` as init; `None` (skipped, or a
/// failure under CI) without QEMU or mkswap.
fn mkswap_disk_and(name: &str, program: &str) -> Option<(PathBuf, PathBuf, PathBuf, Vec<u8>)> {
    let qemu = qemu()?;
    let mkswap = mkswap()?;
    let dir = scratch(name);
    let swap = dir.join("swap.img");
    std::fs::File::create(&swap)
        .and_then(|f| f.set_len(256 << 20))
        .expect("a sparse disk image");
    let mut cmd = std::process::Command::new(mkswap);
    cmd.arg(&swap);
    let st = rvmmu_tests::process::run_with_timeout(cmd, None, std::time::Duration::from_secs(60))
        .expect("run mkswap");
    assert!(st.status.is_some_and(|s| s.success()), "mkswap: {st:?}");
    let prog = rvmmu_tests::linux_program(&format!("pressure/{program}"))
        .unwrap_or_else(|| panic!("{program} was built"));
    let initrd = initramfs_with_init(&std::fs::read(prog).unwrap());
    Some((qemu, dir, swap, initrd))
}

/// Checks a TAP program's run on QEMU: exit 0, every check ok, `plan` checks, no OOM kill.
fn assert_passed(what: &str, code: Option<i32>, console: &str, plan: usize) {
    let out = program_output(console);
    assert_eq!(code, Some(0), "{what}:\n{console}");
    assert!(!out.contains("not ok"), "{what}:\n{out}");
    assert!(out.ends_with(&format!("1..{plan}\n")), "{what}:\n{out}");
    assert!(!console.contains("Out of memory"), "{what}:\n{console}");
}

#[test]
fn no_data_is_lost_through_swap_on_qemu_with_a_mkswap_disk() {
    let Some((qemu, dir, swap, initrd)) = mkswap_disk_and("mkswap", "swap_check") else {
        return;
    };
    // Three processes of 48 MiB and a parent's 3 × 48 MiB, with 128 MiB of RAM (QEMU's
    // real-time tick interleaves them otherwise than rvmmu: the output is the same).
    for modern in [false, true] {
        let (code, console) = boot(
            &qemu,
            &dir,
            "quiet -- 3 48",
            Some(initrd.clone()),
            &[&swap],
            modern,
        );
        assert_passed(&format!("modern {modern}"), code, &console, 9);
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn swapoff_brings_pages_back_on_qemu_with_a_mkswap_disk() {
    let Some((qemu, dir, swap, initrd)) = mkswap_disk_and("swapoff", "swapoff") else {
        return;
    };
    // 48 MiB shared by a parent and its child, then 160 MiB more in 128 MiB of RAM.
    let (code, console) = boot(&qemu, &dir, "quiet -- 48 160", Some(initrd), &[&swap], true);
    assert_passed("swapoff", code, &console, 14);
    let _ = std::fs::remove_dir_all(&dir);
}
