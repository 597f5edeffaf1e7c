//! Loan products: publish, browse, owner-only changes, status rules, bad input.

use reqwest::Method;
use serde_json::{json, Value};

use crate::both_backends;
use crate::helpers::*;

both_backends!(
    bank_publishes_a_product,
    invariants_and_bad_shapes_are_refused,
    only_banks_publish_and_only_the_owner_changes,
    drafts_are_private_and_status_moves_by_the_rules,
    catalog_filters_pages_and_idempotency,
);

pub fn product_body() -> Value {
    json!({
        "name": "专精特新贷",
        "description": "面向省级以上专精特新企业的信用贷款",
        "product_type": "specialized_sme",
        "min_amount": "1000000.00",
        "max_amount": "30000000.00",
        "min_term_months": 6,
        "max_term_months": 36,
        "min_rate": "3.45",
        "max_rate": "4.35",
        "guarantee_methods": ["credit", "guarantee", "credit"],
        "response_sla_days": 2,
        "eligibility": {
            "qualifications_any": [{"kind": "specialized_sme", "min_level": "provincial"}],
            "size_classes": ["small", "micro"],
            "region_prefixes": ["37"],
            "industries": ["industry"],
            "min_years_established": 2,
            "min_annual_revenue": "5000000.00",
            "first_loan_only": false
        }
    })
}

async fn count(app: &TestApp) -> usize {
    app.get("/api/v1/products?limit=200", &app.admin_token)
        .await
        .body["items"]
        .as_array()
        .unwrap()
        .len()
}

async fn bank_publishes_a_product(app: TestApp) {
    let (bank_id, bank) = app.org_with_user("bank", None).await;
    let r = app.post("/api/v1/products", &bank, &product_body()).await;
    let b = r.assert_status(201).clone();
    assert_eq!(b["bank_id"], bank_id);
    assert_eq!(b["status"], "active", "published by default");
    assert_eq!(b["min_amount"], "1000000.00");
    assert_eq!(b["min_rate"], "3.45");
    assert_eq!(b["guarantee_methods"], json!(["credit", "guarantee"]));
    assert_eq!(b["response_sla_days"], 2);
    assert_eq!(
        b["eligibility"]["qualifications_any"][0]["min_level"],
        "provincial"
    );
    assert_eq!(b["eligibility"]["min_annual_revenue"], "5000000.00");
    let id = b["id"].as_i64().unwrap();
    // Any authenticated user reads the published catalog.
    let (_, ent) = app.enterprise("370202").await;
    assert_eq!(
        app.get(&format!("/api/v1/products/{id}"), &ent)
            .await
            .assert_status(200),
        &b
    );
    // Defaults: SLA 3 working days, empty eligibility.
    let mut minimal = product_body();
    let o = minimal.as_object_mut().unwrap();
    o.remove("response_sla_days");
    o.remove("eligibility");
    o.remove("description");
    let b = app.post("/api/v1/products", &bank, &minimal).await;
    let b = b.assert_status(201);
    assert_eq!(b["response_sla_days"], 3);
    assert_eq!(b["description"], "");
    assert_eq!(b["eligibility"]["qualifications_any"], json!([]));
    assert_eq!(b["eligibility"]["first_loan_only"], false);
}

