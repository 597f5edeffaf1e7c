//! Reporting rollups (统计汇总): the finance-office figures kept current as the facts change,
//! so that a report reads a few hundred cells instead of a million loans.
//!
//! A cell is (fact, dimension, group key, grain, period, region). Each write adds its delta to
//! the day cell *and* the month cell of its date; a report over `[from, to]` reads whole months
//! plus the days at the ragged edges (`plan`). Distinct counts (enterprises served, 首贷户) are
//! kept as sets of enterprise ids (roaring bitmaps), so they stay exact over any range and any
//! grouping: a union, never a sum. Every record counts where and as what it was when it was
//! made (统计口径: region, size class and qualifications at disbursement).
//!
//! The writes that produce deltas are the event functions below; `db::rollups` stores them in
//! the same transaction as the write, and can rebuild every cell from the fact tables.

use std::collections::BTreeMap;

use chrono::{Datelike, Months, NaiveDate};
use roaring::RoaringBitmap;
use rust_decimal::Decimal;

use super::money::Money;
use super::stats::{ratio, weighted_rate, BankFigures, By, Group, LoanFigures, MatchFigures};

/// What a cell counts.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Fact {
    /// Financing demands, by the day they were posted.
    Demand,
    /// Loans, by disbursement date.
    Loan,
    /// Matches, by the day they were made.
    Match,
}

impl Fact {
    pub fn as_str(self) -> &'static str {
        match self {
            Fact::Demand => "demand",
            Fact::Loan => "loan",
            Fact::Match => "match",
        }
    }

    pub fn parse(s: &str) -> Option<Fact> {
        match s {
            "demand" => Some(Fact::Demand),
            "loan" => Some(Fact::Loan),
            "match" => Some(Fact::Match),
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

/// Dimensions. Loans: `ALL`, `BANK`, `PRODUCT_TYPE`, `SIZE_CLASS`, `QUALIFICATION`; demands:
/// `ALL`; matches: `STATE`, `BANK_STATE`, `BANK_RESPONSE`, and `PRODUCT_TYPE`, `SIZE_CLASS`,
/// `QUALIFICATION` with group key `group:state[@deadline]`.
pub mod dim {
    pub const ALL: &str = "";
    pub const BANK: &str = "bank";
    pub const PRODUCT_TYPE: &str = "product_type";
    pub const SIZE_CLASS: &str = "size_class";
    pub const QUALIFICATION: &str = "qualification";
    /// Group key `state`, or `state@deadline` for a match waiting on a deadline (overdue).
    pub const STATE: &str = "state";
    /// Matches per bank: group key `bank_id:state[@deadline]`.
    pub const BANK_STATE: &str = "bank_state";
    /// The banks' response times: group key `bank_id`, the times in `response_times`.
    pub const BANK_RESPONSE: &str = "bank_response";
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
/// `amount_fen` (approved amount of approved and disbursed matches).
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
    fn negated(&self) -> Measures {
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
            ..Measures::default()
        }
    }
}

/// Ids are stored in 32 bits in the reporting sets.
#[derive(Debug, thiserror::Error)]
#[error("id {0} does not fit a reporting set")]
pub struct IdTooLarge(pub i64);

fn set_of(id: i64) -> Result<RoaringBitmap, IdTooLarge> {
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

    /// The cells that change, in lock order.
    pub fn into_cells(self) -> impl Iterator<Item = (CellKey, Measures)> {
        self.cells.into_iter().filter(|(_, m)| !m.is_zero())
    }
}

// ------------------------------------------------------------------ events

/// A loan as reported: its snapshot at disbursement.
#[derive(Clone, Debug)]
pub struct LoanFact {
    pub enterprise_id: i64,
    pub bank_id: i64,
    pub region_code: String,
    pub size_class: String,
    /// Sorted, comma-separated kinds valid on the disbursement date ("" for none).
    pub qualification_kinds: String,
    pub product_type: String,
    pub credit: bool,
    pub amount_fen: i64,
    pub rate_units: i64,
    pub first_loan: bool,
    pub disbursed_on: NaiveDate,
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
        ..Measures::default()
    };
    let bank = l.bank_id.to_string();
    let mut groups = vec![
        (dim::ALL, ""),
        (dim::BANK, bank.as_str()),
        (dim::PRODUCT_TYPE, l.product_type.as_str()),
        (dim::SIZE_CLASS, l.size_class.as_str()),
    ];
    groups.extend(qualification_groups(&l.qualification_kinds).map(|k| (dim::QUALIFICATION, k)));
    for (d, k) in groups {
        r.add(Fact::Loan, d, k, l.disbursed_on, &l.region_code, &m);
    }
    Ok(())
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
    pub state: String,
    pub respond_by: Option<NaiveDate>,
    pub decide_by: Option<NaiveDate>,
    pub approved_fen: Option<i64>,
    /// Seconds from creation to the bank's first answer (accept, reject, or its own claim).
    pub response_secs: Option<i64>,
    /// Snapshot when the match was made: the product's type, the enterprise's size class and
    /// its valid qualification kinds (sorted, comma-separated, "" for none).
    pub product_type: String,
    pub size_class: String,
    pub qualification_kinds: String,
}

