//! Execution traces (docs/TRACING.md): `--trace insns`, one record per retired instruction,
//! and `--trace translations`, one record per address translation the MMU makes, TLB hits
//! included, with each step of a walk and any A/D update. Both write to one [`Tracer`], in
//! text (one line per record) or JSON lines.
//!
//! The tracer belongs to the hart ([`crate::hart::Hart::tracer`]). The MMU knows nothing of
//! it: asked for a traced translation ([`crate::mmu::Mmu::translate_noted`]) it reports how
//! the translation went, and the hart writes the record, as it writes instruction records,
//! so with both kinds on, a record of each translation precedes the line of the instruction
//! that made it.
//!
//! Records are formatted by hand into a byte buffer flushed in large writes: a trace is
//! useful only if it is cheap enough to leave on for millions of records (the target is at
//! least 5 million translation records per second to a file; docs/PERFORMANCE.md).

use std::io::{self, Write};

use crate::isa::trap::Exception;
use crate::isa::Priv;
use crate::mmu::pmp::Decision;
use crate::mmu::walk::{AdUpdate, Walk};
use crate::mmu::Access;

/// How records are written.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Format {
    /// One line per record, fixed columns (docs/TRACING.md).
    #[default]
    Text,
    /// One JSON object per line.
    Json,
}

/// How the TLB took part in a translation (defined by the MMU, which reports it).
pub use crate::mmu::Lookup;

impl Lookup {
    fn name(self) -> &'static str {
        match self {
            Lookup::Bare => "bare",
            Lookup::Hit => "hit",
            Lookup::Miss => "miss",
            Lookup::Rewalk => "rewalk",
        }
    }

    /// Whether a walk ran.
    pub fn walked(self) -> bool {
        matches!(self, Lookup::Miss | Lookup::Rewalk)
    }
}

/// Which translation records to write (all of them by default).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Filter {
    /// Only VAs in `start..end` (end exclusive).
    pub va: Option<(u64, u64)>,
    /// Which access types: fetch, load, store.
    pub access: [bool; 3],
    /// Only hits (`Some(true)`) or only translations that walked (`Some(false)`).
    pub hit: Option<bool>,
    /// Only this ASID (translations with paging off have none and are left out).
    pub asid: Option<u16>,
}

impl Default for Filter {
    fn default() -> Self {
        Filter {
            va: None,
            access: [true; 3],
            hit: None,
            asid: None,
        }
    }
}

impl Filter {
    /// Whether a translation with these properties is written.
    #[inline]
    pub fn accepts(&self, va: u64, access: Access, lookup: Lookup, asid: Option<u16>) -> bool {
        if !self.access[access.index()] {
            return false;
        }
        if let Some((start, end)) = self.va {
            if !(start..end).contains(&va) {
                return false;
            }
        }
        if let Some(want_hit) = self.hit {
            let hit = lookup == Lookup::Hit;
            if hit != want_hit || lookup == Lookup::Bare {
                return false;
            }
        }
        if let Some(a) = self.asid {
            if asid != Some(a) {
                return false;
            }
        }
        true
    }
}

/// One translation, as the MMU reports it to the tracer.
#[derive(Clone, Copy, Debug)]
pub struct Translation<'a> {
    /// Instructions retired before the one that made the access (the count of its
    /// `--trace insns` line).
    pub count: u64,
    /// Effective privilege of the access (after MPRV for loads and stores).
    pub prv: Priv,
    /// satp.ASID when paging is on.
    pub asid: Option<u16>,
    pub access: Access,
    pub va: u64,
    /// The physical address, or the exception the access raises.
    pub result: Result<u64, Exception>,
    pub lookup: Lookup,
    /// The walk, when one ran.
    pub walk: Option<&'a Walk>,
    /// The walk's leaf was not put in the TLB because PMP is not uniform over its page.
    pub uncached: bool,
    /// Which PMP entry decided the access at its physical address; None when PMP was not
    /// asked (no entry implemented, or the translation failed before a physical address).
    pub pmp: Option<Decision>,
}

