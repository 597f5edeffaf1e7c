//! Every failure is problem+json with a stable code; probes answer.

use reqwest::Method;
use serde_json::json;

use crate::both_backends;
use crate::helpers::*;

both_backends!(
    malformed_requests_are_problems,
    probes_and_documents,
    dates_are_strictly_yyyy_mm_dd,
);

async fn malformed_requests_are_problems(app: TestApp) {
    let t = app.admin_token.clone();
    app.get("/api/v1/no-such-thing", &t)
        .await
        .assert_problem(404, "not_found");
    app.get("/nothing/here", &t)
        .await
        .assert_problem(404, "not_found");
    let r = app
        .raw(
            Method::POST,
            "/api/v1/organizations",
            Some(&t),
            "application/json",
            "{\"kind\": \"bank\",",
        )
        .await;
    r.assert_problem(400, "malformed_json");
    // A struct is not read from an array of its fields (serde's sequence form).
    for body in [r#"["bank", "青岛银行"]"#, "\"bank\"", "42"] {
        let r = app
            .raw(
                Method::POST,
                "/api/v1/organizations",
                Some(&t),
                "application/json",
                body,
            )
            .await;
        r.assert_problem(422, "invalid_body");
        assert_eq!(r.body["errors"][0]["field"], "body");
    }
    let r = app
        .raw(
            Method::POST,
            "/api/v1/organizations",
            Some(&t),
            "application/json",
            "{\"kind\": \"bank\", \"name\": \"x\"} trailing",
        )
        .await;
    r.assert_problem(400, "malformed_json");
    let r = app
        .raw(
            Method::POST,
            "/api/v1/organizations",
            Some(&t),
            "application/json",
            "\"a string\"",
        )
        .await;
    r.assert_problem(422, "invalid_body");
    // NUL cannot be stored (PostgreSQL text): a clear 422 naming the field, nothing created.
    let r = app
        .raw(
            Method::POST,
            "/api/v1/organizations",
            Some(&t),
            "application/json",
            r#"{"kind": "bank", "name": "a\u0000b"}"#,
        )
        .await;
    r.assert_problem(422, "invalid_body");
    assert_eq!(r.body["errors"][0]["field"], "name", "{}", r.body);
    // Well-formed JSON with the wrong type for an enum is a shape error, not a syntax error,
    // although serde_json classifies it as syntax.
    for kind in ["null", "5", "[]", "\"bank-ish\""] {
        let r = app
            .raw(
                Method::POST,
                "/api/v1/organizations",
                Some(&t),
                "application/json",
                &format!("{{\"kind\": {kind}, \"name\": \"x\", \"region_code\": \"320000\"}}"),
            )
            .await;
        r.assert_problem(422, "invalid_body");
        assert_eq!(r.body["errors"][0]["field"], "kind", "{kind}: {}", r.body);
    }
    let r = app
        .raw(
            Method::POST,
            "/api/v1/organizations",
            Some(&t),
            "text/plain",
            "kind=bank",
        )
        .await;
    r.assert_problem(415, "unsupported_media_type");
    let big = format!(
        "{{\"kind\": \"bank\", \"name\": \"{}\"}}",
        "x".repeat(2 << 20)
    );
    let r = app
        .raw(
            Method::POST,
            "/api/v1/organizations",
            Some(&t),
            "application/json",
            &big,
        )
        .await;
    assert!(matches!(r.status.as_u16(), 413 | 400), "{}", r.status);
    assert_eq!(r.header("content-type"), Some("application/problem+json"));
    // Auth comes before validation: an anonymous bad body is 401, not 422.
    let r = app
        .request(
            Method::POST,
            "/api/v1/organizations",
            None,
            Some(&json!({})),
            &[],
        )
        .await;
    r.assert_problem(401, "unauthorized");
    // Nothing was created by any of these.
    let r = app.get("/api/v1/organizations?kind=bank", &t).await;
    assert!(r.assert_status(200)["items"].as_array().unwrap().is_empty());
    // Every response carries a request id.
    assert!(r.header("x-request-id").is_some_and(|id| id.len() >= 16));
}

