//! Registration, login, throttling, tokens and `/me`.

use jsonwebtoken::{Algorithm, EncodingKey, Header};
use reqwest::Method;
use serde_json::{json, Value};

use crate::both_backends;
use crate::helpers::*;

both_backends!(
    register_creates_enterprise_with_derived_size_class,
    registration_rejects_bad_credit_codes_and_stores_nothing,
    registration_validates_every_field,
    duplicates_are_conflicts,
    names_are_stored_verbatim,
    login_and_me,
    repeated_failures_are_throttled,
    parallel_guesses_are_counted_before_they_are_checked,
    an_attacker_elsewhere_cannot_lock_a_user_out,
    junk_usernames_cost_nothing_and_store_nothing,
    password_checks_are_bounded,
    access_can_be_revoked_on_every_instance,
    tokens_are_checked,
    me_reports_each_role,
);

async fn register(app: &TestApp, body: &Value) -> Resp {
    app.request(Method::POST, "/api/v1/auth/register", None, Some(body), &[])
        .await
}

async fn register_creates_enterprise_with_derived_size_class(app: TestApp) {
    let code = credit_code();
    let mut body = registration("clerk_one", &code, "370202");
    // A client-supplied size class is ignored: it is derived.
    body["enterprise"]["size_class"] = json!("large");
    let r = register(&app, &body).await;
    let b = r.assert_status(201);
    assert_eq!(b["user"]["username"], "clerk_one");
    assert_eq!(b["user"]["role"], "enterprise");
    let org = &b["organization"];
    assert_eq!(org["kind"], "enterprise");
    assert_eq!(org["credit_code"], code.as_str());
    assert_eq!(org["region_code"], "370202");
    assert_eq!(b["user"]["organization_id"], org["id"]);
    // 工业, 120 people and 3500 万元 revenue: X ≥ 20 and Y ≥ 300 ⇒ small (medium needs X ≥ 300).
    assert_eq!(org["enterprise"]["size_class"], "small");
    assert_eq!(org["enterprise"]["annual_revenue"], "35000000.00");
    assert_eq!(org["enterprise"]["has_prior_loan"], false);
    assert!(b["user"].get("password_hash").is_none() && b["user"].get("password").is_none());
    // The stored password is an argon2 hash, never the password.
    let hash: String = {
        use diesel::prelude::*;
        use finmatch::db::schema::users;
        let mut c = app.pool.get().unwrap();
        users::table
            .filter(users::username.eq("clerk_one"))
            .select(users::password_hash)
            .first(&mut c)
            .unwrap()
    };
    assert!(hash.starts_with("$argon2id$"), "{hash}");
}

async fn registration_rejects_bad_credit_codes_and_stores_nothing(app: TestApp) {
    for bad in [
        "91350100M000100Y44",
        "91350100M000100Y4Z",
        "9135010",
        "91AB0100M000100Y43",
        "",
    ] {
        let r = register(&app, &registration("clerk_bad", bad, "370202")).await;
        r.assert_problem(422, "invalid_credit_code");
        assert_eq!(r.body["errors"][0]["field"], "enterprise.credit_code");
    }
    // Nothing was stored: the username is still free.
    let r = register(
        &app,
        &registration("clerk_bad", "91350100M000100Y43", "370202"),
    )
    .await;
    r.assert_status(201);
    // Lowercase input is normalised.
    let r = register(
        &app,
        &registration("clerk_lower", "91440101ma5cjq4n59", "440101"),
    )
    .await;
    assert_eq!(
        r.assert_status(201)["organization"]["credit_code"],
        "91440101MA5CJQ4N59"
    );
}

