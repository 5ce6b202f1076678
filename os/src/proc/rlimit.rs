//! Resource limits (getrlimit/setrlimit/prlimit64), with the values Linux 6.1 gives init
//! (include/asm-generic/resource.h's INIT_RLIMITS, and fork.c's for RLIMIT_NPROC and
//! RLIMIT_SIGPENDING, which derive from RAM: max_threads = RAM bytes / (8 × THREAD_SIZE),
//! 16 KiB kernel stacks on riscv64, at least 20; limit = max_threads / 2. Linux counts the
//! pages it manages, a little less than all RAM, which is what is used here).

/// RLIM_INFINITY.
pub const INFINITY: u64 = u64::MAX;
/// Resources: RLIMIT_CPU .. RLIMIT_RTTIME.
pub const NLIMITS: usize = 16;
/// RLIMIT_STACK.
pub const STACK: usize = 3;

/// One limit: soft (cur) and hard (max).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limit {
    pub cur: u64,
    pub max: u64,
}

/// Linux's limits for init on a machine with `ram_pages` pages.
pub fn init_limits(ram_pages: u64) -> [Limit; NLIMITS] {
    let both = |v| Limit { cur: v, max: v };
    let inf = both(INFINITY);
    let threads = (ram_pages * 4096 / (8 * 16384)).max(20) / 2;
    [
        inf, // CPU
        inf, // FSIZE
        inf, // DATA
        Limit {
            cur: 8 << 20,
            max: INFINITY,
        }, // STACK
        Limit {
            cur: 0,
            max: INFINITY,
        }, // CORE
        inf, // RSS
        both(threads), // NPROC
        Limit {
            cur: 1024,
            max: 4096,
        }, // NOFILE
        both(8 << 20), // MEMLOCK
        inf, // AS
        inf, // LOCKS
        both(threads), // SIGPENDING
        both(819_200), // MSGQUEUE
        both(0), // NICE
        both(0), // RTPRIO
        inf, // RTTIME
    ]
}
