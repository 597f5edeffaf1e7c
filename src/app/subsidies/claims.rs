//! Subsidy claims (申报): filed for a loan's period under a policy, decided by the finance
//! office in scope (approve under the caps and the remaining budget, or reject) and paid.
//! The states are `domain::subsidy::ClaimState`; each move is a conditional update, so
//! concurrent decisions race safely.

use crate::app::clock;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::awards;
use super::quote::{case_from_loan, check_period, compute, payee, provisional};
use crate::app::caller::Caller;
use crate::app::effects::{Effects, Keep, Receipt};
use crate::app::error::{AppError, AppResult, FieldError, ProblemCode, Validator};
use crate::app::run;
use crate::app::state::AppState;
use crate::db::subsidies::{self as repo, ClaimRow, NewClaim};
use crate::db::{self, DbConnection};
use crate::domain::date::rfc3339;
use crate::domain::lang::Text;
use crate::domain::money::Money;
use crate::domain::org::Role;
use crate::domain::scope::Scope;
use crate::domain::subsidy::{ClaimAction, ClaimState, Computation, PolicyKind, Step};

/// A claim: for a loan's period (贴息, 担保费补贴), for an enterprise (`lump_sum_award`), or for
/// a guarantor's period (`guarantor_award`) — exactly one of `loan_id`, `enterprise_id`,
/// `guarantor_id`, the one the policy's kind takes.
#[derive(Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateClaim {
    pub policy_id: i64,
    /// 贴息 and 担保费补贴: the loan.
    pub loan_id: Option<i64>,
    /// Lump-sum award: the enterprise (no period: it is paid once).
    pub enterprise_id: Option<i64>,
    /// Guarantor award: the guarantor, paid on its volume in the period.
    pub guarantor_id: Option<i64>,
    /// Required with `loan_id` and `guarantor_id`.
    #[serde(default, deserialize_with = "crate::domain::date::strict_opt")]
    pub period_start: Option<NaiveDate>,
    /// Exclusive (算头不算尾).
    #[serde(default, deserialize_with = "crate::domain::date::strict_opt")]
    pub period_end: Option<NaiveDate>,
}

/// What a claim is for, from its body's shape.
#[derive(Clone, Copy, Debug)]
enum Subject {
    Loan(i64, (NaiveDate, NaiveDate)),
    Enterprise(i64),
    Guarantor(i64, (NaiveDate, NaiveDate)),
}

