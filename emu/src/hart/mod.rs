//! One RV64GC hart: architectural state, CSR access, trap and interrupt delivery, and the
//! memory path every fetch, load and store takes.
//!
//! The instruction loop is in [`exec`]; decoding in [`decode`] and [`rvc`]; the decoded-
//! instruction cache in [`icache`]; F/D arithmetic in [`fpu`]. Time is virtual: the hart
//! counts *steps* (instructions retired plus instructions that trapped) and *idle* cycles
//! skipped in WFI; `mcycle = steps + idle` and `mtime = mcycle / INSNS_PER_MTIME_TICK`, so the
//! same program with the same input always sees the same times.

mod block;
pub mod csr;
pub mod decode;
pub mod disasm;
mod exec;
pub mod fpu;
pub mod icache;
#[cfg(feature = "jit")]
pub mod jit;
pub mod rvc;
#[cfg(test)]
pub(crate) mod testing;
pub mod trigger;

use crate::bus::Bus;
/// The ISA's types, defined in the bottom layer ([`crate::isa`]) and named here too, where
/// the hart's code has always found them.
pub use crate::isa::{trap, Priv};
use crate::mmu::{Access, Mmu, TranslateCtx, Translated};
use csr::{ms, num, Csrs};
use fpu::FpRegs;
use trap::{irq::*, Exception, Interrupt};

pub use block::Engine;

/// Virtual cycles per mtime tick. mtime runs at the device tree's timebase (10 MHz), so the
/// hart's nominal speed is 100 M instructions per virtual second.
pub const INSNS_PER_MTIME_TICK: u64 = 10;

/// A counter that software can overwrite and inhibit (mcycle, minstret).
#[derive(Clone, Copy, Debug, Default)]
struct Counter {
    /// Added to the raw count.
    adj: u64,
    /// Value held while inhibited by mcountinhibit.
    frozen: Option<u64>,
}

impl Counter {
    fn read(&self, raw: u64) -> u64 {
        self.frozen.unwrap_or(raw.wrapping_add(self.adj))
    }
    /// Writes `val` so that the next instruction reads `val` (priv/machine.adoc: a CSR write
    /// takes effect after the writing instruction has otherwise completed, including its own
    /// increment). `raw_next` is the raw count once the writing instruction has retired.
    fn write(&mut self, val: u64, raw_next: u64) {
        match self.frozen {
            Some(_) => self.frozen = Some(val),
            None => self.adj = val.wrapping_sub(raw_next),
        }
    }
    fn set_inhibit(&mut self, on: bool, raw: u64) {
        match (on, self.frozen) {
            (true, None) => self.frozen = Some(self.read(raw)),
            (false, Some(v)) => {
                self.adj = v.wrapping_sub(raw);
                self.frozen = None;
            }
            _ => {}
        }
    }
}

/// What a misaligned scalar load or store does (docs/ARCHITECTURE.md, "Misaligned
/// accesses"). The unprivileged spec ("Load and Store Instructions") lets the execution
/// environment either perform them or raise an address-misaligned exception; LR/SC and AMOs
/// always raise it (`atomic_pa`; priv/machine.adoc, "Misaligned Atomicity Granule PMA"),
/// whichever is chosen here.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Misaligned {
    /// Performed, as QEMU and most Linux-capable cores with their firmware do: split at a
    /// page boundary, each part translated on its own, nothing written unless both can be.
    #[default]
    Perform,
    /// Raise Load/StoreAddressMisaligned with tval = the address (Spike's default).
    Trap,
}

/// The parts of an access of `len` bytes at `va` split at 4 KiB page boundaries: the
/// number of bytes on `va`'s page, and the number on the next page (0 when none).
#[inline]
pub fn split_at_page(va: u64, len: u64) -> (u64, u64) {
    let first = (4096 - (va & 0xfff)).min(len);
    (first, len - first)
}

/// Trap counts, by cause, for `--stats`.
#[derive(Clone, Debug, Default)]
pub struct TrapStats {
    pub exceptions: [u64; 16],
    pub interrupts: [u64; 12],
}

/// Why the hart stopped on its own (beyond the machine's exit devices).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Halt {
    /// WFI with no interrupt enabled that any device could ever raise.
    Deadlock(String),
}

/// How loads and stores reach RAM in a data context (after MPRV): what the MMU's fast
/// tables hold in it, which compiled code is specialised for.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum DataPath {
    /// Effective privilege M and PMP unable to object: the address is the physical one,
    /// nothing is consulted.
    Direct,
    /// No translation (M-mode, or satp Bare) but PMP consulted: the fast tables' entries
    /// stand for no TLB slot ([`crate::mmu::fast::NO_SLOT`]) and count nothing.
    Bare,
    /// Translated (S or U-mode under a paging mode): every fast-table entry stands for a
    /// TLB slot, its hits counted on that slot.
    Paged,
}

/// The hart.
pub struct Hart {
    /// x0..x31, the write sink at index 32 ([`decode::SINK`]), and padding (see
    /// [`decode::REG_SLOTS`]).
    pub x: [u64; decode::REG_SLOTS],
    /// The context compiled code runs with, set at each entry (`Hart::jit_call`): beside
    /// the registers, which regions reach at a fixed offset from it ([`jit::from_ctx`]).
    #[cfg(feature = "jit")]
    pub(crate) jit_ctx: jit::JitCtx,
    pub pc: u64,
    pub prv: Priv,
    pub csr: Csrs,
    pub fp: FpRegs,
    /// Boxed: the TLB is large, and inline it pushed the hot fields apart (measured:
    /// git's history of docs/PERFORMANCE.md).
    pub mmu: Box<Mmu>,
    /// Where trace records go (`--trace insns`, `--trace translations`): both kinds in one
    /// ordered output. Set by [`Hart::set_tracer`].
    pub tracer: Option<Box<crate::trace::Tracer>>,
    /// Physical address (8-byte granule) of the LR reservation, or `NO_RESERVATION`.
    reservation: u64,
    /// Instructions executed, retired or trapped.
    pub steps: u64,
    /// Of those, the ones that trapped (not retired).
    pub traps: u64,
    /// Cycles skipped while waiting in WFI.
    pub idle: u64,
    cycle_ctr: Counter,
    instret_ctr: Counter,
    /// The run loop stops for event processing when `steps` reaches this.
    pub(crate) stop_at: u64,
    /// Guest-visible mtime minus the virtual clock's (the guest may write mtime); refreshed
    /// at every event check, which every device write triggers.
    pub(crate) time_offset: u64,
    /// Interrupt lines driven by devices (MSIP, MTIP, SEIP, MEIP), as last sampled.
    irq_hw: u64,
    pub(crate) icache: icache::ICache,
    /// Cached `mmu.pmp.m_mode_exempt()`, recomputed on every PMP register write.
    pmp_m_exempt: bool,
    /// How loads and stores reach RAM in the current data context. Derived from prv,
    /// mstatus, satp and PMP; refreshed by [`Hart::refresh_data_path`] wherever those
    /// change (trap entry, xRET, CSR writes).
    data_path: DataPath,
    /// The exception of the last load `load_slow` could not make (it returns None): read
    /// right after by the caller, meaningless otherwise.
    slow_exception: Exception,
    pub trap_stats: TrapStats,
    pub(crate) halt: Option<Halt>,
    /// Misaligned loads and stores: performed (the default) or trapped.
    pub misaligned: Misaligned,
    /// The Sdtrig trigger module (tselect, tdata1-3, tinfo, tcontrol). Boxed: only cold
    /// paths read it, and inline it moved the hot fields (callgrind on `bench` int-loop:
    /// +1.5% host instructions inline, none boxed).
    pub triggers: Box<trigger::Triggers>,
}

