//! Webhook subscriptions (SPEC §3.10). Deliveries are written to the outbox by each write's
//! `Effects` and sent by `jobs::webhooks`; the delivery states are `domain::event`.

use crate::app::clock;
use rand::RngCore;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::caller::Caller;
use super::effects::Receipt;
use super::error::{AppError, AppResult, ProblemCode, Validator};
use super::{run, AppState};
use crate::db::webhooks::{self as repo, DeliveryRow, WebhookRow};
use crate::db::{self, DbConnection};
use crate::domain::date::rfc3339;
use crate::domain::event::{DeliveryStatus, WebhookEvent};
use crate::domain::org::Role;

/// Whether a webhook URL may be called: an address literal (any form the URL standard
/// reads: `2130706433` is 127.0.0.1) must be allowed; `localhost` never is unless loopback
/// is allowed; a name is resolved and every address it has must be allowed. A name that does
/// not resolve now is accepted — delivery checks the resolved address again (DNS rebinding).
async fn target_allowed(u: &reqwest::Url, allow: &[ipnet::IpNet]) -> bool {
    use crate::domain::network::may_call;
    use std::net::{IpAddr, Ipv4Addr};
    match u.host() {
        Some(url::Host::Ipv4(ip)) => may_call(IpAddr::V4(ip), allow),
        Some(url::Host::Ipv6(ip)) => may_call(IpAddr::V6(ip), allow),
        Some(url::Host::Domain(name)) => {
            let name = name.trim_end_matches('.').to_ascii_lowercase();
            if name == "localhost" || name.ends_with(".localhost") {
                return may_call(IpAddr::V4(Ipv4Addr::LOCALHOST), allow);
            }
            let port = u.port_or_known_default().unwrap_or(443);
            let lookup = tokio::net::lookup_host(format!("{name}:{port}"));
            match tokio::time::timeout(std::time::Duration::from_secs(2), lookup).await {
                Ok(Ok(addrs)) => addrs.into_iter().all(|a| may_call(a.ip(), allow)),
                _ => true,
            }
        }
        None => false,
    }
}

