//! Loan servicing (贷后管理, SPEC §3.12): the events a loan's bank reports after 放款, one at a
//! time or as a core system's nightly batch (all or nothing), and the `loan.maturing` notices.
//! What an event does to a loan is `domain::servicing`; here it is checked against the caller,
//! the dates and the stored loan, written with the loan row locked, and announced.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{Days, NaiveDate};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::caller::Caller;
use super::clock;
use super::effects::{Effects, Keep, Receipt};
use super::error::{AppError, AppResult, FieldError, ProblemCode, Validator};
use super::matches::LoanView;
use crate::db::loans::{self as repo, NewLoanEvent};
use crate::db::matches::LoanRow;
use crate::db::{self, DbConnection};
use crate::domain::event::WebhookEvent;
use crate::domain::money::Money;
use crate::domain::org::Role;
use crate::domain::rollup;
use crate::domain::servicing::{self, LoanEventKind, LoanStatus, ServicingError};

/// Most events in one batch upload.
pub const MAX_BATCH: usize = 1000;
/// `loan.maturing` goes out this many days before `maturity_on`.
pub const MATURING_NOTICE_DAYS: u64 = 30;
const MAX_NOTE: usize = 2000;

/// An event on one loan (`POST /loans/{id}/events`).
#[derive(Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoanEventInput {
    /// `renewed` is recorded by the platform when a renewal is disbursed (§3.13), not by a bank.
    pub kind: LoanEventKind,
    /// The day it happened: not before the disbursement or the loan's last event, not in the
    /// future.
    #[serde(deserialize_with = "crate::domain::date::strict")]
    pub on: NaiveDate,
    /// Principal repaid or recovered: required for `repayment` and `recovery`, at most the
    /// outstanding principal; not allowed on the other kinds.
    #[schema(value_type = Option<Money>, example = "500000.00")]
    pub principal: Option<Money>,
    /// Interest paid with it, recorded for information.
    #[schema(value_type = Option<Money>)]
    pub interest: Option<Money>,
    #[schema(max_length = 2000)]
    pub note: Option<String>,
}

/// One item of a batch upload: an event and its loan.
#[derive(Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BatchEventInput {
    pub loan_id: i64,
    pub kind: LoanEventKind,
    #[serde(deserialize_with = "crate::domain::date::strict")]
    pub on: NaiveDate,
    #[schema(value_type = Option<Money>)]
    pub principal: Option<Money>,
    #[schema(value_type = Option<Money>)]
    pub interest: Option<Money>,
    #[schema(max_length = 2000)]
    pub note: Option<String>,
}

/// `POST /loan-events/batch`: at most 1,000 events, applied in order, all or none.
#[derive(Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EventBatch {
    #[schema(max_items = 1000)]
    pub events: Vec<BatchEventInput>,
}

