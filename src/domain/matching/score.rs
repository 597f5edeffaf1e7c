//! The score (0–100): the components of the table in the module doc, integer arithmetic,
//! deterministic.

use chrono::NaiveDate;

use super::facts::{DemandFacts, EnterpriseFacts, ProductFacts};
use super::reasons::{said, Sink};
use crate::domain::money::Money;
use crate::domain::product::ProductType;
use crate::domain::qualification::{granted_on, holds, QualificationKind, QualificationLevel};
use crate::domain::rate::Rate;

/// Points for where `value` sits in `[min, max]`: full at the middle, half at either end, 0 outside.
/// Integer arithmetic: full × (1 − |p − ½|) = full × (range − |2·(v − min) − range| / 2) / range.
fn position_points(value: i64, min: i64, max: i64, full: u32) -> u32 {
    if value < min || value > max {
        return 0;
    }
    if max == min {
        return full;
    }
    let range = i128::from(max - min);
    let off = (2 * i128::from(value - min) - range).abs(); // 2·|v − mid|, in 0..=range
    let twice = i128::from(full) * (2 * range - off); // 2 × full × range × (1 − |p − ½|)
                                                      // Round half up: (twice / (2·range)) rounded.
    ((twice + range) / (2 * range)) as u32
}

/// Reference rates of the rate component (percent per year, as 1/10000 percent).
const RATE_CEILING_UNITS: i64 = 60_000;
const RATE_SPAN_UNITS: i64 = 35_000;

fn rate_points(min_rate: Rate) -> u32 {
    let headroom = (RATE_CEILING_UNITS - min_rate.units()).clamp(0, RATE_SPAN_UNITS);
    // 25 × headroom / span, rounded half up.
    ((25 * headroom * 2 + RATE_SPAN_UNITS) / (2 * RATE_SPAN_UNITS)) as u32
}

/// What a demand's score depends on besides its amount: its term and preferences, and its
/// enterprise's credit history and the qualification grants it holds on the day. Demands
/// with the same traits score the same for a product up to their amount points, which lets a
/// candidate search rank whole groups of demands by amount alone (`catalog::top_candidates`).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct ScoreTraits {
    pub term_months: i64,
    /// Sorted and without repeats.
    pub preferred: Vec<ProductType>,
    pub has_prior_loan: bool,
    /// `qualification::granted_on` the day: sorted, without repeats.
    pub grants: Vec<(QualificationKind, QualificationLevel)>,
}

impl ScoreTraits {
    pub fn of(d: &DemandFacts, e: &EnterpriseFacts, today: NaiveDate) -> Self {
        let mut preferred = d.preferred_product_types.clone();
        preferred.sort_unstable();
        preferred.dedup();
        ScoreTraits {
            term_months: d.term_months,
            preferred,
            has_prior_loan: e.has_prior_loan,
            grants: granted_on(&e.qualifications, today),
        }
    }
}

/// The amount_fit component: 20 at the middle of the product's range, 10 at either end.
pub fn amount_points(p: &ProductFacts, amount: Money) -> u32 {
    position_points(amount.fen(), p.min_amount.fen(), p.max_amount.fen(), 20)
}

/// Every component but amount_fit, for a demand with traits `t`: a demand's score is exactly
/// `amount_points + score_without_amount` (tested against `components`).
pub fn score_without_amount(p: &ProductFacts, t: &ScoreTraits) -> u32 {
    let quals = &p.eligibility.qualifications_any;
    let holds_one = quals.iter().any(|q| {
        t.grants
            .iter()
            .any(|(k, l)| *k == q.kind && *l >= q.min_level)
    });
    term_points(p, t.term_months)
        + rate_points(p.min_rate)
        + qualification_points(p, holds_one)
        + preference_points(p, &t.preferred)
        + first_loan_points(p, t.has_prior_loan)
        + responsiveness_points(p)
}

fn term_points(p: &ProductFacts, term_months: i64) -> u32 {
    position_points(term_months, p.min_term_months, p.max_term_months, 15)
}

/// 15 when the product targets a qualification the enterprise holds, 5 when it targets none.
fn qualification_points(p: &ProductFacts, holds_one: bool) -> u32 {
    match (p.eligibility.qualifications_any.is_empty(), holds_one) {
        (true, _) => 5,
        (false, true) => 15,
        (false, false) => 0,
    }
}

fn preference_points(p: &ProductFacts, preferred: &[ProductType]) -> u32 {
    if preferred.is_empty() {
        5
    } else if preferred.contains(&p.product_type) {
        10
    } else {
        0
    }
}

