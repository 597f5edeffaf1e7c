//! Finance-office reporting: totals equal their groups and the loans listed through the API,
//! region scope holds, targets track live figures, exports open.

use serde_json::{json, Value};

use crate::both_backends;
use crate::helpers::*;
use calamine::Data;

both_backends!(
    totals_equal_their_groups_and_the_loans,
    reports_are_scoped,
    targets_and_exports,
    rollups_follow_every_write_and_equal_a_rebuild,
    an_admin_moves_an_enterprise_and_everything_follows,
    a_move_racing_new_demands_leaves_none_behind,
    concurrent_writers_lose_no_rollup_update,
    overview_counts_subsidies_and_covering_budgets,
    every_report_is_for_offices_only,
    csv_export_defuses_formulas
);

fn today() -> String {
    chrono::Utc::now().date_naive().to_string()
}

async fn disburse(app: &TestApp, w: &World, amount: &str, rate: &str, first: bool) -> i64 {
    let id = apply(app, w).await;
    app.post(&format!("/api/v1/matches/{id}/accept"), &w.bank, &json!({}))
        .await
        .assert_status(200);
    app.post(
        &format!("/api/v1/matches/{id}/approve"),
        &w.bank,
        &approval(amount),
    )
    .await
    .assert_status(200);
    let body = json!({"amount": amount, "annual_rate": rate, "term_months": 12, "disbursed_on": today(), "first_loan": first});
    app.post(
        &format!("/api/v1/matches/{id}/disbursements"),
        &w.bank,
        &body,
    )
    .await
    .assert_status(201)["id"]
        .as_i64()
        .unwrap()
}

fn fen(v: &Value) -> i64 {
    finmatch::domain::money::Money::parse(v.as_str().unwrap())
        .unwrap()
        .fen()
}

async fn totals_equal_their_groups_and_the_loans(app: TestApp) {
    let w1 = world(&app).await;
    let w2 = world(&app).await;
    disburse(&app, &w1, "3000000.00", "3.50", true).await;
    disburse(&app, &w2, "5000000.00", "4.00", false).await;
    // A demand with a match but no loan, and one without a match.
    let d = app.post("/api/v1/demands", &w1.ent, &demand()).await.body["id"]
        .as_i64()
        .unwrap();
    app.post(
        "/api/v1/matches",
        &w1.ent,
        &json!({"demand_id": d, "product_id": w1.product}),
    )
    .await
    .assert_status(201);
    app.post("/api/v1/demands", &w2.ent, &demand())
        .await
        .assert_status(201);
    let (_, fo) = app.org_with_user("finance_office", Some("37")).await;
    let o = app.get("/api/v1/stats/overview", &fo).await;
    let o = o.assert_status(200).clone();
    assert_eq!(o["loans"]["count"], 2);
    assert_eq!(o["loans"]["amount"], "8000000.00");
    assert_eq!(o["loans"]["enterprises_served"], 2);
    assert_eq!(o["loans"]["first_loan_enterprises"], 1);
    assert_eq!(o["loans"]["first_loan_amount"], "3000000.00");
    // (3,000,000 × 3.50 + 5,000,000 × 4.00) / 8,000,000 = 3.8125
    assert_eq!(o["loans"]["weighted_average_rate"], "3.8125");
    assert_eq!(o["demands"]["count"], 4);
    assert_eq!(o["matches"]["total"], 3);
    assert_eq!(o["matches"]["by_state"]["disbursed"], 2);
    assert_eq!(o["matches"]["by_state"]["applied"], 1);
    // 3 demands have a match, 2 of them a loan; 8,000,000 of 30,000,000 demanded.
    assert_eq!(o["match_success_rate"], "0.6667");
    assert_eq!(o["demand_satisfaction_rate"], "0.2667");
    // The loans the API lists add up to the same total.
    let listed = app.get("/api/v1/loans?limit=200", &fo).await;
    let sum: i64 = listed.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| fen(&l["amount"]))
        .sum();
    assert_eq!(sum, fen(&o["loans"]["amount"]));
    for by in [
        "bank",
        "product_type",
        "region",
        "size_class",
        "month",
        "quarter",
    ] {
        let b = app
            .get(&format!("/api/v1/stats/breakdown?by={by}"), &fo)
            .await;
        let b = b.assert_status(200);
        let groups = b["groups"].as_array().unwrap();
        let amount: i64 = groups.iter().map(|g| fen(&g["loans"]["amount"])).sum();
        let count: u64 = groups
            .iter()
            .map(|g| g["loans"]["count"].as_u64().unwrap())
            .sum();
        assert_eq!((amount, count), (fen(&o["loans"]["amount"]), 2), "{by}");
        assert_eq!(b["total"], o["loans"]);
        // Match figures per group add up to the overview's, state by state.
        assert_eq!(b["total_matches"], o["matches"], "{by}");
        let matches: u64 = groups
            .iter()
            .map(|g| g["matches"]["total"].as_u64().unwrap())
            .sum();
        let applied: u64 = groups
            .iter()
            .map(|g| g["matches"]["by_state"]["applied"].as_u64().unwrap_or(0))
            .sum();
        let approved: i64 = groups
            .iter()
            .map(|g| fen(&g["matches"]["approved_amount"]))
            .sum();
        assert_eq!((matches, applied), (3, 1), "{by}");
        assert_eq!(approved, fen(&o["matches"]["approved_amount"]), "{by}");
    }
    // The match that has no loan yet still makes its bank a group.
    let b = app.get("/api/v1/stats/breakdown?by=bank", &fo).await;
    let w1_bank = b.body["groups"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["matches"]["total"] == 2)
        .expect("w1's bank has two matches")
        .clone();
    assert_eq!(w1_bank["loans"]["count"], 1, "{w1_bank}");
    assert_eq!(w1_bank["matches"]["by_state"]["applied"], 1, "{w1_bank}");
    app.get("/api/v1/stats/breakdown?by=colour", &fo)
        .await
        .assert_problem(400, "invalid_query");
    let banks = app.get("/api/v1/stats/banks", &fo).await;
    let items = banks.body["items"].as_array().unwrap();
    let disbursed: i64 = items.iter().map(|b| fen(&b["disbursed_amount"])).sum();
    assert_eq!(disbursed, 800_000_000);
    let received: u64 = items
        .iter()
        .map(|b| b["matches_received"].as_u64().unwrap())
        .sum();
    assert_eq!(received, 3);
    assert!(items
        .iter()
        .all(|b| b["median_hours_to_respond"].is_string() || b["matches_received"] == 0));
}

