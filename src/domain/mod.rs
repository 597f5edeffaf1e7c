//! Pure domain types and rules. Nothing here knows about SQL or HTTP.

pub mod credit_code;
pub mod money;
pub mod org;
pub mod region;
pub mod size_class;
