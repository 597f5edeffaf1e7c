//! The hard criteria of SPEC §3.5 (eligibility), each with the detail a near miss reads:
//! what would make the enterprise eligible.

use chrono::{Datelike, NaiveDate};

use super::facts::{DemandFacts, EnterpriseFacts, ProductFacts};
use super::reasons::{said, Sink};
use crate::domain::lang::{list_en as list, list_zh};
use crate::domain::product::{GuaranteeMethod, ProductStatus, ProductType};
use crate::domain::qualification::{counted_as, counted_as_zh, satisfying};
use crate::domain::size_class::{Industry, SizeClass};

/// Whole years from `from` to `to` (anniversary based).
pub fn whole_years(from: NaiveDate, to: NaiveDate) -> i64 {
    let mut years = i64::from(to.year() - from.year());
    if (to.month(), to.day()) < (from.month(), from.day()) {
        years -= 1;
    }
    years.max(0)
}

/// The hard criteria, in the order SPEC §3.5 lists them.
pub(super) fn criteria(
    p: &ProductFacts,
    d: &DemandFacts,
    e: &EnterpriseFacts,
    today: NaiveDate,
    out: &mut impl Sink,
) {
    let el = &p.eligibility;
    let active = p.status == ProductStatus::Active;
    out.criterion("product_active", active, || {
        if active {
            said("the product is active", "产品在售")
        } else {
            said(
                format!("the product is {}, not accepting applications", p.status),
                format!("产品{}，暂不受理申请", p.status.label_zh()),
            )
        }
        .with("status", p.status)
    });
    // 无还本续贷 renews a loan the bank already made (§3.13); it never serves a new demand.
    let serves_demands = p.product_type != ProductType::Renewal;
    out.criterion("product_type", serves_demands, || {
        if serves_demands {
            said(
                format!("a {} product serves new demands", p.product_type),
                format!("{}产品受理新的融资需求", p.product_type.label_zh()),
            )
        } else {
            said(
                "a renewal (无还本续贷) product renews an existing loan of its bank: request a renewal of that loan instead",
                "无还本续贷产品只为本行已发放的贷款续贷：请对该笔贷款申请续贷",
            )
        }
        .with("product_type", p.product_type)
    });
    let amount_ok = p.min_amount <= d.amount && d.amount <= p.max_amount;
    out.criterion("amount_range", amount_ok, || {
        let (a, lo, hi) = (d.amount, p.min_amount, p.max_amount);
        if amount_ok {
            said(
                format!("amount {a} is within {lo}–{hi}"),
                format!("需求金额 {a} 元在产品额度 {lo}–{hi} 元之内"),
            )
        } else if a < lo {
            said(
                format!("amount {a} is below the minimum {lo}: request at least {lo}"),
                format!("需求金额 {a} 元低于最低额度 {lo} 元：申请金额至少 {lo} 元"),
            )
        } else {
            said(
                format!("amount {a} is above the maximum {hi}: request at most {hi}"),
                format!("需求金额 {a} 元高于最高额度 {hi} 元：申请金额至多 {hi} 元"),
            )
        }
        .with("amount", a)
        .with("min_amount", lo)
        .with("max_amount", hi)
    });
    let term_ok = p.min_term_months <= d.term_months && d.term_months <= p.max_term_months;
    out.criterion("term_range", term_ok, || {
        let (t, lo, hi) = (d.term_months, p.min_term_months, p.max_term_months);
        if term_ok {
            said(
                format!("term {t} months is within {lo}–{hi}"),
                format!("期限 {t} 个月在 {lo}–{hi} 个月之内"),
            )
        } else {
            said(
                format!("term {t} months is outside {lo}–{hi} months: choose a term in that range"),
                format!("期限 {t} 个月不在 {lo}–{hi} 个月之内：请选择该范围内的期限"),
            )
        }
        .with("term_months", t)
        .with("min_term_months", lo)
        .with("max_term_months", hi)
    });
    let overlap = d
        .guarantee_methods
        .iter()
        .any(|m| p.guarantee_methods.contains(m));
    out.criterion("guarantee_methods", overlap, || {
        if overlap {
            let common: Vec<GuaranteeMethod> = d
                .guarantee_methods
                .iter()
                .copied()
                .filter(|m| p.guarantee_methods.contains(m))
                .collect();
            said(
                format!("both accept {}", list(&common)),
                format!("双方均接受{}", list_zh(&common, GuaranteeMethod::label_zh)),
            )
            .with("guarantee_methods", list(&common))
        } else {
            said(
                format!(
                    "the product accepts {}; offer one of them",
                    list(&p.guarantee_methods)
                ),
                format!(
                    "产品接受{}：请提供其中一种担保方式",
                    list_zh(&p.guarantee_methods, GuaranteeMethod::label_zh)
                ),
            )
            .with("guarantee_methods", list(&p.guarantee_methods))
        }
    });
    let rate_ok = d.max_rate.is_none_or(|m| m >= p.min_rate);
    out.criterion("max_rate", rate_ok, || {
        match d.max_rate {
            None => said("no maximum rate was set", "需求未设最高利率"),
            Some(m) if rate_ok => said(
                format!(
                    "the product's minimum rate {}% is within the maximum {}%",
                    p.min_rate, m
                ),
                format!("产品最低利率 {}% 不高于可接受的最高利率 {}%", p.min_rate, m),
            )
            .with("max_rate", m),
            Some(m) => said(
                format!(
                    "the product's minimum rate {}% exceeds the maximum {}%: accept at least {}%",
                    p.min_rate, m, p.min_rate
                ),
                format!(
                    "产品最低利率 {}% 高于可接受的最高利率 {}%：可接受利率需至少 {}%",
                    p.min_rate, m, p.min_rate
                ),
            )
            .with("max_rate", m),
        }
        .with("min_rate", p.min_rate)
    });
    if !el.qualifications_any.is_empty() {
        let held = el.qualifications_any.iter().find_map(|q| {
            satisfying(&e.qualifications, q.kind, q.min_level, today).map(|c| (q, c))
        });
        out.criterion("qualifications", held.is_some(), || match held {
            Some((q, c)) => said(
                counted_as(c, q.kind, q.min_level),
                counted_as_zh(c, q.kind, q.min_level),
            )
            .with("kind", q.kind)
            .with("min_level", q.min_level)
            .with("certificate_kind", c.kind)
            .with("certificate_level", c.level),
            None => {
                let wanted: Vec<String> = el
                    .qualifications_any
                    .iter()
                    .map(|q| format!("a {} {} qualification", q.min_level, q.kind))
                    .collect();
                let wanted_zh: Vec<String> = el
                    .qualifications_any
                    .iter()
                    .map(|q| format!("{}{}", q.min_level.label_zh(), q.kind.label_zh()))
                    .collect();
                let kinds: Vec<String> = el
                    .qualifications_any
                    .iter()
                    .map(|q| format!("{}:{}", q.kind, q.min_level))
                    .collect();
                said(
                    format!("obtain {} (valid today) to qualify", wanted.join(" or ")),
                    format!("取得{}认定后可申请", wanted_zh.join("或")),
                )
                .with("qualifications", kinds.join(", "))
            }
        });
    }
    if !el.size_classes.is_empty() {
        let ok = el.size_classes.contains(&e.size_class);
        out.criterion("size_class", ok, || {
            if ok {
                said(
                    format!("size class {} is accepted", e.size_class),
                    format!("企业划型为{}，符合要求", e.size_class.label_zh()),
                )
            } else {
                said(
                    format!(
                        "size class {} is not among {}",
                        e.size_class,
                        list(&el.size_classes)
                    ),
                    format!(
                        "企业划型为{}，产品仅面向{}",
                        e.size_class.label_zh(),
                        list_zh(&el.size_classes, SizeClass::label_zh)
                    ),
                )
            }
            .with("size_class", e.size_class)
            .with("size_classes", list(&el.size_classes))
        });
    }
    if !el.region_prefixes.is_empty() {
        let ok = el
            .region_prefixes
            .iter()
            .any(|pre| e.region_code.starts_with(pre.as_str()));
        out.criterion("region", ok, || {
            if ok {
                said(
                    format!("region {} is served", e.region_code),
                    format!("所在地区 {} 在服务范围内", e.region_code),
                )
            } else {
                said(
                    format!(
                        "region {} is outside the served regions {}",
                        e.region_code,
                        list(&el.region_prefixes)
                    ),
                    format!(
                        "所在地区 {} 不在服务范围 {} 内",
                        e.region_code,
                        el.region_prefixes.join("、")
                    ),
                )
            }
            .with("region_code", &e.region_code)
            .with("region_prefixes", list(&el.region_prefixes))
        });
    }
    if !el.industries.is_empty() {
        let ok = el.industries.contains(&e.industry);
        out.criterion("industry", ok, || {
            if ok {
                said(
                    format!("industry {} is accepted", e.industry),
                    format!("所属行业{}符合要求", e.industry.label_zh()),
                )
            } else {
                said(
                    format!(
                        "industry {} is not among {}",
                        e.industry,
                        list(&el.industries)
                    ),
                    format!(
                        "所属行业{}不在{}之列",
                        e.industry.label_zh(),
                        list_zh(&el.industries, Industry::label_zh)
                    ),
                )
            }
            .with("industry", e.industry)
            .with("industries", list(&el.industries))
        });
    }
    if let Some(min_years) = el.min_years_established {
        let years = whole_years(e.established_on, today);
        let ok = years >= i64::from(min_years);
        out.criterion("years_established", ok, || {
            if ok {
                said(
                    format!("established {years} full years ago (at least {min_years} required)"),
                    format!("成立满 {years} 年（要求至少 {min_years} 年）"),
                )
            } else {
                said(
                    format!("established {years} full years ago; {min_years} required"),
                    format!("成立满 {years} 年，要求至少 {min_years} 年"),
                )
            }
            .with("years", years)
            .with("min_years", min_years)
        });
    }
    if let Some(min_revenue) = el.min_annual_revenue {
        let ok = e.annual_revenue >= min_revenue;
        out.criterion("annual_revenue", ok, || {
            let r = e.annual_revenue;
            if ok {
                said(
                    format!("annual revenue {r} meets the minimum {min_revenue}"),
                    format!("年营业收入 {r} 元达到最低要求 {min_revenue} 元"),
                )
            } else {
                said(
                    format!("annual revenue {r} is below the minimum {min_revenue}"),
                    format!("年营业收入 {r} 元低于最低要求 {min_revenue} 元"),
                )
            }
            .with("annual_revenue", r)
            .with("min_annual_revenue", min_revenue)
        });
    }
    if el.first_loan_only {
        out.criterion("first_loan_only", !e.has_prior_loan, || {
            if e.has_prior_loan {
                said(
                    "the product is only for first-time borrowers (首贷户) and the enterprise has had a loan",
                    "产品仅面向首贷户，企业已有贷款记录",
                )
            } else {
                said(
                    "a first-time borrower (首贷户), as the product requires",
                    "企业为首贷户，符合产品要求",
                )
            }
            .with("has_prior_loan", e.has_prior_loan)
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::matching::fixtures::{d, demand, enterprise, eval, failed, product, TODAY};
    use crate::domain::money::Money;
    use crate::domain::product::{Eligibility, QualificationRequirement};
    use crate::domain::qualification::{QualificationKind, QualificationLevel};
    use crate::domain::rate::Rate;
    use crate::domain::size_class::{Industry, SizeClass};

    /// A 小巨人 certificate meets a provincial 专精特新 requirement and an entry-tier one, and
    /// the reason names the certificate that counted (工信部企业〔2026〕2号).
    #[test]
    fn a_higher_tier_meets_a_lower_requirement_and_says_so() {
        let mut p = product();
        let mut e = enterprise();
        e.qualifications[0].kind = QualificationKind::LittleGiant;
        e.qualifications[0].level = QualificationLevel::National;
        for (kind, level) in [
            (
                QualificationKind::SpecializedSme,
                QualificationLevel::Provincial,
            ),
            (
                QualificationKind::InnovativeSme,
                QualificationLevel::Municipal,
            ),
        ] {
            p.eligibility.qualifications_any = vec![QualificationRequirement {
                kind,
                min_level: level,
            }];
            let ev = eval(&p, &demand(), &e);
            assert!(ev.eligible, "{:?}", failed(&ev));
            let r = ev
                .reasons
                .iter()
                .find(|r| r.criterion == "qualifications")
                .unwrap();
            assert!(
                r.detail
                    .contains("little_giant certificate, which counts as"),
                "{}",
                r.detail
            );
        }
        // Not the other way round: a provincial 专精特新 does not meet a 小巨人 requirement.
        p.eligibility.qualifications_any = vec![QualificationRequirement {
            kind: QualificationKind::LittleGiant,
            min_level: QualificationLevel::National,
        }];
        assert_eq!(
            failed(&eval(&p, &demand(), &enterprise())),
            vec!["qualifications"]
        );
    }

    /// Every hard criterion, failing alone, makes the pair ineligible and names itself.
    #[test]
    fn each_criterion_fails_alone() {
        type Case = (
            &'static str,
            Box<dyn Fn(&mut ProductFacts, &mut DemandFacts, &mut EnterpriseFacts)>,
        );
        let cases: Vec<Case> = vec![
            (
                "product_active",
                Box::new(|p, _, _| p.status = ProductStatus::Paused),
            ),
            (
                "amount_range",
                Box::new(|_, dm, _| dm.amount = Money::parse("9000000.01").unwrap()),
            ),
            (
                "amount_range",
                Box::new(|_, dm, _| dm.amount = Money::parse("999999.99").unwrap()),
            ),
            ("term_range", Box::new(|_, dm, _| dm.term_months = 37)),
            ("term_range", Box::new(|_, dm, _| dm.term_months = 5)),
            (
                "guarantee_methods",
                Box::new(|_, dm, _| dm.guarantee_methods = vec![GuaranteeMethod::Mortgage]),
            ),
            (
                "max_rate",
                Box::new(|_, dm, _| dm.max_rate = Some(Rate::parse("3.44").unwrap())),
            ),
            (
                "product_type",
                Box::new(|p, _, _| p.product_type = ProductType::Renewal),
            ),
            (
                "qualifications",
                Box::new(|p, _, _| {
                    p.eligibility.qualifications_any = vec![QualificationRequirement {
                        kind: QualificationKind::SpecializedSme,
                        min_level: QualificationLevel::National,
                    }]
                }),
            ),
            (
                "size_class",
                Box::new(|p, _, _| p.eligibility.size_classes = vec![SizeClass::Micro]),
            ),
            (
                "region",
                Box::new(|p, _, _| p.eligibility.region_prefixes = vec!["32".into()]),
            ),
            (
                "industry",
                Box::new(|p, _, _| p.eligibility.industries = vec![Industry::SoftwareIt]),
            ),
            (
                "years_established",
                Box::new(|p, _, _| p.eligibility.min_years_established = Some(11)),
            ),
            (
                "annual_revenue",
                Box::new(|p, _, _| {
                    p.eligibility.min_annual_revenue = Some(Money::parse("35000000.01").unwrap())
                }),
            ),
            (
                "first_loan_only",
                Box::new(|p, _, e| {
                    p.eligibility.first_loan_only = true;
                    e.has_prior_loan = true;
                }),
            ),
        ];
        for (criterion, change) in cases {
            let (mut p, mut dm, mut e) = (product(), demand(), enterprise());
            change(&mut p, &mut dm, &mut e);
            let ev = eval(&p, &dm, &e);
            assert!(!ev.eligible, "{criterion}");
            assert_eq!(failed(&ev), vec![criterion]);
        }
    }

    /// And each constrained criterion passes at its boundary.
    #[test]
    fn each_criterion_passes_at_its_boundary() {
        let mut p = product();
        p.eligibility = Eligibility {
            qualifications_any: vec![QualificationRequirement {
                kind: QualificationKind::SpecializedSme,
                min_level: QualificationLevel::Provincial,
            }],
            size_classes: vec![SizeClass::Small, SizeClass::Micro],
            region_prefixes: vec!["3702".into()],
            industries: vec![Industry::Industry],
            min_years_established: Some(10),
            min_annual_revenue: Some(Money::parse("35000000").unwrap()),
            first_loan_only: true,
        };
        let mut dm = demand();
        dm.amount = p.max_amount;
        dm.term_months = p.min_term_months;
        dm.max_rate = Some(p.min_rate);
        let ev = eval(&p, &dm, &enterprise());
        assert!(ev.eligible, "{:?}", failed(&ev));
        assert_eq!(ev.reasons.iter().filter(|r| r.points.is_none()).count(), 13);
        // The 10th anniversary is 2026-05-18, before today: 10 full years.
        assert_eq!(whole_years(d("2016-11-23"), d(TODAY)), 9);
        assert_eq!(whole_years(d("2016-11-22"), d(TODAY)), 10);
    }

    #[test]
    fn qualification_validity_dates_count() {
        let mut p = product();
        p.eligibility.qualifications_any = vec![QualificationRequirement {
            kind: QualificationKind::SpecializedSme,
            min_level: QualificationLevel::Municipal,
        }];
        let mut e = enterprise();
        e.qualifications[0].expires_on = d("2026-11-22");
        assert!(eval(&p, &demand(), &e).eligible, "valid on its expiry day");
        e.qualifications[0].expires_on = d("2026-11-21");
        let ev = eval(&p, &demand(), &e);
        assert!(!ev.eligible);
        let hint = &ev
            .reasons
            .iter()
            .find(|r| r.criterion == "qualifications")
            .unwrap()
            .detail;
        assert!(
            hint.contains("obtain a municipal specialized_sme qualification"),
            "{hint}"
        );
        e.qualifications[0].expires_on = d("2027-12-31");
        e.qualifications[0].certified_on = d("2026-11-23");
        assert!(
            !eval(&p, &demand(), &e).eligible,
            "not valid before certification"
        );
    }

    #[test]
    fn near_miss_says_what_to_change() {
        let mut dm = demand();
        dm.amount = Money::parse("12000000").unwrap();
        let ev = eval(&product(), &dm, &enterprise());
        let r = ev
            .reasons
            .iter()
            .find(|r| r.criterion == "amount_range")
            .unwrap();
        assert_eq!(
            r.detail,
            "amount 12000000.00 is above the maximum 9000000.00: request at most 9000000.00"
        );
    }
}
