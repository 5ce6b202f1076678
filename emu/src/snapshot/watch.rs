//! Running a machine until something happens to a process, from the kernel's event records
//! (docs/TRACING.md, "The kernel event channel"): a [`Watcher`] is an observer that keeps
//! the processes' names and address spaces and stops the machine ([`Flow::Stop`]) when a
//! [`Until`] it was given matches. The machine stops right after the record's doorbell
//! store, so what is inspected then (a [`super::HardwareView`]) is the state at that event.
//!
//! It also collects the kernel's answers to /proc requests ([`proc_file`]).

use crate::kevent::{Ctx, Event, Flow, Observer};
use crate::machine::{Exit, Machine};
use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard};

/// exit and exit_group (riscv64's generic numbers).
const SYS_EXIT: u64 = 93;
const SYS_EXIT_GROUP: u64 = 94;
/// write and writev.
const SYS_WRITE: u64 = 64;
const SYS_WRITEV: u64 = 66;

/// A process: by pid, or by the name of the program it runs (the file name of its exec
/// path, or the whole path).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Proc {
    Pid(u32),
    Name(String),
}

impl From<u32> for Proc {
    fn from(p: u32) -> Proc {
        Proc::Pid(p)
    }
}

impl From<&str> for Proc {
    /// A number is a pid, anything else a name.
    fn from(s: &str) -> Proc {
        match s.parse() {
            Ok(p) => Proc::Pid(p),
            Err(_) => Proc::Name(s.to_string()),
        }
    }
}

/// What to run until. `None` as the process means any process.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Until {
    /// System call `nr` (riscv64's numbers) entered: the machine stops before the kernel
    /// carries it out.
    Syscall { nr: u64, proc: Option<Proc> },
    /// A read from the console that finds no input and waits (getchar() with an empty
    /// line): the process is asleep in read(2).
    ConsoleRead(Option<Proc>),
    /// A page fault whose address is in the page of `va`, once the kernel has handled it
    /// (its end record: the new mapping is in place, or the process got SIGSEGV).
    Fault { va: u64, proc: Option<Proc> },
    /// The process's exit: its exit or exit_group system call, before the kernel takes its
    /// address space down (or, killed by a signal, its exit record, when the space is gone).
    Exit(Option<Proc>),
    /// `text` appears in the console output, looked for after each write(2)/writev(2)
    /// completes, from where the last match of this kind ended (the start at first). Needs
    /// a captured console.
    Output(String),
}

/// A process as the kernel's records described it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProcInfo {
    pub pid: u32,
    /// The program's path (a forked child has its parent's until it executes another).
    pub path: String,
    /// satp of its address space.
    pub satp: u64,
    /// Its wait status, once it has exited.
    pub exited: Option<u64>,
}

impl ProcInfo {
    /// The file name of its program.
    pub fn name(&self) -> &str {
        self.path.rsplit('/').next().unwrap_or(&self.path)
    }

    fn is(&self, p: &Proc) -> bool {
        match p {
            Proc::Pid(n) => self.pid == *n,
            Proc::Name(s) => self.name() == s || self.path == *s,
        }
    }
}

/// A goal that matched.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Hit {
    /// Which goal ([`Watcher::watch`]'s number).
    pub goal: usize,
    /// The process the event was about.
    pub pid: u32,
    /// The kernel record that matched.
    pub event: Event,
    /// Instructions retired when it arrived.
    pub instret: u64,
}

#[derive(Default)]
struct Reply {
    data: Vec<u8>,
    errno: u64,
    done: bool,
}

/// What the watcher knows; shared between the observer in the machine and its owner.
#[derive(Default)]
pub struct Tracked {
    pub procs: BTreeMap<u32, ProcInfo>,
    goals: Vec<(usize, Until)>,
    hits: VecDeque<Hit>,
    replies: HashMap<u64, Reply>,
    waiting: Option<u64>,
    console: Option<Arc<Mutex<Vec<u8>>>>,
    output_from: usize,
}

impl Tracked {
    /// The live (not exited) process `p` names, the latest started when several do.
    pub fn find(&self, p: &Proc) -> Option<&ProcInfo> {
        self.procs
            .values()
            .rev()
            .find(|i| i.exited.is_none() && i.is(p))
    }

