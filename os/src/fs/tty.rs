//! The console as a terminal (tty_ioctl(4), termios(3)): the serial line /dev/ttyS0 with a
//! line discipline driven by its termios, a controlling session and a foreground process
//! group. glibc's stdio calls TCGETS on a character device (isatty); when it succeeds,
//! stdout is line-buffered.
//!
//! Input is pumped from the UART into the line discipline ([`pump`]) at every pass of the
//! scheduler (so at every timer tick, also while no process reads: ^C reaches a busy
//! foreground job) and at every read. With ICANON the discipline edits a line (VERASE,
//! VKILL, VWERASE with IEXTEN) and hands it to readers when it ends (newline, VEOL,
//! VEOL2, or VEOF, which pushes the line without itself; VEOF on an empty line is end of
//! file: a read returns 0); without ICANON every byte is readable at once (VMIN 0: a read
//! with nothing there returns 0; VMIN > 0: it waits for a byte; VTIME is not implemented,
//! and says so once in the log). ICRNL, INLCR, IGNCR and ISTRIP map input. With ISIG,
//! VINTR, VQUIT and VSUSP send SIGINT, SIGQUIT and SIGTSTP to the foreground process group
//! and flush the input (unless NOFLSH). ECHO echoes input (control characters as `^X`
//! with ECHOCTL; ECHONL echoes newlines alone; ECHOE erases with backspace, space,
//! backspace). Output is not post-processed (OPOST and ONLCR are reported, as a serial
//! console's, but bytes go out as written: the host's terminal maps newlines). ECHO starts
//! clear unless the kernel command line says `tty_echo` (rvmmu passes it when its own
//! input is a terminal), so that input fed from a file is not copied into the output.
//! When the line reports a break (rvmmu's end of its input) a partly edited line is pushed
//! and every later read finds end of file. At most [`BUF_SIZE`] bytes are held; more are
//! dropped.
//!
//! Job control: the terminal is the controlling terminal of init's session (init starts
//! with it on fds 0, 1 and 2), init's process group in the foreground; a session leader
//! without one acquires it by opening the console, or by TIOCSCTTY, when no session has
//! it. TIOCGPGRP and TIOCGSID (ENOTTY outside the session), TIOCSPGRP (ENOTTY outside the
//! session, ESRCH for no such group, EPERM for a group of another session, SIGTTOU to a
//! background caller's group unless the caller ignores or blocks it), TIOCSCTTY,
//! TIOCNOTTY. A read by a process of the session outside the foreground group sends
//! SIGTTIN to its group (which stops it; the read runs again on SIGCONT), or fails with
//! EIO when SIGTTIN is ignored or blocked or the group is orphaned. TOSTOP is not acted
//! on (background writes go out).
//!
//! The window size is what a serial line reports until someone sets it: 0 rows, 0
//! columns.

use crate::errno::Errno;
use crate::proc::Process;
use crate::syscall::SysResult;
use alloc::vec::Vec;
use mm_core::ldisc::{cc, lflag, Ldisc, ECHO, TERMIOS_SIZE, VTIME};
use mm_core::VirtAddr;
use spin::Mutex;

/// Get and set the terminal attributes (struct termios).
pub const TCGETS: u64 = 0x5401;
pub const TCSETS: u64 = 0x5402;
pub const TCSETSW: u64 = 0x5403;
pub const TCSETSF: u64 = 0x5404;
/// Get and set the window size (struct winsize).
pub const TIOCGWINSZ: u64 = 0x5413;
pub const TIOCSWINSZ: u64 = 0x5414;
/// Job control: make this the controlling terminal, get and set the foreground process
/// group, give up the controlling terminal, get the session.
pub const TIOCSCTTY: u64 = 0x540e;
pub const TIOCGPGRP: u64 = 0x540f;
pub const TIOCSPGRP: u64 = 0x5410;
pub const TIOCNOTTY: u64 = 0x5422;
pub const TIOCGSID: u64 = 0x5429;
/// /proc/PID/stat's tty_nr of /dev/ttyS0 (major 4, minor 64).
pub const TTY_NR: u32 = (4 << 8) | 64;

/// `struct winsize`: rows, columns, x and y pixels, each u16.
const WINSIZE_SIZE: usize = 8;

use mm_core::signo::{SIGTTIN, SIGTTOU};

struct Tty {
    ld: Ldisc,
    winsize: [u8; WINSIZE_SIZE],
    /// The session whose controlling terminal this is (0: none).
    session: u32,
    warned_vtime: bool,
}

