//! Credentials: JWT access tokens (HS256, algorithm pinned, `iss`/`aud`/`exp` checked) and
//! argon2id password hashes, with the gate that bounds concurrent hashing. The HTTP extractor
//! that reads a bearer token lives in `http::auth`.

use argon2::password_hash::{
    rand_core::OsRng, PasswordHash, PasswordHasher, PasswordVerifier, SaltString,
};
use argon2::{Argon2, Params};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use secrecy::ExposeSecret;
use serde::{Deserialize, Serialize};

use super::caller::Token;
use super::error::AppError;
use crate::domain::org::Role;

pub const ISSUER: &str = "finmatch";
pub const AUDIENCE: &str = "finmatch-api";
/// Clock skew tolerated between instances, seconds.
const LEEWAY_SECS: i64 = 30;

#[derive(Debug, Serialize, Deserialize)]
pub struct Claims {
    pub sub: String,
    pub org: i64,
    pub role: String,
    pub iss: String,
    pub aud: String,
    pub iat: i64,
    pub exp: i64,
    /// This token, for logout (`revoked_tokens`).
    pub jti: String,
    /// The user's `token_version` at issue; a password change moves past it.
    pub ver: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nbf: Option<i64>,
}

pub struct JwtKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
    /// Tokens whose signature and claims were verified, by their exact text: a token seen
    /// again is not decoded and its signature not computed again; only its expiry, the one
    /// check that changes with time, is. An entry exists only for a string that verified.
    verified: moka::sync::Cache<String, Token>,
    pub ttl_secs: i64,
}

/// Verified tokens remembered (a few hundred bytes each).
const VERIFIED_TOKENS: u64 = 20_000;

impl JwtKeys {
    pub fn new(secret: &secrecy::SecretString, ttl_secs: i64) -> Self {
        let bytes = secret.expose_secret().as_bytes();
        let mut validation = Validation::new(Algorithm::HS256);
        validation.algorithms = vec![Algorithm::HS256];
        validation.set_issuer(&[ISSUER]);
        validation.set_audience(&[AUDIENCE]);
        validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
        validation.validate_nbf = true;
        validation.leeway = LEEWAY_SECS as u64;
        JwtKeys {
            encoding: EncodingKey::from_secret(bytes),
            decoding: DecodingKey::from_secret(bytes),
            validation,
            verified: moka::sync::Cache::new(VERIFIED_TOKENS),
            ttl_secs,
        }
    }

    pub fn issue(
        &self,
        user_id: i64,
        org_id: i64,
        role: Role,
        token_version: i64,
    ) -> Result<String, AppError> {
        let now = chrono::Utc::now().timestamp();
        let claims = Claims {
            sub: user_id.to_string(),
            org: org_id,
            role: role.as_str().to_owned(),
            iss: ISSUER.to_owned(),
            aud: AUDIENCE.to_owned(),
            iat: now,
            exp: now + self.ttl_secs,
            jti: uuid::Uuid::new_v4().to_string(),
            ver: token_version,
            nbf: None,
        };
        jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)
            .map_err(AppError::internal)
    }

    pub fn verify(&self, token: &str) -> Result<Token, AppError> {
        if let Some(known) = self.verified.get(token) {
            // As jsonwebtoken judges `exp`, with the same leeway.
            if known.expires_at < chrono::Utc::now().timestamp() - LEEWAY_SECS {
                return Err(AppError::unauthorized("the access token has expired"));
            }
            return Ok(known);
        }
        let verified = self.decode(token)?;
        self.verified.insert(token.to_owned(), verified);
        Ok(verified)
    }

    fn decode(&self, token: &str) -> Result<Token, AppError> {
        let data = jsonwebtoken::decode::<Claims>(token, &self.decoding, &self.validation)
            .map_err(|e| {
                use jsonwebtoken::errors::ErrorKind;
                match e.kind() {
                    ErrorKind::ExpiredSignature => {
                        AppError::unauthorized("the access token has expired")
                    }
                    _ => AppError::unauthorized("the access token is invalid"),
                }
            })?;
        let c = data.claims;
        let invalid = || AppError::unauthorized("the access token is invalid");
        // Issued in the future: not a token this server made.
        if c.iat > chrono::Utc::now().timestamp() + LEEWAY_SECS {
            return Err(invalid());
        }
        let user_id = c.sub.parse().map_err(|_| invalid())?;
        let role = Role::parse(&c.role).ok_or_else(invalid)?;
        let jti = uuid::Uuid::parse_str(&c.jti).map_err(|_| invalid())?;
        Ok(Token {
            user_id,
            org_id: c.org,
            role,
            jti,
            token_version: c.ver,
            expires_at: c.exp,
        })
    }
}

