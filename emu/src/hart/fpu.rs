//! F and D extensions (STUB: to be written).

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

/// Executes one register-to-register F/D instruction (major opcodes OP-FP 0x53, MADD 0x43,
/// MSUB 0x47, NMSUB 0x4b, NMADD 0x4f). Loads and stores (FLW/FLD/FSW/FSD) belong to the hart.
/// Returns `Ok(dirty)` (true when f registers or fflags were written) or `Err(())` when the
/// encoding is illegal (including a reserved rounding mode). Never writes `x[0]`.
#[allow(clippy::result_unit_err)]
pub fn execute(_fp: &mut FpRegs, _x: &mut [u64; 32], _insn: u32) -> Result<bool, ()> {
    Err(())
}
