//! Building the kernel (`os/`) and booting it, on rvmmu through the library API and on
//! `qemu-system-riscv64 -machine virt -bios none -kernel`.
//!
//! The kernel is the one built into rvmmu (`emu/build.rs` builds `os/` with its own
//! manifest and target directory, `target/os`).

use rvmmu::machine::{Exit, Machine, MachineConfig};
use rvmmu::mmu::walk::AdMode;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

/// The repository's root.
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("tests/ has a parent")
        .to_path_buf()
}

/// The kernel built into rvmmu (`emu/build.rs` builds `os/`), as a file QEMU can boot.
pub fn kernel_elf() -> &'static Path {
    static ELF: OnceLock<PathBuf> = OnceLock::new();
    ELF.get_or_init(|| {
        let image = rvmmu::kernel::embedded()
            .expect("rvmmu was built without its kernel (RVMMU_NO_KERNEL is set?)");
        let dir = repo_root().join("target").join("os");
        std::fs::create_dir_all(&dir).expect("create target/os");
        // One file per test process: test binaries run at the same time.
        let path = dir.join(format!("embedded-kernel-{}.elf", std::process::id()));
        std::fs::write(&path, image).expect("write the kernel ELF");
        path
    })
}

/// One boot's settings.
#[derive(Clone, Debug)]
pub struct Boot {
    pub mem: u64,
    pub bootargs: String,
    pub ad: AdMode,
    pub initrd: Option<Vec<u8>>,
}

impl Boot {
    /// `mem` bytes of RAM, these bootargs, hardware A/D, no initrd.
    pub fn new(mem: u64, bootargs: &str) -> Boot {
        Boot {
            mem,
            bootargs: bootargs.to_string(),
            ad: AdMode::Hardware,
            initrd: None,
        }
    }
}

/// Boots the kernel on rvmmu; returns how the run ended and the console log
/// ([`run_kernel`]).
pub fn boot_rvmmu(b: &Boot) -> (Exit, String) {
    let elf = std::fs::read(kernel_elf()).expect("read the kernel ELF");
    let cfg = MachineConfig {
        mem_size: b.mem,
        bootargs: b.bootargs.clone(),
        ad: b.ad,
        initrd: b.initrd.clone(),
        max_insns: Some(500_000_000),
        ..MachineConfig::capture(Vec::new())
    };
    run_kernel(cfg, &elf)
}

/// Runs a machine made from `cfg` (whose console log is captured, as
/// [`MachineConfig::capture`] makes it) with the kernel ELF `kernel` loaded; returns how
/// the run ended and the console log: what the guest wrote to the console with the
/// kernel's log lines in order, as a serial console would have shown them (on rvmmu the
/// kernel's lines come through its event channel, not the UART).
pub fn run_kernel(cfg: MachineConfig, kernel: &[u8]) -> (Exit, String) {
    let (exit, log, _) = run_kernel_split(cfg, kernel);
    (exit, log)
}

/// [`run_kernel`], also returning the console output alone (the UART's bytes: program
/// output, no kernel line).
pub fn run_kernel_split(cfg: MachineConfig, kernel: &[u8]) -> (Exit, String, String) {
    let mut m = Machine::new(cfg).expect("a machine");
    m.load_elf(kernel).expect("load the kernel");
    let exit = m.run();
    let log = String::from_utf8_lossy(&m.console_log()).into_owned();
    let out = String::from_utf8_lossy(&m.console_output()).into_owned();
    (exit, log, out)
}

