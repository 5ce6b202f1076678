//! docs/TUTORIAL.md is generated: every command block of tests/tutorial/TUTORIAL.md.in
//! (see `rvmmu_tests::tutorial` for the block syntax) is run with the `rvmmu` binary, and
//! the rendered document must equal the committed one. `UPDATE_TUTORIAL=1 cargo test -p
//! rvmmu-tests --test tutorial` writes it instead.
//!
//! The binary is the workspace's own `rvmmu`, built (by `cargo build -p rvmmu`) in the
//! same target directory and profile as this test, or the one `RVMMU_BIN` names. Each
//! command runs in a fresh scratch directory (its `--trace-out` files land there) with a
//! wall-clock limit; blocks marked `twice` run a second time and must print exactly the
//! same (the machine runs on virtual time). Blocks with the same command and input show
//! excerpts of one run (the command runs once for all of them), unless a later block asks
//! for a file the first did not read.

use rvmmu_tests::process::run_with_timeout;
use rvmmu_tests::tutorial::{self, Block, Outcome, Piece};
use std::collections::HashMap;
use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

const TEMPLATE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tutorial/TUTORIAL.md.in");
const DOCUMENT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/TUTORIAL.md");

/// Wall-clock limit of one command (a debug build on a shared machine).
const TIMEOUT: Duration = Duration::from_secs(180);

/// The `rvmmu` binary: `RVMMU_BIN`, or the workspace's, built now if it is stale.
fn rvmmu_binary() -> PathBuf {
    if let Some(p) = std::env::var_os("RVMMU_BIN") {
        return PathBuf::from(p);
    }
    // This test is TARGET/PROFILE/deps/tutorial-HASH; the binary is TARGET/PROFILE/rvmmu.
    let exe = std::env::current_exe().expect("the test's own path");
    let profile_dir = exe
        .parent()
        .and_then(Path::parent)
        .expect("the test runs from TARGET/PROFILE/deps");
    let target_dir = profile_dir.parent().expect("TARGET/PROFILE");
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut cmd = Command::new(cargo);
    cmd.args(["build", "--quiet", "-p", "rvmmu", "--bin", "rvmmu"])
        .arg("--manifest-path")
        .arg(concat!(env!("CARGO_MANIFEST_DIR"), "/../Cargo.toml"))
        .arg("--target-dir")
        .arg(target_dir);
    if profile_dir.file_name().is_some_and(|n| n == "release") {
        cmd.arg("--release");
    }
    let out = run_with_timeout(cmd, None, Duration::from_secs(1200)).expect("run cargo build");
    assert!(
        out.status.is_some_and(|s| s.success()),
        "cargo build -p rvmmu failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let bin = profile_dir.join("rvmmu");
    assert!(bin.is_file(), "{} was not built", bin.display());
    bin
}

/// Runs one block's command once, in a fresh directory.
fn run_block(bin: &Path, block: &Block, round: usize) -> Outcome {
    let words = tutorial::split_words(&block.command)
        .unwrap_or_else(|e| panic!("template line {}: {e}", block.line));
    let dir = std::env::temp_dir().join(format!(
        "rvmmu-tutorial-{}-{}-{round}",
        std::process::id(),
        block.line
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("a scratch directory");
    let mut cmd = Command::new(bin);
    cmd.args(&words[1..])
        .current_dir(&dir)
        .env_remove("RUST_LOG");
    let start = Instant::now();
    let run = run_with_timeout(cmd, Some(block.stdin.clone()), TIMEOUT).expect("run rvmmu");
    let status = run
        .status
        .unwrap_or_else(|| panic!("template line {}: no end within {TIMEOUT:?}", block.line));
    let status = status
        .code()
        .unwrap_or_else(|| 128 + status.signal().unwrap_or(0));
    let file = block.opts.file.as_ref().map(|name| {
        std::fs::read_to_string(dir.join(name)).unwrap_or_else(|e| {
            panic!(
                "template line {}: the command wrote no {name}: {e}",
                block.line
            )
        })
    });
    let _ = std::fs::remove_dir_all(&dir);
    eprintln!(
        "line {:4}: {:6.2} s  {}",
        block.line,
        start.elapsed().as_secs_f64(),
        block.command
    );
    let text = |b: Vec<u8>| String::from_utf8_lossy(&b).into_owned();
    Outcome {
        stdout: text(run.stdout),
        stderr: text(run.stderr),
        status,
        file,
    }
}

/// A run's command and input.
type RunKey<'a> = (&'a str, &'a [u8]);

#[test]
fn the_tutorial_is_what_its_commands_print() {
    let template = std::fs::read_to_string(TEMPLATE).expect("read the template");
    let pieces = tutorial::parse(&template).unwrap_or_else(|e| panic!("{TEMPLATE}: {e}"));
    let bin = rvmmu_binary();
    let blocks: Vec<&Block> = pieces
        .iter()
        .filter_map(|p| match p {
            Piece::Run(b) => Some(b),
            Piece::Text(_) => None,
        })
        .collect();
    assert!(
        blocks.len() >= 10,
        "the template has too few command blocks"
    );
    assert!(
        blocks.iter().any(|b| b.opts.twice),
        "no block checks that a run repeats exactly"
    );
    let mut outcomes = Vec::new();
    // Runs by (command, input): the outcome, and the file it read.
    let mut runs: HashMap<RunKey, (Outcome, Option<&str>)> = HashMap::new();
    for b in &blocks {
        let key = (b.command.as_str(), &b.stdin[..]);
        let file = b.opts.file.as_deref();
        let first = match runs.get(&key) {
            Some((o, f)) if file.is_none() || file == *f => o.clone(),
            _ => {
                let o = run_block(&bin, b, 1);
                runs.insert(key, (o.clone(), file));
                o
            }
        };
        if b.opts.twice {
            let second = run_block(&bin, b, 2);
            assert_eq!(
                first, second,
                "template line {}: two runs of `{}` differ",
                b.line, b.command
            );
        }
        outcomes.push(first);
    }
    let rendered = tutorial::render(&pieces, &outcomes);
    if std::env::var_os("UPDATE_TUTORIAL").is_some_and(|v| !v.is_empty()) {
        std::fs::write(DOCUMENT, &rendered).expect("write docs/TUTORIAL.md");
        eprintln!("wrote {DOCUMENT}");
        return;
    }
    let committed = std::fs::read_to_string(DOCUMENT).unwrap_or_default();
    let diff = tutorial::diff(&committed, &rendered);
    assert!(
        diff.is_empty(),
        "docs/TUTORIAL.md (-) is not what the template's commands print now (+); \
         if the change is right, regenerate it with \
         `UPDATE_TUTORIAL=1 cargo test -p rvmmu-tests --test tutorial`:\n{diff}"
    );
}
