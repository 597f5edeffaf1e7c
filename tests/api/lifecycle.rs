//! The match lifecycle over HTTP: apply or claim, accept, approve, reject, withdraw, disburse —
//! scope, the transition table, atomicity under concurrency, deadlines and the audit trail.

use diesel::prelude::*;
use reqwest::Method;
use serde_json::{json, Value};

use crate::both_backends;
use crate::helpers::*;

both_backends!(
    from_posted_to_disbursed,
    bank_claims_and_enterprise_withdraws,
    refusals_and_conflicts,
    transitions_are_checked_for_party_and_state,
    concurrent_decisions_have_one_winner,
    concurrent_disbursements_never_exceed_the_approval,
    deadlines_follow_the_calendar_and_overdue_is_filterable,
    the_2026_calendar_is_shipped_and_an_office_replaces_it,
    loans_are_scoped,
);

fn disbursement(amount: &str) -> Value {
    json!({"amount": amount, "annual_rate": "3.65", "term_months": 12, "disbursed_on": chrono::Utc::now().date_naive().to_string(), "first_loan": true})
}

async fn from_posted_to_disbursed(app: TestApp) {
    let w = world(&app).await;
    let (guarantor_id, guarantor) = app.org_with_user("guarantor", None).await;
    let id = apply(&app, &w).await;
    let m = app.get(&format!("/api/v1/matches/{id}"), &w.ent).await;
    let b = m.assert_status(200);
    assert_eq!(b["state"], "applied");
    assert_eq!(b["initiated_by"], "enterprise");
    assert!(b["respond_by"].is_string() && b["decide_by"].is_null());
    assert_eq!(b["overdue"], false);
    assert_eq!(
        app.get(&format!("/api/v1/demands/{}", w.demand), &w.ent)
            .await
            .body["status"],
        "in_progress"
    );

    let r = app
        .post(
            &format!("/api/v1/matches/{id}/accept"),
            &w.bank,
            &json!({"note": "客户经理已联系"}),
        )
        .await;
    let b = r.assert_status(200);
    assert_eq!(b["state"], "accepted");
    assert!(b["decide_by"].is_string());
    let r = app
        .post(
            &format!("/api/v1/matches/{id}/approve"),
            &w.bank,
            &approval("8000000.00"),
        )
        .await;
    let b = r.assert_status(200);
    assert_eq!(b["state"], "approved");
    assert_eq!(b["approved_amount"], "8000000.00");
    assert_eq!(b["approved_rate"], "3.65");

    let mut d = disbursement("5000000.00");
    d["guarantee"] =
        json!({"guarantor_id": guarantor_id, "fee_rate": "1.00", "counter_guarantee": "credit"});
    let r = app
        .post(&format!("/api/v1/matches/{id}/disbursements"), &w.bank, &d)
        .await;
    let loan = r.assert_status(201).clone();
    assert_eq!(loan["amount"], "5000000.00");
    assert_eq!(loan["first_loan"], true);
    assert_eq!(loan["guarantee"]["guarantor_id"], guarantor_id);
    assert_eq!(loan["guarantee"]["fee_rate"], "1.00");
    // The first disbursement moves the match, the demand and the enterprise.
    let b = app
        .get(&format!("/api/v1/matches/{id}"), &w.ent)
        .await
        .body
        .clone();
    assert_eq!(b["state"], "disbursed");
    assert_eq!(b["disbursed_amount"], "5000000.00");
    assert_eq!(
        app.get(&format!("/api/v1/demands/{}", w.demand), &w.ent)
            .await
            .body["status"],
        "fulfilled"
    );
    assert_eq!(
        app.get(&format!("/api/v1/enterprises/{}", w.ent_id), &w.ent)
            .await
            .body["has_prior_loan"],
        true
    );
    // A second tranche fits; a third that would exceed the approval does not.
    app.post(
        &format!("/api/v1/matches/{id}/disbursements"),
        &w.bank,
        &disbursement("3000000.00"),
    )
    .await
    .assert_status(201);
    let r = app
        .post(
            &format!("/api/v1/matches/{id}/disbursements"),
            &w.bank,
            &disbursement("0.01"),
        )
        .await;
    r.assert_problem(422, "exceeds_approved_amount");
    // The audit trail: every step with actor, from, to and note, in order.
    let events = b["events"].as_array().unwrap();
    let steps: Vec<(Value, Value, Value)> = events
        .iter()
        .map(|e| (e["action"].clone(), e["from"].clone(), e["to"].clone()))
        .collect();
    assert_eq!(
        steps,
        vec![
            (json!("apply"), Value::Null, json!("applied")),
            (json!("accept"), json!("applied"), json!("accepted")),
            (json!("approve"), json!("accepted"), json!("approved")),
            (json!("disburse"), json!("approved"), json!("disbursed")),
        ]
    );
    assert_eq!(events[0]["actor_org_id"], w.ent_id);
    assert_eq!(events[1]["actor_org_id"], w.bank_id);
    assert_eq!(events[1]["note"], "客户经理已联系");
    assert!(events
        .iter()
        .all(|e| e["at"].is_string() && e["actor_user_id"].is_i64()));
    assert_eq!(b["loans"].as_array().unwrap().len(), 1);
    // The guarantor sees the loan it guarantees, and only that one.
    let r = app.get("/api/v1/loans", &guarantor).await;
    let ids: Vec<i64> = r.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["id"].as_i64().unwrap())
        .collect();
    assert_eq!(ids, vec![loan["id"].as_i64().unwrap()]);
    // Disbursing with a "guarantor" that is not one is refused.
    let mut bad = disbursement("1.00");
    bad["guarantee"] =
        json!({"guarantor_id": w.bank_id, "fee_rate": "1.00", "counter_guarantee": "credit"});
    app.post(
        &format!("/api/v1/matches/{id}/disbursements"),
        &w.bank,
        &bad,
    )
    .await
    .assert_problem(422, "validation_failed");
}

