//! Policies v2 (SPEC §3.16): the profile facts policies read, 政策找企业, no stacking inside an
//! exclusive group (also when approvals race), overdue loans excluded, provisional amounts
//! while the December LPR is unpublished.

use chrono::Datelike;
use serde_json::{json, Value};

use crate::both_backends;
use crate::helpers::*;

both_backends!(
    policies_read_ownership_sector_and_purpose,
    eligible_policies_find_the_enterprise,
    stacking_within_an_exclusive_group_is_refused,
    racing_approvals_in_one_group_grant_one,
    overdue_loans_are_excluded_unless_the_policy_says_so,
    december_lpr_amounts_are_provisional_until_published,
    batch_claims_file_each_eligible_loan_once,
    a_higher_tier_qualifies_for_a_lower_tier_policy,
);

fn today() -> chrono::NaiveDate {
    chrono::Utc::now().date_naive()
}

fn policy_with(eligibility: Value) -> Value {
    let mut p = fixed_policy("1000000.00", json!({}));
    p["eligibility"] = eligibility;
    p
}

async fn create_policy(app: &TestApp, token: &str, body: &Value) -> i64 {
    app.post("/api/v1/policies", token, body)
        .await
        .assert_status(201)["id"]
        .as_i64()
        .unwrap()
}

/// Sets the enterprise's ownership and sector code through `PUT /enterprises/{id}`.
async fn set_profile(app: &TestApp, w: &World, ownership: &str, sector: &str) -> Resp {
    let path = format!("/api/v1/enterprises/{}", w.ent_id);
    let e = app.get(&path, &w.ent).await.assert_status(200).clone();
    let mut body = json!({});
    for k in [
        "name",
        "region_code",
        "industry",
        "employees",
        "annual_revenue",
        "total_assets",
        "established_on",
    ] {
        body[k] = e[k].clone();
    }
    body["ownership"] = json!(ownership);
    body["sector_code"] = json!(sector);
    app.request(reqwest::Method::PUT, &path, Some(&w.ent), Some(&body), &[])
        .await
}

async fn policies_read_ownership_sector_and_purpose(app: TestApp) {
    let (w, loan_id) = loan(&app).await;
    let (_, fo) = app.org_with_user("finance_office", Some("3702")).await;
    // The profile: validated, stored, shown.
    set_profile(&app, &w, "private", "34")
        .await
        .assert_problem(422, "validation_failed");
    let r = set_profile(&app, &w, "collective", "C3411").await;
    let e = r.assert_status(200);
    assert_eq!(
        (e["ownership"].as_str(), e["sector_code"].as_str()),
        (Some("collective"), Some("C3411"))
    );
    set_profile(&app, &w, "private", "C3411")
        .await
        .assert_status(200);
    // Policies: the new fields are validated.
    let r = app
        .post(
            "/api/v1/policies",
            &fo,
            &policy_with(json!({"sector_prefixes": ["C3", "X1"], "exclusive_group": " "})),
        )
        .await;
    r.assert_problem(422, "validation_failed");
    let b = r.body.clone();
    let fields: Vec<&str> = b["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert_eq!(
        fields,
        [
            "eligibility.sector_prefixes[0]",
            "eligibility.sector_prefixes[1]",
            "eligibility.exclusive_group"
        ]
    );
    let claim = |pid: i64| json!({"policy_id": pid, "loan_id": loan_id, "period_start": month(0), "period_end": month(3)});
    // Each constraint, met and missed: a claim is filed only when every one holds.
    for (eligibility, ok, reason) in [
        (json!({"ownership": ["private", "collective"]}), true, ""),
        (
            json!({"ownership": ["state"]}),
            false,
            "ownership private is not among state",
        ),
        (json!({"sector_prefixes": ["C34", "I65"]}), true, ""),
        (
            json!({"sector_prefixes": ["C35"]}),
            false,
            "sector C3411 is not under C35",
        ),
        (json!({"loan_purposes": ["working_capital"]}), true, ""),
        (
            json!({"loan_purposes": ["rnd", "equipment"]}),
            false,
            "purpose working_capital is not among rnd, equipment",
        ),
    ] {
        let pid = create_policy(&app, &fo, &policy_with(eligibility.clone())).await;
        let p = app.get(&format!("/api/v1/policies/{pid}"), &fo).await;
        assert_eq!(
            p.body["eligibility"]["exclude_overdue"], true,
            "the default"
        );
        let r = app
            .post("/api/v1/subsidy-claims", &w.ent, &claim(pid))
            .await;
        if ok {
            assert_eq!(r.assert_status(201)["amount"], "37500.00", "{eligibility}");
        } else {
            r.assert_problem(422, "not_eligible");
            let b = r.body.clone();
            assert_eq!(b["errors"][0]["message"], reason, "{eligibility}");
        }
    }
}

