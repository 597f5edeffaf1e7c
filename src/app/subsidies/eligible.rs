//! 政策找企业: the policies an enterprise can use, found for it (SPEC §3.16). Every active
//! policy covering its region, whether the enterprise itself qualifies (each criterion with
//! its detail) and, for each of its loans, what a claim for the current year would come to —
//! computed exactly as a claim would be (`quote::compute`), nothing stored.

use chrono::{Datelike, NaiveDate};
use serde::Serialize;
use utoipa::ToSchema;

use super::awards;
use super::policies::{policy_view, PolicyView};
use super::quote::{case_from_loan, compute, provisional};
use crate::app::caller::Caller;
use crate::app::clock;
use crate::app::error::{AppError, AppResult};
use crate::db::subsidies as repo;
use crate::db::{self, DbConnection};
use crate::domain::lang::render;
use crate::domain::lang::Lang;
use crate::domain::money::Money;
use crate::domain::org::Role;
use crate::domain::subsidy::{
    enterprise_criteria, Applicant, PolicyCriterion, PolicyKind, PolicyStatus,
};

/// The policies read at most (active ones are few; a region publishes tens).
const POLICIES_READ: i64 = 500;
/// The enterprise's loans quoted at most, most recent first.
const LOANS_QUOTED: i64 = 100;

#[derive(Debug, Serialize, ToSchema)]
pub struct EligiblePolicies {
    pub items: Vec<EligiblePolicy>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct EligiblePolicy {
    pub policy: PolicyView,
    /// The enterprise meets every criterion about itself (region, qualifications valid today,
    /// size class, ownership, sector); each loan has its own answer below.
    pub eligible: bool,
    /// Every criterion of the policy about the enterprise, passed or not.
    pub reasons: Vec<PolicyCriterion>,
    /// Per loan, for 贴息 and 担保费补贴 (empty for an award).
    pub loans: Vec<LoanAmount>,
    /// For a lump-sum award: what a claim filed today would come to (0 once granted).
    #[schema(value_type = Option<Money>)]
    pub award: Option<Money>,
}

/// What a claim for the current year on one loan would come to.
#[derive(Debug, Serialize, ToSchema)]
pub struct LoanAmount {
    pub loan_id: i64,
    #[schema(value_type = Money)]
    pub amount: Money,
    pub eligible: bool,
    /// Why the loan is not covered (empty when it is).
    pub reasons: Vec<String>,
    /// The period quoted: the current year from the disbursement on, end exclusive.
    pub period_start: NaiveDate,
    pub period_end: NaiveDate,
    /// The amount reads an LPR not published yet.
    pub provisional: bool,
}

fn in_lang(reasons: Vec<PolicyCriterion>, lang: Lang) -> Vec<PolicyCriterion> {
    reasons.into_iter().map(|r| r.in_lang(lang)).collect()
}

/// The policies for enterprise `id` (the enterprise itself, the finance office in scope, an
/// admin; 404 outside the caller's scope).
pub fn list(
    conn: &mut DbConnection,
    auth: &Caller,
    id: i64,
    lang: Lang,
) -> AppResult<EligiblePolicies> {
    let (org, ent) = db::enterprises::find_visible(conn, id, &auth.scope)?
        .ok_or_else(|| AppError::not_found("enterprise"))?;
    auth.require(&[Role::Enterprise, Role::FinanceOffice, Role::Admin])?;
    let today = clock::today();
    let quals = db::catalog::enterprises(conn, Some(&[id]))?
        .remove(&id)
        .map(|e| e.facts.qualifications)
        .unwrap_or_default();
    let region = org.region_code.clone().unwrap_or_default();
    let applicant = Applicant {
        region_code: &region,
        size_class: ent.size_class,
        qualifications: &quals,
        ownership: ent.ownership,
        sector_code: ent.sector_code.as_deref(),
    };
    let loans = db::matches::list_loans(
        conn,
        &auth.scope,
        &db::matches::LoanFilter {
            enterprise_id: Some(id),
            limit: LOANS_QUOTED,
            ..Default::default()
        },
    )?;
    let mut cases = Vec::with_capacity(loans.len());
    for l in &loans {
        cases.push((l.id, case_from_loan(conn, l)?));
    }
    let year_start = NaiveDate::from_ymd_opt(today.year(), 1, 1).unwrap_or(today);
    let year_end = NaiveDate::from_ymd_opt(today.year() + 1, 1, 1).unwrap_or(today);
    let policies = repo::list_policies(
        conn,
        None,
        Some(PolicyStatus::Active.as_str()),
        None,
        None,
        POLICIES_READ,
    )?;
    let mut items = Vec::new();
    for p in policies {
        let f = &p.fields;
        let in_region = f
            .region_prefix
            .as_deref()
            .is_none_or(|pre| region.starts_with(pre));
        let in_force = f.effective_to.is_none_or(|to| to >= year_start);
        // A guarantor award is for guarantors, not for the enterprise.
        if !(in_region && in_force) || f.kind == PolicyKind::GuarantorAward {
            continue;
        }
        if f.kind == PolicyKind::LumpSumAward {
            let mut reasons = awards::lump_sum_criteria(conn, &p, id, today)?;
            let c = awards::lump_sum(conn, &p, id, None)?;
            if let Some(claim) = repo::lump_sum_claim(conn, p.id, id)? {
                reasons.push(PolicyCriterion {
                    criterion: "once_per_enterprise".into(),
                    passed: false,
                    detail: format!("claim {claim} already claims this award; it is paid once"),
                    detail_zh: format!("申报 {claim} 已申请该奖励，每家企业限一次"),
                });
            }
            items.push(EligiblePolicy {
                eligible: reasons.iter().all(|r| r.passed),
                reasons: in_lang(reasons, lang),
                loans: Vec::new(),
                award: Some(c.amount),
                policy: policy_view(conn, p)?,
            });
            continue;
        }
        let reasons = enterprise_criteria(
            &f.eligibility.0,
            f.region_prefix.as_deref(),
            &applicant,
            today,
        );
        let mut quoted = Vec::new();
        for (loan_id, case) in &cases {
            let start = year_start.max(case.loan.disbursed_on);
            if start >= year_end {
                continue;
            }
            let c = compute(conn, &p, case, start, year_end, None)?;
            quoted.push(LoanAmount {
                loan_id: *loan_id,
                amount: c.amount,
                eligible: c.eligible,
                reasons: render(&c.reasons, lang),
                period_start: start,
                period_end: year_end,
                provisional: provisional(&p, year_end)?.is_some(),
            });
        }
        items.push(EligiblePolicy {
            eligible: reasons.iter().all(|r| r.passed),
            reasons: in_lang(reasons, lang),
            loans: quoted,
            award: None,
            policy: policy_view(conn, p)?,
        });
    }
    Ok(EligiblePolicies { items })
}
