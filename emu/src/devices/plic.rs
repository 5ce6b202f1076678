//! PLIC (`sifive,plic-1.0.0` / `riscv,plic0` at 0x0C00_0000, 6 MiB window) with the two
//! contexts of hart 0: context 0 = M-mode (drives `mip.MEIP`), context 1 = S-mode (drives
//! `mip.SEIP`).
//!
//! Used by [`crate::bus`], which sets source levels from the devices ([`Plic::set_level`]:
//! UART = 10, virtio-mmio slots = 1..8) and reads [`Plic::irq`] per context.
//!
//! Layout (SiFive PLIC as on QEMU `virt`): priority of source `n` at `4*n`; pending bits at
//! 0x1000 (read-only); enable bits of context `c` at `0x2000 + 0x80*c`; threshold of context
//! `c` at `0x20_0000 + 0x1000*c`, claim/complete at `+4`. Sources 1..=[`NUM_SOURCES`]
//! (`riscv,ndev` = 96, as QEMU 7.2). Priorities and thresholds have 3 bits (QEMU 7.2 reads a
//! written 0xff back as 7). Only 32-bit accesses are accepted (others fault, as on QEMU);
//! absent sources and contexts read as zero and ignore writes.
//!
//! Gateways are level-triggered: a source is pending while its line is high and it is not
//! claimed; a claim clears pending and marks the source in flight; completion (only from a
//! context that has the source enabled) ends that, and a line still high pends again.
//! A claim returns the enabled pending source of highest priority above the threshold,
//! the lowest ID on ties, or 0.

use super::DeviceFault;

/// Window size (QEMU 7.2 sizes it for 512 harts × 2 contexts).
pub const PLIC_SIZE: u64 = 0x60_0000;
/// `riscv,ndev`: the highest source number.
pub const NUM_SOURCES: u32 = 96;
/// Contexts present: hart 0 M-mode and S-mode.
pub const NUM_CONTEXTS: usize = 2;
/// Largest priority / threshold value.
pub const MAX_PRIORITY: u32 = 7;

const PENDING: u64 = 0x1000;
const ENABLE: u64 = 0x2000;
const ENABLE_STRIDE: u64 = 0x80;
const CONTEXT: u64 = 0x20_0000;
const CONTEXT_STRIDE: u64 = 0x1000;
/// Bits of sources that exist (1..=96); bit 0 is source 0, which never exists.
const VALID: u128 = ((1u128 << (NUM_SOURCES + 1)) - 1) & !1;

/// The interrupt controller.
#[derive(Debug)]
pub struct Plic {
    priority: [u32; NUM_SOURCES as usize + 1],
    level: u128,
    pending: u128,
    in_flight: u128,
    enable: [u128; NUM_CONTEXTS],
    threshold: [u32; NUM_CONTEXTS],
}

impl Default for Plic {
    fn default() -> Self {
        Plic::new()
    }
}

impl Plic {
    pub fn new() -> Plic {
        Plic {
            priority: [0; NUM_SOURCES as usize + 1],
            level: 0,
            pending: 0,
            in_flight: 0,
            enable: [0; NUM_CONTEXTS],
            threshold: [0; NUM_CONTEXTS],
        }
    }

    /// Sets the line level of `source` (1..=96; others are ignored).
    pub fn set_level(&mut self, source: u32, high: bool) {
        if source == 0 || source > NUM_SOURCES {
            return;
        }
        let bit = 1u128 << source;
        if high {
            self.level |= bit;
            if self.in_flight & bit == 0 {
                self.pending |= bit;
            }
        } else {
            self.level &= !bit;
            self.pending &= !bit;
        }
    }

    /// Whether context `ctx` has an interrupt to take (its external-interrupt line).
    pub fn irq(&self, ctx: usize) -> bool {
        self.best(ctx) != 0
    }

