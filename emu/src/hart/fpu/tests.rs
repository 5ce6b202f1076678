//! Unit tests of the FPU.
//!
//! Expected values follow the spec; the subtle ones (tininess after rounding, signs of exact zero
//! FMA results, NaN-boxing of improper inputs, conversion saturation, FMIN/FMAX with NaNs, compare
//! flags) were checked against QEMU 10 user mode (`qemu-riscv64`) running a static riscv64 program
//! that loads the operand bits with `fmv.d.x`, executes the instruction and reads `frflags`;
//! those tests say "QEMU" in a comment.

use super::*;

// Rounding modes (F, `norm:dyn_round_enc`).
const RNE: u32 = 0;
const RTZ: u32 = 1;
const RDN: u32 = 2;
const RUP: u32 = 3;
const RMM: u32 = 4;
const DYN: u32 = 7;
// fmt field (F, `tab:fpfmt`).
const S: u32 = 0;
const D: u32 = 1;
// Integer kinds as encoded in the rs2 field of FCVT.
const W: u32 = 0;
const WU: u32 = 1;
const L: u32 = 2;
const LU: u32 = 3;

// Every test uses f1, f2, f3 (rs1, rs2, rs3) and x11 as sources and f10/x10 as destination.
const RD: u32 = 10;

/// R-type layout of OP-FP: funct5 | fmt | rs2 | rs1 | funct3 | rd | opcode.
fn r_type(funct5: u32, fmt: u32, rs2: u32, rs1: u32, funct3: u32, rd: u32) -> u32 {
    (funct5 << 27) | (fmt << 25) | (rs2 << 20) | (rs1 << 15) | (funct3 << 12) | (rd << 7) | OP_FP
}

/// R4-type layout of the fused instructions: rs3 | fmt | rs2 | rs1 | rm | rd | opcode.
fn r4_type(opcode: u32, rs3: u32, fmt: u32, rs2: u32, rs1: u32, rm: u32, rd: u32) -> u32 {
    (rs3 << 27) | (fmt << 25) | (rs2 << 20) | (rs1 << 15) | (rm << 12) | (rd << 7) | opcode
}

fn fadd(fmt: u32, rm: u32) -> u32 {
    r_type(F5_ADD, fmt, 2, 1, rm, RD)
}
fn fsub(fmt: u32, rm: u32) -> u32 {
    r_type(F5_SUB, fmt, 2, 1, rm, RD)
}
fn fmul(fmt: u32, rm: u32) -> u32 {
    r_type(F5_MUL, fmt, 2, 1, rm, RD)
}
fn fdiv(fmt: u32, rm: u32) -> u32 {
    r_type(F5_DIV, fmt, 2, 1, rm, RD)
}
fn fsqrt(fmt: u32, rm: u32) -> u32 {
    r_type(F5_SQRT, fmt, 0, 1, rm, RD)
}
/// FSGNJ (0), FSGNJN (1), FSGNJX (2).
fn fsgnj(fmt: u32, kind: u32) -> u32 {
    r_type(F5_SGNJ, fmt, 2, 1, kind, RD)
}
fn fmin(fmt: u32) -> u32 {
    r_type(F5_MINMAX, fmt, 2, 1, 0, RD)
}
fn fmax(fmt: u32) -> u32 {
    r_type(F5_MINMAX, fmt, 2, 1, 1, RD)
}
fn feq(fmt: u32) -> u32 {
    r_type(F5_CMP, fmt, 2, 1, 2, RD)
}
fn flt(fmt: u32) -> u32 {
    r_type(F5_CMP, fmt, 2, 1, 1, RD)
}
fn fle(fmt: u32) -> u32 {
    r_type(F5_CMP, fmt, 2, 1, 0, RD)
}
/// FCVT.{W,WU,L,LU}.fmt x10, f1.
fn fcvt_to_int(fmt: u32, kind: u32, rm: u32) -> u32 {
    r_type(F5_CVT_IF, fmt, kind, 1, rm, RD)
}
/// FCVT.fmt.{W,WU,L,LU} f10, x11.
fn fcvt_from_int(fmt: u32, kind: u32, rm: u32) -> u32 {
    r_type(F5_CVT_FI, fmt, kind, 11, rm, RD)
}
fn fcvt_s_d(rm: u32) -> u32 {
    r_type(F5_CVT_FF, S, D, 1, rm, RD)
}
fn fcvt_d_s(rm: u32) -> u32 {
    r_type(F5_CVT_FF, D, S, 1, rm, RD)
}
/// FMV.X.W / FMV.X.D x10, f1.
fn fmv_x_f(fmt: u32) -> u32 {
    r_type(F5_MVXF_CLASS, fmt, 0, 1, 0, RD)
}
fn fclass(fmt: u32) -> u32 {
    r_type(F5_MVXF_CLASS, fmt, 0, 1, 1, RD)
}
/// FMV.W.X / FMV.D.X f10, x11.
fn fmv_f_x(fmt: u32) -> u32 {
    r_type(F5_MVFX, fmt, 0, 11, 0, RD)
}
/// f10 = ±(f1×f2) ± f3.
fn fma(opcode: u32, fmt: u32, rm: u32) -> u32 {
    r4_type(opcode, 3, fmt, 2, 1, rm, RD)
}

/// A NaN-boxed single from its bits.
fn bs(bits: u32) -> u64 {
    0xffff_ffff_0000_0000 | u64::from(bits)
}
/// A NaN-boxed single.
fn sf(v: f32) -> u64 {
    bs(v.to_bits())
}
fn df(v: f64) -> u64 {
    v.to_bits()
}

struct Machine {
    fp: FpRegs,
    x: [u64; 32],
}

impl Machine {
    fn new(frm: u32) -> Self {
        let mut m = Machine {
            fp: FpRegs::default(),
            x: [0; 32],
        };
        m.fp.frm = frm as u8;
        m
    }
    fn exec(&mut self, insn: u32) -> Result<bool, ()> {
        execute(&mut self.fp, &mut self.x, insn)
    }
}

/// Runs an instruction with f-register result on f1=a, f2=b, f3=c: (f10, fflags).
fn run_f(insn: u32, a: u64, b: u64, c: u64, frm: u32) -> (u64, u8) {
    let mut m = Machine::new(frm);
    m.fp.f[1] = a;
    m.fp.f[2] = b;
    m.fp.f[3] = c;
    assert_eq!(
        m.exec(insn),
        Ok(true),
        "insn {insn:#010x} writes an f register"
    );
    (m.fp.f[RD as usize], m.fp.fflags)
}

