//! `rvmmu bench`: guest speed on fixed workloads, measured on the host's clock.
//!
//! Each workload is a guest program carried here as encoded instructions (so the command
//! needs no cross compiler); a unit test disassembles them back to their source text. A run
//! boots the machine normally (boot ROM, then the program at 0x8000_0000) and ends at the
//! test finisher. Results are reported as the median of several runs, in millions of guest
//! instructions per host second (MIPS). Record them in docs/PERFORMANCE.md.

use crate::addr::PhysAddr;
use crate::machine::{Exit, Machine, MachineConfig, MachineError};
use crate::mmu::pte::{Pte, PteFlags};
use std::time::Instant;

/// A benchmark workload.
pub struct Workload {
    pub name: &'static str,
    pub what: &'static str,
    /// The program, loaded at 0x8000_0000.
    pub code: &'static [u32],
    /// Guest instructions per loop iteration (for the report).
    pub insns_per_iter: u64,
    /// For a paged workload, the S-mode part and the data it walks over.
    pub paged: Option<Paged>,
}

/// The S-mode half of a paged workload. The harness plays boot loader: it builds Sv39 page
/// tables in guest RAM (4 KiB leaves with A and D already set, as a kernel that maps eagerly
/// does, so the loop measures translation rather than A/D writes) and hands the M-mode
/// prologue [`PAGED_PROLOGUE`] the values it needs in registers:
/// s2 = iterations, s3 = satp, s4 = [`S_CODE_VA`], s5 = [`S_DATA_VA`],
/// s6 = `stride`, s7 = end of the data, s8 = the test finisher's virtual address.
pub struct Paged {
    /// Loaded at PA 0x8000_1000 and mapped at [`S_CODE_VA`] (one page, R X).
    pub code: &'static [u32],
    /// Data pages mapped (R W) from [`S_DATA_VA`] to PA [`S_DATA_PA`] on.
    pub data_pages: u64,
    /// Bytes the loop's pointer advances per iteration.
    pub stride: u64,
    /// Instead of paging: the code runs in U-mode with satp Bare, confined by PMP segments
    /// (a kernel's segmented mode), at its physical address PA 0x8000_1000, its data at
    /// [`S_DATA_PA`]; the M-mode prologue is [`SEGMENT_PROLOGUE`].
    pub segments: bool,
}

/// Where the S-mode code of a paged workload runs.
pub const S_CODE_VA: u64 = 0x4000_0000;
/// Where its data is mapped, and the physical pages behind it.
pub const S_DATA_VA: u64 = 0x5000_0000;
pub const S_DATA_PA: u64 = 0x8100_0000;
/// The page tables' physical home (root first).
const PT_PA: u64 = 0x8010_0000;
/// The test finisher, mapped at its physical address.
const FINISHER: u64 = 0x10_0000;

/// Integer loop, paging off: a load, a store and five ALU operations per iteration, on one
/// data word; the iteration count arrives in s2.
pub const INT_LOOP: Workload = Workload {
    name: "int-loop",
    what: "integer loop, paging off (ld/add/xor/sd/srli/add/addi/bnez)",
    code: &[
        0x00090293, // mv    t0,s2
        0x800105b7, // lui   a1,0x80010
        0x02059593, // slli  a1,a1,0x20
        0x0205d593, // srli  a1,a1,0x20
        0x00000613, // li    a2,0
        0x0005b303, // loop: ld t1,0(a1)
        0x00530333, // add   t1,t1,t0
        0x005343b3, // xor   t2,t1,t0
        0x0065b023, // sd    t1,0(a1)
        0x0033de13, // srli  t3,t2,0x3
        0x01c60633, // add   a2,a2,t3
        0xfff28293, // addi  t0,t0,-1
        0xfe0292e3, // bnez  t0,loop
        0x00100eb7, // lui   t4,0x100        (test finisher)
        0x00005f37, // lui   t5,0x5
        0x555f0f1b, // addiw t5,t5,1365      (0x5555: pass)
        0x01eea023, // sw    t5,0(t4)
        0x0000006f, // j     .
    ],
    insns_per_iter: 8,
    paged: None,
};

/// M-mode prologue of the paged workloads: open PMP to S-mode (entry 0, NAPOT over
/// everything, R W X), set satp, and mret into S-mode at s4.
pub const PAGED_PROLOGUE: &[u32] = &[
    0xfff00293, // li    t0,-1
    0x3b029073, // csrw  pmpaddr0,t0
    0x01f00293, // li    t0,31           (NAPOT | X | W | R)
    0x3a029073, // csrw  pmpcfg0,t0
    0x18099073, // csrw  satp,s3
    0x00100293, // li    t0,1
    0x00b29293, // slli  t0,t0,0xb       (mstatus.MPP = S)
    0x30029073, // csrw  mstatus,t0
    0x341a1073, // csrw  mepc,s4
    0x30200073, // mret
];

