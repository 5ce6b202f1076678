//! The instruction loop: fetch through the decoded-instruction cache, execute, trap.
//!
//! This is the emulator's hot path. One iteration is: compare the pc's page with the page
//! being executed, read a decoded slot, `match` on its operation, and bump the step counter.
//! No allocation, no dynamic dispatch, no interrupt polling: interrupts, timers and exits are
//! looked at only when `steps` reaches `stop_at`, which every event source lowers (a CSR write
//! that may enable an interrupt, a device access, the timer deadline, `--max-insns`).

use super::csr::{ms, num};
use super::decode::{decode, out_of_line_ops, Insn, Op, REG_MASK};
use super::trap::{irq::*, Exception};
use super::{fpu, Halt, Hart, Priv, INSNS_PER_MTIME_TICK};
use crate::addr::PhysAddr;
use crate::bus::{Bus, Ram};
use crate::mmu::Access;

/// Where instructions may be fetched from besides RAM (physical memory attributes: only RAM
/// and the boot ROM are executable).
const ROM: core::ops::Range<u64> =
    crate::bus::ROM_BASE..crate::bus::ROM_BASE + crate::bus::ROM_SIZE;

impl Hart {
    /// Runs until `steps` reaches `stop_at`.
    ///
    /// Not inlined into the machine's run loop: on its own the loop gets a register
    /// allocation of its own instead of sharing one with the event processing around it.
    #[inline(never)]
    pub(crate) fn run_fast(&mut self, bus: &mut Bus) {
        // Loads and stores read fast-path pages unchecked (see `Hart::load`): they must have
        // been checked against this RAM, which the MMU makes sure of here.
        self.mmu.bind_ram(&bus.ram);
        // pc and the step count live in registers here and are passed to `execute`; `self.pc`
        // and `self.steps` are stored only where something reads them: before the slow fetch
        // path, before a trap is taken, on leaving the loop, and (steps) before the
        // out-of-line parts of `execute` (`execute_rare`, the slow paths of loads and
        // stores), which store it themselves. Nothing else `execute` reaches reads them:
        // loads and stores translate without pc (only a fetch's translation compares with
        // it), and devices never see it. Storing both per instruction put two stores right
        // before the next slot's loads (measured when this loop was tuned; git's history of docs/PERFORMANCE.md).
        let mut pc = self.pc;
        let mut steps = self.steps;
        while steps < self.stop_at {
            // An undecoded slot (or the static one off the fast path's page) is dispatched like
            // any operation: `execute`'s arm for it takes the slow fetch path (`step_slow`),
            // so the jump table alone tells the two apart, with no test before it.
            let slot = self.icache.fast_slot_ptr(pc);
            // Counted after it runs, on each outcome's own path: one register for the count
            // (counting first kept both the old and the new count live, and a copy per
            // instruction).
            match self.execute(bus, slot, pc, steps) {
                Ok(next) => {
                    pc = next;
                    steps += 1;
                }
                Err(e) => {
                    steps += 1;
                    self.pc = pc;
                    self.steps = steps;
                    self.traps += 1;
                    self.take_exception(e);
                    pc = self.pc;
                    // The same value (taking a trap does not count steps), reloaded so that
                    // the count is not a plain induction variable: otherwise LLVM derives the
                    // fast path's stamp `steps * 4 + 2` as a second one, incremented per
                    // instruction whether or not it is used.
                    steps = self.steps;
                }
            }
        }
        self.pc = pc;
        self.steps = steps;
    }

    /// The same as [`Hart::run_fast`] one instruction at a time, writing a record of each
    /// retired instruction to the hart's tracer when `insns` (`crate::trace`,
    /// docs/TRACING.md: count, privilege, pc, raw bits, disassembly), and checking execute
    /// triggers before each instruction (the machine runs this loop while one is armed).
    pub(crate) fn run_traced(&mut self, bus: &mut Bus, insns: bool) {
        self.mmu.bind_ram(&bus.ram); // as in `run_fast`
        while self.steps < self.stop_at {
            let (pc, prv, count) = (self.pc, self.prv, self.instret());
            // An instruction address breakpoint comes before everything else the
            // instruction could raise, its fetch's faults included (priv/machine.adoc,
            // "Synchronous exception priority"); timing "before": it does not execute.
            let fetched = if self.triggers.armed_exec()
                && self.triggers.fires(super::trigger::EXECUTE, prv, pc, 1)
            {
                // Nothing was fetched: the fetch run (`mmu::fast`), which counts every
                // instruction since it opened as a fetch from its page, ends before this one.
                self.mmu.end_fetch_run(self.steps.saturating_sub(1));
                self.icache.forget_fetch_page();
                Err(Exception::Breakpoint(pc))
            } else {
                self.fetch(bus)
            };
            let res = match fetched {
                Ok(insn) => {
                    let now = self.steps;
                    self.execute(bus, &insn, pc, now).map(|next| self.pc = next)
                }
                Err(e) => Err(e),
            };
            self.steps += 1;
            match res {
                Ok(()) if insns => {
                    let raw = fetched.map_or(0, |insn| insn.raw);
                    if let Some(t) = self.tracer.as_deref_mut() {
                        t.instruction(count, prv, pc, raw);
                    }
                }
                Ok(()) => {}
                Err(e) => {
                    self.traps += 1;
                    self.take_exception(e);
                }
            }
        }
    }

