//! The subsidised base of an interest subsidy, balance by balance (积数法, SPEC §3.12):
//! `constant_balance` for a window with one balance (every loan without events), `by_balance`
//! for one whose balance or status changes, with each segment in the breakdown.

use chrono::NaiveDate;
use rust_decimal::Decimal;

use super::day_count::{add_months, days_30_360, whole_months, year_fraction};
use super::facts::{pct, LoanFacts, Trail};
use super::rule::{DayCount, InterestRule};
use crate::domain::money::Money;
use crate::domain::servicing::{spells, LoanStatus};

/// `balance` × subsidy rate × year fraction of `[s, e)`, for a subsidised balance that is the
/// same on every day of the window (always so for a loan without events). Unrounded.
pub(super) fn constant_balance(
    dc: DayCount,
    balance: Money,
    rate: Decimal,
    s: NaiveDate,
    e: NaiveDate,
    t: &mut Trail,
) -> Decimal {
    let fraction = year_fraction(dc, s, e, t);
    let raw = balance.to_decimal() * rate / Decimal::ONE_HUNDRED * fraction;
    t.add(
        "raw amount",
        format!(
            "{} × {} × {} = {}",
            balance,
            pct(rate),
            fraction.round_dp(10).normalize(),
            raw.round_dp(6).normalize()
        ),
    );
    raw
}

/// A stretch of the subsidised window with one status and one outstanding balance.
struct Segment {
    from: NaiveDate,
    to: NaiveDate,
    status: LoanStatus,
    outstanding: Money,
    earns: bool,
    /// The balance the subsidy is computed on: the outstanding capped at `principal_cap`, or 0
    /// on days that earn nothing.
    used: Money,
    /// Actual days, or 30/360 days under `months_30_360`.
    days: i64,
}

