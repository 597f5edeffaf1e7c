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
    // Only the enterprise itself edits its profile.
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
    put(&app.admin_token, qd_id)
        .await
        .assert_problem(403, "forbidden");
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