    /// What `execute` does with an undecoded slot in the run loop: the instruction at `pc`,
    /// at step `now`, by [`Hart::step`] (which counts it, and takes its trap if it raises
    /// one); returns the pc after it. The caller counts the step again in its register,
    /// which then equals `self.steps`.
    #[cold]
    #[inline(never)]
    pub(super) fn step_slow(&mut self, bus: &mut Bus, pc: u64, now: u64) -> u64 {
        self.pc = pc;
        self.steps = now;
        self.step(bus);
        debug_assert_eq!(self.steps, now + 1);
        self.pc
    }

    /// What the block engine does at an undecoded slot that [`Hart::switch_fetch_page`]
    /// could not serve: the slow fetch of the instruction at `pc`, step `now`, as
    /// [`Hart::step`] begins (translated, counted and decoded into its page's slot, the
    /// page made the fetch page). When that leaves the instruction decoded on the fetch
    /// page, returns None: the caller's next run starts there (and may be a compiled
    /// region), executing it exactly as `step` would have, with nothing fetched twice.
    /// Otherwise (a fault, an instruction crossing pages, the boot ROM, a page the fetch
    /// path does not keep) finishes the step, and returns the pc after it.
    #[cold]
    #[inline(never)]
    pub(super) fn fetch_or_step(&mut self, bus: &mut Bus, pc: u64, now: u64) -> Option<u64> {
        self.pc = pc;
        self.steps = now;
        let fetched = self.fetch(bus);
        if fetched.is_ok() && self.icache.fast_slot(pc).is_some() {
            return None;
        }
        self.finish_step(bus, fetched);
        Some(self.pc)
    }

    /// Executes one instruction (or takes the trap it raises) by the slow fetch path.
    #[inline(never)]
    fn step(&mut self, bus: &mut Bus) {
        let fetched = self.fetch(bus);
        self.finish_step(bus, fetched);
    }

    /// The rest of [`Hart::step`] once the instruction at pc is `fetched`: executed (or
    /// its trap taken) and counted.
    #[inline(always)]
    fn finish_step(&mut self, bus: &mut Bus, fetched: Result<Insn, Exception>) {
        let res = match fetched {
            Ok(insn) => {
                let (pc, now) = (self.pc, self.steps);
                self.execute(bus, &insn, pc, now).map(|next| self.pc = next)
            }
            Err(e) => Err(e),
        };
        self.steps += 1;
        if let Err(e) = res {
            self.traps += 1;
            self.take_exception(e);
        }
    }

    /// Fetches the decoded instruction at pc.
    #[inline(always)]
    fn fetch(&mut self, bus: &mut Bus) -> Result<Insn, Exception> {
        match self.icache.fast_slot(self.pc) {
            Some(insn) => Ok(insn),
            None => self.fetch_slow(bus),
        }
    }

    /// Translates pc, finds (or decodes into) its slot, and makes its page the fast path's.
    #[cold]
    fn fetch_slow(&mut self, bus: &mut Bus) -> Result<Insn, Exception> {
        let pc = self.pc;
        let (idx, pa, direct) = if let Some((pa_page, slot)) = self.mmu.remembered_fetch_page(pc) {
            // A page fetched from before whose translation the MMU vouches for: what the
            // translation below would do, without the TLB search (`Mmu::switch_fetch_run`).
            let idx = self.icache.page_for(pa_page);
            self.enter_fetch_page(pc, slot, idx);
            (idx, pa_page | (pc & 0xfff), false)
        } else {
            // The instructions since the fetch run began, up to the previous one, were
            // fetched from its page: count them as the TLB hits they were.
            self.mmu.end_fetch_run(self.steps.saturating_sub(1));
            let t = self.translate_full(bus, pc, 2, Access::Fetch)?;
            let pa = t.pa;
            if !bus.ram.contains(PhysAddr(pa), 2) {
                return self.fetch_uncached(bus, pc, pa);
            }
            let idx = self.icache.page_for(pa);
            // The fast path may remember the page where a fetch needs neither the TLB nor
            // PMP (then skipping them changes nothing the guest or the counters could see),
            // or, under translation, where the MMU ties the page to a TLB entry and counts
            // the fetches made there as hits on it (`mmu::fast`: exact counters and LRU
            // order).
            let direct = self.fetch_is_direct();
            if direct {
                self.icache.set_fetch_page(pc & !0xfff, idx);
            } else if let Some(slot) = t.fetch_slot {
                self.icache.set_fetch_page(pc & !0xfff, idx);
                self.mmu.open_fetch_run(slot, pc & !0xfff, self.steps);
            } else if t.fetch_bare {
                // Paging off, PMP uniform over the page and allowing fetches: nothing to
                // count, and the page is forgotten wherever the privilege, satp or PMP
                // changes.
                self.icache.set_fetch_page(pc & !0xfff, idx);
            }
            (idx, pa, direct)
        };
        let cached = self.icache.slot(idx, pa);
        if !matches!(cached.op, Op::Undecoded | Op::CrossPage) {
            return Ok(cached);
        }
        let lo = bus.ram.read_le::<2>(PhysAddr(pa)).unwrap_or_default() as u32;
        if lo & 3 != 3 {
            let insn = decode(lo);
            self.icache.fill(idx, pa, insn);
            return Ok(insn);
        }
        if pa & 0xfff == 0xffe {
            // The upper parcel lives on the next page, whose translation may differ: decode
            // every time, never cache (priv/supervisor.adoc lets each parcel fault on its own;
            // the trap value is then the address of the parcel that faulted).
            self.icache.fill(
                idx,
                pa,
                Insn {
                    op: Op::CrossPage,
                    ..Insn::UNDECODED
                },
            );
            let hi = self.fetch_parcel(bus, pc.wrapping_add(2))?;
            return Ok(decode(lo | hi << 16));
        }
        if !direct && !self.mmu.pmp.check(pa + 2, 2, Access::Fetch, self.prv) {
            return Err(Exception::InstructionAccessFault(pc.wrapping_add(2)));
        }
        let hi = bus.ram.read_le::<2>(PhysAddr(pa + 2)).unwrap_or_default() as u32;
        let insn = decode(lo | hi << 16);
        self.icache.fill(idx, pa, insn);
        Ok(insn)
    }

