//! Settings from the environment, or from a `KEY=VALUE` config file with the same keys
//! (`--config <file>` or `FINMATCH_CONFIG`); the environment wins over the file.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use anyhow::Context;
use rand::RngCore;
use secrecy::SecretString;

use crate::db::DatabaseUrl;

/// Every key finmatch reads: its default as printed by `check-config`, whether its value is a
/// secret (masked wherever settings are shown), and what it sets. docs/operations.md lists
/// the same table (a test keeps the two in step).
pub struct Key {
    pub name: &'static str,
    pub default: &'static str,
    pub secret: bool,
    pub meaning: &'static str,
}

const fn key(name: &'static str, default: &'static str, meaning: &'static str) -> Key {
    Key {
        name,
        default,
        secret: false,
        meaning,
    }
}

pub const KEYS: &[Key] = &[
    key(
        "DATABASE_URL",
        "sqlite://<data dir>/finmatch.db",
        "sqlite://PATH or postgres://…; its password is masked",
    ),
    key(
        "FINMATCH_CONFIG",
        "",
        "a KEY=VALUE file read before the environment (the environment wins)",
    ),
    key(
        "FINMATCH_LISTEN",
        DEFAULT_LISTEN,
        "address:port of the API and the console",
    ),
    key(
        "FINMATCH_DATA_DIR",
        DEFAULT_DATA_DIR,
        "where the SQLite database and the generated JWT secret live",
    ),
    Key {
        name: "FINMATCH_JWT_SECRET",
        default: "generated into the data dir",
        secret: true,
        meaning: "signs access tokens; set the same on every instance",
    },
    Key {
        name: "FINMATCH_ADMIN_PASSWORD",
        default: "",
        secret: true,
        meaning: "creates the first admin at start when there is none",
    },
    key(
        "FINMATCH_LOG",
        "info",
        "log filter (tracing EnvFilter syntax)",
    ),
    key(
        "FINMATCH_TOKEN_TTL_SECS",
        "3600",
        "lifetime of access tokens, seconds",
    ),
    key(
        "FINMATCH_DB_POOL_SIZE",
        "10",
        "database connections per instance (SQLite: at most 8)",
    ),
    key(
        "FINMATCH_DB_TIMEOUT_MS",
        "2000",
        "longest wait for a database connection before 503 with Retry-After",
    ),
    key("FINMATCH_WORKERS", "one per core", "HTTP worker threads"),
    key(
        "FINMATCH_REQUEST_TIMEOUT_MS",
        "30000",
        "longest a handler may run before 503 (exports included)",
    ),
    key(
        "FINMATCH_RATE_LIMIT",
        "1200",
        "requests per minute per access token (0: off)",
    ),
    key(
        "FINMATCH_RATE_LIMIT_ANON",
        "600",
        "requests per minute per client address without a token (0: off)",
    ),
    key(
        "FINMATCH_DECIDE_WORKING_DAYS",
        "10",
        "working days a bank has to decide after accepting",
    ),
    key(
        "FINMATCH_HASH_CONCURRENCY",
        "one per core",
        "password hashes computed at once",
    ),
    key(
        "FINMATCH_HASH_WAIT_MS",
        "2000",
        "longest a login waits for a hashing slot before 503",
    ),
    key(
        "FINMATCH_PASSWORD_HASH_COST",
        "standard",
        "standard, or test (cheap hashes for test suites only)",
    ),
    key(
        "FINMATCH_TRUSTED_PROXIES",
        "",
        "proxies whose X-Forwarded-For names the client (addresses or CIDRs)",
    ),
    key(
        "FINMATCH_WEBHOOK_ALLOW_NETWORKS",
        "",
        "non-public networks webhooks may call (CIDRs)",
    ),
    key(
        "FINMATCH_MATCHING_CACHE_MB",
        "64",
        "memory bound of the recommendation cache, MiB",
    ),
    key(
        "FINMATCH_METRICS_LISTEN",
        "",
        "address:port of GET /metrics (Prometheus); off when unset",
    ),
];

/// Keys the test suites and tools read; set in their environment, not settings of a server.
const TOOL_KEYS: &[&str] = &[
    "FINMATCH_NEW_USER_PASSWORD",
    "FINMATCH_REQUIRE_POSTGRES",
    "FINMATCH_BIN",
    "FINMATCH_BASE_URL",
    "FINMATCH_OPENAPI",
];

pub const DEFAULT_LISTEN: &str = "127.0.0.1:8080";
pub const DEFAULT_DATA_DIR: &str = "./data";
pub const JWT_SECRET_FILE: &str = "jwt-secret";

