//! 中小企业划型 (SME size classification), 工信部联企业〔2011〕300号.
//!
//! Indicators: X = employees (从业人员, persons), Y = annual revenue (营业收入, 万元),
//! Z = total assets (资产总额, 万元). "X及以上" is inclusive and "以下" exclusive.
//! Large: every indicator at or above the SME ceiling (below either ⇒ SME).
//! Medium / small: every indicator at or above that tier's lower bound. Otherwise micro
//! (one indicator below the small bound is enough).

use super::money::Money;
use rust_decimal::Decimal;

str_enum! {
    /// The 16 划型 industries, in the order of the standard's table.
    pub enum Industry {
        Agriculture = "agriculture" / "农、林、牧、渔业",
        /// 工业 (采矿业, 制造业, 电力、热力、燃气及水生产和供应业)
        Industry = "industry" / "工业",
        Construction = "construction" / "建筑业",
        Wholesale = "wholesale" / "批发业",
        Retail = "retail" / "零售业",
        /// 交通运输业 (不含铁路运输业)
        Transport = "transport" / "交通运输业",
        Warehousing = "warehousing" / "仓储业",
        Postal = "postal" / "邮政业",
        Accommodation = "accommodation" / "住宿业",
        Catering = "catering" / "餐饮业",
        /// 信息传输业 (电信、互联网)
        InformationTransmission = "information_transmission" / "信息传输业",
        SoftwareIt = "software_it" / "软件和信息技术服务业",
        RealEstateDevelopment = "real_estate_development" / "房地产开发经营",
        PropertyManagement = "property_management" / "物业管理",
        LeasingBusinessServices = "leasing_business_services" / "租赁和商务服务业",
        Other = "other" / "其他未列明行业",
    }
}

