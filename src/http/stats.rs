//! Finance-office reporting (统计监测, SPEC §3.9): overview, breakdowns, bank supervision,
//! targets and Excel/CSV exports, all scoped to the caller's region. Metrics are defined in
//! `domain::stats` and `docs/metrics.md`.

use actix_web::http::header;
use actix_web::{get, post, web, HttpRequest, HttpResponse};
use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::auth::Auth;
use super::extract::JsonBody;
use super::pagination::{page, Page, PageQuery};
use super::{idempotency, with_conn};
use crate::app::error::ProblemCode;
use crate::app::error::{AppError, AppResult, Validator};
use crate::app::AppState;
use crate::db::stats::{self as repo, ExportedLoan, Slice, TargetRow};
use crate::db::{self, DbConnection};
use crate::domain::date::rfc3339;
use crate::domain::money::Money;
use crate::domain::org::Role;
use crate::domain::product::ProductType;
use crate::domain::qualification::QualificationKind;
use crate::domain::region;
use crate::domain::rollup::{self, dim, CellKey, Fact, Measures};
use crate::domain::size_class::SizeClass;
use crate::domain::stats::{
    self, BankFigures, By, DemandFigures, Group, LoanFigures, MatchFigures, Metric, Rates,
};
use crate::domain::subsidy::PolicyStatus;
use crate::domain::WireEnum;

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct StatsQuery {
    /// From this date (demand and match creation, loan disbursement).
    #[serde(default, deserialize_with = "crate::domain::date::strict_opt")]
    pub from: Option<NaiveDate>,
    /// To this date, inclusive.
    #[serde(default, deserialize_with = "crate::domain::date::strict_opt")]
    pub to: Option<NaiveDate>,
    /// Narrows the caller's region (2, 4 or 6 digits).
    pub region_prefix: Option<String>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct BreakdownQuery {
    pub by: By,
    #[serde(default, deserialize_with = "crate::domain::date::strict_opt")]
    pub from: Option<NaiveDate>,
    #[serde(default, deserialize_with = "crate::domain::date::strict_opt")]
    pub to: Option<NaiveDate>,
    pub region_prefix: Option<String>,
}

/// The slice a caller may see: admin anything, a finance office its region (a narrower
/// `region_prefix` narrows it; a disjoint one sees nothing). Other roles: 403.
fn slice(
    conn: &mut DbConnection,
    auth: &Auth,
    from: Option<NaiveDate>,
    to: Option<NaiveDate>,
    prefix: Option<String>,
) -> AppResult<Slice> {
    auth.require(&[Role::Admin, Role::FinanceOffice])?;
    if prefix
        .as_deref()
        .is_some_and(|p| !region::is_region_prefix(p))
    {
        return Err(AppError::bad_request(
            ProblemCode::InvalidQuery,
            "region_prefix must be 2, 4 or 6 digits",
        ));
    }
    if let (Some(f), Some(t)) = (from, to) {
        if t < f {
            return Err(AppError::bad_request(
                ProblemCode::InvalidQuery,
                "to must not be before from",
            ));
        }
    }
    let region_prefix = match auth.role {
        Role::Admin => prefix,
        _ => {
            let own = db::orgs::find(conn, auth.org_id)?
                .and_then(|o| o.region_code)
                .unwrap_or_else(|| "none".into());
            match prefix {
                Some(p) if p.starts_with(&own) => Some(p),
                Some(p) if own.starts_with(&p) => Some(own),
                Some(_) => Some("none".into()),
                None => Some(own),
            }
        }
    };
    Ok(Slice {
        region_prefix,
        from,
        to,
    })
}

fn today() -> NaiveDate {
    chrono::Utc::now().date_naive()
}

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
}

/// Loan cells of `dims` for the slice.
fn loan_rollup(
    conn: &mut DbConnection,
    s: &Slice,
    dims: &[&str],
) -> AppResult<Vec<(CellKey, Measures)>> {
    Ok(db::rollups::load(
        conn,
        Fact::Loan,
        dims,
        &rollup::plan(s.from, s.to),
        s.region_prefix.as_deref(),
    )?)
}

