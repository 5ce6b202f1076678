//! Names for compiled regions in host profiles, for `perf` (Linux's profiler).
//!
//! With `RVMMU_PERF_MAP` set in the environment, each compiled region is appended to
//! `/tmp/perf-PID.map`, the file `perf report` reads to name samples in code that has no
//! symbols: one line of start address, size (both hexadecimal) and a name,
//! `region_PC_D` (the guest pc it is entered at, hexadecimal; D the data context it was
//! compiled for: `Direct`, `Bare` or `Paged`). The region's machine code is also written to
//! `/tmp/rvmmu-jit/START.bin`, for `objdump -D -b binary -mi386:x86-64
//! --adjust-vma=0xSTART`, which with `perf script`'s addresses gives a profile of each
//! host instruction. Off, this costs one test per compiled region. A file that cannot
//! be written is reported once, and the run goes on.

use crate::hart::DataPath;
use std::io::Write;
use std::sync::OnceLock;

fn enabled() -> bool {
    static ON: OnceLock<bool> = OnceLock::new();
    *ON.get_or_init(|| std::env::var_os("RVMMU_PERF_MAP").is_some())
}

/// Records the region compiled at guest `pc` whose `bytes` bytes of code start at `code`.
pub(super) fn record(code: *const u8, bytes: usize, pc: u64, data: DataPath) {
    if !enabled() {
        return;
    }
    // SAFETY: `code` is the start of a finalized function of `bytes` bytes (the code
    // buffer Cranelift emitted), readable while its module lives, as it does here.
    let text = unsafe { core::slice::from_raw_parts(code, bytes) };
    let start = code as usize;
    let line = format!("{start:x} {bytes:x} region_{pc:x}_{data:?}\n");
    let written = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(format!("/tmp/perf-{}.map", std::process::id()))
        .and_then(|mut f| f.write_all(line.as_bytes()))
        .and_then(|()| std::fs::create_dir_all("/tmp/rvmmu-jit"))
        .and_then(|()| std::fs::write(format!("/tmp/rvmmu-jit/{start:x}.bin"), text));
    if let Err(e) = written {
        static ONCE: OnceLock<()> = OnceLock::new();
        ONCE.get_or_init(|| log::warn!("RVMMU_PERF_MAP: cannot record compiled code: {e}"));
    }
}
