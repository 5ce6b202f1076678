//! The physical memory bus of the `virt`-compatible machine: RAM plus the memory-mapped
//! devices at QEMU 7.2 `-machine virt` addresses, the interrupt wiring between them, and the
//! boot-time setup (device tree, initrd, reset vector).
//!
//! The hart uses [`Bus::read`]/[`Bus::write`] for every physical access that misses its RAM
//! fast path ([`Ram::host_ptr`]), [`Bus::irq_lines`] for the `mip` bits devices drive,
//! [`Bus::timer_deadline`] and [`Bus::wait_for_input`] to idle in WFI, and the machine uses
//! [`Bus::boot`] and [`Bus::finisher_exit`].
//!
//! Memory map (an access that no entry answers is a [`BusFault`]):
//!
//! | base          | size      | what                                   | PLIC source |
//! |---------------|-----------|----------------------------------------|-------------|
//! | `0x0000_1000` | 0x11000   | boot ROM ([`crate::devices::bootrom`]) |             |
//! | `0x0010_0000` | 0x1000    | test finisher                          |             |
//! | `0x0200_0000` | 0x10000   | CLINT                                  |             |
//! | `0x0C00_0000` | 0x600000  | PLIC                                   |             |
//! | `0x1000_0000` | 8 (0x100 in the DT) | UART 16550A                  | 10          |
//! | `0x1000_1000` | 8 × 0x1000 | virtio-mmio slots (the disk in slot 7) | 1..=8       |
//! | `0x1000_9000` | 0x1000    | kernel event channel (rvmmu only, [`crate::devices::kevent`]) |   |
//! | `0x8000_0000` | `ram_size` | RAM                                   |             |
//!
//! The disk ([`BusConfig::disk`]) is a virtio-blk device in slot 7 (`0x1000_8000`, PLIC
//! source 8), the slot QEMU `virt` gives its first `-device virtio-blk-device`. A write to a
//! slot gets guest RAM with it, so that a QueueNotify is processed before the store retires;
//! the ranges the device wrote are kept for the hart ([`Bus::drain_device_writes`]).
//!
//! Widths and holes inside a device window follow QEMU 7.2 where it was cheap to check (each
//! device module says what it accepts); whatever a device refuses becomes a [`BusFault`].
//!
//! [`Bus::boot`] places the device tree and the initrd where QEMU 7.2 does for `-bios none
//! -kernel` (see [`crate::fdt::layout`]) and writes the reset vector at 0x1000, which jumps to
//! the given entry (QEMU always jumps to the start of RAM).

pub mod ram;

pub use crate::devices::console::{Console, ConsoleInput, ConsoleLog, ConsoleOutput, SharedInput};
pub use ram::{Ram, RamError, RAM_BASE};

use crate::addr::PhysAddr;
pub use crate::devices::bootrom::ROM_SIZE;
use crate::devices::bootrom::{reset_vector, BootRom};
use crate::devices::clint::{Clint, CLINT_SIZE};
use crate::devices::finisher::{Finisher, FINISHER_SIZE};
use crate::devices::kevent::{Kevent, KEVENT_SIZE};
use crate::devices::plic::{Plic, PLIC_SIZE};
use crate::devices::uart::{Uart, UART_WINDOW};
use crate::devices::virtio_blk::{VirtioBlk, FIRST_DISK_SLOT};
use crate::devices::virtio_mmio::{
    EmptySlot, Slot, Transport, VIRTIO_IRQ_BASE, VIRTIO_SLOTS, VIRTIO_SLOT_SIZE,
};
use crate::devices::virtqueue::GuestMem;
use crate::devices::DeviceFault;
use crate::fdt;
use thiserror::Error;

/// Boot ROM base (the hart's reset pc).
pub const ROM_BASE: u64 = 0x1000;
/// Test finisher base.
pub const FINISHER_BASE: u64 = 0x10_0000;
/// CLINT base.
pub const CLINT_BASE: u64 = 0x200_0000;
/// PLIC base.
pub const PLIC_BASE: u64 = 0xc00_0000;
/// UART base.
pub const UART_BASE: u64 = 0x1000_0000;
/// The UART's PLIC source.
pub const UART_IRQ: u32 = 10;
/// First virtio-mmio slot; slot `i` is at `VIRTIO_BASE + 0x1000 * i`.
pub const VIRTIO_BASE: u64 = 0x1000_1000;
/// The kernel event channel (`rvmmu,kevent`; QEMU has nothing there).
pub const KEVENT_BASE: u64 = 0x1000_9000;

