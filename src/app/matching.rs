//! Matching (智能匹配, SPEC §3.5): recommendations for a demand and candidate demands for a
//! product, each with the reasons behind every criterion and score component. The rules are
//! `domain::matching`; the in-memory catalog and result cache is `catalog`.

use crate::app::clock;
use std::sync::Arc;

use chrono::NaiveDate;
use serde::Serialize;
use utoipa::ToSchema;

use super::caller::Caller;
use super::error::{AppError, AppResult};
use super::pagination::next_offset_cursor;
use crate::catalog::{self, CachedPage, MatchingCache};
use crate::db::catalog::Versions;
use crate::db::{self, DbConnection};
use crate::domain::demand::Purpose;
use crate::domain::lang::Lang;
use crate::domain::matching::{evaluate, DemandFacts, EnterpriseFacts, Reason};
use crate::domain::money::Money;
use crate::domain::org::Role;
use crate::domain::product::{GuaranteeMethod, ProductType};
use crate::domain::rate::Rate;
use crate::domain::size_class::SizeClass;

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

/// What a page of recommendations is asked for: near misses or not, the cursor's window, and
/// the language its reasons are written in.
#[derive(Clone, Copy, Debug)]
pub struct PageAsk {
    pub include_ineligible: bool,
    pub limit: i64,
    pub offset: usize,
    pub lang: Lang,
}

/// Which cached page answers a request, for the catalog as of `versions`.
fn page_key(versions: Versions, id: i64, ask: PageAsk) -> catalog::ResultKey {
    catalog::ResultKey {
        rank: catalog::RankKey {
            demand_id: id,
            include_ineligible: ask.include_ineligible,
            versions,
            day: clock::today(),
        },
        limit: ask.limit,
        offset: ask.offset,
        lang: ask.lang,
    }
}

/// A cached page is the caller's only if its demand is in the caller's scope.
fn visible(auth: &Caller, page: Arc<CachedPage>) -> AppResult<Arc<CachedPage>> {
    if auth
        .scope
        .covers_enterprise(page.enterprise_id, &page.region_code)
    {
        Ok(page)
    } else {
        Err(AppError::not_found("demand"))
    }
}

/// The page `recommendations` would answer, if it can be answered from memory: the counters
/// known without a database round trip (nothing committed since they were read), and the page
/// cached, or its demand's ranking cached and holding the page. No connection, no query; the
/// scope is still checked. `None`: call `recommendations`.
pub async fn remembered_recommendations(
    auth: &Caller,
    cache: &MatchingCache,
    id: i64,
    ask: PageAsk,
) -> Option<AppResult<Arc<CachedPage>>> {
    let versions = match auth.counters {
        Some(counters) => counters.catalog,
        None => cache.known_versions().await?,
    };
    let key = page_key(versions, id, ask);
    // Misses are counted by `recommendations`, which a miss here leads to.
    if let Some(page) = cache.first_look_result(&key) {
        return Some(visible(auth, page));
    }
    let ranking = cache.first_look_ranking(&key.rank)?;
    if !covers(auth, &ranking) {
        return Some(Err(AppError::not_found("demand")));
    }
    let ids = ranking.page(ask.offset, ask.limit as usize)?;
    let snapshot = cache.products_in_memory(versions.products)?;
    Some(
        render(&snapshot, &ranking, &ids, ask, key.rank.day)
            .inspect(|page| cache.store_result(key, page.clone())),
    )
}

fn covers(auth: &Caller, ranking: &catalog::Ranking) -> bool {
    auth.scope
        .covers_enterprise(ranking.enterprise.id, &ranking.enterprise.region_code)
}

