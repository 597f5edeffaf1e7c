//! Renewals (续贷 / 无还本续贷, SPEC §3.13): requested by the enterprise or the loan's bank,
//! approved (续贷承诺) or rejected by the bank by `respond_by`, withdrawn by the enterprise, and
//! disbursed as a new loan that closes the old one as `renewed`, in one transaction. The state
//! machine is `domain::renewal`; every change is a conditional update after the table says yes.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::caller::Caller;
use super::clock;
use super::effects::{Effects, Receipt};
use super::error::{AppError, AppResult, ProblemCode, Validator};
use super::matches::LoanView;
use crate::db::matches::{LoanRow, NewLoan};
use crate::db::renewals::{self as repo, Decision, NewRenewal, RenewalEventRow, RenewalRow};
use crate::db::{self, DbConnection};
use crate::domain::date::rfc3339;
use crate::domain::event::WebhookEvent;
use crate::domain::money::Money;
use crate::domain::org::Role;
use crate::domain::rate::Rate;
use crate::domain::renewal::{
    loan_renewable, transition, RenewalAction, RenewalError, RenewalParty, RenewalState,
};
use crate::domain::rollup;
use crate::domain::servicing;

const NOTE_MAX: usize = 2000;

#[derive(Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RequestRenewal {
    /// At most the loan's outstanding principal.
    #[schema(value_type = Money, example = "4000000.00")]
    pub amount: Money,
    #[schema(minimum = 1, maximum = 360)]
    pub term_months: i64,
    /// 无还本续贷: renewed without repaying the principal first.
    pub no_principal_repayment: bool,
    #[schema(max_length = 2000)]
    pub note: Option<String>,
}

/// 续贷承诺: what the bank commits to.
#[derive(Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ApproveRenewal {
    /// At most the amount requested.
    #[schema(value_type = Money)]
    pub approved_amount: Money,
    #[schema(value_type = Rate, example = "3.45")]
    pub annual_rate: Rate,
    #[schema(minimum = 1, maximum = 360)]
    pub term_months: i64,
}

/// Both fields are required.
#[derive(Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RejectRenewal {
    #[schema(example = "declining_revenue", min_length = 1, max_length = 64)]
    pub reason_code: String,
    #[schema(min_length = 1, max_length = 2000)]
    pub reason: String,
}

#[derive(Debug, Default, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WithdrawRenewal {
    pub reason: Option<String>,
}

/// The renewal loan.
#[derive(Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DisburseRenewal {
    /// At most the approved amount.
    #[schema(value_type = Money)]
    pub amount: Money,
    /// Not before the old loan's last event, not in the future.
    #[serde(deserialize_with = "crate::domain::date::strict")]
    pub disbursed_on: NaiveDate,
    #[schema(value_type = Rate)]
    pub annual_rate: Rate,
    #[schema(minimum = 1, maximum = 360)]
    pub term_months: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RenewalEventView {
    pub action: RenewalAction,
    pub from: Option<RenewalState>,
    pub to: RenewalState,
    pub actor_user_id: i64,
    pub actor_org_id: i64,
    pub note: Option<String>,
    #[schema(format = DateTime)]
    pub at: String,
}

/// An active renewal (无还本续贷) product of the loan's bank.
#[derive(Debug, Serialize, ToSchema)]
pub struct RenewalProduct {
    pub id: i64,
    pub name: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RenewalView {
    pub id: i64,
    pub loan_id: i64,
    pub bank_id: i64,
    pub enterprise_id: i64,
    pub state: RenewalState,
    #[schema(value_type = Money)]
    pub amount: Money,
    pub term_months: i64,
    pub no_principal_repayment: bool,
    pub note: Option<String>,
    /// The bank decides by this day (the product's `response_sla_days` working days).
    pub respond_by: NaiveDate,
    /// Requested and past `respond_by`.
    pub overdue: bool,
    #[schema(value_type = Option<Money>)]
    pub approved_amount: Option<Money>,
    #[schema(value_type = Option<Rate>)]
    pub approved_rate: Option<Rate>,
    pub approved_term_months: Option<i64>,
    pub reject_reason_code: Option<String>,
    pub reject_reason: Option<String>,
    /// The renewal loan, once disbursed.
    pub new_loan_id: Option<i64>,
    #[schema(format = DateTime)]
    pub created_at: String,
    #[schema(format = DateTime)]
    pub updated_at: String,
    /// The audit trail (on `GET /renewals/{id}` and action answers).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub events: Option<Vec<RenewalEventView>>,
    /// The loan's bank's active renewal products (on `GET /renewals/{id}` and action answers).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub renewal_products: Option<Vec<RenewalProduct>>,
}

impl RenewalView {
    pub fn new(r: RenewalRow) -> Self {
        let f = r.fields;
        RenewalView {
            id: r.id,
            loan_id: f.loan_id,
            bank_id: f.bank_id,
            enterprise_id: f.enterprise_id,
            state: f.state,
            amount: Money::from_fen(f.amount_fen),
            term_months: f.term_months,
            no_principal_repayment: f.no_principal_repayment,
            note: f.note,
            respond_by: f.respond_by,
            overdue: f.state.is_overdue(f.respond_by, clock::today()),
            approved_amount: r.approved_amount_fen.map(Money::from_fen),
            approved_rate: r.approved_rate_units.map(Rate::from_units),
            approved_term_months: r.approved_term_months,
            reject_reason_code: r.reject_reason_code,
            reject_reason: r.reject_reason,
            new_loan_id: r.new_loan_id,
            created_at: rfc3339(f.created_at),
            updated_at: rfc3339(r.updated_at),
            events: None,
            renewal_products: None,
        }
    }

