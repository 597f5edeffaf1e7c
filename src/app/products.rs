//! Loan products (金融产品, SPEC §3.3): banks publish them with structured eligibility; every
//! authenticated user may browse the published catalog. The status machine is
//! `domain::product::ProductStatus`.

use crate::app::clock;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::caller::Caller;
use super::effects::Receipt;
use super::error::{AppError, AppResult, ProblemCode, Validator};
pub use crate::db::products::ProductFilter;
use crate::db::products::{self as repo, ProductFields, ProductRow};
use crate::db::{self, DbConnection};
use crate::domain::date::rfc3339;
use crate::domain::money::Money;
use crate::domain::org::Role;
use crate::domain::product::{Eligibility, GuaranteeMethod, ProductStatus, ProductType};
use crate::domain::rate::Rate;
use crate::domain::region;

pub const MAX_DESCRIPTION_CHARS: usize = 5000;
pub const DEFAULT_SLA_DAYS: i64 = 3;

#[derive(Debug, Deserialize, Serialize, ToSchema)]
pub struct CreateProduct {
    #[schema(example = "专精特新贷", min_length = 1, max_length = 200)]
    pub name: String,
    #[serde(default)]
    #[schema(max_length = 5000)]
    pub description: String,
    pub product_type: ProductType,
    #[schema(value_type = Money, example = "1000000.00")]
    pub min_amount: Money,
    #[schema(value_type = Money, example = "30000000.00")]
    pub max_amount: Money,
    #[schema(minimum = 1, maximum = 360, example = 6)]
    pub min_term_months: i64,
    #[schema(minimum = 1, maximum = 360, example = 36)]
    pub max_term_months: i64,
    #[schema(value_type = Rate, example = "3.45")]
    pub min_rate: Rate,
    #[schema(value_type = Rate, example = "4.35")]
    pub max_rate: Rate,
    /// Non-empty.
    pub guarantee_methods: Vec<GuaranteeMethod>,
    /// Working days the bank takes to answer an application (default 3).
    #[schema(minimum = 1, maximum = 60)]
    pub response_sla_days: Option<i64>,
    /// Default `active`: publishing through the API means to publish; send `draft` to prepare.
    pub status: Option<ProductStatus>,
    #[serde(default)]
    pub eligibility: Eligibility,
}

/// Fields to change; absent fields keep their value.
#[derive(Debug, Default, Deserialize, Serialize, ToSchema)]
pub struct PatchProduct {
    pub name: Option<String>,
    pub description: Option<String>,
    pub product_type: Option<ProductType>,
    #[schema(value_type = Option<Money>)]
    pub min_amount: Option<Money>,
    #[schema(value_type = Option<Money>)]
    pub max_amount: Option<Money>,
    pub min_term_months: Option<i64>,
    pub max_term_months: Option<i64>,
    #[schema(value_type = Option<Rate>)]
    pub min_rate: Option<Rate>,
    #[schema(value_type = Option<Rate>)]
    pub max_rate: Option<Rate>,
    pub guarantee_methods: Option<Vec<GuaranteeMethod>>,
    pub response_sla_days: Option<i64>,
    pub status: Option<ProductStatus>,
    pub eligibility: Option<Eligibility>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ProductView {
    pub id: i64,
    pub bank_id: i64,
    pub bank_name: String,
    pub name: String,
    pub description: String,
    pub product_type: ProductType,
    #[schema(value_type = Money, example = "1000000.00")]
    pub min_amount: Money,
    #[schema(value_type = Money, example = "30000000.00")]
    pub max_amount: Money,
    pub min_term_months: i64,
    pub max_term_months: i64,
    #[schema(value_type = Rate, example = "3.45")]
    pub min_rate: Rate,
    #[schema(value_type = Rate, example = "4.35")]
    pub max_rate: Rate,
    pub guarantee_methods: Vec<GuaranteeMethod>,
    pub response_sla_days: i64,
    pub status: ProductStatus,
    pub eligibility: Eligibility,
    #[schema(format = DateTime)]
    pub created_at: String,
    #[schema(format = DateTime)]
    pub updated_at: String,
}

/// A product's editable content, validated as a whole (create and the result of a patch).
#[derive(Clone, Debug)]
struct Draft {
    name: String,
    description: String,
    product_type: ProductType,
    min_amount: Money,
    max_amount: Money,
    min_term_months: i64,
    max_term_months: i64,
    min_rate: Rate,
    max_rate: Rate,
    guarantee_methods: Vec<GuaranteeMethod>,
    response_sla_days: i64,
    status: ProductStatus,
    eligibility: Eligibility,
}

fn sorted<T: Ord + Clone>(v: &[T]) -> Vec<T> {
    let mut v = v.to_vec();
    v.sort();
    v.dedup();
    v
}

impl Draft {
    fn validate(&self) -> AppResult<()> {
        let mut v = Validator::default();
        v.name("name", &self.name);
        v.check(
            self.description.chars().count() <= MAX_DESCRIPTION_CHARS,
            "description",
            "must be at most 5000 characters",
        );
        v.check(
            !self.min_amount.is_zero(),
            "min_amount",
            "must be greater than 0",
        );
        v.check(
            self.min_amount <= self.max_amount,
            "max_amount",
            "must not be below min_amount",
        );
        v.term_months("min_term_months", self.min_term_months);
        v.term_months("max_term_months", self.max_term_months);
        v.check(
            self.min_term_months <= self.max_term_months,
            "max_term_months",
            "must not be below min_term_months",
        );
        v.check(
            self.min_rate <= self.max_rate,
            "max_rate",
            "must not be below min_rate",
        );
        v.check(
            !self.guarantee_methods.is_empty(),
            "guarantee_methods",
            "must name at least one guarantee method",
        );
        v.check(
            (1..=60).contains(&self.response_sla_days),
            "response_sla_days",
            "must be between 1 and 60 working days",
        );
        for (i, p) in self.eligibility.region_prefixes.iter().enumerate() {
            v.check(
                region::is_region_prefix(p),
                &format!("eligibility.region_prefixes[{i}]"),
                "must be 2, 4 or 6 digits",
            );
        }
        if let Some(y) = self.eligibility.min_years_established {
            v.check(
                y <= 200,
                "eligibility.min_years_established",
                "must be at most 200",
            );
        }
        v.finish()
    }

