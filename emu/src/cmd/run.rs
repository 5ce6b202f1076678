//! `rvmmu run PROGRAM [ARGS...]`: boots the kernel with PROGRAM as its first process, the
//! way `qemu-system-riscv64 -kernel K -initrd I -append A` would: PROGRAM is packed into an
//! initramfs (newc cpio) that the device tree describes, and the command line names it.
//!
//! How the run's end becomes rvmmu's exit status: the kernel powers the machine off through
//! the test finisher when its first process ends — 0x5555 for exit status 0, `0x3333 |
//! code << 16` otherwise, where code is the exit status, or `0x100 | signal` when a signal
//! killed it. rvmmu then exits as a shell reports a command: the status, or 128 + the signal
//! with the shell's word on stderr ("Segmentation fault", "Killed").

use super::machine::MachineArgs;
use clap::{Args, ValueEnum};
use rvmmu::initramfs;
use rvmmu::machine::Exit;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum PagingArg {
    /// Three levels, 256 GiB of user space.
    Sv39,
    /// Four levels, 128 TiB of user space (the split the notes describe).
    Sv48,
}

#[derive(Args)]
pub struct RunArgs {
    #[command(flatten)]
    pub machine: MachineArgs,
    /// The kernel ELF to boot (default: the kernel built into rvmmu).
    #[arg(long, value_name = "FILE")]
    pub kernel: Option<PathBuf>,
    /// The paging mode the kernel runs processes in.
    #[arg(long, value_enum, default_value = "sv48")]
    pub paging: PagingArg,
    /// Set a sysctl at boot, as Linux's `sysctl.NAME=VALUE` parameter (repeatable), e.g.
    /// `--sysctl vm.swappiness=10`.
    #[arg(long, value_name = "NAME=VALUE", value_parser = sysctl)]
    pub sysctl: Vec<String>,
    /// Also put a host file in the initramfs, at GUEST (default /bin/ and its name), with
    /// its host permission bits. Repeatable.
    #[arg(long, value_name = "HOST[:GUEST]")]
    pub file: Vec<String>,
    /// Show the kernel's boot log on the console (by default the kernel boots `quiet`: only
    /// its warnings and errors appear, so the console carries just the program's output).
    #[arg(long)]
    pub kernel_log: bool,
    /// More kernel command-line parameters (QEMU's -append), before the program's arguments.
    #[arg(long, value_name = "PARAMS")]
    pub append: Option<String>,
    /// Give the machine a swap disk of SIZE (K, M, G, T suffixes; 40K to 16T, whole 4K
    /// pages): a sparse temporary host file with a Linux swap header (as mkswap writes),
    /// deleted when rvmmu exits, as a virtio-blk disk in virtio-mmio slot 7.
    #[arg(long, value_name = "SIZE", value_parser = swap_size, conflicts_with = "swap_file")]
    pub swap: Option<u64>,
    /// Attach an existing host file (read-write, as it is; e.g. made by mkswap) as the
    /// virtio-blk disk instead.
    #[arg(long, value_name = "FILE")]
    pub swap_file: Option<PathBuf>,
    /// Do not run: write the kernel, the initramfs and (with --swap) a swap disk image into
    /// DIR, and print the qemu-system-riscv64 command that runs the same (the kernel boots
    /// on QEMU's virt machine too).
    #[arg(long, value_name = "DIR")]
    pub qemu_files: Option<PathBuf>,
    /// The program (a host path), run as /bin/ and its name.
    pub program: PathBuf,
    /// The program's arguments.
    #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
    pub args: Vec<String>,
}

fn swap_size(s: &str) -> Result<u64, String> {
    let size = rvmmu::cli::parse_size(s)?;
    rvmmu::disk::check_swap_size(size).map_err(|e| e.to_string())
}

/// The disk `--swap` or `--swap-file` asks for. A `--swap` file has no name on the host:
/// it goes when the process ends, however it ends.
fn swap_disk(a: &RunArgs) -> Result<Option<std::fs::File>, String> {
    let disk = match (a.swap, &a.swap_file) {
        (Some(size), _) => rvmmu::disk::create_swap(size),
        (None, Some(path)) => rvmmu::disk::open(path),
        (None, None) => return Ok(None),
    };
    disk.map(Some).map_err(|e| e.to_string())
}

