//! Users: the one way to create one (self-registration, an admin, the `create-user` CLI and
//! the bootstrap admin all end in [`add`]), enabling and disabling.

use crate::app::clock;
use chrono::NaiveDateTime;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::caller::Caller;
use super::credentials;
use super::effects::Receipt;
use super::error::{AppError, AppResult, ProblemCode, Validator};
use super::views::UserView;
use super::AppState;
use crate::db::users::{self, UserRow};
use crate::db::{orgs, DbConnection};
use crate::domain::org::Role;

#[derive(Debug, Deserialize, Serialize, ToSchema)]
pub struct CreateUser {
    #[schema(pattern = "^[A-Za-z0-9._@-]{3,64}$")]
    pub username: String,
    /// At least 10 characters.
    #[schema(min_length = 10, max_length = 256)]
    pub password: String,
}

/// Checks a new user's name and password into `v`, under the given field names.
pub fn check_credentials(
    v: &mut Validator,
    (username_field, username): (&str, &str),
    (password_field, password): (&str, &str),
) {
    if let Err(m) = credentials::validate_username(username) {
        v.push(username_field, m);
    }
    if let Err(m) = credentials::validate_password(password) {
        v.push(password_field, m);
    }
}

/// Adds a user to organization `org_id`, in the caller's transaction. Its role follows from
/// the organization's kind. A taken username is 409 `username_taken`, also when a concurrent
/// request takes it first (the unique index decides).
pub fn add(
    conn: &mut DbConnection,
    org_id: i64,
    username: &str,
    password_hash: &str,
    now: NaiveDateTime,
) -> AppResult<UserRow> {
    let taken = || AppError::conflict(ProblemCode::UsernameTaken, "this username is already taken");
    if users::username_taken(conn, username)? {
        return Err(taken());
    }
    let new = users::NewUser {
        org_id,
        username,
        password_hash,
        created_at: now,
    };
    match users::insert(conn, &new) {
        Err(diesel::result::Error::DatabaseError(
            diesel::result::DatabaseErrorKind::UniqueViolation,
            _,
        )) => Err(taken()),
        other => Ok(other?),
    }
}

/// Creates a user in an organization (admin). Non-admins get 404 for organizations they
/// cannot see and 403 for those they can.
#[tracing::instrument(skip_all, fields(org = org_id))]
pub async fn create<R>(
    state: &AppState,
    auth: Caller,
    org_id: i64,
    cmd: CreateUser,
    receipt: R,
) -> AppResult<R::Out>
where
    R: Receipt<UserView> + Send + 'static,
    R::Out: Send + 'static,
{
    let scope = auth.scope.clone();
    let org = super::run(state, move |conn| {
        orgs::find_visible(conn, org_id, &scope)?.ok_or_else(|| AppError::not_found("organization"))
    })
    .await?;
    auth.require(&[Role::Admin])?;
    let mut v = Validator::default();
    check_credentials(
        &mut v,
        ("username", &cmd.username),
        ("password", &cmd.password),
    );
    v.finish()?;
    let hash = state.hashing.hash(cmd.password).await?;
    super::run(state, move |conn| {
        conn.write_transaction(|conn| {
            let user = add(conn, org.id, &cmd.username, &hash, clock::now())?;
            receipt.record(conn, UserView::new(&user, &org))
        })
    })
    .await
}

/// Disables a user (it cannot log in; its tokens answer 401 on the next request) or enables
/// it again (admin). An admin cannot disable itself.
#[tracing::instrument(skip(conn, auth), fields(admin = auth.user_id))]
pub fn set_disabled(
    conn: &mut DbConnection,
    auth: &Caller,
    id: i64,
    disabled: bool,
) -> AppResult<UserView> {
    auth.require(&[Role::Admin])?;
    if disabled && id == auth.user_id {
        return Err(AppError::conflict(
            ProblemCode::Conflict,
            "an admin cannot disable itself",
        ));
    }
    conn.write_transaction(|conn| {
        let when = disabled.then(clock::now);
        if users::set_disabled(conn, id, when)? == 0 {
            return Err(AppError::not_found("user"));
        }
        let (user, org) =
            users::find_with_org(conn, id)?.ok_or_else(|| AppError::not_found("user"))?;
        Ok(UserView::new(&user, &org))
    })
}
