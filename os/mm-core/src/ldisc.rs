//! The terminal's line discipline (Linux's n_tty, tty_ioctl(4), termios(3)), without
//! devices: the kernel's console (`os/src/fs/tty.rs`) feeds it the UART's bytes and takes
//! readers' input from it; its behaviour is documented there. Kept here so that `cargo
//! test` checks it on the host.

use alloc::collections::VecDeque;
use alloc::vec::Vec;

/// Linux's `struct termios` on riscv64 (asm-generic): four u32 flag words, c_line, NCCS =
/// 19 control characters: 36 bytes.
pub const TERMIOS_SIZE: usize = 36;

// The flags Linux's tty_std_termios starts a serial console with, and the others acted on.
const ISTRIP: u32 = 0o40;
const INLCR: u32 = 0o100;
const IGNCR: u32 = 0o200;
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
pub const ECHO: u32 = 0o10;
const ECHOE: u32 = 0o20;
const ECHOK: u32 = 0o40;
const ECHONL: u32 = 0o100;
const NOFLSH: u32 = 0o200;
const ECHOCTL: u32 = 0o1000;
const ECHOKE: u32 = 0o4000;
const IEXTEN: u32 = 0o100000;

/// Linux's INIT_C_CC: ^C ^\ DEL ^U ^D, VTIME 0, VMIN 1, 0, ^Q ^S ^Z 0 ^R ^O ^W ^V 0.
const INIT_C_CC: [u8; 19] = [
    3, 28, 127, 21, 4, 0, 1, 0, 17, 19, 26, 0, 18, 15, 23, 22, 0, 0, 0,
];

// Indices of the control characters in c_cc.
const VINTR: usize = 0;
const VQUIT: usize = 1;
const VERASE: usize = 2;
const VKILL: usize = 3;
const VEOF: usize = 4;
pub const VTIME: usize = 5;
const VMIN: usize = 6;
const VSUSP: usize = 10;
const VEOL: usize = 11;
const VWERASE: usize = 14;
const VEOL2: usize = 16;

/// Bytes the terminal holds for readers at most (Linux's N_TTY_BUF_SIZE).
pub const BUF_SIZE: usize = 4096;

use crate::signo::{SIGINT, SIGQUIT, SIGTSTP};

/// The line discipline's state (no devices: testable on the host).
pub struct Ldisc {
    pub termios: [u8; TERMIOS_SIZE],
    /// The foreground process group ^C and the like go to (0: none).
    pub fg: u32,
    /// Input readers can take: in canonical mode, complete records whose lengths are in
    /// `records` (a 0-length record is an end of file from VEOF); else all of it.
    pub ready: VecDeque<u8>,
    pub records: VecDeque<usize>,
    /// The line being edited (canonical mode).
    pub line: Vec<u8>,
    /// The line has reported a break: no more input, ever.
    pub ended: bool,
    /// Signals for process groups, sent at the scheduler's next pass: (pgid, signal).
    pub signals: Vec<(u32, u32)>,
}

