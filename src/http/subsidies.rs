//! Subsidies (SPEC §3.8): the LPR series, policies as data, quotes, claims under caps and
//! budgets, and budget simulation. The arithmetic lives in `domain::subsidy`.

use crate::http::extract::NoBody;
use std::collections::BTreeMap;

use actix_web::http::StatusCode;
use actix_web::{get, post, put, web, HttpRequest, HttpResponse};
use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::auth::Auth;
use super::extract::JsonBody;
use super::pagination::{next_offset_cursor, offset_cursor, page, Page, PageQuery};
use super::{idempotency, with_conn};
use crate::app::error::ProblemCode;
use crate::app::error::{AppError, AppResult, FieldError, Validator};
use crate::app::views::stored;
use crate::app::AppState;
use crate::db::matches::LoanRow;
use crate::db::subsidies::{self as repo, ClaimRow, ClaimScope, NewClaim, NewPolicy, PolicyRow};
use crate::db::{self, DbConnection};
use crate::domain::date::rfc3339;
use crate::domain::money::Money;
use crate::domain::org::{OrgKind, Role};
use crate::domain::product::ProductType;
use crate::domain::rate::Rate;
use crate::domain::region;
use crate::domain::size_class::SizeClass;
use crate::domain::subsidy::{
    self, Beneficiary, ClaimAction, ClaimState, Computation, CounterGuarantee, DayCount,
    GuaranteeFacts, GuaranteeRule, InterestBase, InterestRule, LoanFacts, LprPoint, LprReference,
    LprTerm, PolicyEligibility, PolicyKind, PolicyStatus, PriorAmounts, Rule, Step,
};

// ---------------------------------------------------------------- LPR

#[derive(Debug, Deserialize, Serialize, ToSchema)]
pub struct LprInput {
    #[serde(deserialize_with = "crate::domain::date::strict")]
    pub effective_on: NaiveDate,
    /// 1-year LPR, percent.
    #[schema(value_type = Rate, example = "3.00")]
    pub one_year: Rate,
    /// 5-year-and-above LPR, percent.
    #[schema(value_type = Rate, example = "3.50")]
    pub five_year: Rate,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct LprView {
    pub effective_on: NaiveDate,
    #[schema(value_type = Rate)]
    pub one_year: Rate,
    #[schema(value_type = Rate)]
    pub five_year: Rate,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct LprList {
    pub items: Vec<LprView>,
    pub next_cursor: Option<String>,
}

fn lpr_view(p: LprPoint) -> LprView {
    LprView {
        effective_on: p.effective_on,
        one_year: p.one_year,
        five_year: p.five_year,
    }
}

/// The LPR series, oldest first (pre-loaded with the published history).
#[utoipa::path(tag = "subsidies", params(PageQuery), responses((status = 200, description = "The LPR prints, oldest first, a page at a time", body = LprList)))]
#[get("/lpr")]
pub async fn list_lpr(
    state: web::Data<AppState>,
    _auth: Auth,
    query: web::Query<PageQuery>,
) -> AppResult<HttpResponse> {
    let (limit, offset) = offset_cursor(&query)?;
    let series = with_conn(&state, |conn| Ok(repo::lpr_series(conn)?)).await?;
    let total = series.len();
    Ok(HttpResponse::Ok().json(LprList {
        items: series
            .into_iter()
            .skip(offset)
            .take(limit as usize)
            .map(lpr_view)
            .collect(),
        next_cursor: next_offset_cursor(offset, limit, total),
    }))
}

/// Record a new LPR print (admin, finance office).
#[utoipa::path(
    tag = "subsidies",
    request_body = LprInput,
    responses(
        (status = 201, description = "The print", body = LprView),
        (status = 409, description = "`lpr_exists`: a print for that date exists", body = crate::app::error::Problem, content_type = "application/problem+json"),
    )
)]
#[post("/lpr")]
pub async fn create_lpr(
    state: web::Data<AppState>,
    auth: Auth,
    body: JsonBody<LprInput>,
) -> AppResult<HttpResponse> {
    auth.require(&[Role::Admin, Role::FinanceOffice])?;
    let b = body.value;
    let mut v = Validator::default();
    v.check(b.one_year.units() > 0, "one_year", "must be greater than 0");
    v.check(
        b.five_year.units() > 0,
        "five_year",
        "must be greater than 0",
    );
    v.check(
        b.one_year.units() <= 20 * 10_000 && b.five_year.units() <= 20 * 10_000,
        "one_year",
        "must be at most 20",
    );
    v.finish()?;
    let p = LprPoint {
        effective_on: b.effective_on,
        one_year: b.one_year,
        five_year: b.five_year,
    };
    let created = with_conn(&state, move |conn| {
        conn.write_transaction(|c| Ok(repo::insert_lpr(c, &p)?))
    })
    .await?;
    if !created {
        return Err(AppError::conflict(
            ProblemCode::LprExists,
            "an LPR print for that date is already recorded",
        ));
    }
    Ok(HttpResponse::Created().json(lpr_view(p)))
}

// ---------------------------------------------------------------- policies

/// A policy's rule. Which parameters apply depends on the policy kind and (for interest
/// subsidies) the `base`; any other parameter is refused (422).
#[derive(Clone, Debug, Default, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RuleInput {
    pub base: Option<InterestBase>,
    #[schema(value_type = Option<Rate>)]
    pub points: Option<Rate>,
    #[schema(value_type = Option<Rate>)]
    pub first_loan_points: Option<Rate>,
    /// Percent, e.g. "20" for 20%.
    #[schema(value_type = Option<Rate>)]
    pub share_percent: Option<Rate>,
    pub lpr_term: Option<LprTerm>,
    pub lpr_reference: Option<LprReference>,
    pub spread_bp: Option<i64>,
    #[schema(value_type = Option<Rate>)]
    pub max_points: Option<Rate>,
    pub day_count: Option<DayCount>,
    pub max_months: Option<u32>,
    #[schema(value_type = Option<Money>)]
    pub principal_cap: Option<Money>,
    #[schema(value_type = Option<Money>)]
    pub per_enterprise_annual_cap: Option<Money>,
    #[schema(value_type = Option<Money>)]
    pub per_enterprise_total_cap: Option<Money>,
    /// Guarantee-fee subsidy: percent of the guaranteed amount per year.
    #[schema(value_type = Option<Rate>)]
    pub subsidy_percent: Option<Rate>,
    #[schema(value_type = Option<Rate>)]
    pub max_fee_rate: Option<Rate>,
    pub counter_guarantee: Option<Vec<CounterGuarantee>>,
    pub cap_at_fee_paid: Option<bool>,
}

impl RuleInput {
    /// Overlays `o` (simulation overrides).
    fn merged(&self, o: &RuleInput) -> RuleInput {
        macro_rules! pick {
            ($($f:ident),*) => { RuleInput { $($f: o.$f.clone().or_else(|| self.$f.clone()),)* } };
        }
        pick!(
            base,
            points,
            first_loan_points,
            share_percent,
            lpr_term,
            lpr_reference,
            spread_bp,
            max_points,
            day_count,
            max_months,
            principal_cap,
            per_enterprise_annual_cap,
            per_enterprise_total_cap,
            subsidy_percent,
            max_fee_rate,
            counter_guarantee,
            cap_at_fee_paid
        )
    }

