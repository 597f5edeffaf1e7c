//! Risk-scheme figures (SPEC §3.15 reports): per scheme covering the caller's region, its
//! capacity and balance, and — over the enrolled loans of enterprises in the region — the
//! loans and principal enrolled, NPLs, compensation by state, recoveries and the loss rate;
//! and the `by=risk_scheme` breakdown of the enrolled loans' figures.

use std::collections::BTreeSet;

use rust_decimal::Decimal;
use serde::Serialize;
use utoipa::ToSchema;

use crate::app::error::{AppError, AppResult};
use crate::db::risk::SchemeRow;
use crate::db::stats::Slice;
use crate::db::{self, DbConnection};
use crate::domain::money::Money;
use crate::domain::risk::{CompensationState, SchemeKind};
use crate::domain::rollup;
use crate::domain::servicing::LoanStatus;
use crate::domain::stats::{ratio, Group, LoanFigures, MatchFigures};

/// Schemes read at most (a province runs a handful).
const SCHEMES_READ: i64 = 500;

#[derive(Debug, Serialize, ToSchema)]
pub struct SchemeFigures {
    pub scheme_id: i64,
    pub name: String,
    pub kind: SchemeKind,
    pub region_prefix: Option<String>,
    /// The whole scheme's: capital, capacity (capital × leverage), outstanding principal
    /// enrolled, and the pool's balance.
    #[schema(value_type = Money)]
    pub capital: Money,
    #[schema(value_type = Money)]
    pub capacity: Money,
    #[schema(value_type = Money)]
    pub enrolled: Money,
    /// enrolled ÷ capacity, 4 places.
    pub capacity_used: Option<String>,
    #[schema(value_type = Money)]
    pub balance: Money,
    /// From here on, over the enrolled loans of enterprises in the report's region (and
    /// disbursed in its window): how many, their principal when enrolled …
    pub enrolled_loans: u64,
    #[schema(value_type = Money)]
    pub enrolled_principal: Money,
    /// … how many are `npl` or `written_off` now …
    pub npl_loans: u64,
    /// … compensation claimed, by state …
    #[schema(value_type = Money)]
    pub compensation_submitted: Money,
    #[schema(value_type = Money)]
    pub compensation_approved: Money,
    #[schema(value_type = Money)]
    pub compensation_paid: Money,
    /// … what recoveries returned to the pool …
    #[schema(value_type = Money)]
    pub recovered: Money,
    /// … and the loss rate: the loss recognised (the base of claims approved or paid) ÷ the
    /// principal enrolled, 4 places; null when nothing is enrolled.
    pub loss_rate: Option<String>,
}

fn schemes_in(conn: &mut DbConnection, s: &Slice) -> AppResult<Vec<SchemeRow>> {
    let mut rows = db::risk::schemes(conn, None, None, SCHEMES_READ)?;
    rows.truncate(SCHEMES_READ as usize);
    rows.retain(|r| s.scope.covers_prefix(r.fields.region_prefix.as_deref()));
    Ok(rows)
}

/// Every scheme covering the slice's region, with its figures.
pub fn scheme_figures(conn: &mut DbConnection, s: &Slice) -> AppResult<Vec<SchemeFigures>> {
    let mut out = Vec::new();
    for r in schemes_in(conn, s)? {
        let loans = db::risk::enrolled_loans(conn, r.id, &s.scope, s.from, s.to)?;
        let claims = db::risk::claim_amounts(conn, r.id, &s.scope)?;
        let (mut submitted, mut approved, mut paid, mut returned, mut loss) = (0, 0, 0, 0, 0);
        for (state, base, amount, back) in claims {
            match state {
                CompensationState::Submitted => submitted += amount,
                CompensationState::Approved => {
                    approved += amount;
                    loss += base;
                }
                CompensationState::Paid => {
                    paid += amount;
                    loss += base;
                }
                CompensationState::Rejected => {}
            }
            returned += back;
        }
        let principal: i64 = loans.iter().map(|l| l.fields.amount_fen).sum();
        let f = &r.fields;
        out.push(SchemeFigures {
            scheme_id: r.id,
            name: f.name.clone(),
            kind: f.kind,
            region_prefix: f.region_prefix.clone(),
            capital: Money::from_fen(f.capital_fen),
            capacity: Money::from_fen(f.capacity_fen),
            enrolled: Money::from_fen(r.enrolled_fen),
            capacity_used: ratio(r.enrolled_fen.into(), f.capacity_fen.into()),
            balance: Money::from_fen(f.capital_fen - r.committed_fen + r.recovered_fen),
            enrolled_loans: loans.len() as u64,
            enrolled_principal: Money::from_fen(principal),
            npl_loans: loans
                .iter()
                .filter(|l| matches!(l.servicing.status, LoanStatus::Npl | LoanStatus::WrittenOff))
                .count() as u64,
            compensation_submitted: Money::from_fen(submitted),
            compensation_approved: Money::from_fen(approved),
            compensation_paid: Money::from_fen(paid),
            recovered: Money::from_fen(returned),
            loss_rate: ratio(Decimal::from(loss), Decimal::from(principal)),
        });
    }
    Ok(out)
}

/// `by=risk_scheme`: per scheme covering the region, the loan figures of its enrolled loans
/// (no matches: a match is not enrolled); and the figures of every enrolled loan once.
pub fn scheme_groups(conn: &mut DbConnection, s: &Slice) -> AppResult<(Vec<Group>, LoanFigures)> {
    let schemes = schemes_in(conn, s)?;
    let names: Vec<&str> = schemes.iter().map(|r| r.fields.name.as_str()).collect();
    let mut groups = Vec::new();
    let mut seen = BTreeSet::new();
    let mut every = Vec::new();
    for r in &schemes {
        let loans = db::risk::enrolled_loans(conn, r.id, &s.scope, s.from, s.to)?;
        if loans.is_empty() {
            continue;
        }
        let facts: Vec<_> = loans.iter().map(db::rollups::stored_loan_fact).collect();
        let name = r.fields.name.as_str();
        let key = if names.iter().filter(|n| **n == name).count() > 1 {
            format!("{name} (#{})", r.id)
        } else {
            name.to_owned()
        };
        groups.push(Group {
            key,
            loans: rollup::loan_figures_of(&facts).map_err(AppError::internal)?,
            matches: MatchFigures::default(),
        });
        for (l, f) in loans.iter().zip(facts) {
            if seen.insert(l.id) {
                every.push(f);
            }
        }
    }
    let total = rollup::loan_figures_of(&every).map_err(AppError::internal)?;
    Ok((groups, total))
}
