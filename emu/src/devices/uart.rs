//! NS16550A UART (`ns16550a` at 0x1000_0000 on QEMU `virt`, PLIC source 10).
//!
//! Used by [`crate::bus`], which routes offsets 0..8 here and forwards [`Uart::irq_level`] to
//! the PLIC. Registers (DLAB = LCR bit 7): 0 RBR/THR (DLL when DLAB), 1 IER (DLM when DLAB),
//! 2 IIR/FCR, 3 LCR, 4 MCR, 5 LSR, 6 MSR, 7 SCR. Reset values are QEMU 7.2's, read back on
//! real QEMU: IIR 0x01, LCR 0, MCR 0x08 (OUT2), LSR 0x60 (THRE|TEMT), MSR 0xb0
//! (DCD|DSR|CTS), divisor 0x000c.
//!
//! Access widths follow QEMU 7.2: the window is 8 bytes (offsets 8.. fault); any naturally
//! aligned 1/2/4/8-byte access inside it reaches the one register at its offset, reads are
//! zero-extended and writes use the low byte; misaligned accesses fault.
//!
//! Transmission is instantaneous: a THR write goes straight to the console (or, in MCR
//! loopback mode, into the receive FIFO), so THRE and TEMT are always set and the THR-empty
//! interrupt is re-armed by every write. Modem-status deltas, line errors and overruns never
//! happen, so their interrupts never fire.
//!
//! # Determinism rule
//!
//! The guest may observe input only at moments that depend on the input's content and the
//! guest's own instruction stream, never on host timing. A byte moves from the host into the
//! receive FIFO (one byte per event, with a blocking read) only:
//!
//! (a) when the guest reads LSR or RBR while the FIFO is empty and its previous UART access was
//!     also an LSR or RBR read that found the FIFO empty, with no byte arriving in between. That
//!     second access first blocks for one byte and then completes with it in the FIFO (so it
//!     sees DR=1, or returns the byte). Any other UART access (a THR write, IER, IIR, …)
//!     breaks the sequence, so `putc` loops that check LSR before each THR write never block;
//!     a polling `getc` loop blocks at its second look;
//! (b) in [`Uart::wait_for_input`], which the bus calls when the hart executes WFI with nothing
//!     else able to wake it;
//! (c) only when the input is an interactive terminal ([`super::console::ConsoleInput::Terminal`]):
//!     at any LSR or RBR read with the FIFO empty, a byte the user has already typed (no
//!     waiting). Typing is timed by a person, so such a run is not reproducible anyway; this
//!     lets a key (^C) reach a guest that is busy and not waiting for input. Input from a
//!     file or pipe keeps to (a) and (b).
//!
//! At end of input nothing blocks and the FIFO just stays empty. Pending output is flushed
//! before any blocking read, so a prompt is visible while the emulator waits.
//!
//! # End of host input: a break (rvmmu's convention)
//!
//! A serial line has no "end of file"; a 16550 reports a *break* (the line held at space
//! for longer than a character) with LSR bit 4, BI, which reading LSR clears, and raises the
//! receiver-line-status interrupt (IIR 0x06, enabled by IER bit 2) while it is set. rvmmu
//! uses that real signal for "the host's input ended": the first time a fetch (rule (a) or
//! (b) above) finds the host input finished — a finite byte string used up, or stdin
//! closed, or no input configured at all — the UART sets BI, once per run. Software that
//! wants end of file (the rvmmu kernel: read(0) returns 0) treats a break on its console as
//! such. A real 16550 also queues a NUL character with the break; rvmmu does not, so the
//! break never adds a byte to the data the guest receives. QEMU never signals it.

use super::console::{Console, HostInput, HostOutput};
use super::{aligned_within, DeviceFault};
use std::collections::VecDeque;

/// Size of the UART window QEMU decodes (the device tree says 0x100; QEMU faults above 8).
pub const UART_WINDOW: u64 = 8;
/// Depth of the receive FIFO when FCR enables it (16550A); 1 (the holding register) otherwise.
pub const FIFO_DEPTH: usize = 16;

