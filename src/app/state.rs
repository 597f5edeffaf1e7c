//! What every request shares: the pool, the matching cache, the credential keys and the
//! settings use cases read. Built once by `startup`.

use super::credentials::{HashGate, JwtKeys};
use crate::db::{Backend, Pool};

pub struct AppState {
    pub pool: Pool,
    /// Tells when the change counters may have moved (`db::watch`); the session and
    /// matching caches below ask it.
    pub changes: std::sync::Arc<crate::db::watch::ChangeWatch>,
    /// Live tokens, checked again only when the access counter moves.
    pub sessions: super::session::SessionCache,
    /// Active products and open demands for matching, kept current by change counters.
    pub matching: crate::catalog::MatchingCache,
    pub jwt: JwtKeys,
    pub backend: Backend,
    /// Working days from acceptance to `decide_by`.
    pub decide_working_days: u32,
    /// Bounds concurrent password hashing (memory).
    pub hashing: HashGate,
    /// Proxies trusted to name the client in `X-Forwarded-For`.
    pub trusted_proxies: Vec<ipnet::IpNet>,
    /// Non-public networks webhooks may call (`FINMATCH_WEBHOOK_ALLOW_NETWORKS`).
    pub webhook_allow: Vec<ipnet::IpNet>,
}
