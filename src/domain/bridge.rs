//! Bridge funds (应急转贷资金 / 过桥, SPEC §3.14), in one place: the bridge state machine, the
//! caps a request must fit, and the fee.
//!
//! ```text
//!  enterprise requests ──► requested ──approve (office, reserves capital)──► approved
//!                              │                                              │ disburse (office)
//!                              └─reject (office)──► rejected                  ▼
//!                                           disbursed ──past due (scan)──► overdue
//!                                               └──────────repay (office)──────┴──► repaid
//! ```
//! A bridge's principal is reserved from the fund's capital from approval until repayment:
//! `available` = capital − principal of bridges approved, disbursed or overdue.

use chrono::{Days, NaiveDate};
use rust_decimal::Decimal;

use super::lang::Text;
use super::money::Money;
use super::rate::Rate;
use super::subsidy::{round_fen, Step};

str_enum! {
    pub enum BridgeState {
        /// Asked for by the enterprise; the finance office decides.
        Requested = "requested" / "已申请",
        /// Approved: its amount is reserved from the fund.
        Approved = "approved" / "已批准",
        Rejected = "rejected" / "已拒绝",
        /// Paid out to the enterprise (to repay its maturing loan).
        Disbursed = "disbursed" / "已放款",
        /// Repaid to the fund, with its fee.
        Repaid = "repaid" / "已归还",
        /// Still out past its disbursement date + `days`.
        Overdue = "overdue" / "逾期",
    }
}

