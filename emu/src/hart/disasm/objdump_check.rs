//! Cross-check against GNU objdump.
//!
//! When `riscv64-unknown-elf-objdump` is on PATH, these tests write many instruction encodings
//! to a raw binary, disassemble it with
//! `objdump -D -z -b binary -m riscv:rv64 --adjust-vma=0x80000000`, and compare objdump's text
//! for every encoding with ours. Without objdump they print a skip line and pass (under CI,
//! `CI` set, they fail).
//!
//! Normalisation of objdump's text, for the two documented differences (see `disasm`):
//! a trailing ` # ...` comment is dropped, and the `0x` of a branch or jump target is removed
//! (objdump prints `j 0x80000010` for raw binaries, we print `j 80000010`).
//!
//! Explicit exclusion: 32-bit words whose bits 4:2 are `111` (major opcodes 0x1f, 0x3f, 0x5f,
//! 0x7f). They are the length prefixes of 48-, 64- and longer instructions: objdump would
//! consume more than four bytes for them, while `disassemble` only ever sees one 32-bit word
//! (RV64GC has no such instructions; we print them as `.4byte`, which the unit tests check).
//! No other class of encodings is excluded.

use super::disassemble;
use std::collections::{BTreeSet, HashMap};
use std::process::Command;

const OBJDUMP: &str = "riscv64-unknown-elf-objdump";
const BASE: u64 = 0x8000_0000;

/// xorshift64*: a small deterministic generator, so failures reproduce.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u32 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        (self.0.wrapping_mul(0x2545_f491_4f6c_dd1d) >> 32) as u32
    }
    fn below(&mut self, n: u32) -> u32 {
        self.next() % n
    }
    fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        items[self.below(items.len() as u32) as usize]
    }
}

fn objdump_available() -> bool {
    let found = match Command::new(OBJDUMP).arg("--version").output() {
        Ok(output) => output.status.success(),
        Err(_) => false,
    };
    // Under CI (`CI` set and not empty) the cross-check must run, not be skipped.
    assert!(
        found || std::env::var_os("CI").is_none_or(|v| v.is_empty()),
        "{OBJDUMP} (Debian package binutils-riscv64-unknown-elf) is missing and CI is set"
    );
    found
}

