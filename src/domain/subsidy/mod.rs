//! Subsidy formulas (贴息 and 担保费补贴), in one place. Exact decimals throughout; one
//! half-up rounding to the fen (四舍五入到分) at the end; every step goes into a breakdown a
//! clerk can recompute by hand.
//!
//! Interest subsidy: principal (after `principal_cap`) × subsidy rate × year fraction, where the
//! subsidy rate comes from the rule's `base`, is capped by `max_points`, never exceeds the loan's
//! own rate and is never negative. A loan with events follows its balance (积数法): Σ each
//! day's outstanding (after `principal_cap`, 0 on days that earn nothing) × subsidy rate / 360. Guarantee-fee subsidy: guaranteed amount × `subsidy_percent`
//! × year fraction, at most the fee charged for the period when `cap_at_fee_paid`.
//! Caps against what the payee already has approved or paid apply afterwards. Awards (a lump
//! sum per enterprise, a guarantor's 降费奖补 over its volume) are in `award`.

mod award;
mod balance;
mod claim;
mod compute;
mod day_count;
mod eligibility;
mod facts;
#[cfg(test)]
mod fixtures;
mod guarantee;
mod interest;
mod rule;

pub use award::{
    guarantor_award, lump_sum, AwardTier, GuaranteedLoan, GuarantorAwardRule, LumpSumRule,
};
pub use claim::{ClaimAction, ClaimState};
pub use compute::compute;
pub use day_count::whole_months;
pub use eligibility::{
    enterprise_criteria, loan_criteria, policy_reasons, policy_suspended, Applicant, Beneficiary,
    PolicyCriterion, PolicyEligibility,
};
pub use facts::{round_fen, Computation, GuaranteeFacts, LoanFacts, PriorAmounts, Step};
pub use rule::{
    lpr_as_of, CounterGuarantee, DayCount, GuaranteeRule, InterestBase, InterestRule, LprPoint,
    LprReference, LprTerm, PolicyAction, PolicyKind, PolicyStatus, Rule, StoredRule,
};
