//! Risk schemes over HTTP (SPEC §3.15); the use cases are `app::risk`.

use actix_web::{get, post, web, HttpRequest, HttpResponse};
use serde::Deserialize;
use utoipa::IntoParams;

use super::auth::Caller;
use super::extract::JsonBody;
use super::idempotency;
use crate::app::error::AppResult;
use crate::app::pagination::{page, Page, PageQuery};
use crate::app::query::RegionPageQuery;
use crate::app::risk::{
    self, CompensationClaimView, CompensationRecovery, CreateScheme, Enroll, EnrollmentView,
    PayCompensationClaim, RejectCompensationClaim, SchemeView, SubmitCompensationClaim,
};
use crate::app::{self, AppState};
use crate::domain::risk::CompensationState;

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RiskListQuery {
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
    pub cursor: Option<String>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CompensationClaimListQuery {
    pub scheme_id: Option<i64>,
    pub state: Option<CompensationState>,
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
    pub cursor: Option<String>,
}

impl RiskListQuery {
    fn page(self) -> PageQuery {
        PageQuery {
            limit: self.limit,
            cursor: self.cursor,
        }
    }
}

/// Publish a risk scheme (风险补偿资金池 / 政银担) — finance office (for its region) or admin.
/// Every broken rule (shares not summing to 100, a ceiling of 0, …) is listed in the 422.
#[utoipa::path(
    tag = "risk",
    request_body = CreateScheme,
    params(("Idempotency-Key" = Option<String>, Header, description = "Makes retries safe")),
    responses((status = 201, description = "The scheme", body = SchemeView))
)]
#[post("/risk-schemes")]
pub async fn create_scheme(
    state: web::Data<AppState>,
    req: HttpRequest,
    auth: Caller,
    body: JsonBody<CreateScheme>,
) -> AppResult<HttpResponse> {
    let b = body.value;
    idempotency::run(&state, &req, auth.idempotency_scope(), &body.raw, |done| {
        app::run(&state, move |conn| {
            risk::create_scheme(conn, &auth, b, done)
        })
    })
    .await
}

/// Risk schemes, with their capacity and enrolled principal.
#[utoipa::path(
    tag = "risk",
    params(RegionPageQuery),
    responses((status = 200, description = "A page of schemes", body = Page<SchemeView>))
)]
#[get("/risk-schemes")]
pub async fn list_schemes(
    state: web::Data<AppState>,
    _auth: Caller,
    query: web::Query<RegionPageQuery>,
) -> AppResult<HttpResponse> {
    let (region, cursor) = query.into_inner().split();
    let cursor = cursor.cursor()?;
    let (after, limit) = (cursor.after_id, cursor.limit);
    let rows = app::run(&state, move |conn| {
        risk::list_schemes(conn, region, after, limit)
    })
    .await?;
    Ok(HttpResponse::Ok().json(page(rows, cursor, |s| s.id, SchemeView::new)))
}

/// One scheme: capacity (capital × leverage) and what is enrolled.
#[utoipa::path(
    tag = "risk",
    params(("id" = i64, Path, description = "Scheme id")),
    responses((status = 200, description = "The scheme", body = SchemeView))
)]
#[get("/risk-schemes/{id}")]
pub async fn get_scheme(
    state: web::Data<AppState>,
    _auth: Caller,
    path: web::Path<i64>,
) -> AppResult<HttpResponse> {
    let id = path.into_inner();
    let s = app::run(&state, move |conn| risk::get_scheme(conn, id)).await?;
    Ok(HttpResponse::Ok().json(s))
}

