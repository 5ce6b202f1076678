//! System calls from U-mode (`ecall`: number in a7, arguments in a0..a5, result in a0,
//! negative errno on failure; riscv64 uses the asm-generic numbers).
//!
//! This stage: write, exit, exit_group, brk, mprotect, mmap, munmap, mremap, madvise, msync,
//! getpid/gettid/getppid, set_tid_address, set_robust_list, prlimit64, clock_gettime, times,
//! the signal calls (kill, tkill, tgkill, rt_sigaction, rt_sigprocmask, rt_sigreturn,
//! sigaltstack, rt_sigsuspend, rt_sigpending, rt_sigtimedwait, ppoll and pselect6:
//! `proc/signal.rs`),
//! getrandom, sched_yield, swapon and swapoff (`mm/swapfile.rs`); the ids, umask and
//! faccessat(2) (`identity.rs`); uname, sysinfo, socket and socketpair (`host.rs`); readv, writev
//! (`rw.rs`); clone, wait4 and getrusage are in `proc/`, execve and
//! (clock_)nanosleep in `process.rs`, the
//! file calls in `fs/files.rs`. Anything else returns -ENOSYS and
//! logs one line, rate-limited per call number ([`not_implemented`]).

pub mod host;
pub mod identity;
mod mm;
mod process;
mod rw;
mod segmm;

use crate::arch::trap::TrapFrame;
use crate::console;
use crate::errno::Errno;
use crate::fs::files::{self, File};
use crate::proc::{Outcome, Process};
use identity::Which;
use mm_core::ratelimit::{RateLimit, Verdict};
use mm_core::VirtAddr;

/// A system call's result: its a0 value, or the error whose -errno a0 gets (the
/// dispatcher, [`syscall`], makes that conversion, and only it).
pub type SysResult = Result<i64, Errno>;

