//! Subsidy policies as data (SPEC §3.8): a kind, a window, a budget, who is eligible and the
//! rule (`rule_input`). A policy is public to every authenticated user; its finance office or
//! an admin changes it, and only until the first claim is made under it.

use crate::app::clock;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::rule_input::RuleInput;
use crate::app::caller::Caller;
use crate::app::effects::Receipt;
use crate::app::error::{AppError, AppResult, ProblemCode, Validator};
use crate::db::subsidies::{self as repo, NewPolicy, PolicyRow};
use crate::db::{self, DbConnection};
use crate::domain::date::rfc3339;
use crate::domain::money::Money;
use crate::domain::org::Role;
use crate::domain::region;
use crate::domain::subsidy::{
    PolicyAction, PolicyEligibility, PolicyKind, PolicyStatus, StoredRule,
};

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

pub(super) fn policy_view(conn: &mut DbConnection, p: PolicyRow) -> AppResult<PolicyView> {
    let used = repo::budget_used(conn, p.id)?;
    let (_, rule) = super::stored_rule(&p)?;
    Ok(PolicyView {
        id: p.id,
        name: p.fields.name,
        kind: p.fields.kind,
        status: p.fields.status,
        effective_from: p.fields.effective_from,
        effective_to: p.fields.effective_to,
        region_prefix: p.fields.region_prefix,
        owner_organization_id: p.fields.owner_org_id,
        budget: Money::from_fen(p.fields.budget_fen),
        budget_used: Money::from_fen(used),
        budget_remaining: Money::from_fen((p.fields.budget_fen - used).max(0)),
        eligibility: p.fields.eligibility.0,
        rule: RuleInput::from_rule(&rule),
        created_at: rfc3339(p.fields.created_at),
    })
}

/// What a policy list is filtered by; `after_id`/`limit` come from the page cursor.
pub struct PolicyQuery {
    pub kind: Option<PolicyKind>,
    pub status: Option<PolicyStatus>,
    /// Only the policies that concern this region (national ones, the province's, the
    /// region's own and those inside it).
    pub region_prefix: Option<String>,
    pub after_id: Option<i64>,
    pub limit: i64,
}

/// Checks a policy and returns its rule as stored.
fn validate_policy(b: &CreatePolicy) -> AppResult<StoredRule> {
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
    for (i, p) in b.eligibility.sector_prefixes.iter().enumerate() {
        v.check(
            crate::domain::profile::is_sector_code(p),
            &format!("eligibility.sector_prefixes[{i}]"),
            "must be a GB/T 4754 code or prefix: a section letter A–T and 0, 2, 3 or 4 digits",
        );
    }
    if let Some(g) = &b.eligibility.exclusive_group {
        let n = g.trim().chars().count();
        v.check(
            (1..=100).contains(&n) && n == g.chars().count(),
            "eligibility.exclusive_group",
            "must be 1 to 100 characters without surrounding spaces",
        );
    }
    let rule = match b.rule.to_rule(b.kind) {
        Ok(rule) => Some(rule),
        Err(errs) => {
            for e in errs {
                v.push(&e.field, e.message);
            }
            None
        }
    };
    if let Some(crate::domain::subsidy::Rule::LumpSum(l)) = &rule {
        v.check(
            l.certified_from.is_none() || !b.eligibility.qualifications_any.is_empty(),
            "rule.certified_from",
            "needs eligibility.qualifications_any: the qualification that must be newly certified",
        );
    }
    v.finish()?;
    rule.map(StoredRule::new)
        .ok_or_else(|| AppError::internal("a rule that failed no check was not built"))
}

/// The caller may write policies (403) and the policy is valid (422): its rule as stored.
fn admitted(auth: &Caller, cmd: &CreatePolicy) -> AppResult<StoredRule> {
    auth.require(&[Role::Admin, Role::FinanceOffice])?;
    validate_policy(cmd)
}

/// Checks the caller's role and the policy's fields before anything is looked up (the HTTP
/// layer calls it ahead of the `Idempotency-Key` lookup).
pub fn validate(auth: &Caller, cmd: &CreatePolicy) -> AppResult<()> {
    admitted(auth, cmd).map(|_| ())
}

