//! Enterprise profiles and qualifications. Scope is applied in every query.

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;

use super::orgs::{EnterpriseRow, OrgRow};
use super::schema::{demands, enterprises, loans, matches, organizations, qualifications};
use super::DbConnection;
use crate::domain::profile::Ownership;
use crate::domain::qualification::{Qualification, QualificationKind, QualificationLevel};
use crate::domain::scope::Scope;

type Boxed = diesel::helper_types::IntoBoxed<
    'static,
    diesel::helper_types::InnerJoin<organizations::table, enterprises::table>,
    super::conn::MultiBackend,
>;

/// The enterprises `scope` may see (`Scope::covers_enterprise`, as a filter).
fn scoped(scope: &Scope) -> Boxed {
    let q = organizations::table
        .inner_join(enterprises::table)
        .into_boxed();
    match scope {
        Scope::Everything => q,
        Scope::Enterprise(id) => q.filter(organizations::id.eq(*id)),
        Scope::Region(prefix) => q.filter(organizations::region_code.like(format!("{prefix}%"))),
        Scope::Bank(_) | Scope::Guarantor(_) | Scope::Nothing => q.filter(organizations::id.lt(0)),
    }
}

pub fn find_visible(
    conn: &mut DbConnection,
    id: i64,
    scope: &Scope,
) -> QueryResult<Option<(OrgRow, EnterpriseRow)>> {
    scoped(scope)
        .filter(organizations::id.eq(id))
        .select((OrgRow::as_select(), EnterpriseRow::as_select()))
        .first(conn)
        .optional()
}

#[derive(Default)]
pub struct EnterpriseFilter {
    pub region_prefix: Option<String>,
    pub industry: Option<String>,
    pub size_class: Option<String>,
    pub has_prior_loan: Option<bool>,
    /// Holds this qualification kind, valid on `today`.
    pub qualification: Option<String>,
    pub today: Option<NaiveDate>,
    pub after_id: Option<i64>,
    pub limit: i64,
}

pub fn list(
    conn: &mut DbConnection,
    scope: &Scope,
    f: &EnterpriseFilter,
) -> QueryResult<Vec<(OrgRow, EnterpriseRow)>> {
    let mut q = scoped(scope).select((OrgRow::as_select(), EnterpriseRow::as_select()));
    if let Some(p) = &f.region_prefix {
        q = q.filter(organizations::region_code.like(format!("{p}%")));
    }
    if let Some(i) = &f.industry {
        q = q.filter(enterprises::industry.eq(i.clone()));
    }
    if let Some(s) = &f.size_class {
        q = q.filter(enterprises::size_class.eq(s.clone()));
    }
    if let Some(h) = f.has_prior_loan {
        q = q.filter(enterprises::has_prior_loan.eq(h));
    }
    if let (Some(kind), Some(today)) = (&f.qualification, f.today) {
        q = q.filter(diesel::dsl::exists(
            qualifications::table
                .filter(qualifications::enterprise_id.eq(organizations::id))
                .filter(qualifications::kind.eq(kind.clone()))
                .filter(qualifications::certified_on.le(today))
                .filter(qualifications::expires_on.ge(today)),
        ));
    }
    if let Some(after) = f.after_id {
        q = q.filter(organizations::id.gt(after));
    }
    q.order(organizations::id.asc())
        .limit(f.limit + 1)
        .load(conn)
}

/// The editable profile of an enterprise.
pub struct ProfileUpdate<'a> {
    pub name: &'a str,
    pub region_code: &'a str,
    pub industry: &'a str,
    pub employees: i64,
    pub annual_revenue_fen: i64,
    pub total_assets_fen: i64,
    pub established_on: NaiveDate,
    pub size_class: &'a str,
    pub ownership: Option<&'a str>,
    pub sector_code: Option<&'a str>,
}

