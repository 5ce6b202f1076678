//! Builds the bare-metal ISA test programs in `bare/` into RISC-V ELF files.
//!
//! Every `bare/*.S` and `bare/*.c` becomes `$OUT_DIR/bare/<name>.elf`, linked
//! with the shared runtime in `bare/common/` at 0x8000_0000; so does every
//! `bare/mmu/*.{S,c}` (the MMU programs; headers there are shared by them).
//! The lists of built programs (`BARE_TESTS`, `MMU_TESTS`) and the macros
//! `for_each_bare_test!` / `for_each_mmu_test!` are written to
//! `$OUT_DIR/bare_tests.rs` (included by `src/lib.rs`).
//! The cross compiler is `riscv64-unknown-elf-gcc` (override with `RISCV_GCC`).
//!
//! It also builds the guest Linux programs in `../programs/` with `riscv64-linux-gnu-gcc
//! -static` (override with `LINUX_GCC`) into `$OUT_DIR/programs/<dir>/<name>`, listed in
//! `LINUX_PROGRAMS` as ("dir/name", path): `programs/notes/` holds the notes' programs,
//! byte for byte, compiled as the notes compile them (no optimisation: `-O0`) with `-w` so that their warnings (pointers printed with `%x`,
//! `getpid` undeclared) do not need the sources changed; the project's own programs are
//! compiled with `-Wall -Werror`. `programs/musl/` and `programs/seg/` (the programs that
//! run segmented, all static-pies) are built against musl instead, with
//! `zig cc -target riscv64-linux-musl -static` (zig 0.13 from PyPI's `ziglang`, run as
//! `python3 -m ziglang`; override the command with `ZIG`). A source containing
//! `rvmmu-build: static-pie` is linked as a static-pie (ET_DYN without interpreter):
//! `-static -fPIE -pie` with zig for musl; `-static-pie` with gcc, which Debian's riscv64
//! glibc 2.36 cannot link (it ships no rcrt1.o), so such programs live in `programs/musl/`.

use std::env;
use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{exit, Command};

const COMMON_SOURCES: &[&str] = &["common/crt0.S", "common/runtime.c"];

