//! Risk scheme storage (SPEC §3.15): schemes with their enrolled principal, enrollments, and
//! the atomic enrollment that never exceeds a scheme's capacity.

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;

use super::schema::{compensation_claims, loan_events, risk_enrollments, risk_schemes};
use super::types::JsonText;
use super::DbConnection;
use crate::domain::risk::{CompensationState, SchemeKind};
use crate::domain::scope::Scope;
use crate::domain::servicing::LoanEventKind;
use crate::domain::subsidy::PolicyEligibility;
use crate::domain::subsidy::Step;

#[derive(Clone, Debug, Queryable, Selectable)]
#[diesel(table_name = risk_schemes)]
pub struct SchemeRow {
    pub id: i64,
    #[diesel(embed)]
    pub fields: NewScheme,
    pub enrolled_fen: i64,
    /// Compensation approved or paid.
    pub committed_fen: i64,
    pub paid_fen: i64,
    /// What recoveries returned to the pool.
    pub recovered_fen: i64,
}

#[derive(Clone, Debug, Queryable, Selectable, Insertable)]
#[diesel(table_name = risk_schemes)]
pub struct NewScheme {
    pub name: String,
    pub kind: SchemeKind,
    pub region_prefix: Option<String>,
    pub capital_fen: i64,
    pub leverage_units: i64,
    pub capacity_fen: i64,
    pub government_units: i64,
    pub guarantor_units: i64,
    pub reguarantor_units: i64,
    pub bank_units: i64,
    pub bonus_first_loan_units: i64,
    pub bonus_credit_units: i64,
    pub max_compensation_units: i64,
    pub per_loan_cap_fen: Option<i64>,
    pub eligibility: JsonText<PolicyEligibility>,
    pub effective_from: NaiveDate,
    pub effective_to: Option<NaiveDate>,
    pub created_by_org: i64,
    pub created_at: NaiveDateTime,
}

#[derive(Clone, Debug, Queryable, Selectable)]
#[diesel(table_name = risk_enrollments)]
pub struct EnrollmentRow {
    pub id: i64,
    #[diesel(embed)]
    pub fields: NewEnrollment,
}

#[derive(Clone, Debug, Queryable, Selectable, Insertable)]
#[diesel(table_name = risk_enrollments)]
pub struct NewEnrollment {
    pub scheme_id: i64,
    pub loan_id: i64,
    pub enterprise_id: i64,
    pub bank_id: i64,
    pub guarantor_id: Option<i64>,
    pub principal_fen: i64,
    pub enrolled_by_org: i64,
    pub created_at: NaiveDateTime,
}

pub fn insert_scheme(conn: &mut DbConnection, s: &NewScheme) -> QueryResult<SchemeRow> {
    crate::on_backend!(conn, c => diesel::insert_into(risk_schemes::table)
        .values(s)
        .returning(SchemeRow::as_returning())
        .get_result(c))
}

pub fn scheme(conn: &mut DbConnection, id: i64) -> QueryResult<Option<SchemeRow>> {
    risk_schemes::table
        .find(id)
        .select(SchemeRow::as_select())
        .first(conn)
        .optional()
}

/// A page of schemes, those overlapping `region` when given.
pub fn schemes(
    conn: &mut DbConnection,
    region: Option<&str>,
    after_id: Option<i64>,
    limit: i64,
) -> QueryResult<Vec<SchemeRow>> {
    let mut q = risk_schemes::table
        .filter(risk_schemes::id.gt(after_id.unwrap_or(0)))
        .into_boxed();
    if let Some(p) = region {
        q = q.filter(super::overlapping_region!(risk_schemes::region_prefix, p));
    }
    q.order(risk_schemes::id.asc())
        .limit(limit + 1)
        .select(SchemeRow::as_select())
        .load(conn)
}

/// Adds `principal_fen` to the scheme's enrolled principal if it stays within its capacity:
/// one conditional update, so of concurrent enrollments only those that fit succeed.
pub fn take_capacity(
    conn: &mut DbConnection,
    scheme_id: i64,
    principal_fen: i64,
) -> QueryResult<bool> {
    let n = diesel::update(
        risk_schemes::table
            .filter(risk_schemes::id.eq(scheme_id))
            .filter((risk_schemes::enrolled_fen + principal_fen).le(risk_schemes::capacity_fen)),
    )
    .set(risk_schemes::enrolled_fen.eq(risk_schemes::enrolled_fen + principal_fen))
    .execute(conn)?;
    Ok(n == 1)
}

