//! Matches, their audit trail and loans. State changes are conditional updates
//! (`WHERE id = ? AND state = ?`), so of concurrent conflicting requests exactly one wins on
//! both backends; scope is part of every read.

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;

use super::schema::{loans, match_events, matches, organizations};
use super::DbConnection;
use crate::domain::lifecycle::{Deadline, EventAction, MatchState, Party};
use crate::domain::product::ProductType;
use crate::domain::scope::Scope;
use crate::domain::size_class::SizeClass;
use crate::domain::subsidy::CounterGuarantee;

#[derive(Clone, Debug, Queryable, Selectable, Identifiable)]
#[diesel(table_name = matches)]
pub struct MatchRow {
    pub id: i64,
    pub demand_id: i64,
    pub product_id: i64,
    pub bank_id: i64,
    pub enterprise_id: i64,
    pub state: MatchState,
    pub initiated_by: Party,
    pub live_key: Option<String>,
    pub respond_by: Option<NaiveDate>,
    pub decide_by: Option<NaiveDate>,
    pub approved_amount_fen: Option<i64>,
    pub approved_rate_units: Option<i64>,
    pub approved_term_months: Option<i64>,
    pub disbursed_fen: i64,
    pub reject_reason_code: Option<String>,
    pub reject_reason: Option<String>,
    pub respond_overdue_notified: bool,
    pub decide_overdue_notified: bool,
    pub responded_at: Option<NaiveDateTime>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    pub region_code: String,
    pub size_class: SizeClass,
    pub qualification_kinds: String,
    pub product_type: ProductType,
}

#[derive(Insertable)]
#[diesel(table_name = matches)]
pub struct NewMatch {
    pub demand_id: i64,
    pub product_id: i64,
    pub bank_id: i64,
    pub enterprise_id: i64,
    pub state: MatchState,
    pub initiated_by: Party,
    pub live_key: Option<String>,
    pub respond_by: Option<NaiveDate>,
    pub decide_by: Option<NaiveDate>,
    pub disbursed_fen: i64,
    pub respond_overdue_notified: bool,
    pub decide_overdue_notified: bool,
    pub responded_at: Option<NaiveDateTime>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    /// Reporting snapshot (`db::rollups::snapshot`): the enterprise's region, size class and
    /// valid qualification kinds now, and the product's type.
    pub region_code: String,
    pub size_class: SizeClass,
    pub qualification_kinds: String,
    pub product_type: ProductType,
}

pub fn live_key(demand_id: i64, product_id: i64) -> String {
    format!("{demand_id}:{product_id}")
}

pub fn insert(conn: &mut DbConnection, m: &NewMatch) -> QueryResult<MatchRow> {
    crate::on_backend!(conn, c => diesel::insert_into(matches::table)
        .values(m)
        .returning(MatchRow::as_returning())
        .get_result(c))
}

/// The matches `scope` may see: an enterprise's own, a bank's on its products, a finance
/// office's in its region; a guarantor sees loans, not matches.
fn scoped(scope: &Scope) -> matches::BoxedQuery<'static, super::conn::MultiBackend> {
    let q = matches::table.into_boxed();
    match scope {
        Scope::Everything => q,
        Scope::Enterprise(id) => q.filter(matches::enterprise_id.eq(*id)),
        Scope::Bank(id) => q.filter(matches::bank_id.eq(*id)),
        Scope::Region(p) => q.filter(
            matches::enterprise_id.eq_any(
                organizations::table
                    .filter(organizations::region_code.like(format!("{p}%")))
                    .select(organizations::id),
            ),
        ),
        Scope::Guarantor(_) | Scope::Nothing => q.filter(matches::id.lt(0)),
    }
}

pub fn find_visible(
    conn: &mut DbConnection,
    id: i64,
    scope: &Scope,
) -> QueryResult<Option<MatchRow>> {
    scoped(scope)
        .filter(matches::id.eq(id))
        .select(MatchRow::as_select())
        .first(conn)
        .optional()
}

/// A match read again by id, after the caller's scope admitted it (`find_visible`) in the same
/// transaction: to see what a conditional update left.
pub fn reread(conn: &mut DbConnection, id: i64) -> QueryResult<MatchRow> {
    matches::table
        .find(id)
        .select(MatchRow::as_select())
        .first(conn)
}

