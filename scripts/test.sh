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
cargo test --workspace
