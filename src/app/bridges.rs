//! Bridge funds (应急转贷资金 / 过桥, SPEC §3.14): funds published by a finance office, bridges
//! asked for by an enterprise against its bank's approved renewal, approved (capital reserved
//! atomically), disbursed and repaid with an exact fee by the office; bridges out past their
//! due date are marked overdue and announced once. Rules: `domain::bridge`.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::caller::Caller;
use super::clock;
use super::effects::{Effects, Keep, Receipt};
use super::error::{AppError, AppResult, FieldError, ProblemCode, Validator};
use crate::db::bridges::{self as repo, BridgeChange, BridgeRow, FundRow, NewBridge, NewFund};
use crate::db::{self, DbConnection, JsonText};
use crate::domain::bridge::{
    due_on, fee, request_refusals, transition, BridgeAction, BridgeState, FundCaps,
};
use crate::domain::date::rfc3339;
use crate::domain::event::WebhookEvent;
use crate::domain::money::Money;
use crate::domain::org::Role;
use crate::domain::rate::Rate;
use crate::domain::region::is_region_prefix;
use crate::domain::renewal::RenewalState;
use crate::domain::rollup::{self, Rollup};
use crate::domain::subsidy::{policy_reasons, PolicyEligibility, Step};

#[derive(Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateFund {
    #[schema(example = "青岛市转贷引导基金")]
    pub name: String,
    #[schema(value_type = Money, example = "100000000.00")]
    pub capital: Money,
    /// Region the fund serves (a finance office's own region when omitted by one).
    pub region_prefix: Option<String>,
    /// Percent per day: "0.02" is 0.02 % a day.
    #[schema(value_type = Rate, example = "0.02")]
    pub daily_fee_rate: Rate,
    #[schema(minimum = 1, maximum = 365)]
    pub max_days: i64,
    #[schema(value_type = Money, example = "10000000.00")]
    pub max_amount: Money,
    /// Percent of the renewal's approved amount, e.g. "95".
    #[schema(value_type = Rate, example = "95")]
    pub max_share_of_renewal: Rate,
    #[serde(default)]
    pub eligibility: PolicyEligibility,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct FundView {
    pub id: i64,
    pub name: String,
    #[schema(value_type = Money)]
    pub capital: Money,
    /// capital − principal of bridges approved, disbursed or overdue.
    #[schema(value_type = Money)]
    pub available: Money,
    pub region_prefix: Option<String>,
    #[schema(value_type = Rate)]
    pub daily_fee_rate: Rate,
    pub max_days: i64,
    #[schema(value_type = Money)]
    pub max_amount: Money,
    #[schema(value_type = Rate)]
    pub max_share_of_renewal: Rate,
    pub eligibility: PolicyEligibility,
    #[schema(format = DateTime)]
    pub created_at: String,
}

impl FundView {
    pub fn new(f: FundRow) -> Self {
        let x = f.fields;
        FundView {
            id: f.id,
            name: x.name,
            capital: Money::from_fen(x.capital_fen),
            available: Money::from_fen(x.capital_fen - f.reserved_fen),
            region_prefix: x.region_prefix,
            daily_fee_rate: Rate::from_units(x.daily_fee_rate_units),
            max_days: x.max_days,
            max_amount: Money::from_fen(x.max_amount_fen),
            max_share_of_renewal: Rate::from_units(x.max_share_units),
            eligibility: x.eligibility.into_inner(),
            created_at: rfc3339(x.created_at),
        }
    }
}

#[derive(Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RequestBridge {
    pub fund_id: i64,
    pub loan_id: i64,
    /// The bank's approved renewal of that loan.
    pub renewal_id: i64,
    #[schema(value_type = Money)]
    pub amount: Money,
    #[schema(minimum = 1)]
    pub days: i64,
}

#[derive(Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RejectBridge {
    #[schema(min_length = 1, max_length = 2000)]
    pub reason: String,
}

