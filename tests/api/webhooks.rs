//! Webhooks against a real local HTTP receiver: signatures verify, failures are retried, a
//! dead endpoint never blocks the API, and two instances never send one delivery twice.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use actix_web::{web, App, HttpRequest, HttpResponse, HttpServer};
use finmatch::jobs::webhooks::{deliver_due, signature, Deliverer};
use reqwest::Method;
use serde_json::{json, Value};

use crate::both_backends;
use crate::helpers::*;

both_backends!(
    subscriptions_are_validated_and_scoped,
    deliveries_are_signed_and_logged,
    failed_deliveries_are_retried_then_given_up,
    a_dead_endpoint_never_blocks_the_api,
    two_instances_never_send_a_delivery_twice,
    new_demands_notify_eligible_banks,
    webhooks_only_call_public_addresses,
);

#[derive(Clone, Debug)]
struct Received {
    event: String,
    delivery: String,
    signature: String,
    body: String,
}

/// A local receiver that fails the first `fail_first` requests with 500.
struct Receiver {
    url: String,
    got: Arc<Mutex<Vec<Received>>>,
}

async fn receiver(fail_first: usize) -> Receiver {
    let got: Arc<Mutex<Vec<Received>>> = Arc::default();
    let seen = Arc::new(AtomicUsize::new(0));
    let (g, s) = (got.clone(), seen.clone());
    let server = HttpServer::new(move || {
        let (g, s) = (g.clone(), s.clone());
        App::new().default_service(web::to(move |req: HttpRequest, body: web::Bytes| {
            let (g, s) = (g.clone(), s.clone());
            async move {
                if s.fetch_add(1, Ordering::SeqCst) < fail_first {
                    return HttpResponse::InternalServerError().finish();
                }
                let h = |n: &str| {
                    req.headers()
                        .get(n)
                        .and_then(|v| v.to_str().ok())
                        .unwrap_or("")
                        .to_owned()
                };
                g.lock().unwrap().push(Received {
                    event: h("x-finmatch-event"),
                    delivery: h("x-finmatch-delivery"),
                    signature: h("x-finmatch-signature"),
                    body: String::from_utf8_lossy(&body).into_owned(),
                });
                HttpResponse::NoContent().finish()
            }
        }))
    })
    .workers(1)
    .bind("127.0.0.1:0")
    .unwrap();
    let port = server.addrs()[0].port();
    tokio::spawn(server.run());
    Receiver {
        url: format!("http://127.0.0.1:{port}/hook"),
        got,
    }
}

/// The test receivers listen on loopback, which the operator must allow.
fn loopback() -> Vec<ipnet::IpNet> {
    vec!["127.0.0.0/8".parse().unwrap()]
}

fn deliverer() -> Deliverer {
    Deliverer::new(
        Duration::from_secs(2),
        3,
        chrono::TimeDelta::zero(),
        loopback(),
    )
    .unwrap()
}

async fn subscribe(app: &TestApp, token: &str, url: &str, events: Value) -> (i64, String) {
    let r = app
        .post(
            "/api/v1/webhooks",
            token,
            &json!({"url": url, "events": events}),
        )
        .await;
    let b = r.assert_status(201);
    (
        b["id"].as_i64().unwrap(),
        b["secret"].as_str().unwrap().to_owned(),
    )
}

