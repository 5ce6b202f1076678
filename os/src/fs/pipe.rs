//! Pipes: pipe2(59) makes a buffer with a read end and a write end, each a descriptor.
//!
//! A pipe holds up to [`CAPACITY`] bytes (Linux's default, 16 pages). Reading an empty pipe
//! sleeps while a write end is open anywhere and returns 0 (end of file) once none is;
//! writing to a full pipe sleeps while a read end is open; writing with no read end open is
//! EPIPE, and the writer is killed by SIGPIPE (the signal's default action, the only one
//! until signal handlers exist). Sleeping calls run again when the process wakes (see
//! `proc::sched`), so a write that finds room for only part of its bytes returns that
//! part (a short write, which stdio and write loops continue) instead of sleeping with
//! part of the call done.
//!
//! With O_NONBLOCK on the description (pipe2, fcntl F_SETFL), a call that would sleep fails
//! with EAGAIN instead; a nonblocking write of at most [`PIPE_BUF`] bytes is all or nothing
//! (EAGAIN unless all of it fits), a longer one writes what fits.
//!
//! Each end counts the open file descriptions on it (one per end: pipe2 makes them, and
//! dup, dup3, fcntl(F_DUPFD) and fork share them, see [`super::files::OpenFile`]). A
//! description goes when the last descriptor referring to it closes (close, exec's
//! close-on-exec, a process's end), and its end counts one fewer; the last of either end
//! wakes the sleepers of the other.

use crate::errno::Errno;
use crate::proc::Process;
use crate::syscall::SysResult;
use alloc::collections::{BTreeMap, VecDeque};
use mm_core::VirtAddr;
use spin::Mutex;

/// Bytes a pipe holds (Linux's default pipe size, 16 pages).
pub const CAPACITY: usize = 16 * 4096;

/// Writes of up to this many bytes are atomic (Linux's PIPE_BUF, one page).
pub const PIPE_BUF: usize = 4096;

struct Pipe {
    buf: VecDeque<u8>,
    readers: u32,
    writers: u32,
}

struct Pipes {
    open: BTreeMap<u32, Pipe>,
    next_id: u32,
}

static PIPES: Mutex<Pipes> = Mutex::new(Pipes {
    open: BTreeMap::new(),
    next_id: 1,
});

/// A new pipe with one open file description on each end; its id.
pub fn create() -> u32 {
    let mut t = PIPES.lock();
    let id = t.next_id;
    t.next_id = t.next_id.wrapping_add(1).max(1);
    t.open.insert(
        id,
        Pipe {
            buf: VecDeque::new(),
            readers: 1,
            writers: 1,
        },
    );
    id
}

/// One open file description fewer on an end of pipe `id`; the last of an end wakes the other end's
/// sleepers, the last of both frees the pipe.
pub fn release(id: u32, write: bool) {
    let wake = {
        let mut t = PIPES.lock();
        let Some(p) = t.open.get_mut(&id) else {
            return;
        };
        let count = if write {
            &mut p.writers
        } else {
            &mut p.readers
        };
        *count = count.saturating_sub(1);
        let last = *count == 0;
        if p.readers == 0 && p.writers == 0 {
            t.open.remove(&id);
        }
        last
    };
    if wake {
        crate::proc::wake(crate::proc::Wait::Pipe(id));
    }
}

/// Bytes waiting in pipe `id` (ioctl FIONREAD).
pub fn queued(id: u32) -> usize {
    PIPES.lock().open.get(&id).map_or(0, |p| p.buf.len())
}

/// Pipe `id`'s state for poll: bytes queued, room left, read ends and write ends open.
pub fn poll_state(id: u32) -> (usize, usize, u32, u32) {
    PIPES.lock().open.get(&id).map_or((0, 0, 0, 0), |p| {
        (p.buf.len(), CAPACITY - p.buf.len(), p.readers, p.writers)
    })
}

