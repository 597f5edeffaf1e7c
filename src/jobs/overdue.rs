//! The overdue scan: a match past `respond_by` (still applied) or `decide_by` (still accepted)
//! emits `match.overdue` once per deadline, even with several instances scanning.

use crate::db::{self, matches as repo, Pool};

pub fn scan(pool: &Pool) -> anyhow::Result<usize> {
    let mut conn = pool.get()?;
    let today = db::now().date();
    let due = repo::overdue_unannounced(&mut conn, today)?;
    let mut sent = 0;
    for (m, deadline) in due {
        let announced = conn.write_transaction(|c| -> diesel::QueryResult<bool> {
            if !repo::mark_overdue_announced(c, m.id, deadline)? {
                return Ok(false);
            }
            let payload = serde_json::json!({
                "match_id": m.id,
                "demand_id": m.demand_id,
                "product_id": m.product_id,
                "state": m.state,
                "deadline": deadline,
                "due": if deadline == "respond_by" { m.respond_by } else { m.decide_by },
            });
            db::webhooks::enqueue(
                c,
                &[m.bank_id, m.enterprise_id],
                "match.overdue",
                &payload,
                db::now(),
            )?;
            Ok(true)
        })?;
        sent += usize::from(announced);
    }
    Ok(sent)
}