    fn matches(&self, proc: &Option<Proc>, pid: u32) -> bool {
        match proc {
            None => true,
            Some(p) => self.procs.get(&pid).is_some_and(|i| i.is(p)),
        }
    }

    fn goal_matches(&mut self, goal: &Until, ev: &Event, ctx: &mut Ctx<'_>) -> bool {
        match (goal, ev) {
            (Until::Syscall { nr, proc }, Event::SyscallEnter { pid, nr: n, .. }) => {
                n == nr && self.matches(proc, *pid)
            }
            (Until::ConsoleRead(proc), Event::ConsoleWait { pid }) => self.matches(proc, *pid),
            (Until::Fault { va, proc }, Event::FaultEnd { pid, va: at, .. }) => {
                at >> 12 == va >> 12 && self.matches(proc, *pid)
            }
            (Until::Exit(proc), Event::SyscallEnter { pid, nr, .. })
                if *nr == SYS_EXIT || *nr == SYS_EXIT_GROUP =>
            {
                self.matches(proc, *pid)
            }
            (Until::Exit(proc), Event::Exit { pid, .. }) => self.matches(proc, *pid),
            (Until::Output(text), Event::SyscallExit { nr, .. })
                if *nr == SYS_WRITE || *nr == SYS_WRITEV =>
            {
                ctx.flush_console();
                self.output_seen(text)
            }
            _ => false,
        }
    }

    /// Whether `text` is in the captured output after the last match; moves past it.
    fn output_seen(&mut self, text: &str) -> bool {
        let Some(buf) = &self.console else {
            return false;
        };
        let buf = buf.lock().unwrap_or_else(|p| p.into_inner());
        let from = self.output_from.min(buf.len());
        let needle = text.as_bytes();
        let found = buf[from..]
            .windows(needle.len().max(1))
            .position(|w| w == needle);
        match found {
            Some(at) => {
                self.output_from = from + at + needle.len();
                true
            }
            None => false,
        }
    }
}

/// The observer. Put it in the machine ([`Watcher::install`]) and keep the handle.
#[derive(Clone, Default)]
pub struct Watcher {
    shared: Arc<Mutex<Tracked>>,
}

impl Watcher {
    /// A watcher; `console` is the captured console output, for [`Until::Output`].
    pub fn new(console: Option<Arc<Mutex<Vec<u8>>>>) -> Watcher {
        let w = Watcher::default();
        w.state().console = console;
        w
    }

    /// Adds a copy of this watcher to `m`'s observers (first, so that it sees each event
    /// before the others).
    pub fn install(&self, m: &mut Machine) {
        m.observers.insert(0, Box::new(self.clone()));
    }

    /// What it knows.
    pub fn state(&self) -> MutexGuard<'_, Tracked> {
        self.shared.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Watches for `goal` (once: it is dropped when it matches) under number `id`.
    pub fn watch(&self, id: usize, goal: Until) {
        self.state().goals.push((id, goal));
    }

    /// Drops every goal.
    pub fn clear(&self) {
        self.state().goals.clear();
    }

    /// Whether `text` is already in the captured console output after the last
    /// [`Until::Output`] match (flush the console first); moves past it if so.
    pub fn output_seen(&self, text: &str) -> bool {
        self.state().output_seen(text)
    }

    /// The oldest hit not yet taken.
    pub fn take_hit(&self) -> Option<Hit> {
        self.state().hits.pop_front()
    }
}

