//! The per-call decoders: which arguments are read at entry, which at exit, and how the
//! return value is shown. Calls without a decoder here print their arguments by the
//! signature in [`super::table`].

use super::consts::*;
use super::render::*;
use super::table::SyscallInfo;
use super::GuestMem;

/// An argument rendered at exit, from the raw arguments, the return value and memory.
pub type ExitFn = fn(&[u64; 6], i64, &mut dyn GuestMem) -> String;

/// One printed argument: rendered at entry, left for exit (an output argument), or begun
/// at entry and completed at exit (clone3's `{flags=...} => {parent_tid=[5]}`).
pub enum Slot {
    Now(String),
    Exit(ExitFn),
    /// Output argument `usize` (a structure the kernel fills): rendered from memory at
    /// exit after a successful call, as its address after a failed one, as strace does.
    Out(usize, fn(&mut dyn GuestMem, u64) -> String),
    Split(String, ExitFn),
}

impl Slot {
    /// The argument's text once the call returned `ret`.
    pub fn at_exit(&self, a: &[u64; 6], ret: i64, mem: &mut dyn GuestMem) -> String {
        match self {
            Slot::Now(s) => s.clone(),
            Slot::Exit(f) => f(a, ret, mem),
            Slot::Out(i, _) if ret < 0 => ptr(a[*i]),
            Slot::Out(i, render) => render(mem, a[*i]),
            Slot::Split(start, f) => format!("{start}{}", f(a, ret, mem)),
        }
    }
}

/// How the return value is printed.
#[derive(Clone, Copy)]
pub enum Ret {
    /// Signed decimal.
    Dec,
    /// Hexadecimal (addresses: mmap, brk, mremap, shmat).
    Hex,
    /// Octal like a mode (umask).
    Octal,
    /// The call does not return (`= ?`): exit, exit_group.
    None,
    /// Decimal, followed by ` (…)` from the decorator unless it returns None; with `true`,
    /// a decorated value is printed in hex (fcntl's `= 0x8001 (flags O_WRONLY|O_LARGEFILE)`).
    Decorated(
        fn(&[u64; 6], i64, &mut dyn GuestMem) -> Option<String>,
        bool,
    ),
}

struct B<'m> {
    a: [u64; 6],
    mem: &'m mut dyn GuestMem,
    slots: Vec<Slot>,
}

impl B<'_> {
    fn now(&mut self, s: String) {
        self.slots.push(Slot::Now(s));
    }
    fn exit(&mut self, f: ExitFn) {
        self.slots.push(Slot::Exit(f));
    }
    /// Output argument `i`, shown by `render` at exit (see [`Slot::Out`]).
    fn out(&mut self, i: usize, render: fn(&mut dyn GuestMem, u64) -> String) {
        self.slots.push(Slot::Out(i, render));
    }
    fn path(&mut self, i: usize) {
        let s = path(self.mem, self.a[i]);
        self.now(s);
    }
    /// Arguments `from..` by the signature, for calls only partly special.
    fn by_sig(&mut self, sig: &str, from: usize) {
        for (i, k) in sig.chars().enumerate().skip(from) {
            let s = by_kind(k, self.a[i], self.mem);
            self.now(s);
        }
    }
}

/// One argument printed by its signature character (see [`super::table`]).
pub fn by_kind(k: char, v: u64, mem: &mut dyn GuestMem) -> String {
    match k {
        'i' | 'f' => int(v),
        'l' => long(v),
        'u' => v.to_string(),
        'p' => ptr(v),
        'a' => dirfd(v),
        's' => path(mem, v),
        'o' => octal(v),
        'S' => signal(v),
        _ => hex(v),
    }
}

/// Open flags with the access mode first: `O_RDONLY|O_CLOEXEC`.
pub fn open_flags(v: u64) -> String {
    let acc = match v & 3 {
        0 => "O_RDONLY",
        1 => "O_WRONLY",
        2 => "O_RDWR",
        _ => "O_ACCMODE",
    };
    let rest = v & !3;
    if rest == 0 {
        acc.into()
    } else {
        format!("{acc}|{}", flags(rest, OPEN, "", "O_???"))
    }
}

fn mmap_flags(v: u64) -> String {
    let ty = match v & 0xf {
        1 => "MAP_SHARED".to_string(),
        2 => "MAP_PRIVATE".into(),
        3 => "MAP_SHARED_VALIDATE".into(),
        t => format!("{t:#x} /* MAP_??? */"),
    };
    let huge = (v >> 26) & 0x3f;
    let rest = v & !0xf & !(0x3f << 26);
    let mut s = ty;
    if rest != 0 {
        s.push('|');
        s.push_str(&flags(rest, MAP_FLAGS, "", "MAP_???"));
    }
    if huge != 0 {
        s.push_str(&format!("|{huge}<<MAP_HUGE_SHIFT"));
    }
    s
}

fn clone_flags(v: u64) -> String {
    let sig = v & 0xff;
    let rest = v & !0xff;
    let mut parts = Vec::new();
    if rest != 0 {
        parts.push(flags(rest, CLONE, "", "CLONE_???"));
    }
    if sig != 0 {
        parts.push(signal(sig));
    }
    if parts.is_empty() {
        "0".into()
    } else {
        parts.join("|")
    }
}

fn rlim(v: u64) -> String {
    if v == u64::MAX {
        "RLIM64_INFINITY".into()
    } else if v > 1024 && v % 1024 == 0 {
        format!("{}*1024", v / 1024)
    } else {
        v.to_string()
    }
}

fn rlimit_at(mem: &mut dyn GuestMem, va: u64) -> String {
    if va == 0 {
        return "NULL".into();
    }
    match (read_u64(mem, va), read_u64(mem, va.wrapping_add(8))) {
        (Some(c), Some(m)) => format!("{{rlim_cur={}, rlim_max={}}}", rlim(c), rlim(m)),
        _ => ptr(va),
    }
}

/// struct stat of riscv64 (asm-generic, 128 bytes), abbreviated as strace does without -v.
fn stat_at(mem: &mut dyn GuestMem, va: u64) -> String {
    let Some(b) = read_vec(mem, va, 128) else {
        return ptr(va);
    };
    let u32at = |o: usize| u32::from_le_bytes(b[o..o + 4].try_into().unwrap()) as u64;
    let u64at = |o: usize| u64::from_le_bytes(b[o..o + 8].try_into().unwrap());
    let mode = u32at(16);
    let ty = mode & 0o170000;
    if ty == 0o020000 || ty == 0o060000 {
        let rdev = u64at(32);
        format!(
            "{{st_mode={}, st_rdev=makedev({:#x}, {:#x}), ...}}",
            file_mode(mode),
            dev_major(rdev),
            dev_minor(rdev)
        )
    } else {
        format!(
            "{{st_mode={}, st_size={}, ...}}",
            file_mode(mode),
            u64at(48) as i64
        )
    }
}

