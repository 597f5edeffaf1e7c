//! Who a policy is for: `PolicyEligibility`, the `Beneficiary` facts it reads, and the reasons
//! a loan falls outside it.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::facts::LoanFacts;
use crate::domain::{product, qualification, size_class};

/// Who a policy is for. Empty lists and absent values mean "no constraint".
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct PolicyEligibility {
    /// One of these, valid on the disbursement date.
    pub qualifications_any: Vec<product::QualificationRequirement>,
    pub size_classes: Vec<size_class::SizeClass>,
    pub product_types: Vec<product::ProductType>,
    pub region_prefixes: Vec<String>,
    pub first_loan_only: bool,
    pub min_term_months: Option<u32>,
}

/// The facts a policy's eligibility reads.
#[derive(Clone, Debug)]
pub struct Beneficiary<'a> {
    pub region_code: &'a str,
    pub size_class: size_class::SizeClass,
    pub qualifications: &'a [qualification::Qualification],
    pub product_type: product::ProductType,
}

/// Reasons the loan does not qualify (empty when it does).
pub fn policy_reasons(
    e: &PolicyEligibility,
    effective_from: NaiveDate,
    effective_to: Option<NaiveDate>,
    scope_prefix: Option<&str>,
    loan: &LoanFacts,
    who: &Beneficiary,
) -> Vec<String> {
    let mut r = Vec::new();
    let on = loan.disbursed_on;
    if on < effective_from || effective_to.is_some_and(|to| on > to) {
        r.push(format!(
            "the loan was disbursed on {on}, outside the policy's effective period"
        ));
    }
    if let Some(p) = scope_prefix {
        if !who.region_code.starts_with(p) {
            r.push(format!(
                "the enterprise's region {} is outside the policy's region {p}",
                who.region_code
            ));
        }
    }
    if !e.region_prefixes.is_empty()
        && !e
            .region_prefixes
            .iter()
            .any(|p| who.region_code.starts_with(p.as_str()))
    {
        r.push(format!(
            "region {} is not among the policy's regions",
            who.region_code
        ));
    }
    if !e.qualifications_any.is_empty()
        && !e
            .qualifications_any
            .iter()
            .any(|q| qualification::holds(who.qualifications, q.kind, q.min_level, on))
    {
        let wanted: Vec<String> = e
            .qualifications_any
            .iter()
            .map(|q| format!("{} {}", q.min_level, q.kind))
            .collect();
        r.push(format!(
            "needs a {} qualification valid on {on}",
            wanted.join(" or ")
        ));
    }
    if !e.size_classes.is_empty() && !e.size_classes.contains(&who.size_class) {
        r.push(format!("size class {} is not covered", who.size_class));
    }
    if !e.product_types.is_empty() && !e.product_types.contains(&who.product_type) {
        r.push(format!("product type {} is not covered", who.product_type));
    }
    if e.first_loan_only && !loan.first_loan {
        r.push("only first loans (首贷) are covered".into());
    }
    if let Some(min) = e.min_term_months {
        if loan.term_months < min {
            r.push(format!(
                "the term of {} months is below the minimum {min}",
                loan.term_months
            ));
        }
    }
    r
}
