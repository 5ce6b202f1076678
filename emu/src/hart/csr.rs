//! The control and status registers of one hart, with their WARL rules.
//!
//! priv/machine.adoc and priv/supervisor.adoc define each register; the S-mode registers
//! `sstatus`, `sie` and `sip` are views of the machine ones, not separate storage. Counters
//! (`cycle`, `time`, `instret`) are derived from the hart's virtual clock in `hart/mod.rs`,
//! so they are handled there; this module stores and legalizes everything else.

use super::trap::irq::*;
use super::Priv;

/// CSR numbers (priv/csrs.adoc, the CSR listing tables).
pub mod num {
    pub const FFLAGS: u16 = 0x001;
    pub const FRM: u16 = 0x002;
    pub const FCSR: u16 = 0x003;
    pub const CYCLE: u16 = 0xc00;
    pub const TIME: u16 = 0xc01;
    pub const INSTRET: u16 = 0xc02;
    pub const HPMCOUNTER3: u16 = 0xc03;
    pub const HPMCOUNTER31: u16 = 0xc1f;
    pub const SSTATUS: u16 = 0x100;
    pub const SIE: u16 = 0x104;
    pub const STVEC: u16 = 0x105;
    pub const SCOUNTEREN: u16 = 0x106;
    pub const SENVCFG: u16 = 0x10a;
    pub const SSCRATCH: u16 = 0x140;
    pub const SEPC: u16 = 0x141;
    pub const SCAUSE: u16 = 0x142;
    pub const STVAL: u16 = 0x143;
    pub const SIP: u16 = 0x144;
    pub const SATP: u16 = 0x180;
    pub const MVENDORID: u16 = 0xf11;
    pub const MARCHID: u16 = 0xf12;
    pub const MIMPID: u16 = 0xf13;
    pub const MHARTID: u16 = 0xf14;
    pub const MCONFIGPTR: u16 = 0xf15;
    pub const MSTATUS: u16 = 0x300;
    pub const MISA: u16 = 0x301;
    pub const MEDELEG: u16 = 0x302;
    pub const MIDELEG: u16 = 0x303;
    pub const MIE: u16 = 0x304;
    pub const MTVEC: u16 = 0x305;
    pub const MCOUNTEREN: u16 = 0x306;
    pub const MENVCFG: u16 = 0x30a;
    pub const MCOUNTINHIBIT: u16 = 0x320;
    pub const MHPMEVENT3: u16 = 0x323;
    pub const MHPMEVENT31: u16 = 0x33f;
    pub const MSCRATCH: u16 = 0x340;
    pub const TSELECT: u16 = 0x7a0;
    pub const TDATA1: u16 = 0x7a1;
    pub const TDATA2: u16 = 0x7a2;
    pub const TDATA3: u16 = 0x7a3;
    pub const TINFO: u16 = 0x7a4;
    pub const TCONTROL: u16 = 0x7a5;
    pub const MEPC: u16 = 0x341;
    pub const MCAUSE: u16 = 0x342;
    pub const MTVAL: u16 = 0x343;
    pub const MIP: u16 = 0x344;
    pub const PMPCFG0: u16 = 0x3a0;
    pub const PMPCFG15: u16 = 0x3af;
    pub const PMPADDR0: u16 = 0x3b0;
    pub const PMPADDR63: u16 = 0x3ef;
    pub const MCYCLE: u16 = 0xb00;
    pub const MINSTRET: u16 = 0xb02;
    pub const MHPMCOUNTER3: u16 = 0xb03;
    pub const MHPMCOUNTER31: u16 = 0xb1f;
}