static TTY: Mutex<Tty> = Mutex::new(Tty {
    ld: Ldisc::new(crate::proc::INIT),
    winsize: [0; WINSIZE_SIZE],
    session: crate::proc::INIT,
    warned_vtime: false,
});

/// Sets or clears ECHO in the terminal's starting settings (the `tty_echo` boot word).
pub fn set_echo(on: bool) {
    let mut t = TTY.lock();
    let mut l = lflag(&t.ld.termios);
    if on {
        l |= ECHO;
    } else {
        l &= !ECHO;
    }
    t.ld.termios[12..16].copy_from_slice(&l.to_le_bytes());
}

/// Moves what the UART has received into the line discipline, echoing as it goes. With
/// `may_wait` (a process waits for console input and nothing else can run), rvmmu may
/// block for the next byte of its input; otherwise only bytes that have arrived are taken
/// (on rvmmu, input from a file or pipe arrives only while a reader waits; a terminal's
/// keys as they are typed).
pub fn pump(may_wait: bool) {
    use crate::console::{poll_input, wait_input, Input};
    let mut out = Vec::new();
    {
        let mut t = TTY.lock();
        // Never wait with signals to send or input to hand over already.
        let mut waited = !may_wait || !t.ld.signals.is_empty() || t.ld.readable().is_some();
        loop {
            let input = match poll_input() {
                // Nothing yet: one look that may wait (a byte then sets `waited`).
                Input::Nothing if !waited => wait_input(),
                i => i,
            };
            match input {
                Input::Byte(b) => {
                    waited = true;
                    t.ld.receive(b, &mut out)
                }
                Input::Ended => {
                    t.ld.end();
                    break;
                }
                Input::Nothing => break,
            }
        }
    }
    if !out.is_empty() {
        crate::console::write_bytes(&out);
    }
}

/// The signals ^C, ^\ and ^Z asked for since the last call: (process group, signal).
pub fn take_signals() -> Vec<(u32, u32)> {
    let mut t = TTY.lock();
    if t.ld.signals.is_empty() {
        return Vec::new();
    }
    core::mem::take(&mut t.ld.signals)
}

/// Whether a read of the console would not wait (input, end of file, or VMIN 0).
pub fn readable() -> bool {
    TTY.lock().ld.readable().is_some()
}

/// The session the console controls (0: none) and its foreground group (/proc/PID/stat's
/// tty_nr and tpgid for the session's processes).
pub fn control() -> (u32, u32) {
    let t = TTY.lock();
    (t.session, t.ld.fg)
}

/// `p` opened the console: a session leader without a controlling terminal acquires it
/// when no session has it.
pub fn opened_by(p: &Process) {
    let mut t = TTY.lock();
    if t.session == 0 && p.sid == p.pid {
        t.session = p.sid;
        t.ld.fg = p.pgid;
    }
}

/// A read of the console by `p` into `buf` (at most `len` bytes): a record in canonical
/// mode, what is there otherwise; 0 at end of file. `Err(ERESTARTSYS)` when it must wait
/// (for input, or stopped by SIGTTIN).
pub fn read(p: &mut Process, buf: VirtAddr, len: u64, nonblock: bool) -> SysResult {
    use crate::proc::signal;
    let (session, fg) = control();
    if session != 0 && p.sid == session && p.pgid != fg {
        // A background process of the terminal's session.
        if signal::ignores_or_blocks(p, SIGTTIN) || crate::proc::jobs::orphaned(p, p.pgid) {
            return Err(Errno::EIO);
        }
        signal_own_group(p, SIGTTIN);
        return Err(Errno::ERESTARTSYS);
    }
    pump(false);
    let bytes = {
        let mut t = TTY.lock();
        if !t.ld.signals.is_empty() {
            // ^C and the like first: the scheduler's pass sends them.
            return Err(Errno::ERESTARTSYS);
        }
        if cc(&t.ld.termios, VTIME) != 0 && !t.ld.canonical() && !t.warned_vtime {
            t.warned_vtime = true;
            log::warn!(
                "{}: tty: VTIME is not implemented (non-canonical reads wait as with VTIME 0)",
                p.name
            );
        }
        t.ld.take(len as usize)
    };
    let Some(bytes) = bytes else {
        return if nonblock {
            Err(Errno::EAGAIN)
        } else {
            Err(Errno::ERESTARTSYS)
        };
    };
    match p.space.copy_out(buf, &bytes) {
        Ok(()) => Ok(bytes.len() as i64),
        Err(_) => Err(Errno::EFAULT),
    }
}

