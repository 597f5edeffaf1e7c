//! Liveness and readiness probes.

use actix_web::{get, web, HttpResponse};
use serde::Serialize;
use utoipa::ToSchema;

use crate::app::error::{AppError, AppResult};
use crate::app::AppState;
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

/// The process is up.
#[utoipa::path(tag = "operations", responses((status = 200, description = "Up", body = Health)), security(()))]
#[get("/healthz")]
pub async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(Health {
        status: "ok".into(),
    })
}

/// The database is reachable and every migration is applied.
#[utoipa::path(
    tag = "operations",
    responses(
        (status = 200, description = "Ready", body = Readiness),
        (status = 503, description = "Database unreachable or migrations pending", body = crate::app::error::Problem, content_type = "application/problem+json"),
    ),
    security(())
)]
#[get("/readyz")]
pub async fn readyz(state: web::Data<AppState>) -> AppResult<HttpResponse> {
    let pool = state.pool.clone();
    let ready = web::block(move || -> Result<bool, AppError> {
        let mut conn = pool.get()?;
        db::migrations::up_to_date(&mut conn).map_err(|e| {
            tracing::warn!(error = %e, "readiness check failed");
            AppError::unavailable("database not ready")
        })
    })
    .await??;
    if !ready {
        return Err(AppError::unavailable("database migrations are pending"));
    }
    let database = match state.backend {
        Backend::Sqlite => DatabaseKind::Sqlite,
        Backend::Postgres => DatabaseKind::Postgres,
    };
    Ok(HttpResponse::Ok().json(Readiness {
        status: "ready".into(),
        database,
    }))
}
