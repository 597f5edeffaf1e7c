//! Renewal storage (SPEC §3.13): the rows, scoped reads, the lock a writer takes, conditional
//! state changes and the audit trail. What may happen is `domain::renewal`.

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;

use super::schema::{organizations, renewal_events, renewals};
use super::DbConnection;
use crate::domain::renewal::{RenewalAction, RenewalState};
use crate::domain::scope::Scope;

#[derive(Clone, Debug, Queryable, Selectable)]
#[diesel(table_name = renewals)]
pub struct RenewalRow {
    pub id: i64,
    #[diesel(embed)]
    pub fields: NewRenewal,
    pub approved_amount_fen: Option<i64>,
    pub approved_rate_units: Option<i64>,
    pub approved_term_months: Option<i64>,
    pub reject_reason_code: Option<String>,
    pub reject_reason: Option<String>,
    pub new_loan_id: Option<i64>,
    pub decided_at: Option<NaiveDateTime>,
    pub updated_at: NaiveDateTime,
    /// Working days from the request to the bank's decision, as the calendar counted them.
    pub decision_working_days: Option<i64>,
}

#[derive(Clone, Debug, Queryable, Selectable, Insertable)]
#[diesel(table_name = renewals)]
pub struct NewRenewal {
    pub loan_id: i64,
    pub bank_id: i64,
    pub enterprise_id: i64,
    pub state: RenewalState,
    pub amount_fen: i64,
    pub term_months: i64,
    pub no_principal_repayment: bool,
    pub note: Option<String>,
    pub respond_by: NaiveDate,
    pub requested_by: i64,
    pub created_at: NaiveDateTime,
}

#[derive(Clone, Debug, Queryable, Selectable)]
#[diesel(table_name = renewal_events)]
pub struct RenewalEventRow {
    pub id: i64,
    pub action: RenewalAction,
    pub from_state: Option<RenewalState>,
    pub to_state: RenewalState,
    pub actor_user_id: i64,
    pub actor_org_id: i64,
    pub note: Option<String>,
    pub created_at: NaiveDateTime,
}

/// Inserts a requested renewal. `Ok(None)`: the loan already has a live one (the partial unique
/// index `renewals_one_live_idx` keeps at most one, whoever races).
pub fn insert(conn: &mut DbConnection, r: &NewRenewal) -> QueryResult<Option<RenewalRow>> {
    super::unless_duplicate(
        crate::on_backend!(conn, c => diesel::insert_into(renewals::table)
        .values((r, renewals::updated_at.eq(r.created_at)))
        .returning(RenewalRow::as_returning())
        .get_result(c)),
    )
}

/// The renewals `scope` may see: like loans (a guarantor sees none).
fn scoped(scope: &Scope) -> renewals::BoxedQuery<'static, super::conn::MultiBackend> {
    let q = renewals::table.into_boxed();
    match scope {
        Scope::Everything => q,
        Scope::Enterprise(id) => q.filter(renewals::enterprise_id.eq(*id)),
        Scope::Bank(id) => q.filter(renewals::bank_id.eq(*id)),
        Scope::Region(p) => q.filter(
            renewals::enterprise_id.eq_any(
                organizations::table
                    .filter(organizations::region_code.like(format!("{p}%")))
                    .select(organizations::id),
            ),
        ),
        Scope::Guarantor(_) | Scope::Nothing => q.filter(renewals::id.lt(0)),
    }
}

pub fn find_visible(
    conn: &mut DbConnection,
    id: i64,
    scope: &Scope,
) -> QueryResult<Option<RenewalRow>> {
    scoped(scope)
        .filter(renewals::id.eq(id))
        .select(RenewalRow::as_select())
        .first(conn)
        .optional()
}

pub struct RenewalFilter {
    pub state: Option<RenewalState>,
    pub loan_id: Option<i64>,
    /// Requested renewals past `respond_by` as of this day (or, with `false`, every other).
    pub overdue: Option<(bool, NaiveDate)>,
    pub after_id: Option<i64>,
    pub limit: i64,
}

