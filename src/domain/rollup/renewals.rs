//! Renewal (续贷, SPEC §3.13) and bridge-fund (应急转贷, §3.14) cells: what each write adds
//! and how the reports read them back. Both count by the day the request was made, in the
//! region of the loan it concerns.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::Serialize;
use utoipa::ToSchema;

use super::cells::{CellKey, Fact, Measures, Rollup};
use super::dim;
use super::read::median;
use crate::domain::bridge::BridgeState;
use crate::domain::money::Money;
use crate::domain::renewal::RenewalState;
use crate::domain::stats::{fixed, ratio};

/// The bank's decision on a renewal and how many working days after the request it came.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RenewalDecision {
    pub approved: bool,
    pub working_days: u32,
}

/// A renewal as reported.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RenewalFact {
    pub bank_id: i64,
    /// The renewed loan's region.
    pub region_code: String,
    pub requested_on: NaiveDate,
    pub state: RenewalState,
    pub respond_by: NaiveDate,
    pub amount_fen: i64,
    /// Once the bank approved (续贷承诺) or rejected it; an approval stays counted when the
    /// enterprise later withdraws.
    pub decision: Option<RenewalDecision>,
}

impl RenewalFact {
    /// `state`, or `requested@respond_by` while the bank has still to decide.
    fn state_key(&self) -> String {
        match self.state {
            RenewalState::Requested => format!("{}@{}", self.state, self.respond_by),
            s => s.as_str().to_owned(),
        }
    }

    fn add(&self, r: &mut Rollup, m: &Measures) {
        let key = self.state_key();
        for (d, k) in [
            (dim::STATE, key.clone()),
            (dim::BANK_STATE, format!("{}:{key}", self.bank_id)),
        ] {
            r.add(
                Fact::Renewal,
                d,
                &k,
                self.requested_on,
                &self.region_code,
                m,
            );
        }
    }

    fn measures(&self) -> Measures {
        Measures {
            n: 1,
            amount_fen: self.amount_fen,
            ..Measures::default()
        }
    }

    fn decided(&self, r: &mut Rollup, d: RenewalDecision) {
        let outcome = if d.approved { "approved" } else { "rejected" };
        let m = Measures {
            n: 1,
            response_times: [(d.working_days, 1)].into_iter().collect(),
            ..Measures::default()
        };
        r.add(
            Fact::Renewal,
            dim::DECISION,
            &format!("{}:{outcome}", self.bank_id),
            self.requested_on,
            &self.region_code,
            &m,
        );
    }
}

pub fn renewal_made(r: &mut Rollup, f: &RenewalFact) {
    f.add(r, &f.measures());
    if let Some(d) = f.decision {
        f.decided(r, d);
    }
}

pub fn renewal_moved(r: &mut Rollup, old: &RenewalFact, new: &RenewalFact) {
    if old.state_key() != new.state_key() {
        old.add(r, &old.measures().negated());
        new.add(r, &new.measures());
    }
    if let (None, Some(d)) = (old.decision, new.decision) {
        new.decided(r, d);
    }
}

/// 续贷 figures of a report.
#[derive(Debug, Default, Serialize, ToSchema, PartialEq, Eq, Clone)]
pub struct RenewalFigures {
    /// Renewals asked for (by request date).
    pub requested: u64,
    #[schema(value_type = Money)]
    pub requested_amount: Money,
    /// Renewals the bank committed to (续贷承诺), including those later withdrawn or disbursed.
    pub approved: u64,
    pub rejected: u64,
    pub withdrawn: u64,
    /// Renewal loans disbursed.
    pub disbursed: u64,
    /// Waiting for the bank's decision.
    pub pending: u64,
    /// Waiting past `respond_by`.
    pub overdue: u64,
    /// 续贷成功率: disbursed / decided (approved + rejected), 4 places.
    pub success_rate: Option<String>,
    /// Median working days from request to the bank's decision, 1 place ("2.5").
    pub median_working_days_to_decision: Option<String>,
}

fn state_and_deadline(key: &str) -> (&str, Option<NaiveDate>) {
    match key.split_once('@') {
        Some((s, d)) => (s, d.parse::<NaiveDate>().ok()),
        None => (key, None),
    }
}