async fn subscriptions_are_validated_and_scoped(app: TestApp) {
    let (_, bank) = app.org_with_user("bank", None).await;
    let (_, other) = app.org_with_user("bank", None).await;
    let (_, fo) = app.org_with_user("finance_office", Some("37")).await;
    let (id, secret) = subscribe(
        &app,
        &bank,
        "https://bank.example/hook",
        json!(["match.created", "loan.disbursed"]),
    )
    .await;
    assert!(secret.len() > 32);
    let list = app.get("/api/v1/webhooks", &bank).await;
    let items = list.body["items"].as_array().unwrap();
    assert_eq!(items.len(), 1);
    assert!(items[0].get("secret").is_none(), "the secret is shown once");
    assert!(app.get("/api/v1/webhooks", &other).await.body["items"]
        .as_array()
        .unwrap()
        .is_empty());
    app.get(&format!("/api/v1/webhooks/{id}/deliveries"), &other)
        .await
        .assert_problem(404, "not_found");
    app.request(
        Method::DELETE,
        &format!("/api/v1/webhooks/{id}"),
        Some(&other),
        None,
        &[],
    )
    .await
    .assert_problem(404, "not_found");
    for url in ["ftp://x/y", "https://user:secret@x/y", "file:///etc/passwd"] {
        let r = app
            .post(
                "/api/v1/webhooks",
                &bank,
                &json!({"url": url, "events": ["match.created"]}),
            )
            .await;
        r.assert_problem(422, "webhook_url_not_allowed");
        assert_eq!(r.body["errors"][0]["field"], "url");
    }
    for (body, field) in [
        (
            json!({"url": "not a url", "events": ["match.created"]}),
            "url",
        ),
        (json!({"url": "https://x/y", "events": []}), "events"),
        (
            json!({"url": "https://x/y", "events": ["match.exploded"]}),
            "events[0]",
        ),
    ] {
        let r = app.post("/api/v1/webhooks", &bank, &body).await;
        r.assert_problem(422, "validation_failed");
        assert_eq!(r.body["errors"][0]["field"], field);
    }
    app.post(
        "/api/v1/webhooks",
        &fo,
        &json!({"url": "https://x/y", "events": ["match.created"]}),
    )
    .await
    .assert_problem(403, "forbidden");
    let r = app
        .request(
            Method::DELETE,
            &format!("/api/v1/webhooks/{id}"),
            Some(&bank),
            None,
            &[],
        )
        .await;
    assert_eq!(r.status.as_u16(), 204);
    assert!(app.get("/api/v1/webhooks", &bank).await.body["items"]
        .as_array()
        .unwrap()
        .is_empty());
}

async fn deliveries_are_signed_and_logged(app: TestApp) {
    let rx = receiver(0).await;
    let w = world(&app).await;
    let (hook, secret) = subscribe(
        &app,
        &w.bank,
        &rx.url,
        json!(["match.created", "match.accepted"]),
    )
    .await;
    let id = apply(&app, &w).await;
    app.post(&format!("/api/v1/matches/{id}/accept"), &w.bank, &json!({}))
        .await
        .assert_status(200);
    let d = deliverer();
    assert_eq!(deliver_due(&app.pool, &d).await.unwrap(), 2);
    assert_eq!(
        deliver_due(&app.pool, &d).await.unwrap(),
        0,
        "delivered once"
    );
    let got = rx.got.lock().unwrap().clone();
    let events: Vec<&str> = got.iter().map(|r| r.event.as_str()).collect();
    assert_eq!(events.len(), 2);
    assert!(events.contains(&"match.created") && events.contains(&"match.accepted"));
    for r in &got {
        // t=<unix>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>, recomputed here independently.
        let t: i64 = r
            .signature
            .split(',')
            .next()
            .unwrap()
            .strip_prefix("t=")
            .unwrap()
            .parse()
            .unwrap();
        assert!((chrono::Utc::now().timestamp() - t).abs() < 60);
        assert_eq!(r.signature, signature(&secret, t, &r.body));
        use hmac::Mac;
        let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes()).unwrap();
        mac.update(format!("{t}.{}", r.body).as_bytes());
        assert_eq!(
            r.signature,
            format!("t={t},v1={}", hex::encode(mac.finalize().into_bytes()))
        );
        let body: Value = serde_json::from_str(&r.body).unwrap();
        assert_eq!(body["event"], r.event.as_str());
        assert_eq!(body["id"], r.delivery.as_str());
        assert_eq!(body["data"]["id"], id);
    }
    let log = app
        .get(&format!("/api/v1/webhooks/{hook}/deliveries"), &w.bank)
        .await;
    for d in log.body["items"].as_array().unwrap() {
        assert_eq!(d["status"], "delivered");
        assert_eq!(d["attempts"], 1);
        assert_eq!(d["last_status_code"], 204);
    }
    // The enterprise subscribed to nothing and got nothing; its own subscription is separate.
    assert_eq!(got.iter().filter(|r| r.event == "match.created").count(), 1);
}

