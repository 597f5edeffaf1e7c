//! Storage of the reporting rollups (`domain::rollup`): applied inside the writer's
//! transaction, read by the reports, rebuilt from the fact tables when asked (after the
//! migration that introduced them, by `finmatch rebuild-stats`, by `seed-demo`).

use std::collections::{BTreeMap, HashMap};

use chrono::{NaiveDate, NaiveDateTime};
use diesel::expression::BoxableExpression;
use diesel::prelude::*;
use diesel::upsert::excluded;
use roaring::RoaringBitmap;

use super::schema::{
    demands, enterprises, loans, matches, organizations, products, qualifications, stats_cells,
    stats_state,
};
use super::DbConnection;
use crate::domain::rollup::{
    self, CellKey, DemandCell, Fact, Grain, LoanFact, MatchFact, Measures, Plan, Rollup,
};

#[derive(Queryable, Selectable, Insertable)]
#[diesel(table_name = stats_cells)]
struct CellRow {
    fact: String,
    dim: String,
    group_key: String,
    grain: String,
    period: NaiveDate,
    region_code: String,
    #[diesel(embed)]
    figures: Figures,
}

/// The stored form of `Measures` (sets serialized, the i128 as decimal text).
#[derive(Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = stats_cells)]
struct Figures {
    n: i64,
    amount_fen: i64,
    first_loan_fen: i64,
    credit_fen: i64,
    rate_amount: String,
    matched: i64,
    matched_fen: i64,
    with_loan: i64,
    loan_fen: i64,
    enterprises: Vec<u8>,
    first_loan_enterprises: Vec<u8>,
    response_times: Vec<u8>,
}

fn bytes(set: &RoaringBitmap) -> Vec<u8> {
    let mut out = Vec::new();
    if !set.is_empty() {
        // Writing to a Vec cannot fail.
        let _ = set.serialize_into(&mut out);
    }
    out
}

fn bad(what: String) -> diesel::result::Error {
    diesel::result::Error::DeserializationError(what.into())
}

fn set(b: &[u8]) -> QueryResult<RoaringBitmap> {
    if b.is_empty() {
        return Ok(RoaringBitmap::new());
    }
    RoaringBitmap::deserialize_from(b).map_err(|e| bad(format!("bad reporting set: {e}")))
}

/// A histogram as LEB128 varints: (value delta, count) pairs in value order.
fn histogram_bytes(h: &BTreeMap<u32, u64>) -> Vec<u8> {
    fn varint(out: &mut Vec<u8>, mut v: u64) {
        while v >= 0x80 {
            out.push((v as u8) | 0x80);
            v >>= 7;
        }
        out.push(v as u8);
    }
    let mut out = Vec::new();
    let mut prev = 0u32;
    for (v, n) in h.iter().filter(|(_, n)| **n > 0) {
        varint(&mut out, u64::from(v - prev));
        varint(&mut out, *n);
        prev = *v;
    }
    out
}

fn histogram(b: &[u8]) -> QueryResult<BTreeMap<u32, u64>> {
    let mut it = b.iter();
    let mut next = || -> Option<u64> {
        let mut v = 0u64;
        for shift in (0..64).step_by(7) {
            let byte = *it.next()?;
            v |= u64::from(byte & 0x7f) << shift;
            if byte & 0x80 == 0 {
                return Some(v);
            }
        }
        None
    };
    let mut out = BTreeMap::new();
    let mut value = 0u64;
    while let Some(delta) = next() {
        value += delta;
        let n = next().ok_or_else(|| bad("truncated histogram".into()))?;
        let v = u32::try_from(value).map_err(|_| bad("bad histogram value".into()))?;
        out.insert(v, n);
    }
    Ok(out)
}

fn figures(m: &Measures) -> Figures {
    Figures {
        n: m.n,
        amount_fen: m.amount_fen,
        first_loan_fen: m.first_loan_fen,
        credit_fen: m.credit_fen,
        rate_amount: m.rate_amount.to_string(),
        matched: m.matched,
        matched_fen: m.matched_fen,
        with_loan: m.with_loan,
        loan_fen: m.loan_fen,
        enterprises: bytes(&m.enterprises),
        first_loan_enterprises: bytes(&m.first_loan_enterprises),
        response_times: histogram_bytes(&m.response_times),
    }
}

