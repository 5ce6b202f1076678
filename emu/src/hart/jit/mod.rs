//! The JIT tier (`--engine jit`): the block engine ([`super::block`]) plus *regions* of hot
//! code compiled to host code with Cranelift.
//!
//! **When.** At each entry of a run (the block engine's `'entry`: pc on the fetch page, at
//! least `MAX_RUN` steps before `stop_at`) and at each taken in-page jump of a run, the
//! target slot's JIT entry (`ICache::jit_entry`: one `u32` per decoded slot, kept with the
//! decoded page) counts the entries there (`ICache::jit_hot`); at the threshold
//! (`--jit-threshold`) the run goes back to its entry, which asks for the region starting
//! there, and the JIT entry then names it (a run also goes back to its entry at a jump to a
//! compiled region). By default a background thread compiles it ([`worker`]): the entry is
//! *pending* meanwhile, the block engine runs the code there, and each entry at a pending
//! entry (and each call of [`Hart::run_jit`]) installs the regions the worker has finished.
//! So *when* a region starts being used depends on host time; *what* the guest sees never
//! does, since a region does exactly what the block engine would (below). Only the JIT's
//! own counters ([`JitStats`]) vary from run to run. With `--jit-sync` the emulating thread
//! compiles at once, and they repeat too: whether and when code is compiled then depends
//! only on what the guest executed.
//!
//! **What.** A region ([`compile`]) is a set of decoded slots of one 4 KiB page reachable
//! from its entry by fall-through, conditional branches and JAL, at most
//! [`MAX_REGION_INSNS`] instructions, compiled from copies of the slots and the *virtual*
//! page it was entered on (pcs are constants in it: AUIPC, links, targets). It is only used
//! on that virtual page (`fetch_tag`), and dropped with its decoded page's entry table
//! whenever a store clears a decoded slot of the page (`ICache::note_store`). It exits
//! (at an exact pc and count) at anything else: JALR (retired, exit to its target), a jump
//! or a fall-through leaving the page or the region, an undecoded slot, any out-of-line
//! operation but F/D and AMOs (CSRs, xRET, fences, ECALL, WFI, LR/SC), a backward jump
//! with less than `MAX_RUN` steps left before `stop_at`, and a store to a page of code or
//! to the watched word (retired; the hart then calls `note_store`, which may lower
//! `stop_at`).
//!
//! **Chaining.** A normal exit with the budget left for another run (`steps <= limit`)
//! asks [`jit_next`] for the region to go on in: what the block engine's entry would do
//! at that pc (the cheap change of fetch page included), up to running the region compiled
//! there. The region then returns that region's code, which the trampoline
//! (`compile::trampoline`) calls; the host sees the run again only at a side exit, a
//! flagged store, the budget's end, or a pc without a region.
//!
//! **Exactly the block engine.** Loads and stores take the same fast paths as
//! [`Hart::load_hit`] and [`Hart::store_hit`] inline, an AMO as a store that reads the old
//! value first (the block engine translates it for a store too): the direct path; else
//! the MMU's fast tables, counting the TLB hit and stamping the slot with `steps * 4 + 2`;
//! an aligned access missing the fast table asks the MMU's common translation, as
//! `load_miss` and `store_miss` do first ([`jit_data_miss`], called from compiled code; a
//! refill that drops the fetch page ends the region after the instruction); anything else
//! they would not serve (misaligned, not RAM, the MMU's general path) is a *side exit*: the
//! instruction did not happen, and the block engine runs it (the next entry skips the JIT,
//! so a region is never re-entered at once at the instruction it could not run). The
//! budget invariant is the block engine's: a run entered with `MAX_RUN` steps left takes
//! at most a page's worth of forward steps between checks, and every backward jump checks
//! `steps <= limit`, as does every chained entry. Fetches need nothing: a region never
//! leaves the fetch page, whose TLB hits the MMU counts from `steps` (`mmu::fast`,
//! `FetchRun`), and a change of page between regions is `jit_next`'s, counted as the
//! block engine counts it.

mod compile;
mod perf_map;
#[cfg(test)]
mod tests;
mod worker;

use super::block::MAX_RUN;
use super::decode::decode;
use super::icache::ICache;
use super::{DataPath, Hart};
use crate::bus::{Bus, Ram, RAM_BASE};
use crate::mmu::{Access, Mmu};
use compile::Compiler;

/// The most instructions a region compiles. (Measured on SQLite at 50k rows: 64 ran 3%
/// slower than 128, with 13% more changes of region; 256 ran 1% faster, with 2% fewer, and
/// 512 as 256: most regions end at calls and returns long before.)
pub const MAX_REGION_INSNS: usize = 256;

/// Regions beyond which all compiled code is dropped (and recompiled as it gets hot again).
const MAX_REGIONS: usize = 1 << 15;

/// Bytes of compiled code beyond which all of it is dropped.
const MAX_CODE_BYTES: usize = 64 << 20;

use super::icache::{JIT_COMPILED as COMPILED, JIT_NEVER as NEVER, JIT_PENDING as PENDING};
use worker::{Answer, Done, Ticket, Worker};

