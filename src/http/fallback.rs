//! Errors that no handler writes: the router's (no such path, wrong method), actix's own
//! extractors and services (e.g. the docs' 404), and the HTTP/1 codec's (a head it cannot parse
//! or that is too large). All of them leave finmatch as problem+json like every other error.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderValue};
use actix_web::http::{Method, StatusCode};
use actix_web::middleware::Next;
use actix_web::{web, HttpRequest, HttpResponse, ResponseError};

use crate::app::error::{AppError, ProblemCode};
use crate::domain::lang::Lang;

/// The problem a bare status stands for, when the code that answered did not say more.
pub fn for_status(status: StatusCode) -> AppError {
    let (code, detail) = match status.as_u16() {
        400 => (
            ProblemCode::MalformedRequest,
            "the request cannot be parsed",
        ),
        404 => (ProblemCode::NotFound, "no such resource"),
        405 => (
            ProblemCode::MethodNotAllowed,
            "this path does not support the method; see Allow",
        ),
        408 => (
            ProblemCode::RequestTimeout,
            "the request was not received in time",
        ),
        413 => (ProblemCode::PayloadTooLarge, "request body is too large"),
        415 => (
            ProblemCode::UnsupportedMediaType,
            "unsupported request content type",
        ),
        431 => (
            ProblemCode::RequestHeadersTooLarge,
            "the request headers are too large",
        ),
        s if s >= 500 => (ProblemCode::InternalError, "an internal error occurred"),
        _ => (ProblemCode::MalformedRequest, "the request was refused"),
    };
    AppError::new(status, code, detail)
}

/// Middleware: an error answer that is not problem+json (actix's extractors and services
/// write plain text or nothing) is rewritten as the problem for its status. Headers that the
/// answer set (`Allow`, `Retry-After`, `Connection`) are kept.
pub async fn problem_bodies(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let lang = super::extract::lang(req.request());
    // Handlers' and extractors' errors arrive here as responses; only a middleware could
    // return `Err`, and none inside this one does.
    let res = next.call(req).await?.map_into_boxed_body();
    let status = res.status();
    let is_problem = res
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"application/problem+json"));
    if is_problem && lang == Lang::Zh {
        return Ok(in_chinese(res).await);
    }
    if !(status.is_client_error() || status.is_server_error()) || is_problem {
        return Ok(res);
    }
    let (req, bare) = res.into_parts();
    let mut problem = for_status(status).error_response();
    for (name, value) in bare.headers() {
        if name != header::CONTENT_TYPE && name != header::CONTENT_LENGTH {
            problem.headers_mut().append(name.clone(), value.clone());
        }
    }
    Ok(ServiceResponse::new(req, problem))
}

/// A problem answer with its messages in Chinese (`super::zh`); bodies are small.
async fn in_chinese(res: ServiceResponse<BoxBody>) -> ServiceResponse<BoxBody> {
    let (req, mut res) = res.into_parts();
    let written = res
        .extensions_mut()
        .remove::<super::error::ChineseProblem>();
    let (mut head, body) = res.into_parts();
    let bytes = actix_web::body::to_bytes(body).await.unwrap_or_default();
    let zh = match written {
        Some(super::error::ChineseProblem(zh)) => zh,
        None => super::zh::problem(&bytes).unwrap_or_else(|| bytes.to_vec()),
    };
    head.headers_mut().remove(header::CONTENT_LENGTH);
    head.headers_mut()
        .insert(header::VARY, HeaderValue::from_static("Accept-Language"));
    ServiceResponse::new(req, head.set_body(BoxBody::new(zh)))
}

/// The route templates and their methods, from the OpenAPI document (the same registration
/// as the server), so a known path with the wrong method is 405 with `Allow`, not 404.
pub struct RouteTable(Vec<(Vec<Segment>, Vec<Method>)>);

enum Segment {
    Literal(String),
    Param,
}

impl RouteTable {
    pub fn new(doc: &utoipa::openapi::OpenApi, extra: &[(&str, Method)]) -> Self {
        let mut routes: Vec<(Vec<Segment>, Vec<Method>)> = Vec::new();
        let mut add = |path: &str, method: Method| {
            let segments: Vec<Segment> = path
                .trim_matches('/')
                .split('/')
                .map(|s| {
                    if s.starts_with('{') && s.ends_with('}') {
                        Segment::Param
                    } else {
                        Segment::Literal(s.to_owned())
                    }
                })
                .collect();
            routes.push((segments, vec![method]));
        };
        for (path, item) in &doc.paths.paths {
            let ops = [
                (&item.get, Method::GET),
                (&item.post, Method::POST),
                (&item.put, Method::PUT),
                (&item.patch, Method::PATCH),
                (&item.delete, Method::DELETE),
            ];
            for (op, method) in ops {
                if op.is_some() {
                    add(path, method);
                }
            }
        }
        for (path, method) in extra {
            add(path, method.clone());
        }
        RouteTable(routes)
    }

