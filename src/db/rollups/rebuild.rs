//! Rebuilding every cell from the fact tables (demands, matches, loans and their snapshot
//! columns), and the same count for one enterprise's rows (`facts_of`).

use std::collections::HashMap;

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;

use super::apply::folding;
use super::rows::{to_err, CellRow};
use super::snapshot::{bridge_fact_in, demand_cell, renewal_fact_in};
use crate::db::bridges::BridgeRow;
use crate::db::renewals::RenewalRow;
use crate::db::schema::{
    bridge_loans, demands, loans, matches, renewals, stats_cells, stats_pending, stats_state,
};
use crate::db::DbConnection;
use crate::domain::lifecycle::MatchState;
use crate::domain::product::ProductType;
use crate::domain::rollup::{self, DemandCell, LoanBalance, LoanFact, MatchFact, Rollup};
use crate::domain::servicing::LoanStatus;
use crate::domain::size_class::SizeClass;

const CHUNK: i64 = 50_000;

/// Recomputes every cell from demands, matches, loans, renewals and bridges (their snapshot
/// columns).
fn rebuild_in(conn: &mut DbConnection) -> QueryResult<usize> {
    // The waiting deltas are of facts this transaction reads: they go with the cells.
    folding(conn, true)?;
    diesel::delete(stats_pending::table).execute(conn)?;
    diesel::delete(stats_cells::table).execute(conn)?;
    let r = facts(conn, None)?;
    let rows: Vec<CellRow> = r.into_cells().map(|(k, m)| CellRow::new(&k, &m)).collect();
    let count = rows.len();
    for chunk in rows.chunks(1_000) {
        crate::on_backend!(conn, c => diesel::insert_into(stats_cells::table)
            .values(chunk)
            .execute(c))?;
    }
    diesel::update(stats_state::table.find(1))
        .set(stats_state::built.eq(true))
        .execute(conn)?;
    Ok(count)
}

/// What one enterprise's demands, matches, loans, renewals and bridges contribute to the cells, counted exactly
/// as a rebuild counts them.
pub fn facts_of(conn: &mut DbConnection, enterprise_id: i64) -> QueryResult<Rollup> {
    facts(conn, Some(enterprise_id))
}

/// The cells of the fact tables, or of one enterprise's rows.
fn facts(conn: &mut DbConnection, only: Option<i64>) -> QueryResult<Rollup> {
    // One query shape for both: all enterprises is the whole id range.
    let (lo, hi) = only.map_or((i64::MIN, i64::MAX), |e| (e, e));
    let mut r = Rollup::default();
    let mut cells_of: HashMap<i64, DemandCell> = HashMap::new();
    let mut after = 0i64;
    loop {
        type D = (i64, String, NaiveDateTime, i64, bool, bool);
        let rows: Vec<D> = demands::table
            .filter(demands::id.gt(after))
            .filter(demands::enterprise_id.between(lo, hi))
            .order(demands::id.asc())
            .limit(CHUNK)
            .select((
                demands::id,
                demands::region_code,
                demands::created_at,
                demands::amount_fen,
                demands::matched_at.is_not_null(),
                demands::loaned_at.is_not_null(),
            ))
            .load(conn)?;
        let Some(last) = rows.last() else { break };
        after = last.0;
        for (id, region, created_at, amount, matched, loaned) in rows {
            let c = demand_cell(&region, created_at);
            c.posted(&mut r, amount);
            if matched {
                c.first_matched(&mut r, amount);
            }
            if loaned {
                cells_of.insert(id, c);
            }
        }
    }
    let mut after = 0i64;
    loop {
        type M = (
            (i64, i64, Option<NaiveDateTime>),
            String,
            NaiveDateTime,
            MatchState,
            Option<NaiveDate>,
            Option<NaiveDate>,
            Option<i64>,
            (ProductType, SizeClass, String),
        );
        let rows: Vec<M> = matches::table
            .filter(matches::id.gt(after))
            .filter(matches::enterprise_id.between(lo, hi))
            .order(matches::id.asc())
            .limit(CHUNK)
            .select((
                (matches::id, matches::bank_id, matches::responded_at),
                matches::region_code,
                matches::created_at,
                matches::state,
                matches::respond_by,
                matches::decide_by,
                matches::approved_amount_fen,
                (
                    matches::product_type,
                    matches::size_class,
                    matches::qualification_kinds,
                ),
            ))
            .load(conn)?;
        let Some(last) = rows.last() else { break };
        after = last.0 .0;
        for (
            (_, bank_id, responded_at),
            region_code,
            created_at,
            state,
            respond_by,
            decide_by,
            approved_fen,
            (product_type, size_class, qualification_kinds),
        ) in rows
        {
            rollup::match_made(
                &mut r,
                &MatchFact {
                    bank_id,
                    response_secs: responded_at.map(|t| (t - created_at).num_seconds()),
                    region_code,
                    created_on: created_at.date(),
                    state,
                    respond_by,
                    decide_by,
                    approved_fen,
                    product_type,
                    size_class,
                    qualification_kinds,
                },
            );
        }
    }
    let mut first_loan_of_demand: std::collections::HashSet<i64> = Default::default();
    let mut after = 0i64;
    loop {
        type L = (
            i64,
            (i64, i64, i64),
            (String, SizeClass, String, ProductType, bool),
            (i64, i64, bool, NaiveDate),
            (LoanStatus, i64, i64, Option<i64>),
        );
        let rows: Vec<L> = loans::table
            .filter(loans::id.gt(after))
            .filter(loans::enterprise_id.between(lo, hi))
            .order(loans::id.asc())
            .limit(CHUNK)
            .select((
                loans::id,
                (loans::demand_id, loans::enterprise_id, loans::bank_id),
                (
                    loans::region_code,
                    loans::size_class,
                    loans::qualification_kinds,
                    loans::product_type,
                    loans::credit,
                ),
                (
                    loans::amount_fen,
                    loans::rate_units,
                    loans::first_loan,
                    loans::disbursed_on,
                ),
                (
                    loans::status,
                    loans::outstanding_fen,
                    loans::written_off_fen,
                    loans::renewal_of,
                ),
            ))
            .load(conn)?;
        let Some(last) = rows.last() else { break };
        after = last.0;
        for (
            _,
            (demand_id, enterprise_id, bank_id),
            (region_code, size_class, qualification_kinds, product_type, credit),
            (amount_fen, rate_units, first_loan, disbursed_on),
            (status, outstanding_fen, written_off_fen, renewal_of),
        ) in rows
        {
            rollup::loan_disbursed(
                &mut r,
                &LoanFact {
                    enterprise_id,
                    bank_id,
                    region_code,
                    size_class,
                    qualification_kinds,
                    product_type,
                    credit,
                    amount_fen,
                    rate_units,
                    first_loan,
                    disbursed_on,
                    balance: LoanBalance {
                        status,
                        outstanding_fen,
                        written_off_fen,
                    },
                },
            )
            .map_err(to_err)?;
            // A renewal loan (§3.13) refinances a loan already counted: it is no new money
            // for the demand.
            if renewal_of.is_some() {
                continue;
            }
            if let Some(c) = cells_of.get(&demand_id) {
                c.loan(&mut r, amount_fen, first_loan_of_demand.insert(demand_id));
            }
        }
    }
    renewal_facts(conn, &mut r, (lo, hi))?;
    bridge_facts(conn, &mut r, (lo, hi))?;
    Ok(r)
}

