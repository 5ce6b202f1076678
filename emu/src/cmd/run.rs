//! `rvmmu run PROGRAM [ARGS...]`: boots the kernel with PROGRAM as its first process, the
//! way `qemu-system-riscv64 -kernel K -initrd I -append A` would: PROGRAM is packed into an
//! initramfs (newc cpio) that the device tree describes, and the command line names it.
//! Every initramfs also carries the built-in /bin (`rvmmu::guest_bin`: the tools, the shell,
//! the notes' programs), before the user's `--file` entries, which replace a built-in file of
//! the same path. PROGRAM is a host file if one exists, else a built-in /bin/PROGRAM; with
//! no PROGRAM the run starts /bin/sh, and `-c SCRIPT` runs `/bin/sh -c SCRIPT`.
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
    /// Run the program segmented instead of paged (the kernel command-line word `segments`):
    /// it runs in U-mode with satp = Bare, each of its segments (text, data + bss + heap,
    /// stack, each anonymous mmap) one contiguous physical range that PMP entries guard.
    /// Only static-pie executables can (the built-in seg_hello, seg_faults, memhog and
    /// seg_isolation are); `segrun PROG` does the same for one program inside a run.
    #[arg(long)]
    pub segments: bool,
    /// Set a sysctl at boot, as Linux's `sysctl.NAME=VALUE` parameter (repeatable), e.g.
    /// `--sysctl vm.swappiness=10`.
    #[arg(long, value_name = "NAME=VALUE", value_parser = sysctl)]
    pub sysctl: Vec<String>,
    /// Also put a host file in the initramfs, at GUEST (default /bin/ and its name), with
    /// its host permission bits. Repeatable.
    #[arg(long, value_name = "HOST[:GUEST]")]
    pub file: Vec<String>,
    /// Kernel messages go to stderr, never to the program's stdout: by default its
    /// warnings and errors, with --kernel-log every line. --kernel-log=FILE writes the whole
    /// console log instead (the program's console output with every kernel line, in order,
    /// as a serial console would have shown it) to FILE.
    #[arg(long, value_name = "FILE", num_args = 0..=1, require_equals = true,
          default_missing_value = "")]
    pub kernel_log: Option<String>,
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
    /// Print a process's page tables as the MMU sees them (physical addresses named F0,
    /// F1, ... and T0, ...; swap entries decoded) and its /proc/PID/maps as the kernel
    /// renders it, when EVENT happens: PID is a number or a program's name; EVENT is
    /// `getchar` (it reads the console and waits), `exit`, `syscall:NAME`, `fault:VA` or
    /// `insns:N`. Repeatable; each fires once. To stderr, or --dump-pt-out FILE.
    #[arg(long, value_name = "PID@EVENT", value_parser = super::dump::parse_point)]
    pub dump_pt: Vec<super::dump::DumpPoint>,
    /// Draw the run's memory timeline into FILE (SVG): free memory against the watermarks,
    /// kswapd and direct reclaim, swap-in/out rates, each process's RSS and the OOM kills,
    /// over virtual time.
    #[arg(long, value_name = "FILE.svg")]
    pub timeline: Option<PathBuf>,
    /// Run the shell script SCRIPT (`/bin/sh -c SCRIPT`) instead of a program.
    #[arg(short = 'c', value_name = "SCRIPT", conflicts_with = "program")]
    pub script: Option<String>,
    /// The program: a host file (run as /bin/ and its name), else the built-in /bin/PROGRAM
    /// (e.g. `malloc_1`, `ps`). Without one, the built-in shell /bin/sh runs.
    pub program: Option<PathBuf>,
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

/// A host file's name as a guest path under /bin.
fn guest_path(host: &Path) -> Result<String, String> {
    host.file_name()
        .and_then(|n| n.to_str())
        .map(|n| format!("/bin/{n}"))
        .ok_or_else(|| format!("{}: no usable file name", host.display()))
}

