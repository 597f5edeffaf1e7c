//! Loan servicing over HTTP (SPEC §3.12): maturity, outstanding and status; every transition
//! of the table through `POST /loans/{id}/events`; every refusal changing nothing; the batch
//! upload all or nothing; filters; the loan webhooks and the once-only maturity notice.

use chrono::{Days, Months, NaiveDate};
use reqwest::Method;
use serde_json::{json, Value};

use crate::both_backends;
use crate::helpers::*;

both_backends!(
    a_loan_from_disbursement_to_write_off,
    refusals_change_nothing,
    other_parties_cannot_report,
    batches_are_all_or_nothing,
    loans_filter_by_status_and_maturity,
    maturing_is_announced_once,
    interest_follows_the_balance,
    reports_follow_servicing,
);

fn today() -> NaiveDate {
    chrono::Utc::now().date_naive()
}

/// Disbursed a year minus `days_left` days ago for 12 months: matures in `days_left` days.
fn maturing_in(days_left: u64) -> NaiveDate {
    today()
        .checked_add_days(Days::new(days_left))
        .unwrap()
        .checked_sub_months(Months::new(12))
        .unwrap()
}

fn ev(kind: &str, on: NaiveDate, principal: Option<&str>) -> Value {
    let mut e = json!({"kind": kind, "on": on.to_string()});
    if let Some(p) = principal {
        e["principal"] = json!(p);
    }
    e
}

async fn post_event(app: &TestApp, token: &str, loan: i64, body: &Value) -> Resp {
    app.post(&format!("/api/v1/loans/{loan}/events"), token, body)
        .await
}

async fn subscribe(app: &TestApp, token: &str, events: &[&str]) -> i64 {
    app.post(
        "/api/v1/webhooks",
        token,
        &json!({"url": "http://127.0.0.1:9/hook", "events": events}),
    )
    .await
    .assert_status(201)["id"]
        .as_i64()
        .unwrap()
}

async fn delivered_events(app: &TestApp, token: &str, hook: i64) -> Vec<String> {
    let log = app
        .get(&format!("/api/v1/webhooks/{hook}/deliveries"), token)
        .await;
    log.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["event"].as_str().unwrap().to_owned())
        .collect()
}