/// How a region returned ([`JitCtx::out_pc`], [`JitCtx::out_steps`] say where and when).
pub(crate) mod exit {
    /// Every instruction before `out_pc` retired; the block engine goes on at `out_pc`.
    pub const NORMAL: u64 = 0;
    /// The instruction at `out_pc` did not run (its load or store is not one the region
    /// serves): the block engine must run it before the JIT is used again.
    pub const SIDE: u64 = 1;
    /// A store to a page with flags (code or the watched word) retired just before
    /// `out_pc`: the hart must call `note_store(out_pa, out_len)` first. Also a store whose
    /// miss `jit_data_miss` served and which made the hart forget the fetch page (on a page
    /// without flags `note_store` does nothing): either way the block engine goes on at
    /// `out_pc` from its entry.
    pub const FLAGGED_STORE: u64 = 2;
}

/// What a region reads and writes besides guest RAM: built by [`Hart::jit_call`] right
/// before each call from the hart, valid for that call only. `repr(C)`: compiled code
/// reads the fields at their `offset_of!` offsets.
#[repr(C)]
pub(crate) struct JitCtx {
    /// The count at entry.
    pub steps: u64,
    /// A backward jump stays in the region while the count after it is at most this
    /// (`stop_at - MAX_RUN`, as the block engine's `limit`).
    pub limit: u64,
    /// The MMU's fast tables (`FastTlb::jit_view`).
    pub load_table: *const u8,
    pub store_table: *const u8,
    pub gen: u64,
    /// The fast-table hits regions counted during the call (each one TLB lookup and hit),
    /// loads in the low 32 bits and stores in the high ones (`compile::HIT`), added to the
    /// TLB's counters when it returns: nothing reads those before.
    pub hits: u64,
    /// The stamps of the TLB's slots.
    pub stamps: *mut u64,
    /// The host address of guest physical 0 (wrapping: RAM's host address minus
    /// `RAM_BASE`), and RAM's size.
    pub ram0: *mut u8,
    pub ram_size: u64,
    /// `ICache`'s flags per RAM frame.
    pub flags: *const u8,
    /// [`jit_data_miss`], which compiled code calls (`call_indirect`) on a fast-table miss,
    /// and what it reaches: the hart's MMU and decoded-instruction cache, and RAM.
    pub data_miss: DataMissFn,
    pub mmu: *mut Mmu,
    pub icache: *mut ICache,
    pub ram: *const Ram,
    /// [`jit_next`], which a region calls at a normal exit to find the region to go on in,
    /// and what it reaches besides: the hart (`mmu` and `icache` are its) and the JIT.
    pub next: NextFn,
    pub hart: *mut Hart,
    pub jit: *mut Jit,
    /// The region running (its index in `Jit::regions`) and the count it was entered at,
    /// set by [`Hart::jit_call`] and by [`jit_next`] at each chained entry: at the return,
    /// the region that exited, for its statistics.
    pub region: u64,
    pub region_steps: u64,
    /// Regions entered by chaining ([`jit_next`]).
    pub chained: u64,
    /// [`jit_fp`], which compiled code calls for an F/D computation.
    pub fp_op: FpFn,
    /// Accesses [`jit_data_miss`] served, and of those the ones after which the fetch page
    /// was forgotten (for the statistics).
    pub served: u64,
    pub served_dropped: u64,
    /// Out: where and at which count the region ended, how ([`exit`]), and for
    /// [`exit::FLAGGED_STORE`] the store's physical address and length.
    pub out_pc: u64,
    pub out_steps: u64,
    pub out_kind: u64,
    pub out_pa: u64,
    pub out_len: u64,
}

/// Where the hart's state regions use is from the hart's `JitCtx` (bytes): regions reach
/// it through the context, with no pointer of its own to keep in a register. `Hart::x`,
/// `Hart::reservation`, `Csrs::mstatus` (FP loads and stores check and set its FS field)
/// and `FpRegs::f`.
pub(crate) mod from_ctx {
    use super::Hart;
    use core::mem::offset_of;

    const CTX: i32 = offset_of!(Hart, jit_ctx) as i32;
    pub(crate) const X: i32 = offset_of!(Hart, x) as i32 - CTX;
    pub(crate) const RESERVATION: i32 = offset_of!(Hart, reservation) as i32 - CTX;
    pub(crate) const MSTATUS: i32 = offset_of!(Hart, csr.mstatus) as i32 - CTX;
    pub(crate) const FREGS: i32 = offset_of!(Hart, fp.f) as i32 - CTX;
}

impl Default for JitCtx {
    /// The helpers, and nothing to run with: `Hart::jit_call` sets the rest before compiled
    /// code runs.
    fn default() -> JitCtx {
        JitCtx {
            steps: 0,
            limit: 0,
            load_table: core::ptr::null(),
            store_table: core::ptr::null(),
            gen: 0,
            hits: 0,
            stamps: core::ptr::null_mut(),
            ram0: core::ptr::null_mut(),
            ram_size: 0,
            flags: core::ptr::null(),
            data_miss: jit_data_miss,
            mmu: core::ptr::null_mut(),
            icache: core::ptr::null_mut(),
            ram: core::ptr::null(),
            next: jit_next,
            hart: core::ptr::null_mut(),
            jit: core::ptr::null_mut(),
            region: 0,
            region_steps: 0,
            chained: 0,
            fp_op: jit_fp,
            served: 0,
            served_dropped: 0,
            out_pc: 0,
            out_steps: 0,
            out_kind: 0,
            out_pa: 0,
            out_len: 0,
        }
    }
}

