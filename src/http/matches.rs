//! Matches and loans (对接 and 放款, SPEC §3.6–3.7). The state machine is
//! `domain::lifecycle`; this module checks who is asking, applies a transition atomically
//! (a conditional update), records it in the audit trail and writes the webhook outbox — all
//! in one transaction.

use actix_web::http::StatusCode;
use actix_web::{get, post, web, HttpRequest, HttpResponse};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::auth::Auth;
use super::error::ProblemCode;
use super::error::{ApiError, ApiResult, FieldError, Validator};
use super::extract::{JsonBody, OptionalBody};
use super::pagination::{page, Page, PageQuery};
use super::views::rfc3339;
use super::{idempotency, with_conn};
use crate::db::matches::{
    self as repo, EventRow, LoanRow, MatchRow, NewLoan, NewMatch, TransitionFields,
};
use crate::db::{self, DbConnection};
use crate::domain::demand::{DemandEvent, DemandStatus};
use crate::domain::lifecycle::{
    transition, EventAction, MatchAction, MatchState, Party, TransitionError,
};
use crate::domain::matching::evaluate;
use crate::domain::money::Money;
use crate::domain::org::{OrgKind, Role};
use crate::domain::rate::Rate;
use crate::domain::rollup::{self, MatchFact, Rollup};
use crate::domain::subsidy::CounterGuarantee;
use crate::startup::AppState;

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
    #[serde(deserialize_with = "super::date::strict")]
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

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct MatchListQuery {
    pub state: Option<MatchState>,
    pub overdue: Option<bool>,
    pub product_id: Option<i64>,
    pub demand_id: Option<i64>,
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
    pub cursor: Option<String>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct LoanListQuery {
    pub match_id: Option<i64>,
    pub bank_id: Option<i64>,
    pub enterprise_id: Option<i64>,
    pub first_loan: Option<bool>,
    /// Disbursed on or after.
    #[serde(default, deserialize_with = "super::date::strict_opt")]
    pub from: Option<NaiveDate>,
    /// Disbursed on or before.
    #[serde(default, deserialize_with = "super::date::strict_opt")]
    pub to: Option<NaiveDate>,
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
    pub cursor: Option<String>,
}

fn today() -> NaiveDate {
    chrono::Utc::now().date_naive()
}

fn state_of(s: &str) -> MatchState {
    MatchState::parse(s).unwrap_or(MatchState::Withdrawn)
}

pub fn is_overdue(m: &MatchRow, today: NaiveDate) -> bool {
    state_of(&m.state).is_overdue(m.respond_by, m.decide_by, today)
}

impl LoanView {
    pub fn new(l: LoanRow) -> Self {
        let guarantee = match (
            l.guarantor_id,
            l.guarantee_fee_rate_units,
            l.counter_guarantee.as_deref(),
        ) {
            (Some(g), Some(rate), Some(cg)) => Some(GuaranteeView {
                guarantor_id: g,
                fee_rate: Rate::from_units(rate),
                counter_guarantee: CounterGuarantee::parse(cg).unwrap_or(CounterGuarantee::Credit),
            }),
            _ => None,
        };
        LoanView {
            id: l.id,
            match_id: l.match_id,
            demand_id: l.demand_id,
            product_id: l.product_id,
            bank_id: l.bank_id,
            enterprise_id: l.enterprise_id,
            amount: Money::from_fen(l.amount_fen),
            annual_rate: Rate::from_units(l.rate_units),
            term_months: l.term_months,
            disbursed_on: l.disbursed_on,
            first_loan: l.first_loan,
            guarantee,
            created_at: rfc3339(l.created_at),
        }
    }
}

impl MatchView {
    fn new(m: MatchRow, events: Option<Vec<EventRow>>, loans: Option<Vec<LoanRow>>) -> Self {
        let overdue = is_overdue(&m, today());
        MatchView {
            id: m.id,
            demand_id: m.demand_id,
            product_id: m.product_id,
            bank_id: m.bank_id,
            enterprise_id: m.enterprise_id,
            state: state_of(&m.state),
            initiated_by: Party::parse(&m.initiated_by).unwrap_or(Party::Enterprise),
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
                        action: EventAction::parse(&e.action).unwrap_or(EventAction::Apply),
                        from: e.from_state.as_deref().and_then(MatchState::parse),
                        to: state_of(&e.to_state),
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
fn full_view(conn: &mut DbConnection, id: i64) -> ApiResult<MatchView> {
    let m = repo::find(conn, id)?;
    let events = repo::events(conn, id)?;
    let loans = repo::loans_of_match(conn, id)?;
    Ok(MatchView::new(m, Some(events), Some(loans)))
}

fn emit(conn: &mut DbConnection, m: &MatchRow, event: &str, extra: &[i64]) -> ApiResult<()> {
    let view = MatchView::new(m.clone(), None, None);
    let payload = serde_json::to_value(&view).map_err(ApiError::internal)?;
    let mut orgs = vec![m.bank_id, m.enterprise_id];
    orgs.extend_from_slice(extra);
    db::webhooks::enqueue(conn, &orgs, event, &payload, db::now())?;
    Ok(())
}

fn transition_error(e: TransitionError) -> ApiError {
    match e {
        TransitionError::InvalidTransition { .. } => {
            ApiError::conflict(ProblemCode::InvalidTransition, e.to_string())
        }
        TransitionError::WrongParty { .. } => ApiError::forbidden(e.to_string()),
    }
}

/// The caller's party in a visible match, if any.
fn party_of(auth: &Auth, m: &MatchRow) -> Option<Party> {
    match auth.role {
        Role::Bank if m.bank_id == auth.org_id => Some(Party::Bank),
        Role::Enterprise if m.enterprise_id == auth.org_id => Some(Party::Enterprise),
        _ => None,
    }
}

/// Apply or claim (抢单) a demand–product pair.
#[utoipa::path(
    tag = "matches",
    request_body = CreateMatch,
    params(("Idempotency-Key" = Option<String>, Header, description = "Makes retries safe")),
    responses(
        (status = 201, description = "The match: `applied` (enterprise) or `accepted` (bank)", body = MatchView),
        (status = 409, description = "`match_exists` (a live match for the pair) or `invalid_transition` (the demand is not open)", body = super::error::Problem, content_type = "application/problem+json"),
        (status = 422, description = "`not_eligible`, with the failing criteria in `errors`", body = super::error::Problem, content_type = "application/problem+json"),
    )
)]
#[post("/matches")]
pub async fn create_match(
    state: web::Data<AppState>,
    req: HttpRequest,
    auth: Auth,
    body: JsonBody<CreateMatch>,
) -> ApiResult<HttpResponse> {
    auth.require(&[Role::Enterprise, Role::Bank])?;
    let b = body.value;
    let st = state.clone();
    idempotency::run(
        &st,
        &req,
        auth.idempotency_scope(),
        &body.raw,
        |done| async move {
            let decide_days = state.decide_working_days;
            with_conn(&state, move |conn| {
                conn.write_transaction(|conn| {
                    let today = today();
                    // Scope: an enterprise applies with its own demand to a visible product; a bank
                    // claims a live demand for its own product.
                    let product = db::catalog::product(conn, b.product_id)?
                        .ok_or_else(|| ApiError::not_found("product"))?;
                    let demand_row = db::demands::find_visible(
                        conn,
                        b.demand_id,
                        &db::orgs::EnterpriseScope::All,
                    )?
                    .map(|(d, _)| d)
                    .ok_or_else(|| ApiError::not_found("demand"))?;
                    let demand_status = DemandStatus::parse(&demand_row.status)
                        .unwrap_or(DemandStatus::Closed)
                        .effective(demand_row.needed_by, today);
                    let party = match auth.role {
                        Role::Enterprise => {
                            if demand_row.enterprise_id != auth.org_id {
                                return Err(ApiError::not_found("demand"));
                            }
                            if product.facts.status.as_str() == "draft" {
                                return Err(ApiError::not_found("product"));
                            }
                            Party::Enterprise
                        }
                        _ => {
                            if product.facts.bank_id != auth.org_id {
                                return Err(ApiError::not_found("product"));
                            }
                            if !demand_status.is_live() {
                                return Err(ApiError::not_found("demand"));
                            }
                            Party::Bank
                        }
                    };
                    if !demand_status.is_live() {
                        return Err(ApiError::conflict(
                            ProblemCode::InvalidTransition,
                            format!("the demand is {demand_status}"),
                        ));
                    }
                    let demand = db::catalog::demand(conn, b.demand_id)?
                        .ok_or_else(|| ApiError::not_found("demand"))?;
                    let enterprise =
                        db::catalog::enterprises(conn, Some(&[demand.facts.enterprise_id]))?
                            .remove(&demand.facts.enterprise_id)
                            .ok_or_else(|| ApiError::not_found("enterprise"))?;
                    let ev = evaluate(&product.facts, &demand.facts, &enterprise.facts, today);
                    if !ev.eligible {
                        let errors = ev
                            .reasons
                            .into_iter()
                            .filter(|r| r.points.is_none() && !r.passed)
                            .map(|r| FieldError {
                                field: r.criterion,
                                message: r.detail,
                            })
                            .collect();
                        return Err(ApiError::invalid(ProblemCode::NotEligible, errors));
                    }
                    let calendar = db::calendar::load(conn, today, today)?;
                    let now = db::now();
                    let (state, respond_by, decide_by, responded_at, initiated_by) = match party {
                        Party::Enterprise => (
                            MatchState::Applied,
                            Some(calendar.add_working_days(
                                today,
                                product.facts.response_sla_days.max(0) as u32,
                            )),
                            None,
                            None,
                            Party::Enterprise,
                        ),
                        Party::Bank => (
                            MatchState::Accepted,
                            None,
                            Some(calendar.add_working_days(today, decide_days)),
                            Some(now),
                            Party::Bank,
                        ),
                    };
                    let snap = db::rollups::snapshot(
                        conn,
                        demand.facts.enterprise_id,
                        b.product_id,
                        today,
                    )?;
                    let new = NewMatch {
                        demand_id: b.demand_id,
                        product_id: b.product_id,
                        bank_id: product.facts.bank_id,
                        enterprise_id: demand.facts.enterprise_id,
                        state: state.as_str().to_owned(),
                        initiated_by: initiated_by.as_str().to_owned(),
                        live_key: Some(repo::live_key(b.demand_id, b.product_id)),
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
                            return Err(ApiError::conflict(
                                ProblemCode::MatchExists,
                                "a live match for this demand and product already exists",
                            ))
                        }
                        other => other?,
                    };
                    let action = if party == Party::Bank {
                        EventAction::Claim
                    } else {
                        EventAction::Apply
                    };
                    repo::record_event(
                        conn,
                        m.id,
                        action,
                        None,
                        state,
                        auth.user_id,
                        auth.org_id,
                        None,
                        now,
                    )?;
                    db::demands::apply_event(conn, b.demand_id, DemandEvent::MatchOpened, now)?;
                    let mut rollup = Rollup::default();
                    rollup::match_made(&mut rollup, &db::rollups::match_fact(&m));
                    db::demands::mark_matched(conn, b.demand_id, now, &mut rollup)?;
                    db::rollups::apply(conn, rollup)?;
                    emit(conn, &m, "match.created", &[])?;
                    let view = full_view(conn, m.id)?;
                    done.record(conn, StatusCode::CREATED, &view)
                })
            })
            .await
        },
    )
    .await
}

/// Matches in the caller's scope.
#[utoipa::path(
    tag = "matches",
    params(MatchListQuery),
    responses((status = 200, description = "A page of matches", body = Page<MatchView>))
)]
#[get("/matches")]
pub async fn list_matches(
    state: web::Data<AppState>,
    auth: Auth,
    query: web::Query<MatchListQuery>,
) -> ApiResult<HttpResponse> {
    let q = query.into_inner();
    let cursor = PageQuery {
        limit: q.limit,
        cursor: q.cursor,
    }
    .cursor()?;
    let rows = with_conn(&state, move |conn| {
        let scope = repo::scope_for(conn, auth.org_id, auth.role)?;
        let today = today();
        let filter = repo::MatchFilter {
            state: q.state.map(|s| s.as_str().to_owned()),
            overdue_on: (q.overdue == Some(true)).then_some(today),
            not_overdue_on: (q.overdue == Some(false)).then_some(today),
            product_id: q.product_id,
            demand_id: q.demand_id,
            after_id: cursor.after_id,
            limit: cursor.limit,
        };
        Ok(repo::list(conn, &scope, &filter)?)
    })
    .await?;
    Ok(HttpResponse::Ok().json(page(
        rows,
        cursor,
        |m| m.id,
        |m| MatchView::new(m, None, None),
    )))
}

