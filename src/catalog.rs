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
    assess, rank_key, Assessment, DemandFacts, EnterpriseFacts, ProductFacts,
};

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
}

/// Products for one demand in rank order (ids), and what authorization needs to know about
/// its demand (valid under the same counters: a change of the enterprise bumps them).
pub struct Ranking {
    pub enterprise_id: i64,
    pub region_code: String,
    pub product_ids: Vec<i64>,
}

/// A rendered page.
pub struct CachedPage {
    pub enterprise_id: i64,
    pub region_code: String,
    pub body: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum CacheKey {
    Ranking(RankKey),
    Page(ResultKey),
}

#[derive(Clone)]
enum Cached {
    Ranking(Arc<Ranking>),
    Page(Arc<CachedPage>),
}

impl Cached {
    /// Approximate bytes held, for the cache's byte bound.
    fn weight(&self) -> u32 {
        let bytes = match self {
            Cached::Ranking(r) => r.product_ids.len() * 8 + r.region_code.len() + 64,
            Cached::Page(p) => p.body.len() + p.region_code.len() + 64,
        };
        u32::try_from(bytes).unwrap_or(u32::MAX)
    }
}

/// Default byte bound of rankings and rendered pages together.
pub const DEFAULT_RESULT_BYTES: u64 = 64 * 1024 * 1024;

pub struct MatchingCache {
    /// Tells when the counters may have moved.
    changes: Arc<ChangeWatch>,
    products: RwLock<Arc<ProductSnapshot>>,
    demands: RwLock<Arc<DemandSnapshot>>,
    /// Rankings and rendered pages, bounded by bytes (least recently used go first). A key
    /// holds the change counters, so a stale entry is never hit: any change to products,
    /// demands, enterprises or qualifications moves them.
    results: moka::sync::Cache<CacheKey, Cached>,
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
        MatchingCache {
            changes,
            products: RwLock::new(Arc::new(ProductSnapshot {
                version: -1,
                products: Vec::new(),
            })),
            demands: RwLock::new(Arc::new(DemandSnapshot {
                version: -1,
                day: NaiveDate::MIN,
                demands: Vec::new(),
                enterprises: HashMap::new(),
            })),
            reloading: Mutex::new(()),
            results: moka::sync::Cache::builder()
                .max_capacity(result_bytes)
                .weigher(|_, v: &Cached| v.weight())
                .build(),
        }
    }

    /// Bytes held by rankings and pages now (approximate; eviction runs in the background).
    pub fn result_bytes(&self) -> u64 {
        self.results.run_pending_tasks();
        self.results.weighted_size()
    }

    pub fn cached_result(&self, key: &ResultKey) -> Option<Arc<CachedPage>> {
        let page = match self.results.get(&CacheKey::Page(*key)) {
            Some(Cached::Page(p)) => Some(p),
            _ => None,
        };
        count_lookup("page", page.is_some());
        page
    }

    /// Cached rankings and pages now.
    pub fn result_entries(&self) -> u64 {
        self.results.entry_count()
    }

    /// The byte bound.
    pub fn result_limit(&self) -> u64 {
        self.results.policy().max_capacity().unwrap_or(0)
    }

    pub fn store_result(&self, key: ResultKey, page: Arc<CachedPage>) {
        self.results.insert(CacheKey::Page(key), Cached::Page(page));
    }

    pub fn cached_ranking(&self, key: &RankKey) -> Option<Arc<Ranking>> {
        let ranking = match self.results.get(&CacheKey::Ranking(*key)) {
            Some(Cached::Ranking(r)) => Some(r),
            _ => None,
        };
        count_lookup("ranking", ranking.is_some());
        ranking
    }

    pub fn store_ranking(&self, key: RankKey, ranking: Arc<Ranking>) {
        self.results
            .insert(CacheKey::Ranking(key), Cached::Ranking(ranking));
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
        let fresh = Arc::new(DemandSnapshot {
            version,
            day: today,
            demands,
            enterprises,
        });
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

/// Open demands eligible for one product, ranked by score, ties by demand id.
pub fn candidates<'a>(
    product: &ProductFacts,
    snapshot: &'a DemandSnapshot,
    today: NaiveDate,
) -> Vec<(&'a CatalogDemand, &'a CatalogEnterprise, Assessment)> {
    let mut ranked: Vec<_> = snapshot
        .demands
        .iter()
        .filter_map(|d| {
            let e = snapshot.enterprises.get(&d.facts.enterprise_id)?;
            let a = assess(product, &d.facts, &e.facts, today);
            a.eligible.then_some((d, e, a))
        })
        .collect();
    ranked.sort_unstable_by_key(|(d, _, a)| rank_key(*a, d.facts.id));
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
        }
    }

    #[test]
    fn cached_results_stay_within_their_byte_bound() {
        let cache = MatchingCache::new(4 * 1024 * 1024, Arc::new(ChangeWatch::off()));
        let page = Arc::new(CachedPage {
            enterprise_id: 1,
            region_code: "370202".into(),
            body: "x".repeat(300 * 1024),
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
        let ranking = Arc::new(Ranking {
            enterprise_id: 1,
            region_code: "370202".into(),
            product_ids: (0..10_000).collect(),
        });
        cache.store_ranking(key(2, 0).rank, ranking);
        assert_eq!(
            cache
                .cached_ranking(&key(2, 400).rank)
                .map(|r| r.product_ids.len()),
            Some(10_000)
        );
    }
}
