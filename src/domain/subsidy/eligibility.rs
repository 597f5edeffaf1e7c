//! Who a policy is for: `PolicyEligibility`, the `Beneficiary` facts it reads, and every
//! criterion as `{criterion, passed, detail}` — the enterprise's own (`enterprise_criteria`,
//! what 政策找企业 answers before any loan) and a loan's (`loan_criteria`).

use chrono::{Days, NaiveDate};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::facts::LoanFacts;
use crate::domain::demand::Purpose;
use crate::domain::lang::{list_en as list, list_zh, Text};
use crate::domain::profile::{self, Ownership};
use crate::domain::servicing::{self, LoanStatus};
use crate::domain::{product, qualification, size_class};

/// Who a policy is for. Empty lists and absent values mean "no constraint".
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct PolicyEligibility {
    /// One of these, valid on the disbursement date (a higher tier of the 优质中小企业 ladder
    /// counts for a lower one).
    pub qualifications_any: Vec<product::QualificationRequirement>,
    pub size_classes: Vec<size_class::SizeClass>,
    pub product_types: Vec<product::ProductType>,
    pub region_prefixes: Vec<String>,
    pub first_loan_only: bool,
    pub min_term_months: Option<u32>,
    /// 所有制 covered (e.g. only 民营).
    pub ownership: Vec<Ownership>,
    /// GB/T 4754 code prefixes covered (e.g. `C` for 制造业, `C34`).
    pub sector_prefixes: Vec<String>,
    /// The purposes (of the loan's demand) covered.
    pub loan_purposes: Vec<Purpose>,
    /// A loan `overdue` or `npl` on the last day of the claim's period is not covered.
    #[schema(default = true)]
    pub exclude_overdue: bool,
    /// Within one group, a loan has at most one approved or paid claim for any overlapping
    /// period across the group's policies (e.g. central and provincial 贴息 not stacked).
    #[schema(min_length = 1, max_length = 100)]
    pub exclusive_group: Option<String>,
}

impl Default for PolicyEligibility {
    fn default() -> Self {
        PolicyEligibility {
            qualifications_any: Vec::new(),
            size_classes: Vec::new(),
            product_types: Vec::new(),
            region_prefixes: Vec::new(),
            first_loan_only: false,
            min_term_months: None,
            ownership: Vec::new(),
            sector_prefixes: Vec::new(),
            loan_purposes: Vec::new(),
            exclude_overdue: true,
            exclusive_group: None,
        }
    }
}

/// The facts a policy's eligibility reads about the enterprise.
#[derive(Clone, Debug)]
pub struct Applicant<'a> {
    pub region_code: &'a str,
    pub size_class: size_class::SizeClass,
    pub qualifications: &'a [qualification::Qualification],
    pub ownership: Option<Ownership>,
    pub sector_code: Option<&'a str>,
}

/// The facts a policy's eligibility reads about the enterprise and one loan's product and
/// purpose.
#[derive(Clone, Debug)]
pub struct Beneficiary<'a> {
    pub applicant: Applicant<'a>,
    pub product_type: product::ProductType,
    /// The purpose of the loan's demand (unknown for a hypothetical loan without one).
    pub purpose: Option<Purpose>,
}

/// One criterion of a policy and how it went.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct PolicyCriterion {
    pub criterion: String,
    pub passed: bool,
    /// In the language of `Accept-Language` (`en` when absent, `zh-CN`).
    pub detail: String,
    /// `detail` in Chinese, swapped in by `in_lang` (the English one where none is written).
    #[serde(skip)]
    pub detail_zh: String,
}

impl PolicyCriterion {
    /// The criterion with its detail in `lang`.
    pub fn in_lang(mut self, lang: crate::domain::lang::Lang) -> PolicyCriterion {
        if lang == crate::domain::lang::Lang::Zh && !self.detail_zh.is_empty() {
            std::mem::swap(&mut self.detail, &mut self.detail_zh);
        }
        self
    }
}

/// A criterion with its detail in English and Chinese.
fn add_in(
    out: &mut Vec<PolicyCriterion>,
    criterion: &str,
    passed: bool,
    (en, zh): (String, String),
) {
    out.push(PolicyCriterion {
        criterion: criterion.to_owned(),
        passed,
        detail: en,
        detail_zh: zh,
    });
}

