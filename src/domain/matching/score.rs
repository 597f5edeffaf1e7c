//! The score (0–100): the components of the table in the module doc, integer arithmetic,
//! deterministic.

use chrono::NaiveDate;

use super::facts::{DemandFacts, EnterpriseFacts, ProductFacts};
use super::reasons::Sink;
use crate::domain::money::Money;
use crate::domain::product::ProductType;
use crate::domain::qualification::holds;
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

/// The highest score any demand for `amount` can reach with product `p`: the amount's own
/// points plus every other component at its most. Candidate search walks demands in falling
/// amount points and stops once this bound is below the scores it has.
pub fn score_bound(p: &ProductFacts, amount: Money) -> u32 {
    let amount = position_points(amount.fen(), p.min_amount.fen(), p.max_amount.fen(), 20);
    let qualification = if p.eligibility.qualifications_any.is_empty() {
        5
    } else {
        15
    };
    let targets_first = p.product_type == ProductType::FirstLoan || p.eligibility.first_loan_only;
    let first_loan = if targets_first { 10 } else { 5 };
    let responsiveness = (6 - p.response_sla_days).clamp(0, 5) as u32;
    (amount + 15 + rate_points(p.min_rate) + qualification + 10 + first_loan + responsiveness)
        .min(100)
}

/// The highest score demand `d` can reach with product `p` whatever its enterprise: its
/// amount, term and preference points exactly, the enterprise's components at their most.
/// At most `score_bound` of its amount; lets a candidate search skip a demand without
/// assessing it.
pub fn demand_bound(p: &ProductFacts, d: &DemandFacts) -> u32 {
    let term_max = 15;
    let term = position_points(d.term_months, p.min_term_months, p.max_term_months, 15);
    let pref_max = 10;
    let pref = if d.preferred_product_types.is_empty() {
        5
    } else if d.preferred_product_types.contains(&p.product_type) {
        10
    } else {
        0
    };
    (score_bound(p, d.amount) + term + pref).saturating_sub(term_max + pref_max)
}

pub(super) fn components(
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

#[cfg(test)]
mod tests {
    use crate::domain::matching::fixtures::{demand, enterprise, eval, failed, product};
    use crate::domain::product::ProductType;

    #[test]
    fn no_demand_scores_above_the_bound_of_its_amount() {
        use crate::domain::matching::fixtures::{d, enterprise, product, TODAY};
        use crate::domain::money::Money;
        let p = product();
        let e = enterprise();
        let mut reached = false;
        for amount in (0..=120).map(|k| Money::from_fen(k * 10_000_000)) {
            for term in [3, 6, 12, 21, 36, 60] {
                let mut dm = demand();
                dm.amount = amount;
                dm.term_months = term;
                dm.preferred_product_types = vec![p.product_type];
                let a = crate::domain::matching::assess(&p, &dm, &e, d(TODAY));
                let bound = super::score_bound(&p, amount);
                let own = super::demand_bound(&p, &dm);
                assert!(
                    a.score <= own && own <= bound,
                    "{amount} {term}: {} > {own}",
                    a.score
                );
                reached |= a.score == bound;
            }
        }
        assert!(reached, "the bound is reached by some demand");
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
