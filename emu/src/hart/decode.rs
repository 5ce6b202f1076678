//! Instruction decoding: raw bits to a compact [`Insn`] the executor dispatches on.
//!
//! Decoding happens once per instruction slot of a physical page (see `icache`), so this code
//! is off the hot path; its output is what the hot path reads. Compressed instructions are
//! first expanded to their 32-bit equivalents (unpriv/c-st-ext.adoc lists each expansion), so
//! one decoder serves both lengths; the original 16 bits are kept for `mtval` and traces.
//!
//! Register fields are pre-processed for speed: a destination of `x0` becomes [`SINK`], a
//! scratch slot past the 32 architectural registers, so the executor writes results without
//! testing for `x0` and `x0` itself is never written.

use super::rvc;

/// Register index that absorbs writes to x0.
pub const SINK: u8 = 32;

/// Size of the hart's register array: the 32 registers, the sink, and padding so that any
/// `u8` index is in bounds without a check (the hot path indexes with the decoded fields as
/// they are: no mask, no bounds check).
pub const REG_SLOTS: usize = 256;
/// Mask applied to register indices on the hot path: all of a `u8`, so it costs nothing
/// (kept so that the indexing reads the same whatever `REG_SLOTS` is).
pub const REG_MASK: u8 = (REG_SLOTS - 1) as u8;

/// Operations, one per instruction (plus a few internal markers).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum Op {
    /// Slot not decoded yet (the decode cache's initial state).
    Undecoded,
    /// A 32-bit instruction straddling a page boundary: fetched the slow way every time.
    CrossPage,
    Illegal,
    // RV64I
    Lui,
    Auipc,
    Jal,
    Jalr,
    Beq,
    Bne,
    Blt,
    Bge,
    Bltu,
    Bgeu,
    Lb,
    Lh,
    Lw,
    Ld,
    Lbu,
    Lhu,
    Lwu,
    Sb,
    Sh,
    Sw,
    Sd,
    Addi,
    Slti,
    Sltiu,
    Xori,
    Ori,
    Andi,
    Slli,
    Srli,
    Srai,
    Add,
    Sub,
    Sll,
    Slt,
    Sltu,
    Xor,
    Srl,
    Sra,
    Or,
    And,
    Addiw,
    Slliw,
    Srliw,
    Sraiw,
    Addw,
    Subw,
    Sllw,
    Srlw,
    Sraw,
    Fence,
    FenceI,
    Ecall,
    Ebreak,
    // Zicsr (csr number in imm)
    Csrrw,
    Csrrs,
    Csrrc,
    Csrrwi,
    Csrrsi,
    Csrrci,
    // Privileged
    Mret,
    Sret,
    Wfi,
    SfenceVma,
    // M
    Mul,
    Mulh,
    Mulhsu,
    Mulhu,
    Div,
    Divu,
    Rem,
    Remu,
    Mulw,
    Divw,
    Divuw,
    Remw,
    Remuw,
    // A (the AMO function, funct5, is in imm)
    LrW,
    ScW,
    AmoW,
    LrD,
    ScD,
    AmoD,
    // F/D loads and stores; everything else goes to the FPU with the raw bits
    Flw,
    Fld,
    Fsw,
    Fsd,
    Fp,
    // Specialised forms of common instructions, chosen at decode time so that the executors'
    // arms read fewer fields and registers (see [`specialise`]). Each means exactly what the
    // instruction it stands for means.
    /// `addi rd, x0, imm` (`li`): rd = imm.
    Li,
    /// `addi rd, rs1, 0` (`mv`), or `add` with x0 (`c.mv`, the operand in rs1): rd = rs1.
    Mv,
    /// `beq rs1, x0, imm` or `beq x0, rs1, imm` (`beqz`): the operand in rs1.
    Beqz,
    /// `bne rs1, x0, imm` or `bne x0, rs1, imm` (`bnez`): the operand in rs1.
    Bnez,
}

/// One decoded instruction (16 bytes, so a slot is one aligned load).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(C, align(16))]
pub struct Insn {
    pub op: Op,
    /// Destination register (x0 mapped to [`SINK`]); for FP loads, the f register.
    pub rd: u8,
    pub rs1: u8,
    /// Second source; for FP stores, the f register.
    pub rs2: u8,
    /// Immediate, CSR number, or AMO funct5 (with aq/rl dropped).
    pub imm: i32,
    /// The instruction as fetched: 16 bits for a compressed one (then `raw & 3 != 3`).
    pub raw: u32,
    /// Length in bytes (2 or 4), precomputed so the hot loop does not derive it.
    pub len: u8,
}

