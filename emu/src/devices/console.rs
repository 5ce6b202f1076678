//! The host side of the serial console: where the UART's transmitted bytes go and where the
//! bytes it receives come from.
//!
//! The configuration types ([`Console`], [`ConsoleInput`], [`ConsoleOutput`]) are part of
//! [`crate::bus::BusConfig`] and are re-exported from [`crate::bus`]; the front end picks stdin
//! and stdout, tests pick fixed bytes and a captured buffer. [`HostInput`] and [`HostOutput`]
//! are used only by [`crate::devices::uart`].
//!
//! Input is pulled, never pushed: [`HostInput::next_byte`] blocks until the host has a byte,
//! and the UART calls it only at moments the guest's own behaviour defines (see the
//! determinism rule in [`crate::devices::uart`]). Output is buffered and written at a newline,
//! when the buffer grows past [`OUTPUT_CHUNK`], before blocking for input, on
//! [`HostOutput::flush`] and on drop, so printing costs no system call per byte.

use std::collections::VecDeque;
use std::io::{Read, Write};
use std::sync::{Arc, Mutex};

/// Where received bytes come from.
#[derive(Debug, Default)]
pub enum ConsoleInput {
    /// The emulator's standard input (blocking reads on the emulator thread).
    Stdin,
    /// The emulator's standard input when it is a terminal: a thread reads it as keys
    /// arrive, so a byte typed while the guest runs can reach the UART at its next receive
    /// poll (rule (c) of [`crate::devices::uart`]), not only when the guest waits for input.
    /// Ctrl-A x ends the run (see [`ESCAPE`]); Ctrl-A Ctrl-A sends one Ctrl-A.
    Terminal,
    /// A fixed byte string, then end of input.
    Bytes(Vec<u8>),
    /// No input at all: the receive FIFO stays empty.
    #[default]
    None,
    /// Bytes the host adds while the machine is stopped ([`SharedInput`]): while it is
    /// empty and open, a fetch finds no byte and no end of input (the guest waits, as for a
    /// terminal nobody types on); once closed and empty, end of input.
    Shared(SharedInput),
}

/// A console input the host feeds between runs (the `rvmmu-lab` crate types into it when
/// the guest waits). The guest sees each byte only at the moments the UART's determinism
/// rule allows, so a run that adds the same bytes at the same stops is the same run.
#[derive(Clone, Debug, Default)]
pub struct SharedInput(Arc<Mutex<(VecDeque<u8>, bool)>>);

impl SharedInput {
    /// Appends bytes (ignored once closed).
    pub fn push(&self, bytes: &[u8]) {
        let mut q = self.0.lock().unwrap_or_else(|p| p.into_inner());
        if !q.1 {
            q.0.extend(bytes.iter().copied());
        }
    }

    /// Ends the input after the bytes already in it.
    pub fn close(&self) {
        self.0.lock().unwrap_or_else(|p| p.into_inner()).1 = true;
    }

    /// Bytes not yet taken by the guest.
    pub fn pending(&self) -> usize {
        self.0.lock().unwrap_or_else(|p| p.into_inner()).0.len()
    }

    /// The next byte; `Err(())` at the end (closed and empty), `Ok(None)` when none yet.
    fn take(&self) -> Result<Option<u8>, ()> {
        let mut q = self.0.lock().unwrap_or_else(|p| p.into_inner());
        match q.0.pop_front() {
            Some(b) => Ok(Some(b)),
            None if q.1 => Err(()),
            None => Ok(None),
        }
    }
}

/// Where transmitted bytes go.
#[derive(Debug, Default)]
pub enum ConsoleOutput {
    /// The emulator's standard output.
    #[default]
    Stdout,
    /// Appended to a shared buffer (tests read it).
    Capture(Arc<Mutex<Vec<u8>>>),
}

/// The serial console's host connection.
#[derive(Debug, Default)]
pub struct Console {
    pub input: ConsoleInput,
    pub output: ConsoleOutput,
    /// Where the whole console log goes, if anywhere: everything the UART sends plus the
    /// kernel's log lines (which reach the emulator through the event channel, not the UART)
    /// in the order they were written, as a serial console would have shown them.
    pub log: Option<ConsoleLog>,
}

/// The console log's destination.
pub enum ConsoleLog {
    Capture(Arc<Mutex<Vec<u8>>>),
    Writer(Box<dyn Write + Send>),
}

impl std::fmt::Debug for ConsoleLog {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ConsoleLog::Capture(_) => f.write_str("ConsoleLog::Capture"),
            ConsoleLog::Writer(_) => f.write_str("ConsoleLog::Writer"),
        }
    }
}

impl ConsoleLog {
    fn write(&mut self, bytes: &[u8]) {
        match self {
            ConsoleLog::Capture(b) => b
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .extend_from_slice(bytes),
            ConsoleLog::Writer(w) => {
                if let Err(e) = w.write_all(bytes).and_then(|()| w.flush()) {
                    log::debug!("console log dropped: {e}");
                }
            }
        }
    }
}