/// Sends `sig` from the terminal to `p`'s process group, `p` (running) included.
fn signal_own_group(p: &mut Process, sig: u32) {
    use crate::proc::signal;
    for pid in signal::group_members(p.pgid, None) {
        signal::kernel_to(pid, sig);
    }
    signal::kernel_to_self(p, sig);
}

/// The check before a call that changes the terminal from `p`: a background process of the
/// session gets SIGTTOU (its group: Err(ERESTARTSYS), the call runs again when it is
/// continued) unless it ignores or blocks it; Err(EIO) when its group is orphaned.
fn check_ttou(p: &mut Process) -> Result<(), Errno> {
    use crate::proc::signal;
    let (session, fg) = control();
    if session == 0 || p.sid != session || p.pgid == fg || signal::ignores_or_blocks(p, SIGTTOU) {
        return Ok(());
    }
    if crate::proc::jobs::orphaned(p, p.pgid) {
        return Err(Errno::EIO);
    }
    signal_own_group(p, SIGTTOU);
    Err(Errno::ERESTARTSYS)
}

/// ioctl `cmd` with argument `arg` on the console.
pub fn ioctl(p: &mut Process, cmd: u64, arg: u64) -> SysResult {
    let at = VirtAddr(arg);
    match cmd {
        TCGETS => {
            let t = TTY.lock().ld.termios;
            put(p, at, &t)
        }
        TCSETS | TCSETSW | TCSETSF => {
            let mut t = [0u8; TERMIOS_SIZE];
            if p.space.copy_in(at, &mut t).is_err() {
                return Err(Errno::EFAULT);
            }
            check_ttou(p)?;
            TTY.lock().ld.set(t, cmd == TCSETSF);
            Ok(0)
        }
        TIOCGWINSZ => {
            let w = TTY.lock().winsize;
            put(p, at, &w)
        }
        TIOCSWINSZ => {
            let mut w = [0u8; WINSIZE_SIZE];
            if p.space.copy_in(at, &mut w).is_err() {
                return Err(Errno::EFAULT);
            }
            TTY.lock().winsize = w;
            Ok(0)
        }
        TIOCGPGRP | TIOCGSID => {
            let (session, fg) = control();
            if session == 0 || p.sid != session {
                return Err(Errno::ENOTTY);
            }
            let v = if cmd == TIOCGPGRP { fg } else { session };
            put(p, at, &v.to_le_bytes())
        }
        TIOCSPGRP => {
            let mut raw = [0u8; 4];
            if p.space.copy_in(at, &mut raw).is_err() {
                return Err(Errno::EFAULT);
            }
            let (session, _) = control();
            if session == 0 || p.sid != session {
                return Err(Errno::ENOTTY);
            }
            check_ttou(p)?;
            let pgid = i32::from_le_bytes(raw);
            if pgid < 0 {
                return Err(Errno::EINVAL);
            }
            match crate::proc::jobs::group_session(p, pgid as u32) {
                None => Err(Errno::ESRCH),
                Some(s) if s != session => Err(Errno::EPERM),
                Some(_) => {
                    TTY.lock().ld.fg = pgid as u32;
                    Ok(0)
                }
            }
        }
        TIOCSCTTY => {
            let mut t = TTY.lock();
            if t.session != 0 && t.session == p.sid {
                return Ok(0);
            }
            // A session leader; another session's terminal only with arg 1 (root steals).
            if p.sid != p.pid || (t.session != 0 && arg != 1) {
                return Err(Errno::EPERM);
            }
            t.session = p.sid;
            t.ld.fg = p.pgid;
            Ok(0)
        }
        TIOCNOTTY => {
            let mut t = TTY.lock();
            if t.session == 0 || t.session != p.sid {
                return Err(Errno::ENOTTY);
            }
            if p.sid == p.pid {
                t.session = 0;
                t.ld.fg = 0;
            }
            Ok(0)
        }
        _ => {
            log::debug!("{}: tty ioctl {cmd:#x} not supported: -ENOTTY", p.name);
            Err(Errno::ENOTTY)
        }
    }
}

fn put(p: &mut Process, at: VirtAddr, bytes: &[u8]) -> SysResult {
    match p.space.copy_out(at, bytes) {
        Ok(()) => Ok(0),
        Err(_) => Err(Errno::EFAULT),
    }
}
