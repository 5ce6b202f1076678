//! The kernel command line (`/chosen/bootargs`): words separated by spaces, where a
//! double-quoted stretch may hold spaces and the quotes themselves are dropped, as Linux's
//! `next_arg` (lib/cmdline.c, kernel/params.c) does: `init=/bin/p -- one "two words"` gives
//! init the arguments `one` and `two words`.
//!
//! Known keys: `paging=sv39|sv48` (default sv39), `loglevel=error|warn|info|debug|trace`
//! (default info), `quiet` (only warnings and errors, as Linux's `quiet` keeps only the
//! serious console messages; a later `loglevel=` wins), `init=PATH` (default `/init`: the
//! program in the initramfs to run), `dump_proc` (rvmmu's own: whenever init is about to
//! wait for console input, print its /proc/1/maps and /proc/1/status on the console, so a
//! single process can be watched while it waits in getchar(), as the notes do with `cat`
//! from a second shell), `check_rmap` (rvmmu's own: check the reverse map at every fork and
//! process end, see `proc::check_rmap`), `swap_selftest` (rvmmu's own: after the swap areas
//! are enabled at boot, write a pattern to the first area's last slot, read it back and log
//! the result, see `mm::swapfile::self_test`), `segmem_selftest` (rvmmu's own: after that,
//! run the notes' fragmentation example and a whole-segment swap on raw segment ranges and
//! log each step, see `mm::segmem::self_test`), `tty_echo` (rvmmu's own: the console's terminal
//! starts with ECHO set, as Linux's does; without it ECHO starts clear so that input fed from
//! a file or pipe is not copied into the output; rvmmu passes it when its standard input is
//! a terminal, see `fs::tty`), `sysctl.vm.NAME=VALUE` (a /proc/sys/vm value, as Linux 5.8+
//! takes them: [`Args::sysctls`], applied by `sysctl.rs`), `segments` (rvmmu's own: init
//! runs as a segmented process, its persona with PER_SEGMENTS, see `proc::seg`). Words after `--` are init's
//! arguments (argv[1..]), as on Linux. Other words are reported by [`Args::unknown`] and
//! otherwise ignored: none of the words before `--` reaches init (Linux too keeps dotted
//! parameters such as `sysctl.*` from init's argv and envp).
//!
//! Parsing borrows from the line and allocates nothing (it runs before the heap exists);
//! [`unquote`] makes the final strings once it does.

use alloc::string::String;
use mm_core::paging::{PagingMode, SV39};

/// What the command line asks for.
pub struct Args<'a> {
    pub paging: PagingMode,
    pub log_level: log::LevelFilter,
    pub dump_proc: bool,
    pub check_rmap: bool,
    pub swap_selftest: bool,
    /// `segmem_selftest`: exercise segment memory at boot (`mm::segmem::self_test`).
    pub segmem_selftest: bool,
    /// `tty_echo`: the console's terminal starts with ECHO set (`fs::tty`).
    pub tty_echo: bool,
    /// `segments`: init is exec'd segmented (`proc::seg`).
    pub segments: bool,
    /// init's path, possibly still quoted (see [`unquote`]).
    pub init: &'a str,
    /// The words before `--`.
    line: &'a str,
    /// The words after `--`.
    init_args: &'a str,
}

/// The words of `s`: runs of non-blank bytes, where blanks between double quotes do not
/// split; quotes are kept (see [`unquote`]). An unclosed quote runs to the end.
pub fn words(s: &str) -> impl Iterator<Item = &str> {
    let mut rest = s;
    core::iter::from_fn(move || {
        rest = rest.trim_start_matches(|c: char| c.is_ascii_whitespace());
        if rest.is_empty() {
            return None;
        }
        let mut quoted = false;
        let end = rest
            .char_indices()
            .find(|&(_, c)| {
                if c == '"' {
                    quoted = !quoted;
                }
                !quoted && c.is_ascii_whitespace()
            })
            .map_or(rest.len(), |(i, _)| i);
        let (w, r) = rest.split_at(end);
        rest = r;
        Some(w)
    })
}

