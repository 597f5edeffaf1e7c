//! Request extractors that answer bad input with problem+json instead of actix's plain text.

use std::future::Future;
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::web::Bytes;
use actix_web::{FromRequest, HttpRequest};
use serde::de::DeserializeOwned;

use crate::app::error::ProblemCode;
use crate::app::error::{AppError, FieldError};

/// The language a request asks its explanations in (`Accept-Language`).
pub fn lang(req: &actix_web::HttpRequest) -> crate::domain::lang::Lang {
    let header = req
        .headers()
        .get(actix_web::http::header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok());
    crate::domain::lang::Lang::from_accept_language(header)
}

/// Largest JSON body accepted.
pub const MAX_BODY_BYTES: usize = 1 << 20;

/// A JSON request body, parsed with field paths in its errors. Keeps the raw bytes for
/// idempotency fingerprints. Syntax errors are 400 `malformed_json`; well-formed JSON of the
/// wrong shape (missing fields, wrong types, unknown enum values) is 422 `invalid_body`.
pub struct JsonBody<T> {
    pub value: T,
    pub raw: Bytes,
}

pub fn parse_json<T: DeserializeOwned>(raw: &[u8]) -> Result<T, AppError> {
    // PostgreSQL text cannot hold NUL; JSON can only carry one escaped, so look closer then.
    if raw.windows(6).any(|w| w.eq_ignore_ascii_case(b"\\u0000")) {
        if let Ok(v) = serde_json::from_slice::<serde_json::Value>(raw) {
            if let Some(field) = nul_path(&v, String::new()) {
                return Err(AppError::invalid(
                    ProblemCode::InvalidBody,
                    vec![FieldError {
                        field: if field.is_empty() {
                            "body".into()
                        } else {
                            field
                        },
                        message: "must not contain NUL characters".into(),
                        message_zh: None,
                    }],
                ));
            }
        }
    }
    // serde also reads a struct from an array of its fields in order (`["user", "pass"]`);
    // a request body is a JSON object.
    let first = raw.iter().find(|b| !b.is_ascii_whitespace());
    if first.is_some_and(|b| *b != b'{')
        && serde_json::from_slice::<serde::de::IgnoredAny>(raw).is_ok()
    {
        return Err(AppError::invalid_field(
            ProblemCode::InvalidBody,
            "body",
            "must be a JSON object",
        ));
    }
    let de = &mut serde_json::Deserializer::from_slice(raw);
    let parsed = serde_path_to_error::deserialize(&mut *de);
    if parsed.is_ok() {
        // Trailing garbage after the value is a syntax error too.
        if let Err(e) = de.end() {
            return Err(AppError::bad_request(
                ProblemCode::MalformedJson,
                format!("request body is not valid JSON: {e}"),
            ));
        }
    }
    parsed.map_err(|err| {
        let inner = err.inner();
        // Syntax comes first, judged on the whole body: a shape error can hide broken JSON
        // further on (`{"name": [`), and serde_json reports some shape errors (an enum given
        // `null` or a number) as syntax errors although the body is well-formed.
        if let Err(syntax) = serde_json::from_slice::<serde::de::IgnoredAny>(raw) {
            return AppError::bad_request(
                ProblemCode::MalformedJson,
                format!("request body is not valid JSON: {syntax}"),
            );
        }
        let mut field = err.path().to_string();
        let message = strip_position(&inner.to_string());
        // serde reports a missing field at its parent; name the field itself.
        if let Some(name) = message
            .strip_prefix("missing field `")
            .and_then(|m| m.split('`').next())
        {
            field = if field == "." {
                name.to_owned()
            } else {
                format!("{field}.{name}")
            };
        }
        if field == "." {
            field = "body".to_owned();
        }
        AppError::invalid(
            ProblemCode::InvalidBody,
            vec![FieldError {
                field,
                message,
                message_zh: None,
            }],
        )
    })
}

/// The path of the first string (or key) holding a NUL character.
fn nul_path(v: &serde_json::Value, at: String) -> Option<String> {
    let join = |k: &str| {
        if at.is_empty() {
            k.to_owned()
        } else {
            format!("{at}.{k}")
        }
    };
    match v {
        serde_json::Value::String(s) if s.contains('\0') => Some(at),
        serde_json::Value::Array(items) => items
            .iter()
            .enumerate()
            .find_map(|(i, x)| nul_path(x, format!("{at}[{i}]"))),
        serde_json::Value::Object(map) => map.iter().find_map(|(k, x)| {
            if k.contains('\0') {
                Some(join(k))
            } else {
                nul_path(x, join(k))
            }
        }),
        _ => None,
    }
}

fn strip_position(msg: &str) -> String {
    match msg.rfind(" at line ") {
        Some(i) => msg[..i].to_owned(),
        None => msg.to_owned(),
    }
}

/// Whether the request's `Content-Type` may carry JSON. A missing one is tolerated: curl users
/// often forget it.
fn json_content_type(req: &HttpRequest) -> bool {
    req.headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(|ct| {
            let mime = ct
                .split(';')
                .next()
                .unwrap_or("")
                .trim()
                .to_ascii_lowercase();
            mime == "application/json" || mime.ends_with("+json")
        })
        .unwrap_or(true)
}

fn unsupported_media_type() -> AppError {
    AppError::new(
        actix_web::http::StatusCode::UNSUPPORTED_MEDIA_TYPE,
        ProblemCode::UnsupportedMediaType,
        "the request body must be application/json",
    )
}