/// Runs objdump over `bytes` loaded at `BASE`; returns its (normalised) text by address.
fn objdump(bytes: &[u8], tag: &str) -> HashMap<u64, String> {
    let path = std::env::temp_dir().join(format!("rvmmu-disasm-{}-{tag}.bin", std::process::id()));
    std::fs::write(&path, bytes).expect("write the objdump input");
    let output = Command::new(OBJDUMP)
        .args(["-D", "-z", "-b", "binary", "-m", "riscv:rv64"])
        .arg(format!("--adjust-vma={BASE:#x}"))
        .arg(&path)
        .output()
        .expect("run objdump");
    let _ = std::fs::remove_file(&path);
    assert!(
        output.status.success(),
        "objdump failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let stdout = String::from_utf8(output.stdout).expect("objdump prints UTF-8");
    let mut lines = HashMap::new();
    for line in stdout.lines() {
        // "    80000000:\t00000013          \tnop"
        let mut parts = line.splitn(3, '\t');
        let (Some(address), Some(_raw), Some(text)) = (parts.next(), parts.next(), parts.next())
        else {
            continue;
        };
        let Some(address) = address.trim().strip_suffix(':') else {
            continue;
        };
        let Ok(address) = u64::from_str_radix(address, 16) else {
            continue;
        };
        lines.insert(address, normalise(text));
    }
    lines
}

/// Applies the two documented normalisations to one line of objdump's text.
fn normalise(text: &str) -> String {
    let text = match text.find(" # ") {
        Some(comment) => &text[..comment],
        None => text,
    };
    let text = text.trim_end();
    const JUMPS: [&str; 14] = [
        "j", "jal", "beq", "bne", "blt", "bge", "bltu", "bgeu", "beqz", "bnez", "bltz", "bgez",
        "blez", "bgtz",
    ];
    let mnemonic = text.split('\t').next().unwrap_or("");
    if JUMPS.contains(&mnemonic) {
        if let Some(at) = text.rfind("0x") {
            return format!("{}{}", &text[..at], &text[at + 2..]);
        }
    }
    text.to_string()
}

/// Disassembles `items` (each `len` bytes, laid out back to back from `BASE`) with objdump and
/// with us; panics listing every mismatch. Returns the mnemonics seen, so the callers can check
/// that the sample covers every instruction.
fn compare(items: &[u32], len: usize, tag: &str) -> BTreeSet<String> {
    let mut bytes = Vec::with_capacity(items.len() * len);
    for &item in items {
        bytes.extend_from_slice(&item.to_le_bytes()[..len]);
    }
    let theirs = objdump(&bytes, tag);
    let mut mismatches = Vec::new();
    let mut seen = BTreeSet::new();
    for (i, &item) in items.iter().enumerate() {
        let pc = BASE + (i * len) as u64;
        let ours = disassemble(item, pc);
        seen.insert(ours.split('\t').next().unwrap_or_default().to_string());
        match theirs.get(&pc) {
            Some(text) if *text == ours => {}
            text => mismatches.push(format!(
                "{item:0width$x} at {pc:x}: ours {ours:?}, objdump {:?}",
                text.map_or("<no line>", String::as_str),
                width = len * 2
            )),
        }
    }
    let shown: Vec<&str> = mismatches.iter().take(60).map(String::as_str).collect();
    assert!(
        mismatches.is_empty(),
        "{} of {} {tag} encodings differ from objdump:\n{}",
        mismatches.len(),
        items.len(),
        shown.join("\n")
    );
    seen
}

/// Panics unless every mnemonic of `required` (whitespace-separated) was seen.
fn assert_covers(seen: &BTreeSet<String>, required: &str, tag: &str) {
    let missing: Vec<&str> = required
        .split_whitespace()
        .filter(|m| !seen.contains(*m))
        .collect();
    assert!(
        missing.is_empty(),
        "the {tag} sample never produced {missing:?}"
    );
}

/// Every mnemonic objdump prints for a compressed halfword (HINTs and reserved included).
const RVC_MNEMONICS: &str = "
    .2byte unimp add fld lw ld fsd sw sd nop c.nop addw sext.w li c.li lui c.lui c.srli64
    srl c.srai64 sra and sub xor or subw j beqz bnez c.slli64 c.slli sll jr ret c.mv mv ebreak
    jalr c.add";

/// Every mnemonic objdump prints for an RV64GC word: all of RV64I, M, A, F, D, Zicsr,
/// Zifencei and the privileged instructions, and objdump's aliases for them.
const RV64_MNEMONICS: &str = "
    .4byte lui auipc j jal jr jalr ret beq bne blt bge bltu bgeu beqz bnez bltz bgez blez
    bgtz lb lh lw ld lbu lhu lwu sb sh sw sd nop li mv add slti sltiu seqz xor not or and
    zext.b sll srl sra addw sext.w sllw srlw sraw sub neg slt sltz sgtz sltu snez subw negw
    fence fence.tso fence.i ecall ebreak uret sret hret mret dret wfi sfence.vm sfence.vma
    mul mulh mulhsu mulhu div divu rem remu mulw divw divuw remw remuw
    lr.w lr.w.aq lr.w.rl lr.w.aqrl sc.w sc.w.aq sc.w.rl sc.w.aqrl
    lr.d lr.d.aq lr.d.rl lr.d.aqrl sc.d sc.d.aq sc.d.rl sc.d.aqrl
    amoswap.w amoadd.w amoxor.w amoand.w amoor.w amomin.w amomax.w amominu.w amomaxu.w
    amoswap.d amoadd.d amoxor.d amoand.d amoor.d amomin.d amomax.d amominu.d amomaxu.d
    amoswap.w.aqrl amoadd.d.aq amoxor.w.rl amomaxu.d.aqrl
    csrrw csrrs csrrc csrw csrs csrc csrr unimp rdcycle rdtime rdinstret
    frcsr frrm frflags fscsr fsrm fsflags fsrmi fsflagsi
    flw fsw fld fsd fmadd.s fmsub.s fnmsub.s fnmadd.s fmadd.d fmsub.d fnmsub.d fnmadd.d
    fadd.s fsub.s fmul.s fdiv.s fsqrt.s fadd.d fsub.d fmul.d fdiv.d fsqrt.d
    fsgnj.s fsgnjn.s fsgnjx.s fmv.s fneg.s fabs.s fsgnj.d fsgnjn.d fsgnjx.d fmv.d fneg.d fabs.d
    fmin.s fmax.s fmin.d fmax.d fcvt.s.d fcvt.d.s feq.s flt.s fle.s feq.d flt.d fle.d
    fcvt.w.s fcvt.wu.s fcvt.l.s fcvt.lu.s fcvt.w.d fcvt.wu.d fcvt.l.d fcvt.lu.d
    fcvt.s.w fcvt.s.wu fcvt.s.l fcvt.s.lu fcvt.d.w fcvt.d.wu fcvt.d.l fcvt.d.lu
    fmv.x.w fmv.w.x fmv.x.d fmv.d.x fclass.s fclass.d";

#[test]
fn every_compressed_halfword_matches_objdump() {
    if !objdump_available() {
        println!("skipped: {OBJDUMP} is not on PATH");
        return;
    }
    let halves: Vec<u32> = (0..=u16::MAX)
        .map(u32::from)
        .filter(|h| h & 3 != 3)
        .collect();
    let seen = compare(&halves, 2, "rvc");
    assert_covers(&seen, RVC_MNEMONICS, "rvc");
    println!(
        "objdump cross-check: {} compressed encodings compared, 0 excluded",
        halves.len()
    );
}

/// Major opcodes whose bits 4:2 are 111: longer-than-32-bit length prefixes (excluded).
fn is_long_prefix(word: u32) -> bool {
    word & 0x1f == 0x1f
}

#[test]
fn instruction_words_match_objdump() {
    if !objdump_available() {
        println!("skipped: {OBJDUMP} is not on PATH");
        return;
    }
    let mut words = Vec::new();
    targeted_words(&mut words);
    random_words(&mut words, &mut Rng(0x5eed_d15a_55e0_b1e5));
    let before = words.len();
    words.retain(|&w| !is_long_prefix(w));
    let excluded = before - words.len();
    let seen = compare(&words, 4, "rv64");
    assert_covers(&seen, RV64_MNEMONICS, "rv64");
    println!(
        "objdump cross-check: {} 32-bit encodings compared, {excluded} excluded \
         (48-bit-and-longer length prefixes)",
        words.len()
    );
}

fn r_type(funct7: u32, rs2: u32, rs1: u32, funct3: u32, rd: u32, opcode: u32) -> u32 {
    (funct7 << 25) | (rs2 << 20) | (rs1 << 15) | (funct3 << 12) | (rd << 7) | opcode
}

/// Exhaustive sweeps of the fields that select mnemonics and aliases.
fn targeted_words(words: &mut Vec<u32>) {
    let regs = [
        (0, 0, 0),
        (10, 0, 0),
        (0, 11, 0),
        (10, 11, 12),
        (1, 1, 0),
        (5, 5, 5),
    ];
    // Every CSR number with every CSR instruction (csr:names and the csrr/csrw/fsrm/rdcycle
    // aliases), with zero and non-zero rd and rs1/zimm.
    for csr in 0..4096 {
        for funct3 in [1, 2, 3, 5, 6, 7] {
            for (rd, rs1) in [(0, 0), (10, 0), (0, 11), (10, 11)] {
                words.push((csr << 20) | (rs1 << 15) | (funct3 << 12) | (rd << 7) | 0x73);
            }
        }
    }
    // Every SYSTEM funct12 / funct7+rs2 with funct3 = 0.
    for funct12 in 0..4096 {
        for (rd, rs1) in [(0, 0), (0, 5), (6, 0)] {
            words.push((funct12 << 20) | (rs1 << 15) | (rd << 7) | 0x73);
        }
    }
    // Every fence field: fm, pred, succ, for both MISC-MEM funct3 values objdump knows and a
    // reserved one, with and without rd/rs1.
    for fm_pred_succ in 0..4096 {
        for funct3 in [0, 1, 2] {
            for (rd, rs1) in [(0, 0), (0, 3), (4, 0)] {
                words.push((fm_pred_succ << 20) | (rs1 << 15) | (funct3 << 12) | (rd << 7) | 0x0f);
            }
        }
    }
    // R-type opcodes: every funct7 x funct3 x rs2 selector (OP-FP uses rs2 and rm as selectors).
    for opcode in [0x33, 0x3b, 0x53, 0x2f] {
        for funct7 in 0..128 {
            for funct3 in 0..8 {
                for rs2_sel in [0, 1, 2, 3, 4] {
                    for &(rd, rs1, rs2) in &regs {
                        let rs2 = if rs2_sel == 4 { rs2 } else { rs2_sel };
                        words.push(r_type(funct7, rs2, rs1, funct3, rd, opcode));
                    }
                }
            }
        }
    }
    // I-type arithmetic: every immediate (shift encodings, seqz/not/zext.b/sext.w aliases).
    for opcode in [0x13, 0x1b, 0x67] {
        for imm in 0..4096 {
            for funct3 in 0..8 {
                let (rd, rs1) = [(0, 0), (10, 11), (1, 0), (0, 1)][(imm as usize + funct3) % 4];
                words
                    .push((imm << 20) | (rs1 << 15) | ((funct3 as u32) << 12) | (rd << 7) | opcode);
            }
        }
    }
    // Fused multiply-add: every fmt x rm.
    for opcode in [0x43, 0x47, 0x4b, 0x4f] {
        for fmt in 0..4 {
            for rm in 0..8 {
                words.push((3 << 27) | (fmt << 25) | (2 << 20) | (1 << 15) | (rm << 12) | opcode);
            }
        }
    }
}

/// A biased random sample per major opcode: register fields are often 0, 1 or 2 and often
/// equal, immediates often 0, 1 or -1, so the aliases get exercised.
fn random_words(words: &mut Vec<u32>, rng: &mut Rng) {
    const PER_OPCODE: usize = 6000;
    for major in 0..32u32 {
        let opcode = (major << 2) | 3;
        for _ in 0..PER_OPCODE {
            let mut w = (rng.next() & !0x7f) | opcode;
            for shift in [7, 15, 20] {
                if rng.below(3) == 0 {
                    w = (w & !(31 << shift)) | (rng.pick(&[0, 1, 2, 8, 31]) << shift);
                }
            }
            if rng.below(8) == 0 {
                let rs1 = (w >> 15) & 31;
                w = (w & !(31 << 20)) | (rs1 << 20);
            }
            match rng.below(6) {
                0 => w &= 0x000f_ffff,
                1 => w |= 0xfff0_0000,
                2 => w = (w & 0x000f_ffff) | (rng.pick(&[1u32, 2, 0x7ff, 0x800, 0xff]) << 20),
                _ => {}
            }
            words.push(w);
        }
    }
}