/// The kernel command line for a run of `init` with `a`'s arguments (after `-c SCRIPT`'s
/// `-c` and script when given). On rvmmu the kernel sends its log lines through the event
/// channel, so they never reach the console and it logs at its usual level whatever
/// `--kernel-log` says (a run is the same with and without it); for QEMU (`qemu`), where
/// they go to the console, it boots `quiet` unless `--kernel-log`.
pub fn bootargs(a: &RunArgs, init: &str, qemu: bool) -> Result<String, String> {
    let paging = match a.paging {
        PagingArg::Sv39 => "sv39",
        PagingArg::Sv48 => "sv48",
    };
    let mut extra: Vec<String> = Vec::new();
    if a.segments {
        extra.push("segments".into());
    }
    extra.extend(a.sysctl.iter().cloned());
    if let Some(more) = &a.append {
        extra.push(more.clone());
    }
    let mut args: Vec<String> = Vec::new();
    if let Some(script) = &a.script {
        args.extend(["-c".to_string(), script.clone()]);
    }
    args.extend(a.args.iter().cloned());
    rvmmu::cli::kernel_cmdline(paging, init, qemu && a.kernel_log.is_none(), &extra, &args)
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
    a.machine.check(!a.dump_pt.is_empty())?;
    let disk = swap_disk(&a)?;
    let kernel = match &a.kernel {
        Some(k) => super::read_file(k)?,
        None => rvmmu::kernel::embedded()
            .ok_or("this rvmmu was built without its kernel: give one with --kernel FILE")?
            .to_vec(),
    };
    let mut files = rvmmu::guest_bin::initramfs_files();
    let init = match init_program(&a, |p| p.is_file(), rvmmu::guest_bin::find)? {
        Init::Host(path) => {
            let init = guest_path(&path)?;
            replace_or_add(
                &mut files,
                initramfs::File {
                    path: init.clone(),
                    data: super::read_file(&path)?,
                    mode: 0o755,
                },
            );
            init
        }
        Init::BuiltIn(path) => path,
    };
    for spec in &a.file {
        let (host, guest) = match spec.split_once(':') {
            Some((h, g)) => (PathBuf::from(h), g.to_string()),
            None => (PathBuf::from(spec), guest_path(Path::new(spec))?),
        };
        replace_or_add(
            &mut files,
            initramfs::File {
                path: guest,
                data: super::read_file(&host)?,
                mode: host_mode(&host)?,
            },
        );
    }
    let initrd = initramfs::pack(&files).map_err(|e| e.to_string())?;
    if let Some(dir) = &a.qemu_files {
        return qemu_files(&a, dir, &kernel, &initrd, &init);
    }
    let log = match a.kernel_log.as_deref() {
        Some(path) if !path.is_empty() => {
            let f = super::create_file(Path::new(path))?;
            Some(rvmmu::bus::ConsoleLog::Writer(Box::new(f)))
        }
        _ => None,
    };
    // On a terminal: raw mode until the run ends, and the guest's terminal echoes
    // (`tty_echo`, a word before any `--`).
    let raw = crate::term::RawMode::enter();
    let mut line = bootargs(&a, &init, false)?;
    if raw.is_some() {
        line = format!("tty_echo {line}");
    }
    let mut m = a.machine.machine(line, Some(initrd), disk, log)?;
    // Kernel lines on stderr: warnings and errors, or all of them with a bare --kernel-log.
    let max = match a.kernel_log.as_deref() {
        Some("") => rvmmu::kevent::Level::Trace,
        _ => rvmmu::kevent::Level::Warn,
    };
    m.observers
        .insert(0, Box::new(rvmmu::kevent::observers::KernelStderr { max }));
    // The kernel's statistics, for --stats, --timeline and the progress line.
    use std::io::IsTerminal as _;
    let counted =
        a.machine.wants_stats() || a.timeline.is_some() || std::io::stderr().is_terminal();
    let stats = counted.then(|| {
        let (o, handle) = rvmmu::kevent::stats::StatsObserver::new();
        handle.borrow_mut().no_timeline = a.timeline.is_none();
        m.observers.push(Box::new(o));
        handle
    });
    // Created before the run, so that a path that cannot be written fails at once.
    let timeline = match &a.timeline {
        Some(p) => Some((super::create_file(p)?, p)),
        None => None,
    };
    m.load_elf(&kernel).map_err(|e| {
        let k = a
            .kernel
            .as_deref()
            .unwrap_or(Path::new("the built-in kernel"));
        format!("{}: {e}", k.display())
    })?;
    let watcher = rvmmu::snapshot::watch::Watcher::new(None);
    if !a.dump_pt.is_empty() {
        watcher.install(&mut m);
    }
    let exit = a
        .machine
        .run(&mut m, false, &a.dump_pt, Some(&watcher), stats.as_ref())?;
    if let (Some((mut f, path)), Some(stats)) = (timeline, &stats) {
        use std::io::Write as _;
        let s = stats.borrow();
        let svg = rvmmu::timeline::render(&s.report(), &s.timeline())?;
        f.write_all(svg.as_bytes())
            .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    }
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
        Exit::MaxInsns | Exit::Halted(_) | Exit::Stopped | Exit::Interrupted(_) => {
            exit.status() as u8
        }
    };
    Ok(ExitCode::from(status))
}