/// One match with its audit trail (`events`) and loans.
#[utoipa::path(
    tag = "matches",
    params(("id" = i64, Path, description = "Match id")),
    responses((status = 200, description = "The match", body = MatchView))
)]
#[get("/matches/{id}")]
pub async fn get_match(
    state: web::Data<AppState>,
    auth: Auth,
    path: web::Path<i64>,
) -> ApiResult<HttpResponse> {
    let id = path.into_inner();
    let view = with_conn(&state, move |conn| {
        let scope = repo::scope_for(conn, auth.org_id, auth.role)?;
        repo::find_visible(conn, id, &scope)?.ok_or_else(|| ApiError::not_found("match"))?;
        full_view(conn, id)
    })
    .await?;
    Ok(HttpResponse::Ok().json(view))
}

/// Runs one transition: visibility (404), party (403), the table (409), then the
/// conditional update that makes concurrent requests race safely.
async fn act(
    state: web::Data<AppState>,
    auth: Auth,
    id: i64,
    action: MatchAction,
    fields: TransitionFields,
    note: Option<String>,
) -> ApiResult<HttpResponse> {
    let decide_days = state.decide_working_days;
    let view = with_conn(&state, move |conn| {
        conn.write_transaction(|conn| {
            let scope = repo::scope_for(conn, auth.org_id, auth.role)?;
            let m = repo::find_visible(conn, id, &scope)?
                .ok_or_else(|| ApiError::not_found("match"))?;
            let party = party_of(&auth, &m).ok_or_else(|| {
                ApiError::forbidden(format!(
                    "only the match's {} may {action} it",
                    match action.party() {
                        Party::Bank => "bank",
                        Party::Enterprise => "enterprise",
                    }
                ))
            })?;
            let from = state_of(&m.state);
            let to = transition(from, action, party).map_err(transition_error)?;
            let now = db::now();
            let mut fields = fields;
            if action == MatchAction::Accept {
                let calendar = db::calendar::load(conn, today(), today())?;
                fields.decide_by = Some(calendar.add_working_days(today(), decide_days));
            }
            if matches!(action, MatchAction::Accept | MatchAction::Reject)
                && m.responded_at.is_none()
            {
                fields.responded_at = Some(now);
            }
            if !repo::transition(conn, id, from, to, &fields, now)? {
                // Someone else moved it between our read and our write.
                let current = state_of(&repo::find(conn, id)?.state);
                return Err(transition_error(TransitionError::InvalidTransition {
                    from: current,
                    action,
                }));
            }
            repo::record_event(
                conn,
                id,
                action.into(),
                Some(from),
                to,
                auth.user_id,
                auth.org_id,
                note.as_deref(),
                now,
            )?;
            if !to.is_live() && repo::live_count_for_demand(conn, m.demand_id)? == 0 {
                db::demands::apply_event(conn, m.demand_id, DemandEvent::LastMatchEnded, now)?;
            }
            let updated = repo::find(conn, id)?;
            let mut rollup = Rollup::default();
            rollup::match_moved(
                &mut rollup,
                &db::rollups::match_fact(&m),
                &db::rollups::match_fact(&updated),
            );
            db::rollups::apply(conn, rollup)?;
            emit(conn, &updated, &format!("match.{}", to_event(to)), &[])?;
            full_view(conn, id)
        })
    })
    .await?;
    Ok(HttpResponse::Ok().json(view))
}