    /// The methods a path answers to; empty when no route has its shape.
    pub fn methods(&self, path: &str) -> Vec<Method> {
        let parts: Vec<&str> = path.trim_matches('/').split('/').collect();
        let mut methods: Vec<Method> = Vec::new();
        for (segments, ms) in &self.0 {
            let fits = segments.len() == parts.len()
                && segments.iter().zip(&parts).all(|(s, p)| match s {
                    Segment::Literal(l) => l == p,
                    Segment::Param => !p.is_empty(),
                });
            if fits {
                for m in ms {
                    if !methods.contains(m) {
                        methods.push(m.clone());
                    }
                }
            }
        }
        methods
    }
}

/// The default service: 405 with `Allow` for a known path, else 404.
pub async fn no_route(req: HttpRequest, table: web::Data<RouteTable>) -> HttpResponse {
    let methods = table.methods(req.path());
    if methods.is_empty() {
        return AppError::new(
            StatusCode::NOT_FOUND,
            ProblemCode::NotFound,
            "no such route",
        )
        .error_response();
    }
    let allow = methods
        .iter()
        .map(Method::as_str)
        .collect::<Vec<_>>()
        .join(", ");
    let mut res = AppError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        ProblemCode::MethodNotAllowed,
        format!("{} is not supported here; allowed: {allow}", req.method()),
    )
    .error_response();
    if let Ok(v) = HeaderValue::from_str(&allow) {
        res.headers_mut().insert(header::ALLOW, v);
    }
    res
}

/// Renders the answers the HTTP/1 codec writes by itself (see vendor/actix-http), and notes
/// them in the log as one rate-limited warning: such requests come from broken clients or
/// scanners, never from finmatch, and one line each let a client flood the log.
pub fn codec_error_body(status: StatusCode) -> Option<(HeaderValue, actix_web::web::Bytes)> {
    CODEC_ERRORS.note(status);
    let body = serde_json::to_vec(&for_status(status).problem()).ok()?;
    Some((
        HeaderValue::from_static("application/problem+json"),
        body.into(),
    ))
}

/// At most one warning per `CODEC_LOG_EVERY`, counting what it left out.
struct RateLimitedLog {
    suppressed: AtomicU64,
    last: Mutex<Option<Instant>>,
}

const CODEC_LOG_EVERY: Duration = Duration::from_secs(10);

static CODEC_ERRORS: RateLimitedLog = RateLimitedLog {
    suppressed: AtomicU64::new(0),
    last: Mutex::new(None),
};

impl RateLimitedLog {
    fn note(&self, status: StatusCode) {
        let now = Instant::now();
        let mut last = self.last.lock().unwrap_or_else(|p| p.into_inner());
        if last.is_some_and(|t| now.duration_since(t) < CODEC_LOG_EVERY) {
            self.suppressed.fetch_add(1, Ordering::Relaxed);
            return;
        }
        *last = Some(now);
        let suppressed = self.suppressed.swap(0, Ordering::Relaxed);
        tracing::warn!(
            status = status.as_u16(),
            suppressed,
            "refused a request the HTTP codec could not parse (malformed or oversize head, \
             HTTP/1.1 without Host); further ones are counted, at most one warning per 10 s"
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn route_table_matches_templates_and_collects_methods() {
        let doc = crate::startup::openapi_document();
        let table = RouteTable::new(&doc, &[("/docs", Method::GET)]);
        assert_eq!(
            table.methods("/api/v1/matches/12/accept"),
            vec![Method::POST]
        );
        let products = table.methods("/api/v1/products");
        assert!(products.contains(&Method::GET) && products.contains(&Method::POST));
        assert_eq!(table.methods("/docs"), vec![Method::GET]);
        assert!(table.methods("/api/v1/nothing").is_empty());
        assert!(table.methods("/api/v1/products/1/2/3").is_empty());
    }

    #[test]
    fn every_bare_status_has_a_problem_code() {
        for s in [400u16, 404, 405, 408, 413, 415, 431, 500, 418] {
            let status = StatusCode::from_u16(s).unwrap();
            let p = for_status(status).problem();
            assert_eq!(p.status, s);
        }
        assert_eq!(
            for_status(StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE).code,
            ProblemCode::RequestHeadersTooLarge
        );
    }
}
