//! Who is asking: the authenticated caller every use case takes, with the scope of what it
//! may see, resolved once per request.

use super::error::AppError;
use crate::domain::org::Role;
use crate::domain::scope::Scope;

/// What a verified access token says (`app::credentials::JwtKeys::verify`); it becomes a
/// `Caller` once the database confirms it is live (`app::session::resolve`).
#[derive(Clone, Copy, Debug)]
pub struct Token {
    pub user_id: i64,
    pub org_id: i64,
    pub role: Role,
    /// The presented token (logout revokes it).
    pub jti: uuid::Uuid,
    pub token_version: i64,
    /// The token's `exp`, unix seconds.
    pub expires_at: i64,
}

/// The authenticated caller: a live token and what it may see.
#[derive(Clone, Debug)]
pub struct Caller {
    /// Who presented it (`caller.user_id`, `caller.role` … read through `Deref`).
    pub token: Token,
    /// What this caller may see; every scoped lookup takes it.
    pub scope: Scope,
    /// The change counters the token was checked under, when the request learned them
    /// (`session::SessionCache`): a read keyed by them (a cached recommendation page) needs
    /// no second look. `None` for callers made without a request.
    pub counters: Option<crate::db::catalog::Counters>,
    /// The language the request asks its explanations in (`Accept-Language`).
    pub lang: crate::domain::lang::Lang,
}

impl std::ops::Deref for Caller {
    type Target = Token;
    fn deref(&self) -> &Token {
        &self.token
    }
}

impl Caller {
    /// The region a fund or scheme the caller publishes serves: a finance office's own when it
    /// names none, and only within its own (422 otherwise); an admin's as asked.
    pub fn published_region(&self, asked: Option<String>) -> Result<Option<String>, AppError> {
        match (self.scope.region(), asked) {
            (Some(own), Some(p)) if !p.starts_with(own) => Err(AppError::invalid_field(
                super::error::ProblemCode::ValidationFailed,
                "region_prefix",
                format!("must lie within the office's region {own}"),
            )),
            (Some(own), None) => Ok(Some(own.to_owned())),
            (_, p) => Ok(p),
        }
    }

    /// The caller a live token stands for; `supervised` is its organization's region when it
    /// is a finance office.
    pub fn new(token: Token, supervised: Option<String>) -> Self {
        Caller {
            scope: Scope::of(token.role, token.org_id, supervised),
            token,
            counters: None,
            lang: crate::domain::lang::Lang::En,
        }
    }

    /// The same caller, as of these change counters.
    pub fn as_of(self, counters: crate::db::catalog::Counters) -> Self {
        Caller {
            counters: Some(counters),
            ..self
        }
    }

    /// 403 unless the caller has one of `roles`.
    pub fn require(&self, roles: &[Role]) -> Result<(), AppError> {
        if roles.contains(&self.role) {
            Ok(())
        } else {
            Err(AppError::forbidden(format!(
                "role '{}' may not perform this action",
                self.role.as_str()
            )))
        }
    }

    pub fn is_admin(&self) -> bool {
        self.role == Role::Admin
    }

    /// Idempotency keys are scoped to the user.
    pub fn idempotency_scope(&self) -> String {
        format!("user:{}", self.user_id)
    }
}
