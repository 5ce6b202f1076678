//! The floating-point unit: the F and D extensions on RV64 (register-to-register instructions).
//!
//! The hart hands every instruction of the major opcodes OP-FP (0x53), MADD (0x43), MSUB (0x47),
//! NMSUB (0x4b) and NMADD (0x4f) to [`execute`]. The hart keeps what surrounds it: FLW/FLD/FSW/FSD,
//! the mstatus.FS Off check and setting FS to Dirty when `execute` says so, and the fcsr/frm/fflags
//! CSRs, which it reads and writes in [`FpRegs`] directly.
//!
//! IEEE 754 arithmetic (rounding, flags, NaN results, saturating conversions) is Berkeley
//! SoftFloat 3e with its RISC-V specialization, behind the safe layer in `softfloat.rs`. This file
//! decodes, resolves the rounding mode, applies NaN-boxing and implements the bit-level operations
//! RISC-V defines itself: sign injection, FMIN/FMAX, FCLASS and the moves.
//!
//! Section references are to the unprivileged ISA manual: "F" is `unpriv/f-st-ext.adoc`, "D" is
//! `unpriv/d-st-ext.adoc`; the `norm:` tags are the anchors in those files.

mod softfloat;
#[cfg(test)]
mod tests;

use softfloat::{BinOp, CmpOp, Double, Format, IntKind, Single};

/// Floating-point architectural state.
#[derive(Clone, Debug, Default)]
pub struct FpRegs {
    /// f0..f31; single-precision values are NaN-boxed (upper 32 bits all ones).
    pub f: [u64; 32],
    /// fcsr.frm (3 bits).
    pub frm: u8,
    /// fcsr.fflags (5 bits: NV DZ OF UF NX from bit 4 down to bit 0).
    pub fflags: u8,
}

/// fflags bits (F, "Floating-Point Control and Status Register", table `bitdef`).
const NV: u8 = 1 << 4;
const DZ: u8 = 1 << 3;
const OF: u8 = 1 << 2;
const UF: u8 = 1 << 1;
const NX: u8 = 1 << 0;

// Major opcodes (F, "Single-Precision Floating-Point Computational Instructions").
const OP_MADD: u32 = 0x43;
const OP_MSUB: u32 = 0x47;
const OP_NMSUB: u32 = 0x4b;
const OP_NMADD: u32 = 0x4f;
const OP_FP: u32 = 0x53;

// funct5 (insn[31:27]) of OP-FP.
const F5_ADD: u32 = 0x00;
const F5_SUB: u32 = 0x01;
const F5_MUL: u32 = 0x02;
const F5_DIV: u32 = 0x03;
const F5_SGNJ: u32 = 0x04;
const F5_MINMAX: u32 = 0x05;
const F5_CVT_FF: u32 = 0x08;
const F5_SQRT: u32 = 0x0b;
const F5_CMP: u32 = 0x14;
const F5_CVT_IF: u32 = 0x18;
const F5_CVT_FI: u32 = 0x1a;
const F5_MVXF_CLASS: u32 = 0x1c;
const F5_MVFX: u32 = 0x1e;

/// The fields of the R-type and R4-type layouts (F, `fnmaddsub`, `spfloat`).
#[derive(Clone, Copy, Debug)]
struct Fields {
    opcode: u32,
    rd: usize,
    /// funct3: the rm field, or a function selector for instructions that do not round.
    funct3: u32,
    rs1: usize,
    rs2: usize,
    /// insn[26:25]: the fmt field (F, `tab:fpfmt`).
    fmt: u32,
    /// insn[31:27]: funct5 of OP-FP, rs3 of the R4 (fused) format.
    funct5: u32,
}

impl Fields {
    fn decode(insn: u32) -> Self {
        Fields {
            opcode: insn & 0x7f,
            rd: ((insn >> 7) & 0x1f) as usize,
            funct3: (insn >> 12) & 0x7,
            rs1: ((insn >> 15) & 0x1f) as usize,
            rs2: ((insn >> 20) & 0x1f) as usize,
            fmt: (insn >> 25) & 0x3,
            funct5: insn >> 27,
        }
    }
}

/// Where an instruction's result goes.
enum Dest {
    F(u64),
    X(u64),
}