/// Linux's encoding of a dev_t (the glibc gnu_dev_major/minor split).
fn dev_major(d: u64) -> u64 {
    ((d >> 8) & 0xfff) | ((d >> 32) & !0xfff)
}
fn dev_minor(d: u64) -> u64 {
    (d & 0xff) | ((d >> 12) & !0xff)
}

const STATX_MASK: &[(&str, u64)] = &[
    ("STATX_BASIC_STATS", 0x7ff),
    ("STATX_TYPE", 0x1),
    ("STATX_MODE", 0x2),
    ("STATX_NLINK", 0x4),
    ("STATX_UID", 0x8),
    ("STATX_GID", 0x10),
    ("STATX_ATIME", 0x20),
    ("STATX_MTIME", 0x40),
    ("STATX_CTIME", 0x80),
    ("STATX_INO", 0x100),
    ("STATX_SIZE", 0x200),
    ("STATX_BLOCKS", 0x400),
    ("STATX_BTIME", 0x800),
    ("STATX_MNT_ID", 0x1000),
    ("STATX_DIOALIGN", 0x2000),
    ("STATX_MNT_ID_UNIQUE", 0x4000),
];

fn statx_flags(v: u64) -> String {
    // AT_STATX_SYNC_AS_STAT is 0: strace names the sync type first, then the AT_ flags.
    let sync = match v & 0x6000 {
        0 => "AT_STATX_SYNC_AS_STAT",
        0x2000 => "AT_STATX_FORCE_SYNC",
        0x4000 => "AT_STATX_DONT_SYNC",
        _ => "0x6000",
    };
    let rest = v & !0x6000;
    if rest == 0 {
        sync.into()
    } else {
        format!("{sync}|{}", flags(rest, AT, "", "AT_???"))
    }
}

fn statx_at(mem: &mut dyn GuestMem, va: u64) -> String {
    let Some(b) = read_vec(mem, va, 0x100) else {
        return ptr(va);
    };
    let mask = u32::from_le_bytes(b[0..4].try_into().unwrap()) as u64;
    let attrs = u64::from_le_bytes(b[8..16].try_into().unwrap());
    let mode = u16::from_le_bytes(b[0x1c..0x1e].try_into().unwrap()) as u64;
    let size = u64::from_le_bytes(b[0x28..0x30].try_into().unwrap());
    format!(
        "{{stx_mask={}, stx_attributes={}, stx_mode={}, stx_size={size}, ...}}",
        flags(mask, STATX_MASK, "0", "STATX_???"),
        hex(attrs),
        file_mode(mode)
    )
}

/// The fd pair of pipe2.
fn fd_pair(a: &[u64; 6], ret: i64, mem: &mut dyn GuestMem) -> String {
    if ret < 0 {
        return ptr(a[0]);
    }
    match (read_u32(mem, a[0]), read_u32(mem, a[0].wrapping_add(4))) {
        (Some(x), Some(y)) => format!("[{}, {}]", x as i32, y as i32),
        _ => ptr(a[0]),
    }
}

fn wait_status(s: u32) -> String {
    let sig = s & 0x7f;
    if sig == 0 {
        format!(
            "[{{WIFEXITED(s) && WEXITSTATUS(s) == {}}}]",
            (s >> 8) & 0xff
        )
    } else if s & 0xff == 0x7f {
        format!(
            "[{{WIFSTOPPED(s) && WSTOPSIG(s) == {}}}]",
            signal(((s >> 8) & 0xff) as u64)
        )
    } else if s == 0xffff {
        "[{WIFCONTINUED(s)}]".into()
    } else {
        let core = if s & 0x80 != 0 {
            " && WCOREDUMP(s)"
        } else {
            ""
        };
        format!(
            "[{{WIFSIGNALED(s) && WTERMSIG(s) == {}{core}}}]",
            signal(sig as u64)
        )
    }
}

/// An iovec array of `cnt` entries at `va`, showing at most `budget` bytes of data in all
/// (writev: everything; readv: what was read).
fn iovec(mem: &mut dyn GuestMem, va: u64, cnt: u64, mut budget: u64) -> String {
    if va == 0 {
        return "NULL".into();
    }
    let mut items = Vec::new();
    for i in 0..cnt.min(ARRAY_LIMIT as u64) {
        let (Some(base), Some(len)) = (
            read_u64(mem, va.wrapping_add(i * 16)),
            read_u64(mem, va.wrapping_add(i * 16 + 8)),
        ) else {
            if i == 0 {
                return ptr(va);
            }
            items.push("...".to_string());
            break;
        };
        let take = len.min(budget);
        budget -= take;
        let data = buffer(mem, base, take);
        items.push(format!("{{iov_base={data}, iov_len={len}}}"));
    }
    if cnt > ARRAY_LIMIT as u64 {
        items.push("...".into());
    }
    format!("[{}]", items.join(", "))
}

fn pollfds(mem: &mut dyn GuestMem, va: u64, n: u64, out: bool) -> Option<String> {
    let mut items = Vec::new();
    for i in 0..n.min(ARRAY_LIMIT as u64) {
        let fd = read_u32(mem, va.wrapping_add(i * 8))? as i32;
        let ev = read_u32(mem, va.wrapping_add(i * 8 + 4))?;
        let (events, revents) = ((ev & 0xffff) as u64, (ev >> 16) as u64);
        if out {
            if revents != 0 {
                items.push(format!(
                    "{{fd={fd}, revents={}}}",
                    flags(revents, POLL, "0", "POLL???")
                ));
            }
        } else {
            items.push(format!(
                "{{fd={fd}, events={}}}",
                flags(events, POLL, "0", "POLL???")
            ));
        }
    }
    if n > ARRAY_LIMIT as u64 && !out {
        items.push("...".into());
    }
    Some(format!("[{}]", items.join(", ")))
}

/// An fd_set of `nfds` bits at `va`: `[0 3]`.
fn fdset(mem: &mut dyn GuestMem, va: u64, nfds: u64) -> Option<String> {
    let n = nfds.min(1024);
    let bytes = read_vec(mem, va, n.div_ceil(64) as usize * 8)?;
    let fds: Vec<String> = (0..n)
        .filter(|&i| bytes[(i / 8) as usize] >> (i % 8) & 1 == 1)
        .map(|i| i.to_string())
        .collect();
    Some(format!("[{}]", fds.join(" ")))
}

fn sigaction_at(mem: &mut dyn GuestMem, va: u64) -> String {
    if va == 0 {
        return "NULL".into();
    }
    // riscv64's struct sigaction: sa_handler, sa_flags, sa_mask (no sa_restorer).
    let Some(b) = read_vec(mem, va, 24) else {
        return ptr(va);
    };
    let handler = u64::from_le_bytes(b[0..8].try_into().unwrap());
    let fl = u64::from_le_bytes(b[8..16].try_into().unwrap());
    let h = match handler {
        0 => "SIG_DFL".to_string(),
        1 => "SIG_IGN".into(),
        u64::MAX => "SIG_ERR".into(),
        h => format!("{h:#x}"),
    };
    format!(
        "{{sa_handler={h}, sa_mask={}, sa_flags={}}}",
        sigset_bytes(&b[16..24]),
        flags(fl, SA, "0", "SA_???")
    )
}