fn main() {
    let manifest_dir =
        PathBuf::from(env::var_os("CARGO_MANIFEST_DIR").expect("CARGO_MANIFEST_DIR"));
    let out_dir = PathBuf::from(env::var_os("OUT_DIR").expect("OUT_DIR"));
    let bare = manifest_dir.join("bare");
    let elf_dir = out_dir.join("bare");

    println!("cargo:rerun-if-env-changed=RISCV_GCC");
    println!("cargo:rerun-if-changed={}", bare.display());
    println!("cargo:rerun-if-changed={}", bare.join("common").display());
    for entry in fs::read_dir(bare.join("common")).expect("read bare/common") {
        let path = entry.expect("dir entry").path();
        println!("cargo:rerun-if-changed={}", path.display());
    }

    let programs = sources_in(&bare);
    let mmu_programs = sources_in(&bare.join("mmu"));
    println!("cargo:rerun-if-changed={}", bare.join("mmu").display());
    for entry in fs::read_dir(bare.join("mmu")).expect("read bare/mmu") {
        let path = entry.expect("dir entry").path();
        println!("cargo:rerun-if-changed={}", path.display());
    }
    for (_, src) in programs.iter().chain(&mmu_programs) {
        println!("cargo:rerun-if-changed={}", src.display());
    }

    let gcc = env::var("RISCV_GCC").unwrap_or_else(|_| "riscv64-unknown-elf-gcc".to_string());
    if Command::new(&gcc).arg("--version").output().is_err() {
        eprintln!(
            "error: `{gcc}` not found: install the Debian package gcc-riscv64-unknown-elf \
             (apt-get install gcc-riscv64-unknown-elf) to build the bare-metal tests"
        );
        exit(1);
    }

    fs::create_dir_all(&elf_dir).expect("create $OUT_DIR/bare");
    let mut generated = String::new();
    generate(
        &mut generated,
        &gcc,
        &bare,
        &elf_dir,
        &programs,
        "BARE_TESTS",
        "for_each_bare_test",
        "Bare-metal ISA test programs",
    );
    generate(
        &mut generated,
        &gcc,
        &bare,
        &elf_dir,
        &mmu_programs,
        "MMU_TESTS",
        "for_each_mmu_test",
        "Bare-metal MMU test programs (`bare/mmu/`)",
    );
    linux_programs(&mut generated, &manifest_dir.join("../programs"), &out_dir);
    fs::write(out_dir.join("bare_tests.rs"), generated).expect("write bare_tests.rs");
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

/// Builds every `programs/<dir>/*.c` as a static riscv64 Linux executable and appends
/// `LINUX_PROGRAMS` to `generated`.
fn linux_programs(generated: &mut String, programs: &Path, out_dir: &Path) {
    println!("cargo:rerun-if-env-changed=LINUX_GCC");
    println!("cargo:rerun-if-env-changed=ZIG");
    println!("cargo:rerun-if-changed={}", programs.display());
    let mut dirs: Vec<PathBuf> = fs::read_dir(programs)
        .map(|rd| rd.filter_map(|e| e.ok().map(|e| e.path())).collect())
        .unwrap_or_default();
    dirs.retain(|d| d.is_dir());
    dirs.sort();
    let mut list = String::new();
    for dir in dirs {
        println!("cargo:rerun-if-changed={}", dir.display());
        let dir_name = dir.file_name().unwrap().to_string_lossy().into_owned();
        let notes = dir_name == "notes";
        let out = out_dir.join("programs").join(&dir_name);
        fs::create_dir_all(&out).expect("create $OUT_DIR/programs");
        if dir_name == "corpus" {
            corpus_programs(&mut list, &dir, &out);
            continue;
        }
        for (name, src) in sources_in(&dir) {
            if src.extension().and_then(|e| e.to_str()) != Some("c") {
                continue;
            }
            println!("cargo:rerun-if-changed={}", src.display());
            let exe = out.join(&name);
            // programs/seg/ (the segmented-mode programs) are musl static-pies too.
            let musl = dir_name == "musl" || dir_name == "seg";
            let mut cmd = linux_cc(musl);
            let pie = fs::read_to_string(&src).is_ok_and(|t| t.contains("rvmmu-build: static-pie"));
            match (pie, musl) {
                (true, true) => cmd.args(["-static", "-fPIE", "-pie"]),
                (true, false) => cmd.arg("-static-pie"),
                (false, _) => cmd.arg("-static"),
            };
            if notes {
                // As the notes build them: plain gcc, no optimisation (at -O2 GCC deletes
                // swap_32g's malloc and memset, whose memory is never read).
                cmd.args(["-O0", "-g", "-w"]);
            } else {
                cmd.args(["-O2", "-g", "-Wall", "-Werror"]);
            }
            cmd.arg(&src).arg("-o").arg(&exe);
            let key = format!("{dir_name}/{name}");
            run_or_exit(cmd, &key);
            list_program(&mut list, &key, &exe);
            if dir_name == "stress" {
                stress_musl_variants(&mut list, &src, &out, &name);
            }
        }
    }
    generated.push_str(
        "/// Static riscv64 Linux programs built from `programs/`: (\"dir/name\", path).\n",
    );
    generated.push_str("pub const LINUX_PROGRAMS: &[(&str, &str)] = &[\n");
    generated.push_str(&list);
    generated.push_str("];\n");
}

/// `programs/stress/` runs under both C libraries: besides NAME (glibc, built like the
/// others), NAME.musl (`zig cc -static`) and NAME.musl-pie (`-static -fPIE -pie`), listed in
/// `list` as "stress/NAME.musl" and "stress/NAME.musl-pie".
fn stress_musl_variants(list: &mut String, src: &Path, out: &Path, name: &str) {
    for (suffix, pie) in [("musl", false), ("musl-pie", true)] {
        let exe = out.join(format!("{name}.{suffix}"));
        let mut cmd = zig_cc();
        if pie {
            cmd.args(["-static", "-fPIE", "-pie"]);
        } else {
            cmd.arg("-static");
        }
        cmd.args(["-O2", "-g", "-Wall", "-Werror"]);
        cmd.arg(src).arg("-o").arg(&exe);
        let key = format!("stress/{name}.{suffix}");
        run_or_exit(cmd, &key);
        list_program(list, &key, &exe);
    }
}

/// The pinned npm package whose tarball carries SQLite's "autoconf" source release (the
/// amalgamation sqlite3.c and the shell's shell.c, SQLite 3.44.2), and that release's name.
const SQLITE_NPM: &str = "sqlite3@5.1.7";
const SQLITE_AUTOCONF: &str = "sqlite-autoconf-3440200";

/// SQLite's source directory: `CORPUS_SQLITE_DIR` when set, else unpacked into `out` from
/// the npm package [`SQLITE_NPM`] (`npm pack` downloads it through npm's cache and checks
/// its integrity against the registry), once.
fn sqlite_source(out: &Path) -> Result<PathBuf, String> {
    println!("cargo:rerun-if-env-changed=CORPUS_SQLITE_DIR");
    if let Some(dir) = env::var_os("CORPUS_SQLITE_DIR") {
        return Ok(PathBuf::from(dir));
    }
    let root = out.join("src");
    let dir = root.join(SQLITE_AUTOCONF);
    if dir.join("shell.c").exists() && dir.join("sqlite3.c").exists() {
        return Ok(dir);
    }
    fs::create_dir_all(&root).map_err(|e| e.to_string())?;
    let run = |cmd: &mut Command| -> Result<(), String> {
        let o = cmd.output().map_err(|e| format!("{cmd:?}: {e}"))?;
        if o.status.success() {
            Ok(())
        } else {
            Err(format!("{cmd:?}: {}", String::from_utf8_lossy(&o.stderr)))
        }
    };
    run(Command::new("npm")
        .args(["pack", "--silent", SQLITE_NPM, "--pack-destination"])
        .arg(&root))?;
    let tgz = root.join(format!("{}.tgz", SQLITE_NPM.replace('@', "-")));
    let inner = format!("package/deps/{SQLITE_AUTOCONF}.tar.gz");
    run(Command::new("tar")
        .arg("xzf")
        .arg(&tgz)
        .arg("-C")
        .arg(&root)
        .arg(&inner))?;
    run(Command::new("tar")
        .arg("xzf")
        .arg(root.join(&inner))
        .arg("-C")
        .arg(&root))?;
    Ok(dir)
}

/// Runs `cmd`, exiting the build with its output when it fails.
fn run_or_exit(mut cmd: Command, what: &str) {
    let output = cmd.output().unwrap_or_else(|e| {
        eprintln!(
            "error: running {cmd:?}: {e}: scripts/setup.sh installs the compilers \
             (gcc-riscv64-linux-gnu, and ziglang from PyPI for the musl builds)"
        );
        exit(1)
    });
    if !output.status.success() {
        eprintln!("error: building {what} failed: {cmd:?}");
        eprintln!("{}", String::from_utf8_lossy(&output.stderr));
        exit(1);
    }
}

/// The compiler for a static riscv64 Linux program: `zig cc` for musl, else
/// `riscv64-linux-gnu-gcc` (or `LINUX_GCC`) for glibc.
fn linux_cc(musl: bool) -> Command {
    if musl {
        zig_cc()
    } else {
        Command::new(env::var("LINUX_GCC").unwrap_or_else(|_| "riscv64-linux-gnu-gcc".into()))
    }
}

/// Adds the built program `exe` to `list` (`LINUX_PROGRAMS`) as `key` ("dir/name").
fn list_program(list: &mut String, key: &str, exe: &Path) {
    writeln!(list, "    ({key:?}, {:?}),", exe.display().to_string()).unwrap();
}

/// A tag naming a source directory and the flags its objects are compiled with (FNV-1a
/// of both), so that objects kept in OUT_DIR are rebuilt when either changes.
fn objects_tag(sources: &Path, flags: &[&str]) -> u64 {
    let key = format!("{}{flags:?}", sources.display());
    key.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3)
    })
}

