//! Webhook subscriptions and the delivery outbox.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::schema::{webhook_deliveries as wd, webhooks};
use super::types::JsonText;
use super::DbConnection;
use crate::domain::event::{DeliveryEvent, DeliveryStatus};

/// Where a pending delivery goes on `event` (every event moves a pending one; see the table
/// test in `domain::event`).
fn after_pending(event: DeliveryEvent) -> DeliveryStatus {
    DeliveryStatus::Pending
        .after(event)
        .unwrap_or(DeliveryStatus::Failed)
}

#[derive(Clone, Debug, Queryable, Selectable)]
#[diesel(table_name = webhooks)]
pub struct WebhookRow {
    pub id: i64,
    pub org_id: i64,
    pub url: String,
    pub events: JsonText<Vec<String>>,
    pub secret: String,
    pub active: bool,
    pub created_at: NaiveDateTime,
}

pub fn insert(
    conn: &mut DbConnection,
    org_id: i64,
    url: &str,
    events: &str,
    secret: &str,
    now: NaiveDateTime,
) -> QueryResult<WebhookRow> {
    crate::on_backend!(conn, c => diesel::insert_into(webhooks::table)
        .values((
            webhooks::org_id.eq(org_id),
            webhooks::url.eq(url),
            webhooks::events.eq(events),
            webhooks::secret.eq(secret),
            webhooks::active.eq(true),
            webhooks::created_at.eq(now),
        ))
        .returning(WebhookRow::as_returning())
        .get_result(c))
}

/// Active subscriptions of `org_id` (admin: `None` = all).
pub fn list(
    conn: &mut DbConnection,
    org_id: Option<i64>,
    after_id: Option<i64>,
    limit: i64,
) -> QueryResult<Vec<WebhookRow>> {
    let mut q = webhooks::table
        .filter(webhooks::active.eq(true))
        .select(WebhookRow::as_select())
        .into_boxed();
    if let Some(o) = org_id {
        q = q.filter(webhooks::org_id.eq(o));
    }
    if let Some(a) = after_id {
        q = q.filter(webhooks::id.gt(a));
    }
    q.order(webhooks::id.asc()).limit(limit + 1).load(conn)
}

pub fn find(
    conn: &mut DbConnection,
    id: i64,
    org_id: Option<i64>,
) -> QueryResult<Option<WebhookRow>> {
    let mut q = webhooks::table
        .filter(webhooks::id.eq(id))
        .filter(webhooks::active.eq(true))
        .select(WebhookRow::as_select())
        .into_boxed();
    if let Some(o) = org_id {
        q = q.filter(webhooks::org_id.eq(o));
    }
    q.first(conn).optional()
}

/// Deactivates a subscription (its delivery log stays); pending deliveries are dropped.
pub fn deactivate(conn: &mut DbConnection, id: i64) -> QueryResult<()> {
    diesel::update(webhooks::table.find(id))
        .set(webhooks::active.eq(false))
        .execute(conn)?;
    diesel::update(
        wd::table
            .filter(wd::webhook_id.eq(id))
            .filter(wd::status.eq("pending")),
    )
    .set((
        wd::status.eq(after_pending(DeliveryEvent::SubscriptionDeleted).as_str()),
        wd::last_error.eq(Some("subscription deleted")),
    ))
    .execute(conn)?;
    Ok(())
}

/// Does any active subscription ask for `event`? (Skips work nobody would receive.)
pub fn any_subscribed(conn: &mut DbConnection, event: &str) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(
        webhooks::table
            .filter(webhooks::active.eq(true))
            .filter(webhooks::events.like(format!("%\"{event}\"%"))),
    ))
    .get_result(conn)
}

/// Writes one delivery per active subscription of `org_ids` to `event` — the outbox, in the
/// caller's transaction.
pub fn enqueue(
    conn: &mut DbConnection,
    org_ids: &[i64],
    event: &str,
    payload: &serde_json::Value,
    now: NaiveDateTime,
) -> QueryResult<usize> {
    if org_ids.is_empty() {
        return Ok(0);
    }
    let subs: Vec<(i64, JsonText<Vec<String>>)> = webhooks::table
        .filter(webhooks::org_id.eq_any(org_ids.to_vec()))
        .filter(webhooks::active.eq(true))
        .select((webhooks::id, webhooks::events))
        .load(conn)?;
    let mut n = 0;
    for (webhook_id, events) in subs {
        if !events.iter().any(|e| e == event) {
            continue;
        }
        let uid = uuid::Uuid::new_v4().to_string();
        let body = serde_json::json!({
            "id": uid,
            "event": event,
            "occurred_at": crate::domain::date::rfc3339(now),
            "data": payload,
        });
        diesel::insert_into(wd::table)
            .values((
                wd::webhook_id.eq(webhook_id),
                wd::delivery_uid.eq(&uid),
                wd::event.eq(event),
                wd::payload.eq(body.to_string()),
                wd::status.eq("pending"),
                wd::attempts.eq(0i64),
                wd::next_attempt_at.eq(now),
                wd::created_at.eq(now),
            ))
            .execute(conn)?;
        n += 1;
    }
    Ok(n)
}