/// [`jit_data_miss`]'s type.
pub(crate) type DataMissFn = unsafe extern "C" fn(*mut JitCtx, u64, u64, u64) -> u64;

/// [`jit_fp`]'s type.
pub(crate) type FpFn = unsafe extern "C" fn(*mut JitCtx, u64) -> u64;

/// An F or D computation (`raw`, OP-FP or a fused multiply-add), or a CSR instruction on
/// fflags, frm or fcsr, from compiled code, as the block engine runs it ([`Hart::exec_fp`],
/// [`Hart::exec_csr`]): returns 0 when it retired; 1 when it would trap (the FP unit off,
/// an encoding or rounding mode it rejects), having changed nothing: a side exit, the
/// block engine then runs it and takes the trap. Neither changes what a region depends on
/// (the fast tables, the data access context, the fetch page, the count).
///
/// # Safety
/// As [`jit_next`]'s.
pub(crate) unsafe extern "C" fn jit_fp(ctx: *mut JitCtx, raw: u64) -> u64 {
    // SAFETY: as `jit_next`'s.
    let hart = unsafe { &mut *(*ctx).hart };
    let raw = raw as u32;
    let r = if raw & 0x7f == SYSTEM_OPCODE {
        let i = decode(raw);
        hart.exec_csr(i.op, i.rd, i.rs1, i.imm, raw)
    } else {
        hart.exec_fp(raw)
    };
    r.is_err() as u64
}

/// The major opcode of CSR instructions (unpriv/zicsr.adoc).
const SYSTEM_OPCODE: u32 = 0x73;

/// [`jit_next`]'s type.
pub(crate) type NextFn = unsafe extern "C" fn(*mut JitCtx, u64, u64) -> u64;

/// At a region's normal exit to `pc` at count `steps`, with at least `MAX_RUN` steps left
/// before `stop_at` (`steps <= ctx.limit`): what the block engine's entry would do there,
/// up to running a region. If pc is off the fetch page, the block engine would change
/// page by [`Hart::switch_fetch_page`] (on a page the MMU remembers or its common
/// translation serves, its slot decoded: counted as the slow fetch path counts it), and
/// this does it for it, so it happens once either way. Then, if pc's entry names a region
/// compiled for this virtual page and this kind of data access (not given up), returns
/// its code for the caller to jump to, having noted it in `ctx` as the running region;
/// else 0, and the caller returns to the host, whose block engine goes on at pc on the
/// page this left as the fetch page.
///
/// # Safety
/// `ctx` is the context [`Hart::jit_call`] built for the running call, whose `hart` and
/// `jit` pointers are valid and not otherwise referenced during the call.
pub(crate) unsafe extern "C" fn jit_next(ctx: *mut JitCtx, pc: u64, steps: u64) -> u64 {
    // SAFETY: the caller's contract, as `jit_data_miss`'s: compiled code is suspended in
    // this call, and no Rust reference to the hart or the JIT is live until it returns.
    let (ctx, hart, jit) = unsafe { (&mut *ctx, &mut *(*ctx).hart, &mut *(*ctx).jit) };
    let switched = pc & !0xffe != hart.icache.fetch_tag;
    if switched {
        if let Some(code) = jit.switched_before(hart, ctx, pc, steps) {
            return code;
        }
        // SAFETY: `ram` is the bus's RAM (`Hart::jit_call`), not otherwise referenced
        // during the call.
        if !hart.switch_fetch_page(pc, steps, unsafe { &*ctx.ram }) {
            return 0;
        }
        ctx.gen = hart.mmu.fast.jit_view().gen;
    }
    // SAFETY: pc is on the fetch page (its tag matched, or the switch made it the fetch
    // page) and the JIT is on: `jit_entry` points into the fetch page's live table.
    let e = unsafe { *hart.icache.jit_entry(pc) };
    if e & COMPILED == 0 {
        return 0;
    }
    let i = (e & !COMPILED) as usize;
    match jit.regions.get(i) {
        Some(r) if r.runs_at(pc, hart.data_path) => {
            let code = ctx.chain_to(i, steps, r.code);
            if switched {
                let (idx, table) = hart.icache.jit_fetch_table();
                let bases = hart.icache.jit_fetch_bases();
                // Remembered with the page's translation (`switched_before` compares it);
                // a Bare M-mode page is not (no remembered page to compare).
                if let Some((pa_page, _)) = hart.mmu.remembered_fetch_page(pc) {
                    jit.switches[switch_index(pc)] = Switch {
                        pc,
                        pa_page,
                        table,
                        code: r.code,
                        bases,
                        idx: idx as u32,
                        region: i as u32,
                        data: r.data,
                    };
                }
            }
            code
        }
        _ => 0,
    }
}

/// Entries of [`Jit::switches`] (a power of 2).
const SWITCHES: usize = 4096;

fn switch_index(pc: u64) -> usize {
    ((pc >> 1) ^ (pc >> 13)) as usize & (SWITCHES - 1)
}