const IER_RDI: u8 = 0x01; // received data available
const IER_THRI: u8 = 0x02; // transmitter holding register empty
const IIR_NO_INT: u8 = 0x01;
const IIR_THRI: u8 = 0x02;
const IIR_RDI: u8 = 0x04;
const IIR_RX_TIMEOUT: u8 = 0x0c;
const IIR_FIFO_ON: u8 = 0xc0;
const FCR_ENABLE: u8 = 0x01;
const FCR_CLEAR_RX: u8 = 0x02;
const LCR_DLAB: u8 = 0x80;
const MCR_LOOP: u8 = 0x10;
const IER_RLSI: u8 = 0x04; // receiver line status (here: the break)
const IIR_RLSI: u8 = 0x06;
const LSR_DR: u8 = 0x01;
const LSR_BI: u8 = 0x10;
const LSR_THRE: u8 = 0x20;
const LSR_TEMT: u8 = 0x40;

/// Register offsets.
const RBR_THR: u64 = 0;
const IER: u64 = 1;
const IIR_FCR: u64 = 2;
const LCR: u64 = 3;
const MCR: u64 = 4;
const LSR: u64 = 5;
const MSR: u64 = 6;
const SCR: u64 = 7;

/// The UART and its host console.
pub struct Uart {
    rx: VecDeque<u8>,
    ier: u8,
    fcr: u8,
    lcr: u8,
    mcr: u8,
    scr: u8,
    divisor: u16,
    thr_ipending: bool,
    /// The previous UART access was an LSR/RBR read that found the FIFO empty.
    polled_empty: bool,
    /// LSR.BI: a break (end of host input) not yet read from LSR.
    break_pending: bool,
    /// The break has been raised (it is raised once per run).
    break_sent: bool,
    input: HostInput,
    output: HostOutput,
}

impl Uart {
    pub fn new(console: Console) -> Uart {
        Uart {
            rx: VecDeque::with_capacity(FIFO_DEPTH),
            ier: 0,
            fcr: 0,
            lcr: 0,
            mcr: 0x08,
            scr: 0,
            divisor: 0x0c,
            thr_ipending: false,
            polled_empty: false,
            break_pending: false,
            break_sent: false,
            input: HostInput::new(console.input),
            output: HostOutput::new(console.output, console.log),
        }
    }

    /// Reads the register at `offset` (see the module header for accepted widths).
    pub fn read(&mut self, offset: u64, size: u8) -> Result<u64, DeviceFault> {
        if !aligned_within(offset, size, UART_WINDOW) {
            return Err(DeviceFault::BadSize { offset, size });
        }
        let dlab = self.lcr & LCR_DLAB != 0;
        let polls_rx = offset == LSR || (offset == RBR_THR && !dlab);
        if polls_rx && self.rx.is_empty() && self.mcr & MCR_LOOP == 0 {
            // Rule (c): a terminal's byte that has arrived.
            if let Some(b) = self.input.try_byte() {
                self.rx.push_back(b);
            }
        }
        if polls_rx && self.rx.is_empty() {
            if self.polled_empty {
                self.fetch_one();
            }
            self.polled_empty = self.rx.is_empty();
        } else {
            self.polled_empty = false;
        }
        let v = match offset {
            RBR_THR if dlab => self.divisor as u8,
            RBR_THR => self.rx.pop_front().unwrap_or(0),
            IER if dlab => (self.divisor >> 8) as u8,
            IER => self.ier,
            IIR_FCR => {
                let iir = self.iir();
                if iir & 0x0f == IIR_THRI {
                    self.thr_ipending = false;
                }
                iir
            }
            LCR => self.lcr,
            MCR => self.mcr,
            LSR => {
                let v = self.lsr();
                // Reading LSR clears the error bits, BI among them (16550A data sheet).
                self.break_pending = false;
                v
            }
            MSR => self.msr(),
            SCR => self.scr,
            _ => unreachable!("offset checked against the 8-byte window"),
        };
        Ok(u64::from(v))
    }

    /// Writes the low byte of `val` to the register at `offset`.
    pub fn write(&mut self, offset: u64, size: u8, val: u64) -> Result<(), DeviceFault> {
        if !aligned_within(offset, size, UART_WINDOW) {
            return Err(DeviceFault::BadSize { offset, size });
        }
        self.polled_empty = false;
        let v = val as u8;
        let dlab = self.lcr & LCR_DLAB != 0;
        match offset {
            RBR_THR if dlab => self.divisor = (self.divisor & 0xff00) | u16::from(v),
            RBR_THR => {
                if self.mcr & MCR_LOOP != 0 {
                    if self.rx.len() < self.fifo_capacity() {
                        self.rx.push_back(v);
                    }
                } else {
                    self.output.put(v);
                }
                // The byte left at once: THR is empty again.
                self.thr_ipending = true;
            }
            IER if dlab => self.divisor = (self.divisor & 0x00ff) | (u16::from(v) << 8),
            IER => {
                let old = self.ier;
                self.ier = v & 0x0f;
                // Enabling the THR-empty interrupt while THR is empty raises it (as QEMU does).
                if self.ier & IER_THRI != 0 && old & IER_THRI == 0 {
                    self.thr_ipending = true;
                }
            }
            IIR_FCR => {
                if v & FCR_CLEAR_RX != 0 || (v ^ self.fcr) & FCR_ENABLE != 0 {
                    self.rx.clear();
                }
                self.fcr = v & 0xc9;
            }
            LCR => self.lcr = v,
            MCR => self.mcr = v & 0x1f,
            LSR | MSR => {} // read-only (factory test writes are not modelled)
            SCR => self.scr = v,
            _ => unreachable!("offset checked against the 8-byte window"),
        }
        Ok(())
    }

