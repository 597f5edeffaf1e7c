//! Financing demands over HTTP (SPEC §3.4); the use cases are `app::demands`.

use actix_web::{get, patch, post, web, HttpRequest, HttpResponse};
use serde::Deserialize;
use utoipa::IntoParams;

use super::auth::Caller;
use super::extract::{JsonBody, OptionalBody};
use super::idempotency;
use crate::app::demands::DemandFilter;
use crate::app::demands::{self, CloseDemand, CreateDemand, DemandView, PatchDemand};
use crate::app::error::{AppError, AppResult, ProblemCode};
use crate::app::pagination::{page, Page, PageQuery};
use crate::app::{self, AppState};
use crate::domain::demand::{DemandStatus, Purpose};
use crate::domain::region;

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DemandListQuery {
    /// Effective status (a live demand past `needed_by` is `expired`).
    pub status: Option<DemandStatus>,
    pub purpose: Option<Purpose>,
    pub enterprise_id: Option<i64>,
    /// Enterprises whose region code starts with this (2, 4 or 6 digits); narrows the scope.
    pub region_prefix: Option<String>,
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
    pub cursor: Option<String>,
}

/// Post a financing demand (enterprise).
#[utoipa::path(
    tag = "demands",
    request_body = CreateDemand,
    params(("Idempotency-Key" = Option<String>, Header, description = "Makes retries safe")),
    responses((status = 201, description = "The demand, `open`", body = DemandView))
)]
#[post("/demands")]
pub async fn create_demand(
    state: web::Data<AppState>,
    req: HttpRequest,
    auth: Caller,
    body: JsonBody<CreateDemand>,
) -> AppResult<HttpResponse> {
    let cmd = body.value;
    let st = state.clone();
    idempotency::run(&state, &req, auth.idempotency_scope(), &body.raw, |done| {
        app::run(&state, move |conn| {
            demands::create(conn, &auth, cmd, &st.matching, done)
        })
    })
    .await
}

/// Demands in the caller's scope: an enterprise its own, a finance office its region's, an
/// admin all. Banks find demands through their products' candidates.
#[utoipa::path(
    tag = "demands",
    params(DemandListQuery),
    responses((status = 200, description = "A page of demands", body = Page<DemandView>))
)]
#[get("/demands")]
pub async fn list_demands(
    state: web::Data<AppState>,
    auth: Caller,
    query: web::Query<DemandListQuery>,
) -> AppResult<HttpResponse> {
    let q = query.into_inner();
    let cursor = PageQuery {
        limit: q.limit,
        cursor: q.cursor,
    }
    .cursor()?;
    if q.region_prefix
        .as_deref()
        .is_some_and(|p| !region::is_region_prefix(p))
    {
        return Err(AppError::bad_request(
            ProblemCode::InvalidQuery,
            "region_prefix must be 2, 4 or 6 digits",
        ));
    }
    let filter = DemandFilter {
        status: q.status,
        purpose: q.purpose.map(|p| p.as_str().to_owned()),
        enterprise_id: q.enterprise_id,
        region_prefix: q.region_prefix,
        after_id: cursor.after_id,
        limit: cursor.limit,
    };
    let views = app::run(&state, move |conn| demands::list(conn, &auth, filter)).await?;
    Ok(HttpResponse::Ok().json(page(views, cursor, |v| v.id, |v| v)))
}

/// One demand, if in the caller's scope.
#[utoipa::path(
    tag = "demands",
    params(("id" = i64, Path, description = "Demand id")),
    responses((status = 200, description = "The demand", body = DemandView))
)]
#[get("/demands/{id}")]
pub async fn get_demand(
    state: web::Data<AppState>,
    auth: Caller,
    path: web::Path<i64>,
) -> AppResult<HttpResponse> {
    let id = path.into_inner();
    let view = app::run(&state, move |conn| demands::get(conn, &auth, id)).await?;
    Ok(HttpResponse::Ok().json(view))
}

/// Change an open demand (its enterprise only). Not open any more → 409 `invalid_transition`.
#[utoipa::path(
    tag = "demands",
    request_body = PatchDemand,
    params(("id" = i64, Path, description = "Demand id")),
    responses(
        (status = 200, description = "The updated demand", body = DemandView),
        (status = 409, description = "The demand is no longer open", body = crate::app::error::Problem, content_type = "application/problem+json"),
    )
)]
#[patch("/demands/{id}")]
pub async fn patch_demand(
    state: web::Data<AppState>,
    auth: Caller,
    path: web::Path<i64>,
    body: JsonBody<PatchDemand>,
) -> AppResult<HttpResponse> {
    let (id, patch) = (path.into_inner(), body.value);
    let view = app::run(&state, move |conn| demands::patch(conn, &auth, id, patch)).await?;
    Ok(HttpResponse::Ok().json(view))
}

/// Close a live demand (its enterprise only): the money is no longer needed.
#[utoipa::path(
    tag = "demands",
    request_body(content = Option<CloseDemand>, description = "Optional reason"),
    params(("id" = i64, Path, description = "Demand id")),
    responses(
        (status = 200, description = "The closed demand", body = DemandView),
        (status = 409, description = "The demand is already fulfilled, closed or expired", body = crate::app::error::Problem, content_type = "application/problem+json"),
    )
)]
#[post("/demands/{id}/close")]
pub async fn close_demand(
    state: web::Data<AppState>,
    auth: Caller,
    path: web::Path<i64>,
    OptionalBody(cmd): OptionalBody<CloseDemand>,
) -> AppResult<HttpResponse> {
    let id = path.into_inner();
    let view = app::run(&state, move |conn| demands::close(conn, &auth, id, cmd)).await?;
    Ok(HttpResponse::Ok().json(view))
}
