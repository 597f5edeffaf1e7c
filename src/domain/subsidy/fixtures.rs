//! Test fixtures shared by the subsidy tests: the published LPR history and builders for
//! dates, amounts, rates, interest rules and loans.

use chrono::NaiveDate;

use super::{
    compute, Computation, DayCount, InterestBase, InterestRule, LoanFacts, LprPoint, LprReference,
    LprTerm, PriorAmounts, Rule,
};
use crate::domain::money::Money;
use crate::domain::rate::Rate;

pub(super) fn d(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

pub(super) fn m(s: &str) -> Money {
    Money::parse(s).unwrap()
}

pub(super) fn r(s: &str) -> Rate {
    Rate::parse(s).unwrap()
}

/// The published history (domain-notes §5).
pub(super) fn lpr() -> Vec<LprPoint> {
    [
        ("2019-08-20", "4.25", "4.85"),
        ("2019-09-20", "4.20", "4.85"),
        ("2019-11-20", "4.15", "4.80"),
        ("2020-02-20", "4.05", "4.75"),
        ("2020-04-20", "3.85", "4.65"),
        ("2021-12-20", "3.80", "4.65"),
        ("2022-01-20", "3.70", "4.60"),
        ("2022-05-20", "3.70", "4.45"),
        ("2022-08-22", "3.65", "4.30"),
        ("2023-06-20", "3.55", "4.20"),
        ("2023-08-21", "3.45", "4.20"),
        ("2024-02-20", "3.45", "3.95"),
        ("2024-07-22", "3.35", "3.85"),
        ("2024-10-21", "3.10", "3.60"),
        ("2025-05-20", "3.00", "3.50"),
    ]
    .iter()
    .map(|(e, a, b)| LprPoint {
        effective_on: d(e),
        one_year: r(a),
        five_year: r(b),
    })
    .collect()
}

pub(super) fn interest_rule(base: InterestBase) -> InterestRule {
    InterestRule {
        base,
        points: None,
        first_loan_points: None,
        share_percent: None,
        lpr_term: LprTerm::OneYear,
        lpr_reference: LprReference::DisbursementDate,
        spread_bp: None,
        max_points: None,
        day_count: DayCount::Act360,
        max_months: None,
        principal_cap: None,
        per_enterprise_annual_cap: None,
        per_enterprise_total_cap: None,
        include_overdue_days: false,
    }
}

pub(super) fn loan(principal: &str, rate: &str, on: &str, term: u32) -> LoanFacts {
    LoanFacts {
        principal: m(principal),
        annual_rate: r(rate),
        disbursed_on: d(on),
        term_months: term,
        first_loan: false,
        guarantee: None,
        events: Vec::new(),
    }
}

/// The interest subsidy of `rule` on `l` for `[from, to)`, with nothing approved before.
pub(super) fn run(rule: InterestRule, l: &LoanFacts, from: &str, to: &str) -> Computation {
    compute(
        &Rule::Interest(rule),
        l,
        d(from),
        d(to),
        &lpr(),
        PriorAmounts::default(),
    )
}
