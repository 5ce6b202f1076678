//! Memory pressure as the notes describe it (NOTES.md, "Reclaim, swap, kswapd, OOM"), run
//! on the kernel as `rvmmu run` runs programs, at small sizes (the full sizes — 2 GiB of
//! RAM, 4 GiB of swap — are the demo's and the benchmark's): the OOM killer ends a program
//! that touches more than RAM with no swap, and chooses by points and oom_score_adj; swap
//! keeps data intact across processes, paging modes and A/D schemes; the overcommit
//! policies refuse what Linux refuses.

use rvmmu::machine::{Exit, MachineConfig};

fn program_path(name: &str) -> &'static str {
    rvmmu_tests::linux_program(name).unwrap_or_else(|| panic!("no program {name} was built"))
}

/// A run's settings.
struct Run<'a> {
    name: &'a str,
    mem: u64,
    paging: &'a str,
    swap: u64,
    /// A disk image to use as is (`rvmmu run --swap-file`), instead of `swap`.
    swap_file: Option<&'a std::path::Path>,
    bootargs: &'a str,
    args: &'a str,
    stdin: &'a [u8],
    /// Also in /bin, under these names (copies of the program).
    aliases: &'a [&'a str],
    max_insns: u64,
}

impl Default for Run<'_> {
    fn default() -> Self {
        Run {
            name: "",
            mem: 64 << 20,
            paging: "sv48",
            swap: 0,
            swap_file: None,
            bootargs: "",
            args: "",
            stdin: b"",
            aliases: &[],
            max_insns: 3_000_000_000,
        }
    }
}

/// Runs `r` on rvmmu; returns how it ended and the console (the program's output and the
/// kernel's warnings: the OOM killer's line among them).
fn run(r: &Run<'_>) -> (Exit, String) {
    let base = r.name.rsplit('/').next().unwrap();
    let init = format!("/bin/{base}");
    let data = std::fs::read(program_path(r.name)).expect("read the program");
    let mut files = vec![rvmmu::initramfs::File {
        path: init.clone(),
        data: data.clone(),
        mode: 0o755,
    }];
    for a in r.aliases {
        files.push(rvmmu::initramfs::File {
            path: format!("/bin/{a}"),
            data: data.clone(),
            mode: 0o755,
        });
    }
    let (paging, ad) = match r.paging.strip_suffix(" ad=fault") {
        Some(p) => (p, rvmmu::mmu::walk::AdMode::Fault),
        None => (r.paging, rvmmu::mmu::walk::AdMode::Hardware),
    };
    let mut bootargs = format!("paging={paging} init={init} quiet {}", r.bootargs);
    if !r.args.is_empty() {
        bootargs = format!("{bootargs} -- {}", r.args);
    }
    let cfg = MachineConfig {
        mem_size: r.mem,
        ad,
        bootargs,
        initrd: Some(rvmmu::initramfs::pack(&files).expect("an initramfs")),
        disk: match r.swap_file {
            Some(path) => Some(rvmmu::disk::open(path).expect("the swap file")),
            None => (r.swap > 0).then(|| rvmmu::disk::create_swap(r.swap).expect("a swap file")),
        },
        max_insns: Some(r.max_insns),
        ..MachineConfig::capture(r.stdin.to_vec())
    };
    rvmmu_tests::kernel::run_kernel(
        cfg,
        rvmmu::kernel::embedded().expect("rvmmu was built with its kernel"),
    )
}

/// The finisher's code for init killed by SIGKILL (`rvmmu run` reports it as 137).
const KILLED_BY_SIGKILL: u64 = 0x100 | 9;
const KILLED_BY_SIGSEGV: u64 = 0x100 | 11;

fn assert_tap_passes(what: &str, exit: &Exit, console: &str) {
    assert_eq!(exit, &Exit::Pass, "{what}\n{console}");
    assert!(!console.contains("not ok"), "{what}\n{console}");
    assert!(
        console.lines().any(|l| l.starts_with("1..")),
        "{what}: no plan line\n{console}"
    );
    // The kernel checks, as it frees each process's kernel stack, that the deepest reclaim
    // paths (fault, reclaim, reverse map, swap write) left its last word untouched.
    assert!(
        !console.contains("kernel stack was used to its last word"),
        "{what}\n{console}"
    );
}

