//! One product against every open demand (`GET /products/{id}/candidates`): the full ranking
//! (`candidates`, the reference) and the search that answers its first page without assessing
//! every demand (`top_candidates`, by the trait groups of `DemandSnapshot`).

use std::collections::BinaryHeap;

use chrono::NaiveDate;

use super::{DemandSnapshot, TraitGroup};
use crate::db::catalog::{CatalogDemand, CatalogEnterprise};
use crate::domain::matching::{
    amount_points, assess, rank_key, score_without_amount, Assessment, ProductFacts,
};

/// The first `want` of `candidates`, without assessing every open demand. Inside a group of
/// demands with the same `ScoreTraits` the score is the amount's points plus a constant, so
/// each group is walked outward from the middle of the product's amount range (its amount
/// points only fall), the groups merged best-first by the score their next demand would
/// have, and the walk stops once that is below the `want`-th best found. Same answer as
/// `candidates`, truncated; costs the number of groups plus the demands near the top.
pub fn top_candidates<'a>(
    product: &ProductFacts,
    snapshot: &'a DemandSnapshot,
    today: NaiveDate,
    want: usize,
) -> Vec<(&'a CatalogDemand, &'a CatalogEnterprise, Assessment)> {
    if want == 0 {
        return Vec::new();
    }
    if snapshot.day != today {
        // Groups hold the qualifications valid on the snapshot's day.
        let mut all = candidates(product, snapshot, today);
        all.truncate(want);
        return all;
    }
    let demands = &snapshot.demands;
    let mut walks: Vec<GroupWalk> = snapshot
        .groups
        .iter()
        .map(|g| GroupWalk::new(g, demands, product))
        .collect();
    // Groups by the score of their next demand, best on top.
    let mut queue: BinaryHeap<(u32, usize)> = walks
        .iter_mut()
        .enumerate()
        .filter_map(|(w, walk)| Some((walk.next_score(demands, product)?, w)))
        .collect();
    // The best `want` so far, the worst on top.
    let mut best: BinaryHeap<(RankKeyOf, usize)> = BinaryHeap::with_capacity(want + 1);
    while let Some((score, w)) = queue.pop() {
        let worst = (best.len() == want).then(|| best.peek().map(|(k, _)| (k.1 .0, k.2)));
        if let Some(Some((worst_score, _))) = worst {
            if score < worst_score {
                break;
            }
        }
        let next = walks[w].take(demands, product);
        if let Some(s) = walks[w].next_score(demands, product) {
            queue.push((s, w));
        }
        let d = &demands[next];
        // An equal score outranks the worst only by a lower id.
        if let Some(Some((worst_score, worst_id))) = worst {
            if score == worst_score && d.facts.id > worst_id {
                continue;
            }
        }
        let Some(e) = snapshot.enterprises.get(&d.facts.enterprise_id) else {
            continue;
        };
        let a = assess(product, &d.facts, &e.facts, today);
        if a.eligible {
            best.push((rank_key(a, d.facts.id), next));
            if best.len() > want {
                best.pop();
            }
        }
    }
    best.into_sorted_vec()
        .into_iter()
        .map(|(_, i)| {
            let d = &demands[i];
            let e = &snapshot.enterprises[&d.facts.enterprise_id];
            (d, e, assess(product, &d.facts, &e.facts, today))
        })
        .collect()
}

/// One group's walk outward from the middle of a product's amount range: `members[left..right]`
/// are taken, `members[lo..hi]` are within the range.
struct GroupWalk<'g> {
    members: &'g [u32],
    /// What the group's traits score with the product.
    base: u32,
    lo: usize,
    hi: usize,
    left: usize,
    right: usize,
}

impl<'g> GroupWalk<'g> {
    fn new(group: &'g TraitGroup, demands: &[CatalogDemand], product: &ProductFacts) -> Self {
        let members = &group.members[..];
        let amount = |i: &u32| demands[*i as usize].facts.amount;
        let lo = members.partition_point(|i| amount(i) < product.min_amount);
        let hi = members.partition_point(|i| amount(i) <= product.max_amount);
        let twice_mid = i128::from(product.min_amount.fen()) + i128::from(product.max_amount.fen());
        let start =
            lo + members[lo..hi].partition_point(|i| 2 * i128::from(amount(i).fen()) < twice_mid);
        GroupWalk {
            members,
            base: score_without_amount(product, &group.traits),
            lo,
            hi,
            left: start,
            right: start,
        }
    }

