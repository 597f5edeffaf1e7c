//! What one loan gets under a policy: the `Case` a computation reads (from a stored loan or a
//! hypothetical one), the caps against what the payee already has, and the quote, which
//! stores nothing. Claims and simulation compute through the same functions.

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::stored_rule;
use crate::app::caller::Caller;
use crate::app::error::{AppError, AppResult, ProblemCode, Validator};
use crate::db::matches::LoanRow;
use crate::db::subsidies::{self as repo, PolicyRow};
use crate::db::{self, DbConnection};
use crate::domain::demand::Purpose;
use crate::domain::lang::render;
use crate::domain::money::Money;
use crate::domain::org::OrgKind;
use crate::domain::product::ProductType;
use crate::domain::profile::Ownership;
use crate::domain::rate::Rate;
use crate::domain::size_class::SizeClass;
use crate::domain::subsidy::{
    self, Applicant, Beneficiary, Computation, CounterGuarantee, GuaranteeFacts, LoanFacts,
    PolicyKind, PriorAmounts, Step,
};

#[derive(Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct HypotheticalGuarantee {
    /// The guarantor, as on a disbursement: a 担保费补贴 quote applies its per-guarantor caps
    /// (what it already has approved or paid for this enterprise). Without it, none apply.
    pub guarantor_id: Option<i64>,
    /// Annual guarantee fee rate, percent.
    #[schema(value_type = Rate, example = "1.00")]
    pub fee_rate: Rate,
    pub counter_guarantee: CounterGuarantee,
}

#[derive(Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct HypotheticalLoan {
    #[schema(value_type = Money)]
    pub principal: Money,
    #[schema(value_type = Rate)]
    pub annual_rate: Rate,
    #[serde(deserialize_with = "crate::domain::date::strict")]
    pub disbursed_on: NaiveDate,
    #[schema(minimum = 1, maximum = 360)]
    pub term_months: u32,
    #[serde(default)]
    pub first_loan: bool,
    pub enterprise_id: i64,
    pub product_type: ProductType,
    pub guarantee: Option<HypotheticalGuarantee>,
    /// The purpose of the demand behind it (policies with `loan_purposes` need it).
    #[serde(default)]
    pub purpose: Option<Purpose>,
}

#[derive(Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct QuoteRequest {
    /// A stored loan …
    pub loan_id: Option<i64>,
    /// … or a hypothetical one.
    pub loan: Option<HypotheticalLoan>,
    #[serde(deserialize_with = "crate::domain::date::strict")]
    pub period_start: NaiveDate,
    /// Exclusive (算头不算尾).
    #[serde(deserialize_with = "crate::domain::date::strict")]
    pub period_end: NaiveDate,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Quote {
    pub eligible: bool,
    pub reasons: Vec<String>,
    /// The amount reads an LPR not published yet (the December print of the period end's
    /// year, before 20 December): it will change, and a claim for it cannot be approved yet.
    pub provisional: bool,
    /// Why it is provisional.
    pub provisional_reason: Option<String>,
    #[schema(value_type = Money)]
    pub amount: Money,
    pub breakdown: Vec<Step>,
}

/// Everything a computation needs about one loan.
pub(crate) struct Case {
    pub(crate) loan: LoanFacts,
    pub(crate) enterprise_id: i64,
    pub(crate) region_code: String,
    pub(crate) size_class: SizeClass,
    pub(crate) qualifications: Vec<crate::domain::qualification::Qualification>,
    pub(crate) product_type: ProductType,
    pub(crate) guarantor_id: Option<i64>,
    pub(crate) ownership: Option<Ownership>,
    pub(crate) sector_code: Option<String>,
    /// The purpose of the loan's demand.
    pub(crate) purpose: Option<Purpose>,
}

impl Case {
    /// What a policy's eligibility reads about this case.
    pub(crate) fn beneficiary(&self) -> Beneficiary<'_> {
        Beneficiary {
            applicant: Applicant {
                region_code: &self.region_code,
                size_class: self.size_class,
                qualifications: &self.qualifications,
                ownership: self.ownership,
                sector_code: self.sector_code.as_deref(),
            },
            product_type: self.product_type,
            purpose: self.purpose,
        }
    }
}