impl Insn {
    /// The slot value before decoding.
    pub const UNDECODED: Insn = Insn {
        op: Op::Undecoded,
        rd: 0,
        rs1: 0,
        rs2: 0,
        imm: 0,
        raw: 0,
        len: 0,
    };

    /// Length in bytes (2 or 4).
    #[inline(always)]
    pub fn length(&self) -> u64 {
        self.len as u64
    }

    fn illegal(raw: u32) -> Insn {
        Insn {
            op: Op::Illegal,
            rd: 0,
            rs1: 0,
            rs2: 0,
            imm: 0,
            raw,
            len: if raw & 3 == 3 { 4 } else { 2 },
        }
    }
}

#[inline]
fn rd_of(raw: u32) -> u8 {
    let r = ((raw >> 7) & 31) as u8;
    if r == 0 {
        SINK
    } else {
        r
    }
}
#[inline]
fn rs1_of(raw: u32) -> u8 {
    ((raw >> 15) & 31) as u8
}
#[inline]
fn rs2_of(raw: u32) -> u8 {
    ((raw >> 20) & 31) as u8
}
/// I-type immediate (unpriv/base.adoc, "Immediate Encoding Variants").
#[inline]
fn imm_i(raw: u32) -> i32 {
    (raw as i32) >> 20
}
#[inline]
fn imm_s(raw: u32) -> i32 {
    (((raw & 0xfe00_0000) as i32) >> 20) | ((raw >> 7) & 0x1f) as i32
}
#[inline]
fn imm_b(raw: u32) -> i32 {
    (((raw & 0x8000_0000) as i32) >> 19)
        | (((raw >> 7) & 1) << 11) as i32
        | (((raw >> 25) & 0x3f) << 5) as i32
        | (((raw >> 8) & 0xf) << 1) as i32
}
#[inline]
fn imm_u(raw: u32) -> i32 {
    (raw & 0xffff_f000) as i32
}
#[inline]
fn imm_j(raw: u32) -> i32 {
    (((raw & 0x8000_0000) as i32) >> 11)
        | (raw & 0x000f_f000) as i32
        | (((raw >> 20) & 1) << 11) as i32
        | (((raw >> 21) & 0x3ff) << 1) as i32
}

/// Decodes the instruction whose first 16 bits are the low half of `raw` (and, for a 32-bit
/// instruction, whose full bits are `raw`).
pub fn decode(raw: u32) -> Insn {
    if raw & 3 != 3 {
        let half = raw & 0xffff;
        return match rvc::expand(half as u16) {
            Some(full) => Insn {
                raw: half,
                len: 2,
                ..decode32(full)
            },
            None => Insn::illegal(half),
        };
    }
    decode32(raw)
}

/// Decodes a 32-bit instruction (unpriv/rv-32-64g.adoc, "RISC-V base opcode map").
pub fn decode32(raw: u32) -> Insn {
    specialise(decode32_plain(raw))
}

/// The specialised form of `i`, if it has one: `li`, `mv`, `beqz` and `bnez` (compressed
/// code is full of them: c.li, c.mv, c.beqz, c.bnez) save an arm a register read or a field.
/// A write to x0 (the sink) stays the plain operation: those are hints and nops, rare, and
/// `nop` staying `Addi` keeps what the decoded slots of a page of nops look like.
fn specialise(i: Insn) -> Insn {
    let op = match i.op {
        Op::Addi if i.rd != SINK && i.rs1 == 0 => Op::Li,
        Op::Addi if i.rd != SINK && i.imm == 0 => Op::Mv,
        // c.mv expands to `add rd, x0, rs2`.
        Op::Add if i.rd != SINK && (i.rs1 == 0 || i.rs2 == 0) => {
            return Insn {
                op: Op::Mv,
                rs1: i.rs1 | i.rs2,
                ..i
            };
        }
        Op::Beq | Op::Bne if i.rs1 == 0 || i.rs2 == 0 => {
            let op = if i.op == Op::Beq { Op::Beqz } else { Op::Bnez };
            // The operand that is not x0 goes to rs1 (both x0: compares x0 with 0).
            return Insn {
                op,
                rs1: i.rs1 | i.rs2,
                ..i
            };
        }
        _ => return i,
    };
    Insn { op, ..i }
}

