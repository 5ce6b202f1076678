//! Disassembler for `--trace insns` (STUB: to be written).

/// Disassembles one instruction. `insn` holds the raw bits: a 16-bit compressed instruction in
/// the low half when `insn & 3 != 3`, else a 32-bit one. `pc` resolves branch and jump targets.
pub fn disassemble(insn: u32, _pc: u64) -> String {
    format!(".insn {insn:#x}")
}
