//! `finmatch seed-demo` builds its world through the use cases: every match has its audit
//! trail, every loan its match, demand statuses follow the lifecycle, the history spans the
//! past, the report cells the use cases wrote equal a rebuild, and the demo users log in and
//! see only their own records.

use diesel::dsl::{count_star, exists, min, not};
use diesel::prelude::*;
use serde_json::{json, Value};

use finmatch::app::clock;
use finmatch::app::credentials::{hash_password, HashCost};
use finmatch::catalog::MatchingCache;
use finmatch::db::schema::{demands, loans, match_events, matches};
use finmatch::domain::demand::DemandStatus;
use finmatch::domain::lifecycle::MatchState;
use finmatch::seed::{seed, SeedContext, SeedOptions, SeedReport, DEMO_PASSWORD};

use crate::both_backends;
use crate::helpers::*;

both_backends!(the_demo_world_is_made_by_the_use_cases);

/// What the seeded database holds, read directly.
struct Stored {
    matches: i64,
    without_trail: i64,
    disbursed: i64,
    loans: i64,
    fulfilled_without_loan: i64,
    loaned_not_fulfilled: i64,
    first_disbursal: Option<chrono::NaiveDate>,
}

fn stored(conn: &mut finmatch::db::DbConnection) -> Stored {
    let has_loan = exists(loans::table.filter(loans::demand_id.eq(demands::id)));
    Stored {
        matches: matches::table.select(count_star()).first(conn).unwrap(),
        without_trail: matches::table
            .filter(not(exists(
                match_events::table.filter(match_events::match_id.eq(matches::id)),
            )))
            .select(count_star())
            .first(conn)
            .unwrap(),
        disbursed: matches::table
            .filter(matches::state.eq(MatchState::Disbursed))
            .select(count_star())
            .first(conn)
            .unwrap(),
        // Loans disbursed on matches; renewal loans (续贷) refinance one of them.
        loans: loans::table
            .filter(loans::renewal_of.is_null())
            .select(count_star())
            .first(conn)
            .unwrap(),
        fulfilled_without_loan: demands::table
            .filter(demands::status.eq(DemandStatus::Fulfilled))
            .filter(not(has_loan))
            .select(count_star())
            .first(conn)
            .unwrap(),
        loaned_not_fulfilled: demands::table
            .filter(demands::status.ne(DemandStatus::Fulfilled))
            .filter(has_loan)
            .select(count_star())
            .first(conn)
            .unwrap(),
        first_disbursal: loans::table
            .select(min(loans::disbursed_on))
            .first(conn)
            .unwrap(),
    }
}

