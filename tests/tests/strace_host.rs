//! The syscall decoder (`rvmmu::strace`) against the real strace: `tests/strace/calls.c`
//! makes system calls with fixed arguments on the host, under the host's strace; the test
//! renders the same calls with the decoder — riscv64's numbers and flag values, a fake guest
//! memory holding the same strings and structures, the return value strace saw — and the two
//! lines must be equal. Only the rendering is compared: the host is another architecture,
//! whose numbers differ, but strace prints the same call the same way. Addresses the kernel
//! or the loader chose (execve's envp) are replaced by `0xADDR` on both sides.
//!
//! Needs `strace` and `cc`: outside CI a missing one skips the test with a line saying so;
//! under CI it fails.

use rvmmu::strace::{self, GuestMem};
use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

/// Byte runs at fixed guest addresses; anything else is unreadable.
#[derive(Default)]
struct Mem(BTreeMap<u64, Vec<u8>>);

impl Mem {
    fn put(&mut self, va: u64, bytes: &[u8]) -> u64 {
        self.0.insert(va, bytes.to_vec());
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
}

impl GuestMem for Mem {
    fn read(&mut self, va: u64, buf: &mut [u8]) -> bool {
        let Some((&start, run)) = self.0.range(..=va).next_back() else {
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

fn nr(name: &str) -> u64 {
    strace::table::SYSCALLS
        .iter()
        .find(|e| e.name == name)
        .unwrap_or_else(|| panic!("{name} is not in the riscv64 table"))
        .nr
}

/// The return value of a strace line: `= 3`, `= 0x1 (flags ...)`, `= -1 ENOENT (...)`, `= ?`.
fn ret_of(line: &str) -> i64 {
    let at = line
        .rfind(") = ")
        .unwrap_or_else(|| panic!("no return value: {line}"));
    let mut words = line[at + 4..].split(' ');
    let v = words.next().unwrap();
    match v {
        "?" => 0,
        "-1" => {
            let name = words.next().unwrap();
            let e = (1..4096)
                .find(|&e| strace::errno_name(e).is_some_and(|(n, _)| n == name))
                .unwrap_or_else(|| panic!("unknown errno {name}"));
            -e
        }
        // hex, octal with a leading 0 (umask's `= 022`), or decimal
        _ => match v.strip_prefix("0x") {
            Some(h) => i64::from_str_radix(h, 16).unwrap(),
            None if v.len() > 1 && v.starts_with('0') => i64::from_str_radix(v, 8).unwrap(),
            None => v.parse().unwrap(),
        },
    }
}

/// strace's column padding removed and long hex numbers (addresses) made `0xADDR`.
fn normalize(line: &str) -> String {
    let mut s = String::new();
    let mut rest = line;
    // the padding strace adds before " = " when writing to a file
    while let Some(i) = rest.find(')') {
        s.push_str(&rest[..=i]);
        rest = &rest[i + 1..];
        let trimmed = rest.trim_start_matches(' ');
        if trimmed.starts_with("= ") && trimmed.len() != rest.len() {
            s.push(' ');
            rest = trimmed;
        }
    }
    s.push_str(rest);
    let mut out = String::new();
    let b = s.as_bytes();
    let mut i = 0;
    while i < b.len() {
        if b[i..].starts_with(b"0x") {
            let digits = b[i + 2..]
                .iter()
                .take_while(|c| c.is_ascii_hexdigit())
                .count();
            if digits >= 8 {
                out.push_str("0xADDR");
                i += 2 + digits;
                continue;
            }
        }
        out.push(b[i] as char);
        i += 1;
    }
    out
}

/// The host's strace lines for calls.c, after its marker call.
fn host_lines(cc: &Path, strace: &Path) -> Vec<String> {
    let dir = tempfile::tempdir().unwrap();
    let src = rvmmu_tests::kernel::repo_root().join("tests/strace/calls.c");
    let exe = dir.path().join("calls");
    let st = Command::new(cc)
        .args(["-O2", "-Wall", "-Werror", "-o"])
        .arg(&exe)
        .arg(&src)
        .status()
        .expect("run cc");
    assert!(st.success(), "cc {}", src.display());
    let out = dir.path().join("trace");
    let st = Command::new(strace)
        .arg("-o")
        .arg(&out)
        .arg(&exe)
        .status()
        .expect("run strace");
    assert!(st.success(), "strace {}", exe.display());
    let text = std::fs::read_to_string(&out).unwrap();
    let lines: Vec<String> = text
        .lines()
        .skip_while(|l| !l.contains("rvmmu-strace-begin"))
        .skip(1)
        .filter(|l| !l.starts_with("+++") && !l.starts_with("---"))
        .map(str::to_owned)
        .collect();
    assert!(!lines.is_empty(), "no marker in strace's output:\n{text}");
    lines
}

// riscv64 (asm-generic) values of the constants calls.c uses
const AT_FDCWD: u64 = -100i64 as u64;
const O_WRONLY: u64 = 1;
const O_CREAT: u64 = 0o100;
const O_TRUNC: u64 = 0o1000;
const O_APPEND: u64 = 0o2000;
const O_NONBLOCK: u64 = 0o4000;
const O_CLOEXEC: u64 = 0o2000000;

#[test]
fn the_decoder_prints_what_strace_prints() {
    let Some(cc) = rvmmu_tests::require_host_cc("the strace comparison") else {
        return;
    };
    let Some(strace_bin) = rvmmu_tests::require_strace("the strace comparison") else {
        return;
    };
    let host = host_lines(&cc, &strace_bin);
    let mut m = Mem::default();
    let m = &mut m;

    // The descriptors the kernel returned (pipe2's and socketpair's pairs, the pty's fd)
    // are in guest memory, or are later calls' arguments, as strace saw them.
    let pair = |call: &str| -> Vec<u64> {
        let l = host.iter().find(|l| l.starts_with(call)).expect(call);
        let inner = &l[l.find('[').unwrap() + 1..l.find(']').unwrap()];
        inner.split(", ").map(|f| f.parse().unwrap()).collect()
    };
    let fds = pair("pipe2(");
    let (r, w) = (fds[0], fds[1]);
    let sv = pair("socketpair(");
    let ptm_line = host
        .iter()
        .find(|l| l.contains("/dev/ptmx"))
        .expect("openat /dev/ptmx");
    let ptm = ret_of(&normalize(ptm_line)) as u64;

    let data = b"hello\tworld\n\0\x1bx\x7f\xff0123456789012345678901234567890123";
    let begin = m.put_str(0x1000, "/nonexistent/rvmmu-strace");
    let x = m.put_str(0x1100, "/nonexistent/x");
    let fdpair = m.put(0x1200, &[r as u8, 0, 0, 0, w as u8, 0, 0, 0]);
    let wbuf = m.put(0x2000, data);
    let rbuf = m.put(0x3000, data);
    let ab = m.put(0x4000, b"ab");
    let cde = m.put(0x4100, b"cde\n");
    let iov = m.put_u64s(0x4200, &[ab, 2, cde, 4]);
    let rbuf2 = m.put(0x4300, b"abcde\n");
    let set = m.put_u64s(0x5000, &[(1 << 1) | (1 << 14)]);
    let act = m.put_u64s(0x5100, &[1, 0x1000_0000 | 4, 1 << 9]);
    let rl = m.put_u64s(0x5200, &[2048, 2048]);
    let root = m.put_str(0x5300, "/");
    let cwd = m.put(0x5400, b"/\0");
    let pfd = m.put(0x5500, &[r as u8, 0, 0, 0, 1, 0, 0, 0]);
    let zero = m.put_u64s(0x5600, &[0, 0]);
    let us = m.put_u64s(0x5700, &[0, 1000]);
    let rnd = m.put(0x5800, b"");
    let d = m.put_str(0x5900, "/nonexistent/d");
    let prog = m.put_str(0x6000, "/nonexistent/prog");
    let a0 = m.put_str(0x6100, "prog");
    let a1 = m.put_str(0x6200, "a b");
    let a2 = m.put_str(0x6300, "very-long-argument-0123456789012345678901234567890");
    let argv = m.put_u64s(0x6400, &[a0, a1, a2, 0]);
    let e0 = m.put_str(0x6500, "A=1");
    let e1 = m.put_str(0x6600, "B=2");
    let envp = m.put_u64s(0x3ffffffe48, &[e0, e1, 0]);
    let svp = m.put(0x7000, &[sv[0] as u8, 0, 0, 0, sv[1] as u8, 0, 0, 0]);
    let ss = m.put_u64s(0x7100, &[0, 2, 0]);
    let ptmx = m.put_str(0x7200, "/dev/ptmx");
    // struct termios: c_iflag ICRNL|IXON, c_oflag OPOST|ONLCR, c_cflag B38400|CS8|CREAD,
    // c_lflag ISIG|ICANON|ECHO|ECHOE|ECHOK|IEXTEN|ECHOCTL|ECHOKE, c_line, c_cc
    let mut tio: Vec<u8> = [0o2400u32, 0o5, 0o277, 0o105073]
        .iter()
        .flat_map(|w| w.to_le_bytes())
        .collect();
    tio.extend_from_slice(&[0; 20]);
    let tio = m.put(0x7300, &tio);
    let ws = m.put(0x7400, &[0; 8]);
    let ca = m.put_u64s(0x7500, &[0x4100, 0, 0, 0, 17, 0, 0, 0, 0, 0, 0]);

    let cases: Vec<(&str, Vec<u64>)> = vec![
        ("openat", vec![AT_FDCWD, begin, O_CLOEXEC]),
        (
            "openat",
            vec![AT_FDCWD, x, O_WRONLY | O_CREAT | O_TRUNC, 0o640],
        ),
        ("pipe2", vec![fdpair, O_CLOEXEC]),
        ("write", vec![w, wbuf, 50]),
        ("read", vec![r, rbuf, 100]),
        ("writev", vec![w, iov, 2]),
        ("read", vec![r, rbuf2, 6]),
        ("mmap", vec![0, 1 << 50, 1, 0x22, u64::MAX, 0]),
        ("madvise", vec![0, 0, 4]),
        ("mprotect", vec![0, 0, 3]),
        ("munmap", vec![0, 0]),
        ("mremap", vec![0, 0, 4096, 1, 0]),
        ("msync", vec![0, 0, 4 | 2]),
        ("kill", vec![0x7ffffff0, 9]),
        ("rt_sigprocmask", vec![0, set, 0, 8]),
        ("rt_sigaction", vec![12, act, 0, 8]),
        ("prlimit64", vec![0, 4, rl, 0]),
        ("prlimit64", vec![0, 4, 0, rl]),
        ("umask", vec![0o22]),
        ("umask", vec![0o77]),
        ("lseek", vec![r, 0, 1]),
        ("fcntl", vec![w, 1]),
        ("fcntl", vec![w, 4, O_NONBLOCK | O_APPEND]),
        ("chdir", vec![root]),
        ("getcwd", vec![cwd, 100]),
        ("ppoll", vec![pfd, 1, zero, 0, 8]),
        ("clock_nanosleep", vec![1, 0, us, 0]),
        ("socket", vec![1, 1 | O_CLOEXEC, 0]),
        ("getrandom", vec![rnd, 0, 1]),
        ("ioctl", vec![r, 0x5401, 0]),
        ("dup3", vec![w, 10, O_CLOEXEC]),
        ("faccessat", vec![AT_FDCWD, root, 4 | 1]),
        ("unlinkat", vec![AT_FDCWD, d, 0x200]),
        ("mkdirat", vec![AT_FDCWD, d, 0o755]),
        ("socketpair", vec![1, 1, 0, svp]),
        ("getgroups", vec![0, 0]),
        ("sigaltstack", vec![0, ss]),
        ("openat", vec![AT_FDCWD, ptmx, 2 | 0o400]),
        ("ioctl", vec![ptm, 0x5402, tio]),
        ("ioctl", vec![ptm, 0x5401, tio]),
        ("ioctl", vec![ptm, 0x5413, ws]),
        ("futex", vec![0x3f00000000, 0x81, 1]),
        ("futex", vec![0x3f00000000, 0x80, 2]),
        ("futex", vec![0x3f00000000, 0x189, 1, 0, 0, 0xffff_ffff]),
        ("futex", vec![0x3f00000000, 0x84, 1, 2, 0x3f00000000, 0]),
        ("futex", vec![0x3f00000000, 7]),
        ("clone3", vec![ca, 88]),
        ("execve", vec![prog, argv, envp]),
        ("exit_group", vec![0]),
    ];
    assert_eq!(
        host.len(),
        cases.len(),
        "calls.c and this test list other calls; strace printed:\n{}",
        host.join("\n")
    );
    let mut diffs = Vec::new();
    for (line, (name, args)) in host.iter().zip(&cases) {
        let mut a = [0u64; 6];
        a[..args.len()].copy_from_slice(args);
        let ours = strace::enter(nr(name), a, m).finish(ret_of(&normalize(line)), m);
        if normalize(&ours) != normalize(line) {
            diffs.push(format!("strace: {line}\nrvmmu:  {ours}"));
        }
    }
    assert!(diffs.is_empty(), "{}", diffs.join("\n"));
}

#[test]
fn normalizing_removes_padding_and_addresses() {
    assert_eq!(normalize("close(3)                  = 0"), "close(3) = 0");
    assert_eq!(
        normalize("execve(\"/x\", [\"x\"], 0x7ffefa161710 /* 2 vars */) = -1 ENOENT (No such file or directory)"),
        "execve(\"/x\", [\"x\"], 0xADDR /* 2 vars */) = -1 ENOENT (No such file or directory)"
    );
    assert_eq!(
        normalize("fcntl(4, F_GETFD) = 0x1 (flags FD_CLOEXEC)"),
        "fcntl(4, F_GETFD) = 0x1 (flags FD_CLOEXEC)"
    );
    assert_eq!(
        ret_of("lseek(3, 0, SEEK_CUR) = -1 ESPIPE (Illegal seek)"),
        -29
    );
    assert_eq!(ret_of("fcntl(4, F_GETFD) = 0x1 (flags FD_CLOEXEC)"), 1);
    assert_eq!(ret_of("exit_group(0) = ?"), 0);
    assert_eq!(ret_of("umask(077) = 022"), 0o22);
}