/// Runs an instruction with x-register result on f1=a, f2=b: (x10, fflags).
fn run_x(insn: u32, a: u64, b: u64, frm: u32) -> (u64, u8) {
    let mut m = Machine::new(frm);
    m.fp.f[1] = a;
    m.fp.f[2] = b;
    let dirty = m.exec(insn).expect("legal");
    assert_eq!(
        dirty,
        m.fp.fflags != 0,
        "integer results are dirty iff flags were raised"
    );
    (m.x[RD as usize], m.fp.fflags)
}

/// Runs an instruction with f-register result on x11=xv: (f10, fflags).
fn run_fx(insn: u32, xv: u64, frm: u32) -> (u64, u8) {
    let mut m = Machine::new(frm);
    m.x[11] = xv;
    assert_eq!(m.exec(insn), Ok(true));
    (m.fp.f[RD as usize], m.fp.fflags)
}

const CNAN_S: u64 = 0xffff_ffff_7fc0_0000;
const CNAN_D: u64 = 0x7ff8_0000_0000_0000;

#[test]
fn encoders_match_the_assembler() {
    // Encodings printed by riscv64-linux-gnu-as/objdump for fa0=f10, ft1=f1, ft2=f2, ft3=f3,
    // a0=x10, a1=x11.
    let cases = [
        (0x0020_8553, fadd(S, RNE)),
        (0x0a20_9553, fsub(D, RTZ)),
        (0x1020_a553, fmul(S, RDN)),
        (0x1a20_f553, fdiv(D, DYN)),
        (0x5800_b553, fsqrt(S, RUP)),
        (0x2220_a553, fsgnj(D, 2)),
        (0x2820_9553, fmax(S)),
        (0xa220_a553, feq(D)),
        (0xa020_8553, fle(S)),
        (0xc230_c553, fcvt_to_int(D, LU, RMM)),
        (0xd015_9553, fcvt_from_int(S, WU, RTZ)),
        (0x4010_8553, fcvt_s_d(RNE)),
        (0x4200_8553, fcvt_d_s(RNE)),
        (0xe000_8553, fmv_x_f(S)),
        (0xe200_9553, fclass(D)),
        (0xf205_8553, fmv_f_x(D)),
        (0x1820_8543, fma(OP_MADD, S, RNE)),
        (0x1a20_9547, fma(OP_MSUB, D, RTZ)),
        (0x1820_f54b, fma(OP_NMSUB, S, DYN)),
        (0x1a20_c54f, fma(OP_NMADD, D, RMM)),
    ];
    for (want, got) in cases {
        assert_eq!(got, want, "{got:#010x} != {want:#010x}");
    }
}

#[test]
fn basic_arithmetic() {
    assert_eq!(run_f(fadd(S, RNE), sf(1.5), sf(2.25), 0, 0), (sf(3.75), 0));
    assert_eq!(run_f(fsub(D, RNE), df(1.5), df(2.25), 0, 0), (df(-0.75), 0));
    assert_eq!(run_f(fmul(S, RNE), sf(-3.0), sf(0.5), 0, 0), (sf(-1.5), 0));
    assert_eq!(run_f(fdiv(D, RNE), df(1.0), df(8.0), 0, 0), (df(0.125), 0));
    assert_eq!(run_f(fsqrt(S, RNE), sf(4.0), 0, 0, 0), (sf(2.0), 0));
    assert_eq!(
        run_f(fsqrt(D, RNE), df(2.0), 0, 0, 0),
        (df(2f64.sqrt()), NX)
    );
    // sqrt(-0) = -0 without flags (IEEE 754); QEMU agrees.
    assert_eq!(run_f(fsqrt(S, RNE), sf(-0.0), 0, 0, 0), (sf(-0.0), 0));
}

#[test]
fn each_rounding_mode_static_and_dynamic() {
    // 1/3 and -1/3 in single: RNE/RMM/RUP round 0x3eaaaaaa.8 up in magnitude where the direction
    // agrees. fdiv.s -1/3 RDN and RUP checked on QEMU.
    let third = [
        (RNE, 0x3eaa_aaab, 0xbeaa_aaab),
        (RTZ, 0x3eaa_aaaa, 0xbeaa_aaaa),
        (RDN, 0x3eaa_aaaa, 0xbeaa_aaab),
        (RUP, 0x3eaa_aaab, 0xbeaa_aaaa),
        (RMM, 0x3eaa_aaab, 0xbeaa_aaab),
    ];
    for (rm, pos, neg) in third {
        assert_eq!(
            run_f(fdiv(S, rm), sf(1.0), sf(3.0), 0, 0),
            (bs(pos), NX),
            "rm {rm}"
        );
        assert_eq!(
            run_f(fdiv(S, rm), sf(-1.0), sf(3.0), 0, 0),
            (bs(neg), NX),
            "rm {rm}"
        );
        // Dynamic: rm = DYN takes frm.
        assert_eq!(
            run_f(fdiv(S, DYN), sf(1.0), sf(3.0), 0, rm),
            (bs(pos), NX),
            "frm {rm}"
        );
    }
    // A tie: 1 + 2^-24 is halfway between 1 and 1+2^-23. RNE keeps the even 1.0, RMM goes away
    // from zero (QEMU).
    let ties = [
        (RNE, 0x3f80_0000),
        (RTZ, 0x3f80_0000),
        (RDN, 0x3f80_0000),
        (RUP, 0x3f80_0001),
        (RMM, 0x3f80_0001),
    ];
    for (rm, want) in ties {
        assert_eq!(
            run_f(fadd(S, rm), sf(1.0), bs(0x3380_0000), 0, 0),
            (bs(want), NX),
            "rm {rm}"
        );
        assert_eq!(
            run_f(fadd(S, DYN), sf(1.0), bs(0x3380_0000), 0, rm),
            (bs(want), NX)
        );
    }
    // Double tie: 1 + 2^-53.
    let ties_d = [(RNE, 0), (RTZ, 0), (RDN, 0), (RUP, 1), (RMM, 1)];
    for (rm, ulps) in ties_d {
        let want = df(1.0) + ulps;
        assert_eq!(
            run_f(fadd(D, rm), df(1.0), df(2f64.powi(-53)), 0, 0),
            (want, NX)
        );
    }
    // Conversions to integer round by rm too: -2.5 (QEMU).
    let conv = [(RNE, -2i64), (RTZ, -2), (RDN, -3), (RUP, -2), (RMM, -3)];
    for (rm, want) in conv {
        assert_eq!(
            run_x(fcvt_to_int(S, W, rm), sf(-2.5), 0, 0),
            (want as u64, NX)
        );
        assert_eq!(
            run_x(fcvt_to_int(D, L, DYN), df(-2.5), 0, rm),
            (want as u64, NX)
        );
    }
    // And +2.5.
    let conv = [(RNE, 2u64), (RTZ, 2), (RDN, 2), (RUP, 3), (RMM, 3)];
    for (rm, want) in conv {
        assert_eq!(run_x(fcvt_to_int(D, WU, rm), df(2.5), 0, 0), (want, NX));
    }
}

