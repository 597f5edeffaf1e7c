//! The entry point: `compute` runs a rule over a loan and period, applies the caps and rounds
//! once to the fen, writing every step into the breakdown (`Trail`).

use chrono::NaiveDate;

use super::facts::{Computation, LoanFacts, PriorAmounts, Trail};
use super::guarantee::guarantee;
use super::interest::interest;
use super::rule::{LprPoint, Rule};
use crate::domain::lang::Text;
use crate::domain::money::Money;

/// Computes the subsidy for `[period_start, period_end)` of `loan`. `lpr` is the LPR series
/// sorted by date. Policy-level eligibility (qualifications, region …) is checked by the caller.
pub fn compute(
    rule: &Rule,
    loan: &LoanFacts,
    period_start: NaiveDate,
    period_end: NaiveDate,
    lpr: &[LprPoint],
    prior: PriorAmounts,
) -> Computation {
    let mut t = Trail(Vec::new());
    let mut reasons = Vec::new();
    t.add("principal", loan.principal);
    t.add("loan annual rate", format!("{}%", loan.annual_rate));
    t.add("disbursed on", loan.disbursed_on);
    let amount = match rule {
        Rule::Interest(r) => interest(
            r,
            loan,
            period_start,
            period_end,
            lpr,
            prior,
            &mut t,
            &mut reasons,
        ),
        Rule::Guarantee(r) => guarantee(
            r,
            loan,
            period_start,
            period_end,
            prior,
            &mut t,
            &mut reasons,
        ),
        Rule::LumpSum(_) | Rule::GuarantorAward(_) => {
            reasons.push(Text::new(
                "an award policy is not computed per loan",
                "奖补类政策不按笔贷款计算",
            ));
            Money::ZERO
        }
    };
    let eligible = reasons.is_empty();
    let amount = if eligible { amount } else { Money::ZERO };
    t.add("amount", amount);
    Computation {
        eligible,
        reasons,
        amount,
        breakdown: t.0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::rate::Rate;
    use crate::domain::subsidy::facts::round_fen;
    use crate::domain::subsidy::fixtures::{d, interest_rule, lpr, m};
    use crate::domain::subsidy::{whole_months, InterestBase};
    use rust_decimal::Decimal;

    #[test]
    fn rounding_is_half_up_once() {
        assert_eq!(round_fen(Decimal::new(12345, 3)), m("12.35"));
        assert_eq!(round_fen(Decimal::new(12344999, 6)), m("12.34"));
        assert_eq!(round_fen(Decimal::new(5, 3)), m("0.01"));
        assert_eq!(round_fen(Decimal::new(4999, 6)), m("0.00"));
        // 算头不算尾 and whole months.
        // End of month to end of month is a whole month (Jan 31 + 1 month = Feb 28).
        assert_eq!(whole_months(d("2026-01-31"), d("2026-02-28")), 1);
        assert_eq!(whole_months(d("2026-01-31"), d("2026-02-27")), 0);
        assert_eq!(whole_months(d("2026-01-15"), d("2026-07-15")), 6);
        assert_eq!(whole_months(d("2026-01-15"), d("2026-07-14")), 5);
    }

    mod properties {
        use super::*;
        use proptest::prelude::*;

        proptest! {
            /// No amount exceeds a cap, the subsidy rate never exceeds the loan's rate, and
            /// nothing is negative.
            #[test]
            fn caps_hold(principal in 1i64..=10_000_000_000, rate in 1i64..=150_000, points in 0i64..=50_000,
                         days in 0i64..=800, annual in 0i64..=500_000_000, total in 0i64..=500_000_000,
                         prior_year in 0i64..=600_000_000, prior_total in 0i64..=600_000_000) {
                let mut rule = interest_rule(InterestBase::FixedPoints);
                rule.points = Some(Rate::from_units(points));
                rule.per_enterprise_annual_cap = Some(Money::from_fen(annual));
                rule.per_enterprise_total_cap = Some(Money::from_fen(total));
                let l = LoanFacts { principal: Money::from_fen(principal), annual_rate: Rate::from_units(rate),
                    disbursed_on: d("2026-01-01"), term_months: 360, first_loan: false, guarantee: None, events: Vec::new() };
                let end = d("2026-01-01") + chrono::Days::new(days as u64);
                let prior = PriorAmounts { same_year: Money::from_fen(prior_year), total: Money::from_fen(prior_total) };
                let c = compute(&Rule::Interest(rule), &l, d("2026-01-01"), end, &lpr(), prior);
                prop_assert!(c.amount.fen() >= 0);
                prop_assert!(c.amount.fen() <= (annual - prior_year).max(0));
                prop_assert!(c.amount.fen() <= (total - prior_total).max(0));
                // The subsidy rate is at most the loan's rate, so the amount is at most the interest.
                let interest = round_fen(l.principal.to_decimal() * l.annual_rate.percent() / Decimal::ONE_HUNDRED
                    * Decimal::from(days) / Decimal::from(360));
                prop_assert!(c.amount <= interest);
            }

            /// Half-up rounding: the result is within half a fen of the exact value, ties go up.
            #[test]
            fn rounding_half_up(milli_fen in 0i64..=10_000_000_000) {
                let exact = Decimal::new(milli_fen, 5);
                let rounded = round_fen(exact).to_decimal();
                prop_assert!((rounded - exact).abs() <= Decimal::new(5, 3));
                if milli_fen % 1000 == 500 {
                    prop_assert!(rounded > exact);
                }
            }
        }
    }
}