impl Console {
    /// A console that reads `input` and captures its output; returns the capture buffer too.
    pub fn captured(input: ConsoleInput) -> (Console, Arc<Mutex<Vec<u8>>>) {
        let buf = Arc::new(Mutex::new(Vec::new()));
        (
            Console {
                input,
                output: ConsoleOutput::Capture(Arc::clone(&buf)),
                log: None,
            },
            buf,
        )
    }
}

/// The escape byte of [`ConsoleInput::Terminal`] (Ctrl-A, as QEMU's `-nographic`): Ctrl-A
/// x ends the run, Ctrl-A Ctrl-A sends one Ctrl-A; Ctrl-A followed by anything else sends
/// both bytes.
pub const ESCAPE: u8 = 0x01;

/// Called by the terminal reader thread when the user types Ctrl-A x (set by the front end;
/// it must end the process). Without one, the run's input simply ends.
pub static ON_ESCAPE_EXIT: std::sync::OnceLock<fn() -> !> = std::sync::OnceLock::new();

/// Bytes of stdout output kept before they are written even without a newline.
pub const OUTPUT_CHUNK: usize = 4096;

/// A blocking source of received bytes. End of input is sticky.
pub struct HostInput {
    src: InputSource,
    eof: bool,
    /// While set, no byte is handed over (and no end of input): the host holds its input
    /// back, as a terminal nobody types on.
    pub held: bool,
}

enum InputSource {
    Stdin(std::io::Stdin),
    /// Bytes from the terminal reader thread (closed at end of input).
    Terminal(std::sync::mpsc::Receiver<u8>),
    Bytes(VecDeque<u8>),
    None,
    Shared(SharedInput),
}

impl HostInput {
    pub fn new(cfg: ConsoleInput) -> HostInput {
        let src = match cfg {
            ConsoleInput::Stdin => InputSource::Stdin(std::io::stdin()),
            ConsoleInput::Terminal => InputSource::Terminal(spawn_terminal_reader()),
            ConsoleInput::Bytes(b) => InputSource::Bytes(b.into()),
            ConsoleInput::None => InputSource::None,
            ConsoleInput::Shared(q) => InputSource::Shared(q),
        };
        let eof = matches!(src, InputSource::None);
        HostInput {
            src,
            eof,
            held: false,
        }
    }

    /// Whether no byte can ever arrive again (false while held).
    pub fn at_eof(&self) -> bool {
        self.eof && !self.held
    }

    /// The next byte, blocking until the host has one; `None` at (and after) end of input.
    /// Stdin is read through the standard library's buffer, so a burst of typed or piped bytes
    /// costs one system call; only the guest-visible hand-over is one byte at a time.
    pub fn next_byte(&mut self) -> Option<u8> {
        if self.eof || self.held {
            return None;
        }
        let b = match &mut self.src {
            InputSource::Stdin(stdin) => {
                // The read may wait for the user: no progress line over what they type.
                crate::progress::clear();
                let mut one = [0u8; 1];
                loop {
                    match stdin.lock().read(&mut one) {
                        Ok(0) => break None,
                        Ok(_) => break Some(one[0]),
                        // Host Ctrl-C: the run ends at the next slice boundary, and
                        // the console's input with it.
                        Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {
                            if crate::host_signal::received().is_some() {
                                break None;
                            }
                            continue;
                        }
                        Err(e) => {
                            log::warn!("console input closed: {e}");
                            break None;
                        }
                    }
                }
            }
            InputSource::Terminal(rx) => rx.recv().ok(),
            InputSource::Bytes(q) => q.pop_front(),
            InputSource::None => None,
            InputSource::Shared(q) => match q.take() {
                Ok(b) => return b,
                Err(()) => None,
            },
        };
        self.eof = b.is_none();
        b
    }

    /// A byte the terminal has already delivered, without waiting (None for the other
    /// sources, whose bytes move only when the guest waits: the determinism rule).
    pub fn try_byte(&mut self) -> Option<u8> {
        match &mut self.src {
            InputSource::Terminal(rx) if !self.eof => match rx.try_recv() {
                Ok(b) => Some(b),
                Err(std::sync::mpsc::TryRecvError::Empty) => None,
                Err(std::sync::mpsc::TryRecvError::Disconnected) => {
                    self.eof = true;
                    None
                }
            },
            _ => None,
        }
    }
}

