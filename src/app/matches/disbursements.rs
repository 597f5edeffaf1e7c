//! Booking a disbursement (放款) on an approved match: the loan row, the match's disbursed sum
//! (never above the approved amount, kept by a conditional update), the demand's progress, the
//! enterprise's first-loan flag, the report deltas and the `loan.disbursed` webhook.

use super::{party_of, transition_error, CreateDisbursement, LoanView};
use crate::app::caller::Caller;
use crate::app::clock;
use crate::app::effects::{Effects, MatchEvent, Receipt};
use crate::app::error::{AppError, AppResult, ProblemCode, Validator};
use crate::db::matches::{self as repo, NewLoan};
use crate::db::{self, DbConnection};
use crate::domain::demand::DemandEvent;
use crate::domain::lifecycle::TransitionError;
use crate::domain::lifecycle::{transition, EventAction, MatchAction, MatchState, Party};
use crate::domain::money::Money;
use crate::domain::org::OrgKind;
use crate::domain::rollup::{self, MatchFact};
use crate::domain::servicing;

/// Highest guarantee fee rate accepted, percent per year (in rate units of 1/10,000 %).
const MAX_GUARANTEE_FEE_UNITS: i64 = 10 * 10_000;

/// Checks a disbursement's fields (422), before anything is looked up.
pub fn validate(cmd: &CreateDisbursement) -> AppResult<()> {
    let mut v = Validator::default();
    v.check(!cmd.amount.is_zero(), "amount", "must be greater than 0");
    v.check(
        cmd.annual_rate.units() > 0,
        "annual_rate",
        "must be greater than 0",
    );
    v.term_months("term_months", cmd.term_months);
    v.check(
        cmd.disbursed_on <= clock::today(),
        "disbursed_on",
        "must not be in the future",
    );
    if let Some(g) = &cmd.guarantee {
        v.check(
            g.fee_rate.units() <= MAX_GUARANTEE_FEE_UNITS,
            "guarantee.fee_rate",
            "must be at most 10 (percent per year)",
        );
    }
    v.finish()
}

/// Records a disbursement by the match's bank.
#[tracing::instrument(skip(conn, auth, cmd, receipt), fields(user = auth.user_id))]
pub fn disburse<R: Receipt<LoanView>>(
    conn: &mut DbConnection,
    auth: &Caller,
    id: i64,
    cmd: CreateDisbursement,
    receipt: R,
) -> AppResult<R::Out> {
    validate(&cmd)?;
    conn.write_transaction(|conn| {
        let scope = &auth.scope;
        let m = repo::find_visible(conn, id, scope)?.ok_or_else(|| AppError::not_found("match"))?;
        db::rollups::hold_region(conn, m.enterprise_id)?;
        if party_of(auth, &m) != Some(Party::Bank) {
            return Err(AppError::forbidden(
                "only the match's bank records disbursements",
            ));
        }
        let from = m.state;
        transition(from, MatchAction::Disburse, Party::Bank).map_err(transition_error)?;
        if let Some(g) = &cmd.guarantee {
            let guarantor = db::orgs::find(conn, g.guarantor_id)?;
            if guarantor.map(|o| o.kind) != Some(OrgKind::Guarantor) {
                return Err(AppError::invalid_field(
                    ProblemCode::ValidationFailed,
                    "guarantee.guarantor_id",
                    "is not a guarantor organization",
                ));
            }
        }
        let mut fx = Effects::new(auth.user_id, auth.org_id);
        let now = fx.now;
        let Some(was) = repo::add_disbursement(conn, id, cmd.amount.fen(), now)? else {
            return Err(refusal(conn, id)?);
        };
        let after = repo::reread(conn, id)?;
        let moved = db::rollups::match_fact(&after);
        let before = MatchFact {
            state: was,
            ..moved.clone()
        };
        rollup::match_moved(fx.rollup(), &before, &moved);
        let fact = db::rollups::loan_fact(
            conn,
            m.enterprise_id,
            m.bank_id,
            m.product_id,
            cmd.guarantee.is_some(),
            cmd.amount.fen(),
            cmd.annual_rate.units(),
            cmd.first_loan,
            cmd.disbursed_on,
        )?;
        let guarantee = cmd.guarantee.as_ref();
        let loan = repo::insert_loan(
            conn,
            &NewLoan {
                match_id: m.id,
                demand_id: m.demand_id,
                product_id: m.product_id,
                bank_id: m.bank_id,
                enterprise_id: m.enterprise_id,
                amount_fen: cmd.amount.fen(),
                rate_units: cmd.annual_rate.units(),
                term_months: cmd.term_months,
                disbursed_on: cmd.disbursed_on,
                first_loan: cmd.first_loan,
                guarantor_id: guarantee.map(|g| g.guarantor_id),
                guarantee_fee_rate_units: guarantee.map(|g| g.fee_rate.units()),
                counter_guarantee: guarantee.map(|g| g.counter_guarantee),
                created_by: auth.user_id,
                created_at: now,
                region_code: fact.region_code.clone(),
                size_class: fact.size_class,
                qualification_kinds: fact.qualification_kinds.clone(),
                product_type: fact.product_type,
                credit: fact.credit,
            },
            servicing::maturity_on(cmd.disbursed_on, cmd.term_months as u32),
            None,
        )?;
        rollup::loan_disbursed(fx.rollup(), &fact).map_err(AppError::internal)?;
        // The status change first: it takes the catalog counter before the demand row, the
        // order every writer of a demand takes them in.
        db::demands::apply_event(
            conn,
            m.demand_id,
            m.enterprise_id,
            DemandEvent::LoanDisbursed,
            now,
        )?;
        db::demands::mark_loaned(conn, m.demand_id, loan.fields.amount_fen, now, fx.rollup())?;
        fx.audit(MatchEvent {
            match_id: m.id,
            action: EventAction::Disburse,
            from: Some(from),
            to: MatchState::Disbursed,
            note: Some(format!(
                "disbursed {} on {} (loan {})",
                cmd.amount, cmd.disbursed_on, loan.id
            )),
        });
        db::orgs::set_has_prior_loan(conn, m.enterprise_id, now)?;
        let view = LoanView::new(loan.clone());
        let mut recipients = vec![m.bank_id, m.enterprise_id];
        recipients.extend(loan.fields.guarantor_id);
        fx.notify(&recipients, "loan.disbursed", &view)?;
        fx.commit(conn, receipt, |_| Ok(view))
    })
}

/// Why the conditional update booked nothing: the match left `approved`/`disbursed` meanwhile
/// (409), or the amount exceeds what is left of the approval (422).
fn refusal(conn: &mut DbConnection, id: i64) -> AppResult<AppError> {
    let current = repo::reread(conn, id)?;
    let state = current.state;
    if !matches!(state, MatchState::Approved | MatchState::Disbursed) {
        return Ok(transition_error(TransitionError::InvalidTransition {
            from: state,
            action: MatchAction::Disburse,
        }));
    }
    let left = current.approved_amount_fen.unwrap_or(0) - current.disbursed_fen;
    Ok(AppError::invalid_field(
        ProblemCode::ExceedsApprovedAmount,
        "amount",
        format!(
            "only {} of the approved amount is left to disburse",
            Money::from_fen(left.max(0))
        ),
    ))
}
