//! Compensation claims on a risk scheme (SPEC §3.15): submitted by the loan's bank or
//! guarantor on an NPL loan, approved from the scheme's balance without ever overdrawing it,
//! rejected or paid, and recoveries returning the pool's part.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::stored_terms;
use crate::app::caller::Caller;
use crate::app::clock;
use crate::app::effects::{Effects, Keep, Receipt};
use crate::app::error::{AppError, AppResult, ProblemCode, Validator};
use crate::db::risk::{self as repo, ClaimChange, ClaimFilter, ClaimRow, NewClaim};
use crate::db::{self, DbConnection, JsonText};
use crate::domain::date::rfc3339;
use crate::domain::event::WebhookEvent;
use crate::domain::money::Money;
use crate::domain::org::Role;
use crate::domain::risk::{
    claim_transition, compensation, pool_part_of_recovery, CompensationAction, CompensationState,
    Loss,
};
use crate::domain::servicing::LoanStatus;
use crate::domain::subsidy::Step;

#[derive(Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SubmitCompensationClaim {
    pub enrollment_id: i64,
    #[schema(value_type = Money)]
    pub loss_principal: Money,
}

#[derive(Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RejectCompensationClaim {
    #[schema(min_length = 1, max_length = 2000)]
    pub reason: String,
}

#[derive(Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PayCompensationClaim {
    #[serde(deserialize_with = "crate::domain::date::strict")]
    pub paid_on: NaiveDate,
    #[schema(min_length = 1, max_length = 200)]
    pub reference: String,
}

#[derive(Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CompensationRecovery {
    #[schema(value_type = Money)]
    pub amount: Money,
    #[serde(deserialize_with = "crate::domain::date::strict")]
    pub on: NaiveDate,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CompensationClaimView {
    pub id: i64,
    pub scheme_id: i64,
    pub enrollment_id: i64,
    pub loan_id: i64,
    pub claimant_org_id: i64,
    pub state: CompensationState,
    #[schema(value_type = Money)]
    pub loss_principal: Money,
    /// min(loss, outstanding when the loan became NPL, per-loan cap).
    #[schema(value_type = Money)]
    pub base: Money,
    #[schema(value_type = Money)]
    pub amount: Money,
    /// Every step of the computation, and each party's share of the base.
    pub breakdown: Vec<Step>,
    pub reject_reason: Option<String>,
    pub paid_on: Option<NaiveDate>,
    pub reference: Option<String>,
    /// What the claimant recovered after payment, and the pool's part of it.
    #[schema(value_type = Money)]
    pub recovered: Money,
    #[schema(value_type = Money)]
    pub returned_to_pool: Money,
    #[schema(format = DateTime)]
    pub created_at: String,
    #[schema(format = DateTime)]
    pub updated_at: String,
}

impl CompensationClaimView {
    pub fn new(c: ClaimRow) -> Self {
        let x = c.fields;
        CompensationClaimView {
            id: c.id,
            scheme_id: x.scheme_id,
            enrollment_id: x.enrollment_id,
            loan_id: x.loan_id,
            claimant_org_id: x.claimant_org_id,
            state: x.state,
            loss_principal: Money::from_fen(x.loss_principal_fen),
            base: Money::from_fen(x.base_fen),
            amount: Money::from_fen(x.amount_fen),
            breakdown: x.breakdown.into_inner(),
            reject_reason: c.reject_reason,
            paid_on: c.paid_on,
            reference: c.reference,
            recovered: Money::from_fen(c.recovered_fen),
            returned_to_pool: Money::from_fen(c.returned_fen),
            created_at: rfc3339(x.created_at),
            updated_at: rfc3339(c.updated_at),
        }
    }
}