async fn eligible_policies_find_the_enterprise(app: TestApp) {
    let (w, loan_id) = loan(&app).await;
    set_profile(&app, &w, "private", "C3411")
        .await
        .assert_status(200);
    let (_, fo) = app.org_with_user("finance_office", Some("3702")).await;
    let (_, fo_out) = app.org_with_user("finance_office", Some("32")).await;
    // Days counted (act_360), so the few days left of a year still come to something.
    let mut open_body = fixed_policy("1000000.00", json!({"day_count": "act_360"}));
    open_body["eligibility"] = json!({});
    let open = create_policy(&app, &fo, &open_body).await;
    let state_owned = create_policy(
        &app,
        &fo,
        &policy_with(json!({"ownership": ["state"], "sector_prefixes": ["C34"]})),
    )
    .await;
    let rnd = create_policy(&app, &fo, &policy_with(json!({"loan_purposes": ["rnd"]}))).await;
    let elsewhere = create_policy(&app, &fo_out, &policy_with(json!({}))).await;
    let path = format!("/api/v1/enterprises/{}/eligible-policies", w.ent_id);
    let r = app.get(&path, &w.ent).await;
    let items = r.assert_status(200)["items"].as_array().unwrap().clone();
    let find = |pid: i64| items.iter().find(|i| i["policy"]["id"] == pid).cloned();
    assert!(
        find(elsewhere).is_none(),
        "another region's policy is not listed"
    );
    // Open to all: eligible, and the loan's amount for this year is what a quote gives.
    let o = find(open).unwrap();
    assert_eq!(o["eligible"], true);
    assert_eq!(o["reasons"][0]["criterion"], "region");
    let l = &o["loans"][0];
    assert_eq!(
        (l["loan_id"].as_i64(), l["eligible"].as_bool()),
        (Some(loan_id), Some(true))
    );
    let year_end = chrono::NaiveDate::from_ymd_opt(today().year() + 1, 1, 1).unwrap();
    assert_eq!(l["period_start"], today().to_string());
    assert_eq!(l["period_end"], year_end.to_string());
    let q = app
        .post(
            &format!("/api/v1/policies/{open}/quote"),
            &w.ent,
            &json!({"loan_id": loan_id, "period_start": today().to_string(), "period_end": year_end.to_string()}),
        )
        .await;
    assert_eq!(l["amount"], q.assert_status(200)["amount"]);
    assert_ne!(l["amount"], "0.00");
    // Ownership missed, sector met: each criterion with its answer.
    let s = find(state_owned).unwrap();
    assert_eq!(s["eligible"], false);
    let by = |c: &str| {
        s["reasons"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["criterion"] == c)
            .cloned()
            .unwrap()
    };
    assert_eq!(by("ownership")["passed"], false);
    assert_eq!(
        by("ownership")["detail"],
        "ownership private is not among state"
    );
    assert_eq!(by("sector_prefixes")["passed"], true);
    assert_eq!(s["loans"][0]["amount"], "0.00");
    // The enterprise qualifies, its loan (for working capital) does not.
    let p = find(rnd).unwrap();
    assert_eq!(p["eligible"], true);
    assert_eq!(p["loans"][0]["eligible"], false);
    assert_eq!(
        p["loans"][0]["reasons"][0],
        "purpose working_capital is not among rnd"
    );
    // Who may ask: its finance office yes; another office, its bank, another enterprise no.
    app.get(&path, &fo).await.assert_status(200);
    app.get(&path, &fo_out)
        .await
        .assert_problem(404, "not_found");
    let (_, other) = app.enterprise("370203").await;
    app.get(&path, &other)
        .await
        .assert_problem(404, "not_found");
    let r = app.get(&path, &w.bank).await;
    assert!(matches!(r.status.as_u16(), 403 | 404), "{}", r.status);
}