/// A change of code page [`jit_next`] made into a region: the pc, its page's translation
/// and decoded page with the identity of its entry table then, and the region (its index,
/// code and kind of data access). While the MMU remembers the same translation for pc and
/// the table is the same (no store cleared a slot of the page, the cache was not emptied),
/// the slot at pc is still decoded and its entry still names the region, compiled for pc's
/// virtual page: the switch can go there, for the same kind of data access, without
/// reading the page's slot or entry table or the region, whose cache lines were the cost
/// of a change of page (a call or return between two of SQLite's pages); nor the page's
/// slots and table pointers, whose biased forms it keeps (`ICache::restore_fetch_page`).
/// A region given up takes its switches with it ([`Jit::forget_switches_into`]), and a
/// flush all of them. One cache line each.
#[derive(Clone, Copy)]
#[repr(align(64))]
struct Switch {
    pc: u64,
    pa_page: u64,
    table: u64,
    code: RegionCode,
    bases: (*const u8, *mut u8),
    idx: u32,
    region: u32,
    data: DataPath,
}

impl Switch {
    const EMPTY: Switch = Switch {
        pc: u64::MAX,
        pa_page: 0,
        table: 0,
        code: RegionCode(core::ptr::null()),
        bases: (core::ptr::null(), core::ptr::null_mut()),
        idx: 0,
        region: 0,
        data: DataPath::Direct,
    };
}

impl Jit {
    /// [`jit_next`]'s change of page to `pc` at count `steps` when [`Jit::switches`] knows
    /// it: `Hart::switch_fetch_page`'s effect (the same remembered page, counted alike),
    /// and the region's code. None: not known, or no longer valid; nothing changed.
    #[inline(always)]
    fn switched_before(
        &self,
        hart: &mut Hart,
        ctx: &mut JitCtx,
        pc: u64,
        steps: u64,
    ) -> Option<u64> {
        let s = &self.switches[switch_index(pc)];
        if s.pc != pc || s.data != hart.data_path {
            return None;
        }
        let (pa_page, slot) = hart.mmu.remembered_fetch_page(pc)?;
        if pa_page != s.pa_page || !hart.icache.jit_table_is(s.idx as usize, s.table) {
            return None;
        }
        hart.steps = steps;
        hart.mmu.switch_fetch_run(pc & !0xfff, slot, steps);
        hart.icache
            .restore_fetch_page(pc & !0xfff, s.idx as usize, s.bases);
        // No refill, no flush: the fast tables' generation is still `ctx.gen`.
        debug_assert_eq!(ctx.gen, hart.mmu.fast.jit_view().gen);
        Some(ctx.chain_to(s.region as usize, steps, s.code))
    }

    /// Forgets the switches into region `index` (given up: its entries no longer run it).
    #[cold]
    fn forget_switches_into(&mut self, index: usize) {
        for s in self
            .switches
            .iter_mut()
            .filter(|s| s.region as usize == index)
        {
            *s = Switch::EMPTY;
        }
    }
}

impl JitCtx {
    /// Notes region `index`, entered by chaining at count `steps` ([`jit_next`]), as the
    /// one running; returns its code for the trampoline to call.
    fn chain_to(&mut self, index: usize, steps: u64, code: RegionCode) -> u64 {
        self.region = index as u64;
        self.region_steps = steps;
        self.chained += 1;
        code.0 as u64
    }
}

/// What [`jit_data_miss`] returns when the MMU's common translation did not serve the access
/// (a side exit: the block engine runs the instruction by its general path).
pub(crate) const MISS_NOT_SERVED: u64 = u64::MAX;

/// The bit of [`jit_data_miss`]'s result that says the fetch page was forgotten (above any
/// physical address: they have at most 56 bits).
pub(crate) const MISS_FETCH_DROPPED: u64 = 1 << 63;

/// An aligned load (`store` = 0) or store (1) at `va`, counted `now`, that compiled code
/// found missing from the MMU's fast table: exactly what [`Hart::load_miss`] and
/// [`Hart::store_miss`] do before their general path (`Hart::data_miss`): the MMU's common
/// translation ([`Mmu::data_miss`]: a TLB hit, or a common 4 KiB miss walk and refill,
/// counted and stamped `now * 4 + 2`), and if a refill ended the fetch page's TLB run, the
/// decoded-instruction cache forgets the fetch page. Returns the physical address (RAM), with
/// [`MISS_FETCH_DROPPED`] set when the fetch page was forgotten (the region must then end
/// after this instruction, as the block engine's run after a miss, `after_memory!`), or
/// [`MISS_NOT_SERVED`] when nothing was changed and the access is a side exit (no context:
/// tracing or the fast path off; a fault, a device, an A/D update, a superpage walk...).
/// Also brings `ctx.gen` up to date (a refill may have started a new generation of the
/// fast tables).
///
/// # Safety
/// `ctx` is the context [`Hart::jit_call`] built for the running call, whose `mmu`,
/// `icache` and `ram` pointers are valid and not otherwise referenced during the call.
pub(crate) unsafe extern "C" fn jit_data_miss(
    ctx: *mut JitCtx,
    va: u64,
    now: u64,
    store: u64,
) -> u64 {
    // SAFETY: the caller's contract: `ctx` and the objects it points to are valid, and while
    // the region runs no Rust reference to them is live (`Hart::jit_call` made the call
    // through raw pointers and uses none of them until it returns); compiled code is
    // suspended in this call, so these references are the only accesses meanwhile. They end
    // before the return.
    let (ctx, mmu, ram) = unsafe { (&mut *ctx, &mut *(*ctx).mmu, &*(*ctx).ram) };
    let access = if store != 0 {
        Access::Store
    } else {
        Access::Load
    };
    let Some(pa) = mmu.data_miss(va, access, now * 4 + 2, ram) else {
        return MISS_NOT_SERVED;
    };
    ctx.served += 1;
    ctx.gen = mmu.fast.jit_view().gen;
    if mmu.take_fetch_run_dropped() {
        // SAFETY: as above (`icache` is the hart's, no reference to it is live).
        unsafe { (*ctx.icache).forget_fetch_page() };
        ctx.served_dropped += 1;
        return pa | MISS_FETCH_DROPPED;
    }
    pa
}

