//! The one clock every use case reads: `now()` for timestamps (to the microsecond, what both
//! databases store) and `today()` for business days.
//!
//! `at` runs a closure with the clock set to a past instant, on the calling thread only. Only
//! `finmatch seed-demo` uses it, to write a demo history through the use cases as of the days
//! it happened; the server never sets it, so a request always sees the system time.

use std::cell::Cell;

use chrono::{DurationRound, NaiveDate, NaiveDateTime, TimeDelta};

thread_local! {
    static SET: Cell<Option<NaiveDateTime>> = const { Cell::new(None) };
}

/// The current instant, truncated to microseconds.
pub fn now() -> NaiveDateTime {
    SET.with(Cell::get).unwrap_or_else(|| {
        let now = chrono::Utc::now().naive_utc();
        now.duration_trunc(TimeDelta::microseconds(1))
            .unwrap_or(now)
    })
}

/// Today's date (UTC).
pub fn today() -> NaiveDate {
    now().date()
}

/// Runs `f` with this thread's clock reading `instant`, then restores it (also on panic).
pub fn at<T>(instant: NaiveDateTime, f: impl FnOnce() -> T) -> T {
    struct Restore(Option<NaiveDateTime>);
    impl Drop for Restore {
        fn drop(&mut self) {
            SET.with(|s| s.set(self.0));
        }
    }
    let _restore = Restore(SET.with(|s| s.replace(Some(instant))));
    f()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn at_sets_the_clock_for_the_closure_only() {
        let past = NaiveDate::from_ymd_opt(2025, 3, 14)
            .and_then(|d| d.and_hms_opt(9, 30, 0))
            .expect("a valid instant");
        let inner = at(past, || (now(), today()));
        assert_eq!(inner, (past, past.date()));
        assert!(now() > past, "the clock is restored after the closure");
        let nested = at(past, || at(past + TimeDelta::days(1), today));
        assert_eq!(nested, past.date() + TimeDelta::days(1));
        let after_panic = std::panic::catch_unwind(|| at(past, || panic!("boom")));
        assert!(after_panic.is_err());
        assert!(now() > past, "the clock is restored after a panic");
    }
}