fn ioctl_name(req: u64) -> String {
    let r = req as u32 as u64;
    // OSS's timer ioctls _IO('T', 2..=4) have the numbers of TCSETS*: strace names both.
    match r {
        0x5402 => return "SNDCTL_TMR_START or TCSETS".into(),
        0x5403 => return "SNDCTL_TMR_STOP or TCSETSW".into(),
        0x5404 => return "SNDCTL_TMR_CONTINUE or TCSETSF".into(),
        _ => {}
    }
    if let Some(e) = IOCTL.iter().find(|e| e.1 == r) {
        return e.0.into();
    }
    let dir = match (r >> 30) & 3 {
        0 => "_IOC_NONE",
        1 => "_IOC_WRITE",
        2 => "_IOC_READ",
        _ => "_IOC_READ|_IOC_WRITE",
    };
    format!(
        "_IOC({dir}, {}, {}, {})",
        hex((r >> 8) & 0xff),
        hex(r & 0xff),
        hex((r >> 16) & 0x3fff)
    )
}

/// The requests whose third argument points at input the kernel reads.
const IOCTL_INPUT: &[&str] = &[
    "TCSETS",
    "TCSETSW",
    "TCSETSF",
    "TIOCSWINSZ",
    "TIOCSPGRP",
    "FIONBIO",
];

const TERM_IFLAGS: &[(&str, u64)] = &[
    ("IGNBRK", 0o1),
    ("BRKINT", 0o2),
    ("IGNPAR", 0o4),
    ("PARMRK", 0o10),
    ("INPCK", 0o20),
    ("ISTRIP", 0o40),
    ("INLCR", 0o100),
    ("IGNCR", 0o200),
    ("ICRNL", 0o400),
    ("IUCLC", 0o1000),
    ("IXON", 0o2000),
    ("IXANY", 0o4000),
    ("IXOFF", 0o10000),
    ("IMAXBEL", 0o20000),
    ("IUTF8", 0o40000),
];
const TERM_OFLAGS: &[(&str, u64)] = &[
    ("OPOST", 0o1),
    ("OLCUC", 0o2),
    ("ONLCR", 0o4),
    ("OCRNL", 0o10),
    ("ONOCR", 0o20),
    ("ONLRET", 0o40),
    ("OFILL", 0o100),
    ("OFDEL", 0o200),
];
const TERM_CFLAGS: &[(&str, u64)] = &[
    ("CSTOPB", 0o100),
    ("CREAD", 0o200),
    ("PARENB", 0o400),
    ("PARODD", 0o1000),
    ("HUPCL", 0o2000),
    ("CLOCAL", 0o4000),
    ("CMSPAR", 0o10000000000),
    ("CRTSCTS", 0o20000000000),
];
/// In strace's order (IEXTEN early, TOSTOP late).
const TERM_LFLAGS: &[(&str, u64)] = &[
    ("ISIG", 0o1),
    ("ICANON", 0o2),
    ("XCASE", 0o4),
    ("ECHO", 0o10),
    ("ECHOE", 0o20),
    ("ECHOK", 0o40),
    ("ECHONL", 0o100),
    ("NOFLSH", 0o200),
    ("IEXTEN", 0o100000),
    ("ECHOCTL", 0o1000),
    ("ECHOPRT", 0o2000),
    ("ECHOKE", 0o4000),
    ("FLUSHO", 0o10000),
    ("PENDIN", 0o40000),
    ("TOSTOP", 0o400),
    ("EXTPROC", 0o200000),
];
const BAUDS: &[u32] = &[
    0, 50, 75, 110, 134, 150, 200, 300, 600, 1200, 1800, 2400, 4800, 9600, 19200, 38400,
];
const BAUDS_EX: &[u32] = &[
    0, 57600, 115200, 230400, 460800, 500000, 576000, 921600, 1000000, 1152000, 1500000, 2000000,
    2500000, 3000000, 3500000, 4000000,
];

fn baud(code: u64) -> String {
    let i = (code & 0o17) as usize;
    match code & 0o10000 {
        0 => format!("B{}", BAUDS[i]),
        _ if i == 0 => "BOTHER".into(),
        _ => format!("B{}", BAUDS_EX[i]),
    }
}

/// The kernel's struct termios (c_iflag, c_oflag, c_cflag, c_lflag, c_line, c_cc[19]),
/// abbreviated as strace prints it.
fn termios_at(mem: &mut dyn GuestMem, va: u64) -> String {
    let Some(b) = read_vec(mem, va, 36) else {
        return ptr(va);
    };
    let w = |i: usize| u32::from_le_bytes(b[i * 4..i * 4 + 4].try_into().unwrap()) as u64;
    let (i, o, c, l) = (w(0), w(1), w(2), w(3));
    // output delays first: NLDLY, CRDLY, TABDLY, BSDLY, VTDLY, FFDLY
    let mut of = vec![
        format!("NL{}", (o >> 8) & 1),
        format!("CR{}", (o >> 9) & 3),
        format!("TAB{}", (o >> 11) & 3),
        format!("BS{}", (o >> 13) & 1),
        format!("VT{}", (o >> 14) & 1),
        format!("FF{}", (o >> 15) & 1),
    ];
    let orest = o & !0o177400;
    if orest != 0 {
        of.push(flags(orest, TERM_OFLAGS, "0", "O???"));
    }
    let mut cf = vec![baud(c & 0o10017)];
    let ibaud = (c >> 16) & 0o10017;
    if ibaud != 0 {
        cf.push(format!("{}<<IBSHIFT", baud(ibaud)));
    }
    cf.push(format!("CS{}", 5 + ((c >> 4) & 3)));
    let crest = c & !0o10077 & !(0o10017 << 16);
    if crest != 0 {
        cf.push(flags(crest, TERM_CFLAGS, "0", "C???"));
    }
    format!(
        "{{c_iflag={}, c_oflag={}, c_cflag={}, c_lflag={}, ...}}",
        flags(i, TERM_IFLAGS, "0", "I???"),
        of.join("|"),
        cf.join("|"),
        flags(l, TERM_LFLAGS, "0", "???")
    )
}

fn ioctl_arg(a: &[u64; 6], ret: i64, mem: &mut dyn GuestMem) -> String {
    let (req, arg) = (a[1] as u32 as u64, a[2]);
    let name = IOCTL.iter().find(|e| e.1 == req).map(|e| e.0);
    let input = name.is_some_and(|n| IOCTL_INPUT.contains(&n));
    // an output structure is not there when the call failed
    if (ret < 0 && !input) || arg == 0 {
        return ptr(arg);
    }
    match name {
        Some("TIOCGWINSZ") | Some("TIOCSWINSZ") => match read_vec(mem, arg, 8) {
            Some(b) => {
                let h = |o: usize| u16::from_le_bytes([b[o], b[o + 1]]);
                format!(
                    "{{ws_row={}, ws_col={}, ws_xpixel={}, ws_ypixel={}}}",
                    h(0),
                    h(2),
                    h(4),
                    h(6)
                )
            }
            None => ptr(arg),
        },
        Some("TIOCGPGRP") | Some("TIOCSPGRP") | Some("FIONREAD") | Some("TIOCGSID")
        | Some("TIOCOUTQ") | Some("FIONBIO") => match read_u32(mem, arg) {
            Some(v) => format!("[{}]", v as i32),
            None => ptr(arg),
        },
        Some("TCSBRK") | Some("TCXONC") | Some("TCFLSH") | Some("TIOCSCTTY") => int(arg),
        Some("TCGETS") | Some("TCSETS") | Some("TCSETSW") | Some("TCSETSF") => termios_at(mem, arg),
        _ => ptr(arg),
    }
}