pub(crate) const NO_RESERVATION: u64 = u64::MAX;

impl Hart {
    /// A hart at reset: M-mode, pc = `reset_pc`, the given MMU, and a decoded-
    /// instruction cache sized for `ram_size` bytes of RAM.
    pub fn new(reset_pc: u64, mmu: Mmu, ram_size: u64) -> Hart {
        Hart {
            x: [0; decode::REG_SLOTS],
            #[cfg(feature = "jit")]
            jit_ctx: jit::JitCtx::default(),
            pc: reset_pc,
            prv: Priv::M,
            csr: Csrs::default(),
            fp: FpRegs::default(),
            mmu: Box::new(mmu),
            tracer: None,
            reservation: NO_RESERVATION,
            steps: 0,
            traps: 0,
            idle: 0,
            cycle_ctr: Counter::default(),
            instret_ctr: Counter::default(),
            stop_at: 0,
            time_offset: 0,
            irq_hw: 0,
            icache: icache::ICache::new(ram_size),
            pmp_m_exempt: true,
            data_path: DataPath::Direct,
            slow_exception: Exception::LoadAccessFault(0),
            trap_stats: TrapStats::default(),
            halt: None,
            misaligned: Misaligned::default(),
            triggers: Box::default(),
        }
    }

    /// Instructions retired so far.
    pub fn instret(&self) -> u64 {
        self.steps - self.traps
    }

    /// The virtual clock: one cycle per step plus the cycles skipped in WFI.
    pub fn clock(&self) -> u64 {
        self.steps + self.idle
    }

    /// Current mtime, derived from the virtual clock.
    pub fn mtime(&self) -> u64 {
        self.clock() / INSNS_PER_MTIME_TICK
    }

    /// mip as software sees it: the software-writable bits ORed with the device lines.
    pub fn mip(&self) -> u64 {
        self.csr.mip | self.irq_hw
    }

    /// Asks the run loop to process events (interrupts, exits) before the next instruction.
    #[inline]
    pub(crate) fn request_event_check(&mut self) {
        self.stop_at = 0;
    }

    /// Samples the device interrupt lines.
    pub(crate) fn sample_irqs(&mut self, bus: &mut Bus) {
        self.irq_hw = bus.irq_lines(self.mtime());
    }

    // ---------------------------------------------------------------- traps

    /// Takes a trap for `cause` (exception) at the current pc. priv/machine.adoc, "Machine
    /// Trap Delegation Registers": a trap goes to S-mode when it is delegated and the hart is
    /// not in M-mode; traps never move to a less privileged mode.
    pub(crate) fn take_exception(&mut self, e: Exception) {
        self.trap_stats.exceptions[e.code() as usize] += 1;
        self.enter_trap(e.code(), false, e.tval());
    }

    fn take_interrupt(&mut self, i: Interrupt) {
        self.trap_stats.interrupts[i.code() as usize] += 1;
        self.enter_trap(i.code(), true, 0);
    }

    fn enter_trap(&mut self, code: u64, interrupt: bool, tval: u64) {
        let deleg = if interrupt {
            self.csr.mideleg
        } else {
            self.csr.medeleg
        };
        let cause = code | if interrupt { 1 << 63 } else { 0 };
        let to_s = self.prv != Priv::M && (deleg >> code) & 1 == 1;
        let s = &mut self.csr;
        if to_s {
            s.scause = cause;
            s.sepc = self.pc;
            s.stval = tval;
            let sie = s.mstatus & ms::SIE != 0;
            s.mstatus &= !(ms::SPIE | ms::SIE | ms::SPP);
            if sie {
                s.mstatus |= ms::SPIE;
            }
            if self.prv == Priv::S {
                s.mstatus |= ms::SPP;
            }
            self.pc = trap_target(s.stvec, code, interrupt);
            self.prv = Priv::S;
        } else {
            s.mcause = cause;
            s.mepc = self.pc;
            s.mtval = tval;
            let mie = s.mstatus & ms::MIE != 0;
            s.mstatus &= !(ms::MPIE | ms::MIE | ms::MPP);
            if mie {
                s.mstatus |= ms::MPIE;
            }
            s.mstatus |= (self.prv as u64) << ms::MPP_SHIFT;
            self.pc = trap_target(s.mtvec, code, interrupt);
            self.prv = Priv::M;
            // Native M-mode triggers: the handler runs with tcontrol.mte clear.
            self.triggers.trap_to_m();
        }
        self.icache.forget_fetch_page();
        self.refresh_data_path();
    }

    /// The interrupt to take now, if any (priv/machine.adoc, "Machine Interrupt Registers"):
    /// an interrupt for M is enabled when the hart runs below M, or in M with mstatus.MIE; one
    /// delegated to S when the hart runs in U, or in S with mstatus.SIE, never in M. Among
    /// enabled ones, M's come first, each level in the order MEI, MSI, MTI, SEI, SSI, STI.
    pub fn pending_interrupt(&self) -> Option<Interrupt> {
        let pending = self.mip() & self.csr.mie;
        if pending == 0 {
            return None;
        }
        let m_enabled = self.prv < Priv::M || self.csr.mstatus & ms::MIE != 0;
        let s_enabled =
            self.prv < Priv::S || (self.prv == Priv::S && self.csr.mstatus & ms::SIE != 0);
        let m_pending = if m_enabled {
            pending & !self.csr.mideleg
        } else {
            0
        };
        let s_pending = if s_enabled {
            pending & self.csr.mideleg
        } else {
            0
        };
        for set in [m_pending, s_pending] {
            if set != 0 {
                for i in Interrupt::PRIORITY {
                    if set & (1 << i.code()) != 0 {
                        return Some(i);
                    }
                }
            }
        }
        None
    }

    /// Takes the highest-priority enabled interrupt, if any. Returns whether one was taken.
    pub(crate) fn check_interrupts(&mut self) -> bool {
        match self.pending_interrupt() {
            Some(i) => {
                self.take_interrupt(i);
                true
            }
            None => false,
        }
    }

    // ---------------------------------------------------------------- CSRs