/// A word without its double quotes.
pub fn unquote(w: &str) -> String {
    w.chars().filter(|&c| c != '"').collect()
}

/// The prefix of the words that set a sysctl.
const SYSCTL: &str = "sysctl.";

/// `key=value` with the value's quotes trimmed (no allocation).
fn key_value(w: &str) -> Option<(&str, &str)> {
    w.split_once('=').map(|(k, v)| (k, v.trim_matches('"')))
}

/// Where the words before `--` end and init's begin: the first word that is exactly `--`.
fn split_at_dashes(line: &str) -> (&str, &str) {
    let base = line.as_ptr() as usize;
    for w in words(line) {
        if w == "--" {
            let at = w.as_ptr() as usize - base;
            return (&line[..at], &line[at + 2..]);
        }
    }
    (line, "")
}

/// Parses `line`.
pub fn parse(line: &str) -> Args<'_> {
    let (line, init_args) = split_at_dashes(line);
    let mut args = Args {
        paging: SV39,
        log_level: log::LevelFilter::Info,
        dump_proc: false,
        check_rmap: false,
        swap_selftest: false,
        segmem_selftest: false,
        tty_echo: false,
        segments: false,
        init: "/init",
        line,
        init_args,
    };
    for word in words(line) {
        if word == "quiet" {
            args.log_level = log::LevelFilter::Warn;
            continue;
        }
        if word == "dump_proc" {
            args.dump_proc = true;
            continue;
        }
        if word == "check_rmap" {
            args.check_rmap = true;
            continue;
        }
        if word == "swap_selftest" {
            args.swap_selftest = true;
            continue;
        }
        if word == "segmem_selftest" {
            args.segmem_selftest = true;
            continue;
        }
        if word == "tty_echo" {
            args.tty_echo = true;
            continue;
        }
        if word == "segments" {
            args.segments = true;
            continue;
        }
        match key_value(word) {
            Some(("paging", v)) => {
                if let Some(m) = PagingMode::by_name(v) {
                    args.paging = m;
                }
            }
            Some(("loglevel", v)) => {
                if let Ok(l) = v.parse() {
                    args.log_level = l;
                }
            }
            Some(("init", v)) if v.starts_with('/') => args.init = v,
            _ => {}
        }
    }
    args
}

impl<'a> Args<'a> {
    /// Words that are not understood (unknown keys or bad values).
    pub fn unknown(&self) -> impl Iterator<Item = &'a str> + 'a {
        words(self.line).filter(|&w| match key_value(w) {
            Some(("paging", v)) => PagingMode::by_name(v).is_none(),
            Some(("loglevel", v)) => v.parse::<log::LevelFilter>().is_err(),
            Some(("init", v)) => !v.starts_with('/'),
            _ => {
                ![
                    "quiet",
                    "dump_proc",
                    "check_rmap",
                    "swap_selftest",
                    "segmem_selftest",
                    "tty_echo",
                    "segments",
                ]
                .contains(&w)
                    && !w.starts_with(SYSCTL)
            }
        })
    }

    /// The `sysctl.NAME=VALUE` words as (NAME, VALUE), quotes trimmed from the value; a
    /// word without `=` gives an empty value (which the table refuses).
    pub fn sysctls(&self) -> impl Iterator<Item = (&'a str, &'a str)> + 'a {
        words(self.line).filter_map(|w| {
            let rest = w.strip_prefix(SYSCTL)?;
            Some(key_value(rest).unwrap_or((rest, "")))
        })
    }

    /// init's arguments after `--`, quotes removed.
    pub fn init_args(&self) -> impl Iterator<Item = String> + 'a {
        words(self.init_args).map(unquote)
    }
}
