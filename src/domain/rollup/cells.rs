//! The cells themselves: what a cell counts (`Fact`, `Grain`, `CellKey`), its figures
//! (`Measures`) and the per-transaction deltas (`Rollup`).

use std::collections::BTreeMap;

use chrono::{Datelike, NaiveDate};
use roaring::RoaringBitmap;

/// What a cell counts.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Fact {
    /// Financing demands, by the day they were posted.
    Demand,
    /// Loans, by disbursement date.
    Loan,
    /// Matches, by the day they were made.
    Match,
    /// Renewals (续贷), by the day they were requested.
    Renewal,
    /// Bridges of the 转贷 funds, by the day they were requested.
    Bridge,
}

impl Fact {
    pub fn as_str(self) -> &'static str {
        match self {
            Fact::Demand => "demand",
            Fact::Loan => "loan",
            Fact::Match => "match",
            Fact::Renewal => "renewal",
            Fact::Bridge => "bridge",
        }
    }

    pub fn parse(s: &str) -> Option<Fact> {
        match s {
            "demand" => Some(Fact::Demand),
            "loan" => Some(Fact::Loan),
            "match" => Some(Fact::Match),
            "renewal" => Some(Fact::Renewal),
            "bridge" => Some(Fact::Bridge),
            _ => None,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Grain {
    Day,
    Month,
}

impl Grain {
    pub fn as_str(self) -> &'static str {
        match self {
            Grain::Day => "day",
            Grain::Month => "month",
        }
    }

    pub fn parse(s: &str) -> Option<Grain> {
        match s {
            "day" => Some(Grain::Day),
            "month" => Some(Grain::Month),
            _ => None,
        }
    }
}

/// Field order is the lock order: cells are always written sorted, so two transactions
/// touching the same cells cannot deadlock.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct CellKey {
    pub fact: Fact,
    pub dim: String,
    pub grain: Grain,
    pub period: NaiveDate,
    pub region_code: String,
    pub group_key: String,
}

/// The figures of a cell. Loans use `n`, the amounts, `rate_amount` and both sets; demands use
/// `n`, `amount_fen` (demanded) and `matched*`, `with_loan`, `loan_fen`; matches use `n` and
/// `amount_fen` (approved amount of approved and disbursed matches); renewals `n` and
/// `amount_fen` (requested); bridges `n`, `amount_fen` (paid out) and `fee_fen`. Histograms
/// (`response_times`) hold a bank's seconds to answer a match, working days to decide a
/// renewal, days a bridge was out.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Measures {
    pub n: i64,
    pub amount_fen: i64,
    pub first_loan_fen: i64,
    pub credit_fen: i64,
    /// Σ amount_fen × rate_units, for the amount-weighted average rate.
    pub rate_amount: i128,
    /// Demands with at least one match, and their demanded amount.
    pub matched: i64,
    pub matched_fen: i64,
    /// Demands with at least one loan, and the amount disbursed on them.
    pub with_loan: i64,
    pub loan_fen: i64,
    pub enterprises: RoaringBitmap,
    pub first_loan_enterprises: RoaringBitmap,
    /// How many matches the bank first answered after how many seconds (a histogram: exact
    /// medians of any union, and small — answers cluster).
    pub response_times: BTreeMap<u32, u64>,
    /// Loans after 放款 (SPEC §3.12): principal outstanding, the outstanding of overdue and of
    /// NPL loans, loans repaid, principal written off.
    pub outstanding_fen: i64,
    pub overdue_fen: i64,
    pub npl_fen: i64,
    pub repaid: i64,
    pub written_off_fen: i64,
    /// Bridges: fees received.
    pub fee_fen: i64,
}

impl Measures {
    pub fn add(&mut self, o: &Measures) {
        self.n += o.n;
        self.amount_fen += o.amount_fen;
        self.first_loan_fen += o.first_loan_fen;
        self.credit_fen += o.credit_fen;
        self.rate_amount += o.rate_amount;
        self.matched += o.matched;
        self.matched_fen += o.matched_fen;
        self.with_loan += o.with_loan;
        self.loan_fen += o.loan_fen;
        self.outstanding_fen += o.outstanding_fen;
        self.overdue_fen += o.overdue_fen;
        self.npl_fen += o.npl_fen;
        self.repaid += o.repaid;
        self.written_off_fen += o.written_off_fen;
        self.fee_fen += o.fee_fen;
        self.enterprises |= &o.enterprises;
        self.first_loan_enterprises |= &o.first_loan_enterprises;
        for (secs, n) in &o.response_times {
            *self.response_times.entry(*secs).or_default() += n;
        }
    }

