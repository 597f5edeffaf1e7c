//! The working-day calendar: exceptions to Monday–Friday, set per year.

use chrono::{Datelike, NaiveDate};
use diesel::prelude::*;

use super::schema::calendar_days;
use super::DbConnection;
use crate::domain::calendar::Calendar;

/// The calendar covering `from`..=`to` (whole years, so deadlines may run into the next one).
pub fn load(conn: &mut DbConnection, from: NaiveDate, to: NaiveDate) -> QueryResult<Calendar> {
    let start = NaiveDate::from_ymd_opt(from.year(), 1, 1).unwrap_or(from);
    let end = NaiveDate::from_ymd_opt(to.year() + 1, 12, 31).unwrap_or(to);
    let rows: Vec<(NaiveDate, String)> = calendar_days::table
        .filter(calendar_days::day.between(start, end))
        .select((calendar_days::day, calendar_days::kind))
        .load(conn)?;
    let mut c = Calendar::default();
    for (day, kind) in rows {
        if kind == "holiday" {
            c.holidays.insert(day);
        } else {
            c.workdays.insert(day);
        }
    }
    Ok(c)
}

/// Replaces one year's exceptions.
pub fn replace_year(
    conn: &mut DbConnection,
    year: i32,
    holidays: &[NaiveDate],
    workdays: &[NaiveDate],
) -> QueryResult<()> {
    let (Some(start), Some(end)) = (
        NaiveDate::from_ymd_opt(year, 1, 1),
        NaiveDate::from_ymd_opt(year, 12, 31),
    ) else {
        return Ok(());
    };
    diesel::delete(calendar_days::table.filter(calendar_days::day.between(start, end)))
        .execute(conn)?;
    let rows: Vec<_> = holidays
        .iter()
        .map(|d| (calendar_days::day.eq(*d), calendar_days::kind.eq("holiday")))
        .chain(
            workdays
                .iter()
                .map(|d| (calendar_days::day.eq(*d), calendar_days::kind.eq("workday"))),
        )
        .collect();
    for row in rows {
        diesel::insert_into(calendar_days::table)
            .values(row)
            .execute(conn)?;
    }
    Ok(())
}
