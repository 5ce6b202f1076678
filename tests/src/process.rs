//! Running a host command with a wall-clock limit, its output captured (QEMU runs).

use std::io::{Read, Write};
use std::process::{Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

/// How a command ended.
#[derive(Debug)]
pub struct Finished {
    /// Exit status; `None` if it was killed at the timeout.
    pub status: Option<ExitStatus>,
    pub stdout: Vec<u8>,
    pub stderr: Vec<u8>,
}

/// Runs `cmd` for at most `timeout`, with `stdin` as its input (`None`: no input at all),
/// capturing stdout and stderr.
///
/// The command runs in a process group of its own, led by it, whose leader's parent (this
/// process) is in another group of the same session: so the group is not *orphaned*, and
/// job control works in it. (In the group of a test suite started detached from any shell,
/// which is orphaned, Linux discards the SIGTSTP, SIGTTIN and SIGTTOU sent to its members:
/// a TAP test that stops a child with SIGTSTP then waited forever for the stop.) The group
/// is killed whole when the command exits or times out: a process it left behind (a child
/// orphaned by its exit) would otherwise hold the output pipes open, and reading them
/// would never end.
pub fn run_with_timeout(
    mut cmd: Command,
    stdin: Option<Vec<u8>>,
    timeout: Duration,
) -> std::io::Result<Finished> {
    use std::os::unix::process::CommandExt;
    let mut child = cmd
        .process_group(0)
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()?;
    // The command may exit without reading everything: a broken pipe is fine.
    let writer = stdin.map(|bytes| {
        let mut pipe = child.stdin.take().expect("piped stdin");
        std::thread::spawn(move || {
            let _ = pipe.write_all(&bytes);
        })
    });
    let reader = |mut r: Box<dyn Read + Send>| {
        std::thread::spawn(move || {
            let mut buf = Vec::new();
            let _ = r.read_to_end(&mut buf);
            buf
        })
    };
    let out = reader(Box::new(child.stdout.take().expect("piped stdout")));
    let err = reader(Box::new(child.stderr.take().expect("piped stderr")));
    let start = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait()? {
            break Some(status);
        }
        if start.elapsed() >= timeout {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    // The group is the child's pid (`process_group(0)`); what is left of it goes. The
    // group keeps its id while it has members, so this reaches no other process.
    // SAFETY: kill(2) with a negative pid signals that process group; no memory involved.
    unsafe { libc::kill(-(child.id() as libc::pid_t), libc::SIGKILL) };
    if let Some(w) = writer {
        let _ = w.join();
    }
    Ok(Finished {
        status,
        stdout: out.join().unwrap_or_default(),
        stderr: err.join().unwrap_or_default(),
    })
}
