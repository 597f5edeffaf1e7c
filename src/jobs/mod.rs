//! Background work. Every job is safe to run on several instances at once.

use std::time::Duration;

use crate::db::{self, Pool};

/// Idempotency records are kept for 24 hours.
pub const IDEMPOTENCY_RETENTION: chrono::TimeDelta = chrono::TimeDelta::hours(24);

/// Spawns the periodic housekeeping on the current actix/tokio runtime.
pub fn spawn_housekeeping(pool: Pool) {
    actix_web::rt::spawn(async move {
        let mut tick = actix_web::rt::time::interval(Duration::from_secs(3600));
        loop {
            tick.tick().await;
            let pool = pool.clone();
            let purged = actix_web::rt::task::spawn_blocking(move || -> anyhow::Result<usize> {
                let mut conn = pool.get()?;
                Ok(db::idempotency::purge(
                    &mut conn,
                    db::now() - IDEMPOTENCY_RETENTION,
                )?)
            })
            .await;
            match purged {
                Ok(Ok(n)) if n > 0 => {
                    tracing::info!(purged = n, "expired idempotency keys removed")
                }
                Ok(Ok(_)) => {}
                Ok(Err(e)) => tracing::warn!(error = %e, "idempotency purge failed"),
                Err(e) => tracing::warn!(error = %e, "idempotency purge panicked"),
            }
        }
    });
}
