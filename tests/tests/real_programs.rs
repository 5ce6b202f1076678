//! The calls every real program makes, answered as Linux does (`programs/tests/identity.c`:
//! ids, umask, faccessat, uname, sysinfo, socket), the rate limit on the kernel's warnings
//! about unimplemented calls, the system-call fuzzer, and real programs from elsewhere
//! (SQLite's shell, Lua) run on the kernel and compared with qemu-riscv64.

use rvmmu::machine::Exit;
use rvmmu_tests::kernel::{boot_rvmmu, program_output, Boot};
use rvmmu_tests::linux::{find_qemu_user, run_user_env};
use rvmmu_tests::linux_program;
use std::time::Duration;

/// The qemu-riscv64 reference, or None (with a note) when it is missing; missing under CI
/// is a failure, never a skip.
fn reference() -> Option<std::path::PathBuf> {
    let q = find_qemu_user();
    if q.is_none() {
        assert!(
            std::env::var_os("CI").is_none(),
            "qemu-riscv64 is missing: CI must compare with Linux"
        );
        eprintln!("skip: qemu-riscv64 not on PATH; no comparison with Linux");
    }
    q
}

/// Boots `name` (a built program, "dir/name") as /bin/NAME with `files` beside it.
fn on_rvmmu(name: &str, bootargs: &str, files: Vec<rvmmu::initramfs::File>) -> (Exit, String) {
    let base = name.rsplit('/').next().unwrap();
    let init = format!("/bin/{base}");
    let mut all = vec![rvmmu::initramfs::File {
        path: init.clone(),
        data: std::fs::read(linux_program(name).expect("built")).unwrap(),
        mode: 0o755,
    }];
    all.extend(files);
    let b = Boot {
        initrd: Some(rvmmu::initramfs::pack(&all).expect("an initramfs")),
        ..Boot::new(128 << 20, &format!("init={init} quiet {bootargs}"))
    };
    boot_rvmmu(&b)
}

#[test]
fn the_start_up_calls_answer_as_linux_does() {
    tap_everywhere("tests/identity");
    // Every call it makes is implemented now.
    let (_, console) = on_rvmmu("tests/identity", "", vec![]);
    assert!(!console.contains("not implemented"), "{console}");
}

#[test]
fn warnings_about_an_unimplemented_call_are_rate_limited() {
    let (exit, console) = on_rvmmu("kernel/enosys_flood", "", vec![]);
    assert_eq!(exit, Exit::Pass, "{console}");
    assert_eq!(program_output(&console), "PASS\n", "{console}");
    let warned: Vec<&str> = console
        .lines()
        .filter(|l| l.contains("syscall 500"))
        .collect();
    // 3695 calls in the first window: 10 lines; after 6 s, the 3685 others are reported
    // and the next call is printed.
    assert_eq!(warned.len(), 12, "{console}");
    assert!(warned[..10]
        .iter()
        .all(|l| l.ends_with("enosys_flood: syscall 500 not implemented: -ENOSYS")));
    assert!(
        warned[10].ends_with("syscall 500: 3685 callbacks suppressed"),
        "{console}"
    );
    assert!(warned[11].ends_with("syscall 500 not implemented: -ENOSYS"));
    // Other warnings a program can repeat are limited per call site, the same way.
    let fcntl: Vec<&str> = console
        .lines()
        .filter(|l| l.contains("fs::files"))
        .collect();
    assert_eq!(fcntl.len(), 12, "{console}");
    assert!(fcntl[..10]
        .iter()
        .all(|l| l.ends_with("enosys_flood: fcntl command 12345 not implemented: -EINVAL")));
    assert!(
        fcntl[10].ends_with("rvmmu_os::fs::files: 990 callbacks suppressed"),
        "{console}"
    );
    assert!(fcntl[11].ends_with("fcntl command 12345 not implemented: -EINVAL"));
}