fn overview_of(conn: &mut DbConnection, s: &Slice) -> AppResult<Overview> {
    let plan = rollup::plan(s.from, s.to);
    let prefix = s.region_prefix.as_deref();
    let d = rollup::merged(&db::rollups::load(
        conn,
        Fact::Demand,
        &[dim::ALL],
        &plan,
        prefix,
    )?);
    let match_cells = db::rollups::load_counts(conn, Fact::Match, &[dim::STATE], &plan, prefix)?;
    let matches = rollup::match_counts(&match_cells, today());
    let loans = rollup::merged(&loan_rollup(conn, s, &[dim::ALL])?);
    let sub = repo::subsidies(conn, s)?;
    let budgets: Vec<PolicyBudgetView> = sub
        .policies
        .into_iter()
        .map(|p| {
            Ok(PolicyBudgetView {
                policy_id: p.id,
                name: p.name,
                status: crate::app::views::stored(&p.status)?,
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
    })
}

/// Totals for the caller's region (finance office, admin).
#[utoipa::path(tag = "reports", params(StatsQuery), responses((status = 200, description = "The overview", body = Overview)))]
#[get("/stats/overview")]
pub async fn overview(
    state: web::Data<AppState>,
    auth: Auth,
    q: web::Query<StatsQuery>,
) -> AppResult<HttpResponse> {
    let q = q.into_inner();
    let o = with_conn(&state, move |conn| {
        let s = slice(conn, &auth, q.from, q.to, q.region_prefix)?;
        overview_of(conn, &s)
    })
    .await?;
    Ok(HttpResponse::Ok().json(o))
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

fn breakdown_of(conn: &mut DbConnection, auth: &Auth, q: BreakdownQuery) -> AppResult<Breakdown> {
    let by = q.by;
    let s = slice(conn, auth, q.from, q.to, q.region_prefix)?;
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
        s.region_prefix.as_deref(),
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
    let today = today();
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

/// Loan and match figures per group (loans by disbursement date, matches by creation date).
#[utoipa::path(tag = "reports", params(BreakdownQuery), responses((status = 200, description = "Groups and total", body = Breakdown)))]
#[get("/stats/breakdown")]
pub async fn breakdown(
    state: web::Data<AppState>,
    auth: Auth,
    q: web::Query<BreakdownQuery>,
) -> AppResult<HttpResponse> {
    let q = q.into_inner();
    let b = with_conn(&state, move |conn| breakdown_of(conn, &auth, q)).await?;
    Ok(HttpResponse::Ok().json(b))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct BankList {
    pub items: Vec<BankFigures>,
}

/// Per bank: matches received, accepted, rejected, median hours to respond, overdue, amounts (督导).
#[utoipa::path(tag = "reports", params(StatsQuery), responses((status = 200, description = "Per-bank supervision figures", body = BankList)))]
#[get("/stats/banks")]
pub async fn banks(
    state: web::Data<AppState>,
    auth: Auth,
    q: web::Query<StatsQuery>,
) -> AppResult<HttpResponse> {
    let q = q.into_inner();
    let items = with_conn(&state, move |conn| {
        let s = slice(conn, &auth, q.from, q.to, q.region_prefix)?;
        let plan = rollup::plan(s.from, s.to);
        let prefix = s.region_prefix.as_deref();
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
        let names = db::orgs::names_of_kind(conn, "bank")?;
        Ok(rollup::bank_figures(
            &matches,
            &loans,
            |id| names.get(&id).cloned().unwrap_or_default(),
            today(),
        ))
    })
    .await?;
    Ok(HttpResponse::Ok().json(BankList { items }))
}

// ---------------------------------------------------------------- targets

#[derive(Debug, Deserialize, Serialize, ToSchema)]
pub struct CreateTarget {
    #[schema(
        example = "2026年普惠小微贷款投放目标",
        min_length = 1,
        max_length = 200
    )]
    pub name: String,
    pub metric: Metric,
    /// Yuan for `disbursed_amount` ("300000000000.00"), a whole number otherwise ("10000").
    #[schema(example = "300000000000.00")]
    pub value: String,
    #[serde(deserialize_with = "crate::domain::date::strict")]
    pub from: NaiveDate,
    #[serde(deserialize_with = "crate::domain::date::strict")]
    pub to: NaiveDate,
    pub region_prefix: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TargetView {
    pub id: i64,
    pub name: String,
    pub metric: Metric,
    pub value: String,
    pub actual: String,
    /// actual / value, 4 decimals ("0.4230").
    pub progress: String,
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub region_prefix: Option<String>,
    #[schema(format = DateTime)]
    pub created_at: String,
}

fn target_view(conn: &mut DbConnection, t: TargetRow) -> AppResult<TargetView> {
    let metric = crate::app::views::stored::<Metric>(&t.metric)?;
    let s = Slice {
        region_prefix: t.region_prefix.clone(),
        from: Some(t.from_date),
        to: Some(t.to_date),
    };
    let cells = loan_rollup(conn, &s, &[dim::ALL, dim::BANK])?;
    let (all, by_bank): (Vec<_>, Vec<_>) = cells.into_iter().partition(|(k, _)| k.dim == dim::ALL);
    let f = rollup::loan_figures(&rollup::merged(&all));
    let actual_units = match metric {
        Metric::DisbursedAmount => f.amount.fen(),
        Metric::EnterprisesServed => f.enterprises_served as i64,
        Metric::FirstLoanEnterprises => f.first_loan_enterprises as i64,
        // Banks with at least one loan in the window.
        Metric::ParticipatingBanks => {
            rollup::breakdown(&by_bank, &[], By::Bank, |_| String::new(), today()).len() as i64
        }
    };
    let show = |units: i64| match metric {
        Metric::DisbursedAmount => Money::from_fen(units).to_string(),
        _ => units.to_string(),
    };
    let progress = (Decimal::from(actual_units) / Decimal::from(t.value_units.max(1))).round_dp(4);
    Ok(TargetView {
        id: t.id,
        name: t.name,
        metric,
        value: show(t.value_units),
        actual: show(actual_units),
        progress: format!("{progress:.4}"),
        from: t.from_date,
        to: t.to_date,
        region_prefix: t.region_prefix,
        created_at: rfc3339(t.created_at),
    })
}

fn own_prefix(conn: &mut DbConnection, auth: &Auth) -> AppResult<Option<String>> {
    auth.require(&[Role::Admin, Role::FinanceOffice])?;
    Ok(match auth.role {
        Role::Admin => None,
        _ => Some(
            db::orgs::find(conn, auth.org_id)?
                .and_then(|o| o.region_code)
                .unwrap_or_else(|| "none".into()),
        ),
    })
}

/// Set a target (finance office within its region, admin).
#[utoipa::path(
    tag = "reports",
    request_body = CreateTarget,
    params(("Idempotency-Key" = Option<String>, Header, description = "Makes retries safe")),
    responses((status = 201, description = "The target with its live actual and progress", body = TargetView))
)]
#[post("/targets")]
pub async fn create_target(
    state: web::Data<AppState>,
    req: HttpRequest,
    auth: Auth,
    body: JsonBody<CreateTarget>,
) -> AppResult<HttpResponse> {
    auth.require(&[Role::Admin, Role::FinanceOffice])?;
    let b = body.value;
    let mut v = Validator::default();
    v.name("name", &b.name);
    v.check(b.to >= b.from, "to", "must not be before from");
    let units = match b.metric {
        Metric::DisbursedAmount => Money::parse(&b.value).map(Money::fen).ok(),
        _ => b.value.parse::<i64>().ok().filter(|n| *n <= 1_000_000_000),
    }
    .filter(|u| *u > 0);
    v.check(
        units.is_some(),
        "value",
        "must be a positive amount (yuan) or a positive whole number for counts",
    );
    if let Some(p) = &b.region_prefix {
        v.check(
            region::is_region_prefix(p),
            "region_prefix",
            "must be 2, 4 or 6 digits",
        );
    }
    v.finish()?;
    let st = state.clone();
    idempotency::run(
        &st,
        &req,
        auth.idempotency_scope(),
        &body.raw,
        |done| async move {
            with_conn(&state, move |conn| {
                let own = own_prefix(conn, &auth)?;
                let prefix = match (&own, &b.region_prefix) {
                    (Some(o), Some(p)) if !p.starts_with(o.as_str()) => {
                        return Err(AppError::invalid_field(
                            ProblemCode::ValidationFailed,
                            "region_prefix",
                            format!("must lie within your region {o}"),
                        ))
                    }
                    (Some(o), None) => Some(o.clone()),
                    (_, p) => p.clone(),
                };
                conn.write_transaction(|c| {
                    let row = repo::insert_target(
                        c,
                        auth.org_id,
                        &b.name,
                        b.metric.as_str(),
                        units.unwrap_or(1),
                        b.from,
                        b.to,
                        prefix.as_deref(),
                        db::now(),
                    )?;
                    let view = target_view(c, row)?;
                    done.record(c, actix_web::http::StatusCode::CREATED, &view)
                })
            })
            .await
        },
    )
    .await
}

/// Targets in the caller's region, with live actual and progress.
#[utoipa::path(tag = "reports", params(PageQuery), responses((status = 200, description = "A page of targets", body = Page<TargetView>)))]
#[get("/targets")]
pub async fn list_targets(
    state: web::Data<AppState>,
    auth: Auth,
    q: web::Query<PageQuery>,
) -> AppResult<HttpResponse> {
    let cursor = q.cursor()?;
    let views = with_conn(&state, move |conn| {
        let own = own_prefix(conn, &auth)?;
        let rows = repo::list_targets(conn, own.as_deref(), cursor.after_id, cursor.limit)?;
        rows.into_iter()
            .map(|t| target_view(conn, t))
            .collect::<AppResult<Vec<_>>>()
    })
    .await?;
    Ok(HttpResponse::Ok().json(page(views, cursor, |t| t.id, |t| t)))
}

/// One target with live actual and progress.
#[utoipa::path(tag = "reports", params(("id" = i64, Path, description = "Target id")), responses((status = 200, description = "The target", body = TargetView)))]
#[get("/targets/{id}")]
pub async fn get_target(
    state: web::Data<AppState>,
    auth: Auth,
    path: web::Path<i64>,
) -> AppResult<HttpResponse> {
    let id = path.into_inner();
    // Targets are not visible to banks, guarantors and enterprises: 404, as for any other
    // resource outside the caller's scope.
    if !matches!(auth.role, Role::Admin | Role::FinanceOffice) {
        return Err(AppError::not_found("target"));
    }
    let view = with_conn(&state, move |conn| {
        let own = own_prefix(conn, &auth)?;
        let t = repo::find_target(conn, id, own.as_deref())?
            .ok_or_else(|| AppError::not_found("target"))?;
        target_view(conn, t)
    })
    .await?;
    Ok(HttpResponse::Ok().json(view))
}

// ---------------------------------------------------------------- exports

const LOAN_HEADERS: [&str; 18] = [
    "贷款编号",
    "放款日期",
    "银行",
    "企业编号",
    "企业名称",
    "统一社会信用代码",
    "行政区划",
    "企业规模",
    "企业规模代码",
    "产品类型",
    "产品类型代码",
    "放款金额(元)",
    "年利率(%)",
    "期限(月)",
    "首贷",
    "信用贷款",
    "资质",
    "资质代码",
];

/// One exported value: ids and counts are numbers; money, rates and names are text (exact
/// decimal text for money: spreadsheet numbers are binary floats).
enum Cell {
    Int(i64),
    Text(String),
}

/// The Chinese name of a stored code (`小型` for `small`), the code itself when unknown.
fn zh<T: WireEnum>(code: &str) -> String {
    T::from_wire(code)
        .map(|v| v.label().to_owned())
        .unwrap_or_else(|| code.to_owned())
}

fn loan_cells(e: &ExportedLoan) -> [Cell; 18] {
    let l = &e.rec;
    let yes_no = |b: bool| Cell::Text(if b { "是" } else { "否" }.to_owned());
    [
        Cell::Int(l.id),
        Cell::Text(l.disbursed_on.to_string()),
        Cell::Text(l.bank_name.clone()),
        Cell::Int(l.enterprise_id),
        Cell::Text(e.enterprise_name.clone()),
        Cell::Text(e.credit_code.clone()),
        Cell::Text(l.region_code.clone()),
        Cell::Text(zh::<SizeClass>(&l.size_class)),
        Cell::Text(l.size_class.clone()),
        Cell::Text(zh::<ProductType>(&l.product_type)),
        Cell::Text(l.product_type.clone()),
        Cell::Text(Money::from_fen(l.amount_fen).to_string()),
        Cell::Text(crate::domain::rate::Rate::from_units(l.rate_units).to_string()),
        Cell::Int(e.term_months),
        yes_no(l.first_loan),
        yes_no(l.credit),
        Cell::Text(
            l.qualifications
                .iter()
                .map(|q| zh::<QualificationKind>(q))
                .collect::<Vec<_>>()
                .join("，"),
        ),
        Cell::Text(l.qualifications.join(",")),
    ]
}

/// A CSV field (the `csv` crate quotes it). Text a spreadsheet would run as a formula (`=`,
/// `+`, `-`, `@`, tab, CR at the start; names are typed by enterprises) gets a leading `'`
/// (CSV injection).
fn csv_field(c: &Cell) -> String {
    match c {
        Cell::Int(n) => n.to_string(),
        Cell::Text(s) if s.starts_with(['=', '+', '-', '@', '\t', '\r']) => format!("'{s}"),
        Cell::Text(s) => s.clone(),
    }
}

/// The rows one worksheet holds (Excel and WPS: 1,048,576 including the header).
const XLSX_MAX_ROWS: usize = 1_048_575;

fn write_cell(
    ws: &mut rust_xlsxwriter::Worksheet,
    row: u32,
    col: u16,
    c: &Cell,
) -> Result<(), rust_xlsxwriter::XlsxError> {
    match c {
        // Ids and counts are far below 2^53, so the spreadsheet's float holds them exactly.
        Cell::Int(n) => ws.write_number(row, col, *n as f64).map(|_| ()),
        // write_string never makes a formula, whatever the text starts with.
        Cell::Text(s) => ws.write_string(row, col, s).map(|_| ()),
    }
}

fn attachment(body: Vec<u8>, content_type: &str, name: &str) -> HttpResponse {
    HttpResponse::Ok()
        .content_type(content_type)
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"{name}\""),
        ))
        .body(body)
}

