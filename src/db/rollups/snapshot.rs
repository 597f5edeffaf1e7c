//! What a new record is reported as (统计口径), read on the writing side: the region and the
//! `Snapshot` of an enterprise on a product, and the facts of a new loan, match or demand.

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;

use crate::db::schema::{enterprises, loans, organizations, products, qualifications};
use crate::db::{DbConnection, JsonText};
use crate::domain::bridge::days_used;
use crate::domain::product::{GuaranteeMethod, ProductType};
use crate::domain::rollup::{
    BridgeFact, DemandCell, LoanBalance, LoanFact, MatchFact, RenewalDecision, RenewalFact,
};
use crate::domain::size_class::SizeClass;

/// Takes the lock every writer of an enterprise's demands, matches and loans takes before its
/// first write: on PostgreSQL a share lock on the enterprise's organization row, which a region
/// move (`db::enterprises::move_region`) holds exclusively. So a move and the writers of that
/// enterprise queue in one order instead of each holding rows the other needs.
pub fn hold_region(conn: &mut DbConnection, enterprise_id: i64) -> QueryResult<()> {
    region_of(conn, enterprise_id).map(drop)
}

/// An organization's region code ("" when it has none). On PostgreSQL the row is share-locked
/// until the writer commits, so an admin's move of the enterprise (`FOR UPDATE`, see
/// `db::enterprises::move_region`) cannot slip between reading the region and storing a
/// record snapshotted with it. Writers take this lock before the catalog counter
/// (`db::catalog::bump_demands`), the order the move takes them in, so the two never deadlock.
pub fn region_of(conn: &mut DbConnection, org_id: i64) -> QueryResult<String> {
    let q = organizations::table
        .find(org_id)
        .select(organizations::region_code);
    let region: Option<Option<String>> = match conn {
        DbConnection::Postgres(c) => q.for_share().first(c).optional()?,
        DbConnection::Sqlite(c) => q.first(c).optional()?,
    };
    Ok(region.flatten().unwrap_or_default())
}

/// What a record of an enterprise on a product is reported as (统计口径): the enterprise's
/// region, size class and qualification kinds valid `on` that day, and the product's type.
pub struct Snapshot {
    pub region_code: String,
    pub size_class: SizeClass,
    /// Sorted, comma-separated ("" for none).
    pub qualification_kinds: String,
    pub product_type: ProductType,
    /// Whether the product lends on credit (信用).
    pub lends_on_credit: bool,
}

pub fn snapshot(
    conn: &mut DbConnection,
    enterprise_id: i64,
    product_id: i64,
    on: NaiveDate,
) -> QueryResult<Snapshot> {
    // A match or loan is always of an enterprise with a profile, on a stored product.
    let size_class: SizeClass = enterprises::table
        .find(enterprise_id)
        .select(enterprises::size_class)
        .first(conn)?;
    let mut kinds: Vec<String> = qualifications::table
        .filter(qualifications::enterprise_id.eq(enterprise_id))
        .filter(qualifications::certified_on.le(on))
        .filter(qualifications::expires_on.ge(on))
        .select(qualifications::kind)
        .load(conn)?;
    kinds.sort();
    kinds.dedup();
    let (product_type, methods) = products::table
        .find(product_id)
        .select((products::product_type, products::guarantee_methods))
        .first::<(ProductType, JsonText<Vec<GuaranteeMethod>>)>(conn)?;
    Ok(Snapshot {
        region_code: region_of(conn, enterprise_id)?,
        size_class,
        qualification_kinds: kinds.join(","),
        product_type,
        lends_on_credit: GuaranteeMethod::lends_on_credit(&methods),
    })
}

/// What a new loan will be reported as: its snapshot on the disbursement date, and whether it
/// is a 信用贷款 (no guarantee, on a product that lends on credit).
#[allow(clippy::too_many_arguments)]
pub fn loan_fact(
    conn: &mut DbConnection,
    enterprise_id: i64,
    bank_id: i64,
    product_id: i64,
    guaranteed: bool,
    amount_fen: i64,
    rate_units: i64,
    first_loan: bool,
    disbursed_on: NaiveDate,
) -> QueryResult<LoanFact> {
    let s = snapshot(conn, enterprise_id, product_id, disbursed_on)?;
    Ok(LoanFact {
        enterprise_id,
        bank_id,
        region_code: s.region_code,
        size_class: s.size_class,
        qualification_kinds: s.qualification_kinds,
        product_type: s.product_type,
        credit: !guaranteed && s.lends_on_credit,
        amount_fen,
        rate_units,
        first_loan,
        disbursed_on,
        balance: LoanBalance::disbursed(amount_fen),
    })
}

