//! The JIT against the interpreter, on programs made to run compiled code (threshold 1 or
//! 2): every ALU and M operation on edge values, self-modifying code in a compiled loop,
//! `--max-insns` at every count across a compiled loop's budget edge, loads and stores
//! missing the MMU's fast tables in the middle of a region, and one physical code page run
//! at two virtual addresses.

use super::*;
use crate::addr::PhysAddr;
use crate::bench::{self, Paged, Workload, PAGED_PROLOGUE};
use crate::hart::Engine;
use crate::machine::{Exit, Machine, MachineConfig};

use crate::hart::testing::*;

fn entered(m: &Machine) -> JitStats {
    m.hart.jit_stats().expect("the JIT is on")
}

/// `code` as a paged workload's S-mode program under Sv39 (`bench::Paged`), one data page;
/// with `kernel_map`, at its physical address in the kernel's gigapages.
fn sv39_workload(name: &'static str, code: Vec<u32>, kernel_map: bool) -> Workload {
    Workload {
        name,
        what: "",
        code: PAGED_PROLOGUE,
        insns_per_iter: 1,
        paged: Some(Paged {
            code: Box::leak(code.into_boxed_slice()),
            data_pages: 1,
            stride: 0,
            segments: false,
            kernel_map,
            levels: 3,
            two_spaces: false,
        }),
        tlb: None,
    }
}

/// A paged workload under the kernel's gigapage map ([`sv39_workload`]): `caller`, then
/// the pass, on the code's first page, and `func` at the start of the next (4096 bytes on).
fn caller_and_callee(name: &'static str, caller: &[u32], func: &[u32]) -> Workload {
    let mut code = caller.to_vec();
    code.extend(PAGED_PASS);
    code.resize(1024, addi(0, 0, 0));
    code.extend(func);
    sv39_workload(name, code, true)
}

/// Workload `w` ready to run one iteration on `engine` (the JIT compiling at once, at the
/// first entry).
fn prepared(w: &Workload, engine: Engine) -> Machine {
    let cfg = MachineConfig {
        engine,
        jit_threshold: 1,
        jit_sync: true,
        ..MachineConfig::capture(Vec::new())
    };
    bench::prepare(w, 1, cfg).expect("the workload")
}

/// The physical address of the level-0 PTE that maps `va` in a paged bench workload's Sv39
/// tables (root -> level 1 -> level 0; satp in s3).
fn leaf_pte(m: &Machine, va: u64) -> u64 {
    let read = |pa: u64| m.bus.ram.read_u64(PhysAddr(pa)).expect("RAM");
    let root = (m.hart.x[19] & ((1 << 44) - 1)) << 12;
    let l1 = (read(root + ((va >> 30) & 511) * 8) >> 10) << 12;
    let l0 = (read(l1 + ((va >> 21) & 511) * 8) >> 10) << 12;
    l0 + ((va >> 12) & 511) * 8
}

/// Edge values for the operations' operands.
const VALUES: [u64; 14] = [
    0,
    1,
    u64::MAX,
    i64::MIN as u64,
    i64::MAX as u64,
    0x7fff_ffff,
    0x8000_0000,
    0xffff_ffff,
    0xffff_ffff_8000_0000,
    31,
    32,
    63,
    64,
    0x1234_5678_9abc_def0,
];

/// Where a program finds `VALUES` and writes its results (from the start of RAM).
const DATA: u64 = 0x10000;

/// Runs `ops` (each `op a2, a0, a1` or `op a2, a0, imm`) on `pairs` of VALUES indices on the
/// interpreter and the JIT; their results (in RAM) and states must agree.
fn compare_ops(what: &str, ops: &[u32], pairs: &[(usize, usize)]) {
    let mut body = Vec::new();
    let mut k = 0;
    for &op in ops {
        for &(i, j) in pairs {
            body.push(ld(A0, T0, (i * 8) as i32));
            body.push(ld(A1, T0, (j * 8) as i32));
            body.push(op);
            body.push(sd(A2, T1, (k % 256) * 8));
            k += 1;
            if k % 256 == 0 {
                body.push(addi(T1, T1, 0x7ff));
                body.push(addi(T1, T1, 1));
            }
        }
    }
    let words = (k as usize).div_ceil(256) * 256 * 2;
    compare_on_values(what, &body, words, 1, |j, _| {
        assert!(j.compiled > 0 && j.entered > 0, "{what}: {j:?}")
    });
}

