//! LPR series, subsidy policies and claims.

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;

use super::conn::MultiBackend;
use super::schema::{lpr_rates, organizations, policies, subsidy_claims as sc};
use super::types::JsonText;
use super::DbConnection;
use crate::domain::rate::Rate;
use crate::domain::scope::Scope;
use crate::domain::subsidy::LprPoint;
use crate::domain::subsidy::{
    ClaimState, PolicyEligibility, PolicyKind, PolicyStatus, Step, StoredRule,
};
use diesel::expression::BoxableExpression;

pub fn lpr_series(conn: &mut DbConnection) -> QueryResult<Vec<LprPoint>> {
    let rows: Vec<(NaiveDate, i64, i64)> = lpr_rates::table
        .order(lpr_rates::effective_on.asc())
        .select((
            lpr_rates::effective_on,
            lpr_rates::one_year_units,
            lpr_rates::five_year_units,
        ))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(effective_on, a, b)| LprPoint {
            effective_on,
            one_year: Rate::from_units(a),
            five_year: Rate::from_units(b),
        })
        .collect())
}

/// Adds a print; false when one already exists for that date.
pub fn insert_lpr(conn: &mut DbConnection, p: &LprPoint) -> QueryResult<bool> {
    let exists: bool = diesel::select(diesel::dsl::exists(lpr_rates::table.find(p.effective_on)))
        .get_result(conn)?;
    if exists {
        return Ok(false);
    }
    diesel::insert_into(lpr_rates::table)
        .values((
            lpr_rates::effective_on.eq(p.effective_on),
            lpr_rates::one_year_units.eq(p.one_year.units()),
            lpr_rates::five_year_units.eq(p.five_year.units()),
        ))
        .execute(conn)?;
    Ok(true)
}

/// A stored policy: its id and what was written (`NewPolicy`).
#[derive(Clone, Debug, Queryable, Selectable)]
#[diesel(table_name = policies)]
pub struct PolicyRow {
    pub id: i64,
    #[diesel(embed)]
    pub fields: NewPolicy,
}

