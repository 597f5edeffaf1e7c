//! The storage side of `Idempotency-Key` (SPEC §2; the HTTP protocol is `http::idempotency`):
//! a create stores its key and its answer in its own transaction, through [`Completion`], the
//! [`Receipt`] every idempotent use case ends with.

use crate::app::clock;
use serde::Serialize;

use super::effects::Receipt;
use super::error::{AppError, AppResult, ProblemCode, StatusCode};
use crate::db;
pub use crate::db::idempotency::Stored;

/// What a create hands back: its status and JSON body, recorded with its writes. Only
/// `Completion::record` makes one, so a create cannot forget to store its key.
pub struct Recorded {
    pub status: StatusCode,
    pub body: String,
}

/// The key a create must store in its transaction (nothing without a key).
pub struct Completion(Option<Pending>);

impl Completion {
    /// The request carried no key: nothing to store.
    pub fn without_key() -> Self {
        Completion(None)
    }

    /// The key a first request with `scope`, `key` and request fingerprint `hash` stores.
    pub fn for_key(scope: String, key: String, hash: String) -> Self {
        Completion(Some(Pending { scope, key, hash }))
    }
}

struct Pending {
    scope: String,
    key: String,
    hash: String,
}

impl Completion {
    /// Serializes the answer and, with a key, stores it — call it inside the create's
    /// transaction, as its last write. Another request that stored the key first makes this
    /// fail (the transaction rolls back and `run` replays that request's answer).
    pub fn record<T: Serialize>(
        self,
        conn: &mut db::DbConnection,
        status: StatusCode,
        value: &T,
    ) -> AppResult<Recorded> {
        let body = serde_json::to_string(value).map_err(AppError::internal)?;
        if let Some(p) = &self.0 {
            let stored = db::idempotency::store(
                conn,
                &p.scope,
                &p.key,
                &p.hash,
                i64::from(status.as_u16()),
                &body,
                clock::now(),
            )?;
            if !stored {
                return Err(key_taken());
            }
        }
        Ok(Recorded { status, body })
    }
}

/// Idempotent endpoints are the creates: their answer is stored as `201 Created`.
impl<V: Serialize> Receipt<V> for Completion {
    type Out = Recorded;
    fn record(self, conn: &mut db::DbConnection, value: V) -> AppResult<Recorded> {
        Completion::record(self, conn, StatusCode::CREATED, &value)
    }
}

pub fn key_taken() -> AppError {
    AppError::conflict(
        ProblemCode::IdempotencyKeyInProgress,
        "a request with this Idempotency-Key is still being processed",
    )
}

/// The stored answer for `key` in `scope`, if any.
pub fn find(conn: &mut db::DbConnection, scope: &str, key: &str) -> AppResult<Option<Stored>> {
    Ok(db::idempotency::find(conn, scope, key)?)
}
