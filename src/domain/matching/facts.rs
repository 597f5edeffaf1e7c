//! The inputs of matching: what it needs to know about a product, a demand and the
//! enterprise behind the demand.

use chrono::NaiveDate;

use crate::domain::money::Money;
use crate::domain::product::{Eligibility, GuaranteeMethod, ProductStatus, ProductType};
use crate::domain::qualification::Qualification;
use crate::domain::rate::Rate;
use crate::domain::size_class::{Industry, SizeClass};

/// What matching needs to know about a product.
#[derive(Clone, Debug)]
pub struct ProductFacts {
    pub id: i64,
    pub bank_id: i64,
    pub product_type: ProductType,
    pub status: ProductStatus,
    pub min_amount: Money,
    pub max_amount: Money,
    pub min_term_months: i64,
    pub max_term_months: i64,
    pub min_rate: Rate,
    pub max_rate: Rate,
    pub guarantee_methods: Vec<GuaranteeMethod>,
    pub response_sla_days: i64,
    pub eligibility: Eligibility,
}

/// What matching needs to know about a demand.
#[derive(Clone, Debug)]
pub struct DemandFacts {
    pub id: i64,
    pub enterprise_id: i64,
    pub amount: Money,
    pub term_months: i64,
    pub guarantee_methods: Vec<GuaranteeMethod>,
    pub max_rate: Option<Rate>,
    pub preferred_product_types: Vec<ProductType>,
}

/// What matching needs to know about the enterprise behind a demand.
#[derive(Clone, Debug)]
pub struct EnterpriseFacts {
    pub id: i64,
    pub region_code: String,
    pub industry: Industry,
    pub size_class: SizeClass,
    pub established_on: NaiveDate,
    pub annual_revenue: Money,
    pub has_prior_loan: bool,
    pub qualifications: Vec<Qualification>,
}
