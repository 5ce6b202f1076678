//! ELF loading for bare-metal runs: checks that the file is a RISC-V 64-bit executable and
//! copies its PT_LOAD segments into guest RAM at their physical addresses.
//!
//! Used by [`crate::machine::Machine::load_elf`]. Errors are for the user: each says what is
//! wrong with the file in one line.

use crate::addr::PhysAddr;
use crate::bus::Ram;
use goblin::elf::{header, program_header::PT_LOAD, Elf};
use thiserror::Error;

/// Why an ELF file cannot be run.
#[derive(Debug, Error)]
pub enum LoadError {
    #[error("not an ELF file")]
    NotElf,
    #[error("malformed ELF file: {0}")]
    Malformed(String),
    #[error("ELF file is {0}-bit; rvmmu runs 64-bit RISC-V (ELFCLASS64)")]
    WrongClass(u8),
    #[error("ELF file is big-endian; RISC-V is little-endian")]
    BigEndian,
    #[error("ELF file is for machine {name} ({machine}), not RISC-V (243)")]
    WrongMachine { machine: u16, name: &'static str },
    #[error("ELF file is not an executable (e_type {0})")]
    NotExecutable(u16),
    #[error(
        "segment {start}..{end} lies outside RAM ({ram_start}..{ram_end}); try a larger --mem"
    )]
    OutsideRam {
        start: PhysAddr,
        end: PhysAddr,
        ram_start: PhysAddr,
        ram_end: PhysAddr,
    },
    #[error("ELF file has no loadable segment")]
    NoSegments,
}

/// What loading produced.
#[derive(Clone, Debug)]
pub struct Loaded {
    pub entry: u64,
    /// Address of the HTIF `tohost` symbol, when the program has one.
    pub tohost: Option<u64>,
    /// Loaded ranges (start, end), physical.
    pub segments: Vec<(u64, u64)>,
}

/// Parses and checks `bytes`, without loading.
pub fn parse(bytes: &[u8]) -> Result<Elf<'_>, LoadError> {
    if bytes.len() < 4 || &bytes[..4] != b"\x7fELF" {
        return Err(LoadError::NotElf);
    }
    if bytes.len() > 5 {
        if bytes[4] != header::ELFCLASS64 {
            return Err(LoadError::WrongClass(if bytes[4] == header::ELFCLASS32 {
                32
            } else {
                0
            }));
        }
        if bytes[5] != header::ELFDATA2LSB {
            return Err(LoadError::BigEndian);
        }
    }
    if bytes.len() < 64 {
        return Err(LoadError::Malformed(format!(
            "file ends after {} bytes, inside the 64-byte ELF header",
            bytes.len()
        )));
    }
    let elf = Elf::parse(bytes).map_err(|e| LoadError::Malformed(e.to_string()))?;
    if elf.header.e_machine != header::EM_RISCV {
        let m = elf.header.e_machine;
        return Err(LoadError::WrongMachine {
            machine: m,
            name: header::machine_to_str(m),
        });
    }
    if !matches!(elf.header.e_type, header::ET_EXEC | header::ET_DYN) {
        return Err(LoadError::NotExecutable(elf.header.e_type));
    }
    Ok(elf)
}

/// Loads the segments of a bare-metal program into `ram` at their physical addresses
/// (p_paddr, as `qemu-system-riscv64 -kernel` does), zero-filling each segment's tail.
pub fn load_bare(bytes: &[u8], ram: &mut Ram) -> Result<Loaded, LoadError> {
    let elf = parse(bytes)?;
    let (ram_start, ram_end) = (ram.base(), ram.base() + ram.size());
    let mut segments = Vec::new();
    for ph in elf
        .program_headers
        .iter()
        .filter(|p| p.p_type == PT_LOAD && p.p_memsz > 0)
    {
        let start = ph.p_paddr;
        let end = start
            .checked_add(ph.p_memsz)
            .ok_or_else(|| LoadError::Malformed("segment size overflows".into()))?;
        if start < ram_start || end > ram_end {
            return Err(LoadError::OutsideRam {
                start: PhysAddr(start),
                end: PhysAddr(end),
                ram_start: PhysAddr(ram_start),
                ram_end: PhysAddr(ram_end),
            });
        }
        let off = ph.p_offset as usize;
        let file = bytes
            .get(off..off.saturating_add(ph.p_filesz as usize))
            .filter(|_| ph.p_filesz <= ph.p_memsz)
            .ok_or_else(|| LoadError::Malformed("segment data lies outside the file".into()))?;
        let oob = |_| LoadError::Malformed("segment outside RAM".into());
        ram.write_bytes(PhysAddr(start), file).map_err(oob)?;
        let zeros = vec![0u8; (ph.p_memsz - ph.p_filesz) as usize];
        ram.write_bytes(PhysAddr(start + ph.p_filesz), &zeros)
            .map_err(oob)?;
        segments.push((start, end));
    }
    if segments.is_empty() {
        return Err(LoadError::NoSegments);
    }
    let tohost = elf
        .syms
        .iter()
        .find(|s| elf.strtab.get_at(s.st_name) == Some("tohost"))
        .map(|s| s.st_value);
    Ok(Loaded {
        entry: elf.entry,
        tohost,
        segments,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rejects_what_is_not_a_riscv64_elf() {
        assert!(matches!(parse(b"hello"), Err(LoadError::NotElf)));
        let mut h = b"\x7fELF\x01\x01\x01".to_vec();
        h.resize(64, 0);
        assert!(matches!(parse(&h), Err(LoadError::WrongClass(32))));
        h[4] = 2;
        h[5] = 2;
        assert!(matches!(parse(&h), Err(LoadError::BigEndian)));
        h[5] = 1;
        assert!(matches!(
            parse(&h),
            Err(LoadError::Malformed(_) | LoadError::WrongMachine { .. })
        ));
    }

    #[test]
    fn the_host_binary_is_refused_as_the_wrong_machine() {
        let me = std::fs::read(std::env::current_exe().unwrap()).unwrap();
        assert!(matches!(
            parse(&me),
            Err(LoadError::WrongMachine { machine: 62, .. })
        ));
    }
}
