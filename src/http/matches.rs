//! Matches and loans over HTTP (SPEC §3.6–3.7): each handler parses the request, calls its use
//! case in `app::matches` off the async runtime and answers with the view.

use actix_web::{get, post, web, HttpRequest, HttpResponse};
use chrono::NaiveDate;
use serde::Deserialize;
use utoipa::IntoParams;

use super::auth::Caller;
use super::extract::{JsonBody, OptionalBody};
use super::idempotency;
use crate::app::error::AppResult;
use crate::app::matches::queries::LoanFilter;
use crate::app::matches::queries::{self, MatchQuery};
use crate::app::matches::{disbursements, lifecycle};
use crate::app::matches::{
    AcceptBody, ApproveBody, CreateDisbursement, CreateMatch, LoanView, MatchView, RejectBody,
    WithdrawBody,
};
use crate::app::pagination::{page, Page, PageQuery};
use crate::app::{self, AppState};
use crate::domain::lifecycle::MatchState;
use crate::domain::servicing::LoanStatus;

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct MatchListQuery {
    pub state: Option<MatchState>,
    pub overdue: Option<bool>,
    pub product_id: Option<i64>,
    pub demand_id: Option<i64>,
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
    pub cursor: Option<String>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct LoanListQuery {
    pub match_id: Option<i64>,
    pub bank_id: Option<i64>,
    pub enterprise_id: Option<i64>,
    pub first_loan: Option<bool>,
    /// Disbursed on or after.
    #[serde(default, deserialize_with = "crate::domain::date::strict_opt")]
    pub from: Option<NaiveDate>,
    /// Disbursed on or before.
    #[serde(default, deserialize_with = "crate::domain::date::strict_opt")]
    pub to: Option<NaiveDate>,
    /// Servicing status (`current`, `overdue`, `npl`, `repaid`, `renewed`, `written_off`).
    pub status: Option<LoanStatus>,
    /// Maturing strictly before this day (with `status=current`: loans to renew or collect).
    #[serde(default, deserialize_with = "crate::domain::date::strict_opt")]
    pub maturing_before: Option<NaiveDate>,
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
    pub cursor: Option<String>,
}

/// Apply or claim (抢单) a demand–product pair.
#[utoipa::path(
    tag = "matches",
    request_body = CreateMatch,
    params(("Idempotency-Key" = Option<String>, Header, description = "Makes retries safe")),
    responses(
        (status = 201, description = "The match: `applied` (enterprise) or `accepted` (bank)", body = MatchView),
        (status = 409, description = "`match_exists` (a live match for the pair) or `invalid_transition` (the demand is not open)", body = crate::app::error::Problem, content_type = "application/problem+json"),
        (status = 422, description = "`not_eligible`, with the failing criteria in `errors`", body = crate::app::error::Problem, content_type = "application/problem+json"),
    )
)]
#[post("/matches")]
pub async fn create_match(
    state: web::Data<AppState>,
    req: HttpRequest,
    auth: Caller,
    body: JsonBody<CreateMatch>,
) -> AppResult<HttpResponse> {
    let decide_days = state.decide_working_days;
    let cmd = body.value;
    idempotency::run(&state, &req, auth.idempotency_scope(), &body.raw, |done| {
        app::run(&state, move |conn| {
            lifecycle::create(conn, &auth, cmd, decide_days, done)
        })
    })
    .await
}

/// Matches in the caller's scope.
#[utoipa::path(
    tag = "matches",
    params(MatchListQuery),
    responses((status = 200, description = "A page of matches", body = Page<MatchView>))
)]
#[get("/matches")]
pub async fn list_matches(
    state: web::Data<AppState>,
    auth: Caller,
    query: web::Query<MatchListQuery>,
) -> AppResult<HttpResponse> {
    let q = query.into_inner();
    let cursor = PageQuery {
        limit: q.limit,
        cursor: q.cursor,
    }
    .cursor()?;
    let query = MatchQuery {
        state: q.state,
        overdue: q.overdue,
        product_id: q.product_id,
        demand_id: q.demand_id,
        after_id: cursor.after_id,
        limit: cursor.limit,
    };
    let rows = app::run(&state, move |conn| queries::list(conn, &auth, query)).await?;
    Ok(HttpResponse::Ok().json(page(
        rows,
        cursor,
        |m| m.id,
        |m| MatchView::new(m, None, None),
    )))
}

