//! The observers `rvmmu run` uses: kernel log lines on stderr ([`KernelStderr`]) and the
//! `--trace syscalls,faults,reclaim` records ([`EventTrace`]); docs/TRACING.md documents
//! every line format.

use super::*;
use crate::strace::{self, Pending};
use crate::trace::{push_json_escaped, Format};
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io::Write as _;

/// Writes kernel log lines at or above a level to stderr, as the kernel would have
/// printed them on its console (`LEVEL module: message`).
pub struct KernelStderr {
    pub max: Level,
}

impl Observer for KernelStderr {
    fn event(&mut self, ev: &Event, ctx: &mut Ctx<'_>) -> Flow {
        if let Event::Log {
            level, bare, text, ..
        } = ev
        {
            if *level <= self.max {
                ctx.flush_console();
                crate::progress::clear();
                let mut e = std::io::stderr().lock();
                let _ = writeln!(e, "{}", log_line(*level, *bare, text));
            }
        }
        Flow::Continue
    }
}

/// A kernel log line as its console shows it (no newline).
pub fn log_line(level: Level, bare: bool, text: &str) -> String {
    if bare {
        text.to_string()
    } else {
        format!("{:<5} {}", level.name(), text)
    }
}

/// What [`EventTrace`] writes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TraceKinds {
    pub syscalls: bool,
    pub faults: bool,
    pub reclaim: bool,
}

impl TraceKinds {
    pub fn any(self) -> bool {
        self.syscalls || self.faults || self.reclaim
    }
}

/// Turns kernel events into trace records, written to the run's trace output.
pub struct EventTrace {
    kinds: TraceKinds,
    format: Format,
    pid: Option<u32>,
    /// System calls entered and not yet returned, by pid: the number and arguments, the
    /// decoder's state and whether their `<unfinished ...>` line was written.
    pending: BTreeMap<u32, (u64, [u64; 6], Pending, bool)>,
    /// Faults begun, by pid: va, access, user, instret at the beginning.
    faults: BTreeMap<u32, (u64, FaultAccess, bool, u64)>,
}

impl EventTrace {
    /// A trace of `kinds` in `format`, of process `pid` only when given.
    pub fn new(kinds: TraceKinds, format: Format, pid: Option<u32>) -> EventTrace {
        EventTrace {
            kinds,
            format,
            pid,
            pending: BTreeMap::new(),
            faults: BTreeMap::new(),
        }
    }

    fn wanted(&self, pid: u32) -> bool {
        self.pid.is_none_or(|p| p == pid)
    }

    /// The `<unfinished ...>` lines of other processes' calls before a line of `pid`.
    fn interrupt_others(&mut self, pid: u32, out: &mut Vec<String>) {
        if self.format != Format::Text {
            return;
        }
        for (&p, (_, _, call, shown)) in self.pending.iter_mut() {
            if p != pid && !*shown {
                *shown = true;
                out.push(format!(
                    "[pid {p}] {}{}",
                    call.unfinished(),
                    strace::UNFINISHED
                ));
            }
        }
    }

