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

#[cfg(test)]
mod tests {
    use super::*;

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
}
