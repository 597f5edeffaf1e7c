//! What matching reads: change counters, and products, demands and enterprises as facts.

use std::collections::HashMap;

use chrono::NaiveDate;
use diesel::prelude::*;

use super::schema::{
    catalog_shards, demands, enterprises, organizations, products, qualifications,
};
use super::{DbConnection, JsonText};
use crate::domain::demand::DemandStatus;
use crate::domain::demand::Purpose;
use crate::domain::matching::{DemandFacts, EnterpriseFacts, ProductFacts};
use crate::domain::money::Money;
use crate::domain::product::{Eligibility, GuaranteeMethod, ProductStatus, ProductType};
use crate::domain::qualification::{Qualification, QualificationKind, QualificationLevel};
use crate::domain::rate::Rate;
use crate::domain::size_class::{Industry, SizeClass};

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Versions {
    pub products: i64,
    pub demands: i64,
}

/// Every change counter: the catalog's, and the one sessions depend on.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Counters {
    pub catalog: Versions,
    /// Moves when a token is revoked, a password changed or a user disabled or enabled.
    pub access: i64,
}

/// How many rows the change counters are spread over (`catalog_shards`).
const SHARDS: i64 = 64;

/// The counters: the sums over the shards. One small read; a committed bump of any shard
/// moves a sum, so a reader never keeps a stale catalog. Most requests do not read them:
/// `db::watch` tells when they may have moved.
pub fn counters(conn: &mut DbConnection) -> QueryResult<Counters> {
    let shards: Vec<(i64, i64, i64)> = catalog_shards::table
        .select((
            catalog_shards::products_version,
            catalog_shards::demands_version,
            catalog_shards::access_version,
        ))
        .load(conn)?;
    Ok(shards
        .into_iter()
        .fold(Counters::default(), |c, (p, d, a)| Counters {
            catalog: Versions {
                products: c.catalog.products + p,
                demands: c.catalog.demands + d,
            },
            access: c.access + a,
        }))
}

/// The catalog counters, read now (inside a transaction, they include its own bumps).
pub fn versions(conn: &mut DbConnection) -> QueryResult<Versions> {
    Ok(counters(conn)?.catalog)
}

/// Call in the same transaction as any write to `bank_id`'s products.
pub fn bump_products(conn: &mut DbConnection, bank_id: i64) -> QueryResult<()> {
    super::announce::changed();
    diesel::update(catalog_shards::table.find(bank_id.rem_euclid(SHARDS)))
        .set(catalog_shards::products_version.eq(catalog_shards::products_version + 1))
        .execute(conn)?;
    Ok(())
}

/// Call in the same transaction as any write to `enterprise_id`'s demands, profile or
/// qualifications. A transaction concerns one enterprise, so it takes one shard: shards add
/// no lock order of their own.
pub fn bump_demands(conn: &mut DbConnection, enterprise_id: i64) -> QueryResult<()> {
    super::announce::changed();
    diesel::update(catalog_shards::table.find(enterprise_id.rem_euclid(SHARDS)))
        .set(catalog_shards::demands_version.eq(catalog_shards::demands_version + 1))
        .execute(conn)?;
    Ok(())
}

/// Call in the same transaction as any write that can end a live token of `user_id`
/// (revocation, password change, disabling or enabling the user).
pub fn bump_access(conn: &mut DbConnection, user_id: i64) -> QueryResult<()> {
    super::announce::changed();
    diesel::update(catalog_shards::table.find(user_id.rem_euclid(SHARDS)))
        .set(catalog_shards::access_version.eq(catalog_shards::access_version + 1))
        .execute(conn)?;
    Ok(())
}

/// A product as matching sees it, with the names a result shows.
#[derive(Clone, Debug)]
pub struct CatalogProduct {
    pub facts: ProductFacts,
    pub name: String,
    pub bank_name: String,
}

type ProductTuple = (
    (i64, i64, String, String, ProductType, i64, i64, i64),
    (
        i64,
        i64,
        i64,
        JsonText<Vec<GuaranteeMethod>>,
        i64,
        ProductStatus,
        JsonText<Eligibility>,
    ),
);

fn product_from(t: ProductTuple) -> QueryResult<CatalogProduct> {
    let (
        (id, bank_id, name, bank_name, product_type, min_amount, max_amount, min_term),
        (max_term, min_rate, max_rate, methods, sla, status, eligibility),
    ) = t;
    Ok(CatalogProduct {
        facts: ProductFacts {
            id,
            bank_id,
            product_type,
            status,
            min_amount: Money::from_fen(min_amount),
            max_amount: Money::from_fen(max_amount),
            min_term_months: min_term,
            max_term_months: max_term,
            min_rate: Rate::from_units(min_rate),
            max_rate: Rate::from_units(max_rate),
            guarantee_methods: methods.0,
            response_sla_days: sla,
            eligibility: eligibility.0,
        },
        name,
        bank_name,
    })
}

macro_rules! product_columns {
    () => {
        (
            (
                products::id,
                products::bank_id,
                products::name,
                organizations::name,
                products::product_type,
                products::min_amount_fen,
                products::max_amount_fen,
                products::min_term_months,
            ),
            (
                products::max_term_months,
                products::min_rate_units,
                products::max_rate_units,
                products::guarantee_methods,
                products::response_sla_days,
                products::status,
                products::eligibility,
            ),
        )
    };
}