/// Runs `body` three times on the interpreter and the JIT (compile threshold `threshold`),
/// with t0 = RAM_BASE + DATA, where VALUES are, and t1 = t0 + 0x800 at the start of each
/// pass, where results go: the first `words` there, and the states, must agree. `check`
/// looks at the JIT's counters and machine. (The later passes enter compiled regions: code
/// run straight through is entered at jump targets, page starts and region ends only.)
fn compare_on_values(
    what: &str,
    body: &[u32],
    words: usize,
    threshold: u32,
    check: impl Fn(JitStats, &Machine),
) {
    // auipc t0, DATA >> 12; three passes (s1).
    let auipc = (DATA as u32) | (T0 << 7) | 0x17;
    let mut code = vec![auipc, addi(S1, 0, 3), addi(T1, T0, 0x7ff), addi(T1, T1, 1)];
    let top = 2 * 4;
    code.extend(body);
    code.push(addi(S1, S1, -1));
    code.push(beq_fwd(S1, 0, 8));
    let here = (code.len() * 4) as u32;
    code.push(j_back(here - top));
    code.extend(PASS);
    assert!(code.len() * 4 < DATA as usize, "{what}: the code fits");
    let mut ends = Vec::new();
    for engine in [Engine::Interp, Engine::Jit] {
        let mut m = machine(&code, engine, Some(10_000_000), threshold);
        for (i, v) in VALUES.iter().enumerate() {
            let pa = PhysAddr(RAM_BASE + DATA + i as u64 * 8);
            m.bus.ram.write_bytes(pa, &v.to_le_bytes()).expect("RAM");
        }
        assert_eq!(m.run(), Exit::Pass, "{what} {engine:?}");
        let out: Vec<u64> = (0..words as u64)
            .map(|w| {
                let pa = PhysAddr(RAM_BASE + DATA + 0x800 + w * 8);
                m.bus.ram.read_u64(pa).expect("RAM")
            })
            .collect();
        if engine == Engine::Jit {
            check(entered(&m), &m);
        }
        ends.push((state(&m), out));
    }
    assert_eq!(
        ends[0].1, ends[1].1,
        "{what}: results, interpreter (left), JIT"
    );
    assert_eq!(
        ends[0].0, ends[1].0,
        "{what}: state, interpreter (left), JIT"
    );
}

fn all_pairs() -> Vec<(usize, usize)> {
    (0..VALUES.len())
        .flat_map(|i| (0..VALUES.len()).map(move |j| (i, j)))
        .collect()
}

#[test]
fn register_operations_match_the_interpreter_on_edge_values() {
    let op = |f7, f3| r_type(f7, f3, 0x33, A2, A0, A1);
    let op32 = |f7, f3| r_type(f7, f3, 0x3b, A2, A0, A1);
    let rv64i = [
        op(0, 0),
        op(0x20, 0),
        op(0, 1),
        op(0, 2),
        op(0, 3),
        op(0, 4),
        op(0, 5),
        op(0x20, 5),
        op(0, 6),
        op(0, 7),
        op32(0, 0),
        op32(0x20, 0),
        op32(0, 1),
        op32(0, 5),
        op32(0x20, 5),
    ];
    let m = (0..8).map(|f3| op(1, f3));
    let m32 = [0, 4, 5, 6, 7].map(|f3| op32(1, f3));
    let pairs = all_pairs();
    for (i, o) in rv64i.into_iter().chain(m).chain(m32).enumerate() {
        compare_ops(&format!("register op {i} ({o:#010x})"), &[o], &pairs);
    }
}

/// Every AMO, .W and .D, on every pair of edge values (the word in memory, the source):
/// the interpreter and compiled code leave the same memory, registers and counters.
#[test]
fn amos_match_the_interpreter_on_edge_values() {
    const T2: u32 = 7;
    let pairs = all_pairs();
    for f3 in [2, 3] {
        for f5 in [
            0b00000, 0b00001, 0b00100, 0b01000, 0b01100, 0b10000, 0b10100, 0b11000, 0b11100,
        ] {
            let what = format!("amo funct5 {f5:#07b} funct3 {f3}");
            // amo<op> a2, a1, (t2)
            let amo = f5 << 27 | A1 << 20 | T2 << 15 | f3 << 12 | A2 << 7 | 0x2f;
            // Per pair: the old value to 0(t2), the AMO, its result (the old value) to 8(t2).
            let mut body = Vec::new();
            for (k, &(i, j)) in pairs.iter().enumerate() {
                body.push(ld(A0, T0, (i * 8) as i32));
                body.push(ld(A1, T0, (j * 8) as i32));
                body.push(addi(T2, T1, ((k % 128) * 16) as i32));
                body.push(sd(A0, T2, 0));
                body.push(amo);
                body.push(sd(A2, T2, 8));
                if k % 128 == 127 {
                    body.push(addi(T1, T1, 0x7ff));
                    body.push(addi(T1, T1, 1));
                }
            }
            let words = pairs.len().div_ceil(128) * 128 * 2;
            // Threshold 2: regions compiled with the loop decoded. Run in compiled code: no
            // side exit, most steps there.
            compare_on_values(&what, &body, words, 2, |j, m| {
                assert!(
                    j.side_exits == 0 && j.steps * 2 > m.hart.steps,
                    "{what}: {j:?}"
                )
            });
        }
    }
}

#[test]
fn immediate_operations_match_the_interpreter_on_edge_values() {
    let firsts: Vec<(usize, usize)> = (0..VALUES.len()).map(|i| (i, 0)).collect();
    let mut ops = Vec::new();
    for imm in [0, 1, -1, 2047, -2048, 0x555] {
        for f3 in [0, 2, 3, 4, 6, 7] {
            ops.push(i_type(imm, f3, 0x13, A2, A0));
        }
        ops.push(i_type(imm, 0, 0x1b, A2, A0)); // addiw
    }
    for sh in [0, 1, 31, 32, 33, 63] {
        ops.push(i_type(sh, 1, 0x13, A2, A0)); // slli
        ops.push(i_type(sh, 5, 0x13, A2, A0)); // srli
        ops.push(i_type(0x400 | sh, 5, 0x13, A2, A0)); // srai
    }
    for sh in [0, 1, 15, 31] {
        ops.push(i_type(sh, 1, 0x1b, A2, A0)); // slliw
        ops.push(i_type(sh, 5, 0x1b, A2, A0)); // srliw
        ops.push(i_type(0x400 | sh, 5, 0x1b, A2, A0)); // sraiw
    }
    // Loads of every width and sign from the values, and LUI/AUIPC.
    for f3 in [0, 1, 2, 3, 4, 5, 6] {
        ops.push(i_type(0, f3, 0x03, A2, T0));
        ops.push(i_type(8 * 8 + 4, f3 & 3, 0x03, A2, T0));
    }
    ops.push(0x8000_0637); // lui a2, 0x80000
    ops.push(0xfffff617); // auipc a2, 0xfffff
    compare_ops("immediate ops", &ops, &firsts);
}