    /// Checks parameters against the kind and base, fills defaults, builds the domain rule.
    fn to_rule(&self, kind: PolicyKind) -> Result<(Rule, RuleInput), Vec<FieldError>> {
        let mut errors = Vec::new();
        let mut err = |f: &str, m: &str| {
            errors.push(FieldError {
                field: format!("rule.{f}"),
                message: m.to_owned(),
            })
        };
        let present: Vec<(&str, bool)> = vec![
            ("base", self.base.is_some()),
            ("points", self.points.is_some()),
            ("first_loan_points", self.first_loan_points.is_some()),
            ("share_percent", self.share_percent.is_some()),
            ("lpr_term", self.lpr_term.is_some()),
            ("lpr_reference", self.lpr_reference.is_some()),
            ("spread_bp", self.spread_bp.is_some()),
            ("max_points", self.max_points.is_some()),
            ("max_months", self.max_months.is_some()),
            ("principal_cap", self.principal_cap.is_some()),
            (
                "per_enterprise_total_cap",
                self.per_enterprise_total_cap.is_some(),
            ),
            ("subsidy_percent", self.subsidy_percent.is_some()),
            ("max_fee_rate", self.max_fee_rate.is_some()),
            ("counter_guarantee", self.counter_guarantee.is_some()),
            ("cap_at_fee_paid", self.cap_at_fee_paid.is_some()),
        ];
        let allowed: &[&str] = match (kind, self.base) {
            (PolicyKind::GuaranteeFeeSubsidy, _) => &[
                "subsidy_percent",
                "max_fee_rate",
                "counter_guarantee",
                "cap_at_fee_paid",
            ],
            (PolicyKind::InterestSubsidy, None) => &["base"],
            (PolicyKind::InterestSubsidy, Some(b)) => {
                let own: &[&str] = match b {
                    InterestBase::FixedPoints => &["points", "first_loan_points"],
                    InterestBase::LprShare => &["share_percent", "lpr_term", "lpr_reference"],
                    InterestBase::ActualRateShare => &["share_percent"],
                    InterestBase::LprSpread => &["spread_bp", "lpr_term", "lpr_reference"],
                };
                const COMMON: [&str; 5] = [
                    "base",
                    "max_points",
                    "max_months",
                    "principal_cap",
                    "per_enterprise_total_cap",
                ];
                return self.interest(b, own, &COMMON, &present);
            }
        };
        for (name, is) in &present {
            if *is && !allowed.contains(name) {
                err(name, &format!("is not a parameter of a {kind} rule"));
            }
        }
        if kind == PolicyKind::InterestSubsidy {
            err(
                "base",
                "is required: fixed_points, lpr_share, actual_rate_share or lpr_spread",
            );
            return Err(errors);
        }
        let Some(sp) = self.subsidy_percent else {
            err("subsidy_percent", "is required");
            return Err(errors);
        };
        if sp.units() == 0 {
            err("subsidy_percent", "must be greater than 0");
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        let mut n = self.clone();
        n.day_count = Some(self.day_count.unwrap_or(DayCount::Months30_360));
        n.cap_at_fee_paid = Some(self.cap_at_fee_paid.unwrap_or(true));
        n.counter_guarantee = Some(self.counter_guarantee.clone().unwrap_or_default());
        let rule = Rule::Guarantee(GuaranteeRule {
            subsidy_percent: sp.percent(),
            max_fee_rate: n.max_fee_rate,
            counter_guarantee: n.counter_guarantee.clone().unwrap_or_default(),
            day_count: n.day_count.unwrap_or(DayCount::Months30_360),
            per_enterprise_annual_cap: n.per_enterprise_annual_cap,
            cap_at_fee_paid: n.cap_at_fee_paid.unwrap_or(true),
        });
        Ok((rule, n))
    }

    fn interest(
        &self,
        base: InterestBase,
        own: &[&str],
        common: &[&str],
        present: &[(&str, bool)],
    ) -> Result<(Rule, RuleInput), Vec<FieldError>> {
        let mut errors = Vec::new();
        let mut err = |f: &str, m: String| {
            errors.push(FieldError {
                field: format!("rule.{f}"),
                message: m,
            })
        };
        for (name, is) in present {
            if *is && !own.contains(name) && !common.contains(name) {
                err(
                    name,
                    format!("is not a parameter of an interest_subsidy rule with base {base}"),
                );
            }
        }
        match base {
            InterestBase::FixedPoints if self.points.is_none() => {
                err("points", "is required for base fixed_points".into())
            }
            InterestBase::LprShare | InterestBase::ActualRateShare
                if self.share_percent.is_none() =>
            {
                err("share_percent", format!("is required for base {base}"))
            }
            InterestBase::LprSpread if self.spread_bp.is_none() => {
                err("spread_bp", "is required for base lpr_spread".into())
            }
            _ => {}
        }
        if let Some(bp) = self.spread_bp {
            if !(-10_000..=10_000).contains(&bp) {
                err("spread_bp", "must be between -10000 and 10000".into());
            }
        }
        if let Some(m) = self.max_months {
            if !(1..=360).contains(&m) {
                err("max_months", "must be between 1 and 360".into());
            }
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        let mut n = self.clone();
        n.day_count = Some(self.day_count.unwrap_or(DayCount::Act360));
        if matches!(base, InterestBase::LprShare | InterestBase::LprSpread) {
            n.lpr_term = Some(self.lpr_term.unwrap_or(LprTerm::OneYear));
            n.lpr_reference = Some(self.lpr_reference.unwrap_or(LprReference::DisbursementDate));
        }
        let rule = Rule::Interest(InterestRule {
            base,
            points: n.points,
            first_loan_points: n.first_loan_points,
            share_percent: n.share_percent.map(Rate::percent),
            lpr_term: n.lpr_term.unwrap_or(LprTerm::OneYear),
            lpr_reference: n.lpr_reference.unwrap_or(LprReference::DisbursementDate),
            spread_bp: n.spread_bp,
            max_points: n.max_points,
            day_count: n.day_count.unwrap_or(DayCount::Act360),
            max_months: n.max_months,
            principal_cap: n.principal_cap,
            per_enterprise_annual_cap: n.per_enterprise_annual_cap,
            per_enterprise_total_cap: n.per_enterprise_total_cap,
        });
        Ok((rule, n))
    }
}

#[derive(Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreatePolicy {
    #[schema(example = "专精特新企业贷款贴息", min_length = 1, max_length = 200)]
    pub name: String,
    pub kind: PolicyKind,
    #[serde(deserialize_with = "crate::domain::date::strict")]
    pub effective_from: NaiveDate,
    #[serde(default, deserialize_with = "crate::domain::date::strict_opt")]
    pub effective_to: Option<NaiveDate>,
    #[schema(value_type = Money, example = "100000000.00")]
    pub budget: Money,
    #[serde(default)]
    pub eligibility: PolicyEligibility,
    pub rule: RuleInput,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PolicyView {
    pub id: i64,
    pub name: String,
    pub kind: PolicyKind,
    pub status: PolicyStatus,
    pub effective_from: NaiveDate,
    pub effective_to: Option<NaiveDate>,
    /// The owning finance office's region (absent for platform-wide policies).
    pub region_prefix: Option<String>,
    pub owner_organization_id: i64,
    #[schema(value_type = Money)]
    pub budget: Money,
    /// Approved and paid so far.
    #[schema(value_type = Money)]
    pub budget_used: Money,
    #[schema(value_type = Money)]
    pub budget_remaining: Money,
    pub eligibility: PolicyEligibility,
    pub rule: RuleInput,
    #[schema(format = DateTime)]
    pub created_at: String,
}

fn policy_view(conn: &mut DbConnection, p: PolicyRow) -> AppResult<PolicyView> {
    let used = repo::budget_used(conn, p.id)?;
    Ok(PolicyView {
        id: p.id,
        name: p.name,
        kind: PolicyKind::parse(&p.kind).unwrap_or(PolicyKind::InterestSubsidy),
        status: stored(&p.status)?,
        effective_from: p.effective_from,
        effective_to: p.effective_to,
        region_prefix: p.region_prefix,
        owner_organization_id: p.owner_org_id,
        budget: Money::from_fen(p.budget_fen),
        budget_used: Money::from_fen(used),
        budget_remaining: Money::from_fen((p.budget_fen - used).max(0)),
        eligibility: db::from_json_text(&p.eligibility)?,
        rule: db::from_json_text(&p.rule)?,
        created_at: rfc3339(p.created_at),
    })
}

fn stored_rule(p: &PolicyRow) -> AppResult<(PolicyKind, Rule, RuleInput)> {
    let kind = PolicyKind::parse(&p.kind).ok_or_else(|| AppError::internal("bad policy kind"))?;
    let input: RuleInput = db::from_json_text(&p.rule)?;
    let (rule, _) = input
        .to_rule(kind)
        .map_err(|_| AppError::internal("stored rule no longer validates"))?;
    Ok((kind, rule, input))
}

fn finance_region(conn: &mut DbConnection, auth: &Auth) -> AppResult<Option<String>> {
    Ok(match auth.role {
        Role::FinanceOffice => db::orgs::find(conn, auth.org_id)?.and_then(|o| o.region_code),
        _ => None,
    })
}

/// Checks a policy and returns its normalised rule as stored JSON.
fn validate_policy(b: &CreatePolicy) -> AppResult<String> {
    let mut v = Validator::default();
    v.name("name", &b.name);
    if let Some(to) = b.effective_to {
        v.check(
            to >= b.effective_from,
            "effective_to",
            "must not be before effective_from",
        );
    }
    for (i, p) in b.eligibility.region_prefixes.iter().enumerate() {
        v.check(
            region::is_region_prefix(p),
            &format!("eligibility.region_prefixes[{i}]"),
            "must be 2, 4 or 6 digits",
        );
    }
    let normalized = match b.rule.to_rule(b.kind) {
        Ok((_, n)) => Some(n),
        Err(errs) => {
            for e in errs {
                v.push(&e.field, e.message);
            }
            None
        }
    };
    v.finish()?;
    Ok(db::to_json_text(&normalized))
}

/// Create a policy (finance office, admin). A finance office's policy covers its region.
#[utoipa::path(
    tag = "subsidies",
    request_body = CreatePolicy,
    params(("Idempotency-Key" = Option<String>, Header, description = "Makes retries safe")),
    responses((status = 201, description = "The policy", body = PolicyView))
)]
#[post("/policies")]
pub async fn create_policy(
    state: web::Data<AppState>,
    req: HttpRequest,
    auth: Auth,
    body: JsonBody<CreatePolicy>,
) -> AppResult<HttpResponse> {
    auth.require(&[Role::Admin, Role::FinanceOffice])?;
    let b = body.value;
    let rule_text = validate_policy(&b)?;

    let st = state.clone();
    idempotency::run(
        &st,
        &req,
        auth.idempotency_scope(),
        &body.raw,
        |done| async move {
            with_conn(&state, move |conn| {
                conn.write_transaction(|conn| {
                    let now = db::now();
                    let region_prefix = finance_region(conn, &auth)?;
                    let row = repo::insert_policy(
                        conn,
                        &NewPolicy {
                            owner_org_id: auth.org_id,
                            region_prefix,
                            name: b.name.clone(),
                            kind: b.kind.as_str().to_owned(),
                            effective_from: b.effective_from,
                            effective_to: b.effective_to,
                            budget_fen: b.budget.fen(),
                            eligibility: db::to_json_text(&b.eligibility),
                            rule: rule_text.clone(),
                            status: PolicyStatus::Active.as_str().to_owned(),
                            created_at: now,
                            updated_at: now,
                        },
                    )?;
                    let view = policy_view(conn, row)?;
                    done.record(conn, StatusCode::CREATED, &view)
                })
            })
            .await
        },
    )
    .await
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PolicyListQuery {
    pub kind: Option<PolicyKind>,
    pub status: Option<PolicyStatus>,
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
    pub cursor: Option<String>,
}

/// Subsidy policies (public to every authenticated user).
#[utoipa::path(tag = "subsidies", params(PolicyListQuery), responses((status = 200, description = "A page of policies", body = Page<PolicyView>)))]
#[get("/policies")]
pub async fn list_policies(
    state: web::Data<AppState>,
    _auth: Auth,
    query: web::Query<PolicyListQuery>,
) -> AppResult<HttpResponse> {
    let q = query.into_inner();
    let cursor = PageQuery {
        limit: q.limit,
        cursor: q.cursor,
    }
    .cursor()?;
    let views = with_conn(&state, move |conn| {
        let rows = repo::list_policies(
            conn,
            q.kind.map(|k| k.as_str()),
            q.status.map(PolicyStatus::as_str),
            cursor.after_id,
            cursor.limit,
        )?;
        rows.into_iter()
            .map(|r| policy_view(conn, r))
            .collect::<AppResult<Vec<_>>>()
    })
    .await?;
    Ok(HttpResponse::Ok().json(page(views, cursor, |p| p.id, |p| p)))
}

/// One policy with its budget use.
#[utoipa::path(tag = "subsidies", params(("id" = i64, Path, description = "Policy id")), responses((status = 200, description = "The policy", body = PolicyView)))]
#[get("/policies/{id}")]
pub async fn get_policy(
    state: web::Data<AppState>,
    _auth: Auth,
    path: web::Path<i64>,
) -> AppResult<HttpResponse> {
    let id = path.into_inner();
    let view = with_conn(&state, move |conn| {
        let p = repo::find_policy(conn, id)?.ok_or_else(|| AppError::not_found("policy"))?;
        policy_view(conn, p)
    })
    .await?;
    Ok(HttpResponse::Ok().json(view))
}

/// Replace a policy (its finance office, admin) — only while no claim has been made under it;
/// a policy with claims is immutable (409 `policy_immutable`).
#[utoipa::path(
    tag = "subsidies",
    request_body = CreatePolicy,
    params(("id" = i64, Path, description = "Policy id")),
    responses(
        (status = 200, description = "The updated policy", body = PolicyView),
        (status = 409, description = "`policy_immutable`: claims exist", body = crate::app::error::Problem, content_type = "application/problem+json"),
    )
)]
#[put("/policies/{id}")]
pub async fn update_policy(
    state: web::Data<AppState>,
    auth: Auth,
    path: web::Path<i64>,
    body: JsonBody<CreatePolicy>,
) -> AppResult<HttpResponse> {
    auth.require(&[Role::Admin, Role::FinanceOffice])?;
    let id = path.into_inner();
    let b = body.value;
    let rule_text = validate_policy(&b)?;
    let view = with_conn(&state, move |conn| {
        conn.write_transaction(|conn| {
            let p = repo::find_policy(conn, id)?.ok_or_else(|| AppError::not_found("policy"))?;
            if !(auth.is_admin() || p.owner_org_id == auth.org_id) {
                return Err(AppError::forbidden(
                    "only the policy's finance office or an admin may change it",
                ));
            }
            repo::lock_policy(conn, id)?;
            if repo::has_claims(conn, id)? {
                return Err(AppError::conflict(
                    ProblemCode::PolicyImmutable,
                    "claims have been made under this policy; publish a new one instead",
                ));
            }
            let now = db::now();
            repo::update_policy(
                conn,
                id,
                &NewPolicy {
                    owner_org_id: p.owner_org_id,
                    region_prefix: p.region_prefix.clone(),
                    name: b.name.clone(),
                    kind: b.kind.as_str().to_owned(),
                    effective_from: b.effective_from,
                    effective_to: b.effective_to,
                    budget_fen: b.budget.fen(),
                    eligibility: db::to_json_text(&b.eligibility),
                    rule: rule_text.clone(),
                    status: p.status.clone(),
                    created_at: p.created_at,
                    updated_at: now,
                },
            )?;
            let p = repo::find_policy(conn, id)?.ok_or_else(|| AppError::not_found("policy"))?;
            policy_view(conn, p)
        })
    })
    .await?;
    Ok(HttpResponse::Ok().json(view))
}

