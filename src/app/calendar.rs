//! The working-day calendar finance offices set per year (法定节假日 and 调休); response and
//! decision deadlines count its working days (`domain::calendar`).

use std::collections::BTreeSet;

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::caller::Caller;
use super::error::{AppError, AppResult, ProblemCode, Validator};
use crate::db::{self, DbConnection};
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

/// Sets a year's holidays and make-up workdays (admin, finance office). Replaces the year.
#[tracing::instrument(skip_all, fields(user = auth.user_id, year = year))]
pub fn put(
    conn: &mut DbConnection,
    auth: &Caller,
    year: i32,
    cmd: CalendarYear,
) -> AppResult<CalendarView> {
    auth.require(&[Role::Admin, Role::FinanceOffice])?;
    check_year(year)?;
    let holidays: BTreeSet<NaiveDate> = cmd.holidays.iter().copied().collect();
    let workdays: BTreeSet<NaiveDate> = cmd.workdays.iter().copied().collect();
    let mut v = Validator::default();
    for (i, d) in cmd.holidays.iter().enumerate() {
        v.check(
            d.year() == year,
            &format!("holidays[{i}]"),
            format!("must be in {year}"),
        );
    }
    for (i, d) in cmd.workdays.iter().enumerate() {
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
    conn.write_transaction(|conn| db::calendar::replace_year(conn, year, &h, &w))?;
    Ok(CalendarView {
        year,
        holidays: h,
        workdays: w,
    })
}

/// A year's holidays and make-up workdays (any authenticated user).
pub fn get(conn: &mut DbConnection, year: i32) -> AppResult<CalendarView> {
    check_year(year)?;
    let (start, end) = (
        NaiveDate::from_ymd_opt(year, 1, 1).unwrap_or_default(),
        NaiveDate::from_ymd_opt(year, 12, 31).unwrap_or_default(),
    );
    let cal = db::calendar::load(conn, start, end)?;
    let in_year = |d: &&NaiveDate| d.year() == year;
    Ok(CalendarView {
        year,
        holidays: cal.holidays.iter().filter(in_year).copied().collect(),
        workdays: cal.workdays.iter().filter(in_year).copied().collect(),
    })
}
