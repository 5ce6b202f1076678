//! Where a segmented exec puts a static-pie's loads (the kernel's `proc/seg.rs`; docs
//! KERNEL.md, "Segmented processes"): one contiguous range holds a page for the signal
//! trampoline followed by every PT_LOAD at its fixed distance from the others (a PIE
//! reaches its data pc-relatively), split in two segments: the text (the trampoline page
//! and the loads without W: R-X) and, right after it, the data (the loads with W, their
//! bss, later the heap: RW-). Pure arithmetic on the program headers, host-tested.

/// One PT_LOAD with memsz > 0, unbiased.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Load {
    pub vaddr: u64,
    pub memsz: u64,
    pub writable: bool,
}

/// The split of the range (offsets from its start are `text_len`, `data_len`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Split {
    /// The lowest load's page: the range's image starts here (after the trampoline page).
    pub low: u64,
    /// Bytes of the text segment: the trampoline page and the read-only loads' pages.
    pub text_len: u64,
    /// Bytes of the data segment right after it (at least one page, for the heap's start).
    pub data_len: u64,
}

impl Split {
    /// Bytes of the whole range.
    pub fn total(&self) -> u64 {
        self.text_len + self.data_len
    }
    /// The bias that puts the image at physical `base` (+ the trampoline page).
    pub fn bias(&self, base: u64, page: u64) -> u64 {
        base.wrapping_add(page).wrapping_sub(self.low)
    }
}

/// Why the loads cannot be split.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SplitError {
    NoLoad,
    /// A read-only load lies above (or shares a page with) a writable one.
    Interleaved,
    /// The span overflows or exceeds `max_span`.
    TooLarge,
}

impl SplitError {
    /// The reason, for the exec's log line.
    pub fn reason(self) -> &'static str {
        match self {
            SplitError::NoLoad => "no PT_LOAD segment",
            SplitError::Interleaved => {
                "read-only and writable PT_LOADs interleave: no text/data split"
            }
            SplitError::TooLarge => "PT_LOAD segments too large",
        }
    }
}

/// The text/data split of `loads` with pages of `page` bytes; the span of the loads may be
/// at most `max_span`. Without a writable load the data segment is one empty page after
/// the text.
pub fn split(loads: &[Load], page: u64, max_span: u64) -> Result<Split, SplitError> {
    let down = |a: u64| a & !(page - 1);
    let low = loads
        .iter()
        .map(|l| down(l.vaddr))
        .min()
        .ok_or(SplitError::NoLoad)?;
    let mut high = low;
    let mut text_end = low;
    let mut data_start: Option<u64> = None;
    for l in loads {
        let end = l
            .vaddr
            .checked_add(l.memsz)
            .and_then(|e| e.checked_next_multiple_of(page))
            .ok_or(SplitError::TooLarge)?;
        high = high.max(end);
        if l.writable {
            let s = down(l.vaddr);
            data_start = Some(data_start.map_or(s, |d| d.min(s)));
        } else {
            text_end = text_end.max(end);
        }
    }
    let data_start = match data_start {
        Some(d) => d,
        None => {
            high = high.checked_add(page).ok_or(SplitError::TooLarge)?;
            high - page
        }
    };
    if text_end > data_start {
        return Err(SplitError::Interleaved);
    }
    if high - low > max_span {
        return Err(SplitError::TooLarge);
    }
    Ok(Split {
        low,
        text_len: page + (data_start - low),
        data_len: high - data_start,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const P: u64 = 4096;

    fn load(vaddr: u64, memsz: u64, writable: bool) -> Load {
        Load {
            vaddr,
            memsz,
            writable,
        }
    }

    #[test]
    fn a_musl_static_pie_splits_at_its_first_writable_page() {
        // zig cc -static -fPIE -pie: R at 0, RX at 0x21dc, RW at 0x7400 and 0x8560.
        let loads = [
            load(0, 0x11dc, false),
            load(0x21dc, 0x4220, false),
            load(0x7400, 0xc00, true),
            load(0x8560, 0x738, true),
        ];
        let s = split(&loads, P, 1 << 40).unwrap();
        assert_eq!(s.low, 0);
        assert_eq!(s.text_len, P + 0x7000);
        assert_eq!(s.data_len, 0x9000 - 0x7000);
        assert_eq!(s.total(), P + 0x9000);
        // The image starts one page into the range: vaddr 0 lands at base + P.
        assert_eq!(s.bias(0x8040_0000, P), 0x8040_1000);
    }

    #[test]
    fn loads_not_starting_at_zero_are_biased_from_their_first_page() {
        let loads = [load(0x10_0123, 0x100, false), load(0x10_2000, 0x10, true)];
        let s = split(&loads, P, 1 << 40).unwrap();
        assert_eq!(s.low, 0x10_0000);
        assert_eq!(s.text_len, P + 0x2000);
        assert_eq!(s.data_len, P);
        assert_eq!(s.bias(0x9000_0000, P).wrapping_add(0x10_0000), 0x9000_1000);
    }

    #[test]
    fn without_a_writable_load_the_data_segment_is_one_page_after_the_text() {
        let s = split(&[load(0, 0x1800, false)], P, 1 << 40).unwrap();
        assert_eq!(s.text_len, P + 0x2000);
        assert_eq!(s.data_len, P);
    }

    #[test]
    fn bad_layouts_are_errors_not_panics() {
        assert_eq!(split(&[], P, 1 << 40), Err(SplitError::NoLoad));
        // Read-only above writable, and a shared page.
        let above = [load(0, 0x100, true), load(0x2000, 0x100, false)];
        assert_eq!(split(&above, P, 1 << 40), Err(SplitError::Interleaved));
        let shared = [load(0, 0x800, false), load(0x800, 0x100, true)];
        assert_eq!(split(&shared, P, 1 << 40), Err(SplitError::Interleaved));
        // Wrapping and too large.
        let wraps = [load(u64::MAX - 0x10, 0x100, false)];
        assert_eq!(split(&wraps, P, 1 << 40), Err(SplitError::TooLarge));
        let big = [load(0, 1 << 41, true)];
        assert_eq!(split(&big, P, 1 << 40), Err(SplitError::TooLarge));
        assert!(!SplitError::Interleaved.reason().is_empty());
    }
}
