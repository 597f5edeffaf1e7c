//! Subsidies over HTTP: LPR, policies as data, quotes with their arithmetic, claims under
//! caps and budgets (also under concurrency), simulation.

use chrono::Datelike;
use reqwest::Method;
use serde_json::{json, Value};

use crate::both_backends;
use crate::helpers::*;

both_backends!(
    lpr_series_is_preloaded_and_extendable,
    policies_are_validated_as_data,
    quotes_show_their_arithmetic,
    hypothetical_quotes_take_a_guarantee_like_a_disbursement,
    claims_move_through_their_states,
    approvals_respect_the_budget_under_concurrency,
    caps_lower_the_amount_at_approval,
    simulation_for_budget_planning,
);

fn today() -> chrono::NaiveDate {
    chrono::Utc::now().date_naive()
}

async fn lpr_series_is_preloaded_and_extendable(app: TestApp) {
    let r = app.get("/api/v1/lpr", &app.admin_token).await;
    let items = r.assert_status(200)["items"].as_array().unwrap().clone();
    assert_eq!(items.len(), 15);
    assert_eq!(
        items[0],
        json!({"effective_on": "2019-08-20", "one_year": "4.25", "five_year": "4.85"})
    );
    assert_eq!(
        items[14],
        json!({"effective_on": "2025-05-20", "one_year": "3.00", "five_year": "3.50"})
    );
    assert_eq!(r.body["next_cursor"], Value::Null);
    // Pages of the list convention: limit and an opaque cursor.
    let mut paged = Vec::new();
    let mut path = "/api/v1/lpr?limit=4".to_owned();
    loop {
        let r = app.get(&path, &app.admin_token).await;
        let b = r.assert_status(200);
        assert!(b["items"].as_array().unwrap().len() <= 4);
        paged.extend(b["items"].as_array().unwrap().iter().cloned());
        match b["next_cursor"].as_str() {
            Some(c) => path = format!("/api/v1/lpr?limit=4&cursor={c}"),
            None => break,
        }
    }
    assert_eq!(paged, items);
    for bad in ["limit=0", "limit=201", "cursor=garbage"] {
        let r = app
            .get(&format!("/api/v1/lpr?{bad}"), &app.admin_token)
            .await;
        assert_eq!(r.status.as_u16(), 400, "{bad}");
    }
    let (_, fo) = app.org_with_user("finance_office", Some("37")).await;
    let (_, ent) = app.enterprise("370202").await;
    let print = json!({"effective_on": "2026-12-22", "one_year": "2.90", "five_year": "3.40"});
    app.post("/api/v1/lpr", &ent, &print)
        .await
        .assert_problem(403, "forbidden");
    app.post("/api/v1/lpr", &fo, &print)
        .await
        .assert_status(201);
    app.post("/api/v1/lpr", &fo, &print)
        .await
        .assert_problem(409, "lpr_exists");
    app.post(
        "/api/v1/lpr",
        &fo,
        &json!({"effective_on": "2027-01-20", "one_year": 2.9, "five_year": "3.40"}),
    )
    .await
    .assert_problem(422, "invalid_body");
    app.post(
        "/api/v1/lpr",
        &fo,
        &json!({"effective_on": "2027-01-20", "one_year": "0", "five_year": "3.40"}),
    )
    .await
    .assert_problem(422, "validation_failed");
    assert_eq!(
        app.get("/api/v1/lpr", &ent).await.body["items"]
            .as_array()
            .unwrap()
            .len(),
        16
    );
}