#[derive(Clone, Debug, Queryable, Selectable)]
#[diesel(table_name = wd)]
pub struct DeliveryRow {
    pub id: i64,
    pub webhook_id: i64,
    pub delivery_uid: String,
    pub event: String,
    pub payload: String,
    pub status: DeliveryStatus,
    pub attempts: i64,
    pub next_attempt_at: NaiveDateTime,
    pub locked_by: Option<String>,
    pub locked_until: Option<NaiveDateTime>,
    pub last_status_code: Option<i64>,
    pub last_error: Option<String>,
    pub created_at: NaiveDateTime,
    pub delivered_at: Option<NaiveDateTime>,
}

pub fn deliveries(
    conn: &mut DbConnection,
    webhook_id: i64,
    after_id: Option<i64>,
    limit: i64,
) -> QueryResult<Vec<DeliveryRow>> {
    let mut q = wd::table
        .filter(wd::webhook_id.eq(webhook_id))
        .select(DeliveryRow::as_select())
        .into_boxed();
    if let Some(a) = after_id {
        q = q.filter(wd::id.gt(a));
    }
    q.order(wd::id.asc()).limit(limit + 1).load(conn)
}

/// Claims up to `limit` due deliveries for `worker` until `lease_until`. Each row is claimed
/// with a conditional update, so two workers (instances) never hold the same delivery.
pub fn claim_due(
    conn: &mut DbConnection,
    worker: &str,
    now: NaiveDateTime,
    lease_until: NaiveDateTime,
    limit: i64,
) -> QueryResult<Vec<(DeliveryRow, WebhookRow)>> {
    let candidates: Vec<i64> = wd::table
        .filter(wd::status.eq("pending"))
        .filter(wd::next_attempt_at.le(now))
        .filter(wd::locked_until.is_null().or(wd::locked_until.lt(now)))
        .order(wd::next_attempt_at.asc())
        .limit(limit)
        .select(wd::id)
        .load(conn)?;
    let mut claimed = Vec::new();
    for id in candidates {
        let n = diesel::update(
            wd::table
                .filter(wd::id.eq(id))
                .filter(wd::status.eq("pending"))
                .filter(wd::locked_until.is_null().or(wd::locked_until.lt(now))),
        )
        .set((
            wd::locked_by.eq(Some(worker)),
            wd::locked_until.eq(Some(lease_until)),
        ))
        .execute(conn)?;
        if n == 1 {
            let d: DeliveryRow = wd::table
                .find(id)
                .select(DeliveryRow::as_select())
                .first(conn)?;
            let w: WebhookRow = webhooks::table
                .find(d.webhook_id)
                .select(WebhookRow::as_select())
                .first(conn)?;
            claimed.push((d, w));
        }
    }
    Ok(claimed)
}

/// One attempt's outcome, as `domain::event` names it.
pub struct Attempt<'a> {
    pub outcome: DeliveryEvent,
    pub status_code: Option<i64>,
    pub error: Option<&'a str>,
    /// When to retry (`FailedWillRetry` only).
    pub next_attempt_at: Option<NaiveDateTime>,
}

/// Records an attempt by the worker holding the lease; the new status follows the delivery
/// state machine (`DeliveryStatus::after`).
pub fn record_attempt(
    conn: &mut DbConnection,
    id: i64,
    worker: &str,
    a: &Attempt,
    now: NaiveDateTime,
) -> QueryResult<()> {
    let status = after_pending(a.outcome);
    let delivered = a.outcome == DeliveryEvent::Delivered;
    diesel::update(
        wd::table
            .filter(wd::id.eq(id))
            .filter(wd::locked_by.eq(worker)),
    )
    .set((
        wd::status.eq(status.as_str()),
        wd::attempts.eq(wd::attempts + 1),
        wd::next_attempt_at.eq(a.next_attempt_at.unwrap_or(now)),
        wd::locked_by.eq(None::<String>),
        wd::locked_until.eq(None::<NaiveDateTime>),
        wd::last_status_code.eq(a.status_code),
        wd::last_error.eq(a.error),
        wd::delivered_at.eq(delivered.then_some(now)),
    ))
    .execute(conn)?;
    Ok(())
}

/// Deletes finished (delivered or failed) deliveries created before `before`; pending ones
/// are never purged, however old.
pub fn purge_finished(conn: &mut DbConnection, before: NaiveDateTime) -> QueryResult<usize> {
    diesel::delete(
        wd::table
            .filter(wd::status.ne(DeliveryStatus::Pending.as_str()))
            .filter(wd::created_at.lt(before)),
    )
    .execute(conn)
}

/// The outbox's backlog: deliveries still pending, and when the oldest of them was made.
pub fn backlog(conn: &mut DbConnection) -> QueryResult<(i64, Option<NaiveDateTime>)> {
    let pending = wd::table.filter(wd::status.eq(DeliveryStatus::Pending.as_str()));
    let count = pending.count().get_result(conn)?;
    let oldest = pending
        .select(diesel::dsl::min(wd::created_at))
        .first::<Option<NaiveDateTime>>(conn)?;
    Ok((count, oldest))
}
