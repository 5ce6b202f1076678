//! The kernel event channel (docs/TRACING.md, "The kernel event channel"): on rvmmu, whose
//! device tree has an `rvmmu,kevent` node, the kernel tells the emulator what it does —
//! system calls, page faults, reclaim, process life, its log lines — one record per event.
//! A record is built on the stack (kernel RAM, in the direct map) and its physical address
//! written to the device's doorbell: one MMIO store. Without the node (QEMU) nothing is
//! sent and the log goes to the UART as before.
//!
//! Records are sent whenever the device exists, whether or not the emulator traces
//! anything, so a traced and an untraced run execute the same instructions. They carry
//! numbers only (no formatting here), except a log line's text.
//!
//! Record: kind (u16), payload bytes (u16), pid (u32: the current process, 0 for none),
//! then the payload, little-endian u64 words and, for some kinds, text after them.

use crate::mm::layout::{phys_to_virt, virt_to_phys, PAGE_OFFSET};
use core::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use mm_core::{PhysAddr, VirtAddr};

/// The device's doorbell VA (0: no device).
static DOORBELL: AtomicU64 = AtomicU64::new(0);
/// The current process as the last switch record said.
static CURRENT: AtomicU32 = AtomicU32::new(0);

const MAGIC: u32 = 0x7476_656b;
const VERSION: u32 = 1;
const DOORBELL_OFFSET: u64 = 8;
/// The host's request register: the pending request's id (0: none); reading it takes the
/// request.
const REQUEST_OFFSET: u64 = 0x10;
/// The taken request's path length in bytes.
const REQUEST_LEN_OFFSET: u64 = 0x18;
/// The taken request's path, [`REQUEST_PATH_MAX`] bytes, zero-padded.
const REQUEST_PATH_OFFSET: u64 = 0x100;
/// The longest path a request carries.
pub const REQUEST_PATH_MAX: usize = 256;

/// Record kinds (protocol version 1).
pub mod kind {
    pub const LOG: u16 = 1;
    pub const SYSCALL_ENTER: u16 = 2;
    pub const SYSCALL_EXIT: u16 = 3;
    pub const FAULT_BEGIN: u16 = 4;
    pub const FAULT_END: u16 = 5;
    pub const EXEC: u16 = 6;
    pub const FORK: u16 = 7;
    pub const EXIT: u16 = 8;
    pub const SWITCH: u16 = 9;
    pub const CONSOLE_WAIT: u16 = 10;
    pub const KSWAPD_WAKE: u16 = 11;
    pub const KSWAPD_SLEEP: u16 = 12;
    pub const DIRECT_BEGIN: u16 = 13;
    pub const DIRECT_END: u16 = 14;
    pub const RECLAIM_PASS: u16 = 15;
    pub const SWAP_OUT: u16 = 16;
    pub const SWAP_IN: u16 = 17;
    pub const OOM_CANDIDATE: u16 = 18;
    pub const OOM_KILL: u16 = 19;
    pub const MEM_SAMPLE: u16 = 20;
    pub const PROC_REPLY: u16 = 21;
}

/// A log record's level word: the `log` level (1 error .. 5 trace), plus [`LOG_BARE`] for
/// a console message printed without the `LEVEL module:` prefix.
pub const LOG_BARE: u64 = 0x100;

/// Page-fault kinds and actions (the FAULT_END payload).
pub mod fault {
    pub const MINOR: u64 = 0;
    pub const MAJOR: u64 = 1;
    pub const INVALID: u64 = 2;
    pub const ZERO_FILL: u64 = 0;
    pub const FILE_READ: u64 = 1;
    pub const SWAP_IN: u64 = 2;
    pub const COW_COPY: u64 = 3;
    pub const STACK_GROWTH: u64 = 4;
    pub const SIGSEGV: u64 = 5;
    pub const OTHER: u64 = 6;
    /// The page was present already (an older TLB entry, the kernel's own access, or A
    /// cleared by reclaim under Svade): only the PTE's bits were set; not counted in
    /// `pgfault`.
    pub const SPURIOUS: u64 = 7;
}