    /// Makes the remembered page of `pc` (TLB slot `slot` or `NO_SLOT`, decoded page `idx`)
    /// the fetch page, for this instruction's fetch (`self.steps`): the MMU counts what the
    /// translation would have ([`crate::mmu::Mmu::switch_fetch_run`]).
    #[inline(always)]
    pub(super) fn enter_fetch_page(&mut self, pc: u64, slot: usize, idx: usize) {
        self.mmu.switch_fetch_run(pc & !0xfff, slot, self.steps);
        self.icache.set_fetch_page(pc & !0xfff, idx);
    }

    /// The block engine's cheap change of code page: when `pc` lies off the fetch page, on
    /// a page whose slot for pc is decoded, and the MMU either remembers the page
    /// ([`crate::mmu::Mmu::remembered_fetch_page`]) or serves the fetch by its common
    /// translation ([`crate::mmu::Mmu::fetch_miss`]: a TLB hit, or a common miss walked and
    /// refilled), makes that page the fetch page for instruction `now`'s fetch, counted as
    /// the slow fetch path would count it, and returns true: the engine then runs on from
    /// pc's slot instead of stepping through [`Hart::step_slow`], which would do the same
    /// translation and the same instruction, only slower. Otherwise changes nothing the
    /// model or the guest can see and returns false.
    #[inline(never)]
    pub(super) fn switch_fetch_page(&mut self, pc: u64, now: u64, ram: &Ram) -> bool {
        // On the fetch page (an undecoded slot there, or a page-crossing instruction), or
        // an odd pc (which no tag matches): the slow step decides.
        if pc & !0xffe == self.icache.fetch_tag || pc & 1 != 0 {
            return false;
        }
        let remembered = self.mmu.remembered_fetch_page(pc);
        let pa_page = match remembered {
            Some((pa_page, _)) => pa_page,
            // Fetches that need neither translation nor PMP (M-mode, `fetch_is_direct`)
            // read RAM at pc itself: the slow path's translation would only say so.
            None if self.fetch_is_direct() && self.icache.holds(pc) => pc & !0xfff,
            None => return self.switch_fetch_miss(pc, now, ram),
        };
        // Creating the decoded page is invisible to the guest and the counters.
        let Some(idx) = self.icache.decoded_page(pa_page, pc) else {
            return false; // to be decoded (or read across pages) by the slow path
        };
        self.steps = now;
        match remembered {
            Some((_, slot)) => self.enter_fetch_page(pc, slot, idx),
            None => {
                // What `fetch_slow` does for a direct fetch: the old run's fetches counted,
                // the page made the fetch page, no TLB involved.
                self.mmu.end_fetch_run(now.saturating_sub(1));
                self.icache.set_fetch_page(pc & !0xfff, idx);
            }
        }
        true
    }

    /// [`Hart::switch_fetch_page`] to a page the MMU does not remember: by the common
    /// translation of the fetch, if it serves it and pc's slot there is decoded.
    #[cold]
    fn switch_fetch_miss(&mut self, pc: u64, now: u64, ram: &Ram) -> bool {
        let icache = &mut self.icache;
        let found = self
            .mmu
            .fetch_miss(pc, self.csr.satp, self.prv, now, ram, |pa_page| {
                icache.decoded_page(pa_page, pc)
            });
        let Some((_, idx)) = found else {
            return false;
        };
        self.steps = now;
        self.icache.set_fetch_page(pc & !0xfff, idx);
        true
    }

