//! Hand-picked encodings per instruction group. The words were assembled by GNU as
//! (`-march=rv64gc`) from the instruction in the spec's syntax; the expected text is what
//! binutils 2.40 objdump prints for them (see the module docs for the two deliberate
//! differences: bare branch targets, no `#` comments).

use super::{disassemble, disassemble_into};

const BASE: u64 = 0x8000_0000;

/// Checks `(word, text)` pairs at an arbitrary pc (none of them is pc-relative).
fn check(cases: &[(u32, &str)]) {
    for &(word, text) in cases {
        assert_eq!(disassemble(word, BASE), text, "word {word:#010x}");
    }
}

/// Checks `(offset, word, text)` triples, each at pc `BASE + offset`.
fn check_at(cases: &[(u64, u32, &str)]) {
    for &(offset, word, text) in cases {
        assert_eq!(
            disassemble(word, BASE + offset),
            text,
            "word {word:#010x} at +{offset:#x}"
        );
    }
}

#[test]
fn rv64i_control_transfer_and_upper_immediates() {
    // Targets are all BASE: each instruction sits at BASE + offset and jumps back to it.
    check_at(&[
        (0x0, 0x1234_5537, "lui\ta0,0x12345"),
        (0x4, 0xffff_f297, "auipc\tt0,0xfffff"),
        (0x8, 0xff9f_f06f, "j\t80000000"),
        (0xc, 0xff5f_f0ef, "jal\t80000000"),
        (0x10, 0xff1f_f36f, "jal\tt1,80000000"),
        (0x14, 0x0000_8067, "ret"),
        (0x18, 0x0007_8067, "jr\ta5"),
        (0x1c, 0x0087_8067, "jr\t8(a5)"),
        (0x20, 0x0006_00e7, "jalr\ta2"),
        (0x24, 0xffc6_00e7, "jalr\t-4(a2)"),
        (0x28, 0x0006_04e7, "jalr\ts1,a2"),
        (0x2c, 0x0106_04e7, "jalr\ts1,16(a2)"),
        (0x30, 0xfcb5_08e3, "beq\ta0,a1,80000000"),
        (0x34, 0xfc05_06e3, "beqz\ta0,80000000"),
        (0x38, 0xfc05_14e3, "bnez\ta0,80000000"),
        (0x3c, 0xfc05_42e3, "bltz\ta0,80000000"),
        (0x40, 0xfca0_40e3, "bgtz\ta0,80000000"),
        (0x44, 0xfa05_5ee3, "bgez\ta0,80000000"),
        (0x48, 0xfaa0_5ce3, "blez\ta0,80000000"),
        (0x4c, 0xfab5_6ae3, "bltu\ta0,a1,80000000"),
        (0x50, 0xfab5_78e3, "bgeu\ta0,a1,80000000"),
    ]);
}

#[test]
fn rv64i_loads_and_stores() {
    check(&[
        (0xfff1_0503, "lb\ta0,-1(sp)"),
        (0x0021_1503, "lh\ta0,2(sp)"),
        (0x0041_2503, "lw\ta0,4(sp)"),
        (0xff84_3503, "ld\ta0,-8(s0)"),
        (0x0015_c503, "lbu\ta0,1(a1)"),
        (0x0025_d503, "lhu\ta0,2(a1)"),
        (0x0045_e503, "lwu\ta0,4(a1)"),
        (0xfea1_0fa3, "sb\ta0,-1(sp)"),
        (0x00a1_1123, "sh\ta0,2(sp)"),
        (0x00a1_2223, "sw\ta0,4(sp)"),
        (0x0011_3423, "sd\tra,8(sp)"),
    ]);
}

