#!/usr/bin/env bash
# The demo: builds rvmmu (with its kernel) and the guest programs, then shows
#   1. static Linux programs run on the kernel (rvmmu run): one of the project's, the notes'
#      malloc_1 watched by a second process reading its /proc/PID/maps while it waits, as the
#      notes do, the notes' touch_4x1g killed by the OOM killer and completed with swap,
#      swap_32g swapping, and one killed by SIGSEGV;
#   2. the MMU at work: the page tables a bare-metal program builds (--dump-pt) and the
#      translations that walk them (--trace translations);
#   3. every bare-metal test program with --stats;
#   4. the interpreter's speed, paging off and on (rvmmu bench).
# Installs what is missing first.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
cargo build --release --workspace --quiet
rvmmu=target/release/rvmmu
out=$(ls -d target/release/build/rvmmu-tests-*/out | head -n 1)
bare="$out/bare"
progs="$out/programs"

echo "== rvmmu run: a static glibc program as the kernel's first process (Sv48)"
"$rvmmu" run "$progs/kernel/hello" one "two words" || true
echo
echo "== rvmmu run: the notes' malloc_1 (input: two newlines), run by procwatch, a second process"
echo "   that prints its /proc/PID/maps and status each time it waits in getchar()"
printf '\n\n' | "$rvmmu" run --file "$progs/notes/malloc_1" "$progs/tools/procwatch" /bin/malloc_1 || true
echo
echo "== the notes' touch_4x1g: 4 x 1 GiB malloc'd, then touched, in 2 GiB of RAM with no swap:"
echo "   its lines, then the OOM killer (exit status 137)"
echo | "$rvmmu" run --mem 2G "$progs/notes/touch_4x1g" || echo "(exit status $?)"
echo
echo "== the same with a 4 GiB swap disk: all four blocks, run by procwatch, which shows its"
echo "   /proc/PID/status (VmRSS, VmSwap) while it waits in getchar() at the end"
echo | "$rvmmu" run --mem 2G --swap 4G --file "$progs/notes/touch_4x1g" "$progs/tools/procwatch" \
  /bin/touch_4x1g | grep -E "访问|^Vm(Size|RSS|Swap)|exit" || true
echo
echo "== the notes' swap_32g in 256 MiB of RAM with 40 GiB of swap, stopped after 3 G instructions"
"$rvmmu" run --mem 256M --swap 40G --max-insns 3000000000 "$progs/notes/swap_32g" || echo "(exit status $?)"
echo
echo "== rvmmu run: a NULL write; the kernel kills the process, rvmmu exits as a shell would"
"$rvmmu" run "$progs/kernel/segv" || echo "(exit status $?)"
echo
echo "== the page tables pt_shapes_sv39 builds, as the hardware walker sees them"
"$rvmmu" bare --dump-pt "$bare/pt_shapes_sv39.elf" 2>&1 >/dev/null | head -n 40 || true
echo
echo "== the first 12 translations of mmu_sv39 that walked (TLB misses), with each PTE read"
"$rvmmu" bare --trace translations --trace-tlb miss --max-insns 2000000 "$bare/mmu_sv39.elf" \
  2>&1 >/dev/null | head -n 12 || true
echo
for elf in "$bare"/*.elf; do
  echo "== $(basename "$elf")"
  "$rvmmu" bare --stats --max-insns 50000000 "$elf"
done
echo
echo "== guest speed on the default engine, the JIT (median of 5 runs; see docs/PERFORMANCE.md)"
"$rvmmu" bench
