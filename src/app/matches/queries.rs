//! Reading matches and loans, always through the caller's scope: what is out of scope is
//! "not found", so its existence is not revealed.

use super::{full_view, LoanView, MatchView};
use crate::app::caller::Caller;
use crate::app::clock;
use crate::app::error::{AppError, AppResult};
pub use crate::db::matches::LoanFilter;
use crate::db::matches::{self as repo, LoanRow, MatchRow};
use crate::db::DbConnection;
use crate::domain::lifecycle::MatchState;

/// What a match list is filtered by; `after_id`/`limit` come from the page cursor.
pub struct MatchQuery {
    pub state: Option<MatchState>,
    pub overdue: Option<bool>,
    pub product_id: Option<i64>,
    pub demand_id: Option<i64>,
    pub after_id: Option<i64>,
    pub limit: i64,
}

pub fn list(conn: &mut DbConnection, auth: &Caller, q: MatchQuery) -> AppResult<Vec<MatchRow>> {
    let scope = &auth.scope;
    let today = clock::today();
    let filter = repo::MatchFilter {
        state: q.state.map(|s| s.as_str().to_owned()),
        overdue_on: (q.overdue == Some(true)).then_some(today),
        not_overdue_on: (q.overdue == Some(false)).then_some(today),
        product_id: q.product_id,
        demand_id: q.demand_id,
        after_id: q.after_id,
        limit: q.limit,
    };
    Ok(repo::list(conn, scope, &filter)?)
}

/// One match with its audit trail and loans.
pub fn get(conn: &mut DbConnection, auth: &Caller, id: i64) -> AppResult<MatchView> {
    let scope = &auth.scope;
    repo::find_visible(conn, id, scope)?.ok_or_else(|| AppError::not_found("match"))?;
    full_view(conn, id)
}

/// Loans in the caller's scope (a guarantor sees the loans it guarantees).
pub fn list_loans(
    conn: &mut DbConnection,
    auth: &Caller,
    filter: LoanFilter,
) -> AppResult<Vec<LoanRow>> {
    let scope = &auth.scope;
    Ok(repo::list_loans(conn, scope, &filter)?)
}

pub fn get_loan(conn: &mut DbConnection, auth: &Caller, id: i64) -> AppResult<LoanView> {
    let scope = &auth.scope;
    let loan = repo::find_loan(conn, id, scope)?.ok_or_else(|| AppError::not_found("loan"))?;
    let events = crate::db::loans::events(conn, id)?;
    Ok(LoanView::with_events(loan, events))
}
