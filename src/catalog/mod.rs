//! The matching service: an in-memory catalog of active products and open demands, kept
//! current by the database's change counters (`catalog_shards`), and the two ranked queries
//! built on it. A request learns the counters from `db::watch` (from memory when nothing was
//! committed since they were read), so a product or qualification change is visible to the
//! next request, and a cached page answers without a database round trip.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, RwLock};

use chrono::NaiveDate;
use diesel::QueryResult;

use crate::db::catalog::{
    self as repo, CatalogDemand, CatalogEnterprise, CatalogProduct, Versions,
};
use crate::db::watch::ChangeWatch;
use crate::db::DbConnection;
use crate::domain::matching::{
    assess, rank_key, Assessment, DemandFacts, EnterpriseFacts, ScoreTraits,
};

mod candidates;
pub use candidates::{candidates, top_candidates};

pub struct ProductSnapshot {
    pub version: i64,
    pub products: Vec<CatalogProduct>,
}

pub struct DemandSnapshot {
    pub version: i64,
    /// Demands past `needed_by` drop out when the day changes.
    pub day: NaiveDate,
    pub demands: Vec<CatalogDemand>,
    pub enterprises: HashMap<i64, CatalogEnterprise>,
    /// Demands grouped by what their score depends on besides the amount (`ScoreTraits`), each
    /// group's positions in `demands` ordered by amount, then id: `top_candidates` walks every
    /// group outward from the middle of a product's amount range, best group first.
    groups: Vec<TraitGroup>,
}

struct TraitGroup {
    traits: ScoreTraits,
    members: Vec<u32>,
}

impl DemandSnapshot {
    pub fn new(
        version: i64,
        day: NaiveDate,
        demands: Vec<CatalogDemand>,
        enterprises: HashMap<i64, CatalogEnterprise>,
    ) -> Self {
        let mut grouped: HashMap<ScoreTraits, Vec<u32>> = HashMap::new();
        for (i, d) in demands.iter().enumerate() {
            // A demand without its enterprise is never a candidate.
            if let Some(e) = enterprises.get(&d.facts.enterprise_id) {
                let traits = ScoreTraits::of(&d.facts, &e.facts, day);
                grouped.entry(traits).or_default().push(i as u32);
            }
        }
        let groups = grouped
            .into_iter()
            .map(|(traits, mut members)| {
                members.sort_unstable_by_key(|&i| {
                    let d = &demands[i as usize].facts;
                    (d.amount, d.id)
                });
                TraitGroup { traits, members }
            })
            .collect();
        DemandSnapshot {
            version,
            day,
            demands,
            enterprises,
            groups,
        }
    }
}

/// What a ranking depends on: the demand and every counter that could change it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct RankKey {
    pub demand_id: i64,
    pub include_ineligible: bool,
    pub versions: Versions,
    pub day: NaiveDate,
}

/// One page of a ranking: the pages of one ranking share it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ResultKey {
    pub rank: RankKey,
    pub limit: i64,
    pub offset: usize,
    /// The language of the page's reasons.
    pub lang: crate::domain::lang::Lang,
}

/// Products for one demand in rank order (ids, the first `RANKING_KEPT`), with the facts a
/// page is rendered from and authorization checks against (valid under the same counters: a
/// change of the demand or its enterprise moves them). Small, so that the rankings of tens of
/// thousands of demands fit the cache and any of their pages renders without the database.
pub struct Ranking {
    pub demand: DemandFacts,
    pub enterprise: EnterpriseFacts,
    /// The first `RANKING_KEPT` product ids in rank order (4 bytes each: ids past `u32` are
    /// never kept, see `keep`).
    product_ids: Vec<u32>,
    /// How many products the full ranking holds.
    pub total: usize,
}

/// Product ids a cached ranking keeps: the deepest page a ranking serves from memory ends
/// here (200 is the largest page); a page past it is ranked again. About 1 KB a ranking, so
/// 20,000 demands' rankings take 25 MB.
pub const RANKING_KEPT: usize = 256;

