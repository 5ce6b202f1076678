//! Errors the user makes: bad files and bad arguments. Each must end the run with exit status
//! 2, one line `rvmmu: ...` on stderr that says what is wrong, nothing on stdout, no panic.

use crate::{bare, guest, run, Output};
use std::path::Path;

/// Asserts the one-line error shape, and that the line contains `says`.
#[track_caller]
fn assert_error(out: &Output, says: &str) {
    assert_eq!(out.code, Some(2), "exit status: {out:#?}");
    assert_eq!(out.stdout, "", "stdout: {out:#?}");
    let lines = out.stderr_lines();
    assert_eq!(lines.len(), 1, "one line on stderr: {out:#?}");
    assert!(out.stderr.ends_with('\n'), "{out:#?}");
    assert!(lines[0].starts_with("rvmmu: "), "{out:#?}");
    assert!(
        lines[0].contains(says),
        "expected '{says}' in: {}",
        lines[0]
    );
}

/// A path that does not exist (argument errors must be found before the file is opened).
const NO_FILE: &str = "/nonexistent/rvmmu-cli-test.elf";

#[test]
fn missing_file() {
    assert_error(
        &bare(&[NO_FILE]),
        "cannot read /nonexistent/rvmmu-cli-test.elf",
    );
}

#[test]
fn directory() {
    let dir = tempfile::TempDir::new().unwrap();
    assert_error(&bare(&[dir.path().to_str().unwrap()]), "cannot read");
}

#[test]
fn empty_and_text_files() {
    let dir = tempfile::TempDir::new().unwrap();
    let empty = dir.path().join("empty.elf");
    std::fs::write(&empty, b"").unwrap();
    assert_error(&bare(&[empty.to_str().unwrap()]), "not an ELF file");
    let text = dir.path().join("text.elf");
    std::fs::write(&text, "#!/bin/sh\necho this is not an ELF file\n").unwrap();
    assert_error(&bare(&[text.to_str().unwrap()]), "not an ELF file");
}

#[test]
fn host_binary() {
    // The emulator itself: an ELF for the host's machine (x86-64 here), not RISC-V.
    assert_error(&bare(&[crate::RVMMU]), "not RISC-V");
}

#[test]
fn truncated_elf() {
    let g = guest!("tohost.S", "-DTOHOST_VALUE=1");
    let bytes = std::fs::read(&g.elf).unwrap();
    // Inside the ELF header, at its end (the program headers are missing), and mid-segment.
    for len in [5, 20, 63, 64, 200] {
        let p = g.dir.path().join(format!("cut{len}.elf"));
        std::fs::write(&p, &bytes[..len]).unwrap();
        assert_error(&bare(&[p.to_str().unwrap()]), "ELF file");
    }
}

#[test]
fn rv32_elf() {
    let g = guest!("loop.S", "-march=rv32i", "-mabi=ilp32");
    assert_eq!(std::fs::read(&g.elf).unwrap()[4], 1, "ELFCLASS32");
    assert_error(&bare(&[g.path()]), "32-bit");
}

#[test]
fn big_endian_elf() {
    let g = guest!("tohost.S", "-DTOHOST_VALUE=1");
    let mut bytes = std::fs::read(&g.elf).unwrap();
    bytes[5] = 2; // EI_DATA = ELFDATA2MSB
    let p = g.dir.path().join("be.elf");
    std::fs::write(&p, bytes).unwrap();
    assert_error(&bare(&[p.to_str().unwrap()]), "big-endian");
}

#[test]
fn segment_below_ram() {
    let g = guest!("tohost.S", "-DTOHOST_VALUE=1", "-Wl,-Ttext=0x70000000");
    assert_error(&bare(&[g.path()]), "lies outside RAM");
}

#[test]
fn image_larger_than_ram() {
    // 4 MiB of .bss after the code at 0x8000_0000: too big for 1 MiB of RAM, fine in 128 MiB.
    let g = guest!("tohost.S", "-DTOHOST_VALUE=1", "-DBIG_BSS");
    assert_error(&bare(&["--mem", "1M", g.path()]), "lies outside RAM");
    let ok = bare(&["--max-insns", "1000", g.path()]);
    assert_eq!(ok.code, Some(0), "{ok:#?}");
}

#[test]
fn unknown_option() {
    assert_error(&bare(&["--bogus", NO_FILE]), "'--bogus'");
}

#[test]
fn bad_mem_values() {
    for v in ["12Q", "0", "100G", "4095", "", "1.5M"] {
        let out = bare(&["--mem", v, NO_FILE]);
        assert_error(&out, &format!("'{v}' for '--mem"));
    }
}

#[test]
fn bad_mmu_options() {
    for v in ["0x4", "64x3", "0", "x", "64x128"] {
        assert_error(&bare(&["--tlb", v, NO_FILE]), &format!("'{v}' for '--tlb"));
    }
    assert_error(&bare(&["--ad", "maybe", NO_FILE]), "'maybe' for '--ad");
}