/// `mip` bits the devices drive (one definition, shared with the hart).
pub use crate::isa::trap::irq::{
    MEIP as MIP_MEIP, MSIP as MIP_MSIP, MTIP as MIP_MTIP, SEIP as MIP_SEIP,
};

/// PLIC contexts of hart 0.
const CTX_M: usize = 0;
const CTX_S: usize = 1;

/// A physical access that no RAM or device answers: the hart turns it into an access fault.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BusFault;

/// Errors building the machine's bus or booting it.
#[derive(Debug, Error)]
pub enum BusError {
    #[error(transparent)]
    Ram(#[from] RamError),
    #[error(transparent)]
    Boot(#[from] fdt::LayoutError),
    #[error("cannot attach the disk: {0}")]
    Disk(std::io::Error),
}

/// How the test finisher (`sifive,test` at 0x10_0000) asked the run to end.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FinisherExit {
    Pass,
    Fail(u16),
}

/// What the bus is built from.
#[derive(Debug)]
pub struct BusConfig {
    /// RAM size in bytes (a positive multiple of 4 KiB).
    pub ram_size: u64,
    /// Kernel command line (`/chosen/bootargs`); empty for none.
    pub bootargs: String,
    /// Initial RAM disk image, placed in RAM by [`Bus::boot`].
    pub initrd: Option<Vec<u8>>,
    /// Where the UART's output goes and its input comes from.
    pub console: Console,
    /// The disk: a host file (read-write) behind a virtio-blk device in virtio-mmio slot 7
    /// (0x1000_8000, PLIC source 8), where QEMU `virt` puts its first virtio-blk-device.
    pub disk: Option<std::fs::File>,
}

impl Default for BusConfig {
    /// 128 MiB (QEMU's default), no bootargs, no initrd, stdout and no input.
    fn default() -> Self {
        BusConfig {
            ram_size: 128 << 20,
            bootargs: String::new(),
            initrd: None,
            console: Console::default(),
            disk: None,
        }
    }
}

/// Where [`Bus::boot`] put things.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BootInfo {
    /// The DTB (also in a1 at entry).
    pub fdt_addr: PhysAddr,
    /// The initrd `[start, end)`, when there is one.
    pub initrd: Option<(PhysAddr, PhysAddr)>,
}

/// The bus: RAM plus the memory-mapped devices.
pub struct Bus {
    pub ram: Ram,
    rom: BootRom,
    finisher: Finisher,
    clint: Clint,
    plic: Plic,
    uart: Uart,
    virtio: [Slot; VIRTIO_SLOTS],
    /// The kernel event channel; the machine drains its queue.
    pub kevent: Kevent,
    /// Guest RAM ranges devices wrote since the hart last looked ([`Bus::drain_device_writes`]).
    device_writes: Vec<(PhysAddr, u64)>,
    bootargs: String,
    initrd: Option<Vec<u8>>,
}

/// A decoded device access: which device and the offset inside its window.
enum Target {
    Rom(u64),
    Finisher(u64),
    Clint(u64),
    Plic(u64),
    Uart(u64),
    Virtio(usize, u64),
    Kevent(u64),
}

fn decode(a: u64) -> Option<Target> {
    let within = |base: u64, size: u64| a.wrapping_sub(base) < size;
    Some(if within(ROM_BASE, ROM_SIZE) {
        Target::Rom(a - ROM_BASE)
    } else if within(FINISHER_BASE, FINISHER_SIZE) {
        Target::Finisher(a - FINISHER_BASE)
    } else if within(CLINT_BASE, CLINT_SIZE) {
        Target::Clint(a - CLINT_BASE)
    } else if within(PLIC_BASE, PLIC_SIZE) {
        Target::Plic(a - PLIC_BASE)
    } else if within(UART_BASE, UART_WINDOW) {
        Target::Uart(a - UART_BASE)
    } else if within(VIRTIO_BASE, VIRTIO_SLOTS as u64 * VIRTIO_SLOT_SIZE) {
        let rel = a - VIRTIO_BASE;
        Target::Virtio((rel / VIRTIO_SLOT_SIZE) as usize, rel % VIRTIO_SLOT_SIZE)
    } else if within(KEVENT_BASE, KEVENT_SIZE) {
        Target::Kevent(a - KEVENT_BASE)
    } else {
        return None;
    })
}

