//! Loan servicing storage (SPEC §3.12): a loan's servicing columns, its event trail, the
//! lock a writer of one loan takes, and the maturity scan's claim. What an event does is
//! `domain::servicing`; this only reads and writes what it decided.

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;

use super::matches::LoanRow;
use super::schema::{loan_events, loans};
use super::DbConnection;
use crate::domain::servicing::{LoanEvent, LoanEventKind, LoanStatus};

/// The servicing columns of a loan row.
#[derive(Clone, Debug, Queryable, Selectable)]
#[diesel(table_name = loans)]
pub struct Servicing {
    pub maturity_on: NaiveDate,
    pub outstanding_fen: i64,
    pub status: LoanStatus,
    pub written_off_fen: i64,
    pub last_event_on: Option<NaiveDate>,
    /// The loan this one renews (SPEC §3.13).
    pub renewal_of: Option<i64>,
}

/// A stored event.
#[derive(Clone, Debug, Queryable, Selectable)]
#[diesel(table_name = loan_events)]
pub struct LoanEventRow {
    pub id: i64,
    #[diesel(embed)]
    pub fields: NewLoanEvent,
}

#[derive(Clone, Debug, Queryable, Selectable, Insertable)]
#[diesel(table_name = loan_events)]
pub struct NewLoanEvent {
    pub loan_id: i64,
    pub kind: LoanEventKind,
    pub on_date: NaiveDate,
    pub principal_fen: Option<i64>,
    pub interest_fen: Option<i64>,
    pub note: Option<String>,
    pub status_after: LoanStatus,
    pub outstanding_after_fen: i64,
    pub actor_user_id: i64,
    pub actor_org_id: i64,
    pub created_at: NaiveDateTime,
}

impl LoanEventRow {
    /// The event as the balance history reads it.
    pub fn event(&self) -> LoanEvent {
        LoanEvent {
            on: self.fields.on_date,
            kind: self.fields.kind,
            principal: self
                .fields
                .principal_fen
                .map(crate::domain::money::Money::from_fen),
        }
    }
}

/// The loan row, locked until the transaction ends (PostgreSQL `FOR NO KEY UPDATE`; SQLite's
/// writer already holds the database). Every writer of a loan's servicing state takes it,
/// after the enterprise's region lock (`db::rollups::hold_region`), so events on one loan
/// apply one after another and each sees the last one's result.
pub fn lock(conn: &mut DbConnection, id: i64) -> QueryResult<Option<LoanRow>> {
    match conn {
        DbConnection::Postgres(c) => loans::table
            .find(id)
            .select(LoanRow::as_select())
            .for_no_key_update()
            .first(c)
            .optional(),
        DbConnection::Sqlite(c) => loans::table
            .find(id)
            .select(LoanRow::as_select())
            .first(c)
            .optional(),
    }
}

/// The loans with these ids, unlocked (to learn their enterprises before locking).
pub fn peek(conn: &mut DbConnection, ids: &[i64]) -> QueryResult<Vec<LoanRow>> {
    loans::table
        .filter(loans::id.eq_any(ids))
        .select(LoanRow::as_select())
        .load(conn)
}

/// Writes what an event decided onto the locked loan and appends the event.
pub fn record(
    conn: &mut DbConnection,
    e: &NewLoanEvent,
    written_off_fen: i64,
) -> QueryResult<LoanEventRow> {
    diesel::update(loans::table.find(e.loan_id))
        .set((
            loans::status.eq(e.status_after),
            loans::outstanding_fen.eq(e.outstanding_after_fen),
            loans::written_off_fen.eq(loans::written_off_fen + written_off_fen),
            loans::last_event_on.eq(e.on_date),
        ))
        .execute(conn)?;
    crate::on_backend!(conn, c => diesel::insert_into(loan_events::table)
        .values(e)
        .returning(LoanEventRow::as_returning())
        .get_result(c))
}

/// A loan's events in the order they were recorded.
pub fn events(conn: &mut DbConnection, loan_id: i64) -> QueryResult<Vec<LoanEventRow>> {
    loan_events::table
        .filter(loan_events::loan_id.eq(loan_id))
        .order(loan_events::id.asc())
        .select(LoanEventRow::as_select())
        .load(conn)
}

/// Open loans maturing on or before `by` whose `loan.maturing` was not sent, oldest first.
pub fn maturing_unannounced(
    conn: &mut DbConnection,
    by: NaiveDate,
    limit: i64,
) -> QueryResult<Vec<LoanRow>> {
    loans::table
        .filter(loans::maturing_announced.eq(false))
        .filter(loans::maturity_on.le(by))
        .filter(loans::status.eq_any([LoanStatus::Current, LoanStatus::Overdue, LoanStatus::Npl]))
        .order((loans::maturity_on.asc(), loans::id.asc()))
        .limit(limit)
        .select(LoanRow::as_select())
        .load(conn)
}

/// Claims the `loan.maturing` notice of a loan: true for exactly one caller, however many
/// instances scan at once.
pub fn mark_maturing_announced(conn: &mut DbConnection, id: i64) -> QueryResult<bool> {
    let n = diesel::update(
        loans::table
            .filter(loans::id.eq(id))
            .filter(loans::maturing_announced.eq(false)),
    )
    .set(loans::maturing_announced.eq(true))
    .execute(conn)?;
    Ok(n == 1)
}
