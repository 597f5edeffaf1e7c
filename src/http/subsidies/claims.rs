//! Subsidy claims over HTTP; the use cases are `app::subsidies::claims`.

use actix_web::{get, post, web, HttpRequest, HttpResponse};
use serde::Deserialize;
use utoipa::IntoParams;

use crate::app::error::AppResult;
use crate::app::pagination::{page, Page, PageQuery};
use crate::app::subsidies::claims::{
    self, BatchClaims, BatchClaimsResult, ClaimQuery, ClaimView, CreateClaim, PayClaim, RejectClaim,
};
use crate::app::{self, AppState};
use crate::domain::subsidy::ClaimState;
use crate::http::auth::Caller;
use crate::http::extract::{JsonBody, NoBody};
use crate::http::idempotency;

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ClaimListQuery {
    pub policy_id: Option<i64>,
    pub state: Option<ClaimState>,
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
    pub cursor: Option<String>,
}

/// Submit a claim (the loan's enterprise or bank, or the finance office in scope).
#[utoipa::path(
    tag = "subsidies",
    request_body = CreateClaim,
    params(("Idempotency-Key" = Option<String>, Header, description = "Makes retries safe")),
    responses(
        (status = 201, description = "The claim, `submitted`, with amount and breakdown", body = ClaimView),
        (status = 409, description = "`duplicate_claim`: an overlapping period is already claimed", body = crate::app::error::Problem, content_type = "application/problem+json"),
        (status = 422, description = "`not_eligible` or invalid fields", body = crate::app::error::Problem, content_type = "application/problem+json"),
    )
)]
#[post("/subsidy-claims")]
pub async fn create_claim(
    state: web::Data<AppState>,
    req: HttpRequest,
    auth: Caller,
    body: JsonBody<CreateClaim>,
) -> AppResult<HttpResponse> {
    let cmd = body.value;
    // Bad input is refused before the Idempotency-Key is looked up (the use case checks
    // again, for callers without a key).
    claims::admit(&state, &auth, &cmd).await?;
    idempotency::run(&state, &req, auth.idempotency_scope(), &body.raw, |done| {
        app::run(&state, move |conn| claims::create(conn, &auth, cmd, done))
    })
    .await
}

/// Claims in the caller's scope.
#[utoipa::path(tag = "subsidies", params(ClaimListQuery), responses((status = 200, description = "A page of claims", body = Page<ClaimView>)))]
#[get("/subsidy-claims")]
pub async fn list_claims(
    state: web::Data<AppState>,
    auth: Caller,
    query: web::Query<ClaimListQuery>,
) -> AppResult<HttpResponse> {
    let q = query.into_inner();
    let cursor = PageQuery {
        limit: q.limit,
        cursor: q.cursor,
    }
    .cursor()?;
    let query = ClaimQuery {
        policy_id: q.policy_id,
        state: q.state,
        after_id: cursor.after_id,
        limit: cursor.limit,
    };
    let views = app::run(&state, move |conn| claims::list(conn, &auth, query)).await?;
    Ok(HttpResponse::Ok().json(page(views, cursor, |c| c.id, |c| c)))
}

/// One claim with its breakdown.
#[utoipa::path(tag = "subsidies", params(("id" = i64, Path, description = "Claim id")), responses((status = 200, description = "The claim", body = ClaimView)))]
#[get("/subsidy-claims/{id}")]
pub async fn get_claim(
    state: web::Data<AppState>,
    auth: Caller,
    path: web::Path<i64>,
) -> AppResult<HttpResponse> {
    let id = path.into_inner();
    let view = app::run(&state, move |conn| claims::get(conn, &auth, id)).await?;
    Ok(HttpResponse::Ok().json(view))
}

/// 免申即享 / 总对总: file a `submitted` claim for the period on every eligible loan in scope
/// (the policy's finance office: its region, optionally one bank; a bank: its own loans).
/// Repeating it files nothing new and lists those claims as `existing`.
#[utoipa::path(
    tag = "subsidies",
    request_body = BatchClaims,
    params(("id" = i64, Path, description = "Policy id")),
    responses(
        (status = 200, description = "Claims created, already existing, and loans skipped with their reasons", body = BatchClaimsResult),
        (status = 409, description = "Conflicts with the current state", body = crate::app::error::Problem, content_type = "application/problem+json"),
    )
)]
#[post("/policies/{id}/batch-claims")]
pub async fn batch_claims(
    state: web::Data<AppState>,
    auth: Caller,
    path: web::Path<i64>,
    body: JsonBody<BatchClaims>,
) -> AppResult<HttpResponse> {
    let (id, cmd) = (path.into_inner(), body.value);
    let out = app::run(&state, move |conn| claims::batch(conn, &auth, id, cmd)).await?;
    Ok(HttpResponse::Ok().json(out))
}

/// Approve: recompute against what the payee already has, check the budget, atomically.
#[utoipa::path(
    tag = "subsidies",
    params(("id" = i64, Path, description = "Claim id")),
    responses(
        (status = 200, description = "The approved claim (its amount may be lowered by a cap)", body = ClaimView),
        (status = 409, description = "`budget_exceeded` (the claim stays submitted), `stacking_not_allowed` (a claim under a policy of the same `exclusive_group` is granted for an overlapping period), `lpr_not_published` (the December LPR the amount reads is not out yet) or `invalid_transition`", body = crate::app::error::Problem, content_type = "application/problem+json"),
        (status = 422, description = "`not_eligible`: the loan no longer qualifies (e.g. the policy was suspended since the claim was filed)", body = crate::app::error::Problem, content_type = "application/problem+json"),
    )
)]
#[post("/subsidy-claims/{id}/approve")]
pub async fn approve_claim(
    state: web::Data<AppState>,
    auth: Caller,
    path: web::Path<i64>,
    _: NoBody,
) -> AppResult<HttpResponse> {
    let id = path.into_inner();
    let view = app::run(&state, move |conn| claims::approve(conn, &auth, id)).await?;
    Ok(HttpResponse::Ok().json(view))
}

/// Reject a submitted claim, with a reason.
#[utoipa::path(
    tag = "subsidies",
    request_body = RejectClaim,
    params(("id" = i64, Path, description = "Claim id")),
    responses((status = 200, description = "The rejected claim", body = ClaimView))
)]
#[post("/subsidy-claims/{id}/reject")]
pub async fn reject_claim(
    state: web::Data<AppState>,
    auth: Caller,
    path: web::Path<i64>,
    body: JsonBody<RejectClaim>,
) -> AppResult<HttpResponse> {
    let (id, cmd) = (path.into_inner(), body.value);
    let view = app::run(&state, move |conn| claims::reject(conn, &auth, id, cmd)).await?;
    Ok(HttpResponse::Ok().json(view))
}

/// Record the payment of an approved claim.
#[utoipa::path(
    tag = "subsidies",
    request_body = PayClaim,
    params(("id" = i64, Path, description = "Claim id")),
    responses((status = 200, description = "The paid claim", body = ClaimView))
)]
#[post("/subsidy-claims/{id}/pay")]
pub async fn pay_claim(
    state: web::Data<AppState>,
    auth: Caller,
    path: web::Path<i64>,
    body: JsonBody<PayClaim>,
) -> AppResult<HttpResponse> {
    let (id, cmd) = (path.into_inner(), body.value);
    let view = app::run(&state, move |conn| claims::pay(conn, &auth, id, cmd)).await?;
    Ok(HttpResponse::Ok().json(view))
}
