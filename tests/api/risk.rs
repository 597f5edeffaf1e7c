//! Risk schemes over HTTP (SPEC §3.15): publishing with every broken rule listed, enrolling
//! loans within capacity (20 concurrent enrollments never exceed it), and every refusal.

use chrono::{Days, NaiveDate};
use serde_json::{json, Value};

use crate::both_backends;
use crate::helpers::*;

both_backends!(
    a_scheme_enrolls_loans_within_capacity,
    scheme_and_enrollment_refusals,
    concurrent_enrollments_never_exceed_capacity,
    a_claim_from_npl_to_recovery,
    concurrent_approvals_never_overdraw_the_pool,
    catalogs_narrow_to_a_region,
);

fn today() -> NaiveDate {
    chrono::Utc::now().date_naive()
}

/// 安徽 "4321" with a capital of `capital` and a leverage of 10.
fn scheme(capital: &str) -> Value {
    scheme_levered(capital, "10")
}

fn scheme_levered(capital: &str, leverage: &str) -> Value {
    json!({"name": "政银担4321", "kind": "risk_sharing", "capital": capital, "leverage": leverage,
           "shares": {"government": "10", "guarantor": "40", "reguarantor": "30", "bank": "20"},
           "max_compensation_percent": "100", "effective_from": "2020-01-01"})
}

async fn a_scheme_enrolls_loans_within_capacity(app: TestApp) {
    let (w, loan) = loan_on(&app, today().checked_sub_days(Days::new(30)).unwrap()).await;
    let (_, fo) = app.org_with_user("finance_office", Some("37")).await;
    let s = app
        .post("/api/v1/risk-schemes", &fo, &scheme("1500000.00"))
        .await;
    let s = s.assert_status(201).clone();
    let id = s["id"].as_i64().unwrap();
    assert_eq!(s["region_prefix"], "37");
    assert_eq!(s["capacity"], "15000000.00");
    assert_eq!(s["enrolled"], "0.00");
    assert_eq!(s["leverage"], "10");
    assert_eq!(s["shares"]["guarantor"], "40.00");
    // The loan's bank enrolls it: its 10,000,000 outstanding is taken from the capacity.
    let e = app
        .post(
            &format!("/api/v1/risk-schemes/{id}/enrollments"),
            &w.bank,
            &json!({"loan_id": loan}),
        )
        .await;
    let e = e.assert_status(201).clone();
    assert_eq!(e["principal"], "10000000.00");
    assert_eq!(e["loan_id"].as_i64(), Some(loan));
    let g = app.get(&format!("/api/v1/risk-schemes/{id}"), &w.ent).await;
    assert_eq!(g.assert_status(200)["enrolled"], "10000000.00");
    // Once per loan.
    app.post(
        &format!("/api/v1/risk-schemes/{id}/enrollments"),
        &fo,
        &json!({"loan_id": loan}),
    )
    .await
    .assert_problem(409, "conflict");
    // A second 10,000,000 loan does not fit the 5,000,000 left.
    let (w2, loan2) = loan_on(&app, today().checked_sub_days(Days::new(30)).unwrap()).await;
    let r = app
        .post(
            &format!("/api/v1/risk-schemes/{id}/enrollments"),
            &w2.bank,
            &json!({"loan_id": loan2}),
        )
        .await;
    r.assert_problem(409, "scheme_capacity_exceeded");
    let g = app.get(&format!("/api/v1/risk-schemes/{id}"), &fo).await;
    assert_eq!(g.assert_status(200)["enrolled"], "10000000.00");
    // A repayment of 5,000,000 frees that much: now the second loan fits.
    app.post(
        &format!("/api/v1/loans/{loan}/events"),
        &w.bank,
        &json!({"kind": "repayment", "on": today().to_string(), "principal": "5000000.00"}),
    )
    .await
    .assert_status(201);
    let g = app.get(&format!("/api/v1/risk-schemes/{id}"), &fo).await;
    assert_eq!(g.assert_status(200)["enrolled"], "5000000.00");
    app.post(
        &format!("/api/v1/risk-schemes/{id}/enrollments"),
        &w2.bank,
        &json!({"loan_id": loan2}),
    )
    .await
    .assert_status(201);
    let g = app.get(&format!("/api/v1/risk-schemes/{id}"), &fo).await;
    assert_eq!(g.assert_status(200)["enrolled"], "15000000.00");
    // Who sees the enrollments: the office and the loan's bank; another bank none.
    for (t, n) in [(&fo, 2), (&w.bank, 1), (&w2.bank, 1)] {
        let l = app
            .get(&format!("/api/v1/risk-schemes/{id}/enrollments"), t)
            .await;
        assert_eq!(l.assert_status(200)["items"].as_array().unwrap().len(), n);
    }
    let all = app.get("/api/v1/risk-schemes", &w.bank).await;
    assert!(all.assert_status(200)["items"]
        .as_array()
        .unwrap()
        .iter()
        .any(|s| s["id"].as_i64() == Some(id)));
}