#[derive(Clone, Debug)]
pub struct Settings {
    pub database: DatabaseUrl,
    pub listen: String,
    pub data_dir: PathBuf,
    pub jwt_secret: SecretString,
    pub admin_password: Option<SecretString>,
    pub log_filter: String,
    /// Lifetime of issued access tokens, seconds.
    pub token_ttl_secs: i64,
    /// Size of the database connection pool.
    pub db_pool_size: u32,
    /// Longest wait for a pooled connection (and for a PostgreSQL connect) before 503.
    pub db_timeout_ms: u64,
    /// Longest a request handler may run before 503.
    pub request_timeout_ms: u64,
    /// Requests per minute per access token; 0 turns the limit off.
    pub rate_limit_per_minute: u32,
    /// Requests per minute per client address for calls without a token; 0 turns it off.
    pub anon_rate_limit_per_minute: u32,
    /// HTTP worker threads (default: one per core).
    pub workers: Option<usize>,
    /// Working days a bank has to approve or reject after accepting (`decide_by`).
    pub decide_working_days: u32,
    /// Password hashes computed at once (default: one per core).
    pub hash_concurrency: usize,
    /// How long a login waits for a free hashing slot before 503.
    pub hash_wait_ms: u64,
    /// `FINMATCH_PASSWORD_HASH_COST`: `standard` (default) or `test`.
    pub password_hash_cost: crate::app::credentials::HashCost,
    /// Proxies whose `X-Forwarded-For` names the client (for login throttling).
    pub trusted_proxies: Vec<ipnet::IpNet>,
    /// Byte bound of the cached recommendation rankings and pages.
    pub matching_cache_bytes: u64,
    /// Networks webhooks may call although they are not public (private lines, tests).
    pub webhook_allow_networks: Vec<ipnet::IpNet>,
    /// Where Prometheus metrics are served (`GET /metrics`); off when unset. Never the API
    /// listener: metrics are for the operator's network only.
    pub metrics_listen: Option<String>,
}

/// Raw key/value source: the config file overlaid by the process environment.
pub struct Source(HashMap<String, String>);

impl Source {
    pub fn load(config_file: Option<&Path>) -> anyhow::Result<Self> {
        let mut map = HashMap::new();
        let file = config_file
            .map(Path::to_path_buf)
            .or_else(|| std::env::var_os("FINMATCH_CONFIG").map(PathBuf::from));
        if let Some(file) = file {
            let iter = dotenvy::from_path_iter(&file)
                .with_context(|| format!("cannot read config file {}", file.display()))?;
            for item in iter {
                let (k, v) = item.with_context(|| format!("bad line in {}", file.display()))?;
                map.insert(k, v);
            }
        }
        for (k, v) in std::env::vars() {
            if k == "DATABASE_URL" || k.starts_with("FINMATCH_") {
                map.insert(k, v);
            }
        }
        Ok(Source(map))
    }

    pub fn from_map(map: HashMap<String, String>) -> Self {
        Source(map)
    }

    /// `FINMATCH_*` keys finmatch does not know, each with the known key it most likely
    /// means (a typo: `FINMATCH_DB_POOLSIZE` → `FINMATCH_DB_POOL_SIZE`).
    pub fn unknown_keys(&self) -> Vec<(String, Option<&'static str>)> {
        let mut out: Vec<_> = self
            .0
            .keys()
            .filter(|k| k.starts_with("FINMATCH_"))
            .filter(|k| {
                !KEYS.iter().any(|key| key.name == k.as_str()) && !TOOL_KEYS.contains(&k.as_str())
            })
            .map(|k| (k.clone(), nearest(k)))
            .collect();
        out.sort();
        out
    }

    fn get(&self, key: &str) -> Option<&str> {
        self.0
            .get(key)
            .map(String::as_str)
            .filter(|v| !v.is_empty())
    }
}

/// The known key closest to `unknown` (by edit distance), if it is close enough to be a typo.
fn nearest(unknown: &str) -> Option<&'static str> {
    KEYS.iter()
        .map(|k| (strsim::levenshtein(unknown, k.name), k.name))
        .min()
        .filter(|(d, _)| *d <= 4)
        .map(|(_, k)| k)
}

/// A whole number in `range`, or an error naming the key and why.
fn number<T>(
    src: &Source,
    name: &str,
    default: T,
    range: std::ops::RangeInclusive<T>,
) -> anyhow::Result<T>
where
    T: std::str::FromStr + PartialOrd + std::fmt::Display + Copy,
{
    let Some(v) = src.get(name) else {
        return Ok(default);
    };
    match v.trim().parse::<T>() {
        Ok(n) if range.contains(&n) => Ok(n),
        _ => anyhow::bail!(
            "{name}={v:?} is invalid: expected a whole number from {} to {}",
            range.start(),
            range.end()
        ),
    }
}