    /// Fetch from outside RAM (the boot ROM): no caching; anything else is an access fault.
    fn fetch_uncached(&mut self, bus: &mut Bus, pc: u64, pa: u64) -> Result<Insn, Exception> {
        self.icache.forget_fetch_page();
        let lo = self.rom_parcel(bus, pc, pa)?;
        if lo & 3 != 3 {
            return Ok(decode(lo));
        }
        let hi = self.fetch_parcel(bus, pc.wrapping_add(2))?;
        Ok(decode(lo | hi << 16))
    }

    fn fetch_parcel(&mut self, bus: &mut Bus, va: u64) -> Result<u32, Exception> {
        let pa = self.translate(bus, va, 2, Access::Fetch)?;
        match bus.ram.read_le::<2>(PhysAddr(pa)) {
            Some(v) => Ok(v as u32),
            None => self.rom_parcel(bus, va, pa),
        }
    }

    fn rom_parcel(&mut self, bus: &mut Bus, va: u64, pa: u64) -> Result<u32, Exception> {
        if !ROM.contains(&pa) {
            return Err(Exception::InstructionAccessFault(va));
        }
        let now = self.mtime();
        bus.read(PhysAddr(pa), 2, now)
            .map(|v| v as u32)
            .map_err(|_| Exception::InstructionAccessFault(va))
    }

    /// Executes the decoded instruction in `slot` at `pc` and returns the next pc; on a trap,
    /// the caller stores `pc` to `self.pc` before taking it. `now` is the step count before
    /// this instruction; `self.pc` and `self.steps` may be stale here: what reads them stores
    /// them first (WFI the next pc; `execute_rare` and the slow paths of loads and stores the
    /// count). `slot` must point at a live `Insn` that
    /// nothing changes before this returns except a store by this very instruction (which only
    /// marks the slot undecoded, after its fields have been read).
    ///
    /// A pointer, not a value: the fields the common operations need are read one by one
    /// into registers, and the rest (`raw`) only by the out-of-line arms, so the hot arms have
    /// fewer live values (a by-value `Insn` was loaded whole and its fields spilled).
    #[inline(always)]
    fn execute(
        &mut self,
        bus: &mut Bus,
        slot: *const Insn,
        pc: u64,
        now: u64,
    ) -> Result<u64, Exception> {
        // SAFETY: the caller's contract above; these reads come before anything this
        // instruction does.
        let (op, rd8, rs1, rs2, imm32, len) = unsafe {
            let i = &*slot;
            (i.op, i.rd, i.rs1, i.rs2, i.imm, i.len)
        };
        let rd = (rd8 & REG_MASK) as usize;
        let a = self.x[(rs1 & REG_MASK) as usize];
        let b = self.x[(rs2 & REG_MASK) as usize];
        let imm = imm32 as i64 as u64;
        // A predicted branch on the length, not `pc + len`: the next fetch then does not
        // wait for this slot's load.
        let mut next = if len == 4 {
            pc.wrapping_add(4)
        } else {
            compressed_next(pc)
        };
        let sh = imm32 as u32;
        macro_rules! set {
            ($v:expr) => {
                self.x[rd] = $v
            };
        }
        macro_rules! branch {
            ($cond:expr) => {
                if $cond {
                    next = pc.wrapping_add(imm)
                }
            };
        }
        let sext32 = |v: u32| v as i32 as i64 as u64;
        match op {
            Op::Lui => set!(imm),
            Op::Auipc => set!(pc.wrapping_add(imm)),
            Op::Jal => {
                set!(next);
                next = pc.wrapping_add(imm);
            }
            Op::Jalr => {
                // The target is computed before rd is written (rd may equal rs1).
                let t = a.wrapping_add(imm) & !1;
                set!(next);
                next = t;
            }
            Op::Li => set!(imm),
            Op::Mv => set!(a),
            Op::Beqz => branch!(a == 0),
            Op::Bnez => branch!(a != 0),
            Op::Beq => branch!(a == b),
            Op::Bne => branch!(a != b),
            Op::Blt => branch!((a as i64) < (b as i64)),
            Op::Bge => branch!((a as i64) >= (b as i64)),
            Op::Bltu => branch!(a < b),
            Op::Bgeu => branch!(a >= b),
            Op::Lb => set!(self.load::<1>(bus, a.wrapping_add(imm), now)? as i8 as i64 as u64),
            Op::Lh => set!(self.load::<2>(bus, a.wrapping_add(imm), now)? as i16 as i64 as u64),
            Op::Lw => set!(self.load::<4>(bus, a.wrapping_add(imm), now)? as i32 as i64 as u64),
            Op::Ld => set!(self.load::<8>(bus, a.wrapping_add(imm), now)?),
            Op::Lbu => set!(self.load::<1>(bus, a.wrapping_add(imm), now)?),
            Op::Lhu => set!(self.load::<2>(bus, a.wrapping_add(imm), now)?),
            Op::Lwu => set!(self.load::<4>(bus, a.wrapping_add(imm), now)?),
            Op::Sb => self.store::<1>(bus, a.wrapping_add(imm), b, now)?,
            Op::Sh => self.store::<2>(bus, a.wrapping_add(imm), b, now)?,
            Op::Sw => self.store::<4>(bus, a.wrapping_add(imm), b, now)?,
            Op::Sd => self.store::<8>(bus, a.wrapping_add(imm), b, now)?,
            Op::Addi => set!(a.wrapping_add(imm)),
            Op::Slti => set!(((a as i64) < (imm as i64)) as u64),
            Op::Sltiu => set!((a < imm) as u64),
            Op::Xori => set!(a ^ imm),
            Op::Ori => set!(a | imm),
            Op::Andi => set!(a & imm),
            Op::Slli => set!(a << sh),
            Op::Srli => set!(a >> sh),
            Op::Srai => set!(((a as i64) >> sh) as u64),
            Op::Add => set!(a.wrapping_add(b)),
            Op::Sub => set!(a.wrapping_sub(b)),
            Op::Sll => set!(a << (b & 63)),
            Op::Slt => set!(((a as i64) < (b as i64)) as u64),
            Op::Sltu => set!((a < b) as u64),
            Op::Xor => set!(a ^ b),
            Op::Srl => set!(a >> (b & 63)),
            Op::Sra => set!(((a as i64) >> (b & 63)) as u64),
            Op::Or => set!(a | b),
            Op::And => set!(a & b),
            Op::Addiw => set!(sext32((a as u32).wrapping_add(imm as u32))),
            Op::Slliw => set!(sext32((a as u32) << sh)),
            Op::Srliw => set!(sext32((a as u32) >> sh)),
            Op::Sraiw => set!(((a as i32) >> sh) as i64 as u64),
            Op::Addw => set!(sext32((a as u32).wrapping_add(b as u32))),
            Op::Subw => set!(sext32((a as u32).wrapping_sub(b as u32))),
            Op::Sllw => set!(sext32((a as u32) << (b & 31))),
            Op::Srlw => set!(sext32((a as u32) >> (b & 31))),
            Op::Sraw => set!(((a as i32) >> (b & 31)) as i64 as u64),
            // M (unpriv/m-st-ext.adoc, "Division Operations": the table of division by zero
            // and overflow results is what wrapping_div/rem and the zero checks produce).
            Op::Mul => set!(a.wrapping_mul(b)),
            // Only from the run loop: fetches hand out decoded instructions.
            Op::Undecoded | Op::CrossPage => return Ok(self.step_slow(bus, pc, now)),
            // Everything else is out of line, so its needs (`raw`, calls) do not add to the
            // values live across the hot arms. Listed rather than `_`: with every value of
            // `Op` named, the jump table covers the whole enum and needs no range check.
            out_of_line_ops!()
            | Op::Mulh
            | Op::Mulhsu
            | Op::Mulhu
            | Op::Div
            | Op::Divu
            | Op::Rem
            | Op::Remu
            | Op::Mulw
            | Op::Divw
            | Op::Divuw
            | Op::Remw
            | Op::Remuw => {
                // It reads the count (CSRs, the clock, the MMU's stamps).
                self.steps = now;
                return self.execute_rare(bus, slot, pc);
            }
        }
        Ok(next)
    }