/// A loop whose body stores to the instruction three slots further on in the same
/// (compiled) region: the first time the word it already holds, the second time a new
/// one, which must be what runs, as on the interpreter.
#[test]
fn a_store_rewriting_code_of_a_compiled_loop_takes_effect() {
    const OLD: i32 = 1;
    const NEW: i32 = 100;
    let mut code = vec![
        0x0000_0297,         // 0: auipc t0, 0
        addi(A0, 0, 0),      // 4: li a0, 0
        addi(S1, 0, 4),      // 8: li s1, 4
        lw(T1, T0, 80),      // 12: t1 = the word at 80 (the target as it is)
        sw(T1, T0, 28),      // 16: loop: the target (28) = t1
        addi(S1, S1, -1),    // 20
        addi(A1, A1, 3),     // 24
        addi(A0, A0, OLD),   // 28: the target
        lw(T1, T0, 84),      // 32: t1 = the word at 84 (the new target)
        bne_back(S1, 0, 20), // 36: bnez s1, loop
    ];
    code.extend(PASS); // 40..60
    code.extend([0, 0, 0, 0]); // 60..76
    code.push(0); // 76
    code.push(addi(A0, A0, OLD)); // 80
    code.push(addi(A0, A0, NEW)); // 84
    let mut ends = Vec::new();
    for engine in [Engine::Interp, Engine::Block, Engine::Jit] {
        let mut m = machine(&code, engine, Some(1_000_000), 1);
        assert_eq!(m.run(), Exit::Pass, "{engine:?}");
        assert_eq!(m.hart.x[A0 as usize], (OLD + 3 * NEW) as u64, "{engine:?}");
        if engine == Engine::Jit {
            assert!(entered(&m).entered > 0, "{:?}", entered(&m));
        }
        ends.push(state(&m));
    }
    assert_eq!(ends[0], ends[1], "interpreter, block engine");
    assert_eq!(ends[0], ends[2], "interpreter, JIT");
}

/// `--max-insns` at every count over a stretch of the integer loop near and past the point
/// where a whole run no longer fits before the limit, with the loop compiled: the JIT stops
/// after exactly that many instructions, in the interpreter's state.
#[test]
fn a_compiled_loop_cut_short_anywhere_ends_in_the_same_state() {
    let code = crate::bench::INT_LOOP.code;
    for n in (MAX_RUN - 24..MAX_RUN + 40).chain(3 * MAX_RUN..3 * MAX_RUN + 17) {
        let mut ends = Vec::new();
        for engine in [Engine::Interp, Engine::Jit] {
            let mut m = machine(code, engine, Some(n), 2);
            m.hart.x[18] = 1_000_000; // s2: iterations, more than run here
            assert_eq!(m.run(), Exit::MaxInsns, "{engine:?} {n}");
            assert_eq!(m.hart.steps, n, "{engine:?}");
            if engine == Engine::Jit && n >= 3 * MAX_RUN {
                assert!(entered(&m).entered > 0, "{n}: {:?}", entered(&m));
            }
            ends.push(state(&m));
        }
        assert_eq!(ends[0], ends[1], "--max-insns {n}: interpreter, JIT");
    }
}

/// The bench's paged workloads (a few iterations): loads and stores that hit the MMU's fast
/// tables in compiled code (counted as TLB hits, with their stamps) and ones that miss them
/// in the middle of a region (served in the region by the MMU's common translation,
/// `jit_data_miss`, which may end the region when its refill drops the fetch page; or a
/// side exit, then the block engine's miss path): the same counters, TLB entries and
/// stamps as the interpreter.
#[test]
fn paged_workloads_count_the_same_tlb_hits_and_misses() {
    let mut drops = 0;
    // Each in its geometry, then in a TLB of four entries, where data refills evict the
    // fetch page's entry.
    let runs = bench::WORKLOADS
        .iter()
        .flat_map(|w| [(w, w.tlb), (w, Some("4x1"))]);
    for (w, tlb) in runs {
        if w.paged.is_none() && w.name != "int-loop" {
            continue;
        }
        let mut ends = Vec::new();
        let mut jit = JitStats::default();
        for engine in [Engine::Interp, Engine::Jit] {
            let mut cfg = MachineConfig {
                engine,
                jit_threshold: 2,
                jit_sync: true,
                ..MachineConfig::capture(Vec::new())
            };
            if let Some(t) = tlb {
                cfg.tlb = t.parse().expect("a geometry");
            }
            let mut m = bench::prepare(w, 3000, cfg).expect("the workload");
            assert_eq!(m.run(), Exit::Pass, "{} {engine:?}", w.name);
            if engine == Engine::Jit {
                jit = entered(&m);
            }
            ends.push(state(&m));
        }
        assert_eq!(
            ends[0], ends[1],
            "{} {tlb:?}: interpreter (left), JIT",
            w.name
        );
        assert!(jit.entered > 0, "{}: {jit:?}", w.name);
        if w.name.ends_with("-miss") {
            // Served in compiled code, not side exits.
            assert!(jit.misses_served > 0, "{}: {jit:?}", w.name);
        }
        drops += jit.misses_dropping_fetch;
    }
    // Some refill ended a region by dropping the fetch page, and the counts stayed exact.
    assert!(drops > 0);
}

