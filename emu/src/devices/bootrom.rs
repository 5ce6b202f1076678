//! The boot ROM at 0x1000 (QEMU `virt`'s "mrom", 0x11000 bytes) holding the reset vector.
//!
//! Used by [`crate::bus`]: `Bus::boot` fills it with [`reset_vector`], and the hart, which
//! starts at pc 0x1000 in M-mode, fetches it through the bus. The code has the shape of QEMU's
//! reset vector for `-bios none -kernel` (same six instructions, same data layout at +0x18 and
//! +0x20, compared word by word with QEMU 7.2's ROM):
//!
//! ```text
//! 0x1000  auipc t0, 0           t0 = 0x1000
//! 0x1004  li    a2, 0           QEMU: addi a2, t0, 40 (a pointer to OpenSBI's
//!                               fw_dynamic_info); there is no firmware here, so 0
//! 0x1008  csrr  a0, mhartid
//! 0x100c  ld    a1, 32(t0)      the device tree's address
//! 0x1010  ld    t0, 24(t0)      the entry point
//! 0x1014  jr    t0
//! 0x1018  .dword entry
//! 0x1020  .dword fdt_addr
//! ```
//!
//! Reads of any width and alignment inside the window are served like memory (unwritten bytes
//! read 0). Writes fault: the ROM is read-only. (QEMU 7.2 silently ignores them instead; a
//! fault makes a stray write visible.)

use super::DeviceFault;

/// Size of the ROM window.
pub const ROM_SIZE: u64 = 0x11000;

/// The ROM contents (only the written prefix is stored).
#[derive(Debug, Default)]
pub struct BootRom {
    bytes: Vec<u8>,
}

/// Instruction words of the reset vector.
pub const RESET_VECTOR_CODE: [u32; 6] = [
    0x0000_0297, // auipc t0, 0
    0x0000_0613, // addi  a2, zero, 0
    0xf140_2573, // csrrs a0, mhartid, zero
    0x0202_b583, // ld    a1, 32(t0)
    0x0182_b283, // ld    t0, 24(t0)
    0x0002_8067, // jalr  zero, 0(t0)
];

/// The reset vector that enters `entry` with a0 = mhartid, a1 = `fdt_addr`, a2 = 0.
pub fn reset_vector(entry: u64, fdt_addr: u64) -> Vec<u8> {
    let mut v: Vec<u8> = RESET_VECTOR_CODE
        .iter()
        .flat_map(|w| w.to_le_bytes())
        .collect();
    v.extend_from_slice(&entry.to_le_bytes());
    v.extend_from_slice(&fdt_addr.to_le_bytes());
    v
}

impl BootRom {
    pub fn new() -> BootRom {
        BootRom::default()
    }

    /// Replaces the contents (at most [`ROM_SIZE`] bytes are kept).
    pub fn load(&mut self, image: &[u8]) {
        self.bytes = image[..image.len().min(ROM_SIZE as usize)].to_vec();
    }

    pub fn read(&self, offset: u64, size: u8) -> Result<u64, DeviceFault> {
        let s = u64::from(size);
        if s == 0 || s > 8 || offset >= ROM_SIZE || s > ROM_SIZE - offset {
            return Err(DeviceFault::BadSize { offset, size });
        }
        let mut b = [0u8; 8];
        for (i, out) in b.iter_mut().take(size as usize).enumerate() {
            *out = self.bytes.get(offset as usize + i).copied().unwrap_or(0);
        }
        Ok(u64::from_le_bytes(b))
    }

    pub fn write(&mut self, offset: u64, _size: u8, _val: u64) -> Result<(), DeviceFault> {
        Err(DeviceFault::ReadOnly(offset))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn opcode(w: u32) -> u32 {
        w & 0x7f
    }
    fn rd(w: u32) -> u32 {
        (w >> 7) & 0x1f
    }
    fn rs1(w: u32) -> u32 {
        (w >> 15) & 0x1f
    }
    fn funct3(w: u32) -> u32 {
        (w >> 12) & 7
    }
    fn imm_i(w: u32) -> i32 {
        (w as i32) >> 20
    }

    const T0: u32 = 5;
    const A0: u32 = 10;
    const A1: u32 = 11;
    const A2: u32 = 12;

    /// Decodes the words field by field (checked once against `objdump -m riscv:rv64` too).
    #[test]
    fn reset_vector_decodes_to_the_intended_instructions() {
        let [auipc, li, csrr, ld_fdt, ld_entry, jr] = RESET_VECTOR_CODE;
        assert_eq!((opcode(auipc), rd(auipc), auipc >> 12), (0x17, T0, 0));
        assert_eq!(
            (opcode(li), funct3(li), rd(li), rs1(li), imm_i(li)),
            (0x13, 0, A2, 0, 0)
        );
        // csrrs a0, 0xf14 (mhartid), x0
        assert_eq!(
            (opcode(csrr), funct3(csrr), rd(csrr), rs1(csrr)),
            (0x73, 2, A0, 0)
        );
        assert_eq!(csrr >> 20, 0xf14);
        assert_eq!((opcode(ld_fdt), funct3(ld_fdt), rd(ld_fdt)), (0x03, 3, A1));
        assert_eq!((rs1(ld_fdt), imm_i(ld_fdt)), (T0, 0x20));
        assert_eq!(
            (opcode(ld_entry), funct3(ld_entry), rd(ld_entry)),
            (0x03, 3, T0)
        );
        assert_eq!((rs1(ld_entry), imm_i(ld_entry)), (T0, 0x18));
        assert_eq!((opcode(jr), rd(jr), rs1(jr), imm_i(jr)), (0x67, 0, T0, 0));
    }

    #[test]
    fn rom_serves_the_vector_and_refuses_writes() {
        let mut rom = BootRom::new();
        rom.load(&reset_vector(0x8020_0000, 0x87e0_0000));
        assert_eq!(rom.read(0, 4), Ok(0x297));
        assert_eq!(rom.read(0x18, 8), Ok(0x8020_0000));
        assert_eq!(rom.read(0x20, 8), Ok(0x87e0_0000));
        assert_eq!(rom.read(0x1a, 2), Ok(0x8020), "unaligned reads are fine");
        assert_eq!(rom.read(0x100, 8), Ok(0), "unwritten ROM reads 0");
        assert_eq!(rom.read(ROM_SIZE - 8, 8), Ok(0));
        assert!(rom.read(ROM_SIZE - 4, 8).is_err());
        assert_eq!(rom.write(0, 4, 0), Err(DeviceFault::ReadOnly(0)));
    }
}
