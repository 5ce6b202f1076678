//! The Sdtrig trigger module (RISC-V Debug Specification 1.0, chapter "Sdtrig"), as M-mode
//! software sees it: breakpoints and watchpoints on virtual addresses, for a debugger stub or
//! a self-hosted debugger (docs/ARCHITECTURE.md, "Triggers").
//!
//! [`COUNT`] triggers, each of type 2 (`mcontrol`) or 6 (`mcontrol6`), or disabled (type 15).
//! Supported: address match (`select` = 0) on execute, load and store, with `match` 0 (equal),
//! 2 (>=) and 3 (<), enabled per privilege (`m`, `s`, `u`), `action` 0 (a breakpoint
//! exception, cause 3, tval = the matching virtual address: the pc for an execute trigger,
//! the access's address for a load or store), timing "before" (the instruction does not
//! execute or access memory). Every other field is WARL 0: no chaining, no data match, no
//! size, no `hit` bits, no Debug Mode (`dmode` read-only 0, `action` 1 unavailable).
//!
//! Native M-mode triggers ("Native M-Mode Triggers" in the spec) use `tcontrol`: while
//! `tcontrol.mte` is 0, triggers do not fire in M-mode. A trap into M-mode copies `mte` to
//! `mpte` and clears `mte`, MRET copies `mpte` back, so an M-mode handler is not re-entered by
//! the trigger that brought it there. `mte` is 0 at reset: M-mode software enables M-mode
//! triggers by setting it.
//!
//! The hart consults the module only while a trigger is armed ([`Triggers::armed_exec`],
//! [`Triggers::armed_data`]): execute triggers make the machine run the stepped loop, data
//! triggers turn the data fast paths off, so with none armed the hot paths are what they were.

use super::csr::num;
use super::Priv;

/// Triggers implemented (tselect 0..COUNT).
pub const COUNT: usize = 4;

/// tdata1.type values.
pub const TYPE_MCONTROL: u64 = 2;
pub const TYPE_MCONTROL6: u64 = 6;
pub const TYPE_DISABLED: u64 = 15;
const TYPE_SHIFT: u32 = 60;

/// tdata1 bits shared by mcontrol and mcontrol6.
pub const LOAD: u64 = 1 << 0;
pub const STORE: u64 = 1 << 1;
pub const EXECUTE: u64 = 1 << 2;
pub const U: u64 = 1 << 3;
pub const S: u64 = 1 << 4;
pub const M: u64 = 1 << 6;
const MATCH_SHIFT: u32 = 7;
/// The bits a write keeps (besides type and match).
const KEPT: u64 = LOAD | STORE | EXECUTE | U | S | M;

/// tinfo: one bit per supported type, and `version` (bits 31:24) 1: Sdtrig 1.0.
pub const TINFO: u64 = (1 << TYPE_MCONTROL) | (1 << TYPE_MCONTROL6) | (1 << 24);

/// tcontrol.mte and tcontrol.mpte.
pub const MTE: u64 = 1 << 3;
pub const MPTE: u64 = 1 << 7;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Trigger {
    tdata1: u64,
    tdata2: u64,
}

/// The trigger module's state.
#[derive(Clone, Debug)]
pub struct Triggers {
    select: usize,
    t: [Trigger; COUNT],
    tcontrol: u64,
    /// The access bits (LOAD, STORE, EXECUTE) of every enabled trigger, ORed.
    armed: u64,
}

impl Default for Triggers {
    fn default() -> Triggers {
        Triggers {
            select: 0,
            t: [Trigger {
                tdata1: TYPE_DISABLED << TYPE_SHIFT,
                tdata2: 0,
            }; COUNT],
            tcontrol: 0,
            armed: 0,
        }
    }
}