/// Two policies of one exclusive group, one outside it, claims for overlapping periods.
async fn stacking_within_an_exclusive_group_is_refused(app: TestApp) {
    let (w, loan_id) = loan(&app).await;
    let (_, fo) = app.org_with_user("finance_office", Some("3702")).await;
    let central = create_policy(&app, &fo, &policy_with(json!({"exclusive_group": "贴息"}))).await;
    let provincial =
        create_policy(&app, &fo, &policy_with(json!({"exclusive_group": "贴息"}))).await;
    let other = create_policy(&app, &fo, &policy_with(json!({"exclusive_group": "担保"}))).await;
    let file = |pid: i64, from: u32, to: u32| {
        let app = &app;
        let ent = w.ent.clone();
        async move {
            app.post("/api/v1/subsidy-claims", &ent, &json!({"policy_id": pid, "loan_id": loan_id, "period_start": month(from), "period_end": month(to)}))
                .await
                .assert_status(201)["id"]
                .as_i64()
                .unwrap()
        }
    };
    let a = file(central, 0, 6).await;
    let b = file(provincial, 3, 9).await;
    let c = file(other, 0, 6).await;
    let d = file(provincial, 9, 12).await;
    let approve = |id: i64| {
        let (app, fo) = (&app, fo.clone());
        async move {
            app.post(
                &format!("/api/v1/subsidy-claims/{id}/approve"),
                &fo,
                &json!({}),
            )
            .await
        }
    };
    approve(a).await.assert_status(200);
    let r = approve(b).await;
    r.assert_problem(409, "stacking_not_allowed");
    let p = r.body.clone();
    assert!(
        p["detail"]
            .as_str()
            .unwrap()
            .contains(&format!("claim {a}")),
        "{p}"
    );
    assert_eq!(
        app.get(&format!("/api/v1/subsidy-claims/{b}"), &fo)
            .await
            .body["state"],
        "submitted",
        "a refused approval changes nothing"
    );
    approve(c).await.assert_status(200);
    approve(d).await.assert_status(200);
    // Rejected, the stacked claim frees nothing: a stays approved; b can only be rejected.
    app.post(
        &format!("/api/v1/subsidy-claims/{b}/reject"),
        &fo,
        &json!({"reason": "不可叠加"}),
    )
    .await
    .assert_status(200);
}

async fn racing_approvals_in_one_group_grant_one(app: TestApp) {
    let (w, loan_id) = loan(&app).await;
    let (_, fo) = app.org_with_user("finance_office", Some("3702")).await;
    let mut claims = Vec::new();
    for _ in 0..6 {
        let pid = create_policy(
            &app,
            &fo,
            &policy_with(json!({"exclusive_group": "central"})),
        )
        .await;
        let id = app
            .post("/api/v1/subsidy-claims", &w.ent, &json!({"policy_id": pid, "loan_id": loan_id, "period_start": month(0), "period_end": month(3)}))
            .await
            .assert_status(201)["id"]
            .as_i64()
            .unwrap();
        claims.push(id);
    }
    let results = futures_util::future::join_all(claims.iter().map(|id| {
        let path = format!("/api/v1/subsidy-claims/{id}/approve");
        let (app, fo) = (&app, fo.clone());
        async move { app.post(&path, &fo, &json!({})).await }
    }))
    .await;
    let ok = results.iter().filter(|r| r.status == 200).count();
    let stacked = results
        .iter()
        .filter(|r| r.status == 409 && r.body["code"] == "stacking_not_allowed")
        .count();
    assert_eq!(
        (ok, stacked),
        (1, 5),
        "{:?}",
        results.iter().map(|r| r.status).collect::<Vec<_>>()
    );
}

