//! The page-table walker: priv/supervisor.adoc, "Virtual Address Translation Process", one
//! loop for every paging mode ([`PagingMode`] supplies the parameters).
//!
//! The MMU calls [`walk`] on a TLB miss and [`check_leaf`] on a TLB hit; both apply the same
//! permission rules, so a cached leaf never grants what a fresh walk would refuse. The walk
//! reaches memory only through [`PteMemory`], so it runs on the host over a map of words
//! (`walk::testmem`) as well as over the machine's bus with PMP.
//!
//! Steps, as numbered in the spec (cited in the code as "step N"):
//! 1. a = satp.ppn × 4096, i = LEVELS-1 (satp active: the caller only walks in S/U mode).
//! 2. Read the PTE at a + va.vpn\[i\] × 8; a failed read is an access fault.
//! 3. V=0, W without R, or reserved bits → page fault.
//! 4. Not a leaf: i -= 1 (page fault below level 0), a = pte.ppn × 4096, go to 2.
//! 5. Leaf with nonzero low PPN bits at i > 0 (misaligned superpage) → page fault.
//! 6. U bit vs privilege, SUM and MXR → page fault.
//! 7. Shadow-stack rules: not implemented (no Zicfiss), nothing to check.
//! 8. R/W/X vs the access → page fault.
//! 9. A/D: page fault (Svade) or an atomic update (Svadu), back to step 2 if the PTE changed.
//! 10. Success: pa = pte.ppn\[LEVELS-1:i\] ++ va.vpn\[i-1:0\] ++ va.pgoff.
//!
//! Before step 1, a non-canonical VA is a page fault ("Sv39": "must have bits 63–39 all equal
//! to bit 38, or else a page-fault exception will occur").

use crate::addr::PAGE_SHIFT;
use crate::isa::trap::Exception;
use crate::isa::Priv;

use super::mode::{PagingMode, MAX_LEVELS, PTE_SIZE, VPN_BITS};
use super::pte::{Pte, PteFlags, HIGH_BITS};
use super::{Access, Leaf};

#[cfg(test)]
pub(crate) mod testmem;
#[cfg(test)]
mod tests;

/// How the walker reaches page tables in physical memory.
///
/// The error is `()` on purpose: the only thing a failed PTE access can become is the access
/// fault of the original access type, which the walker builds itself (it knows the VA and the
/// access type; the memory does not).
#[allow(clippy::result_unit_err)]
pub trait PteMemory {
    /// Reads the 8-byte PTE at physical `pa`; Err when it is not memory or PMP denies it
    /// (→ access fault of the original access type).
    fn read_pte(&mut self, pa: u64) -> Result<u64, ()>;
    /// Atomically replaces the PTE at `pa` if it still holds `old` (for Svadu A/D updates);
    /// Ok(false) if it changed; Err as above.
    fn cas_pte(&mut self, pa: u64, old: u64, new: u64) -> Result<bool, ()>;
}

/// What happens when a leaf's A bit, or its D bit on a store, needs setting (step 9).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AdMode {
    /// Svade (menvcfg.ADUE = 0): A=0, or a store with D=0, is a page fault.
    Fault,
    /// Svadu (menvcfg.ADUE = 1): the walker sets A (and D on stores) with a compare-and-swap,
    /// going back to step 2 if the PTE changed in between.
    Hardware,
}

/// Everything a walk depends on besides the VA and memory.
#[derive(Clone, Copy, Debug)]
pub struct WalkCtx {
    pub satp: u64,
    pub mode: &'static PagingMode,
    pub access: Access,
    /// Effective privilege of the access (after mstatus.MPRV); S or U, since satp is only
    /// active there. M is treated like S.
    pub prv: Priv,
    /// mstatus.SUM: S-mode loads and stores may touch U pages.
    pub sum: bool,
    /// mstatus.MXR: loads may read pages that are executable but not readable.
    pub mxr: bool,
    pub ad: AdMode,
}

/// One PTE read by a walk (for traces).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct WalkStep {
    pub level: u8,
    pub pte_addr: u64,
    pub pte: u64,
}

/// An A/D update: what a walk wrote, or what a hit on a cached leaf needs ([`AdNeed`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AdUpdate {
    None,
    SetA,
    SetAD,
    SetD,
}

/// What [`check_leaf`] asks the caller to write back in [`AdMode::Hardware`].
pub type AdNeed = AdUpdate;