/// Renewals of the enterprises `lo..=hi`, each in its loan's region.
fn renewal_facts(conn: &mut DbConnection, r: &mut Rollup, (lo, hi): (i64, i64)) -> QueryResult<()> {
    // Renewals decided before their working days were kept: counted with today's calendar.
    let mut calendar = None;
    let mut after = 0i64;
    loop {
        let rows: Vec<(RenewalRow, String)> = renewals::table
            .inner_join(loans::table.on(loans::id.eq(renewals::loan_id)))
            .filter(renewals::id.gt(after))
            .filter(renewals::enterprise_id.between(lo, hi))
            .order(renewals::id.asc())
            .limit(CHUNK)
            .select((RenewalRow::as_select(), loans::region_code))
            .load(conn)?;
        let Some(last) = rows.last() else { break };
        after = last.0.id;
        for (mut row, region) in rows {
            if let (None, Some(at)) = (row.decision_working_days, row.decided_at) {
                let c = match &calendar {
                    Some(c) => c,
                    None => calendar.insert(crate::db::calendar::load(
                        conn,
                        NaiveDate::from_ymd_opt(2000, 1, 1).unwrap_or_default(),
                        NaiveDate::from_ymd_opt(2099, 1, 1).unwrap_or_default(),
                    )?),
                };
                row.decision_working_days = Some(
                    c.working_days_between(row.fields.created_at.date(), at.date())
                        .into(),
                );
            }
            rollup::renewal_made(r, &renewal_fact_in(region, &row));
        }
    }
    Ok(())
}

/// Bridges lent to the enterprises `lo..=hi`, each in its loan's region.
fn bridge_facts(conn: &mut DbConnection, r: &mut Rollup, (lo, hi): (i64, i64)) -> QueryResult<()> {
    let mut after = 0i64;
    loop {
        let rows: Vec<(BridgeRow, String)> = bridge_loans::table
            .inner_join(loans::table.on(loans::id.eq(bridge_loans::loan_id)))
            .filter(bridge_loans::id.gt(after))
            .filter(bridge_loans::enterprise_id.between(lo, hi))
            .order(bridge_loans::id.asc())
            .limit(CHUNK)
            .select((BridgeRow::as_select(), loans::region_code))
            .load(conn)?;
        let Some(last) = rows.last() else { break };
        after = last.0.id;
        for (row, region) in rows {
            rollup::bridge_made(r, &bridge_fact_in(region, &row));
        }
    }
    Ok(())
}

/// Rebuilds every cell in one transaction; returns the number of cells.
pub fn rebuild(conn: &mut DbConnection) -> QueryResult<usize> {
    conn.write_transaction(rebuild_in)
}

/// Builds the cells if they have never been built (once, even with several instances
/// starting together on one PostgreSQL). True when it built them.
pub fn ensure_built(conn: &mut DbConnection) -> QueryResult<bool> {
    conn.write_transaction(|conn| {
        let built: bool = match conn {
            DbConnection::Postgres(c) => stats_state::table
                .find(1)
                .select(stats_state::built)
                .for_update()
                .first(c)?,
            DbConnection::Sqlite(c) => stats_state::table
                .find(1)
                .select(stats_state::built)
                .first(c)?,
        };
        if built {
            return Ok(false);
        }
        rebuild_in(conn)?;
        Ok(true)
    })
}

/// How many report cells there are (deltas still waiting to be folded not counted).
pub fn cell_count(conn: &mut DbConnection) -> QueryResult<usize> {
    let n: i64 = stats_cells::table.count().get_result(conn)?;
    Ok(n as usize)
}
