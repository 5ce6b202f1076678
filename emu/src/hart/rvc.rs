//! Expansion of compressed (C) instructions to their 32-bit equivalents.
//!
//! unpriv/c-st-ext.adoc defines every RVC instruction by the base instruction it expands to;
//! expanding lets one decoder and one executor serve both lengths. Reserved encodings and
//! the all-zero halfword return `None` (illegal instruction); HINTs expand to their no-op
//! base forms. RV64 only: C.ADDIW, C.LD/C.SD/C.LDSP/C.SDSP, 6-bit shift amounts.

/// Bits `hi..=lo` of `x`, shifted down.
#[inline]
fn bits(x: u32, hi: u32, lo: u32) -> u32 {
    (x >> lo) & ((1 << (hi - lo + 1)) - 1)
}

/// Sign-extends the low `n` bits.
#[inline]
fn sext(x: u32, n: u32) -> i32 {
    ((x << (32 - n)) as i32) >> (32 - n)
}

fn enc_i(opcode: u32, rd: u32, f3: u32, rs1: u32, imm: i32) -> u32 {
    ((imm as u32 & 0xfff) << 20) | (rs1 << 15) | (f3 << 12) | (rd << 7) | opcode
}
fn enc_s(opcode: u32, f3: u32, rs1: u32, rs2: u32, imm: i32) -> u32 {
    let imm = imm as u32;
    (((imm >> 5) & 0x7f) << 25)
        | (rs2 << 20)
        | (rs1 << 15)
        | (f3 << 12)
        | ((imm & 0x1f) << 7)
        | opcode
}
fn enc_r(opcode: u32, rd: u32, f3: u32, rs1: u32, rs2: u32, f7: u32) -> u32 {
    (f7 << 25) | (rs2 << 20) | (rs1 << 15) | (f3 << 12) | (rd << 7) | opcode
}
fn enc_b(f3: u32, rs1: u32, rs2: u32, imm: i32) -> u32 {
    let imm = imm as u32;
    (bits(imm, 12, 12) << 31)
        | (bits(imm, 10, 5) << 25)
        | (rs2 << 20)
        | (rs1 << 15)
        | (f3 << 12)
        | (bits(imm, 4, 1) << 8)
        | (bits(imm, 11, 11) << 7)
        | 0x63
}
fn enc_j(rd: u32, imm: i32) -> u32 {
    let imm = imm as u32;
    (bits(imm, 20, 20) << 31)
        | (bits(imm, 10, 1) << 21)
        | (bits(imm, 11, 11) << 20)
        | (bits(imm, 19, 12) << 12)
        | (rd << 7)
        | 0x6f
}

const OP_IMM: u32 = 0x13;
const OP_IMM32: u32 = 0x1b;
const OP: u32 = 0x33;
const OP32: u32 = 0x3b;
const LOAD: u32 = 0x03;
const STORE: u32 = 0x23;
const LOAD_FP: u32 = 0x07;
const STORE_FP: u32 = 0x27;
const SP: u32 = 2;

