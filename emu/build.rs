//! Builds the kernel (`../os`, for riscv64gc-unknown-none-elf) and hands its ELF to the
//! emulator, which embeds it (`rvmmu::kernel::EMBEDDED`) so that `rvmmu run` needs no kernel
//! path.
//!
//! The kernel is built by a nested cargo, in release mode, into its own target directory
//! (`target/os`), so it never waits on the lock of the build that runs this script. The
//! variables the outer cargo sets for build scripts that would change the nested build
//! (flags meant for the host, clippy's wrapper) are removed.
//!
//! It also builds the guest's /bin (see [`guest_bin`]): the tools `programs/bin/*.c`, the
//! notes' programs `programs/notes/*.c` and `programs/tools/procwatch.c`, static riscv64
//! Linux executables that `rvmmu run` packs into every initramfs (`rvmmu::guest_bin`); and
//! the programs that can run segmented, `programs/seg/*.c`, musl static-pies built with
//! `zig cc` (zig 0.13 from PyPI's `ziglang`, run as `python3 -m ziglang`, or `$ZIG`).
//!
//! Set `RVMMU_NO_KERNEL=1` to build the emulator without a kernel and without /bin (`rvmmu
//! run` then needs `--kernel`); where `os/` does not exist, there is nothing to embed either.

use std::env;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

const TARGET: &str = "riscv64gc-unknown-none-elf";

fn main() {
    let manifest_dir = PathBuf::from(env::var_os("CARGO_MANIFEST_DIR").expect("manifest dir"));
    let out_dir = PathBuf::from(env::var_os("OUT_DIR").expect("OUT_DIR"));
    let root = manifest_dir
        .parent()
        .expect("emu/ is in the workspace root");
    let os = root.join("os");
    let embedded = out_dir.join("kernel.elf");
    println!("cargo:rerun-if-env-changed=RVMMU_NO_KERNEL");
    println!("cargo:rerun-if-changed={}", os.display());
    println!("cargo:rustc-env=RVMMU_KERNEL_ELF={}", embedded.display());

    let skip = env::var_os("RVMMU_NO_KERNEL").is_some_and(|v| v != "0" && !v.is_empty());
    if skip || !os.join("Cargo.toml").is_file() {
        // An empty file: no kernel built in; and an empty /bin.
        fs::write(&embedded, b"").expect("write kernel.elf");
        write_bin_list(&out_dir, &[]);
        write_list(&out_dir, "bench_programs.rs", &[]);
        return;
    }
    let bin = guest_bin(root, &out_dir);
    write_bin_list(&out_dir, &bin);
    let bench = bench_programs(root, &out_dir);
    write_list(&out_dir, "bench_programs.rs", &bench);
    let elf = build_kernel(root, &os);
    fs::copy(&elf, &embedded)
        .unwrap_or_else(|e| panic!("copy {} to {}: {e}", elf.display(), embedded.display()));
}

/// Runs the nested cargo; returns the kernel ELF's path. Fails the build, with cargo's
/// output, if the kernel does not build.
fn build_kernel(root: &Path, os: &Path) -> PathBuf {
    let cargo = env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let target_dir = root.join("target").join("os");
    let mut cmd = Command::new(cargo);
    cmd.args(["build", "--release", "--target", TARGET, "--manifest-path"])
        .arg(os.join("Cargo.toml"))
        .arg("--target-dir")
        .arg(&target_dir);
    for var in [
        "RUSTFLAGS",
        "CARGO_ENCODED_RUSTFLAGS",
        "CARGO_BUILD_TARGET",
        "CARGO_TARGET_DIR",
        "RUSTC_WRAPPER",
        "RUSTC_WORKSPACE_WRAPPER",
        "CARGO_BUILD_RUSTC_WRAPPER",
        "CARGO_BUILD_RUSTC_WORKSPACE_WRAPPER",
        "CLIPPY_ARGS",
        "CLIPPY_CONF_DIR",
    ] {
        cmd.env_remove(var);
    }
    let out = cmd
        .output()
        .unwrap_or_else(|e| panic!("cannot run cargo for the kernel: {e}"));
    if !out.status.success() {
        eprintln!("{}", String::from_utf8_lossy(&out.stderr));
        panic!(
            "building the kernel (os/) for {TARGET} failed: see above. Is the target installed \
             (`rustup target add {TARGET}`, which scripts/setup.sh does)? Set RVMMU_NO_KERNEL=1 \
             to build rvmmu without its kernel."
        );
    }
    target_dir.join(TARGET).join("release").join("rvmmu-os")
}

/// The cross compiler for the guest's programs (Debian's gcc-riscv64-linux-gnu).
const GUEST_CC: &str = "riscv64-linux-gnu-gcc";

/// How a guest program of /bin is compiled.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// The project's tools: glibc, `-static -O2 -Wall -Werror`.
    Tool,
    /// The notes' programs are built as the notes build them: plain gcc, no optimisation
    /// (`-O0`; `-w` because their pointers are printed with `%x`), so that what they do
    /// in memory is what the notes describe (at -O2 GCC deletes swap_32g's memset).
    Notes,
    /// `programs/seg/`: musl static-pies (`zig cc -static -fPIE -pie`), the only kind of
    /// executable the kernel runs segmented.
    SegPie,
}

