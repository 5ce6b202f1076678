//! The block engine (`emu/src/hart/block.rs`) and the JIT (`emu/src/hart/jit`, at a
//! compile threshold of 1 or 2 entries, so that nearly everything that can be compiled is)
//! against the interpreter they stand in for (`Hart::run_fast`): every bare-metal program (ISA and MMU programs: traps, paging, PMP,
//! sfence.vma, A/D faults, triggers, misaligned accesses, U-mode, interrupts) and a few
//! kernel runs (a program printing, one killed by SIGSEGV, fork with copy-on-write, one at
//! a small `--mem`) run once on each engine, and the runs must leave the same
//! everything: exit, console, instruction and trap counts by cause, the TLB and walker
//! counters, the TLB's entries with their LRU stamps, the registers, pc and privilege. A
//! second pair of runs with translation tracing on (which turns the MMU's fast path off)
//! must write the same trace bytes.
//!
//! The JIT must also have run compiled code in each of them.
//!
//! The budget (a run cut by `--max-insns` anywhere, also in the middle of a block) and code
//! that rewrites the next instruction of its own block are checked by the unit tests in
//! `emu/src/hart/block.rs` and `emu/src/hart/jit/tests.rs`.

use rvmmu::hart::Engine;
use rvmmu::machine::{Exit, Machine, MachineConfig, TraceConfig};
use rvmmu::mmu::walk::AdMode;
use rvmmu::trace::{Filter, Format};
use rvmmu_tests::SharedBuf;

/// What a finished run leaves, as one comparable string.
fn state(m: &mut Machine, exit: &Exit) -> String {
    let console = String::from_utf8_lossy(&m.console_log()).into_owned();
    let h = &m.hart;
    let entries: Vec<_> = h.mmu.tlb.entries().collect();
    format!(
        "exit {exit:?}\nstats {:?}\ntraps {}\npc {:#x} {:?}\nx {:x?}\ntlb {:?}\nmmu {:?}\n\
         entries {entries:?}\nconsole {console:?}",
        m.stats(),
        h.traps,
        h.pc,
        h.prv,
        &h.x[..32],
        h.mmu.tlb.stats(),
        h.mmu.stats,
    )
}

/// Runs the machine `cfg` describes, `load` having loaded its program, on `engine`; with
/// `trace`, translations (those `trace` accepts) are traced too. Returns the exit, the
/// state ([`state`]), the trace, and the number of compiled-region calls (JIT).
fn run(
    cfg: impl Fn() -> MachineConfig,
    load: &dyn Fn(&mut Machine),
    engine: Engine,
    trace: Option<Filter>,
) -> (Exit, String, Vec<u8>, u64) {
    let out = SharedBuf::default();
    let cfg = MachineConfig {
        engine,
        trace: trace.map(|f| TraceConfig {
            out: Box::new(out.clone()),
            format: Format::Text,
            insns: false,
            translations: Some(f),
            events: Default::default(),
            pid: None,
        }),
        ..cfg()
    };
    let mut m = Machine::new(cfg).expect("a machine");
    load(&mut m);
    let exit = m.run();
    let s = state(&mut m, &exit);
    let entered = m.hart.jit_stats().map_or(0, |j| j.entered);
    drop(m);
    let bytes = std::mem::take(&mut *out.0.lock().expect("not poisoned"));
    (exit, s, bytes, entered)
}

/// All engines, with and without a translation trace, must agree; returns the exit. The
/// JIT compiles at `jit_threshold` entries, and must have run compiled code.
fn same_on_both(
    what: &str,
    cfg: impl Fn() -> MachineConfig + Copy,
    load: &dyn Fn(&mut Machine),
    trace: Filter,
    translates: bool,
    jit_threshold: u32,
) -> Exit {
    // Compiling at once, so that the regions are there to run at the next entry.
    let jit_cfg = || MachineConfig {
        jit_threshold,
        jit_sync: true,
        ..cfg()
    };
    let interp = run(cfg, load, Engine::Interp, None);
    let block = run(cfg, load, Engine::Block, None);
    let jit = run(jit_cfg, load, Engine::Jit, None);
    assert_eq!(
        interp.1, block.1,
        "{what}: interpreter (left), block engine"
    );
    assert_eq!(interp.1, jit.1, "{what}: interpreter (left), JIT");
    assert!(jit.3 > 0, "{what}: the JIT ran no compiled region");
    let interp_t = run(cfg, load, Engine::Interp, Some(trace));
    let block_t = run(cfg, load, Engine::Block, Some(trace));
    let jit_t = run(jit_cfg, load, Engine::Jit, Some(trace));
    assert_eq!(
        interp_t.1, block_t.1,
        "{what} traced: interpreter (left), block engine"
    );
    assert_eq!(
        interp_t.1, jit_t.1,
        "{what} traced: interpreter (left), JIT"
    );
    // M-mode programs translate nothing (no record); the others must trace something.
    assert_eq!(!interp_t.2.is_empty(), translates, "{what}: trace records");
    assert!(
        interp_t.2 == block_t.2,
        "{what}: the translation traces differ ({} and {} bytes)",
        interp_t.2.len(),
        block_t.2.len()
    );
    assert!(
        interp_t.2 == jit_t.2,
        "{what}: the translation traces of the JIT differ ({} and {} bytes)",
        interp_t.2.len(),
        jit_t.2.len()
    );
    interp.0
}