fn fault(pa: PhysAddr, e: DeviceFault) -> BusFault {
    log::debug!("bus fault at {pa}: {e}");
    BusFault
}

impl Bus {
    pub fn new(cfg: BusConfig) -> Result<Bus, BusError> {
        let mut virtio = [(); VIRTIO_SLOTS].map(|()| Slot::Empty(EmptySlot));
        if let Some(file) = cfg.disk {
            let blk = VirtioBlk::new(file).map_err(BusError::Disk)?;
            virtio[FIRST_DISK_SLOT] = Slot::Device(Box::new(Transport::new(blk)));
        }
        Ok(Bus {
            ram: Ram::new(cfg.ram_size)?,
            rom: BootRom::new(),
            finisher: Finisher::new(),
            clint: Clint::new(),
            plic: Plic::new(),
            uart: Uart::new(cfg.console),
            virtio,
            kevent: Kevent::new(),
            device_writes: Vec::new(),
            bootargs: cfg.bootargs,
            initrd: cfg.initrd,
        })
    }

    /// Reads `size` (1, 2, 4 or 8) bytes at `pa`; `now` is the current mtime.
    pub fn read(&mut self, pa: PhysAddr, size: u8, now: u64) -> Result<u64, BusFault> {
        debug_assert!(matches!(size, 1 | 2 | 4 | 8), "bus access of {size} bytes");
        if self.ram.contains(pa, u64::from(size)) {
            let mut b = [0u8; 8];
            let r = self.ram.read_bytes(pa, &mut b[..usize::from(size)]);
            return r.map(|()| u64::from_le_bytes(b)).map_err(|_| BusFault);
        }
        let r = match decode(pa.0).ok_or(BusFault)? {
            Target::Rom(o) => self.rom.read(o, size),
            Target::Finisher(o) => self.finisher.read(o, size),
            Target::Clint(o) => self.clint.read(o, size, now),
            Target::Plic(o) => self.plic.read(o, size),
            Target::Uart(o) => {
                let r = self.uart.read(o, size);
                self.sync_irq_sources();
                r
            }
            Target::Virtio(i, o) => self.virtio[i].read(o, size),
            Target::Kevent(o) => self.kevent.read(o, size),
        };
        r.map_err(|e| fault(pa, e))
    }

    /// Writes the low `size` bytes of `val` at `pa`; `now` is the current mtime.
    pub fn write(&mut self, pa: PhysAddr, size: u8, val: u64, now: u64) -> Result<(), BusFault> {
        debug_assert!(matches!(size, 1 | 2 | 4 | 8), "bus access of {size} bytes");
        if self.ram.contains(pa, u64::from(size)) {
            let r = self
                .ram
                .write_bytes(pa, &val.to_le_bytes()[..usize::from(size)]);
            return r.map_err(|_| BusFault);
        }
        let r = match decode(pa.0).ok_or(BusFault)? {
            Target::Rom(o) => self.rom.write(o, size, val),
            Target::Finisher(o) => self.finisher.write(o, size, val),
            Target::Clint(o) => self.clint.write(o, size, val, now),
            Target::Plic(o) => self.plic.write(o, size, val),
            Target::Uart(o) => {
                let r = self.uart.write(o, size, val);
                self.sync_irq_sources();
                r
            }
            Target::Virtio(i, o) => {
                // A QueueNotify makes the device use guest RAM before the write returns.
                let mut mem = GuestMem::new(&mut self.ram, &mut self.device_writes);
                let r = self.virtio[i].write(o, size, val, &mut mem);
                let irq = VIRTIO_IRQ_BASE + i as u32;
                self.plic.set_level(irq, self.virtio[i].irq_level());
                r
            }
            Target::Kevent(o) => self.kevent.write(o, size, val, &self.ram),
        };
        r.map_err(|e| fault(pa, e))
    }

