//! The hard criteria of SPEC §3.5 (eligibility), each with the detail a near miss reads:
//! what would make the enterprise eligible.

use chrono::{Datelike, NaiveDate};

use super::facts::{DemandFacts, EnterpriseFacts, ProductFacts};
use super::reasons::Sink;
use crate::domain::product::{GuaranteeMethod, ProductStatus, ProductType};
use crate::domain::qualification::{counted_as, satisfying};

/// Whole years from `from` to `to` (anniversary based).
pub fn whole_years(from: NaiveDate, to: NaiveDate) -> i64 {
    let mut years = i64::from(to.year() - from.year());
    if (to.month(), to.day()) < (from.month(), from.day()) {
        years -= 1;
    }
    years.max(0)
}

fn list<T: std::fmt::Display>(items: &[T]) -> String {
    items
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(", ")
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
            "the product is active".into()
        } else {
            format!("the product is {}, not accepting applications", p.status)
        }
    });
    // 无还本续贷 renews a loan the bank already made (§3.13); it never serves a new demand.
    let serves_demands = p.product_type != ProductType::Renewal;
    out.criterion("product_type", serves_demands, || {
        if serves_demands {
            format!("a {} product serves new demands", p.product_type)
        } else {
            "a renewal (无还本续贷) product renews an existing loan of its bank: request a renewal of that loan instead".into()
        }
    });
    let amount_ok = p.min_amount <= d.amount && d.amount <= p.max_amount;
    out.criterion("amount_range", amount_ok, || {
        if amount_ok {
            format!(
                "amount {} is within {}–{}",
                d.amount, p.min_amount, p.max_amount
            )
        } else if d.amount < p.min_amount {
            format!(
                "amount {} is below the minimum {}: request at least {}",
                d.amount, p.min_amount, p.min_amount
            )
        } else {
            format!(
                "amount {} is above the maximum {}: request at most {}",
                d.amount, p.max_amount, p.max_amount
            )
        }
    });
    let term_ok = p.min_term_months <= d.term_months && d.term_months <= p.max_term_months;
    out.criterion("term_range", term_ok, || {
        if term_ok {
            format!(
                "term {} months is within {}–{}",
                d.term_months, p.min_term_months, p.max_term_months
            )
        } else {
            format!(
                "term {} months is outside {}–{} months: choose a term in that range",
                d.term_months, p.min_term_months, p.max_term_months
            )
        }
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
            format!("both accept {}", list(&common))
        } else {
            format!(
                "the product accepts {}; offer one of them",
                list(&p.guarantee_methods)
            )
        }
    });
    let rate_ok = d.max_rate.is_none_or(|m| m >= p.min_rate);
    out.criterion("max_rate", rate_ok, || match d.max_rate {
        None => "no maximum rate was set".into(),
        Some(m) if rate_ok => format!(
            "the product's minimum rate {}% is within the maximum {}%",
            p.min_rate, m
        ),
        Some(m) => format!(
            "the product's minimum rate {}% exceeds the maximum {}%: accept at least {}%",
            p.min_rate, m, p.min_rate
        ),
    });
    if !el.qualifications_any.is_empty() {
        let held = el.qualifications_any.iter().find_map(|q| {
            satisfying(&e.qualifications, q.kind, q.min_level, today).map(|c| (q, c))
        });
        out.criterion("qualifications", held.is_some(), || match held {
            Some((q, c)) => counted_as(c, q.kind, q.min_level),
            None => {
                let wanted: Vec<String> = el
                    .qualifications_any
                    .iter()
                    .map(|q| format!("a {} {} qualification", q.min_level, q.kind))
                    .collect();
                format!("obtain {} (valid today) to qualify", wanted.join(" or "))
            }
        });
    }
    if !el.size_classes.is_empty() {
        let ok = el.size_classes.contains(&e.size_class);
        out.criterion("size_class", ok, || {
            if ok {
                format!("size class {} is accepted", e.size_class)
            } else {
                format!(
                    "size class {} is not among {}",
                    e.size_class,
                    list(&el.size_classes)
                )
            }
        });
    }
    if !el.region_prefixes.is_empty() {
        let ok = el
            .region_prefixes
            .iter()
            .any(|pre| e.region_code.starts_with(pre.as_str()));
        out.criterion("region", ok, || {
            if ok {
                format!("region {} is served", e.region_code)
            } else {
                format!(
                    "region {} is outside the served regions {}",
                    e.region_code,
                    list(&el.region_prefixes)
                )
            }
        });
    }
    if !el.industries.is_empty() {
        let ok = el.industries.contains(&e.industry);
        out.criterion("industry", ok, || {
            if ok {
                format!("industry {} is accepted", e.industry)
            } else {
                format!(
                    "industry {} is not among {}",
                    e.industry,
                    list(&el.industries)
                )
            }
        });
    }
    if let Some(min_years) = el.min_years_established {
        let years = whole_years(e.established_on, today);
        let ok = years >= i64::from(min_years);
        out.criterion("years_established", ok, || {
            if ok {
                format!("established {years} full years ago (at least {min_years} required)")
            } else {
                format!("established {years} full years ago; {min_years} required")
            }
        });
    }
    if let Some(min_revenue) = el.min_annual_revenue {
        let ok = e.annual_revenue >= min_revenue;
        out.criterion("annual_revenue", ok, || {
            if ok {
                format!(
                    "annual revenue {} meets the minimum {}",
                    e.annual_revenue, min_revenue
                )
            } else {
                format!(
                    "annual revenue {} is below the minimum {}",
                    e.annual_revenue, min_revenue
                )
            }
        });
    }
    if el.first_loan_only {
        out.criterion("first_loan_only", !e.has_prior_loan, || {
            if e.has_prior_loan {
                "the product is only for first-time borrowers (首贷户) and the enterprise has had a loan".into()
            } else {
                "a first-time borrower (首贷户), as the product requires".into()
            }
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
