//! The LPR series (贷款市场报价利率) the LPR-based rules read: pre-loaded with the published
//! history, extended print by print by an admin or a finance office.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::app::caller::Caller;
use crate::app::error::{AppError, AppResult, ProblemCode, Validator};
use crate::db::subsidies as repo;
use crate::db::DbConnection;
use crate::domain::org::Role;
use crate::domain::rate::Rate;
use crate::domain::subsidy::LprPoint;

#[derive(Debug, Deserialize, Serialize, ToSchema)]
pub struct LprInput {
    #[serde(deserialize_with = "crate::domain::date::strict")]
    pub effective_on: NaiveDate,
    /// 1-year LPR, percent.
    #[schema(value_type = Rate, example = "3.00")]
    pub one_year: Rate,
    /// 5-year-and-above LPR, percent.
    #[schema(value_type = Rate, example = "3.50")]
    pub five_year: Rate,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct LprView {
    pub effective_on: NaiveDate,
    #[schema(value_type = Rate)]
    pub one_year: Rate,
    #[schema(value_type = Rate)]
    pub five_year: Rate,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct LprList {
    pub items: Vec<LprView>,
    pub next_cursor: Option<String>,
}

fn lpr_view(p: LprPoint) -> LprView {
    LprView {
        effective_on: p.effective_on,
        one_year: p.one_year,
        five_year: p.five_year,
    }
}

/// `limit` prints of the series from `offset`, oldest first, and how many prints there are.
pub fn page(
    conn: &mut DbConnection,
    offset: usize,
    limit: usize,
) -> AppResult<(Vec<LprView>, usize)> {
    let series = repo::lpr_series(conn)?;
    let total = series.len();
    let items = series
        .into_iter()
        .skip(offset)
        .take(limit)
        .map(lpr_view)
        .collect();
    Ok((items, total))
}

/// Records a new LPR print (admin, finance office); a print for that date exists → 409
/// `lpr_exists`.
#[tracing::instrument(skip_all, fields(user = auth.user_id, effective_on = %cmd.effective_on))]
pub fn create(conn: &mut DbConnection, auth: &Caller, cmd: LprInput) -> AppResult<LprView> {
    auth.require(&[Role::Admin, Role::FinanceOffice])?;
    let mut v = Validator::default();
    v.check(
        cmd.one_year.units() > 0,
        "one_year",
        "must be greater than 0",
    );
    v.check(
        cmd.five_year.units() > 0,
        "five_year",
        "must be greater than 0",
    );
    v.check(
        cmd.one_year.units() <= 20 * 10_000 && cmd.five_year.units() <= 20 * 10_000,
        "one_year",
        "must be at most 20",
    );
    v.finish()?;
    let p = LprPoint {
        effective_on: cmd.effective_on,
        one_year: cmd.one_year,
        five_year: cmd.five_year,
    };
    let created = conn.write_transaction(|c| repo::insert_lpr(c, &p))?;
    if !created {
        return Err(AppError::conflict(
            ProblemCode::LprExists,
            "an LPR print for that date is already recorded",
        ));
    }
    Ok(lpr_view(p))
}