/// A loan's outstanding principal moved by `delta_fen` (a repayment, a write-off, a renewal):
/// every scheme it is enrolled in follows, so repaid principal frees capacity.
pub fn follow_outstanding(
    conn: &mut DbConnection,
    loan_id: i64,
    delta_fen: i64,
) -> QueryResult<usize> {
    if delta_fen == 0 {
        return Ok(0);
    }
    diesel::update(
        risk_schemes::table.filter(
            risk_schemes::id.eq_any(
                risk_enrollments::table
                    .filter(risk_enrollments::loan_id.eq(loan_id))
                    .select(risk_enrollments::scheme_id),
            ),
        ),
    )
    .set(risk_schemes::enrolled_fen.eq(risk_schemes::enrolled_fen + delta_fen))
    .execute(conn)
}

/// Inserts an enrollment; `Ok(None)` when the loan is already enrolled in the scheme.
pub fn insert_enrollment(
    conn: &mut DbConnection,
    e: &NewEnrollment,
) -> QueryResult<Option<EnrollmentRow>> {
    super::unless_duplicate(
        crate::on_backend!(conn, c => diesel::insert_into(risk_enrollments::table)
        .values(e)
        .returning(EnrollmentRow::as_returning())
        .get_result(c)),
    )
}

/// A scheme's enrollments `scope` may see: offices and the admin all of them (the scheme is
/// theirs to supervise), a bank or guarantor those of its loans, an enterprise its own.
pub fn enrollments(
    conn: &mut DbConnection,
    scheme_id: i64,
    scope: &Scope,
    after_id: Option<i64>,
    limit: i64,
) -> QueryResult<Vec<EnrollmentRow>> {
    let mut q = risk_enrollments::table
        .filter(risk_enrollments::scheme_id.eq(scheme_id))
        .filter(risk_enrollments::id.gt(after_id.unwrap_or(0)))
        .into_boxed();
    q = match scope {
        Scope::Everything => q,
        Scope::Region(p) => q.filter(
            risk_enrollments::enterprise_id.eq_any(
                super::schema::organizations::table
                    .filter(super::schema::organizations::region_code.like(format!("{p}%")))
                    .select(super::schema::organizations::id),
            ),
        ),
        Scope::Bank(b) => q.filter(risk_enrollments::bank_id.eq(*b)),
        Scope::Guarantor(g) => q.filter(risk_enrollments::guarantor_id.eq(*g)),
        Scope::Enterprise(e) => q.filter(risk_enrollments::enterprise_id.eq(*e)),
        Scope::Nothing => q.filter(risk_enrollments::id.lt(0)),
    };
    q.order(risk_enrollments::id.asc())
        .limit(limit + 1)
        .select(EnrollmentRow::as_select())
        .load(conn)
}

#[derive(Clone, Debug, Queryable, Selectable)]
#[diesel(table_name = compensation_claims)]
pub struct ClaimRow {
    pub id: i64,
    #[diesel(embed)]
    pub fields: NewClaim,
    pub reject_reason: Option<String>,
    pub paid_on: Option<NaiveDate>,
    pub reference: Option<String>,
    pub recovered_fen: i64,
    pub returned_fen: i64,
    pub updated_at: NaiveDateTime,
}

#[derive(Clone, Debug, Queryable, Selectable, Insertable)]
#[diesel(table_name = compensation_claims)]
pub struct NewClaim {
    pub scheme_id: i64,
    pub enrollment_id: i64,
    pub loan_id: i64,
    pub enterprise_id: i64,
    pub bank_id: i64,
    pub guarantor_id: Option<i64>,
    pub claimant_org_id: i64,
    pub state: CompensationState,
    pub loss_principal_fen: i64,
    pub base_fen: i64,
    pub amount_fen: i64,
    pub breakdown: JsonText<Vec<Step>>,
    pub created_at: NaiveDateTime,
}

pub fn enrollment(conn: &mut DbConnection, id: i64) -> QueryResult<Option<EnrollmentRow>> {
    risk_enrollments::table
        .find(id)
        .select(EnrollmentRow::as_select())
        .first(conn)
        .optional()
}

