//! The reverse map over the process table (`mm_core::rmap` does the finding; the table
//! through `proc::Spaces`) and its self-check, the `check_rmap` boot option.

use super::{space, space::AddressSpace};
use crate::proc::Process;
use alloc::vec::Vec;
use mm_core::{PhysAddr, VirtAddr};

/// The `check_rmap` boot option.
static CHECK_RMAP: core::sync::atomic::AtomicBool = core::sync::atomic::AtomicBool::new(false);
/// Mappings the check has verified, and those it found wrong.
static RMAP_CHECKED: core::sync::atomic::AtomicU64 = core::sync::atomic::AtomicU64::new(0);
static RMAP_WRONG: core::sync::atomic::AtomicU64 = core::sync::atomic::AtomicU64::new(0);

/// Turns the reverse-map check on or off.
pub fn set_check_rmap(on: bool) {
    CHECK_RMAP.store(on, core::sync::atomic::Ordering::Relaxed);
}

/// The PTEs that map user frame `pa` (the reverse map, `mm_core::rmap`): among the
/// address spaces of the frame's family, `p` (the running process, out of the table)
/// included.
pub fn rmap_walk(p: &Process, pa: PhysAddr) -> Vec<mm_core::rmap::Mapping> {
    let Some((family, vpn, mapcount)) = crate::mm::frame::rmap_of(pa) else {
        return Vec::new();
    };
    let t = crate::proc::spaces();
    let spaces: Vec<(u32, PhysAddr)> = core::iter::once(p)
        .chain(t.iter())
        .filter(|q| q.space.family == family)
        .map(|q| (q.pid, q.space.root))
        .collect();
    mm_core::rmap::find_mappings(
        p.space.mode,
        &spaces,
        pa,
        VirtAddr(vpn << mm_core::PAGE_SHIFT),
        mapcount,
        &space::FrameTables,
    )
}

/// With `check_rmap`: every page `p` maps must be found by the reverse map at its address,
/// with as many mappings as the frame's mapcount says. Run at each fork and each end; a
/// mismatch is logged as a warning, the totals at init's end.
pub(crate) fn check_rmap(p: &Process) {
    use core::sync::atomic::Ordering::Relaxed;
    if !CHECK_RMAP.load(Relaxed) {
        return;
    }
    let mut leaves = Vec::new();
    mm_core::paging::user_leaves(
        p.space.mode,
        p.space.root,
        &space::FrameTables,
        &mut |va, pte| leaves.push((va, pte.addr())),
    );
    for (va, pa) in leaves {
        let found = rmap_walk(p, pa);
        let mapcount = crate::mm::frame::rmap_of(pa).map_or(0, |r| r.2) as usize;
        let me = found.iter().any(|m| m.owner == p.pid && m.va == va);
        RMAP_CHECKED.fetch_add(1, Relaxed);
        if !me || found.len() != mapcount {
            RMAP_WRONG.fetch_add(1, Relaxed);
            log::warn!(
                "rmap: pid {} {va} -> {pa}: found {found:?}, mapcount {mapcount}",
                p.pid
            );
        }
    }
}

/// With `check_rmap`, logs how many mappings the checks found and how many were wrong
/// (at init's end).
pub(crate) fn log_totals() {
    use core::sync::atomic::Ordering::Relaxed;
    if CHECK_RMAP.load(Relaxed) {
        log::info!(
            "rmap check: {} mappings found, {} wrong",
            RMAP_CHECKED.load(Relaxed),
            RMAP_WRONG.load(Relaxed)
        );
    }
}

/// The owner [`for_each_mapper`] gives the running process's space (out of the table).
const CURRENT: u32 = u32::MAX;

/// Runs `f` on every address space mapping user frame `pa`, with the virtual address
/// there: the members of the frame's family in the process table and `cur`, the space of
/// the process that is running (out of the table while it handles its trap), if any.
/// `None`, with `f` never called, when not all `mapcount` mappings can be found (a space
/// out of the table: a program being loaded by execve, a child being made by fork) or
/// when the table is busy further up the call chain (the kernel reading another
/// process's memory); reclaim then leaves the frame alone.
pub fn for_each_mapper(
    mut cur: Option<&mut AddressSpace>,
    pa: PhysAddr,
    mut f: impl FnMut(&mut AddressSpace, VirtAddr),
) -> Option<usize> {
    let (family, vpn, mapcount) = crate::mm::frame::rmap_of(pa)?;
    if mapcount == 0 {
        return None;
    }
    let mut t = crate::proc::try_spaces()?;
    let mode = crate::proc::kernel_space().mode;
    let mut spaces: Vec<(u32, PhysAddr)> = Vec::new();
    if let Some(c) = cur.as_deref() {
        if c.family == family {
            spaces.push((CURRENT, c.root));
        }
    }
    spaces.extend(
        t.iter()
            .filter(|q| q.space.family == family)
            .map(|q| (q.pid, q.space.root)),
    );
    let found = mm_core::rmap::find_mappings(
        mode,
        &spaces,
        pa,
        VirtAddr(vpn << mm_core::PAGE_SHIFT),
        mapcount,
        &space::FrameTables,
    );
    if found.len() != mapcount as usize {
        return None;
    }
    for m in &found {
        let space = if m.owner == CURRENT {
            cur.as_deref_mut()
        } else {
            t.space_mut(m.owner)
        };
        if let Some(space) = space {
            f(space, m.va);
        }
    }
    Some(found.len())
}
