//! Bridge funds over HTTP (SPEC §3.14); the use cases are `app::bridges`.

use actix_web::{get, post, web, HttpRequest, HttpResponse};
use serde::Deserialize;
use utoipa::IntoParams;

use super::auth::Caller;
use super::extract::JsonBody;
use super::idempotency;
use crate::app::bridges::{
    self, BridgeDay, BridgeView, CreateFund, FundView, RejectBridge, RequestBridge,
};
use crate::app::error::AppResult;
use crate::app::pagination::{page, Page, PageQuery};
use crate::app::query::RegionPageQuery;
use crate::app::{self, AppState};
use crate::domain::bridge::BridgeState;

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct BridgeListQuery {
    pub state: Option<BridgeState>,
    pub fund_id: Option<i64>,
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
    pub cursor: Option<String>,
}

/// Publish a bridge fund (应急转贷资金) — finance office (for its region) or admin.
#[utoipa::path(
    tag = "bridges",
    request_body = CreateFund,
    params(("Idempotency-Key" = Option<String>, Header, description = "Makes retries safe")),
    responses((status = 201, description = "The fund", body = FundView))
)]
#[post("/bridge-funds")]
pub async fn create_fund(
    state: web::Data<AppState>,
    req: HttpRequest,
    auth: Caller,
    body: JsonBody<CreateFund>,
) -> AppResult<HttpResponse> {
    let b = body.value;
    idempotency::run(&state, &req, auth.idempotency_scope(), &body.raw, |done| {
        app::run(&state, move |conn| {
            bridges::create_fund(conn, &auth, b, done)
        })
    })
    .await
}

/// Bridge funds, with what each has `available`.
#[utoipa::path(
    tag = "bridges",
    params(RegionPageQuery),
    responses((status = 200, description = "A page of funds", body = Page<FundView>))
)]
#[get("/bridge-funds")]
pub async fn list_funds(
    state: web::Data<AppState>,
    _auth: Caller,
    query: web::Query<RegionPageQuery>,
) -> AppResult<HttpResponse> {
    let (region, cursor) = query.into_inner().split();
    let cursor = cursor.cursor()?;
    let (after, limit) = (cursor.after_id, cursor.limit);
    let rows = app::run(&state, move |conn| {
        bridges::list_funds(conn, region, after, limit)
    })
    .await?;
    Ok(HttpResponse::Ok().json(page(rows, cursor, |f| f.id, FundView::new)))
}

/// One fund with `available` = capital − principal of bridges approved, disbursed or overdue.
#[utoipa::path(
    tag = "bridges",
    params(("id" = i64, Path, description = "Fund id")),
    responses((status = 200, description = "The fund", body = FundView))
)]
#[get("/bridge-funds/{id}")]
pub async fn get_fund(
    state: web::Data<AppState>,
    _auth: Caller,
    path: web::Path<i64>,
) -> AppResult<HttpResponse> {
    let id = path.into_inner();
    let f = app::run(&state, move |conn| bridges::get_fund(conn, id)).await?;
    Ok(HttpResponse::Ok().json(f))
}

/// Ask a fund for a bridge (过桥) — the enterprise, against its bank's approved renewal. A 422
/// (`not_eligible`) lists every cap and rule the request fails.
#[utoipa::path(
    tag = "bridges",
    request_body = RequestBridge,
    params(("Idempotency-Key" = Option<String>, Header, description = "Makes retries safe")),
    responses(
        (status = 201, description = "The bridge, `requested`", body = BridgeView),
        (status = 422, description = "`not_eligible`: every failing reason in `errors`", body = crate::app::error::Problem, content_type = "application/problem+json"),
    )
)]
#[post("/bridge-loans")]
pub async fn request_bridge(
    state: web::Data<AppState>,
    req: HttpRequest,
    auth: Caller,
    body: JsonBody<RequestBridge>,
) -> AppResult<HttpResponse> {
    let b = body.value;
    idempotency::run(&state, &req, auth.idempotency_scope(), &body.raw, |done| {
        app::run(&state, move |conn| bridges::request(conn, &auth, b, done))
    })
    .await
}