    /// Whether the counter `csr` (0xc00..0xc1f) is readable at the current privilege
    /// (priv/machine.adoc, "Machine Counter-Enable Register (mcounteren)").
    fn counter_allowed(&self, csr: u16) -> bool {
        let bit = 1u64 << (csr & 31);
        match self.prv {
            Priv::M => true,
            Priv::S => self.csr.mcounteren & bit != 0,
            Priv::U => self.csr.mcounteren & bit != 0 && self.csr.scounteren & bit != 0,
        }
    }

    /// Reads CSR `csr` at the current privilege; `Err(())` means illegal instruction.
    pub(crate) fn csr_read(&self, csr: u16) -> Result<u64, ()> {
        if (self.prv as u64) < csr::required_priv(csr) {
            return Err(());
        }
        let c = &self.csr;
        Ok(match csr {
            num::FFLAGS | num::FRM | num::FCSR if c.fs() == 0 => return Err(()),
            num::FFLAGS => self.fp.fflags as u64,
            num::FRM => self.fp.frm as u64,
            num::FCSR => ((self.fp.frm as u64) << 5) | self.fp.fflags as u64,
            num::CYCLE..=num::HPMCOUNTER31 if !self.counter_allowed(csr) => return Err(()),
            num::CYCLE => self.cycle_ctr.read(self.clock()),
            num::TIME => self.mtime().wrapping_add(self.time_offset),
            num::INSTRET => self.instret_ctr.read(self.instret()),
            num::HPMCOUNTER3..=num::HPMCOUNTER31 => 0,
            num::SSTATUS => c.read_mstatus() & ms::S_VISIBLE,
            num::SIE => c.mie & c.mideleg,
            num::STVEC => c.stvec,
            num::SCOUNTEREN => c.scounteren,
            num::SENVCFG => c.senvcfg,
            num::SSCRATCH => c.sscratch,
            num::SEPC => c.sepc,
            num::SCAUSE => c.scause,
            num::STVAL => c.stval,
            num::SIP => self.mip() & c.mideleg,
            num::SATP if self.prv == Priv::S && c.mstatus & ms::TVM != 0 => return Err(()),
            num::SATP => c.satp,
            num::MVENDORID | num::MARCHID | num::MIMPID | num::MHARTID | num::MCONFIGPTR => 0,
            num::MSTATUS => c.read_mstatus(),
            num::MISA => csr::MISA,
            num::MEDELEG => c.medeleg,
            num::MIDELEG => c.mideleg,
            num::MIE => c.mie,
            num::MTVEC => c.mtvec,
            num::MCOUNTEREN => c.mcounteren,
            num::MENVCFG => c.menvcfg,
            num::MCOUNTINHIBIT => c.mcountinhibit,
            num::MHPMEVENT3..=num::MHPMEVENT31 => 0,
            num::MSCRATCH => c.mscratch,
            num::MEPC => c.mepc,
            num::MCAUSE => c.mcause,
            num::MTVAL => c.mtval,
            num::MIP => self.mip(),
            num::PMPCFG0..=num::PMPCFG15 if csr & 1 == 1 => return Err(()), // RV64: odd ones absent
            num::PMPCFG0..=num::PMPCFG15 => self.mmu.pmp.read_cfg((csr - num::PMPCFG0) as usize),
            num::PMPADDR0..=num::PMPADDR63 => {
                self.mmu.pmp.read_addr((csr - num::PMPADDR0) as usize)
            }
            num::MCYCLE => self.cycle_ctr.read(self.clock()),
            num::MINSTRET => self.instret_ctr.read(self.instret()),
            num::MHPMCOUNTER3..=num::MHPMCOUNTER31 => 0,
            num::TSELECT..=num::TCONTROL => self.triggers.read(csr),
            _ => return Err(()),
        })
    }

    /// Writes CSR `csr` (already read successfully by the same instruction, so it exists and
    /// is accessible). `Err(())` means illegal instruction (a read-only CSR).
    pub(crate) fn csr_write(&mut self, csr: u16, val: u64) -> Result<(), ()> {
        if csr::is_read_only(csr) {
            return Err(());
        }
        // The FP unit's own state, which nothing the other CSRs' writes update depends on:
        // the data access context, the fetch page and the interrupts stay as they are
        // (and the MMU's fast tables with them: libm sets and clears fflags often).
        let fp = &mut self.fp;
        match csr {
            num::FFLAGS => fp.fflags = (val & 0x1f) as u8,
            num::FRM => fp.frm = (val & 7) as u8,
            num::FCSR => {
                fp.fflags = (val & 0x1f) as u8;
                fp.frm = ((val >> 5) & 7) as u8;
            }
            _ => return self.csr_write_system(csr, val),
        }
        self.csr.set_fs_dirty();
        Ok(())
    }

    /// [`Hart::csr_write`] of a CSR other than the FP unit's.
    fn csr_write_system(&mut self, csr: u16, val: u64) -> Result<(), ()> {
        let c = &mut self.csr;
        match csr {
            num::SSTATUS => c.write_mstatus(val, ms::S_WRITABLE),
            num::SIE => {
                let mask = csr::MIDELEG_WRITABLE & c.mideleg;
                c.mie = (c.mie & !mask) | (val & mask);
            }
            num::STVEC => c.stvec = csr::legalize_tvec(c.stvec, val),
            num::SCOUNTEREN => c.scounteren = val & 0xffff_ffff,
            num::SENVCFG => c.senvcfg = val & csr::ENVCFG_WRITABLE,
            num::SSCRATCH => c.sscratch = val,
            num::SEPC => c.sepc = val & !1,
            num::SCAUSE => c.scause = val,
            num::STVAL => c.stval = val,
            num::SIP => {
                // Only SSIP is writable through sip (priv/supervisor.adoc, "Supervisor
                // Interrupt Registers"), and only when delegated.
                let mask = SSIP & c.mideleg;
                c.mip = (c.mip & !mask) | (val & mask);
            }
            num::SATP => {
                if self.mmu.supports_mode(val) {
                    c.satp = val;
                }
            }
            num::MSTATUS => c.write_mstatus(val, ms::M_WRITABLE),
            num::MISA => {}
            num::MEDELEG => c.medeleg = val & csr::MEDELEG_WRITABLE,
            num::MIDELEG => c.mideleg = val & csr::MIDELEG_WRITABLE,
            num::MIE => c.mie = val & csr::MIE_WRITABLE,
            num::MTVEC => c.mtvec = csr::legalize_tvec(c.mtvec, val),
            num::MCOUNTEREN => c.mcounteren = val & 0xffff_ffff,
            num::MENVCFG => c.menvcfg = val & csr::ENVCFG_WRITABLE,
            num::MCOUNTINHIBIT => {
                // CY (bit 0) and IR (bit 2); the hpm counters are hardwired to zero.
                c.mcountinhibit = val & 0b101;
                let (cy, ir) = (val & 1 != 0, val & 4 != 0);
                let (clock, instret) = (self.clock(), self.instret());
                self.cycle_ctr.set_inhibit(cy, clock);
                self.instret_ctr.set_inhibit(ir, instret);
            }
            num::MHPMEVENT3..=num::MHPMEVENT31 => {}
            num::MSCRATCH => c.mscratch = val,
            num::MEPC => c.mepc = val & !1,
            num::MCAUSE => c.mcause = val,
            num::MTVAL => c.mtval = val,
            num::MIP => c.mip = (c.mip & !csr::MIP_WRITABLE) | (val & csr::MIP_WRITABLE),
            num::PMPCFG0..=num::PMPCFG15 => {
                self.mmu.pmp.write_cfg((csr - num::PMPCFG0) as usize, val)
            }
            num::PMPADDR0..=num::PMPADDR63 => {
                self.mmu.pmp.write_addr((csr - num::PMPADDR0) as usize, val)
            }
            num::MCYCLE => {
                let next = self.clock() + 1;
                self.cycle_ctr.write(val, next);
            }
            num::MINSTRET => {
                let next = self.instret() + 1;
                self.instret_ctr.write(val, next);
            }
            num::MHPMCOUNTER3..=num::MHPMCOUNTER31 => {}
            num::TSELECT..=num::TCONTROL => {
                self.triggers.write(csr, val);
                // The run loop picks the stepped loop while an execute trigger is armed.
                self.request_event_check();
            }
            _ => return Err(()),
        }
        if matches!(csr, num::PMPCFG0..=num::PMPCFG15 | num::PMPADDR0..=num::PMPADDR63) {
            // What M-mode may skip, and what a remembered fetch page was allowed, may change.
            self.pmp_m_exempt = self.mmu.pmp.m_mode_exempt();
            self.icache.forget_fetch_page();
        }
        self.refresh_data_path();
        // Anything that can make an interrupt pending-and-enabled is looked at before the
        // next instruction.
        if matches!(
            csr,
            num::MSTATUS | num::SSTATUS | num::MIE | num::SIE | num::MIP | num::SIP | num::MIDELEG
        ) {
            self.request_event_check();
        }
        Ok(())
    }

