//! Finance-office reporting: totals equal their groups and the loans listed through the API,
//! region scope holds, targets track live figures, exports open.

use serde_json::{json, Value};

use crate::both_backends;
use crate::helpers::*;
use crate::lifecycle::{apply, approval, world, World};

both_backends!(
    totals_equal_their_groups_and_the_loans,
    reports_are_scoped,
    targets_and_exports
);

fn today() -> String {
    chrono::Utc::now().date_naive().to_string()
}

async fn disburse(app: &TestApp, w: &World, amount: &str, rate: &str, first: bool) -> i64 {
    let id = apply(app, w).await;
    app.post(&format!("/api/v1/matches/{id}/accept"), &w.bank, &json!({}))
        .await
        .assert_status(200);
    app.post(
        &format!("/api/v1/matches/{id}/approve"),
        &w.bank,
        &approval(amount),
    )
    .await
    .assert_status(200);
    let body = json!({"amount": amount, "annual_rate": rate, "term_months": 12, "disbursed_on": today(), "first_loan": first});
    app.post(
        &format!("/api/v1/matches/{id}/disbursements"),
        &w.bank,
        &body,
    )
    .await
    .assert_status(201)["id"]
        .as_i64()
        .unwrap()
}

fn fen(v: &Value) -> i64 {
    finmatch::domain::money::Money::parse(v.as_str().unwrap())
        .unwrap()
        .fen()
}

async fn totals_equal_their_groups_and_the_loans(app: TestApp) {
    let w1 = world(&app).await;
    let w2 = world(&app).await;
    disburse(&app, &w1, "3000000.00", "3.50", true).await;
    disburse(&app, &w2, "5000000.00", "4.00", false).await;
    // A demand with a match but no loan, and one without a match.
    let d = app
        .post("/api/v1/demands", &w1.ent, &crate::lifecycle::demand())
        .await
        .body["id"]
        .as_i64()
        .unwrap();
    app.post(
        "/api/v1/matches",
        &w1.ent,
        &json!({"demand_id": d, "product_id": w1.product}),
    )
    .await
    .assert_status(201);
    app.post("/api/v1/demands", &w2.ent, &crate::lifecycle::demand())
        .await
        .assert_status(201);
    let (_, fo) = app.org_with_user("finance_office", Some("37")).await;
    let o = app.get("/api/v1/stats/overview", &fo).await;
    let o = o.assert_status(200).clone();
    assert_eq!(o["loans"]["count"], 2);
    assert_eq!(o["loans"]["amount"], "8000000.00");
    assert_eq!(o["loans"]["enterprises_served"], 2);
    assert_eq!(o["loans"]["first_loan_enterprises"], 1);
    assert_eq!(o["loans"]["first_loan_amount"], "3000000.00");
    // (3,000,000 × 3.50 + 5,000,000 × 4.00) / 8,000,000 = 3.8125
    assert_eq!(o["loans"]["weighted_average_rate"], "3.8125");
    assert_eq!(o["demands"]["count"], 4);
    assert_eq!(o["matches"]["total"], 3);
    assert_eq!(o["matches"]["by_state"]["disbursed"], 2);
    assert_eq!(o["matches"]["by_state"]["applied"], 1);
    // 3 demands have a match, 2 of them a loan; 8,000,000 of 30,000,000 demanded.
    assert_eq!(o["match_success_rate"], "0.6667");
    assert_eq!(o["demand_satisfaction_rate"], "0.2667");
    // The loans the API lists add up to the same total.
    let listed = app.get("/api/v1/loans?limit=200", &fo).await;
    let sum: i64 = listed.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| fen(&l["amount"]))
        .sum();
    assert_eq!(sum, fen(&o["loans"]["amount"]));
    for by in [
        "bank",
        "product_type",
        "region",
        "size_class",
        "month",
        "quarter",
    ] {
        let b = app
            .get(&format!("/api/v1/stats/breakdown?by={by}"), &fo)
            .await;
        let b = b.assert_status(200);
        let groups = b["groups"].as_array().unwrap();
        let amount: i64 = groups.iter().map(|g| fen(&g["loans"]["amount"])).sum();
        let count: u64 = groups
            .iter()
            .map(|g| g["loans"]["count"].as_u64().unwrap())
            .sum();
        assert_eq!((amount, count), (fen(&o["loans"]["amount"]), 2), "{by}");
        assert_eq!(b["total"], o["loans"]);
    }
    app.get("/api/v1/stats/breakdown?by=colour", &fo)
        .await
        .assert_problem(400, "invalid_query");
    let banks = app.get("/api/v1/stats/banks", &fo).await;
    let items = banks.body["items"].as_array().unwrap();
    let disbursed: i64 = items.iter().map(|b| fen(&b["disbursed_amount"])).sum();
    assert_eq!(disbursed, 800_000_000);
    let received: u64 = items
        .iter()
        .map(|b| b["matches_received"].as_u64().unwrap())
        .sum();
    assert_eq!(received, 3);
    assert!(items
        .iter()
        .all(|b| b["median_hours_to_respond"].is_string() || b["matches_received"] == 0));
}

