//! `Idempotency-Key`: replay for the same request, 409 for a different one, scoped per user.

use reqwest::Method;
use serde_json::json;

use crate::both_backends;
use crate::helpers::*;

both_backends!(
    same_key_same_body_replays,
    same_key_other_body_conflicts,
    keys_are_per_user,
    registration_is_idempotent
);

async fn bank_count(app: &TestApp) -> usize {
    app.get("/api/v1/organizations?kind=bank", &app.admin_token)
        .await
        .body["items"]
        .as_array()
        .unwrap()
        .len()
}

async fn create(app: &TestApp, token: &str, key: &str, body: &serde_json::Value) -> Resp {
    app.request(
        Method::POST,
        "/api/v1/organizations",
        Some(token),
        Some(body),
        &[("Idempotency-Key", key)],
    )
    .await
}

async fn same_key_same_body_replays(app: TestApp) {
    let body = json!({"kind": "bank", "name": "幂等银行"});
    let first = create(&app, &app.admin_token, "key-1", &body).await;
    first.assert_status(201);
    assert!(first.header("idempotency-replayed").is_none());
    // Same content with different key order and whitespace is the same request.
    let reordered = json!({"name": "幂等银行", "kind": "bank"});
    let second = create(&app, &app.admin_token, "key-1", &reordered).await;
    second.assert_status(201);
    assert_eq!(second.header("idempotency-replayed"), Some("true"));
    assert_eq!(first.body, second.body);
    assert_eq!(bank_count(&app).await, 1);
    // A failed request does not burn its key.
    let bad = json!({"kind": "bank", "name": ""});
    create(&app, &app.admin_token, "key-2", &bad)
        .await
        .assert_problem(422, "validation_failed");
    create(&app, &app.admin_token, "key-2", &body)
        .await
        .assert_status(201);
    assert_eq!(bank_count(&app).await, 2);
    let long = "k".repeat(256);
    create(&app, &app.admin_token, &long, &body)
        .await
        .assert_problem(400, "invalid_idempotency_key");
    // Visible ASCII only: a space inside the key is refused, as the document's pattern says.
    create(&app, &app.admin_token, "two words", &body)
        .await
        .assert_problem(400, "invalid_idempotency_key");
    assert_eq!(bank_count(&app).await, 2, "refused keys create nothing");
}

async fn same_key_other_body_conflicts(app: TestApp) {
    create(
        &app,
        &app.admin_token,
        "key-x",
        &json!({"kind": "bank", "name": "A"}),
    )
    .await
    .assert_status(201);
    let r = create(
        &app,
        &app.admin_token,
        "key-x",
        &json!({"kind": "bank", "name": "B"}),
    )
    .await;
    r.assert_problem(409, "idempotency_key_reused");
    assert_eq!(bank_count(&app).await, 1);
}

async fn keys_are_per_user(app: TestApp) {
    let platform = app.get("/api/v1/me", &app.admin_token).await.body["organization"]["id"]
        .as_i64()
        .unwrap();
    let r = app
        .post(
            &format!("/api/v1/organizations/{platform}/users"),
            &app.admin_token,
            &json!({"username": "second_admin", "password": PASSWORD}),
        )
        .await;
    r.assert_status(201);
    let other_admin = app.login("second_admin", PASSWORD).await;
    let body = json!({"kind": "bank", "name": "Same"});
    create(&app, &app.admin_token, "shared-key", &body)
        .await
        .assert_status(201);
    let r = create(&app, &other_admin, "shared-key", &body).await;
    r.assert_status(201);
    assert!(r.header("idempotency-replayed").is_none());
    assert_eq!(bank_count(&app).await, 2);
}

async fn registration_is_idempotent(app: TestApp) {
    let body = registration("idem_clerk", &credit_code(), "370202");
    let first = app
        .request(
            Method::POST,
            "/api/v1/auth/register",
            None,
            Some(&body),
            &[("Idempotency-Key", "reg-1")],
        )
        .await;
    first.assert_status(201);
    let again = app
        .request(
            Method::POST,
            "/api/v1/auth/register",
            None,
            Some(&body),
            &[("Idempotency-Key", "reg-1")],
        )
        .await;
    again.assert_status(201);
    assert_eq!(first.body, again.body);
    // Without the key the retry is a duplicate.
    let dup = app
        .request(
            Method::POST,
            "/api/v1/auth/register",
            None,
            Some(&body),
            &[],
        )
        .await;
    dup.assert_problem(409, "username_taken");
}