    // ---------------------------------------------------------------- memory

    /// The privilege that loads and stores are checked against: MPRV makes M-mode data
    /// accesses use MPP (priv/machine.adoc, "Memory Privilege in mstatus Register").
    #[inline(always)]
    pub fn data_priv(&self) -> Priv {
        if self.prv == Priv::M && self.csr.mstatus & ms::MPRV != 0 {
            self.csr.mpp()
        } else {
            self.prv
        }
    }

    /// Loads and stores need neither translation nor PMP: the effective privilege (after
    /// MPRV) is M and PMP cannot object.
    #[inline(always)]
    pub(crate) fn data_direct(&self) -> bool {
        self.data_path == DataPath::Direct
    }

    /// Recomputes `data_path` after a change of privilege, mstatus, satp or PMP, and drops
    /// the MMU's data fast path, whose entries were made for the old context.
    #[inline]
    pub(crate) fn refresh_data_path(&mut self) {
        let prv = self.data_priv();
        // An armed load or store trigger sends every load and store to the slow paths,
        // which check it: no direct accesses, no data fast path.
        let watch = self.triggers.armed_data();
        // The MMU translates (`PagedCtx::new`'s rule): every entry it fills has a slot.
        let paged = crate::mmu::mode::PagingMode::from_satp(self.csr.satp).is_some();
        self.data_path = if prv == Priv::M && self.pmp_m_exempt && !watch {
            DataPath::Direct
        } else if prv != Priv::M && paged {
            DataPath::Paged
        } else {
            DataPath::Bare
        };
        self.mmu.fast_suspended = watch;
        self.mmu.fast.flush();
        let s = self.csr.mstatus;
        self.mmu
            .set_data_ctx(self.csr.satp, prv, s & ms::SUM != 0, s & ms::MXR != 0);
    }

    /// Whether fetches at the current privilege need neither translation nor PMP.
    #[inline(always)]
    pub(crate) fn fetch_is_direct(&self) -> bool {
        self.prv == Priv::M && self.pmp_m_exempt
    }

    /// Translates an access of `len` bytes. In M-mode (after MPRV for data) with PMP unable
    /// to object (`Pmp::m_mode_exempt`), the address is the physical one and nothing is
    /// consulted; everything else goes through the MMU: TLB, walk, PMP.
    #[inline(always)]
    pub(crate) fn translate(
        &mut self,
        bus: &mut Bus,
        va: u64,
        len: u64,
        access: Access,
    ) -> Result<u64, Exception> {
        self.translate_full(bus, va, len, access).map(|t| t.pa)
    }

    /// [`Hart::translate`] with everything the MMU reports.
    #[inline(always)]
    pub(crate) fn translate_full(
        &mut self,
        bus: &mut Bus,
        va: u64,
        len: u64,
        access: Access,
    ) -> Result<Translated, Exception> {
        let prv = if access == Access::Fetch {
            self.prv
        } else {
            self.data_priv()
        };
        if prv == Priv::M && self.pmp_m_exempt {
            return Ok(Translated {
                pa: va,
                ..Translated::default()
            });
        }
        self.translate_mmu(bus, va, len, access, prv)
    }

    #[cold]
    fn translate_mmu(
        &mut self,
        bus: &mut Bus,
        va: u64,
        len: u64,
        access: Access,
        prv: Priv,
    ) -> Result<Translated, Exception> {
        let phase = match access {
            Access::Fetch if va == self.pc => 0,
            Access::Fetch => 1, // the second parcel of an instruction crossing a page
            Access::Load | Access::Store => 2,
        };
        let ctx = TranslateCtx {
            satp: self.csr.satp,
            prv,
            sum: self.csr.mstatus & ms::SUM != 0,
            mxr: self.csr.mstatus & ms::MXR != 0,
            now: self.steps * 4 + phase,
        };
        #[cfg(feature = "trace-translations")]
        let t = if self.mmu.tracing {
            self.translate_traced(bus, va, len, access, &ctx)
        } else {
            self.mmu.translate(va, len, access, &ctx, &mut bus.ram)
        };
        #[cfg(not(feature = "trace-translations"))]
        let t = self.mmu.translate(va, len, access, &ctx, &mut bus.ram);
        if self.mmu.take_fetch_run_dropped() {
            self.icache.forget_fetch_page();
        }
        let t = t?;
        // An A/D update is a store to RAM like any other: keep decoded code coherent.
        if let Some(pte) = t.pte_written {
            if self.icache.note_store(pte, 8) {
                self.request_event_check();
            }
        }
        Ok(t)
    }

