//! Financing demands: create, scope, edit while open, close, expiry.

use diesel::prelude::*;
use reqwest::Method;
use serde_json::{json, Value};

use crate::both_backends;
use crate::helpers::*;

both_backends!(
    enterprise_posts_a_demand,
    only_enterprises_post,
    bad_demands_are_refused_and_nothing_is_stored,
    demands_are_scoped,
    edits_only_while_open,
    closing,
    expiry_past_needed_by,
    idempotent_create_filters_and_pages,
);

fn demand() -> Value {
    json!({
        "amount": "5000000.00",
        "term_months": 12,
        "purpose": "equipment",
        "guarantee_methods": ["credit", "guarantee", "credit"],
        "max_rate": "4.2",
        "preferred_product_types": ["specialized_sme"],
        "needed_by": (chrono::Utc::now().date_naive() + chrono::Days::new(60)).to_string(),
        "description": "采购数控机床两台"
    })
}

async fn count(app: &TestApp) -> usize {
    app.get("/api/v1/demands", &app.admin_token).await.body["items"]
        .as_array()
        .unwrap()
        .len()
}

async fn enterprise_posts_a_demand(app: TestApp) {
    let (ent, token) = app.enterprise("370202").await;
    let r = app.post("/api/v1/demands", &token, &demand()).await;
    let b = r.assert_status(201).clone();
    assert_eq!(b["enterprise_id"], ent);
    assert_eq!(b["enterprise_name"], "青岛海科精密机械有限公司");
    assert_eq!(b["amount"], "5000000.00");
    assert_eq!(b["max_rate"], "4.20");
    assert_eq!(b["status"], "open");
    assert_eq!(
        b["guarantee_methods"],
        json!(["credit", "guarantee"]),
        "duplicates removed"
    );
    assert_eq!(b["preferred_product_types"], json!(["specialized_sme"]));
    assert_eq!(b["description"], "采购数控机床两台");
    assert!(b["closed_at"].is_null());
    let id = b["id"].as_i64().unwrap();
    let r = app.get(&format!("/api/v1/demands/{id}"), &token).await;
    assert_eq!(r.assert_status(200), &b);
    // Optional fields may be left out.
    let r = app
        .post(
            "/api/v1/demands",
            &token,
            &json!({"amount": "800000", "term_months": 6, "purpose": "working_capital", "guarantee_methods": ["mortgage"], "description": ""}),
        )
        .await;
    let b = r.assert_status(201);
    assert!(b["max_rate"].is_null() && b["needed_by"].is_null());
    assert_eq!(b["preferred_product_types"], json!([]));
}

async fn only_enterprises_post(app: TestApp) {
    let (_, bank) = app.org_with_user("bank", None).await;
    let (_, fo) = app.org_with_user("finance_office", Some("37")).await;
    let (_, guarantor) = app.org_with_user("guarantor", None).await;
    for token in [&bank, &fo, &guarantor, &app.admin_token] {
        app.post("/api/v1/demands", token, &demand())
            .await
            .assert_problem(403, "forbidden");
    }
    app.request(Method::POST, "/api/v1/demands", None, Some(&demand()), &[])
        .await
        .assert_problem(401, "unauthorized");
    assert_eq!(count(&app).await, 0);
}