    pub fn read(&mut self, offset: u64, size: u8) -> Result<u64, DeviceFault> {
        check(offset, size)?;
        let v = match offset {
            0..PENDING => self
                .priority
                .get((offset / 4) as usize)
                .copied()
                .unwrap_or(0),
            PENDING..ENABLE => word(self.pending, offset - PENDING),
            ENABLE..CONTEXT => match context_of(offset - ENABLE, ENABLE_STRIDE) {
                Some((c, off)) => word(self.enable[c], off),
                None => 0,
            },
            _ => match context_of(offset - CONTEXT, CONTEXT_STRIDE) {
                Some((c, 0)) => self.threshold[c],
                Some((c, 4)) => self.claim(c),
                _ => 0,
            },
        };
        Ok(u64::from(v))
    }

    pub fn write(&mut self, offset: u64, size: u8, val: u64) -> Result<(), DeviceFault> {
        check(offset, size)?;
        let v = val as u32;
        match offset {
            0..PENDING => {
                if let Some(p) = self.priority.get_mut((offset / 4) as usize) {
                    if offset >= 4 {
                        *p = v & MAX_PRIORITY;
                    }
                }
            }
            PENDING..ENABLE => {} // pending bits are read-only
            ENABLE..CONTEXT => {
                if let Some((c, off)) = context_of(offset - ENABLE, ENABLE_STRIDE) {
                    if off < 16 {
                        let sh = 8 * off as u32;
                        let e = &mut self.enable[c];
                        *e = (*e & !(0xffff_ffffu128 << sh)) | ((u128::from(v) << sh) & VALID);
                    }
                }
            }
            _ => match context_of(offset - CONTEXT, CONTEXT_STRIDE) {
                Some((c, 0)) => self.threshold[c] = v & MAX_PRIORITY,
                Some((c, 4)) => self.complete(c, v),
                _ => {}
            },
        }
        Ok(())
    }

    /// The source a claim by `ctx` would return now (0 = none).
    fn best(&self, ctx: usize) -> u32 {
        let mut cand = self.pending & self.enable[ctx] & !self.in_flight;
        let (mut best, mut best_prio) = (0, self.threshold[ctx]);
        while cand != 0 {
            let src = cand.trailing_zeros();
            cand &= cand - 1;
            let prio = self.priority[src as usize];
            if prio > best_prio {
                (best, best_prio) = (src, prio);
            }
        }
        best
    }

    fn claim(&mut self, ctx: usize) -> u32 {
        let src = self.best(ctx);
        if src != 0 {
            self.pending &= !(1u128 << src);
            self.in_flight |= 1u128 << src;
        }
        src
    }

    fn complete(&mut self, ctx: usize, src: u32) {
        if src == 0 || src > NUM_SOURCES {
            return;
        }
        let bit = 1u128 << src;
        if self.enable[ctx] & bit == 0 {
            return;
        }
        self.in_flight &= !bit;
        if self.level & bit != 0 {
            self.pending |= bit;
        }
    }
}

/// Only aligned 32-bit accesses inside the window.
fn check(offset: u64, size: u8) -> Result<(), DeviceFault> {
    if size == 4 && offset % 4 == 0 && offset < PLIC_SIZE {
        Ok(())
    } else {
        Err(DeviceFault::BadSize { offset, size })
    }
}

/// The 32-bit word at byte offset `off` of a 128-bit source bitmap (0 past the end).
fn word(bits: u128, off: u64) -> u32 {
    if off < 16 {
        (bits >> (8 * off)) as u32
    } else {
        0
    }
}

/// Splits an offset into (present context, offset inside its block).
fn context_of(rel: u64, stride: u64) -> Option<(usize, u64)> {
    let c = (rel / stride) as usize;
    (c < NUM_CONTEXTS).then_some((c, rel % stride))
}

#[cfg(test)]
mod tests {
    use super::*;

    const M: usize = 0;
    const S: usize = 1;

    fn rd(p: &mut Plic, off: u64) -> u32 {
        p.read(off, 4).unwrap() as u32
    }
    fn wr(p: &mut Plic, off: u64, v: u32) {
        p.write(off, 4, u64::from(v)).unwrap();
    }
    fn claim_off(ctx: usize) -> u64 {
        CONTEXT + CONTEXT_STRIDE * ctx as u64 + 4
    }

