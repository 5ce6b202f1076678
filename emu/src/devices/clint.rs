//! CLINT (`sifive,clint0` at 0x0200_0000, 64 KiB): machine software and timer interrupts for
//! hart 0.
//!
//! Used by [`crate::bus`]: it routes offsets here, reads [`Clint::msip`] and [`Clint::mtip`]
//! into `mip.MSIP` (bit 3) and `mip.MTIP` (bit 7), and exposes [`Clint::deadline`] to the hart.
//!
//! Layout (the ACLINT split QEMU 7.2 uses): `msip` words at 0x0000 (hart 0 at +0, bit 0
//! only), 32-bit accesses only; the MTIMER at 0x4000..0xc000 with `mtimecmp` for hart 0 at
//! 0x4000 and `mtime` at 0xbff8, 32- or 64-bit accesses; 0xc000..0x10000 is not decoded.
//! Other harts' registers read as zero and ignore writes. Widths outside these, and the
//! undecoded hole, fault as on QEMU.
//!
//! Time is virtual: the hart passes `now`, its mtime derived from retired instructions. A guest
//! write to `mtime` is kept as a (value, now) pair so that `mtime = value + (now - then)`.
//!
//! Reset: QEMU 7.2 resets `mtimecmp` to 0, so MTIP is pending from the first instruction
//! (checked on QEMU: `mip` = 0x80 at the kernel entry with `-bios none`). This model does the
//! same. It is harmless because `mie.MTIE` is 0 at reset, but it means [`Clint::deadline`]
//! is 0 (already reached) until the guest programs `mtimecmp`: whoever decides whether WFI may
//! sleep until the deadline must gate it with `mie.MTIE`.

use super::{aligned_within, size_mask, DeviceFault};

/// Window size.
pub const CLINT_SIZE: u64 = 0x1_0000;
const MSIP_END: u64 = 0x4000;
const MTIMECMP0: u64 = 0x4000;
const MTIME: u64 = 0xbff8;
const MTIMER_END: u64 = 0xc000;

/// The CLINT of a one-hart machine.
#[derive(Debug, Default)]
pub struct Clint {
    msip: bool,
    mtimecmp: u64,
    /// `mtime` as last written by the guest (0 at reset) …
    mtime_value: u64,
    /// … and the `now` at which it was written.
    mtime_since: u64,
}

impl Clint {
    pub fn new() -> Clint {
        Clint::default()
    }

    /// The guest-visible `mtime` at hart time `now`.
    pub fn mtime(&self, now: u64) -> u64 {
        self.mtime_value
            .wrapping_add(now.saturating_sub(self.mtime_since))
    }

    /// Hart 0's `mtimecmp`.
    pub fn mtimecmp(&self) -> u64 {
        self.mtimecmp
    }

    /// Level of hart 0's machine software interrupt.
    pub fn msip(&self) -> bool {
        self.msip
    }

    /// Level of hart 0's machine timer interrupt at hart time `now`.
    pub fn mtip(&self, now: u64) -> bool {
        self.mtime(now) >= self.mtimecmp
    }

    /// The hart time (`now`) from which MTIP is high: `mtimecmp` shifted by any guest write
    /// to `mtime`. At or below the current `now` when MTIP is already high; `u64::MAX` when
    /// `mtimecmp` is `u64::MAX` (never).
    pub fn deadline(&self) -> u64 {
        if self.mtimecmp == u64::MAX {
            u64::MAX
        } else if self.mtimecmp <= self.mtime_value {
            self.mtime_since
        } else {
            self.mtime_since
                .saturating_add(self.mtimecmp - self.mtime_value)
        }
    }

    pub fn read(&self, offset: u64, size: u8, now: u64) -> Result<u64, DeviceFault> {
        self.check(offset, size)?;
        let (reg, shift) = match self.reg64(offset, size) {
            Some(r) => r,
            None if offset < MSIP_END => return Ok(u64::from(offset == 0 && self.msip)),
            None => return Ok(0),
        };
        let v = if reg == MTIME {
            self.mtime(now)
        } else {
            self.mtimecmp
        };
        Ok((v >> shift) & size_mask(size))
    }

    pub fn write(&mut self, offset: u64, size: u8, val: u64, now: u64) -> Result<(), DeviceFault> {
        self.check(offset, size)?;
        let Some((reg, shift)) = self.reg64(offset, size) else {
            if offset == 0 {
                self.msip = val & 1 != 0;
            }
            return Ok(());
        };
        let mask = size_mask(size) << shift;
        let merge = |old: u64| (old & !mask) | ((val << shift) & mask);
        if reg == MTIME {
            self.mtime_value = merge(self.mtime(now));
            self.mtime_since = now;
        } else {
            self.mtimecmp = merge(self.mtimecmp);
        }
        Ok(())
    }