/// Uses the device at `pa` if it answers with the magic and version this kernel speaks.
#[allow(unsafe_code)]
pub fn init(pa: Option<PhysAddr>) {
    let Some(pa) = pa else { return };
    let va = phys_to_virt(pa).0;
    // SAFETY: the boot table and the kernel page table map the device's page (the direct
    // map of the device region); a read of its ID registers has no side effect.
    let (magic, version) = unsafe {
        (
            (va as *const u32).read_volatile(),
            ((va + 4) as *const u32).read_volatile(),
        )
    };
    if magic == MAGIC && version == VERSION {
        DOORBELL.store(va + DOORBELL_OFFSET, Ordering::Relaxed);
    }
}

/// Whether records are sent.
#[inline]
pub fn present() -> bool {
    DOORBELL.load(Ordering::Relaxed) != 0
}

/// The current process's pid as records carry it.
pub fn current() -> u32 {
    CURRENT.load(Ordering::Relaxed)
}

/// Most payload words of a record built by [`send`].
const WORDS: usize = 126;

/// Payload words of the small record most events use (no text, few words).
const SMALL: usize = 15;

/// Sends a record of `kind` for `pid` with `words`, then `text` (cut to what fits). Never
/// inlined: the record lives in this frame only, not in its callers' (the fault handler's
/// stays as small as it was while it reclaims).
#[inline(never)]
pub fn send_from(kind: u16, pid: u32, words: &[u64], text: &[u8]) {
    if !present() {
        return;
    }
    if text.is_empty() && words.len() <= SMALL {
        // The common case: 128 bytes of stack to fill, not a kilobyte.
        let mut rec = [0u64; 1 + SMALL];
        rec[1..1 + words.len()].copy_from_slice(words);
        rec[0] = header(kind, pid, words.len() * 8);
        ring(&rec);
        return;
    }
    let mut rec = [0u64; 1 + WORDS];
    let nw = words.len().min(WORDS);
    rec[1..1 + nw].copy_from_slice(&words[..nw]);
    let room = (WORDS - nw) * 8;
    let nt = text.len().min(room);
    for (i, &b) in text[..nt].iter().enumerate() {
        let at = 1 + nw + i / 8;
        rec[at] |= u64::from(b) << (8 * (i % 8));
    }
    rec[0] = header(kind, pid, nw * 8 + nt);
    ring(&rec);
}

fn header(kind: u16, pid: u32, len: usize) -> u64 {
    u64::from(kind) | (len as u64) << 16 | u64::from(pid) << 32
}

/// Hands the record in `rec` (header first) to the device: one store of its physical
/// address to the doorbell.
#[allow(unsafe_code)]
fn ring(rec: &[u64]) {
    let bell = DOORBELL.load(Ordering::Relaxed);
    let va = rec.as_ptr() as u64;
    if bell == 0 || va < PAGE_OFFSET {
        return;
    }
    let pa = virt_to_phys(VirtAddr(va)).0;
    // The record's stores before the doorbell's, for the compiler and for the hart (a
    // device reading memory after an I/O write: `fence w,o`, priv/rvwmo ordering of I/O).
    core::sync::atomic::compiler_fence(Ordering::SeqCst);
    // SAFETY: `bell` is the device's doorbell register in the direct map (checked by
    // `init`); the record stays alive (the caller's) until the store has been made, and
    // the device copies it before the store completes.
    unsafe {
        #[cfg(target_arch = "riscv64")]
        core::arch::asm!("fence w, o", options(nostack));
        (bell as *mut u64).write_volatile(pa);
    }
    core::hint::black_box(rec);
}

/// Sends a record for the current process.
#[inline]
pub fn send(kind: u16, words: &[u64]) {
    if present() {
        send_from(kind, current(), words, &[]);
    }
}

/// `pid` (0: none) runs from now on, in the address space `satp` selects.
pub fn switch(pid: u32, satp: u64) {
    if present() && CURRENT.swap(pid, Ordering::Relaxed) != pid {
        send_from(kind::SWITCH, pid, &[satp], &[]);
    }
}