async fn registration_validates_every_field(app: TestApp) {
    let base = registration("clerk_v", &credit_code(), "370202");
    let cases: Vec<(&str, Value, &str)> = vec![
        ("/password", json!("short"), "password"),
        ("/username", json!("x"), "username"),
        ("/username", json!("has space"), "username"),
        ("/enterprise/name", json!("   "), "enterprise.name"),
        (
            "/enterprise/region_code",
            json!("3702"),
            "enterprise.region_code",
        ),
        ("/enterprise/employees", json!(-1), "enterprise.employees"),
        (
            "/enterprise/established_on",
            json!("2999-01-01"),
            "enterprise.established_on",
        ),
    ];
    for (pointer, value, field) in cases {
        let mut body = base.clone();
        *body.pointer_mut(pointer).unwrap() = value;
        let r = register(&app, &body).await;
        r.assert_problem(422, "validation_failed");
        assert_eq!(r.body["errors"][0]["field"], field, "{}", r.body);
    }
    // Shape errors: wrong types, unknown enums, JSON numbers for money, too many decimals, missing fields.
    let shape: Vec<(&str, Value, &str)> = vec![
        (
            "/enterprise/annual_revenue",
            json!(35000000),
            "enterprise.annual_revenue",
        ),
        (
            "/enterprise/annual_revenue",
            json!("1.001"),
            "enterprise.annual_revenue",
        ),
        (
            "/enterprise/annual_revenue",
            json!("-5.00"),
            "enterprise.annual_revenue",
        ),
        (
            "/enterprise/total_assets",
            json!("1000000000000.01"),
            "enterprise.total_assets",
        ),
        (
            "/enterprise/industry",
            json!("mining"),
            "enterprise.industry",
        ),
        (
            "/enterprise/employees",
            json!("many"),
            "enterprise.employees",
        ),
        (
            "/enterprise/established_on",
            json!("18/05/2016"),
            "enterprise.established_on",
        ),
    ];
    for (pointer, value, field) in shape {
        let mut body = base.clone();
        *body.pointer_mut(pointer).unwrap() = value;
        let r = register(&app, &body).await;
        r.assert_problem(422, "invalid_body");
        assert_eq!(r.body["errors"][0]["field"], field, "{}", r.body);
    }
    let mut body = base.clone();
    body["enterprise"]
        .as_object_mut()
        .unwrap()
        .remove("industry");
    let r = register(&app, &body).await;
    r.assert_problem(422, "invalid_body");
    assert_eq!(r.body["errors"][0]["field"], "enterprise.industry");
    // None of these created anything.
    let r = app
        .get("/api/v1/organizations?kind=enterprise", &app.admin_token)
        .await;
    assert_eq!(r.assert_status(200)["items"].as_array().unwrap().len(), 0);
}

async fn duplicates_are_conflicts(app: TestApp) {
    let code = credit_code();
    register(&app, &registration("dup_user", &code, "370202"))
        .await
        .assert_status(201);
    register(&app, &registration("dup_user", &credit_code(), "370202"))
        .await
        .assert_problem(409, "username_taken");
    register(&app, &registration("other_user", &code, "370202"))
        .await
        .assert_problem(409, "credit_code_taken");
    let r = app
        .get("/api/v1/organizations?kind=enterprise", &app.admin_token)
        .await;
    assert_eq!(r.assert_status(200)["items"].as_array().unwrap().len(), 1);
}

async fn names_are_stored_verbatim(app: TestApp) {
    for (i, name) in [
        "Robert'); DROP TABLE organizations;--",
        "株式会社 🚀 \"quoted\" \\ back",
        "  leading space",
    ]
    .into_iter()
    .enumerate()
    {
        let mut body = registration(&format!("verbatim_{i}"), &credit_code(), "370202");
        body["enterprise"]["name"] = json!(name);
        let r = register(&app, &body).await;
        let id = r.assert_status(201)["organization"]["id"].as_i64().unwrap();
        let r = app
            .get(&format!("/api/v1/organizations/{id}"), &app.admin_token)
            .await;
        assert_eq!(r.assert_status(200)["name"], name);
    }
}

async fn login_and_me(app: TestApp) {
    let (org_id, token) = app.enterprise("370202").await;
    let r = app.get("/api/v1/me", &token).await;
    let b = r.assert_status(200);
    assert_eq!(b["role"], "enterprise");
    assert_eq!(b["organization"]["id"], org_id);
    assert!(b["organization"]["enterprise"]["size_class"].is_string());

    let r = app
        .request(
            Method::POST,
            "/api/v1/auth/login",
            None,
            Some(&json!({"username": "admin", "password": ADMIN_PASSWORD})),
            &[],
        )
        .await;
    let b = r.assert_status(200);
    assert_eq!(b["token_type"], "Bearer");
    assert_eq!(b["expires_in"], 3600);

    let wrong = app
        .request(
            Method::POST,
            "/api/v1/auth/login",
            None,
            Some(&json!({"username": "admin", "password": "nope-nope-nope"})),
            &[],
        )
        .await;
    wrong.assert_problem(401, "unauthorized");
    assert!(wrong
        .header("www-authenticate")
        .unwrap()
        .starts_with("Bearer"));
    let unknown = app
        .request(
            Method::POST,
            "/api/v1/auth/login",
            None,
            Some(&json!({"username": "ghost", "password": "whatever-long"})),
            &[],
        )
        .await;
    unknown.assert_problem(401, "unauthorized");
    // The two failures look the same.
    assert_eq!(wrong.body["detail"], unknown.body["detail"]);
}

