//! Subsidy formulas (贴息 and 担保费补贴), in one place. Exact decimals throughout; one
//! half-up rounding to the fen (四舍五入到分) at the end; every step goes into a breakdown a
//! clerk can recompute by hand.
//!
//! Interest subsidy: principal (after `principal_cap`) × subsidy rate × year fraction, where the
//! subsidy rate comes from the rule's `base`, is capped by `max_points`, never exceeds the loan's
//! own rate and is never negative. Guarantee-fee subsidy: guaranteed amount × `subsidy_percent`
//! × year fraction, at most the fee charged for the period when `cap_at_fee_paid`.
//! Caps against what the payee already has approved or paid apply afterwards.

use chrono::{Datelike, Months, NaiveDate};
use rust_decimal::prelude::ToPrimitive;
use rust_decimal::{Decimal, RoundingStrategy};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::money::Money;
use super::rate::Rate;

str_enum! {
    pub enum PolicyKind {
        InterestSubsidy = "interest_subsidy" / "贷款贴息",
        GuaranteeFeeSubsidy = "guarantee_fee_subsidy" / "担保费补贴",
    }
}

str_enum! {
    /// `active` policies take claims; a `suspended` one takes none.
    pub enum PolicyStatus {
        Active = "active" / "有效",
        Suspended = "suspended" / "已暂停",
    }
}

str_enum! {
    /// submitted → approved → paid, or submitted → rejected.
    pub enum ClaimState {
        Submitted = "submitted" / "已提交",
        Approved = "approved" / "已批准",
        Rejected = "rejected" / "已驳回",
        Paid = "paid" / "已拨付",
    }
}

str_enum! {
    /// What a finance office does to a claim.
    pub enum ClaimAction {
        Approve = "approve" / "批准",
        Reject = "reject" / "驳回",
        Pay = "pay" / "拨付",
    }
}

impl ClaimState {
    /// submitted ──approve──▶ approved ──pay──▶ paid; submitted ──reject──▶ rejected. Nothing
    /// else moves a claim.
    pub fn after(self, action: ClaimAction) -> Option<ClaimState> {
        use ClaimAction as A;
        use ClaimState::*;
        match (self, action) {
            (Submitted, A::Approve) => Some(Approved),
            (Submitted, A::Reject) => Some(Rejected),
            (Approved, A::Pay) => Some(Paid),
            _ => None,
        }
    }
}

impl ClaimAction {
    /// The one arrow this action draws: (from, to).
    pub fn arrow(self) -> (ClaimState, ClaimState) {
        ClaimState::ALL
            .iter()
            .find_map(|s| s.after(self).map(|to| (*s, to)))
            .expect("every claim action has an arrow")
    }
}

str_enum! {
    pub enum InterestBase {
        /// subsidy rate = `points` (or `first_loan_points` for a 首贷 loan)
        FixedPoints = "fixed_points",
        /// subsidy rate = `share_percent` % of the LPR `lpr_term` as of `lpr_reference`
        LprShare = "lpr_share",
        /// subsidy rate = `share_percent` % of the loan's annual rate
        ActualRateShare = "actual_rate_share",
        /// subsidy rate = loan rate − (LPR − `spread_bp`/100)
        LprSpread = "lpr_spread",
    }
}

str_enum! {
    pub enum DayCount {
        /// actual days / 360 (the RMB loan convention; default for interest)
        Act360 = "act_360",
        /// actual days / 365
        Act365 = "act_365",
        /// whole months / 12 (default for guarantee fees)
        Months30_360 = "months_30_360",
    }
}

str_enum! {
    pub enum LprTerm {
        OneYear = "1y",
        FiveYear = "5y",
    }
}

str_enum! {
    pub enum LprReference {
        /// the LPR in force on the disbursement date
        DisbursementDate = "disbursement_date",
        /// the last LPR effective on or before 31 December of the year before disbursement
        LastOfPreviousYear = "last_of_previous_year",
        /// the LPR in force in December of the year the period ends
        DecemberOfPeriodEndYear = "december_of_period_end_year",
    }
}

str_enum! {
    pub enum CounterGuarantee {
        Credit = "credit" / "信用",
        ThirdParty = "third_party" / "第三方保证",
        Collateral = "collateral" / "抵质押",
    }
}

/// One LPR print.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LprPoint {
    pub effective_on: NaiveDate,
    pub one_year: Rate,
    pub five_year: Rate,
}

