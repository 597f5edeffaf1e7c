//! What the formulas take and give: the loan's facts, what the payee already has, the
//! breakdown (`Trail`, `Step`), the one rounding to the fen and the caps on what was already
//! approved or paid. Below `interest`, `guarantee` and `day_count`, which `compute` calls.

use chrono::NaiveDate;
use rust_decimal::prelude::ToPrimitive;
use rust_decimal::{Decimal, RoundingStrategy};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::rule::CounterGuarantee;
use crate::domain::lang::Text;
use crate::domain::money::Money;
use crate::domain::rate::Rate;

/// The loan as the formulas see it.
#[derive(Clone, Debug)]
pub struct LoanFacts {
    pub principal: Money,
    pub annual_rate: Rate,
    pub disbursed_on: NaiveDate,
    pub term_months: u32,
    pub first_loan: bool,
    pub guarantee: Option<GuaranteeFacts>,
    /// What the bank reported since disbursement (repayments, overdue, cured …), in recorded
    /// order: the interest subsidy follows the balance they leave (`servicing::spells`).
    pub events: Vec<crate::domain::servicing::LoanEvent>,
}

#[derive(Clone, Copy, Debug)]
pub struct GuaranteeFacts {
    pub fee_rate: Rate,
    pub counter_guarantee: CounterGuarantee,
}

/// What the payee already has approved or paid under the same policy.
#[derive(Clone, Copy, Debug, Default)]
pub struct PriorAmounts {
    /// In the calendar year of the period end (for the guarantee rule: from this guarantor).
    pub same_year: Money,
    /// Ever (lifetime cap).
    pub total: Money,
}

/// One line of the arithmetic.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Step {
    pub step: String,
    pub value: String,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Computation {
    pub eligible: bool,
    /// Why not eligible (empty when eligible).
    pub reasons: Vec<Text>,
    pub amount: Money,
    pub breakdown: Vec<Step>,
}

pub(super) struct Trail(pub(super) Vec<Step>);

impl Trail {
    pub(super) fn add(&mut self, step: &str, value: impl ToString) {
        self.0.push(Step {
            step: step.to_owned(),
            value: value.to_string(),
        });
    }
}

pub(super) fn pct(d: Decimal) -> String {
    format!("{}%", d.normalize())
}

/// Half-up to the fen.
pub fn round_fen(d: Decimal) -> Money {
    let r = d.round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero);
    Money::from_fen((r * Decimal::ONE_HUNDRED).to_i64().unwrap_or(i64::MAX))
}

pub(super) fn apply_caps(
    raw: Money,
    annual: Option<Money>,
    total: Option<Money>,
    prior: PriorAmounts,
    t: &mut Trail,
) -> Money {
    let mut amount = raw;
    if let Some(cap) = annual {
        let left = Money::from_fen((cap.fen() - prior.same_year.fen()).max(0));
        t.add(
            "annual cap",
            format!(
                "{cap} − already approved/paid this year {} = {left}",
                prior.same_year
            ),
        );
        amount = amount.min(left);
    }
    if let Some(cap) = total {
        let left = Money::from_fen((cap.fen() - prior.total.fen()).max(0));
        t.add(
            "lifetime cap",
            format!("{cap} − already approved/paid {} = {left}", prior.total),
        );
        amount = amount.min(left);
    }
    amount
}
