//! The writes that produce deltas: a loan disbursed, a demand posted or changed, a match
//! made or moved, each snapshotted as it was when it happened.

use crate::domain::lifecycle::MatchState;
use crate::domain::product::ProductType;
use crate::domain::servicing::LoanStatus;
use crate::domain::size_class::SizeClass;
use chrono::NaiveDate;
use roaring::RoaringBitmap;

use super::cells::{set_of, Fact, IdTooLarge, Measures, Rollup};
use super::dim;

/// A loan as reported: its snapshot at disbursement.
#[derive(Clone, Debug)]
pub struct LoanFact {
    pub enterprise_id: i64,
    pub bank_id: i64,
    pub region_code: String,
    pub size_class: SizeClass,
    /// Sorted, comma-separated kinds valid on the disbursement date ("" for none).
    pub qualification_kinds: String,
    pub product_type: ProductType,
    pub credit: bool,
    pub amount_fen: i64,
    pub rate_units: i64,
    pub first_loan: bool,
    pub disbursed_on: NaiveDate,
    /// Its servicing state now (at disbursement: `LoanBalance::disbursed`).
    pub balance: LoanBalance,
}

/// What a loan's servicing state (SPEC §3.12) adds to its cells.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LoanBalance {
    pub status: LoanStatus,
    pub outstanding_fen: i64,
    pub written_off_fen: i64,
}

impl LoanBalance {
    /// A loan just disbursed: current, all of it outstanding.
    pub fn disbursed(amount_fen: i64) -> Self {
        LoanBalance {
            status: LoanStatus::Current,
            outstanding_fen: amount_fen,
            written_off_fen: 0,
        }
    }

    fn measures(self) -> Measures {
        let of = |s: LoanStatus| {
            if self.status == s {
                self.outstanding_fen
            } else {
                0
            }
        };
        Measures {
            outstanding_fen: self.outstanding_fen,
            overdue_fen: of(LoanStatus::Overdue),
            npl_fen: of(LoanStatus::Npl),
            repaid: i64::from(self.status == LoanStatus::Repaid),
            written_off_fen: self.written_off_fen,
            ..Measures::default()
        }
    }
}

/// The groups a loan is counted in: all, its bank, product type, size class and each
/// qualification kind (or `none`).
fn loan_groups(l: &LoanFact) -> Vec<(&'static str, String)> {
    let mut groups = vec![
        (dim::ALL, String::new()),
        (dim::BANK, l.bank_id.to_string()),
        (dim::PRODUCT_TYPE, l.product_type.as_str().to_owned()),
        (dim::SIZE_CLASS, l.size_class.as_str().to_owned()),
    ];
    groups.extend(
        qualification_groups(&l.qualification_kinds).map(|k| (dim::QUALIFICATION, k.to_owned())),
    );
    groups
}

/// The qualification groups of a snapshot's kinds: each kind, or `none` without any.
fn qualification_groups(kinds: &str) -> impl Iterator<Item = &str> {
    let none = kinds.is_empty().then_some("none");
    kinds.split(',').filter(|k| !k.is_empty()).chain(none)
}

pub fn loan_disbursed(r: &mut Rollup, l: &LoanFact) -> Result<(), IdTooLarge> {
    let m = Measures {
        n: 1,
        amount_fen: l.amount_fen,
        first_loan_fen: if l.first_loan { l.amount_fen } else { 0 },
        credit_fen: if l.credit { l.amount_fen } else { 0 },
        rate_amount: i128::from(l.amount_fen) * i128::from(l.rate_units),
        enterprises: set_of(l.enterprise_id)?,
        first_loan_enterprises: if l.first_loan {
            set_of(l.enterprise_id)?
        } else {
            RoaringBitmap::new()
        },
        ..l.balance.measures()
    };
    for (d, k) in loan_groups(l) {
        r.add(Fact::Loan, d, &k, l.disbursed_on, &l.region_code, &m);
    }
    Ok(())
}

