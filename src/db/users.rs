//! Users: one organization each; the role follows from the organization's kind.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::orgs::OrgRow;
use super::schema::{organizations, revoked_tokens, users};
use super::DbConnection;
use crate::domain::org::OrgKind;

#[derive(Clone, Debug, Queryable, Selectable, Identifiable)]
#[diesel(table_name = users)]
pub struct UserRow {
    pub id: i64,
    pub org_id: i64,
    pub username: String,
    pub password_hash: String,
    pub created_at: NaiveDateTime,
    /// Tokens carry it; a password change moves it past every token issued before.
    pub token_version: i64,
    pub disabled_at: Option<NaiveDateTime>,
    /// The token that changed the password stays valid.
    pub kept_jti: Option<String>,
}

#[derive(Insertable)]
#[diesel(table_name = users)]
pub struct NewUser<'a> {
    pub org_id: i64,
    pub username: &'a str,
    pub password_hash: &'a str,
    pub created_at: NaiveDateTime,
}

pub fn insert(conn: &mut DbConnection, new: &NewUser) -> QueryResult<UserRow> {
    crate::on_backend!(conn, c => diesel::insert_into(users::table)
        .values(new)
        .returning(UserRow::as_returning())
        .get_result(c))
}

pub fn username_taken(conn: &mut DbConnection, username: &str) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(
        users::table.filter(users::username.eq(username)),
    ))
    .get_result(conn)
}

/// The user and its organization, by username.
pub fn find_by_username(
    conn: &mut DbConnection,
    username: &str,
) -> QueryResult<Option<(UserRow, OrgRow)>> {
    users::table
        .inner_join(organizations::table)
        .filter(users::username.eq(username))
        .select((UserRow::as_select(), OrgRow::as_select()))
        .first(conn)
        .optional()
}

pub fn find_with_org(conn: &mut DbConnection, id: i64) -> QueryResult<Option<(UserRow, OrgRow)>> {
    users::table
        .inner_join(organizations::table)
        .filter(users::id.eq(id))
        .select((UserRow::as_select(), OrgRow::as_select()))
        .first(conn)
        .optional()
}

pub fn list_for_org(
    conn: &mut DbConnection,
    org_id: i64,
    after_id: Option<i64>,
    limit: i64,
) -> QueryResult<Vec<UserRow>> {
    let mut q = users::table
        .filter(users::org_id.eq(org_id))
        .select(UserRow::as_select())
        .into_boxed();
    if let Some(after) = after_id {
        q = q.filter(users::id.gt(after));
    }
    q.order(users::id.asc()).limit(limit + 1).load(conn)
}

/// Whether a token (`jti`, issued at `version`) of user `id` still authenticates: one query,
/// so a disabled user or a revoked token answers 401 on the next request on every instance.
pub fn token_state(
    conn: &mut DbConnection,
    id: i64,
    jti: &str,
    version: i64,
) -> QueryResult<Option<Option<String>>> {
    type Row = (
        i64,
        Option<NaiveDateTime>,
        Option<String>,
        bool,
        OrgKind,
        Option<String>,
    );
    let user: Option<Row> = users::table
        .inner_join(organizations::table)
        .filter(users::id.eq(id))
        .select((
            users::token_version,
            users::disabled_at,
            users::kept_jti,
            diesel::dsl::exists(revoked_tokens::table.filter(revoked_tokens::jti.eq(jti))),
            organizations::kind,
            organizations::region_code,
        ))
        .first(conn)
        .optional()?;
    Ok(match user {
        Some((current, None, kept, false, kind, region))
            if version == current || kept.as_deref() == Some(jti) =>
        {
            Some(region.filter(|_| kind == OrgKind::FinanceOffice))
        }
        _ => None,
    })
}

/// Revokes one token until it would have expired anyway.
pub fn revoke(
    conn: &mut DbConnection,
    user_id: i64,
    jti: &str,
    expires_at: NaiveDateTime,
) -> QueryResult<()> {
    super::catalog::bump_access(conn, user_id)?;
    crate::on_backend!(conn, c => diesel::insert_into(revoked_tokens::table)
        .values((
            revoked_tokens::jti.eq(jti),
            revoked_tokens::user_id.eq(user_id),
            revoked_tokens::expires_at.eq(expires_at),
        ))
        .on_conflict_do_nothing()
        .execute(c))?;
    Ok(())
}

/// Drops revocations of tokens that have expired (housekeeping).
pub fn purge_revoked(conn: &mut DbConnection, now: NaiveDateTime) -> QueryResult<usize> {
    diesel::delete(revoked_tokens::table.filter(revoked_tokens::expires_at.lt(now))).execute(conn)
}

/// A new password: every token issued before stops working, except `kept_jti` (the caller's).
pub fn change_password(
    conn: &mut DbConnection,
    id: i64,
    password_hash: &str,
    kept_jti: &str,
) -> QueryResult<usize> {
    super::catalog::bump_access(conn, id)?;
    diesel::update(users::table.filter(users::id.eq(id)))
        .set((
            users::password_hash.eq(password_hash),
            users::token_version.eq(users::token_version + 1),
            users::kept_jti.eq(Some(kept_jti)),
        ))
        .execute(conn)
}

/// Disables (Some(now)) or enables (None) a user.
pub fn set_disabled(
    conn: &mut DbConnection,
    id: i64,
    disabled_at: Option<NaiveDateTime>,
) -> QueryResult<usize> {
    super::catalog::bump_access(conn, id)?;
    diesel::update(users::table.filter(users::id.eq(id)))
        .set(users::disabled_at.eq(disabled_at))
        .execute(conn)
}