/// One physical code page mapped at two virtual addresses, run at the first and then at
/// the second: the region compiled for the first (whose pcs are constants: AUIPC, links)
/// must not run at the second.
#[test]
fn one_code_page_at_two_virtual_addresses() {
    const S10: u32 = 26;
    const T2: u32 = 7;
    let mut code: Vec<u32> = vec![
        0x0000_0297,                    // 0: auipc t0, 0 (this page's virtual address)
        addi(T1, 0, 300),               // 4: li t1, 300
        addi(A0, A0, 1),                // 8: loop: addi a0, a0, 1
        r_type(0, 0, 0x33, A1, A1, T0), // 12: add a1, a1, t0
        addi(T1, T1, -1),               // 16
        bne_back(T1, 0, 12),            // 20: bnez t1, loop
        bne_fwd(S10, 0, 20),            // 24: bnez s10, done
        addi(S10, 0, 1),                // 28: li s10, 1
        0x0000_13b7,                    // 32: lui t2, 1
        r_type(0, 0, 0x33, T2, T0, T2), // 36: add t2, t0, t2
        0x0003_8067,                    // 40: jr t2 (the same code, one page up)
    ];
    code.extend(PAGED_PASS); // 44: done
    let w = sv39_workload("two-vas", code, false);
    let mut ends = Vec::new();
    for engine in [Engine::Interp, Engine::Jit] {
        let mut m = prepared(&w, engine);
        // Map the code's page at S_CODE_VA + 4 KiB too: the leaf after its own in the
        // same level-0 table.
        let at = leaf_pte(&m, bench::S_CODE_VA);
        let leaf = m.bus.ram.read_u64(PhysAddr(at)).expect("RAM");
        let next = PhysAddr(at + 8);
        m.bus
            .ram
            .write_bytes(next, &leaf.to_le_bytes())
            .expect("RAM");
        assert_eq!(m.run(), Exit::Pass, "{engine:?}");
        assert_eq!(m.hart.x[10], 600, "{engine:?}: both loops ran");
        if engine == Engine::Jit {
            let j = entered(&m);
            assert!(j.compiled > 0 && j.entered > 0, "{j:?}");
        }
        ends.push(state(&m));
    }
    assert_eq!(ends[0], ends[1], "interpreter (left), JIT");
}

/// A forward branch over a page's worth of compiled code stays exact (the region's
/// forward paths need no budget check), and x0 is never written.
#[test]
fn forward_branches_and_x0() {
    let mut code = vec![
        addi(S1, 0, 50),     // 0: li s1, 50
        addi(A0, A0, 1),     // 4: loop: addi a0, a0, 1
        addi(0, A0, 7),      // 8: addi x0, a0, 7 (no effect)
        bne_fwd(A0, 0, 12),  // 12: bnez a0, +12
        addi(A1, A1, 100),   // 16 (skipped)
        addi(A1, A1, 100),   // 20 (skipped)
        addi(A2, A2, 1),     // 24
        addi(S1, S1, -1),    // 28
        bne_back(S1, 0, 28), // 32: bnez s1, loop
    ];
    code.extend(PASS);
    let mut ends = Vec::new();
    for engine in [Engine::Interp, Engine::Jit] {
        let mut m = machine(&code, engine, Some(1_000_000), 1);
        assert_eq!(m.run(), Exit::Pass, "{engine:?}");
        assert_eq!(m.hart.x[0], 0);
        ends.push(state(&m));
    }
    assert_eq!(ends[0], ends[1], "interpreter (left), JIT");
}

/// A run of plain computations writes more registers than wait to be stored
/// (`compile::DIRTY`), one of them twice, then a load from a device, a side exit: the
/// block engine, which runs the load, must find every register the run wrote in memory.
/// (Threshold 3: the loop is decoded when its region is compiled.)
#[test]
fn registers_a_plain_run_wrote_are_stored_before_a_side_exit() {
    // lui s2, 0x2000 (s2 = CLINT_BASE: msip of hart 0, a device).
    let lui_s2 = ((crate::bus::CLINT_BASE as u32) & !0xfff) | 18 << 7 | 0x37;
    let mut code = vec![lui_s2, addi(S1, 0, 100)];
    let top = code.len();
    code.extend([addi(A0, A0, 1), addi(A1, A0, 3), addi(A0, A1, 5)]);
    // a2..a7, t0..t6: each from the one before (reads of values not yet stored).
    let regs = [12, 13, 14, 15, 16, 17, 5, 6, 7, 28, 29, 30, 31];
    let mut from = A0;
    for r in regs {
        code.push(addi(r, from, 1));
        from = r;
    }
    code.push(lw(19, 18, 0)); // lw s3, 0(s2): a side exit
    code.push(addi(S1, S1, -1));
    let back = ((code.len() - top) * 4) as u32;
    code.push(bne_back(S1, 0, back));
    code.extend(PASS);
    let mut ends = Vec::new();
    for engine in [Engine::Interp, Engine::Jit] {
        let mut m = machine(&code, engine, Some(1_000_000), 3);
        assert_eq!(m.run(), Exit::Pass, "{engine:?}");
        if engine == Engine::Jit {
            let j = entered(&m);
            assert!(j.side_exits >= 50, "{j:?}");
        }
        ends.push(state(&m));
    }
    assert_eq!(ends[0], ends[1], "interpreter (left), JIT");
}