impl AdUpdate {
    /// The flag bits the update sets.
    pub fn bits(self) -> PteFlags {
        match self {
            AdUpdate::None => PteFlags::empty(),
            AdUpdate::SetA => PteFlags::A,
            AdUpdate::SetAD => PteFlags::A | PteFlags::D,
            AdUpdate::SetD => PteFlags::D,
        }
    }

    fn from_bits(f: PteFlags) -> AdUpdate {
        match (f.contains(PteFlags::A), f.contains(PteFlags::D)) {
            (false, false) => AdUpdate::None,
            (true, false) => AdUpdate::SetA,
            (true, true) => AdUpdate::SetAD,
            (false, true) => AdUpdate::SetD,
        }
    }
}

/// The record of one walk: the PTEs it read, the A/D write it made, and its outcome.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Walk {
    /// PTEs read, top level first; a step 9 retry replaces the step of its level.
    pub steps: [WalkStep; MAX_LEVELS],
    pub n_steps: u8,
    /// The A/D write as (PTE address, old PTE, new PTE), if one was made.
    pub ad_update: Option<(u64, u64, u64)>,
    pub result: Result<Leaf, Exception>,
}

impl Walk {
    /// The PTEs read, in order.
    pub fn steps(&self) -> &[WalkStep] {
        &self.steps[..self.n_steps as usize]
    }

    /// Which of A/D the walk set.
    pub fn ad_kind(&self) -> AdUpdate {
        match self.ad_update {
            None => AdUpdate::None,
            Some((_, old, new)) => AdUpdate::from_bits(Pte(old ^ new).flags()),
        }
    }
}

/// satp.PPN (bits 43:0): the root table's physical page number.
pub const SATP_PPN_MASK: u64 = (1 << 44) - 1;

/// satp.ASID (bits 59:44).
pub fn satp_asid(satp: u64) -> u16 {
    (satp >> 44) as u16
}

/// How many times step 9 may find the PTE changed before the walk gives up with a page fault.
/// Hardware would retry forever; in this single-threaded model a change only happens when
/// something else writes the table between the read and the update, and a page fault that the
/// kernel resolves by returning and retrying is a safe way to end a livelock.
pub const MAX_AD_RETRIES: u32 = 8;

/// The page fault of an access type, with the faulting VA as tval.
pub fn page_fault(access: Access, va: u64) -> Exception {
    match access {
        Access::Fetch => Exception::InstructionPageFault(va),
        Access::Load => Exception::LoadPageFault(va),
        Access::Store => Exception::StorePageFault(va),
    }
}

/// The access fault of an access type (a PTE access PMP/PMA refused), with the VA as tval.
pub fn access_fault(access: Access, va: u64) -> Exception {
    match access {
        Access::Fetch => Exception::InstructionAccessFault(va),
        Access::Load => Exception::LoadAccessFault(va),
        Access::Store => Exception::StoreAccessFault(va),
    }
}

/// Step 3's rules on the flag byte (bits 7:0 of a PTE), one entry per value: true when V = 0,
/// W is set without R, or D/A/U is set in a pointer to the next level (R = W = X = 0). The
/// fourth rule, reserved bits 63:54, is tested on the word.
static BAD_FLAGS: [bool; 256] = {
    const V: u8 = PteFlags::V.bits();
    const R: u8 = PteFlags::R.bits();
    const W: u8 = PteFlags::W.bits();
    const RWX: u8 = PteFlags::R.bits() | PteFlags::W.bits() | PteFlags::X.bits();
    const DAU: u8 = PteFlags::D.bits() | PteFlags::A.bits() | PteFlags::U.bits();
    let mut t = [false; 256];
    let mut f = 0;
    while f < 256 {
        let b = f as u8;
        t[f] = b & V == 0 || b & (R | W) == W || (b & RWX == 0 && b & DAU != 0);
        f += 1;
    }
    t
};

/// Translates `va` by walking the tables `ctx.satp` points to.
pub fn walk(ctx: &WalkCtx, va: u64, mem: &mut impl PteMemory) -> Walk {
    let mut w = Walk {
        steps: [WalkStep::default(); MAX_LEVELS],
        n_steps: 0,
        ad_update: None,
        result: Err(page_fault(ctx.access, va)),
    };
    w.result = walk_steps(ctx, va, mem, &mut w);
    w
}

/// [`walk`] without the record, for the untraced translation: the same steps, reads and
/// writes; returns the outcome and the address of the PTE an A/D update rewrote, if any.
#[inline(always)]
pub fn walk_unrecorded(
    ctx: &WalkCtx,
    va: u64,
    mem: &mut impl PteMemory,
) -> (Result<Leaf, Exception>, Option<u64>) {
    let mut ad = AdWritten(None);
    let r = walk_steps(ctx, va, mem, &mut ad);
    (r, ad.0)
}