/// The object file `obj`, compiled by `compile` (given the path to write) only when it is
/// missing, under a temporary name renamed once complete: a build stopped halfway leaves
/// no truncated object behind.
fn cached_object(obj: PathBuf, what: &str, compile: impl FnOnce(&Path) -> Command) -> PathBuf {
    if !obj.exists() {
        let tmp = obj.with_extension("o.tmp");
        run_or_exit(compile(&tmp), what);
        fs::rename(&tmp, &obj).expect("rename an object file");
    }
    obj
}

/// `programs/corpus/`: real programs from elsewhere, built from sources a package registry
/// supplies ([`sqlite_source`], [`lua_source`], [`bzip2_source`]): SQLite's own shell (shell.c) as
/// `corpus/sqlite3`, and `sqlite_run.c` (a small front end of ours) as `corpus/sqlite_run`;
/// Lua 5.4's library with `lua_run.c` (our stand-alone interpreter) as `corpus/lua_run`;
/// bzip2's own program as `corpus/bzip2` with `bzip2_pipe.c` ([`bzip2_programs`]); each for
/// glibc and for musl (`.musl`). sqlite3.c takes half a minute or more to compile, so its object files
/// are kept in OUT_DIR and compiled again only when missing. When the sources cannot be had
/// (no registry), the programs are left out with a warning, and the tests that need them
/// fail.
fn corpus_programs(list: &mut String, corpus: &Path, out: &Path) {
    sqlite_programs(list, corpus, out);
    lua_programs(list, corpus, out);
    bzip2_programs(list, corpus, out);
}

