//! Budget planning (预算测算): what a policy, or a variant of its rule, would cost over the
//! loans disbursed in a window. Nothing is stored.

use std::collections::BTreeMap;

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::quote::{case_from_loan, payee};
use super::rule_input::RuleInput;
use super::stored_rule;
use crate::app::caller::Caller;
use crate::app::error::{AppError, AppResult, FieldError, ProblemCode, Validator};
use crate::db::subsidies as repo;
use crate::db::{self, DbConnection};
use crate::domain::money::Money;
use crate::domain::org::Role;
use crate::domain::subsidy::{self, PriorAmounts};

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

/// What policy `id` (with `overrides` on its rule) would cost over every eligible loan in the
/// caller's scope disbursed in the window, each for its whole subsidisable life, caps applied
/// per payee (finance office, admin).
pub fn simulate(
    conn: &mut DbConnection,
    auth: &Caller,
    id: i64,
    cmd: SimulateRequest,
) -> AppResult<Simulation> {
    auth.require(&[Role::FinanceOffice, Role::Admin])?;
    let mut v = Validator::default();
    v.check(cmd.to >= cmd.from, "to", "must not be before from");
    v.finish()?;
    let p = repo::find_policy(conn, id)?.ok_or_else(|| AppError::not_found("policy"))?;
    super::quote::per_loan(&p)?;
    let (kind, stored) = stored_rule(&p)?;
    let input = RuleInput::from_rule(&stored);
    let input = match &cmd.overrides {
        Some(o) => input.merged(o),
        None => input,
    };
    let rule = input.to_rule(kind).map_err(|errs| {
        AppError::invalid(
            ProblemCode::ValidationFailed,
            errs.into_iter()
                .map(|e| FieldError {
                    field: e.field.replacen("rule.", "overrides.", 1),
                    message: e.message,
                    message_zh: None,
                })
                .collect(),
        )
    })?;
    let scope = &auth.scope;
    let eligibility = p.fields.eligibility.0.clone();
    let lpr = repo::lpr_series(conn)?;
    let mut after = None;
    let mut used: BTreeMap<(i64, i64, i32), i64> = BTreeMap::new();
    let mut used_total: BTreeMap<(i64, i64), i64> = BTreeMap::new();
    let (mut count, mut total) = (0u64, 0i64);
    let mut by_type: BTreeMap<String, SimulationGroup> = BTreeMap::new();
    let mut by_size: BTreeMap<String, SimulationGroup> = BTreeMap::new();
    loop {
        let filter = db::matches::LoanFilter {
            from: Some(cmd.from),
            to: Some(cmd.to),
            after_id: after,
            limit: 500,
            ..Default::default()
        };
        let mut loans = db::matches::list_loans(conn, scope, &filter)?;
        let done = loans.len() <= 500;
        loans.truncate(500);
        let Some(last) = loans.last() else { break };
        after = Some(last.id);
        for l in &loans {
            let case = case_from_loan(conn, l)?;
            let who = case.beneficiary();
            if !subsidy::policy_reasons(
                &eligibility,
                p.fields.effective_from,
                p.fields.effective_to,
                p.fields.region_prefix.as_deref(),
                &case.loan,
                &who,
                None,
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
                total: Money::from_fen(*used_total.get(&(payee, case.enterprise_id)).unwrap_or(&0)),
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
}