impl Ranking {
    /// A ranking of `ranked` (every product id in rank order) that keeps the first
    /// `RANKING_KEPT`.
    pub fn keep(demand: DemandFacts, enterprise: EnterpriseFacts, ranked: &[i64]) -> Self {
        let kept: Option<Vec<u32>> = ranked
            .iter()
            .take(RANKING_KEPT)
            .map(|id| u32::try_from(*id).ok())
            .collect();
        Ranking {
            demand,
            enterprise,
            // An id past u32 (never, in practice) keeps nothing: every page is ranked again.
            product_ids: kept.unwrap_or_default(),
            total: ranked.len(),
        }
    }

    /// The ids of one page, if this ranking holds all of them.
    pub fn page(&self, offset: usize, limit: usize) -> Option<Vec<i64>> {
        let end = offset.saturating_add(limit).min(self.total);
        if end > self.product_ids.len() {
            return None;
        }
        Some(
            self.product_ids[offset.min(end)..end]
                .iter()
                .map(|id| i64::from(*id))
                .collect(),
        )
    }

    fn weight(&self) -> u32 {
        let quals = self.enterprise.qualifications.len() * 48;
        let bytes = self.product_ids.len() * 4 + quals + self.enterprise.region_code.len() + 320;
        u32::try_from(bytes).unwrap_or(u32::MAX)
    }
}

/// A rendered page.
pub struct CachedPage {
    pub enterprise_id: i64,
    pub region_code: String,
    /// The JSON answer; shared, not copied, by every response that sends it.
    pub body: bytes::Bytes,
}

impl CachedPage {
    fn weight(&self) -> u32 {
        u32::try_from(self.body.len() + self.region_code.len() + 64).unwrap_or(u32::MAX)
    }
}

/// Default byte bound of rankings and rendered pages together.
pub const DEFAULT_RESULT_BYTES: u64 = 64 * 1024 * 1024;

pub struct MatchingCache {
    /// Tells when the counters may have moved.
    changes: Arc<ChangeWatch>,
    products: RwLock<Arc<ProductSnapshot>>,
    demands: RwLock<Arc<DemandSnapshot>>,
    /// Rankings, bounded by bytes (three quarters of the bound). A key holds the change
    /// counters, so a stale entry is never hit: any change to products, demands, enterprises
    /// or qualifications moves them.
    rankings: moka::sync::Cache<RankKey, Arc<Ranking>>,
    /// Rendered pages of the rankings (the last quarter): a page read again is sent as it is.
    /// Apart from the rankings, so that large pages never push the rankings out.
    pages: moka::sync::Cache<ResultKey, Arc<CachedPage>>,
    /// One reload at a time; the others wait and reuse it.
    reloading: Mutex<()>,
}

impl Default for MatchingCache {
    /// A cache that reads the counters on every request (a command-line task's, which may
    /// read them inside its own transactions).
    fn default() -> Self {
        MatchingCache::new(DEFAULT_RESULT_BYTES, Arc::new(ChangeWatch::off()))
    }
}

impl MatchingCache {
    pub fn new(result_bytes: u64, changes: Arc<ChangeWatch>) -> Self {
        let page_bytes = result_bytes / 4;
        MatchingCache {
            changes,
            products: RwLock::new(Arc::new(ProductSnapshot {
                version: -1,
                products: Vec::new(),
            })),
            demands: RwLock::new(Arc::new(DemandSnapshot::new(
                -1,
                NaiveDate::MIN,
                Vec::new(),
                HashMap::new(),
            ))),
            reloading: Mutex::new(()),
            rankings: moka::sync::Cache::builder()
                .max_capacity(result_bytes - page_bytes)
                .weigher(|_, r: &Arc<Ranking>| r.weight())
                .build(),
            pages: moka::sync::Cache::builder()
                .max_capacity(page_bytes)
                .weigher(|_, p: &Arc<CachedPage>| p.weight())
                .build(),
        }
    }

