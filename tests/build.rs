//! Builds the bare-metal ISA test programs in `bare/` into RISC-V ELF files.
//!
//! Every `bare/*.S` and `bare/*.c` becomes `$OUT_DIR/bare/<name>.elf`, linked
//! with the shared runtime in `bare/common/` at 0x8000_0000. The list of built
//! programs is written to `$OUT_DIR/bare_tests.rs` (included by `src/lib.rs`).
//! The cross compiler is `riscv64-unknown-elf-gcc` (override with `RISCV_GCC`).

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

    let mut programs: Vec<(String, PathBuf)> = fs::read_dir(&bare)
        .expect("read bare/")
        .map(|e| e.expect("dir entry").path())
        .filter(|p| {
            p.is_file() && matches!(p.extension().and_then(|e| e.to_str()), Some("S" | "c"))
        })
        .map(|p| (p.file_stem().unwrap().to_string_lossy().into_owned(), p))
        .collect();
    programs.sort();
    for (_, src) in &programs {
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
    let mut list = String::new();
    for (name, src) in &programs {
        let elf = elf_dir.join(format!("{name}.elf"));
        compile(&gcc, &bare, name, src, &elf);
        writeln!(list, "    ({name:?}, {:?}),", elf.display().to_string()).unwrap();
    }

    let mut generated = String::new();
    generated
        .push_str("/// Bare-metal test programs built by build.rs: (name, path of the ELF).\n");
    generated.push_str("pub const BARE_TESTS: &[(&str, &str)] = &[\n");
    generated.push_str(&list);
    generated.push_str("];\n\n");
    generated.push_str(
        "/// Invokes `$m!(name)` once per bare-metal test program (names are identifiers).\n\
         #[macro_export]\n\
         macro_rules! for_each_bare_test {\n    ($m:ident) => {\n",
    );
    for (name, _) in &programs {
        writeln!(generated, "        $m!({name});").unwrap();
    }
    generated.push_str("    };\n}\n");
    fs::write(out_dir.join("bare_tests.rs"), generated).expect("write bare_tests.rs");
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