/// `rvmmu run [OPTIONS] PROGRAM ARGS...`: everything from PROGRAM on belongs to the
/// program, `-h` and words that look like rvmmu's options included (`rvmmu run free -h`).
/// clap lets a known flag win over a trailing argument, so the command line is given a
/// `--` before PROGRAM (found by skipping `run`'s options and their values, as `top`'s
/// `cmd` describes them). Other command lines come back as they are.
pub fn program_words_as_values(
    top: &clap::Command,
    mut argv: Vec<std::ffi::OsString>,
) -> Vec<std::ffi::OsString> {
    let Some(run_at) = argv.iter().position(|a| a == "run") else {
        return argv;
    };
    // `run` must be the subcommand word: the first word after the program's name.
    if run_at != 1 {
        return argv;
    }
    let Some(run) = top.find_subcommand("run") else {
        return argv;
    };
    // An option whose value must follow `=` (`--kernel-log[=FILE]`) never takes the next word.
    let takes_value = |a: &clap::Arg| a.get_action().takes_values() && !a.is_require_equals_set();
    let mut i = run_at + 1;
    while i < argv.len() {
        let Some(word) = argv[i].to_str() else {
            break;
        };
        if word == "--" {
            return argv;
        }
        if let Some(long) = word.strip_prefix("--") {
            if !long.contains('=')
                && run
                    .get_arguments()
                    .any(|a| a.get_long() == Some(long) && takes_value(a))
            {
                i += 1;
            }
        } else if let Some(shorts) = word.strip_prefix('-').filter(|s| !s.is_empty()) {
            // A cluster of short flags; one that takes a value takes the rest of the word,
            // or the next word when it ends the cluster.
            for (k, c) in shorts.char_indices() {
                if run
                    .get_arguments()
                    .any(|a| a.get_short() == Some(c) && takes_value(a))
                {
                    if k + c.len_utf8() == shorts.len() {
                        i += 1;
                    }
                    break;
                }
            }
        } else {
            argv.insert(i, "--".into());
            return argv;
        }
        i += 1;
    }
    argv
}

/// What a run starts.
#[derive(Debug, PartialEq, Eq)]
enum Init {
    /// A host file, packed at /bin/ and its name.
    Host(PathBuf),
    /// A built-in program, by its guest path.
    BuiltIn(String),
}