/// A guest program of /bin: its source and how it is compiled.
struct GuestProgram {
    name: String,
    src: PathBuf,
    kind: Kind,
}

/// `zig cc` for riscv64 musl: `$ZIG cc` if ZIG is set, else `python3 -m ziglang cc`.
fn zig_cc() -> Command {
    let mut cmd = match env::var("ZIG") {
        Ok(zig) => Command::new(zig),
        Err(_) => {
            let mut c = Command::new("python3");
            c.args(["-m", "ziglang"]);
            c
        }
    };
    cmd.args(["cc", "-target", "riscv64-linux-musl"]);
    cmd
}

/// The C files of `dir` (sorted), each with its rerun-if-changed line; the directory's too,
/// so that a new file reruns the build.
fn c_files(dir: &Path) -> Vec<PathBuf> {
    println!("cargo:rerun-if-changed={}", dir.display());
    let mut v: Vec<PathBuf> = fs::read_dir(dir)
        .map(|rd| rd.filter_map(|e| e.ok().map(|e| e.path())).collect())
        .unwrap_or_default();
    v.retain(|p| p.extension().is_some_and(|e| e == "c"));
    v.sort();
    for p in &v {
        println!("cargo:rerun-if-changed={}", p.display());
    }
    v
}

/// Builds /bin's programs into `$OUT_DIR/bin/` (in parallel, one compiler each; a program
/// whose executable is newer than its sources is not rebuilt) and returns their (name,
/// executable) pairs. Fails the build, naming the Debian package, without the compiler.
fn guest_bin(root: &Path, out_dir: &Path) -> Vec<(String, PathBuf)> {
    let programs = root.join("programs");
    let mut list: Vec<GuestProgram> = Vec::new();
    let mut add = |src: PathBuf, kind: Kind| {
        let name = src.file_stem().unwrap().to_string_lossy().into_owned();
        list.push(GuestProgram { name, src, kind });
    };
    for src in c_files(&programs.join("bin")) {
        add(src, Kind::Tool);
    }
    for src in c_files(&programs.join("notes")) {
        add(src, Kind::Notes);
    }
    let procwatch = programs.join("tools").join("procwatch.c");
    println!("cargo:rerun-if-changed={}", procwatch.display());
    if procwatch.is_file() {
        add(procwatch, Kind::Tool);
    }
    for src in c_files(&programs.join("seg")) {
        add(src, Kind::SegPie);
    }
    if list.is_empty() {
        return Vec::new();
    }
    let check = Command::new(GUEST_CC)
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status();
    if !check.is_ok_and(|s| s.success()) {
        panic!(
            "{GUEST_CC} is not installed: it builds the guest's /bin (programs/bin, \
             programs/notes, programs/tools/procwatch.c) that rvmmu embeds. Install the \
             Debian packages gcc-riscv64-linux-gnu and libc6-dev-riscv64-cross \
             (scripts/setup.sh does), or set RVMMU_NO_KERNEL=1 to build rvmmu without its \
             kernel and /bin."
        );
    }
    println!("cargo:rerun-if-env-changed=ZIG");
    if list.iter().any(|p| p.kind == Kind::SegPie) {
        let zig = zig_cc()
            .arg("--version")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
        if !zig.is_ok_and(|s| s.success()) {
            panic!(
                "zig is not installed: `python3 -m ziglang cc` (or `$ZIG cc`) builds the \
                 static-pie programs of the guest's /bin (programs/seg) that rvmmu embeds. \
                 Install zig 0.13 from PyPI (pip install ziglang==0.13.0; scripts/setup.sh \
                 does), or set RVMMU_NO_KERNEL=1 to build rvmmu without its kernel and /bin."
            );
        }
    }
    let dir = out_dir.join("bin");
    fs::create_dir_all(&dir).expect("create $OUT_DIR/bin");
    // Headers the tools share (programs/bin/*.h) make every tool out of date.
    let headers: Vec<PathBuf> = fs::read_dir(programs.join("bin"))
        .map(|rd| {
            rd.filter_map(|e| e.ok().map(|e| e.path()))
                .collect::<Vec<_>>()
        })
        .unwrap_or_default()
        .into_iter()
        .filter(|p| p.extension().is_some_and(|e| e == "h"))
        .collect();
    for h in &headers {
        println!("cargo:rerun-if-changed={}", h.display());
    }
    // programs/seg/ includes the TAP checker of programs/tests.
    let seg_headers = [programs.join("tests").join("check.h")];
    println!("cargo:rerun-if-changed={}", seg_headers[0].display());
    let mtime = |p: &Path| fs::metadata(p).and_then(|m| m.modified()).ok();
    // This script holds the compile flags: a change to it rebuilds every program.
    let script = root.join("emu").join("build.rs");
    let mut children: Vec<(&GuestProgram, Child)> = Vec::new();
    let mut out = Vec::new();
    for prog in &list {
        let exe = dir.join(&prog.name);
        out.push((prog.name.clone(), exe.clone()));
        let newest_src = std::iter::once(&prog.src)
            .chain(match prog.kind {
                Kind::Tool => &headers[..],
                Kind::SegPie => &seg_headers[..],
                Kind::Notes => &[][..],
            })
            .chain(std::iter::once(&script))
            .filter_map(|p| mtime(p))
            .max();
        if let (Some(built), Some(src)) = (mtime(&exe), newest_src) {
            if built > src {
                continue;
            }
        }
        let mut cmd = match prog.kind {
            Kind::SegPie => zig_cc(),
            Kind::Tool | Kind::Notes => Command::new(GUEST_CC),
        };
        match prog.kind {
            Kind::Tool => cmd.args(["-static", "-O2", "-Wall", "-Werror"]),
            Kind::Notes => cmd.args(["-static", "-O0", "-w"]),
            Kind::SegPie => cmd.args(["-static", "-fPIE", "-pie", "-O2", "-Wall", "-Werror"]),
        };
        // Sources named relative to the checkout (`__FILE__`, as in check.h's failure
        // lines): the programs, and so the initramfs, are the same bytes wherever the
        // repository lies. The kernel places frames by the initramfs's size, so a path's
        // length would otherwise show in instruction counts (docs/TUTORIAL.md's).
        cmd.arg(format!("-ffile-prefix-map={}/=", root.display()));
        // Stripped: the initramfs lives in the guest's RAM.
        cmd.arg("-s").arg(&prog.src).arg("-o").arg(&exe);
        cmd.stdout(Stdio::piped()).stderr(Stdio::piped());
        let child = cmd
            .spawn()
            .unwrap_or_else(|e| panic!("cannot run the compiler for {}: {e}", prog.name));
        children.push((prog, child));
        // At most two compilers at a time (they are short, and the machine is shared).
        if children.len() >= 2 {
            let (p, c) = children.remove(0);
            finish(p, c);
        }
    }
    for (p, c) in children {
        finish(p, c);
    }
    out
}