const SYS_IOCTL: u64 = 29;
const SYS_OPENAT: u64 = 56;
const SYS_CLOSE: u64 = 57;
const SYS_LSEEK: u64 = 62;
const SYS_READ: u64 = 63;
const SYS_PREAD64: u64 = 67;
const SYS_READLINKAT: u64 = 78;
const SYS_NEWFSTATAT: u64 = 79;
const SYS_FSTAT: u64 = 80;
const SYS_WRITE: u64 = 64;
const SYS_WRITEV: u64 = 66;
const SYS_SET_TID_ADDRESS: u64 = 96;
const SYS_SET_ROBUST_LIST: u64 = 99;
const SYS_CLOCK_GETTIME: u64 = 113;
const SYS_KILL: u64 = 129;
const SYS_TKILL: u64 = 130;
const SYS_TGKILL: u64 = 131;
const SYS_RT_SIGPROCMASK: u64 = 135;
const SYS_PSELECT6: u64 = 72;
const SYS_PPOLL: u64 = 73;
const SYS_SIGALTSTACK: u64 = 132;
const SYS_RT_SIGSUSPEND: u64 = 133;
const SYS_RT_SIGACTION: u64 = 134;
const SYS_RT_SIGPENDING: u64 = 136;
const SYS_RT_SIGTIMEDWAIT: u64 = 137;
const SYS_RT_SIGRETURN: u64 = 139;
const SYS_TIMES: u64 = 153;
const SYS_GETPID: u64 = 172;
const SYS_GETPPID: u64 = 173;
const SYS_GETTID: u64 = 178;
const SYS_EXIT: u64 = 93;
const SYS_EXIT_GROUP: u64 = 94;
const SYS_BRK: u64 = 214;
const SYS_PRLIMIT64: u64 = 261;
const SYS_GETRANDOM: u64 = 278;
const SYS_MUNMAP: u64 = 215;
const SYS_MMAP: u64 = 222;
const SYS_MPROTECT: u64 = 226;
const SYS_MREMAP: u64 = 216;
const SYS_SWAPON: u64 = 224;
const SYS_SWAPOFF: u64 = 225;
const SYS_MSYNC: u64 = 227;
const SYS_MADVISE: u64 = 233;
const SYS_SCHED_YIELD: u64 = 124;
const SYS_CLONE: u64 = 220;
const SYS_EXECVE: u64 = 221;
const SYS_WAIT4: u64 = 260;
const SYS_GETRUSAGE: u64 = 165;
const SYS_GETDENTS64: u64 = 61;
const SYS_DUP: u64 = 23;
const SYS_DUP3: u64 = 24;
const SYS_FCNTL: u64 = 25;
const SYS_PIPE2: u64 = 59;
/// ioctl FIONREAD: the bytes a read would find now.
const FIONREAD: u64 = 0x541b;
const SYS_NANOSLEEP: u64 = 101;
const SYS_CLOCK_NANOSLEEP: u64 = 115;
// Credentials, umask, access checks (identity.rs); uname, sysinfo, sockets (host.rs).
const SYS_FACCESSAT: u64 = 48;
const SYS_FACCESSAT2: u64 = 439;
const SYS_SETREGID: u64 = 143;
const SYS_SETGID: u64 = 144;
const SYS_SETREUID: u64 = 145;
const SYS_SETUID: u64 = 146;
const SYS_SETRESUID: u64 = 147;
const SYS_GETRESUID: u64 = 148;
const SYS_SETRESGID: u64 = 149;
const SYS_GETRESGID: u64 = 150;
const SYS_GETGROUPS: u64 = 158;
const SYS_SETGROUPS: u64 = 159;
const SYS_UNAME: u64 = 160;
const SYS_PERSONALITY: u64 = 92;
const SYS_UMASK: u64 = 166;
const SYS_GETUID: u64 = 174;
const SYS_GETEUID: u64 = 175;
const SYS_GETGID: u64 = 176;
const SYS_GETEGID: u64 = 177;
const SYS_SYSINFO: u64 = 179;
const SYS_SOCKET: u64 = 198;
const SYS_SOCKETPAIR: u64 = 199;
const SYS_READV: u64 = 65;
// Process groups and sessions (`proc/jobs.rs`); the working directory (`fs/files.rs`).
const SYS_SETPGID: u64 = 154;
const SYS_GETPGID: u64 = 155;
const SYS_GETSID: u64 = 156;
const SYS_SETSID: u64 = 157;
const SYS_GETCWD: u64 = 17;
const SYS_CHDIR: u64 = 49;
const SYS_FCHDIR: u64 = 50;
const SYS_MKDIRAT: u64 = 34;
const SYS_UNLINKAT: u64 = 35;
const SYS_FTRUNCATE: u64 = 46;

/// Runs the system call in `frame` (number in a7, arguments in a0..a5) for `p`: the
/// process calls here, the rest through [`dispatch`]; a0 gets the result unless the call
/// waits (it runs again then), ends the process or replaces its program.
pub fn syscall(p: &mut Process, frame: &mut TrapFrame) -> Outcome {
    let r = &frame.regs;
    let a = [r[10], r[11], r[12], r[13], r[14], r[15]];
    let nr = r[17];
    crate::kevent::send(
        crate::kevent::kind::SYSCALL_ENTER,
        &[nr, a[0], a[1], a[2], a[3], a[4], a[5]],
    );
    let satp_before = p.space.satp();
    let out = syscall_inner(p, frame, nr, a);
    // The exit record once the call has its answer (one that sleeps runs again, and a
    // process that ends has an exit record instead). An execve that worked answers 0 (a0
    // is the new program's then): it is the one that changed the address space.
    match out {
        Outcome::Resume if nr != SYS_RT_SIGRETURN => {
            let ret = if nr == SYS_EXECVE && p.space.satp() != satp_before {
                0
            } else {
                frame.regs[10]
            };
            crate::kevent::send(crate::kevent::kind::SYSCALL_EXIT, &[nr, ret]);
        }
        Outcome::Yield => crate::kevent::send(crate::kevent::kind::SYSCALL_EXIT, &[nr, 0]),
        Outcome::Sleep(crate::proc::Wait::Console) => {
            crate::kevent::send(crate::kevent::kind::CONSOLE_WAIT, &[])
        }
        _ => {}
    }
    out
}

