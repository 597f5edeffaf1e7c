//! Bridge funds over HTTP (SPEC §3.14): a bridge from request to repayment with its exact fee,
//! every refusal, the once-only overdue notice, and concurrent approvals that never overdraw.

use chrono::{Days, NaiveDate};
use serde_json::{json, Value};

use crate::both_backends;
use crate::helpers::*;

both_backends!(
    a_bridge_from_request_to_repayment,
    bridge_refusals,
    concurrent_approvals_never_overdraw,
    one_live_bridge_per_renewal,
);

fn today() -> NaiveDate {
    chrono::Utc::now().date_naive()
}

fn ago(n: u64) -> String {
    today().checked_sub_days(Days::new(n)).unwrap().to_string()
}

fn fund(capital: &str) -> Value {
    json!({"name": "青岛市转贷引导基金", "capital": capital, "daily_fee_rate": "0.02", "max_days": 30,
           "max_amount": "10000000.00", "max_share_of_renewal": "95"})
}

/// A loan 100 days old with an approved renewal of 8,000,000; (world, loan, renewal, office).
async fn renewed(app: &TestApp) -> (World, i64, i64, String) {
    let (w, loan) = loan_on(app, today().checked_sub_days(Days::new(100)).unwrap()).await;
    let (_, fo) = app.org_with_user("finance_office", Some("37")).await;
    let r = app
        .post(
            &format!("/api/v1/loans/{loan}/renewals"),
            &w.ent,
            &json!({"amount": "8000000.00", "term_months": 12, "no_principal_repayment": true}),
        )
        .await;
    let renewal = r.assert_status(201)["id"].as_i64().unwrap();
    app.post(
        &format!("/api/v1/renewals/{renewal}/approve"),
        &w.bank,
        &json!({"approved_amount": "8000000.00", "annual_rate": "3.45", "term_months": 12}),
    )
    .await
    .assert_status(200);
    (w, loan, renewal, fo)
}

async fn create_fund(app: &TestApp, fo: &str, capital: &str) -> i64 {
    app.post("/api/v1/bridge-funds", fo, &fund(capital))
        .await
        .assert_status(201)["id"]
        .as_i64()
        .unwrap()
}

async fn available(app: &TestApp, token: &str, fund: i64) -> String {
    app.get(&format!("/api/v1/bridge-funds/{fund}"), token)
        .await
        .assert_status(200)["available"]
        .as_str()
        .unwrap()
        .to_owned()
}

