//! Financing demands (融资需求, SPEC §3.4): an enterprise posts what it needs; banks and the
//! finance office see it within their scope.

use actix_web::http::StatusCode;
use actix_web::{get, patch, post, web, HttpRequest, HttpResponse};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::auth::Auth;
use super::extract::JsonBody;
use super::pagination::{page, Page, PageQuery};
use super::{idempotency, with_conn};
use crate::app::error::ProblemCode;
use crate::app::error::{AppError, AppResult, Validator};
use crate::app::AppState;
use crate::db::demands::{self, DemandFields, DemandRow};
use crate::db::orgs::{self, EnterpriseScope};
use crate::db::{self, DbConnection};
use crate::domain::date::rfc3339;
use crate::domain::demand::{DemandStatus, Purpose};
use crate::domain::money::Money;
use crate::domain::org::Role;
use crate::domain::product::{GuaranteeMethod, ProductType};
use crate::domain::rate::Rate;
use crate::domain::region;
use crate::domain::rollup::Rollup;

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

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DemandListQuery {
    /// Effective status (a live demand past `needed_by` is `expired`).
    pub status: Option<DemandStatus>,
    pub purpose: Option<Purpose>,
    pub enterprise_id: Option<i64>,
    /// Enterprises whose region code starts with this (2, 4 or 6 digits); narrows the scope.
    pub region_prefix: Option<String>,
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
    pub cursor: Option<String>,
}

fn today() -> NaiveDate {
    chrono::Utc::now().date_naive()
}

fn dedup<T: Ord + Copy>(mut v: Vec<T>) -> Vec<T> {
    v.sort();
    v.dedup();
    v
}

impl DemandView {
    fn new(row: DemandRow, enterprise_name: String) -> AppResult<Self> {
        let stored = DemandStatus::parse(&row.status)
            .ok_or_else(|| AppError::internal("bad demand status"))?;
        Ok(DemandView {
            id: row.id,
            enterprise_id: row.enterprise_id,
            enterprise_name,
            amount: Money::from_fen(row.amount_fen),
            term_months: row.term_months,
            purpose: Purpose::parse(&row.purpose).unwrap_or(Purpose::Other),
            guarantee_methods: db::from_json_text(&row.guarantee_methods)?,
            max_rate: row.max_rate_units.map(Rate::from_units),
            preferred_product_types: db::from_json_text(&row.preferred_product_types)?,
            status: stored.effective(row.needed_by, today()),
            needed_by: row.needed_by,
            description: row.description,
            closed_at: row.closed_at.map(rfc3339),
            created_at: rfc3339(row.created_at),
            updated_at: rfc3339(row.updated_at),
        })
    }
}

/// The validated, storable form of a demand.
struct Draft {
    amount: Money,
    term_months: i64,
    purpose: Purpose,
    guarantee_methods: Vec<GuaranteeMethod>,
    max_rate: Option<Rate>,
    preferred_product_types: Vec<ProductType>,
    needed_by: Option<NaiveDate>,
    description: String,
}

impl Draft {
    fn validate(&self) -> AppResult<()> {
        let mut v = Validator::default();
        v.check(!self.amount.is_zero(), "amount", "must be greater than 0");
        v.check(
            (1..=360).contains(&self.term_months),
            "term_months",
            "must be between 1 and 360",
        );
        v.check(
            !self.guarantee_methods.is_empty(),
            "guarantee_methods",
            "must name at least one guarantee method",
        );
        if let Some(d) = self.needed_by {
            v.check(d >= today(), "needed_by", "must not be in the past");
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
            purpose: self.purpose.as_str().to_owned(),
            guarantee_methods: db::to_json_text(&dedup(self.guarantee_methods.clone())),
            max_rate_units: self.max_rate.map(Rate::units),
            preferred_product_types: db::to_json_text(&dedup(self.preferred_product_types.clone())),
            needed_by: self.needed_by,
            description: self.description.clone(),
        }
    }

