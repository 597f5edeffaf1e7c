//! Background work. Every job is safe to run on several instances at once.

use std::time::Duration;

use crate::db::{self, Pool};

/// Idempotency records are kept for 24 hours.
pub const IDEMPOTENCY_RETENTION: chrono::TimeDelta = chrono::TimeDelta::hours(24);

/// One housekeeping pass: write down demand expiry (readers already see it) and drop old
/// idempotency records. Both are idempotent bulk updates, harmless when run twice.
pub fn housekeeping(pool: &Pool) -> anyhow::Result<(usize, usize)> {
    let mut conn = pool.get()?;
    let now = db::now();
    let expired = db::demands::expire_due(&mut conn, now.date(), now)?;
    let purged = db::idempotency::purge(&mut conn, now - IDEMPOTENCY_RETENTION)?;
    Ok((expired, purged))
}

/// Spawns the periodic housekeeping on the current actix/tokio runtime.
pub fn spawn_housekeeping(pool: Pool) {
    actix_web::rt::spawn(async move {
        let mut tick = actix_web::rt::time::interval(Duration::from_secs(600));
        loop {
            tick.tick().await;
            let pool = pool.clone();
            match actix_web::rt::task::spawn_blocking(move || housekeeping(&pool)).await {
                Ok(Ok((expired, purged))) if expired + purged > 0 => {
                    tracing::info!(
                        expired_demands = expired,
                        purged_idempotency_keys = purged,
                        "housekeeping"
                    )
                }
                Ok(Ok(_)) => {}
                Ok(Err(e)) => tracing::warn!(error = %e, "housekeeping failed"),
                Err(e) => tracing::warn!(error = %e, "housekeeping panicked"),
            }
        }
    });
}