async fn bad_demands_are_refused_and_nothing_is_stored(app: TestApp) {
    let (_, token) = app.enterprise("370202").await;
    let yesterday = (chrono::Utc::now().date_naive() - chrono::Days::new(1)).to_string();
    let semantic: Vec<(&str, Value, &str)> = vec![
        ("/amount", json!("0.00"), "amount"),
        ("/term_months", json!(0), "term_months"),
        ("/term_months", json!(361), "term_months"),
        ("/guarantee_methods", json!([]), "guarantee_methods"),
        ("/needed_by", json!(yesterday), "needed_by"),
        ("/description", json!("长".repeat(5001)), "description"),
    ];
    for (pointer, value, field) in semantic {
        let mut body = demand();
        *body.pointer_mut(pointer).unwrap() = value;
        let r = app.post("/api/v1/demands", &token, &body).await;
        r.assert_problem(422, "validation_failed");
        assert_eq!(r.body["errors"][0]["field"], field);
    }
    let shape: Vec<(&str, Value, &str)> = vec![
        ("/amount", json!(5000000), "amount"),
        ("/amount", json!("5000000.001"), "amount"),
        ("/amount", json!("-1.00"), "amount"),
        ("/amount", json!("1e6"), "amount"),
        ("/amount", json!("1000000000000.01"), "amount"),
        ("/term_months", json!("12"), "term_months"),
        ("/purpose", json!("yacht"), "purpose"),
        (
            "/guarantee_methods",
            json!(["handshake"]),
            "guarantee_methods[0]",
        ),
        ("/max_rate", json!(4.2), "max_rate"),
        ("/max_rate", json!("4.12345"), "max_rate"),
        (
            "/preferred_product_types",
            json!(["payday"]),
            "preferred_product_types[0]",
        ),
        ("/needed_by", json!("next week"), "needed_by"),
    ];
    for (pointer, value, field) in shape {
        let mut body = demand();
        *body.pointer_mut(pointer).unwrap() = value;
        let r = app.post("/api/v1/demands", &token, &body).await;
        r.assert_problem(422, "invalid_body");
        assert_eq!(r.body["errors"][0]["field"], field, "{}", r.body);
    }
    let mut body = demand();
    body.as_object_mut().unwrap().remove("purpose");
    let r = app.post("/api/v1/demands", &token, &body).await;
    r.assert_problem(422, "invalid_body");
    assert_eq!(r.body["errors"][0]["field"], "purpose");
    let r = app
        .raw(
            Method::POST,
            "/api/v1/demands",
            Some(&token),
            "application/json",
            "{\"amount\": ",
        )
        .await;
    r.assert_problem(400, "malformed_json");
    assert_eq!(count(&app).await, 0);
}