async fn reports_are_scoped(app: TestApp) {
    let w = world(&app).await;
    disburse(&app, &w, "2000000.00", "3.50", true).await;
    let (_, fo_js) = app.org_with_user("finance_office", Some("32")).await;
    let (_, fo_qd) = app.org_with_user("finance_office", Some("3702")).await;
    let o = app.get("/api/v1/stats/overview", &fo_js).await;
    assert_eq!(o.assert_status(200)["loans"]["count"], 0);
    // A region filter never widens the scope.
    let o = app
        .get("/api/v1/stats/overview?region_prefix=37", &fo_js)
        .await;
    assert_eq!(o.body["loans"]["count"], 0);
    assert_eq!(
        o.body["region_prefix"], "37",
        "shown for the region asked: none of it"
    );
    let o = app
        .get("/api/v1/stats/overview?region_prefix=37", &fo_qd)
        .await;
    assert_eq!(o.body["loans"]["count"], 1);
    assert_eq!(o.body["region_prefix"], "3702");
    let o = app
        .get("/api/v1/stats/overview?region_prefix=32", &app.admin_token)
        .await;
    assert_eq!(o.body["loans"]["count"], 0);
    let o = app.get("/api/v1/stats/overview", &app.admin_token).await;
    assert_eq!(o.body["loans"]["count"], 1);
    for t in [&w.bank, &w.ent] {
        app.get("/api/v1/stats/overview", t)
            .await
            .assert_problem(403, "forbidden");
        app.get("/api/v1/stats/banks", t)
            .await
            .assert_problem(403, "forbidden");
        app.get("/api/v1/reports/loans.csv", t)
            .await
            .assert_problem(403, "forbidden");
    }
    app.get(
        "/api/v1/stats/overview?from=2026-02-01&to=2026-01-01",
        &fo_qd,
    )
    .await
    .assert_problem(400, "invalid_query");
    app.get("/api/v1/stats/overview?region_prefix=3", &fo_qd)
        .await
        .assert_problem(400, "invalid_query");
    let o = app
        .get(
            "/api/v1/stats/overview?from=2000-01-01&to=2000-12-31",
            &fo_qd,
        )
        .await;
    assert_eq!(
        o.body["loans"]["count"], 0,
        "the window filters by disbursement date"
    );
}