pub fn list(
    conn: &mut DbConnection,
    scope: &Scope,
    f: &RenewalFilter,
) -> QueryResult<Vec<RenewalRow>> {
    let mut q = scoped(scope).select(RenewalRow::as_select());
    if let Some(s) = f.state {
        q = q.filter(renewals::state.eq(s));
    }
    if let Some(l) = f.loan_id {
        q = q.filter(renewals::loan_id.eq(l));
    }
    match f.overdue {
        Some((true, today)) => {
            q = q
                .filter(renewals::state.eq(RenewalState::Requested))
                .filter(renewals::respond_by.lt(today))
        }
        Some((false, today)) => {
            q = q.filter(
                renewals::state
                    .ne(RenewalState::Requested)
                    .or(renewals::respond_by.ge(today)),
            )
        }
        None => {}
    }
    if let Some(after) = f.after_id {
        q = q.filter(renewals::id.gt(after));
    }
    q.order(renewals::id.asc()).limit(f.limit + 1).load(conn)
}

/// The renewal row, locked until the transaction ends (see `db::loans::lock` for the order).
pub fn lock(conn: &mut DbConnection, id: i64) -> QueryResult<RenewalRow> {
    match conn {
        DbConnection::Postgres(c) => renewals::table
            .find(id)
            .select(RenewalRow::as_select())
            .for_no_key_update()
            .first(c),
        DbConnection::Sqlite(c) => renewals::table
            .find(id)
            .select(RenewalRow::as_select())
            .first(c),
    }
}

/// What a transition writes besides the state.
#[derive(Default, AsChangeset)]
#[diesel(table_name = renewals)]
pub struct Decision {
    pub approved_amount_fen: Option<i64>,
    pub approved_rate_units: Option<i64>,
    pub approved_term_months: Option<i64>,
    pub reject_reason_code: Option<String>,
    pub reject_reason: Option<String>,
    pub new_loan_id: Option<i64>,
    pub decided_at: Option<NaiveDateTime>,
    pub decision_working_days: Option<i64>,
}

/// Moves the renewal from `from` to `to` if it is still `from`; false if it moved meanwhile.
pub fn transition(
    conn: &mut DbConnection,
    id: i64,
    from: RenewalState,
    to: RenewalState,
    d: &Decision,
    now: NaiveDateTime,
) -> QueryResult<bool> {
    let n = diesel::update(
        renewals::table
            .filter(renewals::id.eq(id))
            .filter(renewals::state.eq(from)),
    )
    .set((renewals::state.eq(to), renewals::updated_at.eq(now), d))
    .execute(conn)?;
    Ok(n == 1)
}

#[allow(clippy::too_many_arguments)]
pub fn record_event(
    conn: &mut DbConnection,
    renewal_id: i64,
    action: RenewalAction,
    from: Option<RenewalState>,
    to: RenewalState,
    actor: (i64, i64),
    note: Option<&str>,
    at: NaiveDateTime,
) -> QueryResult<()> {
    diesel::insert_into(renewal_events::table)
        .values((
            renewal_events::renewal_id.eq(renewal_id),
            renewal_events::action.eq(action),
            renewal_events::from_state.eq(from),
            renewal_events::to_state.eq(to),
            renewal_events::actor_user_id.eq(actor.0),
            renewal_events::actor_org_id.eq(actor.1),
            renewal_events::note.eq(note),
            renewal_events::created_at.eq(at),
        ))
        .execute(conn)?;
    Ok(())
}

pub fn events(conn: &mut DbConnection, renewal_id: i64) -> QueryResult<Vec<RenewalEventRow>> {
    renewal_events::table
        .filter(renewal_events::renewal_id.eq(renewal_id))
        .order(renewal_events::id.asc())
        .select(RenewalEventRow::as_select())
        .load(conn)
}

/// The bank's active renewal (无还本续贷) products: (id, name), by id.
pub fn renewal_products(conn: &mut DbConnection, bank_id: i64) -> QueryResult<Vec<(i64, String)>> {
    use super::schema::products;
    products::table
        .filter(products::bank_id.eq(bank_id))
        .filter(products::product_type.eq("renewal"))
        .filter(products::status.eq("active"))
        .order(products::id.asc())
        .select((products::id, products::name))
        .load(conn)
}
