//! Use cases called directly, the way the CLI and the jobs call them: a caller built from the
//! stored user, a connection from the pool, no HTTP. Headers and status lines are tested over
//! HTTP elsewhere; here the rules — role, scope, state machine, validation — hold on their own.

use diesel::prelude::*;
use serde_json::json;

use finmatch::app::caller::{Caller, Token};
use finmatch::app::demands::{self, CloseDemand, DemandFilter, PatchDemand};
use finmatch::app::effects::Keep;
use finmatch::app::error::{AppError, ProblemCode};
use finmatch::app::matches::{self, disbursements, lifecycle, queries};
use finmatch::catalog::MatchingCache;
use finmatch::db::DbConnection;
use finmatch::domain::demand::DemandStatus;
use finmatch::domain::lifecycle::MatchState;
use finmatch::domain::org::Role;

use crate::both_backends;
use crate::helpers::*;

both_backends!(
    demand_use_cases_keep_their_rules_without_http,
    a_loan_is_made_by_use_cases_alone,
);

/// The caller a fresh token of `org`'s first user stands for, resolved as the HTTP extractor
/// resolves one (`session::resolve`: liveness and scope in one query).
fn caller(conn: &mut DbConnection, org: i64, role: Role) -> Caller {
    use finmatch::db::schema::users;
    let (user_id, token_version) = users::table
        .filter(users::org_id.eq(org))
        .select((users::id, users::token_version))
        .order(users::id.asc())
        .first(conn)
        .unwrap();
    let token = Token {
        user_id,
        org_id: org,
        role,
        jti: uuid::Uuid::new_v4(),
        token_version,
        expires_at: 0,
    };
    finmatch::app::session::resolve(conn, token)
        .unwrap()
        .expect("a live token")
}

fn refused(r: Result<impl std::fmt::Debug, AppError>, status: u16, code: ProblemCode) {
    let e = r.expect_err("refused");
    assert_eq!((e.status.as_u16(), e.code), (status, code), "{}", e.detail);
}

/// A command as a client's JSON body would give it.
fn command<T: serde::de::DeserializeOwned>(body: serde_json::Value) -> T {
    serde_json::from_value(body).unwrap()
}

fn all() -> DemandFilter {
    DemandFilter {
        status: None,
        purpose: None,
        enterprise_id: None,
        region_prefix: None,
        after_id: None,
        limit: 100,
    }
}

async fn demand_use_cases_keep_their_rules_without_http(app: TestApp) {
    let (a, _) = app.enterprise("370202").await;
    let (b, _) = app.enterprise("370203").await;
    let (bank, _) = app.org_with_user("bank", None).await;
    let pool = app.pool.clone();
    tokio::task::spawn_blocking(move || {
        let conn = &mut *pool.get().unwrap();
        let (ent_a, ent_b) = (
            caller(conn, a, Role::Enterprise),
            caller(conn, b, Role::Enterprise),
        );
        let bank = caller(conn, bank, Role::Bank);
        let cache = MatchingCache::default();
        let cmd = || serde_json::from_value(demand()).unwrap();

        refused(
            demands::create(conn, &bank, cmd(), &cache, Keep),
            403,
            ProblemCode::Forbidden,
        );
        let mut bad: demands::CreateDemand = cmd();
        bad.term_months = 0;
        refused(
            demands::create(conn, &ent_a, bad, &cache, Keep),
            422,
            ProblemCode::ValidationFailed,
        );
        assert!(
            demands::list(conn, &ent_a, all()).unwrap().is_empty(),
            "a refusal stores nothing"
        );

        let d = demands::create(conn, &ent_a, cmd(), &cache, Keep).unwrap();
        assert_eq!((d.status, d.enterprise_id), (DemandStatus::Open, a));
        // Another enterprise does not see it: not found, not forbidden.
        refused(demands::get(conn, &ent_b, d.id), 404, ProblemCode::NotFound);
        assert!(demands::list(conn, &ent_b, all()).unwrap().is_empty());

        let patch: PatchDemand = serde_json::from_value(json!({"amount": "12000000.00"})).unwrap();
        let d2 = demands::patch(conn, &ent_a, d.id, patch).unwrap();
        assert_eq!(d2.amount.to_string(), "12000000.00");
        let closed = demands::close(conn, &ent_a, d.id, CloseDemand::default()).unwrap();
        assert_eq!(closed.status, DemandStatus::Closed);
        // closed is final: neither a second close nor a change moves it.
        refused(
            demands::close(conn, &ent_a, d.id, CloseDemand::default()),
            409,
            ProblemCode::InvalidTransition,
        );
        refused(
            demands::patch(conn, &ent_a, d.id, PatchDemand::default()),
            409,
            ProblemCode::InvalidTransition,
        );
        assert_eq!(
            demands::get(conn, &ent_a, d.id).unwrap().status,
            DemandStatus::Closed
        );
    })
    .await
    .unwrap();
}