#[test]
fn rv64i_arithmetic_with_objdump_aliases() {
    check(&[
        (0x0000_0013, "nop"),
        (0xffb0_0513, "li\ta0,-5"),
        (0x0005_8513, "mv\ta0,a1"),
        (0x0015_0513, "add\ta0,a0,1"),
        (0xffd5_a513, "slti\ta0,a1,-3"),
        (0x0015_b513, "seqz\ta0,a1"),
        (0x0075_b513, "sltiu\ta0,a1,7"),
        (0xfff5_c513, "not\ta0,a1"),
        (0x0035_c513, "xor\ta0,a1,3"),
        (0x0105_e513, "or\ta0,a1,16"),
        (0x0ff5_f513, "zext.b\ta0,a1"),
        (0xff05_f513, "and\ta0,a1,-16"),
        (0x03f5_9513, "sll\ta0,a1,0x3f"),
        (0x0015_d513, "srl\ta0,a1,0x1"),
        (0x4205_d513, "sra\ta0,a1,0x20"),
        (0x0005_851b, "sext.w\ta0,a1"),
        (0xfff5_851b, "addw\ta0,a1,-1"),
        (0x01f5_951b, "sllw\ta0,a1,0x1f"),
        (0x0035_d51b, "srlw\ta0,a1,0x3"),
        (0x4035_d51b, "sraw\ta0,a1,0x3"),
        (0x00c5_8533, "add\ta0,a1,a2"),
        (0x40c5_8533, "sub\ta0,a1,a2"),
        (0x40c0_0533, "neg\ta0,a2"),
        (0x00c5_9533, "sll\ta0,a1,a2"),
        (0x00c5_a533, "slt\ta0,a1,a2"),
        (0x0005_a533, "sltz\ta0,a1"),
        (0x00c0_2533, "sgtz\ta0,a2"),
        (0x00c5_b533, "sltu\ta0,a1,a2"),
        (0x00c0_3533, "snez\ta0,a2"),
        (0x00c5_c533, "xor\ta0,a1,a2"),
        (0x00c5_d533, "srl\ta0,a1,a2"),
        (0x40c5_d533, "sra\ta0,a1,a2"),
        (0x00c5_e533, "or\ta0,a1,a2"),
        (0x00c5_f533, "and\ta0,a1,a2"),
        (0x00c5_853b, "addw\ta0,a1,a2"),
        (0x40c5_853b, "subw\ta0,a1,a2"),
        (0x40c0_053b, "negw\ta0,a2"),
        (0x00c5_953b, "sllw\ta0,a1,a2"),
        (0x00c5_d53b, "srlw\ta0,a1,a2"),
        (0x40c5_d53b, "sraw\ta0,a1,a2"),
    ]);
}

#[test]
fn m_extension() {
    check(&[
        (0x02c5_8533, "mul\ta0,a1,a2"),
        (0x02c5_9533, "mulh\ta0,a1,a2"),
        (0x02c5_a533, "mulhsu\ta0,a1,a2"),
        (0x02c5_b533, "mulhu\ta0,a1,a2"),
        (0x02c5_c533, "div\ta0,a1,a2"),
        (0x02c5_d533, "divu\ta0,a1,a2"),
        (0x02c5_e533, "rem\ta0,a1,a2"),
        (0x02c5_f533, "remu\ta0,a1,a2"),
        (0x02c5_853b, "mulw\ta0,a1,a2"),
        (0x02c5_c53b, "divw\ta0,a1,a2"),
        (0x02c5_d53b, "divuw\ta0,a1,a2"),
        (0x02c5_e53b, "remw\ta0,a1,a2"),
        (0x02c5_f53b, "remuw\ta0,a1,a2"),
    ]);
}

#[test]
fn a_extension_with_ordering_suffixes() {
    check(&[
        (0x1005_a52f, "lr.w\ta0,(a1)"),
        (0x1405_a52f, "lr.w.aq\ta0,(a1)"),
        (0x1605_b52f, "lr.d.aqrl\ta0,(a1)"),
        (0x18c5_a52f, "sc.w\ta0,a2,(a1)"),
        (0x1ac5_b52f, "sc.d.rl\ta0,a2,(a1)"),
        (0x0ec5_a52f, "amoswap.w.aqrl\ta0,a2,(a1)"),
        (0x00c5_b52f, "amoadd.d\ta0,a2,(a1)"),
        (0x20c5_a52f, "amoxor.w\ta0,a2,(a1)"),
        (0x64c5_b52f, "amoand.d.aq\ta0,a2,(a1)"),
        (0x40c5_a52f, "amoor.w\ta0,a2,(a1)"),
        (0x80c5_b52f, "amomin.d\ta0,a2,(a1)"),
        (0xa2c5_a52f, "amomax.w.rl\ta0,a2,(a1)"),
        (0xc0c5_b52f, "amominu.d\ta0,a2,(a1)"),
        (0xe0c5_a52f, "amomaxu.w\ta0,a2,(a1)"),
        (0x0c00_252f, "amoswap.w.aq\ta0,zero,(zero)"),
        (0x1a05_b02f, "sc.d.rl\tzero,zero,(a1)"),
    ]);
}

