//! Renewals over HTTP (SPEC §3.13); the use cases are `app::renewals`.

use actix_web::{get, post, web, HttpRequest, HttpResponse};
use serde::Deserialize;
use utoipa::IntoParams;

use super::auth::Caller;
use super::extract::{JsonBody, OptionalBody};
use super::idempotency;
use crate::app::error::AppResult;
use crate::app::matches::LoanView;
use crate::app::pagination::{page, Page, PageQuery};
use crate::app::renewals::{
    self, ApproveRenewal, DisburseRenewal, RejectRenewal, RenewalQuery, RenewalView,
    RequestRenewal, WithdrawRenewal,
};
use crate::app::{self, AppState};
use crate::domain::renewal::RenewalState;

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RenewalListQuery {
    pub state: Option<RenewalState>,
    /// Requested and past `respond_by` (or, with `false`, every other).
    pub overdue: Option<bool>,
    pub loan_id: Option<i64>,
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
    pub cursor: Option<String>,
}

/// Ask for a renewal (续贷) of a `current` or `overdue` loan before its maturity — the loan's
/// enterprise or its bank. The bank decides by `respond_by`.
#[utoipa::path(
    tag = "renewals",
    request_body = RequestRenewal,
    params(
        ("id" = i64, Path, description = "Loan id"),
        ("Idempotency-Key" = Option<String>, Header, description = "Makes retries safe"),
    ),
    responses(
        (status = 201, description = "The renewal, `requested`", body = RenewalView),
        (status = 409, description = "`invalid_transition` (the loan is not current or overdue, or matured) or `conflict` (it already has a live renewal)", body = crate::app::error::Problem, content_type = "application/problem+json"),
    )
)]
#[post("/loans/{id}/renewals")]
pub async fn request_renewal(
    state: web::Data<AppState>,
    req: HttpRequest,
    auth: Caller,
    path: web::Path<i64>,
    body: JsonBody<RequestRenewal>,
) -> AppResult<HttpResponse> {
    let (id, b) = (path.into_inner(), body.value);
    idempotency::run(&state, &req, auth.idempotency_scope(), &body.raw, |done| {
        app::run(&state, move |conn| {
            renewals::request(conn, &auth, id, b, done)
        })
    })
    .await
}

/// Renewals in the caller's scope (like loans).
#[utoipa::path(
    tag = "renewals",
    params(RenewalListQuery),
    responses((status = 200, description = "A page of renewals", body = Page<RenewalView>))
)]
#[get("/renewals")]
pub async fn list_renewals(
    state: web::Data<AppState>,
    auth: Caller,
    query: web::Query<RenewalListQuery>,
) -> AppResult<HttpResponse> {
    let q = query.into_inner();
    let cursor = PageQuery {
        limit: q.limit,
        cursor: q.cursor,
    }
    .cursor()?;
    let rq = RenewalQuery {
        state: q.state,
        overdue: q.overdue,
        loan_id: q.loan_id,
        after_id: cursor.after_id,
        limit: cursor.limit,
    };
    let rows = app::run(&state, move |conn| renewals::list(conn, &auth, rq)).await?;
    Ok(HttpResponse::Ok().json(page(rows, cursor, |r| r.id, RenewalView::new)))
}

/// One renewal with its trail and the bank's renewal (无还本续贷) products.
#[utoipa::path(
    tag = "renewals",
    params(("id" = i64, Path, description = "Renewal id")),
    responses((status = 200, description = "The renewal", body = RenewalView))
)]
#[get("/renewals/{id}")]
pub async fn get_renewal(
    state: web::Data<AppState>,
    auth: Caller,
    path: web::Path<i64>,
) -> AppResult<HttpResponse> {
    let id = path.into_inner();
    let v = app::run(&state, move |conn| renewals::get(conn, &auth, id)).await?;
    Ok(HttpResponse::Ok().json(v))
}

