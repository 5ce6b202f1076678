//! A region's translation to Cranelift IR (see the parent module for what a region is and
//! what it must keep exact).
//!
//! Guest registers are read from and written to `Hart::x` by each instruction (measured:
//! keeping them in Cranelift variables, loaded at entry and stored at every exit, made
//! compiling twice as slow, which cost the kernel workloads more than the int-loop's 7%
//! gain: register allocation under the pressure of 31 long-lived values, and the stores
//! at each of a region's many exits; the host's store forwarding makes the memory
//! round trip nearly free). The step count is a
//! Cranelift variable, brought up to date only where it is read (a load's or store's stamp,
//! an exit) or where control flow joins: between those, each instruction adds 1 to a count
//! kept by the translator. Every exit jumps to one block that reports where and why.

use super::{
    exit, from_ctx, JitCtx, RegionCode, TrampolineFn, MAX_REGION_INSNS, MISS_FETCH_DROPPED,
    MISS_NOT_SERVED,
};
use crate::bus::RAM_BASE;
use crate::hart::csr::{ms, num};
use crate::hart::decode::{out_of_line_ops, Insn, Op, SINK};
use crate::hart::icache::SLOTS;
use crate::hart::{DataPath, NO_RESERVATION};
use crate::mmu::fast::{ENTRIES, ENTRY_LAYOUT};
use core::mem::offset_of;
use cranelift_codegen::ir::condcodes::IntCC;
use cranelift_codegen::ir::types::{I32, I64};
use cranelift_codegen::ir::{AbiParam, Block, InstBuilder, MemFlagsData, SigRef, Signature, Value};
use cranelift_codegen::isa::CallConv;
use cranelift_codegen::settings::{self, Configurable};
use cranelift_codegen::Context;
use cranelift_frontend::{FunctionBuilder, FunctionBuilderContext, Variable};
use cranelift_jit::{JITBuilder, JITModule};
use cranelift_module::Module;

/// Cranelift and the scratch space of region discovery (reused: no allocation per
/// instruction, and little per region).
pub(super) struct Compiler {
    /// None only after a failed re-creation (`free_all`); then nothing compiles.
    module: Option<JITModule>,
    ctx: Context,
    fctx: FunctionBuilderContext,
    /// Per parcel of the page: the region's instruction starting there.
    slots: Vec<Option<Insn>>,
    seen: Vec<bool>,
    leader: Vec<bool>,
    work: Vec<u16>,
    /// The region's parcels, ascending.
    order: Vec<u16>,
}

/// A module for the host: Cranelift's code generator for the host's ISA, optimising.
fn new_module() -> Result<JITModule, String> {
    if cfg!(target_endian = "big") {
        // Guest memory is little-endian and read with the host's native accesses.
        return Err("the JIT needs a little-endian host".into());
    }
    let unsupported =
        |e: &dyn core::fmt::Display| format!("the JIT does not support this host: {e}");
    let mut flags = settings::builder();
    for (k, v) in [
        // Measured (release, `rvmmu bench`, SQLite): "speed" (the e-graph pass) compiled
        // 60% slower and its code ran no faster on these regions of straight-line integer
        // code and memory accesses.
        ("opt_level", "none"),
        // Compiled code calls nothing: no PLT, no relocations to resolve.
        ("is_pic", "false"),
        ("use_colocated_libcalls", "false"),
        // The IR verifier costs a sixth of compile time (perf on kernel-fork); the tests,
        // in debug builds, keep it.
        (
            "enable_verifier",
            if cfg!(debug_assertions) {
                "true"
            } else {
                "false"
            },
        ),
    ] {
        flags.set(k, v).map_err(|e| unsupported(&e))?;
    }
    let isa = cranelift_native::builder()
        .map_err(|e| unsupported(&e))?
        .finish(settings::Flags::new(flags))
        .map_err(|e| unsupported(&e))?;
    Ok(JITModule::new(JITBuilder::with_isa(
        isa,
        cranelift_module::default_libcall_names(),
    )))
}

/// A region's signature: the context in; out, the code of the region to go on in, or 0
/// when the run goes back to the host (the exit kind then in `JitCtx::out_kind`).
///
/// Cranelift's `Winch` calling convention, which has no callee-saved registers: a region
/// saves and restores none, and the trampoline, which calls regions in the host's
/// convention, saves the host's once per call from the host. (Measured: the five saves
/// and five restores in every region were 1.7% of SQLite's time.)
///
/// (Measured: regions ending by a tail call into the next, Cranelift's `tail` calling
/// convention, needed a frame pointer in every region, one register fewer, and the
/// TLB-resident loops ran 20% slower; going on through the trampoline's loop costs a
/// return and an indirect call.)
fn region_signature() -> Signature {
    let mut sig = Signature::new(CallConv::Winch);
    sig.params.push(AbiParam::new(I64));
    sig.returns.push(AbiParam::new(I64));
    sig
}

/// The host's way into compiled code: a function in the host's C calling convention,
/// `TrampolineFn`, that calls the region `code` with `ctx`, then each region the last one
/// names, until one returns 0; returns the exit kind. Its module must outlive every call.
pub(super) fn trampoline() -> Result<(JITModule, TrampolineFn), String> {
    let mut module = new_module()?;
    let mut ctx = module.make_context();
    let target = module.target_config();
    ctx.func.signature = Signature::new(target.default_call_conv);
    ctx.func.signature.params.extend([AbiParam::new(I64); 2]);
    ctx.func.signature.returns.push(AbiParam::new(I64));
    let mut fctx = FunctionBuilderContext::new();
    {
        let mut b = FunctionBuilder::new(&mut ctx.func, &mut fctx);
        let (start, call, done) = (b.create_block(), b.create_block(), b.create_block());
        b.append_block_params_for_function_params(start);
        b.switch_to_block(start);
        let (jctx, code) = (b.block_params(start)[0], b.block_params(start)[1]);
        b.ins().jump(call, &[code.into()]);
        b.switch_to_block(call);
        let code = b.append_block_param(call, I64);
        let sig = b.import_signature(region_signature());
        let inst = b.ins().call_indirect(sig, code, &[jctx]);
        let next = b.inst_results(inst)[0];
        b.ins().brif(next, call, &[next.into()], done, &[]);
        b.switch_to_block(done);
        let kind = b
            .ins()
            .load(I64, mem(), jctx, offset_of!(JitCtx, out_kind) as i32);
        b.ins().return_(&[kind]);
        b.seal_all_blocks();
        b.finalize(target);
    }
    let id = module
        .declare_anonymous_function(&ctx.func.signature)
        .map_err(|e| e.to_string())?;
    module
        .define_function(id, &mut ctx)
        .map_err(|e| format!("{e:?}"))?;
    module.clear_context(&mut ctx);
    module.finalize_definitions().map_err(|e| e.to_string())?;
    let code = module.get_finalized_function(id);
    // SAFETY: `code` is the finalized (executable) code of a function of the signature
    // built above, `extern "C" fn(i64, i64) -> i64` in the host's C calling convention:
    // `TrampolineFn`'s (pointers and u64 are i64 on a 64-bit host).
    let func = unsafe { core::mem::transmute::<*const u8, TrampolineFn>(code) };
    Ok((module, func))
}

impl Compiler {
    pub(super) fn new() -> Result<Compiler, String> {
        Ok(Compiler {
            module: Some(new_module()?),
            ctx: Context::new(),
            fctx: FunctionBuilderContext::new(),
            slots: vec![None; SLOTS],
            seen: vec![false; SLOTS],
            leader: vec![false; SLOTS],
            work: Vec::with_capacity(64),
            order: Vec::with_capacity(MAX_REGION_INSNS),
        })
    }

    /// Frees all compiled code. The caller guarantees none runs and none is called again.
    pub(super) fn free_all(&mut self) {
        if let Some(m) = self.module.take() {
            // SAFETY: the caller drops every pointer to the module's functions (the region
            // list) and none is running (`Hart::jit_flush` runs between calls, and waits
            // for the background worker's flush).
            unsafe { m.free_memory() };
        }
        self.module = new_module().ok();
    }

    /// Frees all compiled code for good (the worker's end, `worker::serve`). The caller
    /// guarantees none runs and none is called again.
    pub(super) fn free(mut self) {
        if let Some(m) = self.module.take() {
            // SAFETY: the caller's guarantee.
            unsafe { m.free_memory() };
        }
    }

