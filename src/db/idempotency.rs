//! Storage of `Idempotency-Key` records (see `http::idempotency` for the protocol).

use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel::result::{DatabaseErrorKind, Error};

use super::schema::idempotency_keys as ik;
use super::DbConnection;

pub enum Claim {
    /// The key is new: this request owns it now.
    Acquired,
    /// The key was used before: its fingerprint and, once finished, the stored response.
    Existing {
        request_hash: String,
        response: Option<(i64, String)>,
    },
}

pub fn claim(
    conn: &mut DbConnection,
    scope: &str,
    key: &str,
    hash: &str,
    now: NaiveDateTime,
) -> QueryResult<Claim> {
    let inserted = diesel::insert_into(ik::table)
        .values((
            ik::scope.eq(scope),
            ik::idem_key.eq(key),
            ik::request_hash.eq(hash),
            ik::created_at.eq(now),
        ))
        .execute(conn);
    match inserted {
        Ok(_) => Ok(Claim::Acquired),
        Err(Error::DatabaseError(DatabaseErrorKind::UniqueViolation, _)) => {
            let (request_hash, status, body): (String, Option<i64>, Option<String>) = ik::table
                .find((scope, key))
                .select((ik::request_hash, ik::status_code, ik::response_body))
                .first(conn)?;
            Ok(Claim::Existing {
                request_hash,
                response: status.zip(body),
            })
        }
        Err(e) => Err(e),
    }
}

pub fn complete(
    conn: &mut DbConnection,
    scope: &str,
    key: &str,
    status: i64,
    body: &str,
) -> QueryResult<()> {
    diesel::update(ik::table.find((scope, key)))
        .set((
            ik::status_code.eq(Some(status)),
            ik::response_body.eq(Some(body)),
        ))
        .execute(conn)?;
    Ok(())
}

/// Forget a key whose request failed, so the client may retry it.
pub fn release(conn: &mut DbConnection, scope: &str, key: &str) -> QueryResult<()> {
    diesel::delete(ik::table.find((scope, key))).execute(conn)?;
    Ok(())
}

/// Drops records older than `before` (kept 24 hours).
pub fn purge(conn: &mut DbConnection, before: NaiveDateTime) -> QueryResult<usize> {
    diesel::delete(ik::table.filter(ik::created_at.lt(before))).execute(conn)
}