    /// The less common operations of [`Hart::execute`] (same contract, except that
    /// `self.steps` is current).
    #[inline(never)]
    pub(super) fn execute_rare(
        &mut self,
        bus: &mut Bus,
        slot: *const Insn,
        pc: u64,
    ) -> Result<u64, Exception> {
        // SAFETY: as in `execute`, which calls this before doing anything else.
        let Insn {
            op,
            rd: rd8,
            rs1,
            rs2,
            imm: imm32,
            raw,
            len,
        } = unsafe { *slot };
        let rd = (rd8 & REG_MASK) as usize;
        let a = self.x[(rs1 & REG_MASK) as usize];
        let b = self.x[(rs2 & REG_MASK) as usize];
        let imm = imm32 as i64 as u64;
        let mut next = pc.wrapping_add(len as u64);
        macro_rules! set {
            ($v:expr) => {
                self.x[rd] = $v
            };
        }
        match op {
            Op::Mulh => set!(mulh(a, b)),
            Op::Mulhsu => set!(mulhsu(a, b)),
            Op::Mulhu => set!(mulhu(a, b)),
            Op::Div => set!(div(a, b)),
            Op::Divu => set!(divu(a, b)),
            Op::Rem => set!(rem(a, b)),
            Op::Remu => set!(remu(a, b)),
            Op::Mulw => set!(mulw(a, b)),
            Op::Divw => set!(divw(a, b)),
            Op::Divuw => set!(divuw(a, b)),
            Op::Remw => set!(remw(a, b)),
            Op::Remuw => set!(remuw(a, b)),
            Op::Fence => {}
            // The decode cache is kept coherent with every store, so there is nothing stale
            // to discard (see icache.rs).
            Op::FenceI => {}
            Op::Ecall => {
                return Err(match self.prv {
                    Priv::U => Exception::EnvironmentCallFromU,
                    Priv::S => Exception::EnvironmentCallFromS,
                    Priv::M => Exception::EnvironmentCallFromM,
                })
            }
            // mtval = the address of the EBREAK (priv/machine.adoc, "Machine Trap Value").
            Op::Ebreak => return Err(Exception::Breakpoint(pc)),
            Op::Csrrw | Op::Csrrs | Op::Csrrc | Op::Csrrwi | Op::Csrrsi | Op::Csrrci => {
                self.exec_csr(op, rd8, rs1, imm32, raw)?
            }
            Op::Mret => next = self.exec_mret(raw)?,
            Op::Sret => next = self.exec_sret(raw)?,
            Op::Wfi => {
                // priv/machine.adoc, "Wait for Interrupt": illegal in U-mode (S-mode exists),
                // and in S-mode when mstatus.TW = 1 (our time limit is zero).
                if self.prv == Priv::U || (self.prv == Priv::S && self.csr.mstatus & ms::TW != 0) {
                    return Err(Exception::IllegalInstruction(raw as u64));
                }
                self.pc = next;
                self.wait_for_interrupt(bus);
                return Ok(next);
            }
            Op::SfenceVma => {
                if self.prv == Priv::U || (self.prv == Priv::S && self.csr.mstatus & ms::TVM != 0) {
                    return Err(Exception::IllegalInstruction(raw as u64));
                }
                // rs1 = x0: every address; rs2 = x0: every address space (priv/supervisor.adoc,
                // "Supervisor Memory-Management Fence Instruction").
                let va = (rs1 != 0).then_some(a);
                let asid = (rs2 != 0).then_some(b as u16);
                self.mmu.sfence_vma(va, asid, self.steps);
                self.icache.forget_fetch_page();
            }
            Op::LrW | Op::LrD => {
                let w = if op == Op::LrW { 4 } else { 8 };
                let pa = self.atomic_pa(bus, a, w, Access::Load)?;
                let v = self.atomic_read(bus, pa, w);
                self.reservation = pa & !7;
                set!(v);
            }
            Op::ScW | Op::ScD => {
                let w = if op == Op::ScW { 4 } else { 8 };
                let pa = self.atomic_pa(bus, a, w, Access::Store)?;
                let ok = self.reservation == pa & !7;
                self.reservation = super::NO_RESERVATION;
                if ok {
                    self.atomic_write(bus, pa, w, b);
                }
                set!(!ok as u64);
            }
            Op::AmoW | Op::AmoD => {
                let w = if op == Op::AmoW { 4 } else { 8 };
                let pa = self.atomic_pa(bus, a, w, Access::Store)?;
                let old = self.atomic_read(bus, pa, w);
                self.atomic_write(bus, pa, w, amo(imm32 as u32, old, b, w));
                set!(old);
            }
            Op::Flw | Op::Fld | Op::Fsw | Op::Fsd | Op::Fp if self.csr.fs() == 0 => {
                return Err(Exception::IllegalInstruction(raw as u64));
            }
            Op::Flw => {
                let v = self.load::<4>(bus, a.wrapping_add(imm), self.steps)?;
                self.fp.f[rd & 31] = v | 0xffff_ffff_0000_0000; // NaN-boxed
                self.csr.set_fs_dirty();
            }
            Op::Fld => {
                self.fp.f[rd & 31] = self.load::<8>(bus, a.wrapping_add(imm), self.steps)?;
                self.csr.set_fs_dirty();
            }
            Op::Fsw | Op::Fsd => {
                let (va, v, now) = (
                    a.wrapping_add(imm),
                    self.fp.f[(rs2 & 31) as usize],
                    self.steps,
                );
                match op {
                    Op::Fsw => self.store::<4>(bus, va, v, now)?,
                    _ => self.store::<8>(bus, va, v, now)?,
                }
            }
            Op::Fp => self.exec_fp(raw)?,
            Op::Illegal => return Err(Exception::IllegalInstruction(raw as u64)),
            _ => unreachable!("{op:?} is executed by execute"),
        }
        Ok(next)
    }