async fn bank_claims_and_enterprise_withdraws(app: TestApp) {
    let w = world(&app).await;
    // 抢单: the bank claims the demand for its product, straight to accepted.
    let r = app
        .post(
            "/api/v1/matches",
            &w.bank,
            &json!({"demand_id": w.demand, "product_id": w.product}),
        )
        .await;
    let b = r.assert_status(201);
    assert_eq!(b["state"], "accepted");
    assert_eq!(b["initiated_by"], "bank");
    assert!(b["decide_by"].is_string());
    let id = b["id"].as_i64().unwrap();
    // The optional body is validated when present, even on an action that would succeed…
    app.raw(
        Method::POST,
        &format!("/api/v1/matches/{id}/withdraw"),
        Some(&w.ent),
        "application/json",
        r#"{"reason": 5}"#,
    )
    .await
    .assert_problem(422, "invalid_body");
    // …and `null` (the document's "no body") is the same as none.
    let r = app
        .raw(
            Method::POST,
            &format!("/api/v1/matches/{id}/withdraw"),
            Some(&w.ent),
            "application/json",
            "null",
        )
        .await;
    assert_eq!(r.assert_status(200)["state"], "withdrawn");
    // The pair is free again and the demand reopened.
    assert_eq!(
        app.get(&format!("/api/v1/demands/{}", w.demand), &w.ent)
            .await
            .body["status"],
        "open"
    );
    let again = apply(&app, &w).await;
    assert_ne!(again, id);
    // Withdraw with no body at all.
    let r = app
        .request(
            Method::POST,
            &format!("/api/v1/matches/{again}/withdraw"),
            Some(&w.ent),
            None,
            &[],
        )
        .await;
    assert_eq!(r.assert_status(200)["state"], "withdrawn");
}