#[derive(Clone, Debug, Queryable, Selectable, Insertable)]
#[diesel(table_name = policies)]
pub struct NewPolicy {
    pub owner_org_id: i64,
    pub region_prefix: Option<String>,
    pub name: String,
    pub kind: PolicyKind,
    pub effective_from: NaiveDate,
    pub effective_to: Option<NaiveDate>,
    pub budget_fen: i64,
    pub eligibility: JsonText<PolicyEligibility>,
    pub rule: JsonText<StoredRule>,
    pub status: PolicyStatus,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

pub fn insert_policy(conn: &mut DbConnection, p: &NewPolicy) -> QueryResult<PolicyRow> {
    crate::on_backend!(conn, c => diesel::insert_into(policies::table)
        .values(p)
        .returning(PolicyRow::as_returning())
        .get_result(c))
}

pub fn find_policy(conn: &mut DbConnection, id: i64) -> QueryResult<Option<PolicyRow>> {
    policies::table
        .find(id)
        .select(PolicyRow::as_select())
        .first(conn)
        .optional()
}

/// Serialises approvals of one policy: a row lock on PostgreSQL; on SQLite the write
/// transaction (BEGIN IMMEDIATE) already holds the database's single write lock.
pub fn lock_policy(conn: &mut DbConnection, id: i64) -> QueryResult<()> {
    match conn {
        super::DbConnection::Postgres(c) => {
            policies::table
                .find(id)
                .select(policies::id)
                .for_update()
                .first::<i64>(c)?;
        }
        super::DbConnection::Sqlite(_) => {}
    }
    Ok(())
}

/// Serialises the claims of one loan: whoever files a claim takes this lock before looking
/// for an overlapping one, so two concurrent identical claims cannot both find none (READ
/// COMMITTED would let them). SQLite's write transaction already holds the one write lock.
pub fn lock_claims_of_loan(conn: &mut DbConnection, loan_id: i64) -> QueryResult<()> {
    use super::schema::loans;
    match conn {
        super::DbConnection::Postgres(c) => {
            loans::table
                .find(loan_id)
                .select(loans::id)
                .for_update()
                .first::<i64>(c)?;
        }
        super::DbConnection::Sqlite(_) => {}
    }
    Ok(())
}

pub fn list_policies(
    conn: &mut DbConnection,
    kind: Option<&str>,
    status: Option<&str>,
    region: Option<&str>,
    after_id: Option<i64>,
    limit: i64,
) -> QueryResult<Vec<PolicyRow>> {
    let mut q = policies::table.select(PolicyRow::as_select()).into_boxed();
    if let Some(k) = kind {
        q = q.filter(policies::kind.eq(k.to_owned()));
    }
    if let Some(s) = status {
        q = q.filter(policies::status.eq(s.to_owned()));
    }
    if let Some(p) = region {
        q = q.filter(super::overlapping_region!(policies::region_prefix, p));
    }
    if let Some(a) = after_id {
        q = q.filter(policies::id.gt(a));
    }
    q.order(policies::id.asc()).limit(limit + 1).load(conn)
}

/// Policies whose rule predates `StoredRule` (it held the normalised request body): id, kind
/// and the raw text. serde writes `version` first, so the stored form starts with it.
pub fn legacy_rules(conn: &mut DbConnection) -> QueryResult<Vec<(i64, PolicyKind, String)>> {
    policies::table
        .filter(policies::rule.not_like("{\"version\":%"))
        .order(policies::id.asc())
        .select((policies::id, policies::kind, policies::rule))
        .load(conn)
}

/// Replaces a legacy rule, only if the row still holds the text that was read.
pub fn replace_legacy_rule(
    conn: &mut DbConnection,
    id: i64,
    old: &str,
    new: StoredRule,
) -> QueryResult<usize> {
    diesel::update(
        policies::table
            .filter(policies::id.eq(id))
            .filter(policies::rule.eq(old)),
    )
    .set(policies::rule.eq(JsonText(new)))
    .execute(conn)
}

/// Replaces a policy's content; owner, region and status stay.
pub fn update_policy(conn: &mut DbConnection, id: i64, p: &NewPolicy) -> QueryResult<()> {
    diesel::update(policies::table.find(id))
        .set((
            policies::name.eq(&p.name),
            policies::kind.eq(&p.kind),
            policies::effective_from.eq(p.effective_from),
            policies::effective_to.eq(p.effective_to),
            policies::budget_fen.eq(p.budget_fen),
            policies::eligibility.eq(&p.eligibility),
            policies::rule.eq(&p.rule),
            policies::updated_at.eq(p.updated_at),
        ))
        .execute(conn)?;
    Ok(())
}

pub fn set_policy_status(
    conn: &mut DbConnection,
    id: i64,
    status: &str,
    now: NaiveDateTime,
) -> QueryResult<()> {
    diesel::update(policies::table.find(id))
        .set((policies::status.eq(status), policies::updated_at.eq(now)))
        .execute(conn)?;
    Ok(())
}

/// A stored claim: what was filed (`NewClaim`) and what its decisions added.
#[derive(Clone, Debug, Queryable, Selectable)]
#[diesel(table_name = sc)]
pub struct ClaimRow {
    pub id: i64,
    #[diesel(embed)]
    pub fields: NewClaim,
    pub reason: Option<String>,
    pub paid_on: Option<NaiveDate>,
    pub payment_reference: Option<String>,
}

#[derive(Clone, Debug, Queryable, Selectable, Insertable)]
#[diesel(table_name = sc)]
pub struct NewClaim {
    pub policy_id: i64,
    /// Absent for an award (`lump_sum_award`, `guarantor_award`).
    pub loan_id: Option<i64>,
    /// Absent for a guarantor award.
    pub enterprise_id: Option<i64>,
    pub payee_org_id: i64,
    /// Absent for a lump-sum award.
    pub period_start: Option<NaiveDate>,
    pub period_end: Option<NaiveDate>,
    pub state: ClaimState,
    pub amount_fen: i64,
    pub breakdown: JsonText<Vec<Step>>,
    pub submitted_by: i64,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

pub fn insert_claim(conn: &mut DbConnection, c: &NewClaim) -> QueryResult<ClaimRow> {
    crate::on_backend!(conn, cc => diesel::insert_into(sc::table)
        .values(c)
        .returning(ClaimRow::as_returning())
        .get_result(cc))
}

pub fn has_claims(conn: &mut DbConnection, policy_id: i64) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(
        sc::table.filter(sc::policy_id.eq(policy_id)),
    ))
    .get_result(conn)
}

/// A live (not rejected) claim for the same loan and policy whose period overlaps.
pub fn overlapping_claim(
    conn: &mut DbConnection,
    policy_id: i64,
    loan_id: i64,
    start: NaiveDate,
    end: NaiveDate,
) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(
        sc::table
            .filter(sc::policy_id.eq(policy_id))
            .filter(sc::loan_id.eq(loan_id))
            .filter(sc::state.ne("rejected"))
            .filter(sc::period_start.lt(end))
            .filter(sc::period_end.gt(start)),
    ))
    .get_result(conn)
}

