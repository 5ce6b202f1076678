//! The physical memory bus of the `virt`-compatible machine.
//!
//! STUB (to be replaced by the devices work): RAM and the test finisher only.
//! The interface below is the contract the hart relies on.

pub mod ram;

use crate::addr::PhysAddr;
pub use ram::{Ram, RamError, RAM_BASE};
use thiserror::Error;

/// A physical access that no RAM or device answers: the hart turns it into an access fault.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BusFault;

/// Errors building the machine's bus.
#[derive(Debug, Error)]
pub enum BusError {
    #[error(transparent)]
    Ram(#[from] RamError),
}

/// How the test finisher (`sifive,test` at 0x10_0000) asked the run to end.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FinisherExit {
    Pass,
    Fail(u16),
}

/// What the bus is built from.
pub struct BusConfig {
    pub ram_size: u64,
}

/// The bus: RAM plus the memory-mapped devices.
pub struct Bus {
    pub ram: Ram,
    finisher: Option<FinisherExit>,
}

impl Bus {
    pub fn new(cfg: BusConfig) -> Result<Bus, BusError> {
        Ok(Bus {
            ram: Ram::new(cfg.ram_size)?,
            finisher: None,
        })
    }

    /// Reads `size` (1, 2, 4 or 8) bytes at `pa`; `now` is the current mtime.
    pub fn read(&mut self, pa: PhysAddr, size: u8, _now: u64) -> Result<u64, BusFault> {
        let mut b = [0u8; 8];
        self.ram
            .read_bytes(pa, &mut b[..size as usize])
            .map_err(|_| BusFault)?;
        Ok(u64::from_le_bytes(b))
    }

    /// Writes the low `size` bytes of `val` at `pa`; `now` is the current mtime.
    pub fn write(&mut self, pa: PhysAddr, size: u8, val: u64, _now: u64) -> Result<(), BusFault> {
        if pa.0 == 0x10_0000 && size == 4 {
            let v = val as u32;
            self.finisher = match v & 0xffff {
                0x5555 => Some(FinisherExit::Pass),
                0x3333 => Some(FinisherExit::Fail((v >> 16) as u16)),
                _ => self.finisher,
            };
            return Ok(());
        }
        self.ram
            .write_bytes(pa, &val.to_le_bytes()[..size as usize])
            .map_err(|_| BusFault)
    }

    /// The mip bits the devices drive at mtime `now` (MSIP, MTIP, SEIP, MEIP).
    pub fn irq_lines(&mut self, _now: u64) -> u64 {
        0
    }

    /// The mtime at which MTIP next rises (u64::MAX when the timer is not armed).
    pub fn timer_deadline(&self) -> u64 {
        u64::MAX
    }

    /// The test finisher's request, once the guest has written it.
    pub fn finisher_exit(&self) -> Option<FinisherExit> {
        self.finisher
    }

    /// Called when the hart waits with nothing else that can wake it: blocks until host input
    /// arrives. Returns false when no input can ever arrive (stdin closed, or none).
    pub fn wait_for_input(&mut self) -> bool {
        false
    }
}
