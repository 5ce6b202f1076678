//! `--trace translations`: the text and JSON records of emu/tests/guests/translate.S, checked
//! against the page tables the guest builds (independently of the insta snapshot), the
//! filters, the combined trace with `--trace insns`, and the counters staying those of an
//! untraced run (the fast path, off while tracing, changes no counter).

use crate::{bare, guest, Guest, Output};

/// The guest's tables (see translate.S).
const ROOT: u64 = 0x8001_0000;
const L1: u64 = 0x8001_1000;
const L0: u64 = 0x8001_2000;

/// One text record, split into its fields.
#[derive(Debug, PartialEq, Eq)]
struct Rec {
    count: u64,
    prv: String,
    asid: String,
    access: String,
    va: u64,
    result: String,
    lookup: String,
    /// The PMP field's value (`0`, `none`, `3-partial`), when PMP was asked.
    pmp: Option<String>,
    /// (level, PTE address, PTE) for each walk step.
    steps: Vec<(u8, u64, u64)>,
    ad: Option<String>,
}

fn hex(s: &str) -> u64 {
    u64::from_str_radix(s, 16).unwrap_or_else(|_| panic!("not hex: {s}"))
}

fn parse(line: &str) -> Rec {
    let f: Vec<&str> = line.split_whitespace().collect();
    assert!(f.len() >= 7, "short record: {line}");
    let mut steps = Vec::new();
    let mut ad = None;
    let mut pmp = None;
    for extra in &f[7..] {
        if let Some(p) = extra.strip_prefix("pmp=") {
            pmp = Some(p.to_string());
        } else if let Some(a) = extra.strip_prefix("ad=") {
            ad = Some(a.to_string());
        } else {
            let (level, rest) = extra.split_once(':').unwrap();
            let (addr, pte) = rest.split_once('=').unwrap();
            steps.push((level.parse().unwrap(), hex(addr), hex(pte)));
        }
    }
    Rec {
        count: f[0].parse().unwrap(),
        prv: f[1].into(),
        asid: f[2].into(),
        access: f[3].into(),
        va: hex(f[4]),
        result: f[5].into(),
        lookup: f[6].into(),
        pmp,
        steps,
        ad,
    }
}