/// mstatus fields (priv/machine.adoc, "Machine Status Registers (mstatus and mstatush)").
pub mod ms {
    pub const SIE: u64 = 1 << 1;
    pub const MIE: u64 = 1 << 3;
    pub const SPIE: u64 = 1 << 5;
    pub const MPIE: u64 = 1 << 7;
    pub const SPP: u64 = 1 << 8;
    pub const MPP_SHIFT: u32 = 11;
    pub const MPP: u64 = 3 << MPP_SHIFT;
    pub const FS_SHIFT: u32 = 13;
    pub const FS: u64 = 3 << FS_SHIFT;
    pub const MPRV: u64 = 1 << 17;
    pub const SUM: u64 = 1 << 18;
    pub const MXR: u64 = 1 << 19;
    pub const TVM: u64 = 1 << 20;
    pub const TW: u64 = 1 << 21;
    pub const TSR: u64 = 1 << 22;
    /// UXL = SXL = 2 (64-bit), read-only here.
    pub const XLEN_FIELDS: u64 = (2 << 32) | (2 << 34);
    pub const SD: u64 = 1 << 63;
    /// Bits software can write through mstatus.
    pub const M_WRITABLE: u64 =
        SIE | MIE | SPIE | MPIE | SPP | MPP | FS | MPRV | SUM | MXR | TVM | TW | TSR;
    /// Bits visible through sstatus (priv/supervisor.adoc, "Supervisor Status Register").
    pub const S_VISIBLE: u64 = SIE | SPIE | SPP | FS | SUM | MXR | (3 << 32) | SD;
    /// Bits software can write through sstatus.
    pub const S_WRITABLE: u64 = SIE | SPIE | SPP | FS | SUM | MXR;
}

/// misa: MXL = 2 (RV64) and the extensions I M A F D C S U. Read-only (writes are ignored,
/// which WARL allows), so C is always on and IALIGN is 16.
pub const MISA: u64 = (2 << 62)
    | (1 << 0)          // A
    | (1 << 2)          // C
    | (1 << 3)          // D
    | (1 << 5)          // F
    | (1 << 8)          // I
    | (1 << 12)         // M
    | (1 << 18)         // S
    | (1 << 20); // U

/// Exceptions that may be delegated: every implemented cause except ecall-from-M (11), which
/// is read-only zero in medeleg (priv/machine.adoc, "Machine Trap Delegation Registers").
pub const MEDELEG_WRITABLE: u64 = 0xb3ff;
/// Interrupts that may be delegated to S-mode: the supervisor ones.
pub const MIDELEG_WRITABLE: u64 = SSIP | STIP | SEIP;
/// Interrupt-enable bits that exist.
pub const MIE_WRITABLE: u64 = SSIP | MSIP | STIP | MTIP | SEIP | MEIP;
/// mip bits M-mode software can write (MSIP/MTIP/MEIP come from devices).
pub const MIP_WRITABLE: u64 = SSIP | STIP | SEIP;
/// menvcfg/senvcfg: only FIOM exists without the Zicbo*/Svpbmt/Sstc/Svadu extensions.
pub const ENVCFG_WRITABLE: u64 = 1;

/// Storage for the CSRs that are plain state.
#[derive(Clone, Debug)]
pub struct Csrs {
    pub mstatus: u64,
    pub medeleg: u64,
    pub mideleg: u64,
    pub mie: u64,
    /// Software-writable part of mip; device lines are ORed in by the hart.
    pub mip: u64,
    pub mtvec: u64,
    pub mcounteren: u64,
    pub menvcfg: u64,
    pub mcountinhibit: u64,
    pub mscratch: u64,
    pub mepc: u64,
    pub mcause: u64,
    pub mtval: u64,
    pub stvec: u64,
    pub scounteren: u64,
    pub senvcfg: u64,
    pub sscratch: u64,
    pub sepc: u64,
    pub scause: u64,
    pub stval: u64,
    pub satp: u64,
}

impl Default for Csrs {
    /// Reset values (priv/machine.adoc, "Reset"): M-mode, MIE = MPRV = 0, the rest
    /// unspecified — zero here, so runs are deterministic.
    fn default() -> Self {
        Csrs {
            mstatus: ms::XLEN_FIELDS,
            medeleg: 0,
            mideleg: 0,
            mie: 0,
            mip: 0,
            mtvec: 0,
            mcounteren: 0,
            menvcfg: 0,
            mcountinhibit: 0,
            mscratch: 0,
            mepc: 0,
            mcause: 0,
            mtval: 0,
            stvec: 0,
            scounteren: 0,
            senvcfg: 0,
            sscratch: 0,
            sepc: 0,
            scause: 0,
            stval: 0,
            satp: 0,
        }
    }
}