fn syscall_inner(p: &mut Process, frame: &mut TrapFrame, nr: u64, a: [u64; 6]) -> Outcome {
    let ret = match nr {
        SYS_EXIT | SYS_EXIT_GROUP => {
            return Outcome::End(mm_core::task::Ending::Exited(a[0] as u32 & 0xff))
        }
        SYS_SCHED_YIELD => {
            frame.regs[10] = 0;
            return Outcome::Yield;
        }
        SYS_CLONE => crate::proc::fork(p, frame, a),
        SYS_KILL | SYS_TKILL | SYS_TGKILL => {
            use crate::proc::signal;
            let sent = match nr {
                SYS_KILL => signal::kill(p, a[0] as i64, a[1]),
                SYS_TKILL => signal::tgkill(p, None, a[0] as i64, a[1]),
                _ => signal::tgkill(p, Some(a[0] as i64), a[1] as i64, a[2]),
            };
            if let Some(ending) = sent.end_caller {
                return Outcome::End(ending);
            }
            sent.ret
        }
        SYS_RT_SIGPROCMASK => crate::proc::signal::sigprocmask(p, a[0], a[1], a[2], a[3]),
        SYS_RT_SIGACTION => crate::proc::signal::sigaction(p, a[0], a[1], a[2], a[3]),
        SYS_SIGALTSTACK => crate::proc::signal::sigaltstack(p, frame, a[0], a[1]),
        SYS_RT_SIGPENDING => crate::proc::signal::sigpending(p, a[0], a[1]),
        SYS_RT_SIGRETURN => return crate::proc::signal::sigreturn(p, frame),
        SYS_RT_SIGSUSPEND | SYS_PPOLL | SYS_PSELECT6 | SYS_RT_SIGTIMEDWAIT => {
            use crate::proc::signal;
            let r = match nr {
                SYS_RT_SIGSUSPEND => signal::sigsuspend(p, a[0], a[1]),
                SYS_PPOLL => signal::ppoll(p, a),
                SYS_PSELECT6 => signal::pselect6(p, a),
                _ => signal::sigtimedwait(p, a),
            };
            match r {
                Ok(v) => v,
                Err(w) => return Outcome::Sleep(w),
            }
        }
        SYS_GETRUSAGE => crate::proc::getrusage(p, a[0], a[1]),
        SYS_NANOSLEEP | SYS_CLOCK_NANOSLEEP => {
            let (clock, flags, req) = match nr {
                SYS_NANOSLEEP => (1, 0, a[0]),
                _ => (a[0], a[1], a[2]),
            };
            match process::nanosleep(p, clock, flags, VirtAddr(req)) {
                Ok(v) => v,
                Err(w) => return Outcome::Sleep(w),
            }
        }
        SYS_WAIT4 => match crate::proc::wait4(p, a) {
            Ok(v) => v,
            Err(w) => return Outcome::Sleep(w),
        },
        SYS_EXECVE => match process::execve(p, frame, a) {
            Ok(()) => return Outcome::Resume,
            Err(e) => Err(e),
        },
        _ => dispatch(p, nr, a),
    };
    // Writing to a pipe nobody reads: EPIPE, and SIGPIPE to the writer (SI_USER from
    // itself, as Linux's send_sig; its default action ends the writer).
    if ret == Err(Errno::EPIPE) && matches!(nr, SYS_WRITE | SYS_WRITEV) {
        log::info!(
            "{} (pid {}): SIGPIPE (write to a pipe with no reader)",
            p.name,
            p.pid
        );
        let pid = p.pid as i64;
        let sent = crate::proc::signal::kill(p, pid, crate::proc::SIGPIPE as u64);
        if let Some(ending) = sent.end_caller {
            return Outcome::End(ending);
        }
    }
    // Taken whatever the answer: a call that gave up its sleep (writev returning the bytes
    // of its first buffers when a later one would wait) must not leave it to the next
    // call that sleeps.
    let sleep_on = p.sleep_on.take();
    if ret == Err(Errno::ERESTARTSYS) {
        return Outcome::Sleep(sleep_on.unwrap_or(crate::proc::Wait::Console));
    }
    frame.regs[10] = match ret {
        Ok(v) => v as u64,
        Err(e) => e.ret() as u64,
    };
    Outcome::Resume
}

