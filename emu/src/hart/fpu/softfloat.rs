//! The IEEE 754 arithmetic of the FPU: a safe layer over Berkeley SoftFloat 3e.
//!
//! SoftFloat comes from the crate `softfloat-sys` built with its `riscv` feature, i.e. SoftFloat's
//! RISC-V specialization (the one Spike uses): every NaN result is the canonical NaN, the
//! invalid-conversion results are the saturated values of the spec's "Domains of float-to-integer
//! conversions" table, tininess is detected after rounding (`RISCV/specialize.h` sets
//! `init_detectTininess` to after-rounding, f-st-ext.adoc "Subnormal Arithmetic"), and FMA raises
//! NV for ∞×0+qNaN (f-st-ext.adoc, `norm:fma_nv_flag`). Only `mod.rs` uses this file.
//!
//! # Thread safety of SoftFloat's global state
//! SoftFloat takes the rounding mode from the variable `softfloat_roundingMode` and accrues flags
//! in `softfloat_exceptionFlags`. softfloat-sys 0.1.4's build script compiles all of SoftFloat with
//! `-DTHREAD_LOCAL=_Thread_local` (`__thread` on GCC older than 4.9) and `softfloat_state.c`
//! declares both variables `THREAD_LOCAL`, so they are per thread: `readelf -s` on the built
//! `libsoftfloat-sys.a` lists them as `TLS` symbols. Harts on different threads, and the parallel
//! threads of `cargo test`, therefore never race on them and no lock is needed. Rust cannot name a
//! C `_Thread_local` directly, which is why the crate exposes read/write helper functions.
//! Because several harts may still share one thread, every operation below sets the rounding mode
//! and clears the flags immediately before the SoftFloat call and reads the flags immediately
//! after it ([`begin`], [`take_flags`]); nothing carries over from one instruction to the next.
//!
//! # Encodings
//! SoftFloat's rounding-mode numbers and flag bits coincide with RISC-V's `frm` encoding and
//! `fflags` layout (checked at compile time below), so both pass through unchanged.

use sf::{float32_t, float64_t};
use softfloat_sys as sf;

// f-st-ext.adoc, `norm:dyn_round_enc`: RNE=0, RTZ=1, RDN=2, RUP=3, RMM=4.
const _: () = assert!(sf::softfloat_round_near_even == 0);
const _: () = assert!(sf::softfloat_round_minMag == 1);
const _: () = assert!(sf::softfloat_round_min == 2);
const _: () = assert!(sf::softfloat_round_max == 3);
const _: () = assert!(sf::softfloat_round_near_maxMag == 4);
// f-st-ext.adoc, `bitdef`: fflags = NV DZ OF UF NX from bit 4 down to bit 0.
const _: () = assert!(sf::softfloat_flag_invalid == super::NV);
const _: () = assert!(sf::softfloat_flag_infinite == super::DZ);
const _: () = assert!(sf::softfloat_flag_overflow == super::OF);
const _: () = assert!(sf::softfloat_flag_underflow == super::UF);
const _: () = assert!(sf::softfloat_flag_inexact == super::NX);

/// Sets SoftFloat's (thread-local) rounding mode and clears its flags before one operation.
#[inline]
fn begin(rm: u8) {
    // SAFETY: the helpers only store into SoftFloat's thread-local state variables; any value is
    // valid for them (callers pass a checked rounding mode 0..=4).
    unsafe {
        sf::softfloat_roundingMode_write_helper(rm);
        sf::softfloat_exceptionFlags_write_helper(0);
    }
}

/// The flags raised since [`begin`], in fflags layout.
#[inline]
fn take_flags() -> u8 {
    // SAFETY: only loads SoftFloat's thread-local flags variable.
    unsafe { sf::softfloat_exceptionFlags_read_helper() }
}

/// Add, subtract, multiply, divide: the two-operand arithmetic of f-st-ext.adoc "Single-Precision
/// Floating-Point Computational Instructions".
#[derive(Clone, Copy, Debug)]
pub(super) enum BinOp {
    Add,
    Sub,
    Mul,
    Div,
}

