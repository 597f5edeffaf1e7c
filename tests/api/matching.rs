//! Matching over HTTP: recommendations and candidates, explained, scoped, and never stale —
//! not even across two instances sharing one database.

use reqwest::Method;
use serde_json::{json, Value};

use crate::both_backends;
use crate::helpers::*;

both_backends!(
    recommendations_rank_and_explain,
    changes_are_visible_at_once_across_instances,
    every_change_is_seen_by_the_next_request_on_another_instance,
    a_cached_page_needs_no_connection,
    pages_past_the_kept_ranking_follow_on,
    the_cache_reports_its_size_as_metrics,
    recommendations_are_scoped,
    candidates_for_the_owning_bank,
    renewal_products_never_serve_a_demand,
    a_higher_tier_meets_a_lower_requirement,
);

fn product(name: &str, min_rate: &str, eligibility: Value) -> Value {
    json!({
        "name": name,
        "description": "",
        "product_type": "credit",
        "min_amount": "1000000.00",
        "max_amount": "9000000.00",
        "min_term_months": 6,
        "max_term_months": 36,
        "min_rate": min_rate,
        "max_rate": "6.00",
        "guarantee_methods": ["credit", "guarantee"],
        "response_sla_days": 3,
        "status": "active",
        "eligibility": eligibility
    })
}

fn demand() -> Value {
    json!({
        "amount": "5000000.00",
        "term_months": 21,
        "purpose": "equipment",
        "guarantee_methods": ["credit"],
        "max_rate": "5.00",
        "description": "设备采购"
    })
}

async fn create_product(app: &TestApp, bank: &str, body: &Value) -> i64 {
    app.post("/api/v1/products", bank, body)
        .await
        .assert_status(201)["id"]
        .as_i64()
        .unwrap()
}

fn specialized() -> Value {
    json!({"qualifications_any": [{"kind": "specialized_sme", "min_level": "provincial"}]})
}