/// Runs system call `nr` for `p`; returns its result (a0, or the error).
pub fn dispatch(p: &mut Process, nr: u64, a: [u64; 6]) -> SysResult {
    match nr {
        SYS_OPENAT => files::openat(p, a[0] as i64, VirtAddr(a[1]), a[2]),
        SYS_CLOSE => files::close(p, a[0]),
        SYS_LSEEK => files::lseek(p, a[0], a[1] as i64, a[2]),
        SYS_READ => files::read(p, a[0], VirtAddr(a[1]), a[2]),
        SYS_PREAD64 => files::pread64(p, a[0], VirtAddr(a[1]), a[2], a[3] as i64),
        SYS_NEWFSTATAT => files::newfstatat(p, a[0] as i64, VirtAddr(a[1]), VirtAddr(a[2]), a[3]),
        SYS_FSTAT => files::fstat(p, a[0], VirtAddr(a[1])),
        SYS_READLINKAT => files::readlinkat(p, a[0] as i64, VirtAddr(a[1]), VirtAddr(a[2]), a[3]),
        SYS_WRITE => write(p, a[0], VirtAddr(a[1]), a[2]),
        SYS_WRITEV => rw::writev(p, a[0], VirtAddr(a[1]), a[2]),
        SYS_IOCTL => match (p.files.get(a[0]), a[1]) {
            (Some(File::Pipe { id, .. }), FIONREAD) => {
                let n = crate::fs::pipe::queued(id) as i32;
                match p.space.copy_out(VirtAddr(a[2]), &n.to_le_bytes()) {
                    Ok(()) => Ok(0),
                    Err(_) => Err(Errno::EFAULT),
                }
            }
            (Some(File::Console), cmd) => crate::fs::tty::ioctl(p, cmd, a[2]),
            (Some(_), _) => Err(Errno::ENOTTY),
            (None, _) => Err(Errno::EBADF),
        },
        SYS_PIPE2 => files::pipe2(p, VirtAddr(a[0]), a[1]),
        SYS_DUP => files::dup(p, a[0]),
        SYS_DUP3 => files::dup3(p, a[0], a[1], a[2]),
        SYS_FCNTL => files::fcntl(p, a[0], a[1], a[2]),
        // One thread per process: the tid is the pid. init's parent is the kernel (0).
        SYS_SET_TID_ADDRESS => {
            p.clear_child_tid = a[0];
            Ok(p.pid as i64)
        }
        SYS_GETPID | SYS_GETTID => Ok(p.pid as i64),
        SYS_GETPPID => Ok(p.ppid as i64),
        SYS_SET_ROBUST_LIST => set_robust_list(a[1]),
        SYS_BRK => Ok(mm::brk(p, a[0]) as i64),
        SYS_GETRANDOM => getrandom(p, VirtAddr(a[0]), a[1], a[2]),
        SYS_CLOCK_GETTIME => clock_gettime(p, a[0], VirtAddr(a[1])),
        SYS_TIMES => times(p, VirtAddr(a[0])),
        SYS_PRLIMIT64 => prlimit64(p, a[0], a[1], VirtAddr(a[2]), VirtAddr(a[3])),
        SYS_MPROTECT => mm::mprotect(p, a[0], a[1], a[2]),
        SYS_MMAP => mm::mmap(p, a),
        SYS_MUNMAP => mm::munmap(p, a[0], a[1]),
        SYS_MREMAP => mm::mremap(p, a),
        SYS_MADVISE => mm::madvise(p, a[0], a[1], a[2]),
        SYS_MSYNC => mm::msync(p, a[0], a[1], a[2]),
        SYS_GETDENTS64 => files::getdents64(p, a[0], VirtAddr(a[1]), a[2] & 0xffff_ffff),
        SYS_SWAPON => swapon(p, VirtAddr(a[0]), a[1]),
        SYS_SWAPOFF => swapoff(p, VirtAddr(a[0])),
        SYS_FACCESSAT => identity::faccessat(p, a[0] as i64, VirtAddr(a[1]), a[2], 0),
        SYS_FACCESSAT2 => identity::faccessat(p, a[0] as i64, VirtAddr(a[1]), a[2], a[3]),
        SYS_GETUID | SYS_GETEUID => identity::get(p, Which::Uid, nr == SYS_GETEUID),
        SYS_GETGID | SYS_GETEGID => identity::get(p, Which::Gid, nr == SYS_GETEGID),
        SYS_GETRESUID => identity::getres(p, Which::Uid, [a[0], a[1], a[2]]),
        SYS_GETRESGID => identity::getres(p, Which::Gid, [a[0], a[1], a[2]]),
        SYS_SETUID => identity::set(p, Which::Uid, a[0]),
        SYS_SETGID => identity::set(p, Which::Gid, a[0]),
        SYS_SETREUID => identity::setre(p, Which::Uid, a[0], a[1]),
        SYS_SETREGID => identity::setre(p, Which::Gid, a[0], a[1]),
        SYS_SETRESUID => identity::setres(p, Which::Uid, [a[0], a[1], a[2]]),
        SYS_SETRESGID => identity::setres(p, Which::Gid, [a[0], a[1], a[2]]),
        SYS_GETGROUPS => identity::getgroups(p, a[0], a[1]),
        SYS_SETGROUPS => identity::setgroups(p, a[0], a[1]),
        SYS_UMASK => identity::umask(p, a[0]),
        SYS_UNAME => host::uname(p, VirtAddr(a[0])),
        SYS_PERSONALITY => process::personality(p, a[0]),
        SYS_SYSINFO => host::sysinfo(p, VirtAddr(a[0])),
        SYS_SOCKET | SYS_SOCKETPAIR => host::socket(p, nr, a[0], a[1]),
        SYS_READV => rw::readv(p, a[0], VirtAddr(a[1]), a[2]),
        SYS_SETPGID => crate::proc::jobs::setpgid(p, a[0], a[1]),
        SYS_GETPGID => crate::proc::jobs::getpgid_sid(p, a[0], false),
        SYS_GETSID => crate::proc::jobs::getpgid_sid(p, a[0], true),
        SYS_SETSID => crate::proc::jobs::setsid(p),
        SYS_GETCWD => files::getcwd(p, VirtAddr(a[0]), a[1]),
        SYS_CHDIR => files::chdir(p, VirtAddr(a[0])),
        SYS_FCHDIR => files::fchdir(p, a[0]),
        SYS_MKDIRAT => files::mkdirat(p, a[0] as i64, VirtAddr(a[1])),
        SYS_UNLINKAT => files::unlinkat(p, a[0] as i64, VirtAddr(a[1]), a[2]),
        SYS_FTRUNCATE => files::ftruncate(p, a[0], a[1] as i64),
        _ => {
            not_implemented(p, nr);
            Err(Errno::ENOSYS)
        }
    }
}