#[derive(Debug, Deserialize, Serialize, ToSchema)]
pub struct CreateWebhook {
    /// http(s) URL that receives POSTed events.
    #[schema(example = "https://bank.example/finmatch/events")]
    pub url: String,
    #[schema(value_type = Vec<WebhookEvent>, example = json!(["match.created", "loan.disbursed"]))]
    pub events: Vec<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct WebhookView {
    pub id: i64,
    pub organization_id: i64,
    pub url: String,
    #[schema(value_type = Vec<WebhookEvent>)]
    pub events: Vec<String>,
    /// The signing secret, returned only when the subscription is created.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub secret: Option<String>,
    #[schema(format = DateTime)]
    pub created_at: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DeliveryView {
    pub id: i64,
    /// The `X-Finmatch-Delivery` header value.
    pub delivery_id: String,
    #[schema(value_type = WebhookEvent)]
    pub event: String,
    #[schema(value_type = DeliveryStatus)]
    pub status: String,
    pub attempts: i64,
    #[schema(format = DateTime)]
    pub next_attempt_at: String,
    pub last_status_code: Option<i64>,
    pub last_error: Option<String>,
    #[schema(format = DateTime)]
    pub created_at: String,
    #[schema(format = DateTime)]
    pub delivered_at: Option<String>,
}

pub fn view(w: WebhookRow, secret: Option<String>) -> AppResult<WebhookView> {
    Ok(WebhookView {
        id: w.id,
        organization_id: w.org_id,
        url: w.url,
        events: w.events.0,
        secret,
        created_at: rfc3339(w.created_at),
    })
}

pub fn delivery_view(d: DeliveryRow) -> DeliveryView {
    DeliveryView {
        id: d.id,
        delivery_id: d.delivery_uid,
        event: d.event,
        status: d.status.as_str().to_owned(),
        attempts: d.attempts,
        next_attempt_at: rfc3339(d.next_attempt_at),
        last_status_code: d.last_status_code,
        last_error: d.last_error,
        created_at: rfc3339(d.created_at),
        delivered_at: d.delivered_at.map(rfc3339),
    }
}

const SUBSCRIBERS: [Role; 3] = [Role::Bank, Role::Enterprise, Role::Guarantor];

/// Owner filter: admins see every subscription, others their organization's.
fn owner(auth: &Caller) -> Option<i64> {
    (!auth.is_admin()).then_some(auth.org_id)
}

fn find(conn: &mut DbConnection, auth: &Caller, id: i64) -> AppResult<WebhookRow> {
    repo::find(conn, id, owner(auth))?.ok_or_else(|| AppError::not_found("webhook"))
}

/// Subscribes the caller's organization to events (bank, enterprise, guarantor). The URL is
/// checked against the networks webhooks may call; the answer carries the signing secret once.
#[tracing::instrument(skip_all, fields(org = auth.org_id))]
pub async fn create<R>(
    state: &AppState,
    auth: Caller,
    b: CreateWebhook,
    receipt: R,
) -> AppResult<R::Out>
where
    R: Receipt<WebhookView> + Send + 'static,
    R::Out: Send + 'static,
{
    auth.require(&SUBSCRIBERS)?;
    let mut v = Validator::default();
    match reqwest::Url::parse(&b.url) {
        Ok(u) => {
            if !matches!(u.scheme(), "http" | "https")
                || !u.username().is_empty()
                || u.password().is_some()
            {
                return Err(AppError::invalid_field(
                    ProblemCode::WebhookUrlNotAllowed,
                    "url",
                    "must be an http or https URL without credentials",
                ));
            }
            v.check(u.host().is_some(), "url", "must name a host");
            if !target_allowed(&u, &state.webhook_allow).await {
                return Err(AppError::invalid_field(
                    ProblemCode::WebhookUrlNotAllowed,
                    "url",
                    "must point at a public address (loopback, private, link-local and \
                     metadata addresses are refused)",
                ));
            }
        }
        Err(_) => v.push("url", "must be an absolute http or https URL"),
    }
    v.check(
        b.url.len() <= 2000,
        "url",
        "must be at most 2000 characters",
    );
    v.check(
        !b.events.is_empty(),
        "events",
        "must name at least one event",
    );
    for (i, e) in b.events.iter().enumerate() {
        v.check(
            WebhookEvent::parse(e).is_some(),
            &format!("events[{i}]"),
            format!(
                "unknown event; one of {}",
                WebhookEvent::ALL
                    .iter()
                    .map(|e| e.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        );
    }
    v.finish()?;
    let mut events = b.events.clone();
    events.sort();
    events.dedup();
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    let secret = format!("whsec_{}", hex::encode(bytes));
    run(state, move |conn| {
        conn.write_transaction(|conn| {
            let row = repo::insert(
                conn,
                auth.org_id,
                &b.url,
                &db::to_json_text(&events),
                &secret,
                clock::now(),
            )?;
            receipt.record(conn, view(row, Some(secret))?)
        })
    })
    .await
}

/// The caller's subscriptions (admin: all).
pub fn list(
    conn: &mut DbConnection,
    auth: &Caller,
    after_id: Option<i64>,
    limit: i64,
) -> AppResult<Vec<WebhookView>> {
    repo::list(conn, owner(auth), after_id, limit)?
        .into_iter()
        .map(|w| view(w, None))
        .collect()
}

/// Deletes a subscription; its pending deliveries are dropped, its log is kept.
#[tracing::instrument(skip(conn, auth), fields(org = auth.org_id))]
pub fn delete(conn: &mut DbConnection, auth: &Caller, id: i64) -> AppResult<()> {
    conn.write_transaction(|conn| {
        find(conn, auth, id)?;
        repo::deactivate(conn, id)?;
        Ok(())
    })
}

/// The delivery log of a subscription.
pub fn deliveries(
    conn: &mut DbConnection,
    auth: &Caller,
    id: i64,
    after_id: Option<i64>,
    limit: i64,
) -> AppResult<Vec<DeliveryView>> {
    find(conn, auth, id)?;
    Ok(repo::deliveries(conn, id, after_id, limit)?
        .into_iter()
        .map(delivery_view)
        .collect())
}
