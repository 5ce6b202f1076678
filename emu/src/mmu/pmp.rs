//! Physical memory protection registers (priv/machine.adoc, "Physical Memory Protection").
//!
//! This module holds `pmpcfg*`/`pmpaddr*` with their WARL rules. The permission checks on
//! physical accesses belong to the MMU work (issue 3) and will live beside this storage.
//!
//! Grain: G = 0 (4-byte granularity), so NA4 is selectable and every pmpaddr bit 53:0 is
//! writable.

/// Most PMP entries the spec allows (and the option's upper bound).
pub const MAX_ENTRIES: usize = 64;

/// pmpcfg bit fields.
pub mod cfg {
    pub const R: u8 = 1 << 0;
    pub const W: u8 = 1 << 1;
    pub const X: u8 = 1 << 2;
    pub const A_SHIFT: u8 = 3;
    pub const A: u8 = 3 << A_SHIFT;
    pub const A_OFF: u8 = 0;
    pub const A_TOR: u8 = 1;
    pub const A_NA4: u8 = 2;
    pub const A_NAPOT: u8 = 3;
    pub const L: u8 = 1 << 7;
}

/// The PMP register file.
#[derive(Clone, Debug)]
pub struct Pmp {
    /// Implemented entries (16 by default; entries past it read as zero and ignore writes).
    entries: usize,
    cfg: [u8; MAX_ENTRIES],
    addr: [u64; MAX_ENTRIES],
}

impl Pmp {
    /// A PMP with `entries` implemented entries (clamped to 0..=64), all OFF.
    pub fn new(entries: usize) -> Pmp {
        Pmp {
            entries: entries.min(MAX_ENTRIES),
            cfg: [0; MAX_ENTRIES],
            addr: [0; MAX_ENTRIES],
        }
    }

    /// Number of implemented entries.
    pub fn entries(&self) -> usize {
        self.entries
    }

    /// Configuration byte of entry `i`.
    pub fn cfg(&self, i: usize) -> u8 {
        self.cfg[i]
    }

    /// Address register of entry `i`.
    pub fn addr(&self, i: usize) -> u64 {
        self.addr[i]
    }

    fn locked(&self, i: usize) -> bool {
        self.cfg[i] & cfg::L != 0
    }

    /// Reads pmpcfg`n` (RV64: only even `n` exist; the caller rejects odd ones). Each holds
    /// the configuration bytes of entries 4n .. 4n+7.
    pub fn read_cfg(&self, n: usize) -> u64 {
        (0..8).fold(0, |acc, b| acc | (self.cfg[n * 4 + b] as u64) << (8 * b))
    }

    /// Writes pmpcfg`n`: locked entries ignore the write; R=0 W=1 is reserved and is
    /// legalized to R=0 W=0; the two reserved bits 6:5 read as zero.
    pub fn write_cfg(&mut self, n: usize, val: u64) {
        for b in 0..8 {
            let i = n * 4 + b;
            if i >= self.entries || self.locked(i) {
                continue;
            }
            let mut c = (val >> (8 * b)) as u8 & !0x60;
            if c & cfg::R == 0 {
                c &= !cfg::W;
            }
            self.cfg[i] = c;
        }
    }

    /// Reads pmpaddr`i`.
    pub fn read_addr(&self, i: usize) -> u64 {
        if i < self.entries {
            self.addr[i]
        } else {
            0
        }
    }

    /// Writes pmpaddr`i` (bits 53:0, address bits 55:2): ignored when entry `i` is locked, or
    /// when entry `i + 1` is a locked TOR entry, whose bottom this register is.
    pub fn write_addr(&mut self, i: usize, val: u64) {
        if i >= self.entries || self.locked(i) {
            return;
        }
        if i + 1 < self.entries
            && self.locked(i + 1)
            && (self.cfg[i + 1] & cfg::A) >> cfg::A_SHIFT == cfg::A_TOR
        {
            return;
        }
        self.addr[i] = val & ((1 << 54) - 1);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cfg_warl_rules() {
        let mut p = Pmp::new(16);
        p.write_cfg(0, 0x0f_02_ff_1f);
        assert_eq!(p.cfg(0), 0x1f);
        assert_eq!(p.cfg(1), 0x9f, "reserved bits 6:5 read zero");
        assert_eq!(p.cfg(2), 0x00, "W without R is legalized");
        assert_eq!(p.cfg(3), 0x0f);
        // Entry 1 is locked: further writes to it are ignored.
        p.write_cfg(0, 0);
        assert_eq!(p.cfg(1), 0x9f);
        assert_eq!(p.cfg(0), 0);
    }

    #[test]
    fn locked_tor_protects_the_address_below() {
        let mut p = Pmp::new(16);
        p.write_addr(0, 0x1000);
        p.write_cfg(
            0,
            ((cfg::L | (cfg::A_TOR << cfg::A_SHIFT) | cfg::R) as u64) << 8,
        );
        p.write_addr(0, 0x2000);
        assert_eq!(p.read_addr(0), 0x1000);
        p.write_addr(1, 0x3000);
        assert_eq!(p.read_addr(1), 0);
    }

    #[test]
    fn unimplemented_entries_read_zero() {
        let mut p = Pmp::new(16);
        p.write_cfg(4, u64::MAX);
        assert_eq!(p.read_cfg(4), 0);
        p.write_addr(20, 5);
        assert_eq!(p.read_addr(20), 0);
    }
}