    /// Compiles the region entered at `pc`, reading the fetch page's slots with `read`
    /// (given a pc on the page), for the data context `data` (`Hart::data_path`).
    /// Ok(None): no region starts there (its first instruction is not one a region runs).
    /// Returns the code and its size in bytes.
    pub(super) fn compile(
        &mut self,
        pc: u64,
        data: DataPath,
        read: impl Fn(u64) -> Insn,
    ) -> Result<Option<(RegionCode, usize)>, String> {
        if !self.discover(pc, read) {
            return Ok(None);
        }
        let module = self.module.as_mut().ok_or("no code generator")?;
        module.clear_context(&mut self.ctx);
        let ptr = module.target_config().pointer_type();
        debug_assert_eq!(ptr, I64);
        self.ctx.func.signature = region_signature();
        {
            let b = FunctionBuilder::new(&mut self.ctx.func, &mut self.fctx);
            let target = module.target_config();
            let found = (&self.slots[..], &self.order[..], &self.leader[..]);
            Translator::translate(b, target, pc, found, data);
        }
        let id = module
            .declare_anonymous_function(&self.ctx.func.signature)
            .map_err(|e| e.to_string())?;
        module
            .define_function(id, &mut self.ctx)
            .map_err(|e| format!("{e:?}"))?;
        let bytes = self
            .ctx
            .compiled_code()
            .map_or(0, |c| c.code_buffer().len());
        module.clear_context(&mut self.ctx);
        module.finalize_definitions().map_err(|e| e.to_string())?;
        let code = module.get_finalized_function(id);
        super::perf_map::record(code, bytes, pc, data);
        // The finalized (executable) code of a function of `region_signature()`.
        Ok(Some((RegionCode(code), bytes)))
    }

    /// Finds the region entered at `pc`: `slots`, `order` and `leader` describe it. False
    /// when its entry is not an instruction a region runs.
    fn discover(&mut self, pc: u64, read: impl Fn(u64) -> Insn) -> bool {
        let page = pc & !0xfff;
        self.slots.fill(None);
        self.seen.fill(false);
        self.leader.fill(false);
        self.order.clear();
        self.work.clear();
        let entry = parcel(pc);
        self.seen[entry] = true;
        self.work.push(entry as u16);
        let mut count = 0;
        while let Some(off) = self.work.pop() {
            if count == MAX_REGION_INSNS {
                break;
            }
            let at = page | (off as u64) << 1;
            let insn = read(at);
            if !compilable(&insn) {
                continue;
            }
            self.slots[off as usize] = Some(insn);
            count += 1;
            for next in successors(&insn, at).into_iter().flatten() {
                if next & !0xfff == page {
                    let o = parcel(next);
                    if !self.seen[o] {
                        self.seen[o] = true;
                        self.work.push(o as u16);
                    }
                }
            }
        }
        if self.slots[entry].is_none() {
            return false;
        }
        self.order
            .extend((0..SLOTS as u16).filter(|&o| self.slots[o as usize].is_some()));
        // Where a Cranelift block must start: the entry, every in-region target of a jump
        // or branch, the fall-through of a branch, and an instruction that the one before
        // it in `order` does not simply fall into (or that another one falls into from
        // further away: instructions may overlap).
        self.leader[entry] = true;
        let mut prev_falls_into = None;
        for (i, &o) in self.order.iter().enumerate() {
            let insn = self.slots[o as usize].unwrap_or(Insn::UNDECODED);
            let at = page | (o as u64) << 1;
            if prev_falls_into != Some(o as usize) {
                self.leader[o as usize] = true;
            }
            let [fall, target] = successors(&insn, at);
            let plain = !is_jump(insn.op);
            for t in target.into_iter().chain(fall.filter(|_| !plain)) {
                if t & !0xfff == page {
                    self.leader[parcel(t)] = true;
                }
            }
            prev_falls_into = None;
            if let Some(f) = fall.filter(|_| plain) {
                if f & !0xfff == page {
                    let next = self.order.get(i + 1).map(|&n| n as usize);
                    if next == Some(parcel(f)) {
                        prev_falls_into = next;
                    } else {
                        self.leader[parcel(f)] = true;
                    }
                }
            }
        }
        true
    }
}

/// The parcel index of `pc` in its page.
fn parcel(pc: u64) -> usize {
    ((pc & 0xfff) >> 1) as usize
}

/// The integer loads and stores, as a pattern (`plain`, `reads`, `Translator::insn`).
macro_rules! int_loads {
    () => {
        Op::Lb | Op::Lh | Op::Lw | Op::Ld | Op::Lbu | Op::Lhu | Op::Lwu
    };
}
macro_rules! int_stores {
    () => {
        Op::Sb | Op::Sh | Op::Sw | Op::Sd
    };
}

/// Whether a region runs this instruction (compiled inline); the rest end it.
fn compilable(insn: &Insn) -> bool {
    let (r1, r2, w) = reads(insn.op);
    // Register fields are 0..=31 (rd: SINK for x0) wherever used (decode.rs); anything
    // else would index past the 32 variables.
    let regs_ok = (!r1 || insn.rs1 < 32) && (!r2 || insn.rs2 < 32) && (!w || insn.rd <= SINK);
    let len_ok = insn.len == 2 || insn.len == 4;
    match insn.op {
        Op::Undecoded | Op::CrossPage => false,
        // F and D: the loads and stores inline, the computations by `jit_fp`. (Their f
        // register fields are 0..=31, decode.rs.)
        Op::Flw | Op::Fld => insn.rs1 < 32 && insn.rd < 32 && len_ok,
        Op::Fsw | Op::Fsd => insn.rs1 < 32 && insn.rs2 < 32 && len_ok,
        Op::Fp => len_ok,
        Op::AmoW | Op::AmoD => regs_ok && len_ok,
        Op::Csrrw | Op::Csrrs | Op::Csrrc | Op::Csrrwi | Op::Csrrsi | Op::Csrrci => {
            len_ok && fp_csr(insn)
        }
        op => !matches!(op, out_of_line_ops!()) && regs_ok && len_ok,
    }
}

/// Whether a CSR instruction accesses one of the FP unit's CSRs (fflags, frm, fcsr), which
/// `jit_fp` runs: their writes change nothing a region depends on (`Hart::csr_write`).
fn fp_csr(insn: &Insn) -> bool {
    matches!(
        (insn.imm as u32 & 0xfff) as u16,
        num::FFLAGS | num::FRM | num::FCSR
    )
}

/// Which register fields an operation uses: (rs1, rs2, rd).
fn reads(op: Op) -> (bool, bool, bool) {
    match op {
        Op::Lui | Op::Li | Op::Auipc | Op::Jal => (false, false, true),
        Op::Beqz | Op::Bnez => (true, false, false),
        // Their other register fields name f registers; `jit_fp` reads and writes what it
        // needs itself (of the x registers too, for FP CSR accesses).
        Op::Flw | Op::Fld | Op::Fsw | Op::Fsd => (true, false, false),
        Op::Fp | Op::Csrrw | Op::Csrrs | Op::Csrrc | Op::Csrrwi | Op::Csrrsi | Op::Csrrci => {
            (false, false, false)
        }
        Op::Beq | Op::Bne | Op::Blt | Op::Bge | Op::Bltu | Op::Bgeu => (true, true, false),
        int_stores!() => (true, true, false),
        int_loads!()
        | Op::Jalr
        | Op::Mv
        | Op::Addi
        | Op::Slti
        | Op::Sltiu
        | Op::Xori
        | Op::Ori
        | Op::Andi
        | Op::Slli
        | Op::Srli
        | Op::Srai
        | Op::Addiw
        | Op::Slliw
        | Op::Srliw
        | Op::Sraiw => (true, false, true),
        _ => (true, true, true),
    }
}

/// What a fast-table hit adds to the packed count of hits (`JitCtx::hits`): a load's, a
/// store's. A call's loads and stores are fewer than 2^32 each (one per step, and a call
/// runs at most a slice of the run loop, 2^20 steps), so the sum, wrapping through any
/// transient borrow, gives both.
const HIT: [i64; 2] = [1, 1 << 32];

/// The AMOs' funct5 (unpriv/a-st-ext.adoc; the decoder keeps it in `Insn::imm`), AMOMAXU's
/// aside (`Translator::amo`).
const AMO_ADD: u32 = 0b00000;
const AMO_SWAP: u32 = 0b00001;
const AMO_XOR: u32 = 0b00100;
const AMO_OR: u32 = 0b01000;
const AMO_AND: u32 = 0b01100;
const AMO_MIN: u32 = 0b10000;
const AMO_MAX: u32 = 0b10100;
const AMO_MINU: u32 = 0b11000;

/// The most registers plain computations leave to store later ([`Translator::dirty`]).
const DIRTY: usize = 8;

/// Whether the operation is a plain computation: translated inline, into a register, with
/// no exit, no call and no access but to the registers (div and rem too: M defines every
/// case, `Translator::divide`). The rest a region compiles are jumps, memory accesses and
/// the out-of-line operations it runs (F/D, FP CSRs, AMOs).
fn plain(op: Op) -> bool {
    !is_jump(op) && !matches!(op, int_loads!() | int_stores!() | out_of_line_ops!())
}