    fn syscall(&mut self, ev: &Event, ctx: &mut Ctx<'_>, out: &mut Vec<String>) {
        match ev {
            Event::SyscallEnter { pid, nr, args } => {
                if self.pending.get(pid).is_some_and(|(n, ..)| n == nr) {
                    return; // the same call again after a sleep: still one call
                }
                let call = strace::enter(*nr, *args, &mut ctx.mem());
                self.pending.insert(*pid, (*nr, *args, call, false));
            }
            Event::SyscallExit { pid, nr, ret } => {
                let Some((_, args, mut call, shown)) = self.pending.remove(pid) else {
                    return;
                };
                if !shown && !call.inputs_read() {
                    // An input in a page not yet touched at entry: the call itself has
                    // faulted it in by now.
                    call = strace::enter(*nr, args, &mut ctx.mem());
                }
                match self.format {
                    Format::Text => {
                        self.interrupt_others(*pid, out);
                        let line = if shown {
                            call.resumed(*ret, &mut ctx.mem())
                        } else {
                            call.finish(*ret, &mut ctx.mem())
                        };
                        out.push(format!("[pid {pid}] {line}"));
                    }
                    Format::Json => {
                        let parts = call.finish_parts(*ret, &mut ctx.mem());
                        let mut j = format!(
                            "{{\"type\":\"syscall\",\"instret\":{},\"pid\":{pid},\"nr\":{nr},\"ret\":{ret},\"call\":{},\"line\":",
                            ctx.instret,
                            parts.json()
                        );
                        json_str(&mut j, &parts.line());
                        j.push('}');
                        out.push(j);
                    }
                }
            }
            Event::Exit { pid, status, .. } => {
                let what = if status & 0x7f == 0 {
                    format!("exited with {}", (status >> 8) & 0xff)
                } else {
                    format!("killed by signal {}", status & 0x7f)
                };
                match self.format {
                    Format::Text => {
                        self.interrupt_others(*pid, out);
                        if let Some((_, _, call, shown)) = self.pending.remove(pid) {
                            // A call that never returned (exit_group, or a kill while
                            // it slept): strace ends its line with `= ?`.
                            let line = if shown {
                                call.resumed(0, &mut ctx.mem())
                            } else {
                                call.finish(0, &mut ctx.mem())
                            };
                            let head = line.rsplit_once(" = ").map_or(&line[..], |(h, _)| h);
                            out.push(format!("[pid {pid}] {head} = ?"));
                        }
                        out.push(format!("[pid {pid}] +++ {what} +++"));
                    }
                    Format::Json => {
                        self.pending.remove(pid);
                        out.push(format!(
                            "{{\"type\":\"exit\",\"instret\":{},\"pid\":{pid},\"status\":{status}}}",
                            ctx.instret
                        ));
                    }
                }
            }
            _ => {}
        }
    }

    fn fault(&mut self, ev: &Event, ctx: &Ctx<'_>, out: &mut Vec<String>) {
        match ev {
            Event::FaultBegin {
                pid,
                va,
                access,
                user,
            } => {
                self.faults.insert(*pid, (*va, *access, *user, ctx.instret));
            }
            Event::FaultEnd {
                pid,
                va,
                kind,
                action,
            } => {
                let Some((bva, access, user, at)) = self.faults.remove(pid) else {
                    return;
                };
                let va = if bva == *va { *va } else { bva };
                let cost = ctx.instret.saturating_sub(at);
                let who = if user { "user" } else { "kernel" };
                out.push(match self.format {
                    Format::Text => format!(
                        "[pid {pid}] fault {va:#x} {} {who}: {} {}, {cost} insns",
                        access.name(),
                        kind.name(),
                        action.name()
                    ),
                    Format::Json => format!(
                        "{{\"type\":\"fault\",\"instret\":{},\"pid\":{pid},\"va\":\"{va:#x}\",\"access\":\"{}\",\"user\":{user},\"kind\":\"{}\",\"action\":\"{}\",\"insns\":{cost}}}",
                        ctx.instret,
                        access.name(),
                        kind.name(),
                        action.name()
                    ),
                });
            }
            _ => {}
        }
    }

