#!/usr/bin/env bash
# The long allocator stress: programs/stress/alloc_stress.c built against glibc, musl and
# musl static-pie, run on rvmmu's kernel (release build) and under qemu-riscv64; their
# summary lines (checksum included) must all be the same.
# Usage: scripts/alloc-stress.sh [ROUNDS [SEED [MAX_SIZE]]] (default 2000 1 2097152).
set -euo pipefail
cd "$(dirname "$0")/.."
ROUNDS=${1:-2000}
SEED=${2:-1}
MAX=${3:-2097152}
SRC=programs/stress/alloc_stress.c
DIR=$(mktemp -d)
trap 'rm -rf "$DIR"' EXIT
riscv64-linux-gnu-gcc -static -O2 -Wall -Werror "$SRC" -o "$DIR/glibc"
python3 -m ziglang cc -target riscv64-linux-musl -static -O2 -Wall -Werror "$SRC" -o "$DIR/musl"
python3 -m ziglang cc -target riscv64-linux-musl -static -fPIE -pie -O2 -Wall -Werror "$SRC" \
    -o "$DIR/musl-pie"
cargo build --release -q -p rvmmu
want=$(qemu-riscv64 "$DIR/glibc" "$ROUNDS" "$SEED" "$MAX")
echo "qemu-riscv64 glibc: $want"
status=0
for v in glibc musl musl-pie; do
    for runner in qemu rvmmu; do
        if [ "$runner" = qemu ]; then
            got=$(qemu-riscv64 "$DIR/$v" "$ROUNDS" "$SEED" "$MAX" 2>&1) || true
        else
            got=$(target/release/rvmmu run --mem 1G "$DIR/$v" "$ROUNDS" "$SEED" "$MAX" 2>&1) || true
        fi
        if [ "$got" = "$want" ]; then
            echo "ok   $runner $v"
        else
            echo "FAIL $runner $v: $got"
            status=1
        fi
    done
done
exit $status
