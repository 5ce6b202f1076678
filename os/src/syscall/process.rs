//! execve(221): a program from the initramfs replaces the calling process's; nanosleep(101)
//! and clock_nanosleep(115): the process sleeps until a time (clone, wait4, exit and the
//! scheduler are in `proc/`).
use crate::arch::trap::TrapFrame;
use crate::errno::Errno;
use crate::fs::files::{self, File};
use crate::proc::{self, exec, Process, Wait};
use crate::syscall::SysResult;
use alloc::string::String;
use alloc::vec::Vec;
use mm_core::VirtAddr;
const AT_FDCWD: i64 = -100;
/// Linux's MAX_ARG_STRLEN: one argument or environment string, NUL included (32 pages).
const MAX_ARG_STRLEN: usize = 32 * 4096;
/// Linux's floor for the arguments' total (32 pages), whatever RLIMIT_STACK says.
const ARG_MAX: u64 = 32 * 4096;

/// Reads the NULL-terminated array of string pointers at `va` (NULL itself: no strings,
/// as Linux allows) into `out`, counting bytes in `total` as Linux counts them against
/// the limit: each string with its NUL, plus a pointer's 8 bytes.
fn strings(
    p: &mut Process,
    va: u64,
    out: &mut Vec<String>,
    total: &mut u64,
    limit: u64,
) -> Result<(), Errno> {
    if va == 0 {
        return Ok(());
    }
    for i in 0.. {
        let mut raw = [0u8; 8];
        p.space
            .copy_in(VirtAddr(va).add(i * 8), &mut raw)
            .map_err(|_| Errno::EFAULT)?;
        let ptr = u64::from_le_bytes(raw);
        if ptr == 0 {
            return Ok(());
        }
        // The string, read a page (or less) at a time up to its NUL.
        let mut s = Vec::new();
        let mut chunk = [0u8; 4096];
        loop {
            let at = VirtAddr(ptr).add(s.len() as u64);
            let n = (4096 - (at.0 % 4096)) as usize;
            p.space
                .copy_in(at, &mut chunk[..n])
                .map_err(|_| Errno::EFAULT)?;
            let end = chunk[..n].iter().position(|&b| b == 0);
            s.extend_from_slice(&chunk[..end.unwrap_or(n)]);
            if s.len() + 1 > MAX_ARG_STRLEN {
                return Err(Errno::E2BIG);
            }
            if end.is_some() {
                break;
            }
        }
        *total += s.len() as u64 + 1 + 8;
        if *total > limit {
            return Err(Errno::E2BIG);
        }
        // Arguments are bytes on Linux; ours are kept as text (invalid UTF-8 is replaced).
        out.push(String::from_utf8_lossy(&s).into_owned());
    }
    Ok(())
}

/// execve(path, argv, envp): the file must be an executable regular file of the initramfs
/// (ENOENT, EACCES for a directory or a file without execute permission, ENOEXEC for
/// anything but a static RISC-V ELF); argv and envp are copied from user memory (EFAULT;
/// E2BIG past a quarter of RLIMIT_STACK, within [128 KiB, 6 MiB], as Linux, or for a
/// string over 128 KiB). On success
/// the pid, parent, descriptors and limits stay; the address space, registers and FP
/// state are new, and nothing is returned (the new program starts).
pub fn execve(p: &mut Process, frame: &mut TrapFrame, a: [u64; 6]) -> Result<(), Errno> {
    let [path, argv, envp, ..] = a;
    let path = files::user_path(p, VirtAddr(path))?;
    let file = files::lookup(p, AT_FDCWD, &path)?;
    let (data, mode) = match file {
        File::Initramfs { data, mode, .. } => (data, mode),
        // Directories, the console, /proc files and disks are not executable.
        File::Dir { .. }
        | File::ProcDir { .. }
        | File::Console
        | File::Proc { .. }
        | File::Pipe { .. }
        | File::Null
        | File::Ram { .. }
        | File::BlockDev { .. } => return Err(Errno::EACCES),
    };
    if mode & 0o111 == 0 {
        return Err(Errno::EACCES);
    }
    // Linux's limit on the strings and their pointers: a quarter of RLIMIT_STACK, at most
    // 3/4 of the 8 MiB default stack, at least ARG_MAX (32 pages).
    let limit = (p.limits[proc::rlimit::STACK].cur / 4).clamp(ARG_MAX, (8 << 20) / 4 * 3);
    let (mut args, mut env, mut total) = (Vec::new(), Vec::new(), 0);
    strings(p, argv, &mut args, &mut total, limit)?;
    strings(p, envp, &mut env, &mut total, limit)?;
    let path = String::from_utf8_lossy(&path).into_owned();
    let name = proc::intern(path.rsplit('/').next().unwrap_or(&path));
    let exe = if path.starts_with('/') {
        proc::intern(&absolute(&path))
    } else {
        proc::intern(&absolute(&alloc::format!("{}/{path}", p.cwd)))
    };
    let argv: Vec<&str> = args.iter().map(String::as_str).collect();
    let envp: Vec<&str> = env.iter().map(String::as_str).collect();
    let kernel = match crate::mm::kpt::kernel() {
        Some(k) => k,
        None => return Err(Errno::ENOMEM),
    };
    let prog = exec::Program {
        name,
        image: data,
        path: &path,
    };
    let loaded = match exec::load_for(p.persona, kernel, p.space.asid, prog, &argv, &envp) {
        Ok(l) => l,
        Err(exec::ExecError::Elf(_)) => return Err(Errno::ENOEXEC),
        Err(exec::ExecError::NoMemory) => return Err(Errno::ENOMEM),
        Err(exec::ExecError::Map(_)) => return Err(Errno::ENOMEM),
        Err(exec::ExecError::BadAddress(_)) => return Err(Errno::ENOEXEC),
    };
    log::debug!("pid {}: execve {exe}", p.pid);
    proc::replace_image(p, frame, loaded, name, exe);
    p.files.close_on_exec();
    let stack = p.limits[proc::rlimit::STACK].cur;
    p.space.stack_limit = stack;
    Ok(())
}