/// Where a walk reports what it did: the full record ([`Walk`], for traces), or only the
/// A/D write's PTE address ([`AdWritten`], all the untraced translation needs).
trait StepLog {
    /// The walk read `step` as its `n`-th PTE (0-based; a step 9 retry reuses its index).
    fn step(&mut self, n: usize, step: WalkStep);
    /// The walk wrote `new` over `old` at `pte_addr` (step 9, Svadu).
    fn ad(&mut self, pte_addr: u64, old: u64, new: u64);
}

impl StepLog for Walk {
    #[inline(always)]
    fn step(&mut self, n: usize, step: WalkStep) {
        self.steps[n] = step;
        self.n_steps = n as u8 + 1;
    }
    #[inline(always)]
    fn ad(&mut self, pte_addr: u64, old: u64, new: u64) {
        self.ad_update = Some((pte_addr, old, new));
    }
}

struct AdWritten(Option<u64>);

impl StepLog for AdWritten {
    #[inline(always)]
    fn step(&mut self, _: usize, _: WalkStep) {}
    #[inline(always)]
    fn ad(&mut self, pte_addr: u64, _: u64, _: u64) {
        self.0 = Some(pte_addr);
    }
}

#[inline(always)]
fn walk_steps(
    ctx: &WalkCtx,
    va: u64,
    mem: &mut impl PteMemory,
    w: &mut impl StepLog,
) -> Result<Leaf, Exception> {
    let mode = ctx.mode;
    let pf = page_fault(ctx.access, va);
    if !mode.is_canonical(va) {
        return Err(pf);
    }
    const RWX: u64 = (PteFlags::R.bits() | PteFlags::W.bits() | PteFlags::X.bits()) as u64;
    // Step 1.
    let mut a = (ctx.satp & SATP_PPN_MASK) << PAGE_SHIFT;
    let mut i = mode.top_level();
    let mut retries = 0;
    // Steps recorded so far (w.steps[..n]); levels only go down, except that a step 9
    // retry reads its level again and replaces that step.
    let mut n = 0;
    loop {
        // Step 2.
        let pte_addr = a.wrapping_add(mode.vpn(va, i) * PTE_SIZE);
        let raw = mem
            .read_pte(pte_addr)
            .map_err(|()| access_fault(ctx.access, va))?;
        w.step(
            n,
            WalkStep {
                level: i,
                pte_addr,
                pte: raw,
            },
        );
        n += 1;
        let pte = Pte(raw);
        // Step 3 (the rules of `Pte::is_invalid`): V = 0, W without R, bits 63:54 set, or
        // D/A/U set in a pointer to the next level.
        let leaf = raw & RWX != 0;
        if BAD_FLAGS[raw as u8 as usize] || raw & HIGH_BITS != 0 {
            return Err(pf);
        }
        // Step 4.
        if !leaf {
            if i == 0 {
                return Err(pf);
            }
            i -= 1;
            a = pte.ppn() << PAGE_SHIFT;
            continue;
        }
        // Step 5.
        if pte.ppn() & ((1 << (VPN_BITS * i as u32)) - 1) != 0 {
            return Err(pf);
        }
        // Steps 6-9 (the checks shared with TLB hits).
        let need = check_leaf(pte.flags(), ctx, va)?;
        let mut flags = pte.flags();
        if need != AdUpdate::None {
            // Step 9, Svadu: atomically compare and set.
            let new = raw | need.bits().bits() as u64;
            match mem.cas_pte(pte_addr, raw, new) {
                Err(()) => return Err(access_fault(ctx.access, va)),
                Ok(false) => {
                    retries += 1;
                    if retries > MAX_AD_RETRIES {
                        return Err(pf);
                    }
                    // The re-read of this level replaces its step in the record.
                    n -= 1;
                    continue; // "If the comparison fails, return to step 2."
                }
                Ok(true) => {
                    w.ad(pte_addr, raw, new);
                    flags |= need.bits();
                }
            }
        }
        // Step 10. The superpage is aligned (step 5), so the PA base is just pte.ppn.
        let size = PagingMode::page_size(i);
        return Ok(Leaf {
            va_base: va & !(size - 1),
            pa_base: pte.ppn() << PAGE_SHIFT,
            level: i,
            flags,
            pte_addr,
            asid: satp_asid(ctx.satp),
        });
    }
}

/// The bits of a PTE that [`walk_4k`] requires to be exactly V in a pointer to the next
/// level: bits 63:54 and every flag but G.
const POINTER_MASK: u64 = HIGH_BITS | (!PteFlags::G.bits()) as u64;

