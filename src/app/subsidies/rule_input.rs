//! A policy's rule as clients send it (`RuleInput`): which parameters a kind and base take,
//! their checks and defaults, and the domain `Rule` built from it. The normalised input (the
//! defaults filled in) is what a policy stores and shows.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::app::error::FieldError;
use crate::domain::money::Money;
use crate::domain::rate::Rate;
use crate::domain::subsidy::{
    AwardTier, CounterGuarantee, DayCount, GuaranteeRule, GuarantorAwardRule, InterestBase,
    InterestRule, LprReference, LprTerm, LumpSumRule, PolicyKind, Rule,
};

/// A policy's rule. Which parameters apply depends on the policy kind and (for interest
/// subsidies) the `base`; any other parameter is refused (422).
#[derive(Clone, Debug, Default, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RuleInput {
    pub base: Option<InterestBase>,
    #[schema(value_type = Option<Rate>)]
    pub points: Option<Rate>,
    #[schema(value_type = Option<Rate>)]
    pub first_loan_points: Option<Rate>,
    /// Percent, e.g. "20" for 20%.
    #[schema(value_type = Option<Rate>)]
    pub share_percent: Option<Rate>,
    pub lpr_term: Option<LprTerm>,
    pub lpr_reference: Option<LprReference>,
    pub spread_bp: Option<i64>,
    #[schema(value_type = Option<Rate>)]
    pub max_points: Option<Rate>,
    pub day_count: Option<DayCount>,
    pub max_months: Option<u32>,
    #[schema(value_type = Option<Money>)]
    pub principal_cap: Option<Money>,
    #[schema(value_type = Option<Money>)]
    pub per_enterprise_annual_cap: Option<Money>,
    #[schema(value_type = Option<Money>)]
    pub per_enterprise_total_cap: Option<Money>,
    /// Interest subsidy: also subsidise the days the loan is `overdue` or `npl` (default false;
    /// days after it is repaid, renewed or written off never count).
    pub include_overdue_days: Option<bool>,
    /// Guarantee-fee subsidy: percent of the guaranteed amount per year.
    #[schema(value_type = Option<Rate>)]
    pub subsidy_percent: Option<Rate>,
    #[schema(value_type = Option<Rate>)]
    pub max_fee_rate: Option<Rate>,
    pub counter_guarantee: Option<Vec<CounterGuarantee>>,
    pub cap_at_fee_paid: Option<bool>,
    /// Lump-sum award: the amount paid once per enterprise.
    #[schema(value_type = Option<Money>)]
    pub amount: Option<Money>,
    /// Lump-sum award: only a qualification certified on or after this day counts (an award
    /// for newly certified firms).
    #[serde(default, deserialize_with = "crate::domain::date::strict_opt")]
    pub certified_from: Option<chrono::NaiveDate>,
    /// Guarantor award: higher percents from a share of 小微 volume up (e.g. 重庆: 1.2 from
    /// 80, 1.3 from 90); `subsidy_percent` applies below every tier.
    pub tiers: Option<Vec<AwardTierInput>>,
    /// Guarantor award: at most this much per guarantor under the policy (重庆: 3000万).
    #[schema(value_type = Option<Money>)]
    pub per_guarantor_cap: Option<Money>,
}

/// One tier of a guarantor award.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AwardTierInput {
    /// Percent of the guarantor's volume in the period lent to 小型 and 微型 enterprises.
    #[schema(value_type = Rate, example = "80")]
    pub min_small_micro_share: Rate,
    /// Percent of the eligible volume paid from this share up.
    #[schema(value_type = Rate, example = "1.2")]
    pub subsidy_percent: Rate,
}

impl RuleInput {
    /// Overlays `o` (simulation overrides).
    pub(super) fn merged(&self, o: &RuleInput) -> RuleInput {
        macro_rules! pick {
            ($($f:ident),*) => { RuleInput { $($f: o.$f.clone().or_else(|| self.$f.clone()),)* } };
        }
        pick!(
            base,
            points,
            first_loan_points,
            share_percent,
            lpr_term,
            lpr_reference,
            spread_bp,
            max_points,
            day_count,
            max_months,
            principal_cap,
            per_enterprise_annual_cap,
            per_enterprise_total_cap,
            include_overdue_days,
            subsidy_percent,
            max_fee_rate,
            counter_guarantee,
            cap_at_fee_paid,
            amount,
            certified_from,
            tiers,
            per_guarantor_cap
        )
    }

