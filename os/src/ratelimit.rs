//! Warnings a user program can cause again and again (an unsupported flag, a clock it has
//! no business asking for), rate-limited as Linux's `pr_warn_ratelimited`: each call site
//! keeps its own [`RateLimit`] (printk_ratelimit's 10 lines per 5 s of virtual time), and
//! the first line let through after a quiet window says how many were dropped. The
//! per-call-number limit of unimplemented system calls is in `syscall/mod.rs`.

pub use mm_core::ratelimit::{RateLimit, Verdict};

/// `log::warn!` with the arguments given, rate-limited per call site (see the module).
macro_rules! warn_ratelimited {
    ($($arg:tt)+) => {{
        static LIMIT: spin::Mutex<$crate::ratelimit::RateLimit> =
            spin::Mutex::new($crate::ratelimit::RateLimit::printk());
        let verdict = LIMIT.lock().check($crate::time::now_ns());
        if let $crate::ratelimit::Verdict::Print { suppressed } = verdict {
            if suppressed > 0 {
                log::warn!("{}: {} callbacks suppressed", module_path!(), suppressed);
            }
            log::warn!($($arg)+);
        }
    }};
}
pub(crate) use warn_ratelimited;
