//! Host Ctrl-C: SIGINT or SIGTERM sent to rvmmu ends the run cleanly at the machine loop's
//! next slice boundary ([`crate::machine::Exit::Interrupted`]), so that what was asked for at
//! the end (statistics, the timeline) is still written.
//!
//! The handler only records the signal in an atomic; the machine loop reads it between
//! instruction runs. It is installed without `SA_RESTART`, so a blocking read of the host's
//! console input returns at once (EINTR) and the console sees the end of its input. When
//! an interactive console puts the terminal in raw mode, Ctrl-C is a byte for the guest and
//! no signal arrives.

use std::sync::atomic::{AtomicI32, Ordering};

/// The signal received (0: none).
static RECEIVED: AtomicI32 = AtomicI32::new(0);

extern "C" fn on_signal(sig: libc::c_int) {
    // Only an atomic store: async-signal-safe.
    RECEIVED.store(sig, Ordering::Relaxed);
}

/// Catches SIGINT and SIGTERM from now on (for the whole process).
pub fn install() -> std::io::Result<()> {
    for sig in [libc::SIGINT, libc::SIGTERM] {
        // SAFETY: a zeroed sigaction is a valid value (no flags, an empty mask to fill);
        // the handler is an `extern "C" fn(c_int)` that does only an atomic store, and the
        // pointers passed to sigemptyset and sigaction are to this live local.
        let rc = unsafe {
            let mut sa: libc::sigaction = std::mem::zeroed();
            sa.sa_sigaction = on_signal as extern "C" fn(libc::c_int) as libc::sighandler_t;
            sa.sa_flags = 0;
            libc::sigemptyset(&mut sa.sa_mask);
            libc::sigaction(sig, &sa, std::ptr::null_mut())
        };
        if rc != 0 {
            return Err(std::io::Error::last_os_error());
        }
    }
    Ok(())
}

/// The signal that asked the run to end, if one has.
#[inline]
pub fn received() -> Option<i32> {
    match RECEIVED.load(Ordering::Relaxed) {
        0 => None,
        s => Some(s),
    }
}

/// The signal's name (`SIGINT`, `SIGTERM`, or its number).
pub fn name(sig: i32) -> String {
    match sig {
        libc::SIGINT => "SIGINT".into(),
        libc::SIGTERM => "SIGTERM".into(),
        n => format!("signal {n}"),
    }
}