/// The loan's bank or guarantor claims compensation on an enrolled loan that is `npl` or
/// `written_off` (409 `loan_not_npl` otherwise); one claim per enrollment (409
/// `duplicate_claim`). The amount and its breakdown are `domain::risk::compensation`'s.
pub fn submit<R: Receipt<CompensationClaimView>>(
    conn: &mut DbConnection,
    auth: &Caller,
    body: SubmitCompensationClaim,
    receipt: R,
) -> AppResult<R::Out> {
    auth.require(&[Role::Bank, Role::Guarantor])?;
    let mut v = Validator::default();
    v.check(
        !body.loss_principal.is_zero(),
        "loss_principal",
        "must be greater than 0",
    );
    v.finish()?;
    conn.write_transaction(|conn| {
        let e = repo::enrollment(conn, body.enrollment_id)?
            .ok_or_else(|| AppError::not_found("enrollment"))?;
        let loan = db::matches::find_loan(conn, e.fields.loan_id, &auth.scope)?
            .ok_or_else(|| AppError::not_found("enrollment"))?;
        if !matches!(
            loan.servicing.status,
            LoanStatus::Npl | LoanStatus::WrittenOff
        ) {
            return Err(AppError::conflict(
                ProblemCode::LoanNotNpl,
                format!(
                    "the loan is {}, not npl or written_off",
                    loan.servicing.status
                ),
            ));
        }
        let scheme = repo::scheme(conn, e.fields.scheme_id)?
            .ok_or_else(|| AppError::not_found("risk scheme"))?;
        let npl_outstanding = repo::npl_outstanding(conn, loan.id)?
            .unwrap_or(loan.servicing.outstanding_fen + loan.servicing.written_off_fen);
        let c = compensation(
            &stored_terms(&scheme.fields),
            &Loss {
                loss_principal: body.loss_principal,
                npl_outstanding: Money::from_fen(npl_outstanding),
                first_loan: loan.fields.first_loan,
                credit: loan.fields.credit,
            },
        );
        let row = repo::insert_claim(
            conn,
            &NewClaim {
                scheme_id: scheme.id,
                enrollment_id: e.id,
                loan_id: loan.id,
                enterprise_id: loan.fields.enterprise_id,
                bank_id: loan.fields.bank_id,
                guarantor_id: loan.fields.guarantor_id,
                claimant_org_id: auth.org_id,
                state: CompensationState::Submitted,
                loss_principal_fen: body.loss_principal.fen(),
                base_fen: c.base.fen(),
                amount_fen: c.amount.fen(),
                breakdown: JsonText(c.steps),
                created_at: clock::now(),
            },
        )?
        .ok_or_else(|| {
            AppError::conflict(
                ProblemCode::DuplicateClaim,
                "the enrollment already has a compensation claim",
            )
        })?;
        receipt.record(conn, CompensationClaimView::new(row))
    })
}

/// A claim the caller may see, or 404.
fn visible_claim(conn: &mut DbConnection, auth: &Caller, id: i64) -> AppResult<ClaimRow> {
    let only = ClaimFilter {
        id: Some(id),
        limit: 1,
        ..ClaimFilter::default()
    };
    repo::visible_claims(conn, &auth.scope, only)?
        .into_iter()
        .next()
        .ok_or_else(|| AppError::not_found("compensation claim"))
}

pub fn get_claim(
    conn: &mut DbConnection,
    auth: &Caller,
    id: i64,
) -> AppResult<CompensationClaimView> {
    Ok(CompensationClaimView::new(visible_claim(conn, auth, id)?))
}

/// A page of the claims the caller may see, of one scheme or in one state when asked.
pub fn list_claims(
    conn: &mut DbConnection,
    auth: &Caller,
    scheme_id: Option<i64>,
    state: Option<CompensationState>,
    after_id: Option<i64>,
    limit: i64,
) -> AppResult<Vec<ClaimRow>> {
    let filter = ClaimFilter {
        id: None,
        scheme_id,
        state,
        after_id,
        limit,
    };
    Ok(repo::visible_claims(conn, &auth.scope, filter)?)
}

/// An office of the region (or the admin) moves a claim by `action`; approval takes the
/// amount from the scheme's balance atomically (409 `pool_exhausted`), payment books it paid.
fn decide(
    conn: &mut DbConnection,
    auth: &Caller,
    id: i64,
    action: CompensationAction,
    change: ClaimChange,
) -> AppResult<CompensationClaimView> {
    conn.write_transaction(|conn| {
        visible_claim(conn, auth, id)?;
        auth.require(&[Role::FinanceOffice, Role::Admin])?;
        let c =
            repo::lock_claim(conn, id)?.ok_or_else(|| AppError::not_found("compensation claim"))?;
        let from = c.fields.state;
        let to = claim_transition(from, action)
            .map_err(|m| AppError::conflict(ProblemCode::InvalidTransition, m))?;
        let (scheme_id, amount) = (c.fields.scheme_id, c.fields.amount_fen);
        match action {
            CompensationAction::Approve => {
                if !repo::commit_from_balance(conn, scheme_id, amount)? {
                    return Err(AppError::conflict(
                        ProblemCode::PoolExhausted,
                        format!(
                            "the scheme's balance does not cover the claim's {}",
                            Money::from_fen(amount)
                        ),
                    ));
                }
            }
            CompensationAction::Pay => repo::record_paid(conn, scheme_id, amount)?,
            CompensationAction::Reject => {}
        }
        let mut fx = Effects::new(auth.user_id, auth.org_id);
        if !repo::move_claim(conn, id, from, to, &change, fx.now)? {
            return Err(AppError::conflict(
                ProblemCode::InvalidTransition,
                "the claim changed meanwhile; read it again",
            ));
        }
        let after =
            repo::claim(conn, id)?.ok_or_else(|| AppError::not_found("compensation claim"))?;
        let event = match action {
            CompensationAction::Approve => Some(WebhookEvent::CompensationClaimApproved),
            CompensationAction::Pay => Some(WebhookEvent::CompensationClaimPaid),
            CompensationAction::Reject => None,
        };
        if let Some(event) = event {
            fx.notify(
                &[after.fields.claimant_org_id],
                event.as_str(),
                &CompensationClaimView::new(after.clone()),
            )?;
        }
        fx.commit(conn, Keep, |_| Ok(CompensationClaimView::new(after)))
    })
}