pub(crate) fn case_from_loan(conn: &mut DbConnection, l: &LoanRow) -> AppResult<Case> {
    let ent = db::catalog::enterprises(conn, Some(&[l.fields.enterprise_id]))?
        .remove(&l.fields.enterprise_id)
        .ok_or_else(|| AppError::not_found("enterprise"))?;
    let product = db::catalog::product(conn, l.fields.product_id)?
        .ok_or_else(|| AppError::not_found("product"))?;
    // Interest follows the balance (积数法): the loan's servicing events, if it has any.
    let events = match l.servicing.last_event_on {
        Some(_) => db::loans::events(conn, l.id)?
            .iter()
            .map(|e| e.event())
            .collect(),
        None => Vec::new(),
    };
    let (ownership, sector_code) = db::enterprises::policy_profile(conn, l.fields.enterprise_id)?;
    let purpose = db::demands::purpose(conn, l.fields.demand_id)?;
    Ok(Case {
        loan: LoanFacts {
            principal: Money::from_fen(l.fields.amount_fen),
            annual_rate: Rate::from_units(l.fields.rate_units),
            disbursed_on: l.fields.disbursed_on,
            term_months: l.fields.term_months.max(0) as u32,
            first_loan: l.fields.first_loan,
            guarantee: match (
                l.fields.guarantee_fee_rate_units,
                l.fields.counter_guarantee,
            ) {
                (Some(rate), Some(cg)) => Some(GuaranteeFacts {
                    fee_rate: Rate::from_units(rate),
                    counter_guarantee: cg,
                }),
                _ => None,
            },
            events,
        },
        enterprise_id: l.fields.enterprise_id,
        region_code: ent.facts.region_code,
        size_class: ent.facts.size_class,
        qualifications: ent.facts.qualifications,
        product_type: product.facts.product_type,
        guarantor_id: l.fields.guarantor_id,
        ownership,
        sector_code,
        purpose,
    })
}

pub(super) fn payee(kind: PolicyKind, c: &Case) -> Option<i64> {
    match kind {
        PolicyKind::InterestSubsidy => Some(c.enterprise_id),
        PolicyKind::GuaranteeFeeSubsidy => c.guarantor_id,
        PolicyKind::LumpSumAward | PolicyKind::GuarantorAward => None,
    }
}

/// The amount for `case` under `policy`, with caps against what its payee already has
/// approved or paid (excluding `except`, the claim being re-approved).
#[allow(clippy::too_many_arguments)]
pub(super) fn compute(
    conn: &mut DbConnection,
    p: &PolicyRow,
    c: &Case,
    start: NaiveDate,
    end: NaiveDate,
    except: Option<i64>,
) -> AppResult<Computation> {
    let (kind, rule) = stored_rule(p)?;
    let eligibility = &p.fields.eligibility.0;
    let mut reasons = subsidy::policy_reasons(
        eligibility,
        p.fields.effective_from,
        p.fields.effective_to,
        p.fields.region_prefix.as_deref(),
        &c.loan,
        &c.beneficiary(),
        Some((start, end)),
    );
    if !p.fields.status.takes_claims() {
        reasons.insert(0, subsidy::policy_suspended());
    }
    let prior = match payee(kind, c) {
        Some(payee) => {
            let year = (
                NaiveDate::from_ymd_opt(end.year(), 1, 1).unwrap_or(end),
                NaiveDate::from_ymd_opt(end.year(), 12, 31).unwrap_or(end),
            );
            // Interest caps are per enterprise; guarantee caps per guarantor per enterprise.
            PriorAmounts {
                same_year: Money::from_fen(repo::paid_or_approved(
                    conn,
                    p.id,
                    payee,
                    Some(c.enterprise_id),
                    Some(year),
                    except,
                )?),
                total: Money::from_fen(repo::paid_or_approved(
                    conn,
                    p.id,
                    payee,
                    Some(c.enterprise_id),
                    None,
                    except,
                )?),
            }
        }
        None => PriorAmounts::default(),
    };
    let lpr = repo::lpr_series(conn)?;
    let mut result = subsidy::compute(&rule, &c.loan, start, end, &lpr, prior);
    if let Some(why) = provisional(p, end)? {
        result.breakdown.push(Step {
            step: "provisional".into(),
            value: why,
        });
    }
    if !reasons.is_empty() {
        result.reasons.splice(0..0, reasons);
        result.eligible = false;
        result.amount = Money::ZERO;
    }
    Ok(result)
}

/// Why an amount of `p` for a period ending `end` is provisional today, if it is.
pub(crate) fn provisional(p: &PolicyRow, end: NaiveDate) -> AppResult<Option<String>> {
    Ok(match stored_rule(p)?.1 {
        subsidy::Rule::Interest(r) => r.provisional(end, crate::app::clock::today()),
        subsidy::Rule::Guarantee(_)
        | subsidy::Rule::LumpSum(_)
        | subsidy::Rule::GuarantorAward(_) => None,
    })
}