str_enum! {
    /// Ordered from smallest to largest.
    pub enum SizeClass {
        Micro = "micro" / "微型",
        Small = "small" / "小型",
        Medium = "medium" / "中型",
        Large = "large" / "大型",
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Indicator {
    Employees,
    Revenue,
    Assets,
}

/// One row of the standard: the indicators used and three tiers of lower bounds
/// (SME ceiling, medium, small), each bound in persons or 万元.
struct Row {
    industry: Industry,
    indicators: &'static [Indicator],
    ceiling: &'static [i64],
    medium: &'static [i64],
    small: &'static [i64],
}

use Indicator::{Assets as Z, Employees as X, Revenue as Y};

const TABLE: [Row; 16] = [
    Row {
        industry: Industry::Agriculture,
        indicators: &[Y],
        ceiling: &[20000],
        medium: &[500],
        small: &[50],
    },
    Row {
        industry: Industry::Industry,
        indicators: &[X, Y],
        ceiling: &[1000, 40000],
        medium: &[300, 2000],
        small: &[20, 300],
    },
    Row {
        industry: Industry::Construction,
        indicators: &[Y, Z],
        ceiling: &[80000, 80000],
        medium: &[6000, 5000],
        small: &[300, 300],
    },
    Row {
        industry: Industry::Wholesale,
        indicators: &[X, Y],
        ceiling: &[200, 40000],
        medium: &[20, 5000],
        small: &[5, 1000],
    },
    Row {
        industry: Industry::Retail,
        indicators: &[X, Y],
        ceiling: &[300, 20000],
        medium: &[50, 500],
        small: &[10, 100],
    },
    Row {
        industry: Industry::Transport,
        indicators: &[X, Y],
        ceiling: &[1000, 30000],
        medium: &[300, 3000],
        small: &[20, 200],
    },
    Row {
        industry: Industry::Warehousing,
        indicators: &[X, Y],
        ceiling: &[200, 30000],
        medium: &[100, 1000],
        small: &[20, 100],
    },
    Row {
        industry: Industry::Postal,
        indicators: &[X, Y],
        ceiling: &[1000, 30000],
        medium: &[300, 2000],
        small: &[20, 100],
    },
    Row {
        industry: Industry::Accommodation,
        indicators: &[X, Y],
        ceiling: &[300, 10000],
        medium: &[100, 2000],
        small: &[10, 100],
    },
    Row {
        industry: Industry::Catering,
        indicators: &[X, Y],
        ceiling: &[300, 10000],
        medium: &[100, 2000],
        small: &[10, 100],
    },
    Row {
        industry: Industry::InformationTransmission,
        indicators: &[X, Y],
        ceiling: &[2000, 100000],
        medium: &[100, 1000],
        small: &[10, 100],
    },
    Row {
        industry: Industry::SoftwareIt,
        indicators: &[X, Y],
        ceiling: &[300, 10000],
        medium: &[100, 1000],
        small: &[10, 50],
    },
    Row {
        industry: Industry::RealEstateDevelopment,
        indicators: &[Y, Z],
        ceiling: &[200000, 10000],
        medium: &[1000, 5000],
        small: &[100, 2000],
    },
    Row {
        industry: Industry::PropertyManagement,
        indicators: &[X, Y],
        ceiling: &[1000, 5000],
        medium: &[300, 1000],
        small: &[100, 500],
    },
    Row {
        industry: Industry::LeasingBusinessServices,
        indicators: &[X, Z],
        ceiling: &[300, 120000],
        medium: &[100, 8000],
        small: &[10, 100],
    },
    Row {
        industry: Industry::Other,
        indicators: &[X],
        ceiling: &[300],
        medium: &[100],
        small: &[10],
    },
];

/// The figures the classification reads.
#[derive(Clone, Copy, Debug)]
pub struct SizeInputs {
    pub employees: i64,
    pub annual_revenue: Money,
    pub total_assets: Money,
}

pub fn classify(industry: Industry, inputs: SizeInputs) -> SizeClass {
    let row = TABLE
        .iter()
        .find(|r| r.industry == industry)
        .expect("TABLE covers every industry");
    let value = |ind: Indicator| -> Decimal {
        match ind {
            Indicator::Employees => Decimal::from(inputs.employees),
            Indicator::Revenue => inputs.annual_revenue.wan_yuan(),
            Indicator::Assets => inputs.total_assets.wan_yuan(),
        }
    };
    let all_at_least = |bounds: &[i64]| {
        row.indicators
            .iter()
            .zip(bounds)
            .all(|(&ind, &bound)| value(ind) >= Decimal::from(bound))
    };
    if all_at_least(row.ceiling) {
        SizeClass::Large
    } else if all_at_least(row.medium) {
        SizeClass::Medium
    } else if all_at_least(row.small) {
        SizeClass::Small
    } else {
        SizeClass::Micro
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn wan(w: i64) -> Money {
        Money::from_fen(w * 1_000_000)
    }

    /// Inputs where each indicator the row uses sits at `bounds` and the others are huge,
    /// so only the row's own indicators decide.
    fn at(row: &Row, bounds: &[i64]) -> SizeInputs {
        let mut x = 1_000_000_000i64;
        let mut y = wan(1_000_000_000);
        let mut z = wan(1_000_000_000);
        for (&ind, &b) in row.indicators.iter().zip(bounds) {
            match ind {
                Indicator::Employees => x = b,
                Indicator::Revenue => y = wan(b),
                Indicator::Assets => z = wan(b),
            }
        }
        SizeInputs {
            employees: x,
            annual_revenue: y,
            total_assets: z,
        }
    }

    fn minus_one_unit(row: &Row, bounds: &[i64], idx: usize) -> SizeInputs {
        let mut inputs = at(row, bounds);
        match row.indicators[idx] {
            Indicator::Employees => inputs.employees -= 1,
            // One fen below the bound: "以下" is exclusive all the way down.
            Indicator::Revenue => {
                inputs.annual_revenue = Money::from_fen(inputs.annual_revenue.fen() - 1)
            }
            Indicator::Assets => {
                inputs.total_assets = Money::from_fen(inputs.total_assets.fen() - 1)
            }
        }
        inputs
    }

    /// Every boundary of every industry: at the bound is the tier ("及以上" inclusive);
    /// one unit below on any single indicator drops a tier.
    #[test]
    fn every_boundary_of_every_industry() {
        for row in TABLE.iter() {
            let tiers = [
                (row.ceiling, SizeClass::Large, SizeClass::Medium),
                (row.medium, SizeClass::Medium, SizeClass::Small),
                (row.small, SizeClass::Small, SizeClass::Micro),
            ];
            for (bounds, at_class, _) in tiers {
                assert_eq!(
                    classify(row.industry, at(row, bounds)),
                    at_class,
                    "{:?} at {bounds:?}",
                    row.industry
                );
            }
            // Just below the small bound on one indicator is micro (micro needs only one).
            for i in 0..row.indicators.len() {
                let inputs = minus_one_unit(row, row.small, i);
                assert_eq!(
                    classify(row.industry, inputs),
                    SizeClass::Micro,
                    "{:?} below small on #{i}",
                    row.industry
                );
                // Below the ceiling on one indicator (others huge) is an SME: that row's medium at most.
                let inputs = minus_one_unit(row, row.ceiling, i);
                assert_ne!(
                    classify(row.industry, inputs),
                    SizeClass::Large,
                    "{:?} below ceiling on #{i}",
                    row.industry
                );
            }
        }
    }

    #[test]
    fn medium_needs_both_indicators() {
        // 工业: X ≥ 300 and Y ≥ 2000 is medium; 500 people but 1999 万元 revenue is small.
        let i = |x, y| SizeInputs {
            employees: x,
            annual_revenue: wan(y),
            total_assets: Money::ZERO,
        };
        assert_eq!(
            classify(Industry::Industry, i(300, 2000)),
            SizeClass::Medium
        );
        assert_eq!(classify(Industry::Industry, i(500, 1999)), SizeClass::Small);
        assert_eq!(classify(Industry::Industry, i(19, 30000)), SizeClass::Micro);
        assert_eq!(
            classify(Industry::Industry, i(1000, 40000)),
            SizeClass::Large
        );
        assert_eq!(
            classify(Industry::Industry, i(999, 100000)),
            SizeClass::Medium
        );
        // 软件: 10 people and 50 万元 is small; 9 people is micro.
        assert_eq!(classify(Industry::SoftwareIt, i(10, 50)), SizeClass::Small);
        assert_eq!(classify(Industry::SoftwareIt, i(9, 50)), SizeClass::Micro);
        // 农业 reads revenue only.
        assert_eq!(
            classify(Industry::Agriculture, i(100000, 49)),
            SizeClass::Micro
        );
    }

    #[test]
    fn industry_keys_round_trip() {
        for &ind in Industry::ALL {
            assert_eq!(Industry::parse(ind.as_str()), Some(ind));
            assert!(TABLE.iter().any(|r| r.industry == ind));
        }
    }

    proptest! {
        /// More of every indicator never makes a firm smaller.
        #[test]
        fn monotone(ind in proptest::sample::select(Industry::ALL.to_vec()),
                    x in 0i64..5000, y in 0i64..300_000_000_000, z in 0i64..300_000_000_000,
                    dx in 0i64..5000, dy in 0i64..300_000_000_000, dz in 0i64..300_000_000_000) {
            let a = SizeInputs { employees: x, annual_revenue: Money::from_fen(y), total_assets: Money::from_fen(z) };
            let b = SizeInputs { employees: x + dx, annual_revenue: Money::from_fen(y + dy), total_assets: Money::from_fen(z + dz) };
            prop_assert!(classify(ind, a) <= classify(ind, b));
        }
    }
}