    fn reclaim(&self, ev: &Event, ctx: &Ctx<'_>, out: &mut Vec<String>) {
        let json = self.format == Format::Json;
        let marks_text = |m: &Watermarks| {
            format!(
                "free={} min={} low={} high={}",
                m.free, m.min, m.low, m.high
            )
        };
        let marks_json = |m: &Watermarks| {
            format!(
                "\"free\":{},\"min\":{},\"low\":{},\"high\":{}",
                m.free, m.min, m.low, m.high
            )
        };
        let head = |t: &str, pid: u32| {
            format!(
                "{{\"type\":\"{t}\",\"instret\":{},\"pid\":{pid}",
                ctx.instret
            )
        };
        let line = match ev {
            Event::KswapdWake { pid, marks } | Event::KswapdSleep { pid, marks } => {
                let what = if matches!(ev, Event::KswapdWake { .. }) {
                    "wake"
                } else {
                    "sleep"
                };
                if json {
                    format!(
                        "{},{}}}",
                        head(&format!("kswapd_{what}"), *pid),
                        marks_json(marks)
                    )
                } else {
                    format!("kswapd {what} {}", marks_text(marks))
                }
            }
            Event::DirectReclaimBegin { pid, marks } => {
                if json {
                    format!(
                        "{},{}}}",
                        head("direct_reclaim_begin", *pid),
                        marks_json(marks)
                    )
                } else {
                    format!("[pid {pid}] direct reclaim begin {}", marks_text(marks))
                }
            }
            Event::DirectReclaimEnd { pid, reclaimed } => {
                if json {
                    format!(
                        "{},\"reclaimed\":{reclaimed}}}",
                        head("direct_reclaim_end", *pid)
                    )
                } else {
                    format!("[pid {pid}] direct reclaim end reclaimed={reclaimed}")
                }
            }
            Event::ReclaimPass { pid, direct, lists } => {
                let by = if *direct { "direct" } else { "kswapd" };
                if json {
                    let mut j =
                        format!("{},\"by\":\"{by}\",\"lists\":[", head("reclaim_pass", *pid));
                    for (i, l) in lists.iter().enumerate() {
                        let _ = write!(
                            j,
                            "{}{{\"list\":\"{}\",\"scanned\":{},\"reclaimed\":{}}}",
                            if i > 0 { "," } else { "" },
                            l.list.name(),
                            l.scanned,
                            l.reclaimed
                        );
                    }
                    j.push_str("]}");
                    j
                } else {
                    let parts: Vec<String> = lists
                        .iter()
                        .map(|l| {
                            format!(
                                "{} scanned={} reclaimed={}",
                                l.list.name(),
                                l.scanned,
                                l.reclaimed
                            )
                        })
                        .collect();
                    if parts.is_empty() {
                        format!("reclaim pass {by}: nothing scanned")
                    } else {
                        format!("reclaim pass {by}: {}", parts.join(", "))
                    }
                }
            }
            Event::SwapOut {
                pid,
                owner,
                va,
                slot,
            }
            | Event::SwapIn {
                pid,
                owner,
                va,
                slot,
            } => {
                let what = if matches!(ev, Event::SwapOut { .. }) {
                    "out"
                } else {
                    "in"
                };
                if json {
                    format!(
                        "{},\"owner\":{owner},\"va\":\"{va:#x}\",\"slot\":{slot}}}",
                        head(&format!("swap_{what}"), *pid)
                    )
                } else {
                    match owner {
                        0 => format!("swap-{what} va {va:#x} slot {slot}"),
                        _ => format!("swap-{what} pid {owner} va {va:#x} slot {slot}"),
                    }
                }
            }
            Event::OomCandidate {
                pid,
                candidate,
                points,
                adj,
            } => {
                if json {
                    format!(
                        "{},\"candidate\":{candidate},\"points\":{points},\"adj\":{adj}}}",
                        head("oom_candidate", *pid)
                    )
                } else {
                    format!("oom: candidate pid {candidate} points {points} adj {adj}")
                }
            }
            Event::OomKill {
                pid,
                victim,
                points,
                rss,
                name,
            } => {
                if json {
                    let mut j = format!(
                        "{},\"victim\":{victim},\"points\":{points},\"rss\":{rss},\"name\":",
                        head("oom_kill", *pid)
                    );
                    json_str(&mut j, name);
                    j.push('}');
                    j
                } else {
                    format!("oom: kill pid {victim} ({name}) points {points} rss {rss} pages")
                }
            }
            _ => return,
        };
        out.push(line);
    }
}

fn json_str(out: &mut String, s: &str) {
    let mut b = Vec::new();
    push_json_escaped(&mut b, s);
    out.push('"');
    out.push_str(&String::from_utf8_lossy(&b));
    out.push('"');
}

impl Observer for EventTrace {
    fn event(&mut self, ev: &Event, ctx: &mut Ctx<'_>) -> Flow {
        if !self.wanted(ev.pid()) {
            return Flow::Continue;
        }
        let mut out = Vec::new();
        match ev {
            Event::SyscallEnter { .. } | Event::SyscallExit { .. } | Event::Exit { .. }
                if self.kinds.syscalls =>
            {
                self.syscall(ev, ctx, &mut out)
            }
            Event::FaultBegin { .. } | Event::FaultEnd { .. } if self.kinds.faults => {
                self.fault(ev, ctx, &mut out)
            }
            _ if self.kinds.reclaim => self.reclaim(ev, ctx, &mut out),
            _ => {}
        }
        if let Some(t) = ctx.tracer() {
            for l in &out {
                t.line(l);
            }
        }
        Flow::Continue
    }
}