/// Suspend a policy (its finance office, admin): no new claims or approvals.
#[utoipa::path(tag = "subsidies", params(("id" = i64, Path, description = "Policy id")), responses((status = 200, description = "The suspended policy", body = PolicyView)))]
#[post("/policies/{id}/suspend")]
pub async fn suspend_policy(
    state: web::Data<AppState>,
    auth: Auth,
    path: web::Path<i64>,
    _: NoBody,
) -> AppResult<HttpResponse> {
    let id = path.into_inner();
    let view = with_conn(&state, move |conn| {
        conn.write_transaction(|conn| {
            let p = repo::find_policy(conn, id)?.ok_or_else(|| AppError::not_found("policy"))?;
            if !(auth.is_admin()
                || (auth.role == Role::FinanceOffice && p.owner_org_id == auth.org_id))
            {
                return Err(AppError::forbidden(
                    "only the policy's finance office or an admin may suspend it",
                ));
            }
            repo::set_policy_status(conn, id, PolicyStatus::Suspended.as_str(), db::now())?;
            let p = repo::find_policy(conn, id)?.ok_or_else(|| AppError::not_found("policy"))?;
            policy_view(conn, p)
        })
    })
    .await?;
    Ok(HttpResponse::Ok().json(view))
}

// ---------------------------------------------------------------- quotes and claims