    /// The MMU's translation with the record of it written to the tracer
    /// (`--trace translations`; docs/TRACING.md): the MMU says how it went, the hart, which
    /// owns the tracer, stamps the record with the instruction count and writes it.
    #[cfg(feature = "trace-translations")]
    #[cold]
    fn translate_traced(
        &mut self,
        bus: &mut Bus,
        va: u64,
        len: u64,
        access: Access,
        ctx: &TranslateCtx,
    ) -> Result<Translated, Exception> {
        let count = self.instret();
        let (r, notes) = self.mmu.translate_noted(va, len, access, ctx, &mut bus.ram);
        if let Some(t) = self.tracer.as_deref_mut() {
            let paged = notes.lookup != crate::mmu::Lookup::Bare;
            t.translation(&crate::trace::Translation {
                count,
                prv: ctx.prv,
                asid: paged.then(|| crate::mmu::walk::satp_asid(ctx.satp)),
                access,
                va,
                result: r.map(|t| t.pa),
                lookup: notes.lookup,
                walk: notes.walk.as_ref(),
                uncached: notes.uncached,
                pmp: notes.pmp,
            });
        }
        r
    }

    /// Attaches (or detaches) the tracer that receives instruction and translation records.
    /// While one is attached, the MMU serves no access from its common path, so that every
    /// translation the fast path does not serve reaches [`Hart::translate_traced`] (the
    /// machine keeps the fast path off while translations are traced).
    pub fn set_tracer(&mut self, tracer: Option<Box<crate::trace::Tracer>>) {
        self.mmu.tracing = tracer.is_some();
        self.tracer = tracer;
        self.refresh_data_path();
    }

    /// An aligned load or store of at most 8 bytes at `va` that the fast path did not serve,
    /// translated by the MMU's common translation ([`Mmu::data_miss`]: a TLB hit the fast
    /// path's table missed, or a common TLB miss) if it can: a physical address in RAM, with
    /// everything counted as [`Hart::translate`] would have. None: it changed nothing, ask
    /// [`Hart::translate`].
    #[inline(always)]
    fn data_miss(&mut self, bus: &mut Bus, va: u64, access: Access, now: u64) -> Option<u64> {
        // The context was set where it last changed (`refresh_data_path`); there is none
        // with the fast path off or a tracer set, so the MMU serves nothing then.
        debug_assert_eq!(self.mmu.data_ctx(), {
            let (s, prv) = (self.csr.mstatus, self.data_priv());
            let paged = prv != Priv::M && self.csr.satp >> 60 != 0;
            let on = self.mmu.fast_on() && !self.mmu.tracing;
            (paged && on).then_some((self.csr.satp, prv, s & ms::SUM != 0, s & ms::MXR != 0))
        });
        let pa = self.mmu.data_miss(va, access, now * 4 + 2, &bus.ram)?;
        if self.mmu.take_fetch_run_dropped() {
            self.icache.forget_fetch_page();
        }
        Some(pa)
    }

    /// Loads `N` bytes at `va`, zero-extended. Misaligned accesses are performed or trap as
    /// `misaligned` says (docs/ARCHITECTURE.md, "Misaligned accesses"), off the inlined part:
    /// its alignment test is the only cost they add to aligned accesses.
    ///
    /// The inlined part is only the common cases — aligned, in RAM, and either no translation
    /// nor PMP, or a page the MMU's fast path ([`crate::mmu::fast`]) knows; everything else
    /// is one out-of-line call, so the hot loop keeps its registers.
    ///
    /// `now` is the step count of this instruction, which the run loop keeps in a register
    /// (`self.steps` may be stale): the inlined part passes it to the fast path and stores it
    /// to `self.steps` before anything out of line, which reads it there.
    ///
    /// **Fast-path pages are RAM, without a second check.** An address the MMU's fast path
    /// ([`Mmu::fast_data`]) or its common translation ([`Mmu::data_miss`]) returns lies on a
    /// 4 KiB page that the MMU checked to lie inside a RAM of `bus.ram`'s size when it filled
    /// the entry (`Mmu::fill_fast`: `Ram::contains`; `Mmu::find_common`:
    /// `Ram::contains_n::<4096>`); the access is aligned and at most 8 bytes, so it stays
    /// inside that page. Only the MMU fills its fast path, and every MMU method given a RAM
    /// first calls `Mmu::bind_ram`, which forgets the fast path when the size changes; the
    /// run loops bind `bus.ram` before the first instruction, and inside them the MMU is
    /// given no other RAM. So the load and store read and write those addresses unchecked (`Ram::read_le_unchecked`, which debug builds — the
    /// whole test suite — assert against RAM's bounds, as `Ram::write_unchecked`).
    #[inline(always)]
    pub(crate) fn load<const N: usize>(
        &mut self,
        bus: &mut Bus,
        va: u64,
        now: u64,
    ) -> Result<u64, Exception> {
        match self.load_hit::<N>(bus, va, now) {
            Some(v) => Ok(v),
            None => self.load_miss::<N>(bus, va, now),
        }
    }

    /// The first part of [`Hart::load`]: aligned, in RAM, and either no translation nor
    /// PMP or a page of the MMU's fast path. A hit changes nothing but the MMU's stamps and
    /// counters on that page: no event, no TLB refill (so no fetch run ends), which lets the
    /// block engine go on after it without checking `stop_at` and the fetch page again.
    #[inline(always)]
    pub(crate) fn load_hit<const N: usize>(&mut self, bus: &Bus, va: u64, now: u64) -> Option<u64> {
        if va & (N as u64 - 1) != 0 {
            // Misaligned: the slow path performs or traps it.
            None
        } else if self.data_direct() {
            bus.ram.read_le::<N>(crate::addr::PhysAddr(va))
        } else {
            // The MMU's fast path, whose pages are RAM.
            let pa = self.mmu.fast_data(va, Access::Load, now * 4 + 2)?;
            // SAFETY: fast-path pages are RAM (see [`Hart::load`]).
            Some(unsafe { bus.ram.read_le_unchecked::<N>(crate::addr::PhysAddr(pa)) })
        }
    }

    /// The rest of [`Hart::load`], after [`Hart::load_hit`] missed: the MMU's common
    /// translation (which may refill the TLB), then the slow path.
    #[inline(always)]
    pub(crate) fn load_miss<const N: usize>(
        &mut self,
        bus: &mut Bus,
        va: u64,
        now: u64,
    ) -> Result<u64, Exception> {
        if va & (N as u64 - 1) == 0 && !self.data_direct() {
            // The MMU's common translation (out of line there), whose pages are RAM too.
            if let Some(pa) = self.data_miss(bus, va, Access::Load, now) {
                // SAFETY: the common translation's pages are RAM too (see above).
                return Ok(unsafe { bus.ram.read_le_unchecked::<N>(crate::addr::PhysAddr(pa)) });
            }
        }
        self.steps = now;
        match self.load_slow::<N>(bus, va) {
            Some(v) => Ok(v),
            None => Err(self.slow_exception),
        }
    }

