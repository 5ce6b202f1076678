#!/usr/bin/env bash
# Installs what building and testing rvmmu needs on a Debian machine that has rustup:
# the Rust toolchain named in rust-toolchain.toml (with the riscv64 target), and the Debian
# packages below. Installs only what is missing; safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."

# command -> Debian package
declare -A NEED=(
  [riscv64-unknown-elf-gcc]=gcc-riscv64-unknown-elf    # bare-metal test programs
  [riscv64-linux-gnu-gcc]=gcc-riscv64-linux-gnu        # Linux guest programs
  [qemu-system-riscv64]=qemu-system-misc               # reference machine for bare-metal runs
  [qemu-riscv64]=qemu-user                             # reference for Linux programs
  [cmake]=cmake                                        # builds Berkeley SoftFloat (softfloat-sys)
  [riscv64-unknown-elf-objdump]=binutils-riscv64-unknown-elf  # the disassembler cross-check
  [cc]=gcc                                             # host builds of programs/tests (host_linux.rs)
  [npm]=npm                                            # fetches SQLite's sources (programs/corpus)
  [strace]=strace                                      # reference for the syscall decoder (strace_host.rs)
  [ps]=procps                                          # references of programs/bin's tools (tools_host.rs)
  [sar]=sysstat                                        # reference of programs/bin/sar.c
  [dash]=dash                                          # reference of programs/bin/sh.c (shell.rs)
)
missing=()
for cmd in "${!NEED[@]}"; do
  command -v "$cmd" >/dev/null 2>&1 || missing+=("${NEED[$cmd]}")
done
# util-linux's mkswap formats the swap disks the tests hand the kernel (it lives in /sbin,
# which a user's PATH may not hold).
command -v mkswap >/dev/null 2>&1 || [ -x /sbin/mkswap ] || [ -x /usr/sbin/mkswap ] \
  || missing+=(util-linux)
# The riscv64 glibc the static guest programs link against: only a Recommends of
# gcc-riscv64-linux-gnu, which installs without it where Recommends are off.
[ -f /usr/riscv64-linux-gnu/lib/libc.a ] || missing+=(libc6-dev-riscv64-cross)
# The host's C library headers, for the host builds of programs/tests.
[ -f /usr/include/stdio.h ] || missing+=(libc6-dev)

SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
apt_updated=""
# apt-get install, after one apt-get update (a fresh machine's package lists may be empty
# or stale).
apt_install() {
  echo "setup: installing $*" >&2
  if [ -z "$apt_updated" ]; then
    $SUDO apt-get update -qq
    apt_updated=1
  fi
  $SUDO apt-get install -y -qq "$@" >/dev/null
}
if [ ${#missing[@]} -gt 0 ]; then
  apt_install "${missing[@]}"
fi

# The toolchain, its components and the riscv64 target, as rust-toolchain.toml names them
# (rustup does not always install them on its own, e.g. with RUSTUP_AUTO_INSTALL=0).
rustup toolchain install >/dev/null 2>&1 || rustup show active-toolchain >/dev/null

# zig 0.13 from PyPI (the `ziglang` package) builds the musl guest programs
# (`zig cc -target riscv64-linux-musl -static`; see programs/README.md).
if ! python3 -m ziglang version >/dev/null 2>&1; then
  echo "setup: installing ziglang 0.13.0 from PyPI" >&2
  if ! python3 -m pip --version >/dev/null 2>&1; then
    apt_install python3-pip
  fi
  # Debian's own Python refuses installs outside a virtual environment (PEP 668) unless told.
  python3 -m pip install -q ziglang==0.13.0 2>/dev/null \
    || python3 -m pip install -q --break-system-packages ziglang==0.13.0
fi
