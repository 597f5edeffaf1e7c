//! Enterprise self-registration, login and `/me` (SPEC §3.1).

use crate::app::credentials;
use crate::http::extract::NoBody;
use actix_web::http::StatusCode;
use actix_web::{get, post, put, web, HttpRequest, HttpResponse};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::auth::Auth;
use super::extract::JsonBody;
use super::{idempotency, with_conn};
use crate::app::error::ProblemCode;
use crate::app::error::{AppError, AppResult, Validator};
use crate::app::views::{OrganizationView, UserView};
use crate::app::AppState;
use crate::db::{self, orgs, throttle, users};
use crate::domain::credit_code::CreditCode;
use crate::domain::money::Money;
use crate::domain::org::{OrgKind, Role};
use crate::domain::region;
use crate::domain::size_class::{self, Industry, SizeInputs};

/// The enterprise being registered.
#[derive(Debug, Deserialize, Serialize, ToSchema)]
pub struct EnterpriseInput {
    #[schema(example = "青岛海科精密机械有限公司", min_length = 1, max_length = 200)]
    pub name: String,
    /// 统一社会信用代码 (GB 32100-2015, checksum verified).
    #[schema(
        example = "91350100M000100Y43",
        pattern = "^[0-9A-HJ-NPQRTUWXYa-hj-npqrtuwxy]{18}$"
    )]
    pub credit_code: String,
    /// 6-digit 行政区划代码.
    #[schema(example = "370202", pattern = "^[0-9]{6}$")]
    pub region_code: String,
    pub industry: Industry,
    #[schema(minimum = 0, maximum = 10000000)]
    pub employees: i64,
    /// 营业收入, yuan.
    #[schema(value_type = Money, example = "25000000.00", pattern = "^(0|[1-9][0-9]{0,12})(\\.[0-9]{1,2})?$")]
    pub annual_revenue: Money,
    /// 资产总额, yuan.
    #[schema(value_type = Money, example = "18000000.00", pattern = "^(0|[1-9][0-9]{0,12})(\\.[0-9]{1,2})?$")]
    pub total_assets: Money,
    #[serde(deserialize_with = "crate::domain::date::strict")]
    pub established_on: NaiveDate,
    /// Has the enterprise ever had a loan? (false = 首贷 candidate; default false)
    #[serde(default)]
    pub has_prior_loan: bool,
}