/// Enroll a loan — its bank or guarantor, an office of its region, the admin. The loan must be
/// `current` and eligible (422 `not_eligible`, every reason listed); its outstanding principal
/// must fit the scheme's capacity (409 `scheme_capacity_exceeded`, atomic).
#[utoipa::path(
    tag = "risk",
    request_body = Enroll,
    params(
        ("id" = i64, Path, description = "Scheme id"),
        ("Idempotency-Key" = Option<String>, Header, description = "Makes retries safe")
    ),
    responses(
        (status = 201, description = "The enrollment", body = EnrollmentView),
        (status = 422, description = "`not_eligible`: every failing reason in `errors`", body = crate::app::error::Problem, content_type = "application/problem+json"),
    )
)]
#[post("/risk-schemes/{id}/enrollments")]
pub async fn enroll(
    state: web::Data<AppState>,
    req: HttpRequest,
    auth: Caller,
    path: web::Path<i64>,
    body: JsonBody<Enroll>,
) -> AppResult<HttpResponse> {
    let id = path.into_inner();
    let b = body.value;
    idempotency::run(&state, &req, auth.idempotency_scope(), &body.raw, |done| {
        app::run(&state, move |conn| risk::enroll(conn, &auth, id, b, done))
    })
    .await
}

/// A scheme's enrollments the caller may see: an office or the admin all, a bank or
/// guarantor those of its loans.
#[utoipa::path(
    tag = "risk",
    params(("id" = i64, Path, description = "Scheme id"), RiskListQuery),
    responses((status = 200, description = "A page of enrollments", body = Page<EnrollmentView>))
)]
#[get("/risk-schemes/{id}/enrollments")]
pub async fn list_enrollments(
    state: web::Data<AppState>,
    auth: Caller,
    path: web::Path<i64>,
    query: web::Query<RiskListQuery>,
) -> AppResult<HttpResponse> {
    let id = path.into_inner();
    let cursor = query.into_inner().page().cursor()?;
    let (after, limit) = (cursor.after_id, cursor.limit);
    let rows = app::run(&state, move |conn| {
        risk::list_enrollments(conn, &auth, id, after, limit)
    })
    .await?;
    Ok(HttpResponse::Ok().json(page(rows, cursor, |e| e.id, EnrollmentView::new)))
}

/// Claim compensation (风险补偿) on an enrolled loan that is `npl` or `written_off` — the loan's
/// bank or guarantor. The amount comes with every step of its computation.
#[utoipa::path(
    operation_id = "submit_compensation_claim",
    tag = "risk",
    request_body = SubmitCompensationClaim,
    params(("Idempotency-Key" = Option<String>, Header, description = "Makes retries safe")),
    responses((status = 201, description = "The claim, `submitted`", body = CompensationClaimView))
)]
#[post("/compensation-claims")]
pub async fn submit_claim(
    state: web::Data<AppState>,
    req: HttpRequest,
    auth: Caller,
    body: JsonBody<SubmitCompensationClaim>,
) -> AppResult<HttpResponse> {
    let b = body.value;
    idempotency::run(&state, &req, auth.idempotency_scope(), &body.raw, |done| {
        app::run(&state, move |conn| risk::submit(conn, &auth, b, done))
    })
    .await
}

/// Compensation claims the caller may see, of one scheme or in one state when asked (an
/// office's queue to decide: `state=submitted`).
#[utoipa::path(
    operation_id = "list_compensation_claims",
    tag = "risk",
    params(CompensationClaimListQuery),
    responses((status = 200, description = "A page of claims", body = Page<CompensationClaimView>))
)]
#[get("/compensation-claims")]
pub async fn list_claims(
    state: web::Data<AppState>,
    auth: Caller,
    query: web::Query<CompensationClaimListQuery>,
) -> AppResult<HttpResponse> {
    let q = query.into_inner();
    let cursor = PageQuery {
        limit: q.limit,
        cursor: q.cursor,
    }
    .cursor()?;
    let (scheme, st, after, limit) = (q.scheme_id, q.state, cursor.after_id, cursor.limit);
    let rows = app::run(&state, move |conn| {
        risk::list_claims(conn, &auth, scheme, st, after, limit)
    })
    .await?;
    Ok(HttpResponse::Ok().json(page(rows, cursor, |c| c.id, CompensationClaimView::new)))
}

