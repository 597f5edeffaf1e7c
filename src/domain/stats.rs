//! Finance-office metrics (统计监测) as pure functions over records. Definitions are in
//! `docs/metrics.md`; every group total is computed by the same function as the grand total,
//! so totals always equal the sum of their groups (except `qualification`, whose groups
//! overlap: a firm with two titles counts under both).

use std::collections::{BTreeMap, BTreeSet};

use chrono::{Datelike, NaiveDate, NaiveDateTime};
use rust_decimal::{Decimal, RoundingStrategy};
use serde::Serialize;
use utoipa::ToSchema;

use super::money::Money;
use super::rate::Rate;

#[derive(Clone, Debug)]
pub struct DemandRec {
    pub id: i64,
    pub enterprise_id: i64,
    pub amount_fen: i64,
    pub status: String,
    pub created_on: NaiveDate,
}

#[derive(Clone, Debug)]
pub struct MatchRec {
    pub id: i64,
    pub demand_id: i64,
    pub bank_id: i64,
    pub bank_name: String,
    pub enterprise_id: i64,
    pub state: String,
    pub created_at: NaiveDateTime,
    pub responded_at: Option<NaiveDateTime>,
    pub respond_by: Option<NaiveDate>,
    pub decide_by: Option<NaiveDate>,
    pub approved_fen: Option<i64>,
}

#[derive(Clone, Debug)]
pub struct LoanRec {
    pub id: i64,
    pub demand_id: i64,
    pub bank_id: i64,
    pub bank_name: String,
    pub enterprise_id: i64,
    pub region_code: String,
    pub size_class: String,
    pub qualifications: Vec<String>,
    pub product_type: String,
    pub credit: bool,
    pub amount_fen: i64,
    pub rate_units: i64,
    pub first_loan: bool,
    pub disbursed_on: NaiveDate,
}

impl MatchRec {
    pub fn overdue(&self, today: NaiveDate) -> bool {
        match self.state.as_str() {
            "applied" => self.respond_by.is_some_and(|d| d < today),
            "accepted" => self.decide_by.is_some_and(|d| d < today),
            _ => false,
        }
    }
}

/// A ratio as a decimal string with 4 places ("0.6000"); null when the denominator is 0.
fn ratio(num: Decimal, den: Decimal) -> Option<String> {
    (!den.is_zero()).then(|| four_places(num / den))
}

/// Half up to 4 decimals, always printed with 4 ("0.5000").
fn four_places(d: Decimal) -> String {
    let mut r = d.round_dp_with_strategy(4, RoundingStrategy::MidpointAwayFromZero);
    r.rescale(4);
    r.to_string()
}

#[derive(Debug, Default, Serialize, ToSchema, PartialEq, Eq, Clone)]
pub struct LoanFigures {
    pub count: u64,
    #[schema(value_type = String)]
    pub amount: Money,
    /// Distinct enterprises with a loan.
    pub enterprises_served: u64,
    /// Distinct enterprises with a 首贷 (first loan, bank-attested).
    pub first_loan_enterprises: u64,
    #[schema(value_type = String)]
    pub first_loan_amount: Money,
    /// 信用贷款占比: credit-loan amount / loan amount.
    pub credit_loan_share: Option<String>,
    /// Amount-weighted average annual rate, percent.
    pub weighted_average_rate: Option<String>,
}