#[test]
fn f_and_d_extensions_with_rounding_modes() {
    check(&[
        (0x0045_a507, "flw\tfa0,4(a1)"),
        (0xff81_3507, "fld\tfa0,-8(sp)"),
        (0x00a5_a227, "fsw\tfa0,4(a1)"),
        (0x0081_3427, "fsd\tfs0,8(sp)"),
        (0x00c5_f553, "fadd.s\tfa0,fa1,fa2"),
        (0x00c5_9553, "fadd.s\tfa0,fa1,fa2,rtz"),
        (0x0ac5_8553, "fsub.d\tfa0,fa1,fa2,rne"),
        (0x10c5_a553, "fmul.s\tfa0,fa1,fa2,rdn"),
        (0x1ac5_b553, "fdiv.d\tfa0,fa1,fa2,rup"),
        (0x5805_c553, "fsqrt.s\tfa0,fa1,rmm"),
        (0x5a05_f553, "fsqrt.d\tfa0,fa1"),
        (0x20c5_8553, "fsgnj.s\tfa0,fa1,fa2"),
        (0x20b5_8553, "fmv.s\tfa0,fa1"),
        (0x22c5_9553, "fsgnjn.d\tfa0,fa1,fa2"),
        (0x22b5_9553, "fneg.d\tfa0,fa1"),
        (0x20c5_a553, "fsgnjx.s\tfa0,fa1,fa2"),
        (0x22b5_a553, "fabs.d\tfa0,fa1"),
        (0x28c5_8553, "fmin.s\tfa0,fa1,fa2"),
        (0x2ac5_9553, "fmax.d\tfa0,fa1,fa2"),
        (0x4015_f553, "fcvt.s.d\tfa0,fa1"),
        (0x4205_8553, "fcvt.d.s\tfa0,fa1"),
        (0xa0c5_a553, "feq.s\ta0,fa1,fa2"),
        (0xa2c5_9553, "flt.d\ta0,fa1,fa2"),
        (0xa0c5_8553, "fle.s\ta0,fa1,fa2"),
        (0xc005_9553, "fcvt.w.s\ta0,fa1,rtz"),
        (0xc215_f553, "fcvt.wu.d\ta0,fa1"),
        (0xc025_f553, "fcvt.l.s\ta0,fa1"),
        (0xc235_9553, "fcvt.lu.d\ta0,fa1,rtz"),
        (0xd005_f553, "fcvt.s.w\tfa0,a1"),
        (0xd035_8553, "fcvt.s.lu\tfa0,a1,rne"),
        (0xd205_8553, "fcvt.d.w\tfa0,a1"),
        (0xd215_8553, "fcvt.d.wu\tfa0,a1"),
        (0xd225_f553, "fcvt.d.l\tfa0,a1"),
        (0xd235_9553, "fcvt.d.lu\tfa0,a1,rtz"),
        (0xe005_8553, "fmv.x.w\ta0,fa1"),
        (0xe205_8553, "fmv.x.d\ta0,fa1"),
        (0xf005_8553, "fmv.w.x\tfa0,a1"),
        (0xf205_8553, "fmv.d.x\tfa0,a1"),
        (0xe005_9553, "fclass.s\ta0,fa1"),
        (0xe205_9553, "fclass.d\ta0,fa1"),
        (0x68c5_f543, "fmadd.s\tfa0,fa1,fa2,fa3"),
        (0x6ac5_9547, "fmsub.d\tfa0,fa1,fa2,fa3,rtz"),
        (0x68c5_f54b, "fnmsub.s\tfa0,fa1,fa2,fa3"),
        (0x6ac5_c54f, "fnmadd.d\tfa0,fa1,fa2,fa3,rmm"),
        // Reserved rounding modes print as objdump does.
        (0x00c5_d553, "fadd.s\tfa0,fa1,fa2,unknown"),
        (0x00c5_e553, "fadd.s\tfa0,fa1,fa2,unknown"),
        // Half and quad formats are not RV64GC: objdump does not decode them.
        (0x04c5_f553, ".4byte\t0x4c5f553"),
        (0x06c5_f553, ".4byte\t0x6c5f553"),
        // Exact conversions decode only with rm = 0 (binutils 2.40).
        (0x4205_f553, ".4byte\t0x4205f553"),
        (0xd205_f553, ".4byte\t0xd205f553"),
    ]);
}