/// FEQ (quiet), FLT and FLE (signaling): f-st-ext.adoc "Single-Precision Floating-Point Compare".
#[derive(Clone, Copy, Debug)]
pub(super) enum CmpOp {
    Eq,
    Lt,
    Le,
}

/// The integer side of an FCVT, in the order the rs2 field of FCVT.int.fmt and FCVT.fmt.int
/// encodes it: W=0, WU=1, L=2, LU=3 (F, `fcvt`).
#[derive(Clone, Copy, Debug)]
pub(super) enum IntKind {
    W,
    Wu,
    L,
    Lu,
}

/// One floating-point format of the F and D extensions.
///
/// Values travel as `u64` holding the format's bits in the low [`Format::BITS`] bits.
///
/// # Safety
/// Implementors guarantee that every function-pointer constant is the SoftFloat routine its name
/// says, for this format: such routines take their operands by value, access no memory except
/// SoftFloat's thread-local state, and are defined for every bit pattern of their arguments, which
/// is what lets the functions of this module call them from safe code.
pub(super) unsafe trait Format {
    /// SoftFloat's value type for the format.
    type Sf: Copy;
    /// Width in bits (32 or 64).
    const BITS: u32;
    /// Width of the fraction field.
    const FRAC_BITS: u32;
    /// The canonical NaN (f-st-ext.adoc `norm:F_canonical_NaN`, d-st-ext.adoc
    /// `norm:D_canonical_NaN`).
    const CANONICAL_NAN: u64;
    /// rs2 value of FCVT.<this>.<other>: the encoding of the source format (d-st-ext.adoc
    /// `norm:fcvt-s-d_fcvt-d-s_op`).
    const OTHER_RS2: usize;

    const ADD: unsafe extern "C" fn(Self::Sf, Self::Sf) -> Self::Sf;
    const SUB: unsafe extern "C" fn(Self::Sf, Self::Sf) -> Self::Sf;
    const MUL: unsafe extern "C" fn(Self::Sf, Self::Sf) -> Self::Sf;
    const DIV: unsafe extern "C" fn(Self::Sf, Self::Sf) -> Self::Sf;
    const SQRT: unsafe extern "C" fn(Self::Sf) -> Self::Sf;
    const MUL_ADD: unsafe extern "C" fn(Self::Sf, Self::Sf, Self::Sf) -> Self::Sf;
    /// Quiet equality: NV only for signaling NaNs.
    const EQ: unsafe extern "C" fn(Self::Sf, Self::Sf) -> bool;
    /// Signaling less-than: NV for any NaN.
    const LT: unsafe extern "C" fn(Self::Sf, Self::Sf) -> bool;
    /// Signaling less-or-equal: NV for any NaN.
    const LE: unsafe extern "C" fn(Self::Sf, Self::Sf) -> bool;
    const TO_I32: unsafe extern "C" fn(Self::Sf, u8, bool) -> i64;
    const TO_U32: unsafe extern "C" fn(Self::Sf, u8, bool) -> u64;
    const TO_I64: unsafe extern "C" fn(Self::Sf, u8, bool) -> i64;
    const TO_U64: unsafe extern "C" fn(Self::Sf, u8, bool) -> u64;
    const FROM_I32: unsafe extern "C" fn(i32) -> Self::Sf;
    const FROM_U32: unsafe extern "C" fn(u32) -> Self::Sf;
    const FROM_I64: unsafe extern "C" fn(i64) -> Self::Sf;
    const FROM_U64: unsafe extern "C" fn(u64) -> Self::Sf;

    fn to_sf(v: u64) -> Self::Sf;
    fn from_sf(v: Self::Sf) -> u64;

    /// FCVT.<this>.<other> (FCVT.S.D or FCVT.D.S), rounding with `rm`; `reg` is the raw source
    /// register. Returns the unboxed result and the flags.
    fn convert_from_other(rm: u8, reg: u64) -> (u64, u8);

