//! Background work. Every job is safe to run on several instances at once.

pub mod overdue;
pub mod webhooks;

use crate::app::clock;
use std::time::Duration;

use crate::db::{self, Pool};

/// Idempotency records are kept for 24 hours.
pub const IDEMPOTENCY_RETENTION: chrono::TimeDelta = chrono::TimeDelta::hours(24);

/// One housekeeping pass: write down demand expiry (readers already see it), drop old
/// idempotency records and login counts nobody needs any more. Idempotent bulk updates,
/// harmless when run twice. Returns (demands expired, rows purged).
pub fn housekeeping(pool: &Pool) -> anyhow::Result<(usize, usize)> {
    let mut conn = pool.get()?;
    let now = clock::now();
    let expired = db::demands::expire_due(&mut conn, now.date(), now)?;
    let purged = db::idempotency::purge(&mut conn, now - IDEMPOTENCY_RETENTION)?
        + db::throttle::expire(&mut conn, now)?
        + db::users::purge_revoked(&mut conn, now)?;
    Ok((expired, purged))
}

/// Folds the report deltas writers appended into the cells (`db::rollups::fold`); nothing to
/// do costs one read, without taking the write lock.
pub fn fold_reports(pool: &Pool) -> anyhow::Result<usize> {
    let mut conn = pool.get()?;
    if !db::rollups::pending(&mut conn)? {
        return Ok(0);
    }
    Ok(conn.write_transaction(|c| db::rollups::fold(c, false))?)
}

/// Spawns report folding (every 200 ms), webhook delivery (every second) and the overdue scan
/// (every minute).
pub fn spawn_workers(pool: Pool, webhook_allow: Vec<ipnet::IpNet>) {
    let deliverer = match webhooks::Deliverer::standard(webhook_allow) {
        Ok(d) => d,
        Err(e) => {
            tracing::error!(error = %e, "webhook delivery disabled: cannot build the HTTP client");
            return;
        }
    };
    let p = pool.clone();
    actix_web::rt::spawn(async move {
        let mut tick = actix_web::rt::time::interval(Duration::from_millis(200));
        loop {
            tick.tick().await;
            let p = p.clone();
            match actix_web::rt::task::spawn_blocking(move || fold_reports(&p)).await {
                Ok(Ok(_)) => {}
                Ok(Err(e)) => tracing::warn!(error = %e, "folding report deltas failed"),
                Err(e) => tracing::warn!(error = %e, "folding report deltas panicked"),
            }
        }
    });
    let p = pool.clone();
    actix_web::rt::spawn(async move {
        let mut tick = actix_web::rt::time::interval(Duration::from_secs(1));
        loop {
            tick.tick().await;
            if let Err(e) = webhooks::deliver_due(&p, &deliverer).await {
                tracing::warn!(error = %e, "webhook delivery pass failed");
            }
        }
    });
    actix_web::rt::spawn(async move {
        let mut tick = actix_web::rt::time::interval(Duration::from_secs(60));
        loop {
            tick.tick().await;
            let p = pool.clone();
            match actix_web::rt::task::spawn_blocking(move || overdue::scan(&p)).await {
                Ok(Ok(n)) if n > 0 => tracing::info!(announced = n, "deadline notices sent"),
                Ok(Ok(_)) => {}
                Ok(Err(e)) => tracing::warn!(error = %e, "overdue scan failed"),
                Err(e) => tracing::warn!(error = %e, "overdue scan panicked"),
            }
        }
    });
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
                        purged_rows = purged,
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