#[test]
fn zicsr_with_csr_names_and_aliases() {
    check(&[
        (0x3000_2573, "csrr\ta0,mstatus"),
        (0x7c00_2573, "csrr\ta0,0x7c0"),
        (0x3055_1073, "csrw\tmtvec,a0"),
        (0x1805_15f3, "csrrw\ta1,satp,a0"),
        (0x1045_2073, "csrs\tsie,a0"),
        (0x3445_25f3, "csrrs\ta1,mip,a0"),
        (0x1005_3073, "csrc\tsstatus,a0"),
        (0x3415_35f3, "csrrc\ta1,mepc,a0"),
        (0x3402_d073, "csrw\tmscratch,5"),
        (0x3bd2_d5f3, "csrrw\ta1,pmpaddr13,5"),
        (0x3004_6073, "csrs\tmstatus,8"),
        (0x3004_65f3, "csrrs\ta1,mstatus,8"),
        (0x3004_7073, "csrc\tmstatus,8"),
        (0xb114_75f3, "csrrc\ta1,mhpmcounter17,8"),
        (0xc000_2573, "rdcycle\ta0"),
        (0xc010_2573, "rdtime\ta0"),
        (0xc020_2573, "rdinstret\ta0"),
        (0x0030_2573, "frcsr\ta0"),
        (0x0020_2573, "frrm\ta0"),
        (0x0010_2573, "frflags\ta0"),
        (0x0035_1073, "fscsr\ta0"),
        (0x0035_15f3, "fscsr\ta1,a0"),
        (0x0025_1073, "fsrm\ta0"),
        (0x0015_15f3, "fsflags\ta1,a0"),
        (0x0020_d073, "fsrmi\tzero,1"),
        (0x001f_d5f3, "fsflagsi\ta1,31"),
        (0xc000_1073, "unimp"),
        (0xc030_2573, "csrr\ta0,hpmcounter3"),
        (0x33f0_2573, "csrr\ta0,mhpmevent31"),
        (0xf140_2573, "csrr\ta0,mhartid"),
        // Names of the 1.12 privileged spec (objdump's choice for raw code; for an ELF that
        // records priv spec 1.11 it would print 0x3af, 0x30a, ... for these).
        (0x3af0_2573, "csrr\ta0,pmpcfg15"),
        (0x3ef0_2573, "csrr\ta0,pmpaddr63"),
        (0x1050_2573, "csrr\ta0,stvec"),
        (0x1800_2573, "csrr\ta0,satp"),
        (0x3200_2573, "csrr\ta0,mcountinhibit"),
        (0x30a0_2573, "csrr\ta0,menvcfg"),
        (0x10a0_2573, "csrr\ta0,senvcfg"),
        (0xf150_2573, "csrr\ta0,mconfigptr"),
        (0x7a00_2573, "csrr\ta0,tselect"),
        (0xb000_2573, "csrr\ta0,mcycle"),
        (0xc1f0_2573, "csrr\ta0,hpmcounter31"),
        (0x0000_2573, "csrr\ta0,0x0"),
        (0xfff0_2573, "csrr\ta0,0xfff"),
    ]);
}

#[test]
fn fences() {
    check(&[
        (0x0ff0_000f, "fence"),
        (0x0310_000f, "fence\trw,w"),
        (0x8330_000f, "fence.tso"),
        (0x0000_100f, "fence.i"),
        (0x0000_000f, "fence\tunknown,unknown"),
        (0x0ff5_000f, ".4byte\t0xff5000f"),
        (0x0000_200f, ".4byte\t0x200f"),
    ]);
}

#[test]
fn privileged_instructions() {
    check(&[
        (0x0000_0073, "ecall"),
        (0x0010_0073, "ebreak"),
        (0x0020_0073, "uret"),
        (0x1020_0073, "sret"),
        (0x3020_0073, "mret"),
        (0x1050_0073, "wfi"),
        (0x1200_0073, "sfence.vma"),
        (0x1205_0073, "sfence.vma\ta0"),
        (0x12b5_0073, "sfence.vma\ta0,a1"),
        (0x12b0_0073, "sfence.vma\tzero,a1"),
        (0x7b20_0073, "dret"),
        (0x1040_0073, "sfence.vm"),
        (0x1000_0073, ".4byte\t0x10000073"),
        (0x0000_4073, ".4byte\t0x4073"),
    ]);
}