/// The criteria about the enterprise itself, qualifications counted on `on`; only those the
/// policy sets (and its region, when it has one).
pub fn enterprise_criteria(
    e: &PolicyEligibility,
    scope_prefix: Option<&str>,
    who: &Applicant,
    on: NaiveDate,
) -> Vec<PolicyCriterion> {
    let mut out = Vec::new();
    let r = who.region_code;
    if let Some(p) = scope_prefix {
        let ok = r.starts_with(p);
        add_in(
            &mut out,
            "region",
            ok,
            if ok {
                (
                    format!("region {r} is within the policy's region {p}"),
                    format!("所在地区 {r} 在政策地区 {p} 之内"),
                )
            } else {
                (
                    format!("the enterprise's region {r} is outside the policy's region {p}"),
                    format!("企业所在地区 {r} 不在政策地区 {p} 之内"),
                )
            },
        );
    }
    if !e.region_prefixes.is_empty() {
        let ok = e.region_prefixes.iter().any(|p| r.starts_with(p.as_str()));
        add_in(
            &mut out,
            "region_prefixes",
            ok,
            if ok {
                (
                    format!("region {r} is among the policy's regions"),
                    format!("所在地区 {r} 在政策覆盖地区之列"),
                )
            } else {
                (
                    format!("region {r} is not among the policy's regions"),
                    format!("所在地区 {r} 不在政策覆盖地区之列"),
                )
            },
        );
    }
    if !e.qualifications_any.is_empty() {
        let held = e.qualifications_any.iter().find_map(|q| {
            qualification::satisfying(who.qualifications, q.kind, q.min_level, on).map(|c| (q, c))
        });
        let detail = match held {
            Some((q, c)) => (
                format!(
                    "{} (on {on})",
                    qualification::counted_as(c, q.kind, q.min_level)
                ),
                format!(
                    "{}（{on}）",
                    qualification::counted_as_zh(c, q.kind, q.min_level)
                ),
            ),
            None => {
                let wanted: Vec<String> = e
                    .qualifications_any
                    .iter()
                    .map(|q| format!("{} {}", q.min_level, q.kind))
                    .collect();
                let wanted_zh: Vec<String> = e
                    .qualifications_any
                    .iter()
                    .map(|q| format!("{}{}", q.min_level.label_zh(), q.kind.label_zh()))
                    .collect();
                (
                    format!(
                        "needs a {} qualification valid on {on}",
                        wanted.join(" or ")
                    ),
                    format!("需持有 {on} 有效的{}认定", wanted_zh.join("或")),
                )
            }
        };
        add_in(&mut out, "qualifications", held.is_some(), detail);
    }
    if !e.size_classes.is_empty() {
        let ok = e.size_classes.contains(&who.size_class);
        let (sc, zh) = (who.size_class, who.size_class.label_zh());
        add_in(
            &mut out,
            "size_classes",
            ok,
            if ok {
                (
                    format!("size class {sc} is covered"),
                    format!("企业划型{zh}在政策覆盖范围内"),
                )
            } else {
                (
                    format!("size class {sc} is not covered"),
                    format!("企业划型{zh}不在政策覆盖范围内"),
                )
            },
        );
    }
    if !e.ownership.is_empty() {
        let ok = who.ownership.is_some_and(|o| e.ownership.contains(&o));
        let covered = list_zh(&e.ownership, Ownership::label_zh);
        let detail = match who.ownership {
            Some(o) if ok => (
                format!("ownership {o} is covered"),
                format!("所有制{}在政策覆盖范围内", o.label_zh()),
            ),
            Some(o) => (
                format!("ownership {o} is not among {}", list(&e.ownership)),
                format!("所有制{}不在{covered}之列", o.label_zh()),
            ),
            None => (
                format!(
                    "the profile gives no ownership; the policy covers {}",
                    list(&e.ownership)
                ),
                format!("企业未填写所有制；政策覆盖{covered}"),
            ),
        };
        add_in(&mut out, "ownership", ok, detail);
    }
    if !e.sector_prefixes.is_empty() {
        let ok = profile::in_sectors(who.sector_code, &e.sector_prefixes);
        let prefixes = list(&e.sector_prefixes);
        let detail = match who.sector_code {
            Some(c) if ok => (
                format!("sector {c} is covered"),
                format!("行业代码 {c} 在政策覆盖范围内"),
            ),
            Some(c) => (
                format!("sector {c} is not under {prefixes}"),
                format!("行业代码 {c} 不属于 {prefixes}"),
            ),
            None => (
                format!("the profile gives no sector_code; the policy covers {prefixes}"),
                format!("企业未填写行业代码；政策覆盖 {prefixes}"),
            ),
        };
        add_in(&mut out, "sector_prefixes", ok, detail);
    }
    out
}

