#!/usr/bin/env python3
"""Real programs on three machines, side by side: rvmmu's kernel on rvmmu (`rvmmu run`), the
same kernel on qemu-system-riscv64 (`-machine virt`, the kernel, initramfs, command line, RAM
and swap disk that `rvmmu run --qemu-files` writes), and the same static binary with the same
arguments under qemu-riscv64 (user mode, the host's Linux kernel). Rounds are interleaved
(rvmmu, qemu-system, qemu-user, then again), and each workload's table row gives the median
wall-clock seconds of each, the ratios rvmmu/qemu-system and rvmmu/qemu-user, and rvmmu's
guest instruction count and speed (instructions / rvmmu's median wall time, boot included).

    scripts/real-bench.py [--rounds N] [--only NAME[,NAME...]] [--sql-rows N] [--forks N]
                          [--alloc-rounds N] [--rvmmu-arg ARG]... [--no-check]

Workloads (names for --only):
  sqlite      SQLite 3.44.2's shell on programs/corpus/bench.sql, an in-memory database of
              --sql-rows employees (default 50000; the file's own default is 200000)
  forkexec    programs/stress/forkexec.c: --forks iterations (default 300) of fork, execve
              of itself in its child role, wait
  alloc       programs/stress/alloc_stress.c (glibc malloc/calloc/realloc/free), --alloc-rounds
              rounds (default 2000), seed 1, blocks up to 2 MiB
  touch_4x1g  programs/notes/touch_4x1g.c with --mem 2G --swap 4G on the kernels (qemu-user
              touches 4 GiB of host memory). The program ends by waiting for a key: on the
              kernels the run is timed until then (the kernel's `dump_proc` word prints a
              marker when it waits, as scripts/side-by-side.py does); under qemu-user its
              stdin is /dev/null. Its output holds heap addresses, which differ between the
              machines, so only the line count is compared.

Where the programs find their input: on both kernels every file is in the initramfs (`rvmmu
run --file HOST:GUEST`, so bench.sql is /bench.sql); under qemu-user the program opens the
host path itself. Under qemu-user forkexec's children run as `qemu-riscv64 forkexec --child
I` (forkexec's RUNNER argument): this host has no binfmt_misc entry for riscv64, and that
is what one would start.

The programs are built here with riscv64-linux-gnu-gcc -static (as tests/build.rs does);
SQLite's shell is the one tests/build.rs built (`cargo build -p rvmmu-tests --tests`), or
$SQLITE3. rvmmu is $RVMMU (default target/release/rvmmu). Each run's output is checked:
every line qemu-user prints must appear, in order, in what the two kernels print, and every
run must exit 0 (--no-check skips the comparison). rvmmu's instruction count comes from
`--stats-format json --stats-out` in each timed rvmmu run (its cost is in rvmmu's time);
for a run stopped at the marker, rvmmu gets SIGTERM there, ends the run and writes its
statistics, so the count runs a little past the marker (it then differs between rounds;
the largest is shown).
"""
import argparse, glob, importlib.util, json, os, shutil, signal, statistics, subprocess, sys, tempfile, time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
_spec = importlib.util.spec_from_file_location("side_by_side", os.path.join(ROOT, "scripts", "side-by-side.py"))
side_by_side = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(side_by_side)

GCC = os.environ.get("LINUX_GCC", "riscv64-linux-gnu-gcc")


def die(msg):
    print(f"real-bench: {msg}", file=sys.stderr)
    sys.exit(2)


def need(tool, why):
    path = shutil.which(tool)
    if not path:
        die(f"{tool} is not installed ({why}); scripts/setup.sh installs it")
    return path


def build(src, out, flags):
    cmd = [GCC, "-static"] + flags + [os.path.join(ROOT, src), "-o", out]
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode != 0:
        die(f"cannot build {src}: {' '.join(cmd)}\n{r.stderr}")
    return out


def sqlite_shell():
    """The SQLite shell tests/build.rs built (the newest), or $SQLITE3."""
    if os.environ.get("SQLITE3"):
        return os.environ["SQLITE3"]
    found = glob.glob(os.path.join(ROOT, "target", "*", "build", "rvmmu-tests-*", "out", "programs",
                                   "corpus", "sqlite3"))
    if not found:
        die("no SQLite shell: build it with `cargo build -p rvmmu-tests --tests` "
            "(tests/build.rs) or give its path in $SQLITE3")
    return max(found, key=os.path.getmtime)


def workloads(a, tmp):
    """name: (rvmmu run options, program, kernel arguments, qemu-user arguments)."""
    w = {}
    sql = os.path.join(ROOT, "programs", "corpus", "bench.sql")
    scale = f"CREATE TABLE scale(n INTEGER); INSERT INTO scale VALUES({a.sql_rows});"
    w["sqlite"] = (["--mem", "1G", "--file", f"{sql}:/bench.sql"], sqlite_shell,
                   [":memory:", scale, ".read /bench.sql"], [":memory:", scale, f".read {sql}"])
    w["forkexec"] = (["--mem", "256M"],
                     lambda: build("programs/stress/forkexec.c", os.path.join(tmp, "forkexec"),
                                   ["-O2", "-Wall", "-Werror"]),
                     [str(a.forks)], [str(a.forks), shutil.which("qemu-riscv64")])
    alloc_args = [str(a.alloc_rounds), "1", "2097152"]
    w["alloc"] = (["--mem", "1G"],
                  lambda: build("programs/stress/alloc_stress.c", os.path.join(tmp, "alloc_stress"),
                                ["-O2", "-Wall", "-Werror"]),
                  alloc_args, alloc_args)
    # As the notes (and emu/build.rs for /bin) build it: no optimisation.
    w["touch_4x1g"] = (["--mem", "2G", "--swap", "4G", "--append", "dump_proc"],
                       lambda: build("programs/notes/touch_4x1g.c", os.path.join(tmp, "touch_4x1g"),
                                     ["-O0", "-g", "-w"]),
                       [], [])
    return w


