//! Matching (智能匹配): whether a demand may go to a product, and how well it fits.
//!
//! Pure functions over plain facts. Every hard criterion of SPEC §3.5 yields a reason
//! `{criterion, passed, detail}`; a failed one says what would make the enterprise eligible.
//! The score (0–100) is the sum of the components below, all integers, deterministic; ranking
//! breaks ties by id. `docs/matching.md` explains the model with a worked example.
//!
//! | component               | max | rule |
//! |-------------------------|-----|------|
//! | amount_fit              |  20 | 20 × (1 − \|p − ½\|) where p is the amount's position in the product's range |
//! | term_fit                |  15 | same for the term |
//! | rate                    |  25 | 25 × clamp((6.00 − product min rate) / 3.50, 0, 1) |
//! | qualification_alignment |  15 | 15 if the product targets a qualification the enterprise holds; 5 if it targets none |
//! | preference              |  10 | 10 if the product type is among the demand's preferred types; 5 if none preferred |
//! | first_loan_alignment    |  10 | 10 if a 首贷 candidate meets a 首贷-targeted product; 5 if the product does not target 首贷 |
//! | bank_responsiveness     |   5 | 6 − response SLA in working days, within 0..=5 |

mod criteria;
mod evaluate;
mod facts;
#[cfg(test)]
mod fixtures;
mod reasons;
mod score;

pub use criteria::whole_years;
pub use evaluate::{assess, evaluate, rank_key, Assessment, Evaluation};
pub use facts::{DemandFacts, EnterpriseFacts, ProductFacts};
pub use reasons::Reason;
pub use score::{amount_points, score_without_amount, ScoreTraits};
