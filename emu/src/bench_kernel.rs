//! `rvmmu bench`'s kernel workloads: the built-in kernel boots, as `rvmmu run` boots it (the
//! same command line, the built-in /bin in the initramfs, Sv48), runs one program as its
//! first process, and powers the machine off when the program ends. A run passes when the
//! program exits 0 and its output says what it computed was right; it is timed from the
//! first guest instruction (the boot ROM) to the power-off, so the boot is in it, and the
//! host's work before it (packing the initramfs, making the machine, loading the kernel's
//! ELF) is not.
//!
//! The programs: `free` from the built-in /bin, and `programs/stress/forkexec.c` and
//! `programs/stress/alloc_stress.c`, which `emu/build.rs` builds into rvmmu beside /bin
//! (not in it: every other run's initramfs stays as it was). Without the built-in kernel
//! (`RVMMU_NO_KERNEL=1`) every workload is [`Unavailable`](BenchError::Unavailable).

use crate::bench::Sample;
use crate::hart::Engine;
use crate::machine::{Exit, Machine, MachineConfig};
use std::time::Instant;

/// The bench programs `emu/build.rs` built: (name, static riscv64 executable).
const PROGRAMS: &[(&str, &[u8])] = include!(concat!(env!("OUT_DIR"), "/bench_programs.rs"));

/// A kernel workload.
pub struct KernelWorkload {
    pub name: &'static str,
    pub what: &'static str,
    /// The program: a built-in /bin program or one of [`PROGRAMS`], by name.
    pub program: &'static str,
    /// Its arguments at scale `n`.
    pub args: fn(u64) -> Vec<String>,
    /// The scale `rvmmu bench` runs it at, unless told otherwise.
    pub scale: u64,
    /// The machine's RAM.
    pub mem: u64,
    /// Whether the program's console output at scale `n` is what a correct run prints:
    /// `Err` says what is wrong.
    pub check: fn(&str, u64) -> Result<(), String>,
}

/// Why a kernel workload did not give a sample.
#[derive(Debug, thiserror::Error)]
pub enum BenchError {
    #[error(
        "the kernel workloads are unavailable: this rvmmu was built without its kernel \
         (RVMMU_NO_KERNEL=1)"
    )]
    Unavailable,
    #[error("{0}")]
    Setup(String),
    #[error("{name} did not pass: {why}\n{console}")]
    Failed {
        name: &'static str,
        why: String,
        console: String,
    },
}

/// The kernel workloads, in the order `rvmmu bench` runs them.
pub const KERNEL_WORKLOADS: &[KernelWorkload] = &[
    KernelWorkload {
        name: "kernel-boot",
        what: "the kernel boots, runs /bin/free (it reads /proc/meminfo) and powers off",
        program: "free",
        args: |_| Vec::new(),
        scale: 1,
        mem: 128 << 20,
        check: |out, _| {
            if out.contains("Mem:") {
                Ok(())
            } else {
                Err("free printed no Mem: line".into())
            }
        },
    },
    KernelWorkload {
        name: "kernel-fork",
        what: "the kernel runs forkexec: N times fork, execve of itself, pipe, wait",
        program: "forkexec",
        args: |n| vec![n.to_string()],
        scale: 200,
        mem: 128 << 20,
        check: |out, n| {
            let want = format!("forkexec: {n} children, 0 bad,");
            if out.contains(&want) {
                Ok(())
            } else {
                Err(format!("no line starting '{want}'"))
            }
        },
    },
    KernelWorkload {
        name: "kernel-malloc",
        what:
            "the kernel runs alloc_stress (glibc malloc/realloc/free, blocks up to 2 MiB), N rounds",
        program: "alloc_stress",
        args: |n| vec![n.to_string(), "1".into(), "2097152".into()],
        scale: 1000,
        mem: 1 << 30,
        check: |out, n| {
            let want = format!("alloc_stress: {n} rounds,");
            if out.contains(&want) && out.contains(", 0 bad") {
                Ok(())
            } else {
                Err(format!("no line '{want} ... 0 bad'"))
            }
        },
    },
];

/// The kernel workload called `name`.
pub fn find(name: &str) -> Option<&'static KernelWorkload> {
    KERNEL_WORKLOADS.iter().find(|w| w.name == name)
}

/// Whether this rvmmu can run the kernel workloads (it has its kernel and the programs).
pub fn available() -> bool {
    crate::kernel::embedded().is_some() && !PROGRAMS.is_empty()
}