#[test]
fn reserved_rounding_modes_are_illegal() {
    for rm in [5, 6] {
        let mut m = Machine::new(RNE);
        assert_eq!(m.exec(fadd(S, rm)), Err(()), "static rm {rm}");
        assert_eq!(m.exec(fma(OP_MADD, D, rm)), Err(()));
        // Instructions that cannot round still decode their rm field as usual
        // (F, `norm:roundingmode_rsv`).
        assert_eq!(m.exec(fcvt_d_s(rm)), Err(()));
        assert_eq!(m.exec(fcvt_from_int(D, W, rm)), Err(()));
    }
    for frm in [5, 6, 7] {
        let mut m = Machine::new(frm);
        m.fp.f[1] = sf(1.0);
        m.fp.f[2] = sf(3.0);
        for insn in [
            fadd(S, DYN),
            fdiv(D, DYN),
            fsqrt(S, DYN),
            fma(OP_NMADD, S, DYN),
            fcvt_to_int(S, W, DYN),
            fcvt_from_int(D, LU, DYN),
            fcvt_s_d(DYN),
            fcvt_d_s(DYN),
        ] {
            assert_eq!(m.exec(insn), Err(()), "insn {insn:#010x} with frm {frm}");
        }
        // Nothing was written by the failed attempts.
        assert_eq!(m.fp.f[RD as usize], 0);
        assert_eq!(m.fp.fflags, 0);
        // The same frm with a static mode is fine, and so are instructions without rounding.
        assert_eq!(m.exec(fadd(S, RNE)), Ok(true));
        for insn in [
            fsgnj(S, 0),
            fmin(D),
            feq(S),
            fclass(D),
            fmv_x_f(S),
            fmv_f_x(S),
        ] {
            assert!(m.exec(insn).is_ok(), "insn {insn:#010x} with frm {frm}");
        }
    }
}

#[test]
fn other_illegal_encodings() {
    let mut m = Machine::new(RNE);
    let illegal = [
        fadd(2, RNE),                          // fmt H
        fadd(3, RNE),                          // fmt Q
        fma(OP_MADD, 2, RNE),                  // fmt H
        r_type(F5_SQRT, S, 1, 1, RNE, RD),     // FSQRT with rs2 != 0
        r_type(F5_SGNJ, D, 2, 1, 3, RD),       // funct3 3 of FSGNJ
        r_type(F5_MINMAX, S, 2, 1, 2, RD),     // funct3 2 of FMIN/FMAX
        r_type(F5_CMP, S, 2, 1, 3, RD),        // funct3 3 of compare
        r_type(F5_CVT_IF, S, 4, 1, RNE, RD),   // FCVT to an unknown integer type
        r_type(F5_CVT_FI, D, 5, 11, RNE, RD),  // FCVT from an unknown integer type
        r_type(F5_CVT_FF, S, S, 1, RNE, RD),   // FCVT.S.S
        r_type(F5_CVT_FF, D, D, 1, RNE, RD),   // FCVT.D.D
        r_type(F5_CVT_FF, S, 2, 1, RNE, RD),   // FCVT.S.H (Zfh)
        r_type(F5_MVXF_CLASS, S, 1, 1, 0, RD), // FMV.X.W with rs2 != 0
        r_type(F5_MVXF_CLASS, D, 0, 1, 2, RD), // funct3 2
        r_type(F5_MVFX, S, 0, 11, 1, RD),      // FMV.W.X with funct3 != 0
        r_type(0x06, S, 2, 1, RNE, RD),        // unassigned funct5
        r_type(0x1f, D, 0, 1, 0, RD),          // unassigned funct5
        0x0000_2007,                           // FLW: the hart's, not ours
        0x0000_0013,                           // an integer instruction
    ];
    for insn in illegal {
        assert_eq!(m.exec(insn), Err(()), "insn {insn:#010x}");
    }
    assert_eq!(m.fp.f, [0; 32]);
    assert_eq!(m.x, [0; 32]);
    assert_eq!(m.fp.fflags, 0);
}

#[test]
fn exception_flags() {
    // DZ: 1/0 = +inf, 1/-0 = -inf (QEMU).
    assert_eq!(
        run_f(fdiv(S, RNE), sf(1.0), sf(0.0), 0, 0),
        (sf(f32::INFINITY), DZ)
    );
    assert_eq!(
        run_f(fdiv(D, RNE), df(1.0), df(-0.0), 0, 0),
        (df(f64::NEG_INFINITY), DZ)
    );
    // NV: sqrt(-1), inf-inf, 0*inf, 0/0 give the canonical NaN (QEMU for sqrt.d).
    assert_eq!(run_f(fsqrt(S, RNE), sf(-1.0), 0, 0, 0), (CNAN_S, NV));
    assert_eq!(run_f(fsqrt(D, RNE), df(-1.0), 0, 0, 0), (CNAN_D, NV));
    let inf = sf(f32::INFINITY);
    assert_eq!(run_f(fsub(S, RNE), inf, inf, 0, 0), (CNAN_S, NV));
    assert_eq!(
        run_f(fmul(D, RNE), df(0.0), df(f64::INFINITY), 0, 0),
        (CNAN_D, NV)
    );
    assert_eq!(run_f(fdiv(S, RNE), sf(0.0), sf(-0.0), 0, 0), (CNAN_S, NV));
    // OF: FLT_MAX*2 (QEMU): +inf under RNE, FLT_MAX under RTZ, -inf for the negative under RDN.
    let max = sf(f32::MAX);
    assert_eq!(run_f(fmul(S, RNE), max, sf(2.0), 0, 0), (inf, OF | NX));
    assert_eq!(run_f(fmul(S, RTZ), max, sf(2.0), 0, 0), (max, OF | NX));
    assert_eq!(
        run_f(fmul(S, RUP), sf(-f32::MAX), sf(2.0), 0, 0),
        (sf(-f32::MAX), OF | NX)
    );
    assert_eq!(
        run_f(fmul(S, RDN), sf(-f32::MAX), sf(2.0), 0, 0),
        (sf(f32::NEG_INFINITY), OF | NX)
    );
    assert_eq!(
        run_f(fadd(D, RNE), df(f64::MAX), df(f64::MAX), 0, 0),
        (df(f64::INFINITY), OF | NX)
    );
    // NX alone: 1/3.
    assert_eq!(
        run_f(fdiv(D, RNE), df(1.0), df(3.0), 0, 0),
        (df(1.0 / 3.0), NX)
    );
    // UF: the smallest subnormal halved is a tie between 0 and itself (QEMU).
    assert_eq!(run_f(fmul(S, RNE), bs(1), sf(0.5), 0, 0), (bs(0), UF | NX));
    assert_eq!(run_f(fmul(S, RUP), bs(1), sf(0.5), 0, 0), (bs(1), UF | NX));
    assert_eq!(run_f(fmul(D, RNE), 1, df(0.25), 0, 0), (0, UF | NX));
    // An exact subnormal result is not an underflow: UF needs inexactness (QEMU).
    assert_eq!(
        run_f(fmul(S, RNE), bs(0x0080_0000), sf(0.5), 0, 0),
        (bs(0x0040_0000), 0)
    );
    // Flags accrue: earlier flags stay set.
    let mut m = Machine::new(RNE);
    m.fp.fflags = DZ;
    m.fp.f[1] = sf(1.0);
    m.fp.f[2] = sf(3.0);
    assert_eq!(m.exec(fdiv(S, RNE)), Ok(true));
    assert_eq!(m.fp.fflags, DZ | NX);
}

