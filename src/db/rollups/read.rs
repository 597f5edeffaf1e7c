//! Reading cells for the reports: the cells of a fact that cover a plan, whole (`load`) or
//! as plain sums over the regions (`load_counts`). Each adds the deltas still waiting to be
//! folded (`stats_pending`), read by the same statement (`UNION ALL`, one snapshot), so a
//! report counts every committed write whether or not it was folded yet.

use std::collections::HashMap;

use chrono::NaiveDate;
use diesel::prelude::*;

use super::rows::CellRow;
use crate::db::schema::{stats_cells, stats_pending};
use crate::db::DbConnection;
use crate::domain::rollup::{CellKey, Fact, Grain, Measures, Plan};
use crate::domain::scope::Scope;

/// The cell ranges of a plan: whole months, then the edge days.
fn ranges(plan: &Plan) -> Vec<(Grain, NaiveDate, NaiveDate)> {
    let mut ranges: Vec<(Grain, NaiveDate, NaiveDate)> = Vec::new();
    if let Some((a, b)) = plan.months {
        ranges.push((Grain::Month, a, b));
    }
    ranges.extend(plan.days.iter().map(|(a, b)| (Grain::Day, *a, *b)));
    ranges
}

/// The rows of `$table` of `fact` in `dims`, of one grain and period range, in the region
/// `prefix` (None: everywhere), as `$select`.
macro_rules! cells_in {
    ($table:ident, $fact:expr, $dims:expr, $grain:expr, $a:expr, $b:expr, $prefix:expr, $select:expr) => {{
        let q = $table::table
            .filter($table::fact.eq($fact.as_str()))
            .filter($table::dim.eq_any($dims))
            .filter($table::grain.eq($grain.as_str()))
            .filter($table::period.between($a, $b))
            .filter($table::region_code.like(format!("{}%", $prefix.unwrap_or(""))))
            .select($select);
        q
    }};
}

/// Every column of a cell row of `$table`, in `CellRow`'s order.
macro_rules! row_columns {
    ($table:ident) => {
        (
            $table::fact,
            $table::dim,
            $table::group_key,
            $table::grain,
            $table::period,
            $table::region_code,
            $table::n,
            $table::amount_fen,
            $table::first_loan_fen,
            $table::credit_fen,
            $table::rate_amount,
            $table::matched,
            $table::matched_fen,
            $table::with_loan,
            $table::loan_fen,
            $table::enterprises,
            $table::first_loan_enterprises,
            $table::response_times,
            $table::outstanding_fen,
            $table::overdue_fen,
            $table::npl_fen,
            $table::repaid,
            $table::written_off_fen,
            $table::fee_fen,
        )
    };
}

/// The cells of `fact` in `dims` that cover the plan, in the region of `scope` (none at all
/// for a scope without reports), the waiting deltas added: one entry per cell.
pub fn load(
    conn: &mut DbConnection,
    fact: Fact,
    dims: &[&str],
    plan: &Plan,
    scope: &Scope,
) -> QueryResult<Vec<(CellKey, Measures)>> {
    let Some(prefix) = scope.report_region() else {
        return Ok(Vec::new());
    };
    let mut cells: HashMap<CellKey, Measures> = HashMap::new();
    for (grain, a, b) in ranges(plan) {
        let folded = cells_in!(
            stats_cells,
            fact,
            dims,
            grain,
            a,
            b,
            prefix,
            row_columns!(stats_cells)
        );
        let waiting = cells_in!(
            stats_pending,
            fact,
            dims,
            grain,
            a,
            b,
            prefix,
            row_columns!(stats_pending)
        );
        // Two statements would let a fold commit between them and count its deltas twice
        // or never: one query, one snapshot.
        let rows: Vec<CellRow> = crate::on_backend!(conn, c => folded.union_all(waiting).load(c))?;
        for r in rows {
            let (k, m) = r.parse()?;
            match cells.get_mut(&k) {
                Some(have) => have.add(&m),
                None => {
                    cells.insert(k, m);
                }
            }
        }
    }
    Ok(cells.into_iter().collect())
}

/// Like `load`, for figures that are plain sums (`n`, `amount_fen`: match counts and approved
/// amounts): reads only those columns and adds up the regions, so cells come back with region
/// "" and nothing else filled. (Summing here rather than with SQL `GROUP BY`: on PostgreSQL
/// the grouping over text keys cost more than the rows it saved, measured.)
pub fn load_counts(
    conn: &mut DbConnection,
    fact: Fact,
    dims: &[&str],
    plan: &Plan,
    scope: &Scope,
) -> QueryResult<Vec<(CellKey, Measures)>> {
    let Some(region_prefix) = scope.report_region() else {
        return Ok(Vec::new());
    };
    let mut sums: HashMap<(String, String, Grain, NaiveDate), (i64, i64)> = HashMap::new();
    for (grain, a, b) in ranges(plan) {
        let folded = cells_in!(
            stats_cells,
            fact,
            dims,
            grain,
            a,
            b,
            region_prefix,
            (
                stats_cells::dim,
                stats_cells::group_key,
                stats_cells::period,
                stats_cells::n,
                stats_cells::amount_fen,
            )
        );
        let waiting = cells_in!(
            stats_pending,
            fact,
            dims,
            grain,
            a,
            b,
            region_prefix,
            (
                stats_pending::dim,
                stats_pending::group_key,
                stats_pending::period,
                stats_pending::n,
                stats_pending::amount_fen,
            )
        );
        let rows: Vec<(String, String, NaiveDate, i64, i64)> =
            crate::on_backend!(conn, c => folded.union_all(waiting).load(c))?;
        for (dim, group_key, period, n, amount_fen) in rows {
            let e = sums.entry((dim, group_key, grain, period)).or_default();
            e.0 += n;
            e.1 += amount_fen;
        }
    }
    Ok(sums
        .into_iter()
        .map(|((dim, group_key, grain, period), (n, amount_fen))| {
            let key = CellKey {
                fact,
                dim,
                grain,
                period,
                region_code: String::new(),
                group_key,
            };
            let m = Measures {
                n,
                amount_fen,
                ..Measures::default()
            };
            (key, m)
        })
        .collect())
}