/// The criteria about one loan: when it was disbursed, its product, term and purpose, and —
/// for a claim's `period` (`[start, end)`) — its status on the period's last day.
pub fn loan_criteria(
    e: &PolicyEligibility,
    effective_from: NaiveDate,
    effective_to: Option<NaiveDate>,
    loan: &LoanFacts,
    who: &Beneficiary,
    period: Option<(NaiveDate, NaiveDate)>,
) -> Vec<PolicyCriterion> {
    let mut out = Vec::new();
    let on = loan.disbursed_on;
    let in_force = on >= effective_from && effective_to.is_none_or(|to| on <= to);
    add_in(
        &mut out,
        "effective_period",
        in_force,
        if in_force {
            (
                format!("disbursed on {on}, within the policy's effective period"),
                format!("放款日 {on} 在政策有效期内"),
            )
        } else {
            (
                format!("the loan was disbursed on {on}, outside the policy's effective period"),
                format!("放款日 {on} 不在政策有效期内"),
            )
        },
    );
    if !e.product_types.is_empty() {
        let ok = e.product_types.contains(&who.product_type);
        let (pt, pt_zh) = (who.product_type, who.product_type.label_zh());
        add_in(
            &mut out,
            "product_types",
            ok,
            if ok {
                (
                    format!("product type {pt} is covered"),
                    format!("产品类型{pt_zh}在政策支持范围内"),
                )
            } else {
                (
                    format!("product type {pt} is not covered"),
                    format!(
                        "产品类型{pt_zh}不在政策支持范围内（支持：{}）",
                        list_zh(&e.product_types, product::ProductType::label_zh)
                    ),
                )
            },
        );
    }
    if e.first_loan_only {
        add_in(
            &mut out,
            "first_loan_only",
            loan.first_loan,
            if loan.first_loan {
                ("a first loan (首贷)".into(), "属于首贷".into())
            } else {
                (
                    "only first loans (首贷) are covered".into(),
                    "仅支持首贷".into(),
                )
            },
        );
    }
    if let Some(min) = e.min_term_months {
        let ok = loan.term_months >= min;
        let term = loan.term_months;
        add_in(
            &mut out,
            "min_term_months",
            ok,
            if ok {
                (
                    format!("the term of {term} months is at least {min}"),
                    format!("贷款期限 {term} 个月，不短于 {min} 个月"),
                )
            } else {
                (
                    format!("the term of {term} months is below the minimum {min}"),
                    format!("贷款期限 {term} 个月，短于要求的 {min} 个月"),
                )
            },
        );
    }
    if !e.loan_purposes.is_empty() {
        let ok = who.purpose.is_some_and(|p| e.loan_purposes.contains(&p));
        let covered_zh = list_zh(&e.loan_purposes, Purpose::label_zh);
        let detail = match who.purpose {
            Some(p) if ok => (
                format!("purpose {p} is covered"),
                format!("贷款用途{}在支持范围内", p.label_zh()),
            ),
            Some(p) => (
                format!("purpose {p} is not among {}", list(&e.loan_purposes)),
                format!("贷款用途{}不在支持范围（{covered_zh}）内", p.label_zh()),
            ),
            None => (
                format!(
                    "the loan's purpose is not known; the policy covers {}",
                    list(&e.loan_purposes)
                ),
                format!("贷款用途未知；政策支持：{covered_zh}"),
            ),
        };
        add_in(&mut out, "loan_purposes", ok, detail);
    }
    if let (true, Some((_, end))) = (e.exclude_overdue, period) {
        let last = end.checked_sub_days(Days::new(1)).unwrap_or(end);
        let status = status_on(loan, last);
        let ok = !matches!(status, LoanStatus::Overdue | LoanStatus::Npl);
        let status_zh = status.label_zh();
        add_in(
            &mut out,
            "exclude_overdue",
            ok,
            if ok {
                (
                    format!("the loan is {status} on {last}, the period's last day"),
                    format!("期末 {last} 贷款状态为{status_zh}"),
                )
            } else {
                (
                    format!("the loan is {status} on {last}, the period's last day: overdue and non-performing loans are not covered"),
                    format!("期末 {last} 贷款状态为{status_zh}：逾期和不良贷款不予支持"),
                )
            },
        );
    }
    out
}

/// The loan's status on `day` from its reported events.
fn status_on(loan: &LoanFacts, day: NaiveDate) -> LoanStatus {
    servicing::spells(loan.principal, loan.disbursed_on, &loan.events)
        .iter()
        .rev()
        .find(|s| s.from <= day)
        .map_or(LoanStatus::Current, |s| s.status)
}

/// A suspended policy takes no claims.
pub fn policy_suspended() -> Text {
    Text::new("the policy is suspended", "政策已暂停受理")
}