#[test]
fn tininess_is_detected_after_rounding() {
    // (1-2^-23) × (1+2^-23)·2^-126 = 2^-126·(1-2^-46): below the smallest normal before rounding
    // but rounds to it with an unbounded exponent, so RISC-V (after rounding) raises only NX; a
    // before-rounding implementation would add UF. Under RTZ it stays subnormal: UF|NX (QEMU).
    assert_eq!(
        run_f(fmul(S, RNE), bs(0x3f7f_fffe), bs(0x0080_0001), 0, 0),
        (bs(0x0080_0000), NX)
    );
    assert_eq!(
        run_f(fmul(S, RTZ), bs(0x3f7f_fffe), bs(0x0080_0001), 0, 0),
        (bs(0x007f_ffff), UF | NX)
    );
    let (a, b) = (0x3fef_ffff_ffff_fffe, 0x0010_0000_0000_0001);
    assert_eq!(run_f(fmul(D, RNE), a, b, 0, 0), (0x0010_0000_0000_0000, NX));
    assert_eq!(
        run_f(fmul(D, RTZ), a, b, 0, 0),
        (0x000f_ffff_ffff_ffff, UF | NX)
    );
    // (1-2^-24)·2^-126 is exactly representable with an unbounded exponent, hence tiny, though
    // the bounded result rounds up to the smallest normal: UF|NX (QEMU).
    assert_eq!(
        run_f(fmul(S, RNE), bs(0x3f7f_ffff), bs(0x0080_0000), 0, 0),
        (bs(0x0080_0000), UF | NX)
    );
    // FCVT.S.D of 2^-126 - 2^-151, a tie that rounds up to 2^-126: NX only (QEMU).
    assert_eq!(
        run_f(fcvt_s_d(RNE), 0x380f_ffff_f000_0000, 0, 0, 0),
        (bs(0x0080_0000), NX)
    );
}

#[test]
fn improperly_boxed_singles_read_as_canonical_nan() {
    let unboxed_one = 0x0000_0000_3f80_0000; // 1.0f32 without the box
                                             // Arithmetic sees a quiet NaN: canonical NaN, no flags (QEMU).
    assert_eq!(run_f(fadd(S, RNE), unboxed_one, sf(1.0), 0, 0), (CNAN_S, 0));
    assert_eq!(
        run_f(
            fma(OP_MADD, S, RNE),
            sf(1.0),
            sf(1.0),
            0x1234_5678_0000_0000,
            0
        ),
        (CNAN_S, 0)
    );
    // FCLASS reports a quiet NaN (QEMU).
    assert_eq!(run_x(fclass(S), unboxed_one, 0, 0), (1 << 9, 0));
    // Sign injection works on the canonical NaN (QEMU), for rs1 and rs2 alike.
    assert_eq!(
        run_f(fsgnj(S, 1), unboxed_one, sf(1.0), 0, 0),
        (bs(0xffc0_0000), 0)
    );
    assert_eq!(
        run_f(fsgnj(S, 0), sf(-1.0), 0x0000_0000_bf80_0000, 0, 0),
        (bs(0x3f80_0000), 0)
    );
    assert_eq!(
        run_f(
            fsgnj(S, 0),
            0x1234_5678_3f80_0000,
            0x1234_5678_3f80_0000,
            0,
            0
        ),
        (CNAN_S, 0)
    );
    // FCVT.D.S widens the canonical NaN; FMIN returns the other operand; FEQ is false, quietly.
    assert_eq!(run_f(fcvt_d_s(RNE), unboxed_one, 0, 0, 0), (CNAN_D, 0));
    assert_eq!(run_f(fmin(S), unboxed_one, sf(2.0), 0, 0), (sf(2.0), 0));
    assert_eq!(run_x(feq(S), 0x0000_0000_7fc0_0000, CNAN_S, 0), (0, 0));
    // Conversions to integer see NaN: saturate to the maximum with NV.
    assert_eq!(
        run_x(fcvt_to_int(S, W, RNE), unboxed_one, 0, 0),
        (0x7fff_ffff, NV)
    );
    // FMV.X.W is a transfer: it ignores the upper bits and sign-extends bit 31 (QEMU).
    assert_eq!(
        run_x(fmv_x_f(S), 0x1234_5678_8765_4321, 0, 0),
        (0xffff_ffff_8765_4321, 0)
    );
    assert_eq!(run_x(fmv_x_f(S), unboxed_one, 0, 0), (0x3f80_0000, 0));
    // Double instructions read the whole register: a boxed single is a negative quiet NaN.
    assert_eq!(run_x(fclass(D), sf(1.0), 0, 0), (1 << 9, 0));
    assert_eq!(run_f(fadd(D, RNE), sf(1.0), df(1.0), 0, 0), (CNAN_D, 0));
}

