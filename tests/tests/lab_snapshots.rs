//! Page-table snapshots of the notes' programs through the `rvmmu-lab` crate: each program
//! stopped in its getchar(), its page tables as the MMU sees them (`Lab::hardware_view`,
//! physical addresses redacted to F0.., T0..) and /proc/PID/maps as the kernel renders it
//! (`Lab::kernel_view`), in Sv39 and Sv48, compared with the insta snapshots in
//! `snapshots/`; and a process's pages before and after they went to swap
//! (`programs/lab/swap_wait.c`). Every snapshot is taken twice, from two runs, which must
//! give the same text, and `Lab::agree` must find the two views in agreement.
//!
//! touch_4x1g reaches its getchar() only after writing 4 GiB, and swap_32g has none (it
//! loops writing 32 GiB): neither has a point a test reaches quickly, so they are not here
//! (`memory_pressure.rs` runs them under pressure instead).

use rvmmu_lab::{Event, KernelEvent, Lab, Outcome, Page, Paging, Proc};

const MAX_INSNS: u64 = 1_000_000_000;

fn program(name: &str) -> &'static str {
    rvmmu_tests::linux_program(name).unwrap_or_else(|| panic!("no program {name} was built"))
}

fn paging_name(p: Paging) -> &'static str {
    match p {
        Paging::Sv39 => "sv39",
        Paging::Sv48 => "sv48",
    }
}

/// A lab running `dir/name` of programs/ with `mem` bytes of RAM (and `swap` bytes of swap).
fn lab(name: &str, paging: Paging, mem: u64, swap: Option<u64>) -> Lab {
    lab_args(name, &[], paging, mem, swap)
}

/// [`lab`] with arguments for the program.
fn lab_args(name: &str, args: &[&str], paging: Paging, mem: u64, swap: Option<u64>) -> Lab {
    let base = name.rsplit('/').next().unwrap();
    let mut b = Lab::builder()
        .mem(mem)
        .paging(paging)
        .program_file(program(name))
        .expect("the program")
        .init(base, args)
        .max_insns(MAX_INSNS);
    if let Some(s) = swap {
        b = b.swap(s);
    }
    b.build().expect("a lab")
}

/// Runs to the next getchar() of `proc` (it must come).
fn to_getchar(lab: &mut Lab, proc: &str) -> u32 {
    match lab.run_until(Event::ConsoleRead(Some(proc.into()))) {
        Outcome::Matched {
            pid,
            record: KernelEvent::ConsoleWait { .. },
            ..
        } => pid,
        other => panic!(
            "{proc} never waited in getchar(): {other:?}\n{}",
            lab.console_log()
        ),
    }
}

/// Both views of `pid` now, as one text, after checking that they agree.
fn views(lab: &mut Lab, pid: u32, title: &str) -> String {
    let hw = lab.hardware_view(pid).expect("the hardware view");
    let kv = lab.kernel_view(pid).expect("the kernel's maps");
    let agreement = lab.agree(pid).expect("both views");
    assert!(
        agreement.holds(),
        "{title}: the views disagree: {:#?}\n{hw}\n{kv}",
        agreement.disagreements
    );
    assert!(agreement.checked > 0, "{title}: no page was compared");
    format!(
        "{title}\n== as the MMU sees it ==\n{hw}== /proc/{pid}/maps ==\n{kv}== agree: {} entries checked, no disagreement ==\n",
        agreement.checked
    )
}

/// `name` at its first getchar(): both views.
fn notes_at_getchar(name: &str, paging: Paging, mem: u64) -> String {
    let mut lab = lab(&format!("notes/{name}"), paging, mem, None);
    let pid = to_getchar(&mut lab, name);
    views(
        &mut lab,
        pid,
        &format!(
            "{name} in its first getchar() ({}, {} MiB)",
            paging_name(paging),
            mem >> 20
        ),
    )
}

fn snapshot(name: &str, text: String) {
    insta::with_settings!({
        description => "page tables through rvmmu-lab (tests/tests/lab_snapshots.rs)",
        omit_expression => true,
    }, {
        insta::assert_snapshot!(name, text);
    });
}

