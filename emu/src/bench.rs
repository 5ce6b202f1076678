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
    /// The TLB geometry the workload is measured with (`--tlb`'s syntax), None for the
    /// default.
    pub tlb: Option<&'static str>,
}

/// The S-mode half of a paged workload. The harness plays boot loader: it builds Sv39 or
/// Sv48 page tables in guest RAM (leaves with A and D already set, as a kernel that maps
/// eagerly does, so the loop measures translation rather than A/D writes) and hands the
/// M-mode prologue [`PAGED_PROLOGUE`] the values it needs in registers:
/// s2 = iterations, s3 = satp, s4 = the code's virtual address, s5 = [`S_DATA_VA`],
/// s6 = `stride`, s7 = end of the data, s8 = the test finisher's virtual address, and with
/// two address spaces s9 = the XOR of their satp values.
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
    /// How code and devices are mapped. False: the code on one 4 KiB page at [`S_CODE_VA`],
    /// the finisher on one 4 KiB page. True: as a kernel maps itself, by 1 GiB global
    /// gigapages at their physical addresses (RAM from 0x8000_0000 R X, devices from 0 R W),
    /// so the TLB always holds a superpage entry besides the data's 4 KiB ones; the code
    /// then runs at its physical address, PA 0x8000_1000.
    pub kernel_map: bool,
    /// The paging mode's level count: 3 (Sv39) or 4 (Sv48).
    pub levels: u8,
    /// Two address spaces, ASIDs 1 (satp in s3) and 2, mapping the same data addresses to
    /// different physical pages (the second space's follow the first's), and the same
    /// global kernel map (`kernel_map` must be set). The loop switches between them by
    /// writing satp without a fence, so the entries of both stay in the TLB.
    pub two_spaces: bool,
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
    tlb: None,
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
        kernel_map: false,
        levels: 3,
        two_spaces: false,
    }),
    tlb: None,
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
        kernel_map: false,
        levels: 3,
        two_spaces: false,
    }),
    tlb: None,
};

/// A load and a store per iteration to the next page (s6 = 4096) of the data, round and
/// round.
const STRIDE_LOOP: &[u32] = &[
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
];

/// A load and a store per iteration to the next of 512 pages in turn: with the default
/// 64-entry TLB every load misses and walks (the store then hits the refilled entry).
pub const TLB_THRASH: Workload = Workload {
    name: "sv39-miss",
    what: "S-mode under Sv39, a load and a store striding over 512 pages (TLB misses)",
    code: PAGED_PROLOGUE,
    insns_per_iter: 7,
    paged: Some(Paged {
        code: STRIDE_LOOP,
        data_pages: 512,
        stride: 4096,
        segments: false,
        kernel_map: false,
        levels: 3,
        two_spaces: false,
    }),
    tlb: None,
};

/// The stride loop over `data_pages` pages under a kernel's map: code and devices in 1 GiB
/// gigapages, data in 4 KiB pages.
const fn kernel_stride(data_pages: u64, levels: u8) -> Paged {
    Paged {
        code: STRIDE_LOOP,
        data_pages,
        stride: 4096,
        segments: false,
        kernel_map: true,
        levels,
        two_spaces: false,
    }
}

/// A workload of [`kernel_stride`]'s loop (7 instructions an iteration, entered by
/// [`PAGED_PROLOGUE`]) over `data_pages` pages with `levels` levels of paging, on the
/// default TLB or the geometry `tlb`.
const fn kernel_stride_workload(
    name: &'static str,
    what: &'static str,
    data_pages: u64,
    levels: u8,
    tlb: Option<&'static str>,
) -> Workload {
    Workload {
        name,
        what,
        code: PAGED_PROLOGUE,
        insns_per_iter: 7,
        paged: Some(kernel_stride(data_pages, levels)),
        tlb,
    }
}

/// 64 data pages, a load and a store to each in turn, the code in a gigapage: the working
/// set of a TLB-resident loop as a kernel maps it. With the default 64-entry TLB (16 sets
/// of 4) each set holds four of the pages, and the set the code's gigapage lives in
/// (set 2) has room for three of its four: those four pages miss on every pass, the other
/// 60 stay resident.
pub const GIGA_RESIDENT: Workload = kernel_stride_workload(
    "sv39-giga-64",
    "S-mode under Sv39, code in a gigapage, a load and a store striding over 64 pages",
    64,
    3,
    None,
);

