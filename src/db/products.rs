//! Loan products. Ownership is part of every write query (`WHERE bank_id = ?`).

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::schema::{organizations, products};
use super::types::JsonText;
use super::DbConnection;
use crate::domain::product::{Eligibility, GuaranteeMethod, ProductStatus, ProductType};
use crate::domain::scope::Scope;

#[derive(Clone, Debug, Queryable, Selectable, Identifiable)]
#[diesel(table_name = products)]
pub struct ProductRow {
    pub id: i64,
    pub bank_id: i64,
    #[diesel(embed)]
    pub fields: ProductFields,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

/// Every editable field of a product, as stored.
#[derive(Clone, Debug, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = products)]
pub struct ProductFields {
    pub name: String,
    pub description: String,
    pub product_type: ProductType,
    pub min_amount_fen: i64,
    pub max_amount_fen: i64,
    pub min_term_months: i64,
    pub max_term_months: i64,
    pub min_rate_units: i64,
    pub max_rate_units: i64,
    pub guarantee_methods: JsonText<Vec<GuaranteeMethod>>,
    pub response_sla_days: i64,
    pub status: ProductStatus,
    pub eligibility: JsonText<Eligibility>,
}

pub fn insert(
    conn: &mut DbConnection,
    bank_id: i64,
    fields: &ProductFields,
    now: NaiveDateTime,
) -> QueryResult<ProductRow> {
    super::catalog::bump_products(conn, bank_id)?;
    crate::on_backend!(conn, c => diesel::insert_into(products::table)
        .values((fields, products::bank_id.eq(bank_id), products::created_at.eq(now), products::updated_at.eq(now)))
        .returning(ProductRow::as_returning())
        .get_result(c))
}

/// The products `scope` may see: drafts only their own bank and the platform operator.
fn visible(scope: &Scope) -> products::BoxedQuery<'static, super::conn::MultiBackend> {
    let q = products::table.into_boxed();
    let published = products::status.ne(ProductStatus::Draft);
    match scope {
        Scope::Everything => q,
        Scope::Bank(id) => q.filter(published.or(products::bank_id.eq(*id))),
        _ => q.filter(published),
    }
}

/// A product and its bank's name, if `scope` may see it.
pub fn find_visible(
    conn: &mut DbConnection,
    id: i64,
    scope: &Scope,
) -> QueryResult<Option<(ProductRow, String)>> {
    let row: Option<ProductRow> = visible(scope)
        .filter(products::id.eq(id))
        .select(ProductRow::as_select())
        .first(conn)
        .optional()?;
    row.map(|r| bank_name(conn, r.bank_id).map(|n| (r, n)))
        .transpose()
}

fn bank_name(conn: &mut DbConnection, bank_id: i64) -> QueryResult<String> {
    organizations::table
        .find(bank_id)
        .select(organizations::name)
        .first(conn)
}

#[derive(Default)]
pub struct ProductFilter {
    pub product_type: Option<String>,
    pub bank_id: Option<i64>,
    pub status: Option<String>,
    pub after_id: Option<i64>,
    pub limit: i64,
}

/// Lists by ascending id (`limit + 1` rows), each with its bank's name.
pub fn list(
    conn: &mut DbConnection,
    scope: &Scope,
    f: &ProductFilter,
) -> QueryResult<Vec<(ProductRow, String)>> {
    let mut q = visible(scope).select(ProductRow::as_select());
    if let Some(t) = &f.product_type {
        q = q.filter(products::product_type.eq(t.clone()));
    }
    if let Some(b) = f.bank_id {
        q = q.filter(products::bank_id.eq(b));
    }
    if let Some(s) = &f.status {
        q = q.filter(products::status.eq(s.clone()));
    }
    if let Some(after) = f.after_id {
        q = q.filter(products::id.gt(after));
    }
    let rows: Vec<ProductRow> = q.order(products::id.asc()).limit(f.limit + 1).load(conn)?;
    let mut bank_ids: Vec<i64> = rows.iter().map(|r| r.bank_id).collect();
    bank_ids.sort_unstable();
    bank_ids.dedup();
    let names: std::collections::HashMap<i64, String> = organizations::table
        .filter(organizations::id.eq_any(bank_ids))
        .select((organizations::id, organizations::name))
        .load(conn)?
        .into_iter()
        .collect();
    Ok(rows
        .into_iter()
        .map(|r| {
            let name = names.get(&r.bank_id).cloned().unwrap_or_default();
            (r, name)
        })
        .collect())
}

/// A product of `bank_id` (any status), for its owner to change.
pub fn find_owned(
    conn: &mut DbConnection,
    id: i64,
    bank_id: i64,
) -> QueryResult<Option<ProductRow>> {
    products::table
        .filter(products::id.eq(id))
        .filter(products::bank_id.eq(bank_id))
        .select(ProductRow::as_select())
        .first(conn)
        .optional()
}

/// Writes every field of a product of `bank_id`; 0 rows if it is not that bank's.
pub fn update_owned(
    conn: &mut DbConnection,
    id: i64,
    bank_id: i64,
    fields: &ProductFields,
    now: NaiveDateTime,
) -> QueryResult<usize> {
    super::catalog::bump_products(conn, bank_id)?;
    diesel::update(
        products::table
            .filter(products::id.eq(id))
            .filter(products::bank_id.eq(bank_id)),
    )
    .set((fields, products::updated_at.eq(now)))
    .execute(conn)
}