str_enum! {
    pub enum BridgeAction {
        Approve = "approve" / "批准",
        Reject = "reject" / "拒绝",
        Disburse = "disburse" / "放款",
        Repay = "repay" / "归还",
        /// The scan marks a bridge out past its due date.
        MarkOverdue = "mark_overdue" / "逾期",
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{action} is not allowed for a bridge that is {from}")]
pub struct InvalidTransition {
    pub from: BridgeState,
    pub action: BridgeAction,
}

impl BridgeState {
    /// Holds fund capital.
    pub fn reserves(self) -> bool {
        matches!(
            self,
            BridgeState::Approved | BridgeState::Disbursed | BridgeState::Overdue
        )
    }
}

pub fn transition(
    from: BridgeState,
    action: BridgeAction,
) -> Result<BridgeState, InvalidTransition> {
    use BridgeAction as A;
    use BridgeState as S;
    match (from, action) {
        (S::Requested, A::Approve) => Ok(S::Approved),
        (S::Requested, A::Reject) => Ok(S::Rejected),
        (S::Approved, A::Disburse) => Ok(S::Disbursed),
        (S::Disbursed, A::MarkOverdue) => Ok(S::Overdue),
        (S::Disbursed | S::Overdue, A::Repay) => Ok(S::Repaid),
        _ => Err(InvalidTransition { from, action }),
    }
}

/// A fund's caps as a request meets them.
#[derive(Clone, Copy, Debug)]
pub struct FundCaps {
    pub max_amount: Money,
    /// Percent of the renewal's approved amount.
    pub max_share_of_renewal: Rate,
    pub max_days: u32,
}

/// Every cap a request of `amount` for `days` fails, as (field, message in both languages);
/// empty when it fits.
/// The amount must be at most the smallest of the fund's `max_amount`, `max_share_of_renewal`
/// % of the renewal's approved amount, and the loan's outstanding principal.
pub fn request_refusals(
    caps: FundCaps,
    amount: Money,
    days: u32,
    renewal_approved: Money,
    outstanding: Money,
) -> Vec<(&'static str, Text)> {
    let mut out = Vec::new();
    if amount.is_zero() {
        out.push(("amount", Text::new("must be greater than 0", "必须大于 0")));
    }
    if amount > caps.max_amount {
        out.push((
            "amount",
            Text::new(
                format!("is above the fund's maximum {}", caps.max_amount),
                format!("超过转贷资金单笔上限 {} 元", caps.max_amount),
            ),
        ));
    }
    let share = round_fen(
        renewal_approved.to_decimal() * caps.max_share_of_renewal.percent() / Decimal::ONE_HUNDRED,
    );
    if amount > share {
        out.push((
            "amount",
            Text::new(
                format!(
                    "is above {}% of the renewal's approved amount {renewal_approved}: at most {share}",
                    caps.max_share_of_renewal
                ),
                format!(
                    "超过续贷批准金额 {renewal_approved} 元的 {}%，最多 {share} 元",
                    caps.max_share_of_renewal
                ),
            ),
        ));
    }
    if amount > outstanding {
        out.push((
            "amount",
            Text::new(
                format!("is above the loan's outstanding {outstanding}"),
                format!("超过原贷款余额 {outstanding} 元"),
            ),
        ));
    }
    if days == 0 {
        out.push(("days", Text::new("must be at least 1", "至少 1 天")));
    }
    if days > caps.max_days {
        out.push((
            "days",
            Text::new(
                format!("is above the fund's maximum {} days", caps.max_days),
                format!("超过转贷资金最长 {} 天", caps.max_days),
            ),
        ));
    }
    out
}

/// The day a bridge disbursed `on` for `days` is due back.
pub fn due_on(on: NaiveDate, days: u32) -> NaiveDate {
    on.checked_add_days(Days::new(u64::from(days)))
        .unwrap_or(NaiveDate::MAX)
}

/// The days a bridge was out, from the disbursement to the repayment (算头不算尾).
pub fn days_used(disbursed_on: NaiveDate, repaid_on: NaiveDate) -> u32 {
    (repaid_on - disbursed_on)
        .num_days()
        .clamp(0, i64::from(u32::MAX)) as u32
}

/// The fee of a bridge: amount × `daily_fee_rate` % × the days actually used, from the
/// disbursement to the repayment (算头不算尾), rounded half-up to the fen once; with the steps.
pub fn fee(
    amount: Money,
    daily_fee_rate: Rate,
    disbursed_on: NaiveDate,
    repaid_on: NaiveDate,
) -> (Money, Vec<Step>) {
    let days = days_used(disbursed_on, repaid_on);
    let raw =
        amount.to_decimal() * daily_fee_rate.percent() / Decimal::ONE_HUNDRED * Decimal::from(days);
    let fee = round_fen(raw);
    let step = |s: &str, v: String| Step {
        step: s.to_owned(),
        value: v,
    };
    let steps = vec![
        step("amount", amount.to_string()),
        step("daily fee rate", format!("{daily_fee_rate}% per day")),
        step(
            "days used (first day counted, last not)",
            format!("{disbursed_on} to {repaid_on} = {days}"),
        ),
        step(
            "raw fee",
            format!(
                "{amount} × {daily_fee_rate}% × {days} = {}",
                raw.round_dp(6).normalize()
            ),
        ),
        step("fee (half up to 0.01)", fee.to_string()),
    ];
    (fee, steps)
}

#[cfg(test)]
mod tests {
    use super::*;
    use BridgeAction as A;
    use BridgeState as S;

    fn m(s: &str) -> Money {
        Money::parse(s).unwrap()
    }

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn the_transition_table_whole() {
        let allowed = [
            (S::Requested, A::Approve, S::Approved),
            (S::Requested, A::Reject, S::Rejected),
            (S::Approved, A::Disburse, S::Disbursed),
            (S::Disbursed, A::MarkOverdue, S::Overdue),
            (S::Disbursed, A::Repay, S::Repaid),
            (S::Overdue, A::Repay, S::Repaid),
        ];
        for &from in S::ALL {
            for &action in A::ALL {
                let want = allowed
                    .iter()
                    .find(|(f, a, _)| *f == from && *a == action)
                    .map(|(_, _, to)| *to);
                match want {
                    Some(to) => assert_eq!(transition(from, action), Ok(to)),
                    None => assert_eq!(
                        transition(from, action),
                        Err(InvalidTransition { from, action })
                    ),
                }
            }
        }
        let reserving: Vec<_> = S::ALL.iter().filter(|s| s.reserves()).collect();
        assert_eq!(reserving, vec![&S::Approved, &S::Disbursed, &S::Overdue]);
    }

    /// Every failing cap is listed: 95% of 4,000,000 is 3,800,000; outstanding 3,500,000.
    #[test]
    fn every_failing_cap_is_listed() {
        let caps = FundCaps {
            max_amount: m("3000000.00"),
            max_share_of_renewal: Rate::parse("95").unwrap(),
            max_days: 30,
        };
        let r = request_refusals(caps, m("3900000.00"), 31, m("4000000.00"), m("3500000.00"));
        let fields: Vec<&str> = r.iter().map(|(f, _)| *f).collect();
        assert_eq!(fields, vec!["amount", "amount", "amount", "days"]);
        assert!(r[1].1.en.contains("at most 3800000.00"));
        assert!(r[1].1.zh.contains("最多 3800000.00 元"), "{:?}", r[1].1);
        assert!(
            request_refusals(caps, m("3000000.00"), 30, m("4000000.00"), m("3500000.00"))
                .is_empty()
        );
    }

    /// Worked example (docs/servicing.md): 3,000,000 at 0.02 %/day from 2026-03-01 to
    /// 2026-03-16 = 15 days: 3,000,000 × 0.02% × 15 = 9,000.00. At 0.015 %/day for 7 days on
    /// 1,234,567.89: 1,234,567.89 × 0.00015 × 7 = 1,296.2962845 → 1,296.30.
    #[test]
    fn fees_are_exact() {
        let (f, steps) = fee(
            m("3000000.00"),
            Rate::parse("0.02").unwrap(),
            d("2026-03-01"),
            d("2026-03-16"),
        );
        assert_eq!(f, m("9000.00"));
        assert_eq!(steps.last().unwrap().value, "9000.00");
        let (f, _) = fee(
            m("1234567.89"),
            Rate::parse("0.015").unwrap(),
            d("2026-03-01"),
            d("2026-03-08"),
        );
        assert_eq!(f, m("1296.30"));
        let (f, _) = fee(
            m("100.00"),
            Rate::parse("0.02").unwrap(),
            d("2026-03-01"),
            d("2026-03-01"),
        );
        assert_eq!(f, Money::ZERO);
        assert_eq!(due_on(d("2026-03-01"), 15), d("2026-03-16"));
    }
}
