#!/usr/bin/env bash
# Everything CI checks: formatting, lints, and every test (unit, bare-metal ISA programs on
# rvmmu and on qemu-system-riscv64, CLI). Installs what is missing first.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
cargo fmt --all --check
cargo clippy --workspace --all-targets -- -D warnings
cargo test --workspace