fn to_event(s: MatchState) -> &'static str {
    match s {
        MatchState::Accepted => "accepted",
        MatchState::Approved => "approved",
        MatchState::Rejected => "rejected",
        MatchState::Withdrawn => "withdrawn",
        MatchState::Applied => "created",
        MatchState::Disbursed => "disbursed",
    }
}

fn check_note(v: &mut Validator, field: &str, note: &Option<String>) {
    if let Some(n) = note {
        v.check(
            n.chars().count() <= 2000,
            field,
            "must be at most 2000 characters",
        );
    }
}

/// Accept an application (接单) — the product's bank.
#[utoipa::path(
    tag = "matches",
    request_body(content = Option<AcceptBody>),
    params(("id" = i64, Path, description = "Match id")),
    responses(
        (status = 200, description = "The accepted match", body = MatchView),
        (status = 409, description = "`invalid_transition`", body = super::error::Problem, content_type = "application/problem+json"),
    )
)]
#[post("/matches/{id}/accept")]
pub async fn accept(
    state: web::Data<AppState>,
    auth: Auth,
    path: web::Path<i64>,
    OptionalBody(b): OptionalBody<AcceptBody>,
) -> ApiResult<HttpResponse> {
    let mut v = Validator::default();
    check_note(&mut v, "note", &b.note);
    v.finish()?;
    act(
        state,
        auth,
        path.into_inner(),
        MatchAction::Accept,
        TransitionFields::default(),
        b.note,
    )
    .await
}

