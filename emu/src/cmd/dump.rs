//! `rvmmu run --dump-pt PID@EVENT`: a process's page tables as the MMU sees them and its
//! /proc/PID/maps as the kernel renders it, at an event of the run (docs/MMU.md,
//! "Per-process snapshots").

use rvmmu::machine::Machine;
use rvmmu::snapshot::watch::{self, Proc, Until, Watcher};
use rvmmu::snapshot::HardwareView;

/// Where a dump is taken.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum At {
    /// A watched event of the process.
    Event(Until),
    /// After this many instructions (retired or trapped).
    Insns(u64),
}

/// One `--dump-pt PID@EVENT`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DumpPoint {
    /// As given, for the report's header.
    pub spec: String,
    pub proc: Proc,
    pub at: At,
}

/// The riscv64 number of the system call `name` (or a number as is).
fn syscall_number(name: &str) -> Option<u64> {
    if let Ok(n) = rvmmu::cli::parse_u64(name) {
        return Some(n);
    }
    (0..1024).find(|&nr| rvmmu::strace::syscall_name(nr) == Some(name))
}

/// Parses `PID@EVENT`: PID a number or a program's name; EVENT `getchar` (the process
/// reads the console and waits), `exit`, `syscall:NAME` (or a number), `fault:VA`,
/// `insns:N`.
pub fn parse_point(s: &str) -> Result<DumpPoint, String> {
    let (who, ev) = s
        .split_once('@')
        .ok_or_else(|| format!("'{s}' is not PID@EVENT"))?;
    if who.is_empty() {
        return Err(format!("'{s}': no process before '@'"));
    }
    let proc = Proc::from(who);
    let p = Some(proc.clone());
    let at = match ev.split_once(':') {
        None if ev == "getchar" => At::Event(Until::ConsoleRead(p)),
        None if ev == "exit" => At::Event(Until::Exit(p)),
        Some(("syscall", name)) => At::Event(Until::Syscall {
            nr: syscall_number(name)
                .ok_or_else(|| format!("'{s}': no system call named '{name}'"))?,
            proc: p,
        }),
        Some(("fault", va)) => At::Event(Until::Fault {
            va: rvmmu::cli::parse_u64(va)?,
            proc: p,
        }),
        Some(("insns", n)) => At::Insns(rvmmu::cli::parse_u64(n)?),
        _ => {
            return Err(format!(
                "'{s}': EVENT is getchar, exit, syscall:NAME, fault:VA or insns:N"
            ))
        }
    };
    Ok(DumpPoint {
        spec: s.to_string(),
        proc,
        at,
    })
}

/// The report for `point` now: the header, the hardware view, then the kernel's maps (for
/// which the machine runs until the kernel answers).
pub fn report(m: &mut Machine, w: &Watcher, point: &DumpPoint) -> String {
    let steps = m.hart.steps;
    let info = w.state().find(&point.proc).cloned();
    let Some(info) = info else {
        return format!(
            "--dump-pt {} after {steps} instructions: no live process {}\n",
            point.spec,
            match &point.proc {
                Proc::Pid(p) => p.to_string(),
                Proc::Name(n) => n.clone(),
            }
        );
    };
    let mut out = format!(
        "--dump-pt {} after {steps} instructions: pid {} ({})\n",
        point.spec, info.pid, info.path
    );
    match HardwareView::of_satp(m, info.satp) {
        Some(v) => out.push_str(&format!("page tables as the MMU sees them:\n{v}")),
        None => out.push_str("satp is Bare (no page tables)\n"),
    }
    let path = format!("/proc/{}/maps", info.pid);
    match watch::proc_file(m, w, &path) {
        Ok(text) => {
            out.push_str(&format!("{path} as the kernel renders it:\n"));
            out.push_str(&String::from_utf8_lossy(&text));
        }
        Err(e) => out.push_str(&format!("{path}: {e}\n")),
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn points_parse() {
        let p = parse_point("malloc_1@getchar").unwrap();
        assert_eq!(p.proc, Proc::Name("malloc_1".into()));
        assert_eq!(
            p.at,
            At::Event(Until::ConsoleRead(Some(Proc::Name("malloc_1".into()))))
        );
        let p = parse_point("2@syscall:mmap").unwrap();
        assert_eq!(
            p.at,
            At::Event(Until::Syscall {
                nr: 222,
                proc: Some(Proc::Pid(2))
            })
        );
        assert_eq!(
            parse_point("2@fault:0x1000").unwrap().at,
            At::Event(Until::Fault {
                va: 0x1000,
                proc: Some(Proc::Pid(2))
            })
        );
        assert_eq!(parse_point("1@insns:500").unwrap().at, At::Insns(500));
        assert_eq!(
            parse_point("1@exit").unwrap().at,
            At::Event(Until::Exit(Some(Proc::Pid(1))))
        );
        assert!(parse_point("getchar").is_err());
        assert!(parse_point("@getchar").is_err());
        assert!(parse_point("1@syscall:nonesuch").is_err());
        assert!(parse_point("1@later").is_err());
    }
}