/// Every loan of the slice as CSV (UTF-8 with BOM so Excel and WPS read the Chinese headers).
#[utoipa::path(tag = "reports", params(StatsQuery), responses((status = 200, description = "CSV", content_type = "text/csv", body = String)))]
#[get("/reports/loans.csv")]
pub async fn loans_csv(
    state: web::Data<AppState>,
    auth: Auth,
    q: web::Query<StatsQuery>,
) -> AppResult<HttpResponse> {
    let q = q.into_inner();
    let loans = with_conn(&state, move |conn| {
        let s = slice(conn, &auth, q.from, q.to, q.region_prefix)?;
        Ok(repo::loans(conn, &s)?)
    })
    .await?;
    // UTF-8 with a BOM, CRLF: what Excel and WPS open without asking.
    let mut w = csv::WriterBuilder::new()
        .terminator(csv::Terminator::CRLF)
        .from_writer("\u{feff}".as_bytes().to_vec());
    w.write_record(LOAN_HEADERS).map_err(AppError::internal)?;
    for l in &loans {
        w.write_record(loan_cells(l).iter().map(csv_field))
            .map_err(AppError::internal)?;
    }
    let out = w.into_inner().map_err(AppError::internal)?;
    Ok(attachment(out, "text/csv; charset=utf-8", "loans.csv"))
}

