//! Segmented processes (docs/KERNEL.md, "Segmented processes"): the kernel command-line
//! word `segments` starts init segmented (satp Bare in U-mode, its segments granted by PMP
//! entries that the M-layer programs at each entry). A static-pie TAP program
//! (programs/musl/static_pie.c) must print the same segmented on rvmmu (Sv48 and Sv39
//! kernels), segmented on qemu-system-riscv64 virt (16 PMP entries), paged, and under
//! qemu-riscv64; an ET_EXEC program is refused with the reason in the log; forbidden
//! accesses (NULL, text write, data fetch, kernel, device) end in SIGSEGV on QEMU virt too.

use rvmmu::machine::{Exit, MachineConfig};
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

/// Runs `name` as init on rvmmu with these words; returns how it ended, the console log
/// (kernel lines included) and the program's output alone.
fn on_rvmmu(name: &str, paging: &str, words: &str) -> (Exit, String, String) {
    let (initrd, init) = initramfs(name);
    let kernel = rvmmu::kernel::embedded().expect("rvmmu was built with its kernel");
    let cfg = MachineConfig {
        mem_size: MEM,
        bootargs: format!("paging={paging} init={init} {words}"),
        initrd: Some(initrd),
        max_insns: Some(2_000_000_000),
        ..MachineConfig::capture(Vec::new())
    };
    rvmmu_tests::kernel::run_kernel_split(cfg, kernel)
}

#[test]
fn a_static_pie_prints_the_same_segmented_paged_on_qemu_virt_and_on_linux() {
    let name = "musl/static_pie";
    let linux = tap_on_qemu_user(name, &[]);
    let (exit, _, paged) = on_rvmmu(name, "sv48", "quiet");
    assert_eq!(exit, Exit::Pass, "paged\n{paged}");
    assert!(paged.starts_with("ok 1 "), "{paged}");
    assert!(!paged.contains("not ok"), "{paged}");
    for paging in ["sv48", "sv39"] {
        let (exit, log, out) = on_rvmmu(name, paging, "segments loglevel=info");
        assert_eq!(exit, Exit::Pass, "{paging}\n{log}");
        assert!(log.contains("static_pie: segmented: entry 0x"), "{log}");
        assert!(log.contains("pmp: 16 entries"), "{log}");
        assert_eq!(out, paged, "{paging}: segmented (left), paged (right)");
        if let Some(linux) = &linux {
            assert_eq!(&out, linux, "{paging}: segmented (left), qemu-riscv64");
        }
    }
    // The same on QEMU's virt machine, where the M-layer finds 16 PMP entries too.
    let (initrd, init) = initramfs(name);
    let b = Boot {
        initrd: Some(initrd),
        ..Boot::new(
            MEM,
            &format!("paging=sv48 init={init} segments loglevel=info"),
        )
    };
    if let Some((code, console)) = boot_qemu(&b) {
        assert_eq!(code, Some(0), "QEMU\n{console}");
        assert!(console.contains("pmp: 16 entries"), "{console}");
        assert!(
            console.contains("static_pie: segmented: entry 0x"),
            "{console}"
        );
        let out = rvmmu_tests::kernel::program_output(&console);
        assert_eq!(out, paged, "QEMU segmented (left), rvmmu paged (right)");
    }
}

#[test]
fn a_program_that_is_not_a_static_pie_is_refused_with_its_reason() {
    // musl_basics is linked at a fixed address (ET_EXEC).
    let (exit, log, out) = on_rvmmu("musl/musl_basics", "sv48", "segments");
    assert_ne!(exit, Exit::Pass, "{log}");
    assert!(
        log.contains(
            "exec: /bin/musl_basics: not a static-pie (ET_EXEC): segments need \
             position-independent code"
        ),
        "{log}"
    );
    assert!(out.is_empty(), "{out}");
}