/// JAL with link register `rd` and a positive offset `fwd` (a multiple of 2).
fn jal_fwd(rd: u32, fwd: u32) -> u32 {
    let off = fwd & 0x1f_ffff;
    let (b20, b11) = ((off >> 20) & 1, (off >> 11) & 1);
    let (lo, mid) = ((off >> 1) & 0x3ff, (off >> 12) & 0xff);
    (b20 << 31) | (lo << 21) | (b11 << 20) | (mid << 12) | (rd << 7) | 0x6f
}

/// Regions chain to each other (`jit_next`): a loop calls a function on the next page,
/// which returns by JALR, and closes by a JALR too, so every region ends at a jump to
/// another page or to a register's target and no region holds a backward jump (whose own
/// budget check would stop the run). The chain must change the fetch page as the block
/// engine does (the same TLB counts and stamps: paging is on in the bench workloads, here
/// the page change is Bare's) and stop at the budget itself: at every `--max-insns` around
/// a run's end the state is the interpreter's.
#[test]
fn regions_chain_across_pages_and_returns() {
    const RA: u32 = 1;
    const T3: u32 = 28;
    let mut code = vec![
        addi(S1, 0, 2000),         // 0: li s1, 2000
        (T3 << 7) | 0x17,          // 4: auipc t3, 0
        addi(T3, T3, 8),           // 8: t3 = loop
        jal_fwd(RA, 4096 - 12),    // 12: loop: jal ra, func (at 4096)
        addi(S1, S1, -1),          // 16
        beq_fwd(S1, 0, 8),         // 20: beqz s1, 28
        i_type(0, 0, 0x67, 0, T3), // 24: jr t3 (loop)
    ];
    code.extend(PASS);
    code.resize(1024, addi(0, 0, 0));
    code.extend([
        addi(A0, A0, 1),           // 4096: func: addi a0, a0, 1
        addi(A1, A1, 3),           // addi a1, a1, 3
        i_type(0, 0, 0x67, 0, RA), // jalr x0, 0(ra)
    ]);
    let ends = |max: Option<u64>| {
        [Engine::Interp, Engine::Jit].map(|engine| {
            let mut m = machine(&code, engine, max, 1);
            let exit = m.run();
            if max.is_none() {
                assert_eq!(exit, Exit::Pass, "{engine:?}");
                assert_eq!(m.hart.x[10], 2000, "{engine:?}: the function ran");
            }
            if engine == Engine::Jit && max.is_none() {
                let j = entered(&m);
                assert!(j.chained > j.entered, "regions chain: {j:?}");
            }
            format!("{exit:?} {}", state(&m))
        })
    };
    let [interp, jit] = ends(None);
    assert_eq!(interp, jit, "interpreter (left), JIT");
    for max in (6000..6040).chain(11_990..12_010) {
        let [interp, jit] = ends(Some(max));
        assert_eq!(interp, jit, "--max-insns {max}: interpreter (left), JIT");
    }
}

/// F and D in compiled code: FLD/FLW and FSD/FSW inline (the FP unit's state made Dirty,
/// single values NaN-boxed), the computations through `jit_fp`, in a loop whose results
/// and state must be the interpreter's; and with the FP unit off (mstatus.FS = Off), the
/// first FP instruction's illegal-instruction trap, taken by the block engine after a side
/// exit, as the interpreter takes it.
#[test]
fn fp_loads_stores_and_computations() {
    const F1: u32 = 1;
    const F2: u32 = 2;
    const F3: u32 = 3;
    const F4: u32 = 4;
    const F5: u32 = 5;
    let fld = |rd, rs1, imm| i_type(imm, 3, 0x07, rd, rs1);
    let flw = |rd, rs1, imm| i_type(imm, 2, 0x07, rd, rs1);
    let fsd = |rs2, rs1, imm| s_type(3, rs2, rs1, imm);
    let fsw = |rs2, rs1, imm| s_type(2, rs2, rs1, imm);
    // rm = 7: the dynamic rounding mode (frm, 0 here: to nearest).
    let fadd_d = |rd, a, b| r_type(0b000_0001, 7, 0x53, rd, a, b);
    let fmul_d = |rd, a, b| r_type(0b000_1001, 7, 0x53, rd, a, b);
    let fmv_x_d = |rd, a| r_type(0b111_0001, 0, 0x53, rd, a, 0);
    // FP CSR accesses (compiled through `jit_fp`): frflags, fsflags from a register,
    // fcsr read by the immediate form, frm written by it (rd = x0).
    const A4: u32 = 14;
    const A5: u32 = 15;
    const A6: u32 = 16;
    const A7: u32 = 17;
    let frflags = |rd| i_type(0x001, 2, 0x73, rd, 0);
    let csrrw_fflags = |rd, rs1| i_type(0x001, 1, 0x73, rd, rs1);
    let csrrsi_fcsr = |rd, uimm| i_type(0x003, 6, 0x73, rd, uimm);
    let csrwi_frm = |uimm| i_type(0x002, 5, 0x73, 0, uimm);
    let csrs_mstatus = i_type(0x300, 2, 0x73, 0, T0);
    let csrr_mstatus_a3 = i_type(0x300, 2, 0x73, 13, 0);
    let auipc_data = (DATA as u32) | (T1 << 7) | 0x17;
    for fp_on in [true, false] {
        let mut code = vec![
            auipc_data,  // auipc t1: t1 = RAM_BASE + DATA
            0x0000_22b7, // lui t0, 2 (mstatus.FS = Initial)
            if fp_on { csrs_mstatus } else { addi(0, 0, 0) },
            addi(S1, 0, 300),
            // A compiled FLD, then mstatus read out of line: FS must be Dirty already.
            fld(F1, T1, 0),
            csrr_mstatus_a3,
        ];
        let top = code.len() as u32 * 4;
        code.extend([
            fld(F1, T1, 0),
            fld(F2, T1, 8),
            fadd_d(F3, F1, F2),
            fmul_d(F4, F3, F1),
            fsd(F4, T1, 16),
            flw(F5, T1, 24),
            fsw(F5, T1, 28),
            fmv_x_d(A0, F4),
            fsd(F3, T1, 0),
            // a4 written just before the CSR read replaces it, and read just after.
            addi(A4, S1, 7),
            frflags(A4),
            addi(A7, A4, 1),
            csrrw_fflags(A5, S1),
            csrrsi_fcsr(A6, 0),
            csrwi_frm(0),
            addi(S1, S1, -1),
        ]);
        let here = code.len() as u32 * 4;
        code.push(bne_back(S1, 0, here - top));
        code.extend(PASS);
        let ends = [Engine::Interp, Engine::Jit].map(|engine| {
            let mut m = machine(&code, engine, Some(200_000), 1);
            for (i, v) in [1.5f64, 0.25, 0.0, f64::from_bits(0x4049_0fdb_0000_0000)]
                .iter()
                .enumerate()
            {
                let pa = PhysAddr(RAM_BASE + DATA + i as u64 * 8);
                m.bus.ram.write_bytes(pa, &v.to_le_bytes()).expect("RAM");
            }
            let exit = m.run();
            if fp_on {
                assert_eq!(exit, Exit::Pass, "{engine:?}");
            }
            if engine == Engine::Jit && fp_on {
                let j = entered(&m);
                // The loop, 300 times 17 instructions, runs compiled, its CSR accesses
                // too.
                assert!(
                    j.compiled > 0 && j.steps > 5000 && j.side_exits <= 1,
                    "compiled FP code ran: {j:?}"
                );
            }
            let data: Vec<u64> = (0..4)
                .map(|i| {
                    m.bus
                        .ram
                        .read_u64(PhysAddr(RAM_BASE + DATA + i * 8))
                        .expect("RAM")
                })
                .collect();
            format!(
                "{exit:?} {}\nf {:x?} fcsr {} {} mstatus {:#x}\ndata {data:x?}",
                state(&m),
                m.hart.fp.f,
                m.hart.fp.frm,
                m.hart.fp.fflags,
                m.hart.csr.mstatus
            )
        });
        assert_eq!(ends[0], ends[1], "FP on: {fp_on}: interpreter (left), JIT");
    }
}