/// `host:port` with a port number, or an error naming the key.
fn address(name: &str, v: &str) -> anyhow::Result<String> {
    let ok = v
        .rsplit_once(':')
        .is_some_and(|(host, port)| !host.is_empty() && port.parse::<u16>().is_ok());
    anyhow::ensure!(
        ok,
        "{name}={v:?} is invalid: expected host:port, e.g. 127.0.0.1:8080"
    );
    Ok(v.to_owned())
}

impl Settings {
    /// The effective settings as `check-config` prints them, secrets masked.
    pub fn effective(&self) -> Vec<(&'static str, String)> {
        let masked = |set: bool| {
            if set {
                "********".to_owned()
            } else {
                "(unset)".to_owned()
            }
        };
        let networks = |n: &[ipnet::IpNet]| {
            n.iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join(",")
        };
        vec![
            ("DATABASE_URL", self.database.redacted()),
            ("FINMATCH_LISTEN", self.listen.clone()),
            ("FINMATCH_DATA_DIR", self.data_dir.display().to_string()),
            ("FINMATCH_JWT_SECRET", masked(true)),
            (
                "FINMATCH_ADMIN_PASSWORD",
                masked(self.admin_password.is_some()),
            ),
            ("FINMATCH_LOG", self.log_filter.clone()),
            ("FINMATCH_TOKEN_TTL_SECS", self.token_ttl_secs.to_string()),
            ("FINMATCH_DB_POOL_SIZE", self.db_pool_size.to_string()),
            ("FINMATCH_DB_TIMEOUT_MS", self.db_timeout_ms.to_string()),
            (
                "FINMATCH_WORKERS",
                self.workers
                    .map_or("one per core".to_owned(), |w| w.to_string()),
            ),
            (
                "FINMATCH_REQUEST_TIMEOUT_MS",
                self.request_timeout_ms.to_string(),
            ),
            (
                "FINMATCH_RATE_LIMIT",
                self.rate_limit_per_minute.to_string(),
            ),
            (
                "FINMATCH_RATE_LIMIT_ANON",
                self.anon_rate_limit_per_minute.to_string(),
            ),
            (
                "FINMATCH_DECIDE_WORKING_DAYS",
                self.decide_working_days.to_string(),
            ),
            (
                "FINMATCH_HASH_CONCURRENCY",
                self.hash_concurrency.to_string(),
            ),
            ("FINMATCH_HASH_WAIT_MS", self.hash_wait_ms.to_string()),
            (
                "FINMATCH_PASSWORD_HASH_COST",
                format!("{:?}", self.password_hash_cost).to_lowercase(),
            ),
            ("FINMATCH_TRUSTED_PROXIES", networks(&self.trusted_proxies)),
            (
                "FINMATCH_WEBHOOK_ALLOW_NETWORKS",
                networks(&self.webhook_allow_networks),
            ),
            (
                "FINMATCH_MATCHING_CACHE_MB",
                (self.matching_cache_bytes / (1024 * 1024)).to_string(),
            ),
            (
                "FINMATCH_METRICS_LISTEN",
                self.metrics_listen
                    .clone()
                    .unwrap_or_else(|| "(off)".to_owned()),
            ),
        ]
    }

