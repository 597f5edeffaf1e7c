//! Login throttling, kept in the database so every instance sees the same counts.
//!
//! `MAX_FAILURES` failed logins for one username within `WINDOW` lock it for `LOCKOUT`;
//! a successful login clears the record.

use chrono::{NaiveDateTime, TimeDelta};
use diesel::prelude::*;

use super::schema::login_throttle;
use super::DbConnection;

pub const MAX_FAILURES: i64 = 5;
pub const WINDOW: TimeDelta = TimeDelta::minutes(15);
pub const LOCKOUT: TimeDelta = TimeDelta::minutes(15);

/// Seconds until the username may try again, if it is locked now.
pub fn locked_for(
    conn: &mut DbConnection,
    username: &str,
    now: NaiveDateTime,
) -> QueryResult<Option<i64>> {
    let until: Option<Option<NaiveDateTime>> = login_throttle::table
        .find(username)
        .select(login_throttle::locked_until)
        .first(conn)
        .optional()?;
    Ok(until
        .flatten()
        .filter(|u| *u > now)
        .map(|u| (u - now).num_seconds().max(1)))
}

/// Counts one failure; returns the lock duration in seconds if this failure triggered a lock.
pub fn record_failure(
    conn: &mut DbConnection,
    username: &str,
    now: NaiveDateTime,
) -> QueryResult<Option<i64>> {
    conn.write_transaction(|conn| {
        let current: Option<(i64, NaiveDateTime)> = login_throttle::table
            .find(username)
            .select((login_throttle::failures, login_throttle::window_started_at))
            .first(conn)
            .optional()?;
        let (failures, window_start) = match current {
            Some((n, start)) if now - start < WINDOW => (n + 1, start),
            _ => (1, now),
        };
        let locked_until = (failures >= MAX_FAILURES).then(|| now + LOCKOUT);
        if current.is_some() {
            diesel::update(login_throttle::table.find(username))
                .set((
                    login_throttle::failures.eq(if locked_until.is_some() { 0 } else { failures }),
                    login_throttle::window_started_at.eq(window_start),
                    login_throttle::locked_until.eq(locked_until),
                ))
                .execute(conn)?;
        } else {
            diesel::insert_into(login_throttle::table)
                .values((
                    login_throttle::username.eq(username),
                    login_throttle::failures.eq(failures),
                    login_throttle::window_started_at.eq(window_start),
                    login_throttle::locked_until.eq(locked_until),
                ))
                .execute(conn)?;
        }
        Ok(locked_until.map(|_| LOCKOUT.num_seconds()))
    })
}

pub fn clear(conn: &mut DbConnection, username: &str) -> QueryResult<()> {
    diesel::delete(login_throttle::table.find(username)).execute(conn)?;
    Ok(())
}
