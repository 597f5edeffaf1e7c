//! Matching endpoints over HTTP (SPEC §3.5); the use cases are `app::matching`.

use actix_web::{get, web, HttpRequest, HttpResponse};
use serde::Deserialize;
use utoipa::IntoParams;

use super::auth::Caller;
use super::extract::lang;
use crate::app::error::AppResult;
use crate::app::matching::{self, Candidates, Recommendations};
use crate::app::pagination::{offset_cursor, PageQuery};
use crate::app::{self, AppState};

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RecommendationQuery {
    /// How many products per page, 1–200 (default 50).
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
    /// Also list products the demand does not qualify for, after the eligible ones, with the
    /// criteria they fail.
    pub include_ineligible: Option<bool>,
    pub cursor: Option<String>,
}

/// Products ranked for a demand, with reasons (the demand's enterprise, its finance office, admin).
#[utoipa::path(
    tag = "matching",
    params(("id" = i64, Path, description = "Demand id"), RecommendationQuery, ("Accept-Language" = Option<String>, Header, description = "`zh-CN` for reasons in Chinese; English when absent")),
    responses((status = 200, description = "Ranked products", body = Recommendations))
)]
#[get("/demands/{id}/recommendations")]
pub async fn recommendations(
    state: web::Data<AppState>,
    auth: Caller,
    path: web::Path<i64>,
    query: web::Query<RecommendationQuery>,
    req: HttpRequest,
) -> AppResult<HttpResponse> {
    let id = path.into_inner();
    let q = query.into_inner();
    let (limit, offset) = offset_cursor(&PageQuery {
        limit: q.limit,
        cursor: q.cursor,
    })?;
    let ask = matching::PageAsk {
        include_ineligible: q.include_ineligible.unwrap_or(false),
        limit,
        offset,
        lang: lang(&req),
    };
    // A cached page answers without a connection or a blocking thread.
    if let Some(page) = matching::remembered_recommendations(&auth, &state.matching, id, ask).await
    {
        return Ok(json_in_lang(page?.body.clone()));
    }
    let st = state.clone();
    let page = app::run(&state, move |conn| {
        matching::recommendations(conn, &auth, &st.matching, id, ask)
    })
    .await?;
    Ok(json_in_lang(page.body.clone()))
}

/// A JSON answer whose text depends on `Accept-Language`.
fn json_in_lang(body: impl actix_web::body::MessageBody + 'static) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("application/json")
        .insert_header((actix_web::http::header::VARY, "Accept-Language"))
        .body(body)
}

/// Open demands eligible for a product, ranked, with reasons (the owning bank, admin).
#[utoipa::path(
    tag = "matching",
    params(("id" = i64, Path, description = "Product id"), PageQuery, ("Accept-Language" = Option<String>, Header, description = "`zh-CN` for reasons in Chinese; English when absent")),
    responses((status = 200, description = "Ranked open demands", body = Candidates))
)]
#[get("/products/{id}/candidates")]
pub async fn candidates(
    state: web::Data<AppState>,
    auth: Caller,
    path: web::Path<i64>,
    query: web::Query<PageQuery>,
    req: HttpRequest,
) -> AppResult<HttpResponse> {
    let id = path.into_inner();
    let (limit, offset) = offset_cursor(&query)?;
    let lang = lang(&req);
    let st = state.clone();
    let body = app::run(&state, move |conn| {
        matching::candidates(conn, &auth, &st.matching, id, limit, offset, lang)
    })
    .await?;
    Ok(json_in_lang(
        serde_json::to_vec(&body).map_err(crate::app::error::AppError::internal)?,
    ))
}
