//! A minimal system-call line formatter for `--trace syscalls`: the call's name (or
//! `syscall_N`), its six arguments in hex, and the return value. It has the interface of
//! the full strace-style decoder (`enter` → [`Pending`], `finish`, `unfinished`, and the
//! [`GuestMem`] reader) so that the decoder replaces it in one place: [`enter`].

/// Reads guest-virtual memory of the calling process (false where unmapped).
pub trait GuestMem {
    fn read(&mut self, va: u64, buf: &mut [u8]) -> bool;
}

/// A call that has entered and not yet returned.
#[derive(Clone, Debug)]
pub struct Pending {
    nr: u64,
    args: [u64; 6],
}

/// riscv64 (asm-generic) numbers of the calls the kernel implements.
const NAMES: &[(u64, &str)] = &[
    (23, "dup"),
    (24, "dup3"),
    (25, "fcntl"),
    (29, "ioctl"),
    (48, "faccessat"),
    (56, "openat"),
    (57, "close"),
    (59, "pipe2"),
    (61, "getdents64"),
    (62, "lseek"),
    (63, "read"),
    (64, "write"),
    (65, "readv"),
    (66, "writev"),
    (67, "pread64"),
    (72, "pselect6"),
    (73, "ppoll"),
    (78, "readlinkat"),
    (79, "newfstatat"),
    (80, "fstat"),
    (93, "exit"),
    (94, "exit_group"),
    (96, "set_tid_address"),
    (99, "set_robust_list"),
    (101, "nanosleep"),
    (113, "clock_gettime"),
    (115, "clock_nanosleep"),
    (124, "sched_yield"),
    (129, "kill"),
    (130, "tkill"),
    (131, "tgkill"),
    (132, "sigaltstack"),
    (133, "rt_sigsuspend"),
    (134, "rt_sigaction"),
    (135, "rt_sigprocmask"),
    (136, "rt_sigpending"),
    (137, "rt_sigtimedwait"),
    (139, "rt_sigreturn"),
    (153, "times"),
    (160, "uname"),
    (165, "getrusage"),
    (166, "umask"),
    (172, "getpid"),
    (173, "getppid"),
    (174, "getuid"),
    (175, "geteuid"),
    (176, "getgid"),
    (177, "getegid"),
    (178, "gettid"),
    (179, "sysinfo"),
    (214, "brk"),
    (215, "munmap"),
    (216, "mremap"),
    (220, "clone"),
    (221, "execve"),
    (222, "mmap"),
    (224, "swapon"),
    (225, "swapoff"),
    (226, "mprotect"),
    (227, "msync"),
    (233, "madvise"),
    (260, "wait4"),
    (261, "prlimit64"),
    (278, "getrandom"),
    (439, "faccessat2"),
];

/// The call's name, if known.
pub fn name(nr: u64) -> Option<&'static str> {
    NAMES.iter().find(|(n, _)| *n == nr).map(|(_, s)| *s)
}

/// Starts a call's line: `nr` entered with `args`.
pub fn enter(nr: u64, args: [u64; 6], _mem: &mut dyn GuestMem) -> Pending {
    Pending { nr, args }
}

impl Pending {
    /// The system-call number.
    pub fn nr(&self) -> u64 {
        self.nr
    }

    fn head(&self) -> String {
        let name = name(self.nr).map_or_else(|| format!("syscall_{}", self.nr), str::to_string);
        let args: Vec<String> = self.args.iter().map(|a| format!("{a:#x}")).collect();
        format!("{name}({}", args.join(", "))
    }

    /// The whole line once the call returned `ret`.
    pub fn finish(self, ret: i64, _mem: &mut dyn GuestMem) -> String {
        format!("{}) = {ret}", self.head())
    }

    /// The line strace prints when another line comes before the call returns.
    pub fn unfinished(&self) -> String {
        format!("{} <unfinished ...>", self.head())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct NoMem;
    impl GuestMem for NoMem {
        fn read(&mut self, _: u64, _: &mut [u8]) -> bool {
            false
        }
    }

    #[test]
    fn names_args_and_returns() {
        let p = enter(222, [0, 4096, 3, 0x22, u64::MAX, 0], &mut NoMem);
        assert_eq!(
            p.unfinished(),
            "mmap(0x0, 0x1000, 0x3, 0x22, 0xffffffffffffffff, 0x0 <unfinished ...>"
        );
        assert_eq!(
            p.finish(-12, &mut NoMem),
            "mmap(0x0, 0x1000, 0x3, 0x22, 0xffffffffffffffff, 0x0) = -12"
        );
        let q = enter(4242, [0; 6], &mut NoMem);
        assert!(q.finish(0, &mut NoMem).starts_with("syscall_4242(0x0,"));
    }
}