async fn a_loan_from_disbursement_to_write_off(app: TestApp) {
    let d0 = today().checked_sub_days(Days::new(200)).unwrap();
    let (w, loan) = loan_on(&app, d0).await;
    let hook = subscribe(
        &app,
        &w.bank,
        &["loan.overdue", "loan.npl", "loan.repaid", "loan.maturing"],
    )
    .await;
    let ent_hook = subscribe(&app, &w.ent, &["loan.npl"]).await;
    let l = app.get(&format!("/api/v1/loans/{loan}"), &w.ent).await;
    let l = l.assert_status(200);
    assert_eq!(l["status"], "current");
    assert_eq!(l["outstanding"], "10000000.00");
    assert_eq!(l["written_off_amount"], "0.00");
    assert_eq!(
        l["maturity_on"],
        d0.checked_add_months(Months::new(12)).unwrap().to_string()
    );
    assert_eq!(l["events"], json!([]));

    let day = |n: u64| d0.checked_add_days(Days::new(n)).unwrap();
    let steps = [
        (
            ev("repayment", day(30), Some("4000000.00")),
            "current",
            "6000000.00",
        ),
        (ev("overdue", day(60), None), "overdue", "6000000.00"),
        (ev("cured", day(70), None), "current", "6000000.00"),
        (ev("overdue", day(80), None), "overdue", "6000000.00"),
        (
            ev("repayment", day(85), Some("500000.00")),
            "overdue",
            "5500000.00",
        ),
        (ev("npl", day(90), None), "npl", "5500000.00"),
        (
            ev("recovery", day(120), Some("500000.00")),
            "npl",
            "5000000.00",
        ),
        (ev("written_off", day(150), None), "written_off", "0.00"),
    ];
    for (i, (body, status, outstanding)) in steps.iter().enumerate() {
        let r = post_event(&app, &w.bank, loan, body).await;
        let b = r.assert_status(201);
        assert_eq!(b["status"], *status, "step {i}");
        assert_eq!(b["outstanding"], *outstanding, "step {i}");
        let events = b["events"].as_array().unwrap();
        assert_eq!(events.len(), i + 1);
        let last = &events[i];
        assert_eq!(last["kind"], body["kind"]);
        assert_eq!(last["on"], body["on"]);
        assert_eq!(last["status"], *status);
        assert_eq!(last["outstanding"], *outstanding);
        assert_eq!(last["actor_org_id"].as_i64(), Some(w.bank_id));
        assert!(last["at"].is_string() && last["actor_user_id"].is_i64());
    }
    let l = app.get(&format!("/api/v1/loans/{loan}"), &w.ent).await;
    let l = l.assert_status(200);
    assert_eq!(l["status"], "written_off");
    assert_eq!(l["written_off_amount"], "5000000.00");
    assert_eq!(l["events"].as_array().unwrap().len(), steps.len());
    assert_eq!(l["events"][0]["principal"], "4000000.00");
    // A written-off loan takes nothing more.
    post_event(&app, &w.bank, loan, &ev("repayment", today(), Some("1.00")))
        .await
        .assert_problem(409, "invalid_transition");
    // Each status change into overdue, npl is announced once per change; none is repaid.
    assert_eq!(
        delivered_events(&app, &w.bank, hook)
            .await
            .iter()
            .filter(|e| *e == "loan.overdue")
            .count(),
        2
    );
    assert_eq!(
        delivered_events(&app, &w.bank, hook)
            .await
            .iter()
            .filter(|e| *e == "loan.npl")
            .count(),
        1
    );
    assert_eq!(
        delivered_events(&app, &w.ent, ent_hook).await,
        vec!["loan.npl"]
    );

    // A second loan repaid in two steps: loan.repaid when it reaches 0, from overdue too.
    let (w2, loan2) = loan_on(&app, d0).await;
    let hook2 = subscribe(&app, &w2.bank, &["loan.repaid"]).await;
    post_event(&app, &w2.bank, loan2, &ev("overdue", day(10), None))
        .await
        .assert_status(201);
    post_event(
        &app,
        &w2.bank,
        loan2,
        &ev("repayment", day(20), Some("9999999.99")),
    )
    .await
    .assert_status(201);
    let r = post_event(
        &app,
        &w2.bank,
        loan2,
        &ev("repayment", day(20), Some("0.01")),
    )
    .await;
    let b = r.assert_status(201);
    assert_eq!(
        (b["status"].as_str(), b["outstanding"].as_str()),
        (Some("repaid"), Some("0.00"))
    );
    assert_eq!(
        delivered_events(&app, &w2.bank, hook2).await,
        vec!["loan.repaid"]
    );
}

async fn refusals_change_nothing(app: TestApp) {
    let d0 = today().checked_sub_days(Days::new(100)).unwrap();
    let (w, loan) = loan_on(&app, d0).await;
    post_event(
        &app,
        &w.bank,
        loan,
        &ev(
            "repayment",
            d0.checked_add_days(Days::new(50)).unwrap(),
            Some("1000000.00"),
        ),
    )
    .await
    .assert_status(201);
    let before = app
        .get(&format!("/api/v1/loans/{loan}"), &w.bank)
        .await
        .body;
    let tomorrow = today().checked_add_days(Days::new(1)).unwrap();
    let cases: Vec<(Value, u16, &str, Option<&str>)> = vec![
        // More than is outstanding (9,000,000 left).
        (
            ev("repayment", today(), Some("9000000.01")),
            422,
            "validation_failed",
            Some("principal"),
        ),
        (
            ev("repayment", today(), None),
            422,
            "validation_failed",
            Some("principal"),
        ),
        (
            ev("repayment", today(), Some("0.00")),
            422,
            "validation_failed",
            Some("principal"),
        ),
        (
            ev("overdue", today(), Some("1.00")),
            422,
            "validation_failed",
            Some("principal"),
        ),
        (
            json!({"kind": "overdue", "on": today().to_string(), "interest": "5.00"}),
            422,
            "validation_failed",
            Some("interest"),
        ),
        (
            ev("renewed", today(), None),
            422,
            "validation_failed",
            Some("kind"),
        ),
        (
            ev("overdue", tomorrow, None),
            422,
            "validation_failed",
            Some("on"),
        ),
        // Before the disbursement, and before the last event.
        (
            ev("overdue", d0.checked_sub_days(Days::new(1)).unwrap(), None),
            422,
            "validation_failed",
            Some("on"),
        ),
        (
            ev("overdue", d0.checked_add_days(Days::new(49)).unwrap(), None),
            422,
            "validation_failed",
            Some("on"),
        ),
        (
            json!({"kind": "overdue", "on": "2026-02-30"}),
            422,
            "",
            None,
        ),
        (
            json!({"kind": "defaulted", "on": today().to_string()}),
            422,
            "",
            None,
        ),
        (
            json!({"kind": "overdue", "on": today().to_string(), "extra": 1}),
            422,
            "",
            None,
        ),
        (
            json!({"kind": "overdue", "on": today().to_string(), "note": "x".repeat(2001)}),
            422,
            "validation_failed",
            Some("note"),
        ),
        // Not allowed from `current`.
        (ev("cured", today(), None), 409, "invalid_transition", None),
        (
            ev("written_off", today(), None),
            409,
            "invalid_transition",
            None,
        ),
        (
            ev("recovery", today(), Some("1.00")),
            409,
            "invalid_transition",
            None,
        ),
    ];
    for (body, status, code, field) in cases {
        let r = post_event(&app, &w.bank, loan, &body).await;
        assert_eq!(r.status.as_u16(), status, "{body}: {}", r.body);
        if !code.is_empty() {
            r.assert_problem(status, code);
        }
        if let Some(f) = field {
            let fields: Vec<&str> = r.body["errors"]
                .as_array()
                .unwrap()
                .iter()
                .map(|e| e["field"].as_str().unwrap())
                .collect();
            assert_eq!(fields, vec![f], "{body}: {}", r.body);
        }
    }
    let after = app
        .get(&format!("/api/v1/loans/{loan}"), &w.bank)
        .await
        .body;
    assert_eq!(before, after);
    // A missing loan is 404.
    post_event(&app, &w.bank, loan + 1000, &ev("overdue", today(), None))
        .await
        .assert_problem(404, "not_found");
}

