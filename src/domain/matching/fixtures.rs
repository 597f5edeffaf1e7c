//! Test fixtures shared by the matching tests: a baseline product, demand and enterprise
//! that are eligible and score as documented, and helpers to evaluate and read failures.

use chrono::NaiveDate;

use super::{evaluate, DemandFacts, EnterpriseFacts, Evaluation, ProductFacts};
use crate::domain::money::Money;
use crate::domain::product::{Eligibility, GuaranteeMethod, ProductStatus, ProductType};
use crate::domain::qualification::{Qualification, QualificationKind, QualificationLevel};
use crate::domain::rate::Rate;
use crate::domain::size_class::{Industry, SizeClass};

pub(super) fn d(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

pub(super) const TODAY: &str = "2026-11-22";

pub(super) fn product() -> ProductFacts {
    ProductFacts {
        id: 1,
        bank_id: 10,
        product_type: ProductType::SpecializedSme,
        status: ProductStatus::Active,
        min_amount: Money::parse("1000000").unwrap(),
        max_amount: Money::parse("9000000").unwrap(),
        min_term_months: 6,
        max_term_months: 36,
        min_rate: Rate::parse("3.45").unwrap(),
        max_rate: Rate::parse("4.50").unwrap(),
        guarantee_methods: vec![GuaranteeMethod::Credit, GuaranteeMethod::Guarantee],
        response_sla_days: 3,
        eligibility: Eligibility::default(),
    }
}

pub(super) fn demand() -> DemandFacts {
    DemandFacts {
        id: 7,
        enterprise_id: 100,
        amount: Money::parse("5000000").unwrap(),
        term_months: 21,
        guarantee_methods: vec![GuaranteeMethod::Credit],
        max_rate: Some(Rate::parse("4.00").unwrap()),
        preferred_product_types: vec![],
    }
}

pub(super) fn enterprise() -> EnterpriseFacts {
    EnterpriseFacts {
        id: 100,
        region_code: "370202".into(),
        industry: Industry::Industry,
        size_class: SizeClass::Small,
        established_on: d("2016-05-18"),
        annual_revenue: Money::parse("35000000").unwrap(),
        has_prior_loan: false,
        qualifications: vec![Qualification {
            kind: QualificationKind::SpecializedSme,
            level: QualificationLevel::Provincial,
            certified_on: d("2025-01-01"),
            expires_on: d("2027-12-31"),
        }],
    }
}

pub(super) fn failed(e: &Evaluation) -> Vec<&str> {
    e.reasons
        .iter()
        .filter(|r| r.points.is_none() && !r.passed)
        .map(|r| r.criterion.as_str())
        .collect()
}

pub(super) fn eval(p: &ProductFacts, dm: &DemandFacts, e: &EnterpriseFacts) -> Evaluation {
    evaluate(p, dm, e, d(TODAY))
}
