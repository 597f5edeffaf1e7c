//! Financing demands. Scope is applied here, in the query, through the owning enterprise.

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;

use super::schema::{demands, organizations};
use super::types::JsonText;
use super::DbConnection;
use crate::domain::demand::Purpose;
use crate::domain::demand::{DemandEvent, DemandStatus};
use crate::domain::product::{GuaranteeMethod, ProductType};
use crate::domain::rollup::{DemandCell, Rollup};
use crate::domain::scope::Scope;

#[derive(Clone, Debug, Queryable, Selectable, Identifiable)]
#[diesel(table_name = demands)]
pub struct DemandRow {
    pub id: i64,
    pub enterprise_id: i64,
    pub amount_fen: i64,
    pub term_months: i64,
    pub purpose: Purpose,
    pub guarantee_methods: JsonText<Vec<GuaranteeMethod>>,
    pub max_rate_units: Option<i64>,
    pub preferred_product_types: JsonText<Vec<ProductType>>,
    pub needed_by: Option<NaiveDate>,
    pub description: String,
    pub status: DemandStatus,
    pub closed_at: Option<NaiveDateTime>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    pub region_code: String,
    pub matched_at: Option<NaiveDateTime>,
    pub loaned_at: Option<NaiveDateTime>,
}

impl DemandRow {
    /// Where its reporting figures live.
    pub fn cell(&self) -> DemandCell {
        super::rollups::demand_cell(&self.region_code, self.created_at)
    }
}

#[derive(Insertable, AsChangeset)]
#[diesel(table_name = demands)]
pub struct DemandFields {
    pub amount_fen: i64,
    pub term_months: i64,
    pub purpose: Purpose,
    pub guarantee_methods: JsonText<Vec<GuaranteeMethod>>,
    #[diesel(treat_none_as_null = true)]
    pub max_rate_units: Option<i64>,
    pub preferred_product_types: JsonText<Vec<ProductType>>,
    #[diesel(treat_none_as_null = true)]
    pub needed_by: Option<NaiveDate>,
    pub description: String,
}

/// Posts a demand, snapshotting the enterprise's region for reporting.
pub fn insert(
    conn: &mut DbConnection,
    enterprise_id: i64,
    fields: &DemandFields,
    now: NaiveDateTime,
    r: &mut Rollup,
) -> QueryResult<DemandRow> {
    // Lock order: the organization row (`region_of`) before the catalog counter, as every
    // writer takes them (a region move holds the first and then bumps the second).
    let region = super::rollups::region_of(conn, enterprise_id)?;
    super::catalog::bump_demands(conn, enterprise_id)?;
    let row = crate::on_backend!(conn, c => diesel::insert_into(demands::table)
        .values((
            fields,
            demands::enterprise_id.eq(enterprise_id),
            demands::status.eq(DemandStatus::Open.as_str()),
            demands::created_at.eq(now),
            demands::updated_at.eq(now),
            demands::region_code.eq(region),
        ))
        .returning(DemandRow::as_returning())
        .get_result(c))?;
    row.cell().posted(r, row.amount_fen);
    Ok(row)
}

/// Reads a demand and, on PostgreSQL, locks it until the transaction ends (SQLite already
/// holds the writer lock), so that figures derived from it cannot go stale. `FOR NO KEY
/// UPDATE`: a match inserted beside it holds the foreign-key share lock, which this must not
/// wait for.
///
/// Lock order of every writer of an enterprise's records: its organization row
/// (`db::rollups::hold_region`), the catalog counter (`db::catalog::bump_demands`), the
/// demand, match and loan rows, and last the report cells.
pub fn lock(conn: &mut DbConnection, id: i64) -> QueryResult<Option<DemandRow>> {
    match conn {
        DbConnection::Postgres(c) => demands::table
            .find(id)
            .select(DemandRow::as_select())
            .for_no_key_update()
            .first(c)
            .optional(),
        DbConnection::Sqlite(c) => demands::table
            .find(id)
            .select(DemandRow::as_select())
            .first(c)
            .optional(),
    }
}