    #[test]
    fn registers_mask_and_widths_fault() {
        let mut p = Plic::new();
        wr(&mut p, 4 * 10, 0xff);
        assert_eq!(rd(&mut p, 4 * 10), 7);
        wr(&mut p, 0, 5);
        assert_eq!(rd(&mut p, 0), 0, "source 0 has no priority");
        wr(&mut p, 4 * 97, 5);
        assert_eq!(rd(&mut p, 4 * 97), 0, "beyond riscv,ndev");
        wr(&mut p, CONTEXT, 0xff);
        assert_eq!(rd(&mut p, CONTEXT), 7);
        wr(&mut p, ENABLE, 0xffff_ffff);
        assert_eq!(
            rd(&mut p, ENABLE),
            0xffff_fffe,
            "source 0 cannot be enabled"
        );
        wr(&mut p, ENABLE + 12, 0xffff_ffff);
        assert_eq!(
            rd(&mut p, ENABLE + 12),
            1,
            "only source 96 exists in the last word"
        );
        wr(&mut p, ENABLE + 2 * ENABLE_STRIDE, 0xffff_ffff);
        assert_eq!(rd(&mut p, ENABLE + 2 * ENABLE_STRIDE), 0, "no context 2");
        assert!(p.read(0, 1).is_err());
        assert!(p.read(ENABLE, 8).is_err());
        assert!(p.read(PLIC_SIZE, 4).is_err());
        assert_eq!(rd(&mut p, PLIC_SIZE - 4), 0);
    }

    #[test]
    fn claim_complete_follows_priority_threshold_and_level() {
        let mut p = Plic::new();
        wr(&mut p, 4 * 10, 1);
        wr(&mut p, 4 * 3, 1);
        wr(&mut p, 4 * 5, 2);
        wr(&mut p, ENABLE, (1 << 10) | (1 << 3) | (1 << 5));
        p.set_level(10, true);
        p.set_level(3, true);
        assert_eq!(rd(&mut p, PENDING), (1 << 10) | (1 << 3));
        assert!(p.irq(M));
        assert!(!p.irq(S), "S context has nothing enabled");
        // Equal priority: lowest ID first.
        assert_eq!(rd(&mut p, claim_off(M)), 3);
        p.set_level(5, true);
        assert_eq!(rd(&mut p, claim_off(M)), 5, "higher priority wins");
        assert_eq!(rd(&mut p, claim_off(M)), 10);
        assert_eq!(rd(&mut p, claim_off(M)), 0);
        assert!(!p.irq(M), "everything in flight");
        // Completion with the line still high pends again.
        wr(&mut p, claim_off(M), 3);
        assert!(p.irq(M));
        // Line dropped while in flight: completion does not pend.
        p.set_level(5, false);
        wr(&mut p, claim_off(M), 5);
        assert_eq!(rd(&mut p, PENDING), 1 << 3);
        // Threshold masks priorities at or below it.
        wr(&mut p, CONTEXT, 1);
        assert!(!p.irq(M));
        wr(&mut p, CONTEXT, 0);
        assert_eq!(rd(&mut p, claim_off(M)), 3);
    }

    #[test]
    fn completion_needs_the_source_enabled_and_contexts_are_separate() {
        let mut p = Plic::new();
        wr(&mut p, 4 * 10, 3);
        wr(&mut p, ENABLE + ENABLE_STRIDE, 1 << 10);
        p.set_level(10, true);
        assert!(p.irq(S) && !p.irq(M));
        assert_eq!(rd(&mut p, claim_off(S)), 10);
        wr(&mut p, claim_off(M), 10); // M does not have it enabled: ignored
        assert!(!p.irq(S));
        wr(&mut p, claim_off(S), 10);
        assert!(p.irq(S));
        // Priority 0 never interrupts.
        wr(&mut p, 4 * 10, 0);
        assert!(!p.irq(S));
    }
}