#[utoipa::path(
    operation_id = "get_compensation_claim",
    tag = "risk",
    params(("id" = i64, Path, description = "Claim id")),
    responses((status = 200, description = "The claim", body = CompensationClaimView))
)]
#[get("/compensation-claims/{id}")]
pub async fn get_claim(
    state: web::Data<AppState>,
    auth: Caller,
    path: web::Path<i64>,
) -> AppResult<HttpResponse> {
    let id = path.into_inner();
    let c = app::run(&state, move |conn| risk::get_claim(conn, &auth, id)).await?;
    Ok(HttpResponse::Ok().json(c))
}

/// Approve a claim — an office of the region or the admin. Its amount is taken from the
/// scheme's balance atomically (409 `pool_exhausted` when it does not fit).
#[utoipa::path(
    operation_id = "approve_compensation_claim",
    tag = "risk",
    params(("id" = i64, Path, description = "Claim id")),
    responses(
        (status = 200, description = "The claim, `approved`", body = CompensationClaimView),
        (status = 409, description = "`pool_exhausted` or `invalid_transition`", body = crate::app::error::Problem, content_type = "application/problem+json"),
    )
)]
#[post("/compensation-claims/{id}/approve")]
pub async fn approve_claim(
    state: web::Data<AppState>,
    auth: Caller,
    path: web::Path<i64>,
) -> AppResult<HttpResponse> {
    let id = path.into_inner();
    let c = app::run(&state, move |conn| risk::approve(conn, &auth, id)).await?;
    Ok(HttpResponse::Ok().json(c))
}

/// Reject a submitted claim, with a reason.
#[utoipa::path(
    operation_id = "reject_compensation_claim",
    tag = "risk",
    request_body = RejectCompensationClaim,
    params(("id" = i64, Path, description = "Claim id")),
    responses((status = 200, description = "The claim, `rejected`", body = CompensationClaimView))
)]
#[post("/compensation-claims/{id}/reject")]
pub async fn reject_claim(
    state: web::Data<AppState>,
    auth: Caller,
    path: web::Path<i64>,
    body: JsonBody<RejectCompensationClaim>,
) -> AppResult<HttpResponse> {
    let id = path.into_inner();
    let b = body.value;
    let c = app::run(&state, move |conn| risk::reject(conn, &auth, id, b)).await?;
    Ok(HttpResponse::Ok().json(c))
}

/// Record the payment of an approved claim.
#[utoipa::path(
    operation_id = "pay_compensation_claim",
    tag = "risk",
    request_body = PayCompensationClaim,
    params(("id" = i64, Path, description = "Claim id")),
    responses((status = 200, description = "The claim, `paid`", body = CompensationClaimView))
)]
#[post("/compensation-claims/{id}/pay")]
pub async fn pay_claim(
    state: web::Data<AppState>,
    auth: Caller,
    path: web::Path<i64>,
    body: JsonBody<PayCompensationClaim>,
) -> AppResult<HttpResponse> {
    let id = path.into_inner();
    let b = body.value;
    let c = app::run(&state, move |conn| risk::pay(conn, &auth, id, b)).await?;
    Ok(HttpResponse::Ok().json(c))
}

/// Record a recovery after payment — the claimant; the pool gets back the share it paid.
#[utoipa::path(
    tag = "risk",
    request_body = CompensationRecovery,
    params(
        ("id" = i64, Path, description = "Claim id"),
        ("Idempotency-Key" = Option<String>, Header, description = "Makes retries safe")
    ),
    responses((status = 201, description = "The claim with the recovery", body = CompensationClaimView))
)]
#[post("/compensation-claims/{id}/recoveries")]
pub async fn recover(
    state: web::Data<AppState>,
    req: HttpRequest,
    auth: Caller,
    path: web::Path<i64>,
    body: JsonBody<CompensationRecovery>,
) -> AppResult<HttpResponse> {
    let id = path.into_inner();
    let b = body.value;
    idempotency::run(&state, &req, auth.idempotency_scope(), &body.raw, |done| {
        app::run(&state, move |conn| risk::recover(conn, &auth, id, b, done))
    })
    .await
}