def lines(text):
    return [l.strip() for l in text.replace("\r", "").splitlines() if l.strip()]


def in_order(want, got):
    """Whether every line of `want` appears in `got`, in the same order."""
    it = iter(got)
    return all(any(w == g for g in it) for w in want)


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--only", default="sqlite,forkexec,alloc,touch_4x1g")
    p.add_argument("--sql-rows", type=int, default=50000)
    p.add_argument("--forks", type=int, default=300)
    p.add_argument("--alloc-rounds", type=int, default=2000)
    p.add_argument("--rvmmu-arg", action="append", default=[],
                   help="an extra `rvmmu run` option for the timed rvmmu runs (e.g. --rvmmu-arg=--tlb=1024x8)")
    p.add_argument("--no-check", action="store_true")
    a = p.parse_args()
    need("qemu-system-riscv64", "the same kernel on QEMU's virt machine")
    need("qemu-riscv64", "the same program on QEMU's user mode")
    need(GCC, "it builds the programs")
    rvmmu = os.environ.get("RVMMU", os.path.join(ROOT, "target", "release", "rvmmu"))
    if not os.access(rvmmu, os.X_OK):
        die(f"{rvmmu} is not there: cargo build --release -p rvmmu")
    tmp = tempfile.mkdtemp(prefix="real-bench-")
    try:
        all_w = workloads(a, tmp)
        names = a.only.split(",")
        for n in names:
            if n not in all_w:
                die(f"no workload {n} (there are: {', '.join(all_w)})")
        print(f"# {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, host {os.uname().nodename}, "
              f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f}; "
              f"{a.rounds} rounds; rvmmu {rvmmu} {' '.join(a.rvmmu_arg)}", flush=True)
        rows = []
        for name in names:
            opts, program, kargs, uargs = all_w[name]
            waits = "dump_proc" in opts
            prog = program()
            qdir = os.path.join(tmp, "qemu-" + name)
            line = subprocess.run([rvmmu, "run", "--qemu-files", qdir] + opts + ["--", prog] + kargs,
                                  check=True, capture_output=True, text=True).stdout.strip()
            stats = os.path.join(tmp, "stats.json")
            cmds = {
                "rvmmu": [rvmmu, "run", "--stats-format", "json", "--stats-out", stats] + a.rvmmu_arg
                         + opts + ["--", prog] + kargs,
                "qemu-system": ["sh", "-c", "exec " + line],
                "qemu-user": ["qemu-riscv64", prog] + uargs,
            }
            times = {k: [] for k in cmds}
            insns = set()
            for r in range(a.rounds):
                outs = {}
                for who, cmd in cmds.items():
                    t, out, status = side_by_side.timed_full(
                        cmd, subprocess.DEVNULL if who == "qemu-user" else subprocess.PIPE,
                        signal.SIGTERM if who == "rvmmu" else signal.SIGKILL)
                    # None: stopped at the marker of a program waiting for console input.
                    if status not in (0, None if waits else 0):
                        die(f"{name} on {who} exited {status}:\n{out[-2000:]}")
                    times[who].append(t)
                    outs[who] = out
                    extra = ""
                    if who == "rvmmu":
                        with open(stats) as f:
                            insns.add(json.load(f)["machine"]["instructions"])
                        extra = f", {max(insns)} instructions"
                    print(f"{name} round {r + 1} {who:11}: {t:8.2f} s{extra}", flush=True)
                want = lines(outs["qemu-user"])
                for who in ("rvmmu", "qemu-system"):
                    got = lines(outs[who].split(side_by_side.MARK.decode())[0])
                    same = len(got) >= len(want) if waits else in_order(want, got)
                    if not a.no_check and not same:
                        die(f"{name}: {who} did not print what qemu-user printed\n"
                            f"--- qemu-user\n{outs['qemu-user'][-1500:]}\n--- {who}\n{outs[who][-1500:]}")
            m = {k: statistics.median(v) for k, v in times.items()}
            n = max(insns)
            if len(insns) > 1:
                print(f"{name}: rvmmu's instruction counts differ between rounds: {sorted(insns)}")
            rows.append((name, m, n))
        print()
        print(f"{'workload':11} {'rvmmu s':>9} {'qemu-sys s':>10} {'qemu-user s':>11} "
              f"{'/qemu-sys':>9} {'/qemu-user':>10} {'rvmmu insns':>14} {'MIPS':>7}")
        for name, m, n in rows:
            print(f"{name:11} {m['rvmmu']:9.2f} {m['qemu-system']:10.2f} {m['qemu-user']:11.2f} "
                  f"{m['rvmmu'] / m['qemu-system']:9.2f} {m['rvmmu'] / m['qemu-user']:10.2f} "
                  f"{n:14,d} {n / m['rvmmu'] / 1e6:7.1f}")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