/// The loan's outstanding principal when it was classified `npl` (its first `npl` event).
pub fn npl_outstanding(conn: &mut DbConnection, loan_id: i64) -> QueryResult<Option<i64>> {
    loan_events::table
        .filter(loan_events::loan_id.eq(loan_id))
        .filter(loan_events::kind.eq(LoanEventKind::Npl))
        .order(loan_events::id.asc())
        .select(loan_events::outstanding_after_fen)
        .first(conn)
        .optional()
}

/// Inserts a submitted claim; `Ok(None)` when the enrollment already has one.
pub fn insert_claim(conn: &mut DbConnection, c: &NewClaim) -> QueryResult<Option<ClaimRow>> {
    super::unless_duplicate(
        crate::on_backend!(conn, c2 => diesel::insert_into(compensation_claims::table)
        .values((c, compensation_claims::updated_at.eq(c.created_at)))
        .returning(ClaimRow::as_returning())
        .get_result(c2)),
    )
}

pub fn claim(conn: &mut DbConnection, id: i64) -> QueryResult<Option<ClaimRow>> {
    compensation_claims::table
        .find(id)
        .select(ClaimRow::as_select())
        .first(conn)
        .optional()
}

/// The claims `scope` may see: the claimant's bank or guarantor, the enterprise, an office of
/// the enterprise's region, the admin.
/// Which claims: one by id, or those of a scheme or in a state; a page after `after_id`.
#[derive(Default)]
pub struct ClaimFilter {
    pub id: Option<i64>,
    pub scheme_id: Option<i64>,
    pub state: Option<CompensationState>,
    pub after_id: Option<i64>,
    pub limit: i64,
}

pub fn visible_claims(
    conn: &mut DbConnection,
    scope: &Scope,
    f: ClaimFilter,
) -> QueryResult<Vec<ClaimRow>> {
    let mut q = compensation_claims::table
        .filter(compensation_claims::id.gt(f.after_id.unwrap_or(0)))
        .into_boxed();
    if let Some(id) = f.id {
        q = q.filter(compensation_claims::id.eq(id));
    }
    if let Some(s) = f.scheme_id {
        q = q.filter(compensation_claims::scheme_id.eq(s));
    }
    if let Some(s) = f.state {
        q = q.filter(compensation_claims::state.eq(s.as_str()));
    }
    q = match scope {
        Scope::Everything => q,
        Scope::Region(p) => q.filter(
            compensation_claims::enterprise_id.eq_any(
                super::schema::organizations::table
                    .filter(super::schema::organizations::region_code.like(format!("{p}%")))
                    .select(super::schema::organizations::id),
            ),
        ),
        Scope::Bank(b) => q.filter(compensation_claims::bank_id.eq(*b)),
        Scope::Guarantor(g) => q.filter(compensation_claims::guarantor_id.eq(*g)),
        Scope::Enterprise(e) => q.filter(compensation_claims::enterprise_id.eq(*e)),
        Scope::Nothing => q.filter(compensation_claims::id.lt(0)),
    };
    q.order(compensation_claims::id.asc())
        .limit(f.limit + 1)
        .select(ClaimRow::as_select())
        .load(conn)
}

/// What a claim's transition writes besides the state.
#[derive(Default, AsChangeset)]
#[diesel(table_name = compensation_claims)]
pub struct ClaimChange {
    pub reject_reason: Option<String>,
    pub paid_on: Option<NaiveDate>,
    pub reference: Option<String>,
}

/// Moves a claim from `from` to `to` if it is still `from`.
pub fn move_claim(
    conn: &mut DbConnection,
    id: i64,
    from: CompensationState,
    to: CompensationState,
    change: &ClaimChange,
    now: NaiveDateTime,
) -> QueryResult<bool> {
    let n = diesel::update(
        compensation_claims::table
            .filter(compensation_claims::id.eq(id))
            .filter(compensation_claims::state.eq(from)),
    )
    .set((
        compensation_claims::state.eq(to),
        compensation_claims::updated_at.eq(now),
        change,
    ))
    .execute(conn)?;
    Ok(n == 1)
}

/// Takes `amount_fen` from the scheme's balance if it fits: one conditional update, so two
/// approvals never overdraw it.
pub fn commit_from_balance(
    conn: &mut DbConnection,
    scheme_id: i64,
    amount_fen: i64,
) -> QueryResult<bool> {
    let n = diesel::update(
        risk_schemes::table
            .filter(risk_schemes::id.eq(scheme_id))
            .filter(
                (risk_schemes::committed_fen + amount_fen)
                    .le(risk_schemes::capital_fen + risk_schemes::recovered_fen),
            ),
    )
    .set(risk_schemes::committed_fen.eq(risk_schemes::committed_fen + amount_fen))
    .execute(conn)?;
    Ok(n == 1)
}

