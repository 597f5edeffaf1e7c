//! Storage of `Idempotency-Key` records (see `http::idempotency` for the protocol).

use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel::result::{DatabaseErrorKind, Error};

use super::schema::idempotency_keys as ik;
use super::DbConnection;

/// A key used before: its request's fingerprint and stored answer.
pub struct Stored {
    pub request_hash: String,
    /// None only for keys an earlier version claimed and never completed.
    pub response: Option<(i64, String)>,
}

pub fn find(conn: &mut DbConnection, scope: &str, key: &str) -> QueryResult<Option<Stored>> {
    let row: Option<(String, Option<i64>, Option<String>)> = ik::table
        .find((scope, key))
        .select((ik::request_hash, ik::status_code, ik::response_body))
        .first(conn)
        .optional()?;
    Ok(row.map(|(request_hash, status, body)| Stored {
        request_hash,
        response: status.zip(body),
    }))
}

/// Stores a key with its answer; false when the key is taken (another request stored it).
/// On PostgreSQL a concurrent insert of the same key waits for the other transaction.
pub fn store(
    conn: &mut DbConnection,
    scope: &str,
    key: &str,
    hash: &str,
    status: i64,
    body: &str,
    now: NaiveDateTime,
) -> QueryResult<bool> {
    let inserted = diesel::insert_into(ik::table)
        .values((
            ik::scope.eq(scope),
            ik::idem_key.eq(key),
            ik::request_hash.eq(hash),
            ik::status_code.eq(Some(status)),
            ik::response_body.eq(Some(body)),
            ik::created_at.eq(now),
        ))
        .execute(conn);
    match inserted {
        Ok(_) => Ok(true),
        Err(Error::DatabaseError(DatabaseErrorKind::UniqueViolation, _)) => Ok(false),
        Err(e) => Err(e),
    }
}

/// Drops records older than `before` (kept 24 hours).
pub fn purge(conn: &mut DbConnection, before: NaiveDateTime) -> QueryResult<usize> {
    diesel::delete(ik::table.filter(ik::created_at.lt(before))).execute(conn)
}