pub fn update_profile(
    conn: &mut DbConnection,
    id: i64,
    u: &ProfileUpdate,
    now: NaiveDateTime,
) -> QueryResult<()> {
    super::catalog::bump_demands(conn, id)?;
    diesel::update(organizations::table.find(id))
        .set((
            organizations::name.eq(u.name),
            organizations::region_code.eq(Some(u.region_code)),
            organizations::updated_at.eq(now),
        ))
        .execute(conn)?;
    diesel::update(enterprises::table.find(id))
        .set((
            enterprises::industry.eq(u.industry),
            enterprises::employees.eq(u.employees),
            enterprises::annual_revenue_fen.eq(u.annual_revenue_fen),
            enterprises::total_assets_fen.eq(u.total_assets_fen),
            enterprises::established_on.eq(u.established_on),
            enterprises::size_class.eq(u.size_class),
            enterprises::ownership.eq(u.ownership),
            enterprises::sector_code.eq(u.sector_code),
            enterprises::updated_at.eq(now),
        ))
        .execute(conn)?;
    Ok(())
}

/// Moves an enterprise to another region (an admin's act): the organization, the region
/// snapshot of every demand, match and loan it has, and their reporting cells, so the old
/// and the new finance office see the same records in their lists, their reports and their
/// claims (which follow the enterprise's region) — and rollups still equal a rebuild.
/// Locks the organization row of an enterprise whose row this transaction will update, in the
/// writers' order (before the catalog counter): writers that share-lock it wait.
pub fn lock_for_update(conn: &mut DbConnection, id: i64) -> QueryResult<()> {
    let q = organizations::table.find(id).select(organizations::id);
    match conn {
        DbConnection::Postgres(c) => q.for_no_key_update().first::<i64>(c)?,
        DbConnection::Sqlite(c) => q.first::<i64>(c)?,
    };
    Ok(())
}

pub fn move_region(conn: &mut DbConnection, id: i64, to: &str) -> QueryResult<()> {
    // Writers share-lock this row while they snapshot the region (`rollups::region_of`).
    let q = organizations::table.find(id).select(organizations::id);
    match conn {
        DbConnection::Postgres(c) => q.for_update().first::<i64>(c)?,
        DbConnection::Sqlite(c) => q.first::<i64>(c)?,
    };
    // Then the catalog counter, before any demand row or report cell (the writers' order).
    super::catalog::bump_demands(conn, id)?;
    // The enterprise's waiting report deltas are in its old region's cells before they move.
    super::rollups::fold(conn, true)?;
    let before = super::rollups::facts_of(conn, id)?;
    diesel::update(organizations::table.find(id))
        .set(organizations::region_code.eq(Some(to)))
        .execute(conn)?;
    diesel::update(demands::table.filter(demands::enterprise_id.eq(id)))
        .set(demands::region_code.eq(to))
        .execute(conn)?;
    diesel::update(matches::table.filter(matches::enterprise_id.eq(id)))
        .set(matches::region_code.eq(to))
        .execute(conn)?;
    diesel::update(loans::table.filter(loans::enterprise_id.eq(id)))
        .set(loans::region_code.eq(to))
        .execute(conn)?;
    let after = super::rollups::facts_of(conn, id)?;
    super::rollups::take_out(conn, before, id)?;
    super::rollups::apply(conn, after)
}

#[derive(Clone, Debug, Queryable, Selectable, Identifiable)]
#[diesel(table_name = qualifications)]
pub struct QualificationRow {
    pub id: i64,
    pub enterprise_id: i64,
    pub kind: QualificationKind,
    pub level: QualificationLevel,
    pub certified_on: NaiveDate,
    pub expires_on: NaiveDate,
    pub certificate_no: String,
    pub created_by: i64,
    pub created_at: NaiveDateTime,
}

impl QualificationRow {
    /// The qualification as the rules see it.
    pub fn to_domain(&self) -> Qualification {
        Qualification {
            kind: self.kind,
            level: self.level,
            certified_on: self.certified_on,
            expires_on: self.expires_on,
        }
    }
}