    /// The interrupt output (PLIC source 10): high while IIR reports a cause.
    pub fn irq_level(&self) -> bool {
        self.iir() & IIR_NO_INT == 0
    }

    /// Rule (b): blocks for one host byte. True once it is in the FIFO, or when the input's end
    /// has just raised the break with its interrupt enabled (a WFI can then wake); false
    /// otherwise: at end of input, in loopback mode (the host is disconnected) or when the
    /// FIFO is full (more input could not change anything the guest sees).
    pub fn wait_for_input(&mut self) -> bool {
        if self.mcr & MCR_LOOP != 0 || self.rx.len() >= self.fifo_capacity() {
            return false;
        }
        let sent = self.break_sent;
        self.fetch_one() || (self.break_sent != sent && self.ier & IER_RLSI != 0)
    }

    /// Holds the host's input back (no byte, no end of input) while `on`.
    pub fn hold_input(&mut self, on: bool) {
        self.input.held = on;
    }

    /// Appends a kernel log line to the console log ([`HostOutput::log_line`]).
    pub fn log_line(&mut self, line: &str) {
        self.output.log_line(line);
    }

    /// Whether a console log is kept.
    pub fn has_log(&self) -> bool {
        self.output.has_log()
    }

    /// Writes out buffered console output.
    pub fn flush(&mut self) {
        self.output.flush();
    }

    /// Bytes waiting in the receive FIFO.
    pub fn rx_len(&self) -> usize {
        self.rx.len()
    }

    fn fifo_capacity(&self) -> usize {
        if self.fcr & FCR_ENABLE != 0 {
            FIFO_DEPTH
        } else {
            1
        }
    }

    /// Blocks for one host byte and queues it; false at end of input or in loopback mode.
    /// The first time it finds the input ended, it raises the break (see the module header).
    fn fetch_one(&mut self) -> bool {
        if self.mcr & MCR_LOOP != 0 {
            return false;
        }
        if !self.input.at_eof() {
            self.output.flush();
            if let Some(b) = self.input.next_byte() {
                self.rx.push_back(b);
                return true;
            }
            if !self.input.at_eof() {
                // A shared input with nothing in it yet: no byte now, and no break.
                return false;
            }
        }
        if !self.break_sent {
            self.break_sent = true;
            self.break_pending = true;
        }
        false
    }

    fn rx_trigger(&self) -> usize {
        match self.fcr >> 6 {
            0 => 1,
            1 => 4,
            2 => 8,
            _ => 14,
        }
    }

    fn iir(&self) -> u8 {
        let fifo = if self.fcr & FCR_ENABLE != 0 {
            IIR_FIFO_ON
        } else {
            0
        };
        // Priorities (16550A): line status, then received data, then THR empty.
        let cause = if self.ier & IER_RLSI != 0 && self.break_pending {
            IIR_RLSI
        } else if self.ier & IER_RDI != 0 && !self.rx.is_empty() {
            // Below the trigger level a real 16550A reports a character timeout after four
            // idle character times; with no host clock here it is reported at once.
            if self.fcr & FCR_ENABLE != 0 && self.rx.len() < self.rx_trigger() {
                IIR_RX_TIMEOUT
            } else {
                IIR_RDI
            }
        } else if self.ier & IER_THRI != 0 && self.thr_ipending {
            IIR_THRI
        } else {
            IIR_NO_INT
        };
        fifo | cause
    }

    fn lsr(&self) -> u8 {
        let dr = if self.rx.is_empty() { 0 } else { LSR_DR };
        let bi = if self.break_pending { LSR_BI } else { 0 };
        dr | bi | LSR_THRE | LSR_TEMT
    }

