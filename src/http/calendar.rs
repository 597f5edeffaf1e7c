//! The working-day calendar finance offices set per year (法定节假日 and 调休).

use std::collections::BTreeSet;

use actix_web::{get, put, web, HttpResponse};
use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::auth::Auth;
use super::extract::JsonBody;
use super::with_conn;
use crate::app::error::ProblemCode;
use crate::app::error::{AppError, AppResult, Validator};
use crate::app::AppState;
use crate::db;
use crate::domain::org::Role;

#[derive(Debug, Deserialize, Serialize, ToSchema)]
pub struct CalendarYear {
    /// Public holidays that fall on weekdays (and any other non-working weekday).
    #[serde(deserialize_with = "crate::domain::date::strict_vec")]
    pub holidays: Vec<NaiveDate>,
    /// Weekend days worked instead (调休).
    #[serde(deserialize_with = "crate::domain::date::strict_vec")]
    pub workdays: Vec<NaiveDate>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CalendarView {
    pub year: i32,
    pub holidays: Vec<NaiveDate>,
    pub workdays: Vec<NaiveDate>,
}

fn check_year(year: i32) -> AppResult<()> {
    if (2000..=2100).contains(&year) {
        Ok(())
    } else {
        Err(AppError::bad_request(
            ProblemCode::InvalidPathParameter,
            "year must be between 2000 and 2100",
        ))
    }
}

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
    auth: Auth,
    path: web::Path<i32>,
    body: JsonBody<CalendarYear>,
) -> AppResult<HttpResponse> {
    auth.require(&[Role::Admin, Role::FinanceOffice])?;
    let year = path.into_inner();
    check_year(year)?;
    let b = body.value;
    let holidays: BTreeSet<NaiveDate> = b.holidays.iter().copied().collect();
    let workdays: BTreeSet<NaiveDate> = b.workdays.iter().copied().collect();
    let mut v = Validator::default();
    for (i, d) in b.holidays.iter().enumerate() {
        v.check(
            d.year() == year,
            &format!("holidays[{i}]"),
            format!("must be in {year}"),
        );
    }
    for (i, d) in b.workdays.iter().enumerate() {
        v.check(
            d.year() == year,
            &format!("workdays[{i}]"),
            format!("must be in {year}"),
        );
        v.check(
            !holidays.contains(d),
            &format!("workdays[{i}]"),
            "is also listed as a holiday",
        );
    }
    v.check(
        holidays.len() + workdays.len() <= 366,
        "holidays",
        "too many days",
    );
    v.finish()?;
    let (h, w): (Vec<NaiveDate>, Vec<NaiveDate>) = (
        holidays.into_iter().collect(),
        workdays.into_iter().collect(),
    );
    let (h2, w2) = (h.clone(), w.clone());
    with_conn(&state, move |conn| {
        conn.write_transaction(|conn| Ok(db::calendar::replace_year(conn, year, &h2, &w2)?))
    })
    .await?;
    Ok(HttpResponse::Ok().json(CalendarView {
        year,
        holidays: h,
        workdays: w,
    }))
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
    _auth: Auth,
    path: web::Path<i32>,
) -> AppResult<HttpResponse> {
    let year = path.into_inner();
    check_year(year)?;
    let (start, end) = (
        NaiveDate::from_ymd_opt(year, 1, 1).unwrap_or_default(),
        NaiveDate::from_ymd_opt(year, 12, 31).unwrap_or_default(),
    );
    let cal = with_conn(&state, move |conn| {
        Ok(db::calendar::load(conn, start, end)?)
    })
    .await?;
    let in_year = |d: &&NaiveDate| d.year() == year;
    Ok(HttpResponse::Ok().json(CalendarView {
        year,
        holidays: cal.holidays.iter().filter(in_year).copied().collect(),
        workdays: cal.workdays.iter().filter(in_year).copied().collect(),
    }))
}
