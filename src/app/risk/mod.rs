//! Risk schemes (风险分担 / 风险补偿资金池, SPEC §3.15): publishing a scheme and enrolling loans
//! in it without ever exceeding its capacity; compensation claims paid from its balance are
//! `claims`. The rules and the arithmetic are `domain::risk`.

mod claims;

pub use claims::{
    approve, get_claim, list_claims, pay, recover, reject, submit, CompensationClaimView,
    CompensationRecovery, PayCompensationClaim, RejectCompensationClaim, SubmitCompensationClaim,
};

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::caller::Caller;
use super::clock;
use super::effects::Receipt;
use super::error::{AppError, AppResult, FieldError, ProblemCode, Validator};
use crate::db::risk::{self as repo, EnrollmentRow, NewEnrollment, NewScheme, SchemeRow};
use crate::db::{self, DbConnection, JsonText};
use crate::domain::date::rfc3339;
use crate::domain::money::Money;
use crate::domain::org::Role;
use crate::domain::rate::Rate;
use crate::domain::region::is_region_prefix;
use crate::domain::risk::{capacity, terms_refusals, BonusPoints, SchemeKind, Shares, Terms};
use crate::domain::servicing::LoanStatus;
use crate::domain::subsidy::{policy_reasons, PolicyEligibility};

/// Each party's share of a loss, percent (summing to 100).
#[derive(Debug, Clone, Copy, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SharesBody {
    #[schema(value_type = Rate, example = "10")]
    pub government: Rate,
    #[schema(value_type = Rate, example = "40")]
    pub guarantor: Rate,
    #[schema(value_type = Rate, example = "30")]
    pub reguarantor: Rate,
    #[schema(value_type = Rate, example = "20")]
    pub bank: Rate,
}

/// Points added to the government's share for a 首贷 loan and for a credit loan.
#[derive(Debug, Clone, Copy, Default, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BonusBody {
    #[serde(default)]
    #[schema(value_type = Rate, example = "5")]
    pub first_loan: Rate,
    #[serde(default)]
    #[schema(value_type = Rate, example = "5")]
    pub credit: Rate,
}

#[derive(Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateScheme {
    #[schema(example = "安徽省政银担风险分担")]
    pub name: String,
    pub kind: SchemeKind,
    /// Region the scheme serves (a finance office's own region when omitted by one).
    pub region_prefix: Option<String>,
    #[schema(value_type = Money, example = "10000000.00")]
    pub capital: Money,
    /// 放大倍数: enrolled principal may reach capital × leverage. A decimal string, 1 to 100.
    #[schema(pattern = r"^(0|[1-9][0-9]{0,2})(\.[0-9]{1,4})?$", example = "10")]
    pub leverage: String,
    pub shares: SharesBody,
    #[serde(default)]
    pub bonus_points: BonusBody,
    /// Caps the government's share plus bonuses, percent (e.g. "80").
    #[schema(value_type = Rate, example = "80")]
    pub max_compensation_percent: Rate,
    #[schema(value_type = Option<Money>)]
    pub per_loan_cap: Option<Money>,
    #[serde(default)]
    pub eligibility: PolicyEligibility,
    #[serde(deserialize_with = "crate::domain::date::strict")]
    pub effective_from: NaiveDate,
    #[serde(default, deserialize_with = "crate::domain::date::strict_opt")]
    pub effective_to: Option<NaiveDate>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SchemeView {
    pub id: i64,
    pub name: String,
    pub kind: SchemeKind,
    pub region_prefix: Option<String>,
    #[schema(value_type = Money)]
    pub capital: Money,
    #[schema(example = "10")]
    pub leverage: String,
    /// capital × leverage.
    #[schema(value_type = Money)]
    pub capacity: Money,
    /// Outstanding principal of the loans enrolled: each counted as outstanding when enrolled,
    /// less what was repaid, written off or renewed since (which frees capacity).
    #[schema(value_type = Money)]
    pub enrolled: Money,
    /// capital − compensation approved or paid + what recoveries returned.
    #[schema(value_type = Money)]
    pub balance: Money,
    /// Compensation paid.
    #[schema(value_type = Money)]
    pub paid: Money,
    /// What recoveries returned to the pool.
    #[schema(value_type = Money)]
    pub recovered: Money,
    pub shares: SharesBody,
    pub bonus_points: BonusBody,
    #[schema(value_type = Rate)]
    pub max_compensation_percent: Rate,
    #[schema(value_type = Option<Money>)]
    pub per_loan_cap: Option<Money>,
    pub eligibility: PolicyEligibility,
    pub effective_from: NaiveDate,
    pub effective_to: Option<NaiveDate>,
    #[schema(format = DateTime)]
    pub created_at: String,
}