async fn other_parties_cannot_report(app: TestApp) {
    let (w, loan) = loan(&app).await;
    let (_, other_bank) = app.org_with_user("bank", None).await;
    let (_, fo) = app.org_with_user("finance_office", Some("37")).await;
    let body = ev("overdue", today(), None);
    // Another bank does not see the loan at all.
    post_event(&app, &other_bank, loan, &body)
        .await
        .assert_problem(404, "not_found");
    app.get(&format!("/api/v1/loans/{loan}"), &other_bank)
        .await
        .assert_problem(404, "not_found");
    // The enterprise and the finance office see it but do not report on it.
    post_event(&app, &w.ent, loan, &body)
        .await
        .assert_problem(403, "forbidden");
    post_event(&app, &fo, loan, &body)
        .await
        .assert_problem(403, "forbidden");
    let batch =
        json!({"events": [{"loan_id": loan, "kind": "overdue", "on": today().to_string()}]});
    app.post("/api/v1/loan-events/batch", &w.ent, &batch)
        .await
        .assert_problem(403, "forbidden");
    // Another bank's batch names the loan as unknown, like one that does not exist.
    let r = app
        .post("/api/v1/loan-events/batch", &other_bank, &batch)
        .await;
    r.assert_problem(422, "validation_failed");
    assert_eq!(r.body["errors"][0]["field"], "events[0].loan_id");
    let l = app.get(&format!("/api/v1/loans/{loan}"), &w.bank).await;
    assert_eq!(l.body["status"], "current");
    assert_eq!(l.body["events"], json!([]));
}