async fn failed_deliveries_are_retried_then_given_up(app: TestApp) {
    let rx = receiver(1).await;
    let w = world(&app).await;
    let (hook, _) = subscribe(&app, &w.bank, &rx.url, json!(["match.created"])).await;
    apply(&app, &w).await;
    let d = deliverer();
    deliver_due(&app.pool, &d).await.unwrap();
    let log = app
        .get(&format!("/api/v1/webhooks/{hook}/deliveries"), &w.bank)
        .await;
    assert_eq!(log.body["items"][0]["status"], "pending");
    assert_eq!(log.body["items"][0]["last_status_code"], 500);
    assert!(rx.got.lock().unwrap().is_empty());
    // The retry (backoff zero in this test) succeeds.
    deliver_due(&app.pool, &d).await.unwrap();
    let log = app
        .get(&format!("/api/v1/webhooks/{hook}/deliveries"), &w.bank)
        .await;
    assert_eq!(log.body["items"][0]["status"], "delivered");
    assert_eq!(log.body["items"][0]["attempts"], 2);
    assert_eq!(rx.got.lock().unwrap().len(), 1);
    // Backoff grows exponentially in production: 10 s, 20 s, 40 s …
    let standard = Deliverer::standard(vec![]).unwrap();
    assert_eq!(standard.backoff_base, chrono::TimeDelta::seconds(10));
    assert_eq!(standard.max_attempts, 8);
}

async fn a_dead_endpoint_never_blocks_the_api(app: TestApp) {
    let w = world(&app).await;
    // Port 9 (discard) is closed here: every attempt fails fast with a connection error.
    let (hook, _) = subscribe(
        &app,
        &w.bank,
        "http://127.0.0.1:9/dead",
        json!(["match.created", "match.accepted"]),
    )
    .await;
    let started = std::time::Instant::now();
    let id = apply(&app, &w).await;
    app.post(&format!("/api/v1/matches/{id}/accept"), &w.bank, &json!({}))
        .await
        .assert_status(200);
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "the API does not wait for webhooks"
    );
    let d = deliverer();
    for _ in 0..3 {
        deliver_due(&app.pool, &d).await.unwrap();
    }
    let log = app
        .get(&format!("/api/v1/webhooks/{hook}/deliveries"), &w.bank)
        .await;
    for item in log.body["items"].as_array().unwrap() {
        assert_eq!(item["status"], "failed", "{item}");
        assert_eq!(item["attempts"], 3);
        // Never the socket error (it would tell open ports from closed ones).
        assert_eq!(item["last_error"], "connection failed", "{item}");
    }
    assert_eq!(
        deliver_due(&app.pool, &d).await.unwrap(),
        0,
        "given up: no more attempts"
    );
}

async fn two_instances_never_send_a_delivery_twice(app: TestApp) {
    let rx = receiver(0).await;
    let w = world(&app).await;
    subscribe(
        &app,
        &w.bank,
        &rx.url,
        json!(["match.created", "match.withdrawn"]),
    )
    .await;
    // Many deliveries waiting.
    for _ in 0..10 {
        let id = apply(&app, &w).await;
        app.post(
            &format!("/api/v1/matches/{id}/withdraw"),
            &w.ent,
            &json!({}),
        )
        .await
        .assert_status(200);
    }
    // Two instances: separate pools, separate workers, running at the same time.
    let other_pool = finmatch::startup::prepare_database(&settings_for(&app._db)).unwrap();
    let (a, b) = (deliverer(), deliverer());
    let (p1, p2) = (app.pool.clone(), other_pool.clone());
    let (r1, r2) = tokio::join!(
        async {
            let mut n = 0;
            for _ in 0..5 {
                n += deliver_due(&p1, &a).await.unwrap();
            }
            n
        },
        async {
            let mut n = 0;
            for _ in 0..5 {
                n += deliver_due(&p2, &b).await.unwrap();
            }
            n
        }
    );
    assert_eq!(
        r1 + r2,
        20,
        "every delivery attempted exactly once ({r1} + {r2})"
    );
    let got = rx.got.lock().unwrap().clone();
    let mut ids: Vec<&str> = got.iter().map(|r| r.delivery.as_str()).collect();
    assert_eq!(ids.len(), 20);
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 20, "no delivery was sent twice");
}

