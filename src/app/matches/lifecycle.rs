//! Opening a match (申请 / 抢单) and moving it through `domain::lifecycle`: accept (接单),
//! approve (授信), reject (拒单) and withdraw. Each runs in one transaction: visibility (404),
//! party (403), the table (409), then a conditional update, so concurrent requests race safely.

use super::{
    event_of, full_view, notify, party_of, transition_error, AcceptBody, ApproveBody, CreateMatch,
    MatchView, RejectBody, WithdrawBody,
};
use crate::app::caller::Caller;
use crate::app::clock;
use crate::app::effects::{Effects, MatchEvent, Receipt};
use crate::app::error::{AppError, AppResult, FieldError, ProblemCode, Validator};
use crate::db::matches::{self as repo, NewMatch, TransitionFields};
use crate::db::{self, DbConnection};
use crate::domain::demand::DemandEvent;
use crate::domain::lifecycle::{
    transition, EventAction, MatchAction, MatchState, Party, TransitionError,
};
use crate::domain::matching::evaluate;
use crate::domain::org::Role;
use crate::domain::rollup::{self};
use crate::domain::scope::Scope;

/// Longest note or reason kept in the audit trail.
const NOTE_MAX: usize = 2000;

/// An enterprise applies with its own demand to a visible product (→ `applied`, the bank
/// answers by `respond_by`); a bank claims a live demand for its own product (→ `accepted`,
/// it decides by `decide_by`, `decide_working_days` later).
#[tracing::instrument(skip_all, fields(demand = cmd.demand_id, product = cmd.product_id))]
pub fn create<R: Receipt<MatchView>>(
    conn: &mut DbConnection,
    auth: &Caller,
    cmd: CreateMatch,
    decide_working_days: u32,
    receipt: R,
) -> AppResult<R::Out> {
    auth.require(&[Role::Enterprise, Role::Bank])?;
    conn.write_transaction(|conn| {
        let today = clock::today();
        let product = db::catalog::product(conn, cmd.product_id)?
            .ok_or_else(|| AppError::not_found("product"))?;
        let demand_row = db::demands::find_visible(conn, cmd.demand_id, &Scope::Everything)?
            .map(|(d, _)| d)
            .ok_or_else(|| AppError::not_found("demand"))?;
        let demand_status = demand_row.status.effective(demand_row.needed_by, today);
        let party = match auth.role {
            Role::Enterprise => {
                if demand_row.enterprise_id != auth.org_id {
                    return Err(AppError::not_found("demand"));
                }
                if product.facts.status.as_str() == "draft" {
                    return Err(AppError::not_found("product"));
                }
                Party::Enterprise
            }
            _ => {
                if product.facts.bank_id != auth.org_id {
                    return Err(AppError::not_found("product"));
                }
                if !demand_status.is_live() {
                    return Err(AppError::not_found("demand"));
                }
                Party::Bank
            }
        };
        if !demand_status.is_live() {
            return Err(AppError::conflict(
                ProblemCode::InvalidTransition,
                format!("the demand is {demand_status}"),
            ));
        }
        let demand = db::catalog::demand(conn, cmd.demand_id)?
            .ok_or_else(|| AppError::not_found("demand"))?;
        let enterprise = db::catalog::enterprises(conn, Some(&[demand.facts.enterprise_id]))?
            .remove(&demand.facts.enterprise_id)
            .ok_or_else(|| AppError::not_found("enterprise"))?;
        let ev = evaluate(&product.facts, &demand.facts, &enterprise.facts, today);
        if !ev.eligible {
            let errors = ev
                .reasons
                .into_iter()
                .filter(|r| r.points.is_none() && !r.passed)
                .map(|r| FieldError {
                    field: r.criterion,
                    message: r.detail,
                    message_zh: Some(r.detail_zh),
                })
                .collect();
            return Err(AppError::invalid(ProblemCode::NotEligible, errors));
        }
        let calendar = db::calendar::load(conn, today, today)?;
        let mut fx = Effects::new(auth.user_id, auth.org_id);
        let now = fx.now;
        let (state, respond_by, decide_by, responded_at) = match party {
            Party::Enterprise => (
                MatchState::Applied,
                Some(
                    calendar.add_working_days(today, product.facts.response_sla_days.max(0) as u32),
                ),
                None,
                None,
            ),
            Party::Bank => (
                MatchState::Accepted,
                None,
                Some(calendar.add_working_days(today, decide_working_days)),
                Some(now),
            ),
        };
        let snap = db::rollups::snapshot(conn, demand.facts.enterprise_id, cmd.product_id, today)?;
        let new = NewMatch {
            demand_id: cmd.demand_id,
            product_id: cmd.product_id,
            bank_id: product.facts.bank_id,
            enterprise_id: demand.facts.enterprise_id,
            state,
            initiated_by: party,
            live_key: Some(repo::live_key(cmd.demand_id, cmd.product_id)),
            respond_by,
            decide_by,
            disbursed_fen: 0,
            respond_overdue_notified: false,
            decide_overdue_notified: false,
            responded_at,
            created_at: now,
            updated_at: now,
            region_code: snap.region_code,
            size_class: snap.size_class,
            qualification_kinds: snap.qualification_kinds,
            product_type: snap.product_type,
        };
        let m = match repo::insert(conn, &new) {
            Err(diesel::result::Error::DatabaseError(
                diesel::result::DatabaseErrorKind::UniqueViolation,
                _,
            )) => {
                return Err(AppError::conflict(
                    ProblemCode::MatchExists,
                    "a live match for this demand and product already exists",
                ))
            }
            other => other?,
        };
        fx.audit(MatchEvent {
            match_id: m.id,
            action: match party {
                Party::Bank => EventAction::Claim,
                Party::Enterprise => EventAction::Apply,
            },
            from: None,
            to: state,
            note: None,
        });
        db::demands::apply_event(
            conn,
            cmd.demand_id,
            demand.facts.enterprise_id,
            DemandEvent::MatchOpened,
            now,
        )?;
        rollup::match_made(fx.rollup(), &db::rollups::match_fact(&m));
        db::demands::mark_matched(conn, cmd.demand_id, now, fx.rollup())?;
        notify(&mut fx, &m, "created")?;
        fx.commit(conn, receipt, |conn| full_view(conn, m.id))
    })
}