/// SQLite's shell and `sqlite_run.c` (see [`corpus_programs`]).
fn sqlite_programs(list: &mut String, corpus: &Path, out: &Path) {
    let sqlite = match sqlite_source(out) {
        Ok(dir) => dir,
        Err(e) => {
            println!("cargo:warning=corpus: no SQLite sources ({e}); corpus/ is not built");
            return;
        }
    };
    let amalgamation = sqlite.join("sqlite3.c");
    // Threads, extensions loaded with dlopen, and temporary files are not needed: the
    // database is in memory, and the initramfs cannot be written.
    let defines = [
        "-DSQLITE_THREADSAFE=0",
        "-DSQLITE_OMIT_LOAD_EXTENSION",
        "-DSQLITE_TEMP_STORE=3",
    ];
    let driver = corpus.join("sqlite_run.c");
    println!("cargo:rerun-if-changed={}", driver.display());
    // Objects keyed by the source's path (which names the release) and the flags.
    let tag = objects_tag(&amalgamation, &defines);
    for musl in [false, true] {
        let suffix = if musl { ".musl" } else { "" };
        let cc = || linux_cc(musl);
        let object = |name: &str, src: &Path| {
            cached_object(
                out.join(format!("{name}-{tag:016x}{suffix}.o")),
                name,
                |tmp| {
                    let mut cmd = cc();
                    cmd.args(["-c", "-O2", "-w"]).args(defines);
                    cmd.arg(format!("-I{}", sqlite.display()));
                    cmd.arg(src).arg("-o").arg(tmp);
                    cmd
                },
            )
        };
        let lib = object("sqlite3", &amalgamation);
        let shell = object("shell", &sqlite.join("shell.c"));
        for (name, main, warnings) in [("sqlite3", &shell, false), ("sqlite_run", &driver, true)] {
            let exe = out.join(format!("{name}{suffix}"));
            let mut cmd = cc();
            cmd.args(["-static", "-O2", "-g"]);
            if warnings {
                cmd.args(["-Wall", "-Werror"]);
            }
            cmd.arg(format!("-I{}", sqlite.display()))
                .arg(main)
                .arg(&lib)
                .arg("-o")
                .arg(&exe)
                .arg("-lm");
            run_or_exit(cmd, name);
            list_program(list, &format!("corpus/{name}{suffix}"), &exe);
        }
    }
}

