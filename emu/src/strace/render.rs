//! Rendering building blocks in strace's style: numbers, flag sets, enumerations, quoted
//! strings and buffers, signal sets, and the reads from guest memory they need.

use super::consts;
use super::GuestMem;

/// strace's default `-s 32`: the longest string or buffer shown before `...`.
pub const STRING_LIMIT: usize = 32;
/// strace's cap on the elements of an array shown before `...` (the same number as `-s`).
pub const ARRAY_LIMIT: usize = 32;
/// Paths are printed whole up to PATH_MAX, whatever `-s` says.
pub const PATH_MAX: usize = 4096;

/// `NULL` or the address in hex.
pub fn ptr(v: u64) -> String {
    if v == 0 {
        "NULL".into()
    } else {
        format!("{v:#x}")
    }
}

/// The low 32 bits as a C `int`.
pub fn int(v: u64) -> String {
    (v as u32 as i32).to_string()
}

/// A 64-bit signed decimal.
pub fn long(v: u64) -> String {
    (v as i64).to_string()
}

/// `0` or `0x…`.
pub fn hex(v: u64) -> String {
    if v == 0 {
        "0".into()
    } else {
        format!("{v:#x}")
    }
}

/// A mode or umask: octal with a leading 0 and at least three digits (`000`, `022`, `0644`).
pub fn octal(v: u64) -> String {
    format!("0{:02o}", v)
}

/// `AT_FDCWD` or the descriptor.
pub fn dirfd(v: u64) -> String {
    if v as u32 as i32 == -100 {
        "AT_FDCWD".into()
    } else {
        int(v)
    }
}

/// A flag set: the names of `table` whose bits are all set, in table order, joined by `|`,
/// then any bits left over in hex. `zero` is printed for 0 (strace's `PROT_NONE`, `0`). With
/// no known bit at all, the hex value is followed by a `/* PREFIX_??? */` comment.
pub fn flags(v: u64, table: &[(&str, u64)], zero: &str, unknown: &str) -> String {
    if v == 0 {
        return zero.into();
    }
    let mut out = String::new();
    let mut left = v;
    for &(name, bit) in table {
        if bit != 0 && left & bit == bit {
            if !out.is_empty() {
                out.push('|');
            }
            out.push_str(name);
            left &= !bit;
        }
    }
    if left != 0 {
        if out.is_empty() {
            return format!("{left:#x} /* {unknown} */");
        }
        out.push_str(&format!("|{left:#x}"));
    }
    out
}

/// An enumeration value by name, or the number with a `/* PREFIX_??? */` comment.
pub fn enumv(v: u64, table: &[(&str, u64)], unknown: &str) -> String {
    match table.iter().find(|e| e.1 == v) {
        Some(e) => e.0.into(),
        None => format!("{v:#x} /* {unknown} */"),
    }
}

/// A signal number as strace names it: `SIGINT`, `SIGRTMIN`, `SIGRT_3`, or the number.
pub fn signal(v: u64) -> String {
    let n = v as u32 as i32;
    match n {
        1..=31 => consts::SIGNAL[n as usize - 1].0.into(),
        32 => "SIGRTMIN".into(),
        33..=64 => format!("SIGRT_{}", n - 32),
        _ => n.to_string(),
    }
}

/// A signal's name inside a set: `INT`, `RTMIN`, `RT_1`.
fn set_member(sig: u32) -> String {
    signal(sig as u64)
        .strip_prefix("SIG")
        .map(str::to_owned)
        .unwrap_or_else(|| sig.to_string())
}

/// A signal set of `bytes` (little endian, bit n-1 = signal n) as `[INT TERM]`, or, when more
/// than half the signals are in it, as the complement `~[RTMIN RT_1]` (`~[]` for all).
pub fn sigset_bytes(bytes: &[u8]) -> String {
    let nbits = bytes.len() as u32 * 8;
    let is_set = |sig: u32| bytes[(sig - 1) as usize / 8] >> ((sig - 1) % 8) & 1 == 1;
    let count = (1..=nbits).filter(|&s| is_set(s)).count() as u32;
    let invert = count * 2 > nbits;
    let names: Vec<String> = (1..=nbits)
        .filter(|&s| is_set(s) != invert)
        .map(set_member)
        .collect();
    format!("{}[{}]", if invert { "~" } else { "" }, names.join(" "))
}

/// The signal set at `va` of `size` bytes (rt_* calls pass 8), or its address when it cannot
/// be read or the size is not one a sigset can have.
pub fn sigset(mem: &mut dyn GuestMem, va: u64, size: u64) -> String {
    if va == 0 {
        return "NULL".into();
    }
    if size == 0 || size > 128 || size % 4 != 0 {
        return ptr(va);
    }
    match read_vec(mem, va, size as usize) {
        Some(b) => sigset_bytes(&b),
        None => ptr(va),
    }
}