pub fn loan_figures<'a>(loans: impl IntoIterator<Item = &'a LoanRec>) -> LoanFigures {
    let (mut count, mut amount, mut first_amount, mut credit_amount) = (0u64, 0i64, 0i64, 0i64);
    let mut weighted = Decimal::ZERO;
    let (mut ents, mut firsts) = (BTreeSet::new(), BTreeSet::new());
    for l in loans {
        count += 1;
        amount += l.amount_fen;
        ents.insert(l.enterprise_id);
        if l.first_loan {
            firsts.insert(l.enterprise_id);
            first_amount += l.amount_fen;
        }
        if l.credit {
            credit_amount += l.amount_fen;
        }
        weighted += Decimal::from(l.amount_fen) * Rate::from_units(l.rate_units).percent();
    }
    LoanFigures {
        count,
        amount: Money::from_fen(amount),
        enterprises_served: ents.len() as u64,
        first_loan_enterprises: firsts.len() as u64,
        first_loan_amount: Money::from_fen(first_amount),
        credit_loan_share: ratio(Decimal::from(credit_amount), Decimal::from(amount)),
        weighted_average_rate: (amount > 0).then(|| four_places(weighted / Decimal::from(amount))),
    }
}

#[derive(Debug, Default, Serialize, ToSchema, PartialEq, Eq, Clone)]
pub struct MatchFigures {
    pub total: u64,
    /// Count per state.
    pub by_state: BTreeMap<String, u64>,
    #[schema(value_type = String)]
    pub approved_amount: Money,
    pub overdue: u64,
}

