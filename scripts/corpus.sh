#!/usr/bin/env bash
# The corpus of real programs (tests/tests/real_programs.rs) at a bigger size, on rvmmu and
# qemu-riscv64 (the test build: no second build of the programs; each run may take up to
# 500 M instructions): SQLite's workload with ROWS employees (default 5000), Lua's
# programs/corpus/work.lua with size N (default 1000), and bzip2's round trip of KIB KiB of
# data (default 256).
# Usage: scripts/corpus.sh [ROWS [N [KIB]]]
set -euo pipefail
cd "$(dirname "$0")/.."
RVMMU_CORPUS_ROWS=${1:-5000} RVMMU_CORPUS_LUA_N=${2:-1000} RVMMU_CORPUS_BZIP2_KIB=${3:-256} \
    cargo test -p rvmmu-tests --test real_programs -- sqlite lua bzip2 --nocapture