/// The end of every paged workload: 0x5555 (pass) to the finisher at s8.
const S_EXIT: [u32; 4] = [
    0x00005f37, // lui   t5,0x5
    0x555f0f1b, // addiw t5,t5,1365      (0x5555: pass)
    0x01ec2023, // sw    t5,0(s8)
    0x0000006f, // j     .
];

/// The integer loop of [`INT_LOOP`] for a paged or segmented workload: its data word at s5,
/// the finisher at s8.
const RESIDENT_LOOP: &[u32] = &[
    0x00090293, // mv    t0,s2
    0x000a8593, // mv    a1,s5
    0x00000613, // li    a2,0
    0x0005b303, // loop: ld t1,0(a1)
    0x00530333, // add   t1,t1,t0
    0x005343b3, // xor   t2,t1,t0
    0x0065b023, // sd    t1,0(a1)
    0x0033de13, // srli  t3,t2,0x3
    0x01c60633, // add   a2,a2,t3
    0xfff28293, // addi  t0,t0,-1
    0xfe0292e3, // bnez  t0,loop
    S_EXIT[0], S_EXIT[1], S_EXIT[2], S_EXIT[3],
];

/// The integer loop under Sv39: the same eight instructions as [`INT_LOOP`], on one data
/// word, with code and data on 4 KiB pages that stay in the TLB.
pub const TLB_RESIDENT: Workload = Workload {
    name: "sv39-hit",
    what: "the integer loop in S-mode under Sv39, its two pages TLB-resident",
    code: PAGED_PROLOGUE,
    insns_per_iter: 8,
    paged: Some(Paged {
        code: RESIDENT_LOOP,
        data_pages: 1,
        stride: 0,
        segments: false,
    }),
};

/// M-mode prologue of the segmented workload: PMP segments for the U-mode code (s4, one
/// page, R X: entries 0 OFF and 1 TOR), its data (s5, one page, R W: entries 2 OFF and 3
/// TOR) and the finisher's page (s8, R W: entry 4 NAPOT), no other entry; satp Bare; mret
/// into U-mode at s4.
pub const SEGMENT_PROLOGUE: &[u32] = &[
    0x002a5293, // srli  t0,s4,0x2
    0x3b029073, // csrw  pmpaddr0,t0
    0x40028293, // addi  t0,t0,1024
    0x3b129073, // csrw  pmpaddr1,t0
    0x002ad293, // srli  t0,s5,0x2
    0x3b229073, // csrw  pmpaddr2,t0
    0x40028293, // addi  t0,t0,1024
    0x3b329073, // csrw  pmpaddr3,t0
    0x002c5293, // srli  t0,s8,0x2
    0x1ff2e293, // ori   t0,t0,511
    0x3b429073, // csrw  pmpaddr4,t0
    0x01b0b2b7, // lui   t0,0x1b0b
    0x0012829b, // addiw t0,t0,1
    0x00c29293, // slli  t0,t0,0xc
    0xd0028293, // addi  t0,t0,-768      (0x1b_0b00_0d00: TOR|X|R, TOR|W|R, NAPOT|W|R)
    0x3a029073, // csrw  pmpcfg0,t0
    0x18001073, // csrw  satp,zero
    0x30001073, // csrw  mstatus,zero    (mstatus.MPP = U)
    0x341a1073, // csrw  mepc,s4
    0x30200073, // mret
];

/// The integer loop in U-mode with satp Bare, its code and data each one PMP segment (the
/// TLB plays no part; PMP checks every access).
pub const PMP_SEGMENTS: Workload = Workload {
    name: "u-bare-pmp",
    what: "the integer loop in U-mode, satp Bare, code and data in PMP TOR segments",
    code: SEGMENT_PROLOGUE,
    insns_per_iter: 8,
    paged: Some(Paged {
        code: RESIDENT_LOOP,
        data_pages: 1,
        stride: 0,
        segments: true,
    }),
};

