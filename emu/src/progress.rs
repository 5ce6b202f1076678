//! The progress line (`rvmmu run` and `rvmmu bare` when stderr is a terminal): one line on
//! stderr redrawn in place (`\r`, then erase to the end of the line) a few times a second of
//! host time. Whatever else writes to the terminal — the guest's console output, kernel
//! messages — first erases it ([`clear`]), and the next redraw puts it back under that.
//! It is erased before rvmmu waits for console input, and not drawn while the guest's
//! output ends inside a line (a shell's prompt), so that it never covers what the user
//! types or reads.

use std::io::Write as _;
use std::sync::atomic::{AtomicBool, Ordering};

/// Whether the line is on the terminal now.
static SHOWN: AtomicBool = AtomicBool::new(false);

/// Whether the guest's console output last ended inside a line (a prompt): the line is
/// not drawn then, as it would erase that text.
static MID_LINE: AtomicBool = AtomicBool::new(false);

/// Erase to the end of the line (ANSI EL).
const ERASE: &str = "\r\x1b[K";

/// Draws `text` as the progress line, replacing the one shown; nothing while the guest's
/// console output stands inside a line.
pub fn show(text: &str) {
    if MID_LINE.load(Ordering::Relaxed) {
        return;
    }
    let mut e = std::io::stderr().lock();
    let _ = write!(e, "{ERASE}{text}");
    let _ = e.flush();
    SHOWN.store(true, Ordering::Relaxed);
}

/// Erases the progress line if one is shown (cheap when none is: one atomic load).
#[inline]
pub fn clear() {
    if SHOWN.load(Ordering::Relaxed) && SHOWN.swap(false, Ordering::Relaxed) {
        let mut e = std::io::stderr().lock();
        let _ = write!(e, "{ERASE}");
        let _ = e.flush();
    }
}

/// The guest's console output just written ended with `last` (the console calls this).
#[inline]
pub fn console_wrote(last: u8) {
    MID_LINE.store(last != b'\n', Ordering::Relaxed);
}
