//! Runs that reach the guest: how each way of ending maps to the exit status, the UART
//! console on stdout and stdin, and the reproducibility of `--stats`.

use crate::{bare, guest, run, Output};

#[track_caller]
fn assert_exit(out: &Output, code: i32) {
    assert_eq!(out.code, Some(code), "exit status: {out:#?}");
}

#[test]
fn pass_via_tohost() {
    let g = guest!("tohost.S", "-DTOHOST_VALUE=1");
    let out = bare(&["--max-insns", "1000", g.path()]);
    assert_exit(&out, 0);
    assert_eq!((out.stdout.as_str(), out.stderr.as_str()), ("", ""));
}

#[test]
fn fail_via_tohost() {
    let g = guest!("tohost.S", "-DTOHOST_VALUE=((5<<1)|1)");
    assert_exit(&bare(&["--max-insns", "1000", g.path()]), 5);
}

#[test]
fn pass_via_finisher() {
    let g = guest!("finisher.S", "-DFINISHER_VALUE=0x5555");
    let out = bare(&["--max-insns", "1000", g.path()]);
    assert_exit(&out, 0);
    assert_eq!((out.stdout.as_str(), out.stderr.as_str()), ("", ""));
}

#[test]
fn fail_via_finisher() {
    let g = guest!("finisher.S", "-DFINISHER_VALUE=(0x3333|(7<<16))");
    assert_exit(&bare(&["--max-insns", "1000", g.path()]), 7);
}

#[test]
fn misaligned_option() {
    let g = guest!("misaligned.S");
    assert_exit(&bare(&["--max-insns", "1000", g.path()]), 0);
    let perform = ["--misaligned", "perform", "--max-insns", "1000", g.path()];
    assert_exit(&bare(&perform), 0);
    let trap = ["--misaligned", "trap", "--max-insns", "1000", g.path()];
    assert_exit(&bare(&trap), 6);
}

#[test]
fn instruction_limit() {
    let g = guest!("loop.S");
    let out = bare(&["--max-insns", "1000", "--stats", g.path()]);
    assert_exit(&out, 124);
    assert_eq!(out.stdout, "");
    // The limit counts the boot ROM's instructions too.
    assert_eq!(
        out.stat("instructions retired"),
        "rvmmu: instructions retired: 1000"
    );
}

#[test]
fn wfi_deadlock() {
    let g = guest!("wfi.S");
    let out = bare(&["--max-insns", "100000", g.path()]);
    assert_exit(&out, 3);
    assert_eq!(out.stdout, "");
    let lines = out.stderr_lines();
    assert_eq!(lines.len(), 1, "{out:#?}");
    assert!(
        lines[0].starts_with("rvmmu: ") && lines[0].contains("WFI"),
        "{out:#?}"
    );
}

#[test]
fn trace_write_error_halts() {
    let g = guest!("loop.S");
    let out = bare(&[
        "--max-insns",
        "100000",
        "--trace",
        "insns",
        "--trace-out",
        "/dev/full",
        g.path(),
    ]);
    assert_exit(&out, 3);
    assert_eq!(out.stderr_lines().len(), 1, "{out:#?}");
    assert!(out.stderr.contains("cannot write the trace"), "{out:#?}");
}

/// `rvmmu bare --trace insns x.elf 2>&1 | head`: once the reader of stderr is gone, the
/// trace write fails, the machine halts, and `eprintln!` of the "machine halted" line panics
/// on the closed stderr (exit status 101; the panic message itself is lost).
#[test]
fn trace_to_closed_stderr() {
    use std::process::{Command, Stdio};
    let g = guest!("loop.S");
    let mut child = Command::new(crate::RVMMU)
        .args([
            "bare",
            "--max-insns",
            "1000000",
            "--trace",
            "insns",
            g.path(),
        ])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut err = child.stderr.take().unwrap();
    let mut first = [0u8; 64];
    std::io::Read::read_exact(&mut err, &mut first).unwrap();
    drop(err);
    let status = child.wait().unwrap();
    assert_ne!(status.code(), Some(101), "panicked");
}

#[test]
fn uart_output() {
    let g = guest!("hello.S");
    let out = bare(&["--max-insns", "10000", g.path()]);
    assert_exit(&out, 0);
    assert_eq!(out.stdout, "hello\n");
    assert_eq!(out.stderr, "");
}

/// At end of input the receiver stays empty and the guest's poll of LSR.DR spins; the run
/// ends at the instruction limit instead of blocking on the host, whether stdin is /dev/null
/// or a pipe that closes at once.
#[test]
fn uart_input_at_eof() {
    let g = guest!("echo.S");
    for stdin in [None, Some(&b""[..])] {
        let out = run(&["bare", "--max-insns", "200000", g.path()], stdin);
        assert_exit(&out, 124);
        assert_eq!(out.stdout, "", "{stdin:?}");
    }
}

