//! The kernel's view of an address space, /proc/PID/maps, and its page-for-page comparison
//! with the hardware's ([`super::HardwareView`]).

use super::{HardwareView, Page};
use crate::mmu::pte::PteFlags;
use std::fmt;

/// One line of /proc/PID/maps: `start-end perms offset major:minor inode name`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Area {
    pub start: u64,
    /// One past the last byte.
    pub end: u64,
    /// `rwxp`-style: read, write, execute, then `p` (private) or `s` (shared).
    pub perms: String,
    pub offset: u64,
    /// `major:minor` of the file's device (`00:00` for anonymous memory).
    pub dev: String,
    pub inode: u64,
    /// The path or `[heap]`, `[stack]`...; empty for anonymous memory.
    pub name: String,
}

impl Area {
    fn allows(&self, letter: char) -> bool {
        self.perms.contains(letter)
    }
}

/// /proc/PID/maps as the kernel rendered it: the text and its parsed lines.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KernelView {
    pub text: String,
    pub areas: Vec<Area>,
}

impl KernelView {
    /// Parses the text of a maps file; `Err` names the first line that is not a maps line.
    pub fn parse(text: &str) -> Result<KernelView, String> {
        let mut areas = Vec::new();
        for line in text.lines() {
            areas.push(parse_line(line).ok_or_else(|| format!("not a maps line: {line:?}"))?);
        }
        Ok(KernelView {
            text: text.to_string(),
            areas,
        })
    }

    /// The area holding `va`.
    pub fn area_at(&self, va: u64) -> Option<&Area> {
        self.areas.iter().find(|a| a.start <= va && va < a.end)
    }
}

impl fmt::Display for KernelView {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

fn parse_line(line: &str) -> Option<Area> {
    let mut w = line.split_ascii_whitespace();
    let (start, end) = w.next()?.split_once('-')?;
    let perms = w.next()?;
    let offset = w.next()?;
    let dev = w.next()?;
    let inode = w.next()?;
    let name = w.collect::<Vec<_>>().join(" ");
    if perms.len() != 4 {
        return None;
    }
    Some(Area {
        start: u64::from_str_radix(start, 16).ok()?,
        end: u64::from_str_radix(end, 16).ok()?,
        perms: perms.to_string(),
        offset: u64::from_str_radix(offset, 16).ok()?,
        dev: dev.to_string(),
        inode: inode.parse().ok()?,
        name,
    })
}

/// A page where the two views disagree.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Disagreement {
    pub va: u64,
    pub size: u64,
    /// What is wrong, in words.
    pub what: String,
}

impl fmt::Display for Disagreement {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{:#x}-{:#x}: {}",
            self.va,
            self.va.wrapping_add(self.size),
            self.what
        )
    }
}

/// The comparison's result: how many entries were checked and the disagreements.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Agreement {
    /// User-half entries checked (mapped pages and swap entries).
    pub checked: u64,
    pub disagreements: Vec<Disagreement>,
}

impl Agreement {
    /// Whether the views agree.
    pub fn holds(&self) -> bool {
        self.disagreements.is_empty()
    }
}

