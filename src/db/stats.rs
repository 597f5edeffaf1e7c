//! What the finance-office reports read: demands, matches and loans of a region and window.

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;

use super::schema::{loans, organizations, subsidy_claims, targets};
use super::DbConnection;
use crate::domain::stats::LoanRec;

/// Which enterprises: all, or those whose region code starts with the prefix.
#[derive(Clone, Debug, Default)]
pub struct Slice {
    pub region_prefix: Option<String>,
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
}

/// Loads the slice's loans (by disbursement date, in the region they were reported in) for the
/// exports.
pub fn loans(conn: &mut DbConnection, s: &Slice) -> QueryResult<Vec<LoanRec>> {
    let banks = super::orgs::names_of_kind(conn, "bank")?;
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
        ))
        .into_boxed();
    if let Some(p) = &s.region_prefix {
        lq = lq.filter(loans::region_code.like(format!("{p}%")));
    }
    if let Some(f) = s.from {
        lq = lq.filter(loans::disbursed_on.ge(f));
    }
    if let Some(t) = s.to {
        lq = lq.filter(loans::disbursed_on.le(t));
    }
    type L = (
        (i64, i64, i64, i64, i64, i64, bool, NaiveDate),
        (String, String, String, String, bool),
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
            )| LoanRec {
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
            },
        )
        .collect())
}

/// (submitted, approved, paid) subsidy amounts for enterprises of the slice, and remaining
/// budgets of the policies.
pub fn subsidies(
    conn: &mut DbConnection,
    prefix: Option<&str>,
) -> QueryResult<((i64, i64, i64), i64)> {
    let mut q = subsidy_claims::table
        .select((subsidy_claims::state, subsidy_claims::amount_fen))
        .into_boxed();
    if let Some(p) = prefix {
        q = q.filter(
            subsidy_claims::enterprise_id.eq_any(
                organizations::table
                    .filter(organizations::region_code.like(format!("{p}%")))
                    .select(organizations::id),
            ),
        );
    }
    let mut s = (0, 0, 0);
    for (state, amount) in q.load::<(String, i64)>(conn)? {
        match state.as_str() {
            "submitted" => s.0 += amount,
            "approved" => s.1 += amount,
            "paid" => s.2 += amount,
            _ => {}
        }
    }
    use super::schema::policies;
    let mut pq = policies::table
        .select((policies::id, policies::budget_fen, policies::region_prefix))
        .into_boxed();
    if let Some(p) = prefix {
        pq = pq.filter(
            policies::region_prefix
                .like(format!("{p}%"))
                .or(policies::region_prefix.is_null()),
        );
    }
    let mut remaining = 0;
    for (id, budget, _) in pq.load::<(i64, i64, Option<String>)>(conn)? {
        remaining += (budget - super::subsidies::budget_used(conn, id)?).max(0);
    }
    Ok((s, remaining))
}

#[derive(Clone, Debug, Queryable, Selectable)]
#[diesel(table_name = targets)]
pub struct TargetRow {
    pub id: i64,
    pub owner_org_id: i64,
    pub name: String,
    pub metric: String,
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
    metric: &str,
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

/// Targets whose region lies inside `prefix` (all when None).
pub fn list_targets(
    conn: &mut DbConnection,
    prefix: Option<&str>,
    after_id: Option<i64>,
    limit: i64,
) -> QueryResult<Vec<TargetRow>> {
    let mut q = targets::table.select(TargetRow::as_select()).into_boxed();
    if let Some(p) = prefix {
        q = q.filter(targets::region_prefix.like(format!("{p}%")));
    }
    if let Some(a) = after_id {
        q = q.filter(targets::id.gt(a));
    }
    q.order(targets::id.asc()).limit(limit + 1).load(conn)
}

pub fn find_target(
    conn: &mut DbConnection,
    id: i64,
    prefix: Option<&str>,
) -> QueryResult<Option<TargetRow>> {
    let mut q = targets::table
        .filter(targets::id.eq(id))
        .select(TargetRow::as_select())
        .into_boxed();
    if let Some(p) = prefix {
        q = q.filter(targets::region_prefix.like(format!("{p}%")));
    }
    q.first(conn).optional()
}
