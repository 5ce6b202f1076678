//! Lines the decoder prints for calls made with known arguments over a fake memory. The
//! expected strings follow strace 6.1's output for the same calls (checked on a Linux host:
//! the rendering is the same on riscv64, only the numbers differ).

use super::*;
use std::collections::BTreeMap;

/// Guest memory made of byte runs at fixed addresses; anything else is unreadable.
#[derive(Default)]
struct FakeMem {
    runs: BTreeMap<u64, Vec<u8>>,
}

impl FakeMem {
    fn put(&mut self, va: u64, bytes: &[u8]) -> u64 {
        self.runs.insert(va, bytes.to_vec());
        va
    }
    fn put_str(&mut self, va: u64, s: &str) -> u64 {
        let mut b = s.as_bytes().to_vec();
        b.push(0);
        self.put(va, &b)
    }
    fn put_u64s(&mut self, va: u64, v: &[u64]) -> u64 {
        let b: Vec<u8> = v.iter().flat_map(|x| x.to_le_bytes()).collect();
        self.put(va, &b)
    }
    fn set(&mut self, va: u64, bytes: &[u8]) {
        let (&start, run) = self.runs.range_mut(..=va).next_back().unwrap();
        let off = (va - start) as usize;
        run[off..off + bytes.len()].copy_from_slice(bytes);
    }
}

impl GuestMem for FakeMem {
    fn read(&mut self, va: u64, buf: &mut [u8]) -> bool {
        let Some((&start, run)) = self.runs.range(..=va).next_back() else {
            return false;
        };
        let off = (va - start) as usize;
        if off + buf.len() > run.len() {
            return false;
        }
        buf.copy_from_slice(&run[off..off + buf.len()]);
        true
    }
}

const NEG1: u64 = u64::MAX;
const AT_FDCWD: u64 = -100i64 as u64;

fn a(v: &[u64]) -> [u64; 6] {
    let mut r = [0; 6];
    r[..v.len()].copy_from_slice(v);
    r
}

fn line(nr: u64, args: &[u64], ret: i64, mem: &mut FakeMem) -> String {
    enter(nr, a(args), mem).finish(ret, mem)
}

fn nr(name: &str) -> u64 {
    table::SYSCALLS.iter().find(|e| e.name == name).unwrap().nr
}

#[test]
fn names() {
    assert_eq!(syscall_name(63), Some("read"));
    assert_eq!(syscall_name(222), Some("mmap"));
    assert_eq!(syscall_name(94), Some("exit_group"));
    assert_eq!(syscall_name(435), Some("clone3"));
    assert_eq!(syscall_name(259), Some("riscv_flush_icache"));
    assert_eq!(syscall_name(38), None);
}

#[test]
fn memory_calls() {
    let m = &mut FakeMem::default();
    assert_eq!(
        line(222, &[0, 1073745920, 3, 0x22, NEG1, 0], 0x3fbfe00000, m),
        "mmap(NULL, 1073745920, PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_ANONYMOUS, -1, 0) = 0x3fbfe00000"
    );
    assert_eq!(
        line(222, &[0, 1 << 50, 1, 0x22, NEG1, 0], -12, m),
        "mmap(NULL, 1125899906842624, PROT_READ, MAP_PRIVATE|MAP_ANONYMOUS, -1, 0) = -1 ENOMEM (Cannot allocate memory)"
    );
    // MAP_FIXED_NOREPLACE, MAP_STACK|MAP_NORESERVE in strace's (ascending) order
    assert_eq!(
        line(222, &[0x10000000, 4096, 1, 0x100022, NEG1, 0], 0x10000000, m),
        "mmap(0x10000000, 4096, PROT_READ, MAP_PRIVATE|MAP_ANONYMOUS|MAP_FIXED_NOREPLACE, -1, 0) = 0x10000000"
    );
    assert_eq!(
        line(222, &[0, 1 << 20, 3, 0x20000 | 0x4000 | 0x22, NEG1, 0], 0x3f00000000, m),
        "mmap(NULL, 1048576, PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_ANONYMOUS|MAP_NORESERVE|MAP_STACK, -1, 0) = 0x3f00000000"
    );
    assert_eq!(
        line(222, &[0, 2 << 20, 5, 0x40021 | (21 << 26), NEG1, 0x1000], -22, m),
        "mmap(NULL, 2097152, PROT_READ|PROT_EXEC, MAP_SHARED|MAP_ANONYMOUS|MAP_HUGETLB|21<<MAP_HUGE_SHIFT, -1, 0x1000) = -1 EINVAL (Invalid argument)"
    );
    assert_eq!(
        line(222, &[0x3ff7fd3000, 1400832, 5, 0x812, 3, 0x26000], 0x3ff7fd3000, m),
        "mmap(0x3ff7fd3000, 1400832, PROT_READ|PROT_EXEC, MAP_PRIVATE|MAP_FIXED|MAP_DENYWRITE, 3, 0x26000) = 0x3ff7fd3000"
    );
    assert_eq!(
        line(nr("munmap"), &[0x3f00000000, 4096], 0, m),
        "munmap(0x3f00000000, 4096) = 0"
    );
    assert_eq!(
        line(nr("mprotect"), &[0x3f00000000, 4096, 0], 0, m),
        "mprotect(0x3f00000000, 4096, PROT_NONE) = 0"
    );
    assert_eq!(
        line(nr("brk"), &[0], 0x2000_0000, m),
        "brk(NULL) = 0x20000000"
    );
    assert_eq!(
        line(
            nr("mremap"),
            &[0x3f00000000, 1 << 20, 2 << 20, 1, 0],
            0x3f10000000,
            m
        ),
        "mremap(0x3f00000000, 1048576, 2097152, MREMAP_MAYMOVE) = 0x3f10000000"
    );
    assert_eq!(
        line(
            nr("mremap"),
            &[0x3f00000000, 4096, 8192, 3, 0x4000000],
            0x4000000,
            m
        ),
        "mremap(0x3f00000000, 4096, 8192, MREMAP_MAYMOVE|MREMAP_FIXED, 0x4000000) = 0x4000000"
    );
    assert_eq!(
        line(nr("madvise"), &[0x3f00000000, 8192, 4], 0, m),
        "madvise(0x3f00000000, 8192, MADV_DONTNEED) = 0"
    );
    assert_eq!(
        line(nr("madvise"), &[0x3f00000000, 8192, 21], 0, m),
        "madvise(0x3f00000000, 8192, MADV_PAGEOUT) = 0"
    );
    assert_eq!(
        line(nr("msync"), &[0x3f00000000, 4096, 6], 0, m),
        "msync(0x3f00000000, 4096, MS_SYNC|MS_INVALIDATE) = 0"
    );
    assert_eq!(
        line(nr("mlockall"), &[3], 0, m),
        "mlockall(MCL_CURRENT|MCL_FUTURE) = 0"
    );
    assert_eq!(line(nr("munlockall"), &[], 0, m), "munlockall() = 0");
    assert_eq!(
        line(nr("mlock"), &[NEG1, 4096], -22, m),
        "mlock(0xffffffffffffffff, 4096) = -1 EINVAL (Invalid argument)"
    );
    let p = m.put_str(0x1000, "/dev/vdb");
    assert_eq!(
        line(nr("swapon"), &[p, 0], 0, m),
        "swapon(\"/dev/vdb\", 0) = 0"
    );
    assert_eq!(
        line(nr("swapon"), &[p, 0x8000 | 5], 0, m),
        "swapon(\"/dev/vdb\", SWAP_FLAG_PREFER|5) = 0"
    );
    assert_eq!(
        line(nr("swapoff"), &[p], -1, m),
        "swapoff(\"/dev/vdb\") = -1 EPERM (Operation not permitted)"
    );
}

