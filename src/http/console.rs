//! The web console (SPEC §4), embedded in the binary from `web/dist` (built from `web/`, see
//! the README): `/` is its page, `/assets/…` its content-hashed files, served immutable. It
//! talks only to the public `/api/v1`; no other route is added for it.

use actix_web::http::header;
use actix_web::{web, HttpResponse, ResponseError};

#[derive(rust_embed::Embed)]
#[folder = "web/dist/"]
struct Bundle;

/// The console's page: never cached, so a new release's asset names are picked up at once.
pub async fn index() -> HttpResponse {
    match Bundle::get("index.html") {
        Some(f) => HttpResponse::Ok()
            .insert_header((header::CONTENT_TYPE, "text/html; charset=utf-8"))
            .insert_header((header::CACHE_CONTROL, "no-cache"))
            .body(f.data.into_owned()),
        None => {
            super::fallback::for_status(actix_web::http::StatusCode::NOT_FOUND).error_response()
        }
    }
}

/// A file under `assets/`: its name carries its content hash, so it is cached for a year.
pub async fn asset(path: web::Path<String>) -> HttpResponse {
    let name = format!("assets/{}", path.into_inner());
    match Bundle::get(&name) {
        Some(f) => HttpResponse::Ok()
            .insert_header((header::CONTENT_TYPE, f.metadata.mimetype()))
            .insert_header((header::CACHE_CONTROL, "public, max-age=31536000, immutable"))
            .insert_header((
                header::ETAG,
                format!("\"{}\"", hex(&f.metadata.sha256_hash())),
            ))
            .body(f.data.into_owned()),
        None => {
            super::fallback::for_status(actix_web::http::StatusCode::NOT_FOUND).error_response()
        }
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes[..8].iter().map(|b| format!("{b:02x}")).collect()
}