/// `translates`: whether the program translates anything (runs below M-mode, or with
/// MPRV), so that its trace has records.
fn bare(name: &str, translates: bool) {
    let elf = rvmmu_tests::bare_test_path(name).expect("the program was built");
    let image = std::fs::read(elf).expect("read the program");
    let load = |m: &mut Machine| {
        m.load_elf(&image).expect("load");
    };
    // A TLB of four entries makes data refills evict the fetch page's entry, which ends
    // the fetch run in the middle of a block.
    for (ad, tlb, jit_threshold) in [(AdMode::Hardware, "64x4", 1), (AdMode::Fault, "4x1", 2)] {
        let cfg = || MachineConfig {
            max_insns: Some(50_000_000),
            ad,
            tlb: tlb.parse().expect("a geometry"),
            ..MachineConfig::capture(Vec::new())
        };
        let exit = same_on_both(
            &format!("{name} {ad:?} --tlb {tlb}"),
            cfg,
            &load,
            Filter::default(),
            translates,
            jit_threshold,
        );
        assert_eq!(exit, Exit::Pass, "{name} {ad:?}");
    }
}

macro_rules! isa_test {
    ($name:ident) => {
        #[test]
        fn $name() {
            // Those with U- or S-mode parts translate (satp Bare: PMP checks, traced).
            let translates = ["csr", "traps", "interrupts", "misc"].contains(&stringify!($name));
            bare(stringify!($name), translates);
        }
    };
}

macro_rules! mmu_test {
    ($name:ident) => {
        #[test]
        fn $name() {
            bare(stringify!($name), true);
        }
    };
}

mod isa {
    use super::*;
    rvmmu_tests::for_each_bare_test!(isa_test);
}

mod mmu {
    use super::*;
    rvmmu_tests::for_each_mmu_test!(mmu_test);
}

/// The kernel with `program` (`programs/DIR/NAME`) as init, its arguments `args`.
fn kernel(program: &str, args: &str, mem: u64, paging: &str, tlb: &str, want: Exit) {
    let path = rvmmu_tests::linux_program(program).expect("the program was built");
    let initrd = rvmmu_tests::kernel::initramfs_with_init(&std::fs::read(path).expect("read"));
    let bootargs = format!("paging={paging} init=/init quiet -- {args}");
    let cfg = || MachineConfig {
        mem_size: mem,
        bootargs: bootargs.clone(),
        initrd: Some(initrd.clone()),
        tlb: tlb.parse().expect("a geometry"),
        max_insns: Some(400_000_000),
        ..MachineConfig::capture(Vec::new())
    };
    let kernel = rvmmu::kernel::embedded().expect("rvmmu was built with its kernel");
    let load = |m: &mut Machine| {
        m.load_elf(kernel).expect("load the kernel");
    };
    // Every walk (hits would make the trace as long as the run).
    let walks = Filter {
        hit: Some(false),
        ..Filter::default()
    };
    let what = format!(
        "{program} {args} ({paging}, {} MiB, --tlb {tlb})",
        mem >> 20
    );
    let exit = same_on_both(&what, cfg, &load, walks, true, 2);
    assert_eq!(exit, want, "{what}");
}

#[test]
fn kernel_hello() {
    kernel(
        "kernel/hello",
        "one two",
        64 << 20,
        "sv39",
        "64x4",
        Exit::Pass,
    );
}

#[test]
fn kernel_sigsegv() {
    // Killed by SIGSEGV: the finisher gets 0x100 | 11.
    kernel(
        "kernel/segv",
        "null",
        64 << 20,
        "sv48",
        "16x2",
        Exit::Fail(0x100 | 11),
    );
}

#[test]
fn kernel_fork_cow() {
    // A small TLB: the fetch page's entry is evicted by data refills now and then.
    kernel("tests/fork_cow", "", 32 << 20, "sv39", "4x1", Exit::Pass);
}

/// The JIT compiling in the background (the default; the runs above compile at once, so
/// that each entry after the threshold finds its region): a kernel run leaves the
/// interpreter's state. Halfway, the run waits for the worker (`Hart::jit_wait`), so that
/// the second half certainly runs the regions compiled meanwhile.
#[test]
fn kernel_fork_cow_compiling_in_the_background() {
    let path = rvmmu_tests::linux_program("tests/fork_cow").expect("the program was built");
    let initrd = rvmmu_tests::kernel::initramfs_with_init(&std::fs::read(path).expect("read"));
    let kernel = rvmmu::kernel::embedded().expect("rvmmu was built with its kernel");
    let boot = |engine| {
        let mut m = Machine::new(MachineConfig {
            engine,
            mem_size: 32 << 20,
            bootargs: "paging=sv39 init=/init quiet -- ".into(),
            initrd: Some(initrd.clone()),
            tlb: "4x1".parse().expect("a geometry"),
            max_insns: Some(400_000_000),
            jit_threshold: 2,
            ..MachineConfig::capture(Vec::new())
        })
        .expect("a machine");
        m.load_elf(kernel).expect("load the kernel");
        m
    };
    let mut interp = boot(Engine::Interp);
    let exit = interp.run();
    assert_eq!(exit, Exit::Pass);
    let mut jit = boot(Engine::Jit);
    assert_eq!(jit.run_until(interp.hart.steps / 2), None);
    jit.hart.jit_wait();
    let half = jit.hart.jit_stats().expect("the JIT is on");
    let jit_exit = jit.run();
    assert_eq!(state(&mut interp, &exit), state(&mut jit, &jit_exit));
    let end = jit.hart.jit_stats().expect("the JIT is on");
    assert!(end.entered > half.entered, "{half:?}, then {end:?}");
}