/// The crates.io crate carrying Lua's sources (lua-src 551.1.0 vendors Lua 5.1.5, 5.2.4,
/// 5.3.6, 5.4.9 and 5.5.1: each release's library, without the stand-alone lua.c), and the
/// directory of the release built here.
const LUA_CRATE: &str = "lua-src";
const LUA_CRATE_VERSION: &str = "551.1.0";
const LUA_RELEASE_DIR: &str = "lua-5.4.9";

/// Lua's source directory: `CORPUS_LUA_DIR` when set, else the release inside the crate
/// [`LUA_CRATE`] as cargo gets it ([`crate_source`]).
fn lua_source(out: &Path) -> Result<PathBuf, String> {
    println!("cargo:rerun-if-env-changed=CORPUS_LUA_DIR");
    if let Some(dir) = env::var_os("CORPUS_LUA_DIR") {
        return Ok(PathBuf::from(dir));
    }
    let dir = crate_source(out, LUA_CRATE, LUA_CRATE_VERSION)?.join(LUA_RELEASE_DIR);
    if dir.join("lua.h").exists() {
        Ok(dir)
    } else {
        Err(format!("{} has no lua.h", dir.display()))
    }
}

/// The directory of the crates.io crate `name` at exactly `version`, as cargo gets it: a
/// manifest in `out` depends on that version, and `cargo metadata` on it downloads the
/// crate into cargo's registry cache (checked against the index's checksum), unpacks it,
/// and names where its manifest is.
fn crate_source(out: &Path, name: &str, version: &str) -> Result<PathBuf, String> {
    let fetch = out.join(format!("fetch-{name}"));
    fs::create_dir_all(fetch.join("src")).map_err(|e| e.to_string())?;
    let manifest = fetch.join("Cargo.toml");
    // `[workspace]`: OUT_DIR lies inside this workspace's directory, but this is no member.
    let text = format!(
        "[package]\nname = \"rvmmu-corpus-fetch\"\nversion = \"0.0.0\"\nedition = \"2021\"\n\n\
         [dependencies]\n{name} = \"={version}\"\n\n[workspace]\n"
    );
    fs::write(&manifest, text).map_err(|e| e.to_string())?;
    fs::write(fetch.join("src/lib.rs"), "").map_err(|e| e.to_string())?;
    let cargo = env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut cmd = Command::new(cargo);
    cmd.args(["metadata", "--format-version", "1", "--manifest-path"])
        .arg(&manifest);
    let o = cmd.output().map_err(|e| format!("{cmd:?}: {e}"))?;
    if !o.status.success() {
        return Err(format!("{cmd:?}: {}", String::from_utf8_lossy(&o.stderr)));
    }
    let json = String::from_utf8_lossy(&o.stdout);
    let wanted = format!("/{name}-{version}/Cargo.toml");
    let key = "\"manifest_path\":\"";
    let crate_manifest = json
        .match_indices(key)
        .map(|(i, _)| &json[i + key.len()..])
        .filter_map(|rest| rest.split('"').next())
        .find(|path| path.replace('\\', "/").ends_with(&wanted))
        .ok_or_else(|| format!("cargo metadata names no {wanted}"))?;
    Ok(Path::new(crate_manifest).parent().unwrap().to_path_buf())
}

/// The crates.io crate carrying bzip2 1.0.8's sources, the library and the bzip2.c
/// command-line program both (bzip2-sys builds only the library), and their directory in it.
const BZIP2_CRATE: &str = "bzip2-sys";
const BZIP2_CRATE_VERSION: &str = "0.1.13+1.0.8";
const BZIP2_DIR: &str = "bzip2-1.0.8";

/// bzip2's source directory: `CORPUS_BZIP2_DIR` when set, else in [`BZIP2_CRATE`].
fn bzip2_source(out: &Path) -> Result<PathBuf, String> {
    println!("cargo:rerun-if-env-changed=CORPUS_BZIP2_DIR");
    if let Some(dir) = env::var_os("CORPUS_BZIP2_DIR") {
        return Ok(PathBuf::from(dir));
    }
    let dir = crate_source(out, BZIP2_CRATE, BZIP2_CRATE_VERSION)?.join(BZIP2_DIR);
    if dir.join("bzip2.c").exists() {
        Ok(dir)
    } else {
        Err(format!("{} has no bzip2.c", dir.display()))
    }
}