async fn repeated_failures_are_throttled(app: TestApp) {
    let (_, _) = app.enterprise("370202").await;
    let username = "throttled_user";
    register(&app, &registration(username, &credit_code(), "370202"))
        .await
        .assert_status(201);
    let attempt = |password: &'static str| {
        let body = json!({"username": username, "password": password});
        let app = &app;
        async move {
            app.request(Method::POST, "/api/v1/auth/login", None, Some(&body), &[])
                .await
        }
    };
    for _ in 0..5 {
        attempt("wrong-password!")
            .await
            .assert_problem(401, "unauthorized");
    }
    // Locked now, even with the right password.
    let r = attempt(PASSWORD).await;
    r.assert_problem(429, "too_many_requests");
    let retry: u64 = r.header("retry-after").unwrap().parse().unwrap();
    assert!(retry > 0 && retry <= 15 * 60);
    // Other users are not affected.
    app.login("admin", ADMIN_PASSWORD).await;
}

async fn tokens_are_checked(app: TestApp) {
    let me = |token: Option<String>| {
        let app = &app;
        async move {
            app.request(Method::GET, "/api/v1/me", token.as_deref(), None, &[])
                .await
        }
    };
    me(None).await.assert_problem(401, "unauthorized");
    me(Some("garbage".into()))
        .await
        .assert_problem(401, "unauthorized");
    let r = app
        .request(
            Method::GET,
            "/api/v1/me",
            None,
            None,
            &[("authorization", "Basic YWRtaW46eA==")],
        )
        .await;
    r.assert_problem(401, "unauthorized");

    let now = chrono::Utc::now().timestamp();
    let claims = |iss: &str, aud: &str, exp: i64| json!({"sub": "1", "org": 1, "role": "admin", "iss": iss, "aud": aud, "iat": now, "exp": exp, "jti": uuid::Uuid::new_v4().to_string(), "ver": 0});
    let sign = |alg: Algorithm, secret: &str, c: Value| {
        jsonwebtoken::encode(
            &Header::new(alg),
            &c,
            &EncodingKey::from_secret(secret.as_bytes()),
        )
        .unwrap()
    };
    // A correctly made token works: the test proves the variants below fail for their one defect.
    let good = sign(
        Algorithm::HS256,
        JWT_SECRET,
        claims("finmatch", "finmatch-api", now + 600),
    );
    me(Some(good.clone())).await.assert_status(200);
    // A token remembered as verified still expires: its `exp` is judged on every request
    // (within the 30 s leeway now, past it 4 s later).
    let fresh = chrono::Utc::now().timestamp();
    let ending = sign(
        Algorithm::HS256,
        JWT_SECRET,
        claims("finmatch", "finmatch-api", fresh - 27),
    );
    me(Some(ending.clone())).await.assert_status(200);
    tokio::time::sleep(std::time::Duration::from_secs(4)).await;
    let r = me(Some(ending)).await;
    r.assert_problem(401, "unauthorized");
    assert_eq!(r.body["detail"], "the access token has expired");
    // The scheme is case-insensitive.
    for scheme in ["bearer", "BEARER", "BeArEr"] {
        app.request(
            Method::GET,
            "/api/v1/me",
            None,
            None,
            &[("authorization", &format!("{scheme} {good}"))],
        )
        .await
        .assert_status(200);
    }
    // Not valid yet, or issued in the future: refused.
    let mut later = claims("finmatch", "finmatch-api", now + 7200);
    later["nbf"] = json!(now + 3600);
    me(Some(sign(Algorithm::HS256, JWT_SECRET, later)))
        .await
        .assert_problem(401, "unauthorized");
    let mut future = claims("finmatch", "finmatch-api", now + 7200);
    future["iat"] = json!(now + 3600);
    me(Some(sign(Algorithm::HS256, JWT_SECRET, future)))
        .await
        .assert_problem(401, "unauthorized");
    // Without a jti (a token this server never issues) or at another version: refused.
    let mut no_jti = claims("finmatch", "finmatch-api", now + 600);
    no_jti.as_object_mut().unwrap().remove("jti");
    me(Some(sign(Algorithm::HS256, JWT_SECRET, no_jti)))
        .await
        .assert_problem(401, "unauthorized");
    let mut old = claims("finmatch", "finmatch-api", now + 600);
    old["ver"] = json!(7);
    me(Some(sign(Algorithm::HS256, JWT_SECRET, old)))
        .await
        .assert_problem(401, "unauthorized");
    me(Some(sign(
        Algorithm::HS256,
        "another-secret-entirely-000000000000",
        claims("finmatch", "finmatch-api", now + 600),
    )))
    .await
    .assert_problem(401, "unauthorized");
    me(Some(sign(
        Algorithm::HS256,
        JWT_SECRET,
        claims("finmatch", "finmatch-api", now - 3600),
    )))
    .await
    .assert_problem(401, "unauthorized");
    me(Some(sign(
        Algorithm::HS256,
        JWT_SECRET,
        claims("someone-else", "finmatch-api", now + 600),
    )))
    .await
    .assert_problem(401, "unauthorized");
    me(Some(sign(
        Algorithm::HS256,
        JWT_SECRET,
        claims("finmatch", "other-api", now + 600),
    )))
    .await
    .assert_problem(401, "unauthorized");
    // Algorithm pinned: HS512 with the right secret is refused, and so is an unsigned token.
    me(Some(sign(
        Algorithm::HS512,
        JWT_SECRET,
        claims("finmatch", "finmatch-api", now + 600),
    )))
    .await
    .assert_problem(401, "unauthorized");
    use base64::Engine;
    let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let unsigned = format!(
        "{}.{}.",
        b64.encode(r#"{"alg":"none","typ":"JWT"}"#),
        b64.encode(claims("finmatch", "finmatch-api", now + 600).to_string())
    );
    me(Some(unsigned)).await.assert_problem(401, "unauthorized");
}

async fn me_reports_each_role(app: TestApp) {
    for (kind, region, role) in [
        ("bank", None, "bank"),
        ("guarantor", Some("370202"), "guarantor"),
        ("finance_office", Some("3702"), "finance_office"),
    ] {
        let (id, token) = app.org_with_user(kind, region).await;
        let r = app.get("/api/v1/me", &token).await;
        let b = r.assert_status(200);
        assert_eq!(b["role"], role);
        assert_eq!(b["organization"]["id"], id);
        assert_eq!(b["organization"]["kind"], kind);
    }
    let r = app.get("/api/v1/me", &app.admin_token).await;
    assert_eq!(r.assert_status(200)["role"], "admin");
    assert_eq!(r.body["organization"]["kind"], "platform");
}

fn login_body(username: &str, password: &str) -> Value {
    json!({"username": username, "password": password})
}

/// 40 wrong guesses at once: the attempt is counted before the password is checked, so only
/// the four free attempts and the one that starts the delay are checked (before: all 40).
async fn parallel_guesses_are_counted_before_they_are_checked(app: TestApp) {
    let username = unique_username("target");
    register(&app, &registration(&username, &credit_code(), "370202"))
        .await
        .assert_status(201);
    let body = login_body(&username, "wrong-password!");
    let guesses = (0..40).map(|_| {
        app.request(
            Method::POST,
            "/api/v1/auth/login",
            None,
            Some(&body),
            &[("x-forwarded-for", "198.51.100.9")],
        )
    });
    let statuses: Vec<u16> = futures_util::future::join_all(guesses)
        .await
        .iter()
        .map(|r| r.status.as_u16())
        .collect();
    let checked = statuses.iter().filter(|s| **s == 401).count();
    assert_eq!(checked, 5, "{statuses:?}");
    assert_eq!(statuses.iter().filter(|s| **s == 429).count(), 35);
    // The right password from that address waits too.
    app.request(
        Method::POST,
        "/api/v1/auth/login",
        None,
        Some(&login_body(&username, PASSWORD)),
        &[("x-forwarded-for", "198.51.100.9")],
    )
    .await
    .assert_problem(429, "too_many_requests");
}

/// Failures count per username and address: guesses from one address do not lock the user
/// out at another, and a success forgets its own address's count only.
async fn an_attacker_elsewhere_cannot_lock_a_user_out(app: TestApp) {
    let from = |addr: &'static str, password: &'static str| {
        let app = &app;
        async move {
            app.request(
                Method::POST,
                "/api/v1/auth/login",
                None,
                Some(&login_body("admin", password)),
                &[("x-forwarded-for", addr)],
            )
            .await
        }
    };
    for _ in 0..5 {
        from("203.0.113.66", "not-the-password")
            .await
            .assert_problem(401, "unauthorized");
    }
    let r = from("203.0.113.66", ADMIN_PASSWORD).await;
    r.assert_problem(429, "too_many_requests");
    assert!(r.header("retry-after").unwrap().parse::<u64>().unwrap() <= 30);
    // The operator, elsewhere, logs in.
    from("192.0.2.10", ADMIN_PASSWORD).await.assert_status(200);
    // Only the right-most untrusted X-Forwarded-For entry counts: a forged left part does not
    // move the attacker to another bucket.
    from("192.0.2.10, 203.0.113.66", ADMIN_PASSWORD)
        .await
        .assert_problem(429, "too_many_requests");
}

/// A username that cannot exist is refused before any hashing or database write.
async fn junk_usernames_cost_nothing_and_store_nothing(app: TestApp) {
    for name in [
        "x".to_owned(),
        "a".repeat(100_000),
        "名字名字".to_owned(),
        "has space".to_owned(),
    ] {
        let r = app
            .request(
                Method::POST,
                "/api/v1/auth/login",
                None,
                Some(&login_body(&name, "whatever-password")),
                &[],
            )
            .await;
        assert!(
            [413, 422].contains(&r.status.as_u16()),
            "{}: {}",
            r.status,
            r.body
        );
    }
    app.request(
        Method::POST,
        "/api/v1/auth/login",
        None,
        Some(&login_body("no_such_user", &"p".repeat(10_000))),
        &[],
    )
    .await
    .assert_problem(422, "validation_failed");
    // An unknown but well-formed name is counted (and expires with housekeeping).
    app.request(
        Method::POST,
        "/api/v1/auth/login",
        None,
        Some(&login_body("no_such_user", "whatever-password")),
        &[],
    )
    .await
    .assert_problem(401, "unauthorized");
    let rows = throttle_rows(&app);
    assert_eq!(rows, vec!["no_such_user".to_owned()]);
}

fn throttle_rows(app: &TestApp) -> Vec<String> {
    use diesel::prelude::*;
    use finmatch::db::schema::login_throttle as lt;
    let mut conn = app.pool.get().expect("conn");
    lt::table
        .select(lt::username)
        .load::<String>(&mut conn)
        .expect("rows")
}

/// Password hashing runs on a bounded number of slots; past them a login answers 503 with
/// Retry-After rather than taking another 19 MiB.
async fn password_checks_are_bounded(app: TestApp) {
    // The suite hashes cheaply; this check needs a verification that costs what a real one
    // does, so the admin's hash is replaced by one at the standard cost.
    {
        use diesel::prelude::*;
        use finmatch::app::credentials::{hash_password, HashCost};
        use finmatch::db::schema::users;
        let hash = hash_password("an-admin-password", HashCost::Standard).unwrap();
        assert!(hash.contains("m=19456"), "{hash}");
        let mut c = app.pool.get().unwrap();
        diesel::update(users::table.filter(users::username.eq("admin")))
            .set(users::password_hash.eq(hash))
            .execute(&mut c)
            .unwrap();
    }
    let narrow = app
        .sibling_with(&[
            ("FINMATCH_HASH_CONCURRENCY", "1"),
            ("FINMATCH_HASH_WAIT_MS", "0"),
        ])
        .await;
    let url = format!("{narrow}/api/v1/auth/login");
    let mut busy = 0;
    for round in 0..5 {
        let logins = (0..12).map(|i| {
            // Different addresses, so the throttle does not answer first.
            let addr = format!("198.18.{round}.{i}");
            let body = login_body("admin", "not-the-password");
            let url = url.clone();
            let app = &app;
            async move {
                app.request(
                    Method::POST,
                    &url,
                    None,
                    Some(&body),
                    &[("x-forwarded-for", addr.as_str())],
                )
                .await
            }
        });
        for r in futures_util::future::join_all(logins).await {
            match r.status.as_u16() {
                401 => {}
                503 => {
                    r.assert_problem(503, "service_unavailable");
                    assert_eq!(r.header("retry-after"), Some("1"));
                    busy += 1;
                }
                other => panic!("unexpected {other}: {}", r.body),
            }
        }
        if busy > 0 {
            break;
        }
    }
    assert!(
        busy > 0,
        "one slot and no waiting: some of 12 parallel logins are refused"
    );
}

/// Logout revokes the presented token, a password change every other token, disabling a user
/// all of them — on the next request, on every instance sharing the database.
async fn access_can_be_revoked_on_every_instance(app: TestApp) {
    let other = app.sibling().await;
    let username = unique_username("ent");
    register(&app, &registration(&username, &credit_code(), "370202"))
        .await
        .assert_status(201);
    let (a, b, c) = (
        app.login(&username, PASSWORD).await,
        app.login(&username, PASSWORD).await,
        app.login(&username, PASSWORD).await,
    );
    let me_at = |base: &str, token: &str| {
        let url = format!("{base}/api/v1/me");
        let token = token.to_owned();
        let app = &app;
        async move {
            app.request(Method::GET, &url, Some(&token), None, &[])
                .await
        }
    };
    // Logout: that token only.
    app.post("/api/v1/auth/logout", &a, &json!({}))
        .await
        .assert_status(200);
    me_at(&app.base, &a)
        .await
        .assert_problem(401, "unauthorized");
    me_at(&other, &a).await.assert_problem(401, "unauthorized");
    me_at(&other, &b).await.assert_status(200);
    // A password change keeps the presented token and revokes the others.
    let change =
        |current: &str, new: &str| json!({"current_password": current, "new_password": new});
    let r = app
        .request(
            Method::PUT,
            "/api/v1/me/password",
            Some(&b),
            Some(&change("not-my-password", "another-long-password")),
            &[],
        )
        .await;
    r.assert_problem(422, "validation_failed");
    assert_eq!(r.body["errors"][0]["field"], "current_password");
    let r = app
        .request(
            Method::PUT,
            "/api/v1/me/password",
            Some(&b),
            Some(&change(PASSWORD, "short")),
            &[],
        )
        .await;
    assert_eq!(r.body["errors"][0]["field"], "new_password");
    let r = app
        .request(
            Method::PUT,
            "/api/v1/me/password",
            Some(&b),
            Some(&change(PASSWORD, "another-long-password")),
            &[],
        )
        .await;
    assert_eq!(r.assert_status(200)["username"], username.as_str());
    me_at(&other, &b).await.assert_status(200);
    me_at(&other, &c).await.assert_problem(401, "unauthorized");
    let r = app
        .request(
            Method::POST,
            "/api/v1/auth/login",
            None,
            Some(&login_body(&username, PASSWORD)),
            &[],
        )
        .await;
    r.assert_problem(401, "unauthorized");
    let d = app.login(&username, "another-long-password").await;
    me_at(&other, &d).await.assert_status(200);
    // Disable: every token, and login; only an admin may, and not on itself.
    let user_id = me_at(&app.base, &d).await.body["user"]["id"]
        .as_i64()
        .unwrap();
    app.post(&format!("/api/v1/users/{user_id}/disable"), &d, &json!({}))
        .await
        .assert_problem(403, "forbidden");
    let r = app
        .post(
            &format!("/api/v1/users/{user_id}/disable"),
            &app.admin_token,
            &json!({}),
        )
        .await;
    assert_eq!(r.assert_status(200)["disabled"], true);
    me_at(&other, &d).await.assert_problem(401, "unauthorized");
    me_at(&app.base, &b)
        .await
        .assert_problem(401, "unauthorized");
    let r = app
        .request(
            Method::POST,
            "/api/v1/auth/login",
            None,
            Some(&login_body(&username, "another-long-password")),
            &[],
        )
        .await;
    r.assert_problem(401, "unauthorized");
    let r = app
        .post(
            &format!("/api/v1/users/{user_id}/enable"),
            &app.admin_token,
            &json!({}),
        )
        .await;
    assert_eq!(r.assert_status(200)["disabled"], false);
    me_at(&other, &d).await.assert_status(200);
    app.post("/api/v1/users/999999/disable", &app.admin_token, &json!({}))
        .await
        .assert_problem(404, "not_found");
    let admin_id = me_at(&app.base, &app.admin_token).await.body["user"]["id"]
        .as_i64()
        .unwrap();
    app.post(
        &format!("/api/v1/users/{admin_id}/disable"),
        &app.admin_token,
        &json!({}),
    )
    .await
    .assert_problem(409, "conflict");
}