#[derive(Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct HypotheticalGuarantee {
    /// The guarantor, as on a disbursement: a 担保费补贴 quote applies its per-guarantor caps
    /// (what it already has approved or paid for this enterprise). Without it, none apply.
    pub guarantor_id: Option<i64>,
    /// Annual guarantee fee rate, percent.
    #[schema(value_type = Rate, example = "1.00")]
    pub fee_rate: Rate,
    pub counter_guarantee: CounterGuarantee,
}

#[derive(Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct HypotheticalLoan {
    #[schema(value_type = Money)]
    pub principal: Money,
    #[schema(value_type = Rate)]
    pub annual_rate: Rate,
    #[serde(deserialize_with = "crate::domain::date::strict")]
    pub disbursed_on: NaiveDate,
    #[schema(minimum = 1, maximum = 360)]
    pub term_months: u32,
    #[serde(default)]
    pub first_loan: bool,
    pub enterprise_id: i64,
    pub product_type: ProductType,
    pub guarantee: Option<HypotheticalGuarantee>,
}

#[derive(Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct QuoteRequest {
    /// A stored loan …
    pub loan_id: Option<i64>,
    /// … or a hypothetical one.
    pub loan: Option<HypotheticalLoan>,
    #[serde(deserialize_with = "crate::domain::date::strict")]
    pub period_start: NaiveDate,
    /// Exclusive (算头不算尾).
    #[serde(deserialize_with = "crate::domain::date::strict")]
    pub period_end: NaiveDate,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Quote {
    pub eligible: bool,
    pub reasons: Vec<String>,
    #[schema(value_type = Money)]
    pub amount: Money,
    pub breakdown: Vec<Step>,
}

/// Everything a computation needs about one loan.
struct Case {
    loan: LoanFacts,
    enterprise_id: i64,
    region_code: String,
    size_class: SizeClass,
    qualifications: Vec<crate::domain::qualification::Qualification>,
    product_type: ProductType,
    guarantor_id: Option<i64>,
}

fn case_from_loan(conn: &mut DbConnection, l: &LoanRow) -> AppResult<Case> {
    let ent = db::catalog::enterprises(conn, Some(&[l.enterprise_id]))?
        .remove(&l.enterprise_id)
        .ok_or_else(|| AppError::not_found("enterprise"))?;
    let product =
        db::catalog::product(conn, l.product_id)?.ok_or_else(|| AppError::not_found("product"))?;
    Ok(Case {
        loan: LoanFacts {
            principal: Money::from_fen(l.amount_fen),
            annual_rate: Rate::from_units(l.rate_units),
            disbursed_on: l.disbursed_on,
            term_months: l.term_months.max(0) as u32,
            first_loan: l.first_loan,
            guarantee: match (
                l.guarantee_fee_rate_units,
                l.counter_guarantee
                    .as_deref()
                    .and_then(CounterGuarantee::parse),
            ) {
                (Some(rate), Some(cg)) => Some(GuaranteeFacts {
                    fee_rate: Rate::from_units(rate),
                    counter_guarantee: cg,
                }),
                _ => None,
            },
        },
        enterprise_id: l.enterprise_id,
        region_code: ent.facts.region_code,
        size_class: ent.facts.size_class,
        qualifications: ent.facts.qualifications,
        product_type: product.facts.product_type,
        guarantor_id: l.guarantor_id,
    })
}

fn payee(kind: PolicyKind, c: &Case) -> Option<i64> {
    match kind {
        PolicyKind::InterestSubsidy => Some(c.enterprise_id),
        PolicyKind::GuaranteeFeeSubsidy => c.guarantor_id,
    }
}

