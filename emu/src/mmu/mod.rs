//! The memory-management unit: the single place where a hart's virtual addresses become
//! physical ones.
//!
//! Today it implements satp mode Bare only (the Sv39/Sv48 walker, the modelled TLB and the
//! PMP checks are the MMU work, issue 3); its PMP registers already exist. Every fetch, load
//! and store of the hart asks [`Mmu::translate`] unless the hart's fast path knows
//! translation is the identity (`Mmu::is_bare`).

pub mod dump;
pub mod mode;
pub mod pmp;
pub mod pte;
pub mod tlb;
pub mod walk;

use crate::hart::trap::Exception;

/// The kind of access being translated (they fault with different causes).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Access {
    Fetch,
    Load,
    Store,
}

/// satp.MODE values (priv/supervisor.adoc, "Supervisor Address Translation and Protection
/// (satp) Register").
pub mod satp_mode {
    pub const BARE: u64 = 0;
    pub const SV39: u64 = 8;
    pub const SV48: u64 = 9;
    pub const SV57: u64 = 10;
}

/// A leaf translation: what a successful walk finds and what a TLB entry holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Leaf {
    /// Virtual address of the (super)page's first byte (canonical, sign-extended).
    pub va_base: u64,
    /// Physical address of the (super)page's first byte.
    pub pa_base: u64,
    /// Level of the leaf: 0 = 4 KiB page, 1 = 2 MiB, 2 = 1 GiB, 3 = 512 GiB, 4 = 256 TiB.
    pub level: u8,
    /// The leaf PTE's flags as they are after any A/D update by this walk.
    pub flags: pte::PteFlags,
    /// Physical address of the leaf PTE (for A/D updates on a later access).
    pub pte_addr: u64,
    /// ASID of the address space the walk ran in (satp.ASID).
    pub asid: u16,
}

impl Leaf {
    /// Size of the mapped (super)page in bytes.
    pub fn page_size(&self) -> u64 {
        4096u64 << (9 * self.level as u32)
    }

    /// Whether `va` falls inside this (super)page.
    pub fn covers(&self, va: u64) -> bool {
        va.wrapping_sub(self.va_base) < self.page_size()
    }

    /// The physical address of `va` (which must be covered).
    pub fn translate(&self, va: u64) -> u64 {
        self.pa_base + (va - self.va_base)
    }
}

/// The MMU of one hart.
#[derive(Clone, Debug)]
pub struct Mmu {
    pub pmp: pmp::Pmp,
}

impl Mmu {
    /// An MMU with `pmp_entries` PMP entries.
    pub fn new(pmp_entries: usize) -> Mmu {
        Mmu {
            pmp: pmp::Pmp::new(pmp_entries),
        }
    }

    /// Whether a satp value selects a mode this MMU implements (satp is WARL: a write with an
    /// unsupported mode has no effect at all).
    pub fn supports_mode(&self, satp: u64) -> bool {
        satp >> 60 == satp_mode::BARE
    }

    /// Translates `va` for `access`. Bare: the identity.
    #[inline]
    pub fn translate(&mut self, va: u64, _access: Access) -> Result<u64, Exception> {
        Ok(va)
    }
}
