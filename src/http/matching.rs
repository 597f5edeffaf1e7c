//! Matching endpoints (智能匹配, SPEC §3.5): recommendations for a demand and candidate
//! demands for a product, each with the reasons behind every criterion and score component.
//! The rules are in `domain::matching`; the catalog cache in `catalog`.

use actix_web::{get, web, HttpResponse};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::auth::Auth;
use super::pagination::{next_offset_cursor, offset_cursor, PageQuery};
use super::with_conn;
use crate::app::error::{AppError, AppResult};
use crate::app::AppState;
use crate::catalog;
use crate::db::{self, orgs};
use crate::domain::demand::Purpose;
use crate::domain::matching::{evaluate, Reason};
use crate::domain::money::Money;
use crate::domain::org::Role;
use crate::domain::product::{GuaranteeMethod, ProductType};
use crate::domain::rate::Rate;
use crate::domain::size_class::SizeClass;

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RecommendationQuery {
    /// How many products per page, 1–200 (default 50).
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
    /// Also list products the demand does not qualify for, after the eligible ones, with the
    /// criteria they fail.
    pub include_ineligible: Option<bool>,
    pub cursor: Option<String>,
}

/// A product ranked for a demand.
#[derive(Debug, Serialize, ToSchema)]
pub struct ProductMatch {
    pub product_id: i64,
    pub product_name: String,
    pub product_type: ProductType,
    pub bank_id: i64,
    pub bank_name: String,
    #[schema(value_type = Money)]
    pub min_amount: Money,
    #[schema(value_type = Money)]
    pub max_amount: Money,
    pub min_term_months: i64,
    pub max_term_months: i64,
    #[schema(value_type = Rate)]
    pub min_rate: Rate,
    #[schema(value_type = Rate)]
    pub max_rate: Rate,
    pub guarantee_methods: Vec<GuaranteeMethod>,
    pub eligible: bool,
    /// 0–100, see docs/matching.md.
    pub score: u32,
    /// Every hard criterion, then every score component (with `points`).
    pub reasons: Vec<Reason>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Recommendations {
    pub demand_id: i64,
    pub items: Vec<ProductMatch>,
    pub next_cursor: Option<String>,
}

/// An open demand ranked for a product.
#[derive(Debug, Serialize, ToSchema)]
pub struct DemandMatch {
    pub demand_id: i64,
    pub enterprise_id: i64,
    pub enterprise_name: String,
    pub region_code: String,
    pub size_class: SizeClass,
    #[schema(value_type = Money)]
    pub amount: Money,
    pub term_months: i64,
    pub purpose: Purpose,
    pub needed_by: Option<NaiveDate>,
    pub eligible: bool,
    pub score: u32,
    pub reasons: Vec<Reason>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Candidates {
    pub product_id: i64,
    pub items: Vec<DemandMatch>,
    pub next_cursor: Option<String>,
}

fn today() -> NaiveDate {
    chrono::Utc::now().date_naive()
}

/// Products ranked for a demand, with reasons (the demand's enterprise, its finance office, admin).
#[utoipa::path(
    tag = "matching",
    params(("id" = i64, Path, description = "Demand id"), RecommendationQuery),
    responses((status = 200, description = "Ranked products", body = Recommendations))
)]
#[get("/demands/{id}/recommendations")]
pub async fn recommendations(
    state: web::Data<AppState>,
    auth: Auth,
    path: web::Path<i64>,
    query: web::Query<RecommendationQuery>,
) -> AppResult<HttpResponse> {
    let id = path.into_inner();
    let q = query.into_inner();
    let include_ineligible = q.include_ineligible.unwrap_or(false);
    let (limit, offset) = offset_cursor(&PageQuery {
        limit: q.limit,
        cursor: q.cursor,
    })?;
    let st = state.clone();
    let body = with_conn(&state, move |conn| {
        let scope = orgs::enterprise_scope(conn, auth.org_id, auth.role)?;
        let today = today();
        let rank = catalog::RankKey {
            demand_id: id,
            include_ineligible,
            versions: st.matching.versions(conn)?,
            day: today,
        };
        let key = catalog::ResultKey {
            rank,
            limit,
            offset,
        };
        // A cached page answers with one query (the counters); scope is still checked.
        if let Some(page) = st.matching.cached_result(&key) {
            if !scope.covers(page.enterprise_id, &page.region_code) {
                return Err(AppError::not_found("demand"));
            }
            return Ok(page);
        }
        if let Some(r) = st.matching.cached_ranking(&rank) {
            if !scope.covers(r.enterprise_id, &r.region_code) {
                return Err(AppError::not_found("demand"));
            }
        } else {
            db::demands::find_visible(conn, id, &scope)?
                .ok_or_else(|| AppError::not_found("demand"))?;
        }
        let demand = db::catalog::demand(conn, id)?.ok_or_else(|| AppError::not_found("demand"))?;
        let enterprise = db::catalog::enterprises(conn, Some(&[demand.facts.enterprise_id]))?
            .remove(&demand.facts.enterprise_id)
            .ok_or_else(|| AppError::not_found("enterprise"))?;
        let snapshot = st.matching.products(conn, rank.versions)?;
        // The ranking is computed once per demand and counters; every cursor page reads it.
        let ranking = match st.matching.cached_ranking(&rank) {
            Some(r) => r,
            None => {
                let ranked = catalog::recommend(
                    &snapshot.products,
                    &demand.facts,
                    &enterprise.facts,
                    today,
                    include_ineligible,
                );
                let r = std::sync::Arc::new(catalog::Ranking {
                    enterprise_id: enterprise.facts.id,
                    region_code: enterprise.facts.region_code.clone(),
                    product_ids: ranked.iter().map(|(p, _)| p.facts.id).collect(),
                });
                st.matching.store_ranking(rank, r.clone());
                r
            }
        };
        // Products are sorted by id in the snapshot.
        let product = |pid: i64| {
            snapshot
                .products
                .binary_search_by_key(&pid, |p| p.facts.id)
                .ok()
                .map(|i| &snapshot.products[i])
        };
        let items = ranking
            .product_ids
            .iter()
            .skip(offset)
            .take(limit as usize)
            .filter_map(|pid| product(*pid))
            .map(|p| {
                let ev = evaluate(&p.facts, &demand.facts, &enterprise.facts, today);
                let f = &p.facts;
                ProductMatch {
                    product_id: f.id,
                    product_name: p.name.clone(),
                    product_type: f.product_type,
                    bank_id: f.bank_id,
                    bank_name: p.bank_name.clone(),
                    min_amount: f.min_amount,
                    max_amount: f.max_amount,
                    min_term_months: f.min_term_months,
                    max_term_months: f.max_term_months,
                    min_rate: f.min_rate,
                    max_rate: f.max_rate,
                    guarantee_methods: f.guarantee_methods.clone(),
                    eligible: ev.eligible,
                    score: ev.score,
                    reasons: ev.reasons,
                }
            })
            .collect();
        let page = Recommendations {
            demand_id: id,
            items,
            next_cursor: next_offset_cursor(offset, limit, ranking.product_ids.len()),
        };
        let cached = std::sync::Arc::new(catalog::CachedPage {
            enterprise_id: enterprise.facts.id,
            region_code: enterprise.facts.region_code.clone(),
            body: serde_json::to_string(&page).map_err(AppError::internal)?,
        });
        st.matching.store_result(key, cached.clone());
        Ok(cached)
    })
    .await?;
    Ok(HttpResponse::Ok()
        .content_type("application/json")
        .body(body.body.clone()))
}