/// The amount for `case` under `policy`, with caps against what its payee already has
/// approved or paid (excluding `except`, the claim being re-approved).
#[allow(clippy::too_many_arguments)]
fn compute(
    conn: &mut DbConnection,
    p: &PolicyRow,
    rule: &Rule,
    kind: PolicyKind,
    c: &Case,
    start: NaiveDate,
    end: NaiveDate,
    except: Option<i64>,
) -> AppResult<Computation> {
    let eligibility: PolicyEligibility = db::from_json_text(&p.eligibility)?;
    let who = Beneficiary {
        region_code: &c.region_code,
        size_class: c.size_class,
        qualifications: &c.qualifications,
        product_type: c.product_type,
    };
    let mut reasons = subsidy::policy_reasons(
        &eligibility,
        p.effective_from,
        p.effective_to,
        p.region_prefix.as_deref(),
        &c.loan,
        &who,
    );
    if p.status != "active" {
        reasons.insert(0, "the policy is suspended".into());
    }
    let prior = match payee(kind, c) {
        Some(payee) => {
            let year = (
                NaiveDate::from_ymd_opt(end.year(), 1, 1).unwrap_or(end),
                NaiveDate::from_ymd_opt(end.year(), 12, 31).unwrap_or(end),
            );
            // Interest caps are per enterprise; guarantee caps per guarantor per enterprise.
            PriorAmounts {
                same_year: Money::from_fen(repo::paid_or_approved(
                    conn,
                    p.id,
                    payee,
                    Some(c.enterprise_id),
                    Some(year),
                    except,
                )?),
                total: Money::from_fen(repo::paid_or_approved(
                    conn,
                    p.id,
                    payee,
                    Some(c.enterprise_id),
                    None,
                    except,
                )?),
            }
        }
        None => PriorAmounts::default(),
    };
    let lpr = repo::lpr_series(conn)?;
    let mut result = subsidy::compute(rule, &c.loan, start, end, &lpr, prior);
    if !reasons.is_empty() {
        result.reasons.splice(0..0, reasons);
        result.eligible = false;
        result.amount = Money::ZERO;
    }
    Ok(result)
}

fn check_period(start: NaiveDate, end: NaiveDate) -> AppResult<()> {
    let mut v = Validator::default();
    v.check(end > start, "period_end", "must be after period_start");
    v.check(
        (end - start).num_days() <= 366 * 10,
        "period_end",
        "the period may not exceed ten years",
    );
    v.finish()
}

/// Quote a subsidy for a stored or hypothetical loan; nothing is stored.
#[utoipa::path(
    tag = "subsidies",
    request_body = QuoteRequest,
    params(("id" = i64, Path, description = "Policy id")),
    responses((status = 200, description = "The amount and every step of the arithmetic", body = Quote))
)]
#[post("/policies/{id}/quote")]
pub async fn quote(
    state: web::Data<AppState>,
    auth: Auth,
    path: web::Path<i64>,
    body: JsonBody<QuoteRequest>,
) -> AppResult<HttpResponse> {
    let id = path.into_inner();
    let b = body.value;
    check_period(b.period_start, b.period_end)?;
    if b.loan_id.is_some() == b.loan.is_some() {
        return Err(AppError::invalid_field(
            ProblemCode::ValidationFailed,
            "loan_id",
            "give either loan_id or loan",
        ));
    }
    let q = with_conn(&state, move |conn| {
        let p = repo::find_policy(conn, id)?.ok_or_else(|| AppError::not_found("policy"))?;
        let (kind, rule, _) = stored_rule(&p)?;
        let case = match (b.loan_id, b.loan) {
            (Some(loan_id), _) => {
                let scope = db::matches::loan_scope_for(conn, auth.org_id, auth.role)?;
                let l = db::matches::find_loan(conn, loan_id, &scope)?
                    .ok_or_else(|| AppError::not_found("loan"))?;
                case_from_loan(conn, &l)?
            }
            (None, Some(h)) => {
                let scope = db::orgs::enterprise_scope(conn, auth.org_id, auth.role)?;
                let (org, e) = db::enterprises::find_visible(conn, h.enterprise_id, &scope)?
                    .ok_or_else(|| AppError::not_found("enterprise"))?;
                let quals = db::catalog::enterprises(conn, Some(&[org.id]))?
                    .remove(&org.id)
                    .map(|e| e.facts.qualifications)
                    .unwrap_or_default();
                let mut v = Validator::default();
                v.check(
                    !h.principal.is_zero(),
                    "loan.principal",
                    "must be greater than 0",
                );
                v.check(
                    (1..=360).contains(&h.term_months),
                    "loan.term_months",
                    "must be between 1 and 360",
                );
                let guarantor_id = h.guarantee.as_ref().and_then(|g| g.guarantor_id);
                if let Some(g) = guarantor_id {
                    let kind = db::orgs::find(conn, g)?.map(|o| o.kind);
                    v.check(
                        kind.as_deref() == Some(OrgKind::Guarantor.as_str()),
                        "loan.guarantee.guarantor_id",
                        "is not a guarantor organization",
                    );
                }
                v.finish()?;
                Case {
                    loan: LoanFacts {
                        principal: h.principal,
                        annual_rate: h.annual_rate,
                        disbursed_on: h.disbursed_on,
                        term_months: h.term_months,
                        first_loan: h.first_loan,
                        guarantee: h.guarantee.map(|g| GuaranteeFacts {
                            fee_rate: g.fee_rate,
                            counter_guarantee: g.counter_guarantee,
                        }),
                    },
                    enterprise_id: org.id,
                    region_code: org.region_code.unwrap_or_default(),
                    size_class: SizeClass::parse(&e.size_class).unwrap_or(SizeClass::Micro),
                    qualifications: quals,
                    product_type: h.product_type,
                    guarantor_id,
                }
            }
            _ => {
                return Err(AppError::invalid_field(
                    ProblemCode::ValidationFailed,
                    "loan_id",
                    "give either loan_id or loan",
                ))
            }
        };
        let c = compute(
            conn,
            &p,
            &rule,
            kind,
            &case,
            b.period_start,
            b.period_end,
            None,
        )?;
        Ok(Quote {
            eligible: c.eligible,
            reasons: c.reasons,
            amount: c.amount,
            breakdown: c.breakdown,
        })
    })
    .await?;
    Ok(HttpResponse::Ok().json(q))
}

#[derive(Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateClaim {
    pub policy_id: i64,
    pub loan_id: i64,
    #[serde(deserialize_with = "crate::domain::date::strict")]
    pub period_start: NaiveDate,
    /// Exclusive (算头不算尾).
    #[serde(deserialize_with = "crate::domain::date::strict")]
    pub period_end: NaiveDate,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ClaimView {
    pub id: i64,
    pub policy_id: i64,
    pub loan_id: i64,
    pub enterprise_id: i64,
    /// Who is paid: the enterprise (贴息) or the guarantor (担保费补贴).
    pub payee_id: i64,
    pub period_start: NaiveDate,
    pub period_end: NaiveDate,
    pub state: ClaimState,
    #[schema(value_type = Money)]
    pub amount: Money,
    pub breakdown: Vec<Step>,
    pub reason: Option<String>,
    pub paid_on: Option<NaiveDate>,
    pub payment_reference: Option<String>,
    #[schema(format = DateTime)]
    pub created_at: String,
    #[schema(format = DateTime)]
    pub updated_at: String,
}

