//! A decoder that renders riscv64 Linux system calls the way strace 6.x prints them.
//!
//! Pure functions of the call's number, its six argument registers, its return value and a
//! reader of the calling process's memory ([`GuestMem`]); no guest is needed, so the tests
//! feed it a fake memory. Use:
//!
//! ```
//! use rvmmu::strace::{enter, GuestMem};
//! struct NoMem;
//! impl GuestMem for NoMem {
//!     fn read(&mut self, _va: u64, _buf: &mut [u8]) -> bool { false }
//! }
//! // at the ecall: read the input arguments
//! let pending = enter(222, [0, 8192, 3, 0x22, u64::MAX, 0], &mut NoMem);
//! // at the return: output arguments and the return value
//! let line = pending.finish(0x3fbfe00000, &mut NoMem);
//! assert_eq!(line, "mmap(NULL, 8192, PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_ANONYMOUS, -1, 0) = 0x3fbfe00000");
//! ```
//!
//! Input arguments (paths, buffers being written, structures passed in) are read at
//! [`enter`]; output arguments (read buffers, stat structures, pipe fds, wait status, old
//! signal masks) when the call returns. When another process's line comes in between, the
//! caller prints [`Pending::unfinished`] followed by [`UNFINISHED`], and later
//! [`Pending::resumed`], exactly as strace splits a line. For JSON traces,
//! [`Pending::finish_parts`] gives the pieces ([`CallParts`]).
//!
//! What is decoded is listed in docs/TRACING.md ("Syscall traces"); every other call prints
//! its arguments by its signature in [`table`].

mod consts;
mod decode;
pub mod render;
pub mod table;

use decode::{Ret, Slot};

/// Reads the traced process's memory by virtual address.
pub trait GuestMem {
    /// Fills `buf` from `va`; false if any byte is unreadable (then `buf` is unspecified).
    fn read(&mut self, va: u64, buf: &mut [u8]) -> bool;
}

/// What strace appends to [`Pending::unfinished`]: `read(0,  <unfinished ...>`.
pub const UNFINISHED: &str = " <unfinished ...>";

/// A system call that has been entered and not yet returned.
pub struct Pending {
    name: String,
    args: [u64; 6],
    slots: Vec<Slot>,
    ret: Ret,
    /// Some read of an input argument failed at entry.
    unread: bool,
}

/// A [`GuestMem`] that notes whether a read failed at its first byte: an argument that
/// could not be shown. (A read that fails only further on is a renderer looking past the
/// end of a string's page, which it then reads byte by byte.)
struct Watched<'m> {
    mem: &'m mut dyn GuestMem,
    failed: bool,
}

impl GuestMem for Watched<'_> {
    fn read(&mut self, va: u64, buf: &mut [u8]) -> bool {
        let ok = self.mem.read(va, buf);
        if !ok && (buf.len() <= 1 || !self.mem.read(va, &mut [0u8])) {
            self.failed = true;
        }
        ok
    }
}

/// The pieces of one finished call, for structured (JSON) traces.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallParts {
    /// The call's name (`syscall_0x1f4` for a number riscv64 does not have).
    pub name: String,
    /// Each printed argument, rendered as in the text line.
    pub args: Vec<String>,
    /// The return value as printed after `= `: `0`, `0x3fbfe00000`, `-1`, `?`.
    pub ret: String,
    /// The error or restart name for a failed call: `ENOMEM`, `ERESTARTSYS`.
    pub errno: Option<String>,
    /// What follows in parentheses: the errno's message (`Cannot allocate memory`), or a
    /// successful call's decoded extra (`Timeout`, `flags O_RDONLY`).
    pub detail: Option<String>,
}

impl CallParts {
    /// The text line strace prints for these pieces (without a `[pid N] ` prefix).
    pub fn line(&self) -> String {
        format!(
            "{}({}) = {}",
            self.name,
            self.args.join(", "),
            self.ret_text()
        )
    }

    /// One JSON object: `{"name":"mmap","args":["NULL","4096",...],"ret":"-1",
    /// "errno":"ENOMEM","detail":"Cannot allocate memory"}` (`errno` and `detail` are `null`
    /// when absent). Strings are escaped for JSON, so the C escapes of rendered strings
    /// arrive intact.
    pub fn json(&self) -> String {
        let opt = |o: &Option<String>| o.as_deref().map_or("null".to_string(), json_str);
        let args: Vec<String> = self.args.iter().map(|a| json_str(a)).collect();
        format!(
            "{{\"name\":{},\"args\":[{}],\"ret\":{},\"errno\":{},\"detail\":{}}}",
            json_str(&self.name),
            args.join(","),
            json_str(&self.ret),
            opt(&self.errno),
            opt(&self.detail)
        )
    }