/// Where trace records go: a buffered writer shared by both kinds of record.
pub struct Tracer {
    out: Box<dyn Write>,
    buf: Vec<u8>,
    pub format: Format,
    /// Whether instruction records are written (`--trace insns`).
    pub insns: bool,
    /// Which translation records are written; `None` when `--trace translations` is off.
    pub translations: Option<Filter>,
    /// Translation records written so far.
    pub records: u64,
    error: Option<io::Error>,
    /// Reused for each instruction's disassembly.
    asm: String,
    /// While set, neither instructions nor translations are written (`--trace-pid`: a
    /// process other than the traced one is current).
    pub paused: bool,
}

/// Bytes buffered before a write to the output.
const FLUSH_AT: usize = 1 << 17;

impl core::fmt::Debug for Tracer {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Tracer")
            .field("format", &self.format)
            .field("insns", &self.insns)
            .field("translations", &self.translations)
            .field("records", &self.records)
            .finish_non_exhaustive()
    }
}

impl Tracer {
    /// A tracer writing to `out` (unbuffered is fine: the tracer buffers).
    pub fn new(
        out: Box<dyn Write>,
        format: Format,
        insns: bool,
        translations: Option<Filter>,
    ) -> Tracer {
        Tracer {
            out,
            buf: Vec::with_capacity(FLUSH_AT + 1024),
            format,
            insns,
            translations,
            records: 0,
            error: None,
            asm: String::with_capacity(64),
            paused: false,
        }
    }

    /// Writes a translation record if the filter accepts it.
    pub fn translation(&mut self, t: &Translation<'_>) {
        let Some(filter) = &self.translations else {
            return;
        };
        if self.paused {
            return;
        }
        if !filter.accepts(t.va, t.access, t.lookup, t.asid) {
            return;
        }
        self.records += 1;
        match self.format {
            Format::Text => text_translation(&mut self.buf, t),
            Format::Json => json_translation(&mut self.buf, t),
        }
        self.maybe_flush();
    }

    /// Writes an instruction record: `count` instructions retired before it, its privilege,
    /// pc, raw bits and disassembly.
    pub fn instruction(&mut self, count: u64, prv: Priv, pc: u64, raw: u32) {
        if self.paused {
            return;
        }
        let b = &mut self.buf;
        let compressed = raw & 3 != 3;
        let asm = &mut self.asm;
        asm.clear();
        let _ = crate::hart::disasm::disassemble_into(raw, pc, asm);
        match self.format {
            Format::Text => {
                push_dec_right(b, count, 10);
                b.push(b' ');
                b.push(prv.letter() as u8);
                b.push(b' ');
                push_hex(b, pc, 16);
                b.push(b' ');
                if compressed {
                    push_hex(b, raw as u64 & 0xffff, 4);
                    b.extend_from_slice(b"    ");
                } else {
                    push_hex(b, raw as u64, 8);
                }
                b.push(b' ');
                b.extend_from_slice(asm.as_bytes());
            }
            Format::Json => {
                b.extend_from_slice(b"{\"type\":\"insn\",\"count\":");
                push_dec(b, count);
                b.extend_from_slice(b",\"priv\":\"");
                b.push(prv.letter() as u8);
                b.extend_from_slice(b"\",\"pc\":");
                push_json_hex(b, pc);
                b.extend_from_slice(b",\"raw\":\"");
                push_hex(b, raw as u64, if compressed { 4 } else { 8 });
                b.extend_from_slice(b"\",\"asm\":\"");
                push_json_escaped(b, asm);
                b.extend_from_slice(b"\"}");
            }
        }
        b.push(b'\n');
        self.maybe_flush();
    }

    /// Writes one record line (kernel events: `crate::kevent::observers`); `line` has no
    /// newline, one is added.
    pub fn line(&mut self, line: &str) {
        self.buf.extend_from_slice(line.as_bytes());
        self.buf.push(b'\n');
        self.maybe_flush();
    }

