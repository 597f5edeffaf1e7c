//! Organizations and enterprise profiles.

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;

use super::schema::{enterprises, organizations};
use super::DbConnection;
use crate::domain::org::OrgKind;
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

/// The region a finance office supervises (its `region_code`, a 2-, 4- or 6-digit prefix),
/// or `None` when `org_id` is no finance office or has none. The one lookup every scope of a
/// finance office starts from.
pub fn supervised_region(conn: &mut DbConnection, org_id: i64) -> QueryResult<Option<String>> {
    Ok(find(conn, org_id)?
        .filter(|o| o.kind == OrgKind::FinanceOffice)
        .and_then(|o| o.region_code))
}

pub fn credit_code_taken(conn: &mut DbConnection, code: &str) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(
        organizations::table.filter(organizations::credit_code.eq(code)),
    ))
    .get_result(conn)
}

/// Which organizations a caller may see. Banks, guarantors and finance offices are public
/// institutions; an enterprise is visible to itself, to finance offices whose region covers it,
/// and to the platform operator.
#[derive(Clone, Debug)]
pub enum OrgScope {
    All,
    Caller {
        own_org: i64,
        region_prefix: Option<String>,
    },
}

/// The scope of a caller: admins see everything, finance offices their region.
pub fn scope_for(conn: &mut DbConnection, org_id: i64, is_admin: bool) -> QueryResult<OrgScope> {
    if is_admin {
        return Ok(OrgScope::All);
    }
    let region_prefix = supervised_region(conn, org_id)?;
    Ok(OrgScope::Caller {
        own_org: org_id,
        region_prefix,
    })
}

fn scoped(scope: &OrgScope) -> organizations::BoxedQuery<'static, super::conn::MultiBackend> {
    let q = organizations::table.into_boxed();
    match scope {
        OrgScope::All => q,
        OrgScope::Caller {
            own_org,
            region_prefix,
        } => {
            let public = organizations::kind.eq_any(["bank", "guarantor", "finance_office"]);
            let own = organizations::id.eq(*own_org);
            match region_prefix {
                Some(prefix) => q.filter(
                    public.or(own).or(organizations::kind
                        .eq("enterprise")
                        .and(organizations::region_code.like(format!("{prefix}%")))),
                ),
                None => q.filter(public.or(own)),
            }
        }
    }
}

pub fn find_visible(
    conn: &mut DbConnection,
    id: i64,
    scope: &OrgScope,
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
pub fn list(conn: &mut DbConnection, scope: &OrgScope, f: &OrgFilter) -> QueryResult<Vec<OrgRow>> {
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

/// Which enterprises (and, through them, their demands, matches and loans) a caller may see.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum EnterpriseScope {
    /// The platform operator.
    All,
    /// An enterprise sees itself.
    Own(i64),
    /// A finance office sees enterprises whose region code starts with its prefix.
    Region(String),
    /// Banks and guarantors see no enterprise directly (they see matches and loans instead).
    Nothing,
}

impl EnterpriseScope {
    pub fn covers(&self, enterprise_id: i64, region_code: &str) -> bool {
        match self {
            EnterpriseScope::All => true,
            EnterpriseScope::Own(id) => *id == enterprise_id,
            EnterpriseScope::Region(prefix) => region_code.starts_with(prefix.as_str()),
            EnterpriseScope::Nothing => false,
        }
    }
}

/// The enterprise scope of a caller from its organization (finance offices: their region).
pub fn enterprise_scope(
    conn: &mut DbConnection,
    org_id: i64,
    role: crate::domain::org::Role,
) -> QueryResult<EnterpriseScope> {
    use crate::domain::org::Role;
    Ok(match role {
        Role::Admin => EnterpriseScope::All,
        Role::Enterprise => EnterpriseScope::Own(org_id),
        Role::FinanceOffice => match supervised_region(conn, org_id)? {
            Some(prefix) => EnterpriseScope::Region(prefix),
            None => EnterpriseScope::Nothing,
        },
        Role::Bank | Role::Guarantor => EnterpriseScope::Nothing,
    })
}

/// A bank recorded a disbursement: the enterprise is no longer a 首贷 candidate.
pub fn set_has_prior_loan(
    conn: &mut DbConnection,
    org_id: i64,
    now: NaiveDateTime,
) -> QueryResult<()> {
    super::catalog::bump_demands(conn)?;
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