#[test]
fn single_results_are_nan_boxed() {
    assert_eq!(
        run_f(fadd(S, RNE), sf(1.0), sf(1.0), 0, 0).0 >> 32,
        0xffff_ffff
    );
    assert_eq!(run_f(fcvt_s_d(RNE), df(0.5), 0, 0, 0), (sf(0.5), 0));
    assert_eq!(run_fx(fcvt_from_int(S, W, RNE), 3, 0), (sf(3.0), 0));
    assert_eq!(run_f(fsgnj(S, 2), sf(-2.0), sf(-1.0), 0, 0), (sf(2.0), 0));
    assert_eq!(run_f(fmax(S), sf(-2.0), sf(-1.0), 0, 0), (sf(-1.0), 0));
    assert_eq!(
        run_f(fma(OP_MSUB, S, RNE), sf(2.0), sf(3.0), sf(1.0), 0),
        (sf(5.0), 0)
    );
    // FMV.W.X boxes and keeps NaN payloads (QEMU).
    assert_eq!(
        run_fx(fmv_f_x(S), 0xdead_beef_7f81_2345, 0),
        (bs(0x7f81_2345), 0)
    );
}

#[test]
fn nan_results_are_canonical() {
    // Signaling NaN with payload: NV and canonical NaN (QEMU).
    assert_eq!(
        run_f(fadd(S, RNE), bs(0x7f81_2345), sf(1.0), 0, 0),
        (CNAN_S, NV)
    );
    // Negative quiet NaN with payload: canonical, positive, no flags (QEMU).
    assert_eq!(
        run_f(fadd(S, RNE), bs(0xffc1_2345), sf(1.0), 0, 0),
        (CNAN_S, 0)
    );
    assert_eq!(
        run_f(fmul(D, RNE), 0xfff8_0000_dead_beef, df(2.0), 0, 0),
        (CNAN_D, 0)
    );
    assert_eq!(
        run_f(fsqrt(D, RNE), 0x7ff0_0000_0000_0001, 0, 0, 0),
        (CNAN_D, NV)
    );
    assert_eq!(
        run_f(
            fma(OP_NMADD, D, RNE),
            df(1.0),
            df(1.0),
            0x7ff4_0000_0000_0000,
            0
        ),
        (CNAN_D, NV)
    );
    // Conversions between formats (QEMU).
    assert_eq!(
        run_f(fcvt_s_d(RNE), 0x7ff0_0000_0001_2345, 0, 0, 0),
        (CNAN_S, NV)
    );
    assert_eq!(run_f(fcvt_d_s(RNE), bs(0x7f81_2345), 0, 0, 0), (CNAN_D, NV));
    assert_eq!(run_f(fcvt_d_s(RNE), bs(0xffc1_2345), 0, 0, 0), (CNAN_D, 0));
    // Sign injection and moves are bit operations: payloads and signaling-ness survive, no flags
    // (QEMU for fsgnjn).
    assert_eq!(
        run_f(fsgnj(S, 1), bs(0x7f81_2345), bs(0x7f81_2345), 0, 0),
        (bs(0xff81_2345), 0)
    );
    assert_eq!(
        run_f(fsgnj(D, 2), 0xfff4_0000_0000_0001, df(-1.0), 0, 0),
        (0x7ff4_0000_0000_0001, 0)
    );
    assert_eq!(
        run_fx(fmv_f_x(D), 0x7ff4_0000_0000_0001, 0),
        (0x7ff4_0000_0000_0001, 0)
    );
    assert_eq!(
        run_x(fmv_x_f(D), 0xfff4_0000_0000_0001, 0, 0),
        (0xfff4_0000_0000_0001, 0)
    );
}

#[test]
fn fcvt_to_int_saturation_and_nan() {
    let qnan_s = CNAN_S;
    let neg_qnan_s = bs(0xffc0_0000);
    let snan_d = 0x7ff0_0000_0000_0001;
    let (pinf_s, ninf_s) = (sf(f32::INFINITY), sf(f32::NEG_INFINITY));
    let (pinf_d, ninf_d) = (df(f64::INFINITY), df(f64::NEG_INFINITY));
    let (imin32, imax32) = (i64::from(i32::MIN) as u64, i32::MAX as u64);
    let all = u64::MAX; // 2^32-1 sign-extended (WU) and 2^64-1 (LU)
                        // (fmt, kind, input, expected x, expected flags). NaN of either sign gives the maximum
                        // (F, `int_conv` table; QEMU).
    let cases = [
        // FCVT.W.S / FCVT.W.D
        (S, W, qnan_s, imax32, NV),
        (S, W, neg_qnan_s, imax32, NV),
        (S, W, pinf_s, imax32, NV),
        (S, W, ninf_s, imin32, NV),
        (S, W, sf(2147483648.0), imax32, NV),
        (S, W, sf(-2147483648.0), imin32, 0),
        (S, W, sf(-3e9), imin32, NV),
        (D, W, 0xfff8_0000_0000_0000, imax32, NV),
        (D, W, snan_d, imax32, NV),
        (D, W, df(-2147483649.0), imin32, NV),
        (D, W, df(2147483647.0), imax32, 0),
        (D, W, df(-1.5), (-1i64) as u64, NX),
        // FCVT.WU.S / FCVT.WU.D: results are sign-extended
        (S, WU, qnan_s, all, NV),
        (S, WU, pinf_s, all, NV),
        (S, WU, ninf_s, 0, NV),
        (S, WU, sf(3e9), 0xffff_ffff_b2d0_5e00, 0),
        (S, WU, sf(5e9), all, NV),
        (S, WU, sf(-1.0), 0, NV),
        (D, WU, pinf_d, all, NV),
        (D, WU, ninf_d, 0, NV),
        (D, WU, df(-1.0), 0, NV),
        (D, WU, df(-0.5), 0, NX), // rounds (RTZ) to 0: valid, only inexact
        (D, WU, df(-0.0), 0, 0),
        (D, WU, df(4294967295.0), all, 0),
        (D, WU, df(4294967296.0), all, NV),
        (D, WU, snan_d, all, NV),
        // FCVT.L.S / FCVT.L.D
        (S, L, qnan_s, i64::MAX as u64, NV),
        (S, L, neg_qnan_s, i64::MAX as u64, NV),
        (S, L, pinf_s, i64::MAX as u64, NV),
        (S, L, ninf_s, i64::MIN as u64, NV),
        (S, L, sf(9.3e18), i64::MAX as u64, NV),
        (S, L, sf(-9.223372e18), i64::MIN as u64, 0),
        (D, L, df(9223372036854775808.0), i64::MAX as u64, NV),
        (D, L, df(-9223372036854775808.0), i64::MIN as u64, 0),
        (D, L, df(-1e19), i64::MIN as u64, NV),
        (D, L, snan_d, i64::MAX as u64, NV),
        // FCVT.LU.S / FCVT.LU.D
        (S, LU, qnan_s, all, NV),
        (S, LU, neg_qnan_s, all, NV),
        (S, LU, pinf_s, all, NV),
        (S, LU, ninf_s, 0, NV),
        (S, LU, sf(-2.0), 0, NV),
        (S, LU, sf(1.5e19), 1.5e19f32 as u64, 0),
        (D, LU, df(18446744073709551616.0), all, NV),
        (D, LU, ninf_d, 0, NV),
        (D, LU, 0xfff8_0000_0000_0000, all, NV),
        (D, LU, df(-0.75), 0, NX),
    ];
    for (fmt, kind, input, want, flags) in cases {
        assert_eq!(
            run_x(fcvt_to_int(fmt, kind, RTZ), input, 0, 0),
            (want, flags),
            "fmt {fmt} kind {kind} input {input:#018x}"
        );
    }
    // The valid range is judged after rounding (QEMU): 2147483647.5 rounds to 2^31 under RNE
    // (invalid) but to 2^31-1 under RTZ (inexact); -0.5 under RDN rounds to -1 (invalid for WU).
    assert_eq!(
        run_x(fcvt_to_int(D, W, RNE), df(2147483647.5), 0, 0),
        (imax32, NV)
    );
    assert_eq!(
        run_x(fcvt_to_int(D, W, RTZ), df(2147483647.5), 0, 0),
        (imax32, NX)
    );
    assert_eq!(run_x(fcvt_to_int(D, WU, RDN), df(-0.5), 0, 0), (0, NV));
    assert_eq!(
        run_x(fcvt_to_int(D, W, RTZ), df(-2147483648.5), 0, 0),
        (imin32, NX)
    );
    assert_eq!(
        run_x(fcvt_to_int(D, W, RDN), df(-2147483648.5), 0, 0),
        (imin32, NV)
    );
}