fn fcntl_ret(a: &[u64; 6], ret: i64, _m: &mut dyn GuestMem) -> Option<String> {
    if ret <= 0 {
        return None;
    }
    match a[1] as u32 {
        1 => Some(format!(
            "flags {}",
            flags(ret as u64, &[("FD_CLOEXEC", 1)], "0", "FD_???")
        )),
        3 => Some(format!("flags {}", open_flags(ret as u64))),
        _ => None,
    }
}

fn ppoll_ret(a: &[u64; 6], ret: i64, mem: &mut dyn GuestMem) -> Option<String> {
    if ret == 0 {
        return Some("Timeout".into());
    }
    if ret < 0 {
        return None;
    }
    let fds = pollfds(mem, a[0], a[1], true)?;
    if a[2] != 0 {
        Some(format!("{fds}, left {}", timespec(mem, a[2])))
    } else {
        Some(fds)
    }
}

fn pselect_ret(a: &[u64; 6], ret: i64, mem: &mut dyn GuestMem) -> Option<String> {
    if ret == 0 {
        return Some("Timeout".into());
    }
    if ret < 0 {
        return None;
    }
    let mut parts = Vec::new();
    for (name, va) in [("in", a[1]), ("out", a[2]), ("except", a[3])] {
        if va != 0 {
            let s = fdset(mem, va, a[0])?;
            if s != "[]" {
                parts.push(format!("{name} {s}"));
            }
        }
    }
    if a[4] != 0 {
        parts.push(format!("left {}", timespec(mem, a[4])));
    }
    Some(parts.join(", "))
}

