//! The kernel command line (`/chosen/bootargs`): space-separated `key=value` words.
//!
//! Known keys: `paging=sv39|sv48` (default sv39), `loglevel=error|warn|info|debug|trace`
//! (default info), `init=PATH` (default `/init`: the program in the initramfs to run).
//! Words after `--` are init's arguments (argv[1..]), as on Linux. Other words are reported
//! by [`Args::unknown`] and otherwise ignored.

use mm_core::paging::{PagingMode, SV39};

/// What the command line asks for.
pub struct Args<'a> {
    pub paging: PagingMode,
    pub log_level: log::LevelFilter,
    pub init: &'a str,
    /// The words before `--`.
    line: &'a str,
    /// The words after `--`.
    pub init_args: &'a str,
}

/// Parses `line`.
pub fn parse(line: &str) -> Args<'_> {
    let (line, init_args) = match line.split_once(" -- ") {
        Some((l, a)) => (l, a),
        None => match line.strip_prefix("-- ") {
            Some(a) => ("", a),
            None => (line.strip_suffix(" --").unwrap_or(line), ""),
        },
    };
    let mut args = Args {
        paging: SV39,
        log_level: log::LevelFilter::Info,
        init: "/init",
        line,
        init_args,
    };
    for word in line.split_ascii_whitespace() {
        match word.split_once('=') {
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
        self.line
            .split_ascii_whitespace()
            .filter(|w| match w.split_once('=') {
                Some(("paging", v)) => PagingMode::by_name(v).is_none(),
                Some(("loglevel", v)) => v.parse::<log::LevelFilter>().is_err(),
                Some(("init", v)) => !v.starts_with('/'),
                _ => true,
            })
    }
}
