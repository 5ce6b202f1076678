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

/// The label after which the notes programs (`programs/notes/`) print an address with
/// `%x` (no prefix, the pointer truncated to 32 bits, so any number of hex digits, even
/// all decimal ones): "...内存起始地址：4b2a0".
const ADDRESS_LABEL: &str = "地址：";

/// What a TAP check prints after its line under qemu-riscv64 where QEMU's user mode cannot
/// answer as Linux does (`CHECK_NOT_ON_QEMU` in programs/tests/check.h).
pub const QEMU_SKIP: &str = " # SKIP on qemu-user";

/// The TAP output of the guest program `name` (a [`crate::LINUX_PROGRAMS`] entry) under
/// qemu-riscv64 with `args` and RVMMU_ON_QEMU_USER=1, each line's qemu-user SKIP remark
/// removed so it compares line for line with a run on the kernel. The program must exit 0
/// and write nothing to stderr. None without qemu-riscv64 (a failure when `CI` is set).
pub fn tap_on_qemu_user(name: &str, args: &[&str]) -> Option<String> {
    let qemu = crate::require_qemu_user(&format!("the Linux reference for {name}"))?;
    let path = crate::linux_program(name).unwrap_or_else(|| panic!("no program {name} was built"));
    let run = run_user_env(
        &qemu,
        path,
        args,
        b"",
        &[("RVMMU_ON_QEMU_USER", "1")],
        Duration::from_secs(60),
    )
    .expect("run qemu-riscv64");
    assert!(run.stderr.is_empty(), "{name}: {}", run.stderr);
    assert_eq!(
        run.code,
        Some(0),
        "{name} under qemu-riscv64\n{}",
        run.stdout
    );
    Some(without_qemu_skips(&run.stdout))
}

/// `stdout` with each line's qemu-user SKIP remark ([`QEMU_SKIP`] and what follows)
/// removed, so that it compares line for line with a run on the kernel.
pub fn without_qemu_skips(stdout: &str) -> String {
    stdout
        .lines()
        .map(|l| format!("{}\n", l.split(QEMU_SKIP).next().unwrap_or(l)))
        .collect()
}

/// `s` with what differs between runs replaced, and nothing else:
/// - an address: a `0x`/`0X`-prefixed hex number of at least 4 digits (no mapping starts
///   below 0x1000); any hex number right after [`ADDRESS_LABEL`]; a bare hex word of 8 to
///   16 digits (a `%x` or `%lx` pointer print) holding both a decimal digit and a letter
///   a-f; each becomes `<addr>`;
/// - a pid: the number in `/proc/N/` and after the word `pid ` becomes `<pid>`.
///
/// Decimal numbers of any length and words made of the letters a-f ("decade", "faced")
/// are kept, so a count or a size that differs is still seen.
pub fn normalize(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    // Whether the previous char was alphanumeric (word boundary test).
    let mut prev_alnum = false;
    while let Some(c) = rest.chars().next() {
        if let Some(after) = rest.strip_prefix("/proc/") {
            let n = digits(after, |c| c.is_ascii_digit());
            if n > 0 && after[n..].starts_with('/') {
                out.push_str("/proc/<pid>");
                rest = &after[n..];
                prev_alnum = true;
                continue;
            }
        }
        if !prev_alnum {
            let lower = rest.get(..4).map(str::to_ascii_lowercase);
            if lower.as_deref() == Some("pid ") {
                let n = digits(&rest[4..], |c| c.is_ascii_digit());
                if n > 0 && ends_word(&rest[4 + n..]) {
                    out.push_str(&rest[..4]);
                    out.push_str("<pid>");
                    rest = &rest[4 + n..];
                    prev_alnum = true;
                    continue;
                }
            }
            if rest.starts_with("0x") || rest.starts_with("0X") {
                let n = digits(&rest[2..], |c| c.is_ascii_hexdigit());
                if n >= 4 && ends_word(&rest[2 + n..]) {
                    out.push_str("<addr>");
                    rest = &rest[2 + n..];
                    prev_alnum = true;
                    continue;
                }
            }
            let n = digits(rest, |c| c.is_ascii_hexdigit());
            let word = &rest[..n];
            let pointer_like = (8..=16).contains(&n)
                && word.bytes().any(|b| b.is_ascii_digit())
                && word.bytes().any(|b| b.is_ascii_alphabetic());
            let labelled = n > 0 && out.ends_with(ADDRESS_LABEL);
            if (pointer_like || labelled) && ends_word(&rest[n..]) {
                out.push_str("<addr>");
                rest = &rest[n..];
                prev_alnum = true;
                continue;
            }
        }
        out.push(c);
        prev_alnum = c.is_alphanumeric();
        rest = &rest[c.len_utf8()..];
    }
    out
}

/// The length in bytes of the run of ASCII chars matching `f` at the start of `s`.
fn digits(s: &str, f: impl Fn(char) -> bool) -> usize {
    s.chars().take_while(|&c| c.is_ascii() && f(c)).count()
}

/// Whether `rest` does not continue a word (it is empty or starts with a non-alphanumeric).
fn ends_word(rest: &str) -> bool {
    rest.chars().next().is_none_or(|c| !c.is_alphanumeric())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_notes_addresses_and_pids_are_replaced() {
        assert_eq!(
            normalize("此1字节的内存起始地址：4b2a0\n使用cat /proc/123/maps查看内存分配\n"),
            "此1字节的内存起始地址：<addr>\n使用cat /proc/<pid>/maps查看内存分配\n"
        );
        // After the label even an address of decimal digits only, or of one digit.
        assert_eq!(normalize("起始地址：52000"), "起始地址：<addr>");
        assert_eq!(normalize("起始地址：0"), "起始地址：<addr>");
        assert_eq!(
            normalize("此内存起始地址：0X7fa0b010 and 0xdeadbeef00"),
            "此内存起始地址：<addr> and <addr>"
        );
        assert_eq!(normalize("at 0x1000, 0x4b2a0."), "at <addr>, <addr>.");
        assert_eq!(normalize("%p: 7ffd3a2b1c40"), "%p: <addr>");
        assert_eq!(normalize("pid 4242 ended"), "pid <pid> ended");
        assert_eq!(normalize("(PID 7)"), "(PID <pid>)");
    }

    #[test]
    fn decimal_numbers_and_hex_letter_words_are_kept() {
        for kept in [
            "12345",
            "1234567890",
            "123456789012345678",
            "1 GB, 1024 blocks, 65536 pages",
            "faced decade facade deadbeef",
            "cafe0 abc12",
            "0x10 0x0 0xfff",
            "/proc/self/maps /proc/123",
            "x12345678 7fa0b010z",
            "ok 12 - 65536 bytes at offset 4096",
            "rapid 12",
            "pid",
        ] {
            assert_eq!(normalize(kept), kept);
        }
        // A word of 17 hex digits is longer than any pointer print.
        assert_eq!(normalize("7fa0b0107fa0b0107"), "7fa0b0107fa0b0107");
    }
}