fn targets_first_loan(p: &ProductFacts) -> bool {
    p.product_type == ProductType::FirstLoan || p.eligibility.first_loan_only
}

fn first_loan_points(p: &ProductFacts, has_prior_loan: bool) -> u32 {
    match (targets_first_loan(p), has_prior_loan) {
        (true, false) => 10,
        (false, _) => 5,
        (true, true) => 0,
    }
}

fn responsiveness_points(p: &ProductFacts) -> u32 {
    (6 - p.response_sla_days).clamp(0, 5) as u32
}

pub(super) fn components(
    p: &ProductFacts,
    d: &DemandFacts,
    e: &EnterpriseFacts,
    today: NaiveDate,
    out: &mut impl Sink,
) {
    out.component("amount_fit", amount_points(p, d.amount), 20, || {
        let (a, lo, hi) = (d.amount, p.min_amount, p.max_amount);
        said(
            format!("amount {a} in range {lo}–{hi}"),
            format!("金额 {a} 元，产品额度 {lo}–{hi} 元"),
        )
        .with("amount", a)
        .with("min_amount", lo)
        .with("max_amount", hi)
    });
    out.component("term_fit", term_points(p, d.term_months), 15, || {
        let (t, lo, hi) = (d.term_months, p.min_term_months, p.max_term_months);
        said(
            format!("term {t} months in range {lo}–{hi}"),
            format!("期限 {t} 个月，产品期限 {lo}–{hi} 个月"),
        )
        .with("term_months", t)
        .with("min_term_months", lo)
        .with("max_term_months", hi)
    });
    out.component("rate", rate_points(p.min_rate), 25, || {
        said(
            format!("minimum rate {}% (25 × (6.00 − rate) / 3.50)", p.min_rate),
            format!("最低利率 {}%（25 × (6.00 − 利率) / 3.50）", p.min_rate),
        )
        .with("min_rate", p.min_rate)
    });
    let holds_one = p
        .eligibility
        .qualifications_any
        .iter()
        .any(|q| holds(&e.qualifications, q.kind, q.min_level, today));
    let q_points = qualification_points(p, holds_one);
    out.component("qualification_alignment", q_points, 15, || {
        match (p.eligibility.qualifications_any.is_empty(), holds_one) {
            (true, _) => said(
                "the product targets no particular qualification",
                "产品不针对特定资质",
            ),
            (false, true) => said(
                "the product targets a qualification the enterprise holds",
                "产品面向企业已取得的资质",
            ),
            (false, false) => said(
                "the product targets qualifications the enterprise lacks",
                "产品面向企业尚未取得的资质",
            ),
        }
    });
    let preferred = &d.preferred_product_types;
    out.component("preference", preference_points(p, preferred), 10, || {
        if preferred.is_empty() {
            said("no preferred product types", "需求未指定偏好的产品类型")
        } else if preferred.contains(&p.product_type) {
            said(
                format!("{} is a preferred product type", p.product_type),
                format!("{}是偏好的产品类型", p.product_type.label_zh()),
            )
        } else {
            said(
                format!("{} is not among the preferred types", p.product_type),
                format!("{}不在偏好的产品类型之列", p.product_type.label_zh()),
            )
        }
        .with("product_type", p.product_type)
    });
    let fl = first_loan_points(p, e.has_prior_loan);
    out.component("first_loan_alignment", fl, 10, || {
        match (targets_first_loan(p), e.has_prior_loan) {
            (true, false) => said(
                "a 首贷-targeted product for a first-time borrower",
                "面向首贷户的产品，企业为首贷户",
            ),
            (false, _) => said(
                "the product does not target first-time borrowers",
                "产品不专门面向首贷户",
            ),
            (true, true) => said(
                "a 首贷-targeted product, but the enterprise has had a loan",
                "面向首贷户的产品，但企业已有贷款记录",
            ),
        }
    });
    out.component("bank_responsiveness", responsiveness_points(p), 5, || {
        said(
            format!(
                "the bank answers within {} working days",
                p.response_sla_days
            ),
            format!("银行承诺 {} 个工作日内响应", p.response_sla_days),
        )
        .with("response_sla_days", p.response_sla_days)
    });
}

#[cfg(test)]
mod tests {
    use crate::domain::matching::fixtures::{demand, enterprise, eval, failed, product};
    use crate::domain::product::ProductType;

