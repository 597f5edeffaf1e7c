//! Finance-office reporting over HTTP (SPEC §3.9); the use cases are `app::reports`.

use actix_web::http::header;
use actix_web::{get, post, web, HttpRequest, HttpResponse};

use super::auth::Caller;
use super::extract::JsonBody;
use super::idempotency;
use crate::app::error::AppResult;
use crate::app::pagination::{page, Page, PageQuery};
use crate::app::reports::export::{self, XLSX};
use crate::app::reports::figures::{self, BankList, Breakdown, FundList, Overview};
use crate::app::reports::targets::{self, CreateTarget, TargetView};
use crate::app::reports::{BreakdownQuery, StatsQuery};
use crate::app::{self, AppState};

/// Totals for the caller's region (finance office, admin).
#[utoipa::path(tag = "reports", params(StatsQuery), responses((status = 200, description = "The overview", body = Overview)))]
#[get("/stats/overview")]
pub async fn overview(
    state: web::Data<AppState>,
    auth: Caller,
    q: web::Query<StatsQuery>,
) -> AppResult<HttpResponse> {
    let q = q.into_inner();
    let o = app::run(&state, move |conn| figures::overview(conn, &auth, q)).await?;
    Ok(HttpResponse::Ok().json(o))
}

/// Loan and match figures per group (loans by disbursement date, matches by creation date).
#[utoipa::path(tag = "reports", params(BreakdownQuery), responses((status = 200, description = "Groups and total", body = Breakdown)))]
#[get("/stats/breakdown")]
pub async fn breakdown(
    state: web::Data<AppState>,
    auth: Caller,
    q: web::Query<BreakdownQuery>,
) -> AppResult<HttpResponse> {
    let q = q.into_inner();
    let b = app::run(&state, move |conn| figures::breakdown(conn, &auth, q)).await?;
    Ok(HttpResponse::Ok().json(b))
}

/// Per bank: matches received, accepted, rejected, median hours to respond, overdue, amounts (督导).
#[utoipa::path(tag = "reports", params(StatsQuery), responses((status = 200, description = "Per-bank supervision figures", body = BankList)))]
#[get("/stats/banks")]
pub async fn banks(
    state: web::Data<AppState>,
    auth: Caller,
    q: web::Query<StatsQuery>,
) -> AppResult<HttpResponse> {
    let q = q.into_inner();
    let list = app::run(&state, move |conn| figures::banks(conn, &auth, q)).await?;
    Ok(HttpResponse::Ok().json(list))
}

/// Per bridge fund (应急转贷) covering the caller's region: capital, available, utilisation,
/// bridges by state, turnover, fees and median days out.
#[utoipa::path(tag = "reports", params(StatsQuery), responses((status = 200, description = "Per-fund figures", body = FundList)))]
#[get("/stats/bridge-funds")]
pub async fn bridge_funds(
    state: web::Data<AppState>,
    auth: Caller,
    q: web::Query<StatsQuery>,
) -> AppResult<HttpResponse> {
    let q = q.into_inner();
    let list = app::run(&state, move |conn| figures::funds(conn, &auth, q)).await?;
    Ok(HttpResponse::Ok().json(list))
}

/// Set a target (finance office within its region, admin).
#[utoipa::path(
    tag = "reports",
    request_body = CreateTarget,
    params(("Idempotency-Key" = Option<String>, Header, description = "Makes retries safe")),
    responses((status = 201, description = "The target with its live actual and progress", body = TargetView))
)]
#[post("/targets")]
pub async fn create_target(
    state: web::Data<AppState>,
    req: HttpRequest,
    auth: Caller,
    body: JsonBody<CreateTarget>,
) -> AppResult<HttpResponse> {
    let cmd = body.value;
    idempotency::run(&state, &req, auth.idempotency_scope(), &body.raw, |done| {
        app::run(&state, move |conn| targets::create(conn, &auth, cmd, done))
    })
    .await
}

/// Targets in the caller's region, with live actual and progress.
#[utoipa::path(tag = "reports", params(PageQuery), responses((status = 200, description = "A page of targets", body = Page<TargetView>)))]
#[get("/targets")]
pub async fn list_targets(
    state: web::Data<AppState>,
    auth: Caller,
    q: web::Query<PageQuery>,
) -> AppResult<HttpResponse> {
    let cursor = q.cursor()?;
    let (after, limit) = (cursor.after_id, cursor.limit);
    let views = app::run(&state, move |conn| targets::list(conn, &auth, after, limit)).await?;
    Ok(HttpResponse::Ok().json(page(views, cursor, |t| t.id, |t| t)))
}

/// One target with live actual and progress.
#[utoipa::path(tag = "reports", params(("id" = i64, Path, description = "Target id")), responses((status = 200, description = "The target", body = TargetView)))]
#[get("/targets/{id}")]
pub async fn get_target(
    state: web::Data<AppState>,
    auth: Caller,
    path: web::Path<i64>,
) -> AppResult<HttpResponse> {
    let id = path.into_inner();
    let view = app::run(&state, move |conn| targets::get(conn, &auth, id)).await?;
    Ok(HttpResponse::Ok().json(view))
}

fn attachment(body: Vec<u8>, content_type: &str, name: &str) -> HttpResponse {
    HttpResponse::Ok()
        .content_type(content_type)
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"{name}\""),
        ))
        .body(body)
}

/// Every loan of the slice as CSV (UTF-8 with BOM so Excel and WPS read the Chinese headers).
#[utoipa::path(tag = "reports", params(StatsQuery), responses((status = 200, description = "CSV", content_type = "text/csv", body = String)))]
#[get("/reports/loans.csv")]
pub async fn loans_csv(
    state: web::Data<AppState>,
    auth: Caller,
    q: web::Query<StatsQuery>,
) -> AppResult<HttpResponse> {
    let q = q.into_inner();
    let out = app::run(&state, move |conn| export::loans_csv(conn, &auth, q)).await?;
    Ok(attachment(out, "text/csv; charset=utf-8", "loans.csv"))
}

/// Every loan of the slice as an Excel workbook.
#[utoipa::path(tag = "reports", params(StatsQuery), responses((status = 200, description = "XLSX", content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", body = Vec<u8>)))]
#[get("/reports/loans.xlsx")]
pub async fn loans_xlsx(
    state: web::Data<AppState>,
    auth: Caller,
    q: web::Query<StatsQuery>,
) -> AppResult<HttpResponse> {
    let q = q.into_inner();
    let bytes = app::run(&state, move |conn| export::loans_xlsx(conn, &auth, q)).await?;
    Ok(attachment(bytes, XLSX, "loans.xlsx"))
}

/// A breakdown as an Excel workbook.
#[utoipa::path(tag = "reports", params(BreakdownQuery), responses((status = 200, description = "XLSX", content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", body = Vec<u8>)))]
#[get("/reports/breakdown.xlsx")]
pub async fn breakdown_xlsx(
    state: web::Data<AppState>,
    auth: Caller,
    q: web::Query<BreakdownQuery>,
) -> AppResult<HttpResponse> {
    let q = q.into_inner();
    let bytes = app::run(&state, move |conn| export::breakdown_xlsx(conn, &auth, q)).await?;
    Ok(attachment(bytes, XLSX, "breakdown.xlsx"))
}
