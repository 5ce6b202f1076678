#!/usr/bin/env bash
# The corpus of real programs (tests/tests/real_programs.rs) at a bigger size: SQLite's
# workload with ROWS employees (default 5000) on rvmmu and qemu-riscv64 (the test build:
# no second build of SQLite; each run may take up to 500 M instructions).
# Usage: scripts/corpus.sh [ROWS]
set -euo pipefail
cd "$(dirname "$0")/.."
RVMMU_CORPUS_ROWS=${1:-5000} cargo test -p rvmmu-tests --test real_programs \
    sqlite -- --nocapture
