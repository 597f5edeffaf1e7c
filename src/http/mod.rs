//! HTTP layer: errors, auth, extractors, DTOs and one handler module per resource.

pub mod auth;
pub mod calendar;
pub mod date;
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
pub mod views;
pub mod webhooks;

use actix_web::web;

use crate::startup::AppState;
use error::ApiError;

/// Runs blocking database work on actix's thread pool with a pooled connection.
pub async fn with_conn<T, F>(state: &web::Data<AppState>, f: F) -> Result<T, ApiError>
where
    F: FnOnce(&mut crate::db::DbConnection) -> Result<T, ApiError> + Send + 'static,
    T: Send + 'static,
{
    let pool = state.pool.clone();
    web::block(move || {
        let mut conn = pool.get()?;
        f(&mut conn)
    })
    .await?
}
