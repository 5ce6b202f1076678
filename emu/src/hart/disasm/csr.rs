//! CSR names, as binutils 2.40 objdump prints them for RV64 (priv/csrs.adoc "CSR Listing";
//! unpriv/rv-32-64g.adoc "RISC-V control and status register (CSR) address map").
//!
//! objdump names every CSR it knows regardless of the extensions of the target, so this list
//! includes the vector, hypervisor, AIA, state-enable, debug and trigger CSRs and the RV32-only
//! upper halves (`cycleh`, `mstatush`), and excludes the N extension's user-trap CSRs, which
//! 2.40 no longer knows. The `objdump_check` test compares all 4096 numbers with objdump.
//!
//! These are objdump's names for the current (1.12) privileged spec, which it uses for code
//! without an ELF priv-spec attribute. For an ELF that records priv spec 1.11 (what this
//! toolchain's assembler writes by default) objdump instead prints the 1.11 set: `ustatus`,
//! `uie`, `utvec`, `uscratch`, `uepc`, `ucause`, `utval`, `uip`, `sedeleg`, `sideleg` by name,
//! and `senvcfg`, `menvcfg`, `mstatush`, `menvcfgh`, `mtinst`, `mtval2`, `pmpcfg4..15`,
//! `pmpaddr16..63`, `mseccfg`, `mseccfgh`, `mconfigptr` as numbers. The 1.12 set is the one
//! an RV64 M/S/U machine of today has, so that is the one printed.

use core::fmt::{self, Write};

/// A CSR name: fixed, or a numbered family member such as `pmpaddr12` or `hpmcounter5h`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Name {
    Fixed(&'static str),
    Numbered(&'static str, u32, &'static str),
}

impl Name {
    pub(super) fn write(self, out: &mut impl Write) -> fmt::Result {
        match self {
            Name::Fixed(name) => out.write_str(name),
            Name::Numbered(stem, n, suffix) => write!(out, "{stem}{n}{suffix}"),
        }
    }
}

/// The name objdump prints for CSR number `csr`, if it has one.
pub(super) fn name(csr: u32) -> Option<Name> {
    numbered(csr).or_else(|| fixed(csr).map(Name::Fixed))
}

/// The numbered families: counters and events 3..31, PMP, state-enable registers.
fn numbered(csr: u32) -> Option<Name> {
    // (first CSR, last CSR, stem, number of the first, suffix)
    const FAMILIES: [(u32, u32, &str, u32, &str); 14] = [
        (0xc03, 0xc1f, "hpmcounter", 3, ""),
        (0xc83, 0xc9f, "hpmcounter", 3, "h"),
        (0xb03, 0xb1f, "mhpmcounter", 3, ""),
        (0xb83, 0xb9f, "mhpmcounter", 3, "h"),
        (0x323, 0x33f, "mhpmevent", 3, ""),
        (0x723, 0x73f, "mhpmevent", 3, "h"),
        (0x3a0, 0x3af, "pmpcfg", 0, ""),
        (0x3b0, 0x3ef, "pmpaddr", 0, ""),
        (0x10c, 0x10f, "sstateen", 0, ""),
        (0x30c, 0x30f, "mstateen", 0, ""),
        (0x31c, 0x31f, "mstateen", 0, "h"),
        (0x60c, 0x60f, "hstateen", 0, ""),
        (0x61c, 0x61f, "hstateen", 0, "h"),
        (0x7a1, 0x7a3, "tdata", 1, ""),
    ];
    FAMILIES
        .iter()
        .find(|&&(first, last, ..)| (first..=last).contains(&csr))
        .map(|&(first, _, stem, base, suffix)| Name::Numbered(stem, base + csr - first, suffix))
}