/// Sets the printed arguments and return kind of the call `info` with arguments `a`.
pub fn enter(info: &SyscallInfo, a: [u64; 6], mem: &mut dyn GuestMem) -> (Vec<Slot>, Ret) {
    let mut b = B {
        a,
        mem,
        slots: Vec::new(),
    };
    let mut ret = Ret::Dec;
    match info.name {
        // ---- memory ----
        "mmap" => {
            b.now(ptr(a[0]));
            b.now(a[1].to_string());
            b.now(flags(a[2], PROT, "PROT_NONE", "PROT_???"));
            b.now(mmap_flags(a[3]));
            b.now(int(a[4]));
            b.now(hex(a[5]));
            ret = Ret::Hex;
        }
        "mprotect" | "pkey_mprotect" => {
            b.now(ptr(a[0]));
            b.now(a[1].to_string());
            b.now(flags(a[2], PROT, "PROT_NONE", "PROT_???"));
            b.by_sig(info.sig, 3);
        }
        "munmap" | "mlock" | "munlock" => {
            b.now(ptr(a[0]));
            b.now(a[1].to_string());
        }
        "mremap" => {
            b.now(ptr(a[0]));
            b.now(a[1].to_string());
            b.now(a[2].to_string());
            b.now(flags(a[3], MREMAP, "0", "MREMAP_???"));
            // the new address only means something with MREMAP_MAYMOVE|MREMAP_FIXED
            if a[3] & 3 == 3 {
                b.now(ptr(a[4]));
            }
            ret = Ret::Hex;
        }
        "brk" => {
            b.now(ptr(a[0]));
            ret = Ret::Hex;
        }
        "shmat" => {
            b.by_sig(info.sig, 0);
            ret = Ret::Hex;
        }
        "madvise" => {
            b.now(ptr(a[0]));
            b.now(a[1].to_string());
            b.now(enumv(a[2] as u32 as u64, MADV, "MADV_???"));
        }
        "msync" => {
            b.now(ptr(a[0]));
            b.now(a[1].to_string());
            b.now(flags(a[2], MS, "0", "MS_???"));
        }
        "mlock2" => {
            b.now(ptr(a[0]));
            b.now(a[1].to_string());
            b.now(flags(a[2], &[("MLOCK_ONFAULT", 1)], "0", "MLOCK_???"));
        }
        "mlockall" => b.now(flags(a[0], MCL, "0", "MCL_???")),
        "swapon" => {
            b.path(0);
            let prio = if a[1] & 0x8000 != 0 {
                format!("SWAP_FLAG_PREFER|{}", a[1] & 0x7fff)
            } else {
                String::new()
            };
            let rest = flags(a[1] & !0xffff, SWAP, "", "SWAP_FLAG_???");
            let s = match (prio.is_empty(), rest.is_empty()) {
                (true, true) => hex(a[1] & 0x7fff),
                (false, true) => prio,
                (true, false) => rest,
                (false, false) => format!("{prio}|{rest}"),
            };
            b.now(s);
        }
        // ---- files ----
        "openat" => {
            b.now(dirfd(a[0]));
            b.path(1);
            b.now(open_flags(a[2]));
            if a[2] & 0x40 != 0 || a[2] & 0x400000 != 0 {
                b.now(octal(a[3]));
            }
        }
        "read" | "pread64" => {
            b.now(int(a[0]));
            b.exit(|a, ret, mem| {
                if ret < 0 {
                    ptr(a[1])
                } else {
                    buffer(mem, a[1], ret as u64)
                }
            });
            b.now(a[2].to_string());
            if info.name == "pread64" {
                b.now(long(a[3]));
            }
        }
        "write" | "pwrite64" => {
            b.now(int(a[0]));
            let s = buffer(b.mem, a[1], a[2]);
            b.now(s);
            b.now(a[2].to_string());
            if info.name == "pwrite64" {
                b.now(long(a[3]));
            }
        }
        "readv" | "preadv" => {
            b.now(int(a[0]));
            b.exit(|a, ret, mem| {
                if ret < 0 {
                    ptr(a[1])
                } else {
                    iovec(mem, a[1], a[2], ret as u64)
                }
            });
            b.now(a[2].to_string());
            if info.name == "preadv" {
                b.now(long(a[3]));
            }
        }
        "writev" | "pwritev" => {
            b.now(int(a[0]));
            let s = iovec(b.mem, a[1], a[2], u64::MAX);
            b.now(s);
            b.now(a[2].to_string());
            if info.name == "pwritev" {
                b.now(long(a[3]));
            }
        }
        "lseek" => {
            b.now(int(a[0]));
            b.now(long(a[1]));
            b.now(enumv(a[2] as u32 as u64, SEEK, "SEEK_???"));
        }
        "fstat" => {
            b.now(int(a[0]));
            b.out(1, stat_at);
        }
        "newfstatat" => {
            b.now(dirfd(a[0]));
            b.path(1);
            b.out(2, stat_at);
            b.now(flags(a[3], AT, "0", "AT_???"));
        }
        "statx" => {
            b.now(dirfd(a[0]));
            b.path(1);
            b.now(statx_flags(a[2]));
            b.now(flags(a[3], STATX_MASK, "0", "STATX_???"));
            b.out(4, statx_at);
        }
        "readlinkat" => {
            b.now(dirfd(a[0]));
            b.path(1);
            b.exit(|a, ret, mem| {
                if ret < 0 {
                    ptr(a[2])
                } else {
                    buffer(mem, a[2], ret as u64)
                }
            });
            b.now(a[3].to_string());
        }
        "getdents64" => {
            b.now(int(a[0]));
            b.exit(|a, ret, mem| {
                if ret <= 0 {
                    return ptr(a[1]);
                }
                // count the entries by their d_reclen (u16 at offset 16)
                let mut n = 0;
                let mut off = 0u64;
                // the kernel fills at most `count` bytes; look at no more than 1 MiB
                let end = (ret as u64).min(a[2]).min(1 << 20);
                while off < end {
                    let mut rl = [0u8; 2];
                    if !mem.read(a[1].wrapping_add(off + 16), &mut rl)
                        || u16::from_le_bytes(rl) == 0
                    {
                        return ptr(a[1]);
                    }
                    off += u16::from_le_bytes(rl) as u64;
                    n += 1;
                }
                format!("{} /* {n} entries */", ptr(a[1]))
            });
            b.now(a[2].to_string());
        }
        "faccessat" | "faccessat2" => {
            b.now(dirfd(a[0]));
            b.path(1);
            b.now(flags(a[2], ACCESS, "F_OK", "?_OK"));
            if info.name == "faccessat2" {
                let mut t = vec![("AT_EACCESS", 0x200)];
                t.extend_from_slice(AT);
                b.now(flags(a[3], &t, "0", "AT_???"));
            }
        }
        "unlinkat" => {
            b.now(dirfd(a[0]));
            b.path(1);
            b.now(flags(a[2], &[("AT_REMOVEDIR", 0x200)], "0", "AT_???"));
        }
        "mkdirat" | "fchmodat" | "mknodat" => {
            b.now(dirfd(a[0]));
            b.path(1);
            b.now(if info.name == "mknodat" {
                file_mode(a[2])
            } else {
                octal(a[2])
            });
            b.by_sig(info.sig, 3);
        }
        "getcwd" => {
            b.exit(|a, ret, mem| {
                if ret < 0 {
                    ptr(a[0])
                } else {
                    // ret counts the NUL
                    match read_cstr(mem, a[0], PATH_MAX) {
                        Some((s, more)) => quote(&s, more),
                        None => ptr(a[0]),
                    }
                }
            });
            b.now(a[1].to_string());
        }
        "dup3" => {
            b.now(int(a[0]));
            b.now(int(a[1]));
            b.now(flags(a[2], OPEN, "0", "O_???"));
        }
        "pipe2" => {
            b.exit(fd_pair);
            b.now(flags(a[1], OPEN, "0", "O_???"));
        }
        "fcntl" => {
            b.now(int(a[0]));
            let cmd = a[1] as u32 as u64;
            b.now(enumv(cmd, FCNTL, "F_???"));
            match FCNTL.iter().find(|e| e.1 == cmd).map(|e| e.0) {
                Some("F_GETFD") | Some("F_GETFL") | Some("F_GETOWN") | Some("F_GETSIG")
                | Some("F_GETLEASE") | Some("F_GETPIPE_SZ") | Some("F_GET_SEALS") => {}
                Some("F_SETFD") => b.now(flags(a[2], &[("FD_CLOEXEC", 1)], "0", "FD_???")),
                Some("F_SETFL") => b.now(open_flags(a[2])),
                Some("F_SETSIG") => b.now(signal(a[2])),
                Some("F_DUPFD")
                | Some("F_DUPFD_CLOEXEC")
                | Some("F_SETOWN")
                | Some("F_SETPIPE_SZ") => b.now(int(a[2])),
                _ => b.now(ptr(a[2])),
            }
            ret = Ret::Decorated(fcntl_ret, true);
        }
        "ioctl" => {
            b.now(int(a[0]));
            b.now(ioctl_name(a[1]));
            let req = a[1] as u32 as u64;
            let name = IOCTL.iter().find(|e| e.1 == req).map(|e| e.0);
            if name.is_some_and(|n| IOCTL_INPUT.contains(&n)) {
                // input: read now, before the kernel acts on it
                let s = ioctl_arg(&a, 0, b.mem);
                b.now(s);
            } else {
                b.exit(ioctl_arg);
            }
        }
        "ppoll" => {
            let s = pollfds(b.mem, a[0], a[1], false).unwrap_or_else(|| ptr(a[0]));
            b.now(s);
            b.now((a[1] as u32).to_string());
            let t = timespec(b.mem, a[2]);
            b.now(t);
            let m = sigset(b.mem, a[3], a[4]);
            b.now(m);
            b.now(a[4].to_string());
            ret = Ret::Decorated(ppoll_ret, false);
        }
        "pselect6" => {
            b.now(int(a[0]));
            for i in 1..4 {
                let s = if a[i] == 0 {
                    "NULL".into()
                } else {
                    fdset(b.mem, a[i], a[0]).unwrap_or_else(|| ptr(a[i]))
                };
                b.now(s);
            }
            let t = timespec(b.mem, a[4]);
            b.now(t);
            // the sixth argument points at {const sigset_t *ss, size_t ss_len}
            let m = if a[5] == 0 {
                "NULL".into()
            } else {
                match (read_u64(b.mem, a[5]), read_u64(b.mem, a[5].wrapping_add(8))) {
                    (Some(ss), Some(len)) => format!("{{{}, {len}}}", sigset(b.mem, ss, len)),
                    _ => ptr(a[5]),
                }
            };
            b.now(m);
            ret = Ret::Decorated(pselect_ret, false);
        }
        // ---- processes ----
        "execve" | "execveat" => {
            let (p, argv, envp) = if info.name == "execveat" {
                b.now(dirfd(a[0]));
                (1, a[2], a[3])
            } else {
                (0, a[1], a[2])
            };
            b.path(p);
            let s = argv_array(b.mem, argv);
            b.now(s);
            let n = count_ptrs(b.mem, envp);
            b.now(match n {
                Some(n) if envp != 0 => {
                    format!(
                        "{} /* {n} var{} */",
                        ptr(envp),
                        if n == 1 { "" } else { "s" }
                    )
                }
                _ => ptr(envp),
            });
            if info.name == "execveat" {
                b.now(flags(a[4], AT, "0", "AT_???"));
            }
        }
        "clone" => {
            // riscv64 argument order: flags, newsp, parent_tid, child_tid, tls
            let fl = a[0];
            b.now(format!("child_stack={}", ptr(a[1])));
            b.now(format!("flags={}", clone_flags(fl)));
            if fl & 0x0010_0000 != 0 {
                b.exit(|a, _ret, mem| match read_u32(mem, a[2]) {
                    Some(t) => format!("parent_tid=[{}]", t as i32),
                    None => format!("parent_tid={}", ptr(a[2])),
                });
            }
            if fl & 0x0008_0000 != 0 {
                b.now(format!("tls={}", ptr(a[4])));
            }
            if fl & (0x0020_0000 | 0x0100_0000) != 0 {
                b.now(format!("child_tidptr={}", ptr(a[3])));
            }
        }
        "clone3" => {
            let s = clone_args_at(b.mem, a[0], a[1]);
            if s.starts_with('{') {
                b.slots.push(Slot::Split(s, |a, ret, mem| {
                    // the parent's copy of the new tid, written when the call succeeded
                    let fl = read_u64(mem, a[0]).unwrap_or(0);
                    if ret <= 0 || fl & 0x0010_0000 == 0 {
                        return String::new();
                    }
                    let Some(p) = read_u64(mem, a[0].wrapping_add(24)) else {
                        return String::new();
                    };
                    match read_u32(mem, p) {
                        Some(t) => format!(" => {{parent_tid=[{}]}}", t as i32),
                        None => format!(" => {{parent_tid={}}}", ptr(p)),
                    }
                }));
            } else {
                b.now(s);
            }
            b.now(a[1].to_string());
        }
        "wait4" => {
            b.now(int(a[0]));
            b.exit(|a, ret, mem| {
                if a[1] == 0 {
                    return "NULL".into();
                }
                if ret <= 0 {
                    return ptr(a[1]);
                }
                match read_u32(mem, a[1]) {
                    Some(s) => wait_status(s),
                    None => ptr(a[1]),
                }
            });
            b.now(flags(a[2], WAIT, "0", "W???"));
            b.exit(|a, ret, mem| {
                if a[3] == 0 || ret <= 0 {
                    return ptr(a[3]);
                }
                match read_vec(mem, a[3], 32) {
                    Some(r) => format!(
                        "{{ru_utime={}, ru_stime={}, ...}}",
                        timeval_bytes(&r[0..16]),
                        timeval_bytes(&r[16..32])
                    ),
                    None => ptr(a[3]),
                }
            });
        }
        "exit" | "exit_group" => {
            b.now(int(a[0]));
            ret = Ret::None;
        }
        "rt_sigaction" => {
            b.now(signal(a[0]));
            let s = sigaction_at(b.mem, a[1]);
            b.now(s);
            b.out(2, sigaction_at);
            b.now(a[3].to_string());
        }
        "rt_sigprocmask" => {
            b.now(enumv(a[0] as u32 as u64, SIGPROCMASK, "SIG_???"));
            let s = sigset(b.mem, a[1], a[3]);
            b.now(s);
            b.exit(|a, ret, mem| {
                if ret < 0 {
                    ptr(a[2])
                } else {
                    sigset(mem, a[2], a[3])
                }
            });
            b.now(a[3].to_string());
        }
        "rt_sigsuspend" => {
            let s = sigset(b.mem, a[0], a[1]);
            b.now(s);
            b.now(a[1].to_string());
        }
        "rt_sigpending" => {
            b.exit(|a, ret, mem| {
                if ret < 0 {
                    ptr(a[0])
                } else {
                    sigset(mem, a[0], a[1])
                }
            });
            b.now(a[1].to_string());
        }
        "prlimit64" => {
            b.now(int(a[0]));
            b.now(enumv(a[1] as u32 as u64, RLIMIT, "RLIMIT_???"));
            let s = rlimit_at(b.mem, a[2]);
            b.now(s);
            b.out(3, rlimit_at);
        }
        "getrlimit" | "setrlimit" => {
            b.now(enumv(a[0] as u32 as u64, RLIMIT, "RLIMIT_???"));
            if info.name == "setrlimit" {
                let s = rlimit_at(b.mem, a[1]);
                b.now(s);
            } else {
                b.out(1, rlimit_at);
            }
        }
        "getrandom" => {
            b.exit(|a, ret, mem| {
                if ret < 0 {
                    ptr(a[0])
                } else {
                    buffer_hex(mem, a[0], ret as u64)
                }
            });
            b.now(a[1].to_string());
            b.now(flags(a[2], GRND, "0", "GRND_???"));
        }
        "clock_gettime" | "clock_getres" => {
            b.now(enumv(a[0] as u32 as u64, CLOCK, "CLOCK_???"));
            b.out(1, timespec);
        }
        "clock_settime" => {
            b.now(enumv(a[0] as u32 as u64, CLOCK, "CLOCK_???"));
            let t = timespec(b.mem, a[1]);
            b.now(t);
        }
        "nanosleep" => {
            let t = timespec(b.mem, a[0]);
            b.now(t);
            // the remainder is written only when the sleep is interrupted
            b.exit(|a, ret, mem| {
                if ret == -4 {
                    timespec(mem, a[1])
                } else {
                    ptr(a[1])
                }
            });
        }
        "clock_nanosleep" => {
            b.now(enumv(a[0] as u32 as u64, CLOCK, "CLOCK_???"));
            b.now(flags(a[1], &[("TIMER_ABSTIME", 1)], "0", "TIMER_???"));
            let t = timespec(b.mem, a[2]);
            b.now(t);
            b.exit(|a, ret, mem| {
                if ret == -4 {
                    timespec(mem, a[3])
                } else {
                    ptr(a[3])
                }
            });
        }
        "uname" => b.exit(|a, ret, mem| {
            if ret < 0 {
                return ptr(a[0]);
            }
            // struct utsname: six 65-byte fields
            let field = |mem: &mut dyn GuestMem, i: u64| {
                read_cstr(mem, a[0].wrapping_add(i * 65), 64).map(|(s, _)| quote(&s, false))
            };
            match (field(mem, 0), field(mem, 1)) {
                (Some(s), Some(n)) => format!("{{sysname={s}, nodename={n}, ...}}"),
                _ => ptr(a[0]),
            }
        }),
        "sysinfo" => b.exit(|a, ret, mem| {
            if ret < 0 {
                return ptr(a[0]);
            }
            // struct sysinfo on a 64-bit kernel: longs, then u16 procs and u32 mem_unit
            let Some(s) = read_vec(mem, a[0], 112) else {
                return ptr(a[0]);
            };
            let q = |o: usize| u64::from_le_bytes(s[o..o + 8].try_into().unwrap());
            format!(
                "{{uptime={}, loads=[{}, {}, {}], totalram={}, freeram={}, sharedram={}, \
                 bufferram={}, totalswap={}, freeswap={}, procs={}, totalhigh={}, freehigh={}, \
                 mem_unit={}}}",
                q(0) as i64,
                q(8),
                q(16),
                q(24),
                q(32),
                q(40),
                q(48),
                q(56),
                q(64),
                q(72),
                u16::from_le_bytes([s[80], s[81]]),
                q(88),
                q(96),
                u32::from_le_bytes(s[104..108].try_into().unwrap())
            )
        }),
        "kill" | "tkill" => {
            b.now(int(a[0]));
            b.now(signal(a[1]));
        }
        "tgkill" => {
            b.now(int(a[0]));
            b.now(int(a[1]));
            b.now(signal(a[2]));
        }
        "umask" => {
            b.now(octal(a[0] & 0o777));
            ret = Ret::Octal;
        }
        "socket" => {
            let fam = a[0] as u32 as u64;
            b.now(enumv(fam, AF, "AF_???"));
            let ty = a[1] & 0xf;
            let mut t = enumv(ty, SOCK_TYPE, "SOCK_???");
            if a[1] & !0xf != 0 {
                t.push('|');
                t.push_str(&flags(a[1] & !0xf, SOCK_FLAGS, "", "SOCK_???"));
            }
            b.now(t);
            let proto = a[2] as u32;
            let inet = fam == 2 || fam == 10;
            let p = match (inet, proto) {
                (true, 0) => "IPPROTO_IP".into(),
                (true, 1) => "IPPROTO_ICMP".into(),
                (true, 6) => "IPPROTO_TCP".into(),
                (true, 17) => "IPPROTO_UDP".into(),
                (true, 58) => "IPPROTO_ICMPV6".into(),
                (true, 255) => "IPPROTO_RAW".into(),
                _ => (proto as i32).to_string(),
            };
            b.now(p);
        }
        "getrusage" => {
            let who = match a[0] as u32 as i32 {
                0 => "RUSAGE_SELF".to_string(),
                -1 => "RUSAGE_CHILDREN".into(),
                1 => "RUSAGE_THREAD".into(),
                w => w.to_string(),
            };
            b.now(who);
            b.out(1, rusage_at);
        }
        "times" => b.exit(|a, _ret, mem| match read_vec(mem, a[0], 32) {
            Some(t) if a[0] != 0 => {
                let q = |i: usize| i64::from_le_bytes(t[i * 8..i * 8 + 8].try_into().unwrap());
                format!(
                    "{{tms_utime={}, tms_stime={}, tms_cutime={}, tms_cstime={}}}",
                    q(0),
                    q(1),
                    q(2),
                    q(3)
                )
            }
            _ => ptr(a[0]),
        }),
        "sigaltstack" => {
            let s = stack_t_at(b.mem, a[0]);
            b.now(s);
            b.out(1, stack_t_at);
        }
        "getresuid" | "getresgid" => {
            b.exit(|a, ret, mem| id_at(mem, a[0], ret));
            b.exit(|a, ret, mem| id_at(mem, a[1], ret));
            b.exit(|a, ret, mem| id_at(mem, a[2], ret));
        }
        "getgroups" => {
            b.now(int(a[0]));
            b.exit(|a, ret, mem| {
                if ret < 0 || a[1] == 0 || a[0] == 0 {
                    ptr(a[1])
                } else {
                    id_list(mem, a[1], ret as u64)
                }
            });
        }
        "setgroups" => {
            b.now(int(a[0]));
            let s = if a[1] == 0 {
                "NULL".into()
            } else {
                id_list(b.mem, a[1], a[0] as u32 as u64)
            };
            b.now(s);
        }
        "socketpair" => {
            b.now(enumv(a[0] as u32 as u64, AF, "AF_???"));
            let ty = a[1] & 0xf;
            let mut t = enumv(ty, SOCK_TYPE, "SOCK_???");
            if a[1] & !0xf != 0 {
                t.push('|');
                t.push_str(&flags(a[1] & !0xf, SOCK_FLAGS, "", "SOCK_???"));
            }
            b.now(t);
            b.now(int(a[2]));
            b.exit(|a, ret, mem| {
                if ret < 0 {
                    return ptr(a[3]);
                }
                match (read_u32(mem, a[3]), read_u32(mem, a[3].wrapping_add(4))) {
                    (Some(x), Some(y)) => format!("[{}, {}]", x as i32, y as i32),
                    _ => ptr(a[3]),
                }
            });
        }
        "rt_sigtimedwait" => {
            let s = sigset(b.mem, a[0], a[3]);
            b.now(s);
            b.exit(|a, ret, mem| {
                if ret <= 0 {
                    ptr(a[1])
                } else {
                    siginfo_at(mem, a[1])
                }
            });
            let t = timespec(b.mem, a[2]);
            b.now(t);
            b.now(a[3].to_string());
            ret = Ret::Decorated(|_, ret, _| (ret > 0).then(|| signal(ret as u64)), false);
        }
        "futex" => {
            // the arguments after the op depend on the command, as strace prints them
            let op = a[1] as u32;
            let cmd = op & 0x7f;
            b.now(ptr(a[0]));
            b.now(futex_op(op));
            let val3 = |v: u64| {
                if v as u32 == u32::MAX {
                    "FUTEX_BITSET_MATCH_ANY".to_string()
                } else {
                    hex(v as u32 as u64)
                }
            };
            match cmd {
                0 | 11 => {
                    b.now(int(a[2]));
                    let t = timespec(b.mem, a[3]);
                    b.now(t);
                    if cmd == 11 {
                        b.now(ptr(a[4]));
                    }
                }
                9 => {
                    b.now(int(a[2]));
                    let t = timespec(b.mem, a[3]);
                    b.now(t);
                    b.now(val3(a[5]));
                }
                1 | 2 => b.now(int(a[2])),
                10 => {
                    b.now(int(a[2]));
                    b.now(val3(a[5]));
                }
                3 => {
                    b.now(int(a[2]));
                    b.now(int(a[3]));
                    b.now(ptr(a[4]));
                }
                4 | 5 | 12 => {
                    b.now(int(a[2]));
                    b.now(int(a[3]));
                    b.now(ptr(a[4]));
                    b.now(hex(a[5] as u32 as u64));
                }
                6 | 13 => {
                    let t = timespec(b.mem, a[3]);
                    b.now(t);
                }
                7 | 8 => {}
                _ => b.by_sig(info.sig, 2),
            }
        }
        "set_robust_list" => {
            b.now(ptr(a[0]));
            b.now(a[1].to_string());
        }
        _ => b.by_sig(info.sig, 0),
    }
    (b.slots, ret)
}

