//! Traps: synchronous exceptions and interrupts, as plain `Copy` values.
//!
//! The hot path returns `Result<_, Exception>`; an exception carries the value that goes to
//! `mtval`/`stval` (priv/machine.adoc, "Machine Trap Value Register (mtval)"): the faulting
//! address for address-misaligned, access-fault and page-fault exceptions, the instruction
//! bits for illegal-instruction, and zero otherwise.

/// A synchronous exception with its trap value. Cause codes are priv/machine.adoc, Table
/// "Machine cause register (mcause) values after trap".
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Exception {
    InstructionAddressMisaligned(u64),
    InstructionAccessFault(u64),
    IllegalInstruction(u64),
    Breakpoint(u64),
    LoadAddressMisaligned(u64),
    LoadAccessFault(u64),
    StoreAddressMisaligned(u64),
    StoreAccessFault(u64),
    EnvironmentCallFromU,
    EnvironmentCallFromS,
    EnvironmentCallFromM,
    InstructionPageFault(u64),
    LoadPageFault(u64),
    StorePageFault(u64),
}

impl Exception {
    /// The exception code written to `xcause` (interrupt bit clear).
    pub const fn code(self) -> u64 {
        use Exception::*;
        match self {
            InstructionAddressMisaligned(_) => 0,
            InstructionAccessFault(_) => 1,
            IllegalInstruction(_) => 2,
            Breakpoint(_) => 3,
            LoadAddressMisaligned(_) => 4,
            LoadAccessFault(_) => 5,
            StoreAddressMisaligned(_) => 6,
            StoreAccessFault(_) => 7,
            EnvironmentCallFromU => 8,
            EnvironmentCallFromS => 9,
            EnvironmentCallFromM => 11,
            InstructionPageFault(_) => 12,
            LoadPageFault(_) => 13,
            StorePageFault(_) => 15,
        }
    }

    /// The value written to `xtval`.
    pub const fn tval(self) -> u64 {
        use Exception::*;
        match self {
            InstructionAddressMisaligned(v)
            | InstructionAccessFault(v)
            | IllegalInstruction(v)
            | Breakpoint(v)
            | LoadAddressMisaligned(v)
            | LoadAccessFault(v)
            | StoreAddressMisaligned(v)
            | StoreAccessFault(v)
            | InstructionPageFault(v)
            | LoadPageFault(v)
            | StorePageFault(v) => v,
            EnvironmentCallFromU | EnvironmentCallFromS | EnvironmentCallFromM => 0,
        }
    }

    /// Short lowercase name, used by `--stats` and traces.
    pub const fn name(self) -> &'static str {
        EXCEPTION_NAMES[self.code() as usize]
    }
}

/// Names indexed by exception code (16 entries; reserved codes are "reserved").
pub const EXCEPTION_NAMES: [&str; 16] = [
    "instruction-address-misaligned",
    "instruction-access-fault",
    "illegal-instruction",
    "breakpoint",
    "load-address-misaligned",
    "load-access-fault",
    "store-address-misaligned",
    "store-access-fault",
    "ecall-from-u",
    "ecall-from-s",
    "reserved-10",
    "ecall-from-m",
    "instruction-page-fault",
    "load-page-fault",
    "reserved-14",
    "store-page-fault",
];

/// Interrupt causes (the interrupt bit of `xcause` set); the value is the bit in `mip`/`mie`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum Interrupt {
    SupervisorSoftware = 1,
    MachineSoftware = 3,
    SupervisorTimer = 5,
    MachineTimer = 7,
    SupervisorExternal = 9,
    MachineExternal = 11,
}

impl Interrupt {
    /// The order in which simultaneous pending-and-enabled interrupts are taken
    /// (priv/machine.adoc, "Machine Interrupt Registers": MEI, MSI, MTI, SEI, SSI, STI).
    pub const PRIORITY: [Interrupt; 6] = [
        Interrupt::MachineExternal,
        Interrupt::MachineSoftware,
        Interrupt::MachineTimer,
        Interrupt::SupervisorExternal,
        Interrupt::SupervisorSoftware,
        Interrupt::SupervisorTimer,
    ];

    /// The cause code (also the bit number in mip/mie).
    pub const fn code(self) -> u64 {
        self as u64
    }

    /// Short lowercase name, used by `--stats`.
    pub const fn name(self) -> &'static str {
        match self {
            Interrupt::SupervisorSoftware => "supervisor-software",
            Interrupt::MachineSoftware => "machine-software",
            Interrupt::SupervisorTimer => "supervisor-timer",
            Interrupt::MachineTimer => "machine-timer",
            Interrupt::SupervisorExternal => "supervisor-external",
            Interrupt::MachineExternal => "machine-external",
        }
    }
}

/// mip/mie bit masks.
pub mod irq {
    pub const SSIP: u64 = 1 << 1;
    pub const MSIP: u64 = 1 << 3;
    pub const STIP: u64 = 1 << 5;
    pub const MTIP: u64 = 1 << 7;
    pub const SEIP: u64 = 1 << 9;
    pub const MEIP: u64 = 1 << 11;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cause_codes_and_values_follow_the_spec_table() {
        assert_eq!(Exception::IllegalInstruction(0x13).code(), 2);
        assert_eq!(Exception::IllegalInstruction(0x13).tval(), 0x13);
        assert_eq!(Exception::StorePageFault(0x1000).code(), 15);
        assert_eq!(Exception::EnvironmentCallFromM.tval(), 0);
        assert_eq!(Exception::LoadAccessFault(0).name(), "load-access-fault");
        assert_eq!(Interrupt::MachineExternal.code(), 11);
    }
}
