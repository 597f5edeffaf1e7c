//! World builders shared by the feature tests: a bank with a product, an enterprise with a
//! demand, a match, an approval, a disbursed loan, a subsidy policy.

use serde_json::{json, Value};

use super::TestApp;

/// A bank (with an active credit product) and an enterprise in 370202 (with an open demand).
#[derive(Debug)]
pub struct World {
    pub bank: String,
    pub bank_id: i64,
    pub ent: String,
    pub ent_id: i64,
    pub product: i64,
    pub demand: i64,
}

pub fn product(sla: i64) -> Value {
    json!({
        "name": "信用贷", "product_type": "credit",
        "min_amount": "1000000.00", "max_amount": "20000000.00",
        "min_term_months": 6, "max_term_months": 36,
        "min_rate": "3.10", "max_rate": "4.50",
        "guarantee_methods": ["credit", "guarantee"], "response_sla_days": sla
    })
}

pub fn demand() -> Value {
    json!({"amount": "10000000.00", "term_months": 12, "purpose": "working_capital", "guarantee_methods": ["credit"], "description": "流动资金"})
}

pub async fn world(app: &TestApp) -> World {
    let (bank_id, bank) = app.org_with_user("bank", None).await;
    let (ent_id, ent) = app.enterprise("370202").await;
    let product = app
        .post("/api/v1/products", &bank, &product(3))
        .await
        .assert_status(201)["id"]
        .as_i64()
        .unwrap();
    let demand = app
        .post("/api/v1/demands", &ent, &demand())
        .await
        .assert_status(201)["id"]
        .as_i64()
        .unwrap();
    World {
        bank,
        bank_id,
        ent,
        ent_id,
        product,
        demand,
    }
}

pub async fn apply(app: &TestApp, w: &World) -> i64 {
    let r = app
        .post(
            "/api/v1/matches",
            &w.ent,
            &json!({"demand_id": w.demand, "product_id": w.product}),
        )
        .await;
    r.assert_status(201)["id"].as_i64().unwrap()
}

pub fn approval(amount: &str) -> Value {
    json!({"approved_amount": amount, "annual_rate": "3.65", "term_months": 12})
}

fn today() -> chrono::NaiveDate {
    chrono::Utc::now().date_naive()
}

/// The date `i` months from today.
pub fn month(i: u32) -> String {
    today()
        .checked_add_months(chrono::Months::new(i))
        .unwrap()
        .to_string()
}

pub fn fixed_policy(budget: &str, rule_extra: Value) -> Value {
    let mut rule = json!({"base": "fixed_points", "points": "1.5", "day_count": "months_30_360"});
    for (k, v) in rule_extra.as_object().unwrap() {
        rule[k] = v.clone();
    }
    json!({"name": "贷款贴息", "kind": "interest_subsidy", "effective_from": "2020-01-01", "budget": budget, "rule": rule})
}

/// A world with a disbursed loan of 10,000,000 for 12 months; returns (world, loan id).
pub async fn loan(app: &TestApp) -> (World, i64) {
    loan_on(app, today()).await
}

/// Like `loan`, disbursed on `on`.
pub async fn loan_on(app: &TestApp, on: chrono::NaiveDate) -> (World, i64) {
    let w = world(app).await;
    let body = json!({"amount": "10000000.00", "annual_rate": "3.65", "term_months": 12, "disbursed_on": on.to_string(), "first_loan": true});
    let loan_id = disbursed(app, &w, &body).await;
    (w, loan_id)
}

/// Applies for the world's product, accepts and approves 10,000,000, and disburses `body`;
/// returns the loan id.
pub async fn disbursed(app: &TestApp, w: &World, body: &Value) -> i64 {
    let id = apply(app, w).await;
    app.post(&format!("/api/v1/matches/{id}/accept"), &w.bank, &json!({}))
        .await
        .assert_status(200);
    app.post(
        &format!("/api/v1/matches/{id}/approve"),
        &w.bank,
        &approval("10000000.00"),
    )
    .await
    .assert_status(200);
    let l = app
        .post(
            &format!("/api/v1/matches/{id}/disbursements"),
            &w.bank,
            body,
        )
        .await;
    l.assert_status(201)["id"].as_i64().unwrap()
}