    fn msr(&self) -> u8 {
        if self.mcr & MCR_LOOP != 0 {
            // Loopback: RTS→CTS, DTR→DSR, OUT1→RI, OUT2→DCD.
            let m = self.mcr;
            ((m & 0x02) << 3) | ((m & 0x01) << 5) | ((m & 0x0c) << 4)
        } else {
            0xb0
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::console::ConsoleInput;
    use super::*;
    use std::sync::{Arc, Mutex};

    fn uart(input: &[u8]) -> (Uart, Arc<Mutex<Vec<u8>>>) {
        let (c, buf) = Console::captured(ConsoleInput::Bytes(input.to_vec()));
        (Uart::new(c), buf)
    }

    fn rd(u: &mut Uart, off: u64) -> u8 {
        u.read(off, 1).unwrap() as u8
    }

    #[test]
    fn reset_values_match_qemu() {
        let (mut u, _) = uart(b"");
        assert_eq!(rd(&mut u, IIR_FCR), 0x01);
        assert_eq!(rd(&mut u, LCR), 0);
        assert_eq!(rd(&mut u, MCR), 0x08);
        assert_eq!(rd(&mut u, LSR), 0x60);
        assert_eq!(rd(&mut u, MSR), 0xb0);
        u.write(LCR, 1, 0x80).unwrap();
        assert_eq!((rd(&mut u, 0), rd(&mut u, 1)), (0x0c, 0));
        u.write(0, 1, 0x01).unwrap();
        u.write(1, 1, 0x02).unwrap();
        assert_eq!(u.divisor, 0x0201);
        u.write(LCR, 1, 0x03).unwrap();
        assert_eq!(rd(&mut u, IER), 0, "DLAB off: IER again");
    }

    #[test]
    fn transmit_goes_to_capture_and_widths_follow_qemu() {
        let (mut u, buf) = uart(b"");
        for &b in b"hi\n" {
            assert_eq!(u.read(LSR, 1).unwrap() & 0x20, 0x20);
            u.write(RBR_THR, 1, u64::from(b)).unwrap();
        }
        u.write(RBR_THR, 8, 0x4321).unwrap(); // 8-byte store at 0: low byte only
        u.flush();
        assert_eq!(&*buf.lock().unwrap(), b"hi\n!");
        assert_eq!(u.read(MCR, 4).unwrap(), 0x08);
        assert_eq!(u.read(MSR, 2).unwrap(), 0xb0);
        assert!(u.read(LSR, 4).is_err(), "misaligned");
        assert!(u.read(8, 1).is_err(), "outside QEMU's 8-byte window");
        assert!(u.write(7, 4, 0).is_err());
    }

    #[test]
    fn loopback_feeds_the_receiver() {
        let (mut u, buf) = uart(b"zz");
        u.write(MCR, 1, 0x1b).unwrap(); // LOOP|OUT2|RTS|DTR
        assert_eq!(rd(&mut u, MSR), 0xb0);
        u.write(RBR_THR, 1, u64::from(b'Q')).unwrap();
        assert_eq!(rd(&mut u, LSR) & LSR_DR, LSR_DR);
        assert_eq!(rd(&mut u, RBR_THR), b'Q');
        // Host input is disconnected in loopback: polling never fetches it.
        for _ in 0..4 {
            assert_eq!(rd(&mut u, LSR) & LSR_DR, 0);
        }
        assert!(!u.wait_for_input());
        u.flush();
        assert!(buf.lock().unwrap().is_empty());
    }

    #[test]
    fn determinism_rule_one_look_does_not_fetch_two_do() {
        let (mut u, _) = uart(b"ab");
        assert_eq!(
            rd(&mut u, LSR) & LSR_DR,
            0,
            "first empty look: nothing fetched"
        );
        u.write(RBR_THR, 1, u64::from(b'.')).unwrap(); // putc breaks the sequence
        assert_eq!(rd(&mut u, LSR) & LSR_DR, 0);
        assert_eq!(u.rx_len(), 0);
        assert_eq!(
            rd(&mut u, LSR) & LSR_DR,
            LSR_DR,
            "second consecutive look fetched 'a'"
        );
        assert_eq!(u.rx_len(), 1, "exactly one byte per event");
        assert_eq!(rd(&mut u, RBR_THR), b'a');
        // An empty RBR read counts as a look too.
        assert_eq!(rd(&mut u, RBR_THR), 0);
        assert_eq!(rd(&mut u, RBR_THR), b'b');
        // At end of input polling never blocks and nothing arrives; the first fetch that
        // finds the end raises the break, once, and the LSR read that reports it clears it.
        assert_eq!(rd(&mut u, LSR), 0x60, "a first empty look fetches nothing");
        assert_eq!(
            rd(&mut u, LSR),
            0x60 | LSR_BI,
            "the second finds the end: break"
        );
        for _ in 0..5 {
            assert_eq!(rd(&mut u, LSR), 0x60);
        }
    }

    #[test]
    fn end_of_input_is_one_break_after_the_last_byte() {
        let (mut u, _) = uart(b"z");
        u.write(IER, 1, u64::from(IER_RLSI | IER_RDI)).unwrap();
        assert_eq!(rd(&mut u, LSR), 0x60);
        assert_eq!(rd(&mut u, LSR), 0x61, "the byte first");
        assert_eq!(rd(&mut u, RBR_THR), b'z');
        assert_eq!(
            rd(&mut u, LSR),
            0x60,
            "no break before the input is found ended"
        );
        assert!(!u.irq_level());
        assert_eq!(
            rd(&mut u, RBR_THR),
            0,
            "the empty RBR read is the second look"
        );
        assert!(u.irq_level(), "the break raises the line-status interrupt");
        assert_eq!(rd(&mut u, IIR_FCR), IIR_RLSI);
        assert_eq!(u.rx_len(), 0, "no NUL character is queued with the break");
        assert_eq!(rd(&mut u, LSR), 0x60 | LSR_BI);
        assert!(!u.irq_level(), "reading LSR cleared BI and the interrupt");
        for _ in 0..4 {
            assert_eq!(rd(&mut u, LSR), 0x60, "once per run");
        }
        // Through WFI (rule (b)): the break is news once when its interrupt is enabled, then
        // nothing can wake the hart.
        let (mut u, _) = uart(b"");
        u.write(IER, 1, u64::from(IER_RLSI)).unwrap();
        assert!(u.wait_for_input(), "the end of input raised the break");
        assert_eq!(rd(&mut u, LSR), 0x60 | LSR_BI);
        assert!(!u.wait_for_input());
        // No input configured at all: ended from the start, the same single break.
        let (c, _) = Console::captured(ConsoleInput::None);
        let mut u = Uart::new(c);
        u.write(IER, 1, u64::from(IER_RLSI)).unwrap();
        assert!(u.wait_for_input());
        assert_eq!(rd(&mut u, LSR), 0x60 | LSR_BI);
        assert!(!u.wait_for_input());
    }

    #[test]
    fn wait_for_input_and_interrupts() {
        let (mut u, _) = uart(b"xy");
        assert!(!u.irq_level());
        u.write(IER, 1, u64::from(IER_RDI)).unwrap();
        assert!(!u.irq_level());
        assert!(u.wait_for_input());
        assert!(u.irq_level());
        assert_eq!(rd(&mut u, IIR_FCR), IIR_RDI);
        assert!(
            !u.wait_for_input(),
            "FIFO off: the holding register is full"
        );
        assert_eq!(rd(&mut u, RBR_THR), b'x');
        assert!(!u.irq_level());
        // With the FIFO on, a lone byte below the trigger level reports a timeout.
        u.write(IIR_FCR, 1, 0x81).unwrap();
        assert!(u.wait_for_input());
        assert_eq!(rd(&mut u, IIR_FCR), IIR_FIFO_ON | IIR_RX_TIMEOUT);
        assert_eq!(rd(&mut u, RBR_THR), b'y');
        assert!(
            !u.wait_for_input(),
            "end of input (the break's interrupt is off)"
        );
        assert_eq!(
            rd(&mut u, LSR),
            0x60 | LSR_BI,
            "the break is still reported in LSR"
        );
    }

    #[test]
    fn thr_empty_interrupt_is_raised_by_enable_and_write_and_cleared_by_iir() {
        let (mut u, _) = uart(b"");
        u.write(IER, 1, u64::from(IER_THRI)).unwrap();
        assert!(u.irq_level());
        assert_eq!(rd(&mut u, IIR_FCR), IIR_THRI);
        assert!(!u.irq_level(), "reading IIR acknowledged THRE");
        assert_eq!(rd(&mut u, IIR_FCR), IIR_NO_INT);
        u.write(RBR_THR, 1, 0x41).unwrap();
        assert!(u.irq_level(), "the byte left at once, THR empty again");
        u.write(IER, 1, 0).unwrap();
        assert!(!u.irq_level());
    }
}