#[test]
fn compressed_instructions_print_as_their_32_bit_aliases() {
    check_at(&[
        (0x0, 0x0020, "add\ts0,sp,8"),
        (0x2, 0x2588, "fld\tfa0,8(a1)"),
        (0x4, 0x41c8, "lw\ta0,4(a1)"),
        (0x6, 0x6588, "ld\ta0,8(a1)"),
        (0x8, 0xa588, "fsd\tfa0,8(a1)"),
        (0xa, 0xc1c8, "sw\ta0,4(a1)"),
        (0xc, 0xe588, "sd\ta0,8(a1)"),
        (0xe, 0x0001, "nop"),
        (0x10, 0x157d, "add\ta0,a0,-1"),
        (0x12, 0x2501, "sext.w\ta0,a0"),
        (0x14, 0x2515, "addw\ta0,a0,5"),
        (0x16, 0x5501, "li\ta0,-32"),
        (0x18, 0x7139, "add\tsp,sp,-64"),
        (0x1a, 0x7505, "lui\ta0,0xfffe1"),
        (0x1c, 0x6505, "lui\ta0,0x1"),
        (0x1e, 0x800d, "srl\ts0,s0,0x3"),
        (0x20, 0x94fd, "sra\ts1,s1,0x3f"),
        (0x22, 0x997d, "and\ta0,a0,-1"),
        (0x24, 0x8c05, "sub\ts0,s0,s1"),
        (0x26, 0x8c29, "xor\ts0,s0,a0"),
        (0x28, 0x8fd9, "or\ta5,a5,a4"),
        (0x2a, 0x8ff9, "and\ta5,a5,a4"),
        (0x2c, 0x9f99, "subw\ta5,a5,a4"),
        (0x2e, 0x9fb9, "addw\ta5,a5,a4"),
        (0x30, 0xbfc1, "j\t80000000"),
        (0x32, 0xd579, "beqz\ta0,80000000"),
        (0x34, 0xf7f1, "bnez\ta5,80000000"),
        (0x36, 0x0506, "sll\ta0,a0,0x1"),
        (0x38, 0x2422, "fld\tfs0,8(sp)"),
        (0x3a, 0x4512, "lw\ta0,4(sp)"),
        (0x3c, 0x60a2, "ld\tra,8(sp)"),
        (0x3e, 0x8502, "jr\ta0"),
        (0x40, 0x8082, "ret"),
        (0x42, 0x852e, "mv\ta0,a1"),
        (0x44, 0x9002, "ebreak"),
        (0x46, 0x9502, "jalr\ta0"),
        (0x48, 0x952e, "add\ta0,a0,a1"),
        (0x4a, 0xa422, "fsd\tfs0,8(sp)"),
        (0x4c, 0xc22a, "sw\ta0,4(sp)"),
        (0x4e, 0xe406, "sd\tra,8(sp)"),
    ]);
}

#[test]
fn compressed_hints_and_reserved_encodings() {
    check(&[
        // zca.adoc "HINT Instructions": objdump keeps the c. names.
        (0x0005, "c.nop\t1"),
        (0x4005, "c.li\tzero,1"),
        (0x6005, "c.lui\tzero,0x1"),
        (0x0006, "c.slli\tzero,0x1"),
        (0x0502, "c.slli64\ta0"),
        (0x8001, "c.srli64\ts0"),
        (0x8401, "c.srai64\ts0"),
        (0x8006, "c.mv\tzero,ra"),
        (0x9006, "c.add\tzero,ra"),
        (0x0581, "add\ta1,a1,0"),
        // The defined illegal instruction, and reserved encodings.
        (0x0000, "unimp"),
        (0x0004, ".2byte\t0x4"),
        (0x2001, ".2byte\t0x2001"),
        (0x6081, ".2byte\t0x6081"),
        (0x4002, ".2byte\t0x4002"),
        (0x8002, ".2byte\t0x8002"),
        (0x8000, ".2byte\t0x8000"),
        (0x9c41, ".2byte\t0x9c41"),
        (0xffff_0000, "unimp"),
    ]);
}

#[test]
fn invalid_words_print_as_objdump_data() {
    check(&[
        (0xffff_ffff, ".4byte\t0xffffffff"),
        (0x0000_000b, ".4byte\t0xb"),
        (0x0000_001f, ".4byte\t0x1f"),
        (0x0000_7003, ".4byte\t0x7003"),
        (0x60b5_1513, ".4byte\t0x60b51513"),
        (0x0000_0057, ".4byte\t0x57"),
    ]);
}

#[test]
fn branch_targets_are_absolute_and_wrap_at_the_ends_of_the_address_space() {
    assert_eq!(disassemble(0xffdf_f06f, 0), "j\tfffffffffffffffc");
    assert_eq!(disassemble(0x0040_006f, u64::MAX - 1), "j\t2");
    assert_eq!(disassemble(0x0000_0463, 0x1000), "beqz\tzero,1008");
    assert_eq!(disassemble(0xbfc1, 0x30), "j\t0");
}

#[test]
fn disassemble_into_writes_the_same_text() {
    for word in [0x0000_0013, 0x00c5_9553, 0x8082, 0xffff_ffff, 0x0004] {
        let mut text = String::from("> ");
        disassemble_into(word, BASE, &mut text).unwrap();
        assert_eq!(text, format!("> {}", disassemble(word, BASE)));
    }
}