impl SchemeView {
    pub fn new(s: SchemeRow) -> Self {
        let x = s.fields;
        SchemeView {
            id: s.id,
            name: x.name,
            kind: x.kind,
            region_prefix: x.region_prefix,
            capital: Money::from_fen(x.capital_fen),
            leverage: Rate::from_units(x.leverage_units)
                .percent()
                .normalize()
                .to_string(),
            capacity: Money::from_fen(x.capacity_fen),
            enrolled: Money::from_fen(s.enrolled_fen),
            balance: Money::from_fen(x.capital_fen - s.committed_fen + s.recovered_fen),
            paid: Money::from_fen(s.paid_fen),
            recovered: Money::from_fen(s.recovered_fen),
            shares: SharesBody {
                government: Rate::from_units(x.government_units),
                guarantor: Rate::from_units(x.guarantor_units),
                reguarantor: Rate::from_units(x.reguarantor_units),
                bank: Rate::from_units(x.bank_units),
            },
            bonus_points: BonusBody {
                first_loan: Rate::from_units(x.bonus_first_loan_units),
                credit: Rate::from_units(x.bonus_credit_units),
            },
            max_compensation_percent: Rate::from_units(x.max_compensation_units),
            per_loan_cap: x.per_loan_cap_fen.map(Money::from_fen),
            eligibility: x.eligibility.into_inner(),
            effective_from: x.effective_from,
            effective_to: x.effective_to,
            created_at: rfc3339(x.created_at),
        }
    }
}

#[derive(Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Enroll {
    pub loan_id: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct EnrollmentView {
    pub id: i64,
    pub scheme_id: i64,
    pub loan_id: i64,
    pub enterprise_id: i64,
    pub bank_id: i64,
    pub guarantor_id: Option<i64>,
    /// The loan's outstanding principal when enrolled.
    #[schema(value_type = Money)]
    pub principal: Money,
    pub enrolled_by_org: i64,
    #[schema(format = DateTime)]
    pub created_at: String,
}

impl EnrollmentView {
    pub fn new(e: EnrollmentRow) -> Self {
        let x = e.fields;
        EnrollmentView {
            id: e.id,
            scheme_id: x.scheme_id,
            loan_id: x.loan_id,
            enterprise_id: x.enterprise_id,
            bank_id: x.bank_id,
            guarantor_id: x.guarantor_id,
            principal: Money::from_fen(x.principal_fen),
            enrolled_by_org: x.enrolled_by_org,
            created_at: rfc3339(x.created_at),
        }
    }
}

/// A stored scheme's terms, as `domain::risk` computes with them.
fn stored_terms(s: &NewScheme) -> Terms {
    Terms {
        shares: Shares {
            government: Rate::from_units(s.government_units),
            guarantor: Rate::from_units(s.guarantor_units),
            reguarantor: Rate::from_units(s.reguarantor_units),
            bank: Rate::from_units(s.bank_units),
        },
        bonus_points: BonusPoints {
            first_loan: Rate::from_units(s.bonus_first_loan_units),
            credit: Rate::from_units(s.bonus_credit_units),
        },
        max_compensation_percent: Rate::from_units(s.max_compensation_units),
        per_loan_cap: s.per_loan_cap_fen.map(Money::from_fen),
    }
}

fn terms(b: &CreateScheme) -> Terms {
    Terms {
        shares: Shares {
            government: b.shares.government,
            guarantor: b.shares.guarantor,
            reguarantor: b.shares.reguarantor,
            bank: b.shares.bank,
        },
        bonus_points: BonusPoints {
            first_loan: b.bonus_points.first_loan,
            credit: b.bonus_points.credit,
        },
        max_compensation_percent: b.max_compensation_percent,
        per_loan_cap: b.per_loan_cap,
    }
}

/// Publishes a scheme (finance office for its region, admin). Every broken rule is listed.
pub fn create_scheme<R: Receipt<SchemeView>>(
    conn: &mut DbConnection,
    auth: &Caller,
    body: CreateScheme,
    receipt: R,
) -> AppResult<R::Out> {
    auth.require(&[Role::FinanceOffice, Role::Admin])?;
    let mut v = Validator::default();
    v.name("name", &body.name);
    v.check(!body.capital.is_zero(), "capital", "must be greater than 0");
    let leverage = Rate::parse(&body.leverage).ok().map(Rate::percent);
    v.check(
        leverage.is_some_and(|l| l >= Decimal::ONE),
        "leverage",
        "must be a decimal string from 1 to 100",
    );
    if let Some(p) = &body.region_prefix {
        v.check(
            is_region_prefix(p),
            "region_prefix",
            "is not a region prefix",
        );
    }
    if let Some(to) = body.effective_to {
        v.check(
            to >= body.effective_from,
            "effective_to",
            "must not precede effective_from",
        );
    }
    for (field, message) in terms_refusals(&terms(&body)) {
        v.check(false, field, message);
    }
    v.finish()?;
    let leverage = leverage.unwrap_or(Decimal::ONE);
    let region_prefix = auth.published_region(body.region_prefix.clone())?;
    let units = |r: Rate| r.units();
    let row = NewScheme {
        name: body.name.clone(),
        kind: body.kind,
        region_prefix,
        capital_fen: body.capital.fen(),
        leverage_units: Rate::from_percent(leverage).map_or(10_000, units),
        capacity_fen: capacity(body.capital, leverage).fen(),
        government_units: units(body.shares.government),
        guarantor_units: units(body.shares.guarantor),
        reguarantor_units: units(body.shares.reguarantor),
        bank_units: units(body.shares.bank),
        bonus_first_loan_units: units(body.bonus_points.first_loan),
        bonus_credit_units: units(body.bonus_points.credit),
        max_compensation_units: units(body.max_compensation_percent),
        per_loan_cap_fen: body.per_loan_cap.map(Money::fen),
        eligibility: JsonText(body.eligibility.clone()),
        effective_from: body.effective_from,
        effective_to: body.effective_to,
        created_by_org: auth.org_id,
        created_at: clock::now(),
    };
    conn.write_transaction(|conn| {
        let s = repo::insert_scheme(conn, &row)?;
        receipt.record(conn, SchemeView::new(s))
    })
}

