//! What the finance-office reports read: demands, matches and loans of a region and window.

use std::collections::HashMap;

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;

use super::schema::{demands, loans, matches, organizations, products, subsidy_claims, targets};
use super::DbConnection;
use crate::domain::stats::{DemandRec, LoanRec, MatchRec};

/// Which enterprises: all, or those whose region code starts with the prefix.
#[derive(Clone, Debug, Default)]
pub struct Slice {
    pub region_prefix: Option<String>,
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
}

fn enterprise_regions(
    conn: &mut DbConnection,
    prefix: Option<&str>,
) -> QueryResult<HashMap<i64, String>> {
    let mut q = organizations::table
        .filter(organizations::kind.eq("enterprise"))
        .select((organizations::id, organizations::region_code))
        .into_boxed();
    if let Some(p) = prefix {
        q = q.filter(organizations::region_code.like(format!("{p}%")));
    }
    Ok(q.load::<(i64, Option<String>)>(conn)?
        .into_iter()
        .map(|(id, r)| (id, r.unwrap_or_default()))
        .collect())
}

pub struct Dataset {
    pub demands: Vec<DemandRec>,
    pub matches: Vec<MatchRec>,
    pub loans: Vec<LoanRec>,
}

fn day_start(d: NaiveDate) -> NaiveDateTime {
    d.and_hms_opt(0, 0, 0).unwrap_or_default()
}

/// Loads the slice: demands and matches by creation date, loans by disbursement date.
pub fn load(conn: &mut DbConnection, s: &Slice) -> QueryResult<Dataset> {
    let regions = enterprise_regions(conn, s.region_prefix.as_deref())?;
    let banks: HashMap<i64, String> = organizations::table
        .filter(organizations::kind.eq("bank"))
        .select((organizations::id, organizations::name))
        .load(conn)?
        .into_iter()
        .collect();
    let product_info: HashMap<i64, (String, String)> = products::table
        .select((
            products::id,
            products::product_type,
            products::guarantee_methods,
        ))
        .load::<(i64, String, String)>(conn)?
        .into_iter()
        .map(|(id, t, g)| (id, (t, g)))
        .collect();
    let ents = super::catalog::enterprises(conn, None)?;

    let mut dq = demands::table
        .select((
            demands::id,
            demands::enterprise_id,
            demands::amount_fen,
            demands::status,
            demands::created_at,
        ))
        .into_boxed();
    let mut mq = matches::table
        .select((
            matches::id,
            matches::demand_id,
            matches::bank_id,
            matches::enterprise_id,
            matches::state,
            matches::created_at,
            matches::responded_at,
            matches::respond_by,
            matches::decide_by,
            matches::approved_amount_fen,
        ))
        .into_boxed();
    let mut lq = loans::table
        .select((
            loans::id,
            loans::demand_id,
            loans::product_id,
            loans::bank_id,
            loans::enterprise_id,
            loans::amount_fen,
            loans::rate_units,
            loans::first_loan,
            loans::guarantor_id,
            loans::disbursed_on,
        ))
        .into_boxed();
    if let Some(f) = s.from {
        dq = dq.filter(demands::created_at.ge(day_start(f)));
        mq = mq.filter(matches::created_at.ge(day_start(f)));
        lq = lq.filter(loans::disbursed_on.ge(f));
    }
    if let Some(t) = s.to {
        let next = day_start(t.succ_opt().unwrap_or(t));
        dq = dq.filter(demands::created_at.lt(next));
        mq = mq.filter(matches::created_at.lt(next));
        lq = lq.filter(loans::disbursed_on.le(t));
    }
    let demands = dq
        .load::<(i64, i64, i64, String, NaiveDateTime)>(conn)?
        .into_iter()
        .filter(|r| regions.contains_key(&r.1))
        .map(
            |(id, enterprise_id, amount_fen, status, created_at)| DemandRec {
                id,
                enterprise_id,
                amount_fen,
                status,
                created_on: created_at.date(),
            },
        )
        .collect();
    type M = (
        i64,
        i64,
        i64,
        i64,
        String,
        NaiveDateTime,
        Option<NaiveDateTime>,
        Option<NaiveDate>,
        Option<NaiveDate>,
        Option<i64>,
    );
    let matches = mq
        .load::<M>(conn)?
        .into_iter()
        .filter(|r| regions.contains_key(&r.3))
        .map(
            |(
                id,
                demand_id,
                bank_id,
                enterprise_id,
                state,
                created_at,
                responded_at,
                respond_by,
                decide_by,
                approved,
            )| MatchRec {
                id,
                demand_id,
                bank_id,
                bank_name: banks.get(&bank_id).cloned().unwrap_or_default(),
                enterprise_id,
                state,
                created_at,
                responded_at,
                respond_by,
                decide_by,
                approved_fen: approved,
            },
        )
        .collect();
    type L = (
        i64,
        i64,
        i64,
        i64,
        i64,
        i64,
        i64,
        bool,
        Option<i64>,
        NaiveDate,
    );
    let loans = lq
        .load::<L>(conn)?
        .into_iter()
        .filter(|r| regions.contains_key(&r.4))
        .map(
            |(
                id,
                demand_id,
                product_id,
                bank_id,
                enterprise_id,
                amount_fen,
                rate_units,
                first_loan,
                guarantor_id,
                disbursed_on,
            )| {
                let (product_type, methods) =
                    product_info.get(&product_id).cloned().unwrap_or_default();
                let ent = ents.get(&enterprise_id);
                LoanRec {
                    id,
                    demand_id,
                    bank_id,
                    bank_name: banks.get(&bank_id).cloned().unwrap_or_default(),
                    enterprise_id,
                    region_code: regions.get(&enterprise_id).cloned().unwrap_or_default(),
                    size_class: ent
                        .map(|e| e.facts.size_class.as_str().to_owned())
                        .unwrap_or_default(),
                    qualifications: ent
                        .map(|e| {
                            let mut k: Vec<String> = e
                                .facts
                                .qualifications
                                .iter()
                                .filter(|q| q.valid_on(disbursed_on))
                                .map(|q| q.kind.as_str().to_owned())
                                .collect();
                            k.sort();
                            k.dedup();
                            k
                        })
                        .unwrap_or_default(),
                    product_type,
                    // 信用贷款: no guarantee recorded on a product that lends on credit.
                    credit: guarantor_id.is_none() && methods.contains("\"credit\""),
                    amount_fen,
                    rate_units,
                    first_loan,
                    disbursed_on,
                }
            },
        )
        .collect();
    Ok(Dataset {
        demands,
        matches,
        loans,
    })
}

/// (submitted, approved, paid) subsidy amounts for enterprises of the slice, and remaining
/// budgets of the policies.
pub fn subsidies(
    conn: &mut DbConnection,
    prefix: Option<&str>,
) -> QueryResult<((i64, i64, i64), i64)> {
    let regions = enterprise_regions(conn, prefix)?;
    let rows: Vec<(i64, String, i64)> = subsidy_claims::table
        .select((
            subsidy_claims::enterprise_id,
            subsidy_claims::state,
            subsidy_claims::amount_fen,
        ))
        .load(conn)?;
    let mut s = (0, 0, 0);
    for (e, state, amount) in rows {
        if !regions.contains_key(&e) {
            continue;
        }
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
