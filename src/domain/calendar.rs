//! Working days (工作日) for response deadlines: Monday–Friday, minus the 法定节假日 a finance
//! office lists for a year, plus the 调休 make-up workdays (weekend days worked instead).

use std::collections::BTreeSet;

use chrono::{Datelike, Days, NaiveDate, Weekday};

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Calendar {
    pub holidays: BTreeSet<NaiveDate>,
    pub workdays: BTreeSet<NaiveDate>,
}

impl Calendar {
    pub fn is_working_day(&self, d: NaiveDate) -> bool {
        if self.workdays.contains(&d) {
            return true;
        }
        !matches!(d.weekday(), Weekday::Sat | Weekday::Sun) && !self.holidays.contains(&d)
    }

    /// The date `n` working days after `start` (`start` itself is not counted): the deadline
    /// for something due "within n working days" of `start`.
    pub fn add_working_days(&self, start: NaiveDate, n: u32) -> NaiveDate {
        let mut d = start;
        let mut left = n;
        while left > 0 {
            d = d.checked_add_days(Days::new(1)).unwrap_or(d);
            if self.is_working_day(d) {
                left -= 1;
            }
        }
        d
    }

    /// Working days after `start` up to and including `end` (0 when `end` is not later): how
    /// long something asked for on `start` took when answered on `end`, as `add_working_days`
    /// counts.
    pub fn working_days_between(&self, start: NaiveDate, end: NaiveDate) -> u32 {
        start
            .iter_days()
            .skip(1)
            .take_while(|d| *d <= end)
            .filter(|d| self.is_working_day(*d))
            .count() as u32
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn weekdays_by_default() {
        let c = Calendar::default();
        // 2026-11-20 is a Friday: three working days later is Wednesday 25th.
        assert_eq!(c.add_working_days(d("2026-11-20"), 3), d("2026-11-25"));
        // From a Saturday, the first working day is Monday.
        assert_eq!(c.add_working_days(d("2026-11-21"), 1), d("2026-11-23"));
        assert_eq!(c.add_working_days(d("2026-11-23"), 0), d("2026-11-23"));
        assert_eq!(c.add_working_days(d("2026-11-23"), 10), d("2026-12-07"));
        assert_eq!(c.working_days_between(d("2026-11-20"), d("2026-11-25")), 3);
        assert_eq!(c.working_days_between(d("2026-11-21"), d("2026-11-23")), 1);
        assert_eq!(c.working_days_between(d("2026-11-23"), d("2026-11-23")), 0);
        assert_eq!(c.working_days_between(d("2026-11-23"), d("2026-11-20")), 0);
        assert_eq!(c.working_days_between(d("2026-11-23"), d("2026-12-07")), 10);
    }

    #[test]
    fn national_day_holidays_and_make_up_days() {
        // 2025 国庆/中秋: 10-01..10-08 off, Sunday 09-28 and Saturday 10-11 worked.
        let mut c = Calendar::default();
        for day in 1..=8 {
            c.holidays
                .insert(NaiveDate::from_ymd_opt(2025, 10, day).unwrap());
        }
        c.workdays.insert(d("2025-09-28"));
        c.workdays.insert(d("2025-10-11"));
        assert!(c.is_working_day(d("2025-09-28")), "调休 Sunday");
        assert!(!c.is_working_day(d("2025-10-03")));
        // Friday 09-26 + 1 → Sunday 09-28 (make-up day); + 2 → Monday 09-29.
        assert_eq!(c.add_working_days(d("2025-09-26"), 1), d("2025-09-28"));
        // Tuesday 09-30 + 3: 10-01..08 are off, Thursday 10-09, Friday 10-10, Saturday 10-11 (worked).
        assert_eq!(c.add_working_days(d("2025-09-30"), 3), d("2025-10-11"));
    }
}