/// Grant credit (授信) — the product's bank.
#[utoipa::path(
    tag = "matches",
    request_body = ApproveBody,
    params(("id" = i64, Path, description = "Match id")),
    responses(
        (status = 200, description = "The approved match", body = MatchView),
        (status = 409, description = "`invalid_transition`", body = super::error::Problem, content_type = "application/problem+json"),
    )
)]
#[post("/matches/{id}/approve")]
pub async fn approve(
    state: web::Data<AppState>,
    auth: Auth,
    path: web::Path<i64>,
    body: JsonBody<ApproveBody>,
) -> ApiResult<HttpResponse> {
    let b = body.value;
    let mut v = Validator::default();
    v.check(
        !b.approved_amount.is_zero(),
        "approved_amount",
        "must be greater than 0",
    );
    v.check(
        b.annual_rate.units() > 0,
        "annual_rate",
        "must be greater than 0",
    );
    v.check(
        (1..=360).contains(&b.term_months),
        "term_months",
        "must be between 1 and 360",
    );
    check_note(&mut v, "note", &b.note);
    v.finish()?;
    let note = b.note.clone().or_else(|| {
        Some(format!(
            "approved {} at {}% for {} months",
            b.approved_amount, b.annual_rate, b.term_months
        ))
    });
    let fields = TransitionFields {
        approved_amount_fen: Some(b.approved_amount.fen()),
        approved_rate_units: Some(b.annual_rate.units()),
        approved_term_months: Some(b.term_months),
        ..Default::default()
    };
    act(
        state,
        auth,
        path.into_inner(),
        MatchAction::Approve,
        fields,
        note,
    )
    .await
}