/// Apply, accept, approve and disburse through the use cases the handlers call, with the
/// parties, other tenants and the approval limit checked on the way.
async fn a_loan_is_made_by_use_cases_alone(app: TestApp) {
    let w = world(&app).await;
    let (other_bank, _) = app.org_with_user("bank", None).await;
    let (own_office, _) = app.org_with_user("finance_office", Some("3702")).await;
    let (far_office, _) = app.org_with_user("finance_office", Some("44")).await;
    let pool = app.pool.clone();
    tokio::task::spawn_blocking(move || {
        let conn = &mut *pool.get().unwrap();
        let ent = caller(conn, w.ent_id, Role::Enterprise);
        let bank = caller(conn, w.bank_id, Role::Bank);
        let other = caller(conn, other_bank, Role::Bank);
        let (near, far) = (
            caller(conn, own_office, Role::FinanceOffice),
            caller(conn, far_office, Role::FinanceOffice),
        );
        assert_eq!(near.scope, finmatch::domain::scope::Scope::Region("3702".into()));

        let applied = lifecycle::create(
            conn,
            &ent,
            matches::CreateMatch { demand_id: w.demand, product_id: w.product },
            10,
            Keep,
        )
        .unwrap();
        assert_eq!(applied.state, MatchState::Applied);
        let id = applied.id;
        // Another bank does not see the match; the enterprise is not the party that accepts.
        refused(lifecycle::accept(conn, &other, id, Default::default(), 10), 404, ProblemCode::NotFound);
        refused(lifecycle::accept(conn, &ent, id, Default::default(), 10), 403, ProblemCode::Forbidden);
        let accepted = lifecycle::accept(conn, &bank, id, Default::default(), 10).unwrap();
        assert_eq!(accepted.state, MatchState::Accepted);
        let approval = json!({"approved_amount": "5000000.00", "annual_rate": "3.65", "term_months": 12});
        lifecycle::approve(conn, &bank, id, command(approval)).unwrap();

        let tranche = |amount: &str| {
            command::<matches::CreateDisbursement>(json!({"amount": amount, "annual_rate": "3.65", "term_months": 12, "disbursed_on": "2026-03-10", "first_loan": true}))
        };
        let loan = disbursements::disburse(conn, &bank, id, tranche("3000000.00"), Keep).unwrap();
        assert_eq!(loan.amount.to_string(), "3000000.00");
        refused(
            disbursements::disburse(conn, &bank, id, tranche("2000000.01"), Keep),
            422,
            ProblemCode::ExceedsApprovedAmount,
        );
        disbursements::disburse(conn, &bank, id, tranche("2000000.00"), Keep).unwrap();
        assert_eq!(queries::get(conn, &ent, id).unwrap().state, MatchState::Disbursed);

        // The loan is the enterprise's, its bank's and its region's office's; no one else's.
        for who in [&ent, &bank, &near] {
            assert_eq!(queries::get_loan(conn, who, loan.id).unwrap().id, loan.id);
        }
        for who in [&other, &far] {
            refused(queries::get_loan(conn, who, loan.id), 404, ProblemCode::NotFound);
        }
    })
    .await
    .unwrap();
}