/// Records the first match of a demand (later ones change nothing).
pub fn mark_matched(
    conn: &mut DbConnection,
    id: i64,
    now: NaiveDateTime,
    r: &mut Rollup,
) -> QueryResult<()> {
    let first = diesel::update(
        demands::table
            .filter(demands::id.eq(id))
            .filter(demands::matched_at.is_null()),
    )
    .set(demands::matched_at.eq(Some(now)))
    .execute(conn)?
        == 1;
    if first {
        if let Some(d) = lock(conn, id)? {
            d.cell().first_matched(r, d.amount_fen);
        }
    }
    Ok(())
}

/// Records a loan of `amount_fen` disbursed on a demand.
pub fn mark_loaned(
    conn: &mut DbConnection,
    id: i64,
    amount_fen: i64,
    now: NaiveDateTime,
    r: &mut Rollup,
) -> QueryResult<()> {
    let first = diesel::update(
        demands::table
            .filter(demands::id.eq(id))
            .filter(demands::loaned_at.is_null()),
    )
    .set(demands::loaned_at.eq(Some(now)))
    .execute(conn)?
        == 1;
    if let Some(d) = lock(conn, id)? {
        d.cell().loan(r, amount_fen, first);
    }
    Ok(())
}

type Boxed<'a> = diesel::helper_types::IntoBoxed<
    'a,
    diesel::helper_types::InnerJoin<demands::table, organizations::table>,
    super::conn::MultiBackend,
>;

/// Demands of the enterprises in `scope`.
fn scoped(scope: &Scope) -> Boxed<'static> {
    let q = demands::table.inner_join(organizations::table).into_boxed();
    match scope {
        Scope::Everything => q,
        Scope::Enterprise(id) => q.filter(demands::enterprise_id.eq(*id)),
        Scope::Region(prefix) => q.filter(organizations::region_code.like(format!("{prefix}%"))),
        Scope::Bank(_) | Scope::Guarantor(_) | Scope::Nothing => q.filter(demands::id.lt(0)),
    }
}

/// A demand and its enterprise's name, if visible in `scope`.
pub fn find_visible(
    conn: &mut DbConnection,
    id: i64,
    scope: &Scope,
) -> QueryResult<Option<(DemandRow, String)>> {
    scoped(scope)
        .filter(demands::id.eq(id))
        .select((DemandRow::as_select(), organizations::name))
        .first(conn)
        .optional()
}

#[derive(Default)]
pub struct DemandFilter {
    pub status: Option<DemandStatus>,
    pub purpose: Option<String>,
    pub enterprise_id: Option<i64>,
    pub region_prefix: Option<String>,
    pub after_id: Option<i64>,
    pub limit: i64,
}

/// Lists by ascending id (`limit + 1` rows). `status` filters on the effective status, so a
/// live demand past `needed_by` counts as expired.
pub fn list(
    conn: &mut DbConnection,
    scope: &Scope,
    f: &DemandFilter,
    today: NaiveDate,
) -> QueryResult<Vec<(DemandRow, String)>> {
    let mut q = scoped(scope).select((DemandRow::as_select(), organizations::name));
    let live: Vec<&str> = DemandStatus::ALL
        .iter()
        .filter(|s| s.is_live())
        .map(|s| s.as_str())
        .collect();
    match f.status {
        Some(s @ (DemandStatus::Open | DemandStatus::InProgress)) => {
            q = q.filter(demands::status.eq(s.as_str())).filter(
                demands::needed_by
                    .is_null()
                    .or(demands::needed_by.ge(today)),
            );
        }
        Some(DemandStatus::Expired) => {
            q = q.filter(
                demands::status.eq("expired").or(demands::status
                    .eq_any(live)
                    .and(demands::needed_by.lt(today))),
            );
        }
        Some(s) => q = q.filter(demands::status.eq(s.as_str())),
        None => {}
    }
    if let Some(p) = &f.purpose {
        q = q.filter(demands::purpose.eq(p.clone()));
    }
    if let Some(e) = f.enterprise_id {
        q = q.filter(demands::enterprise_id.eq(e));
    }
    if let Some(prefix) = &f.region_prefix {
        q = q.filter(organizations::region_code.like(format!("{prefix}%")));
    }
    if let Some(after) = f.after_id {
        q = q.filter(demands::id.gt(after));
    }
    q.order(demands::id.asc()).limit(f.limit + 1).load(conn)
}