/// A machine with `w`'s program at scale `n` as the first process, its kernel loaded,
/// ready to run on `engine` (the JIT compiling at `jit_threshold` entries); the machine's
/// console output is kept (see [`Machine::console_output`]).
pub fn prepare(
    w: &KernelWorkload,
    n: u64,
    engine: Engine,
    jit_threshold: u32,
) -> Result<Machine, BenchError> {
    let kernel = crate::kernel::embedded().ok_or(BenchError::Unavailable)?;
    let mut files = crate::guest_bin::initramfs_files();
    let init = format!("/bin/{}", w.program);
    if crate::guest_bin::find(w.program).is_none() {
        let (_, data) = PROGRAMS
            .iter()
            .find(|(p, _)| *p == w.program)
            .ok_or(BenchError::Unavailable)?;
        files.push(crate::initramfs::File {
            path: init.clone(),
            data: data.to_vec(),
            mode: 0o755,
        });
    }
    // As `rvmmu run` boots (its default Sv48, no `quiet`: on rvmmu the kernel's log lines
    // travel through the event channel, never the console).
    let bootargs = crate::cli::kernel_cmdline("sv48", &init, false, &[], &(w.args)(n))
        .map_err(BenchError::Setup)?;
    let cfg = MachineConfig {
        mem_size: w.mem,
        bootargs,
        engine,
        jit_threshold,
        initrd: Some(crate::initramfs::pack(&files).map_err(|e| BenchError::Setup(e.to_string()))?),
        ..MachineConfig::capture(Vec::new())
    };
    let mut m = Machine::new(cfg).map_err(|e| BenchError::Setup(e.to_string()))?;
    m.load_elf(kernel)
        .map_err(|e| BenchError::Setup(format!("the built-in kernel: {e}")))?;
    Ok(m)
}

/// Runs `w` once at scale `n` on `engine`: its sample (guest instructions retired, host
/// seconds, the TLB's counters) once it has passed, and the program's console output.
pub fn run_once(
    w: &KernelWorkload,
    n: u64,
    engine: Engine,
    jit_threshold: u32,
) -> Result<(Sample, String), BenchError> {
    let mut m = prepare(w, n, engine, jit_threshold)?;
    let start = Instant::now();
    let exit = m.run();
    let seconds = start.elapsed().as_secs_f64();
    let console = String::from_utf8_lossy(&m.console_output()).into_owned();
    let fail = |why: String| BenchError::Failed {
        name: w.name,
        why,
        console: console.clone(),
    };
    if exit != Exit::Pass {
        return Err(fail(format!("the machine ended with {exit:?}")));
    }
    (w.check)(&console, n).map_err(fail)?;
    let sample = Sample {
        instructions: m.hart.instret(),
        seconds,
        tlb: *m.hart.mmu.tlb.stats(),
    };
    Ok((sample, console))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Each workload at a tiny scale boots, runs its program to a pass and prints what its
    /// check wants, on both engines, which retire the same instructions and print the same;
    /// without the built-in kernel each says it is unavailable.
    #[test]
    fn each_kernel_workload_runs_to_completion_at_a_tiny_scale() {
        for w in KERNEL_WORKLOADS {
            let n = match w.name {
                "kernel-fork" => 3,
                "kernel-malloc" => 20,
                _ => 1,
            };
            match run_once(w, n, Engine::Block, 200) {
                Ok((s, out)) => {
                    assert!(available(), "{}: ran without the kernel", w.name);
                    assert!((w.check)(&out, n).is_ok(), "{}: {out}", w.name);
                    assert!(s.instructions > 0, "{}", w.name);
                    let (i, iout) = run_once(w, n, Engine::Interp, 200).expect("the interpreter");
                    assert_eq!(i.instructions, s.instructions, "{}", w.name);
                    assert_eq!(iout, out, "{}", w.name);
                    #[cfg(feature = "jit")]
                    {
                        let (j, jout) = run_once(w, n, Engine::Jit, 2).expect("the JIT");
                        assert_eq!(j.instructions, s.instructions, "{}", w.name);
                        assert_eq!(j.tlb, s.tlb, "{}", w.name);
                        assert_eq!(jout, out, "{}", w.name);
                    }
                }
                Err(BenchError::Unavailable) => {
                    assert!(
                        !available(),
                        "{}: unavailable with a kernel built in",
                        w.name
                    )
                }
                Err(e) => panic!("{e}"),
            }
        }
    }

    #[test]
    fn a_check_refuses_output_that_is_not_a_pass() {
        let fork = find("kernel-fork").unwrap();
        assert!((fork.check)("forkexec: 3 children, 1 bad, checksum 0\n", 3).is_err());
        assert!((fork.check)("forkexec: 3 children, 0 bad, checksum 0\n", 4).is_err());
        let malloc = find("kernel-malloc").unwrap();
        assert!((malloc.check)("alloc_stress: 20 rounds, ... 2 bad\n", 20).is_err());
        assert!((find("kernel-boot").unwrap().check)("", 1).is_err());
    }
}
