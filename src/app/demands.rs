//! Financing demands (融资需求, SPEC §3.4): an enterprise posts what it needs; banks and the
//! finance office see it within their scope. The status machine is `domain::demand`.

use crate::app::clock;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::caller::Caller;
use super::effects::{Effects, Keep, Receipt};
use super::error::{AppError, AppResult, ProblemCode, Validator};
use crate::catalog::MatchingCache;
pub use crate::db::demands::DemandFilter;
use crate::db::demands::{self, DemandFields, DemandRow};
use crate::db::orgs;
use crate::db::{self, DbConnection};
use crate::domain::date::rfc3339;
use crate::domain::demand::{DemandStatus, Purpose};
use crate::domain::money::Money;
use crate::domain::org::Role;
use crate::domain::product::{GuaranteeMethod, ProductType};
use crate::domain::rate::Rate;
use crate::domain::scope::Scope;

pub const MAX_DESCRIPTION_CHARS: usize = 5000;

#[derive(Debug, Deserialize, Serialize, ToSchema)]
pub struct CreateDemand {
    /// Amount needed, yuan.
    #[schema(value_type = Money, example = "5000000.00")]
    pub amount: Money,
    #[schema(minimum = 1, maximum = 360, example = 12)]
    pub term_months: i64,
    pub purpose: Purpose,
    /// Guarantee methods the enterprise can offer (non-empty).
    pub guarantee_methods: Vec<GuaranteeMethod>,
    /// Highest annual rate acceptable, percent.
    #[schema(value_type = Option<Rate>, example = "4.2")]
    pub max_rate: Option<Rate>,
    #[serde(default)]
    pub preferred_product_types: Vec<ProductType>,
    /// Date the money is needed by; the demand expires after it.
    #[serde(default, deserialize_with = "crate::domain::date::strict_opt")]
    pub needed_by: Option<NaiveDate>,
    #[schema(max_length = 5000, example = "采购数控机床两台")]
    pub description: String,
}

/// Fields to change on an open demand; absent fields keep their value, `null` clears an
/// optional one.
#[derive(Debug, Default, Deserialize, Serialize, ToSchema)]
pub struct PatchDemand {
    #[schema(value_type = Option<Money>)]
    pub amount: Option<Money>,
    pub term_months: Option<i64>,
    pub purpose: Option<Purpose>,
    pub guarantee_methods: Option<Vec<GuaranteeMethod>>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>)]
    pub max_rate: Option<Option<Rate>>,
    pub preferred_product_types: Option<Vec<ProductType>>,
    #[serde(default, deserialize_with = "nullable_date")]
    #[schema(value_type = Option<NaiveDate>)]
    pub needed_by: Option<Option<NaiveDate>>,
    pub description: Option<String>,
}

/// `nullable` for a date: an explicit `null` clears it, a string must be a strict date.
fn nullable_date<'de, D: serde::Deserializer<'de>>(
    de: D,
) -> Result<Option<Option<NaiveDate>>, D::Error> {
    crate::domain::date::strict_opt(de).map(Some)
}

/// Distinguishes an explicit `null` (Some(None)) from an absent field (None).
fn nullable<'de, T: Deserialize<'de>, D: serde::Deserializer<'de>>(
    d: D,
) -> Result<Option<Option<T>>, D::Error> {
    Option::<T>::deserialize(d).map(Some)
}

#[derive(Debug, Default, Deserialize, Serialize, ToSchema)]
pub struct CloseDemand {
    /// Why the enterprise no longer needs the money (kept in the log).
    pub reason: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DemandView {
    pub id: i64,
    pub enterprise_id: i64,
    pub enterprise_name: String,
    #[schema(value_type = Money, example = "5000000.00")]
    pub amount: Money,
    pub term_months: i64,
    pub purpose: Purpose,
    pub guarantee_methods: Vec<GuaranteeMethod>,
    #[schema(value_type = Option<Rate>, example = "4.2")]
    pub max_rate: Option<Rate>,
    pub preferred_product_types: Vec<ProductType>,
    pub needed_by: Option<NaiveDate>,
    pub description: String,
    pub status: DemandStatus,
    #[schema(format = DateTime)]
    pub closed_at: Option<String>,
    #[schema(format = DateTime)]
    pub created_at: String,
    #[schema(format = DateTime)]
    pub updated_at: String,
}

fn dedup<T: Ord + Copy>(mut v: Vec<T>) -> Vec<T> {
    v.sort();
    v.dedup();
    v
}

impl DemandView {
    pub fn new(row: DemandRow, enterprise_name: String) -> AppResult<Self> {
        Ok(DemandView {
            id: row.id,
            enterprise_id: row.enterprise_id,
            enterprise_name,
            amount: Money::from_fen(row.amount_fen),
            term_months: row.term_months,
            purpose: row.purpose,
            guarantee_methods: row.guarantee_methods.0.clone(),
            max_rate: row.max_rate_units.map(Rate::from_units),
            preferred_product_types: row.preferred_product_types.0.clone(),
            status: row.status.effective(row.needed_by, clock::today()),
            needed_by: row.needed_by,
            description: row.description,
            closed_at: row.closed_at.map(rfc3339),
            created_at: rfc3339(row.created_at),
            updated_at: rfc3339(row.updated_at),
        })
    }
}

/// A demand as written: the create command, or a stored demand with a patch applied
/// (`from_row`, `apply`); `validate` and `fields` make it storable.
type Draft = CreateDemand;

impl Draft {
    fn validate(&self) -> AppResult<()> {
        let mut v = Validator::default();
        v.check(!self.amount.is_zero(), "amount", "must be greater than 0");
        v.term_months("term_months", self.term_months);
        v.check(
            !self.guarantee_methods.is_empty(),
            "guarantee_methods",
            "must name at least one guarantee method",
        );
        if let Some(d) = self.needed_by {
            v.check(d >= clock::today(), "needed_by", "must not be in the past");
        }
        v.check(
            self.description.chars().count() <= MAX_DESCRIPTION_CHARS,
            "description",
            "must be at most 5000 characters",
        );
        v.finish()
    }

