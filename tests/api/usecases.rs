//! Use cases called directly, the way the CLI and the jobs call them: a caller built from the
//! stored user, a connection from the pool, no HTTP. Headers and status lines are tested over
//! HTTP elsewhere; here the rules — role, scope, state machine, validation — hold on their own.

use diesel::prelude::*;
use serde_json::json;

use finmatch::app::caller::{Caller, Token};
use finmatch::app::demands::{self, CloseDemand, DemandFilter, PatchDemand};
use finmatch::app::effects::Keep;
use finmatch::app::error::{AppError, ProblemCode};
use finmatch::catalog::MatchingCache;
use finmatch::db::DbConnection;
use finmatch::domain::demand::DemandStatus;
use finmatch::domain::org::Role;

use crate::both_backends;
use crate::helpers::*;

both_backends!(demand_use_cases_keep_their_rules_without_http);

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
        let cache = MatchingCache::new(1 << 20);
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