#[derive(Default)]
pub struct MatchFilter {
    pub state: Option<String>,
    pub overdue_on: Option<NaiveDate>,
    pub not_overdue_on: Option<NaiveDate>,
    pub product_id: Option<i64>,
    pub demand_id: Option<i64>,
    pub after_id: Option<i64>,
    pub limit: i64,
}

pub fn list(conn: &mut DbConnection, scope: &Scope, f: &MatchFilter) -> QueryResult<Vec<MatchRow>> {
    let mut q = scoped(scope).select(MatchRow::as_select());
    if let Some(s) = &f.state {
        q = q.filter(matches::state.eq(s.clone()));
    }
    // `MatchState::is_overdue`, as SQL.
    let (respond, decide) = (
        Deadline::RespondBy.state().as_str(),
        Deadline::DecideBy.state().as_str(),
    );
    if let Some(today) = f.overdue_on {
        q = q.filter(
            matches::state
                .eq(respond)
                .and(matches::respond_by.lt(today))
                .or(matches::state.eq(decide).and(matches::decide_by.lt(today))),
        );
    }
    if let Some(today) = f.not_overdue_on {
        q = q.filter(
            matches::state
                .eq(respond)
                .and(matches::respond_by.lt(today))
                .or(matches::state.eq(decide).and(matches::decide_by.lt(today)))
                .eq(false),
        );
    }
    if let Some(p) = f.product_id {
        q = q.filter(matches::product_id.eq(p));
    }
    if let Some(d) = f.demand_id {
        q = q.filter(matches::demand_id.eq(d));
    }
    if let Some(after) = f.after_id {
        q = q.filter(matches::id.gt(after));
    }
    q.order(matches::id.asc()).limit(f.limit + 1).load(conn)
}

/// The fields a transition may set besides the state.
#[derive(Default, AsChangeset)]
#[diesel(table_name = matches)]
pub struct TransitionFields {
    pub decide_by: Option<NaiveDate>,
    pub approved_amount_fen: Option<i64>,
    pub approved_rate_units: Option<i64>,
    pub approved_term_months: Option<i64>,
    pub reject_reason_code: Option<String>,
    pub reject_reason: Option<String>,
    pub responded_at: Option<NaiveDateTime>,
}

/// Moves a match from `from` to `to` if it is still in `from`; false when another request
/// got there first. Leaving the live states frees the demand–product pair.
pub fn transition(
    conn: &mut DbConnection,
    id: i64,
    from: MatchState,
    to: MatchState,
    fields: &TransitionFields,
    now: NaiveDateTime,
) -> QueryResult<bool> {
    let target = matches::table
        .filter(matches::id.eq(id))
        .filter(matches::state.eq(from.as_str()));
    let n = if to.is_live() {
        diesel::update(target)
            .set((
                matches::state.eq(to.as_str()),
                matches::updated_at.eq(now),
                fields,
            ))
            .execute(conn)?
    } else {
        diesel::update(target)
            .set((
                matches::state.eq(to.as_str()),
                matches::updated_at.eq(now),
                matches::live_key.eq(None::<String>),
                fields,
            ))
            .execute(conn)?
    };
    Ok(n == 1)
}

/// Adds `amount_fen` to the match's disbursed total if it still fits under the approved
/// amount and the match is approved or disbursed. One statement per state, so concurrent
/// disbursements can never together exceed the approval. `None` when it did not fit (or the
/// match is in neither state); otherwise the state it was in.
pub fn add_disbursement(
    conn: &mut DbConnection,
    id: i64,
    amount_fen: i64,
    now: NaiveDateTime,
) -> QueryResult<Option<MatchState>> {
    for from in [MatchState::Approved, MatchState::Disbursed] {
        let n = diesel::update(
            matches::table
                .filter(matches::id.eq(id))
                .filter(matches::state.eq(from.as_str()))
                .filter(
                    (matches::disbursed_fen + amount_fen)
                        .le(matches::approved_amount_fen.assume_not_null()),
                ),
        )
        .set((
            matches::disbursed_fen.eq(matches::disbursed_fen + amount_fen),
            matches::state.eq(MatchState::Disbursed.as_str()),
            matches::updated_at.eq(now),
        ))
        .execute(conn)?;
        if n == 1 {
            return Ok(Some(from));
        }
    }
    Ok(None)
}

