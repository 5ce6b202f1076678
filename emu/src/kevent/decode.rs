//! Record payloads (protocol version 1) into [`Event`]s. Payloads are little-endian u64
//! words, text after its words; docs/TRACING.md lists each kind's layout.

use super::*;
use crate::devices::kevent::RawRecord;

struct Words<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl Words<'_> {
    fn next(&mut self) -> Option<u64> {
        let w = self.bytes.get(self.at..self.at + 8)?;
        self.at += 8;
        Some(u64::from_le_bytes(w.try_into().ok()?))
    }

    fn rest_text(&self) -> String {
        String::from_utf8_lossy(self.bytes.get(self.at..).unwrap_or(&[])).into_owned()
    }

    fn marks(&mut self) -> Option<Watermarks> {
        Some(Watermarks {
            free: self.next()?,
            min: self.next()?,
            low: self.next()?,
            high: self.next()?,
        })
    }
}

/// The event a record stands for; [`Event::Unknown`] for an unknown kind or a payload too
/// short for its kind.
pub fn decode(r: &RawRecord) -> Event {
    decode_known(r).unwrap_or_else(|| Event::Unknown {
        pid: r.pid,
        kind: r.kind,
        payload: r.payload.clone(),
    })
}

fn decode_known(r: &RawRecord) -> Option<Event> {
    let pid = r.pid;
    let mut w = Words {
        bytes: &r.payload,
        at: 0,
    };
    Some(match r.kind {
        kind::LOG => {
            let l = w.next()?;
            Event::Log {
                pid,
                level: Level::from_u64(l & 0xff),
                bare: l & 0x100 != 0,
                text: w.rest_text(),
            }
        }
        kind::SYSCALL_ENTER => {
            let nr = w.next()?;
            let mut args = [0; 6];
            for a in &mut args {
                *a = w.next()?;
            }
            Event::SyscallEnter { pid, nr, args }
        }
        kind::SYSCALL_EXIT => Event::SyscallExit {
            pid,
            nr: w.next()?,
            ret: w.next()? as i64,
        },
        kind::FAULT_BEGIN => Event::FaultBegin {
            pid,
            va: w.next()?,
            access: match w.next()? {
                0 => FaultAccess::Read,
                1 => FaultAccess::Write,
                _ => FaultAccess::Exec,
            },
            user: w.next()? != 0,
        },
        kind::FAULT_END => Event::FaultEnd {
            pid,
            va: w.next()?,
            kind: match w.next()? {
                0 => FaultKind::Minor,
                1 => FaultKind::Major,
                _ => FaultKind::Invalid,
            },
            action: match w.next()? {
                0 => FaultAction::ZeroFill,
                1 => FaultAction::FileRead,
                2 => FaultAction::SwapIn,
                3 => FaultAction::CowCopy,
                4 => FaultAction::StackGrowth,
                5 => FaultAction::Sigsegv,
                7 => FaultAction::Spurious,
                _ => FaultAction::Other,
            },
        },
        kind::EXEC => Event::Exec {
            pid,
            satp: w.next()?,
            path: w.rest_text(),
        },
        kind::FORK => Event::Fork {
            parent: pid,
            child: w.next()? as u32,
            satp: w.next()?,
        },
        kind::EXIT => Event::Exit {
            pid,
            status: w.next()?,
            peak_rss: w.next().unwrap_or(0),
            minflt: w.next().unwrap_or(0),
            majflt: w.next().unwrap_or(0),
        },
        kind::SWITCH => Event::Switch {
            pid,
            satp: w.next()?,
        },
        kind::CONSOLE_WAIT => Event::ConsoleWait { pid },
        kind::KSWAPD_WAKE => Event::KswapdWake {
            pid,
            marks: w.marks()?,
        },
        kind::KSWAPD_SLEEP => Event::KswapdSleep {
            pid,
            marks: w.marks()?,
        },
        kind::DIRECT_BEGIN => Event::DirectReclaimBegin {
            pid,
            marks: w.marks()?,
        },
        kind::DIRECT_END => Event::DirectReclaimEnd {
            pid,
            reclaimed: w.next()?,
        },
        kind::RECLAIM_PASS => {
            let direct = w.next()? != 0;
            let mut lists = Vec::new();
            while let Some(list) = w.next() {
                lists.push(ListScan {
                    list: LruList::from_u64(list),
                    scanned: w.next()?,
                    reclaimed: w.next()?,
                });
            }
            Event::ReclaimPass { pid, direct, lists }
        }
        kind::SWAP_OUT | kind::SWAP_IN => {
            let (owner, va, slot) = (w.next()? as u32, w.next()?, w.next()?);
            if r.kind == kind::SWAP_OUT {
                Event::SwapOut {
                    pid,
                    owner,
                    va,
                    slot,
                }
            } else {
                Event::SwapIn {
                    pid,
                    owner,
                    va,
                    slot,
                }
            }
        }
        kind::OOM_CANDIDATE => Event::OomCandidate {
            pid,
            candidate: w.next()? as u32,
            points: w.next()?,
            adj: w.next()? as i64,
        },
        kind::OOM_KILL => Event::OomKill {
            pid,
            victim: w.next()? as u32,
            points: w.next()?,
            rss: w.next()?,
            name: w.rest_text(),
        },
        kind::MEM_SAMPLE => {
            let mut s = MemSample {
                marks: w.marks()?,
                swap_total: w.next()?,
                swap_free: w.next()?,
                pgfault: w.next()?,
                pgmajfault: w.next()?,
                pswpin: w.next()?,
                pswpout: w.next()?,
                pgscan_kswapd: w.next()?,
                pgscan_direct: w.next()?,
                pgsteal: w.next()?,
                oom_kill: w.next()?,
                rss: Vec::new(),
            };
            while let Some(p) = w.next() {
                s.rss.push((p as u32, w.next()?));
            }
            Event::MemSample {
                pid,
                sample: Box::new(s),
            }
        }
        kind::PROC_REPLY => Event::ProcReply {
            pid,
            id: w.next()?,
            offset: w.next()?,
            total: w.next()?,
            errno: w.next()?,
            data: r.payload.get(32..).unwrap_or(&[]).to_vec(),
        },
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rec(kind: u16, pid: u32, words: &[u64], text: &str) -> RawRecord {
        let mut payload: Vec<u8> = words.iter().flat_map(|w| w.to_le_bytes()).collect();
        payload.extend_from_slice(text.as_bytes());
        RawRecord { kind, pid, payload }
    }

    #[test]
    fn kinds_decode_and_short_payloads_are_unknown() {
        assert_eq!(
            decode(&rec(kind::LOG, 0, &[2], "oom: hello")),
            Event::Log {
                pid: 0,
                level: Level::Warn,
                bare: false,
                text: "oom: hello".into()
            }
        );
        assert_eq!(
            decode(&rec(kind::SYSCALL_EXIT, 3, &[222, (-12i64) as u64], "")),
            Event::SyscallExit {
                pid: 3,
                nr: 222,
                ret: -12
            }
        );
        assert_eq!(
            decode(&rec(kind::FAULT_END, 2, &[0x1000, 1, 2], "")),
            Event::FaultEnd {
                pid: 2,
                va: 0x1000,
                kind: FaultKind::Major,
                action: FaultAction::SwapIn
            }
        );
        let pass = decode(&rec(kind::RECLAIM_PASS, 1, &[1, 0, 32, 5, 2, 7, 7], ""));
        let Event::ReclaimPass { direct, lists, .. } = pass else {
            panic!("{pass:?}")
        };
        assert!(direct);
        assert_eq!(lists.len(), 2);
        assert_eq!(
            (lists[1].list, lists[1].scanned, lists[1].reclaimed),
            (LruList::InactiveFile, 7, 7)
        );
        let short = rec(kind::SYSCALL_ENTER, 1, &[1, 2], "");
        assert!(matches!(decode(&short), Event::Unknown { kind: 2, .. }));
        assert_eq!(
            decode(&rec(kind::FAULT_END, 2, &[0x1000, 0, 7], "")),
            Event::FaultEnd {
                pid: 2,
                va: 0x1000,
                kind: FaultKind::Minor,
                action: FaultAction::Spurious
            }
        );
        assert_eq!(
            decode(&rec(kind::EXIT, 4, &[9, 300, 20, 1], "")),
            Event::Exit {
                pid: 4,
                status: 9,
                peak_rss: 300,
                minflt: 20,
                majflt: 1
            }
        );
        assert_eq!(
            decode(&rec(kind::EXIT, 4, &[0x100], "")),
            Event::Exit {
                pid: 4,
                status: 0x100,
                peak_rss: 0,
                minflt: 0,
                majflt: 0
            },
            "the counts are optional"
        );
        assert!(matches!(
            decode(&rec(999, 1, &[], "")),
            Event::Unknown { kind: 999, .. }
        ));
        let mut words = vec![10, 1, 2, 3, 64, 60, 5, 1, 0, 0, 9, 0, 8, 0];
        words.extend_from_slice(&[2, 100, 3, 50]);
        let Event::MemSample { sample, .. } = decode(&rec(kind::MEM_SAMPLE, 0, &words, "")) else {
            panic!()
        };
        assert_eq!(sample.marks.free, 10);
        assert_eq!(sample.pgscan_kswapd, 9);
        assert_eq!(sample.rss, vec![(2, 100), (3, 50)]);
        assert_eq!(
            decode(&rec(kind::PROC_REPLY, 1, &[7, 960, 1000, 0], "tail")),
            Event::ProcReply {
                pid: 1,
                id: 7,
                offset: 960,
                total: 1000,
                errno: 0,
                data: b"tail".to_vec()
            }
        );
    }
}