fn sysctl(s: &str) -> Result<String, String> {
    let (name, value) = s
        .split_once('=')
        .ok_or_else(|| format!("'{s}' is not NAME=VALUE"))?;
    let name_ok = !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'_' || b == b'-' || b == b'/');
    if !name_ok || value.is_empty() || value.contains(char::is_whitespace) {
        return Err(format!(
            "'{s}' is not NAME=VALUE (a sysctl name and one word)"
        ));
    }
    Ok(format!("sysctl.{name}={value}"))
}

/// A word of the kernel command line: as is, or in double quotes when it has spaces (the
/// kernel's parser, like Linux's, takes a quoted word whole).
fn cmdline_word(w: &str) -> Result<String, String> {
    if w.contains('"') || w.contains(['\n', '\r', '\0']) {
        return Err(format!(
            "argument {w:?} cannot be passed on the kernel command line (it has a quote or a control character)"
        ));
    }
    if w.is_empty() || w.contains(char::is_whitespace) {
        Ok(format!("\"{w}\""))
    } else {
        Ok(w.to_string())
    }
}

/// A host file's name as a guest path under /bin.
fn guest_path(host: &Path) -> Result<String, String> {
    host.file_name()
        .and_then(|n| n.to_str())
        .map(|n| format!("/bin/{n}"))
        .ok_or_else(|| format!("{}: no usable file name", host.display()))
}

/// The kernel command line for a run of `init` with `args`.
pub fn bootargs(a: &RunArgs, init: &str) -> Result<String, String> {
    let mut words = vec![
        format!(
            "paging={}",
            match a.paging {
                PagingArg::Sv39 => "sv39",
                PagingArg::Sv48 => "sv48",
            }
        ),
        format!("init={}", cmdline_word(init)?),
    ];
    if !a.kernel_log {
        words.push("quiet".into());
    }
    words.extend(a.sysctl.iter().cloned());
    if let Some(more) = &a.append {
        words.push(more.clone());
    }
    if !a.args.is_empty() {
        words.push("--".into());
        for w in &a.args {
            words.push(cmdline_word(w)?);
        }
    }
    Ok(words.join(" "))
}

/// Shell words for the signals a shell names when they kill a command (bash's).
fn signal_word(sig: u64) -> Option<&'static str> {
    Some(match sig {
        1 => "Hangup",
        3 => "Quit",
        4 => "Illegal instruction",
        5 => "Trace/breakpoint trap",
        6 => "Aborted",
        7 => "Bus error",
        8 => "Floating point exception",
        9 => "Killed",
        11 => "Segmentation fault",
        14 => "Alarm clock",
        15 => "Terminated",
        _ => return None,
    })
}

/// The permission bits of a host file, which `--file` keeps in the initramfs (so a file
/// that is not executable on the host is not executable in the guest either).
fn host_mode(path: &Path) -> Result<u32, String> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path)
        .map(|m| m.permissions().mode() & 0o7777)
        .map_err(|e| format!("cannot read {}: {e}", path.display()))
}

pub fn run(a: RunArgs) -> Result<ExitCode, String> {
    a.machine.check()?;
    let disk = swap_disk(&a)?;
    let kernel = match &a.kernel {
        Some(k) => super::read_file(k)?,
        None => rvmmu::kernel::embedded()
            .ok_or("this rvmmu was built without its kernel: give one with --kernel FILE")?
            .to_vec(),
    };
    let init = guest_path(&a.program)?;
    let mut files = vec![initramfs::File {
        path: init.clone(),
        data: super::read_file(&a.program)?,
        mode: 0o755,
    }];
    for spec in &a.file {
        let (host, guest) = match spec.split_once(':') {
            Some((h, g)) => (PathBuf::from(h), g.to_string()),
            None => (PathBuf::from(spec), guest_path(Path::new(spec))?),
        };
        files.push(initramfs::File {
            path: guest,
            data: super::read_file(&host)?,
            mode: host_mode(&host)?,
        });
    }
    let initrd = initramfs::pack(&files).map_err(|e| e.to_string())?;
    if let Some(dir) = &a.qemu_files {
        return qemu_files(&a, dir, &kernel, &initrd, &init);
    }
    // On a terminal: raw mode until the run ends, and the guest's terminal echoes
    // (`tty_echo`, a word before any `--`).
    let raw = crate::term::RawMode::enter();
    let mut line = bootargs(&a, &init)?;
    if raw.is_some() {
        line = format!("tty_echo {line}");
    }
    let mut m = a.machine.machine(line, Some(initrd), disk)?;
    m.load_elf(&kernel).map_err(|e| {
        let k = a
            .kernel
            .as_deref()
            .unwrap_or(Path::new("the built-in kernel"));
        format!("{}: {e}", k.display())
    })?;
    let exit = a.machine.run(&mut m)?;
    let status = match exit {
        Exit::Pass => 0,
        Exit::Fail(code) if code & 0x100 != 0 => {
            let sig = code & 0x7f;
            if let Some(word) = signal_word(sig) {
                say!("{word}");
            }
            128 + sig as u8
        }
        Exit::Fail(code) => (code & 0xff) as u8,
        Exit::MaxInsns | Exit::Halted(_) => exit.status() as u8,
    };
    Ok(ExitCode::from(status))
}