/// A load and a store per iteration to the next of 512 pages in turn: with the default
/// 64-entry TLB every load misses and walks (the store then hits the refilled entry).
pub const TLB_THRASH: Workload = Workload {
    name: "sv39-miss",
    what: "S-mode under Sv39, a load and a store striding over 512 pages (TLB misses)",
    code: PAGED_PROLOGUE,
    insns_per_iter: 7,
    paged: Some(Paged {
        code: &[
            0x00090293, // mv    t0,s2
            0x000a8593, // mv    a1,s5
            0x0005b303, // loop: ld t1,0(a1)
            0x00530333, // add   t1,t1,t0
            0x0065b023, // sd    t1,0(a1)
            0x016585b3, // add   a1,a1,s6
            0x0175e463, // bltu  a1,s7,next
            0x000a8593, // mv    a1,s5
            0xfff28293, // next: addi t0,t0,-1
            0xfe0292e3, // bnez  t0,loop
            S_EXIT[0], S_EXIT[1], S_EXIT[2], S_EXIT[3],
        ],
        data_pages: 512,
        stride: 4096,
        segments: false,
    }),
};

/// Every workload.
pub const WORKLOADS: &[&Workload] = &[&INT_LOOP, &TLB_RESIDENT, &TLB_THRASH, &PMP_SEGMENTS];

/// Builds Sv39 tables mapping `va` → `pa` (4 KiB leaf with `flags`), taking new tables from
/// `next_table`. Returns nothing: the harness only ever maps fresh, distinct pages.
fn map_4k(m: &mut Machine, next_table: &mut u64, va: u64, pa: u64, flags: PteFlags) {
    let mut table = PT_PA;
    for level in (1..3).rev() {
        let slot = table + ((va >> (12 + 9 * level)) & 0x1ff) * 8;
        let pte = Pte(m.bus.ram.read_u64(PhysAddr(slot)).unwrap_or(0));
        table = if pte.flags().contains(PteFlags::V) {
            pte.ppn() << 12
        } else {
            let t = *next_table;
            *next_table += 4096;
            let _ = m.bus.ram.write(
                PhysAddr(slot),
                Pte::new(t >> 12, PteFlags::V).0.to_le_bytes(),
            );
            t
        };
    }
    let slot = table + ((va >> 12) & 0x1ff) * 8;
    let leaf = Pte::new(pa >> 12, flags | PteFlags::V | PteFlags::A | PteFlags::D);
    let _ = m.bus.ram.write(PhysAddr(slot), leaf.0.to_le_bytes());
}

/// Loads a paged workload's S-mode code and page tables, and sets the prologue's registers.
fn set_up_paging(m: &mut Machine, p: &Paged, iterations: u64) -> Result<(), MachineError> {
    let code: Vec<u8> = p.code.iter().flat_map(|i| i.to_le_bytes()).collect();
    m.bus
        .ram
        .write_bytes(PhysAddr(crate::bus::RAM_BASE + 0x1000), &code)
        .map_err(|e| MachineError::Guest(e.to_string()))?;
    if p.segments {
        let x = &mut m.hart.x;
        x[18] = iterations; // s2
        x[20] = crate::bus::RAM_BASE + 0x1000; // s4
        x[21] = S_DATA_PA; // s5
        x[24] = FINISHER; // s8
        return Ok(());
    }
    let mut next = PT_PA + 4096;
    map_4k(
        m,
        &mut next,
        S_CODE_VA,
        crate::bus::RAM_BASE + 0x1000,
        PteFlags::R | PteFlags::X,
    );
    for i in 0..p.data_pages {
        let (va, pa) = (S_DATA_VA + i * 4096, S_DATA_PA + i * 4096);
        map_4k(m, &mut next, va, pa, PteFlags::R | PteFlags::W);
    }
    map_4k(m, &mut next, FINISHER, FINISHER, PteFlags::R | PteFlags::W);
    let x = &mut m.hart.x;
    x[18] = iterations; // s2
    x[19] = (crate::mmu::satp_mode::SV39 << 60) | (PT_PA >> 12); // s3
    x[20] = S_CODE_VA; // s4
    x[21] = S_DATA_VA; // s5
    x[22] = p.stride; // s6
    x[23] = S_DATA_VA + p.data_pages * 4096; // s7
    x[24] = FINISHER; // s8
    Ok(())
}

/// One measured run.
#[derive(Clone, Copy, Debug)]
pub struct Sample {
    pub instructions: u64,
    pub seconds: f64,
    /// The TLB's counters at the end of the run.
    pub tlb: crate::mmu::tlb::TlbStats,
}

impl Sample {
    pub fn mips(&self) -> f64 {
        self.instructions as f64 / self.seconds.max(1e-9) / 1e6
    }
}

