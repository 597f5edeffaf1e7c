//! Organizations: admin-only creation, visibility per role, users, pagination.

use serde_json::json;

use crate::both_backends;
use crate::helpers::*;

both_backends!(
    admin_creates_institutions,
    creation_is_admin_only_and_validated,
    visibility_follows_role_and_region,
    users_of_organizations,
    lists_paginate_with_cursors,
);

async fn admin_creates_institutions(app: TestApp) {
    let r = app
        .post(
            "/api/v1/organizations",
            &app.admin_token,
            &json!({"kind": "bank", "name": "青岛银行", "credit_code": "91440101MA5CJQ4N59", "region_code": "370202"}),
        )
        .await;
    let b = r.assert_status(201);
    assert_eq!(b["kind"], "bank");
    assert_eq!(b["credit_code"], "91440101MA5CJQ4N59");
    let id = b["id"].as_i64().unwrap();
    let r = app
        .get(&format!("/api/v1/organizations/{id}"), &app.admin_token)
        .await;
    assert_eq!(r.assert_status(200)["name"], "青岛银行");
    let r = app
        .post(
            "/api/v1/organizations",
            &app.admin_token,
            &json!({"kind": "finance_office", "name": "青岛市金融办", "region_code": "3702"}),
        )
        .await;
    assert_eq!(r.assert_status(201)["region_code"], "3702");
    // The same credit code twice is a conflict.
    let r = app
        .post(
            "/api/v1/organizations",
            &app.admin_token,
            &json!({"kind": "guarantor", "name": "x", "credit_code": "91440101MA5CJQ4N59"}),
        )
        .await;
    r.assert_problem(409, "credit_code_taken");
}

async fn creation_is_admin_only_and_validated(app: TestApp) {
    let (_, bank) = app.org_with_user("bank", None).await;
    let (_, ent) = app.enterprise("370202").await;
    let (_, fo) = app.org_with_user("finance_office", Some("37")).await;
    for token in [&bank, &ent, &fo] {
        let r = app
            .post(
                "/api/v1/organizations",
                token,
                &json!({"kind": "bank", "name": "rogue"}),
            )
            .await;
        r.assert_problem(403, "forbidden");
    }
    let invalid = [
        (
            json!({"kind": "finance_office", "name": "no region"}),
            "region_code",
        ),
        (
            json!({"kind": "finance_office", "name": "bad", "region_code": "370"}),
            "region_code",
        ),
        (
            json!({"kind": "bank", "name": "bad", "region_code": "37"}),
            "region_code",
        ),
        (json!({"kind": "bank", "name": ""}), "name"),
        (json!({"kind": "bank", "name": "x".repeat(201)}), "name"),
    ];
    for (body, field) in invalid {
        let r = app
            .post("/api/v1/organizations", &app.admin_token, &body)
            .await;
        r.assert_problem(422, "validation_failed");
        assert_eq!(r.body["errors"][0]["field"], field);
    }
    for kind in ["enterprise", "platform", "BANK"] {
        let r = app
            .post(
                "/api/v1/organizations",
                &app.admin_token,
                &json!({"kind": kind, "name": "x"}),
            )
            .await;
        r.assert_problem(422, "invalid_body");
        assert_eq!(r.body["errors"][0]["field"], "kind");
    }
    let r = app
        .post(
            "/api/v1/organizations",
            &app.admin_token,
            &json!({"kind": "bank", "name": "x", "credit_code": "91350100M000100Y44"}),
        )
        .await;
    r.assert_problem(422, "invalid_credit_code");
    // Only the three banks/offices made above exist besides the platform and the enterprise.
    let r = app.get("/api/v1/organizations", &app.admin_token).await;
    assert_eq!(r.assert_status(200)["items"].as_array().unwrap().len(), 4);
}

