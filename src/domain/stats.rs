//! Finance-office metrics (统计监测): the report shapes, the ratios and the groupings.
//! Definitions are in `docs/metrics.md`; the figures are computed from rollups
//! (`domain::rollup`), and `scan` (tests only) computes them from records as the oracle.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use rust_decimal::{Decimal, RoundingStrategy};
use serde::Serialize;
use utoipa::ToSchema;

use super::money::Money;
use super::product::ProductType;
use super::servicing::LoanStatus;
use super::size_class::SizeClass;

#[derive(Clone, Debug)]
pub struct LoanRec {
    pub id: i64,
    pub demand_id: i64,
    pub bank_id: i64,
    pub bank_name: String,
    pub enterprise_id: i64,
    pub region_code: String,
    pub size_class: SizeClass,
    pub qualifications: Vec<String>,
    pub product_type: ProductType,
    pub credit: bool,
    pub amount_fen: i64,
    pub rate_units: i64,
    pub first_loan: bool,
    pub disbursed_on: NaiveDate,
    pub status: LoanStatus,
    pub outstanding_fen: i64,
    pub written_off_fen: i64,
}

/// A ratio as a decimal string with 4 places ("0.6000"); null when the denominator is 0.
pub(crate) fn ratio(num: Decimal, den: Decimal) -> Option<String> {
    (!den.is_zero()).then(|| four_places(num / den))
}

/// Amount-weighted average rate in percent from Σ amount_fen × rate_units (units are 1/10000
/// of a percent); None without any amount.
pub(crate) fn weighted_rate(rate_amount: i128, amount_fen: i64) -> Option<String> {
    let num = Decimal::try_from_i128_with_scale(rate_amount, 4).ok()?;
    (amount_fen > 0).then(|| four_places(num / Decimal::from(amount_fen)))
}

/// Half up to 4 decimals, always printed with 4 ("0.5000"): ratios and averages.
fn four_places(d: Decimal) -> String {
    fixed(d, 4)
}

/// Median hours to respond: seconds / 3600, half up, always printed with 2 decimals ("12.50").
pub(crate) fn hours_of(seconds: Decimal) -> String {
    fixed(seconds / Decimal::from(3600), 2)
}

pub(crate) fn fixed(d: Decimal, places: u32) -> String {
    let mut r = d.round_dp_with_strategy(places, RoundingStrategy::MidpointAwayFromZero);
    r.rescale(places);
    r.to_string()
}

#[derive(Debug, Default, Serialize, ToSchema, PartialEq, Eq, Clone)]
pub struct LoanFigures {
    pub count: u64,
    #[schema(value_type = Money)]
    pub amount: Money,
    /// Distinct enterprises with a loan.
    pub enterprises_served: u64,
    /// Distinct enterprises with a 首贷 (first loan, bank-attested).
    pub first_loan_enterprises: u64,
    #[schema(value_type = Money)]
    pub first_loan_amount: Money,
    /// 信用贷款占比: credit-loan amount / loan amount.
    pub credit_loan_share: Option<String>,
    /// Amount-weighted average annual rate, percent.
    pub weighted_average_rate: Option<String>,
    #[serde(flatten)]
    pub servicing: ServicingFigures,
}

/// What became of the loans after 放款 (SPEC §3.12), as of now.
#[derive(Debug, Default, Serialize, ToSchema, PartialEq, Eq, Clone)]
pub struct ServicingFigures {
    /// 贷款余额: principal outstanding.
    #[schema(value_type = Money)]
    pub outstanding: Money,
    /// Outstanding principal of `overdue` loans (逾期).
    #[schema(value_type = Money)]
    pub overdue_amount: Money,
    /// Outstanding principal of `npl` loans (不良).
    #[schema(value_type = Money)]
    pub npl_amount: Money,
    /// 不良率: npl_amount / outstanding, 4 places; null when nothing is outstanding.
    pub npl_ratio: Option<String>,
    /// Loans repaid in full (结清).
    pub repaid_count: u64,
    /// Principal written off (核销).
    #[schema(value_type = Money)]
    pub written_off_amount: Money,
}