/// A stored loan as reported: the snapshot it was disbursed with and its servicing state now.
pub fn stored_loan_fact(l: &crate::db::matches::LoanRow) -> LoanFact {
    let f = &l.fields;
    LoanFact {
        enterprise_id: f.enterprise_id,
        bank_id: f.bank_id,
        region_code: f.region_code.clone(),
        size_class: f.size_class,
        qualification_kinds: f.qualification_kinds.clone(),
        product_type: f.product_type,
        credit: f.credit,
        amount_fen: f.amount_fen,
        rate_units: f.rate_units,
        first_loan: f.first_loan,
        disbursed_on: f.disbursed_on,
        balance: LoanBalance {
            status: l.servicing.status,
            outstanding_fen: l.servicing.outstanding_fen,
            written_off_fen: l.servicing.written_off_fen,
        },
    }
}

pub fn demand_cell(region_code: &str, created_at: NaiveDateTime) -> DemandCell {
    DemandCell {
        region_code: region_code.to_owned(),
        created_on: created_at.date(),
    }
}

pub fn match_fact(m: &crate::db::matches::MatchRow) -> MatchFact {
    MatchFact {
        bank_id: m.bank_id,
        response_secs: m.responded_at.map(|r| (r - m.created_at).num_seconds()),
        region_code: m.region_code.clone(),
        created_on: m.created_at.date(),
        state: m.state,
        respond_by: m.respond_by,
        decide_by: m.decide_by,
        approved_fen: m.approved_amount_fen,
        product_type: m.product_type,
        size_class: m.size_class,
        qualification_kinds: m.qualification_kinds.clone(),
    }
}

/// The region a loan is reported in.
fn loan_region(conn: &mut DbConnection, loan_id: i64) -> QueryResult<String> {
    loans::table
        .find(loan_id)
        .select(loans::region_code)
        .first(conn)
}

/// A stored renewal as reported, in its loan's region.
pub fn renewal_fact(
    conn: &mut DbConnection,
    r: &crate::db::renewals::RenewalRow,
) -> QueryResult<RenewalFact> {
    Ok(renewal_fact_in(loan_region(conn, r.fields.loan_id)?, r))
}

pub(super) fn renewal_fact_in(
    region_code: String,
    r: &crate::db::renewals::RenewalRow,
) -> RenewalFact {
    RenewalFact {
        bank_id: r.fields.bank_id,
        region_code,
        requested_on: r.fields.created_at.date(),
        state: r.fields.state,
        respond_by: r.fields.respond_by,
        amount_fen: r.fields.amount_fen,
        decision: r.decision_working_days.map(|days| RenewalDecision {
            approved: r.approved_amount_fen.is_some(),
            working_days: days.clamp(0, i64::from(u32::MAX)) as u32,
        }),
    }
}

/// A stored bridge as reported, in the region of the loan it repays.
pub fn bridge_fact(
    conn: &mut DbConnection,
    b: &crate::db::bridges::BridgeRow,
) -> QueryResult<BridgeFact> {
    Ok(bridge_fact_in(loan_region(conn, b.fields.loan_id)?, b))
}

pub(super) fn bridge_fact_in(region_code: String, b: &crate::db::bridges::BridgeRow) -> BridgeFact {
    BridgeFact {
        fund_id: b.fields.fund_id,
        region_code,
        requested_on: b.fields.created_at.date(),
        state: b.fields.state,
        amount_fen: b.fields.amount_fen,
        disbursed: b.disbursed_on.is_some(),
        repaid: match (b.disbursed_on, b.repaid_on) {
            (Some(out), Some(back)) => Some((b.fee_fen.unwrap_or(0), days_used(out, back))),
            _ => None,
        },
    }
}
