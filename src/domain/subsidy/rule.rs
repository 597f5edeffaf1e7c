//! What a policy is and what its rule says: the policy enums, the interest and guarantee-fee
//! rule types, and the LPR series the interest rule reads.

use chrono::{Datelike, NaiveDate};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::award::{GuarantorAwardRule, LumpSumRule};
use crate::domain::money::Money;
use crate::domain::rate::Rate;

str_enum! {
    pub enum PolicyKind {
        InterestSubsidy = "interest_subsidy" / "贷款贴息",
        GuaranteeFeeSubsidy = "guarantee_fee_subsidy" / "担保费补贴",
        LumpSumAward = "lump_sum_award" / "一次性奖励",
        GuarantorAward = "guarantor_award" / "融资担保降费奖补",
    }
}

str_enum! {
    /// `active` policies take claims; a `suspended` one takes none.
    pub enum PolicyStatus {
        Active = "active" / "有效",
        Suspended = "suspended" / "已暂停",
    }
}

/// What can happen to a policy. Changing its rule (`update`) is not a state change: it is
/// allowed only while no claim exists (`policy_immutable`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PolicyAction {
    /// No new claims or approvals (its finance office, an admin).
    Suspend,
}

impl PolicyKind {
    /// Computed per loan and period (贴息, 担保费补贴); the awards are claimed without a loan.
    pub fn per_loan(self) -> bool {
        matches!(
            self,
            PolicyKind::InterestSubsidy | PolicyKind::GuaranteeFeeSubsidy
        )
    }
}

impl PolicyStatus {
    /// active ──suspend──▶ suspended; suspending a suspended policy changes nothing.
    pub fn after(self, action: PolicyAction) -> PolicyStatus {
        match (self, action) {
            (PolicyStatus::Active | PolicyStatus::Suspended, PolicyAction::Suspend) => {
                PolicyStatus::Suspended
            }
        }
    }

    /// Only an active policy takes claims and approvals.
    pub fn takes_claims(self) -> bool {
        self == PolicyStatus::Active
    }
}

str_enum! {
    pub enum InterestBase {
        /// subsidy rate = `points` (or `first_loan_points` for a 首贷 loan)
        FixedPoints = "fixed_points" / "固定贴息点数",
        /// subsidy rate = `share_percent` % of the LPR `lpr_term` as of `lpr_reference`
        LprShare = "lpr_share" / "按LPR比例",
        /// subsidy rate = `share_percent` % of the loan's annual rate
        ActualRateShare = "actual_rate_share" / "按实际利率比例",
        /// subsidy rate = loan rate − (LPR − `spread_bp`/100)
        LprSpread = "lpr_spread" / "超出LPR加点部分",
    }
}

str_enum! {
    pub enum LprTerm {
        OneYear = "1y" / "1年期",
        FiveYear = "5y" / "5年期以上",
    }
}

str_enum! {
    pub enum LprReference {
        /// the LPR in force on the disbursement date
        DisbursementDate = "disbursement_date" / "放款日LPR",
        /// the last LPR effective on or before 31 December of the year before disbursement
        LastOfPreviousYear = "last_of_previous_year" / "上年末LPR",
        /// the LPR in force in December of the year the period ends
        DecemberOfPeriodEndYear = "december_of_period_end_year" / "期末当年12月LPR",
    }
}

str_enum! {
    pub enum DayCount {
        /// actual days / 360 (the RMB loan convention; default for interest)
        Act360 = "act_360" / "实际天数/360",
        /// actual days / 365
        Act365 = "act_365" / "实际天数/365",
        /// whole months / 12 (default for guarantee fees); when the subsidised balance changes
        /// inside the period, each balance's days count 30/360 over the whole months
        Months30_360 = "months_30_360" / "整月/12",
    }
}

str_enum! {
    pub enum CounterGuarantee {
        Credit = "credit" / "信用",
        ThirdParty = "third_party" / "第三方保证",
        Collateral = "collateral" / "抵质押",
    }
}

/// One LPR print.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LprPoint {
    pub effective_on: NaiveDate,
    pub one_year: Rate,
    pub five_year: Rate,
}