/// Starts the thread that reads the terminal on stdin and hands its bytes over, acting on
/// the Ctrl-A escape (see [`ESCAPE`]).
fn spawn_terminal_reader() -> std::sync::mpsc::Receiver<u8> {
    let (tx, rx) = std::sync::mpsc::channel();
    let spawned = std::thread::Builder::new()
        .name("rvmmu-console".into())
        .spawn(move || {
            let mut stdin = std::io::stdin();
            let mut buf = [0u8; 256];
            let mut escaped = false;
            loop {
                let n = match stdin.read(&mut buf) {
                    Ok(0) => return,
                    Ok(n) => n,
                    Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                    Err(_) => return,
                };
                for &b in &buf[..n] {
                    let send: &[u8] = match (escaped, b) {
                        (false, ESCAPE) => {
                            escaped = true;
                            continue;
                        }
                        (false, _) => &[b],
                        (true, b'x') => match ON_ESCAPE_EXIT.get() {
                            Some(exit) => exit(),
                            None => return,
                        },
                        (true, ESCAPE) => &[ESCAPE],
                        (true, _) => &[ESCAPE, b],
                    };
                    escaped = false;
                    for &s in send {
                        if tx.send(s).is_err() {
                            return;
                        }
                    }
                }
            }
        });
    match spawned {
        Ok(_) => rx,
        Err(e) => {
            log::warn!("cannot start the console reader thread: {e}");
            let (_, rx) = std::sync::mpsc::channel();
            rx
        }
    }
}

/// A buffered sink for transmitted bytes.
pub struct HostOutput {
    sink: OutputSink,
    buf: Vec<u8>,
    log: Option<ConsoleLog>,
}

enum OutputSink {
    Stdout,
    Capture(Arc<Mutex<Vec<u8>>>),
}

impl HostOutput {
    pub fn new(cfg: ConsoleOutput, log: Option<ConsoleLog>) -> HostOutput {
        let sink = match cfg {
            ConsoleOutput::Stdout => OutputSink::Stdout,
            ConsoleOutput::Capture(b) => OutputSink::Capture(b),
        };
        HostOutput {
            sink,
            buf: Vec::with_capacity(OUTPUT_CHUNK),
            log,
        }
    }

    /// Queues one byte; writes the buffer out at a newline or when it is full.
    pub fn put(&mut self, byte: u8) {
        self.buf.push(byte);
        if byte == b'\n' || self.buf.len() >= OUTPUT_CHUNK {
            self.flush();
        }
    }

    /// Writes out everything queued so far.
    pub fn flush(&mut self) {
        if self.buf.is_empty() {
            return;
        }
        if let Some(l) = &mut self.log {
            l.write(&self.buf);
        }
        match &self.sink {
            OutputSink::Stdout => {
                crate::progress::clear();
                if let Some(&last) = self.buf.last() {
                    crate::progress::console_wrote(last);
                }
                let mut out = std::io::stdout().lock();
                // A closed stdout (e.g. `| head`) must not stop the guest: drop the bytes.
                if let Err(e) = out.write_all(&self.buf).and_then(|()| out.flush()) {
                    log::debug!("console output dropped: {e}");
                }
            }
            OutputSink::Capture(b) => {
                // A poisoned buffer only means a test thread panicked; keep appending.
                let mut v = b.lock().unwrap_or_else(|p| p.into_inner());
                v.extend_from_slice(&self.buf);
            }
        }
        self.buf.clear();
    }
}

impl HostOutput {
    /// Appends a line that did not come through the UART (a kernel log line) to the
    /// console log, after the output buffered so far; nothing without a log.
    pub fn log_line(&mut self, line: &str) {
        if self.log.is_none() {
            return;
        }
        self.flush();
        if let Some(l) = &mut self.log {
            l.write(line.as_bytes());
            l.write(b"\n");
        }
    }

    /// Whether a console log is kept.
    pub fn has_log(&self) -> bool {
        self.log.is_some()
    }
}

impl Drop for HostOutput {
    fn drop(&mut self) {
        self.flush();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bytes_input_ends_and_stays_ended() {
        let mut i = HostInput::new(ConsoleInput::Bytes(b"ab".to_vec()));
        assert!(!i.at_eof());
        assert_eq!(i.next_byte(), Some(b'a'));
        assert_eq!(i.next_byte(), Some(b'b'));
        assert_eq!(i.next_byte(), None);
        assert!(i.at_eof());
        assert_eq!(i.next_byte(), None);
        assert!(HostInput::new(ConsoleInput::None).at_eof());
        let shared = SharedInput::default();
        let mut i = HostInput::new(ConsoleInput::Shared(shared.clone()));
        assert_eq!(i.next_byte(), None, "nothing yet");
        assert!(!i.at_eof(), "but not the end");
        shared.push(b"x");
        assert_eq!(shared.pending(), 1);
        assert_eq!(i.next_byte(), Some(b'x'));
        shared.close();
        shared.push(b"y");
        assert_eq!(i.next_byte(), None);
        assert!(i.at_eof(), "closed and empty");
    }

    #[test]
    fn capture_is_written_at_newline_flush_and_drop() {
        let (c, buf) = Console::captured(ConsoleInput::None);
        let mut o = HostOutput::new(c.output, c.log);
        o.put(b'h');
        assert!(
            buf.lock().unwrap().is_empty(),
            "no newline yet: still buffered"
        );
        o.put(b'\n');
        assert_eq!(&*buf.lock().unwrap(), b"h\n");
        o.put(b'x');
        o.flush();
        assert_eq!(&*buf.lock().unwrap(), b"h\nx");
        o.put(b'y');
        drop(o);
        assert_eq!(&*buf.lock().unwrap(), b"h\nxy");
    }
}
