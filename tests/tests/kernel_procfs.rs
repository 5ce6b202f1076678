//! /proc's memory files, /proc/sys/vm set from the command line, directory listings and a
//! static-pie program, run on the kernel as `rvmmu run` runs a program (at /bin/NAME,
//! `init=/bin/NAME quiet`), on rvmmu (Sv48 and Sv39) and on QEMU virt, and compared with
//! qemu-riscv64. The programs are TAP tests (programs/tests/procfs_mem.c,
//! programs/musl/static_pie.c); where qemu-riscv64 shows the host's /proc they check only
//! formats there and say `# SKIP on qemu-user` for the values.

use rvmmu::machine::{Exit, MachineConfig};
use rvmmu::mmu::walk::AdMode;
use rvmmu_tests::kernel::{boot_qemu, Boot};
use rvmmu_tests::linux::tap_on_qemu_user;

const MEM: u64 = 128 << 20;

/// An initramfs with the built program `dir/name` at /bin/NAME, and that path.
fn initramfs(name: &str) -> (Vec<u8>, String) {
    let path = rvmmu_tests::linux_program(name).unwrap_or_else(|| panic!("no program {name}"));
    let init = format!("/bin/{}", name.rsplit('/').next().unwrap());
    let archive = rvmmu::initramfs::pack(&[rvmmu::initramfs::File {
        path: init.clone(),
        data: std::fs::read(path).unwrap(),
        mode: 0o755,
    }])
    .unwrap();
    (archive, init)
}

/// The bootargs for a run of `init` with `more` words and init's `args`.
fn bootargs(paging: &str, init: &str, more: &str, args: &str) -> String {
    let mut s = format!("paging={paging} init={init} quiet {more}");
    if !args.is_empty() {
        s = format!("{s} -- {args}");
    }
    s
}

/// Runs `name` on rvmmu; returns how it ended and the console.
fn on_rvmmu(name: &str, paging: &str, more: &str, args: &str) -> (Exit, String) {
    on_rvmmu_ad(name, paging, AdMode::Hardware, more, args)
}

/// [`on_rvmmu`] with the A/D scheme `ad`.
fn on_rvmmu_ad(name: &str, paging: &str, ad: AdMode, more: &str, args: &str) -> (Exit, String) {
    let (initrd, init) = initramfs(name);
    let kernel = rvmmu::kernel::embedded().expect("rvmmu was built with its kernel");
    let cfg = MachineConfig {
        mem_size: MEM,
        bootargs: bootargs(paging, &init, more, args),
        initrd: Some(initrd),
        ad,
        max_insns: Some(2_000_000_000),
        ..MachineConfig::capture(Vec::new())
    };
    rvmmu_tests::kernel::run_kernel(cfg, kernel)
}

/// Runs a TAP program on rvmmu in both modes (and Sv39 also with A/D faults), on QEMU
/// virt, and under qemu-riscv64; all must print the same lines and pass.
fn tap_everywhere(name: &str, args: &str) -> String {
    let linux = tap_on_qemu_user(name, &args.split_whitespace().collect::<Vec<_>>());
    let mut first = None;
    for (paging, ad) in [
        ("sv48", AdMode::Hardware),
        ("sv39", AdMode::Hardware),
        ("sv39", AdMode::Fault),
    ] {
        let (exit, console) = on_rvmmu_ad(name, paging, ad, "", args);
        assert_eq!(exit, Exit::Pass, "{name} {paging}\n{console}");
        assert!(!console.contains("not ok"), "{name} {paging}\n{console}");
        assert!(console.starts_with("ok 1 "), "{name} {paging}\n{console}");
        if let Some(linux) = &linux {
            assert_eq!(
                &console, linux,
                "{name} {paging}: rvmmu (left), qemu-riscv64"
            );
        }
        if paging == "sv48" {
            // The same console on QEMU virt.
            let (initrd, init) = initramfs(name);
            let b = Boot {
                initrd: Some(initrd),
                ..Boot::new(MEM, &bootargs(paging, &init, "", args))
            };
            if let Some((code, on_qemu)) = boot_qemu(&b) {
                assert_eq!(code, Some(0), "QEMU\n{on_qemu}");
                assert_eq!(console, on_qemu, "{name}: rvmmu (left) and QEMU (right)");
            }
        }
        first.get_or_insert(console);
    }
    first.unwrap()
}

#[test]
fn proc_meminfo_vmstat_stat_and_directories_as_on_linux() {
    tap_everywhere("tests/procfs_mem", "");
}

#[test]
fn a_static_pie_runs_as_on_linux() {
    tap_everywhere("musl/static_pie", "");
}

