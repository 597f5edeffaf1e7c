//! Sessions (SPEC §3.1): enterprise self-registration (企业注册), login with its throttle,
//! logout, password change and `/me`. Password work runs under the hash gate
//! (`AppState::hashing`), database work off the async runtime.

use crate::app::clock;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::caller::{Caller, Token};
use super::credentials;
use super::effects::Receipt;
use super::error::{AppError, AppResult, ProblemCode, Validator};
use super::views::{OrganizationView, UserView};
use super::{run, AppState};
use crate::db::watch::ChangeWatch;
use crate::db::{self, orgs, throttle, users};
use crate::domain::credit_code::CreditCode;
use crate::domain::money::Money;
use crate::domain::org::{OrgKind, Role};
use crate::domain::profile::Ownership;
use crate::domain::region;
use crate::domain::size_class::{self, Industry, SizeInputs};
use std::sync::Arc;

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
    /// 所有制 (read by policies that target it).
    #[serde(default)]
    pub ownership: Option<Ownership>,
    /// 国民经济行业分类 (GB/T 4754-2017) code: a section letter and 2–4 digits, e.g. `C34`.
    #[serde(default)]
    #[schema(example = "C34", pattern = "^[A-T]([0-9]{2,4})?$")]
    pub sector_code: Option<String>,
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

/// Checks the editable part of an enterprise profile; `prefix` names the fields' parent
/// (`"enterprise."` at registration, `""` for `PUT /enterprises/{id}`).
pub fn check_profile(
    v: &mut Validator,
    prefix: &str,
    name: &str,
    region_code: &str,
    employees: i64,
    established_on: NaiveDate,
    sector_code: Option<&str>,
) {
    v.name(&format!("{prefix}name"), name);
    if let Some(code) = sector_code {
        v.check(
            crate::domain::profile::is_sector_code(code),
            &format!("{prefix}sector_code"),
            "must be a GB/T 4754 code: a section letter A–T and 2, 3 or 4 digits (e.g. C34)",
        );
    }
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
    let today = clock::today();
    v.check(
        established_on <= today
            && established_on >= NaiveDate::from_ymd_opt(1800, 1, 1).unwrap_or_default(),
        &format!("{prefix}established_on"),
        "must be a past date",
    );
}

fn validate_registration(r: &RegisterRequest) -> AppResult<CreditCode> {
    let mut v = Validator::default();
    super::users::check_credentials(&mut v, ("username", &r.username), ("password", &r.password));
    let e = &r.enterprise;
    check_profile(
        &mut v,
        "enterprise.",
        &e.name,
        &e.region_code,
        e.employees,
        e.established_on,
        e.sector_code.as_deref(),
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
                    message_zh: None,
                },
            );
            Err(AppError::invalid(ProblemCode::InvalidCreditCode, errors))
        }
    }
}

/// What `POST /auth/logout` did.
#[derive(Debug, Serialize, ToSchema)]
pub struct LoggedOut {
    /// Always true: the presented token answers 401 from now on, on every instance.
    pub revoked: bool,
}

#[derive(Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChangePassword {
    pub current_password: String,
    #[schema(min_length = 10, max_length = 256)]
    pub new_password: String,
}

/// Registers an enterprise and its first user.
#[tracing::instrument(skip_all)]
pub async fn register<R>(state: &AppState, r: RegisterRequest, receipt: R) -> AppResult<R::Out>
where
    R: Receipt<RegisterResponse> + Send + 'static,
    R::Out: Send + 'static,
{
    // The fields are checked before the costly hash, and again by `enroll`.
    validate_registration(&r)?;
    let hash = state.hashing.hash(r.password.clone()).await?;
    run(state, move |conn| {
        conn.write_transaction(|conn| {
            let answer = enroll(conn, &r, &hash)?;
            receipt.record(conn, answer)
        })
    })
    .await
}