/// The notes program `name` in both paging modes, each twice.
fn notes_program(name: &str, mem: u64) {
    for paging in [Paging::Sv39, Paging::Sv48] {
        let first = notes_at_getchar(name, paging, mem);
        let second = notes_at_getchar(name, paging, mem);
        assert_eq!(first, second, "{name}: two runs, two snapshots");
        snapshot(&format!("{name}_{}", paging_name(paging)), first);
    }
}

#[test]
fn malloc_1_at_getchar() {
    notes_program("malloc_1", 64 << 20);
}

#[test]
fn malloc_128k_at_getchar() {
    notes_program("malloc_128k", 64 << 20);
}

#[test]
fn alloc_4x1g_at_getchar() {
    // As the notes run it: 4 GiB reserved on a 2 GiB machine, almost nothing touched.
    notes_program("alloc_4x1g", 2 << 30);
}

/// swap_wait's two getchar()s: its 64 pages resident, then (after a child filled 80 MiB on a
/// 64 MiB machine with 64 MiB of swap) in swap.
fn swap_wait(paging: Paging) -> (String, String) {
    let mut lab = lab_args(
        "lab/swap_wait",
        &["64", "80"],
        paging,
        64 << 20,
        Some(64 << 20),
    );
    let pid = to_getchar(&mut lab, "swap_wait");
    let before = views(
        &mut lab,
        pid,
        &format!("swap_wait before the pressure ({})", paging_name(paging)),
    );
    let (mapped, swapped) = lab.hardware_view(pid).unwrap().user_counts();
    assert!(mapped >= 64, "its pages are resident: {mapped}");
    assert_eq!(swapped, 0, "nothing in swap yet");
    lab.type_input(b"\n");
    let again = to_getchar(&mut lab, "swap_wait");
    assert_eq!(again, pid);
    let after = views(
        &mut lab,
        pid,
        &format!("swap_wait after the pressure ({})", paging_name(paging)),
    );
    let hw = lab.hardware_view(pid).unwrap();
    let (_, swapped) = hw.user_counts();
    assert!(swapped > 0, "pages went to swap:\n{hw}");
    assert!(hw
        .user_pages()
        .any(|p| matches!(p.page, Page::Swapped(s) if s.area == 0 && s.offset > 0)));
    lab.type_input(b"\n");
    lab.end_input();
    let exit = lab.run_to_end();
    let out = lab.console_output();
    assert_eq!(exit, rvmmu_lab::Exit::Pass, "{out}");
    assert!(!out.contains("not ok"), "{out}");
    assert!(out.contains("all 64 pages read back as written"), "{out}");
    (before, after)
}

#[test]
fn swap_wait_before_and_after_swap_out() {
    for paging in [Paging::Sv39, Paging::Sv48] {
        let first = swap_wait(paging);
        let second = swap_wait(paging);
        assert_eq!(first, second, "two runs, two snapshots");
        let p = paging_name(paging);
        snapshot(&format!("swap_wait_before_{p}"), first.0);
        snapshot(&format!("swap_wait_after_{p}"), first.1);
    }
}

/// The kernel's swap PTE layout (mm-core's `SwapEntry`) is what the hardware view decodes.
#[test]
fn swap_entries_decode_as_the_kernel_writes_them() {
    for (area, offset) in [(0u8, 1u64), (3, 0x1234), (31, 1 << 40)] {
        let pte = mm_core::swap::SwapEntry::new(area, offset).to_pte().0;
        assert_eq!(
            rvmmu::snapshot::SwapPte::decode(pte),
            Some(rvmmu::snapshot::SwapPte { area, offset })
        );
    }
}

/// The instructions and console of malloc_1 run through its getchar()s, with or without
/// hardware views taken at each stop.
fn malloc_1_run(look: bool) -> (u64, String) {
    let mut lab = lab("notes/malloc_1", Paging::Sv48, 64 << 20, None);
    for _ in 0..2 {
        let pid = to_getchar(&mut lab, "malloc_1");
        if look {
            lab.hardware_view(pid).unwrap();
        }
        lab.type_input(b"\n");
    }
    lab.end_input();
    assert_eq!(lab.run_to_end(), rvmmu_lab::Exit::Pass);
    let insns = lab.machine().hart.instret();
    (insns, lab.console_output())
}