async fn a_bridge_from_request_to_repayment(app: TestApp) {
    let (w, loan, renewal, fo) = renewed(&app).await;
    let fund_id = create_fund(&app, &fo, "20000000.00").await;
    let f = app
        .get(&format!("/api/v1/bridge-funds/{fund_id}"), &w.ent)
        .await;
    let f = f.assert_status(200);
    assert_eq!(f["region_prefix"], "37");
    assert_eq!(f["available"], "20000000.00");
    let hook = app
        .post(
            "/api/v1/webhooks",
            &w.ent,
            &json!({"url": "http://127.0.0.1:9/hook", "events": ["bridge_loan.overdue"]}),
        )
        .await
        .assert_status(201)["id"]
        .as_i64()
        .unwrap();
    // 95 % of the 8,000,000 renewal is 7,600,000: the most this fund lends on it.
    let b = app
        .post(
            "/api/v1/bridge-loans",
            &w.ent,
            &json!({"fund_id": fund_id, "loan_id": loan, "renewal_id": renewal, "amount": "7600000.00", "days": 15}),
        )
        .await;
    let b = b.assert_status(201).clone();
    let id = b["id"].as_i64().unwrap();
    assert_eq!(b["state"], "requested");
    assert_eq!(available(&app, &fo, fund_id).await, "20000000.00");
    let path = |a: &str| format!("/api/v1/bridge-loans/{id}/{a}");
    let a = app.post(&path("approve"), &fo, &json!({})).await;
    assert_eq!(a.assert_status(200)["state"], "approved");
    assert_eq!(available(&app, &fo, fund_id).await, "12400000.00");
    let d = app
        .post(&path("disburse"), &fo, &json!({"on": ago(20)}))
        .await;
    let d = d.assert_status(200);
    assert_eq!(d["state"], "disbursed");
    assert_eq!(d["due_on"], ago(5));
    // Out past its due date: marked overdue and announced once, whatever the scans.
    assert_eq!(finmatch::jobs::overdue::scan(&app.pool).unwrap(), 1);
    assert_eq!(finmatch::jobs::overdue::scan(&app.pool).unwrap(), 0);
    let g = app.get(&format!("/api/v1/bridge-loans/{id}"), &w.ent).await;
    assert_eq!(g.assert_status(200)["state"], "overdue");
    let log = app
        .get(&format!("/api/v1/webhooks/{hook}/deliveries"), &w.ent)
        .await;
    assert_eq!(log.body["items"].as_array().unwrap().len(), 1);
    // Repaid today, 20 days after it went out: 7,600,000 × 0.02 % × 20 = 30,400.00.
    let r = app
        .post(&path("repay"), &fo, &json!({"on": today().to_string()}))
        .await;
    let r = r.assert_status(200);
    assert_eq!(r["state"], "repaid");
    assert_eq!(r["fee"], "30400.00");
    let steps: Vec<&str> = r["fee_breakdown"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["step"].as_str().unwrap())
        .collect();
    assert!(steps.contains(&"days used (first day counted, last not)"));
    assert_eq!(available(&app, &fo, fund_id).await, "20000000.00");
    // The fund's report line: one bridge repaid after 20 days, 7,600,000 lent out of 20,000,000.
    let rep = app.get("/api/v1/stats/bridge-funds", &fo).await;
    let line = rep.assert_status(200)["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["fund_id"] == json!(fund_id))
        .cloned()
        .unwrap();
    assert_eq!(
        line,
        json!({"fund_id": fund_id, "name": "青岛市转贷引导基金", "capital": "20000000.00",
               "available": "20000000.00", "utilisation": "0.0000", "bridges": 1,
               "by_state": {"repaid": 1}, "turnover": "7600000.00", "turnover_times": "0.3800",
               "fees": "30400.00", "median_days": "20.0"})
    );
    // Another province's office sees the fund (it is for 37) not at all.
    let (_, js) = app.org_with_user("finance_office", Some("32")).await;
    let theirs = app.get("/api/v1/stats/bridge-funds", &js).await;
    assert!(theirs.assert_status(200)["items"]
        .as_array()
        .unwrap()
        .iter()
        .all(|f| f["fund_id"] != json!(fund_id)));
    app.get("/api/v1/stats/bridge-funds", &w.bank)
        .await
        .assert_problem(403, "forbidden");
    assert_rollups_equal_a_rebuild(&app, &[&fo]).await;
    // The bank sees the bridge of its loan; another enterprise does not.
    app.get(&format!("/api/v1/bridge-loans/{id}"), &w.bank)
        .await
        .assert_status(200);
    let (_, other) = app.enterprise("370202").await;
    app.get(&format!("/api/v1/bridge-loans/{id}"), &other)
        .await
        .assert_problem(404, "not_found");
}

async fn bridge_refusals(app: TestApp) {
    let (w, loan, renewal, fo) = renewed(&app).await;
    let mut small = fund("5000000.00");
    small["max_amount"] = json!("3000000.00");
    let fund_id = app
        .post("/api/v1/bridge-funds", &fo, &small)
        .await
        .assert_status(201)["id"]
        .as_i64()
        .unwrap();
    // Only an office or an admin publishes funds; an office only in its region.
    app.post("/api/v1/bridge-funds", &w.bank, &fund("1.00"))
        .await
        .assert_problem(403, "forbidden");
    let mut elsewhere = fund("1000000.00");
    elsewhere["region_prefix"] = json!("32");
    app.post("/api/v1/bridge-funds", &fo, &elsewhere)
        .await
        .assert_problem(422, "validation_failed");
    // Every failing cap is listed: above the fund's maximum, above 95 % of the renewal
    // (7,600,000), above the outstanding (10,000,000 is not), and too many days.
    let r = app
        .post(
            "/api/v1/bridge-loans",
            &w.ent,
            &json!({"fund_id": fund_id, "loan_id": loan, "renewal_id": renewal, "amount": "7600000.01", "days": 31}),
        )
        .await;
    r.assert_problem(422, "not_eligible");
    let fields: Vec<&str> = r.body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, vec!["amount", "amount", "days"], "{}", r.body);
    // A fund for another region: the region reason.
    let admin = app.login("admin", ADMIN_PASSWORD).await;
    let mut far = fund("1000000.00");
    far["region_prefix"] = json!("32");
    let far = app
        .post("/api/v1/bridge-funds", &admin, &far)
        .await
        .assert_status(201)["id"]
        .as_i64()
        .unwrap();
    let r = app
        .post(
            "/api/v1/bridge-loans",
            &w.ent,
            &json!({"fund_id": far, "loan_id": loan, "renewal_id": renewal, "amount": "1000.00", "days": 5}),
        )
        .await;
    r.assert_problem(422, "not_eligible");
    assert_eq!(r.body["errors"][0]["field"], "fund_id");
    // Only the enterprise asks.
    app.post(
        "/api/v1/bridge-loans",
        &w.bank,
        &json!({"fund_id": fund_id, "loan_id": loan, "renewal_id": renewal, "amount": "1000.00", "days": 5}),
    )
    .await
    .assert_problem(403, "forbidden");
    let b = app
        .post(
            "/api/v1/bridge-loans",
            &w.ent,
            &json!({"fund_id": fund_id, "loan_id": loan, "renewal_id": renewal, "amount": "3000000.00", "days": 10}),
        )
        .await;
    let id = b.assert_status(201)["id"].as_i64().unwrap();
    let path = |a: &str| format!("/api/v1/bridge-loans/{id}/{a}");
    app.post(&path("approve"), &w.bank, &json!({}))
        .await
        .assert_problem(403, "forbidden");
    app.post(&path("disburse"), &fo, &json!({"on": today().to_string()}))
        .await
        .assert_problem(409, "invalid_transition");
    app.post(&path("reject"), &fo, &json!({"reason": " "}))
        .await
        .assert_problem(422, "validation_failed");
    app.post(&path("approve"), &fo, &json!({}))
        .await
        .assert_status(200);
    app.post(&path("approve"), &fo, &json!({}))
        .await
        .assert_problem(409, "invalid_transition");
    let tomorrow = today().checked_add_days(Days::new(1)).unwrap().to_string();
    app.post(&path("disburse"), &fo, &json!({"on": tomorrow}))
        .await
        .assert_problem(422, "validation_failed");
    app.post(&path("disburse"), &fo, &json!({"on": ago(3)}))
        .await
        .assert_status(200);
    app.post(&path("repay"), &fo, &json!({"on": ago(4)}))
        .await
        .assert_problem(422, "validation_failed");
    assert_eq!(available(&app, &fo, fund_id).await, "2000000.00");
}