/// Refuse (拒单), with a reason code and a reason the enterprise reads — the product's bank.
#[utoipa::path(
    tag = "matches",
    request_body = RejectBody,
    params(("id" = i64, Path, description = "Match id")),
    responses(
        (status = 200, description = "The rejected match", body = MatchView),
        (status = 409, description = "`invalid_transition`", body = super::error::Problem, content_type = "application/problem+json"),
    )
)]
#[post("/matches/{id}/reject")]
pub async fn reject(
    state: web::Data<AppState>,
    auth: Auth,
    path: web::Path<i64>,
    body: JsonBody<RejectBody>,
) -> ApiResult<HttpResponse> {
    let b = body.value;
    let mut v = Validator::default();
    v.check(
        !b.reason_code.trim().is_empty(),
        "reason_code",
        "is required (拒单有原因)",
    );
    v.check(
        b.reason_code.chars().count() <= 64,
        "reason_code",
        "must be at most 64 characters",
    );
    v.check(
        !b.reason.trim().is_empty(),
        "reason",
        "is required (拒单有原因)",
    );
    v.check(
        b.reason.chars().count() <= 2000,
        "reason",
        "must be at most 2000 characters",
    );
    v.finish()?;
    let note = Some(format!("{}: {}", b.reason_code, b.reason));
    let fields = TransitionFields {
        reject_reason_code: Some(b.reason_code),
        reject_reason: Some(b.reason),
        ..Default::default()
    };
    act(
        state,
        auth,
        path.into_inner(),
        MatchAction::Reject,
        fields,
        note,
    )
    .await
}

