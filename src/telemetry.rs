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
    pub const DB_POOL_MAX: &str = "finmatch_db_pool_max_connections";
    pub const DB_POOL_IN_USE: &str = "finmatch_db_pool_in_use_connections";
    pub const DB_POOL_WAIT: &str = "finmatch_db_pool_wait_seconds";
    pub const DB_POOL_TIMEOUTS: &str = "finmatch_db_pool_timeouts_total";
    pub const DB_OUTAGES: &str = "finmatch_db_outages_total";
    pub const DB_UP: &str = "finmatch_db_up";
    pub const OUTBOX_PENDING: &str = "finmatch_outbox_pending";
    pub const OUTBOX_OLDEST_AGE: &str = "finmatch_outbox_oldest_pending_age_seconds";
    pub const WEBHOOK_DELIVERIES: &str = "finmatch_webhook_deliveries_total";
    pub const JOB_RUNS: &str = "finmatch_job_runs_total";
    pub const JOB_DURATION: &str = "finmatch_job_duration_seconds";
    pub const JOB_LAST_SUCCESS: &str = "finmatch_job_last_success_timestamp_seconds";
    pub const ROLLUP_FOLD: &str = "finmatch_rollup_fold_seconds";
    pub const HOUSEKEEPING_PURGED: &str = "finmatch_housekeeping_purged_total";
    pub const RATE_LIMITED: &str = "finmatch_rate_limited_total";
    pub const REQUEST_TIMEOUTS: &str = "finmatch_request_timeouts_total";
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
    describe_gauge!(DB_POOL_MAX, "the pool's size (FINMATCH_DB_POOL_SIZE)");
    describe_gauge!(DB_POOL_IN_USE, "database connections checked out now");
    describe_histogram!(
        DB_POOL_WAIT,
        Unit::Seconds,
        "time a request waited for a database connection"
    );
    describe_counter!(
        DB_POOL_TIMEOUTS,
        "checkouts that gave up after FINMATCH_DB_TIMEOUT_MS (answered 503)"
    );
    describe_counter!(DB_OUTAGES, "times the database became unreachable");
    describe_gauge!(DB_UP, "1 while the database answers, 0 during an outage");
    describe_gauge!(OUTBOX_PENDING, "webhook deliveries waiting to be sent");
    describe_gauge!(
        OUTBOX_OLDEST_AGE,
        Unit::Seconds,
        "age of the oldest webhook delivery still waiting"
    );
    describe_counter!(
        WEBHOOK_DELIVERIES,
        "webhook delivery attempts by outcome (delivered, retry, gave_up, dropped)"
    );
    describe_counter!(
        JOB_RUNS,
        "background job runs by job and result (ok, error)"
    );
    describe_histogram!(
        JOB_DURATION,
        Unit::Seconds,
        "background job run time by job"
    );
    describe_gauge!(
        JOB_LAST_SUCCESS,
        Unit::Seconds,
        "Unix time of each job's last successful run (lag = now − this)"
    );
    describe_histogram!(
        ROLLUP_FOLD,
        Unit::Seconds,
        "time to fold pending report deltas into the rollup cells"
    );
    describe_counter!(
        HOUSEKEEPING_PURGED,
        "rows purged by housekeeping, by kind (idempotency, throttle, revoked_tokens, outbox)"
    );
    describe_counter!(
        RATE_LIMITED,
        "requests refused with 429 by the API rate limit, by kind (token, address)"
    );
    describe_counter!(
        REQUEST_TIMEOUTS,
        "requests answered 503 after FINMATCH_REQUEST_TIMEOUT_MS"
    );
}