async fn targets_and_exports(app: TestApp) {
    let w = world(&app).await;
    disburse(&app, &w, "3000000.00", "3.50", true).await;
    let (_, fo) = app.org_with_user("finance_office", Some("37")).await;
    let (_, fo_js) = app.org_with_user("finance_office", Some("32")).await;
    let year = &today()[..4];
    let body = json!({"name": "普惠投放", "metric": "disbursed_amount", "value": "12000000.00", "from": format!("{year}-01-01"), "to": format!("{year}-12-31")});
    let r = app.post("/api/v1/targets", &fo, &body).await;
    let t = r.assert_status(201).clone();
    assert_eq!(t["actual"], "3000000.00");
    assert_eq!(t["progress"], "0.2500");
    assert_eq!(t["region_prefix"], "37");
    let id = t["id"].as_i64().unwrap();
    // Live: another loan (another bank, another firm of the region) moves it.
    let w2 = world(&app).await;
    disburse(&app, &w2, "3000000.00", "3.50", false).await;
    let t = app.get(&format!("/api/v1/targets/{id}"), &fo).await;
    assert_eq!(t.body["progress"], "0.5000");
    let banks = json!({"name": "参与银行", "metric": "participating_banks", "value": "10", "from": format!("{year}-01-01"), "to": format!("{year}-12-31")});
    let r = app.post("/api/v1/targets", &fo, &banks).await;
    assert_eq!(r.assert_status(201)["actual"], "2");
    // Scope and validation.
    app.get(&format!("/api/v1/targets/{id}"), &fo_js)
        .await
        .assert_problem(404, "not_found");
    assert!(app.get("/api/v1/targets", &fo_js).await.body["items"]
        .as_array()
        .unwrap()
        .is_empty());
    app.post("/api/v1/targets", &w.bank, &body)
        .await
        .assert_problem(403, "forbidden");
    // A target is not visible to a bank, a guarantor or an enterprise: 404, not 403.
    let (_, guarantor) = app.org_with_user("guarantor", None).await;
    for token in [&w.bank, &w.ent, &guarantor] {
        app.get(&format!("/api/v1/targets/{id}"), token)
            .await
            .assert_problem(404, "not_found");
    }
    let mut bad = body.clone();
    bad["value"] = json!("0");
    app.post("/api/v1/targets", &fo, &bad)
        .await
        .assert_problem(422, "validation_failed");
    bad = body.clone();
    bad["region_prefix"] = json!("32");
    app.post("/api/v1/targets", &fo, &bad)
        .await
        .assert_problem(422, "validation_failed");
    bad = body.clone();
    bad["metric"] = json!("happiness");
    app.post("/api/v1/targets", &fo, &bad)
        .await
        .assert_problem(422, "invalid_body");
    // Exports.
    let csv = app
        .client
        .get(format!("{}/api/v1/reports/loans.csv", app.base))
        .bearer_auth(&fo)
        .send()
        .await
        .unwrap();
    assert_eq!(csv.status().as_u16(), 200);
    assert!(csv.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/csv"));
    let text = csv.text().await.unwrap();
    assert!(text.starts_with('\u{feff}'), "BOM for Excel and WPS");
    let lines: Vec<&str> = text.trim_start_matches('\u{feff}').lines().collect();
    assert!(lines[0].starts_with("贷款编号,放款日期,银行,企业编号,企业名称,统一社会信用代码"));
    assert_eq!(lines.len(), 3);
    assert!(lines[1].contains(",3000000.00,3.50,12,"), "{}", lines[1]);

    // The workbooks, read back as a spreadsheet program reads them.
    let loans = sheet(&app, &fo, "/api/v1/reports/loans.xlsx").await;
    assert_eq!(loans.len(), 3, "header and two loans");
    assert_eq!(loans[0][0], Data::String("贷款编号".into()));
    assert_eq!(loans[0][5], Data::String("统一社会信用代码".into()));
    let row = loans
        .iter()
        .find(|r| r[3] == Data::Float(w.ent_id as f64))
        .expect("the first enterprise's loan");
    assert!(matches!(row[0], Data::Float(_)), "ids are numbers");
    assert_eq!(
        row[11],
        Data::String("3000000.00".into()),
        "money is exact text"
    );
    assert_eq!(row[13], Data::Float(12.0), "term in months");
    assert_eq!(row[14], Data::String("是".into()), "首贷");
    // Codes carry their Chinese names beside them.
    assert_eq!(loans[0][7], Data::String("企业规模".into()));
    assert_eq!(loans[0][8], Data::String("企业规模代码".into()));
    let size = match &row[8] {
        Data::String(s) => s.clone(),
        other => panic!("size class code: {other:?}"),
    };
    let label = match size.as_str() {
        "micro" => "微型",
        "small" => "小型",
        "medium" => "中型",
        "large" => "大型",
        other => panic!("size class {other}"),
    };
    assert_eq!(row[7], Data::String(label.into()));
    assert_eq!(row[9], Data::String("信用贷".into()));
    assert_eq!(row[10], Data::String("credit".into()));
    let groups = sheet(&app, &fo, "/api/v1/reports/breakdown.xlsx?by=bank").await;
    assert_eq!(groups[0][0], Data::String("分组".into()));
    assert_eq!(groups[0][1], Data::String("分组代码".into()));
    assert_eq!(groups[0][9], Data::String("对接数".into()));
    let total = groups.last().unwrap();
    assert_eq!(total[0], Data::String("合计".into()));
    assert_eq!(total[2], Data::Float(2.0), "two loans");
    assert_eq!(total[3], Data::String("6000000.00".into()));
    assert_eq!(total[9], Data::Float(2.0), "two matches");
    assert_eq!(groups.len(), 4, "header, two banks, total");
    // A bank's group is named by the bank; its code is `<id> <name>`.
    for r in &groups[1..3] {
        let (Data::String(label), Data::String(code)) = (&r[0], &r[1]) else {
            panic!("group cells: {r:?}");
        };
        assert!(
            code.ends_with(label.as_str()) && code.len() > label.len(),
            "{r:?}"
        );
    }
    let by_type = sheet(&app, &fo, "/api/v1/reports/breakdown.xlsx?by=product_type").await;
    assert_eq!(by_type[1][0], Data::String("信用贷".into()));
    assert_eq!(by_type[1][1], Data::String("credit".into()));
    let per_bank: f64 = groups[1..3]
        .iter()
        .map(|r| match r[2] {
            Data::Float(n) => n,
            _ => panic!("count is a number: {r:?}"),
        })
        .sum();
    assert_eq!(per_bank, 2.0);
}

/// The first worksheet of an XLSX export, as cells.
async fn sheet(app: &TestApp, token: &str, path: &str) -> Vec<Vec<Data>> {
    use calamine::Reader;
    let x = app
        .client
        .get(format!("{}{path}", app.base))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    assert_eq!(x.status().as_u16(), 200, "{path}");
    assert!(x.headers()["content-type"]
        .to_str()
        .unwrap()
        .contains("spreadsheetml"));
    let bytes = x.bytes().await.unwrap();
    let mut wb: calamine::Xlsx<_> =
        calamine::open_workbook_from_rs(std::io::Cursor::new(bytes.to_vec())).expect("xlsx");
    let range = wb
        .worksheet_range_at(0)
        .expect("a sheet")
        .expect("readable");
    range.rows().map(|r| r.to_vec()).collect()
}

/// Names are typed by enterprises: in CSV, text a spreadsheet would run as a formula is
/// quoted with a leading apostrophe (CSV injection).
async fn csv_export_defuses_formulas(app: TestApp) {
    let w = world(&app).await;
    let profile = json!({
        "name": "=HYPERLINK(\"http://evil.example\",\"点我\")", "region_code": "370202",
        "industry": "industry", "employees": 50, "annual_revenue": "20000000.00",
        "total_assets": "15000000.00", "established_on": "2016-05-18"
    });
    app.request(
        reqwest::Method::PUT,
        &format!("/api/v1/enterprises/{}", w.ent_id),
        Some(&w.ent),
        Some(&profile),
        &[],
    )
    .await
    .assert_status(200);
    disburse(&app, &w, "1000000.00", "3.50", true).await;
    let csv = app
        .client
        .get(format!("{}/api/v1/reports/loans.csv", app.base))
        .bearer_auth(&app.admin_token)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let line = csv.lines().nth(1).unwrap();
    assert!(
        line.contains(",\"'=HYPERLINK(\"\"http://evil.example\"\",\"\"点我\"\")\","),
        "{line}"
    );
}

/// The rollups move with every kind of write (posting, editing, matching, each transition,
/// partial and repeated disbursements), stay put when an enterprise tries to move itself, and
/// equal a rebuild from the fact tables.
async fn rollups_follow_every_write_and_equal_a_rebuild(app: TestApp) {
    let (_, fo) = app.org_with_user("finance_office", Some("37")).await;
    let w = world(&app).await;
    let w2 = world(&app).await;
    // Two disbursements on one match (approved → disbursed, then disbursed → disbursed).
    let id = apply(&app, &w).await;
    for (action, body) in [("accept", json!({})), ("approve", approval("4000000.00"))] {
        app.post(&format!("/api/v1/matches/{id}/{action}"), &w.bank, &body)
            .await
            .assert_status(200);
    }
    for (amount, first) in [("1000000.00", true), ("3000000.00", false)] {
        let body = json!({"amount": amount, "annual_rate": "3.45", "term_months": 12,
                          "disbursed_on": today(), "first_loan": first});
        app.post(
            &format!("/api/v1/matches/{id}/disbursements"),
            &w.bank,
            &body,
        )
        .await
        .assert_status(201);
    }
    // A rejected match reopens its demand, whose amount then changes: the demanded amount of
    // matched demands follows.
    let r = apply(&app, &w2).await;
    app.post(
        &format!("/api/v1/matches/{r}/reject"),
        &w2.bank,
        &json!({"reason_code": "insufficient_cash_flow", "reason": "现金流不足"}),
    )
    .await
    .assert_status(200);
    app.request(
        reqwest::Method::PATCH,
        &format!("/api/v1/demands/{}", w2.demand),
        Some(&w2.ent),
        Some(&json!({"amount": "6000000.00"})),
        &[],
    )
    .await
    .assert_status(200);
    let o = app.get("/api/v1/stats/overview", &fo).await;
    let o = o.assert_status(200).clone();
    assert_eq!(o["demands"]["count"], 2);
    assert_eq!(o["demands"]["amount"], "16000000.00");
    assert_eq!(o["matches"]["by_state"]["disbursed"], 1);
    assert_eq!(o["matches"]["by_state"]["rejected"], 1);
    assert_eq!(o["matches"]["total"], 2);
    assert_eq!(o["matches"]["approved_amount"], "4000000.00");
    assert_eq!(o["loans"]["count"], 2);
    assert_eq!(o["loans"]["enterprises_served"], 1);
    assert_eq!(o["loans"]["first_loan_enterprises"], 1);
    assert_eq!(o["match_success_rate"], "0.5000");
    // 4,000,000 disbursed of 16,000,000 demanded by matched demands.
    assert_eq!(o["demand_satisfaction_rate"], "0.2500");

    // The region is not self-service (403 region_change_forbidden): the figures stay put.
    let profile = json!({
        "name": "青岛海科精密机械有限公司", "region_code": "320505", "industry": "industry",
        "employees": 299, "annual_revenue": "20000000.00", "total_assets": "15000000.00",
        "established_on": "2016-05-18"
    });
    app.request(
        reqwest::Method::PUT,
        &format!("/api/v1/enterprises/{}", w.ent_id),
        Some(&w.ent),
        Some(&profile),
        &[],
    )
    .await
    .assert_problem(403, "region_change_forbidden");
    app.post("/api/v1/demands", &w.ent, &demand())
        .await
        .assert_status(201);
    let after = app.get("/api/v1/stats/overview", &fo).await;
    let after = after.assert_status(200);
    assert_eq!(after["loans"], o["loans"]);
    assert_eq!(
        after["demands"]["count"],
        o["demands"]["count"].as_u64().unwrap() + 1,
        "the new demand counts where the enterprise is"
    );
    let (_, fo_sz) = app.org_with_user("finance_office", Some("3205")).await;
    let sz = app.get("/api/v1/stats/overview", &fo_sz).await;
    assert_eq!(sz.assert_status(200)["demands"]["count"], 0);
    assert_eq!(sz.body["loans"]["count"], 0);

    // Incremental figures equal figures rebuilt from the fact tables.
    assert_rollups_equal_a_rebuild(&app, &[&app.admin_token]).await;
}

/// Only an admin moves an enterprise to another region; then its records, reports and claims
/// are where it is, for both offices, and the rollups still equal a rebuild.
async fn an_admin_moves_an_enterprise_and_everything_follows(app: TestApp) {
    let admin = app.admin_token.clone();
    let (_, fo_qd) = app.org_with_user("finance_office", Some("37")).await;
    let (_, fo_sz) = app.org_with_user("finance_office", Some("3205")).await;
    let (w, loan_id) = loan(&app).await;
    let open_demand = app
        .post("/api/v1/demands", &w.ent, &demand())
        .await
        .assert_status(201)["id"]
        .as_i64()
        .unwrap();
    let policy = app
        .post(
            "/api/v1/policies",
            &fo_qd,
            &fixed_policy("1000000.00", json!({})),
        )
        .await
        .assert_status(201)["id"]
        .as_i64()
        .unwrap();
    let claim = app
        .post(
            "/api/v1/subsidy-claims",
            &w.ent,
            &json!({"policy_id": policy, "loan_id": loan_id,
                    "period_start": month(0),
                    "period_end": month(3)}),
        )
        .await
        .assert_status(201)["id"]
        .as_i64()
        .unwrap();
    let qd = app.get("/api/v1/stats/overview", &fo_qd).await;
    assert_eq!(qd.assert_status(200)["loans"]["count"], 1);
    assert_eq!(qd.body["demands"]["count"], 2);
    let sz = app.get("/api/v1/stats/overview", &fo_sz).await;
    assert_eq!(sz.assert_status(200)["loans"]["count"], 0);

    let path = format!("/api/v1/enterprises/{}", w.ent_id);
    let mut profile = app.get(&path, &w.ent).await.assert_status(200).clone();
    profile["region_code"] = json!("320505");
    let profile = json!({
        "name": profile["name"], "region_code": profile["region_code"],
        "industry": profile["industry"], "employees": profile["employees"],
        "annual_revenue": profile["annual_revenue"], "total_assets": profile["total_assets"],
        "established_on": profile["established_on"],
    });
    async fn put_as(app: &TestApp, path: &str, profile: &Value, token: &str) -> Resp {
        app.request(reqwest::Method::PUT, path, Some(token), Some(profile), &[])
            .await
    }
    // Neither the enterprise nor its finance office may move it.
    put_as(&app, &path, &profile, &w.ent)
        .await
        .assert_problem(403, "region_change_forbidden");
    put_as(&app, &path, &profile, &fo_qd)
        .await
        .assert_problem(403, "forbidden");
    assert_eq!(
        app.get("/api/v1/stats/overview", &fo_qd).await.body["loans"]["count"],
        1
    );
    // The admin may.
    let r = put_as(&app, &path, &profile, &admin).await;
    assert_eq!(r.assert_status(200)["region_code"], "320505");

    // The old office: nothing of it is left, in lists, reports or claims.
    let qd = app.get("/api/v1/stats/overview", &fo_qd).await;
    assert_eq!(qd.assert_status(200)["loans"]["count"], 0, "{}", qd.body);
    assert_eq!(qd.body["loans"]["amount"], "0.00");
    assert_eq!(qd.body["demands"]["count"], 0);
    assert_eq!(qd.body["matches"]["total"], 0);
    assert!(app.get("/api/v1/loans", &fo_qd).await.ids().is_empty());
    assert!(app
        .get("/api/v1/enterprises", &fo_qd)
        .await
        .ids()
        .is_empty());
    assert!(app
        .get("/api/v1/subsidy-claims", &fo_qd)
        .await
        .ids()
        .is_empty());
    app.get(&path, &fo_qd)
        .await
        .assert_problem(404, "not_found");
    app.get(&format!("/api/v1/subsidy-claims/{claim}"), &fo_qd)
        .await
        .assert_problem(404, "not_found");
    app.post(
        &format!("/api/v1/subsidy-claims/{claim}/approve"),
        &fo_qd,
        &json!({}),
    )
    .await
    .assert_problem(404, "not_found");
    // The new office: all of it, and the claim is decidable there.
    let sz = app.get("/api/v1/stats/overview", &fo_sz).await;
    assert_eq!(sz.assert_status(200)["loans"]["count"], 1, "{}", sz.body);
    assert_eq!(sz.body["loans"]["amount"], "10000000.00");
    assert_eq!(sz.body["loans"]["enterprises_served"], 1);
    assert_eq!(sz.body["demands"]["count"], 2);
    assert_eq!(app.get("/api/v1/loans", &fo_sz).await.ids(), vec![loan_id]);
    assert_eq!(
        app.get("/api/v1/enterprises", &fo_sz).await.ids(),
        vec![w.ent_id]
    );
    assert_eq!(
        app.get("/api/v1/subsidy-claims", &fo_sz).await.ids(),
        vec![claim]
    );
    let d = app
        .get(&format!("/api/v1/demands/{open_demand}"), &fo_sz)
        .await;
    d.assert_status(200);
    // The old office's policy (bounded to its region) no longer covers the loan: the new
    // office sees why and decides.
    let r = app
        .post(
            &format!("/api/v1/subsidy-claims/{claim}/approve"),
            &fo_sz,
            &json!({}),
        )
        .await;
    r.assert_problem(422, "not_eligible");
    assert!(
        r.body["detail"].as_str().unwrap().contains("320505"),
        "{}",
        r.body
    );
    let r = app
        .post(
            &format!("/api/v1/subsidy-claims/{claim}/reject"),
            &fo_sz,
            &json!({"reason": "企业已迁出本政策适用地区"}),
        )
        .await;
    assert_eq!(r.assert_status(200)["state"], "rejected");
    // The enterprise's new figures count where it is now.
    app.post("/api/v1/demands", &w.ent, &demand())
        .await
        .assert_status(201);
    assert_eq!(
        app.get("/api/v1/stats/overview", &fo_sz).await.body["demands"]["count"],
        3
    );
    // Rollups equal a rebuild, for the admin and for both offices.
    assert_rollups_equal_a_rebuild(&app, &[&admin, &fo_qd, &fo_sz]).await;
}

/// Twelve matches of one region and day (so the same cells) accepted at once: no update lost.
async fn concurrent_writers_lose_no_rollup_update(app: TestApp) {
    let w = world(&app).await;
    let mut ids = Vec::new();
    for _ in 0..12 {
        let d = app
            .post("/api/v1/demands", &w.ent, &demand())
            .await
            .assert_status(201)["id"]
            .as_i64()
            .unwrap();
        let m = app
            .post(
                "/api/v1/matches",
                &w.ent,
                &json!({"demand_id": d, "product_id": w.product}),
            )
            .await
            .assert_status(201)["id"]
            .as_i64()
            .unwrap();
        ids.push(m);
    }
    // Two folders (as two instances would run) fold the deltas while the writers append them.
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let folders: Vec<_> = [false, true]
        .into_iter()
        .map(|wait| {
            let (url, stop) = (app._db.url.clone(), stop.clone());
            tokio::task::spawn_blocking(move || {
                let mut conn = finmatch::db::DbConnection::open(&url).expect("connect");
                let mut folded = 0;
                while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                    folded += conn
                        .write_transaction(|c| finmatch::db::rollups::fold(c, wait))
                        .expect("fold");
                    std::thread::sleep(std::time::Duration::from_millis(1));
                }
                folded
            })
        })
        .collect();
    let mut tasks = Vec::new();
    for id in ids {
        let (client, base, bank) = (app.client.clone(), app.base.clone(), w.bank.clone());
        tasks.push(tokio::spawn(async move {
            client
                .post(format!("{base}/api/v1/matches/{id}/accept"))
                .bearer_auth(bank)
                .json(&json!({}))
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        }));
    }
    for t in tasks {
        assert_eq!(t.await.unwrap(), 200);
    }
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let mut folded = 0;
    for f in folders {
        folded += f.await.unwrap();
    }
    assert!(folded > 0, "the folders folded the writers' deltas");
    let o = app.get("/api/v1/stats/overview", &app.admin_token).await;
    let o = o.assert_status(200);
    assert_eq!(o["matches"]["by_state"]["accepted"], 12, "{o}");
    assert!(o["matches"]["by_state"].get("applied").is_none(), "{o}");
    assert_eq!(o["demands"]["count"], 13);
    assert_rollups_equal_a_rebuild(&app, &[&app.admin_token]).await;
}

