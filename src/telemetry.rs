//! Structured (JSON) logs; every request carries a request id (see `startup`). Prometheus
//! metrics (`metrics` facade, rendered by `metrics-exporter-prometheus`; the names are listed
//! in docs/operations.md).

use std::sync::OnceLock;

use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};

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

/// The process's metrics recorder, installed on first use (tests build many servers in one
/// process; they share it). `None` if another recorder was installed first.
pub fn metrics() -> Option<&'static PrometheusHandle> {
    static HANDLE: OnceLock<Option<PrometheusHandle>> = OnceLock::new();
    HANDLE
        .get_or_init(|| {
            let handle = PrometheusBuilder::new()
                .set_buckets_for_metric(
                    metrics_exporter_prometheus::Matcher::Suffix("_seconds".into()),
                    &[
                        0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0,
                        10.0,
                    ],
                )
                .ok()?
                .install_recorder()
                .ok()?;
            describe();
            Some(handle)
        })
        .as_ref()
}

/// Metric names, in one place.
pub mod names {
    pub const HTTP_REQUESTS: &str = "finmatch_http_requests_total";
    pub const HTTP_DURATION: &str = "finmatch_http_request_duration_seconds";
    pub const CACHE_BYTES: &str = "finmatch_matching_cache_bytes";
    pub const CACHE_ENTRIES: &str = "finmatch_matching_cache_entries";
    pub const CACHE_LIMIT_BYTES: &str = "finmatch_matching_cache_limit_bytes";
    pub const CACHE_LOOKUPS: &str = "finmatch_matching_cache_lookups_total";
    pub const DB_POOL_CONNECTIONS: &str = "finmatch_db_pool_connections";
    pub const DB_POOL_IDLE: &str = "finmatch_db_pool_idle_connections";
    pub const LOGIN_THROTTLED: &str = "finmatch_login_throttled_total";
    pub const HASH_BUSY: &str = "finmatch_password_hash_busy_total";
}

fn describe() {
    use metrics::{describe_counter, describe_gauge, describe_histogram, Unit};
    use names::*;
    describe_counter!(
        HTTP_REQUESTS,
        "API requests by method, route template and status"
    );
    describe_histogram!(
        HTTP_DURATION,
        Unit::Seconds,
        "API request latency by method and route template"
    );
    describe_gauge!(
        CACHE_BYTES,
        Unit::Bytes,
        "bytes held by cached recommendation rankings and pages"
    );
    describe_gauge!(CACHE_ENTRIES, "cached rankings and pages");
    describe_gauge!(
        CACHE_LIMIT_BYTES,
        Unit::Bytes,
        "the cache's byte bound (FINMATCH_MATCHING_CACHE_MB)"
    );
    describe_counter!(
        CACHE_LOOKUPS,
        "recommendation cache lookups by kind (ranking, page) and outcome (hit, miss)"
    );
    describe_gauge!(DB_POOL_CONNECTIONS, "open database connections");
    describe_gauge!(DB_POOL_IDLE, "idle database connections");
    describe_counter!(
        LOGIN_THROTTLED,
        "logins refused with 429 by the login throttle"
    );
    describe_counter!(
        HASH_BUSY,
        "logins answered 503 because every password-hashing slot was busy"
    );
}
