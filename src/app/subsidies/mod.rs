//! Subsidies (SPEC §3.8): the LPR series, policies as data, quotes, claims under caps and
//! budgets, and budget simulation. The arithmetic lives in `domain::subsidy`; `rule_input`
//! checks a policy's rule and fills its defaults, `quote` computes what one loan gets (claims
//! and simulation compute through it too).

pub mod claims;
pub mod lpr;
pub mod policies;
pub mod quote;
pub mod rule_input;
pub mod simulation;

use super::caller::Auth;
use super::error::{AppError, AppResult};
use crate::db::subsidies::PolicyRow;
use crate::db::{self, DbConnection};
use crate::domain::org::Role;
use crate::domain::subsidy::{PolicyKind, PolicyStatus, Rule};
use rule_input::RuleInput;

/// A stored policy's kind, rule and rule input; a rule that no longer validates is corrupt
/// data (500).
fn stored_rule(p: &PolicyRow) -> AppResult<(PolicyKind, Rule, RuleInput)> {
    let kind = PolicyKind::parse(&p.kind).ok_or_else(|| AppError::internal("bad policy kind"))?;
    let input: RuleInput = db::from_json_text(&p.rule)?;
    let (rule, _) = input
        .to_rule(kind)
        .map_err(|_| AppError::internal("stored rule no longer validates"))?;
    Ok((kind, rule, input))
}

/// A finance office's region (its policies and claims scope); none for other roles.
fn finance_region(conn: &mut DbConnection, auth: &Auth) -> AppResult<Option<String>> {
    Ok(match auth.role {
        Role::FinanceOffice => db::orgs::supervised_region(conn, auth.org_id)?,
        _ => None,
    })
}

/// A stored policy's status; an unknown value is corrupt data (500), never a default.
fn stored_status(p: &PolicyRow) -> AppResult<PolicyStatus> {
    crate::app::views::stored(&p.status)
}
