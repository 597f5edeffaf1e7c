//! Storage of the reporting rollups (`domain::rollup`): applied inside the writer's
//! transaction, read by the reports, rebuilt from the fact tables when asked (after the
//! migration that introduced them, by `finmatch rebuild-stats`, by `seed-demo`).

mod apply;
mod read;
mod rebuild;
mod rows;
mod snapshot;

pub use apply::{apply, take_out};
pub use read::{load, load_counts};
pub use rebuild::{cell_count, ensure_built, facts_of, rebuild};
pub use snapshot::{
    bridge_fact, demand_cell, hold_region, loan_fact, match_fact, region_of, renewal_fact,
    snapshot, stored_loan_fact, Snapshot,
};