/// `len` bytes at `va`, or None when any of them is unreadable. Read a page at a time so a
/// reader that works by page sees no read crossing a page boundary.
pub fn read_vec(mem: &mut dyn GuestMem, va: u64, len: usize) -> Option<Vec<u8>> {
    let mut buf = vec![0u8; len];
    let mut done = 0usize;
    while done < len {
        let at = va.wrapping_add(done as u64);
        let chunk = (4096 - (at & 4095) as usize).min(len - done);
        if !mem.read(at, &mut buf[done..done + chunk]) {
            return None;
        }
        done += chunk;
    }
    Some(buf)
}

pub fn read_u64(mem: &mut dyn GuestMem, va: u64) -> Option<u64> {
    let mut b = [0u8; 8];
    mem.read(va, &mut b).then(|| u64::from_le_bytes(b))
}

pub fn read_u32(mem: &mut dyn GuestMem, va: u64) -> Option<u32> {
    let mut b = [0u8; 4];
    mem.read(va, &mut b).then(|| u32::from_le_bytes(b))
}

/// A NUL-terminated string of at most `max` bytes at `va`: the bytes before the NUL and
/// whether the string went on past `max`. None if its first byte is unreadable or it runs
/// into unreadable memory before a NUL within `max + 1` bytes.
pub fn read_cstr(mem: &mut dyn GuestMem, va: u64, max: usize) -> Option<(Vec<u8>, bool)> {
    let mut out = Vec::new();
    let mut at = va;
    loop {
        let want = max + 1 - out.len();
        let chunk = (4096 - (at & 4095) as usize).min(want).min(256);
        let mut buf = vec![0u8; chunk];
        if !mem.read(at, &mut buf) {
            // The page may end the string's readable part: try byte by byte to the NUL.
            for _ in 0..chunk {
                let mut b = [0u8];
                if !mem.read(at, &mut b) {
                    return None;
                }
                if b[0] == 0 {
                    return Some((out, false));
                }
                out.push(b[0]);
                at = at.wrapping_add(1);
            }
        } else if let Some(nul) = buf.iter().position(|&b| b == 0) {
            out.extend_from_slice(&buf[..nul]);
            return Some((out, false));
        } else {
            out.extend_from_slice(&buf);
            at = at.wrapping_add(chunk as u64);
        }
        if out.len() > max {
            out.truncate(max);
            return Some((out, true));
        }
    }
}

/// Bytes in double quotes with C escapes, `...` after the closing quote if `more`.
/// Printable ASCII stays; `"` and `\` are escaped; \t \n \v \f \r by name; other bytes in
/// octal, as short as possible unless an octal digit follows (then three digits).
pub fn quote(bytes: &[u8], more: bool) -> String {
    let mut s = String::with_capacity(bytes.len() + 4);
    s.push('"');
    for (i, &b) in bytes.iter().enumerate() {
        match b {
            b'"' => s.push_str("\\\""),
            b'\\' => s.push_str("\\\\"),
            b'\t' => s.push_str("\\t"),
            b'\n' => s.push_str("\\n"),
            0x0b => s.push_str("\\v"),
            0x0c => s.push_str("\\f"),
            b'\r' => s.push_str("\\r"),
            0x20..=0x7e => s.push(b as char),
            _ => {
                let next_is_digit = matches!(bytes.get(i + 1), Some(b'0'..=b'7'));
                if next_is_digit {
                    s.push_str(&format!("\\{b:03o}"));
                } else {
                    s.push_str(&format!("\\{b:o}"));
                }
            }
        }
    }
    s.push('"');
    if more {
        s.push_str("...");
    }
    s
}

/// Bytes as `"\x12\x34"` (strace forces hex for random data such as getrandom's buffer).
pub fn quote_hex(bytes: &[u8], more: bool) -> String {
    let mut s = String::from("\"");
    for b in bytes {
        s.push_str(&format!("\\x{b:02x}"));
    }
    s.push('"');
    if more {
        s.push_str("...");
    }
    s
}

/// A buffer of `len` bytes at `va`, shown up to [`STRING_LIMIT`] bytes; its address if
/// unreadable.
pub fn buffer(mem: &mut dyn GuestMem, va: u64, len: u64) -> String {
    buffer_with(mem, va, len, quote)
}

/// [`buffer`] with the hex-forcing quoting.
pub fn buffer_hex(mem: &mut dyn GuestMem, va: u64, len: u64) -> String {
    buffer_with(mem, va, len, quote_hex)
}

fn buffer_with(mem: &mut dyn GuestMem, va: u64, len: u64, q: fn(&[u8], bool) -> String) -> String {
    if va == 0 {
        return "NULL".into();
    }
    let shown = (len as usize).min(STRING_LIMIT);
    match read_vec(mem, va, shown) {
        Some(b) => q(&b, len as usize > shown),
        None => ptr(va),
    }
}

/// A NUL-terminated string cut at [`STRING_LIMIT`]; its address if unreadable.
pub fn cstring(mem: &mut dyn GuestMem, va: u64) -> String {
    if va == 0 {
        return "NULL".into();
    }
    match read_cstr(mem, va, STRING_LIMIT) {
        Some((b, more)) => quote(&b, more),
        None => ptr(va),
    }
}