fn row(k: &CellKey, m: &Measures) -> CellRow {
    CellRow {
        fact: k.fact.as_str().to_owned(),
        dim: k.dim.clone(),
        group_key: k.group_key.clone(),
        grain: k.grain.as_str().to_owned(),
        period: k.period,
        region_code: k.region_code.clone(),
        figures: figures(m),
    }
}

fn parse(r: CellRow, fact: Fact) -> QueryResult<(CellKey, Measures)> {
    let grain = Grain::parse(&r.grain).ok_or_else(|| bad(format!("bad grain {}", r.grain)))?;
    let f = r.figures;
    let m = Measures {
        n: f.n,
        amount_fen: f.amount_fen,
        first_loan_fen: f.first_loan_fen,
        credit_fen: f.credit_fen,
        rate_amount: f
            .rate_amount
            .parse()
            .map_err(|_| bad(format!("bad rate_amount {}", f.rate_amount)))?,
        matched: f.matched,
        matched_fen: f.matched_fen,
        with_loan: f.with_loan,
        loan_fen: f.loan_fen,
        enterprises: set(&f.enterprises)?,
        first_loan_enterprises: set(&f.first_loan_enterprises)?,
        response_times: histogram(&f.response_times)?,
    };
    let key = CellKey {
        fact,
        dim: r.dim,
        grain,
        period: r.period,
        region_code: r.region_code,
        group_key: r.group_key,
    };
    Ok((key, m))
}

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

/// The cell ranges of a plan: whole months, then the edge days.
fn ranges(plan: &Plan) -> Vec<(Grain, NaiveDate, NaiveDate)> {
    let mut ranges: Vec<(Grain, NaiveDate, NaiveDate)> = Vec::new();
    if let Some((a, b)) = plan.months {
        ranges.push((Grain::Month, a, b));
    }
    ranges.extend(plan.days.iter().map(|(a, b)| (Grain::Day, *a, *b)));
    ranges
}