async fn refusals_and_conflicts(app: TestApp) {
    let w = world(&app).await;
    let id = apply(&app, &w).await;
    // One live match per demand–product pair.
    let r = app
        .post(
            "/api/v1/matches",
            &w.ent,
            &json!({"demand_id": w.demand, "product_id": w.product}),
        )
        .await;
    r.assert_problem(409, "match_exists");
    // 拒单有原因: both a code and a reason.
    for body in [
        json!({"reason": "x"}),
        json!({"reason_code": "x"}),
        json!({"reason_code": " ", "reason": "x"}),
        json!({"reason_code": "x", "reason": ""}),
    ] {
        let r = app
            .post(&format!("/api/v1/matches/{id}/reject"), &w.bank, &body)
            .await;
        assert_eq!(r.status.as_u16(), 422, "{body}");
    }
    let r = app
        .post(
            &format!("/api/v1/matches/{id}/reject"),
            &w.bank,
            &json!({"reason_code": "insufficient_cash_flow", "reason": "近两年经营性现金流为负"}),
        )
        .await;
    let b = r.assert_status(200);
    assert_eq!(b["state"], "rejected");
    assert_eq!(b["reject_reason_code"], "insufficient_cash_flow");
    assert_eq!(b["reject_reason"], "近两年经营性现金流为负");
    let ev = b["events"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(ev["note"], "insufficient_cash_flow: 近两年经营性现金流为负");
    // Not eligible: the failing criteria come back.
    let mut big = demand();
    big["amount"] = json!("50000000.00");
    let d = app.post("/api/v1/demands", &w.ent, &big).await.body["id"]
        .as_i64()
        .unwrap();
    let r = app
        .post(
            "/api/v1/matches",
            &w.ent,
            &json!({"demand_id": d, "product_id": w.product}),
        )
        .await;
    r.assert_problem(422, "not_eligible");
    assert_eq!(r.body["errors"][0]["field"], "amount_range");
    // Another enterprise's demand, another bank's product, unknown ids: 404; other roles: 403.
    let (_, other_ent) = app.enterprise("370202").await;
    app.post(
        "/api/v1/matches",
        &other_ent,
        &json!({"demand_id": w.demand, "product_id": w.product}),
    )
    .await
    .assert_problem(404, "not_found");
    let (_, rival) = app.org_with_user("bank", None).await;
    app.post(
        "/api/v1/matches",
        &rival,
        &json!({"demand_id": w.demand, "product_id": w.product}),
    )
    .await
    .assert_problem(404, "not_found");
    app.post(
        "/api/v1/matches",
        &w.ent,
        &json!({"demand_id": w.demand, "product_id": 999999}),
    )
    .await
    .assert_problem(404, "not_found");
    let (_, fo) = app.org_with_user("finance_office", Some("37")).await;
    app.post(
        "/api/v1/matches",
        &fo,
        &json!({"demand_id": w.demand, "product_id": w.product}),
    )
    .await
    .assert_problem(403, "forbidden");
    app.post(
        "/api/v1/matches",
        &w.ent,
        &json!({"demand_id": "one", "product_id": w.product}),
    )
    .await
    .assert_problem(422, "invalid_body");
    // A closed demand takes no new matches.
    app.post(
        &format!("/api/v1/demands/{}/close", w.demand),
        &w.ent,
        &json!({}),
    )
    .await
    .assert_status(200);
    app.post(
        "/api/v1/matches",
        &w.ent,
        &json!({"demand_id": w.demand, "product_id": w.product}),
    )
    .await
    .assert_problem(409, "invalid_transition");
}

async fn transitions_are_checked_for_party_and_state(app: TestApp) {
    let w = world(&app).await;
    let (_, rival) = app.org_with_user("bank", None).await;
    let (_, other_ent) = app.enterprise("370202").await;
    let (_, fo) = app.org_with_user("finance_office", Some("3702")).await;
    let id = apply(&app, &w).await;
    let act = |token: &str, action: &str, body: Value| {
        let (app, token, path) = (
            &app,
            token.to_owned(),
            format!("/api/v1/matches/{id}/{action}"),
        );
        async move { app.post(&path, &token, &body).await }
    };
    let reject = json!({"reason_code": "x", "reason": "y"});
    // Out of scope: 404. Visible but the wrong party: 403.
    act(&rival, "accept", json!({}))
        .await
        .assert_problem(404, "not_found");
    act(&other_ent, "withdraw", json!({}))
        .await
        .assert_problem(404, "not_found");
    act(&fo, "accept", json!({}))
        .await
        .assert_problem(403, "forbidden");
    act(&app.admin_token, "approve", approval("1000000.00"))
        .await
        .assert_problem(403, "forbidden");
    act(&w.ent, "accept", json!({}))
        .await
        .assert_problem(403, "forbidden");
    act(&w.bank, "withdraw", json!({}))
        .await
        .assert_problem(403, "forbidden");
    // applied: approve is out of order.
    act(&w.bank, "approve", approval("1000000.00"))
        .await
        .assert_problem(409, "invalid_transition");
    act(&w.bank, "accept", json!({})).await.assert_status(200);
    act(&w.bank, "accept", json!({}))
        .await
        .assert_problem(409, "invalid_transition");
    act(&w.bank, "approve", approval("0.00"))
        .await
        .assert_problem(422, "validation_failed");
    act(&w.bank, "approve", approval("1000000.00"))
        .await
        .assert_status(200);
    // approved: reject and approve are over; the enterprise can still withdraw.
    act(&w.bank, "reject", reject.clone())
        .await
        .assert_problem(409, "invalid_transition");
    act(&w.bank, "approve", approval("1000000.00"))
        .await
        .assert_problem(409, "invalid_transition");
    act(&w.ent, "withdraw", json!({})).await.assert_status(200);
    // withdrawn is final.
    for (token, action, body) in [
        (&w.bank, "accept", json!({})),
        (&w.bank, "reject", reject),
        (&w.ent, "withdraw", json!({})),
    ] {
        act(token, action, body)
            .await
            .assert_problem(409, "invalid_transition");
    }
    app.post(
        &format!("/api/v1/matches/{id}/disbursements"),
        &w.bank,
        &disbursement("1.00"),
    )
    .await
    .assert_problem(409, "invalid_transition");
    app.post("/api/v1/matches/999999/accept", &w.bank, &json!({}))
        .await
        .assert_problem(404, "not_found");
    // Nothing of that left a trace beyond the four real steps.
    let events = app.get(&format!("/api/v1/matches/{id}"), &w.ent).await.body["events"]
        .as_array()
        .unwrap()
        .len();
    assert_eq!(events, 4);
}

async fn concurrent_decisions_have_one_winner(app: TestApp) {
    let w = world(&app).await;
    let id = apply(&app, &w).await;
    app.post(&format!("/api/v1/matches/{id}/accept"), &w.bank, &json!({}))
        .await
        .assert_status(200);
    let mut tasks = Vec::new();
    for i in 0..20 {
        let (client, base, bank) = (app.client.clone(), app.base.clone(), w.bank.clone());
        tasks.push(tokio::spawn(async move {
            let (action, body) = if i % 2 == 0 {
                ("approve", approval("5000000.00"))
            } else {
                ("reject", json!({"reason_code": "race", "reason": "并发"}))
            };
            let r = client
                .post(format!("{base}/api/v1/matches/{id}/{action}"))
                .bearer_auth(bank)
                .json(&body)
                .send()
                .await
                .unwrap();
            r.status().as_u16()
        }));
    }
    let mut codes = Vec::new();
    for t in tasks {
        codes.push(t.await.unwrap());
    }
    assert_eq!(codes.iter().filter(|c| **c == 200).count(), 1, "{codes:?}");
    assert!(codes.iter().all(|c| *c == 200 || *c == 409), "{codes:?}");
    let b = app
        .get(&format!("/api/v1/matches/{id}"), &w.ent)
        .await
        .body
        .clone();
    assert_eq!(
        b["events"].as_array().unwrap().len(),
        3,
        "apply, accept and exactly one decision"
    );
}

async fn concurrent_disbursements_never_exceed_the_approval(app: TestApp) {
    let w = world(&app).await;
    let id = apply(&app, &w).await;
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
    // Eight tranches of 3,000,000: each fits alone, only three fit together.
    let mut tasks = Vec::new();
    for _ in 0..8 {
        let (client, base, bank) = (app.client.clone(), app.base.clone(), w.bank.clone());
        tasks.push(tokio::spawn(async move {
            let r = client
                .post(format!("{base}/api/v1/matches/{id}/disbursements"))
                .bearer_auth(bank)
                .json(&disbursement("3000000.00"))
                .send()
                .await
                .unwrap();
            r.status().as_u16()
        }));
    }
    let mut codes = Vec::new();
    for t in tasks {
        codes.push(t.await.unwrap());
    }
    assert_eq!(codes.iter().filter(|c| **c == 201).count(), 3, "{codes:?}");
    assert!(codes.iter().all(|c| *c == 201 || *c == 422), "{codes:?}");
    let b = app
        .get(&format!("/api/v1/matches/{id}"), &w.bank)
        .await
        .body
        .clone();
    assert_eq!(b["disbursed_amount"], "9000000.00");
    let r = app
        .get(&format!("/api/v1/loans?match_id={id}"), &w.bank)
        .await;
    let sum: i64 = r.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| {
            finmatch::domain::money::Money::parse(l["amount"].as_str().unwrap())
                .unwrap()
                .fen()
        })
        .sum();
    assert_eq!(sum, 900_000_000);
    // The reporting rollups written by the racing transactions agree (no lost update).
    let o = app
        .get("/api/v1/stats/overview", &app.admin_token)
        .await
        .body
        .clone();
    assert_eq!(o["loans"]["count"], 3, "{o}");
    assert_eq!(o["loans"]["amount"], "9000000.00");
    assert_eq!(o["matches"]["by_state"]["disbursed"], 1);
    assert_eq!(o["matches"]["total"], 1);
}

