//! Awards (奖补), which are not computed per loan: a one-off `lump_sum_award` to an enterprise
//! (e.g. 5万 for a newly certified 专精特新), and the `guarantor_award` (融资担保降费奖补): a
//! percent of a guarantor's eligible guaranteed volume in a period — loans whose annual fee is
//! at most `max_fee_rate` — the percent rising in tiers with the share of 小微 volume (重庆
//! 渝财金〔2022〕19号: 1 % below 80 %, 1.2 % from 80 %, 1.3 % from 90 %), capped per guarantor.

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::facts::{pct, round_fen, Computation, Trail};
use super::rule::CounterGuarantee;
use crate::domain::lang::Text;
use crate::domain::money::Money;
use crate::domain::rate::Rate;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LumpSumRule {
    pub amount: Money,
    /// Only a qualification certified on or after this day counts (an award for newly
    /// certified firms).
    pub certified_from: Option<NaiveDate>,
}

/// From `min_small_micro_share` percent of 小微 volume up, `subsidy_percent` applies.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AwardTier {
    pub min_small_micro_share: Decimal,
    pub subsidy_percent: Decimal,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GuarantorAwardRule {
    /// Percent of the eligible volume, below every tier.
    pub subsidy_percent: Decimal,
    /// A loan counts only if its guarantee's annual fee rate is at most this (安徽: 1.5 %).
    pub max_fee_rate: Option<Rate>,
    /// Counter-guarantees accepted (empty: any).
    pub counter_guarantee: Vec<CounterGuarantee>,
    /// Sorted by `min_small_micro_share`, ascending.
    pub tiers: Vec<AwardTier>,
    /// At most this much per guarantor under the policy, all periods together (重庆: 3000万).
    pub per_guarantor_cap: Option<Money>,
}

/// One loan the guarantor guaranteed in the period, as the award reads it.
#[derive(Clone, Debug)]
pub struct GuaranteedLoan {
    pub loan_id: i64,
    pub principal: Money,
    pub fee_rate: Rate,
    pub counter_guarantee: CounterGuarantee,
    /// The borrower is 小型 or 微型.
    pub small_or_micro: bool,
    /// Why the policy's eligibility (enterprise and loan criteria) does not cover it.
    pub ineligible: Vec<Text>,
}

/// The lump sum for an enterprise whose eligibility failed for `ineligible` (empty: none),
/// which has already been granted `prior` under the policy (an approved or paid claim).
pub fn lump_sum(r: &LumpSumRule, ineligible: Vec<Text>, prior: Option<i64>) -> Computation {
    let mut t = Trail(Vec::new());
    let mut reasons = ineligible;
    t.add("award per enterprise", r.amount);
    if let Some(from) = r.certified_from {
        t.add("qualification certified on or after", from);
    }
    if let Some(id) = prior {
        reasons.push(Text::new(
            format!("claim {id} already grants this award to the enterprise; it is paid once"),
            format!("申报 {id} 已为该企业申领此项奖励，每家企业限一次"),
        ));
    }
    let eligible = reasons.is_empty();
    let amount = if eligible { r.amount } else { Money::ZERO };
    t.add("amount", amount);
    Computation {
        eligible,
        reasons,
        amount,
        breakdown: t.0,
    }
}