    /// Everything after `= `: `-1 ENOENT (No such file or directory)`.
    pub fn ret_text(&self) -> String {
        let mut s = self.ret.clone();
        if let Some(e) = &self.errno {
            s.push(' ');
            s.push_str(e);
        }
        if let Some(d) = &self.detail {
            s.push_str(&format!(" ({d})"));
        }
        s
    }
}

/// `s` as a JSON string literal.
fn json_str(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

impl std::fmt::Debug for Pending {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pending")
            .field("name", &self.name)
            .field("args", &self.args)
            .field("unfinished", &self.unfinished())
            .finish()
    }
}

/// The name of system call `nr` in riscv64's (asm-generic) table.
pub fn syscall_name(nr: u64) -> Option<&'static str> {
    table::lookup(nr).map(|e| e.name)
}

/// Starts decoding call `nr` with argument registers `args` (a0..a5): reads the input
/// arguments from `mem` now, before the kernel can change them.
pub fn enter(nr: u64, args: [u64; 6], mem: &mut dyn GuestMem) -> Pending {
    match table::lookup(nr) {
        Some(info) => {
            let mut watched = Watched { mem, failed: false };
            let (slots, ret) = decode::enter(info, args, &mut watched);
            Pending {
                name: info.name.to_string(),
                args,
                slots,
                ret,
                unread: watched.failed,
            }
        }
        // strace prints an unknown number as syscall_0x…, with all six registers in hex.
        None => Pending {
            name: format!("syscall_{nr:#x}"),
            args,
            slots: args.iter().map(|&a| Slot::Now(render::hex(a))).collect(),
            ret: Ret::Dec,
            unread: false,
        },
    }
}

/// [`enter`], also given the stack pointer (`sp`, x2) at the `ecall`: rt_sigreturn is then
/// shown with the signal mask it restores, `rt_sigreturn({mask=[INT]})`, read from the signal
/// frame at `sp` (Linux's riscv64 `struct rt_sigframe`: a 128-byte siginfo, then the ucontext,
/// whose `uc_sigmask` is 40 bytes in). Without it, [`enter`] prints `rt_sigreturn()`.
pub fn enter_with_sp(nr: u64, args: [u64; 6], sp: u64, mem: &mut dyn GuestMem) -> Pending {
    let mut p = enter(nr, args, mem);
    if nr == 139 {
        let mask = render::sigset(mem, sp.wrapping_add(128 + 40), 8);
        let shown = if mask.starts_with(['[', '~']) {
            format!("{{mask={mask}}}")
        } else {
            render::ptr(sp)
        };
        p.slots = vec![Slot::Now(shown)];
    }
    p
}

impl Pending {
    /// The call's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Whether every input argument could be read at entry. A pointer argument into a page
    /// the process has not touched yet is unreadable then (the kernel's own access faults
    /// it in); a tracer may call [`enter`] again at the return to show it.
    pub fn inputs_read(&self) -> bool {
        !self.unread
    }

    /// The arguments complete at entry: the leading ones up to the first output argument.
    fn entry_count(&self) -> usize {
        self.slots
            .iter()
            .position(|s| !matches!(s, Slot::Now(_)))
            .unwrap_or(self.slots.len())
    }

    /// The start of a line cut by another process's output: `read(0, ` when an output
    /// argument follows, `write(1, "hi\n", 3` when all arguments are known,
    /// `clone3({flags=...}` when an argument is completed at exit. strace prints
    /// [`UNFINISHED`] after it.
    pub fn unfinished(&self) -> String {
        let k = self.entry_count();
        let known: Vec<&str> = self.slots[..k]
            .iter()
            .map(|s| match s {
                Slot::Now(s) => s.as_str(),
                _ => "",
            })
            .collect();
        let mut s = format!("{}({}", self.name, known.join(", "));
        if k < self.slots.len() && k > 0 {
            s.push_str(", ");
        }
        if let Some(Slot::Split(start, _)) = self.slots.get(k) {
            s.push_str(start);
        }
        s
    }