fn decode32_plain(raw: u32) -> Insn {
    let (rd, rs1, rs2) = (rd_of(raw), rs1_of(raw), rs2_of(raw));
    let f3 = (raw >> 12) & 7;
    let f7 = raw >> 25;
    let mk = |op: Op, imm: i32| Insn {
        op,
        rd,
        rs1,
        rs2,
        imm,
        raw,
        len: 4,
    };
    let op = match raw & 0x7f {
        0x37 => return mk(Op::Lui, imm_u(raw)),
        0x17 => return mk(Op::Auipc, imm_u(raw)),
        0x6f => return mk(Op::Jal, imm_j(raw)),
        0x67 if f3 == 0 => return mk(Op::Jalr, imm_i(raw)),
        0x63 => {
            let op = match f3 {
                0 => Op::Beq,
                1 => Op::Bne,
                4 => Op::Blt,
                5 => Op::Bge,
                6 => Op::Bltu,
                7 => Op::Bgeu,
                _ => return Insn::illegal(raw),
            };
            return mk(op, imm_b(raw));
        }
        0x03 => {
            let op = match f3 {
                0 => Op::Lb,
                1 => Op::Lh,
                2 => Op::Lw,
                3 => Op::Ld,
                4 => Op::Lbu,
                5 => Op::Lhu,
                6 => Op::Lwu,
                _ => return Insn::illegal(raw),
            };
            return mk(op, imm_i(raw));
        }
        0x23 => {
            let op = match f3 {
                0 => Op::Sb,
                1 => Op::Sh,
                2 => Op::Sw,
                3 => Op::Sd,
                _ => return Insn::illegal(raw),
            };
            return mk(op, imm_s(raw));
        }
        0x13 => {
            let shamt = ((raw >> 20) & 0x3f) as i32;
            match (f3, raw >> 26) {
                (0, _) => return mk(Op::Addi, imm_i(raw)),
                (2, _) => return mk(Op::Slti, imm_i(raw)),
                (3, _) => return mk(Op::Sltiu, imm_i(raw)),
                (4, _) => return mk(Op::Xori, imm_i(raw)),
                (6, _) => return mk(Op::Ori, imm_i(raw)),
                (7, _) => return mk(Op::Andi, imm_i(raw)),
                (1, 0) => return mk(Op::Slli, shamt),
                (5, 0) => return mk(Op::Srli, shamt),
                (5, 0x10) => return mk(Op::Srai, shamt),
                _ => return Insn::illegal(raw),
            }
        }
        0x1b => {
            let shamt = ((raw >> 20) & 0x1f) as i32;
            match (f3, f7) {
                (0, _) => return mk(Op::Addiw, imm_i(raw)),
                (1, 0) => return mk(Op::Slliw, shamt),
                (5, 0) => return mk(Op::Srliw, shamt),
                (5, 0x20) => return mk(Op::Sraiw, shamt),
                _ => return Insn::illegal(raw),
            }
        }
        0x33 => match (f7, f3) {
            (0, 0) => Op::Add,
            (0x20, 0) => Op::Sub,
            (0, 1) => Op::Sll,
            (0, 2) => Op::Slt,
            (0, 3) => Op::Sltu,
            (0, 4) => Op::Xor,
            (0, 5) => Op::Srl,
            (0x20, 5) => Op::Sra,
            (0, 6) => Op::Or,
            (0, 7) => Op::And,
            (1, 0) => Op::Mul,
            (1, 1) => Op::Mulh,
            (1, 2) => Op::Mulhsu,
            (1, 3) => Op::Mulhu,
            (1, 4) => Op::Div,
            (1, 5) => Op::Divu,
            (1, 6) => Op::Rem,
            (1, 7) => Op::Remu,
            _ => return Insn::illegal(raw),
        },
        0x3b => match (f7, f3) {
            (0, 0) => Op::Addw,
            (0x20, 0) => Op::Subw,
            (0, 1) => Op::Sllw,
            (0, 5) => Op::Srlw,
            (0x20, 5) => Op::Sraw,
            (1, 0) => Op::Mulw,
            (1, 4) => Op::Divw,
            (1, 5) => Op::Divuw,
            (1, 6) => Op::Remw,
            (1, 7) => Op::Remuw,
            _ => return Insn::illegal(raw),
        },
        0x0f => match f3 {
            // FENCE ignores its unused fields (unpriv/base.adoc: "reserved for finer-grain
            // fences", implementations treat them as normal fences).
            0 => Op::Fence,
            1 => Op::FenceI,
            _ => return Insn::illegal(raw),
        },
        0x73 => return decode_system(raw),
        0x2f => {
            let funct5 = (raw >> 27) as i32;
            let (lr, sc, amo) = match f3 {
                2 => (Op::LrW, Op::ScW, Op::AmoW),
                3 => (Op::LrD, Op::ScD, Op::AmoD),
                _ => return Insn::illegal(raw),
            };
            return match funct5 {
                0b00010 if rs2 == 0 => mk(lr, 0),
                0b00010 => Insn::illegal(raw),
                0b00011 => mk(sc, 0),
                0b00001 | 0b00000 | 0b00100 | 0b01100 | 0b01000 | 0b10000 | 0b10100 | 0b11000
                | 0b11100 => mk(amo, funct5),
                _ => Insn::illegal(raw),
            };
        }
        0x07 => {
            let op = match f3 {
                2 => Op::Flw,
                3 => Op::Fld,
                _ => return Insn::illegal(raw),
            };
            // The destination is an f register: keep f0 addressable.
            return Insn {
                op,
                rd: ((raw >> 7) & 31) as u8,
                rs1,
                rs2,
                imm: imm_i(raw),
                raw,
                len: 4,
            };
        }
        0x27 => {
            let op = match f3 {
                2 => Op::Fsw,
                3 => Op::Fsd,
                _ => return Insn::illegal(raw),
            };
            return mk(op, imm_s(raw));
        }
        0x53 | 0x43 | 0x47 | 0x4b | 0x4f => return mk(Op::Fp, 0),
        _ => return Insn::illegal(raw),
    };
    mk(op, 0)
}