/// "LPR as of D": the latest print with `effective_on ≤ D` (`series` sorted by date).
pub fn lpr_as_of(series: &[LprPoint], d: NaiveDate) -> Option<LprPoint> {
    series.iter().rev().find(|p| p.effective_on <= d).copied()
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InterestRule {
    pub base: InterestBase,
    pub points: Option<Rate>,
    pub first_loan_points: Option<Rate>,
    pub share_percent: Option<Decimal>,
    pub lpr_term: LprTerm,
    pub lpr_reference: LprReference,
    pub spread_bp: Option<i64>,
    pub max_points: Option<Rate>,
    pub day_count: DayCount,
    pub max_months: Option<u32>,
    pub principal_cap: Option<Money>,
    pub per_enterprise_annual_cap: Option<Money>,
    pub per_enterprise_total_cap: Option<Money>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GuaranteeRule {
    pub subsidy_percent: Decimal,
    pub max_fee_rate: Option<Rate>,
    pub counter_guarantee: Vec<CounterGuarantee>,
    pub day_count: DayCount,
    pub per_enterprise_annual_cap: Option<Money>,
    pub cap_at_fee_paid: bool,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Rule {
    Interest(InterestRule),
    Guarantee(GuaranteeRule),
}

/// The loan as the formulas see it.
#[derive(Clone, Debug)]
pub struct LoanFacts {
    pub principal: Money,
    pub annual_rate: Rate,
    pub disbursed_on: NaiveDate,
    pub term_months: u32,
    pub first_loan: bool,
    pub guarantee: Option<GuaranteeFacts>,
}

#[derive(Clone, Copy, Debug)]
pub struct GuaranteeFacts {
    pub fee_rate: Rate,
    pub counter_guarantee: CounterGuarantee,
}

/// What the payee already has approved or paid under the same policy.
#[derive(Clone, Copy, Debug, Default)]
pub struct PriorAmounts {
    /// In the calendar year of the period end (for the guarantee rule: from this guarantor).
    pub same_year: Money,
    /// Ever (lifetime cap).
    pub total: Money,
}

/// One line of the arithmetic.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Step {
    pub step: String,
    pub value: String,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Computation {
    pub eligible: bool,
    /// Why not eligible (empty when eligible).
    pub reasons: Vec<String>,
    pub amount: Money,
    pub breakdown: Vec<Step>,
}

struct Trail(Vec<Step>);

impl Trail {
    fn add(&mut self, step: &str, value: impl ToString) {
        self.0.push(Step {
            step: step.to_owned(),
            value: value.to_string(),
        });
    }
}

fn pct(d: Decimal) -> String {
    format!("{}%", d.normalize())
}

/// Half-up to the fen.
pub fn round_fen(d: Decimal) -> Money {
    let r = d.round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero);
    Money::from_fen((r * Decimal::ONE_HUNDRED).to_i64().unwrap_or(i64::MAX))
}

fn add_months(d: NaiveDate, m: u32) -> NaiveDate {
    d.checked_add_months(Months::new(m))
        .unwrap_or(NaiveDate::MAX)
}

/// Whole months from `a` to `b` (a month counts when the same day-of-month is reached).
pub fn whole_months(a: NaiveDate, b: NaiveDate) -> u32 {
    if b <= a {
        return 0;
    }
    let mut months = (b.year() - a.year()) * 12 + b.month() as i32 - a.month() as i32;
    if add_months(a, months.max(0) as u32) > b {
        months -= 1;
    }
    months.max(0) as u32
}

/// Year fraction of `[start, end)` — the first day counts, the last does not (算头不算尾).
fn year_fraction(dc: DayCount, start: NaiveDate, end: NaiveDate, t: &mut Trail) -> Decimal {
    let days = (end - start).num_days().max(0);
    match dc {
        DayCount::Act360 => {
            t.add("days (first day counted, last not)", days);
            t.add("year fraction (act_360)", format!("{days}/360"));
            Decimal::from(days) / Decimal::from(360)
        }
        DayCount::Act365 => {
            t.add("days (first day counted, last not)", days);
            t.add("year fraction (act_365)", format!("{days}/365"));
            Decimal::from(days) / Decimal::from(365)
        }
        DayCount::Months30_360 => {
            let m = whole_months(start, end);
            t.add("whole months", m);
            t.add("year fraction (months_30_360)", format!("{m}/12"));
            Decimal::from(m) / Decimal::from(12)
        }
    }
}

/// The subsidised window: the requested period clipped to the loan's life and `max_months`.
fn window(
    loan: &LoanFacts,
    start: NaiveDate,
    end: NaiveDate,
    max_months: Option<u32>,
    t: &mut Trail,
) -> (NaiveDate, NaiveDate) {
    let maturity = add_months(loan.disbursed_on, loan.term_months);
    let mut until = maturity;
    if let Some(m) = max_months {
        until = until.min(add_months(loan.disbursed_on, m));
    }
    let s = start.max(loan.disbursed_on);
    let e = end.min(until);
    t.add("requested period", format!("{start} to {end}"));
    t.add("subsidisable until", until);
    t.add("subsidised period", format!("{s} to {}", e.max(s)));
    (s, e.max(s))
}

fn apply_caps(
    raw: Money,
    annual: Option<Money>,
    total: Option<Money>,
    prior: PriorAmounts,
    t: &mut Trail,
) -> Money {
    let mut amount = raw;
    if let Some(cap) = annual {
        let left = Money::from_fen((cap.fen() - prior.same_year.fen()).max(0));
        t.add(
            "annual cap",
            format!(
                "{cap} − already approved/paid this year {} = {left}",
                prior.same_year
            ),
        );
        amount = amount.min(left);
    }
    if let Some(cap) = total {
        let left = Money::from_fen((cap.fen() - prior.total.fen()).max(0));
        t.add(
            "lifetime cap",
            format!("{cap} − already approved/paid {} = {left}", prior.total),
        );
        amount = amount.min(left);
    }
    amount
}

/// Computes the subsidy for `[period_start, period_end)` of `loan`. `lpr` is the LPR series
/// sorted by date. Policy-level eligibility (qualifications, region …) is checked by the caller.
pub fn compute(
    rule: &Rule,
    loan: &LoanFacts,
    period_start: NaiveDate,
    period_end: NaiveDate,
    lpr: &[LprPoint],
    prior: PriorAmounts,
) -> Computation {
    let mut t = Trail(Vec::new());
    let mut reasons = Vec::new();
    t.add("principal", loan.principal);
    t.add("loan annual rate", format!("{}%", loan.annual_rate));
    t.add("disbursed on", loan.disbursed_on);
    let amount = match rule {
        Rule::Interest(r) => interest(
            r,
            loan,
            period_start,
            period_end,
            lpr,
            prior,
            &mut t,
            &mut reasons,
        ),
        Rule::Guarantee(r) => guarantee(
            r,
            loan,
            period_start,
            period_end,
            prior,
            &mut t,
            &mut reasons,
        ),
    };
    let eligible = reasons.is_empty();
    let amount = if eligible { amount } else { Money::ZERO };
    t.add("amount", amount);
    Computation {
        eligible,
        reasons,
        amount,
        breakdown: t.0,
    }
}

#[allow(clippy::too_many_arguments)]
fn interest(
    r: &InterestRule,
    loan: &LoanFacts,
    start: NaiveDate,
    end: NaiveDate,
    lpr: &[LprPoint],
    prior: PriorAmounts,
    t: &mut Trail,
    reasons: &mut Vec<String>,
) -> Money {
    let principal = match r.principal_cap {
        Some(cap) if loan.principal > cap => {
            t.add(
                "principal cap",
                format!("{cap}: principal above it is not subsidised"),
            );
            cap
        }
        _ => loan.principal,
    };
    t.add("subsidised principal", principal);
    let lookup = |d: NaiveDate, t: &mut Trail, reasons: &mut Vec<String>| -> Option<Decimal> {
        match lpr_as_of(lpr, d) {
            Some(p) => {
                let v = match r.lpr_term {
                    LprTerm::OneYear => p.one_year,
                    LprTerm::FiveYear => p.five_year,
                };
                t.add(
                    "LPR used",
                    format!(
                        "{} {}% effective {} (as of {d})",
                        r.lpr_term, v, p.effective_on
                    ),
                );
                Some(v.percent())
            }
            None => {
                reasons.push(format!("no LPR is known as of {d}"));
                None
            }
        }
    };
    let reference_date = match r.lpr_reference {
        LprReference::DisbursementDate => loan.disbursed_on,
        LprReference::LastOfPreviousYear => {
            NaiveDate::from_ymd_opt(loan.disbursed_on.year() - 1, 12, 31)
                .unwrap_or(loan.disbursed_on)
        }
        LprReference::DecemberOfPeriodEndYear => {
            NaiveDate::from_ymd_opt(end.year(), 12, 31).unwrap_or(end)
        }
    };
    let loan_rate = loan.annual_rate.percent();
    let hundred = Decimal::ONE_HUNDRED;
    let mut rate = match r.base {
        InterestBase::FixedPoints => {
            let p = match (loan.first_loan, r.first_loan_points) {
                (true, Some(fl)) => {
                    t.add("base", format!("fixed_points, 首贷 loan: {}%", fl));
                    fl
                }
                _ => {
                    let p = r.points.unwrap_or(Rate::ZERO);
                    t.add("base", format!("fixed_points: {}%", p));
                    p
                }
            };
            p.percent()
        }
        InterestBase::LprShare => {
            let share = r.share_percent.unwrap_or_default();
            let l = lookup(reference_date, t, reasons).unwrap_or_default();
            let v = l * share / hundred;
            t.add(
                "base",
                format!("lpr_share: {} × {} = {}", pct(share), pct(l), pct(v)),
            );
            v
        }
        InterestBase::ActualRateShare => {
            let share = r.share_percent.unwrap_or_default();
            let v = loan_rate * share / hundred;
            t.add(
                "base",
                format!(
                    "actual_rate_share: {} × {} = {}",
                    pct(share),
                    pct(loan_rate),
                    pct(v)
                ),
            );
            v
        }
        InterestBase::LprSpread => {
            let l = lookup(reference_date, t, reasons).unwrap_or_default();
            let spread = Decimal::new(r.spread_bp.unwrap_or(0), 2);
            let v = loan_rate - (l - spread);
            t.add(
                "base",
                format!(
                    "lpr_spread: {} − ({} − {}) = {}",
                    pct(loan_rate),
                    pct(l),
                    pct(spread),
                    pct(v)
                ),
            );
            v
        }
    };
    if let Some(maxp) = r.max_points {
        if rate > maxp.percent() {
            t.add(
                "max_points cap",
                format!("{} → {}", pct(rate), pct(maxp.percent())),
            );
            rate = maxp.percent();
        }
    }
    if rate > loan_rate {
        t.add(
            "loan rate cap",
            format!(
                "{} → {} (never above the loan's own rate)",
                pct(rate),
                pct(loan_rate)
            ),
        );
        rate = loan_rate;
    }
    if rate < Decimal::ZERO {
        t.add("floor", format!("{} → 0%", pct(rate)));
        rate = Decimal::ZERO;
    }
    t.add("subsidy rate", pct(rate));
    let (s, e) = window(loan, start, end, r.max_months, t);
    let fraction = year_fraction(r.day_count, s, e, t);
    let raw = principal.to_decimal() * rate / hundred * fraction;
    t.add(
        "raw amount",
        format!(
            "{} × {} × {} = {}",
            principal,
            pct(rate),
            fraction.round_dp(10).normalize(),
            raw.round_dp(6).normalize()
        ),
    );
    let rounded = round_fen(raw);
    t.add("rounded (half up to 0.01)", rounded);
    apply_caps(
        rounded,
        r.per_enterprise_annual_cap,
        r.per_enterprise_total_cap,
        prior,
        t,
    )
}

fn guarantee(
    r: &GuaranteeRule,
    loan: &LoanFacts,
    start: NaiveDate,
    end: NaiveDate,
    prior: PriorAmounts,
    t: &mut Trail,
    reasons: &mut Vec<String>,
) -> Money {
    let Some(g) = loan.guarantee else {
        reasons.push("the loan has no guarantee".into());
        return Money::ZERO;
    };
    t.add("guarantee fee rate", format!("{}%", g.fee_rate));
    t.add("counter-guarantee", g.counter_guarantee);
    if let Some(maxf) = r.max_fee_rate {
        if g.fee_rate > maxf {
            reasons.push(format!(
                "the guarantee fee rate {}% is above the maximum {}%",
                g.fee_rate, maxf
            ));
        }
    }
    if !r.counter_guarantee.is_empty() && !r.counter_guarantee.contains(&g.counter_guarantee) {
        reasons.push(format!(
            "counter-guarantee {} is not accepted",
            g.counter_guarantee
        ));
    }
    let (s, e) = window(loan, start, end, None, t);
    let fraction = year_fraction(r.day_count, s, e, t);
    let hundred = Decimal::ONE_HUNDRED;
    let raw = loan.principal.to_decimal() * r.subsidy_percent / hundred * fraction;
    t.add(
        "raw amount",
        format!(
            "{} × {} × {} = {}",
            loan.principal,
            pct(r.subsidy_percent),
            fraction.round_dp(10).normalize(),
            raw.round_dp(6).normalize()
        ),
    );
    let mut amount = round_fen(raw);
    t.add("rounded (half up to 0.01)", amount);
    if r.cap_at_fee_paid {
        let fee =
            round_fen(loan.principal.to_decimal() * g.fee_rate.percent() / hundred * fraction);
        t.add("fee charged for the period", fee);
        amount = amount.min(fee);
    }
    apply_caps(amount, r.per_enterprise_annual_cap, None, prior, t)
}

/// Who a policy is for. Empty lists and absent values mean "no constraint".
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct PolicyEligibility {
    /// One of these, valid on the disbursement date.
    pub qualifications_any: Vec<super::product::QualificationRequirement>,
    pub size_classes: Vec<super::size_class::SizeClass>,
    pub product_types: Vec<super::product::ProductType>,
    pub region_prefixes: Vec<String>,
    pub first_loan_only: bool,
    pub min_term_months: Option<u32>,
}

/// The facts a policy's eligibility reads.
#[derive(Clone, Debug)]
pub struct Beneficiary<'a> {
    pub region_code: &'a str,
    pub size_class: super::size_class::SizeClass,
    pub qualifications: &'a [super::qualification::Qualification],
    pub product_type: super::product::ProductType,
}

/// Reasons the loan does not qualify (empty when it does).
pub fn policy_reasons(
    e: &PolicyEligibility,
    effective_from: NaiveDate,
    effective_to: Option<NaiveDate>,
    scope_prefix: Option<&str>,
    loan: &LoanFacts,
    who: &Beneficiary,
) -> Vec<String> {
    let mut r = Vec::new();
    let on = loan.disbursed_on;
    if on < effective_from || effective_to.is_some_and(|to| on > to) {
        r.push(format!(
            "the loan was disbursed on {on}, outside the policy's effective period"
        ));
    }
    if let Some(p) = scope_prefix {
        if !who.region_code.starts_with(p) {
            r.push(format!(
                "the enterprise's region {} is outside the policy's region {p}",
                who.region_code
            ));
        }
    }
    if !e.region_prefixes.is_empty()
        && !e
            .region_prefixes
            .iter()
            .any(|p| who.region_code.starts_with(p.as_str()))
    {
        r.push(format!(
            "region {} is not among the policy's regions",
            who.region_code
        ));
    }
    if !e.qualifications_any.is_empty()
        && !e
            .qualifications_any
            .iter()
            .any(|q| super::qualification::holds(who.qualifications, q.kind, q.min_level, on))
    {
        let wanted: Vec<String> = e
            .qualifications_any
            .iter()
            .map(|q| format!("{} {}", q.min_level, q.kind))
            .collect();
        r.push(format!(
            "needs a {} qualification valid on {on}",
            wanted.join(" or ")
        ));
    }
    if !e.size_classes.is_empty() && !e.size_classes.contains(&who.size_class) {
        r.push(format!("size class {} is not covered", who.size_class));
    }
    if !e.product_types.is_empty() && !e.product_types.contains(&who.product_type) {
        r.push(format!("product type {} is not covered", who.product_type));
    }
    if e.first_loan_only && !loan.first_loan {
        r.push("only first loans (首贷) are covered".into());
    }
    if let Some(min) = e.min_term_months {
        if loan.term_months < min {
            r.push(format!(
                "the term of {} months is below the minimum {min}",
                loan.term_months
            ));
        }
    }
    r
}

#[cfg(test)]
mod tests {

    /// The whole claim table: every (state, action) pair.
    #[test]
    fn claim_states_move_only_along_the_arrows() {
        use super::ClaimAction as A;
        use super::ClaimState as S;
        let arrows = [
            (S::Submitted, A::Approve, S::Approved),
            (S::Submitted, A::Reject, S::Rejected),
            (S::Approved, A::Pay, S::Paid),
        ];
        for &s in S::ALL {
            for &a in A::ALL {
                let expected = arrows
                    .iter()
                    .find(|(f, x, _)| *f == s && *x == a)
                    .map(|(_, _, to)| *to);
                assert_eq!(s.after(a), expected, "{s} --{a}-->");
            }
        }
        assert_eq!(A::Pay.arrow(), (S::Approved, S::Paid));
    }

    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn m(s: &str) -> Money {
        Money::parse(s).unwrap()
    }

    fn r(s: &str) -> Rate {
        Rate::parse(s).unwrap()
    }

    /// The published history (domain-notes §5).
    fn lpr() -> Vec<LprPoint> {
        [
            ("2019-08-20", "4.25", "4.85"),
            ("2019-09-20", "4.20", "4.85"),
            ("2019-11-20", "4.15", "4.80"),
            ("2020-02-20", "4.05", "4.75"),
            ("2020-04-20", "3.85", "4.65"),
            ("2021-12-20", "3.80", "4.65"),
            ("2022-01-20", "3.70", "4.60"),
            ("2022-05-20", "3.70", "4.45"),
            ("2022-08-22", "3.65", "4.30"),
            ("2023-06-20", "3.55", "4.20"),
            ("2023-08-21", "3.45", "4.20"),
            ("2024-02-20", "3.45", "3.95"),
            ("2024-07-22", "3.35", "3.85"),
            ("2024-10-21", "3.10", "3.60"),
            ("2025-05-20", "3.00", "3.50"),
        ]
        .iter()
        .map(|(e, a, b)| LprPoint {
            effective_on: d(e),
            one_year: r(a),
            five_year: r(b),
        })
        .collect()
    }

    fn interest_rule(base: InterestBase) -> InterestRule {
        InterestRule {
            base,
            points: None,
            first_loan_points: None,
            share_percent: None,
            lpr_term: LprTerm::OneYear,
            lpr_reference: LprReference::DisbursementDate,
            spread_bp: None,
            max_points: None,
            day_count: DayCount::Act360,
            max_months: None,
            principal_cap: None,
            per_enterprise_annual_cap: None,
            per_enterprise_total_cap: None,
        }
    }

    fn loan(principal: &str, rate: &str, on: &str, term: u32) -> LoanFacts {
        LoanFacts {
            principal: m(principal),
            annual_rate: r(rate),
            disbursed_on: d(on),
            term_months: term,
            first_loan: false,
            guarantee: None,
        }
    }

    fn run(rule: InterestRule, l: &LoanFacts, from: &str, to: &str) -> Computation {
        compute(
            &Rule::Interest(rule),
            l,
            d(from),
            d(to),
            &lpr(),
            PriorAmounts::default(),
        )
    }

    #[test]
    fn lpr_as_of_picks_the_latest_print_not_after_the_date() {
        let s = lpr();
        assert_eq!(lpr_as_of(&s, d("2024-10-20")).unwrap().one_year, r("3.35"));
        assert_eq!(lpr_as_of(&s, d("2024-10-21")).unwrap().one_year, r("3.10"));
        assert_eq!(lpr_as_of(&s, d("2026-11-22")).unwrap().one_year, r("3.00"));
        assert!(lpr_as_of(&s, d("2019-08-19")).is_none());
    }

    /// I1 财金〔2026〕4号: 1.5 pp, ≤ 2 years, principal above 5000万 not subsidised.
    /// 60,000,000 at 3.50% from 2026-01-15; period 2026-01-15 → 2026-07-15 = 181 days.
    /// 50,000,000 × 1.5% × 181/360 = 377,083.3333… → 377,083.33.
    #[test]
    fn i1_fixed_points_with_principal_cap() {
        let mut rule = interest_rule(InterestBase::FixedPoints);
        rule.points = Some(r("1.5"));
        rule.max_months = Some(24);
        rule.principal_cap = Some(m("50000000"));
        let c = run(
            rule.clone(),
            &loan("60000000", "3.50", "2026-01-15", 36),
            "2026-01-15",
            "2026-07-15",
        );
        assert!(c.eligible);
        assert_eq!(c.amount, m("377083.33"));
        // Beyond 24 months nothing is subsidised: 2028-01-15 → 2028-07-15 is outside.
        let c = run(
            rule,
            &loan("60000000", "3.50", "2026-01-15", 36),
            "2028-01-15",
            "2028-07-15",
        );
        assert_eq!(c.amount, Money::ZERO);
    }

    /// I2 福建 专利权质押: 20% × 1-year LPR of December of the repayment year.
    /// 1,000,000 from 2025-03-01 to 2026-03-01 (365 days); LPR as of 2026-12-31 = 3.00% → 0.6%.
    /// 1,000,000 × 0.6% × 365/360 = 6,083.3333… → 6,083.33; lifetime cap 200,000 per enterprise.
    #[test]
    fn i2_share_of_december_lpr() {
        let mut rule = interest_rule(InterestBase::LprShare);
        rule.share_percent = Some(Decimal::from(20));
        rule.lpr_reference = LprReference::DecemberOfPeriodEndYear;
        rule.max_months = Some(12);
        rule.per_enterprise_total_cap = Some(m("200000"));
        let c = run(
            rule.clone(),
            &loan("1000000", "4.00", "2025-03-01", 12),
            "2025-03-01",
            "2026-03-01",
        );
        assert_eq!(c.amount, m("6083.33"));
        assert!(c
            .breakdown
            .iter()
            .any(|s| s.step == "LPR used" && s.value.contains("3.00% effective 2025-05-20")));
        // The lifetime cap: 199,000 already approved leaves 1,000.
        let prior = PriorAmounts {
            same_year: Money::ZERO,
            total: m("199000"),
        };
        let c = compute(
            &Rule::Interest(rule),
            &loan("1000000", "4.00", "2025-03-01", 12),
            d("2025-03-01"),
            d("2026-03-01"),
            &lpr(),
            prior,
        );
        assert_eq!(c.amount, m("1000.00"));
    }

    /// I3 彭阳县: ≤ 60% × the last 1-year LPR published in the year before disbursement.
    /// Loan 2026-03-10, 5,000,000; LPR as of 2025-12-31 = 3.00% → 1.80%.
    /// 2026-03-10 → 2026-09-10 is 184 days: 5,000,000 × 1.8% × 184/360 = 46,000.00.
    #[test]
    fn i3_share_of_last_year_lpr_with_annual_cap() {
        let mut rule = interest_rule(InterestBase::LprShare);
        rule.share_percent = Some(Decimal::from(60));
        rule.lpr_reference = LprReference::LastOfPreviousYear;
        rule.per_enterprise_annual_cap = Some(m("1000000"));
        let c = run(
            rule.clone(),
            &loan("5000000", "3.90", "2026-03-10", 12),
            "2026-03-10",
            "2026-09-10",
        );
        assert_eq!(c.amount, m("46000.00"));
        // A loan disbursed in 2025 looks at the LPR as of 2024-12-31: 3.10% → 1.86%.
        let c = run(
            rule,
            &loan("5000000", "3.90", "2025-03-10", 12),
            "2025-03-10",
            "2025-09-10",
        );
        // 184 days: 5,000,000 × 1.86% × 184/360 = 47,533.333… → 47,533.33
        assert_eq!(c.amount, m("47533.33"));
    }

    /// I4 技改专项贷: 50% × the loan rate, at most 2 points. 4.60% → 2.30% → capped 2.00%.
    /// A full year in whole months: 10,000,000 × 2% × 12/12 = 200,000.00.
    #[test]
    fn i4_share_of_actual_rate_capped() {
        let mut rule = interest_rule(InterestBase::ActualRateShare);
        rule.share_percent = Some(Decimal::from(50));
        rule.max_points = Some(r("2"));
        rule.day_count = DayCount::Months30_360;
        let c = run(
            rule.clone(),
            &loan("10000000", "4.60", "2026-01-01", 24),
            "2026-01-01",
            "2027-01-01",
        );
        assert_eq!(c.amount, m("200000.00"));
        // At 3.60% the share is 1.80%, under the cap: 180,000.00.
        let c = run(
            rule,
            &loan("10000000", "3.60", "2026-01-01", 24),
            "2026-01-01",
            "2027-01-01",
        );
        assert_eq!(c.amount, m("180000.00"));
    }

    /// I5 淮安 富民创业贷: loan rate − (LPR − 150 bp), capped at 200 bp.
    /// 4.35% − (3.00% − 1.50%) = 2.85% → 2.00%; 1,000,000 × 2% × 365/365 = 20,000.00.
    /// 3.20% − 1.50% = 1.70% → 17,000.00.
    #[test]
    fn i5_spread_over_lpr() {
        let mut rule = interest_rule(InterestBase::LprSpread);
        rule.spread_bp = Some(150);
        rule.max_points = Some(r("2"));
        rule.day_count = DayCount::Act365;
        let c = run(
            rule.clone(),
            &loan("1000000", "4.35", "2026-01-05", 12),
            "2026-01-05",
            "2027-01-05",
        );
        assert_eq!(c.amount, m("20000.00"));
        let c = run(
            rule.clone(),
            &loan("1000000", "3.20", "2026-01-05", 12),
            "2026-01-05",
            "2027-01-05",
        );
        assert_eq!(c.amount, m("17000.00"));
        // A loan priced under LPR − 150 bp gets nothing, never a negative amount.
        let c = run(
            rule,
            &loan("1000000", "1.20", "2026-01-05", 12),
            "2026-01-05",
            "2027-01-05",
        );
        assert_eq!(c.amount, Money::ZERO);
        assert!(c.breakdown.iter().any(|s| s.step == "floor"));
    }

    /// I6 随州 科技创新贷: 首贷户 2 points, others 1.5; ≤ 2 years; lifetime 1,000,000.
    /// 3,000,000 for 180 days (act_360): first loan 30,000.00, otherwise 22,500.00.
    #[test]
    fn i6_first_loan_points() {
        let mut rule = interest_rule(InterestBase::FixedPoints);
        rule.points = Some(r("1.5"));
        rule.first_loan_points = Some(r("2"));
        rule.max_months = Some(24);
        rule.per_enterprise_total_cap = Some(m("1000000"));
        let mut l = loan("3000000", "3.80", "2026-02-01", 24);
        let c = run(rule.clone(), &l, "2026-02-01", "2026-07-31");
        assert_eq!(c.amount, m("22500.00"));
        l.first_loan = true;
        let c = run(rule, &l, "2026-02-01", "2026-07-31");
        assert_eq!(c.amount, m("30000.00"));
    }

    /// G1 安徽 专精特新 担保费补贴: 1%/year of the loan to the guarantor, fee ≤ 1.2%, no
    /// collateral counter-guarantee, ≤ 100,000 per guarantor per enterprise per year.
    /// 5,000,000, fee 1.0%, 12 months: 5,000,000 × 1% × 12/12 = 50,000.00 (the fee is also 50,000).
    /// 12,000,000: 120,000.00 → capped at 100,000.00.
    #[test]
    fn g1_guarantee_fee_subsidy() {
        let rule = GuaranteeRule {
            subsidy_percent: Decimal::ONE,
            max_fee_rate: Some(r("1.2")),
            counter_guarantee: vec![CounterGuarantee::Credit, CounterGuarantee::ThirdParty],
            day_count: DayCount::Months30_360,
            per_enterprise_annual_cap: Some(m("100000")),
            cap_at_fee_paid: true,
        };
        let g = Some(GuaranteeFacts {
            fee_rate: r("1.0"),
            counter_guarantee: CounterGuarantee::ThirdParty,
        });
        let mut l = loan("5000000", "3.65", "2026-01-10", 12);
        l.guarantee = g;
        let run = |l: &LoanFacts| {
            compute(
                &Rule::Guarantee(rule.clone()),
                l,
                d("2026-01-10"),
                d("2027-01-10"),
                &lpr(),
                PriorAmounts::default(),
            )
        };
        assert_eq!(run(&l).amount, m("50000.00"));
        l.principal = m("12000000");
        assert_eq!(run(&l).amount, m("100000.00"));
        // A fee of 0.5% caps the subsidy at the fee charged: 12,000,000 × 0.5% = 60,000.00.
        l.guarantee = Some(GuaranteeFacts {
            fee_rate: r("0.5"),
            counter_guarantee: CounterGuarantee::Credit,
        });
        assert_eq!(run(&l).amount, m("60000.00"));
        // Ineligible: fee above 1.2%, collateral counter-guarantee, no guarantee at all.
        l.guarantee = Some(GuaranteeFacts {
            fee_rate: r("1.5"),
            counter_guarantee: CounterGuarantee::Credit,
        });
        assert!(!run(&l).eligible);
        l.guarantee = Some(GuaranteeFacts {
            fee_rate: r("1.0"),
            counter_guarantee: CounterGuarantee::Collateral,
        });
        assert!(!run(&l).eligible);
        l.guarantee = None;
        let c = run(&l);
        assert!(!c.eligible && c.amount == Money::ZERO);
    }

    #[test]
    fn rounding_is_half_up_once() {
        assert_eq!(round_fen(Decimal::new(12345, 3)), m("12.35"));
        assert_eq!(round_fen(Decimal::new(12344999, 6)), m("12.34"));
        assert_eq!(round_fen(Decimal::new(5, 3)), m("0.01"));
        assert_eq!(round_fen(Decimal::new(4999, 6)), m("0.00"));
        // 算头不算尾 and whole months.
        // End of month to end of month is a whole month (Jan 31 + 1 month = Feb 28).
        assert_eq!(whole_months(d("2026-01-31"), d("2026-02-28")), 1);
        assert_eq!(whole_months(d("2026-01-31"), d("2026-02-27")), 0);
        assert_eq!(whole_months(d("2026-01-15"), d("2026-07-15")), 6);
        assert_eq!(whole_months(d("2026-01-15"), d("2026-07-14")), 5);
    }

    mod properties {
        use super::*;
        use proptest::prelude::*;

        proptest! {
            /// No amount exceeds a cap, the subsidy rate never exceeds the loan's rate, and
            /// nothing is negative.
            #[test]
            fn caps_hold(principal in 1i64..=10_000_000_000, rate in 1i64..=150_000, points in 0i64..=50_000,
                         days in 0i64..=800, annual in 0i64..=500_000_000, total in 0i64..=500_000_000,
                         prior_year in 0i64..=600_000_000, prior_total in 0i64..=600_000_000) {
                let mut rule = interest_rule(InterestBase::FixedPoints);
                rule.points = Some(Rate::from_units(points));
                rule.per_enterprise_annual_cap = Some(Money::from_fen(annual));
                rule.per_enterprise_total_cap = Some(Money::from_fen(total));
                let l = LoanFacts { principal: Money::from_fen(principal), annual_rate: Rate::from_units(rate),
                    disbursed_on: d("2026-01-01"), term_months: 360, first_loan: false, guarantee: None };
                let end = d("2026-01-01") + chrono::Days::new(days as u64);
                let prior = PriorAmounts { same_year: Money::from_fen(prior_year), total: Money::from_fen(prior_total) };
                let c = compute(&Rule::Interest(rule), &l, d("2026-01-01"), end, &lpr(), prior);
                prop_assert!(c.amount.fen() >= 0);
                prop_assert!(c.amount.fen() <= (annual - prior_year).max(0));
                prop_assert!(c.amount.fen() <= (total - prior_total).max(0));
                // The subsidy rate is at most the loan's rate, so the amount is at most the interest.
                let interest = round_fen(l.principal.to_decimal() * l.annual_rate.percent() / Decimal::ONE_HUNDRED
                    * Decimal::from(days) / Decimal::from(360));
                prop_assert!(c.amount <= interest);
            }

            /// Half-up rounding: the result is within half a fen of the exact value, ties go up.
            #[test]
            fn rounding_half_up(milli_fen in 0i64..=10_000_000_000) {
                let exact = Decimal::new(milli_fen, 5);
                let rounded = round_fen(exact).to_decimal();
                prop_assert!((rounded - exact).abs() <= Decimal::new(5, 3));
                if milli_fen % 1000 == 500 {
                    prop_assert!(rounded > exact);
                }
            }
        }
    }
}
