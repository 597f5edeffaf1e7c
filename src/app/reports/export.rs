//! Exports for spreadsheets: every loan of a slice as CSV or XLSX, a breakdown as XLSX. Money
//! and rates are exact decimal text (spreadsheet numbers are binary floats); text that a
//! spreadsheet would run as a formula is defused.

use super::figures::{breakdown, Breakdown};
use super::{slice, BreakdownQuery, StatsQuery};
use crate::app::caller::Caller;
use crate::app::error::{AppError, AppResult, ProblemCode};
use crate::db::stats::{self as repo, ExportedLoan};
use crate::db::DbConnection;
use crate::domain::money::Money;
use crate::domain::product::ProductType;
use crate::domain::qualification::QualificationKind;
use crate::domain::size_class::SizeClass;
use crate::domain::stats::By;
use crate::domain::WireEnum;

pub const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

const LOAN_HEADERS: [&str; 21] = [
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
    "贷款状态",
    "贷款余额(元)",
    "核销金额(元)",
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

fn loan_cells(e: &ExportedLoan) -> [Cell; LOAN_HEADERS.len()] {
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
        Cell::Text(l.size_class.label_zh().to_owned()),
        Cell::Text(l.size_class.as_str().to_owned()),
        Cell::Text(l.product_type.label_zh().to_owned()),
        Cell::Text(l.product_type.as_str().to_owned()),
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
        Cell::Text(l.status.label_zh().to_owned()),
        Cell::Text(Money::from_fen(l.outstanding_fen).to_string()),
        Cell::Text(Money::from_fen(l.written_off_fen).to_string()),
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
        // Ids, counts and months, far below 2^53: the spreadsheet's float holds them exactly.
        // Money and rates are never numbers here; they are written as exact text.
        Cell::Int(n) => ws.write_number(row, col, *n as f64).map(|_| ()),
        // write_string never makes a formula, whatever the text starts with.
        Cell::Text(s) => ws.write_string(row, col, s).map(|_| ()),
    }
}

fn xlsx_error(e: rust_xlsxwriter::XlsxError) -> AppError {
    AppError::internal(e)
}

fn loans(conn: &mut DbConnection, auth: &Caller, q: StatsQuery) -> AppResult<Vec<ExportedLoan>> {
    let s = slice(auth, q.from, q.to, q.region_prefix)?;
    Ok(repo::loans(conn, &s)?)
}

/// Every loan of the slice as CSV: UTF-8 with a BOM, CRLF — what Excel and WPS open without
/// asking.
pub fn loans_csv(conn: &mut DbConnection, auth: &Caller, q: StatsQuery) -> AppResult<Vec<u8>> {
    let loans = loans(conn, auth, q)?;
    let mut w = csv::WriterBuilder::new()
        .terminator(csv::Terminator::CRLF)
        .from_writer("\u{feff}".as_bytes().to_vec());
    w.write_record(LOAN_HEADERS).map_err(AppError::internal)?;
    for l in &loans {
        w.write_record(loan_cells(l).iter().map(csv_field))
            .map_err(AppError::internal)?;
    }
    let out = w.into_inner().map_err(AppError::internal)?;
    Ok(out)
}

/// Every loan of the slice as an Excel workbook.
pub fn loans_xlsx(conn: &mut DbConnection, auth: &Caller, q: StatsQuery) -> AppResult<Vec<u8>> {
    let loans = loans(conn, auth, q)?;
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
    Ok(bytes)
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
        By::Region | By::RiskScheme => key.to_owned(),
    }
}

/// A breakdown as an Excel workbook.
pub fn breakdown_xlsx(
    conn: &mut DbConnection,
    auth: &Caller,
    q: BreakdownQuery,
) -> AppResult<Vec<u8>> {
    let b: Breakdown = breakdown(conn, auth, q)?;
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
        "贷款余额(元)",
        "逾期贷款余额(元)",
        "不良贷款余额(元)",
        "不良率",
        "结清笔数",
        "核销金额(元)",
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
            Cell::Text(f.servicing.outstanding.to_string()),
            Cell::Text(f.servicing.overdue_amount.to_string()),
            Cell::Text(f.servicing.npl_amount.to_string()),
            Cell::Text(f.servicing.npl_ratio.clone().unwrap_or_default()),
            count(f.servicing.repaid_count),
            Cell::Text(f.servicing.written_off_amount.to_string()),
        ];
        for (c, v) in cells.iter().enumerate() {
            write_cell(ws, r, c as u16, v).map_err(xlsx_error)?;
        }
    }
    let bytes = wb.save_to_buffer().map_err(xlsx_error)?;
    Ok(bytes)
}
