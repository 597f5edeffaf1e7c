//! Risk sharing and compensation (风险分担 / 风险补偿资金池, SPEC §3.15): a scheme's terms, their
//! validation, its capacity, and the compensation a claim comes to, with every step a clerk
//! needs to recompute it. Pure: no storage, no clock. Worked examples are in `docs/risk.md`,
//! each asserted below.

use rust_decimal::Decimal;

use super::money::Money;
use super::rate::Rate;
use super::subsidy::{round_fen, Step};

str_enum! {
    pub enum SchemeKind {
        /// A pool that pays banks (or guarantors) part of an NPL loan's loss (风险补偿资金池).
        CompensationPool = "compensation_pool" / "风险补偿资金池",
        /// A fixed split of a guaranteed loan's loss among the parties (政银担 "4321").
        RiskSharing = "risk_sharing" / "风险分担",
    }
}

str_enum! {
    pub enum Party {
        Government = "government" / "政府",
        Guarantor = "guarantor" / "担保机构",
        Reguarantor = "reguarantor" / "再担保机构",
        Bank = "bank" / "银行",
    }
}

str_enum! {
    pub enum CompensationState {
        /// Submitted by the loan's bank or guarantor; the office decides.
        Submitted = "submitted" / "已申报",
        /// Approved: its amount is reserved from the scheme's balance.
        Approved = "approved" / "已批准",
        Rejected = "rejected" / "已驳回",
        Paid = "paid" / "已拨付",
    }
}

str_enum! {
    pub enum CompensationAction {
        Approve = "approve" / "批准",
        Reject = "reject" / "驳回",
        Pay = "pay" / "拨付",
    }
}

/// The claim state machine: submitted → approved | rejected; approved → paid.
pub fn claim_transition(
    from: CompensationState,
    action: CompensationAction,
) -> Result<CompensationState, String> {
    use CompensationAction as A;
    use CompensationState as S;
    match (from, action) {
        (S::Submitted, A::Approve) => Ok(S::Approved),
        (S::Submitted, A::Reject) => Ok(S::Rejected),
        (S::Approved, A::Pay) => Ok(S::Paid),
        _ => Err(format!(
            "{action} is not allowed for a claim that is {from}"
        )),
    }
}

/// Each party's share of a loss, percent; they sum to 100.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Shares {
    pub government: Rate,
    pub guarantor: Rate,
    pub reguarantor: Rate,
    pub bank: Rate,
}

impl Shares {
    fn each(&self) -> [(Party, Rate); 4] {
        [
            (Party::Government, self.government),
            (Party::Guarantor, self.guarantor),
            (Party::Reguarantor, self.reguarantor),
            (Party::Bank, self.bank),
        ]
    }
}

/// Points added to the government's share: for a 首贷 loan, for a credit loan (both when both).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct BonusPoints {
    pub first_loan: Rate,
    pub credit: Rate,
}

/// What decides a compensation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Terms {
    pub shares: Shares,
    pub bonus_points: BonusPoints,
    /// Caps the government's share plus bonuses (安徽: 80).
    pub max_compensation_percent: Rate,
    pub per_loan_cap: Option<Money>,
}

/// Every rule the terms break, as (field, message); empty when valid.
pub fn terms_refusals(t: &Terms) -> Vec<(&'static str, String)> {
    let mut out = Vec::new();
    let hundred = Decimal::ONE_HUNDRED;
    let in_0_100 = |r: Rate| r.percent() >= Decimal::ZERO && r.percent() <= hundred;
    for (party, share) in t.shares.each() {
        if !in_0_100(share) {
            out.push(("shares", format!("{party} must be between 0 and 100")));
        }
    }
    let sum: Decimal = t.shares.each().iter().map(|(_, r)| r.percent()).sum();
    if sum != hundred {
        out.push((
            "shares",
            format!("must sum to 100, not {}", sum.normalize()),
        ));
    }
    for (field, r) in [
        ("bonus_points.first_loan", t.bonus_points.first_loan),
        ("bonus_points.credit", t.bonus_points.credit),
    ] {
        if !in_0_100(r) {
            out.push((field, "must be between 0 and 100".to_owned()));
        }
    }
    if !in_0_100(t.max_compensation_percent) || t.max_compensation_percent.percent().is_zero() {
        out.push((
            "max_compensation_percent",
            "must be above 0 and at most 100".to_owned(),
        ));
    }
    if t.per_loan_cap.is_some_and(|c| c.fen() <= 0) {
        out.push(("per_loan_cap", "must be greater than 0".to_owned()));
    }
    out
}

/// How much outstanding principal a scheme may cover: capital × leverage (放大倍数), to the fen
/// (rounded half-up once).
pub fn capacity(capital: Money, leverage: Decimal) -> Money {
    round_fen(capital.to_decimal() * leverage)
}

