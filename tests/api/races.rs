//! Every "at most one" rule holds under concurrency because the database keeps it (a unique
//! constraint or a lock every writer takes), not a check followed by an insert: 20 identical
//! requests at once, ten times over, and exactly one of each burst creates something.

use futures_util::future::join_all;
use reqwest::Method;
use serde_json::{json, Value};

use crate::both_backends;
use crate::helpers::*;

both_backends!(
    one_claim_per_loan_policy_and_period,
    one_live_match_per_demand_and_product,
    one_response_per_idempotency_key,
    one_qualification_of_a_kind_and_certificate,
    one_organization_per_credit_code_and_user_per_name,
    an_enterprise_edits_its_profile_and_its_demands_at_once,
);

const BURST: usize = 20;
const ROUNDS: usize = 10;

/// Sends `BURST` copies of one request at once; returns the statuses.
async fn burst(
    app: &TestApp,
    path: &str,
    token: Option<&str>,
    body: &Value,
    headers: &[(&str, &str)],
) -> Vec<u16> {
    let requests = (0..BURST).map(|_| app.request(Method::POST, path, token, Some(body), headers));
    join_all(requests)
        .await
        .into_iter()
        .map(|r| r.status.as_u16())
        .collect()
}

#[track_caller]
fn exactly_one_created(statuses: &[u16], refused: u16) {
    assert_eq!(
        statuses.iter().filter(|s| **s == 201).count(),
        1,
        "{statuses:?}"
    );
    assert!(
        statuses.iter().all(|s| *s == 201 || *s == refused),
        "{statuses:?}"
    );
}

async fn one_claim_per_loan_policy_and_period(app: TestApp) {
    let (w, loan_id) = loan(&app).await;
    let (_, fo) = app.org_with_user("finance_office", Some("37")).await;
    let pid = app
        .post(
            "/api/v1/policies",
            &fo,
            &fixed_policy("100000000.00", json!({})),
        )
        .await
        .assert_status(201)["id"]
        .as_i64()
        .unwrap();
    for i in 0..ROUNDS as u32 {
        let body = json!({"policy_id": pid, "loan_id": loan_id, "period_start": month(i), "period_end": month(i + 1)});
        exactly_one_created(
            &burst(&app, "/api/v1/subsidy-claims", Some(&w.ent), &body, &[]).await,
            409,
        );
    }
    let claims = app
        .get("/api/v1/subsidy-claims?limit=200", &fo)
        .await
        .assert_status(200)["items"]
        .as_array()
        .unwrap()
        .len();
    assert_eq!(claims, ROUNDS);
}

async fn one_live_match_per_demand_and_product(app: TestApp) {
    let w = world(&app).await;
    for _ in 0..ROUNDS {
        let product = app
            .post("/api/v1/products", &w.bank, &product(3))
            .await
            .assert_status(201)["id"]
            .as_i64()
            .unwrap();
        let body = json!({"demand_id": w.demand, "product_id": product});
        exactly_one_created(
            &burst(&app, "/api/v1/matches", Some(&w.ent), &body, &[]).await,
            409,
        );
    }
    let matches = app
        .get(
            &format!("/api/v1/matches?demand_id={}&limit=200", w.demand),
            &w.ent,
        )
        .await
        .assert_status(200)["items"]
        .as_array()
        .unwrap()
        .len();
    assert_eq!(matches, ROUNDS);
}

async fn one_response_per_idempotency_key(app: TestApp) {
    let admin = app.admin_token.clone();
    for i in 0..ROUNDS {
        let key = format!("race-{i}");
        let body = json!({"kind": "bank", "name": format!("并发银行 {i}")});
        let statuses = burst(
            &app,
            "/api/v1/organizations",
            Some(&admin),
            &body,
            &[("Idempotency-Key", &key)],
        )
        .await;
        // The key is stored with the create, atomically: the others roll back and replay the
        // first answer (201 with Idempotency-Replayed), none is left "in progress".
        assert!(statuses.iter().all(|s| *s == 201), "{statuses:?}");
    }
    let banks = app
        .get("/api/v1/organizations?kind=bank&limit=200", &admin)
        .await
        .assert_status(200)["items"]
        .as_array()
        .unwrap()
        .len();
    assert_eq!(banks, ROUNDS, "one bank per key");
}

async fn one_qualification_of_a_kind_and_certificate(app: TestApp) {
    let (id, ent) = app.enterprise("370202").await;
    let path = format!("/api/v1/enterprises/{id}/qualifications");
    for i in 0..ROUNDS {
        let body = json!({"kind": "specialized_sme", "level": "provincial", "certified_on": "2025-01-01",
                          "expires_on": "2027-12-31", "certificate_no": format!("鲁专精〔2025〕{i}号")});
        exactly_one_created(&burst(&app, &path, Some(&ent), &body, &[]).await, 409);
    }
    let held = app.get(&path, &ent).await.assert_status(200)["items"]
        .as_array()
        .unwrap()
        .len();
    assert_eq!(held, ROUNDS);
}

