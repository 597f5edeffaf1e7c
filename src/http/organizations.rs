//! Organizations and their users (SPEC §3.1). Admins create banks, guarantors and finance
//! offices; enterprises register themselves.

use crate::app::credentials;
use crate::http::extract::NoBody;
use std::collections::HashMap;

use actix_web::http::StatusCode;
use actix_web::{get, post, web, HttpRequest, HttpResponse};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::auth::Auth;
use super::extract::JsonBody;
use super::pagination::{page, Page, PageQuery};
use super::session::check_name;
use super::{idempotency, with_conn};
use crate::app::error::ProblemCode;
use crate::app::error::{AppError, AppResult, Validator};
use crate::app::views::{OrganizationView, UserView};
use crate::app::AppState;
use crate::db::{self, orgs, users};
use crate::domain::credit_code::CreditCode;
use crate::domain::org::{CreatableKind, OrgKind, Role};
use crate::domain::region;

#[derive(Debug, Deserialize, Serialize, ToSchema)]
pub struct CreateOrganization {
    pub kind: CreatableKind,
    #[schema(example = "青岛银行", min_length = 1, max_length = 200)]
    pub name: String,
    /// 统一社会信用代码 (optional; checksum verified when given).
    #[schema(pattern = "^[0-9A-HJ-NPQRTUWXYa-hj-npqrtuwxy]{18}$")]
    pub credit_code: Option<String>,
    /// A finance office's scope prefix (2, 4 or 6 digits, required); otherwise a 6-digit
    /// 行政区划代码 (optional).
    #[schema(example = "3702", pattern = "^[0-9]{2}([0-9]{2}){0,2}$")]
    pub region_code: Option<String>,
}

#[derive(Debug, Deserialize, Serialize, ToSchema)]
pub struct CreateUser {
    #[schema(pattern = "^[A-Za-z0-9._@-]{3,64}$")]
    pub username: String,
    /// At least 10 characters.
    #[schema(min_length = 10, max_length = 256)]
    pub password: String,
}

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