/// Renewal figures from `STATE` and `DECISION` cells (any bank, any region).
pub fn renewal_figures(cells: &[(CellKey, Measures)], today: NaiveDate) -> RenewalFigures {
    let mut f = RenewalFigures::default();
    let mut by_state: BTreeMap<&str, i64> = BTreeMap::new();
    let (mut amount, mut overdue) = (0i64, 0i64);
    let mut decided = (0i64, 0i64);
    let mut days = Measures::default();
    for (k, m) in cells {
        match k.dim.as_str() {
            dim::STATE => {
                let (state, deadline) = state_and_deadline(&k.group_key);
                *by_state.entry(state).or_default() += m.n;
                amount += m.amount_fen;
                if deadline.is_some_and(|d| d < today) {
                    overdue += m.n;
                }
            }
            dim::DECISION => {
                if k.group_key.ends_with(":approved") {
                    decided.0 += m.n;
                } else {
                    decided.1 += m.n;
                }
                days.add(m);
            }
            _ => {}
        }
    }
    let count = |n: i64| n.max(0) as u64;
    let state = |s: &str| count(by_state.get(s).copied().unwrap_or(0));
    f.requested = count(by_state.values().sum());
    f.requested_amount = Money::from_fen(amount);
    f.approved = count(decided.0);
    f.rejected = count(decided.1);
    f.withdrawn = state("withdrawn");
    f.disbursed = state("disbursed");
    f.pending = state("requested");
    f.overdue = count(overdue);
    f.success_rate = ratio(
        Decimal::from(f.disbursed),
        Decimal::from(f.approved + f.rejected),
    );
    f.median_working_days_to_decision = median(&days.response_times).map(|d| fixed(d, 1));
    f
}

/// Per bank from `BANK_STATE` renewal cells: renewals received and those waiting past
/// `respond_by` (督导).
pub fn renewals_per_bank(
    cells: &[(CellKey, Measures)],
    today: NaiveDate,
) -> BTreeMap<i64, (u64, u64)> {
    let mut out: BTreeMap<i64, (i64, i64)> = BTreeMap::new();
    for (k, m) in cells.iter().filter(|(k, _)| k.dim == dim::BANK_STATE) {
        let Some((bank, key)) = k.group_key.split_once(':') else {
            continue;
        };
        let e = out.entry(bank.parse().unwrap_or_default()).or_default();
        e.0 += m.n;
        if state_and_deadline(key).1.is_some_and(|d| d < today) {
            e.1 += m.n;
        }
    }
    out.into_iter()
        .map(|(b, (n, o))| (b, (n.max(0) as u64, o.max(0) as u64)))
        .collect()
}

/// A bridge (过桥) as reported.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BridgeFact {
    pub fund_id: i64,
    /// The region of the loan it repays.
    pub region_code: String,
    pub requested_on: NaiveDate,
    pub state: BridgeState,
    pub amount_fen: i64,
    /// Paid out (disbursed, overdue or repaid).
    pub disbursed: bool,
    /// Once repaid: the fee and the days used (算头不算尾).
    pub repaid: Option<(i64, u32)>,
}

impl BridgeFact {
    fn measures(&self) -> Measures {
        Measures {
            n: 1,
            amount_fen: if self.disbursed { self.amount_fen } else { 0 },
            fee_fen: self.repaid.map_or(0, |(fee, _)| fee),
            ..Measures::default()
        }
    }

    fn add(&self, r: &mut Rollup, m: &Measures) {
        r.add(
            Fact::Bridge,
            dim::FUND,
            &format!("{}:{}", self.fund_id, self.state),
            self.requested_on,
            &self.region_code,
            m,
        );
    }

    fn returned(&self, r: &mut Rollup, days: u32) {
        let m = Measures {
            response_times: [(days, 1)].into_iter().collect(),
            ..Measures::default()
        };
        r.add(
            Fact::Bridge,
            dim::FUND_DAYS,
            &self.fund_id.to_string(),
            self.requested_on,
            &self.region_code,
            &m,
        );
    }
}

pub fn bridge_made(r: &mut Rollup, b: &BridgeFact) {
    b.add(r, &b.measures());
    if let Some((_, days)) = b.repaid {
        b.returned(r, days);
    }
}