async fn reports_are_scoped(app: TestApp) {
    let w = world(&app).await;
    disburse(&app, &w, "2000000.00", "3.50", true).await;
    let (_, fo_js) = app.org_with_user("finance_office", Some("32")).await;
    let (_, fo_qd) = app.org_with_user("finance_office", Some("3702")).await;
    let o = app.get("/api/v1/stats/overview", &fo_js).await;
    assert_eq!(o.assert_status(200)["loans"]["count"], 0);
    // A region filter never widens the scope.
    let o = app
        .get("/api/v1/stats/overview?region_prefix=37", &fo_js)
        .await;
    assert_eq!(o.body["loans"]["count"], 0);
    let o = app
        .get("/api/v1/stats/overview?region_prefix=37", &fo_qd)
        .await;
    assert_eq!(o.body["loans"]["count"], 1);
    assert_eq!(o.body["region_prefix"], "3702");
    let o = app
        .get("/api/v1/stats/overview?region_prefix=32", &app.admin_token)
        .await;
    assert_eq!(o.body["loans"]["count"], 0);
    let o = app.get("/api/v1/stats/overview", &app.admin_token).await;
    assert_eq!(o.body["loans"]["count"], 1);
    for t in [&w.bank, &w.ent] {
        app.get("/api/v1/stats/overview", t)
            .await
            .assert_problem(403, "forbidden");
        app.get("/api/v1/stats/banks", t)
            .await
            .assert_problem(403, "forbidden");
        app.get("/api/v1/reports/loans.csv", t)
            .await
            .assert_problem(403, "forbidden");
    }
    app.get(
        "/api/v1/stats/overview?from=2026-02-01&to=2026-01-01",
        &fo_qd,
    )
    .await
    .assert_problem(400, "invalid_query");
    app.get("/api/v1/stats/overview?region_prefix=3", &fo_qd)
        .await
        .assert_problem(400, "invalid_query");
    let o = app
        .get(
            "/api/v1/stats/overview?from=2000-01-01&to=2000-12-31",
            &fo_qd,
        )
        .await;
    assert_eq!(
        o.body["loans"]["count"], 0,
        "the window filters by disbursement date"
    );
}

async fn targets_and_exports(app: TestApp) {
    let w = world(&app).await;
    disburse(&app, &w, "3000000.00", "3.50", true).await;
    let (_, fo) = app.org_with_user("finance_office", Some("37")).await;
    let (_, fo_js) = app.org_with_user("finance_office", Some("32")).await;
    let year = &today()[..4];
    let body = json!({"name": "普惠投放", "metric": "disbursed_amount", "value": "12000000.00", "from": format!("{year}-01-01"), "to": format!("{year}-12-31")});
    let r = app.post("/api/v1/targets", &fo, &body).await;
    let t = r.assert_status(201).clone();
    assert_eq!(t["actual"], "3000000.00");
    assert_eq!(t["progress"], "0.2500");
    assert_eq!(t["region_prefix"], "37");
    let id = t["id"].as_i64().unwrap();
    // Live: another loan (another bank, another firm of the region) moves it.
    let w2 = world(&app).await;
    disburse(&app, &w2, "3000000.00", "3.50", false).await;
    let t = app.get(&format!("/api/v1/targets/{id}"), &fo).await;
    assert_eq!(t.body["progress"], "0.5000");
    let banks = json!({"name": "参与银行", "metric": "participating_banks", "value": "10", "from": format!("{year}-01-01"), "to": format!("{year}-12-31")});
    let r = app.post("/api/v1/targets", &fo, &banks).await;
    assert_eq!(r.assert_status(201)["actual"], "2");
    // Scope and validation.
    app.get(&format!("/api/v1/targets/{id}"), &fo_js)
        .await
        .assert_problem(404, "not_found");
    assert!(app.get("/api/v1/targets", &fo_js).await.body["items"]
        .as_array()
        .unwrap()
        .is_empty());
    app.post("/api/v1/targets", &w.bank, &body)
        .await
        .assert_problem(403, "forbidden");
    let mut bad = body.clone();
    bad["value"] = json!("0");
    app.post("/api/v1/targets", &fo, &bad)
        .await
        .assert_problem(422, "validation_failed");
    bad = body.clone();
    bad["region_prefix"] = json!("32");
    app.post("/api/v1/targets", &fo, &bad)
        .await
        .assert_problem(422, "validation_failed");
    bad = body.clone();
    bad["metric"] = json!("happiness");
    app.post("/api/v1/targets", &fo, &bad)
        .await
        .assert_problem(422, "invalid_body");
    // Exports.
    let csv = app
        .client
        .get(format!("{}/api/v1/reports/loans.csv", app.base))
        .bearer_auth(&fo)
        .send()
        .await
        .unwrap();
    assert_eq!(csv.status().as_u16(), 200);
    assert!(csv.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/csv"));
    let text = csv.text().await.unwrap();
    assert!(text.starts_with('\u{feff}'), "BOM for Excel and WPS");
    let lines: Vec<&str> = text.trim_start_matches('\u{feff}').lines().collect();
    assert!(lines[0].starts_with("贷款编号,放款日期,银行"));
    assert_eq!(lines.len(), 3);
    assert!(lines[1].contains("3000000.00"));
    for path in [
        "/api/v1/reports/loans.xlsx",
        "/api/v1/reports/breakdown.xlsx?by=quarter",
    ] {
        let x = app
            .client
            .get(format!("{}{path}", app.base))
            .bearer_auth(&fo)
            .send()
            .await
            .unwrap();
        assert_eq!(x.status().as_u16(), 200, "{path}");
        assert!(x.headers()["content-type"]
            .to_str()
            .unwrap()
            .contains("spreadsheetml"));
        let bytes = x.bytes().await.unwrap();
        assert_eq!(&bytes[..2], b"PK", "an xlsx is a zip");
    }
}