async fn deadlines_follow_the_calendar_and_overdue_is_filterable(app: TestApp) {
    use finmatch::db::schema::matches;
    let w = world(&app).await;
    let today = chrono::Utc::now().date_naive();
    // Declare the next 10 days holidays: the 3-working-day deadline moves past them.
    let year = chrono::Datelike::year(&today);
    let holidays: Vec<String> = (1..=10)
        .map(|i| today + chrono::Days::new(i))
        .filter(|d| chrono::Datelike::year(d) == year)
        .map(|d| d.to_string())
        .collect();
    let r = app
        .request(
            Method::PUT,
            &format!("/api/v1/calendar/{year}"),
            Some(&app.admin_token),
            Some(&json!({"holidays": holidays, "workdays": []})),
            &[],
        )
        .await;
    r.assert_status(200);
    let cal = app.get(&format!("/api/v1/calendar/{year}"), &w.ent).await;
    assert_eq!(
        cal.body["holidays"].as_array().unwrap().len(),
        holidays.len()
    );
    let id = apply(&app, &w).await;
    let respond_by: chrono::NaiveDate =
        app.get(&format!("/api/v1/matches/{id}"), &w.ent).await.body["respond_by"]
            .as_str()
            .unwrap()
            .parse()
            .unwrap();
    let cal = {
        let mut c = finmatch::domain::calendar::Calendar::default();
        for h in &holidays {
            c.holidays.insert(h.parse().unwrap());
        }
        c
    };
    assert_eq!(respond_by, cal.add_working_days(today, 3));
    if holidays.len() == 10 {
        assert!(respond_by > today + chrono::Days::new(10));
    }
    // Calendar input is checked.
    let r = app
        .request(
            Method::PUT,
            &format!("/api/v1/calendar/{year}"),
            Some(&w.ent),
            Some(&json!({"holidays": [], "workdays": []})),
            &[],
        )
        .await;
    r.assert_problem(403, "forbidden");
    let r = app
        .request(
            Method::PUT,
            &format!("/api/v1/calendar/{year}"),
            Some(&app.admin_token),
            Some(&json!({"holidays": ["1999-01-01"], "workdays": []})),
            &[],
        )
        .await;
    r.assert_problem(422, "validation_failed");
    app.get("/api/v1/calendar/1900", &w.ent)
        .await
        .assert_problem(400, "invalid_path_parameter");
    // Time passes: the deadline is yesterday.
    let other = {
        let d2 = app.post("/api/v1/demands", &w.ent, &demand()).await.body["id"]
            .as_i64()
            .unwrap();
        app.post(
            "/api/v1/matches",
            &w.ent,
            &json!({"demand_id": d2, "product_id": w.product}),
        )
        .await
        .body["id"]
            .as_i64()
            .unwrap()
    };
    {
        let mut c = app.pool.get().unwrap();
        diesel::update(matches::table.find(id))
            .set(matches::respond_by.eq(Some(today - chrono::Days::new(1))))
            .execute(&mut c)
            .unwrap();
    }
    let ids = |r: Resp| -> Vec<i64> {
        r.body["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["id"].as_i64().unwrap())
            .collect()
    };
    assert_eq!(
        ids(app.get("/api/v1/matches?overdue=true", &w.bank).await),
        vec![id]
    );
    assert_eq!(
        ids(app.get("/api/v1/matches?overdue=false", &w.bank).await),
        vec![other]
    );
    assert_eq!(
        app.get(&format!("/api/v1/matches/{id}"), &w.bank)
            .await
            .body["overdue"],
        true
    );
    // The scan announces it once, however often it runs.
    let webhook = app
        .post(
            "/api/v1/webhooks",
            &w.bank,
            &json!({"url": "http://127.0.0.1:9/hook", "events": ["match.overdue"]}),
        )
        .await;
    let hook = webhook.assert_status(201)["id"].as_i64().unwrap();
    assert_eq!(finmatch::jobs::overdue::scan(&app.pool).unwrap(), 1);
    assert_eq!(finmatch::jobs::overdue::scan(&app.pool).unwrap(), 0);
    let log = app
        .get(&format!("/api/v1/webhooks/{hook}/deliveries"), &w.bank)
        .await;
    let events: Vec<&str> = log.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["event"].as_str().unwrap())
        .collect();
    assert_eq!(events, vec!["match.overdue"]);
    // Accepting ends the overdue state.
    app.post(&format!("/api/v1/matches/{id}/accept"), &w.bank, &json!({}))
        .await
        .assert_status(200);
    assert!(ids(app.get("/api/v1/matches?overdue=true", &w.bank).await).is_empty());
}

