//! The application layer: one module per group of use cases. A use case takes the caller and a
//! typed command, owns its transaction and applies its side effects through one
//! [`effects::Effects`] collector committed with it. HTTP handlers, the CLI and the jobs call
//! use cases; none of them opens a transaction or writes SQL.

pub mod bridges;
pub mod calendar;
pub mod caller;
pub mod clock;
pub mod credentials;
pub mod demands;
pub mod effects;
pub mod enterprises;
pub mod error;
pub mod health;
pub mod idempotency;
pub mod loans;
pub mod matches;
pub mod matching;
pub mod organizations;
pub mod pagination;
pub mod products;
pub mod query;
pub mod renewals;
pub mod reports;
pub mod risk;
pub mod session;
pub mod state;
pub mod subsidies;
pub mod users;
pub mod views;
pub mod webhooks;

pub use caller::Caller;
pub use error::{AppError, AppResult};
pub use state::AppState;

use crate::db::DbConnection;

/// What a request may still spend: its deadline (`FINMATCH_REQUEST_TIMEOUT_MS`) and the time
/// it already waited for database connections, so that one request waits for the pool at most
/// once in all (`FINMATCH_DB_TIMEOUT_MS`), however many use cases it runs. Set per request by
/// the HTTP layer; absent outside requests.
pub struct RequestBudget {
    pub deadline: std::time::Instant,
    pub waited: std::cell::Cell<std::time::Duration>,
}

tokio::task_local! {
    pub static BUDGET: RequestBudget;
}

/// Runs blocking database work (a use case) on the blocking pool with a pooled connection,
/// off the async runtime. Past the request's deadline the caller gets 503 with `Retry-After`
/// at once; the work already started finishes on its thread (a write may still commit, which
/// is why clients retry writes with an `Idempotency-Key`).
pub async fn run<T, F>(state: &AppState, f: F) -> AppResult<T>
where
    F: FnOnce(&mut DbConnection) -> AppResult<T> + Send + 'static,
    T: Send + 'static,
{
    use std::time::{Duration, Instant};
    let pool = state.pool.clone();
    let budget = BUDGET.try_with(|b| (b.deadline, b.waited.get())).ok();
    let wait = match budget {
        Some((_, waited)) => pool
            .connection_timeout()
            .saturating_sub(waited)
            .max(Duration::from_millis(1)),
        None => pool.connection_timeout(),
    };
    let work = tokio::task::spawn_blocking(move || {
        let started = Instant::now();
        let conn = pool.get_timeout(wait);
        let waited = started.elapsed();
        (
            waited,
            conn.map_err(AppError::from).and_then(|mut c| f(&mut c)),
        )
    });
    let joined = match budget {
        Some((deadline, _)) => match tokio::time::timeout_at(deadline.into(), work).await {
            Ok(joined) => joined,
            Err(_) => {
                metrics::counter!(crate::telemetry::names::REQUEST_TIMEOUTS).increment(1);
                tracing::warn!("request past its deadline; answered 503");
                return Err(AppError::busy(
                    "the request took longer than the server allows; retry later",
                    1,
                ));
            }
        },
        None => work.await,
    };
    let (waited, result) = joined.map_err(AppError::internal)?;
    let _ = BUDGET.try_with(|b| b.waited.set(b.waited.get() + waited));
    result
}