    fn fields(&self) -> ProductFields {
        let mut eligibility = self.eligibility.clone();
        eligibility.size_classes = sorted(&eligibility.size_classes);
        eligibility.industries = sorted(&eligibility.industries);
        eligibility.region_prefixes = sorted(&eligibility.region_prefixes);
        ProductFields {
            name: self.name.clone(),
            description: self.description.clone(),
            product_type: self.product_type,
            min_amount_fen: self.min_amount.fen(),
            max_amount_fen: self.max_amount.fen(),
            min_term_months: self.min_term_months,
            max_term_months: self.max_term_months,
            min_rate_units: self.min_rate.units(),
            max_rate_units: self.max_rate.units(),
            guarantee_methods: db::JsonText(sorted(&self.guarantee_methods)),
            response_sla_days: self.response_sla_days,
            status: self.status,
            eligibility: db::JsonText(eligibility),
        }
    }

    fn from_row(r: &ProductRow) -> AppResult<Self> {
        let r = &r.fields;
        Ok(Draft {
            name: r.name.clone(),
            description: r.description.clone(),
            product_type: r.product_type,
            min_amount: Money::from_fen(r.min_amount_fen),
            max_amount: Money::from_fen(r.max_amount_fen),
            min_term_months: r.min_term_months,
            max_term_months: r.max_term_months,
            min_rate: Rate::from_units(r.min_rate_units),
            max_rate: Rate::from_units(r.max_rate_units),
            guarantee_methods: r.guarantee_methods.0.clone(),
            response_sla_days: r.response_sla_days,
            status: r.status,
            eligibility: r.eligibility.0.clone(),
        })
    }

