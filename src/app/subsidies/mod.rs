//! Subsidies (SPEC §3.8): the LPR series, policies as data, quotes, claims under caps and
//! budgets, and budget simulation. The arithmetic lives in `domain::subsidy`; `rule_input`
//! checks a policy's rule and fills its defaults, `quote` computes what one loan gets (claims
//! and simulation compute through it too).

mod awards;
mod batch;
pub mod claims;
pub mod eligible;
pub mod lpr;
pub mod policies;
pub mod quote;
pub mod rule_input;
pub mod simulation;

use super::error::{AppError, AppResult};
use crate::db::subsidies::PolicyRow;
use crate::domain::subsidy::{PolicyKind, Rule};

/// A stored policy's kind and rule; a rule stored in a format version this release does not
/// read is corrupt data (500).
fn stored_rule(p: &PolicyRow) -> AppResult<(PolicyKind, Rule)> {
    let rule = p.fields.rule.current().ok_or_else(|| {
        AppError::internal(format!(
            "policy {} has rule format version {}",
            p.id, p.fields.rule.version
        ))
    })?;
    Ok((p.fields.kind, rule.clone()))
}