/// `pid` runs a new program, `path`, in the space `satp` selects.
pub fn exec(pid: u32, satp: u64, path: &str) {
    if present() {
        CURRENT.store(pid, Ordering::Relaxed);
        send_from(kind::EXEC, pid, &[satp], path.as_bytes());
    }
}

/// Words of a log record (level word and text): 512 bytes of stack, since a line may be
/// logged deep in reclaim; text beyond 504 bytes is cut.
const LOG_WORDS: usize = 64;

/// A log line (`level` as [`LOG_BARE`] says), formatted straight into the record (the text
/// is cut at its end); a trailing newline is dropped.
#[inline(never)]
pub fn log(level: u64, args: core::fmt::Arguments<'_>) {
    if !present() {
        return;
    }
    let mut rec = TextRecord {
        rec: [0; 1 + LOG_WORDS],
        n: 0,
    };
    rec.rec[1] = level;
    let _ = core::fmt::Write::write_fmt(&mut rec, args);
    if rec.n > 0 && rec.byte(rec.n - 1) == b'\n' {
        rec.n -= 1;
    }
    rec.rec[0] = header(kind::LOG, current(), 8 + rec.n);
    ring(&rec.rec);
}

/// A log record being written: the level word, then text bytes.
struct TextRecord {
    rec: [u64; 1 + LOG_WORDS],
    n: usize,
}

impl TextRecord {
    const ROOM: usize = (LOG_WORDS - 1) * 8;

    fn byte(&self, i: usize) -> u8 {
        (self.rec[2 + i / 8] >> (8 * (i % 8))) as u8
    }
}

impl core::fmt::Write for TextRecord {
    fn write_str(&mut self, s: &str) -> core::fmt::Result {
        for &b in s.as_bytes() {
            if self.n == Self::ROOM {
                break;
            }
            self.rec[2 + self.n / 8] |= u64::from(b) << (8 * (self.n % 8));
            self.n += 1;
        }
        Ok(())
    }
}

/// How the fault being handled was resolved: `kind | action << 8` (set by the fault
/// handler's paths, read by [`fault_end`]).
static FAULT_HOW: AtomicU64 = AtomicU64::new(0);

/// The fault being handled is of `kind` and was resolved by `action` ([`fault`]).
#[inline]
pub fn fault_how(kind: u64, action: u64) {
    FAULT_HOW.store(kind | action << 8, Ordering::Relaxed);
}

/// A page fault at `va` begins: `need` is the access (an R, W or X PTE flag), `user` whether
/// U-mode made it (else the kernel, copying from or to user memory).
pub fn fault_begin(va: u64, need: mm_core::pte::PteFlags, user: bool) {
    if !present() {
        return;
    }
    use mm_core::pte::PteFlags;
    let access = if need.contains(PteFlags::W) {
        1
    } else if need.contains(PteFlags::X) {
        2
    } else {
        0
    };
    fault_how(fault::MINOR, fault::OTHER);
    send_from(
        kind::FAULT_BEGIN,
        current(),
        &[va, access, u64::from(user)],
        &[],
    );
}

/// The fault at `va` ends: resolved (`ok`) as [`fault_how`] said, or not (then invalid:
/// SIGSEGV for a user access, `other` (EFAULT) for the kernel's).
pub fn fault_end(va: u64, ok: bool, user: bool) {
    if !present() {
        return;
    }
    let (k, a) = if ok {
        let how = FAULT_HOW.load(Ordering::Relaxed);
        (how & 0xff, how >> 8)
    } else if user {
        (fault::INVALID, fault::SIGSEGV)
    } else {
        (fault::INVALID, fault::OTHER)
    };
    send_from(kind::FAULT_END, current(), &[va, k, a], &[]);
}

/// A record of free frames and the watermarks (kswapd wake/sleep, direct reclaim begin).
pub fn watermarks(kind: u16) {
    if !present() {
        return;
    }
    let w = crate::sysctl::watermarks(crate::mm::frame::managed_frames() as u64);
    let free = crate::mm::frame::free_frames() as u64;
    send_from(kind, current(), &[free, w.min, w.low, w.high], &[]);
}