async fn new_demands_notify_eligible_banks(app: TestApp) {
    let rx = receiver(0).await;
    let w = world(&app).await;
    let (_, rival) = app.org_with_user("bank", None).await;
    let mut narrow = product(3);
    narrow["max_amount"] = json!("2000000.00");
    app.post("/api/v1/products", &rival, &narrow)
        .await
        .assert_status(201);
    subscribe(&app, &w.bank, &rx.url, json!(["demand.eligible"])).await;
    let (_, rival_secret) = subscribe(&app, &rival, &rx.url, json!(["demand.eligible"])).await;
    let d = app
        .post("/api/v1/demands", &w.ent, &demand())
        .await
        .assert_status(201)["id"]
        .as_i64()
        .unwrap();
    deliver_due(&app.pool, &deliverer()).await.unwrap();
    let got = rx.got.lock().unwrap().clone();
    // Only the bank whose product fits (10,000,000 is above the rival's maximum) hears of it.
    assert_eq!(got.len(), 1);
    let body: Value = serde_json::from_str(&got[0].body).unwrap();
    assert_eq!(body["event"], "demand.eligible");
    assert_eq!(body["data"]["demand"]["id"], d);
    assert_eq!(body["data"]["eligible_product_ids"], json!([w.product]));
    let t: i64 = got[0].signature.split(',').next().unwrap()[2..]
        .parse()
        .unwrap();
    assert_ne!(got[0].signature, signature(&rival_secret, t, &got[0].body));
}

/// No SSRF: an instance that allows no private network refuses loopback, private, link-local
/// and metadata targets in every spelling, and a delivery re-checks the address it would
/// call (a URL accepted where loopback was allowed reaches nothing where it is not).
async fn webhooks_only_call_public_addresses(app: TestApp) {
    let strict = app
        .sibling_with(&[("FINMATCH_WEBHOOK_ALLOW_NETWORKS", "")])
        .await;
    let w = world(&app).await;
    for url in [
        "http://127.0.0.1:8080/x",
        "http://2130706433:8080/x",
        "http://0x7f.1/x",
        "http://[::1]/x",
        "http://[::ffff:127.0.0.1]/x",
        "http://localhost/x",
        "http://api.localhost/x",
        "http://10.0.0.1/x",
        "http://192.168.1.1/x",
        "http://169.254.169.254/latest/meta-data",
        "http://0.0.0.0/x",
        "http://224.0.0.1/x",
    ] {
        let r = app
            .request(
                Method::POST,
                &format!("{strict}/api/v1/webhooks"),
                Some(&w.bank),
                Some(&json!({"url": url, "events": ["match.created"]})),
                &[],
            )
            .await;
        r.assert_problem(422, "webhook_url_not_allowed");
    }
    // A public name that does not resolve here is accepted; delivery checks again.
    app.request(
        Method::POST,
        &format!("{strict}/api/v1/webhooks"),
        Some(&w.bank),
        Some(&json!({"url": "https://hooks.qdbank.example/finmatch", "events": ["match.created"]})),
        &[],
    )
    .await
    .assert_status(201);
    // Accepted where loopback is allowed, refused at delivery by a deliverer that does not.
    let rx = receiver(0).await;
    let (hook, _) = subscribe(&app, &w.bank, &rx.url, json!(["match.created"])).await;
    apply(&app, &w).await;
    let strict_deliverer =
        Deliverer::new(Duration::from_secs(2), 1, chrono::TimeDelta::zero(), vec![]).unwrap();
    deliver_due(&app.pool, &strict_deliverer).await.unwrap();
    let log = app
        .get(&format!("/api/v1/webhooks/{hook}/deliveries"), &w.bank)
        .await;
    let item = &log.body["items"][0];
    assert_eq!(item["status"], "failed", "{item}");
    assert_eq!(item["last_error"], "connection failed");
    assert!(
        rx.got.lock().unwrap().is_empty(),
        "nothing reached loopback"
    );
}
