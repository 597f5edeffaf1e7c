//! Matches and loans (对接 and 放款, SPEC §3.6–3.7): the commands a caller sends, the views it
//! reads (also the webhook payloads), and the helpers the use cases share. The state machine
//! is `domain::lifecycle`; `lifecycle` applies it, `disbursements` books loans, `queries` reads.

pub mod disbursements;
pub mod lifecycle;
pub mod overdue;
pub mod queries;

use crate::app::clock;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::caller::Caller;
use super::effects::Effects;
use super::error::{AppError, AppResult, ProblemCode};
use crate::db::loans::LoanEventRow;
use crate::db::matches::{self as repo, EventRow, LoanRow, MatchRow};
use crate::db::DbConnection;
use crate::domain::date::rfc3339;
use crate::domain::lifecycle::{EventAction, MatchState, Party, TransitionError};
use crate::domain::money::Money;
use crate::domain::org::Role;
use crate::domain::rate::Rate;
use crate::domain::servicing::{LoanEventKind, LoanStatus};
use crate::domain::subsidy::CounterGuarantee;

#[derive(Debug, Deserialize, Serialize, ToSchema)]
pub struct CreateMatch {
    pub demand_id: i64,
    pub product_id: i64,
}

#[derive(Debug, Default, Deserialize, Serialize, ToSchema)]
pub struct AcceptBody {
    pub note: Option<String>,
}

#[derive(Debug, Deserialize, Serialize, ToSchema)]
pub struct ApproveBody {
    #[schema(value_type = Money, example = "5000000.00")]
    pub approved_amount: Money,
    #[schema(value_type = Rate, example = "3.65")]
    pub annual_rate: Rate,
    #[schema(minimum = 1, maximum = 360)]
    pub term_months: i64,
    pub note: Option<String>,
}

/// 拒单有原因: both fields are required.
#[derive(Debug, Deserialize, Serialize, ToSchema)]
pub struct RejectBody {
    /// A short machine-readable reason, e.g. `insufficient_collateral`.
    #[schema(example = "insufficient_cash_flow", min_length = 1, max_length = 64)]
    pub reason_code: String,
    /// The explanation the enterprise reads.
    #[schema(
        example = "近两年经营性现金流为负，暂不满足信用贷款条件",
        min_length = 1,
        max_length = 2000
    )]
    pub reason: String,
}

#[derive(Debug, Default, Deserialize, Serialize, ToSchema)]
pub struct WithdrawBody {
    pub reason: Option<String>,
}

#[derive(Debug, Deserialize, Serialize, ToSchema)]
pub struct GuaranteeInput {
    pub guarantor_id: i64,
    /// Annual guarantee fee rate, percent.
    #[schema(value_type = Rate, example = "1.00")]
    pub fee_rate: Rate,
    pub counter_guarantee: CounterGuarantee,
}

