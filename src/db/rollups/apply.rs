//! Writing deltas: `apply` appends a write's deltas to `stats_pending` in its transaction (no
//! shared row touched, so concurrent writers never queue on a report cell); `fold` adds the
//! waiting deltas to their cells, a batch at a time, from a background job on every instance
//! (one at a time) and before a region move or a rebuild; `take_out` removes one enterprise's
//! facts. Readers add the deltas still waiting (`read.rs`), so a report is exact the moment a
//! write commits.

use std::collections::BTreeMap;

use diesel::expression::BoxableExpression;
use diesel::prelude::*;
use diesel::upsert::excluded;

use super::rows::{bad, to_err, CellRow, PendingRow};
use crate::db::schema::{stats_cells, stats_pending};
use crate::db::DbConnection;
use crate::domain::rollup::{self, CellKey, Measures, Rollup};

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

/// Appends the deltas of a write to `stats_pending`, in its transaction (one insert).
pub fn apply(conn: &mut DbConnection, rollup: Rollup) -> QueryResult<()> {
    let rows: Vec<PendingRow> = rollup
        .into_cells()
        .map(|(k, m)| PendingRow::new(&k, &m))
        .collect();
    for chunk in rows.chunks(500) {
        crate::on_backend!(conn, c => diesel::insert_into(stats_pending::table)
            .values(chunk)
            .execute(c))?;
    }
    Ok(())
}

/// Whether any delta waits to be folded.
pub fn pending(conn: &mut DbConnection) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(
        stats_pending::table.select(stats_pending::id),
    ))
    .get_result(conn)
}

/// Deltas folded per statement: bounds a fold's memory whatever the backlog.
const FOLD_BATCH: i64 = 5_000;

/// Lets one folder at a time work across instances (PostgreSQL: a transaction-scoped advisory
/// lock; SQLite: its writer lock already does). With `wait`, waits for it; without, false when
/// another folder holds it.
pub(super) fn folding(conn: &mut DbConnection, wait: bool) -> QueryResult<bool> {
    use diesel::sql_types::{BigInt, Bool};
    #[derive(QueryableByName)]
    struct Got {
        #[diesel(sql_type = Bool)]
        got: bool,
    }
    const KEY: i64 = 0x5354_4154_5346_4f4c; // "STATSFOL"
    let DbConnection::Postgres(c) = conn else {
        return Ok(true);
    };
    let sql = if wait {
        "SELECT pg_advisory_xact_lock($1) IS NOT NULL AS got"
    } else {
        "SELECT pg_try_advisory_xact_lock($1) AS got"
    };
    let g: Got = diesel::sql_query(sql)
        .bind::<BigInt, _>(KEY)
        .get_result(c)?;
    Ok(g.got)
}

/// Folds every waiting delta into its cell, in the caller's write transaction; returns how
/// many. Without `wait`, returns 0 at once if another instance is folding.
pub fn fold(conn: &mut DbConnection, wait: bool) -> QueryResult<usize> {
    if !folding(conn, wait)? {
        return Ok(0);
    }
    let mut total = 0;
    loop {
        let ids: Vec<i64> = stats_pending::table
            .select(stats_pending::id)
            .order(stats_pending::id.asc())
            .limit(FOLD_BATCH)
            .load(conn)?;
        // Deleted by id, never by range: a row a writer had not committed when the ids were
        // read is left for the next fold.
        let rows: Vec<PendingRow> = crate::on_backend!(conn, c => diesel::delete(
            stats_pending::table.filter(stats_pending::id.eq_any(&ids)),
        )
        .returning(PendingRow::as_returning())
        .get_results(c))?;
        let n = rows.len();
        let mut r = Rollup::default();
        for row in rows {
            let (k, m) = row.parse()?;
            r.merge(k, &m);
        }
        combine(conn, r, |cell, delta| cell.add(delta))?;
        total += n;
        if (ids.len() as i64) < FOLD_BATCH {
            return Ok(total);
        }
    }
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
            .map(|(k, _)| CellRow::new(k, &Measures::default()))
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
            let (k, m) = r.parse()?;
            sums.insert(k, m);
        }
        let mut rows = Vec::with_capacity(chunk.len());
        for (k, delta) in chunk {
            let m = sums
                .get_mut(k)
                .ok_or_else(|| bad(format!("reporting cell {k:?} vanished")))?;
            op(m, delta);
            rows.push(CellRow::new(k, m));
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