#[test]
fn touch_4x1g_without_swap_prints_its_lines_then_the_oom_killer_ends_it() {
    // The notes' program unchanged: four untouched 1 GiB blocks (overcommit lets them be
    // made), then memset block by block. With 64 MiB of RAM and no swap the first block
    // cannot be filled: the OOM killer kills the program (init, all that is left), and
    // the lines printed before are on the console (it is a terminal: line-buffered stdio).
    let (exit, console) = run(&Run {
        name: "notes/touch_4x1g",
        bootargs: "sysctl.vm.overcommit_memory=1",
        stdin: b"\n",
        ..Run::default()
    });
    assert_eq!(exit, Exit::Fail(KILLED_BY_SIGKILL), "{console}");
    let mallocs = console
        .lines()
        .filter(|l| l.contains("申请1gb大小得内存"))
        .count();
    assert_eq!(mallocs, 4, "{console}");
    assert!(console.contains("开始访问第 1 块虚拟内存"), "{console}");
    assert!(!console.contains("开始访问第 2 块虚拟内存"), "{console}");
    let kill = console
        .lines()
        .find(|l| l.starts_with("Out of memory: Killed process 1 (touch_4x1g) total-vm:"))
        .unwrap_or_else(|| panic!("no OOM line\n{console}"));
    assert!(kill.contains("oom_score_adj:0"), "{kill}");
    // anon-rss is about RAM: most of the 64 MiB was the program's.
    let rss: u64 = kill
        .split("anon-rss:")
        .nth(1)
        .and_then(|s| s.split("kB").next())
        .and_then(|s| s.parse().ok())
        .unwrap();
    assert!((40_000..65_536).contains(&rss), "{kill}");
}

#[test]
fn the_oom_killer_chooses_the_largest_and_spares_oom_score_adj_minus_1000() {
    let (exit, console) = run(&Run {
        name: "pressure/oom_choice",
        aliases: &["game", "browser", "music"],
        ..Run::default()
    });
    assert_tap_passes("oom_choice", &exit, &console);
    assert!(
        console.contains("Out of memory: Killed process"),
        "{console}"
    );
    assert!(
        console.contains("(game)") && console.contains("(music)"),
        "{console}"
    );
    assert!(!console.contains("(browser)"), "{console}");
}

#[test]
fn no_data_is_lost_through_swap_in_both_paging_modes_and_a_d_schemes() {
    for paging in ["sv48", "sv39", "sv48 ad=fault", "sv39 ad=fault"] {
        // Three processes of 8 MiB and a parent's 3 × 8 MiB in 16 MiB of RAM.
        let (exit, console) = run(&Run {
            name: "pressure/swap_check",
            mem: 16 << 20,
            swap: 64 << 20,
            paging,
            args: "3 8",
            ..Run::default()
        });
        assert_tap_passes(paging, &exit, &console);
        assert!(!console.contains("Out of memory"), "{paging}\n{console}");
    }
}

#[test]
fn swapoff_brings_every_page_back_and_keeps_shared_pages_shared() {
    // 8 MiB shared by a parent and its child, then 24 MiB more in 16 MiB of RAM: A's pages
    // go to swap (each slot used by both), B is unmapped, and swapoff must bring A back.
    let (exit, console) = run(&Run {
        name: "pressure/swapoff",
        mem: 16 << 20,
        swap: 64 << 20,
        args: "8 24",
        ..Run::default()
    });
    assert_tap_passes("swapoff", &exit, &console);
    assert!(!console.contains("Out of memory"), "{console}");
}

