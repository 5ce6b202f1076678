#!/usr/bin/env bash
# The corpus of real programs (tests/tests/real_programs.rs) at a bigger size: SQLite's
# workload with ROWS employees (default 5000) on rvmmu (release build) and qemu-riscv64.
# Usage: scripts/corpus.sh [ROWS]
set -euo pipefail
cd "$(dirname "$0")/.."
RVMMU_CORPUS_ROWS=${1:-5000} cargo test --release -p rvmmu-tests --test real_programs \
    sqlite -- --nocapture