    /// Bytes held by rankings and pages now (approximate; eviction runs in the background).
    pub fn result_bytes(&self) -> u64 {
        self.rankings.run_pending_tasks();
        self.pages.run_pending_tasks();
        self.rankings.weighted_size() + self.pages.weighted_size()
    }

    pub fn cached_result(&self, key: &ResultKey) -> Option<Arc<CachedPage>> {
        let page = self.pages.get(key);
        count_lookup("page", page.is_some());
        page
    }

    /// Cached rankings and pages now.
    pub fn result_entries(&self) -> u64 {
        self.rankings.entry_count() + self.pages.entry_count()
    }

    /// The byte bound.
    pub fn result_limit(&self) -> u64 {
        self.rankings.policy().max_capacity().unwrap_or(0)
            + self.pages.policy().max_capacity().unwrap_or(0)
    }

    pub fn store_result(&self, key: ResultKey, page: Arc<CachedPage>) {
        self.pages.insert(key, page);
    }

    /// `cached_result` for a first look that a full lookup follows when it misses: only a
    /// hit is counted (the miss is counted by the lookup that follows).
    pub fn first_look_result(&self, key: &ResultKey) -> Option<Arc<CachedPage>> {
        let page = self.pages.get(key);
        if page.is_some() {
            count_lookup("page", true);
        }
        page
    }

    /// `cached_ranking` for a first look, as `first_look_result`; a hit also counts the page
    /// miss that led to it, since the page is rendered from it and no lookup follows.
    pub fn first_look_ranking(&self, key: &RankKey) -> Option<Arc<Ranking>> {
        let ranking = self.rankings.get(key);
        if ranking.is_some() {
            count_lookup("page", false);
            count_lookup("ranking", true);
        }
        ranking
    }

    pub fn cached_ranking(&self, key: &RankKey) -> Option<Arc<Ranking>> {
        let ranking = self.rankings.get(key);
        count_lookup("ranking", ranking.is_some());
        ranking
    }

    pub fn store_ranking(&self, key: RankKey, ranking: Arc<Ranking>) {
        self.rankings.insert(key, ranking);
    }

    /// The product snapshot of `version`, if it is the one in memory (no database needed).
    pub fn products_in_memory(&self, version: i64) -> Option<Arc<ProductSnapshot>> {
        let current = read(&self.products);
        (current.version == version).then_some(current)
    }
}

fn count_lookup(kind: &'static str, hit: bool) {
    let outcome = if hit { "hit" } else { "miss" };
    metrics::counter!(crate::telemetry::names::CACHE_LOOKUPS, "kind" => kind, "outcome" => outcome)
        .increment(1);
}

fn read<T: Clone>(lock: &RwLock<T>) -> T {
    lock.read().unwrap_or_else(|e| e.into_inner()).clone()
}

fn write<T>(lock: &RwLock<T>, value: T) {
    *lock.write().unwrap_or_else(|e| e.into_inner()) = value;
}

impl MatchingCache {
    /// The catalog counters as of now (outside a transaction): from memory when nothing
    /// was committed since they were read, else read on `conn`.
    pub fn versions(&self, conn: &mut DbConnection) -> QueryResult<Versions> {
        Ok(self.changes.read(conn)?.catalog)
    }

    /// The catalog counters if they are known without a database round trip.
    pub async fn known_versions(&self) -> Option<Versions> {
        self.changes.known().await.map(|c| c.catalog)
    }

    /// Active products as of `versions`.
    pub fn products(
        &self,
        conn: &mut DbConnection,
        versions: Versions,
    ) -> QueryResult<Arc<ProductSnapshot>> {
        let version = versions.products;
        let current = read(&self.products);
        if current.version == version {
            return Ok(current);
        }
        let _one = self.reloading.lock().unwrap_or_else(|e| e.into_inner());
        let current = read(&self.products);
        if current.version == version {
            return Ok(current);
        }
        let fresh = Arc::new(ProductSnapshot {
            version,
            products: repo::active_products(conn)?,
        });
        write(&self.products, fresh.clone());
        Ok(fresh)
    }