/// The first process of the run `a` asks for: the host file PROGRAM when `is_file` says it
/// exists or PROGRAM is a path (has a slash), else the built-in /bin/PROGRAM (`builtin`
/// looks names up), or /bin/sh with no PROGRAM; a bare name that is neither is one error
/// line.
fn init_program(
    a: &RunArgs,
    is_file: impl Fn(&Path) -> bool,
    builtin: impl Fn(&str) -> Option<&'static [u8]>,
) -> Result<Init, String> {
    let Some(program) = &a.program else {
        return if builtin("sh").is_some() {
            Ok(Init::BuiltIn("/bin/sh".into()))
        } else {
            Err("this rvmmu has no built-in /bin/sh: give a program to run".into())
        };
    };
    let name = program.to_str().unwrap_or("");
    // A path (with a slash) is always a host file: reading it says what is wrong.
    if is_file(program) || name.contains('/') {
        return Ok(Init::Host(program.clone()));
    }
    if !name.is_empty() && builtin(name).is_some() {
        return Ok(Init::BuiltIn(format!("/bin/{name}")));
    }
    let names: Vec<&str> = rvmmu::guest_bin::programs()
        .iter()
        .map(|&(n, _)| n)
        .collect();
    Err(format!(
        "{}: no such host file, and no built-in program of that name (built in: {})",
        program.display(),
        if names.is_empty() {
            "none".to_string()
        } else {
            names.join(" ")
        }
    ))
}

