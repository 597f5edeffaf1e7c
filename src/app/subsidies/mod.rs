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
use crate::domain::subsidy::{PolicyKind, Rule};

/// A stored policy's kind and rule; a rule stored in a format version this release does not
/// read is corrupt data (500).
fn stored_rule(p: &PolicyRow) -> AppResult<(PolicyKind, Rule)> {
    let rule = p.rule.current().ok_or_else(|| {
        AppError::internal(format!(
            "policy {} has rule format version {}",
            p.id, p.rule.version
        ))
    })?;
    Ok((p.kind, rule.clone()))
}

/// A finance office's region (its policies and claims scope); none for other roles.
fn finance_region(conn: &mut DbConnection, auth: &Auth) -> AppResult<Option<String>> {
    Ok(match auth.role {
        Role::FinanceOffice => db::orgs::supervised_region(conn, auth.org_id)?,
        _ => None,
    })
}