async fn scheme_and_enrollment_refusals(app: TestApp) {
    let (w, loan) = loan_on(&app, today().checked_sub_days(Days::new(30)).unwrap()).await;
    let (_, fo) = app.org_with_user("finance_office", Some("37")).await;
    // Every broken rule at once.
    let mut bad = scheme("1000000.00");
    bad["shares"]["bank"] = json!("25");
    bad["leverage"] = json!("0.5");
    bad["max_compensation_percent"] = json!("0");
    bad["per_loan_cap"] = json!("0.00");
    let r = app.post("/api/v1/risk-schemes", &fo, &bad).await;
    r.assert_problem(422, "validation_failed");
    let mut fields: Vec<&str> = r.body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    fields.sort();
    assert_eq!(
        fields,
        vec![
            "leverage",
            "max_compensation_percent",
            "per_loan_cap",
            "shares"
        ],
        "{}",
        r.body
    );
    // Only an office (in its region) or the admin publishes.
    app.post("/api/v1/risk-schemes", &w.bank, &scheme("1.00"))
        .await
        .assert_problem(403, "forbidden");
    let mut elsewhere = scheme("1000000.00");
    elsewhere["region_prefix"] = json!("32");
    app.post("/api/v1/risk-schemes", &fo, &elsewhere)
        .await
        .assert_problem(422, "validation_failed");
    let id = app
        .post("/api/v1/risk-schemes", &fo, &scheme("10000000.00"))
        .await
        .assert_status(201)["id"]
        .as_i64()
        .unwrap();
    let path = format!("/api/v1/risk-schemes/{id}/enrollments");
    // The enterprise does not enroll; another bank does not see the loan.
    app.post(&path, &w.ent, &json!({"loan_id": loan}))
        .await
        .assert_problem(403, "forbidden");
    let (_, other_bank) = app.org_with_user("bank", None).await;
    app.post(&path, &other_bank, &json!({"loan_id": loan}))
        .await
        .assert_problem(404, "not_found");
    app.post(
        "/api/v1/risk-schemes/999999/enrollments",
        &fo,
        &json!({"loan_id": loan}),
    )
    .await
    .assert_problem(404, "not_found");
    // A scheme of another region: the loan is not eligible, the reason says why.
    let admin = app.login("admin", ADMIN_PASSWORD).await;
    let mut far = scheme("10000000.00");
    far["region_prefix"] = json!("32");
    let far = app
        .post("/api/v1/risk-schemes", &admin, &far)
        .await
        .assert_status(201)["id"]
        .as_i64()
        .unwrap();
    let r = app
        .post(
            &format!("/api/v1/risk-schemes/{far}/enrollments"),
            &w.bank,
            &json!({"loan_id": loan}),
        )
        .await;
    r.assert_problem(422, "not_eligible");
    assert_eq!(r.body["errors"][0]["field"], "loan_id");
    // An overdue loan is not enrolled.
    app.post(
        &format!("/api/v1/loans/{loan}/events"),
        &w.bank,
        &json!({"kind": "overdue", "on": today().to_string()}),
    )
    .await
    .assert_status(201);
    let r = app.post(&path, &w.bank, &json!({"loan_id": loan})).await;
    r.assert_problem(422, "not_eligible");
    assert!(r.body["errors"][0]["message"]
        .as_str()
        .unwrap()
        .contains("overdue"));
    let g = app.get(&format!("/api/v1/risk-schemes/{id}"), &fo).await;
    assert_eq!(g.assert_status(200)["enrolled"], "0.00");
}