/// Frames the kernel image spans, from the ELF's PT_LOAD program headers (physical
/// addresses, page-rounded): what the kernel reports as "kernel image".
pub fn image_frames(elf: &[u8]) -> u64 {
    let u16_at = |o: usize| u16::from_le_bytes(elf[o..o + 2].try_into().unwrap()) as usize;
    let u32_at = |o: usize| u32::from_le_bytes(elf[o..o + 4].try_into().unwrap());
    let u64_at = |o: usize| u64::from_le_bytes(elf[o..o + 8].try_into().unwrap());
    assert_eq!(&elf[..4], b"\x7fELF", "an ELF file");
    let (phoff, phentsize, phnum) = (u64_at(0x20) as usize, u16_at(0x36), u16_at(0x38));
    let (mut lo, mut hi) = (u64::MAX, 0);
    for i in 0..phnum {
        let ph = phoff + i * phentsize;
        if u32_at(ph) == 1 {
            let (paddr, memsz) = (u64_at(ph + 0x18), u64_at(ph + 0x28));
            lo = lo.min(paddr);
            hi = hi.max(paddr + memsz);
        }
    }
    (hi.next_multiple_of(4096) - (lo & !4095)) / 4096
}

/// The text after `key` on the first console line that contains it, up to the line's end.
pub fn log_value<'a>(console: &'a str, key: &str) -> Option<&'a str> {
    console.lines().find_map(|l| {
        l.split_once(key)
            .map(|(_, rest)| rest.trim_end_matches('\r'))
    })
}

/// How long a QEMU boot may take.
pub const QEMU_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(30);

/// Boots the kernel on `qemu-system-riscv64 -machine virt -bios none` with the same RAM,
/// bootargs (`-append`) and initrd (`-initrd`); returns QEMU's exit code (the finisher's
/// status) and its console with `\r\n` as `\n`. `None` (and a skip line) when QEMU is not
/// installed; a panic instead under CI ([`crate::require_qemu_system`]).
pub fn boot_qemu(b: &Boot) -> Option<(Option<i32>, String)> {
    use std::sync::atomic::{AtomicU32, Ordering};
    static N: AtomicU32 = AtomicU32::new(0);
    let qemu = crate::require_qemu_system("booting the kernel on QEMU virt")?;
    let elf = kernel_elf().to_str().expect("UTF-8 path").to_string();
    let mem = format!("{}M", b.mem >> 20);
    let mut args = vec!["-m", &mem, "-kernel", &elf, "-append", &b.bootargs];
    let dir = repo_root().join("target").join("os").join(format!(
        "qemu-{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    ));
    std::fs::create_dir_all(&dir).expect("create a scratch directory");
    let initrd_path = dir.join("initrd");
    if let Some(data) = &b.initrd {
        std::fs::write(&initrd_path, data).expect("write the initrd");
        args.extend(["-initrd", initrd_path.to_str().expect("UTF-8 path")]);
    }
    let run = crate::qemu::run_with(&qemu, &args, QEMU_TIMEOUT).expect("spawn QEMU");
    let _ = std::fs::remove_dir_all(&dir);
    let code = run.status.and_then(|s| s.code());
    Some((code, run.console.replace("\r\n", "\n")))
}

/// The bytes of the built program `programs/kernel/NAME.c` (built by `build.rs`).
pub fn program(name: &str) -> Vec<u8> {
    let path = crate::linux_program(&format!("kernel/{name}"))
        .unwrap_or_else(|| panic!("no program kernel/{name} was built"));
    std::fs::read(path).expect("read the built program")
}

/// An initramfs whose `/init` is `program`.
pub fn initramfs_with_init(program: &[u8]) -> Vec<u8> {
    rvmmu::initramfs::pack(&[rvmmu::initramfs::File {
        path: "/init".into(),
        data: program.to_vec(),
        mode: 0o755,
    }])
    .expect("a valid initramfs")
}

/// The lines of `console` that are not the kernel's log (`LEVEL module: ...`): what the
/// user program wrote.
pub fn program_output(console: &str) -> String {
    console
        .lines()
        .filter(|l| {
            !["ERROR ", "WARN  ", "INFO  ", "DEBUG ", "TRACE "]
                .iter()
                .any(|p| l.starts_with(p))
        })
        .map(|l| format!("{l}\n"))
        .collect()
}