#[test]
fn shared_anonymous_memory_goes_to_swap_and_comes_back_shared() {
    // 10 MiB MAP_SHARED | MAP_ANONYMOUS shared by a parent and its child, then 24 MiB of
    // private memory in 16 MiB of RAM: the shared pages must go to swap (Shmem falls), come
    // back intact in both processes, stay shared (the child's writes reach the parent), and
    // swapoff must bring them back into their object.
    for paging in ["sv48", "sv39 ad=fault"] {
        let (exit, console) = run(&Run {
            name: "pressure/shmem_swap",
            mem: 16 << 20,
            swap: 64 << 20,
            paging,
            args: "10 24",
            ..Run::default()
        });
        assert_tap_passes(paging, &exit, &console);
        assert!(!console.contains("Out of memory"), "{paging}\n{console}");
    }
}

#[test]
fn swapoff_out_of_memory_fails_and_keeps_the_rest_in_the_area() {
    // 24 MiB of init's in 16 MiB of RAM; a child's swapoff runs out of frames, the OOM
    // killer ends it (init is exempt), and the area keeps what did not come back.
    let (exit, console) = run(&Run {
        name: "pressure/swapoff_enomem",
        mem: 16 << 20,
        swap: 64 << 20,
        args: "24",
        ..Run::default()
    });
    assert_tap_passes("swapoff_enomem", &exit, &console);
    assert!(
        console.contains(
            "WARN  mm::swapfile: swapoff of /dev/vda: ENOMEM (the area stays, with what is still in it)"
        ),
        "{console}"
    );
    assert!(
        console.contains("Out of memory: Killed process 2 "),
        "{console}"
    );
}

#[test]
fn swap_32g_keeps_swapping_with_enough_swap() {
    // malloc(32 GiB) is allowed in mode 0 when RAM + swap exceed it; the memset loop then
    // runs through RAM and on into swap until the instruction limit.
    let (exit, console) = run(&Run {
        name: "notes/swap_32g",
        swap: 40 << 30,
        max_insns: 200_000_000,
        ..Run::default()
    });
    assert_eq!(exit, Exit::MaxInsns, "{console}");
    assert!(
        console.contains("目前共申请了 32gb 的虚拟内存"),
        "{console}"
    );
    assert!(
        console.contains("开始访问 32gb 大小的虚拟内存"),
        "{console}"
    );
    assert!(!console.contains("Out of memory"), "{console}");
}

#[test]
fn swap_32g_is_killed_once_ram_and_swap_are_full() {
    // The notes' 64 GiB story at small scale: overcommit lets the 32 GiB be made, swap
    // (64 MiB) fills after RAM does, then the OOM killer ends the program.
    let (exit, console) = run(&Run {
        name: "notes/swap_32g",
        swap: 64 << 20,
        bootargs: "sysctl.vm.overcommit_memory=1",
        ..Run::default()
    });
    assert_eq!(exit, Exit::Fail(KILLED_BY_SIGKILL), "{console}");
    let kill = console
        .lines()
        .find(|l| l.starts_with("Out of memory: Killed process 1 (swap_32g)"))
        .unwrap_or_else(|| panic!("no OOM line\n{console}"));
    assert!(kill.contains("anon-rss:"), "{kill}");
}

#[test]
fn swap_32g_without_swap_gets_no_memory_in_mode_0() {
    // malloc(32 GiB) is larger than RAM + swap: the heuristic refuses it, malloc returns
    // NULL, and the program (which does not check) faults in memset, as on Linux.
    let (exit, console) = run(&Run {
        name: "notes/swap_32g",
        ..Run::default()
    });
    assert_eq!(exit, Exit::Fail(KILLED_BY_SIGSEGV), "{console}");
    assert!(
        console.contains("目前共申请了 32gb 的虚拟内存"),
        "{console}"
    );
}

#[test]
fn alloc_4x1g_with_overcommit_never_gets_no_memory() {
    // Mode 2: CommitLimit is half of RAM (overcommit_ratio 50) plus swap, so the first
    // 1 GiB malloc on a 2 GiB machine fails, as on Linux.
    let (exit, console) = run(&Run {
        name: "notes/alloc_4x1g",
        mem: 2 << 30,
        bootargs: "sysctl.vm.overcommit_memory=2",
        stdin: b"\n",
        ..Run::default()
    });
    assert_eq!(exit, Exit::Fail(255), "{console}");
    assert!(
        console.contains("执行 malloc 失败, 错误：Cannot allocate memory"),
        "{console}"
    );
    // Mode 0 (the default) lets the same run make all four.
    let (exit, console) = run(&Run {
        name: "notes/alloc_4x1g",
        mem: 2 << 30,
        stdin: b"\n",
        ..Run::default()
    });
    assert_eq!(exit, Exit::Pass, "{console}");
}