/// `n` loans of 500,000 on one match, 100 days old, each with an approved renewal; (world,
/// [(loan, renewal)], office).
async fn renewed_loans(app: &TestApp, n: usize) -> (World, Vec<(i64, i64)>, String) {
    let w = world(app).await;
    let (_, fo) = app.org_with_user("finance_office", Some("37")).await;
    let m = apply(app, &w).await;
    app.post(&format!("/api/v1/matches/{m}/accept"), &w.bank, &json!({}))
        .await
        .assert_status(200);
    app.post(
        &format!("/api/v1/matches/{m}/approve"),
        &w.bank,
        &approval("10000000.00"),
    )
    .await
    .assert_status(200);
    let mut out = Vec::new();
    for _ in 0..n {
        let l = app
            .post(
                &format!("/api/v1/matches/{m}/disbursements"),
                &w.bank,
                &json!({"amount": "500000.00", "annual_rate": "3.65", "term_months": 12, "disbursed_on": ago(100), "first_loan": false}),
            )
            .await;
        let loan = l.assert_status(201)["id"].as_i64().unwrap();
        let r = app
            .post(
                &format!("/api/v1/loans/{loan}/renewals"),
                &w.ent,
                &json!({"amount": "500000.00", "term_months": 12, "no_principal_repayment": true}),
            )
            .await;
        let renewal = r.assert_status(201)["id"].as_i64().unwrap();
        app.post(
            &format!("/api/v1/renewals/{renewal}/approve"),
            &w.bank,
            &json!({"approved_amount": "500000.00", "annual_rate": "3.45", "term_months": 12}),
        )
        .await
        .assert_status(200);
        out.push((loan, renewal));
    }
    (w, out, fo)
}

