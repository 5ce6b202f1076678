//! The background compiler: a thread that owns a [`Compiler`] and compiles the regions the
//! emulating thread asks for, while that thread goes on running the code there with the
//! block engine. The machine has a core to spare for it (the emulator itself is one
//! thread), and compiling was a tenth to a fifth of a run's host time.
//!
//! **Requests** carry everything compiling reads, by value: the entry pc, the kind of data
//! access, and a copy of the fetch page's decoded slots (`Insn` is plain data; 32 KiB,
//! copied in a few microseconds against the millisecond a region takes to compile). The
//! fast tables' layout is a constant (`mmu::fast::ENTRY_LAYOUT`), and compiled code finds
//! their addresses in `JitCtx` at each call. Nothing of the hart is shared, so the worker
//! needs no lock.
//!
//! **Order.** The worker compiles the newest request it holds first: when it has fallen
//! behind (a program's start asks for a thousand regions, each taking about a millisecond),
//! the newest requests are for the code running now, the oldest often for code a finished
//! phase ran (measured on SQLite: the entries hit while pending, and the run, fell by a
//! little; first-come order left the current phase interpreted behind the old requests).
//!
//! **Results** come back in compiling order, each with its [`Ticket`]: which entry asked,
//! and the identity of that page's entry table then. Meanwhile the entry says
//! [`JIT_PENDING`](crate::hart::icache::JIT_PENDING), and a result is installed only if it
//! still does in the same table (`ICache::jit_pending_entry`): a store into the page's code
//! or an emptied cache made it stale, and its code stays unused in the module until the
//! next flush. The emulating thread looks for results without blocking, only while some
//! are outstanding ([`Worker::pending`]).
//!
//! **Flushing** (all compiled code dropped at the JIT's caps) is synchronous: the emulating
//! thread raises the flush generation, which makes the worker skip the requests made before
//! it, then sends a flush and waits for its acknowledgement, dropping the results that come
//! before it. Once it returns, no code from before is installed, running or due to arrive.
//!
//! Cranelift's `JITModule` is made in the thread and never leaves it. Its code memory is
//! freed by a flush, or when the thread ends because the JIT dropped its end of the order
//! channel ([`Worker`]'s `Drop`, which waits for that). If the thread panics instead, the
//! module is dropped without being freed (cranelift-jit leaks finalized code on drop), so
//! the regions already installed stay valid; the JIT then compiles on the emulating thread.

use super::compile::Compiler;
use super::RegionCode;
use crate::hart::decode::Insn;
use crate::hart::DataPath;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{self, Receiver, RecvError, Sender, TryRecvError};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Instant;

/// Which entry a request is for, as it was when the request was made; returned with the
/// result.
#[derive(Clone, Copy, Debug)]
pub(super) struct Ticket {
    /// The entry's pc (on the region's virtual page).
    pub pc: u64,
    /// The data context to compile for (`Hart::data_path`).
    pub data: DataPath,
    /// The RAM frame of the page and the identity of its entry table
    /// (`ICache::jit_fetch_page`).
    pub frame: u32,
    pub table: u64,
}

struct Request {
    ticket: Ticket,
    /// The page's decoded slots, one per parcel.
    slots: Box<[Insn]>,
    /// The flush generation it was made in.
    generation: u64,
}

enum Order {
    Compile(Request),
    /// Free all compiled code, then say so.
    Flush,
}

/// A request's outcome: `Compiler::compile`'s, and the host microseconds it took.
pub(super) struct Done {
    pub ticket: Ticket,
    pub result: Result<Option<(RegionCode, usize)>, String>,
    pub micros: u64,
}

enum Reply {
    /// The thread has its compiler (the first reply).
    Started,
    Done(Done),
    Flushed,
}

/// What [`Worker::poll`] and [`Worker::wait`] found.
pub(super) enum Answer {
    Done(Done),
    /// Nothing yet (`poll` only).
    NotYet,
    /// The thread has ended (it panicked): nothing more will come.
    Gone,
}