/// Whether the operation is a control transfer (it does not simply fall through).
fn is_jump(op: Op) -> bool {
    matches!(
        op,
        Op::Jal
            | Op::Jalr
            | Op::Beq
            | Op::Bne
            | Op::Blt
            | Op::Bge
            | Op::Bltu
            | Op::Bgeu
            | Op::Beqz
            | Op::Bnez
    )
}

/// The pcs control may go to after the instruction at `at`: [fall-through, target].
fn successors(insn: &Insn, at: u64) -> [Option<u64>; 2] {
    let next = at.wrapping_add(insn.len as u64);
    let target = at.wrapping_add(insn.imm as i64 as u64);
    match insn.op {
        Op::Jal => [None, Some(target)],
        Op::Jalr => [None, None],
        op if is_jump(op) => [Some(next), Some(target)],
        _ => [Some(next), None],
    }
}

/// Memory flags of every access compiled code makes: to the context, the hart's state and
/// guest RAM, all aligned (guest accesses are checked to be) and valid (checked as
/// `load_hit` checks them), so none can trap.
fn mem() -> MemFlagsData {
    MemFlagsData::trusted()
}

/// A block filled after the instructions (then nothing else is being filled).
enum Deferred {
    /// Exit to `pc` at count `steps` past the count variable.
    Exit {
        block: Block,
        pc: u64,
        steps: i64,
        kind: u64,
        /// The fast-table hits not yet in their variable there ([`Translator::pending_hits`]).
        hits: i64,
    },
    /// A load whose miss `jit_data_miss` served and whose refill made the hart forget the
    /// fetch page (`block` takes the host address): the load as on the main path, then
    /// an exit to `fall`, where the block engine checks the fetch page. (A store's takes
    /// its exit after a store to a page with flags.)
    Dropped {
        block: Block,
        op: Op,
        rd: u8,
        fall: u64,
        /// The load's count, past the count variable.
        now: i64,
        hits: i64,
    },
}

/// Values loaded from the context at entry. The others are loaded where used (L1 hits):
/// kept live through the region, they took registers from the guest's, and register
/// allocation under that pressure was most of the compile time.
struct CtxVals {
    ctx: Value,
}

struct Translator<'a, 'b> {
    b: FunctionBuilder<'a>,
    page: u64,
    slots: &'b [Option<Insn>],
    order: &'b [u16],
    leader: &'b [bool],
    blocks: Vec<Option<Block>>,
    steps: Variable,
    /// Instructions retired since `steps` was last brought up to date.
    pending: i64,
    /// `steps * 4` (the stamps' unit, `Translator::address`), computed once in the straight
    /// line (the count variable changes only where it ends).
    steps4: Option<Value>,
    /// Fast-table hits behind a TLB slot since the region's entry, loads and stores packed
    /// in one count ([`HIT`]): each one lookup and one hit of the TLB's counters, added to
    /// the call's (`JitCtx::hits`) at the exits ([`Translator::flush_hits`]; nothing reads
    /// them before the call returns). Brought up to date as the step count is: each access
    /// adds its unit to `pending_hits` as it is translated (as if it hit; the path of a
    /// served miss, which the MMU counted itself, takes it off the call's count), and the
    /// variable gets those where control flow joins or leaves. (Before, each hit added 1 to
    /// its variable, which was spilled to the stack: three of the access's host
    /// instructions, and SQLite ran 4.6% slower with that and a test of the entry for a
    /// slot.)
    hits: Variable,
    pending_hits: i64,
    /// Whether the region counts hits (it makes accesses, and is paged).
    counts: bool,
    /// The register the instruction being translated wrote and its value (`last`), and
    /// the one the instruction before it wrote (`prev`), which its reads take instead of
    /// loading it back: the dependent instruction then does not wait for the store to be
    /// forwarded. Only one instruction apart, in the same straight line: values kept live
    /// longer cost registers, and measured slower.
    last: Option<(u8, Value)>,
    prev: Option<(u8, Value)>,
    /// The registers a run of plain computations ([`plain`]: no exit, no call, no memory
    /// but the registers) wrote and has not stored yet, oldest first, at most [`DIRTY`]:
    /// they are stored before any other instruction and at the end of the block
    /// ([`Translator::write_back`]), so that whatever leaves the straight line sees the
    /// registers in memory; meanwhile reads take the values, and a register written twice
    /// in the run is stored once.
    dirty: Vec<(u8, Value)>,
    /// Whether the instruction being translated is plain (its writes wait in `dirty`).
    plain: bool,
    /// What `dirty` held before the instruction being translated, which stored it first
    /// (it is not plain): its reads take the values.
    stored: Vec<(u8, Value)>,
    c: CtxVals,
    deferred: Vec<Deferred>,
    /// The checks of the backward jumps the current block ends with, filled right after it
    /// ([`Translator::fill_check`]).
    checks: Vec<(Block, usize)>,
    /// The shared exit, taking where the region ended and why.
    exit: Block,
    /// The chaining exit (see [`Translator::fill_exit`]), taking pc and count.
    chain: Block,
    /// The data context it is compiled for (`Hart::data_path`): the region runs only in
    /// it (`Hart::jit_enter`).
    data: DataPath,
    /// The signature of `jit_data_miss` (`JitCtx::data_miss`).
    miss_sig: SigRef,
    /// The signatures of `jit_next` (`JitCtx::next`) and `jit_fp` (`JitCtx::fp_op`).
    next_sig: SigRef,
    fp_sig: SigRef,
}