#[test]
fn forbidden_accesses_of_segmented_processes_are_sigsegv_on_qemu_virt_too() {
    // The shell (paged) runs seg_faults segmented through segrun for each forbidden access;
    // on QEMU's PMP each must end in SIGSEGV (status 139) and the kernel go on.
    let modes = [
        "null-write",
        "text-write",
        "exec-data",
        "kernel-read",
        "device-read",
    ];
    let mut s = String::new();
    for mode in modes {
        s.push_str(&format!(
            "segrun seg_faults {mode}; echo segmented {mode} $?; "
        ));
    }
    s.push_str("echo the kernel is still here");
    let args = ["-c".to_string(), s];
    let bootargs =
        rvmmu::cli::kernel_cmdline("sv48", "/bin/sh", false, &[], &args).expect("a command line");
    let b = Boot {
        initrd: Some(rvmmu::initramfs::pack(&rvmmu::guest_bin::initramfs_files()).unwrap()),
        ..Boot::new(MEM, &bootargs)
    };
    let Some((code, console)) = boot_qemu(&b) else {
        return;
    };
    assert_eq!(code, Some(0), "QEMU\n{console}");
    for mode in modes {
        assert!(
            console.contains(&format!("segmented {mode} 139\n")),
            "{mode}: not killed by SIGSEGV on QEMU\n{console}"
        );
    }
    // Each run was segmented (the exec's log line).
    assert_eq!(
        console.matches("seg_faults: segmented: entry 0x").count(),
        modes.len(),
        "{console}"
    );
    assert!(console.contains("the kernel is still here\n"), "{console}");
}

/// Writes `value` at byte `off` of program header `i` of `elf`.
fn set_phdr_field(elf: &mut [u8], i: usize, off: usize, value: &[u8]) {
    let phoff = u64::from_le_bytes(elf[0x20..0x28].try_into().unwrap()) as usize;
    let at = phoff + i * 56 + off;
    elf[at..at + value.len()].copy_from_slice(value);
}

#[test]
fn bad_static_pies_are_refused_segmented_not_a_panic() {
    let pie = std::fs::read(rvmmu_tests::linux_program("musl/static_pie").unwrap()).unwrap();
    let phnum = u16::from_le_bytes([pie[56], pie[57]]) as usize;
    let phoff = u64::from_le_bytes(pie[0x20..0x28].try_into().unwrap()) as usize;
    let ptype = |i: usize| u32::from_le_bytes(pie[phoff + i * 56..][..4].try_into().unwrap());
    let pflags = |i: usize| u32::from_le_bytes(pie[phoff + i * 56 + 4..][..4].try_into().unwrap());
    let loads: Vec<usize> = (0..phnum).filter(|&i| ptype(i) == 1).collect();
    let last_load = *loads.last().unwrap();
    let first_load = loads[0];
    assert_eq!(pflags(last_load) & 2, 2, "the last PT_LOAD is writable");
    // A memory size of 2^50 bytes.
    let mut huge = pie.clone();
    set_phdr_field(&mut huge, last_load, 40, &(1u64 << 50).to_le_bytes());
    // The last (writable) load moved to the top of the address space.
    let mut top = pie.clone();
    set_phdr_field(
        &mut top,
        last_load,
        16,
        &0xffff_ffff_f000_0000u64.to_le_bytes(),
    );
    // The first (read-only) load made writable: writable below read-only code.
    let mut interleaved = pie.clone();
    set_phdr_field(&mut interleaved, first_load, 4, &6u32.to_le_bytes());
    let cases: [(&str, Vec<u8>, &str); 3] = [
        ("a span of 2^50 bytes", huge, "PT_LOAD segments too large"),
        ("a load at the top", top, "PT_LOAD segments too large"),
        (
            "writable below read-only",
            interleaved,
            "read-only and writable PT_LOADs interleave: no text/data split",
        ),
    ];
    for (what, init, why) in cases {
        let b = Boot {
            initrd: Some(rvmmu_tests::kernel::initramfs_with_init(&init)),
            ..Boot::new(MEM, "segments")
        };
        let (exit, console) = rvmmu_tests::kernel::boot_rvmmu(&b);
        assert_eq!(exit, Exit::Fail(127), "{what}\n{console}");
        assert!(
            console.contains(&format!("exec: /init: {why}")),
            "{what}\n{console}"
        );
        assert!(!console.contains("panic"), "{what}\n{console}");
    }
}