fn traced(g: &Guest, extra: &[&str]) -> (Output, String) {
    let file = g.dir.path().join("t.txt");
    let mut args = vec![
        "--max-insns",
        "10000",
        "--trace-out",
        file.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    args.push(g.path());
    let out = bare(&args);
    let trace = std::fs::read_to_string(&file).unwrap_or_default();
    (out, trace)
}

#[test]
fn translation_records_follow_the_guest_page_tables() {
    let g = guest!("translate.S");
    let (out, trace) = traced(&g, &["--trace", "translations"]);
    assert_eq!(out.code, Some(0), "{out:#?}");
    insta::with_settings!({
        snapshot_path => "../snapshots",
        description => "rvmmu bare --trace translations of emu/tests/guests/translate.S",
        omit_expression => true,
    }, {
        insta::assert_snapshot!("trace_translations", trace);
    });

    let recs: Vec<Rec> = trace.lines().map(parse).collect();
    // M-mode is not translated; every record is from S-mode, ASID 5.
    assert!(
        recs.iter().all(|r| r.prv == "S" && r.asid == "0005"),
        "{trace}"
    );
    // Counts never go down.
    assert!(recs.windows(2).all(|w| w[0].count <= w[1].count));
    // Fetches: the first walks the root's gigapage entry [2] (one step), the rest hit it.
    let fetches: Vec<&Rec> = recs.iter().filter(|r| r.access == "F").collect();
    let s_code = g.symbol("s_code");
    assert_eq!(fetches[0].va, s_code);
    assert_eq!(fetches[0].lookup, "miss");
    assert_eq!(
        fetches[0].steps,
        [(2, ROOT + 2 * 8, (0x8000_0000 >> 12 << 10) | 0xcf)]
    );
    assert!(fetches[1..].iter().all(|r| r.lookup == "hit"));
    for r in &fetches {
        assert_eq!(r.result, format!("pa={:016x}", r.va), "identity gigapage");
    }
    // Fetches are one per instruction, in order, up to the faulting load.
    assert_eq!(fetches.last().unwrap().va, g.symbol("fault_at"));

    let data: Vec<&Rec> = recs.iter().filter(|r| r.access != "F").collect();
    let ptr = |pa: u64| (pa >> 12 << 10) | 1;
    let upper = [(2, ROOT, ptr(L1)), (1, L1, ptr(L0))];
    let walk_to = |idx: u64, pte: u64| {
        let mut s = upper.to_vec();
        s.push((0, L0 + idx * 8, pte));
        s
    };
    let got: Vec<(&str, u64, &str, &str)> = data
        .iter()
        .map(|r| {
            (
                r.access.as_str(),
                r.va,
                r.result.as_str(),
                r.lookup.as_str(),
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            ("L", 0x1000, "pa=0000000080030000", "miss"),
            ("L", 0x1008, "pa=0000000080030008", "hit"),
            ("S", 0x2010, "pa=0000000080031010", "miss"),
            ("L", 0x2010, "pa=0000000080031010", "hit"),
            ("L", 0x3000, "fault=load-page-fault", "miss"),
        ]
    );
    assert_eq!(data[0].steps, walk_to(1, (0x8003_0000 >> 12 << 10) | 0xc7));
    let before = (0x8003_1000 >> 12 << 10) | 0x07;
    assert_eq!(data[2].steps, walk_to(2, before));
    assert_eq!(data[2].ad, Some(format!("AD>{:016x}", before | 0xc0)));
    assert_eq!(data[4].steps, walk_to(3, 0));
    // PMP decided every access that reached a physical address: entry 0, the guest's one
    // NAPOT entry over everything; the page fault never reached PMP.
    for r in &recs {
        let want = r.result.starts_with("pa=").then(|| "0".to_string());
        assert_eq!(r.pmp, want, "{r:?}");
    }
    // Each data access belongs to the instruction whose fetch precedes it.
    let mut last_fetch = None;
    for r in &recs {
        if r.access == "F" {
            last_fetch = Some(r.count);
        } else {
            assert_eq!(last_fetch, Some(r.count), "{r:?}");
        }
    }
}

#[test]
fn under_svade_the_store_faults_instead_of_setting_a_and_d() {
    let g = guest!("translate.S");
    let (out, trace) = traced(&g, &["--trace", "translations", "--ad", "fault"]);
    // The handler sees a store page fault, not the load page fault it expects: exit 1.
    assert_eq!(out.code, Some(1), "{out:#?}");
    let last = parse(trace.lines().last().unwrap());
    assert_eq!(
        (last.access.as_str(), last.va, last.result.as_str()),
        ("S", 0x2010, "fault=store-page-fault")
    );
    assert_eq!(last.ad, None);
}

#[test]
fn json_records_carry_the_same_facts_as_the_text() {
    let g = guest!("translate.S");
    let (_, text) = traced(&g, &["--trace", "translations"]);
    let (out, json) = traced(&g, &["--trace", "translations", "--trace-format", "json"]);
    assert_eq!(out.code, Some(0), "{out:#?}");
    let text: Vec<Rec> = text.lines().map(parse).collect();
    let json: Vec<serde_json::Value> = json
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect();
    assert_eq!(text.len(), json.len());
    let h = |v: &serde_json::Value| hex(v.as_str().unwrap().trim_start_matches("0x"));
    for (t, j) in text.iter().zip(&json) {
        assert_eq!(j["type"], "translation");
        assert_eq!(j["count"].as_u64(), Some(t.count));
        assert_eq!(j["priv"].as_str(), Some(t.prv.as_str()));
        assert_eq!(j["asid"].as_u64(), Some(hex(&t.asid)));
        let access = match t.access.as_str() {
            "F" => "fetch",
            "L" => "load",
            _ => "store",
        };
        assert_eq!(j["access"].as_str(), Some(access));
        assert_eq!(h(&j["va"]), t.va);
        match t.result.split_once('=').unwrap() {
            ("pa", pa) => assert_eq!(h(&j["pa"]), hex(pa)),
            (_, fault) => assert_eq!(j["fault"].as_str(), Some(fault)),
        }
        assert_eq!(j["tlb"].as_str(), Some(t.lookup.as_str()));
        assert_eq!(j.get("pmp").map(|p| p.to_string()), t.pmp.clone(), "{j}");
        let steps: Vec<(u8, u64, u64)> = j["walk"]
            .as_array()
            .map(|a| {
                a.iter()
                    .map(|s| {
                        (
                            s["level"].as_u64().unwrap() as u8,
                            h(&s["pte_addr"]),
                            h(&s["pte"]),
                        )
                    })
                    .collect()
            })
            .unwrap_or_default();
        assert_eq!(steps, t.steps);
        if let Some(ad) = &t.ad {
            let (set, new) = ad.split_once('>').unwrap();
            assert_eq!(j["ad"]["set"].as_str(), Some(set));
            assert_eq!(h(&j["ad"]["new"]), hex(new));
        }
    }
}

#[test]
fn filters_keep_exactly_the_matching_records() {
    let g = guest!("translate.S");
    let (_, all) = traced(&g, &["--trace", "translations"]);
    let all: Vec<Rec> = all.lines().map(parse).collect();
    type Keep = dyn Fn(&Rec) -> bool;
    let cases: [(&[&str], &Keep); 5] = [
        (&["--trace-access", "load,store"], &|r| r.access != "F"),
        (&["--trace-tlb", "miss"], &|r| r.lookup != "hit"),
        (&["--trace-tlb", "hit", "--trace-access", "fetch"], &|r| {
            r.lookup == "hit" && r.access == "F"
        }),
        (&["--trace-va", "0x2000+0x1000"], &|r| {
            (0x2000..0x3000).contains(&r.va)
        }),
        (
            &["--trace-asid", "5", "--trace-va", "0x1000-0x2000"],
            &|r| (0x1000..0x2000).contains(&r.va),
        ),
    ];
    for (flags, keep) in cases {
        let mut args = vec!["--trace", "translations"];
        args.extend_from_slice(flags);
        let (out, got) = traced(&g, &args);
        assert_eq!(out.code, Some(0), "{flags:?}: {out:#?}");
        let got: Vec<Rec> = got.lines().map(parse).collect();
        let want: Vec<&Rec> = all.iter().filter(|r| keep(r)).collect();
        assert!(!want.is_empty(), "{flags:?} selects nothing");
        assert_eq!(got.iter().collect::<Vec<_>>(), want, "{flags:?}");
    }
    let (out, none) = traced(&g, &["--trace", "translations", "--trace-asid", "4"]);
    assert_eq!((out.code, none.as_str()), (Some(0), ""));
}

#[test]
fn with_insns_each_instruction_follows_its_own_translations() {
    let g = guest!("translate.S");
    let (out, trace) = traced(&g, &["--trace", "translations,insns"]);
    assert_eq!(out.code, Some(0), "{out:#?}");
    let lines: Vec<&str> = trace.lines().collect();
    let is_translation = |l: &str| l.split_whitespace().nth(3).is_some_and(|f| f.len() == 1);
    let mut fetched = None;
    let mut insns = 0;
    for l in &lines {
        let f: Vec<&str> = l.split_whitespace().collect();
        if is_translation(l) {
            if f[3] == "F" {
                fetched = Some((f[0], hex(f[4])));
            }
        } else {
            insns += 1;
            if f[1] == "S" {
                // An S-mode instruction: its fetch was translated just before, same count.
                assert_eq!(fetched, Some((f[0], hex(f[2]))), "{l}");
            }
        }
    }
    let (_, alone) = traced(&g, &["--trace", "insns"]);
    assert_eq!(insns, alone.lines().count());
}

/// `--stats` lines that do not depend on the host (not the timing line).
fn counters(out: &Output) -> Vec<&str> {
    out.stderr
        .lines()
        .filter(|l| l.starts_with("rvmmu: ") && !l.contains("host time"))
        .collect()
}

#[test]
fn tracing_leaves_every_counter_as_an_untraced_run() {
    let g = guest!("translate.S");
    let plain = bare(&["--stats", g.path()]);
    let (out, trace) = traced(&g, &["--stats", "--trace", "translations"]);
    assert_eq!(counters(&out), counters(&plain));
    // One record per TLB lookup: the counters' lookups are the records with paging on.
    let lookups: u64 = counters(&out)
        .iter()
        .filter_map(|l| l.strip_prefix("rvmmu: tlb "))
        .filter(|l| l.contains(" lookups"))
        .filter_map(|l| l.split_once(": ").map(|x| x.1))
        .filter_map(|l| l.split(' ').next()?.parse::<u64>().ok())
        .sum();
    assert_eq!(lookups, trace.lines().count() as u64);
    // The walker's counters per access type are what the records show.
    let recs: Vec<Rec> = trace.lines().map(parse).collect();
    let per_access = |f: &dyn Fn(&Rec) -> usize| {
        let n = |a: &str| -> usize { recs.iter().filter(|r| r.access == a).map(f).sum() };
        format!("fetch {} load {} store {}", n("F"), n("L"), n("S"))
    };
    let line = |what: &str| {
        counters(&out)
            .iter()
            .find_map(|l| l.strip_prefix(&format!("rvmmu: {what}: ")))
            .unwrap_or_else(|| panic!("no {what} line in {out:#?}"))
            .to_string()
    };
    assert_eq!(
        line("walks"),
        per_access(&|r| matches!(r.lookup.as_str(), "miss" | "rewalk") as usize)
    );
    assert_eq!(line("pte reads"), per_access(&|r| r.steps.len()));
    assert_eq!(
        line("pte writes (A/D)"),
        per_access(&|r| r.ad.is_some() as usize)
    );
    assert_eq!(
        line("page faults"),
        per_access(&|r| r.result.contains("page-fault") as usize)
    );
}

#[test]
fn filter_options_need_a_translation_trace() {
    let g = guest!("translate.S");
    for flags in [
        &["--trace-va", "0x1000-0x2000"][..],
        &["--trace", "insns", "--trace-tlb", "hit"],
        &["--trace-asid", "3"],
    ] {
        let mut args = flags.to_vec();
        args.push(g.path());
        let out = bare(&args);
        assert_eq!(out.code, Some(2), "{flags:?}: {out:#?}");
        assert_eq!(out.stderr_lines().len(), 1, "{out:#?}");
        assert!(out.stderr.contains("need --trace translations"), "{out:#?}");
    }
    for bad in ["0x2000-0x1000", "12", "0x10+zz"] {
        let out = bare(&["--trace", "translations", "--trace-va", bad, g.path()]);
        assert_eq!(out.code, Some(2), "{bad}: {out:#?}");
        assert_eq!(out.stderr_lines().len(), 1, "{out:#?}");
    }
}