/// A compiled region's code: a function of one argument, the context, returning the code
/// of the region to go on in or 0 (`compile::trampoline` calls it).
#[derive(Clone, Copy)]
pub(crate) struct RegionCode(*const u8);

// SAFETY: the address of finalized, immutable machine code, callable from any thread (the
// worker compiles it, the emulating thread calls it); it is freed only by a flush or the
// JIT's drop, which wait for the worker (`jit_flush`, `Worker`'s drop).
unsafe impl Send for RegionCode {}

/// The trampoline's type: runs the region's code with the context, and the regions it
/// names after it; returns the last one's exit kind.
pub(crate) type TrampolineFn = unsafe extern "C" fn(*mut JitCtx, *const u8) -> u64;

/// A compiled region.
struct Region {
    /// The virtual page it was compiled for (its pcs are constants).
    va_page: u64,
    /// The data context it was compiled for (`Hart::data_path`).
    data: DataPath,
    code: RegionCode,
    /// Runs ended in it (returns to the host), the steps run in it then, and the side
    /// exits: a region that side-exits every few instructions (its loads miss the fast
    /// tables, say) is slower than the block engine, which then runs its code instead
    /// (`demoted`).
    calls: u32,
    steps: u64,
    side_exits: u64,
    demoted: bool,
}

impl Region {
    /// Whether the region may run at `pc` (whose page's entry names it): compiled for pc's
    /// virtual page, for the hart's kind of data access, and not given up.
    #[inline(always)]
    fn runs_at(&self, pc: u64, data: DataPath) -> bool {
        self.va_page == pc & !0xfff && self.data == data && !self.demoted
    }
}

/// Calls after which a region's side exits are weighed ([`Region::side_exits`]).
const DEMOTE_AFTER: u32 = 64;
/// A region is given up when it ran fewer steps than this per side exit. (Fast-table misses
/// are no side exits when the MMU's common translation serves them, `jit_data_miss`: what is
/// left are misaligned accesses, devices, faults and the MMU's general path, which the block
/// engine runs as well as a region would.)
const STEPS_PER_SIDE_EXIT: u64 = 32;

/// What the JIT has done, for tests and `RUST_LOG=debug`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct JitStats {
    /// Regions compiled (installed or not).
    pub compiled: u64,
    /// Regions the background worker compiled that were not installed: their entry changed
    /// meanwhile (a store into the page's code, the cache emptied, a flush).
    pub discarded: u64,
    /// Entries where no region could be compiled (marked never to count again).
    pub refused: u64,
    /// Calls of compiled regions.
    pub entered: u64,
    /// Of those, the ones that ended in a side exit.
    pub side_exits: u64,
    /// Regions entered from another region's exit, without a return to the host
    /// ([`jit_next`]).
    pub chained: u64,
    /// Instructions retired in compiled code.
    pub steps: u64,
    /// Loads and stores missing the fast tables that compiled code had the MMU's common
    /// translation serve ([`jit_data_miss`]) instead of a side exit.
    pub misses_served: u64,
    /// Of those, the ones whose refill ended the fetch page's TLB run (the region then ended
    /// after the instruction).
    pub misses_dropping_fetch: u64,
    /// Times all compiled code was dropped (a cap was reached).
    pub flushes: u64,
    /// Regions given up because they mostly ended in side exits.
    pub demoted: u64,
    /// Host microseconds spent compiling, on either thread (for `RUST_LOG=debug`; never
    /// compared, and nothing depends on it).
    pub compile_us: u64,
}

/// The compiler and its regions; lives in the decoded-instruction cache (`ICache::jit`),
/// whose entry tables name the regions.
pub struct Jit {
    backend: Backend,
    /// The host's way into compiled code, and the module holding it (never freed).
    trampoline: TrampolineFn,
    _trampoline_module: cranelift_jit::JITModule,
    regions: Vec<Region>,
    /// The changes of page `jit_next` made into regions, by pc ([`Switch`]).
    switches: Box<[Switch]>,
    threshold: u32,
    /// Bytes of code in the module, installed or not.
    code_bytes: usize,
    pub stats: JitStats,
}

/// Where regions are compiled.
enum Backend {
    /// On the emulating thread, when asked (`--jit-sync`, or no thread could be had).
    Here(Box<Compiler>),
    /// On the background thread.
    Worker(Worker),
    /// Nowhere: the worker ended and no compiler could be made here (no entry is compiled
    /// again; the regions already compiled still run).
    Off,
}