pub fn bridge_moved(r: &mut Rollup, old: &BridgeFact, new: &BridgeFact) {
    if old.state != new.state || old.measures() != new.measures() {
        old.add(r, &old.measures().negated());
        new.add(r, &new.measures());
    }
    if let (None, Some((_, days))) = (old.repaid, new.repaid) {
        new.returned(r, days);
    }
}

/// A fund as stored: its capital and what is reserved now.
pub struct FundBalance {
    pub fund_id: i64,
    pub name: String,
    pub capital_fen: i64,
    pub reserved_fen: i64,
}

/// One fund's report line (SPEC §3.14).
#[derive(Debug, Serialize, ToSchema, PartialEq, Eq, Clone)]
pub struct FundFigures {
    pub fund_id: i64,
    pub name: String,
    #[schema(value_type = Money)]
    pub capital: Money,
    /// Capital not reserved by an approved or outstanding bridge, now.
    #[schema(value_type = Money)]
    pub available: Money,
    /// Reserved / capital now, 4 places.
    pub utilisation: Option<String>,
    /// Bridges asked for, and how many are in each state now.
    pub bridges: u64,
    pub by_state: BTreeMap<String, u64>,
    /// 累计转贷金额: principal paid out.
    #[schema(value_type = Money)]
    pub turnover: Money,
    /// 周转次数: turnover / capital, 4 places.
    pub turnover_times: Option<String>,
    /// Fees received on repaid bridges.
    #[schema(value_type = Money)]
    pub fees: Money,
    /// Median days a repaid bridge was out, 1 place.
    pub median_days: Option<String>,
}