/// Accept an application (接单) — the product's bank.
pub fn accept(
    conn: &mut DbConnection,
    auth: &Caller,
    id: i64,
    cmd: AcceptBody,
    decide_working_days: u32,
) -> AppResult<MatchView> {
    let mut v = Validator::default();
    v.at_most("note", cmd.note.as_deref(), NOTE_MAX);
    v.finish()?;
    let today = clock::today();
    let calendar = db::calendar::load(conn, today, today)?;
    let fields = TransitionFields {
        decide_by: Some(calendar.add_working_days(today, decide_working_days)),
        ..Default::default()
    };
    apply(conn, auth, id, MatchAction::Accept, fields, cmd.note)
}

/// Grant credit (授信) — the product's bank.
pub fn approve(
    conn: &mut DbConnection,
    auth: &Caller,
    id: i64,
    cmd: ApproveBody,
) -> AppResult<MatchView> {
    let mut v = Validator::default();
    v.check(
        !cmd.approved_amount.is_zero(),
        "approved_amount",
        "must be greater than 0",
    );
    v.check(
        cmd.annual_rate.units() > 0,
        "annual_rate",
        "must be greater than 0",
    );
    v.term_months("term_months", cmd.term_months);
    v.at_most("note", cmd.note.as_deref(), NOTE_MAX);
    v.finish()?;
    let note = cmd.note.clone().or_else(|| {
        Some(format!(
            "approved {} at {}% for {} months",
            cmd.approved_amount, cmd.annual_rate, cmd.term_months
        ))
    });
    let fields = TransitionFields {
        approved_amount_fen: Some(cmd.approved_amount.fen()),
        approved_rate_units: Some(cmd.annual_rate.units()),
        approved_term_months: Some(cmd.term_months),
        ..Default::default()
    };
    apply(conn, auth, id, MatchAction::Approve, fields, note)
}

