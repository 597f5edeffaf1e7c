//! Reading figures out of cells: sums, loan and match figures, breakdowns by group and the
//! per-bank supervision figures, equal to what a scan of the records computes.

use std::collections::BTreeMap;

use chrono::{Datelike, NaiveDate};
use rust_decimal::Decimal;

use super::cells::{CellKey, Measures};
use super::dim;
use crate::domain::money::Money;
use crate::domain::stats::{
    ratio, weighted_rate, BankFigures, By, Group, LoanFigures, MatchFigures, ServicingFigures,
};

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

/// The median of a histogram (the mean of the middle two for an even count); None when empty.
pub(super) fn median(hist: &BTreeMap<u32, u64>) -> Option<Decimal> {
    let n: u64 = hist.values().sum();
    if n == 0 {
        return None;
    }
    let at = |rank: u64| Decimal::from(nth(hist, rank));
    Some(if n % 2 == 1 {
        at(n / 2)
    } else {
        (at(n / 2 - 1) + at(n / 2)) / Decimal::TWO
    })
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
        servicing: servicing_figures(m),
    }
}

fn servicing_figures(m: &Measures) -> ServicingFigures {
    ServicingFigures::new(
        m.outstanding_fen,
        m.overdue_fen,
        m.npl_fen,
        m.repaid,
        m.written_off_fen,
    )
}

/// The group a cell belongs to under `by`; `group` is the cell's own group (bank id, product
/// type, size class or qualification kind). Bank groups are labelled "12 青岛银行".
fn group_label(by: By, k: &CellKey, group: &str, bank_name: &impl Fn(i64) -> String) -> String {
    match by {
        By::Bank => {
            let id: i64 = group.parse().unwrap_or_default();
            format!("{id} {}", bank_name(id))
        }
        By::ProductType | By::SizeClass | By::Qualification | By::RiskScheme => group.to_owned(),
        By::Region => k.region_code.chars().take(4).collect(),
        By::Month => format!("{}-{:02}", k.period.year(), k.period.month()),
        By::Quarter => format!("{}-Q{}", k.period.year(), (k.period.month() - 1) / 3 + 1),
    }
}