    /// [`Hart::load_general`] returning an `Option`, which comes back in two registers
    /// where a `Result<u64, Exception>` would go through memory: None leaves the exception
    /// in `slow_exception`.
    #[inline(never)]
    fn load_slow<const N: usize>(&mut self, bus: &mut Bus, va: u64) -> Option<u64> {
        match self.load_general::<N>(bus, va) {
            Ok(v) => Some(v),
            Err(e) => {
                self.slow_exception = e;
                None
            }
        }
    }

    #[inline(always)]
    fn load_general<const N: usize>(&mut self, bus: &mut Bus, va: u64) -> Result<u64, Exception> {
        if self.triggers.armed_data() {
            self.check_data_trigger(trigger::LOAD, va, N as u64)?;
        }
        if va & (N as u64 - 1) != 0 {
            return match self.misaligned {
                Misaligned::Trap => Err(Exception::LoadAddressMisaligned(va)),
                Misaligned::Perform => self.load_misaligned(bus, va, N as u64),
            };
        }
        // The inlined part has asked the fast path and the common translation already.
        let pa = self.translate(bus, va, N as u64, Access::Load)?;
        if let Some(v) = bus.ram.read_le::<N>(crate::addr::PhysAddr(pa)) {
            return Ok(v);
        }
        self.mmio_read(bus, pa, N as u8)
            .map_err(|_| Exception::LoadAccessFault(va))
    }

    /// Stores the low `N` bytes of `val` at `va` (the same split, and the same `now`, as
    /// [`Hart::load`]).
    #[inline(always)]
    pub(crate) fn store<const N: usize>(
        &mut self,
        bus: &mut Bus,
        va: u64,
        val: u64,
        now: u64,
    ) -> Result<(), Exception> {
        if self.store_hit::<N>(bus, va, val, now) {
            return Ok(());
        }
        self.store_miss::<N>(bus, va, val, now)
    }

    /// The first part of [`Hart::store`] (the cases of [`Hart::load_hit`]): true when it
    /// stored. A hit refills no TLB entry, so the fetch page stays; it may still lower
    /// `stop_at` (a store to a watched page of code, `after_ram_store`).
    #[inline(always)]
    pub(crate) fn store_hit<const N: usize>(
        &mut self,
        bus: &mut Bus,
        va: u64,
        val: u64,
        now: u64,
    ) -> bool {
        if va & (N as u64 - 1) != 0 {
            // Misaligned: the slow path performs or traps it.
        } else if self.data_direct() {
            let bytes: [u8; N] = val.to_le_bytes()[..N].try_into().unwrap_or([0; N]);
            if bus.ram.write::<N>(crate::addr::PhysAddr(va), bytes) {
                self.after_ram_store(va, N as u64);
                return true;
            }
        } else {
            // The MMU's fast path, whose pages are RAM.
            if let Some(pa) = self.mmu.fast_data(va, Access::Store, now * 4 + 2) {
                let bytes: [u8; N] = val.to_le_bytes()[..N].try_into().unwrap_or([0; N]);
                // SAFETY: fast-path pages are RAM ([`Hart::load`]).
                unsafe {
                    bus.ram
                        .write_unchecked::<N>(crate::addr::PhysAddr(pa), bytes)
                };
                self.after_ram_store(pa, N as u64);
                return true;
            }
        }
        false
    }

    /// The rest of [`Hart::store`], after [`Hart::store_hit`] missed.
    #[inline(always)]
    pub(crate) fn store_miss<const N: usize>(
        &mut self,
        bus: &mut Bus,
        va: u64,
        val: u64,
        now: u64,
    ) -> Result<(), Exception> {
        self.steps = now;
        self.store_slow::<N>(bus, va, val)
    }

    #[inline(never)]
    fn store_slow<const N: usize>(
        &mut self,
        bus: &mut Bus,
        va: u64,
        val: u64,
    ) -> Result<(), Exception> {
        if self.triggers.armed_data() {
            self.check_data_trigger(trigger::STORE, va, N as u64)?;
        }
        if va & (N as u64 - 1) != 0 {
            return match self.misaligned {
                Misaligned::Trap => Err(Exception::StoreAddressMisaligned(va)),
                Misaligned::Perform => self.store_misaligned(bus, va, N as u64, val),
            };
        }
        // The inlined part has asked the fast path already.
        let pa = match self.data_miss(bus, va, Access::Store, self.steps) {
            Some(pa) => pa,
            None => self.translate(bus, va, N as u64, Access::Store)?,
        };
        self.store_pa::<N>(bus, pa, val)
            .map_err(|_| Exception::StoreAccessFault(va))
    }

    /// A load or store trigger (`kind`) matching an access of `len` bytes at `va` raises a
    /// breakpoint exception with tval = `va`, before the access (timing "before"), and before
    /// any other exception of the access: address breakpoints come first among them
    /// (priv/machine.adoc, "Synchronous exception priority"). Triggers compare virtual
    /// addresses and the hart's privilege (not MPRV's).
    #[cold]
    pub(crate) fn check_data_trigger(&self, kind: u64, va: u64, len: u64) -> Result<(), Exception> {
        if self.triggers.fires(kind, self.prv, va, len) {
            return Err(Exception::Breakpoint(va));
        }
        Ok(())
    }

    /// Translates the parts of a misaligned access of `len` bytes at `va` (split at the page
    /// boundary, [`split_at_page`]): the first part's, then the second's, each through the
    /// MMU as an access of its own (TLB, walk, PMP, counters, trace records). Any fault is
    /// the fault of its part, with tval = the virtual address of that part's first byte
    /// (priv/machine.adoc, "Machine Trap Value Register": "the virtual address of the portion
    /// of the access that caused the fault"; QEMU 7.2 reports the same). Then both parts
    /// must be RAM (misaligned device accesses are access faults, which the same section
    /// allows). Returns `(va, pa, len)` of each part; the second has length 0 when the
    /// access stays on one page. Nothing has been read or written yet, so a fault on the
    /// second part leaves memory as it was.
    #[cold]
    fn misaligned_parts(
        &mut self,
        bus: &mut Bus,
        va: u64,
        len: u64,
        access: Access,
    ) -> Result<[(u64, u64, u64); 2], Exception> {
        let (n0, n1) = split_at_page(va, len);
        let va1 = va.wrapping_add(n0);
        let pa0 = self.translate(bus, va, n0, access)?;
        let pa1 = if n1 == 0 {
            0
        } else {
            self.translate(bus, va1, n1, access)?
        };
        let parts = [(va, pa0, n0), (va1, pa1, n1)];
        // Where `translate` consulted nothing (M-mode, `Pmp::m_mode_exempt`), PMP could not
        // object to an aligned access, but a part spanning two 8-byte granules may straddle
        // an entry's bound, and an entry matching only some of its bytes fails it even in
        // M-mode (priv/machine.adoc, "Priority and Matching Logic").
        let direct = self.data_priv() == Priv::M && self.pmp_m_exempt;
        for &(part_va, pa, n) in &parts {
            let pmp_ok = !direct || (pa & 7) + n <= 8 || self.mmu.pmp.check(pa, n, access, Priv::M);
            if n != 0 && (!pmp_ok || !bus.ram.contains(crate::addr::PhysAddr(pa), n)) {
                return Err(match access {
                    Access::Store => Exception::StoreAccessFault(part_va),
                    _ => Exception::LoadAccessFault(part_va),
                });
            }
        }
        Ok(parts)
    }

