//! Webhook delivery: claims due outbox rows (one instance per row, by a conditional update),
//! POSTs them signed, and records the outcome — retrying with exponential backoff up to a
//! limit. A slow or dead endpoint only ever delays its own deliveries, never an API request.

use crate::app::clock;
use std::sync::Arc;
use std::time::Duration;

use chrono::TimeDelta;
use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::db::{webhooks as repo, Pool};
use crate::domain::event::{attempt_outcome, DeliveryEvent};
use crate::domain::network::may_call;

pub struct Deliverer {
    client: reqwest::Client,
    /// Non-public networks that may be called (`FINMATCH_WEBHOOK_ALLOW_NETWORKS`).
    allow: Arc<Vec<ipnet::IpNet>>,
    /// Identifies this instance in the lease columns.
    pub worker_id: String,
    pub max_attempts: i64,
    /// First retry after this long; doubled for every further attempt.
    pub backoff_base: TimeDelta,
    pub batch: i64,
}

impl Deliverer {
    pub fn new(
        timeout: Duration,
        max_attempts: i64,
        backoff_base: TimeDelta,
        allow: Vec<ipnet::IpNet>,
    ) -> anyhow::Result<Self> {
        let allow = Arc::new(allow);
        let client = reqwest::Client::builder()
            .timeout(timeout)
            .connect_timeout(timeout)
            // Redirects could lead anywhere; names resolve only to addresses that may be called.
            .redirect(reqwest::redirect::Policy::none())
            .dns_resolver(Arc::new(GuardedResolver(allow.clone())))
            .user_agent(concat!("finmatch-webhooks/", env!("CARGO_PKG_VERSION")))
            .build()?;
        Ok(Deliverer {
            client,
            allow,
            worker_id: format!("{}-{}", std::process::id(), uuid::Uuid::new_v4().simple()),
            max_attempts,
            backoff_base,
            batch: 20,
        })
    }

    /// Production defaults: 5 s timeout, 8 attempts, 10 s first backoff (then 20 s, 40 s … ~21 min).
    pub fn standard(allow: Vec<ipnet::IpNet>) -> anyhow::Result<Self> {
        Self::new(Duration::from_secs(5), 8, TimeDelta::seconds(10), allow)
    }

    /// An address literal in the URL skips the resolver: check it here.
    fn literal_refused(&self, url: &str) -> bool {
        use std::net::IpAddr;
        match reqwest::Url::parse(url)
            .ok()
            .and_then(|u| u.host().map(|h| h.to_owned()))
        {
            Some(url::Host::Ipv4(ip)) => !may_call(IpAddr::V4(ip), &self.allow),
            Some(url::Host::Ipv6(ip)) => !may_call(IpAddr::V6(ip), &self.allow),
            Some(url::Host::Domain(_)) => false,
            None => true,
        }
    }
}

/// Resolves names for deliveries and drops every address that may not be called, so a name
/// that points at loopback or the metadata service today (DNS rebinding) reaches nothing.
struct GuardedResolver(Arc<Vec<ipnet::IpNet>>);

impl reqwest::dns::Resolve for GuardedResolver {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let allow = self.0.clone();
        Box::pin(async move {
            let found = tokio::net::lookup_host((name.as_str(), 0)).await?;
            let callable: Vec<std::net::SocketAddr> =
                found.filter(|a| may_call(a.ip(), &allow)).collect();
            if callable.is_empty() {
                return Err("the name resolves to no address that may be called".into());
            }
            Ok(Box::new(callable.into_iter()) as reqwest::dns::Addrs)
        })
    }
}

/// `X-Finmatch-Signature`: `t=<unix>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>`.
pub fn signature(secret: &str, timestamp: i64, body: &str) -> String {
    let mut mac =
        Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC takes keys of any length");
    mac.update(format!("{timestamp}.{body}").as_bytes());
    format!(
        "t={timestamp},v1={}",
        hex::encode(mac.finalize().into_bytes())
    )
}

/// Sends every due delivery once; returns how many were attempted.
pub async fn deliver_due(pool: &Pool, d: &Deliverer) -> anyhow::Result<usize> {
    let (p, worker, batch) = (pool.clone(), d.worker_id.clone(), d.batch);
    let claimed = actix_web::rt::task::spawn_blocking(move || -> anyhow::Result<_> {
        let mut conn = p.get()?;
        let now = clock::now();
        Ok(repo::claim_due(
            &mut conn,
            &worker,
            now,
            // Longer than a pass can take (every send times out after `timeout`), short
            // enough that a pass cut off by an outage is retried soon after.
            now + TimeDelta::seconds(30),
            batch,
        )?)
    })
    .await??;
    let n = claimed.len();
    let sends = claimed.into_iter().map(|(delivery, hook)| async move {
        let t = chrono::Utc::now().timestamp();
        if d.literal_refused(&hook.url) {
            return (delivery, false, None, Some("connection failed".to_owned()));
        }
        let result = d
            .client
            .post(&hook.url)
            .header("content-type", "application/json")
            .header("X-Finmatch-Event", &delivery.event)
            .header("X-Finmatch-Delivery", &delivery.delivery_uid)
            .header(
                "X-Finmatch-Signature",
                signature(&hook.secret, t, &delivery.payload),
            )
            .body(delivery.payload.clone())
            .send()
            .await;
        let (ok, code, error) = match result {
            Ok(res) => {
                let code = res.status().as_u16() as i64;
                let ok = res.status().is_success();
                (ok, Some(code), (!ok).then(|| format!("HTTP {code}")))
            }
            Err(e) => (
                false,
                None,
                // Never the socket error: it would tell open ports from closed ones.
                Some(
                    if e.is_timeout() {
                        "timeout"
                    } else {
                        "connection failed"
                    }
                    .to_owned(),
                ),
            ),
        };
        (delivery, ok, code, error)
    });
    let outcomes = futures_util::future::join_all(sends).await;
    let (p, worker, max, base) = (
        pool.clone(),
        d.worker_id.clone(),
        d.max_attempts,
        d.backoff_base,
    );
    actix_web::rt::task::spawn_blocking(move || -> anyhow::Result<()> {
        let mut conn = p.get()?;
        for (delivery, ok, code, error) in outcomes {
            let now = clock::now();
            let attempts = delivery.attempts + 1;
            let outcome = attempt_outcome(ok, attempts, max);
            let next = (outcome == DeliveryEvent::FailedWillRetry)
                .then(|| now + base * 2i32.saturating_pow((attempts - 1) as u32));
            if !ok {
                tracing::warn!(delivery = %delivery.delivery_uid, attempts, error = ?error, "webhook delivery failed");
            }
            let attempt = repo::Attempt { outcome, status_code: code, error: error.as_deref(), next_attempt_at: next };
            repo::record_attempt(&mut conn, delivery.id, &worker, &attempt, now)?;
            let label = match outcome {
                DeliveryEvent::Delivered => "delivered",
                DeliveryEvent::FailedWillRetry => "retry",
                DeliveryEvent::FailedGaveUp => "gave_up",
                DeliveryEvent::SubscriptionDeleted => "dropped",
            };
            metrics::counter!(crate::telemetry::names::WEBHOOK_DELIVERIES, "outcome" => label).increment(1);
        }
        Ok(())
    })
    .await??;
    Ok(n)
}