/// Bridges in the caller's scope.
#[utoipa::path(
    tag = "bridges",
    params(BridgeListQuery),
    responses((status = 200, description = "A page of bridges", body = Page<BridgeView>))
)]
#[get("/bridge-loans")]
pub async fn list_bridges(
    state: web::Data<AppState>,
    auth: Caller,
    query: web::Query<BridgeListQuery>,
) -> AppResult<HttpResponse> {
    let q = query.into_inner();
    let cursor = PageQuery {
        limit: q.limit,
        cursor: q.cursor,
    }
    .cursor()?;
    let (st, fund, after, limit) = (q.state, q.fund_id, cursor.after_id, cursor.limit);
    let rows = app::run(&state, move |conn| {
        bridges::list(conn, &auth, st, fund, after, limit)
    })
    .await?;
    Ok(HttpResponse::Ok().json(page(rows, cursor, |b| b.id, BridgeView::new)))
}

#[utoipa::path(
    tag = "bridges",
    params(("id" = i64, Path, description = "Bridge id")),
    responses((status = 200, description = "The bridge", body = BridgeView))
)]
#[get("/bridge-loans/{id}")]
pub async fn get_bridge(
    state: web::Data<AppState>,
    auth: Caller,
    path: web::Path<i64>,
) -> AppResult<HttpResponse> {
    let id = path.into_inner();
    let b = app::run(&state, move |conn| bridges::get(conn, &auth, id)).await?;
    Ok(HttpResponse::Ok().json(b))
}

/// Approve — the finance office of the enterprise's region: reserves the amount from the fund
/// atomically (409 `fund_exhausted` when it does not fit).
#[utoipa::path(
    tag = "bridges",
    params(("id" = i64, Path, description = "Bridge id")),
    responses(
        (status = 200, description = "The bridge, `approved`", body = BridgeView),
        (status = 409, description = "`fund_exhausted` or `invalid_transition`", body = crate::app::error::Problem, content_type = "application/problem+json"),
    )
)]
#[post("/bridge-loans/{id}/approve")]
pub async fn approve_bridge(
    state: web::Data<AppState>,
    auth: Caller,
    path: web::Path<i64>,
) -> AppResult<HttpResponse> {
    let id = path.into_inner();
    let b = app::run(&state, move |conn| bridges::approve(conn, &auth, id)).await?;
    Ok(HttpResponse::Ok().json(b))
}

#[utoipa::path(
    tag = "bridges",
    request_body = RejectBridge,
    params(("id" = i64, Path, description = "Bridge id")),
    responses((status = 200, description = "The bridge, `rejected`", body = BridgeView))
)]
#[post("/bridge-loans/{id}/reject")]
pub async fn reject_bridge(
    state: web::Data<AppState>,
    auth: Caller,
    path: web::Path<i64>,
    body: JsonBody<RejectBridge>,
) -> AppResult<HttpResponse> {
    let (id, b) = (path.into_inner(), body.value);
    let v = app::run(&state, move |conn| bridges::reject(conn, &auth, id, b)).await?;
    Ok(HttpResponse::Ok().json(v))
}

/// The fund pays the bridge out (`on`, not in the future); due back `days` later.
#[utoipa::path(
    tag = "bridges",
    request_body = BridgeDay,
    params(("id" = i64, Path, description = "Bridge id")),
    responses((status = 200, description = "The bridge, `disbursed`", body = BridgeView))
)]
#[post("/bridge-loans/{id}/disburse")]
pub async fn disburse_bridge(
    state: web::Data<AppState>,
    auth: Caller,
    path: web::Path<i64>,
    body: JsonBody<BridgeDay>,
) -> AppResult<HttpResponse> {
    let (id, b) = (path.into_inner(), body.value);
    let v = app::run(&state, move |conn| bridges::disburse(conn, &auth, id, b)).await?;
    Ok(HttpResponse::Ok().json(v))
}

/// The fund received the bridge back (`on`): `fee` = amount × daily_fee_rate % × days used,
/// half-up to the fen once, with its breakdown; the principal returns to `available`.
#[utoipa::path(
    tag = "bridges",
    request_body = BridgeDay,
    params(("id" = i64, Path, description = "Bridge id")),
    responses((status = 200, description = "The bridge, `repaid`", body = BridgeView))
)]
#[post("/bridge-loans/{id}/repay")]
pub async fn repay_bridge(
    state: web::Data<AppState>,
    auth: Caller,
    path: web::Path<i64>,
    body: JsonBody<BridgeDay>,
) -> AppResult<HttpResponse> {
    let (id, b) = (path.into_inner(), body.value);
    let v = app::run(&state, move |conn| bridges::repay(conn, &auth, id, b)).await?;
    Ok(HttpResponse::Ok().json(v))
}
