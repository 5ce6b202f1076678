//! `--trace insns`, `--help` and `--version`.

use crate::{bare, guest, run};

/// One parsed trace line: count, privilege letter, pc.
fn fields(line: &str) -> (u64, &str, u64) {
    let mut f = line.split_whitespace();
    let count = f.next().unwrap().parse().unwrap();
    let prv = f.next().unwrap();
    let pc = u64::from_str_radix(f.next().unwrap(), 16).unwrap();
    (count, prv, pc)
}

#[test]
fn trace_insns_snapshot() {
    let g = guest!("trace.S");
    let file = g.dir.path().join("trace.txt");
    let out = bare(&[
        "--max-insns",
        "1000",
        "--trace",
        "insns",
        "--trace-out",
        file.to_str().unwrap(),
        g.path(),
    ]);
    assert_eq!(out.code, Some(0), "{out:#?}");
    assert_eq!((out.stdout.as_str(), out.stderr.as_str()), ("", ""));
    let trace = std::fs::read_to_string(&file).unwrap();
    insta::with_settings!({
        snapshot_path => "../snapshots",
        description => "rvmmu bare --trace insns of emu/tests/guests/trace.S",
        omit_expression => true,
    }, {
        insta::assert_snapshot!("trace_insns", trace);
    });

    // Independently of the snapshot: counts go up by one from 0, the run starts in the boot
    // ROM at 0x1000, and the instructions that trap are not shown as retired.
    let lines: Vec<_> = trace.lines().map(fields).collect();
    for (i, (count, prv, _)) in lines.iter().enumerate() {
        assert_eq!((*count, *prv), (i as u64, "M"), "line {i}");
    }
    assert_eq!(lines[0].2, 0x1000);
    let handler = g.symbol("handler");
    for trapping in [g.symbol("ecall_at"), g.symbol("illegal_at")] {
        assert!(
            lines.iter().all(|l| l.2 != trapping),
            "trapping instruction at {trapping:#x} traced as retired"
        );
    }
    // The handler runs twice, each time right after the instruction before a trap.
    let entries: Vec<_> = lines
        .windows(2)
        .filter(|w| w[1].2 == handler && w[0].2 != handler)
        .map(|w| w[0].2)
        .collect();
    let before_ecall = g.symbol("ecall_at") - 4; // the bne that falls through
    let mret_at = handler + 12;
    assert_eq!(entries, [before_ecall, mret_at]);
}

#[test]
fn trace_goes_to_stderr_without_trace_out() {
    let g = guest!("tohost.S", "-DTOHOST_VALUE=1");
    let out = bare(&["--max-insns", "1000", "--trace", "insns", g.path()]);
    assert_eq!(out.code, Some(0), "{out:#?}");
    assert_eq!(out.stdout, "");
    let lines = out.stderr_lines();
    // Boot ROM (6), then li, auipc, addi, sd.
    assert_eq!(lines.len(), 10, "{out:#?}");
    assert_eq!(
        lines[0],
        "         0 M 0000000000001000 00000297 auipc\tt0,0x0"
    );
    assert_eq!(fields(lines[6]), (6, "M", 0x8000_0000));
    assert!(lines[9].ends_with("sd\tt0,0(t1)"), "{}", lines[9]);
}

#[test]
fn help() {
    for args in [&["--help"][..], &["-h"], &["help"]] {
        let out = run(args, None);
        assert_eq!(out.code, Some(0), "{out:#?}");
        assert!(out.stdout.contains("bare"), "{out:#?}");
        assert_eq!(out.stderr, "");
    }
    let out = run(&["bare", "--help"], None);
    assert_eq!(out.code, Some(0), "{out:#?}");
    for opt in ["--mem", "--max-insns", "--stats", "--trace", "--trace-out"] {
        assert!(out.stdout.contains(opt), "{opt} in {out:#?}");
    }
}

#[test]
fn version() {
    let out = run(&["--version"], None);
    assert_eq!(out.code, Some(0), "{out:#?}");
    assert_eq!(out.stdout, format!("rvmmu {}\n", env!("CARGO_PKG_VERSION")));
    assert_eq!(out.stderr, "");
}