/// Subsidy figures: claims of the region's enterprises made in the window, by state, and the
/// budgets of every policy covering the region (nationwide, wider, or within it).
async fn overview_counts_subsidies_and_covering_budgets(app: TestApp) {
    let (w, loan_id) = loan(&app).await; // an enterprise of 370202
    let (_, fo_37) = app.org_with_user("finance_office", Some("37")).await;
    let (_, fo_3702) = app.org_with_user("finance_office", Some("3702")).await;
    let (_, fo_32) = app.org_with_user("finance_office", Some("32")).await;
    let mut ids = Vec::new();
    for (fo, budget) in [
        (&fo_37, "1000000.00"),
        (&fo_3702, "500000.00"),
        (&fo_32, "300000.00"),
    ] {
        let r = app
            .post("/api/v1/policies", fo, &fixed_policy(budget, json!({})))
            .await;
        ids.push(r.assert_status(201)["id"].as_i64().unwrap());
    }
    // 10,000,000 × 1.5% × 12/12 = 150,000.00 under each of the two Shandong policies; the
    // provincial one is approved.
    let mut claims = Vec::new();
    for pid in &ids[..2] {
        let body = json!({"policy_id": pid, "loan_id": loan_id, "period_start": month(0), "period_end": month(12)});
        let r = app.post("/api/v1/subsidy-claims", &w.ent, &body).await;
        claims.push(r.assert_status(201)["id"].as_i64().unwrap());
    }
    app.post(
        &format!("/api/v1/subsidy-claims/{}/approve", claims[0]),
        &fo_37,
        &json!({}),
    )
    .await
    .assert_status(200);
    let budgets = |o: &Value| -> Vec<(i64, String)> {
        o["subsidies"]["budgets"]
            .as_array()
            .unwrap()
            .iter()
            .map(|b| {
                (
                    b["policy_id"].as_i64().unwrap(),
                    b["remaining"].as_str().unwrap().to_owned(),
                )
            })
            .collect()
    };
    for fo in [&fo_37, &fo_3702] {
        let o = app.get("/api/v1/stats/overview", fo).await;
        let o = o.assert_status(200);
        assert_eq!(o["subsidies"]["submitted"], "150000.00", "{o}");
        assert_eq!(o["subsidies"]["approved"], "150000.00");
        assert_eq!(o["subsidies"]["paid"], "0.00");
        assert_eq!(
            budgets(o),
            vec![
                (ids[0], "850000.00".to_owned()),
                (ids[1], "500000.00".to_owned())
            ],
            "the provincial policy covers the city office, the city policy lies in the province"
        );
        assert_eq!(o["subsidies"]["remaining_budgets"], "1350000.00");
    }
    let o = app.get("/api/v1/stats/overview", &fo_32).await;
    let o = o.assert_status(200);
    assert_eq!(o["subsidies"]["submitted"], "0.00");
    assert_eq!(budgets(o), vec![(ids[2], "300000.00".to_owned())]);
    // The window selects claims by the day they were made.
    let o = app
        .get(
            "/api/v1/stats/overview?from=2000-01-01&to=2000-12-31",
            &fo_37,
        )
        .await;
    let o = o.assert_status(200);
    assert_eq!(
        (&o["subsidies"]["submitted"], &o["subsidies"]["approved"]),
        (&json!("0.00"), &json!("0.00"))
    );
    assert_eq!(o["subsidies"]["remaining_budgets"], "1350000.00");
}