/// An in-memory SQLite workload of `rows` employees: tables, many inserts in one
/// transaction, an index, a join, updates, deletes, aggregates, a recursive query and an
/// integrity check. Deterministic (no random(), no time).
fn sqlite_workload(rows: u32) -> String {
    let depts = 12;
    let mut sql = String::from(
        "CREATE TABLE dept(id INTEGER PRIMARY KEY, name TEXT NOT NULL);\n\
         CREATE TABLE emp(id INTEGER PRIMARY KEY, name TEXT, dept INTEGER REFERENCES dept(id),\n\
         \x20 salary REAL, hired TEXT);\nBEGIN;\n",
    );
    for d in 1..=depts {
        sql.push_str(&format!("INSERT INTO dept VALUES({d}, 'dept-{d}');\n"));
    }
    for i in 1..=rows {
        let salary = f64::from((i * 7919) % 100_000) / 100.0;
        let day = 1 + i % 28;
        let month = 1 + i % 12;
        sql.push_str(&format!(
            "INSERT INTO emp VALUES({i}, 'emp-{i}', {}, {salary}, '2020-{month:02}-{day:02}');\n",
            i % depts + 1
        ));
    }
    sql.push_str(
        "COMMIT;\n\
         CREATE INDEX emp_dept ON emp(dept);\n\
         CREATE INDEX emp_salary ON emp(salary);\n\
         SELECT count(*), round(sum(salary), 2), min(salary), max(salary) FROM emp;\n\
         SELECT d.name, count(e.id), round(avg(e.salary), 2) FROM dept d JOIN emp e ON e.dept = d.id\n\
         \x20 GROUP BY d.id ORDER BY d.id;\n\
         UPDATE emp SET salary = salary * 1.1 WHERE dept % 3 = 0;\n\
         DELETE FROM emp WHERE id % 7 = 0;\n\
         SELECT dept, round(total(salary), 2) FROM emp GROUP BY dept HAVING count(*) > 1\n\
         \x20 ORDER BY 2 DESC LIMIT 5;\n\
         SELECT name, salary FROM emp WHERE name LIKE 'emp-1%' ORDER BY salary DESC, id LIMIT 3;\n\
         SELECT substr(hired, 1, 7) AS m, count(*) FROM emp GROUP BY m ORDER BY m;\n\
         SELECT group_concat(id, ',') FROM (SELECT id FROM emp ORDER BY id LIMIT 10);\n\
         WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 1000)\n\
         \x20 SELECT sum(x * x), avg(x) FROM c;\n\
         SELECT e1.id, e2.id FROM emp e1 JOIN emp e2 ON e1.salary = e2.salary AND e1.id < e2.id\n\
         \x20 ORDER BY 1, 2 LIMIT 5;\n\
         SELECT upper('done'), length(printf('%08.3f', 3.14159)), typeof(1.5), 7 / 2, 7 % 3;\n\
         PRAGMA integrity_check;\n",
    );
    sql
}