#[test]
fn fcvt_from_int_conversions() {
    // W and WU read only the low 32 bits of the source (QEMU).
    assert_eq!(
        run_fx(fcvt_from_int(D, W, RNE), 0x0000_0000_ffff_ffff, 0),
        (df(-1.0), 0)
    );
    assert_eq!(
        run_fx(fcvt_from_int(S, WU, RNE), 0x1234_5678_ffff_ffff, 0),
        (sf(4294967296.0), NX)
    );
    assert_eq!(
        run_fx(fcvt_from_int(D, WU, RNE), 0x1234_5678_ffff_ffff, 0),
        (df(4294967295.0), 0)
    );
    // 2^24+1 is not a single: rounds by rm (QEMU).
    assert_eq!(
        run_fx(fcvt_from_int(S, W, RNE), 0x0100_0001, 0),
        (bs(0x4b80_0000), NX)
    );
    assert_eq!(
        run_fx(fcvt_from_int(S, L, RUP), 0x0100_0001, 0),
        (bs(0x4b80_0001), NX)
    );
    assert_eq!(
        run_fx(fcvt_from_int(S, L, RNE), (-5i64) as u64, 0),
        (sf(-5.0), 0)
    );
    assert_eq!(
        run_fx(fcvt_from_int(S, LU, RNE), u64::MAX, 0),
        (bs(0x5f80_0000), NX)
    );
    assert_eq!(
        run_fx(fcvt_from_int(S, LU, RTZ), u64::MAX, 0),
        (bs(0x5f7f_ffff), NX)
    );
    assert_eq!(
        run_fx(fcvt_from_int(D, LU, RNE), u64::MAX, 0),
        (0x43f0_0000_0000_0000, NX)
    );
    assert_eq!(
        run_fx(fcvt_from_int(D, L, RNE), i64::MIN as u64, 0),
        (df(i64::MIN as f64), 0)
    );
    assert_eq!(
        run_fx(fcvt_from_int(D, L, RDN), (-(1i64 << 53) - 1) as u64, 0),
        (df(-9007199254740994.0), NX)
    );
    // fcvt.s.w rd, x0 gives +0 and never sets flags (F, "Conversion and Move Instructions").
    let mut m = Machine::new(RNE);
    m.fp.f[RD as usize] = sf(7.0);
    assert_eq!(m.exec(r_type(F5_CVT_FI, S, W, 0, RNE, RD)), Ok(true));
    assert_eq!((m.fp.f[RD as usize], m.fp.fflags), (sf(0.0), 0));
}

#[test]
fn fcvt_between_formats() {
    assert_eq!(
        run_f(fcvt_d_s(RNE), sf(0.1), 0, 0, 0),
        (df(f64::from(0.1f32)), 0)
    );
    assert_eq!(run_f(fcvt_s_d(RNE), df(0.1), 0, 0, 0), (sf(0.1), NX));
    assert_eq!(
        run_f(fcvt_s_d(RTZ), df(0.1), 0, 0, 0),
        (bs(0x3dcc_cccc), NX)
    );
    // Overflow (QEMU): 1e300.
    assert_eq!(
        run_f(fcvt_s_d(RNE), 0x7e37_e43c_8800_759c, 0, 0, 0),
        (sf(f32::INFINITY), OF | NX)
    );
    assert_eq!(
        run_f(fcvt_s_d(RTZ), 0x7e37_e43c_8800_759c, 0, 0, 0),
        (sf(f32::MAX), OF | NX)
    );
    // Underflow: 1e-50 becomes +0.
    assert_eq!(run_f(fcvt_s_d(RNE), df(1e-50), 0, 0, 0), (sf(0.0), UF | NX));
    assert_eq!(
        run_f(fcvt_s_d(RNE), df(f64::NEG_INFINITY), 0, 0, 0),
        (sf(f32::NEG_INFINITY), 0)
    );
}

