//! Running the bare-metal tests on `qemu-system-riscv64 -machine virt`.

use std::path::PathBuf;
use std::process::{Command, ExitStatus};
use std::time::Duration;

/// Address of the host configuration word read by the test runtime
/// (`HOST_CONFIG_ADDR` in `bare/common/encoding.h`); bit 0 tells the
/// program it runs on QEMU, so it skips the documented QEMU divergences.
pub const HOST_CONFIG_ADDR: u64 = 0x80f0_0000;

/// The `qemu-system-riscv64` on `PATH`; `None` (with a skip line) when it is missing
/// outside CI; under CI a missing QEMU panics ([`crate::require_qemu_system`]).
pub fn find_qemu() -> Option<PathBuf> {
    crate::require_qemu_system("this comparison with qemu-system-riscv64")
}

/// Outcome of one QEMU run.
#[derive(Debug)]
pub struct QemuRun {
    /// Exit status, `None` if QEMU was killed at the timeout.
    pub status: Option<ExitStatus>,
    /// Everything QEMU wrote to stdout (the guest's UART) and stderr.
    pub console: String,
}

/// Runs `elf` on QEMU virt (`-bios none`, no graphics, stdin null) for at
/// most `timeout`, flagging the run as QEMU through the host config word.
pub fn run(qemu: &PathBuf, elf: &str, timeout: Duration) -> std::io::Result<QemuRun> {
    let config = format!("loader,addr={HOST_CONFIG_ADDR:#x},data=1,data-len=8");
    run_with(qemu, &["-kernel", elf, "-device", &config], timeout)
}

/// Runs QEMU virt (`-bios none -nographic`, stdin null) with `args` added (`-kernel`,
/// `-append`, `-initrd`, `-m`, ...) for at most `timeout`.
pub fn run_with(qemu: &PathBuf, args: &[&str], timeout: Duration) -> std::io::Result<QemuRun> {
    let mut cmd = Command::new(qemu);
    cmd.args(["-machine", "virt", "-bios", "none", "-nographic"])
        .args(args);
    let run = crate::process::run_with_timeout(cmd, None, timeout)?;
    let mut console = String::from_utf8_lossy(&run.stdout).into_owned();
    console.push_str(&String::from_utf8_lossy(&run.stderr));
    Ok(QemuRun {
        status: run.status,
        console,
    })
}
