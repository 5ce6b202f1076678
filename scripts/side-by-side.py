#!/usr/bin/env python3
"""Times one `rvmmu run` workload on rvmmu and on qemu-system-riscv64 (the same kernel,
initramfs, command line, RAM and swap disk), interleaved, for docs/PERFORMANCE.md.

    scripts/side-by-side.py [--rounds N] -- RUN-OPTIONS... PROGRAM [ARGS...]

e.g. `scripts/side-by-side.py -- --mem 2G --swap 4G target/.../notes/touch_4x1g`.
A run ends when the machine powers off, or when the program first waits for console
input: the kernel's `dump_proc` option prints a marker then, and the run is stopped there
(on QEMU a serial console has no end of input to give it). Prints wall-clock seconds per
round and the medians.
"""
import os, shutil, signal, statistics, subprocess, sys, tempfile, time

MARK = b"--- dump_proc"


def timed(cmd):
    """Seconds from start until the machine ends or the marker appears; the output's tail."""
    t, out, _ = timed_full(cmd)
    return t, out.strip().splitlines()[-3:]


def timed_full(cmd, stdin=subprocess.PIPE, stop=signal.SIGKILL):
    """Seconds from start until the machine ends or the marker appears, the whole output
    (stdout and stderr, as text), and the exit status (None when stopped at the marker).
    By default the command's stdin is a pipe that stays open with nothing in it (a console
    that is never typed on). At the marker the command's process group gets `stop` (rvmmu
    ends a run cleanly on SIGTERM, writing its statistics). scripts/real-bench.py uses it
    too."""
    t0 = time.monotonic()
    p = subprocess.Popen(cmd, stdin=stdin, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                         start_new_session=True)
    out = b""
    while True:
        chunk = p.stdout.read1(65536)
        if not chunk:
            break
        out += chunk
        if MARK in out:
            break
    t = time.monotonic() - t0
    marked = MARK in out
    if not marked:
        # The output ended: the machine is ending by itself, so its status is its own.
        p.stdout.close()
        status = p.wait()
    try:
        os.killpg(p.pid, stop if marked else signal.SIGKILL)
    except ProcessLookupError:
        pass
    if marked:
        p.wait()
        status = None
    return t, out.decode(errors="replace"), status


def main():
    args = sys.argv[1:]
    rounds = 3
    if args[:1] == ["--rounds"]:
        rounds, args = int(args[1]), args[2:]
    if args[:1] == ["--"]:
        args = args[1:]
    rvmmu = os.environ.get("RVMMU", "target/release/rvmmu")
    run = [rvmmu, "run", "--append", "dump_proc"] + args
    d = tempfile.mkdtemp(prefix="side-by-side-")
    try:
        line = subprocess.run(run[:2] + ["--qemu-files", d] + run[2:], check=True,
                              capture_output=True, text=True).stdout.strip()
        qemu = ["sh", "-c", "exec " + line]
        times = {"rvmmu": [], "qemu": []}
        for r in range(rounds):
            for name, cmd in (("rvmmu", run), ("qemu", qemu)):
                t, tail = timed(cmd)
                times[name].append(t)
                print(f"round {r + 1} {name:5}: {t:7.2f} s   ({tail[-1] if tail else ''})", flush=True)
        m = {k: statistics.median(v) for k, v in times.items()}
        print(f"median: rvmmu {m['rvmmu']:.2f} s, qemu {m['qemu']:.2f} s, "
              f"ratio {m['rvmmu'] / m['qemu']:.2f}")
    finally:
        shutil.rmtree(d, ignore_errors=True)


if __name__ == "__main__":
    main()