/// Compiling in the background (the default): each bench workload leaves the same state as
/// on the interpreter, and the regions compiled meanwhile do run. Halfway through, the test
/// waits for the worker (`Hart::jit_wait`), so that the second half certainly finds its
/// loops compiled; the first half runs however far the worker has got.
#[test]
fn background_compiling_leaves_the_interpreters_state() {
    for w in bench::WORKLOADS {
        let cfg = |engine| MachineConfig {
            engine,
            jit_threshold: 2,
            tlb: w
                .tlb
                .map_or(Default::default(), |t| t.parse().expect("a geometry")),
            ..MachineConfig::capture(Vec::new())
        };
        let mut i = bench::prepare(w, 3000, cfg(Engine::Interp)).expect("the workload");
        assert_eq!(i.run(), Exit::Pass, "{} interpreter", w.name);
        let mut m = bench::prepare(w, 3000, cfg(Engine::Jit)).expect("the workload");
        assert_eq!(m.run_until(i.hart.steps / 2), None, "{}", w.name);
        m.hart.jit_wait();
        let half = entered(&m);
        assert_eq!(m.run(), Exit::Pass, "{} JIT", w.name);
        assert_eq!(state(&i), state(&m), "{}: interpreter (left), JIT", w.name);
        let j = entered(&m);
        assert!(j.entered > half.entered, "{}: {half:?}, then {j:?}", w.name);
    }
}

/// A machine on a counting loop (a0 = 100 at the end) whose JIT compiles in the background
/// and never on its own (the tests ask, [`ask`]), paused in the loop; and the loop's pc.
fn paused_in_a_loop() -> (Machine, u64) {
    let mut code = vec![
        addi(S1, 0, 100),   // 0: li s1, 100
        addi(A0, A0, 1),    // 4: loop: addi a0, a0, 1
        addi(S1, S1, -1),   // 8
        bne_back(S1, 0, 8), // 12: bnez s1, loop
    ];
    code.extend(PASS);
    let mut m = machine(&code, Engine::Jit, Some(1_000_000), 1);
    m.hart
        .enable_jit(Jit::new(u32::MAX, true).expect("a JIT for the host"));
    assert_eq!(m.run_until(20), None);
    assert_eq!(m.hart.icache.fetch_tag, RAM_BASE, "paused in the loop");
    (m, RAM_BASE + 4)
}

/// What `jit_enter` does at a hot entry at `pc` (on the fetch page): the entry's new value.
fn ask(m: &mut Machine, pc: u64) -> u32 {
    let mut jit = m.hart.icache.jit.take().expect("the JIT is on");
    let e = m.hart.jit_compile(&mut jit, pc);
    m.hart.icache.jit = Some(jit);
    // SAFETY: pc is on the fetch page (`paused_in_a_loop`), whose entry table is live.
    unsafe { *m.hart.icache.jit_entry(pc) = e };
    e
}

/// The JIT entry at `pc` (on the fetch page).
fn entry(m: &Machine, pc: u64) -> u32 {
    // SAFETY: as in `ask`.
    unsafe { *m.hart.icache.jit_entry(pc) }
}