/// `path` made absolute (the working directory is always `/`), as /proc/PID/exe shows it.
fn absolute(path: &str) -> String {
    let parts: Vec<&str> = path
        .split('/')
        .filter(|c| !c.is_empty() && *c != ".")
        .collect();
    let mut s = String::new();
    for c in parts {
        s.push('/');
        s.push_str(c);
    }
    s
}

/// clock_nanosleep(clock, flags, req, rem) (nanosleep is CLOCK_MONOTONIC, relative): sleeps
/// until `req` from now, or until the time `req` with TIMER_ABSTIME (1). REALTIME,
/// MONOTONIC and BOOTTIME all count from boot here (see clock_gettime). The deadline is
/// kept while the process sleeps (the call is restarted each time it is woken); the
/// scheduler wakes it on the first tick at or after the deadline, so sleeps are rounded up
/// to the 10 ms tick. No signals interrupt it, so `rem` is never written. EINVAL for
/// another clock or a bad timespec, EFAULT for a bad pointer.
pub fn nanosleep(
    p: &mut Process,
    clock: u64,
    flags: u64,
    req: VirtAddr,
) -> Result<SysResult, Wait> {
    const TIMER_ABSTIME: u64 = 1;
    let now = crate::time::now_ns();
    let until = match p.sleep_until {
        Some(t) if p.restarted => t,
        _ => {
            if !matches!(clock, 0 | 1 | 7) || flags & !TIMER_ABSTIME != 0 {
                return Ok(Err(Errno::EINVAL));
            }
            let mut raw = [0u8; 16];
            if p.space.copy_in(req, &mut raw).is_err() {
                return Ok(Err(Errno::EFAULT));
            }
            let sec = i64::from_le_bytes(raw[..8].try_into().unwrap_or_default());
            let nsec = i64::from_le_bytes(raw[8..].try_into().unwrap_or_default());
            if sec < 0 || !(0..1_000_000_000).contains(&nsec) {
                return Ok(Err(Errno::EINVAL));
            }
            let t = (sec as u64)
                .saturating_mul(1_000_000_000)
                .saturating_add(nsec as u64);
            if flags & TIMER_ABSTIME != 0 {
                t
            } else {
                now.saturating_add(t)
            }
        }
    };
    if now >= until {
        p.sleep_until = None;
        return Ok(Ok(0));
    }
    p.sleep_until = Some(until);
    Err(Wait::Timer(until))
}

/// personality(persona): returns the old persona and, unless `persona` is 0xffffffff (a
/// query), sets it (the argument is an unsigned int: the upper bits are ignored, as on
/// Linux). Kept across execve and inherited by fork; its PER_SEGMENTS bit makes execve
/// load segmented (`proc::seg`).
pub fn personality(p: &mut Process, persona: u64) -> SysResult {
    let old = p.persona;
    let persona = persona as u32;
    if persona != 0xffff_ffff {
        p.persona = persona;
    }
    Ok(i64::from(old))
}