#[test]
fn kswapd_serves_a_slow_allocator_and_a_memset_also_reclaims_directly() {
    // 12 MiB of RAM, min_free_kbytes 1024 (min 256 pages, low 320, high 384): a page
    // every ~50,000 instructions stays within what kswapd reclaims per tick; a memset does
    // not.
    for paging in ["sv48", "sv39 ad=fault"] {
        let (exit, console) = run(&Run {
            name: "pressure/kswapd_check",
            mem: 12 << 20,
            swap: 64 << 20,
            paging,
            bootargs: "sysctl.vm.min_free_kbytes=1024",
            args: "14",
            ..Run::default()
        });
        assert_tap_passes(paging, &exit, &console);
    }
}

// The notes' sizes: seconds to minutes of emulation each (billions of instructions), so not
// part of the default run; `cargo test --release --test memory_pressure -- --ignored` runs
// them (the demo does too).

#[test]
#[ignore = "full size: 2 GiB of RAM touched (about 2.1 G instructions)"]
fn full_size_touch_4x1g_on_2_gib_is_killed_while_touching_the_second_gib() {
    let (exit, console) = run(&Run {
        name: "notes/touch_4x1g",
        mem: 2 << 30,
        stdin: b"\n",
        ..Run::default()
    });
    assert_eq!(exit, Exit::Fail(KILLED_BY_SIGKILL), "{console}");
    assert!(console.contains("开始访问第 2 块虚拟内存"), "{console}");
    assert!(!console.contains("开始访问第 3 块虚拟内存"), "{console}");
    assert!(
        console.contains("Out of memory: Killed process 1 (touch_4x1g)"),
        "{console}"
    );
}

#[test]
#[ignore = "full size: 4 GiB touched through 2 GiB of RAM and 4 GiB of swap (about 7 G instructions)"]
fn full_size_touch_4x1g_with_4_gib_of_swap_completes() {
    let (exit, console) = run(&Run {
        name: "notes/touch_4x1g",
        mem: 2 << 30,
        swap: 4 << 30,
        stdin: b"\n",
        max_insns: 20_000_000_000,
        ..Run::default()
    });
    assert_eq!(exit, Exit::Pass, "{console}");
    assert!(console.contains("开始访问第 4 块虚拟内存"), "{console}");
    assert!(!console.contains("Out of memory"), "{console}");
}

#[test]
fn a_disk_formatted_by_mkswap_is_used_unchanged() {
    let Some(mkswap) = rvmmu_tests::require_mkswap("formatting the swap disk") else {
        return;
    };
    let dir = tempfile::tempdir().expect("a scratch directory");
    let img = dir.path().join("swap.img");
    std::fs::File::create(&img)
        .and_then(|f| f.set_len(64 << 20))
        .expect("a sparse image");
    let mut cmd = std::process::Command::new(mkswap);
    cmd.arg(&img);
    let out = rvmmu_tests::process::run_with_timeout(cmd, None, std::time::Duration::from_secs(60))
        .expect("run mkswap");
    assert!(out.status.is_some_and(|s| s.success()), "mkswap: {out:?}");
    let (exit, console) = run(&Run {
        name: "pressure/swap_check",
        mem: 16 << 20,
        swap_file: Some(&img),
        args: "3 8",
        ..Run::default()
    });
    assert_tap_passes("mkswap'd disk", &exit, &console);
    // The header mkswap wrote is still there: the kernel never writes slot 0.
    let disk = std::fs::read(&img).unwrap();
    assert_eq!(&disk[4096 - 10..4096], b"SWAPSPACE2");
}
