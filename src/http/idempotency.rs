//! `Idempotency-Key` (SPEC §2), shared by every create endpoint.
//!
//! The first request with a key claims it; the same key from the same caller with the same
//! method, path and JSON body replays the stored response without creating anything; the same
//! key with anything else is 409 `idempotency_key_reused`. A key whose first request is still
//! running answers 409 `idempotency_key_in_progress`. Failed requests release their key.

use actix_web::http::{header::HeaderName, StatusCode};
use actix_web::{web, HttpRequest, HttpResponse};
use serde::Serialize;
use sha2::{Digest, Sha256};

use super::error::ProblemCode;
use super::error::{ApiError, ApiResult};
use super::with_conn;
use crate::db::{self, idempotency::Claim};
use crate::startup::AppState;

pub const HEADER: &str = "idempotency-key";
pub const REPLAYED_HEADER: &str = "idempotency-replayed";

/// Fingerprint of a request: method, path and the body as canonical JSON (key order and
/// whitespace do not matter).
fn fingerprint(req: &HttpRequest, raw_body: &[u8]) -> String {
    let canonical = serde_json::from_slice::<serde_json::Value>(raw_body)
        .map(|v| v.to_string().into_bytes())
        .unwrap_or_else(|_| raw_body.to_vec());
    let mut h = Sha256::new();
    h.update(req.method().as_str().as_bytes());
    h.update(b" ");
    h.update(req.path().as_bytes());
    h.update(b"\n");
    h.update(&canonical);
    hex::encode(h.finalize())
}

fn key_of(req: &HttpRequest) -> ApiResult<Option<String>> {
    let Some(value) = req.headers().get(HeaderName::from_static(HEADER)) else {
        return Ok(None);
    };
    let key = value
        .to_str()
        .ok()
        .map(str::trim)
        .filter(|k| {
            !k.is_empty() && k.len() <= 255 && k.bytes().all(|b| (0x21..=0x7e).contains(&b))
        })
        .ok_or_else(|| {
            ApiError::bad_request(
                ProblemCode::InvalidIdempotencyKey,
                "Idempotency-Key must be 1-255 visible ASCII characters",
            )
        })?;
    Ok(Some(key.to_owned()))
}

fn respond(status: StatusCode, body: String, replayed: bool) -> HttpResponse {
    let mut res = HttpResponse::build(status);
    res.content_type("application/json");
    if replayed {
        res.insert_header((REPLAYED_HEADER, "true"));
    }
    res.body(body)
}

/// Runs `create` at most once per (scope, key). `create` answers the status and the JSON body.
pub async fn run<T, F, Fut>(
    state: &web::Data<AppState>,
    req: &HttpRequest,
    scope: String,
    raw_body: &[u8],
    create: F,
) -> ApiResult<HttpResponse>
where
    T: Serialize,
    F: FnOnce() -> Fut,
    Fut: std::future::Future<Output = ApiResult<(StatusCode, T)>>,
{
    let Some(key) = key_of(req)? else {
        let (status, value) = create().await?;
        return Ok(respond(
            status,
            serde_json::to_string(&value).map_err(ApiError::internal)?,
            false,
        ));
    };
    let hash = fingerprint(req, raw_body);
    let claim = {
        let (scope, key, hash) = (scope.clone(), key.clone(), hash.clone());
        with_conn(state, move |c| {
            Ok(db::idempotency::claim(c, &scope, &key, &hash, db::now())?)
        })
        .await?
    };
    match claim {
        Claim::Existing { request_hash, .. } if request_hash != hash => Err(ApiError::conflict(
            ProblemCode::IdempotencyKeyReused,
            "this Idempotency-Key was already used with a different request",
        )),
        Claim::Existing { response: None, .. } => Err(ApiError::conflict(
            ProblemCode::IdempotencyKeyInProgress,
            "a request with this Idempotency-Key is still being processed",
        )),
        Claim::Existing {
            response: Some((status, body)),
            ..
        } => {
            let status = StatusCode::from_u16(status as u16).unwrap_or(StatusCode::OK);
            Ok(respond(status, body, true))
        }
        Claim::Acquired => match create().await {
            Ok((status, value)) => {
                let body = serde_json::to_string(&value).map_err(ApiError::internal)?;
                let stored = body.clone();
                with_conn(state, move |c| {
                    Ok(db::idempotency::complete(
                        c,
                        &scope,
                        &key,
                        status.as_u16() as i64,
                        &stored,
                    )?)
                })
                .await?;
                Ok(respond(status, body, false))
            }
            Err(e) => {
                with_conn(state, move |c| {
                    Ok(db::idempotency::release(c, &scope, &key)?)
                })
                .await?;
                Err(e)
            }
        },
    }
}