    #[inline]
    fn maybe_flush(&mut self) {
        if self.buf.len() >= FLUSH_AT {
            self.write_out();
        }
    }

    fn write_out(&mut self) {
        if self.error.is_none() {
            if let Err(e) = self.out.write_all(&self.buf) {
                self.error = Some(e);
            }
        }
        self.buf.clear();
    }

    /// Writes out everything buffered. Err if a write has failed (then or earlier).
    pub fn flush(&mut self) -> io::Result<()> {
        self.write_out();
        if self.error.is_none() {
            if let Err(e) = self.out.flush() {
                self.error = Some(e);
            }
        }
        match self.error.take() {
            Some(e) => Err(e),
            None => Ok(()),
        }
    }

    /// Takes the first write error, if any (the run stops on it).
    pub fn take_error(&mut self) -> Option<io::Error> {
        self.error.take()
    }
}

fn access_letter(a: Access) -> u8 {
    [b'F', b'L', b'S'][a.index()]
}

fn access_name(a: Access) -> &'static str {
    ["fetch", "load", "store"][a.index()]
}

fn ad_name(ad: AdUpdate) -> &'static str {
    match ad {
        AdUpdate::None => "",
        AdUpdate::SetA => "A",
        AdUpdate::SetAD => "AD",
        AdUpdate::SetD => "D",
    }
}

/// `count priv asid access va result lookup [pmp=N|none|N-partial] [level:pte_addr=pte]...
/// [ad=X] [uncached]`
fn text_translation(b: &mut Vec<u8>, t: &Translation<'_>) {
    push_dec_right(b, t.count, 10);
    b.push(b' ');
    b.push(t.prv.letter() as u8);
    b.push(b' ');
    match t.asid {
        Some(a) => push_hex(b, a as u64, 4),
        None => b.extend_from_slice(b"----"),
    }
    b.push(b' ');
    b.push(access_letter(t.access));
    b.push(b' ');
    push_hex(b, t.va, 16);
    match t.result {
        Ok(pa) => {
            b.extend_from_slice(b" pa=");
            push_hex(b, pa, 16);
        }
        Err(e) => {
            b.extend_from_slice(b" fault=");
            b.extend_from_slice(e.name().as_bytes());
        }
    }
    b.push(b' ');
    b.extend_from_slice(t.lookup.name().as_bytes());
    if let Some(d) = t.pmp {
        push_pmp_field(b, d);
    }
    if let Some(w) = t.walk {
        for s in w.steps() {
            b.push(b' ');
            push_dec(b, s.level as u64);
            b.push(b':');
            push_hex(b, s.pte_addr, 16);
            b.push(b'=');
            push_hex(b, s.pte, 16);
        }
        if let Some((_, _, new)) = w.ad_update {
            b.extend_from_slice(b" ad=");
            b.extend_from_slice(ad_name(w.ad_kind()).as_bytes());
            b.push(b'>');
            push_hex(b, new, 16);
        }
    }
    if t.uncached {
        b.extend_from_slice(b" uncached");
    }
    b.push(b'\n');
}

/// ` pmp=N`, ` pmp=none` or ` pmp=N-partial`, built on the stack and appended at once (a
/// record per translation: one fixed-size append is measurably cheaper than three).
#[inline]
fn push_pmp_field(b: &mut Vec<u8>, d: Decision) {
    let mut f = [0u8; 16];
    f[..5].copy_from_slice(b" pmp=");
    let n = match d {
        Decision::NoMatch => {
            f[5..9].copy_from_slice(b"none");
            9
        }
        Decision::Entry(i) | Decision::Partial(i) => {
            // Entries number at most 64: one or two digits.
            let mut n = 5;
            if i >= 10 {
                f[n] = b'0' + i / 10;
                n += 1;
            }
            f[n] = b'0' + i % 10;
            n += 1;
            if matches!(d, Decision::Partial(_)) {
                f[n..n + 8].copy_from_slice(b"-partial");
                n += 8;
            }
            n
        }
    };
    // A fixed-size append (two stores, no memcpy call), then the unused tail dropped.
    b.extend_from_slice(&f);
    b.truncate(b.len() - (f.len() - n));
}

