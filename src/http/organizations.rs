//! Organizations and their users over HTTP (SPEC §3.1); the use cases are
//! `app::organizations` and `app::users`.

use actix_web::{get, post, web, HttpRequest, HttpResponse};
use serde::Deserialize;
use utoipa::IntoParams;

use super::auth::Caller;
use super::extract::{JsonBody, NoBody};
use super::idempotency;
use crate::app::error::{AppError, AppResult, ProblemCode};
use crate::app::organizations::OrgFilter;
use crate::app::organizations::{self, CreateOrganization};
use crate::app::pagination::{page, Page, PageQuery};
use crate::app::users::{self, CreateUser};
use crate::app::views::{OrganizationView, UserView};
use crate::app::{self, AppState};
use crate::domain::org::OrgKind;
use crate::domain::region;

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct OrgListQuery {
    /// Only organizations of this kind.
    pub kind: Option<OrgKind>,
    /// Only organizations whose region code starts with this prefix (2, 4 or 6 digits).
    pub region_prefix: Option<String>,
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
    pub cursor: Option<String>,
}

/// Create a bank, guarantor or finance-office organization (admin).
#[utoipa::path(
    tag = "organizations",
    request_body = CreateOrganization,
    params(("Idempotency-Key" = Option<String>, Header, description = "Makes retries safe")),
    responses(
        (status = 201, description = "The organization", body = OrganizationView),
        (status = 409, description = "Credit code already registered", body = crate::app::error::Problem, content_type = "application/problem+json"),
    )
)]
#[post("/organizations")]
pub async fn create_organization(
    state: web::Data<AppState>,
    req: HttpRequest,
    auth: Caller,
    body: JsonBody<CreateOrganization>,
) -> AppResult<HttpResponse> {
    let cmd = body.value;
    idempotency::run(&state, &req, auth.idempotency_scope(), &body.raw, |done| {
        app::run(&state, move |conn| {
            organizations::create(conn, &auth, cmd, done)
        })
    })
    .await
}

/// List organizations visible to the caller: banks, guarantors and finance offices are public;
/// enterprises are visible to themselves, to finance offices covering their region and to admins.
#[utoipa::path(
    tag = "organizations",
    params(OrgListQuery),
    responses((status = 200, description = "A page of organizations", body = Page<OrganizationView>))
)]
#[get("/organizations")]
pub async fn list_organizations(
    state: web::Data<AppState>,
    auth: Caller,
    query: web::Query<OrgListQuery>,
) -> AppResult<HttpResponse> {
    let q = query.into_inner();
    let cursor = PageQuery {
        limit: q.limit,
        cursor: q.cursor,
    }
    .cursor()?;
    if let Some(p) = &q.region_prefix {
        if !region::is_region_prefix(p) {
            return Err(AppError::bad_request(
                ProblemCode::InvalidQuery,
                "region_prefix must be 2, 4 or 6 digits",
            ));
        }
    }
    let filter = OrgFilter {
        kind: q.kind.map(|k| k.as_str().to_owned()),
        region_prefix: q.region_prefix,
        after_id: cursor.after_id,
        limit: cursor.limit,
    };
    let views = app::run(&state, move |conn| organizations::list(conn, &auth, filter)).await?;
    Ok(HttpResponse::Ok().json(page(views, cursor, |o| o.id, |o| o)))
}

/// One organization, if visible to the caller (404 otherwise).
#[utoipa::path(
    tag = "organizations",
    params(("id" = i64, Path, description = "Organization id")),
    responses((status = 200, description = "The organization", body = OrganizationView))
)]
#[get("/organizations/{id}")]
pub async fn get_organization(
    state: web::Data<AppState>,
    auth: Caller,
    path: web::Path<i64>,
) -> AppResult<HttpResponse> {
    let id = path.into_inner();
    let view = app::run(&state, move |conn| organizations::get(conn, &auth, id)).await?;
    Ok(HttpResponse::Ok().json(view))
}

/// Create a user in an organization (admin). The user's role follows from the organization's kind.
#[utoipa::path(
    tag = "organizations",
    request_body = CreateUser,
    params(
        ("id" = i64, Path, description = "Organization id"),
        ("Idempotency-Key" = Option<String>, Header, description = "Makes retries safe"),
    ),
    responses(
        (status = 201, description = "The user", body = UserView),
        (status = 409, description = "Username already taken", body = crate::app::error::Problem, content_type = "application/problem+json"),
    )
)]
#[post("/organizations/{id}/users")]
pub async fn create_user(
    state: web::Data<AppState>,
    req: HttpRequest,
    auth: Caller,
    path: web::Path<i64>,
    body: JsonBody<CreateUser>,
) -> AppResult<HttpResponse> {
    let (org_id, cmd) = (path.into_inner(), body.value);
    idempotency::run(&state, &req, auth.idempotency_scope(), &body.raw, |done| {
        users::create(&state, auth, org_id, cmd, done)
    })
    .await
}

/// The users of an organization (admin).
#[utoipa::path(
    tag = "organizations",
    params(("id" = i64, Path, description = "Organization id"), PageQuery),
    responses((status = 200, description = "A page of users", body = Page<UserView>))
)]
#[get("/organizations/{id}/users")]
pub async fn list_users(
    state: web::Data<AppState>,
    auth: Caller,
    path: web::Path<i64>,
    query: web::Query<PageQuery>,
) -> AppResult<HttpResponse> {
    let org_id = path.into_inner();
    let cursor = query.cursor()?;
    let (after, limit) = (cursor.after_id, cursor.limit);
    let views = app::run(&state, move |conn| {
        organizations::users(conn, &auth, org_id, after, limit)
    })
    .await?;
    Ok(HttpResponse::Ok().json(page(views, cursor, |u| u.id, |u| u)))
}

/// Disable a user (admin): it cannot log in and its tokens answer 401 on the next request.
#[utoipa::path(
    tag = "organizations",
    params(("id" = i64, Path, description = "User id")),
    responses(
        (status = 200, description = "The user, disabled", body = UserView),
        (status = 409, description = "`conflict`: an admin cannot disable itself", body = crate::app::error::Problem, content_type = "application/problem+json"),
    )
)]
#[post("/users/{id}/disable")]
pub async fn disable_user(
    state: web::Data<AppState>,
    auth: Caller,
    path: web::Path<i64>,
    _: NoBody,
) -> AppResult<HttpResponse> {
    set_disabled(state, auth, path.into_inner(), true).await
}

/// Enable a disabled user again (admin).
#[utoipa::path(
    tag = "organizations",
    params(("id" = i64, Path, description = "User id")),
    responses((status = 200, description = "The user, enabled", body = UserView))
)]
#[post("/users/{id}/enable")]
pub async fn enable_user(
    state: web::Data<AppState>,
    auth: Caller,
    path: web::Path<i64>,
    _: NoBody,
) -> AppResult<HttpResponse> {
    set_disabled(state, auth, path.into_inner(), false).await
}

async fn set_disabled(
    state: web::Data<AppState>,
    auth: Caller,
    id: i64,
    disabled: bool,
) -> AppResult<HttpResponse> {
    let view = app::run(&state, move |conn| {
        users::set_disabled(conn, &auth, id, disabled)
    })
    .await?;
    Ok(HttpResponse::Ok().json(view))
}