/// Warning lines about unimplemented calls are rate-limited per call number, as Linux's
/// printk_ratelimit limits a message: 10 lines per 5 s of virtual time, then "N callbacks
/// suppressed" when the next window opens (a program retrying an unimplemented call in a
/// loop must not flood the console). Numbers from 511 on share the last limit.
static NOT_IMPLEMENTED: spin::Mutex<[RateLimit; 512]> =
    spin::Mutex::new([RateLimit::printk(); 512]);

fn not_implemented(p: &Process, nr: u64) {
    let verdict = NOT_IMPLEMENTED.lock()[nr.min(511) as usize].check(crate::time::now_ns());
    if let Verdict::Print { suppressed } = verdict {
        if suppressed > 0 {
            log::warn!("syscall {nr}: {suppressed} callbacks suppressed");
        }
        log::warn!("{}: syscall {nr} not implemented: -ENOSYS", p.name);
    }
}

/// The disk a swapon or swapoff path names: ENOENT when nothing is there, EINVAL when it is
/// not a block device (swap files are not supported).
fn swap_disk(p: &mut Process, path: VirtAddr) -> Result<usize, Errno> {
    let path = files::user_path(p, path)?;
    match files::lookup(p, -100, &path)? {
        File::BlockDev { disk, .. } => Ok(disk as usize),
        _ => Err(Errno::EINVAL),
    }
}