/// A claim (not rejected) of the loan under the policy overlapping `[start, end)`: its id
/// and period.
pub fn overlapping_claim_of(
    conn: &mut DbConnection,
    policy_id: i64,
    loan_id: i64,
    start: NaiveDate,
    end: NaiveDate,
) -> QueryResult<Option<(i64, NaiveDate, NaiveDate)>> {
    sc::table
        .filter(sc::policy_id.eq(policy_id))
        .filter(sc::loan_id.eq(loan_id))
        .filter(sc::state.ne("rejected"))
        .filter(sc::period_start.lt(end))
        .filter(sc::period_end.gt(start))
        .order(sc::id.asc())
        .select((sc::id, sc::period_start, sc::period_end))
        .first::<(i64, Option<NaiveDate>, Option<NaiveDate>)>(conn)
        .optional()
        .map(|o| o.map(|(id, s, e)| (id, s.unwrap_or(start), e.unwrap_or(end))))
}

/// The live (not rejected) lump-sum claim of an enterprise under a policy.
pub fn lump_sum_claim(
    conn: &mut DbConnection,
    policy_id: i64,
    enterprise_id: i64,
) -> QueryResult<Option<i64>> {
    sc::table
        .filter(sc::policy_id.eq(policy_id))
        .filter(sc::loan_id.is_null())
        .filter(sc::enterprise_id.eq(enterprise_id))
        .filter(sc::state.ne("rejected"))
        .select(sc::id)
        .first(conn)
        .optional()
}

/// A live (not rejected) award claim of a payee under a policy for a period overlapping
/// `[start, end)`.
pub fn overlapping_award(
    conn: &mut DbConnection,
    policy_id: i64,
    payee: i64,
    start: NaiveDate,
    end: NaiveDate,
) -> QueryResult<Option<i64>> {
    sc::table
        .filter(sc::policy_id.eq(policy_id))
        .filter(sc::loan_id.is_null())
        .filter(sc::payee_org_id.eq(payee))
        .filter(sc::state.ne("rejected"))
        .filter(sc::period_start.lt(end))
        .filter(sc::period_end.gt(start))
        .select(sc::id)
        .first(conn)
        .optional()
}

/// A granted claim under another policy: (claim id, policy id, policy name, its eligibility).
pub type GrantedClaim = (i64, i64, String, JsonText<PolicyEligibility>);

/// Approved or paid claims of a loan for a period overlapping `[start, end)` under another
/// policy than `policy_id`.
pub fn other_granted_claims(
    conn: &mut DbConnection,
    policy_id: i64,
    loan_id: i64,
    start: NaiveDate,
    end: NaiveDate,
) -> QueryResult<Vec<GrantedClaim>> {
    sc::table
        .inner_join(policies::table)
        .filter(sc::policy_id.ne(policy_id))
        .filter(sc::loan_id.eq(loan_id))
        .filter(sc::state.eq_any(["approved", "paid"]))
        .filter(sc::period_start.lt(end))
        .filter(sc::period_end.gt(start))
        .order(sc::id.asc())
        .select((sc::id, policies::id, policies::name, policies::eligibility))
        .load(conn)
}

/// Sum approved + paid for a payee under a policy; optionally only for one enterprise and one
/// calendar year of period end.
pub fn paid_or_approved(
    conn: &mut DbConnection,
    policy_id: i64,
    payee: i64,
    enterprise: Option<i64>,
    year: Option<(NaiveDate, NaiveDate)>,
    except: Option<i64>,
) -> QueryResult<i64> {
    let mut q = sc::table
        .filter(sc::policy_id.eq(policy_id))
        .filter(sc::payee_org_id.eq(payee))
        .filter(sc::state.eq_any(["approved", "paid"]))
        .select(sc::amount_fen)
        .into_boxed();
    if let Some(e) = enterprise {
        q = q.filter(sc::enterprise_id.eq(e));
    }
    if let Some((from, to)) = year {
        q = q
            .filter(sc::period_end.ge(from))
            .filter(sc::period_end.le(to));
    }
    if let Some(x) = except {
        q = q.filter(sc::id.ne(x));
    }
    Ok(q.load::<i64>(conn)?.into_iter().sum())
}

/// Everything approved or paid under a policy (its budget use).
pub fn budget_used(conn: &mut DbConnection, policy_id: i64) -> QueryResult<i64> {
    let v: Vec<i64> = sc::table
        .filter(sc::policy_id.eq(policy_id))
        .filter(sc::state.eq_any(["approved", "paid"]))
        .select(sc::amount_fen)
        .load(conn)?;
    Ok(v.into_iter().sum())
}

/// A claim read again by id, after the caller's scope admitted it (`find_visible_claim`) in
/// the same transaction.
pub fn reread_claim(conn: &mut DbConnection, id: i64) -> QueryResult<Option<ClaimRow>> {
    sc::table
        .find(id)
        .select(ClaimRow::as_select())
        .first(conn)
        .optional()
}

