#!/usr/bin/env bash
# Wall-clock speed of the current source over several code placements.
#
# On some hosts the same machine code runs the benchmarks at very different speeds depending
# only on where the linker puts it (docs/PERFORMANCE.md, "Method": 323 to 558
# MIPS for one source on one Xeon host). One build against another then says little; this script builds the
# source as it is and with every function aligned to 64, 128 and 256 bytes (which moves the
# code without changing it), runs `rvmmu bench` on each in turn for several rounds, and
# prints every median, so a claim can cite the range over placements.
#
# Usage: scripts/bench-placements.sh [ROUNDS [RUNS]]   (defaults: 2 rounds, 9 runs a bench)
# The builds go to target/placement-*/ (a full release build each, about a minute).
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-2}
runs=${2:-9}
placements=(as-built 6 7 8)

for p in "${placements[@]}"; do
    flags=""
    [ "$p" != as-built ] && flags="-C llvm-args=-align-all-functions=$p"
    echo "building: placement $p" >&2
    CARGO_TARGET_DIR="target/placement-$p" RUSTFLAGS="$flags" \
        cargo build --release -p rvmmu --quiet
done

echo "commit $(git rev-parse --short HEAD)$(git diff --quiet || echo ' (uncommitted changes)'), $(date -u '+%Y-%m-%d %H:%M UTC')"
echo "placement: as-built, or functions aligned to 2^N bytes; medians of $runs runs, MIPS"
printf '%-6s %-9s %-10s %-10s %-10s %s\n' round placement int-loop sv39-hit sv39-miss load
for r in $(seq 1 "$rounds"); do
    for p in "${placements[@]}"; do
        load=$(cut -d' ' -f1 /proc/loadavg)
        out=$("target/placement-$p/release/rvmmu" bench --runs "$runs")
        median() { awk -v w="$1" '$1 == w { print $2 }' <<<"$out"; }
        printf '%-6s %-9s %-10s %-10s %-10s %s\n' "$r" "$p" \
            "$(median int-loop)" "$(median sv39-hit)" "$(median sv39-miss)" "$load"
    done
done
