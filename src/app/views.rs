//! Response bodies shared by several resources.

use chrono::NaiveDate;
use serde::Serialize;
use utoipa::ToSchema;

use crate::db::orgs::{EnterpriseRow, OrgRow};
use crate::db::users::UserRow;
use crate::domain::date::rfc3339;
use crate::domain::money::Money;
use crate::domain::org::{OrgKind, Role};
use crate::domain::size_class::{Industry, SizeClass};

#[derive(Debug, Serialize, ToSchema)]
pub struct UserView {
    pub id: i64,
    pub username: String,
    pub role: Role,
    pub organization_id: i64,
    /// A disabled user cannot log in; its tokens answer 401.
    pub disabled: bool,
    #[schema(format = DateTime)]
    pub created_at: String,
}

/// An enterprise's profile: the figures its 划型 size class is derived from.
#[derive(Debug, Serialize, ToSchema)]
pub struct EnterpriseProfileView {
    pub industry: Industry,
    pub employees: i64,
    #[schema(value_type = Money, example = "25000000.00")]
    pub annual_revenue: Money,
    #[schema(value_type = Money, example = "18000000.00")]
    pub total_assets: Money,
    pub established_on: NaiveDate,
    /// false = a 首贷 (first-loan) candidate; set by the first recorded disbursement.
    pub has_prior_loan: bool,
    /// Derived per 工信部联企业〔2011〕300号; never supplied by clients.
    pub size_class: SizeClass,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct OrganizationView {
    pub id: i64,
    pub kind: OrgKind,
    pub name: String,
    pub credit_code: Option<String>,
    /// 行政区划代码; for a finance office, its scope prefix.
    pub region_code: Option<String>,
    /// Present for enterprises.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub enterprise: Option<EnterpriseProfileView>,
    #[schema(format = DateTime)]
    pub created_at: String,
    #[schema(format = DateTime)]
    pub updated_at: String,
}

pub fn org_kind(row: &OrgRow) -> OrgKind {
    row.kind
}

impl UserView {
    pub fn new(user: &UserRow, org: &OrgRow) -> Self {
        UserView {
            id: user.id,
            username: user.username.clone(),
            role: org_kind(org).role(),
            organization_id: org.id,
            disabled: user.disabled_at.is_some(),
            created_at: rfc3339(user.created_at),
        }
    }
}

impl EnterpriseProfileView {
    pub fn from_row(e: &EnterpriseRow) -> Self {
        EnterpriseProfileView {
            industry: e.industry,
            employees: e.employees,
            annual_revenue: Money::from_fen(e.annual_revenue_fen),
            total_assets: Money::from_fen(e.total_assets_fen),
            established_on: e.established_on,
            has_prior_loan: e.has_prior_loan,
            size_class: e.size_class,
        }
    }
}

impl OrganizationView {
    pub fn new(org: OrgRow, enterprise: Option<&EnterpriseRow>) -> Self {
        OrganizationView {
            id: org.id,
            kind: org_kind(&org),
            name: org.name,
            credit_code: org.credit_code,
            region_code: org.region_code,
            enterprise: enterprise.map(EnterpriseProfileView::from_row),
            created_at: rfc3339(org.created_at),
            updated_at: rfc3339(org.updated_at),
        }
    }
}