    /// Which side the next demand comes from (nearer the middle; left on a tie), if any left.
    fn side(&self, demands: &[CatalogDemand], product: &ProductFacts) -> Option<bool> {
        let twice_mid = i128::from(product.min_amount.fen()) + i128::from(product.max_amount.fen());
        let off = |k: usize| {
            let amount = demands[self.members[k] as usize].facts.amount;
            (2 * i128::from(amount.fen()) - twice_mid).abs()
        };
        match (self.left > self.lo, self.right < self.hi) {
            (false, false) => None,
            (true, true) => Some(off(self.left - 1) <= off(self.right)),
            (left, _) => Some(left),
        }
    }

    fn next_score(&self, demands: &[CatalogDemand], product: &ProductFacts) -> Option<u32> {
        let k = if self.side(demands, product)? {
            self.left - 1
        } else {
            self.right
        };
        let amount = demands[self.members[k] as usize].facts.amount;
        Some(self.base + amount_points(product, amount))
    }

    /// The next demand's position in `demands`; only after `next_score` said there is one.
    fn take(&mut self, demands: &[CatalogDemand], product: &ProductFacts) -> usize {
        let k = if self.side(demands, product) == Some(true) {
            self.left -= 1;
            self.left
        } else {
            self.right += 1;
            self.right - 1
        };
        self.members[k] as usize
    }
}

/// What `rank_key` orders by.
type RankKeyOf = (u32, std::cmp::Reverse<u32>, i64);