impl Csrs {
    /// mstatus as read: SD summarises FS == Dirty (XS and VS are always Off here).
    #[inline]
    pub fn read_mstatus(&self) -> u64 {
        let fs_dirty = (self.mstatus & ms::FS) == ms::FS;
        (self.mstatus & !ms::SD) | if fs_dirty { ms::SD } else { 0 }
    }

    /// Writes mstatus through `mask`, legalizing WARL fields.
    pub fn write_mstatus(&mut self, val: u64, mask: u64) {
        let mut new = (self.mstatus & !mask) | (val & mask);
        // MPP is WARL over the implemented modes {U, S, M}; 2 (reserved) keeps the old value.
        if (new & ms::MPP) >> ms::MPP_SHIFT == 2 {
            new = (new & !ms::MPP) | (self.mstatus & ms::MPP);
        }
        self.mstatus = (new & !ms::SD) | ms::XLEN_FIELDS;
    }

    /// The FS field (0 Off, 1 Initial, 2 Clean, 3 Dirty).
    #[inline(always)]
    pub fn fs(&self) -> u64 {
        (self.mstatus & ms::FS) >> ms::FS_SHIFT
    }

    /// Marks the FP state dirty after an FP register or fflags write.
    #[inline(always)]
    pub fn set_fs_dirty(&mut self) {
        self.mstatus |= ms::FS;
    }

    /// The MPP field as a privilege level.
    pub fn mpp(&self) -> Priv {
        Priv::from_bits((self.mstatus & ms::MPP) >> ms::MPP_SHIFT)
    }
}

/// Legalizes an mtvec/stvec write: MODE 0 (direct) and 1 (vectored) exist; a reserved MODE
/// (>= 2) keeps the old mode. BASE is 4-byte aligned by construction.
pub fn legalize_tvec(old: u64, val: u64) -> u64 {
    let mode = if val & 3 >= 2 { old & 3 } else { val & 3 };
    (val & !3) | mode
}

/// Required privilege encoded in a CSR number: bits 9:8 (priv/csrs.adoc, "CSR Address
/// Mapping Conventions").
#[inline]
pub fn required_priv(csr: u16) -> u64 {
    ((csr >> 8) & 3) as u64
}

/// Whether bits 11:10 mark the CSR read-only.
#[inline]
pub fn is_read_only(csr: u16) -> bool {
    (csr >> 10) & 3 == 3
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mstatus_legalizes_mpp_and_reports_sd() {
        let mut c = Csrs::default();
        c.write_mstatus(1 << ms::MPP_SHIFT, ms::M_WRITABLE);
        assert_eq!(c.mpp(), Priv::S);
        c.write_mstatus(2 << ms::MPP_SHIFT, ms::M_WRITABLE);
        assert_eq!(c.mpp(), Priv::S, "reserved MPP value keeps the old one");
        assert_eq!(c.read_mstatus() & ms::SD, 0);
        c.set_fs_dirty();
        assert_ne!(c.read_mstatus() & ms::SD, 0);
        assert_eq!((c.read_mstatus() >> 32) & 0xf, 0xa, "UXL = SXL = 64-bit");
    }

    #[test]
    fn tvec_reserved_mode_is_not_stored() {
        assert_eq!(legalize_tvec(0x1001, 0x2002), 0x2001);
        assert_eq!(legalize_tvec(0, 0x2001), 0x2001);
    }

    #[test]
    fn csr_number_conventions() {
        assert_eq!(required_priv(num::MSTATUS), 3);
        assert_eq!(required_priv(num::SSTATUS), 1);
        assert!(is_read_only(num::MHARTID));
        assert!(is_read_only(num::CYCLE));
        assert!(!is_read_only(num::MSCRATCH));
    }
}