/// Checks, entry by entry, that what the hardware would use lies where the kernel says the
/// process has memory, with compatible permissions:
///
/// - every valid leaf of the user half lies wholly in one area; if it is a user page (U),
///   each of R, W, X it grants is granted by the area (the hardware may grant less: a
///   copy-on-write page is read-only in a writable area); a leaf without U (the kernel's
///   PROT_NONE page) must be in an area with no permission at all;
/// - every swap entry and other non-zero V = 0 entry of the user half lies in an area;
/// - no leaf of the upper (kernel) half is a user page.
///
/// Areas with no page mapped are fine (memory is given on first touch).
pub fn agree(hw: &HardwareView, kv: &KernelView) -> Agreement {
    let mut out = Agreement::default();
    for p in &hw.pages {
        let mut bad = |what: String| {
            out.disagreements.push(Disagreement {
                va: p.va,
                size: p.size,
                what,
            })
        };
        if !hw.is_user_half(p.va) {
            if let Page::Mapped { flags, .. } = &p.page {
                if flags.contains(PteFlags::U) {
                    bad("a user page in the kernel half".into());
                }
            }
            continue;
        }
        let area = kv
            .area_at(p.va)
            .filter(|a| p.va.wrapping_add(p.size) <= a.end);
        match (&p.page, area) {
            (Page::Mapped { .. }, None) => bad("mapped, but not wholly in any area".into()),
            (Page::Swapped(_), None) => bad("a swap entry outside every area".into()),
            (Page::NotValid { pte }, None) => {
                bad(format!("a non-valid entry {pte:#x} outside every area"))
            }
            (Page::Mapped { flags, .. }, Some(a)) => {
                if flags.contains(PteFlags::U) {
                    for (flag, letter) in
                        [(PteFlags::R, 'r'), (PteFlags::W, 'w'), (PteFlags::X, 'x')]
                    {
                        if flags.contains(flag) && !a.allows(letter) {
                            bad(format!(
                                "the page grants {letter} but its area is {}",
                                a.perms
                            ));
                        }
                    }
                } else if a.allows('r') || a.allows('w') || a.allows('x') {
                    bad(format!(
                        "a page without U in an area with permissions {}",
                        a.perms
                    ));
                }
            }
            (Page::Swapped(_) | Page::NotValid { .. }, Some(_)) => {}
        }
        out.checked += 1;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::super::{PageEntry, SwapPte};
    use super::*;

    const MAPS: &str = "00010000-00012000 r-xp 00000000 00:01 5                                  /bin/a\n\
                        00012000-00013000 rw-p 00002000 00:01 5                                  /bin/a\n\
                        00020000-00030000 rw-p 00000000 00:00 0                                  [heap]\n";

    #[test]
    fn maps_lines_parse() {
        let kv = KernelView::parse(MAPS).unwrap();
        assert_eq!(kv.areas.len(), 3);
        assert_eq!(kv.areas[1].perms, "rw-p");
        assert_eq!(kv.areas[1].offset, 0x2000);
        assert_eq!(kv.areas[2].name, "[heap]");
        assert_eq!(kv.area_at(0x12fff).unwrap().start, 0x12000);
        assert!(kv.area_at(0x13000).is_none());
        assert!(KernelView::parse("nonsense\n").is_err());
    }

    #[test]
    fn disagreements_are_found_and_named() {
        let kv = KernelView::parse(MAPS).unwrap();
        let u = PteFlags::U | PteFlags::A;
        let page = |va, page| PageEntry {
            va,
            size: 4096,
            page,
        };
        let hw = HardwareView {
            mode: "sv39",
            pages: vec![
                page(
                    0x10000,
                    Page::Mapped {
                        frame: 0,
                        flags: u | PteFlags::R | PteFlags::X,
                    },
                ),
                page(
                    0x11000,
                    Page::Mapped {
                        frame: 1,
                        flags: u | PteFlags::R | PteFlags::W,
                    },
                ),
                page(0x20000, Page::Swapped(SwapPte { area: 0, offset: 9 })),
                page(
                    0x40000,
                    Page::Swapped(SwapPte {
                        area: 0,
                        offset: 10,
                    }),
                ),
                page(
                    0xffff_ffc0_0000_0000,
                    Page::Mapped {
                        frame: 2,
                        flags: PteFlags::R | PteFlags::W | PteFlags::G,
                    },
                ),
            ],
            tables: vec![],
            bad: vec![],
            va_bits: 39,
        };
        let a = agree(&hw, &kv);
        assert_eq!(a.checked, 4);
        let whats: Vec<String> = a.disagreements.iter().map(|d| d.to_string()).collect();
        assert_eq!(
            whats,
            [
                "0x11000-0x12000: the page grants w but its area is r-xp",
                "0x40000-0x41000: a swap entry outside every area"
            ]
        );
    }
}