/// A page of schemes; with `region_prefix`, those that concern that region (national ones,
/// the province's, the region's own and those inside it).
pub fn list_schemes(
    conn: &mut DbConnection,
    region_prefix: Option<String>,
    after_id: Option<i64>,
    limit: i64,
) -> AppResult<Vec<SchemeRow>> {
    let region = super::query::region_prefix(region_prefix)?;
    Ok(repo::schemes(conn, region.as_deref(), after_id, limit)?)
}

pub fn get_scheme(conn: &mut DbConnection, id: i64) -> AppResult<SchemeView> {
    let s = repo::scheme(conn, id)?.ok_or_else(|| AppError::not_found("risk scheme"))?;
    Ok(SchemeView::new(s))
}

/// Enrolls a loan (its bank or guarantor, an office of its region, the admin): the loan must be
/// `current` and eligible (every failing reason listed, 422 `not_eligible`); its outstanding
/// principal is taken from the scheme's capacity atomically (409 `scheme_capacity_exceeded`
/// when it does not fit; concurrent enrollments never exceed it); once per loan and scheme
/// (409 `conflict`).
pub fn enroll<R: Receipt<EnrollmentView>>(
    conn: &mut DbConnection,
    auth: &Caller,
    scheme_id: i64,
    body: Enroll,
    receipt: R,
) -> AppResult<R::Out> {
    auth.require(&[
        Role::Bank,
        Role::Guarantor,
        Role::FinanceOffice,
        Role::Admin,
    ])?;
    conn.write_transaction(|conn| {
        let scheme =
            repo::scheme(conn, scheme_id)?.ok_or_else(|| AppError::not_found("risk scheme"))?;
        let loan = db::matches::find_loan(conn, body.loan_id, &auth.scope)?
            .ok_or_else(|| AppError::not_found("loan"))?;
        let mut errors = Vec::new();
        if loan.servicing.status != LoanStatus::Current {
            errors.push(FieldError {
                field: "loan_id".into(),
                message: format!("the loan is {}, not current", loan.servicing.status),
                message_zh: None,
            });
        }
        let case = crate::app::subsidies::quote::case_from_loan(conn, &loan)?;
        let who = case.beneficiary();
        let s = &scheme.fields;
        for reason in policy_reasons(
            &s.eligibility,
            s.effective_from,
            s.effective_to,
            s.region_prefix.as_deref(),
            &case.loan,
            &who,
            None,
        ) {
            errors.push(FieldError::said("loan_id", reason));
        }
        if !errors.is_empty() {
            return Err(AppError::invalid(ProblemCode::NotEligible, errors));
        }
        let principal = loan.servicing.outstanding_fen;
        let row = repo::insert_enrollment(
            conn,
            &NewEnrollment {
                scheme_id,
                loan_id: loan.id,
                enterprise_id: loan.fields.enterprise_id,
                bank_id: loan.fields.bank_id,
                guarantor_id: loan.fields.guarantor_id,
                principal_fen: principal,
                enrolled_by_org: auth.org_id,
                created_at: clock::now(),
            },
        )?
        .ok_or_else(|| {
            AppError::conflict(
                ProblemCode::Conflict,
                "the loan is already enrolled in the scheme",
            )
        })?;
        if !repo::take_capacity(conn, scheme_id, principal)? {
            let left = s.capacity_fen - scheme.enrolled_fen;
            return Err(AppError::conflict(
                ProblemCode::SchemeCapacityExceeded,
                format!(
                    "the scheme can cover {} more, less than the loan's outstanding {}",
                    Money::from_fen(left.max(0)),
                    Money::from_fen(principal)
                ),
            ));
        }
        receipt.record(conn, EnrollmentView::new(row))
    })
}

pub fn list_enrollments(
    conn: &mut DbConnection,
    auth: &Caller,
    scheme_id: i64,
    after_id: Option<i64>,
    limit: i64,
) -> AppResult<Vec<EnrollmentRow>> {
    repo::scheme(conn, scheme_id)?.ok_or_else(|| AppError::not_found("risk scheme"))?;
    Ok(repo::enrollments(
        conn,
        scheme_id,
        &auth.scope,
        after_id,
        limit,
    )?)
}