async fn overdue_loans_are_excluded_unless_the_policy_says_so(app: TestApp) {
    let (w, loan_id) = loan(&app).await;
    let (_, fo) = app.org_with_user("finance_office", Some("3702")).await;
    let strict = create_policy(&app, &fo, &policy_with(json!({}))).await;
    let lenient = create_policy(&app, &fo, &policy_with(json!({"exclude_overdue": false}))).await;
    app.post(
        &format!("/api/v1/loans/{loan_id}/events"),
        &w.bank,
        &json!({"kind": "overdue", "on": today().to_string()}),
    )
    .await
    .assert_status(201);
    let claim = |pid: i64| json!({"policy_id": pid, "loan_id": loan_id, "period_start": month(0), "period_end": month(3)});
    let r = app
        .post("/api/v1/subsidy-claims", &w.ent, &claim(strict))
        .await;
    r.assert_problem(422, "not_eligible");
    let b = r.body.clone();
    assert!(
        b["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("the loan is overdue on"),
        "{b}"
    );
    app.post("/api/v1/subsidy-claims", &w.ent, &claim(lenient))
        .await
        .assert_status(201);
}

async fn december_lpr_amounts_are_provisional_until_published(app: TestApp) {
    let (w, loan_id) = loan(&app).await;
    let (_, fo) = app.org_with_user("finance_office", Some("3702")).await;
    let mut body = fixed_policy("1000000.00", json!({}));
    body["rule"] = json!({"base": "lpr_share", "share_percent": "50", "lpr_reference": "december_of_period_end_year"});
    let pid = create_policy(&app, &fo, &body).await;
    // A period ending next year reads next December's print: not out before its 20th.
    let end = chrono::NaiveDate::from_ymd_opt(today().year() + 1, 1, 31).unwrap();
    let period = json!({"loan_id": loan_id, "period_start": today().to_string(), "period_end": end.to_string()});
    let q = app
        .post(&format!("/api/v1/policies/{pid}/quote"), &w.ent, &period)
        .await;
    let q = q.assert_status(200);
    assert_eq!(
        (q["eligible"].as_bool(), q["provisional"].as_bool()),
        (Some(true), Some(true))
    );
    assert!(q["provisional_reason"]
        .as_str()
        .unwrap()
        .contains(&format!("December {}", end.year())));
    assert!(q["breakdown"]
        .as_array()
        .unwrap()
        .iter()
        .any(|s| s["step"] == "provisional"));
    // A hypothetical loan of last year, period ended: the print is out, nothing provisional.
    let past = json!({"loan": {"principal": "1000000.00", "annual_rate": "3.65", "disbursed_on": "2024-03-01", "term_months": 12, "enterprise_id": w.ent_id, "product_type": "credit"}, "period_start": "2024-03-01", "period_end": "2025-03-01"});
    let q = app
        .post(&format!("/api/v1/policies/{pid}/quote"), &w.ent, &past)
        .await;
    assert_eq!(q.assert_status(200)["provisional"], false);
    // A claim may be filed; approving it waits for the print.
    let mut claim = period.clone();
    claim["policy_id"] = json!(pid);
    let id = app
        .post("/api/v1/subsidy-claims", &w.ent, &claim)
        .await
        .assert_status(201)["id"]
        .as_i64()
        .unwrap();
    app.post(
        &format!("/api/v1/subsidy-claims/{id}/approve"),
        &fo,
        &json!({}),
    )
    .await
    .assert_problem(409, "lpr_not_published");
    assert_eq!(
        app.get(&format!("/api/v1/subsidy-claims/{id}"), &fo)
            .await
            .body["state"],
        "submitted"
    );
}

/// 免申即享: one call files a claim on every eligible loan in scope; repeated or raced, it
/// files nothing twice.
async fn batch_claims_file_each_eligible_loan_once(app: TestApp) {
    let (w1, loan1) = loan(&app).await;
    let (w2, loan2) = loan(&app).await;
    let (_, fo) = app.org_with_user("finance_office", Some("3702")).await;
    let (_, fo_other) = app.org_with_user("finance_office", Some("3702")).await;
    let pid = create_policy(&app, &fo, &policy_with(json!({}))).await;
    app.post(
        &format!("/api/v1/loans/{loan2}/events"),
        &w2.bank,
        &json!({"kind": "overdue", "on": today().to_string()}),
    )
    .await
    .assert_status(201);
    let path = format!("/api/v1/policies/{pid}/batch-claims");
    let period = json!({"period_start": month(0), "period_end": month(3)});
    // Who may: not another office's policy, not a bank for another bank, not an enterprise.
    app.post(&path, &fo_other, &period)
        .await
        .assert_problem(403, "forbidden");
    app.post(&path, &w1.ent, &period)
        .await
        .assert_problem(403, "forbidden");
    let mut other_bank = period.clone();
    other_bank["bank_id"] = json!(w2.bank_id);
    app.post(&path, &w1.bank, &other_bank)
        .await
        .assert_problem(403, "forbidden");
    app.post(
        &path,
        &fo,
        &json!({"period_start": month(3), "period_end": month(0)}),
    )
    .await
    .assert_problem(422, "validation_failed");
    // Raced twice: each loan claimed once.
    let both = futures_util::future::join_all((0..2).map(|_| {
        let (app, fo, path, period) = (&app, fo.clone(), path.clone(), period.clone());
        async move { app.post(&path, &fo, &period).await }
    }))
    .await;
    let ids = |r: &Resp, k: &str| -> Vec<i64> {
        r.body[k]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_i64().unwrap())
            .collect()
    };
    let created: Vec<i64> = both
        .iter()
        .flat_map(|r| {
            r.assert_status(200);
            ids(r, "created")
        })
        .collect();
    assert_eq!(
        created.len(),
        1,
        "{:?}",
        both.iter().map(|r| &r.body).collect::<Vec<_>>()
    );
    let claim = app
        .get(&format!("/api/v1/subsidy-claims/{}", created[0]), &fo)
        .await;
    assert_eq!(claim.body["loan_id"], loan1);
    assert_eq!(claim.body["state"], "submitted");
    assert_eq!(claim.body["amount"], "37500.00");
    // Repeated: nothing new; the overdue loan is skipped with its reason.
    let r = app.post(&path, &fo, &period).await;
    r.assert_status(200);
    assert!(ids(&r, "created").is_empty());
    assert_eq!(ids(&r, "existing"), created);
    let skipped = r.body["skipped"].as_array().unwrap();
    assert_eq!(skipped.len(), 1);
    assert_eq!(skipped[0]["loan_id"], loan2);
    assert!(
        skipped[0]["reasons"][0]
            .as_str()
            .unwrap()
            .contains("overdue"),
        "{}",
        r.body
    );
    // A bank sees only its own loans.
    let r = app.post(&path, &w2.bank, &period).await;
    r.assert_status(200);
    assert!(ids(&r, "created").is_empty() && ids(&r, "existing").is_empty());
    assert_eq!(r.body["skipped"][0]["loan_id"], loan2);
    let r = app.post(&path, &w1.bank, &period).await;
    assert_eq!(ids(&r, "existing"), created);
}

