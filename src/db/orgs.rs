//! Organizations and enterprise profiles.

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;

use super::schema::{enterprises, organizations};
use super::DbConnection;
use crate::domain::org::OrgKind;
use crate::domain::profile::Ownership;
use crate::domain::scope::Scope;
use crate::domain::size_class::{Industry, SizeClass};

#[derive(Clone, Debug, Queryable, Selectable, Identifiable)]
#[diesel(table_name = organizations)]
pub struct OrgRow {
    pub id: i64,
    pub kind: OrgKind,
    pub name: String,
    pub credit_code: Option<String>,
    pub region_code: Option<String>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

#[derive(Insertable)]
#[diesel(table_name = organizations)]
pub struct NewOrg<'a> {
    pub kind: OrgKind,
    pub name: &'a str,
    pub credit_code: Option<&'a str>,
    pub region_code: Option<&'a str>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

#[derive(Clone, Debug, Queryable, Selectable, Insertable)]
#[diesel(table_name = enterprises)]
pub struct EnterpriseRow {
    pub org_id: i64,
    pub industry: Industry,
    pub employees: i64,
    pub annual_revenue_fen: i64,
    pub total_assets_fen: i64,
    pub established_on: NaiveDate,
    pub has_prior_loan: bool,
    pub size_class: SizeClass,
    pub updated_at: NaiveDateTime,
    pub ownership: Option<Ownership>,
    pub sector_code: Option<String>,
}

pub fn insert(conn: &mut DbConnection, new: &NewOrg) -> QueryResult<OrgRow> {
    crate::on_backend!(conn, c => diesel::insert_into(organizations::table)
        .values(new)
        .returning(OrgRow::as_returning())
        .get_result(c))
}

pub fn insert_enterprise(conn: &mut DbConnection, row: &EnterpriseRow) -> QueryResult<()> {
    diesel::insert_into(enterprises::table)
        .values(row)
        .execute(conn)?;
    Ok(())
}

pub fn find(conn: &mut DbConnection, id: i64) -> QueryResult<Option<OrgRow>> {
    organizations::table
        .find(id)
        .select(OrgRow::as_select())
        .first(conn)
        .optional()
}

pub fn find_enterprise(conn: &mut DbConnection, org_id: i64) -> QueryResult<Option<EnterpriseRow>> {
    enterprises::table
        .find(org_id)
        .select(EnterpriseRow::as_select())
        .first(conn)
        .optional()
}

pub fn credit_code_taken(conn: &mut DbConnection, code: &str) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(
        organizations::table.filter(organizations::credit_code.eq(code)),
    ))
    .get_result(conn)
}

/// The organizations `scope` may see. Banks, guarantors and finance offices are public
/// institutions; an enterprise is visible to itself, to finance offices whose region covers it,
/// and to the platform operator.
fn scoped(scope: &Scope) -> organizations::BoxedQuery<'static, super::conn::MultiBackend> {
    let q = organizations::table.into_boxed();
    let public =
        organizations::kind.eq_any([OrgKind::Bank, OrgKind::Guarantor, OrgKind::FinanceOffice]);
    match scope {
        Scope::Everything => q,
        Scope::Region(prefix) => q.filter(
            public.or(organizations::kind
                .eq(OrgKind::Enterprise)
                .and(organizations::region_code.like(format!("{prefix}%")))),
        ),
        Scope::Enterprise(own) => q.filter(public.or(organizations::id.eq(*own))),
        Scope::Bank(_) | Scope::Guarantor(_) | Scope::Nothing => q.filter(public),
    }
}

pub fn find_visible(
    conn: &mut DbConnection,
    id: i64,
    scope: &Scope,
) -> QueryResult<Option<OrgRow>> {
    scoped(scope)
        .filter(organizations::id.eq(id))
        .select(OrgRow::as_select())
        .first(conn)
        .optional()
}

#[derive(Default)]
pub struct OrgFilter {
    pub kind: Option<String>,
    /// Organizations whose region code starts with this (digits only, validated by the caller).
    pub region_prefix: Option<String>,
    pub after_id: Option<i64>,
    pub limit: i64,
}

/// Lists by ascending id; fetches `limit + 1` rows so the caller knows whether more exist.
pub fn list(conn: &mut DbConnection, scope: &Scope, f: &OrgFilter) -> QueryResult<Vec<OrgRow>> {
    let mut q = scoped(scope).select(OrgRow::as_select());
    if let Some(kind) = &f.kind {
        q = q.filter(organizations::kind.eq(kind.clone()));
    }
    if let Some(prefix) = &f.region_prefix {
        q = q.filter(organizations::region_code.like(format!("{prefix}%")));
    }
    if let Some(after) = f.after_id {
        q = q.filter(organizations::id.gt(after));
    }
    q.order(organizations::id.asc())
        .limit(f.limit + 1)
        .load(conn)
}

/// Enterprise profiles for a set of organizations.
pub fn enterprises_of(conn: &mut DbConnection, ids: &[i64]) -> QueryResult<Vec<EnterpriseRow>> {
    enterprises::table
        .filter(enterprises::org_id.eq_any(ids))
        .select(EnterpriseRow::as_select())
        .load(conn)
}

/// A bank recorded a disbursement: the enterprise is no longer a 首贷 candidate.
pub fn set_has_prior_loan(
    conn: &mut DbConnection,
    org_id: i64,
    now: NaiveDateTime,
) -> QueryResult<()> {
    super::catalog::bump_demands(conn, org_id)?;
    diesel::update(
        enterprises::table
            .find(org_id)
            .filter(enterprises::has_prior_loan.eq(false)),
    )
    .set((
        enterprises::has_prior_loan.eq(true),
        enterprises::updated_at.eq(now),
    ))
    .execute(conn)?;
    Ok(())
}

/// Names of the organizations of one kind, by id (labels for reports).
pub fn names_of_kind(
    conn: &mut DbConnection,
    kind: &str,
) -> QueryResult<std::collections::HashMap<i64, String>> {
    Ok(organizations::table
        .filter(organizations::kind.eq(kind))
        .select((organizations::id, organizations::name))
        .load::<(i64, String)>(conn)?
        .into_iter()
        .collect())
}

/// Region codes of the organizations of one kind, by id ("" when unset).
pub fn regions_of_kind(
    conn: &mut DbConnection,
    kind: &str,
) -> QueryResult<std::collections::HashMap<i64, String>> {
    Ok(organizations::table
        .filter(organizations::kind.eq(kind))
        .select((organizations::id, organizations::region_code))
        .load::<(i64, Option<String>)>(conn)?
        .into_iter()
        .map(|(id, r)| (id, r.unwrap_or_default()))
        .collect())
}