/// Creates a policy (finance office, admin), `active`. A finance office's policy covers its
/// region.
#[tracing::instrument(skip_all, fields(user = auth.user_id))]
pub fn create<R: Receipt<PolicyView>>(
    conn: &mut DbConnection,
    auth: &Caller,
    cmd: CreatePolicy,
    receipt: R,
) -> AppResult<R::Out> {
    let rule = admitted(auth, &cmd)?;
    conn.write_transaction(|conn| {
        let now = clock::now();
        let region_prefix = auth.scope.region().map(str::to_owned);
        let row = repo::insert_policy(
            conn,
            &NewPolicy {
                owner_org_id: auth.org_id,
                region_prefix,
                name: cmd.name.clone(),
                kind: cmd.kind,
                effective_from: cmd.effective_from,
                effective_to: cmd.effective_to,
                budget_fen: cmd.budget.fen(),
                eligibility: db::JsonText(cmd.eligibility.clone()),
                rule: db::JsonText(rule.clone()),
                status: PolicyStatus::Active,
                created_at: now,
                updated_at: now,
            },
        )?;
        let view = policy_view(conn, row)?;
        receipt.record(conn, view)
    })
}

/// Rewrites the rules stored before `StoredRule` existed (the normalised request body) in the
/// stored form; runs after the migrations. Safe on many instances at once: a row is replaced
/// only while it still holds the text that was read. Returns how many were rewritten.
pub fn upgrade_stored_rules(conn: &mut DbConnection) -> AppResult<usize> {
    let mut n = 0;
    for (id, kind, text) in repo::legacy_rules(conn)? {
        let rule = serde_json::from_str::<RuleInput>(&text)
            .ok()
            .and_then(|input| input.to_rule(kind).ok())
            .ok_or_else(|| AppError::internal(format!("policy {id}: stored rule is invalid")))?;
        n += repo::replace_legacy_rule(conn, id, &text, StoredRule::new(rule))?;
    }
    Ok(n)
}

/// Policies (public to every authenticated user), by id.
pub fn list(conn: &mut DbConnection, q: PolicyQuery) -> AppResult<Vec<PolicyView>> {
    let region = crate::app::query::region_prefix(q.region_prefix)?;
    let rows = repo::list_policies(
        conn,
        q.kind.map(|k| k.as_str()),
        q.status.map(PolicyStatus::as_str),
        region.as_deref(),
        q.after_id,
        q.limit,
    )?;
    rows.into_iter()
        .map(|r| policy_view(conn, r))
        .collect::<AppResult<Vec<_>>>()
}

/// One policy with its budget use.
pub fn get(conn: &mut DbConnection, id: i64) -> AppResult<PolicyView> {
    let p = repo::find_policy(conn, id)?.ok_or_else(|| AppError::not_found("policy"))?;
    policy_view(conn, p)
}

/// Replaces a policy (its finance office, admin) — only while no claim has been made under it;
/// a policy with claims is immutable (409 `policy_immutable`).
#[tracing::instrument(skip_all, fields(user = auth.user_id, policy = id))]
pub fn update(
    conn: &mut DbConnection,
    auth: &Caller,
    id: i64,
    cmd: CreatePolicy,
) -> AppResult<PolicyView> {
    let rule = admitted(auth, &cmd)?;
    conn.write_transaction(|conn| {
        let p = repo::find_policy(conn, id)?.ok_or_else(|| AppError::not_found("policy"))?;
        if !(auth.is_admin() || p.fields.owner_org_id == auth.org_id) {
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
        let now = clock::now();
        repo::update_policy(
            conn,
            id,
            &NewPolicy {
                owner_org_id: p.fields.owner_org_id,
                region_prefix: p.fields.region_prefix.clone(),
                name: cmd.name.clone(),
                kind: cmd.kind,
                effective_from: cmd.effective_from,
                effective_to: cmd.effective_to,
                budget_fen: cmd.budget.fen(),
                eligibility: db::JsonText(cmd.eligibility.clone()),
                rule: db::JsonText(rule.clone()),
                status: p.fields.status,
                created_at: p.fields.created_at,
                updated_at: now,
            },
        )?;
        get(conn, id)
    })
}

/// Suspends a policy (its finance office, admin): no new claims or approvals.
#[tracing::instrument(skip_all, fields(user = auth.user_id, policy = id))]
pub fn suspend(conn: &mut DbConnection, auth: &Caller, id: i64) -> AppResult<PolicyView> {
    conn.write_transaction(|conn| {
        let p = repo::find_policy(conn, id)?.ok_or_else(|| AppError::not_found("policy"))?;
        if !(auth.is_admin()
            || (auth.role == Role::FinanceOffice && p.fields.owner_org_id == auth.org_id))
        {
            return Err(AppError::forbidden(
                "only the policy's finance office or an admin may suspend it",
            ));
        }
        let now = p.fields.status.after(PolicyAction::Suspend);
        repo::set_policy_status(conn, id, now.as_str(), clock::now())?;
        get(conn, id)
    })
}
