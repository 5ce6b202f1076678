//! RV64C: the Zca and Zcd compressed instructions (unpriv/zca.adoc, zcd.adoc; opcode map and
//! listings in rv-32-64g.adoc "Zca Instruction Set Listings").
//!
//! objdump 2.40 prints a compressed instruction under the 32-bit alias it expands to
//! (`c.addi a0,1` is `add a0,a0,1`), and keeps a `c.` name only for the HINT encodings that
//! have no 32-bit alias (`c.nop 1`, `c.li zero,3`, `c.slli64 a0`). Reserved encodings return
//! `None` and print as `.2byte`.

use super::{sign_extend, target, Insn};

/// The fields of a compressed instruction; bit positions as in zca.adoc "Compressed
/// Instruction Formats".
#[derive(Clone, Copy)]
struct Half(u16);

impl Half {
    fn bits(self, hi: u32, lo: u32) -> u32 {
        (u32::from(self.0) >> lo) & ((1 << (hi - lo + 1)) - 1)
    }
    /// Gathers scattered immediate bits: each `(hi, lo, at)` moves instruction bits hi:lo to
    /// immediate bit `at` upwards.
    fn imm(self, pieces: &[(u32, u32, u32)]) -> u32 {
        pieces
            .iter()
            .map(|&(hi, lo, at)| self.bits(hi, lo) << at)
            .fold(0, |acc, p| acc | p)
    }
    /// rd/rs1 in bits 11:7 (CR, CI formats).
    fn rd(self) -> u32 {
        self.bits(11, 7)
    }
    /// rs2 in bits 6:2 (CR, CSS formats).
    fn rs2(self) -> u32 {
        self.bits(6, 2)
    }
    /// rd'/rs1' in bits 9:7, mapped to x8..x15.
    fn rs1p(self) -> u32 {
        8 + self.bits(9, 7)
    }
    /// rd'/rs2' in bits 4:2, mapped to x8..x15.
    fn rs2p(self) -> u32 {
        8 + self.bits(4, 2)
    }
    /// The CI-format 6-bit signed immediate (c.addi, c.li, c.andi, ...).
    fn ci_imm(self) -> i64 {
        sign_extend(self.imm(&[(12, 12, 5), (6, 2, 0)]), 6)
    }
    /// The 6-bit shift amount of c.slli/c.srli/c.srai.
    fn shamt(self) -> u32 {
        self.imm(&[(12, 12, 5), (6, 2, 0)])
    }
}

/// Decodes one compressed instruction: a match per quadrant (bits 1:0) and funct3 (15:13).
pub(super) fn decode(half: u16, pc: u64) -> Option<Insn> {
    let c = Half(half);
    match (half & 3, c.bits(15, 13)) {
        (0, funct3) => quadrant0(c, funct3),
        (1, funct3) => quadrant1(c, funct3, pc),
        (2, funct3) => quadrant2(c, funct3),
        _ => None,
    }
}

/// Quadrant 0: c.addi4spn and the register-based loads and stores (zca.adoc "Register-Based
/// Loads and Stores", zcd.adoc).
fn quadrant0(c: Half, funct3: u32) -> Option<Insn> {
    // Offsets scaled by 8 (c.ld, c.sd, c.fld, c.fsd) and by 4 (c.lw, c.sw).
    let off8 = i64::from(c.imm(&[(12, 10, 3), (6, 5, 6)]));
    let off4 = i64::from(c.imm(&[(12, 10, 3), (6, 6, 2), (5, 5, 6)]));
    let (base, reg) = (c.rs1p(), c.rs2p());
    Some(match funct3 {
        // The all-zero halfword is the defined illegal instruction (zca.adoc "Defined Illegal
        // Instruction"); objdump calls it unimp.
        0 if c.0 == 0 => Insn::new("unimp"),
        0 => {
            let nzuimm = c.imm(&[(12, 11, 4), (10, 7, 6), (6, 6, 2), (5, 5, 3)]);
            if nzuimm == 0 {
                return None;
            }
            Insn::new("add").x(reg).x(2).dec(nzuimm.into())
        }
        1 => Insn::new("fld").f(reg).mem(off8, base),
        2 => Insn::new("lw").x(reg).mem(off4, base),
        3 => Insn::new("ld").x(reg).mem(off8, base),
        5 => Insn::new("fsd").f(reg).mem(off8, base),
        6 => Insn::new("sw").x(reg).mem(off4, base),
        7 => Insn::new("sd").x(reg).mem(off8, base),
        _ => return None,
    })
}