impl MatchFact {
    fn state_key(&self) -> String {
        let deadline = match self.state.as_str() {
            "applied" => self.respond_by,
            "accepted" => self.decide_by,
            _ => None,
        };
        match deadline {
            Some(d) => format!("{}@{d}", self.state),
            None => self.state.clone(),
        }
    }

    fn measures(&self) -> Measures {
        Measures {
            n: 1,
            amount_fen: if matches!(self.state.as_str(), "approved" | "disbursed") {
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

/// The `rank`-th smallest value (0-based) of a histogram.
fn nth(hist: &BTreeMap<u32, u64>, rank: u64) -> u32 {
    let mut seen = 0;
    for (v, n) in hist {
        seen += n;
        if rank < seen {
            return *v;
        }
    }
    0
}

// ------------------------------------------------------------------ reading

fn earliest() -> NaiveDate {
    NaiveDate::from_ymd_opt(1, 1, 1).unwrap_or(NaiveDate::MIN)
}

fn latest() -> NaiveDate {
    NaiveDate::from_ymd_opt(9999, 12, 31).unwrap_or(NaiveDate::MAX)
}

/// Which cells cover `[from, to]`: month cells for the whole months inside it and day cells
/// for the days outside them. Open ends cover everything.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Plan {
    /// Month cells with period in this inclusive range.
    pub months: Option<(NaiveDate, NaiveDate)>,
    /// Day cells with period in these inclusive ranges.
    pub days: Vec<(NaiveDate, NaiveDate)>,
}

pub fn plan(from: Option<NaiveDate>, to: Option<NaiveDate>) -> Plan {
    // Both databases order and store four-digit years; nothing is reported outside them.
    let (low, high) = (earliest(), latest());
    let from = from.map(|d| d.clamp(low, high));
    let to = to.map(|d| d.clamp(low, high));
    let lo = from.unwrap_or(low);
    let hi = to.unwrap_or(high);
    // First whole month starting on or after `lo`; last whole month ending on or before `hi`.
    let first = if lo.day() == 1 || from.is_none() {
        month_start(lo)
    } else {
        month_start(lo)
            .checked_add_months(Months::new(1))
            .unwrap_or(high)
    };
    let last = match to {
        None => month_start(hi),
        Some(t) if t.succ_opt().is_none_or(|n| n.day() == 1) => month_start(t),
        Some(t) => month_start(t)
            .checked_sub_months(Months::new(1))
            .unwrap_or(low),
    };
    if first > last {
        return Plan {
            months: None,
            days: vec![(lo, hi)],
        };
    }
    let mut days = Vec::new();
    if lo < first {
        days.push((lo, first.pred_opt().unwrap_or(first)));
    }
    let after_last = last.checked_add_months(Months::new(1)).unwrap_or(high);
    if to.is_some() && after_last <= hi {
        days.push((after_last, hi));
    }
    Plan {
        months: Some((first, last)),
        days,
    }
}

/// Sums cells (already restricted to a range and region) into one.
pub fn merged<'a>(cells: impl IntoIterator<Item = &'a (CellKey, Measures)>) -> Measures {
    let mut m = Measures::default();
    for (_, c) in cells {
        m.add(c);
    }
    m
}

pub fn loan_figures(m: &Measures) -> LoanFigures {
    LoanFigures {
        count: m.n.max(0) as u64,
        amount: Money::from_fen(m.amount_fen),
        enterprises_served: m.enterprises.len(),
        first_loan_enterprises: m.first_loan_enterprises.len(),
        first_loan_amount: Money::from_fen(m.first_loan_fen),
        credit_loan_share: ratio(m.credit_fen.into(), m.amount_fen.into()),
        weighted_average_rate: weighted_rate(m.rate_amount, m.amount_fen),
    }
}

/// The group a cell belongs to under `by`; `group` is the cell's own group (bank id, product
/// type, size class or qualification kind). Bank groups are labelled "12 青岛银行".
fn group_label(by: By, k: &CellKey, group: &str, bank_name: &impl Fn(i64) -> String) -> String {
    match by {
        By::Bank => {
            let id: i64 = group.parse().unwrap_or_default();
            format!("{id} {}", bank_name(id))
        }
        By::ProductType | By::SizeClass | By::Qualification => group.to_owned(),
        By::Region => k.region_code.chars().take(4).collect(),
        By::Month => format!("{}-{:02}", k.period.year(), k.period.month()),
        By::Quarter => format!("{}-Q{}", k.period.year(), (k.period.month() - 1) / 3 + 1),
    }
}

/// Groups as `by` asks, from loan cells (of `ALL` and `by.dim()`) and match cells (of
/// `by.match_dim()`): a group appears when it has a loan or a match. Loans group by
/// disbursement date, matches by the day they were made.
pub fn breakdown(
    loan_cells: &[(CellKey, Measures)],
    match_cells: &[(CellKey, Measures)],
    by: By,
    bank_name: impl Fn(i64) -> String,
    today: NaiveDate,
) -> Vec<Group> {
    let mut loans: BTreeMap<String, Measures> = BTreeMap::new();
    for (k, m) in loan_cells.iter().filter(|(k, _)| k.dim == by.dim()) {
        loans
            .entry(group_label(by, k, &k.group_key, &bank_name))
            .or_default()
            .add(m);
    }
    let mut matches: BTreeMap<String, Vec<(&str, &Measures)>> = BTreeMap::new();
    for (k, m) in match_cells.iter().filter(|(k, _)| k.dim == by.match_dim()) {
        let (group, state) = if k.dim == dim::STATE {
            ("", k.group_key.as_str())
        } else {
            match k.group_key.split_once(':') {
                Some(split) => split,
                None => continue,
            }
        };
        matches
            .entry(group_label(by, k, group, &bank_name))
            .or_default()
            .push((state, m));
    }
    let keys: std::collections::BTreeSet<String> =
        loans.keys().chain(matches.keys()).cloned().collect();
    keys.into_iter()
        .filter_map(|key| {
            let l = loans.remove(&key).unwrap_or_default();
            let m = match_figures(matches.remove(&key).unwrap_or_default(), today);
            (l.n != 0 || m.total != 0).then(|| Group {
                key,
                loans: loan_figures(&l),
                matches: m,
            })
        })
        .collect()
}

fn state_and_deadline(key: &str) -> (&str, Option<NaiveDate>) {
    match key.split_once('@') {
        Some((s, d)) => (s, d.parse::<NaiveDate>().ok()),
        None => (key, None),
    }
}

/// Per bank (督导), from match cells of `BANK_STATE` and `BANK_RESPONSE` and loan cells of
/// `BANK`: the same figures as `stats::banks` computes from records.
pub fn bank_figures(
    match_cells: &[(CellKey, Measures)],
    loan_cells: &[(CellKey, Measures)],
    bank_name: impl Fn(i64) -> String,
    today: NaiveDate,
) -> Vec<BankFigures> {
    let mut out: BTreeMap<i64, BankFigures> = BTreeMap::new();
    let mut times: BTreeMap<i64, Measures> = BTreeMap::new();
    let mut approved: BTreeMap<i64, i64> = BTreeMap::new();
    let mut disbursed: BTreeMap<i64, i64> = BTreeMap::new();
    fn entry<'a>(
        out: &'a mut BTreeMap<i64, BankFigures>,
        id: i64,
        bank_name: &impl Fn(i64) -> String,
    ) -> &'a mut BankFigures {
        out.entry(id).or_insert_with(|| BankFigures {
            bank_id: id,
            bank_name: bank_name(id),
            matches_received: 0,
            accepted: 0,
            rejected: 0,
            median_hours_to_respond: None,
            overdue: 0,
            approved_amount: Money::ZERO,
            disbursed_amount: Money::ZERO,
        })
    }
    for (k, m) in match_cells {
        match k.dim.as_str() {
            dim::BANK_STATE => {
                let Some((bank, key)) = k.group_key.split_once(':') else {
                    continue;
                };
                let bank: i64 = bank.parse().unwrap_or_default();
                let (state, deadline) = state_and_deadline(key);
                let n = m.n.max(0) as u64;
                let b = entry(&mut out, bank, &bank_name);
                b.matches_received += n;
                if matches!(state, "accepted" | "approved" | "disbursed") {
                    b.accepted += n;
                }
                if state == "rejected" {
                    b.rejected += n;
                }
                if deadline.is_some_and(|d| d < today) {
                    b.overdue += n;
                }
                *approved.entry(bank).or_default() += m.amount_fen;
            }
            dim::BANK_RESPONSE => {
                let bank: i64 = k.group_key.parse().unwrap_or_default();
                times.entry(bank).or_default().add(m);
            }
            _ => {}
        }
    }
    for (k, m) in loan_cells.iter().filter(|(k, _)| k.dim == dim::BANK) {
        let bank: i64 = k.group_key.parse().unwrap_or_default();
        entry(&mut out, bank, &bank_name);
        *disbursed.entry(bank).or_default() += m.amount_fen;
    }
    for (bank, b) in out.iter_mut() {
        b.approved_amount = Money::from_fen(approved.get(bank).copied().unwrap_or(0));
        b.disbursed_amount = Money::from_fen(disbursed.get(bank).copied().unwrap_or(0));
        let Some(t) = times.get(bank).map(|m| &m.response_times) else {
            continue;
        };
        let n: u64 = t.values().sum();
        if n == 0 {
            continue;
        }
        let secs = |rank: u64| Decimal::from(nth(t, rank));
        let median = if n % 2 == 1 {
            secs(n / 2)
        } else {
            (secs(n / 2 - 1) + secs(n / 2)) / Decimal::TWO
        };
        b.median_hours_to_respond = Some(super::stats::hours_of(median));
    }
    out.into_values()
        .filter(|b| b.matches_received > 0 || !b.disbursed_amount.is_zero())
        .collect()
}

