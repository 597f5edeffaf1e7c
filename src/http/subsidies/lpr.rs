//! The LPR series over HTTP; the use cases are `app::subsidies::lpr`.

use actix_web::{get, post, web, HttpResponse};

use crate::app::error::AppResult;
use crate::app::pagination::{next_offset_cursor, offset_cursor, PageQuery};
use crate::app::subsidies::lpr::{self, LprInput, LprList, LprView};
use crate::app::{self, AppState};
use crate::http::auth::Caller;
use crate::http::extract::JsonBody;

/// The LPR series, oldest first (pre-loaded with the published history).
#[utoipa::path(tag = "subsidies", params(PageQuery), responses((status = 200, description = "The LPR prints, oldest first, a page at a time", body = LprList)))]
#[get("/lpr")]
pub async fn list_lpr(
    state: web::Data<AppState>,
    _auth: Caller,
    query: web::Query<PageQuery>,
) -> AppResult<HttpResponse> {
    let (limit, offset) = offset_cursor(&query)?;
    let (items, total) =
        app::run(&state, move |conn| lpr::page(conn, offset, limit as usize)).await?;
    Ok(HttpResponse::Ok().json(LprList {
        items,
        next_cursor: next_offset_cursor(offset, limit, total),
    }))
}

/// Record a new LPR print (admin, finance office).
#[utoipa::path(
    tag = "subsidies",
    request_body = LprInput,
    responses(
        (status = 201, description = "The print", body = LprView),
        (status = 409, description = "`lpr_exists`: a print for that date exists", body = crate::app::error::Problem, content_type = "application/problem+json"),
    )
)]
#[post("/lpr")]
pub async fn create_lpr(
    state: web::Data<AppState>,
    auth: Caller,
    body: JsonBody<LprInput>,
) -> AppResult<HttpResponse> {
    let cmd = body.value;
    let view = app::run(&state, move |conn| lpr::create(conn, &auth, cmd)).await?;
    Ok(HttpResponse::Created().json(view))
}