pub fn approve(
    conn: &mut DbConnection,
    auth: &Caller,
    id: i64,
) -> AppResult<CompensationClaimView> {
    decide(
        conn,
        auth,
        id,
        CompensationAction::Approve,
        ClaimChange::default(),
    )
}

pub fn reject(
    conn: &mut DbConnection,
    auth: &Caller,
    id: i64,
    body: RejectCompensationClaim,
) -> AppResult<CompensationClaimView> {
    let mut v = Validator::default();
    v.check(!body.reason.trim().is_empty(), "reason", "is required");
    v.at_most("reason", Some(&body.reason), 2000);
    v.finish()?;
    let change = ClaimChange {
        reject_reason: Some(body.reason),
        ..ClaimChange::default()
    };
    decide(conn, auth, id, CompensationAction::Reject, change)
}

pub fn pay(
    conn: &mut DbConnection,
    auth: &Caller,
    id: i64,
    body: PayCompensationClaim,
) -> AppResult<CompensationClaimView> {
    let mut v = Validator::default();
    v.check(
        body.paid_on <= clock::today(),
        "paid_on",
        "must not be in the future",
    );
    v.check(
        !body.reference.trim().is_empty(),
        "reference",
        "is required",
    );
    v.at_most("reference", Some(&body.reference), 200);
    v.finish()?;
    let change = ClaimChange {
        paid_on: Some(body.paid_on),
        reference: Some(body.reference),
        ..ClaimChange::default()
    };
    decide(conn, auth, id, CompensationAction::Pay, change)
}

/// The claimant recovered `amount` after payment: the pool gets back its part
/// (`domain::risk::pool_part_of_recovery`). At most the base, in total, is ever recovered.
pub fn recover<R: Receipt<CompensationClaimView>>(
    conn: &mut DbConnection,
    auth: &Caller,
    id: i64,
    body: CompensationRecovery,
    receipt: R,
) -> AppResult<R::Out> {
    let mut v = Validator::default();
    v.check(!body.amount.is_zero(), "amount", "must be greater than 0");
    v.check(body.on <= clock::today(), "on", "must not be in the future");
    v.finish()?;
    conn.write_transaction(|conn| {
        visible_claim(conn, auth, id)?;
        let c =
            repo::lock_claim(conn, id)?.ok_or_else(|| AppError::not_found("compensation claim"))?;
        if c.fields.claimant_org_id != auth.org_id {
            return Err(AppError::forbidden("only the claimant records recoveries"));
        }
        if c.fields.state != CompensationState::Paid {
            return Err(AppError::conflict(
                ProblemCode::InvalidTransition,
                format!(
                    "a recovery follows payment; the claim is {}",
                    c.fields.state
                ),
            ));
        }
        let left = c.fields.base_fen - c.recovered_fen;
        if body.amount.fen() > left {
            return Err(AppError::invalid_field(
                ProblemCode::ValidationFailed,
                "amount",
                format!(
                    "must be at most what is left of the base, {}",
                    Money::from_fen(left)
                ),
            ));
        }
        if c.paid_on.is_some_and(|p| body.on < p) {
            return Err(AppError::invalid_field(
                ProblemCode::ValidationFailed,
                "on",
                "must not precede the payment",
            ));
        }
        let (part, _) = pool_part_of_recovery(
            body.amount,
            Money::from_fen(c.fields.amount_fen),
            Money::from_fen(c.fields.base_fen),
        );
        repo::record_recovery(conn, &c, body.amount.fen(), part.fen(), clock::now())?;
        let after =
            repo::claim(conn, id)?.ok_or_else(|| AppError::not_found("compensation claim"))?;
        receipt.record(conn, CompensationClaimView::new(after))
    })
}
