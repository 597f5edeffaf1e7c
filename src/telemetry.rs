//! Structured (JSON) logs; every request carries a request id (see `startup`).

use tracing_subscriber::fmt::format::FmtSpan;
use tracing_subscriber::{fmt, EnvFilter};

pub fn init(filter: &str) {
    let filter = EnvFilter::try_new(filter).unwrap_or_else(|_| EnvFilter::new("info"));
    // A second init (tests) is harmless.
    let _ = fmt()
        .json()
        .with_env_filter(filter)
        .with_current_span(true)
        // One line per finished request span: method, route, status, request id, latency.
        .with_span_events(FmtSpan::CLOSE)
        .with_target(true)
        .try_init();
}

/// Large allocations (an argon2 hash takes 19 MiB) are mapped and unmapped on their own
/// instead of kept in glibc's per-thread arenas: glibc raises its mmap threshold after the
/// first such free, so every blocking thread that once hashed a password would keep 19 MiB
/// (300 logins left RSS at 526 MB). Setting the threshold fixes it at 1 MiB.
pub fn return_large_allocations() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only changes allocator tuning; called before the server's threads start.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 1024 * 1024);
    }
}