/// tdata1 as a write of `val` leaves it. An unsupported type disables the trigger (type 15),
/// as a write of 0 must ("Writing 0 to this register must result in a trigger that is
/// disabled"); in a supported type the unsupported fields read 0, and a `match` other than
/// 0, 2, 3 becomes 0.
pub fn legalize_tdata1(val: u64) -> u64 {
    let ty = val >> TYPE_SHIFT;
    if ty != TYPE_MCONTROL && ty != TYPE_MCONTROL6 {
        return TYPE_DISABLED << TYPE_SHIFT;
    }
    let m = match (val >> MATCH_SHIFT) & 0xf {
        m @ (0 | 2 | 3) => m,
        _ => 0,
    };
    ty << TYPE_SHIFT | m << MATCH_SHIFT | val & KEPT
}

impl Triggers {
    /// Whether `csr` is one of the module's CSRs.
    pub fn owns(csr: u16) -> bool {
        (num::TSELECT..=num::TCONTROL).contains(&csr)
    }

    /// Reads one of the module's CSRs.
    pub fn read(&self, csr: u16) -> u64 {
        let t = &self.t[self.select];
        match csr {
            num::TSELECT => self.select as u64,
            num::TDATA1 => t.tdata1,
            num::TDATA2 => t.tdata2,
            num::TINFO => TINFO,
            num::TCONTROL => self.tcontrol,
            _ => 0, // tdata3: no textra fields
        }
    }

    /// Writes one of the module's CSRs (WARL: tselect keeps its value when written with a
    /// trigger that does not exist; tdata3 and tinfo ignore writes).
    pub fn write(&mut self, csr: u16, val: u64) {
        match csr {
            num::TSELECT if val < COUNT as u64 => self.select = val as usize,
            num::TDATA1 => self.t[self.select].tdata1 = legalize_tdata1(val),
            num::TDATA2 => self.t[self.select].tdata2 = val,
            num::TCONTROL => self.tcontrol = val & (MTE | MPTE),
            _ => {}
        }
        self.armed = self
            .t
            .iter()
            .filter(|t| t.tdata1 & (U | S | M) != 0 && t.tdata1 >> TYPE_SHIFT != TYPE_DISABLED)
            .fold(0, |a, t| a | t.tdata1 & (LOAD | STORE | EXECUTE));
    }

    /// Whether an execute trigger is enabled (for some privilege).
    #[inline]
    pub fn armed_exec(&self) -> bool {
        self.armed & EXECUTE != 0
    }

    /// Whether a load or store trigger is enabled (for some privilege).
    #[inline]
    pub fn armed_data(&self) -> bool {
        self.armed & (LOAD | STORE) != 0
    }

    /// Whether a trigger fires for an access of kind `kind` (LOAD, STORE, EXECUTE; an AMO
    /// is both LOAD and STORE) of `len` bytes at virtual address `addr`, at privilege `prv`.
    /// The compare values are the addresses of the bytes accessed: `match` 0 fires when
    /// tdata2 is one of them, 2 when one of them is >= tdata2, 3 when one is < tdata2 (an
    /// execute trigger compares the pc alone, `len` 1).
    pub fn fires(&self, kind: u64, prv: Priv, addr: u64, len: u64) -> bool {
        let mode = match prv {
            Priv::U => U,
            Priv::S => S,
            Priv::M if self.tcontrol & MTE != 0 => M,
            Priv::M => return false,
        };
        let last = addr.wrapping_add(len - 1).max(addr);
        self.t.iter().any(|t| {
            let d = t.tdata1;
            if d >> TYPE_SHIFT == TYPE_DISABLED || d & kind == 0 || d & mode == 0 {
                return false;
            }
            match (d >> MATCH_SHIFT) & 0xf {
                0 => t.tdata2.wrapping_sub(addr) < len,
                2 => last >= t.tdata2,
                _ => addr < t.tdata2,
            }
        })
    }

    /// A trap into M-mode: mpte = mte, mte = 0.
    #[inline]
    pub fn trap_to_m(&mut self) {
        self.tcontrol = (self.tcontrol & MTE) << 4;
    }