impl<'a, 'b> Translator<'a, 'b> {
    fn translate(
        mut b: FunctionBuilder<'a>,
        target: cranelift_codegen::isa::TargetFrontendConfig,
        entry_pc: u64,
        (slots, order, leader): (&'b [Option<Insn>], &'b [u16], &'b [bool]),
        data: DataPath,
    ) {
        let start = b.create_block();
        b.append_block_params_for_function_params(start);
        b.switch_to_block(start);
        let ctx = b.block_params(start)[0];
        let field = |b: &mut FunctionBuilder, off: usize| b.ins().load(I64, mem(), ctx, off as i32);
        let steps0 = field(&mut b, offset_of!(JitCtx, steps));
        let c = CtxVals { ctx };
        let steps = b.declare_var(I64);
        b.def_var(steps, steps0);
        let hits = b.declare_var(I64);
        let zero = b.ins().iconst(I64, 0);
        b.def_var(hits, zero);
        let exit = b.create_block();
        for _ in 0..3 {
            b.append_block_param(exit, I64);
        }
        // The helpers' signatures: `params` 64-bit arguments, one 64-bit result, the host's
        // C calling convention.
        let mut helper = |params: usize| {
            let mut sig = Signature::new(target.default_call_conv);
            sig.params
                .extend(std::iter::repeat_n(AbiParam::new(I64), params));
            sig.returns.push(AbiParam::new(I64));
            b.import_signature(sig)
        };
        let (miss_sig, next_sig, fp_sig) = (helper(4), helper(3), helper(2));
        let chain = b.create_block();
        for _ in 0..2 {
            b.append_block_param(chain, I64);
        }
        let mut blocks = vec![None; SLOTS];
        for &o in order {
            if leader[o as usize] {
                blocks[o as usize] = Some(b.create_block());
            }
        }
        let mut t = Translator {
            b,
            page: entry_pc & !0xfff,
            slots,
            order,
            leader,
            blocks,
            steps,
            pending: 0,
            steps4: None,
            hits,
            pending_hits: 0,
            counts: false,
            last: None,
            prev: None,
            dirty: Vec::with_capacity(DIRTY + 1),
            plain: false,
            stored: Vec::with_capacity(DIRTY + 1),
            c,
            deferred: Vec::new(),
            checks: Vec::new(),
            exit,
            chain,
            data,
            miss_sig,
            next_sig,
            fp_sig,
        };
        let first = t.block(parcel(entry_pc));
        t.b.ins().jump(first, &[]);
        t.body();
        t.fill_deferred();
        t.fill_exit();
        t.b.seal_all_blocks();
        t.b.finalize(target);
    }

    /// The block of a leader parcel. (Every parcel an edge leads to is one, `discover`;
    /// were it not, the new block would stay empty, Cranelift would refuse the function,
    /// and the block engine would run the code: no panic.)
    fn block(&mut self, o: usize) -> Block {
        match self.blocks[o] {
            Some(b) => b,
            None => {
                let b = self.b.create_block();
                self.blocks[o] = Some(b);
                b
            }
        }
    }

    /// Every instruction, in address order.
    fn body(&mut self) {
        let mut open = false;
        self.stored.clear();
        for (i, &o) in self.order.iter().enumerate() {
            let o = o as usize;
            if self.leader[o] || self.blocks[o].is_some() {
                if open {
                    self.flush();
                    let blk = self.block(o);
                    self.b.ins().jump(blk, &[]);
                }
                let blk = self.block(o);
                self.b.switch_to_block(blk);
                // A jump target: the previous instruction's value need not reach it.
                self.last = None;
                self.steps4 = None;
                debug_assert!(self.dirty.is_empty(), "stored before the block ended");
            }
            let insn = self.slots[o].unwrap_or(Insn::UNDECODED);
            let next = self.order.get(i + 1).map(|&n| n as usize);
            // What the previous instruction wrote, for this one only.
            let last = self.last.take();
            self.prev = last;
            open = self.insn(&insn, self.page | (o as u64) << 1, next);
            if !open {
                for (block, target) in std::mem::take(&mut self.checks) {
                    self.fill_check(block, target);
                }
            }
        }
        debug_assert!(!open, "the last instruction falls out of the region");
        // The blocks filled after (`fill_deferred`) store what they write at once.
        self.plain = false;
        self.stored.clear();
        debug_assert!(self.dirty.is_empty());
    }

    /// The check of a backward jump to parcel `target`, right after the block that jumps
    /// (so that a loop's way back is one taken branch): the block engine's rule, a jump
    /// stays in the run while `steps <= limit`, so that at least `MAX_RUN` steps remain
    /// before `stop_at`; else back to the host at the target.
    fn fill_check(&mut self, block: Block, target: usize) {
        self.b.switch_to_block(block);
        self.steps4 = None;
        // Reached by a jump: everything was flushed.
        self.pending_hits = 0;
        let s = self.b.use_var(self.steps);
        let limit = self.cx(offset_of!(JitCtx, limit));
        let ok = self.b.ins().icmp(IntCC::UnsignedLessThanOrEqual, s, limit);
        let stay = self.block(target);
        let leave = self.b.create_block();
        self.b.ins().brif(ok, stay, &[], leave, &[]);
        self.b.set_cold_block(leave);
        self.b.switch_to_block(leave);
        let pc = self.konst(self.page | (target as u64) << 1);
        // Back to the host: the budget is spent, no region may follow.
        self.ret(pc, s, exit::NORMAL);
    }

    /// Brings the count variable and the registers in memory up to date.
    fn flush(&mut self) {
        self.write_back();
        self.steps4 = None;
        if self.pending != 0 {
            let s = self.b.use_var(self.steps);
            let s = self.b.ins().iadd_imm_s(s, self.pending);
            self.b.def_var(self.steps, s);
            self.pending = 0;
        }
        self.commit_hits();
        self.pending_hits = 0;
    }

    /// Adds the pending hits to their variable in the current block (the translator's
    /// `pending_hits` unchanged: a block that leaves does this for its own way out).
    fn commit_hits(&mut self) {
        self.add_to_var(self.hits, self.pending_hits);
    }

    fn add_to_var(&mut self, v: Variable, n: i64) {
        if n != 0 {
            let x = self.b.use_var(v);
            let x = self.b.ins().iadd_imm_s(x, n);
            self.b.def_var(v, x);
        }
    }

    /// The count before the current instruction.
    fn now(&mut self) -> Value {
        self.count_at(self.pending)
    }

    /// The count variable plus `k`, in the current block. (A block off the straight line
    /// computes the count it needs itself: the variable is the same there as where the
    /// block was made, and the straight line computes nothing it does not use.)
    fn count_at(&mut self, k: i64) -> Value {
        let s = self.b.use_var(self.steps);
        if k == 0 {
            s
        } else {
            self.b.ins().iadd_imm_s(s, k)
        }
    }

    fn reg(&mut self, r: u8) -> Value {
        if r == 0 {
            self.b.ins().iconst(I64, 0)
        } else if let Some(&(_, v)) = self.dirty.iter().find(|&&(d, _)| d == r) {
            v
        } else if let Some(&(_, v)) = self.stored.iter().find(|&&(d, _)| d == r) {
            v
        } else if let Some((_, v)) = self.prev.filter(|&(p, _)| p == r) {
            v
        } else {
            let ctx = self.c.ctx;
            self.b
                .ins()
                .load(I64, mem(), ctx, from_ctx::X + (r as i32 & 31) * 8)
        }
    }

    fn set(&mut self, rd: u8, v: Value) {
        // x0 is SINK (decode.rs); writes there are dropped.
        if rd != 0 && rd != SINK {
            self.last = Some((rd, v));
            self.stored.retain(|s| s.0 != rd);
            if self.plain {
                if let Some(d) = self.dirty.iter_mut().find(|d| d.0 == rd) {
                    d.1 = v;
                    return;
                }
                self.dirty.push((rd, v));
                if self.dirty.len() <= DIRTY {
                    return;
                }
                let (rd, v) = self.dirty.remove(0);
                self.store_reg(rd, v);
            } else {
                self.store_reg(rd, v);
            }
        }
    }

    fn store_reg(&mut self, rd: u8, v: Value) {
        let ctx = self.c.ctx;
        self.b
            .ins()
            .store(mem(), v, ctx, from_ctx::X + (rd as i32 & 31) * 8);
    }

    /// Stores the registers plain computations wrote (`dirty`), in the current block.
    fn write_back(&mut self) {
        for (rd, v) in std::mem::take(&mut self.dirty) {
            self.store_reg(rd, v);
        }
    }

    /// A field of the context (at `offset_of!(JitCtx, ..)`).
    fn cx(&mut self, off: usize) -> Value {
        let ctx = self.c.ctx;
        self.b.ins().load(I64, mem(), ctx, off as i32)
    }

    /// `v + imm`; `v` itself when imm is 0 (Cranelift, not optimising, would add 0).
    fn add_imm(&mut self, v: Value, imm: i64) -> Value {
        if imm == 0 {
            v
        } else {
            self.b.ins().iadd_imm_s(v, imm)
        }
    }

    fn konst(&mut self, v: u64) -> Value {
        self.b.ins().iconst(I64, v as i64)
    }

    /// A block that exits to `pc` at count `steps` past the count variable.
    fn exit_block(&mut self, pc: u64, steps: i64, kind: u64) -> Block {
        debug_assert!(
            self.dirty.is_empty(),
            "an exit before the registers are stored"
        );
        let block = self.b.create_block();
        if kind != exit::NORMAL {
            // Out of the straight line: taken rarely.
            self.b.set_cold_block(block);
        }
        self.deferred.push(Deferred::Exit {
            block,
            pc,
            steps,
            kind,
            hits: self.pending_hits,
        });
        block
    }

    /// Where a jump from parcel `from` to `pc` goes (the count flushed): the target's block
    /// if in the region (through a budget check when backward), else an exit.
    fn edge(&mut self, from: usize, pc: u64) -> Block {
        if pc & !0xfff == self.page {
            let o = parcel(pc);
            if self.slots[o].is_some() {
                if o > from {
                    return self.block(o);
                }
                let block = self.b.create_block();
                self.checks.push((block, o));
                return block;
            }
        }
        self.exit_block(pc, 0, exit::NORMAL)
    }

    /// Translates the instruction at `at`; `next` is the parcel translated after it.
    /// Returns whether the current block is still open (it fell through into `next`).
    fn insn(&mut self, i: &Insn, at: u64, next: Option<usize>) -> bool {
        self.plain = plain(i.op);
        self.stored.clear();
        if !self.plain {
            // It may leave the straight line or call a helper: the registers in memory
            // (and their values for its own reads).
            for &(rd, v) in &self.dirty {
                self.stored.push((rd, v));
            }
            self.write_back();
        }
        let here = parcel(at);
        let imm = i.imm as i64;
        let len = i.len as u64;
        let fall = at.wrapping_add(len);
        macro_rules! a {
            () => {
                self.reg(i.rs1)
            };
        }
        macro_rules! bb {
            () => {
                self.reg(i.rs2)
            };
        }
        macro_rules! ins {
            () => {
                self.b.ins()
            };
        }
        let sext32 = |t: &mut Self, v: Value| {
            let v = t.b.ins().ireduce(I32, v);
            t.b.ins().sextend(I64, v)
        };
        let lo32 = |t: &mut Self, v: Value| t.b.ins().ireduce(I32, v);
        let bool64 = |t: &mut Self, v: Value| t.b.ins().uextend(I64, v);
        let value: Value = match i.op {
            Op::Lui | Op::Li => self.konst(imm as u64),
            Op::Auipc => self.konst(at.wrapping_add(imm as u64)),
            Op::Mv => a!(),
            Op::Jal => {
                let link = self.konst(fall);
                self.set(i.rd, link);
                self.pending += 1;
                self.flush();
                let blk = self.edge(here, at.wrapping_add(imm as u64));
                ins!().jump(blk, &[]);
                return false;
            }
            Op::Jalr => {
                // The target before rd is written (rd may be rs1).
                let a = a!();
                let t = self.add_imm(a, imm);
                let t = ins!().band_imm_s(t, !1);
                let link = self.konst(fall);
                self.set(i.rd, link);
                self.pending += 1;
                self.flush();
                let s = self.b.use_var(self.steps);
                self.leave(t, s, exit::NORMAL);
                return false;
            }
            Op::Beqz | Op::Bnez | Op::Beq | Op::Bne | Op::Blt | Op::Bge | Op::Bltu | Op::Bgeu => {
                let a = a!();
                let cond = match i.op {
                    Op::Beqz => ins!().icmp_imm_s(IntCC::Equal, a, 0),
                    Op::Bnez => ins!().icmp_imm_s(IntCC::NotEqual, a, 0),
                    op => {
                        let b = bb!();
                        let cc = match op {
                            Op::Beq => IntCC::Equal,
                            Op::Bne => IntCC::NotEqual,
                            Op::Blt => IntCC::SignedLessThan,
                            Op::Bge => IntCC::SignedGreaterThanOrEqual,
                            Op::Bltu => IntCC::UnsignedLessThan,
                            _ => IntCC::UnsignedGreaterThanOrEqual,
                        };
                        ins!().icmp(cc, a, b)
                    }
                };
                self.pending += 1;
                self.flush();
                let taken = self.edge(here, at.wrapping_add(imm as u64));
                let not_taken = self.edge(here, fall);
                if taken == not_taken {
                    ins!().jump(taken, &[]);
                } else {
                    ins!().brif(cond, taken, &[], not_taken, &[]);
                }
                return false;
            }
            int_loads!() | Op::Flw | Op::Fld => {
                if matches!(i.op, Op::Flw | Op::Fld) {
                    // The FP unit off: illegal, before any access (the block engine traps).
                    self.require_fp_on(at);
                }
                let a = a!();
                let va = self.add_imm(a, imm);
                self.load(i.op, i.rd, at, fall, va);
                self.pending += 1;
                return self.fall_through(here, fall, next);
            }
            Op::Fsw | Op::Fsd => {
                self.require_fp_on(at);
                let a = a!();
                let va = self.add_imm(a, imm);
                let f = from_ctx::FREGS + (i.rs2 as i32 & 31) * 8;
                let v = ins!().load(I64, mem(), self.c.ctx, f);
                let n = if i.op == Op::Fsw { 4 } else { 8 };
                self.store(n, at, fall, va, v);
                self.pending += 1;
                return self.fall_through(here, fall, next);
            }
            Op::Fp | Op::Csrrw | Op::Csrrs | Op::Csrrc | Op::Csrrwi | Op::Csrrsi | Op::Csrrci => {
                // `jit_fp` (an FP computation or an FP CSR access, `compilable`): retired,
                // or a side exit where it would trap. It writes its x register in memory
                // and sets none of `last`: the next instruction reads it from there.
                let side = self.side(at);
                let f = self.cx(offset_of!(JitCtx, fp_op));
                let (ctx, raw) = (self.c.ctx, self.konst(i.raw as u64));
                let call = ins!().call_indirect(self.fp_sig, f, &[ctx, raw]);
                let r = self.b.inst_results(call)[0];
                let ok = ins!().icmp_imm_s(IntCC::Equal, r, 0);
                self.require(ok, side);
                self.pending += 1;
                return self.fall_through(here, fall, next);
            }
            Op::AmoW | Op::AmoD => {
                let (va, src) = (a!(), bb!());
                let n = if i.op == Op::AmoW { 4 } else { 8 };
                self.amo(i.imm as u32, n, i.rd, at, fall, va, src);
                self.pending += 1;
                return self.fall_through(here, fall, next);
            }
            int_stores!() => {
                let a = a!();
                let va = self.add_imm(a, imm);
                let v = bb!();
                let n = match i.op {
                    Op::Sb => 1,
                    Op::Sh => 2,
                    Op::Sw => 4,
                    _ => 8,
                };
                self.store(n, at, fall, va, v);
                self.pending += 1;
                return self.fall_through(here, fall, next);
            }
            Op::Addi => {
                let a = a!();
                self.add_imm(a, imm)
            }
            Op::Slti => {
                let a = a!();
                let c = ins!().icmp_imm_s(IntCC::SignedLessThan, a, imm);
                bool64(self, c)
            }
            Op::Sltiu => {
                let a = a!();
                let c = ins!().icmp_imm_s(IntCC::UnsignedLessThan, a, imm);
                bool64(self, c)
            }
            Op::Xori => {
                let a = a!();
                ins!().bxor_imm_s(a, imm)
            }
            Op::Ori => {
                let a = a!();
                ins!().bor_imm_s(a, imm)
            }
            Op::Andi => {
                let a = a!();
                ins!().band_imm_s(a, imm)
            }
            Op::Slli => {
                let a = a!();
                ins!().ishl_imm_s(a, imm & 63)
            }
            Op::Srli => {
                let a = a!();
                ins!().ushr_imm_s(a, imm & 63)
            }
            Op::Srai => {
                let a = a!();
                ins!().sshr_imm_s(a, imm & 63)
            }
            Op::Addiw => {
                let a = a!();
                let v = ins!().iadd_imm_s(a, imm);
                sext32(self, v)
            }
            Op::Slliw => {
                let a = a!();
                let v = ins!().ishl_imm_s(a, imm & 31);
                sext32(self, v)
            }
            Op::Srliw => {
                let a = a!();
                let a = lo32(self, a);
                let v = ins!().ushr_imm_s(a, imm & 31);
                ins!().sextend(I64, v)
            }
            Op::Sraiw => {
                let a = a!();
                let a = lo32(self, a);
                let v = ins!().sshr_imm_s(a, imm & 31);
                ins!().sextend(I64, v)
            }
            op => {
                let (a, b) = (a!(), bb!());
                self.alu_rr(op, a, b)
            }
        };
        self.set(i.rd, value);
        self.pending += 1;
        self.fall_through(here, fall, next)
    }

    /// The register-register operations (RV64I and M).
    fn alu_rr(&mut self, op: Op, a: Value, b: Value) -> Value {
        macro_rules! ins {
            () => {
                self.b.ins()
            };
        }
        // RV masks a register shift amount to 6 bits (5 for the W forms: "the shift amount
        // is held in the lower 5 bits of rs2", unpriv/rv64.adoc). Cranelift masks to the
        // type's width too; the explicit mask says so and costs nothing where redundant.
        let sext = |t: &mut Self, v: Value| t.b.ins().sextend(I64, v);
        match op {
            Op::Add => ins!().iadd(a, b),
            Op::Sub => ins!().isub(a, b),
            Op::Xor => ins!().bxor(a, b),
            Op::Or => ins!().bor(a, b),
            Op::And => ins!().band(a, b),
            Op::Sll | Op::Srl | Op::Sra => {
                let s = ins!().band_imm_s(b, 63);
                match op {
                    Op::Sll => ins!().ishl(a, s),
                    Op::Srl => ins!().ushr(a, s),
                    _ => ins!().sshr(a, s),
                }
            }
            Op::Slt | Op::Sltu => {
                let cc = if op == Op::Slt {
                    IntCC::SignedLessThan
                } else {
                    IntCC::UnsignedLessThan
                };
                let c = ins!().icmp(cc, a, b);
                ins!().uextend(I64, c)
            }
            Op::Addw | Op::Subw | Op::Sllw | Op::Mulw => {
                // The low 32 bits of the 64-bit result are those of the 32-bit one.
                let v = match op {
                    Op::Addw => ins!().iadd(a, b),
                    Op::Subw => ins!().isub(a, b),
                    Op::Mulw => ins!().imul(a, b),
                    _ => {
                        let s = ins!().band_imm_s(b, 31);
                        ins!().ishl(a, s)
                    }
                };
                let v = ins!().ireduce(I32, v);
                sext(self, v)
            }
            Op::Srlw | Op::Sraw => {
                let a32 = ins!().ireduce(I32, a);
                let s = ins!().band_imm_s(b, 31);
                let v = if op == Op::Srlw {
                    ins!().ushr(a32, s)
                } else {
                    ins!().sshr(a32, s)
                };
                sext(self, v)
            }
            Op::Mul => ins!().imul(a, b),
            Op::Mulh => ins!().smulhi(a, b),
            Op::Mulhu => ins!().umulhi(a, b),
            Op::Mulhsu => {
                // a signed is a unsigned minus 2^64 when negative: the high word of the
                // product loses b then.
                let hi = ins!().umulhi(a, b);
                let neg = ins!().sshr_imm_s(a, 63);
                let fix = ins!().band(neg, b);
                ins!().isub(hi, fix)
            }
            // unpriv/m-st-ext.adoc, "Division Operations": x/0 = all ones, x%0 = x,
            // MIN/-1 = MIN, MIN%-1 = 0. Cranelift's division traps on the divisor 0 and on
            // the overflow, so the divisor is replaced by 1 there (which gives MIN/1 = MIN
            // and MIN%1 = 0 for the overflow) and the zero case chosen after.
            Op::Div | Op::Divu | Op::Rem | Op::Remu => self.divide(op, a, b, I64),
            Op::Divw | Op::Divuw | Op::Remw | Op::Remuw => {
                let a32 = ins!().ireduce(I32, a);
                let b32 = ins!().ireduce(I32, b);
                let v = self.divide(op, a32, b32, I32);
                sext(self, v)
            }
            // `compilable` lets no other operation reach here.
            _ => self.b.ins().iconst(I64, 0),
        }
    }

    /// Division and remainder of `ty`-wide operands, as the M extension defines them.
    fn divide(&mut self, op: Op, a: Value, b: Value, ty: cranelift_codegen::ir::Type) -> Value {
        let signed = matches!(op, Op::Div | Op::Rem | Op::Divw | Op::Remw);
        let rem = matches!(op, Op::Rem | Op::Remu | Op::Remw | Op::Remuw);
        let min = if ty == I32 { i32::MIN as i64 } else { i64::MIN };
        macro_rules! ins {
            () => {
                self.b.ins()
            };
        }
        // Constants of `ty` (Cranelift wants an i32 constant's bits zero-extended).
        let k = |t: &mut Self, v: i64| {
            let bits = if ty == I32 { v & 0xffff_ffff } else { v };
            t.b.ins().iconst(ty, bits)
        };
        let k0 = k(self, 0);
        let zero = ins!().icmp(IntCC::Equal, b, k0);
        let bad = if signed {
            let kmin = k(self, min);
            let km1 = k(self, -1);
            let a_min = ins!().icmp(IntCC::Equal, a, kmin);
            let b_m1 = ins!().icmp(IntCC::Equal, b, km1);
            let ovf = ins!().band(a_min, b_m1);
            ins!().bor(zero, ovf)
        } else {
            zero
        };
        let one = k(self, 1);
        let d = ins!().select(bad, one, b);
        let all_ones = k(self, -1);
        let (v, if_zero) = match (signed, rem) {
            (true, false) => (ins!().sdiv(a, d), all_ones),
            (false, false) => (ins!().udiv(a, d), all_ones),
            (true, true) => (ins!().srem(a, d), a),
            (false, true) => (ins!().urem(a, d), a),
        };
        ins!().select(zero, if_zero, v)
    }

    /// After an instruction that falls through to `fall` (counted): on in the same block,
    /// a jump to its block, or an exit. Returns whether the block stays open.
    fn fall_through(&mut self, here: usize, fall: u64, next: Option<usize>) -> bool {
        if fall & !0xfff == self.page {
            let o = parcel(fall);
            if self.slots[o].is_some() && next == Some(o) && !self.leader[o] {
                return true;
            }
        }
        self.flush();
        let blk = self.edge(here, fall);
        self.b.ins().jump(blk, &[]);
        false
    }

    /// A block that leaves by a side exit at the instruction at `at` (which did not run).
    fn side(&mut self, at: u64) -> Block {
        self.exit_block(at, self.pending, exit::SIDE)
    }

    /// Branches to `side` unless `ok`, and goes on in a new block.
    fn require(&mut self, ok: Value, side: Block) {
        let cont = self.b.create_block();
        self.b.ins().brif(ok, cont, &[], side, &[]);
        self.b.switch_to_block(cont);
    }

    /// The physical address of `va` for a store of `n` bytes (for a load, the host address
    /// of that), as `load_hit` and `store_hit` find it, counting the TLB hit; on a
    /// fast-table miss (aligned, not direct), as `load_miss` and `store_miss` find it with
    /// the MMU's common translation (`jit_data_miss`); `side` where none of them would
    /// serve it. When that translation made the hart forget the fetch page, a load goes to
    /// `dropped` (with the address); for a store, the second value returned is then
    /// nonzero (None: direct).
    fn address(
        &mut self,
        va: Value,
        n: i64,
        store: bool,
        side: Block,
        dropped: Option<Block>,
    ) -> (Value, Option<Value>) {
        if n > 1 {
            let mis = self.b.ins().band_imm_s(va, n - 1);
            let ok = self.b.ins().icmp_imm_s(IntCC::Equal, mis, 0);
            self.require(ok, side);
        }
        if self.data == DataPath::Direct {
            // Direct: the address is physical; RAM or nothing (`Ram::contains_n`).
            let off = self.b.ins().iadd_imm_s(va, RAM_BASE.wrapping_neg() as i64);
            let c_ram_size = self.cx(offset_of!(JitCtx, ram_size));
            let max = self.b.ins().iadd_imm_s(c_ram_size, -n);
            let ok = self.b.ins().icmp(IntCC::UnsignedLessThanOrEqual, off, max);
            self.require(ok, side);
            return (if store { va } else { self.host_of(va) }, None);
        }
        // Mapped: the MMU's fast table (`FastTlb::lookup`, `Mmu::fast_data`).
        let layout = ENTRY_LAYOUT;
        let table = if store {
            self.cx(offset_of!(JitCtx, store_table))
        } else {
            self.cx(offset_of!(JitCtx, load_table))
        };
        let vpn = self.b.ins().ushr_imm_s(va, 12);
        // The entry's offset, `(vpn % ENTRIES) * size`, in two operations.
        let shift = layout.size.trailing_zeros() as i64;
        let byte = self.b.ins().ushr_imm_s(va, 12 - shift);
        let byte = self
            .b
            .ins()
            .band_imm_s(byte, ((ENTRIES - 1) * layout.size) as i64);
        let e = self.b.ins().iadd(table, byte);
        let key = self.b.ins().load(I64, mem(), e, layout.key as i32);
        let c_gen = self.cx(offset_of!(JitCtx, gen));
        let want = self.b.ins().bor(vpn, c_gen);
        let hit = self.b.ins().icmp(IntCC::Equal, key, want);
        // Before the branch: the straight line's later accesses use it too.
        let paged = self.data == DataPath::Paged;
        let steps4 = match self.steps4 {
            Some(v) if paged => Some(v),
            _ if paged => {
                let s = self.b.use_var(self.steps);
                let v = self.b.ins().ishl_imm_s(s, 2);
                self.steps4 = Some(v);
                Some(v)
            }
            _ => None,
        };
        let join = self.b.create_block();
        let pa_joined = self.b.append_block_param(join, I64);
        let dropped_joined = store.then(|| self.b.append_block_param(join, I64));
        // The miss, out of the way: the MMU's common translation, as the block engine's
        // miss path asks it before its general path.
        let (on_hit, miss, served) = (
            self.b.create_block(),
            self.b.create_block(),
            self.b.create_block(),
        );
        self.b.ins().brif(hit, on_hit, &[], miss, &[]);
        self.b.set_cold_block(miss);
        self.b.switch_to_block(miss);
        let f = self.cx(offset_of!(JitCtx, data_miss));
        let now = self.now();
        let kind = self.konst(store as u64);
        let ctx = self.c.ctx;
        let call = self
            .b
            .ins()
            .call_indirect(self.miss_sig, f, &[ctx, va, now, kind]);
        let r = self.b.inst_results(call)[0];
        let none = self
            .b
            .ins()
            .icmp_imm_s(IntCC::Equal, r, MISS_NOT_SERVED as i64);
        self.b.ins().brif(none, side, &[], served, &[]);
        self.b.set_cold_block(served);
        self.b.switch_to_block(served);
        if paged {
            // The MMU counted this lookup: it is no fast-table hit.
            // Taken off the call's count in memory, not the variable: a new value of the
            // variable here would make the join a merge point for it, which register
            // allocation pays for at every access.
            let off = offset_of!(JitCtx, hits) as i32;
            let ctx = self.c.ctx;
            let v = self.b.ins().load(I64, mem(), ctx, off);
            let v = self.b.ins().iadd_imm_s(v, -HIT[store as usize]);
            self.b.ins().store(mem(), v, ctx, off);
        }
        let pa = self.b.ins().band_imm_s(r, !(MISS_FETCH_DROPPED as i64));
        let pa = if store { pa } else { self.host_of(pa) };
        let bit = self.b.ins().ushr_imm_s(r, 63);
        match dropped {
            Some(dropped) if !store => {
                self.b
                    .ins()
                    .brif(bit, dropped, &[pa.into()], join, &[pa.into()]);
            }
            _ => {
                self.b.ins().jump(join, &[pa.into(), bit.into()]);
            }
        }
        self.b.switch_to_block(on_hit);
        // A load's host address (the entry's delta with RAM's host address added in:
        // `FastTlb::set_host_bias`), a store's physical one.
        let field = if store { layout.delta } else { layout.host };
        let delta = self.b.ins().load(I64, mem(), e, field as i32);
        let pa_mapped = self.b.ins().iadd(va, delta);
        if let Some(steps4) = steps4 {
            // A hit stands for one on its TLB slot (`Tlb::count_fast_hit`): the access
            // type's lookups and hits (`pending_hits`, below), and the slot's stamp
            // `now * 4 + 2` (the data phase). (Under a Bare translation the entries stand
            // for no slot, and a hit counts nothing.)
            let slot = self.b.ins().uload32(mem(), e, layout.slot as i32);
            let stamp = self.b.ins().iadd_imm_s(steps4, self.pending * 4 + 2);
            let c_stamps = self.cx(offset_of!(JitCtx, stamps));
            let at = self.b.ins().ishl_imm_s(slot, 3);
            let at = self.b.ins().iadd(c_stamps, at);
            self.b.ins().store(mem(), stamp, at, 0);
        }
        // A hit refills nothing: the fetch page stays (a store's second value is 0).
        let zero = if store { self.konst(0) } else { pa_mapped };
        let args = [pa_mapped.into(), zero.into()];
        self.b.ins().jump(join, &args[..1 + store as usize]);
        self.b.switch_to_block(join);
        if paged {
            self.pending_hits += HIT[store as usize];
            self.counts = true;
        }
        (pa_joined, dropped_joined)
    }

    /// The host address of physical address `pa` (RAM).
    fn host_of(&mut self, pa: Value) -> Value {
        let c_ram0 = self.cx(offset_of!(JitCtx, ram0));
        self.b.ins().iadd(c_ram0, pa)
    }

    /// The block a load's served miss that dropped the fetch page goes to (None: direct, no
    /// miss is served); filled after the instructions ([`Deferred::Dropped`]).
    fn dropped_block(&mut self, op: Op, rd: u8, fall: u64) -> Option<Block> {
        if self.data == DataPath::Direct {
            return None;
        }
        let block = self.b.create_block();
        self.b.append_block_param(block, I64);
        self.b.set_cold_block(block);
        // Retired there: its hit, counted as it is translated, and taken off by the
        // served miss.
        let mut hits = self.pending_hits;
        if self.data == DataPath::Paged {
            hits += HIT[0];
        }
        self.deferred.push(Deferred::Dropped {
            block,
            op,
            rd,
            fall,
            now: self.pending,
            hits,
        });
        Some(block)
    }

    /// A load (`Hart::load_hit`, or `load_miss`'s common translation), its value extended
    /// as `op` says, for `rd`, falling through to `fall`.
    fn load(&mut self, op: Op, rd: u8, at: u64, fall: u64, va: Value) {
        let side = self.side(at);
        let n = match op {
            Op::Lb | Op::Lbu => 1,
            Op::Lh | Op::Lhu => 2,
            Op::Lw | Op::Lwu | Op::Flw => 4,
            _ => 8,
        };
        let dropped = self.dropped_block(op, rd, fall);
        let (host, _) = self.address(va, n, false, side, dropped);
        self.load_to(op, rd, host);
    }

    /// The load of `op` at host address `host` (RAM's) into its destination: `rd`, or for
    /// FLW and FLD the f register `rd` (NaN-boxed from single), the FP state then Dirty.
    fn load_to(&mut self, op: Op, rd: u8, host: Value) {
        match op {
            Op::Flw | Op::Fld => {
                let v = if op == Op::Flw {
                    let v = self.load_at(Op::Lwu, host);
                    self.b.ins().bor_imm_s(v, 0xffff_ffff_0000_0000u64 as i64)
                } else {
                    self.load_at(Op::Ld, host)
                };
                let ctx = self.c.ctx;
                let f = from_ctx::FREGS + (rd as i32 & 31) * 8;
                self.b.ins().store(mem(), v, ctx, f);
                let m = self.b.ins().load(I64, mem(), ctx, from_ctx::MSTATUS);
                let m = self.b.ins().bor_imm_s(m, ms::FS as i64);
                self.b.ins().store(mem(), m, ctx, from_ctx::MSTATUS);
            }
            _ => {
                let v = self.load_at(op, host);
                self.set(rd, v);
            }
        }
    }

    /// A side exit at the instruction at `at` unless the FP unit is on (mstatus.FS is not
    /// Off): an FP load or store would raise an illegal-instruction exception, which the
    /// block engine takes.
    fn require_fp_on(&mut self, at: u64) {
        let side = self.side(at);
        let ctx = self.c.ctx;
        let m = self.b.ins().load(I64, mem(), ctx, from_ctx::MSTATUS);
        let fs = self.b.ins().band_imm_s(m, ms::FS as i64);
        let on = self.b.ins().icmp_imm_s(IntCC::NotEqual, fs, 0);
        self.require(on, side);
    }

    /// The load of `op` at host address `host` (RAM's).
    fn load_at(&mut self, op: Op, host: Value) -> Value {
        let ins = self.b.ins();
        match op {
            Op::Lb => ins.sload8(I64, mem(), host, 0),
            Op::Lbu => ins.uload8(I64, mem(), host, 0),
            Op::Lh => ins.sload16(I64, mem(), host, 0),
            Op::Lhu => ins.uload16(I64, mem(), host, 0),
            Op::Lw => ins.sload32(mem(), host, 0),
            Op::Lwu => ins.uload32(mem(), host, 0),
            _ => ins.load(I64, mem(), host, 0),
        }
    }

    /// A store of the low `n` bytes of `v` (`Hart::store_hit`), then `after_ram_store`:
    /// the reservation here, and for a page with flags an exit to `fall` that has the hart
    /// call `note_store`.
    fn store(&mut self, n: i64, at: u64, fall: u64, va: Value, v: Value) {
        let side = self.side(at);
        let (pa, dropped) = self.address(va, n, true, side, None);
        let host = self.host_of(pa);
        self.store_at(n, host, v);
        self.after_store(n, fall, pa, dropped);
    }

    /// The store of the low `n` bytes of `v` at host address `host` (RAM's).
    fn store_at(&mut self, n: i64, host: Value, v: Value) {
        match n {
            1 => self.b.ins().istore8(mem(), v, host, 0),
            2 => self.b.ins().istore16(mem(), v, host, 0),
            4 => self.b.ins().istore32(mem(), v, host, 0),
            _ => self.b.ins().store(mem(), v, host, 0),
        };
    }

    /// An AMO of `n` bytes (4: .W, 8: .D) at `va` with the source value `src`, `funct5`
    /// its operation: as the block engine runs it (`Hart::execute_rare`), a store's
    /// translation (`Access::Store`, one TLB lookup; the fast table or the common
    /// translation, else a side exit: misaligned, a fault, a device...), the old value
    /// read, the operation's result written, `after_ram_store`, and the old value
    /// (sign-extended from 32 bits for .W) into `rd`. (unpriv/a-st-ext.adoc, "Atomic
    /// Memory Operations"; one hart, so the read and the write need no atomicity.)
    #[allow(clippy::too_many_arguments)]
    fn amo(&mut self, funct5: u32, n: i64, rd: u8, at: u64, fall: u64, va: Value, src: Value) {
        let side = self.side(at);
        let (pa, dropped) = self.address(va, n, true, side, None);
        let host = self.host_of(pa);
        let old = if n == 4 {
            self.b.ins().sload32(mem(), host, 0)
        } else {
            self.b.ins().load(I64, mem(), host, 0)
        };
        // Comparisons on the operands as .W or .D sees them: signed on the sign-extended
        // values, unsigned on the zero-extended ones (`old` is sign-extended already).
        let ext = |t: &mut Self, v: Value, signed: bool| {
            if n == 8 {
                return v;
            }
            let v = t.b.ins().ireduce(I32, v);
            if signed {
                t.b.ins().sextend(I64, v)
            } else {
                t.b.ins().uextend(I64, v)
            }
        };
        let pick = |t: &mut Self, cc: IntCC, signed: bool| {
            let (a, b) = (ext(t, old, signed), ext(t, src, signed));
            let keep = t.b.ins().icmp(cc, a, b);
            t.b.ins().select(keep, old, src)
        };
        let new = match funct5 {
            AMO_SWAP => src,
            AMO_ADD => self.b.ins().iadd(old, src),
            AMO_XOR => self.b.ins().bxor(old, src),
            AMO_AND => self.b.ins().band(old, src),
            AMO_OR => self.b.ins().bor(old, src),
            AMO_MIN => pick(self, IntCC::SignedLessThanOrEqual, true),
            AMO_MAX => pick(self, IntCC::SignedGreaterThanOrEqual, true),
            AMO_MINU => pick(self, IntCC::UnsignedLessThanOrEqual, false),
            // AMOMAXU (0b11100): the decoder makes AMOs of these nine operations only (and
            // the block engine's `exec::amo` reads any other as this one too).
            _ => pick(self, IntCC::UnsignedGreaterThanOrEqual, false),
        };
        self.store_at(n, host, new);
        // Retired with the store: rd before a flagged store's exit.
        self.set(rd, old);
        self.after_store(n, fall, pa, dropped);
    }

    /// The rest of a store of `n` bytes at physical address `pa` (`after_ram_store`): the
    /// reservation here, and for a page with flags (or a served miss that dropped the
    /// fetch page, `dropped`) an exit to `fall` that has the hart call `note_store`.
    fn after_store(&mut self, n: i64, fall: u64, pa: Value, dropped: Option<Value>) {
        // A store to the reserved granule clears the reservation.
        let granule = self.b.ins().band_imm_s(pa, !7);
        let ctx = self.c.ctx;
        let r = self.b.ins().load(I64, mem(), ctx, from_ctx::RESERVATION);
        let hit = self.b.ins().icmp(IntCC::Equal, granule, r);
        let clear = self.b.create_block();
        let after = self.b.create_block();
        self.b.ins().brif(hit, clear, &[], after, &[]);
        self.b.set_cold_block(clear);
        self.b.switch_to_block(clear);
        let none = self.konst(NO_RESERVATION);
        self.b.ins().store(mem(), none, ctx, from_ctx::RESERVATION);
        self.b.ins().jump(after, &[]);
        self.b.switch_to_block(after);
        // The frame's flags (`ICache::note_store`): nonzero, the hart must see the store.
        let off = self.b.ins().iadd_imm_s(pa, RAM_BASE.wrapping_neg() as i64);
        let frame = self.b.ins().ushr_imm_s(off, 12);
        let c_flags = self.cx(offset_of!(JitCtx, flags));
        let f = self.b.ins().iadd(c_flags, frame);
        let f = self.b.ins().uload8(I64, mem(), f, 0);
        // A served miss that dropped the fetch page ends the region after the store, as
        // does a store to a page with flags: both exit to `fall` by the same path (the
        // hart's `note_store` does nothing on a page without flags), where the block
        // engine's entry checks the fetch page (`after_memory!`).
        let f = match dropped {
            Some(d) => self.b.ins().bor(f, d),
            None => f,
        };
        let flagged = self.b.create_block();
        let cont = self.b.create_block();
        self.b.ins().brif(f, flagged, &[], cont, &[]);
        self.b.set_cold_block(flagged);
        self.b.switch_to_block(flagged);
        self.b
            .ins()
            .store(mem(), pa, self.c.ctx, offset_of!(JitCtx, out_pa) as i32);
        let len = self.konst(n as u64);
        self.b
            .ins()
            .store(mem(), len, self.c.ctx, offset_of!(JitCtx, out_len) as i32);
        let after_steps = self.count_at(self.pending + 1);
        let pc = self.konst(fall);
        self.leave(pc, after_steps, exit::FLAGGED_STORE);
        self.b.switch_to_block(cont);
    }

    /// The blocks made during the translation that it could not fill then.
    fn fill_deferred(&mut self) {
        (self.last, self.prev) = (None, None);
        self.steps4 = None;
        // Filling one defers nothing more.
        for d in std::mem::take(&mut self.deferred) {
            match d {
                Deferred::Exit {
                    block,
                    pc,
                    steps,
                    kind,
                    hits,
                } => {
                    self.b.switch_to_block(block);
                    self.pending_hits = hits;
                    let s = self.count_at(steps);
                    let pc = self.konst(pc);
                    self.leave(pc, s, kind);
                }
                Deferred::Dropped {
                    block,
                    op,
                    rd,
                    fall,
                    now,
                    hits,
                } => {
                    self.b.switch_to_block(block);
                    self.pending_hits = hits;
                    let host = self.b.block_params(block)[0];
                    self.load_to(op, rd, host);
                    // Retired; the block engine goes on at `fall`, from its entry (which
                    // finds the fetch page again), as after its own miss (`after_memory!`).
                    let s = self.count_at(now + 1);
                    let pc = self.konst(fall);
                    self.leave(pc, s, exit::NORMAL);
                }
            }
        }
        debug_assert!(self.deferred.is_empty());
    }

    /// An exit (ending the current block), with where the region ended and why (registers
    /// are in `Hart::x` already): a normal one to the chaining block, which goes on in the
    /// next region when it can; the others back to the host.
    fn leave(&mut self, pc: Value, steps: Value, kind: u64) {
        if kind == exit::NORMAL {
            self.commit_hits();
            let chain = self.chain;
            self.b.ins().jump(chain, &[pc.into(), steps.into()]);
        } else {
            self.ret(pc, steps, kind);
        }
    }

    /// An exit back to the host (ending the current block).
    fn ret(&mut self, pc: Value, steps: Value, kind: u64) {
        self.commit_hits();
        let (exit, kind) = (self.exit, self.konst(kind));
        self.b
            .ins()
            .jump(exit, &[pc.into(), steps.into(), kind.into()]);
    }

    /// Adds the fast-table hits counted since the entry to the call's (`JitCtx::hits`): once
    /// on each way out of the region (`fill_exit`), if it counts any.
    fn flush_hits(&mut self) {
        if self.counts {
            let n = self.b.use_var(self.hits);
            let off = offset_of!(JitCtx, hits) as i32;
            let v = self.b.ins().load(I64, mem(), self.c.ctx, off);
            let v = self.b.ins().iadd(v, n);
            self.b.ins().store(mem(), v, self.c.ctx, off);
        }
    }

    /// The shared exits of [`Translator::leave`] and [`Translator::ret`].
    ///
    /// Back to the host: where the region ended, and why.
    ///
    /// Chaining, at a normal exit to `pc` at count `steps`: what the block engine would do
    /// next, without going back to it. While the budget allows another run (`steps <=
    /// limit`, the block engine's entry check), `jit_next` makes pc's page the fetch page
    /// as the block engine's entry would (counted alike), and names the region compiled at
    /// pc for it; the region returns that region's code, which the trampoline calls next.
    /// Else (no region there, or the budget spent) back to the host, whose block engine
    /// goes on at pc.
    fn fill_exit(&mut self) {
        let (exit, chain, ctx) = (self.exit, self.chain, self.c.ctx);
        // Every way here brought the hits' variable up to date.
        self.pending_hits = 0;
        self.b.switch_to_block(chain);
        let [pc, steps] = [0, 1].map(|i| self.b.block_params(chain)[i]);
        let (next, to_host) = (self.b.create_block(), self.b.create_block());
        let limit = self.cx(offset_of!(JitCtx, limit));
        let ok = self
            .b
            .ins()
            .icmp(IntCC::UnsignedLessThanOrEqual, steps, limit);
        self.b.ins().brif(ok, next, &[], to_host, &[]);
        self.b.switch_to_block(next);
        let f = self.cx(offset_of!(JitCtx, next));
        let call = self
            .b
            .ins()
            .call_indirect(self.next_sig, f, &[ctx, pc, steps]);
        let code = self.b.inst_results(call)[0];
        let go = self.b.create_block();
        self.b.ins().brif(code, go, &[], to_host, &[]);
        self.b.switch_to_block(go);
        self.flush_hits();
        self.b
            .ins()
            .store(mem(), steps, ctx, offset_of!(JitCtx, steps) as i32);
        self.b.ins().return_(&[code]);
        self.b.switch_to_block(to_host);
        self.ret(pc, steps, exit::NORMAL);

        self.b.switch_to_block(exit);
        let [pc, steps, kind] = [0, 1, 2].map(|i| self.b.block_params(exit)[i]);
        self.flush_hits();
        self.b
            .ins()
            .store(mem(), pc, ctx, offset_of!(JitCtx, out_pc) as i32);
        self.b
            .ins()
            .store(mem(), steps, ctx, offset_of!(JitCtx, out_steps) as i32);
        self.b
            .ins()
            .store(mem(), kind, ctx, offset_of!(JitCtx, out_kind) as i32);
        let zero = self.konst(0);
        self.b.ins().return_(&[zero]);
    }
}