/// Bounds concurrent argon2 work: each hash takes 19 MiB, so unbounded parallel logins
/// exhaust memory. Past the permits a request waits up to `wait`, then answers 503 with
/// `Retry-After` instead of queueing without end.
pub struct HashGate {
    permits: std::sync::Arc<tokio::sync::Semaphore>,
    wait: std::time::Duration,
    cost: HashCost,
}

impl HashGate {
    pub fn new(permits: usize, wait: std::time::Duration, cost: HashCost) -> Self {
        HashGate {
            permits: std::sync::Arc::new(tokio::sync::Semaphore::new(permits.max(1))),
            wait,
            cost,
        }
    }

    /// What a new hash costs here (a verification costs what its stored hash says).
    pub fn cost(&self) -> HashCost {
        self.cost
    }

    /// Runs `f` (a hash or a verification) on the blocking pool under a permit.
    pub async fn run<T: Send + 'static>(
        &self,
        f: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T, AppError> {
        let permit =
            match tokio::time::timeout(self.wait, self.permits.clone().acquire_owned()).await {
                Ok(Ok(p)) => p,
                _ => {
                    metrics::counter!(crate::telemetry::names::HASH_BUSY).increment(1);
                    return Err(AppError::busy("too many password checks at once; retry", 1));
                }
            };
        tokio::task::spawn_blocking(move || {
            let _permit = permit;
            f()
        })
        .await
        .map_err(AppError::internal)
    }

    pub async fn hash(&self, password: String) -> Result<String, AppError> {
        let cost = self.cost;
        self.run(move || hash_password(&password, cost)).await?
    }
}

/// The work a new password hash costs (`FINMATCH_PASSWORD_HASH_COST`). A verification
/// always costs what the stored hash records, so hashes of either cost verify anywhere.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum HashCost {
    /// argon2id with the crate's default (OWASP) parameters: 19 MiB, 2 passes.
    #[default]
    Standard,
    /// argon2id at its minimum (8 KiB, 1 pass): for test suites that create thousands of
    /// users, never for a deployment (start-up warns).
    Test,
}

impl HashCost {
    fn hasher(self) -> Argon2<'static> {
        match self {
            HashCost::Standard => Argon2::default(),
            HashCost::Test => {
                let params = Params::new(Params::MIN_M_COST, Params::MIN_T_COST, 1, None)
                    .unwrap_or_default();
                Argon2::new(argon2::Algorithm::Argon2id, argon2::Version::V0x13, params)
            }
        }
    }
}

/// An argon2id hash of `password` at `cost`.
pub fn hash_password(password: &str, cost: HashCost) -> Result<String, AppError> {
    let salt = SaltString::generate(&mut OsRng);
    cost.hasher()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(AppError::internal)
}

pub fn verify_password(password: &str, hash: &str) -> bool {
    match PasswordHash::new(hash) {
        Ok(parsed) => Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok(),
        Err(_) => false,
    }
}

/// A fixed hash verified when the username is unknown, so timing does not reveal which
/// usernames exist; at the cost new hashes have, so it takes as long as a real one.
pub fn dummy_hash(cost: HashCost) -> &'static str {
    use std::sync::OnceLock;
    static STANDARD: OnceLock<String> = OnceLock::new();
    static TEST: OnceLock<String> = OnceLock::new();
    let cell = match cost {
        HashCost::Standard => &STANDARD,
        HashCost::Test => &TEST,
    };
    cell.get_or_init(|| hash_password("finmatch-dummy-password", cost).unwrap_or_default())
}

pub const MIN_PASSWORD_LEN: usize = 10;
pub const MAX_PASSWORD_LEN: usize = 256;

pub fn validate_password(password: &str) -> Result<(), String> {
    let n = password.chars().count();
    if n < MIN_PASSWORD_LEN {
        Err(format!("must be at least {MIN_PASSWORD_LEN} characters"))
    } else if n > MAX_PASSWORD_LEN {
        Err(format!("must be at most {MAX_PASSWORD_LEN} characters"))
    } else {
        Ok(())
    }
}

pub fn validate_username(username: &str) -> Result<(), String> {
    let n = username.chars().count();
    if !(3..=64).contains(&n) {
        return Err("must be 3 to 64 characters".into());
    }
    if !username
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | '@'))
    {
        return Err("may contain only ASCII letters, digits and . _ - @".into());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A verification reads the cost from the stored hash, so hashes made at either cost
    /// verify under any setting.
    #[test]
    fn hashes_of_either_cost_verify() {
        for cost in [HashCost::Standard, HashCost::Test] {
            let h = hash_password("correct horse battery", cost).unwrap();
            assert!(h.starts_with("$argon2id$"), "{h}");
            assert_eq!(h.contains("m=19456,t=2"), cost == HashCost::Standard, "{h}");
            assert!(verify_password("correct horse battery", &h));
            assert!(!verify_password("correct horse batterz", &h));
            assert!(verify_password("finmatch-dummy-password", dummy_hash(cost)));
        }
    }
}