    /// Open demands (not past `needed_by` on `today`) and their enterprises, as of now.
    pub fn demands(
        &self,
        conn: &mut DbConnection,
        today: NaiveDate,
    ) -> QueryResult<Arc<DemandSnapshot>> {
        let version = self.versions(conn)?.demands;
        let fresh_enough = |s: &DemandSnapshot| s.version == version && s.day == today;
        let current = read(&self.demands);
        if fresh_enough(&current) {
            return Ok(current);
        }
        let _one = self.reloading.lock().unwrap_or_else(|e| e.into_inner());
        let current = read(&self.demands);
        if fresh_enough(&current) {
            return Ok(current);
        }
        let demands = repo::open_demands(conn, today)?;
        let enterprises = repo::enterprises(conn, None)?;
        let fresh = Arc::new(DemandSnapshot::new(version, today, demands, enterprises));
        write(&self.demands, fresh.clone());
        Ok(fresh)
    }
}

/// Products ranked for one demand: eligible ones by score, then (if asked) near misses by
/// fewest failed criteria. Ties break by product id.
pub fn recommend<'a>(
    products: &'a [CatalogProduct],
    demand: &DemandFacts,
    enterprise: &EnterpriseFacts,
    today: NaiveDate,
    include_ineligible: bool,
) -> Vec<(&'a CatalogProduct, Assessment)> {
    let mut ranked: Vec<(&CatalogProduct, Assessment)> = products
        .iter()
        .map(|p| (p, assess(&p.facts, demand, enterprise, today)))
        .filter(|(_, a)| include_ineligible || a.eligible)
        .collect();
    ranked.sort_unstable_by_key(|(p, a)| rank_key(*a, p.facts.id));
    ranked
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(demand_id: i64, offset: usize) -> ResultKey {
        ResultKey {
            rank: RankKey {
                demand_id,
                include_ineligible: true,
                versions: Versions::default(),
                day: NaiveDate::MIN,
            },
            limit: 200,
            offset,
            lang: Default::default(),
        }
    }

    #[test]
    fn cached_results_stay_within_their_byte_bound() {
        let cache = MatchingCache::new(4 * 1024 * 1024, Arc::new(ChangeWatch::off()));
        let page = Arc::new(CachedPage {
            enterprise_id: 1,
            region_code: "370202".into(),
            body: "x".repeat(300 * 1024).into(),
        });
        // 9,000 cursors of 300 KB each: 2.6 GB if nothing were dropped.
        for offset in 0..9_000 {
            cache.store_result(key(1, offset), page.clone());
        }
        assert!(
            cache.result_bytes() <= 4 * 1024 * 1024,
            "{}",
            cache.result_bytes()
        );
        assert!(cache.result_bytes() > 0);
        // Rankings share the bound and one ranking serves every page of a demand.
        let ranking = Arc::new(Ranking::keep(
            DemandFacts {
                id: 2,
                enterprise_id: 1,
                amount: crate::domain::money::Money::from_fen(1),
                term_months: 12,
                guarantee_methods: vec![],
                max_rate: None,
                preferred_product_types: vec![],
            },
            EnterpriseFacts {
                id: 1,
                region_code: "370202".into(),
                industry: crate::domain::size_class::Industry::Industry,
                size_class: crate::domain::size_class::SizeClass::Small,
                established_on: NaiveDate::MIN,
                annual_revenue: crate::domain::money::Money::from_fen(1),
                has_prior_loan: false,
                qualifications: vec![],
            },
            &(0..10_000).collect::<Vec<i64>>(),
        ));
        cache.store_ranking(key(2, 0).rank, ranking);
        let cached = cache.cached_ranking(&key(2, 400).rank).unwrap();
        assert_eq!(cached.page(50, 200), Some((50..250).collect()));
        // A page past the kept ids is ranked again.
        assert!(cached.page(100, 200).is_none());
        assert!(cache.result_bytes() <= 4 * 1024 * 1024);
    }
}
