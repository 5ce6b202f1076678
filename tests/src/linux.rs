//! Linux programs (`programs/`) under `qemu-riscv64`, the user-mode reference for what a
//! Linux program prints, and what may legitimately differ between two runs of one: the
//! addresses it prints and its pid.

use std::path::PathBuf;
use std::process::Command;
use std::time::Duration;

/// The `qemu-riscv64` on `PATH`; `None` (with a skip line) when it is missing outside CI;
/// under CI a missing qemu-riscv64 panics ([`crate::require_qemu_user`]).
pub fn find_qemu_user() -> Option<PathBuf> {
    crate::require_qemu_user("this comparison with qemu-riscv64")
}

/// One finished (or timed-out) run.
#[derive(Debug)]
pub struct UserRun {
    /// Exit code; `None` if killed at the timeout or by a signal.
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
}

/// Runs `program args...` under `qemu` with `stdin` as its input, for at most `timeout`.
pub fn run_user(
    qemu: &PathBuf,
    program: &str,
    args: &[&str],
    stdin: &[u8],
    timeout: Duration,
) -> std::io::Result<UserRun> {
    run_user_env(qemu, program, args, stdin, &[], timeout)
}

/// [`run_user`] with extra environment variables for the program.
pub fn run_user_env(
    qemu: &PathBuf,
    program: &str,
    args: &[&str],
    stdin: &[u8],
    env: &[(&str, &str)],
    timeout: Duration,
) -> std::io::Result<UserRun> {
    let mut cmd = Command::new(qemu);
    cmd.arg(program).args(args).envs(env.iter().copied());
    let run = crate::process::run_with_timeout(cmd, Some(stdin.to_vec()), timeout)?;
    let text = |b: Vec<u8>| String::from_utf8_lossy(&b).into_owned();
    Ok(UserRun {
        code: run.status.and_then(|s| s.code()),
        stdout: text(run.stdout),
        stderr: text(run.stderr),
    })
}

/// `s` with what differs between runs replaced: every hexadecimal address of at least five
/// digits (with or without `0x`/`0X`) by `<addr>`, and the number in `/proc/N/` by `<pid>`.
pub fn normalize(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let chars: Vec<char> = s.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        let rest: String = chars[i..chars.len().min(i + 6)].iter().collect();
        if rest.starts_with("/proc/") {
            let digits = chars[i + 6..]
                .iter()
                .take_while(|c| c.is_ascii_digit())
                .count();
            if digits > 0 {
                out.push_str("/proc/<pid>");
                i += 6 + digits;
                continue;
            }
        }
        let prefix = if rest.starts_with("0x") || rest.starts_with("0X") {
            2
        } else {
            0
        };
        let boundary = i == 0 || !chars[i - 1].is_ascii_alphanumeric();
        let n = chars[i + prefix..]
            .iter()
            .take_while(|c| c.is_ascii_hexdigit())
            .count();
        let ends = chars
            .get(i + prefix + n)
            .is_none_or(|c| !c.is_ascii_alphanumeric());
        if boundary && n >= 5 && ends {
            out.push_str("<addr>");
            i += prefix + n;
            continue;
        }
        out.push(chars[i]);
        i += 1;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_and_pids_are_replaced_and_nothing_else() {
        assert_eq!(
            normalize("此1字节的内存起始地址：4b2a0\n使用cat /proc/123/maps查看内存分配\n"),
            "此1字节的内存起始地址：<addr>\n使用cat /proc/<pid>/maps查看内存分配\n"
        );
        assert_eq!(
            normalize("地址：0X7fa0b010 and 0xdeadbeef00"),
            "地址：<addr> and <addr>"
        );
        // Short numbers, decimal words and identifiers stay.
        assert_eq!(
            normalize("1 GB, 1024 blocks, abc, face"),
            "1 GB, 1024 blocks, abc, face"
        );
        assert_eq!(normalize("/proc/self/maps"), "/proc/self/maps");
        assert_eq!(normalize("x12345678"), "x12345678");
    }
}