fn fixed(csr: u32) -> Option<&'static str> {
    Some(match csr {
        // Unprivileged: floating point, vector, entropy source, counters.
        0x001 => "fflags",
        0x002 => "frm",
        0x003 => "fcsr",
        0x008 => "vstart",
        0x009 => "vxsat",
        0x00a => "vxrm",
        0x00f => "vcsr",
        0x015 => "seed",
        0xc00 => "cycle",
        0xc01 => "time",
        0xc02 => "instret",
        0xc20 => "vl",
        0xc21 => "vtype",
        0xc22 => "vlenb",
        0xc80 => "cycleh",
        0xc81 => "timeh",
        0xc82 => "instreth",
        // Supervisor.
        0x100 => "sstatus",
        0x104 => "sie",
        0x105 => "stvec",
        0x106 => "scounteren",
        0x10a => "senvcfg",
        0x114 => "sieh",
        0x140 => "sscratch",
        0x141 => "sepc",
        0x142 => "scause",
        0x143 => "stval",
        0x144 => "sip",
        0x14d => "stimecmp",
        0x150 => "siselect",
        0x151 => "sireg",
        0x154 => "siph",
        0x15c => "stopei",
        0x15d => "stimecmph",
        0x180 => "satp",
        0x5a8 => "scontext",
        0xda0 => "scountovf",
        0xdb0 => "stopi",
        // Virtual supervisor.
        0x200 => "vsstatus",
        0x204 => "vsie",
        0x205 => "vstvec",
        0x214 => "vsieh",
        0x240 => "vsscratch",
        0x241 => "vsepc",
        0x242 => "vscause",
        0x243 => "vstval",
        0x244 => "vsip",
        0x24d => "vstimecmp",
        0x250 => "vsiselect",
        0x251 => "vsireg",
        0x254 => "vsiph",
        0x25c => "vstopei",
        0x25d => "vstimecmph",
        0x280 => "vsatp",
        0xeb0 => "vstopi",
        // Hypervisor.
        0x600 => "hstatus",
        0x602 => "hedeleg",
        0x603 => "hideleg",
        0x604 => "hie",
        0x605 => "htimedelta",
        0x606 => "hcounteren",
        0x607 => "hgeie",
        0x608 => "hvien",
        0x609 => "hvictl",
        0x60a => "henvcfg",
        0x613 => "hidelegh",
        0x615 => "htimedeltah",
        0x618 => "hvienh",
        0x61a => "henvcfgh",
        0x643 => "htval",
        0x644 => "hip",
        0x645 => "hvip",
        0x646 => "hviprio1",
        0x647 => "hviprio2",
        0x64a => "htinst",
        0x655 => "hviph",
        0x656 => "hviprio1h",
        0x657 => "hviprio2h",
        0x680 => "hgatp",
        0x6a8 => "hcontext",
        0xe12 => "hgeip",
        // Machine: information, trap setup and handling, configuration, counters.
        0xf11 => "mvendorid",
        0xf12 => "marchid",
        0xf13 => "mimpid",
        0xf14 => "mhartid",
        0xf15 => "mconfigptr",
        0x300 => "mstatus",
        0x301 => "misa",
        0x302 => "medeleg",
        0x303 => "mideleg",
        0x304 => "mie",
        0x305 => "mtvec",
        0x306 => "mcounteren",
        0x308 => "mvien",
        0x309 => "mvip",
        0x30a => "menvcfg",
        0x310 => "mstatush",
        0x313 => "midelegh",
        0x314 => "mieh",
        0x318 => "mvienh",
        0x319 => "mviph",
        0x31a => "menvcfgh",
        0x320 => "mcountinhibit",
        0x340 => "mscratch",
        0x341 => "mepc",
        0x342 => "mcause",
        0x343 => "mtval",
        0x344 => "mip",
        0x34a => "mtinst",
        0x34b => "mtval2",
        0x350 => "miselect",
        0x351 => "mireg",
        0x354 => "miph",
        0x35c => "mtopei",
        0xfb0 => "mtopi",
        0x747 => "mseccfg",
        0x757 => "mseccfgh",
        0xb00 => "mcycle",
        0xb02 => "minstret",
        0xb80 => "mcycleh",
        0xb82 => "minstreth",
        // Debug and trigger (tdata1..3 are a family above).
        0x7a0 => "tselect",
        0x7a4 => "tinfo",
        0x7a5 => "tcontrol",
        0x7a8 => "mcontext",
        0x7aa => "mscontext",
        0x7b0 => "dcsr",
        0x7b1 => "dpc",
        0x7b2 => "dscratch0",
        0x7b3 => "dscratch1",
        _ => return None,
    })
}