/// The loan a claim is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Loss {
    /// What the claimant says it lost.
    pub loss_principal: Money,
    /// The loan's outstanding principal when it became `npl`.
    pub npl_outstanding: Money,
    pub first_loan: bool,
    pub credit: bool,
}

/// A claim's amount and how it was reached.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Compensation {
    pub base: Money,
    /// The percent paid: government share plus bonuses, capped.
    pub percent: Decimal,
    pub amount: Money,
    /// Each party's share of the base, as the scheme splits the loss.
    pub parties: Vec<(Party, Money)>,
    pub steps: Vec<Step>,
}

fn step(s: &str, v: String) -> Step {
    Step {
        step: s.to_owned(),
        value: v,
    }
}

fn pct(d: Decimal) -> String {
    format!("{}%", d.normalize())
}

/// base = min(loss, outstanding at NPL, per-loan cap); amount = base × min(government share +
/// bonuses, max_compensation_percent) %, rounded half-up to the fen once.
pub fn compensation(t: &Terms, l: &Loss) -> Compensation {
    let mut steps = Vec::new();
    let mut base = l.loss_principal.min(l.npl_outstanding);
    steps.push(step(
        "base: the loss, at most the outstanding when the loan became NPL",
        format!("min({}, {}) = {base}", l.loss_principal, l.npl_outstanding),
    ));
    if let Some(cap) = t.per_loan_cap {
        if cap < base {
            steps.push(step("per-loan cap", format!("min({base}, {cap}) = {cap}")));
            base = cap;
        }
    }
    let mut percent = t.shares.government.percent();
    let mut how = format!("government share {}", pct(percent));
    for (applies, points, what) in [
        (l.first_loan, t.bonus_points.first_loan, "首贷 bonus"),
        (l.credit, t.bonus_points.credit, "credit-loan bonus"),
    ] {
        if applies && !points.percent().is_zero() {
            percent += points.percent();
            how.push_str(&format!(" + {what} {}", points.percent().normalize()));
        }
    }
    let cap = t.max_compensation_percent.percent();
    if percent > cap {
        how.push_str(&format!(
            " = {}, capped at {}",
            percent.normalize(),
            pct(cap)
        ));
        percent = cap;
    } else {
        how.push_str(&format!(" = {}", pct(percent)));
    }
    steps.push(step("percent paid", how));
    let raw = base.to_decimal() * percent / Decimal::ONE_HUNDRED;
    let amount = round_fen(raw);
    steps.push(step(
        "amount (rounded half-up to 0.01 once)",
        format!("{base} × {} = {} → {amount}", pct(percent), raw.normalize()),
    ));
    let parties = t
        .shares
        .each()
        .into_iter()
        .filter(|(_, r)| !r.percent().is_zero())
        .map(|(p, r)| {
            (
                p,
                round_fen(base.to_decimal() * r.percent() / Decimal::ONE_HUNDRED),
            )
        })
        .collect::<Vec<_>>();
    for (p, m) in &parties {
        steps.push(step(&format!("{p}'s share of the base"), format!("{m}")));
    }
    Compensation {
        base,
        percent,
        amount,
        parties,
        steps,
    }
}

