//! The operator's view: request counts and latency per route template, recorded by a
//! middleware on the API; `GET /metrics` in Prometheus text on its own listener
//! (`FINMATCH_METRICS_LISTEN`), never the API's.

use std::time::Instant;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use actix_web::{web, HttpResponse};

use crate::app::AppState;
use crate::telemetry::names;

/// Middleware: one count and one latency sample per request, labelled by the route template
/// (`/api/v1/matches/{id}/accept`), so ids never become label values.
pub async fn record(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let started = Instant::now();
    let method = req.method().as_str().to_owned();
    let res = next.call(req).await?;
    let route = res
        .request()
        .match_pattern()
        .unwrap_or_else(|| "unmatched".to_owned());
    let status = res.status().as_u16().to_string();
    metrics::counter!(names::HTTP_REQUESTS, "method" => method.clone(), "route" => route.clone(), "status" => status)
        .increment(1);
    metrics::histogram!(names::HTTP_DURATION, "method" => method, "route" => route)
        .record(started.elapsed().as_secs_f64());
    Ok(res)
}

/// `GET /metrics`: gauges read now (cache, pool, the webhook outbox), then everything rendered.
pub async fn scrape(state: web::Data<AppState>) -> HttpResponse {
    let Some(handle) = crate::telemetry::metrics() else {
        return HttpResponse::ServiceUnavailable().body("metrics recorder unavailable\n");
    };
    let cache = &state.matching;
    metrics::gauge!(names::CACHE_BYTES).set(cache.result_bytes() as f64);
    metrics::gauge!(names::CACHE_ENTRIES).set(cache.result_entries() as f64);
    metrics::gauge!(names::CACHE_LIMIT_BYTES).set(cache.result_limit() as f64);
    let pool = state.pool.state();
    metrics::gauge!(names::DB_POOL_CONNECTIONS).set(f64::from(pool.connections));
    metrics::gauge!(names::DB_POOL_IDLE).set(f64::from(pool.idle_connections));
    metrics::gauge!(names::DB_POOL_MAX).set(f64::from(state.pool.max_size()));
    metrics::gauge!(names::DB_POOL_IN_USE).set(f64::from(
        pool.connections.saturating_sub(pool.idle_connections),
    ));
    // The outbox, if the database answers quickly (a scrape must not hang in an outage).
    if let Ok(Ok((pending, oldest_age))) = crate::app::health::outbox_backlog(&state).await {
        metrics::gauge!(names::OUTBOX_PENDING).set(pending as f64);
        metrics::gauge!(names::OUTBOX_OLDEST_AGE).set(oldest_age.unwrap_or(0.0));
    }
    HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4; charset=utf-8")
        .body(handle.render())
}