/// The award for `loans` (every loan the guarantor guaranteed in the policy's region in the
/// period), the guarantor having `prior` approved or paid under the policy already.
pub fn guarantor_award(
    r: &GuarantorAwardRule,
    period: (NaiveDate, NaiveDate),
    loans: &[GuaranteedLoan],
    prior: Money,
) -> Computation {
    let mut t = Trail(Vec::new());
    let hundred = Decimal::ONE_HUNDRED;
    t.add(
        "period",
        format!("{} – {} (loans disbursed in it)", period.0, period.1),
    );
    let (mut all, mut small, mut eligible) = (Decimal::ZERO, Decimal::ZERO, Decimal::ZERO);
    let mut counted = 0usize;
    for l in loans {
        let p = l.principal.to_decimal();
        all += p;
        if l.small_or_micro {
            small += p;
        }
        // The breakdown's steps are written in English (the console labels them).
        let mut why: Vec<String> = l.ineligible.iter().map(|t| t.en.clone()).collect();
        if let Some(max) = r.max_fee_rate.filter(|m| l.fee_rate > *m) {
            why.push(format!("fee rate {}% is above {max}%", l.fee_rate));
        }
        if !r.counter_guarantee.is_empty() && !r.counter_guarantee.contains(&l.counter_guarantee) {
            why.push(format!(
                "counter-guarantee {} is not accepted",
                l.counter_guarantee
            ));
        }
        let label = format!("loan {}", l.loan_id);
        let facts = format!(
            "{}, fee {}%, {}",
            l.principal,
            l.fee_rate,
            if l.small_or_micro {
                "小微"
            } else {
                "not 小微"
            }
        );
        if why.is_empty() {
            eligible += p;
            counted += 1;
            t.add(&label, format!("counted: {facts}"));
        } else {
            t.add(&label, format!("not counted: {facts}; {}", why.join("; ")));
        }
    }
    t.add("guaranteed volume in the period", round_fen(all));
    t.add("of which 小微", round_fen(small));
    let share = if all.is_zero() {
        Decimal::ZERO
    } else {
        small / all * hundred
    };
    t.add(
        "小微 share",
        format!(
            "{} ÷ {} = {}",
            round_fen(small),
            round_fen(all),
            pct(share.round_dp(4))
        ),
    );
    let tier = r
        .tiers
        .iter()
        .rev()
        .find(|tier| share >= tier.min_small_micro_share);
    let percent = tier.map_or(r.subsidy_percent, |tier| tier.subsidy_percent);
    t.add(
        "subsidy percent",
        match tier {
            Some(tier) => format!(
                "{} (小微 share at least {})",
                pct(percent),
                pct(tier.min_small_micro_share)
            ),
            None => format!("{} (base rate; no tier reached)", pct(percent)),
        },
    );
    t.add(
        "eligible volume",
        format!("{} from {counted} loans", round_fen(eligible)),
    );
    let raw = eligible * percent / hundred;
    t.add(
        "raw amount",
        format!(
            "{} × {} = {}",
            round_fen(eligible),
            pct(percent),
            raw.round_dp(6).normalize()
        ),
    );
    let mut amount = round_fen(raw);
    t.add("rounded (half up to 0.01)", amount);
    if let Some(cap) = r.per_guarantor_cap {
        let left = Money::from_fen((cap.fen() - prior.fen()).max(0));
        t.add(
            "per-guarantor cap",
            format!("{cap} − already approved/paid {prior} = {left}"),
        );
        amount = amount.min(left);
    }
    let mut reasons = Vec::new();
    if counted == 0 {
        reasons.push(Text::new(
            format!(
                "no eligible guaranteed loan was disbursed between {} and {}",
                period.0, period.1
            ),
            format!(
                "{} 至 {} 期间没有符合条件的担保贷款发放",
                period.0, period.1
            ),
        ));
    }
    let ok = reasons.is_empty();
    let amount = if ok { amount } else { Money::ZERO };
    t.add("amount", amount);
    Computation {
        eligible: ok,
        reasons,
        amount,
        breakdown: t.0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::subsidy::fixtures::{d, m, r};

    fn loan(id: i64, principal: &str, fee: &str, small: bool) -> GuaranteedLoan {
        GuaranteedLoan {
            loan_id: id,
            principal: m(principal),
            fee_rate: r(fee),
            counter_guarantee: CounterGuarantee::ThirdParty,
            small_or_micro: small,
            ineligible: Vec::new(),
        }
    }

    fn chongqing() -> GuarantorAwardRule {
        let p = |s: &str| s.parse::<Decimal>().unwrap();
        GuarantorAwardRule {
            subsidy_percent: p("1"),
            max_fee_rate: Some(r("1.5")),
            counter_guarantee: Vec::new(),
            tiers: vec![
                AwardTier {
                    min_small_micro_share: p("80"),
                    subsidy_percent: p("1.2"),
                },
                AwardTier {
                    min_small_micro_share: p("90"),
                    subsidy_percent: p("1.3"),
                },
            ],
            per_guarantor_cap: Some(m("30000000.00")),
        }
    }

    const YEAR: (&str, &str) = ("2026-01-01", "2027-01-01");

    fn year() -> (NaiveDate, NaiveDate) {
        (d(YEAR.0), d(YEAR.1))
    }

    /// 重庆 降费奖补 on a year of a guarantor's business: 4,250万 guaranteed, 3,500万 of it 小微
    /// (82.35 %, the 1.2 % tier); one loan at a 1.8 % fee is above 安徽's 1.5 % and not
    /// counted, so 3,750万 × 1.2 % = 45万.
    #[test]
    fn the_chongqing_tiers_on_a_year_of_guarantees() {
        let loans = [
            loan(1, "20000000.00", "1.0", true),
            loan(2, "15000000.00", "1.2", true),
            loan(3, "5000000.00", "1.8", false),
            loan(4, "2500000.00", "0.8", false),
        ];
        let c = guarantor_award(&chongqing(), year(), &loans, Money::ZERO);
        assert!(c.eligible, "{:?}", c.reasons);
        assert_eq!(c.amount, m("450000.00"));
        let step = |s: &str| {
            c.breakdown
                .iter()
                .find(|x| x.step == s)
                .unwrap_or_else(|| panic!("{s}"))
                .value
                .clone()
        };
        assert!(
            step("loan 3").starts_with("not counted"),
            "{}",
            step("loan 3")
        );
        assert!(step("loan 1").starts_with("counted"));
        assert_eq!(step("小微 share"), "35000000.00 ÷ 42500000.00 = 82.3529%");
        assert!(step("subsidy percent").starts_with("1.2%"));
        assert_eq!(step("eligible volume"), "37500000.00 from 3 loans");
    }

    /// Each tier boundary is inclusive; below 80 % the base 1 % applies; at 90 %, 1.3 %.
    #[test]
    fn tier_boundaries_are_inclusive() {
        let at = |small: &str, other: &str| {
            let loans = [loan(1, small, "1.0", true), loan(2, other, "1.0", false)];
            guarantor_award(&chongqing(), year(), &loans, Money::ZERO).amount
        };
        // 79.99 % 小微: 10,000,000.00 × 1 %.
        assert_eq!(at("7999000.00", "2001000.00"), m("100000.00"));
        // exactly 80 %: × 1.2 %.
        assert_eq!(at("8000000.00", "2000000.00"), m("120000.00"));
        // exactly 90 %: × 1.3 %.
        assert_eq!(at("9000000.00", "1000000.00"), m("130000.00"));
    }

    /// The per-guarantor cap counts what was already granted; rounding is half-up once.
    #[test]
    fn the_cap_and_the_rounding() {
        let loans = [loan(1, "3333333.33", "1.0", false)];
        let c = guarantor_award(&chongqing(), year(), &loans, Money::ZERO);
        // 3,333,333.33 × 1 % = 33,333.3333 → 33,333.33
        assert_eq!(c.amount, m("33333.33"));
        let c = guarantor_award(&chongqing(), year(), &loans, m("29990000.00"));
        assert_eq!(c.amount, m("10000.00"));
        let c = guarantor_award(&chongqing(), year(), &loans, m("30000000.00"));
        assert_eq!(c.amount, Money::ZERO);
    }

    /// No counted loan: not eligible, and the reasons say why each loan was left out.
    #[test]
    fn nothing_counted_is_not_eligible() {
        let mut l = loan(7, "1000000.00", "1.0", true);
        l.ineligible.push(Text::new(
            "size class medium is not covered",
            "中型企业不在支持范围内",
        ));
        let c = guarantor_award(&chongqing(), year(), &[l], Money::ZERO);
        assert!(!c.eligible);
        assert_eq!(c.amount, Money::ZERO);
        assert!(c
            .breakdown
            .iter()
            .any(|s| s.step == "loan 7" && s.value.contains("size class medium")));
    }

    #[test]
    fn a_lump_sum_is_granted_once() {
        let rule = LumpSumRule {
            amount: m("50000.00"),
            certified_from: None,
        };
        let c = lump_sum(&rule, Vec::new(), None);
        assert!(c.eligible);
        assert_eq!(c.amount, m("50000.00"));
        let c = lump_sum(&rule, Vec::new(), Some(12));
        assert!(!c.eligible);
        assert_eq!(c.amount, Money::ZERO);
        assert!(c.reasons[0].en.contains("claim 12"));
        assert!(c.reasons[0].zh.contains("申报 12"), "{:?}", c.reasons[0]);
    }
}