const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

fn xlsx_error(e: rust_xlsxwriter::XlsxError) -> AppError {
    AppError::internal(e)
}

/// Every loan of the slice as an Excel workbook.
#[utoipa::path(tag = "reports", params(StatsQuery), responses((status = 200, description = "XLSX", content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", body = Vec<u8>)))]
#[get("/reports/loans.xlsx")]
pub async fn loans_xlsx(
    state: web::Data<AppState>,
    auth: Auth,
    q: web::Query<StatsQuery>,
) -> AppResult<HttpResponse> {
    let q = q.into_inner();
    let loans = with_conn(&state, move |conn| {
        let s = slice(conn, &auth, q.from, q.to, q.region_prefix)?;
        Ok(repo::loans(conn, &s)?)
    })
    .await?;
    if loans.len() > XLSX_MAX_ROWS {
        return Err(AppError::bad_request(
            ProblemCode::TooManyRows,
            format!(
                "{} loans do not fit one worksheet ({XLSX_MAX_ROWS} rows); narrow from/to or region_prefix, or use loans.csv",
                loans.len()
            ),
        ));
    }
    let mut wb = rust_xlsxwriter::Workbook::new();
    let ws = wb.add_worksheet();
    ws.set_name("放款明细").map_err(xlsx_error)?;
    for (c, h) in LOAN_HEADERS.iter().enumerate() {
        ws.write_string(0, c as u16, *h).map_err(xlsx_error)?;
    }
    for (r, l) in loans.iter().enumerate() {
        for (c, v) in loan_cells(l).iter().enumerate() {
            write_cell(ws, r as u32 + 1, c as u16, v).map_err(xlsx_error)?;
        }
    }
    let bytes = wb.save_to_buffer().map_err(xlsx_error)?;
    Ok(attachment(bytes, XLSX, "loans.xlsx"))
}