    fn with_trail(
        r: RenewalRow,
        events: Vec<RenewalEventRow>,
        products: Vec<(i64, String)>,
    ) -> Self {
        RenewalView {
            events: Some(
                events
                    .into_iter()
                    .map(|e| RenewalEventView {
                        action: e.action,
                        from: e.from_state,
                        to: e.to_state,
                        actor_user_id: e.actor_user_id,
                        actor_org_id: e.actor_org_id,
                        note: e.note,
                        at: rfc3339(e.created_at),
                    })
                    .collect(),
            ),
            renewal_products: Some(
                products
                    .into_iter()
                    .map(|(id, name)| RenewalProduct { id, name })
                    .collect(),
            ),
            ..RenewalView::new(r)
        }
    }
}

/// The full view: the renewal with its trail and the bank's renewal products.
fn full_view(conn: &mut DbConnection, id: i64) -> AppResult<RenewalView> {
    let r = repo::find_visible(conn, id, &crate::domain::scope::Scope::Everything)?
        .ok_or_else(|| AppError::not_found("renewal"))?;
    let events = repo::events(conn, id)?;
    let products = repo::renewal_products(conn, r.fields.bank_id)?;
    Ok(RenewalView::with_trail(r, events, products))
}

fn renewal_error(e: RenewalError) -> AppError {
    match e {
        RenewalError::WrongParty { .. } => AppError::forbidden(e.to_string()),
        _ => AppError::conflict(ProblemCode::InvalidTransition, e.to_string()),
    }
}

/// The caller's party to a renewal (or loan) of `bank_id` and `enterprise_id`.
fn party(auth: &Caller, bank_id: i64, enterprise_id: i64) -> AppResult<RenewalParty> {
    match auth.role {
        Role::Bank if auth.org_id == bank_id => Ok(RenewalParty::Bank),
        Role::Enterprise if auth.org_id == enterprise_id => Ok(RenewalParty::Enterprise),
        _ => Err(AppError::forbidden(
            "only the loan's enterprise and bank act on its renewals",
        )),
    }
}

fn notify(fx: &mut Effects, r: &RenewalRow, event: WebhookEvent) -> AppResult<()> {
    fx.notify(
        &[r.fields.bank_id, r.fields.enterprise_id],
        event.as_str(),
        &RenewalView::new(r.clone()),
    )
}

fn check_terms(v: &mut Validator, amount: Money, rate: Option<Rate>, term_months: i64) {
    v.check(!amount.is_zero(), "amount", "must be greater than 0");
    if let Some(rate) = rate {
        v.check(rate.units() > 0, "annual_rate", "must be greater than 0");
    }
    v.term_months("term_months", term_months);
}

/// Asks for a renewal of a `current` or `overdue` loan before its maturity.
#[tracing::instrument(skip(conn, auth, body, receipt), fields(user = auth.user_id))]
pub fn request<R: Receipt<RenewalView>>(
    conn: &mut DbConnection,
    auth: &Caller,
    loan_id: i64,
    body: RequestRenewal,
    receipt: R,
) -> AppResult<R::Out> {
    let mut v = Validator::default();
    check_terms(&mut v, body.amount, None, body.term_months);
    v.at_most("note", body.note.as_deref(), NOTE_MAX);
    v.finish()?;
    conn.write_transaction(|conn| {
        let visible = db::matches::find_loan(conn, loan_id, &auth.scope)?
            .ok_or_else(|| AppError::not_found("loan"))?;
        party(auth, visible.fields.bank_id, visible.fields.enterprise_id)?;
        db::rollups::hold_region(conn, visible.fields.enterprise_id)?;
        let loan = db::loans::lock(conn, loan_id)?.ok_or_else(|| AppError::not_found("loan"))?;
        let today = clock::today();
        loan_renewable(loan.servicing.status, loan.servicing.maturity_on, today)
            .map_err(renewal_error)?;
        if body.amount.fen() > loan.servicing.outstanding_fen {
            return Err(AppError::invalid_field(
                ProblemCode::ValidationFailed,
                "amount",
                format!(
                    "must be at most the loan's outstanding {}",
                    Money::from_fen(loan.servicing.outstanding_fen)
                ),
            ));
        }
        let sla = db::catalog::product(conn, loan.fields.product_id)?
            .map(|p| p.facts.response_sla_days.max(0) as u32)
            .unwrap_or(0);
        let calendar = db::calendar::load(conn, today, today)?;
        let mut fx = Effects::new(auth.user_id, auth.org_id);
        let row = repo::insert(
            conn,
            &NewRenewal {
                loan_id,
                bank_id: loan.fields.bank_id,
                enterprise_id: loan.fields.enterprise_id,
                state: RenewalState::Requested,
                amount_fen: body.amount.fen(),
                term_months: body.term_months,
                no_principal_repayment: body.no_principal_repayment,
                note: body.note.clone(),
                respond_by: calendar.add_working_days(today, sla),
                requested_by: auth.org_id,
                created_at: fx.now,
            },
        )?
        .ok_or_else(|| {
            AppError::conflict(
                ProblemCode::Conflict,
                "the loan already has a renewal requested or approved",
            )
        })?;
        repo::record_event(
            conn,
            row.id,
            RenewalAction::Request,
            None,
            RenewalState::Requested,
            fx.actor(),
            body.note.as_deref(),
            fx.now,
        )?;
        rollup::renewal_made(fx.rollup(), &db::rollups::renewal_fact(conn, &row)?);
        notify(&mut fx, &row, WebhookEvent::RenewalRequested)?;
        let id = row.id;
        fx.commit(conn, receipt, |conn| full_view(conn, id))
    })
}

/// Applies `action` to a visible renewal: party (403), table (409), then a conditional update
/// with `decision`; records the event and queues `announce`.
#[allow(clippy::too_many_arguments)]
fn act<R: Receipt<RenewalView>>(
    conn: &mut DbConnection,
    auth: &Caller,
    id: i64,
    action: RenewalAction,
    decision: impl FnOnce(&RenewalRow) -> AppResult<Decision>,
    note: Option<String>,
    announce: Option<WebhookEvent>,
    receipt: R,
) -> AppResult<R::Out> {
    conn.write_transaction(|conn| {
        let visible = repo::find_visible(conn, id, &auth.scope)?
            .ok_or_else(|| AppError::not_found("renewal"))?;
        let who = party(auth, visible.fields.bank_id, visible.fields.enterprise_id)?;
        db::rollups::hold_region(conn, visible.fields.enterprise_id)?;
        let r = repo::lock(conn, id)?;
        let from = r.fields.state;
        let to = transition(from, action, who).map_err(renewal_error)?;
        let mut fx = Effects::new(auth.user_id, auth.org_id);
        let mut d = decision(&r)?;
        if matches!(action, RenewalAction::Approve | RenewalAction::Reject) {
            // How long the bank took, as the calendar counts it today (kept for the reports).
            let (asked, today) = (r.fields.created_at.date(), clock::today());
            let calendar = db::calendar::load(conn, asked, today)?;
            d.decision_working_days = Some(calendar.working_days_between(asked, today).into());
        }
        if !repo::transition(conn, id, from, to, &d, fx.now)? {
            return Err(AppError::conflict(
                ProblemCode::InvalidTransition,
                "the renewal changed meanwhile; read it again",
            ));
        }
        repo::record_event(
            conn,
            id,
            action,
            Some(from),
            to,
            fx.actor(),
            note.as_deref(),
            fx.now,
        )?;
        let after = repo::lock(conn, id)?;
        rollup::renewal_moved(
            fx.rollup(),
            &db::rollups::renewal_fact(conn, &r)?,
            &db::rollups::renewal_fact(conn, &after)?,
        );
        if let Some(event) = announce {
            notify(&mut fx, &after, event)?;
        }
        fx.commit(conn, receipt, |conn| full_view(conn, id))
    })
}

/// 续贷承诺: the bank commits to renew.
pub fn approve<R: Receipt<RenewalView>>(
    conn: &mut DbConnection,
    auth: &Caller,
    id: i64,
    body: ApproveRenewal,
    receipt: R,
) -> AppResult<R::Out> {
    let mut v = Validator::default();
    check_terms(
        &mut v,
        body.approved_amount,
        Some(body.annual_rate),
        body.term_months,
    );
    v.finish()?;
    let note = format!(
        "approved {} at {}% for {} months",
        body.approved_amount, body.annual_rate, body.term_months
    );
    act(
        conn,
        auth,
        id,
        RenewalAction::Approve,
        |r| {
            if body.approved_amount.fen() > r.fields.amount_fen {
                return Err(AppError::invalid_field(
                    ProblemCode::ValidationFailed,
                    "approved_amount",
                    format!(
                        "must be at most the amount requested, {}",
                        Money::from_fen(r.fields.amount_fen)
                    ),
                ));
            }
            Ok(Decision {
                approved_amount_fen: Some(body.approved_amount.fen()),
                approved_rate_units: Some(body.annual_rate.units()),
                approved_term_months: Some(body.term_months),
                decided_at: Some(clock::now()),
                ..Decision::default()
            })
        },
        Some(note),
        Some(WebhookEvent::RenewalApproved),
        receipt,
    )
}

/// The bank refuses, with a reason.
pub fn reject<R: Receipt<RenewalView>>(
    conn: &mut DbConnection,
    auth: &Caller,
    id: i64,
    body: RejectRenewal,
    receipt: R,
) -> AppResult<R::Out> {
    let mut v = Validator::default();
    v.check(
        !body.reason_code.trim().is_empty(),
        "reason_code",
        "is required",
    );
    v.at_most("reason_code", Some(&body.reason_code), 64);
    v.check(!body.reason.trim().is_empty(), "reason", "is required");
    v.at_most("reason", Some(&body.reason), NOTE_MAX);
    v.finish()?;
    let note = format!("{}: {}", body.reason_code, body.reason);
    act(
        conn,
        auth,
        id,
        RenewalAction::Reject,
        |_| {
            Ok(Decision {
                reject_reason_code: Some(body.reason_code),
                reject_reason: Some(body.reason),
                decided_at: Some(clock::now()),
                ..Decision::default()
            })
        },
        Some(note),
        Some(WebhookEvent::RenewalRejected),
        receipt,
    )
}

/// The enterprise withdraws its renewal (requested or approved).
pub fn withdraw<R: Receipt<RenewalView>>(
    conn: &mut DbConnection,
    auth: &Caller,
    id: i64,
    body: WithdrawRenewal,
    receipt: R,
) -> AppResult<R::Out> {
    let mut v = Validator::default();
    v.at_most("reason", body.reason.as_deref(), NOTE_MAX);
    v.finish()?;
    act(
        conn,
        auth,
        id,
        RenewalAction::Withdraw,
        |_| Ok(Decision::default()),
        body.reason,
        None,
        receipt,
    )
}

/// The bank disburses the renewal loan: the new loan (`renewal_of` the old one, never a 首贷),
/// the old loan closed as `renewed`, the renewal `disbursed` — one transaction.
#[tracing::instrument(skip(conn, auth, body, receipt), fields(user = auth.user_id))]
pub fn disburse<R: Receipt<LoanView>>(
    conn: &mut DbConnection,
    auth: &Caller,
    id: i64,
    body: DisburseRenewal,
    receipt: R,
) -> AppResult<R::Out> {
    let mut v = Validator::default();
    check_terms(
        &mut v,
        body.amount,
        Some(body.annual_rate),
        body.term_months,
    );
    v.check(
        body.disbursed_on <= clock::today(),
        "disbursed_on",
        "must not be in the future",
    );
    v.finish()?;
    conn.write_transaction(|conn| {
        let visible = repo::find_visible(conn, id, &auth.scope)?
            .ok_or_else(|| AppError::not_found("renewal"))?;
        let who = party(auth, visible.fields.bank_id, visible.fields.enterprise_id)?;
        // Lock order: region, the old loan, then the renewal.
        db::rollups::hold_region(conn, visible.fields.enterprise_id)?;
        let mut old: LoanRow = db::loans::lock(conn, visible.fields.loan_id)?
            .ok_or_else(|| AppError::not_found("loan"))?;
        let r = repo::lock(conn, id)?;
        let from = r.fields.state;
        let to = transition(from, RenewalAction::Disburse, who).map_err(renewal_error)?;
        let approved = r.approved_amount_fen.unwrap_or(0);
        if body.amount.fen() > approved {
            return Err(AppError::invalid_field(
                ProblemCode::ValidationFailed,
                "amount",
                format!(
                    "must be at most the approved amount, {}",
                    Money::from_fen(approved)
                ),
            ));
        }
        if body.disbursed_on < old.fields.disbursed_on {
            return Err(AppError::invalid_field(
                ProblemCode::ValidationFailed,
                "disbursed_on",
                format!(
                    "must not precede the old loan's disbursement ({})",
                    old.fields.disbursed_on
                ),
            ));
        }
        let mut fx = Effects::new(auth.user_id, auth.org_id);
        let fact = db::rollups::loan_fact(
            conn,
            old.fields.enterprise_id,
            old.fields.bank_id,
            old.fields.product_id,
            false,
            body.amount.fen(),
            body.annual_rate.units(),
            false,
            body.disbursed_on,
        )?;
        let new = db::matches::insert_loan(
            conn,
            &NewLoan {
                match_id: old.fields.match_id,
                demand_id: old.fields.demand_id,
                product_id: old.fields.product_id,
                bank_id: old.fields.bank_id,
                enterprise_id: old.fields.enterprise_id,
                amount_fen: body.amount.fen(),
                rate_units: body.annual_rate.units(),
                term_months: body.term_months,
                disbursed_on: body.disbursed_on,
                first_loan: false,
                guarantor_id: None,
                guarantee_fee_rate_units: None,
                counter_guarantee: None,
                created_by: auth.user_id,
                created_at: fx.now,
                region_code: fact.region_code.clone(),
                size_class: fact.size_class,
                qualification_kinds: fact.qualification_kinds.clone(),
                product_type: fact.product_type,
                credit: fact.credit,
            },
            servicing::maturity_on(body.disbursed_on, body.term_months as u32),
            Some(old.id),
        )?;
        rollup::loan_disbursed(fx.rollup(), &fact).map_err(AppError::internal)?;
        crate::app::loans::close_renewed(
            conn,
            &mut fx,
            &mut old,
            body.disbursed_on,
            format!("renewed by loan {} (renewal {id})", new.id),
        )?;
        let d = Decision {
            new_loan_id: Some(new.id),
            ..Decision::default()
        };
        if !repo::transition(conn, id, from, to, &d, fx.now)? {
            return Err(AppError::conflict(
                ProblemCode::InvalidTransition,
                "the renewal changed meanwhile; read it again",
            ));
        }
        let after = repo::lock(conn, id)?;
        rollup::renewal_moved(
            fx.rollup(),
            &db::rollups::renewal_fact(conn, &r)?,
            &db::rollups::renewal_fact(conn, &after)?,
        );
        repo::record_event(
            conn,
            id,
            RenewalAction::Disburse,
            Some(from),
            to,
            fx.actor(),
            Some(&format!(
                "disbursed {} on {} (loan {})",
                body.amount, body.disbursed_on, new.id
            )),
            fx.now,
        )?;
        let view = LoanView::new(new.clone());
        fx.notify(
            &[new.fields.bank_id, new.fields.enterprise_id],
            WebhookEvent::LoanDisbursed.as_str(),
            &view,
        )?;
        let new_id = new.id;
        fx.commit(conn, receipt, |conn| {
            let events = db::loans::events(conn, new_id)?;
            Ok(LoanView::with_events(new, events))
        })
    })
}

/// What a renewal list is filtered by.
pub struct RenewalQuery {
    pub state: Option<RenewalState>,
    pub overdue: Option<bool>,
    pub loan_id: Option<i64>,
    pub after_id: Option<i64>,
    pub limit: i64,
}

pub fn list(conn: &mut DbConnection, auth: &Caller, q: RenewalQuery) -> AppResult<Vec<RenewalRow>> {
    let today = clock::today();
    Ok(repo::list(
        conn,
        &auth.scope,
        &repo::RenewalFilter {
            state: q.state,
            loan_id: q.loan_id,
            overdue: q.overdue.map(|o| (o, today)),
            after_id: q.after_id,
            limit: q.limit,
        },
    )?)
}

pub fn get(conn: &mut DbConnection, auth: &Caller, id: i64) -> AppResult<RenewalView> {
    repo::find_visible(conn, id, &auth.scope)?.ok_or_else(|| AppError::not_found("renewal"))?;
    full_view(conn, id)
}
