//! HTTP layer: errors, auth, extractors, DTOs and one handler module per resource.

pub mod auth;
pub mod calendar;
pub mod demands;
pub mod enterprises;
pub mod error;
pub mod extract;
pub mod fallback;
pub mod health;
pub mod idempotency;
pub mod matches;
pub mod matching;
pub mod metrics;
pub mod openapi;
pub mod organizations;
pub mod pagination;
pub mod products;
pub mod session;
pub mod stats;
pub mod subsidies;
pub mod webhooks;

use actix_web::web;

use crate::app::error::AppError;
use crate::app::AppState;

/// Runs blocking database work off the async runtime (see `app::run`).
pub async fn with_conn<T, F>(state: &web::Data<AppState>, f: F) -> Result<T, AppError>
where
    F: FnOnce(&mut crate::db::DbConnection) -> Result<T, AppError> + Send + 'static,
    T: Send + 'static,
{
    crate::app::run(state, f).await
}