/// One match with its audit trail (`events`) and loans.
#[utoipa::path(
    tag = "matches",
    params(("id" = i64, Path, description = "Match id")),
    responses((status = 200, description = "The match", body = MatchView))
)]
#[get("/matches/{id}")]
pub async fn get_match(
    state: web::Data<AppState>,
    auth: Caller,
    path: web::Path<i64>,
) -> AppResult<HttpResponse> {
    let id = path.into_inner();
    let view = app::run(&state, move |conn| queries::get(conn, &auth, id)).await?;
    Ok(HttpResponse::Ok().json(view))
}

/// Accept an application (接单) — the product's bank.
#[utoipa::path(
    tag = "matches",
    request_body(content = Option<AcceptBody>),
    params(("id" = i64, Path, description = "Match id")),
    responses(
        (status = 200, description = "The accepted match", body = MatchView),
        (status = 409, description = "`invalid_transition`", body = crate::app::error::Problem, content_type = "application/problem+json"),
    )
)]
#[post("/matches/{id}/accept")]
pub async fn accept(
    state: web::Data<AppState>,
    auth: Caller,
    path: web::Path<i64>,
    OptionalBody(b): OptionalBody<AcceptBody>,
) -> AppResult<HttpResponse> {
    let (id, days) = (path.into_inner(), state.decide_working_days);
    let view = app::run(&state, move |conn| {
        lifecycle::accept(conn, &auth, id, b, days)
    })
    .await?;
    Ok(HttpResponse::Ok().json(view))
}

/// Grant credit (授信) — the product's bank.
#[utoipa::path(
    tag = "matches",
    request_body = ApproveBody,
    params(("id" = i64, Path, description = "Match id")),
    responses(
        (status = 200, description = "The approved match", body = MatchView),
        (status = 409, description = "`invalid_transition`", body = crate::app::error::Problem, content_type = "application/problem+json"),
    )
)]
#[post("/matches/{id}/approve")]
pub async fn approve(
    state: web::Data<AppState>,
    auth: Caller,
    path: web::Path<i64>,
    body: JsonBody<ApproveBody>,
) -> AppResult<HttpResponse> {
    let (id, b) = (path.into_inner(), body.value);
    let view = app::run(&state, move |conn| lifecycle::approve(conn, &auth, id, b)).await?;
    Ok(HttpResponse::Ok().json(view))
}

/// Refuse (拒单), with a reason code and a reason the enterprise reads — the product's bank.
#[utoipa::path(
    tag = "matches",
    request_body = RejectBody,
    params(("id" = i64, Path, description = "Match id")),
    responses(
        (status = 200, description = "The rejected match", body = MatchView),
        (status = 409, description = "`invalid_transition`", body = crate::app::error::Problem, content_type = "application/problem+json"),
    )
)]
#[post("/matches/{id}/reject")]
pub async fn reject(
    state: web::Data<AppState>,
    auth: Caller,
    path: web::Path<i64>,
    body: JsonBody<RejectBody>,
) -> AppResult<HttpResponse> {
    let (id, b) = (path.into_inner(), body.value);
    let view = app::run(&state, move |conn| lifecycle::reject(conn, &auth, id, b)).await?;
    Ok(HttpResponse::Ok().json(view))
}