/// Expands a 16-bit instruction; `None` when it is reserved or illegal.
pub fn expand(h: u16) -> Option<u32> {
    let c = h as u32;
    // Register fields: full 5-bit and the 3-bit "popular register" forms (x8..x15).
    let rd = bits(c, 11, 7);
    let rs2 = bits(c, 6, 2);
    let rdp = bits(c, 4, 2) + 8;
    let rs1p = bits(c, 9, 7) + 8;
    // CI-format 6-bit immediate: imm[5] = bit 12, imm[4:0] = bits 6:2.
    let ci = (bits(c, 12, 12) << 5) | bits(c, 6, 2);
    // Offsets of the word/doubleword loads and stores (CL/CS formats).
    let lw_off = (bits(c, 12, 10) << 3) | (bits(c, 6, 6) << 2) | (bits(c, 5, 5) << 6);
    let ld_off = (bits(c, 12, 10) << 3) | (bits(c, 6, 5) << 6);
    let out = match (c & 3, bits(c, 15, 13)) {
        // ---- quadrant 0 ----
        (0, 0b000) => {
            // C.ADDI4SPN: nzuimm[5:4|9:6|2|3]
            let imm = (bits(c, 12, 11) << 4)
                | (bits(c, 10, 7) << 6)
                | (bits(c, 6, 6) << 2)
                | (bits(c, 5, 5) << 3);
            if imm == 0 {
                return None; // includes the all-zero halfword
            }
            enc_i(OP_IMM, rdp, 0, SP, imm as i32)
        }
        (0, 0b001) => enc_i(LOAD_FP, rdp, 3, rs1p, ld_off as i32), // C.FLD
        (0, 0b010) => enc_i(LOAD, rdp, 2, rs1p, lw_off as i32),    // C.LW
        (0, 0b011) => enc_i(LOAD, rdp, 3, rs1p, ld_off as i32),    // C.LD
        (0, 0b101) => enc_s(STORE_FP, 3, rs1p, rdp, ld_off as i32), // C.FSD
        (0, 0b110) => enc_s(STORE, 2, rs1p, rdp, lw_off as i32),   // C.SW
        (0, 0b111) => enc_s(STORE, 3, rs1p, rdp, ld_off as i32),   // C.SD
        // ---- quadrant 1 ----
        (1, 0b000) => enc_i(OP_IMM, rd, 0, rd, sext(ci, 6)), // C.ADDI / C.NOP
        (1, 0b001) => {
            if rd == 0 {
                return None; // C.ADDIW with rd=x0 is reserved
            }
            enc_i(OP_IMM32, rd, 0, rd, sext(ci, 6))
        }
        (1, 0b010) => enc_i(OP_IMM, rd, 0, 0, sext(ci, 6)), // C.LI
        (1, 0b011) if rd == 2 => {
            // C.ADDI16SP: nzimm[9] = bit 12, nzimm[4|6|8:7|5] = bits 6:2
            let imm = (bits(c, 12, 12) << 9)
                | (bits(c, 6, 6) << 4)
                | (bits(c, 5, 5) << 6)
                | (bits(c, 4, 3) << 7)
                | (bits(c, 2, 2) << 5);
            if imm == 0 {
                return None;
            }
            enc_i(OP_IMM, SP, 0, SP, sext(imm, 10))
        }
        (1, 0b011) => {
            if ci == 0 {
                return None; // C.LUI with nzimm = 0 is reserved
            }
            (sext(ci, 6) << 12) as u32 | (rd << 7) | 0x37
        }
        (1, 0b100) => {
            let shamt = ci as i32;
            match bits(c, 11, 10) {
                0b00 => enc_i(OP_IMM, rs1p, 5, rs1p, shamt), // C.SRLI
                0b01 => enc_i(OP_IMM, rs1p, 5, rs1p, shamt | 0x400), // C.SRAI
                0b10 => enc_i(OP_IMM, rs1p, 7, rs1p, sext(ci, 6)), // C.ANDI
                _ => {
                    let r2 = rdp;
                    match (bits(c, 12, 12), bits(c, 6, 5)) {
                        (0, 0b00) => enc_r(OP, rs1p, 0, rs1p, r2, 0x20), // C.SUB
                        (0, 0b01) => enc_r(OP, rs1p, 4, rs1p, r2, 0),    // C.XOR
                        (0, 0b10) => enc_r(OP, rs1p, 6, rs1p, r2, 0),    // C.OR
                        (0, 0b11) => enc_r(OP, rs1p, 7, rs1p, r2, 0),    // C.AND
                        (1, 0b00) => enc_r(OP32, rs1p, 0, rs1p, r2, 0x20), // C.SUBW
                        (1, 0b01) => enc_r(OP32, rs1p, 0, rs1p, r2, 0),  // C.ADDW
                        _ => return None,
                    }
                }
            }
        }
        (1, 0b101) => {
            // C.J: offset[11|4|9:8|10|6|7|3:1|5]
            let off = (bits(c, 12, 12) << 11)
                | (bits(c, 11, 11) << 4)
                | (bits(c, 10, 9) << 8)
                | (bits(c, 8, 8) << 10)
                | (bits(c, 7, 7) << 6)
                | (bits(c, 6, 6) << 7)
                | (bits(c, 5, 3) << 1)
                | (bits(c, 2, 2) << 5);
            enc_j(0, sext(off, 12))
        }
        (1, f @ (0b110 | 0b111)) => {
            // C.BEQZ / C.BNEZ: offset[8|4:3] = 12|11:10, offset[7:6|2:1|5] = 6:5|4:3|2
            let off = (bits(c, 12, 12) << 8)
                | (bits(c, 11, 10) << 3)
                | (bits(c, 6, 5) << 6)
                | (bits(c, 4, 3) << 1)
                | (bits(c, 2, 2) << 5);
            enc_b(f & 1, rs1p, 0, sext(off, 9))
        }
        // ---- quadrant 2 ----
        (2, 0b000) => enc_i(OP_IMM, rd, 1, rd, ci as i32), // C.SLLI
        (2, 0b001) => {
            // C.FLDSP: uimm[5] = 12, uimm[4:3] = 6:5, uimm[8:6] = 4:2
            let off = (bits(c, 12, 12) << 5) | (bits(c, 6, 5) << 3) | (bits(c, 4, 2) << 6);
            enc_i(LOAD_FP, rd, 3, SP, off as i32)
        }
        (2, 0b010) => {
            if rd == 0 {
                return None;
            }
            let off = (bits(c, 12, 12) << 5) | (bits(c, 6, 4) << 2) | (bits(c, 3, 2) << 6);
            enc_i(LOAD, rd, 2, SP, off as i32) // C.LWSP
        }
        (2, 0b011) => {
            if rd == 0 {
                return None;
            }
            let off = (bits(c, 12, 12) << 5) | (bits(c, 6, 5) << 3) | (bits(c, 4, 2) << 6);
            enc_i(LOAD, rd, 3, SP, off as i32) // C.LDSP
        }
        (2, 0b100) => match (bits(c, 12, 12), rd, rs2) {
            (0, 0, 0) => return None,                  // C.JR with rs1 = x0
            (0, _, 0) => enc_i(0x67, 0, 0, rd, 0),     // C.JR
            (0, _, _) => enc_r(OP, rd, 0, 0, rs2, 0),  // C.MV
            (1, 0, 0) => 0x0010_0073,                  // C.EBREAK
            (1, _, 0) => enc_i(0x67, 1, 0, rd, 0),     // C.JALR
            (_, _, _) => enc_r(OP, rd, 0, rd, rs2, 0), // C.ADD
        },
        (2, 0b101) => {
            let off = (bits(c, 12, 10) << 3) | (bits(c, 9, 7) << 6);
            enc_s(STORE_FP, 3, SP, rs2, off as i32) // C.FSDSP
        }
        (2, 0b110) => {
            let off = (bits(c, 12, 9) << 2) | (bits(c, 8, 7) << 6);
            enc_s(STORE, 2, SP, rs2, off as i32) // C.SWSP
        }
        (2, 0b111) => {
            let off = (bits(c, 12, 10) << 3) | (bits(c, 9, 7) << 6);
            enc_s(STORE, 3, SP, rs2, off as i32) // C.SDSP
        }
        _ => return None,
    };
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    // Expected 32-bit forms assembled by hand from the base encodings.
    #[test]
    fn expansions_match_their_base_instructions() {
        assert_eq!(expand(0x4505), Some(0x0010_0513)); // c.li a0,1 -> addi a0,zero,1
        assert_eq!(expand(0x8082), Some(0x0000_8067)); // ret -> jalr zero,0(ra)
        assert_eq!(expand(0x1141), Some(0xff01_0113)); // c.addi sp,-16 -> addi sp,sp,-16
        assert_eq!(expand(0xe406), Some(0x0011_3423)); // c.sdsp ra,8(sp) -> sd ra,8(sp)
        assert_eq!(expand(0x60a2), Some(0x0081_3083)); // c.ldsp ra,8(sp) -> ld ra,8(sp)
        assert_eq!(expand(0x852e), Some(0x00b0_0533)); // c.mv a0,a1 -> add a0,zero,a1
        assert_eq!(expand(0x9002), Some(0x0010_0073)); // c.ebreak
        assert_eq!(expand(0x0000), None);
        assert_eq!(expand(0x6105), Some(0x0201_0113)); // c.addi16sp sp,32 -> addi sp,sp,32
    }

    #[test]
    fn reserved_encodings_are_illegal() {
        assert_eq!(expand(0x8002), None); // c.jr zero
        assert_eq!(expand(0x2001), None); // c.addiw zero,0
        assert_eq!(expand(0x6081), None); // c.lui ra,0
        assert_eq!(expand(0x4002), None); // c.lwsp zero
    }

    /// Cross-check against GNU as: assembled under `.option rvc`, the assembler picks the
    /// compressed form of every instruction that has one; under `.option norvc` the 32-bit
    /// form. Each pair must agree with `expand`. Skipped when the assembler is missing.
    #[test]
    fn expansions_agree_with_the_gnu_assembler() {
        let Some(pairs) = assemble_pairs() else {
            eprintln!("skipped: riscv64-unknown-elf-as not found (apt-get install gcc-riscv64-unknown-elf)");
            return;
        };
        assert!(
            pairs.len() > 200,
            "too few compressed pairs: {}",
            pairs.len()
        );
        for (c, w, text) in pairs {
            assert_eq!(expand(c), Some(w), "{text}: c={c:#06x}");
        }
    }

    fn source_lines() -> Vec<String> {
        let mut v = Vec::new();
        let regs = ["s0", "s1", "a0", "a5", "ra", "t0", "sp", "a1"];
        for (i, r) in regs.iter().enumerate() {
            let r2 = regs[(i + 3) % regs.len()];
            for imm in [-32, -1, 1, 7, 31] {
                v.push(format!("addi {r},{r},{imm}"));
                v.push(format!("addiw {r},{r},{imm}"));
                v.push(format!("addi {r},zero,{imm}"));
                v.push(format!("andi {r},{r},{imm}"));
            }
            for sh in [1, 5, 31, 32, 63] {
                v.push(format!("slli {r},{r},{sh}"));
                v.push(format!("srli {r},{r},{sh}"));
                v.push(format!("srai {r},{r},{sh}"));
            }
            for imm in [1, 0x1f, 0xfffe0, 0xfffff] {
                v.push(format!("lui {r},{imm}"));
            }
            for op in ["add", "sub", "xor", "or", "and", "addw", "subw"] {
                v.push(format!("{op} {r},{r},{r2}"));
            }
            v.push(format!("add {r},zero,{r2}"));
            v.push(format!("jalr zero,0({r})"));
            v.push(format!("jalr ra,0({r})"));
            for off in [0, 8, 16, 120, 248] {
                v.push(format!("ld {r},{off}({r2})"));
                v.push(format!("sd {r},{off}({r2})"));
                v.push(format!("lw {r},{}({r2})", off / 2));
                v.push(format!("sw {r},{}({r2})", off / 2));
                v.push(format!("fld fa{},{off}({r2})", i % 8));
                v.push(format!("fsd fs{},{off}({r2})", i % 8));
                v.push(format!("ld {r},{off}(sp)"));
                v.push(format!("sd {r},{off}(sp)"));
                v.push(format!("lw {r},{}(sp)", off / 2));
                v.push(format!("sw {r},{}(sp)", off / 2));
                v.push(format!("fld ft{},{off}(sp)", i % 8));
                v.push(format!("fsd ft{},{off}(sp)", i % 8));
            }
        }
        for imm in [-512, -16, 16, 496] {
            v.push(format!("addi sp,sp,{imm}"));
        }
        for imm in [4, 8, 1020] {
            v.push(format!("addi a0,sp,{imm}"));
        }
        v.push("ebreak".into());
        v.push("addi zero,zero,0".into());
        // Branches and jumps to labels at several distances, both directions.
        v.push("back: beq a0,zero,back".into());
        v.push("bne s1,zero,back".into());
        v.push("jal zero,back".into());
        v.push("beq a5,zero,fwd".into());
        v.push("jal zero,fwd".into());
        for _ in 0..40 {
            v.push("addi s0,s0,1".into());
        }
        v.push("fwd: bne a0,zero,fwd".into());
        v
    }

    /// Assembles the lines both ways and pairs the results; None without the assembler.
    fn assemble_pairs() -> Option<Vec<(u16, u32, String)>> {
        let lines = source_lines();
        let dir = std::env::temp_dir().join(format!("rvmmu-rvc-{}", std::process::id()));
        std::fs::create_dir_all(&dir).ok()?;
        let mut out = Vec::new();
        // Assemble each line alone so that offsets do not shift between the two builds.
        let mut words = [Vec::new(), Vec::new()];
        for (k, opt) in ["rvc", "norvc"].iter().enumerate() {
            let src = dir.join(format!("{opt}.s"));
            let mut text = format!(".option {opt}\n");
            for l in &lines {
                text.push_str(l);
                text.push('\n');
            }
            std::fs::write(&src, text).ok()?;
            let obj = dir.join(format!("{opt}.o"));
            let st = std::process::Command::new("riscv64-unknown-elf-as")
                .args(["-march=rv64gc", "-o"])
                .arg(&obj)
                .arg(&src)
                .status()
                .ok()?;
            assert!(st.success(), "assembler failed on {}", src.display());
            let bin = dir.join(format!("{opt}.bin"));
            let st = std::process::Command::new("riscv64-unknown-elf-objcopy")
                .args(["-O", "binary", "-j", ".text"])
                .arg(&obj)
                .arg(&bin)
                .status()
                .ok()?;
            assert!(st.success());
            let b = std::fs::read(&bin).ok()?;
            let mut i = 0;
            while i + 1 < b.len() {
                let h = u16::from_le_bytes([b[i], b[i + 1]]) as u32;
                if h & 3 == 3 {
                    words[k].push(h | (u16::from_le_bytes([b[i + 2], b[i + 3]]) as u32) << 16);
                    i += 4;
                } else {
                    words[k].push(h);
                    i += 2;
                }
            }
        }
        assert_eq!(
            words[0].len(),
            lines.len(),
            "one instruction per line (rvc)"
        );
        assert_eq!(
            words[1].len(),
            lines.len(),
            "one instruction per line (norvc)"
        );
        for ((c, w), l) in words[0].iter().zip(&words[1]).zip(&lines) {
            if c & 3 != 3 && !l.contains("back") && !l.contains("fwd") {
                out.push((*c as u16, *w, l.clone()));
            }
        }
        let _ = std::fs::remove_dir_all(&dir);
        Some(out)
    }
}
