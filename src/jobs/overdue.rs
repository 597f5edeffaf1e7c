//! The overdue scan job: announces passed deadlines through the use case
//! (`app::matches::overdue`), safe with several instances scanning.

use crate::app::matches::overdue;
use crate::db::Pool;

pub fn scan(pool: &Pool) -> anyhow::Result<usize> {
    let mut conn = pool.get()?;
    overdue::announce_due(&mut conn).map_err(|e| anyhow::anyhow!("overdue scan: {e}"))
}
