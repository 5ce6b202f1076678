//! The F and D extensions (unpriv/f-st-ext.adoc, d-st-ext.adoc; opcodes in rv-32-64g.adoc).
//!
//! The format field (bits 26:25) picks `.s` (0) or `.d` (1); the half and quad formats are not
//! part of RV64GC and objdump does not decode them there. A rounding mode other than the
//! default `dyn` (7) is printed as a last operand, as objdump does; the reserved modes 5 and 6
//! print as `unknown`, also as objdump does.

use super::{Fields, Insn};

/// The `.s`/`.d` suffix for the fmt field of an OP-FP or fused instruction.
fn format(f: Fields) -> Option<&'static str> {
    match f.bits(26, 25) {
        0 => Some(".s"),
        1 => Some(".d"),
        _ => None,
    }
}

impl Insn {
    /// Appends the rounding-mode operand (f-st-ext.adoc, "Rounding mode encoding") unless it
    /// is `dyn`.
    fn rm(self, rm: u32) -> Self {
        const NAMES: [&str; 7] = ["rne", "rtz", "rdn", "rup", "rmm", "unknown", "unknown"];
        match NAMES.get(rm as usize) {
            Some(name) => self.text(name),
            None => self,
        }
    }
}

/// LOAD-FP (opcode 0x07): FLW, FLD.
pub(super) fn load(f: Fields) -> Option<Insn> {
    let name = match f.funct3() {
        2 => "flw",
        3 => "fld",
        _ => return None,
    };
    Some(Insn::new(name).f(f.rd()).mem(f.i_imm(), f.rs1()))
}

/// STORE-FP (opcode 0x27): FSW, FSD.
pub(super) fn store(f: Fields) -> Option<Insn> {
    let name = match f.funct3() {
        2 => "fsw",
        3 => "fsd",
        _ => return None,
    };
    Some(Insn::new(name).f(f.rs2()).mem(f.s_imm(), f.rs1()))
}

/// MADD/MSUB/NMSUB/NMADD (opcodes 0x43/0x47/0x4b/0x4f): "Single-Precision Floating-Point
/// Computational Instructions", fused multiply-add.
pub(super) fn fused(f: Fields) -> Option<Insn> {
    let name = ["fmadd", "fmsub", "fnmsub", "fnmadd"][f.bits(3, 2) as usize];
    let insn = Insn::new(name).suffix(format(f)?);
    Some(
        insn.f(f.rd())
            .f(f.rs1())
            .f(f.rs2())
            .f(f.rs3())
            .rm(f.funct3()),
    )
}

/// OP-FP (opcode 0x53), by funct5 (bits 31:27).
pub(super) fn op_fp(f: Fields) -> Option<Insn> {
    let fmt = format(f)?;
    let double = fmt == ".d";
    let (rd, rs1, rs2, rm) = (f.rd(), f.rs1(), f.rs2(), f.funct3());
    Some(match f.bits(31, 27) {
        // Arithmetic: FADD, FSUB, FMUL, FDIV, FSQRT.
        funct5 @ 0x00..=0x03 => {
            let name = ["fadd", "fsub", "fmul", "fdiv"][funct5 as usize];
            Insn::new(name).suffix(fmt).f(rd).f(rs1).f(rs2).rm(rm)
        }
        0x0b if rs2 == 0 => Insn::new("fsqrt").suffix(fmt).f(rd).f(rs1).rm(rm),
        // Sign injection, with the fmv/fneg/fabs aliases when both sources are equal.
        0x04 if rm <= 2 => {
            let name = match (rm, rs1 == rs2) {
                (0, true) => "fmv",
                (1, true) => "fneg",
                (2, true) => "fabs",
                (0, false) => "fsgnj",
                (1, false) => "fsgnjn",
                _ => "fsgnjx",
            };
            let insn = Insn::new(name).suffix(fmt).f(rd).f(rs1);
            if rs1 == rs2 {
                insn
            } else {
                insn.f(rs2)
            }
        }
        0x05 if rm <= 1 => Insn::new(["fmin", "fmax"][rm as usize])
            .suffix(fmt)
            .f(rd)
            .f(rs1)
            .f(rs2),
        // FCVT.S.D rounds; FCVT.D.S is exact, and objdump 2.40 decodes it only with rm = 0.
        0x08 if !double && rs2 == 1 => Insn::new("fcvt.s.d").f(rd).f(rs1).rm(rm),
        0x08 if double && rs2 == 0 && rm == 0 => Insn::new("fcvt.d.s").f(rd).f(rs1),
        // Compares write an integer register.
        0x14 if rm <= 2 => Insn::new(["fle", "flt", "feq"][rm as usize])
            .suffix(fmt)
            .x(rd)
            .f(rs1)
            .f(rs2),
        // FCVT.{W,WU,L,LU}.fmt: float to integer.
        0x18 if rs2 <= 3 => {
            let name = ["fcvt.w", "fcvt.wu", "fcvt.l", "fcvt.lu"][rs2 as usize];
            Insn::new(name).suffix(fmt).x(rd).f(rs1).rm(rm)
        }
        // FCVT.fmt.{W,WU,L,LU}: integer to float. Int-to-double from 32 bits is exact, and
        // objdump 2.40 decodes FCVT.D.W/WU only with rm = 0.
        0x1a if rs2 <= 3 => {
            let name = if double {
                ["fcvt.d.w", "fcvt.d.wu", "fcvt.d.l", "fcvt.d.lu"][rs2 as usize]
            } else {
                ["fcvt.s.w", "fcvt.s.wu", "fcvt.s.l", "fcvt.s.lu"][rs2 as usize]
            };
            let insn = Insn::new(name).f(rd).x(rs1);
            match (double, rs2) {
                (true, 0 | 1) if rm == 0 => insn,
                (true, 0 | 1) => return None,
                _ => insn.rm(rm),
            }
        }
        // FMV.X.W / FMV.X.D and FCLASS.
        0x1c if rs2 == 0 && rm == 0 => Insn::new(if double { "fmv.x.d" } else { "fmv.x.w" })
            .x(rd)
            .f(rs1),
        0x1c if rs2 == 0 && rm == 1 => Insn::new("fclass").suffix(fmt).x(rd).f(rs1),
        // FMV.W.X / FMV.D.X.
        0x1e if rs2 == 0 && rm == 0 => Insn::new(if double { "fmv.d.x" } else { "fmv.w.x" })
            .f(rd)
            .x(rs1),
        _ => return None,
    })
}