async fn recommendations_rank_and_explain(app: TestApp) {
    let (_, bank) = app.org_with_user("bank", None).await;
    let cheap = create_product(&app, &bank, &product("便宜信用贷", "3.10", json!({}))).await;
    let dear = create_product(&app, &bank, &product("普通信用贷", "4.20", json!({}))).await;
    let gated = create_product(&app, &bank, &product("专精特新贷", "2.90", specialized())).await;
    let mut paused = product("暂停产品", "2.50", json!({}));
    paused["status"] = json!("paused");
    let paused = create_product(&app, &bank, &paused).await;
    let (_, ent) = app.enterprise("370202").await;
    let demand_id = app
        .post("/api/v1/demands", &ent, &demand())
        .await
        .assert_status(201)["id"]
        .as_i64()
        .unwrap();

    let r = app
        .get(
            &format!("/api/v1/demands/{demand_id}/recommendations"),
            &ent,
        )
        .await;
    let b = r.assert_status(200);
    let ids: Vec<i64> = b["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["product_id"].as_i64().unwrap())
        .collect();
    assert_eq!(ids, vec![cheap, dear], "eligible only, cheaper first");
    let first = &b["items"][0];
    assert_eq!(first["eligible"], true);
    assert!(first["score"].as_u64().unwrap() > b["items"][1]["score"].as_u64().unwrap());
    let criteria: Vec<&str> = first["reasons"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["criterion"].as_str().unwrap())
        .collect();
    for c in [
        "product_active",
        "product_type",
        "amount_range",
        "term_range",
        "guarantee_methods",
        "max_rate",
        "amount_fit",
        "rate",
        "bank_responsiveness",
    ] {
        assert!(criteria.contains(&c), "{c} explained");
    }
    // The score is the sum of the component points.
    let points: u64 = first["reasons"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|r| r["points"].as_u64())
        .sum();
    assert_eq!(points, first["score"].as_u64().unwrap());

    // Near misses come after, saying what to do.
    let r = app
        .get(
            &format!("/api/v1/demands/{demand_id}/recommendations?include_ineligible=true"),
            &ent,
        )
        .await;
    let items = r.assert_status(200)["items"].as_array().unwrap().clone();
    let ids: Vec<i64> = items
        .iter()
        .map(|i| i["product_id"].as_i64().unwrap())
        .collect();
    assert_eq!(&ids[..2], &[cheap, dear]);
    assert!(ids.contains(&gated), "{ids:?}");
    assert!(
        !ids.contains(&paused),
        "only active products are recommended"
    );
    let miss = items.iter().find(|i| i["product_id"] == gated).unwrap();
    assert_eq!(miss["eligible"], false);
    let q = miss["reasons"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["criterion"] == "qualifications")
        .unwrap();
    assert_eq!(q["passed"], false);
    assert!(
        q["detail"]
            .as_str()
            .unwrap()
            .contains("obtain a provincial specialized_sme qualification"),
        "{q}"
    );
    assert_eq!(q["params"]["qualifications"], "specialized_sme:provincial");

    // The same page in Chinese (`Accept-Language: zh-CN`), cached apart from the English one;
    // the params are the same values.
    let zh = app
        .request(
            reqwest::Method::GET,
            &format!("/api/v1/demands/{demand_id}/recommendations?include_ineligible=true"),
            Some(&ent),
            None,
            &[("accept-language", "zh-CN,zh;q=0.9,en;q=0.8")],
        )
        .await;
    assert_eq!(zh.headers["vary"], "Accept-Language");
    let zh_items = zh.assert_status(200)["items"].as_array().unwrap().clone();
    let zh_miss = zh_items.iter().find(|i| i["product_id"] == gated).unwrap();
    let zq = zh_miss["reasons"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["criterion"] == "qualifications")
        .unwrap();
    assert_eq!(zq["detail"], "取得省级专精特新中小企业认定后可申请");
    assert_eq!(zq["params"], q["params"]);
    let amount = zh_items[0]["reasons"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["criterion"] == "amount_range")
        .unwrap();
    assert!(
        amount["detail"].as_str().unwrap().starts_with("需求金额 "),
        "{amount}"
    );
    // And English again, unchanged by the Chinese page.
    let en = app
        .get(
            &format!("/api/v1/demands/{demand_id}/recommendations?include_ineligible=true"),
            &ent,
        )
        .await;
    assert_eq!(en.assert_status(200)["items"], json!(items));
    // Applying to the near miss anyway: 422 with the same reasons, in the asked language.
    let apply = json!({"demand_id": demand_id, "product_id": gated});
    let qualification_error = |b: &Value| {
        b["errors"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["field"] == "qualifications")
            .cloned()
            .unwrap()
    };
    let r = app.post("/api/v1/matches", &ent, &apply).await;
    r.assert_problem(422, "not_eligible");
    assert_eq!(qualification_error(&r.body)["message"], q["detail"]);
    let r = app
        .request(
            reqwest::Method::POST,
            "/api/v1/matches",
            Some(&ent),
            Some(&apply),
            &[("accept-language", "zh-CN")],
        )
        .await;
    r.assert_problem(422, "not_eligible");
    assert_eq!(
        qualification_error(&r.body)["message"],
        "取得省级专精特新中小企业认定后可申请"
    );
    assert_eq!(r.headers["vary"], "Accept-Language");

    // Paging.
    let r = app
        .get(
            &format!("/api/v1/demands/{demand_id}/recommendations?limit=1"),
            &ent,
        )
        .await;
    let b = r.assert_status(200);
    assert_eq!(b["items"].as_array().unwrap().len(), 1);
    let next = b["next_cursor"].as_str().unwrap().to_owned();
    let r = app
        .get(
            &format!("/api/v1/demands/{demand_id}/recommendations?limit=1&cursor={next}"),
            &ent,
        )
        .await;
    assert_eq!(r.assert_status(200)["items"][0]["product_id"], dear);
    assert!(r.body["next_cursor"].is_null());
    // A position past u32 (or negative, or not a number) is not one the API issued; it must
    // not wrap around `offset + limit`.
    use base64::Engine as _;
    for forged in [
        "off:18446744073709551615",
        "off:4294967296",
        "off:-1",
        "off:x",
        "id:3",
    ] {
        let c = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(forged);
        app.get(
            &format!("/api/v1/demands/{demand_id}/recommendations?limit=1&cursor={c}"),
            &ent,
        )
        .await
        .assert_problem(400, "invalid_cursor");
    }
    app.get(
        &format!("/api/v1/demands/{demand_id}/recommendations?limit=0"),
        &ent,
    )
    .await
    .assert_problem(400, "invalid_query");
    app.get(
        &format!("/api/v1/demands/{demand_id}/recommendations?cursor=bogus"),
        &ent,
    )
    .await
    .assert_problem(400, "invalid_cursor");
    app.get(
        &format!("/api/v1/demands/{demand_id}/recommendations?include_ineligible=maybe"),
        &ent,
    )
    .await
    .assert_problem(400, "invalid_query");
}

async fn changes_are_visible_at_once_across_instances(app: TestApp) {
    let (_, bank) = app.org_with_user("bank", None).await;
    let gated = create_product(&app, &bank, &product("专精特新贷", "2.90", specialized())).await;
    let (ent_id, ent) = app.enterprise("370202").await;
    let demand_id = app
        .post("/api/v1/demands", &ent, &demand())
        .await
        .assert_status(201)["id"]
        .as_i64()
        .unwrap();
    let (other, _, other_state) = app.sibling_app(&[]).await;
    // Both instances answer from memory when they can: the watch is what is tested here.
    TestApp::change_watch_live(&app.state).await;
    TestApp::change_watch_live(&other_state).await;
    let recommended = |base: String| {
        let (app, ent) = (&app, ent.clone());
        async move {
            let r = app
                .get(
                    &format!("{base}/api/v1/demands/{demand_id}/recommendations"),
                    &ent,
                )
                .await;
            r.assert_status(200)["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|i| i["product_id"].as_i64().unwrap())
                .collect::<Vec<_>>()
        }
    };
    // Both instances have warmed their caches: nothing is eligible yet.
    assert!(recommended(app.base.clone()).await.is_empty());
    assert!(recommended(other.clone()).await.is_empty());
    // A qualification recorded through one instance counts on the other at once.
    let r = app
        .post(
            &format!("/api/v1/enterprises/{ent_id}/qualifications"),
            &ent,
            &json!({"kind": "specialized_sme", "level": "provincial", "certified_on": "2025-01-01", "expires_on": "2099-12-31", "certificate_no": "鲁专精2025-001"}),
        )
        .await;
    r.assert_status(201);
    assert_eq!(recommended(other.clone()).await, vec![gated]);
    // A product change through the other instance is seen by the first at once.
    let r = app
        .request(
            Method::PATCH,
            &format!("{other}/api/v1/products/{gated}"),
            Some(&bank),
            Some(&json!({"status": "paused"})),
            &[],
        )
        .await;
    r.assert_status(200);
    assert!(recommended(app.base.clone()).await.is_empty());
    let r = app
        .request(
            Method::PATCH,
            &format!("/api/v1/products/{gated}"),
            Some(&bank),
            Some(&json!({"status": "active", "max_amount": "4000000.00"})),
            &[],
        )
        .await;
    r.assert_status(200);
    // The demand (5,000,000) is now above the maximum on both instances.
    assert!(recommended(other.clone()).await.is_empty());
    let r = app
        .get(
            &format!("{other}/api/v1/demands/{demand_id}/recommendations?include_ineligible=true"),
            &ent,
        )
        .await;
    let miss = &r.assert_status(200)["items"][0];
    let amount = miss["reasons"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["criterion"] == "amount_range")
        .unwrap();
    assert_eq!(
        amount["detail"],
        "amount 5000000.00 is above the maximum 4000000.00: request at most 4000000.00"
    );
}

async fn recommendations_are_scoped(app: TestApp) {
    let (_, bank) = app.org_with_user("bank", None).await;
    create_product(&app, &bank, &product("信用贷", "3.10", json!({}))).await;
    let (_, ent) = app.enterprise("370202").await;
    let (_, other) = app.enterprise("370202").await;
    let (_, fo_in) = app.org_with_user("finance_office", Some("3702")).await;
    let (_, fo_out) = app.org_with_user("finance_office", Some("32")).await;
    let id = app
        .post("/api/v1/demands", &ent, &demand())
        .await
        .assert_status(201)["id"]
        .as_i64()
        .unwrap();
    let path = format!("/api/v1/demands/{id}/recommendations");
    app.get(&path, &ent).await.assert_status(200);
    app.get(&path, &fo_in).await.assert_status(200);
    app.get(&path, &app.admin_token).await.assert_status(200);
    app.get(&path, &other)
        .await
        .assert_problem(404, "not_found");
    app.get(&path, &fo_out)
        .await
        .assert_problem(404, "not_found");
    app.get(&path, &bank).await.assert_problem(404, "not_found");
    app.get("/api/v1/demands/999999/recommendations", &ent)
        .await
        .assert_problem(404, "not_found");
    app.request(Method::GET, &path, None, None, &[])
        .await
        .assert_problem(401, "unauthorized");
}

async fn candidates_for_the_owning_bank(app: TestApp) {
    let (_, bank) = app.org_with_user("bank", None).await;
    let (_, rival) = app.org_with_user("bank", None).await;
    let pid = create_product(
        &app,
        &bank,
        &product("信用贷", "3.10", json!({"region_prefixes": ["3702"]})),
    )
    .await;
    let (_, qd) = app.enterprise("370202").await;
    let (_, sz) = app.enterprise("320505").await;
    let small = json!({"amount": "1000000.00", "term_months": 6, "purpose": "working_capital", "guarantee_methods": ["credit"], "description": ""});
    let d_mid = app.post("/api/v1/demands", &qd, &demand()).await.body["id"]
        .as_i64()
        .unwrap();
    let d_edge = app.post("/api/v1/demands", &qd, &small).await.body["id"]
        .as_i64()
        .unwrap();
    let d_far = app.post("/api/v1/demands", &sz, &demand()).await.body["id"]
        .as_i64()
        .unwrap();
    let mut too_big = demand();
    too_big["amount"] = json!("20000000.00");
    let d_big = app.post("/api/v1/demands", &qd, &too_big).await.body["id"]
        .as_i64()
        .unwrap();

    let path = format!("/api/v1/products/{pid}/candidates");
    let r = app.get(&path, &bank).await;
    let items = r.assert_status(200)["items"].as_array().unwrap().clone();
    let ids: Vec<i64> = items
        .iter()
        .map(|i| i["demand_id"].as_i64().unwrap())
        .collect();
    // Mid-range amount and term score above the range's edge; out-of-region and too-large are out.
    assert_eq!(ids, vec![d_mid, d_edge]);
    assert!(!ids.contains(&d_far) && !ids.contains(&d_big));
    assert!(items.iter().all(|i| i["eligible"] == true));
    assert_eq!(items[0]["region_code"], "370202");
    assert!(items[0]["reasons"]
        .as_array()
        .unwrap()
        .iter()
        .any(|r| r["criterion"] == "region" && r["passed"] == true));
    // A closed demand is no candidate any more.
    app.post(&format!("/api/v1/demands/{d_mid}/close"), &qd, &json!({}))
        .await
        .assert_status(200);
    let r = app.get(&path, &bank).await;
    let ids: Vec<i64> = r.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["demand_id"].as_i64().unwrap())
        .collect();
    assert_eq!(ids, vec![d_edge]);
    // Another bank sees the active product but not its candidates (403); enterprises may not
    // ask either.
    app.get(&path, &rival)
        .await
        .assert_problem(403, "forbidden");
    app.get(&path, &qd).await.assert_problem(403, "forbidden");
    app.get(&path, &app.admin_token).await.assert_status(200);
    app.get("/api/v1/products/999999/candidates", &bank)
        .await
        .assert_problem(404, "not_found");
}

/// A sample's value in Prometheus text: the first line starting with `series`.
fn sample(text: &str, series: &str) -> Option<f64> {
    text.lines()
        .find(|l| l.starts_with(series))
        .and_then(|l| l.rsplit(' ').next())
        .and_then(|v| v.parse().ok())
}

/// A bank with one product and an enterprise with one demand it qualifies for:
/// (bank token, product id, enterprise token, demand id).
async fn one_product_one_demand(app: &TestApp) -> (String, i64, String, i64) {
    let (_, bank) = app.org_with_user("bank", None).await;
    let product_id = create_product(app, &bank, &product("信用贷", "3.10", json!({}))).await;
    let (_, ent) = app.enterprise("370202").await;
    let demand_id = app
        .post("/api/v1/demands", &ent, &demand())
        .await
        .assert_status(201)["id"]
        .as_i64()
        .unwrap();
    (bank, product_id, ent, demand_id)
}

/// Twenty changes in a row, each made through one instance and read through the other by the
/// very next request, alternating directions: a cached page or session is never served after
/// a change was acknowledged, however fast the next request follows.
async fn every_change_is_seen_by_the_next_request_on_another_instance(app: TestApp) {
    let (bank, product_id, ent, demand_id) = one_product_one_demand(&app).await;
    let (other, _, other_state) = app.sibling_app(&[]).await;
    TestApp::change_watch_live(&app.state).await;
    TestApp::change_watch_live(&other_state).await;
    let url = |base: &str| format!("{base}/api/v1/demands/{demand_id}/recommendations");
    let count = |r: Resp| r.assert_status(200)["items"].as_array().unwrap().len();
    // Warm both instances' caches.
    assert_eq!(count(app.get(&url(&app.base), &ent).await), 1);
    assert_eq!(count(app.get(&url(&other), &ent).await), 1);
    for round in 0..20 {
        let (writer, reader) = if round % 2 == 0 {
            (app.base.clone(), other.clone())
        } else {
            (other.clone(), app.base.clone())
        };
        let status = if round % 4 < 2 { "paused" } else { "active" };
        app.request(
            Method::PATCH,
            &format!("{writer}/api/v1/products/{product_id}"),
            Some(&bank),
            Some(&json!({"status": status})),
            &[],
        )
        .await
        .assert_status(200);
        let expected = usize::from(status == "active");
        assert_eq!(
            count(app.get(&url(&reader), &ent).await),
            expected,
            "round {round}: the product is {status} on {reader}"
        );
        // Served again from memory, still right.
        assert_eq!(count(app.get(&url(&reader), &ent).await), expected);
    }
    // A logout through one instance ends the session on the other at once.
    let token = app.login(&unique_user_of(&app, &ent).await, PASSWORD).await;
    app.get(&url(&other), &token).await.assert_status(200);
    app.request(
        Method::POST,
        &format!("{}/api/v1/auth/logout", app.base),
        Some(&token),
        Some(&json!({})),
        &[],
    )
    .await
    .assert_status(200);
    app.get(&url(&other), &token)
        .await
        .assert_problem(401, "unauthorized");
}

/// The username behind a token (`GET /me`).
async fn unique_user_of(app: &TestApp, token: &str) -> String {
    app.get("/api/v1/me", token).await.assert_status(200)["user"]["username"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// With every pooled connection taken, a page already rendered for an unchanged catalog
/// still answers, and its token is still checked: neither needs the database. After the
/// connections come back, a change is seen by the next request.
async fn a_cached_page_needs_no_connection(app: TestApp) {
    let (bank, product_id, ent, demand_id) = one_product_one_demand(&app).await;
    let (_, stranger) = app.enterprise("370202").await;
    TestApp::change_watch_live(&app.state).await;
    let url = format!("/api/v1/demands/{demand_id}/recommendations");
    let first = app.get(&url, &ent).await;
    assert_eq!(
        first.assert_status(200)["items"][0]["product_id"],
        product_id
    );
    app.get(&url, &stranger)
        .await
        .assert_problem(404, "not_found");
    let pool = app.pool.clone();
    let (held, release) = (
        tokio::sync::oneshot::channel::<()>(),
        std::sync::mpsc::channel::<()>(),
    );
    let (held_tx, held_rx) = held;
    let (release_tx, release_rx) = release;
    let holder = tokio::task::spawn_blocking(move || {
        let taken: Vec<_> = (0..pool.max_size()).map(|_| pool.get().unwrap()).collect();
        held_tx.send(()).unwrap();
        release_rx.recv().unwrap();
        drop(taken);
    });
    held_rx.await.unwrap();
    for _ in 0..20 {
        let r = tokio::time::timeout(std::time::Duration::from_secs(5), app.get(&url, &ent))
            .await
            .unwrap_or_else(|_| {
                panic!(
                    "answered without a database connection (listener live: {})",
                    app.state.changes.is_live()
                )
            });
        assert_eq!(r.assert_status(200), &first.body);
        // The scope is still checked on a cached page.
        let r = tokio::time::timeout(std::time::Duration::from_secs(5), app.get(&url, &stranger))
            .await
            .unwrap_or_else(|_| {
                panic!(
                    "refused without a database connection (listener live: {})",
                    app.state.changes.is_live()
                )
            });
        r.assert_problem(404, "not_found");
    }
    release_tx.send(()).unwrap();
    holder.await.unwrap();
    app.request(
        Method::PATCH,
        &format!("/api/v1/products/{product_id}"),
        Some(&bank),
        Some(&json!({"status": "paused"})),
        &[],
    )
    .await
    .assert_status(200);
    let r = app.get(&url, &ent).await;
    assert!(r.assert_status(200)["items"].as_array().unwrap().is_empty());
}

/// A cached ranking keeps its first products only (`catalog::RANKING_KEPT`); pages past
/// them are ranked again. Walking every page by cursor gives each product once, in the same
/// order as one large page, across that edge — on a cold cache and on a warm one.
async fn pages_past_the_kept_ranking_follow_on(app: TestApp) {
    let (bank, _, ent, demand_id) = one_product_one_demand(&app).await;
    let total = finmatch::catalog::RANKING_KEPT + 40;
    for i in 1..total {
        // Rates (all within the demand's 5.00) spread the scores; equal ones tie on id.
        let rate = format!("{}.{:02}", 3 + i % 2, i % 97);
        create_product(
            &app,
            &bank,
            &product(&format!("信用贷 {i}"), &rate, json!({})),
        )
        .await;
    }
    let walk = |limit: usize| {
        let (app, ent) = (&app, ent.clone());
        async move {
            let mut ids = Vec::new();
            let mut cursor: Option<String> = None;
            loop {
                let mut url = format!("/api/v1/demands/{demand_id}/recommendations?limit={limit}");
                if let Some(c) = &cursor {
                    url.push_str(&format!("&cursor={c}"));
                }
                let r = app.get(&url, &ent).await;
                let body = r.assert_status(200);
                ids.extend(
                    body["items"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .map(|i| i["product_id"].as_i64().unwrap()),
                );
                match body["next_cursor"].as_str() {
                    Some(c) => cursor = Some(c.to_owned()),
                    None => break ids,
                }
            }
        }
    };
    let by_100 = walk(100).await;
    assert_eq!(by_100.len(), total);
    let unique: std::collections::HashSet<_> = by_100.iter().collect();
    assert_eq!(unique.len(), total);
    // The same order in pages of 200 and of 30, warm now.
    assert_eq!(walk(200).await, by_100);
    assert_eq!(walk(30).await, by_100);
}

/// The recommendation cache's bytes, entries and bound are metrics on the metrics listener
/// (not the API's), and the cache's lookups count hits and misses.
async fn the_cache_reports_its_size_as_metrics(app: TestApp) {
    let (_, bank) = app.org_with_user("bank", None).await;
    create_product(&app, &bank, &product("信用贷", "3.10", json!({}))).await;
    let (_, ent) = app.enterprise("370202").await;
    let demand_id = app
        .post("/api/v1/demands", &ent, &demand())
        .await
        .assert_status(201)["id"]
        .as_i64()
        .unwrap();
    let (base, port) = app
        .sibling_serving(&[
            ("FINMATCH_METRICS_LISTEN", "127.0.0.1:0"),
            ("FINMATCH_MATCHING_CACHE_MB", "3"),
        ])
        .await;
    let port = port.expect("a metrics listener");
    let scrape = || async {
        let r = app
            .client
            .get(format!("http://127.0.0.1:{port}/metrics"))
            .send()
            .await
            .expect("scrape");
        assert_eq!(r.status(), 200);
        r.text().await.unwrap()
    };
    let before = scrape().await;
    assert_eq!(
        sample(&before, "finmatch_matching_cache_limit_bytes"),
        Some(3.0 * 1024.0 * 1024.0),
        "{before}"
    );
    let path = format!("{base}/api/v1/demands/{demand_id}/recommendations?include_ineligible=true");
    for _ in 0..3 {
        app.get(&path, &ent).await.assert_status(200);
    }
    let after = scrape().await;
    let bytes = sample(&after, "finmatch_matching_cache_bytes").unwrap_or(0.0);
    assert!(bytes > 0.0, "{after}");
    assert!(
        sample(&after, "finmatch_matching_cache_entries").unwrap_or(0.0) >= 1.0,
        "{after}"
    );
    let hits = |text: &str| {
        sample(
            text,
            r#"finmatch_matching_cache_lookups_total{kind="page",outcome="hit"}"#,
        )
        .unwrap_or(0.0)
    };
    // The recorder is per process (other tests' servers count too): at least our two hits.
    assert!(hits(&after) >= hits(&before) + 2.0, "{after}");
    assert!(
        after.contains(r#"route="/api/v1/demands/{id}/recommendations""#),
        "requests are counted by route template: {after}"
    );
    // Never on the API listener.
    let r = app
        .client
        .get(format!("{base}/metrics"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
}

/// SPEC §3.5: a `renewal` (无还本续贷) product is ineligible for any demand, with the reason
/// `product_type`, even when it is the cheapest and everything else fits.
async fn renewal_products_never_serve_a_demand(app: TestApp) {
    let (_, bank) = app.org_with_user("bank", None).await;
    let credit = create_product(&app, &bank, &product("信用贷", "4.20", json!({}))).await;
    let mut r = product("无还本续贷", "2.50", json!({}));
    r["product_type"] = json!("renewal");
    let renewal = create_product(&app, &bank, &r).await;
    let (_, ent) = app.enterprise("370202").await;
    let demand_id = app
        .post("/api/v1/demands", &ent, &demand())
        .await
        .assert_status(201)["id"]
        .as_i64()
        .unwrap();
    let ids = |b: &Value| -> Vec<i64> {
        b["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["product_id"].as_i64().unwrap())
            .collect()
    };
    let path = format!("/api/v1/demands/{demand_id}/recommendations");
    let b = app.get(&path, &ent).await.assert_status(200).clone();
    assert_eq!(ids(&b), vec![credit]);
    let b = app
        .get(&format!("{path}?include_ineligible=true"), &ent)
        .await
        .assert_status(200)
        .clone();
    assert_eq!(ids(&b), vec![credit, renewal]);
    let miss = &b["items"][1];
    assert_eq!(miss["eligible"], false);
    let failed: Vec<&str> = miss["reasons"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["passed"] == false)
        .map(|r| r["criterion"].as_str().unwrap())
        .collect();
    assert_eq!(failed, vec!["product_type"]);
    // Nor can the enterprise apply to it, nor does the bank see the demand as a candidate.
    app.post(
        "/api/v1/matches",
        &ent,
        &json!({"demand_id": demand_id, "product_id": renewal}),
    )
    .await
    .assert_problem(422, "not_eligible");
    let c = app
        .get(&format!("/api/v1/products/{renewal}/candidates"), &bank)
        .await;
    assert_eq!(c.assert_status(200)["items"], json!([]));
}

/// 工信部企业〔2026〕2号: a 小巨人 certificate meets a provincial 专精特新 requirement and the entry
/// tier's, over HTTP, and the reason names the certificate; a provincial 专精特新 does not meet
/// a 小巨人 requirement.
async fn a_higher_tier_meets_a_lower_requirement(app: TestApp) {
    let (_, bank) = app.org_with_user("bank", None).await;
    let req = |kind: &str, level: &str| json!({"qualifications_any": [{"kind": kind, "min_level": level}]});
    let specialized = create_product(
        &app,
        &bank,
        &product("专精特新贷", "3.80", req("specialized_sme", "provincial")),
    )
    .await;
    let entry = create_product(
        &app,
        &bank,
        &product("科创贷", "3.90", req("innovative_sme", "municipal")),
    )
    .await;
    let giant = create_product(
        &app,
        &bank,
        &product("小巨人贷", "3.70", req("little_giant", "national")),
    )
    .await;
    let (ent_id, ent) = app.enterprise("370202").await;
    app.post(
        &format!("/api/v1/enterprises/{ent_id}/qualifications"),
        &ent,
        &json!({"kind": "little_giant", "level": "national", "certified_on": "2025-07-01",
                "expires_on": "2028-06-30", "certificate_no": "工信部企业〔2025〕88号"}),
    )
    .await
    .assert_status(201);
    let demand_id = app
        .post("/api/v1/demands", &ent, &demand())
        .await
        .assert_status(201)["id"]
        .as_i64()
        .unwrap();
    let b = app
        .get(
            &format!("/api/v1/demands/{demand_id}/recommendations"),
            &ent,
        )
        .await
        .assert_status(200)
        .clone();
    let items = b["items"].as_array().unwrap();
    let mut ids: Vec<i64> = items
        .iter()
        .map(|p| p["product_id"].as_i64().unwrap())
        .collect();
    ids.sort();
    assert_eq!(ids, vec![specialized, entry, giant]);
    let reason = |id: i64| -> String {
        let item = items.iter().find(|p| p["product_id"] == json!(id)).unwrap();
        item["reasons"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["criterion"] == "qualifications")
            .unwrap()["detail"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    assert!(
        reason(specialized).contains("little_giant certificate"),
        "{}",
        reason(specialized)
    );
    assert!(
        reason(entry).contains("little_giant certificate"),
        "{}",
        reason(entry)
    );
    assert!(!reason(giant).contains("counts as"), "{}", reason(giant));
    // A provincial 专精特新 meets the entry tier, not 小巨人.
    let (other_id, other) = app.enterprise("370202").await;
    app.post(
        &format!("/api/v1/enterprises/{other_id}/qualifications"),
        &other,
        &json!({"kind": "specialized_sme", "level": "provincial", "certified_on": "2025-07-01",
                "expires_on": "2028-06-30", "certificate_no": "鲁工信〔2025〕118号"}),
    )
    .await
    .assert_status(201);
    let d2 = app
        .post("/api/v1/demands", &other, &demand())
        .await
        .assert_status(201)["id"]
        .as_i64()
        .unwrap();
    let b = app
        .get(&format!("/api/v1/demands/{d2}/recommendations"), &other)
        .await
        .assert_status(200)
        .clone();
    let mut ids: Vec<i64> = b["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["product_id"].as_i64().unwrap())
        .collect();
    ids.sort();
    assert_eq!(ids, vec![specialized, entry]);
}
