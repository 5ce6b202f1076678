//! The MMU's host-side fast path (`emu/src/mmu/fast.rs`) must change nothing observable.
//! Every MMU program runs twice, with the fast path on and off, under both A/D schemes and
//! two TLB geometries; the two runs must agree on the exit, the instruction count, the
//! console, every TLB and walker counter, and the TLB's final contents with their LRU
//! stamps. The programs exercise what the fast path must notice: traps and xRET, satp and
//! mstatus writes, every sfence.vma form, PMP changes, A/D updates, superpages, U-mode.

use rvmmu::machine::{Exit, Machine, MachineConfig};
use rvmmu::mmu::walk::AdMode;
use rvmmu_tests::bare_test_path;

/// Everything a run leaves that the fast path could disturb, as one comparable string.
fn observe(elf: &str, ad: AdMode, tlb: &str, fast: bool) -> (Exit, String) {
    let cfg = MachineConfig {
        max_insns: Some(50_000_000),
        ad,
        tlb: tlb.parse().expect("geometry"),
        mmu_fast_path: fast,
        ..MachineConfig::capture(Vec::new())
    };
    let mut m = Machine::new(cfg).expect("machine");
    let image = std::fs::read(elf).expect("read the program");
    m.load_elf(&image).expect("load");
    let exit = m.run();
    let console = m.console_output();
    let mmu = &m.hart.mmu;
    let entries: Vec<_> = mmu.tlb.entries().collect();
    let state = format!(
        "steps {}\nconsole {:?}\ntlb {:?}\nmmu {:?}\nentries {entries:?}",
        m.hart.steps,
        String::from_utf8_lossy(&console),
        mmu.tlb.stats(),
        mmu.stats,
    );
    (exit, state)
}

fn same_with_and_without_fast_path(name: &str) {
    let elf = bare_test_path(name).expect("program was built");
    for ad in [AdMode::Hardware, AdMode::Fault] {
        for tlb in ["64x4", "4x1"] {
            let slow = observe(elf, ad, tlb, false);
            let fast = observe(elf, ad, tlb, true);
            assert_eq!(
                slow.0,
                Exit::Pass,
                "{name} ({ad:?}, --tlb {tlb}): {}",
                slow.1
            );
            assert_eq!(slow, fast, "{name} ({ad:?}, --tlb {tlb})");
        }
    }
}

macro_rules! fast_path_test {
    ($name:ident) => {
        #[test]
        fn $name() {
            same_with_and_without_fast_path(stringify!($name));
        }
    };
}

rvmmu_tests::for_each_mmu_test!(fast_path_test);