    /// Which 64-bit register (`MTIMECMP0` or `MTIME`) an access touches, and the bit shift
    /// of its part; `None` for msip words and undecoded MTIMER words.
    fn reg64(&self, offset: u64, size: u8) -> Option<(u64, u32)> {
        let base = offset & !7;
        if base != MTIMECMP0 && base != MTIME {
            return None;
        }
        let shift = if size == 4 {
            8 * (offset & 4) as u32
        } else {
            0
        };
        Some((base, shift))
    }

    fn check(&self, offset: u64, size: u8) -> Result<(), DeviceFault> {
        let ok = if offset < MSIP_END {
            size == 4 && aligned_within(offset, size, MSIP_END)
        } else {
            (size == 4 || size == 8) && aligned_within(offset, size, MTIMER_END)
        };
        if ok {
            Ok(())
        } else if (MTIMER_END..CLINT_SIZE).contains(&offset) {
            Err(DeviceFault::BadOffset(offset))
        } else {
            Err(DeviceFault::BadSize { offset, size })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reset_state_is_qemus() {
        let c = Clint::new();
        assert_eq!(c.read(0x4000, 8, 500).unwrap(), 0);
        assert!(
            c.mtip(0),
            "mtimecmp = 0 at reset: MTIP pending, gated by mie"
        );
        assert_eq!(c.deadline(), 0);
        assert!(!c.msip());
    }

    #[test]
    fn msip_is_bit_zero_and_word_only() {
        let mut c = Clint::new();
        c.write(0, 4, 0xffff_ffff, 0).unwrap();
        assert!(c.msip());
        assert_eq!(c.read(0, 4, 0).unwrap(), 1);
        c.write(4, 4, 1, 0).unwrap(); // hart 1: absent
        assert_eq!(c.read(4, 4, 0).unwrap(), 0);
        assert!(c.read(0, 8, 0).is_err());
        assert!(c.read(0, 1, 0).is_err());
        c.write(0, 4, 2, 0).unwrap();
        assert!(!c.msip());
    }

    #[test]
    fn mtimecmp_halves_and_deadline() {
        let mut c = Clint::new();
        c.write(0x4000, 4, 0xffff_ffff, 0).unwrap();
        c.write(0x4004, 4, 0xffff_ffff, 0).unwrap();
        assert_eq!(c.deadline(), u64::MAX);
        assert!(!c.mtip(1 << 40));
        c.write(0x4004, 4, 0, 0).unwrap();
        c.write(0x4000, 4, 1000, 0).unwrap();
        assert_eq!(c.read(0x4000, 8, 0).unwrap(), 1000);
        assert_eq!(c.deadline(), 1000);
        assert!(!c.mtip(999));
        assert!(c.mtip(1000));
        assert!(c.read(0x4000, 2, 0).is_err());
        assert!(c.read(0xc000, 4, 0).is_err(), "hole above the MTIMER");
        assert_eq!(c.read(0x8000, 4, 0).unwrap(), 0, "undecoded MTIMER word");
    }

    #[test]
    fn deadline_follows_mtime_writes() {
        let mut c = Clint::new();
        c.write(0x4000, 8, 5000, 0).unwrap();
        assert_eq!(c.read(0xbff8, 8, 100).unwrap(), 100);
        // At now = 100 the guest sets mtime to 4000: 1000 ticks to go.
        c.write(0xbff8, 8, 4000, 100).unwrap();
        assert_eq!(c.mtime(150), 4050);
        assert_eq!(c.deadline(), 1100);
        assert!(!c.mtip(1099));
        assert!(c.mtip(1100));
        // Writing only the high half keeps the low half ticking.
        c.write(0xbffc, 4, 1, 200).unwrap();
        assert_eq!(c.read(0xbff8, 8, 200).unwrap(), (1 << 32) | 4100);
        assert_eq!(c.read(0xbffc, 4, 200).unwrap(), 1);
        assert_eq!(c.deadline(), 200, "mtime already past mtimecmp");
        assert!(c.mtip(200));
        // Moving mtime back re-arms the timer.
        c.write(0xbff8, 8, 0, 300).unwrap();
        assert_eq!(c.deadline(), 5300);
    }
}
