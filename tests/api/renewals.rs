//! Renewals over HTTP (SPEC §3.13): request, 续贷承诺, disbursement closing the old loan as
//! `renewed` in one transaction; every refusal; one live renewal per loan under races.

use chrono::{Days, NaiveDate};
use serde_json::{json, Value};

use crate::both_backends;
use crate::helpers::*;

both_backends!(
    a_renewal_from_request_to_disbursement,
    renewal_refusals,
    concurrent_requests_make_one_renewal,
);

fn today() -> NaiveDate {
    chrono::Utc::now().date_naive()
}

fn request() -> Value {
    json!({"amount": "8000000.00", "term_months": 12, "no_principal_repayment": true, "note": "无还本续贷"})
}

fn commitment(amount: &str) -> Value {
    json!({"approved_amount": amount, "annual_rate": "3.45", "term_months": 12})
}

fn disbursement(amount: &str, on: NaiveDate) -> Value {
    json!({"amount": amount, "disbursed_on": on.to_string(), "annual_rate": "3.45", "term_months": 12})
}

async fn ask(app: &TestApp, token: &str, loan: i64) -> Resp {
    app.post(&format!("/api/v1/loans/{loan}/renewals"), token, &request())
        .await
}

async fn a_renewal_from_request_to_disbursement(app: TestApp) {
    let d0 = today().checked_sub_days(Days::new(100)).unwrap();
    let (w, loan) = loan_on(&app, d0).await;
    let (_, fo) = app.org_with_user("finance_office", Some("37")).await;
    let mut rp = product(3);
    rp["name"] = json!("无还本续贷");
    rp["product_type"] = json!("renewal");
    let renewal_product = app
        .post("/api/v1/products", &w.bank, &rp)
        .await
        .assert_status(201)["id"]
        .as_i64()
        .unwrap();
    let hook = app
        .post(
            "/api/v1/webhooks",
            &w.bank,
            &json!({"url": "http://127.0.0.1:9/hook", "events": ["renewal.requested", "renewal.approved", "loan.disbursed"]}),
        )
        .await
        .assert_status(201)["id"]
        .as_i64()
        .unwrap();
    app.post(
        &format!("/api/v1/loans/{loan}/events"),
        &w.bank,
        &json!({"kind": "repayment", "on": d0.checked_add_days(Days::new(30)).unwrap().to_string(), "principal": "2000000.00"}),
    )
    .await
    .assert_status(201);

    let r = ask(&app, &w.ent, loan).await;
    let b = r.assert_status(201).clone();
    let id = b["id"].as_i64().unwrap();
    assert_eq!(b["state"], "requested");
    assert_eq!(b["amount"], "8000000.00");
    assert_eq!(b["no_principal_repayment"], true);
    assert_eq!(b["overdue"], false);
    assert!(b["respond_by"].as_str().unwrap() >= today().to_string().as_str());
    assert_eq!(
        b["renewal_products"],
        json!([{"id": renewal_product, "name": "无还本续贷"}])
    );
    // The bank sees it in its list; the finance office of the region too.
    for t in [&w.bank, &fo] {
        let l = app.get("/api/v1/renewals?state=requested", t).await;
        let ids: Vec<i64> = l.assert_status(200)["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["id"].as_i64().unwrap())
            .collect();
        assert_eq!(ids, vec![id]);
    }

    let a = app
        .post(
            &format!("/api/v1/renewals/{id}/approve"),
            &w.bank,
            &commitment("8000000.00"),
        )
        .await;
    let a = a.assert_status(200);
    assert_eq!(a["state"], "approved");
    assert_eq!(a["approved_amount"], "8000000.00");
    assert_eq!(a["approved_rate"], "3.45");

    let n = app
        .post(
            &format!("/api/v1/renewals/{id}/disburse"),
            &w.bank,
            &disbursement("8000000.00", today()),
        )
        .await;
    let n = n.assert_status(201).clone();
    let new_loan = n["id"].as_i64().unwrap();
    assert_eq!(n["renewal_of"].as_i64(), Some(loan));
    assert_eq!(n["first_loan"], false);
    assert_eq!(n["status"], "current");
    assert_eq!(n["outstanding"], "8000000.00");
    let old = app.get(&format!("/api/v1/loans/{loan}"), &w.ent).await;
    let old = old.assert_status(200);
    assert_eq!(old["status"], "renewed");
    assert_eq!(old["outstanding"], "0.00");
    let last = old["events"].as_array().unwrap().last().unwrap();
    assert_eq!(last["kind"], "renewed");
    assert_eq!(last["on"], today().to_string());
    let r = app.get(&format!("/api/v1/renewals/{id}"), &w.ent).await;
    let r = r.assert_status(200);
    assert_eq!(r["state"], "disbursed");
    assert_eq!(r["new_loan_id"].as_i64(), Some(new_loan));
    let actions: Vec<&str> = r["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(actions, vec!["request", "approve", "disburse"]);
    let log = app
        .get(&format!("/api/v1/webhooks/{hook}/deliveries"), &w.bank)
        .await;
    let mut events: Vec<String> = log.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["event"].as_str().unwrap().to_owned())
        .collect();
    events.sort();
    assert_eq!(
        events,
        vec!["loan.disbursed", "renewal.approved", "renewal.requested"]
    );
    // The reports count the renewal loan, and nothing is outstanding on the old one.
    let o = app.get("/api/v1/stats/overview", &fo).await;
    let l = &o.assert_status(200)["loans"];
    assert_eq!(l["count"], 2);
    assert_eq!(l["outstanding"], "8000000.00");
    // 续贷 figures: asked, committed and disbursed the same day — 1 of 1 decided succeeded.
    let f = &o.body["renewals"];
    assert_eq!(
        (
            &f["requested"],
            &f["approved"],
            &f["rejected"],
            &f["disbursed"]
        ),
        (&json!(1), &json!(1), &json!(0), &json!(1)),
        "{f}"
    );
    assert_eq!(f["requested_amount"], "8000000.00");
    assert_eq!(f["success_rate"], "1.0000");
    assert_eq!(f["median_working_days_to_decision"], "0.0");
    assert_eq!((&f["pending"], &f["overdue"]), (&json!(0), &json!(0)));
    let banks = app.get("/api/v1/stats/banks", &fo).await;
    let mine = banks.assert_status(200)["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|b| b["bank_id"] == json!(w.bank_id))
        .cloned()
        .unwrap();
    assert_eq!(
        (&mine["renewals_received"], &mine["overdue_renewals"]),
        (&json!(1), &json!(0))
    );
    assert_rollups_equal_a_rebuild(&app, &[&fo]).await;
}

async fn renewal_refusals(app: TestApp) {
    let d0 = today().checked_sub_days(Days::new(100)).unwrap();
    let (w, loan) = loan_on(&app, d0).await;
    let (_, other_bank) = app.org_with_user("bank", None).await;
    let (_, fo) = app.org_with_user("finance_office", Some("37")).await;
    // Bad fields, wrong parties.
    let r = app
        .post(
            &format!("/api/v1/loans/{loan}/renewals"),
            &w.ent,
            &json!({"amount": "10000000.01", "term_months": 12, "no_principal_repayment": false}),
        )
        .await;
    r.assert_problem(422, "validation_failed");
    assert_eq!(r.body["errors"][0]["field"], "amount");
    let r = app
        .post(
            &format!("/api/v1/loans/{loan}/renewals"),
            &w.ent,
            &json!({"amount": "0", "term_months": 0, "no_principal_repayment": false}),
        )
        .await;
    r.assert_problem(422, "validation_failed");
    assert_eq!(r.body["errors"].as_array().unwrap().len(), 2);
    ask(&app, &other_bank, loan)
        .await
        .assert_problem(404, "not_found");
    ask(&app, &fo, loan).await.assert_problem(403, "forbidden");
    assert_eq!(
        app.get("/api/v1/renewals", &w.ent).await.body["items"],
        json!([])
    );

    // One live renewal per loan.
    let id = ask(&app, &w.bank, loan).await.assert_status(201)["id"]
        .as_i64()
        .unwrap();
    ask(&app, &w.ent, loan)
        .await
        .assert_problem(409, "conflict");
    let path = |a: &str| format!("/api/v1/renewals/{id}/{a}");
    // Parties and the table.
    app.post(&path("approve"), &w.ent, &commitment("1.00"))
        .await
        .assert_problem(403, "forbidden");
    app.post(&path("approve"), &other_bank, &commitment("1.00"))
        .await
        .assert_problem(404, "not_found");
    app.post(&path("withdraw"), &w.bank, &json!({}))
        .await
        .assert_problem(403, "forbidden");
    app.post(&path("disburse"), &w.bank, &disbursement("1.00", today()))
        .await
        .assert_problem(409, "invalid_transition");
    let r = app
        .post(&path("approve"), &w.bank, &commitment("8000000.01"))
        .await;
    r.assert_problem(422, "validation_failed");
    assert_eq!(r.body["errors"][0]["field"], "approved_amount");
    for body in [
        json!({"reason_code": "", "reason": "现金流不足"}),
        json!({"reason_code": "cash_flow", "reason": " "}),
        json!({"reason_code": "cash_flow"}),
    ] {
        assert_eq!(
            app.post(&path("reject"), &w.bank, &body)
                .await
                .status
                .as_u16(),
            422,
            "{body}"
        );
    }
    // Rejected with its reason; then a new request may follow.
    let r = app
        .post(
            &path("reject"),
            &w.bank,
            &json!({"reason_code": "declining_revenue", "reason": "营业收入连续下降"}),
        )
        .await;
    let r = r.assert_status(200);
    assert_eq!(r["state"], "rejected");
    assert_eq!(r["reject_reason_code"], "declining_revenue");
    app.post(&path("approve"), &w.bank, &commitment("1.00"))
        .await
        .assert_problem(409, "invalid_transition");
    let id2 = ask(&app, &w.ent, loan).await.assert_status(201)["id"]
        .as_i64()
        .unwrap();
    let path2 = |a: &str| format!("/api/v1/renewals/{id2}/{a}");
    app.post(&path2("approve"), &w.bank, &commitment("5000000.00"))
        .await
        .assert_status(200);
    // Above the commitment, before the old loan, in the future: 422, nothing changes.
    for (body, field) in [
        (disbursement("5000000.01", today()), "amount"),
        (
            disbursement("5000000.00", d0.checked_sub_days(Days::new(1)).unwrap()),
            "disbursed_on",
        ),
        (
            disbursement(
                "5000000.00",
                today().checked_add_days(Days::new(1)).unwrap(),
            ),
            "disbursed_on",
        ),
    ] {
        let r = app.post(&path2("disburse"), &w.bank, &body).await;
        r.assert_problem(422, "validation_failed");
        assert_eq!(r.body["errors"][0]["field"], field, "{body}");
    }
    // The enterprise withdraws the approved renewal; nothing can be disbursed on it.
    app.post(&path2("withdraw"), &w.ent, &json!({"reason": "资金已到位"}))
        .await
        .assert_status(200);
    app.post(&path2("disburse"), &w.bank, &disbursement("1.00", today()))
        .await
        .assert_problem(409, "invalid_transition");
    let l = app.get(&format!("/api/v1/loans/{loan}"), &w.bank).await;
    assert_eq!(l.body["status"], "current");
    // A loan that is not current or overdue cannot be renewed.
    app.post(
        &format!("/api/v1/loans/{loan}/events"),
        &w.bank,
        &json!({"kind": "npl", "on": today().to_string()}),
    )
    .await
    .assert_status(201);
    ask(&app, &w.ent, loan)
        .await
        .assert_problem(409, "invalid_transition");
}

async fn concurrent_requests_make_one_renewal(app: TestApp) {
    let (w, loan) = loan(&app).await;
    let base = app.base.clone();
    let client = reqwest::Client::new();
    let tasks: Vec<_> = (0..8)
        .map(|i| {
            let token = if i % 2 == 0 {
                w.ent.clone()
            } else {
                w.bank.clone()
            };
            let (client, base) = (client.clone(), base.clone());
            tokio::spawn(async move {
                client
                    .post(format!("{base}/api/v1/loans/{loan}/renewals"))
                    .bearer_auth(token)
                    .json(&request())
                    .send()
                    .await
                    .unwrap()
                    .status()
                    .as_u16()
            })
        })
        .collect();
    let mut codes = Vec::new();
    for t in tasks {
        codes.push(t.await.unwrap());
    }
    codes.sort();
    assert_eq!(codes, vec![201, 409, 409, 409, 409, 409, 409, 409]);
    let l = app
        .get(&format!("/api/v1/renewals?loan_id={loan}"), &w.bank)
        .await;
    assert_eq!(l.assert_status(200)["items"].as_array().unwrap().len(), 1);
}