    /// A misaligned load of `len` bytes at `va`, performed ([`Hart::misaligned_parts`]).
    #[cold]
    #[inline(never)]
    fn load_misaligned(&mut self, bus: &mut Bus, va: u64, len: u64) -> Result<u64, Exception> {
        let parts = self.misaligned_parts(bus, va, len, Access::Load)?;
        let mut buf = [0u8; 8];
        let mut off = 0;
        for (_, pa, n) in parts {
            let n = n as usize;
            // Checked to be RAM by `misaligned_parts`.
            let _ = bus
                .ram
                .read_bytes(crate::addr::PhysAddr(pa), &mut buf[off..off + n]);
            off += n;
        }
        Ok(u64::from_le_bytes(buf))
    }

    /// A misaligned store of the low `len` bytes of `val` at `va`, performed
    /// ([`Hart::misaligned_parts`]): both parts are translated and checked before either is
    /// written, so a fault writes nothing.
    #[cold]
    #[inline(never)]
    fn store_misaligned(
        &mut self,
        bus: &mut Bus,
        va: u64,
        len: u64,
        val: u64,
    ) -> Result<(), Exception> {
        let parts = self.misaligned_parts(bus, va, len, Access::Store)?;
        let bytes = val.to_le_bytes();
        let mut off = 0;
        for (_, pa, n) in parts {
            if n == 0 {
                continue;
            }
            let end = off + n as usize;
            // Checked to be RAM by `misaligned_parts`.
            let _ = bus
                .ram
                .write_bytes(crate::addr::PhysAddr(pa), &bytes[off..end]);
            self.after_ram_store_range(pa, n);
            off = end;
        }
        Ok(())
    }

    /// [`Hart::after_ram_store`] for a store of `len` bytes at `pa` on one page, which may
    /// cover two reservation granules (a misaligned store).
    fn after_ram_store_range(&mut self, pa: u64, len: u64) {
        let (first, last) = (pa & !7, (pa + len - 1) & !7);
        if (first..=last).contains(&self.reservation) {
            self.reservation = NO_RESERVATION;
        }
        if self.icache.note_store(pa, len) {
            self.request_event_check();
        }
    }

    /// Keeps the LR reservation and the decoded-instruction cache coherent with a RAM store.
    #[inline(always)]
    fn after_ram_store(&mut self, pa: u64, len: u64) {
        if pa & !7 == self.reservation {
            self.reservation = NO_RESERVATION;
        }
        if self.icache.note_store(pa, len) {
            self.request_event_check();
        }
    }

    /// [`Hart::after_ram_store`] for the RAM ranges devices wrote, page by page.
    #[cold]
    #[inline(never)]
    fn after_device_writes(&mut self, bus: &mut Bus) {
        bus.drain_device_writes(|pa, len| {
            let end = pa.0 + len;
            let mut a = pa.0;
            while a < end {
                let n = (4096 - (a & 0xfff)).min(end - a);
                self.after_ram_store(a, n);
                a += n;
            }
        });
    }

    /// Stores at a physical address: RAM (with the decode cache and reservation kept
    /// coherent), else a device.
    #[inline(always)]
    pub(crate) fn store_pa<const N: usize>(
        &mut self,
        bus: &mut Bus,
        pa: u64,
        val: u64,
    ) -> Result<(), ()> {
        let bytes: [u8; N] = val.to_le_bytes()[..N].try_into().unwrap_or([0; N]);
        if bus.ram.write::<N>(crate::addr::PhysAddr(pa), bytes) {
            self.after_ram_store(pa, N as u64);
            return Ok(());
        }
        let now = self.mtime();
        bus.write(crate::addr::PhysAddr(pa), N as u8, val, now)
            .map_err(|_| ())?;
        // A device (virtio-blk) may have written guest RAM: code or a reserved word there.
        if bus.has_device_writes() {
            self.after_device_writes(bus);
        }
        // A device write may raise or lower an interrupt line or re-arm the timer.
        self.request_event_check();
        Ok(())
    }

    fn mmio_read(&mut self, bus: &mut Bus, pa: u64, size: u8) -> Result<u64, ()> {
        let now = self.mtime();
        let v = bus
            .read(crate::addr::PhysAddr(pa), size, now)
            .map_err(|_| ())?;
        // Reads can have side effects too (UART receive, PLIC claim).
        self.request_event_check();
        Ok(v)
    }
}