    /// Mask of the format's bits within a register.
    const MASK: u64 = u64::MAX >> (64 - Self::BITS);
    const SIGN: u64 = 1 << (Self::BITS - 1);
    const FRAC_MASK: u64 = (1 << Self::FRAC_BITS) - 1;
    /// Most significant fraction bit: set in quiet NaNs, clear in signaling NaNs.
    const QUIET: u64 = 1 << (Self::FRAC_BITS - 1);
    /// The all-ones biased exponent of infinities and NaNs.
    const EXP_MAX: u64 = (1 << (Self::BITS - 1 - Self::FRAC_BITS)) - 1;

    /// The operand a non-transfer instruction reads from `reg`: a narrower value that is not
    /// properly NaN-boxed reads as the canonical NaN (d-st-ext.adoc
    /// `norm:FP_nontransfer_instrs_improper_nan-boxed_input`). Identity for the widest format.
    #[inline]
    fn unbox(reg: u64) -> u64 {
        if reg | Self::MASK == u64::MAX {
            reg & Self::MASK
        } else {
            Self::CANONICAL_NAN
        }
    }

    /// The register image of a result: narrower values are NaN-boxed with all-ones upper bits
    /// (d-st-ext.adoc `norm:fp_nan-boxing`).
    #[inline]
    fn nan_box(v: u64) -> u64 {
        v | !Self::MASK
    }

    #[inline]
    fn is_nan(v: u64) -> bool {
        (v >> Self::FRAC_BITS) & Self::EXP_MAX == Self::EXP_MAX && v & Self::FRAC_MASK != 0
    }

    #[inline]
    fn is_snan(v: u64) -> bool {
        Self::is_nan(v) && v & Self::QUIET == 0
    }
}

/// Single precision (fmt = S = 00).
pub(super) struct Single;
/// Double precision (fmt = D = 01).
pub(super) struct Double;

// SAFETY: every constant below is the float32_t routine of SoftFloat its name says.
unsafe impl Format for Single {
    type Sf = float32_t;
    const BITS: u32 = 32;
    const FRAC_BITS: u32 = 23;
    const CANONICAL_NAN: u64 = 0x7fc0_0000;
    const OTHER_RS2: usize = 1;

    const ADD: unsafe extern "C" fn(float32_t, float32_t) -> float32_t = sf::f32_add;
    const SUB: unsafe extern "C" fn(float32_t, float32_t) -> float32_t = sf::f32_sub;
    const MUL: unsafe extern "C" fn(float32_t, float32_t) -> float32_t = sf::f32_mul;
    const DIV: unsafe extern "C" fn(float32_t, float32_t) -> float32_t = sf::f32_div;
    const SQRT: unsafe extern "C" fn(float32_t) -> float32_t = sf::f32_sqrt;
    const MUL_ADD: unsafe extern "C" fn(float32_t, float32_t, float32_t) -> float32_t =
        sf::f32_mulAdd;
    const EQ: unsafe extern "C" fn(float32_t, float32_t) -> bool = sf::f32_eq;
    const LT: unsafe extern "C" fn(float32_t, float32_t) -> bool = sf::f32_lt;
    const LE: unsafe extern "C" fn(float32_t, float32_t) -> bool = sf::f32_le;
    const TO_I32: unsafe extern "C" fn(float32_t, u8, bool) -> i64 = sf::f32_to_i32;
    const TO_U32: unsafe extern "C" fn(float32_t, u8, bool) -> u64 = sf::f32_to_ui32;
    const TO_I64: unsafe extern "C" fn(float32_t, u8, bool) -> i64 = sf::f32_to_i64;
    const TO_U64: unsafe extern "C" fn(float32_t, u8, bool) -> u64 = sf::f32_to_ui64;
    const FROM_I32: unsafe extern "C" fn(i32) -> float32_t = sf::i32_to_f32;
    const FROM_U32: unsafe extern "C" fn(u32) -> float32_t = sf::ui32_to_f32;
    const FROM_I64: unsafe extern "C" fn(i64) -> float32_t = sf::i64_to_f32;
    const FROM_U64: unsafe extern "C" fn(u64) -> float32_t = sf::ui64_to_f32;

