//! `rvmmu bare`: a bare-metal ELF, loaded at its physical addresses and started in M-mode.

use super::machine::MachineArgs;
use clap::Args;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Args)]
pub struct BareArgs {
    #[command(flatten)]
    pub machine: MachineArgs,
    /// Attach FILE (read-write, as it is) as a virtio-blk disk in virtio-mmio slot 7
    /// (0x1000_8000, PLIC source 8).
    #[arg(long, value_name = "FILE")]
    pub drive: Option<PathBuf>,
    /// Print the page tables satp points at when the run ends (walked as the hardware would).
    #[arg(long)]
    pub dump_pt: bool,
    /// The program.
    pub elf: PathBuf,
}

pub fn run(a: BareArgs) -> Result<ExitCode, String> {
    a.machine.check(a.dump_pt)?;
    let disk = match &a.drive {
        Some(p) => Some(rvmmu::disk::open(p).map_err(|e| e.to_string())?),
        None => None,
    };
    let bytes = super::read_file(&a.elf)?;
    let mut m = a.machine.machine(String::new(), None, disk, None)?;
    m.load_elf(&bytes)
        .map_err(|e| format!("{}: {e}", a.elf.display()))?;
    let exit = a.machine.run(&mut m, a.dump_pt, &[], None, None)?;
    Ok(ExitCode::from(exit.status() as u8))
}