    /// Whether a device wrote guest RAM since [`Bus::drain_device_writes`] last ran.
    #[inline(always)]
    pub fn has_device_writes(&self) -> bool {
        !self.device_writes.is_empty()
    }

    /// Hands each guest RAM range a device wrote since the last call to `f` (the hart keeps
    /// its decoded-instruction cache and LR reservation coherent with them) and forgets them.
    pub fn drain_device_writes(&mut self, mut f: impl FnMut(PhysAddr, u64)) {
        for (pa, len) in self.device_writes.drain(..) {
            f(pa, len);
        }
    }

    /// Forwards device interrupt lines to the PLIC.
    fn sync_irq_sources(&mut self) {
        self.plic.set_level(UART_IRQ, self.uart.irq_level());
        for (i, slot) in self.virtio.iter().enumerate() {
            self.plic
                .set_level(VIRTIO_IRQ_BASE + i as u32, slot.irq_level());
        }
    }

    /// The mip bits the devices drive at mtime `now`: MSIP (3) from the CLINT's msip, MTIP (7)
    /// while mtime >= mtimecmp, SEIP (9) from PLIC context 1, MEIP (11) from PLIC context 0.
    pub fn irq_lines(&mut self, now: u64) -> u64 {
        self.sync_irq_sources();
        let mut mip = 0;
        if self.clint.msip() {
            mip |= MIP_MSIP;
        }
        if self.clint.mtip(now) {
            mip |= MIP_MTIP;
        }
        if self.plic.irq(CTX_S) {
            mip |= MIP_SEIP;
        }
        if self.plic.irq(CTX_M) {
            mip |= MIP_MEIP;
        }
        mip
    }

    /// The hart time (`now`) from which MTIP is high: mtimecmp adjusted for any guest write to
    /// mtime. `u64::MAX` when mtimecmp is `u64::MAX`. It can be at or before the current time:
    /// MTIP is then already high. At reset mtimecmp is 0 as on QEMU 7.2, so this is 0 until the
    /// guest programs the timer; a WFI should only sleep toward it when `mie.MTIE` is set.
    pub fn timer_deadline(&self) -> u64 {
        self.clint.deadline()
    }

    /// The guest-visible mtime at hart time `now` (for the `time` CSR).
    pub fn mtime(&self, now: u64) -> u64 {
        self.clint.mtime(now)
    }

    /// The test finisher's request, once the guest has written it.
    /// Each virtio device's `--stats` line, with its slot's address.
    pub fn device_stats(&self) -> Vec<(u64, String)> {
        self.virtio
            .iter()
            .enumerate()
            .filter_map(|(i, s)| {
                s.stats_line()
                    .map(|l| (VIRTIO_BASE + VIRTIO_SLOT_SIZE * i as u64, l))
            })
            .collect()
    }

    pub fn finisher_exit(&self) -> Option<FinisherExit> {
        self.finisher.exit()
    }

    /// Called when the hart executes WFI with no interrupt pending and no timer armed: blocks
    /// for one byte of host input and puts it in the UART's receive FIFO. True once it is
    /// there (the UART interrupt can then fire); false when no input can arrive (end of input,
    /// no input configured, UART in loopback, or its FIFO full).
    pub fn wait_for_input(&mut self) -> bool {
        let got = self.uart.wait_for_input();
        self.sync_irq_sources();
        got
    }

    /// Appends a kernel log line to the console log, if one is kept.
    pub fn console_log_line(&mut self, line: &str) {
        self.uart.log_line(line);
    }

    /// Whether a console log is kept.
    pub fn has_console_log(&self) -> bool {
        self.uart.has_log()
    }

    /// Holds the console's host input back while `on`: the UART hands over no byte and
    /// reports no end of input (the guest sees a line nobody types on). For the host's
    /// /proc requests ([`crate::snapshot::watch::proc_file`]), so that a program waiting
    /// for input is still waiting when the kernel renders its files.
    pub fn hold_console_input(&mut self, on: bool) {
        self.uart.hold_input(on);
    }

    /// Writes out buffered console output (also done on drop, at newlines and before blocking
    /// for input; call it before `process::exit`).
    pub fn flush_console(&mut self) {
        self.uart.flush();
    }