async fn invariants_and_bad_shapes_are_refused(app: TestApp) {
    let (_, bank) = app.org_with_user("bank", None).await;
    let semantic: Vec<(&str, Value, &str)> = vec![
        ("/min_amount", json!("0.00"), "min_amount"),
        ("/max_amount", json!("999999.99"), "max_amount"),
        ("/min_term_months", json!(0), "min_term_months"),
        ("/max_term_months", json!(361), "max_term_months"),
        ("/max_term_months", json!(3), "max_term_months"),
        ("/max_rate", json!("3.40"), "max_rate"),
        ("/guarantee_methods", json!([]), "guarantee_methods"),
        ("/response_sla_days", json!(0), "response_sla_days"),
        ("/name", json!(""), "name"),
        (
            "/eligibility/region_prefixes",
            json!(["3"]),
            "eligibility.region_prefixes[0]",
        ),
        (
            "/eligibility/min_years_established",
            json!(201),
            "eligibility.min_years_established",
        ),
    ];
    for (pointer, value, field) in semantic {
        let mut body = product_body();
        *body.pointer_mut(pointer).unwrap() = value;
        let r = app.post("/api/v1/products", &bank, &body).await;
        r.assert_problem(422, "validation_failed");
        assert_eq!(r.body["errors"][0]["field"], field, "{}", r.body);
    }
    let shape: Vec<(&str, Value, &str)> = vec![
        ("/min_amount", json!(1000000), "min_amount"),
        ("/min_amount", json!("1000000.001"), "min_amount"),
        ("/min_amount", json!("-1.00"), "min_amount"),
        ("/max_amount", json!("1000000000000.01"), "max_amount"),
        ("/min_rate", json!(3.45), "min_rate"),
        ("/min_rate", json!("3.45678"), "min_rate"),
        ("/product_type", json!("payday"), "product_type"),
        (
            "/guarantee_methods",
            json!(["handshake"]),
            "guarantee_methods[0]",
        ),
        ("/status", json!("live"), "status"),
        ("/min_term_months", json!("6"), "min_term_months"),
        (
            "/eligibility/size_classes",
            json!(["huge"]),
            "eligibility.size_classes[0]",
        ),
        (
            "/eligibility/qualifications_any",
            json!([{"kind": "specialized_sme", "min_level": "galactic"}]),
            "eligibility.qualifications_any[0].min_level",
        ),
        (
            "/eligibility/min_annual_revenue",
            json!(5),
            "eligibility.min_annual_revenue",
        ),
    ];
    for (pointer, value, field) in shape {
        let mut body = product_body();
        match body.pointer_mut(pointer) {
            Some(slot) => *slot = value,
            None => body[&pointer[1..]] = value,
        }
        let r = app.post("/api/v1/products", &bank, &body).await;
        r.assert_problem(422, "invalid_body");
        assert_eq!(r.body["errors"][0]["field"], field, "{}", r.body);
    }
    let mut body = product_body();
    body.as_object_mut().unwrap().remove("max_amount");
    app.post("/api/v1/products", &bank, &body)
        .await
        .assert_problem(422, "invalid_body");
    app.raw(
        Method::POST,
        "/api/v1/products",
        Some(&bank),
        "application/json",
        "{\"name\": [",
    )
    .await
    .assert_problem(400, "malformed_json");
    assert_eq!(count(&app).await, 0, "nothing stored");
    // Names are stored verbatim.
    let mut body = product_body();
    body["name"] = json!("贷'); DELETE FROM products;-- 🚀");
    let r = app.post("/api/v1/products", &bank, &body).await;
    assert_eq!(
        r.assert_status(201)["name"],
        "贷'); DELETE FROM products;-- 🚀"
    );
}

async fn only_banks_publish_and_only_the_owner_changes(app: TestApp) {
    let (_, bank) = app.org_with_user("bank", None).await;
    let (_, rival) = app.org_with_user("bank", None).await;
    let (_, ent) = app.enterprise("370202").await;
    let (_, fo) = app.org_with_user("finance_office", Some("37")).await;
    let (_, guarantor) = app.org_with_user("guarantor", None).await;
    for token in [&ent, &fo, &guarantor, &app.admin_token] {
        app.post("/api/v1/products", token, &product_body())
            .await
            .assert_problem(403, "forbidden");
    }
    let id = app
        .post("/api/v1/products", &bank, &product_body())
        .await
        .body["id"]
        .as_i64()
        .unwrap();
    let path = format!("/api/v1/products/{id}");
    let patch = |token: &str, body: Value| {
        let (app, path, token) = (&app, path.clone(), token.to_owned());
        async move {
            app.request(Method::PATCH, &path, Some(&token), Some(&body), &[])
                .await
        }
    };
    // Another bank may read the published product but never change it: it is visible, so
    // the refusal is 403 (404 is for what the caller cannot see).
    app.get(&path, &rival).await.assert_status(200);
    patch(&rival, json!({"min_rate": "0.01"}))
        .await
        .assert_problem(403, "forbidden");
    patch_at(
        &app,
        "/api/v1/products/999999",
        &rival,
        json!({"min_rate": "0.01"}),
    )
    .await
    .assert_problem(404, "not_found");
    for token in [&ent, &fo, &app.admin_token] {
        patch(token, json!({"min_rate": "0.01"}))
            .await
            .assert_problem(403, "forbidden");
    }
    assert_eq!(
        app.get(&path, &bank).await.body["min_rate"],
        "3.45",
        "unchanged"
    );
    // The owner changes it; the merged result is validated as a whole.
    let r = patch(
        &bank,
        json!({"min_rate": "3.10", "name": "专精特新贷（2026版）"}),
    )
    .await;
    let b = r.assert_status(200);
    assert_eq!(b["min_rate"], "3.10");
    assert_eq!(b["name"], "专精特新贷（2026版）");
    assert_eq!(b["max_rate"], "4.35", "absent fields keep their value");
    patch(&bank, json!({"min_rate": "5.00"}))
        .await
        .assert_problem(422, "validation_failed");
    patch(&bank, json!({"min_amount": "40000000.00"}))
        .await
        .assert_problem(422, "validation_failed");
    patch(&bank, json!({"min_rate": 3}))
        .await
        .assert_problem(422, "invalid_body");
    assert_eq!(app.get(&path, &bank).await.body["min_rate"], "3.10");
    patch(&bank, json!({})).await.assert_status(200);
    app.request(
        Method::PATCH,
        "/api/v1/products/999999",
        Some(&bank),
        Some(&json!({})),
        &[],
    )
    .await
    .assert_problem(404, "not_found");
}

