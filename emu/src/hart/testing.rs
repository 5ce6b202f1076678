//! What the engine tests share (`block.rs`, `jit/tests.rs`): instruction encoders for the
//! small programs they write, a machine booted to such a program, and the state the engines
//! must agree on.

// Without the JIT only the block engine's tests use this, and not all of it.
#![cfg_attr(not(feature = "jit"), allow(dead_code))]

use crate::addr::PhysAddr;
use crate::bus::RAM_BASE;
use crate::hart::Engine;
use crate::machine::{Machine, MachineConfig};

// Register numbers.
pub const T0: u32 = 5;
pub const T1: u32 = 6;
pub const S1: u32 = 9;
pub const A0: u32 = 10;
pub const A1: u32 = 11;
pub const A2: u32 = 12;

pub fn r_type(f7: u32, f3: u32, opcode: u32, rd: u32, rs1: u32, rs2: u32) -> u32 {
    (f7 << 25) | (rs2 << 20) | (rs1 << 15) | (f3 << 12) | (rd << 7) | opcode
}
pub fn i_type(imm: i32, f3: u32, opcode: u32, rd: u32, rs1: u32) -> u32 {
    ((imm as u32 & 0xfff) << 20) | (rs1 << 15) | (f3 << 12) | (rd << 7) | opcode
}
pub fn addi(rd: u32, rs1: u32, imm: i32) -> u32 {
    i_type(imm, 0, 0x13, rd, rs1)
}
pub fn ld(rd: u32, rs1: u32, imm: i32) -> u32 {
    i_type(imm, 3, 0x03, rd, rs1)
}
pub fn lw(rd: u32, rs1: u32, imm: i32) -> u32 {
    i_type(imm, 2, 0x03, rd, rs1)
}
pub fn s_type(f3: u32, rs2: u32, rs1: u32, imm: u32) -> u32 {
    ((imm >> 5) << 25) | (rs2 << 20) | (rs1 << 15) | (f3 << 12) | ((imm & 31) << 7) | 0x23
}
pub fn sd(rs2: u32, rs1: u32, imm: u32) -> u32 {
    s_type(3, rs2, rs1, imm)
}
pub fn sw(rs2: u32, rs1: u32, imm: u32) -> u32 {
    s_type(2, rs2, rs1, imm)
}
/// BNE with a negative offset `-back` (a multiple of 2, at most 4094).
pub fn bne_back(rs1: u32, rs2: u32, back: u32) -> u32 {
    let off = back.wrapping_neg() & 0x1fff;
    let (b12, b11) = ((off >> 12) & 1, (off >> 11) & 1);
    let (hi, lo) = ((off >> 5) & 0x3f, (off >> 1) & 0xf);
    (b12 << 31) | (hi << 25) | (rs2 << 20) | (rs1 << 15) | (1 << 12) | (lo << 8) | (b11 << 7) | 0x63
}
/// JAL x0 with a negative offset `-back` (a multiple of 2).
pub fn j_back(back: u32) -> u32 {
    let off = back.wrapping_neg() & 0x1f_ffff;
    let (b20, b11) = ((off >> 20) & 1, (off >> 11) & 1);
    let (lo, mid) = ((off >> 1) & 0x3ff, (off >> 12) & 0xff);
    (b20 << 31) | (lo << 21) | (b11 << 20) | (mid << 12) | 0x6f
}
/// BEQ with a positive offset `fwd`.
pub fn beq_fwd(rs1: u32, rs2: u32, fwd: u32) -> u32 {
    bne_fwd(rs1, rs2, fwd) & !(7 << 12)
}
/// BNE with a positive offset `fwd`.
pub fn bne_fwd(rs1: u32, rs2: u32, fwd: u32) -> u32 {
    let off = fwd & 0x1fff;
    let (b12, b11) = ((off >> 12) & 1, (off >> 11) & 1);
    let (hi, lo) = ((off >> 5) & 0x3f, (off >> 1) & 0xf);
    (b12 << 31) | (hi << 25) | (rs2 << 20) | (rs1 << 15) | (1 << 12) | (lo << 8) | (b11 << 7) | 0x63
}

/// The test finisher's pass, then `j .`.
pub const PASS: [u32; 5] = [
    0x0010_0eb7, // lui t4, 0x100
    0x0000_5f37, // lui t5, 0x5
    0x555f_0f1b, // addiw t5, t5, 1365 (0x5555: pass)
    0x01ee_a023, // sw t5, 0(t4)
    0x0000_006f, // j .
];

/// [`PASS`] for a paged bench workload (`bench::Paged`), which holds the test finisher's
/// address in s8 (its map has the devices too).
pub const PAGED_PASS: [u32; 4] = [
    0x0000_5f37, // lui t5, 0x5
    0x555f_0f1b, // addiw t5, t5, 1365 (0x5555: pass)
    0x01ec_2023, // sw t5, 0(s8)
    0x0000_006f, // j .
];

/// A machine with `code` at the start of RAM, booted to it, on `engine`.
pub fn machine(code: &[u32], engine: Engine, max_insns: Option<u64>, threshold: u32) -> Machine {
    let cfg = MachineConfig {
        max_insns,
        engine,
        jit_threshold: threshold,
        // The tests' JIT compiles at once, so that they know when compiled code runs.
        jit_sync: true,
        ..MachineConfig::capture(Vec::new())
    };
    let mut m = Machine::new(cfg).expect("a machine");
    let bytes: Vec<u8> = code.iter().flat_map(|i| i.to_le_bytes()).collect();
    m.load_image(PhysAddr(RAM_BASE), &bytes, RAM_BASE)
        .expect("load");
    m
}

/// Everything the engines must agree on.
pub fn state(m: &Machine) -> String {
    let h = &m.hart;
    let entries: Vec<_> = h.mmu.tlb.entries().collect();
    format!(
        "steps {} traps {} pc {:#x} {:?}\nx {:x?}\ntlb {:?}\nmmu {:?}\nentries {entries:?}\n\
         exceptions {:?}",
        h.steps,
        h.traps,
        h.pc,
        h.prv,
        &h.x[..32],
        h.mmu.tlb.stats(),
        h.mmu.stats,
        h.trap_stats.exceptions,
    )
}