/// swapon(path, flags): enables the disk `path` names as a swap area, with the priority in
/// the flags' low 15 bits when SWAP_FLAG_PREFER (0x8000) is set. The discard flags are
/// accepted and ignored (no discard is done); other bits: EINVAL, as on Linux. EBUSY when
/// the disk is a swap area already, EINVAL when it carries no swap header.
fn swapon(p: &mut Process, path: VirtAddr, flags: u64) -> SysResult {
    const PRIO_MASK: u64 = 0x7fff;
    const PREFER: u64 = 0x8000;
    const DISCARD: u64 = 0x1_0000 | 0x2_0000 | 0x4_0000;
    if flags & !(PRIO_MASK | PREFER | DISCARD) != 0 {
        return Err(Errno::EINVAL);
    }
    let disk = swap_disk(p, path)?;
    let prio = (flags & PREFER != 0).then_some((flags & PRIO_MASK) as i32);
    crate::mm::swapfile::swapon(disk, prio).map(|_| 0)
}

/// swapoff(path): disables the swap area on the disk `path` names (EINVAL when it is none).
fn swapoff(p: &mut Process, path: VirtAddr) -> SysResult {
    let disk = swap_disk(p, path)?;
    crate::mm::swapfile::swapoff(disk, Some(&mut p.space)).map(|()| 0)
}

/// set_robust_list(head, len): Linux accepts only its own head size (24 bytes).
fn set_robust_list(len: u64) -> SysResult {
    if len == 24 {
        Ok(0)
    } else {
        Err(Errno::EINVAL)
    }
}

fn write(p: &mut Process, fd: u64, buf: VirtAddr, len: u64) -> SysResult {
    if let Some(r) = files::write_file(p, fd, buf, len) {
        return r;
    }
    match p.files.get_nonblock(fd) {
        Some((File::Console, _)) => {}
        Some((File::Pipe { id, write: true }, nonblock)) => {
            return crate::fs::pipe::write(p, id, buf, len, nonblock)
        }
        Some((
            File::Proc {
                entry, write: true, ..
            },
            _,
        )) => return crate::fs::proc::write(p, entry, buf, len),
        _ => return Err(Errno::EBADF),
    }
    let mut chunk = [0u8; 256];
    let mut done = 0u64;
    while done < len {
        let n = (len - done).min(chunk.len() as u64) as usize;
        if p.space.copy_in(buf.add(done), &mut chunk[..n]).is_err() {
            // Linux returns what was written before the bad byte, or EFAULT.
            return if done > 0 {
                Ok(done as i64)
            } else {
                Err(Errno::EFAULT)
            };
        }
        console::write_bytes(&chunk[..n]);
        done += n as u64;
    }
    Ok(done as i64)
}

/// The state of [`getrandom`]'s generator.
static RANDOM: spin::Mutex<u64> = spin::Mutex::new(0x853c_49e6_748f_ea9b);

/// getrandom(buf, len, flags): bytes from a generator with a fixed seed (xorshift64*), so
/// that runs are reproducible, as the fixed AT_RANDOM bytes are; not for cryptography.
/// Flags as Linux checks them: GRND_NONBLOCK, GRND_RANDOM, GRND_INSECURE (not with
/// GRND_RANDOM); one call returns at most 32 MiB - 1 bytes.
fn getrandom(p: &mut Process, buf: VirtAddr, len: u64, flags: u64) -> SysResult {
    const GRND_RANDOM: u64 = 2;
    const GRND_INSECURE: u64 = 4;
    if flags & !7 != 0 || flags & (GRND_RANDOM | GRND_INSECURE) == GRND_RANDOM | GRND_INSECURE {
        return Err(Errno::EINVAL);
    }
    let len = len.min((1 << 25) - 1);
    let mut done = 0u64;
    let mut chunk = [0u8; 256];
    while done < len {
        let n = (len - done).min(chunk.len() as u64) as usize;
        {
            let mut s = RANDOM.lock();
            for word in chunk[..n].chunks_mut(8) {
                *s ^= *s >> 12;
                *s ^= *s << 25;
                *s ^= *s >> 27;
                let v = s.wrapping_mul(0x2545_f491_4f6c_dd1d).to_le_bytes();
                word.copy_from_slice(&v[..word.len()]);
            }
        }
        if p.space.copy_out(buf.add(done), &chunk[..n]).is_err() {
            return if done > 0 {
                Ok(done as i64)
            } else {
                Err(Errno::EFAULT)
            };
        }
        done += n as u64;
    }
    Ok(done as i64)
}