impl Jit {
    /// A JIT for the host, compiling a region once its entry has been reached `threshold`
    /// times (at least 1), on a thread of its own (`background`, when one can be started)
    /// or at once on the emulating thread. Fails when Cranelift does not support the host.
    pub fn new(threshold: u32, background: bool) -> Result<Jit, String> {
        let (_trampoline_module, trampoline) = compile::trampoline()?;
        let backend = match background.then(Worker::start).flatten() {
            Some(w) => Backend::Worker(w),
            None => Backend::Here(Box::new(Compiler::new()?)),
        };
        Ok(Jit {
            backend,
            trampoline,
            _trampoline_module,
            regions: Vec::new(),
            switches: vec![Switch::EMPTY; SWITCHES].into_boxed_slice(),
            threshold: threshold.clamp(1, PENDING - 1),
            code_bytes: 0,
            stats: JitStats::default(),
        })
    }

    /// Requests the background worker has not answered yet.
    fn pending(&self) -> u32 {
        match &self.backend {
            Backend::Worker(w) => w.pending,
            _ => 0,
        }
    }

    /// Accounts for a compile's outcome (the statistics, the code's size) and, when
    /// `install`, keeps the region: returns the value for its entry (the region, or NEVER
    /// when none was compiled or it is not kept).
    fn finish(
        &mut self,
        (pc, data): (u64, DataPath),
        result: CompileResult,
        micros: u64,
        install: bool,
    ) -> u32 {
        self.stats.compile_us += micros;
        match result {
            Ok(Some((code, bytes))) => {
                self.code_bytes += bytes;
                self.stats.compiled += 1;
                if !install {
                    self.stats.discarded += 1;
                    return NEVER;
                }
                self.regions.push(Region {
                    va_page: pc & !0xfff,
                    data,
                    code,
                    calls: 0,
                    steps: 0,
                    side_exits: 0,
                    demoted: false,
                });
                // `MAX_REGIONS` keeps the index far below `COMPILED`.
                COMPILED | (self.regions.len() as u32 - 1)
            }
            Ok(None) => {
                self.stats.refused += 1;
                NEVER
            }
            Err(e) => {
                // A bug of the translation, not of the guest: the block engine runs the
                // code instead, exactly as it would have.
                debug_assert!(false, "the JIT failed to compile {pc:#x}: {e}");
                log::warn!("the JIT failed to compile the region at {pc:#x}: {e}");
                self.stats.refused += 1;
                NEVER
            }
        }
    }
}

/// What `Compiler::compile` returns.
type CompileResult = Result<Option<(RegionCode, usize)>, String>;

impl Hart {
    /// The JIT's counters (None: the JIT is off).
    pub fn jit_stats(&self) -> Option<JitStats> {
        self.icache.jit.as_ref().map(|j| j.stats)
    }

    /// Turns the JIT on for this hart (`Engine::Jit`).
    pub(crate) fn enable_jit(&mut self, jit: Jit) {
        self.icache.set_jit_tables(true);
        self.icache.jit_threshold = jit.threshold;
        self.icache.jit = Some(Box::new(jit));
    }

    /// Runs until `steps` reaches `stop_at`: the block engine with compiled regions.
    pub(crate) fn run_jit(&mut self, bus: &mut Bus) {
        let Some(mut jit) = self.icache.jit.take() else {
            // Not enabled (a hart made outside `Machine::new`): the block engine alone.
            return self.run_block(bus);
        };
        // Entries of pending regions install what the worker finished, but a program may
        // leave them for long: here too, once per slice of the run loop.
        self.jit_poll(&mut jit);
        self.icache.jit = Some(jit);
        self.run_engine::<true>(bus);
    }

    /// Waits until the background worker has answered every request, and installs its
    /// regions. Changes nothing the guest sees; for tests that must know compiled code is
    /// there to run (with `--jit-sync` there is never anything to wait for).
    pub fn jit_wait(&mut self) {
        let Some(mut jit) = self.icache.jit.take() else {
            return;
        };
        self.jit_collect(&mut jit, true);
        self.icache.jit = Some(jit);
    }

    /// At a run's entry at `pc` (on the fetch page, its slot decoded, `steps` at most
    /// `limit`) that `ICache::jit_hot` found hot: compiles the region (or asks the worker
    /// for it) when its count reached the threshold, installs what the worker finished
    /// when the entry is pending, and runs the region compiled there if any. Returns the
    /// pc and count it ended at and whether it was a side exit; None when nothing ran.
    #[inline(never)]
    pub(super) fn jit_enter(
        &mut self,
        bus: &mut Bus,
        pc: u64,
        steps: u64,
        limit: u64,
    ) -> Option<(u64, u64, bool)> {
        let mut jit = self.icache.jit.take()?;
        let r = self.jit_enter_with(&mut jit, bus, pc, steps, limit);
        self.icache.jit = Some(jit);
        r
    }