async fn drafts_are_private_and_status_moves_by_the_rules(app: TestApp) {
    let (bank_id, bank) = app.org_with_user("bank", None).await;
    let (_, rival) = app.org_with_user("bank", None).await;
    let (_, ent) = app.enterprise("370202").await;
    let mut body = product_body();
    body["status"] = json!("draft");
    let id = app
        .post("/api/v1/products", &bank, &body)
        .await
        .assert_status(201)["id"]
        .as_i64()
        .unwrap();
    let path = format!("/api/v1/products/{id}");
    app.get(&path, &bank).await.assert_status(200);
    app.get(&path, &app.admin_token).await.assert_status(200);
    app.get(&path, &rival)
        .await
        .assert_problem(404, "not_found");
    app.get(&path, &ent).await.assert_problem(404, "not_found");
    let listed = |token: &str| {
        let (app, token) = (&app, token.to_owned());
        async move {
            let r = app
                .get(&format!("/api/v1/products?bank_id={bank_id}"), &token)
                .await;
            r.body["items"].as_array().unwrap().len()
        }
    };
    assert_eq!(listed(&bank).await, 1);
    assert_eq!(listed(&rival).await, 0);
    assert_eq!(listed(&ent).await, 0);
    let status = |s: &str| {
        let (app, path, bank) = (&app, path.clone(), bank.clone());
        let body = json!({"status": s});
        async move {
            app.request(Method::PATCH, &path, Some(&bank), Some(&body), &[])
                .await
        }
    };
    status("active").await.assert_status(200);
    assert_eq!(listed(&ent).await, 1);
    status("draft")
        .await
        .assert_problem(409, "invalid_transition");
    status("paused").await.assert_status(200);
    status("active").await.assert_status(200);
    status("retired").await.assert_status(200);
    status("active")
        .await
        .assert_problem(409, "product_retired");
    let r = app
        .request(
            Method::PATCH,
            &path,
            Some(&bank),
            Some(&json!({"name": "x"})),
            &[],
        )
        .await;
    r.assert_problem(409, "product_retired");
    assert_eq!(app.get(&path, &ent).await.body["status"], "retired");
}

async fn catalog_filters_pages_and_idempotency(app: TestApp) {
    let (bank_a, a) = app.org_with_user("bank", None).await;
    let (_, b) = app.org_with_user("bank", None).await;
    for (token, t) in [
        (&a, "credit"),
        (&a, "first_loan"),
        (&b, "credit"),
        (&b, "green"),
    ] {
        let mut body = product_body();
        body["product_type"] = json!(t);
        app.post("/api/v1/products", token, &body)
            .await
            .assert_status(201);
    }
    let n = |q: &str| {
        let app = &app;
        let q = q.to_owned();
        async move {
            app.get(&format!("/api/v1/products?{q}"), &app.admin_token)
                .await
                .body["items"]
                .as_array()
                .unwrap()
                .len()
        }
    };
    assert_eq!(n("product_type=credit").await, 2);
    assert_eq!(n(&format!("bank_id={bank_a}")).await, 2);
    assert_eq!(n(&format!("bank_id={bank_a}&product_type=credit")).await, 1);
    assert_eq!(n("status=paused").await, 0);
    assert_eq!(n("status=active").await, 4);
    app.get("/api/v1/products?product_type=payday", &a)
        .await
        .assert_problem(400, "invalid_query");
    let first = app.get("/api/v1/products?limit=3", &a).await;
    assert_eq!(first.body["items"].as_array().unwrap().len(), 3);
    let c = first.body["next_cursor"].as_str().unwrap().to_owned();
    let second = app
        .get(&format!("/api/v1/products?limit=3&cursor={c}"), &a)
        .await;
    assert_eq!(second.body["items"].as_array().unwrap().len(), 1);
    assert!(second.body["next_cursor"].is_null());
    // Idempotent create.
    let key = [("Idempotency-Key", "prod-1")];
    let r1 = app
        .request(
            Method::POST,
            "/api/v1/products",
            Some(&a),
            Some(&product_body()),
            &key,
        )
        .await;
    let r2 = app
        .request(
            Method::POST,
            "/api/v1/products",
            Some(&a),
            Some(&product_body()),
            &key,
        )
        .await;
    assert_eq!(r1.assert_status(201), r2.assert_status(201));
    let mut other = product_body();
    other["name"] = json!("另一个产品");
    app.request(
        Method::POST,
        "/api/v1/products",
        Some(&a),
        Some(&other),
        &key,
    )
    .await
    .assert_problem(409, "idempotency_key_reused");
    assert_eq!(count(&app).await, 5);
}

async fn patch_at(app: &TestApp, path: &str, token: &str, body: Value) -> Resp {
    app.request(Method::PATCH, path, Some(token), Some(&body), &[])
        .await
}
