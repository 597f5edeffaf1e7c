//! Finance-office reporting (统计监测, SPEC §3.9): overview, breakdowns, bank supervision,
//! targets and Excel/CSV exports, all scoped to the caller's region. Metrics are defined in
//! `domain::stats` and `docs/metrics.md`; the figures come from the rollup cells
//! (`domain::rollup`, stored by `db::rollups`).

pub mod export;
pub mod figures;
pub mod risk;
pub mod targets;

use chrono::NaiveDate;
use serde::Deserialize;
use utoipa::IntoParams;

use super::caller::Caller;
use super::error::{AppError, AppResult, ProblemCode};
use crate::db::stats::Slice;
use crate::db::{self, DbConnection};
use crate::domain::org::Role;
use crate::domain::rollup::{self, CellKey, Fact, Measures};
use crate::domain::stats::By;

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct StatsQuery {
    /// From this date (demand and match creation, loan disbursement).
    #[serde(default, deserialize_with = "crate::domain::date::strict_opt")]
    pub from: Option<NaiveDate>,
    /// To this date, inclusive.
    #[serde(default, deserialize_with = "crate::domain::date::strict_opt")]
    pub to: Option<NaiveDate>,
    /// Narrows the caller's region (2, 4 or 6 digits).
    pub region_prefix: Option<String>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct BreakdownQuery {
    pub by: By,
    #[serde(default, deserialize_with = "crate::domain::date::strict_opt")]
    pub from: Option<NaiveDate>,
    #[serde(default, deserialize_with = "crate::domain::date::strict_opt")]
    pub to: Option<NaiveDate>,
    pub region_prefix: Option<String>,
}

/// The slice a caller may see: admin anything, a finance office its region (a narrower
/// `region_prefix` narrows it; a disjoint one sees nothing). Other roles: 403.
fn slice(
    auth: &Caller,
    from: Option<NaiveDate>,
    to: Option<NaiveDate>,
    prefix: Option<String>,
) -> AppResult<Slice> {
    auth.require(&[Role::Admin, Role::FinanceOffice])?;
    let prefix = super::query::region_prefix(prefix)?;
    if let (Some(f), Some(t)) = (from, to) {
        if t < f {
            return Err(AppError::bad_request(
                ProblemCode::InvalidQuery,
                "to must not be before from",
            ));
        }
    }
    let scope = auth.scope.narrowed(prefix.as_deref());
    // Figures outside the caller's region are none, shown under the region asked for.
    let region_prefix = scope.region().map(str::to_owned).or(prefix);
    Ok(Slice {
        scope,
        region_prefix,
        from,
        to,
    })
}

/// Loan cells of `dims` for the slice.
fn loan_rollup(
    conn: &mut DbConnection,
    s: &Slice,
    dims: &[&str],
) -> AppResult<Vec<(CellKey, Measures)>> {
    Ok(db::rollups::load(
        conn,
        Fact::Loan,
        dims,
        &rollup::plan(s.from, s.to),
        &s.scope,
    )?)
}