fn rusage_at(mem: &mut dyn GuestMem, va: u64) -> String {
    match read_vec(mem, va, 32) {
        Some(r) if va != 0 => format!(
            "{{ru_utime={}, ru_stime={}, ...}}",
            timeval_bytes(&r[0..16]),
            timeval_bytes(&r[16..32])
        ),
        _ => ptr(va),
    }
}

/// stack_t: ss_sp, ss_flags (int), ss_size.
fn stack_t_at(mem: &mut dyn GuestMem, va: u64) -> String {
    if va == 0 {
        return "NULL".into();
    }
    let Some(b) = read_vec(mem, va, 24) else {
        return ptr(va);
    };
    let sp = u64::from_le_bytes(b[0..8].try_into().unwrap());
    let fl = u32::from_le_bytes(b[8..12].try_into().unwrap()) as u64;
    let size = u64::from_le_bytes(b[16..24].try_into().unwrap());
    let ss_flags = &[
        ("SS_ONSTACK", 1),
        ("SS_DISABLE", 2),
        ("SS_AUTODISARM", 1 << 31),
    ];
    format!(
        "{{ss_sp={}, ss_flags={}, ss_size={size}}}",
        ptr(sp),
        flags(fl, ss_flags, "0", "SS_???")
    )
}

/// One uid/gid written by getresuid/getresgid: `[0]`.
fn id_at(mem: &mut dyn GuestMem, va: u64, ret: i64) -> String {
    if ret < 0 || va == 0 {
        return ptr(va);
    }
    match read_u32(mem, va) {
        Some(v) => format!("[{v}]"),
        None => ptr(va),
    }
}

