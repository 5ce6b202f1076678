//! Reading a static RISC-V ELF64 executable (ET_EXEC): its entry and its program headers.
//! Every field is checked against the file's size; a bad file is an error, not a panic.

/// Why a file cannot be run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ElfError {
    NotElf,
    /// Not ELF64, little-endian, RISC-V, ET_EXEC.
    Unsupported(&'static str),
    /// A header or segment lies outside the file, or a segment is malformed.
    Malformed(&'static str),
}

/// `PT_LOAD`.
pub const PT_LOAD: u32 = 1;
/// `PT_PHDR`.
pub const PT_PHDR: u32 = 6;
/// Segment permission bits (p_flags).
pub const PF_X: u32 = 1;
pub const PF_W: u32 = 2;
pub const PF_R: u32 = 4;
/// Size of an ELF64 program header.
pub const PHENT: usize = 56;

/// One program header.
#[derive(Clone, Copy, Debug)]
pub struct Segment {
    pub kind: u32,
    pub flags: u32,
    pub offset: u64,
    pub vaddr: u64,
    pub filesz: u64,
    pub memsz: u64,
}

/// A checked executable.
pub struct Elf<'a> {
    pub data: &'a [u8],
    pub entry: u64,
    pub phoff: u64,
    pub phnum: usize,
}

fn u16_at(d: &[u8], o: usize) -> u16 {
    u16::from_le_bytes([d[o], d[o + 1]])
}
fn u32_at(d: &[u8], o: usize) -> u32 {
    u32::from_le_bytes([d[o], d[o + 1], d[o + 2], d[o + 3]])
}
fn u64_at(d: &[u8], o: usize) -> u64 {
    u64::from(u32_at(d, o)) | (u64::from(u32_at(d, o + 4)) << 32)
}

impl<'a> Elf<'a> {
    /// Checks the header and the program-header table.
    pub fn parse(data: &'a [u8]) -> Result<Elf<'a>, ElfError> {
        if data.len() < 64 || &data[..4] != b"\x7fELF" {
            return Err(ElfError::NotElf);
        }
        if data[4] != 2 || data[5] != 1 {
            return Err(ElfError::Unsupported("not ELF64 little-endian"));
        }
        if u16_at(data, 18) != 243 {
            return Err(ElfError::Unsupported("not RISC-V"));
        }
        if u16_at(data, 16) != 2 {
            return Err(ElfError::Unsupported("not ET_EXEC"));
        }
        let phoff = u64_at(data, 32);
        let phnum = u16_at(data, 56) as usize;
        if u16_at(data, 54) as usize != PHENT {
            return Err(ElfError::Malformed("program header size"));
        }
        let end = phoff
            .checked_add((phnum * PHENT) as u64)
            .ok_or(ElfError::Malformed("program headers"))?;
        if end > data.len() as u64 {
            return Err(ElfError::Malformed("program headers past the end"));
        }
        let elf = Elf {
            data,
            entry: u64_at(data, 24),
            phoff,
            phnum,
        };
        for s in elf.segments().filter(|s| s.kind == PT_LOAD) {
            let file_end = s.offset.checked_add(s.filesz);
            if s.filesz > s.memsz || file_end.is_none_or(|e| e > data.len() as u64) {
                return Err(ElfError::Malformed("PT_LOAD outside the file"));
            }
            if s.vaddr.checked_add(s.memsz).is_none() {
                return Err(ElfError::Malformed("PT_LOAD wraps"));
            }
        }
        Ok(elf)
    }

    /// The program headers.
    pub fn segments(&self) -> impl Iterator<Item = Segment> + '_ {
        (0..self.phnum).map(move |i| {
            let o = self.phoff as usize + i * PHENT;
            let d = self.data;
            Segment {
                kind: u32_at(d, o),
                flags: u32_at(d, o + 4),
                offset: u64_at(d, o + 8),
                vaddr: u64_at(d, o + 16),
                filesz: u64_at(d, o + 32),
                memsz: u64_at(d, o + 40),
            }
        })
    }

    /// The user address of the program headers (AT_PHDR): PT_PHDR's, or where a PT_LOAD
    /// maps the file offset e_phoff.
    pub fn phdr_vaddr(&self) -> Option<u64> {
        if let Some(p) = self.segments().find(|s| s.kind == PT_PHDR) {
            return Some(p.vaddr);
        }
        self.segments()
            .find(|s| {
                s.kind == PT_LOAD && s.offset <= self.phoff && self.phoff < s.offset + s.filesz
            })
            .map(|s| s.vaddr + (self.phoff - s.offset))
    }
}
