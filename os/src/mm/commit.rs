//! The overcommit policy (vm.overcommit_memory, as Linux 6.1's __vm_enough_memory): whether
//! a new private writable mapping (mmap, brk, mremap growing) may be made. Linux charges
//! such mappings when they are made (VM_ACCOUNT), not when touched; Committed_AS is the
//! sum of those charges, CommitLimit the ceiling mode 2 enforces.
//!
//! - 0 (heuristic, the default): only a single request larger than RAM + swap is refused;
//! - 1 (always): nothing is refused;
//! - 2 (never overcommit): Committed_AS after the request must stay below CommitLimit =
//!   RAM × overcommit_ratio / 100 + swap (or overcommit_kbytes + swap when that is set),
//!   less a small reserve per process (min(its size / 32, user_reserve_kbytes)). Every
//!   process runs as root here, so the admin reserve is not taken off (Linux takes it off
//!   for processes without CAP_SYS_ADMIN).

use super::{frame, swapfile};
use crate::sysctl;
use mm_core::policy::{self, CommitState, Overcommit};

/// CommitLimit, in pages.
pub fn limit() -> u64 {
    policy::commit_limit(
        frame::managed_frames() as u64,
        swapfile::total_pages(),
        sysctl::value("overcommit_ratio").max(0) as u64,
        sysctl::value("overcommit_kbytes").max(0) as u64,
    )
}

/// Whether `pages` more may be committed by a process whose areas total `size_pages`, with
/// `committed` pages committed in all now (its own included): `mm_core::policy`'s rule
/// under vm.overcommit_memory.
pub fn enough_memory(pages: u64, size_pages: u64, committed: u64) -> bool {
    let state = CommitState {
        committed,
        limit: limit(),
        total: frame::managed_frames() as u64 + swapfile::total_pages(),
        size: size_pages,
        user_reserve: sysctl::value("user_reserve_kbytes").max(0) as u64 / 4,
    };
    policy::enough_memory(
        Overcommit::from_sysctl(sysctl::value("overcommit_memory")),
        pages,
        state,
    )
}