async fn loans_are_scoped(app: TestApp) {
    let w = world(&app).await;
    let id = apply(&app, &w).await;
    app.post(&format!("/api/v1/matches/{id}/accept"), &w.bank, &json!({}))
        .await
        .assert_status(200);
    app.post(
        &format!("/api/v1/matches/{id}/approve"),
        &w.bank,
        &approval("5000000.00"),
    )
    .await
    .assert_status(200);
    let loan = app
        .post(
            &format!("/api/v1/matches/{id}/disbursements"),
            &w.bank,
            &disbursement("5000000.00"),
        )
        .await;
    let loan_id = loan.assert_status(201)["id"].as_i64().unwrap();
    let (_, rival) = app.org_with_user("bank", None).await;
    let (_, other_ent) = app.enterprise("370202").await;
    let (_, fo_in) = app.org_with_user("finance_office", Some("3702")).await;
    let (_, fo_out) = app.org_with_user("finance_office", Some("32")).await;
    let (_, guarantor) = app.org_with_user("guarantor", None).await;
    let path = format!("/api/v1/loans/{loan_id}");
    for t in [&w.bank, &w.ent, &fo_in, &app.admin_token] {
        app.get(&path, t).await.assert_status(200);
    }
    for t in [&rival, &other_ent, &fo_out, &guarantor] {
        app.get(&path, t).await.assert_problem(404, "not_found");
        assert!(app.get("/api/v1/loans", t).await.body["items"]
            .as_array()
            .unwrap()
            .is_empty());
    }
    let m = format!("/api/v1/matches/{id}");
    for t in [&rival, &other_ent, &fo_out, &guarantor] {
        app.get(&m, t).await.assert_problem(404, "not_found");
    }
    app.get(&m, &fo_in).await.assert_status(200);
    // Only the match's bank disburses.
    app.post(&format!("{m}/disbursements"), &rival, &disbursement("1.00"))
        .await
        .assert_problem(404, "not_found");
    app.post(&format!("{m}/disbursements"), &w.ent, &disbursement("1.00"))
        .await
        .assert_problem(403, "forbidden");
    let mut future = disbursement("1.00");
    future["disbursed_on"] = json!("2999-01-01");
    app.post(&format!("{m}/disbursements"), &w.bank, &future)
        .await
        .assert_problem(422, "validation_failed");
    app.get("/api/v1/loans?first_loan=maybe", &w.bank)
        .await
        .assert_problem(400, "invalid_query");
}