/// A servicing event moved the loan `l` from `before` to `after`: its cells (by disbursement
/// date) follow.
pub fn loan_serviced(r: &mut Rollup, l: &LoanFact, before: LoanBalance, after: LoanBalance) {
    let mut delta = after.measures();
    delta.add(&before.measures().negated());
    for (d, k) in loan_groups(l) {
        r.add(Fact::Loan, d, &k, l.disbursed_on, &l.region_code, &delta);
    }
}

/// Where a demand's figures live: the day it was posted, the region it was posted from.
#[derive(Clone, Debug)]
pub struct DemandCell {
    pub region_code: String,
    pub created_on: NaiveDate,
}

impl DemandCell {
    fn add(&self, r: &mut Rollup, m: Measures) {
        r.add(
            Fact::Demand,
            dim::ALL,
            "",
            self.created_on,
            &self.region_code,
            &m,
        );
    }

    pub fn posted(&self, r: &mut Rollup, amount_fen: i64) {
        self.add(
            r,
            Measures {
                n: 1,
                amount_fen,
                ..Measures::default()
            },
        );
    }

    /// The amount of a demand changed (only while open); `matched` when it already has a match.
    pub fn amount_changed(&self, r: &mut Rollup, old_fen: i64, new_fen: i64, matched: bool) {
        let d = new_fen - old_fen;
        self.add(
            r,
            Measures {
                amount_fen: d,
                matched_fen: if matched { d } else { 0 },
                ..Measures::default()
            },
        );
    }

    /// Its first match.
    pub fn first_matched(&self, r: &mut Rollup, amount_fen: i64) {
        self.add(
            r,
            Measures {
                matched: 1,
                matched_fen: amount_fen,
                ..Measures::default()
            },
        );
    }

    /// A loan disbursed on it; `first` for its first loan.
    pub fn loan(&self, r: &mut Rollup, amount_fen: i64, first: bool) {
        self.add(
            r,
            Measures {
                with_loan: i64::from(first),
                loan_fen: amount_fen,
                ..Measures::default()
            },
        );
    }
}

/// A match as reported: its bank, state, the deadline it waits on, its approved amount and
/// how long the bank took to answer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MatchFact {
    pub bank_id: i64,
    pub region_code: String,
    pub created_on: NaiveDate,
    pub state: MatchState,
    pub respond_by: Option<NaiveDate>,
    pub decide_by: Option<NaiveDate>,
    pub approved_fen: Option<i64>,
    /// Seconds from creation to the bank's first answer (accept, reject, or its own claim).
    pub response_secs: Option<i64>,
    /// Snapshot when the match was made: the product's type, the enterprise's size class and
    /// its valid qualification kinds (sorted, comma-separated, "" for none).
    pub product_type: ProductType,
    pub size_class: SizeClass,
    pub qualification_kinds: String,
}

impl MatchFact {
    fn state_key(&self) -> String {
        let deadline = match self.state {
            MatchState::Applied => self.respond_by,
            MatchState::Accepted => self.decide_by,
            _ => None,
        };
        match deadline {
            Some(d) => format!("{}@{d}", self.state),
            None => self.state.as_str().to_owned(),
        }
    }

    fn measures(&self) -> Measures {
        Measures {
            n: 1,
            amount_fen: if matches!(self.state, MatchState::Approved | MatchState::Disbursed) {
                self.approved_fen.unwrap_or(0)
            } else {
                0
            },
            ..Measures::default()
        }
    }

    fn add(&self, r: &mut Rollup, m: &Measures) {
        let key = self.state_key();
        let mut groups = vec![
            (dim::STATE, key.clone()),
            (dim::BANK_STATE, format!("{}:{key}", self.bank_id)),
            (dim::PRODUCT_TYPE, format!("{}:{key}", self.product_type)),
            (dim::SIZE_CLASS, format!("{}:{key}", self.size_class)),
        ];
        groups.extend(
            qualification_groups(&self.qualification_kinds)
                .map(|q| (dim::QUALIFICATION, format!("{q}:{key}"))),
        );
        for (d, k) in groups {
            r.add(Fact::Match, d, &k, self.created_on, &self.region_code, m);
        }
    }