fn claim_view(c: ClaimRow) -> AppResult<ClaimView> {
    Ok(ClaimView {
        id: c.id,
        policy_id: c.policy_id,
        loan_id: c.loan_id,
        enterprise_id: c.enterprise_id,
        payee_id: c.payee_org_id,
        period_start: c.period_start,
        period_end: c.period_end,
        state: stored(&c.state)?,
        amount: Money::from_fen(c.amount_fen),
        breakdown: db::from_json_text(&c.breakdown)?,
        reason: c.reason,
        paid_on: c.paid_on,
        payment_reference: c.payment_reference,
        created_at: rfc3339(c.created_at),
        updated_at: rfc3339(c.updated_at),
    })
}

fn claim_scope(conn: &mut DbConnection, auth: &Auth) -> AppResult<Option<ClaimScope>> {
    Ok(match auth.role {
        Role::Admin => Some(ClaimScope::All),
        Role::Enterprise => Some(ClaimScope::Enterprise(auth.org_id)),
        Role::Bank => Some(ClaimScope::Bank(auth.org_id)),
        Role::Guarantor => Some(ClaimScope::Payee(auth.org_id)),
        Role::FinanceOffice => finance_region(conn, auth)?.map(ClaimScope::Region),
    })
}

fn visible_claim(conn: &mut DbConnection, auth: &Auth, id: i64) -> AppResult<ClaimRow> {
    let c = repo::find_claim(conn, id)?.ok_or_else(|| AppError::not_found("subsidy claim"))?;
    match claim_scope(conn, auth)? {
        Some(scope) if repo::claim_visible(conn, &c, &scope)? => Ok(c),
        _ => Err(AppError::not_found("subsidy claim")),
    }
}

/// Submit a claim (the loan's enterprise or bank, or the finance office in scope).
#[utoipa::path(
    tag = "subsidies",
    request_body = CreateClaim,
    params(("Idempotency-Key" = Option<String>, Header, description = "Makes retries safe")),
    responses(
        (status = 201, description = "The claim, `submitted`, with amount and breakdown", body = ClaimView),
        (status = 409, description = "`duplicate_claim`: an overlapping period is already claimed", body = crate::app::error::Problem, content_type = "application/problem+json"),
        (status = 422, description = "`not_eligible` or invalid fields", body = crate::app::error::Problem, content_type = "application/problem+json"),
    )
)]
#[post("/subsidy-claims")]
pub async fn create_claim(
    state: web::Data<AppState>,
    req: HttpRequest,
    auth: Auth,
    body: JsonBody<CreateClaim>,
) -> AppResult<HttpResponse> {
    let b = body.value;
    if let Err(forbidden) = auth.require(&[
        Role::Enterprise,
        Role::Bank,
        Role::FinanceOffice,
        Role::Admin,
    ]) {
        // A loan the caller cannot see does not exist for it (404); one it sees (a
        // guarantor's own guarantee), it may not claim for (403).
        let loan_id = b.loan_id;
        let visible = with_conn(&state, move |conn| {
            let scope = db::matches::loan_scope_for(conn, auth.org_id, auth.role)?;
            Ok(db::matches::find_loan(conn, loan_id, &scope)?.is_some())
        })
        .await?;
        return Err(if visible {
            forbidden
        } else {
            AppError::not_found("loan")
        });
    }
    check_period(b.period_start, b.period_end)?;
    let st = state.clone();
    idempotency::run(&st, &req, auth.idempotency_scope(), &body.raw, |done| async move {
        with_conn(&state, move |conn| {
            conn.write_transaction(|conn| {
                let scope = db::matches::loan_scope_for(conn, auth.org_id, auth.role)?;
                let loan = db::matches::find_loan(conn, b.loan_id, &scope)?.ok_or_else(|| AppError::not_found("loan"))?;
                // Taken before the overlap check below: one claim per period, under concurrency.
                repo::lock_claims_of_loan(conn, loan.id)?;
                let p = repo::find_policy(conn, b.policy_id)?.ok_or_else(|| AppError::not_found("policy"))?;
                let (kind, rule, _) = stored_rule(&p)?;
                let case = case_from_loan(conn, &loan)?;
                let c = compute(conn, &p, &rule, kind, &case, b.period_start, b.period_end, None)?;
                if !c.eligible {
                    let errors = c.reasons.into_iter().map(|m| FieldError { field: "loan_id".into(), message: m }).collect();
                    return Err(AppError::invalid(ProblemCode::NotEligible, errors));
                }
                let payee = payee(kind, &case).ok_or_else(|| AppError::invalid_field(ProblemCode::NotEligible, "loan_id", "the loan has no guarantor"))?;
                if repo::overlapping_claim(conn, p.id, loan.id, b.period_start, b.period_end)? {
                    return Err(AppError::conflict(ProblemCode::DuplicateClaim, "a claim for an overlapping period of this loan under this policy exists"));
                }
                let now = db::now();
                let row = repo::insert_claim(
                    conn,
                    &NewClaim {
                        policy_id: p.id,
                        loan_id: loan.id,
                        enterprise_id: case.enterprise_id,
                        payee_org_id: payee,
                        period_start: b.period_start,
                        period_end: b.period_end,
                        state: ClaimState::Submitted.as_str().into(),
                        amount_fen: c.amount.fen(),
                        breakdown: db::to_json_text(&c.breakdown),
                        submitted_by: auth.user_id,
                        created_at: now,
                        updated_at: now,
                    },
                )?;
                done.record(conn, StatusCode::CREATED, &claim_view(row)?)
            })
        })
        .await
    })
    .await
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ClaimListQuery {
    pub policy_id: Option<i64>,
    pub state: Option<ClaimState>,
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
    pub cursor: Option<String>,
}

/// Claims in the caller's scope.
#[utoipa::path(tag = "subsidies", params(ClaimListQuery), responses((status = 200, description = "A page of claims", body = Page<ClaimView>)))]
#[get("/subsidy-claims")]
pub async fn list_claims(
    state: web::Data<AppState>,
    auth: Auth,
    query: web::Query<ClaimListQuery>,
) -> AppResult<HttpResponse> {
    let q = query.into_inner();
    let cursor = PageQuery {
        limit: q.limit,
        cursor: q.cursor,
    }
    .cursor()?;
    let rows = with_conn(&state, move |conn| {
        Ok(match claim_scope(conn, &auth)? {
            Some(scope) => repo::list_claims(
                conn,
                &scope,
                q.policy_id,
                q.state.map(ClaimState::as_str),
                cursor.after_id,
                cursor.limit,
            )?,
            None => Vec::new(),
        })
    })
    .await?;
    let views = rows
        .into_iter()
        .map(claim_view)
        .collect::<AppResult<Vec<_>>>()?;
    Ok(HttpResponse::Ok().json(page(views, cursor, |c| c.id, |c| c)))
}

/// One claim with its breakdown.
#[utoipa::path(tag = "subsidies", params(("id" = i64, Path, description = "Claim id")), responses((status = 200, description = "The claim", body = ClaimView)))]
#[get("/subsidy-claims/{id}")]
pub async fn get_claim(
    state: web::Data<AppState>,
    auth: Auth,
    path: web::Path<i64>,
) -> AppResult<HttpResponse> {
    let id = path.into_inner();
    let c = with_conn(&state, move |conn| visible_claim(conn, &auth, id)).await?;
    Ok(HttpResponse::Ok().json(claim_view(c)?))
}

/// The claim if the caller is the finance office in scope (or admin); 404 out of scope, 403 for other roles.
fn decidable(conn: &mut DbConnection, auth: &Auth, id: i64) -> AppResult<ClaimRow> {
    let c = visible_claim(conn, auth, id)?;
    auth.require(&[Role::FinanceOffice, Role::Admin])?;
    Ok(c)
}

fn wrong_state(c: &ClaimRow, action: &str) -> AppError {
    AppError::conflict(
        ProblemCode::InvalidTransition,
        format!("a claim that is {} cannot be {action}", c.state),
    )
}

/// Approve: recompute against what the payee already has, check the budget, atomically.
#[utoipa::path(
    tag = "subsidies",
    params(("id" = i64, Path, description = "Claim id")),
    responses(
        (status = 200, description = "The approved claim (its amount may be lowered by a cap)", body = ClaimView),
        (status = 409, description = "`budget_exceeded` (the claim stays submitted) or `invalid_transition`", body = crate::app::error::Problem, content_type = "application/problem+json"),
        (status = 422, description = "`not_eligible`: the loan no longer qualifies (e.g. the policy was suspended since the claim was filed)", body = crate::app::error::Problem, content_type = "application/problem+json"),
    )
)]
#[post("/subsidy-claims/{id}/approve")]
pub async fn approve_claim(
    state: web::Data<AppState>,
    auth: Auth,
    path: web::Path<i64>,
    _: NoBody,
) -> AppResult<HttpResponse> {
    let id = path.into_inner();
    let view = with_conn(&state, move |conn| {
        conn.write_transaction(|conn| {
            let c = decidable(conn, &auth, id)?;
            repo::lock_policy(conn, c.policy_id)?;
            let c =
                repo::find_claim(conn, id)?.ok_or_else(|| AppError::not_found("subsidy claim"))?;
            let (from, to) = ClaimAction::Approve.arrow();
            if c.state != from.as_str() {
                return Err(wrong_state(&c, to.as_str()));
            }
            let p = repo::find_policy(conn, c.policy_id)?
                .ok_or_else(|| AppError::not_found("policy"))?;
            let (kind, rule, _) = stored_rule(&p)?;
            let loan = db::matches::find_loan(
                conn,
                c.loan_id,
                &db::matches::LoanScope::Matches(db::matches::MatchScope::All),
            )?
            .ok_or_else(|| AppError::not_found("loan"))?;
            let case = case_from_loan(conn, &loan)?;
            let result = compute(
                conn,
                &p,
                &rule,
                kind,
                &case,
                c.period_start,
                c.period_end,
                Some(c.id),
            )?;
            if !result.eligible {
                let errors = result
                    .reasons
                    .into_iter()
                    .map(|m| FieldError {
                        field: "loan_id".into(),
                        message: m,
                    })
                    .collect();
                return Err(AppError::invalid(ProblemCode::NotEligible, errors));
            }
            let remaining = p.budget_fen - repo::budget_used(conn, p.id)?;
            if result.amount.fen() > remaining {
                return Err(AppError::conflict(
                    ProblemCode::BudgetExceeded,
                    format!(
                        "the policy's remaining budget {} does not cover {}",
                        Money::from_fen(remaining.max(0)),
                        result.amount
                    ),
                ));
            }
            let mut breakdown = result.breakdown.clone();
            breakdown.push(Step {
                step: "budget remaining before approval".into(),
                value: Money::from_fen(remaining).to_string(),
            });
            let now = db::now();
            if !repo::move_claim(
                conn,
                id,
                from.as_str(),
                to.as_str(),
                Some(result.amount.fen()),
                Some(&db::to_json_text(&breakdown)),
                None,
                None,
                now,
            )? {
                return Err(AppError::conflict(
                    ProblemCode::InvalidTransition,
                    "the claim changed meanwhile",
                ));
            }
            let row =
                repo::find_claim(conn, id)?.ok_or_else(|| AppError::not_found("subsidy claim"))?;
            let view = claim_view(row.clone())?;
            let payload = serde_json::to_value(&view).map_err(AppError::internal)?;
            db::webhooks::enqueue(
                conn,
                &[row.enterprise_id, row.payee_org_id],
                "subsidy_claim.approved",
                &payload,
                now,
            )?;
            Ok(view)
        })
    })
    .await?;
    Ok(HttpResponse::Ok().json(view))
}

