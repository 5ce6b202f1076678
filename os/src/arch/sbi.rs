//! The S-mode side of the calls into the M-mode layer ([`super::mlayer`]).
//!
//! The numbering is the SBI's legacy extension (v0.1: the function in a7, its argument in
//! a0); [`shutdown`] differs from it in taking an exit status, which the M-layer hands to
//! the test finisher.

/// Program the next timer interrupt at `time` (the `time` CSR's units).
pub const SET_TIMER: u64 = 0;
/// Send one byte to the console.
pub const CONSOLE_PUTCHAR: u64 = 1;
/// Power off, reporting a status (0 = success).
pub const SHUTDOWN: u64 = 8;
/// rvmmu's own: how many PMP entries the M-layer found at boot (a0 on return).
pub const PMP_COUNT: u64 = 0x100;
/// rvmmu's own: register this hart's segment resume block (a0: its physical address) and
/// the trap exit's resume `ecall` (a1: its virtual address); see [`super::mlayer`].
pub const SEG_REGISTER: u64 = 0x101;

fn call(function: u64, arg: u64) -> i64 {
    call2(function, arg, 0)
}

#[allow(unsafe_code)]
fn call2(function: u64, arg: u64, arg1: u64) -> i64 {
    let ret: i64;
    // SAFETY: `ecall` from S traps to the M-layer, which changes only a0 (the result), mepc
    // and the timer/console/finisher state (or, for SEG_REGISTER, its own hart area); it
    // preserves every other register.
    unsafe {
        core::arch::asm!("ecall", inlateout("a0") arg as i64 => ret, in("a1") arg1, in("a7") function);
    }
    ret
}

/// The PMP entries the M-layer probed at boot (0 to 64; WARL, the unimplemented ones read
/// zero).
pub fn pmp_count() -> usize {
    call(PMP_COUNT, 0).clamp(0, 64) as usize
}

/// Registers the segment resume block at physical `block` and the trap exit's resume
/// `ecall` at virtual `label` with the M-layer (see [`super::mlayer`]).
pub fn seg_register(block: u64, label: u64) {
    call2(SEG_REGISTER, block, label);
}

/// Asks for a supervisor timer interrupt once `time` >= `deadline` (and clears a pending
/// one).
pub fn set_timer(deadline: u64) {
    call(SET_TIMER, deadline);
}

/// Powers the machine off; the run's status is `status` (0 = pass).
pub fn shutdown(status: u16) -> ! {
    call(SHUTDOWN, status as u64);
    unreachable_halt()
}

/// Waits forever (the M-layer never returns from a shutdown; this satisfies the type).
fn unreachable_halt() -> ! {
    loop {
        super::csr::wfi();
    }
}
