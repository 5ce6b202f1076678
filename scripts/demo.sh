#!/usr/bin/env bash
# The demo: builds rvmmu and the bare-metal test programs, shows the first instructions of a
# run (boot ROM hand-over, then the program) as an instruction trace, runs every program with
# --stats, and measures the interpreter's speed. Installs what is missing first.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
cargo build --release --workspace --quiet
rvmmu=target/release/rvmmu
bare=$(ls -d target/release/build/rvmmu-tests-*/out/bare | head -n 1)

echo "== the first 16 instructions of the interrupts test: boot ROM at 0x1000, then the program"
"$rvmmu" bare --trace insns --max-insns 16 "$bare/interrupts.elf" 2>&1 >/dev/null | head -n 16 || true
echo
for elf in "$bare"/*.elf; do
  echo "== $(basename "$elf")"
  "$rvmmu" bare --stats --max-insns 50000000 "$elf"
done
echo
echo "== interpreter speed (median of 5 runs; see docs/PERFORMANCE.md)"
"$rvmmu" bench
