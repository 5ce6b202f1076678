//! The host terminal while `rvmmu run` uses it as the guest's console: when rvmmu's stdin
//! is a terminal, its line discipline is switched off (no echo, no line editing, no ISIG,
//! no flow control, no CR-to-NL mapping), so every key — ^C, ^Z, ^D, ^\ among them —
//! reaches the guest as a byte and the guest's own terminal echoes and edits. Output
//! processing stays on (the host maps the guest's "\n" to "\r\n"). The settings are
//! restored on every way out: the guard's drop (a normal end or an error), a panic (a panic
//! hook), a host signal that ends rvmmu (SIGTERM, SIGHUP, SIGINT, SIGQUIT: the handler
//! restores and re-raises) and the Ctrl-A x escape.

use std::sync::OnceLock;

/// The settings found at the start, to restore.
static SAVED: OnceLock<libc::termios> = OnceLock::new();

/// Whether rvmmu's standard input is a terminal.
pub fn stdin_is_tty() -> bool {
    // SAFETY: isatty only inspects the descriptor.
    #[allow(unsafe_code)]
    unsafe {
        libc::isatty(0) == 1
    }
}

/// Puts the saved settings back (async-signal-safe: one tcsetattr).
fn restore() {
    if let Some(t) = SAVED.get() {
        // SAFETY: `t` is a termios tcgetattr filled; tcsetattr is async-signal-safe.
        #[allow(unsafe_code)]
        unsafe {
            libc::tcsetattr(0, libc::TCSANOW, t);
        }
    }
}

extern "C" fn on_signal(sig: libc::c_int) {
    restore();
    // SAFETY: back to the default action, then the signal again: rvmmu ends by it.
    #[allow(unsafe_code)]
    unsafe {
        libc::signal(sig, libc::SIG_DFL);
        libc::raise(sig);
    }
}

/// The Ctrl-A x escape: restores the terminal and ends rvmmu (status 0, as QEMU's).
fn escape_exit() -> ! {
    restore();
    let _ = std::io::Write::flush(&mut std::io::stdout());
    eprintln!("\r\nrvmmu: terminated (Ctrl-A x)\r");
    std::process::exit(0)
}

/// Raw mode on rvmmu's terminal until dropped.
pub struct RawMode(());

impl RawMode {
    /// Enters raw mode when stdin is a terminal (None otherwise, or when it cannot).
    pub fn enter() -> Option<RawMode> {
        if !stdin_is_tty() {
            return None;
        }
        #[allow(unsafe_code)]
        // SAFETY: termios is plain data; tcgetattr fills it.
        let mut t: libc::termios = unsafe { std::mem::zeroed() };
        #[allow(unsafe_code)]
        // SAFETY: fd 0 is a terminal; `t` is a valid termios.
        if unsafe { libc::tcgetattr(0, &mut t) } != 0 {
            return None;
        }
        if SAVED.set(t).is_err() {
            return None; // already in raw mode
        }
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            restore();
            previous(info);
        }));
        for sig in [libc::SIGTERM, libc::SIGHUP, libc::SIGINT, libc::SIGQUIT] {
            #[allow(unsafe_code)]
            // SAFETY: the handler only calls async-signal-safe functions.
            unsafe {
                libc::signal(
                    sig,
                    on_signal as extern "C" fn(libc::c_int) as libc::sighandler_t,
                );
            }
        }
        let _ = rvmmu::devices::console::ON_ESCAPE_EXIT.set(escape_exit);
        let mut raw = t;
        raw.c_lflag &= !(libc::ICANON | libc::ECHO | libc::ISIG | libc::IEXTEN);
        raw.c_iflag &= !(libc::IXON | libc::ICRNL | libc::INLCR | libc::IGNCR | libc::BRKINT);
        raw.c_cc[libc::VMIN] = 1;
        raw.c_cc[libc::VTIME] = 0;
        #[allow(unsafe_code)]
        // SAFETY: as above.
        if unsafe { libc::tcsetattr(0, libc::TCSANOW, &raw) } != 0 {
            return None;
        }
        Some(RawMode(()))
    }
}

impl Drop for RawMode {
    fn drop(&mut self) {
        restore();
    }
}