    fn from_row(row: &DemandRow) -> AppResult<Self> {
        Ok(Draft {
            amount: Money::from_fen(row.amount_fen),
            term_months: row.term_months,
            purpose: Purpose::parse(&row.purpose).unwrap_or(Purpose::Other),
            guarantee_methods: db::from_json_text(&row.guarantee_methods)?,
            max_rate: row.max_rate_units.map(Rate::from_units),
            preferred_product_types: db::from_json_text(&row.preferred_product_types)?,
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

fn scope(conn: &mut DbConnection, auth: &Auth) -> AppResult<EnterpriseScope> {
    Ok(orgs::enterprise_scope(conn, auth.org_id, auth.role)?)
}

/// Loads a demand the caller may see (404 otherwise) and checks that the caller is its
/// enterprise (403 otherwise).
fn owned(conn: &mut DbConnection, auth: &Auth, id: i64) -> AppResult<(DemandRow, String)> {
    let scope = scope(conn, auth)?;
    let found =
        demands::find_visible(conn, id, &scope)?.ok_or_else(|| AppError::not_found("demand"))?;
    if auth.role != Role::Enterprise || found.0.enterprise_id != auth.org_id {
        return Err(AppError::forbidden(
            "only the enterprise that posted a demand may change it",
        ));
    }
    Ok(found)
}

/// `demand.eligible` to every bank with an active product the new demand is eligible for,
/// written to the outbox in the demand's own transaction.
fn notify_eligible_banks(
    conn: &mut DbConnection,
    state: &AppState,
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
    let versions = state.matching.versions(conn)?;
    let products = state.matching.products(conn, versions)?;
    let today = today();
    let mut by_bank: std::collections::BTreeMap<i64, Vec<i64>> = std::collections::BTreeMap::new();
    for p in &products.products {
        if crate::domain::matching::assess(&p.facts, &demand.facts, &enterprise.facts, today)
            .eligible
        {
            by_bank.entry(p.facts.bank_id).or_default().push(p.facts.id);
        }
    }
    let view = serde_json::to_value(DemandView::new(row.clone(), name.to_owned())?)
        .map_err(AppError::internal)?;
    for (bank, product_ids) in by_bank {
        let payload = serde_json::json!({"demand": view, "eligible_product_ids": product_ids});
        db::webhooks::enqueue(conn, &[bank], "demand.eligible", &payload, db::now())?;
    }
    Ok(())
}

/// Post a financing demand (enterprise).
#[utoipa::path(
    tag = "demands",
    request_body = CreateDemand,
    params(("Idempotency-Key" = Option<String>, Header, description = "Makes retries safe")),
    responses((status = 201, description = "The demand, `open`", body = DemandView))
)]
#[post("/demands")]
pub async fn create_demand(
    state: web::Data<AppState>,
    req: HttpRequest,
    auth: Auth,
    body: JsonBody<CreateDemand>,
) -> AppResult<HttpResponse> {
    auth.require(&[Role::Enterprise])?;
    let b = body.value;
    let draft = Draft {
        amount: b.amount,
        term_months: b.term_months,
        purpose: b.purpose,
        guarantee_methods: b.guarantee_methods,
        max_rate: b.max_rate,
        preferred_product_types: b.preferred_product_types,
        needed_by: b.needed_by,
        description: b.description,
    };
    draft.validate()?;
    let st = state.clone();
    idempotency::run(
        &st,
        &req,
        auth.idempotency_scope(),
        &body.raw,
        |done| async move {
            let matching = state.clone();
            with_conn(&state, move |conn| {
                conn.write_transaction(|conn| {
                    let mut rollup = Rollup::default();
                    let row = demands::insert(
                        conn,
                        auth.org_id,
                        &draft.fields(),
                        db::now(),
                        &mut rollup,
                    )?;
                    let name = orgs::find(conn, auth.org_id)?
                        .map(|o| o.name)
                        .unwrap_or_default();
                    notify_eligible_banks(conn, &matching, &row, &name)?;
                    db::rollups::apply(conn, rollup)?;
                    done.record(conn, StatusCode::CREATED, &DemandView::new(row, name)?)
                })
            })
            .await
        },
    )
    .await
}

/// Demands in the caller's scope: an enterprise its own, a finance office its region's, an
/// admin all. Banks find demands through their products' candidates.
#[utoipa::path(
    tag = "demands",
    params(DemandListQuery),
    responses((status = 200, description = "A page of demands", body = Page<DemandView>))
)]
#[get("/demands")]
pub async fn list_demands(
    state: web::Data<AppState>,
    auth: Auth,
    query: web::Query<DemandListQuery>,
) -> AppResult<HttpResponse> {
    let q = query.into_inner();
    let cursor = PageQuery {
        limit: q.limit,
        cursor: q.cursor,
    }
    .cursor()?;
    if q.region_prefix
        .as_deref()
        .is_some_and(|p| !region::is_region_prefix(p))
    {
        return Err(AppError::bad_request(
            ProblemCode::InvalidQuery,
            "region_prefix must be 2, 4 or 6 digits",
        ));
    }
    let rows = with_conn(&state, move |conn| {
        let scope = scope(conn, &auth)?;
        let filter = demands::DemandFilter {
            status: q.status,
            purpose: q.purpose.map(|p| p.as_str().to_owned()),
            enterprise_id: q.enterprise_id,
            region_prefix: q.region_prefix,
            after_id: cursor.after_id,
            limit: cursor.limit,
        };
        Ok(demands::list(conn, &scope, &filter, today())?)
    })
    .await?;
    let views = rows
        .into_iter()
        .map(|(row, name)| DemandView::new(row, name))
        .collect::<AppResult<Vec<_>>>()?;
    Ok(HttpResponse::Ok().json(page(views, cursor, |v| v.id, |v| v)))
}