#[test]
fn bad_dump_and_pmp_options() {
    for v in ["65", "x", "100000", ""] {
        assert_error(&bare(&["--pmp", v, NO_FILE]), &format!("'{v}' for '--pmp"));
    }
    assert_error(&bare(&["--pmp", "-1", NO_FILE]), "'-1'");
    assert_error(
        &bare(&["--dump-pt-at", "x", NO_FILE]),
        "'x' for '--dump-pt-at",
    );
    assert_error(
        &bare(&["--dump-pt-out", "pt.txt", NO_FILE]),
        "--dump-pt-out needs --dump-pt or --dump-pt-at",
    );
    assert!(!Path::new("pt.txt").exists(), "no dump file created");
}

#[test]
fn dump_out_cannot_be_created() {
    let g = guest!("tohost.S", "-DTOHOST_VALUE=1");
    let p = g.dir.path().join("no/such/dir/pt.txt");
    assert_error(
        &bare(&["--dump-pt", "--dump-pt-out", p.to_str().unwrap(), g.path()]),
        "cannot create",
    );
}

#[test]
fn missing_elf_argument() {
    assert_error(&bare(&[]), "required");
    assert_error(&bare(&["--mem", "1M"]), "required");
}

#[test]
fn trace_out_without_trace() {
    assert_error(&bare(&["--trace-out", "t.txt", NO_FILE]), "required");
    assert!(!Path::new("t.txt").exists(), "no trace file created");
}

#[test]
fn other_bad_arguments() {
    assert_error(&bare(&["--max-insns", "x", NO_FILE]), "'--max-insns");
    assert_error(&bare(&["--max-insns", "-1", NO_FILE]), "'-1'");
    assert_error(&bare(&["--trace", "bogus", NO_FILE]), "'bogus'");
    assert_error(&run(&["frob"], None), "'frob'");
    // No subcommand: clap's help would be the error; one line of it is printed.
    assert_error(&run(&[], None), "");
}

#[test]
fn trace_out_cannot_be_created() {
    let g = guest!("tohost.S", "-DTOHOST_VALUE=1");
    let p = g.dir.path().join("no/such/dir/trace.txt");
    let out = bare(&[
        "--trace",
        "insns",
        "--trace-out",
        p.to_str().unwrap(),
        g.path(),
    ]);
    assert_error(&out, "cannot create");
}

/// The messages for missing arguments should say which argument is missing; today they stop
/// at clap's first line, "the following required arguments were not provided:", and the
/// line naming the argument (`<ELF>`, `--trace <TRACE>`) is dropped. Without a subcommand,
/// the one line printed is the program's description.
#[test]
fn missing_argument_is_named() {
    assert_error(&bare(&[]), "<ELF>");
    assert_error(&bare(&["--trace-out", "t.txt", NO_FILE]), "--trace");
    assert_error(&run(&[], None), "subcommand");
}

#[test]
fn run_with_bad_kernel_or_program() {
    let dir = tempfile::TempDir::new().unwrap();
    let prog = dir.path().join("prog");
    std::fs::write(&prog, b"not an ELF, but the kernel is checked first").unwrap();
    let prog = prog.to_str().unwrap();
    assert_error(
        &run(&["run", "--kernel", NO_FILE, prog], None),
        "cannot read /nonexistent/rvmmu-cli-test.elf",
    );
    assert_error(
        &run(&["run", "--kernel", prog, "/nonexistent/prog"], None),
        "cannot read /nonexistent/prog",
    );
    // A bare name that is neither a host file nor a built-in program: one line.
    assert_error(
        &run(&["run", "--kernel", prog, "no_such_program_here"], None),
        "no_such_program_here: no such host file, and no built-in program of that name",
    );
    // A kernel that is not a RISC-V ELF.
    assert_error(&run(&["run", "--kernel", prog, prog], None), "ELF");
    for bad in [
        &["run", "--sysctl", "vm.swappiness", "x"][..],
        &["run", "--paging", "sv57", "x"],
    ] {
        assert_error(&run(bad, None), "");
    }
}

#[test]
fn swap_disk_errors() {
    // The disk is opened before anything else is read, so the program need not exist.
    let prog = "/nonexistent/prog";
    assert_error(
        &run(&["run", "--swap-file", "/nonexistent", prog], None),
        "cannot open /nonexistent: No such file or directory",
    );
    let dir = tempfile::TempDir::new().unwrap();
    let d = dir.path().to_str().unwrap();
    assert_error(
        &run(&["run", "--swap-file", d, prog], None),
        "Is a directory",
    );
    assert_error(
        &run(&["run", "--swap", "1G", "--swap-file", d, prog], None),
        "cannot be used with",
    );
    for (v, says) in [
        ("36K", "too small"),
        ("17T", "too large"),
        ("41000", "4K"),
        ("1.5G", "not a size"),
    ] {
        assert_error(
            &run(&["run", "--swap", v, prog], None),
            &format!("'{v}' for '--swap <SIZE>': "),
        );
        assert_error(&run(&["run", "--swap", v, prog], None), says);
    }
    assert_error(
        &bare(&["--drive", "/nonexistent", NO_FILE]),
        "cannot open /nonexistent",
    );
}
