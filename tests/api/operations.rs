//! Operations over HTTP: rate limits per token and per address, the handler deadline, the
//! operator's metrics, and backup/restore of the embedded database.

use std::time::{Duration, Instant};

use serde_json::json;

use crate::both_backends;
use crate::helpers::*;

both_backends!(
    api_clients_are_rate_limited_per_token_and_per_address,
    a_request_past_its_time_answers_503_with_retry_after,
    metrics_show_the_pool_the_outbox_and_refusals,
    a_backup_restores_what_was_written_before_it,
);

fn sample(text: &str, series: &str) -> Option<f64> {
    text.lines()
        .find(|l| l.starts_with(series))
        .and_then(|l| l.rsplit(' ').next())
        .and_then(|v| v.parse().ok())
}

/// The Prometheus text of a metrics listener.
async fn scrape(app: &TestApp, port: u16) -> String {
    let r = app
        .client
        .get(format!("http://127.0.0.1:{port}/metrics"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    r.text().await.unwrap()
}

fn demand() -> serde_json::Value {
    json!({
        "amount": "5000000.00",
        "term_months": 12,
        "purpose": "equipment",
        "guarantee_methods": ["credit"],
        "description": "运维测试"
    })
}

/// 60 a minute is a burst of 10: the 11th call of a token is 429 with `Retry-After`, while
/// another token and the anonymous calls of another address go on.
async fn api_clients_are_rate_limited_per_token_and_per_address(app: TestApp) {
    let (_, ent_a) = app.enterprise("370202").await;
    let (_, ent_b) = app.enterprise("370203").await;
    let (base, metrics) = app
        .sibling_serving(&[
            ("FINMATCH_RATE_LIMIT", "60"),
            ("FINMATCH_RATE_LIMIT_ANON", "60"),
            ("FINMATCH_METRICS_LISTEN", "127.0.0.1:0"),
        ])
        .await;
    let me = format!("{base}/api/v1/me");
    for _ in 0..10 {
        app.get(&me, &ent_a).await.assert_status(200);
    }
    let r = app.get(&me, &ent_a).await;
    r.assert_problem(429, "too_many_requests");
    let wait: u64 = r.headers["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((1..=2).contains(&wait), "Retry-After {wait}");
    // Another token is not slowed by the first one's loop.
    app.get(&me, &ent_b).await.assert_status(200);
    // Anonymous calls count per address; a garbage bearer token is anonymous too.
    let doc = format!("{base}/api/v1/openapi.json");
    let anon = |headers: Vec<(&'static str, &'static str)>| {
        let (client, doc) = (app.client.clone(), doc.clone());
        async move {
            let mut req = client.get(&doc);
            for (k, v) in headers {
                req = req.header(k, v);
            }
            req.send().await.unwrap()
        }
    };
    for _ in 0..10 {
        assert_eq!(
            anon(vec![("x-forwarded-for", "203.0.113.7")])
                .await
                .status(),
            200
        );
    }
    let refused = anon(vec![
        ("x-forwarded-for", "203.0.113.7"),
        ("authorization", "Bearer not-a-token"),
    ])
    .await;
    assert_eq!(refused.status(), 429);
    assert!(refused.headers().contains_key("retry-after"));
    assert_eq!(
        anon(vec![("x-forwarded-for", "203.0.113.8")])
            .await
            .status(),
        200,
        "another address has its own budget"
    );
    // Probes are never limited.
    for _ in 0..15 {
        let r = app
            .client
            .get(format!("{base}/healthz"))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
    }
    let text = scrape(&app, metrics.unwrap()).await;
    assert!(
        sample(&text, r#"finmatch_rate_limited_total{kind="token"}"#).unwrap_or(0.0) >= 1.0,
        "{text}"
    );
    assert!(
        sample(&text, r#"finmatch_rate_limited_total{kind="address"}"#).unwrap_or(0.0) >= 1.0,
        "{text}"
    );
}

/// A write that cannot get the database within `FINMATCH_REQUEST_TIMEOUT_MS` answers 503
/// with `Retry-After` at the deadline, not when the database lets go.
async fn a_request_past_its_time_answers_503_with_retry_after(app: TestApp) {
    let (_, ent) = app.enterprise("370202").await;
    let base = app
        .sibling_with(&[("FINMATCH_REQUEST_TIMEOUT_MS", "300")])
        .await;
    // Hold the demands table for 2 s (SQLite: this process's writer slot; PostgreSQL: a lock
    // every writer of demands waits for).
    let pool = app.pool.clone();
    let postgres = app.backend == finmatch::db::Backend::Postgres;
    let (held_tx, held_rx) = std::sync::mpsc::channel();
    let holder = std::thread::spawn(move || {
        let mut conn = pool.get().unwrap();
        conn.write_transaction(|c| {
            if postgres {
                use diesel::connection::SimpleConnection;
                c.batch_execute("LOCK TABLE demands IN EXCLUSIVE MODE")?;
            }
            held_tx.send(()).unwrap();
            std::thread::sleep(Duration::from_secs(2));
            diesel::QueryResult::Ok(())
        })
        .unwrap();
    });
    held_rx.recv().unwrap();
    let started = Instant::now();
    let r = app
        .post(&format!("{base}/api/v1/demands"), &ent, &demand())
        .await;
    let took = started.elapsed();
    r.assert_problem(503, "service_unavailable");
    assert!(r.headers.contains_key("retry-after"));
    assert!(
        took < Duration::from_millis(1500),
        "answered after {took:?}"
    );
    holder.join().unwrap();
    // The API answers again at once.
    app.get(&format!("{base}/api/v1/demands"), &ent)
        .await
        .assert_status(200);
}

/// The operator's figures: pool size and use, waits for a connection, the webhook outbox's
/// backlog and the age of its oldest delivery, and what housekeeping purged.
async fn metrics_show_the_pool_the_outbox_and_refusals(app: TestApp) {
    let (_, bank) = app.org_with_user("bank", None).await;
    // A subscription and an event to deliver: no delivery worker runs in the tests, so the
    // delivery waits in the outbox.
    app.post(
        "/api/v1/webhooks",
        &bank,
        &json!({"url": "http://127.0.0.1:9/hook", "events": ["demand.eligible"]}),
    )
    .await
    .assert_status(201);
    app.post(
        "/api/v1/products",
        &bank,
        &json!({
            "name": "运维贷", "description": "", "product_type": "credit",
            "min_amount": "1000000.00", "max_amount": "9000000.00",
            "min_term_months": 6, "max_term_months": 36,
            "min_rate": "3.10", "max_rate": "4.50",
            "guarantee_methods": ["credit"], "status": "active"
        }),
    )
    .await
    .assert_status(201);
    let (_, ent) = app.enterprise("370202").await;
    app.post("/api/v1/demands", &ent, &demand())
        .await
        .assert_status(201);
    let pool = app.pool.clone();
    tokio::task::spawn_blocking(move || finmatch::jobs::housekeeping(&pool).unwrap())
        .await
        .unwrap();
    let (_, port) = app
        .sibling_serving(&[
            ("FINMATCH_METRICS_LISTEN", "127.0.0.1:0"),
            ("FINMATCH_DB_POOL_SIZE", "3"),
        ])
        .await;
    let text = scrape(&app, port.unwrap()).await;
    assert_eq!(
        sample(&text, "finmatch_db_pool_max_connections"),
        Some(3.0),
        "{text}"
    );
    assert!(
        sample(&text, "finmatch_db_pool_in_use_connections").is_some(),
        "{text}"
    );
    assert!(
        sample(&text, "finmatch_db_pool_wait_seconds_count").unwrap_or(0.0) >= 1.0,
        "{text}"
    );
    assert!(
        sample(&text, "finmatch_outbox_pending").unwrap_or(0.0) >= 1.0,
        "{text}"
    );
    assert!(
        sample(&text, "finmatch_outbox_oldest_pending_age_seconds").is_some(),
        "{text}"
    );
    assert!(
        text.contains(r#"finmatch_housekeeping_purged_total{kind="outbox"}"#),
        "{text}"
    );
    assert!(text.contains("# HELP finmatch_outbox_pending"), "{text}");
}

/// `backup` copies the live database; `restore` puts it back — refused while a server holds
/// the database — and the restored copy has exactly what was written before the backup.
/// PostgreSQL is backed up with pg_dump: the commands say so.
async fn a_backup_restores_what_was_written_before_it(app: TestApp) {
    let (_, ent) = app.enterprise("370202").await;
    for _ in 0..3 {
        app.post("/api/v1/demands", &ent, &demand())
            .await
            .assert_status(201);
    }
    let url = app._db.url.clone();
    let dir = std::env::temp_dir().join(format!(
        "finmatch-backup-{}-{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("backup.db");
    let (u, f) = (url.clone(), file.clone());
    let made = tokio::task::spawn_blocking(move || finmatch::db::backup::backup(&u, &f))
        .await
        .unwrap();
    if app.backend == finmatch::db::Backend::Postgres {
        let e = made.unwrap_err().to_string();
        assert!(e.contains("pg_dump"), "{e}");
        let _ = std::fs::remove_dir_all(&dir);
        return;
    }
    assert!(made.unwrap() > 0);
    // Written after the backup: not in it.
    app.post("/api/v1/demands", &ent, &demand())
        .await
        .assert_status(201);
    // Not over a database a server holds.
    let serving = finmatch::db::backup::serve_lock(&url).unwrap();
    let e = finmatch::db::backup::restore(&url, &file)
        .unwrap_err()
        .to_string();
    assert!(e.contains("in use"), "{e}");
    drop(serving);
    // Into a new place, then counted there.
    let target =
        finmatch::db::DatabaseUrl::Sqlite(dir.join("restored.db").to_string_lossy().into_owned());
    finmatch::db::backup::restore(&target, &file).unwrap();
    let pool = finmatch::db::build_pool(&target, 1, Duration::from_secs(5)).unwrap();
    use diesel::prelude::*;
    let demands: i64 = finmatch::db::schema::demands::table
        .count()
        .get_result(&mut pool.get().unwrap())
        .unwrap();
    assert_eq!(demands, 3);
    // A file that is not a finmatch database is refused and changes nothing.
    let junk = dir.join("junk.db");
    std::fs::write(&junk, b"not a database").unwrap();
    let e = finmatch::db::backup::restore(&target, &junk)
        .unwrap_err()
        .to_string();
    assert!(e.contains("not an SQLite database"), "{e}");
    let again: i64 = finmatch::db::schema::demands::table
        .count()
        .get_result(&mut pool.get().unwrap())
        .unwrap();
    assert_eq!(again, 3);
    drop(pool);
    let _ = std::fs::remove_dir_all(&dir);
}