    pub fn is_zero(&self) -> bool {
        *self == Measures::default()
    }

    /// Takes out what `o` added to this cell, where `o` holds facts of one enterprise only and
    /// all of them leave (moving an enterprise to another region takes every fact along), so
    /// the enterprise leaves this cell's sets too.
    pub fn take_out(&mut self, o: &Measures, enterprise_id: u32) {
        self.n -= o.n;
        self.amount_fen -= o.amount_fen;
        self.first_loan_fen -= o.first_loan_fen;
        self.credit_fen -= o.credit_fen;
        self.rate_amount -= o.rate_amount;
        self.matched -= o.matched;
        self.matched_fen -= o.matched_fen;
        self.with_loan -= o.with_loan;
        self.loan_fen -= o.loan_fen;
        self.outstanding_fen -= o.outstanding_fen;
        self.overdue_fen -= o.overdue_fen;
        self.npl_fen -= o.npl_fen;
        self.repaid -= o.repaid;
        self.written_off_fen -= o.written_off_fen;
        self.fee_fen -= o.fee_fen;
        if o.enterprises.contains(enterprise_id) {
            self.enterprises.remove(enterprise_id);
        }
        if o.first_loan_enterprises.contains(enterprise_id) {
            self.first_loan_enterprises.remove(enterprise_id);
        }
        for (secs, n) in &o.response_times {
            if let Some(have) = self.response_times.get_mut(secs) {
                *have = have.saturating_sub(*n);
                if *have == 0 {
                    self.response_times.remove(secs);
                }
            }
        }
    }

    /// The additive figures with the opposite sign (sets cannot shrink: loans are never
    /// undone).
    pub(super) fn negated(&self) -> Measures {
        debug_assert!(
            self.enterprises.is_empty()
                && self.first_loan_enterprises.is_empty()
                && self.response_times.is_empty()
        );
        Measures {
            n: -self.n,
            amount_fen: -self.amount_fen,
            first_loan_fen: -self.first_loan_fen,
            credit_fen: -self.credit_fen,
            rate_amount: -self.rate_amount,
            matched: -self.matched,
            matched_fen: -self.matched_fen,
            with_loan: -self.with_loan,
            loan_fen: -self.loan_fen,
            outstanding_fen: -self.outstanding_fen,
            overdue_fen: -self.overdue_fen,
            npl_fen: -self.npl_fen,
            repaid: -self.repaid,
            written_off_fen: -self.written_off_fen,
            fee_fen: -self.fee_fen,
            ..Measures::default()
        }
    }
}

/// Ids are stored in 32 bits in the reporting sets.
#[derive(Debug, thiserror::Error)]
#[error("id {0} does not fit a reporting set")]
pub struct IdTooLarge(pub i64);

pub(super) fn set_of(id: i64) -> Result<RoaringBitmap, IdTooLarge> {
    let id = u32::try_from(id).map_err(|_| IdTooLarge(id))?;
    Ok(std::iter::once(id).collect())
}

pub fn month_start(d: NaiveDate) -> NaiveDate {
    d.with_day(1).unwrap_or(d)
}

/// The deltas of one transaction (or of a rebuild), merged per cell and kept sorted.
#[derive(Debug, Default)]
pub struct Rollup {
    cells: BTreeMap<CellKey, Measures>,
}

impl Rollup {
    /// Adds `m` to the day cell and the month cell of `on`.
    pub fn add(
        &mut self,
        fact: Fact,
        dim: &str,
        group_key: &str,
        on: NaiveDate,
        region_code: &str,
        m: &Measures,
    ) {
        for (grain, period) in [(Grain::Day, on), (Grain::Month, month_start(on))] {
            let key = CellKey {
                fact,
                dim: dim.to_owned(),
                grain,
                period,
                region_code: region_code.to_owned(),
                group_key: group_key.to_owned(),
            };
            self.cells.entry(key).or_default().add(m);
        }
    }

    /// Adds `m` to the cell `key` (a delta read back from storage).
    pub fn merge(&mut self, key: CellKey, m: &Measures) {
        self.cells.entry(key).or_default().add(m);
    }

    /// The cells that change, in lock order.
    pub fn into_cells(self) -> impl Iterator<Item = (CellKey, Measures)> {
        self.cells.into_iter().filter(|(_, m)| !m.is_zero())
    }
}