/// stdin should feed the UART's receiver. `main.rs` builds the machine with
/// `MachineConfig::default()`, whose console input is `ConsoleInput::None`, so the guest
/// never receives a byte: it spins until the limit (124) and echoes nothing.
#[test]
fn uart_echoes_stdin() {
    let g = guest!("echo.S");
    let out = run(&["bare", "--max-insns", "200000", g.path()], Some(b"abc\n"));
    assert_exit(&out, 0);
    assert_eq!(out.stdout, "abc\n");
    // Input ending without a newline: echoed, then the poll spins at EOF.
    let out = run(&["bare", "--max-insns", "200000", g.path()], Some(b"ab"));
    assert_exit(&out, 124);
    assert_eq!(out.stdout, "ab");
}

/// Input through interrupts: UART receive → PLIC source 10 → MEIP → the hart wakes from WFI.
/// A WFI with nothing else to wait for takes one byte from the host, so each byte is one
/// interrupt: "hi\n" is three wake-ups, on every run (input timing never leaks in).
#[test]
fn uart_receive_interrupts_wake_wfi() {
    let g = guest!("uart_irq.S");
    let out = run(
        &["bare", "--max-insns", "1000000", "--stats", g.path()],
        Some(b"hi\n"),
    );
    assert_exit(&out, 0);
    assert!(out.stdout.starts_with("hi\n"), "{out:#?}");
    assert_eq!(out.stdout, "hi\n3", "three bytes, three wake-ups");
    assert_eq!(out.stat("traps"), "rvmmu: traps: machine-external 3");
    // At end of input with nothing else to wake it, the hart deadlocks in WFI: status 3.
    let out = run(&["bare", "--max-insns", "1000000", g.path()], Some(b"h"));
    assert_exit(&out, 3);
    assert_eq!(out.stdout, "h");
}

/// `--tlb` reaches the machine: the geometry is reported by `--stats`.
#[test]
fn tlb_geometry_is_reported() {
    let g = guest!("tohost.S", "-DTOHOST_VALUE=1");
    for (arg, shown) in [("64x4", "64x4"), ("32", "32xfull"), ("256x1", "256x1")] {
        let out = run(&["bare", "--stats", "--tlb", arg, g.path()], None);
        assert_exit(&out, 0);
        assert_eq!(
            out.stat("tlb geometry"),
            format!("rvmmu: tlb geometry {shown}")
        );
    }
}

#[test]
fn stats_are_deterministic() {
    let g = guest!("timer.S");
    let args = ["--max-insns", "10000000", "--stats", g.path()];
    let (a, b) = (bare(&args), bare(&args));
    for out in [&a, &b] {
        assert_exit(out, 0);
        assert!(
            out.stderr.lines().all(|l| l.starts_with("rvmmu: ")),
            "{out:#?}"
        );
        assert_eq!(out.stat("traps"), "rvmmu: traps: machine-timer 5");
        out.stat("host time");
    }
    for line in ["instructions retired", "cycles"] {
        assert_eq!(a.stat(line), b.stat(line));
    }
    // The guest runs on, so the counts are more than the boot ROM's.
    let n: u64 = a
        .stat("instructions retired")
        .rsplit(' ')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    assert!(n > 1000, "{n}");
}

#[test]
fn the_built_in_kernel_is_written_out_for_qemu() {
    let dir = tempfile::TempDir::new().unwrap();
    let path = dir.path().join("kernel.elf");
    let out = run(&["kernel", "--out", path.to_str().unwrap()], None);
    if out.code == Some(2) && out.stderr.contains("built without its kernel") {
        eprintln!("skipped: this rvmmu was built with RVMMU_NO_KERNEL");
        return;
    }
    assert_eq!(
        (out.code, out.stdout.as_str(), out.stderr.as_str()),
        (Some(0), "", "")
    );
    let bytes = std::fs::read(&path).unwrap();
    let elf = goblin::elf::Elf::parse(&bytes).expect("an ELF file");
    assert_eq!(elf.header.e_machine, goblin::elf::header::EM_RISCV);
    // QEMU's -bios none -kernel starts at the lowest load address, rvmmu at e_entry: the
    // kernel makes them the same, at the start of RAM.
    assert_eq!(elf.entry, 0x8000_0000);
    let lowest = elf
        .program_headers
        .iter()
        .filter(|p| p.p_type == goblin::elf::program_header::PT_LOAD)
        .map(|p| p.p_paddr)
        .min();
    assert_eq!(lowest, Some(0x8000_0000));
    let out = run(&["kernel", "--out", "/nonexistent/dir/k.elf"], None);
    assert_eq!(out.code, Some(2), "{out:#?}");
    assert!(
        out.stderr
            .starts_with("rvmmu: cannot write /nonexistent/dir/k.elf"),
        "{out:#?}"
    );
}
