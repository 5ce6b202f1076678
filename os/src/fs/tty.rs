//! The console as a terminal: the serial line /dev/ttyS0 answers the terminal ioctls a
//! C library asks before it chooses how to buffer (tty_ioctl(4)), as a Linux serial
//! console does. glibc's stdio calls TCGETS on a character device (isatty); when it
//! succeeds, stdout is line-buffered, so a program's lines reach the console as they are
//! printed — also the lines before the process is killed (SIGKILL from the OOM killer
//! discards whatever a full buffer still held).
//!
//! The settings are kept as set (TCSETS, TCSETSW, TCSETSF) and read back as set; the line
//! discipline itself does not act on them yet: input is taken a line at a time with no
//! echo whatever ICANON and ECHO say (a change of those is logged once). The window size
//! is what a serial line reports until someone sets it: 0 rows, 0 columns.

use crate::errno::Errno;
use crate::proc::Process;
use crate::syscall::SysResult;
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

/// Linux's `struct termios` on riscv64 (asm-generic): four u32 flag words, c_line, NCCS =
/// 19 control characters: 36 bytes.
const TERMIOS_SIZE: usize = 36;
/// `struct winsize`: rows, columns, x and y pixels, each u16.
const WINSIZE_SIZE: usize = 8;

// The flags Linux's tty_std_termios starts a serial console with.
const ICRNL: u32 = 0o400;
const IXON: u32 = 0o2000;
const OPOST: u32 = 0o1;
const ONLCR: u32 = 0o4;
const B115200: u32 = 0o10002;
const CS8: u32 = 0o60;
const CREAD: u32 = 0o200;
const HUPCL: u32 = 0o2000;
const CLOCAL: u32 = 0o4000;
const ISIG: u32 = 0o1;
const ICANON: u32 = 0o2;
const ECHO: u32 = 0o10;
const ECHOE: u32 = 0o20;
const ECHOK: u32 = 0o40;
const ECHOCTL: u32 = 0o1000;
const ECHOKE: u32 = 0o4000;
const IEXTEN: u32 = 0o100000;

/// Linux's INIT_C_CC: ^C ^\ DEL ^U ^D, VTIME 0, VMIN 1, 0, ^Q ^S ^Z 0 ^R ^O ^W ^V 0.
const INIT_C_CC: [u8; 19] = [
    3, 28, 127, 21, 4, 0, 1, 0, 17, 19, 26, 0, 18, 15, 23, 22, 0, 0, 0,
];

struct Tty {
    termios: [u8; TERMIOS_SIZE],
    winsize: [u8; WINSIZE_SIZE],
    warned: bool,
}

static TTY: Mutex<Tty> = Mutex::new(Tty {
    termios: default_termios(),
    winsize: [0; WINSIZE_SIZE],
    warned: false,
});

const fn default_termios() -> [u8; TERMIOS_SIZE] {
    let words = [
        ICRNL | IXON,
        OPOST | ONLCR,
        B115200 | CS8 | CREAD | HUPCL | CLOCAL,
        ISIG | ICANON | ECHO | ECHOE | ECHOK | ECHOCTL | ECHOKE | IEXTEN,
    ];
    let mut t = [0u8; TERMIOS_SIZE];
    let mut w = 0;
    while w < 4 {
        let b = words[w].to_le_bytes();
        let mut i = 0;
        while i < 4 {
            t[w * 4 + i] = b[i];
            i += 1;
        }
        w += 1;
    }
    // t[16] is c_line (N_TTY = 0); the control characters follow.
    let mut i = 0;
    while i < INIT_C_CC.len() {
        t[17 + i] = INIT_C_CC[i];
        i += 1;
    }
    t
}

/// The local-mode word (c_lflag) of a termios image.
fn lflag(t: &[u8; TERMIOS_SIZE]) -> u32 {
    u32::from_le_bytes([t[12], t[13], t[14], t[15]])
}

/// ioctl `cmd` with argument `arg` on the console.
pub fn ioctl(p: &mut Process, cmd: u64, arg: u64) -> SysResult {
    let at = VirtAddr(arg);
    match cmd {
        TCGETS => {
            let t = TTY.lock().termios;
            put(p, at, &t)
        }
        TCSETS | TCSETSW | TCSETSF => {
            let mut t = [0u8; TERMIOS_SIZE];
            if p.space.copy_in(at, &mut t).is_err() {
                return Err(Errno::EFAULT);
            }
            let mut tty = TTY.lock();
            let changed = (lflag(&t) ^ lflag(&tty.termios)) & (ICANON | ECHO);
            if changed != 0 && !tty.warned {
                tty.warned = true;
                log::warn!(
                    "{}: tty: ICANON/ECHO changes are kept but not acted on (input stays line by line, unechoed)",
                    p.name
                );
            }
            tty.termios = t;
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
