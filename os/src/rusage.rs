//! getrusage(165): a process's resource usage, from the same counters /proc/PID/stat shows
//! (minflt, majflt; maxrss from VmHWM). CPU times are not accounted yet (0), and there are
//! no children to report yet (RUSAGE_CHILDREN: all 0).

use crate::proc::Process;
use mm_core::{VirtAddr, PAGE_SIZE};

const EINVAL: i64 = 22;
const EFAULT: i64 = 14;

const RUSAGE_SELF: i64 = 0;
const RUSAGE_CHILDREN: i64 = -1;
const RUSAGE_THREAD: i64 = 1;

/// `struct rusage` on riscv64: two timevals (16 bytes each), then 14 longs.
const SIZE: usize = 32 + 14 * 8;

/// getrusage(who, usage).
pub fn getrusage(p: &mut Process, who: i64, usage: VirtAddr) -> i64 {
    let mut longs = [0u64; 14];
    match who {
        RUSAGE_SELF | RUSAGE_THREAD => {
            // ru_maxrss (kB), ru_minflt, ru_majflt.
            longs[0] = p.space.resident_peak * PAGE_SIZE / 1024;
            longs[4] = p.space.minflt;
            longs[5] = 0;
        }
        RUSAGE_CHILDREN => {}
        _ => return -EINVAL,
    }
    let mut raw = [0u8; SIZE];
    for (i, v) in longs.iter().enumerate() {
        raw[32 + 8 * i..40 + 8 * i].copy_from_slice(&v.to_le_bytes());
    }
    match p.space.copy_out(usage, &raw) {
        Ok(()) => 0,
        Err(_) => -EFAULT,
    }
}
