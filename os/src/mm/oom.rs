//! The OOM killer (NOTES.md, "Reclaim, swap, kswapd, OOM"; LINUX-FACTS.md, "OOM killer"):
//! when reclaim can free nothing more, the process with the most points is sent SIGKILL,
//! its memory and swap are given back, and the allocation is tried again.
//!
//! points = resident pages + swap entries + page-table pages (below the root) +
//! oom_score_adj × totalpages / 1000, with totalpages = RAM + swap pages (Linux's
//! oom_badness); oom_score_adj = -1000 is never chosen, and neither is init — unless init
//! is all that is left. Linux panics then ("System is deadlocked on memory"); this kernel
//! kills init instead, which ends the machine with init's status, 128 + SIGKILL = 137, and
//! says so on the console.

use super::space::AddressSpace;
use super::vmstat::{self, ProcessPages};
use crate::proc::{Process, INIT};
use mm_core::PAGE_SIZE;

/// The OOM killer's points for a space (None: never chosen): `mm_core::policy`'s formula
/// over its resident pages, swap entries and page tables below the root.
pub fn badness(space: &AddressSpace, adj: i16, totalpages: u64) -> Option<i64> {
    let tables = space.table_pages().saturating_sub(1);
    mm_core::policy::oom_badness(space.resident, space.swapped, tables, adj, totalpages)
}

/// RAM and swap, in pages: what the points are scaled by.
pub fn totalpages() -> u64 {
    crate::mm::frame::managed_frames() as u64 + crate::mm::swapfile::total_pages()
}

/// /proc/PID/oom_score for `p`: (1000 + points × 1000 / totalpages) × 2 / 3 (0 for init
/// and for a process that is never chosen, as Linux shows them).
pub fn oom_score(p: &Process) -> u64 {
    if p.pid == INIT {
        return 0;
    }
    let total = totalpages();
    mm_core::policy::oom_score(badness(&p.space, p.oom_score_adj, total), total)
}

/// What the OOM killer did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kill {
    /// Another process was killed and its memory is free: try again.
    Other,
    /// The running process (`cur`'s) was chosen: its allocation fails, and it ends by
    /// SIGKILL at the end of its trap.
    Current,
    /// Nothing can be killed (the table is busy further up, or every candidate is exempt).
    Nothing,
}

/// Chooses and kills a victim. `cur` is the space of the running process (out of the
/// table), if the allocation is for it.
pub fn out_of_memory(cur: Option<&mut AddressSpace>) -> Kill {
    let total = totalpages();
    let Some(t) = crate::proc::try_spaces() else {
        return Kill::Nothing;
    };
    // (points, pid); the running process is the table's `current`.
    let mut best: Option<(i64, u32)> = None;
    let mut init_left = None;
    let (running, run_name, run_adj) = t.running();
    let mut consider = |pid: u32, points: Option<i64>, adj: i16| {
        let Some(points) = points else { return };
        crate::kevent::send(
            crate::kevent::kind::OOM_CANDIDATE,
            &[u64::from(pid), points as u64, adj as i64 as u64],
        );
        if pid == INIT {
            init_left = Some(points);
            return;
        }
        if best.is_none_or(|(b, _)| points > b) {
            best = Some((points, pid));
        }
    };
    if let Some(c) = cur.as_deref() {
        consider(running, badness(c, run_adj, total), run_adj);
    }
    for q in t.iter() {
        consider(
            q.pid,
            badness(&q.space, q.oom_score_adj, total),
            q.oom_score_adj,
        );
    }
    let pid = match (best, init_left) {
        (Some((_, pid)), _) => pid,
        (None, Some(_)) => {
            crate::console::kmsg(
                log::Level::Error,
                format_args!(
                    "Out of memory and no killable process but init: Linux would panic \
                 (\"System is deadlocked on memory\"); this kernel kills init\n"
                ),
            );
            INIT
        }
        (None, None) => return Kill::Nothing,
    };
    vmstat::add(&vmstat::OOM_KILL, 1);
    if pid == running {
        if let Some(c) = cur {
            report(pid, run_name, c, run_adj);
            c.oom_killed = true;
            return Kill::Current;
        }
    }
    let Some(victim) = t.take(pid) else {
        return Kill::Nothing;
    };
    report(victim.pid, victim.name, &victim.space, victim.oom_score_adj);
    // Its memory and swap slots are given back now (the victim is not running).
    crate::proc::oom_kill(victim);
    Kill::Other
}

/// Linux's kill line (mm/oom_kill.c, __oom_kill_process), on the console.
fn report(pid: u32, name: &str, space: &AddressSpace, adj: i16) {
    let kb = PAGE_SIZE / 1024;
    if crate::kevent::present() {
        let points = badness(space, adj, totalpages()).unwrap_or(0);
        crate::kevent::send_from(
            crate::kevent::kind::OOM_KILL,
            crate::kevent::current(),
            &[u64::from(pid), points as u64, space.resident],
            name.as_bytes(),
        );
    }
    let pages = ProcessPages::of_space(space);
    let total_vm: u64 = space.vmas.iter().map(|(s, v)| v.end - s).sum::<u64>() / 1024;
    crate::console::kmsg(
        log::Level::Error,
        format_args!(
            "Out of memory: Killed process {pid} ({name}) total-vm:{total_vm}kB, anon-rss:{}kB, \
         file-rss:{}kB, shmem-rss:{}kB, UID:0 pgtables:{}kB oom_score_adj:{adj}\n",
            pages.anon * kb,
            pages.file * kb,
            pages.shmem * kb,
            space.table_pages().saturating_sub(1) * kb,
        ),
    );
}

/// Pages committed by the processes in the table (the running one, out of it, aside):
/// their private writable areas (`mm::vmstat::committed_of`).
pub fn committed_by_others() -> u64 {
    match crate::proc::try_spaces() {
        Some(t) => t.iter().map(|q| vmstat::committed_of(&q.space)).sum(),
        None => 0,
    }
}