async fn concurrent_approvals_never_overdraw(app: TestApp) {
    let (w, renewals, fo) = renewed_loans(&app, 20).await;
    let fund_id = create_fund(&app, &fo, "4000000.00").await;
    let mut ids = Vec::new();
    for (loan, renewal) in renewals {
        let b = app
            .post(
                "/api/v1/bridge-loans",
                &w.ent,
                &json!({"fund_id": fund_id, "loan_id": loan, "renewal_id": renewal, "amount": "400000.00", "days": 10}),
            )
            .await;
        ids.push(b.assert_status(201)["id"].as_i64().unwrap());
    }
    let client = reqwest::Client::new();
    let tasks: Vec<_> = ids
        .iter()
        .map(|id| {
            let (client, base, fo) = (client.clone(), app.base.clone(), fo.clone());
            let id = *id;
            tokio::spawn(async move {
                let r = client
                    .post(format!("{base}/api/v1/bridge-loans/{id}/approve"))
                    .bearer_auth(fo)
                    .send()
                    .await
                    .unwrap();
                let status = r.status().as_u16();
                let body: Value = r.json().await.unwrap_or(Value::Null);
                (status, body["code"].as_str().unwrap_or("").to_owned())
            })
        })
        .collect();
    let mut ok = 0;
    for t in tasks {
        match t.await.unwrap() {
            (200, _) => ok += 1,
            (409, code) => assert_eq!(code, "fund_exhausted"),
            other => panic!("unexpected {other:?}"),
        }
    }
    assert_eq!(ok, 10);
    assert_eq!(available(&app, &fo, fund_id).await, "0.00");
    let approved = app
        .get(
            &format!("/api/v1/bridge-loans?state=approved&fund_id={fund_id}"),
            &fo,
        )
        .await;
    assert_eq!(
        approved.assert_status(200)["items"]
            .as_array()
            .unwrap()
            .len(),
        10
    );
}

/// A renewal is bridged once: a second request while one is live is 409, however many race;
/// after a rejection the enterprise may ask again.
async fn one_live_bridge_per_renewal(app: TestApp) {
    let (w, loan, renewal, fo) = renewed(&app).await;
    let fund_id = create_fund(&app, &fo, "20000000.00").await;
    let body = json!({"fund_id": fund_id, "loan_id": loan, "renewal_id": renewal, "amount": "1000000.00", "days": 10});
    let client = reqwest::Client::new();
    let tasks: Vec<_> = (0..8)
        .map(|_| {
            let (client, base, ent, body) = (
                client.clone(),
                app.base.clone(),
                w.ent.clone(),
                body.clone(),
            );
            tokio::spawn(async move {
                let r = client
                    .post(format!("{base}/api/v1/bridge-loans"))
                    .bearer_auth(ent)
                    .json(&body)
                    .send()
                    .await
                    .unwrap();
                let status = r.status().as_u16();
                let b: Value = r.json().await.unwrap_or(Value::Null);
                (
                    status,
                    b["code"].as_str().unwrap_or("").to_owned(),
                    b["id"].as_i64(),
                )
            })
        })
        .collect();
    let mut created = Vec::new();
    for t in tasks {
        match t.await.unwrap() {
            (201, _, Some(id)) => created.push(id),
            (409, code, _) => assert_eq!(code, "conflict"),
            other => panic!("unexpected {other:?}"),
        }
    }
    assert_eq!(created.len(), 1, "{created:?}");
    let id = created[0];
    app.post(
        &format!("/api/v1/bridge-loans/{id}/reject"),
        &fo,
        &json!({"reason": "材料不全"}),
    )
    .await
    .assert_status(200);
    app.post("/api/v1/bridge-loans", &w.ent, &body)
        .await
        .assert_status(201);
    app.post("/api/v1/bridge-loans", &w.ent, &body)
        .await
        .assert_problem(409, "conflict");
    let all = app
        .get(&format!("/api/v1/bridge-loans?fund_id={fund_id}"), &fo)
        .await;
    assert_eq!(all.assert_status(200)["items"].as_array().unwrap().len(), 2);
}