#[test]
fn fmin_fmax() {
    let snan = bs(0x7f81_2345);
    let qnan = bs(0x7fc1_2345);
    // (instruction, a, b, result, flags); QEMU for the NaN and zero cases.
    let cases = [
        (fmin(S), sf(1.0), sf(2.0), sf(1.0), 0),
        (fmax(S), sf(1.0), sf(2.0), sf(2.0), 0),
        (fmin(S), sf(-3.0), sf(2.0), sf(-3.0), 0),
        (fmax(S), sf(-3.0), sf(-2.0), sf(-2.0), 0),
        (fmin(S), sf(0.0), sf(-0.0), sf(-0.0), 0),
        (fmin(S), sf(-0.0), sf(0.0), sf(-0.0), 0),
        (fmax(S), sf(-0.0), sf(0.0), sf(0.0), 0),
        (fmax(S), sf(0.0), sf(-0.0), sf(0.0), 0),
        (fmin(S), qnan, sf(1.0), sf(1.0), 0),
        (fmax(S), qnan, sf(-1.0), sf(-1.0), 0),
        (fmin(S), sf(1.0), qnan, sf(1.0), 0),
        (fmin(S), snan, sf(1.0), sf(1.0), NV),
        (fmax(S), sf(1.0), snan, sf(1.0), NV),
        (fmin(S), qnan, qnan, CNAN_S, 0),
        (fmax(S), snan, bs(0x7fc0_0001), CNAN_S, NV),
        (
            fmin(S),
            sf(f32::NEG_INFINITY),
            sf(f32::MIN),
            sf(f32::NEG_INFINITY),
            0,
        ),
        (
            fmin(D),
            0x7ff0_0000_0000_0001,
            df(f64::NEG_INFINITY),
            df(f64::NEG_INFINITY),
            NV,
        ),
        (fmax(D), df(-0.0), df(0.0), df(0.0), 0),
        (fmin(D), df(0.0), df(-0.0), df(-0.0), 0),
        (fmax(D), CNAN_D, df(-7.0), df(-7.0), 0),
        (fmin(D), 0xfff8_0000_0000_0001, CNAN_D, CNAN_D, 0),
        (fmax(D), df(1e300), df(f64::INFINITY), df(f64::INFINITY), 0),
        (fmin(D), df(5e-324), df(0.0), df(0.0), 0),
    ];
    for (insn, a, b, want, flags) in cases {
        assert_eq!(
            run_f(insn, a, b, 0, 0),
            (want, flags),
            "{insn:#010x} {a:#018x} {b:#018x}"
        );
    }
}

#[test]
fn compares_quiet_and_signaling() {
    let qnan = CNAN_S;
    let snan = bs(0x7f80_0001);
    let qnan_d = CNAN_D;
    let snan_d = 0x7ff0_0000_0000_0001;
    // (instruction, a, b, result, flags); QEMU for the NaN and zero cases.
    let cases = [
        (feq(S), sf(1.0), sf(1.0), 1, 0),
        (feq(S), sf(1.0), sf(2.0), 0, 0),
        (flt(S), sf(1.0), sf(2.0), 1, 0),
        (flt(S), sf(2.0), sf(2.0), 0, 0),
        (fle(S), sf(2.0), sf(2.0), 1, 0),
        (fle(S), sf(3.0), sf(2.0), 0, 0),
        (feq(D), df(-0.0), df(0.0), 1, 0),
        (flt(D), df(-0.0), df(0.0), 0, 0),
        (fle(D), df(-0.0), df(0.0), 1, 0),
        // FEQ is quiet: NV only for a signaling NaN.
        (feq(S), qnan, sf(1.0), 0, 0),
        (feq(S), qnan, qnan, 0, 0),
        (feq(S), snan, sf(1.0), 0, NV),
        (feq(D), df(1.0), snan_d, 0, NV),
        (feq(D), qnan_d, qnan_d, 0, 0),
        // FLT and FLE are signaling: NV for any NaN.
        (flt(S), qnan, sf(1.0), 0, NV),
        (fle(S), qnan, sf(1.0), 0, NV),
        (flt(S), sf(1.0), snan, 0, NV),
        (flt(D), df(1.0), qnan_d, 0, NV),
        (fle(D), qnan_d, qnan_d, 0, NV),
        (fle(D), snan_d, df(1.0), 0, NV),
    ];
    for (insn, a, b, want, flags) in cases {
        assert_eq!(
            run_x(insn, a, b, 0),
            (want, flags),
            "{insn:#010x} {a:#018x} {b:#018x}"
        );
    }
}

#[test]
fn fclass_all_ten_classes() {
    let singles = [
        (sf(f32::NEG_INFINITY), 0),
        (sf(-1.0), 1),
        (bs(0x807f_ffff), 2),
        (sf(-0.0), 3),
        (sf(0.0), 4),
        (bs(0x0000_0001), 5),
        (sf(f32::MAX), 6),
        (sf(f32::INFINITY), 7),
        (bs(0x7f80_0001), 8), // QEMU
        (bs(0xffc0_0000), 9),
    ];
    for (v, bit) in singles {
        assert_eq!(run_x(fclass(S), v, 0, 0), (1 << bit, 0), "{v:#018x}");
    }
    let doubles = [
        (df(f64::NEG_INFINITY), 0),
        (df(-f64::MIN_POSITIVE), 1),
        (0x800f_ffff_ffff_ffff, 2), // QEMU
        (df(-0.0), 3),
        (df(0.0), 4),
        (0x0000_0000_0000_0001, 5),
        (df(1.0), 6),
        (df(f64::INFINITY), 7),
        (0x7ff7_ffff_ffff_ffff, 8),
        (CNAN_D, 9),
    ];
    for (v, bit) in doubles {
        assert_eq!(run_x(fclass(D), v, 0, 0), (1 << bit, 0), "{v:#018x}");
    }
}