/// Live matches of a demand other than `except` (for the demand's status).
pub fn live_count_for_demand(conn: &mut DbConnection, demand_id: i64) -> QueryResult<i64> {
    matches::table
        .filter(matches::demand_id.eq(demand_id))
        .filter(matches::live_key.is_not_null())
        .count()
        .get_result(conn)
}

/// Overdue matches not yet announced: (id, which deadline).
pub fn overdue_unannounced(
    conn: &mut DbConnection,
    today: NaiveDate,
) -> QueryResult<Vec<(MatchRow, &'static str)>> {
    let respond: Vec<MatchRow> = matches::table
        .filter(matches::state.eq(Deadline::RespondBy.state().as_str()))
        .filter(matches::respond_by.lt(today))
        .filter(matches::respond_overdue_notified.eq(false))
        .select(MatchRow::as_select())
        .load(conn)?;
    let decide: Vec<MatchRow> = matches::table
        .filter(matches::state.eq(Deadline::DecideBy.state().as_str()))
        .filter(matches::decide_by.lt(today))
        .filter(matches::decide_overdue_notified.eq(false))
        .select(MatchRow::as_select())
        .load(conn)?;
    Ok(respond
        .into_iter()
        .map(|m| (m, "respond_by"))
        .chain(decide.into_iter().map(|m| (m, "decide_by")))
        .collect())
}

/// Marks one deadline announced; false if another instance already did (so it is sent once).
pub fn mark_overdue_announced(
    conn: &mut DbConnection,
    id: i64,
    deadline: &str,
) -> QueryResult<bool> {
    let n = if deadline == "respond_by" {
        diesel::update(
            matches::table
                .filter(matches::id.eq(id))
                .filter(matches::respond_overdue_notified.eq(false)),
        )
        .set(matches::respond_overdue_notified.eq(true))
        .execute(conn)?
    } else {
        diesel::update(
            matches::table
                .filter(matches::id.eq(id))
                .filter(matches::decide_overdue_notified.eq(false)),
        )
        .set(matches::decide_overdue_notified.eq(true))
        .execute(conn)?
    };
    Ok(n == 1)
}

#[derive(Clone, Debug, Queryable, Selectable)]
#[diesel(table_name = match_events)]
pub struct EventRow {
    pub id: i64,
    pub match_id: i64,
    pub action: EventAction,
    pub from_state: Option<MatchState>,
    pub to_state: MatchState,
    pub actor_user_id: i64,
    pub actor_org_id: i64,
    pub note: Option<String>,
    pub created_at: NaiveDateTime,
}

#[allow(clippy::too_many_arguments)]
pub fn record_event(
    conn: &mut DbConnection,
    match_id: i64,
    action: EventAction,
    from: Option<MatchState>,
    to: MatchState,
    actor_user_id: i64,
    actor_org_id: i64,
    note: Option<&str>,
    now: NaiveDateTime,
) -> QueryResult<()> {
    diesel::insert_into(match_events::table)
        .values((
            match_events::match_id.eq(match_id),
            match_events::action.eq(action),
            match_events::from_state.eq(from),
            match_events::to_state.eq(to),
            match_events::actor_user_id.eq(actor_user_id),
            match_events::actor_org_id.eq(actor_org_id),
            match_events::note.eq(note),
            match_events::created_at.eq(now),
        ))
        .execute(conn)?;
    Ok(())
}

pub fn events(conn: &mut DbConnection, match_id: i64) -> QueryResult<Vec<EventRow>> {
    match_events::table
        .filter(match_events::match_id.eq(match_id))
        .order(match_events::id.asc())
        .select(EventRow::as_select())
        .load(conn)
}

/// A stored loan: its id and what was written (`NewLoan`).
#[derive(Clone, Debug, Queryable, Selectable)]
#[diesel(table_name = loans)]
pub struct LoanRow {
    pub id: i64,
    #[diesel(embed)]
    pub fields: NewLoan,
    #[diesel(embed)]
    pub servicing: super::loans::Servicing,
}

#[derive(Clone, Debug, Queryable, Selectable, Insertable)]
#[diesel(table_name = loans)]
pub struct NewLoan {
    pub match_id: i64,
    pub demand_id: i64,
    pub product_id: i64,
    pub bank_id: i64,
    pub enterprise_id: i64,
    pub amount_fen: i64,
    pub rate_units: i64,
    pub term_months: i64,
    pub disbursed_on: NaiveDate,
    pub first_loan: bool,
    pub guarantor_id: Option<i64>,
    pub guarantee_fee_rate_units: Option<i64>,
    pub counter_guarantee: Option<CounterGuarantee>,
    pub created_by: i64,
    pub created_at: NaiveDateTime,
    /// Reporting snapshot (`db::rollups::loan_fact`).
    pub region_code: String,
    pub size_class: SizeClass,
    pub qualification_kinds: String,
    pub product_type: ProductType,
    pub credit: bool,
}