/// The day of a disbursement or repayment (not in the future).
#[derive(Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BridgeDay {
    #[serde(deserialize_with = "crate::domain::date::strict")]
    pub on: NaiveDate,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct BridgeView {
    pub id: i64,
    pub fund_id: i64,
    pub loan_id: i64,
    pub renewal_id: i64,
    pub enterprise_id: i64,
    pub bank_id: i64,
    #[schema(value_type = Money)]
    pub amount: Money,
    pub days: i64,
    pub state: BridgeState,
    pub reject_reason: Option<String>,
    pub disbursed_on: Option<NaiveDate>,
    /// disbursed_on + days: out past it, the bridge is overdue.
    pub due_on: Option<NaiveDate>,
    pub repaid_on: Option<NaiveDate>,
    #[schema(value_type = Option<Money>)]
    pub fee: Option<Money>,
    /// The fee's arithmetic, once repaid.
    pub fee_breakdown: Option<Vec<Step>>,
    #[schema(format = DateTime)]
    pub created_at: String,
    #[schema(format = DateTime)]
    pub updated_at: String,
}

impl BridgeView {
    pub fn new(b: BridgeRow) -> Self {
        let f = b.fields;
        BridgeView {
            id: b.id,
            fund_id: f.fund_id,
            loan_id: f.loan_id,
            renewal_id: f.renewal_id,
            enterprise_id: f.enterprise_id,
            bank_id: f.bank_id,
            amount: Money::from_fen(f.amount_fen),
            days: f.days,
            state: f.state,
            reject_reason: b.reject_reason,
            disbursed_on: b.disbursed_on,
            due_on: b.due_on,
            repaid_on: b.repaid_on,
            fee: b.fee_fen.map(Money::from_fen),
            fee_breakdown: b.fee_breakdown.map(JsonText::into_inner),
            created_at: rfc3339(f.created_at),
            updated_at: rfc3339(b.updated_at),
        }
    }
}

/// Publishes a fund (finance office, admin); an office's fund serves its own region.
pub fn create_fund<R: Receipt<FundView>>(
    conn: &mut DbConnection,
    auth: &Caller,
    body: CreateFund,
    receipt: R,
) -> AppResult<R::Out> {
    auth.require(&[Role::FinanceOffice, Role::Admin])?;
    let mut v = Validator::default();
    v.name("name", &body.name);
    v.check(!body.capital.is_zero(), "capital", "must be greater than 0");
    v.check(
        body.daily_fee_rate.units() > 0,
        "daily_fee_rate",
        "must be greater than 0",
    );
    v.check(
        (1..=365).contains(&body.max_days),
        "max_days",
        "must be between 1 and 365",
    );
    v.check(
        !body.max_amount.is_zero(),
        "max_amount",
        "must be greater than 0",
    );
    v.check(
        body.max_share_of_renewal.units() > 0,
        "max_share_of_renewal",
        "must be greater than 0",
    );
    if let Some(p) = &body.region_prefix {
        v.check(
            is_region_prefix(p),
            "region_prefix",
            "is not a region prefix",
        );
    }
    v.finish()?;
    let region_prefix = auth.published_region(body.region_prefix)?;
    conn.write_transaction(|conn| {
        let row = repo::insert_fund(
            conn,
            &NewFund {
                name: body.name.clone(),
                capital_fen: body.capital.fen(),
                region_prefix: region_prefix.clone(),
                daily_fee_rate_units: body.daily_fee_rate.units(),
                max_days: body.max_days,
                max_amount_fen: body.max_amount.fen(),
                max_share_units: body.max_share_of_renewal.units(),
                eligibility: JsonText(body.eligibility.clone()),
                created_by_org: auth.org_id,
                created_at: clock::now(),
            },
        )?;
        receipt.record(conn, FundView::new(row))
    })
}

/// A page of funds; with `region_prefix`, those that concern that region (national ones, the
/// province's, the region's own and those inside it).
pub fn list_funds(
    conn: &mut DbConnection,
    region_prefix: Option<String>,
    after_id: Option<i64>,
    limit: i64,
) -> AppResult<Vec<FundRow>> {
    let region = super::query::region_prefix(region_prefix)?;
    Ok(repo::funds(conn, region.as_deref(), after_id, limit)?)
}

