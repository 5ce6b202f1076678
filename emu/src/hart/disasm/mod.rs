//! Disassembler for `--trace insns`.
//!
//! The text matches what GNU objdump (binutils 2.40, `riscv64-unknown-elf-objdump -d`, default
//! options) prints after the raw-bytes column: the mnemonic, a tab, and the operands separated
//! by `,`, with ABI register names and objdump's default choice of pseudo-instructions. Two
//! things differ on purpose:
//!
//! * Branch and jump targets are printed as a bare absolute hex address (`j 80000010`), without
//!   objdump's `<symbol>` (or, for raw binaries, its `0x` prefix).
//! * objdump's trailing ` # 0x...` comments are never printed: objdump computes them from
//!   register values it tracks across earlier instructions (`lui`/`auipc` pairs), or assumes
//!   `gp`/`tp`/`zero` bases, and a one-instruction trace line has no such context.
//!
//! binutils 2.40 prefers some aliases that later versions don't: `addi a0,a0,1` prints as
//! `add a0,a0,1`, `slli` as `sll`, `andi` as `and`, `addiw` as `addw`, `csrrwi` as `csrrw`,
//! compressed instructions as their 32-bit alias (`c.addi4spn` as `add s0,sp,8`). We follow
//! 2.40, because the point of this text is that it can be compared with that objdump's listing
//! of the program being run; the `objdump_check` test holds us to it.
//!
//! Layout: [`Fields`] extracts the instruction fields once; `base` decodes RV64I, M, A, Zicsr,
//! Zifencei and the privileged instructions, `float` decodes F and D, `compressed` decodes the
//! RV64C (Zca, Zcd) halfwords, and `csr` names the CSRs. Each decoder returns an [`Insn`] (a
//! mnemonic plus up to five operands) or `None` for an encoding objdump does not decode, which
//! prints as `.4byte 0x...` / `.2byte 0x...` like objdump does.

mod base;
mod compressed;
mod csr;
mod float;

#[cfg(test)]
mod objdump_check;
#[cfg(test)]
mod tests;

use core::fmt::{self, Write};

/// Disassembles one instruction. `insn` holds the raw bits: a 16-bit compressed instruction in
/// the low half when `insn & 3 != 3`, else a 32-bit one. `pc` resolves branch and jump targets.
pub fn disassemble(insn: u32, pc: u64) -> String {
    let mut text = String::with_capacity(32);
    disassemble_into(insn, pc, &mut text).expect("formatting into a String cannot fail");
    text
}

/// Like [`disassemble`], but writes the text into `out` instead of allocating.
pub fn disassemble_into(insn: u32, pc: u64, out: &mut impl Write) -> fmt::Result {
    if insn & 3 != 3 {
        let half = insn as u16;
        match compressed::decode(half, pc) {
            Some(decoded) => decoded.write(out),
            None => write!(out, ".2byte\t{half:#x}"),
        }
    } else {
        match decode32(insn, pc) {
            Some(decoded) => decoded.write(out),
            None => write!(out, ".4byte\t{insn:#x}"),
        }
    }
}

/// Decodes a 32-bit instruction: one arm per major opcode (unpriv/rv-32-64g.adoc, "RISC-V base
/// opcode map, inst[1:0]=11").
fn decode32(insn: u32, pc: u64) -> Option<Insn> {
    let f = Fields(insn);
    match insn & 0x7f {
        0x03 => base::load(f),
        0x07 => float::load(f),
        0x0f => base::misc_mem(f),
        0x13 => base::op_imm(f),
        0x17 => Some(Insn::new("auipc").x(f.rd()).hex(f.u_imm20())),
        0x1b => base::op_imm_32(f),
        0x23 => base::store(f),
        0x27 => float::store(f),
        0x2f => base::amo(f),
        0x33 => base::op(f),
        0x37 => Some(Insn::new("lui").x(f.rd()).hex(f.u_imm20())),
        0x3b => base::op_32(f),
        0x43 | 0x47 | 0x4b | 0x4f => float::fused(f),
        0x53 => float::op_fp(f),
        0x63 => base::branch(f, pc),
        0x67 => base::jalr(f),
        0x6f => Some(base::jal(f, pc)),
        0x73 => base::system(f),
        // Custom, reserved, vector (not in RV64GC) and the >32-bit length escapes.
        _ => None,
    }
}

/// The fields of a 32-bit instruction (unpriv/rv64.adoc and rv-32-64g.adoc: R/I/S/B/U/J
/// formats).
#[derive(Clone, Copy, Debug)]
struct Fields(u32);

impl Fields {
    fn bits(self, hi: u32, lo: u32) -> u32 {
        (self.0 >> lo) & ((1 << (hi - lo + 1)) - 1)
    }
    fn rd(self) -> u32 {
        self.bits(11, 7)
    }
    fn funct3(self) -> u32 {
        self.bits(14, 12)
    }
    fn rs1(self) -> u32 {
        self.bits(19, 15)
    }
    fn rs2(self) -> u32 {
        self.bits(24, 20)
    }
    fn rs3(self) -> u32 {
        self.bits(31, 27)
    }
    fn funct7(self) -> u32 {
        self.bits(31, 25)
    }
    /// bits 31:20 of a CSR instruction, or funct12 of SYSTEM.
    fn csr(self) -> u32 {
        self.bits(31, 20)
    }
    /// I-type immediate, sign-extended.
    fn i_imm(self) -> i64 {
        i64::from(self.0 as i32 >> 20)
    }
    /// S-type immediate, sign-extended.
    fn s_imm(self) -> i64 {
        i64::from(((self.0 as i32 >> 25) << 5) | self.bits(11, 7) as i32)
    }
    /// B-type immediate, sign-extended.
    fn b_imm(self) -> i64 {
        let imm = (self.bits(31, 31) << 12)
            | (self.bits(7, 7) << 11)
            | (self.bits(30, 25) << 5)
            | (self.bits(11, 8) << 1);
        sign_extend(imm, 13)
    }
    /// U-type immediate as the 20-bit number written in assembly (`lui a0,0x12345`).
    fn u_imm20(self) -> u32 {
        self.0 >> 12
    }
    /// J-type immediate, sign-extended.
    fn j_imm(self) -> i64 {
        let imm = (self.bits(31, 31) << 20)
            | (self.bits(19, 12) << 12)
            | (self.bits(20, 20) << 11)
            | (self.bits(30, 21) << 1);
        sign_extend(imm, 21)
    }
}

