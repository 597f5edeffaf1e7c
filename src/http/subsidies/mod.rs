//! Subsidies over HTTP (SPEC §3.8): the LPR series, policies, quotes, claims and budget
//! simulation. Each handler parses the request, calls its use case in `app::subsidies` off
//! the async runtime and answers with the view.

mod claims;
mod eligible;
mod lpr;
mod policies;
mod simulation;

pub use claims::{
    approve_claim, batch_claims, create_claim, get_claim, list_claims, pay_claim, reject_claim,
};
pub use eligible::eligible_policies;
pub use lpr::{create_lpr, list_lpr};
pub use policies::{create_policy, get_policy, list_policies, suspend_policy, update_policy};
pub use simulation::{quote, simulate};