pub const fn default_termios() -> [u8; TERMIOS_SIZE] {
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
pub fn lflag(t: &[u8; TERMIOS_SIZE]) -> u32 {
    u32::from_le_bytes([t[12], t[13], t[14], t[15]])
}

/// The input-mode word (c_iflag).
fn iflag(t: &[u8; TERMIOS_SIZE]) -> u32 {
    u32::from_le_bytes([t[0], t[1], t[2], t[3]])
}

/// Control character `i` (c_cc[i]).
pub fn cc(t: &[u8; TERMIOS_SIZE], i: usize) -> u8 {
    t[17 + i]
}

/// Whether `b` echoes as `^X` (a control character other than tab and newline).
fn is_ctl(b: u8) -> bool {
    (b < 0x20 || b == 0x7f) && b != b'\n' && b != b'\t'
}

impl Ldisc {
    /// A terminal with Linux's starting settings, group `fg` in the foreground.
    pub const fn new(fg: u32) -> Ldisc {
        Ldisc {
            termios: default_termios(),
            fg,
            ready: VecDeque::new(),
            records: VecDeque::new(),
            line: Vec::new(),
            ended: false,
            signals: Vec::new(),
        }
    }

    pub fn canonical(&self) -> bool {
        lflag(&self.termios) & ICANON != 0
    }

    pub fn held(&self) -> usize {
        self.ready.len() + self.line.len()
    }

    /// Echoes `b` as the settings say.
    pub fn echo(&self, b: u8, out: &mut Vec<u8>) {
        let l = lflag(&self.termios);
        if l & ECHO == 0 {
            if b == b'\n' && l & ECHONL != 0 && self.canonical() {
                out.push(b);
            }
            return;
        }
        if is_ctl(b) && l & ECHOCTL != 0 {
            out.push(b'^');
            out.push(b ^ 0x40);
        } else {
            out.push(b);
        }
    }

    /// Erases the last character of the line (and its echo with ECHO and ECHOE).
    pub fn erase_one(&mut self, out: &mut Vec<u8>) -> bool {
        let Some(b) = self.line.pop() else {
            return false;
        };
        let l = lflag(&self.termios);
        if l & ECHO != 0 && l & ECHOE != 0 {
            let width = if is_ctl(b) && l & ECHOCTL != 0 { 2 } else { 1 };
            for _ in 0..width {
                out.extend_from_slice(b"\x08 \x08");
            }
        }
        true
    }

    /// Hands the edited line to readers as one record.
    pub fn push_line(&mut self) {
        let n = self.line.len();
        self.ready.extend(self.line.drain(..));
        self.records.push_back(n);
    }

    pub fn flush_input(&mut self) {
        self.ready.clear();
        self.records.clear();
        self.line.clear();
    }

    /// Takes one received byte through the line discipline; its echo goes to `out`.
    pub fn receive(&mut self, mut b: u8, out: &mut Vec<u8>) {
        let t = self.termios;
        let (i, l) = (iflag(&t), lflag(&t));
        if i & ISTRIP != 0 {
            b &= 0x7f;
        }
        if b == b'\r' {
            if i & IGNCR != 0 {
                return;
            }
            if i & ICRNL != 0 {
                b = b'\n';
            }
        } else if b == b'\n' && i & INLCR != 0 {
            b = b'\r';
        }
        let is = |idx: usize| cc(&t, idx) != 0 && cc(&t, idx) == b;
        if l & ISIG != 0 {
            let sig = if is(VINTR) {
                Some(SIGINT)
            } else if is(VQUIT) {
                Some(SIGQUIT)
            } else if is(VSUSP) {
                Some(SIGTSTP)
            } else {
                None
            };
            if let Some(sig) = sig {
                if l & NOFLSH == 0 {
                    self.flush_input();
                }
                self.echo(b, out);
                if self.fg != 0 {
                    self.signals.push((self.fg, sig));
                }
                return;
            }
        }
        if l & ICANON != 0 {
            if is(VERASE) {
                self.erase_one(out);
                return;
            }
            if is(VKILL) {
                while self.erase_one(out) {}
                return;
            }
            if is(VWERASE) && l & IEXTEN != 0 {
                let blank = |c: &u8| *c == b' ' || *c == b'\t';
                while self.line.last().is_some_and(blank) {
                    self.erase_one(out);
                }
                while self.line.last().is_some_and(|c| !blank(c)) {
                    self.erase_one(out);
                }
                return;
            }
            if is(VEOF) {
                self.push_line();
                return;
            }
            if self.held() >= BUF_SIZE - 1 && b != b'\n' {
                return; // full: dropped (Linux rings the bell)
            }
            self.echo(b, out);
            self.line.push(b);
            if b == b'\n' || is(VEOL) || is(VEOL2) {
                self.push_line();
            }
            return;
        }
        if self.held() >= BUF_SIZE {
            return;
        }
        self.echo(b, out);
        self.ready.push_back(b);
    }

    /// The line ended (a break): a partly edited line is pushed.
    pub fn end(&mut self) {
        if !self.ended {
            self.ended = true;
            if !self.line.is_empty() {
                self.push_line();
            }
        }
    }

    /// Bytes a read can take now (canonical: the first record's; 0: end of file, or
    /// nothing with VMIN 0); `None` when a read must wait.
    pub fn readable(&self) -> Option<usize> {
        if self.canonical() {
            match self.records.front() {
                Some(&n) => Some(n),
                None if self.ended => Some(0),
                None => None,
            }
        } else if !self.ready.is_empty() {
            Some(self.ready.len())
        } else if self.ended || cc(&self.termios, VMIN) == 0 {
            Some(0)
        } else {
            None
        }
    }

    /// Takes at most `len` readable bytes (None: a read must wait).
    pub fn take(&mut self, len: usize) -> Option<Vec<u8>> {
        let avail = self.readable()?;
        let n = avail.min(len);
        let bytes: Vec<u8> = self.ready.drain(..n).collect();
        if self.canonical() {
            if let Some(front) = self.records.front_mut() {
                *front -= n;
                // A record read to its end is gone (an end-of-file record at once).
                if *front == 0 {
                    self.records.pop_front();
                }
            }
        }
        Some(bytes)
    }

    /// New settings (TCSETS*): leaving canonical mode makes the edited line readable;
    /// entering it makes what is held one record.
    pub fn set(&mut self, t: [u8; TERMIOS_SIZE], flush: bool) {
        let was_canonical = self.canonical();
        self.termios = t;
        if flush {
            self.flush_input();
        }
        if was_canonical && !self.canonical() {
            let line: Vec<u8> = self.line.drain(..).collect();
            self.ready.extend(line);
            self.records.clear();
        } else if !was_canonical && self.canonical() && !self.ready.is_empty() {
            self.records.clear();
            self.records.push_back(self.ready.len());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn feed(l: &mut Ldisc, bytes: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        for &b in bytes {
            l.receive(b, &mut out);
        }
        out
    }

    /// Linux's starting settings (ECHO among them).
    fn with_echo() -> Ldisc {
        Ldisc::new(1)
    }

    #[test]
    fn canonical_lines_wait_for_their_end_and_edit() {
        let mut l = Ldisc::new(1);
        feed(&mut l, b"ab");
        assert_eq!(l.readable(), None, "no line yet");
        feed(&mut l, b"\x7fc\r");
        assert_eq!(
            l.take(100),
            Some(b"ac\n".to_vec()),
            "DEL erased, CR mapped to NL"
        );
        feed(&mut l, b"junk\x15ok\n");
        assert_eq!(l.take(100), Some(b"ok\n".to_vec()), "^U killed the line");
        feed(&mut l, b"one two\x17three\n");
        assert_eq!(
            l.take(100),
            Some(b"one three\n".to_vec()),
            "^W erased a word"
        );
        feed(&mut l, b"long line\n");
        assert_eq!(
            l.take(4),
            Some(b"long".to_vec()),
            "a short read takes part of a line"
        );
        assert_eq!(l.take(100), Some(b" line\n".to_vec()));
    }

    #[test]
    fn veof_pushes_a_line_and_ends_input_on_an_empty_one() {
        let mut l = Ldisc::new(1);
        feed(&mut l, b"abc\x04");
        assert_eq!(l.take(100), Some(b"abc".to_vec()));
        feed(&mut l, b"\x04");
        assert_eq!(l.take(100), Some(Vec::new()), "end of file");
        assert_eq!(l.readable(), None, "and only once");
        feed(&mut l, b"part");
        l.end();
        assert_eq!(
            l.take(100),
            Some(b"part".to_vec()),
            "a break pushes the line"
        );
        assert_eq!(l.take(100), Some(Vec::new()), "then end of file for good");
        assert_eq!(l.take(100), Some(Vec::new()));
    }

    #[test]
    fn isig_characters_signal_the_foreground_group_and_flush() {
        let mut l = with_echo();
        l.fg = 7;
        let out = feed(&mut l, b"abc\x03");
        assert_eq!(out, b"abc^C");
        assert_eq!(l.signals, [(7, SIGINT)]);
        assert_eq!(l.readable(), None, "the line was flushed");
        feed(&mut l, b"\x1c\x1a");
        assert_eq!(l.signals, [(7, SIGINT), (7, SIGQUIT), (7, SIGTSTP)]);
    }

    #[test]
    fn echo_shows_control_characters_and_erases() {
        let mut l = with_echo();
        assert_eq!(
            feed(&mut l, b"a\x01\x7f\x7fb\r"),
            b"a^A\x08 \x08\x08 \x08\x08 \x08b\n"
        );
        let mut quiet = Ldisc::new(1);
        let lf = lflag(&quiet.termios) & !ECHO;
        quiet.termios[12..16].copy_from_slice(&lf.to_le_bytes());
        assert_eq!(feed(&mut quiet, b"quiet\n"), b"", "no echo without ECHO");
    }

    #[test]
    fn non_canonical_reads_take_what_is_there() {
        let mut l = Ldisc::new(1);
        feed(&mut l, b"par");
        let mut t = l.termios;
        let lf = lflag(&t) & !ICANON;
        t[12..16].copy_from_slice(&lf.to_le_bytes());
        l.set(t, false);
        assert_eq!(
            l.take(2),
            Some(b"pa".to_vec()),
            "the edited line became readable"
        );
        assert_eq!(l.take(10), Some(b"r".to_vec()));
        assert_eq!(l.readable(), None, "VMIN 1: wait");
        t[17 + VMIN] = 0;
        l.set(t, false);
        assert_eq!(l.take(10), Some(Vec::new()), "VMIN 0: nothing, at once");
    }

    #[test]
    fn input_beyond_the_buffer_is_dropped() {
        let mut l = Ldisc::new(1);
        feed(&mut l, &[b'x'; BUF_SIZE + 100]);
        feed(&mut l, b"\n");
        assert_eq!(l.take(usize::MAX).map(|v| v.len()), Some(BUF_SIZE));
    }
}