/// Quadrant 1: constants, register-immediate and register-register arithmetic, jumps and
/// branches (zca.adoc "Integer Computational Instructions", "Control Transfer Instructions").
fn quadrant1(c: Half, funct3: u32, pc: u64) -> Option<Insn> {
    let (rd, imm) = (c.rd(), c.ci_imm());
    Some(match funct3 {
        // c.addi; rd = 0 is c.nop (imm = 0) or a HINT.
        0 if rd == 0 && imm == 0 => Insn::new("nop"),
        0 if rd == 0 => Insn::new("c.nop").dec(imm),
        0 => Insn::new("add").x(rd).x(rd).dec(imm),
        // c.addiw (RV64); rd = 0 is reserved.
        1 if rd == 0 => return None,
        1 if imm == 0 => Insn::new("sext.w").x(rd).x(rd),
        1 => Insn::new("addw").x(rd).x(rd).dec(imm),
        // c.li; rd = 0 is a HINT.
        2 if rd == 0 => Insn::new("c.li").x(0).dec(imm),
        2 => Insn::new("li").x(rd).dec(imm),
        // c.addi16sp (rd = sp). objdump decodes the reserved nzimm = 0 too.
        3 if rd == 2 => {
            let nzimm = c.imm(&[(12, 12, 9), (6, 6, 4), (5, 5, 6), (4, 3, 7), (2, 2, 5)]);
            Insn::new("add").x(2).x(2).dec(sign_extend(nzimm, 10))
        }
        // c.lui: the CI immediate is nzimm[17:12]; 0 is reserved, rd = 0 a HINT. It prints as
        // the 20-bit field of the equivalent lui.
        3 if imm == 0 => return None,
        3 => {
            let field = (imm as u32) & 0xf_ffff;
            if rd == 0 {
                Insn::new("c.lui").x(0).hex(field)
            } else {
                Insn::new("lui").x(rd).hex(field)
            }
        }
        4 => misc_alu(c)?,
        5 => {
            let offset = c.imm(&[
                (12, 12, 11),
                (11, 11, 4),
                (10, 9, 8),
                (8, 8, 10),
                (7, 7, 6),
                (6, 6, 7),
                (5, 3, 1),
                (2, 2, 5),
            ]);
            Insn::new("j").target(target(pc, sign_extend(offset, 12)))
        }
        _ => {
            let offset = c.imm(&[(12, 12, 8), (11, 10, 3), (6, 5, 6), (4, 3, 1), (2, 2, 5)]);
            let name = if funct3 == 6 { "beqz" } else { "bnez" };
            Insn::new(name)
                .x(c.rs1p())
                .target(target(pc, sign_extend(offset, 9)))
        }
    })
}

/// Quadrant 1, funct3 = 100: c.srli, c.srai, c.andi and the CA-format register operations.
fn misc_alu(c: Half) -> Option<Insn> {
    let rd = c.rs1p();
    let shamt = c.shamt();
    Some(match c.bits(11, 10) {
        0 if shamt == 0 => Insn::new("c.srli64").x(rd),
        0 => Insn::new("srl").x(rd).x(rd).hex(shamt),
        1 if shamt == 0 => Insn::new("c.srai64").x(rd),
        1 => Insn::new("sra").x(rd).x(rd).hex(shamt),
        2 => Insn::new("and").x(rd).x(rd).dec(c.ci_imm()),
        _ => {
            let name = match (c.bits(12, 12), c.bits(6, 5)) {
                (0, op) => ["sub", "xor", "or", "and"][op as usize],
                (_, 0) => "subw",
                (_, 1) => "addw",
                _ => return None,
            };
            Insn::new(name).x(rd).x(rd).x(c.rs2p())
        }
    })
}

/// Quadrant 2: c.slli, the stack-pointer-based loads and stores (zca.adoc "Stack-Pointer-Based
/// Loads and Stores"), and the CR-format jr/mv/ebreak/jalr/add.
fn quadrant2(c: Half, funct3: u32) -> Option<Insn> {
    let (rd, rs2) = (c.rd(), c.rs2());
    // Load offsets scaled by 8 and 4, then store offsets scaled by 8 and 4.
    let load8 = i64::from(c.imm(&[(12, 12, 5), (6, 5, 3), (4, 2, 6)]));
    let load4 = i64::from(c.imm(&[(12, 12, 5), (6, 4, 2), (3, 2, 6)]));
    let store8 = i64::from(c.imm(&[(12, 10, 3), (9, 7, 6)]));
    let store4 = i64::from(c.imm(&[(12, 9, 2), (8, 7, 6)]));
    Some(match funct3 {
        0 if c.shamt() == 0 => Insn::new("c.slli64").x(rd),
        0 if rd == 0 => Insn::new("c.slli").x(0).hex(c.shamt()),
        0 => Insn::new("sll").x(rd).x(rd).hex(c.shamt()),
        1 => Insn::new("fld").f(rd).mem(load8, 2),
        // c.lwsp and c.ldsp with rd = 0 are reserved.
        2 | 3 if rd == 0 => return None,
        2 => Insn::new("lw").x(rd).mem(load4, 2),
        3 => Insn::new("ld").x(rd).mem(load8, 2),
        4 => match (c.bits(12, 12), rd, rs2) {
            (0, 0, 0) => return None,
            (0, 1, 0) => Insn::new("ret"),
            (0, _, 0) => Insn::new("jr").x(rd),
            (0, 0, _) => Insn::new("c.mv").x(0).x(rs2),
            (0, _, _) => Insn::new("mv").x(rd).x(rs2),
            (_, 0, 0) => Insn::new("ebreak"),
            (_, _, 0) => Insn::new("jalr").x(rd),
            (_, 0, _) => Insn::new("c.add").x(0).x(rs2),
            (_, _, _) => Insn::new("add").x(rd).x(rd).x(rs2),
        },
        5 => Insn::new("fsd").f(rs2).mem(store8, 2),
        6 => Insn::new("sw").x(rs2).mem(store4, 2),
        _ => Insn::new("sd").x(rs2).mem(store8, 2),
    })
}