/// A path: the whole string up to PATH_MAX; its address if unreadable.
pub fn path(mem: &mut dyn GuestMem, va: u64) -> String {
    if va == 0 {
        return "NULL".into();
    }
    match read_cstr(mem, va, PATH_MAX) {
        Some((b, more)) => quote(&b, more),
        None => ptr(va),
    }
}

/// A file mode as in stat structures: `S_IFREG|S_ISUID|0755`.
pub fn file_mode(mode: u64) -> String {
    const TYPES: &[(&str, u64)] = &[
        ("S_IFSOCK", 0o140000),
        ("S_IFLNK", 0o120000),
        ("S_IFREG", 0o100000),
        ("S_IFBLK", 0o060000),
        ("S_IFDIR", 0o040000),
        ("S_IFCHR", 0o020000),
        ("S_IFIFO", 0o010000),
    ];
    let mut parts = Vec::new();
    let ty = mode & 0o170000;
    if ty != 0 {
        match TYPES.iter().find(|t| t.1 == ty) {
            Some(t) => parts.push(t.0.to_string()),
            None => parts.push(format!("{ty:#o}")),
        }
    }
    for (name, bit) in [
        ("S_ISUID", 0o4000),
        ("S_ISGID", 0o2000),
        ("S_ISVTX", 0o1000),
    ] {
        if mode & bit != 0 {
            parts.push(name.into());
        }
    }
    parts.push(octal(mode & 0o777));
    parts.join("|")
}

/// A timespec `{tv_sec=1, tv_nsec=500}` at `va`; NULL or its address when not readable.
pub fn timespec(mem: &mut dyn GuestMem, va: u64) -> String {
    if va == 0 {
        return "NULL".into();
    }
    match read_vec(mem, va, 16) {
        Some(b) => {
            let sec = i64::from_le_bytes(b[0..8].try_into().unwrap());
            let nsec = i64::from_le_bytes(b[8..16].try_into().unwrap());
            format!("{{tv_sec={sec}, tv_nsec={nsec}}}")
        }
        None => ptr(va),
    }
}

/// A timeval `{tv_sec=1, tv_usec=500}` from 16 bytes.
pub fn timeval_bytes(b: &[u8]) -> String {
    let sec = i64::from_le_bytes(b[0..8].try_into().unwrap());
    let usec = i64::from_le_bytes(b[8..16].try_into().unwrap());
    format!("{{tv_sec={sec}, tv_usec={usec}}}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoting_follows_strace() {
        assert_eq!(quote(b"hello\tworld\n", false), r#""hello\tworld\n""#);
        // \0 then a digit takes three digits; \33 before a letter stays short.
        assert_eq!(quote(b"\x00\x1bx\x7f\xff0", false), r#""\0\33x\177\3770""#);
        assert_eq!(quote(b"a\"b\\", true), r#""a\"b\\"..."#);
        assert_eq!(quote(b"\x000", false), r#""\0000""#);
        assert_eq!(quote_hex(&[0x02, 0xa6], false), r#""\x02\xa6""#);
    }

    #[test]
    fn flag_sets() {
        assert_eq!(flags(0, consts::PROT, "PROT_NONE", "PROT_???"), "PROT_NONE");
        assert_eq!(
            flags(3, consts::PROT, "PROT_NONE", "PROT_???"),
            "PROT_READ|PROT_WRITE"
        );
        assert_eq!(flags(0x11, consts::PROT, "0", "PROT_???"), "PROT_READ|0x10");
        assert_eq!(
            flags(0x10, consts::PROT, "0", "PROT_???"),
            "0x10 /* PROT_??? */"
        );
        assert_eq!(enumv(4, consts::MADV, "MADV_???"), "MADV_DONTNEED");
        assert_eq!(enumv(0x63, consts::MADV, "MADV_???"), "0x63 /* MADV_??? */");
    }

    #[test]
    fn signals_and_sets() {
        assert_eq!(signal(9), "SIGKILL");
        assert_eq!(signal(32), "SIGRTMIN");
        assert_eq!(signal(40), "SIGRT_8");
        assert_eq!(signal(0), "0");
        let mut set = [0u8; 8];
        set[0] = 0b10; // INT
        set[1] = 0b0100_0000; // TERM (15)
        assert_eq!(sigset_bytes(&set), "[INT TERM]");
        // everything but 32 and 33, as glibc blocks before creating a thread
        let all_but = !(3u64 << 31);
        assert_eq!(sigset_bytes(&all_but.to_le_bytes()), "~[RTMIN RT_1]");
        assert_eq!(sigset_bytes(&[0xff; 8]), "~[]");
        assert_eq!(sigset_bytes(&[0; 8]), "[]");
    }

    #[test]
    fn modes() {
        assert_eq!(octal(0), "000");
        assert_eq!(octal(0o22), "022");
        assert_eq!(octal(0o644), "0644");
        assert_eq!(file_mode(0o100644), "S_IFREG|0644");
        assert_eq!(file_mode(0o41777), "S_IFDIR|S_ISVTX|0777");
        assert_eq!(dirfd(-100i64 as u64), "AT_FDCWD");
    }
}