#[derive(Debug, Deserialize, Serialize, ToSchema)]
pub struct RejectClaim {
    #[schema(min_length = 1, max_length = 2000)]
    pub reason: String,
}

/// Reject a submitted claim, with a reason.
#[utoipa::path(
    tag = "subsidies",
    request_body = RejectClaim,
    params(("id" = i64, Path, description = "Claim id")),
    responses((status = 200, description = "The rejected claim", body = ClaimView))
)]
#[post("/subsidy-claims/{id}/reject")]
pub async fn reject_claim(
    state: web::Data<AppState>,
    auth: Auth,
    path: web::Path<i64>,
    body: JsonBody<RejectClaim>,
) -> AppResult<HttpResponse> {
    let id = path.into_inner();
    let reason = body.value.reason;
    let mut v = Validator::default();
    v.check(!reason.trim().is_empty(), "reason", "is required");
    v.check(
        reason.chars().count() <= 2000,
        "reason",
        "must be at most 2000 characters",
    );
    v.finish()?;
    let view = with_conn(&state, move |conn| {
        conn.write_transaction(|conn| {
            let c = decidable(conn, &auth, id)?;
            let (from, to) = ClaimAction::Reject.arrow();
            if !repo::move_claim(
                conn,
                id,
                from.as_str(),
                to.as_str(),
                None,
                None,
                Some(&reason),
                None,
                db::now(),
            )? {
                return Err(wrong_state(&c, to.as_str()));
            }
            claim_view(
                repo::find_claim(conn, id)?.ok_or_else(|| AppError::not_found("subsidy claim"))?,
            )
        })
    })
    .await?;
    Ok(HttpResponse::Ok().json(view))
}

#[derive(Debug, Deserialize, Serialize, ToSchema)]
pub struct PayClaim {
    #[serde(deserialize_with = "crate::domain::date::strict")]
    pub paid_on: NaiveDate,
    /// The payment's reference (国库支付凭证号 …).
    #[schema(min_length = 1, max_length = 200)]
    pub reference: String,
}