#[test]
fn file_calls() {
    let m = &mut FakeMem::default();
    let path = m.put_str(0x1000, "/tmp/strace-y");
    assert_eq!(
        line(56, &[AT_FDCWD, path, 0o1101 | 0o2000000, 0o644], 7, m),
        "openat(AT_FDCWD, \"/tmp/strace-y\", O_WRONLY|O_CREAT|O_TRUNC|O_CLOEXEC, 0644) = 7"
    );
    assert_eq!(
        line(56, &[AT_FDCWD, path, 0o2000000, 0], -2, m),
        "openat(AT_FDCWD, \"/tmp/strace-y\", O_RDONLY|O_CLOEXEC) = -1 ENOENT (No such file or directory)"
    );
    assert_eq!(
        line(56, &[AT_FDCWD, path, 0o200000, 0], 5, m),
        "openat(AT_FDCWD, \"/tmp/strace-y\", O_RDONLY|O_DIRECTORY) = 5"
    );
    // an unreadable path is shown as its address
    assert_eq!(
        line(56, &[AT_FDCWD, 0xdead0000, 0, 0], -14, m),
        "openat(AT_FDCWD, 0xdead0000, O_RDONLY) = -1 EFAULT (Bad address)"
    );
    assert_eq!(line(57, &[7], 0, m), "close(7) = 0");
    assert_eq!(
        line(57, &[99], -9, m),
        "close(99) = -1 EBADF (Bad file descriptor)"
    );

    // write shows its buffer at entry, cut at 32 bytes; escapes as strace's
    let data = b"hello\tworld\n\0\x1bx\x7f\xff0123456789012345678901234567890123";
    let buf = m.put(0x2000, data);
    assert_eq!(
        line(64, &[4, buf, 50], 50, m),
        r#"write(4, "hello\tworld\n\0\33x\177\377012345678901234"..., 50) = 50"#
    );
    // read shows only what was read, at exit
    let rbuf = m.put(0x3000, &[0u8; 100]);
    let p = enter(63, a(&[3, rbuf, 100]), m);
    assert_eq!(p.unfinished(), "read(3, ");
    m.set(rbuf, b"abc\n");
    assert_eq!(p.finish(4, m), r#"read(3, "abc\n", 100) = 4"#);
    let p = enter(63, a(&[0, rbuf, 100]), m);
    assert_eq!(
        format!("{}{UNFINISHED}", p.unfinished()),
        "read(0,  <unfinished ...>"
    );
    assert_eq!(p.resumed(2, m), r#"<... read resumed>"ab", 100) = 2"#);
    assert_eq!(
        line(63, &[3, rbuf, 100], -11, m),
        "read(3, 0x3000, 100) = -1 EAGAIN (Resource temporarily unavailable)"
    );
    assert_eq!(
        line(nr("pwrite64"), &[7, m.put(0x4000, b"abc"), 3, 100], 3, m),
        r#"pwrite64(7, "abc", 3, 100) = 3"#
    );
    assert_eq!(
        line(nr("pread64"), &[7, rbuf, 3, 100], -9, m),
        "pread64(7, 0x3000, 3, 100) = -1 EBADF (Bad file descriptor)"
    );
    // iovecs
    let ab = m.put(0x5000, b"ab");
    let cde = m.put(0x5100, b"cde\n");
    let iov = m.put_u64s(0x5200, &[ab, 2, cde, 4]);
    assert_eq!(
        line(nr("writev"), &[4, iov, 2], 6, m),
        r#"writev(4, [{iov_base="ab", iov_len=2}, {iov_base="cde\n", iov_len=4}], 2) = 6"#
    );
    let r1 = m.put(0x6000, b"abc");
    let r2 = m.put(0x6100, b"de\n\0\0\0\0\0\0\0");
    let riov = m.put_u64s(0x6200, &[r1, 3, r2, 10]);
    assert_eq!(
        line(nr("readv"), &[3, riov, 2], 6, m),
        r#"readv(3, [{iov_base="abc", iov_len=3}, {iov_base="de\n", iov_len=10}], 2) = 6"#
    );
    assert_eq!(
        line(nr("lseek"), &[7, 10, 2], 10, m),
        "lseek(7, 10, SEEK_END) = 10"
    );
    assert_eq!(
        line(nr("lseek"), &[3, -60i64 as u64, 1], 54, m),
        "lseek(3, -60, SEEK_CUR) = 54"
    );
}

/// A riscv64 struct stat (128 bytes) with the given mode, size and rdev.
fn stat_bytes(mode: u32, size: i64, rdev: u64) -> Vec<u8> {
    let mut b = vec![0u8; 128];
    b[16..20].copy_from_slice(&mode.to_le_bytes());
    b[32..40].copy_from_slice(&rdev.to_le_bytes());
    b[48..56].copy_from_slice(&size.to_le_bytes());
    b
}

#[test]
fn stat_calls() {
    let m = &mut FakeMem::default();
    let st = m.put(0x7000, &stat_bytes(0o100644, 46099, 0));
    let empty = m.put_str(0x1000, "");
    assert_eq!(
        line(79, &[3, empty, st, 0x1000], 0, m),
        r#"newfstatat(3, "", {st_mode=S_IFREG|0644, st_size=46099, ...}, AT_EMPTY_PATH) = 0"#
    );
    let tmp = m.put_str(0x1100, "/tmp");
    m.set(st, &stat_bytes(0o41777, 4096, 0));
    assert_eq!(
        line(79, &[AT_FDCWD, tmp, st, 0], 0, m),
        r#"newfstatat(AT_FDCWD, "/tmp", {st_mode=S_IFDIR|S_ISVTX|0777, st_size=4096, ...}, 0) = 0"#
    );
    assert_eq!(
        line(79, &[AT_FDCWD, tmp, st, 0], -2, m),
        r#"newfstatat(AT_FDCWD, "/tmp", 0x7000, 0) = -1 ENOENT (No such file or directory)"#
    );
    // /dev/null: makedev(1, 3)
    m.set(st, &stat_bytes(0o20666, 0, (1 << 8) | 3));
    assert_eq!(
        line(80, &[1, st], 0, m),
        "fstat(1, {st_mode=S_IFCHR|0666, st_rdev=makedev(0x1, 0x3), ...}) = 0"
    );
    // statx
    let mut sx = vec![0u8; 256];
    sx[0..4].copy_from_slice(&0x17ffu32.to_le_bytes());
    sx[0x1c..0x1e].copy_from_slice(&(0o100644u16).to_le_bytes());
    sx[0x28..0x30].copy_from_slice(&24u64.to_le_bytes());
    let sxp = m.put(0x8000, &sx);
    let f = m.put_str(0x1200, "/tmp/sc.c");
    assert_eq!(
        line(291, &[AT_FDCWD, f, 0x900, 0x25e, sxp], 0, m),
        "statx(AT_FDCWD, \"/tmp/sc.c\", AT_STATX_SYNC_AS_STAT|AT_SYMLINK_NOFOLLOW|AT_NO_AUTOMOUNT, \
         STATX_MODE|STATX_NLINK|STATX_UID|STATX_GID|STATX_MTIME|STATX_SIZE, \
         {stx_mask=STATX_BASIC_STATS|STATX_MNT_ID, stx_attributes=0, stx_mode=S_IFREG|0644, stx_size=24, ...}) = 0"
    );
}

#[test]
fn directory_and_fd_calls() {
    let m = &mut FakeMem::default();
    let tmp = m.put_str(0x1000, "/tmp");
    let x = m.put_str(0x1100, "/tmp/strace-x");
    assert_eq!(
        line(nr("faccessat"), &[AT_FDCWD, tmp, 6], 0, m),
        r#"faccessat(AT_FDCWD, "/tmp", R_OK|W_OK) = 0"#
    );
    assert_eq!(
        line(nr("faccessat2"), &[AT_FDCWD, tmp, 0, 0x200], 0, m),
        r#"faccessat2(AT_FDCWD, "/tmp", F_OK, AT_EACCESS) = 0"#
    );
    assert_eq!(
        line(nr("mkdirat"), &[AT_FDCWD, x, 0o755], 0, m),
        r#"mkdirat(AT_FDCWD, "/tmp/strace-x", 0755) = 0"#
    );
    assert_eq!(
        line(nr("unlinkat"), &[AT_FDCWD, x, 0x200], 0, m),
        r#"unlinkat(AT_FDCWD, "/tmp/strace-x", AT_REMOVEDIR) = 0"#
    );
    assert_eq!(line(nr("chdir"), &[tmp], 0, m), r#"chdir("/tmp") = 0"#);
    assert_eq!(line(nr("fchdir"), &[5], 0, m), "fchdir(5) = 0");
    let cwd = m.put(0x2000, b"/tmp\0\0\0\0");
    assert_eq!(
        line(nr("getcwd"), &[cwd, 100], 5, m),
        r#"getcwd("/tmp", 100) = 5"#
    );
    let exe = m.put_str(0x1200, "/proc/self/exe");
    let lb = m.put(0x2100, b"/tmp/exXXXXX");
    assert_eq!(
        line(nr("readlinkat"), &[AT_FDCWD, exe, lb, 100], 7, m),
        r#"readlinkat(AT_FDCWD, "/proc/self/exe", "/tmp/ex", 100) = 7"#
    );
    // three dirents of 24, 24 and 48 bytes
    let mut d = vec![0u8; 96];
    d[16..18].copy_from_slice(&24u16.to_le_bytes());
    d[40..42].copy_from_slice(&24u16.to_le_bytes());
    d[64..66].copy_from_slice(&32u16.to_le_bytes());
    let dp = m.put(0x3000, &d);
    assert_eq!(
        line(nr("getdents64"), &[5, dp, 100], 80, m),
        "getdents64(5, 0x3000 /* 3 entries */, 100) = 80"
    );
    assert_eq!(line(nr("dup"), &[1], 6, m), "dup(1) = 6");
    assert_eq!(
        line(nr("dup3"), &[1, 20, 0o2000000], 20, m),
        "dup3(1, 20, O_CLOEXEC) = 20"
    );
    let fds = m.put(0x4000, &[3, 0, 0, 0, 4, 0, 0, 0]);
    assert_eq!(
        line(nr("pipe2"), &[fds, 0o2000000], 0, m),
        "pipe2([3, 4], O_CLOEXEC) = 0"
    );
    assert_eq!(
        line(nr("fcntl"), &[1, 3], 0x8001, m),
        "fcntl(1, F_GETFL) = 0x8001 (flags O_WRONLY|O_LARGEFILE)"
    );
    assert_eq!(line(nr("fcntl"), &[1, 1], 0, m), "fcntl(1, F_GETFD) = 0");
    assert_eq!(
        line(nr("fcntl"), &[1, 1], 1, m),
        "fcntl(1, F_GETFD) = 0x1 (flags FD_CLOEXEC)"
    );
    assert_eq!(
        line(nr("fcntl"), &[20, 4, 0o4000 | 0o2000], 0, m),
        "fcntl(20, F_SETFL, O_RDONLY|O_APPEND|O_NONBLOCK) = 0"
    );
    assert_eq!(
        line(nr("fcntl"), &[11, 2, 1], 0, m),
        "fcntl(11, F_SETFD, FD_CLOEXEC) = 0"
    );
    assert_eq!(
        line(nr("fcntl"), &[1, 1030, 30], 30, m),
        "fcntl(1, F_DUPFD_CLOEXEC, 30) = 30"
    );
    // ioctl
    assert_eq!(
        line(29, &[1, 0x5401, 0x7000], -25, m),
        "ioctl(1, TCGETS, 0x7000) = -1 ENOTTY (Inappropriate ioctl for device)"
    );
    let ws = m.put(0x5000, &[24, 0, 80, 0, 0, 0, 0, 0]);
    assert_eq!(
        line(29, &[1, 0x5413, ws], 0, m),
        "ioctl(1, TIOCGWINSZ, {ws_row=24, ws_col=80, ws_xpixel=0, ws_ypixel=0}) = 0"
    );
    let pg = m.put(0x5100, &42u32.to_le_bytes());
    assert_eq!(
        line(29, &[0, 0x540f, pg], 0, m),
        "ioctl(0, TIOCGPGRP, [42]) = 0"
    );
    assert_eq!(
        line(29, &[3, 0x1234, 0], -25, m),
        "ioctl(3, _IOC(_IOC_NONE, 0x12, 0x34, 0), NULL) = -1 ENOTTY (Inappropriate ioctl for device)"
    );
}

#[test]
fn poll_and_select() {
    let m = &mut FakeMem::default();
    // struct pollfd {int fd; short events; short revents;}
    let pfd = m.put(0x1000, &[3, 0, 0, 0, 1, 0, 0, 0]);
    let ts = m.put_u64s(0x2000, &[1, 0]);
    let p = enter(nr("ppoll"), a(&[pfd, 1, ts, 0, 8]), m);
    m.set(pfd + 6, &[1, 0]);
    m.set(ts, &0u64.to_le_bytes());
    m.set(ts + 8, &999999006u64.to_le_bytes());
    assert_eq!(
        p.finish(1, m),
        "ppoll([{fd=3, events=POLLIN}], 1, {tv_sec=1, tv_nsec=0}, NULL, 8) = 1 ([{fd=3, revents=POLLIN}], left {tv_sec=0, tv_nsec=999999006})"
    );
    assert_eq!(
        line(nr("ppoll"), &[pfd, 1, 0, 0, 8], 0, m),
        "ppoll([{fd=3, events=POLLIN}], 1, NULL, NULL, 8) = 0 (Timeout)"
    );
    let set = m.put(0x3000, &[0b1000, 0, 0, 0, 0, 0, 0, 0]);
    let tz = m.put_u64s(0x4000, &[0, 0]);
    assert_eq!(
        line(nr("pselect6"), &[4, set, 0, 0, tz, 0], 1, m),
        "pselect6(4, [3], NULL, NULL, {tv_sec=0, tv_nsec=0}, NULL) = 1 (in [3], left {tv_sec=0, tv_nsec=0})"
    );
}

#[test]
fn process_calls() {
    let m = &mut FakeMem::default();
    let path = m.put_str(0x1000, "/bin/true");
    let a1 = m.put_str(0x1100, "a b");
    let a2 = m.put_str(0x1200, "very-long-argument-0123456789012345678901234567890");
    let argv = m.put_u64s(0x2000, &[path, a1, a2, 0]);
    let e1 = m.put_str(0x1300, "A=1");
    let envp = m.put_u64s(0x3000, &[e1, e1, 0]);
    let p = enter(221, a(&[path, argv, envp]), m);
    let expect = r#"execve("/bin/true", ["/bin/true", "a b", "very-long-argument-0123456789012"...], 0x3000 /* 2 vars */"#;
    assert_eq!(p.unfinished(), expect);
    assert_eq!(p.resumed(0, m), "<... execve resumed>) = 0");
    assert_eq!(
        line(221, &[path, argv, envp], -2, m),
        format!("{expect}) = -1 ENOENT (No such file or directory)")
    );
    // fork as glibc does it on riscv64
    assert_eq!(
        line(220, &[0x1200011, 0, 0, 0x3ff7fff0a10, 0], 5025, m),
        "clone(child_stack=NULL, flags=CLONE_CHILD_CLEARTID|CLONE_CHILD_SETTID|SIGCHLD, child_tidptr=0x3ff7fff0a10) = 5025"
    );
    // a thread: parent_tid written at exit
    let ptid = m.put(0x4000, &1235u32.to_le_bytes());
    assert_eq!(
        line(220, &[0x3d0f00, 0x3f00001000, ptid, 0x3f00002000, 0x3f00003000], 1235, m),
        "clone(child_stack=0x3f00001000, flags=CLONE_VM|CLONE_FS|CLONE_FILES|CLONE_SIGHAND|CLONE_THREAD|CLONE_SYSVSEM|CLONE_SETTLS|CLONE_PARENT_SETTID|CLONE_CHILD_CLEARTID, parent_tid=[1235], tls=0x3f00003000, child_tidptr=0x3f00002000) = 1235"
    );
    // wait4 statuses
    let st = m.put(0x5000, &(3u32 << 8).to_le_bytes());
    let p = enter(260, a(&[5025, st, 0, 0]), m);
    assert_eq!(
        format!("{}{UNFINISHED}", p.unfinished()),
        "wait4(5025,  <unfinished ...>"
    );
    assert_eq!(
        p.resumed(5025, m),
        "<... wait4 resumed>[{WIFEXITED(s) && WEXITSTATUS(s) == 3}], 0, NULL) = 5025"
    );
    m.set(st, &9u32.to_le_bytes());
    assert_eq!(
        line(260, &[NEG1, st, 0, 0], 5026, m),
        "wait4(-1, [{WIFSIGNALED(s) && WTERMSIG(s) == SIGKILL}], 0, NULL) = 5026"
    );
    m.set(st, &0x8bu32.to_le_bytes());
    assert_eq!(
        line(260, &[NEG1, st, 0, 0], 7, m),
        "wait4(-1, [{WIFSIGNALED(s) && WTERMSIG(s) == SIGSEGV && WCOREDUMP(s)}], 0, NULL) = 7"
    );
    m.set(st, &((20u32 << 8) | 0x7f).to_le_bytes());
    assert_eq!(
        line(260, &[NEG1, st, 2, 0], 7, m),
        "wait4(-1, [{WIFSTOPPED(s) && WSTOPSIG(s) == SIGTSTP}], WSTOPPED, NULL) = 7"
    );
    assert_eq!(
        line(260, &[NEG1, st, 1, 0], -10, m),
        "wait4(-1, 0x5000, WNOHANG, NULL) = -1 ECHILD (No child processes)"
    );
    assert_eq!(line(94, &[0], 0, m), "exit_group(0) = ?");
    assert_eq!(line(93, &[3], 0, m), "exit(3) = ?");
    assert_eq!(line(129, &[4939, 0], 0, m), "kill(4939, 0) = 0");
    assert_eq!(
        line(129, &[99999, 9], -3, m),
        "kill(99999, SIGKILL) = -1 ESRCH (No such process)"
    );
    assert_eq!(
        line(131, &[4939, 4939, 40], 0, m),
        "tgkill(4939, 4939, SIGRT_8) = 0"
    );
    assert_eq!(
        line(nr("set_tid_address"), &[0x3f00000a10], 5024, m),
        "set_tid_address(0x3f00000a10) = 5024"
    );
    let p = enter(nr("set_robust_list"), a(&[0x3f00000a20, 24]), m);
    assert_eq!(p.unfinished(), "set_robust_list(0x3f00000a20, 24");
    assert_eq!(p.resumed(0, m), "<... set_robust_list resumed>) = 0");
    assert_eq!(line(nr("setpgid"), &[0, 0], 0, m), "setpgid(0, 0) = 0");
    assert_eq!(line(nr("getpgid"), &[0], 5024, m), "getpgid(0) = 5024");
    assert_eq!(
        line(nr("setsid"), &[], -1, m),
        "setsid() = -1 EPERM (Operation not permitted)"
    );
    assert_eq!(line(nr("getpid"), &[], 2, m), "getpid() = 2");
    assert_eq!(line(nr("getuid"), &[], 0, m), "getuid() = 0");
    assert_eq!(line(nr("umask"), &[0o77], 0o22, m), "umask(077) = 022");
    assert_eq!(line(nr("umask"), &[0o22], 0, m), "umask(022) = 000");
    assert_eq!(
        line(nr("socket"), &[2, 1 | 0o2000000, 0], 7, m),
        "socket(AF_INET, SOCK_STREAM|SOCK_CLOEXEC, IPPROTO_IP) = 7"
    );
    assert_eq!(
        line(nr("socket"), &[1, 2, 0], 8, m),
        "socket(AF_UNIX, SOCK_DGRAM, 0) = 8"
    );
}

#[test]
fn signal_calls() {
    let m = &mut FakeMem::default();
    let set = m.put(0x1000, &((1u64 << 1) | (1u64 << 14)).to_le_bytes());
    let old = m.put(0x2000, &[0u8; 8]);
    assert_eq!(
        line(135, &[0, set, 0, 8], 0, m),
        "rt_sigprocmask(SIG_BLOCK, [INT TERM], NULL, 8) = 0"
    );
    let all = m.put(0x3000, &(!(3u64 << 31)).to_le_bytes());
    let p = enter(135, a(&[2, all, old, 8]), m);
    m.set(old, &((1u64 << 1) | (1u64 << 14)).to_le_bytes());
    assert_eq!(
        p.finish(0, m),
        "rt_sigprocmask(SIG_SETMASK, ~[RTMIN RT_1], [INT TERM], 8) = 0"
    );
    // riscv64 struct sigaction: handler, flags, mask
    let mut sa = Vec::new();
    sa.extend_from_slice(&1u64.to_le_bytes());
    sa.extend_from_slice(&(0x1000_0000u64 | 4).to_le_bytes());
    sa.extend_from_slice(&(1u64 << 9).to_le_bytes());
    let act = m.put(0x4000, &sa);
    assert_eq!(
        line(134, &[12, act, 0, 8], 0, m),
        "rt_sigaction(SIGUSR2, {sa_handler=SIG_IGN, sa_mask=[USR1], sa_flags=SA_RESTART|SA_SIGINFO}, NULL, 8) = 0"
    );
    let oact = m.put(0x5000, &[0u8; 24]);
    assert_eq!(
        line(134, &[2, 0, oact, 8], 0, m),
        "rt_sigaction(SIGINT, NULL, {sa_handler=SIG_DFL, sa_mask=[], sa_flags=0}, 8) = 0"
    );
    assert_eq!(line(139, &[], 0, m), "rt_sigreturn() = 0");
    // with the stack pointer: the mask the frame restores (uc_sigmask at sp + 168)
    let mut frame = vec![0u8; 1088];
    frame[168..176].copy_from_slice(&(1u64 << 1).to_le_bytes());
    let sp = m.put(0x3fffff0000, &frame);
    let p = enter_with_sp(139, a(&[]), sp, m);
    assert_eq!(p.finish(0, m), "rt_sigreturn({mask=[INT]}) = 0");
    let p = enter_with_sp(139, a(&[]), 0x10, m);
    assert_eq!(p.finish(0, m), "rt_sigreturn(0x10) = 0");
    // other calls are as with enter
    let p = enter_with_sp(172, a(&[]), sp, m);
    assert_eq!(p.finish(2, m), "getpid() = 2");
}

#[test]
fn resources_time_and_system() {
    let m = &mut FakeMem::default();
    let old = m.put_u64s(0x1000, &[8192 * 1024, u64::MAX]);
    assert_eq!(
        line(261, &[0, 3, 0, old], 0, m),
        "prlimit64(0, RLIMIT_STACK, NULL, {rlim_cur=8192*1024, rlim_max=RLIM64_INFINITY}) = 0"
    );
    let new = m.put_u64s(0x2000, &[1000, 2048]);
    assert_eq!(
        line(261, &[0, 7, new, 0], 0, m),
        "prlimit64(0, RLIMIT_NOFILE, {rlim_cur=1000, rlim_max=2*1024}, NULL) = 0"
    );
    let rb = m.put(0x3000, &[0x90, 0x21, 0xdd, 0x16]);
    assert_eq!(
        line(278, &[rb, 4, 3], 4, m),
        r#"getrandom("\x90\x21\xdd\x16", 4, GRND_NONBLOCK|GRND_RANDOM) = 4"#
    );
    let ts = m.put_u64s(0x4000, &[12, 345]);
    assert_eq!(
        line(113, &[1, ts], 0, m),
        "clock_gettime(CLOCK_MONOTONIC, {tv_sec=12, tv_nsec=345}) = 0"
    );
    assert_eq!(
        line(113, &[1, ts], -14, m),
        "clock_gettime(CLOCK_MONOTONIC, 0x4000) = -1 EFAULT (Bad address)"
    );
    let req = m.put_u64s(0x5000, &[0, 1000]);
    assert_eq!(
        line(nr("clock_nanosleep"), &[0, 0, req, 0], 0, m),
        "clock_nanosleep(CLOCK_REALTIME, 0, {tv_sec=0, tv_nsec=1000}, NULL) = 0"
    );
    assert_eq!(
        line(101, &[req, 0x6000], 0, m),
        "nanosleep({tv_sec=0, tv_nsec=1000}, 0x6000) = 0"
    );
    let mut u = vec![0u8; 65 * 6];
    u[..5].copy_from_slice(b"Linux");
    u[65..70].copy_from_slice(b"rvmmu");
    let up = m.put(0x7000, &u);
    assert_eq!(
        line(160, &[up], 0, m),
        r#"uname({sysname="Linux", nodename="rvmmu", ...}) = 0"#
    );
    let mut si = vec![0u8; 112];
    si[0..8].copy_from_slice(&19385u64.to_le_bytes());
    si[32..40].copy_from_slice(&(128u64 << 20).to_le_bytes());
    si[40..48].copy_from_slice(&(100u64 << 20).to_le_bytes());
    si[80..82].copy_from_slice(&3u16.to_le_bytes());
    si[104..108].copy_from_slice(&1u32.to_le_bytes());
    let sp = m.put(0x8000, &si);
    assert_eq!(
        line(179, &[sp], 0, m),
        "sysinfo({uptime=19385, loads=[0, 0, 0], totalram=134217728, freeram=104857600, sharedram=0, \
         bufferram=0, totalswap=0, freeswap=0, procs=3, totalhigh=0, freehigh=0, mem_unit=1}) = 0"
    );
}

#[test]
fn errors_and_restarts() {
    let m = &mut FakeMem::default();
    assert_eq!(
        line(63, &[0, 0x1000, 1], -512, m),
        "read(0, 0x1000, 1) = ? ERESTARTSYS (To be restarted if SA_RESTART is set)"
    );
    assert_eq!(
        line(101, &[0, 0], -516, m),
        "nanosleep(NULL, NULL) = ? ERESTART_RESTARTBLOCK (Interrupted by signal)"
    );
    assert_eq!(
        line(29, &[0, 0x5401, 0], -515, m),
        "ioctl(0, TCGETS, NULL) = -1 ENOIOCTLCMD (Unknown error 515)"
    );
    assert_eq!(
        line(172, &[], -38, m),
        "getpid() = -1 ENOSYS (Function not implemented)"
    );
    assert_eq!(
        errno_name(133),
        Some(("EHWPOISON", "Memory page has hardware error"))
    );
    // every errno 1..=133 has a name and a message
    for e in 1..=133 {
        if e == 41 || e == 58 {
            continue; // not assigned on Linux
        }
        assert!(errno_name(e).is_some(), "errno {e}");
    }
}

#[test]
fn unknown_calls_and_generic_signatures() {
    let m = &mut FakeMem::default();
    assert_eq!(
        line(1000, &[1, 2, 0, 0, 0, 0xff], -38, m),
        "syscall_0x3e8(0x1, 0x2, 0, 0, 0, 0xff) = -1 ENOSYS (Function not implemented)"
    );
    // set_mempolicy has no decoder of its own: printed by its signature
    assert_eq!(
        line(nr("set_mempolicy"), &[1, 0x3f00000000, 64], -38, m),
        "set_mempolicy(1, 0x3f00000000, 64) = -1 ENOSYS (Function not implemented)"
    );
    let p = m.put_str(0x1000, "/");
    assert_eq!(
        line(nr("chroot"), &[p], -1, m),
        r#"chroot("/") = -1 EPERM (Operation not permitted)"#
    );
    assert_eq!(line(nr("sched_yield"), &[], 0, m), "sched_yield() = 0");
}

#[test]
fn parts_for_json() {
    let m = &mut FakeMem::default();
    let parts = enter(222, a(&[0, 4096, 3, 0x22, NEG1, 0]), m).finish_parts(-12, m);
    assert_eq!(parts.name, "mmap");
    assert_eq!(parts.args.len(), 6);
    assert_eq!(parts.args[2], "PROT_READ|PROT_WRITE");
    assert_eq!(parts.ret, "-1");
    assert_eq!(parts.errno.as_deref(), Some("ENOMEM"));
    assert_eq!(parts.detail.as_deref(), Some("Cannot allocate memory"));
    assert_eq!(parts.ret_text(), "-1 ENOMEM (Cannot allocate memory)");
    let j: serde_json::Value = serde_json::from_str(&parts.json()).unwrap();
    assert_eq!(j["name"], "mmap");
    assert_eq!(j["args"][3], "MAP_PRIVATE|MAP_ANONYMOUS");
    assert_eq!(j["errno"], "ENOMEM");
    assert_eq!(j["detail"], "Cannot allocate memory");
    // a rendered string with quotes and C escapes survives JSON
    let buf = m.put(0x1000, b"a\"b\n\x01");
    let parts = enter(64, a(&[1, buf, 5]), m).finish_parts(5, m);
    let j: serde_json::Value = serde_json::from_str(&parts.json()).unwrap();
    assert_eq!(j["args"][1], r#""a\"b\n\1""#);
    assert_eq!(j["ret"], "5");
    assert!(j["errno"].is_null() && j["detail"].is_null());
}

/// Memory where every address reads as the same byte pattern (so every pointer "works").
struct Pattern(u8);

impl GuestMem for Pattern {
    fn read(&mut self, va: u64, buf: &mut [u8]) -> bool {
        for (i, b) in buf.iter_mut().enumerate() {
            *b = self.0 ^ (va.wrapping_add(i as u64) as u8);
        }
        true
    }
}

#[test]
fn bad_input_never_panics() {
    // Every call with arguments at the edges of the address space and odd values, over a
    // memory that reads nothing, one that reads everything, and returns of every kind.
    let values = [
        0,
        1,
        3,
        8,
        0x7f,
        0xffff,
        u64::MAX,
        u64::MAX - 7,
        1 << 63,
        0xffff_ffff,
    ];
    let rets = [
        0,
        1,
        4096,
        -1,
        -4,
        -512,
        -515,
        -4095,
        -4096,
        i64::MAX,
        i64::MIN,
    ];
    let mut x = 0x9e37_79b9_7f4a_7c15u64;
    let mut next = || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    for e in table::SYSCALLS.iter().map(|e| e.nr).chain([1000, u64::MAX]) {
        for round in 0..12 {
            let args: [u64; 6] = std::array::from_fn(|_| values[next() as usize % values.len()]);
            let ret = rets[round % rets.len()];
            let mut none = FakeMem::default();
            let l = enter(e, args, &mut none).finish(ret, &mut none);
            assert!(l.contains(") = "), "{l}");
            let mut all = Pattern(next() as u8);
            let p = enter(e, args, &mut all);
            let _ = p.unfinished();
            let _ = p.resumed(ret, &mut all);
        }
    }
}

#[test]
fn terminal_ioctls() {
    let m = &mut FakeMem::default();
    // a tty in its default cooked mode: 38400 8N1, ICRNL|IXON, OPOST|ONLCR, echo on
    let mut t = Vec::new();
    for w in [0o2400u32, 0o5, 0o277, 0o105073] {
        t.extend_from_slice(&w.to_le_bytes());
    }
    t.extend_from_slice(&[0u8; 20]);
    let tp = m.put(0x1000, &t);
    let cooked = "{c_iflag=ICRNL|IXON, c_oflag=NL0|CR0|TAB0|BS0|VT0|FF0|OPOST|ONLCR, \
                  c_cflag=B38400|CS8|CREAD, c_lflag=ISIG|ICANON|ECHO|ECHOE|ECHOK|IEXTEN|ECHOCTL|ECHOKE, ...}";
    let p = enter(29, a(&[0, 0x5401, tp]), m);
    assert_eq!(p.unfinished(), "ioctl(0, TCGETS, ");
    assert_eq!(p.finish(0, m), format!("ioctl(0, TCGETS, {cooked}) = 0"));
    // TCSETS reads its termios at entry, and shows it even when the call fails
    let p = enter(29, a(&[0, 0x5402, tp]), m);
    m.set(tp, &[0, 0, 0, 0]);
    assert_eq!(
        p.finish(-5, m),
        format!("ioctl(0, SNDCTL_TMR_START or TCSETS, {cooked}) = -1 EIO (Input/output error)")
    );
    let pg = m.put(0x2000, &3455u32.to_le_bytes());
    assert_eq!(
        line(29, &[0, 0x5410, pg], 0, m),
        "ioctl(0, TIOCSPGRP, [3455]) = 0"
    );
    assert_eq!(
        line(29, &[0, 0x5403, tp], 0, m),
        "ioctl(0, SNDCTL_TMR_STOP or TCSETSW, {c_iflag=0, c_oflag=NL0|CR0|TAB0|BS0|VT0|FF0|OPOST|ONLCR, \
         c_cflag=B38400|CS8|CREAD, c_lflag=ISIG|ICANON|ECHO|ECHOE|ECHOK|IEXTEN|ECHOCTL|ECHOKE, ...}) = 0"
    );
}

#[test]
fn identity_resource_and_signal_extras() {
    let m = &mut FakeMem::default();
    let ru = m.put_u64s(0x1000, &[0, 371, 0, 0]);
    assert_eq!(
        line(nr("getrusage"), &[0, ru], 0, m),
        "getrusage(RUSAGE_SELF, {ru_utime={tv_sec=0, tv_usec=371}, ru_stime={tv_sec=0, tv_usec=0}, ...}) = 0"
    );
    assert_eq!(
        line(nr("getrusage"), &[-1i64 as u64, ru], 0, m),
        "getrusage(RUSAGE_CHILDREN, {ru_utime={tv_sec=0, tv_usec=371}, ru_stime={tv_sec=0, tv_usec=0}, ...}) = 0"
    );
    let tms = m.put_u64s(0x2000, &[0, 0, 0, 0]);
    assert_eq!(
        line(nr("times"), &[tms], 1720001937, m),
        "times({tms_utime=0, tms_stime=0, tms_cutime=0, tms_cstime=0}) = 1720001937"
    );
    let ss = m.put_u64s(0x3000, &[0x55b91325d2a0, 0, 16384]);
    assert_eq!(
        line(nr("sigaltstack"), &[ss, 0], 0, m),
        "sigaltstack({ss_sp=0x55b91325d2a0, ss_flags=0, ss_size=16384}, NULL) = 0"
    );
    assert_eq!(
        line(nr("sigaltstack"), &[0, ss], 0, m),
        "sigaltstack(NULL, {ss_sp=0x55b91325d2a0, ss_flags=0, ss_size=16384}) = 0"
    );
    let ids = m.put(0x4000, &[0u8; 12]);
    assert_eq!(
        line(nr("getresuid"), &[ids, ids + 4, ids + 8], 0, m),
        "getresuid([0], [0], [0]) = 0"
    );
    assert_eq!(
        line(nr("getgroups"), &[4, ids], 0, m),
        "getgroups(4, []) = 0"
    );
    assert_eq!(
        line(nr("getgroups"), &[0, 0], 0, m),
        "getgroups(0, NULL) = 0"
    );
    assert_eq!(
        line(nr("setgroups"), &[1, ids], 0, m),
        "setgroups(1, [0]) = 0"
    );
    let sv = m.put(0x5000, &[3, 0, 0, 0, 4, 0, 0, 0]);
    assert_eq!(
        line(nr("socketpair"), &[1, 1, 0, sv], 0, m),
        "socketpair(AF_UNIX, SOCK_STREAM, 0, [3, 4]) = 0"
    );
    let set = m.put(0x6000, &(1u64 << 9).to_le_bytes());
    let mut si = vec![0u8; 128];
    si[0..4].copy_from_slice(&10i32.to_le_bytes());
    si[8..12].copy_from_slice(&(-6i32).to_le_bytes());
    si[16..20].copy_from_slice(&3458i32.to_le_bytes());
    let sip = m.put(0x7000, &si);
    let ts = m.put_u64s(0x8000, &[1, 0]);
    assert_eq!(
        line(nr("rt_sigtimedwait"), &[set, sip, ts, 8], 10, m),
        "rt_sigtimedwait([USR1], {si_signo=SIGUSR1, si_code=SI_TKILL, si_pid=3458, si_uid=0}, {tv_sec=1, tv_nsec=0}, 8) = 10 (SIGUSR1)"
    );
}

#[test]
fn futexes() {
    let m = &mut FakeMem::default();
    assert_eq!(
        line(98, &[0x3f00000000, 0x81, 1, 0, 0, 0], 0, m),
        "futex(0x3f00000000, FUTEX_WAKE_PRIVATE, 1) = 0"
    );
    assert_eq!(
        line(98, &[0x3f00000000, 0x80, 2, 0, 0, 0], -11, m),
        "futex(0x3f00000000, FUTEX_WAIT_PRIVATE, 2, NULL) = -1 EAGAIN (Resource temporarily unavailable)"
    );
    assert_eq!(
        line(98, &[0x3f00000000, 0x189, 0, 0, 0, 0xffff_ffff], 0, m),
        "futex(0x3f00000000, FUTEX_WAIT_BITSET_PRIVATE|FUTEX_CLOCK_REALTIME, 0, NULL, FUTEX_BITSET_MATCH_ANY) = 0"
    );
}

#[test]
fn clone3_shows_the_parent_tid_at_exit() {
    let m = &mut FakeMem::default();
    let ptid = m.put(0x5000, &24847u32.to_le_bytes());
    let args = m.put_u64s(
        0x4000,
        &[
            0x3d0f00,
            0,
            0x3f0000d990,
            ptid,
            0,
            0x3f0000000,
            0x7fff80,
            0x3f0000d6c0,
            0,
            0,
            0,
        ],
    );
    let p = enter(435, a(&[args, 88]), m);
    let start = "clone3({flags=CLONE_VM|CLONE_FS|CLONE_FILES|CLONE_SIGHAND|CLONE_THREAD|CLONE_SYSVSEM|CLONE_SETTLS|CLONE_PARENT_SETTID|CLONE_CHILD_CLEARTID, child_tid=0x3f0000d990, parent_tid=0x5000, exit_signal=0, stack=0x3f0000000, stack_size=0x7fff80, tls=0x3f0000d6c0}";
    assert_eq!(p.unfinished(), start);
    assert_eq!(
        p.resumed(24847, m),
        "<... clone3 resumed> => {parent_tid=[24847]}, 88) = 24847"
    );
    assert_eq!(
        enter(435, a(&[args, 88]), m).finish(24847, m),
        format!("{start} => {{parent_tid=[24847]}}, 88) = 24847")
    );
    let vfork = m.put_u64s(0x6000, &[0x4100, 0, 0, 0, 17, 0, 0, 0, 0, 0, 0]);
    assert_eq!(
        line(435, &[vfork, 88], 24848, m),
        "clone3({flags=CLONE_VM|CLONE_VFORK, exit_signal=SIGCHLD, stack=NULL, stack_size=0}, 88) = 24848"
    );
    assert_eq!(
        line(435, &[vfork, 88], -38, m),
        "clone3({flags=CLONE_VM|CLONE_VFORK, exit_signal=SIGCHLD, stack=NULL, stack_size=0}, 88) = -1 ENOSYS (Function not implemented)"
    );
}

#[test]
fn every_decoder_names_a_riscv64_call() {
    // The decoders are chosen by name: a misspelt name would silently never match.
    let src = include_str!("decode.rs");
    let body = &src[src.find("match info.name {").unwrap()..];
    let body = &body[..body.find("        _ => b.by_sig(info.sig, 0),").unwrap()];
    let mut names = Vec::new();
    for l in body.lines() {
        let t = l.trim_start();
        // arm heads: `"a" | "b" => {` at the arms' indentation
        if l.starts_with("        \"") && t.contains("=>") {
            for part in t[..t.find("=>").unwrap()].split('|') {
                names.push(part.trim().trim_matches('"').to_string());
            }
        }
    }
    assert!(names.len() > 60, "{names:?}");
    for n in &names {
        assert!(
            table::SYSCALLS.iter().any(|e| e.name == n),
            "decoder for unknown call {n}"
        );
    }
}

#[test]
fn an_input_unreadable_at_entry_is_noted_and_reading_again_shows_it() {
    let mut mem = FakeMem {
        runs: BTreeMap::new(),
    };
    let args = [AT_FDCWD, 0x5000, 0, 0, 0, 0];
    let early = enter(nr("openat"), args, &mut mem);
    assert!(!early.inputs_read());
    assert_eq!(
        early.finish(3, &mut mem),
        "openat(AT_FDCWD, 0x5000, O_RDONLY) = 3"
    );
    mem.put_str(0x5000, "/etc/passwd");
    let again = enter(nr("openat"), args, &mut mem);
    assert!(again.inputs_read());
    assert_eq!(
        again.finish(3, &mut mem),
        "openat(AT_FDCWD, \"/etc/passwd\", O_RDONLY) = 3"
    );
    assert!(enter(nr("getpid"), [0; 6], &mut mem).inputs_read());
}