    /// MRET: mte = mpte.
    #[inline]
    pub fn mret(&mut self) {
        let mpte = self.tcontrol & MPTE;
        self.tcontrol = mpte | mpte >> 4;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn armed(tdata1: u64, tdata2: u64) -> Triggers {
        let mut t = Triggers::default();
        t.write(num::TDATA2, tdata2);
        t.write(num::TDATA1, tdata1);
        t
    }

    #[test]
    fn reset_and_enumeration() {
        let mut t = Triggers::default();
        assert_eq!(t.read(num::TDATA1) >> 60, TYPE_DISABLED);
        assert_eq!(t.read(num::TINFO) & 0xffff, 0x44);
        assert!(!t.armed_exec() && !t.armed_data());
        t.write(num::TSELECT, COUNT as u64 - 1);
        assert_eq!(t.read(num::TSELECT), COUNT as u64 - 1);
        t.write(num::TSELECT, COUNT as u64);
        assert_eq!(
            t.read(num::TSELECT),
            COUNT as u64 - 1,
            "no such trigger: kept"
        );
    }

    #[test]
    fn tdata1_is_warl() {
        let m2 = TYPE_MCONTROL << 60 | M | EXECUTE;
        assert_eq!(
            legalize_tdata1(m2),
            m2,
            "riscv-tests' breakpoint reads back its write"
        );
        assert_eq!(legalize_tdata1(0), TYPE_DISABLED << 60);
        assert_eq!(legalize_tdata1(3 << 60 | M | LOAD), TYPE_DISABLED << 60);
        // dmode, action 1, chain, timing, select, size, hit: all read 0; match 5 becomes 0.
        let junk = TYPE_MCONTROL << 60 | 1 << 59 | 1 << 20 | 1 << 19 | 1 << 18 | 3 << 16;
        let junk = junk | 1 << 12 | 1 << 11 | 5 << 7 | S | STORE;
        assert_eq!(legalize_tdata1(junk), TYPE_MCONTROL << 60 | S | STORE);
        let six = TYPE_MCONTROL6 << 60 | 3 << 7 | U | LOAD;
        assert_eq!(legalize_tdata1(six), six);
    }

    #[test]
    fn matching() {
        let t = armed(TYPE_MCONTROL << 60 | S | LOAD, 0x1004);
        assert!(t.armed_data() && !t.armed_exec());
        assert!(t.fires(LOAD, Priv::S, 0x1004, 1));
        assert!(
            t.fires(LOAD, Priv::S, 0x1000, 8),
            "a byte of the access matches"
        );
        assert!(!t.fires(LOAD, Priv::S, 0x1005, 4));
        assert!(!t.fires(LOAD, Priv::S, 0x1000, 4));
        assert!(!t.fires(STORE, Priv::S, 0x1004, 4), "not a store trigger");
        assert!(!t.fires(LOAD, Priv::U, 0x1004, 4), "not enabled in U");
        let ge = armed(TYPE_MCONTROL6 << 60 | 2 << 7 | U | STORE, 0x2000);
        assert!(ge.fires(STORE, Priv::U, 0x1ffc, 8));
        assert!(!ge.fires(STORE, Priv::U, 0x1ff8, 8));
        let lt = armed(TYPE_MCONTROL << 60 | 3 << 7 | U | EXECUTE, 0x2000);
        assert!(lt.armed_exec());
        assert!(lt.fires(EXECUTE, Priv::U, 0x1ffe, 1));
        assert!(!lt.fires(EXECUTE, Priv::U, 0x2000, 1));
    }

    #[test]
    fn m_mode_needs_mte_and_traps_save_it() {
        let mut t = armed(TYPE_MCONTROL << 60 | M | EXECUTE, 0x80);
        assert!(!t.fires(EXECUTE, Priv::M, 0x80, 1), "mte = 0 at reset");
        t.write(num::TCONTROL, MTE);
        assert!(t.fires(EXECUTE, Priv::M, 0x80, 1));
        t.trap_to_m();
        assert_eq!(t.read(num::TCONTROL), MPTE);
        assert!(!t.fires(EXECUTE, Priv::M, 0x80, 1), "not in the handler");
        t.mret();
        assert_eq!(t.read(num::TCONTROL), MTE | MPTE);
        assert!(t.fires(EXECUTE, Priv::M, 0x80, 1));
        t.write(num::TDATA1, 0);
        assert!(!t.armed_exec());
    }
}
