//! Risk scheme storage (SPEC §3.15): schemes with their enrolled principal, enrollments, and
//! the atomic enrollment that never exceeds a scheme's capacity.

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;

use super::schema::{risk_enrollments, risk_schemes};
use super::types::JsonText;
use super::DbConnection;
use crate::domain::risk::SchemeKind;
use crate::domain::scope::Scope;
use crate::domain::subsidy::PolicyEligibility;

#[derive(Clone, Debug, Queryable, Selectable)]
#[diesel(table_name = risk_schemes)]
pub struct SchemeRow {
    pub id: i64,
    #[diesel(embed)]
    pub fields: NewScheme,
    pub enrolled_fen: i64,
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

pub fn schemes(
    conn: &mut DbConnection,
    after_id: Option<i64>,
    limit: i64,
) -> QueryResult<Vec<SchemeRow>> {
    risk_schemes::table
        .filter(risk_schemes::id.gt(after_id.unwrap_or(0)))
        .order(risk_schemes::id.asc())
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