    #[inline]
    fn to_sf(v: u64) -> float32_t {
        float32_t { v: v as u32 }
    }
    #[inline]
    fn from_sf(v: float32_t) -> u64 {
        u64::from(v.v)
    }

    /// FCVT.S.D: rounds a double to single (d-st-ext.adoc `norm:fcvt_float_rounding`).
    fn convert_from_other(rm: u8, reg: u64) -> (u64, u8) {
        begin(rm);
        // SAFETY: f64_to_f32 takes its operand by value and touches only SoftFloat's thread-local
        // state; every bit pattern is a valid float64_t.
        let r = unsafe {
            sf::f64_to_f32(float64_t {
                v: Double::unbox(reg),
            })
        };
        (u64::from(r.v), take_flags())
    }
}

// SAFETY: every constant below is the float64_t routine of SoftFloat its name says.
unsafe impl Format for Double {
    type Sf = float64_t;
    const BITS: u32 = 64;
    const FRAC_BITS: u32 = 52;
    const CANONICAL_NAN: u64 = 0x7ff8_0000_0000_0000;
    const OTHER_RS2: usize = 0;

    const ADD: unsafe extern "C" fn(float64_t, float64_t) -> float64_t = sf::f64_add;
    const SUB: unsafe extern "C" fn(float64_t, float64_t) -> float64_t = sf::f64_sub;
    const MUL: unsafe extern "C" fn(float64_t, float64_t) -> float64_t = sf::f64_mul;
    const DIV: unsafe extern "C" fn(float64_t, float64_t) -> float64_t = sf::f64_div;
    const SQRT: unsafe extern "C" fn(float64_t) -> float64_t = sf::f64_sqrt;
    const MUL_ADD: unsafe extern "C" fn(float64_t, float64_t, float64_t) -> float64_t =
        sf::f64_mulAdd;
    const EQ: unsafe extern "C" fn(float64_t, float64_t) -> bool = sf::f64_eq;
    const LT: unsafe extern "C" fn(float64_t, float64_t) -> bool = sf::f64_lt;
    const LE: unsafe extern "C" fn(float64_t, float64_t) -> bool = sf::f64_le;
    const TO_I32: unsafe extern "C" fn(float64_t, u8, bool) -> i64 = sf::f64_to_i32;
    const TO_U32: unsafe extern "C" fn(float64_t, u8, bool) -> u64 = sf::f64_to_ui32;
    const TO_I64: unsafe extern "C" fn(float64_t, u8, bool) -> i64 = sf::f64_to_i64;
    const TO_U64: unsafe extern "C" fn(float64_t, u8, bool) -> u64 = sf::f64_to_ui64;
    const FROM_I32: unsafe extern "C" fn(i32) -> float64_t = sf::i32_to_f64;
    const FROM_U32: unsafe extern "C" fn(u32) -> float64_t = sf::ui32_to_f64;
    const FROM_I64: unsafe extern "C" fn(i64) -> float64_t = sf::i64_to_f64;
    const FROM_U64: unsafe extern "C" fn(u64) -> float64_t = sf::ui64_to_f64;

    #[inline]
    fn to_sf(v: u64) -> float64_t {
        float64_t { v }
    }
    #[inline]
    fn from_sf(v: float64_t) -> u64 {
        v.v
    }

    /// FCVT.D.S: exact widening; still signals NV for a signaling NaN (and returns the canonical
    /// NaN for any NaN). `rm` is validated by the caller even though it cannot matter
    /// (f-st-ext.adoc `norm:roundingmode_rsv`).
    fn convert_from_other(rm: u8, reg: u64) -> (u64, u8) {
        begin(rm);
        // SAFETY: f32_to_f64 takes its operand by value and touches only SoftFloat's thread-local
        // state; every bit pattern is a valid float32_t.
        let r = unsafe {
            sf::f32_to_f64(float32_t {
                v: Single::unbox(reg) as u32,
            })
        };
        (r.v, take_flags())
    }
}