async fn batches_are_all_or_nothing(app: TestApp) {
    let d0 = today().checked_sub_days(Days::new(60)).unwrap();
    let (w, a) = loan_on(&app, d0).await;
    // A second loan of the same bank: a new demand, match and disbursement.
    let demand = app
        .post("/api/v1/demands", &w.ent, &demand())
        .await
        .assert_status(201)["id"]
        .as_i64()
        .unwrap();
    let m = app
        .post(
            "/api/v1/matches",
            &w.ent,
            &json!({"demand_id": demand, "product_id": w.product}),
        )
        .await
        .assert_status(201)["id"]
        .as_i64()
        .unwrap();
    app.post(&format!("/api/v1/matches/{m}/accept"), &w.bank, &json!({}))
        .await
        .assert_status(200);
    app.post(
        &format!("/api/v1/matches/{m}/approve"),
        &w.bank,
        &approval("2000000.00"),
    )
    .await
    .assert_status(200);
    let b = app
        .post(
            &format!("/api/v1/matches/{m}/disbursements"),
            &w.bank,
            &json!({"amount": "2000000.00", "annual_rate": "3.65", "term_months": 12, "disbursed_on": d0.to_string(), "first_loan": false}),
        )
        .await
        .assert_status(201)["id"]
        .as_i64()
        .unwrap();
    let (_, other) = loan(&app).await;
    let day = |n: u64| d0.checked_add_days(Days::new(n)).unwrap().to_string();
    let item = |loan: i64, kind: &str, on: String, p: Option<&str>| {
        let mut e = json!({"loan_id": loan, "kind": kind, "on": on});
        if let Some(p) = p {
            e["principal"] = json!(p);
        }
        e
    };
    // Items 2 and 3 are refused (above what item 0 left; another bank's loan), item 4 because
    // item 1 made the loan overdue already: nothing of the batch is recorded.
    let bad = json!({"events": [
        item(a, "repayment", day(10), Some("9000000.00")),
        item(a, "overdue", day(20), None),
        item(a, "repayment", day(30), Some("1000000.01")),
        item(other, "overdue", day(30), None),
        item(a, "overdue", day(40), None),
        item(b, "npl", day(40), None),
    ]});
    let r = app.post("/api/v1/loan-events/batch", &w.bank, &bad).await;
    r.assert_problem(422, "validation_failed");
    let fields: Vec<&str> = r.body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert_eq!(
        fields,
        vec!["events[2].principal", "events[3].loan_id", "events[4].kind"]
    );
    for id in [a, b] {
        let l = app.get(&format!("/api/v1/loans/{id}"), &w.bank).await;
        assert_eq!(l.body["events"], json!([]), "loan {id}");
        assert_eq!(l.body["status"], "current");
    }
    // Field errors are found before anything is looked up, each named by index.
    let r = app
        .post(
            "/api/v1/loan-events/batch",
            &w.bank,
            &json!({"events": [item(a, "overdue", day(1), Some("1.00")), item(b, "repayment", day(1), None)]}),
        )
        .await;
    r.assert_problem(422, "validation_failed");
    assert_eq!(r.body["errors"][0]["field"], "events[0].principal");
    assert_eq!(r.body["errors"][1]["field"], "events[1].principal");
    for n in [0, 1001] {
        let events: Vec<Value> = (0..n).map(|_| item(a, "overdue", day(1), None)).collect();
        let r = app
            .post(
                "/api/v1/loan-events/batch",
                &w.bank,
                &json!({"events": events}),
            )
            .await;
        r.assert_problem(422, "validation_failed");
        assert_eq!(r.body["errors"][0]["field"], "events");
    }

    // A good batch, retried with its Idempotency-Key: recorded once, the same answer twice.
    let good = json!({"events": [
        item(a, "repayment", day(10), Some("9000000.00")),
        item(b, "overdue", day(15), None),
        item(a, "overdue", day(20), None),
        item(b, "cured", day(25), None),
    ]});
    let key = [("idempotency-key", "nightly-2026-12-06")];
    let first = app
        .request(
            Method::POST,
            "/api/v1/loan-events/batch",
            Some(&w.bank),
            Some(&good),
            &key,
        )
        .await;
    let body = first.assert_status(201).clone();
    assert_eq!(body["recorded"], 4);
    assert_eq!(body["events"][2]["index"], 2);
    assert_eq!(body["events"][2]["status"], "overdue");
    assert_eq!(body["events"][2]["outstanding"], "1000000.00");
    let again = app
        .request(
            Method::POST,
            "/api/v1/loan-events/batch",
            Some(&w.bank),
            Some(&good),
            &key,
        )
        .await;
    assert_eq!(again.assert_status(201), &body);
    let l = app.get(&format!("/api/v1/loans/{a}"), &w.bank).await;
    assert_eq!(l.body["events"].as_array().unwrap().len(), 2);
    assert_eq!(l.body["outstanding"], "1000000.00");

    // 1,000 events in one upload: a thousand repayments of 1.00.
    let events: Vec<Value> = (0..1000)
        .map(|_| item(b, "repayment", day(30), Some("1.00")))
        .collect();
    let r = app
        .post(
            "/api/v1/loan-events/batch",
            &w.bank,
            &json!({"events": events}),
        )
        .await;
    assert_eq!(r.assert_status(201)["recorded"], 1000);
    let l = app.get(&format!("/api/v1/loans/{b}"), &w.bank).await;
    assert_eq!(l.body["outstanding"], "1999000.00");
}