    /// An F or D computation (OP-FP and the fused multiply-adds): illegal with the FP unit
    /// off (mstatus.FS = Off) or an encoding or rounding mode it rejects, which change
    /// nothing; else its result in f or x registers, FS made Dirty where it changed FP state.
    pub(super) fn exec_fp(&mut self, raw: u32) -> Result<(), Exception> {
        if self.csr.fs() == 0 {
            return Err(Exception::IllegalInstruction(raw as u64));
        }
        let (xr, _) = self.x.split_at_mut(32);
        let xr: &mut [u64; 32] = xr.try_into().expect("32 registers");
        match fpu::execute(&mut self.fp, xr, raw) {
            Ok(true) => self.csr.set_fs_dirty(),
            Ok(false) => {}
            Err(()) => return Err(Exception::IllegalInstruction(raw as u64)),
        }
        Ok(())
    }

    /// CSRRW/CSRRS/CSRRC and their immediate forms (unpriv/zicsr.adoc): CSRRS/CSRRC with
    /// rs1 = x0 (or uimm = 0) do not write, so they are legal on read-only CSRs.
    #[inline(never)]
    pub(super) fn exec_csr(
        &mut self,
        op: Op,
        rd: u8,
        rs1: u8,
        csr: i32,
        raw: u32,
    ) -> Result<(), Exception> {
        let ill = Exception::IllegalInstruction(raw as u64);
        let csr = (csr as u32 & 0xfff) as u16;
        let (src, writes) = match op {
            Op::Csrrw => (self.x[(rs1 & REG_MASK) as usize], true),
            Op::Csrrs | Op::Csrrc => (self.x[(rs1 & REG_MASK) as usize], rs1 != 0),
            Op::Csrrwi => (rs1 as u64, true),
            _ => (rs1 as u64, rs1 != 0),
        };
        let old = self.csr_read(csr).map_err(|_| ill)?;
        if writes {
            // Read-modify-write of mip uses the software-writable SEIP bit, not the PLIC line
            // ORed into it (priv/machine.adoc, "Machine Interrupt Registers").
            let base = if csr == num::MIP {
                (old & !SEIP) | (self.csr.mip & SEIP)
            } else {
                old
            };
            let new = match op {
                Op::Csrrw | Op::Csrrwi => src,
                Op::Csrrs | Op::Csrrsi => base | src,
                _ => base & !src,
            };
            self.csr_write(csr, new).map_err(|_| ill)?;
            if csr == num::SATP {
                self.icache.forget_fetch_page();
            }
        }
        self.x[(rd & REG_MASK) as usize] = old;
        Ok(())
    }

