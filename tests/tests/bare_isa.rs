//! Runs every bare-metal ISA test program (and every MMU
//! program) on rvmmu and asserts it passed.
//! A failure names the program and the failing case and shows the console.

use rvmmu::hart::Misaligned;
use rvmmu::machine::{Exit, Machine, MachineConfig};
use rvmmu::mmu::walk::AdMode;
use rvmmu_tests::bare_test_path;

/// The host configuration word (tests/bare/common/encoding.h): bit 1 tells a program that
/// misaligned loads and stores trap.
const HOST_CONFIG_ADDR: u64 = 0x80f0_0000;
const HOSTCFG_MA_TRAP: u64 = 2;

/// The one place that drives the rvmmu API: load `elf`, run it, return how it
/// ended and what the guest wrote to the UART. With `Misaligned::Trap`, the host
/// configuration word says so to the program.
fn run_on_rvmmu_with(
    elf: &str,
    ad: AdMode,
    misaligned: Misaligned,
) -> Result<(Exit, Vec<u8>), String> {
    let cfg = MachineConfig {
        mem_size: 128 << 20,
        max_insns: Some(50_000_000),
        ad,
        misaligned,
        ..MachineConfig::capture(Vec::new())
    };
    let mut m = Machine::new(cfg).map_err(|e| format!("Machine::new: {e:?}"))?;
    let image = std::fs::read(elf).map_err(|e| format!("read {elf}: {e}"))?;
    m.load_elf(&image)
        .map_err(|e| format!("load_elf {elf}: {e:?}"))?;
    if misaligned == Misaligned::Trap {
        m.bus
            .ram
            .write_bytes(
                rvmmu::addr::PhysAddr(HOST_CONFIG_ADDR),
                &HOSTCFG_MA_TRAP.to_le_bytes(),
            )
            .map_err(|e| format!("host configuration word: {e}"))?;
    }
    let exit = m.run();
    Ok((exit, m.console_output()))
}

fn run_bare(name: &str) {
    run_bare_with(name, AdMode::Hardware);
}

fn run_bare_with(name: &str, ad: AdMode) {
    run_bare_full(name, ad, Misaligned::Perform);
}

fn run_bare_full(name: &str, ad: AdMode, misaligned: Misaligned) {
    let elf = bare_test_path(name).expect("bare test was built");
    let (exit, console) = run_on_rvmmu_with(elf, ad, misaligned)
        .unwrap_or_else(|e| panic!("bare test {name} ({ad:?}): {e}"));
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
        Exit::Stopped => panic!("bare test {name} stopped: no observer asks for that"),
        Exit::Interrupted(sig) => panic!("bare test {name} interrupted by signal {sig}"),
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

/// `mmu/misaligned` with misaligned loads and stores trapping (`--misaligned trap`): the
/// host configuration word tells the program, which then expects address-misaligned
/// exceptions with tval = the address, and nothing loaded or stored, where the default run
/// (above, and on QEMU) expects the accesses performed.
#[test]
fn misaligned_trap_mode() {
    run_bare_full("misaligned", AdMode::Hardware, Misaligned::Trap);
}

/// The ISA programs that look at misaligned accesses accept either behaviour; with trap
/// mode they must still pass.
#[test]
fn traps_with_misaligned_trap_mode() {
    run_bare_full("traps", AdMode::Hardware, Misaligned::Trap);
}

/// A page-crossing misaligned access is two translations, one per page, in the trace
/// (docs/TRACING.md): `mmu/misaligned`'s loads across TEST_VA + 4096 under Sv39 show a
/// record at the access's address and one at the next page's start, with the same count.
#[test]
fn a_page_crossing_access_has_two_translation_records() {
    use rvmmu::trace::{Filter, Format};
    use std::sync::{Arc, Mutex};

    const TEST_VA: u64 = 0x1_0000_0000;
    let buf = Arc::new(Mutex::new(Vec::new()));
    let cfg = MachineConfig {
        max_insns: Some(50_000_000),
        trace: Some(rvmmu::machine::TraceConfig {
            out: Box::new(rvmmu_tests::SharedBuf(buf.clone())),
            format: Format::Text,
            insns: false,
            translations: Some(Filter {
                va: Some((TEST_VA + 4096 - 16, TEST_VA + 4096 + 16)),
                access: [false, true, false],
                ..Filter::default()
            }),
            events: Default::default(),
            pid: None,
        }),
        ..MachineConfig::capture(Vec::new())
    };
    let mut m = Machine::new(cfg).expect("machine");
    let elf = bare_test_path("misaligned").expect("bare test was built");
    m.load_elf(&std::fs::read(elf).unwrap()).unwrap();
    assert_eq!(m.run(), Exit::Pass);
    let text = String::from_utf8(buf.lock().unwrap().clone()).unwrap();
    // Fields: count, privilege, ASID, access, VA, ...
    let recs: Vec<(u64, u64)> = text
        .lines()
        .map(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            (
                f[0].parse().unwrap(),
                u64::from_str_radix(f[4], 16).unwrap(),
            )
        })
        .collect();
    // The 8-byte load at TEST_VA + 4093 (case 60, S-mode): the first part at its address,
    // then the second page's first byte, under the same count.
    let pairs = recs
        .windows(2)
        .filter(|w| w[0].0 == w[1].0 && w[0].1 == TEST_VA + 4093 && w[1].1 == TEST_VA + 4096)
        .count();
    assert!(pairs >= 2, "no split records (S and U) in:\n{text}");
    // No load in the program starts at the second page: every record there is a second
    // part, right after its first part's record, with the same count.
    for (i, r) in recs
        .iter()
        .enumerate()
        .filter(|(_, r)| r.1 == TEST_VA + 4096)
    {
        let prev = i.checked_sub(1).map(|j| recs[j]);
        assert!(
            prev.is_some_and(|p| p.0 == r.0 && p.1 < TEST_VA + 4096),
            "record {r:?} without its first part:\n{text}"
        );
    }
}
