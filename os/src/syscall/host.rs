//! What a program asks about the system: uname(160), sysinfo(179), and socket(198) /
//! socketpair(199), which answer as a Linux kernel built without networking does.

use crate::errno::Errno;
use crate::proc::Process;
use crate::syscall::SysResult;
use mm_core::{VirtAddr, PAGE_SIZE};

/// The kernel's name and release as uname reports them. glibc refuses to start on a kernel
/// older than the one it was configured for (3.0 and later here), so the release is
/// Linux-like: the Linux version whose system calls this kernel follows, then its own
/// name.
pub const SYSNAME: &str = "Linux";
pub const NODENAME: &str = "rvmmu";
pub const RELEASE: &str = "6.1.0-rvmmu";
pub const VERSION: &str = "#1 SMP rvmmu";
pub const MACHINE: &str = "riscv64";
pub const DOMAINNAME: &str = "(none)";

/// uname(buf): struct new_utsname, six NUL-padded 65-byte fields: sysname, nodename,
/// release, version, machine, domainname.
pub fn uname(p: &mut Process, buf: VirtAddr) -> SysResult {
    let mut raw = [0u8; 6 * 65];
    for (i, s) in [SYSNAME, NODENAME, RELEASE, VERSION, MACHINE, DOMAINNAME]
        .into_iter()
        .enumerate()
    {
        raw[i * 65..i * 65 + s.len()].copy_from_slice(s.as_bytes());
    }
    match p.space.copy_out(buf, &raw) {
        Ok(()) => Ok(0),
        Err(_) => Err(Errno::EFAULT),
    }
}

/// /proc/version: `Linux version RELEASE (NODENAME) VERSION`, Linux's first words (its
/// compiler and builder are not told).
pub fn proc_version() -> alloc::string::String {
    alloc::format!("Linux version {RELEASE} ({NODENAME}) {VERSION}\n")
}

/// /proc/sys/kernel/NAME for the names `fs::proc::KERNEL_ENTRIES` lists: uname's fields.
pub fn proc_sys_kernel(name: &str) -> alloc::string::String {
    let v = match name {
        "hostname" => NODENAME,
        "osrelease" => RELEASE,
        _ => SYSNAME,
    };
    alloc::format!("{v}\n")
}

/// sysinfo(info): struct sysinfo (112 bytes on a 64-bit machine): uptime (seconds since
/// boot, rounded up as Linux does), the load averages (0: this kernel keeps none), RAM
/// total and free (the frames the allocator manages, as MemTotal and MemFree), shared
/// (shared anonymous memory), buffers (0), swap total and free, the number of processes,
/// no high memory, and mem_unit 1 (sizes in bytes).
pub fn sysinfo(p: &mut Process, info: VirtAddr) -> SysResult {
    let now = crate::time::now_ns();
    let uptime = now / 1_000_000_000 + u64::from(!now.is_multiple_of(1_000_000_000));
    let procs = crate::proc::with_others(|others| others.len() + 1) as u16;
    let fields: [(usize, u64); 8] = [
        (0, uptime),
        (32, crate::mm::frame::managed_frames() as u64 * PAGE_SIZE),
        (40, crate::mm::frame::free_frames() as u64 * PAGE_SIZE),
        (
            48,
            crate::mm::vmstat::SHMEM_PAGES.load(core::sync::atomic::Ordering::Relaxed) * PAGE_SIZE,
        ),
        (56, 0),
        (64, crate::mm::swapfile::total_pages() * PAGE_SIZE),
        (72, crate::mm::swapfile::free_pages() * PAGE_SIZE),
        (88, 0),
    ];
    let mut raw = [0u8; 112];
    for (off, v) in fields {
        raw[off..off + 8].copy_from_slice(&v.to_le_bytes());
    }
    raw[80..82].copy_from_slice(&procs.to_le_bytes());
    raw[104..108].copy_from_slice(&1u32.to_le_bytes());
    match p.space.copy_out(info, &raw) {
        Ok(()) => Ok(0),
        Err(_) => Err(Errno::EFAULT),
    }
}

/// SOCK_NONBLOCK | SOCK_CLOEXEC, the flags a socket type may carry.
const SOCK_FLAGS: u64 = 0o4000 | 0o2000000;
/// The type's bits, and the number of types Linux knows (SOCK_PACKET + 1).
const SOCK_TYPE_MASK: u64 = 0xf;
const SOCK_MAX: u64 = 11;
/// AF_MAX in Linux 6.1: families at or above it do not exist.
const AF_MAX: u64 = 46;

/// socket(domain, type, protocol) and socketpair(domain, type, protocol, sv): no address
/// family is built into this kernel (no networking, no AF_UNIX), so, after Linux's checks of
/// the type (flags other than SOCK_NONBLOCK and SOCK_CLOEXEC, or a type beyond
/// SOCK_PACKET: EINVAL), every family gets EAFNOSUPPORT, what Linux answers for a family
/// that is not configured.
pub fn socket(p: &Process, nr: u64, domain: u64, ty: u64) -> SysResult {
    let ty = ty as u32 as u64;
    if ty & !SOCK_TYPE_MASK & !SOCK_FLAGS != 0 {
        return Err(Errno::EINVAL);
    }
    let family = domain as i32;
    if family >= 0 && (family as u64) < AF_MAX && ty & SOCK_TYPE_MASK >= SOCK_MAX {
        return Err(Errno::EINVAL);
    }
    log::info!(
        "{}: {} of address family {family}: -EAFNOSUPPORT (no networking)",
        p.name,
        if nr == 199 { "socketpair" } else { "socket" }
    );
    Err(Errno::EAFNOSUPPORT)
}
