//! Rate limiting of log lines, as Linux's `___ratelimit` (lib/ratelimit.c) does for
//! printk_ratelimit: within a window of `interval` nanoseconds at most `burst` lines pass;
//! the rest are counted, and the first line allowed after the window has passed reports
//! how many were suppressed ("N callbacks suppressed", as Linux prints). Time is whatever
//! clock the caller passes (the kernel's virtual time since boot), so runs are
//! deterministic.

/// Linux's printk_ratelimit defaults: 5 s windows, 10 lines each.
pub const DEFAULT_INTERVAL_NS: u64 = 5_000_000_000;
pub const DEFAULT_BURST: u32 = 10;

/// One rate limit's state.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RateLimit {
    interval: u64,
    burst: u32,
    /// Start of the current window; None before the first event.
    begin: Option<u64>,
    printed: u32,
    missed: u32,
}

/// What to do with one event.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// Print it; `suppressed` lines were dropped in the window that just ended (print
    /// "N callbacks suppressed" first when it is not 0).
    Print { suppressed: u32 },
    /// Drop it (it is counted).
    Suppress,
}

impl RateLimit {
    pub const fn new(interval: u64, burst: u32) -> RateLimit {
        RateLimit {
            interval,
            burst,
            begin: None,
            printed: 0,
            missed: 0,
        }
    }

    /// The printk_ratelimit defaults ([`DEFAULT_INTERVAL_NS`], [`DEFAULT_BURST`]).
    pub const fn printk() -> RateLimit {
        RateLimit::new(DEFAULT_INTERVAL_NS, DEFAULT_BURST)
    }

    /// Decides about an event at time `now` (ns, never going back).
    pub fn check(&mut self, now: u64) -> Verdict {
        let mut suppressed = 0;
        match self.begin {
            None => self.begin = Some(now),
            Some(b) if now.saturating_sub(b) >= self.interval => {
                suppressed = self.missed;
                self.begin = Some(now);
                self.printed = 0;
                self.missed = 0;
            }
            Some(_) => {}
        }
        if self.printed < self.burst {
            self.printed += 1;
            Verdict::Print { suppressed }
        } else {
            self.missed += 1;
            Verdict::Suppress
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::vec::Vec;

    const S: u64 = 1_000_000_000;

    #[test]
    fn a_burst_passes_then_the_rest_of_the_window_is_counted() {
        let mut r = RateLimit::printk();
        let v: Vec<Verdict> = (0..3695).map(|i| r.check(i * 1000)).collect();
        assert!(v[..10]
            .iter()
            .all(|v| *v == Verdict::Print { suppressed: 0 }));
        assert!(v[10..].iter().all(|v| *v == Verdict::Suppress));
        // The first event of the next window passes and tells how many were dropped.
        assert_eq!(r.check(5 * S), Verdict::Print { suppressed: 3685 });
        assert_eq!(r.check(5 * S + 1), Verdict::Print { suppressed: 0 });
    }

    #[test]
    fn a_steady_trickle_is_printed_at_burst_lines_per_window() {
        // One event every 100 ms for a minute: 600 events, 12 windows of 50, 10 printed each.
        let mut r = RateLimit::printk();
        let mut printed = 0;
        let mut reported = 0;
        for i in 0..600 {
            if let Verdict::Print { suppressed } = r.check(i * S / 10) {
                printed += 1;
                reported += suppressed;
            }
        }
        assert_eq!(printed, 120);
        // Every window's 40 drops are reported at the next window's start (the last
        // window's are still pending).
        assert_eq!(reported, 11 * 40);
    }

    #[test]
    fn an_idle_window_resets_without_a_report() {
        let mut r = RateLimit::new(S, 2);
        assert_eq!(r.check(0), Verdict::Print { suppressed: 0 });
        assert_eq!(r.check(1), Verdict::Print { suppressed: 0 });
        assert_eq!(r.check(S + 5), Verdict::Print { suppressed: 0 });
        assert_eq!(r.check(S + 6), Verdict::Print { suppressed: 0 });
        assert_eq!(r.check(S + 7), Verdict::Suppress);
        assert_eq!(r.check(10 * S), Verdict::Print { suppressed: 1 });
    }
}