/// The emulating thread's end of the worker.
pub(super) struct Worker {
    /// None only while dropping.
    orders: Option<Sender<Order>>,
    replies: Receiver<Reply>,
    /// Replies the thread has sent (raised once more when it ends), and those taken from
    /// the channel: while equal, [`Worker::poll`] need not look at the channel, whose
    /// `try_recv` costs far more than one load (it was 1% of SQLite's run, polled at each
    /// entry of a pending region).
    sent: Arc<AtomicU64>,
    taken: u64,
    /// Raised at each flush; the worker skips requests made in an older one.
    generation: Arc<AtomicU64>,
    thread: Option<JoinHandle<()>>,
    /// Requests made since the last flush and not answered yet.
    pub pending: u32,
}

impl Worker {
    /// Starts the thread and waits until it has its compiler. None when it could not be
    /// started or could make no compiler (the caller then compiles on its own thread, and
    /// reports the error making one there gives).
    pub(super) fn start() -> Option<Worker> {
        let (orders, their_orders) = mpsc::channel();
        let (their_replies, replies) = mpsc::channel();
        let generation = Arc::new(AtomicU64::new(0));
        let sent = Arc::new(AtomicU64::new(0));
        let (theirs, their_sent) = (Arc::clone(&generation), Arc::clone(&sent));
        let spawned = std::thread::Builder::new()
            .name("rvmmu-jit".into())
            .spawn(move || {
                let _ended = Ended(their_sent.clone());
                let replies = Replies {
                    channel: their_replies,
                    sent: their_sent,
                };
                serve(their_orders, replies, theirs)
            });
        let thread = match spawned {
            Ok(t) => t,
            Err(e) => {
                log::warn!("the JIT compiles on the emulating thread: no thread for it: {e}");
                return None;
            }
        };
        let mut w = Worker {
            orders: Some(orders),
            replies,
            sent,
            taken: 0,
            generation,
            thread: Some(thread),
            pending: 0,
        };
        match w.recv() {
            Ok(Reply::Started) => Some(w),
            _ => {
                // The thread made no compiler and ended; `Drop` joins it.
                w.orders = None;
                None
            }
        }
    }

    /// Asks for the region entered at `ticket.pc`, compiled from `slots` (the page's, one
    /// per parcel). False when the thread has ended.
    pub(super) fn request(&mut self, ticket: Ticket, slots: &[Insn]) -> bool {
        let request = Request {
            ticket,
            slots: slots.into(),
            generation: self.generation.load(Ordering::Relaxed),
        };
        let sent = self
            .orders
            .as_ref()
            .is_some_and(|o| o.send(Order::Compile(request)).is_ok());
        self.pending += sent as u32;
        sent
    }

    /// The next result if one has come, without blocking.
    pub(super) fn poll(&mut self) -> Answer {
        if self.sent.load(Ordering::Acquire) == self.taken {
            return Answer::NotYet;
        }
        match self.replies.try_recv() {
            Ok(reply) => {
                self.taken += 1;
                self.answer(reply)
            }
            Err(TryRecvError::Empty) => Answer::NotYet,
            Err(TryRecvError::Disconnected) => Answer::Gone,
        }
    }

    /// The next result, waiting for it (there must be one pending).
    pub(super) fn wait(&mut self) -> Answer {
        match self.recv() {
            Ok(reply) => self.answer(reply),
            Err(RecvError) => Answer::Gone,
        }
    }

    /// The next reply, waiting for it.
    fn recv(&mut self) -> Result<Reply, RecvError> {
        let reply = self.replies.recv()?;
        self.taken += 1;
        Ok(reply)
    }

    fn answer(&mut self, reply: Reply) -> Answer {
        match reply {
            Reply::Done(d) => {
                self.pending = self.pending.saturating_sub(1);
                Answer::Done(d)
            }
            // Neither comes outside `start` and `flush`, which wait for them.
            Reply::Started | Reply::Flushed => Answer::NotYet,
        }
    }

    /// Has the thread free all compiled code, and waits until it has: every request made
    /// before is dropped, answered or not. Returns the answers that came meanwhile (for
    /// the statistics: their code is gone). The caller guarantees no compiled code runs,
    /// and drops every region it installed.
    pub(super) fn flush(&mut self) -> Vec<Done> {
        // Requests still queued need not be compiled: the thread skips them. (Relaxed is
        // enough: a request it compiles anyway is answered before the flush, and dropped
        // below.)
        self.generation.fetch_add(1, Ordering::Relaxed);
        self.pending = 0;
        let mut dropped = Vec::new();
        if self
            .orders
            .as_ref()
            .is_some_and(|o| o.send(Order::Flush).is_ok())
        {
            // Replies come in order: those before the acknowledgement hold code from
            // before the flush; none after it does.
            while let Ok(reply) = self.recv() {
                match reply {
                    Reply::Done(d) => dropped.push(d),
                    Reply::Flushed => break,
                    Reply::Started => {}
                }
            }
        }
        // Else the thread has ended: its code stays (leaked, see the module text), and the
        // next poll finds it gone.
        dropped
    }
}