#[test]
fn sysctl_words_on_the_command_line_set_proc_sys_vm() {
    let (exit, console) = on_rvmmu("tests/procfs_mem", "sv48", "sysctl.vm.swappiness=10", "10");
    assert_eq!(exit, Exit::Pass, "{console}");
    assert!(
        console.lines().any(|l| l.starts_with("ok ")
            && l.ends_with(" - swappiness is 60, or what the command line said")),
        "{console}"
    );
    assert!(!console.contains("WARN"), "{console}");
    // Out of range, not a number, unknown: a warning each, the default kept.
    let (exit, console) = on_rvmmu(
        "tests/procfs_mem",
        "sv48",
        "sysctl.vm.swappiness=201 sysctl.vm.page-cluster=x sysctl.vm.nope=1",
        "60",
    );
    assert_eq!(exit, Exit::Pass, "{console}");
    for warning in [
        "sysctl: vm.swappiness=201 refused (201 is out of range 0..=200): keeping 60",
        "sysctl: vm.page-cluster=x refused (\"x\" is not a number): keeping 3",
        "sysctl: no such parameter vm.nope (only vm.* exist): ignored",
    ] {
        assert!(console.contains(warning), "{warning}\n{console}");
    }
    assert!(!console.contains("not ok"), "{console}");
}

#[test]
fn sysctl_words_do_not_reach_init() {
    // musl_basics checks that argv is exactly its two arguments.
    let (exit, console) = on_rvmmu(
        "musl/musl_basics",
        "sv48",
        "sysctl.vm.swappiness=10 sysctl.vm.overcommit_memory=1",
        "one \"two words\"",
    );
    assert_eq!(exit, Exit::Pass, "{console}");
    assert!(console.contains("ok 1 - argv is as given"), "{console}");
}

#[test]
fn a_static_pie_is_placed_right_below_mmap_base() {
    // Linux 6.1 maps an ET_DYN without interpreter like mmap(NULL): top-down below
    // mmap_base, the top of the user half less 128 MiB.
    for (paging, user_end) in [("sv39", 1u64 << 38), ("sv48", 1 << 47)] {
        let (exit, console) = on_rvmmu("musl/static_pie", paging, "loglevel=info", "");
        assert_eq!(exit, Exit::Pass, "{console}");
        let entry = rvmmu_tests::kernel::log_value(&console, "static_pie: entry 0x")
            .and_then(|v| u64::from_str_radix(v.split(',').next()?, 16).ok())
            .unwrap_or_else(|| panic!("no entry in the log\n{console}"));
        let mmap_base = user_end - (128 << 20);
        assert!(
            entry < mmap_base && entry > mmap_base - (1 << 20),
            "{paging}: entry {entry:#x}\n{console}"
        );
    }
}

/// `elf` with program header `i`'s u32 type or u64 field at `off` replaced.
fn patch_phdr(elf: &mut [u8], i: usize, off: usize, value: &[u8]) {
    let phoff = u64::from_le_bytes(elf[0x20..0x28].try_into().unwrap()) as usize;
    let at = phoff + i * 56 + off;
    elf[at..at + value.len()].copy_from_slice(value);
}

#[test]
fn bad_position_independent_programs_are_refused_not_a_panic() {
    let pie = std::fs::read(rvmmu_tests::linux_program("musl/static_pie").unwrap()).unwrap();
    let phnum = u16::from_le_bytes([pie[56], pie[57]]) as usize;
    let phoff = u64::from_le_bytes(pie[0x20..0x28].try_into().unwrap()) as usize;
    let ptype = |i: usize| u32::from_le_bytes(pie[phoff + i * 56..][..4].try_into().unwrap());
    let last_load = (0..phnum).rev().find(|&i| ptype(i) == 1).unwrap();
    let stack = (0..phnum).find(|&i| ptype(i) == 0x6474_e551).unwrap();
    let mut interp = pie.clone();
    patch_phdr(&mut interp, stack, 0, &3u32.to_le_bytes());
    let mut relocatable = pie.clone();
    relocatable[16] = 1;
    let mut huge = pie.clone();
    patch_phdr(&mut huge, last_load, 40, &(1u64 << 50).to_le_bytes());
    let mut top = pie.clone();
    patch_phdr(
        &mut top,
        last_load,
        16,
        &0xffff_ffff_f000_0000u64.to_le_bytes(),
    );
    let cases: [(&str, Vec<u8>, &str); 4] = [
        (
            "a PT_INTERP",
            interp,
            "bad executable: Unsupported(\"dynamically linked (PT_INTERP)\")",
        ),
        (
            "ET_REL",
            relocatable,
            "bad executable: Unsupported(\"not ET_EXEC or ET_DYN\")",
        ),
        ("a span larger than the user half", huge, "bad address 0x"),
        (
            "a segment at the top of the address space",
            top,
            "bad address 0x",
        ),
    ];
    for (what, init, why) in cases {
        let b = Boot {
            initrd: Some(rvmmu_tests::kernel::initramfs_with_init(&init)),
            ..Boot::new(MEM, "")
        };
        let (exit, console) = rvmmu_tests::kernel::boot_rvmmu(&b);
        assert_eq!(exit, Exit::Fail(127), "{what}\n{console}");
        assert!(
            console.contains(&format!("cannot start /init: {why}")),
            "{what}\n{console}"
        );
        assert!(!console.contains("panic"), "{what}\n{console}");
    }
}
