//! The console: the 16550 UART at [`UART_PA`] (through the direct map), and the `log`
//! backend that writes the boot log to it.
//!
//! Log lines are `LEVEL module: message` with no timestamp, so the same boot prints the
//! same bytes on rvmmu and on QEMU (tests/tests/kernel_boot.rs compares them). On rvmmu
//! (an `rvmmu,kevent` node in the device tree) they go through the event channel
//! (`crate::kevent`) instead of the UART: rvmmu shows them on its stderr and in its
//! console log, never in the program's output.
//!
//! Input ([`poll_input`]) is polled: the kernel reads LSR and takes a byte from RBR when one
//! is ready (DR); the terminal's line discipline (`fs::tty`) does this at every scheduler
//! pass. A break on the line (LSR.BI) is end of file: rvmmu's
//! UART raises one after the last byte of the host's input (docs/ARCHITECTURE.md); from then
//! on every console read returns 0. QEMU never sends one, so there a read with no input
//! waits for ever, as a read of a terminal nobody types into does.

use crate::mm::layout::{phys_to_virt, UART_PA};
use core::fmt::{self, Write};
use mm_core::PhysAddr;
use spin::Mutex;

/// Register offsets (a 16550 with 1-byte register spacing, as QEMU virt's).
const THR: usize = 0; // transmit holding (write)
const IER: usize = 1; // interrupt enable
const FCR: usize = 2; // FIFO control (write)
const LCR: usize = 3; // line control
const LSR: usize = 5; // line status
const RBR: usize = 0; // receive buffer (read)
const LSR_DR: u8 = 1 << 0; // data ready
const LSR_BI: u8 = 1 << 4; // break interrupt (cleared by reading LSR)
const LSR_THRE: u8 = 1 << 5; // transmit holding register empty

/// The UART's registers.
pub struct Uart {
    base: *mut u8,
    /// A break was seen: end of input, for good. Any LSR read may be the one that reports
    /// (and clears) BI, the transmitter's polls included, so every read latches it here.
    ended: bool,
}

// SAFETY: the UART is a device register block reachable from any context; access is
// serialised by the `CONSOLE` mutex.
#[allow(unsafe_code)]
unsafe impl Send for Uart {}

#[allow(unsafe_code)]
impl Uart {
    fn reg(&self, off: usize) -> *mut u8 {
        self.base.wrapping_add(off)
    }

    fn write_reg(&mut self, off: usize, v: u8) {
        // SAFETY: `base` maps the UART's register window (boot table and kernel page table
        // both map it); volatile because these are device registers.
        unsafe { self.reg(off).write_volatile(v) }
    }

    fn read_reg(&self, off: usize) -> u8 {
        // SAFETY: as in write_reg.
        unsafe { self.reg(off).read_volatile() }
    }

    /// 8 data bits, no parity, one stop bit; FIFOs on; no interrupts (the kernel polls).
    fn init(&mut self) {
        self.write_reg(IER, 0);
        self.write_reg(LCR, 0x03);
        self.write_reg(FCR, 0x07);
    }

    /// Reads LSR, latching a break.
    fn lsr(&mut self) -> u8 {
        let v = self.read_reg(LSR);
        if v & LSR_BI != 0 {
            self.ended = true;
        }
        v
    }

    fn putc(&mut self, b: u8) {
        while self.lsr() & LSR_THRE == 0 {
            core::hint::spin_loop();
        }
        self.write_reg(THR, b);
    }
}

impl Write for Uart {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        s.bytes().for_each(|b| self.putc(b));
        Ok(())
    }
}

static CONSOLE: Mutex<Uart> = Mutex::new(Uart {
    base: phys_to_virt(PhysAddr(UART_PA)).0 as *mut u8,
    ended: false,
});

/// What the line has received, without waiting.
pub enum Input {
    Byte(u8),
    /// A break: the input has ended, for good.
    Ended,
    Nothing,
}

/// The next received byte, if one has arrived (the terminal's line discipline, `fs::tty`,
/// takes input this way, at every scheduler pass and every read of the console). Never
/// waits: rvmmu's UART waits for host input at the second of two empty LSR/RBR reads in a
/// row (and nowhere else), so an empty look is followed by a harmless IER read, which ends
/// the run (the transmitter's LSR polls that follow must not wait either).
pub fn poll_input() -> Input {
    let mut u = CONSOLE.lock();
    look(&mut u, false)
}

/// Like [`poll_input`], but with nothing there, looks again at once: on rvmmu that waits
/// for the next byte of the host's input (or its end); on other machines it finds what has
/// arrived meanwhile.
pub fn wait_input() -> Input {
    let mut u = CONSOLE.lock();
    look(&mut u, true)
}

fn look(u: &mut Uart, twice: bool) -> Input {
    for _ in 0..if twice { 2 } else { 1 } {
        if u.lsr() & LSR_DR != 0 {
            return Input::Byte(u.read_reg(RBR));
        }
    }
    let _ = u.read_reg(IER);
    if u.ended {
        Input::Ended
    } else {
        Input::Nothing
    }
}

/// Writes raw bytes (a user process's output) to the console.
pub fn write_bytes(bytes: &[u8]) {
    let mut u = CONSOLE.lock();
    bytes.iter().for_each(|&b| u.putc(b));
}

/// Writes formatted text to the console.
pub fn print(args: fmt::Arguments<'_>) {
    let _ = CONSOLE.lock().write_fmt(args);
}

/// Writes formatted text even if the console is locked (the panic path: the lock holder
/// will never run again).
pub fn print_emergency(args: fmt::Arguments<'_>) {
    let mut u = Uart {
        base: phys_to_virt(PhysAddr(UART_PA)).0 as *mut u8,
        ended: false,
    };
    let _ = u.write_fmt(args);
}

/// A kernel message printed as is (no `LEVEL module:` prefix), at `level`: on the console,
/// or through the event channel when there is one (rvmmu shows it on its stderr then).
pub fn kmsg(level: log::Level, args: fmt::Arguments<'_>) {
    if crate::kevent::present() {
        crate::kevent::log(level as u64 | crate::kevent::LOG_BARE, args);
    } else {
        print(args);
    }
}

struct Logger;

impl log::Log for Logger {
    fn enabled(&self, m: &log::Metadata<'_>) -> bool {
        m.level() <= log::max_level()
    }

    fn log(&self, r: &log::Record<'_>) {
        // The virtio-drivers crate's own info lines ("found a block device ...") repeat
        // what the driver logs: shown at debug level.
        let level = if r.target().starts_with("virtio_drivers") {
            r.level().max(log::Level::Debug)
        } else {
            r.level()
        };
        if level > log::max_level() {
            return;
        }
        let module = match r.target() {
            "rvmmu_os" => "kernel",
            t => t.strip_prefix("rvmmu_os::").unwrap_or(t),
        };
        if crate::kevent::present() {
            // rvmmu: through the event channel (it prints the line as below).
            crate::kevent::log(level as u64, format_args!("{}: {}", module, r.args()));
            return;
        }
        print(format_args!("{:<5} {}: {}\n", level, module, r.args()));
    }

    fn flush(&self) {}
}

static LOGGER: Logger = Logger;

/// Initialises the UART and installs the logger at `level`.
pub fn init(level: log::LevelFilter) {
    CONSOLE.lock().init();
    let _ = log::set_logger(&LOGGER);
    log::set_max_level(level);
}
