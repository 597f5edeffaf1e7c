//! The demo world's fixed material: bank and finance-office names, the districts enterprises
//! live in, the parts of their names, their credit codes, and what each product type
//! typically asks for.

use rand::rngs::StdRng;
use rand::Rng;

use super::pick;
use crate::domain::credit_code::check_char;
use crate::domain::money::Money;
use crate::domain::product::{Eligibility, GuaranteeMethod, ProductType, QualificationRequirement};
use crate::domain::qualification::{QualificationKind, QualificationLevel};
use crate::domain::size_class::{Industry, SizeClass};

pub(super) const BANKS: [&str; 12] = [
    "中国工商银行青岛分行",
    "中国建设银行江苏省分行",
    "中国农业银行山东省分行",
    "中国银行苏州分行",
    "交通银行青岛分行",
    "招商银行南京分行",
    "青岛银行",
    "齐鲁银行",
    "江苏银行",
    "苏州银行",
    "兴业银行济南分行",
    "浦发银行苏州分行",
];

/// (region prefix, office name) — provinces and cities.
pub(super) const OFFICES: [(&str, &str); 5] = [
    ("37", "山东省地方金融管理局"),
    ("3702", "青岛市地方金融管理局"),
    ("32", "江苏省地方金融管理局"),
    ("3205", "苏州市地方金融管理局"),
    ("320505", "苏州高新区金融办"),
];

/// District codes enterprises live in.
pub(super) const REGIONS: [&str; 8] = [
    "370202", "370203", "370211", "370102", "320505", "320506", "320102", "320213",
];

pub(super) const NAME_PARTS: [&str; 12] = [
    "海科", "天润", "恒信", "瑞达", "新材", "华芯", "中源", "博远", "精工", "鼎盛", "蓝海", "智造",
];
pub(super) const NAME_TAILS: [&str; 6] = [
    "精密机械",
    "新材料科技",
    "信息技术",
    "生物医药",
    "电子科技",
    "智能装备",
];

/// 18-character credit code for the n-th demo organization (unique, checksum valid).
pub(super) fn demo_credit_code(n: u64, region: &str) -> String {
    const CHARSET: &[u8] = b"0123456789ABCDEFGHJKLMNPQRTUWXY";
    let mut body = format!("91{region}");
    let mut x = n + 31u64.pow(8); // fixed width: 9 base-31 digits
    let mut digits = Vec::with_capacity(9);
    for _ in 0..9 {
        digits.push(CHARSET[(x % 31) as usize] as char);
        x /= 31;
    }
    body.extend(digits.iter().rev());
    let check = check_char(body.as_bytes()).unwrap_or('0');
    format!("{body}{check}")
}

pub(super) fn product_label(t: ProductType) -> &'static str {
    match t {
        ProductType::SpecializedSme => "专精特新贷",
        ProductType::FirstLoan => "首贷",
        ProductType::Credit => "信用贷",
        ProductType::LittleGiant => "小巨人贷",
        ProductType::TechUpgrade => "技改贷",
        ProductType::Renewal => "无还本续贷",
        ProductType::IpPledge => "知识产权质押贷",
        ProductType::SupplyChain => "供应链融资",
        ProductType::Green => "绿色贷",
        ProductType::SciTech => "科创贷",
        ProductType::Other => "经营贷",
    }
}

/// Guarantee methods and eligibility typical of each product type.
pub(super) fn product_profile(
    t: ProductType,
    rng: &mut StdRng,
) -> (Vec<GuaranteeMethod>, Eligibility) {
    use GuaranteeMethod::*;
    let req = |kind, min_level| QualificationRequirement { kind, min_level };
    let mut e = Eligibility::default();
    let methods = match t {
        ProductType::SpecializedSme => {
            e.qualifications_any = vec![req(
                QualificationKind::SpecializedSme,
                QualificationLevel::Provincial,
            )];
            vec![Credit, Guarantee]
        }
        ProductType::LittleGiant => {
            e.qualifications_any = vec![req(
                QualificationKind::LittleGiant,
                QualificationLevel::National,
            )];
            vec![Credit]
        }
        ProductType::FirstLoan => {
            e.first_loan_only = true;
            vec![Credit, Guarantee]
        }
        ProductType::Credit => {
            e.min_years_established = Some(2);
            vec![Credit]
        }
        ProductType::SciTech => {
            e.qualifications_any = vec![
                req(QualificationKind::HighTech, QualificationLevel::Municipal),
                req(QualificationKind::TechSme, QualificationLevel::Municipal),
            ];
            vec![Credit, Pledge]
        }
        ProductType::IpPledge => vec![Pledge],
        ProductType::TechUpgrade => {
            e.industries = vec![Industry::Industry];
            vec![Mortgage, Guarantee]
        }
        ProductType::Green => vec![Credit, Mortgage],
        ProductType::SupplyChain => vec![Pledge, Guarantee],
        ProductType::Renewal => {
            e.min_annual_revenue = Some(Money::from_fen(5_000_000 * 100));
            vec![Mortgage, Guarantee, Credit]
        }
        ProductType::Other => vec![Mortgage, Guarantee],
    };
    if rng.gen_bool(0.3) {
        e.region_prefixes = vec![pick(rng, &["37", "3702", "32", "3205"]).to_owned()];
    }
    if rng.gen_bool(0.2) {
        e.size_classes = vec![SizeClass::Small, SizeClass::Micro];
    }
    (methods, e)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::credit_code::CreditCode;

    #[test]
    fn demo_credit_codes_are_valid_and_distinct() {
        let codes: Vec<String> = (0..2000).map(|n| demo_credit_code(n, "370202")).collect();
        for c in &codes {
            assert!(CreditCode::parse(c).is_ok(), "{c}");
        }
        let mut sorted = codes.clone();
        sorted.sort();
        sorted.dedup();
        assert_eq!(sorted.len(), codes.len());
    }
}