#[test]
fn fused_multiply_add() {
    // The four variants (F, `norm:fmadd-s_op` .. `norm:fnmadd-s_op`): 2×3 and 1.
    let (a, b, c) = (df(2.0), df(3.0), df(1.0));
    assert_eq!(run_f(fma(OP_MADD, D, RNE), a, b, c, 0), (df(7.0), 0));
    assert_eq!(run_f(fma(OP_MSUB, D, RNE), a, b, c, 0), (df(5.0), 0));
    assert_eq!(run_f(fma(OP_NMSUB, D, RNE), a, b, c, 0), (df(-5.0), 0));
    assert_eq!(run_f(fma(OP_NMADD, D, RNE), a, b, c, 0), (df(-7.0), 0));
    // One rounding: (1+2^-23)^2 - (1+2^-22) = 2^-46 exactly, whereas rounding the product first
    // (to 1+2^-22) would give 0 (QEMU).
    let p = bs(0x3f80_0001);
    assert_eq!(
        run_f(fma(OP_MADD, S, RNE), p, p, bs(0xbf80_0002), 0),
        (bs(0x2880_0000), 0)
    );
    let unfused = run_f(fmul(S, RNE), p, p, 0, 0).0;
    assert_eq!(
        run_f(fadd(S, RNE), unfused, bs(0xbf80_0002), 0, 0),
        (sf(0.0), 0)
    );
    // Same in double: (1+2^-52)^2 - (1+2^-51) = 2^-104.
    let pd = df(1.0) + 1;
    assert_eq!(
        run_f(fma(OP_MSUB, D, RNE), pd, pd, df(1.0) + 2, 0),
        (df(2f64.powi(-104)), 0)
    );
    // Rounding applies once, to the exact sum: 1 + 2^-24 + tiny rounds up under RNE.
    assert_eq!(
        run_f(fma(OP_MADD, S, RNE), sf(1.0), bs(0x3380_0001), sf(1.0), 0),
        (bs(0x3f80_0001), NX)
    );
    // The product is negated, not the sum: signs of exact zeros (F, note on FNMSUB/FNMADD; QEMU).
    // FNMADD: -(0×1) - (-0) = -0 + +0 = +0 under RNE, -0 under RDN.
    let (z, one, nz) = (sf(0.0), sf(1.0), sf(-0.0));
    assert_eq!(run_f(fma(OP_NMADD, S, RNE), z, one, nz, 0), (sf(0.0), 0));
    assert_eq!(run_f(fma(OP_NMADD, S, RDN), z, one, nz, 0), (sf(-0.0), 0));
    // FNMSUB: -(0×1) + 0.
    assert_eq!(run_f(fma(OP_NMSUB, S, RNE), z, one, z, 0), (sf(0.0), 0));
    assert_eq!(run_f(fma(OP_NMSUB, S, DYN), z, one, z, RDN), (sf(-0.0), 0));
    // FMSUB: 0×1 - 0.
    assert_eq!(
        run_f(fma(OP_MSUB, D, RNE), df(0.0), df(1.0), df(0.0), 0),
        (df(0.0), 0)
    );
    assert_eq!(
        run_f(fma(OP_MSUB, D, RDN), df(0.0), df(1.0), df(0.0), 0),
        (df(-0.0), 0)
    );
    // ∞×0 + qNaN raises NV (F, `norm:fma_nv_flag`; QEMU).
    let inf = sf(f32::INFINITY);
    assert_eq!(run_f(fma(OP_MADD, S, RNE), inf, z, CNAN_S, 0), (CNAN_S, NV));
    assert_eq!(
        run_f(fma(OP_NMSUB, D, RNE), df(0.0), df(f64::INFINITY), CNAN_D, 0),
        (CNAN_D, NV)
    );
    // ∞ - ∞ through the addend.
    assert_eq!(run_f(fma(OP_MSUB, S, RNE), inf, one, inf, 0), (CNAN_S, NV));
    // Overflow.
    let max = sf(f32::MAX);
    assert_eq!(
        run_f(fma(OP_MADD, S, RNE), max, sf(2.0), sf(0.0), 0),
        (inf, OF | NX)
    );
}

#[test]
fn integer_destination_x0_is_never_written() {
    let mut m = Machine::new(RNE);
    m.fp.f[1] = sf(f32::NAN);
    m.fp.f[2] = sf(1.0);
    let to_x0 = |insn: u32| insn & !(0x1f << 7);
    // FLT with a NaN raises NV: the flag is still recorded (and makes the state dirty).
    assert_eq!(m.exec(to_x0(flt(S))), Ok(true));
    assert_eq!(m.fp.fflags, NV);
    m.fp.fflags = 0;
    m.fp.f[1] = sf(1.0);
    for insn in [
        feq(S),
        fle(S),
        fclass(S),
        fmv_x_f(S),
        fmv_x_f(D),
        fcvt_to_int(S, L, RNE),
    ] {
        assert_eq!(m.exec(to_x0(insn)), Ok(false), "{insn:#010x}");
    }
    m.fp.f[1] = sf(1.5);
    assert_eq!(m.exec(to_x0(fcvt_to_int(S, W, RNE))), Ok(true)); // NX
    assert_eq!(m.x, [0; 32]);
    assert_eq!(m.fp.fflags, NX);
}

#[test]
fn dirty_reporting() {
    let mut m = Machine::new(RNE);
    m.fp.f[1] = sf(1.0);
    m.fp.f[2] = sf(2.0);
    // Every f-register write is dirty, even without flags.
    assert_eq!(m.exec(fsgnj(S, 0)), Ok(true));
    assert_eq!(m.exec(fmv_f_x(D)), Ok(true));
    // Integer results: dirty only when flags were raised.
    assert_eq!(m.exec(feq(S)), Ok(false));
    assert_eq!(m.exec(fclass(S)), Ok(false));
    m.fp.f[1] = CNAN_S;
    assert_eq!(m.exec(feq(S)), Ok(false)); // quiet NaN: FEQ raises nothing
    assert_eq!(m.exec(fle(S)), Ok(true)); // FLE raises NV
    assert_eq!(m.x[RD as usize], 0);
}

#[test]
fn moves_between_register_files() {
    // FMV.X.W sign-extends bit 31; FMV.X.D copies; neither looks at the value.
    assert_eq!(
        run_x(fmv_x_f(S), sf(-1.0), 0, 0),
        (0xffff_ffff_bf80_0000, 0)
    );
    assert_eq!(run_x(fmv_x_f(S), sf(1.0), 0, 0), (0x3f80_0000, 0));
    assert_eq!(
        run_x(fmv_x_f(D), 0x1234_5678_9abc_def0, 0, 0),
        (0x1234_5678_9abc_def0, 0)
    );
    // FMV.W.X keeps the low 32 bits and boxes them; FMV.D.X copies.
    assert_eq!(run_fx(fmv_f_x(S), 0x0000_0000_bf80_0000, 0), (sf(-1.0), 0));
    assert_eq!(
        run_fx(fmv_f_x(D), 0x1234_5678_9abc_def0, 0),
        (0x1234_5678_9abc_def0, 0)
    );
}

#[test]
fn softfloat_state_is_per_thread() {
    // Threads converting with different rounding modes and raising different flags at the same
    // time must not see each other's mode or flags.
    let workers: Vec<_> = (0..4u32)
        .map(|t| {
            std::thread::spawn(move || {
                for _ in 0..20_000 {
                    let rm = if t % 2 == 0 { RUP } else { RDN };
                    let want = if t % 2 == 0 { 0x3eaa_aaab } else { 0x3eaa_aaaa };
                    assert_eq!(run_f(fdiv(S, rm), sf(1.0), sf(3.0), 0, 0), (bs(want), NX));
                    assert_eq!(run_f(fadd(S, rm), sf(1.0), sf(1.0), 0, 0), (sf(2.0), 0));
                }
            })
        })
        .collect();
    for w in workers {
        w.join().expect("worker passed");
    }
}
