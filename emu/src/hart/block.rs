//! The block engine: straight-line runs of decoded slots, checked once per run.
//!
//! The interpreter ([`Hart::run_fast`], `exec.rs`) checks two things before every
//! instruction: that pc still lies on the page the decoded-instruction cache is fetching from
//! (its tag), and that `steps` has not reached `stop_at`. Neither can change in the middle of
//! a run of plain instructions, so this loop checks them once at the *entry* of a run and
//! then walks the page's slots until something could have changed them:
//!
//! - **The page.** After the entry's tag check the walk follows the slot array by pointer
//!   and checks no tag. Sequential instructions advance the slot pointer by their length
//!   (16 bytes of slot per 2 bytes of code); a walk that runs off the end of the page lands
//!   on the page's sentinel slot (`icache.rs`, `Page`), which is never decoded. pc is not
//!   kept: it is recovered from the slot pointer where something needs it (AUIPC, links,
//!   branch targets, traps, the slow paths).
//! - **The budget.** A run is entered only when at least [`MAX_RUN`] steps remain before
//!   `stop_at`, the most a run can execute: every parcel of the page a compressed
//!   instruction, then the sentinel's slow step. Closer to `stop_at` the interpreter runs the
//!   rest of the slice, one checked instruction at a time.
//!
//! A run ends (back to the entry, which checks both again) at every control transfer, at
//! every instruction the interpreter runs out of line (CSRs, xRET, fences, ECALL, WFI,
//! atomics, F/D: what may change privilege, satp, PMP or `stop_at`, or reads
//! the exact pc and count), at an undecoded slot (taken by the slow fetch path, which
//! translates, decodes and counts exactly as the interpreter's), at a trap, and after a load
//! or store that changed what the entry checked: a store or a device access that lowered
//! `stop_at` (an event to process before the next instruction), or an MMU refill that ended
//! the fetch page's TLB run (the hart then forgets its fetch page, `Hart::data_miss`).
//!
//! Each slot's fields are read when the walk reaches it, never ahead, so a store that
//! rewrites the next instruction of the running block (which clears its slot,
//! `ICache::note_store`) is seen: the walk finds an undecoded slot and leaves by the slow
//! fetch path, which decodes the new instruction.
//!
//! Nothing else differs from the interpreter: the same `steps` (kept in a register, passed
//! as each load's and store's `now` and stored before anything out of line), the same
//! memory paths, the same traps. So the instruction counts, TLB counters, traces and console
//! are those of the interpreter, which `tests/tests/engines.rs` checks.

use super::decode::{out_of_line_ops, Insn, Op, REG_MASK};
use super::exec::{div, divu, divuw, divw, mulh, mulhsu, mulhu, mulw, rem, remu, remuw, remw};
use super::icache::SLOTS;
use super::Hart;
use crate::bus::Bus;

/// Which instruction loop runs the hart (`--engine`). All execute exactly the same
/// instructions with the same effects, counters and traces; they differ only in host speed.
/// The default is the fastest one built: the JIT, or without the `jit` feature the block
/// engine.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Engine {
    /// One instruction at a time, the page and the budget checked before each
    /// ([`Hart::run_fast`]): the reference.
    Interp,
    /// Straight-line runs of decoded instructions, checked once per run (this module).
    #[cfg_attr(not(feature = "jit"), default)]
    Block,
    /// The block engine plus hot regions compiled to host code (`super::jit`; cargo
    /// feature `jit`, without which a machine refuses it).
    #[cfg_attr(feature = "jit", default)]
    Jit,
}

/// The most steps a run can take between two entries: a page's worth of compressed
/// instructions, then the slow step of its sentinel slot.
pub const MAX_RUN: u64 = SLOTS as u64 + 1;

/// Bytes of slot per byte of code: slots are 16 bytes, one per 2-byte parcel.
const SLOT_BYTES_PER_CODE_BYTE: usize = 8;