    fn jit_enter_with(
        &mut self,
        jit: &mut Jit,
        bus: &mut Bus,
        pc: u64,
        steps: u64,
        limit: u64,
    ) -> Option<(u64, u64, bool)> {
        let entry = self.icache.jit_entry(pc);
        // SAFETY: pc lies on the fetch page (the caller's tag check) and the JIT is on, so
        // `entry` points into the fetch page's live entry table (`ICache::jit_entry`).
        let mut e = unsafe { *entry };
        if e == PENDING {
            self.jit_poll(jit);
            // SAFETY: as above (installing writes entry tables in place).
            e = unsafe { *entry };
        }
        let index = if e & COMPILED != 0 {
            let i = e & !COMPILED;
            let r = jit.regions.get(i as usize)?;
            if r.demoted {
                // Given up (`jit_call`): this entry counts no more.
                // SAFETY: as the read above.
                unsafe { *entry = NEVER };
                return None;
            }
            if !r.runs_at(pc, self.data_path) {
                // Compiled for another virtual address of this physical page, or for the
                // other kind of data access.
                return None;
            }
            i
        } else if e >= PENDING {
            return None;
        } else {
            // `jit_hot`: the count reached the threshold.
            let e = self.jit_compile(jit, pc);
            // SAFETY: as the read above: compiling changes no decoded page (a flush
            // resets the tables in place, it frees none).
            unsafe { *entry = e };
            if e & COMPILED == 0 {
                return None;
            }
            e & !COMPILED
        };
        Some(self.jit_call(jit, bus, index, steps, limit))
    }

    /// Compiles the region starting at `pc` (on the fetch page), or asks the background
    /// worker to: the entry's new value (the region, NEVER when none can start there, or
    /// PENDING).
    #[cold]
    fn jit_compile(&mut self, jit: &mut Jit, pc: u64) -> u32 {
        if jit.regions.len() >= MAX_REGIONS || jit.code_bytes >= MAX_CODE_BYTES {
            self.jit_flush(jit);
        }
        let data = self.data_path;
        // Install what the worker has finished first: once the request is sent, its own
        // result may come before the caller marks its entry pending (the worker may run
        // at once, on this core), and would then be dropped as stale.
        self.jit_poll(jit);
        if let Backend::Worker(w) = &mut jit.backend {
            let (frame, table, slots) = self.icache.jit_fetch_page();
            let ticket = Ticket {
                pc,
                data,
                frame,
                table,
            };
            if w.request(ticket, slots) {
                return PENDING;
            }
            self.jit_worker_gone(jit);
        }
        let Backend::Here(compiler) = &mut jit.backend else {
            return NEVER;
        };
        // Host time, for the statistics only: nothing depends on it.
        let start = std::time::Instant::now();
        let icache = &self.icache;
        let result = compiler.compile(pc, data, |at| icache.fetch_page_slot(at));
        let micros = start.elapsed().as_micros() as u64;
        jit.finish((pc, data), result, micros, true)
    }

    /// Drops all compiled code (a cap was reached). Only between calls: no compiled code is
    /// running.
    #[cold]
    fn jit_flush(&mut self, jit: &mut Jit) {
        match &mut jit.backend {
            Backend::Here(compiler) => compiler.free_all(),
            Backend::Worker(w) => {
                // Waits for the worker: nothing from before is installed afterwards.
                for d in w.flush() {
                    jit.finish((d.ticket.pc, d.ticket.data), d.result, d.micros, false);
                }
            }
            Backend::Off => {}
        }
        jit.regions.clear();
        jit.switches.fill(Switch::EMPTY);
        jit.code_bytes = 0;
        // Pending entries too: their requests were dropped.
        self.icache.reset_jit_tables();
        jit.stats.flushes += 1;
    }

    /// Installs the regions the background worker has finished: one look at its channel
    /// when it has, none when nothing is pending.
    fn jit_poll(&mut self, jit: &mut Jit) {
        self.jit_collect(jit, false);
    }

    /// Installs the background worker's results while requests are pending: those that
    /// have come, or with `wait` every one, waiting for them.
    fn jit_collect(&mut self, jit: &mut Jit, wait: bool) {
        while jit.pending() > 0 {
            let Backend::Worker(w) = &mut jit.backend else {
                return;
            };
            match if wait { w.wait() } else { w.poll() } {
                Answer::Done(d) => self.jit_install(jit, d),
                Answer::NotYet if !wait => return,
                Answer::NotYet => {}
                Answer::Gone => self.jit_worker_gone(jit),
            }
        }
    }

    /// A result from the worker: installed in its entry if that is still pending in the
    /// same table, else only accounted for.
    fn jit_install(&mut self, jit: &mut Jit, d: Done) {
        let at = d.ticket;
        let region = (at.pc, at.data);
        match self.icache.jit_pending_entry(at.frame, at.table, at.pc) {
            Some(entry) => *entry = jit.finish(region, d.result, d.micros, true),
            None => {
                log::trace!("jit: stale region at {:#x} (frame {:#x})", at.pc, at.frame);
                jit.finish(region, d.result, d.micros, false);
            }
        }
    }

    /// The worker's thread ended (it panicked): the JIT compiles here from now on, and the
    /// entries that waited for it count again. The regions it compiled stay valid (see
    /// [`worker`]).
    #[cold]
    fn jit_worker_gone(&mut self, jit: &mut Jit) {
        log::warn!("the JIT's compiler thread ended: compiling on the emulating thread");
        self.icache.cancel_jit_pending();
        jit.backend = match Compiler::new() {
            Ok(c) => Backend::Here(Box::new(c)),
            Err(e) => {
                log::warn!("the JIT compiles nothing more: {e}");
                Backend::Off
            }
        };
    }