pub fn get_fund(conn: &mut DbConnection, id: i64) -> AppResult<FundView> {
    let f = repo::fund(conn, id)?.ok_or_else(|| AppError::not_found("bridge fund"))?;
    Ok(FundView::new(f))
}

/// The enterprise asks a fund for a bridge to repay `loan_id`, which its bank committed to
/// renew (`renewal_id` approved). Every failing cap and eligibility rule is listed (422).
pub fn request<R: Receipt<BridgeView>>(
    conn: &mut DbConnection,
    auth: &Caller,
    body: RequestBridge,
    receipt: R,
) -> AppResult<R::Out> {
    auth.require(&[Role::Enterprise])?;
    conn.write_transaction(|conn| {
        let fund =
            repo::fund(conn, body.fund_id)?.ok_or_else(|| AppError::not_found("bridge fund"))?;
        let loan = db::matches::find_loan(conn, body.loan_id, &auth.scope)?
            .ok_or_else(|| AppError::not_found("loan"))?;
        let renewal = db::renewals::find_visible(conn, body.renewal_id, &auth.scope)?
            .ok_or_else(|| AppError::not_found("renewal"))?;
        let mut errors = Vec::new();
        let mut refuse = |field: &str, message: String| {
            errors.push(FieldError {
                field: field.to_owned(),
                message,
                message_zh: None,
            })
        };
        if renewal.fields.loan_id != loan.id {
            refuse(
                "renewal_id",
                format!("is not a renewal of loan {}", loan.id),
            );
        }
        if renewal.fields.state != RenewalState::Approved {
            refuse(
                "renewal_id",
                format!(
                    "the renewal is {}, not approved (续贷承诺 first)",
                    renewal.fields.state
                ),
            );
        }
        let caps = FundCaps {
            max_amount: Money::from_fen(fund.fields.max_amount_fen),
            max_share_of_renewal: Rate::from_units(fund.fields.max_share_units),
            max_days: fund.fields.max_days.max(0) as u32,
        };
        let days = u32::try_from(body.days).unwrap_or(0);
        for (f, m) in request_refusals(
            caps,
            body.amount,
            days,
            Money::from_fen(renewal.approved_amount_fen.unwrap_or(0)),
            Money::from_fen(loan.servicing.outstanding_fen),
        ) {
            errors.push(FieldError::said(f, m));
        }
        let case = crate::app::subsidies::quote::case_from_loan(conn, &loan)?;
        let mut facts = case.loan.clone();
        // Qualifications count as of today, not as of the old loan's disbursement.
        facts.disbursed_on = clock::today();
        let who = case.beneficiary();
        for reason in policy_reasons(
            &fund.fields.eligibility,
            NaiveDate::MIN,
            None,
            fund.fields.region_prefix.as_deref(),
            &facts,
            &who,
            None,
        ) {
            errors.push(FieldError::said("fund_id", reason));
        }
        if !errors.is_empty() {
            return Err(AppError::invalid(ProblemCode::NotEligible, errors));
        }
        db::rollups::hold_region(conn, loan.fields.enterprise_id)?;
        let row = repo::insert(
            conn,
            &NewBridge {
                fund_id: fund.id,
                loan_id: loan.id,
                renewal_id: renewal.id,
                enterprise_id: loan.fields.enterprise_id,
                bank_id: loan.fields.bank_id,
                amount_fen: body.amount.fen(),
                days: body.days,
                state: BridgeState::Requested,
                created_at: clock::now(),
            },
        )?
        .ok_or_else(|| {
            AppError::conflict(
                ProblemCode::Conflict,
                "the renewal already has a bridge requested, approved or out",
            )
        })?;
        let mut r = Rollup::default();
        rollup::bridge_made(&mut r, &db::rollups::bridge_fact(conn, &row)?);
        db::rollups::apply(conn, r)?;
        receipt.record(conn, BridgeView::new(row))
    })
}

