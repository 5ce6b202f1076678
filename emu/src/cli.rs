//! Command-line parsing helpers for the `rvmmu` binary (sizes, trace selections).

/// Parses a memory size: a number of bytes with an optional K, M or G suffix (binary units,
/// as QEMU's `-m`), e.g. `128M`, `2G`, `65536`.
pub fn parse_size(s: &str) -> Result<u64, String> {
    let s = s.trim();
    let (digits, shift) = match s.char_indices().last() {
        Some((i, c)) if c.is_ascii_alphabetic() => {
            let shift = match c.to_ascii_uppercase() {
                'K' => 10,
                'M' => 20,
                'G' => 30,
                'T' => 40,
                _ => {
                    return Err(format!(
                        "unknown size suffix '{c}' in '{s}' (use K, M, G or T)"
                    ))
                }
            };
            (&s[..i], shift)
        }
        _ => (s, 0),
    };
    let n: u64 = digits
        .parse()
        .map_err(|_| format!("'{s}' is not a size (e.g. 128M, 2G)"))?;
    n.checked_mul(1 << shift)
        .ok_or_else(|| format!("size '{s}' is too large"))
}

/// The machine's RAM size limits: at least 1 MiB, a multiple of 4 KiB, and at most 64 GiB
/// (RAM ends below the 64-bit physical limit of Sv39's 56-bit PA with room to spare).
pub fn check_mem(size: u64) -> Result<u64, String> {
    if size < (1 << 20) {
        return Err(format!("--mem {} is too small (at least 1M)", human(size)));
    }
    if size % 4096 != 0 {
        return Err(format!("--mem {size} is not a multiple of 4K"));
    }
    if size > (64 << 30) {
        return Err(format!("--mem {} is too large (at most 64G)", human(size)));
    }
    Ok(size)
}

/// A byte count in the largest binary unit that divides it (`100G`, `4095`).
fn human(size: u64) -> String {
    for (shift, unit) in [(40, "T"), (30, "G"), (20, "M"), (10, "K")] {
        if size != 0 && size % (1u64 << shift) == 0 {
            return format!("{}{unit}", size >> shift);
        }
    }
    size.to_string()
}

/// Parses a number in decimal or, with `0x`, hexadecimal (`_` separators allowed).
pub fn parse_u64(s: &str) -> Result<u64, String> {
    let t = s.trim().replace('_', "");
    let r = match t.strip_prefix("0x").or_else(|| t.strip_prefix("0X")) {
        Some(h) => u64::from_str_radix(h, 16),
        None => t.parse(),
    };
    r.map_err(|_| format!("'{s}' is not a number (decimal, or hexadecimal with 0x)"))
}

/// Parses a virtual-address range for `--trace-va`: `START-END` (END excluded) or
/// `START+LEN`, each a number as [`parse_u64`] reads it. Returns `(start, end)`.
pub fn parse_va_range(s: &str) -> Result<(u64, u64), String> {
    let (start, end) = if let Some((a, b)) = s.split_once('+') {
        let start = parse_u64(a)?;
        let len = parse_u64(b)?;
        let end = start
            .checked_add(len)
            .ok_or_else(|| format!("range '{s}' runs past the end of the address space"))?;
        (start, end)
    } else if let Some((a, b)) = s.split_once('-') {
        (parse_u64(a)?, parse_u64(b)?)
    } else {
        return Err(format!("'{s}' is not a range (START-END or START+LEN)"));
    };
    if end <= start {
        return Err(format!("range '{s}' is empty"));
    }
    Ok((start, end))
}

/// A word of the kernel command line: as is, or in double quotes when it has spaces (the
/// kernel's parser, like Linux's, takes a quoted word whole). Words with a double quote or
/// a control character cannot be passed.
pub fn cmdline_word(w: &str) -> Result<String, String> {
    if w.contains('"') || w.contains(['\n', '\r', '\0']) {
        return Err(format!(
            "argument {w:?} cannot be passed on the kernel command line (it has a quote or a control character)"
        ));
    }
    if w.is_empty() || w.contains(char::is_whitespace) {
        Ok(format!("\"{w}\""))
    } else {
        Ok(w.to_string())
    }
}

/// The kernel command line `rvmmu run` boots with: `paging=MODE init=PATH`, `quiet` if
/// asked, the `extra` parameters as given (`sysctl.NAME=VALUE`, --append's), then `--` and
/// the program's arguments, each a [`cmdline_word`].
pub fn kernel_cmdline(
    paging: &str,
    init: &str,
    quiet: bool,
    extra: &[String],
    args: &[String],
) -> Result<String, String> {
    let mut words = vec![
        format!("paging={paging}"),
        format!("init={}", cmdline_word(init)?),
    ];
    if quiet {
        words.push("quiet".into());
    }
    words.extend(extra.iter().cloned());
    if !args.is_empty() {
        words.push("--".into());
        for w in args {
            words.push(cmdline_word(w)?);
        }
    }
    Ok(words.join(" "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn va_ranges() {
        assert_eq!(parse_va_range("0x1000-0x2000"), Ok((0x1000, 0x2000)));
        assert_eq!(parse_va_range("0x1000+4096"), Ok((0x1000, 0x2000)));
        assert_eq!(
            parse_va_range("0xffff_ffc0_0000_0000+0x1000"),
            Ok((0xffff_ffc0_0000_0000, 0xffff_ffc0_0000_1000))
        );
        assert!(parse_va_range("0x2000-0x1000").is_err());
        assert!(parse_va_range("0x1000").is_err());
        assert!(parse_va_range("0xffffffffffffffff+2").is_err());
        assert!(parse_va_range("zz-0x10").is_err());
    }

    #[test]
    fn sizes() {
        assert_eq!(parse_size("128M"), Ok(128 << 20));
        assert_eq!(parse_size("2g"), Ok(2 << 30));
        assert_eq!(parse_size("4096"), Ok(4096));
        assert!(parse_size("12Q").is_err());
        assert!(parse_size("M").is_err());
        assert!(parse_size("99999999999G").is_err());
        assert!(check_mem(4095).is_err());
        assert!(check_mem(16 << 30).is_ok());
    }

    #[test]
    fn kernel_command_lines_quote_words_with_spaces() {
        let args = ["-x".to_string(), "two words".to_string()];
        let extra = ["sysctl.vm.swappiness=10".to_string()];
        assert_eq!(
            kernel_cmdline("sv39", "/bin/p", true, &extra, &args).unwrap(),
            "paging=sv39 init=/bin/p quiet sysctl.vm.swappiness=10 -- -x \"two words\""
        );
        assert_eq!(
            kernel_cmdline("sv48", "/bin/p", false, &[], &[]).unwrap(),
            "paging=sv48 init=/bin/p"
        );
        assert!(cmdline_word("a\"b").is_err());
        assert_eq!(cmdline_word("").unwrap(), "\"\"");
    }
}
