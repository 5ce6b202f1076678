//! Builds the kernel (`../os`, for riscv64gc-unknown-none-elf) and hands its ELF to the
//! emulator, which embeds it (`rvmmu::kernel::EMBEDDED`) so that `rvmmu run` needs no kernel
//! path.
//!
//! The kernel is built by a nested cargo, in release mode, into its own target directory
//! (`target/os`), so it never waits on the lock of the build that runs this script. The
//! variables the outer cargo sets for build scripts that would change the nested build
//! (flags meant for the host, clippy's wrapper) are removed.
//!
//! Set `RVMMU_NO_KERNEL=1` to build the emulator without a kernel (`rvmmu run` then needs
//! `--kernel`); where `os/` does not exist, there is nothing to embed either.

use std::env;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

const TARGET: &str = "riscv64gc-unknown-none-elf";

fn main() {
    let manifest_dir = PathBuf::from(env::var_os("CARGO_MANIFEST_DIR").expect("manifest dir"));
    let out_dir = PathBuf::from(env::var_os("OUT_DIR").expect("OUT_DIR"));
    let root = manifest_dir
        .parent()
        .expect("emu/ is in the workspace root");
    let os = root.join("os");
    let embedded = out_dir.join("kernel.elf");
    println!("cargo:rerun-if-env-changed=RVMMU_NO_KERNEL");
    println!("cargo:rerun-if-changed={}", os.display());
    println!("cargo:rustc-env=RVMMU_KERNEL_ELF={}", embedded.display());

    let skip = env::var_os("RVMMU_NO_KERNEL").is_some_and(|v| v != "0" && !v.is_empty());
    if skip || !os.join("Cargo.toml").is_file() {
        // An empty file: no kernel built in.
        fs::write(&embedded, b"").expect("write kernel.elf");
        return;
    }
    let elf = build_kernel(root, &os);
    fs::copy(&elf, &embedded)
        .unwrap_or_else(|e| panic!("copy {} to {}: {e}", elf.display(), embedded.display()));
}

/// Runs the nested cargo; returns the kernel ELF's path. Fails the build, with cargo's
/// output, if the kernel does not build.
fn build_kernel(root: &Path, os: &Path) -> PathBuf {
    let cargo = env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let target_dir = root.join("target").join("os");
    let mut cmd = Command::new(cargo);
    cmd.args(["build", "--release", "--target", TARGET, "--manifest-path"])
        .arg(os.join("Cargo.toml"))
        .arg("--target-dir")
        .arg(&target_dir);
    for var in [
        "RUSTFLAGS",
        "CARGO_ENCODED_RUSTFLAGS",
        "CARGO_BUILD_TARGET",
        "CARGO_TARGET_DIR",
        "RUSTC_WRAPPER",
        "RUSTC_WORKSPACE_WRAPPER",
        "CARGO_BUILD_RUSTC_WRAPPER",
        "CARGO_BUILD_RUSTC_WORKSPACE_WRAPPER",
        "CLIPPY_ARGS",
        "CLIPPY_CONF_DIR",
    ] {
        cmd.env_remove(var);
    }
    let out = cmd
        .output()
        .unwrap_or_else(|e| panic!("cannot run cargo for the kernel: {e}"));
    if !out.status.success() {
        eprintln!("{}", String::from_utf8_lossy(&out.stderr));
        panic!(
            "building the kernel (os/) for {TARGET} failed: see above. Is the target installed \
             (`rustup target add {TARGET}`, which scripts/setup.sh does)? Set RVMMU_NO_KERNEL=1 \
             to build rvmmu without its kernel."
        );
    }
    target_dir.join(TARGET).join("release").join("rvmmu-os")
}
