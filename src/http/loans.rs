//! Loan servicing over HTTP (SPEC §3.12): a bank's events on one loan and its core system's
//! batch upload; the use cases are `app::loans`.

use actix_web::{post, web, HttpRequest, HttpResponse};

use super::auth::Caller;
use super::extract::JsonBody;
use super::idempotency;
use crate::app::error::AppResult;
use crate::app::loans::{self, BatchResult, EventBatch, LoanEventInput};
use crate::app::matches::LoanView;
use crate::app::{self, AppState};

/// Report an event on a loan (贷后): a repayment, an overdue spell and its cure, an NPL
/// classification, a recovery or a write-off — the loan's bank only.
#[utoipa::path(
    tag = "loans",
    request_body = LoanEventInput,
    params(
        ("id" = i64, Path, description = "Loan id"),
        ("Idempotency-Key" = Option<String>, Header, description = "Makes retries safe: a retried event is not recorded twice"),
    ),
    responses(
        (status = 201, description = "The loan after the event, with its event trail", body = LoanView),
        (status = 409, description = "`invalid_transition`: the loan's status does not allow this event", body = crate::app::error::Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields: a principal above the outstanding, a date before the disbursement or the last event or in the future", body = crate::app::error::Problem, content_type = "application/problem+json"),
    )
)]
#[post("/loans/{id}/events")]
pub async fn record_event(
    state: web::Data<AppState>,
    req: HttpRequest,
    auth: Caller,
    path: web::Path<i64>,
    body: JsonBody<LoanEventInput>,
) -> AppResult<HttpResponse> {
    let (id, e) = (path.into_inner(), body.value);
    loans::validate(&e)?;
    idempotency::run(&state, &req, auth.idempotency_scope(), &body.raw, |done| {
        app::run(&state, move |conn| {
            loans::record_event(conn, &auth, id, e, done)
        })
    })
    .await
}

/// A core system's upload (e.g. nightly): at most 1,000 events on the bank's loans, applied in
/// order, all or nothing. A 422 names every rejected item by its index (`events[3].principal`).
#[utoipa::path(
    tag = "loans",
    request_body = EventBatch,
    params(
        ("Idempotency-Key" = Option<String>, Header, description = "Makes retries safe: a retried upload is not recorded twice"),
    ),
    responses(
        (status = 201, description = "Every event recorded", body = BatchResult),
        (status = 422, description = "Nothing recorded: each rejected item in `errors`", body = crate::app::error::Problem, content_type = "application/problem+json"),
    )
)]
#[post("/loan-events/batch")]
pub async fn record_batch(
    state: web::Data<AppState>,
    req: HttpRequest,
    auth: Caller,
    body: JsonBody<EventBatch>,
) -> AppResult<HttpResponse> {
    let batch = body.value;
    loans::validate_batch(&batch)?;
    idempotency::run(&state, &req, auth.idempotency_scope(), &body.raw, |done| {
        app::run(&state, move |conn| {
            loans::record_batch(conn, &auth, batch, done)
        })
    })
    .await
}
