//! Reading cells for the reports: the cells of a fact that cover a plan, whole (`load`) or
//! as plain sums over the regions (`load_counts`).

use std::collections::HashMap;

use chrono::NaiveDate;
use diesel::prelude::*;

use super::rows::{parse, CellRow};
use crate::db::schema::stats_cells;
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

/// The cells of `fact` in `dims` that cover the plan, in the region of `scope` (none at all
/// for a scope without reports).
pub fn load(
    conn: &mut DbConnection,
    fact: Fact,
    dims: &[&str],
    plan: &Plan,
    scope: &Scope,
) -> QueryResult<Vec<(CellKey, Measures)>> {
    let mut out = Vec::new();
    let Some(region_prefix) = scope.report_region() else {
        return Ok(out);
    };
    for (grain, a, b) in ranges(plan) {
        let mut q = stats_cells::table
            .filter(stats_cells::fact.eq(fact.as_str()))
            .filter(stats_cells::dim.eq_any(dims))
            .filter(stats_cells::grain.eq(grain.as_str()))
            .filter(stats_cells::period.between(a, b))
            .select(CellRow::as_select())
            .into_boxed();
        if let Some(p) = region_prefix {
            q = q.filter(stats_cells::region_code.like(format!("{p}%")));
        }
        for r in q.load(conn)? {
            out.push(parse(r, fact)?);
        }
    }
    Ok(out)
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
        let mut q = stats_cells::table
            .filter(stats_cells::fact.eq(fact.as_str()))
            .filter(stats_cells::dim.eq_any(dims))
            .filter(stats_cells::grain.eq(grain.as_str()))
            .filter(stats_cells::period.between(a, b))
            .select((
                stats_cells::dim,
                stats_cells::group_key,
                stats_cells::period,
                stats_cells::n,
                stats_cells::amount_fen,
            ))
            .into_boxed();
        if let Some(p) = region_prefix {
            q = q.filter(stats_cells::region_code.like(format!("{p}%")));
        }
        for (dim, group_key, period, n, amount_fen) in
            q.load::<(String, String, NaiveDate, i64, i64)>(conn)?
        {
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
