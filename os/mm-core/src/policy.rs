//! The memory manager's formulas, free of hardware and of the kernel's state, so that the
//! host tests pin them to Linux's (LINUX-FACTS.md, "Reclaim", "OOM killer"): the OOM
//! killer's points and /proc/PID/oom_score, the overcommit policy and CommitLimit, and
//! when an inactive LRU list is "low".

/// oom_score_adj's floor: a process with it is never chosen.
pub const OOM_SCORE_ADJ_MIN: i16 = -1000;

/// The OOM killer's points (Linux's oom_badness): pages resident, in swap and in page
/// tables, plus oom_score_adj thousandths of `totalpages` (RAM + swap); `None` for a
/// process that is never chosen (oom_score_adj -1000).
pub fn oom_badness(
    resident: u64,
    swapped: u64,
    table_pages: u64,
    adj: i16,
    totalpages: u64,
) -> Option<i64> {
    if adj <= OOM_SCORE_ADJ_MIN {
        return None;
    }
    let points = (resident + swapped + table_pages) as i64;
    Some(points + i64::from(adj) * (totalpages / 1000) as i64)
}

/// /proc/PID/oom_score from the points: (1000 + points × 1000 / totalpages) × 2 / 3, never
/// below 0; 0 for a process never chosen.
pub fn oom_score(points: Option<i64>, totalpages: u64) -> u64 {
    let total = totalpages.max(1) as i64;
    points.map_or(0, |p| ((1000 + p * 1000 / total) * 2 / 3).max(0) as u64)
}

/// vm.overcommit_memory.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Overcommit {
    /// 0: refuse only a single request larger than RAM + swap (Linux 6.1's heuristic).
    Heuristic,
    /// 1: never refuse.
    Always,
    /// 2: keep the committed total below CommitLimit.
    Never,
}

impl Overcommit {
    /// The policy for a sysctl value (anything but 1 and 2 is the heuristic).
    pub fn from_sysctl(v: i64) -> Overcommit {
        match v {
            1 => Overcommit::Always,
            2 => Overcommit::Never,
            _ => Overcommit::Heuristic,
        }
    }
}

/// CommitLimit in pages (Linux's vm_commit_limit): overcommit_kbytes when set, else
/// overcommit_ratio percent of RAM, plus swap.
pub fn commit_limit(ram_pages: u64, swap_pages: u64, ratio: u64, kbytes: u64) -> u64 {
    let base = if kbytes != 0 {
        kbytes / 4
    } else {
        ram_pages * ratio / 100
    };
    base + swap_pages
}

/// What one request is weighed against.
#[derive(Clone, Copy, Debug)]
pub struct CommitState {
    /// Pages committed in all now (the requester's own included).
    pub committed: u64,
    /// CommitLimit.
    pub limit: u64,
    /// RAM + swap pages.
    pub total: u64,
    /// The requester's areas in all, in pages (its reserve is size / 32, at most
    /// `user_reserve`).
    pub size: u64,
    /// vm.user_reserve_kbytes, in pages.
    pub user_reserve: u64,
}

/// Whether `pages` more may be committed (Linux 6.1's __vm_enough_memory, for a process
/// with CAP_SYS_ADMIN: the admin reserve is not taken off).
pub fn enough_memory(policy: Overcommit, pages: u64, s: CommitState) -> bool {
    match policy {
        Overcommit::Always => true,
        Overcommit::Heuristic => pages <= s.total,
        Overcommit::Never => {
            let reserve = (s.size / 32).min(s.user_reserve);
            s.committed + pages < s.limit.saturating_sub(reserve)
        }
    }
}

/// Linux's inactive_is_low: inactive × ratio < active, with ratio = √(10 × GiB of the
/// type's pages), or 1 under 1 GiB.
pub fn inactive_is_low(inactive: u64, active: u64) -> bool {
    let gib = (inactive + active) >> (30 - crate::PAGE_SHIFT);
    let ratio = if gib == 0 {
        1
    } else {
        crate::watermark::isqrt(10 * gib)
    };
    inactive * ratio < active
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_idle_process_scores_666_and_the_exempt_0() {
        let total = 1 << 20;
        assert_eq!(oom_score(oom_badness(0, 0, 0, 0, total), total), 666);
        assert_eq!(oom_badness(10, 0, 0, -1000, total), None);
        assert_eq!(oom_score(None, total), 0);
        // oom_score_adj 1000 adds all of totalpages (a multiple of 1000 here):
        // (1000 + 1000) × 2 / 3.
        let even = 1_000_000;
        assert_eq!(oom_score(oom_badness(0, 0, 0, 1000, even), even), 1333);
        // Half of RAM + swap resident, in swap or in tables alike.
        let half = oom_badness(total / 4, total / 8, total / 8, 0, total);
        assert_eq!(half, Some(total as i64 / 2));
        assert_eq!(oom_score(half, total), 1000);
        // A negative adj can take the points below 0; the score stays at 0 or above.
        assert_eq!(oom_score(Some(-2 * total as i64), total), 0);
        assert_eq!(oom_score(oom_badness(0, 0, 0, -999, even), even), 0);
    }

    #[test]
    fn the_largest_wins_and_adj_scales_by_totalpages() {
        let total = 262_144; // 1 GiB of RAM + swap
        let game = oom_badness(4000, 0, 10, 0, total).unwrap();
        let music = oom_badness(2000, 0, 6, 0, total).unwrap();
        assert!(game > music);
        // -500 takes 500 × 262 = 131,000 pages off.
        assert_eq!(oom_badness(4000, 0, 10, -500, total), Some(4010 - 131_000));
    }

    #[test]
    fn overcommit_modes_as_linux() {
        let s = CommitState {
            committed: 100,
            limit: commit_limit(1000, 500, 50, 0),
            total: 1500,
            size: 320,
            user_reserve: 5,
        };
        assert_eq!(s.limit, 1000);
        // 0: only one request larger than RAM + swap is refused.
        assert!(enough_memory(Overcommit::Heuristic, 1500, s));
        assert!(!enough_memory(Overcommit::Heuristic, 1501, s));
        // 1: nothing is.
        assert!(enough_memory(Overcommit::Always, u64::MAX, s));
        // 2: committed + pages < limit − min(size / 32, user_reserve) = 1000 − 5.
        assert!(enough_memory(Overcommit::Never, 894, s));
        assert!(!enough_memory(Overcommit::Never, 895, s));
        assert_eq!(Overcommit::from_sysctl(2), Overcommit::Never);
        assert_eq!(Overcommit::from_sysctl(7), Overcommit::Heuristic);
        // overcommit_kbytes replaces the ratio.
        assert_eq!(commit_limit(1000, 500, 50, 4096), 1024 + 500);
    }

    #[test]
    fn inactive_is_low_uses_the_square_root_ratio_above_1_gib() {
        assert!(inactive_is_low(10, 11));
        assert!(!inactive_is_low(10, 10));
        // 4 GiB of the type: ratio √40 = 6.
        let gib = 1u64 << 18;
        assert!(inactive_is_low(gib / 2, 4 * gib - gib / 2));
        assert!(!inactive_is_low(gib, 3 * gib));
    }
}
