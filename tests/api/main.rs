//! Black-box tests over HTTP. Every test runs on SQLite and, with `TEST_DATABASE_URL`, on
//! PostgreSQL (`FINMATCH_REQUIRE_POSTGRES=1` makes the PostgreSQL half mandatory, as CI does).

mod console;
mod contract;
mod helpers;

mod auth;
mod awards;
mod bridges;
mod demands;
mod enterprises;
mod errors;
mod idempotency;
mod lifecycle;
mod matching;
mod openapi;
mod operations;
mod organizations;
mod policies_v2;
mod products;
mod races;
mod renewals;
mod risk;
mod schema;
mod seed;
mod servicing;
mod stats;
mod stored;
mod subsidies;
mod usecases;
mod webhooks;

/// `FINMATCH_REQUIRE_POSTGRES=1` (as in CI) turns "PostgreSQL variants ignored" into a failure.
#[test]
fn postgres_variants_run_when_required() {
    let required = std::env::var("FINMATCH_REQUIRE_POSTGRES").is_ok_and(|v| v == "1");
    assert!(
        !(required && cfg!(no_test_database)),
        "FINMATCH_REQUIRE_POSTGRES=1 but the tests were built without TEST_DATABASE_URL"
    );
}
