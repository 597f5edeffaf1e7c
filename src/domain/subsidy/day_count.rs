//! How long a subsidised period is under a day-count convention (`rule::DayCount`): whole months, the window a
//! rule subsidises and its year fraction as the breakdown shows it.

use chrono::{Datelike, Months, NaiveDate};
use rust_decimal::Decimal;

use super::facts::{LoanFacts, Trail};
use super::rule::DayCount;

pub(super) fn add_months(d: NaiveDate, m: u32) -> NaiveDate {
    d.checked_add_months(Months::new(m))
        .unwrap_or(NaiveDate::MAX)
}

/// Whole months from `a` to `b` (a month counts when the same day-of-month is reached).
pub fn whole_months(a: NaiveDate, b: NaiveDate) -> u32 {
    if b <= a {
        return 0;
    }
    let mut months = (b.year() - a.year()) * 12 + b.month() as i32 - a.month() as i32;
    if add_months(a, months.max(0) as u32) > b {
        months -= 1;
    }
    months.max(0) as u32
}

/// Days from `a` to `b` counted 30/360 (30E/360): every month has 30 days, a 31st counts as
/// the 30th. `f(date) = 360·year + 30·month + min(day, 30)`, days = `f(b) − f(a)`. Over whole
/// months from a day ≤ 30 this is 30 a month; it weighs the balances of a `months_30_360`
/// period whose balance changes (`interest::by_balance`).
pub(super) fn days_30_360(a: NaiveDate, b: NaiveDate) -> i64 {
    let f = |d: NaiveDate| {
        360 * i64::from(d.year()) + 30 * i64::from(d.month()) + i64::from(d.day().min(30))
    };
    f(b) - f(a)
}

/// Year fraction of `[start, end)` — the first day counts, the last does not (算头不算尾).
pub(super) fn year_fraction(
    dc: DayCount,
    start: NaiveDate,
    end: NaiveDate,
    t: &mut Trail,
) -> Decimal {
    let days = (end - start).num_days().max(0);
    match dc {
        DayCount::Act360 => {
            t.add("days (first day counted, last not)", days);
            t.add("year fraction (act_360)", format!("{days}/360"));
            Decimal::from(days) / Decimal::from(360)
        }
        DayCount::Act365 => {
            t.add("days (first day counted, last not)", days);
            t.add("year fraction (act_365)", format!("{days}/365"));
            Decimal::from(days) / Decimal::from(365)
        }
        DayCount::Months30_360 => {
            let m = whole_months(start, end);
            t.add("whole months", m);
            t.add("year fraction (months_30_360)", format!("{m}/12"));
            Decimal::from(m) / Decimal::from(12)
        }
    }
}

/// The subsidised window: the requested period clipped to the loan's life and `max_months`.
pub(super) fn window(
    loan: &LoanFacts,
    start: NaiveDate,
    end: NaiveDate,
    max_months: Option<u32>,
    t: &mut Trail,
) -> (NaiveDate, NaiveDate) {
    let maturity = add_months(loan.disbursed_on, loan.term_months);
    let mut until = maturity;
    if let Some(m) = max_months {
        until = until.min(add_months(loan.disbursed_on, m));
    }
    let s = start.max(loan.disbursed_on);
    let e = end.min(until);
    t.add("requested period", format!("{start} to {end}"));
    t.add("subsidisable until", until);
    t.add("subsidised period", format!("{s} to {}", e.max(s)));
    (s, e.max(s))
}