/// 20 loans of 500,000 race for a capacity of 5,000,000 (capital 500,000 × 10): exactly 10 are
/// enrolled, on both backends.
async fn concurrent_enrollments_never_exceed_capacity(app: TestApp) {
    let w = world(&app).await;
    let (_, fo) = app.org_with_user("finance_office", Some("37")).await;
    let m = apply(&app, &w).await;
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
    let mut loans = Vec::new();
    for _ in 0..20 {
        let l = app
            .post(
                &format!("/api/v1/matches/{m}/disbursements"),
                &w.bank,
                &json!({"amount": "500000.00", "annual_rate": "3.65", "term_months": 12,
                        "disbursed_on": today().to_string(), "first_loan": false}),
            )
            .await;
        loans.push(l.assert_status(201)["id"].as_i64().unwrap());
    }
    let id = app
        .post("/api/v1/risk-schemes", &fo, &scheme("500000.00"))
        .await
        .assert_status(201)["id"]
        .as_i64()
        .unwrap();
    let client = reqwest::Client::new();
    let tasks: Vec<_> = loans
        .iter()
        .map(|loan| {
            let (client, base, bank, loan) =
                (client.clone(), app.base.clone(), w.bank.clone(), *loan);
            tokio::spawn(async move {
                let r = client
                    .post(format!("{base}/api/v1/risk-schemes/{id}/enrollments"))
                    .bearer_auth(bank)
                    .json(&json!({"loan_id": loan}))
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
            (201, _) => ok += 1,
            (409, code) => assert_eq!(code, "scheme_capacity_exceeded"),
            other => panic!("unexpected {other:?}"),
        }
    }
    assert_eq!(ok, 10);
    let g = app.get(&format!("/api/v1/risk-schemes/{id}"), &fo).await;
    assert_eq!(g.assert_status(200)["enrolled"], "5000000.00");
    let l = app
        .get(
            &format!("/api/v1/risk-schemes/{id}/enrollments?limit=50"),
            &fo,
        )
        .await;
    assert_eq!(l.assert_status(200)["items"].as_array().unwrap().len(), 10);
}

/// `n` loans of 500,000 on one match, each enrolled in a new 4321 scheme of `capital` (50×),
/// each then classified NPL; (world, office, scheme, [enrollment]).
async fn npl_enrollments(app: &TestApp, n: usize, capital: &str) -> (World, String, i64, Vec<i64>) {
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
    let scheme_id = app
        .post("/api/v1/risk-schemes", &fo, &scheme_levered(capital, "50"))
        .await
        .assert_status(201)["id"]
        .as_i64()
        .unwrap();
    let mut enrollments = Vec::new();
    for _ in 0..n {
        let l = app
            .post(
                &format!("/api/v1/matches/{m}/disbursements"),
                &w.bank,
                &json!({"amount": "500000.00", "annual_rate": "3.65", "term_months": 12,
                        "disbursed_on": today().checked_sub_days(Days::new(60)).unwrap().to_string(),
                        "first_loan": false}),
            )
            .await;
        let loan = l.assert_status(201)["id"].as_i64().unwrap();
        let e = app
            .post(
                &format!("/api/v1/risk-schemes/{scheme_id}/enrollments"),
                &w.bank,
                &json!({"loan_id": loan}),
            )
            .await;
        enrollments.push(e.assert_status(201)["id"].as_i64().unwrap());
        app.post(
            &format!("/api/v1/loans/{loan}/events"),
            &w.bank,
            &json!({"kind": "npl", "on": today().checked_sub_days(Days::new(5)).unwrap().to_string()}),
        )
        .await
        .assert_status(201);
    }
    (w, fo, scheme_id, enrollments)
}

async fn a_claim_from_npl_to_recovery(app: TestApp) {
    // A current loan cannot be claimed on.
    let (w0, loan0) = loan_on(&app, today().checked_sub_days(Days::new(30)).unwrap()).await;
    let (_, fo0) = app.org_with_user("finance_office", Some("37")).await;
    let s0 = app
        .post("/api/v1/risk-schemes", &fo0, &scheme("10000000.00"))
        .await
        .assert_status(201)["id"]
        .as_i64()
        .unwrap();
    let e0 = app
        .post(
            &format!("/api/v1/risk-schemes/{s0}/enrollments"),
            &w0.bank,
            &json!({"loan_id": loan0}),
        )
        .await
        .assert_status(201)["id"]
        .as_i64()
        .unwrap();
    app.post(
        "/api/v1/compensation-claims",
        &w0.bank,
        &json!({"enrollment_id": e0, "loss_principal": "100.00"}),
    )
    .await
    .assert_problem(409, "loan_not_npl");

    let (w, fo, scheme_id, enrollments) = npl_enrollments(&app, 1, "1000000.00").await;
    let e = enrollments[0];
    // 4321: the government's 10 % of a 500,000 loss (the NPL outstanding caps the 600,000).
    let c = app
        .post(
            "/api/v1/compensation-claims",
            &w.bank,
            &json!({"enrollment_id": e, "loss_principal": "600000.00"}),
        )
        .await;
    let c = c.assert_status(201).clone();
    let id = c["id"].as_i64().unwrap();
    assert_eq!(c["state"], "submitted");
    assert_eq!(
        (c["base"].as_str(), c["amount"].as_str()),
        (Some("500000.00"), Some("50000.00"))
    );
    let steps: Vec<&str> = c["breakdown"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["step"].as_str().unwrap())
        .collect();
    assert!(
        steps.contains(&"guarantor's share of the base"),
        "{steps:?}"
    );
    // One claim per enrollment; only the claimant's side submits; others see nothing.
    app.post(
        "/api/v1/compensation-claims",
        &w.bank,
        &json!({"enrollment_id": e, "loss_principal": "1.00"}),
    )
    .await
    .assert_problem(409, "duplicate_claim");
    app.post(
        "/api/v1/compensation-claims",
        &w.ent,
        &json!({"enrollment_id": e, "loss_principal": "1.00"}),
    )
    .await
    .assert_problem(403, "forbidden");
    let (_, other_bank) = app.org_with_user("bank", None).await;
    app.get(&format!("/api/v1/compensation-claims/{id}"), &other_bank)
        .await
        .assert_problem(404, "not_found");
    let path = |a: &str| format!("/api/v1/compensation-claims/{id}/{a}");
    // Only an office approves; payment follows approval.
    app.post(&path("approve"), &w.bank, &json!({}))
        .await
        .assert_problem(403, "forbidden");
    app.post(
        &path("pay"),
        &fo,
        &json!({"paid_on": today().to_string(), "reference": "X1"}),
    )
    .await
    .assert_problem(409, "invalid_transition");
    let a = app.post(&path("approve"), &fo, &json!({})).await;
    assert_eq!(a.assert_status(200)["state"], "approved");
    let s = app
        .get(&format!("/api/v1/risk-schemes/{scheme_id}"), &fo)
        .await;
    assert_eq!(s.assert_status(200)["balance"], "950000.00");
    let p = app
        .post(
            &path("pay"),
            &fo,
            &json!({"paid_on": today().to_string(), "reference": "皖财拨〔2026〕17号"}),
        )
        .await;
    assert_eq!(p.assert_status(200)["state"], "paid");
    // A recovery of 100,000: the pool paid 10 % of the base, so 10,000 returns.
    app.post(
        &path("recoveries"),
        &fo,
        &json!({"amount": "100000.00", "on": today().to_string()}),
    )
    .await
    .assert_problem(403, "forbidden");
    app.post(
        &path("recoveries"),
        &w.bank,
        &json!({"amount": "500000.01", "on": today().to_string()}),
    )
    .await
    .assert_problem(422, "validation_failed");
    let r = app
        .post(
            &path("recoveries"),
            &w.bank,
            &json!({"amount": "100000.00", "on": today().to_string()}),
        )
        .await;
    let r = r.assert_status(201).clone();
    assert_eq!(
        (r["recovered"].as_str(), r["returned_to_pool"].as_str()),
        (Some("100000.00"), Some("10000.00"))
    );
    let s = app
        .get(&format!("/api/v1/risk-schemes/{scheme_id}"), &fo)
        .await;
    let s = s.assert_status(200);
    assert_eq!(
        (
            s["balance"].as_str(),
            s["paid"].as_str(),
            s["recovered"].as_str()
        ),
        (Some("960000.00"), Some("50000.00"), Some("10000.00"))
    );
    let list = app.get("/api/v1/compensation-claims", &w.bank).await;
    assert_eq!(
        list.assert_status(200)["items"].as_array().unwrap().len(),
        1
    );
    // The list narrows by state and by scheme; a state that is none is refused.
    for q in [
        "state=paid".to_owned(),
        format!("scheme_id={scheme_id}"),
        format!("scheme_id={scheme_id}&state=paid"),
    ] {
        let l = app
            .get(&format!("/api/v1/compensation-claims?{q}"), &fo)
            .await;
        assert_eq!(l.ids(), [id], "{q}");
    }
    for q in [
        "state=submitted".to_owned(),
        format!("scheme_id={s0}"),
        format!("scheme_id={scheme_id}&state=approved"),
    ] {
        let l = app
            .get(&format!("/api/v1/compensation-claims?{q}"), &fo)
            .await;
        assert!(l.ids().is_empty(), "{q}");
    }
    app.get("/api/v1/compensation-claims?state=done", &fo)
        .await
        .assert_problem(400, "invalid_query");
    // The office's reports: per scheme in the overview, and the enrolled loans by scheme.
    let o = app.get("/api/v1/stats/overview", &fo).await;
    let schemes = o.assert_status(200)["risk_schemes"].clone();
    let f = schemes
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["scheme_id"] == scheme_id)
        .cloned()
        .unwrap();
    for (k, v) in [
        ("enrolled_loans", json!(1)),
        ("enrolled_principal", json!("500000.00")),
        ("npl_loans", json!(1)),
        ("compensation_submitted", json!("0.00")),
        ("compensation_paid", json!("50000.00")),
        ("recovered", json!("10000.00")),
        ("balance", json!("960000.00")),
        ("capacity", json!("50000000.00")),
        ("enrolled", s["enrolled"].clone()),
        // The recognised loss (the base, 500,000) over the principal enrolled.
        ("loss_rate", json!("1.0000")),
    ] {
        assert_eq!(f[k], v, "{k}");
    }
    let other = schemes
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["scheme_id"] == s0)
        .cloned()
        .unwrap();
    assert_eq!(
        (other["npl_loans"].clone(), other["loss_rate"].clone()),
        (json!(0), json!("0.0000"))
    );
    // Another region's office sees neither scheme's loans.
    let (_, fo_js) = app.org_with_user("finance_office", Some("32")).await;
    let o = app.get("/api/v1/stats/overview", &fo_js).await;
    assert_eq!(o.assert_status(200)["risk_schemes"], json!([]));
    let b = app.get("/api/v1/stats/breakdown?by=risk_scheme", &fo).await;
    let b = b.assert_status(200).clone();
    let g = b["groups"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["key"] == format!("政银担4321 (#{scheme_id})"))
        .cloned()
        .unwrap_or_else(|| panic!("{b}"));
    assert_eq!(
        (
            g["loans"]["count"].clone(),
            g["loans"]["amount"].clone(),
            g["loans"]["npl_amount"].clone()
        ),
        (json!(1), json!("500000.00"), json!("500000.00"))
    );
    assert_eq!(b["groups"].as_array().unwrap().len(), 2);
    assert_eq!(b["total"]["count"], 2);
    assert_eq!(b["total"]["amount"], "10500000.00");
}

