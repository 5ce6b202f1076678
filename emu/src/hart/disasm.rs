//! Disassembler for `--trace insns` (STUB: to be written).

/// Disassembles one instruction. `insn` holds the raw bits: a 16-bit compressed instruction in
/// the low half when `insn & 3 != 3`, else a 32-bit one. `pc` resolves branch and jump targets.
pub fn disassemble(insn: u32, _pc: u64) -> String {
    format!(".insn {insn:#x}")
}

/// Writes the disassembly of `insn` to `out` (STUB).
pub fn disassemble_into(insn: u32, pc: u64, out: &mut impl core::fmt::Write) -> core::fmt::Result {
    out.write_str(&disassemble(insn, pc))
}