/// SYSTEM opcode: CSR instructions and the privileged ones (priv/machine.adoc, "Machine-Mode
/// Privileged Instructions"; priv/supervisor.adoc, "Supervisor Memory-Management Fence").
fn decode_system(raw: u32) -> Insn {
    let (rd, rs1, rs2) = (rd_of(raw), rs1_of(raw), rs2_of(raw));
    let f3 = (raw >> 12) & 7;
    let csr = (raw >> 20) as i32;
    let mk = |op: Op, imm: i32| Insn {
        op,
        rd,
        rs1,
        rs2,
        imm,
        raw,
        len: 4,
    };
    match f3 {
        0 => {
            // rd and rs1 must be zero for these (except sfence.vma's rs1/rs2).
            if (raw >> 7) & 31 != 0 {
                return Insn::illegal(raw);
            }
            match raw >> 20 {
                _ if raw >> 25 == 0b000_1001 => mk(Op::SfenceVma, 0),
                0x000 if rs1 == 0 => mk(Op::Ecall, 0),
                0x001 if rs1 == 0 => mk(Op::Ebreak, 0),
                0x302 if rs1 == 0 => mk(Op::Mret, 0),
                0x102 if rs1 == 0 => mk(Op::Sret, 0),
                0x105 if rs1 == 0 => mk(Op::Wfi, 0),
                _ => Insn::illegal(raw),
            }
        }
        1 => mk(Op::Csrrw, csr),
        2 => mk(Op::Csrrs, csr),
        3 => mk(Op::Csrrc, csr),
        5 => mk(Op::Csrrwi, csr),
        6 => mk(Op::Csrrsi, csr),
        7 => mk(Op::Csrrci, csr),
        _ => Insn::illegal(raw),
    }
}

