//! Subsidy policies over HTTP; the use cases are `app::subsidies::policies`.

use actix_web::{get, post, put, web, HttpRequest, HttpResponse};
use serde::Deserialize;
use utoipa::IntoParams;

use crate::app::error::AppResult;
use crate::app::pagination::{page, Page, PageQuery};
use crate::app::subsidies::policies::{self, CreatePolicy, PolicyQuery, PolicyView};
use crate::app::{self, AppState};
use crate::domain::subsidy::{PolicyKind, PolicyStatus};
use crate::http::auth::Caller;
use crate::http::extract::{JsonBody, NoBody};
use crate::http::idempotency;

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PolicyListQuery {
    pub kind: Option<PolicyKind>,
    pub status: Option<PolicyStatus>,
    /// Only those that concern this region (2, 4 or 6 digits): national ones, those of a
    /// region containing it, its own and those inside it.
    #[param(pattern = "^([0-9]{2}|[0-9]{4}|[0-9]{6})$")]
    pub region_prefix: Option<String>,
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
    pub cursor: Option<String>,
}

/// Create a policy (finance office, admin). A finance office's policy covers its region.
#[utoipa::path(
    tag = "subsidies",
    request_body = CreatePolicy,
    params(("Idempotency-Key" = Option<String>, Header, description = "Makes retries safe")),
    responses((status = 201, description = "The policy", body = PolicyView))
)]
#[post("/policies")]
pub async fn create_policy(
    state: web::Data<AppState>,
    req: HttpRequest,
    auth: Caller,
    body: JsonBody<CreatePolicy>,
) -> AppResult<HttpResponse> {
    let cmd = body.value;
    // Bad input is refused before the Idempotency-Key is looked up (the use case checks
    // again, for callers without a key).
    policies::validate(&auth, &cmd)?;
    idempotency::run(&state, &req, auth.idempotency_scope(), &body.raw, |done| {
        app::run(&state, move |conn| policies::create(conn, &auth, cmd, done))
    })
    .await
}

/// Subsidy policies (public to every authenticated user).
#[utoipa::path(tag = "subsidies", params(PolicyListQuery), responses((status = 200, description = "A page of policies", body = Page<PolicyView>)))]
#[get("/policies")]
pub async fn list_policies(
    state: web::Data<AppState>,
    _auth: Caller,
    query: web::Query<PolicyListQuery>,
) -> AppResult<HttpResponse> {
    let q = query.into_inner();
    let cursor = PageQuery {
        limit: q.limit,
        cursor: q.cursor,
    }
    .cursor()?;
    let query = PolicyQuery {
        kind: q.kind,
        status: q.status,
        region_prefix: q.region_prefix,
        after_id: cursor.after_id,
        limit: cursor.limit,
    };
    let views = app::run(&state, move |conn| policies::list(conn, query)).await?;
    Ok(HttpResponse::Ok().json(page(views, cursor, |p| p.id, |p| p)))
}

/// One policy with its budget use.
#[utoipa::path(tag = "subsidies", params(("id" = i64, Path, description = "Policy id")), responses((status = 200, description = "The policy", body = PolicyView)))]
#[get("/policies/{id}")]
pub async fn get_policy(
    state: web::Data<AppState>,
    _auth: Caller,
    path: web::Path<i64>,
) -> AppResult<HttpResponse> {
    let id = path.into_inner();
    let view = app::run(&state, move |conn| policies::get(conn, id)).await?;
    Ok(HttpResponse::Ok().json(view))
}

/// Replace a policy (its finance office, admin) — only while no claim has been made under it;
/// a policy with claims is immutable (409 `policy_immutable`).
#[utoipa::path(
    tag = "subsidies",
    request_body = CreatePolicy,
    params(("id" = i64, Path, description = "Policy id")),
    responses(
        (status = 200, description = "The updated policy", body = PolicyView),
        (status = 409, description = "`policy_immutable`: claims exist", body = crate::app::error::Problem, content_type = "application/problem+json"),
    )
)]
#[put("/policies/{id}")]
pub async fn update_policy(
    state: web::Data<AppState>,
    auth: Caller,
    path: web::Path<i64>,
    body: JsonBody<CreatePolicy>,
) -> AppResult<HttpResponse> {
    let (id, cmd) = (path.into_inner(), body.value);
    let view = app::run(&state, move |conn| policies::update(conn, &auth, id, cmd)).await?;
    Ok(HttpResponse::Ok().json(view))
}

/// Suspend a policy (its finance office, admin): no new claims or approvals.
#[utoipa::path(tag = "subsidies", params(("id" = i64, Path, description = "Policy id")), responses((status = 200, description = "The suspended policy", body = PolicyView)))]
#[post("/policies/{id}/suspend")]
pub async fn suspend_policy(
    state: web::Data<AppState>,
    auth: Caller,
    path: web::Path<i64>,
    _: NoBody,
) -> AppResult<HttpResponse> {
    let id = path.into_inner();
    let view = app::run(&state, move |conn| policies::suspend(conn, &auth, id)).await?;
    Ok(HttpResponse::Ok().json(view))
}
