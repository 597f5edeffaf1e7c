//! Enterprise profiles and qualifications (SPEC §3.2). The size class (划型) is derived,
//! never supplied; qualifications count only within their validity dates. Moving an
//! enterprise to another region (admin only) is `db::enterprises::move_region`.

use crate::app::clock;
use std::collections::HashMap;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::caller::Caller;
use super::effects::Receipt;
use super::error::{AppError, AppResult, ProblemCode, StatusCode, Validator};
pub use crate::db::enterprises::EnterpriseFilter;
use crate::db::enterprises::{self as repo, NewQualification, ProfileUpdate, QualificationRow};
use crate::db::orgs::{EnterpriseRow, OrgRow};
use crate::db::{self, DbConnection};
use crate::domain::date::rfc3339;
use crate::domain::money::Money;
use crate::domain::org::Role;
use crate::domain::profile::Ownership;
use crate::domain::qualification::{Qualification, QualificationKind, QualificationLevel};
use crate::domain::size_class::{classify, Industry, SizeClass, SizeInputs};

#[derive(Debug, Serialize, ToSchema)]
pub struct QualificationView {
    pub id: i64,
    pub enterprise_id: i64,
    pub kind: QualificationKind,
    pub level: QualificationLevel,
    pub certified_on: NaiveDate,
    pub expires_on: NaiveDate,
    pub certificate_no: String,
    /// Valid today: `certified_on ≤ today ≤ expires_on`.
    pub valid_today: bool,
    #[schema(format = DateTime)]
    pub created_at: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct EnterpriseView {
    pub id: i64,
    pub name: String,
    pub credit_code: Option<String>,
    pub region_code: Option<String>,
    pub industry: Industry,
    pub employees: i64,
    #[schema(value_type = Money, example = "35000000.00")]
    pub annual_revenue: Money,
    #[schema(value_type = Money, example = "28000000.00")]
    pub total_assets: Money,
    pub established_on: NaiveDate,
    /// false = a 首贷 candidate; set by a bank's first recorded disbursement.
    pub has_prior_loan: bool,
    /// Derived per 工信部联企业〔2011〕300号.
    pub size_class: SizeClass,
    pub ownership: Option<Ownership>,
    /// GB/T 4754 code.
    pub sector_code: Option<String>,
    pub qualifications: Vec<QualificationView>,
    #[schema(format = DateTime)]
    pub created_at: String,
    #[schema(format = DateTime)]
    pub updated_at: String,
}

/// The editable profile; `credit_code` and `has_prior_loan` are not editable.
#[derive(Debug, Deserialize, Serialize, ToSchema)]
pub struct UpdateEnterprise {
    #[schema(min_length = 1, max_length = 200)]
    pub name: String,
    #[schema(pattern = "^[0-9]{6}$")]
    pub region_code: String,
    pub industry: Industry,
    #[schema(minimum = 0, maximum = 10000000)]
    pub employees: i64,
    #[schema(value_type = Money, example = "35000000.00")]
    pub annual_revenue: Money,
    #[schema(value_type = Money, example = "28000000.00")]
    pub total_assets: Money,
    #[serde(deserialize_with = "crate::domain::date::strict")]
    pub established_on: NaiveDate,
    /// 所有制 (read by policies that target it).
    #[serde(default)]
    pub ownership: Option<Ownership>,
    /// 国民经济行业分类 (GB/T 4754-2017) code: a section letter and 2–4 digits, e.g. `C34`.
    #[serde(default)]
    #[schema(example = "C34", pattern = "^[A-T]([0-9]{2,4})?$")]
    pub sector_code: Option<String>,
}

#[derive(Debug, Deserialize, Serialize, ToSchema)]
pub struct CreateQualification {
    pub kind: QualificationKind,
    pub level: QualificationLevel,
    #[serde(deserialize_with = "crate::domain::date::strict")]
    pub certified_on: NaiveDate,
    #[serde(deserialize_with = "crate::domain::date::strict")]
    pub expires_on: NaiveDate,
    #[schema(min_length = 1, max_length = 100, example = "鲁工信专精〔2025〕118号")]
    pub certificate_no: String,
}

/// A stored qualification with its domain form (which answers validity).
type Stored = (QualificationRow, Qualification);

fn with_domain(rows: Vec<QualificationRow>) -> AppResult<Vec<Stored>> {
    Ok(rows
        .into_iter()
        .map(|r| {
            let q = r.to_domain();
            (r, q)
        })
        .collect())
}

impl QualificationView {
    fn new((row, q): Stored) -> Self {
        QualificationView {
            id: row.id,
            enterprise_id: row.enterprise_id,
            kind: q.kind,
            level: q.level,
            certified_on: q.certified_on,
            expires_on: q.expires_on,
            certificate_no: row.certificate_no,
            valid_today: q.valid_on(clock::today()),
            created_at: rfc3339(row.created_at),
        }
    }
}

impl EnterpriseView {
    fn new(org: OrgRow, e: EnterpriseRow, quals: Vec<Stored>) -> Self {
        EnterpriseView {
            id: org.id,
            name: org.name,
            credit_code: org.credit_code,
            region_code: org.region_code,
            industry: e.industry,
            employees: e.employees,
            annual_revenue: Money::from_fen(e.annual_revenue_fen),
            total_assets: Money::from_fen(e.total_assets_fen),
            established_on: e.established_on,
            has_prior_loan: e.has_prior_loan,
            size_class: e.size_class,
            ownership: e.ownership,
            sector_code: e.sector_code,
            qualifications: quals.into_iter().map(QualificationView::new).collect(),
            created_at: rfc3339(org.created_at),
            updated_at: rfc3339(org.updated_at.max(e.updated_at)),
        }
    }
}

/// The enterprise if visible (404 otherwise).
fn visible(conn: &mut DbConnection, auth: &Caller, id: i64) -> AppResult<(OrgRow, EnterpriseRow)> {
    let scope = &auth.scope;
    repo::find_visible(conn, id, scope)?.ok_or_else(|| AppError::not_found("enterprise"))
}

/// May the caller record or remove qualifications: the enterprise itself, its finance office, admin.
fn may_certify(auth: &Caller) -> bool {
    matches!(
        auth.role,
        Role::Enterprise | Role::FinanceOffice | Role::Admin
    )
}

fn load_view(conn: &mut DbConnection, org: OrgRow, e: EnterpriseRow) -> AppResult<EnterpriseView> {
    let quals = with_domain(repo::qualification_rows_of(conn, &[org.id])?)?;
    Ok(EnterpriseView::new(org, e, quals))
}

/// Enterprises in the caller's scope (admin: all; finance office: its region).
pub fn list(
    conn: &mut DbConnection,
    auth: &Caller,
    mut filter: repo::EnterpriseFilter,
) -> AppResult<Vec<EnterpriseView>> {
    auth.require(&[Role::Admin, Role::FinanceOffice])?;
    let scope = &auth.scope;
    filter.today = Some(clock::today());
    let rows = repo::list(conn, scope, &filter)?;
    let ids: Vec<i64> = rows.iter().map(|(o, _)| o.id).collect();
    let mut by_enterprise: HashMap<i64, Vec<Stored>> = HashMap::new();
    for q in with_domain(repo::qualification_rows_of(conn, &ids)?)? {
        by_enterprise.entry(q.0.enterprise_id).or_default().push(q);
    }
    Ok(rows
        .into_iter()
        .map(|(o, e)| {
            let quals = by_enterprise.remove(&o.id).unwrap_or_default();
            EnterpriseView::new(o, e, quals)
        })
        .collect())
}

/// One enterprise (itself, its finance office, admin).
pub fn get(conn: &mut DbConnection, auth: &Caller, id: i64) -> AppResult<EnterpriseView> {
    let (org, e) = visible(conn, auth, id)?;
    load_view(conn, org, e)
}

/// Replaces the editable profile (the enterprise itself, or an admin); the size class is
/// recomputed. Only an admin may change `region_code`.
#[tracing::instrument(skip(conn, auth, b), fields(user = auth.user_id))]
pub fn update(
    conn: &mut DbConnection,
    auth: &Caller,
    id: i64,
    b: UpdateEnterprise,
) -> AppResult<EnterpriseView> {
    conn.write_transaction(|conn| {
        let (org, _) = visible(conn, auth, id)?;
        let itself = auth.role == Role::Enterprise && auth.org_id == id;
        if !itself && auth.role != Role::Admin {
            return Err(AppError::forbidden(
                "only the enterprise itself or an admin may change its profile",
            ));
        }
        let mut v = Validator::default();
        crate::app::session::check_profile(
            &mut v,
            "",
            &b.name,
            &b.region_code,
            b.employees,
            b.established_on,
            b.sector_code.as_deref(),
        );
        v.finish()?;
        // The region decides which finance office supervises the enterprise and where
        // its figures are counted: not self-service.
        let moving = org.region_code.as_deref() != Some(b.region_code.as_str());
        if moving && itself {
            return Err(AppError::new(
                StatusCode::FORBIDDEN,
                ProblemCode::RegionChangeForbidden,
                "an enterprise cannot change its own region_code; an admin can move it",
            ));
        }
        if moving {
            // Takes the organization row exclusively: writers of the enterprise wait.
            repo::move_region(conn, id, &b.region_code)?;
            tracing::info!(
                enterprise = id,
                from = org.region_code.as_deref().unwrap_or(""),
                to = %b.region_code,
                by = auth.user_id,
                "enterprise moved to another region"
            );
        } else {
            // The profile update writes the organization row: take it exclusively now, before
            // the catalog counter. (A share lock here, upgraded at the update, deadlocked with
            // a demand's writer holding the share lock and waiting for the counter.)
            repo::lock_for_update(conn, id)?;
        }
        let size = classify(
            b.industry,
            SizeInputs {
                employees: b.employees,
                annual_revenue: b.annual_revenue,
                total_assets: b.total_assets,
            },
        );
        let update = ProfileUpdate {
            name: &b.name,
            region_code: &b.region_code,
            industry: b.industry.as_str(),
            employees: b.employees,
            annual_revenue_fen: b.annual_revenue.fen(),
            total_assets_fen: b.total_assets.fen(),
            established_on: b.established_on,
            size_class: size.as_str(),
            ownership: b.ownership.map(|o| o.as_str()),
            sector_code: b.sector_code.as_deref(),
        };
        repo::update_profile(conn, id, &update, clock::now())?;
        let (org, e) = visible(conn, auth, id)?;
        load_view(conn, org, e)
    })
}

/// Records a qualification (the enterprise itself, its finance office, admin).
#[tracing::instrument(skip(conn, auth, b, receipt), fields(user = auth.user_id))]
pub fn add_qualification<R: Receipt<QualificationView>>(
    conn: &mut DbConnection,
    auth: &Caller,
    id: i64,
    b: CreateQualification,
    receipt: R,
) -> AppResult<R::Out> {
    visible(conn, auth, id)?;
    if !may_certify(auth) {
        return Err(AppError::forbidden(
            "this role may not record qualifications",
        ));
    }
    let mut v = Validator::default();
    v.check(
        b.expires_on >= b.certified_on,
        "expires_on",
        "must not be before certified_on",
    );
    v.check(
        !b.certificate_no.trim().is_empty(),
        "certificate_no",
        "must not be blank",
    );
    v.check(
        b.certificate_no.chars().count() <= 100,
        "certificate_no",
        "must be at most 100 characters",
    );
    v.finish()?;
    conn.write_transaction(|conn| {
        let new = NewQualification {
            enterprise_id: id,
            kind: b.kind,
            level: b.level,
            certified_on: b.certified_on,
            expires_on: b.expires_on,
            certificate_no: &b.certificate_no,
            created_by: auth.user_id,
            created_at: clock::now(),
        };
        db::rollups::hold_region(conn, id)?;
        repo::lock_qualifications(conn, id)?;
        if repo::qualification_exists(conn, &new)? {
            return Err(AppError::conflict(
                ProblemCode::DuplicateQualification,
                "this qualification (kind, level, certificate number) is already recorded",
            ));
        }
        let row = repo::insert_qualification(conn, &new)?;
        let q = row.to_domain();
        receipt.record(conn, QualificationView::new((row, q)))
    })
}

/// An enterprise's qualifications (same visibility as the enterprise).
pub fn qualifications(
    conn: &mut DbConnection,
    auth: &Caller,
    id: i64,
    valid_on: Option<NaiveDate>,
    after_id: Option<i64>,
    limit: i64,
) -> AppResult<Vec<QualificationView>> {
    visible(conn, auth, id)?;
    let rows = with_domain(repo::qualifications(conn, id, valid_on, after_id, limit)?)?;
    Ok(rows.into_iter().map(QualificationView::new).collect())
}

/// Removes a qualification (the enterprise itself, its finance office, admin).
#[tracing::instrument(skip(conn, auth), fields(user = auth.user_id))]
pub fn remove_qualification(
    conn: &mut DbConnection,
    auth: &Caller,
    id: i64,
    qid: i64,
) -> AppResult<()> {
    conn.write_transaction(|conn| {
        visible(conn, auth, id)?;
        if !may_certify(auth) {
            return Err(AppError::forbidden(
                "this role may not remove qualifications",
            ));
        }
        db::rollups::hold_region(conn, id)?;
        if repo::delete_qualification(conn, id, qid)? == 0 {
            return Err(AppError::not_found("qualification"));
        }
        Ok(())
    })
}
