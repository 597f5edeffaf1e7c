//! The working-day calendar over HTTP; the use cases are `app::calendar`.

use actix_web::{get, put, web, HttpResponse};

use super::auth::Caller;
use super::extract::JsonBody;
use crate::app::calendar::{self, CalendarView, CalendarYear};
use crate::app::error::AppResult;
use crate::app::{self, AppState};

/// Set a year's holidays and make-up workdays (admin, finance office). Replaces the year.
#[utoipa::path(
    tag = "calendar",
    request_body = CalendarYear,
    params(("year" = i32, Path, description = "Calendar year", minimum = 2000, maximum = 2100)),
    responses((status = 200, description = "The year's calendar", body = CalendarView))
)]
#[put("/calendar/{year}")]
pub async fn put_calendar(
    state: web::Data<AppState>,
    auth: Caller,
    path: web::Path<i32>,
    body: JsonBody<CalendarYear>,
) -> AppResult<HttpResponse> {
    let (year, cmd) = (path.into_inner(), body.value);
    let view = app::run(&state, move |conn| calendar::put(conn, &auth, year, cmd)).await?;
    Ok(HttpResponse::Ok().json(view))
}

/// A year's holidays and make-up workdays (any authenticated user).
#[utoipa::path(
    tag = "calendar",
    params(("year" = i32, Path, description = "Calendar year", minimum = 2000, maximum = 2100)),
    responses((status = 200, description = "The year's calendar", body = CalendarView))
)]
#[get("/calendar/{year}")]
pub async fn get_calendar(
    state: web::Data<AppState>,
    _auth: Caller,
    path: web::Path<i32>,
) -> AppResult<HttpResponse> {
    let year = path.into_inner();
    let view = app::run(&state, move |conn| calendar::get(conn, year)).await?;
    Ok(HttpResponse::Ok().json(view))
}