/// Record the payment of an approved claim.
#[utoipa::path(
    tag = "subsidies",
    request_body = PayClaim,
    params(("id" = i64, Path, description = "Claim id")),
    responses((status = 200, description = "The paid claim", body = ClaimView))
)]
#[post("/subsidy-claims/{id}/pay")]
pub async fn pay_claim(
    state: web::Data<AppState>,
    auth: Auth,
    path: web::Path<i64>,
    body: JsonBody<PayClaim>,
) -> AppResult<HttpResponse> {
    let id = path.into_inner();
    let b = body.value;
    let mut v = Validator::default();
    v.check(!b.reference.trim().is_empty(), "reference", "is required");
    v.check(
        b.reference.chars().count() <= 200,
        "reference",
        "must be at most 200 characters",
    );
    v.finish()?;
    let view = with_conn(&state, move |conn| {
        conn.write_transaction(|conn| {
            let c = decidable(conn, &auth, id)?;
            let now = db::now();
            let (from, to) = ClaimAction::Pay.arrow();
            if !repo::move_claim(
                conn,
                id,
                from.as_str(),
                to.as_str(),
                None,
                None,
                None,
                Some((b.paid_on, &b.reference)),
                now,
            )? {
                return Err(wrong_state(&c, to.as_str()));
            }
            let row =
                repo::find_claim(conn, id)?.ok_or_else(|| AppError::not_found("subsidy claim"))?;
            let view = claim_view(row.clone())?;
            let payload = serde_json::to_value(&view).map_err(AppError::internal)?;
            db::webhooks::enqueue(
                conn,
                &[row.enterprise_id, row.payee_org_id],
                "subsidy_claim.paid",
                &payload,
                now,
            )?;
            Ok(view)
        })
    })
    .await?;
    Ok(HttpResponse::Ok().json(view))
}

// ---------------------------------------------------------------- simulation

#[derive(Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SimulateRequest {
    /// Loans disbursed from this date …
    #[serde(deserialize_with = "crate::domain::date::strict")]
    pub from: NaiveDate,
    /// … to this date, inclusive.
    #[serde(deserialize_with = "crate::domain::date::strict")]
    pub to: NaiveDate,
    /// Rule parameters to change for this simulation only.
    pub overrides: Option<RuleInput>,
}

#[derive(Debug, Default, Serialize, ToSchema)]
pub struct SimulationGroup {
    pub key: String,
    pub count: u64,
    #[schema(value_type = Money)]
    pub total: Money,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Simulation {
    pub count: u64,
    #[schema(value_type = Money)]
    pub total: Money,
    pub by_product_type: Vec<SimulationGroup>,
    pub by_size_class: Vec<SimulationGroup>,
}

/// Budget planning (预算测算): what the policy (or a variant) would cost over every eligible
/// loan disbursed in the window, each for its whole subsidisable life, caps applied per payee.
#[utoipa::path(
    tag = "subsidies",
    request_body = SimulateRequest,
    params(("id" = i64, Path, description = "Policy id")),
    responses((status = 200, description = "Count, total and groups", body = Simulation))
)]
#[post("/policies/{id}/simulate")]
pub async fn simulate(
    state: web::Data<AppState>,
    auth: Auth,
    path: web::Path<i64>,
    body: JsonBody<SimulateRequest>,
) -> AppResult<HttpResponse> {
    auth.require(&[Role::FinanceOffice, Role::Admin])?;
    let id = path.into_inner();
    let b = body.value;
    let mut v = Validator::default();
    v.check(b.to >= b.from, "to", "must not be before from");
    v.finish()?;
    let result = with_conn(&state, move |conn| {
        let p = repo::find_policy(conn, id)?.ok_or_else(|| AppError::not_found("policy"))?;
        let (kind, _, input) = stored_rule(&p)?;
        let input = match &b.overrides {
            Some(o) => input.merged(o),
            None => input,
        };
        let (rule, _) = input.to_rule(kind).map_err(|errs| {
            AppError::invalid(
                ProblemCode::ValidationFailed,
                errs.into_iter()
                    .map(|e| FieldError {
                        field: e.field.replacen("rule.", "overrides.", 1),
                        message: e.message,
                    })
                    .collect(),
            )
        })?;
        let scope = db::matches::loan_scope_for(conn, auth.org_id, auth.role)?;
        let eligibility: PolicyEligibility = db::from_json_text(&p.eligibility)?;
        let lpr = repo::lpr_series(conn)?;
        let mut after = None;
        let mut used: BTreeMap<(i64, i64, i32), i64> = BTreeMap::new();
        let mut used_total: BTreeMap<(i64, i64), i64> = BTreeMap::new();
        let (mut count, mut total) = (0u64, 0i64);
        let mut by_type: BTreeMap<String, SimulationGroup> = BTreeMap::new();
        let mut by_size: BTreeMap<String, SimulationGroup> = BTreeMap::new();
        loop {
            let filter = db::matches::LoanFilter {
                from: Some(b.from),
                to: Some(b.to),
                after_id: after,
                limit: 500,
                ..Default::default()
            };
            let mut loans = db::matches::list_loans(conn, &scope, &filter)?;
            let done = loans.len() <= 500;
            loans.truncate(500);
            let Some(last) = loans.last() else { break };
            after = Some(last.id);
            for l in &loans {
                let case = case_from_loan(conn, l)?;
                let who = Beneficiary {
                    region_code: &case.region_code,
                    size_class: case.size_class,
                    qualifications: &case.qualifications,
                    product_type: case.product_type,
                };
                if !subsidy::policy_reasons(
                    &eligibility,
                    p.effective_from,
                    p.effective_to,
                    p.region_prefix.as_deref(),
                    &case.loan,
                    &who,
                )
                .is_empty()
                {
                    continue;
                }
                let Some(payee) = payee(kind, &case) else {
                    continue;
                };
                let start = case.loan.disbursed_on;
                let end = start
                    .checked_add_months(chrono::Months::new(case.loan.term_months))
                    .unwrap_or(start);
                let key_year = (payee, case.enterprise_id, end.year());
                let prior = PriorAmounts {
                    same_year: Money::from_fen(*used.get(&key_year).unwrap_or(&0)),
                    total: Money::from_fen(
                        *used_total.get(&(payee, case.enterprise_id)).unwrap_or(&0),
                    ),
                };
                let c = subsidy::compute(&rule, &case.loan, start, end, &lpr, prior);
                if !c.eligible || c.amount.is_zero() {
                    continue;
                }
                *used.entry(key_year).or_default() += c.amount.fen();
                *used_total.entry((payee, case.enterprise_id)).or_default() += c.amount.fen();
                count += 1;
                total += c.amount.fen();
                for (map, key) in [
                    (&mut by_type, case.product_type.as_str().to_owned()),
                    (&mut by_size, case.size_class.as_str().to_owned()),
                ] {
                    let g = map.entry(key.clone()).or_insert_with(|| SimulationGroup {
                        key,
                        ..Default::default()
                    });
                    g.count += 1;
                    g.total = Money::from_fen(g.total.fen() + c.amount.fen());
                }
            }
            if done {
                break;
            }
        }
        Ok(Simulation {
            count,
            total: Money::from_fen(total),
            by_product_type: by_type.into_values().collect(),
            by_size_class: by_size.into_values().collect(),
        })
    })
    .await?;
    Ok(HttpResponse::Ok().json(result))
}