/// A gid_t array of `n` entries: `[0, 4]`.
fn id_list(mem: &mut dyn GuestMem, va: u64, n: u64) -> String {
    let shown = n.min(ARRAY_LIMIT as u64);
    let mut items = Vec::new();
    for i in 0..shown {
        match read_u32(mem, va.wrapping_add(i * 4)) {
            Some(v) => items.push(v.to_string()),
            None if i == 0 => return ptr(va),
            None => break,
        }
    }
    if n > shown {
        items.push("...".into());
    }
    format!("[{}]", items.join(", "))
}

/// siginfo_t for a signal sent by a process (si_signo, si_code, then si_pid, si_uid).
fn siginfo_at(mem: &mut dyn GuestMem, va: u64) -> String {
    let Some(b) = read_vec(mem, va, 24) else {
        return ptr(va);
    };
    let w = |o: usize| i32::from_le_bytes(b[o..o + 4].try_into().unwrap());
    let (signo, code) = (w(0), w(8));
    let code_name = match code {
        0 => "SI_USER".to_string(),
        0x80 => "SI_KERNEL".into(),
        -1 => "SI_QUEUE".into(),
        -2 => "SI_TIMER".into(),
        -3 => "SI_MESGQ".into(),
        -4 => "SI_ASYNCIO".into(),
        -5 => "SI_SIGIO".into(),
        -6 => "SI_TKILL".into(),
        c => c.to_string(),
    };
    let mut s = format!(
        "{{si_signo={}, si_code={code_name}",
        signal(signo as u32 as u64)
    );
    if matches!(code, 0 | -1 | -6) {
        s.push_str(&format!(", si_pid={}, si_uid={}", w(16), w(20) as u32));
    }
    s.push('}');
    s
}

