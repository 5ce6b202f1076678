//! RV64I, M, A, Zicsr, Zifencei and the privileged instructions.
//!
//! Encodings: unpriv/rv64.adoc and rv-32-64g.adoc (RV64I), m-st-ext.adoc (M), zaamo.adoc and
//! zalrsc.adoc (A), zicsr.adoc, zifencei.adoc, priv/machine.adoc "Machine-Mode Privileged
//! Instructions" and priv/supervisor.adoc "Supervisor Instructions". Alias choices follow
//! binutils 2.40 objdump (see the module docs of `disasm`).

use super::{target, Fields, Insn};

/// LOAD (opcode 0x03): "Load and Store Instructions" of rv64.adoc.
pub(super) fn load(f: Fields) -> Option<Insn> {
    let name = ["lb", "lh", "lw", "ld", "lbu", "lhu", "lwu"].get(f.funct3() as usize)?;
    Some(Insn::new(name).x(f.rd()).mem(f.i_imm(), f.rs1()))
}

/// STORE (opcode 0x23).
pub(super) fn store(f: Fields) -> Option<Insn> {
    let name = ["sb", "sh", "sw", "sd"].get(f.funct3() as usize)?;
    Some(Insn::new(name).x(f.rs2()).mem(f.s_imm(), f.rs1()))
}

/// MISC-MEM (opcode 0x0f): FENCE, FENCE.TSO (rv-32-64g.adoc listing) and FENCE.I
/// (zifencei.adoc). objdump decodes only the forms with rd = rs1 = 0 and fm = 0 (or exactly
/// FENCE.TSO); it names an empty predecessor or successor set `unknown`.
pub(super) fn misc_mem(f: Fields) -> Option<Insn> {
    const SETS: [&str; 16] = [
        "unknown", "w", "r", "rw", "o", "ow", "or", "orw", "i", "iw", "ir", "irw", "io", "iow",
        "ior", "iorw",
    ];
    match (f.funct3(), f.0) {
        (0, 0x8330_000f) => Some(Insn::new("fence.tso")),
        (0, _) if f.rd() == 0 && f.rs1() == 0 && f.bits(31, 28) == 0 => {
            let (pred, succ) = (f.bits(27, 24), f.bits(23, 20));
            Some(if pred == 0xf && succ == 0xf {
                Insn::new("fence")
            } else {
                Insn::new("fence")
                    .text(SETS[pred as usize])
                    .text(SETS[succ as usize])
            })
        }
        (1, 0x0000_100f) => Some(Insn::new("fence.i")),
        _ => None,
    }
}

/// OP-IMM (opcode 0x13): "Integer Register-Immediate Instructions" of rv64.adoc.
pub(super) fn op_imm(f: Fields) -> Option<Insn> {
    let (rd, rs1, imm) = (f.rd(), f.rs1(), f.i_imm());
    let shamt = f.bits(25, 20);
    Some(match f.funct3() {
        0 if rd == 0 && rs1 == 0 && imm == 0 => Insn::new("nop"),
        0 if rs1 == 0 => Insn::new("li").x(rd).dec(imm),
        0 if imm == 0 => Insn::new("mv").x(rd).x(rs1),
        0 => Insn::new("add").x(rd).x(rs1).dec(imm),
        1 if f.bits(31, 26) == 0 => Insn::new("sll").x(rd).x(rs1).hex(shamt),
        2 => Insn::new("slti").x(rd).x(rs1).dec(imm),
        3 if imm == 1 => Insn::new("seqz").x(rd).x(rs1),
        3 => Insn::new("sltiu").x(rd).x(rs1).dec(imm),
        4 if imm == -1 => Insn::new("not").x(rd).x(rs1),
        4 => Insn::new("xor").x(rd).x(rs1).dec(imm),
        5 if f.bits(31, 26) == 0 => Insn::new("srl").x(rd).x(rs1).hex(shamt),
        5 if f.bits(31, 26) == 0x10 => Insn::new("sra").x(rd).x(rs1).hex(shamt),
        6 => Insn::new("or").x(rd).x(rs1).dec(imm),
        7 if imm == 0xff => Insn::new("zext.b").x(rd).x(rs1),
        7 => Insn::new("and").x(rd).x(rs1).dec(imm),
        _ => return None,
    })
}

/// OP-IMM-32 (opcode 0x1b): the RV64 word forms (rv64.adoc).
pub(super) fn op_imm_32(f: Fields) -> Option<Insn> {
    let (rd, rs1, imm) = (f.rd(), f.rs1(), f.i_imm());
    let shamt = f.bits(24, 20);
    Some(match (f.funct3(), f.funct7()) {
        (0, _) if imm == 0 => Insn::new("sext.w").x(rd).x(rs1),
        (0, _) => Insn::new("addw").x(rd).x(rs1).dec(imm),
        (1, 0) => Insn::new("sllw").x(rd).x(rs1).hex(shamt),
        (5, 0) => Insn::new("srlw").x(rd).x(rs1).hex(shamt),
        (5, 0x20) => Insn::new("sraw").x(rd).x(rs1).hex(shamt),
        _ => return None,
    })
}