/// clock_gettime(clock, tp): REALTIME, MONOTONIC, MONOTONIC_RAW, REALTIME_COARSE,
/// MONOTONIC_COARSE and BOOTTIME all read the time since boot (no RTC, no suspend);
/// PROCESS_CPUTIME_ID and THREAD_CPUTIME_ID (one thread per process) the CPU time the
/// process has used, this call's included. Other clocks (the per-pid CPU clocks among
/// them): EINVAL.
fn clock_gettime(p: &mut Process, clock: u64, tp: VirtAddr) -> SysResult {
    let ns = match clock {
        0 | 1 | 4 | 5 | 6 | 7 => crate::time::now_ns(),
        2 | 3 => {
            let t = p.times_now();
            t.user + t.sys
        }
        _ => {
            crate::ratelimit::warn_ratelimited!(
                "{}: clock_gettime of clock {clock}: -EINVAL",
                p.name
            );
            return Err(Errno::EINVAL);
        }
    };
    let mut raw = [0u8; 16];
    raw[..8].copy_from_slice(&(ns / 1_000_000_000).to_le_bytes());
    raw[8..].copy_from_slice(&(ns % 1_000_000_000).to_le_bytes());
    match p.space.copy_out(tp, &raw) {
        Ok(()) => Ok(0),
        Err(_) => Err(Errno::EFAULT),
    }
}

/// times(buf): the CPU times of the process and of its reaped children (struct tms: utime,
/// stime, cutime, cstime, in clock ticks) when `buf` is not null; returns the clock ticks
/// since boot.
fn times(p: &mut Process, buf: VirtAddr) -> SysResult {
    if buf.0 != 0 {
        let (utime, stime) = p.times_now().ticks();
        let (cutime, cstime) = p.ctimes.ticks();
        let mut raw = [0u8; 32];
        for (i, v) in [utime, stime, cutime, cstime].into_iter().enumerate() {
            raw[i * 8..i * 8 + 8].copy_from_slice(&v.to_le_bytes());
        }
        if p.space.copy_out(buf, &raw).is_err() {
            return Err(Errno::EFAULT);
        }
    }
    Ok(crate::proc::clock_ticks(crate::time::now_ns()) as i64)
}

/// prlimit64(pid, resource, new, old): this process only (pid 0 or its own). init runs as root,
/// so it may raise hard limits too (CAP_SYS_RESOURCE); soft above hard is EINVAL.
fn prlimit64(p: &mut Process, pid: u64, resource: u64, new: VirtAddr, old: VirtAddr) -> SysResult {
    use crate::proc::rlimit::{Limit, NLIMITS, STACK};
    if pid != 0 && pid != p.pid as u64 {
        return Err(Errno::ESRCH);
    }
    let r = resource as usize;
    if r >= NLIMITS {
        return Err(Errno::EINVAL);
    }
    let mut wanted = None;
    if new.0 != 0 {
        let mut raw = [0u8; 16];
        if p.space.copy_in(new, &mut raw).is_err() {
            return Err(Errno::EFAULT);
        }
        let cur = u64::from_le_bytes(raw[..8].try_into().unwrap_or_default());
        let max = u64::from_le_bytes(raw[8..].try_into().unwrap_or_default());
        if cur > max {
            return Err(Errno::EINVAL);
        }
        wanted = Some(Limit { cur, max });
    }
    if old.0 != 0 {
        let l = p.limits[r];
        let mut raw = [0u8; 16];
        raw[..8].copy_from_slice(&l.cur.to_le_bytes());
        raw[8..].copy_from_slice(&l.max.to_le_bytes());
        if p.space.copy_out(old, &raw).is_err() {
            return Err(Errno::EFAULT);
        }
    }
    if let Some(l) = wanted {
        p.limits[r] = l;
        if r == STACK {
            p.space.stack_limit = l.cur;
        }
    }
    Ok(0)
}
