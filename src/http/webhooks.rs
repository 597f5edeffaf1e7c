//! Webhook subscriptions over HTTP (SPEC §3.10); the use cases are `app::webhooks`.

use actix_web::{delete, get, post, web, HttpRequest, HttpResponse};

use super::auth::Caller;
use super::extract::{JsonBody, NoBody};
use super::idempotency;
use crate::app::error::AppResult;
use crate::app::pagination::{page, Page, PageQuery};
use crate::app::webhooks::{self, CreateWebhook, DeliveryView, WebhookView};
use crate::app::{self, AppState};

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
    auth: Caller,
    body: JsonBody<CreateWebhook>,
) -> AppResult<HttpResponse> {
    let cmd = body.value;
    idempotency::run(&state, &req, auth.idempotency_scope(), &body.raw, |done| {
        webhooks::create(&state, auth, cmd, done)
    })
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
    auth: Caller,
    query: web::Query<PageQuery>,
) -> AppResult<HttpResponse> {
    let cursor = query.cursor()?;
    let (after, limit) = (cursor.after_id, cursor.limit);
    let views = app::run(&state, move |conn| {
        webhooks::list(conn, &auth, after, limit)
    })
    .await?;
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
    auth: Caller,
    path: web::Path<i64>,
    _: NoBody,
) -> AppResult<HttpResponse> {
    let id = path.into_inner();
    app::run(&state, move |conn| webhooks::delete(conn, &auth, id)).await?;
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
    auth: Caller,
    path: web::Path<i64>,
    query: web::Query<PageQuery>,
) -> AppResult<HttpResponse> {
    let id = path.into_inner();
    let cursor = query.cursor()?;
    let (after, limit) = (cursor.after_id, cursor.limit);
    let views = app::run(&state, move |conn| {
        webhooks::deliveries(conn, &auth, id, after, limit)
    })
    .await?;
    Ok(HttpResponse::Ok().json(page(views, cursor, |d| d.id, |d| d)))
}