impl ServicingFigures {
    pub fn new(
        outstanding_fen: i64,
        overdue_fen: i64,
        npl_fen: i64,
        repaid: i64,
        written_off_fen: i64,
    ) -> Self {
        ServicingFigures {
            outstanding: Money::from_fen(outstanding_fen),
            overdue_amount: Money::from_fen(overdue_fen),
            npl_amount: Money::from_fen(npl_fen),
            npl_ratio: ratio(npl_fen.into(), outstanding_fen.into()),
            repaid_count: repaid.max(0) as u64,
            written_off_amount: Money::from_fen(written_off_fen),
        }
    }
}

#[derive(Debug, Default, Serialize, ToSchema, PartialEq, Eq, Clone)]
pub struct MatchFigures {
    pub total: u64,
    /// Count per state.
    pub by_state: BTreeMap<String, u64>,
    #[schema(value_type = Money)]
    pub approved_amount: Money,
    pub overdue: u64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DemandFigures {
    pub count: u64,
    #[schema(value_type = Money)]
    pub amount: Money,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Rates {
    /// 对接成功率: demands with a loan / demands with a match.
    pub match_success_rate: Option<String>,
    /// 资金需求满足率: disbursed amount / demanded amount, over the demands with a match.
    pub demand_satisfaction_rate: Option<String>,
}

/// The two funnel rates over the demands of the slice (from their rollup cells; loans count
/// wherever disbursed).
pub fn funnel_rates(d: &super::rollup::Measures) -> Rates {
    Rates {
        match_success_rate: ratio(d.with_loan.into(), d.matched.into()),
        demand_satisfaction_rate: ratio(d.loan_fen.into(), d.matched_fen.into()),
    }
}

str_enum! {
    /// The grouping keys of `GET /stats/breakdown`.
    pub enum By {
        Bank = "bank" / "银行",
        ProductType = "product_type" / "产品类型",
        Region = "region" / "地区",
        Qualification = "qualification" / "资质",
        SizeClass = "size_class" / "企业规模",
        Month = "month" / "月份",
        Quarter = "quarter" / "季度",
        /// The risk schemes the loans are enrolled in (a loan in two schemes counts in both).
        RiskScheme = "risk_scheme" / "风险分担方案",
    }
}

str_enum! {
    /// What a target (目标) counts.
    pub enum Metric {
        DisbursedAmount = "disbursed_amount" / "放款金额",
        EnterprisesServed = "enterprises_served" / "服务企业数",
        FirstLoanEnterprises = "first_loan_enterprises" / "首贷户数",
        ParticipatingBanks = "participating_banks" / "参与银行数",
    }
}

impl By {
    /// The match dimension that holds this grouping (`STATE` for time and region).
    pub fn match_dim(self) -> &'static str {
        use super::rollup::dim;
        match self {
            By::Bank => dim::BANK_STATE,
            By::Region | By::Month | By::Quarter => dim::STATE,
            other => other.dim(),
        }
    }

    /// The loan dimension that holds this grouping (`ALL` for time and region).
    pub fn dim(self) -> &'static str {
        use super::rollup::dim;
        match self {
            By::Bank => dim::BANK,
            By::ProductType => dim::PRODUCT_TYPE,
            By::SizeClass => dim::SIZE_CLASS,
            By::Qualification => dim::QUALIFICATION,
            By::Region | By::Month | By::Quarter | By::RiskScheme => dim::ALL,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Group {
    pub key: String,
    /// Loans of the group, by disbursement date.
    pub loans: LoanFigures,
    /// Matches of the group, by the day they were made.
    pub matches: MatchFigures,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct BankFigures {
    pub bank_id: i64,
    pub bank_name: String,
    pub matches_received: u64,
    /// Matches the bank took on (accepted, approved or disbursed).
    pub accepted: u64,
    pub rejected: u64,
    /// Median hours from a match's creation to the bank's first answer, always with two
    /// decimals ("12.50").
    #[schema(pattern = r"^[0-9]+\.[0-9]{2}$", example = "12.50")]
    pub median_hours_to_respond: Option<String>,
    pub overdue: u64,
    #[schema(value_type = Money)]
    pub approved_amount: Money,
    #[schema(value_type = Money)]
    pub disbursed_amount: Money,
    /// The bank's loans after 放款.
    #[serde(flatten)]
    pub servicing: ServicingFigures,
    /// Renewals (续贷) asked of the bank, and those waiting past `respond_by`.
    pub renewals_received: u64,
    pub overdue_renewals: u64,
}

#[cfg(test)]
pub(crate) mod scan {
    //! The same metrics computed by scanning the records: the oracle the rollups
    //! (`domain::rollup`) are tested against.

    use std::collections::BTreeSet;

    use chrono::{Datelike, NaiveDateTime};

    use super::*;

    #[derive(Clone, Debug)]
    pub struct MatchRec {
        pub bank_id: i64,
        pub bank_name: String,
        pub region_code: String,
        pub product_type: String,
        pub size_class: String,
        pub qualifications: Vec<String>,
        pub state: String,
        pub created_at: NaiveDateTime,
        pub responded_at: Option<NaiveDateTime>,
        pub respond_by: Option<NaiveDate>,
        pub decide_by: Option<NaiveDate>,
        pub approved_fen: Option<i64>,
    }

    impl MatchRec {
        pub fn overdue(&self, today: NaiveDate) -> bool {
            crate::domain::lifecycle::MatchState::parse(&self.state)
                .is_some_and(|s| s.is_overdue(self.respond_by, self.decide_by, today))
        }
    }

    pub fn loan_figures<'a>(loans: impl IntoIterator<Item = &'a LoanRec>) -> LoanFigures {
        let (mut count, mut amount, mut first_amount, mut credit_amount) = (0u64, 0i64, 0i64, 0i64);
        let mut weighted = 0i128;
        let (mut ents, mut firsts) = (BTreeSet::new(), BTreeSet::new());
        let mut serviced = [0i64; 5];
        for l in loans {
            count += 1;
            add_servicing(&mut serviced, l);
            amount += l.amount_fen;
            ents.insert(l.enterprise_id);
            if l.first_loan {
                firsts.insert(l.enterprise_id);
                first_amount += l.amount_fen;
            }
            if l.credit {
                credit_amount += l.amount_fen;
            }
            weighted += i128::from(l.amount_fen) * i128::from(l.rate_units);
        }
        LoanFigures {
            count,
            amount: Money::from_fen(amount),
            enterprises_served: ents.len() as u64,
            first_loan_enterprises: firsts.len() as u64,
            first_loan_amount: Money::from_fen(first_amount),
            credit_loan_share: ratio(Decimal::from(credit_amount), Decimal::from(amount)),
            weighted_average_rate: weighted_rate(weighted, amount),
            servicing: servicing_of(serviced),
        }
    }

    /// outstanding, overdue, npl, repaid, written off.
    fn add_servicing(acc: &mut [i64; 5], l: &LoanRec) {
        acc[0] += l.outstanding_fen;
        acc[1] += if l.status == LoanStatus::Overdue {
            l.outstanding_fen
        } else {
            0
        };
        acc[2] += if l.status == LoanStatus::Npl {
            l.outstanding_fen
        } else {
            0
        };
        acc[3] += i64::from(l.status == LoanStatus::Repaid);
        acc[4] += l.written_off_fen;
    }

    fn servicing_of(a: [i64; 5]) -> ServicingFigures {
        ServicingFigures::new(a[0], a[1], a[2], a[3], a[4])
    }

    /// The group keys of a record (several for `qualification`, "none" when it has none).
    #[allow(clippy::too_many_arguments)]
    fn keys_of(
        by: By,
        bank: (i64, &str),
        product_type: &str,
        region_code: &str,
        qualifications: &[String],
        size_class: &str,
        on: NaiveDate,
    ) -> Vec<String> {
        match by {
            By::Bank => vec![format!("{} {}", bank.0, bank.1)],
            By::ProductType => vec![product_type.to_owned()],
            By::Region => vec![region_code.chars().take(4).collect()],
            By::Qualification if qualifications.is_empty() => vec!["none".into()],
            By::Qualification => qualifications.to_vec(),
            By::SizeClass => vec![size_class.to_owned()],
            By::Month => vec![format!("{}-{:02}", on.year(), on.month())],
            By::Quarter => vec![format!("{}-Q{}", on.year(), (on.month() - 1) / 3 + 1)],
            // Enrollment is not a field of the record: the API tests check this grouping.
            By::RiskScheme => Vec::new(),
        }
    }

    pub fn keys(by: By, l: &LoanRec) -> Vec<String> {
        keys_of(
            by,
            (l.bank_id, &l.bank_name),
            l.product_type.as_str(),
            &l.region_code,
            &l.qualifications,
            l.size_class.as_str(),
            l.disbursed_on,
        )
    }

    fn match_keys(by: By, m: &MatchRec) -> Vec<String> {
        keys_of(
            by,
            (m.bank_id, &m.bank_name),
            &m.product_type,
            &m.region_code,
            &m.qualifications,
            &m.size_class,
            m.created_at.date(),
        )
    }

    pub fn match_figures<'a>(
        matches: impl IntoIterator<Item = &'a MatchRec>,
        today: NaiveDate,
    ) -> MatchFigures {
        let mut f = MatchFigures::default();
        for m in matches {
            f.total += 1;
            *f.by_state.entry(m.state.clone()).or_default() += 1;
            if matches!(m.state.as_str(), "approved" | "disbursed") {
                f.approved_amount =
                    Money::from_fen(f.approved_amount.fen() + m.approved_fen.unwrap_or(0));
            }
            f.overdue += u64::from(m.overdue(today));
        }
        f
    }

    pub fn breakdown(
        loans: &[LoanRec],
        matches: &[MatchRec],
        by: By,
        today: NaiveDate,
    ) -> Vec<Group> {
        let mut groups: BTreeMap<String, (Vec<&LoanRec>, Vec<&MatchRec>)> = BTreeMap::new();
        for l in loans {
            for k in keys(by, l) {
                groups.entry(k).or_default().0.push(l);
            }
        }
        for m in matches {
            for k in match_keys(by, m) {
                groups.entry(k).or_default().1.push(m);
            }
        }
        groups
            .into_iter()
            .map(|(key, (ls, ms))| Group {
                key,
                loans: loan_figures(ls),
                matches: match_figures(ms, today),
            })
            .collect()
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
                    servicing: ServicingFigures::default(),
                    renewals_received: 0,
                    overdue_renewals: 0,
                })
                .bank_id
        };
        let mut serviced: BTreeMap<i64, [i64; 5]> = BTreeMap::new();
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
            add_servicing(serviced.entry(l.bank_id).or_default(), l);
        }
        for (bank, a) in serviced {
            if let Some(b) = out.get_mut(&bank) {
                b.servicing = servicing_of(a);
            }
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
                b.median_hours_to_respond = Some(hours_of(median));
            }
        }
        out.into_values().collect()
    }
}