impl Hart {
    /// Runs until `steps` reaches `stop_at`, as [`Hart::run_fast`] does, a straight-line run
    /// at a time (see the module's text).
    #[inline(never)]
    pub(crate) fn run_block(&mut self, bus: &mut Bus) {
        self.run_engine::<false>(bus)
    }

    /// The block engine; with `JIT`, each entry of a run on the fetch page may run a
    /// compiled region instead (`super::jit`), and every jump ends the run, so that the
    /// entry sees jump targets (where regions start).
    #[inline(always)]
    pub(super) fn run_engine<const JIT: bool>(&mut self, bus: &mut Bus) {
        // Loads and stores read fast-path pages unchecked: see `run_fast`.
        self.mmu.bind_ram(&bus.ram);
        let mut pc = self.pc;
        let mut steps = self.steps;
        // The region last entered left by a side exit at pc: the next entry runs the
        // instruction there by the block engine (a region would only exit again).
        #[cfg(feature = "jit")]
        let mut skip_jit = false;
        'entry: loop {
            if self.stop_at.saturating_sub(steps) < MAX_RUN {
                break;
            }
            // The tag is checked here, once: off the fetch page, `fast_slot_ptr` gives the
            // static undecoded slot, which leaves at once by the slow path.
            let mut slot = self.icache.fast_slot_ptr(pc);
            let tag = self.icache.fetch_tag;
            // A jump may stay in the run while `steps <= limit`: then at least `MAX_RUN`
            // steps remain before `stop_at`, as at an entry. (The run ends at once if
            // `stop_at` is lowered, so the entry's value holds throughout.)
            let limit = self.stop_at - MAX_RUN;
            #[cfg(feature = "jit")]
            if JIT {
                // SAFETY: `slot` is live (`fast_slot_ptr`), read before anything changes it.
                let op = unsafe { (*slot).op };
                // A decoded slot: pc is on the fetch page (the static slot is undecoded).
                if op as u8 > Op::CrossPage as u8
                    && !core::mem::take(&mut skip_jit)
                    && self.icache.jit_hot(pc)
                {
                    if let Some((p, s, side)) = self.jit_enter(bus, pc, steps, limit) {
                        (pc, steps, skip_jit) = (p, s, side);
                        continue 'entry;
                    }
                }
                skip_jit = false;
            }
            // pc of a slot of this run: `pc_bias + slot / 8` in wrapping arithmetic (slots
            // are 16-byte aligned, and a run's slots lie 8 bytes apart per byte of pc, from
            // the entry's). Exact for the static slot too, which the run never leaves.
            let pc_bias = pc.wrapping_sub(slot as u64 >> 3);
            macro_rules! pc_of {
                ($slot:expr) => {
                    pc_bias.wrapping_add($slot as u64 >> 3)
                };
            }
            loop {
                // Hide the count's origin from the optimizer, which otherwise derives the
                // MMU stamp `steps * 4 + 2` as a second induction variable, incremented per
                // instruction whether a load needs it or not (docs/PERFORMANCE.md).
                steps = opaque(steps);
                // The fields of this instruction's slot, each read where an arm needs it (the
                // arms then keep few values live, and the common ones read three fields).
                macro_rules! field {
                    ($f:ident) => {
                        // SAFETY: `slot` points at a live slot: the entry's (from
                        // `fast_slot_ptr`), or one a sequential step reached from it inside
                        // the same page's array (at most its sentinel, which leaves at once).
                        // Nothing frees or moves a page's array while a run goes on: only
                        // `ICache::clear` does, from the slow fetch path, after which the
                        // run has ended. A store to code writes the `op` of slots in place;
                        // this reads through the raw pointer, holding no reference.
                        unsafe { (*slot).$f }
                    };
                }
                macro_rules! rs1 {
                    () => {
                        self.x[(field!(rs1) & REG_MASK) as usize]
                    };
                }
                macro_rules! rs2 {
                    () => {
                        self.x[(field!(rs2) & REG_MASK) as usize]
                    };
                }
                macro_rules! imm {
                    () => {
                        field!(imm) as i64 as u64
                    };
                }
                macro_rules! sh {
                    () => {
                        field!(imm) as u32
                    };
                }
                macro_rules! set {
                    ($v:expr) => {{
                        let v = $v;
                        self.x[(field!(rd) & REG_MASK) as usize] = v;
                    }};
                }
                // The instruction trapped: take the trap as `run_fast` does, and enter again
                // at the handler.
                macro_rules! trap {
                    ($e:expr) => {{
                        let e = $e;
                        steps += 1;
                        self.pc = pc_of!(slot);
                        self.steps = steps;
                        self.traps += 1;
                        self.take_exception(e);
                        pc = self.pc;
                        // Reloaded, as in `run_fast` (no second induction variable).
                        steps = self.steps;
                        continue 'entry;
                    }};
                }
                // A control transfer from the instruction at `$here` to `$target`. On the
                // same page (and even: a test of the same bits), the run goes on at the
                // target's slot while the budget allows; else it ends, and the entry finds
                // the target's page.
                macro_rules! jump {
                    ($here:expr, $target:expr) => {{
                        let (here, target): (u64, u64) = ($here, $target);
                        steps += 1;
                        if (here ^ target) & !0xffe == 0 && steps <= limit {
                            // With the JIT, the run ends where it has something to do
                            // (`jit_hot`, which counts the entry otherwise): the entry
                            // then runs the target's region. The fetch page is the
                            // entry's still (the run would have ended otherwise).
                            #[cfg(feature = "jit")]
                            if JIT && self.icache.jit_hot(target) {
                                pc = target;
                                continue 'entry;
                            }
                            let delta = target.wrapping_sub(here) as usize;
                            slot = slot
                                .wrapping_byte_add(delta.wrapping_mul(SLOT_BYTES_PER_CODE_BYTE));
                            continue;
                        }
                        pc = target;
                        continue 'entry;
                    }};
                }
                // A conditional branch. Not taken, the run goes on as after any instruction:
                // the straight line from the last jump still ends within the page.
                macro_rules! branch {
                    ($cond:expr) => {{
                        if $cond {
                            let here = pc_of!(slot);
                            jump!(here, here.wrapping_add(imm!()))
                        }
                    }};
                }
                // The next sequential slot. A predicted branch on the length, not
                // `slot + 8 * len`: the next slot's loads then do not wait for this one's.
                macro_rules! advance {
                    () => {{
                        steps += 1;
                        slot = if field!(len) == 4 {
                            slot.wrapping_byte_add(4 * SLOT_BYTES_PER_CODE_BYTE)
                        } else {
                            compressed_next_slot(slot)
                        };
                    }};
                }
                // A load or store retired: go on unless it changed what the entry checked.
                macro_rules! after_memory {
                    () => {{
                        advance!();
                        // `stop_at` is lowered inside a run only by `request_event_check`, to
                        // 0; otherwise it is more than a run beyond the entry's count.
                        if self.stop_at <= steps || self.icache.fetch_tag != tag {
                            pc = pc_of!(slot);
                            continue 'entry;
                        }
                        continue;
                    }};
                }
                // A load or store that hit the fast path (`Hart::load_hit`) changed nothing
                // the entry checked, but a store may have lowered `stop_at`: the run goes
                // on without the fetch page's check.
                macro_rules! load {
                    ($n:literal, $ext:expr) => {{
                        let va = rs1!().wrapping_add(imm!());
                        match self.load_hit::<$n>(bus, va, steps) {
                            Some(v) => set!($ext(v)),
                            None => {
                                match self.load_miss::<$n>(bus, va, steps) {
                                    Ok(v) => set!($ext(v)),
                                    Err(e) => trap!(e),
                                }
                                after_memory!()
                            }
                        }
                    }};
                }
                macro_rules! store {
                    ($n:literal) => {{
                        let (va, v) = (rs1!().wrapping_add(imm!()), rs2!());
                        if self.store_hit::<$n>(bus, va, v, steps) {
                            advance!();
                            if self.stop_at <= steps {
                                pc = pc_of!(slot);
                                continue 'entry;
                            }
                            continue;
                        }
                        if let Err(e) = self.store_miss::<$n>(bus, va, v, steps) {
                            trap!(e)
                        }
                        after_memory!()
                    }};
                }
                let sext32 = |v: u32| v as i32 as i64 as u64;
                match field!(op) {
                    Op::Lui => set!(imm!()),
                    Op::Auipc => set!(pc_of!(slot).wrapping_add(imm!())),
                    Op::Jal => {
                        let here = pc_of!(slot);
                        set!(here.wrapping_add(field!(len) as u64));
                        jump!(here, here.wrapping_add(imm!()))
                    }
                    Op::Jalr => {
                        // The target is computed before rd is written (rd may equal rs1).
                        let t = rs1!().wrapping_add(imm!()) & !1;
                        let here = pc_of!(slot);
                        set!(here.wrapping_add(field!(len) as u64));
                        jump!(here, t)
                    }
                    Op::Li => set!(imm!()),
                    Op::Mv => set!(rs1!()),
                    Op::Beqz => branch!(rs1!() == 0),
                    Op::Bnez => branch!(rs1!() != 0),
                    Op::Beq => branch!(rs1!() == rs2!()),
                    Op::Bne => branch!(rs1!() != rs2!()),
                    Op::Blt => branch!((rs1!() as i64) < (rs2!() as i64)),
                    Op::Bge => branch!((rs1!() as i64) >= (rs2!() as i64)),
                    Op::Bltu => branch!(rs1!() < rs2!()),
                    Op::Bgeu => branch!(rs1!() >= rs2!()),
                    Op::Lb => load!(1, |v: u64| v as i8 as i64 as u64),
                    Op::Lh => load!(2, |v: u64| v as i16 as i64 as u64),
                    Op::Lw => load!(4, |v: u64| v as i32 as i64 as u64),
                    Op::Ld => load!(8, |v: u64| v),
                    Op::Lbu => load!(1, |v: u64| v),
                    Op::Lhu => load!(2, |v: u64| v),
                    Op::Lwu => load!(4, |v: u64| v),
                    Op::Sb => store!(1),
                    Op::Sh => store!(2),
                    Op::Sw => store!(4),
                    Op::Sd => store!(8),
                    Op::Addi => set!(rs1!().wrapping_add(imm!())),
                    Op::Slti => set!(((rs1!() as i64) < (imm!() as i64)) as u64),
                    Op::Sltiu => set!((rs1!() < imm!()) as u64),
                    Op::Xori => set!(rs1!() ^ imm!()),
                    Op::Ori => set!(rs1!() | imm!()),
                    Op::Andi => set!(rs1!() & imm!()),
                    Op::Slli => set!(rs1!() << sh!()),
                    Op::Srli => set!(rs1!() >> sh!()),
                    Op::Srai => set!(((rs1!() as i64) >> sh!()) as u64),
                    Op::Add => set!(rs1!().wrapping_add(rs2!())),
                    Op::Sub => set!(rs1!().wrapping_sub(rs2!())),
                    Op::Sll => set!(rs1!() << (rs2!() & 63)),
                    Op::Slt => set!(((rs1!() as i64) < (rs2!() as i64)) as u64),
                    Op::Sltu => set!((rs1!() < rs2!()) as u64),
                    Op::Xor => set!(rs1!() ^ rs2!()),
                    Op::Srl => set!(rs1!() >> (rs2!() & 63)),
                    Op::Sra => set!(((rs1!() as i64) >> (rs2!() & 63)) as u64),
                    Op::Or => set!(rs1!() | rs2!()),
                    Op::And => set!(rs1!() & rs2!()),
                    Op::Addiw => set!(sext32((rs1!() as u32).wrapping_add(imm!() as u32))),
                    Op::Slliw => set!(sext32((rs1!() as u32) << sh!())),
                    Op::Srliw => set!(sext32((rs1!() as u32) >> sh!())),
                    Op::Sraiw => set!(((rs1!() as i32) >> sh!()) as i64 as u64),
                    Op::Addw => set!(sext32((rs1!() as u32).wrapping_add(rs2!() as u32))),
                    Op::Subw => set!(sext32((rs1!() as u32).wrapping_sub(rs2!() as u32))),
                    Op::Sllw => set!(sext32((rs1!() as u32) << (rs2!() & 31))),
                    Op::Srlw => set!(sext32((rs1!() as u32) >> (rs2!() & 31))),
                    Op::Sraw => set!(((rs1!() as i32) >> (rs2!() & 31)) as i64 as u64),
                    Op::Mul => set!(rs1!().wrapping_mul(rs2!())),
                    // The rest of M cannot trap (`exec.rs`, `mulh` and after): in the run,
                    // as the libraries' division by constants (MULHU) is common.
                    Op::Mulh => set!(mulh(rs1!(), rs2!())),
                    Op::Mulhsu => set!(mulhsu(rs1!(), rs2!())),
                    Op::Mulhu => set!(mulhu(rs1!(), rs2!())),
                    Op::Div => set!(div(rs1!(), rs2!())),
                    Op::Divu => set!(divu(rs1!(), rs2!())),
                    Op::Rem => set!(rem(rs1!(), rs2!())),
                    Op::Remu => set!(remu(rs1!(), rs2!())),
                    Op::Mulw => set!(mulw(rs1!(), rs2!())),
                    Op::Divw => set!(divw(rs1!(), rs2!())),
                    Op::Divuw => set!(divuw(rs1!(), rs2!())),
                    Op::Remw => set!(remw(rs1!(), rs2!())),
                    Op::Remuw => set!(remuw(rs1!(), rs2!())),
                    // Not decoded (a store cleared it, or never executed), off the fetch
                    // page (the static slot), crossing into the next page, or the page's
                    // sentinel. Off the fetch page, on a code page the MMU remembers or
                    // its common translation serves, the switch alone (counted as the slow
                    // fetch would count it), and the run goes on from there. Else the slow
                    // fetch (`fetch_or_step`), after which a new run starts at the
                    // instruction if it is now decoded on the fetch page; or the
                    // interpreter's slow step, then a new entry.
                    Op::Undecoded | Op::CrossPage => {
                        let at = pc_of!(slot);
                        if self.switch_fetch_page(at, steps, &bus.ram) {
                            pc = at;
                            continue 'entry;
                        }
                        match self.fetch_or_step(bus, at, steps) {
                            // Fetched and decoded on the new fetch page: a run starts there.
                            None => pc = at,
                            Some(next) => {
                                pc = next;
                                steps += 1;
                            }
                        }
                        continue 'entry;
                    }
                    // Everything else, out of line as in the interpreter; it may change
                    // what the entry checks, so the run ends.
                    out_of_line_ops!() => {
                        // It reads the count (CSRs, the clock, the MMU's stamps).
                        self.steps = steps;
                        match self.execute_rare(bus, slot, pc_of!(slot)) {
                            Ok(next) => {
                                steps += 1;
                                pc = next;
                                continue 'entry;
                            }
                            Err(e) => trap!(e),
                        }
                    }
                }
                advance!();
            }
        }
        self.pc = pc;
        self.steps = steps;
        // The end of the slice, closer to `stop_at` than a whole run: one checked
        // instruction at a time.
        if steps < self.stop_at {
            self.run_fast(bus);
        }
    }
}