/// The walk of [`walk`] for the common case only, in a mode of `LEVELS` levels (known at
/// compile time, so the loop unrolls): a canonical `va` whose tables are all readable
/// through `read` (a PTE read allowed by PMP, in RAM) and well formed, with pointers down to a
/// 4 KiB leaf. Returns the level-0 PTE and its address; the walk read `LEVELS` PTEs. None
/// wherever [`walk`] would fault or find a superpage above level 0 (or might: `read`
/// answering None only means "not here"), so that the caller falls back to the general
/// walk, which decides. The level-0 PTE's flags are the caller's to check, with
/// [`serves_mask`]: 0 for a flag byte that step 3 refuses or that is not a leaf (a page
/// fault at level 0), else steps 6-9. This reads and writes nothing but through `read`.
#[inline(always)]
pub fn walk_4k<const LEVELS: u8>(
    satp: u64,
    va: u64,
    mut read: impl FnMut(u64) -> Option<u64>,
) -> Option<(u64, u64)> {
    // Canonical: bits 63..va_bits-1 all equal.
    let shift = 64 - (PAGE_SHIFT + VPN_BITS * LEVELS as u32);
    if ((va << shift) as i64 >> shift) as u64 != va {
        return None;
    }
    let vpn = |level: u8| (va >> (PAGE_SHIFT + VPN_BITS * level as u32)) & 0x1ff;
    // Step 1.
    let mut a = (satp & SATP_PPN_MASK) << PAGE_SHIFT;
    let mut level = LEVELS - 1;
    loop {
        // Step 2.
        let pte_addr = a.wrapping_add(vpn(level) * PTE_SIZE);
        let raw = read(pte_addr)?;
        if level == 0 {
            // Step 3's reserved bits. Its flag rules, and whether this is a leaf (step 5 has
            // nothing to check at level 0) or a pointer (step 4's fault), are left to the
            // caller's `serves_mask`, which is 0 for all of those.
            if raw & HIGH_BITS != 0 {
                return None;
            }
            return Some((raw, pte_addr));
        }
        // Steps 3 and 4 above level 0: a pointer that is well formed has V set, R = W = X = 0
        // (else a leaf: a superpage), D = A = U = 0 and bits 63:54 clear (else a page
        // fault); G and the RSW bits may be anything. One mask tells.
        if raw & POINTER_MASK != PteFlags::V.bits() as u64 {
            return None;
        }
        // Step 4.
        level -= 1;
        a = Pte(raw).ppn() << PAGE_SHIFT;
    }
}

/// [`serves_as_is`] for all three access types at once, by table: bit `access.index()` of
/// the answer is set when the leaf serves that access as it is. One table of the flag byte
/// per context (U-mode or not, SUM, MXR; M is treated as S, as everywhere in the walker),
/// built at compile time from [`leaf_rule`], the one statement of the rules;
/// `tests::serves_mask_agrees_with_serves_as_is` holds it to [`serves_as_is`] over every
/// combination. A flag byte that is not a
/// well-formed leaf (V = 0 or W without R, which step 3 refuses, or R = W = X = 0, a
/// pointer) serves nothing: 0, so that [`walk_4k`] can leave those tests to this table.
#[inline(always)]
pub fn serves_mask(flags: PteFlags, prv: Priv, sum: bool, mxr: bool) -> u8 {
    serves_row(prv, sum, mxr)[flags.bits() as usize]
}

/// The row of the [`serves_mask`] table for one context, indexed by the flag byte: for a
/// caller that keeps it with the context.
#[inline(always)]
pub fn serves_row(prv: Priv, sum: bool, mxr: bool) -> &'static [u8; 256] {
    let ctx = (prv == Priv::U) as usize | (sum as usize) << 1 | (mxr as usize) << 2;
    &SERVES[ctx]
}

/// The table behind [`serves_mask`]: `[U-mode | SUM << 1 | MXR << 2][flag byte]`, each
/// entry [`leaf_rule`] asked for the three access types.
static SERVES: [[u8; 256]; 8] = {
    const R: u8 = PteFlags::R.bits();
    const W: u8 = PteFlags::W.bits();
    const V: u8 = PteFlags::V.bits();
    let mut t = [[0u8; 256]; 8];
    let mut c = 0;
    while c < 8 {
        let (umode, sum, mxr) = (c & 1 != 0, c & 2 != 0, c & 4 != 0);
        let mut f = 0;
        while f < 256 {
            let b = f as u8;
            // Step 3's flag rules (the D/A/U rule is for pointers, which serve nothing: with
            // R = W = X = 0, `leaf_rule` refuses every access type).
            let leaf = b & V != 0 && b & (R | W) != W;
            t[c][f] = if leaf {
                serves_rule(b, umode, sum, mxr, Access::Fetch) as u8
                    | (serves_rule(b, umode, sum, mxr, Access::Load) as u8) << 1
                    | (serves_rule(b, umode, sum, mxr, Access::Store) as u8) << 2
            } else {
                0
            };
            f += 1;
        }
        c += 1;
    }
    t
};