/// Open demands eligible for a product, ranked, with reasons (the owning bank, admin).
#[utoipa::path(
    tag = "matching",
    params(("id" = i64, Path, description = "Product id"), PageQuery),
    responses((status = 200, description = "Ranked open demands", body = Candidates))
)]
#[get("/products/{id}/candidates")]
pub async fn candidates(
    state: web::Data<AppState>,
    auth: Auth,
    path: web::Path<i64>,
    query: web::Query<PageQuery>,
) -> AppResult<HttpResponse> {
    let id = path.into_inner();
    let (limit, offset) = offset_cursor(&query)?;
    let st = state.clone();
    let body = with_conn(&state, move |conn| {
        // Invisible → 404; visible but another bank's (or the caller is no bank) → 403.
        let (row, _) = db::products::find_visible(conn, id, crate::app::products::viewer(&auth))?
            .ok_or_else(|| AppError::not_found("product"))?;
        if !(auth.is_admin() || (auth.role == Role::Bank && row.bank_id == auth.org_id)) {
            return Err(AppError::forbidden(
                "only the bank that owns a product sees its candidates",
            ));
        }
        let product =
            db::catalog::product(conn, id)?.ok_or_else(|| AppError::not_found("product"))?;
        let snapshot = st.matching.demands(conn, today())?;
        let ranked = catalog::candidates(&product.facts, &snapshot, snapshot.day);
        let items = ranked
            .iter()
            .skip(offset)
            .take(limit as usize)
            .map(|(d, e, _)| {
                let ev = evaluate(&product.facts, &d.facts, &e.facts, snapshot.day);
                DemandMatch {
                    demand_id: d.facts.id,
                    enterprise_id: e.facts.id,
                    enterprise_name: e.name.clone(),
                    region_code: e.facts.region_code.clone(),
                    size_class: e.facts.size_class,
                    amount: d.facts.amount,
                    term_months: d.facts.term_months,
                    purpose: Purpose::parse(&d.purpose).unwrap_or(Purpose::Other),
                    needed_by: d.needed_by,
                    eligible: ev.eligible,
                    score: ev.score,
                    reasons: ev.reasons,
                }
            })
            .collect();
        Ok(Candidates {
            product_id: id,
            items,
            next_cursor: next_offset_cursor(offset, limit, ranked.len()),
        })
    })
    .await?;
    Ok(HttpResponse::Ok().json(body))
}