    /// MRET (priv/machine.adoc, "Trap-Return Instructions"): privilege from MPP, MIE from
    /// MPIE, MPIE = 1, MPP = U; leaving M-mode clears MPRV.
    fn exec_mret(&mut self, raw: u32) -> Result<u64, Exception> {
        if self.prv != Priv::M {
            return Err(Exception::IllegalInstruction(raw as u64));
        }
        let new = self.csr.mpp();
        let mut s = self.csr.mstatus & !(ms::MIE | ms::MPP);
        if s & ms::MPIE != 0 {
            s |= ms::MIE;
        }
        s |= ms::MPIE;
        if new != Priv::M {
            s &= !ms::MPRV;
        }
        self.csr.mstatus = s;
        self.prv = new;
        self.triggers.mret();
        self.icache.forget_fetch_page();
        self.refresh_data_path();
        self.request_event_check();
        Ok(self.csr.mepc)
    }

    /// SRET: illegal in U-mode, and in S-mode when mstatus.TSR = 1.
    fn exec_sret(&mut self, raw: u32) -> Result<u64, Exception> {
        if self.prv == Priv::U || (self.prv == Priv::S && self.csr.mstatus & ms::TSR != 0) {
            return Err(Exception::IllegalInstruction(raw as u64));
        }
        let new = if self.csr.mstatus & ms::SPP != 0 {
            Priv::S
        } else {
            Priv::U
        };
        let mut s = self.csr.mstatus & !(ms::SIE | ms::SPP | ms::MPRV);
        if s & ms::SPIE != 0 {
            s |= ms::SIE;
        }
        s |= ms::SPIE;
        self.csr.mstatus = s;
        self.prv = new;
        self.icache.forget_fetch_page();
        self.refresh_data_path();
        self.request_event_check();
        Ok(self.csr.sepc)
    }

    /// Address checks for LR/SC/AMOs: naturally aligned (else a misaligned exception; AMOs
    /// and SC report store/AMO causes), and RAM only (atomics on devices are access faults).
    fn atomic_pa(
        &mut self,
        bus: &mut Bus,
        va: u64,
        w: u64,
        access: Access,
    ) -> Result<u64, Exception> {
        let load = access == Access::Load;
        if self.triggers.armed_data() {
            // LR loads, SC stores, an AMO does both (`access` is Store for SC and AMOs:
            // both kinds of trigger match them).
            let kind = if load {
                super::trigger::LOAD
            } else {
                super::trigger::STORE | super::trigger::LOAD
            };
            self.check_data_trigger(kind, va, w)?;
        }
        if va & (w - 1) != 0 {
            return Err(if load {
                Exception::LoadAddressMisaligned(va)
            } else {
                Exception::StoreAddressMisaligned(va)
            });
        }
        let pa = self.translate(bus, va, w, access)?;
        if !bus.ram.contains(PhysAddr(pa), w) {
            return Err(if load {
                Exception::LoadAccessFault(va)
            } else {
                Exception::StoreAccessFault(va)
            });
        }
        Ok(pa)
    }

    fn atomic_read(&mut self, bus: &mut Bus, pa: u64, w: u64) -> u64 {
        // atomic_pa checked the range; .W results are sign-extended.
        if w == 4 {
            bus.ram
                .read_le::<4>(PhysAddr(pa))
                .map_or(0, |v| v as u32 as i32 as i64 as u64)
        } else {
            bus.ram.read_le::<8>(PhysAddr(pa)).unwrap_or(0)
        }
    }

    fn atomic_write(&mut self, bus: &mut Bus, pa: u64, w: u64, v: u64) {
        // atomic_pa checked the range, so these cannot fail.
        let _ = if w == 4 {
            self.store_pa::<4>(bus, pa, v)
        } else {
            self.store_pa::<8>(bus, pa, v)
        };
    }