/// The 2026 法定节假日 and 调休 come with finmatch (国务院办公厅, 4 November 2025): deadlines
/// count them without an office loading anything, and an office's own calendar replaces them.
async fn the_2026_calendar_is_shipped_and_an_office_replaces_it(app: TestApp) {
    let w = world(&app).await;
    let cal = app.get("/api/v1/calendar/2026", &w.ent).await;
    let cal = cal.assert_status(200).clone();
    let days = |k: &str| -> Vec<String> {
        cal[k]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| d.as_str().unwrap().to_owned())
            .collect()
    };
    let holidays = days("holidays");
    assert_eq!(holidays.len(), 33, "{cal}");
    for d in [
        "2026-01-01",
        "2026-02-15",
        "2026-02-23",
        "2026-05-05",
        "2026-10-07",
    ] {
        assert!(holidays.contains(&d.to_owned()), "{d} is a holiday");
    }
    assert_eq!(
        days("workdays"),
        [
            "2026-01-04",
            "2026-02-14",
            "2026-02-28",
            "2026-05-09",
            "2026-09-20",
            "2026-10-10"
        ]
    );
    // Deadlines as the database's calendar counts them: asked on Friday 13 February, one
    // working day later is Saturday the 14th (调休), the next is Tuesday the 24th after 春节.
    let url = app._db.url.clone();
    let (one, two, national) = tokio::task::spawn_blocking(move || {
        let mut conn = finmatch::db::DbConnection::open(&url).expect("connect");
        let d = |s: &str| s.parse::<chrono::NaiveDate>().unwrap();
        let c = finmatch::db::calendar::load(&mut conn, d("2026-01-01"), d("2026-12-31"))
            .expect("calendar");
        (
            c.add_working_days(d("2026-02-13"), 1),
            c.add_working_days(d("2026-02-13"), 2),
            c.add_working_days(d("2026-09-30"), 3),
        )
    })
    .await
    .unwrap();
    assert_eq!(one.to_string(), "2026-02-14");
    assert_eq!(two.to_string(), "2026-02-24");
    // After 国庆: Thursday 8, Friday 9, Saturday 10 (worked).
    assert_eq!(national.to_string(), "2026-10-10");
    // An office's calendar for the year replaces the shipped one.
    let (_, fo) = app.org_with_user("finance_office", Some("37")).await;
    app.request(
        Method::PUT,
        "/api/v1/calendar/2026",
        Some(&fo),
        Some(&json!({"holidays": ["2026-12-31"], "workdays": []})),
        &[],
    )
    .await
    .assert_status(200);
    let cal = app.get("/api/v1/calendar/2026", &w.ent).await;
    assert_eq!(cal.assert_status(200)["holidays"], json!(["2026-12-31"]));
    assert_eq!(cal.body["workdays"], json!([]));
}
