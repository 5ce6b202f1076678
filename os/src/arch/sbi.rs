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

#[allow(unsafe_code)]
fn call(function: u64, arg: u64) -> i64 {
    let ret: i64;
    // SAFETY: `ecall` from S traps to the M-layer, which changes only a0 (the result), mepc
    // and the timer/console/finisher state; it preserves every other register.
    unsafe {
        core::arch::asm!("ecall", inlateout("a0") arg as i64 => ret, in("a7") function);
    }
    ret
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
