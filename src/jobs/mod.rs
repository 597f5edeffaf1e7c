//! Background work. Every job is safe to run on several instances at once.

pub mod overdue;
pub mod webhooks;

use crate::app::clock;
use std::time::Duration;

use crate::db::{self, Pool};

/// Idempotency records are kept for 24 hours.
pub const IDEMPOTENCY_RETENTION: chrono::TimeDelta = chrono::TimeDelta::hours(24);

/// How often housekeeping runs.
pub const HOUSEKEEPING_PERIOD: Duration = Duration::from_secs(600);

/// Delivered and given-up webhook deliveries are kept this long (their log is readable in
/// `GET /webhooks/{id}/deliveries`), then purged.
pub const OUTBOX_RETENTION: chrono::TimeDelta = chrono::TimeDelta::days(30);

/// One housekeeping pass: write down demand expiry (readers already see it), drop idempotency
/// records past their 24 hours, expired login counters, revoked tokens past their expiry and
/// finished webhook deliveries past `OUTBOX_RETENTION`. Idempotent bulk updates, harmless
/// when run twice. Returns (demands expired, rows purged).
pub fn housekeeping(pool: &Pool) -> anyhow::Result<(usize, usize)> {
    let mut conn = pool.get()?;
    let now = clock::now();
    let expired = db::demands::expire_due(&mut conn, now.date(), now)?;
    let purged = [
        (
            "idempotency",
            db::idempotency::purge(&mut conn, now - IDEMPOTENCY_RETENTION)?,
        ),
        ("throttle", db::throttle::expire(&mut conn, now)?),
        ("revoked_tokens", db::users::purge_revoked(&mut conn, now)?),
        (
            "outbox",
            db::webhooks::purge_finished(&mut conn, now - OUTBOX_RETENTION)?,
        ),
    ];
    for (kind, n) in purged {
        metrics::counter!(crate::telemetry::names::HOUSEKEEPING_PURGED, "kind" => kind)
            .increment(n as u64);
    }
    let total: usize = purged.iter().map(|(_, n)| n).sum();
    if expired + total > 0 {
        tracing::info!(expired_demands = expired, purged = ?purged, "housekeeping");
    }
    Ok((expired, total))
}

/// Folds the report deltas writers appended into the cells (`db::rollups::fold`); nothing to
/// do costs one read, without taking the write lock.
pub fn fold_reports(pool: &Pool) -> anyhow::Result<usize> {
    let mut conn = pool.get()?;
    if !db::rollups::pending(&mut conn)? {
        return Ok(0);
    }
    let started = std::time::Instant::now();
    let folded = conn.write_transaction(|c| db::rollups::fold(c, false))?;
    metrics::histogram!(crate::telemetry::names::ROLLUP_FOLD)
        .record(started.elapsed().as_secs_f64());
    Ok(folded)
}

/// Runs `work` every `period` on the current runtime. A failing job backs off (doubling its
/// wait up to `MAX_BACKOFF`) and says so once per streak of failures, and once when it works
/// again: while the database is away, jobs neither hammer it nor the log. Each run is counted
/// by result and timed; the last success is a gauge, so its lag can be alerted on.
fn every<F, Fut>(job: &'static str, period: Duration, mut work: F)
where
    F: FnMut() -> Fut + 'static,
    Fut: std::future::Future<Output = anyhow::Result<usize>> + 'static,
{
    const MAX_BACKOFF: Duration = Duration::from_secs(30);
    use crate::telemetry::names;
    actix_web::rt::spawn(async move {
        let mut failures: u32 = 0;
        loop {
            let wait = if failures == 0 {
                period
            } else {
                (period * 2u32.saturating_pow(failures.min(16))).min(MAX_BACKOFF.max(period))
            };
            actix_web::rt::time::sleep(wait).await;
            let started = std::time::Instant::now();
            let result = work().await;
            metrics::histogram!(names::JOB_DURATION, "job" => job)
                .record(started.elapsed().as_secs_f64());
            match result {
                Ok(n) => {
                    metrics::counter!(names::JOB_RUNS, "job" => job, "result" => "ok").increment(1);
                    metrics::gauge!(names::JOB_LAST_SUCCESS, "job" => job)
                        .set(chrono::Utc::now().timestamp() as f64);
                    if failures > 0 {
                        tracing::info!(job, after_failures = failures, "background job runs again");
                    }
                    if n > 0 {
                        tracing::debug!(job, items = n, "background job");
                    }
                    failures = 0;
                }
                Err(e) => {
                    metrics::counter!(names::JOB_RUNS, "job" => job, "result" => "error")
                        .increment(1);
                    // No connection in time: the outage is logged once by the pool.
                    let outage = e.downcast_ref::<diesel::r2d2::PoolError>().is_some();
                    if failures == 0 && !outage {
                        tracing::warn!(job, error = %e, "background job failed; backing off until it works again");
                    } else {
                        tracing::debug!(job, error = %e, failures, "background job still failing");
                    }
                    failures = failures.saturating_add(1);
                }
            }
        }
    });
}

/// A blocking job on the blocking pool, its panic an error.
async fn blocking<F>(f: F) -> anyhow::Result<usize>
where
    F: FnOnce() -> anyhow::Result<usize> + Send + 'static,
{
    actix_web::rt::task::spawn_blocking(f)
        .await
        .map_err(|e| anyhow::anyhow!("panicked: {e}"))?
}

/// Spawns report folding (every 200 ms), webhook delivery (every second), the overdue and
/// maturity scan (every minute) and housekeeping (every 10 minutes).
pub fn spawn_workers(pool: Pool, webhook_allow: Vec<ipnet::IpNet>) {
    let p = pool.clone();
    every("fold_reports", Duration::from_millis(200), move || {
        let p = p.clone();
        blocking(move || fold_reports(&p))
    });
    let p = pool.clone();
    every("overdue_scan", Duration::from_secs(60), move || {
        let p = p.clone();
        blocking(move || {
            let n = overdue::scan(&p)?;
            if n > 0 {
                tracing::info!(announced = n, "deadline notices sent");
            }
            Ok(n)
        })
    });
    let p = pool.clone();
    every("housekeeping", HOUSEKEEPING_PERIOD, move || {
        let p = p.clone();
        blocking(move || housekeeping(&p).map(|(expired, purged)| expired + purged))
    });
    match webhooks::Deliverer::standard(webhook_allow) {
        Ok(d) => {
            let d = std::rc::Rc::new(d);
            every("webhook_delivery", Duration::from_secs(1), move || {
                let (p, d) = (pool.clone(), d.clone());
                async move { webhooks::deliver_due(&p, &d).await }
            });
        }
        Err(e) => {
            tracing::error!(error = %e, "webhook delivery disabled: cannot build the HTTP client")
        }
    }
}