/// Runs `w` once with `iterations` loop iterations.
pub fn run_once(w: &Workload, iterations: u64) -> Result<Sample, MachineError> {
    run_once_on(w, iterations, crate::hart::Engine::default())
}

/// [`run_once`] on the given instruction loop.
pub fn run_once_on(
    w: &Workload,
    iterations: u64,
    engine: crate::hart::Engine,
) -> Result<Sample, MachineError> {
    let cfg = MachineConfig {
        engine,
        ..MachineConfig::capture(Vec::new())
    };
    let (m, seconds) = run_timed(w, iterations, cfg)?;
    Ok(Sample {
        instructions: m.hart.steps,
        seconds,
        tlb: *m.hart.mmu.tlb.stats(),
    })
}

/// One run of `w` with every translation traced (text records) to `out`: how many records
/// were written, and in how long (the writing included: the tracer's last flush is inside
/// the timed run).
pub fn run_traced(
    w: &Workload,
    iterations: u64,
    out: Box<dyn std::io::Write>,
) -> Result<(u64, f64), MachineError> {
    let cfg = MachineConfig {
        trace: Some(crate::machine::TraceConfig {
            out,
            format: crate::trace::Format::Text,
            insns: false,
            translations: Some(crate::trace::Filter::default()),
            events: Default::default(),
            pid: None,
        }),
        ..MachineConfig::capture(Vec::new())
    };
    let (m, seconds) = run_timed(w, iterations, cfg)?;
    let records = m.hart.mmu.tracer.as_ref().map_or(0, |t| t.records);
    Ok((records, seconds))
}

/// Prepares `w` on a machine configured by `cfg` and runs it to its end: the machine after
/// the run and the run's seconds. A run that does not pass is an error.
fn run_timed(
    w: &Workload,
    iterations: u64,
    cfg: MachineConfig,
) -> Result<(Machine, f64), MachineError> {
    let mut m = prepare(w, iterations, cfg)?;
    let start = Instant::now();
    let exit = m.run();
    let seconds = start.elapsed().as_secs_f64();
    if exit != Exit::Pass {
        return Err(MachineError::Guest(format!(
            "benchmark {} ended with {exit:?}",
            w.name
        )));
    }
    Ok((m, seconds))
}

/// A machine configured by `cfg` with `w` loaded, ready to run `iterations` iterations.
pub fn prepare(w: &Workload, iterations: u64, cfg: MachineConfig) -> Result<Machine, MachineError> {
    let mut m = Machine::new(cfg)?;
    let bytes: Vec<u8> = w.code.iter().flat_map(|i| i.to_le_bytes()).collect();
    m.load_image(PhysAddr(crate::bus::RAM_BASE), &bytes, crate::bus::RAM_BASE)?;
    m.hart.x[18] = iterations; // s2
    if let Some(p) = &w.paged {
        set_up_paging(&mut m, p, iterations)?;
    }
    Ok(m)
}

