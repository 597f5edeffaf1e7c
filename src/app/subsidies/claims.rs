//! Subsidy claims (申报): filed for a loan's period under a policy, decided by the finance
//! office in scope (approve under the caps and the remaining budget, or reject) and paid.
//! The states are `domain::subsidy::ClaimState`; each move is a conditional update, so
//! concurrent decisions race safely.

use crate::app::clock;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::quote::{case_from_loan, check_period, compute, payee, provisional};
use crate::app::caller::Caller;
use crate::app::effects::{Effects, Keep, Receipt};
use crate::app::error::{AppError, AppResult, FieldError, ProblemCode, Validator};
use crate::app::run;
use crate::app::state::AppState;
use crate::db::subsidies::{self as repo, ClaimRow, NewClaim};
use crate::db::{self, DbConnection};
use crate::domain::date::rfc3339;
use crate::domain::money::Money;
use crate::domain::org::Role;
use crate::domain::scope::Scope;
use crate::domain::subsidy::{ClaimAction, ClaimState, Step};

#[derive(Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateClaim {
    pub policy_id: i64,
    pub loan_id: i64,
    #[serde(deserialize_with = "crate::domain::date::strict")]
    pub period_start: NaiveDate,
    /// Exclusive (算头不算尾).
    #[serde(deserialize_with = "crate::domain::date::strict")]
    pub period_end: NaiveDate,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ClaimView {
    pub id: i64,
    pub policy_id: i64,
    pub loan_id: i64,
    pub enterprise_id: i64,
    /// Who is paid: the enterprise (贴息) or the guarantor (担保费补贴).
    pub payee_id: i64,
    pub period_start: NaiveDate,
    pub period_end: NaiveDate,
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

/// Who may claim: the loan's enterprise or bank, the finance office in scope, an admin.
const CLAIMANTS: [Role; 4] = [
    Role::Enterprise,
    Role::Bank,
    Role::FinanceOffice,
    Role::Admin,
];

/// Checks the caller's role and the period before anything is written (the HTTP layer calls
/// it ahead of the `Idempotency-Key` lookup).
pub async fn admit(state: &AppState, auth: &Caller, cmd: &CreateClaim) -> AppResult<()> {
    if let Err(forbidden) = auth.require(&CLAIMANTS) {
        // A loan the caller cannot see does not exist for it (404); one it sees (a
        // guarantor's own guarantee), it may not claim for (403).
        let (scope, loan_id) = (auth.scope.clone(), cmd.loan_id);
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
    check_period(cmd.period_start, cmd.period_end)
}

/// Files a claim, `submitted`, with the amount and breakdown computed now; one claim per
/// period of a loan under a policy (409 `duplicate_claim`).
#[tracing::instrument(skip_all, fields(user = auth.user_id, policy = cmd.policy_id, loan = cmd.loan_id))]
pub fn create<R: Receipt<ClaimView>>(
    conn: &mut DbConnection,
    auth: &Caller,
    cmd: CreateClaim,
    receipt: R,
) -> AppResult<R::Out> {
    auth.require(&CLAIMANTS)?;
    check_period(cmd.period_start, cmd.period_end)?;
    conn.write_transaction(|conn| {
        let scope = &auth.scope;
        let loan = db::matches::find_loan(conn, cmd.loan_id, scope)?
            .ok_or_else(|| AppError::not_found("loan"))?;
        // Taken before the overlap check below: one claim per period, under concurrency.
        repo::lock_claims_of_loan(conn, loan.id)?;
        let p =
            repo::find_policy(conn, cmd.policy_id)?.ok_or_else(|| AppError::not_found("policy"))?;
        let case = case_from_loan(conn, &loan)?;
        let c = compute(conn, &p, &case, cmd.period_start, cmd.period_end, None)?;
        if !c.eligible {
            let errors = c
                .reasons
                .into_iter()
                .map(|m| FieldError {
                    field: "loan_id".into(),
                    message: m,
                })
                .collect();
            return Err(AppError::invalid(ProblemCode::NotEligible, errors));
        }
        let payee = payee(p.fields.kind, &case).ok_or_else(|| {
            AppError::invalid_field(
                ProblemCode::NotEligible,
                "loan_id",
                "the loan has no guarantor",
            )
        })?;
        if repo::overlapping_claim(conn, p.id, loan.id, cmd.period_start, cmd.period_end)? {
            return Err(AppError::conflict(
                ProblemCode::DuplicateClaim,
                "a claim for an overlapping period of this loan under this policy exists",
            ));
        }
        let now = clock::now();
        let row = repo::insert_claim(
            conn,
            &NewClaim {
                policy_id: p.id,
                loan_id: loan.id,
                enterprise_id: case.enterprise_id,
                payee_org_id: payee,
                period_start: cmd.period_start,
                period_end: cmd.period_end,
                state: ClaimState::Submitted,
                amount_fen: c.amount.fen(),
                breakdown: db::JsonText(c.breakdown.clone()),
                submitted_by: auth.user_id,
                created_at: now,
                updated_at: now,
            },
        )?;
        receipt.record(conn, claim_view(row)?)
    })
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
        let loan = db::matches::find_loan(conn, c.fields.loan_id, &Scope::Everything)?
            .ok_or_else(|| AppError::not_found("loan"))?;
        let case = case_from_loan(conn, &loan)?;
        let result = compute(
            conn,
            &p,
            &case,
            c.fields.period_start,
            c.fields.period_end,
            Some(c.id),
        )?;
        if !result.eligible {
            let errors = result
                .reasons
                .into_iter()
                .map(|m| FieldError {
                    field: "loan_id".into(),
                    message: m,
                })
                .collect();
            return Err(AppError::invalid(ProblemCode::NotEligible, errors));
        }
        if let Some(why) = provisional(&p, c.fields.period_end)? {
            return Err(AppError::conflict(ProblemCode::LprNotPublished, why));
        }
        if let Some(group) = p.fields.eligibility.0.exclusive_group.as_deref() {
            // Every approval in a group takes the loan's lock first: of two claims racing
            // for one loan, the second sees the first.
            repo::lock_claims_of_loan(conn, loan.id)?;
            let granted = repo::other_granted_claims(
                conn,
                p.id,
                loan.id,
                c.fields.period_start,
                c.fields.period_end,
            )?;
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
    let recipients = [row.fields.enterprise_id, row.fields.payee_org_id];
    let view = claim_view(row)?;
    fx.notify(&recipients, event, &view)?;
    Ok(view)
}

#[derive(Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BatchClaims {
    #[serde(deserialize_with = "crate::domain::date::strict")]
    pub period_start: NaiveDate,
    /// Exclusive (算头不算尾).
    #[serde(deserialize_with = "crate::domain::date::strict")]
    pub period_end: NaiveDate,
    /// Only this bank's loans (总对总: a finance office for one bank; a bank may give only its own).
    pub bank_id: Option<i64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct BatchClaimsResult {
    /// Claims filed now, `submitted`.
    pub created: Vec<i64>,
    /// Claims that already existed for this policy, loan and period (a repeated batch).
    pub existing: Vec<i64>,
    /// Loans in scope that were not claimed for, and why.
    pub skipped: Vec<SkippedLoan>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SkippedLoan {
    pub loan_id: i64,
    pub reasons: Vec<String>,
}

/// Loans read per page of a batch.
const BATCH_PAGE: i64 = 500;

/// 免申即享 / 总对总: files a `submitted` claim for `[period_start, period_end)` on every eligible
/// loan in the caller's scope (a finance office: its region, for its own policy; a bank: its
/// own loans) disbursed before the period ends. Each loan is filed in its own transaction
/// under the loan's lock, so a repeated or concurrent batch files nothing twice: a claim for
/// the same period is listed as `existing`.
#[tracing::instrument(skip_all, fields(user = auth.user_id, policy = policy_id))]
pub fn batch(
    conn: &mut DbConnection,
    auth: &Caller,
    policy_id: i64,
    cmd: BatchClaims,
) -> AppResult<BatchClaimsResult> {
    auth.require(&[Role::FinanceOffice, Role::Bank, Role::Admin])?;
    check_period(cmd.period_start, cmd.period_end)?;
    let p = repo::find_policy(conn, policy_id)?.ok_or_else(|| AppError::not_found("policy"))?;
    if auth.role == Role::FinanceOffice && p.fields.owner_org_id != auth.org_id {
        return Err(AppError::forbidden(
            "a finance office files batch claims under its own policies",
        ));
    }
    if auth.role == Role::Bank && cmd.bank_id.is_some_and(|b| b != auth.org_id) {
        return Err(AppError::forbidden(
            "a bank files batch claims for its own loans",
        ));
    }
    let bank_id = match auth.role {
        Role::Bank => Some(auth.org_id),
        _ => cmd.bank_id,
    };
    let last_day = cmd.period_end.pred_opt().unwrap_or(cmd.period_end);
    let mut out = BatchClaimsResult {
        created: Vec::new(),
        existing: Vec::new(),
        skipped: Vec::new(),
    };
    let mut after = None;
    loop {
        let mut loans = db::matches::list_loans(
            conn,
            &auth.scope,
            &db::matches::LoanFilter {
                bank_id,
                to: Some(last_day),
                after_id: after,
                limit: BATCH_PAGE,
                ..Default::default()
            },
        )?;
        let more = loans.len() as i64 > BATCH_PAGE;
        loans.truncate(BATCH_PAGE as usize);
        for loan in &loans {
            file_in_batch(conn, auth, &p, loan.id, &cmd, &mut out)?;
        }
        match loans.last() {
            Some(l) if more => after = Some(l.id),
            _ => break,
        }
    }
    Ok(out)
}

/// One loan of a batch: existing, created or skipped.
fn file_in_batch(
    conn: &mut DbConnection,
    auth: &Caller,
    p: &repo::PolicyRow,
    loan_id: i64,
    cmd: &BatchClaims,
    out: &mut BatchClaimsResult,
) -> AppResult<()> {
    let (start, end) = (cmd.period_start, cmd.period_end);
    conn.write_transaction(|conn| {
        repo::lock_claims_of_loan(conn, loan_id)?;
        let loan = db::matches::find_loan(conn, loan_id, &Scope::Everything)?
            .ok_or_else(|| AppError::not_found("loan"))?;
        if let Some((id, s, e)) = repo::overlapping_claim_of(conn, p.id, loan_id, start, end)? {
            if (s, e) == (start, end) {
                out.existing.push(id);
            } else {
                out.skipped.push(SkippedLoan {
                    loan_id,
                    reasons: vec![format!(
                        "claim {id} covers an overlapping period {s} – {e} of this loan under this policy"
                    )],
                });
            }
            return Ok(());
        }
        let case = case_from_loan(conn, &loan)?;
        let c = compute(conn, p, &case, start, end, None)?;
        let payee = payee(p.fields.kind, &case);
        let reasons = match (c.eligible, payee, c.amount.is_zero()) {
            (false, _, _) => c.reasons.clone(),
            (true, None, _) => vec!["the loan has no guarantor".into()],
            (true, Some(_), true) => vec!["nothing to claim for the period".into()],
            _ => Vec::new(),
        };
        let Some(payee) = payee.filter(|_| reasons.is_empty()) else {
            out.skipped.push(SkippedLoan { loan_id, reasons });
            return Ok(());
        };
        let now = clock::now();
        let row = repo::insert_claim(
            conn,
            &NewClaim {
                policy_id: p.id,
                loan_id,
                enterprise_id: case.enterprise_id,
                payee_org_id: payee,
                period_start: start,
                period_end: end,
                state: ClaimState::Submitted,
                amount_fen: c.amount.fen(),
                breakdown: db::JsonText(c.breakdown),
                submitted_by: auth.user_id,
                created_at: now,
                updated_at: now,
            },
        )?;
        out.created.push(row.id);
        Ok(())
    })
}