/// Why the loan does not qualify (empty when it does): every failed criterion, the
/// enterprise's counted on the disbursement date.
pub fn policy_reasons(
    e: &PolicyEligibility,
    effective_from: NaiveDate,
    effective_to: Option<NaiveDate>,
    scope_prefix: Option<&str>,
    loan: &LoanFacts,
    who: &Beneficiary,
    period: Option<(NaiveDate, NaiveDate)>,
) -> Vec<Text> {
    let mut all = loan_criteria(e, effective_from, effective_to, loan, who, period);
    // The disbursement first, then the enterprise, then the rest of the loan: as before.
    let rest = all.split_off(1);
    all.extend(enterprise_criteria(
        e,
        scope_prefix,
        &who.applicant,
        loan.disbursed_on,
    ));
    all.extend(rest);
    all.into_iter()
        .filter(|c| !c.passed)
        .map(|c| {
            let zh = if c.detail_zh.is_empty() {
                c.detail.clone()
            } else {
                c.detail_zh
            };
            Text::new(c.detail, zh)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::money::Money;
    use crate::domain::rate::Rate;
    use crate::domain::servicing::{LoanEvent, LoanEventKind};

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn loan(events: Vec<LoanEvent>) -> LoanFacts {
        LoanFacts {
            principal: Money::from_fen(100_000_000),
            annual_rate: Rate::from_units(35_000),
            disbursed_on: d("2026-01-10"),
            term_months: 12,
            first_loan: true,
            guarantee: None,
            events,
        }
    }

    fn who() -> Beneficiary<'static> {
        Beneficiary {
            applicant: Applicant {
                region_code: "370202",
                size_class: size_class::SizeClass::Small,
                qualifications: &[],
                ownership: Some(Ownership::Private),
                sector_code: Some("C3411"),
            },
            product_type: product::ProductType::Credit,
            purpose: Some(Purpose::Equipment),
        }
    }

    #[test]
    fn stored_eligibility_without_the_new_fields_excludes_overdue_loans() {
        let e: PolicyEligibility = serde_json::from_str("{\"first_loan_only\":true}").unwrap();
        assert!(e.exclude_overdue);
        assert!(e.ownership.is_empty() && e.exclusive_group.is_none());
    }

    #[test]
    fn ownership_sector_and_purpose_are_checked_and_explained() {
        let mut e = PolicyEligibility {
            ownership: vec![Ownership::Private],
            sector_prefixes: vec!["C34".into()],
            loan_purposes: vec![Purpose::Equipment, Purpose::TechnologyUpgrade],
            ..Default::default()
        };
        let l = loan(vec![]);
        let none = policy_reasons(&e, d("2026-01-01"), None, None, &l, &who(), None);
        assert!(none.is_empty(), "{none:?}");
        e.ownership = vec![Ownership::State];
        e.sector_prefixes = vec!["C35".into()];
        e.loan_purposes = vec![Purpose::Rnd];
        let why = policy_reasons(&e, d("2026-01-01"), None, None, &l, &who(), None);
        let en: Vec<&str> = why.iter().map(|t| t.en.as_str()).collect();
        assert_eq!(
            en,
            [
                "ownership private is not among state",
                "sector C3411 is not under C35",
                "purpose equipment is not among rnd",
            ]
        );
        // Each written in Chinese too, by the same rule.
        assert_eq!(why[2].zh, "贷款用途设备购置不在支持范围（研发）内");
        let mut unknown = who();
        unknown.applicant.ownership = None;
        unknown.applicant.sector_code = None;
        unknown.purpose = None;
        let why = policy_reasons(&e, d("2026-01-01"), None, None, &l, &unknown, None);
        assert_eq!(why.len(), 3, "an unknown fact does not pass: {why:?}");
    }

    #[test]
    fn a_loan_overdue_on_the_periods_last_day_is_not_covered_unless_the_policy_says_so() {
        let ev = |on: &str, kind| LoanEvent {
            on: d(on),
            kind,
            principal: None,
        };
        let l = loan(vec![
            ev("2026-03-01", LoanEventKind::Overdue),
            ev("2026-04-01", LoanEventKind::Cured),
        ]);
        let mut e = PolicyEligibility::default();
        let reasons = |e: &PolicyEligibility, end: &str| {
            policy_reasons(
                e,
                d("2026-01-01"),
                None,
                None,
                &l,
                &who(),
                Some((d("2026-01-10"), d(end))),
            )
        };
        // Period [01-10, 03-02): its last day 03-01 is overdue.
        assert_eq!(reasons(&e, "2026-03-02").len(), 1);
        // Period [01-10, 03-01): last day 02-28, current.
        assert!(reasons(&e, "2026-03-01").is_empty());
        // Cured on 04-01: a period ending 04-02 is covered, one ending 04-01 (last day 03-31) is not.
        assert!(reasons(&e, "2026-04-02").is_empty());
        assert_eq!(reasons(&e, "2026-04-01").len(), 1);
        e.exclude_overdue = false;
        assert!(reasons(&e, "2026-03-02").is_empty());
    }
}
