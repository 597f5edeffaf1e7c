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

/// Runs blocking database work (a use case) on the blocking pool with a pooled connection,
/// off the async runtime.
pub async fn run<T, F>(state: &AppState, f: F) -> AppResult<T>
where
    F: FnOnce(&mut DbConnection) -> AppResult<T> + Send + 'static,
    T: Send + 'static,
{
    let pool = state.pool.clone();
    tokio::task::spawn_blocking(move || {
        let mut conn = pool.get()?;
        f(&mut conn)
    })
    .await
    .map_err(AppError::internal)?
}
