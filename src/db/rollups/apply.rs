//! Applying deltas in the writer's transaction: `apply` adds a rollup to its cells,
//! `take_out` removes one enterprise's facts; both go through `combine`.

use std::collections::BTreeMap;

use diesel::expression::BoxableExpression;
use diesel::prelude::*;
use diesel::upsert::excluded;

use super::rows::{bad, parse, row, to_err, CellRow};
use crate::db::schema::stats_cells;
use crate::db::DbConnection;
use crate::domain::rollup::{self, CellKey, Fact, Measures, Rollup};

/// `WHERE` for the cells with these keys (None for no keys).
macro_rules! cells_where {
    ($keys:expr, $db:ty) => {{
        type Cond<'a> = Box<
            dyn BoxableExpression<stats_cells::table, $db, SqlType = diesel::sql_types::Bool> + 'a,
        >;
        let mut cond: Option<Cond> = None;
        for k in $keys {
            let one: Cond = Box::new(
                stats_cells::fact
                    .eq(k.fact.as_str())
                    .and(stats_cells::dim.eq(&k.dim))
                    .and(stats_cells::grain.eq(k.grain.as_str()))
                    .and(stats_cells::period.eq(k.period))
                    .and(stats_cells::region_code.eq(&k.region_code))
                    .and(stats_cells::group_key.eq(&k.group_key)),
            );
            cond = Some(match cond {
                None => one,
                Some(c) => Box::new(c.or(one)),
            });
        }
        cond
    }};
}

/// Primary-key order: the order PostgreSQL takes the cells' locks in.
macro_rules! key_order {
    () => {
        (
            stats_cells::fact,
            stats_cells::dim,
            stats_cells::grain,
            stats_cells::period,
            stats_cells::region_code,
            stats_cells::group_key,
        )
    };
}

/// Writes whole rows over existing ones.
macro_rules! upsert {
    ($c:expr, $rows:expr) => {
        diesel::insert_into(stats_cells::table)
            .values($rows)
            .on_conflict(key_order!())
            .do_update()
            .set((
                stats_cells::n.eq(excluded(stats_cells::n)),
                stats_cells::amount_fen.eq(excluded(stats_cells::amount_fen)),
                stats_cells::first_loan_fen.eq(excluded(stats_cells::first_loan_fen)),
                stats_cells::credit_fen.eq(excluded(stats_cells::credit_fen)),
                stats_cells::rate_amount.eq(excluded(stats_cells::rate_amount)),
                stats_cells::matched.eq(excluded(stats_cells::matched)),
                stats_cells::matched_fen.eq(excluded(stats_cells::matched_fen)),
                stats_cells::with_loan.eq(excluded(stats_cells::with_loan)),
                stats_cells::loan_fen.eq(excluded(stats_cells::loan_fen)),
                stats_cells::enterprises.eq(excluded(stats_cells::enterprises)),
                stats_cells::first_loan_enterprises
                    .eq(excluded(stats_cells::first_loan_enterprises)),
                stats_cells::response_times.eq(excluded(stats_cells::response_times)),
                stats_cells::outstanding_fen.eq(excluded(stats_cells::outstanding_fen)),
                stats_cells::overdue_fen.eq(excluded(stats_cells::overdue_fen)),
                stats_cells::npl_fen.eq(excluded(stats_cells::npl_fen)),
                stats_cells::repaid.eq(excluded(stats_cells::repaid)),
                stats_cells::written_off_fen.eq(excluded(stats_cells::written_off_fen)),
                stats_cells::fee_fen.eq(excluded(stats_cells::fee_fen)),
            ))
            .execute($c)
    };
}

/// Adds the deltas to their cells. Call once per transaction, after the fact rows are
/// written. Three statements whatever the number of cells: make sure the rows exist, lock and
/// read them (PostgreSQL: `FOR UPDATE`, in key order, so concurrent writers neither lose an
/// update nor deadlock; SQLite already holds the writer lock), write the sums back.
pub fn apply(conn: &mut DbConnection, rollup: Rollup) -> QueryResult<()> {
    combine(conn, rollup, |cell, delta| cell.add(delta))
}

/// Takes one enterprise's facts (`facts_of`) out of their cells: see `Measures::take_out`.
pub fn take_out(conn: &mut DbConnection, rollup: Rollup, enterprise_id: i64) -> QueryResult<()> {
    let id = u32::try_from(enterprise_id).map_err(|_| to_err(rollup::IdTooLarge(enterprise_id)))?;
    combine(conn, rollup, |cell, delta| cell.take_out(delta, id))
}

fn combine(
    conn: &mut DbConnection,
    rollup: Rollup,
    op: impl Fn(&mut Measures, &Measures),
) -> QueryResult<()> {
    let deltas: Vec<(CellKey, Measures)> = rollup.into_cells().collect();
    for chunk in deltas.chunks(500) {
        let zeros: Vec<CellRow> = chunk
            .iter()
            .map(|(k, _)| row(k, &Measures::default()))
            .collect();
        let keys = chunk.iter().map(|(k, _)| k);
        let current: Vec<CellRow> = match conn {
            DbConnection::Postgres(c) => {
                diesel::insert_into(stats_cells::table)
                    .values(&zeros)
                    .on_conflict_do_nothing()
                    .execute(c)?;
                let Some(cond) = cells_where!(keys, diesel::pg::Pg) else {
                    continue;
                };
                stats_cells::table
                    .filter(cond)
                    .select(CellRow::as_select())
                    .order(key_order!())
                    .for_update()
                    .load(c)?
            }
            DbConnection::Sqlite(c) => {
                // In-process: one statement per row costs nothing like a round trip.
                for z in &zeros {
                    diesel::insert_into(stats_cells::table)
                        .values(z)
                        .on_conflict_do_nothing()
                        .execute(c)?;
                }
                let Some(cond) = cells_where!(keys, diesel::sqlite::Sqlite) else {
                    continue;
                };
                stats_cells::table
                    .filter(cond)
                    .select(CellRow::as_select())
                    .load(c)?
            }
        };
        let mut sums: BTreeMap<CellKey, Measures> = BTreeMap::new();
        for r in current {
            let fact = Fact::parse(&r.fact).ok_or_else(|| bad(format!("bad fact {}", r.fact)))?;
            let (k, m) = parse(r, fact)?;
            sums.insert(k, m);
        }
        let mut rows = Vec::with_capacity(chunk.len());
        for (k, delta) in chunk {
            let m = sums
                .get_mut(k)
                .ok_or_else(|| bad(format!("reporting cell {k:?} vanished")))?;
            op(m, delta);
            rows.push(row(k, m));
        }
        match conn {
            DbConnection::Postgres(c) => {
                upsert!(c, &rows)?;
            }
            DbConnection::Sqlite(c) => {
                for r in &rows {
                    upsert!(c, r)?;
                }
            }
        }
    }
    Ok(())
}