/// `--qemu-files DIR`: the run's kernel, initramfs and swap disk as files, and the QEMU
/// command line that boots them (the console on stdio, `-bios none` as rvmmu boots).
fn qemu_files(
    a: &RunArgs,
    dir: &Path,
    kernel: &[u8],
    initrd: &[u8],
    init: &str,
) -> Result<ExitCode, String> {
    let write = |name: &str, data: &[u8]| {
        let path = dir.join(name);
        std::fs::write(&path, data).map_err(|e| format!("{}: {e}", path.display()))?;
        Ok::<_, String>(path)
    };
    std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let k = write("kernel.elf", kernel)?;
    let i = write("initrd.cpio", initrd)?;
    let mut cmd = format!(
        "qemu-system-riscv64 -machine virt -bios none -nographic -m {}M -kernel {} -initrd {} -append '{}'",
        a.machine.mem >> 20,
        k.display(),
        i.display(),
        bootargs(a, init)?
    );
    let disk = match (a.swap, &a.swap_file) {
        (Some(size), _) => {
            let path = dir.join("swap.img");
            let f = std::fs::File::create(&path).map_err(|e| format!("{}: {e}", path.display()))?;
            f.set_len(size)
                .map_err(|e| format!("{}: {e}", path.display()))?;
            use std::os::unix::fs::FileExt;
            f.write_all_at(&rvmmu::disk::swap_header(size), 0)
                .map_err(|e| format!("{}: {e}", path.display()))?;
            Some(path)
        }
        (None, Some(path)) => Some(path.clone()),
        (None, None) => None,
    };
    if let Some(d) = disk {
        cmd.push_str(&format!(
            " -drive file={},format=raw,if=none,id=swap -device virtio-blk-device,drive=swap",
            d.display()
        ));
    }
    println!("{cmd}");
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Parser)]
    struct Cli {
        #[command(flatten)]
        run: RunArgs,
    }

    fn parse(args: &[&str]) -> RunArgs {
        let mut all = vec!["rvmmu-run"];
        all.extend_from_slice(args);
        Cli::try_parse_from(all)
            .map(|c| c.run)
            .unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn the_command_line_names_init_then_sysctls_then_the_arguments() {
        let a = parse(&[
            "--paging",
            "sv39",
            "--sysctl",
            "vm.swappiness=10",
            "--append",
            "loglevel=7",
            "prog",
            "-x",
            "two words",
            "--mem",
        ]);
        assert_eq!(
            bootargs(&a, "/bin/prog").unwrap(),
            "paging=sv39 init=/bin/prog quiet sysctl.vm.swappiness=10 loglevel=7 -- -x \"two words\" --mem"
        );
        let plain = parse(&["prog"]);
        assert_eq!(
            bootargs(&plain, "/bin/prog").unwrap(),
            "paging=sv48 init=/bin/prog quiet"
        );
        let logged = parse(&["--kernel-log", "prog"]);
        assert_eq!(
            bootargs(&logged, "/bin/prog").unwrap(),
            "paging=sv48 init=/bin/prog"
        );
    }

    #[test]
    fn words_the_command_line_cannot_carry_are_refused() {
        let a = parse(&["prog", "say \"hi\""]);
        assert!(bootargs(&a, "/bin/prog").is_err());
        assert!(sysctl("vm.swappiness").is_err());
        assert!(sysctl("=3").is_err());
        assert!(sysctl("vm.x=1 2").is_err());
        assert_eq!(
            sysctl("vm.overcommit_memory=2").unwrap(),
            "sysctl.vm.overcommit_memory=2"
        );
    }
}