/// Every active product, by id.
pub fn active_products(conn: &mut DbConnection) -> QueryResult<Vec<CatalogProduct>> {
    let rows: Vec<ProductTuple> = products::table
        .inner_join(organizations::table)
        .filter(products::status.eq(ProductStatus::Active.as_str()))
        .order(products::id.asc())
        .select(product_columns!())
        .load(conn)?;
    rows.into_iter().map(product_from).collect()
}

/// One product of any status.
pub fn product(conn: &mut DbConnection, id: i64) -> QueryResult<Option<CatalogProduct>> {
    let row: Option<ProductTuple> = products::table
        .inner_join(organizations::table)
        .filter(products::id.eq(id))
        .select(product_columns!())
        .first(conn)
        .optional()?;
    row.map(product_from).transpose()
}

/// A demand with what a candidate list shows about it.
#[derive(Clone, Debug)]
pub struct CatalogDemand {
    pub facts: DemandFacts,
    pub purpose: Purpose,
    pub needed_by: Option<NaiveDate>,
}

type DemandTuple = (
    i64,
    i64,
    i64,
    i64,
    JsonText<Vec<GuaranteeMethod>>,
    Option<i64>,
    JsonText<Vec<ProductType>>,
    Purpose,
    Option<NaiveDate>,
);

fn demand_from(t: DemandTuple) -> QueryResult<CatalogDemand> {
    let (id, enterprise_id, amount, term, methods, max_rate, preferred, purpose, needed_by) = t;
    Ok(CatalogDemand {
        facts: DemandFacts {
            id,
            enterprise_id,
            amount: Money::from_fen(amount),
            term_months: term,
            guarantee_methods: methods.0,
            max_rate: max_rate.map(Rate::from_units),
            preferred_product_types: preferred.0,
        },
        purpose,
        needed_by,
    })
}

macro_rules! demand_columns {
    () => {
        (
            demands::id,
            demands::enterprise_id,
            demands::amount_fen,
            demands::term_months,
            demands::guarantee_methods,
            demands::max_rate_units,
            demands::preferred_product_types,
            demands::purpose,
            demands::needed_by,
        )
    };
}

pub fn demand(conn: &mut DbConnection, id: i64) -> QueryResult<Option<CatalogDemand>> {
    let row: Option<DemandTuple> = demands::table
        .find(id)
        .select(demand_columns!())
        .first(conn)
        .optional()?;
    row.map(demand_from).transpose()
}

/// Demands that are open on `today` (not past `needed_by`), by id.
pub fn open_demands(conn: &mut DbConnection, today: NaiveDate) -> QueryResult<Vec<CatalogDemand>> {
    let rows: Vec<DemandTuple> = demands::table
        .filter(demands::status.eq(DemandStatus::Open.as_str()))
        .filter(
            demands::needed_by
                .is_null()
                .or(demands::needed_by.ge(today)),
        )
        .order(demands::id.asc())
        .select(demand_columns!())
        .load(conn)?;
    rows.into_iter().map(demand_from).collect()
}

/// An enterprise as matching sees it, with its name.
#[derive(Clone, Debug)]
pub struct CatalogEnterprise {
    pub facts: EnterpriseFacts,
    pub name: String,
}

/// Enterprises by id, with their qualifications. `None` loads every enterprise.
pub fn enterprises(
    conn: &mut DbConnection,
    ids: Option<&[i64]>,
) -> QueryResult<HashMap<i64, CatalogEnterprise>> {
    type Row = (
        i64,
        String,
        Option<String>,
        Industry,
        SizeClass,
        NaiveDate,
        i64,
        bool,
    );
    let mut q = enterprises::table
        .inner_join(organizations::table)
        .select((
            enterprises::org_id,
            organizations::name,
            organizations::region_code,
            enterprises::industry,
            enterprises::size_class,
            enterprises::established_on,
            enterprises::annual_revenue_fen,
            enterprises::has_prior_loan,
        ))
        .into_boxed();
    let mut qq = qualifications::table
        .select((
            qualifications::enterprise_id,
            qualifications::kind,
            qualifications::level,
            qualifications::certified_on,
            qualifications::expires_on,
        ))
        .into_boxed();
    if let Some(ids) = ids {
        q = q.filter(enterprises::org_id.eq_any(ids.to_vec()));
        qq = qq.filter(qualifications::enterprise_id.eq_any(ids.to_vec()));
    }
    let rows: Vec<Row> = q.load(conn)?;
    let mut out: HashMap<i64, CatalogEnterprise> = HashMap::with_capacity(rows.len());
    for (id, name, region, industry, size, established_on, revenue, has_prior_loan) in rows {
        out.insert(
            id,
            CatalogEnterprise {
                facts: EnterpriseFacts {
                    id,
                    region_code: region.unwrap_or_default(),
                    industry,
                    size_class: size,
                    established_on,
                    annual_revenue: Money::from_fen(revenue),
                    has_prior_loan,
                    qualifications: Vec::new(),
                },
                name,
            },
        );
    }
    type Qual = (
        i64,
        QualificationKind,
        QualificationLevel,
        NaiveDate,
        NaiveDate,
    );
    let quals: Vec<Qual> = qq.load(conn)?;
    for (enterprise_id, kind, level, certified_on, expires_on) in quals {
        if let Some(e) = out.get_mut(&enterprise_id) {
            e.facts.qualifications.push(Qualification {
                kind,
                level,
                certified_on,
                expires_on,
            });
        }
    }
    Ok(out)
}