async fn probes_and_documents(app: TestApp) {
    let r = app.request(Method::GET, "/healthz", None, None, &[]).await;
    assert_eq!(r.assert_status(200)["status"], "ok");
    let r = app.request(Method::GET, "/readyz", None, None, &[]).await;
    let expected = match app.backend {
        finmatch::db::Backend::Sqlite => "sqlite",
        finmatch::db::Backend::Postgres => "postgres",
    };
    assert_eq!(r.assert_status(200)["database"], expected);
    let r = app
        .request(Method::GET, "/openapi.json", None, None, &[])
        .await;
    assert_eq!(r.assert_status(200)["openapi"], "3.1.0");
    let r = app
        .request(Method::GET, "/api/v1/openapi.json", None, None, &[])
        .await;
    assert_eq!(r.assert_status(200)["info"]["title"], "finmatch");
    // The interactive reference and its assets are served locally (no CDN).
    let html = app
        .client
        .get(format!("{}/docs/", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(html.status().as_u16(), 200);
    let html = html.text().await.unwrap();
    assert!(
        html.contains("swagger-ui") && !html.contains("https://"),
        "docs page must not load remote assets"
    );
    for asset in [
        "swagger-ui.css",
        "swagger-ui-bundle.js",
        "swagger-initializer.js",
    ] {
        let r = app
            .client
            .get(format!("{}/docs/{asset}", app.base))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status().as_u16(), 200, "{asset}");
    }
}

/// Dates are exactly `YYYY-MM-DD` with a year in 1900–2999, in bodies and queries alike;
/// a refused date changes nothing.
async fn dates_are_strictly_yyyy_mm_dd(app: TestApp) {
    let (_, fo) = app.org_with_user("finance_office", Some("37")).await;
    let bad = [
        "2026-1-1",
        " 2026-01-01",
        "26-01-01",
        "+10000-01-01",
        "1899-12-31",
        "3000-01-01",
        "2026-02-30",
    ];
    for d in bad {
        let username = unique_username("ent");
        let mut body = registration(&username, &credit_code(), "370202");
        body["enterprise"]["established_on"] = json!(d);
        let r = app
            .request(
                Method::POST,
                "/api/v1/auth/register",
                None,
                Some(&body),
                &[],
            )
            .await;
        r.assert_problem(422, "invalid_body");
        assert_eq!(
            r.body["errors"][0]["field"], "enterprise.established_on",
            "{d:?}"
        );
        let target = json!({"name": "目标", "metric": "disbursed_amount", "value": "100.00", "from": d, "to": "2026-12-31"});
        app.post("/api/v1/targets", &fo, &target)
            .await
            .assert_problem(422, "invalid_body");
        let q = format!(
            "/api/v1/stats/overview?from={}",
            d.replace('+', "%2B").replace(' ', "%20")
        );
        app.get(&q, &fo).await.assert_problem(400, "invalid_query");
    }
    // Nothing was registered or set by the refused requests.
    let r = app.get("/api/v1/enterprises", &app.admin_token).await;
    assert_eq!(r.assert_status(200)["items"].as_array().unwrap().len(), 0);
    let r = app.get("/api/v1/targets", &fo).await;
    assert_eq!(r.assert_status(200)["items"].as_array().unwrap().len(), 0);
    // The edges of the range are dates.
    let username = unique_username("ent");
    let mut body = registration(&username, &credit_code(), "370202");
    body["enterprise"]["established_on"] = json!("1900-01-01");
    app.request(
        Method::POST,
        "/api/v1/auth/register",
        None,
        Some(&body),
        &[],
    )
    .await
    .assert_status(201);
    app.get("/api/v1/stats/overview?from=1900-01-01&to=2999-12-31", &fo)
        .await
        .assert_status(200);
}

/// API answers are never cached; the docs page loads only finmatch's own assets, unframed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn security_headers_on_api_and_docs() {
    let app = TestApp::spawn(finmatch::db::Backend::Sqlite)
        .await
        .expect("app");
    let me = app.get("/api/v1/me", &app.admin_token).await;
    assert_eq!(me.header("cache-control"), Some("no-store"));
    assert_eq!(me.header("referrer-policy"), Some("no-referrer"));
    let refused = app.get("/api/v1/me", "not-a-token").await;
    assert_eq!(refused.header("cache-control"), Some("no-store"));
    let docs = reqwest::get(format!("{}/docs/", app.base)).await.unwrap();
    let h = docs.headers();
    let csp = h["content-security-policy"].to_str().unwrap();
    assert!(
        csp.contains("default-src 'self'") && csp.contains("frame-ancestors 'none'"),
        "{csp}"
    );
    assert_eq!(h["x-frame-options"], "DENY");
    assert_eq!(h["referrer-policy"], "no-referrer");
}