/// The finance office acts on a bridge of its region (an admin on any).
fn office_bridge(conn: &mut DbConnection, auth: &Caller, id: i64) -> AppResult<BridgeRow> {
    let b = repo::find_visible(conn, id, &auth.scope)?
        .ok_or_else(|| AppError::not_found("bridge loan"))?;
    auth.require(&[Role::FinanceOffice, Role::Admin])?;
    Ok(b)
}

/// Moves a bridge by `action` (409 `invalid_transition` when the table refuses it or it moved
/// meanwhile); the bridge as it is now.
fn moved(
    conn: &mut DbConnection,
    b: &BridgeRow,
    action: BridgeAction,
    change: &BridgeChange,
    now: chrono::NaiveDateTime,
) -> AppResult<BridgeRow> {
    let to = transition(b.fields.state, action)
        .map_err(|e| AppError::conflict(ProblemCode::InvalidTransition, e.to_string()))?;
    shift(conn, b, to, change, now)?.ok_or_else(|| {
        AppError::conflict(
            ProblemCode::InvalidTransition,
            "the bridge changed meanwhile; read it again",
        )
    })
}

/// Moves a bridge to `to` if it is still in the state it was read in, with its report cells;
/// None when it moved meanwhile.
fn shift(
    conn: &mut DbConnection,
    b: &BridgeRow,
    to: BridgeState,
    change: &BridgeChange,
    now: chrono::NaiveDateTime,
) -> AppResult<Option<BridgeRow>> {
    db::rollups::hold_region(conn, b.fields.enterprise_id)?;
    if !repo::transition(conn, b.id, b.fields.state, to, change, now)? {
        return Ok(None);
    }
    let after = repo::reread(conn, b.id)?;
    let mut r = Rollup::default();
    rollup::bridge_moved(
        &mut r,
        &db::rollups::bridge_fact(conn, b)?,
        &db::rollups::bridge_fact(conn, &after)?,
    );
    db::rollups::apply(conn, r)?;
    Ok(Some(after))
}

fn not_future(on: NaiveDate) -> AppResult<()> {
    let mut v = Validator::default();
    v.check(on <= clock::today(), "on", "must not be in the future");
    v.finish()
}

/// Approves a requested bridge, reserving its amount from the fund: 409 `fund_exhausted` when
/// it does not fit what is left; concurrent approvals never overdraw.
pub fn approve(conn: &mut DbConnection, auth: &Caller, id: i64) -> AppResult<BridgeView> {
    conn.write_transaction(|conn| {
        let b = office_bridge(conn, auth, id)?;
        transition(b.fields.state, BridgeAction::Approve)
            .map_err(|e| AppError::conflict(ProblemCode::InvalidTransition, e.to_string()))?;
        if !repo::reserve(conn, b.fields.fund_id, b.fields.amount_fen)? {
            let left = repo::fund(conn, b.fields.fund_id)?
                .map(|f| f.fields.capital_fen - f.reserved_fen)
                .unwrap_or(0);
            return Err(AppError::conflict(
                ProblemCode::FundExhausted,
                format!(
                    "the fund has {} available, less than the bridge's {}",
                    Money::from_fen(left),
                    Money::from_fen(b.fields.amount_fen)
                ),
            ));
        }
        let after = moved(
            conn,
            &b,
            BridgeAction::Approve,
            &BridgeChange::default(),
            clock::now(),
        )?;
        Ok(BridgeView::new(after))
    })
}

pub fn reject(
    conn: &mut DbConnection,
    auth: &Caller,
    id: i64,
    body: RejectBridge,
) -> AppResult<BridgeView> {
    let mut v = Validator::default();
    v.check(!body.reason.trim().is_empty(), "reason", "is required");
    v.at_most("reason", Some(&body.reason), 2000);
    v.finish()?;
    conn.write_transaction(|conn| {
        let b = office_bridge(conn, auth, id)?;
        let change = BridgeChange {
            reject_reason: Some(body.reason.clone()),
            ..BridgeChange::default()
        };
        Ok(BridgeView::new(moved(
            conn,
            &b,
            BridgeAction::Reject,
            &change,
            clock::now(),
        )?))
    })
}

