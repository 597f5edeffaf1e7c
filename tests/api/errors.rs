//! Every failure is problem+json with a stable code; probes answer.

use reqwest::Method;
use serde_json::json;

use crate::both_backends;
use crate::helpers::*;

both_backends!(
    malformed_requests_are_problems,
    probes_and_documents,
    dates_are_strictly_yyyy_mm_dd,
    errors_below_the_handlers_are_problems,
    bodyless_actions_refuse_a_body,
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
    r.assert_problem(413, "payload_too_large");
    // Authentication comes before validation: an anonymous bad body is 401, not 422.
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

/// Sends raw bytes on a fresh connection and returns (status, content type, body).
async fn raw_http(app: &TestApp, request: &[u8]) -> (u16, String, serde_json::Value) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let addr = app.base.trim_start_matches("http://").to_owned();
    let mut s = tokio::net::TcpStream::connect(addr).await.expect("connect");
    // The server may answer (and close) before it has read all of an oversize head.
    let _ = s.write_all(request).await;
    let mut out = Vec::new();
    let _ = s.read_to_end(&mut out).await;
    let text = String::from_utf8_lossy(&out).into_owned();
    let (head, body) = text.split_once("\r\n\r\n").expect("a response");
    let status = head
        .split(' ')
        .nth(1)
        .expect("status")
        .parse()
        .expect("number");
    let content_type = head
        .lines()
        .find_map(|l| {
            let (k, v) = l.split_once(':')?;
            k.eq_ignore_ascii_case("content-type")
                .then(|| v.trim().to_owned())
        })
        .unwrap_or_default();
    (
        status,
        content_type,
        serde_json::from_str(body).unwrap_or_default(),
    )
}

async fn errors_below_the_handlers_are_problems(app: TestApp) {
    let t = app.admin_token.clone();
    // A known path with the wrong method is 405 with Allow, not 404.
    let r = app
        .request(Method::DELETE, "/api/v1/products", Some(&t), None, &[])
        .await;
    r.assert_problem(405, "method_not_allowed");
    let allow = r.header("allow").unwrap_or_default().to_owned();
    assert!(allow.contains("GET") && allow.contains("POST"), "{allow}");
    let r = app
        .request(Method::GET, "/api/v1/matches/7/accept", Some(&t), None, &[])
        .await;
    r.assert_problem(405, "method_not_allowed");
    assert_eq!(r.header("allow"), Some("POST"));
    // Under /docs too: swagger-ui's own 404 is a problem.
    let r = app.get("/docs/no-such-asset.js", &t).await;
    r.assert_problem(404, "not_found");
    // 413 on every kind of endpoint: an optional-body action, a bodyless one, a JSON one.
    let big = "x".repeat(2 << 20);
    for path in [
        "/api/v1/matches/1/accept",
        "/api/v1/users/1/disable",
        "/api/v1/demands",
    ] {
        let r = app
            .raw(Method::POST, path, Some(&t), "application/json", &big)
            .await;
        r.assert_problem(413, "payload_too_large");
    }
    // What the HTTP codec refuses by itself is a problem too.
    let (status, ct, body) = raw_http(
        &app,
        b"GET /api/v1/products HTTP/1.1\r\nConnection: close\r\n\r\n",
    )
    .await;
    assert_eq!((status, ct.as_str()), (400, "application/problem+json"));
    assert_eq!(body["code"], "malformed_request", "{body}");
    let huge = format!(
        "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: {}\r\n\r\n",
        "a".repeat(200_000)
    );
    let (status, ct, body) = raw_http(&app, huge.as_bytes()).await;
    assert_eq!((status, ct.as_str()), (431, "application/problem+json"));
    assert_eq!(body["code"], "request_headers_too_large", "{body}");
    assert_eq!(body["status"], 431);
    // The server is unharmed.
    app.get("/api/v1/me", &t).await.assert_status(200);
}

async fn bodyless_actions_refuse_a_body(app: TestApp) {
    let (_, token) = app.org_with_user("bank", None).await;
    // Parameters an action does not take are refused, and nothing happens: the token lives.
    for body in [r#"{"everywhere": true}"#, "[]", "null", "1"] {
        app.raw(
            Method::POST,
            "/api/v1/auth/logout",
            Some(&token),
            "application/json",
            body,
        )
        .await
        .assert_problem(422, "invalid_body");
    }
    app.raw(
        Method::POST,
        "/api/v1/auth/logout",
        Some(&token),
        "application/json",
        "{nope",
    )
    .await
    .assert_problem(400, "malformed_json");
    app.get("/api/v1/me", &token).await.assert_status(200);
    // Nothing, or the empty object, is accepted.
    let r = app
        .raw(
            Method::POST,
            "/api/v1/auth/logout",
            Some(&token),
            "application/json",
            " { } ",
        )
        .await;
    assert_eq!(r.assert_status(200)["revoked"], true);
    app.get("/api/v1/me", &token)
        .await
        .assert_problem(401, "unauthorized");
    // The same for an admin action: a disable with a body does not disable.
    let (org, _) = app.org_with_user("bank", None).await;
    let users = app
        .get(
            &format!("/api/v1/organizations/{org}/users"),
            &app.admin_token,
        )
        .await;
    let uid = users.assert_status(200)["items"][0]["id"].as_i64().unwrap();
    app.raw(
        Method::POST,
        &format!("/api/v1/users/{uid}/disable"),
        Some(&app.admin_token),
        "application/json",
        r#"{"reason": "left"}"#,
    )
    .await
    .assert_problem(422, "invalid_body");
    let users = app
        .get(
            &format!("/api/v1/organizations/{org}/users"),
            &app.admin_token,
        )
        .await;
    assert_eq!(users.body["items"][0]["disabled"], false);
}
