//! The report figures: the overview (funnel, loans, subsidy budgets), breakdowns by one
//! dimension and the per-bank supervision list (督导).

use crate::app::clock;
use chrono::NaiveDate;
use serde::Serialize;
use utoipa::ToSchema;

use super::{loan_rollup, slice, BreakdownQuery, StatsQuery};
use crate::app::caller::Caller;
use crate::app::error::AppResult;
use crate::db::stats::{self as repo, Slice};
use crate::db::{self, DbConnection};
use crate::domain::money::Money;
use crate::domain::rollup::{self, dim, Fact, FundBalance, FundFigures, RenewalFigures};
use crate::domain::stats::{
    self, BankFigures, By, DemandFigures, Group, LoanFigures, MatchFigures, Rates,
};
use crate::domain::subsidy::{PolicyKind, PolicyStatus};

#[derive(Debug, Serialize, ToSchema)]
pub struct SubsidyFigures {
    #[schema(value_type = Money)]
    pub submitted: Money,
    #[schema(value_type = Money)]
    pub approved: Money,
    #[schema(value_type = Money)]
    pub paid: Money,
    /// Budget left across the policies covering the region.
    #[schema(value_type = Money)]
    pub remaining_budgets: Money,
    /// Each policy covering the region (nationwide, or whose region contains or lies within
    /// the caller's): budget, committed (claims approved or paid) and remaining.
    pub budgets: Vec<PolicyBudgetView>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PolicyBudgetView {
    pub policy_id: i64,
    pub name: String,
    /// 贴息, 担保费补贴, or an award.
    pub kind: PolicyKind,
    pub status: PolicyStatus,
    #[schema(value_type = Money)]
    pub budget: Money,
    #[schema(value_type = Money)]
    pub used: Money,
    #[schema(value_type = Money)]
    pub remaining: Money,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Overview {
    pub region_prefix: Option<String>,
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
    pub demands: DemandFigures,
    pub matches: MatchFigures,
    pub loans: LoanFigures,
    #[serde(flatten)]
    pub rates: Rates,
    pub subsidies: SubsidyFigures,
    /// 续贷 (SPEC §3.13), by request date.
    pub renewals: RenewalFigures,
    /// Each risk scheme covering the region (SPEC §3.15).
    pub risk_schemes: Vec<super::risk::SchemeFigures>,
}

fn overview_of(conn: &mut DbConnection, s: &Slice) -> AppResult<Overview> {
    let plan = rollup::plan(s.from, s.to);
    let prefix = &s.scope;
    let d = rollup::merged(&db::rollups::load(
        conn,
        Fact::Demand,
        &[dim::ALL],
        &plan,
        prefix,
    )?);
    let match_cells = db::rollups::load_counts(conn, Fact::Match, &[dim::STATE], &plan, prefix)?;
    let matches = rollup::match_counts(&match_cells, clock::today());
    let loans = rollup::merged(&loan_rollup(conn, s, &[dim::ALL])?);
    let renewal_cells = db::rollups::load(
        conn,
        Fact::Renewal,
        &[dim::STATE, dim::DECISION],
        &plan,
        prefix,
    )?;
    let sub = repo::subsidies(conn, s)?;
    let budgets: Vec<PolicyBudgetView> = sub
        .policies
        .into_iter()
        .map(|p| {
            Ok(PolicyBudgetView {
                policy_id: p.id,
                name: p.name,
                kind: p.kind,
                status: p.status,
                budget: Money::from_fen(p.budget_fen),
                used: Money::from_fen(p.used_fen),
                remaining: Money::from_fen((p.budget_fen - p.used_fen).max(0)),
            })
        })
        .collect::<AppResult<_>>()?;
    Ok(Overview {
        region_prefix: s.region_prefix.clone(),
        from: s.from,
        to: s.to,
        demands: DemandFigures {
            count: d.n.max(0) as u64,
            amount: Money::from_fen(d.amount_fen),
        },
        matches,
        loans: rollup::loan_figures(&loans),
        rates: stats::funnel_rates(&d),
        subsidies: SubsidyFigures {
            submitted: Money::from_fen(sub.submitted_fen),
            approved: Money::from_fen(sub.approved_fen),
            paid: Money::from_fen(sub.paid_fen),
            remaining_budgets: Money::from_fen(budgets.iter().map(|b| b.remaining.fen()).sum()),
            budgets,
        },
        renewals: rollup::renewal_figures(&renewal_cells, clock::today()),
        risk_schemes: super::risk::scheme_figures(conn, s)?,
    })
}

/// Totals for the caller's region (finance office, admin).
pub fn overview(conn: &mut DbConnection, auth: &Caller, q: StatsQuery) -> AppResult<Overview> {
    let s = slice(auth, q.from, q.to, q.region_prefix)?;
    overview_of(conn, &s)
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Breakdown {
    pub by: By,
    pub groups: Vec<Group>,
    /// The loan figures over every loan (for `qualification`, groups overlap).
    pub total: LoanFigures,
    /// The match figures over every match (for `qualification`, groups overlap).
    pub total_matches: MatchFigures,
}

pub fn breakdown(
    conn: &mut DbConnection,
    auth: &Caller,
    q: BreakdownQuery,
) -> AppResult<Breakdown> {
    let by = q.by;
    let s = slice(auth, q.from, q.to, q.region_prefix)?;
    if by == By::RiskScheme {
        let (groups, total) = super::risk::scheme_groups(conn, &s)?;
        return Ok(Breakdown {
            by,
            groups,
            total,
            total_matches: MatchFigures::default(),
        });
    }
    let cells = loan_rollup(conn, &s, &[dim::ALL, by.dim()])?;
    // Match figures are plain sums: the database adds up the regions, unless grouping by them.
    let load_matches = if by == By::Region {
        db::rollups::load
    } else {
        db::rollups::load_counts
    };
    let match_cells = load_matches(
        conn,
        Fact::Match,
        &[dim::STATE, by.match_dim()],
        &rollup::plan(s.from, s.to),
        &s.scope,
    )?;
    let bank_names = if by == By::Bank {
        db::orgs::names_of_kind(conn, "bank")?
    } else {
        Default::default()
    };
    let all: Vec<_> = cells
        .iter()
        .filter(|(k, _)| k.dim == dim::ALL)
        .cloned()
        .collect();
    let today = clock::today();
    Ok(Breakdown {
        by,
        groups: rollup::breakdown(
            &cells,
            &match_cells,
            by,
            |id| bank_names.get(&id).cloned().unwrap_or_default(),
            today,
        ),
        total: rollup::loan_figures(&rollup::merged(&all)),
        total_matches: rollup::match_counts(&match_cells, today),
    })
}

#[derive(Debug, Serialize, ToSchema)]
pub struct BankList {
    pub items: Vec<BankFigures>,
}

/// Per bank: matches received, accepted, rejected, median hours to respond, overdue, amounts,
/// loans after 放款, renewals received and overdue.
pub fn banks(conn: &mut DbConnection, auth: &Caller, q: StatsQuery) -> AppResult<BankList> {
    let s = slice(auth, q.from, q.to, q.region_prefix)?;
    let plan = rollup::plan(s.from, s.to);
    let prefix = &s.scope;
    // Counts summed over regions by the database; response-time histograms merged here.
    let mut matches =
        db::rollups::load_counts(conn, Fact::Match, &[dim::BANK_STATE], &plan, prefix)?;
    matches.extend(db::rollups::load(
        conn,
        Fact::Match,
        &[dim::BANK_RESPONSE],
        &plan,
        prefix,
    )?);
    let loans = db::rollups::load(conn, Fact::Loan, &[dim::BANK], &plan, prefix)?;
    let renewals =
        db::rollups::load_counts(conn, Fact::Renewal, &[dim::BANK_STATE], &plan, prefix)?;
    let names = db::orgs::names_of_kind(conn, "bank")?;
    let items = rollup::bank_figures(
        &matches,
        &loans,
        &renewals,
        |id| names.get(&id).cloned().unwrap_or_default(),
        clock::today(),
    );
    Ok(BankList { items })
}

#[derive(Debug, Serialize, ToSchema)]
pub struct FundList {
    pub items: Vec<FundFigures>,
}

/// Per bridge fund (应急转贷, SPEC §3.14) covering the caller's region: capital, available and
/// utilisation now; bridges, turnover, fees and median days of the bridges requested in the
/// slice by enterprises of the region.
pub fn funds(conn: &mut DbConnection, auth: &Caller, q: StatsQuery) -> AppResult<FundList> {
    let s = slice(auth, q.from, q.to, q.region_prefix)?;
    let cells = db::rollups::load(
        conn,
        Fact::Bridge,
        &[dim::FUND, dim::FUND_DAYS],
        &rollup::plan(s.from, s.to),
        &s.scope,
    )?;
    let funds: Vec<FundBalance> = db::bridges::all_funds(conn)?
        .into_iter()
        .filter(|f| s.scope.covers_prefix(f.fields.region_prefix.as_deref()))
        .map(|f| FundBalance {
            fund_id: f.id,
            name: f.fields.name,
            capital_fen: f.fields.capital_fen,
            reserved_fen: f.reserved_fen,
        })
        .collect();
    Ok(FundList {
        items: rollup::fund_figures(&cells, &funds),
    })
}