/// bzip2 1.0.8 ([`bzip2_source`]): its command-line program bzip2.c with the library as
/// `corpus/bzip2`, and `bzip2_pipe.c` (ours: pipes the program into itself) as
/// `corpus/bzip2_pipe`, each for glibc and musl (`.musl`). Small: compiled every build.
fn bzip2_programs(list: &mut String, corpus: &Path, out: &Path) {
    let bz = match bzip2_source(out) {
        Ok(dir) => dir,
        Err(e) => {
            println!("cargo:warning=corpus: no bzip2 sources ({e}); corpus/bzip2 is not built");
            return;
        }
    };
    let library = [
        "blocksort.c",
        "huffman.c",
        "crctable.c",
        "randtable.c",
        "compress.c",
        "decompress.c",
        "bzlib.c",
    ];
    let driver = corpus.join("bzip2_pipe.c");
    println!("cargo:rerun-if-changed={}", driver.display());
    for musl in [false, true] {
        let suffix = if musl { ".musl" } else { "" };
        let cc = || linux_cc(musl);
        // As bzip2's Makefile: -D_FILE_OFFSET_BITS=64; its warnings are not ours (-w).
        let exe = out.join(format!("bzip2{suffix}"));
        let mut cmd = cc();
        cmd.args(["-static", "-O2", "-g", "-w", "-D_FILE_OFFSET_BITS=64"]);
        cmd.arg(bz.join("bzip2.c"));
        for f in library {
            cmd.arg(bz.join(f));
        }
        cmd.arg("-o").arg(&exe);
        run_or_exit(cmd, "bzip2");
        let pipe = out.join(format!("bzip2_pipe{suffix}"));
        let mut cmd = cc();
        cmd.args(["-static", "-O2", "-g", "-Wall", "-Werror"])
            .arg(&driver)
            .arg("-o")
            .arg(&pipe);
        run_or_exit(cmd, "bzip2_pipe");
        for (name, path) in [("bzip2", &exe), ("bzip2_pipe", &pipe)] {
            list_program(list, &format!("corpus/{name}{suffix}"), path);
        }
    }
}

/// Lua 5.4 ([`lua_source`]): every C file of the release (the library: core, auxiliary
/// library, standard libraries) compiled once per OUT_DIR, C library and flags, and linked
/// with `lua_run.c` into `corpus/lua_run` (glibc) and `corpus/lua_run.musl`.
/// `LUA_USE_POSIX` (mkstemp, popen, ...) without `LUA_USE_DLOPEN` or readline, which
/// `LUA_USE_LINUX` would bring and a static program cannot use.
fn lua_programs(list: &mut String, corpus: &Path, out: &Path) {
    let lua = match lua_source(out) {
        Ok(dir) => dir,
        Err(e) => {
            println!("cargo:warning=corpus: no Lua sources ({e}); corpus/lua_run is not built");
            return;
        }
    };
    let defines = ["-DLUA_USE_POSIX"];
    let driver = corpus.join("lua_run.c");
    println!("cargo:rerun-if-changed={}", driver.display());
    let mut sources: Vec<PathBuf> = fs::read_dir(&lua)
        .map(|rd| rd.filter_map(|e| e.ok().map(|e| e.path())).collect())
        .unwrap_or_default();
    sources.retain(|p| p.extension().and_then(|e| e.to_str()) == Some("c"));
    sources.sort();
    let tag = objects_tag(&lua, &defines);
    for musl in [false, true] {
        let suffix = if musl { ".musl" } else { "" };
        let cc = || linux_cc(musl);
        // One directory of objects per source, C library and flags; an object is compiled
        // when missing (under a temporary name, renamed once complete).
        let objs = out.join(format!("lua-{tag:016x}{suffix}"));
        fs::create_dir_all(&objs).expect("create the Lua objects' directory");
        let mut objects = Vec::new();
        for src in &sources {
            let obj = objs.join(src.file_stem().unwrap()).with_extension("o");
            objects.push(cached_object(obj, "Lua's library", |tmp| {
                let mut cmd = cc();
                cmd.args(["-c", "-O2", "-w"]).args(defines);
                cmd.arg(src).arg("-o").arg(tmp);
                cmd
            }));
        }
        let exe = out.join(format!("lua_run{suffix}"));
        let mut cmd = cc();
        cmd.args(["-static", "-O2", "-g", "-Wall", "-Werror"])
            .args(defines)
            .arg(format!("-I{}", lua.display()))
            .arg(&driver)
            .args(&objects)
            .arg("-o")
            .arg(&exe)
            .arg("-lm");
        run_or_exit(cmd, "lua_run");
        list_program(list, &format!("corpus/lua_run{suffix}"), &exe);
    }
}