/// Executes one register-to-register F/D instruction (major opcodes OP-FP 0x53, MADD 0x43,
/// MSUB 0x47, NMSUB 0x4b, NMADD 0x4f). Loads and stores (FLW/FLD/FSW/FSD) belong to the hart.
/// Returns `Ok(dirty)` (true when f registers or fflags were written) or `Err(())` when the
/// encoding is illegal (including a reserved rounding mode). Never writes `x[0]`.
///
/// Nothing is written when it returns `Err`.
// The unit error is the hart's interface: the only failure is "illegal instruction", which the
// hart turns into its own trap with the instruction bits it already has.
#[allow(clippy::result_unit_err)]
pub fn execute(fp: &mut FpRegs, x: &mut [u64; 32], insn: u32) -> Result<bool, ()> {
    let i = Fields::decode(insn);
    // fmt H (10) and Q (11) are not implemented: Zfh and Q are not part of RV64GC.
    let (dest, flags) = match (i.opcode, i.fmt) {
        (OP_FP, 0) => op_fp::<Single>(fp, x, i)?,
        (OP_FP, 1) => op_fp::<Double>(fp, x, i)?,
        (OP_MADD | OP_MSUB | OP_NMSUB | OP_NMADD, 0) => fused::<Single>(fp, i)?,
        (OP_MADD | OP_MSUB | OP_NMSUB | OP_NMADD, 1) => fused::<Double>(fp, i)?,
        _ => return Err(()),
    };
    fp.fflags |= flags;
    match dest {
        Dest::F(v) => {
            fp.f[i.rd] = v;
            Ok(true)
        }
        Dest::X(v) => {
            if i.rd != 0 {
                x[i.rd] = v;
            }
            // Only raised flags make the FP state dirty (as in Spike's set_fp_exceptions).
            Ok(flags != 0)
        }
    }
}

/// The rounding mode an instruction uses: its rm field, or `frm` when rm is DYN (111).
/// Reserved modes (101, 110 in either place, 111 in frm) make the instruction illegal
/// (F, `norm:roundingmode_rsv`: reserved; raising illegal-instruction is the allowed choice and
/// what Spike and QEMU do).
fn rounding_mode(funct3: u32, frm: u8) -> Result<u8, ()> {
    let rm = if funct3 == 7 { u32::from(frm) } else { funct3 };
    if rm <= 4 {
        Ok(rm as u8)
    } else {
        Err(())
    }
}

/// Maps the rs2 field of FCVT.int.fmt / FCVT.fmt.int to the integer type (F, `fcvt`).
fn int_kind(rs2: usize) -> Result<IntKind, ()> {
    match rs2 {
        0 => Ok(IntKind::W),
        1 => Ok(IntKind::Wu),
        2 => Ok(IntKind::L),
        3 => Ok(IntKind::Lu),
        _ => Err(()),
    }
}

/// One OP-FP instruction of format `F`.
fn op_fp<F: Format>(fp: &FpRegs, x: &[u64; 32], i: Fields) -> Result<(Dest, u8), ()> {
    let a = F::unbox(fp.f[i.rs1]);
    let b = F::unbox(fp.f[i.rs2]);
    let rm = || rounding_mode(i.funct3, fp.frm);
    let boxed = |(v, flags): (u64, u8)| (Dest::F(F::nan_box(v)), flags);
    Ok(match i.funct5 {
        F5_ADD | F5_SUB | F5_MUL | F5_DIV => {
            let op = match i.funct5 {
                F5_ADD => BinOp::Add,
                F5_SUB => BinOp::Sub,
                F5_MUL => BinOp::Mul,
                _ => BinOp::Div,
            };
            boxed(softfloat::binary::<F>(op, rm()?, a, b))
        }
        F5_SQRT if i.rs2 == 0 => boxed(softfloat::sqrt::<F>(rm()?, a)),
        F5_SGNJ if i.funct3 <= 2 => (Dest::F(F::nan_box(sign_inject::<F>(i.funct3, a, b))), 0),
        F5_MINMAX if i.funct3 <= 1 => {
            let (v, flags) = min_max::<F>(i.funct3 == 1, a, b);
            (Dest::F(F::nan_box(v)), flags)
        }
        // FCVT.S.D / FCVT.D.S: rs2 holds the source format (D, `fcvt-sd-ds`).
        F5_CVT_FF if i.rs2 == F::OTHER_RS2 => boxed(F::convert_from_other(rm()?, fp.f[i.rs1])),
        F5_CMP => {
            let op = match i.funct3 {
                2 => CmpOp::Eq,
                1 => CmpOp::Lt,
                0 => CmpOp::Le,
                _ => return Err(()),
            };
            let (holds, flags) = softfloat::compare::<F>(op, a, b);
            (Dest::X(u64::from(holds)), flags)
        }
        F5_CVT_IF => {
            let (v, flags) = softfloat::to_int::<F>(int_kind(i.rs2)?, rm()?, a);
            (Dest::X(v), flags)
        }
        F5_CVT_FI => boxed(softfloat::from_int::<F>(int_kind(i.rs2)?, rm()?, x[i.rs1])),
        // FMV.X.W / FMV.X.D: a transfer; the low BITS bits are moved unchecked and sign-extended
        // (F, `norm:fmv-x-w_op`; D, `norm:fmv-x-d_op`).
        F5_MVXF_CLASS if i.rs2 == 0 && i.funct3 == 0 => {
            let shift = 64 - F::BITS;
            (
                Dest::X((((fp.f[i.rs1] << shift) as i64) >> shift) as u64),
                0,
            )
        }
        F5_MVXF_CLASS if i.rs2 == 0 && i.funct3 == 1 => (Dest::X(classify::<F>(a)), 0),
        // FMV.W.X / FMV.D.X: a transfer in; the value is NaN-boxed, payloads kept
        // (F, `norm:fmv-w-x_op`; D, `norm:fmv-d-x_op`).
        F5_MVFX if i.rs2 == 0 && i.funct3 == 0 => (Dest::F(F::nan_box(x[i.rs1] & F::MASK)), 0),
        _ => return Err(()),
    })
}

