//! The guarantee-fee subsidy (担保费补贴): guaranteed amount × subsidy percent × year
//! fraction, at most the fee charged for the period.

use chrono::NaiveDate;
use rust_decimal::Decimal;

use super::day_count::{window, year_fraction};
use super::facts::{apply_caps, pct, round_fen, LoanFacts, PriorAmounts, Trail};
use super::rule::GuaranteeRule;
use crate::domain::lang::Text;
use crate::domain::money::Money;

pub(super) fn guarantee(
    r: &GuaranteeRule,
    loan: &LoanFacts,
    start: NaiveDate,
    end: NaiveDate,
    prior: PriorAmounts,
    t: &mut Trail,
    reasons: &mut Vec<Text>,
) -> Money {
    let Some(g) = loan.guarantee else {
        reasons.push(Text::new("the loan has no guarantee", "该贷款没有担保"));
        return Money::ZERO;
    };
    t.add("guarantee fee rate", format!("{}%", g.fee_rate));
    t.add("counter-guarantee", g.counter_guarantee);
    if let Some(maxf) = r.max_fee_rate {
        if g.fee_rate > maxf {
            reasons.push(Text::new(
                format!(
                    "the guarantee fee rate {}% is above the maximum {}%",
                    g.fee_rate, maxf
                ),
                format!("担保费率 {}% 高于上限 {}%", g.fee_rate, maxf),
            ));
        }
    }
    if !r.counter_guarantee.is_empty() && !r.counter_guarantee.contains(&g.counter_guarantee) {
        reasons.push(Text::new(
            format!("counter-guarantee {} is not accepted", g.counter_guarantee),
            format!("不接受{}反担保", g.counter_guarantee.label_zh()),
        ));
    }
    let (s, e) = window(loan, start, end, None, t);
    let fraction = year_fraction(r.day_count, s, e, t);
    let hundred = Decimal::ONE_HUNDRED;
    let raw = loan.principal.to_decimal() * r.subsidy_percent / hundred * fraction;
    t.add(
        "raw amount",
        format!(
            "{} × {} × {} = {}",
            loan.principal,
            pct(r.subsidy_percent),
            fraction.round_dp(10).normalize(),
            raw.round_dp(6).normalize()
        ),
    );
    let mut amount = round_fen(raw);
    t.add("rounded (half up to 0.01)", amount);
    if r.cap_at_fee_paid {
        let fee =
            round_fen(loan.principal.to_decimal() * g.fee_rate.percent() / hundred * fraction);
        t.add("fee charged for the period", fee);
        amount = amount.min(fee);
    }
    apply_caps(amount, r.per_enterprise_annual_cap, None, prior, t)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::subsidy::fixtures::{d, loan, lpr, m, r};
    use crate::domain::subsidy::{compute, CounterGuarantee, DayCount, GuaranteeFacts, Rule};

    /// G1 安徽 专精特新 担保费补贴: 1%/year of the loan to the guarantor, fee ≤ 1.2%, no
    /// collateral counter-guarantee, ≤ 100,000 per guarantor per enterprise per year.
    /// 5,000,000, fee 1.0%, 12 months: 5,000,000 × 1% × 12/12 = 50,000.00 (the fee is also 50,000).
    /// 12,000,000: 120,000.00 → capped at 100,000.00.
    #[test]
    fn g1_guarantee_fee_subsidy() {
        let rule = GuaranteeRule {
            subsidy_percent: Decimal::ONE,
            max_fee_rate: Some(r("1.2")),
            counter_guarantee: vec![CounterGuarantee::Credit, CounterGuarantee::ThirdParty],
            day_count: DayCount::Months30_360,
            per_enterprise_annual_cap: Some(m("100000")),
            cap_at_fee_paid: true,
        };
        let g = Some(GuaranteeFacts {
            fee_rate: r("1.0"),
            counter_guarantee: CounterGuarantee::ThirdParty,
        });
        let mut l = loan("5000000", "3.65", "2026-01-10", 12);
        l.guarantee = g;
        let run = |l: &LoanFacts| {
            compute(
                &Rule::Guarantee(rule.clone()),
                l,
                d("2026-01-10"),
                d("2027-01-10"),
                &lpr(),
                PriorAmounts::default(),
            )
        };
        assert_eq!(run(&l).amount, m("50000.00"));
        l.principal = m("12000000");
        assert_eq!(run(&l).amount, m("100000.00"));
        // A fee of 0.5% caps the subsidy at the fee charged: 12,000,000 × 0.5% = 60,000.00.
        l.guarantee = Some(GuaranteeFacts {
            fee_rate: r("0.5"),
            counter_guarantee: CounterGuarantee::Credit,
        });
        assert_eq!(run(&l).amount, m("60000.00"));
        // Ineligible: fee above 1.2%, collateral counter-guarantee, no guarantee at all.
        l.guarantee = Some(GuaranteeFacts {
            fee_rate: r("1.5"),
            counter_guarantee: CounterGuarantee::Credit,
        });
        assert!(!run(&l).eligible);
        l.guarantee = Some(GuaranteeFacts {
            fee_rate: r("1.0"),
            counter_guarantee: CounterGuarantee::Collateral,
        });
        assert!(!run(&l).eligible);
        l.guarantee = None;
        let c = run(&l);
        assert!(!c.eligible && c.amount == Money::ZERO);
    }
}
