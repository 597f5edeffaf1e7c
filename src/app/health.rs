//! Operations: whether this instance can serve (liveness and readiness).

use serde::Serialize;
use utoipa::ToSchema;

use std::time::Duration;

use super::error::{AppError, AppResult, DATABASE_RETRY_AFTER_SECS};
use super::AppState;
use crate::db::{self, Backend};

#[derive(Serialize, ToSchema)]
pub struct Health {
    #[schema(example = "ok")]
    pub status: String,
}

#[derive(Serialize, ToSchema)]
pub struct Readiness {
    #[schema(example = "ready")]
    pub status: String,
    pub database: DatabaseKind,
}

str_enum! {
    /// The backend an instance runs on.
    pub enum DatabaseKind {
        Sqlite = "sqlite",
        Postgres = "postgres",
    }
}

/// The webhook outbox's backlog (pending deliveries, age of the oldest in seconds), read
/// within half a second or not at all.
pub async fn outbox_backlog(
    state: &AppState,
) -> Result<AppResult<(i64, Option<f64>)>, tokio::task::JoinError> {
    let pool = state.pool.clone();
    tokio::task::spawn_blocking(move || {
        let mut conn = pool
            .get_timeout(Duration::from_millis(500))
            .map_err(AppError::from)?;
        let (pending, oldest) = db::webhooks::backlog(&mut conn)?;
        let now = super::clock::now();
        Ok((
            pending,
            oldest.map(|o| (now - o).num_milliseconds().max(0) as f64 / 1000.0),
        ))
    })
    .await
}

/// How long readiness waits for the database: a load balancer's probe gets its answer, 200 or
/// 503, well within a second in every state.
const READINESS_BUDGET: Duration = Duration::from_millis(900);

/// Ready when the database is reachable and every migration is applied (503 otherwise, with
/// the reason).
pub async fn readiness(state: &AppState) -> AppResult<Readiness> {
    let pool = state.pool.clone();
    let check = tokio::task::spawn_blocking(move || {
        let mut conn = pool
            .get_timeout(READINESS_BUDGET - Duration::from_millis(100))
            .map_err(|_| AppError::busy("database unreachable", DATABASE_RETRY_AFTER_SECS))?;
        db::migrations::up_to_date(&mut conn).map_err(|e| {
            tracing::debug!(error = %e, "readiness check failed");
            AppError::busy("database unreachable", DATABASE_RETRY_AFTER_SECS)
        })
    });
    let ready = match tokio::time::timeout(READINESS_BUDGET, check).await {
        Ok(joined) => joined.map_err(AppError::internal)??,
        Err(_) => {
            return Err(AppError::busy(
                "database did not answer within a second",
                DATABASE_RETRY_AFTER_SECS,
            ))
        }
    };
    if !ready {
        return Err(AppError::unavailable("database migrations are pending"));
    }
    let database = match state.backend {
        Backend::Sqlite => DatabaseKind::Sqlite,
        Backend::Postgres => DatabaseKind::Postgres,
    };
    Ok(Readiness {
        status: "ready".into(),
        database,
    })
}
