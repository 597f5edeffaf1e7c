//! The entry points: `assess` (eligibility and score only, for ranking many candidates),
//! `evaluate` (with every reason) and `rank_key`, the ranking order.

use chrono::NaiveDate;

use super::criteria::criteria;
use super::facts::{DemandFacts, EnterpriseFacts, ProductFacts};
use super::reasons::{Explain, Reason, Tally};
use super::score::components;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Evaluation {
    pub eligible: bool,
    pub score: u32,
    pub failed: u32,
    pub reasons: Vec<Reason>,
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
    use crate::domain::matching::fixtures::{d, demand, enterprise, eval, product, TODAY};
    use crate::domain::product::ProductStatus;
    use crate::domain::rate::Rate;

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
}