/// Banks and enterprises get 403 from every report and export; nothing about the region leaks.
async fn every_report_is_for_offices_only(app: TestApp) {
    let w = world(&app).await;
    for t in [&w.bank, &w.ent] {
        for path in [
            "/api/v1/stats/overview",
            "/api/v1/stats/breakdown?by=bank",
            "/api/v1/stats/banks",
            "/api/v1/targets",
            "/api/v1/reports/loans.csv",
            "/api/v1/reports/loans.xlsx",
            "/api/v1/reports/breakdown.xlsx?by=month",
        ] {
            app.get(path, t).await.assert_problem(403, "forbidden");
        }
    }
    app.request(
        reqwest::Method::GET,
        "/api/v1/stats/overview",
        None,
        None,
        &[],
    )
    .await
    .assert_problem(401, "unauthorized");
}

/// An admin moves an enterprise while, at the same moment, it posts demands, applies to
/// products and records qualifications, and its bank disburses: every record ends up in the new region (none snapshotted
/// with the old one after the move read it), the old office sees none, and the rollups equal a
/// rebuild. On PostgreSQL the writers share-lock the organization row the move locks for
/// update, always before the catalog counter; on SQLite writes are serialized.
async fn a_move_racing_new_demands_leaves_none_behind(app: TestApp) {
    let (_, fo_qd) = app.org_with_user("finance_office", Some("37")).await;
    let (_, fo_sz) = app.org_with_user("finance_office", Some("3205")).await;
    let w = world(&app).await;
    let mut products = Vec::new();
    for _ in 0..4 {
        let r = app.post("/api/v1/products", &w.bank, &product(3)).await;
        products.push(r.assert_status(201)["id"].as_i64().unwrap());
    }
    // The applications go to a second demand: the disbursements may fulfil the first.
    let second = app.post("/api/v1/demands", &w.ent, &demand()).await;
    let second = second.assert_status(201)["id"].as_i64().unwrap();
    let approved = apply(&app, &w).await;
    app.post(
        &format!("/api/v1/matches/{approved}/accept"),
        &w.bank,
        &json!({}),
    )
    .await
    .assert_status(200);
    app.post(
        &format!("/api/v1/matches/{approved}/approve"),
        &w.bank,
        &approval("5000000.00"),
    )
    .await
    .assert_status(200);
    let path = format!("/api/v1/enterprises/{}", w.ent_id);
    let p = app.get(&path, &w.ent).await.assert_status(200).clone();
    let profile = json!({
        "name": p["name"], "region_code": "320505",
        "industry": p["industry"], "employees": p["employees"],
        "annual_revenue": p["annual_revenue"], "total_assets": p["total_assets"],
        "established_on": p["established_on"],
    });

    const POSTS: usize = 12;
    let body = demand();
    let tranche = json!({"amount": "1000000.00", "annual_rate": "3.65", "term_months": 12, "disbursed_on": today(), "first_loan": true});
    let disbursements = format!("/api/v1/matches/{approved}/disbursements");
    let qual_path = format!("/api/v1/enterprises/{}/qualifications", w.ent_id);
    let quals: Vec<Value> = (0..2)
        .map(|i| json!({"kind": "specialized_sme", "level": "provincial", "certified_on": "2025-01-01", "expires_on": "2099-12-31", "certificate_no": format!("苏工信〔2026〕{i}号")}))
        .collect();
    let applies: Vec<Value> = products
        .iter()
        .map(|p| json!({"demand_id": second, "product_id": p}))
        .collect();
    let writes = (0..POSTS)
        .map(|_| ("/api/v1/demands", w.ent.as_str(), &body))
        .chain(
            applies
                .iter()
                .map(|a| ("/api/v1/matches", w.ent.as_str(), a)),
        )
        .chain((0..2).map(|_| (disbursements.as_str(), w.bank.as_str(), &tranche)))
        .chain(
            quals
                .iter()
                .map(|q| (qual_path.as_str(), w.ent.as_str(), q)),
        )
        .map(|(path, token, body)| app.post(path, token, body));
    let mv = app.request(
        reqwest::Method::PUT,
        &path,
        Some(&app.admin_token),
        Some(&profile),
        &[],
    );
    let (written, moved) = tokio::join!(futures_util::future::join_all(writes), mv);
    assert_eq!(moved.assert_status(200)["region_code"], "320505");
    for r in &written {
        r.assert_status(201);
    }

    let count = |path: &'static str, token: &str| {
        let token = token.to_owned();
        let app = &app;
        async move {
            app.get(&format!("{path}?limit=100"), &token)
                .await
                .ids()
                .len()
        }
    };
    // The world's two demands and every one posted; the approved match and the four applied;
    // two loans.
    for (path, all) in [
        ("/api/v1/demands", POSTS + 2),
        ("/api/v1/matches", 5),
        ("/api/v1/loans", 2),
    ] {
        assert_eq!(count(path, &fo_sz).await, all, "{path} in the new region");
        assert_eq!(
            count(path, &fo_qd).await,
            0,
            "{path} left in the old region"
        );
    }
    let sz = app.get("/api/v1/stats/overview", &fo_sz).await;
    assert_eq!(sz.assert_status(200)["demands"]["count"], POSTS + 2);
    assert_eq!(sz.body["loans"]["count"], 2);
    let qd = app.get("/api/v1/stats/overview", &fo_qd).await;
    assert_eq!(qd.assert_status(200)["demands"]["count"], 0);
    assert_eq!(qd.body["loans"]["count"], 0);
    assert_rollups_equal_a_rebuild(&app, &[&app.admin_token, &fo_qd, &fo_sz]).await;
}