/// The system call's answer when nothing can move yet: the process sleeps on pipe `id`
/// and the call runs again when it wakes.
fn wait_on(p: &mut Process, id: u32) -> SysResult {
    p.sleep_on = Some(crate::proc::Wait::Pipe(id));
    Err(Errno::ERESTARTSYS)
}

/// read(2) on the read end of pipe `id`: up to `len` bytes into `buf`. Returns the bytes
/// read (0: end of file), -EFAULT, or while the pipe is empty the sleep ([`wait_on`]), or
/// -EAGAIN when `nonblock`.
pub fn read(p: &mut Process, id: u32, buf: VirtAddr, len: u64, nonblock: bool) -> SysResult {
    if len == 0 {
        return Ok(0);
    }
    let mut chunk = [0u8; 512];
    let mut done = 0usize;
    let mut fault = false;
    while (done as u64) < len {
        let n = {
            let mut t = PIPES.lock();
            let Some(pipe) = t.open.get_mut(&id) else {
                break;
            };
            if pipe.buf.is_empty() {
                if done == 0 && pipe.writers > 0 {
                    return if nonblock {
                        Err(Errno::EAGAIN)
                    } else {
                        wait_on(p, id)
                    };
                }
                break;
            }
            let n = pipe
                .buf
                .len()
                .min(chunk.len())
                .min((len - done as u64) as usize);
            for (dst, src) in chunk[..n].iter_mut().zip(pipe.buf.drain(..n)) {
                *dst = src;
            }
            n
        };
        // A bad buffer loses the bytes just taken from the pipe, as on Linux (its
        // copy_page_to_iter has consumed them when the fault is found); the room they
        // leave still wakes the writers below.
        if p.space.copy_out(buf.add(done as u64), &chunk[..n]).is_err() {
            fault = true;
            break;
        }
        done += n;
    }
    if done > 0 || fault {
        crate::proc::wake(crate::proc::Wait::Pipe(id));
    }
    if fault && done == 0 {
        Err(Errno::EFAULT)
    } else {
        Ok(done as i64)
    }
}

/// write(2) on the write end of pipe `id`: up to `len` bytes from `buf`, as many as fit.
/// Returns the bytes written, -EPIPE (no reader; the caller sends SIGPIPE), -EFAULT, or while
/// the pipe is full the sleep ([`wait_on`]), or -EAGAIN when `nonblock` (also when a write of
/// at most [`PIPE_BUF`] bytes does not fit whole).
pub fn write(p: &mut Process, id: u32, buf: VirtAddr, len: u64, nonblock: bool) -> SysResult {
    let mut chunk = [0u8; 512];
    let mut done = 0usize;
    loop {
        let (room, readers) = PIPES
            .lock()
            .open
            .get(&id)
            .map_or((0, 0), |p| (CAPACITY - p.buf.len(), p.readers));
        if readers == 0 {
            // Nobody to wake: the bytes written so far, or EPIPE.
            return if done > 0 {
                Ok(done as i64)
            } else {
                Err(Errno::EPIPE)
            };
        }
        if done as u64 == len {
            break;
        }
        if done == 0 && nonblock && (room == 0 || (len as usize <= PIPE_BUF && room < len as usize))
        {
            return Err(Errno::EAGAIN);
        }
        if room == 0 {
            if done == 0 {
                return wait_on(p, id);
            }
            break;
        }
        let n = room.min(chunk.len()).min((len - done as u64) as usize);
        if p.space
            .copy_in(buf.add(done as u64), &mut chunk[..n])
            .is_err()
        {
            if done == 0 {
                return Err(Errno::EFAULT);
            }
            break;
        }
        if let Some(pipe) = PIPES.lock().open.get_mut(&id) {
            pipe.buf.extend(&chunk[..n]);
        }
        done += n;
    }
    if done > 0 {
        crate::proc::wake(crate::proc::Wait::Pipe(id));
    }
    Ok(done as i64)
}
