//! Login throttling, kept in the database so every instance sees the same counts. The rule
//! (per username and client address, growing delays) is `domain::throttle`.
//!
//! An attempt is counted *before* the password is checked, in one transaction that holds the
//! row: parallel guesses queue on it, so no more of them are checked than the rule allows.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::schema::login_throttle as lt;
use super::DbConnection;
use crate::domain::throttle::{delay_after, FORGET_AFTER};

/// Counts one attempt of `username` from `client`. `Err(seconds)` when it must wait: nothing
/// is counted then and the password must not be checked.
pub fn begin_attempt(
    conn: &mut DbConnection,
    username: &str,
    client: &str,
    now: NaiveDateTime,
) -> QueryResult<Result<(), i64>> {
    conn.write_transaction(|conn| {
        let fresh = (
            lt::username.eq(username),
            lt::client.eq(client),
            lt::failures.eq(0),
            lt::last_failure_at.eq(now),
            lt::locked_until.eq(None::<NaiveDateTime>),
        );
        crate::on_backend!(conn, c => diesel::insert_into(lt::table)
            .values(fresh)
            .on_conflict_do_nothing()
            .execute(c))?;
        let key = lt::table.find((username, client));
        let select = (lt::failures, lt::last_failure_at, lt::locked_until);
        let (failures, last, locked_until): (i64, NaiveDateTime, Option<NaiveDateTime>) = match conn
        {
            DbConnection::Postgres(c) => key.select(select).for_update().first(c)?,
            // SQLite: the write transaction already holds the database's write lock.
            DbConnection::Sqlite(c) => key.select(select).first(c)?,
        };
        if let Some(until) = locked_until.filter(|u| *u > now) {
            return Ok(Err((until - now).num_seconds().max(1)));
        }
        let failures = if now - last >= FORGET_AFTER {
            1
        } else {
            failures + 1
        };
        diesel::update(key)
            .set((
                lt::failures.eq(failures),
                lt::last_failure_at.eq(now),
                lt::locked_until.eq(delay_after(failures).map(|d| now + d)),
            ))
            .execute(conn)?;
        Ok(Ok(()))
    })
}

/// The password was right: forget the count for this username and client.
pub fn clear(conn: &mut DbConnection, username: &str, client: &str) -> QueryResult<()> {
    diesel::delete(lt::table.find((username, client))).execute(conn)?;
    Ok(())
}

/// Drops counts nobody needs any more (housekeeping), so guesses cannot grow the table.
pub fn expire(conn: &mut DbConnection, now: NaiveDateTime) -> QueryResult<usize> {
    diesel::delete(
        lt::table
            .filter(lt::last_failure_at.lt(now - FORGET_AFTER))
            .filter(lt::locked_until.is_null().or(lt::locked_until.lt(now))),
    )
    .execute(conn)
}
