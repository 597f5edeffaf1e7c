//! Users: one organization each; the role follows from the organization's kind.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::orgs::OrgRow;
use super::schema::{organizations, users};
use super::DbConnection;

#[derive(Clone, Debug, Queryable, Selectable, Identifiable)]
#[diesel(table_name = users)]
pub struct UserRow {
    pub id: i64,
    pub org_id: i64,
    pub username: String,
    pub password_hash: String,
    pub created_at: NaiveDateTime,
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