/// One demand, if in the caller's scope.
#[utoipa::path(
    tag = "demands",
    params(("id" = i64, Path, description = "Demand id")),
    responses((status = 200, description = "The demand", body = DemandView))
)]
#[get("/demands/{id}")]
pub async fn get_demand(
    state: web::Data<AppState>,
    auth: Auth,
    path: web::Path<i64>,
) -> AppResult<HttpResponse> {
    let id = path.into_inner();
    let (row, name) = with_conn(&state, move |conn| {
        let scope = scope(conn, &auth)?;
        demands::find_visible(conn, id, &scope)?.ok_or_else(|| AppError::not_found("demand"))
    })
    .await?;
    Ok(HttpResponse::Ok().json(DemandView::new(row, name)?))
}

/// Change an open demand (its enterprise only). Not open any more → 409 `invalid_transition`.
#[utoipa::path(
    tag = "demands",
    request_body = PatchDemand,
    params(("id" = i64, Path, description = "Demand id")),
    responses(
        (status = 200, description = "The updated demand", body = DemandView),
        (status = 409, description = "The demand is no longer open", body = crate::app::error::Problem, content_type = "application/problem+json"),
    )
)]
#[patch("/demands/{id}")]
pub async fn patch_demand(
    state: web::Data<AppState>,
    auth: Auth,
    path: web::Path<i64>,
    body: JsonBody<PatchDemand>,
) -> AppResult<HttpResponse> {
    let id = path.into_inner();
    let patch = body.value;
    let (row, name) = with_conn(&state, move |conn| {
        conn.write_transaction(|conn| {
            let (row, name) = owned(conn, &auth, id)?;
            let status = DemandStatus::parse(&row.status).unwrap_or(DemandStatus::Closed);
            if !status.effective(row.needed_by, today()).editable() {
                return Err(AppError::conflict(
                    ProblemCode::InvalidTransition,
                    "only an open demand can be changed",
                ));
            }
            let draft = Draft::from_row(&row)?.apply(patch);
            draft.validate()?;
            let now = db::now();
            let mut rollup = Rollup::default();
            if demands::update_open(conn, id, auth.org_id, &draft.fields(), now, &mut rollup)? == 0
            {
                return Err(AppError::conflict(
                    ProblemCode::InvalidTransition,
                    "only an open demand can be changed",
                ));
            }
            db::rollups::apply(conn, rollup)?;
            let scope = EnterpriseScope::Own(auth.org_id);
            let updated = demands::find_visible(conn, id, &scope)?
                .ok_or_else(|| AppError::not_found("demand"))?;
            Ok((updated.0, name))
        })
    })
    .await?;
    Ok(HttpResponse::Ok().json(DemandView::new(row, name)?))
}

/// Close a live demand (its enterprise only): the money is no longer needed.
#[utoipa::path(
    tag = "demands",
    request_body(content = Option<CloseDemand>, description = "Optional reason"),
    params(("id" = i64, Path, description = "Demand id")),
    responses(
        (status = 200, description = "The closed demand", body = DemandView),
        (status = 409, description = "The demand is already fulfilled, closed or expired", body = crate::app::error::Problem, content_type = "application/problem+json"),
    )
)]
#[post("/demands/{id}/close")]
pub async fn close_demand(
    state: web::Data<AppState>,
    auth: Auth,
    path: web::Path<i64>,
    super::extract::OptionalBody(reason): super::extract::OptionalBody<CloseDemand>,
) -> AppResult<HttpResponse> {
    let id = path.into_inner();
    let (row, name) = with_conn(&state, move |conn| {
        conn.write_transaction(|conn| {
            let (row, name) = owned(conn, &auth, id)?;
            let status = DemandStatus::parse(&row.status).unwrap_or(DemandStatus::Closed);
            let closable = status.effective(row.needed_by, today()).closable();
            if !closable || demands::close(conn, id, auth.org_id, db::now())? == 0 {
                return Err(AppError::conflict(
                    ProblemCode::InvalidTransition,
                    format!(
                        "a demand that is {} cannot be closed",
                        status.effective(row.needed_by, today())
                    ),
                ));
            }
            if let Some(r) = &reason.reason {
                tracing::info!(demand = id, reason = %r, "demand closed by its enterprise");
            }
            let updated = demands::find_visible(conn, id, &EnterpriseScope::Own(auth.org_id))?
                .ok_or_else(|| AppError::not_found("demand"))?;
            Ok((updated.0, name))
        })
    })
    .await?;
    Ok(HttpResponse::Ok().json(DemandView::new(row, name)?))
}