/// Rows for the SQLite run: small for `cargo test` (the emulator is a debug build there),
/// more from `scripts/corpus.sh` through RVMMU_CORPUS_ROWS.
fn corpus_rows() -> u32 {
    std::env::var("RVMMU_CORPUS_ROWS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(200)
}

/// SQLite 3.44.2 (its autoconf release from the npm package sqlite3@5.1.7: the shell's
/// shell.c and the amalgamation) built for glibc and musl: the real shell
/// (`sqlite3 :memory: ".read /work.sql"`) and our front end (programs/corpus/sqlite_run.c)
/// run the workload on the kernel and print what they print under qemu-riscv64.
#[test]
fn sqlite_runs_a_workload_as_on_linux() {
    let qemu = reference();
    let sql = sqlite_workload(corpus_rows());
    let mut outputs = Vec::new();
    for name in [
        "corpus/sqlite3",
        "corpus/sqlite3.musl",
        "corpus/sqlite_run",
        "corpus/sqlite_run.musl",
    ] {
        assert!(
            linux_program(name).is_some(),
            "{name} was not built (tests/build.rs could not get SQLite's sources)"
        );
        let shell = name.starts_with("corpus/sqlite3");
        let work = rvmmu::initramfs::File {
            path: "/work.sql".into(),
            data: sql.clone().into_bytes(),
            mode: 0o644,
        };
        let args = if shell {
            "-- :memory: \".read /work.sql\""
        } else {
            "-- /work.sql"
        };
        let (exit, console) = on_rvmmu(name, args, vec![work]);
        assert_eq!(exit, Exit::Pass, "{name}\n{console}");
        let ours = program_output(&console);
        assert!(ours.ends_with("ok\n"), "{name}: {console}");
        assert!(!ours.contains("error"), "{name}: {console}");
        // Every call the programs make is implemented (rt_sigaction for the shell's SIGINT
        // handler, faccessat, getuid and socket included).
        assert!(
            !console.contains("not implemented"),
            "{name}: an unimplemented call: {console}"
        );
        if let Some(q) = &qemu {
            let file = std::env::temp_dir().join(format!("rvmmu-sql-{}.sql", std::process::id()));
            std::fs::write(&file, &sql).unwrap();
            let path = linux_program(name).unwrap();
            let read = format!(".read {}", file.display());
            let args: Vec<&str> = if shell {
                vec![":memory:", &read]
            } else {
                vec![file.to_str().unwrap()]
            };
            let r = run_user_env(q, path, &args, b"", &[], Duration::from_secs(300)).unwrap();
            let _ = std::fs::remove_file(&file);
            assert_eq!(r.code, Some(0), "{name} under qemu-riscv64: {r:#?}");
            assert_eq!(ours, r.stdout, "{name}: rvmmu (left), qemu-riscv64 (right)");
        }
        outputs.push(ours);
    }
    // The shell and the front end print rows alike (list mode).
    assert!(outputs.windows(2).all(|w| w[0] == w[1]), "{outputs:#?}");
}

/// A TAP program of `programs/tests/` on the kernel (Sv39 and Sv48) and under qemu-riscv64
/// (its "# SKIP on qemu-user" lines stripped): all pass, same lines.
fn tap_everywhere(name: &str) {
    let qemu = reference();
    for paging in ["paging=sv39", "paging=sv48"] {
        let (exit, console) = on_rvmmu(name, paging, vec![]);
        assert_eq!(exit, Exit::Pass, "{name} {paging}\n{console}");
        assert!(!console.contains("not ok"), "{console}");
        if let Some(q) = &qemu {
            let path = linux_program(name).unwrap();
            let env = [("RVMMU_ON_QEMU_USER", "1")];
            let r = run_user_env(q, path, &[], b"", &env, Duration::from_secs(60)).unwrap();
            assert_eq!(r.code, Some(0), "{r:#?}");
            let linux: String = r
                .stdout
                .lines()
                .map(|l| format!("{}\n", l.split(" # SKIP on qemu-user").next().unwrap()))
                .collect();
            assert_eq!(
                program_output(&console),
                linux,
                "{name}: rvmmu (left), qemu-riscv64"
            );
        }
    }
}

/// What the system-call fuzzer found, checked one by one (programs/tests/fuzz_regressions.c).
#[test]
fn the_fuzzers_findings_stay_fixed() {
    tap_everywhere("tests/fuzz_regressions");
}

/// The system-call fuzzer (programs/fuzz/syscall_fuzz.c), bounded for CI: 4 children of
/// 400 random calls each, three rounds. Every answer is >= 0 or a Linux errno, no child
/// dies, the kernel does not panic, and the free memory is the same after the last round
/// as after the one before. `scripts/fuzz.sh COUNT SEED` runs it longer.
#[test]
fn random_system_calls_get_linux_answers_and_leak_nothing() {
    let (exit, console) = on_rvmmu("fuzz/syscall_fuzz", "-- 400 1 4 3", vec![]);
    assert!(!console.contains("kernel panic"), "{console}");
    assert_eq!(exit, Exit::Pass, "{console}");
    let out = program_output(&console);
    assert!(out.ends_with("fuzz: 0 failed children\nPASS\n"), "{out}");
    assert!(!out.contains("violation"), "{out}");
    assert_eq!(out.matches("child: ").count(), 12, "{out}");
}

/// The size of the Lua workload (programs/corpus/work.lua's N): small for `cargo test`,
/// bigger from `scripts/corpus.sh` through RVMMU_CORPUS_LUA_N.
fn lua_size() -> u32 {
    std::env::var("RVMMU_CORPUS_LUA_N")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(40)
}

/// Lua 5.4.9 (the library from the crates.io crate lua-src 551.1.0, with our stand-alone
/// front end programs/corpus/lua_run.c) built for glibc and musl runs programs/corpus/work.lua
/// (strings and patterns, tables that rehash, closures, coroutines, garbage, sorting,
/// formatted numbers, math, errors) on the kernel (glibc's build with Sv39, musl's with
/// Sv48) and prints what it prints under qemu-riscv64.
#[test]
fn lua_runs_a_workload_as_on_linux() {
    let qemu = reference();
    let script_path = concat!(env!("CARGO_MANIFEST_DIR"), "/../programs/corpus/work.lua");
    let script = std::fs::read(script_path).expect("programs/corpus/work.lua");
    let n = lua_size().to_string();
    let mut outputs = Vec::new();
    for (name, paging) in [
        ("corpus/lua_run", "paging=sv39"),
        ("corpus/lua_run.musl", "paging=sv48"),
    ] {
        assert!(
            linux_program(name).is_some(),
            "{name} was not built (tests/build.rs could not get Lua's sources from lua-src)"
        );
        let work = rvmmu::initramfs::File {
            path: "/work.lua".into(),
            data: script.clone(),
            mode: 0o644,
        };
        let args = format!("{paging} -- /work.lua {n}");
        let (exit, console) = on_rvmmu(name, &args, vec![work]);
        assert_eq!(exit, Exit::Pass, "{name} {paging}\n{console}");
        let ours = program_output(&console);
        assert!(ours.ends_with("\nok\n"), "{name} {paging}: {console}");
        assert!(
            !console.contains("not implemented"),
            "{name}: an unimplemented call: {console}"
        );
        outputs.push(ours);
        if let Some(q) = &qemu {
            let path = linux_program(name).unwrap();
            let args = [script_path, n.as_str()];
            let r = run_user_env(q, path, &args, b"", &[], Duration::from_secs(300)).unwrap();
            assert_eq!(r.code, Some(0), "{name} under qemu-riscv64: {r:#?}");
            let ours = outputs.last().unwrap();
            assert_eq!(
                *ours, r.stdout,
                "{name}: rvmmu (left), qemu-riscv64 (right)"
            );
        }
    }
    // Both C libraries: the same lines.
    assert!(outputs.windows(2).all(|w| w[0] == w[1]), "{outputs:#?}");
}

/// Data of our own for bzip2: lines of text with counters (repetitive, as logs are) and a
/// stretch of xorshift bytes (incompressible), `kib` KiB in all. Deterministic.
fn bzip2_data(kib: usize) -> Vec<u8> {
    let mut data = Vec::with_capacity(kib << 10);
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut i = 0u32;
    while data.len() < kib << 10 {
        if i % 16 < 12 {
            let line = format!(
                "line {i:06}: the quick brown fox {} jumps\n",
                i * 7919 % 1000
            );
            data.extend_from_slice(line.as_bytes());
        } else {
            for _ in 0..8 {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                data.extend_from_slice(&x.to_le_bytes());
            }
        }
        i += 1;
    }
    data.truncate(kib << 10);
    data
}

/// FNV-1a over 64 bits, as programs/corpus/bzip2_pipe.c computes it.
fn fnv64(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3)
    })
}