fn json_translation(b: &mut Vec<u8>, t: &Translation<'_>) {
    b.extend_from_slice(b"{\"type\":\"translation\",\"count\":");
    push_dec(b, t.count);
    b.extend_from_slice(b",\"priv\":\"");
    b.push(t.prv.letter() as u8);
    b.extend_from_slice(b"\",\"asid\":");
    match t.asid {
        Some(a) => push_dec(b, a as u64),
        None => b.extend_from_slice(b"null"),
    }
    b.extend_from_slice(b",\"access\":\"");
    b.extend_from_slice(access_name(t.access).as_bytes());
    b.extend_from_slice(b"\",\"va\":");
    push_json_hex(b, t.va);
    match t.result {
        Ok(pa) => {
            b.extend_from_slice(b",\"pa\":");
            push_json_hex(b, pa);
        }
        Err(e) => {
            b.extend_from_slice(b",\"fault\":\"");
            b.extend_from_slice(e.name().as_bytes());
            b.push(b'"');
        }
    }
    b.extend_from_slice(b",\"tlb\":\"");
    b.extend_from_slice(t.lookup.name().as_bytes());
    b.push(b'"');
    match t.pmp {
        None => {}
        Some(Decision::NoMatch) => b.extend_from_slice(b",\"pmp\":null"),
        Some(Decision::Entry(i) | Decision::Partial(i)) => {
            b.extend_from_slice(b",\"pmp\":");
            push_dec(b, i as u64);
            if matches!(t.pmp, Some(Decision::Partial(_))) {
                b.extend_from_slice(b",\"pmp_partial\":true");
            }
        }
    }
    if let Some(w) = t.walk {
        b.extend_from_slice(b",\"walk\":[");
        for (i, s) in w.steps().iter().enumerate() {
            if i > 0 {
                b.push(b',');
            }
            b.extend_from_slice(b"{\"level\":");
            push_dec(b, s.level as u64);
            b.extend_from_slice(b",\"pte_addr\":");
            push_json_hex(b, s.pte_addr);
            b.extend_from_slice(b",\"pte\":");
            push_json_hex(b, s.pte);
            b.push(b'}');
        }
        b.push(b']');
        if let Some((addr, old, new)) = w.ad_update {
            b.extend_from_slice(b",\"ad\":{\"set\":\"");
            b.extend_from_slice(ad_name(w.ad_kind()).as_bytes());
            b.extend_from_slice(b"\",\"pte_addr\":");
            push_json_hex(b, addr);
            b.extend_from_slice(b",\"old\":");
            push_json_hex(b, old);
            b.extend_from_slice(b",\"new\":");
            push_json_hex(b, new);
            b.push(b'}');
        }
    }
    if t.uncached {
        b.extend_from_slice(b",\"uncached\":true");
    }
    b.extend_from_slice(b"}\n");
}

const HEX: &[u8; 16] = b"0123456789abcdef";

/// `v` as exactly `digits` lowercase hex digits (the low ones).
#[inline]
fn push_hex(b: &mut Vec<u8>, v: u64, digits: usize) {
    let mut tmp = [0u8; 16];
    for (i, d) in tmp[..digits].iter_mut().enumerate() {
        *d = HEX[(v >> (4 * (digits - 1 - i)) & 0xf) as usize];
    }
    b.extend_from_slice(&tmp[..digits]);
}

/// A 64-bit value for JSON: a string `"0x…"` (JSON numbers lose precision above 2^53).
fn push_json_hex(b: &mut Vec<u8>, v: u64) {
    b.extend_from_slice(b"\"0x");
    push_hex(b, v, 16);
    b.push(b'"');
}

fn dec_digits(mut v: u64, tmp: &mut [u8; 20]) -> usize {
    let mut i = tmp.len();
    loop {
        i -= 1;
        tmp[i] = b'0' + (v % 10) as u8;
        v /= 10;
        if v == 0 {
            return i;
        }
    }
}