/// FMADD/FMSUB/FNMSUB/FNMADD (F, `norm:fmadd-s_op` .. `norm:fnmadd-s_op`), one rounding.
///
/// The negations are applied to the inputs, as Spike does: -(a×b) is exactly (-a)×b, and
/// -(a×b)-c is exactly (-a)×b+(-c), including the signs of zero results, so the single rounding
/// of SoftFloat's mulAdd gives the specified result. Flipping the sign of a NaN input cannot
/// change anything: NaN results are canonical and sNaN stays signaling.
fn fused<F: Format>(fp: &FpRegs, i: Fields) -> Result<(Dest, u8), ()> {
    let rm = rounding_mode(i.funct3, fp.frm)?;
    let (negate_product, negate_addend) = match i.opcode {
        OP_MADD => (false, false),
        OP_MSUB => (false, true),
        OP_NMSUB => (true, false),
        _ => (true, true), // OP_NMADD
    };
    let flip = |negate: bool| if negate { F::SIGN } else { 0 };
    let a = F::unbox(fp.f[i.rs1]) ^ flip(negate_product);
    let b = F::unbox(fp.f[i.rs2]);
    let c = F::unbox(fp.f[i.funct5 as usize]) ^ flip(negate_addend); // funct5 is rs3 here
    let (v, flags) = softfloat::mul_add::<F>(rm, a, b, c);
    Ok((Dest::F(F::nan_box(v)), flags))
}

/// FSGNJ (funct3 0), FSGNJN (1), FSGNJX (2): all bits of `a` but the sign, which comes from `b`,
/// from `b` inverted, or from a XOR b. Bit operations: no flags, no NaN canonicalization
/// (F, `norm:fsgnj-s_fsgnjn-s_fsgnjx-s_op`). The operands are still unboxed first, so an
/// improperly boxed single reads as the canonical NaN like in every non-transfer operation.
fn sign_inject<F: Format>(funct3: u32, a: u64, b: u64) -> u64 {
    let sign = match funct3 {
        0 => b,
        1 => !b,
        _ => a ^ b,
    } & F::SIGN;
    (a & !F::SIGN) | sign
}

/// FMIN (`max` false) / FMAX (`max` true): IEEE 754-2019 minimumNumber / maximumNumber
/// (F, `norm:fmin-s_fmax-s_op` and following): -0 < +0, one NaN input gives the other operand,
/// two give the canonical NaN, any signaling NaN input raises NV even when the result is a number.
fn min_max<F: Format>(max: bool, a: u64, b: u64) -> (u64, u8) {
    let flags = if F::is_snan(a) || F::is_snan(b) {
        NV
    } else {
        0
    };
    let v = match (F::is_nan(a), F::is_nan(b)) {
        (true, true) => F::CANONICAL_NAN,
        (true, false) => b,
        (false, true) => a,
        (false, false) => {
            // For non-NaN values this key orders like the numbers, with -0 below +0: positive
            // values above all negative ones, negative ones reversed by complementing.
            let key = |v: u64| {
                if v & F::SIGN != 0 {
                    !v & F::MASK
                } else {
                    v | F::SIGN
                }
            };
            if (key(a) < key(b)) != max {
                a
            } else {
                b
            }
        }
    };
    (v, flags)
}

/// FCLASS: a one-hot 10-bit mask of the class of `v` (F, `fclass` table). No flags.
fn classify<F: Format>(v: u64) -> u64 {
    let negative = v & F::SIGN != 0;
    let exp = (v >> F::FRAC_BITS) & F::EXP_MAX;
    let frac = v & F::FRAC_MASK;
    let bit = if exp == F::EXP_MAX {
        match (frac, frac & F::QUIET != 0) {
            (0, _) if negative => 0, // -inf
            (0, _) => 7,             // +inf
            (_, false) => 8,         // signaling NaN
            (_, true) => 9,          // quiet NaN
        }
    } else if exp == 0 {
        match (frac, negative) {
            (0, true) => 3,  // -0
            (0, false) => 4, // +0
            (_, true) => 2,  // negative subnormal
            (_, false) => 5, // positive subnormal
        }
    } else if negative {
        1
    } else {
        6
    };
    1 << bit
}