/// The periodic memory sample (each scheduler tick, 10 ms of virtual time): free frames,
/// watermarks, swap, the cumulative vmstat counters, and each live process's resident
/// pages (as many as fit in a record).
pub fn mem_sample(procs: &mut dyn Iterator<Item = (u32, u64)>) {
    if !present() {
        return;
    }
    use crate::mm::vmstat::{self as v, read};
    let w = crate::sysctl::watermarks(crate::mm::frame::managed_frames() as u64);
    let mut rec = [0u64; 1 + WORDS];
    let head = [
        crate::mm::frame::free_frames() as u64,
        w.min,
        w.low,
        w.high,
        crate::mm::swapfile::total_pages(),
        crate::mm::swapfile::free_pages(),
        read(&v::PGFAULT),
        read(&v::PGMAJFAULT),
        read(&v::PSWPIN),
        read(&v::PSWPOUT),
        read(&v::PGSCAN_KSWAPD),
        read(&v::PGSCAN_DIRECT),
        read(&v::PGSTEAL_KSWAPD) + read(&v::PGSTEAL_DIRECT),
        read(&v::OOM_KILL),
    ];
    rec[1..1 + head.len()].copy_from_slice(&head);
    let mut n = head.len();
    for (pid, rss) in procs {
        if n + 2 > WORDS {
            break;
        }
        rec[1 + n] = u64::from(pid);
        rec[2 + n] = rss;
        n += 2;
    }
    rec[0] = header(kind::MEM_SAMPLE, current(), n * 8);
    ring(&rec);
}

/// Records from now on are for `pid`, which is being set up (init, before its first
/// switch): no record of its own.
pub fn starting(pid: u32) {
    CURRENT.store(pid, Ordering::Relaxed);
}

/// The host's pending request, taken (docs/TRACING.md, "Requests from the host"): its id
/// and the /proc path it asks for. Called at every memory sample: one MMIO read (the
/// request register) whether or not a request waits, so that a run's instructions do not
/// depend on whether the host ever asks; the path's reads only when one does.
#[allow(unsafe_code)]
pub fn take_request(path: &mut [u8; REQUEST_PATH_MAX]) -> Option<(u64, usize)> {
    let bell = DOORBELL.load(Ordering::Relaxed);
    if bell == 0 {
        return None;
    }
    let base = bell - DOORBELL_OFFSET;
    // SAFETY: `base` is the device's register window in the direct map (checked by
    // `init`); reading the request register takes the request, nothing else.
    let id = unsafe { ((base + REQUEST_OFFSET) as *const u64).read_volatile() };
    if id == 0 {
        return None;
    }
    // SAFETY: as above; the length and path registers have no side effect.
    let len = unsafe { ((base + REQUEST_LEN_OFFSET) as *const u64).read_volatile() } as usize;
    let len = len.min(REQUEST_PATH_MAX);
    for (i, chunk) in path.chunks_mut(8).enumerate().take(len.div_ceil(8)) {
        // SAFETY: as above, 8-byte reads inside the path window.
        let w =
            unsafe { ((base + REQUEST_PATH_OFFSET + 8 * i as u64) as *const u64).read_volatile() };
        chunk.copy_from_slice(&w.to_le_bytes());
    }
    Some((id, len))
}

/// Text bytes of one reply record (after its four words).
const REPLY_CHUNK: usize = (WORDS - 4) * 8;

/// Answers request `id`: the file's bytes in records of [`REPLY_CHUNK`] bytes (words: id,
/// offset, total length, errno 0), or one record with the errno and no text.
pub fn reply(id: u64, answer: Result<&[u8], u64>) {
    match answer {
        Err(errno) => send_from(kind::PROC_REPLY, current(), &[id, 0, 0, errno], &[]),
        Ok(bytes) => {
            let total = bytes.len() as u64;
            let mut off = 0;
            loop {
                let end = (off + REPLY_CHUNK).min(bytes.len());
                send_from(
                    kind::PROC_REPLY,
                    current(),
                    &[id, off as u64, total, 0],
                    &bytes[off..end],
                );
                off = end;
                if off >= bytes.len() {
                    break;
                }
            }
        }
    }
}