fn push_dec(b: &mut Vec<u8>, v: u64) {
    let mut tmp = [0u8; 20];
    let i = dec_digits(v, &mut tmp);
    b.extend_from_slice(&tmp[i..]);
}

/// `v` in decimal, right-aligned in `width` columns (wider if it needs more digits).
fn push_dec_right(b: &mut Vec<u8>, v: u64, width: usize) {
    let mut tmp = [0u8; 20];
    let i = dec_digits(v, &mut tmp);
    let n = tmp.len() - i;
    b.extend(core::iter::repeat_n(b' ', width.saturating_sub(n)));
    b.extend_from_slice(&tmp[i..]);
}

pub(crate) fn push_json_escaped(b: &mut Vec<u8>, s: &str) {
    for c in s.bytes() {
        match c {
            b'"' => b.extend_from_slice(b"\\\""),
            b'\\' => b.extend_from_slice(b"\\\\"),
            b'\t' => b.extend_from_slice(b"\\t"),
            c if c < 0x20 => {
                b.extend_from_slice(b"\\u00");
                push_hex(b, c as u64, 2);
            }
            c => b.push(c),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mmu::walk::WalkStep;
    use std::sync::{Arc, Mutex};

    /// A writer that keeps what it is given, readable after the tracer is done with it.
    #[derive(Clone, Default)]
    struct Sink(Arc<Mutex<Vec<u8>>>);

    impl Write for Sink {
        fn write(&mut self, b: &[u8]) -> io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(b);
            Ok(b.len())
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    fn walk_3_levels() -> Walk {
        let mut steps = [WalkStep::default(); crate::mmu::mode::MAX_LEVELS];
        steps[0] = WalkStep {
            level: 2,
            pte_addr: 0x8000_1000,
            pte: 0x2000_0801,
        };
        steps[1] = WalkStep {
            level: 1,
            pte_addr: 0x8000_2010,
            pte: 0x2000_0c01,
        };
        steps[2] = WalkStep {
            level: 0,
            pte_addr: 0x8000_3010,
            pte: 0x2000_1c17,
        };
        Walk {
            steps,
            n_steps: 3,
            ad_update: Some((0x8000_3010, 0x2000_1c17, 0x2000_1cd7)),
            // Not printed: the record carries the translation's own result.
            result: Err(Exception::LoadPageFault(0)),
        }
    }

    fn trace_one(format: Format, filter: Filter, t: &Translation<'_>) -> String {
        let sink = Sink::default();
        let mut tr = Tracer::new(Box::new(sink.clone()), format, false, Some(filter));
        tr.translation(t);
        tr.flush().unwrap();
        let out = sink.0.lock().unwrap().clone();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn a_miss_prints_every_walk_step_and_the_ad_update() {
        let w = walk_3_levels();
        let t = Translation {
            count: 42,
            prv: Priv::U,
            asid: Some(1),
            access: Access::Store,
            va: 0x1010,
            result: Ok(0x8070_7010),
            lookup: Lookup::Miss,
            walk: Some(&w),
            uncached: false,
            pmp: Some(Decision::Entry(0)),
        };
        assert_eq!(
            trace_one(Format::Text, Filter::default(), &t),
            "        42 U 0001 S 0000000000001010 pa=0000000080707010 miss pmp=0 \
             2:0000000080001000=0000000020000801 1:0000000080002010=0000000020000c01 \
             0:0000000080003010=0000000020001c17 ad=AD>0000000020001cd7\n"
        );
        let json = trace_one(Format::Json, Filter::default(), &t);
        assert_eq!(
            json,
            "{\"type\":\"translation\",\"count\":42,\"priv\":\"U\",\"asid\":1,\
             \"access\":\"store\",\"va\":\"0x0000000000001010\",\"pa\":\"0x0000000080707010\",\
             \"tlb\":\"miss\",\"pmp\":0,\"walk\":[\
             {\"level\":2,\"pte_addr\":\"0x0000000080001000\",\"pte\":\"0x0000000020000801\"},\
             {\"level\":1,\"pte_addr\":\"0x0000000080002010\",\"pte\":\"0x0000000020000c01\"},\
             {\"level\":0,\"pte_addr\":\"0x0000000080003010\",\"pte\":\"0x0000000020001c17\"}],\
             \"ad\":{\"set\":\"AD\",\"pte_addr\":\"0x0000000080003010\",\
             \"old\":\"0x0000000020001c17\",\"new\":\"0x0000000020001cd7\"}}\n"
        );
    }

    #[test]
    fn hits_bare_accesses_and_faults_have_their_own_words() {
        let hit = Translation {
            count: 7,
            prv: Priv::S,
            asid: Some(0xabc),
            access: Access::Fetch,
            va: 0xffff_ffc0_0000_1000,
            result: Ok(0x8000_1000),
            lookup: Lookup::Hit,
            walk: None,
            uncached: false,
            pmp: None,
        };
        assert_eq!(
            trace_one(Format::Text, Filter::default(), &hit),
            "         7 S 0abc F ffffffc000001000 pa=0000000080001000 hit\n"
        );
        let bare = Translation {
            prv: Priv::M,
            asid: None,
            lookup: Lookup::Bare,
            result: Err(Exception::LoadAccessFault(0x10)),
            access: Access::Load,
            va: 0x10,
            ..hit
        };
        assert_eq!(
            trace_one(Format::Text, Filter::default(), &bare),
            "         7 M ---- L 0000000000000010 fault=load-access-fault bare\n"
        );
        let json = trace_one(Format::Json, Filter::default(), &bare);
        assert!(json.contains("\"asid\":null") && json.contains("\"tlb\":\"bare\""));
    }

    /// The PMP field: the deciding entry, `none` when no entry matched, `-partial` when the
    /// first match covers only some bytes; absent when PMP was not asked.
    #[test]
    fn pmp_decisions_have_their_own_field() {
        let seg = Translation {
            count: 9,
            prv: Priv::U,
            asid: None,
            access: Access::Load,
            va: 0x8020_0010,
            result: Ok(0x8020_0010),
            lookup: Lookup::Bare,
            walk: None,
            uncached: false,
            pmp: Some(Decision::Entry(3)),
        };
        assert_eq!(
            trace_one(Format::Text, Filter::default(), &seg),
            "         9 U ---- L 0000000080200010 pa=0000000080200010 bare pmp=3\n"
        );
        assert_eq!(
            trace_one(Format::Json, Filter::default(), &seg),
            "{\"type\":\"translation\",\"count\":9,\"priv\":\"U\",\"asid\":null,\
             \"access\":\"load\",\"va\":\"0x0000000080200010\",\"pa\":\"0x0000000080200010\",\
             \"tlb\":\"bare\",\"pmp\":3}\n"
        );
        let outside = Translation {
            va: 0x8030_0000,
            result: Err(Exception::LoadAccessFault(0x8030_0000)),
            pmp: Some(Decision::NoMatch),
            ..seg
        };
        assert_eq!(
            trace_one(Format::Text, Filter::default(), &outside),
            "         9 U ---- L 0000000080300000 fault=load-access-fault bare pmp=none\n"
        );
        assert!(trace_one(Format::Json, Filter::default(), &outside)
            .ends_with("\"tlb\":\"bare\",\"pmp\":null}\n"));
        let partial = Translation {
            pmp: Some(Decision::Partial(5)),
            ..outside
        };
        assert!(
            trace_one(Format::Text, Filter::default(), &partial).ends_with(" bare pmp=5-partial\n")
        );
        assert!(trace_one(Format::Json, Filter::default(), &partial)
            .ends_with("\"pmp\":5,\"pmp_partial\":true}\n"));
        let page_fault = Translation {
            result: Err(Exception::LoadPageFault(0x8030_0000)),
            pmp: None,
            ..outside
        };
        assert!(!trace_one(Format::Text, Filter::default(), &page_fault).contains("pmp"));
        assert!(!trace_one(Format::Json, Filter::default(), &page_fault).contains("pmp"));
    }

    #[test]
    fn filters_select_by_va_range_access_hit_and_asid() {
        let t = Translation {
            count: 0,
            prv: Priv::U,
            asid: Some(3),
            access: Access::Load,
            va: 0x4000,
            result: Ok(0x8000_4000),
            lookup: Lookup::Hit,
            walk: None,
            uncached: false,
            pmp: None,
        };
        let f = Filter::default();
        assert!(f.accepts(t.va, t.access, t.lookup, t.asid));
        let range = |s, e| Filter {
            va: Some((s, e)),
            ..f
        };
        assert!(range(0x4000, 0x4001).accepts(t.va, t.access, t.lookup, t.asid));
        assert!(!range(0x3000, 0x4000).accepts(t.va, t.access, t.lookup, t.asid));
        let loads_only = Filter {
            access: [false, true, false],
            ..f
        };
        assert!(loads_only.accepts(t.va, Access::Load, t.lookup, t.asid));
        assert!(!loads_only.accepts(t.va, Access::Store, t.lookup, t.asid));
        let misses = Filter {
            hit: Some(false),
            ..f
        };
        assert!(!misses.accepts(t.va, t.access, Lookup::Hit, t.asid));
        assert!(misses.accepts(t.va, t.access, Lookup::Miss, t.asid));
        assert!(misses.accepts(t.va, t.access, Lookup::Rewalk, t.asid));
        assert!(!misses.accepts(t.va, t.access, Lookup::Bare, t.asid));
        let asid3 = Filter { asid: Some(3), ..f };
        assert!(asid3.accepts(t.va, t.access, t.lookup, Some(3)));
        assert!(!asid3.accepts(t.va, t.access, t.lookup, Some(4)));
        assert!(!asid3.accepts(t.va, t.access, Lookup::Bare, None));
        // A filtered-out record is not written and not counted.
        let out = trace_one(Format::Text, range(0, 0x1000), &t);
        assert_eq!(out, "");
    }

    #[test]
    fn instruction_records_match_the_insns_trace_columns() {
        let sink = Sink::default();
        let mut tr = Tracer::new(Box::new(sink.clone()), Format::Text, true, None);
        tr.instruction(6, Priv::M, 0x8000_0000, 0x4281);
        tr.instruction(7, Priv::M, 0x8000_0002, 0x0000_0297);
        tr.flush().unwrap();
        let out = String::from_utf8(sink.0.lock().unwrap().clone()).unwrap();
        assert_eq!(
            out,
            "         6 M 0000000080000000 4281     li\tt0,0\n         7 M 0000000080000002 00000297 auipc\tt0,0x0\n"
        );
        let sink = Sink::default();
        let mut tr = Tracer::new(Box::new(sink.clone()), Format::Json, true, None);
        tr.instruction(6, Priv::M, 0x8000_0000, 0x4281);
        tr.flush().unwrap();
        let out = String::from_utf8(sink.0.lock().unwrap().clone()).unwrap();
        assert_eq!(
            out,
            "{\"type\":\"insn\",\"count\":6,\"priv\":\"M\",\"pc\":\"0x0000000080000000\",\
             \"raw\":\"4281\",\"asm\":\"li\\tt0,0\"}\n"
        );
    }

    #[test]
    fn a_failing_writer_is_reported_once_and_not_retried() {
        struct Broken;
        impl Write for Broken {
            fn write(&mut self, _: &[u8]) -> io::Result<usize> {
                Err(io::Error::other("disk full"))
            }
            fn flush(&mut self) -> io::Result<()> {
                Ok(())
            }
        }
        let mut tr = Tracer::new(Box::new(Broken), Format::Text, true, None);
        tr.instruction(0, Priv::M, 0, 0x4281);
        assert!(tr.flush().is_err());
        assert!(tr.flush().is_ok(), "the error was reported already");
    }
}