const FUTEX_CMDS: &[&str] = &[
    "FUTEX_WAIT",
    "FUTEX_WAKE",
    "FUTEX_FD",
    "FUTEX_REQUEUE",
    "FUTEX_CMP_REQUEUE",
    "FUTEX_WAKE_OP",
    "FUTEX_LOCK_PI",
    "FUTEX_UNLOCK_PI",
    "FUTEX_TRYLOCK_PI",
    "FUTEX_WAIT_BITSET",
    "FUTEX_WAKE_BITSET",
    "FUTEX_WAIT_REQUEUE_PI",
    "FUTEX_CMP_REQUEUE_PI",
    "FUTEX_LOCK_PI2",
];

/// A futex op: `FUTEX_WAIT_BITSET_PRIVATE|FUTEX_CLOCK_REALTIME`.
fn futex_op(op: u32) -> String {
    let cmd = (op & 0x7f) as usize;
    let mut s = match FUTEX_CMDS.get(cmd) {
        Some(n) if op & 0x80 != 0 => format!("{n}_PRIVATE"),
        Some(n) => n.to_string(),
        None if op & 0x80 != 0 => format!("FUTEX_PRIVATE_FLAG|{cmd:#x}"),
        None => format!("{cmd:#x} /* FUTEX_??? */"),
    };
    if op & 0x100 != 0 {
        s.push_str("|FUTEX_CLOCK_REALTIME");
    }
    let rest = op & !0x1ff;
    if rest != 0 {
        s.push_str(&format!("|{rest:#x}"));
    }
    s
}

/// struct clone_args (clone3), the fields strace shows: those the flags use, and always
/// flags, exit_signal, stack and stack_size.
fn clone_args_at(mem: &mut dyn GuestMem, va: u64, size: u64) -> String {
    if va == 0 {
        return "NULL".into();
    }
    if size < 64 {
        return ptr(va);
    }
    let Some(b) = read_vec(mem, va, 88.min(size as usize)) else {
        return ptr(va);
    };
    let q = |i: usize| {
        b.get(i * 8..i * 8 + 8)
            .map(|s| u64::from_le_bytes(s.try_into().unwrap()))
            .unwrap_or(0)
    };
    let fl = q(0);
    let mut parts = vec![format!("flags={}", flags(fl, CLONE, "0", "CLONE_???"))];
    if fl & 0x1000 != 0 {
        parts.push(format!("pidfd={}", ptr(q(1))));
    }
    if fl & (0x0020_0000 | 0x0100_0000) != 0 {
        parts.push(format!("child_tid={}", ptr(q(2))));
    }
    if fl & 0x0010_0000 != 0 {
        parts.push(format!("parent_tid={}", ptr(q(3))));
    }
    parts.push(format!("exit_signal={}", signal(q(4))));
    parts.push(format!("stack={}", ptr(q(5))));
    parts.push(format!("stack_size={}", hex(q(6))));
    if fl & 0x0008_0000 != 0 {
        parts.push(format!("tls={}", ptr(q(7))));
    }
    if q(9) != 0 {
        parts.push(format!("set_tid={}, set_tid_size={}", ptr(q(8)), q(9)));
    }
    if fl & 0x2_0000_0000 != 0 {
        parts.push(format!("cgroup={}", q(10)));
    }
    format!("{{{}}}", parts.join(", "))
}

/// argv as `["ls", "-l"]`, strings cut at 32 bytes and at most 32 elements.
fn argv_array(mem: &mut dyn GuestMem, va: u64) -> String {
    if va == 0 {
        return "NULL".into();
    }
    let mut items = Vec::new();
    for i in 0.. {
        let Some(p) = read_u64(mem, va.wrapping_add(i * 8)) else {
            if i == 0 {
                return ptr(va);
            }
            items.push(ptr(va.wrapping_add(i * 8)));
            break;
        };
        if p == 0 {
            break;
        }
        if i as usize == ARRAY_LIMIT {
            items.push("...".into());
            break;
        }
        items.push(cstring(mem, p));
    }
    format!("[{}]", items.join(", "))
}

/// The number of pointers before the NULL of a vector (envp), up to a sane bound.
fn count_ptrs(mem: &mut dyn GuestMem, va: u64) -> Option<u64> {
    for i in 0..100_000u64 {
        if read_u64(mem, va.wrapping_add(i * 8))? == 0 {
            return Some(i);
        }
    }
    None
}