/// The cells of `fact` in `dims` that cover the plan, in a region (`None`: all regions).
pub fn load(
    conn: &mut DbConnection,
    fact: Fact,
    dims: &[&str],
    plan: &Plan,
    region_prefix: Option<&str>,
) -> QueryResult<Vec<(CellKey, Measures)>> {
    let mut out = Vec::new();
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
    region_prefix: Option<&str>,
) -> QueryResult<Vec<(CellKey, Measures)>> {
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

// ------------------------------------------------------------------ snapshots

/// An organization's region code ("" when it has none). On PostgreSQL the row is share-locked
/// until the writer commits, so an admin's move of the enterprise (`FOR UPDATE`, see
/// `db::enterprises::move_region`) cannot slip between reading the region and storing a
/// record snapshotted with it.
pub fn region_of(conn: &mut DbConnection, org_id: i64) -> QueryResult<String> {
    let q = organizations::table
        .find(org_id)
        .select(organizations::region_code);
    let region: Option<Option<String>> = match conn {
        DbConnection::Postgres(c) => q.for_share().first(c).optional()?,
        DbConnection::Sqlite(c) => q.first(c).optional()?,
    };
    Ok(region.flatten().unwrap_or_default())
}

/// What a record of an enterprise on a product is reported as (统计口径): the enterprise's
/// region, size class and qualification kinds valid `on` that day, and the product's type.
pub struct Snapshot {
    pub region_code: String,
    pub size_class: String,
    /// Sorted, comma-separated ("" for none).
    pub qualification_kinds: String,
    pub product_type: String,
    /// Whether the product lends on credit (信用).
    pub lends_on_credit: bool,
}

pub fn snapshot(
    conn: &mut DbConnection,
    enterprise_id: i64,
    product_id: i64,
    on: NaiveDate,
) -> QueryResult<Snapshot> {
    let size_class = enterprises::table
        .find(enterprise_id)
        .select(enterprises::size_class)
        .first::<String>(conn)
        .optional()?
        .unwrap_or_default();
    let mut kinds: Vec<String> = qualifications::table
        .filter(qualifications::enterprise_id.eq(enterprise_id))
        .filter(qualifications::certified_on.le(on))
        .filter(qualifications::expires_on.ge(on))
        .select(qualifications::kind)
        .load(conn)?;
    kinds.sort();
    kinds.dedup();
    let (product_type, methods) = products::table
        .find(product_id)
        .select((products::product_type, products::guarantee_methods))
        .first::<(String, String)>(conn)
        .optional()?
        .unwrap_or_default();
    Ok(Snapshot {
        region_code: region_of(conn, enterprise_id)?,
        size_class,
        qualification_kinds: kinds.join(","),
        product_type,
        lends_on_credit: methods.contains("\"credit\""),
    })
}

/// What a new loan will be reported as: its snapshot on the disbursement date, and whether it
/// is a 信用贷款 (no guarantee, on a product that lends on credit).
#[allow(clippy::too_many_arguments)]
pub fn loan_fact(
    conn: &mut DbConnection,
    enterprise_id: i64,
    bank_id: i64,
    product_id: i64,
    guaranteed: bool,
    amount_fen: i64,
    rate_units: i64,
    first_loan: bool,
    disbursed_on: NaiveDate,
) -> QueryResult<LoanFact> {
    let s = snapshot(conn, enterprise_id, product_id, disbursed_on)?;
    Ok(LoanFact {
        enterprise_id,
        bank_id,
        region_code: s.region_code,
        size_class: s.size_class,
        qualification_kinds: s.qualification_kinds,
        product_type: s.product_type,
        credit: !guaranteed && s.lends_on_credit,
        amount_fen,
        rate_units,
        first_loan,
        disbursed_on,
    })
}

pub fn demand_cell(region_code: &str, created_at: NaiveDateTime) -> DemandCell {
    DemandCell {
        region_code: region_code.to_owned(),
        created_on: created_at.date(),
    }
}

pub fn match_fact(m: &super::matches::MatchRow) -> MatchFact {
    MatchFact {
        bank_id: m.bank_id,
        response_secs: m.responded_at.map(|r| (r - m.created_at).num_seconds()),
        region_code: m.region_code.clone(),
        created_on: m.created_at.date(),
        state: m.state.clone(),
        respond_by: m.respond_by,
        decide_by: m.decide_by,
        approved_fen: m.approved_amount_fen,
        product_type: m.product_type.clone(),
        size_class: m.size_class.clone(),
        qualification_kinds: m.qualification_kinds.clone(),
    }
}

// ------------------------------------------------------------------ rebuilding

const CHUNK: i64 = 50_000;

fn to_err(e: rollup::IdTooLarge) -> diesel::result::Error {
    bad(e.to_string())
}

/// Recomputes every cell from demands, matches and loans (their snapshot columns).
fn rebuild_in(conn: &mut DbConnection) -> QueryResult<usize> {
    diesel::delete(stats_cells::table).execute(conn)?;
    let r = facts(conn, None)?;
    let rows: Vec<CellRow> = r.into_cells().map(|(k, m)| row(&k, &m)).collect();
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

/// What one enterprise's demands, matches and loans contribute to the cells, counted exactly
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
            String,
            Option<NaiveDate>,
            Option<NaiveDate>,
            Option<i64>,
            (String, String, String),
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
            (String, String, String, String, bool),
            (i64, i64, bool, NaiveDate),
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
            ))
            .load(conn)?;
        let Some(last) = rows.last() else { break };
        after = last.0;
        for (
            _,
            (demand_id, enterprise_id, bank_id),
            (region_code, size_class, qualification_kinds, product_type, credit),
            (amount_fen, rate_units, first_loan, disbursed_on),
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
                },
            )
            .map_err(to_err)?;
            if let Some(c) = cells_of.get(&demand_id) {
                c.loan(&mut r, amount_fen, first_loan_of_demand.insert(demand_id));
            }
        }
    }
    Ok(r)
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

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn histograms_round_trip(h in proptest::collection::btree_map(any::<u32>(), 1u64..u64::MAX, 0..50)) {
            prop_assert_eq!(histogram(&histogram_bytes(&h)).unwrap(), h);
        }
    }

    #[test]
    fn truncated_histograms_are_errors() {
        let b = histogram_bytes(&[(300, 2)].into_iter().collect());
        assert!(histogram(&b[..b.len() - 1]).is_err());
        assert!(histogram(&[]).unwrap().is_empty());
    }
}