/// The median of `runs` samples, by speed.
pub fn median(mut samples: Vec<Sample>) -> Sample {
    samples.sort_by(|a, b| a.mips().total_cmp(&b.mips()));
    samples[samples.len() / 2]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hart::disasm::disassemble;

    #[test]
    fn the_int_loop_is_the_program_its_comments_say() {
        let text: Vec<String> = INT_LOOP
            .code
            .iter()
            .enumerate()
            .map(|(i, w)| disassemble(*w, 0x8000_0000 + 4 * i as u64))
            .collect();
        assert_eq!(text[0], "mv\tt0,s2");
        assert_eq!(text[5], "ld\tt1,0(a1)");
        assert_eq!(text[12], "bnez\tt0,80000014");
        assert_eq!(text[17], "j\t80000044");
    }

    #[test]
    fn the_paged_workloads_are_the_programs_their_comments_say() {
        let dis = |code: &[u32], base: u64| -> Vec<String> {
            code.iter()
                .enumerate()
                .map(|(i, w)| disassemble(*w, base + 4 * i as u64))
                .collect()
        };
        let pro = dis(PAGED_PROLOGUE, 0x8000_0000);
        assert_eq!(pro[1], "csrw\tpmpaddr0,t0");
        assert_eq!(pro[4], "csrw\tsatp,s3");
        assert_eq!(pro[8], "csrw\tmepc,s4");
        assert_eq!(pro[9], "mret");
        let hit = dis(TLB_RESIDENT.paged.as_ref().unwrap().code, S_CODE_VA);
        assert_eq!(hit[3], "ld\tt1,0(a1)");
        assert_eq!(hit[10], "bnez\tt0,4000000c");
        assert_eq!(hit[13], "sw\tt5,0(s8)");
        let miss = dis(TLB_THRASH.paged.as_ref().unwrap().code, S_CODE_VA);
        assert_eq!(miss[5], "add\ta1,a1,s6");
        assert_eq!(miss[6], "bltu\ta1,s7,40000020");
        assert_eq!(miss[9], "bnez\tt0,40000008");
    }

    #[test]
    fn short_paged_runs_pass_with_the_tlb_behaving_as_designed() {
        // 1000 iterations: set-up and exit are a few dozen instructions.
        let s = run_once(&TLB_RESIDENT, 1000).unwrap();
        assert!(s.instructions > 8000 && s.instructions < 8100, "{s:?}");
        // One data page, touched first by a load: one load miss; the loop's stores all hit,
        // and the exit's store to the finisher's page misses.
        assert_eq!((s.tlb.load.lookups, s.tlb.load.misses), (1000, 1));
        assert_eq!((s.tlb.store.lookups, s.tlb.store.misses), (1001, 1));
        let s = run_once(&TLB_THRASH, 1024).unwrap();
        assert!(
            s.instructions > 7 * 1024 && s.instructions < 7 * 1024 + 100,
            "{s:?}"
        );
        // 512 pages round-robin through 64 entries: every load misses, and the store after
        // it hits the entry the load's walk refilled.
        assert_eq!((s.tlb.load.lookups, s.tlb.load.misses), (1024, 1024));
        assert_eq!((s.tlb.store.lookups, s.tlb.store.misses), (1025, 1));
    }

    /// The MMU's fast path changes nothing observable: same exit, instruction count, TLB
    /// and walker counters, and TLB contents with their LRU stamps, on every workload and
    /// with TLB geometries that make the fetch page's entry a victim candidate.
    #[test]
    fn the_fast_path_changes_no_counter_and_no_tlb_state() {
        for w in WORKLOADS {
            for tlb in ["64x4", "8x1", "2xfull", "16x2"] {
                let run = |fast: bool| {
                    let cfg = MachineConfig {
                        tlb: tlb.parse().unwrap(),
                        mmu_fast_path: fast,
                        ..MachineConfig::capture(Vec::new())
                    };
                    let mut m = prepare(w, 3000, cfg).unwrap();
                    let exit = m.run();
                    let mmu = &m.hart.mmu;
                    let entries: Vec<_> = mmu.tlb.entries().collect();
                    let state = format!("{:?} {:?} {:?}", mmu.tlb.stats(), mmu.stats, entries);
                    (exit, m.hart.steps, state)
                };
                let (slow, fast) = (run(false), run(true));
                assert_eq!(slow.0, Exit::Pass, "{} {tlb}", w.name);
                assert_eq!(slow, fast, "{} with --tlb {tlb}", w.name);
            }
        }
    }

    #[test]
    fn the_segmented_workload_runs_in_u_mode_without_the_tlb() {
        let pro: Vec<String> = SEGMENT_PROLOGUE
            .iter()
            .enumerate()
            .map(|(i, w)| disassemble(*w, 0x8000_0000 + 4 * i as u64))
            .collect();
        assert_eq!(pro[3], "csrw\tpmpaddr1,t0");
        assert_eq!(pro[15], "csrw\tpmpcfg0,t0");
        assert_eq!(pro[19], "mret");
        let mut m = prepare(&PMP_SEGMENTS, 1000, MachineConfig::capture(Vec::new())).unwrap();
        assert_eq!(m.run(), Exit::Pass);
        // The prologue's value of pmpcfg0: entries 1 and 3 TOR, entry 4 NAPOT.
        assert_eq!(m.hart.mmu.pmp.read_cfg(0), 0x1b_0b00_0d00);
        assert_eq!(m.hart.prv, crate::hart::Priv::U);
        // Satp Bare: the TLB was never asked.
        let t = m.hart.mmu.tlb.stats();
        assert_eq!(
            t.fetch.lookups + t.load.lookups + t.store.lookups,
            0,
            "{t:?}"
        );
        assert!(
            m.hart.steps > 8000 && m.hart.steps < 8100,
            "{}",
            m.hart.steps
        );
    }

    #[test]
    fn a_short_run_passes_and_counts_its_instructions() {
        let s = run_once(&INT_LOOP, 1000).unwrap();
        // Boot ROM (6) + set-up (5) + loop + exit sequence (4, the last store retires).
        assert_eq!(s.instructions, 6 + 5 + 1000 * INT_LOOP.insns_per_iter + 4);
    }
}
