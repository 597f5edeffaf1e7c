//! Storage of the reporting rollups (`domain::rollup`): appended inside the writer's
//! transaction, folded into the cells in the background, read by the reports with the deltas
//! still waiting, rebuilt from the fact tables when asked (after the migration that introduced
//! them, by `finmatch rebuild-stats`, by `seed-demo`).

mod apply;
mod read;
mod rebuild;
mod rows;
mod snapshot;

pub use apply::{apply, fold, pending, take_out};
pub use read::{load, load_counts};
pub use rebuild::{cell_count, ensure_built, facts_of, rebuild};
pub use snapshot::{
    bridge_fact, demand_cell, hold_region, loan_fact, match_fact, region_of, renewal_fact,
    snapshot, stored_loan_fact, Snapshot,
};