pub fn match_figures<'a>(
    matches: impl IntoIterator<Item = &'a MatchRec>,
    today: NaiveDate,
) -> MatchFigures {
    let mut f = MatchFigures::default();
    let mut approved = 0i64;
    for m in matches {
        f.total += 1;
        *f.by_state.entry(m.state.clone()).or_default() += 1;
        if matches!(m.state.as_str(), "approved" | "disbursed") {
            approved += m.approved_fen.unwrap_or(0);
        }
        f.overdue += u64::from(m.overdue(today));
    }
    f.approved_amount = Money::from_fen(approved);
    f
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DemandFigures {
    pub count: u64,
    #[schema(value_type = String)]
    pub amount: Money,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Rates {
    /// 对接成功率: demands with a loan / demands with a match.
    pub match_success_rate: Option<String>,
    /// 资金需求满足率: disbursed amount / demanded amount, over the demands with a match.
    pub demand_satisfaction_rate: Option<String>,
}

/// The two funnel rates over demands of the slice (loans counted wherever disbursed).
pub fn rates(
    demands: &[DemandRec],
    matches: &[MatchRec],
    loans_by_demand: &BTreeMap<i64, i64>,
) -> Rates {
    let matched: BTreeSet<i64> = matches.iter().map(|m| m.demand_id).collect();
    let considered: Vec<&DemandRec> = demands.iter().filter(|d| matched.contains(&d.id)).collect();
    let with_loan = considered
        .iter()
        .filter(|d| loans_by_demand.contains_key(&d.id))
        .count();
    let demanded: i64 = considered.iter().map(|d| d.amount_fen).sum();
    let disbursed: i64 = considered
        .iter()
        .map(|d| loans_by_demand.get(&d.id).copied().unwrap_or(0))
        .sum();
    Rates {
        match_success_rate: ratio(
            Decimal::from(with_loan as u64),
            Decimal::from(considered.len() as u64),
        ),
        demand_satisfaction_rate: ratio(Decimal::from(disbursed), Decimal::from(demanded)),
    }
}

/// The grouping keys of `GET /stats/breakdown`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum By {
    Bank,
    ProductType,
    Region,
    Qualification,
    SizeClass,
    Month,
    Quarter,
}

impl By {
    pub fn parse(s: &str) -> Option<By> {
        Some(match s {
            "bank" => By::Bank,
            "product_type" => By::ProductType,
            "region" => By::Region,
            "qualification" => By::Qualification,
            "size_class" => By::SizeClass,
            "month" => By::Month,
            "quarter" => By::Quarter,
            _ => return None,
        })
    }

    /// The group keys of one loan (several for `qualification`, "none" when it has none).
    pub fn keys(self, l: &LoanRec) -> Vec<String> {
        match self {
            By::Bank => vec![format!("{} {}", l.bank_id, l.bank_name)],
            By::ProductType => vec![l.product_type.clone()],
            By::Region => vec![l.region_code.chars().take(4).collect()],
            By::Qualification if l.qualifications.is_empty() => vec!["none".into()],
            By::Qualification => l.qualifications.clone(),
            By::SizeClass => vec![l.size_class.clone()],
            By::Month => vec![format!(
                "{}-{:02}",
                l.disbursed_on.year(),
                l.disbursed_on.month()
            )],
            By::Quarter => vec![format!(
                "{}-Q{}",
                l.disbursed_on.year(),
                (l.disbursed_on.month() - 1) / 3 + 1
            )],
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Group {
    pub key: String,
    pub loans: LoanFigures,
}

pub fn breakdown(loans: &[LoanRec], by: By) -> Vec<Group> {
    let mut groups: BTreeMap<String, Vec<&LoanRec>> = BTreeMap::new();
    for l in loans {
        for k in by.keys(l) {
            groups.entry(k).or_default().push(l);
        }
    }
    groups
        .into_iter()
        .map(|(key, ls)| Group {
            key,
            loans: loan_figures(ls),
        })
        .collect()
}

#[derive(Debug, Serialize, ToSchema)]
pub struct BankFigures {
    pub bank_id: i64,
    pub bank_name: String,
    pub matches_received: u64,
    /// Matches the bank took on (accepted, approved or disbursed).
    pub accepted: u64,
    pub rejected: u64,
    /// Median hours from a match's creation to the bank's first answer.
    pub median_hours_to_respond: Option<String>,
    pub overdue: u64,
    #[schema(value_type = String)]
    pub approved_amount: Money,
    #[schema(value_type = String)]
    pub disbursed_amount: Money,
}

pub fn banks(matches: &[MatchRec], loans: &[LoanRec], today: NaiveDate) -> Vec<BankFigures> {
    let mut out: BTreeMap<i64, BankFigures> = BTreeMap::new();
    let mut hours: BTreeMap<i64, Vec<i64>> = BTreeMap::new();
    let entry = |out: &mut BTreeMap<i64, BankFigures>, id: i64, name: &str| {
        out.entry(id)
            .or_insert_with(|| BankFigures {
                bank_id: id,
                bank_name: name.to_owned(),
                matches_received: 0,
                accepted: 0,
                rejected: 0,
                median_hours_to_respond: None,
                overdue: 0,
                approved_amount: Money::ZERO,
                disbursed_amount: Money::ZERO,
            })
            .bank_id
    };
    for m in matches {
        entry(&mut out, m.bank_id, &m.bank_name);
        let b = out.get_mut(&m.bank_id).expect("just inserted");
        b.matches_received += 1;
        b.accepted += u64::from(matches!(
            m.state.as_str(),
            "accepted" | "approved" | "disbursed"
        ));
        b.rejected += u64::from(m.state == "rejected");
        b.overdue += u64::from(m.overdue(today));
        if matches!(m.state.as_str(), "approved" | "disbursed") {
            b.approved_amount =
                Money::from_fen(b.approved_amount.fen() + m.approved_fen.unwrap_or(0));
        }
        if let Some(r) = m.responded_at {
            hours
                .entry(m.bank_id)
                .or_default()
                .push((r - m.created_at).num_seconds());
        }
    }
    for l in loans {
        entry(&mut out, l.bank_id, &l.bank_name);
        let b = out.get_mut(&l.bank_id).expect("just inserted");
        b.disbursed_amount = Money::from_fen(b.disbursed_amount.fen() + l.amount_fen);
    }
    for (bank, mut secs) in hours {
        secs.sort_unstable();
        let n = secs.len();
        let median = if n % 2 == 1 {
            Decimal::from(secs[n / 2])
        } else {
            Decimal::from(secs[n / 2 - 1] + secs[n / 2]) / Decimal::TWO
        };
        if let Some(b) = out.get_mut(&bank) {
            b.median_hours_to_respond =
                Some((median / Decimal::from(3600)).round_dp(2).to_string());
        }
    }
    out.into_values().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn loan(
        id: i64,
        ent: i64,
        fen: i64,
        rate: i64,
        first: bool,
        on: &str,
        quals: &[&str],
    ) -> LoanRec {
        LoanRec {
            id,
            demand_id: id,
            bank_id: 1 + id % 2,
            bank_name: "b".into(),
            enterprise_id: ent,
            region_code: "370202".into(),
            size_class: "small".into(),
            qualifications: quals.iter().map(|s| s.to_string()).collect(),
            product_type: if id % 2 == 0 {
                "credit".into()
            } else {
                "green".into()
            },
            credit: id % 2 == 0,
            amount_fen: fen,
            rate_units: rate,
            first_loan: first,
            disbursed_on: on.parse().unwrap(),
        }
    }

    #[test]
    fn figures_and_groups_add_up() {
        let loans = vec![
            loan(
                1,
                10,
                10_000,
                30_000,
                true,
                "2026-01-05",
                &["specialized_sme"],
            ),
            loan(2, 10, 30_000, 40_000, false, "2026-04-05", &[]),
            loan(
                3,
                11,
                60_000,
                35_000,
                true,
                "2026-04-06",
                &["specialized_sme", "high_tech"],
            ),
        ];
        let f = loan_figures(&loans);
        assert_eq!(
            (
                f.count,
                f.amount.fen(),
                f.enterprises_served,
                f.first_loan_enterprises
            ),
            (3, 100_000, 2, 2)
        );
        assert_eq!(f.first_loan_amount.fen(), 70_000);
        assert_eq!(f.credit_loan_share.as_deref(), Some("0.3000"));
        // (100×3.00 + 300×4.00 + 600×3.50) / 1000 = 3.60
        assert_eq!(f.weighted_average_rate.as_deref(), Some("3.6000"));
        for by in [
            By::Bank,
            By::ProductType,
            By::Region,
            By::SizeClass,
            By::Month,
            By::Quarter,
        ] {
            let groups = breakdown(&loans, by);
            let sum: i64 = groups.iter().map(|g| g.loans.amount.fen()).sum();
            let count: u64 = groups.iter().map(|g| g.loans.count).sum();
            assert_eq!((sum, count), (f.amount.fen(), f.count), "{by:?}");
        }
        let q = breakdown(&loans, By::Quarter);
        assert_eq!(
            q.iter().map(|g| g.key.as_str()).collect::<Vec<_>>(),
            vec!["2026-Q1", "2026-Q2"]
        );
        let qual = breakdown(&loans, By::Qualification);
        assert_eq!(
            qual.iter().map(|g| g.key.as_str()).collect::<Vec<_>>(),
            vec!["high_tech", "none", "specialized_sme"]
        );
        assert_eq!(loan_figures(&[]).weighted_average_rate, None);
    }

    #[test]
    fn funnel_rates() {
        let d = |id, fen| DemandRec {
            id,
            enterprise_id: 1,
            amount_fen: fen,
            status: "open".into(),
            created_on: "2026-01-01".parse().unwrap(),
        };
        let m = |id, demand_id| MatchRec {
            id,
            demand_id,
            bank_id: 1,
            bank_name: "b".into(),
            enterprise_id: 1,
            state: "applied".into(),
            created_at: "2026-01-01T00:00:00".parse().unwrap(),
            responded_at: None,
            respond_by: None,
            decide_by: None,
            approved_fen: None,
        };
        let demands = vec![d(1, 1000), d(2, 1000), d(3, 5000)];
        let matches = vec![m(1, 1), m(2, 2)];
        let loans: BTreeMap<i64, i64> = [(1, 800)].into_iter().collect();
        let r = rates(&demands, &matches, &loans);
        assert_eq!(r.match_success_rate.as_deref(), Some("0.5000"));
        assert_eq!(r.demand_satisfaction_rate.as_deref(), Some("0.4000"));
    }
}
