//! What the finance-office reports read: demands, matches and loans of a region and window.

use chrono::{NaiveDate, NaiveDateTime, NaiveTime};
use diesel::prelude::*;

use super::schema::{loans, organizations, subsidy_claims, targets};
use super::DbConnection;
use crate::domain::product::ProductType;
use crate::domain::scope::Scope;
use crate::domain::servicing::LoanStatus;
use crate::domain::size_class::SizeClass;
use crate::domain::stats::{LoanRec, Metric};
use crate::domain::subsidy::{PolicyKind, PolicyStatus};

/// What a report covers: whose records (the scope) and which dates.
#[derive(Clone, Debug)]
pub struct Slice {
    /// Whose records count: everything, one region, or nothing (a finance office asking for
    /// a region outside its own).
    pub scope: Scope,
    /// The region the figures are shown for (none: all of them).
    pub region_prefix: Option<String>,
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
}

/// A loan as exported: the reported record plus who borrowed and for how long.
pub struct ExportedLoan {
    pub rec: LoanRec,
    pub enterprise_name: String,
    /// 统一社会信用代码.
    pub credit_code: String,
    pub term_months: i64,
}

/// Loads the slice's loans (by disbursement date, in the region they were reported in) for the
/// exports.
pub fn loans(conn: &mut DbConnection, s: &Slice) -> QueryResult<Vec<ExportedLoan>> {
    let banks = super::orgs::names_of_kind(conn, "bank")?;
    let enterprises: std::collections::HashMap<i64, (String, Option<String>)> =
        organizations::table
            .filter(organizations::kind.eq("enterprise"))
            .select((
                organizations::id,
                (organizations::name, organizations::credit_code),
            ))
            .load::<(i64, (String, Option<String>))>(conn)?
            .into_iter()
            .collect();
    let mut lq = loans::table
        .select((
            (
                loans::id,
                loans::demand_id,
                loans::bank_id,
                loans::enterprise_id,
                loans::amount_fen,
                loans::rate_units,
                loans::first_loan,
                loans::disbursed_on,
            ),
            (
                loans::region_code,
                loans::size_class,
                loans::qualification_kinds,
                loans::product_type,
                loans::credit,
            ),
            loans::term_months,
            (
                loans::status,
                loans::outstanding_fen,
                loans::written_off_fen,
            ),
        ))
        .into_boxed();
    match s.scope.report_region() {
        Some(None) => {}
        Some(Some(p)) => lq = lq.filter(loans::region_code.like(format!("{p}%"))),
        None => lq = lq.filter(loans::id.lt(0)),
    }
    if let Some(f) = s.from {
        lq = lq.filter(loans::disbursed_on.ge(f));
    }
    if let Some(t) = s.to {
        lq = lq.filter(loans::disbursed_on.le(t));
    }
    type L = (
        (i64, i64, i64, i64, i64, i64, bool, NaiveDate),
        (String, SizeClass, String, ProductType, bool),
        i64,
        (LoanStatus, i64, i64),
    );
    Ok(lq
        .order(loans::id.asc())
        .load::<L>(conn)?
        .into_iter()
        .map(
            |(
                (
                    id,
                    demand_id,
                    bank_id,
                    enterprise_id,
                    amount_fen,
                    rate_units,
                    first_loan,
                    disbursed_on,
                ),
                (region_code, size_class, kinds, product_type, credit),
                term_months,
                (status, outstanding_fen, written_off_fen),
            )| {
                let (enterprise_name, credit_code) =
                    enterprises.get(&enterprise_id).cloned().unwrap_or_default();
                ExportedLoan {
                    enterprise_name,
                    credit_code: credit_code.unwrap_or_default(),
                    term_months,
                    rec: LoanRec {
                        id,
                        demand_id,
                        bank_id,
                        bank_name: banks.get(&bank_id).cloned().unwrap_or_default(),
                        enterprise_id,
                        region_code,
                        size_class,
                        qualifications: kinds
                            .split(',')
                            .filter(|k| !k.is_empty())
                            .map(str::to_owned)
                            .collect(),
                        product_type,
                        credit,
                        amount_fen,
                        rate_units,
                        first_loan,
                        disbursed_on,
                        status,
                        outstanding_fen,
                        written_off_fen,
                    },
                }
            },
        )
        .collect())
}

/// A subsidy policy that covers (part of) a region, and how much of its budget is committed
/// (claims approved or paid).
pub struct PolicyBudget {
    pub id: i64,
    pub name: String,
    pub kind: PolicyKind,
    pub status: PolicyStatus,
    pub budget_fen: i64,
    pub used_fen: i64,
}

