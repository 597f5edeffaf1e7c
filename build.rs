//! Marks the PostgreSQL test variants `ignored` (with the reason) when no test database is
//! configured, so a run without one says so instead of reporting them as passed.

fn main() {
    println!("cargo::rustc-check-cfg=cfg(no_test_database)");
    println!("cargo::rerun-if-env-changed=TEST_DATABASE_URL");
    println!("cargo::rerun-if-changed=build.rs");
    if std::env::var("TEST_DATABASE_URL").map_or(true, |v| v.is_empty()) {
        println!("cargo::rustc-cfg=no_test_database");
    }
}