/// What returns to the pool when the claimant recovers `recovered` after being paid `paid` on
/// `base`: recovered × paid / base, rounded half-up once.
pub fn pool_part_of_recovery(recovered: Money, paid: Money, base: Money) -> (Money, Vec<Step>) {
    if base.is_zero() {
        return (
            Money::ZERO,
            vec![step("pool's part", "nothing was paid".into())],
        );
    }
    let raw = recovered.to_decimal() * paid.to_decimal() / base.to_decimal();
    let part = round_fen(raw);
    (
        part,
        vec![step(
            "pool's part of the recovery (recovered × paid ÷ base, half-up once)",
            format!(
                "{recovered} × {paid} ÷ {base} = {} → {part}",
                raw.round_dp(6).normalize()
            ),
        )],
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(s: &str) -> Money {
        Money::parse(s).unwrap()
    }

    fn r(s: &str) -> Rate {
        Rate::parse(s).unwrap()
    }

    fn shares(g: &str, gu: &str, re: &str, b: &str) -> Shares {
        Shares {
            government: r(g),
            guarantor: r(gu),
            reguarantor: r(re),
            bank: r(b),
        }
    }

    /// R1 in docs/risk.md: 安徽 "4321" on a 1,000万 loss.
    #[test]
    fn r1_4321_on_ten_million() {
        let t = Terms {
            shares: shares("10", "40", "30", "20"),
            bonus_points: BonusPoints::default(),
            max_compensation_percent: r("100"),
            per_loan_cap: None,
        };
        assert!(terms_refusals(&t).is_empty());
        let c = compensation(
            &t,
            &Loss {
                loss_principal: m("10000000.00"),
                npl_outstanding: m("10000000.00"),
                first_loan: true,
                credit: false,
            },
        );
        assert_eq!(c.base, m("10000000.00"));
        assert_eq!(c.amount, m("1000000.00"));
        assert_eq!(
            c.parties,
            vec![
                (Party::Government, m("1000000.00")),
                (Party::Guarantor, m("4000000.00")),
                (Party::Reguarantor, m("3000000.00")),
                (Party::Bank, m("2000000.00")),
            ]
        );
    }

    /// R2 in docs/risk.md: the 安徽 pool (30 % of a direct loan's loss) on a 首贷 credit loan.
    #[test]
    fn r2_anhui_pool_first_credit_loan() {
        let t = Terms {
            shares: shares("30", "0", "0", "70"),
            bonus_points: BonusPoints {
                first_loan: r("5"),
                credit: r("5"),
            },
            max_compensation_percent: r("80"),
            per_loan_cap: None,
        };
        let c = compensation(
            &t,
            &Loss {
                loss_principal: m("1234567.89"),
                npl_outstanding: m("1300000.00"),
                first_loan: true,
                credit: true,
            },
        );
        assert_eq!(c.base, m("1234567.89"));
        assert_eq!(c.percent, Decimal::from(40));
        // 1,234,567.89 × 40 % = 493,827.156 → 493,827.16.
        assert_eq!(c.amount, m("493827.16"));
        assert_eq!(
            c.parties,
            vec![
                (Party::Government, m("370370.37")),
                (Party::Bank, m("864197.52")),
            ]
        );
        // A recovery of 100,000.00 after payment: 100,000 × 493,827.16 ÷ 1,234,567.89
        // = 40,000.000041 → 40,000.00 back to the pool.
        let (part, _) = pool_part_of_recovery(m("100000.00"), c.amount, c.base);
        assert_eq!(part, m("40000.00"));
    }

    /// R3 in docs/risk.md: the 80 % ceiling and a per-loan cap (78 + 5 + 5 = 88 → 80).
    #[test]
    fn r3_ceiling_and_per_loan_cap() {
        let t = Terms {
            shares: shares("78", "0", "0", "22"),
            bonus_points: BonusPoints {
                first_loan: r("5"),
                credit: r("5"),
            },
            max_compensation_percent: r("80"),
            per_loan_cap: Some(m("2000000.00")),
        };
        let c = compensation(
            &t,
            &Loss {
                loss_principal: m("2500000.00"),
                npl_outstanding: m("2400000.00"),
                first_loan: true,
                credit: true,
            },
        );
        assert_eq!(c.base, m("2000000.00"));
        assert_eq!(c.percent, Decimal::from(80));
        assert_eq!(c.amount, m("1600000.00"));
        let labels: Vec<&str> = c.steps.iter().map(|s| s.step.as_str()).collect();
        assert!(labels.contains(&"per-loan cap"), "{labels:?}");
        assert!(c.steps.iter().any(|s| s.value.contains("capped at 80%")));
    }

    #[test]
    fn claims_move_only_as_the_table_says() {
        use CompensationAction as A;
        use CompensationState as S;
        for from in S::ALL {
            for action in A::ALL {
                let expected = match (from, action) {
                    (S::Submitted, A::Approve) => Some(S::Approved),
                    (S::Submitted, A::Reject) => Some(S::Rejected),
                    (S::Approved, A::Pay) => Some(S::Paid),
                    _ => None,
                };
                assert_eq!(claim_transition(*from, *action).ok(), expected);
            }
        }
    }

    #[test]
    fn bad_terms_are_named() {
        let t = Terms {
            shares: shares("40", "40", "30", "20"),
            bonus_points: BonusPoints {
                first_loan: Rate::from_units(-10_000),
                credit: r("5"),
            },
            max_compensation_percent: r("0"),
            per_loan_cap: Some(Money::ZERO),
        };
        let fields: Vec<&str> = terms_refusals(&t).into_iter().map(|(f, _)| f).collect();
        assert_eq!(
            fields,
            vec![
                "shares",
                "bonus_points.first_loan",
                "max_compensation_percent",
                "per_loan_cap"
            ]
        );
    }

    #[test]
    fn capacity_is_capital_times_leverage() {
        assert_eq!(
            capacity(m("10000000.00"), Decimal::from(10)),
            m("100000000.00")
        );
        assert_eq!(
            capacity(m("333.33"), Decimal::new(25, 1)),
            m("833.33") // 833.325 → 833.33
        );
    }
}