/// 工信部企业〔2026〕2号: a 小巨人 certificate meets a policy for 科技和创新型中小企业, and the
/// reason names the certificate that counted.
async fn a_higher_tier_qualifies_for_a_lower_tier_policy(app: TestApp) {
    let (w, loan_id) = loan_on(&app, today() - chrono::Days::new(10)).await;
    let (_, fo) = app.org_with_user("finance_office", Some("3702")).await;
    let pid = create_policy(
        &app,
        &fo,
        &policy_with(
            json!({"qualifications_any": [{"kind": "innovative_sme", "min_level": "provincial"}]}),
        ),
    )
    .await;
    let claim = json!({"policy_id": pid, "loan_id": loan_id, "period_start": month(0), "period_end": month(3)});
    let r = app.post("/api/v1/subsidy-claims", &w.ent, &claim).await;
    r.assert_problem(422, "not_eligible");
    let certified = (today() - chrono::Days::new(400)).to_string();
    app.post(
        &format!("/api/v1/enterprises/{}/qualifications", w.ent_id),
        &w.ent,
        &json!({"kind": "little_giant", "level": "national", "certified_on": certified, "expires_on": month(24), "certificate_no": "工信部小巨人-0001"}),
    )
    .await
    .assert_status(201);
    app.post("/api/v1/subsidy-claims", &w.ent, &claim)
        .await
        .assert_status(201);
    let r = app
        .get(
            &format!("/api/v1/enterprises/{}/eligible-policies", w.ent_id),
            &w.ent,
        )
        .await;
    let item = r.assert_status(200)["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["policy"]["id"] == pid)
        .cloned()
        .unwrap();
    assert_eq!(item["eligible"], true);
    let q = item["reasons"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["criterion"] == "qualifications")
        .cloned()
        .unwrap();
    assert_eq!(q["passed"], true);
    let detail = q["detail"].as_str().unwrap();
    assert!(
        detail.contains(
            "national little_giant certificate, which counts as innovative_sme at provincial"
        ),
        "{detail}"
    );
    // The same criterion in Chinese when asked.
    let zh = app
        .request(
            reqwest::Method::GET,
            &format!("/api/v1/enterprises/{}/eligible-policies", w.ent_id),
            Some(&w.ent),
            None,
            &[("accept-language", "zh-CN")],
        )
        .await;
    let zq = zh.assert_status(200)["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["policy"]["id"] == pid)
        .and_then(|i| {
            i["reasons"]
                .as_array()
                .unwrap()
                .iter()
                .find(|r| r["criterion"] == "qualifications")
                .cloned()
        })
        .unwrap();
    let zd = zq["detail"].as_str().unwrap();
    assert!(
        zd.contains("持有有效的国家级专精特新“小巨人”证书，按工信部企业〔2026〕2号视同省级及以上科技和创新型中小企业"),
        "{zd}"
    );
}
