//! Award policies (SPEC §3.16): a lump-sum award paid once per enterprise (also when claims
//! race), and a guarantor's 降费奖补 over its guaranteed volume with the 重庆 tiers and the
//! 安徽 1.5 % fee rule, its breakdown listing every loan.

use chrono::Datelike;
use futures_util::future::join_all;
use serde_json::{json, Value};

use crate::both_backends;
use crate::helpers::*;

both_backends!(
    lump_sum_awards_are_paid_once,
    racing_lump_sum_claims_file_one,
    guarantor_awards_follow_the_small_micro_tiers,
);

fn today() -> chrono::NaiveDate {
    chrono::Utc::now().date_naive()
}

fn days_ago(n: u64) -> String {
    (today() - chrono::Days::new(n)).to_string()
}

fn lump_sum(budget: &str, certified_from: Option<String>) -> Value {
    let mut rule = json!({"amount": "50000.00"});
    if let Some(from) = certified_from {
        rule["certified_from"] = json!(from);
    }
    json!({
        "name": "新认定专精特新一次性奖励", "kind": "lump_sum_award",
        "effective_from": "2020-01-01", "budget": budget,
        "eligibility": {"qualifications_any": [{"kind": "specialized_sme", "min_level": "provincial"}]},
        "rule": rule
    })
}

async fn certify(app: &TestApp, ent_id: i64, token: &str, certified_on: &str) {
    app.post(
        &format!("/api/v1/enterprises/{ent_id}/qualifications"),
        token,
        &json!({"kind": "specialized_sme", "level": "provincial", "certified_on": certified_on, "expires_on": month(24), "certificate_no": format!("鲁专精-{certified_on}")}),
    )
    .await
    .assert_status(201);
}