impl Observer for Watcher {
    fn event(&mut self, ev: &Event, ctx: &mut Ctx<'_>) -> Flow {
        let mut t = self.state();
        match ev {
            Event::Exec { pid, satp, path } => {
                t.procs.insert(
                    *pid,
                    ProcInfo {
                        pid: *pid,
                        path: path.clone(),
                        satp: *satp,
                        exited: None,
                    },
                );
            }
            Event::Fork {
                parent,
                child,
                satp,
            } => {
                let path = t.procs.get(parent).map(|p| p.path.clone());
                t.procs.insert(
                    *child,
                    ProcInfo {
                        pid: *child,
                        path: path.unwrap_or_default(),
                        satp: *satp,
                        exited: None,
                    },
                );
            }
            Event::Switch { pid, satp } => {
                if let Some(p) = t.procs.get_mut(pid) {
                    p.satp = *satp;
                }
            }
            Event::ProcReply {
                id,
                offset,
                total,
                errno,
                data,
                ..
            } => {
                let r = t.replies.entry(*id).or_default();
                if *offset == r.data.len() as u64 {
                    r.data.extend_from_slice(data);
                }
                r.errno = *errno;
                r.done = *errno != 0 || r.data.len() as u64 >= *total;
                if r.done && t.waiting == Some(*id) {
                    t.waiting = None;
                    return Flow::Stop;
                }
            }
            _ => {}
        }
        let mut flow = Flow::Continue;
        {
            let goals = std::mem::take(&mut t.goals);
            let mut keep = Vec::with_capacity(goals.len());
            for (id, g) in goals {
                if t.goal_matches(&g, ev, ctx) {
                    t.hits.push_back(Hit {
                        goal: id,
                        pid: ev.pid(),
                        event: ev.clone(),
                        instret: ctx.instret,
                    });
                    flow = Flow::Stop;
                } else {
                    keep.push((id, g));
                }
            }
            t.goals = keep;
        }
        // After the goals: an exit goal matches the exit record of a process still known.
        if let Event::Exit { pid, status, .. } = ev {
            if let Some(p) = t.procs.get_mut(pid) {
                p.exited = Some(*status);
            }
        }
        flow
    }
}

/// Runs `m` until one of `w`'s goals matches (`Ok`, the hit) or the run ends (`Err`, how).
pub fn run_to_hit(m: &mut Machine, w: &Watcher) -> Result<Hit, Exit> {
    loop {
        if let Some(h) = w.take_hit() {
            return Ok(h);
        }
        match m.run() {
            Exit::Stopped => {}
            other => return Err(other),
        }
    }
}

/// Why [`proc_file`] has no text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ProcFileError {
    /// The kernel answered with this errno (2: no such file, 21: a directory).
    Errno(u64),
    /// The path is longer than the request register holds.
    TooLong,
    /// The run ended before the answer came.
    Ended(Exit),
}

impl std::fmt::Display for ProcFileError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ProcFileError::Errno(2) => write!(f, "no such file (ENOENT)"),
            ProcFileError::Errno(e) => write!(f, "the kernel answered errno {e}"),
            ProcFileError::TooLong => write!(f, "the path is too long for a request"),
            ProcFileError::Ended(e) => write!(f, "the run ended ({e:?}) before the answer"),
        }
    }
}

