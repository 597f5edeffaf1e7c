//! Matching (智能匹配): whether a demand may go to a product, and how well it fits.
//!
//! Pure functions over plain facts. Every hard criterion of SPEC §3.5 yields a reason
//! `{criterion, passed, detail}`; a failed one says what would make the enterprise eligible.
//! The score (0–100) is the sum of the components below, all integers, deterministic; ranking
//! breaks ties by id. `docs/matching.md` explains the model with a worked example.
//!
//! | component               | max | rule |
//! |-------------------------|-----|------|
//! | amount_fit              |  20 | 20 × (1 − \|p − ½\|) where p is the amount's position in the product's range |
//! | term_fit                |  15 | same for the term |
//! | rate                    |  25 | 25 × clamp((6.00 − product min rate) / 3.50, 0, 1) |
//! | qualification_alignment |  15 | 15 if the product targets a qualification the enterprise holds; 5 if it targets none |
//! | preference              |  10 | 10 if the product type is among the demand's preferred types; 5 if none preferred |
//! | first_loan_alignment    |  10 | 10 if a 首贷 candidate meets a 首贷-targeted product; 5 if the product does not target 首贷 |
//! | bank_responsiveness     |   5 | 6 − response SLA in working days, within 0..=5 |

use chrono::{Datelike, NaiveDate};
use serde::Serialize;
use utoipa::ToSchema;

use super::money::Money;
use super::product::{Eligibility, GuaranteeMethod, ProductStatus, ProductType};
use super::qualification::{holds, Qualification};
use super::rate::Rate;
use super::size_class::{Industry, SizeClass};

/// What matching needs to know about a product.
#[derive(Clone, Debug)]
pub struct ProductFacts {
    pub id: i64,
    pub bank_id: i64,
    pub product_type: ProductType,
    pub status: ProductStatus,
    pub min_amount: Money,
    pub max_amount: Money,
    pub min_term_months: i64,
    pub max_term_months: i64,
    pub min_rate: Rate,
    pub max_rate: Rate,
    pub guarantee_methods: Vec<GuaranteeMethod>,
    pub response_sla_days: i64,
    pub eligibility: Eligibility,
}

/// What matching needs to know about a demand.
#[derive(Clone, Debug)]
pub struct DemandFacts {
    pub id: i64,
    pub enterprise_id: i64,
    pub amount: Money,
    pub term_months: i64,
    pub guarantee_methods: Vec<GuaranteeMethod>,
    pub max_rate: Option<Rate>,
    pub preferred_product_types: Vec<ProductType>,
}

/// What matching needs to know about the enterprise behind a demand.
#[derive(Clone, Debug)]
pub struct EnterpriseFacts {
    pub id: i64,
    pub region_code: String,
    pub industry: Industry,
    pub size_class: SizeClass,
    pub established_on: NaiveDate,
    pub annual_revenue: Money,
    pub has_prior_loan: bool,
    pub qualifications: Vec<Qualification>,
}

/// One explained criterion or score component.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, ToSchema)]
pub struct Reason {
    pub criterion: String,
    pub passed: bool,
    pub detail: String,
    /// Points earned, for score components; absent for hard criteria.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub points: Option<u32>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Evaluation {
    pub eligible: bool,
    pub score: u32,
    pub failed: u32,
    pub reasons: Vec<Reason>,
}

