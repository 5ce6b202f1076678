//! `rvmmu run --dump-pt PID@EVENT`: a process's page tables as the MMU sees them and its
//! /proc/PID/maps at an event, to stderr or `--dump-pt-out FILE`, the program's own output
//! untouched.

use crate::run;
use crate::run_cmd::linux_program;

const WAITER: &str = r#"
#include <stdio.h>
#include <stdlib.h>
int main(void) {
    char *p = malloc(100000);
    p[0] = 1;
    printf("waiting\n");
    fflush(stdout);
    getchar();
    printf("done\n");
    return 0;
}
"#;

#[test]
fn dumps_at_getchar_a_system_call_and_an_instruction_count() {
    let dir = tempfile::TempDir::new().unwrap();
    let Some(prog) = linux_program(dir.path(), "waiter", WAITER) else {
        eprintln!("skipped: no riscv64-linux-gnu-gcc");
        return;
    };
    let file = dir.path().join("pt.txt");
    let out = run(
        &[
            "run",
            "--max-insns",
            "500000000",
            "--paging",
            "sv39",
            "--dump-pt",
            "waiter@getchar",
            "--dump-pt",
            "1@syscall:read",
            "--dump-pt",
            "1@syscall:exit_group",
            "--dump-pt",
            "1@insns:100",
            "--dump-pt",
            "7@exit",
            "--dump-pt-out",
            file.to_str().unwrap(),
            &prog,
        ],
        Some(b"\n"),
    );
    assert_eq!(out.code, Some(0), "{out:#?}");
    assert_eq!(out.stdout, "waiting\ndone\n", "the program's output alone");
    let text = std::fs::read_to_string(&file).unwrap();
    // insns:100 comes first, before the kernel has started any process.
    let reports: Vec<&str> = text.split("--dump-pt ").skip(1).collect();
    assert_eq!(reports.len(), 5, "{text}");
    assert!(
        reports[0].starts_with("1@insns:100 after 100 instructions: no live process 1"),
        "{text}"
    );
    // getchar's read: the system call's entry, then its wait for input.
    let order = [
        (reports[1], "1@syscall:read"),
        (reports[2], "waiter@getchar"),
        (reports[3], "1@syscall:exit_group"),
    ];
    for (r, spec) in order {
        assert!(r.starts_with(&format!("{spec} after ")), "{text}");
        assert!(r.contains(": pid 1 (/bin/waiter)\n"), "{text}");
        assert!(
            r.contains("page tables as the MMU sees them:\nmode sv39, root T0"),
            "{r}"
        );
        assert!(
            !r.contains("PA"),
            "physical addresses are named, not printed: {r}"
        );
    }
    for (r, _) in &order[..2] {
        assert!(
            r.contains("/proc/1/maps as the kernel renders it:\n"),
            "{r}"
        );
        assert!(r.contains("[heap]") && r.contains("[stack]"), "{r}");
    }
    // At its exit the process is gone (and the run over) before the kernel's next sample.
    assert!(
        reports[3].contains("/proc/1/maps: the run ended (Pass) before the answer"),
        "{text}"
    );
    assert!(
        reports[4].starts_with("7@exit: the event did not happen"),
        "{text}"
    );
}

#[test]
fn bad_dump_points_are_refused() {
    for (spec, says) in [
        ("getchar", "is not PID@EVENT"),
        ("1@later", "EVENT is getchar, exit"),
        ("1@syscall:nonesuch", "no system call named 'nonesuch'"),
    ] {
        let out = run(&["run", "--dump-pt", spec, "prog"], None);
        assert_eq!(out.code, Some(2), "{out:#?}");
        assert!(out.stderr.contains(says), "{spec}: {}", out.stderr);
    }
}