/// A claim, if `scope` may see it.
pub fn find_visible_claim(
    conn: &mut DbConnection,
    id: i64,
    scope: &Scope,
) -> QueryResult<Option<ClaimRow>> {
    match reread_claim(conn, id)? {
        Some(c) if claim_visible(conn, &c, scope)? => Ok(Some(c)),
        _ => Ok(None),
    }
}

fn claim_visible(conn: &mut DbConnection, c: &ClaimRow, scope: &Scope) -> QueryResult<bool> {
    Ok(match scope {
        Scope::Everything => true,
        Scope::Enterprise(e) => c.fields.enterprise_id == Some(*e),
        Scope::Guarantor(p) => c.fields.payee_org_id == *p,
        Scope::Nothing => false,
        Scope::Bank(b) => match c.fields.loan_id {
            Some(loan) => {
                use super::schema::loans;
                loans::table
                    .find(loan)
                    .select(loans::bank_id)
                    .first::<i64>(conn)?
                    == *b
            }
            None => false,
        },
        // An enterprise's claims follow its region; a guarantor award, its policy's.
        Scope::Region(prefix) => match c.fields.enterprise_id {
            Some(e) => organizations::table
                .find(e)
                .select(organizations::region_code)
                .first::<Option<String>>(conn)?,
            None => policies::table
                .find(c.fields.policy_id)
                .select(policies::region_prefix)
                .first::<Option<String>>(conn)?,
        }
        .is_some_and(|r| r.starts_with(prefix.as_str())),
    })
}

pub fn list_claims(
    conn: &mut DbConnection,
    scope: &Scope,
    policy_id: Option<i64>,
    state: Option<&str>,
    after_id: Option<i64>,
    limit: i64,
) -> QueryResult<Vec<ClaimRow>> {
    use super::schema::loans;
    let mut q = sc::table.select(ClaimRow::as_select()).into_boxed();
    q = match scope {
        Scope::Everything => q,
        Scope::Enterprise(e) => q.filter(sc::enterprise_id.eq(*e)),
        Scope::Guarantor(p) => q.filter(sc::payee_org_id.eq(*p)),
        Scope::Nothing => q.filter(sc::id.lt(0)),
        Scope::Bank(b) => q.filter(
            sc::loan_id.eq_any(
                loans::table
                    .filter(loans::bank_id.eq(*b))
                    .select(loans::id.nullable()),
            ),
        ),
        Scope::Region(p) => q.filter(in_region(p)),
    };
    if let Some(p) = policy_id {
        q = q.filter(sc::policy_id.eq(p));
    }
    if let Some(s) = state {
        q = q.filter(sc::state.eq(s.to_owned()));
    }
    if let Some(a) = after_id {
        q = q.filter(sc::id.gt(a));
    }
    q.order(sc::id.asc()).limit(limit + 1).load(conn)
}

/// Claims in region `prefix`: an enterprise's by its region, a guarantor award (no enterprise)
/// by its policy's region.
pub fn in_region(
    prefix: &str,
) -> Box<dyn BoxableExpression<sc::table, MultiBackend, SqlType = diesel::sql_types::Bool>> {
    let like = format!("{prefix}%");
    Box::new(
        sc::enterprise_id
            .eq_any(
                organizations::table
                    .filter(organizations::region_code.like(like.clone()))
                    .select(organizations::id.nullable()),
            )
            .or(sc::enterprise_id.is_null().and(
                sc::policy_id.eq_any(
                    policies::table
                        .filter(policies::region_prefix.like(like))
                        .select(policies::id),
                ),
            ))
            .assume_not_null(),
    )
}

/// Moves a claim from `from` to `to` with the given fields; false if it was no longer in `from`.
#[allow(clippy::too_many_arguments)]
pub fn move_claim(
    conn: &mut DbConnection,
    id: i64,
    from: &str,
    to: &str,
    amount_fen: Option<i64>,
    breakdown: Option<&str>,
    reason: Option<&str>,
    paid: Option<(NaiveDate, &str)>,
    now: NaiveDateTime,
) -> QueryResult<bool> {
    let target = sc::table.filter(sc::id.eq(id)).filter(sc::state.eq(from));
    let n = diesel::update(target)
        .set((
            sc::state.eq(to),
            sc::updated_at.eq(now),
            amount_fen.map(|a| sc::amount_fen.eq(a)),
            breakdown.map(|b| sc::breakdown.eq(b)),
            reason.map(|r| sc::reason.eq(Some(r))),
            paid.map(|(d, _)| sc::paid_on.eq(Some(d))),
            paid.map(|(_, r)| sc::payment_reference.eq(Some(r))),
        ))
        .execute(conn)?;
    Ok(n == 1)
}
