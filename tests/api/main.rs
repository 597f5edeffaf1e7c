//! Black-box tests over HTTP. Every test runs on SQLite and, with `TEST_DATABASE_URL`, on
//! PostgreSQL (`FINMATCH_REQUIRE_POSTGRES=1` makes the PostgreSQL half mandatory, as CI does).

mod helpers;

mod auth;
mod demands;
mod enterprises;
mod errors;
mod idempotency;
mod lifecycle;
mod matching;
mod openapi;
mod organizations;
mod products;
mod schema;
mod stats;
mod subsidies;
mod webhooks;