#[derive(Debug, Deserialize, Serialize, ToSchema)]
pub struct RegisterRequest {
    #[schema(example = "haike_finance", pattern = "^[A-Za-z0-9._@-]{3,64}$")]
    pub username: String,
    /// At least 10 characters.
    #[schema(example = "correct-horse-battery", min_length = 10, max_length = 256)]
    pub password: String,
    pub enterprise: EnterpriseInput,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RegisterResponse {
    pub user: UserView,
    pub organization: OrganizationView,
}

#[derive(Debug, Deserialize, Serialize, ToSchema)]
pub struct LoginRequest {
    pub username: String,
    pub password: String,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct TokenResponse {
    pub access_token: String,
    #[schema(example = "Bearer")]
    pub token_type: String,
    /// Seconds until the token expires.
    pub expires_in: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MeResponse {
    pub user: UserView,
    pub role: Role,
    pub organization: OrganizationView,
}

pub const MAX_NAME_CHARS: usize = 200;

/// Checks an organization name: non-blank, at most 200 characters. Stored verbatim.
pub fn check_name(v: &mut Validator, field: &str, name: &str) {
    v.check(!name.trim().is_empty(), field, "must not be blank");
    v.check(
        name.chars().count() <= MAX_NAME_CHARS,
        field,
        "must be at most 200 characters",
    );
}

/// Checks the editable part of an enterprise profile; `prefix` names the fields' parent
/// (`"enterprise."` at registration, `""` for `PUT /enterprises/{id}`).
pub fn check_profile(
    v: &mut Validator,
    prefix: &str,
    name: &str,
    region_code: &str,
    employees: i64,
    established_on: NaiveDate,
) {
    check_name(v, &format!("{prefix}name"), name);
    v.check(
        region::is_region_code(region_code),
        &format!("{prefix}region_code"),
        "must be a 6-digit 行政区划代码",
    );
    v.check(
        (0..=10_000_000).contains(&employees),
        &format!("{prefix}employees"),
        "must be between 0 and 10000000",
    );
    let today = chrono::Utc::now().date_naive();
    v.check(
        established_on <= today
            && established_on >= NaiveDate::from_ymd_opt(1800, 1, 1).unwrap_or_default(),
        &format!("{prefix}established_on"),
        "must be a past date",
    );
}

fn validate_registration(r: &RegisterRequest) -> AppResult<CreditCode> {
    let mut v = Validator::default();
    if let Err(m) = credentials::validate_username(&r.username) {
        v.push("username", m);
    }
    if let Err(m) = credentials::validate_password(&r.password) {
        v.push("password", m);
    }
    let e = &r.enterprise;
    check_profile(
        &mut v,
        "enterprise.",
        &e.name,
        &e.region_code,
        e.employees,
        e.established_on,
    );
    let code = CreditCode::parse(&e.credit_code);
    match (code, v.finish()) {
        (Ok(code), Ok(())) => Ok(code),
        (Ok(_), Err(e)) => Err(e),
        (Err(ce), rest) => {
            // The credit code decides the error code; other field errors ride along.
            let mut errors = rest.err().map(|e| e.errors).unwrap_or_default();
            errors.insert(
                0,
                crate::app::error::FieldError {
                    field: "enterprise.credit_code".into(),
                    message: ce.to_string(),
                },
            );
            Err(AppError::invalid(ProblemCode::InvalidCreditCode, errors))
        }
    }
}

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
    let code = validate_registration(&body.value)?;
    let r = body.value;
    let st = state.clone();
    idempotency::run(
        &st,
        &req,
        "anonymous".into(),
        &body.raw,
        |done| async move {
            let password = r.password.clone();
            let hash = state.hashing.hash(password).await?;
            with_conn(&state, move |conn| {
                conn.write_transaction(|conn| {
                    if users::username_taken(conn, &r.username)? {
                        return Err(AppError::conflict(
                            ProblemCode::UsernameTaken,
                            "this username is already taken",
                        ));
                    }
                    if orgs::credit_code_taken(conn, code.as_str())? {
                        return Err(AppError::conflict(
                            ProblemCode::CreditCodeTaken,
                            "an organization with this credit code is already registered",
                        ));
                    }
                    let e = &r.enterprise;
                    let now = db::now();
                    let org = orgs::insert(
                        conn,
                        &orgs::NewOrg {
                            kind: OrgKind::Enterprise.as_str(),
                            name: &e.name,
                            credit_code: Some(code.as_str()),
                            region_code: Some(&e.region_code),
                            created_at: now,
                            updated_at: now,
                        },
                    )?;
                    let size = size_class::classify(
                        e.industry,
                        SizeInputs {
                            employees: e.employees,
                            annual_revenue: e.annual_revenue,
                            total_assets: e.total_assets,
                        },
                    );
                    let ent = orgs::EnterpriseRow {
                        org_id: org.id,
                        industry: e.industry.as_str().to_owned(),
                        employees: e.employees,
                        annual_revenue_fen: e.annual_revenue.fen(),
                        total_assets_fen: e.total_assets.fen(),
                        established_on: e.established_on,
                        has_prior_loan: e.has_prior_loan,
                        size_class: size.as_str().to_owned(),
                        updated_at: now,
                    };
                    orgs::insert_enterprise(conn, &ent)?;
                    let user = users::insert(
                        conn,
                        &users::NewUser {
                            org_id: org.id,
                            username: &r.username,
                            password_hash: &hash,
                            created_at: now,
                        },
                    )?;
                    let user_view = UserView::new(&user, &org);
                    let answer = RegisterResponse {
                        user: user_view,
                        organization: OrganizationView::new(org, Some(&ent)),
                    };
                    done.record(conn, StatusCode::CREATED, &answer)
                })
            })
            .await
        },
    )
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
    let LoginRequest { username, password } = body.value;
    // A name that cannot exist costs nothing and stores nothing.
    let mut v = Validator::default();
    if let Err(m) = credentials::validate_username(&username) {
        v.push("username", m);
    }
    v.check(
        password.chars().count() <= credentials::MAX_PASSWORD_LEN,
        "password",
        format!(
            "must be at most {} characters",
            credentials::MAX_PASSWORD_LEN
        ),
    );
    v.finish()?;
    let client = client_address(&req, &state.trusted_proxies);
    let found = {
        let (username, client) = (username.clone(), client.clone());
        with_conn(&state, move |conn| {
            // Counted before the password is checked, so parallel guesses cannot overtake it.
            if let Err(secs) = throttle::begin_attempt(conn, &username, &client, db::now())? {
                metrics::counter!(crate::telemetry::names::LOGIN_THROTTLED).increment(1);
                return Err(AppError::too_many_requests(secs as u64));
            }
            Ok(users::find_by_username(conn, &username)?)
        })
        .await?
    };
    let (ok, found) = state
        .hashing
        .run(move || {
            let hash = found
                .as_ref()
                .map(|(u, _)| u.password_hash.as_str())
                .unwrap_or(credentials::dummy_hash());
            let ok = credentials::verify_password(&password, hash) && found.is_some();
            (ok, found)
        })
        .await?;
    match found {
        Some((user, org)) if ok => {
            with_conn(&state, move |conn| {
                Ok(throttle::clear(conn, &username, &client)?)
            })
            .await?;
            let role = crate::app::views::org_kind(&org).role();
            if user.disabled_at.is_some() {
                return Err(AppError::unauthorized("this account is disabled"));
            }
            let token = state.jwt.issue(user.id, org.id, role, user.token_version)?;
            Ok(HttpResponse::Ok().json(TokenResponse {
                access_token: token,
                token_type: "Bearer".into(),
                expires_in: state.jwt.ttl_secs,
            }))
        }
        _ => Err(AppError::unauthorized("wrong username or password")),
    }
}

/// The address a login comes from: the peer, or — when the peer is a trusted proxy
/// (`FINMATCH_TRUSTED_PROXIES`) — the right-most `X-Forwarded-For` entry that is not itself
/// a trusted proxy. Entries left of that are the client's to forge and are ignored.
fn client_address(req: &HttpRequest, trusted: &[ipnet::IpNet]) -> String {
    let Some(peer) = req.peer_addr().map(|a| a.ip()) else {
        return "unknown".into();
    };
    let is_trusted = |ip: &std::net::IpAddr| trusted.iter().any(|n| n.contains(ip));
    if !is_trusted(&peer) {
        return peer.to_string();
    }
    let forwarded: Vec<std::net::IpAddr> = req
        .headers()
        .get_all("x-forwarded-for")
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .filter_map(|s| s.trim().parse().ok())
        .collect();
    forwarded
        .iter()
        .rev()
        .find(|ip| !is_trusted(ip))
        .unwrap_or(&peer)
        .to_string()
}

/// What `POST /auth/logout` did.
#[derive(Debug, Serialize, ToSchema)]
pub struct LoggedOut {
    /// Always true: the presented token answers 401 from now on, on every instance.
    pub revoked: bool,
}

/// Revoke the presented token.
#[utoipa::path(tag = "auth", responses((status = 200, description = "The token is revoked", body = LoggedOut)))]
#[post("/auth/logout")]
pub async fn logout(state: web::Data<AppState>, auth: Auth, _: NoBody) -> AppResult<HttpResponse> {
    let expires_at = chrono::DateTime::from_timestamp(auth.expires_at, 0)
        .map(|t| t.naive_utc())
        .unwrap_or_else(db::now);
    with_conn(&state, move |conn| {
        Ok(users::revoke(
            conn,
            auth.user_id,
            &auth.jti.to_string(),
            expires_at,
        )?)
    })
    .await?;
    Ok(HttpResponse::Ok().json(LoggedOut { revoked: true }))
}

#[derive(Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChangePassword {
    pub current_password: String,
    #[schema(min_length = 10, max_length = 256)]
    pub new_password: String,
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
    auth: Auth,
    body: JsonBody<ChangePassword>,
) -> AppResult<HttpResponse> {
    let ChangePassword {
        current_password,
        new_password,
    } = body.value;
    let mut v = Validator::default();
    if let Err(m) = credentials::validate_password(&new_password) {
        v.push("new_password", m);
    }
    v.check(
        current_password.chars().count() <= credentials::MAX_PASSWORD_LEN,
        "current_password",
        "is wrong",
    );
    v.finish()?;
    let (user, org) = with_conn(&state, move |conn| {
        users::find_with_org(conn, auth.user_id)?
            .ok_or_else(|| AppError::unauthorized("the user of this token no longer exists"))
    })
    .await?;
    let stored = user.password_hash.clone();
    let right = state
        .hashing
        .run(move || credentials::verify_password(&current_password, &stored))
        .await?;
    if !right {
        return Err(AppError::invalid_field(
            ProblemCode::ValidationFailed,
            "current_password",
            "is wrong",
        ));
    }
    let hash = state.hashing.hash(new_password).await?;
    let user = with_conn(&state, move |conn| {
        conn.write_transaction(|conn| {
            users::change_password(conn, auth.user_id, &hash, &auth.jti.to_string())?;
            Ok(users::find_with_org(conn, auth.user_id)?
                .map(|(u, _)| u)
                .unwrap_or(user))
        })
    })
    .await?;
    Ok(HttpResponse::Ok().json(UserView::new(&user, &org)))
}

/// The caller: user, role and organization.
#[utoipa::path(tag = "auth", responses((status = 200, description = "The authenticated user", body = MeResponse)))]
#[get("/me")]
pub async fn me(state: web::Data<AppState>, auth: Auth) -> AppResult<HttpResponse> {
    let (user, org, ent) = with_conn(&state, move |conn| {
        let (user, org) = users::find_with_org(conn, auth.user_id)?
            .ok_or_else(|| AppError::unauthorized("the user of this token no longer exists"))?;
        let ent = orgs::find_enterprise(conn, org.id)?;
        Ok((user, org, ent))
    })
    .await?;
    let user_view = UserView::new(&user, &org);
    Ok(HttpResponse::Ok().json(MeResponse {
        role: user_view.role,
        user: user_view,
        organization: OrganizationView::new(org, ent.as_ref()),
    }))
}
