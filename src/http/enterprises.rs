//! Enterprise profiles and qualifications over HTTP (SPEC §3.2); the use cases are
//! `app::enterprises`.

use actix_web::{delete, get, post, put, web, HttpRequest, HttpResponse};
use chrono::NaiveDate;
use serde::Deserialize;
use utoipa::IntoParams;

use super::auth::Caller;
use super::extract::{JsonBody, NoBody};
use super::idempotency;
use crate::app::enterprises::EnterpriseFilter;
use crate::app::enterprises::{
    self, CreateQualification, EnterpriseView, QualificationView, UpdateEnterprise,
};
use crate::app::error::{AppError, AppResult, ProblemCode};
use crate::app::pagination::{page, Page, PageQuery};
use crate::app::{self, AppState};
use crate::domain::qualification::QualificationKind;
use crate::domain::region;
use crate::domain::size_class::{Industry, SizeClass};

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct EnterpriseListQuery {
    /// Region code prefix (2, 4 or 6 digits); narrows the caller's scope.
    pub region_prefix: Option<String>,
    pub industry: Option<Industry>,
    pub size_class: Option<SizeClass>,
    /// Holds this qualification, valid today.
    pub qualification: Option<QualificationKind>,
    pub has_prior_loan: Option<bool>,
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
    pub cursor: Option<String>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct QualificationListQuery {
    /// Only qualifications valid on this date.
    #[serde(default, deserialize_with = "crate::domain::date::strict_opt")]
    pub valid_on: Option<NaiveDate>,
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
    pub cursor: Option<String>,
}

/// Enterprises in the caller's scope (admin: all; finance office: its region).
#[utoipa::path(
    tag = "enterprises",
    params(EnterpriseListQuery),
    responses((status = 200, description = "A page of enterprises", body = Page<EnterpriseView>))
)]
#[get("/enterprises")]
pub async fn list_enterprises(
    state: web::Data<AppState>,
    auth: Caller,
    query: web::Query<EnterpriseListQuery>,
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
    let filter = EnterpriseFilter {
        region_prefix: q.region_prefix,
        industry: q.industry.map(|i| i.as_str().to_owned()),
        size_class: q.size_class.map(|s| s.as_str().to_owned()),
        has_prior_loan: q.has_prior_loan,
        qualification: q.qualification.map(|k| k.as_str().to_owned()),
        today: None,
        after_id: cursor.after_id,
        limit: cursor.limit,
    };
    let views = app::run(&state, move |conn| enterprises::list(conn, &auth, filter)).await?;
    Ok(HttpResponse::Ok().json(page(views, cursor, |v| v.id, |v| v)))
}

/// One enterprise (itself, its finance office, admin).
#[utoipa::path(
    tag = "enterprises",
    params(("id" = i64, Path, description = "Enterprise (organization) id")),
    responses((status = 200, description = "The enterprise", body = EnterpriseView))
)]
#[get("/enterprises/{id}")]
pub async fn get_enterprise(
    state: web::Data<AppState>,
    auth: Caller,
    path: web::Path<i64>,
) -> AppResult<HttpResponse> {
    let id = path.into_inner();
    let view = app::run(&state, move |conn| enterprises::get(conn, &auth, id)).await?;
    Ok(HttpResponse::Ok().json(view))
}

/// Replace the editable profile (the enterprise itself, or an admin); the size class is
/// recomputed. Only an admin may change `region_code` (moving the enterprise, its records,
/// reports and claims to another finance office); the enterprise itself gets 403
/// `region_change_forbidden`.
#[utoipa::path(
    tag = "enterprises",
    request_body = UpdateEnterprise,
    params(("id" = i64, Path, description = "Enterprise (organization) id")),
    responses(
        (status = 200, description = "The updated enterprise", body = EnterpriseView),
        (status = 403, description = "`forbidden`: neither the enterprise nor an admin; `region_change_forbidden`: the enterprise changed its own region", body = crate::app::error::Problem, content_type = "application/problem+json"),
    )
)]
#[put("/enterprises/{id}")]
pub async fn update_enterprise(
    state: web::Data<AppState>,
    auth: Caller,
    path: web::Path<i64>,
    body: JsonBody<UpdateEnterprise>,
) -> AppResult<HttpResponse> {
    let (id, b) = (path.into_inner(), body.value);
    let view = app::run(&state, move |conn| enterprises::update(conn, &auth, id, b)).await?;
    Ok(HttpResponse::Ok().json(view))
}

/// Record a qualification (the enterprise itself, its finance office, admin).
#[utoipa::path(
    tag = "enterprises",
    request_body = CreateQualification,
    params(
        ("id" = i64, Path, description = "Enterprise (organization) id"),
        ("Idempotency-Key" = Option<String>, Header, description = "Makes retries safe"),
    ),
    responses(
        (status = 201, description = "The qualification", body = QualificationView),
        (status = 409, description = "`duplicate_qualification`: same kind, level and certificate number", body = crate::app::error::Problem, content_type = "application/problem+json"),
    )
)]
#[post("/enterprises/{id}/qualifications")]
pub async fn create_qualification(
    state: web::Data<AppState>,
    req: HttpRequest,
    auth: Caller,
    path: web::Path<i64>,
    body: JsonBody<CreateQualification>,
) -> AppResult<HttpResponse> {
    let (id, cmd) = (path.into_inner(), body.value);
    idempotency::run(&state, &req, auth.idempotency_scope(), &body.raw, |done| {
        app::run(&state, move |conn| {
            enterprises::add_qualification(conn, &auth, id, cmd, done)
        })
    })
    .await
}

/// An enterprise's qualifications (same visibility as the enterprise).
#[utoipa::path(
    tag = "enterprises",
    params(("id" = i64, Path, description = "Enterprise (organization) id"), QualificationListQuery),
    responses((status = 200, description = "A page of qualifications", body = Page<QualificationView>))
)]
#[get("/enterprises/{id}/qualifications")]
pub async fn list_qualifications(
    state: web::Data<AppState>,
    auth: Caller,
    path: web::Path<i64>,
    query: web::Query<QualificationListQuery>,
) -> AppResult<HttpResponse> {
    let id = path.into_inner();
    let q = query.into_inner();
    let cursor = PageQuery {
        limit: q.limit,
        cursor: q.cursor,
    }
    .cursor()?;
    let (valid_on, after, limit) = (q.valid_on, cursor.after_id, cursor.limit);
    let views = app::run(&state, move |conn| {
        enterprises::qualifications(conn, &auth, id, valid_on, after, limit)
    })
    .await?;
    Ok(HttpResponse::Ok().json(page(views, cursor, |v| v.id, |v| v)))
}

/// Remove a qualification (the enterprise itself, its finance office, admin).
#[utoipa::path(
    tag = "enterprises",
    params(
        ("id" = i64, Path, description = "Enterprise (organization) id"),
        ("qid" = i64, Path, description = "Qualification id"),
    ),
    responses((status = 204, description = "Removed"))
)]
#[delete("/enterprises/{id}/qualifications/{qid}")]
pub async fn delete_qualification(
    state: web::Data<AppState>,
    auth: Caller,
    path: web::Path<(i64, i64)>,
    _: NoBody,
) -> AppResult<HttpResponse> {
    let (id, qid) = path.into_inner();
    app::run(&state, move |conn| {
        enterprises::remove_qualification(conn, &auth, id, qid)
    })
    .await?;
    Ok(HttpResponse::NoContent().finish())
}