    /// The score is the amount's points plus what the traits give, for every term,
    /// preference, credit history and qualification (held, expired, a higher tier).
    #[test]
    fn a_score_is_its_amount_points_plus_its_traits() {
        use crate::domain::matching::fixtures::{d, TODAY};
        use crate::domain::money::Money;
        use crate::domain::product::QualificationRequirement;
        use crate::domain::qualification::{Qualification, QualificationKind, QualificationLevel};
        let today = d(TODAY);
        let cert = |kind, level, expires: &str| Qualification {
            kind,
            level,
            certified_on: d("2024-01-01"),
            expires_on: d(expires),
        };
        let qual_sets = [
            vec![],
            vec![cert(
                QualificationKind::LittleGiant,
                QualificationLevel::National,
                "2030-01-01",
            )],
            vec![cert(
                QualificationKind::SpecializedSme,
                QualificationLevel::Provincial,
                "2020-01-01",
            )],
            vec![cert(
                QualificationKind::TechSme,
                QualificationLevel::Municipal,
                "2030-01-01",
            )],
        ];
        let mut checked = 0;
        for (first, targets) in [
            (false, vec![]),
            (true, vec![QualificationKind::SpecializedSme]),
        ] {
            let mut p = product();
            p.eligibility.first_loan_only = first;
            p.eligibility.qualifications_any = targets
                .iter()
                .map(|&kind| QualificationRequirement {
                    kind,
                    min_level: QualificationLevel::Provincial,
                })
                .collect();
            for quals in &qual_sets {
                for prior in [false, true] {
                    let mut e = enterprise();
                    e.qualifications = quals.clone();
                    e.has_prior_loan = prior;
                    for prefs in [vec![], vec![p.product_type], vec![ProductType::Credit]] {
                        for term in [3, 6, 12, 21, 36, 60] {
                            for amount in (0..=12).map(|k| Money::from_fen(k * 100_000_000)) {
                                let mut dm = demand();
                                dm.amount = amount;
                                dm.term_months = term;
                                dm.preferred_product_types = prefs.clone();
                                let a = crate::domain::matching::assess(&p, &dm, &e, today);
                                let t = super::ScoreTraits::of(&dm, &e, today);
                                assert_eq!(
                                    a.score,
                                    super::amount_points(&p, amount)
                                        + super::score_without_amount(&p, &t),
                                    "{amount} {term} {prefs:?} {quals:?} {prior}"
                                );
                                checked += 1;
                            }
                        }
                    }
                }
            }
        }
        assert_eq!(checked, 2 * 4 * 2 * 3 * 6 * 13);
    }

    #[test]
    fn the_baseline_is_eligible_and_scored_as_documented() {
        let e = eval(&product(), &demand(), &enterprise());
        assert!(e.eligible, "{:?}", failed(&e));
        // amount at the exact middle: 20; term 21 in 6–36 is the middle: 15;
        // rate 25 × (6.00 − 3.45)/3.50 = 18.21 → 18; no qualification targeted: 5;
        // no preference: 5; not 首贷-targeted: 5; SLA 3 days: 3.  Total 71.
        let pts = |c: &str| {
            e.reasons
                .iter()
                .find(|r| r.criterion == c)
                .and_then(|r| r.points)
                .unwrap()
        };
        assert_eq!(
            [
                pts("amount_fit"),
                pts("term_fit"),
                pts("rate"),
                pts("qualification_alignment"),
                pts("preference"),
                pts("first_loan_alignment"),
                pts("bank_responsiveness")
            ],
            [20, 15, 18, 5, 5, 5, 3]
        );
        assert_eq!(e.score, 71);
    }

    #[test]
    fn first_loan_and_preference_components() {
        let mut p = product();
        p.product_type = ProductType::FirstLoan;
        let mut dm = demand();
        dm.preferred_product_types = vec![ProductType::FirstLoan];
        let ev = eval(&p, &dm, &enterprise());
        let pts = |c: &str| {
            ev.reasons
                .iter()
                .find(|r| r.criterion == c)
                .and_then(|r| r.points)
                .unwrap()
        };
        assert_eq!((pts("first_loan_alignment"), pts("preference")), (10, 10));
        let mut e = enterprise();
        e.has_prior_loan = true;
        dm.preferred_product_types = vec![ProductType::Credit];
        let ev = eval(&p, &dm, &e);
        let pts = |c: &str| {
            ev.reasons
                .iter()
                .find(|r| r.criterion == c)
                .and_then(|r| r.points)
                .unwrap()
        };
        assert_eq!((pts("first_loan_alignment"), pts("preference")), (0, 0));
        assert!(
            ev.eligible,
            "a first_loan-type product without first_loan_only still accepts them"
        );
    }
}
