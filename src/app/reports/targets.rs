//! Targets (目标): a metric, a value and a window for a region, with the live actual and
//! progress computed from the rollups on every read.

use crate::app::clock;
use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::loan_rollup;
use crate::app::caller::Caller;
use crate::app::effects::Receipt;
use crate::app::error::{AppError, AppResult, ProblemCode, Validator};
use crate::db::stats::{self as repo, Slice, TargetRow};
use crate::db::DbConnection;
use crate::domain::date::rfc3339;
use crate::domain::money::Money;
use crate::domain::org::Role;
use crate::domain::region;
use crate::domain::rollup::{self, dim};
use crate::domain::scope::Scope;
use crate::domain::stats::{By, Metric};

#[derive(Debug, Deserialize, Serialize, ToSchema)]
pub struct CreateTarget {
    #[schema(
        example = "2026年普惠小微贷款投放目标",
        min_length = 1,
        max_length = 200
    )]
    pub name: String,
    pub metric: Metric,
    /// Yuan for `disbursed_amount` ("300000000000.00"), a whole number otherwise ("10000").
    #[schema(example = "300000000000.00")]
    pub value: String,
    #[serde(deserialize_with = "crate::domain::date::strict")]
    pub from: NaiveDate,
    #[serde(deserialize_with = "crate::domain::date::strict")]
    pub to: NaiveDate,
    pub region_prefix: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TargetView {
    pub id: i64,
    pub name: String,
    pub metric: Metric,
    pub value: String,
    pub actual: String,
    /// actual / value, 4 decimals ("0.4230").
    pub progress: String,
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub region_prefix: Option<String>,
    #[schema(format = DateTime)]
    pub created_at: String,
}

fn target_view(conn: &mut DbConnection, t: TargetRow) -> AppResult<TargetView> {
    let metric = t.metric;
    let s = Slice {
        scope: t
            .region_prefix
            .clone()
            .map_or(Scope::Everything, Scope::Region),
        region_prefix: t.region_prefix.clone(),
        from: Some(t.from_date),
        to: Some(t.to_date),
    };
    let cells = loan_rollup(conn, &s, &[dim::ALL, dim::BANK])?;
    let (all, by_bank): (Vec<_>, Vec<_>) = cells.into_iter().partition(|(k, _)| k.dim == dim::ALL);
    let f = rollup::loan_figures(&rollup::merged(&all));
    let actual_units = match metric {
        Metric::DisbursedAmount => f.amount.fen(),
        Metric::EnterprisesServed => f.enterprises_served as i64,
        Metric::FirstLoanEnterprises => f.first_loan_enterprises as i64,
        // Banks with at least one loan in the window.
        Metric::ParticipatingBanks => {
            rollup::breakdown(&by_bank, &[], By::Bank, |_| String::new(), clock::today()).len()
                as i64
        }
    };
    let show = |units: i64| match metric {
        Metric::DisbursedAmount => Money::from_fen(units).to_string(),
        _ => units.to_string(),
    };
    let progress = (Decimal::from(actual_units) / Decimal::from(t.value_units.max(1))).round_dp(4);
    Ok(TargetView {
        id: t.id,
        name: t.name,
        metric,
        value: show(t.value_units),
        actual: show(actual_units),
        progress: format!("{progress:.4}"),
        from: t.from_date,
        to: t.to_date,
        region_prefix: t.region_prefix,
        created_at: rfc3339(t.created_at),
    })
}

/// The region a caller sets targets in: none for an admin (anywhere), a finance office's own;
/// other roles, and a finance office that supervises no region, 403.
fn own_region(auth: &Caller) -> AppResult<Option<String>> {
    auth.require(&[Role::Admin, Role::FinanceOffice])?;
    match auth.scope.report_region() {
        Some(region) => Ok(region.map(str::to_owned)),
        None => Err(AppError::forbidden(
            "this finance office supervises no region",
        )),
    }
}

/// Sets a target (a finance office within its region, an admin anywhere).
#[tracing::instrument(skip_all, fields(user = auth.user_id))]
pub fn create<R: Receipt<TargetView>>(
    conn: &mut DbConnection,
    auth: &Caller,
    b: CreateTarget,
    receipt: R,
) -> AppResult<R::Out> {
    auth.require(&[Role::Admin, Role::FinanceOffice])?;
    let mut v = Validator::default();
    v.name("name", &b.name);
    v.check(b.to >= b.from, "to", "must not be before from");
    let units = match b.metric {
        Metric::DisbursedAmount => Money::parse(&b.value).map(Money::fen).ok(),
        _ => b.value.parse::<i64>().ok().filter(|n| *n <= 1_000_000_000),
    }
    .filter(|u| *u > 0);
    v.check(
        units.is_some(),
        "value",
        "must be a positive amount (yuan) or a positive whole number for counts",
    );
    if let Some(p) = &b.region_prefix {
        v.check(
            region::is_region_prefix(p),
            "region_prefix",
            "must be 2, 4 or 6 digits",
        );
    }
    v.finish()?;
    let own = own_region(auth)?;
    let prefix = match (&own, &b.region_prefix) {
        (Some(o), Some(p)) if !p.starts_with(o.as_str()) => {
            return Err(AppError::invalid_field(
                ProblemCode::ValidationFailed,
                "region_prefix",
                format!("must lie within your region {o}"),
            ))
        }
        (Some(o), None) => Some(o.clone()),
        (_, p) => p.clone(),
    };
    conn.write_transaction(|c| {
        let row = repo::insert_target(
            c,
            auth.org_id,
            &b.name,
            b.metric,
            units.unwrap_or(1),
            b.from,
            b.to,
            prefix.as_deref(),
            clock::now(),
        )?;
        let view = target_view(c, row)?;
        receipt.record(c, view)
    })
}

/// Targets in the caller's region, with live actual and progress.
pub fn list(
    conn: &mut DbConnection,
    auth: &Caller,
    after_id: Option<i64>,
    limit: i64,
) -> AppResult<Vec<TargetView>> {
    auth.require(&[Role::Admin, Role::FinanceOffice])?;
    let rows = repo::list_targets(conn, &auth.scope, after_id, limit)?;
    rows.into_iter().map(|t| target_view(conn, t)).collect()
}

/// One target with live actual and progress. Targets are not visible to banks, guarantors
/// and enterprises: 404, as for any other resource outside the caller's scope.
pub fn get(conn: &mut DbConnection, auth: &Caller, id: i64) -> AppResult<TargetView> {
    if !matches!(auth.role, Role::Admin | Role::FinanceOffice) {
        return Err(AppError::not_found("target"));
    }
    let t =
        repo::find_target(conn, id, &auth.scope)?.ok_or_else(|| AppError::not_found("target"))?;
    target_view(conn, t)
}
