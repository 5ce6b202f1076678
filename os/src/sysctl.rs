//! The memory-management tunables of /proc/sys/vm, with Linux 6.1's names, defaults and
//! ranges, and the watermarks derived from them (LINUX-FACTS.md, "Reclaim"). Reclaim, the
//! overcommit policy and the OOM killer (ROADMAP.md step 4) read them from here.
//!
//! Set at boot from the command line's `sysctl.vm.NAME=VALUE` words (Linux 5.8+'s
//! `sysctl.` parameters; `/` may stand for `.`), after the defaults that depend on the
//! machine are computed, as Linux applies them after its initcalls: a value out of range or
//! not a number leaves the default and logs a warning. Read-only from user space for now.

use alloc::format;
use alloc::string::String;
use core::sync::atomic::{AtomicI64, Ordering};
pub use mm_core::watermark::Watermarks;

/// A tunable: its file name under /proc/sys/vm, value and range (inclusive).
pub struct Sysctl {
    pub name: &'static str,
    value: AtomicI64,
    min: i64,
    max: i64,
}

const fn entry(name: &'static str, default: i64, min: i64, max: i64) -> Sysctl {
    Sysctl {
        name,
        value: AtomicI64::new(default),
        min,
        max,
    }
}

const INT_MAX: i64 = i32::MAX as i64;
const INT_MIN: i64 = i32::MIN as i64;

/// The table, in the order Linux lists the directory (by name). Defaults that depend on
/// the machine (the reserves, min_free_kbytes) are set by [`init`].
pub static VM: [Sysctl; 12] = [
    // min(3% of free memory, 8 MiB): mm/util.c's init_admin_reserve.
    entry("admin_reserve_kbytes", 0, 0, i64::MAX),
    // clamp(sqrt(lowmem_kB * 16), 128, 262144): mm/page_alloc.c.
    entry("min_free_kbytes", 128, 0, INT_MAX),
    // CommitLimit in kB instead of overcommit_ratio's share when not 0.
    entry("overcommit_kbytes", 0, 0, i64::MAX),
    // 0 heuristic, 1 always, 2 never.
    entry("overcommit_memory", 0, 0, 2),
    entry("overcommit_ratio", 50, INT_MIN, INT_MAX),
    entry("page-cluster", 3, 0, INT_MAX),
    // Not Linux's: segmented mode (`mm::segmem`). 0 places a segment in the lowest hole
    // large enough (first fit), 1 in the smallest one (best fit).
    entry("segment_best_fit", 0, 0, 1),
    // Not Linux's: the stack segment a segmented process gets at exec, in kB.
    entry("segment_stack_kb", 256, 4, 1 << 20),
    // 0..=200 since Linux 5.8 (the notes say 0..=100, the range before).
    entry("swappiness", 60, 0, 200),
    // min(3% of free memory, 128 MiB): init_user_reserve.
    entry("user_reserve_kbytes", 0, 0, i64::MAX),
    entry("vfs_cache_pressure", 100, 0, INT_MAX),
    entry("watermark_scale_factor", 10, 1, 3000),
];

/// A tunable by its table entry's name.
pub fn find(name: &str) -> Option<&'static Sysctl> {
    VM.iter().find(|s| s.name == name)
}

impl Sysctl {
    pub fn get(&self) -> i64 {
        self.value.load(Ordering::Relaxed)
    }

    /// Sets the value if it is in range; else leaves it and says why. Setting
    /// watermark_scale_factor chooses Linux's watermark rule over the notes' ([`watermarks`]).
    pub fn set(&self, text: &str) -> Result<(), String> {
        let v: i64 = text
            .parse()
            .map_err(|_| format!("{text:?} is not a number"))?;
        if v < self.min || v > self.max {
            return Err(format!("{v} is out of range {}..={}", self.min, self.max));
        }
        self.value.store(v, Ordering::Relaxed);
        if self.name == "watermark_scale_factor" {
            SCALE_FACTOR_SET.store(true, Ordering::Relaxed);
        }
        Ok(())
    }

    /// What reading /proc/sys/vm/NAME gives.
    pub fn text(&self) -> String {
        format!("{}\n", self.get())
    }
}

/// A tunable's value by name (0 for a name not in the table: a kernel bug).
pub fn value(name: &str) -> i64 {
    find(name).map_or(0, Sysctl::get)
}

/// Computes the machine-dependent defaults from the managed and free frames at boot.
pub fn init(managed_frames: u64, free_frames: u64) {
    let min_free = mm_core::watermark::default_min_free_kbytes(managed_frames * 4);
    let free_kb = free_frames * 4;
    let set = |name: &str, v: u64| {
        if let Some(s) = find(name) {
            s.value.store(v as i64, Ordering::Relaxed);
        }
    };
    set("min_free_kbytes", min_free);
    set("admin_reserve_kbytes", (free_kb / 32).min(8 << 10));
    set("user_reserve_kbytes", (free_kb / 32).min(128 << 10));
}

/// Applies the `sysctl.` words of the command line, (name, value) with the name after
/// `sysctl.` (e.g. `vm.swappiness`, or `vm/swappiness`).
pub fn apply_bootargs<'a>(words: impl Iterator<Item = (&'a str, &'a str)>) {
    for (name, value) in words {
        let file = name
            .strip_prefix("vm.")
            .or_else(|| name.strip_prefix("vm/"));
        let Some(s) = file.and_then(find) else {
            log::warn!("sysctl: no such parameter {name} (only vm.* exist): ignored");
            continue;
        };
        match s.set(value) {
            Ok(()) => log::info!("sysctl: vm.{} = {value}", s.name),
            Err(why) => log::warn!(
                "sysctl: vm.{}={value} refused ({why}): keeping {}",
                s.name,
                s.get()
            ),
        }
    }
}

/// watermark_scale_factor was set (on the command line or through /proc/sys/vm).
static SCALE_FACTOR_SET: core::sync::atomic::AtomicBool =
    core::sync::atomic::AtomicBool::new(false);

/// The watermarks of the one zone of `managed` frames (`mm_core::watermark` has the rules):
/// the notes' rule from min_free_kbytes (low = 5/4 min, high = 3/2 min) by default; Linux
/// 4.6+'s, with watermark_scale_factor's share of the zone, once that sysctl is set.
pub fn watermarks(managed: u64) -> Watermarks {
    if !SCALE_FACTOR_SET.load(Ordering::Relaxed) {
        return Watermarks::notes(value("min_free_kbytes").max(0) as u64);
    }
    Watermarks::new(
        value("min_free_kbytes").max(0) as u64,
        value("watermark_scale_factor").max(0) as u64,
        managed,
    )
}