/// The rest of the loop: the interpreter's result, with a compiled region run.
fn finish_the_loop(mut m: Machine) -> JitStats {
    assert_eq!(m.run(), Exit::Pass);
    assert_eq!(m.hart.x[A0 as usize], 100);
    let j = entered(&m);
    assert!(j.entered > 0, "{j:?}");
    j
}

/// A region the worker has compiled is installed by polling alone (`Hart::jit_poll`, as
/// the run loop and pending entries do), without waiting for the worker: the poll sees
/// from the worker's count of replies that one has come.
#[test]
fn a_pending_region_is_installed_by_polling() {
    let (mut m, pc) = paused_in_a_loop();
    assert_eq!(ask(&mut m, pc), PENDING);
    // A bound for a stuck worker only, far beyond a millisecond's compile.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    while entry(&m, pc) == PENDING {
        assert!(
            std::time::Instant::now() < deadline,
            "the worker's result was never polled in"
        );
        std::thread::sleep(std::time::Duration::from_millis(1));
        let mut jit = m.hart.icache.jit.take().expect("the JIT is on");
        m.hart.jit_poll(&mut jit);
        m.hart.icache.jit = Some(jit);
    }
    assert_eq!(entry(&m, pc), COMPILED, "the first region");
    finish_the_loop(m);
}

/// A region compiled in the background for an entry table that a store into the page's
/// code has reset since is not installed (it was made from slots the store cleared); asked
/// again, it is.
#[test]
fn a_region_compiled_before_a_store_into_its_page_is_dropped() {
    let (mut m, pc) = paused_in_a_loop();
    assert_eq!(ask(&mut m, pc), PENDING);
    // Rewrites the loop's first instruction with itself: the decoded slot is cleared.
    assert!(!m.hart.icache.note_store(pc, 4));
    m.hart.jit_wait();
    let j = entered(&m);
    assert_eq!((j.compiled, j.discarded), (1, 1), "{j:?}");
    assert_eq!(entry(&m, pc), 0, "counting again");
    // The cleared slot decoded again, asked again: installed.
    assert_eq!(m.run_until(40), None);
    assert_eq!(ask(&mut m, pc), PENDING);
    m.hart.jit_wait();
    assert_eq!(entry(&m, pc), COMPILED, "the first region");
    let j = finish_the_loop(m);
    assert_eq!((j.compiled, j.discarded), (2, 1), "{j:?}");
}

/// A flush (at the JIT's caps) while the worker has requests waits for it: nothing asked
/// before is installed after (each was skipped, or compiled and dropped), and the entries
/// count again; asked again, a region is installed and runs.
#[test]
fn a_flush_drops_what_the_worker_was_compiling() {
    let (mut m, pc) = paused_in_a_loop();
    let others = [pc + 4, pc + 8];
    for at in [pc].iter().chain(&others) {
        assert_eq!(ask(&mut m, *at), PENDING, "{at:#x}");
    }
    let mut jit = m.hart.icache.jit.take().expect("the JIT is on");
    m.hart.jit_flush(&mut jit);
    assert_eq!(jit.pending(), 0);
    assert!(jit.regions.is_empty());
    m.hart.icache.jit = Some(jit);
    m.hart.jit_wait();
    let j = entered(&m);
    assert_eq!(j.flushes, 1);
    assert_eq!(j.compiled, j.discarded, "none installed: {j:?}");
    for at in [pc].iter().chain(&others) {
        assert_eq!(entry(&m, *at), 0, "{at:#x}");
    }
    assert_eq!(ask(&mut m, pc), PENDING);
    m.hart.jit_wait();
    assert_eq!(entry(&m, pc), COMPILED, "the first region since the flush");
    finish_the_loop(m);
}

/// A change of page that `jit_next` remembers (`Jit::switches`) is not taken once the
/// target page's code changes. Under Sv39 with the kernel's gigapage map (code at its
/// physical address, 0x8000_1000), a loop calls a function on the next page, and halfway
/// through rewrites the function's first instruction (`addi a0, a0, 1` becomes
/// `addi a0, a0, 2`) through a second mapping of that page (the data page's leaf pointed at
/// it); the calls after it must run the new instruction, as on the interpreter.
#[test]
fn remembered_page_changes_see_rewritten_code() {
    const RA: u32 = 1;
    const T2: u32 = 7;
    let code = vec![
        (0x50000 << 12) | (T0 << 7) | 0x37, // 0: lui t0, 0x50000 (S_DATA_VA)
        addi(S1, 0, 2000),                  // 4
        (0x250 << 12) | (T1 << 7) | 0x37,   // 8: lui t1, 0x250
        addi(T1, T1, 0x513),                // 12: t1 = addi a0, a0, 2
        addi(T2, 0, 1000),                  // 16
        jal_fwd(RA, 4096 - 20),             // 20: loop: jal ra, func
        addi(S1, S1, -1),                   // 24
        bne_fwd(S1, T2, 8),                 // 28: bne s1, t2, 36
        sw(T1, T0, 0),                      // 32: rewrite the function's first instruction
        bne_back(S1, 0, 16),                // 36: bnez s1, loop
    ];
    let func = [addi(A0, A0, 1), addi(A1, A1, 3), i_type(0, 0, 0x67, 0, RA)];
    let w = caller_and_callee("rewrite", &code, &func);
    let ends = [Engine::Interp, Engine::Jit].map(|engine| {
        let mut m = prepared(&w, engine);
        // Point the data page's leaf at the function's physical page, keeping its flags
        // (R W).
        let at = leaf_pte(&m, bench::S_DATA_VA);
        let old = m.bus.ram.read_u64(PhysAddr(at)).expect("RAM");
        let leaf = (old & 0x3ff) | ((RAM_BASE + 0x2000) >> 12) << 10;
        m.bus
            .ram
            .write_bytes(PhysAddr(at), &leaf.to_le_bytes())
            .expect("RAM");
        assert_eq!(m.run(), Exit::Pass, "{engine:?}");
        assert_eq!(
            m.hart.x[10],
            1000 + 2 * 1000,
            "{engine:?}: the new code ran"
        );
        if engine == Engine::Jit {
            let j = entered(&m);
            assert!(j.chained > 1000, "regions chain: {j:?}");
        }
        state(&m)
    });
    assert_eq!(ends[0], ends[1], "interpreter (left), JIT");
}