/// Ten claims of 50,000 race for a balance of 200,000: exactly four are approved.
async fn concurrent_approvals_never_overdraw_the_pool(app: TestApp) {
    let (w, fo, scheme_id, enrollments) = npl_enrollments(&app, 10, "200000.00").await;
    let mut ids = Vec::new();
    for e in enrollments {
        let c = app
            .post(
                "/api/v1/compensation-claims",
                &w.bank,
                &json!({"enrollment_id": e, "loss_principal": "500000.00"}),
            )
            .await;
        ids.push(c.assert_status(201)["id"].as_i64().unwrap());
    }
    let client = reqwest::Client::new();
    let tasks: Vec<_> = ids
        .iter()
        .map(|id| {
            let (client, base, fo, id) = (client.clone(), app.base.clone(), fo.clone(), *id);
            tokio::spawn(async move {
                let r = client
                    .post(format!("{base}/api/v1/compensation-claims/{id}/approve"))
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
            (409, code) => assert_eq!(code, "pool_exhausted"),
            other => panic!("unexpected {other:?}"),
        }
    }
    assert_eq!(ok, 4);
    let s = app
        .get(&format!("/api/v1/risk-schemes/{scheme_id}"), &fo)
        .await;
    assert_eq!(s.assert_status(200)["balance"], "0.00");
}

/// `region_prefix` on the catalogs an office or enterprise picks from (risk schemes, bridge
/// funds, policies): national ones, those of a region containing it, its own and those inside
/// it — never a neighbour's; a prefix that is none is refused.
async fn catalogs_narrow_to_a_region(app: TestApp) {
    let admin = app.login("admin", ADMIN_PASSWORD).await;
    let fund = json!({"name": "转贷基金", "capital": "1000000.00", "daily_fee_rate": "0.02",
                      "max_days": 30, "max_amount": "1000000.00", "max_share_of_renewal": "95"});
    let policy = fixed_policy("1000000.00", json!({}));
    // Each made by an office of its region (the admin's is national).
    let regions = [
        None,
        Some("37"),
        Some("3702"),
        Some("370202"),
        Some("3703"),
        Some("32"),
    ];
    let mut makers = Vec::new();
    for r in regions {
        makers.push(match r {
            None => admin.clone(),
            Some(r) => app.org_with_user("finance_office", Some(r)).await.1,
        });
    }
    // Per catalog, the region and id of each made.
    type Made<'a> = Vec<(&'a str, Vec<(Option<&'a str>, i64)>)>;
    let mut made: Made = Vec::new();
    for (path, body) in [
        ("/api/v1/risk-schemes", scheme("1000000.00")),
        ("/api/v1/bridge-funds", fund),
        ("/api/v1/policies", policy),
    ] {
        let mut mine = Vec::new();
        for (region, maker) in regions.iter().zip(&makers) {
            let r = app.post(path, maker, &body).await;
            let r = r.assert_status(201);
            assert_eq!(r["region_prefix"].as_str(), *region, "{path}");
            mine.push((*region, r["id"].as_i64().unwrap()));
        }
        made.push((path, mine));
    }
    let (_, fo) = app.org_with_user("finance_office", Some("3702")).await;
    for (path, mine) in &made {
        let pick = |keep: &[Option<&str>]| -> Vec<i64> {
            mine.iter()
                .filter(|(r, _)| keep.contains(r))
                .map(|(_, id)| *id)
                .collect()
        };
        // Of the page, what this test made (a database may hold others).
        let ids_of = |page: &Resp| -> Vec<i64> {
            page.ids()
                .into_iter()
                .filter(|i| mine.iter().any(|(_, id)| id == i))
                .collect()
        };
        let city = app.get(&format!("{path}?region_prefix=3702"), &fo).await;
        assert_eq!(
            ids_of(&city),
            pick(&[None, Some("37"), Some("3702"), Some("370202")]),
            "{path}"
        );
        let province = app.get(&format!("{path}?region_prefix=37"), &fo).await;
        assert_eq!(
            ids_of(&province),
            pick(&[None, Some("37"), Some("3702"), Some("370202"), Some("3703")]),
            "{path}"
        );
        let all = app.get(path, &fo).await;
        assert_eq!(ids_of(&all).len(), 6, "{path}");
        for bad in ["3", "37020", "x7", "370202001"] {
            app.get(&format!("{path}?region_prefix={bad}"), &fo)
                .await
                .assert_problem(400, "invalid_query");
        }
    }
}
