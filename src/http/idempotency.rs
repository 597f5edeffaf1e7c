//! `Idempotency-Key` (SPEC §2), shared by every create endpoint.
//!
//! The same key from the same caller with the same method, path and JSON body replays the
//! stored response without creating anything; the same key with anything else is 409
//! `idempotency_key_reused`. The key and its response are stored by the create itself, in its
//! own transaction (`Completion::record`): either both commit or neither does, so a crash can
//! never leave a key that blocks its retries while the write it names is there. Concurrent
//! first requests with one key all run; the unique key lets one commit, and the others roll
//! back and replay its answer.

use actix_web::http::{header::HeaderName, StatusCode};
use actix_web::{web, HttpRequest, HttpResponse};
use sha2::{Digest, Sha256};

use crate::app::error::ProblemCode;
use crate::app::error::{AppError, AppResult};
use crate::app::idempotency::Stored;
use crate::app::idempotency::{self as store, key_taken, Completion, Recorded};
use crate::app::AppState;

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

fn key_of(req: &HttpRequest) -> AppResult<Option<String>> {
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
            AppError::bad_request(
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

/// The answer to a key seen before, if it settles the request.
fn answer_stored(found: Option<Stored>, hash: &str) -> Option<AppResult<HttpResponse>> {
    let found = found?;
    if found.request_hash != hash {
        return Some(Err(AppError::conflict(
            ProblemCode::IdempotencyKeyReused,
            "this Idempotency-Key was already used with a different request",
        )));
    }
    Some(match found.response {
        Some((status, body)) => {
            let status = StatusCode::from_u16(status as u16).unwrap_or(StatusCode::OK);
            Ok(respond(status, body, true))
        }
        // Only an earlier version left keys without a response: whether its write committed
        // is unknown, so the key stays taken until it expires.
        None => Err(key_taken()),
    })
}

/// Runs `create` at most once per (scope, key).
pub async fn run<F, Fut>(
    state: &web::Data<AppState>,
    req: &HttpRequest,
    scope: String,
    raw_body: &[u8],
    create: F,
) -> AppResult<HttpResponse>
where
    F: FnOnce(Completion) -> Fut,
    Fut: std::future::Future<Output = AppResult<Recorded>>,
{
    let Some(key) = key_of(req)? else {
        let r = create(Completion::without_key()).await?;
        return Ok(respond(r.status, r.body, false));
    };
    let hash = fingerprint(req, raw_body);
    let lookup =
        |scope: String, key: String| crate::app::run(state, move |c| store::find(c, &scope, &key));
    if let Some(answer) = answer_stored(lookup(scope.clone(), key.clone()).await?, &hash) {
        return answer;
    }
    match create(Completion::for_key(
        scope.clone(),
        key.clone(),
        hash.clone(),
    ))
    .await
    {
        Ok(r) => Ok(respond(r.status, r.body, false)),
        // Whatever failed, a concurrent request with this key may have succeeded meanwhile
        // (its write then conflicts with ours): its answer is the answer.
        Err(e) => match answer_stored(lookup(scope, key).await?, &hash) {
            Some(answer) => answer,
            None => Err(e),
        },
    }
}