/// A region given up (it side-exits at every call: its first instruction loads from a
/// device, which no compiled load serves) is entered no more, also not through a change
/// of page `jit_next` remembered into it (`Jit::switches`). Under Sv39 with the kernel's
/// gigapage map, a loop calls a function on the next page that reads the finisher; after
/// its demotion the block engine runs the function, so the side exits stop near the
/// demotion threshold instead of growing with the calls. The state is the interpreter's.
#[test]
fn a_region_given_up_is_not_entered_through_a_remembered_switch() {
    const RA: u32 = 1;
    const S8: u32 = 24; // the finisher's address (`PAGED_PASS`)
    const CALLS: i32 = 2000;
    let code = vec![
        addi(S1, 0, CALLS),    // 0
        jal_fwd(RA, 4096 - 4), // 4: loop: jal ra, func
        addi(S1, S1, -1),      // 8
        bne_back(S1, 0, 8),    // 12: bnez s1, loop
    ];
    // func: a load from the finisher (a device), then back.
    let func = [lw(A2, S8, 0), addi(A0, A0, 1), i_type(0, 0, 0x67, 0, RA)];
    let w = caller_and_callee("demoted", &code, &func);
    let ends = [Engine::Interp, Engine::Jit].map(|engine| {
        let mut m = prepared(&w, engine);
        assert_eq!(m.run(), Exit::Pass, "{engine:?}");
        assert_eq!(m.hart.x[10], CALLS as u64, "{engine:?}: every call ran");
        if engine == Engine::Jit {
            let j = entered(&m);
            assert_eq!(j.demoted, 1, "{j:?}");
            assert!(j.chained > CALLS as u64, "regions chain: {j:?}");
            assert!(
                j.side_exits < 2 * DEMOTE_AFTER as u64,
                "the region given up still runs: {j:?}"
            );
        }
        state(&m)
    });
    assert_eq!(ends[0], ends[1], "interpreter (left), JIT");
}

/// M-mode under a locked PMP entry: loads and stores are neither direct (PMP may object) nor
/// translated, and the fast tables' entries stand for no TLB slot. Regions compiled for
/// that context (`DataPath::Bare`) count no TLB hits and write no stamps, and leave the
/// state the interpreter leaves; the TLB counts nothing throughout.
#[test]
fn m_mode_under_a_locked_pmp_entry_runs_bare_regions() {
    let csrw = |csr: i32, rs1: u32| i_type(csr, 1, 0x73, 0, rs1);
    let mut code = vec![
        (DATA as u32) | (T0 << 7) | 0x17, // auipc t0, DATA >> 12: t0 = RAM_BASE + DATA
        addi(A2, 0, -1),
        csrw(0x3b0, A2), // pmpaddr0: all of memory (NAPOT)
        addi(A2, 0, 0x9f),
        csrw(0x3a0, A2), // pmpcfg0: locked, NAPOT, RWX
        addi(S1, 0, 50),
    ];
    // The loop: a load, an add and a store on each of four pages.
    let top = code.len() * 4;
    for page in 0..4 {
        code.push(addi(T1, T0, 0));
        for _ in 0..page {
            code.push(addi(T1, T1, 0x7ff));
            code.push(addi(T1, T1, 0x7ff));
            code.push(addi(T1, T1, 2));
        }
        code.push(ld(A0, T1, 8));
        code.push(addi(A0, A0, page + 1));
        code.push(sd(A0, T1, 8));
    }
    code.push(addi(S1, S1, -1));
    let here = code.len() * 4;
    code.push(bne_back(S1, 0, (here - top) as u32));
    code.extend(PASS);
    let mut ends = Vec::new();
    for engine in [Engine::Interp, Engine::Jit] {
        let mut m = machine(&code, engine, Some(1_000_000), 1);
        assert_eq!(m.run(), Exit::Pass, "{engine:?}");
        for page in 0..4u64 {
            let pa = PhysAddr(RAM_BASE + DATA + page * 4096 + 8);
            assert_eq!(m.bus.ram.read_u64(pa), Some(50 * (page + 1)), "{engine:?}");
        }
        let tlb = m.hart.mmu.tlb.stats();
        assert_eq!(
            tlb.load.lookups + tlb.store.lookups,
            0,
            "{engine:?}: {tlb:?}"
        );
        if engine == Engine::Jit {
            let j = entered(&m);
            assert!(j.entered > 0, "{j:?}");
            let jit = m.hart.icache.jit.as_ref().expect("the JIT is on");
            assert!(jit.regions.iter().any(|r| r.data == DataPath::Bare));
        }
        ends.push(state(&m));
    }
    assert_eq!(ends[0], ends[1], "interpreter (left), JIT");
}