pub fn record_paid(conn: &mut DbConnection, scheme_id: i64, amount_fen: i64) -> QueryResult<()> {
    diesel::update(risk_schemes::table.find(scheme_id))
        .set(risk_schemes::paid_fen.eq(risk_schemes::paid_fen + amount_fen))
        .execute(conn)?;
    Ok(())
}

/// A recovery on a paid claim: the claim records it, the pool gets `returned_fen` back.
pub fn record_recovery(
    conn: &mut DbConnection,
    claim: &ClaimRow,
    recovered_fen: i64,
    returned_fen: i64,
    now: NaiveDateTime,
) -> QueryResult<()> {
    diesel::update(compensation_claims::table.find(claim.id))
        .set((
            compensation_claims::recovered_fen
                .eq(compensation_claims::recovered_fen + recovered_fen),
            compensation_claims::returned_fen.eq(compensation_claims::returned_fen + returned_fen),
            compensation_claims::updated_at.eq(now),
        ))
        .execute(conn)?;
    diesel::update(risk_schemes::table.find(claim.fields.scheme_id))
        .set(risk_schemes::recovered_fen.eq(risk_schemes::recovered_fen + returned_fen))
        .execute(conn)?;
    Ok(())
}

/// Locks a claim row for the rest of the transaction (PostgreSQL; SQLite's writer lock does).
pub fn lock_claim(conn: &mut DbConnection, id: i64) -> QueryResult<Option<ClaimRow>> {
    match conn {
        DbConnection::Postgres(c) => compensation_claims::table
            .find(id)
            .select(ClaimRow::as_select())
            .for_no_key_update()
            .first(c)
            .optional(),
        DbConnection::Sqlite(c) => compensation_claims::table
            .find(id)
            .select(ClaimRow::as_select())
            .first(c)
            .optional(),
    }
}

/// The loans enrolled in `scheme_id` whose enterprise lies in `scope`'s report region,
/// disbursed within `[from, to]` (both optional).
pub fn enrolled_loans(
    conn: &mut DbConnection,
    scheme_id: i64,
    scope: &Scope,
    from: Option<NaiveDate>,
    to: Option<NaiveDate>,
) -> QueryResult<Vec<crate::db::matches::LoanRow>> {
    use super::schema::{loans, organizations};
    let mut q = risk_enrollments::table
        .inner_join(loans::table.on(loans::id.eq(risk_enrollments::loan_id)))
        .filter(risk_enrollments::scheme_id.eq(scheme_id))
        .select(crate::db::matches::LoanRow::as_select())
        .into_boxed();
    match scope.report_region() {
        Some(None) => {}
        Some(Some(p)) => {
            q = q.filter(
                risk_enrollments::enterprise_id.eq_any(
                    organizations::table
                        .filter(organizations::region_code.like(format!("{p}%")))
                        .select(organizations::id),
                ),
            )
        }
        None => q = q.filter(risk_enrollments::id.lt(0)),
    }
    if let Some(f) = from {
        q = q.filter(loans::disbursed_on.ge(f));
    }
    if let Some(t) = to {
        q = q.filter(loans::disbursed_on.le(t));
    }
    q.order(loans::id.asc()).load(conn)
}

/// Per compensation claim of `scheme_id` in `scope`'s report region: (state, base, amount,
/// what its recoveries returned to the pool).
pub fn claim_amounts(
    conn: &mut DbConnection,
    scheme_id: i64,
    scope: &Scope,
) -> QueryResult<Vec<(CompensationState, i64, i64, i64)>> {
    use super::schema::organizations;
    let mut q = compensation_claims::table
        .filter(compensation_claims::scheme_id.eq(scheme_id))
        .select((
            compensation_claims::state,
            compensation_claims::base_fen,
            compensation_claims::amount_fen,
            compensation_claims::returned_fen,
        ))
        .into_boxed();
    match scope.report_region() {
        Some(None) => {}
        Some(Some(p)) => {
            q = q.filter(
                compensation_claims::enterprise_id.eq_any(
                    organizations::table
                        .filter(organizations::region_code.like(format!("{p}%")))
                        .select(organizations::id),
                ),
            )
        }
        None => q = q.filter(compensation_claims::id.lt(0)),
    }
    q.load(conn)
}