#[derive(Debug, Deserialize, Serialize, ToSchema)]
pub struct CreateDisbursement {
    #[schema(value_type = Money, example = "3000000.00")]
    pub amount: Money,
    #[schema(value_type = Rate, example = "3.65")]
    pub annual_rate: Rate,
    #[schema(minimum = 1, maximum = 360)]
    pub term_months: i64,
    #[serde(deserialize_with = "crate::domain::date::strict")]
    pub disbursed_on: NaiveDate,
    /// Attested by the bank after checking 征信: the enterprise's first loan ever (首贷).
    pub first_loan: bool,
    pub guarantee: Option<GuaranteeInput>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct EventView {
    pub action: EventAction,
    pub from: Option<MatchState>,
    pub to: MatchState,
    pub actor_user_id: i64,
    pub actor_org_id: i64,
    pub note: Option<String>,
    #[schema(format = DateTime)]
    pub at: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct GuaranteeView {
    pub guarantor_id: i64,
    #[schema(value_type = Rate)]
    pub fee_rate: Rate,
    pub counter_guarantee: CounterGuarantee,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct LoanView {
    pub id: i64,
    pub match_id: i64,
    pub demand_id: i64,
    pub product_id: i64,
    pub bank_id: i64,
    pub enterprise_id: i64,
    #[schema(value_type = Money)]
    pub amount: Money,
    #[schema(value_type = Rate)]
    pub annual_rate: Rate,
    pub term_months: i64,
    pub disbursed_on: NaiveDate,
    pub first_loan: bool,
    pub guarantee: Option<GuaranteeView>,
    #[schema(format = DateTime)]
    pub created_at: String,
    /// `disbursed_on` + `term_months` (a day past the month's end: its last day).
    pub maturity_on: NaiveDate,
    /// Principal outstanding (贷款余额).
    #[schema(value_type = Money)]
    pub outstanding: Money,
    pub status: LoanStatus,
    /// What was outstanding when the loan was written off (核销); 0 otherwise.
    #[schema(value_type = Money)]
    pub written_off_amount: Money,
    /// The loan this one renews (续贷, SPEC §3.13); null for a loan of its own.
    pub renewal_of: Option<i64>,
    /// What the bank reported after 放款, in order (only on `GET /loans/{id}` and event answers).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub events: Option<Vec<LoanEventView>>,
}

/// One reported event of a loan.
#[derive(Debug, Serialize, ToSchema)]
pub struct LoanEventView {
    pub id: i64,
    pub kind: LoanEventKind,
    pub on: NaiveDate,
    #[schema(value_type = Option<Money>)]
    pub principal: Option<Money>,
    #[schema(value_type = Option<Money>)]
    pub interest: Option<Money>,
    pub note: Option<String>,
    /// The loan's status and outstanding principal after this event.
    pub status: LoanStatus,
    #[schema(value_type = Money)]
    pub outstanding: Money,
    pub actor_user_id: i64,
    pub actor_org_id: i64,
    #[schema(format = DateTime)]
    pub at: String,
}

impl LoanEventView {
    pub fn new(e: LoanEventRow) -> Self {
        let f = e.fields;
        LoanEventView {
            id: e.id,
            kind: f.kind,
            on: f.on_date,
            principal: f.principal_fen.map(Money::from_fen),
            interest: f.interest_fen.map(Money::from_fen),
            note: f.note,
            status: f.status_after,
            outstanding: Money::from_fen(f.outstanding_after_fen),
            actor_user_id: f.actor_user_id,
            actor_org_id: f.actor_org_id,
            at: rfc3339(f.created_at),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MatchView {
    pub id: i64,
    pub demand_id: i64,
    pub product_id: i64,
    pub bank_id: i64,
    pub enterprise_id: i64,
    pub state: MatchState,
    /// `enterprise` (applied) or `bank` (claimed, 抢单).
    pub initiated_by: Party,
    /// Accept or reject due by (working days from creation).
    pub respond_by: Option<NaiveDate>,
    /// Approve or reject due by (working days from acceptance).
    pub decide_by: Option<NaiveDate>,
    /// Past a deadline that is still open.
    pub overdue: bool,
    #[schema(value_type = Option<Money>)]
    pub approved_amount: Option<Money>,
    #[schema(value_type = Option<Rate>)]
    pub approved_rate: Option<Rate>,
    pub approved_term_months: Option<i64>,
    #[schema(value_type = Money)]
    pub disbursed_amount: Money,
    pub reject_reason_code: Option<String>,
    pub reject_reason: Option<String>,
    #[schema(format = DateTime)]
    pub created_at: String,
    #[schema(format = DateTime)]
    pub updated_at: String,
    /// The audit trail (only on `GET /matches/{id}` and action answers).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub events: Option<Vec<EventView>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub loans: Option<Vec<LoanView>>,
}

fn is_overdue(m: &MatchRow, today: NaiveDate) -> bool {
    m.state.is_overdue(m.respond_by, m.decide_by, today)
}

impl LoanView {
    pub fn new(l: LoanRow) -> Self {
        let guarantee = match (
            l.fields.guarantor_id,
            l.fields.guarantee_fee_rate_units,
            l.fields.counter_guarantee,
        ) {
            (Some(g), Some(rate), Some(counter_guarantee)) => Some(GuaranteeView {
                guarantor_id: g,
                fee_rate: Rate::from_units(rate),
                counter_guarantee,
            }),
            _ => None,
        };
        LoanView {
            id: l.id,
            match_id: l.fields.match_id,
            demand_id: l.fields.demand_id,
            product_id: l.fields.product_id,
            bank_id: l.fields.bank_id,
            enterprise_id: l.fields.enterprise_id,
            amount: Money::from_fen(l.fields.amount_fen),
            annual_rate: Rate::from_units(l.fields.rate_units),
            term_months: l.fields.term_months,
            disbursed_on: l.fields.disbursed_on,
            first_loan: l.fields.first_loan,
            guarantee,
            created_at: rfc3339(l.fields.created_at),
            maturity_on: l.servicing.maturity_on,
            outstanding: Money::from_fen(l.servicing.outstanding_fen),
            status: l.servicing.status,
            written_off_amount: Money::from_fen(l.servicing.written_off_fen),
            renewal_of: l.servicing.renewal_of,
            events: None,
        }
    }

    /// The view with the loan's event trail.
    pub fn with_events(l: LoanRow, events: Vec<LoanEventRow>) -> Self {
        LoanView {
            events: Some(events.into_iter().map(LoanEventView::new).collect()),
            ..LoanView::new(l)
        }
    }
}

impl MatchView {
    pub fn new(m: MatchRow, events: Option<Vec<EventRow>>, loans: Option<Vec<LoanRow>>) -> Self {
        let overdue = is_overdue(&m, clock::today());
        MatchView {
            id: m.id,
            demand_id: m.demand_id,
            product_id: m.product_id,
            bank_id: m.bank_id,
            enterprise_id: m.enterprise_id,
            state: m.state,
            initiated_by: m.initiated_by,
            respond_by: m.respond_by,
            decide_by: m.decide_by,
            overdue,
            approved_amount: m.approved_amount_fen.map(Money::from_fen),
            approved_rate: m.approved_rate_units.map(Rate::from_units),
            approved_term_months: m.approved_term_months,
            disbursed_amount: Money::from_fen(m.disbursed_fen),
            reject_reason_code: m.reject_reason_code,
            reject_reason: m.reject_reason,
            created_at: rfc3339(m.created_at),
            updated_at: rfc3339(m.updated_at),
            events: events.map(|es| {
                es.into_iter()
                    .map(|e| EventView {
                        action: e.action,
                        from: e.from_state,
                        to: e.to_state,
                        actor_user_id: e.actor_user_id,
                        actor_org_id: e.actor_org_id,
                        note: e.note,
                        at: rfc3339(e.created_at),
                    })
                    .collect()
            }),
            loans: loans.map(|ls| ls.into_iter().map(LoanView::new).collect()),
        }
    }
}

/// The full view with events and loans, and the JSON sent to webhooks.
pub(crate) fn full_view(conn: &mut DbConnection, id: i64) -> AppResult<MatchView> {
    let m = repo::reread(conn, id)?;
    let events = repo::events(conn, id)?;
    let loans = repo::loans_of_match(conn, id)?;
    Ok(MatchView::new(m, Some(events), Some(loans)))
}

/// Queues `match.<event>` with the match (without its trail) for both parties.
fn notify(fx: &mut Effects, m: &MatchRow, event: &str) -> AppResult<()> {
    let view = MatchView::new(m.clone(), None, None);
    fx.notify(
        &[m.bank_id, m.enterprise_id],
        format!("match.{event}"),
        &view,
    )
}

/// The webhook event a transition into `s` announces.
fn event_of(s: MatchState) -> &'static str {
    match s {
        MatchState::Accepted => "accepted",
        MatchState::Approved => "approved",
        MatchState::Rejected => "rejected",
        MatchState::Withdrawn => "withdrawn",
        MatchState::Applied => "created",
        MatchState::Disbursed => "disbursed",
    }
}

fn transition_error(e: TransitionError) -> AppError {
    match e {
        TransitionError::InvalidTransition { .. } => {
            AppError::conflict(ProblemCode::InvalidTransition, e.to_string())
        }
        TransitionError::WrongParty { .. } => AppError::forbidden(e.to_string()),
    }
}

/// The caller's party in a visible match, if any.
fn party_of(auth: &Caller, m: &MatchRow) -> Option<Party> {
    match auth.role {
        Role::Bank if m.bank_id == auth.org_id => Some(Party::Bank),
        Role::Enterprise if m.enterprise_id == auth.org_id => Some(Party::Enterprise),
        _ => None,
    }
}
