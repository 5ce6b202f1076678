#!/usr/bin/env bash
# Everything CI checks: formatting, lints, and every test (unit, bare-metal ISA programs on
# rvmmu and on qemu-system-riscv64, CLI, the kernel booted on both and its user programs
# compared with qemu-riscv64). Installs what is missing first.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
cargo fmt --all --check
cargo fmt --manifest-path os/Cargo.toml --check
cargo clippy --workspace --all-targets -- -D warnings
# The kernel is its own workspace, built for the RISC-V target only.
cargo clippy --release --manifest-path os/Cargo.toml --target riscv64gc-unknown-none-elf \
    --target-dir target/os -- -D warnings
# The other configurations the docs name: the emulator without its default feature
# `trace-translations` (docs/TRACING.md), and without the embedded kernel
# (RVMMU_NO_KERNEL=1, emu/build.rs; its own target directory, so the main build's
# artifacts stay valid).
cargo clippy -p rvmmu --no-default-features --all-targets -- -D warnings
RVMMU_NO_KERNEL=1 cargo clippy -p rvmmu --all-targets --target-dir target/no-kernel -- -D warnings
# Every test; under CI (`CI` set) a missing reference (QEMU, qemu-riscv64, mkswap, cc)
# fails its test instead of skipping it.
cargo test --workspace