/// Subsidy claims of the slice's enterprises created in its window, by state, and the
/// policies covering its region.
pub struct SubsidyTotals {
    pub submitted_fen: i64,
    pub approved_fen: i64,
    pub paid_fen: i64,
    pub policies: Vec<PolicyBudget>,
}

pub fn subsidies(conn: &mut DbConnection, s: &Slice) -> QueryResult<SubsidyTotals> {
    let mut q = subsidy_claims::table
        .select((subsidy_claims::state, subsidy_claims::amount_fen))
        .into_boxed();
    match s.scope.report_region() {
        Some(None) => {}
        Some(Some(p)) => q = q.filter(super::subsidies::in_region(p)),
        None => q = q.filter(subsidy_claims::id.lt(0)),
    }
    if let Some(f) = s.from {
        q = q.filter(subsidy_claims::created_at.ge(f.and_time(NaiveTime::MIN)));
    }
    if let Some(t) = s.to.and_then(|t| t.succ_opt()) {
        q = q.filter(subsidy_claims::created_at.lt(t.and_time(NaiveTime::MIN)));
    }
    let mut out = SubsidyTotals {
        submitted_fen: 0,
        approved_fen: 0,
        paid_fen: 0,
        policies: Vec::new(),
    };
    for (state, amount) in q.load::<(String, i64)>(conn)? {
        match state.as_str() {
            "submitted" => out.submitted_fen += amount,
            "approved" => out.approved_fen += amount,
            "paid" => out.paid_fen += amount,
            _ => {}
        }
    }
    use super::schema::policies;
    type P = (i64, String, PolicyKind, PolicyStatus, i64, Option<String>);
    let all: Vec<P> = policies::table
        .select((
            policies::id,
            policies::name,
            policies::kind,
            policies::status,
            policies::budget_fen,
            policies::region_prefix,
        ))
        .order(policies::id.asc())
        .load(conn)?;
    for (id, name, kind, status, budget_fen, policy_prefix) in all {
        let covers = s.scope.covers_prefix(policy_prefix.as_deref());
        if covers {
            out.policies.push(PolicyBudget {
                id,
                name,
                kind,
                status,
                budget_fen,
                used_fen: super::subsidies::budget_used(conn, id)?,
            });
        }
    }
    Ok(out)
}

#[derive(Clone, Debug, Queryable, Selectable)]
#[diesel(table_name = targets)]
pub struct TargetRow {
    pub id: i64,
    pub owner_org_id: i64,
    pub name: String,
    pub metric: Metric,
    pub value_units: i64,
    pub from_date: NaiveDate,
    pub to_date: NaiveDate,
    pub region_prefix: Option<String>,
    pub created_at: NaiveDateTime,
}

#[allow(clippy::too_many_arguments)]
pub fn insert_target(
    conn: &mut DbConnection,
    owner: i64,
    name: &str,
    metric: Metric,
    value_units: i64,
    from: NaiveDate,
    to: NaiveDate,
    region_prefix: Option<&str>,
    now: NaiveDateTime,
) -> QueryResult<TargetRow> {
    crate::on_backend!(conn, c => diesel::insert_into(targets::table)
        .values((
            targets::owner_org_id.eq(owner),
            targets::name.eq(name),
            targets::metric.eq(metric),
            targets::value_units.eq(value_units),
            targets::from_date.eq(from),
            targets::to_date.eq(to),
            targets::region_prefix.eq(region_prefix),
            targets::created_at.eq(now),
        ))
        .returning(TargetRow::as_returning())
        .get_result(c))
}

/// The targets `scope` may see: all (the platform operator), or those whose region lies inside
/// a finance office's.
fn scoped_targets(scope: &Scope) -> targets::BoxedQuery<'static, super::conn::MultiBackend> {
    let q = targets::table.into_boxed();
    match scope.report_region() {
        Some(None) => q,
        Some(Some(p)) => q.filter(targets::region_prefix.like(format!("{p}%"))),
        None => q.filter(targets::id.lt(0)),
    }
}

pub fn list_targets(
    conn: &mut DbConnection,
    scope: &Scope,
    after_id: Option<i64>,
    limit: i64,
) -> QueryResult<Vec<TargetRow>> {
    let mut q = scoped_targets(scope).select(TargetRow::as_select());
    if let Some(a) = after_id {
        q = q.filter(targets::id.gt(a));
    }
    q.order(targets::id.asc()).limit(limit + 1).load(conn)
}

pub fn find_target(
    conn: &mut DbConnection,
    id: i64,
    scope: &Scope,
) -> QueryResult<Option<TargetRow>> {
    scoped_targets(scope)
        .filter(targets::id.eq(id))
        .select(TargetRow::as_select())
        .first(conn)
        .optional()
}
