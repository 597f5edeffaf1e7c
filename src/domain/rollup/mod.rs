//! Reporting rollups (统计汇总): the finance-office figures kept current as the facts change,
//! so that a report reads a few hundred cells instead of a million loans.
//!
//! A cell is (fact, dimension, group key, grain, period, region). Each write adds its delta to
//! the day cell *and* the month cell of its date; a report over `[from, to]` reads whole months
//! plus the days at the ragged edges (`plan`). Distinct counts (enterprises served, 首贷户) are
//! kept as sets of enterprise ids (roaring bitmaps), so they stay exact over any range and any
//! grouping: a union, never a sum. Every record counts where and as what it was when it was
//! made (统计口径: region, size class and qualifications at disbursement).
//!
//! The writes that produce deltas are the event functions in `events.rs`; `db::rollups` stores
//! them in the same transaction as the write, and can rebuild every cell from the fact tables.

mod cells;
mod events;
mod plan;
mod read;
mod renewals;

pub use cells::{month_start, CellKey, Fact, Grain, IdTooLarge, Measures, Rollup};
pub use events::{
    loan_disbursed, loan_serviced, match_made, match_moved, DemandCell, LoanBalance, LoanFact,
    MatchFact,
};
pub use plan::{plan, Plan};
pub use read::{
    bank_figures, breakdown, loan_figures, loan_figures_of, match_counts, match_figures, merged,
};
pub use renewals::{
    bridge_made, bridge_moved, fund_figures, renewal_figures, renewal_made, renewal_moved,
    renewals_per_bank, BridgeFact, FundBalance, FundFigures, RenewalDecision, RenewalFact,
    RenewalFigures,
};

/// Dimensions. Loans: `ALL`, `BANK`, `PRODUCT_TYPE`, `SIZE_CLASS`, `QUALIFICATION`; demands:
/// `ALL`; matches: `STATE`, `BANK_STATE`, `BANK_RESPONSE`, and `PRODUCT_TYPE`, `SIZE_CLASS`,
/// `QUALIFICATION` with group key `group:state[@deadline]`; renewals: `STATE`, `BANK_STATE`,
/// `DECISION`; bridges: `FUND`, `FUND_DAYS`.
pub mod dim {
    pub const ALL: &str = "";
    pub const BANK: &str = "bank";
    pub const PRODUCT_TYPE: &str = "product_type";
    pub const SIZE_CLASS: &str = "size_class";
    pub const QUALIFICATION: &str = "qualification";
    /// Group key `state`, or `state@deadline` for a match waiting on a deadline (overdue).
    pub const STATE: &str = "state";
    /// Matches per bank: group key `bank_id:state[@deadline]`.
    pub const BANK_STATE: &str = "bank_state";
    /// The banks' response times: group key `bank_id`, the times in `response_times`.
    pub const BANK_RESPONSE: &str = "bank_response";
    /// Renewals the bank decided: group key `bank_id:approved|rejected`, the working days to
    /// decide in `response_times`.
    pub const DECISION: &str = "decision";
    /// Bridges per fund: group key `fund_id:state`.
    pub const FUND: &str = "fund";
    /// Days repaid bridges were out: group key `fund_id`, in `response_times`.
    pub const FUND_DAYS: &str = "fund_days";
}
