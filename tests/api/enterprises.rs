//! Enterprise profiles and qualifications: scope per role, derived 划型, validity dates.

use reqwest::Method;
use serde_json::{json, Value};

use crate::both_backends;
use crate::helpers::*;

both_backends!(
    profiles_are_scoped,
    put_recomputes_the_size_class,
    bad_profiles_change_nothing,
    qualifications_with_validity_dates,
    qualification_scope_and_filters,
    put_stores_names_verbatim_and_moves_scope,
    more_bad_profiles_change_nothing,
    enterprise_list_paginates_and_filters,
    qualification_reads_and_deletes_per_role,
    qualification_edges,
    qualification_list_paginates,
    concurrent_duplicates_record_one,
);

fn profile() -> Value {
    json!({
        "name": "青岛海科精密机械有限公司",
        "region_code": "370202",
        "industry": "industry",
        "employees": 299,
        "annual_revenue": "20000000.00",
        "total_assets": "15000000.00",
        "established_on": "2016-05-18"
    })
}

fn qualification(kind: &str, level: &str, from: &str, to: &str, no: &str) -> Value {
    json!({"kind": kind, "level": level, "certified_on": from, "expires_on": to, "certificate_no": no})
}

async fn profiles_are_scoped(app: TestApp) {
    let (qd_id, qd) = app.enterprise("370202").await;
    let (sz_id, sz) = app.enterprise("320505").await;
    let (_, fo_qd) = app.org_with_user("finance_office", Some("3702")).await;
    let (_, fo_js) = app.org_with_user("finance_office", Some("32")).await;
    let (_, bank) = app.org_with_user("bank", None).await;
    let (_, guarantor) = app.org_with_user("guarantor", None).await;
    let one = format!("/api/v1/enterprises/{qd_id}");
    let b = app.get(&one, &qd).await;
    let b = b.assert_status(200);
    assert_eq!(b["credit_code"].as_str().unwrap().len(), 18);
    assert_eq!(b["size_class"], "small");
    assert_eq!(b["qualifications"], json!([]));
    app.get(&one, &fo_qd).await.assert_status(200);
    app.get(&one, &app.admin_token).await.assert_status(200);
    for t in [&sz, &fo_js, &bank, &guarantor] {
        app.get(&one, t).await.assert_problem(404, "not_found");
    }
    let ids = |r: Resp| -> Vec<i64> {
        r.body["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["id"].as_i64().unwrap())
            .collect()
    };
    assert_eq!(
        ids(app.get("/api/v1/enterprises", &fo_qd).await),
        vec![qd_id]
    );
    assert_eq!(
        ids(app.get("/api/v1/enterprises", &fo_js).await),
        vec![sz_id]
    );
    assert_eq!(
        ids(app.get("/api/v1/enterprises", &app.admin_token).await),
        vec![qd_id, sz_id]
    );
    assert!(
        ids(app
            .get("/api/v1/enterprises?region_prefix=32", &fo_qd)
            .await)
        .is_empty(),
        "narrows, never widens"
    );
    for t in [&qd, &bank, &guarantor] {
        app.get("/api/v1/enterprises", t)
            .await
            .assert_problem(403, "forbidden");
    }
    app.get("/api/v1/enterprises?size_class=giant", &app.admin_token)
        .await
        .assert_problem(400, "invalid_query");
    app.get("/api/v1/enterprises/abc", &app.admin_token)
        .await
        .assert_problem(400, "invalid_path_parameter");
    // Only the enterprise itself (or an admin, see stats::an_admin_moves_…) edits its profile.
    let put = |token: &str, id: i64| {
        let (app, token) = (&app, token.to_owned());
        async move {
            app.request(
                Method::PUT,
                &format!("/api/v1/enterprises/{id}"),
                Some(&token),
                Some(&profile()),
                &[],
            )
            .await
        }
    };
    put(&fo_qd, qd_id).await.assert_problem(403, "forbidden");
    put(&app.admin_token, qd_id).await.assert_status(200);
    put(&sz, qd_id).await.assert_problem(404, "not_found");
    put(&bank, qd_id).await.assert_problem(404, "not_found");
    put(&qd, qd_id).await.assert_status(200);
}

async fn put_recomputes_the_size_class(app: TestApp) {
    let (id, token) = app.enterprise("370202").await;
    let path = format!("/api/v1/enterprises/{id}");
    let put = |body: Value| {
        let (app, path, token) = (&app, path.clone(), token.clone());
        async move {
            app.request(Method::PUT, &path, Some(&token), Some(&body), &[])
                .await
        }
    };
    // 工业: 299 people is below the medium line (X ≥ 300) even with Y = 2000 万元.
    let r = put(profile()).await;
    assert_eq!(r.assert_status(200)["size_class"], "small");
    // Exactly X = 300 and Y = 2000 万元: medium ("及以上" is inclusive).
    let mut body = profile();
    body["employees"] = json!(300);
    let r = put(body.clone()).await;
    let b = r.assert_status(200);
    assert_eq!(b["size_class"], "medium");
    assert_eq!(b["employees"], 300);
    assert_eq!(b["annual_revenue"], "20000000.00");
    // One fen under 2000 万元 drops back to small.
    body["annual_revenue"] = json!("19999999.99");
    assert_eq!(
        put(body.clone()).await.assert_status(200)["size_class"],
        "small"
    );
    // Credit code and prior-loan flag are not editable: sending them changes nothing.
    let before = app.get(&path, &token).await.body.clone();
    body["credit_code"] = json!("91350100M000100Y43");
    body["has_prior_loan"] = json!(true);
    body["size_class"] = json!("micro");
    let b = put(body).await;
    let b = b.assert_status(200);
    assert_eq!(b["credit_code"], before["credit_code"]);
    assert_eq!(b["has_prior_loan"], false);
    assert_eq!(b["size_class"], "small");
}

async fn bad_profiles_change_nothing(app: TestApp) {
    let (id, token) = app.enterprise("370202").await;
    let path = format!("/api/v1/enterprises/{id}");
    let before = app.get(&path, &token).await.body.clone();
    let cases: Vec<(Value, u16, &str, &str)> = vec![
        (json!({"name": ""}), 422, "validation_failed", "name"),
        (
            json!({"region_code": "37020"}),
            422,
            "validation_failed",
            "region_code",
        ),
        (
            json!({"employees": -5}),
            422,
            "validation_failed",
            "employees",
        ),
        (
            json!({"established_on": "2999-01-01"}),
            422,
            "validation_failed",
            "established_on",
        ),
        (
            json!({"industry": "piracy"}),
            422,
            "invalid_body",
            "industry",
        ),
        (
            json!({"annual_revenue": 20000000}),
            422,
            "invalid_body",
            "annual_revenue",
        ),
        (
            json!({"annual_revenue": "1.001"}),
            422,
            "invalid_body",
            "annual_revenue",
        ),
        (
            json!({"employees": "many"}),
            422,
            "invalid_body",
            "employees",
        ),
    ];
    for (change, status, code, field) in cases {
        let mut body = profile();
        for (k, v) in change.as_object().unwrap() {
            body[k] = v.clone();
        }
        let r = app
            .request(Method::PUT, &path, Some(&token), Some(&body), &[])
            .await;
        r.assert_problem(status, code);
        assert_eq!(r.body["errors"][0]["field"], field, "{}", r.body);
    }
    let mut missing = profile();
    missing.as_object_mut().unwrap().remove("total_assets");
    let r = app
        .request(Method::PUT, &path, Some(&token), Some(&missing), &[])
        .await;
    r.assert_problem(422, "invalid_body");
    assert_eq!(r.body["errors"][0]["field"], "total_assets");
    assert_eq!(app.get(&path, &token).await.body, before);
}

async fn qualifications_with_validity_dates(app: TestApp) {
    let (id, token) = app.enterprise("370202").await;
    let path = format!("/api/v1/enterprises/{id}/qualifications");
    let current = qualification(
        "specialized_sme",
        "provincial",
        "2025-01-01",
        "2099-12-31",
        "鲁工信〔2025〕118号",
    );
    let r = app.post(&path, &token, &current).await;
    let b = r.assert_status(201).clone();
    assert_eq!(b["kind"], "specialized_sme");
    assert_eq!(b["level"], "provincial");
    assert_eq!(b["valid_today"], true);
    let expired = qualification(
        "high_tech",
        "national",
        "2019-01-01",
        "2021-12-31",
        "GR201937000123",
    );
    let r = app.post(&path, &token, &expired).await;
    assert_eq!(r.assert_status(201)["valid_today"], false);
    let future = qualification(
        "little_giant",
        "national",
        "2099-01-01",
        "2099-12-31",
        "工信部〔2099〕1号",
    );
    app.post(&path, &token, &future).await.assert_status(201);
    // Listing, with the validity filter.
    let all = app.get(&path, &token).await;
    assert_eq!(all.assert_status(200)["items"].as_array().unwrap().len(), 3);
    let valid = app
        .get(&format!("{path}?valid_on=2020-06-01"), &token)
        .await;
    let kinds: Vec<&str> = valid.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|q| q["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, vec!["high_tech"]);
    // The profile shows them too.
    let p = app.get(&format!("/api/v1/enterprises/{id}"), &token).await;
    assert_eq!(p.body["qualifications"].as_array().unwrap().len(), 3);
    // Duplicates, bad dates and bad shapes.
    app.post(&path, &token, &current)
        .await
        .assert_problem(409, "duplicate_qualification");
    let r = app
        .post(
            &path,
            &token,
            &qualification("gazelle", "municipal", "2025-06-01", "2025-05-31", "X-1"),
        )
        .await;
    r.assert_problem(422, "validation_failed");
    assert_eq!(r.body["errors"][0]["field"], "expires_on");
    app.post(
        &path,
        &token,
        &qualification("gazelle", "municipal", "2025-01-01", "2026-01-01", "  "),
    )
    .await
    .assert_problem(422, "validation_failed");
    app.post(
        &path,
        &token,
        &qualification("gazelle", "cosmic", "2025-01-01", "2026-01-01", "X-2"),
    )
    .await
    .assert_problem(422, "invalid_body");
    app.post(
        &path,
        &token,
        &qualification("wizard", "municipal", "2025-01-01", "2026-01-01", "X-3"),
    )
    .await
    .assert_problem(422, "invalid_body");
    assert_eq!(
        app.get(&path, &token).await.body["items"]
            .as_array()
            .unwrap()
            .len(),
        3
    );
    // Idempotent create.
    let key = [("Idempotency-Key", "qual-1")];
    let body = qualification(
        "tech_sme",
        "provincial",
        "2025-01-01",
        "2026-12-31",
        "TSME-1",
    );
    let a = app
        .request(Method::POST, &path, Some(&token), Some(&body), &key)
        .await;
    let b = app
        .request(Method::POST, &path, Some(&token), Some(&body), &key)
        .await;
    assert_eq!(a.assert_status(201), b.assert_status(201));
    // Delete, then it is gone.
    let qid = a.body["id"].as_i64().unwrap();
    let r = app
        .request(
            Method::DELETE,
            &format!("{path}/{qid}"),
            Some(&token),
            None,
            &[],
        )
        .await;
    assert_eq!(r.status.as_u16(), 204);
    let r = app
        .request(
            Method::DELETE,
            &format!("{path}/{qid}"),
            Some(&token),
            None,
            &[],
        )
        .await;
    r.assert_problem(404, "not_found");
    assert_eq!(
        app.get(&path, &token).await.body["items"]
            .as_array()
            .unwrap()
            .len(),
        3
    );
}

async fn qualification_scope_and_filters(app: TestApp) {
    let (holder, holder_t) = app.enterprise("370202").await;
    let (lapsed, lapsed_t) = app.enterprise("370203").await;
    let (outsider, _) = app.enterprise("320505").await;
    let (_, fo) = app.org_with_user("finance_office", Some("3702")).await;
    let (_, bank) = app.org_with_user("bank", None).await;
    let q = |id: i64| format!("/api/v1/enterprises/{id}/qualifications");
    // The finance office certifies enterprises of its region only.
    let r = app
        .post(
            &q(holder),
            &fo,
            &qualification(
                "specialized_sme",
                "provincial",
                "2025-01-01",
                "2099-12-31",
                "A-1",
            ),
        )
        .await;
    r.assert_status(201);
    app.post(
        &q(lapsed),
        &lapsed_t,
        &qualification(
            "specialized_sme",
            "provincial",
            "2020-01-01",
            "2022-12-31",
            "B-1",
        ),
    )
    .await
    .assert_status(201);
    app.post(
        &q(outsider),
        &fo,
        &qualification("gazelle", "municipal", "2025-01-01", "2026-01-01", "C-1"),
    )
    .await
    .assert_problem(404, "not_found");
    app.post(
        &q(holder),
        &bank,
        &qualification("gazelle", "municipal", "2025-01-01", "2026-01-01", "C-2"),
    )
    .await
    .assert_problem(404, "not_found");
    app.post(
        &q(holder),
        &lapsed_t,
        &qualification("gazelle", "municipal", "2025-01-01", "2026-01-01", "C-3"),
    )
    .await
    .assert_problem(404, "not_found");
    app.get(&q(holder), &lapsed_t)
        .await
        .assert_problem(404, "not_found");
    // Another enterprise cannot delete a qualification that is not its own.
    let qid = app.get(&q(holder), &holder_t).await.body["items"][0]["id"]
        .as_i64()
        .unwrap();
    let r = app
        .request(
            Method::DELETE,
            &format!("{}/{qid}", q(lapsed)),
            Some(&lapsed_t),
            None,
            &[],
        )
        .await;
    r.assert_problem(404, "not_found");
    // The filter counts only qualifications valid today.
    let ids = |r: Resp| -> Vec<i64> {
        r.body["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["id"].as_i64().unwrap())
            .collect()
    };
    assert_eq!(
        ids(app
            .get("/api/v1/enterprises?qualification=specialized_sme", &fo)
            .await),
        vec![holder]
    );
    assert_eq!(
        ids(app
            .get(
                "/api/v1/enterprises?qualification=specialized_sme",
                &app.admin_token
            )
            .await),
        vec![holder]
    );
    assert_eq!(
        ids(app
            .get(
                "/api/v1/enterprises?has_prior_loan=false&size_class=small",
                &fo
            )
            .await),
        vec![holder, lapsed]
    );
}

fn day(offset: i64) -> String {
    (chrono::Utc::now().date_naive() + chrono::Duration::days(offset)).to_string()
}

async fn count(app: &TestApp, path: &str, token: &str) -> usize {
    app.get(path, token).await.body["items"]
        .as_array()
        .unwrap()
        .len()
}

async fn put(app: &TestApp, id: i64, token: &str, body: &Value) -> Resp {
    app.request(
        Method::PUT,
        &format!("/api/v1/enterprises/{id}"),
        Some(token),
        Some(body),
        &[],
    )
    .await
}

async fn delete(app: &TestApp, path: &str, token: &str) -> Resp {
    app.request(Method::DELETE, path, Some(token), None, &[])
        .await
}

async fn put_stores_names_verbatim_and_moves_scope(app: TestApp) {
    let (id, token) = app.enterprise("370202").await;
    let (_, fo_qd) = app.org_with_user("finance_office", Some("3702")).await;
    let (_, fo_sz) = app.org_with_user("finance_office", Some("3205")).await;
    let path = format!("/api/v1/enterprises/{id}");
    let before = app.get(&path, &token).await.body.clone();
    let name = "Robert'); DROP TABLE organizations;-- 🏭 海科 «Ω»";
    let mut body = profile();
    body["name"] = json!(name);
    body["industry"] = json!("retail");
    body["employees"] = json!(0);
    body["annual_revenue"] = json!("0");
    body["total_assets"] = json!("1000000000000.00");
    // The region is not self-service: 403, and nothing changes.
    let mut moved = body.clone();
    moved["region_code"] = json!("320505");
    put(&app, id, &token, &moved)
        .await
        .assert_problem(403, "region_change_forbidden");
    assert_eq!(app.get(&path, &token).await.body, before);
    let r = put(&app, id, &token, &body).await;
    let b = r.assert_status(200).clone();
    assert_eq!(b["name"], name);
    assert_eq!(b["region_code"], "370202");
    assert_eq!(b["industry"], "retail");
    assert_eq!(b["annual_revenue"], "0.00");
    assert_eq!(b["total_assets"], "1000000000000.00");
    assert_eq!(b["credit_code"], before["credit_code"]);
    assert_eq!(b["created_at"], before["created_at"]);
    assert_eq!(b["id"], id);
    // 零售业: fewer than 10 people → micro.
    assert_eq!(b["size_class"], "micro");
    // What PUT answered is what a read shows.
    assert_eq!(app.get(&path, &token).await.body, b);
    // The enterprise stayed where it was: its own office sees it, the other does not.
    assert_eq!(
        app.get(&path, &fo_qd).await.assert_status(200)["name"],
        name
    );
    assert_eq!(app.get("/api/v1/enterprises", &fo_qd).await.ids(), vec![id]);
    app.get(&path, &fo_sz)
        .await
        .assert_problem(404, "not_found");
    assert!(app
        .get("/api/v1/enterprises", &fo_sz)
        .await
        .ids()
        .is_empty());
    // An id that does not exist, and one that is not an enterprise.
    put(&app, id + 1000, &token, &profile())
        .await
        .assert_problem(404, "not_found");
    let (bank_id, bank) = app.org_with_user("bank", None).await;
    put(&app, bank_id, &bank, &profile())
        .await
        .assert_problem(404, "not_found");
    app.get(&format!("/api/v1/enterprises/{bank_id}"), &app.admin_token)
        .await
        .assert_problem(404, "not_found");
}

async fn more_bad_profiles_change_nothing(app: TestApp) {
    let (id, token) = app.enterprise("370202").await;
    let path = format!("/api/v1/enterprises/{id}");
    let before = app.get(&path, &token).await.body.clone();
    // Every field is required: PUT replaces the editable profile.
    for field in profile().as_object().unwrap().keys() {
        let mut body = profile();
        body.as_object_mut().unwrap().remove(field);
        let r = put(&app, id, &token, &body).await;
        r.assert_problem(422, "invalid_body");
        assert_eq!(r.body["errors"][0]["field"], field.as_str(), "{}", r.body);
        let mut body = profile();
        body[field] = Value::Null;
        let r = put(&app, id, &token, &body).await;
        if field == "industry" {
            // serde_json reports a non-string enum value as a syntax error, which
            // `JsonBody` answers 400 `malformed_json` (SPEC §2 allows 400 or 422).
            assert!(matches!(r.status.as_u16(), 400 | 422), "{}", r.body);
            assert!(r.body["code"].is_string(), "{}", r.body);
        } else {
            r.assert_problem(422, "invalid_body");
            assert_eq!(r.body["errors"][0]["field"], field.as_str(), "{}", r.body);
        }
    }
    let invalid_body: Vec<(&str, Value)> = vec![
        ("annual_revenue", json!("-1.00")),
        ("annual_revenue", json!("1e7")),
        ("annual_revenue", json!("1000000000000.01")),
        ("total_assets", json!(1500000.5)),
        ("total_assets", json!("12,000.00")),
        ("established_on", json!("2016-13-01")),
        ("established_on", json!("18/05/2016")),
        ("industry", json!("Industry")),
        ("employees", json!(12.5)),
        ("region_code", json!(370202)),
        ("name", json!(["海科"])),
    ];
    for (field, value) in invalid_body {
        let mut body = profile();
        body[field] = value;
        let r = put(&app, id, &token, &body).await;
        r.assert_problem(422, "invalid_body");
        assert_eq!(r.body["errors"][0]["field"], field, "{}", r.body);
    }
    let validation: Vec<(&str, Value)> = vec![
        ("name", json!("   ")),
        ("name", json!("名".repeat(201))),
        ("region_code", json!("3702021")),
        ("region_code", json!("37020a")),
        ("region_code", json!("")),
        ("employees", json!(10_000_001)),
        ("established_on", json!(day(1))),
    ];
    for (field, value) in validation {
        let mut body = profile();
        body[field] = value;
        let r = put(&app, id, &token, &body).await;
        r.assert_problem(422, "validation_failed");
        assert_eq!(r.body["errors"][0]["field"], field, "{}", r.body);
    }
    // Several bad fields are all reported.
    let mut body = profile();
    body["name"] = json!("");
    body["region_code"] = json!("x");
    let r = put(&app, id, &token, &body).await;
    r.assert_problem(422, "validation_failed");
    assert_eq!(r.body["errors"].as_array().unwrap().len(), 2);
    // Not JSON at all.
    let r = app
        .raw(
            Method::PUT,
            &path,
            Some(&token),
            "application/json",
            "{\"name\":",
        )
        .await;
    assert!([400, 422].contains(&r.status.as_u16()), "{}", r.body);
    assert!(r.body["code"].is_string());
    // The boundaries themselves are accepted.
    let mut body = profile();
    body["name"] = json!("名".repeat(200));
    body["established_on"] = json!(day(0));
    put(&app, id, &token, &body).await.assert_status(200);
    let after = app.get(&path, &token).await.body.clone();
    assert_eq!(after["name"], "名".repeat(200));
    // Apart from that accepted update, nothing changed.
    for k in [
        "credit_code",
        "has_prior_loan",
        "created_at",
        "qualifications",
    ] {
        assert_eq!(after[k], before[k], "{k}");
    }
    let mut body = profile();
    body["annual_revenue"] = json!("1.001");
    put(&app, id, &token, &body)
        .await
        .assert_problem(422, "invalid_body");
    assert_eq!(app.get(&path, &token).await.body, after);
}

async fn enterprise_list_paginates_and_filters(app: TestApp) {
    let (a, _) = app.enterprise("370202").await;
    let (b, b_t) = app.enterprise("370203").await;
    let (c, _) = app.enterprise("370102").await;
    let (d, _) = app.enterprise("320505").await;
    // One enterprise registered with a prior loan.
    let username = unique_username("ent");
    let mut reg = registration(&username, &credit_code(), "370202");
    reg["enterprise"]["has_prior_loan"] = json!(true);
    let r = app
        .request(Method::POST, "/api/v1/auth/register", None, Some(&reg), &[])
        .await;
    let e = r.assert_status(201)["organization"]["id"].as_i64().unwrap();
    let (_, fo_sd) = app.org_with_user("finance_office", Some("37")).await;
    let list = "/api/v1/enterprises";
    // Walk the admin's list one at a time: ascending ids, every enterprise once.
    let mut seen = Vec::new();
    let mut url = format!("{list}?limit=2");
    loop {
        let r = app.get(&url, &app.admin_token).await;
        let page = r.assert_status(200).clone();
        assert!(page["items"].as_array().unwrap().len() <= 2);
        seen.extend(r.ids());
        match page["next_cursor"].as_str() {
            Some(c) => url = format!("{list}?limit=2&cursor={c}"),
            None => break,
        }
    }
    assert_eq!(seen, vec![a, b, c, d, e]);
    let r = app.get(&format!("{list}?limit=5"), &app.admin_token).await;
    assert_eq!(r.body["next_cursor"], Value::Null);
    assert_eq!(r.body["items"][0]["qualifications"], json!([]));
    for bad in ["limit=0", "limit=201", "cursor=garbage", "limit=x"] {
        let r = app.get(&format!("{list}?{bad}"), &app.admin_token).await;
        assert_eq!(r.status.as_u16(), 400, "{bad}: {}", r.body);
    }
    // The province office sees its four; region_prefix narrows inside that scope.
    assert_eq!(app.get(list, &fo_sd).await.ids(), vec![a, b, c, e]);
    assert_eq!(
        app.get(&format!("{list}?region_prefix=3702"), &fo_sd)
            .await
            .ids(),
        vec![a, b, e]
    );
    assert_eq!(
        app.get(&format!("{list}?region_prefix=370203"), &fo_sd)
            .await
            .ids(),
        vec![b]
    );
    assert!(app
        .get(&format!("{list}?region_prefix=32"), &fo_sd)
        .await
        .ids()
        .is_empty());
    assert_eq!(
        app.get(&format!("{list}?region_prefix=32"), &app.admin_token)
            .await
            .ids(),
        vec![d]
    );
    app.get(&format!("{list}?region_prefix=3"), &fo_sd)
        .await
        .assert_problem(400, "invalid_query");
    app.get(&format!("{list}?region_prefix=37%25"), &fo_sd)
        .await
        .assert_problem(400, "invalid_query");
    // has_prior_loan, industry and size_class filters, alone and together.
    assert_eq!(
        app.get(&format!("{list}?has_prior_loan=true"), &fo_sd)
            .await
            .ids(),
        vec![e]
    );
    assert_eq!(
        app.get(&format!("{list}?has_prior_loan=false"), &fo_sd)
            .await
            .ids(),
        vec![a, b, c]
    );
    let mut retail = profile();
    retail["region_code"] = json!("370203");
    retail["industry"] = json!("retail");
    retail["employees"] = json!(5);
    retail["annual_revenue"] = json!("900000.00");
    assert_eq!(
        put(&app, b, &b_t, &retail).await.assert_status(200)["size_class"],
        "micro"
    );
    assert_eq!(
        app.get(&format!("{list}?industry=retail"), &fo_sd)
            .await
            .ids(),
        vec![b]
    );
    assert_eq!(
        app.get(&format!("{list}?size_class=micro"), &fo_sd)
            .await
            .ids(),
        vec![b]
    );
    assert!(app
        .get(
            &format!("{list}?size_class=micro&industry=industry"),
            &fo_sd
        )
        .await
        .ids()
        .is_empty());
    assert_eq!(
        app.get(
            &format!("{list}?industry=industry&has_prior_loan=false"),
            &fo_sd
        )
        .await
        .ids(),
        vec![a, c]
    );
    app.get(&format!("{list}?industry=piracy"), &fo_sd)
        .await
        .assert_problem(400, "invalid_query");
    app.get(&format!("{list}?qualification=wizard"), &fo_sd)
        .await
        .assert_problem(400, "invalid_query");
    app.get(&format!("{list}?has_prior_loan=maybe"), &fo_sd)
        .await
        .assert_problem(400, "invalid_query");
}

async fn qualification_reads_and_deletes_per_role(app: TestApp) {
    let (ent, ent_t) = app.enterprise("370202").await;
    let (_, other_t) = app.enterprise("370202").await;
    let (_, fo_in) = app.org_with_user("finance_office", Some("370202")).await;
    let (_, fo_out) = app.org_with_user("finance_office", Some("3701")).await;
    let (_, bank) = app.org_with_user("bank", None).await;
    let (_, guarantor) = app.org_with_user("guarantor", None).await;
    let path = format!("/api/v1/enterprises/{ent}/qualifications");
    let mut qids = Vec::new();
    for (i, t) in [&ent_t, &fo_in, &app.admin_token].into_iter().enumerate() {
        let body = qualification(
            "innovative_sme",
            "municipal",
            "2025-01-01",
            "2099-12-31",
            &format!("N-{i}"),
        );
        let r = app.post(&path, t, &body).await;
        let b = r.assert_status(201);
        assert_eq!(b["enterprise_id"], ent);
        qids.push(b["id"].as_i64().unwrap());
    }
    for t in [&ent_t, &fo_in, &app.admin_token] {
        assert_eq!(app.get(&path, t).await.ids(), qids);
    }
    for t in [&other_t, &fo_out, &bank, &guarantor] {
        app.get(&path, t).await.assert_problem(404, "not_found");
        app.post(
            &path,
            t,
            &qualification("gazelle", "municipal", "2025-01-01", "2026-01-01", "Z"),
        )
        .await
        .assert_problem(404, "not_found");
        delete(&app, &format!("{path}/{}", qids[0]), t)
            .await
            .assert_problem(404, "not_found");
    }
    // Nothing the outsiders tried changed anything.
    assert_eq!(app.get(&path, &ent_t).await.ids(), qids);
    // The enterprise, its office and the admin may each remove one.
    for (qid, t) in qids.iter().zip([&ent_t, &fo_in, &app.admin_token]) {
        let r = delete(&app, &format!("{path}/{qid}"), t).await;
        assert_eq!(r.status.as_u16(), 204);
        assert_eq!(r.body, Value::Null);
    }
    assert!(app.get(&path, &ent_t).await.ids().is_empty());
    assert_eq!(
        app.get(&format!("/api/v1/enterprises/{ent}"), &ent_t)
            .await
            .body["qualifications"],
        json!([])
    );
    delete(&app, &format!("{path}/999999"), &app.admin_token)
        .await
        .assert_problem(404, "not_found");
    delete(&app, &format!("{path}/abc"), &app.admin_token)
        .await
        .assert_problem(400, "invalid_path_parameter");
    // Without a token: 401.
    let r = app.request(Method::GET, &path, None, None, &[]).await;
    r.assert_problem(401, "unauthorized");
}

async fn qualification_edges(app: TestApp) {
    let (ent, token) = app.enterprise("370202").await;
    let (_, fo) = app.org_with_user("finance_office", Some("3702")).await;
    let path = format!("/api/v1/enterprises/{ent}/qualifications");
    // certificate_no: 100 characters is the limit.
    let r = app
        .post(
            &path,
            &token,
            &qualification(
                "gazelle",
                "municipal",
                "2025-01-01",
                "2026-01-01",
                &"号".repeat(101),
            ),
        )
        .await;
    r.assert_problem(422, "validation_failed");
    assert_eq!(r.body["errors"][0]["field"], "certificate_no");
    let long = "号".repeat(100);
    let r = app
        .post(
            &path,
            &token,
            &qualification("gazelle", "municipal", "2025-01-01", "2026-01-01", &long),
        )
        .await;
    assert_eq!(r.assert_status(201)["certificate_no"], long.as_str());
    // A one-day qualification is fine; missing fields and bad dates are not.
    app.post(
        &path,
        &token,
        &qualification("unicorn", "national", "2025-03-01", "2025-03-01", "U-1"),
    )
    .await
    .assert_status(201);
    for field in [
        "kind",
        "level",
        "certified_on",
        "expires_on",
        "certificate_no",
    ] {
        let mut body = qualification("unicorn", "national", "2025-03-01", "2025-03-02", "U-2");
        body.as_object_mut().unwrap().remove(field);
        let r = app.post(&path, &token, &body).await;
        r.assert_problem(422, "invalid_body");
        assert_eq!(r.body["errors"][0]["field"], field, "{}", r.body);
    }
    app.post(
        &path,
        &token,
        &qualification("unicorn", "national", "2025-02-30", "2025-03-02", "U-3"),
    )
    .await
    .assert_problem(422, "invalid_body");
    assert_eq!(count(&app, &path, &token).await, 2);
    // Same kind and certificate number at another level is another qualification; the same
    // triple again is a duplicate, whoever records it.
    let base = qualification(
        "specialized_sme",
        "provincial",
        "2024-01-01",
        "2026-12-31",
        "S-1",
    );
    app.post(&path, &token, &base).await.assert_status(201);
    let mut national = base.clone();
    national["level"] = json!("national");
    app.post(&path, &token, &national).await.assert_status(201);
    let mut other_dates = base.clone();
    other_dates["expires_on"] = json!("2030-12-31");
    app.post(&path, &fo, &other_dates)
        .await
        .assert_problem(409, "duplicate_qualification");
    assert_eq!(count(&app, &path, &token).await, 4);
    // Idempotency: a replay answers the original response and creates nothing; the same key
    // with another body is refused.
    let key = [("Idempotency-Key", "q-edge-1")];
    let body = qualification("high_tech", "national", "2024-01-01", "2026-12-31", "GR-1");
    let first = app
        .request(Method::POST, &path, Some(&token), Some(&body), &key)
        .await;
    let first = first.assert_status(201).clone();
    let again = app
        .request(Method::POST, &path, Some(&token), Some(&body), &key)
        .await;
    assert_eq!(again.assert_status(201), &first);
    assert_eq!(count(&app, &path, &token).await, 5);
    let mut changed = body.clone();
    changed["certificate_no"] = json!("GR-2");
    app.request(Method::POST, &path, Some(&token), Some(&changed), &key)
        .await
        .assert_problem(409, "idempotency_key_reused");
    assert_eq!(count(&app, &path, &token).await, 5);
    // Validity counts both ends, today included: valid_today and the list filter agree.
    let (e2, e2_t) = app.enterprise("370202").await;
    let (e3, e3_t) = app.enterprise("370202").await;
    let (e4, e4_t) = app.enterprise("370202").await;
    let p = |id: i64| format!("/api/v1/enterprises/{id}/qualifications");
    let cases = [
        (e2, &e2_t, day(-30), day(0), true),
        (e3, &e3_t, day(-30), day(-1), false),
        (e4, &e4_t, day(1), day(30), false),
    ];
    for (id, t, from, to, valid) in &cases {
        let r = app
            .post(
                &p(*id),
                t,
                &qualification("little_giant", "national", from, to, "L-1"),
            )
            .await;
        assert_eq!(r.assert_status(201)["valid_today"], *valid);
    }
    let r = app
        .post(
            &p(e4),
            &e4_t,
            &qualification("little_giant", "municipal", &day(0), &day(0), "L-2"),
        )
        .await;
    assert_eq!(r.assert_status(201)["valid_today"], true);
    assert_eq!(
        app.get("/api/v1/enterprises?qualification=little_giant", &fo)
            .await
            .ids(),
        vec![e2, e4]
    );
    assert!(app
        .get("/api/v1/enterprises?qualification=unicorn", &fo)
        .await
        .ids()
        .is_empty());
    // valid_on picks the qualifications of that date.
    let on = |d: &str| format!("{}?valid_on={d}", p(e4));
    assert_eq!(app.get(&on(&day(0)), &e4_t).await.ids().len(), 1);
    assert_eq!(app.get(&on(&day(30)), &e4_t).await.ids().len(), 1);
    assert_eq!(app.get(&on(&day(31)), &e4_t).await.ids().len(), 0);
    app.get(&on("yesterday"), &e4_t)
        .await
        .assert_problem(400, "invalid_query");
}

async fn qualification_list_paginates(app: TestApp) {
    let (ent, token) = app.enterprise("370202").await;
    let path = format!("/api/v1/enterprises/{ent}/qualifications");
    let mut created = Vec::new();
    for i in 0..5 {
        let r = app
            .post(
                &path,
                &token,
                &qualification(
                    "tech_sme",
                    "provincial",
                    "2025-01-01",
                    "2099-12-31",
                    &format!("T-{i}"),
                ),
            )
            .await;
        created.push(r.assert_status(201)["id"].as_i64().unwrap());
    }
    let mut seen = Vec::new();
    let mut url = format!("{path}?limit=2");
    let mut pages = 0;
    loop {
        let r = app.get(&url, &token).await;
        let page = r.assert_status(200).clone();
        pages += 1;
        seen.extend(r.ids());
        match page["next_cursor"].as_str() {
            Some(c) => url = format!("{path}?limit=2&cursor={c}"),
            None => break,
        }
    }
    assert_eq!(pages, 3);
    assert_eq!(seen, created);
    // The cursor composes with the validity filter.
    let r = app
        .get(&format!("{path}?limit=4&valid_on=2030-01-01"), &token)
        .await;
    assert_eq!(r.ids(), created[..4].to_vec());
    let c = r.body["next_cursor"].as_str().unwrap().to_owned();
    let r = app
        .get(
            &format!("{path}?limit=4&valid_on=2030-01-01&cursor={c}"),
            &token,
        )
        .await;
    assert_eq!(r.ids(), created[4..].to_vec());
    assert_eq!(r.body["next_cursor"], Value::Null);
    app.get(&format!("{path}?cursor=nope"), &token)
        .await
        .assert_problem(400, "invalid_cursor");
    app.get(&format!("{path}?limit=500"), &token)
        .await
        .assert_problem(400, "invalid_query");
}

async fn concurrent_duplicates_record_one(app: TestApp) {
    let (ent, token) = app.enterprise("370202").await;
    let path = format!("/api/v1/enterprises/{ent}/qualifications");
    let body = qualification(
        "single_champion",
        "national",
        "2025-01-01",
        "2027-12-31",
        "SC-1",
    );
    for round in 0..3 {
        let mut b = body.clone();
        b["certificate_no"] = json!(format!("SC-{round}"));
        let (r1, r2, r3, r4) = tokio::join!(
            app.post(&path, &token, &b),
            app.post(&path, &token, &b),
            app.post(&path, &token, &b),
            app.post(&path, &token, &b),
        );
        let mut statuses: Vec<u16> = [&r1, &r2, &r3, &r4]
            .iter()
            .map(|r| r.status.as_u16())
            .collect();
        statuses.sort();
        assert_eq!(statuses, vec![201, 409, 409, 409], "round {round}");
    }
    assert_eq!(count(&app, &path, &token).await, 3);
}