/// The subsidy of a loan with events, unrounded: Σ over the balance segments of the window of
/// balance used × days, × subsidy rate / 360 (365 for `act_365`).
///
/// `months_30_360` subsidises whole months only, as for a loan without events: the window ends
/// at `s` + whole months (a partial month after it earns nothing). When every day of that
/// window earns on the same balance, the fraction stays whole months / 12 (`constant_balance`);
/// otherwise each segment's days count 30/360 (`days_30_360`) over 360, which over whole months
/// never exceeds whole months / 12.
pub(super) fn by_balance(
    r: &InterestRule,
    loan: &LoanFacts,
    principal: Money,
    rate: Decimal,
    s: NaiveDate,
    e: NaiveDate,
    t: &mut Trail,
) -> Decimal {
    let dc = r.day_count;
    let months = dc == DayCount::Months30_360;
    let until = if months {
        let u = add_months(s, whole_months(s, e));
        t.add(
            "whole-month period",
            format!("{s} to {u} (a partial month after it is not subsidised)"),
        );
        u
    } else {
        e
    };
    let history = spells(loan.principal, loan.disbursed_on, &loan.events);
    let mut segments = Vec::new();
    for (i, spell) in history.iter().enumerate() {
        let next = history.get(i + 1).map_or(NaiveDate::MAX, |n| n.from);
        let (from, to) = (spell.from.max(s), next.min(until));
        if from >= to {
            continue;
        }
        let earns = spell.status.earns_subsidy(r.include_overdue_days);
        let used = match r.principal_cap {
            _ if !earns => Money::ZERO,
            Some(cap) if spell.outstanding > cap => cap,
            _ => spell.outstanding,
        };
        let days = if months {
            days_30_360(from, to)
        } else {
            (to - from).num_days()
        };
        segments.push(Segment {
            from,
            to,
            status: spell.status,
            outstanding: spell.outstanding,
            earns,
            used,
            days,
        });
    }
    for g in &segments {
        let status_note = match (g.earns, g.status) {
            (false, _) => " (earns nothing)",
            (true, LoanStatus::Overdue | LoanStatus::Npl) => " (counted: include_overdue_days)",
            (true, _) => "",
        };
        let cap_note = if g.earns && g.used < g.outstanding {
            " (principal cap)"
        } else {
            ""
        };
        let unit = if months { " (30/360)" } else { "" };
        t.add(
            "balance segment",
            format!(
                "{} to {}, {}{status_note}, outstanding {}, balance used {}{cap_note}, {} days{unit}",
                g.from, g.to, g.status, g.outstanding, g.used, g.days
            ),
        );
    }
    // One balance on every day: the same arithmetic as a loan without events. (A segment of
    // 0 days — a 31st under 30/360 — weighs nothing either way.)
    let mut counted = segments.iter().filter(|g| g.days > 0);
    let constant = match counted.clone().next() {
        None => Some(principal),
        Some(f) => counted
            .all(|g| g.earns && g.used == f.used)
            .then_some(f.used),
    };
    if let Some(balance) = constant {
        t.add("subsidised principal", balance);
        return constant_balance(dc, balance, rate, s, e, t);
    }
    let base: i64 = if dc == DayCount::Act365 { 365 } else { 360 };
    if months {
        t.add("whole months", whole_months(s, e));
    } else {
        t.add("days (first day counted, last not)", (e - s).num_days());
    }
    let balance_days: Decimal = segments
        .iter()
        .map(|g| g.used.to_decimal() * Decimal::from(g.days))
        .sum();
    let terms: Vec<String> = segments
        .iter()
        .map(|g| format!("{} × {}", g.used, g.days))
        .collect();
    let label = if months {
        "balance-days (积数, 30/360)"
    } else {
        "balance-days (积数)"
    };
    t.add(label, format!("{} = {balance_days}", terms.join(" + ")));
    t.add(
        &format!("year fraction ({dc})"),
        format!("balance-days / {base}"),
    );
    let raw = balance_days * rate / Decimal::from(100 * base);
    t.add(
        "raw amount",
        format!(
            "{balance_days} × {} / {base} = {}",
            pct(rate),
            raw.round_dp(6).normalize()
        ),
    );
    raw
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::rate::Rate;
    use crate::domain::subsidy::facts::{round_fen, PriorAmounts};
    use crate::domain::subsidy::fixtures::{d, interest_rule, loan, lpr, m, r, run};
    use crate::domain::subsidy::{compute, Computation, InterestBase, Rule};

    // Balances (积数法, SPEC §3.12): the subsidised base is each day's outstanding principal.

    use crate::domain::servicing::{LoanEvent, LoanEventKind as K};

    fn ev(on: &str, kind: K, principal: Option<&str>) -> LoanEvent {
        LoanEvent {
            on: d(on),
            kind,
            principal: principal.map(m),
        }
    }

    fn with_events(mut l: LoanFacts, events: &[LoanEvent]) -> LoanFacts {
        l.events = events.to_vec();
        l
    }

    /// The values of the breakdown's `step` lines, in order.
    fn values<'a>(c: &'a Computation, step: &str) -> Vec<&'a str> {
        c.breakdown
            .iter()
            .filter(|s| s.step == step)
            .map(|s| s.value.as_str())
            .collect()
    }

    /// B1 a partial repayment mid-period (act_360). 1,000,000 at 4.00% from 2026-01-01,
    /// `fixed_points` 1.5; 400,000 repaid on 2026-03-01; period 2026-01-01 → 2026-07-01.
    /// 2026-01-01 → 2026-03-01:  59 days × 1,000,000 =  59,000,000
    /// 2026-03-01 → 2026-07-01: 122 days ×   600,000 =  73,200,000
    /// Σ = 132,200,000; × 1.5% = 1,983,000; / 360 = 5,508.3333… → 5,508.33
    /// (without the repayment: 1,000,000 × 1.5% × 181/360 = 7,541.666… → 7,541.67).
    #[test]
    fn b1_partial_repayment_lowers_the_base_from_its_day() {
        let mut rule = interest_rule(InterestBase::FixedPoints);
        rule.points = Some(r("1.5"));
        let plain = loan("1000000", "4.00", "2026-01-01", 12);
        let l = with_events(
            plain.clone(),
            &[ev("2026-03-01", K::Repayment, Some("400000"))],
        );
        let c = run(rule.clone(), &l, "2026-01-01", "2026-07-01");
        assert_eq!(c.amount, m("5508.33"));
        assert_eq!(
            values(&c, "balance segment"),
            [
                "2026-01-01 to 2026-03-01, current, outstanding 1000000.00, balance used 1000000.00, 59 days",
                "2026-03-01 to 2026-07-01, current, outstanding 600000.00, balance used 600000.00, 122 days",
            ]
        );
        assert_eq!(
            values(&c, "balance-days (积数)"),
            ["1000000.00 × 59 + 600000.00 × 122 = 132200000.00"]
        );
        assert_eq!(values(&c, "days (first day counted, last not)"), ["181"]);
        assert_eq!(
            values(&c, "year fraction (act_360)"),
            ["balance-days / 360"]
        );
        assert_eq!(
            values(&c, "raw amount"),
            ["132200000.00 × 1.5% / 360 = 5508.333333"]
        );
        let c = run(rule.clone(), &plain, "2026-01-01", "2026-07-01");
        assert_eq!(c.amount, m("7541.67"));
        assert!(values(&c, "balance segment").is_empty());
        // Before the repayment the balance is the principal: the same as without events.
        let c = run(rule, &l, "2026-01-01", "2026-03-01");
        // 1,000,000 × 1.5% × 59/360 = 2,458.333… → 2,458.33
        assert_eq!(c.amount, m("2458.33"));
        assert_eq!(values(&c, "subsidised principal"), ["1000000.00"]);
    }

    /// B2 an overdue spell, then cured. 2,000,000 at 3.85% from 2026-02-10, `fixed_points`
    /// 1.2; overdue on 2026-04-20, cured on 2026-05-16; period 2026-02-10 → 2026-08-10
    /// (181 days).
    /// 2026-02-10 → 2026-04-20: 69 days current; 2026-04-20 → 2026-05-16: 26 days overdue;
    /// 2026-05-16 → 2026-08-10: 86 days current.
    /// By default the overdue days earn nothing:
    /// 2,000,000 × 69 + 0 × 26 + 2,000,000 × 86 = 310,000,000; × 1.2% = 3,720,000;
    /// / 360 = 10,333.333… → 10,333.33.
    /// With `include_overdue_days` every day counts on 2,000,000, as without events:
    /// 2,000,000 × 1.2% × 181/360 = 12,066.666… → 12,066.67.
    #[test]
    fn b2_overdue_days_earn_nothing_unless_included() {
        let mut rule = interest_rule(InterestBase::FixedPoints);
        rule.points = Some(r("1.2"));
        let l = with_events(
            loan("2000000", "3.85", "2026-02-10", 12),
            &[
                ev("2026-04-20", K::Overdue, None),
                ev("2026-05-16", K::Cured, None),
            ],
        );
        let c = run(rule.clone(), &l, "2026-02-10", "2026-08-10");
        assert_eq!(c.amount, m("10333.33"));
        assert_eq!(
            values(&c, "balance segment"),
            [
                "2026-02-10 to 2026-04-20, current, outstanding 2000000.00, balance used 2000000.00, 69 days",
                "2026-04-20 to 2026-05-16, overdue (earns nothing), outstanding 2000000.00, balance used 0.00, 26 days",
                "2026-05-16 to 2026-08-10, current, outstanding 2000000.00, balance used 2000000.00, 86 days",
            ]
        );
        assert_eq!(
            values(&c, "raw amount"),
            ["310000000.00 × 1.2% / 360 = 10333.333333"]
        );
        rule.include_overdue_days = true;
        let c = run(rule, &l, "2026-02-10", "2026-08-10");
        assert_eq!(c.amount, m("12066.67"));
        assert!(
            values(&c, "balance segment")[1].contains("overdue (counted: include_overdue_days)")
        );
        assert_eq!(
            values(&c, "raw amount"),
            ["2000000.00 × 1.2% × 0.5027777778 = 12066.666667"]
        );
    }

    /// NPL days count only with `include_overdue_days`, and days after a write-off never do.
    /// 1,000,000 at 4.00% from 2026-01-01, `fixed_points` 1.5; overdue 2026-02-01, npl
    /// 2026-03-01, written off 2026-04-01; period 2026-01-01 → 2026-05-01.
    /// Default: only January earns: 1,000,000 × 31 = 31,000,000 × 1.5% / 360 = 1,291.666…
    /// → 1,291.67. Included: 2026-01-01 → 2026-04-01 = 90 days: 90,000,000 × 1.5% / 360
    /// = 3,750.00; the 30 days after the write-off earn nothing either way.
    #[test]
    fn npl_days_count_only_when_included_and_never_after_a_write_off() {
        let mut rule = interest_rule(InterestBase::FixedPoints);
        rule.points = Some(r("1.5"));
        let l = with_events(
            loan("1000000", "4.00", "2026-01-01", 12),
            &[
                ev("2026-02-01", K::Overdue, None),
                ev("2026-03-01", K::Npl, None),
                ev("2026-04-01", K::WrittenOff, None),
            ],
        );
        let c = run(rule.clone(), &l, "2026-01-01", "2026-05-01");
        assert_eq!(c.amount, m("1291.67"));
        rule.include_overdue_days = true;
        let c = run(rule, &l, "2026-01-01", "2026-05-01");
        assert_eq!(c.amount, m("3750.00"));
        assert_eq!(
            values(&c, "balance-days (积数)"),
            ["1000000.00 × 31 + 1000000.00 × 28 + 1000000.00 × 31 + 0.00 × 30 = 90000000.00"]
        );
        assert_eq!(
            values(&c, "balance segment")[3],
            "2026-04-01 to 2026-05-01, written_off (earns nothing), outstanding 0.00, balance used 0.00, 30 days"
        );
    }

    /// B3 repaid in full mid-period: nothing after. 500,000 at 4.00% from 2026-03-01,
    /// `fixed_points` 1.5; 200,000 repaid on 2026-04-01, the remaining 300,000 on 2026-06-15;
    /// period 2026-03-01 → 2026-09-01 (184 days).
    /// 31 days × 500,000 = 15,500,000; 75 days × 300,000 = 22,500,000; 78 days repaid × 0.
    /// Σ = 38,000,000 × 1.5% = 570,000 / 360 = 1,583.333… → 1,583.33.
    #[test]
    fn b3_nothing_after_the_loan_is_repaid() {
        let mut rule = interest_rule(InterestBase::FixedPoints);
        rule.points = Some(r("1.5"));
        let l = with_events(
            loan("500000", "4.00", "2026-03-01", 12),
            &[
                ev("2026-04-01", K::Repayment, Some("200000")),
                ev("2026-06-15", K::Repayment, Some("300000")),
            ],
        );
        let c = run(rule.clone(), &l, "2026-03-01", "2026-09-01");
        assert_eq!(c.amount, m("1583.33"));
        assert_eq!(
            values(&c, "balance segment")[2],
            "2026-06-15 to 2026-09-01, repaid (earns nothing), outstanding 0.00, balance used 0.00, 78 days"
        );
        // Closed days never count, even with include_overdue_days.
        rule.include_overdue_days = true;
        let c = run(rule.clone(), &l, "2026-03-01", "2026-09-01");
        assert_eq!(c.amount, m("1583.33"));
        // A period wholly after the last repayment gets nothing.
        let c = run(rule, &l, "2026-07-01", "2026-09-01");
        assert_eq!(c.amount, Money::ZERO);
        assert!(c.eligible);
    }

    /// B4 `principal_cap` on each day's balance (I1's rule: 1.5 points, cap 50,000,000).
    /// 60,000,000 at 3.50% from 2026-01-15; 5,000,000 repaid on 2026-03-15 (55,000,000 left,
    /// still above the cap), 15,000,000 on 2026-05-15 (40,000,000, below it); period
    /// 2026-01-15 → 2026-07-15 (181 days).
    /// 59 days × min(60,000,000, cap) = 50,000,000 × 59 = 2,950,000,000
    /// 61 days × min(55,000,000, cap) = 50,000,000 × 61 = 3,050,000,000
    /// 61 days × 40,000,000                            = 2,440,000,000
    /// Σ = 8,440,000,000 × 1.5% = 126,600,000 / 360 = 351,666.666… → 351,666.67
    /// (I1 without the repayments: 377,083.33).
    #[test]
    fn b4_principal_cap_applies_to_each_days_balance() {
        let mut rule = interest_rule(InterestBase::FixedPoints);
        rule.points = Some(r("1.5"));
        rule.max_months = Some(24);
        rule.principal_cap = Some(m("50000000"));
        let l = with_events(
            loan("60000000", "3.50", "2026-01-15", 36),
            &[
                ev("2026-03-15", K::Repayment, Some("5000000")),
                ev("2026-05-15", K::Repayment, Some("15000000")),
            ],
        );
        let c = run(rule.clone(), &l, "2026-01-15", "2026-07-15");
        assert_eq!(c.amount, m("351666.67"));
        assert_eq!(
            values(&c, "balance segment"),
            [
                "2026-01-15 to 2026-03-15, current, outstanding 60000000.00, balance used 50000000.00 (principal cap), 59 days",
                "2026-03-15 to 2026-05-15, current, outstanding 55000000.00, balance used 50000000.00 (principal cap), 61 days",
                "2026-05-15 to 2026-07-15, current, outstanding 40000000.00, balance used 40000000.00, 61 days",
            ]
        );
        assert_eq!(
            values(&c, "principal cap"),
            ["50000000.00: each day's balance above it is not subsidised"]
        );
        // Up to the second repayment the capped balance never changes: 50,000,000 × 1.5% ×
        // 120/360 = 250,000.00, as without events.
        let c = run(rule, &l, "2026-01-15", "2026-05-15");
        assert_eq!(c.amount, m("250000.00"));
    }

    /// B5 `months_30_360` with a repayment (I4's rule: 50% of 4.60% capped at 2.00%).
    /// 10,000,000 from 2026-01-01 for 24 months; 4,000,000 repaid on 2026-07-16; period
    /// 2026-01-01 → 2027-01-20: 12 whole months, so 2026-01-01 → 2027-01-01 (the partial
    /// month after it is not subsidised, as without events).
    /// 30/360 days, f(date) = 360·year + 30·month + min(day, 30):
    /// 2026-01-01 → 2026-07-16: (30·7 + 16) − (30·1 + 1) = 195 days × 10,000,000
    /// 2026-07-16 → 2027-01-01: (360 + 30·1 + 1) − 226 = 165 days × 6,000,000
    /// Σ = 1,950,000,000 + 990,000,000 = 2,940,000,000 × 2% = 58,800,000 / 360
    /// = 163,333.333… → 163,333.33 (without the repayment: 200,000.00).
    #[test]
    fn b5_months_30_360_weighs_each_balance_by_its_30_360_days() {
        let mut rule = interest_rule(InterestBase::ActualRateShare);
        rule.share_percent = Some(Decimal::from(50));
        rule.max_points = Some(r("2"));
        rule.day_count = DayCount::Months30_360;
        let plain = loan("10000000", "4.60", "2026-01-01", 24);
        let l = with_events(
            plain.clone(),
            &[ev("2026-07-16", K::Repayment, Some("4000000"))],
        );
        let c = run(rule.clone(), &l, "2026-01-01", "2027-01-20");
        assert_eq!(c.amount, m("163333.33"));
        assert_eq!(
            values(&c, "whole-month period"),
            ["2026-01-01 to 2027-01-01 (a partial month after it is not subsidised)"]
        );
        assert_eq!(
            values(&c, "balance-days (积数, 30/360)"),
            ["10000000.00 × 195 + 6000000.00 × 165 = 2940000000.00"]
        );
        assert_eq!(
            values(&c, "raw amount"),
            ["2940000000.00 × 2% / 360 = 163333.333333"]
        );
        assert_eq!(
            run(rule.clone(), &plain, "2026-01-01", "2027-01-20").amount,
            m("200000.00")
        );
        // A repayment inside the dropped partial month changes nothing.
        let l = with_events(plain, &[ev("2027-01-10", K::Repayment, Some("4000000"))]);
        let c = run(rule, &l, "2026-01-01", "2027-01-20");
        assert_eq!(c.amount, m("200000.00"));
        assert_eq!(values(&c, "year fraction (months_30_360)"), ["12/12"]);
        // 30/360 days: a 31st counts as the 30th.
        assert_eq!(days_30_360(d("2026-01-01"), d("2026-07-16")), 195);
        assert_eq!(days_30_360(d("2026-01-31"), d("2026-03-01")), 31);
        assert_eq!(days_30_360(d("2026-01-31"), d("2026-02-28")), 28);
        assert_eq!(days_30_360(d("2026-01-30"), d("2026-01-31")), 0);
    }

    mod properties {
        use super::*;
        use proptest::prelude::*;

        fn plus(on: NaiveDate, days: u64) -> NaiveDate {
            on + chrono::Days::new(days)
        }

        proptest! {
            /// Events never raise the amount: with any history the amount is at most that of
            /// the same loan and period without events, and equal to it when every event falls
            /// on or after the end of the period. Without events the amount is the principal
            /// (capped) × rate × year fraction, as it always was.
            #[test]
            fn events_never_raise_the_amount(
                principal in 1i64..=10_000_000_000,
                points in 0i64..=50_000,
                extra in 0i64..=50_000,
                dc in 0usize..3,
                cap in proptest::option::of(1i64..=10_000_000_000),
                include in any::<bool>(),
                disbursed in 0u64..=60,
                start_off in 0u64..=400,
                len in 0u64..=800,
                history in proptest::collection::vec((0u64..=90, 0usize..7, 0i64..=10_000_000_000), 0..8),
            ) {
                let mut rule = interest_rule(InterestBase::FixedPoints);
                rule.points = Some(Rate::from_units(points));
                rule.day_count = [DayCount::Act360, DayCount::Act365, DayCount::Months30_360][dc];
                rule.principal_cap = cap.map(Money::from_fen);
                rule.include_overdue_days = include;
                let disbursed_on = plus(d("2026-01-01"), disbursed);
                let mut plain = loan("1", "1", "2026-01-01", 24);
                plain.principal = Money::from_fen(principal);
                plain.annual_rate = Rate::from_units(points + extra);
                plain.disbursed_on = disbursed_on;
                let start = plus(disbursed_on, start_off);
                let end = plus(start, len);
                let quote = |l: &LoanFacts| {
                    compute(&Rule::Interest(rule.clone()), l, start, end, &lpr(), PriorAmounts::default()).amount
                };
                let events = |from: NaiveDate| {
                    let mut on = from;
                    history.iter().map(|&(gap, kind, p)| {
                        on = plus(on, gap);
                        let kind = K::ALL[kind % K::ALL.len()];
                        let moves = matches!(kind, K::Repayment | K::Recovery);
                        LoanEvent { on, kind, principal: moves.then(|| Money::from_fen(p % principal + 1)) }
                    }).collect::<Vec<_>>()
                };
                let without = quote(&plain);
                // Without events: exactly the formula before balances were followed.
                let balance = match rule.principal_cap { Some(c) if plain.principal > c => c, _ => plain.principal };
                let e = end.min(add_months(disbursed_on, 24)).max(start);
                let days = Decimal::from((e - start).num_days());
                let fraction = match rule.day_count {
                    DayCount::Act360 => days / Decimal::from(360),
                    DayCount::Act365 => days / Decimal::from(365),
                    DayCount::Months30_360 => Decimal::from(whole_months(start, e)) / Decimal::from(12),
                };
                let rate = Rate::from_units(points).percent();
                prop_assert_eq!(without, round_fen(balance.to_decimal() * rate / Decimal::ONE_HUNDRED * fraction));
                let during = quote(&with_events(plain.clone(), &events(disbursed_on)));
                prop_assert!(during <= without, "{} > {}", during, without);
                let after = quote(&with_events(plain.clone(), &events(end)));
                prop_assert_eq!(after, without);
            }
        }
    }
}