    fn fields(&self) -> DemandFields {
        DemandFields {
            amount_fen: self.amount.fen(),
            term_months: self.term_months,
            purpose: self.purpose,
            guarantee_methods: db::JsonText(dedup(self.guarantee_methods.clone())),
            max_rate_units: self.max_rate.map(Rate::units),
            preferred_product_types: db::JsonText(dedup(self.preferred_product_types.clone())),
            needed_by: self.needed_by,
            description: self.description.clone(),
        }
    }

    fn from_row(row: &DemandRow) -> AppResult<Self> {
        Ok(Draft {
            amount: Money::from_fen(row.amount_fen),
            term_months: row.term_months,
            purpose: row.purpose,
            guarantee_methods: row.guarantee_methods.0.clone(),
            max_rate: row.max_rate_units.map(Rate::from_units),
            preferred_product_types: row.preferred_product_types.0.clone(),
            needed_by: row.needed_by,
            description: row.description.clone(),
        })
    }

    fn apply(mut self, p: PatchDemand) -> Self {
        if let Some(v) = p.amount {
            self.amount = v;
        }
        if let Some(v) = p.term_months {
            self.term_months = v;
        }
        if let Some(v) = p.purpose {
            self.purpose = v;
        }
        if let Some(v) = p.guarantee_methods {
            self.guarantee_methods = v;
        }
        if let Some(v) = p.max_rate {
            self.max_rate = v;
        }
        if let Some(v) = p.preferred_product_types {
            self.preferred_product_types = v;
        }
        if let Some(v) = p.needed_by {
            self.needed_by = v;
        }
        if let Some(v) = p.description {
            self.description = v;
        }
        self
    }
}

/// Loads a demand the caller may see (404 otherwise) and checks that the caller is its
/// enterprise (403 otherwise).
fn owned(conn: &mut DbConnection, auth: &Caller, id: i64) -> AppResult<(DemandRow, String)> {
    let scope = &auth.scope;
    let found =
        demands::find_visible(conn, id, scope)?.ok_or_else(|| AppError::not_found("demand"))?;
    if auth.role != Role::Enterprise || found.0.enterprise_id != auth.org_id {
        return Err(AppError::forbidden(
            "only the enterprise that posted a demand may change it",
        ));
    }
    db::rollups::hold_region(conn, found.0.enterprise_id)?;
    Ok(found)
}

/// `demand.eligible` to every bank with an active product the new demand is eligible for,
/// written to the outbox in the demand's own transaction.
fn notify_eligible_banks(
    conn: &mut DbConnection,
    fx: &mut Effects,
    matching: &MatchingCache,
    row: &DemandRow,
    name: &str,
) -> AppResult<()> {
    if !db::webhooks::any_subscribed(conn, "demand.eligible")? {
        return Ok(());
    }
    let demand = db::catalog::demand(conn, row.id)?.ok_or_else(|| AppError::not_found("demand"))?;
    let Some(enterprise) =
        db::catalog::enterprises(conn, Some(&[row.enterprise_id]))?.remove(&row.enterprise_id)
    else {
        return Ok(());
    };
    // Read inside this transaction: the counters include its own bump.
    let versions = db::catalog::versions(conn)?;
    let products = matching.products(conn, versions)?;
    let today = clock::today();
    let mut by_bank: std::collections::BTreeMap<i64, Vec<i64>> = std::collections::BTreeMap::new();
    for p in &products.products {
        if crate::domain::matching::assess(&p.facts, &demand.facts, &enterprise.facts, today)
            .eligible
        {
            by_bank.entry(p.facts.bank_id).or_default().push(p.facts.id);
        }
    }
    let view = DemandView::new(row.clone(), name.to_owned())?;
    for (bank, product_ids) in by_bank {
        let payload = serde_json::json!({"demand": view, "eligible_product_ids": product_ids});
        fx.notify(&[bank], "demand.eligible", &payload)?;
    }
    Ok(())
}

/// Posts a demand (an enterprise), `open`; banks with an eligible active product hear of it.
#[tracing::instrument(skip_all, fields(enterprise = auth.org_id))]
pub fn create<R: Receipt<DemandView>>(
    conn: &mut DbConnection,
    auth: &Caller,
    cmd: CreateDemand,
    matching: &MatchingCache,
    receipt: R,
) -> AppResult<R::Out> {
    auth.require(&[Role::Enterprise])?;
    let draft = cmd;
    draft.validate()?;
    conn.write_transaction(|conn| {
        let mut fx = Effects::new(auth.user_id, auth.org_id);
        let row = demands::insert(conn, auth.org_id, &draft.fields(), fx.now, fx.rollup())?;
        let name = orgs::find(conn, auth.org_id)?
            .map(|o| o.name)
            .unwrap_or_default();
        notify_eligible_banks(conn, &mut fx, matching, &row, &name)?;
        fx.commit(conn, receipt, |_| DemandView::new(row, name))
    })
}

/// Demands in the caller's scope: an enterprise its own, a finance office its region's, an
/// admin all.
pub fn list(
    conn: &mut DbConnection,
    auth: &Caller,
    filter: DemandFilter,
) -> AppResult<Vec<DemandView>> {
    let scope = &auth.scope;
    demands::list(conn, scope, &filter, clock::today())?
        .into_iter()
        .map(|(row, name)| DemandView::new(row, name))
        .collect()
}

/// One demand, if in the caller's scope.
pub fn get(conn: &mut DbConnection, auth: &Caller, id: i64) -> AppResult<DemandView> {
    let scope = &auth.scope;
    let (row, name) =
        demands::find_visible(conn, id, scope)?.ok_or_else(|| AppError::not_found("demand"))?;
    DemandView::new(row, name)
}

/// Changes an open demand (its enterprise only); not open any more → 409.
#[tracing::instrument(skip(conn, auth, patch), fields(user = auth.user_id))]
pub fn patch(
    conn: &mut DbConnection,
    auth: &Caller,
    id: i64,
    patch: PatchDemand,
) -> AppResult<DemandView> {
    conn.write_transaction(|conn| {
        let (row, name) = owned(conn, auth, id)?;
        let status = row.status;
        let not_open = || {
            AppError::conflict(
                ProblemCode::InvalidTransition,
                "only an open demand can be changed",
            )
        };
        if !status.effective(row.needed_by, clock::today()).editable() {
            return Err(not_open());
        }
        let draft = Draft::from_row(&row)?.apply(patch);
        draft.validate()?;
        let mut fx = Effects::new(auth.user_id, auth.org_id);
        let changed =
            demands::update_open(conn, id, auth.org_id, &draft.fields(), fx.now, fx.rollup())?;
        if changed == 0 {
            return Err(not_open());
        }
        fx.commit(conn, Keep, |conn| reread(conn, auth, id, name))
    })
}

/// Closes a live demand (its enterprise only): the money is no longer needed.
#[tracing::instrument(skip(conn, auth, cmd), fields(user = auth.user_id))]
pub fn close(
    conn: &mut DbConnection,
    auth: &Caller,
    id: i64,
    cmd: CloseDemand,
) -> AppResult<DemandView> {
    conn.write_transaction(|conn| {
        let (row, name) = owned(conn, auth, id)?;
        let status = row.status;
        let effective = status.effective(row.needed_by, clock::today());
        if !effective.closable() || demands::close(conn, id, auth.org_id, clock::now())? == 0 {
            return Err(AppError::conflict(
                ProblemCode::InvalidTransition,
                format!("a demand that is {effective} cannot be closed"),
            ));
        }
        if let Some(r) = &cmd.reason {
            tracing::info!(demand = id, reason = %r, "demand closed by its enterprise");
        }
        reread(conn, auth, id, name)
    })
}

/// The demand as its enterprise now sees it.
fn reread(conn: &mut DbConnection, auth: &Caller, id: i64, name: String) -> AppResult<DemandView> {
    let (row, _) = demands::find_visible(conn, id, &Scope::Enterprise(auth.org_id))?
        .ok_or_else(|| AppError::not_found("demand"))?;
    DemandView::new(row, name)
}
