//! `--dump-pt`, `--dump-pt-at N`, `--dump-pt-out FILE` and `--pmp N`.

use crate::{bare, guest};

/// The tree `emu/tests/guests/paging.S` builds, as the dump prints it.
const PAGING_TREE: &str = "\
mode sv39, root PA:0x80010000
VA 0x0000000000001000-0x0000000000003000 -> PA 0x0000000080030000  4K x2  rw-u-ad
VA 0x0000000000200000-0x0000000000400000 -> PA 0x0000000080200000  2M x1  r--u---
VA 0x0000000080000000-0x00000000c0000000 -> PA 0x0000000080000000  1G x1  rwx-gad
tables: level 2: 1 (4 KiB), level 1: 1 (4 KiB), level 0: 1 (4 KiB); total 12 KiB
bad PTE at PA:0x80012020 level 0: 0x000000002000cc05 malformed
";

#[test]
fn dump_at_exit() {
    let g = guest!("paging.S");
    let out = bare(&["--max-insns", "1000", "--dump-pt", g.path()]);
    assert_eq!(out.code, Some(0), "{out:#?}");
    assert_eq!(out.stdout, "");
    let (head, tree) = out.stderr.split_once('\n').unwrap();
    assert!(
        head.starts_with("page tables after ")
            && head.ends_with(" instructions: satp 0x8000700000080010 (ASID 7)"),
        "{head}"
    );
    assert_eq!(tree, PAGING_TREE);
}

/// The dump at N sees the state after exactly N instructions: the satp write is instruction
/// `k`, so the dump at k shows Bare and the dump at k + 1 the tree; dumps do not change the run.
#[test]
fn dump_at_instruction_counts() {
    let g = guest!("paging.S");
    // k = the count of the satp write in the instruction trace.
    let trace = g.dir.path().join("trace.txt");
    let traced = bare(&[
        "--max-insns",
        "1000",
        "--trace",
        "insns",
        "--trace-out",
        trace.to_str().unwrap(),
        g.path(),
    ]);
    assert_eq!(traced.code, Some(0), "{traced:#?}");
    let satp_on = format!("{:016x}", g.symbol("satp_on"));
    let k: u64 = std::fs::read_to_string(&trace)
        .unwrap()
        .lines()
        .find(|l| l.split_whitespace().nth(2) == Some(satp_on.as_str()))
        .and_then(|l| l.split_whitespace().next()?.parse().ok())
        .expect("the satp write is in the trace");
    let file = g.dir.path().join("pt.txt");
    let (ks, k1) = (k.to_string(), (k + 1).to_string());
    let out = bare(&[
        "--max-insns",
        "1000",
        "--stats",
        "--dump-pt-at",
        &k1,
        "--dump-pt-at",
        &ks,
        "--dump-pt-at",
        "999999",
        "--dump-pt-out",
        file.to_str().unwrap(),
        g.path(),
    ]);
    assert_eq!(out.code, Some(0), "{out:#?}");
    let text = std::fs::read_to_string(&file).unwrap();
    let steps = out
        .stat("instructions retired: ")
        .rsplit(' ')
        .next()
        .unwrap()
        .to_string();
    assert_eq!(
        text,
        format!(
            "page tables after {k} instructions: satp is Bare (no translation)\n\
             page tables after {} instructions: satp 0x8000700000080010 (ASID 7)\n\
             {PAGING_TREE}\
             page tables after 999999 instructions: not reached (the run ended after {steps})\n",
            k + 1
        )
    );
    // Nothing but --stats on stderr, and the same statistics as a run without dumps.
    let plain = bare(&["--max-insns", "1000", "--stats", g.path()]);
    assert_eq!(
        out.stat("instructions retired"),
        plain.stat("instructions retired")
    );
    assert_eq!(out.stat("traps"), plain.stat("traps"));
    assert_eq!(out.stat("tlb"), plain.stat("tlb"));
}

#[test]
fn dump_when_satp_is_bare() {
    let g = guest!("tohost.S", "-DTOHOST_VALUE=1");
    let out = bare(&[
        "--max-insns",
        "1000",
        "--dump-pt",
        "--dump-pt-at",
        "0",
        g.path(),
    ]);
    assert_eq!(out.code, Some(0), "{out:#?}");
    assert_eq!(
        out.stderr,
        "page tables after 0 instructions: satp is Bare (no translation)\n\
         page tables after 10 instructions: satp is Bare (no translation)\n"
    );
}

/// `--pmp N` sets how many pmpaddr registers exist (emu/tests/guests/pmp.S).
#[test]
fn pmp_entries() {
    let g = guest!("pmp.S");
    for (arg, code) in [
        (None, 3),
        (Some("0"), 0),
        (Some("1"), 1),
        (Some("16"), 3),
        (Some("64"), 15),
    ] {
        let mut args = vec!["--max-insns", "1000"];
        if let Some(n) = arg {
            args.extend(["--pmp", n]);
        }
        args.push(g.path());
        let out = bare(&args);
        assert_eq!(out.code, Some(code), "--pmp {arg:?}: {out:#?}");
    }
}
