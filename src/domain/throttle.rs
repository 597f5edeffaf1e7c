//! Login throttling (防暴力破解): failed logins are counted per username *and* client address,
//! so an attacker elsewhere cannot lock a user out; past `FREE_FAILURES` each further failure
//! waits longer, doubling from `FIRST_DELAY` up to `MAX_DELAY`, never a permanent lock. The
//! count is forgotten `FORGET_AFTER` after the last failure, and a successful login clears it.

use chrono::TimeDelta;

/// Failures allowed before the first delay.
pub const FREE_FAILURES: i64 = 4;
pub const FIRST_DELAY: TimeDelta = TimeDelta::seconds(30);
pub const MAX_DELAY: TimeDelta = TimeDelta::minutes(15);
pub const FORGET_AFTER: TimeDelta = TimeDelta::hours(1);

/// How long the next attempt must wait after `failures` counted attempts.
pub fn delay_after(failures: i64) -> Option<TimeDelta> {
    let over = failures - FREE_FAILURES;
    if over <= 0 {
        return None;
    }
    // 30 s, 60 s, 120 s, … — 2^5 × 30 s already exceeds the cap.
    let factor = 1i32 << (over - 1).min(5);
    Some((FIRST_DELAY * factor).min(MAX_DELAY))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays_grow_from_the_fifth_failure_and_stop_at_the_cap() {
        assert_eq!(delay_after(0), None);
        assert_eq!(delay_after(FREE_FAILURES), None);
        assert_eq!(delay_after(5), Some(TimeDelta::seconds(30)));
        assert_eq!(delay_after(6), Some(TimeDelta::seconds(60)));
        assert_eq!(delay_after(7), Some(TimeDelta::seconds(120)));
        assert_eq!(delay_after(9), Some(TimeDelta::seconds(480)));
        assert_eq!(delay_after(10), Some(MAX_DELAY));
        assert_eq!(delay_after(1_000_000), Some(MAX_DELAY));
    }
}
