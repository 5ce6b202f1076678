//! Page-table snapshots: the trees the `pt_shapes_*` programs (tests/bare/mmu/pt_shapes.h)
//! leave behind, dumped at exit with `Machine::page_tables` (emu/src/mmu/dump.rs documents
//! the text) and compared with the insta snapshots in `snapshots/`.
//!
//! Each program runs twice, with the walker setting A and D (Svadu) and with A/D page faults
//! that the program's trap handler resolves (Svade): the trees must come out the same, so
//! one snapshot serves both. And `Machine::run_until`, which `--dump-pt-at` pauses with, must
//! not change a run: [`pauses_and_dumps_change_nothing`].

use rvmmu::machine::{Exit, Machine, MachineConfig};
use rvmmu::mmu::walk::AdMode;
use rvmmu_tests::bare_test_path;

/// Runs the bare program `name` to its end and returns the dump of the tree satp selects.
fn tables_at_exit(name: &str, ad: AdMode) -> String {
    let elf = bare_test_path(name).expect("bare test was built");
    let cfg = MachineConfig {
        max_insns: Some(10_000_000),
        ad,
        ..MachineConfig::capture(Vec::new())
    };
    let mut m = Machine::new(cfg).expect("machine");
    m.load_elf(&std::fs::read(elf).expect("read the ELF"))
        .expect("load the ELF");
    let exit = m.run();
    let console = String::from_utf8_lossy(&m.console_output()).into_owned();
    assert_eq!(exit, Exit::Pass, "{name} ({ad:?}):\n{console}");
    m.page_tables()
        .unwrap_or_else(|| panic!("{name} ({ad:?}) left satp Bare"))
        .to_string()
}

fn snapshot(name: &str) {
    let hw = tables_at_exit(name, AdMode::Hardware);
    let sw = tables_at_exit(name, AdMode::Fault);
    assert_eq!(hw, sw, "{name}: the tree differs between Svadu and Svade");
    insta::with_settings!({
        description => format!("page tables at the exit of tests/bare/mmu/{name}.c (Svadu and Svade)"),
        omit_expression => true,
    }, {
        insta::assert_snapshot!(name, hw);
    });
}

#[test]
fn pt_shapes_sv39() {
    snapshot("pt_shapes_sv39");
}

#[test]
fn pt_shapes_sv48() {
    snapshot("pt_shapes_sv48");
}

/// What a run leaves that a pause could disturb: console, counters, TLB and walker counters.
fn run_paused_every(name: &str, every: Option<u64>) -> (Exit, String, String) {
    let elf = bare_test_path(name).expect("bare test was built");
    let mut m = Machine::new(MachineConfig {
        max_insns: Some(50_000_000),
        ..MachineConfig::capture(Vec::new())
    })
    .expect("machine");
    m.load_elf(&std::fs::read(elf).expect("read the ELF"))
        .expect("load the ELF");
    let exit = match every {
        None => m.run(),
        Some(k) => loop {
            let at = m.hart.steps + k;
            if let Some(exit) = m.run_until(at) {
                break exit;
            }
            assert_eq!(m.hart.steps, at, "the pause lands exactly");
            let _ = m.page_tables();
        },
    };
    let console = String::from_utf8_lossy(&m.console_output()).into_owned();
    let counters = format!(
        "{:?}\n{}\n{:?}",
        m.stats(),
        m.hart.mmu.tlb.stats(),
        m.hart.mmu.stats
    );
    (exit, console, counters)
}

/// `Machine::run_until` pauses (and dumps) change nothing: the TLB-sensitive programs end
/// with the same console and every counter equal to an uninterrupted run's.
#[test]
fn pauses_and_dumps_change_nothing() {
    for name in ["mmu_sfence", "mmu_sv48", "pt_shapes_sv39"] {
        let plain = run_paused_every(name, None);
        assert_eq!(plain.0, Exit::Pass, "{name}: {}", plain.1);
        for every in [1009, 7919] {
            assert_eq!(
                run_paused_every(name, Some(every)),
                plain,
                "{name} paused every {every} instructions"
            );
        }
    }
}