/// The /proc file at `path` as the kernel renders it, asked for through the event channel:
/// the machine runs until the kernel's next memory sample (at most one scheduler tick, 10 ms
/// of virtual time) takes the request and its answer has arrived. The guest spends the
/// instructions the rendering costs, as if a process had read the file. Goals that match
/// meanwhile are kept as hits ([`Watcher::take_hit`]) for afterwards, and the console's host input is held back (a
/// program in getchar() is still there when the answer comes; its input arrives up to one
/// tick later than in a run that asks nothing).
pub fn proc_file(m: &mut Machine, w: &Watcher, path: &str) -> Result<Vec<u8>, ProcFileError> {
    let id = m.bus.kevent.request(path).ok_or(ProcFileError::TooLong)?;
    // A process waiting for input goes on waiting until the answer is in.
    m.bus.hold_console_input(true);
    {
        w.state().waiting = Some(id);
    }
    let outcome = loop {
        let done = w.state().replies.get(&id).is_some_and(|r| r.done);
        if done {
            break Ok(());
        }
        match m.run() {
            Exit::Stopped => {}
            other => break Err(ProcFileError::Ended(other)),
        }
    };
    m.bus.hold_console_input(false);
    let mut t = w.state();
    t.waiting = None;
    outcome?;
    let r = t.replies.remove(&id).unwrap_or_default();
    if r.errno != 0 {
        return Err(ProcFileError::Errno(r.errno));
    }
    Ok(r.data)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bus::{Bus, BusConfig, Console, ConsoleInput};

    fn bus() -> Bus {
        Bus::new(BusConfig {
            ram_size: 1 << 20,
            bootargs: String::new(),
            initrd: None,
            console: Console::captured(ConsoleInput::None).0,
            disk: None,
        })
        .unwrap()
    }

    fn feed(w: &mut Watcher, bus: &mut Bus, ev: Event) -> Flow {
        let mut ctx = Ctx {
            instret: 7,
            steps: 7,
            clock: 7,
            satp: 0,
            pid: ev.pid(),
            bus,
            tracer: None,
        };
        w.event(&ev, &mut ctx)
    }

    #[test]
    fn processes_are_tracked_and_goals_fire_once() {
        let mut bus = bus();
        let mut w = Watcher::new(None);
        let exec = |pid, path: &str| Event::Exec {
            pid,
            satp: 0x8000_0000_0000_0100 + u64::from(pid),
            path: path.into(),
        };
        assert_eq!(feed(&mut w, &mut bus, exec(1, "/bin/sh")), Flow::Continue);
        let fork = Event::Fork {
            parent: 1,
            child: 2,
            satp: 0x8000_0000_0000_0200,
        };
        feed(&mut w, &mut bus, fork);
        assert_eq!(w.state().find(&Proc::Name("sh".into())).unwrap().pid, 2);
        feed(&mut w, &mut bus, exec(2, "/bin/malloc_1"));
        w.watch(3, Until::ConsoleRead(Some(Proc::Name("malloc_1".into()))));
        w.watch(4, Until::Exit(Some(Proc::Pid(1))));
        w.watch(
            5,
            Until::Fault {
                va: 0x1234,
                proc: None,
            },
        );
        // Not malloc_1's: nothing.
        let wait1 = Event::ConsoleWait { pid: 1 };
        assert_eq!(feed(&mut w, &mut bus, wait1), Flow::Continue);
        let wait2 = Event::ConsoleWait { pid: 2 };
        assert_eq!(feed(&mut w, &mut bus, wait2.clone()), Flow::Stop);
        let hit = w.take_hit().unwrap();
        assert_eq!((hit.goal, hit.pid, hit.instret), (3, 2, 7));
        assert_eq!(feed(&mut w, &mut bus, wait2), Flow::Continue, "once");
        let fault = |va| Event::FaultEnd {
            pid: 2,
            va,
            kind: crate::kevent::FaultKind::Minor,
            action: crate::kevent::FaultAction::ZeroFill,
        };
        assert_eq!(feed(&mut w, &mut bus, fault(0x2000)), Flow::Continue);
        assert_eq!(
            feed(&mut w, &mut bus, fault(0x1ff8)),
            Flow::Stop,
            "same page"
        );
        assert_eq!(w.take_hit().unwrap().goal, 5);
        let exit_group = Event::SyscallEnter {
            pid: 1,
            nr: 94,
            args: [0; 6],
        };
        assert_eq!(feed(&mut w, &mut bus, exit_group), Flow::Stop);
        assert_eq!(w.take_hit().unwrap().goal, 4);
        feed(
            &mut w,
            &mut bus,
            Event::Exit {
                pid: 2,
                status: 0,
                peak_rss: 0,
                minflt: 0,
                majflt: 0,
            },
        );
        assert!(w.state().find(&Proc::Pid(2)).is_none(), "exited");
        assert_eq!(w.state().procs[&2].exited, Some(0));
    }

    #[test]
    fn a_reply_in_pieces_stops_the_run_when_whole() {
        let mut bus = bus();
        let mut w = Watcher::new(None);
        w.state().waiting = Some(9);
        let part = |offset, data: &[u8]| Event::ProcReply {
            pid: 0,
            id: 9,
            offset,
            total: 5,
            errno: 0,
            data: data.to_vec(),
        };
        assert_eq!(feed(&mut w, &mut bus, part(0, b"abc")), Flow::Continue);
        assert_eq!(feed(&mut w, &mut bus, part(3, b"de")), Flow::Stop);
        let t = w.state();
        assert_eq!(t.replies[&9].data, b"abcde");
        assert!(t.waiting.is_none());
    }
}