    fn responded(&self, r: &mut Rollup) {
        let secs = self
            .response_secs
            .unwrap_or(0)
            .clamp(0, i64::from(u32::MAX)) as u32;
        let m = Measures {
            response_times: [(secs, 1)].into_iter().collect(),
            ..Measures::default()
        };
        r.add(
            Fact::Match,
            dim::BANK_RESPONSE,
            &self.bank_id.to_string(),
            self.created_on,
            &self.region_code,
            &m,
        );
    }
}

pub fn match_made(r: &mut Rollup, m: &MatchFact) {
    m.add(r, &m.measures());
    if m.response_secs.is_some() {
        m.responded(r);
    }
}

/// A match moved (state, deadline or approved amount changed; the bank may have answered).
pub fn match_moved(r: &mut Rollup, old: &MatchFact, new: &MatchFact) {
    if old.state_key() != new.state_key() || old.measures() != new.measures() {
        old.add(r, &old.measures().negated());
        new.add(r, &new.measures());
    }
    if old.response_secs.is_none() && new.response_secs.is_some() {
        new.responded(r);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::rollup::{match_counts, merged, Grain};

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn match_moves_keep_counts_and_overdue() {
        let mut r = Rollup::default();
        let applied = MatchFact {
            bank_id: 3,
            response_secs: None,
            region_code: "370202".into(),
            created_on: d("2026-03-02"),
            state: MatchState::Applied,
            respond_by: Some(d("2026-03-09")),
            decide_by: None,
            approved_fen: None,
            product_type: ProductType::Credit,
            size_class: SizeClass::Small,
            qualification_kinds: "high_tech,specialized_sme".into(),
        };
        match_made(&mut r, &applied);
        let cells: Vec<_> = r
            .into_cells()
            .filter(|(k, _)| k.grain == Grain::Month)
            .collect();
        assert_eq!(match_counts(&cells, d("2026-03-09")).overdue, 0);
        assert_eq!(match_counts(&cells, d("2026-03-10")).overdue, 1);

        let mut r = Rollup::default();
        match_made(&mut r, &applied);
        let approved = MatchFact {
            state: MatchState::Approved,
            decide_by: Some(d("2026-03-20")),
            approved_fen: Some(500_000),
            response_secs: Some(7_200),
            ..applied.clone()
        };
        match_moved(&mut r, &applied, &approved);
        let cells: Vec<_> = r
            .into_cells()
            .filter(|(k, _)| k.grain == Grain::Month)
            .collect();
        let f = match_counts(&cells, d("2026-04-01"));
        assert_eq!(
            f.by_state,
            [("approved".to_owned(), 1)].into_iter().collect()
        );
        assert_eq!((f.approved_amount.fen(), f.overdue), (500_000, 0));
    }

    #[test]
    fn demand_cells_follow_edits_matches_and_loans() {
        let c = DemandCell {
            region_code: "320505".into(),
            created_on: d("2026-01-05"),
        };
        let mut r = Rollup::default();
        c.posted(&mut r, 1_000);
        c.amount_changed(&mut r, 1_000, 1_500, false);
        c.first_matched(&mut r, 1_500);
        c.amount_changed(&mut r, 1_500, 2_000, true);
        c.loan(&mut r, 800, true);
        c.loan(&mut r, 200, false);
        let cells: Vec<_> = r
            .into_cells()
            .filter(|(k, _)| k.grain == Grain::Day)
            .collect();
        let m = merged(&cells);
        assert_eq!(
            (
                m.n,
                m.amount_fen,
                m.matched,
                m.matched_fen,
                m.with_loan,
                m.loan_fen
            ),
            (1, 2_000, 1, 2_000, 1, 1_000)
        );
    }
}