/// The `*.S` / `*.c` files directly in `dir`, as (name, path), sorted.
fn sources_in(dir: &Path) -> Vec<(String, PathBuf)> {
    let mut programs: Vec<(String, PathBuf)> = fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("read {}: {e}", dir.display()))
        .map(|e| e.expect("dir entry").path())
        .filter(|p| {
            p.is_file() && matches!(p.extension().and_then(|e| e.to_str()), Some("S" | "c"))
        })
        .map(|p| (p.file_stem().unwrap().to_string_lossy().into_owned(), p))
        .collect();
    programs.sort();
    programs
}

/// Builds `programs` and appends the list constant `list_name` and the macro
/// `macro_name` (invoking `$m!(name)` once per program) to `generated`.
#[allow(clippy::too_many_arguments)]
fn generate(
    generated: &mut String,
    gcc: &str,
    bare: &Path,
    elf_dir: &Path,
    programs: &[(String, PathBuf)],
    list_name: &str,
    macro_name: &str,
    what: &str,
) {
    let mut list = String::new();
    for (name, src) in programs {
        let elf = elf_dir.join(format!("{name}.elf"));
        compile(gcc, bare, name, src, &elf);
        writeln!(list, "    ({name:?}, {:?}),", elf.display().to_string()).unwrap();
    }
    writeln!(
        generated,
        "/// {what} built by build.rs: (name, path of the ELF)."
    )
    .unwrap();
    writeln!(generated, "pub const {list_name}: &[(&str, &str)] = &[").unwrap();
    generated.push_str(&list);
    generated.push_str("];\n\n");
    writeln!(
        generated,
        "/// Invokes `$m!(name)` once per program of [`{list_name}`] (names are identifiers)."
    )
    .unwrap();
    writeln!(
        generated,
        "#[macro_export]\nmacro_rules! {macro_name} {{\n    ($m:ident) => {{"
    )
    .unwrap();
    for (name, _) in programs {
        writeln!(generated, "        $m!({name});").unwrap();
    }
    generated.push_str("    };\n}\n\n");
}

fn compile(gcc: &str, bare: &Path, name: &str, src: &Path, elf: &Path) {
    let common = bare.join("common");
    let mut cmd = Command::new(gcc);
    cmd.args([
        "-march=rv64gc",
        "-mabi=lp64d",
        "-mcmodel=medany",
        "-nostdlib",
        "-nostartfiles",
        "-static",
        "-ffreestanding",
        "-fno-builtin",
        "-O2",
        "-Wall",
        "-Wl,--no-warn-rwx-segments",
    ]);
    cmd.arg(format!("-I{}", common.display()));
    cmd.arg(format!("-DTEST_NAME_STR=\"{name}\""));
    cmd.arg("-T").arg(common.join("link.ld"));
    for s in COMMON_SOURCES {
        cmd.arg(bare.join(s));
    }
    cmd.arg(src).arg("-o").arg(elf);
    let output = cmd.output().unwrap_or_else(|e| {
        eprintln!("error: running {gcc}: {e}");
        exit(1)
    });
    if !output.status.success() {
        eprintln!("error: building bare test {name} failed: {cmd:?}");
        eprintln!("{}", String::from_utf8_lossy(&output.stderr));
        exit(1);
    }
}
