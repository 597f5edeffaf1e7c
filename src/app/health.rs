//! Operations: whether this instance can serve (liveness and readiness).

use serde::Serialize;
use utoipa::ToSchema;

use super::error::{AppError, AppResult};
use super::{run, AppState};
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

/// Ready when the database is reachable and every migration is applied (503 otherwise).
pub async fn readiness(state: &AppState) -> AppResult<Readiness> {
    let ready = run(state, |conn| {
        db::migrations::up_to_date(conn).map_err(|e| {
            tracing::warn!(error = %e, "readiness check failed");
            AppError::unavailable("database not ready")
        })
    })
    .await?;
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
