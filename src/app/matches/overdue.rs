//! The overdue scan, run by `jobs::overdue` on every instance: a match past `respond_by`
//! (still applied) or `decide_by` (still accepted) is announced as `match.overdue` once per
//! deadline. Marking the deadline announced is a conditional update, so of several instances
//! scanning at once exactly one sends the notice.

use crate::app::clock;
use serde_json::json;

use crate::app::effects::{Effects, Keep};
use crate::app::error::AppResult;
use crate::db::matches as repo;
use crate::db::DbConnection;

/// Announces every deadline that has passed and not been announced; returns how many.
#[tracing::instrument(skip_all)]
pub fn announce_due(conn: &mut DbConnection) -> AppResult<usize> {
    let today = clock::now().date();
    let mut sent = 0;
    for (m, deadline) in repo::overdue_unannounced(conn, today)? {
        let announced = conn.write_transaction(|conn| {
            if !repo::mark_overdue_announced(conn, m.id, deadline)? {
                return Ok(false);
            }
            let due = if deadline == "respond_by" {
                m.respond_by
            } else {
                m.decide_by
            };
            let mut fx = Effects::system();
            let payload = json!({
                "match_id": m.id,
                "demand_id": m.demand_id,
                "product_id": m.product_id,
                "state": m.state,
                "deadline": deadline,
                "due": due,
            });
            fx.notify(&[m.bank_id, m.enterprise_id], "match.overdue", &payload)?;
            fx.commit(conn, Keep, |_| Ok(true))
        })?;
        sent += usize::from(announced);
    }
    Ok(sent)
}