/// Updates the fields of an open demand of `enterprise_id`; 0 rows when it is not (any longer)
/// open or not that enterprise's.
pub fn update_open(
    conn: &mut DbConnection,
    id: i64,
    enterprise_id: i64,
    fields: &DemandFields,
    now: NaiveDateTime,
    r: &mut Rollup,
) -> QueryResult<usize> {
    super::catalog::bump_demands(conn, enterprise_id)?;
    let old = lock(conn, id)?;
    let n = diesel::update(
        demands::table
            .filter(demands::id.eq(id))
            .filter(demands::enterprise_id.eq(enterprise_id))
            .filter(demands::status.eq(DemandStatus::Open.as_str())),
    )
    .set((fields, demands::updated_at.eq(now)))
    .execute(conn)?;
    if let (1, Some(old)) = (n, old) {
        old.cell().amount_changed(
            r,
            old.amount_fen,
            fields.amount_fen,
            old.matched_at.is_some(),
        );
    }
    Ok(n)
}

/// Moves a live demand of `enterprise_id` to `closed`; 0 rows when it is not live.
pub fn close(
    conn: &mut DbConnection,
    id: i64,
    enterprise_id: i64,
    now: NaiveDateTime,
) -> QueryResult<usize> {
    super::catalog::bump_demands(conn, enterprise_id)?;
    diesel::update(
        demands::table
            .filter(demands::id.eq(id))
            .filter(demands::enterprise_id.eq(enterprise_id))
            .filter(demands::status.eq_any(sources(DemandEvent::Closed))),
    )
    .set((
        demands::status.eq(target(DemandEvent::Closed)),
        demands::closed_at.eq(Some(now)),
        demands::updated_at.eq(now),
    ))
    .execute(conn)
}

/// Matching already leaves these out (it reads `needed_by`), so the catalog is not bumped.
/// Writes down the expiry of live demands past `needed_by` (readers already see it).
pub fn expire_due(
    conn: &mut DbConnection,
    today: NaiveDate,
    now: NaiveDateTime,
) -> QueryResult<usize> {
    diesel::update(
        demands::table
            .filter(demands::status.eq_any(sources(DemandEvent::NeededByPassed)))
            .filter(demands::needed_by.lt(today)),
    )
    .set((
        demands::status.eq(target(DemandEvent::NeededByPassed)),
        demands::updated_at.eq(now),
    ))
    .execute(conn)
}

/// The stored statuses `event` applies to.
fn sources(event: DemandEvent) -> Vec<&'static str> {
    DemandStatus::moved_by(event)
        .into_iter()
        .map(DemandStatus::as_str)
        .collect()
}

/// Where `event` leads (the same status from every source in the diagram).
fn target(event: DemandEvent) -> &'static str {
    DemandStatus::moved_by(event)
        .first()
        .and_then(|s| s.after(event))
        .map_or("", DemandStatus::as_str)
}

/// Moves demand `id` (of `enterprise_id`) by `event` if its stored status allows it
/// (`domain::demand`); the number of rows moved (0: the diagram has no arrow from where it is).
pub fn apply_event(
    conn: &mut DbConnection,
    id: i64,
    enterprise_id: i64,
    event: DemandEvent,
    now: NaiveDateTime,
) -> QueryResult<usize> {
    super::catalog::bump_demands(conn, enterprise_id)?;
    diesel::update(
        demands::table
            .filter(demands::id.eq(id))
            .filter(demands::status.eq_any(sources(event))),
    )
    .set((
        demands::status.eq(target(event)),
        demands::updated_at.eq(now),
    ))
    .execute(conn)
}

/// A demand's purpose (every loan has the demand it fulfilled).
pub fn purpose(conn: &mut DbConnection, id: i64) -> QueryResult<Option<Purpose>> {
    demands::table
        .find(id)
        .select(demands::purpose)
        .first(conn)
        .optional()
}
