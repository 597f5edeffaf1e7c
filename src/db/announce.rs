//! Telling readers of the change counters that a transaction moved them: the counter bumps
//! (`db::catalog`) mark the running transaction, and after its outermost commit
//! (`DbConnection::write_transaction`) this instance's stamp moves and, on PostgreSQL, every
//! other instance is notified. `db::watch` is the reading side.

use std::cell::Cell;

use diesel::connection::SimpleConnection;

use super::DbConnection;

/// The channel the instances on one schema listen on, as SQL: one per schema, so deployments
/// (or test databases) sharing a PostgreSQL database do not wake each other.
pub const CHANNEL: &str = "'finmatch_' || md5(current_schema())";

thread_local! {
    /// Set by a counter bump; read after the outermost commit on this thread.
    static PENDING: Cell<bool> = const { Cell::new(false) };
}

/// A counter was bumped in the current transaction (the bumps in `db::catalog` call this).
pub(crate) fn changed() {
    PENDING.with(|p| p.set(true));
}

/// An outermost transaction begins or rolls back: nothing to announce from it.
pub(crate) fn forget() {
    PENDING.with(|p| p.set(false));
}

/// After an outermost commit: if it moved a counter, on PostgreSQL every instance (this one
/// included) is told before the caller answers, so the next request's flush counts it
/// (SQLite's `data_version` moves by itself). A failed notification is logged and left to the
/// listener's once-a-second re-read.
pub(crate) fn announce(conn: &mut DbConnection) {
    if !PENDING.with(|p| p.replace(false)) {
        return;
    }
    if let DbConnection::Postgres(c) = conn {
        let sql = format!(
            "BEGIN; SET LOCAL synchronous_commit = off; SELECT pg_notify({CHANNEL}, ''); COMMIT"
        );
        if let Err(e) = c.batch_execute(&sql) {
            tracing::warn!(error = %e, "could not announce a change to other instances");
            let _ = c.batch_execute("ROLLBACK");
        }
    }
}