/// The slot after a compressed instruction's; out of line so that the length check stays a
/// branch (as the interpreter's `compressed_next`).
#[cold]
#[inline(never)]
fn compressed_next_slot(slot: *const Insn) -> *const Insn {
    slot.wrapping_byte_add(2 * SLOT_BYTES_PER_CODE_BYTE)
}

/// `v`, unknown to the optimizer: an empty `asm!` that claims to change its register. No
/// instruction is emitted.
#[inline(always)]
fn opaque(mut v: u64) -> u64 {
    // SAFETY: the template is empty: nothing runs, nothing is read or written.
    unsafe {
        core::arch::asm!("/* {0} */", inout(reg) v, options(pure, nomem, nostack, preserves_flags))
    };
    v
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hart::testing::*;
    use crate::machine::{Exit, DEFAULT_JIT_THRESHOLD};

    /// A loop whose body stores to the instruction three slots further on in the same
    /// block: the first time the word it already holds (the slot was not decoded yet),
    /// the second time a new one, which must be what runs, as on the interpreter.
    #[test]
    fn a_store_rewriting_the_next_instruction_of_its_block_takes_effect() {
        const OLD: i32 = 1;
        const NEW: i32 = 100;
        let code = [
            0x0000_0297,         // 0: auipc t0, 0
            addi(A0, 0, 0),      // 4: li a0, 0
            addi(S1, 0, 2),      // 8: li s1, 2
            lw(T1, T0, 64),      // 12: t1 = the word at 64 (the target as it is)
            sw(T1, T0, 28),      // 16: loop: the target (28) = t1
            lw(T1, T0, 68),      // 20: t1 = the word at 68 (the new target)
            addi(S1, S1, -1),    // 24
            addi(A0, A0, OLD),   // 28: the target
            bne_back(S1, 0, 16), // 32: bnez s1, loop
            0x0010_0eb7,         // 36: lui t4, 0x100 (the test finisher)
            0x0000_5f37,         // 40: lui t5, 0x5
            0x555f_0f1b,         // 44: addiw t5, t5, 1365 (0x5555: pass)
            0x01ee_a023,         // 48: sw t5, 0(t4)
            0x0000_006f,         // 52: j .
            0,
            0,                 // 56-63
            addi(A0, A0, OLD), // 64
            addi(A0, A0, NEW), // 68
        ];
        let mut ends = Vec::new();
        for engine in [Engine::Interp, Engine::Block] {
            let mut m = machine(&code, engine, Some(1_000_000), DEFAULT_JIT_THRESHOLD);
            let exit = m.run();
            let h = &m.hart;
            assert_eq!(
                exit,
                Exit::Pass,
                "{engine:?} pc {:#x} a0 {} s1 {} mcause {} mepc {:#x} t1 {:#x}",
                h.pc,
                h.x[10],
                h.x[9],
                h.csr.mcause,
                h.csr.mepc,
                h.x[6]
            );
            assert_eq!(m.hart.x[A0 as usize], (OLD + NEW) as u64, "{engine:?}");
            ends.push(state(&m));
        }
        assert_eq!(ends[0], ends[1], "interpreter, block engine");
    }

    /// `--max-insns` at every count over a stretch of the integer loop (eight instructions
    /// per iteration) near and past the point where a whole run no longer fits before the
    /// limit: both engines stop after exactly that many instructions, in the same state.
    #[test]
    fn a_run_cut_short_anywhere_ends_in_the_same_state() {
        let code = crate::bench::INT_LOOP.code;
        for n in (MAX_RUN - 24..MAX_RUN + 40).chain(3 * MAX_RUN..3 * MAX_RUN + 17) {
            let mut ends = Vec::new();
            for engine in [Engine::Interp, Engine::Block] {
                let mut m = machine(code, engine, Some(n), DEFAULT_JIT_THRESHOLD);
                m.hart.x[18] = 1_000_000; // s2: iterations, more than run here
                assert_eq!(m.run(), Exit::MaxInsns, "{engine:?} {n}");
                assert_eq!(m.hart.steps, n, "{engine:?}");
                ends.push(state(&m));
            }
            assert_eq!(
                ends[0], ends[1],
                "--max-insns {n}: interpreter, block engine"
            );
        }
    }
}