/// Inserts a loan, `current` with all of its principal outstanding until `maturity_on`
/// (`renewal_of`: the loan it renews).
pub fn insert_loan(
    conn: &mut DbConnection,
    l: &NewLoan,
    maturity_on: NaiveDate,
    renewal_of: Option<i64>,
) -> QueryResult<LoanRow> {
    crate::on_backend!(conn, c => diesel::insert_into(loans::table)
        .values((
            l,
            loans::maturity_on.eq(maturity_on),
            loans::outstanding_fen.eq(l.amount_fen),
            loans::renewal_of.eq(renewal_of),
        ))
        .returning(LoanRow::as_returning())
        .get_result(c))
}

/// The loans `scope` may see: like matches, and a guarantor the loans it guarantees.
pub(super) fn scoped_loans(scope: &Scope) -> loans::BoxedQuery<'static, super::conn::MultiBackend> {
    let q = loans::table.into_boxed();
    match scope {
        Scope::Everything => q,
        Scope::Enterprise(id) => q.filter(loans::enterprise_id.eq(*id)),
        Scope::Bank(id) => q.filter(loans::bank_id.eq(*id)),
        Scope::Guarantor(g) => q.filter(loans::guarantor_id.eq(*g)),
        Scope::Region(p) => q.filter(
            loans::enterprise_id.eq_any(
                organizations::table
                    .filter(organizations::region_code.like(format!("{p}%")))
                    .select(organizations::id),
            ),
        ),
        Scope::Nothing => q.filter(loans::id.lt(0)),
    }
}

pub fn find_loan(conn: &mut DbConnection, id: i64, scope: &Scope) -> QueryResult<Option<LoanRow>> {
    scoped_loans(scope)
        .filter(loans::id.eq(id))
        .select(LoanRow::as_select())
        .first(conn)
        .optional()
}

#[derive(Default)]
pub struct LoanFilter {
    pub match_id: Option<i64>,
    pub bank_id: Option<i64>,
    pub enterprise_id: Option<i64>,
    pub guarantor_id: Option<i64>,
    pub first_loan: Option<bool>,
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
    pub status: Option<crate::domain::servicing::LoanStatus>,
    /// Maturity strictly before this day.
    pub maturing_before: Option<NaiveDate>,
    pub after_id: Option<i64>,
    pub limit: i64,
}

pub fn list_loans(
    conn: &mut DbConnection,
    scope: &Scope,
    f: &LoanFilter,
) -> QueryResult<Vec<LoanRow>> {
    let mut q = scoped_loans(scope).select(LoanRow::as_select());
    if let Some(m) = f.match_id {
        q = q.filter(loans::match_id.eq(m));
    }
    if let Some(b) = f.bank_id {
        q = q.filter(loans::bank_id.eq(b));
    }
    if let Some(e) = f.enterprise_id {
        q = q.filter(loans::enterprise_id.eq(e));
    }
    if let Some(g) = f.guarantor_id {
        q = q.filter(loans::guarantor_id.eq(g));
    }
    if let Some(fl) = f.first_loan {
        q = q.filter(loans::first_loan.eq(fl));
    }
    if let Some(d) = f.from {
        q = q.filter(loans::disbursed_on.ge(d));
    }
    if let Some(d) = f.to {
        q = q.filter(loans::disbursed_on.le(d));
    }
    if let Some(st) = f.status {
        q = q.filter(loans::status.eq(st));
    }
    if let Some(d) = f.maturing_before {
        q = q.filter(loans::maturity_on.lt(d));
    }
    if let Some(after) = f.after_id {
        q = q.filter(loans::id.gt(after));
    }
    q.order(loans::id.asc()).limit(f.limit + 1).load(conn)
}

pub fn loans_of_match(conn: &mut DbConnection, match_id: i64) -> QueryResult<Vec<LoanRow>> {
    loans::table
        .filter(loans::match_id.eq(match_id))
        .order(loans::id.asc())
        .select(LoanRow::as_select())
        .load(conn)
}
