//! `rvmmu bare`: a bare-metal ELF, loaded at its physical addresses and started in M-mode.

use super::machine::MachineArgs;
use clap::Args;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Args)]
pub struct BareArgs {
    #[command(flatten)]
    pub machine: MachineArgs,
    /// The program.
    pub elf: PathBuf,
}

pub fn run(a: BareArgs) -> Result<ExitCode, String> {
    a.machine.check()?;
    let bytes = super::read_file(&a.elf)?;
    let mut m = a.machine.machine(String::new(), None)?;
    m.load_elf(&bytes)
        .map_err(|e| format!("{}: {e}", a.elf.display()))?;
    let exit = a.machine.run(&mut m)?;
    Ok(ExitCode::from(exit.status() as u8))
}
