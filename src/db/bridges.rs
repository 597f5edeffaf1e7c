//! Bridge fund storage (SPEC §3.14): funds with their reserved capital, bridges, the atomic
//! reservation and release, conditional state changes, scoped reads and the overdue claim.

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;

use super::schema::{bridge_funds, bridge_loans, organizations};
use super::types::JsonText;
use super::DbConnection;
use crate::domain::bridge::BridgeState;
use crate::domain::scope::Scope;
use crate::domain::subsidy::{PolicyEligibility, Step};

#[derive(Clone, Debug, Queryable, Selectable)]
#[diesel(table_name = bridge_funds)]
pub struct FundRow {
    pub id: i64,
    #[diesel(embed)]
    pub fields: NewFund,
    pub reserved_fen: i64,
}

#[derive(Clone, Debug, Queryable, Selectable, Insertable)]
#[diesel(table_name = bridge_funds)]
pub struct NewFund {
    pub name: String,
    pub capital_fen: i64,
    pub region_prefix: Option<String>,
    pub daily_fee_rate_units: i64,
    pub max_days: i64,
    pub max_amount_fen: i64,
    pub max_share_units: i64,
    pub eligibility: JsonText<PolicyEligibility>,
    pub created_by_org: i64,
    pub created_at: NaiveDateTime,
}

#[derive(Clone, Debug, Queryable, Selectable)]
#[diesel(table_name = bridge_loans)]
pub struct BridgeRow {
    pub id: i64,
    #[diesel(embed)]
    pub fields: NewBridge,
    pub reject_reason: Option<String>,
    pub disbursed_on: Option<NaiveDate>,
    pub due_on: Option<NaiveDate>,
    pub repaid_on: Option<NaiveDate>,
    pub fee_fen: Option<i64>,
    pub fee_breakdown: Option<JsonText<Vec<Step>>>,
    pub updated_at: NaiveDateTime,
}

#[derive(Clone, Debug, Queryable, Selectable, Insertable)]
#[diesel(table_name = bridge_loans)]
pub struct NewBridge {
    pub fund_id: i64,
    pub loan_id: i64,
    pub renewal_id: i64,
    pub enterprise_id: i64,
    pub bank_id: i64,
    pub amount_fen: i64,
    pub days: i64,
    pub state: BridgeState,
    pub created_at: NaiveDateTime,
}

pub fn insert_fund(conn: &mut DbConnection, f: &NewFund) -> QueryResult<FundRow> {
    crate::on_backend!(conn, c => diesel::insert_into(bridge_funds::table)
        .values(f)
        .returning(FundRow::as_returning())
        .get_result(c))
}

pub fn fund(conn: &mut DbConnection, id: i64) -> QueryResult<Option<FundRow>> {
    bridge_funds::table
        .find(id)
        .select(FundRow::as_select())
        .first(conn)
        .optional()
}

/// A page of funds, those overlapping `region` when given.
pub fn funds(
    conn: &mut DbConnection,
    region: Option<&str>,
    after_id: Option<i64>,
    limit: i64,
) -> QueryResult<Vec<FundRow>> {
    let mut q = bridge_funds::table
        .filter(bridge_funds::id.gt(after_id.unwrap_or(0)))
        .into_boxed();
    if let Some(p) = region {
        q = q.filter(super::overlapping_region!(bridge_funds::region_prefix, p));
    }
    q.order(bridge_funds::id.asc())
        .limit(limit + 1)
        .select(FundRow::as_select())
        .load(conn)
}

/// Every fund, by id (a handful: the reports list them whole).
pub fn all_funds(conn: &mut DbConnection) -> QueryResult<Vec<FundRow>> {
    bridge_funds::table
        .order(bridge_funds::id.asc())
        .select(FundRow::as_select())
        .load(conn)
}

/// Reserves `amount_fen` of the fund's capital if it fits: one conditional update, so of
/// concurrent approvals only those that fit succeed, on both backends.
pub fn reserve(conn: &mut DbConnection, fund_id: i64, amount_fen: i64) -> QueryResult<bool> {
    let n = diesel::update(
        bridge_funds::table
            .filter(bridge_funds::id.eq(fund_id))
            .filter((bridge_funds::reserved_fen + amount_fen).le(bridge_funds::capital_fen)),
    )
    .set(bridge_funds::reserved_fen.eq(bridge_funds::reserved_fen + amount_fen))
    .execute(conn)?;
    Ok(n == 1)
}