/// What one batch item did.
#[derive(Debug, Serialize, ToSchema)]
pub struct BatchItemResult {
    /// 0-based position in `events`.
    pub index: usize,
    pub loan_id: i64,
    pub event_id: i64,
    pub status: LoanStatus,
    #[schema(value_type = Money)]
    pub outstanding: Money,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct BatchResult {
    /// Events recorded (all of them).
    pub recorded: usize,
    pub events: Vec<BatchItemResult>,
}

impl BatchEventInput {
    fn event(&self) -> LoanEventInput {
        LoanEventInput {
            kind: self.kind,
            on: self.on,
            principal: self.principal,
            interest: self.interest,
            note: self.note.clone(),
        }
    }
}

/// Field checks that need no stored loan; `at` prefixes the field names (`events[3].`).
fn check_fields(v: &mut Validator, at: &str, e: &LoanEventInput, today: NaiveDate) {
    let field = |f: &str| format!("{at}{f}");
    v.check(
        e.kind != LoanEventKind::Renewed,
        &field("kind"),
        "renewed is recorded when a renewal is disbursed, not reported",
    );
    v.check(e.on <= today, &field("on"), "must not be in the future");
    let moves_money = matches!(e.kind, LoanEventKind::Repayment | LoanEventKind::Recovery);
    match e.principal {
        None if moves_money => v.push(&field("principal"), format!("is required for {}", e.kind)),
        Some(p) if moves_money && p.is_zero() => {
            v.push(&field("principal"), "must be greater than 0")
        }
        Some(_) if !moves_money => v.push(
            &field("principal"),
            format!("only repayment and recovery move principal, not {}", e.kind),
        ),
        _ => {}
    }
    v.check(
        e.interest.is_none() || moves_money,
        &field("interest"),
        format!("only repayment and recovery carry interest, not {}", e.kind),
    );
    v.at_most(&field("note"), e.note.as_deref(), MAX_NOTE);
}

/// Checks one event's fields (422), before anything is looked up.
pub fn validate(e: &LoanEventInput) -> AppResult<()> {
    let mut v = Validator::default();
    check_fields(&mut v, "", e, clock::today());
    v.finish()
}

/// Checks a batch's fields (422, every bad item named by index), before anything is looked up.
pub fn validate_batch(b: &EventBatch) -> AppResult<()> {
    let mut v = Validator::default();
    v.check(!b.events.is_empty(), "events", "must not be empty");
    v.check(
        b.events.len() <= MAX_BATCH,
        "events",
        format!("must hold at most {MAX_BATCH} events"),
    );
    let today = clock::today();
    for (i, e) in b.events.iter().enumerate().take(MAX_BATCH) {
        check_fields(&mut v, &format!("events[{i}]."), &e.event(), today);
    }
    v.finish()
}

/// Why one event could not be applied to its stored loan.
enum Refusal {
    /// 409 `invalid_transition`.
    Transition(String),
    /// 422 on a field (name without prefix).
    Field(&'static str, String),
}

/// Applies one event to the locked `loan` (updating it in place): the state machine, then the
/// dates against the loan; writes the row and the event and queues its webhook.
fn apply_one(
    conn: &mut DbConnection,
    fx: &mut Effects,
    loan: &mut LoanRow,
    e: &LoanEventInput,
) -> AppResult<Result<i64, Refusal>> {
    let s = &loan.servicing;
    let applied = match servicing::apply(
        s.status,
        Money::from_fen(s.outstanding_fen),
        e.kind,
        e.principal,
    ) {
        Ok(a) => a,
        Err(err @ ServicingError::InvalidTransition { .. }) => {
            return Ok(Err(Refusal::Transition(err.to_string())))
        }
        Err(err) => return Ok(Err(Refusal::Field("principal", err.to_string()))),
    };
    if e.on < loan.fields.disbursed_on {
        return Ok(Err(Refusal::Field(
            "on",
            format!(
                "must not precede the disbursement ({})",
                loan.fields.disbursed_on
            ),
        )));
    }
    if let Some(last) = s.last_event_on.filter(|last| e.on < *last) {
        return Ok(Err(Refusal::Field(
            "on",
            format!("must not precede the loan's last event ({last})"),
        )));
    }
    let row = repo::record(
        conn,
        &NewLoanEvent {
            loan_id: loan.id,
            kind: e.kind,
            on_date: e.on,
            principal_fen: e.principal.map(Money::fen),
            interest_fen: e.interest.map(Money::fen),
            note: e.note.clone(),
            status_after: applied.status,
            outstanding_after_fen: applied.outstanding.fen(),
            actor_user_id: fx.actor().0,
            actor_org_id: fx.actor().1,
            created_at: fx.now,
        },
        applied.written_off.fen(),
    )?;
    let moved = applied.status != s.status;
    // Risk schemes count the enrolled loans' outstanding principal (SPEC §3.15).
    db::risk::follow_outstanding(
        conn,
        loan.id,
        applied.outstanding.fen() - loan.servicing.outstanding_fen,
    )?;
    // The report cells of the loan (by disbursement date) follow, in the same transaction.
    let before = db::rollups::stored_loan_fact(loan);
    loan.servicing.status = applied.status;
    loan.servicing.outstanding_fen = applied.outstanding.fen();
    loan.servicing.written_off_fen += applied.written_off.fen();
    loan.servicing.last_event_on = Some(e.on);
    let after = db::rollups::stored_loan_fact(loan);
    rollup::loan_serviced(fx.rollup(), &before, before.balance, after.balance);
    let announce = match applied.status {
        LoanStatus::Overdue => Some(WebhookEvent::LoanOverdue),
        LoanStatus::Npl => Some(WebhookEvent::LoanNpl),
        LoanStatus::Repaid => Some(WebhookEvent::LoanRepaid),
        _ => None,
    };
    if let Some(event) = announce.filter(|_| moved) {
        notify(fx, loan, event)?;
    }
    Ok(Ok(row.id))
}

/// Closes `loan` as `renewed` on `on` (its renewal was disbursed, §3.13): the event, the
/// loan row and its report cells, in the caller's transaction. 409 when the loan is no longer
/// open; 422 on a date before its last event.
pub(crate) fn close_renewed(
    conn: &mut DbConnection,
    fx: &mut Effects,
    loan: &mut LoanRow,
    on: NaiveDate,
    note: String,
) -> AppResult<()> {
    let e = LoanEventInput {
        kind: LoanEventKind::Renewed,
        on,
        principal: None,
        interest: None,
        note: Some(note),
    };
    match apply_one(conn, fx, loan, &e)? {
        Ok(_) => Ok(()),
        Err(Refusal::Transition(d)) => Err(AppError::conflict(ProblemCode::InvalidTransition, d)),
        Err(Refusal::Field(_, m)) => Err(AppError::invalid_field(
            ProblemCode::ValidationFailed,
            "disbursed_on",
            m,
        )),
    }
}

/// Queues `event` with the loan for its bank, its enterprise and its guarantor.
fn notify(fx: &mut Effects, loan: &LoanRow, event: WebhookEvent) -> AppResult<()> {
    let mut recipients = vec![loan.fields.bank_id, loan.fields.enterprise_id];
    recipients.extend(loan.fields.guarantor_id);
    fx.notify(&recipients, event.as_str(), &LoanView::new(loan.clone()))
}

/// Only a bank reports events, and only on its own loans.
fn reporting_bank(auth: &Caller) -> AppResult<i64> {
    match auth.role {
        Role::Bank => Ok(auth.org_id),
        _ => Err(AppError::forbidden(
            "only the loan's bank reports its events",
        )),
    }
}

/// Records one event on a loan of the caller's bank; answers the loan with its trail.
#[tracing::instrument(skip(conn, auth, e, receipt), fields(user = auth.user_id))]
pub fn record_event<R: Receipt<LoanView>>(
    conn: &mut DbConnection,
    auth: &Caller,
    id: i64,
    e: LoanEventInput,
    receipt: R,
) -> AppResult<R::Out> {
    validate(&e)?;
    conn.write_transaction(|conn| {
        let visible = db::matches::find_loan(conn, id, &auth.scope)?
            .ok_or_else(|| AppError::not_found("loan"))?;
        let bank = reporting_bank(auth)?;
        if visible.fields.bank_id != bank {
            return Err(AppError::forbidden(
                "only the loan's bank reports its events",
            ));
        }
        db::rollups::hold_region(conn, visible.fields.enterprise_id)?;
        let mut loan = repo::lock(conn, id)?.ok_or_else(|| AppError::not_found("loan"))?;
        let mut fx = Effects::new(auth.user_id, auth.org_id);
        match apply_one(conn, &mut fx, &mut loan, &e)? {
            Ok(_) => {}
            Err(Refusal::Transition(d)) => {
                return Err(AppError::conflict(ProblemCode::InvalidTransition, d))
            }
            Err(Refusal::Field(f, m)) => {
                return Err(AppError::invalid_field(ProblemCode::ValidationFailed, f, m))
            }
        }
        fx.commit(conn, receipt, |conn| {
            let events = repo::events(conn, id)?;
            Ok(LoanView::with_events(loan, events))
        })
    })
}

/// Records a core system's batch: every event in order, in one transaction. One bad item and
/// nothing is recorded: a 422 names each rejected item (`events[3].principal`); an event the
/// status table refuses is named on its `kind`. A loan that is not the caller's is named on
/// its `loan_id` exactly like one that does not exist.
#[tracing::instrument(skip(conn, auth, batch, receipt), fields(user = auth.user_id, n = batch.events.len()))]
pub fn record_batch<R: Receipt<BatchResult>>(
    conn: &mut DbConnection,
    auth: &Caller,
    batch: EventBatch,
    receipt: R,
) -> AppResult<R::Out> {
    validate_batch(&batch)?;
    let bank = reporting_bank(auth)?;
    conn.write_transaction(|conn| {
        let ids: BTreeSet<i64> = batch.events.iter().map(|e| e.loan_id).collect();
        let ids: Vec<i64> = ids.into_iter().collect();
        let mut errors = Vec::new();
        // Lock order: the enterprises' region locks, then the loans, each in id order, so two
        // batches touching the same loans queue instead of deadlocking.
        let known: BTreeMap<i64, LoanRow> = repo::peek(conn, &ids)?
            .into_iter()
            .filter(|l| l.fields.bank_id == bank)
            .map(|l| (l.id, l))
            .collect();
        let enterprises: BTreeSet<i64> = known.values().map(|l| l.fields.enterprise_id).collect();
        for e in enterprises {
            db::rollups::hold_region(conn, e)?;
        }
        let mut loans: BTreeMap<i64, LoanRow> = BTreeMap::new();
        for id in known.keys() {
            if let Some(l) = repo::lock(conn, *id)?.filter(|l| l.fields.bank_id == bank) {
                loans.insert(*id, l);
            }
        }
        let mut fx = Effects::new(auth.user_id, auth.org_id);
        let mut results = Vec::with_capacity(batch.events.len());
        for (i, item) in batch.events.iter().enumerate() {
            let Some(loan) = loans.get_mut(&item.loan_id) else {
                errors.push(FieldError {
                    field: format!("events[{i}].loan_id"),
                    message: "no such loan of this bank".into(),
                    message_zh: None,
                });
                continue;
            };
            match apply_one(conn, &mut fx, loan, &item.event())? {
                Ok(event_id) => results.push(BatchItemResult {
                    index: i,
                    loan_id: loan.id,
                    event_id,
                    status: loan.servicing.status,
                    outstanding: Money::from_fen(loan.servicing.outstanding_fen),
                }),
                Err(Refusal::Transition(m)) => errors.push(FieldError {
                    field: format!("events[{i}].kind"),
                    message: m,
                    message_zh: None,
                }),
                Err(Refusal::Field(f, m)) => errors.push(FieldError {
                    field: format!("events[{i}].{f}"),
                    message: m,
                    message_zh: None,
                }),
            }
        }
        if !errors.is_empty() {
            // Rolls the transaction back: nothing of the batch is kept.
            return Err(AppError::invalid(ProblemCode::ValidationFailed, errors));
        }
        fx.commit(conn, receipt, |_| {
            Ok(BatchResult {
                recorded: results.len(),
                events: results,
            })
        })
    })
}

/// Sends `loan.maturing` for every open loan maturing within `MATURING_NOTICE_DAYS` that has
/// not had it; returns how many. Claiming a loan's notice is a conditional update, so of
/// several instances scanning at once exactly one sends it.
#[tracing::instrument(skip_all)]
pub fn announce_maturing(conn: &mut DbConnection) -> AppResult<usize> {
    let by = clock::today()
        .checked_add_days(Days::new(MATURING_NOTICE_DAYS))
        .unwrap_or(NaiveDate::MAX);
    let mut sent = 0;
    loop {
        let due = repo::maturing_unannounced(conn, by, 500)?;
        if due.is_empty() {
            return Ok(sent);
        }
        for loan in due {
            let announced = conn.write_transaction(|conn| {
                if !repo::mark_maturing_announced(conn, loan.id)? {
                    return Ok(false);
                }
                let mut fx = Effects::system();
                notify(&mut fx, &loan, WebhookEvent::LoanMaturing)?;
                fx.commit(conn, Keep, |_| Ok(true))
            })?;
            sent += usize::from(announced);
        }
    }
}