/// 续贷承诺 — the loan's bank, on a requested renewal.
#[utoipa::path(
    tag = "renewals",
    request_body = ApproveRenewal,
    params(("id" = i64, Path, description = "Renewal id")),
    responses(
        (status = 200, description = "The renewal, `approved`", body = RenewalView),
        (status = 409, description = "`invalid_transition`", body = crate::app::error::Problem, content_type = "application/problem+json"),
    )
)]
#[post("/renewals/{id}/approve")]
pub async fn approve_renewal(
    state: web::Data<AppState>,
    auth: Caller,
    path: web::Path<i64>,
    body: JsonBody<ApproveRenewal>,
) -> AppResult<HttpResponse> {
    let (id, b) = (path.into_inner(), body.value);
    let v = app::run(&state, move |conn| {
        renewals::approve(conn, &auth, id, b, crate::app::effects::Keep)
    })
    .await?;
    Ok(HttpResponse::Ok().json(v))
}

/// Refuse a requested renewal — the loan's bank, with `reason_code` and `reason`.
#[utoipa::path(
    tag = "renewals",
    request_body = RejectRenewal,
    params(("id" = i64, Path, description = "Renewal id")),
    responses(
        (status = 200, description = "The renewal, `rejected`", body = RenewalView),
        (status = 409, description = "`invalid_transition`", body = crate::app::error::Problem, content_type = "application/problem+json"),
    )
)]
#[post("/renewals/{id}/reject")]
pub async fn reject_renewal(
    state: web::Data<AppState>,
    auth: Caller,
    path: web::Path<i64>,
    body: JsonBody<RejectRenewal>,
) -> AppResult<HttpResponse> {
    let (id, b) = (path.into_inner(), body.value);
    let v = app::run(&state, move |conn| {
        renewals::reject(conn, &auth, id, b, crate::app::effects::Keep)
    })
    .await?;
    Ok(HttpResponse::Ok().json(v))
}

/// Withdraw a requested or approved renewal — the loan's enterprise.
#[utoipa::path(
    tag = "renewals",
    request_body(content = Option<WithdrawRenewal>),
    params(("id" = i64, Path, description = "Renewal id")),
    responses(
        (status = 200, description = "The renewal, `withdrawn`", body = RenewalView),
        (status = 409, description = "`invalid_transition`", body = crate::app::error::Problem, content_type = "application/problem+json"),
    )
)]
#[post("/renewals/{id}/withdraw")]
pub async fn withdraw_renewal(
    state: web::Data<AppState>,
    auth: Caller,
    path: web::Path<i64>,
    OptionalBody(b): OptionalBody<WithdrawRenewal>,
) -> AppResult<HttpResponse> {
    let id = path.into_inner();
    let v = app::run(&state, move |conn| {
        renewals::withdraw(conn, &auth, id, b, crate::app::effects::Keep)
    })
    .await?;
    Ok(HttpResponse::Ok().json(v))
}

/// Disburse the renewal loan — the loan's bank, on an approved renewal: answers the new loan
/// (`renewal_of` the old one); the old loan is closed as `renewed`.
#[utoipa::path(
    tag = "renewals",
    request_body = DisburseRenewal,
    params(
        ("id" = i64, Path, description = "Renewal id"),
        ("Idempotency-Key" = Option<String>, Header, description = "Makes retries safe: a retried disbursement is not booked twice"),
    ),
    responses(
        (status = 201, description = "The new loan", body = LoanView),
        (status = 409, description = "`invalid_transition`", body = crate::app::error::Problem, content_type = "application/problem+json"),
    )
)]
#[post("/renewals/{id}/disburse")]
pub async fn disburse_renewal(
    state: web::Data<AppState>,
    req: HttpRequest,
    auth: Caller,
    path: web::Path<i64>,
    body: JsonBody<DisburseRenewal>,
) -> AppResult<HttpResponse> {
    let (id, b) = (path.into_inner(), body.value);
    idempotency::run(&state, &req, auth.idempotency_scope(), &body.raw, |done| {
        app::run(&state, move |conn| {
            renewals::disburse(conn, &auth, id, b, done)
        })
    })
    .await
}