/// The one way an enterprise comes into being: its organization (with the size class its
/// figures give), its profile and its first user, whose password `hash` the caller made
/// (`register`; `seed-demo` gives every demo user one hash).
pub fn enroll(
    conn: &mut db::DbConnection,
    r: &RegisterRequest,
    hash: &str,
) -> AppResult<RegisterResponse> {
    let code = validate_registration(r)?;
    conn.write_transaction(|conn| {
        if users::username_taken(conn, &r.username)? {
            return Err(AppError::conflict(
                ProblemCode::UsernameTaken,
                "this username is already taken",
            ));
        }
        let e = &r.enterprise;
        let now = clock::now();
        let org = super::organizations::add(
            conn,
            &orgs::NewOrg {
                kind: OrgKind::Enterprise,
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
            industry: e.industry,
            employees: e.employees,
            annual_revenue_fen: e.annual_revenue.fen(),
            total_assets_fen: e.total_assets.fen(),
            established_on: e.established_on,
            has_prior_loan: e.has_prior_loan,
            size_class: size,
            updated_at: now,
            ownership: e.ownership,
            sector_code: e.sector_code.clone(),
        };
        orgs::insert_enterprise(conn, &ent)?;
        let user = super::users::add(conn, org.id, &r.username, hash, now)?;
        Ok(RegisterResponse {
            user: UserView::new(&user, &org),
            organization: OrganizationView::new(org, Some(&ent)),
        })
    })
}

/// Logs in from `client` (the address throttling counts against). Failed attempts are counted
/// per username and address; past four, each further attempt must wait longer (429).
#[tracing::instrument(skip_all)]
pub async fn login(
    state: &AppState,
    cmd: LoginRequest,
    client: String,
) -> AppResult<TokenResponse> {
    let LoginRequest { username, password } = cmd;
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
    let found = {
        let (username, client) = (username.clone(), client.clone());
        run(state, move |conn| {
            // Counted before the password is checked, so parallel guesses cannot overtake it.
            if let Err(secs) = throttle::begin_attempt(conn, &username, &client, clock::now())? {
                metrics::counter!(crate::telemetry::names::LOGIN_THROTTLED).increment(1);
                return Err(AppError::too_many_requests(secs as u64));
            }
            Ok(users::find_by_username(conn, &username)?)
        })
        .await?
    };
    let cost = state.hashing.cost();
    let (ok, found) = state
        .hashing
        .run(move || {
            let hash = found
                .as_ref()
                .map(|(u, _)| u.password_hash.as_str())
                .unwrap_or(credentials::dummy_hash(cost));
            let ok = credentials::verify_password(&password, hash) && found.is_some();
            (ok, found)
        })
        .await?;
    match found {
        Some((user, org)) if ok => {
            run(state, move |conn| {
                Ok(throttle::clear(conn, &username, &client)?)
            })
            .await?;
            let role = crate::app::views::org_kind(&org).role();
            if user.disabled_at.is_some() {
                return Err(AppError::unauthorized("this account is disabled"));
            }
            let token = state.jwt.issue(user.id, org.id, role, user.token_version)?;
            Ok(TokenResponse {
                access_token: token,
                token_type: "Bearer".into(),
                expires_in: state.jwt.ttl_secs,
            })
        }
        _ => Err(AppError::unauthorized("wrong username or password")),
    }
}

/// The caller a verified token stands for, if the token still counts: its user is enabled, it
/// is not revoked, and no password change has moved past it. One query, on every instance
/// sharing the database, which also reads the region a finance office supervises — the
/// caller's scope is settled here, once per request.
pub fn resolve(conn: &mut db::DbConnection, token: Token) -> AppResult<Option<Caller>> {
    Ok(token_state(conn, &token)?.map(|supervised| Caller::new(token, supervised)))
}

fn token_state(conn: &mut db::DbConnection, token: &Token) -> AppResult<Option<Supervised>> {
    let jti = token.jti.to_string();
    Ok(users::token_state(
        conn,
        token.user_id,
        &jti,
        token.token_version,
    )?)
}

/// The region a finance office supervises (`None` for every other caller).
type Supervised = Option<String>;

/// Tokens already checked, each remembered with the access counter it was checked under
/// (`db::catalog::Counters::access`). A revocation, a password change or a disabled or
/// enabled user moves that counter, so the next request checks again; until then a request
/// is authenticated without a database round trip. Bounded by entries.
pub struct SessionCache {
    changes: Arc<ChangeWatch>,
    /// (user, jti, token version) → (access counter, `token_state`'s answer).
    checked: moka::sync::Cache<(i64, uuid::Uuid, i64), (i64, Option<Supervised>)>,
}

impl SessionCache {
    pub fn new(changes: Arc<ChangeWatch>, entries: u64) -> Self {
        SessionCache {
            changes,
            checked: moka::sync::Cache::new(entries),
        }
    }

    fn key(token: &Token) -> (i64, uuid::Uuid, i64) {
        (token.user_id, token.jti, token.token_version)
    }

    /// The caller a token stands for (`None`: not live), if known without a round trip.
    pub async fn remembered(&self, token: Token) -> Option<Option<Caller>> {
        let counters = self.changes.known().await?;
        match self.checked.get(&Self::key(&token)) {
            Some((at, state)) if at == counters.access => {
                Some(state.map(|supervised| Caller::new(token, supervised).as_of(counters)))
            }
            _ => None,
        }
    }

    /// `resolve`, remembering the answer under the access counter read before it.
    pub fn resolve(&self, conn: &mut db::DbConnection, token: Token) -> AppResult<Option<Caller>> {
        let counters = self.changes.read(conn)?;
        let state = token_state(conn, &token)?;
        self.checked
            .insert(Self::key(&token), (counters.access, state.clone()));
        Ok(state.map(|supervised| Caller::new(token, supervised).as_of(counters)))
    }
}

/// The caller a command-line task acts as: the enabled user `username`, with the scope its
/// organization gives (as `resolve` gives a request's), without a token to present.
pub fn act_as(conn: &mut db::DbConnection, username: &str) -> AppResult<Caller> {
    let (user, org) = users::find_by_username(conn, username)?
        .filter(|(u, _)| u.disabled_at.is_none())
        .ok_or_else(|| AppError::not_found("user"))?;
    let token = Token {
        user_id: user.id,
        org_id: org.id,
        role: crate::app::views::org_kind(&org).role(),
        jti: uuid::Uuid::nil(),
        token_version: user.token_version,
        expires_at: i64::MAX,
    };
    let supervised = (org.kind == OrgKind::FinanceOffice)
        .then(|| org.region_code.clone())
        .flatten();
    Ok(Caller::new(token, supervised))
}

/// Revokes the presented token, on every instance.
pub fn logout(conn: &mut db::DbConnection, auth: &Caller) -> AppResult<LoggedOut> {
    let expires_at = chrono::DateTime::from_timestamp(auth.expires_at, 0)
        .map(|t| t.naive_utc())
        .unwrap_or_else(clock::now);
    // One transaction: the revocation and the access counter it moves commit together.
    conn.write_transaction(|conn| {
        users::revoke(conn, auth.user_id, &auth.jti.to_string(), expires_at)
    })?;
    Ok(LoggedOut { revoked: true })
}

/// Changes the caller's password. Every other token of the user stops working; the presented
/// one stays valid.
#[tracing::instrument(skip_all, fields(user = auth.user_id))]
pub async fn change_password(
    state: &AppState,
    auth: Caller,
    cmd: ChangePassword,
) -> AppResult<UserView> {
    let ChangePassword {
        current_password,
        new_password,
    } = cmd;
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
    let user_id = auth.user_id;
    let (user, org) = run(state, move |conn| {
        users::find_with_org(conn, user_id)?
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
    let user = run(state, move |conn| {
        conn.write_transaction(|conn| {
            users::change_password(conn, auth.user_id, &hash, &auth.jti.to_string())?;
            Ok(users::find_with_org(conn, auth.user_id)?
                .map(|(u, _)| u)
                .unwrap_or(user))
        })
    })
    .await?;
    Ok(UserView::new(&user, &org))
}

/// The caller: user, role and organization.
pub fn me(conn: &mut db::DbConnection, auth: &Caller) -> AppResult<MeResponse> {
    let (user, org) = users::find_with_org(conn, auth.user_id)?
        .ok_or_else(|| AppError::unauthorized("the user of this token no longer exists"))?;
    let ent = orgs::find_enterprise(conn, org.id)?;
    let user_view = UserView::new(&user, &org);
    Ok(MeResponse {
        role: user_view.role,
        user: user_view,
        organization: OrganizationView::new(org, ent.as_ref()),
    })
}
