//! Checks of list and report query parameters shared by several resources.

use serde::Deserialize;
use utoipa::IntoParams;

use super::error::{AppError, AppResult, ProblemCode};
use super::pagination::PageQuery;
use crate::domain::region;

/// A page of a catalog that serves regions (risk schemes, bridge funds).
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RegionPageQuery {
    /// Only those that concern this region (2, 4 or 6 digits): national ones, those of a
    /// region containing it, its own and those inside it.
    #[param(pattern = "^([0-9]{2}|[0-9]{4}|[0-9]{6})$")]
    pub region_prefix: Option<String>,
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
    pub cursor: Option<String>,
}

impl RegionPageQuery {
    /// The region asked for, and the page.
    pub fn split(self) -> (Option<String>, PageQuery) {
        let page = PageQuery {
            limit: self.limit,
            cursor: self.cursor,
        };
        (self.region_prefix, page)
    }
}

/// A `region_prefix` query parameter: 2, 4 or 6 digits (400 `invalid_query` otherwise).
pub fn region_prefix(p: Option<String>) -> AppResult<Option<String>> {
    match p {
        Some(p) if !region::is_region_prefix(&p) => Err(AppError::bad_request(
            ProblemCode::InvalidQuery,
            "region_prefix must be 2, 4 or 6 digits",
        )),
        p => Ok(p),
    }
}
