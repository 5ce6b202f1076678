//! Reading a static RISC-V ELF64 executable: its entry and its program headers. Every field
//! is checked against the file's size; a bad file is an error, not a panic.
//!
//! ET_EXEC runs where it is linked. A static-pie (ET_DYN without PT_INTERP: it relocates
//! itself) is placed as Linux 6.1's load_elf_binary places an ET_DYN without interpreter,
//! that is as a loader such as ld.so run directly: with no fixed address, in the mmap
//! region, so top-down right below mmap_base in the fresh address space (ELF_ET_DYN_BASE,
//! 2/3 of TASK_SIZE, is where Linux 6.1 puts PIE programs *with* an interpreter, which
//! need ld.so and are refused here). The bias moves every segment, the entry and AT_PHDR;
//! AT_BASE stays 0 (no interpreter). [`Loaded`] keeps what exec laid out, for /proc.

/// Why a file cannot be run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ElfError {
    NotElf,
    /// Not ELF64, little-endian, RISC-V, ET_EXEC or a static ET_DYN.
    Unsupported(&'static str),
    /// A header or segment lies outside the file, or a segment is malformed.
    Malformed(&'static str),
}

/// `PT_LOAD`.
pub const PT_LOAD: u32 = 1;
/// `PT_INTERP`.
pub const PT_INTERP: u32 = 3;
/// `PT_PHDR`.
pub const PT_PHDR: u32 = 6;
/// e_type values.
const ET_EXEC: u16 = 2;
const ET_DYN: u16 = 3;
/// Linux's minimum gap between the top of the user half and mmap_base (mmap_base() clamps
/// the stack's 8 MiB + guard gap up to 128 MiB); syscall/mm.rs's MMAP_GAP is the same rule.
const MMAP_GAP: u64 = 128 << 20;
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
    /// The entry point, biased once [`Elf::place`] has run.
    pub entry: u64,
    pub phoff: u64,
    pub phnum: usize,
    /// ET_DYN (position-independent).
    pub pie: bool,
    /// What [`Elf::place`] added to every address (0 for ET_EXEC).
    pub bias: u64,
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
        let pie = match u16_at(data, 16) {
            ET_EXEC => false,
            ET_DYN => true,
            _ => return Err(ElfError::Unsupported("not ET_EXEC or ET_DYN")),
        };
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
            pie,
            bias: 0,
        };
        if elf.segments().any(|s| s.kind == PT_INTERP) {
            return Err(ElfError::Unsupported("dynamically linked (PT_INTERP)"));
        }
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
                vaddr: u64_at(d, o + 16).wrapping_add(self.bias),
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

impl Elf<'_> {
    /// Chooses the load bias for a user half ending at `user_end`: none for ET_EXEC; for
    /// ET_DYN, the span of the PT_LOADs (from the first one's page) right below mmap_base,
    /// where a top-down mmap of that size lands in an empty address space. Moves the entry
    /// and what [`Elf::segments`] reports. A span too large for the user half stays
    /// unbiased (exec then refuses its segments).
    pub fn place(&mut self, user_end: u64) {
        if !self.pie || self.bias != 0 {
            return;
        }
        // The span from the lowest segment's page to the highest end (Linux takes the first
        // PT_LOAD's, the lowest in a valid file, where they are sorted by address).
        let loads = || self.segments().filter(|s| s.kind == PT_LOAD && s.memsz > 0);
        let Some(low) = loads().map(|s| s.vaddr & !(PAGE - 1)).min() else {
            return;
        };
        // (parse checked that no segment wraps)
        let high = loads().map(|s| s.vaddr + s.memsz).max().unwrap_or(low);
        let Some(span) = (high - low).checked_next_multiple_of(PAGE) else {
            return;
        };
        let Some(at) = (user_end - MMAP_GAP).checked_sub(span) else {
            return;
        };
        // Every segment lands in [at, at + span): the sum wraps only where the subtraction
        // below did.
        self.bias = at.wrapping_sub(low);
        self.entry = self.entry.wrapping_add(self.bias);
    }
}

const PAGE: u64 = 4096;

/// What exec laid out in a new address space (Linux's mm_struct fields of the same names),
/// for /proc/PID/stat, statm and cmdline. Addresses are user virtual addresses.
#[derive(Clone, Copy, Debug, Default)]
pub struct Loaded {
    /// The executable segments' lowest start and highest file end.
    pub start_code: u64,
    pub end_code: u64,
    /// The highest segment start and file end (binfmt_elf's rule).
    pub start_data: u64,
    pub end_data: u64,
    /// The initial stack pointer (argc's address).
    pub start_stack: u64,
    /// The argument and environment strings: `[arg_start, arg_end)`, `[env_start,
    /// env_end)`, each string with its NUL.
    pub arg_start: u64,
    pub arg_end: u64,
    pub env_start: u64,
    pub env_end: u64,
    /// When exec ran, in nanoseconds since boot (stat's starttime).
    pub start_ns: u64,
}

impl Loaded {
    /// The layout exec made for `elf` (placed) with the strings of `argv` and `envp` right
    /// below the `execfn` string at the stack's `top` (exec.rs's build_stack), and `sp`.
    pub fn new(
        elf: &Elf<'_>,
        top: u64,
        sp: u64,
        argv: &[&str],
        envp: &[&str],
        execfn: &str,
    ) -> Loaded {
        let mut l = Loaded {
            start_code: u64::MAX,
            start_stack: sp,
            start_ns: crate::time::now_ns(),
            ..Loaded::default()
        };
        for s in elf.segments().filter(|s| s.kind == PT_LOAD) {
            let file_end = s.vaddr.saturating_add(s.filesz);
            if s.flags & PF_X != 0 {
                l.start_code = l.start_code.min(s.vaddr);
                l.end_code = l.end_code.max(file_end);
            }
            l.start_data = l.start_data.max(s.vaddr);
            l.end_data = l.end_data.max(file_end);
        }
        if l.start_code == u64::MAX {
            l.start_code = 0;
        }
        let strings = |v: &[&str]| v.iter().map(|s| s.len() as u64 + 1).sum::<u64>();
        l.env_end = top.saturating_sub(execfn.len() as u64 + 1);
        l.env_start = l.env_end.saturating_sub(strings(envp));
        l.arg_end = l.env_start;
        l.arg_start = l.arg_end.saturating_sub(strings(argv));
        l
    }
}