    /// WFI: wait until an interrupt is pending in mip & mie, whatever the global enables
    /// (priv/machine.adoc, "Wait for Interrupt"). Time is virtual, so waiting for the timer
    /// means jumping the clock to its deadline; waiting for a device means asking the bus for
    /// host input. When nothing can ever wake the hart, the run ends (a deadlock).
    fn wait_for_interrupt(&mut self, bus: &mut Bus) {
        loop {
            self.sample_irqs(bus);
            if self.mip() & self.csr.mie != 0 {
                break;
            }
            let deadline = bus.timer_deadline();
            if self.csr.mie & MTIP != 0 && deadline <= u64::MAX / INSNS_PER_MTIME_TICK {
                let at = deadline * INSNS_PER_MTIME_TICK;
                if at > self.clock() {
                    self.idle += at - self.clock();
                    continue;
                }
            }
            if !bus.wait_for_input() {
                self.halt = Some(Halt::Deadlock(format!(
                    "WFI at pc {:#x}: no enabled interrupt can ever become pending (mie={:#x})",
                    self.pc.wrapping_sub(4),
                    self.csr.mie
                )));
                break;
            }
        }
        self.request_event_check();
    }
}

/// The address after a compressed instruction at `pc`; out of line so that the length check
/// in `execute` stays a branch.
#[cold]
#[inline(never)]
fn compressed_next(pc: u64) -> u64 {
    pc.wrapping_add(2)
}

/// The AMO functions (unpriv/a-st-ext.adoc, "Atomic Memory Operations"); `w` is 4 or 8 and
/// `old` is already sign-extended for .W.
fn amo(funct5: u32, old: u64, src: u64, w: u64) -> u64 {
    let (so, ss, uo, us) = if w == 4 {
        (
            old as i32 as i64,
            src as i32 as i64,
            old as u32 as u64,
            src as u32 as u64,
        )
    } else {
        (old as i64, src as i64, old, src)
    };
    match funct5 {
        0b00001 => src,
        0b00000 => old.wrapping_add(src),
        0b00100 => old ^ src,
        0b01100 => old & src,
        0b01000 => old | src,
        0b10000 => so.min(ss) as u64,
        0b10100 => so.max(ss) as u64,
        0b11000 => {
            if uo <= us {
                old
            } else {
                src
            }
        }
        _ => {
            if uo >= us {
                old
            } else {
                src
            }
        }
    }
}

// The M extension's operations other than MUL (unpriv/m-st-ext.adoc). None can trap:
// "Division Operations" defines the results of division by zero (all ones for the
// quotient, the dividend for the remainder) and of the signed overflow (the dividend,
// remainder 0), which is what the zero checks and `wrapping_div`/`wrapping_rem` give.
// Shared by the interpreter (`execute_rare`) and the block engine's in-run arms.

#[inline(always)]
pub(super) fn mulh(a: u64, b: u64) -> u64 {
    ((a as i64 as i128 * b as i64 as i128) >> 64) as u64
}
#[inline(always)]
pub(super) fn mulhsu(a: u64, b: u64) -> u64 {
    ((a as i64 as i128 * b as u128 as i128) >> 64) as u64
}
#[inline(always)]
pub(super) fn mulhu(a: u64, b: u64) -> u64 {
    ((a as u128 * b as u128) >> 64) as u64
}
#[inline(always)]
pub(super) fn div(a: u64, b: u64) -> u64 {
    if b == 0 {
        u64::MAX
    } else {
        (a as i64).wrapping_div(b as i64) as u64
    }
}
#[inline(always)]
pub(super) fn divu(a: u64, b: u64) -> u64 {
    a.checked_div(b).unwrap_or(u64::MAX)
}
#[inline(always)]
pub(super) fn rem(a: u64, b: u64) -> u64 {
    if b == 0 {
        a
    } else {
        (a as i64).wrapping_rem(b as i64) as u64
    }
}
#[inline(always)]
pub(super) fn remu(a: u64, b: u64) -> u64 {
    a.checked_rem(b).unwrap_or(a)
}
#[inline(always)]
pub(super) fn mulw(a: u64, b: u64) -> u64 {
    (a as u32).wrapping_mul(b as u32) as i32 as i64 as u64
}
#[inline(always)]
pub(super) fn divw(a: u64, b: u64) -> u64 {
    if b as u32 == 0 {
        u64::MAX
    } else {
        (a as i32).wrapping_div(b as i32) as i64 as u64
    }
}
#[inline(always)]
pub(super) fn divuw(a: u64, b: u64) -> u64 {
    (a as u32)
        .checked_div(b as u32)
        .map_or(u64::MAX, |q| q as i32 as i64 as u64)
}
#[inline(always)]
pub(super) fn remw(a: u64, b: u64) -> u64 {
    if b as u32 == 0 {
        a as u32 as i32 as i64 as u64
    } else {
        (a as i32).wrapping_rem(b as i32) as i64 as u64
    }
}
#[inline(always)]
pub(super) fn remuw(a: u64, b: u64) -> u64 {
    let r = (a as u32).checked_rem(b as u32).unwrap_or(a as u32);
    r as i32 as i64 as u64
}