    pub fn from_source(src: &Source) -> anyhow::Result<Self> {
        let data_dir = PathBuf::from(src.get("FINMATCH_DATA_DIR").unwrap_or(DEFAULT_DATA_DIR));
        let database = match src.get("DATABASE_URL") {
            Some(url) => DatabaseUrl::parse(url)?,
            None => {
                DatabaseUrl::Sqlite(data_dir.join("finmatch.db").to_string_lossy().into_owned())
            }
        };
        let jwt_secret = match src.get("FINMATCH_JWT_SECRET") {
            Some(s) => SecretString::from(s.to_owned()),
            None => load_or_create_secret(&data_dir)?,
        };
        let token_ttl_secs = number(src, "FINMATCH_TOKEN_TTL_SECS", 3600, 60..=30 * 86_400)?;
        let db_pool_size = number(src, "FINMATCH_DB_POOL_SIZE", 10, 1..=1000)?;
        let log_filter = src.get("FINMATCH_LOG").unwrap_or("info").to_owned();
        if let Err(e) = tracing_subscriber::EnvFilter::try_new(&log_filter) {
            anyhow::bail!("FINMATCH_LOG={log_filter:?} is invalid: {e}");
        }
        Ok(Settings {
            database,
            listen: address(
                "FINMATCH_LISTEN",
                src.get("FINMATCH_LISTEN").unwrap_or(DEFAULT_LISTEN),
            )?,
            data_dir,
            jwt_secret,
            admin_password: src
                .get("FINMATCH_ADMIN_PASSWORD")
                .map(|s| SecretString::from(s.to_owned())),
            log_filter,
            token_ttl_secs,
            db_pool_size,
            db_timeout_ms: number(src, "FINMATCH_DB_TIMEOUT_MS", 2000, 100..=60_000)?,
            request_timeout_ms: number(src, "FINMATCH_REQUEST_TIMEOUT_MS", 30_000, 100..=600_000)?,
            rate_limit_per_minute: number(src, "FINMATCH_RATE_LIMIT", 1200, 0..=1_000_000)?,
            anon_rate_limit_per_minute: number(src, "FINMATCH_RATE_LIMIT_ANON", 600, 0..=1_000_000)?,
            decide_working_days: number(src, "FINMATCH_DECIDE_WORKING_DAYS", 10, 1..=60)?,
            hash_concurrency: number(
                src,
                "FINMATCH_HASH_CONCURRENCY",
                std::thread::available_parallelism().map_or(2, |n| n.get()),
                1..=256,
            )?,
            hash_wait_ms: number(src, "FINMATCH_HASH_WAIT_MS", 2000, 0..=60_000)?,
            password_hash_cost: match src.get("FINMATCH_PASSWORD_HASH_COST") {
                None | Some("standard") => crate::app::credentials::HashCost::Standard,
                Some("test") => crate::app::credentials::HashCost::Test,
                Some(other) => anyhow::bail!(
                    "FINMATCH_PASSWORD_HASH_COST={other:?} is invalid: expected standard or test"
                ),
            },
            trusted_proxies: match src.get("FINMATCH_TRUSTED_PROXIES") {
                Some(v) => parse_networks(v).with_context(|| {
                    format!("FINMATCH_TRUSTED_PROXIES={v:?} is invalid: expected comma-separated addresses or CIDRs")
                })?,
                None => Vec::new(),
            },
            webhook_allow_networks: match src.get("FINMATCH_WEBHOOK_ALLOW_NETWORKS") {
                Some(v) => parse_networks(v).with_context(|| {
                    format!("FINMATCH_WEBHOOK_ALLOW_NETWORKS={v:?} is invalid: expected comma-separated CIDRs")
                })?,
                None => Vec::new(),
            },
            matching_cache_bytes: match src.get("FINMATCH_MATCHING_CACHE_MB") {
                Some(_) => number(src, "FINMATCH_MATCHING_CACHE_MB", 64u64, 1..=65_536)? * 1024 * 1024,
                None => crate::catalog::DEFAULT_RESULT_BYTES,
            },
            metrics_listen: match src.get("FINMATCH_METRICS_LISTEN").filter(|v| !v.trim().is_empty()) {
                Some(v) => Some(address("FINMATCH_METRICS_LISTEN", v)?),
                None => None,
            },
            workers: match src.get("FINMATCH_WORKERS") {
                Some(_) => Some(number(src, "FINMATCH_WORKERS", 1, 1..=1024)?),
                None => None,
            },
        })
    }
}

/// Comma-separated addresses (`10.0.0.1`, a /32 or /128) or CIDRs (`10.0.0.0/8`).
pub fn parse_networks(v: &str) -> anyhow::Result<Vec<ipnet::IpNet>> {
    v.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| {
            s.parse::<ipnet::IpNet>()
                .or_else(|_| s.parse::<std::net::IpAddr>().map(ipnet::IpNet::from))
                .with_context(|| format!("{s:?} is not an address or CIDR"))
        })
        .collect()
}

/// The JWT secret is generated once and kept in the data directory so tokens survive a restart.
/// Several instances sharing one PostgreSQL must share the secret: set `FINMATCH_JWT_SECRET`.
fn load_or_create_secret(data_dir: &Path) -> anyhow::Result<SecretString> {
    let path = data_dir.join(JWT_SECRET_FILE);
    if let Ok(existing) = std::fs::read_to_string(&path) {
        let trimmed = existing.trim();
        if trimmed.len() >= 32 {
            return Ok(SecretString::from(trimmed.to_owned()));
        }
    }
    std::fs::create_dir_all(data_dir)
        .with_context(|| format!("cannot create data directory {}", data_dir.display()))?;
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    let secret = hex::encode(bytes);
    write_private(&path, &secret)?;
    Ok(SecretString::from(secret))
}

