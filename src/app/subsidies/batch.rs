//! 免申即享 / 总对总 (SPEC §3.16): one request files a `submitted` claim for every eligible loan
//! in the caller's scope under a per-loan policy, each loan in its own transaction under the
//! loan's lock, so a repeated or concurrent batch files nothing twice.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::claims::submitted;
use super::quote::{case_from_loan, check_period, compute, payee};
use crate::app::caller::Caller;
use crate::app::error::{AppError, AppResult, ProblemCode};
use crate::db::subsidies as repo;
use crate::db::{self, DbConnection};
use crate::domain::lang::{render, Text};
use crate::domain::org::Role;
use crate::domain::scope::Scope;

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
    if !p.fields.kind.per_loan() {
        return Err(AppError::invalid_field(
            ProblemCode::ValidationFailed,
            "policy_id",
            format!(
                "batch claims are filed per loan; a {} policy is claimed with POST /subsidy-claims",
                p.fields.kind
            ),
        ));
    }
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
                    reasons: vec![Text::new(
                        format!("claim {id} covers an overlapping period {s} – {e} of this loan under this policy"),
                        format!("申报 {id} 已覆盖该贷款在本政策下的重叠期间 {s} 至 {e}"),
                    )
                    .in_lang(auth.lang)
                    .to_owned()],
                });
            }
            return Ok(());
        }
        let case = case_from_loan(conn, &loan)?;
        let c = compute(conn, p, &case, start, end, None)?;
        let payee = payee(p.fields.kind, &case);
        let reasons = match (c.eligible, payee, c.amount.is_zero()) {
            (false, _, _) => c.reasons.clone(),
            (true, None, _) => vec![Text::new("the loan has no guarantor", "该贷款没有担保机构")],
            (true, Some(_), true) => vec![Text::new(
                "nothing to claim for the period",
                "该期间没有可申报的金额",
            )],
            _ => Vec::new(),
        };
        let Some(payee) = payee.filter(|_| reasons.is_empty()) else {
            out.skipped.push(SkippedLoan {
                loan_id,
                reasons: render(&reasons, auth.lang),
            });
            return Ok(());
        };
        let new = submitted(
            auth,
            p.id,
            (Some(loan_id), Some(case.enterprise_id), payee),
            Some((start, end)),
            &c,
        );
        let row = repo::insert_claim(conn, &new)?;
        out.created.push(row.id);
        Ok(())
    })
}
