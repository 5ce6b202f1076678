//! Time for user programs: the `time` CSR (the CLINT's mtime, readable in S through
//! mcounteren.TM) at the device tree's timebase. There is no real-time clock: the realtime
//! clocks count from the epoch at boot, as Linux does on a machine without an RTC.

use core::sync::atomic::{AtomicU64, Ordering};

static TIMEBASE: AtomicU64 = AtomicU64::new(10_000_000);

/// Records the timebase-frequency (`time` ticks per second).
pub fn init(timebase: u64) {
    if timebase > 0 {
        TIMEBASE.store(timebase, Ordering::Relaxed);
    }
}

/// Nanoseconds since boot.
pub fn now_ns() -> u64 {
    let ticks = crate::arch::csr::read_time() as u128;
    let hz = TIMEBASE.load(Ordering::Relaxed) as u128;
    (ticks * 1_000_000_000 / hz) as u64
}

/// `time` ticks per second.
pub fn timebase() -> u64 {
    TIMEBASE.load(Ordering::Relaxed)
}
