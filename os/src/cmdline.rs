//! The kernel command line (`/chosen/bootargs`): space-separated `key=value` words.
//!
//! Known keys: `paging=sv39|sv48` (default sv39), `loglevel=error|warn|info|debug|trace`
//! (default info). Unknown words are reported by [`Args::unknown`] and otherwise ignored,
//! as Linux passes unknown ones on to init.

use mm_core::paging::{PagingMode, SV39};

/// What the command line asks for.
pub struct Args<'a> {
    pub paging: PagingMode,
    pub log_level: log::LevelFilter,
    line: &'a str,
}

/// Parses `line`.
pub fn parse(line: &str) -> Args<'_> {
    let mut args = Args {
        paging: SV39,
        log_level: log::LevelFilter::Info,
        line,
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
                _ => true,
            })
    }
}
