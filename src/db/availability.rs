//! Whether the database answers, as the connection pool sees it. An outage is logged once
//! when it starts and once when it ends, however many requests and reconnection attempts
//! fail in between (r2d2 would otherwise log every failed attempt at ERROR).

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

#[derive(Debug, Default)]
pub struct Availability {
    down: AtomicBool,
}

impl Availability {
    /// A connection attempt or check failed.
    pub fn failed(&self, error: &dyn std::fmt::Display) {
        metrics::gauge!(crate::telemetry::names::DB_UP).set(0.0);
        if !self.down.swap(true, Ordering::AcqRel) {
            tracing::error!(error = %error, "database unavailable; answering 503 until it is back");
            metrics::counter!(crate::telemetry::names::DB_OUTAGES).increment(1);
        } else {
            tracing::debug!(error = %error, "database still unavailable");
        }
    }

    /// A connection was made or handed out.
    pub fn answered(&self) {
        metrics::gauge!(crate::telemetry::names::DB_UP).set(1.0);
        if self.down.load(Ordering::Acquire) && self.down.swap(false, Ordering::AcqRel) {
            tracing::info!("database available again");
        }
    }

    pub fn is_down(&self) -> bool {
        self.down.load(Ordering::Acquire)
    }
}

/// The pool's hooks into one `Availability`.
#[derive(Debug, Clone)]
pub struct Watch(pub Arc<Availability>);

impl diesel::r2d2::HandleError<diesel::r2d2::Error> for Watch {
    /// Only a failed connect is an outage. A pooled connection that fails its check on
    /// checkout (it broke in an earlier outage, or the server closed it) is dropped and
    /// replaced without a word: after an outage there may be several.
    fn handle_error(&self, error: diesel::r2d2::Error) {
        match error {
            diesel::r2d2::Error::ConnectionError(e) => self.0.failed(&e),
            diesel::r2d2::Error::QueryError(e) => {
                tracing::debug!(error = %e, "dropped a broken database connection")
            }
        }
    }
}

impl diesel::r2d2::HandleEvent for Watch {
    fn handle_acquire(&self, _: diesel::r2d2::event::AcquireEvent) {
        self.0.answered();
    }

    fn handle_checkout(&self, event: diesel::r2d2::event::CheckoutEvent) {
        self.0.answered();
        metrics::histogram!(crate::telemetry::names::DB_POOL_WAIT)
            .record(event.duration().as_secs_f64());
    }

    fn handle_timeout(&self, _: diesel::r2d2::event::TimeoutEvent) {
        metrics::counter!(crate::telemetry::names::DB_POOL_TIMEOUTS).increment(1);
    }
}