    fn apply(mut self, p: PatchProduct) -> Self {
        macro_rules! set {
            ($($f:ident),*) => {$( if let Some(v) = p.$f { self.$f = v; } )*};
        }
        set!(
            name,
            description,
            product_type,
            min_amount,
            max_amount,
            min_term_months,
            max_term_months,
            min_rate,
            max_rate,
            guarantee_methods,
            response_sla_days,
            status,
            eligibility
        );
        self
    }
}

impl ProductView {
    fn new(r: ProductRow, bank_name: String) -> AppResult<Self> {
        let d = Draft::from_row(&r)?;
        Ok(ProductView {
            id: r.id,
            bank_id: r.bank_id,
            bank_name,
            name: d.name,
            description: d.description,
            product_type: d.product_type,
            min_amount: d.min_amount,
            max_amount: d.max_amount,
            min_term_months: d.min_term_months,
            max_term_months: d.max_term_months,
            min_rate: d.min_rate,
            max_rate: d.max_rate,
            guarantee_methods: d.guarantee_methods,
            response_sla_days: d.response_sla_days,
            status: d.status,
            eligibility: d.eligibility,
            created_at: rfc3339(r.created_at),
            updated_at: rfc3339(r.updated_at),
        })
    }
}

fn bank_name(conn: &mut DbConnection, bank_id: i64) -> AppResult<String> {
    Ok(crate::db::orgs::find(conn, bank_id)?
        .map(|o| o.name)
        .unwrap_or_default())
}

/// Publishes a loan product (a bank), `active` unless it asks for `draft`.
#[tracing::instrument(skip_all, fields(bank = auth.org_id))]
pub fn create<R: Receipt<ProductView>>(
    conn: &mut DbConnection,
    auth: &Caller,
    b: CreateProduct,
    receipt: R,
) -> AppResult<R::Out> {
    auth.require(&[Role::Bank])?;
    let draft = Draft {
        name: b.name,
        description: b.description,
        product_type: b.product_type,
        min_amount: b.min_amount,
        max_amount: b.max_amount,
        min_term_months: b.min_term_months,
        max_term_months: b.max_term_months,
        min_rate: b.min_rate,
        max_rate: b.max_rate,
        guarantee_methods: b.guarantee_methods,
        response_sla_days: b.response_sla_days.unwrap_or(DEFAULT_SLA_DAYS),
        status: b.status.unwrap_or(ProductStatus::Active),
        eligibility: b.eligibility,
    };
    draft.validate()?;
    conn.write_transaction(|conn| {
        let row = repo::insert(conn, auth.org_id, &draft.fields(), clock::now())?;
        let name = bank_name(conn, auth.org_id)?;
        receipt.record(conn, ProductView::new(row, name)?)
    })
}

/// The catalog as the caller sees it (drafts only to their own bank).
pub fn list(
    conn: &mut DbConnection,
    auth: &Caller,
    filter: ProductFilter,
) -> AppResult<Vec<ProductView>> {
    repo::list(conn, &auth.scope, &filter)?
        .into_iter()
        .map(|(r, n)| ProductView::new(r, n))
        .collect()
}

/// One product (a draft only to its own bank).
pub fn get(conn: &mut DbConnection, auth: &Caller, id: i64) -> AppResult<ProductView> {
    let (row, name) =
        repo::find_visible(conn, id, &auth.scope)?.ok_or_else(|| AppError::not_found("product"))?;
    ProductView::new(row, name)
}

/// Changes a product (its own bank); the status moves draft → active ⇄ paused → retired.
#[tracing::instrument(skip(conn, auth, patch), fields(user = auth.user_id))]
pub fn patch(
    conn: &mut DbConnection,
    auth: &Caller,
    id: i64,
    patch: PatchProduct,
) -> AppResult<ProductView> {
    conn.write_transaction(|conn| {
        let owned = match auth.role {
            Role::Bank => repo::find_owned(conn, id, auth.org_id)?,
            _ => None,
        };
        let Some(row) = owned else {
            // Visible to them (another bank's active product)? Then the action is
            // forbidden; otherwise it does not exist.
            return Err(match repo::find_visible(conn, id, &auth.scope)? {
                Some(_) => AppError::forbidden("only the bank that owns a product may change it"),
                None => AppError::not_found("product"),
            });
        };
        let current = Draft::from_row(&row)?;
        if current.status == ProductStatus::Retired {
            return Err(AppError::conflict(
                ProblemCode::ProductRetired,
                "a retired product can no longer be changed",
            ));
        }
        let next = current.clone().apply(patch);
        if !current.status.can_become(next.status) {
            return Err(AppError::conflict(
                ProblemCode::InvalidTransition,
                format!(
                    "a product cannot go from {} to {}",
                    current.status, next.status
                ),
            ));
        }
        next.validate()?;
        repo::update_owned(conn, id, auth.org_id, &next.fields(), clock::now())?;
        let row = repo::find_owned(conn, id, auth.org_id)?
            .ok_or_else(|| AppError::not_found("product"))?;
        ProductView::new(row, bank_name(conn, auth.org_id)?)
    })
}
