//! The kernel's one error type: an error number in Linux's asm-generic numbering (the
//! numbers riscv64 programs see). Kernel functions fail with `Result<T, Errno>`, system
//! calls with `syscall::SysResult` (`Result<i64, Errno>`); only the dispatcher
//! (`syscall::syscall`) turns an error into a0 = -errno ([`Errno::ret`]).

/// An error number (positive, as Linux's `errno.h` numbers them).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct Errno(i32);

/// The numbers, with their names for the logs (asm-generic/errno-base.h and, for
/// ERESTARTSYS, include/linux/errno.h).
macro_rules! errnos {
    ($($(#[$doc:meta])* $name:ident = $n:literal;)*) => {
        // The whole base table is here, used or not, so that `name` knows every number.
        #[allow(dead_code)]
        impl Errno {
            $($(#[$doc])* pub const $name: Errno = Errno($n);)*

            /// The error's name ("EINVAL"), for log lines; "E?" for a number not listed.
            pub fn name(self) -> &'static str {
                match self.0 {
                    $($n => stringify!($name),)*
                    _ => "E?",
                }
            }
        }
    };
}

errnos! {
    EPERM = 1;
    ENOENT = 2;
    ESRCH = 3;
    EINTR = 4;
    EIO = 5;
    ENXIO = 6;
    E2BIG = 7;
    ENOEXEC = 8;
    EBADF = 9;
    ECHILD = 10;
    EAGAIN = 11;
    ENOMEM = 12;
    EACCES = 13;
    EFAULT = 14;
    ENOTBLK = 15;
    EBUSY = 16;
    EEXIST = 17;
    EXDEV = 18;
    ENODEV = 19;
    ENOTDIR = 20;
    EISDIR = 21;
    EINVAL = 22;
    ENFILE = 23;
    EMFILE = 24;
    ENOTTY = 25;
    ETXTBSY = 26;
    EFBIG = 27;
    ENOSPC = 28;
    ESPIPE = 29;
    EROFS = 30;
    EMLINK = 31;
    EPIPE = 32;
    EDOM = 33;
    ERANGE = 34;
    EDEADLK = 35;
    ENAMETOOLONG = 36;
    ENOLCK = 37;
    ENOSYS = 38;
    ENOTEMPTY = 39;
    ELOOP = 40;
    /// Address family not supported by protocol (socket, socketpair: no networking).
    EAFNOSUPPORT = 97;
    /// Not an error a program sees: the call must wait, and runs again when the process
    /// wakes (Linux's internal ERESTARTSYS, the same number).
    ERESTARTSYS = 512;
}

impl Errno {
    /// The system call's return value for this error: -errno.
    pub fn ret(self) -> i64 {
        -i64::from(self.0)
    }
}

impl core::fmt::Display for Errno {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(self.name())
    }
}