/// Adds `f` to `files`, in place of a file of the same path (a user's `--file` replaces a
/// built-in one).
fn replace_or_add(files: &mut Vec<initramfs::File>, f: initramfs::File) {
    match files.iter_mut().find(|g| g.path == f.path) {
        Some(g) => *g = f,
        None => files.push(f),
    }
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
        bootargs(a, init, true)?
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
            bootargs(&a, "/bin/prog", true).unwrap(),
            "paging=sv39 init=/bin/prog quiet sysctl.vm.swappiness=10 loglevel=7 -- -x \"two words\" --mem"
        );
        let plain = parse(&["prog"]);
        assert_eq!(
            bootargs(&plain, "/bin/prog", true).unwrap(),
            "paging=sv48 init=/bin/prog quiet"
        );
        assert_eq!(
            bootargs(&plain, "/bin/prog", false).unwrap(),
            "paging=sv48 init=/bin/prog",
            "on rvmmu the log goes through the event channel"
        );
        let logged = parse(&["--kernel-log", "prog"]);
        assert_eq!(logged.kernel_log.as_deref(), Some(""));
        assert_eq!(
            bootargs(&logged, "/bin/prog", true).unwrap(),
            "paging=sv48 init=/bin/prog"
        );
        let to_file = parse(&["--kernel-log=k.log", "prog"]);
        assert_eq!(to_file.kernel_log.as_deref(), Some("k.log"));
        assert_eq!(to_file.program, Some(PathBuf::from("prog")));
    }

    #[test]
    fn words_after_the_program_are_the_programs() {
        use clap::CommandFactory;
        #[derive(Parser)]
        enum Top {
            Run(RunArgs),
        }
        let words = |line: &str| -> Vec<String> {
            let argv = line.split(' ').map(Into::into).collect();
            program_words_as_values(&Top::command(), argv)
                .into_iter()
                .map(|w| w.into_string().unwrap())
                .collect()
        };
        assert_eq!(
            words("rvmmu run --mem 64M -c x --stats free -h"),
            "rvmmu run --mem 64M -c x --stats -- free -h"
                .split(' ')
                .collect::<Vec<_>>()
        );
        assert_eq!(
            words("rvmmu run --paging=sv39 ps -o pid"),
            ["rvmmu", "run", "--paging=sv39", "--", "ps", "-o", "pid"]
        );
        assert_eq!(
            words("rvmmu run -- free -h"),
            ["rvmmu", "run", "--", "free", "-h"]
        );
        assert_eq!(words("rvmmu run -h"), ["rvmmu", "run", "-h"]);
        assert_eq!(
            words("rvmmu run --kernel-log --mem 16M prog 1"),
            "rvmmu run --kernel-log --mem 16M -- prog 1"
                .split(' ')
                .collect::<Vec<_>>()
        );
        assert_eq!(
            words("rvmmu run --kernel-log=k.log prog"),
            ["rvmmu", "run", "--kernel-log=k.log", "--", "prog"]
        );
        assert_eq!(words("rvmmu bare x -h"), ["rvmmu", "bare", "x", "-h"]);
    }

    #[test]
    fn segments_is_a_kernel_command_line_word_before_the_arguments() {
        let a = parse(&[
            "--segments",
            "--sysctl",
            "vm.segment_best_fit=1",
            "seg_hello",
            "one",
        ]);
        assert!(a.segments);
        assert_eq!(
            bootargs(&a, "/bin/seg_hello", false).unwrap(),
            "paging=sv48 init=/bin/seg_hello segments sysctl.vm.segment_best_fit=1 -- one"
        );
        assert!(!parse(&["seg_hello"]).segments);
    }

    #[test]
    fn a_script_runs_as_sh_dash_c() {
        let a = parse(&["-c", "malloc_1 & cat /proc/$!/maps; fg"]);
        assert!(a.program.is_none());
        assert_eq!(
            bootargs(&a, "/bin/sh", true).unwrap(),
            "paging=sv48 init=/bin/sh quiet -- -c \"malloc_1 & cat /proc/$!/maps; fg\""
        );
    }

    fn has_sh_and_ps(name: &str) -> Option<&'static [u8]> {
        ["sh", "ps"]
            .contains(&name)
            .then_some(b"\x7fELF".as_slice())
    }

    #[test]
    fn the_program_is_a_host_file_else_a_built_in_one_else_an_error() {
        let none = parse(&[]);
        assert_eq!(
            init_program(&none, |_| false, has_sh_and_ps),
            Ok(Init::BuiltIn("/bin/sh".into()))
        );
        assert!(init_program(&none, |_| false, |_| None)
            .unwrap_err()
            .contains("no built-in /bin/sh"));
        let ps = parse(&["ps", "aux"]);
        assert_eq!(
            init_program(&ps, |_| false, has_sh_and_ps),
            Ok(Init::BuiltIn("/bin/ps".into()))
        );
        assert_eq!(
            init_program(&ps, |p| p == Path::new("ps"), has_sh_and_ps),
            Ok(Init::Host("ps".into()))
        );
        let missing = parse(&["nothing"]);
        let e = init_program(&missing, |_| false, has_sh_and_ps).unwrap_err();
        assert!(e.starts_with("nothing: no such host file"), "{e}");
        assert!(!e.contains('\n'));
        // A path is a host file, whether or not it exists (reading it reports the error).
        let path = parse(&["dir/ps"]);
        assert_eq!(
            init_program(&path, |_| false, has_sh_and_ps),
            Ok(Init::Host("dir/ps".into()))
        );
    }

    #[test]
    fn a_file_of_the_same_path_replaces_the_built_in_one() {
        let file = |path: &str, data: &[u8]| initramfs::File {
            path: path.into(),
            data: data.to_vec(),
            mode: 0o755,
        };
        let mut files = vec![file("/bin/ps", b"old"), file("/bin/cat", b"cat")];
        replace_or_add(&mut files, file("/bin/ps", b"new"));
        replace_or_add(&mut files, file("/bin/mine", b"mine"));
        let paths: Vec<(&str, &[u8])> = files
            .iter()
            .map(|f| (f.path.as_str(), f.data.as_slice()))
            .collect();
        assert_eq!(
            paths,
            [
                ("/bin/ps", b"new".as_slice()),
                ("/bin/cat", b"cat"),
                ("/bin/mine", b"mine")
            ]
        );
    }

    #[test]
    fn words_the_command_line_cannot_carry_are_refused() {
        let a = parse(&["prog", "say \"hi\""]);
        assert!(bootargs(&a, "/bin/prog", false).is_err());
        assert!(sysctl("vm.swappiness").is_err());
        assert!(sysctl("=3").is_err());
        assert!(sysctl("vm.x=1 2").is_err());
        assert_eq!(
            sysctl("vm.overcommit_memory=2").unwrap(),
            "sysctl.vm.overcommit_memory=2"
        );
    }
}