#[derive(Insertable)]
#[diesel(table_name = qualifications)]
pub struct NewQualification<'a> {
    pub enterprise_id: i64,
    pub kind: QualificationKind,
    pub level: QualificationLevel,
    pub certified_on: NaiveDate,
    pub expires_on: NaiveDate,
    pub certificate_no: &'a str,
    pub created_by: i64,
    pub created_at: NaiveDateTime,
}

/// Serializes qualification writes for one enterprise until the transaction ends, so that a
/// duplicate check followed by an insert cannot race (there is no unique index to fall back
/// on). SQLite already holds the writer lock (`BEGIN IMMEDIATE`); PostgreSQL locks the row —
/// after the catalog counter, which a qualification changes anyway: the lock order every
/// writer keeps (see `db::demands::lock`).
pub fn lock_qualifications(conn: &mut DbConnection, id: i64) -> QueryResult<()> {
    super::catalog::bump_demands(conn, id)?;
    match conn {
        DbConnection::Postgres(c) => {
            enterprises::table
                .find(id)
                .select(enterprises::org_id)
                .for_update()
                .first::<i64>(c)
                .optional()?;
        }
        DbConnection::Sqlite(_) => {}
    }
    Ok(())
}

pub fn qualification_exists(conn: &mut DbConnection, q: &NewQualification) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(
        qualifications::table
            .filter(qualifications::enterprise_id.eq(q.enterprise_id))
            .filter(qualifications::kind.eq(q.kind))
            .filter(qualifications::level.eq(q.level))
            .filter(qualifications::certificate_no.eq(q.certificate_no)),
    ))
    .get_result(conn)
}

pub fn insert_qualification(
    conn: &mut DbConnection,
    q: &NewQualification,
) -> QueryResult<QualificationRow> {
    super::catalog::bump_demands(conn, q.enterprise_id)?;
    crate::on_backend!(conn, c => diesel::insert_into(qualifications::table)
        .values(q)
        .returning(QualificationRow::as_returning())
        .get_result(c))
}

/// Qualifications of one enterprise by id, optionally only those valid on `valid_on`.
pub fn qualifications(
    conn: &mut DbConnection,
    enterprise_id: i64,
    valid_on: Option<NaiveDate>,
    after_id: Option<i64>,
    limit: i64,
) -> QueryResult<Vec<QualificationRow>> {
    let mut q = qualifications::table
        .filter(qualifications::enterprise_id.eq(enterprise_id))
        .select(QualificationRow::as_select())
        .into_boxed();
    if let Some(d) = valid_on {
        q = q
            .filter(qualifications::certified_on.le(d))
            .filter(qualifications::expires_on.ge(d));
    }
    if let Some(after) = after_id {
        q = q.filter(qualifications::id.gt(after));
    }
    q.order(qualifications::id.asc())
        .limit(limit + 1)
        .load(conn)
}

/// Qualification rows of several enterprises, in id order (for views).
pub fn qualification_rows_of(
    conn: &mut DbConnection,
    ids: &[i64],
) -> QueryResult<Vec<QualificationRow>> {
    qualifications::table
        .filter(qualifications::enterprise_id.eq_any(ids.to_vec()))
        .order(qualifications::id.asc())
        .select(QualificationRow::as_select())
        .load(conn)
}

/// Deletes a qualification of `enterprise_id`; 0 rows if it is not that enterprise's.
pub fn delete_qualification(
    conn: &mut DbConnection,
    enterprise_id: i64,
    id: i64,
) -> QueryResult<usize> {
    super::catalog::bump_demands(conn, enterprise_id)?;
    diesel::delete(
        qualifications::table
            .filter(qualifications::id.eq(id))
            .filter(qualifications::enterprise_id.eq(enterprise_id)),
    )
    .execute(conn)
}

/// The profile facts policies read: 所有制 and the GB/T 4754 code.
pub fn policy_profile(
    conn: &mut DbConnection,
    id: i64,
) -> QueryResult<(Option<Ownership>, Option<String>)> {
    Ok(enterprises::table
        .find(id)
        .select((enterprises::ownership, enterprises::sector_code))
        .first(conn)
        .optional()?
        .unwrap_or((None, None)))
}