/// Open demands eligible for one product, ranked by score, ties by demand id: every open
/// demand assessed (the reference `top_candidates` is tested against).
pub fn candidates<'a>(
    product: &ProductFacts,
    snapshot: &'a DemandSnapshot,
    today: NaiveDate,
) -> Vec<(&'a CatalogDemand, &'a CatalogEnterprise, Assessment)> {
    let mut ranked: Vec<_> = snapshot
        .demands
        .iter()
        .filter_map(|d| {
            let e = snapshot.enterprises.get(&d.facts.enterprise_id)?;
            let a = assess(product, &d.facts, &e.facts, today);
            a.eligible.then_some((d, e, a))
        })
        .collect();
    ranked.sort_unstable_by_key(|(d, _, a)| rank_key(*a, d.facts.id));
    ranked
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;
    use crate::domain::matching::{DemandFacts, EnterpriseFacts};

    /// `top_candidates` answers what ranking every open demand answers, cut to `want`, on
    /// worlds with many equal amounts and scores (ties broken by id), products with narrow
    /// and wide ranges, and demands outside every range.
    #[test]
    fn top_candidates_equal_the_full_ranking() {
        use crate::domain::demand::Purpose;
        use crate::domain::money::Money;
        use crate::domain::product::{
            Eligibility, GuaranteeMethod, ProductStatus, ProductType, QualificationRequirement,
        };
        use crate::domain::qualification::{Qualification, QualificationKind, QualificationLevel};
        use crate::domain::rate::Rate;
        use crate::domain::size_class::{Industry, SizeClass};
        let mut seed = 7u64;
        let mut next = |n: u64| {
            seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (seed >> 33) % n
        };
        let today = NaiveDate::from_ymd_opt(2026, 12, 1).unwrap();
        for world in 0..12 {
            // Every third world makes every eligible demand score exactly its bound: ties
            // on score everywhere, decided by id.
            let uniform = world % 3 == 0;
            let enterprises: HashMap<i64, CatalogEnterprise> = (1..=60)
                .map(|id| {
                    let qualified = next(3) == 0;
                    let e = CatalogEnterprise {
                        facts: EnterpriseFacts {
                            id,
                            region_code: ["370202", "320506", "110105"][next(3) as usize].into(),
                            industry: Industry::Industry,
                            size_class: [SizeClass::Micro, SizeClass::Small, SizeClass::Medium]
                                [next(3) as usize],
                            established_on: NaiveDate::from_ymd_opt(2015, 1, 1).unwrap(),
                            annual_revenue: Money::from_fen(1_000_000_000),
                            has_prior_loan: next(2) == 0,
                            qualifications: qualified
                                .then(|| Qualification {
                                    kind: QualificationKind::SpecializedSme,
                                    level: QualificationLevel::Provincial,
                                    certified_on: NaiveDate::from_ymd_opt(2025, 1, 1).unwrap(),
                                    expires_on: NaiveDate::from_ymd_opt(2099, 1, 1).unwrap(),
                                })
                                .into_iter()
                                .collect(),
                        },
                        name: format!("e{id}"),
                    };
                    (id, e)
                })
                .collect();
            let demands: Vec<CatalogDemand> = (1..=1_500)
                .map(|id| CatalogDemand {
                    facts: DemandFacts {
                        id,
                        enterprise_id: 1 + next(60) as i64,
                        // Coarse amounts: many demands share one.
                        amount: Money::from_fen((1 + next(40) as i64) * 50_000_000),
                        term_months: if uniform {
                            21
                        } else {
                            [6, 12, 24, 36][next(4) as usize]
                        },
                        guarantee_methods: vec![GuaranteeMethod::ALL[next(4) as usize]],
                        max_rate: (!uniform && next(2) == 0).then(|| Rate::from_units(40_000)),
                        preferred_product_types: if uniform {
                            vec![ProductType::ALL[0]]
                        } else if next(2) == 0 {
                            vec![]
                        } else {
                            vec![ProductType::ALL[next(11) as usize]]
                        },
                    },
                    purpose: Purpose::WorkingCapital,
                    needed_by: None,
                })
                .collect();
            let snapshot = DemandSnapshot::new(1, today, demands, enterprises);
            for _ in 0..10 {
                let min = (1 + next(30) as i64) * 50_000_000;
                let mut eligibility = Eligibility::default();
                if !uniform && next(3) == 0 {
                    eligibility.qualifications_any = vec![QualificationRequirement {
                        kind: QualificationKind::SpecializedSme,
                        min_level: QualificationLevel::Provincial,
                    }];
                }
                eligibility.first_loan_only = !uniform && next(5) == 0;
                let product = ProductFacts {
                    id: 1,
                    bank_id: 1,
                    product_type: if uniform {
                        ProductType::ALL[0]
                    } else {
                        ProductType::ALL[next(11) as usize]
                    },
                    status: ProductStatus::Active,
                    min_amount: Money::from_fen(min),
                    max_amount: Money::from_fen(min + next(20) as i64 * 50_000_000),
                    min_term_months: 6,
                    max_term_months: if uniform {
                        36
                    } else {
                        [12, 24, 36][next(3) as usize]
                    },
                    min_rate: Rate::from_units(30_000 + next(10_000) as i64),
                    max_rate: Rate::from_units(60_000),
                    guarantee_methods: if uniform {
                        GuaranteeMethod::ALL.to_vec()
                    } else {
                        GuaranteeMethod::ALL[..1 + next(4) as usize].to_vec()
                    },
                    response_sla_days: 1 + next(5) as i64,
                    eligibility,
                };
                let all = candidates(&product, &snapshot, today);
                for want in [1, 5, 21, 200, 5_000] {
                    let top = top_candidates(&product, &snapshot, today, want);
                    let ids = |v: &[(&CatalogDemand, &CatalogEnterprise, Assessment)]| {
                        v.iter()
                            .map(|(d, _, a)| (d.facts.id, a.score))
                            .collect::<Vec<_>>()
                    };
                    assert_eq!(
                        ids(&top),
                        ids(&all[..want.min(all.len())]),
                        "world {world}, want {want}"
                    );
                }
                // Another day than the snapshot's (qualifications may lapse): the same answer.
                let later = today + chrono::Days::new(400);
                let all = candidates(&product, &snapshot, later);
                let top = top_candidates(&product, &snapshot, later, 21);
                assert_eq!(top.len(), all.len().min(21));
                for (t, a) in top.iter().zip(&all) {
                    assert_eq!((t.0.facts.id, t.2.score), (a.0.facts.id, a.2.score));
                }
            }
        }
    }
}