/// Withdraw (the demand's enterprise).
#[utoipa::path(
    tag = "matches",
    request_body(content = Option<WithdrawBody>),
    params(("id" = i64, Path, description = "Match id")),
    responses(
        (status = 200, description = "The withdrawn match", body = MatchView),
        (status = 409, description = "`invalid_transition`", body = crate::app::error::Problem, content_type = "application/problem+json"),
    )
)]
#[post("/matches/{id}/withdraw")]
pub async fn withdraw(
    state: web::Data<AppState>,
    auth: Caller,
    path: web::Path<i64>,
    OptionalBody(b): OptionalBody<WithdrawBody>,
) -> AppResult<HttpResponse> {
    let id = path.into_inner();
    let view = app::run(&state, move |conn| lifecycle::withdraw(conn, &auth, id, b)).await?;
    Ok(HttpResponse::Ok().json(view))
}

/// Record a disbursement (放款) — the product's bank, on an approved match. The sum of a
/// match's disbursements never exceeds its approved amount.
#[utoipa::path(
    tag = "matches",
    request_body = CreateDisbursement,
    params(
        ("id" = i64, Path, description = "Match id"),
        ("Idempotency-Key" = Option<String>, Header, description = "Makes retries safe: a retried disbursement is not booked twice"),
    ),
    responses(
        (status = 201, description = "The loan", body = LoanView),
        (status = 409, description = "`invalid_transition`: the match is not approved", body = crate::app::error::Problem, content_type = "application/problem+json"),
        (status = 422, description = "`exceeds_approved_amount` or invalid fields", body = crate::app::error::Problem, content_type = "application/problem+json"),
    )
)]
#[post("/matches/{id}/disbursements")]
pub async fn disburse(
    state: web::Data<AppState>,
    req: HttpRequest,
    auth: Caller,
    path: web::Path<i64>,
    body: JsonBody<CreateDisbursement>,
) -> AppResult<HttpResponse> {
    let (id, cmd) = (path.into_inner(), body.value);
    // Bad input is refused before the Idempotency-Key is looked up (the use case checks
    // again, for callers without a key).
    disbursements::validate(&cmd)?;
    idempotency::run(&state, &req, auth.idempotency_scope(), &body.raw, |done| {
        app::run(&state, move |conn| {
            disbursements::disburse(conn, &auth, id, cmd, done)
        })
    })
    .await
}

/// Loans in the caller's scope (a guarantor sees the loans it guarantees).
#[utoipa::path(
    tag = "loans",
    params(LoanListQuery),
    responses((status = 200, description = "A page of loans", body = Page<LoanView>))
)]
#[get("/loans")]
pub async fn list_loans(
    state: web::Data<AppState>,
    auth: Caller,
    query: web::Query<LoanListQuery>,
) -> AppResult<HttpResponse> {
    let q = query.into_inner();
    let cursor = PageQuery {
        limit: q.limit,
        cursor: q.cursor,
    }
    .cursor()?;
    let filter = LoanFilter {
        match_id: q.match_id,
        bank_id: q.bank_id,
        guarantor_id: None,
        enterprise_id: q.enterprise_id,
        first_loan: q.first_loan,
        from: q.from,
        to: q.to,
        status: q.status,
        maturing_before: q.maturing_before,
        after_id: cursor.after_id,
        limit: cursor.limit,
    };
    let rows = app::run(&state, move |conn| queries::list_loans(conn, &auth, filter)).await?;
    Ok(HttpResponse::Ok().json(page(rows, cursor, |l| l.id, LoanView::new)))
}

/// One loan with its servicing status and event trail, if in the caller's scope.
#[utoipa::path(
    tag = "loans",
    params(("id" = i64, Path, description = "Loan id")),
    responses((status = 200, description = "The loan with its `events`", body = LoanView))
)]
#[get("/loans/{id}")]
pub async fn get_loan(
    state: web::Data<AppState>,
    auth: Caller,
    path: web::Path<i64>,
) -> AppResult<HttpResponse> {
    let id = path.into_inner();
    let loan = app::run(&state, move |conn| queries::get_loan(conn, &auth, id)).await?;
    Ok(HttpResponse::Ok().json(loan))
}
