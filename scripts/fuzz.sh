#!/usr/bin/env bash
# The system-call fuzzer (programs/fuzz/syscall_fuzz.c) on the kernel, longer than CI runs
# it: COUNT calls in each of 4 children, three rounds, from SEED (default 10000 calls,
# seed 1), on rvmmu's release build. Fails on a kernel panic, a call answered outside
# Linux's errnos, a child that died, or free memory that does not settle.
# Usage: scripts/fuzz.sh [COUNT [SEED [CHILDREN]]]
set -euo pipefail
cd "$(dirname "$0")/.."
COUNT=${1:-10000}
SEED=${2:-1}
CHILDREN=${3:-4}
DIR=$(mktemp -d)
trap 'rm -rf "$DIR"' EXIT
riscv64-linux-gnu-gcc -static -O2 -Wall -Werror programs/fuzz/syscall_fuzz.c -o "$DIR/syscall_fuzz"
cargo build --release -q -p rvmmu
status=0
timeout 1800 target/release/rvmmu run --mem 256M "$DIR/syscall_fuzz" "$COUNT" "$SEED" \
    "$CHILDREN" 3 >"$DIR/console" 2>&1 || status=$?
grep -v -e 'not implemented: -ENOSYS' -e 'callbacks suppressed' "$DIR/console" | tail -n 40
if grep -q 'kernel panic' "$DIR/console"; then
    echo "fuzz: KERNEL PANIC (seed $SEED)"
    status=1
fi
if [ "$status" -ne 0 ]; then
    echo "fuzz: FAILED with seed $SEED (exit $status)"
fi
exit "$status"
