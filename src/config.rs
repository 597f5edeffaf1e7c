//! Settings from the environment, or from a `KEY=VALUE` config file with the same keys
//! (`--config <file>` or `FINMATCH_CONFIG`); the environment wins over the file.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use anyhow::Context;
use rand::RngCore;
use secrecy::SecretString;

use crate::db::DatabaseUrl;

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

    fn get(&self, key: &str) -> Option<&str> {
        self.0
            .get(key)
            .map(String::as_str)
            .filter(|v| !v.is_empty())
    }
}

impl Settings {
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
        let token_ttl_secs = match src.get("FINMATCH_TOKEN_TTL_SECS") {
            Some(v) => v
                .parse()
                .context("FINMATCH_TOKEN_TTL_SECS must be an integer")?,
            None => 3600,
        };
        let db_pool_size = match src.get("FINMATCH_DB_POOL_SIZE") {
            Some(v) => v
                .parse()
                .context("FINMATCH_DB_POOL_SIZE must be an integer")?,
            None => 10,
        };
        Ok(Settings {
            database,
            listen: src
                .get("FINMATCH_LISTEN")
                .unwrap_or(DEFAULT_LISTEN)
                .to_owned(),
            data_dir,
            jwt_secret,
            admin_password: src
                .get("FINMATCH_ADMIN_PASSWORD")
                .map(|s| SecretString::from(s.to_owned())),
            log_filter: src.get("FINMATCH_LOG").unwrap_or("info").to_owned(),
            token_ttl_secs,
            db_pool_size,
            decide_working_days: match src.get("FINMATCH_DECIDE_WORKING_DAYS") {
                Some(v) => v
                    .parse()
                    .context("FINMATCH_DECIDE_WORKING_DAYS must be a whole number")?,
                None => 10,
            },
            hash_concurrency: match src.get("FINMATCH_HASH_CONCURRENCY") {
                Some(v) => v
                    .parse::<usize>()
                    .ok()
                    .filter(|n| *n > 0)
                    .context("FINMATCH_HASH_CONCURRENCY must be a positive whole number")?,
                None => std::thread::available_parallelism().map_or(2, |n| n.get()),
            },
            hash_wait_ms: match src.get("FINMATCH_HASH_WAIT_MS") {
                Some(v) => v
                    .parse()
                    .context("FINMATCH_HASH_WAIT_MS must be a whole number of milliseconds")?,
                None => 2000,
            },
            password_hash_cost: match src.get("FINMATCH_PASSWORD_HASH_COST") {
                None | Some("standard") => crate::app::credentials::HashCost::Standard,
                Some("test") => crate::app::credentials::HashCost::Test,
                Some(other) => anyhow::bail!(
                    "FINMATCH_PASSWORD_HASH_COST must be standard or test, not {other:?}"
                ),
            },
            trusted_proxies: match src.get("FINMATCH_TRUSTED_PROXIES") {
                Some(v) => parse_networks(v).context(
                    "FINMATCH_TRUSTED_PROXIES must be comma-separated addresses or CIDRs",
                )?,
                None => Vec::new(),
            },
            webhook_allow_networks: match src.get("FINMATCH_WEBHOOK_ALLOW_NETWORKS") {
                Some(v) => parse_networks(v)
                    .context("FINMATCH_WEBHOOK_ALLOW_NETWORKS must be comma-separated CIDRs")?,
                None => Vec::new(),
            },
            matching_cache_bytes: match src.get("FINMATCH_MATCHING_CACHE_MB") {
                Some(v) => {
                    v.parse::<u64>()
                        .context("FINMATCH_MATCHING_CACHE_MB must be a whole number of MiB")?
                        * 1024
                        * 1024
                }
                None => crate::catalog::DEFAULT_RESULT_BYTES,
            },
            metrics_listen: src
                .get("FINMATCH_METRICS_LISTEN")
                .filter(|v| !v.trim().is_empty())
                .map(str::to_owned),
            workers: match src.get("FINMATCH_WORKERS") {
                Some(v) => Some(v.parse().context("FINMATCH_WORKERS must be an integer")?),
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

fn write_private(path: &Path, contents: &str) -> anyhow::Result<()> {
    use std::io::Write;
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