/// 422 unless `p` is computed per loan: an award has no loan to quote or simulate.
pub(super) fn per_loan(p: &PolicyRow) -> AppResult<()> {
    if p.fields.kind.per_loan() {
        return Ok(());
    }
    Err(AppError::invalid_field(
        ProblemCode::ValidationFailed,
        "policy_id",
        format!(
            "a {} policy is not computed per loan; its amount shows on a claim (POST /subsidy-claims)",
            p.fields.kind
        ),
    ))
}

pub(super) fn check_period(start: NaiveDate, end: NaiveDate) -> AppResult<()> {
    let mut v = Validator::default();
    v.check(end > start, "period_end", "must be after period_start");
    v.check(
        (end - start).num_days() <= 366 * 10,
        "period_end",
        "the period may not exceed ten years",
    );
    v.finish()
}

/// Where a quote's loan comes from.
enum Subject {
    Stored(i64),
    Hypothetical(HypotheticalLoan),
}

/// Quotes a subsidy for a stored or hypothetical loan; nothing is stored.
pub fn quote(
    conn: &mut DbConnection,
    auth: &Caller,
    id: i64,
    cmd: QuoteRequest,
) -> AppResult<Quote> {
    check_period(cmd.period_start, cmd.period_end)?;
    let subject = match (cmd.loan_id, cmd.loan) {
        (Some(loan_id), None) => Subject::Stored(loan_id),
        (None, Some(h)) => Subject::Hypothetical(h),
        _ => {
            return Err(AppError::invalid_field(
                ProblemCode::ValidationFailed,
                "loan_id",
                "give either loan_id or loan",
            ))
        }
    };
    let p = repo::find_policy(conn, id)?.ok_or_else(|| AppError::not_found("policy"))?;
    per_loan(&p)?;
    let case = match subject {
        Subject::Stored(loan_id) => {
            let scope = &auth.scope;
            let l = db::matches::find_loan(conn, loan_id, scope)?
                .ok_or_else(|| AppError::not_found("loan"))?;
            case_from_loan(conn, &l)?
        }
        Subject::Hypothetical(h) => hypothetical_case(conn, auth, h)?,
    };
    let c = compute(conn, &p, &case, cmd.period_start, cmd.period_end, None)?;
    let provisional_reason = provisional(&p, cmd.period_end)?;
    Ok(Quote {
        eligible: c.eligible,
        reasons: render(&c.reasons, auth.lang),
        provisional: provisional_reason.is_some(),
        provisional_reason,
        amount: c.amount,
        breakdown: c.breakdown,
    })
}

/// The case of a hypothetical loan of a visible enterprise, its fields checked (422).
fn hypothetical_case(
    conn: &mut DbConnection,
    auth: &Caller,
    h: HypotheticalLoan,
) -> AppResult<Case> {
    let scope = &auth.scope;
    let (org, e) = db::enterprises::find_visible(conn, h.enterprise_id, scope)?
        .ok_or_else(|| AppError::not_found("enterprise"))?;
    let quals = db::catalog::enterprises(conn, Some(&[org.id]))?
        .remove(&org.id)
        .map(|e| e.facts.qualifications)
        .unwrap_or_default();
    let mut v = Validator::default();
    v.check(
        !h.principal.is_zero(),
        "loan.principal",
        "must be greater than 0",
    );
    v.term_months("loan.term_months", i64::from(h.term_months));
    let guarantor_id = h.guarantee.as_ref().and_then(|g| g.guarantor_id);
    if let Some(g) = guarantor_id {
        let kind = db::orgs::find(conn, g)?.map(|o| o.kind);
        v.check(
            kind == Some(OrgKind::Guarantor),
            "loan.guarantee.guarantor_id",
            "is not a guarantor organization",
        );
    }
    v.finish()?;
    Ok(Case {
        loan: LoanFacts {
            principal: h.principal,
            annual_rate: h.annual_rate,
            disbursed_on: h.disbursed_on,
            term_months: h.term_months,
            first_loan: h.first_loan,
            guarantee: h.guarantee.map(|g| GuaranteeFacts {
                fee_rate: g.fee_rate,
                counter_guarantee: g.counter_guarantee,
            }),
            events: Vec::new(),
        },
        enterprise_id: org.id,
        region_code: org.region_code.unwrap_or_default(),
        size_class: e.size_class,
        qualifications: quals,
        product_type: h.product_type,
        guarantor_id,
        ownership: e.ownership,
        sector_code: e.sector_code,
        purpose: h.purpose,
    })
}