/// Where a trap enters its handler: BASE, or BASE + 4 × cause for interrupts in vectored
/// mode (priv/machine.adoc, "Machine Trap-Vector Base-Address Register (mtvec)").
fn trap_target(tvec: u64, code: u64, interrupt: bool) -> u64 {
    let base = tvec & !3;
    if interrupt && tvec & 3 == 1 {
        base + 4 * code
    } else {
        base
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::addr::PhysAddr;
    use crate::bus::RAM_BASE;
    use crate::machine::{Machine, MachineConfig};

    #[test]
    fn split_at_page_boundaries() {
        assert_eq!(split_at_page(0x1000, 8), (8, 0));
        assert_eq!(split_at_page(0x1ff9, 8), (7, 1));
        assert_eq!(split_at_page(0x1ffd, 8), (3, 5));
        assert_eq!(split_at_page(0x1fff, 2), (1, 1));
        assert_eq!(split_at_page(0x1ff8, 8), (8, 0));
        assert_eq!(split_at_page(u64::MAX, 4), (1, 3));
    }

    fn machine(misaligned: Misaligned) -> Machine {
        let cfg = MachineConfig {
            mem_size: 1 << 20,
            misaligned,
            ..MachineConfig::capture(Vec::new())
        };
        let mut m = Machine::new(cfg).expect("machine");
        let bytes: Vec<u8> = (0..32u8).map(|i| 0x80 | i).collect();
        m.bus.ram.write_bytes(PhysAddr(RAM_BASE), &bytes).unwrap();
        m
    }

    #[test]
    fn misaligned_loads_and_stores_are_performed_in_m_mode() {
        let mut m = machine(Misaligned::Perform);
        let (h, bus) = (&mut m.hart, &mut m.bus);
        assert_eq!(h.load::<8>(bus, RAM_BASE + 3, 0), Ok(0x8a89_8887_8685_8483));
        assert_eq!(h.load::<2>(bus, RAM_BASE + 1, 0), Ok(0x8281));
        h.store::<4>(bus, RAM_BASE + 6, 0x1122_3344, 0).unwrap();
        let mut out = [0u8; 6];
        bus.ram
            .read_bytes(PhysAddr(RAM_BASE + 5), &mut out)
            .unwrap();
        assert_eq!(out, [0x85, 0x44, 0x33, 0x22, 0x11, 0x8a]);
    }

    #[test]
    fn a_store_whose_second_part_faults_writes_nothing() {
        let mut m = machine(Misaligned::Perform);
        let end = RAM_BASE + (1 << 20);
        let (h, bus) = (&mut m.hart, &mut m.bus);
        bus.ram
            .write_bytes(PhysAddr(end - 4), &[1, 2, 3, 4])
            .unwrap();
        // The last 4 bytes of RAM, then 4 bytes past its end (its own page): the second
        // part is an access fault with the address of its first byte.
        assert_eq!(
            h.store::<8>(bus, end - 4, u64::MAX, 0),
            Err(Exception::StoreAccessFault(end))
        );
        assert_eq!(bus.ram.read_le::<4>(PhysAddr(end - 4)), Some(0x0403_0201));
        assert_eq!(
            h.load::<8>(bus, end - 4, 0),
            Err(Exception::LoadAccessFault(end))
        );
    }

    #[test]
    fn an_m_mode_part_straddling_a_pmp_bound_is_an_access_fault() {
        let mut m = machine(Misaligned::Perform);
        let (h, bus) = (&mut m.hart, &mut m.bus);
        // Entry 0: TOR up to RAM_BASE + 8, RWX, unlocked: M-mode stays "exempt".
        h.csr_write(num::PMPADDR0, (RAM_BASE + 8) >> 2).unwrap();
        h.csr_write(num::PMPCFG0, 0x0f).unwrap();
        assert!(h.pmp_m_exempt);
        assert_eq!(
            h.load::<8>(bus, RAM_BASE + 4, 0),
            Err(Exception::LoadAccessFault(RAM_BASE + 4)),
            "entry 0 matches bytes 4-7 only"
        );
        assert_eq!(h.load::<4>(bus, RAM_BASE + 2, 0), Ok(0x8584_8382));
        assert_eq!(h.load::<4>(bus, RAM_BASE + 9, 0), Ok(0x8c8b_8a89));
    }

    #[test]
    fn trap_mode_raises_address_misaligned() {
        let mut m = machine(Misaligned::Trap);
        let (h, bus) = (&mut m.hart, &mut m.bus);
        assert_eq!(
            h.load::<4>(bus, RAM_BASE + 2, 0),
            Err(Exception::LoadAddressMisaligned(RAM_BASE + 2))
        );
        assert_eq!(
            h.store::<2>(bus, RAM_BASE + 5, 0, 0),
            Err(Exception::StoreAddressMisaligned(RAM_BASE + 5))
        );
        assert_eq!(bus.ram.read_le::<1>(PhysAddr(RAM_BASE + 5)), Some(0x85));
    }

    #[test]
    fn an_armed_data_trigger_sees_direct_m_mode_accesses() {
        let mut m = machine(Misaligned::Perform);
        let (h, bus) = (&mut m.hart, &mut m.bus);
        h.csr_write(num::TCONTROL, trigger::MTE).unwrap();
        h.csr_write(num::TDATA2, RAM_BASE + 8).unwrap();
        let cfg = trigger::TYPE_MCONTROL << 60 | trigger::M | trigger::STORE;
        h.csr_write(num::TDATA1, cfg).unwrap();
        assert!(!h.data_direct(), "armed: no direct path");
        assert_eq!(
            h.store::<8>(bus, RAM_BASE + 8, 0, 0),
            Err(Exception::Breakpoint(RAM_BASE + 8))
        );
        assert_eq!(bus.ram.read_le::<1>(PhysAddr(RAM_BASE + 8)), Some(0x88));
        assert_eq!(h.load::<8>(bus, RAM_BASE + 8, 0), Ok(0x8f8e_8d8c_8b8a_8988));
        h.csr_write(num::TDATA1, 0).unwrap();
        assert!(h.data_direct(), "disarmed: direct again");
    }

    /// Satp Bare in U-mode: a page PMP is uniform over is served by the MMU's fast path
    /// (no TLB counter moves), and every PMP write takes effect at the next access.
    #[test]
    fn bare_u_mode_pages_take_the_fast_path_until_pmp_changes() {
        use crate::mmu::{fast::NO_SLOT, Access};
        let mut m = machine(Misaligned::Perform);
        let (h, bus) = (&mut m.hart, &mut m.bus);
        let (lo, hi) = (RAM_BASE + 0x2000, RAM_BASE + 0x4000);
        const TOR_R: u64 = 0x09;
        const TOR_RW: u64 = 0x0b;
        h.csr_write(num::PMPADDR0, lo >> 2).unwrap();
        h.csr_write(num::PMPADDR0 + 1, hi >> 2).unwrap();
        h.csr_write(num::PMPCFG0, TOR_RW << 8).unwrap();
        h.prv = Priv::U;
        h.refresh_data_path();
        assert_eq!(h.store::<8>(bus, lo + 8, 7, 0), Ok(()));
        assert_eq!(
            h.mmu.fast.lookup(lo + 16, Access::Load),
            Some((lo + 16, NO_SLOT))
        );
        assert_eq!(
            h.mmu.fast.lookup(lo + 16, Access::Store),
            Some((lo + 16, NO_SLOT))
        );
        assert_eq!(h.load::<8>(bus, lo + 8, 1), Ok(7));
        let t = h.mmu.tlb.stats();
        assert_eq!(t.load.lookups + t.store.lookups, 0, "{t:?}");
        // W taken away: the store faults at once, the load still works.
        h.csr_write(num::PMPCFG0, TOR_R << 8).unwrap();
        assert_eq!(h.mmu.fast.lookup(lo + 16, Access::Store), None);
        assert_eq!(
            h.store::<8>(bus, lo + 8, 9, 2),
            Err(Exception::StoreAccessFault(lo + 8))
        );
        assert_eq!(h.load::<8>(bus, lo + 8, 3), Ok(7));
        // The segment gone: no entry matches, the load faults.
        h.csr_write(num::PMPCFG0, 0).unwrap();
        assert_eq!(
            h.load::<8>(bus, lo + 8, 4),
            Err(Exception::LoadAccessFault(lo + 8))
        );
        // A segment ending inside a page: allowed below the bound, but not cached.
        h.csr_write(num::PMPADDR0 + 1, (lo + 0x800) >> 2).unwrap();
        h.csr_write(num::PMPCFG0, TOR_RW << 8).unwrap();
        assert_eq!(h.load::<8>(bus, lo + 8, 5), Ok(7));
        assert_eq!(h.mmu.fast.lookup(lo + 8, Access::Load), None);
        assert_eq!(
            h.load::<8>(bus, lo + 0x800, 6),
            Err(Exception::LoadAccessFault(lo + 0x800))
        );
    }
}
