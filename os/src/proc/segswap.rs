//! Swapping segmented processes out whole, and back (docs/KERNEL.md, "Segment memory":
//! whole-segment swap; NOTES.md, "Segmentation": segments swap slowly, a whole segment at a
//! time).
//!
//! When a segment allocation finds no hole large enough (`mm::segmem::alloc`), and a swap
//! area has room, [`make_room`] writes every segment of one segmented process that is not
//! running to swap and frees its ranges: a stopped one first, then a sleeping one, and only
//! one whose ranges, freed, would join the holes into one large enough. The process stays
//! in the table, asleep or stopped as it was, with VmRSS 0 and its pages in VmSwap
//! (/proc/PID/status), and is not run while its segments are out.
//!
//! It comes back only into its old ranges: it runs in Bare mode, its registers and data
//! hold physical addresses, and there is no relocation hardware to move it. [`swap_in_ready`]
//! runs at every scheduling decision: a swapped-out process that is runnable again gets its
//! segments back as soon as every frame of its ranges is free (until then it waits, runnable
//! but not run; the wait is counted in vmstat's `seg_swapin_wait_ms`). One that was sent
//! SIGKILL meanwhile ends without coming back. kswapd and direct reclaim never swap segments
//! out: only a failed segment allocation does.

use super::{Process, State, TABLE};
use crate::mm::segmem;
use alloc::vec::Vec;
use mm_core::segment::frees_a_run;
use mm_core::signo::SIGKILL;
use mm_core::task::Ending;
use mm_core::{PhysAddr, PAGE_SIZE};

/// The free holes now.
fn holes() -> Vec<(u64, u64)> {
    let n = crate::mm::frame::holes(&mut Vec::new());
    let mut v = Vec::with_capacity(n + 8);
    crate::mm::frame::holes(&mut v);
    v.into_iter().map(|(s, l)| (s.0, l)).collect()
}

/// A segmented process's segments in memory, as (base, bytes); None if it has none or
/// they are out already.
fn resident_ranges(p: &Process) -> Option<Vec<(u64, u64)>> {
    let s = p.space.seg.as_ref()?;
    if s.is_swapped() {
        return None;
    }
    Some(s.table.segments().iter().map(|g| (g.base, g.len)).collect())
}

/// Swaps out one segmented process that is not running, so that a segment of `bytes` can
/// be placed; true if one was. The process running (out of the table during its system
/// call) is never chosen. Nothing happens when the table is busy (the caller holds it) or
/// no swap area has room for a candidate.
pub fn make_room(bytes: u64) -> bool {
    let Some(mut t) = TABLE.try_lock() else {
        return false;
    };
    let free_slots = crate::mm::swapfile::free_pages();
    if free_slots == 0 {
        return false;
    }
    let holes = holes();
    // Stopped ones first, then sleeping ones; by pid within each.
    let mut pick: Option<(u32, Vec<(u64, u64)>)> = None;
    for stopped in [true, false] {
        pick = t.live.values().find_map(|p| {
            let fits_state = match p.state {
                State::Stopped => stopped,
                State::Sleeping(_) => !stopped,
                State::Runnable => false,
            };
            let ranges = resident_ranges(p).filter(|_| fits_state)?;
            let pages: u64 = ranges.iter().map(|r| r.1 / PAGE_SIZE).sum();
            (pages <= free_slots && frees_a_run(&holes, &ranges, bytes)).then_some((p.pid, ranges))
        });
        if pick.is_some() {
            break;
        }
    }
    let Some((pid, ranges)) = pick else {
        return false;
    };
    let Some(p) = t.live.get_mut(pid) else {
        return false;
    };
    let Some(seg) = p.space.seg.as_mut() else {
        return false;
    };
    let mut out = Vec::new();
    for &(base, len) in &ranges {
        match segmem::swap_out(PhysAddr(base), len) {
            Ok(s) => out.push(s),
            Err(e) => {
                log::warn!(
                    "{} (pid {pid}): swap-out of its segment at {base:#x} failed: {}",
                    p.name,
                    e.name()
                );
                // Those already out come back where they were (just freed: still free).
                for mut s in out.into_iter().rev() {
                    let at = s.base;
                    if segmem::swap_in(&mut s, at).is_err() {
                        log::error!("{} (pid {pid}): a segment could not come back", p.name);
                    }
                }
                return false;
            }
        }
    }
    let pages: u64 = ranges.iter().map(|r| r.1 / PAGE_SIZE).sum();
    seg.swapped = out;
    p.space.resident = 0;
    p.space.swapped = pages;
    log::info!(
        "{} (pid {pid}): segments swapped out whole ({} kB in {} segments) to place {} kB",
        p.name,
        (pages * PAGE_SIZE) >> 10,
        ranges.len(),
        bytes >> 10
    );
    true
}

/// At a scheduling decision: every swapped-out process that could run comes back if its
/// old ranges are all free; one with SIGKILL pending ends instead.
pub fn swap_in_ready() {
    if !segmem::any_swapped() {
        return;
    }
    let mut killed = Vec::new();
    {
        let mut t = TABLE.lock();
        for p in t.live.values_mut() {
            let Some(seg) = p.space.seg.as_mut() else {
                continue;
            };
            if !seg.is_swapped() {
                continue;
            }
            if p.sigpending & (1 << (SIGKILL - 1)) != 0 {
                killed.push(p.pid);
                continue;
            }
            if p.state != State::Runnable {
                continue;
            }
            if !seg
                .swapped
                .iter()
                .all(|s| segmem::range_free(s.base, s.bytes))
            {
                continue;
            }
            let mut ok = true;
            for s in seg.swapped.iter_mut() {
                let at = s.base;
                if let Err(e) = segmem::swap_in(s, at) {
                    log::error!(
                        "{} (pid {}): swap-in of its segment at {at} failed: {}",
                        p.name,
                        p.pid,
                        e.name()
                    );
                    ok = false;
                    break;
                }
            }
            if ok {
                seg.swapped.clear();
                p.space.swapped = 0;
                super::seg::note_resident(&mut p.space);
                log::info!("{} (pid {}): segments swapped back in", p.name, p.pid);
            } else {
                // A read failed: its memory is lost; it ends as on a failed swap-in of a
                // page (SIGBUS there, SIGKILL here: it cannot run at all).
                p.sigpending |= 1 << (SIGKILL - 1);
                killed.push(p.pid);
            }
        }
    }
    for pid in killed {
        let p = TABLE.lock().live.take(pid);
        if let Some(p) = p {
            super::end(p, Ending::Signaled(SIGKILL));
        }
    }
}

/// Whether `p` may be run now: not while its segments are in swap.
pub fn may_run(p: &Process) -> bool {
    !p.space.seg.as_ref().is_some_and(|s| s.is_swapped())
}