/// "LPR as of D": the latest print with `effective_on ≤ D` (`series` sorted by date).
pub fn lpr_as_of(series: &[LprPoint], d: NaiveDate) -> Option<LprPoint> {
    series.iter().rev().find(|p| p.effective_on <= d).copied()
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InterestRule {
    pub base: InterestBase,
    pub points: Option<Rate>,
    pub first_loan_points: Option<Rate>,
    pub share_percent: Option<Decimal>,
    pub lpr_term: LprTerm,
    pub lpr_reference: LprReference,
    pub spread_bp: Option<i64>,
    pub max_points: Option<Rate>,
    pub day_count: DayCount,
    pub max_months: Option<u32>,
    pub principal_cap: Option<Money>,
    pub per_enterprise_annual_cap: Option<Money>,
    pub per_enterprise_total_cap: Option<Money>,
    /// Count the days the loan is `overdue` or `npl` (never the days after it is closed).
    /// Absent from rules stored before it existed, which count neither.
    #[serde(default)]
    pub include_overdue_days: bool,
}

impl InterestRule {
    /// Why an amount for a period ending `end` is provisional on `today`: its base reads the
    /// December LPR of the period end's year, and that print comes out on 20 December
    /// (SPEC §3.16). Approving such a claim waits for it (`lpr_not_published`).
    pub fn provisional(&self, end: NaiveDate, today: NaiveDate) -> Option<String> {
        let reads_lpr = matches!(self.base, InterestBase::LprShare | InterestBase::LprSpread);
        let published = NaiveDate::from_ymd_opt(end.year(), 12, 20)?;
        (reads_lpr
            && self.lpr_reference == LprReference::DecemberOfPeriodEndYear
            && today < published)
            .then(|| {
                format!(
                    "the December {} LPR is published on {published}; until then the amount uses the latest print and is provisional",
                    end.year()
                )
            })
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GuaranteeRule {
    pub subsidy_percent: Decimal,
    pub max_fee_rate: Option<Rate>,
    pub counter_guarantee: Vec<CounterGuarantee>,
    pub day_count: DayCount,
    pub per_enterprise_annual_cap: Option<Money>,
    pub cap_at_fee_paid: bool,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum Rule {
    Interest(InterestRule),
    Guarantee(GuaranteeRule),
    LumpSum(LumpSumRule),
    GuarantorAward(GuarantorAwardRule),
}

/// A policy's rule as stored (`policies.rule`): the domain rule under a format version, so
/// that a release which changes the rule's shape can still read what an earlier one wrote.
/// Not the request body: that is `app::subsidies::rule_input::RuleInput`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StoredRule {
    pub version: u32,
    pub rule: Rule,
}

impl StoredRule {
    pub const VERSION: u32 = 1;

    pub fn new(rule: Rule) -> Self {
        StoredRule {
            version: Self::VERSION,
            rule,
        }
    }

    /// The rule, if this release reads its version.
    pub fn current(&self) -> Option<&Rule> {
        (self.version == Self::VERSION).then_some(&self.rule)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::subsidy::fixtures::{d, lpr, r};

    #[test]
    fn lpr_as_of_picks_the_latest_print_not_after_the_date() {
        let s = lpr();
        assert_eq!(lpr_as_of(&s, d("2024-10-20")).unwrap().one_year, r("3.35"));
        assert_eq!(lpr_as_of(&s, d("2024-10-21")).unwrap().one_year, r("3.10"));
        assert_eq!(lpr_as_of(&s, d("2026-11-22")).unwrap().one_year, r("3.00"));
        assert!(lpr_as_of(&s, d("2019-08-19")).is_none());
    }

    #[test]
    fn a_december_lpr_amount_is_provisional_until_the_20th() {
        use crate::domain::subsidy::fixtures::interest_rule;
        let mut rule = interest_rule(InterestBase::LprShare);
        rule.lpr_reference = LprReference::DecemberOfPeriodEndYear;
        let end = d("2026-12-31");
        assert!(rule.provisional(end, d("2026-12-19")).is_some());
        assert!(rule.provisional(end, d("2026-12-20")).is_none());
        // A period ending early next year reads next December's print.
        assert!(rule.provisional(d("2027-01-01"), d("2026-12-21")).is_some());
        rule.lpr_reference = LprReference::DisbursementDate;
        assert!(rule.provisional(end, d("2026-12-19")).is_none());
        let mut fixed = interest_rule(InterestBase::FixedPoints);
        fixed.lpr_reference = LprReference::DecemberOfPeriodEndYear;
        assert!(fixed.provisional(end, d("2026-12-19")).is_none());
    }
}

#[cfg(test)]
mod policy_tests {
    use super::{PolicyAction, PolicyStatus as S};

    /// The whole policy table: every (state, action) pair.
    #[test]
    fn policies_move_only_along_the_arrows() {
        let arrows = [
            (S::Active, PolicyAction::Suspend, S::Suspended),
            (S::Suspended, PolicyAction::Suspend, S::Suspended),
        ];
        for &s in S::ALL {
            let expected = arrows.iter().find(|a| a.0 == s).map(|a| a.2);
            assert_eq!(Some(s.after(PolicyAction::Suspend)), expected, "{s}");
        }
        assert!(S::Active.takes_claims());
        assert!(!S::Suspended.takes_claims());
    }
}