async fn one_organization_per_credit_code_and_user_per_name(app: TestApp) {
    let app = &app;
    for _ in 0..ROUNDS / 2 {
        // The same credit code under different usernames …
        let code = credit_code();
        let requests = (0..BURST).map(|_| {
            let body = registration(&unique_username("race"), &code, "370202");
            async move {
                app.request(
                    Method::POST,
                    "/api/v1/auth/register",
                    None,
                    Some(&body),
                    &[],
                )
                .await
                .status
                .as_u16()
            }
        });
        exactly_one_created(&join_all(requests).await, 409);
        // … and the same username with different credit codes.
        let username = unique_username("race");
        let requests = (0..BURST).map(|_| {
            let body = registration(&username, &credit_code(), "370202");
            async move {
                app.request(
                    Method::POST,
                    "/api/v1/auth/register",
                    None,
                    Some(&body),
                    &[],
                )
                .await
                .status
                .as_u16()
            }
        });
        exactly_one_created(&join_all(requests).await, 409);
    }
    let enterprises = app
        .get("/api/v1/enterprises?limit=200", &app.admin_token)
        .await
        .assert_status(200)["items"]
        .as_array()
        .unwrap()
        .len();
    assert_eq!(enterprises, ROUNDS);
}

/// Instances starting at once on a fresh database each try to create the platform operator
/// and `admin`: every start succeeds, and there is exactly one of each.
fn one_bootstrap_admin(backend: finmatch::db::Backend) {
    use diesel::prelude::*;
    use finmatch::db::schema::{organizations, users};
    let Some(db) = TestDb::create(backend) else {
        return;
    };
    let settings = settings_for(&db);
    let pool = finmatch::startup::prepare_database(&settings).expect("migrated");
    const INSTANCES: usize = 6;
    let gate = std::sync::Arc::new(std::sync::Barrier::new(INSTANCES));
    let starts: Vec<_> = (0..INSTANCES)
        .map(|_| {
            let (pool, settings, gate) = (pool.clone(), settings.clone(), gate.clone());
            std::thread::spawn(move || {
                gate.wait();
                finmatch::startup::ensure_admin(&pool, &settings)
            })
        })
        .collect();
    for s in starts {
        s.join().unwrap().expect("every instance starts");
    }
    let mut conn = pool.get().unwrap();
    let admins: i64 = users::table
        .filter(users::username.eq("admin"))
        .count()
        .get_result(&mut conn)
        .unwrap();
    let platforms: i64 = organizations::table
        .filter(organizations::kind.eq("platform"))
        .count()
        .get_result(&mut conn)
        .unwrap();
    assert_eq!((admins, platforms), (1, 1));
}

#[test]
fn one_bootstrap_admin_on_sqlite() {
    one_bootstrap_admin(finmatch::db::Backend::Sqlite);
}

#[test]
#[cfg_attr(no_test_database, ignore = "TEST_DATABASE_URL is not set")]
fn one_bootstrap_admin_on_postgres() {
    one_bootstrap_admin(finmatch::db::Backend::Postgres);
}

/// An enterprise's profile update writes its organization row; a demand edit share-locks that
/// row and takes the catalog counter. Both take the row first (the profile update exclusively),
/// so running them side by side never deadlocks: every answer is 200 (schemathesis once found
/// a 500 "deadlock detected" here on PostgreSQL).
async fn an_enterprise_edits_its_profile_and_its_demands_at_once(app: TestApp) {
    let (id, token) = app.enterprise("370202").await;
    let demand = json!({
        "amount": "3000000.00", "term_months": 12, "purpose": "equipment",
        "guarantee_methods": ["credit"], "description": "并发"
    });
    let mut demands = Vec::new();
    for _ in 0..4 {
        let d = app
            .post("/api/v1/demands", &token, &demand)
            .await
            .assert_status(201)["id"]
            .as_i64()
            .unwrap();
        demands.push(d);
    }
    let profile = json!({
        "name": "青岛并发测试有限公司", "region_code": "370202", "industry": "industry",
        "employees": 120, "annual_revenue": "20000000.00", "total_assets": "15000000.00",
        "established_on": "2016-05-18"
    });
    let profile_path = format!("/api/v1/enterprises/{id}");
    for round in 0..ROUNDS {
        let edits: Vec<(String, Value)> = demands
            .iter()
            .enumerate()
            .map(|(i, d)| {
                let amount = format!("{}.00", 3_000_000 + round * 10 + i);
                (format!("/api/v1/demands/{d}"), json!({ "amount": amount }))
            })
            .collect();
        let mut calls = Vec::new();
        for (path, body) in &edits {
            calls.push(app.request(Method::PATCH, path, Some(&token), Some(body), &[]));
            calls.push(app.request(
                Method::PUT,
                &profile_path,
                Some(&token),
                Some(&profile),
                &[],
            ));
        }
        let statuses: Vec<u16> = join_all(calls)
            .await
            .iter()
            .map(|r| r.status.as_u16())
            .collect();
        assert!(
            statuses.iter().all(|s| *s == 200),
            "round {round}: {statuses:?}"
        );
    }
}