fn errors_of(r: &Resp) -> Vec<(String, String)> {
    r.body["errors"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|e| {
                    (
                        e["field"].as_str().unwrap_or_default().to_owned(),
                        e["message"].as_str().unwrap_or_default().to_owned(),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

async fn eligible_item(app: &TestApp, ent_id: i64, token: &str, pid: i64) -> Value {
    let r = app
        .get(
            &format!("/api/v1/enterprises/{ent_id}/eligible-policies"),
            token,
        )
        .await;
    r.assert_status(200)["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["policy"]["id"] == pid)
        .cloned()
        .expect("the award is listed")
}

async fn lump_sum_awards_are_paid_once(app: TestApp) {
    let (w, loan_id) = loan(&app).await;
    let (_, fo) = app.org_with_user("finance_office", Some("3702")).await;
    let (_, other_fo) = app.org_with_user("finance_office", Some("3201")).await;
    // The rule is checked against the kind.
    let mut bad = lump_sum("100000.00", None);
    bad["rule"] = json!({"points": "1.5"});
    let r = app.post("/api/v1/policies", &fo, &bad).await;
    r.assert_problem(422, "validation_failed");
    let fields: Vec<String> = errors_of(&r).into_iter().map(|e| e.0).collect();
    assert_eq!(fields, ["rule.points", "rule.amount"]);
    let mut bad = lump_sum("100000.00", Some(days_ago(60)));
    bad["eligibility"] = json!({});
    let r = app.post("/api/v1/policies", &fo, &bad).await;
    r.assert_problem(422, "validation_failed");
    assert_eq!(errors_of(&r)[0].0, "rule.certified_from");

    let body = lump_sum("100000.00", Some(days_ago(60)));
    let p = app.post("/api/v1/policies", &fo, &body).await;
    let pid = p.assert_status(201)["id"].as_i64().unwrap();
    assert_eq!(p.body["rule"]["amount"], "50000.00");
    let claim = json!({"policy_id": pid, "enterprise_id": w.ent_id});

    // Not certified yet, then certified too long ago: not eligible, and 政策找企业 says why.
    let r = app.post("/api/v1/subsidy-claims", &w.ent, &claim).await;
    r.assert_problem(422, "not_eligible");
    assert_eq!(errors_of(&r)[0].0, "enterprise_id");
    certify(&app, w.ent_id, &w.ent, &days_ago(400)).await;
    let r = app.post("/api/v1/subsidy-claims", &w.ent, &claim).await;
    r.assert_problem(422, "not_eligible");
    assert!(
        errors_of(&r)[0].1.contains("certified on or after"),
        "{:?}",
        r.body
    );
    let item = eligible_item(&app, w.ent_id, &w.ent, pid).await;
    assert_eq!(
        (item["eligible"].clone(), item["award"].clone()),
        (json!(false), json!("0.00"))
    );
    certify(&app, w.ent_id, &w.ent, &days_ago(10)).await;
    let item = eligible_item(&app, w.ent_id, &w.ent, pid).await;
    assert_eq!(
        (item["eligible"].clone(), item["award"].clone()),
        (json!(true), json!("50000.00"))
    );
    assert_eq!(item["loans"], json!([]));

    // The body's shape: exactly one subject, the one the kind takes.
    for (body, field) in [
        (
            json!({"policy_id": pid, "enterprise_id": w.ent_id, "loan_id": loan_id}),
            "loan_id",
        ),
        (json!({"policy_id": pid}), "loan_id"),
        (
            json!({"policy_id": pid, "enterprise_id": w.ent_id, "period_start": month(0), "period_end": month(1)}),
            "period_start",
        ),
        (
            json!({"policy_id": pid, "loan_id": loan_id, "period_start": month(0), "period_end": month(1)}),
            "enterprise_id",
        ),
    ] {
        let r = app.post("/api/v1/subsidy-claims", &w.ent, &body).await;
        r.assert_problem(422, "validation_failed");
        assert_eq!(errors_of(&r)[0].0, field, "{body}");
    }
    // Who may claim: not another enterprise (404), not a bank (403).
    let (_, stranger) = app.enterprise("370202").await;
    app.post("/api/v1/subsidy-claims", &stranger, &claim)
        .await
        .assert_problem(404, "not_found");
    app.post("/api/v1/subsidy-claims", &w.bank, &claim)
        .await
        .assert_problem(403, "forbidden");
    // An award is not quoted, simulated or batch-claimed per loan.
    let q = json!({"loan_id": loan_id, "period_start": month(0), "period_end": month(1)});
    app.post(&format!("/api/v1/policies/{pid}/quote"), &fo, &q)
        .await
        .assert_problem(422, "validation_failed");
    app.post(
        &format!("/api/v1/policies/{pid}/batch-claims"),
        &fo,
        &json!({"period_start": month(0), "period_end": month(1)}),
    )
    .await
    .assert_problem(422, "validation_failed");

    let r = app.post("/api/v1/subsidy-claims", &w.ent, &claim).await;
    let c = r.assert_status(201).clone();
    assert_eq!(c["amount"], "50000.00");
    assert_eq!(c["payee_id"], w.ent_id);
    assert!(c["loan_id"].is_null() && c["period_start"].is_null() && c["period_end"].is_null());
    let cid = c["id"].as_i64().unwrap();
    // Once per enterprise: the enterprise and its office both meet 409.
    app.post("/api/v1/subsidy-claims", &w.ent, &claim)
        .await
        .assert_problem(409, "duplicate_claim");
    app.post("/api/v1/subsidy-claims", &fo, &claim)
        .await
        .assert_problem(409, "duplicate_claim");
    // Another region's office does not see it; the office in scope approves and pays it.
    app.post(
        &format!("/api/v1/subsidy-claims/{cid}/approve"),
        &other_fo,
        &json!({}),
    )
    .await
    .assert_problem(404, "not_found");
    let r = app
        .post(
            &format!("/api/v1/subsidy-claims/{cid}/approve"),
            &fo,
            &json!({}),
        )
        .await;
    assert_eq!(r.assert_status(200)["state"], "approved");
    app.post(
        &format!("/api/v1/subsidy-claims/{cid}/pay"),
        &fo,
        &json!({"paid_on": today().to_string(), "reference": "国库-2026-0001"}),
    )
    .await
    .assert_status(200);
    let item = eligible_item(&app, w.ent_id, &w.ent, pid).await;
    assert_eq!(item["award"], "0.00");
    assert!(item["reasons"]
        .as_array()
        .unwrap()
        .iter()
        .any(|r| r["criterion"] == "once_per_enterprise" && r["passed"] == false));

    // The budget: two more certified enterprises; the second approval no longer fits.
    let mut ids = Vec::new();
    for _ in 0..2 {
        let (e, t) = app.enterprise("370211").await;
        certify(&app, e, &t, &days_ago(5)).await;
        let r = app
            .post(
                "/api/v1/subsidy-claims",
                &fo,
                &json!({"policy_id": pid, "enterprise_id": e}),
            )
            .await;
        ids.push(r.assert_status(201)["id"].as_i64().unwrap());
    }
    app.post(
        &format!("/api/v1/subsidy-claims/{}/approve", ids[0]),
        &fo,
        &json!({}),
    )
    .await
    .assert_status(200);
    app.post(
        &format!("/api/v1/subsidy-claims/{}/approve", ids[1]),
        &fo,
        &json!({}),
    )
    .await
    .assert_problem(409, "budget_exceeded");
    let p = app.get(&format!("/api/v1/policies/{pid}"), &fo).await;
    assert_eq!(p.body["budget_used"], "100000.00");
    // The overview lists the award policy with its kind.
    let o = app.get("/api/v1/stats/overview", &fo).await;
    let budgets = o.assert_status(200)["subsidies"]["budgets"].clone();
    let b = budgets
        .as_array()
        .unwrap()
        .iter()
        .find(|b| b["policy_id"] == pid)
        .cloned()
        .unwrap();
    assert_eq!(
        (b["kind"].clone(), b["used"].clone()),
        (json!("lump_sum_award"), json!("100000.00"))
    );
}

/// Six claims for one enterprise's award at once: one is filed, five meet 409.
async fn racing_lump_sum_claims_file_one(app: TestApp) {
    let (_, fo) = app.org_with_user("finance_office", Some("3702")).await;
    let (e, t) = app.enterprise("370202").await;
    certify(&app, e, &t, &days_ago(3)).await;
    let pid = app
        .post("/api/v1/policies", &fo, &lump_sum("1000000.00", None))
        .await
        .assert_status(201)["id"]
        .as_i64()
        .unwrap();
    let claim = json!({"policy_id": pid, "enterprise_id": e});
    let tokens = [&t, &fo, &t, &fo, &t, &fo];
    let results = join_all(
        tokens
            .iter()
            .map(|tok| app.post("/api/v1/subsidy-claims", tok, &claim)),
    )
    .await;
    let mut statuses: Vec<u16> = results.iter().map(|r| r.status.as_u16()).collect();
    statuses.sort();
    assert_eq!(statuses, [201, 409, 409, 409, 409, 409]);
}

/// A guaranteed loan of `amount` at `fee` percent to a new enterprise, medium-sized when
/// `medium` (otherwise 小型), disbursed today.
async fn guaranteed_loan(
    app: &TestApp,
    guarantor: i64,
    amount: &str,
    fee: &str,
    medium: bool,
) -> i64 {
    let w = world(app).await;
    if medium {
        let path = format!("/api/v1/enterprises/{}", w.ent_id);
        let mut e = app.get(&path, &w.ent).await.assert_status(200).clone();
        let mut body = json!({});
        for k in ["name", "region_code", "industry", "established_on"] {
            body[k] = e[k].take();
        }
        body["employees"] = json!(600);
        body["annual_revenue"] = json!("500000000.00");
        body["total_assets"] = json!("400000000.00");
        let r = app
            .request(reqwest::Method::PUT, &path, Some(&w.ent), Some(&body), &[])
            .await;
        assert_eq!(r.assert_status(200)["size_class"], "medium");
    }
    let body = json!({"amount": amount, "annual_rate": "3.65", "term_months": 12,
        "disbursed_on": today().to_string(), "first_loan": false,
        "guarantee": {"guarantor_id": guarantor, "fee_rate": fee, "counter_guarantee": "third_party"}});
    disbursed(app, &w, &body).await
}

/// 重庆 降费奖补 tiers and 安徽's 1.5 % fee ceiling: 27,000,000 guaranteed this year, 23,000,000
/// of it to 小型 firms (85.19 %: the 1.2 % tier); the 5,000,000 at a 1.8 % fee is not counted,
/// so 22,000,000 × 1.2 % = 264,000.00.
async fn guarantor_awards_follow_the_small_micro_tiers(app: TestApp) {
    let (g, gt) = app.org_with_user("guarantor", None).await;
    let (_, other_g) = app.org_with_user("guarantor", None).await;
    let (_, fo) = app.org_with_user("finance_office", Some("3702")).await;
    let (_, other_fo) = app.org_with_user("finance_office", Some("3201")).await;
    let l1 = guaranteed_loan(&app, g, "10000000.00", "1.00", false).await;
    let _l2 = guaranteed_loan(&app, g, "8000000.00", "1.20", false).await;
    let _l3 = guaranteed_loan(&app, g, "4000000.00", "1.00", true).await;
    let l4 = guaranteed_loan(&app, g, "5000000.00", "1.80", false).await;
    let mut policy = json!({
        "name": "融资担保降费奖补", "kind": "guarantor_award",
        "effective_from": "2020-01-01", "budget": "10000000.00",
        "rule": {"subsidy_percent": "1", "max_fee_rate": "1.5",
                 "tiers": [{"min_small_micro_share": "90", "subsidy_percent": "1.3"},
                           {"min_small_micro_share": "80", "subsidy_percent": "1.2"}],
                 "per_guarantor_cap": "30000000.00"}
    });
    let r = app.post("/api/v1/policies", &fo, &policy).await;
    r.assert_problem(422, "validation_failed");
    assert_eq!(errors_of(&r)[0].0, "rule.tiers[1].min_small_micro_share");
    policy["rule"]["tiers"] = json!([{"min_small_micro_share": "80", "subsidy_percent": "1.2"},
                                      {"min_small_micro_share": "90", "subsidy_percent": "1.3"}]);
    let pid = app
        .post("/api/v1/policies", &fo, &policy)
        .await
        .assert_status(201)["id"]
        .as_i64()
        .unwrap();
    let year = today().year();
    let (start, end) = (format!("{year}-01-01"), format!("{}-01-01", year + 1));
    let claim =
        json!({"policy_id": pid, "guarantor_id": g, "period_start": start, "period_end": end});
    // Only the guarantor itself, its policy's office or an admin claims it.
    app.post("/api/v1/subsidy-claims", &other_g, &claim)
        .await
        .assert_problem(403, "forbidden");
    app.post("/api/v1/subsidy-claims", &other_fo, &claim)
        .await
        .assert_problem(403, "forbidden");
    let (_, bank) = app.org_with_user("bank", None).await;
    app.post("/api/v1/subsidy-claims", &bank, &claim)
        .await
        .assert_problem(403, "forbidden");
    let mut no_period = claim.clone();
    no_period.as_object_mut().unwrap().remove("period_end");
    app.post("/api/v1/subsidy-claims", &gt, &no_period)
        .await
        .assert_problem(422, "validation_failed");

    let r = app.post("/api/v1/subsidy-claims", &gt, &claim).await;
    let c = r.assert_status(201).clone();
    assert_eq!(c["amount"], "264000.00");
    assert_eq!(c["payee_id"], g);
    assert!(c["enterprise_id"].is_null() && c["loan_id"].is_null());
    let step = |name: &str| {
        c["breakdown"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["step"] == name)
            .map(|s| s["value"].as_str().unwrap().to_owned())
            .unwrap_or_else(|| panic!("{name} in {}", c["breakdown"]))
    };
    assert!(step(&format!("loan {l1}")).starts_with("counted: 10000000.00"));
    let l4_step = step(&format!("loan {l4}"));
    assert!(
        l4_step.starts_with("not counted") && l4_step.contains("1.80% is above 1.50%"),
        "{l4_step}"
    );
    assert_eq!(step("小微 share"), "23000000.00 ÷ 27000000.00 = 85.1852%");
    assert_eq!(step("eligible volume"), "22000000.00 from 3 loans");
    // One claim per guarantor per period.
    let mut overlapping = claim.clone();
    overlapping["period_start"] = json!(format!("{year}-06-01"));
    app.post("/api/v1/subsidy-claims", &gt, &overlapping)
        .await
        .assert_problem(409, "duplicate_claim");
    // Visible to the guarantor and the office whose region holds the policy; not elsewhere.
    let cid = c["id"].as_i64().unwrap();
    let path = format!("/api/v1/subsidy-claims/{cid}");
    app.get(&path, &gt).await.assert_status(200);
    app.get(&path, &fo).await.assert_status(200);
    app.get(&path, &other_g)
        .await
        .assert_problem(404, "not_found");
    app.get(&path, &other_fo)
        .await
        .assert_problem(404, "not_found");
    app.get(&path, &bank).await.assert_problem(404, "not_found");
    let listed = app
        .get(&format!("/api/v1/subsidy-claims?policy_id={pid}"), &fo)
        .await;
    assert_eq!(listed.assert_status(200)["items"][0]["id"], cid);
    let r = app.post(&format!("{path}/approve"), &fo, &json!({})).await;
    assert_eq!(r.assert_status(200)["amount"], "264000.00");
    app.post(
        &format!("{path}/pay"),
        &fo,
        &json!({"paid_on": today().to_string(), "reference": "国库-2026-0002"}),
    )
    .await
    .assert_status(200);
    // Under a second policy capped at 200,000 per guarantor, the same volume comes to 200,000.
    policy["rule"]["per_guarantor_cap"] = json!("200000.00");
    let capped = app
        .post("/api/v1/policies", &fo, &policy)
        .await
        .assert_status(201)["id"]
        .as_i64()
        .unwrap();
    let mut second = claim.clone();
    second["policy_id"] = json!(capped);
    let r = app.post("/api/v1/subsidy-claims", &fo, &second).await;
    let c2 = r.assert_status(201).clone();
    assert_eq!(c2["amount"], "200000.00");
    assert!(c2["breakdown"]
        .as_array()
        .unwrap()
        .iter()
        .any(|s| s["step"] == "per-guarantor cap"
            && s["value"] == "200000.00 − already approved/paid 0.00 = 200000.00"));
    // The overview counts what was paid in the office's region.
    let o = app.get("/api/v1/stats/overview", &fo).await;
    assert_eq!(o.assert_status(200)["subsidies"]["paid"], "264000.00");
}
