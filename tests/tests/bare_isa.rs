//! Runs every bare-metal ISA test program (and every MMU
//! program) on rvmmu and asserts it passed.
//! A failure names the program and the failing case and shows the console.

use rvmmu::machine::{Exit, Machine, MachineConfig};
use rvmmu::mmu::walk::AdMode;
use rvmmu_tests::bare_test_path;

/// The one place that drives the rvmmu API: load `elf`, run it, return how it
/// ended and what the guest wrote to the UART.
fn run_on_rvmmu(elf: &str, ad: AdMode) -> Result<(Exit, Vec<u8>), String> {
    let cfg = MachineConfig {
        mem_size: 128 << 20,
        max_insns: Some(50_000_000),
        ad,
        ..MachineConfig::capture(Vec::new())
    };
    let mut m = Machine::new(cfg).map_err(|e| format!("Machine::new: {e:?}"))?;
    let image = std::fs::read(elf).map_err(|e| format!("read {elf}: {e}"))?;
    m.load_elf(&image)
        .map_err(|e| format!("load_elf {elf}: {e:?}"))?;
    let exit = m.run();
    Ok((exit, m.console_output()))
}

fn run_bare(name: &str) {
    run_bare_with(name, AdMode::Hardware);
}

fn run_bare_with(name: &str, ad: AdMode) {
    let elf = bare_test_path(name).expect("bare test was built");
    let (exit, console) =
        run_on_rvmmu(elf, ad).unwrap_or_else(|e| panic!("bare test {name} ({ad:?}): {e}"));
    let console = String::from_utf8_lossy(&console);
    match exit {
        Exit::Pass => {}
        Exit::Fail(case) => {
            panic!("bare test {name} ({ad:?}) failed case {case}\n--- console ---\n{console}")
        }
        Exit::MaxInsns => {
            panic!("bare test {name} hit the instruction limit\n--- console ---\n{console}")
        }
        Exit::Halted(why) => {
            panic!("bare test {name} halted: {why}\n--- console ---\n{console}")
        }
    }
}

macro_rules! isa_test {
    ($name:ident) => {
        #[test]
        fn $name() {
            run_bare(stringify!($name));
        }
    };
}

rvmmu_tests::for_each_bare_test!(isa_test);

/// The MMU programs (`tests/bare/mmu/`), run exactly like the ISA programs.
/// They pass on QEMU too (tests/tests/bare_qemu.rs), apart from the cases QEMU models
/// differently (tests/bare/README.md).
macro_rules! mmu_test {
    ($name:ident) => {
        #[test]
        fn $name() {
            run_bare(stringify!($name));
        }
    };
}

rvmmu_tests::for_each_mmu_test!(mmu_test);

/// The MMU programs again with the other A/D scheme (`--ad fault`, Svade): A = 0, or a store
/// with D = 0, is a page fault. Each program detects the scheme and checks what it implies.
mod svade {
    use super::*;

    macro_rules! mmu_test_svade {
        ($name:ident) => {
            #[test]
            fn $name() {
                run_bare_with(stringify!($name), AdMode::Fault);
            }
        };
    }

    rvmmu_tests::for_each_mmu_test!(mmu_test_svade);
}
