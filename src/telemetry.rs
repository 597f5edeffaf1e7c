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