/// Receives each criterion and component as the rules decide it. The detail text is built
/// only by sinks that keep it, so ranking thousands of products stays cheap while the
/// explanation comes from the very same rules.
trait Sink {
    fn criterion(&mut self, name: &'static str, passed: bool, detail: impl FnOnce() -> String);
    fn component(
        &mut self,
        name: &'static str,
        points: u32,
        max: u32,
        detail: impl FnOnce() -> String,
    );
}

/// Counts only: eligibility and score.
#[derive(Default)]
struct Tally {
    failed: u32,
    score: u32,
}

impl Sink for Tally {
    fn criterion(&mut self, _: &'static str, passed: bool, _: impl FnOnce() -> String) {
        self.failed += u32::from(!passed);
    }
    fn component(&mut self, _: &'static str, points: u32, _: u32, _: impl FnOnce() -> String) {
        self.score += points;
    }
}

/// Keeps every reason.
#[derive(Default)]
struct Explain {
    tally: Tally,
    reasons: Vec<Reason>,
}

impl Sink for Explain {
    fn criterion(&mut self, name: &'static str, passed: bool, detail: impl FnOnce() -> String) {
        self.tally.failed += u32::from(!passed);
        self.reasons.push(Reason {
            criterion: name.to_owned(),
            passed,
            detail: detail(),
            points: None,
        });
    }
    fn component(
        &mut self,
        name: &'static str,
        points: u32,
        max: u32,
        detail: impl FnOnce() -> String,
    ) {
        self.tally.score += points;
        self.reasons.push(Reason {
            criterion: name.to_owned(),
            passed: points > 0,
            detail: format!("{points}/{max}: {}", detail()),
            points: Some(points),
        });
    }
}

/// Whole years from `from` to `to` (anniversary based).
pub fn whole_years(from: NaiveDate, to: NaiveDate) -> i64 {
    let mut years = i64::from(to.year() - from.year());
    if (to.month(), to.day()) < (from.month(), from.day()) {
        years -= 1;
    }
    years.max(0)
}

fn list<T: std::fmt::Display>(items: &[T]) -> String {
    items
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

/// The hard criteria, in the order SPEC §3.5 lists them.
fn criteria(
    p: &ProductFacts,
    d: &DemandFacts,
    e: &EnterpriseFacts,
    today: NaiveDate,
    out: &mut impl Sink,
) {
    let el = &p.eligibility;
    let active = p.status == ProductStatus::Active;
    out.criterion("product_active", active, || {
        if active {
            "the product is active".into()
        } else {
            format!("the product is {}, not accepting applications", p.status)
        }
    });
    let amount_ok = p.min_amount <= d.amount && d.amount <= p.max_amount;
    out.criterion("amount_range", amount_ok, || {
        if amount_ok {
            format!(
                "amount {} is within {}–{}",
                d.amount, p.min_amount, p.max_amount
            )
        } else if d.amount < p.min_amount {
            format!(
                "amount {} is below the minimum {}: request at least {}",
                d.amount, p.min_amount, p.min_amount
            )
        } else {
            format!(
                "amount {} is above the maximum {}: request at most {}",
                d.amount, p.max_amount, p.max_amount
            )
        }
    });
    let term_ok = p.min_term_months <= d.term_months && d.term_months <= p.max_term_months;
    out.criterion("term_range", term_ok, || {
        if term_ok {
            format!(
                "term {} months is within {}–{}",
                d.term_months, p.min_term_months, p.max_term_months
            )
        } else {
            format!(
                "term {} months is outside {}–{} months: choose a term in that range",
                d.term_months, p.min_term_months, p.max_term_months
            )
        }
    });
    let overlap = d
        .guarantee_methods
        .iter()
        .any(|m| p.guarantee_methods.contains(m));
    out.criterion("guarantee_methods", overlap, || {
        if overlap {
            let common: Vec<GuaranteeMethod> = d
                .guarantee_methods
                .iter()
                .copied()
                .filter(|m| p.guarantee_methods.contains(m))
                .collect();
            format!("both accept {}", list(&common))
        } else {
            format!(
                "the product accepts {}; offer one of them",
                list(&p.guarantee_methods)
            )
        }
    });
    let rate_ok = d.max_rate.is_none_or(|m| m >= p.min_rate);
    out.criterion("max_rate", rate_ok, || match d.max_rate {
        None => "no maximum rate was set".into(),
        Some(m) if rate_ok => format!(
            "the product's minimum rate {}% is within the maximum {}%",
            p.min_rate, m
        ),
        Some(m) => format!(
            "the product's minimum rate {}% exceeds the maximum {}%: accept at least {}%",
            p.min_rate, m, p.min_rate
        ),
    });
    if !el.qualifications_any.is_empty() {
        let held = el
            .qualifications_any
            .iter()
            .find(|q| holds(&e.qualifications, q.kind, q.min_level, today));
        out.criterion("qualifications", held.is_some(), || match held {
            Some(q) => format!(
                "holds a valid {} qualification at {} level or above",
                q.kind, q.min_level
            ),
            None => {
                let wanted: Vec<String> = el
                    .qualifications_any
                    .iter()
                    .map(|q| format!("a {} {} qualification", q.min_level, q.kind))
                    .collect();
                format!("obtain {} (valid today) to qualify", wanted.join(" or "))
            }
        });
    }
    if !el.size_classes.is_empty() {
        let ok = el.size_classes.contains(&e.size_class);
        out.criterion("size_class", ok, || {
            if ok {
                format!("size class {} is accepted", e.size_class)
            } else {
                format!(
                    "size class {} is not among {}",
                    e.size_class,
                    list(&el.size_classes)
                )
            }
        });
    }
    if !el.region_prefixes.is_empty() {
        let ok = el
            .region_prefixes
            .iter()
            .any(|pre| e.region_code.starts_with(pre.as_str()));
        out.criterion("region", ok, || {
            if ok {
                format!("region {} is served", e.region_code)
            } else {
                format!(
                    "region {} is outside the served regions {}",
                    e.region_code,
                    list(&el.region_prefixes)
                )
            }
        });
    }
    if !el.industries.is_empty() {
        let ok = el.industries.contains(&e.industry);
        out.criterion("industry", ok, || {
            if ok {
                format!("industry {} is accepted", e.industry)
            } else {
                format!(
                    "industry {} is not among {}",
                    e.industry,
                    list(&el.industries)
                )
            }
        });
    }
    if let Some(min_years) = el.min_years_established {
        let years = whole_years(e.established_on, today);
        let ok = years >= i64::from(min_years);
        out.criterion("years_established", ok, || {
            if ok {
                format!("established {years} full years ago (at least {min_years} required)")
            } else {
                format!("established {years} full years ago; {min_years} required")
            }
        });
    }
    if let Some(min_revenue) = el.min_annual_revenue {
        let ok = e.annual_revenue >= min_revenue;
        out.criterion("annual_revenue", ok, || {
            if ok {
                format!(
                    "annual revenue {} meets the minimum {}",
                    e.annual_revenue, min_revenue
                )
            } else {
                format!(
                    "annual revenue {} is below the minimum {}",
                    e.annual_revenue, min_revenue
                )
            }
        });
    }
    if el.first_loan_only {
        out.criterion("first_loan_only", !e.has_prior_loan, || {
            if e.has_prior_loan {
                "the product is only for first-time borrowers (首贷户) and the enterprise has had a loan".into()
            } else {
                "a first-time borrower (首贷户), as the product requires".into()
            }
        });
    }
}

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

fn components(
    p: &ProductFacts,
    d: &DemandFacts,
    e: &EnterpriseFacts,
    today: NaiveDate,
    out: &mut impl Sink,
) {
    let amount = position_points(d.amount.fen(), p.min_amount.fen(), p.max_amount.fen(), 20);
    out.component("amount_fit", amount, 20, || {
        format!(
            "amount {} in range {}–{}",
            d.amount, p.min_amount, p.max_amount
        )
    });
    let term = position_points(d.term_months, p.min_term_months, p.max_term_months, 15);
    out.component("term_fit", term, 15, || {
        format!(
            "term {} months in range {}–{}",
            d.term_months, p.min_term_months, p.max_term_months
        )
    });
    out.component("rate", rate_points(p.min_rate), 25, || {
        format!("minimum rate {}% (25 × (6.00 − rate) / 3.50)", p.min_rate)
    });
    let quals = &p.eligibility.qualifications_any;
    let (q_points, q_detail) = if quals.is_empty() {
        (5, "the product targets no particular qualification")
    } else if quals
        .iter()
        .any(|q| holds(&e.qualifications, q.kind, q.min_level, today))
    {
        (
            15,
            "the product targets a qualification the enterprise holds",
        )
    } else {
        (0, "the product targets qualifications the enterprise lacks")
    };
    out.component("qualification_alignment", q_points, 15, || {
        q_detail.to_owned()
    });
    let (pref, preferred) = if d.preferred_product_types.is_empty() {
        (5, None)
    } else {
        let hit = d.preferred_product_types.contains(&p.product_type);
        (if hit { 10 } else { 0 }, Some(hit))
    };
    out.component("preference", pref, 10, || match preferred {
        None => "no preferred product types".to_owned(),
        Some(true) => format!("{} is a preferred product type", p.product_type),
        Some(false) => format!("{} is not among the preferred types", p.product_type),
    });
    let targets_first = p.product_type == ProductType::FirstLoan || p.eligibility.first_loan_only;
    let (fl, fl_detail) = match (targets_first, e.has_prior_loan) {
        (true, false) => (10, "a 首贷-targeted product for a first-time borrower"),
        (false, _) => (5, "the product does not target first-time borrowers"),
        (true, true) => (
            0,
            "a 首贷-targeted product, but the enterprise has had a loan",
        ),
    };
    out.component("first_loan_alignment", fl, 10, || fl_detail.to_owned());
    let resp = (6 - p.response_sla_days).clamp(0, 5) as u32;
    out.component("bank_responsiveness", resp, 5, || {
        format!(
            "the bank answers within {} working days",
            p.response_sla_days
        )
    });
}

/// Eligibility and score without explanations — for ranking many candidates.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Assessment {
    pub eligible: bool,
    pub score: u32,
    /// How many hard criteria failed (near misses with fewer failures rank first).
    pub failed: u32,
}

pub fn assess(
    p: &ProductFacts,
    d: &DemandFacts,
    e: &EnterpriseFacts,
    today: NaiveDate,
) -> Assessment {
    let mut t = Tally::default();
    criteria(p, d, e, today, &mut t);
    components(p, d, e, today, &mut t);
    Assessment {
        eligible: t.failed == 0,
        score: t.score.min(100),
        failed: t.failed,
    }
}

/// Evaluates one product for one demand on `today`, with every reason.
pub fn evaluate(
    p: &ProductFacts,
    d: &DemandFacts,
    e: &EnterpriseFacts,
    today: NaiveDate,
) -> Evaluation {
    let mut x = Explain::default();
    criteria(p, d, e, today, &mut x);
    components(p, d, e, today, &mut x);
    Evaluation {
        eligible: x.tally.failed == 0,
        score: x.tally.score.min(100),
        failed: x.tally.failed,
        reasons: x.reasons,
    }
}

/// Ranking order: eligible first (then near misses by fewest failed criteria), then higher
/// score, then lower id.
pub fn rank_key(a: Assessment, id: i64) -> (u32, std::cmp::Reverse<u32>, i64) {
    (a.failed, std::cmp::Reverse(a.score), id)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::product::QualificationRequirement;
    use crate::domain::qualification::{QualificationKind, QualificationLevel};

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    const TODAY: &str = "2026-11-22";

    fn product() -> ProductFacts {
        ProductFacts {
            id: 1,
            bank_id: 10,
            product_type: ProductType::SpecializedSme,
            status: ProductStatus::Active,
            min_amount: Money::parse("1000000").unwrap(),
            max_amount: Money::parse("9000000").unwrap(),
            min_term_months: 6,
            max_term_months: 36,
            min_rate: Rate::parse("3.45").unwrap(),
            max_rate: Rate::parse("4.50").unwrap(),
            guarantee_methods: vec![GuaranteeMethod::Credit, GuaranteeMethod::Guarantee],
            response_sla_days: 3,
            eligibility: Eligibility::default(),
        }
    }

    fn demand() -> DemandFacts {
        DemandFacts {
            id: 7,
            enterprise_id: 100,
            amount: Money::parse("5000000").unwrap(),
            term_months: 21,
            guarantee_methods: vec![GuaranteeMethod::Credit],
            max_rate: Some(Rate::parse("4.00").unwrap()),
            preferred_product_types: vec![],
        }
    }

    fn enterprise() -> EnterpriseFacts {
        EnterpriseFacts {
            id: 100,
            region_code: "370202".into(),
            industry: Industry::Industry,
            size_class: SizeClass::Small,
            established_on: d("2016-05-18"),
            annual_revenue: Money::parse("35000000").unwrap(),
            has_prior_loan: false,
            qualifications: vec![Qualification {
                kind: QualificationKind::SpecializedSme,
                level: QualificationLevel::Provincial,
                certified_on: d("2025-01-01"),
                expires_on: d("2027-12-31"),
            }],
        }
    }

    fn failed(e: &Evaluation) -> Vec<&str> {
        e.reasons
            .iter()
            .filter(|r| r.points.is_none() && !r.passed)
            .map(|r| r.criterion.as_str())
            .collect()
    }

    fn eval(p: &ProductFacts, dm: &DemandFacts, e: &EnterpriseFacts) -> Evaluation {
        evaluate(p, dm, e, d(TODAY))
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

    /// Every hard criterion, failing alone, makes the pair ineligible and names itself.
    #[test]
    fn each_criterion_fails_alone() {
        type Case = (
            &'static str,
            Box<dyn Fn(&mut ProductFacts, &mut DemandFacts, &mut EnterpriseFacts)>,
        );
        let cases: Vec<Case> = vec![
            (
                "product_active",
                Box::new(|p, _, _| p.status = ProductStatus::Paused),
            ),
            (
                "amount_range",
                Box::new(|_, dm, _| dm.amount = Money::parse("9000000.01").unwrap()),
            ),
            (
                "amount_range",
                Box::new(|_, dm, _| dm.amount = Money::parse("999999.99").unwrap()),
            ),
            ("term_range", Box::new(|_, dm, _| dm.term_months = 37)),
            ("term_range", Box::new(|_, dm, _| dm.term_months = 5)),
            (
                "guarantee_methods",
                Box::new(|_, dm, _| dm.guarantee_methods = vec![GuaranteeMethod::Mortgage]),
            ),
            (
                "max_rate",
                Box::new(|_, dm, _| dm.max_rate = Some(Rate::parse("3.44").unwrap())),
            ),
            (
                "qualifications",
                Box::new(|p, _, _| {
                    p.eligibility.qualifications_any = vec![QualificationRequirement {
                        kind: QualificationKind::SpecializedSme,
                        min_level: QualificationLevel::National,
                    }]
                }),
            ),
            (
                "size_class",
                Box::new(|p, _, _| p.eligibility.size_classes = vec![SizeClass::Micro]),
            ),
            (
                "region",
                Box::new(|p, _, _| p.eligibility.region_prefixes = vec!["32".into()]),
            ),
            (
                "industry",
                Box::new(|p, _, _| p.eligibility.industries = vec![Industry::SoftwareIt]),
            ),
            (
                "years_established",
                Box::new(|p, _, _| p.eligibility.min_years_established = Some(11)),
            ),
            (
                "annual_revenue",
                Box::new(|p, _, _| {
                    p.eligibility.min_annual_revenue = Some(Money::parse("35000000.01").unwrap())
                }),
            ),
            (
                "first_loan_only",
                Box::new(|p, _, e| {
                    p.eligibility.first_loan_only = true;
                    e.has_prior_loan = true;
                }),
            ),
        ];
        for (criterion, change) in cases {
            let (mut p, mut dm, mut e) = (product(), demand(), enterprise());
            change(&mut p, &mut dm, &mut e);
            let ev = eval(&p, &dm, &e);
            assert!(!ev.eligible, "{criterion}");
            assert_eq!(failed(&ev), vec![criterion]);
        }
    }

    /// And each constrained criterion passes at its boundary.
    #[test]
    fn each_criterion_passes_at_its_boundary() {
        let mut p = product();
        p.eligibility = Eligibility {
            qualifications_any: vec![QualificationRequirement {
                kind: QualificationKind::SpecializedSme,
                min_level: QualificationLevel::Provincial,
            }],
            size_classes: vec![SizeClass::Small, SizeClass::Micro],
            region_prefixes: vec!["3702".into()],
            industries: vec![Industry::Industry],
            min_years_established: Some(10),
            min_annual_revenue: Some(Money::parse("35000000").unwrap()),
            first_loan_only: true,
        };
        let mut dm = demand();
        dm.amount = p.max_amount;
        dm.term_months = p.min_term_months;
        dm.max_rate = Some(p.min_rate);
        let ev = eval(&p, &dm, &enterprise());
        assert!(ev.eligible, "{:?}", failed(&ev));
        assert_eq!(ev.reasons.iter().filter(|r| r.points.is_none()).count(), 12);
        // The 10th anniversary is 2026-05-18, before today: 10 full years.
        assert_eq!(whole_years(d("2016-11-23"), d(TODAY)), 9);
        assert_eq!(whole_years(d("2016-11-22"), d(TODAY)), 10);
    }

    #[test]
    fn qualification_validity_dates_count() {
        let mut p = product();
        p.eligibility.qualifications_any = vec![QualificationRequirement {
            kind: QualificationKind::SpecializedSme,
            min_level: QualificationLevel::Municipal,
        }];
        let mut e = enterprise();
        e.qualifications[0].expires_on = d("2026-11-22");
        assert!(eval(&p, &demand(), &e).eligible, "valid on its expiry day");
        e.qualifications[0].expires_on = d("2026-11-21");
        let ev = eval(&p, &demand(), &e);
        assert!(!ev.eligible);
        let hint = &ev
            .reasons
            .iter()
            .find(|r| r.criterion == "qualifications")
            .unwrap()
            .detail;
        assert!(
            hint.contains("obtain a municipal specialized_sme qualification"),
            "{hint}"
        );
        e.qualifications[0].expires_on = d("2027-12-31");
        e.qualifications[0].certified_on = d("2026-11-23");
        assert!(
            !eval(&p, &demand(), &e).eligible,
            "not valid before certification"
        );
    }

    #[test]
    fn near_miss_says_what_to_change() {
        let mut dm = demand();
        dm.amount = Money::parse("12000000").unwrap();
        let ev = eval(&product(), &dm, &enterprise());
        let r = ev
            .reasons
            .iter()
            .find(|r| r.criterion == "amount_range")
            .unwrap();
        assert_eq!(
            r.detail,
            "amount 12000000.00 is above the maximum 9000000.00: request at most 9000000.00"
        );
    }

    #[test]
    fn ranking_is_eligible_then_score_then_id() {
        let (dm, e) = (demand(), enterprise());
        let mut cheap = product();
        cheap.id = 3;
        cheap.min_rate = Rate::parse("2.50").unwrap();
        let mut twin = product();
        twin.id = 2;
        let base = product();
        let mut closed = product();
        closed.id = 0;
        closed.status = ProductStatus::Retired;
        closed.min_rate = Rate::ZERO;
        let mut ranked: Vec<(i64, Evaluation)> = [&base, &twin, &cheap, &closed]
            .iter()
            .map(|p| (p.id, eval(p, &dm, &e)))
            .collect();
        ranked.sort_by_key(|(id, ev)| {
            rank_key(
                Assessment {
                    eligible: ev.eligible,
                    score: ev.score,
                    failed: ev.failed,
                },
                *id,
            )
        });
        for (id, ev) in &ranked {
            let p = [&base, &twin, &cheap, &closed]
                .into_iter()
                .find(|p| p.id == *id)
                .unwrap();
            assert_eq!(
                assess(p, &dm, &e, d(TODAY)),
                Assessment {
                    eligible: ev.eligible,
                    score: ev.score,
                    failed: ev.failed,
                },
                "fast path agrees"
            );
        }
        let order: Vec<i64> = ranked.iter().map(|(id, _)| *id).collect();
        assert_eq!(order, vec![3, 1, 2, 0]);
        assert!(ranked[0].1.score > ranked[1].1.score);
        assert_eq!(ranked[1].1.score, ranked[2].1.score);
        // Deterministic: the same inputs give the same evaluation.
        assert_eq!(eval(&base, &dm, &e), eval(&base, &dm, &e));
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
