//! What an award comes to (SPEC §3.16), the counterpart of `quote` for the policies that are
//! not computed per loan: a `lump_sum_award` to one enterprise, and a `guarantor_award` over
//! the loans a guarantor guaranteed in the policy's region in a period. The arithmetic is
//! `domain::subsidy::{lump_sum, guarantor_award}`; this reads the facts it needs.

use chrono::NaiveDate;

use super::quote::case_from_loan;
use super::stored_rule;
use crate::app::clock;
use crate::app::error::{AppError, AppResult, ProblemCode};
use crate::db::subsidies::{self as repo, PolicyRow};
use crate::db::{self, DbConnection};
use crate::domain::lang::{Lang, Text};
use crate::domain::money::Money;
use crate::domain::org::OrgKind;
use crate::domain::scope::Scope;
use crate::domain::size_class::SizeClass;
use crate::domain::subsidy::{
    self, enterprise_criteria, Applicant, Computation, GuaranteedLoan, PolicyCriterion, Rule,
};

/// Loans read per page while counting a guarantor's volume.
const PAGE: i64 = 500;

/// The enterprise's own criteria for a lump-sum award on `on`: the policy's enterprise
/// criteria over the qualifications certified on or after the rule's `certified_from`, and
/// the policy's window. Also what 政策找企业 shows.
pub(super) fn lump_sum_criteria(
    conn: &mut DbConnection,
    p: &PolicyRow,
    enterprise_id: i64,
    on: NaiveDate,
) -> AppResult<Vec<PolicyCriterion>> {
    let Rule::LumpSum(rule) = stored_rule(p)?.1 else {
        return Err(AppError::internal("not a lump-sum award"));
    };
    let (org, ent) = db::enterprises::find_visible(conn, enterprise_id, &Scope::Everything)?
        .ok_or_else(|| AppError::not_found("enterprise"))?;
    let mut quals = db::catalog::enterprises(conn, Some(&[enterprise_id]))?
        .remove(&enterprise_id)
        .map(|e| e.facts.qualifications)
        .unwrap_or_default();
    if let Some(from) = rule.certified_from {
        quals.retain(|q| q.certified_on >= from);
    }
    let region = org.region_code.unwrap_or_default();
    let who = Applicant {
        region_code: &region,
        size_class: ent.size_class,
        qualifications: &quals,
        ownership: ent.ownership,
        sector_code: ent.sector_code.as_deref(),
    };
    let f = &p.fields;
    let mut out = enterprise_criteria(&f.eligibility.0, f.region_prefix.as_deref(), &who, on);
    if let (Some(from), Some(q)) = (
        rule.certified_from,
        out.iter_mut().find(|c| c.criterion == "qualifications"),
    ) {
        q.detail = format!("{} (certified on or after {from})", q.detail);
        q.detail_zh = format!("{}（须为 {from} 及以后认定）", q.detail_zh);
    }
    let in_force = on >= f.effective_from && f.effective_to.is_none_or(|to| on <= to);
    let (detail, detail_zh) = if in_force {
        (
            format!("{on} is within the policy's effective period"),
            format!("{on} 在政策有效期内"),
        )
    } else {
        (
            format!("{on} is outside the policy's effective period"),
            format!("{on} 不在政策有效期内"),
        )
    };
    out.push(PolicyCriterion {
        criterion: "effective_period".into(),
        passed: in_force,
        detail,
        detail_zh,
    });
    Ok(out)
}

/// The lump sum enterprise `enterprise_id` would get under `p` today; a claim other than
/// `except` already granting it makes it ineligible (paid once).
pub(super) fn lump_sum(
    conn: &mut DbConnection,
    p: &PolicyRow,
    enterprise_id: i64,
    except: Option<i64>,
) -> AppResult<Computation> {
    let Rule::LumpSum(rule) = stored_rule(p)?.1 else {
        return Err(AppError::internal("not a lump-sum award"));
    };
    let mut failed: Vec<Text> = lump_sum_criteria(conn, p, enterprise_id, clock::today())?
        .into_iter()
        .filter(|c| !c.passed)
        .map(|c| {
            let en = c.detail.clone();
            Text::new(en, c.in_lang(Lang::Zh).detail)
        })
        .collect();
    if !p.fields.status.takes_claims() {
        failed.insert(0, subsidy::policy_suspended());
    }
    let prior = repo::lump_sum_claim(conn, p.id, enterprise_id)?.filter(|id| Some(*id) != except);
    Ok(subsidy::lump_sum(&rule, failed, prior))
}

/// The guarantor `guarantor_id` is one (422 on the field otherwise).
pub(super) fn check_guarantor(conn: &mut DbConnection, guarantor_id: i64) -> AppResult<()> {
    match db::orgs::find(conn, guarantor_id)?.map(|o| o.kind) {
        Some(OrgKind::Guarantor) => Ok(()),
        _ => Err(AppError::invalid_field(
            ProblemCode::ValidationFailed,
            "guarantor_id",
            "is not a guarantor organization",
        )),
    }
}

/// The award guarantor `guarantor_id` gets under `p` for `[start, end)`: every loan it
/// guaranteed in the policy's region disbursed in the period, each checked against the
/// policy's eligibility, capped by what it already has approved or paid (except `except`).
pub(super) fn guarantor_award(
    conn: &mut DbConnection,
    p: &PolicyRow,
    guarantor_id: i64,
    (start, end): (NaiveDate, NaiveDate),
    except: Option<i64>,
) -> AppResult<Computation> {
    let Rule::GuarantorAward(rule) = stored_rule(p)?.1 else {
        return Err(AppError::internal("not a guarantor award"));
    };
    let f = &p.fields;
    let scope = match &f.region_prefix {
        Some(prefix) => Scope::Region(prefix.clone()),
        None => Scope::Everything,
    };
    let mut loans = Vec::new();
    let mut after = None;
    let last_day = end.pred_opt().unwrap_or(end);
    loop {
        let mut page = db::matches::list_loans(
            conn,
            &scope,
            &db::matches::LoanFilter {
                guarantor_id: Some(guarantor_id),
                from: Some(start),
                to: Some(last_day),
                after_id: after,
                limit: PAGE,
                ..Default::default()
            },
        )?;
        let more = page.len() as i64 > PAGE;
        page.truncate(PAGE as usize);
        for l in &page {
            let case = case_from_loan(conn, l)?;
            let Some(g) = case.loan.guarantee else {
                continue;
            };
            loans.push(GuaranteedLoan {
                loan_id: l.id,
                principal: case.loan.principal,
                fee_rate: g.fee_rate,
                counter_guarantee: g.counter_guarantee,
                small_or_micro: matches!(case.size_class, SizeClass::Small | SizeClass::Micro),
                ineligible: subsidy::policy_reasons(
                    &f.eligibility.0,
                    f.effective_from,
                    f.effective_to,
                    f.region_prefix.as_deref(),
                    &case.loan,
                    &case.beneficiary(),
                    Some((start, end)),
                ),
            });
        }
        match page.last() {
            Some(l) if more => after = Some(l.id),
            _ => break,
        }
    }
    let prior = Money::from_fen(repo::paid_or_approved(
        conn,
        p.id,
        guarantor_id,
        None,
        None,
        except,
    )?);
    let mut c = subsidy::guarantor_award(&rule, (start, end), &loans, prior);
    if !f.status.takes_claims() {
        c.reasons.insert(0, subsidy::policy_suspended());
        c.eligible = false;
        c.amount = Money::ZERO;
    }
    Ok(c)
}