    /// Calls compiled region `index` with the hart's state, and the regions it chains to;
    /// returns where the last one ended (pc, count, side exit).
    fn jit_call(
        &mut self,
        jit: &mut Jit,
        bus: &mut Bus,
        index: u32,
        steps: u64,
        limit: u64,
    ) -> (u64, u64, bool) {
        // Every pointer into the hart derives from one raw pointer, and the JIT's from one,
        // so that the helpers' accesses through them (`jit_data_miss`, `jit_next`) and the
        // regions' agree.
        let hart: *mut Hart = self;
        let jit: *mut Jit = jit;
        // SAFETY: `hart` and `jit` point to the live hart and JIT; these references end at
        // once.
        let (mmu, icache, code, trampoline) = unsafe {
            (
                &raw mut *(*hart).mmu,
                &raw mut (*hart).icache,
                (&(*jit).regions)[index as usize].code,
                (*jit).trampoline,
            )
        };
        let ram0 = bus
            .ram
            .host_ptr(crate::addr::PhysAddr(RAM_BASE))
            .wrapping_sub(RAM_BASE as usize);
        // SAFETY: as above.
        let (view, stamps, flags) = unsafe {
            // Entries hold host addresses for this RAM (a flush the first time).
            (*mmu).fast.set_host_bias(ram0 as u64);
            (
                (*mmu).fast.jit_view(),
                (*mmu).tlb.jit_stamps(),
                (*icache).flags_ptr(),
            )
        };
        let new = JitCtx {
            steps,
            limit,
            load_table: view.load,
            store_table: view.store,
            gen: view.gen,
            stamps,
            ram0,
            ram_size: bus.ram.size(),
            flags,
            mmu,
            icache,
            ram: &bus.ram,
            hart,
            jit,
            region: index as u64,
            region_steps: steps,
            // The helpers; the counts and the outputs from 0.
            ..JitCtx::default()
        };
        // SAFETY: `code` is a live region (compiled by the JIT's compiler, here or on the
        // worker's thread, whose code is only freed by `jit_flush`, between calls, and when
        // the JIT is dropped), compiled for the page and the slots it runs on
        // (`jit_enter_with` checked the virtual page; the entry tables are reset whenever
        // a slot it copied is cleared), and `trampoline` calls it as its calling
        // convention requires. Regions read and write through `ctx`'s pointers only, each
        // valid for the call, and at `from_ctx`'s fixed offsets from `ctx`, which is the
        // hart's own: the hart's registers, reservation, FP state and MMU state, and guest
        // RAM at addresses they checked as `load_hit` and `store_hit` do (inside RAM, or on
        // a fast-table page, which is RAM), or that `jit_data_miss` returned (a common
        // translation's page, RAM too). They call `jit_data_miss` and `jit_next` with
        // `ctx`, whose `hart`, `mmu`, `icache`, `jit` and `ram` point to the hart, the JIT
        // and the bus's RAM: from here until the call returns no Rust reference to them is
        // used, so the helpers' are the only ones meanwhile. `jit_next` names regions of
        // the same JIT, checked as here.
        let kind = unsafe {
            (*hart).jit_ctx = new;
            trampoline(&raw mut (*hart).jit_ctx, code.0)
        };
        // The call is over: what it left in the context.
        let ctx = &self.jit_ctx;
        // Each access is one step: fewer than 2^32 of either kind, which the packing needs.
        debug_assert!(ctx.out_steps - steps < 1 << 32);
        let (loads, stores) = (ctx.hits & 0xffff_ffff, ctx.hits >> 32);
        self.mmu.tlb.count_hits_elsewhere(loads, stores);
        // SAFETY: the call is over; `jit` is the caller's `&mut Jit` again.
        let jit = unsafe { &mut *jit };
        jit.stats.entered += 1;
        jit.stats.chained += ctx.chained;
        jit.stats.misses_served += ctx.served;
        jit.stats.misses_dropping_fetch += ctx.served_dropped;
        jit.stats.steps += ctx.out_steps - steps;
        debug_assert!(ctx.out_steps >= steps && ctx.out_steps < self.stop_at);
        let side = kind == exit::SIDE;
        // The region that ended the run: given up when it mostly side-exits.
        if let Some(r) = jit.regions.get_mut(ctx.region as usize) {
            r.calls = r.calls.saturating_add(1);
            r.steps += ctx.out_steps - ctx.region_steps;
            r.side_exits += side as u64;
            if r.calls >= DEMOTE_AFTER && r.steps < r.side_exits * STEPS_PER_SIDE_EXIT {
                r.demoted = true;
                jit.stats.demoted += 1;
                jit.forget_switches_into(ctx.region as usize);
            }
        }
        match kind {
            exit::SIDE => {
                jit.stats.side_exits += 1;
                (ctx.out_pc, ctx.out_steps, true)
            }
            exit::FLAGGED_STORE => {
                let out = (ctx.out_pc, ctx.out_steps, false);
                // The rest of `after_ram_store`, whose reservation part the region did.
                if self.icache.note_store(ctx.out_pa, ctx.out_len) {
                    self.request_event_check();
                }
                out
            }
            _ => (ctx.out_pc, ctx.out_steps, false),
        }
    }
}

/// `MAX_RUN` as the compiler sees it: a region's forward path between two budget checks is
/// shorter (it stays on one page), see the module text.
const _: () = assert!(MAX_RUN as usize > crate::hart::icache::SLOTS - 1);