    /// The rule as a client would write it with every default filled in — what a policy
    /// shows. `from_rule(&input.to_rule(kind)?)` is `input` normalised.
    pub fn from_rule(rule: &Rule) -> RuleInput {
        match rule {
            Rule::LumpSum(l) => RuleInput {
                amount: Some(l.amount),
                certified_from: l.certified_from,
                ..RuleInput::default()
            },
            Rule::GuarantorAward(g) => RuleInput {
                subsidy_percent: Rate::from_percent(g.subsidy_percent),
                max_fee_rate: g.max_fee_rate,
                counter_guarantee: Some(g.counter_guarantee.clone()),
                tiers: Some(
                    g.tiers
                        .iter()
                        .filter_map(|t| {
                            Some(AwardTierInput {
                                min_small_micro_share: Rate::from_percent(t.min_small_micro_share)?,
                                subsidy_percent: Rate::from_percent(t.subsidy_percent)?,
                            })
                        })
                        .collect(),
                ),
                per_guarantor_cap: g.per_guarantor_cap,
                ..RuleInput::default()
            },
            Rule::Guarantee(g) => RuleInput {
                subsidy_percent: Rate::from_percent(g.subsidy_percent),
                max_fee_rate: g.max_fee_rate,
                counter_guarantee: Some(g.counter_guarantee.clone()),
                day_count: Some(g.day_count),
                per_enterprise_annual_cap: g.per_enterprise_annual_cap,
                cap_at_fee_paid: Some(g.cap_at_fee_paid),
                ..RuleInput::default()
            },
            Rule::Interest(i) => {
                let on_lpr = matches!(i.base, InterestBase::LprShare | InterestBase::LprSpread);
                RuleInput {
                    base: Some(i.base),
                    points: i.points,
                    first_loan_points: i.first_loan_points,
                    share_percent: i.share_percent.and_then(Rate::from_percent),
                    lpr_term: on_lpr.then_some(i.lpr_term),
                    lpr_reference: on_lpr.then_some(i.lpr_reference),
                    spread_bp: i.spread_bp,
                    max_points: i.max_points,
                    day_count: Some(i.day_count),
                    max_months: i.max_months,
                    principal_cap: i.principal_cap,
                    per_enterprise_annual_cap: i.per_enterprise_annual_cap,
                    per_enterprise_total_cap: i.per_enterprise_total_cap,
                    include_overdue_days: Some(i.include_overdue_days),
                    ..RuleInput::default()
                }
            }
        }
    }