/// Match figures from (state key, measures) pairs: count per state, approved amount of the
/// approved and disbursed, and how many wait past their deadline on `today`.
pub fn match_figures<'a>(
    cells: impl IntoIterator<Item = (&'a str, &'a Measures)>,
    today: NaiveDate,
) -> MatchFigures {
    let (mut by_state, mut approved, mut overdue) = (BTreeMap::new(), 0, 0);
    for (key, m) in cells {
        let (state, deadline) = state_and_deadline(key);
        *by_state.entry(state.to_owned()).or_insert(0i64) += m.n;
        approved += m.amount_fen;
        if deadline.is_some_and(|d| d < today) {
            overdue += m.n;
        }
    }
    let by_state: BTreeMap<String, u64> = by_state
        .into_iter()
        .filter(|(_, n)| *n > 0)
        .map(|(s, n)| (s, n as u64))
        .collect();
    MatchFigures {
        total: by_state.values().sum(),
        by_state,
        approved_amount: Money::from_fen(approved),
        overdue: overdue.max(0) as u64,
    }
}

/// Match figures of the `STATE` cells (the overview).
pub fn match_counts(cells: &[(CellKey, Measures)], today: NaiveDate) -> MatchFigures {
    match_figures(
        cells
            .iter()
            .filter(|(k, _)| k.dim == dim::STATE)
            .map(|(k, m)| (k.group_key.as_str(), m)),
        today,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::stats::scan::{self as stats, MatchRec};
    use crate::domain::stats::LoanRec;
    use proptest::prelude::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn plans_split_ranges_into_months_and_edge_days() {
        assert_eq!(
            plan(None, None),
            Plan {
                months: Some((earliest(), d("9999-12-01"))),
                days: vec![]
            }
        );
        assert_eq!(
            plan(Some(d("2026-01-01")), Some(d("2026-03-31"))),
            Plan {
                months: Some((d("2026-01-01"), d("2026-03-01"))),
                days: vec![]
            }
        );
        assert_eq!(
            plan(Some(d("2026-01-15")), Some(d("2026-04-10"))),
            Plan {
                months: Some((d("2026-02-01"), d("2026-03-01"))),
                days: vec![
                    (d("2026-01-15"), d("2026-01-31")),
                    (d("2026-04-01"), d("2026-04-10"))
                ]
            }
        );
        // Inside one month: days only.
        assert_eq!(
            plan(Some(d("2026-02-03")), Some(d("2026-02-27"))),
            Plan {
                months: None,
                days: vec![(d("2026-02-03"), d("2026-02-27"))]
            }
        );
        assert_eq!(
            plan(None, Some(d("2026-02-10"))).days,
            vec![(d("2026-02-01"), d("2026-02-10"))]
        );
    }

    fn loan_fact(l: &LoanRec) -> LoanFact {
        LoanFact {
            enterprise_id: l.enterprise_id,
            bank_id: l.bank_id,
            region_code: l.region_code.clone(),
            size_class: l.size_class.clone(),
            qualification_kinds: l.qualifications.join(","),
            product_type: l.product_type.clone(),
            credit: l.credit,
            amount_fen: l.amount_fen,
            rate_units: l.rate_units,
            first_loan: l.first_loan,
            disbursed_on: l.disbursed_on,
        }
    }

    /// What a store would answer: the planned cells of a region prefix.
    fn select(r: &BTreeMap<CellKey, Measures>, p: &Plan, prefix: &str) -> Vec<(CellKey, Measures)> {
        r.iter()
            .filter(|(k, _)| k.region_code.starts_with(prefix))
            .filter(|(k, _)| match k.grain {
                Grain::Month => p
                    .months
                    .is_some_and(|(a, b)| a <= k.period && k.period <= b),
                Grain::Day => p.days.iter().any(|(a, b)| *a <= k.period && k.period <= *b),
            })
            .map(|(k, m)| (k.clone(), m.clone()))
            .collect()
    }

    fn arb_loan() -> impl Strategy<Value = LoanRec> {
        (
            1i64..40,
            1i64..4,
            0usize..3,
            1i64..1_000_000_000,
            20_000i64..60_000,
            any::<bool>(),
            0u64..500,
            0usize..4,
        )
            .prop_map(|(ent, bank, region, fen, rate, first, day, quals)| {
                let regions = ["370202", "370203", "320505"];
                let qs: &[&[&str]] = &[
                    &[],
                    &["specialized_sme"],
                    &["high_tech", "specialized_sme"],
                    &["high_tech"],
                ];
                LoanRec {
                    id: 0,
                    demand_id: 0,
                    bank_id: bank,
                    bank_name: format!("bank {bank}"),
                    enterprise_id: ent,
                    region_code: regions[region].into(),
                    size_class: ["small", "micro"][(ent % 2) as usize].into(),
                    qualifications: qs[quals].iter().map(|s| s.to_string()).collect(),
                    product_type: ["credit", "green"][(bank % 2) as usize].into(),
                    credit: bank % 2 == 0,
                    amount_fen: fen,
                    rate_units: rate,
                    first_loan: first,
                    disbursed_on: d("2025-06-01") + chrono::Days::new(day),
                }
            })
    }

    proptest! {
        /// Rollup figures equal the figures computed from the loans themselves, for any range,
        /// region and grouping.
        #[test]
        fn rollups_equal_a_scan(
            loans in proptest::collection::vec(arb_loan(), 0..60),
            ms in proptest::collection::vec(arb_match(), 0..40),
            today_offset in 0u64..430,
            a in 0u64..520,
            len in 0u64..400,
            open_from in any::<bool>(),
            prefix in prop::sample::select(vec!["", "37", "3702", "370203", "32"]),
        ) {
            let mut r = Rollup::default();
            for l in &loans {
                loan_disbursed(&mut r, &loan_fact(l)).unwrap();
            }
            for (_, m) in &ms {
                match_made(&mut r, &match_fact(m));
            }
            let cells: BTreeMap<CellKey, Measures> = r.into_cells().collect();
            let today = d("2025-06-01") + chrono::Days::new(today_offset);
            let from = (!open_from).then(|| d("2025-05-20") + chrono::Days::new(a));
            let to = Some(d("2025-05-20") + chrono::Days::new(a + len));
            let chosen = select(&cells, &plan(from, to), prefix);
            let scanned: Vec<LoanRec> = loans
                .iter()
                .filter(|l| l.region_code.starts_with(prefix))
                .filter(|l| from.is_none_or(|f| l.disbursed_on >= f))
                .filter(|l| to.is_none_or(|t| l.disbursed_on <= t))
                .cloned()
                .collect();
            let scanned_m: Vec<MatchRec> = ms
                .iter()
                .map(|(_, m)| m)
                .filter(|m| m.region_code.starts_with(prefix))
                .filter(|m| from.is_none_or(|f| m.created_at.date() >= f))
                .filter(|m| to.is_none_or(|t| m.created_at.date() <= t))
                .cloned()
                .collect();
            let (mc, lc): (Vec<_>, Vec<_>) =
                chosen.into_iter().partition(|(k, _)| k.fact == Fact::Match);
            let all: Vec<_> = lc.iter().filter(|(k, _)| k.dim == dim::ALL).cloned().collect();
            prop_assert_eq!(loan_figures(&merged(&all)), stats::loan_figures(&scanned));
            prop_assert_eq!(match_counts(&mc, today), stats::match_figures(&scanned_m, today));
            for by in [By::Bank, By::ProductType, By::Region, By::Qualification,
                       By::SizeClass, By::Month, By::Quarter] {
                let got = breakdown(&lc, &mc, by, |id| format!("bank {id}"), today);
                let want = stats::breakdown(&scanned, &scanned_m, by, today);
                prop_assert_eq!(got.len(), want.len(), "{:?}", by);
                for (g, w) in got.iter().zip(&want) {
                    prop_assert_eq!(&g.key, &w.key);
                    prop_assert_eq!(&g.loans, &w.loans);
                    prop_assert_eq!(&g.matches, &w.matches, "{:?} {}", by, g.key);
                }
            }
        }
    }

    fn match_fact(m: &MatchRec) -> MatchFact {
        MatchFact {
            bank_id: m.bank_id,
            region_code: m.region_code.clone(),
            created_on: m.created_at.date(),
            state: m.state.clone(),
            respond_by: m.respond_by,
            decide_by: m.decide_by,
            approved_fen: m.approved_fen,
            response_secs: m.responded_at.map(|t| (t - m.created_at).num_seconds()),
            product_type: m.product_type.clone(),
            size_class: m.size_class.clone(),
            qualification_kinds: m.qualifications.join(","),
        }
    }

    fn arb_match() -> impl Strategy<Value = (String, MatchRec)> {
        (
            (1i64..4, 0usize..3, 0usize..4, 0usize..2),
            0usize..6,
            0u64..400,
            proptest::option::of(0i64..400_000),
            0i64..30,
            1i64..1_000_000,
        )
            .prop_map(
                |((bank, region, quals, size), state, day, secs, deadline, fen)| {
                    let qs: &[&[&str]] = &[
                        &[],
                        &["specialized_sme"],
                        &["high_tech", "specialized_sme"],
                        &["high_tech"],
                    ];
                    let region_code = ["370202", "370203", "320505"][region].to_owned();
                    let states = [
                        "applied",
                        "accepted",
                        "approved",
                        "disbursed",
                        "rejected",
                        "withdrawn",
                    ];
                    let state = states[state];
                    let created_at = (d("2025-06-01") + chrono::Days::new(day))
                        .and_hms_opt(9, 0, 0)
                        .unwrap();
                    let due = created_at.date() + chrono::Days::new(deadline as u64);
                    let rec = MatchRec {
                        bank_id: bank,
                        bank_name: format!("bank {bank}"),
                        region_code: region_code.clone(),
                        product_type: ["credit", "green"][(bank % 2) as usize].into(),
                        size_class: ["small", "micro"][size].into(),
                        qualifications: qs[quals].iter().map(|s| s.to_string()).collect(),
                        state: state.into(),
                        created_at,
                        responded_at: if state == "applied" {
                            None
                        } else {
                            secs.map(|s| created_at + chrono::TimeDelta::seconds(s))
                        },
                        respond_by: Some(due),
                        decide_by: (state != "applied").then_some(due),
                        approved_fen: matches!(state, "approved" | "disbursed").then_some(fen),
                    };
                    (region_code, rec)
                },
            )
    }

    proptest! {
        /// Bank supervision from cells equals the same figures from the records.
        #[test]
        fn bank_figures_equal_a_scan(
            ms in proptest::collection::vec(arb_match(), 0..50),
            loans in proptest::collection::vec(arb_loan(), 0..30),
            a in 0u64..420,
            len in 0u64..400,
            prefix in prop::sample::select(vec!["", "37", "370203", "32"]),
            today_offset in 0u64..430,
        ) {
            let mut r = Rollup::default();
            for (_, m) in &ms {
                match_made(&mut r, &match_fact(m));
            }
            for l in &loans {
                loan_disbursed(&mut r, &loan_fact(l)).unwrap();
            }
            let cells: BTreeMap<CellKey, Measures> = r.into_cells().collect();
            let from = Some(d("2025-05-20") + chrono::Days::new(a));
            let to = Some(d("2025-05-20") + chrono::Days::new(a + len));
            let chosen = select(&cells, &plan(from, to), prefix);
            let (mc, lc): (Vec<_>, Vec<_>) =
                chosen.into_iter().partition(|(k, _)| k.fact == Fact::Match);
            let today = d("2025-06-01") + chrono::Days::new(today_offset);
            let got = bank_figures(&mc, &lc, |id| format!("bank {id}"), today);
            let in_range = |on: NaiveDate| from.is_none_or(|f| on >= f) && to.is_none_or(|t| on <= t);
            let scanned_m: Vec<MatchRec> = ms
                .iter()
                .filter(|(region, m)| region.starts_with(prefix) && in_range(m.created_at.date()))
                .map(|(_, m)| m.clone())
                .collect();
            let scanned_l: Vec<LoanRec> = loans
                .iter()
                .filter(|l| l.region_code.starts_with(prefix) && in_range(l.disbursed_on))
                .cloned()
                .collect();
            let want = stats::banks(&scanned_m, &scanned_l, today);
            prop_assert_eq!(format!("{got:?}"), format!("{want:?}"));
        }
    }

    #[test]
    fn match_moves_keep_counts_and_overdue() {
        let mut r = Rollup::default();
        let applied = MatchFact {
            bank_id: 3,
            response_secs: None,
            region_code: "370202".into(),
            created_on: d("2026-03-02"),
            state: "applied".into(),
            respond_by: Some(d("2026-03-09")),
            decide_by: None,
            approved_fen: None,
            product_type: "credit".into(),
            size_class: "small".into(),
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
            state: "approved".into(),
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