/// [`TLB_THRASH`] as a kernel maps itself: code and devices in gigapages, so the TLB holds
/// a superpage entry among the 4 KiB ones it thrashes (every load misses and walks).
pub const GIGA_THRASH: Workload = kernel_stride_workload(
    "sv39-giga-miss",
    "S-mode under Sv39, code in a gigapage, a load and a store striding over 512 pages",
    512,
    3,
    None,
);

/// [`GIGA_THRASH`] with a TLB large enough for all 512 pages (1024 entries, 4 ways): after
/// the first pass every access hits, but the fast path's direct-mapped table holds fewer
/// pages, so the hits are served by the modelled TLB.
pub const GIGA_BIG_TLB: Workload = kernel_stride_workload(
    "sv39-giga-1024x4",
    "sv39-giga-miss with --tlb 1024x4: 512 pages TLB-resident",
    512,
    3,
    Some("1024x4"),
);

/// [`GIGA_THRASH`] under Sv48: one more level per walk.
pub const SV48_GIGA_THRASH: Workload = kernel_stride_workload(
    "sv48-giga-miss",
    "S-mode under Sv48, code in a gigapage, a load and a store striding over 512 pages",
    512,
    4,
    None,
);

/// [`STRIDE_LOOP`] with an address-space switch after each pass: satp alternates between
/// two ASIDs without a fence.
const SWITCH_LOOP: &[u32] = &[
    0x00090293, // mv    t0,s2
    0x000a8593, // mv    a1,s5
    0x0005b303, // loop: ld t1,0(a1)
    0x00530333, // add   t1,t1,t0
    0x0065b023, // sd    t1,0(a1)
    0x016585b3, // add   a1,a1,s6
    0x0175e863, // bltu  a1,s7,next
    0x000a8593, // mv    a1,s5
    0x0199c9b3, // xor   s3,s3,s9        (the other address space's satp)
    0x18099073, // csrw  satp,s3
    0xfff28293, // next: addi t0,t0,-1
    0xfc029ee3, // bnez  t0,loop
    S_EXIT[0], S_EXIT[1], S_EXIT[2], S_EXIT[3],
];

/// Two address spaces (ASIDs 1 and 2) of 16 data pages each at the same virtual addresses,
/// under one global kernel map; the loop strides over the 16 pages, then switches satp to
/// the other space without a fence. Both spaces' 32 entries and the code's global gigapage
/// fit the default TLB (two data pages a set, the gigapage's set three entries), so after
/// the first pass in each space everything hits.
pub const ASID_SWITCH: Workload = Workload {
    name: "sv39-asid-switch",
    what: "S-mode under Sv39, two ASIDs of 16 pages each, satp switched after every pass",
    code: PAGED_PROLOGUE,
    insns_per_iter: 7,
    paged: Some(Paged {
        code: SWITCH_LOOP,
        data_pages: 16,
        stride: 4096,
        segments: false,
        kernel_map: true,
        levels: 3,
        two_spaces: true,
    }),
    tlb: None,
};

/// Every workload.
pub const WORKLOADS: &[&Workload] = &[
    &INT_LOOP,
    &TLB_RESIDENT,
    &TLB_THRASH,
    &PMP_SEGMENTS,
    &GIGA_RESIDENT,
    &GIGA_THRASH,
    &GIGA_BIG_TLB,
    &SV48_GIGA_THRASH,
    &ASID_SWITCH,
];

/// Page tables being built in guest RAM: the root of one address space, and where the next
/// new table goes (shared by the address spaces built together).
struct Tables {
    root: u64,
    levels: u8,
}