/// Withdraw (the demand's enterprise).
#[utoipa::path(
    tag = "matches",
    request_body(content = Option<WithdrawBody>),
    params(("id" = i64, Path, description = "Match id")),
    responses(
        (status = 200, description = "The withdrawn match", body = MatchView),
        (status = 409, description = "`invalid_transition`", body = super::error::Problem, content_type = "application/problem+json"),
    )
)]
#[post("/matches/{id}/withdraw")]
pub async fn withdraw(
    state: web::Data<AppState>,
    auth: Auth,
    path: web::Path<i64>,
    OptionalBody(b): OptionalBody<WithdrawBody>,
) -> ApiResult<HttpResponse> {
    let mut v = Validator::default();
    check_note(&mut v, "reason", &b.reason);
    v.finish()?;
    act(
        state,
        auth,
        path.into_inner(),
        MatchAction::Withdraw,
        TransitionFields::default(),
        b.reason,
    )
    .await
}

/// Record a disbursement (放款) — the product's bank, on an approved match. The sum of a
/// match's disbursements never exceeds its approved amount.
#[utoipa::path(
    tag = "matches",
    request_body = CreateDisbursement,
    params(
        ("id" = i64, Path, description = "Match id"),
        ("Idempotency-Key" = Option<String>, Header, description = "Makes retries safe: a retried disbursement is not booked twice"),
    ),
    responses(
        (status = 201, description = "The loan", body = LoanView),
        (status = 409, description = "`invalid_transition`: the match is not approved", body = super::error::Problem, content_type = "application/problem+json"),
        (status = 422, description = "`exceeds_approved_amount` or invalid fields", body = super::error::Problem, content_type = "application/problem+json"),
    )
)]
#[post("/matches/{id}/disbursements")]
pub async fn disburse(
    state: web::Data<AppState>,
    req: HttpRequest,
    auth: Auth,
    path: web::Path<i64>,
    body: JsonBody<CreateDisbursement>,
) -> ApiResult<HttpResponse> {
    let id = path.into_inner();
    let b = body.value;
    let mut v = Validator::default();
    v.check(!b.amount.is_zero(), "amount", "must be greater than 0");
    v.check(
        b.annual_rate.units() > 0,
        "annual_rate",
        "must be greater than 0",
    );
    v.check(
        (1..=360).contains(&b.term_months),
        "term_months",
        "must be between 1 and 360",
    );
    v.check(
        b.disbursed_on <= today(),
        "disbursed_on",
        "must not be in the future",
    );
    if let Some(g) = &b.guarantee {
        v.check(
            g.fee_rate.units() <= 10 * 10_000,
            "guarantee.fee_rate",
            "must be at most 10 (percent per year)",
        );
    }
    v.finish()?;
    let st = state.clone();
    idempotency::run(
        &st,
        &req,
        auth.idempotency_scope(),
        &body.raw,
        |done| async move {
            with_conn(&state, move |conn| {
                conn.write_transaction(|conn| {
                    let scope = repo::scope_for(conn, auth.org_id, auth.role)?;
                    let m = repo::find_visible(conn, id, &scope)?
                        .ok_or_else(|| ApiError::not_found("match"))?;
                    if party_of(&auth, &m) != Some(Party::Bank) {
                        return Err(ApiError::forbidden(
                            "only the match's bank records disbursements",
                        ));
                    }
                    let from = state_of(&m.state);
                    transition(from, MatchAction::Disburse, Party::Bank)
                        .map_err(transition_error)?;
                    if let Some(g) = &b.guarantee {
                        let guarantor = db::orgs::find(conn, g.guarantor_id)?;
                        if guarantor.map(|o| o.kind) != Some(OrgKind::Guarantor.as_str().to_owned())
                        {
                            return Err(ApiError::invalid_field(
                                ProblemCode::ValidationFailed,
                                "guarantee.guarantor_id",
                                "is not a guarantor organization",
                            ));
                        }
                    }
                    let now = db::now();
                    let Some(was) = repo::add_disbursement(conn, id, b.amount.fen(), now)? else {
                        let current = repo::find(conn, id)?;
                        if !matches!(
                            state_of(&current.state),
                            MatchState::Approved | MatchState::Disbursed
                        ) {
                            return Err(transition_error(TransitionError::InvalidTransition {
                                from: state_of(&current.state),
                                action: MatchAction::Disburse,
                            }));
                        }
                        let left = current.approved_amount_fen.unwrap_or(0) - current.disbursed_fen;
                        return Err(ApiError::invalid_field(
                            ProblemCode::ExceedsApprovedAmount,
                            "amount",
                            format!(
                                "only {} of the approved amount is left to disburse",
                                Money::from_fen(left.max(0))
                            ),
                        ));
                    };
                    let mut rollup = Rollup::default();
                    let after = repo::find(conn, id)?;
                    let moved = db::rollups::match_fact(&after);
                    rollup::match_moved(
                        &mut rollup,
                        &MatchFact {
                            state: was.as_str().to_owned(),
                            ..moved.clone()
                        },
                        &moved,
                    );
                    let fact = db::rollups::loan_fact(
                        conn,
                        m.enterprise_id,
                        m.bank_id,
                        m.product_id,
                        b.guarantee.is_some(),
                        b.amount.fen(),
                        b.annual_rate.units(),
                        b.first_loan,
                        b.disbursed_on,
                    )?;
                    let loan = repo::insert_loan(
                        conn,
                        &NewLoan {
                            match_id: m.id,
                            demand_id: m.demand_id,
                            product_id: m.product_id,
                            bank_id: m.bank_id,
                            enterprise_id: m.enterprise_id,
                            amount_fen: b.amount.fen(),
                            rate_units: b.annual_rate.units(),
                            term_months: b.term_months,
                            disbursed_on: b.disbursed_on,
                            first_loan: b.first_loan,
                            guarantor_id: b.guarantee.as_ref().map(|g| g.guarantor_id),
                            guarantee_fee_rate_units: b
                                .guarantee
                                .as_ref()
                                .map(|g| g.fee_rate.units()),
                            counter_guarantee: b
                                .guarantee
                                .as_ref()
                                .map(|g| g.counter_guarantee.as_str().to_owned()),
                            created_by: auth.user_id,
                            created_at: now,
                            region_code: fact.region_code.clone(),
                            size_class: fact.size_class.clone(),
                            qualification_kinds: fact.qualification_kinds.clone(),
                            product_type: fact.product_type.clone(),
                            credit: fact.credit,
                        },
                    )?;
                    rollup::loan_disbursed(&mut rollup, &fact).map_err(ApiError::internal)?;
                    db::demands::mark_loaned(conn, m.demand_id, loan.amount_fen, now, &mut rollup)?;
                    let note = format!(
                        "disbursed {} on {} (loan {})",
                        b.amount, b.disbursed_on, loan.id
                    );
                    repo::record_event(
                        conn,
                        m.id,
                        EventAction::Disburse,
                        Some(from),
                        MatchState::Disbursed,
                        auth.user_id,
                        auth.org_id,
                        Some(&note),
                        now,
                    )?;
                    db::demands::apply_event(conn, m.demand_id, DemandEvent::LoanDisbursed, now)?;
                    db::orgs::set_has_prior_loan(conn, m.enterprise_id, now)?;
                    db::rollups::apply(conn, rollup)?;
                    let view = LoanView::new(loan.clone());
                    let payload = serde_json::to_value(&view).map_err(ApiError::internal)?;
                    let mut recipients = vec![m.bank_id, m.enterprise_id];
                    recipients.extend(loan.guarantor_id);
                    db::webhooks::enqueue(conn, &recipients, "loan.disbursed", &payload, now)?;
                    done.record(conn, StatusCode::CREATED, &view)
                })
            })
            .await
        },
    )
    .await
}