/// Per fund from `FUND` and `FUND_DAYS` cells: every fund of `funds`, in their order.
pub fn fund_figures(cells: &[(CellKey, Measures)], funds: &[FundBalance]) -> Vec<FundFigures> {
    let mut states: BTreeMap<i64, BTreeMap<String, i64>> = BTreeMap::new();
    let mut sums: BTreeMap<i64, Measures> = BTreeMap::new();
    for (k, m) in cells {
        let (fund, state) = match k.group_key.split_once(':') {
            Some((f, s)) => (f, Some(s)),
            None => (k.group_key.as_str(), None),
        };
        let fund: i64 = fund.parse().unwrap_or_default();
        if let (dim::FUND, Some(state)) = (k.dim.as_str(), state) {
            *states
                .entry(fund)
                .or_default()
                .entry(state.to_owned())
                .or_default() += m.n;
        }
        sums.entry(fund).or_default().add(m);
    }
    funds
        .iter()
        .map(|f| {
            let s = sums.remove(&f.fund_id).unwrap_or_default();
            let by_state: BTreeMap<String, u64> = states
                .remove(&f.fund_id)
                .unwrap_or_default()
                .into_iter()
                .filter(|(_, n)| *n > 0)
                .map(|(k, n)| (k, n as u64))
                .collect();
            FundFigures {
                fund_id: f.fund_id,
                name: f.name.clone(),
                capital: Money::from_fen(f.capital_fen),
                available: Money::from_fen(f.capital_fen - f.reserved_fen),
                utilisation: ratio(f.reserved_fen.into(), f.capital_fen.into()),
                bridges: by_state.values().sum(),
                by_state,
                turnover: Money::from_fen(s.amount_fen),
                turnover_times: ratio(s.amount_fen.into(), f.capital_fen.into()),
                fees: Money::from_fen(s.fee_fen),
                median_days: median(&s.response_times).map(|d| fixed(d, 1)),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::rollup::Grain;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn months(r: Rollup) -> Vec<(CellKey, Measures)> {
        r.into_cells()
            .filter(|(k, _)| k.grain == Grain::Month)
            .collect()
    }

    fn requested(bank_id: i64, on: &str, respond_by: &str) -> RenewalFact {
        RenewalFact {
            bank_id,
            region_code: "370202".into(),
            requested_on: d(on),
            state: RenewalState::Requested,
            respond_by: d(respond_by),
            amount_fen: 100_000,
            decision: None,
        }
    }

    #[test]
    fn renewals_count_decisions_success_and_overdue() {
        let mut r = Rollup::default();
        // 1: approved after 2 working days, then disbursed.
        let a = requested(1, "2026-03-02", "2026-03-09");
        let a2 = RenewalFact {
            state: RenewalState::Approved,
            decision: Some(RenewalDecision {
                approved: true,
                working_days: 2,
            }),
            ..a.clone()
        };
        renewal_made(&mut r, &a);
        renewal_moved(&mut r, &a, &a2);
        let a3 = RenewalFact {
            state: RenewalState::Disbursed,
            ..a2.clone()
        };
        renewal_moved(&mut r, &a2, &a3);
        // 2: rejected after 5 working days.
        let b = requested(1, "2026-03-03", "2026-03-10");
        renewal_moved(
            &mut r,
            &b,
            &RenewalFact {
                state: RenewalState::Rejected,
                decision: Some(RenewalDecision {
                    approved: false,
                    working_days: 5,
                }),
                ..b.clone()
            },
        );
        renewal_made(&mut r, &b);
        // 3: approved after 3, then withdrawn: still an approval, not a success.
        let c = RenewalFact {
            state: RenewalState::Withdrawn,
            decision: Some(RenewalDecision {
                approved: true,
                working_days: 3,
            }),
            ..requested(2, "2026-03-04", "2026-03-11")
        };
        renewal_made(&mut r, &c);
        // 4: still waiting, due 2026-03-12.
        renewal_made(&mut r, &requested(2, "2026-03-05", "2026-03-12"));
        let cells = months(r);
        let f = renewal_figures(&cells, d("2026-03-13"));
        assert_eq!(
            (
                f.requested,
                f.approved,
                f.rejected,
                f.withdrawn,
                f.disbursed
            ),
            (4, 2, 1, 1, 1)
        );
        assert_eq!((f.pending, f.overdue), (1, 1));
        assert_eq!(f.requested_amount.fen(), 400_000);
        // 1 disbursed of 3 decided; median of {2, 3, 5}.
        assert_eq!(f.success_rate.as_deref(), Some("0.3333"));
        assert_eq!(f.median_working_days_to_decision.as_deref(), Some("3.0"));
        assert_eq!(renewal_figures(&cells, d("2026-03-12")).overdue, 0);
        let banks = renewals_per_bank(&cells, d("2026-03-13"));
        assert_eq!(banks.get(&1), Some(&(2, 0)));
        assert_eq!(banks.get(&2), Some(&(2, 1)));
    }

    #[test]
    fn funds_count_turnover_fees_and_days() {
        let mut r = Rollup::default();
        let req = BridgeFact {
            fund_id: 7,
            region_code: "370202".into(),
            requested_on: d("2026-03-02"),
            state: BridgeState::Requested,
            amount_fen: 1_000_000,
            disbursed: false,
            repaid: None,
        };
        bridge_made(&mut r, &req);
        let mut prev = req.clone();
        for (state, disbursed, repaid) in [
            (BridgeState::Approved, false, None),
            (BridgeState::Disbursed, true, None),
            (BridgeState::Repaid, true, Some((2_000, 10))),
        ] {
            let next = BridgeFact {
                state,
                disbursed,
                repaid,
                ..prev.clone()
            };
            bridge_moved(&mut r, &prev, &next);
            prev = next;
        }
        bridge_made(
            &mut r,
            &BridgeFact {
                amount_fen: 500_000,
                state: BridgeState::Repaid,
                disbursed: true,
                repaid: Some((1_500, 15)),
                ..req.clone()
            },
        );
        bridge_made(&mut r, &req);
        let funds = [FundBalance {
            fund_id: 7,
            name: "转贷基金".into(),
            capital_fen: 10_000_000,
            reserved_fen: 1_000_000,
        }];
        let f = &fund_figures(&months(r), &funds)[0];
        assert_eq!(f.bridges, 3);
        assert_eq!(
            f.by_state,
            [("repaid".to_owned(), 2), ("requested".to_owned(), 1)]
                .into_iter()
                .collect()
        );
        assert_eq!((f.turnover.fen(), f.fees.fen()), (1_500_000, 3_500));
        assert_eq!(f.available.fen(), 9_000_000);
        assert_eq!(f.utilisation.as_deref(), Some("0.1000"));
        assert_eq!(f.turnover_times.as_deref(), Some("0.1500"));
        assert_eq!(f.median_days.as_deref(), Some("12.5"));
    }
}