/// FADD/FSUB/FMUL/FDIV of unboxed operands with rounding mode `rm`: (result, flags).
pub(super) fn binary<F: Format>(op: BinOp, rm: u8, a: u64, b: u64) -> (u64, u8) {
    let f = match op {
        BinOp::Add => F::ADD,
        BinOp::Sub => F::SUB,
        BinOp::Mul => F::MUL,
        BinOp::Div => F::DIV,
    };
    begin(rm);
    // SAFETY: `f` is a SoftFloat routine by the `Format` contract: operands by value, no memory
    // access besides SoftFloat's thread-local state, defined for all inputs.
    let r = unsafe { f(F::to_sf(a), F::to_sf(b)) };
    (F::from_sf(r), take_flags())
}

/// FSQRT of an unboxed operand.
pub(super) fn sqrt<F: Format>(rm: u8, a: u64) -> (u64, u8) {
    begin(rm);
    // SAFETY: F::SQRT is SoftFloat's square root by the `Format` contract (see `binary`).
    let r = unsafe { (F::SQRT)(F::to_sf(a)) };
    (F::from_sf(r), take_flags())
}

/// a×b+c with a single rounding (SoftFloat's mulAdd is fused).
pub(super) fn mul_add<F: Format>(rm: u8, a: u64, b: u64, c: u64) -> (u64, u8) {
    begin(rm);
    // SAFETY: F::MUL_ADD is SoftFloat's fused multiply-add by the `Format` contract (see `binary`).
    let r = unsafe { (F::MUL_ADD)(F::to_sf(a), F::to_sf(b), F::to_sf(c)) };
    (F::from_sf(r), take_flags())
}

/// FEQ/FLT/FLE of unboxed operands: (condition holds, flags). False when either is NaN.
pub(super) fn compare<F: Format>(op: CmpOp, a: u64, b: u64) -> (bool, u8) {
    let f = match op {
        CmpOp::Eq => F::EQ,
        CmpOp::Lt => F::LT,
        CmpOp::Le => F::LE,
    };
    // Comparisons do not round; any valid mode will do.
    begin(0);
    // SAFETY: `f` is a SoftFloat comparison by the `Format` contract (see `binary`).
    let r = unsafe { f(F::to_sf(a), F::to_sf(b)) };
    (r, take_flags())
}

/// FCVT.{W,WU,L,LU}.fmt: the value for the integer register and the flags. 32-bit results are
/// sign-extended, WU included (f-st-ext.adoc `norm:fcvt-wu-s_fcvt-lu-s_fcvt-s-wu_fcvt-s-lu_op`).
/// Saturation and NaN results come from SoftFloat's RISC-V specialization (`int_conv` table);
/// invalid conversions raise NV and never NX (`norm:fcvt_nx`).
pub(super) fn to_int<F: Format>(kind: IntKind, rm: u8, a: u64) -> (u64, u8) {
    let a = F::to_sf(a);
    begin(rm);
    // SAFETY: the TO_* constants are SoftFloat's conversions by the `Format` contract (see
    // `binary`); `exact = true` asks them to raise NX for inexact results.
    let r = unsafe {
        match kind {
            IntKind::W => i64::from((F::TO_I32)(a, rm, true) as i32) as u64,
            IntKind::Wu => i64::from((F::TO_U32)(a, rm, true) as u32 as i32) as u64,
            IntKind::L => (F::TO_I64)(a, rm, true) as u64,
            IntKind::Lu => (F::TO_U64)(a, rm, true),
        }
    };
    (r, take_flags())
}

/// FCVT.fmt.{W,WU,L,LU}: converts the low 32 bits (W, WU) or all of integer register value `x`.
pub(super) fn from_int<F: Format>(kind: IntKind, rm: u8, x: u64) -> (u64, u8) {
    begin(rm);
    // SAFETY: the FROM_* constants are SoftFloat's conversions by the `Format` contract (see
    // `binary`).
    let r = unsafe {
        match kind {
            IntKind::W => (F::FROM_I32)(x as i32),
            IntKind::Wu => (F::FROM_U32)(x as u32),
            IntKind::L => (F::FROM_I64)(x as i64),
            IntKind::Lu => (F::FROM_U64)(x),
        }
    };
    (F::from_sf(r), take_flags())
}