/// Sign-extends the low `width` bits of `value`.
fn sign_extend(value: u32, width: u32) -> i64 {
    let shift = 64 - width;
    (i64::from(value) << shift) >> shift
}

/// The absolute target of a pc-relative branch or jump.
fn target(pc: u64, offset: i64) -> u64 {
    pc.wrapping_add_signed(offset)
}

const GPR_NAMES: [&str; 32] = [
    "zero", "ra", "sp", "gp", "tp", "t0", "t1", "t2", "s0", "s1", "a0", "a1", "a2", "a3", "a4",
    "a5", "a6", "a7", "s2", "s3", "s4", "s5", "s6", "s7", "s8", "s9", "s10", "s11", "t3", "t4",
    "t5", "t6",
];

const FPR_NAMES: [&str; 32] = [
    "ft0", "ft1", "ft2", "ft3", "ft4", "ft5", "ft6", "ft7", "fs0", "fs1", "fa0", "fa1", "fa2",
    "fa3", "fa4", "fa5", "fa6", "fa7", "fs2", "fs3", "fs4", "fs5", "fs6", "fs7", "fs8", "fs9",
    "fs10", "fs11", "ft8", "ft9", "ft10", "ft11",
];

/// One operand, printed the way objdump prints it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Operand {
    /// An integer register, by ABI name.
    X(u32),
    /// A floating-point register, by ABI name.
    F(u32),
    /// A signed decimal immediate.
    Dec(i64),
    /// An unsigned immediate in hex with `0x` (shift amounts, `lui`/`auipc` immediates).
    Hex(u32),
    /// A branch or jump target: absolute address, bare hex.
    Target(u64),
    /// `offset(base)` of a load or store.
    Mem(i64, u32),
    /// `(base)` of an atomic.
    Atomic(u32),
    /// A CSR, by name when objdump knows one, else in hex.
    Csr(u32),
    /// Fixed text: a rounding mode, a fence set.
    Text(&'static str),
}

impl Operand {
    fn write(self, out: &mut impl Write) -> fmt::Result {
        match self {
            Operand::X(r) => out.write_str(GPR_NAMES[r as usize]),
            Operand::F(r) => out.write_str(FPR_NAMES[r as usize]),
            Operand::Dec(imm) => write!(out, "{imm}"),
            Operand::Hex(imm) => write!(out, "{imm:#x}"),
            Operand::Target(addr) => write!(out, "{addr:x}"),
            Operand::Mem(offset, base) => write!(out, "{offset}({})", GPR_NAMES[base as usize]),
            Operand::Atomic(base) => write!(out, "({})", GPR_NAMES[base as usize]),
            Operand::Csr(csr) => match csr::name(csr) {
                Some(name) => name.write(out),
                None => write!(out, "{csr:#x}"),
            },
            Operand::Text(text) => out.write_str(text),
        }
    }
}

/// A decoded instruction: mnemonic (a stem plus up to two suffixes, e.g. `amoadd` `.w` `.aq`)
/// and its operands (at most five: fmadd.s fd,fs1,fs2,fs3,rm), built with the chained methods below.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Insn {
    name: [&'static str; 3],
    operands: [Operand; 5],
    count: usize,
}

impl Insn {
    fn new(stem: &'static str) -> Self {
        Insn {
            name: [stem, "", ""],
            operands: [Operand::Dec(0); 5],
            count: 0,
        }
    }
    /// Appends a suffix to the mnemonic.
    fn suffix(mut self, suffix: &'static str) -> Self {
        let slot = if self.name[1].is_empty() { 1 } else { 2 };
        self.name[slot] = suffix;
        self
    }
    fn operand(mut self, operand: Operand) -> Self {
        self.operands[self.count] = operand;
        self.count += 1;
        self
    }
    fn x(self, reg: u32) -> Self {
        self.operand(Operand::X(reg))
    }
    fn f(self, reg: u32) -> Self {
        self.operand(Operand::F(reg))
    }
    fn dec(self, imm: i64) -> Self {
        self.operand(Operand::Dec(imm))
    }
    fn hex(self, imm: u32) -> Self {
        self.operand(Operand::Hex(imm))
    }
    fn target(self, addr: u64) -> Self {
        self.operand(Operand::Target(addr))
    }
    fn mem(self, offset: i64, base: u32) -> Self {
        self.operand(Operand::Mem(offset, base))
    }
    fn atomic(self, base: u32) -> Self {
        self.operand(Operand::Atomic(base))
    }
    fn csr(self, csr: u32) -> Self {
        self.operand(Operand::Csr(csr))
    }
    fn text(self, text: &'static str) -> Self {
        self.operand(Operand::Text(text))
    }

    fn write(&self, out: &mut impl Write) -> fmt::Result {
        for part in self.name {
            out.write_str(part)?;
        }
        for (i, operand) in self.operands[..self.count].iter().enumerate() {
            out.write_char(if i == 0 { '\t' } else { ',' })?;
            operand.write(out)?;
        }
        Ok(())
    }
}
