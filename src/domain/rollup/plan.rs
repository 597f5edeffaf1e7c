//! Which cells a date range reads: month cells for its whole months, day cells for the
//! ragged edges.

use chrono::{Datelike, Months, NaiveDate};

use super::cells::month_start;

fn earliest() -> NaiveDate {
    NaiveDate::from_ymd_opt(1, 1, 1).unwrap_or(NaiveDate::MIN)
}

fn latest() -> NaiveDate {
    NaiveDate::from_ymd_opt(9999, 12, 31).unwrap_or(NaiveDate::MAX)
}

/// Which cells cover `[from, to]`: month cells for the whole months inside it and day cells
/// for the days outside them. Open ends cover everything.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Plan {
    /// Month cells with period in this inclusive range.
    pub months: Option<(NaiveDate, NaiveDate)>,
    /// Day cells with period in these inclusive ranges.
    pub days: Vec<(NaiveDate, NaiveDate)>,
}

pub fn plan(from: Option<NaiveDate>, to: Option<NaiveDate>) -> Plan {
    // Both databases order and store four-digit years; nothing is reported outside them.
    let (low, high) = (earliest(), latest());
    let from = from.map(|d| d.clamp(low, high));
    let to = to.map(|d| d.clamp(low, high));
    let lo = from.unwrap_or(low);
    let hi = to.unwrap_or(high);
    // First whole month starting on or after `lo`; last whole month ending on or before `hi`.
    let first = if lo.day() == 1 || from.is_none() {
        month_start(lo)
    } else {
        month_start(lo)
            .checked_add_months(Months::new(1))
            .unwrap_or(high)
    };
    let last = match to {
        None => month_start(hi),
        Some(t) if t.succ_opt().is_none_or(|n| n.day() == 1) => month_start(t),
        Some(t) => month_start(t)
            .checked_sub_months(Months::new(1))
            .unwrap_or(low),
    };
    if first > last {
        return Plan {
            months: None,
            days: vec![(lo, hi)],
        };
    }
    let mut days = Vec::new();
    if lo < first {
        days.push((lo, first.pred_opt().unwrap_or(first)));
    }
    let after_last = last.checked_add_months(Months::new(1)).unwrap_or(high);
    if to.is_some() && after_last <= hi {
        days.push((after_last, hi));
    }
    Plan {
        months: Some((first, last)),
        days,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn plans_split_ranges_into_months_and_edge_days() {
        assert_eq!(
            plan(None, None),
            Plan {
                months: Some((earliest(), d("9999-12-01"))),
                days: vec![]
            }
        );
        assert_eq!(
            plan(Some(d("2026-01-01")), Some(d("2026-03-31"))),
            Plan {
                months: Some((d("2026-01-01"), d("2026-03-01"))),
                days: vec![]
            }
        );
        assert_eq!(
            plan(Some(d("2026-01-15")), Some(d("2026-04-10"))),
            Plan {
                months: Some((d("2026-02-01"), d("2026-03-01"))),
                days: vec![
                    (d("2026-01-15"), d("2026-01-31")),
                    (d("2026-04-01"), d("2026-04-10"))
                ]
            }
        );
        // Inside one month: days only.
        assert_eq!(
            plan(Some(d("2026-02-03")), Some(d("2026-02-27"))),
            Plan {
                months: None,
                days: vec![(d("2026-02-03"), d("2026-02-27"))]
            }
        );
        assert_eq!(
            plan(None, Some(d("2026-02-10"))).days,
            vec![(d("2026-02-01"), d("2026-02-10"))]
        );
    }
}