/// The loan figures of `facts` themselves (a set no cell dimension holds, e.g. the loans
/// enrolled in a risk scheme): each disbursed into a scratch rollup, its day cells summed.
pub fn loan_figures_of<'a>(
    facts: impl IntoIterator<Item = &'a super::LoanFact>,
) -> Result<LoanFigures, super::IdTooLarge> {
    let mut r = super::Rollup::default();
    for f in facts {
        super::loan_disbursed(&mut r, f)?;
    }
    let days: Vec<_> = r
        .into_cells()
        .filter(|(k, _)| k.dim == dim::ALL && k.grain == super::Grain::Day)
        .collect();
    Ok(loan_figures(&merged(&days)))
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

/// Per bank (督导), from match cells of `BANK_STATE` and `BANK_RESPONSE`, loan cells of
/// `BANK` and renewal cells of `BANK_STATE`: the same figures as `stats::banks` computes from
/// records.
pub fn bank_figures(
    match_cells: &[(CellKey, Measures)],
    loan_cells: &[(CellKey, Measures)],
    renewal_cells: &[(CellKey, Measures)],
    bank_name: impl Fn(i64) -> String,
    today: NaiveDate,
) -> Vec<BankFigures> {
    let mut out: BTreeMap<i64, BankFigures> = BTreeMap::new();
    let mut times: BTreeMap<i64, Measures> = BTreeMap::new();
    let mut approved: BTreeMap<i64, i64> = BTreeMap::new();
    let mut disbursed: BTreeMap<i64, Measures> = BTreeMap::new();
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
            servicing: ServicingFigures::default(),
            renewals_received: 0,
            overdue_renewals: 0,
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
        disbursed.entry(bank).or_default().add(m);
    }
    for (bank, (received, overdue)) in super::renewals_per_bank(renewal_cells, today) {
        let b = entry(&mut out, bank, &bank_name);
        b.renewals_received = received;
        b.overdue_renewals = overdue;
    }
    for (bank, b) in out.iter_mut() {
        b.approved_amount = Money::from_fen(approved.get(bank).copied().unwrap_or(0));
        if let Some(loans) = disbursed.get(bank) {
            b.disbursed_amount = Money::from_fen(loans.amount_fen);
            b.servicing = servicing_figures(loans);
        }
        if let Some(secs) = times.get(bank).and_then(|m| median(&m.response_times)) {
            b.median_hours_to_respond = Some(crate::domain::stats::hours_of(secs));
        }
    }
    out.into_values()
        .filter(|b| {
            b.matches_received > 0 || !b.disbursed_amount.is_zero() || b.renewals_received > 0
        })
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
    use crate::domain::product::ProductType;
    use crate::domain::rollup::{
        loan_disbursed, loan_serviced, match_made, plan, Fact, Grain, LoanBalance, LoanFact,
        MatchFact, Plan, Rollup,
    };
    use crate::domain::servicing::{apply, LoanEventKind, LoanStatus};
    use crate::domain::size_class::SizeClass;
    use crate::domain::stats::scan::{self as stats, MatchRec};
    use crate::domain::stats::LoanRec;
    use proptest::prelude::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn loan_fact(l: &LoanRec) -> LoanFact {
        LoanFact {
            enterprise_id: l.enterprise_id,
            bank_id: l.bank_id,
            region_code: l.region_code.clone(),
            size_class: l.size_class,
            qualification_kinds: l.qualifications.join(","),
            product_type: l.product_type,
            credit: l.credit,
            amount_fen: l.amount_fen,
            rate_units: l.rate_units,
            first_loan: l.first_loan,
            disbursed_on: l.disbursed_on,
            balance: LoanBalance::disbursed(l.amount_fen),
        }
    }

    /// Each loan disbursed, then each of its servicing steps as a write of its own; the loans
    /// in their final state.
    fn roll_loans(r: &mut Rollup, history: Vec<(LoanRec, Vec<LoanBalance>)>) -> Vec<LoanRec> {
        for (l, steps) in &history {
            let fact = loan_fact(l);
            loan_disbursed(r, &fact).unwrap();
            for w in steps.windows(2) {
                loan_serviced(r, &fact, w[0], w[1]);
            }
        }
        history.into_iter().map(|(l, _)| l).collect()
    }

    /// A loan after random servicing events (`domain::servicing` decides what each does):
    /// the record in its final state and every balance it went through.
    fn serviced(mut l: LoanRec, events: &[(usize, u8)]) -> (LoanRec, Vec<LoanBalance>) {
        let mut b = LoanBalance::disbursed(l.amount_fen);
        let mut steps = vec![b];
        for (kind, pct) in events {
            let kind = LoanEventKind::ALL[kind % LoanEventKind::ALL.len()];
            let p = Money::from_fen(b.outstanding_fen * i64::from(*pct) / 100);
            let Ok(a) = apply(b.status, Money::from_fen(b.outstanding_fen), kind, Some(p))
                .or_else(|_| apply(b.status, Money::from_fen(b.outstanding_fen), kind, None))
            else {
                continue;
            };
            b = LoanBalance {
                status: a.status,
                outstanding_fen: a.outstanding.fen(),
                written_off_fen: b.written_off_fen + a.written_off.fen(),
            };
            steps.push(b);
        }
        l.status = b.status;
        l.outstanding_fen = b.outstanding_fen;
        l.written_off_fen = b.written_off_fen;
        (l, steps)
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

    fn arb_loan() -> impl Strategy<Value = (LoanRec, Vec<LoanBalance>)> {
        (
            1i64..40,
            1i64..4,
            0usize..3,
            1i64..1_000_000_000,
            20_000i64..60_000,
            any::<bool>(),
            0u64..500,
            0usize..4,
            proptest::collection::vec((0usize..8, 0u8..=100), 0..6),
        )
            .prop_map(
                |(ent, bank, region, fen, rate, first, day, quals, events)| {
                    let regions = ["370202", "370203", "320505"];
                    let qs: &[&[&str]] = &[
                        &[],
                        &["specialized_sme"],
                        &["high_tech", "specialized_sme"],
                        &["high_tech"],
                    ];
                    let l = LoanRec {
                        id: 0,
                        demand_id: 0,
                        bank_id: bank,
                        bank_name: format!("bank {bank}"),
                        enterprise_id: ent,
                        region_code: regions[region].into(),
                        size_class: [SizeClass::Small, SizeClass::Micro][(ent % 2) as usize],
                        qualifications: qs[quals].iter().map(|s| s.to_string()).collect(),
                        product_type: [ProductType::Credit, ProductType::Green]
                            [(bank % 2) as usize],
                        credit: bank % 2 == 0,
                        amount_fen: fen,
                        rate_units: rate,
                        first_loan: first,
                        disbursed_on: d("2025-06-01") + chrono::Days::new(day),
                        status: LoanStatus::Current,
                        outstanding_fen: fen,
                        written_off_fen: 0,
                    };
                    serviced(l, &events)
                },
            )
    }

    proptest! {
        /// Rollup figures equal the figures computed from the loans themselves, for any range,
        /// region and grouping.
        #[test]
        fn rollups_equal_a_scan(
            history in proptest::collection::vec(arb_loan(), 0..60),
            ms in proptest::collection::vec(arb_match(), 0..40),
            today_offset in 0u64..430,
            a in 0u64..520,
            len in 0u64..400,
            open_from in any::<bool>(),
            prefix in prop::sample::select(vec!["", "37", "3702", "370203", "32"]),
        ) {
            let mut r = Rollup::default();
            let loans = roll_loans(&mut r, history);
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
            state: crate::domain::lifecycle::MatchState::parse(&m.state).expect("a match state"),
            respond_by: m.respond_by,
            decide_by: m.decide_by,
            approved_fen: m.approved_fen,
            response_secs: m.responded_at.map(|t| (t - m.created_at).num_seconds()),
            product_type: ProductType::parse(&m.product_type).expect("a product type"),
            size_class: SizeClass::parse(&m.size_class).expect("a size class"),
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
            history in proptest::collection::vec(arb_loan(), 0..30),
            a in 0u64..420,
            len in 0u64..400,
            prefix in prop::sample::select(vec!["", "37", "370203", "32"]),
            today_offset in 0u64..430,
        ) {
            let mut r = Rollup::default();
            for (_, m) in &ms {
                match_made(&mut r, &match_fact(m));
            }
            let loans = roll_loans(&mut r, history);
            let cells: BTreeMap<CellKey, Measures> = r.into_cells().collect();
            let from = Some(d("2025-05-20") + chrono::Days::new(a));
            let to = Some(d("2025-05-20") + chrono::Days::new(a + len));
            let chosen = select(&cells, &plan(from, to), prefix);
            let (mc, lc): (Vec<_>, Vec<_>) =
                chosen.into_iter().partition(|(k, _)| k.fact == Fact::Match);
            let today = d("2025-06-01") + chrono::Days::new(today_offset);
            let got = bank_figures(&mc, &lc, &[], |id| format!("bank {id}"), today);
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
}