#[test]
fn hardware_views_change_nothing_in_the_run() {
    assert_eq!(malloc_1_run(false), malloc_1_run(true));
}

#[test]
fn runs_stop_at_system_calls_output_instruction_counts_and_exit() {
    let mut lab = lab("notes/malloc_128k", Paging::Sv39, 64 << 20, None);
    // Stopped at its first brk (glibc's start-up asks where the heap starts): no heap yet.
    let o = lab.run_until(Event::Syscall {
        nr: 214,
        proc: Some(Proc::Name("malloc_128k".into())),
    });
    let Outcome::Matched { pid, record, .. } = o else {
        panic!("no brk: {o:?}\n{}", lab.console_log())
    };
    assert!(
        matches!(record, KernelEvent::SyscallEnter { nr: 214, .. }),
        "{record:?}"
    );
    let mapped = |lab: &Lab, va: u64| {
        lab.hardware_view(pid)
            .unwrap()
            .user_pages()
            .any(|p| matches!(p.page, Page::Mapped { .. }) && p.va <= va && va < p.va + p.size)
    };
    let before = lab.hardware_view(pid).unwrap();
    // Its first line printed: the block's address, in the heap, now backed by a frame.
    let o = lab.run_until(Event::Output("\n".into()));
    assert!(matches!(o, Outcome::Matched { .. }), "{o:?}");
    let out = lab.console_output();
    let addr = out
        .lines()
        .next()
        .and_then(|l| l.rsplit('：').next())
        .and_then(|h| u64::from_str_radix(h.trim(), 16).ok())
        .unwrap_or_else(|| panic!("no address in {out:?}"));
    let in_before = before
        .user_pages()
        .any(|p| p.va <= addr && addr < p.va + p.size);
    assert!(!in_before, "not mapped at the brk of start-up");
    assert!(mapped(&lab, addr), "mapped once malloc wrote its header");
    let kv = lab.kernel_view(pid).unwrap();
    assert_eq!(kv.area_at(addr).map(|a| a.name.as_str()), Some("[heap]"));
    // An instruction count; then the exit, where the tables are still there.
    let at = lab.machine().hart.steps + 1000;
    assert_eq!(
        lab.run_until(Event::Insns(at)),
        Outcome::Reached { steps: at, pid }
    );
    lab.type_input(b"\n\n");
    let o = lab.run_until(Event::Exit(Some(pid.into())));
    let Outcome::Matched { record, .. } = o else {
        panic!("{o:?}")
    };
    assert!(matches!(record, KernelEvent::SyscallEnter { nr: 94, .. }));
    assert!(lab.hardware_view(pid).unwrap().user_counts().0 > 0);
    assert_eq!(lab.pid_of("malloc_128k"), Some(pid));
    assert_eq!(lab.run_to_end(), rvmmu_lab::Exit::Pass);
    assert!(lab.pid_of("malloc_128k").is_none(), "exited");
    // A /proc file that is not there: the kernel's answer, ENOENT.
    assert!(lab.proc_file("/proc/nonesuch").is_err());
}

#[test]
fn proc_files_come_from_the_kernel() {
    let mut lab = lab("notes/malloc_1", Paging::Sv48, 64 << 20, None);
    let pid = to_getchar(&mut lab, "malloc_1");
    let meminfo = lab.proc_file("/proc/meminfo").unwrap();
    assert!(meminfo.starts_with("MemTotal:"), "{meminfo}");
    let status = lab.proc_file(&format!("/proc/{pid}/status")).unwrap();
    assert!(status.contains("Name:\tmalloc_1"), "{status}");
    let e = lab.proc_file("/proc/nonesuch").unwrap_err();
    assert!(e.to_string().contains("ENOENT"), "{e}");
    assert!(lab.proc_file("/proc/sys").is_err(), "a directory");
}