/// OP (opcode 0x33): "Integer Register-Register Operations" of rv64.adoc, and the M extension
/// (funct7 = 1, m-st-ext.adoc).
pub(super) fn op(f: Fields) -> Option<Insn> {
    let (rd, rs1, rs2) = (f.rd(), f.rs1(), f.rs2());
    let name = match (f.funct7(), f.funct3()) {
        (0x20, 0) if rs1 == 0 => return Some(Insn::new("neg").x(rd).x(rs2)),
        (0, 2) if rs2 == 0 => return Some(Insn::new("sltz").x(rd).x(rs1)),
        (0, 2) if rs1 == 0 => return Some(Insn::new("sgtz").x(rd).x(rs2)),
        (0, 3) if rs1 == 0 => return Some(Insn::new("snez").x(rd).x(rs2)),
        (0, funct3) => ["add", "sll", "slt", "sltu", "xor", "srl", "or", "and"][funct3 as usize],
        (0x20, 0) => "sub",
        (0x20, 5) => "sra",
        (1, funct3) => [
            "mul", "mulh", "mulhsu", "mulhu", "div", "divu", "rem", "remu",
        ][funct3 as usize],
        _ => return None,
    };
    Some(Insn::new(name).x(rd).x(rs1).x(rs2))
}

/// OP-32 (opcode 0x3b): RV64 word operations (rv64.adoc) and the M word forms.
pub(super) fn op_32(f: Fields) -> Option<Insn> {
    let (rd, rs1, rs2) = (f.rd(), f.rs1(), f.rs2());
    let name = match (f.funct7(), f.funct3()) {
        (0x20, 0) if rs1 == 0 => return Some(Insn::new("negw").x(rd).x(rs2)),
        (0, 0) => "addw",
        (0x20, 0) => "subw",
        (0, 1) => "sllw",
        (0, 5) => "srlw",
        (0x20, 5) => "sraw",
        (1, 0) => "mulw",
        (1, 4) => "divw",
        (1, 5) => "divuw",
        (1, 6) => "remw",
        (1, 7) => "remuw",
        _ => return None,
    };
    Some(Insn::new(name).x(rd).x(rs1).x(rs2))
}

/// BRANCH (opcode 0x63), with objdump's zero-register aliases. When both registers are zero,
/// objdump takes the alias listed first in its table: `bltz` for BLT, `blez` for BGE.
pub(super) fn branch(f: Fields, pc: u64) -> Option<Insn> {
    let (rs1, rs2) = (f.rs1(), f.rs2());
    let to = target(pc, f.b_imm());
    Some(match f.funct3() {
        0 if rs2 == 0 => Insn::new("beqz").x(rs1).target(to),
        1 if rs2 == 0 => Insn::new("bnez").x(rs1).target(to),
        4 if rs2 == 0 => Insn::new("bltz").x(rs1).target(to),
        4 if rs1 == 0 => Insn::new("bgtz").x(rs2).target(to),
        5 if rs1 == 0 => Insn::new("blez").x(rs2).target(to),
        5 if rs2 == 0 => Insn::new("bgez").x(rs1).target(to),
        2 | 3 => return None,
        funct3 => {
            let name = ["beq", "bne", "", "", "blt", "bge", "bltu", "bgeu"][funct3 as usize];
            Insn::new(name).x(rs1).x(rs2).target(to)
        }
    })
}

/// JAL (opcode 0x6f): `j` when the link register is zero, `jal` alone when it is `ra`.
pub(super) fn jal(f: Fields, pc: u64) -> Insn {
    let to = target(pc, f.j_imm());
    match f.rd() {
        0 => Insn::new("j").target(to),
        1 => Insn::new("jal").target(to),
        rd => Insn::new("jal").x(rd).target(to),
    }
}

/// JALR (opcode 0x67, funct3 = 0): `ret`, `jr`, and `jalr` with an implied `ra`; a zero offset
/// is left out.
pub(super) fn jalr(f: Fields) -> Option<Insn> {
    if f.funct3() != 0 {
        return None;
    }
    let (rd, rs1, imm) = (f.rd(), f.rs1(), f.i_imm());
    let insn = match rd {
        0 if rs1 == 1 && imm == 0 => return Some(Insn::new("ret")),
        0 => Insn::new("jr"),
        1 => Insn::new("jalr"),
        _ => Insn::new("jalr").x(rd),
    };
    Some(if imm == 0 {
        insn.x(rs1)
    } else {
        insn.mem(imm, rs1)
    })
}

