//! HTTP layer: one handler module per resource. A handler parses the request (extractors,
//! the bearer token, `Idempotency-Key`), calls its use case in `app` and renders the answer or
//! the problem+json error; no transaction and no SQL live here.

pub mod auth;
pub mod bridges;
pub mod calendar;
pub mod console;
pub mod demands;
pub mod enterprises;
pub mod error;
pub mod extract;
pub mod fallback;
pub mod health;
pub mod idempotency;
pub mod limits;
pub mod loans;
pub mod matches;
pub mod matching;
pub mod metrics;
pub mod openapi;
pub mod organizations;
pub mod products;
pub mod renewals;
pub mod reports;
pub mod risk;
pub mod session;
pub mod subsidies;
pub mod webhooks;
pub mod zh;
