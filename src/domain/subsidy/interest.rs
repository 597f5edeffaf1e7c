//! The interest subsidy (贷款贴息): the subsidy rate from the rule's base, capped and floored,
//! times the subsidised balance and the year fraction.
//!
//! The subsidised base follows the loan's balance day by day (积数法, SPEC §3.12): each day's
//! outstanding principal (from `servicing::spells`), capped at `principal_cap`, counts on the
//! days the loan earns a subsidy (`LoanStatus::earns_subsidy`). A loan without events has one
//! balance, its principal, and computes exactly as before balances were followed.

use chrono::{Datelike, NaiveDate};
use rust_decimal::Decimal;

use super::balance::{by_balance, constant_balance};
use super::day_count::window;
use super::facts::{apply_caps, pct, round_fen, LoanFacts, PriorAmounts, Trail};
use super::rule::{lpr_as_of, InterestBase, InterestRule, LprPoint, LprReference, LprTerm};
use crate::domain::lang::Text;
use crate::domain::money::Money;
use crate::domain::rate::Rate;

#[allow(clippy::too_many_arguments)]
pub(super) fn interest(
    r: &InterestRule,
    loan: &LoanFacts,
    start: NaiveDate,
    end: NaiveDate,
    lpr: &[LprPoint],
    prior: PriorAmounts,
    t: &mut Trail,
    reasons: &mut Vec<Text>,
) -> Money {
    let follows_balance = !loan.events.is_empty();
    let principal = match r.principal_cap {
        Some(cap) if loan.principal > cap => {
            let what = if follows_balance {
                "each day's balance above it is not subsidised"
            } else {
                "principal above it is not subsidised"
            };
            t.add("principal cap", format!("{cap}: {what}"));
            cap
        }
        _ => loan.principal,
    };
    if !follows_balance {
        t.add("subsidised principal", principal);
    }
    let lookup = |d: NaiveDate, t: &mut Trail, reasons: &mut Vec<Text>| -> Option<Decimal> {
        match lpr_as_of(lpr, d) {
            Some(p) => {
                let v = match r.lpr_term {
                    LprTerm::OneYear => p.one_year,
                    LprTerm::FiveYear => p.five_year,
                };
                t.add(
                    "LPR used",
                    format!(
                        "{} {}% effective {} (as of {d})",
                        r.lpr_term, v, p.effective_on
                    ),
                );
                Some(v.percent())
            }
            None => {
                reasons.push(Text::new(
                    format!("no LPR is known as of {d}"),
                    format!("{d} 之前没有已公布的 LPR"),
                ));
                None
            }
        }
    };
    let reference_date = match r.lpr_reference {
        LprReference::DisbursementDate => loan.disbursed_on,
        LprReference::LastOfPreviousYear => {
            NaiveDate::from_ymd_opt(loan.disbursed_on.year() - 1, 12, 31)
                .unwrap_or(loan.disbursed_on)
        }
        LprReference::DecemberOfPeriodEndYear => {
            NaiveDate::from_ymd_opt(end.year(), 12, 31).unwrap_or(end)
        }
    };
    let loan_rate = loan.annual_rate.percent();
    let hundred = Decimal::ONE_HUNDRED;
    let mut rate = match r.base {
        InterestBase::FixedPoints => {
            let p = match (loan.first_loan, r.first_loan_points) {
                (true, Some(fl)) => {
                    t.add("base", format!("fixed_points, 首贷 loan: {}%", fl));
                    fl
                }
                _ => {
                    let p = r.points.unwrap_or(Rate::ZERO);
                    t.add("base", format!("fixed_points: {}%", p));
                    p
                }
            };
            p.percent()
        }
        InterestBase::LprShare => {
            let share = r.share_percent.unwrap_or_default();
            let l = lookup(reference_date, t, reasons).unwrap_or_default();
            let v = l * share / hundred;
            t.add(
                "base",
                format!("lpr_share: {} × {} = {}", pct(share), pct(l), pct(v)),
            );
            v
        }
        InterestBase::ActualRateShare => {
            let share = r.share_percent.unwrap_or_default();
            let v = loan_rate * share / hundred;
            t.add(
                "base",
                format!(
                    "actual_rate_share: {} × {} = {}",
                    pct(share),
                    pct(loan_rate),
                    pct(v)
                ),
            );
            v
        }
        InterestBase::LprSpread => {
            let l = lookup(reference_date, t, reasons).unwrap_or_default();
            let spread = Decimal::new(r.spread_bp.unwrap_or(0), 2);
            let v = loan_rate - (l - spread);
            t.add(
                "base",
                format!(
                    "lpr_spread: {} − ({} − {}) = {}",
                    pct(loan_rate),
                    pct(l),
                    pct(spread),
                    pct(v)
                ),
            );
            v
        }
    };
    if let Some(maxp) = r.max_points {
        if rate > maxp.percent() {
            t.add(
                "max_points cap",
                format!("{} → {}", pct(rate), pct(maxp.percent())),
            );
            rate = maxp.percent();
        }
    }
    if rate > loan_rate {
        t.add(
            "loan rate cap",
            format!(
                "{} → {} (never above the loan's own rate)",
                pct(rate),
                pct(loan_rate)
            ),
        );
        rate = loan_rate;
    }
    if rate < Decimal::ZERO {
        t.add("floor", format!("{} → 0%", pct(rate)));
        rate = Decimal::ZERO;
    }
    t.add("subsidy rate", pct(rate));
    let (s, e) = window(loan, start, end, r.max_months, t);
    let raw = if follows_balance {
        by_balance(r, loan, principal, rate, s, e, t)
    } else {
        constant_balance(r.day_count, principal, rate, s, e, t)
    };
    let rounded = round_fen(raw);
    t.add("rounded (half up to 0.01)", rounded);
    apply_caps(
        rounded,
        r.per_enterprise_annual_cap,
        r.per_enterprise_total_cap,
        prior,
        t,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::subsidy::fixtures::{d, interest_rule, loan, lpr, m, r, run};
    use crate::domain::subsidy::{compute, Computation, DayCount, Rule};

    /// The subsidy from the disbursement day to `to` of a loan (principal, rate, disbursed
    /// on, term in months).
    fn from_disbursal(
        rule: &InterestRule,
        (principal, rate, on, months): (&str, &str, &str, u32),
        to: &str,
    ) -> Computation {
        run(rule.clone(), &loan(principal, rate, on, months), on, to)
    }

    /// I1 财金〔2026〕4号: 1.5 pp, ≤ 2 years, principal above 5000万 not subsidised.
    /// 60,000,000 at 3.50% from 2026-01-15; period 2026-01-15 → 2026-07-15 = 181 days.
    /// 50,000,000 × 1.5% × 181/360 = 377,083.3333… → 377,083.33.
    #[test]
    fn i1_fixed_points_with_principal_cap() {
        let mut rule = interest_rule(InterestBase::FixedPoints);
        rule.points = Some(r("1.5"));
        rule.max_months = Some(24);
        rule.principal_cap = Some(m("50000000"));
        let c = from_disbursal(&rule, ("60000000", "3.50", "2026-01-15", 36), "2026-07-15");
        assert!(c.eligible);
        assert_eq!(c.amount, m("377083.33"));
        // Beyond 24 months nothing is subsidised: 2028-01-15 → 2028-07-15 is outside.
        let c = run(
            rule,
            &loan("60000000", "3.50", "2026-01-15", 36),
            "2028-01-15",
            "2028-07-15",
        );
        assert_eq!(c.amount, Money::ZERO);
    }

    /// I2 福建 专利权质押: 20% × 1-year LPR of December of the repayment year.
    /// 1,000,000 from 2025-03-01 to 2026-03-01 (365 days); LPR as of 2026-12-31 = 3.00% → 0.6%.
    /// 1,000,000 × 0.6% × 365/360 = 6,083.3333… → 6,083.33; lifetime cap 200,000 per enterprise.
    #[test]
    fn i2_share_of_december_lpr() {
        let mut rule = interest_rule(InterestBase::LprShare);
        rule.share_percent = Some(Decimal::from(20));
        rule.lpr_reference = LprReference::DecemberOfPeriodEndYear;
        rule.max_months = Some(12);
        rule.per_enterprise_total_cap = Some(m("200000"));
        let c = from_disbursal(&rule, ("1000000", "4.00", "2025-03-01", 12), "2026-03-01");
        assert_eq!(c.amount, m("6083.33"));
        assert!(c
            .breakdown
            .iter()
            .any(|s| s.step == "LPR used" && s.value.contains("3.00% effective 2025-05-20")));
        // The lifetime cap: 199,000 already approved leaves 1,000.
        let prior = PriorAmounts {
            same_year: Money::ZERO,
            total: m("199000"),
        };
        let c = compute(
            &Rule::Interest(rule),
            &loan("1000000", "4.00", "2025-03-01", 12),
            d("2025-03-01"),
            d("2026-03-01"),
            &lpr(),
            prior,
        );
        assert_eq!(c.amount, m("1000.00"));
    }

    /// I3 彭阳县: ≤ 60% × the last 1-year LPR published in the year before disbursement.
    /// Loan 2026-03-10, 5,000,000; LPR as of 2025-12-31 = 3.00% → 1.80%.
    /// 2026-03-10 → 2026-09-10 is 184 days: 5,000,000 × 1.8% × 184/360 = 46,000.00.
    #[test]
    fn i3_share_of_last_year_lpr_with_annual_cap() {
        let mut rule = interest_rule(InterestBase::LprShare);
        rule.share_percent = Some(Decimal::from(60));
        rule.lpr_reference = LprReference::LastOfPreviousYear;
        rule.per_enterprise_annual_cap = Some(m("1000000"));
        let c = from_disbursal(&rule, ("5000000", "3.90", "2026-03-10", 12), "2026-09-10");
        assert_eq!(c.amount, m("46000.00"));
        // A loan disbursed in 2025 looks at the LPR as of 2024-12-31: 3.10% → 1.86%.
        let c = from_disbursal(&rule, ("5000000", "3.90", "2025-03-10", 12), "2025-09-10");
        // 184 days: 5,000,000 × 1.86% × 184/360 = 47,533.333… → 47,533.33
        assert_eq!(c.amount, m("47533.33"));
    }

    /// I4 技改专项贷: 50% × the loan rate, at most 2 points. 4.60% → 2.30% → capped 2.00%.
    /// A full year in whole months: 10,000,000 × 2% × 12/12 = 200,000.00.
    #[test]
    fn i4_share_of_actual_rate_capped() {
        let mut rule = interest_rule(InterestBase::ActualRateShare);
        rule.share_percent = Some(Decimal::from(50));
        rule.max_points = Some(r("2"));
        rule.day_count = DayCount::Months30_360;
        let c = from_disbursal(&rule, ("10000000", "4.60", "2026-01-01", 24), "2027-01-01");
        assert_eq!(c.amount, m("200000.00"));
        // At 3.60% the share is 1.80%, under the cap: 180,000.00.
        let c = from_disbursal(&rule, ("10000000", "3.60", "2026-01-01", 24), "2027-01-01");
        assert_eq!(c.amount, m("180000.00"));
    }

    /// I5 淮安 富民创业贷: loan rate − (LPR − 150 bp), capped at 200 bp.
    /// 4.35% − (3.00% − 1.50%) = 2.85% → 2.00%; 1,000,000 × 2% × 365/365 = 20,000.00.
    /// 3.20% − 1.50% = 1.70% → 17,000.00.
    #[test]
    fn i5_spread_over_lpr() {
        let mut rule = interest_rule(InterestBase::LprSpread);
        rule.spread_bp = Some(150);
        rule.max_points = Some(r("2"));
        rule.day_count = DayCount::Act365;
        let c = from_disbursal(&rule, ("1000000", "4.35", "2026-01-05", 12), "2027-01-05");
        assert_eq!(c.amount, m("20000.00"));
        let c = from_disbursal(&rule, ("1000000", "3.20", "2026-01-05", 12), "2027-01-05");
        assert_eq!(c.amount, m("17000.00"));
        // A loan priced under LPR − 150 bp gets nothing, never a negative amount.
        let c = from_disbursal(&rule, ("1000000", "1.20", "2026-01-05", 12), "2027-01-05");
        assert_eq!(c.amount, Money::ZERO);
        assert!(c.breakdown.iter().any(|s| s.step == "floor"));
    }

    /// I6 随州 科技创新贷: 首贷户 2 points, others 1.5; ≤ 2 years; lifetime 1,000,000.
    /// 3,000,000 for 180 days (act_360): first loan 30,000.00, otherwise 22,500.00.
    #[test]
    fn i6_first_loan_points() {
        let mut rule = interest_rule(InterestBase::FixedPoints);
        rule.points = Some(r("1.5"));
        rule.first_loan_points = Some(r("2"));
        rule.max_months = Some(24);
        rule.per_enterprise_total_cap = Some(m("1000000"));
        let mut l = loan("3000000", "3.80", "2026-02-01", 24);
        let c = run(rule.clone(), &l, "2026-02-01", "2026-07-31");
        assert_eq!(c.amount, m("22500.00"));
        l.first_loan = true;
        let c = run(rule, &l, "2026-02-01", "2026-07-31");
        assert_eq!(c.amount, m("30000.00"));
    }
}