impl Tables {
    /// Maps `va` → `pa` by a leaf at `level` (0 = 4 KiB, 1 = 2 MiB, 2 = 1 GiB) with `flags`
    /// (V, A and D added), creating the tables on the way from `next_table`. The harness
    /// only ever maps fresh, distinct pages, so it meets no leaf on the way.
    fn map(
        &self,
        m: &mut Machine,
        next_table: &mut u64,
        (va, pa, level): (u64, u64, u8),
        flags: PteFlags,
    ) {
        let mut table = self.root;
        for l in (level + 1..self.levels).rev() {
            let slot = table + ((va >> (12 + 9 * l as u32)) & 0x1ff) * 8;
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
        let slot = table + ((va >> (12 + 9 * level as u32)) & 0x1ff) * 8;
        let leaf = Pte::new(pa >> 12, flags | PteFlags::V | PteFlags::A | PteFlags::D);
        let _ = m.bus.ram.write(PhysAddr(slot), leaf.0.to_le_bytes());
    }
}

/// Loads a paged workload's S-mode code and page tables, and sets the prologue's registers.
fn set_up_paging(m: &mut Machine, p: &Paged, iterations: u64) -> Result<(), MachineError> {
    let code_pa = crate::bus::RAM_BASE + 0x1000;
    let code: Vec<u8> = p.code.iter().flat_map(|i| i.to_le_bytes()).collect();
    m.bus
        .ram
        .write_bytes(PhysAddr(code_pa), &code)
        .map_err(|e| MachineError::Guest(e.to_string()))?;
    if p.segments {
        let x = &mut m.hart.x;
        x[18] = iterations; // s2
        x[20] = code_pa; // s4
        x[21] = S_DATA_PA; // s5
        x[24] = FINISHER; // s8
        return Ok(());
    }
    let mode = if p.levels == 4 {
        crate::mmu::satp_mode::SV48
    } else {
        crate::mmu::satp_mode::SV39
    };
    // One root per address space, then the tables below them.
    let spaces: u64 = if p.two_spaces { 2 } else { 1 };
    let mut next = PT_PA + spaces * 4096;
    let mut satps = [0; 2];
    for s in 0..spaces {
        let t = Tables {
            root: PT_PA + s * 4096,
            levels: p.levels,
        };
        let asid = if p.two_spaces { s + 1 } else { 0 };
        satps[s as usize] = (mode << 60) | (asid << 44) | (t.root >> 12);
        let code_va = if p.kernel_map {
            let kernel = PteFlags::G;
            let ram = crate::bus::RAM_BASE;
            t.map(
                m,
                &mut next,
                (ram, ram, 2),
                kernel | PteFlags::R | PteFlags::X,
            );
            t.map(m, &mut next, (0, 0, 2), kernel | PteFlags::R | PteFlags::W);
            code_pa
        } else {
            let rx = PteFlags::R | PteFlags::X;
            t.map(m, &mut next, (S_CODE_VA, code_pa, 0), rx);
            t.map(
                m,
                &mut next,
                (FINISHER, FINISHER, 0),
                PteFlags::R | PteFlags::W,
            );
            S_CODE_VA
        };
        for i in 0..p.data_pages {
            let va = S_DATA_VA + i * 4096;
            let pa = S_DATA_PA + (s * p.data_pages + i) * 4096;
            t.map(m, &mut next, (va, pa, 0), PteFlags::R | PteFlags::W);
        }
        m.hart.x[20] = code_va; // s4
    }
    let x = &mut m.hart.x;
    x[18] = iterations; // s2
    x[19] = satps[0]; // s3
    x[21] = S_DATA_VA; // s5
    x[22] = p.stride; // s6
    x[23] = S_DATA_VA + p.data_pages * 4096; // s7
    x[24] = FINISHER; // s8
    x[25] = satps[0] ^ satps[1]; // s9 (0 with one space)
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
    run_once_on(
        w,
        iterations,
        crate::hart::Engine::default(),
        crate::machine::DEFAULT_JIT_THRESHOLD,
    )
}

/// [`run_once`] on the given instruction loop (the JIT compiling at `jit_threshold`
/// entries).
pub fn run_once_on(
    w: &Workload,
    iterations: u64,
    engine: crate::hart::Engine,
    jit_threshold: u32,
) -> Result<Sample, MachineError> {
    let cfg = MachineConfig {
        engine,
        jit_threshold,
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
    let records = m.hart.tracer.as_ref().map_or(0, |t| t.records);
    Ok((records, seconds))
}

/// Prepares `w` on a machine configured by `cfg` and runs it to its end: the machine after
/// the run and the run's seconds. A run that does not pass is an error.
fn run_timed(
    w: &Workload,
    iterations: u64,
    cfg: MachineConfig,
) -> Result<(Machine, f64), MachineError> {
    let mut cfg = cfg;
    if let Some(g) = w.tlb {
        cfg.tlb = g
            .parse()
            .map_err(|e: crate::mmu::tlb::GeometryError| MachineError::Guest(e.to_string()))?;
    }
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

    #[test]
    fn the_kernel_mapped_workloads_are_the_programs_their_comments_say() {
        let code_va = crate::bus::RAM_BASE + 0x1000;
        let dis = |code: &[u32]| -> Vec<String> {
            code.iter()
                .enumerate()
                .map(|(i, w)| disassemble(*w, code_va + 4 * i as u64))
                .collect()
        };
        for w in [
            &GIGA_RESIDENT,
            &GIGA_THRASH,
            &GIGA_BIG_TLB,
            &SV48_GIGA_THRASH,
        ] {
            let p = w.paged.as_ref().unwrap();
            assert!(p.kernel_map && !p.two_spaces, "{}", w.name);
            let text = dis(p.code);
            assert_eq!(text[2], "ld\tt1,0(a1)");
            assert_eq!(text[4], "sd\tt1,0(a1)");
            assert_eq!(text[6], "bltu\ta1,s7,80001020");
            assert_eq!(text[9], "bnez\tt0,80001008");
        }
        let p = ASID_SWITCH.paged.as_ref().unwrap();
        let text = dis(p.code);
        assert_eq!(text[6], "bltu\ta1,s7,80001028");
        assert_eq!(text[8], "xor\ts3,s3,s9");
        assert_eq!(text[9], "csrw\tsatp,s3");
        assert_eq!(text[11], "bnez\tt0,80001008");
        assert_eq!(text[14], "sw\tt5,0(s8)");
    }

    #[test]
    fn short_kernel_mapped_runs_pass_with_the_tlb_behaving_as_designed() {
        // The code's gigapage is global, at level 2, and stays in the TLB throughout.
        let has_code_gigapage = |m: &Machine| {
            m.hart.mmu.tlb.entries().any(|e| {
                e.leaf.level == 2
                    && e.leaf.va_base == crate::bus::RAM_BASE
                    && e.leaf.flags.contains(PteFlags::G)
            })
        };
        let run = |w: &Workload, n: u64| {
            let (m, _) = run_timed(w, n, MachineConfig::capture(Vec::new())).unwrap();
            assert!(has_code_gigapage(&m), "{}", w.name);
            let t = *m.hart.mmu.tlb.stats();
            // The code's gigapage misses once, and so does the finisher's.
            assert_eq!(
                (t.fetch.misses, t.store.misses),
                (1, 1),
                "{}: {t:?}",
                w.name
            );
            assert_eq!(t.load.lookups, n, "{}", w.name);
            (m, t)
        };
        // 64 pages in 16 sets of 4: the pages of set 2 (page numbers 2 mod 16) share it with
        // the code's gigapage, three ways for four pages taken in turn, so they miss on every
        // pass; the rest miss on the first pass only.
        let n = 1000;
        let expected = (0..n).filter(|k| k < &64 || k % 64 % 16 == 2).count() as u64;
        let (_, t) = run(&GIGA_RESIDENT, n);
        assert_eq!(t.load.misses, expected);
        // 512 pages through 64 entries: every load misses, under Sv39 and Sv48; with 1024
        // entries (two pages a set, three entries in the code's set) only the first pass.
        for w in [&GIGA_THRASH, &SV48_GIGA_THRASH] {
            let (_, t) = run(w, 1024);
            assert_eq!(t.load.misses, 1024, "{}", w.name);
        }
        let (m, t) = run(&GIGA_BIG_TLB, 1024);
        assert_eq!(t.load.misses, 512);
        assert_eq!(m.hart.mmu.tlb.geometry().entries(), 1024);
        // Two spaces of 16 pages: the first pass in each misses, then both stay resident
        // side by side, with the global code entry serving both ASIDs.
        let (m, t) = run(&ASID_SWITCH, 1000);
        assert_eq!(t.load.misses, 32);
        assert_eq!(t.flushes, Default::default());
        for asid in [1, 2] {
            let n = m
                .hart
                .mmu
                .tlb
                .entries()
                .filter(|e| e.leaf.level == 0 && e.leaf.asid == asid)
                .count();
            assert_eq!(n, 16, "asid {asid}");
        }
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
