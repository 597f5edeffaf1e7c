//! The finance office's reports as a client reads them, and the check that the rollups every
//! write keeps equal a rebuild from the fact tables.

use serde_json::Value;

use super::TestApp;

/// Every report the finance office can ask for, as JSON.
pub async fn all_reports(app: &TestApp, fo: &str) -> Vec<Value> {
    let today = chrono::Utc::now().date_naive();
    let month = today.format("%Y-%m-01").to_string();
    let mut out = Vec::new();
    for range in [
        String::new(),
        format!("from={today}&to={today}"),
        format!("from={month}"),
        format!("to={today}"),
        "from=2020-01-01&to=2020-12-31".to_owned(),
    ] {
        for report in ["overview", "banks", "bridge-funds"] {
            out.push(
                app.get(&format!("/api/v1/stats/{report}?{range}"), fo)
                    .await
                    .assert_status(200)
                    .clone(),
            );
        }
        for by in [
            "bank",
            "product_type",
            "region",
            "qualification",
            "size_class",
            "month",
            "quarter",
        ] {
            out.push(
                app.get(&format!("/api/v1/stats/breakdown?by={by}&{range}"), fo)
                    .await
                    .assert_status(200)
                    .clone(),
            );
        }
    }
    out
}

/// Every report, as each of `tokens` sees it, is the same after the waiting deltas are folded
/// and again after `rebuild-stats`.
pub async fn assert_rollups_equal_a_rebuild(app: &TestApp, tokens: &[&str]) {
    let mut before = Vec::new();
    for t in tokens {
        before.extend(all_reports(app, t).await);
    }
    // Folding the waiting deltas into the cells changes no figure.
    let url = app._db.url.clone();
    tokio::task::spawn_blocking(move || {
        let mut conn = finmatch::db::DbConnection::open(&url).expect("connect");
        conn.write_transaction(|c| finmatch::db::rollups::fold(c, true))
    })
    .await
    .unwrap()
    .expect("fold");
    let mut folded = Vec::new();
    for t in tokens {
        folded.extend(all_reports(app, t).await);
    }
    assert_eq!(before.len(), folded.len());
    for (b, f) in before.iter().zip(&folded) {
        assert_eq!(b, f);
    }
    let url = app._db.url.clone();
    let cells = tokio::task::spawn_blocking(move || {
        let mut conn = finmatch::db::DbConnection::open(&url).expect("connect");
        finmatch::db::rollups::rebuild(&mut conn)
    })
    .await
    .unwrap()
    .expect("rebuild");
    assert!(cells > 0);
    let mut rebuilt = Vec::new();
    for t in tokens {
        rebuilt.extend(all_reports(app, t).await);
    }
    assert_eq!(before.len(), rebuilt.len());
    for (b, r) in before.iter().zip(&rebuilt) {
        assert_eq!(b, r);
    }
}