impl CreateClaim {
    /// The subject, or 422 naming the fields that are missing or do not belong.
    fn subject(&self) -> AppResult<Subject> {
        let period = match (self.period_start, self.period_end) {
            (Some(s), Some(e)) => {
                check_period(s, e)?;
                Some((s, e))
            }
            _ => None,
        };
        let bad = |field: &str, message: &str| {
            Err(AppError::invalid_field(
                ProblemCode::ValidationFailed,
                field,
                message,
            ))
        };
        match (self.loan_id, self.enterprise_id, self.guarantor_id) {
            (Some(l), None, None) => match period {
                Some(p) => Ok(Subject::Loan(l, p)),
                None => bad("period_start", "period_start and period_end are required with loan_id"),
            },
            (None, Some(e), None) => match (self.period_start, self.period_end) {
                (None, None) => Ok(Subject::Enterprise(e)),
                _ => bad("period_start", "a lump-sum award (enterprise_id) has no period"),
            },
            (None, None, Some(g)) => match period {
                Some(p) => Ok(Subject::Guarantor(g, p)),
                None => bad(
                    "period_start",
                    "period_start and period_end are required with guarantor_id",
                ),
            },
            _ => bad(
                "loan_id",
                "give exactly one of loan_id (贴息, 担保费补贴), enterprise_id (lump_sum_award) or guarantor_id (guarantor_award)",
            ),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ClaimView {
    pub id: i64,
    pub policy_id: i64,
    /// The loan (absent for an award).
    pub loan_id: Option<i64>,
    /// The enterprise (absent for a guarantor award).
    pub enterprise_id: Option<i64>,
    /// Who is paid: the enterprise (贴息, a lump-sum award) or the guarantor (担保费补贴, a
    /// guarantor award).
    pub payee_id: i64,
    /// Absent for a lump-sum award.
    pub period_start: Option<NaiveDate>,
    pub period_end: Option<NaiveDate>,
    pub state: ClaimState,
    #[schema(value_type = Money)]
    pub amount: Money,
    pub breakdown: Vec<Step>,
    pub reason: Option<String>,
    pub paid_on: Option<NaiveDate>,
    pub payment_reference: Option<String>,
    #[schema(format = DateTime)]
    pub created_at: String,
    #[schema(format = DateTime)]
    pub updated_at: String,
}

fn claim_view(c: ClaimRow) -> AppResult<ClaimView> {
    Ok(ClaimView {
        id: c.id,
        policy_id: c.fields.policy_id,
        loan_id: c.fields.loan_id,
        enterprise_id: c.fields.enterprise_id,
        payee_id: c.fields.payee_org_id,
        period_start: c.fields.period_start,
        period_end: c.fields.period_end,
        state: c.fields.state,
        amount: Money::from_fen(c.fields.amount_fen),
        breakdown: c.fields.breakdown.0,
        reason: c.reason,
        paid_on: c.paid_on,
        payment_reference: c.payment_reference,
        created_at: rfc3339(c.fields.created_at),
        updated_at: rfc3339(c.fields.updated_at),
    })
}

fn visible_claim(conn: &mut DbConnection, auth: &Caller, id: i64) -> AppResult<ClaimRow> {
    repo::find_visible_claim(conn, id, &auth.scope)?
        .ok_or_else(|| AppError::not_found("subsidy claim"))
}

/// The claim if the caller is the finance office in scope (or admin); 404 out of scope, 403 for other roles.
fn decidable(conn: &mut DbConnection, auth: &Caller, id: i64) -> AppResult<ClaimRow> {
    let c = visible_claim(conn, auth, id)?;
    auth.require(&[Role::FinanceOffice, Role::Admin])?;
    Ok(c)
}

fn wrong_state(c: &ClaimRow, action: &str) -> AppError {
    AppError::conflict(
        ProblemCode::InvalidTransition,
        format!("a claim that is {} cannot be {action}", c.fields.state),
    )
}

#[derive(Debug, Deserialize, Serialize, ToSchema)]
pub struct RejectClaim {
    #[schema(min_length = 1, max_length = 2000)]
    pub reason: String,
}

#[derive(Debug, Deserialize, Serialize, ToSchema)]
pub struct PayClaim {
    #[serde(deserialize_with = "crate::domain::date::strict")]
    pub paid_on: NaiveDate,
    /// The payment's reference (国库支付凭证号 …).
    #[schema(min_length = 1, max_length = 200)]
    pub reference: String,
}

/// What a claim list is filtered by; `after_id`/`limit` come from the page cursor.
pub struct ClaimQuery {
    pub policy_id: Option<i64>,
    pub state: Option<ClaimState>,
    pub after_id: Option<i64>,
    pub limit: i64,
}

pub use super::batch::{batch, BatchClaims, BatchClaimsResult, SkippedLoan};

/// Who may claim for a subject: for a loan, its enterprise or bank; for a lump-sum award, the
/// enterprise; for a guarantor award, the guarantor; and the finance office in scope, an admin.
fn claimants(s: Subject) -> &'static [Role] {
    match s {
        Subject::Loan(..) => &[
            Role::Enterprise,
            Role::Bank,
            Role::FinanceOffice,
            Role::Admin,
        ],
        Subject::Enterprise(_) => &[Role::Enterprise, Role::FinanceOffice, Role::Admin],
        Subject::Guarantor(..) => &[Role::Guarantor, Role::FinanceOffice, Role::Admin],
    }
}

/// Checks the body's shape, the caller's role and the period before anything is written (the
/// HTTP layer calls it ahead of the `Idempotency-Key` lookup).
pub async fn admit(state: &AppState, auth: &Caller, cmd: &CreateClaim) -> AppResult<()> {
    let subject = cmd.subject()?;
    let Subject::Loan(loan_id, _) = subject else {
        auth.require(claimants(subject))?;
        return match subject {
            Subject::Guarantor(g, _) if auth.role == Role::Guarantor && g != auth.org_id => {
                Err(AppError::forbidden("a guarantor claims its own award"))
            }
            _ => Ok(()),
        };
    };
    if let Err(forbidden) = auth.require(claimants(subject)) {
        // A loan the caller cannot see does not exist for it (404); one it sees (a
        // guarantor's own guarantee), it may not claim for (403).
        let scope = auth.scope.clone();
        let visible = run(state, move |conn| {
            Ok(db::matches::find_loan(conn, loan_id, &scope)?.is_some())
        })
        .await?;
        return Err(if visible {
            forbidden
        } else {
            AppError::not_found("loan")
        });
    }
    Ok(())
}

/// 422 for a body whose subject is not the one the policy's kind takes.
fn wrong_subject(kind: PolicyKind) -> AppError {
    let (field, how) = match kind {
        PolicyKind::InterestSubsidy | PolicyKind::GuaranteeFeeSubsidy => {
            ("loan_id", "loan_id, period_start and period_end")
        }
        PolicyKind::LumpSumAward => ("enterprise_id", "enterprise_id (and no period)"),
        PolicyKind::GuarantorAward => ("guarantor_id", "guarantor_id, period_start and period_end"),
    };
    AppError::invalid_field(
        ProblemCode::ValidationFailed,
        field,
        format!("a claim under a {kind} policy gives {how}"),
    )
}

/// 422 `not_eligible`, each reason on `field`.
fn not_eligible(field: &str, reasons: Vec<Text>) -> AppError {
    let errors = reasons
        .into_iter()
        .map(|m| FieldError::said(field, m))
        .collect();
    AppError::invalid(ProblemCode::NotEligible, errors)
}

/// A new `submitted` claim.
pub(super) fn submitted(
    auth: &Caller,
    policy_id: i64,
    (loan_id, enterprise_id, payee_org_id): (Option<i64>, Option<i64>, i64),
    period: Option<(NaiveDate, NaiveDate)>,
    c: &Computation,
) -> NewClaim {
    let now = clock::now();
    NewClaim {
        policy_id,
        loan_id,
        enterprise_id,
        payee_org_id,
        period_start: period.map(|p| p.0),
        period_end: period.map(|p| p.1),
        state: ClaimState::Submitted,
        amount_fen: c.amount.fen(),
        breakdown: db::JsonText(c.breakdown.clone()),
        submitted_by: auth.user_id,
        created_at: now,
        updated_at: now,
    }
}

/// Files a claim, `submitted`, with the amount and breakdown computed now: one claim per
/// period of a loan under a policy, one lump-sum award per enterprise, one guarantor award
/// per guarantor per period (409 `duplicate_claim`).
#[tracing::instrument(skip_all, fields(user = auth.user_id, policy = cmd.policy_id))]
pub fn create<R: Receipt<ClaimView>>(
    conn: &mut DbConnection,
    auth: &Caller,
    cmd: CreateClaim,
    receipt: R,
) -> AppResult<R::Out> {
    let subject = cmd.subject()?;
    auth.require(claimants(subject))?;
    conn.write_transaction(|conn| {
        let p =
            repo::find_policy(conn, cmd.policy_id)?.ok_or_else(|| AppError::not_found("policy"))?;
        let row = match subject {
            Subject::Loan(loan_id, period) => file_for_loan(conn, auth, &p, loan_id, period)?,
            Subject::Enterprise(e) => file_lump_sum(conn, auth, &p, e)?,
            Subject::Guarantor(g, period) => file_guarantor_award(conn, auth, &p, g, period)?,
        };
        receipt.record(conn, claim_view(row)?)
    })
}

fn file_for_loan(
    conn: &mut DbConnection,
    auth: &Caller,
    p: &repo::PolicyRow,
    loan_id: i64,
    (start, end): (NaiveDate, NaiveDate),
) -> AppResult<ClaimRow> {
    let loan = db::matches::find_loan(conn, loan_id, &auth.scope)?
        .ok_or_else(|| AppError::not_found("loan"))?;
    if !p.fields.kind.per_loan() {
        return Err(wrong_subject(p.fields.kind));
    }
    // Taken before the overlap check below: one claim per period, under concurrency.
    repo::lock_claims_of_loan(conn, loan.id)?;
    let case = case_from_loan(conn, &loan)?;
    let c = compute(conn, p, &case, start, end, None)?;
    if !c.eligible {
        return Err(not_eligible("loan_id", c.reasons));
    }
    let payee = payee(p.fields.kind, &case).ok_or_else(|| {
        AppError::invalid_field(
            ProblemCode::NotEligible,
            "loan_id",
            "the loan has no guarantor",
        )
    })?;
    if repo::overlapping_claim(conn, p.id, loan.id, start, end)? {
        return Err(AppError::conflict(
            ProblemCode::DuplicateClaim,
            "a claim for an overlapping period of this loan under this policy exists",
        ));
    }
    let new = submitted(
        auth,
        p.id,
        (Some(loan.id), Some(case.enterprise_id), payee),
        Some((start, end)),
        &c,
    );
    Ok(repo::insert_claim(conn, &new)?)
}

/// A lump-sum award for enterprise `e` (the enterprise itself, the office in scope, an
/// admin), once per enterprise: every writer takes the policy's lock, and a unique index
/// backs it.
fn file_lump_sum(
    conn: &mut DbConnection,
    auth: &Caller,
    p: &repo::PolicyRow,
    e: i64,
) -> AppResult<ClaimRow> {
    db::enterprises::find_visible(conn, e, &auth.scope)?
        .ok_or_else(|| AppError::not_found("enterprise"))?;
    if p.fields.kind != PolicyKind::LumpSumAward {
        return Err(wrong_subject(p.fields.kind));
    }
    repo::lock_policy(conn, p.id)?;
    if let Some(id) = repo::lump_sum_claim(conn, p.id, e)? {
        return Err(AppError::conflict(
            ProblemCode::DuplicateClaim,
            format!("claim {id} already claims this award for the enterprise; it is paid once"),
        ));
    }
    let c = awards::lump_sum(conn, p, e, None)?;
    if !c.eligible {
        return Err(not_eligible("enterprise_id", c.reasons));
    }
    let new = submitted(auth, p.id, (None, Some(e), e), None, &c);
    Ok(repo::insert_claim(conn, &new)?)
}

/// A guarantor award for guarantor `g`'s volume in `period` (the guarantor itself, the office
/// whose region holds the policy, an admin), once per guarantor per period.
fn file_guarantor_award(
    conn: &mut DbConnection,
    auth: &Caller,
    p: &repo::PolicyRow,
    g: i64,
    period: (NaiveDate, NaiveDate),
) -> AppResult<ClaimRow> {
    if p.fields.kind != PolicyKind::GuarantorAward {
        return Err(wrong_subject(p.fields.kind));
    }
    match auth.role {
        Role::Guarantor if g != auth.org_id => {
            return Err(AppError::forbidden("a guarantor claims its own award"))
        }
        Role::FinanceOffice if p.fields.owner_org_id != auth.org_id => {
            return Err(AppError::forbidden(
                "a finance office files award claims under its own policies",
            ))
        }
        _ => {}
    }
    awards::check_guarantor(conn, g)?;
    repo::lock_policy(conn, p.id)?;
    if let Some(id) = repo::overlapping_award(conn, p.id, g, period.0, period.1)? {
        return Err(AppError::conflict(
            ProblemCode::DuplicateClaim,
            format!("claim {id} of this guarantor under this policy covers an overlapping period"),
        ));
    }
    let c = awards::guarantor_award(conn, p, g, period, None)?;
    if !c.eligible {
        return Err(not_eligible("guarantor_id", c.reasons));
    }
    let new = submitted(auth, p.id, (None, None, g), Some(period), &c);
    Ok(repo::insert_claim(conn, &new)?)
}

/// What a stored claim comes to now, computed as it was filed (except that what the payee
/// already has approved or paid now counts), and the request field its reasons belong to.
fn recompute(
    conn: &mut DbConnection,
    p: &repo::PolicyRow,
    c: &ClaimRow,
) -> AppResult<(Computation, &'static str)> {
    let f = &c.fields;
    let period = f.period_start.zip(f.period_end);
    match (f.loan_id, f.enterprise_id, period) {
        (Some(loan_id), _, Some((start, end))) => {
            let loan = db::matches::find_loan(conn, loan_id, &Scope::Everything)?
                .ok_or_else(|| AppError::not_found("loan"))?;
            let case = case_from_loan(conn, &loan)?;
            Ok((compute(conn, p, &case, start, end, Some(c.id))?, "loan_id"))
        }
        (None, Some(e), None) => Ok((awards::lump_sum(conn, p, e, Some(c.id))?, "enterprise_id")),
        (None, None, Some(period)) => Ok((
            awards::guarantor_award(conn, p, f.payee_org_id, period, Some(c.id))?,
            "guarantor_id",
        )),
        _ => Err(AppError::internal(format!("claim {} has no subject", c.id))),
    }
}

/// Claims in the caller's scope, by id.
pub fn list(conn: &mut DbConnection, auth: &Caller, q: ClaimQuery) -> AppResult<Vec<ClaimView>> {
    let rows = repo::list_claims(
        conn,
        &auth.scope,
        q.policy_id,
        q.state.map(ClaimState::as_str),
        q.after_id,
        q.limit,
    )?;
    rows.into_iter()
        .map(claim_view)
        .collect::<AppResult<Vec<_>>>()
}

/// One claim with its breakdown, if in the caller's scope.
pub fn get(conn: &mut DbConnection, auth: &Caller, id: i64) -> AppResult<ClaimView> {
    claim_view(visible_claim(conn, auth, id)?)
}

/// Approves a submitted claim: recomputes it against what the payee already has (a cap may
/// lower it) and checks the remaining budget, under the policy's lock.
#[tracing::instrument(skip_all, fields(user = auth.user_id, claim = id))]
pub fn approve(conn: &mut DbConnection, auth: &Caller, id: i64) -> AppResult<ClaimView> {
    conn.write_transaction(|conn| {
        let c = decidable(conn, auth, id)?;
        repo::lock_policy(conn, c.fields.policy_id)?;
        let c =
            repo::reread_claim(conn, id)?.ok_or_else(|| AppError::not_found("subsidy claim"))?;
        let (from, to) = ClaimAction::Approve.arrow();
        if c.fields.state != from {
            return Err(wrong_state(&c, to.as_str()));
        }
        let p = repo::find_policy(conn, c.fields.policy_id)?
            .ok_or_else(|| AppError::not_found("policy"))?;
        let (result, field) = recompute(conn, &p, &c)?;
        if !result.eligible {
            return Err(not_eligible(field, result.reasons));
        }
        if let Some(end) = c.fields.period_end.filter(|_| p.fields.kind.per_loan()) {
            if let Some(why) = provisional(&p, end)? {
                return Err(AppError::conflict(ProblemCode::LprNotPublished, why));
            }
        }
        let stacking = p.fields.eligibility.0.exclusive_group.as_deref().zip(
            c.fields
                .loan_id
                .zip(c.fields.period_start.zip(c.fields.period_end)),
        );
        if let Some((group, (loan_id, (start, end)))) = stacking {
            // Every approval in a group takes the loan's lock first: of two claims racing
            // for one loan, the second sees the first.
            repo::lock_claims_of_loan(conn, loan_id)?;
            let granted = repo::other_granted_claims(conn, p.id, loan_id, start, end)?;
            if let Some((other, policy, name, _)) = granted
                .into_iter()
                .find(|g| g.3.exclusive_group.as_deref() == Some(group))
            {
                return Err(AppError::conflict(
                    ProblemCode::StackingNotAllowed,
                    format!(
                        "claim {other} under policy {policy} ({name}), of the same exclusive group \"{group}\", is approved for an overlapping period of this loan; the two cannot be stacked"
                    ),
                ));
            }
        }
        let remaining = p.fields.budget_fen - repo::budget_used(conn, p.id)?;
        if result.amount.fen() > remaining {
            return Err(AppError::conflict(
                ProblemCode::BudgetExceeded,
                format!(
                    "the policy's remaining budget {} does not cover {}",
                    Money::from_fen(remaining.max(0)),
                    result.amount
                ),
            ));
        }
        let mut breakdown = result.breakdown.clone();
        breakdown.push(Step {
            step: "budget remaining before approval".into(),
            value: Money::from_fen(remaining).to_string(),
        });
        let mut fx = Effects::new(auth.user_id, auth.org_id);
        if !repo::move_claim(
            conn,
            id,
            from.as_str(),
            to.as_str(),
            Some(result.amount.fen()),
            Some(&db::to_json_text(&breakdown)),
            None,
            None,
            fx.now,
        )? {
            return Err(AppError::conflict(
                ProblemCode::InvalidTransition,
                "the claim changed meanwhile",
            ));
        }
        let view = notify(conn, &mut fx, id, "subsidy_claim.approved")?;
        fx.commit(conn, Keep, |_| Ok(view))
    })
}

/// Rejects a submitted claim, with a reason.
#[tracing::instrument(skip_all, fields(user = auth.user_id, claim = id))]
pub fn reject(
    conn: &mut DbConnection,
    auth: &Caller,
    id: i64,
    cmd: RejectClaim,
) -> AppResult<ClaimView> {
    let reason = cmd.reason;
    let mut v = Validator::default();
    v.check(!reason.trim().is_empty(), "reason", "is required");
    v.check(
        reason.chars().count() <= 2000,
        "reason",
        "must be at most 2000 characters",
    );
    v.finish()?;
    conn.write_transaction(|conn| {
        let c = decidable(conn, auth, id)?;
        let (from, to) = ClaimAction::Reject.arrow();
        if !repo::move_claim(
            conn,
            id,
            from.as_str(),
            to.as_str(),
            None,
            None,
            Some(&reason),
            None,
            clock::now(),
        )? {
            return Err(wrong_state(&c, to.as_str()));
        }
        claim_view(
            repo::reread_claim(conn, id)?.ok_or_else(|| AppError::not_found("subsidy claim"))?,
        )
    })
}

/// Records the payment of an approved claim.
#[tracing::instrument(skip_all, fields(user = auth.user_id, claim = id))]
pub fn pay(conn: &mut DbConnection, auth: &Caller, id: i64, cmd: PayClaim) -> AppResult<ClaimView> {
    let mut v = Validator::default();
    v.check(!cmd.reference.trim().is_empty(), "reference", "is required");
    v.check(
        cmd.reference.chars().count() <= 200,
        "reference",
        "must be at most 200 characters",
    );
    v.finish()?;
    conn.write_transaction(|conn| {
        let c = decidable(conn, auth, id)?;
        let mut fx = Effects::new(auth.user_id, auth.org_id);
        let (from, to) = ClaimAction::Pay.arrow();
        if !repo::move_claim(
            conn,
            id,
            from.as_str(),
            to.as_str(),
            None,
            None,
            None,
            Some((cmd.paid_on, &cmd.reference)),
            fx.now,
        )? {
            return Err(wrong_state(&c, to.as_str()));
        }
        let view = notify(conn, &mut fx, id, "subsidy_claim.paid")?;
        fx.commit(conn, Keep, |_| Ok(view))
    })
}

/// The claim as it now is, queued as `event` for its enterprise and its payee.
fn notify(conn: &mut DbConnection, fx: &mut Effects, id: i64, event: &str) -> AppResult<ClaimView> {
    let row = repo::reread_claim(conn, id)?.ok_or_else(|| AppError::not_found("subsidy claim"))?;
    let mut recipients = vec![row.fields.payee_org_id];
    recipients.extend(
        row.fields
            .enterprise_id
            .filter(|e| *e != row.fields.payee_org_id),
    );
    let view = claim_view(row)?;
    fx.notify(&recipients, event, &view)?;
    Ok(view)
}