/// Waits for the compiler of `prog`; fails the build with its messages if it failed.
fn finish(prog: &GuestProgram, child: Child) {
    let out = child
        .wait_with_output()
        .unwrap_or_else(|e| panic!("the compiler for {}: {e}", prog.src.display()));
    if !out.status.success() {
        eprintln!("{}", String::from_utf8_lossy(&out.stderr));
        panic!("the compiler failed on {} (see above)", prog.src.display());
    }
}

/// The programs of `rvmmu bench`'s kernel workloads (`rvmmu::bench_kernel`), which are not
/// in /bin (so that every run's initramfs stays as it is): `programs/stress/forkexec.c`
/// and `programs/stress/alloc_stress.c`, built as /bin's tools are (glibc, `-static -O2
/// -Wall -Werror`, stripped), into `$OUT_DIR/bench/`. Runs after [`guest_bin`], which has
/// checked that the compiler is there.
fn bench_programs(root: &Path, out_dir: &Path) -> Vec<(String, PathBuf)> {
    let dir = out_dir.join("bench");
    fs::create_dir_all(&dir).expect("create $OUT_DIR/bench");
    let script = root.join("emu").join("build.rs");
    let mtime = |p: &Path| fs::metadata(p).and_then(|m| m.modified()).ok();
    let mut out = Vec::new();
    for name in ["forkexec", "alloc_stress"] {
        let src = root
            .join("programs")
            .join("stress")
            .join(format!("{name}.c"));
        println!("cargo:rerun-if-changed={}", src.display());
        if !src.is_file() {
            continue;
        }
        let exe = dir.join(name);
        out.push((name.to_string(), exe.clone()));
        let newest = [&src, &script].into_iter().filter_map(|p| mtime(p)).max();
        if let (Some(built), Some(newest)) = (mtime(&exe), newest) {
            if built > newest {
                continue;
            }
        }
        let status = Command::new(GUEST_CC)
            .args(["-static", "-O2", "-Wall", "-Werror"])
            .arg(format!("-ffile-prefix-map={}/=", root.display()))
            .arg("-s")
            .arg(&src)
            .arg("-o")
            .arg(&exe)
            .status()
            .unwrap_or_else(|e| panic!("cannot run the compiler for {}: {e}", src.display()));
        assert!(status.success(), "the compiler failed on {}", src.display());
    }
    out
}

/// Writes `$OUT_DIR/guest_bin.rs`: the list `rvmmu::guest_bin` includes, of (name, bytes).
fn write_bin_list(out_dir: &Path, bin: &[(String, PathBuf)]) {
    write_list(out_dir, "guest_bin.rs", bin);
}

/// Writes `$OUT_DIR/FILE`: a list of (name, bytes) for `include!`.
fn write_list(out_dir: &Path, file: &str, bin: &[(String, PathBuf)]) {
    let mut s = String::from("&[\n");
    for (name, exe) in bin {
        s.push_str(&format!(
            "    ({name:?}, include_bytes!({:?}) as &[u8]),\n",
            exe.display().to_string()
        ));
    }
    s.push_str("]\n");
    fs::write(out_dir.join(file), s).unwrap_or_else(|e| panic!("write {file}: {e}"));
}