/// The operations both engines execute out of line (`Hart::execute_rare`): the system ones
/// (CSRs, traps, xRET, WFI, fences), the atomics and F/D. Each may change the privilege,
/// satp, PMP or `stop_at`, or needs the exact pc and count, so the block engine ends its
/// run at every one. A pattern, so that each engine's `match` names them in one place.
macro_rules! out_of_line_ops {
    () => {
        Op::Illegal
            | Op::Fence
            | Op::FenceI
            | Op::Ecall
            | Op::Ebreak
            | Op::Csrrw
            | Op::Csrrs
            | Op::Csrrc
            | Op::Csrrwi
            | Op::Csrrsi
            | Op::Csrrci
            | Op::Mret
            | Op::Sret
            | Op::Wfi
            | Op::SfenceVma
            | Op::LrW
            | Op::ScW
            | Op::AmoW
            | Op::LrD
            | Op::ScD
            | Op::AmoD
            | Op::Flw
            | Op::Fld
            | Op::Fsw
            | Op::Fsd
            | Op::Fp
    };
}
pub(crate) use out_of_line_ops;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn immediates_are_sign_extended_per_format() {
        // addi a0, a0, -1
        let i = decode(0xfff5_0513);
        assert_eq!((i.op, i.rd, i.rs1, i.imm), (Op::Addi, 10, 10, -1));
        // sd ra, 8(sp)
        let i = decode(0x0011_3423);
        assert_eq!((i.op, i.rs1, i.rs2, i.imm), (Op::Sd, 2, 1, 8));
        // beq zero, zero, -4  (0xfe000ee3)
        // (specialised: `beqz zero`)
        let i = decode(0xfe00_0ee3);
        assert_eq!((i.op, i.rs1, i.imm), (Op::Beqz, 0, -4));
        // jal ra, 2048 (0x001000ef is jal ra, 0x800? check bit 11 placement): jal zero, -2
        let i = decode(0xfffff06f);
        assert_eq!((i.op, i.rd, i.imm), (Op::Jal, SINK, -2));
        // lui a5, 0x80000 -> imm is sign-extended 0x80000000
        let i = decode(0x8000_07b7);
        assert_eq!((i.op, i.imm), (Op::Lui, i32::MIN));
    }

    #[test]
    fn common_forms_are_specialised() {
        // addi a0, zero, 5 (li); addi a0, a1, 0 (mv); a nop stays addi.
        assert_eq!(
            (decode(0x0050_0513).op, decode(0x0050_0513).imm),
            (Op::Li, 5)
        );
        let i = decode(0x0005_8513);
        assert_eq!((i.op, i.rd, i.rs1), (Op::Mv, 10, 11));
        assert_eq!(decode(0x0000_0013).op, Op::Addi);
        // bnez t0, -28 (the integer loop's); beq zero, a0, 8; beq a0, a1, 8 stays beq.
        let i = decode(0xfe02_92e3);
        assert_eq!((i.op, i.rs1, i.imm), (Op::Bnez, 5, -28));
        let i = decode(0x00a0_0463);
        assert_eq!((i.op, i.rs1, i.imm), (Op::Beqz, 10, 8));
        assert_eq!(decode(0x00b5_0463).op, Op::Beq);
        // c.beqz a0, 0; c.mv a0, a1
        assert_eq!((decode(0xc101).op, decode(0xc101).rs1), (Op::Beqz, 10));
        let i = decode(0x852e);
        assert_eq!(
            (i.op, i.rd, i.rs1, i.raw, i.len),
            (Op::Mv, 10, 11, 0x852e, 2)
        );
    }

    #[test]
    fn x0_destination_goes_to_the_sink() {
        assert_eq!(decode(0x0000_0013).rd, SINK); // nop
        assert_eq!(decode(0x0000_0013).op, Op::Addi);
    }

    #[test]
    fn system_instructions() {
        assert_eq!(decode(0x0000_0073).op, Op::Ecall);
        assert_eq!(decode(0x0010_0073).op, Op::Ebreak);
        assert_eq!(decode(0x3020_0073).op, Op::Mret);
        assert_eq!(decode(0x1020_0073).op, Op::Sret);
        assert_eq!(decode(0x1050_0073).op, Op::Wfi);
        assert_eq!(decode(0x1200_0073).op, Op::SfenceVma);
        let i = decode(0x3400_2573); // csrrs a0, mscratch, zero
        assert_eq!((i.op, i.imm, i.rs1), (Op::Csrrs, 0x340, 0));
        assert_eq!(decode(0x0000_0000).op, Op::Illegal);
        assert_eq!(decode(0xffff_ffff).op, Op::Illegal);
    }

    #[test]
    fn compressed_instructions_keep_their_16_bits() {
        let i = decode(0x4505); // c.li a0, 1
        assert_eq!(
            (i.op, i.rd, i.rs1, i.imm, i.raw, i.length()),
            (Op::Li, 10, 0, 1, 0x4505, 2)
        );
        assert_eq!(decode(0x0000).op, Op::Illegal); // the all-zero halfword is illegal
    }
}