/// [`leaf_rule`] passes the access with no A/D update to make (for the table).
const fn serves_rule(b: u8, umode: bool, sum: bool, mxr: bool, access: Access) -> bool {
    matches!(leaf_rule(b, umode, sum, mxr, access), Some(AdUpdate::None))
}

/// Whether [`check_leaf`] passes `access` (in `ctx`'s context otherwise) with no A/D update
/// to make: the leaf serves it as it is. The fast path's fill test, without building a
/// context per access type.
#[inline]
pub fn serves_as_is(flags: PteFlags, ctx: &WalkCtx, access: Access) -> bool {
    let umode = ctx.prv == Priv::U;
    leaf_rule(flags.bits(), umode, ctx.sum, ctx.mxr, access) == Some(AdUpdate::None)
}

/// The leaf rules, steps 6, 8 and 9 of priv/supervisor.adoc, "Virtual Address Translation
/// Process", in the one place they are written: for a leaf with flag byte `b`, an access of
/// type `access` from U-mode (`umode`, else S; M-mode is treated as S, as everywhere in the
/// walker) with mstatus.SUM and MXR as given, None if the access page-faults on the U bit or
/// the R/W/X bits, else the A/D update it needs. [`check_leaf`] (which adds the A/D scheme),
/// [`serves_as_is`] and the [`serves_mask`] table all ask it.
#[inline(always)]
const fn leaf_rule(b: u8, umode: bool, sum: bool, mxr: bool, access: Access) -> Option<AdUpdate> {
    const R: u8 = PteFlags::R.bits();
    const W: u8 = PteFlags::W.bits();
    const X: u8 = PteFlags::X.bits();
    const U: u8 = PteFlags::U.bits();
    const A: u8 = PteFlags::A.bits();
    const D: u8 = PteFlags::D.bits();
    let fetch = matches!(access, Access::Fetch);
    let store = matches!(access, Access::Store);
    // Step 6. priv/supervisor.adoc, "Sv32 ... Addressing and Memory Protection" (the PTE's U
    // bit) and "Supervisor Status (sstatus) Register" (SUM): U-mode may only touch U=1 pages;
    // S-mode touches U=1 pages only with SUM=1, and never executes them ("Irrespective of
    // SUM, the supervisor may not execute code on pages with U=1").
    let user_page = b & U != 0;
    let u_ok = if umode {
        user_page
    } else {
        !user_page || (sum && !fetch)
    };
    // Step 8. MXR: "loads from pages marked either readable or executable (R=1 or X=1) will
    // succeed".
    let rwx_ok = match access {
        Access::Fetch => b & X != 0,
        Access::Load => b & R != 0 || (mxr && b & X != 0),
        Access::Store => b & W != 0,
    };
    if !u_ok || !rwx_ok {
        return None;
    }
    // Step 9.
    Some(match (b & A != 0, store && b & D == 0) {
        (true, false) => AdUpdate::None,
        (true, true) => AdUpdate::SetD,
        (false, true) => AdUpdate::SetAD,
        (false, false) => AdUpdate::SetA,
    })
}

/// Permission check of a leaf for an access (steps 6, 8 and 9; the TLB uses it on hits):
/// the U bit with SUM/MXR, R/W/X against the access, and A/D per `ctx.ad`. Returns which A/D
/// update the access needs in [`AdMode::Hardware`] (always `None` in [`AdMode::Fault`]).
pub fn check_leaf(flags: PteFlags, ctx: &WalkCtx, va: u64) -> Result<AdNeed, Exception> {
    let umode = ctx.prv == Priv::U;
    let Some(need) = leaf_rule(flags.bits(), umode, ctx.sum, ctx.mxr, ctx.access) else {
        return Err(page_fault(ctx.access, va));
    };
    match ctx.ad {
        AdMode::Fault if need != AdUpdate::None => Err(page_fault(ctx.access, va)),
        AdMode::Fault => Ok(AdUpdate::None),
        AdMode::Hardware => Ok(need),
    }
}
