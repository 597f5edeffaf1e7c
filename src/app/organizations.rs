//! Organizations (SPEC §3.1): admins create banks, guarantors and finance offices;
//! enterprises register themselves (`app::session::register`).

use crate::app::clock;
use std::collections::HashMap;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::caller::Caller;
use super::effects::Receipt;
use super::error::{AppError, AppResult, ProblemCode, Validator};
use super::views::{OrganizationView, UserView};
pub use crate::db::orgs::OrgFilter;
use crate::db::{orgs, users, DbConnection};
use crate::domain::credit_code::CreditCode;
use crate::domain::org::{CreatableKind, OrgKind, Role};
use crate::domain::region;

#[derive(Debug, Deserialize, Serialize, ToSchema)]
pub struct CreateOrganization {
    pub kind: CreatableKind,
    #[schema(example = "青岛银行", min_length = 1, max_length = 200)]
    pub name: String,
    /// 统一社会信用代码 (optional; checksum verified when given).
    #[schema(pattern = "^[0-9A-HJ-NPQRTUWXYa-hj-npqrtuwxy]{18}$")]
    pub credit_code: Option<String>,
    /// A finance office's scope prefix (2, 4 or 6 digits, required); otherwise a 6-digit
    /// 行政区划代码 (optional).
    #[schema(example = "3702", pattern = "^[0-9]{2}([0-9]{2}){0,2}$")]
    pub region_code: Option<String>,
}

fn validate_create(b: &CreateOrganization) -> AppResult<Option<CreditCode>> {
    let mut v = Validator::default();
    v.name("name", &b.name);
    match (b.kind, b.region_code.as_deref()) {
        (CreatableKind::FinanceOffice, None) => v.push(
            "region_code",
            "is required for a finance office (its scope prefix)",
        ),
        (CreatableKind::FinanceOffice, Some(r)) => {
            v.check(
                region::is_region_prefix(r),
                "region_code",
                "must be 2, 4 or 6 digits (province, city or district)",
            );
        }
        (_, Some(r)) => {
            v.check(
                region::is_region_code(r),
                "region_code",
                "must be a 6-digit 行政区划代码",
            );
        }
        (_, None) => {}
    }
    v.finish()?;
    b.credit_code
        .as_deref()
        .map(CreditCode::parse)
        .transpose()
        .map_err(AppError::from)
}

/// Inserts an organization, in the caller's transaction. A registered credit code is 409
/// `credit_code_taken`, also when a concurrent request registers it first.
pub fn add(conn: &mut DbConnection, new: &orgs::NewOrg) -> AppResult<orgs::OrgRow> {
    let taken = || {
        AppError::conflict(
            ProblemCode::CreditCodeTaken,
            "an organization with this credit code is already registered",
        )
    };
    if let Some(code) = new.credit_code {
        if orgs::credit_code_taken(conn, code)? {
            return Err(taken());
        }
    }
    match orgs::insert(conn, new) {
        Err(diesel::result::Error::DatabaseError(
            diesel::result::DatabaseErrorKind::UniqueViolation,
            _,
        )) => Err(taken()),
        other => Ok(other?),
    }
}

/// Creates a bank, guarantor or finance-office organization (admin).
#[tracing::instrument(skip_all)]
pub fn create<R: Receipt<OrganizationView>>(
    conn: &mut DbConnection,
    auth: &Caller,
    b: CreateOrganization,
    receipt: R,
) -> AppResult<R::Out> {
    auth.require(&[Role::Admin])?;
    let code = validate_create(&b)?;
    conn.write_transaction(|conn| {
        let now = clock::now();
        let org = add(
            conn,
            &orgs::NewOrg {
                kind: OrgKind::from(b.kind),
                name: &b.name,
                credit_code: code.as_ref().map(CreditCode::as_str),
                region_code: b.region_code.as_deref(),
                created_at: now,
                updated_at: now,
            },
        )?;
        receipt.record(conn, OrganizationView::new(org, None))
    })
}

/// Organizations visible to the caller: banks, guarantors and finance offices are public;
/// enterprises are visible to themselves, to finance offices covering their region and to
/// admins.
pub fn list(
    conn: &mut DbConnection,
    auth: &Caller,
    filter: OrgFilter,
) -> AppResult<Vec<OrganizationView>> {
    let scope = &auth.scope;
    let rows = orgs::list(conn, scope, &filter)?;
    let ids: Vec<i64> = rows
        .iter()
        .filter(|o| o.kind == OrgKind::Enterprise)
        .map(|o| o.id)
        .collect();
    let ents: HashMap<i64, orgs::EnterpriseRow> = orgs::enterprises_of(conn, &ids)?
        .into_iter()
        .map(|e| (e.org_id, e))
        .collect();
    Ok(rows
        .into_iter()
        .map(|o| {
            let e = ents.get(&o.id);
            OrganizationView::new(o, e)
        })
        .collect())
}

/// One organization, if visible to the caller (404 otherwise).
pub fn get(conn: &mut DbConnection, auth: &Caller, id: i64) -> AppResult<OrganizationView> {
    let scope = &auth.scope;
    let org =
        orgs::find_visible(conn, id, scope)?.ok_or_else(|| AppError::not_found("organization"))?;
    let ent = orgs::find_enterprise(conn, org.id)?;
    Ok(OrganizationView::new(org, ent.as_ref()))
}

/// The users of an organization (admin).
pub fn users(
    conn: &mut DbConnection,
    auth: &Caller,
    org_id: i64,
    after_id: Option<i64>,
    limit: i64,
) -> AppResult<Vec<UserView>> {
    let scope = &auth.scope;
    let org = orgs::find_visible(conn, org_id, scope)?
        .ok_or_else(|| AppError::not_found("organization"))?;
    auth.require(&[Role::Admin])?;
    let rows = users::list_for_org(conn, org.id, after_id, limit)?;
    Ok(rows.iter().map(|u| UserView::new(u, &org)).collect())
}