pub fn disburse(
    conn: &mut DbConnection,
    auth: &Caller,
    id: i64,
    body: BridgeDay,
) -> AppResult<BridgeView> {
    not_future(body.on)?;
    conn.write_transaction(|conn| {
        let b = office_bridge(conn, auth, id)?;
        let change = BridgeChange {
            disbursed_on: Some(body.on),
            due_on: Some(due_on(body.on, b.fields.days.max(0) as u32)),
            ..BridgeChange::default()
        };
        Ok(BridgeView::new(moved(
            conn,
            &b,
            BridgeAction::Disburse,
            &change,
            clock::now(),
        )?))
    })
}

/// The fund received the bridge back: the fee on the days actually used, the principal back
/// to `available`.
pub fn repay(
    conn: &mut DbConnection,
    auth: &Caller,
    id: i64,
    body: BridgeDay,
) -> AppResult<BridgeView> {
    not_future(body.on)?;
    conn.write_transaction(|conn| {
        let b = office_bridge(conn, auth, id)?;
        let fund = repo::fund(conn, b.fields.fund_id)?
            .ok_or_else(|| AppError::not_found("bridge fund"))?;
        let out_on = b.disbursed_on.unwrap_or(body.on);
        if body.on < out_on {
            return Err(AppError::invalid_field(
                ProblemCode::ValidationFailed,
                "on",
                format!("must not precede the disbursement ({out_on})"),
            ));
        }
        let (amount, steps) = fee(
            Money::from_fen(b.fields.amount_fen),
            Rate::from_units(fund.fields.daily_fee_rate_units),
            out_on,
            body.on,
        );
        let change = BridgeChange {
            repaid_on: Some(body.on),
            fee_fen: Some(amount.fen()),
            fee_breakdown: Some(JsonText(steps)),
            ..BridgeChange::default()
        };
        let after = moved(conn, &b, BridgeAction::Repay, &change, clock::now())?;
        repo::release(conn, b.fields.fund_id, b.fields.amount_fen)?;
        Ok(BridgeView::new(after))
    })
}

pub fn list(
    conn: &mut DbConnection,
    auth: &Caller,
    state: Option<BridgeState>,
    fund_id: Option<i64>,
    after_id: Option<i64>,
    limit: i64,
) -> AppResult<Vec<BridgeRow>> {
    Ok(repo::list(
        conn,
        &auth.scope,
        state,
        fund_id,
        after_id,
        limit,
    )?)
}

pub fn get(conn: &mut DbConnection, auth: &Caller, id: i64) -> AppResult<BridgeView> {
    let b = repo::find_visible(conn, id, &auth.scope)?
        .ok_or_else(|| AppError::not_found("bridge loan"))?;
    Ok(BridgeView::new(b))
}

/// Marks every disbursed bridge past its due date `overdue` and announces it once
/// (`bridge_loan.overdue` to the enterprise and the bank); the conditional update makes one
/// instance of several send it. Returns how many.
pub fn announce_overdue(conn: &mut DbConnection) -> AppResult<usize> {
    let today = clock::today();
    let mut sent = 0;
    loop {
        let due = repo::past_due(conn, today, 500)?;
        if due.is_empty() {
            return Ok(sent);
        }
        for b in due {
            let marked = conn.write_transaction(|conn| {
                let mut fx = Effects::system();
                // None: another instance marked it first.
                let Some(after) = shift(
                    conn,
                    &b,
                    BridgeState::Overdue,
                    &BridgeChange::default(),
                    fx.now,
                )?
                else {
                    return Ok(false);
                };
                fx.notify(
                    &[after.fields.enterprise_id, after.fields.bank_id],
                    WebhookEvent::BridgeLoanOverdue.as_str(),
                    &BridgeView::new(after.clone()),
                )?;
                fx.commit(conn, Keep, |_| Ok(true))
            })?;
            sent += usize::from(marked);
        }
    }
}