    /// Prepares RAM and ROM for a `-bios none -kernel` style boot: builds the device tree,
    /// places it and the initrd (see the module header for where), and writes the reset
    /// vector so that the hart, starting at pc 0x1000 in M-mode, enters `entry` with
    /// a0 = mhartid, a1 = the DTB address and a2 = 0.
    pub fn boot(&mut self, entry: u64) -> Result<BootInfo, BusError> {
        let initrd_len = self.initrd.as_ref().map(|d| d.len() as u64);
        let l = fdt::layout(self.ram.size(), entry, &self.bootargs, initrd_len)?;
        if let (Some((start, _)), Some(data)) = (l.initrd, &self.initrd) {
            self.ram.write_bytes(PhysAddr(start), data)?;
        }
        self.ram.write_bytes(PhysAddr(l.fdt_addr), &l.dtb)?;
        self.rom.load(&reset_vector(entry, l.fdt_addr));
        Ok(BootInfo {
            fdt_addr: PhysAddr(l.fdt_addr),
            initrd: l.initrd.map(|(s, e)| (PhysAddr(s), PhysAddr(e))),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::{Arc, Mutex};

    fn bus(ram_size: u64, input: &[u8]) -> (Bus, Arc<Mutex<Vec<u8>>>) {
        let (console, out) = Console::captured(ConsoleInput::Bytes(input.to_vec()));
        let cfg = BusConfig {
            ram_size,
            console,
            ..Default::default()
        };
        (Bus::new(cfg).unwrap(), out)
    }

    fn pa(a: u64) -> PhysAddr {
        PhysAddr(a)
    }

    #[test]
    fn ram_and_holes() {
        let (mut b, _) = bus(1 << 20, b"");
        let top = RAM_BASE + (1 << 20);
        let at = pa(RAM_BASE + 16);
        for (size, v) in [
            (1, 0xa5),
            (2, 0xbeef),
            (4, 0xdead_beef),
            (8, 0x0123_4567_89ab),
        ] {
            b.write(at, 8, 0, 0).unwrap();
            b.write(at, size, v | (0xff << 56), 0).unwrap();
            let v = if size == 8 { v | (0xff << 56) } else { v };
            assert_eq!(b.read(at, size, 0), Ok(v));
            assert_eq!(b.read(at, 8, 0), Ok(v), "only {size} bytes written");
        }
        assert_eq!(b.read(pa(top - 8), 8, 0), Ok(0));
        let holes = [
            0,
            0xfff,
            0x1_2000,
            0x20_0000,
            0xc60_0000,
            0x1000_0008,
            0x1000_a000,
            top,
        ];
        for a in holes {
            assert_eq!(b.read(pa(a), 4, 0), Err(BusFault), "{a:#x}");
            assert_eq!(b.write(pa(a), 4, 0, 0), Err(BusFault), "{a:#x}");
        }
        assert_eq!(
            b.read(pa(top - 4), 8, 0),
            Err(BusFault),
            "straddles the end of RAM"
        );
        assert_eq!(b.read(pa(VIRTIO_BASE + 0x7000), 4, 0), Ok(0x7472_6976));
    }

    #[test]
    fn boot_places_dtb_initrd_and_reset_vector_like_qemu() {
        let initrd: Vec<u8> = (0..5000u32).map(|i| i as u8).collect();
        let bootargs = "console=ttyS0".to_string();
        let cfg = BusConfig {
            bootargs,
            initrd: Some(initrd.clone()),
            ..cfg_none()
        };
        let mut b = Bus::new(cfg).unwrap();
        let entry = 0x8020_0000;
        let info = b.boot(entry).unwrap();
        assert_eq!(info.fdt_addr, pa(0x87e0_0000), "QEMU's address for 128 MiB");
        let (s, e) = info.initrd.unwrap();
        assert_eq!((s.0, e.0), (entry + (64 << 20), entry + (64 << 20) + 5000));
        let mut back = vec![0; 5000];
        b.ram.read_bytes(s, &mut back).unwrap();
        assert_eq!(back, initrd);

        let mut dtb = vec![0; 0x2000];
        b.ram.read_bytes(info.fdt_addr, &mut dtb).unwrap();
        let t = ::fdt::Fdt::new(&dtb).unwrap();
        assert_eq!(t.chosen().bootargs(), Some("console=ttyS0"));
        let chosen = t.find_node("/chosen").unwrap();
        let start = chosen.property("linux,initrd-start").unwrap().as_usize();
        assert_eq!(start, Some(s.0 as usize));

        // QEMU 7.2's ROM words, except a2 = 0 instead of a fw_dynamic_info pointer.
        let words = [
            0x297,
            0x613,
            0xf140_2573,
            0x0202_b583,
            0x0182_b283,
            0x0002_8067,
        ];
        for (i, w) in words.into_iter().enumerate() {
            assert_eq!(b.read(pa(ROM_BASE + 4 * i as u64), 4, 0), Ok(w));
        }
        assert_eq!(b.read(pa(0x1018), 8, 0), Ok(entry));
        assert_eq!(b.read(pa(0x1020), 8, 0), Ok(0x87e0_0000));
        assert_eq!(
            b.write(pa(0x1018), 8, 0, 0),
            Err(BusFault),
            "ROM is read-only"
        );

        let cfg = BusConfig {
            ram_size: 8 << 20,
            initrd: Some(vec![1; 3 << 20]),
            ..cfg_none()
        };
        let err = Bus::new(cfg).unwrap().boot(RAM_BASE).unwrap_err();
        assert!(
            matches!(err, BusError::Boot(fdt::LayoutError::Overlap { .. })),
            "{err}"
        );
    }

    fn cfg_none() -> BusConfig {
        BusConfig {
            console: Console::captured(ConsoleInput::None).0,
            ..Default::default()
        }
    }

    #[test]
    fn interrupts_are_wired_to_mip() {
        let (mut b, _) = bus(1 << 20, b"k");
        assert_eq!(
            b.irq_lines(0),
            MIP_MTIP,
            "mtimecmp = 0 at reset, as QEMU 7.2"
        );
        b.write(pa(CLINT_BASE + 0x4000), 8, 1000, 0).unwrap();
        assert_eq!(b.timer_deadline(), 1000);
        b.write(pa(CLINT_BASE), 4, 1, 0).unwrap();
        assert_eq!(b.irq_lines(999), MIP_MSIP);
        assert_eq!(b.irq_lines(1000), MIP_MSIP | MIP_MTIP);
        b.write(pa(CLINT_BASE + 0xbff8), 8, 0, 500).unwrap();
        assert_eq!(b.timer_deadline(), 1500);
        assert_eq!(b.mtime(600), 100);
        b.write(pa(CLINT_BASE), 4, 0, 0).unwrap();

        // UART receive interrupt → PLIC source 10 → context 1 (S) only.
        let plic = |off: u64| pa(PLIC_BASE + off);
        b.write(plic(4 * 10), 4, 1, 0).unwrap();
        b.write(plic(0x2080), 4, 1 << 10, 0).unwrap();
        b.write(pa(UART_BASE + 1), 1, 1, 0).unwrap(); // IER.RDI
        assert_eq!(b.irq_lines(0), 0);
        assert!(b.wait_for_input());
        assert_eq!(b.irq_lines(0), MIP_SEIP);
        assert_eq!(b.read(plic(0x20_1004), 4, 0), Ok(10));
        assert_eq!(b.irq_lines(0), 0, "claimed");
        assert_eq!(b.read(pa(UART_BASE), 1, 0), Ok(u64::from(b'k')));
        b.write(plic(0x20_1004), 4, 10, 0).unwrap();
        assert_eq!(
            b.irq_lines(0),
            0,
            "line low after the read: completion does not pend"
        );
        assert!(!b.wait_for_input(), "end of input");
        assert!(b.read(plic(0x2080), 8, 0).is_err());
    }

    #[test]
    fn console_output_and_finisher() {
        let (mut b, out) = bus(1 << 20, b"");
        for &c in b"ok\n!" {
            b.write(pa(UART_BASE), 1, u64::from(c), 0).unwrap();
        }
        b.flush_console();
        assert_eq!(&*out.lock().unwrap(), b"ok\n!");
        assert_eq!(b.finisher_exit(), None);
        assert_eq!(b.write(pa(FINISHER_BASE), 8, 0x5555, 0), Err(BusFault));
        b.write(pa(FINISHER_BASE), 4, (3 << 16) | 0x3333, 0)
            .unwrap();
        assert_eq!(b.finisher_exit(), Some(FinisherExit::Fail(3)));
    }
}
