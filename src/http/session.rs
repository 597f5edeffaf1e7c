//! Enterprise self-registration, login, logout, password change and `/me` over HTTP (SPEC
//! §3.1); the use cases are `app::session`.

use actix_web::{get, post, put, web, HttpRequest, HttpResponse};

use super::auth::Caller;
use super::extract::{JsonBody, NoBody};
use super::idempotency;
use crate::app::error::AppResult;
use crate::app::session::{
    self, ChangePassword, LoggedOut, LoginRequest, MeResponse, RegisterRequest, RegisterResponse,
    TokenResponse,
};
use crate::app::views::UserView;
use crate::app::{self, AppState};

/// Register an enterprise and its first user (企业注册).
#[utoipa::path(
    tag = "auth",
    request_body = RegisterRequest,
    params(("Idempotency-Key" = Option<String>, Header, description = "Makes retries safe: the same key and body replay the first response")),
    responses(
        (status = 201, description = "The user and the enterprise organization", body = RegisterResponse),
        (status = 409, description = "Username or credit code already registered", body = crate::app::error::Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields; `invalid_credit_code` when the checksum fails", body = crate::app::error::Problem, content_type = "application/problem+json"),
    ),
    security(())
)]
#[post("/auth/register")]
pub async fn register(
    state: web::Data<AppState>,
    req: HttpRequest,
    body: JsonBody<RegisterRequest>,
) -> AppResult<HttpResponse> {
    let cmd = body.value;
    idempotency::run(&state, &req, "anonymous".into(), &body.raw, |done| {
        session::register(&state, cmd, done)
    })
    .await
}

/// Log in and receive a bearer token. Failed attempts are counted per username and client
/// address; past four, each further attempt must wait longer (429 with `Retry-After`).
#[utoipa::path(
    tag = "auth",
    request_body = LoginRequest,
    responses(
        (status = 200, description = "An access token", body = TokenResponse),
        (status = 401, description = "Wrong username or password", body = crate::app::error::Problem, content_type = "application/problem+json"),
        (status = 429, description = "Too many failed attempts for this username from this address", body = crate::app::error::Problem, content_type = "application/problem+json",
            headers(("Retry-After" = String, description = "Seconds until the next attempt is allowed"))),
        (status = 503, description = "Too many password checks at once (or the database is unavailable); retry", body = crate::app::error::Problem, content_type = "application/problem+json",
            headers(("Retry-After" = String, description = "Seconds to wait"))),
    ),
    security(())
)]
#[post("/auth/login")]
pub async fn login(
    state: web::Data<AppState>,
    req: HttpRequest,
    body: JsonBody<LoginRequest>,
) -> AppResult<HttpResponse> {
    let client = super::extract::client_address(&req, &state.trusted_proxies);
    let token = session::login(&state, body.value, client).await?;
    Ok(HttpResponse::Ok().json(token))
}

/// Revoke the presented token.
#[utoipa::path(tag = "auth", responses((status = 200, description = "The token is revoked", body = LoggedOut)))]
#[post("/auth/logout")]
pub async fn logout(
    state: web::Data<AppState>,
    auth: Caller,
    _: NoBody,
) -> AppResult<HttpResponse> {
    let answer = app::run(&state, move |conn| session::logout(conn, &auth)).await?;
    Ok(HttpResponse::Ok().json(answer))
}

/// Change the caller's password. Every other token of the user stops working; the presented
/// one stays valid.
#[utoipa::path(
    tag = "auth",
    request_body = ChangePassword,
    responses(
        (status = 200, description = "The user", body = UserView),
        (status = 422, description = "`validation_failed`: the current password is wrong or the new one too short", body = crate::app::error::Problem, content_type = "application/problem+json"),
    )
)]
#[put("/me/password")]
pub async fn change_password(
    state: web::Data<AppState>,
    auth: Caller,
    body: JsonBody<ChangePassword>,
) -> AppResult<HttpResponse> {
    let user = session::change_password(&state, auth, body.value).await?;
    Ok(HttpResponse::Ok().json(user))
}

/// The caller: user, role and organization.
#[utoipa::path(tag = "auth", responses((status = 200, description = "The authenticated user", body = MeResponse)))]
#[get("/me")]
pub async fn me(state: web::Data<AppState>, auth: Caller) -> AppResult<HttpResponse> {
    let answer = app::run(&state, move |conn| session::me(conn, &auth)).await?;
    Ok(HttpResponse::Ok().json(answer))
}