    /// Checks parameters against the kind and base, fills defaults, builds the domain rule.
    pub fn to_rule(&self, kind: PolicyKind) -> Result<Rule, Vec<FieldError>> {
        let mut errors = Vec::new();
        let mut err = |f: &str, m: &str| {
            errors.push(FieldError {
                field: format!("rule.{f}"),
                message: m.to_owned(),
                message_zh: None,
            })
        };
        let present: Vec<(&str, bool)> = vec![
            ("base", self.base.is_some()),
            ("points", self.points.is_some()),
            ("first_loan_points", self.first_loan_points.is_some()),
            ("share_percent", self.share_percent.is_some()),
            ("lpr_term", self.lpr_term.is_some()),
            ("lpr_reference", self.lpr_reference.is_some()),
            ("spread_bp", self.spread_bp.is_some()),
            ("max_points", self.max_points.is_some()),
            ("max_months", self.max_months.is_some()),
            ("principal_cap", self.principal_cap.is_some()),
            (
                "per_enterprise_total_cap",
                self.per_enterprise_total_cap.is_some(),
            ),
            ("include_overdue_days", self.include_overdue_days.is_some()),
            ("subsidy_percent", self.subsidy_percent.is_some()),
            ("max_fee_rate", self.max_fee_rate.is_some()),
            ("counter_guarantee", self.counter_guarantee.is_some()),
            ("cap_at_fee_paid", self.cap_at_fee_paid.is_some()),
            ("amount", self.amount.is_some()),
            ("certified_from", self.certified_from.is_some()),
            ("tiers", self.tiers.is_some()),
            ("per_guarantor_cap", self.per_guarantor_cap.is_some()),
            ("day_count", self.day_count.is_some()),
            (
                "per_enterprise_annual_cap",
                self.per_enterprise_annual_cap.is_some(),
            ),
        ];
        let allowed: &[&str] = match (kind, self.base) {
            (PolicyKind::LumpSumAward, _) => &["amount", "certified_from"],
            (PolicyKind::GuarantorAward, _) => &[
                "subsidy_percent",
                "max_fee_rate",
                "counter_guarantee",
                "tiers",
                "per_guarantor_cap",
            ],
            (PolicyKind::GuaranteeFeeSubsidy, _) => &[
                "subsidy_percent",
                "max_fee_rate",
                "counter_guarantee",
                "cap_at_fee_paid",
                "day_count",
                "per_enterprise_annual_cap",
            ],
            (PolicyKind::InterestSubsidy, None) => &["base"],
            (PolicyKind::InterestSubsidy, Some(b)) => {
                let own: &[&str] = match b {
                    InterestBase::FixedPoints => &["points", "first_loan_points"],
                    InterestBase::LprShare => &["share_percent", "lpr_term", "lpr_reference"],
                    InterestBase::ActualRateShare => &["share_percent"],
                    InterestBase::LprSpread => &["spread_bp", "lpr_term", "lpr_reference"],
                };
                const COMMON: [&str; 8] = [
                    "base",
                    "day_count",
                    "per_enterprise_annual_cap",
                    "max_points",
                    "max_months",
                    "principal_cap",
                    "per_enterprise_total_cap",
                    "include_overdue_days",
                ];
                return self.interest(b, own, &COMMON, &present);
            }
        };
        for (name, is) in &present {
            if *is && !allowed.contains(name) {
                err(name, &format!("is not a parameter of a {kind} rule"));
            }
        }
        if kind == PolicyKind::InterestSubsidy {
            err(
                "base",
                "is required: fixed_points, lpr_share, actual_rate_share or lpr_spread",
            );
            return Err(errors);
        }
        if kind == PolicyKind::LumpSumAward {
            return match self.amount {
                None => {
                    err("amount", "is required");
                    Err(errors)
                }
                Some(a) if a.fen() <= 0 => {
                    err("amount", "must be greater than 0");
                    Err(errors)
                }
                Some(amount) if errors.is_empty() => Ok(Rule::LumpSum(LumpSumRule {
                    amount,
                    certified_from: self.certified_from,
                })),
                Some(_) => Err(errors),
            };
        }
        let Some(sp) = self.subsidy_percent else {
            err("subsidy_percent", "is required");
            return Err(errors);
        };
        if sp.units() == 0 {
            err("subsidy_percent", "must be greater than 0");
        }
        if kind == PolicyKind::GuarantorAward {
            let tiers = self.tiers.clone().unwrap_or_default();
            for (i, t) in tiers.iter().enumerate() {
                let share = t.min_small_micro_share.percent();
                if share <= rust_decimal::Decimal::ZERO
                    || share > rust_decimal::Decimal::ONE_HUNDRED
                {
                    err(
                        &format!("tiers[{i}].min_small_micro_share"),
                        "must be above 0 and at most 100",
                    );
                }
                if t.subsidy_percent.units() == 0 {
                    err(
                        &format!("tiers[{i}].subsidy_percent"),
                        "must be greater than 0",
                    );
                }
                if i > 0 && t.min_small_micro_share <= tiers[i - 1].min_small_micro_share {
                    err(
                        &format!("tiers[{i}].min_small_micro_share"),
                        "must be above the previous tier's",
                    );
                }
            }
            if tiers.len() > 20 {
                err("tiers", "must have at most 20 tiers");
            }
            if self.per_guarantor_cap.is_some_and(|c| c.fen() <= 0) {
                err("per_guarantor_cap", "must be greater than 0");
            }
            if !errors.is_empty() {
                return Err(errors);
            }
            return Ok(Rule::GuarantorAward(GuarantorAwardRule {
                subsidy_percent: sp.percent(),
                max_fee_rate: self.max_fee_rate,
                counter_guarantee: self.counter_guarantee.clone().unwrap_or_default(),
                tiers: tiers
                    .iter()
                    .map(|t| AwardTier {
                        min_small_micro_share: t.min_small_micro_share.percent(),
                        subsidy_percent: t.subsidy_percent.percent(),
                    })
                    .collect(),
                per_guarantor_cap: self.per_guarantor_cap,
            }));
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        Ok(Rule::Guarantee(GuaranteeRule {
            subsidy_percent: sp.percent(),
            max_fee_rate: self.max_fee_rate,
            counter_guarantee: self.counter_guarantee.clone().unwrap_or_default(),
            day_count: self.day_count.unwrap_or(DayCount::Months30_360),
            per_enterprise_annual_cap: self.per_enterprise_annual_cap,
            cap_at_fee_paid: self.cap_at_fee_paid.unwrap_or(true),
        }))
    }

    fn interest(
        &self,
        base: InterestBase,
        own: &[&str],
        common: &[&str],
        present: &[(&str, bool)],
    ) -> Result<Rule, Vec<FieldError>> {
        let mut errors = Vec::new();
        let mut err = |f: &str, m: String| {
            errors.push(FieldError {
                field: format!("rule.{f}"),
                message: m,
                message_zh: None,
            })
        };
        for (name, is) in present {
            if *is && !own.contains(name) && !common.contains(name) {
                err(
                    name,
                    format!("is not a parameter of an interest_subsidy rule with base {base}"),
                );
            }
        }
        match base {
            InterestBase::FixedPoints if self.points.is_none() => {
                err("points", "is required for base fixed_points".into())
            }
            InterestBase::LprShare | InterestBase::ActualRateShare
                if self.share_percent.is_none() =>
            {
                err("share_percent", format!("is required for base {base}"))
            }
            InterestBase::LprSpread if self.spread_bp.is_none() => {
                err("spread_bp", "is required for base lpr_spread".into())
            }
            _ => {}
        }
        if let Some(bp) = self.spread_bp {
            if !(-10_000..=10_000).contains(&bp) {
                err("spread_bp", "must be between -10000 and 10000".into());
            }
        }
        if let Some(m) = self.max_months {
            let range = crate::domain::product::TERM_MONTHS;
            if !range.contains(&i64::from(m)) {
                let (lo, hi) = (range.start(), range.end());
                err("max_months", format!("must be between {lo} and {hi}"));
            }
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        Ok(Rule::Interest(InterestRule {
            base,
            points: self.points,
            first_loan_points: self.first_loan_points,
            share_percent: self.share_percent.map(Rate::percent),
            lpr_term: self.lpr_term.unwrap_or(LprTerm::OneYear),
            lpr_reference: self.lpr_reference.unwrap_or(LprReference::DisbursementDate),
            spread_bp: self.spread_bp,
            max_points: self.max_points,
            day_count: self.day_count.unwrap_or(DayCount::Act360),
            max_months: self.max_months,
            principal_cap: self.principal_cap,
            per_enterprise_annual_cap: self.per_enterprise_annual_cap,
            per_enterprise_total_cap: self.per_enterprise_total_cap,
            include_overdue_days: self.include_overdue_days.unwrap_or(false),
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(json: &str) -> RuleInput {
        serde_json::from_str(json).unwrap()
    }

    /// `include_overdue_days` belongs to interest rules (default false) and is refused on
    /// guarantee rules, like the other interest-only parameters.
    #[test]
    fn include_overdue_days_is_an_interest_parameter() {
        let i = input(r#"{"base": "fixed_points", "points": "1.5"}"#);
        let Ok(Rule::Interest(rule)) = i.to_rule(PolicyKind::InterestSubsidy) else {
            panic!("an interest rule");
        };
        assert!(!rule.include_overdue_days);
        let shown = RuleInput::from_rule(&Rule::Interest(rule));
        assert_eq!(shown.include_overdue_days, Some(false));

        let i = input(r#"{"base": "fixed_points", "points": "1.5", "include_overdue_days": true}"#);
        let rule = i.to_rule(PolicyKind::InterestSubsidy).unwrap();
        assert!(matches!(&rule, Rule::Interest(r) if r.include_overdue_days));
        let shown = RuleInput::from_rule(&rule);
        assert_eq!(
            shown.to_rule(PolicyKind::InterestSubsidy).unwrap(),
            rule,
            "the normalised input builds the same rule"
        );

        let g = input(r#"{"subsidy_percent": "1", "include_overdue_days": false}"#);
        let errors = g.to_rule(PolicyKind::GuaranteeFeeSubsidy).unwrap_err();
        assert_eq!(
            errors.iter().map(|e| e.field.as_str()).collect::<Vec<_>>(),
            ["rule.include_overdue_days"]
        );
        assert!(RuleInput::from_rule(
            &input(r#"{"subsidy_percent": "1"}"#)
                .to_rule(PolicyKind::GuaranteeFeeSubsidy)
                .unwrap()
        )
        .include_overdue_days
        .is_none());
    }

    /// A rule stored before the parameter existed still reads, and counts no overdue day.
    #[test]
    fn stored_rules_without_the_parameter_still_read() {
        let stored = r#"{"version": 1, "rule": {"interest": {"base": "fixed_points",
            "points": "1.50", "first_loan_points": null, "share_percent": null,
            "lpr_term": "1y", "lpr_reference": "disbursement_date", "spread_bp": null,
            "max_points": null, "day_count": "act_360", "max_months": 24,
            "principal_cap": "50000000.00", "per_enterprise_annual_cap": null,
            "per_enterprise_total_cap": null}}}"#;
        let s: crate::domain::subsidy::StoredRule = serde_json::from_str(stored).unwrap();
        assert!(matches!(s.current(), Some(Rule::Interest(r)) if !r.include_overdue_days));
    }
}
