//! The load average as Linux computes it (kernel/sched/loadavg.c): every 5 seconds
//! (LOAD_FREQ) each of the three averages moves toward the number of runnable processes by
//! a fixed factor, 1/exp(5 s / 1, 5, 15 min), in fixed point with 11 fraction bits; printed
//! (/proc/loadavg) with two decimals, rounded.

/// Fraction bits (FSHIFT) and 1.0 in them (FIXED_1).
pub const FSHIFT: u32 = 11;
pub const FIXED_1: u64 = 1 << FSHIFT;
/// The decay factors of the 1, 5 and 15 minute averages per sample (EXP_1, EXP_5, EXP_15).
pub const EXP: [u64; 3] = [1884, 2014, 2037];
/// Nanoseconds between samples (LOAD_FREQ: 5 s).
pub const LOAD_FREQ_NS: u64 = 5_000_000_000;

/// One sample: `load` moves toward `active` (both fixed point) by `exp`, rounding up
/// while the load rises (Linux's calc_load).
pub fn calc_load(load: u64, exp: u64, active: u64) -> u64 {
    let mut newload = load * exp + active * (FIXED_1 - exp);
    if active >= load {
        newload += FIXED_1 - 1;
    }
    newload / FIXED_1
}

/// A fixed-point load as /proc/loadavg prints it: (integer part, two decimals), rounded to
/// the nearest hundredth (Linux's LOAD_INT and LOAD_FRAC of the value + FIXED_1/200).
pub fn load_text(v: u64) -> (u64, u64) {
    let v = v + FIXED_1 / 200;
    (v >> FSHIFT, ((v & (FIXED_1 - 1)) * 100) >> FSHIFT)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_runnable_process_for_a_minute_brings_the_one_minute_load_to_1_minus_1_over_e() {
        let mut v = [0u64; 3];
        for _ in 0..12 {
            for (l, e) in v.iter_mut().zip(EXP) {
                *l = calc_load(*l, e, FIXED_1);
            }
        }
        assert_eq!(load_text(v[0]), (0, 63));
        // The longer averages move more slowly: 1 - exp(-1/5), 1 - exp(-1/15).
        assert_eq!(load_text(v[1]), (0, 18));
        assert_eq!(load_text(v[2]), (0, 6));
    }

    #[test]
    fn the_load_decays_back_to_zero_and_prints_with_two_decimals() {
        let mut v = 2 * FIXED_1;
        assert_eq!(load_text(v), (2, 0));
        for _ in 0..200 {
            v = calc_load(v, EXP[0], 0);
        }
        assert_eq!(load_text(v), (0, 0));
        assert_eq!(load_text(FIXED_1 / 2), (0, 50));
    }
}