async fn visibility_follows_role_and_region(app: TestApp) {
    let (bank_id, bank) = app.org_with_user("bank", None).await;
    let (qd_ent, qd) = app.enterprise("370202").await;
    let (sz_ent, sz) = app.enterprise("320505").await;
    let (_, fo_qd) = app.org_with_user("finance_office", Some("3702")).await;
    let (_, fo_js) = app.org_with_user("finance_office", Some("32")).await;
    let ids = |r: &Resp| -> Vec<i64> {
        r.body["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|o| o["id"].as_i64().unwrap())
            .collect()
    };

    // Enterprises see institutions and themselves, never another enterprise.
    let r = app.get("/api/v1/organizations", &qd).await;
    r.assert_status(200);
    assert!(ids(&r).contains(&qd_ent) && ids(&r).contains(&bank_id) && !ids(&r).contains(&sz_ent));
    app.get(&format!("/api/v1/organizations/{sz_ent}"), &qd)
        .await
        .assert_problem(404, "not_found");
    app.get(&format!("/api/v1/organizations/{qd_ent}"), &sz)
        .await
        .assert_problem(404, "not_found");
    app.get(&format!("/api/v1/organizations/{bank_id}"), &qd)
        .await
        .assert_status(200);
    // Banks see no enterprise through this endpoint.
    let r = app
        .get("/api/v1/organizations?kind=enterprise", &bank)
        .await;
    assert!(ids(&r).is_empty());
    app.get(&format!("/api/v1/organizations/{qd_ent}"), &bank)
        .await
        .assert_problem(404, "not_found");
    // Finance offices see enterprises of their region only.
    let r = app
        .get("/api/v1/organizations?kind=enterprise", &fo_qd)
        .await;
    assert_eq!(ids(&r), vec![qd_ent]);
    app.get(&format!("/api/v1/organizations/{qd_ent}"), &fo_qd)
        .await
        .assert_status(200);
    app.get(&format!("/api/v1/organizations/{sz_ent}"), &fo_qd)
        .await
        .assert_problem(404, "not_found");
    let r = app
        .get("/api/v1/organizations?kind=enterprise", &fo_js)
        .await;
    assert_eq!(ids(&r), vec![sz_ent]);
    // A region filter narrows but never widens the scope.
    let r = app
        .get(
            "/api/v1/organizations?kind=enterprise&region_prefix=37",
            &fo_js,
        )
        .await;
    assert!(ids(&r).is_empty());
    let r = app
        .get(
            "/api/v1/organizations?kind=enterprise&region_prefix=32",
            &app.admin_token,
        )
        .await;
    assert_eq!(ids(&r), vec![sz_ent]);
    app.get("/api/v1/organizations?region_prefix=3x", &app.admin_token)
        .await
        .assert_problem(400, "invalid_query");
    app.get("/api/v1/organizations?kind=alien", &app.admin_token)
        .await
        .assert_problem(400, "invalid_query");
    app.get("/api/v1/organizations/999999", &app.admin_token)
        .await
        .assert_problem(404, "not_found");
    app.get("/api/v1/organizations/abc", &app.admin_token)
        .await
        .assert_problem(400, "invalid_path_parameter");
}

async fn users_of_organizations(app: TestApp) {
    let (bank_id, bank) = app.org_with_user("bank", None).await;
    let (other_ent, _) = app.enterprise("370202").await;
    let r = app
        .post(
            &format!("/api/v1/organizations/{bank_id}/users"),
            &app.admin_token,
            &json!({"username": "teller_2", "password": PASSWORD}),
        )
        .await;
    let b = r.assert_status(201);
    assert_eq!(b["role"], "bank");
    assert_eq!(b["organization_id"], bank_id);
    let token = app.login("teller_2", PASSWORD).await;
    assert_eq!(
        app.get("/api/v1/me", &token).await.body["organization"]["id"],
        bank_id
    );

    // Duplicate username, bad password.
    let r = app
        .post(
            &format!("/api/v1/organizations/{bank_id}/users"),
            &app.admin_token,
            &json!({"username": "teller_2", "password": PASSWORD}),
        )
        .await;
    r.assert_problem(409, "username_taken");
    let r = app
        .post(
            &format!("/api/v1/organizations/{bank_id}/users"),
            &app.admin_token,
            &json!({"username": "teller_3", "password": "short"}),
        )
        .await;
    r.assert_problem(422, "validation_failed");
    // A bank may see its own organization but not add users to it (403), and may not even see
    // an enterprise (404).
    let r = app
        .post(
            &format!("/api/v1/organizations/{bank_id}/users"),
            &bank,
            &json!({"username": "teller_4", "password": PASSWORD}),
        )
        .await;
    r.assert_problem(403, "forbidden");
    let r = app
        .post(
            &format!("/api/v1/organizations/{other_ent}/users"),
            &bank,
            &json!({"username": "teller_5", "password": PASSWORD}),
        )
        .await;
    r.assert_problem(404, "not_found");
    app.get(&format!("/api/v1/organizations/{bank_id}/users"), &bank)
        .await
        .assert_problem(403, "forbidden");
    let r = app
        .get(
            &format!("/api/v1/organizations/{bank_id}/users"),
            &app.admin_token,
        )
        .await;
    assert_eq!(r.assert_status(200)["items"].as_array().unwrap().len(), 2);
    let r = app
        .post(
            "/api/v1/organizations/999999/users",
            &app.admin_token,
            &json!({"username": "teller_6", "password": PASSWORD}),
        )
        .await;
    r.assert_problem(404, "not_found");
}

async fn lists_paginate_with_cursors(app: TestApp) {
    for i in 0..5 {
        app.post(
            "/api/v1/organizations",
            &app.admin_token,
            &json!({"kind": "bank", "name": format!("bank {i}")}),
        )
        .await
        .assert_status(201);
    }
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let path = match &cursor {
            Some(c) => format!("/api/v1/organizations?kind=bank&limit=2&cursor={c}"),
            None => "/api/v1/organizations?kind=bank&limit=2".to_owned(),
        };
        let r = app.get(&path, &app.admin_token).await;
        let b = r.assert_status(200);
        let items = b["items"].as_array().unwrap();
        assert!(items.len() <= 2);
        seen.extend(items.iter().map(|o| o["name"].as_str().unwrap().to_owned()));
        match b["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_owned()),
            None => break,
        }
    }
    assert_eq!(
        seen,
        (0..5).map(|i| format!("bank {i}")).collect::<Vec<_>>()
    );
    for bad in ["limit=0", "limit=201", "limit=x", "cursor=zzz"] {
        let r = app
            .get(&format!("/api/v1/organizations?{bad}"), &app.admin_token)
            .await;
        assert_eq!(r.status.as_u16(), 400, "{bad}");
        assert!(matches!(r.code(), "invalid_query" | "invalid_cursor"));
    }
}