async fn the_demo_world_is_made_by_the_use_cases(app: TestApp) {
    let opts = SeedOptions {
        banks: 3,
        products: 30,
        enterprises: 40,
        demands: 80,
        enterprise_users: 5,
        loans: 40,
        other_matches: 15,
        seed: 7,
    };
    let pool = app.pool.clone();
    let (report, again, db): (SeedReport, String, Stored) =
        tokio::task::spawn_blocking(move || {
            let hash = hash_password(DEMO_PASSWORD, HashCost::Test).unwrap();
            let matching = MatchingCache::default();
            let cx = SeedContext {
                matching: &matching,
                decide_working_days: 5,
            };
            let mut conn = pool.get().unwrap();
            let report = seed(&mut conn, &opts, &hash, clock::today(), &cx).expect("seeded");
            let again = seed(&mut conn, &opts, &hash, clock::today(), &cx)
                .expect_err("a second run is refused");
            (report, again.to_string(), stored(&mut conn))
        })
        .await
        .unwrap();
    assert!(again.contains("already present"), "{again}");

    // What was asked for was made, through the lifecycle.
    assert_eq!(
        (report.banks, report.products, report.enterprises),
        (3, 30, 40)
    );
    assert_eq!(report.demands, 80);
    assert!(
        report.matches >= 20,
        "most demands found a product: {report:?}"
    );
    assert!(report.loans >= 8, "most loans were made: {report:?}");
    assert_eq!(db.matches, report.matches as i64);
    assert_eq!(db.without_trail, 0, "every match has its audit trail");
    assert_eq!(
        (db.disbursed, db.loans),
        (report.loans as i64, report.loans as i64)
    );
    assert_eq!(db.fulfilled_without_loan, 0);
    assert_eq!(db.loaned_not_fulfilled, 0);
    let first = db.first_disbursal.expect("loans");
    assert!(
        first < clock::today() - chrono::Days::new(60),
        "the history spans the past: first loan on {first}"
    );

    // The demo users log in with the demo password and see their own records only.
    let bank = app.login("demo_bank_1", DEMO_PASSWORD).await;
    let me = app.get("/api/v1/me", &bank).await;
    let bank_id = me.assert_status(200)["organization"]["id"].clone();
    let inbox = app.get("/api/v1/matches?limit=200", &bank).await;
    let items = inbox.assert_status(200)["items"]
        .as_array()
        .unwrap()
        .clone();
    assert!(!items.is_empty(), "demo_bank_1 has matches");
    assert!(items.iter().all(|m| m["bank_id"] == bank_id));
    let ent = app.login("demo_ent_1", DEMO_PASSWORD).await;
    let mine = app.get("/api/v1/demands?limit=200", &ent).await;
    let ent_id = app.get("/api/v1/me", &ent).await.body["organization"]["id"].clone();
    let mine = mine.assert_status(200)["items"].as_array().unwrap().clone();
    assert!(!mine.is_empty());
    assert!(mine.iter().all(|d| d["enterprise_id"] == ent_id));

    // Renewals and the fund in the reports: every one the seed made, each waiting one overdue
    // (asked 45 days ago), and the banks' overdue decisions adding up to the platform's.
    let o = app.get("/api/v1/stats/overview", &app.admin_token).await;
    let r = o.assert_status(200)["renewals"].clone();
    assert_eq!(r["requested"], json!(report.renewals), "{r}");
    assert_eq!(r["pending"], r["overdue"], "{r}");
    assert!(r["overdue"].as_u64().unwrap() > 0, "{r}");
    assert!(r["success_rate"].is_string(), "{r}");
    let banks = app.get("/api/v1/stats/banks", &app.admin_token).await;
    let overdue: u64 = banks.assert_status(200)["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["overdue_renewals"].as_u64().unwrap())
        .sum();
    assert_eq!(json!(overdue), r["overdue"]);
    let funds = app
        .get("/api/v1/stats/bridge-funds", &app.admin_token)
        .await;
    let bridged: u64 = funds.assert_status(200)["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["bridges"].as_u64().unwrap())
        .sum();
    assert_eq!(bridged, report.bridges as u64);

    // Risk sharing: both schemes, their enrollments, claims in every state, a recovery.
    let schemes = app.get("/api/v1/risk-schemes", &app.admin_token).await;
    let schemes = schemes.assert_status(200)["items"]
        .as_array()
        .unwrap()
        .clone();
    assert_eq!(schemes.len(), report.risk_schemes);
    let kinds: Vec<&str> = schemes
        .iter()
        .map(|s| s["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["risk_sharing", "compensation_pool"]);
    let claims = app
        .get("/api/v1/compensation-claims?limit=200", &app.admin_token)
        .await;
    let claims = claims.assert_status(200)["items"]
        .as_array()
        .unwrap()
        .clone();
    assert_eq!(claims.len(), report.compensation_claims);
    for state in ["submitted", "approved", "paid", "rejected"] {
        assert!(
            claims.iter().any(|c| c["state"] == state),
            "no {state} claim"
        );
    }
    assert!(
        schemes.iter().any(|s| s["recovered"] != "0.00"),
        "a recovery returned to a pool: {schemes:?}"
    );

    // Awards: a lump sum per newly certified enterprise and a guarantor award, in every
    // state but rejected, with no loan.
    let awards = app
        .get("/api/v1/subsidy-claims?limit=200", &app.admin_token)
        .await;
    let awards: Vec<Value> = awards.assert_status(200)["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["loan_id"].is_null())
        .cloned()
        .collect();
    assert_eq!(awards.len(), report.award_claims);
    for state in ["submitted", "approved", "paid"] {
        assert!(
            awards.iter().any(|c| c["state"] == state),
            "no {state} award"
        );
    }
    assert!(
        awards.iter().any(|c| c["enterprise_id"].is_null()),
        "a guarantor award: {awards:?}"
    );
    assert!(awards
        .iter()
        .all(|c| c["enterprise_id"].is_null() || c["enterprise_id"] == c["payee_id"]));

    // The report cells the use cases wrote are the ones a rebuild computes.
    let office = app.login("demo_office_1", DEMO_PASSWORD).await;
    assert_rollups_equal_a_rebuild(&app, &[&app.admin_token, &office]).await;
}
