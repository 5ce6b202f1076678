#!/usr/bin/env bash
# Everything CI checks: formatting, lints, and every test (unit, bare-metal ISA programs on
# rvmmu and on qemu-system-riscv64, CLI). Installs what is missing first.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
cargo fmt --all --check
cargo clippy --workspace --all-targets -- -D warnings
# The kernel is its own crate, built for riscv64gc-unknown-none-elf (emu/build.rs builds it).
cargo fmt --manifest-path os/Cargo.toml --check
cargo clippy --manifest-path os/Cargo.toml --release --target riscv64gc-unknown-none-elf \
  --target-dir target/os -- -D warnings
cargo test --workspace