#[cfg(test)]
mod tests {
    use super::scan::*;
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
            size_class: SizeClass::Small,
            qualifications: quals.iter().map(|s| s.to_string()).collect(),
            product_type: if id % 2 == 0 {
                ProductType::Credit
            } else {
                ProductType::Green
            },
            credit: id % 2 == 0,
            amount_fen: fen,
            rate_units: rate,
            first_loan: first,
            disbursed_on: on.parse().unwrap(),
            status: LoanStatus::Current,
            outstanding_fen: fen,
            written_off_fen: 0,
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
            let groups = breakdown(&loans, &[], by, NaiveDate::MIN);
            let sum: i64 = groups.iter().map(|g| g.loans.amount.fen()).sum();
            let count: u64 = groups.iter().map(|g| g.loans.count).sum();
            assert_eq!((sum, count), (f.amount.fen(), f.count), "{by:?}");
        }
        let q = breakdown(&loans, &[], By::Quarter, NaiveDate::MIN);
        assert_eq!(
            q.iter().map(|g| g.key.as_str()).collect::<Vec<_>>(),
            vec!["2026-Q1", "2026-Q2"]
        );
        let qual = breakdown(&loans, &[], By::Qualification, NaiveDate::MIN);
        assert_eq!(
            qual.iter().map(|g| g.key.as_str()).collect::<Vec<_>>(),
            vec!["high_tech", "none", "specialized_sme"]
        );
        assert_eq!(loan_figures(&[]).weighted_average_rate, None);
    }
}