/// AMO (opcode 0x2f): LR/SC (zalrsc.adoc) and the AMOs (zaamo.adoc), `.w` or `.d`, with the
/// `.aq`/`.rl`/`.aqrl` ordering suffix.
pub(super) fn amo(f: Fields) -> Option<Insn> {
    let width = match f.funct3() {
        2 => ".w",
        3 => ".d",
        _ => return None,
    };
    let name = match f.bits(31, 27) {
        0b00010 if f.rs2() == 0 => "lr",
        0b00011 => "sc",
        0b00001 => "amoswap",
        0b00000 => "amoadd",
        0b00100 => "amoxor",
        0b01100 => "amoand",
        0b01000 => "amoor",
        0b10000 => "amomin",
        0b10100 => "amomax",
        0b11000 => "amominu",
        0b11100 => "amomaxu",
        _ => return None,
    };
    let order = ["", ".rl", ".aq", ".aqrl"][f.bits(26, 25) as usize];
    let insn = Insn::new(name).suffix(width).suffix(order).x(f.rd());
    Some(if name == "lr" {
        insn.atomic(f.rs1())
    } else {
        insn.x(f.rs2()).atomic(f.rs1())
    })
}

/// SYSTEM (opcode 0x73): the privileged instructions (funct3 = 0) and the Zicsr instructions
/// (zicsr.adoc "CSR Instructions"), with objdump's aliases.
pub(super) fn system(f: Fields) -> Option<Insn> {
    match f.funct3() {
        0 => privileged(f),
        4 => None,
        _ => Some(csr_access(f)),
    }
}

/// The funct3 = 0 SYSTEM instructions objdump 2.40 knows, including the retired `uret`,
/// `hret` and `sfence.vm` of older privileged specs and the debug-mode `dret`.
fn privileged(f: Fields) -> Option<Insn> {
    let (rd, rs1, rs2) = (f.rd(), f.rs1(), f.rs2());
    if rd != 0 {
        return None;
    }
    if f.funct7() == 0b000_1001 {
        // SFENCE.VMA rs1, rs2 (supervisor.adoc "Supervisor Memory-Management Fence
        // Instruction"); objdump leaves out trailing zero operands.
        let insn = Insn::new("sfence.vma");
        return Some(match (rs1, rs2) {
            (0, 0) => insn,
            (_, 0) => insn.x(rs1),
            _ => insn.x(rs1).x(rs2),
        });
    }
    if f.csr() == 0x104 {
        let insn = Insn::new("sfence.vm");
        return Some(if rs1 == 0 { insn } else { insn.x(rs1) });
    }
    if rs1 != 0 {
        return None;
    }
    let name = match f.csr() {
        0x000 => "ecall",
        0x001 => "ebreak",
        0x002 => "uret",
        0x102 => "sret",
        0x105 => "wfi",
        0x202 => "hret",
        0x302 => "mret",
        0x7b2 => "dret",
        _ => return None,
    };
    Some(Insn::new(name))
}

/// CSRRW/CSRRS/CSRRC and their immediate forms. objdump 2.40 prints the immediate forms under
/// the register-form names (`csrrw a0,mstatus,5`, `csrs sie,2`), and has its own aliases for
/// the counters (`rdcycle`) and the floating-point CSRs (`frrm`, `fscsr`, `fsflagsi`).
fn csr_access(f: Fields) -> Insn {
    let (rd, rs1, csr) = (f.rd(), f.rs1(), f.csr());
    let immediate = f.funct3() & 4 != 0;
    // The source: rs1 as a register, or as the 5-bit zimm.
    let with_source = |insn: Insn| {
        if immediate {
            insn.dec(rs1.into())
        } else {
            insn.x(rs1)
        }
    };
    // Read-only aliases: CSRRS with rs1 = x0 (zicsr.adoc, "csrr rd, csr").
    if f.funct3() == 2 && rs1 == 0 {
        return match csr {
            0xc00 => Insn::new("rdcycle").x(rd),
            0xc01 => Insn::new("rdtime").x(rd),
            0xc02 => Insn::new("rdinstret").x(rd),
            0x001 => Insn::new("frflags").x(rd),
            0x002 => Insn::new("frrm").x(rd),
            0x003 => Insn::new("frcsr").x(rd),
            _ => Insn::new("csrr").x(rd).csr(csr),
        };
    }
    // Writes of the floating-point CSRs (f-st-ext.adoc "Floating-Point Control and Status
    // Register"): the register forms drop a zero rd, the immediate forms keep it.
    let fp_write = match (f.funct3(), csr) {
        (1, 0x001) => Some("fsflags"),
        (1, 0x002) => Some("fsrm"),
        (1, 0x003) => Some("fscsr"),
        (5, 0x001) => Some("fsflagsi"),
        (5, 0x002) => Some("fsrmi"),
        _ => None,
    };
    if let Some(name) = fp_write {
        let insn = if rd == 0 && !immediate {
            Insn::new(name)
        } else {
            Insn::new(name).x(rd)
        };
        return with_source(insn);
    }
    // `unimp` is objdump's name for `csrrw zero,cycle,zero`, the canonical 32-bit illegal
    // instruction (cycle is read-only).
    if f.0 == 0xc000_1073 {
        return Insn::new("unimp");
    }
    let op = f.funct3() & 3;
    let insn = if rd == 0 {
        Insn::new(["", "csrw", "csrs", "csrc"][op as usize]).csr(csr)
    } else {
        Insn::new(["", "csrrw", "csrrs", "csrrc"][op as usize])
            .x(rd)
            .csr(csr)
    };
    with_source(insn)
}
