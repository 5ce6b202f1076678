//! The few CSR accesses and fences the S-mode kernel makes, each a one-instruction wrapper
//! (priv/supervisor.adoc for the registers).
#![allow(unsafe_code)]

use core::arch::asm;

/// sstatus.SIE: S-mode interrupts enabled ("Supervisor Status (sstatus) Register").
pub const SSTATUS_SIE: u64 = 1 << 1;
/// sstatus.SPP: the privilege the trap came from (1 = S).
pub const SSTATUS_SPP: u64 = 1 << 8;
/// sstatus.SPIE: interrupts enabled after `sret`.
pub const SSTATUS_SPIE: u64 = 1 << 5;
/// sie.STIE: supervisor timer interrupt enable.
pub const SIE_STIE: u64 = 1 << 5;

macro_rules! csr_read {
    ($name:ident, $csr:literal) => {
        /// Reads the CSR of the same name.
        pub fn $name() -> u64 {
            let v: u64;
            // SAFETY: reading this CSR has no side effect.
            unsafe { asm!(concat!("csrr {}, ", $csr), out(reg) v) };
            v
        }
    };
}

csr_read!(read_time, "time");
csr_read!(read_satp, "satp");
csr_read!(read_sstatus, "sstatus");

/// Sets bits in sstatus.
pub fn set_sstatus(bits: u64) {
    // SAFETY: the kernel's callers set SIE (interrupts on, with stvec installed) or SUM.
    unsafe { asm!("csrs sstatus, {}", in(reg) bits) };
}

/// Clears bits in sstatus.
pub fn clear_sstatus(bits: u64) {
    // SAFETY: clearing SIE or SUM only restricts what happens next.
    unsafe { asm!("csrc sstatus, {}", in(reg) bits) };
}

/// Sets bits in sie.
pub fn set_sie(bits: u64) {
    // SAFETY: enabling an interrupt source; the trap vector handles every enabled one.
    unsafe { asm!("csrs sie, {}", in(reg) bits) };
}

/// Installs the trap vector (direct mode: every trap enters at `addr`).
pub fn write_stvec(addr: u64) {
    // SAFETY: `addr` is the kernel's trap entry, 4-byte aligned (stvec.MODE = Direct).
    unsafe { asm!("csrw stvec, {}", in(reg) addr) };
}

/// Writes sscratch (the kernel stack to switch to when a trap comes from U-mode; 0 in the
/// kernel).
pub fn write_sscratch(v: u64) {
    // SAFETY: sscratch is only read by the trap entry, which treats 0 as "from S".
    unsafe { asm!("csrw sscratch, {}", in(reg) v) };
}

/// Switches to the page table `satp` names and fences the whole TLB: the new tables'
/// entries, global ones included, replace everything the TLB may hold ("Supervisor
/// Address Translation and Protection (satp) Register": a satp write does not order the
/// walks that follow against earlier page-table writes; SFENCE.VMA with rs1 = rs2 = x0
/// orders all of them and flushes every address space).
///
/// # Safety
/// The new tables must map the code running now, its stack and everything the kernel will
/// touch, at the same virtual addresses.
pub unsafe fn switch_page_table(satp: u64) {
    // SAFETY: the caller's guarantee.
    unsafe { asm!("csrw satp, {}", "sfence.vma", in(reg) satp) };
}

/// Orders earlier page-table writes before later translations of `va` in every address
/// space (SFENCE.VMA rs1 = va, rs2 = x0: "Supervisor Memory-Management Fence
/// Instruction"). Needed after any change to a leaf, an invalid entry made valid included.
pub fn sfence_va(va: u64) {
    // SAFETY: a fence changes no architectural state other than the TLB's contents.
    unsafe { asm!("sfence.vma {}, zero", in(reg) va) };
}

/// Waits for an interrupt (may return at any time: callers loop).
pub fn wfi() {
    // SAFETY: WFI is a hint; in S-mode it is legal unless mstatus.TW = 1, which the M-layer
    // leaves 0.
    unsafe { asm!("wfi") };
}