/// Loans in the caller's scope (a guarantor sees the loans it guarantees).
#[utoipa::path(
    tag = "loans",
    params(LoanListQuery),
    responses((status = 200, description = "A page of loans", body = Page<LoanView>))
)]
#[get("/loans")]
pub async fn list_loans(
    state: web::Data<AppState>,
    auth: Auth,
    query: web::Query<LoanListQuery>,
) -> ApiResult<HttpResponse> {
    let q = query.into_inner();
    let cursor = PageQuery {
        limit: q.limit,
        cursor: q.cursor,
    }
    .cursor()?;
    let rows = with_conn(&state, move |conn| {
        let scope = repo::loan_scope_for(conn, auth.org_id, auth.role)?;
        let filter = repo::LoanFilter {
            match_id: q.match_id,
            bank_id: q.bank_id,
            enterprise_id: q.enterprise_id,
            first_loan: q.first_loan,
            from: q.from,
            to: q.to,
            after_id: cursor.after_id,
            limit: cursor.limit,
        };
        Ok(repo::list_loans(conn, &scope, &filter)?)
    })
    .await?;
    Ok(HttpResponse::Ok().json(page(rows, cursor, |l| l.id, LoanView::new)))
}

/// One loan, if in the caller's scope.
#[utoipa::path(
    tag = "loans",
    params(("id" = i64, Path, description = "Loan id")),
    responses((status = 200, description = "The loan", body = LoanView))
)]
#[get("/loans/{id}")]
pub async fn get_loan(
    state: web::Data<AppState>,
    auth: Auth,
    path: web::Path<i64>,
) -> ApiResult<HttpResponse> {
    let id = path.into_inner();
    let loan = with_conn(&state, move |conn| {
        let scope = repo::loan_scope_for(conn, auth.org_id, auth.role)?;
        repo::find_loan(conn, id, &scope)?.ok_or_else(|| ApiError::not_found("loan"))
    })
    .await?;
    Ok(HttpResponse::Ok().json(LoanView::new(loan)))
}
