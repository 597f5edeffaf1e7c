//! finmatch — the REST API of a government-backed SME financing marketplace (银企融资对接平台).
//!
//! Layers, from the inside out:
//! - [`domain`]: pure types and rules (money, credit codes, roles). No SQL, no HTTP.
//! - [`db`]: the two-backend connection (SQLite / PostgreSQL), migrations, schema and one repo per aggregate.
//! - [`app`]: the use cases: caller, command, one transaction, one `Effects` collector.
//! - [`http`]: thin actix handlers (parse, call one use case, answer), problem+json, the
//!   bearer-token extractor, the OpenAPI document.
//! - [`startup`]: builds the actix `App` and the OpenAPI document from one route registration.

// First, so that `str_enum!` is in scope in every module after it.
#[macro_use]
pub mod domain;
pub mod app;
pub mod catalog;
pub mod config;
pub mod db;
pub mod http;
pub mod jobs;
pub mod seed;
pub mod startup;
pub mod telemetry;