fn validate_create(b: &CreateOrganization) -> AppResult<Option<CreditCode>> {
    let mut v = Validator::default();
    check_name(&mut v, "name", &b.name);
    match (b.kind, b.region_code.as_deref()) {
        (CreatableKind::FinanceOffice, None) => v.push(
            "region_code",
            "is required for a finance office (its scope prefix)",
        ),
        (CreatableKind::FinanceOffice, Some(r)) => {
            v.check(
                region::is_region_prefix(r),
                "region_code",
                "must be 2, 4 or 6 digits (province, city or district)",
            );
        }
        (_, Some(r)) => {
            v.check(
                region::is_region_code(r),
                "region_code",
                "must be a 6-digit 行政区划代码",
            );
        }
        (_, None) => {}
    }
    v.finish()?;
    b.credit_code
        .as_deref()
        .map(CreditCode::parse)
        .transpose()
        .map_err(AppError::from)
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
    auth: Auth,
    body: JsonBody<CreateOrganization>,
) -> AppResult<HttpResponse> {
    auth.require(&[Role::Admin])?;
    let code = validate_create(&body.value)?;
    let b = body.value;
    let st = state.clone();
    idempotency::run(
        &st,
        &req,
        auth.idempotency_scope(),
        &body.raw,
        |done| async move {
            with_conn(&state, move |conn| {
                conn.write_transaction(|conn| {
                    if let Some(code) = &code {
                        if orgs::credit_code_taken(conn, code.as_str())? {
                            return Err(AppError::conflict(
                                ProblemCode::CreditCodeTaken,
                                "an organization with this credit code is already registered",
                            ));
                        }
                    }
                    let now = db::now();
                    let org = orgs::insert(
                        conn,
                        &orgs::NewOrg {
                            kind: OrgKind::from(b.kind).as_str(),
                            name: &b.name,
                            credit_code: code.as_ref().map(CreditCode::as_str),
                            region_code: b.region_code.as_deref(),
                            created_at: now,
                            updated_at: now,
                        },
                    )?;
                    done.record(conn, StatusCode::CREATED, &OrganizationView::new(org, None))
                })
            })
            .await
        },
    )
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
    auth: Auth,
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
    let (rows, ents) = with_conn(&state, move |conn| {
        let scope = orgs::scope_for(conn, auth.org_id, auth.is_admin())?;
        let filter = orgs::OrgFilter {
            kind: q.kind.map(|k| k.as_str().to_owned()),
            region_prefix: q.region_prefix,
            after_id: cursor.after_id,
            limit: cursor.limit,
        };
        let rows = orgs::list(conn, &scope, &filter)?;
        let ids: Vec<i64> = rows
            .iter()
            .filter(|o| o.kind == "enterprise")
            .map(|o| o.id)
            .collect();
        let ents = orgs::enterprises_of(conn, &ids)?;
        Ok((rows, ents))
    })
    .await?;
    let ents: HashMap<i64, orgs::EnterpriseRow> = ents.into_iter().map(|e| (e.org_id, e)).collect();
    Ok(HttpResponse::Ok().json(page(
        rows,
        cursor,
        |o| o.id,
        |o| {
            let e = ents.get(&o.id);
            OrganizationView::new(o, e)
        },
    )))
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
    auth: Auth,
    path: web::Path<i64>,
) -> AppResult<HttpResponse> {
    let id = path.into_inner();
    let (org, ent) = with_conn(&state, move |conn| {
        let scope = orgs::scope_for(conn, auth.org_id, auth.is_admin())?;
        let org = orgs::find_visible(conn, id, &scope)?
            .ok_or_else(|| AppError::not_found("organization"))?;
        let ent = orgs::find_enterprise(conn, org.id)?;
        Ok((org, ent))
    })
    .await?;
    Ok(HttpResponse::Ok().json(OrganizationView::new(org, ent.as_ref())))
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
    auth: Auth,
    path: web::Path<i64>,
    body: JsonBody<CreateUser>,
) -> AppResult<HttpResponse> {
    let org_id = path.into_inner();
    // Non-admins get 404 for organizations they cannot see and 403 for those they can.
    let visible = with_conn(&state, move |conn| {
        let scope = orgs::scope_for(conn, auth.org_id, auth.is_admin())?;
        Ok(orgs::find_visible(conn, org_id, &scope)?)
    })
    .await?;
    let org = visible.ok_or_else(|| AppError::not_found("organization"))?;
    auth.require(&[Role::Admin])?;
    let mut v = Validator::default();
    if let Err(m) = credentials::validate_username(&body.value.username) {
        v.push("username", m);
    }
    if let Err(m) = credentials::validate_password(&body.value.password) {
        v.push("password", m);
    }
    v.finish()?;
    let b = body.value;
    let st = state.clone();
    idempotency::run(
        &st,
        &req,
        auth.idempotency_scope(),
        &body.raw,
        |done| async move {
            let password = b.password.clone();
            let hash = state.hashing.hash(password).await?;
            with_conn(&state, move |conn| {
                conn.write_transaction(|conn| {
                    if users::username_taken(conn, &b.username)? {
                        return Err(AppError::conflict(
                            ProblemCode::UsernameTaken,
                            "this username is already taken",
                        ));
                    }
                    let user = users::insert(
                        conn,
                        &users::NewUser {
                            org_id: org.id,
                            username: &b.username,
                            password_hash: &hash,
                            created_at: db::now(),
                        },
                    )?;
                    done.record(conn, StatusCode::CREATED, &UserView::new(&user, &org))
                })
            })
            .await
        },
    )
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
    auth: Auth,
    path: web::Path<i64>,
    query: web::Query<PageQuery>,
) -> AppResult<HttpResponse> {
    let org_id = path.into_inner();
    let cursor = query.cursor()?;
    let (org, rows) = with_conn(&state, move |conn| {
        let scope = orgs::scope_for(conn, auth.org_id, auth.is_admin())?;
        let org = orgs::find_visible(conn, org_id, &scope)?
            .ok_or_else(|| AppError::not_found("organization"))?;
        auth.require(&[Role::Admin])?;
        let rows = users::list_for_org(conn, org.id, cursor.after_id, cursor.limit)?;
        Ok((org, rows))
    })
    .await?;
    Ok(HttpResponse::Ok().json(page(rows, cursor, |u| u.id, |u| UserView::new(&u, &org))))
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
    auth: Auth,
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
    auth: Auth,
    path: web::Path<i64>,
    _: NoBody,
) -> AppResult<HttpResponse> {
    set_disabled(state, auth, path.into_inner(), false).await
}

async fn set_disabled(
    state: web::Data<AppState>,
    auth: Auth,
    id: i64,
    disabled: bool,
) -> AppResult<HttpResponse> {
    auth.require(&[Role::Admin])?;
    if disabled && id == auth.user_id {
        return Err(AppError::conflict(
            ProblemCode::Conflict,
            "an admin cannot disable itself",
        ));
    }
    let view = with_conn(&state, move |conn| {
        conn.write_transaction(|conn| {
            let when = disabled.then(db::now);
            if users::set_disabled(conn, id, when)? == 0 {
                return Err(AppError::not_found("user"));
            }
            let (user, org) =
                users::find_with_org(conn, id)?.ok_or_else(|| AppError::not_found("user"))?;
            Ok(UserView::new(&user, &org))
        })
    })
    .await?;
    Ok(HttpResponse::Ok().json(view))
}
