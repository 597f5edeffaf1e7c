//! Persistence: one diesel codebase over SQLite and PostgreSQL.

pub mod announce;
pub mod availability;
pub mod backup;
pub mod bridges;
pub mod calendar;
pub mod catalog;
pub(crate) mod conn;
pub mod demands;
pub mod enterprises;
pub mod idempotency;
pub mod loans;
pub mod matches;
pub mod migrations;
pub mod orgs;
pub mod products;
pub mod renewals;
pub mod risk;
pub mod rollups;
pub mod schema;
pub mod stats;
pub mod subsidies;
pub mod throttle;
pub mod types;
pub mod users;
pub mod watch;
pub mod webhooks;

pub use conn::{Backend, DatabaseUrl, DbConnection, DbManager};

/// Rows whose nullable `region_prefix` column overlaps region prefix `$p`: the whole country
/// (NULL), a region containing it, or a region inside it — what concerns an office of `$p`.
macro_rules! overlapping_region {
    ($col:expr, $p:expr) => {
        $col.is_null()
            .or($col.eq_any($crate::domain::region::enclosing_prefixes($p)))
            .or($col.like(format!("{}%", $p)))
    };
}
pub(crate) use overlapping_region;
pub use types::JsonText;

use std::time::Duration;

pub type Pool = diesel::r2d2::Pool<DbManager>;
pub type PooledConn = diesel::r2d2::PooledConnection<DbManager>;

/// A pool of `max_size` connections; a checkout waits at most `timeout` (then the request
/// answers 503 with `Retry-After`), and so does a new PostgreSQL connection. Outages are
/// logged once each way (`availability`).
pub fn build_pool(url: &DatabaseUrl, max_size: u32, timeout: Duration) -> anyhow::Result<Pool> {
    let size = match url.backend() {
        // SQLite has one writer at a time; a few connections serve the readers beside it.
        Backend::Sqlite => max_size.clamp(1, 8),
        Backend::Postgres => max_size.max(1),
    };
    if url.backend() == Backend::Sqlite {
        // One connection alone first puts a new file in WAL mode, before the pool opens
        // several at once (two switching it together fail with "database is locked").
        drop(DbConnection::open(url)?);
    }
    let watch = availability::Watch(std::sync::Arc::default());
    let pool = diesel::r2d2::Pool::builder()
        .max_size(size)
        .min_idle(Some(1))
        .connection_timeout(timeout)
        .error_handler(Box::new(watch.clone()))
        .event_handler(Box::new(watch))
        .build_unchecked(DbManager::new(url.clone(), timeout));
    // The first connection, made now: a database that is not there at start is an error
    // the operator sees at once (later outages are answered with 503 and waited out).
    drop(pool.get_timeout(timeout.max(Duration::from_secs(10)))?);
    Ok(pool)
}

/// Lists and small documents are stored as JSON text (MultiConnection has no JSON type).
/// An insert that a unique index may refuse: `Ok(None)` when it did (someone else holds the
/// "at most one" slot), other errors as they are.
pub fn unless_duplicate<T>(r: diesel::QueryResult<T>) -> diesel::QueryResult<Option<T>> {
    match r {
        Ok(row) => Ok(Some(row)),
        Err(diesel::result::Error::DatabaseError(
            diesel::result::DatabaseErrorKind::UniqueViolation,
            _,
        )) => Ok(None),
        Err(e) => Err(e),
    }
}

pub fn to_json_text<T: serde::Serialize>(value: &T) -> String {
    serde_json::to_string(value).unwrap_or_else(|_| "null".to_owned())
}
