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
/// sstatus.FS, the FP unit's state (bits 14:13): 0 Off, 1 Initial, 2 Clean, 3 Dirty
/// ("Extension Context Status in mstatus Register").
pub const SSTATUS_FS: u64 = 3 << 13;
pub const SSTATUS_FS_INITIAL: u64 = 1 << 13;
pub const SSTATUS_FS_CLEAN: u64 = 2 << 13;
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

/// Orders earlier page-table writes before later translations of `va` in address space
/// `asid` only (SFENCE.VMA rs1 = va, rs2 = asid): enough for a user leaf, as user PTEs are
/// never global ("Supervisor Memory-Management Fence Instruction": if no PTE on the path
/// has G set, rs2 may name the ASID whose translation changed).
pub fn sfence_va_asid(va: u64, asid: u16) {
    // SAFETY: as in sfence_va.
    unsafe { asm!("sfence.vma {}, {}", in(reg) va, in(reg) asid as u64) };
}

/// Flushes every non-global translation of address space `asid` and orders earlier
/// page-table writes before its later walks (SFENCE.VMA rs1 = x0, rs2 = asid): after many
/// leaves changed (fork), and when an ASID is recycled (done while another ASID is in satp,
/// the spec's second way: "Alternatively, software can execute the same SFENCE.VMA
/// instruction while a different ASID is loaded into satp").
pub fn sfence_asid(asid: u16) {
    // SAFETY: as in sfence_va.
    unsafe { asm!("sfence.vma zero, {}", in(reg) asid as u64) };
}

/// Loads satp without a fence: the new address space's ASID keeps its translations apart
/// from every other's ("changes to satp.ASID take effect immediately"), and its tables'
/// writes were fenced with [`sfence_asid`] after they were made.
///
/// # Safety
/// As [`switch_page_table`]: the new table maps the kernel at the same addresses.
pub unsafe fn write_satp(satp: u64) {
    // SAFETY: the caller's guarantee.
    unsafe { asm!("csrw satp, {}", in(reg) satp) };
}

/// ASIDLEN: how many satp.ASID bits are implemented, found as the spec says (write ones to
/// the field, read back; "The number of ASID bits is UNSPECIFIED and may be zero").
pub fn asid_bits() -> u32 {
    let satp = read_satp();
    let probe = satp | (0xffff << 44);
    let back: u64;
    // SAFETY: only the ASID changes, with the same root and mode: the same translations
    // (the kernel's are global), so nothing the kernel touches moves.
    unsafe {
        asm!("csrw satp, {}", "csrr {}, satp", "csrw satp, {}", in(reg) probe, out(reg) back, in(reg) satp)
    };
    ((back >> 44) & 0xffff).count_ones()
}

/// Waits for an interrupt (may return at any time: callers loop).
pub fn wfi() {
    // SAFETY: WFI is a hint; in S-mode it is legal unless mstatus.TW = 1, which the M-layer
    // leaves 0.
    unsafe { asm!("wfi") };
}