/// The size of the bzip2 data in KiB: small for `cargo test`, bigger from
/// `scripts/corpus.sh` through RVMMU_CORPUS_BZIP2_KIB.
fn bzip2_kib() -> usize {
    std::env::var("RVMMU_CORPUS_BZIP2_KIB")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(16)
}

/// bzip2 1.0.8's own program (bzip2.c from the crates.io crate bzip2-sys 0.1.13+1.0.8)
/// for glibc and musl: on the kernel, programs/corpus/bzip2_pipe.c runs `bzip2 -c -1 /data`
/// into a pipe and that stream through `bzip2 -d -c`, and gets /data back; the compressed
/// stream (its size and digest) is the one bzip2 writes under qemu-riscv64, and under
/// qemu-riscv64 too it decompresses to the data.
#[test]
fn bzip2_round_trips_data_as_on_linux() {
    let qemu = reference();
    let data = bzip2_data(bzip2_kib());
    let mut outputs = Vec::new();
    for (suffix, paging) in [("", "paging=sv39"), (".musl", "paging=sv48")] {
        let bzip2 = format!("corpus/bzip2{suffix}");
        let pipe = format!("corpus/bzip2_pipe{suffix}");
        for name in [&bzip2, &pipe] {
            assert!(
                linux_program(name).is_some(),
                "{name} was not built (tests/build.rs could not get bzip2's sources)"
            );
        }
        let files = vec![
            rvmmu::initramfs::File {
                path: "/bin/bzip2".into(),
                data: std::fs::read(linux_program(&bzip2).unwrap()).unwrap(),
                mode: 0o755,
            },
            rvmmu::initramfs::File {
                path: "/data".into(),
                data: data.clone(),
                mode: 0o644,
            },
        ];
        let args = format!("{paging} -- /bin/bzip2 /data");
        let (exit, console) = on_rvmmu(&pipe, &args, files);
        assert_eq!(exit, Exit::Pass, "{pipe} {paging}\n{console}");
        let ours = program_output(&console);
        assert!(
            ours.ends_with("bzip2: exits 0 0 0, round trip identical\n"),
            "{pipe}: {console}"
        );
        assert!(
            !console.contains("not implemented"),
            "{pipe}: an unimplemented call: {console}"
        );
        if let Some(q) = &qemu {
            let path = linux_program(&bzip2).unwrap();
            let run = |args: &[&str], input: &[u8]| {
                let mut cmd = std::process::Command::new(q);
                cmd.arg(path).args(args);
                let r = rvmmu_tests::process::run_with_timeout(
                    cmd,
                    Some(input.to_vec()),
                    Duration::from_secs(300),
                )
                .unwrap();
                assert_eq!(r.status.and_then(|s| s.code()), Some(0), "{bzip2} {args:?}");
                r.stdout
            };
            let packed = run(&["-c", "-1"], &data);
            assert!(
                run(&["-d", "-c"], &packed) == data,
                "{bzip2}: no round trip"
            );
            let linux = format!(
                "bzip2: in={} compressed={} fnv={:016x}\n",
                data.len(),
                packed.len(),
                fnv64(&packed)
            );
            assert_eq!(
                ours.lines().next().map(|l| format!("{l}\n")),
                Some(linux),
                "{pipe}: rvmmu (left), qemu-riscv64 (right)"
            );
        }
        outputs.push(ours);
    }
    assert!(outputs.windows(2).all(|w| w[0] == w[1]), "{outputs:#?}");
}