/// Reads the whole body, at most `MAX_BODY_BYTES`; an oversize body is 413 problem+json.
fn read_body(
    req: &HttpRequest,
    payload: &mut Payload,
) -> impl Future<Output = Result<Bytes, AppError>> {
    let bytes = Bytes::from_request(req, payload);
    async move {
        let raw = bytes.await.map_err(|e| {
            if is_overflow(&e) {
                too_large()
            } else {
                AppError::bad_request(
                    ProblemCode::InvalidBody,
                    format!("cannot read request body: {e}"),
                )
            }
        })?;
        if raw.len() > MAX_BODY_BYTES {
            return Err(too_large());
        }
        Ok(raw)
    }
}

fn is_overflow(e: &actix_web::Error) -> bool {
    matches!(
        e.as_error::<actix_web::error::PayloadError>(),
        Some(actix_web::error::PayloadError::Overflow)
    ) || e.as_response_error().status_code() == actix_web::http::StatusCode::PAYLOAD_TOO_LARGE
}

fn too_large() -> AppError {
    AppError::new(
        actix_web::http::StatusCode::PAYLOAD_TOO_LARGE,
        ProblemCode::PayloadTooLarge,
        format!("request body is larger than {MAX_BODY_BYTES} bytes"),
    )
}

/// Nothing but whitespace, or JSON `null`: an optional body left out.
fn is_absent(raw: &[u8]) -> bool {
    let trimmed = raw.trim_ascii();
    trimmed.is_empty() || trimmed == b"null"
}

impl<T: DeserializeOwned + 'static> FromRequest for JsonBody<T> {
    type Error = AppError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, AppError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let content_type_ok = json_content_type(req);
        let body = read_body(req, payload);
        Box::pin(async move {
            if !content_type_ok {
                return Err(unsupported_media_type());
            }
            let raw = body.await?;
            let value = parse_json(&raw)?;
            Ok(JsonBody { value, raw })
        })
    }
}

/// An optional JSON body (`accept`, `withdraw`, `close`): none, whitespace or `null` is
/// `T::default()`; anything else must be a valid `T`.
pub struct OptionalBody<T>(pub T);

impl<T: DeserializeOwned + Default + 'static> FromRequest for OptionalBody<T> {
    type Error = AppError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, AppError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let content_type_ok = json_content_type(req);
        let body = read_body(req, payload);
        Box::pin(async move {
            let raw = body.await?;
            if is_absent(&raw) {
                return Ok(OptionalBody(T::default()));
            }
            if !content_type_ok {
                return Err(unsupported_media_type());
            }
            Ok(OptionalBody(parse_json(&raw)?))
        })
    }
}

/// An action that takes no body (`logout`, `suspend`, `disable` …): nothing, whitespace or the
/// empty object `{}`. Anything else is refused rather than silently ignored, so a client that
/// thinks it is sending parameters learns that it is not.
pub struct NoBody;

impl FromRequest for NoBody {
    type Error = AppError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, AppError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let body = read_body(req, payload);
        Box::pin(async move {
            let raw = body.await?;
            if raw.trim_ascii().is_empty() {
                return Ok(NoBody);
            }
            match serde_json::from_slice::<serde_json::Value>(&raw) {
                Ok(serde_json::Value::Object(m)) if m.is_empty() => Ok(NoBody),
                Ok(_) => Err(AppError::invalid_field(
                    ProblemCode::InvalidBody,
                    "body",
                    "this action takes no body: send none or {}",
                )),
                Err(e) => Err(AppError::bad_request(
                    ProblemCode::MalformedJson,
                    format!("request body is not valid JSON: {e}"),
                )),
            }
        })
    }
}

/// Error handlers installed on actix's own extractors, so they speak problem+json too.
pub fn query_config() -> actix_web::web::QueryConfig {
    actix_web::web::QueryConfig::default().error_handler(|err, _req| {
        AppError::bad_request(
            ProblemCode::InvalidQuery,
            format!("invalid query parameters: {err}"),
        )
        .into()
    })
}

pub fn path_config() -> actix_web::web::PathConfig {
    actix_web::web::PathConfig::default().error_handler(|err, _req| {
        AppError::bad_request(
            ProblemCode::InvalidPathParameter,
            format!("invalid path parameter: {err}"),
        )
        .into()
    })
}

pub fn payload_config() -> actix_web::web::PayloadConfig {
    actix_web::web::PayloadConfig::default().limit(MAX_BODY_BYTES + 1)
}

/// The address a request comes from: the peer, or — when the peer is a trusted proxy
/// (`FINMATCH_TRUSTED_PROXIES`) — the right-most `X-Forwarded-For` entry that is not itself
/// a trusted proxy. Entries left of that are the client's to forge and are ignored.
pub fn client_address(req: &HttpRequest, trusted: &[ipnet::IpNet]) -> String {
    let Some(peer) = req.peer_addr().map(|a| a.ip()) else {
        return "unknown".into();
    };
    let is_trusted = |ip: &std::net::IpAddr| trusted.iter().any(|n| n.contains(ip));
    if !is_trusted(&peer) {
        return peer.to_string();
    }
    let forwarded: Vec<std::net::IpAddr> = req
        .headers()
        .get_all("x-forwarded-for")
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .filter_map(|s| s.trim().parse().ok())
        .collect();
    forwarded
        .iter()
        .rev()
        .find(|ip| !is_trusted(ip))
        .unwrap_or(&peer)
        .to_string()
}
