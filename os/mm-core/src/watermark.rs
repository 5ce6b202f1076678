//! The free-page thresholds reclaim works against (LINUX-FACTS.md, "Reclaim"; NOTES.md,
//! "Reclaim, swap, kswapd, OOM"), computed as Linux computes them, for one zone.
//!
//! min_free_kbytes defaults to clamp(sqrt(lowmem_kB × 16), 128, 262144) (Linux 6.1's
//! init_per_zone_wmark_min). From it: min = min_free_kbytes in pages; step = max(min / 4,
//! managed × watermark_scale_factor / 10000); low = min + step; high = min + 2 × step
//! (__setup_per_zone_wmarks since Linux 4.6). On machines too small for the scale factor
//! to matter, step = min / 4 gives the notes' rule: low = 5/4 × min, high = 3/2 × min.

use crate::PAGE_SIZE;

/// The integer square root, rounded down (Linux's int_sqrt).
pub fn isqrt(n: u64) -> u64 {
    if n < 2 {
        return n;
    }
    let mut x = n;
    let mut y = x.div_ceil(2);
    while y < x {
        x = y;
        y = (x + n / x) / 2;
    }
    x
}

/// The default min_free_kbytes for `lowmem_kb` of managed memory.
pub fn default_min_free_kbytes(lowmem_kb: u64) -> u64 {
    isqrt(lowmem_kb.saturating_mul(16)).clamp(128, 262_144)
}

/// A zone's thresholds, in pages.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Watermarks {
    pub min: u64,
    pub low: u64,
    pub high: u64,
}

impl Watermarks {
    /// The notes' rule: min = min_free_kbytes in pages, low = 5/4 min, high = 3/2 min (the
    /// kernel's rule before Linux 4.6 added watermark_scale_factor).
    pub fn notes(min_free_kbytes: u64) -> Watermarks {
        let min = min_free_kbytes / (PAGE_SIZE >> 10);
        Watermarks {
            min,
            low: min + min / 4,
            high: min + min / 2,
        }
    }

    /// Linux 4.6+'s rule for `managed` pages with these two sysctls.
    pub fn new(min_free_kbytes: u64, watermark_scale_factor: u64, managed: u64) -> Watermarks {
        let min = min_free_kbytes / (PAGE_SIZE >> 10);
        let step = (min / 4).max(managed.saturating_mul(watermark_scale_factor) / 10_000);
        Watermarks {
            min,
            low: min + step,
            high: min + 2 * step,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn isqrt_rounds_down() {
        for n in [0u64, 1, 2, 3, 4, 15, 16, 17, 1 << 40, u64::MAX] {
            let r = isqrt(n);
            assert!(r * r <= n, "{n}");
            assert!((r + 1).checked_mul(r + 1).is_none_or(|s| s > n), "{n}");
        }
    }

    #[test]
    fn min_free_kbytes_follows_linux() {
        // 64 MiB with 16189 managed pages: sqrt(64756 × 16) = 1017.9.
        assert_eq!(default_min_free_kbytes(16189 * 4), 1017);
        // Tiny and huge machines hit the clamp.
        assert_eq!(default_min_free_kbytes(512), 128);
        assert_eq!(default_min_free_kbytes(1 << 40), 262_144);
        // 16 GiB: sqrt(16 Mi kB × 16) = 16384.
        assert_eq!(default_min_free_kbytes(16 << 20), 16384);
    }

    #[test]
    fn the_notes_rule_is_five_and_six_quarters_of_min() {
        // 2 GiB: min_free_kbytes 5792, min 1448 pages.
        assert_eq!(
            Watermarks::notes(5792),
            Watermarks {
                min: 1448,
                low: 1810,
                high: 2172
            }
        );
    }

    #[test]
    fn small_machines_get_the_notes_rule_large_ones_the_scale_factor() {
        let w = Watermarks::new(1024, 10, 16384);
        assert_eq!(
            w,
            Watermarks {
                min: 256,
                low: 320,
                high: 384
            }
        );
        assert_eq!((w.low, w.high), (w.min * 5 / 4, w.min * 3 / 2));
        // 4 GiB: the scale factor's 0.1% (1048 pages) beats min / 4.
        let w = Watermarks::new(4096, 10, 1 << 20);
        assert_eq!(
            w,
            Watermarks {
                min: 1024,
                low: 1024 + 1048,
                high: 1024 + 2 * 1048
            }
        );
    }
}