/// Refuse (拒单), with a reason code and a reason the enterprise reads — the product's bank.
pub fn reject(
    conn: &mut DbConnection,
    auth: &Caller,
    id: i64,
    cmd: RejectBody,
) -> AppResult<MatchView> {
    let mut v = Validator::default();
    v.check(
        !cmd.reason_code.trim().is_empty(),
        "reason_code",
        "is required (拒单有原因)",
    );
    v.at_most("reason_code", Some(&cmd.reason_code), 64);
    v.check(
        !cmd.reason.trim().is_empty(),
        "reason",
        "is required (拒单有原因)",
    );
    v.at_most("reason", Some(&cmd.reason), NOTE_MAX);
    v.finish()?;
    let note = Some(format!("{}: {}", cmd.reason_code, cmd.reason));
    let fields = TransitionFields {
        reject_reason_code: Some(cmd.reason_code),
        reject_reason: Some(cmd.reason),
        ..Default::default()
    };
    apply(conn, auth, id, MatchAction::Reject, fields, note)
}

/// Withdraw — the demand's enterprise.
pub fn withdraw(
    conn: &mut DbConnection,
    auth: &Caller,
    id: i64,
    cmd: WithdrawBody,
) -> AppResult<MatchView> {
    let mut v = Validator::default();
    v.at_most("reason", cmd.reason.as_deref(), NOTE_MAX);
    v.finish()?;
    let fields = TransitionFields::default();
    apply(conn, auth, id, MatchAction::Withdraw, fields, cmd.reason)
}

/// Runs one transition of a visible match.
#[tracing::instrument(skip(conn, auth, fields, note), fields(user = auth.user_id))]
fn apply(
    conn: &mut DbConnection,
    auth: &Caller,
    id: i64,
    action: MatchAction,
    mut fields: TransitionFields,
    note: Option<String>,
) -> AppResult<MatchView> {
    conn.write_transaction(|conn| {
        let scope = &auth.scope;
        let m = repo::find_visible(conn, id, scope)?.ok_or_else(|| AppError::not_found("match"))?;
        db::rollups::hold_region(conn, m.enterprise_id)?;
        let party = party_of(auth, &m).ok_or_else(|| {
            AppError::forbidden(format!(
                "only the match's {} may {action} it",
                action.party().as_str()
            ))
        })?;
        let from = m.state;
        let to = transition(from, action, party).map_err(transition_error)?;
        let mut fx = Effects::new(auth.user_id, auth.org_id);
        let now = fx.now;
        if matches!(action, MatchAction::Accept | MatchAction::Reject) && m.responded_at.is_none() {
            fields.responded_at = Some(now);
        }
        if !repo::transition(conn, id, from, to, &fields, now)? {
            // Someone else moved it between our read and our write.
            let current = repo::reread(conn, id)?.state;
            return Err(transition_error(TransitionError::InvalidTransition {
                from: current,
                action,
            }));
        }
        fx.audit(MatchEvent {
            match_id: id,
            action: action.into(),
            from: Some(from),
            to,
            note,
        });
        if !to.is_live() && repo::live_count_for_demand(conn, m.demand_id)? == 0 {
            db::demands::apply_event(
                conn,
                m.demand_id,
                m.enterprise_id,
                DemandEvent::LastMatchEnded,
                now,
            )?;
        }
        let updated = repo::reread(conn, id)?;
        rollup::match_moved(
            fx.rollup(),
            &db::rollups::match_fact(&m),
            &db::rollups::match_fact(&updated),
        );
        notify(&mut fx, &updated, event_of(to))?;
        fx.commit(conn, crate::app::effects::Keep, |conn| full_view(conn, id))
    })
}