/// Returns a repaid bridge's principal to the fund.
pub fn release(conn: &mut DbConnection, fund_id: i64, amount_fen: i64) -> QueryResult<()> {
    diesel::update(bridge_funds::table.filter(bridge_funds::id.eq(fund_id)))
        .set(bridge_funds::reserved_fen.eq(bridge_funds::reserved_fen - amount_fen))
        .execute(conn)?;
    Ok(())
}

/// Inserts a requested bridge. `Ok(None)`: its renewal already has a live one (the partial
/// unique index `bridge_loans_one_live_idx` keeps at most one, whoever races).
pub fn insert(conn: &mut DbConnection, b: &NewBridge) -> QueryResult<Option<BridgeRow>> {
    super::unless_duplicate(
        crate::on_backend!(conn, c => diesel::insert_into(bridge_loans::table)
        .values((b, bridge_loans::updated_at.eq(b.created_at)))
        .returning(BridgeRow::as_returning())
        .get_result(c)),
    )
}

/// The bridges `scope` may see: the enterprise its own, a finance office those of its region,
/// a bank those bridging its loans, an admin all.
fn scoped(scope: &Scope) -> bridge_loans::BoxedQuery<'static, super::conn::MultiBackend> {
    let q = bridge_loans::table.into_boxed();
    match scope {
        Scope::Everything => q,
        Scope::Enterprise(id) => q.filter(bridge_loans::enterprise_id.eq(*id)),
        Scope::Bank(id) => q.filter(bridge_loans::bank_id.eq(*id)),
        Scope::Region(p) => q.filter(
            bridge_loans::enterprise_id.eq_any(
                organizations::table
                    .filter(organizations::region_code.like(format!("{p}%")))
                    .select(organizations::id),
            ),
        ),
        Scope::Guarantor(_) | Scope::Nothing => q.filter(bridge_loans::id.lt(0)),
    }
}

pub fn find_visible(
    conn: &mut DbConnection,
    id: i64,
    scope: &Scope,
) -> QueryResult<Option<BridgeRow>> {
    scoped(scope)
        .filter(bridge_loans::id.eq(id))
        .select(BridgeRow::as_select())
        .first(conn)
        .optional()
}

pub fn list(
    conn: &mut DbConnection,
    scope: &Scope,
    state: Option<BridgeState>,
    fund_id: Option<i64>,
    after_id: Option<i64>,
    limit: i64,
) -> QueryResult<Vec<BridgeRow>> {
    let mut q = scoped(scope).select(BridgeRow::as_select());
    if let Some(s) = state {
        q = q.filter(bridge_loans::state.eq(s));
    }
    if let Some(f) = fund_id {
        q = q.filter(bridge_loans::fund_id.eq(f));
    }
    if let Some(a) = after_id {
        q = q.filter(bridge_loans::id.gt(a));
    }
    q.order(bridge_loans::id.asc()).limit(limit + 1).load(conn)
}

/// What a transition writes besides the state.
#[derive(Default, AsChangeset)]
#[diesel(table_name = bridge_loans)]
pub struct BridgeChange {
    pub reject_reason: Option<String>,
    pub disbursed_on: Option<NaiveDate>,
    pub due_on: Option<NaiveDate>,
    pub repaid_on: Option<NaiveDate>,
    pub fee_fen: Option<i64>,
    pub fee_breakdown: Option<JsonText<Vec<Step>>>,
}

/// Moves the bridge from `from` to `to` if it is still `from`.
pub fn transition(
    conn: &mut DbConnection,
    id: i64,
    from: BridgeState,
    to: BridgeState,
    c: &BridgeChange,
    now: NaiveDateTime,
) -> QueryResult<bool> {
    let n = diesel::update(
        bridge_loans::table
            .filter(bridge_loans::id.eq(id))
            .filter(bridge_loans::state.eq(from)),
    )
    .set((
        bridge_loans::state.eq(to),
        bridge_loans::updated_at.eq(now),
        c,
    ))
    .execute(conn)?;
    Ok(n == 1)
}

pub fn reread(conn: &mut DbConnection, id: i64) -> QueryResult<BridgeRow> {
    bridge_loans::table
        .find(id)
        .select(BridgeRow::as_select())
        .first(conn)
}

/// Disbursed bridges due before `today` (still out), oldest first.
pub fn past_due(
    conn: &mut DbConnection,
    today: NaiveDate,
    limit: i64,
) -> QueryResult<Vec<BridgeRow>> {
    bridge_loans::table
        .filter(bridge_loans::state.eq(BridgeState::Disbursed))
        .filter(bridge_loans::due_on.lt(today))
        .order((bridge_loans::due_on.asc(), bridge_loans::id.asc()))
        .limit(limit)
        .select(BridgeRow::as_select())
        .load(conn)
}
