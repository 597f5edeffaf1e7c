//! Webhook subscriptions (SPEC §3.10). Deliveries are written to an outbox in the same
//! transaction as the change and sent by `jobs::webhooks`.

use crate::http::extract::NoBody;
use actix_web::http::StatusCode;
use actix_web::{delete, get, post, web, HttpRequest, HttpResponse};
use rand::RngCore;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::auth::Auth;
use super::extract::JsonBody;
use super::pagination::{page, Page, PageQuery};
use super::{idempotency, with_conn};
use crate::app::error::{AppError, AppResult, ProblemCode, Validator};
use crate::app::AppState;
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

fn view(w: WebhookRow, secret: Option<String>) -> AppResult<WebhookView> {
    Ok(WebhookView {
        id: w.id,
        organization_id: w.org_id,
        url: w.url,
        events: db::from_json_text(&w.events)?,
        secret,
        created_at: rfc3339(w.created_at),
    })
}

fn delivery_view(d: DeliveryRow) -> DeliveryView {
    DeliveryView {
        id: d.id,
        delivery_id: d.delivery_uid,
        event: d.event,
        status: d.status,
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
fn owner(auth: &Auth) -> Option<i64> {
    (!auth.is_admin()).then_some(auth.org_id)
}

fn find(conn: &mut DbConnection, auth: &Auth, id: i64) -> AppResult<WebhookRow> {
    repo::find(conn, id, owner(auth))?.ok_or_else(|| AppError::not_found("webhook"))
}

/// Subscribe to events (bank, enterprise, guarantor). The answer carries the signing secret once.
#[utoipa::path(
    tag = "webhooks",
    request_body = CreateWebhook,
    params(("Idempotency-Key" = Option<String>, Header, description = "Makes retries safe")),
    responses((status = 201, description = "The subscription with its secret", body = WebhookView))
)]
#[post("/webhooks")]
pub async fn create_webhook(
    state: web::Data<AppState>,
    req: HttpRequest,
    auth: Auth,
    body: JsonBody<CreateWebhook>,
) -> AppResult<HttpResponse> {
    auth.require(&SUBSCRIBERS)?;
    let b = body.value;
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
    let st = state.clone();
    idempotency::run(
        &st,
        &req,
        auth.idempotency_scope(),
        &body.raw,
        |done| async move {
            let mut bytes = [0u8; 32];
            rand::rngs::OsRng.fill_bytes(&mut bytes);
            let secret = format!("whsec_{}", hex::encode(bytes));
            with_conn(&state, move |conn| {
                conn.write_transaction(|conn| {
                    let row = repo::insert(
                        conn,
                        auth.org_id,
                        &b.url,
                        &db::to_json_text(&events),
                        &secret,
                        db::now(),
                    )?;
                    done.record(conn, StatusCode::CREATED, &view(row, Some(secret))?)
                })
            })
            .await
        },
    )
    .await
}

/// The caller's subscriptions (admin: all).
#[utoipa::path(
    tag = "webhooks",
    params(PageQuery),
    responses((status = 200, description = "A page of subscriptions", body = Page<WebhookView>))
)]
#[get("/webhooks")]
pub async fn list_webhooks(
    state: web::Data<AppState>,
    auth: Auth,
    query: web::Query<PageQuery>,
) -> AppResult<HttpResponse> {
    let cursor = query.cursor()?;
    let rows = with_conn(&state, move |conn| {
        Ok(repo::list(
            conn,
            owner(&auth),
            cursor.after_id,
            cursor.limit,
        )?)
    })
    .await?;
    let views = rows
        .into_iter()
        .map(|w| view(w, None))
        .collect::<AppResult<Vec<_>>>()?;
    Ok(HttpResponse::Ok().json(page(views, cursor, |w| w.id, |w| w)))
}

/// Delete a subscription; its pending deliveries are dropped, its log is kept.
#[utoipa::path(
    tag = "webhooks",
    params(("id" = i64, Path, description = "Webhook id")),
    responses((status = 204, description = "Deleted"))
)]
#[delete("/webhooks/{id}")]
pub async fn delete_webhook(
    state: web::Data<AppState>,
    auth: Auth,
    path: web::Path<i64>,
    _: NoBody,
) -> AppResult<HttpResponse> {
    let id = path.into_inner();
    with_conn(&state, move |conn| {
        conn.write_transaction(|conn| {
            find(conn, &auth, id)?;
            Ok(repo::deactivate(conn, id)?)
        })
    })
    .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// The delivery log of a subscription.
#[utoipa::path(
    tag = "webhooks",
    params(("id" = i64, Path, description = "Webhook id"), PageQuery),
    responses((status = 200, description = "A page of deliveries", body = Page<DeliveryView>))
)]
#[get("/webhooks/{id}/deliveries")]
pub async fn list_deliveries(
    state: web::Data<AppState>,
    auth: Auth,
    path: web::Path<i64>,
    query: web::Query<PageQuery>,
) -> AppResult<HttpResponse> {
    let id = path.into_inner();
    let cursor = query.cursor()?;
    let rows = with_conn(&state, move |conn| {
        find(conn, &auth, id)?;
        Ok(repo::deliveries(conn, id, cursor.after_id, cursor.limit)?)
    })
    .await?;
    Ok(HttpResponse::Ok().json(page(rows, cursor, |d| d.id, delivery_view)))
}
