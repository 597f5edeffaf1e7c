//! Bounds on what one client can take: a request rate per access token (per client address
//! for calls without a valid token), and a longest handler time. A bank's core system stuck
//! in a retry loop gets 429 with `Retry-After` instead of starving everyone else.
//!
//! The limits are per instance: N instances behind a balancer admit up to N × the rate.

use std::num::NonZeroU32;
use std::time::Duration;

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use actix_web::{web, ResponseError};
use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota};

use crate::app::error::AppError;
use crate::app::AppState;
use crate::telemetry::names;

/// The keyed limiters of one server (shared by its workers).
pub struct RateLimits {
    tokens: Option<DefaultKeyedRateLimiter<uuid::Uuid>>,
    addresses: Option<DefaultKeyedRateLimiter<String>>,
    checks: std::sync::atomic::AtomicU64,
}

/// Every this many checks, keys of clients gone quiet are dropped, so the tables hold only
/// recent clients however many have come and gone.
const FORGET_EVERY: u64 = 4096;

/// `per_minute` requests a minute, in bursts of up to a tenth of that (at least 10).
fn quota(per_minute: u32) -> Option<Quota> {
    let rate = NonZeroU32::new(per_minute)?;
    let burst = NonZeroU32::new((per_minute / 10).max(10)).unwrap_or(rate);
    Some(Quota::per_minute(rate).allow_burst(burst))
}

impl RateLimits {
    /// 0 turns a limit off.
    pub fn new(per_token_per_minute: u32, per_address_per_minute: u32) -> Self {
        RateLimits {
            tokens: quota(per_token_per_minute).map(DefaultKeyedRateLimiter::keyed),
            addresses: quota(per_address_per_minute).map(DefaultKeyedRateLimiter::keyed),
            checks: std::sync::atomic::AtomicU64::new(0),
        }
    }

    /// Forgets keys whose buckets are full again, so the maps hold only recent clients.
    fn forget_idle(&self) {
        if let Some(l) = &self.tokens {
            l.retain_recent();
            l.shrink_to_fit();
        }
        if let Some(l) = &self.addresses {
            l.retain_recent();
            l.shrink_to_fit();
        }
    }
}

/// Middleware on the API: 429 problem+json with `Retry-After` past the caller's rate. A
/// token counts only when its signature verifies (random bearer strings are one address's
/// calls, so they cannot grow the table).
pub async fn rate(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    if !req.path().starts_with("/api/") {
        return Ok(next.call(req).await?.map_into_boxed_body());
    }
    let (Some(limits), Some(state)) = (
        req.app_data::<web::Data<RateLimits>>(),
        req.app_data::<web::Data<AppState>>(),
    ) else {
        return Ok(next.call(req).await?.map_into_boxed_body());
    };
    let token = req
        .headers()
        .get(actix_web::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .and_then(|(_, t)| state.jwt.verify(t.trim()).ok());
    let n = limits
        .checks
        .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    if n % FORGET_EVERY == FORGET_EVERY - 1 {
        limits.forget_idle();
    }
    let refused = match (&token, &limits.tokens, &limits.addresses) {
        (Some(t), Some(l), _) => l.check_key(&t.jti).err().map(|n| ("token", n)),
        (Some(_), None, _) => None,
        (None, _, Some(l)) => {
            let addr = super::extract::client_address(req.request(), &state.trusted_proxies);
            l.check_key(&addr).err().map(|n| ("address", n))
        }
        (None, _, None) => None,
    };
    if let Some((kind, not_until)) = refused {
        metrics::counter!(names::RATE_LIMITED, "kind" => kind).increment(1);
        let wait = not_until.wait_time_from(DefaultClock::default().now());
        let secs = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
        let e = AppError::rate_limited(secs);
        return Ok(req.into_response(e.error_response()));
    }
    Ok(next.call(req).await?.map_into_boxed_body())
}

/// The longest a request may take (`FINMATCH_REQUEST_TIMEOUT_MS`).
#[derive(Clone, Copy)]
pub struct RequestTimeout(pub Duration);

/// Middleware: the request's deadline, which every piece of database work it waits for
/// (`app::run`) respects — past it the request answers 503 problem+json with `Retry-After`.
pub async fn deadline(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let Some(limit) = req.app_data::<web::Data<RequestTimeout>>().map(|t| t.0) else {
        return Ok(next.call(req).await?.map_into_boxed_body());
    };
    let budget = crate::app::RequestBudget {
        deadline: std::time::Instant::now() + limit,
        waited: std::cell::Cell::new(Duration::ZERO),
    };
    crate::app::BUDGET
        .scope(budget, async move {
            Ok(next.call(req).await?.map_into_boxed_body())
        })
        .await
}