async fn demands_are_scoped(app: TestApp) {
    let (_, qd) = app.enterprise("370202").await;
    let (_, sz) = app.enterprise("320505").await;
    let (_, fo_qd) = app.org_with_user("finance_office", Some("3702")).await;
    let (_, fo_sd) = app.org_with_user("finance_office", Some("37")).await;
    let (_, fo_js) = app.org_with_user("finance_office", Some("32")).await;
    let (_, bank) = app.org_with_user("bank", None).await;
    let qd_demand = app.post("/api/v1/demands", &qd, &demand()).await.body["id"]
        .as_i64()
        .unwrap();
    let sz_demand = app.post("/api/v1/demands", &sz, &demand()).await.body["id"]
        .as_i64()
        .unwrap();
    let ids = |r: &Resp| -> Vec<i64> {
        r.body["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| d["id"].as_i64().unwrap())
            .collect()
    };

    assert_eq!(ids(&app.get("/api/v1/demands", &qd).await), vec![qd_demand]);
    assert_eq!(ids(&app.get("/api/v1/demands", &sz).await), vec![sz_demand]);
    app.get(&format!("/api/v1/demands/{sz_demand}"), &qd)
        .await
        .assert_problem(404, "not_found");
    assert_eq!(
        ids(&app.get("/api/v1/demands", &fo_qd).await),
        vec![qd_demand]
    );
    assert_eq!(
        ids(&app.get("/api/v1/demands", &fo_sd).await),
        vec![qd_demand]
    );
    assert_eq!(
        ids(&app.get("/api/v1/demands", &fo_js).await),
        vec![sz_demand]
    );
    app.get(&format!("/api/v1/demands/{qd_demand}"), &fo_qd)
        .await
        .assert_status(200);
    app.get(&format!("/api/v1/demands/{qd_demand}"), &fo_js)
        .await
        .assert_problem(404, "not_found");
    // A region filter narrows, never widens.
    assert!(ids(&app.get("/api/v1/demands?region_prefix=32", &fo_qd).await).is_empty());
    assert_eq!(
        ids(&app
            .get("/api/v1/demands?region_prefix=32", &app.admin_token)
            .await),
        vec![sz_demand]
    );
    // Banks reach demands through their products' candidates, not this list.
    assert!(ids(&app.get("/api/v1/demands", &bank).await).is_empty());
    app.get(&format!("/api/v1/demands/{qd_demand}"), &bank)
        .await
        .assert_problem(404, "not_found");
    assert_eq!(
        ids(&app.get("/api/v1/demands", &app.admin_token).await),
        vec![qd_demand, sz_demand]
    );
    app.get("/api/v1/demands/abc", &qd)
        .await
        .assert_problem(400, "invalid_path_parameter");
    app.get("/api/v1/demands?status=pending", &qd)
        .await
        .assert_problem(400, "invalid_query");
}

async fn edits_only_while_open(app: TestApp) {
    let (_, token) = app.enterprise("370202").await;
    let (_, other) = app.enterprise("370202").await;
    let (_, fo) = app.org_with_user("finance_office", Some("3702")).await;
    let id = app.post("/api/v1/demands", &token, &demand()).await.body["id"]
        .as_i64()
        .unwrap();
    let path = format!("/api/v1/demands/{id}");
    let patch = |token: &str, body: Value| {
        let (app, path, token) = (&app, path.clone(), token.to_owned());
        async move {
            app.request(Method::PATCH, &path, Some(&token), Some(&body), &[])
                .await
        }
    };
    let r = patch(
        &token,
        json!({"amount": "6000000.50", "max_rate": null, "term_months": 24}),
    )
    .await;
    let b = r.assert_status(200);
    assert_eq!(b["amount"], "6000000.50");
    assert!(b["max_rate"].is_null(), "null clears max_rate");
    assert_eq!(b["term_months"], 24);
    assert_eq!(b["purpose"], "equipment", "absent fields keep their value");
    // Invalid edits change nothing.
    patch(&token, json!({"term_months": 0}))
        .await
        .assert_problem(422, "validation_failed");
    patch(&token, json!({"guarantee_methods": []}))
        .await
        .assert_problem(422, "validation_failed");
    patch(&token, json!({"amount": 1}))
        .await
        .assert_problem(422, "invalid_body");
    assert_eq!(app.get(&path, &token).await.body["amount"], "6000000.50");
    // Others: another enterprise cannot see it; the finance office can see but not edit.
    patch(&other, json!({"term_months": 3}))
        .await
        .assert_problem(404, "not_found");
    patch(&fo, json!({"term_months": 3}))
        .await
        .assert_problem(403, "forbidden");
    patch(&app.admin_token, json!({"term_months": 3}))
        .await
        .assert_problem(403, "forbidden");
    assert_eq!(app.get(&path, &token).await.body["term_months"], 24);
    // Closed: no more edits.
    app.post(&format!("{path}/close"), &token, &json!({}))
        .await
        .assert_status(200);
    patch(&token, json!({"term_months": 3}))
        .await
        .assert_problem(409, "invalid_transition");
}

async fn closing(app: TestApp) {
    let (_, token) = app.enterprise("370202").await;
    let (_, other) = app.enterprise("370202").await;
    let id = app.post("/api/v1/demands", &token, &demand()).await.body["id"]
        .as_i64()
        .unwrap();
    let close = format!("/api/v1/demands/{id}/close");
    app.post(&close, &other, &json!({}))
        .await
        .assert_problem(404, "not_found");
    let r = app
        .post(&close, &token, &json!({"reason": "已通过其他渠道解决"}))
        .await;
    let b = r.assert_status(200);
    assert_eq!(b["status"], "closed");
    assert!(b["closed_at"].is_string());
    app.post(&close, &token, &json!({}))
        .await
        .assert_problem(409, "invalid_transition");
    // An empty body is fine too.
    let id2 = app.post("/api/v1/demands", &token, &demand()).await.body["id"]
        .as_i64()
        .unwrap();
    let r = app
        .request(
            Method::POST,
            &format!("/api/v1/demands/{id2}/close"),
            Some(&token),
            None,
            &[],
        )
        .await;
    assert_eq!(r.assert_status(200)["status"], "closed");
    let r = app.get("/api/v1/demands?status=closed", &token).await;
    assert_eq!(r.body["items"].as_array().unwrap().len(), 2);
    assert_eq!(
        app.get("/api/v1/demands?status=open", &token).await.body["items"]
            .as_array()
            .unwrap()
            .len(),
        0
    );
}

async fn expiry_past_needed_by(app: TestApp) {
    use finmatch::db::schema::demands;
    let (_, token) = app.enterprise("370202").await;
    let id = app.post("/api/v1/demands", &token, &demand()).await.body["id"]
        .as_i64()
        .unwrap();
    let keep = app.post("/api/v1/demands", &token, &demand()).await.body["id"]
        .as_i64()
        .unwrap();
    // Time passes: the needed_by date is now yesterday.
    let yesterday = chrono::Utc::now().date_naive() - chrono::Days::new(1);
    {
        let mut c = app.pool.get().unwrap();
        diesel::update(demands::table.find(id))
            .set(demands::needed_by.eq(Some(yesterday)))
            .execute(&mut c)
            .unwrap();
    }
    let path = format!("/api/v1/demands/{id}");
    assert_eq!(app.get(&path, &token).await.body["status"], "expired");
    let ids = |r: Resp| -> Vec<i64> {
        r.body["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| d["id"].as_i64().unwrap())
            .collect()
    };
    assert_eq!(
        ids(app.get("/api/v1/demands?status=expired", &token).await),
        vec![id]
    );
    assert_eq!(
        ids(app.get("/api/v1/demands?status=open", &token).await),
        vec![keep]
    );
    app.request(
        Method::PATCH,
        &path,
        Some(&token),
        Some(&json!({"term_months": 3})),
        &[],
    )
    .await
    .assert_problem(409, "invalid_transition");
    app.post(&format!("{path}/close"), &token, &json!({}))
        .await
        .assert_problem(409, "invalid_transition");
    // Housekeeping writes the expiry down; what readers see does not change.
    let (expired, _) = finmatch::jobs::housekeeping(&app.pool).unwrap();
    assert_eq!(expired, 1);
    let stored: String = demands::table
        .find(id)
        .select(demands::status)
        .first(&mut app.pool.get().unwrap())
        .unwrap();
    assert_eq!(stored, "expired");
    assert_eq!(app.get(&path, &token).await.body["status"], "expired");
    assert_eq!(finmatch::jobs::housekeeping(&app.pool).unwrap().0, 0);
}

async fn idempotent_create_filters_and_pages(app: TestApp) {
    let (_, token) = app.enterprise("370202").await;
    let key = [("Idempotency-Key", "demand-1")];
    let a = app
        .request(
            Method::POST,
            "/api/v1/demands",
            Some(&token),
            Some(&demand()),
            &key,
        )
        .await;
    let b = app
        .request(
            Method::POST,
            "/api/v1/demands",
            Some(&token),
            Some(&demand()),
            &key,
        )
        .await;
    assert_eq!(a.assert_status(201), b.assert_status(201));
    let mut other = demand();
    other["amount"] = json!("1.00");
    app.request(
        Method::POST,
        "/api/v1/demands",
        Some(&token),
        Some(&other),
        &key,
    )
    .await
    .assert_problem(409, "idempotency_key_reused");
    assert_eq!(count(&app).await, 1);
    let mut wc = demand();
    wc["purpose"] = json!("working_capital");
    for _ in 0..3 {
        app.post("/api/v1/demands", &token, &wc)
            .await
            .assert_status(201);
    }
    let r = app
        .get("/api/v1/demands?purpose=working_capital", &token)
        .await;
    assert_eq!(r.body["items"].as_array().unwrap().len(), 3);
    let first = app.get("/api/v1/demands?limit=3", &token).await;
    assert_eq!(first.body["items"].as_array().unwrap().len(), 3);
    let cursor = first.body["next_cursor"].as_str().unwrap().to_owned();
    let second = app
        .get(&format!("/api/v1/demands?limit=3&cursor={cursor}"), &token)
        .await;
    assert_eq!(second.body["items"].as_array().unwrap().len(), 1);
    assert!(second.body["next_cursor"].is_null());
}