/// Where a generated first admin password is written (mode 0600).
pub const INITIAL_ADMIN_PASSWORD_FILE: &str = "initial-admin-password";

pub fn write_private(path: &Path, contents: &str) -> anyhow::Result<()> {
    use std::io::Write;
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)
            .with_context(|| format!("cannot create directory {}", dir.display()))?;
    }
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    let mut f = opts
        .open(path)
        .with_context(|| format!("cannot write {}", path.display()))?;
    f.write_all(contents.as_bytes())?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(pairs: &[(&str, &str)]) -> anyhow::Result<Settings> {
        let mut map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        map.entry("FINMATCH_JWT_SECRET".into())
            .or_insert_with(|| "a-test-secret-of-sufficient-length-0123456789".into());
        map.entry("DATABASE_URL".into())
            .or_insert_with(|| "sqlite://:memory:".into());
        Settings::from_source(&Source::from_map(map))
    }

    #[test]
    fn an_invalid_value_names_its_key_and_why() {
        for (key, value, why) in [
            (
                "FINMATCH_DB_TIMEOUT_MS",
                "soon",
                "whole number from 100 to 60000",
            ),
            ("FINMATCH_DB_POOL_SIZE", "0", "whole number from 1 to 1000"),
            ("FINMATCH_RATE_LIMIT", "-5", "whole number from 0"),
            ("FINMATCH_LISTEN", "8080", "expected host:port"),
            ("FINMATCH_METRICS_LISTEN", "localhost", "expected host:port"),
            ("FINMATCH_PASSWORD_HASH_COST", "cheap", "standard or test"),
            (
                "FINMATCH_TRUSTED_PROXIES",
                "10.0.0.0/33",
                "addresses or CIDRs",
            ),
            ("FINMATCH_LOG", "info,[", "FINMATCH_LOG"),
        ] {
            let e = format!("{:#}", settings(&[(key, value)]).unwrap_err());
            assert!(e.contains(key) && e.contains(why), "{key}={value}: {e}");
        }
        assert_eq!(settings(&[]).unwrap().db_timeout_ms, 2000);
    }

    #[test]
    fn secrets_are_masked_in_the_effective_settings() {
        let s = settings(&[
            ("FINMATCH_ADMIN_PASSWORD", "very-secret-admin-pw"),
            (
                "DATABASE_URL",
                "postgres://finmatch:db-password-123@db.internal:5432/finmatch",
            ),
        ])
        .unwrap();
        let shown = s
            .effective()
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("\n");
        for secret in [
            "very-secret-admin-pw",
            "db-password-123",
            "a-test-secret-of-sufficient-length",
        ] {
            assert!(!shown.contains(secret), "{secret} shown:\n{shown}");
        }
        assert!(shown.contains("FINMATCH_ADMIN_PASSWORD=********"));
        assert!(shown.contains("db.internal:5432"));
        // Every known key but the config file's own is shown.
        for key in KEYS.iter().filter(|k| k.name != "FINMATCH_CONFIG") {
            assert!(
                shown.contains(&format!("{}=", key.name)),
                "{} missing",
                key.name
            );
        }
    }

    #[test]
    fn an_unknown_key_names_the_nearest_known_one() {
        let src = Source::from_map(
            [
                ("FINMATCH_DB_POOLSIZE", "3"),
                ("FINMATCH_RATELIMIT", "10"),
                ("FINMATCH_SOMETHING_ELSE_ENTIRELY", "1"),
                ("FINMATCH_REQUIRE_POSTGRES", "1"),
                ("FINMATCH_LISTEN", "127.0.0.1:1"),
            ]
            .into_iter()
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect(),
        );
        assert_eq!(
            src.unknown_keys(),
            vec![
                (
                    "FINMATCH_DB_POOLSIZE".to_owned(),
                    Some("FINMATCH_DB_POOL_SIZE")
                ),
                ("FINMATCH_RATELIMIT".to_owned(), Some("FINMATCH_RATE_LIMIT")),
                ("FINMATCH_SOMETHING_ELSE_ENTIRELY".to_owned(), None),
            ]
        );
    }

    /// docs/operations.md lists every key, so an operator reading it sees them all.
    #[test]
    fn the_operations_guide_lists_every_key() {
        let doc = include_str!("../docs/operations.md");
        for key in KEYS {
            assert!(
                doc.contains(&format!("`{}`", key.name)),
                "{} is not in docs/operations.md",
                key.name
            );
        }
    }
}