    /// The pieces of the finished call.
    pub fn finish_parts(self, ret: i64, mem: &mut dyn GuestMem) -> CallParts {
        let args: Vec<String> = self
            .slots
            .iter()
            .map(|s| s.at_exit(&self.args, ret, mem))
            .collect();
        let (ret, errno, detail) = render_ret(self.ret, &self.args, ret, mem);
        CallParts {
            name: self.name,
            args,
            ret,
            errno,
            detail,
        }
    }

    /// The whole line: `openat(AT_FDCWD, "/etc/passwd", O_RDONLY) = 3`.
    pub fn finish(self, ret: i64, mem: &mut dyn GuestMem) -> String {
        self.finish_parts(ret, mem).line()
    }

    /// The end of a line begun by [`Pending::unfinished`]:
    /// `<... read resumed>"abc", 1024) = 3`.
    pub fn resumed(self, ret: i64, mem: &mut dyn GuestMem) -> String {
        let k = self.entry_count();
        let name = self.name.clone();
        // the part of a split argument printed before the cut
        let printed = match self.slots.get(k) {
            Some(Slot::Split(start, _)) => start.len(),
            _ => 0,
        };
        let parts = self.finish_parts(ret, mem);
        let mut rest = parts.args[k..].to_vec();
        if let Some(first) = rest.first_mut() {
            first.drain(..printed);
        }
        format!(
            "<... {name} resumed>{}) = {}",
            rest.join(", "),
            parts.ret_text()
        )
    }
}

/// The kernel's restart codes, which a traced process can see returned: strace prints them
/// as `? ERESTARTSYS (To be restarted if SA_RESTART is set)`.
const RESTARTS: &[(i64, &str, &str)] = &[
    (512, "ERESTARTSYS", "To be restarted if SA_RESTART is set"),
    (513, "ERESTARTNOINTR", "To be restarted"),
    (514, "ERESTARTNOHAND", "To be restarted if no handler"),
    (516, "ERESTART_RESTARTBLOCK", "Interrupted by signal"),
];

/// Other kernel-internal error codes (515, 517..=531): strace knows their names; glibc has no
/// message for them.
const INTERNAL_ERRNOS: &[(i64, &str)] = &[
    (515, "ENOIOCTLCMD"),
    (517, "EPROBE_DEFER"),
    (518, "EOPENSTALE"),
    (519, "ENOPARAM"),
    (521, "EBADHANDLE"),
    (522, "ENOTSYNC"),
    (523, "EBADCOOKIE"),
    (524, "ENOTSUPP"),
    (525, "ETOOSMALL"),
    (526, "ESERVERFAULT"),
    (527, "EBADTYPE"),
    (528, "EJUKEBOX"),
    (529, "EIOCBQUEUED"),
    (530, "ERECALLCONFLICT"),
    (531, "ENOGRACE"),
];

/// The errno name and glibc's message for `e` (positive), if Linux defines it.
pub fn errno_name(e: i64) -> Option<(&'static str, &'static str)> {
    consts::ERRNOS
        .iter()
        .find(|x| x.0 as i64 == e)
        .map(|x| (x.1, x.2))
}

fn render_ret(
    kind: Ret,
    args: &[u64; 6],
    ret: i64,
    mem: &mut dyn GuestMem,
) -> (String, Option<String>, Option<String>) {
    if let Ret::None = kind {
        return ("?".into(), None, None);
    }
    if (-4095..0).contains(&ret) {
        let e = -ret;
        if let Some(r) = RESTARTS.iter().find(|r| r.0 == e) {
            return ("?".into(), Some(r.1.into()), Some(r.2.into()));
        }
        if let Some((name, msg)) = errno_name(e) {
            return ("-1".into(), Some(name.into()), Some(msg.into()));
        }
        if let Some(x) = INTERNAL_ERRNOS.iter().find(|x| x.0 == e) {
            return (
                "-1".into(),
                Some(x.1.into()),
                Some(format!("Unknown error {e}")),
            );
        }
        return ("-1".into(), None, Some(format!("errno {e}")));
    }
    match kind {
        Ret::Hex => (render::hex(ret as u64), None, None),
        Ret::Octal => (render::octal(ret as u64), None, None),
        Ret::Decorated(f, hex) => match f(args, ret, mem) {
            Some(d) if hex => (format!("{:#x}", ret as u64), None, Some(d)),
            Some(d) => (ret.to_string(), None, Some(d)),
            None => (ret.to_string(), None, None),
        },
        Ret::Dec | Ret::None => (ret.to_string(), None, None),
    }
}

#[cfg(test)]
mod tests;
