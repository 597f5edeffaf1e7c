//! Loan products (金融产品): types, guarantee methods, lifecycle status and eligibility.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::money::Money;
use super::qualification::{QualificationKind, QualificationLevel};
use super::size_class::{Industry, SizeClass};

/// Every loan term finmatch accepts, in months (up to 30 years): products, approvals,
/// disbursements, subsidy windows and simulations.
pub const TERM_MONTHS: std::ops::RangeInclusive<i64> = 1..=360;

str_enum! {
    pub enum ProductType {
        SpecializedSme = "specialized_sme" / "专精特新贷",
        FirstLoan = "first_loan" / "首贷",
        Credit = "credit" / "信用贷",
        LittleGiant = "little_giant" / "小巨人贷",
        TechUpgrade = "tech_upgrade" / "技改贷",
        Renewal = "renewal" / "无还本续贷",
        IpPledge = "ip_pledge" / "知识产权质押贷",
        SupplyChain = "supply_chain" / "供应链融资",
        Green = "green" / "绿色贷",
        SciTech = "sci_tech" / "科创贷",
        Other = "other" / "其他",
    }
}

str_enum! {
    pub enum GuaranteeMethod {
        Credit = "credit" / "信用",
        Guarantee = "guarantee" / "保证/担保",
        Pledge = "pledge" / "质押",
        Mortgage = "mortgage" / "抵押",
    }
}

impl GuaranteeMethod {
    /// Whether a product offering `methods` lends on credit (信用): the one test behind the
    /// 信用贷款 share of the reports.
    pub fn lends_on_credit(methods: &[GuaranteeMethod]) -> bool {
        methods.contains(&GuaranteeMethod::Credit)
    }
}

str_enum! {
    /// draft → active ⇄ paused; any → retired (final).
    pub enum ProductStatus {
        Draft = "draft" / "草稿",
        Active = "active" / "上架",
        Paused = "paused" / "暂停",
        Retired = "retired" / "下架",
    }
}

impl ProductStatus {
    /// May a product move from `self` to `to`? Staying put is always allowed.
    pub fn can_become(self, to: ProductStatus) -> bool {
        use ProductStatus::*;
        self == to
            || matches!(
                (self, to),
                (Draft, Active) | (Active, Paused) | (Paused, Active) | (_, Retired)
            ) && self != Retired
    }
}

/// One acceptable qualification: `kind` at `min_level` or above.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct QualificationRequirement {
    pub kind: QualificationKind,
    pub min_level: QualificationLevel,
}

/// Structured eligibility of a product. Empty lists and absent values mean "no constraint".
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(default)]
pub struct Eligibility {
    /// The enterprise must hold at least one of these, valid today.
    pub qualifications_any: Vec<QualificationRequirement>,
    pub size_classes: Vec<SizeClass>,
    /// 行政区划代码 prefixes (2, 4 or 6 digits).
    pub region_prefixes: Vec<String>,
    pub industries: Vec<Industry>,
    pub min_years_established: Option<u32>,
    /// Minimum annual revenue, yuan.
    #[schema(value_type = Option<Money>, example = "10000000.00")]
    pub min_annual_revenue: Option<Money>,
    /// Only enterprises without a prior loan (首贷户).
    pub first_loan_only: bool,
}

#[cfg(test)]
mod tests {
    use super::*;
    use ProductStatus::*;

    #[test]
    fn status_changes() {
        assert!(Draft.can_become(Active) && Active.can_become(Paused) && Paused.can_become(Active));
        assert!(
            Draft.can_become(Retired) && Active.can_become(Retired) && Paused.can_become(Retired)
        );
        assert!(Active.can_become(Active));
        assert!(!Active.can_become(Draft) && !Paused.can_become(Draft));
        assert!(!Retired.can_become(Active) && !Retired.can_become(Draft));
        assert!(Retired.can_become(Retired));
    }

    #[test]
    fn eligibility_defaults_to_no_constraint() {
        let e: Eligibility = serde_json::from_str("{}").unwrap();
        assert_eq!(e, Eligibility::default());
        let e: Eligibility = serde_json::from_str(
            r#"{"qualifications_any":[{"kind":"specialized_sme","min_level":"provincial"}],"min_annual_revenue":"1000.00"}"#,
        )
        .unwrap();
        assert_eq!(
            e.qualifications_any[0].min_level,
            QualificationLevel::Provincial
        );
        assert_eq!(e.min_annual_revenue, Some(Money::from_fen(100_000)));
    }
}