/// One page of ranked products for a demand in the caller's scope, as the JSON it answers
/// with. The ranking is computed once per demand and catalog version; every page and limit
/// reads it.
#[tracing::instrument(skip(conn, auth, cache))]
pub fn recommendations(
    conn: &mut DbConnection,
    auth: &Caller,
    cache: &MatchingCache,
    id: i64,
    ask: PageAsk,
) -> AppResult<Arc<CachedPage>> {
    let (include_ineligible, limit, offset) = (ask.include_ineligible, ask.limit, ask.offset);
    // The counters the caller's token was checked under are as of this request too.
    let versions = match auth.counters {
        Some(counters) => counters.catalog,
        None => cache.versions(conn)?,
    };
    let key = page_key(versions, id, ask);
    let (rank, today) = (key.rank, key.rank.day);
    if let Some(page) = cache.cached_result(&key) {
        return visible(auth, page);
    }
    let snapshot = cache.products(conn, versions)?;
    let rank_all = |demand: &DemandFacts, enterprise: &EnterpriseFacts| {
        catalog::recommend(
            &snapshot.products,
            demand,
            enterprise,
            today,
            include_ineligible,
        )
        .into_iter()
        .map(|(p, _)| p.facts.id)
        .collect::<Vec<i64>>()
    };
    // The ranking is computed once per demand and counters; every cursor page reads it.
    let ranking = match cache.cached_ranking(&rank) {
        Some(r) if covers(auth, &r) => r,
        Some(_) => return Err(AppError::not_found("demand")),
        None => {
            db::demands::find_visible(conn, id, &auth.scope)?
                .ok_or_else(|| AppError::not_found("demand"))?;
            let demand =
                db::catalog::demand(conn, id)?.ok_or_else(|| AppError::not_found("demand"))?;
            let enterprise = db::catalog::enterprises(conn, Some(&[demand.facts.enterprise_id]))?
                .remove(&demand.facts.enterprise_id)
                .ok_or_else(|| AppError::not_found("enterprise"))?;
            let ranked = rank_all(&demand.facts, &enterprise.facts);
            let ranking = Arc::new(catalog::Ranking::keep(
                demand.facts,
                enterprise.facts,
                &ranked,
            ));
            cache.store_ranking(rank, ranking.clone());
            ranking
        }
    };
    let page = match ranking.page(offset, limit as usize) {
        Some(ids) => render(&snapshot, &ranking, &ids, ask, today)?,
        // Deeper than the kept ids: rank again in full for this page.
        None => {
            let all = rank_all(&ranking.demand, &ranking.enterprise);
            let end = offset.saturating_add(limit as usize).min(all.len());
            render(&snapshot, &ranking, &all[offset.min(end)..end], ask, today)?
        }
    };
    cache.store_result(key, page.clone());
    Ok(page)
}

/// One page of a ranking as the JSON answer: each product's reasons and score evaluated
/// again for the page alone (ranking counted them without building their text).
fn render(
    snapshot: &catalog::ProductSnapshot,
    ranking: &catalog::Ranking,
    ids: &[i64],
    ask: PageAsk,
    today: NaiveDate,
) -> AppResult<Arc<CachedPage>> {
    let (offset, limit) = (ask.offset, ask.limit);
    // Products are sorted by id in the snapshot.
    let product = |pid: i64| {
        snapshot
            .products
            .binary_search_by_key(&pid, |p| p.facts.id)
            .ok()
            .map(|i| &snapshot.products[i])
    };
    let items = ids
        .iter()
        .filter_map(|pid| product(*pid))
        .map(|p| {
            let ev = evaluate(&p.facts, &ranking.demand, &ranking.enterprise, today);
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
                reasons: in_lang(ev.reasons, ask.lang),
            }
        })
        .collect();
    let page = Recommendations {
        demand_id: ranking.demand.id,
        items,
        next_cursor: next_offset_cursor(offset, limit, ranking.total),
    };
    Ok(Arc::new(catalog::CachedPage {
        enterprise_id: ranking.enterprise.id,
        region_code: ranking.enterprise.region_code.clone(),
        body: serde_json::to_vec(&page)
            .map_err(AppError::internal)?
            .into(),
    }))
}

fn in_lang(reasons: Vec<Reason>, lang: Lang) -> Vec<Reason> {
    reasons.into_iter().map(|r| r.in_lang(lang)).collect()
}

/// Open demands eligible for a product, ranked, with reasons (the owning bank, admin).
#[tracing::instrument(skip(conn, auth, cache))]
pub fn candidates(
    conn: &mut DbConnection,
    auth: &Caller,
    cache: &MatchingCache,
    id: i64,
    limit: i64,
    offset: usize,
    lang: Lang,
) -> AppResult<Candidates> {
    // Invisible → 404; visible but another bank's (or the caller is no bank) → 403.
    let (row, _) = db::products::find_visible(conn, id, &auth.scope)?
        .ok_or_else(|| AppError::not_found("product"))?;
    if !(auth.is_admin() || (auth.role == Role::Bank && row.bank_id == auth.org_id)) {
        return Err(AppError::forbidden(
            "only the bank that owns a product sees its candidates",
        ));
    }
    let product = db::catalog::product(conn, id)?.ok_or_else(|| AppError::not_found("product"))?;
    let snapshot = cache.demands(conn, clock::today())?;
    // One more than the page, to know whether a next page exists.
    let want = offset.saturating_add(limit as usize).saturating_add(1);
    let ranked = catalog::top_candidates(&product.facts, &snapshot, snapshot.day, want);
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
                purpose: d.purpose,
                needed_by: d.needed_by,
                eligible: ev.eligible,
                score: ev.score,
                reasons: in_lang(ev.reasons, lang),
            }
        })
        .collect();
    Ok(Candidates {
        product_id: id,
        items,
        next_cursor: next_offset_cursor(offset, limit, ranked.len()),
    })
}
