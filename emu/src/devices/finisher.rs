//! The test finisher (`sifive,test1` / `sifive,test0` / `syscon` at 0x10_0000): how a guest
//! ends the run.
//!
//! Used by [`crate::bus`], which reports [`Finisher::exit`] through
//! `Bus::finisher_exit`; the device tree also points `syscon-poweroff` (value 0x5555) and
//! `syscon-reboot` (value 0x7777) at it, as QEMU's does.
//!
//! A write to offset 0 with low half 0x5555 asks for a pass, 0x3333 for a failure with the
//! code in the high half, 0x7777 for a reset. QEMU resets the machine on 0x7777; this machine
//! has no reset, so it ends the run as a pass (exit status 0), which is what a guest that
//! reboots at the end of a test expects. Other values, and writes elsewhere in the 4 KiB
//! window, are ignored; reads return 0. As on QEMU 7.2 only 16- and 32-bit accesses are
//! accepted (8- and 64-bit ones fault).

use super::DeviceFault;
use crate::bus::FinisherExit;

/// Window size.
pub const FINISHER_SIZE: u64 = 0x1000;
const FAIL: u32 = 0x3333;
const PASS: u32 = 0x5555;
const RESET: u32 = 0x7777;

/// The finisher and the request it latched, if any.
#[derive(Debug, Default)]
pub struct Finisher {
    exit: Option<FinisherExit>,
}

impl Finisher {
    pub fn new() -> Finisher {
        Finisher::default()
    }

    /// The latched request (the first one written wins).
    pub fn exit(&self) -> Option<FinisherExit> {
        self.exit
    }

    pub fn read(&self, offset: u64, size: u8) -> Result<u64, DeviceFault> {
        check(offset, size)?;
        Ok(0)
    }

    pub fn write(&mut self, offset: u64, size: u8, val: u64) -> Result<(), DeviceFault> {
        check(offset, size)?;
        if offset != 0 || self.exit.is_some() {
            return Ok(());
        }
        let v = val as u32;
        self.exit = match v & 0xffff {
            PASS | RESET => Some(FinisherExit::Pass),
            FAIL => Some(FinisherExit::Fail((v >> 16) as u16)),
            _ => None,
        };
        Ok(())
    }
}

fn check(offset: u64, size: u8) -> Result<(), DeviceFault> {
    if (size == 2 || size == 4) && offset % u64::from(size) == 0 && offset < FINISHER_SIZE {
        Ok(())
    } else {
        Err(DeviceFault::BadSize { offset, size })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pass_fail_reset_and_ignored_values() {
        let mut f = Finisher::new();
        f.write(0, 4, 0x1234).unwrap();
        f.write(4, 4, 0x5555).unwrap();
        assert_eq!(f.exit(), None);
        f.write(0, 4, (42 << 16) | 0x3333).unwrap();
        assert_eq!(f.exit(), Some(FinisherExit::Fail(42)));
        f.write(0, 4, 0x5555).unwrap();
        assert_eq!(f.exit(), Some(FinisherExit::Fail(42)), "first request wins");

        let mut f = Finisher::new();
        f.write(0, 2, 0x5555).unwrap();
        assert_eq!(f.exit(), Some(FinisherExit::Pass));
        let mut f = Finisher::new();
        f.write(0, 4, 0x7777).unwrap();
        assert_eq!(
            f.exit(),
            Some(FinisherExit::Pass),
            "reset ends the run as a pass"
        );
    }

    #[test]
    fn widths_follow_qemu() {
        let mut f = Finisher::new();
        assert_eq!(f.read(0, 4), Ok(0));
        assert_eq!(f.read(0, 2), Ok(0));
        assert!(f.read(0, 1).is_err());
        assert!(f.read(0, 8).is_err());
        assert!(f.write(0, 8, 0x5555).is_err());
        assert_eq!(f.exit(), None);
    }
}
