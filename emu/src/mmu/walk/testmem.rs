//! Test helpers: physical memory as a map of 8-byte words implementing [`PteMemory`], with
//! addresses that can be made to fail (as PMP or a hole in the bus would), and a builder that
//! lays out page tables in it. Used by the walker's and the dumper's tests.

use std::collections::{HashMap, HashSet};

use crate::addr::PAGE_SHIFT;
use crate::mmu::mode::{PagingMode, PTE_SIZE};
use crate::mmu::pte::{Pte, PteFlags};

use super::PteMemory;

/// Sparse physical memory; unwritten words read as zero.
#[derive(Default)]
pub struct VecMem {
    words: HashMap<u64, u64>,
    /// Addresses whose reads and writes fail.
    failing: HashSet<u64>,
    /// Addresses whose reads succeed but whose writes (cas) fail.
    read_only: HashSet<u64>,
    /// On the next cas at the key: store the value instead and report "changed", as if
    /// another hart had written the PTE between the walker's read and its update.
    interfere: HashMap<u64, Vec<u64>>,
    /// Number of PTE reads served.
    pub reads: usize,
}

impl VecMem {
    pub fn write(&mut self, pa: u64, value: u64) {
        self.words.insert(pa, value);
    }

    pub fn read(&self, pa: u64) -> u64 {
        self.words.get(&pa).copied().unwrap_or(0)
    }

    /// Makes reads and writes of the word at `pa` fail.
    pub fn fail_at(&mut self, pa: u64) {
        self.failing.insert(pa);
    }

    /// Makes writes of the word at `pa` fail.
    pub fn read_only_at(&mut self, pa: u64) {
        self.read_only.insert(pa);
    }

    /// Makes the next cas calls at `pa` find, one after another, these values written there.
    pub fn interfere_at(&mut self, pa: u64, values: &[u64]) {
        self.interfere
            .insert(pa, values.iter().rev().copied().collect());
    }
}

impl PteMemory for VecMem {
    fn read_pte(&mut self, pa: u64) -> Result<u64, ()> {
        if self.failing.contains(&pa) {
            return Err(());
        }
        self.reads += 1;
        Ok(self.read(pa))
    }

    fn cas_pte(&mut self, pa: u64, old: u64, new: u64) -> Result<bool, ()> {
        if self.failing.contains(&pa) || self.read_only.contains(&pa) {
            return Err(());
        }
        if let Some(v) = self.interfere.get_mut(&pa).and_then(|q| q.pop()) {
            self.write(pa, v);
        }
        if self.read(pa) != old {
            return Ok(false);
        }
        self.write(pa, new);
        Ok(true)
    }
}

/// Valid, readable, writable, executable, accessed and dirty.
pub const RWXAD: PteFlags = PteFlags::V
    .union(PteFlags::R)
    .union(PteFlags::W)
    .union(PteFlags::X)
    .union(PteFlags::A)
    .union(PteFlags::D);

/// Lays out page tables in a [`VecMem`]: the root at `root`, further tables allocated one
/// after another from the next page up.
pub struct PtBuilder {
    pub mem: VecMem,
    pub mode: &'static PagingMode,
    pub root: u64,
    next_table: u64,
}

impl PtBuilder {
    pub fn new(mode: &'static PagingMode, root: u64) -> PtBuilder {
        PtBuilder {
            mem: VecMem::default(),
            mode,
            root,
            next_table: root + 4096,
        }
    }

    /// A satp value selecting this mode, this root and `asid`.
    pub fn satp(&self, asid: u16) -> u64 {
        self.mode.satp_mode << 60 | (asid as u64) << 44 | self.root >> PAGE_SHIFT
    }

    /// Address of the PTE for `va` at `level`, creating the pointer tables above it.
    pub fn pte_addr(&mut self, va: u64, level: u8) -> u64 {
        let mut table = self.root;
        for i in (level + 1..self.mode.levels).rev() {
            let addr = table + self.mode.vpn(va, i) * PTE_SIZE;
            let pte = Pte(self.mem.read(addr));
            table = if pte.flags().contains(PteFlags::V) && !pte.is_leaf() {
                pte.ppn() << PAGE_SHIFT
            } else {
                let t = self.next_table;
                self.next_table += 4096;
                self.mem
                    .write(addr, Pte::new(t >> PAGE_SHIFT, PteFlags::V).0);
                t
            };
        }
        table + self.mode.vpn(va, level) * PTE_SIZE
    }

    /// Maps the page at `va` (level 0: 4 KiB, 1: 2 MiB, ...) to `pa` with exactly `flags`
    /// (include V). Returns the leaf PTE's address.
    pub fn map(&mut self, va: u64, pa: u64, level: u8, flags: PteFlags) -> u64 {
        let addr = self.pte_addr(va, level);
        self.mem.write(addr, Pte::new(pa >> PAGE_SHIFT, flags).0);
        addr
    }

    /// Writes a raw PTE for `va` at `level`. Returns its address.
    pub fn set_raw(&mut self, va: u64, level: u8, raw: u64) -> u64 {
        let addr = self.pte_addr(va, level);
        self.mem.write(addr, raw);
        addr
    }
}