/// What a breakdown group is called in Chinese: a type's or tier's name, a bank's name
/// (the key is `<id> <name>`), `2026年11月`, `2026年第4季度`; a region prefix as it is.
fn group_label(by: By, key: &str) -> String {
    match by {
        By::ProductType => zh::<ProductType>(key),
        By::SizeClass => zh::<SizeClass>(key),
        By::Qualification => zh::<QualificationKind>(key),
        By::Bank => key.split_once(' ').map_or(key, |(_, name)| name).to_owned(),
        By::Month => match key.split_once('-') {
            Some((y, m)) => format!("{y}年{}月", m.trim_start_matches('0')),
            None => key.to_owned(),
        },
        By::Quarter => match key.split_once("-Q") {
            Some((y, q)) => format!("{y}年第{q}季度"),
            None => key.to_owned(),
        },
        By::Region => key.to_owned(),
    }
}

/// A breakdown as an Excel workbook.
#[utoipa::path(tag = "reports", params(BreakdownQuery), responses((status = 200, description = "XLSX", content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", body = Vec<u8>)))]
#[get("/reports/breakdown.xlsx")]
pub async fn breakdown_xlsx(
    state: web::Data<AppState>,
    auth: Auth,
    q: web::Query<BreakdownQuery>,
) -> AppResult<HttpResponse> {
    let q = q.into_inner();
    let b = with_conn(&state, move |conn| breakdown_of(conn, &auth, q)).await?;
    let mut wb = rust_xlsxwriter::Workbook::new();
    let ws = wb.add_worksheet();
    ws.set_name("分组统计").map_err(xlsx_error)?;
    let headers = [
        "分组",
        "分组代码",
        "放款笔数",
        "放款金额(元)",
        "服务企业数",
        "首贷户数",
        "首贷金额(元)",
        "信用贷款占比",
        "加权平均利率(%)",
        "对接数",
        "授信金额(元)",
        "逾期对接数",
    ];
    for (c, h) in headers.iter().enumerate() {
        ws.write_string(0, c as u16, *h).map_err(xlsx_error)?;
    }
    let rows = b
        .groups
        .iter()
        .map(|g| {
            (
                group_label(b.by, &g.key),
                g.key.clone(),
                &g.loans,
                &g.matches,
            )
        })
        .chain(std::iter::once((
            "合计".to_owned(),
            String::new(),
            &b.total,
            &b.total_matches,
        )));
    for (r, (label, key, f, m)) in rows.enumerate() {
        let r = r as u32 + 1;
        let count = |n: u64| Cell::Int(n as i64);
        let cells = [
            Cell::Text(label),
            Cell::Text(key),
            count(f.count),
            Cell::Text(f.amount.to_string()),
            count(f.enterprises_served),
            count(f.first_loan_enterprises),
            Cell::Text(f.first_loan_amount.to_string()),
            Cell::Text(f.credit_loan_share.clone().unwrap_or_default()),
            Cell::Text(f.weighted_average_rate.clone().unwrap_or_default()),
            count(m.total),
            Cell::Text(m.approved_amount.to_string()),
            count(m.overdue),
        ];
        for (c, v) in cells.iter().enumerate() {
            write_cell(ws, r, c as u16, v).map_err(xlsx_error)?;
        }
    }
    let bytes = wb.save_to_buffer().map_err(xlsx_error)?;
    Ok(attachment(bytes, XLSX, "breakdown.xlsx"))
}
