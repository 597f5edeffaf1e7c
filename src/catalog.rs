//! The matching service: an in-memory catalog of active products and open demands, kept
//! current by the database's change counters (`catalog_state`), and the two ranked queries
//! built on it. Every request first reads the counters (one indexed row), so a product or
//! qualification change is visible to the very next request on every instance.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, RwLock};

use chrono::NaiveDate;
use diesel::QueryResult;

use crate::db::catalog::{
    self as repo, CatalogDemand, CatalogEnterprise, CatalogProduct, Versions,
};
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

/// What a recommendation page depends on: the request and every counter that could change it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ResultKey {
    pub demand_id: i64,
    pub limit: i64,
    pub offset: usize,
    pub include_ineligible: bool,
    pub versions: Versions,
    pub day: NaiveDate,
}

/// A rendered page and what authorization needs to know about its demand (valid under the
/// same counters: a change of the enterprise's region bumps them).
pub struct CachedPage {
    pub enterprise_id: i64,
    pub region_code: String,
    pub body: String,
}

/// Bound on cached result pages; the cache is simply emptied when full.
const MAX_RESULTS: usize = 10_000;

pub struct MatchingCache {
    products: RwLock<Arc<ProductSnapshot>>,
    demands: RwLock<Arc<DemandSnapshot>>,
    /// Rendered recommendation pages. A key holds the change counters, so a stale entry is
    /// never hit: any change to products, demands, enterprises or qualifications moves them.
    results: Mutex<HashMap<ResultKey, Arc<CachedPage>>>,
    /// One reload at a time; the others wait and reuse it.
    reloading: Mutex<()>,
}

impl Default for MatchingCache {
    fn default() -> Self {
        MatchingCache {
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
            results: Mutex::new(HashMap::new()),
        }
    }
}

fn read<T: Clone>(lock: &RwLock<T>) -> T {
    lock.read().unwrap_or_else(|e| e.into_inner()).clone()
}

fn write<T>(lock: &RwLock<T>, value: T) {
    *lock.write().unwrap_or_else(|e| e.into_inner()) = value;
}

impl MatchingCache {
    /// The current change counters (one indexed row).
    pub fn versions(&self, conn: &mut DbConnection) -> QueryResult<Versions> {
        repo::versions(conn)
    }

    pub fn cached_result(&self, key: &ResultKey) -> Option<Arc<CachedPage>> {
        self.results
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(key)
            .cloned()
    }

    pub fn store_result(&self, key: ResultKey, body: Arc<CachedPage>) {
        let mut results = self.results.lock().unwrap_or_else(|e| e.into_inner());
        if results.len() >= MAX_RESULTS {
            results.clear();
        }
        results.insert(key, body);
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
        let version = repo::versions(conn)?.demands;
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