async fn policies_are_validated_as_data(app: TestApp) {
    let (_, fo) = app.org_with_user("finance_office", Some("3702")).await;
    let (_, bank) = app.org_with_user("bank", None).await;
    let r = app
        .post(
            "/api/v1/policies",
            &fo,
            &fixed_policy("1000000.00", json!({"max_months": 24})),
        )
        .await;
    let b = r.assert_status(201);
    assert_eq!(b["region_prefix"], "3702");
    assert_eq!(b["rule"]["day_count"], "months_30_360");
    assert_eq!(b["budget_remaining"], "1000000.00");
    app.post("/api/v1/policies", &bank, &fixed_policy("1.00", json!({})))
        .await
        .assert_problem(403, "forbidden");
    // Unknown parameter names are refused outright; known ones of another base name the field.
    let r = app
        .post(
            "/api/v1/policies",
            &fo,
            &fixed_policy("1.00", json!({"bonus": "1"})),
        )
        .await;
    r.assert_problem(422, "invalid_body");
    let cases = [
        (json!({"share_percent": "20"}), "rule.share_percent"),
        (json!({"subsidy_percent": "1"}), "rule.subsidy_percent"),
        (json!({"points": null, "spread_bp": 150}), "rule.spread_bp"),
    ];
    for (extra, field) in cases {
        let r = app
            .post("/api/v1/policies", &fo, &fixed_policy("1.00", extra))
            .await;
        r.assert_problem(422, "validation_failed");
        assert!(
            r.body["errors"]
                .as_array()
                .unwrap()
                .iter()
                .any(|e| e["field"] == field),
            "{}",
            r.body
        );
    }
    let mut no_base = fixed_policy("1.00", json!({}));
    no_base["rule"] = json!({"points": "1.5"});
    let r = app.post("/api/v1/policies", &fo, &no_base).await;
    r.assert_problem(422, "validation_failed");
    let mut lpr = fixed_policy("1.00", json!({}));
    lpr["rule"] = json!({"base": "lpr_share"});
    let r = app.post("/api/v1/policies", &fo, &lpr).await;
    assert_eq!(r.body["errors"][0]["field"], "rule.share_percent");
    let mut g = fixed_policy("1.00", json!({}));
    g["kind"] = json!("guarantee_fee_subsidy");
    g["rule"] = json!({"subsidy_percent": "1", "max_fee_rate": "1.2", "counter_guarantee": ["credit", "third_party"], "points": "1"});
    let r = app.post("/api/v1/policies", &fo, &g).await;
    assert_eq!(r.body["errors"][0]["field"], "rule.points");
    g["rule"].as_object_mut().unwrap().remove("points");
    let r = app.post("/api/v1/policies", &fo, &g).await;
    assert_eq!(r.assert_status(201)["rule"]["cap_at_fee_paid"], true);
    let mut bad = fixed_policy("-1.00", json!({}));
    app.post("/api/v1/policies", &fo, &bad)
        .await
        .assert_problem(422, "invalid_body");
    bad = fixed_policy("1.00", json!({}));
    bad["effective_to"] = json!("2019-01-01");
    app.post("/api/v1/policies", &fo, &bad)
        .await
        .assert_problem(422, "validation_failed");
    assert_eq!(
        app.get("/api/v1/policies", &bank).await.body["items"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
}

async fn quotes_show_their_arithmetic(app: TestApp) {
    let (_, fo) = app.org_with_user("finance_office", Some("37")).await;
    let (ent_id, ent) = app.enterprise("370202").await;
    // I1: 1.5 points, principal above 50,000,000 not subsidised, act_360.
    let mut policy = fixed_policy(
        "100000000.00",
        json!({"principal_cap": "50000000.00", "max_months": 24}),
    );
    policy["rule"]["day_count"] = json!("act_360");
    let pid = app
        .post("/api/v1/policies", &fo, &policy)
        .await
        .assert_status(201)["id"]
        .as_i64()
        .unwrap();
    let q = json!({
        "loan": {"principal": "60000000.00", "annual_rate": "3.50", "disbursed_on": "2026-01-15", "term_months": 36,
                 "enterprise_id": ent_id, "product_type": "credit"},
        "period_start": "2026-01-15", "period_end": "2026-07-15"
    });
    let r = app
        .post(&format!("/api/v1/policies/{pid}/quote"), &ent, &q)
        .await;
    let b = r.assert_status(200);
    assert_eq!(b["eligible"], true);
    // 50,000,000 × 1.5% × 181/360 = 377,083.333… → 377,083.33
    assert_eq!(b["amount"], "377083.33");
    let steps: Vec<&str> = b["breakdown"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["step"].as_str().unwrap())
        .collect();
    for s in [
        "principal",
        "principal cap",
        "subsidy rate",
        "days (first day counted, last not)",
        "year fraction (act_360)",
        "raw amount",
        "rounded (half up to 0.01)",
        "amount",
    ] {
        assert!(steps.contains(&s), "{s} in {steps:?}");
    }
    let days = b["breakdown"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["step"] == "days (first day counted, last not)")
        .unwrap();
    assert_eq!(days["value"], "181");
    // Nothing was stored.
    assert!(app.get("/api/v1/subsidy-claims", &fo).await.body["items"]
        .as_array()
        .unwrap()
        .is_empty());
    // Out of the policy's region: not eligible, with the reason.
    let (sz_id, sz) = app.enterprise("320505").await;
    let mut q2 = q.clone();
    q2["loan"]["enterprise_id"] = json!(sz_id);
    let r = app
        .post(&format!("/api/v1/policies/{pid}/quote"), &sz, &q2)
        .await;
    let b = r.assert_status(200);
    assert_eq!(b["eligible"], false);
    assert_eq!(b["amount"], "0.00");
    assert!(b["reasons"][0]
        .as_str()
        .unwrap()
        .contains("outside the policy's region"));
    // The same reasons in Chinese when asked.
    let zh = app
        .request(
            reqwest::Method::POST,
            &format!("/api/v1/policies/{pid}/quote"),
            Some(&sz),
            Some(&q2),
            &[("accept-language", "zh-CN")],
        )
        .await;
    let zb = zh.assert_status(200);
    assert_eq!(
        zb["reasons"].as_array().unwrap().len(),
        b["reasons"].as_array().unwrap().len()
    );
    let first = zb["reasons"][0].as_str().unwrap();
    assert!(
        first.contains("320505") && first.contains("不在"),
        "{first}"
    );
    // Someone else's enterprise: 404. Both or neither loan forms: 422. Bad period: 422.
    app.post(&format!("/api/v1/policies/{pid}/quote"), &sz, &q)
        .await
        .assert_problem(404, "not_found");
    let mut both = q.clone();
    both["loan_id"] = json!(1);
    app.post(&format!("/api/v1/policies/{pid}/quote"), &ent, &both)
        .await
        .assert_problem(422, "validation_failed");
    let mut backwards = q.clone();
    backwards["period_end"] = json!("2026-01-01");
    app.post(&format!("/api/v1/policies/{pid}/quote"), &ent, &backwards)
        .await
        .assert_problem(422, "validation_failed");
    app.post("/api/v1/policies/999999/quote", &ent, &q)
        .await
        .assert_problem(404, "not_found");
}

async fn claims_move_through_their_states(app: TestApp) {
    let (w, loan_id) = loan(&app).await;
    let (_, fo) = app.org_with_user("finance_office", Some("3702")).await;
    let (_, fo_out) = app.org_with_user("finance_office", Some("32")).await;
    let pid = app
        .post(
            "/api/v1/policies",
            &fo,
            &fixed_policy("1000000.00", json!({})),
        )
        .await
        .assert_status(201)["id"]
        .as_i64()
        .unwrap();
    let claim = |start: &str, end: &str| json!({"policy_id": pid, "loan_id": loan_id, "period_start": start, "period_end": end});
    let r = app
        .post(
            "/api/v1/subsidy-claims",
            &w.ent,
            &claim(&month(0), &month(3)),
        )
        .await;
    let c = r.assert_status(201).clone();
    assert_eq!(c["state"], "submitted");
    // 10,000,000 × 1.5% × 3/12 = 37,500.00
    assert_eq!(c["amount"], "37500.00");
    assert_eq!(c["payee_id"], w.ent_id);
    let id = c["id"].as_i64().unwrap();
    // Overlapping periods of the same loan and policy are refused.
    app.post(
        "/api/v1/subsidy-claims",
        &w.bank,
        &claim(&month(2), &month(4)),
    )
    .await
    .assert_problem(409, "duplicate_claim");
    // Out of scope or the wrong role.
    let path = format!("/api/v1/subsidy-claims/{id}");
    app.get(&path, &fo_out)
        .await
        .assert_problem(404, "not_found");
    app.post(&format!("{path}/approve"), &fo_out, &json!({}))
        .await
        .assert_problem(404, "not_found");
    app.post(&format!("{path}/approve"), &w.ent, &json!({}))
        .await
        .assert_problem(403, "forbidden");
    app.post(
        &format!("{path}/pay"),
        &fo,
        &json!({"paid_on": today().to_string(), "reference": "X"}),
    )
    .await
    .assert_problem(409, "invalid_transition");
    let r = app.post(&format!("{path}/approve"), &fo, &json!({})).await;
    assert_eq!(r.assert_status(200)["state"], "approved");
    app.post(&format!("{path}/approve"), &fo, &json!({}))
        .await
        .assert_problem(409, "invalid_transition");
    app.post(
        &format!("{path}/pay"),
        &fo,
        &json!({"paid_on": today().to_string(), "reference": ""}),
    )
    .await
    .assert_problem(422, "validation_failed");
    let r = app
        .post(
            &format!("{path}/pay"),
            &fo,
            &json!({"paid_on": today().to_string(), "reference": "国库2026-001"}),
        )
        .await;
    let b = r.assert_status(200);
    assert_eq!(b["state"], "paid");
    assert_eq!(b["payment_reference"], "国库2026-001");
    // A second claim is rejected with a reason; its period is free again afterwards.
    let id2 = app
        .post(
            "/api/v1/subsidy-claims",
            &w.ent,
            &claim(&month(3), &month(6)),
        )
        .await
        .assert_status(201)["id"]
        .as_i64()
        .unwrap();
    app.post(
        &format!("/api/v1/subsidy-claims/{id2}/reject"),
        &fo,
        &json!({"reason": ""}),
    )
    .await
    .assert_problem(422, "validation_failed");
    let r = app
        .post(
            &format!("/api/v1/subsidy-claims/{id2}/reject"),
            &fo,
            &json!({"reason": "材料不全"}),
        )
        .await;
    assert_eq!(r.assert_status(200)["state"], "rejected");
    app.post(
        "/api/v1/subsidy-claims",
        &w.ent,
        &claim(&month(3), &month(6)),
    )
    .await
    .assert_status(201);
    // Scope of the lists.
    assert_eq!(
        app.get("/api/v1/subsidy-claims", &w.ent).await.body["items"]
            .as_array()
            .unwrap()
            .len(),
        3
    );
    assert_eq!(
        app.get("/api/v1/subsidy-claims", &w.bank).await.body["items"]
            .as_array()
            .unwrap()
            .len(),
        3
    );
    assert!(
        app.get("/api/v1/subsidy-claims", &fo_out).await.body["items"]
            .as_array()
            .unwrap()
            .is_empty()
    );
    let policy = app.get(&format!("/api/v1/policies/{pid}"), &fo).await;
    assert_eq!(policy.body["budget_used"], "37500.00");
    // A policy with claims is immutable.
    let r = app
        .request(
            Method::PUT,
            &format!("/api/v1/policies/{pid}"),
            Some(&fo),
            Some(&fixed_policy("2000000.00", json!({}))),
            &[],
        )
        .await;
    r.assert_problem(409, "policy_immutable");
    // Ineligible: a guarantee-fee policy for a loan without a guarantee.
    let mut g = fixed_policy("1000000.00", json!({}));
    g["kind"] = json!("guarantee_fee_subsidy");
    g["rule"] = json!({"subsidy_percent": "1"});
    let gid = app
        .post("/api/v1/policies", &fo, &g)
        .await
        .assert_status(201)["id"]
        .as_i64()
        .unwrap();
    let claim = json!({"policy_id": gid, "loan_id": loan_id, "period_start": month(0), "period_end": month(12)});
    let r = app.post("/api/v1/subsidy-claims", &w.ent, &claim).await;
    r.assert_problem(422, "not_eligible");
    assert_eq!(r.body["errors"][0]["message"], "the loan has no guarantee");
    // In Chinese, as the rule wrote it (not through the phrase table).
    let r = app
        .request(
            reqwest::Method::POST,
            "/api/v1/subsidy-claims",
            Some(&w.ent),
            Some(&claim),
            &[("accept-language", "zh-CN")],
        )
        .await;
    r.assert_problem(422, "not_eligible");
    let p = &r.body;
    assert_eq!(p["errors"][0]["field"], "loan_id");
    assert_eq!(p["errors"][0]["message"], "该贷款没有担保");
    assert_eq!(p["detail"], "loan_id：该贷款没有担保");
    assert_eq!(p["title"], "不符合条件");
    // Nothing was filed by either attempt.
    let claims = app.get("/api/v1/subsidy-claims", &w.ent).await;
    assert!(claims.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .all(|c| c["policy_id"] != json!(gid)));
}

async fn approvals_respect_the_budget_under_concurrency(app: TestApp) {
    let (w, loan_id) = loan(&app).await;
    let (_, fo) = app.org_with_user("finance_office", Some("37")).await;
    // Each monthly claim is 10,000,000 × 1.5% × 1/12 = 12,500.00; the budget fits five.
    let pid = app
        .post(
            "/api/v1/policies",
            &fo,
            &fixed_policy("62500.00", json!({})),
        )
        .await
        .assert_status(201)["id"]
        .as_i64()
        .unwrap();
    let mut ids = Vec::new();
    for i in 0..10 {
        let body = json!({"policy_id": pid, "loan_id": loan_id, "period_start": month(i), "period_end": month(i + 1)});
        let r = app.post("/api/v1/subsidy-claims", &w.ent, &body).await;
        assert_eq!(r.assert_status(201)["amount"], "12500.00");
        ids.push(r.body["id"].as_i64().unwrap());
    }
    let mut tasks = Vec::new();
    for id in ids {
        let (client, base, fo) = (app.client.clone(), app.base.clone(), fo.clone());
        tasks.push(tokio::spawn(async move {
            let r = client
                .post(format!("{base}/api/v1/subsidy-claims/{id}/approve"))
                .bearer_auth(fo)
                .json(&json!({}))
                .send()
                .await
                .unwrap();
            let status = r.status().as_u16();
            let body: Value = r.json().await.unwrap();
            (status, body["code"].as_str().unwrap_or("").to_owned())
        }));
    }
    let mut outcomes = Vec::new();
    for t in tasks {
        outcomes.push(t.await.unwrap());
    }
    assert_eq!(
        outcomes.iter().filter(|(s, _)| *s == 200).count(),
        5,
        "{outcomes:?}"
    );
    assert!(
        outcomes
            .iter()
            .filter(|(s, _)| *s != 200)
            .all(|(s, c)| *s == 409 && c == "budget_exceeded"),
        "{outcomes:?}"
    );
    let p = app.get(&format!("/api/v1/policies/{pid}"), &fo).await;
    assert_eq!(p.body["budget_used"], "62500.00");
    assert_eq!(p.body["budget_remaining"], "0.00");
    let submitted = app
        .get(
            &format!("/api/v1/subsidy-claims?policy_id={pid}&state=submitted"),
            &fo,
        )
        .await;
    assert_eq!(
        submitted.body["items"].as_array().unwrap().len(),
        5,
        "refused claims stay submitted"
    );
}

async fn caps_lower_the_amount_at_approval(app: TestApp) {
    let (w, loan_id) = loan(&app).await;
    let (_, fo) = app.org_with_user("finance_office", Some("37")).await;
    // Annual cap 20,000 per enterprise: two claims of 12,500 each; the second is lowered to 7,500.
    let pid = app
        .post(
            "/api/v1/policies",
            &fo,
            &fixed_policy(
                "1000000.00",
                json!({"per_enterprise_annual_cap": "20000.00"}),
            ),
        )
        .await
        .assert_status(201)["id"]
        .as_i64()
        .unwrap();
    // Two periods ending in the same calendar year: the first two months of next year.
    let jan = chrono::NaiveDate::from_ymd_opt(today().year() + 1, 1, 1).unwrap();
    let p1 = (
        jan.to_string(),
        jan.checked_add_months(chrono::Months::new(1))
            .unwrap()
            .to_string(),
    );
    let p2 = (
        p1.1.clone(),
        jan.checked_add_months(chrono::Months::new(2))
            .unwrap()
            .to_string(),
    );
    let c1 = app.post("/api/v1/subsidy-claims", &w.ent, &json!({"policy_id": pid, "loan_id": loan_id, "period_start": p1.0, "period_end": p1.1})).await;
    let c2 = app.post("/api/v1/subsidy-claims", &w.ent, &json!({"policy_id": pid, "loan_id": loan_id, "period_start": p2.0, "period_end": p2.1})).await;
    let (id1, id2) = (
        c1.assert_status(201)["id"].as_i64().unwrap(),
        c2.assert_status(201)["id"].as_i64().unwrap(),
    );
    assert_eq!(
        c2.body["amount"], "12500.00",
        "at submission nothing is approved yet"
    );
    app.post(
        &format!("/api/v1/subsidy-claims/{id1}/approve"),
        &fo,
        &json!({}),
    )
    .await
    .assert_status(200);
    let r = app
        .post(
            &format!("/api/v1/subsidy-claims/{id2}/approve"),
            &fo,
            &json!({}),
        )
        .await;
    let b = r.assert_status(200);
    assert_eq!(b["amount"], "7500.00");
    assert!(b["breakdown"]
        .as_array()
        .unwrap()
        .iter()
        .any(|s| s["step"] == "annual cap"));
}

async fn simulation_for_budget_planning(app: TestApp) {
    let (_, _loan_id) = loan(&app).await;
    let (_, fo) = app.org_with_user("finance_office", Some("37")).await;
    let pid = app
        .post(
            "/api/v1/policies",
            &fo,
            &fixed_policy("1000000.00", json!({})),
        )
        .await
        .assert_status(201)["id"]
        .as_i64()
        .unwrap();
    let window = json!({"from": today().to_string(), "to": today().to_string()});
    let r = app
        .post(&format!("/api/v1/policies/{pid}/simulate"), &fo, &window)
        .await;
    let b = r.assert_status(200);
    // One loan: 10,000,000 × 1.5% × 12/12 = 150,000.00 over its life.
    assert_eq!(b["count"], 1);
    assert_eq!(b["total"], "150000.00");
    assert_eq!(
        b["by_product_type"][0],
        json!({"key": "credit", "count": 1, "total": "150000.00"})
    );
    assert_eq!(b["by_size_class"][0]["key"], "small");
    // A variant at 2 points, and a variant with a bad parameter.
    let mut v = window.clone();
    v["overrides"] = json!({"points": "2"});
    let r = app
        .post(&format!("/api/v1/policies/{pid}/simulate"), &fo, &v)
        .await;
    assert_eq!(r.assert_status(200)["total"], "200000.00");
    v["overrides"] = json!({"subsidy_percent": "2"});
    app.post(&format!("/api/v1/policies/{pid}/simulate"), &fo, &v)
        .await
        .assert_problem(422, "validation_failed");
    // Outside the window nothing counts; enterprises may not simulate.
    let r = app
        .post(
            &format!("/api/v1/policies/{pid}/simulate"),
            &fo,
            &json!({"from": "2020-01-01", "to": "2020-12-31"}),
        )
        .await;
    assert_eq!(r.assert_status(200)["count"], 0);
    let (_, ent) = app.enterprise("370202").await;
    app.post(&format!("/api/v1/policies/{pid}/simulate"), &ent, &window)
        .await
        .assert_problem(403, "forbidden");
    let r = app
        .request(
            Method::POST,
            &format!("/api/v1/policies/{pid}/suspend"),
            Some(&fo),
            None,
            &[],
        )
        .await;
    assert_eq!(r.assert_status(200)["status"], "suspended");
}

/// A hypothetical loan's `guarantee` is the disbursement's object; with `guarantor_id` the
/// per-guarantor caps apply to the quote as they would to a claim.
async fn hypothetical_quotes_take_a_guarantee_like_a_disbursement(app: TestApp) {
    let w = world(&app).await;
    let (guarantor, g_token) = app.org_with_user("guarantor", None).await;
    let (_, fo) = app.org_with_user("finance_office", Some("37")).await;
    let id = apply(&app, &w).await;
    app.post(&format!("/api/v1/matches/{id}/accept"), &w.bank, &json!({}))
        .await
        .assert_status(200);
    app.post(
        &format!("/api/v1/matches/{id}/approve"),
        &w.bank,
        &approval("10000000.00"),
    )
    .await
    .assert_status(200);
    let guarantee =
        json!({"guarantor_id": guarantor, "fee_rate": "1.00", "counter_guarantee": "credit"});
    let loan_id = app
        .post(
            &format!("/api/v1/matches/{id}/disbursements"),
            &w.bank,
            &json!({"amount": "10000000.00", "annual_rate": "3.65", "term_months": 12,
                    "disbursed_on": today().to_string(), "first_loan": true, "guarantee": guarantee}),
        )
        .await
        .assert_status(201)["id"]
        .as_i64()
        .unwrap();
    // 担保费补贴: 1 % a year, at most 5,000.00 per guarantor per enterprise per year.
    let mut g = fixed_policy("1000000.00", json!({}));
    g["kind"] = json!("guarantee_fee_subsidy");
    g["rule"] = json!({"subsidy_percent": "1", "per_enterprise_annual_cap": "5000.00"});
    let pid = app
        .post("/api/v1/policies", &fo, &g)
        .await
        .assert_status(201)["id"]
        .as_i64()
        .unwrap();
    let claim = app
        .post(
            "/api/v1/subsidy-claims",
            &w.bank,
            &json!({"policy_id": pid, "loan_id": loan_id, "period_start": month(6), "period_end": month(7)}),
        )
        .await;
    let cid = claim.assert_status(201)["id"].as_i64().unwrap();
    assert_eq!(claim.body["amount"], "5000.00");
    assert_eq!(claim.body["payee_id"], guarantor);
    app.post(
        &format!("/api/v1/subsidy-claims/{cid}/approve"),
        &fo,
        &json!({}),
    )
    .await
    .assert_status(200);
    let quote = |guarantee: Value| {
        json!({
            "loan": {"principal": "10000000.00", "annual_rate": "3.65", "disbursed_on": today().to_string(),
                     "term_months": 12, "enterprise_id": w.ent_id, "product_type": "credit", "guarantee": guarantee},
            "period_start": month(8), "period_end": month(9)
        })
    };
    let path = format!("/api/v1/policies/{pid}/quote");
    // The same guarantor, in the year of the approved claim: its cap is used up.
    let same_year = chrono::NaiveDate::parse_from_str(&month(7), "%Y-%m-%d")
        .unwrap()
        .year()
        == chrono::NaiveDate::parse_from_str(&month(9), "%Y-%m-%d")
            .unwrap()
            .year();
    let r = app.post(&path, &fo, &quote(guarantee.clone())).await;
    let capped = r.assert_status(200)["amount"].clone();
    // Without a guarantor nothing is counted against the cap: 10,000,000 × 1 % × 1/12 =
    // 8,333.33, lowered to the annual cap.
    let open = json!({"fee_rate": "1.00", "counter_guarantee": "credit"});
    let r = app.post(&path, &fo, &quote(open)).await;
    assert_eq!(r.assert_status(200)["amount"], "5000.00", "{}", r.body);
    if same_year {
        assert_eq!(capped, "0.00");
    } else {
        assert_eq!(capped, "5000.00");
    }
    // A guarantor may not file claims: 403 for the loan it guarantees (visible to it), 404
    // for a loan it cannot see.
    let body = |loan: i64| json!({"policy_id": pid, "loan_id": loan, "period_start": month(9), "period_end": month(10)});
    app.post("/api/v1/subsidy-claims", &g_token, &body(loan_id))
        .await
        .assert_problem(403, "forbidden");
    app.post("/api/v1/subsidy-claims", &g_token, &body(loan_id + 1000))
        .await
        .assert_problem(404, "not_found");
    // A guarantor id that names another kind of organization is refused.
    let wrong =
        json!({"guarantor_id": w.bank_id, "fee_rate": "1.00", "counter_guarantee": "credit"});
    let r = app.post(&path, &fo, &quote(wrong)).await;
    r.assert_problem(422, "validation_failed");
    assert_eq!(r.body["errors"][0]["field"], "loan.guarantee.guarantor_id");
}