impl Drop for Worker {
    fn drop(&mut self) {
        // Closing the order channel ends the thread's loop; it then frees its code, which
        // the JIT, being dropped, will never call again. Waiting for it keeps a thread from
        // outliving its machine. (A thread that panicked has ended already: nothing to
        // report here, the JIT said so when it noticed.) The requests still queued are
        // skipped: the channel hands them out even after it is closed.
        self.generation.fetch_add(1, Ordering::Relaxed);
        self.orders = None;
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// The thread's end of the replies: each one sent is counted (`Worker::sent`).
struct Replies {
    channel: Sender<Reply>,
    sent: Arc<AtomicU64>,
}

impl Replies {
    fn send(&self, reply: Reply) -> Result<(), mpsc::SendError<Reply>> {
        self.channel.send(reply)?;
        self.sent.fetch_add(1, Ordering::Release);
        Ok(())
    }
}

/// Raises `Worker::sent` once more when the thread ends, however it ends, so that the
/// next poll looks at the channel and finds it closed.
struct Ended(Arc<AtomicU64>);

impl Drop for Ended {
    fn drop(&mut self) {
        self.0.fetch_add(1, Ordering::Release);
    }
}

/// The thread: compiles what it is asked, newest first, until the JIT drops its end.
fn serve(orders: Receiver<Order>, replies: Replies, generation: Arc<AtomicU64>) {
    batch_scheduling();
    let Ok(mut compiler) = Compiler::new() else {
        // `Worker::start` sees the channel close, and the JIT makes its own compiler,
        // which fails the same way and says why.
        return;
    };
    if replies.send(Reply::Started).is_err() {
        return;
    }
    // The requests received and not yet compiled: the newest is compiled first.
    let mut queue: Vec<Request> = Vec::new();
    'serve: loop {
        // Every order that has come (waiting for one when there is nothing to do). A
        // flush drops the requests made before it.
        let first = if queue.is_empty() {
            match orders.recv() {
                Ok(order) => Some(order),
                Err(_) => break,
            }
        } else {
            None
        };
        for order in first.into_iter().chain(orders.try_iter()) {
            match order {
                Order::Compile(r) => queue.push(r),
                Order::Flush => {
                    // The emulating thread waits for the reply, running no compiled code.
                    queue.clear();
                    compiler.free_all();
                    if replies.send(Reply::Flushed).is_err() {
                        break 'serve;
                    }
                }
            }
        }
        let Some(r) = queue.pop() else {
            continue;
        };
        if r.generation != generation.load(Ordering::Relaxed) {
            // Made before a flush (or the JIT is being dropped): nobody wants it.
            continue;
        }
        let start = Instant::now();
        let slots = &r.slots;
        let result = compiler.compile(r.ticket.pc, r.ticket.data, |at| {
            slots[((at & 0xfff) >> 1) as usize]
        });
        let reply = Reply::Done(Done {
            ticket: r.ticket,
            result,
            micros: start.elapsed().as_micros() as u64,
        });
        if replies.send(reply).is_err() {
            break;
        }
    }
    // The JIT dropped its end of the channel (or of the replies): it is being dropped, and
    // none of this code will run again.
    compiler.free();
}

/// Asks Linux to schedule this thread as a batch job: its fair share of the CPU, but no
/// preempting another thread when it wakes. Each request wakes it, and where no core is
/// idle it would otherwise often take the emulating thread's core at once. (Measured on a
/// host loaded by another build: SQLite 1-3% faster, within the noise; nothing else changes
/// if the call fails, or on other hosts.)
fn batch_scheduling() {
    #[cfg(target_os = "linux")]
    {
        let param = libc::sched_param { sched_priority: 0 };
        // SAFETY: plain system call on the calling thread (pid 0), with a valid parameter.
        let r = unsafe { libc::sched_setscheduler(0, libc::SCHED_BATCH, &param) };
        if r != 0 {
            log::debug!("jit: no batch scheduling for the compiler thread");
        }
    }
}