async fn loans_filter_by_status_and_maturity(app: TestApp) {
    let (w, soon) = loan_on(&app, maturing_in(10)).await;
    let (w2, later) = loan_on(&app, maturing_in(100)).await;
    post_event(&app, &w2.bank, later, &ev("overdue", today(), None))
        .await
        .assert_status(201);
    let (_, fo) = app.org_with_user("finance_office", Some("37")).await;
    let ids = |r: Resp| -> Vec<i64> {
        r.assert_status(200)["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|l| l["id"].as_i64().unwrap())
            .collect()
    };
    let by = today().checked_add_days(Days::new(30)).unwrap();
    assert_eq!(
        ids(app
            .get(&format!("/api/v1/loans?maturing_before={by}"), &fo)
            .await),
        vec![soon]
    );
    assert_eq!(
        ids(app.get("/api/v1/loans?status=overdue", &fo).await),
        vec![later]
    );
    assert_eq!(
        ids(app.get("/api/v1/loans?status=current", &fo).await),
        vec![soon]
    );
    // Scoped as ever: the first bank sees only its own.
    assert_eq!(
        ids(app.get("/api/v1/loans?status=overdue", &w.bank).await),
        Vec::<i64>::new()
    );
    app.get("/api/v1/loans?status=late", &fo)
        .await
        .assert_problem(400, "invalid_query");
    app.get("/api/v1/loans?maturing_before=2026-13-01", &fo)
        .await
        .assert_problem(400, "invalid_query");
}

async fn maturing_is_announced_once(app: TestApp) {
    let (w, soon) = loan_on(&app, maturing_in(20)).await;
    let (w2, _later) = loan_on(&app, maturing_in(45)).await;
    let hook = subscribe(&app, &w.bank, &["loan.maturing"]).await;
    let ent_hook = subscribe(&app, &w.ent, &["loan.maturing"]).await;
    let hook2 = subscribe(&app, &w2.bank, &["loan.maturing"]).await;
    // Several instances scan at once: exactly one notice.
    let scans: Vec<_> = (0..4)
        .map(|_| {
            let pool = app.pool.clone();
            std::thread::spawn(move || finmatch::jobs::overdue::scan(&pool).unwrap())
        })
        .collect();
    let sent: usize = scans.into_iter().map(|t| t.join().unwrap()).sum();
    assert_eq!(sent, 1);
    assert_eq!(finmatch::jobs::overdue::scan(&app.pool).unwrap(), 0);
    assert_eq!(
        delivered_events(&app, &w.bank, hook).await,
        vec!["loan.maturing"]
    );
    assert_eq!(
        delivered_events(&app, &w.ent, ent_hook).await,
        vec!["loan.maturing"]
    );
    assert!(delivered_events(&app, &w2.bank, hook2).await.is_empty());
    // A closed loan is not announced.
    let (w3, closed) = loan_on(&app, maturing_in(5)).await;
    post_event(
        &app,
        &w3.bank,
        closed,
        &ev("repayment", today(), Some("10000000.00")),
    )
    .await
    .assert_status(201);
    assert_eq!(finmatch::jobs::overdue::scan(&app.pool).unwrap(), 0);
    let _ = soon;
}

/// docs/subsidies.md B1 on a stored loan: 10,000,000 disbursed 2026-01-01, 1.5 points act_360,
/// 4,000,000 repaid on 2026-03-01; period 2026-01-01 → 2026-07-01 (181 days):
/// 10,000,000 × 59 + 6,000,000 × 122 = 1,322,000,000 balance-days × 1.5% / 360 = 55,083.33
/// (75,416.67 before the repayment was reported). Then overdue 2026-04-20, cured 2026-05-16:
/// 10,000,000 × 59 + 6,000,000 × 50 + 0 × 26 + 6,000,000 × 46 = 1,166,000,000 → 48,583.33.
async fn interest_follows_the_balance(app: TestApp) {
    let d0: NaiveDate = "2026-01-01".parse().unwrap();
    let (w, loan) = loan_on(&app, d0).await;
    let (_, fo) = app.org_with_user("finance_office", Some("37")).await;
    let mut policy = fixed_policy("100000000.00", json!({}));
    policy["rule"]["day_count"] = json!("act_360");
    let pid = app
        .post("/api/v1/policies", &fo, &policy)
        .await
        .assert_status(201)["id"]
        .as_i64()
        .unwrap();
    let q = json!({"loan_id": loan, "period_start": "2026-01-01", "period_end": "2026-07-01"});
    let quote = || async {
        let r = app
            .post(&format!("/api/v1/policies/{pid}/quote"), &w.bank, &q)
            .await;
        r.assert_status(200).clone()
    };
    assert_eq!(quote().await["amount"], "75416.67");
    let on = |d: &str| d.parse::<NaiveDate>().unwrap();
    post_event(
        &app,
        &w.bank,
        loan,
        &ev("repayment", on("2026-03-01"), Some("4000000.00")),
    )
    .await
    .assert_status(201);
    let b = quote().await;
    assert_eq!(b["amount"], "55083.33");
    assert!(b["breakdown"]
        .as_array()
        .unwrap()
        .iter()
        .any(|s| s["step"] == "balance segment"));
    post_event(&app, &w.bank, loan, &ev("overdue", on("2026-04-20"), None))
        .await
        .assert_status(201);
    post_event(&app, &w.bank, loan, &ev("cured", on("2026-05-16"), None))
        .await
        .assert_status(201);
    assert_eq!(quote().await["amount"], "48583.33");
    // A claim computes the same.
    let c = app
        .post(
            "/api/v1/subsidy-claims",
            &w.ent,
            &json!({"policy_id": pid, "loan_id": loan, "period_start": "2026-01-01", "period_end": "2026-07-01"}),
        )
        .await;
    assert_eq!(c.assert_status(201)["amount"], "48583.33");
}

/// Overview, breakdowns and `/stats/banks` carry outstanding, overdue, NPL, repaid and
/// written-off figures, kept by the events' own transactions equal to a rebuild.
async fn reports_follow_servicing(app: TestApp) {
    let d0 = today().checked_sub_days(Days::new(90)).unwrap();
    let day = |n: u64| d0.checked_add_days(Days::new(n)).unwrap();
    let (_, fo) = app.org_with_user("finance_office", Some("37")).await;
    // Four loans of 10,000,000: one partly repaid, one overdue, one NPL after a recovery,
    // one repaid in full; and a fifth written off.
    let mut loans = Vec::new();
    for _ in 0..5 {
        loans.push(loan_on(&app, d0).await);
    }
    let script: [&[(&str, u64, Option<&str>)]; 5] = [
        &[("repayment", 10, Some("2500000.00"))],
        &[("overdue", 20, None)],
        &[("npl", 20, None), ("recovery", 30, Some("1000000.00"))],
        &[("repayment", 40, Some("10000000.00"))],
        &[("npl", 20, None), ("written_off", 50, None)],
    ];
    for ((w, id), events) in loans.iter().zip(script) {
        for (kind, n, p) in events {
            post_event(&app, &w.bank, *id, &ev(kind, day(*n), *p))
                .await
                .assert_status(201);
        }
    }
    let o = app.get("/api/v1/stats/overview", &fo).await;
    let l = &o.assert_status(200)["loans"];
    assert_eq!(l["count"], 5);
    assert_eq!(l["amount"], "50000000.00");
    // 7,500,000 + 10,000,000 + 9,000,000 + 0 + 0
    assert_eq!(l["outstanding"], "26500000.00");
    assert_eq!(l["overdue_amount"], "10000000.00");
    assert_eq!(l["npl_amount"], "9000000.00");
    // 9,000,000 / 26,500,000 = 0.33962… → 0.3396
    assert_eq!(l["npl_ratio"], "0.3396");
    assert_eq!(l["repaid_count"], 1);
    assert_eq!(l["written_off_amount"], "10000000.00");
    // Per bank: each loan has its own bank here.
    let banks = app.get("/api/v1/stats/banks", &fo).await;
    let npl_bank = banks.assert_status(200)["items"]
        .as_array()
        .map(|v| v.to_vec())
        .unwrap_or_else(|| banks.body.as_array().unwrap().to_vec())
        .into_iter()
        .find(|b| b["bank_id"].as_i64() == Some(loans[2].0.bank_id))
        .unwrap();
    assert_eq!(npl_bank["outstanding"], "9000000.00");
    assert_eq!(npl_bank["npl_amount"], "9000000.00");
    assert_eq!(npl_bank["npl_ratio"], "1.0000");
    let b = app
        .get("/api/v1/stats/breakdown?by=product_type", &fo)
        .await;
    let groups = b.assert_status(200)["groups"].as_array().unwrap().clone();
    assert_eq!(groups.len(), 1);
    assert_eq!(groups[0]["loans"]["outstanding"], "26500000.00");
    assert_rollups_equal_a_rebuild(&app, &[&fo]).await;
}
