//! The deadline scan job: announces passed match deadlines (`app::matches::overdue`), loans
//! nearing maturity (`app::loans::announce_maturing`) and bridges out past their due date
//! (`app::bridges::announce_overdue`), safe with several instances scanning.

use crate::app::matches::overdue;
use crate::app::{bridges, loans};
use crate::db::Pool;

/// One pass; returns how many notices were sent.
pub fn scan(pool: &Pool) -> anyhow::Result<usize> {
    let mut conn = pool.get()?;
    let matches =
        overdue::announce_due(&mut conn).map_err(|e| anyhow::anyhow!("overdue scan: {e}"))?;
    let maturing =
        loans::announce_maturing(&mut conn).map_err(|e| anyhow::anyhow!("maturity scan: {e}"))?;
    let bridges =
        bridges::announce_overdue(&mut conn).map_err(|e| anyhow::anyhow!("bridge scan: {e}"))?;
    Ok(matches + maturing + bridges)
}
