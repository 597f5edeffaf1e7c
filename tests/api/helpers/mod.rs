//! Test harness: a real finmatch on port 0 over a fresh database per test — a temp-file SQLite,
//! or a fresh PostgreSQL schema under `TEST_DATABASE_URL` that is dropped afterwards.

mod reports;
mod worlds;

pub use reports::*;
pub use worlds::*;

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};

use diesel::connection::SimpleConnection;
use diesel::{Connection, PgConnection};
use finmatch::config::{Settings, Source};
use finmatch::db::{Backend, DatabaseUrl, Pool};
use finmatch::domain::credit_code::check_char;
use finmatch::startup::{self, Application};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

pub const ADMIN_PASSWORD: &str = "admin-password-for-tests";
pub const PASSWORD: &str = "a-long-enough-password";
pub const JWT_SECRET: &str = "test-secret-0123456789abcdef0123456789abcdef";

/// Runs one test body on SQLite and on PostgreSQL: `both_backends!(name);` next to
/// `async fn name(app: TestApp)`.
#[macro_export]
macro_rules! both_backends {
    ($($name:ident),+ $(,)?) => {$(
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                let app = $crate::helpers::TestApp::spawn(finmatch::db::Backend::Sqlite).await.expect("sqlite app");
                super::$name(app).await;
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            #[cfg_attr(no_test_database, ignore = "TEST_DATABASE_URL is not set")]
            async fn postgres() {
                if let Some(app) = $crate::helpers::TestApp::spawn(finmatch::db::Backend::Postgres).await {
                    super::$name(app).await;
                }
            }
        }
    )+};
}

/// A database of its own for one test.
pub struct TestDb {
    pub url: DatabaseUrl,
    dir: Option<std::path::PathBuf>,
    pg_schema: Option<(String, String)>,
}

static COUNTER: AtomicU64 = AtomicU64::new(0);

fn unique(prefix: &str) -> String {
    format!(
        "{prefix}_{}_{}_{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed),
        uuid::Uuid::new_v4().simple()
    )
}

pub fn pg_base_url() -> Option<String> {
    match std::env::var("TEST_DATABASE_URL") {
        Ok(url) if !url.is_empty() => Some(url),
        _ => {
            assert!(
                std::env::var("FINMATCH_REQUIRE_POSTGRES")
                    .map(|v| v != "1")
                    .unwrap_or(true),
                "FINMATCH_REQUIRE_POSTGRES=1 but TEST_DATABASE_URL is not set"
            );
            None
        }
    }
}

impl TestDb {
    /// None when PostgreSQL is asked for but `TEST_DATABASE_URL` is unset (the test is skipped).
    pub fn create(backend: Backend) -> Option<TestDb> {
        match backend {
            Backend::Sqlite => {
                let dir = std::env::temp_dir().join(unique("finmatch_test"));
                std::fs::create_dir_all(&dir).expect("temp dir");
                let path = dir.join("finmatch.db");
                Some(TestDb {
                    url: DatabaseUrl::Sqlite(path.to_string_lossy().into_owned()),
                    dir: Some(dir),
                    pg_schema: None,
                })
            }
            Backend::Postgres => {
                let Some(base) = pg_base_url() else {
                    eprintln!("skipped: TEST_DATABASE_URL is not set, PostgreSQL variant not run");
                    return None;
                };
                let schema = unique("t").to_lowercase();
                let mut conn =
                    PgConnection::establish(&base).expect("connect to TEST_DATABASE_URL");
                conn.batch_execute(&format!("CREATE SCHEMA {schema}"))
                    .expect("create schema");
                let sep = if base.contains('?') { '&' } else { '?' };
                let url = format!("{base}{sep}options=-csearch_path%3D{schema}");
                Some(TestDb {
                    url: DatabaseUrl::Postgres(url),
                    dir: Some(std::env::temp_dir().join(unique("finmatch_pgdata"))),
                    pg_schema: Some((base, schema)),
                })
            }
        }
    }

    pub fn data_dir(&self) -> std::path::PathBuf {
        self.dir.clone().expect("data dir")
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if let Some((base, schema)) = &self.pg_schema {
            if let Ok(mut conn) = PgConnection::establish(base) {
                let _ = conn.batch_execute(&format!("DROP SCHEMA IF EXISTS {schema} CASCADE"));
            }
        }
        if let Some(dir) = &self.dir {
            let _ = std::fs::remove_dir_all(dir);
        }
    }
}

pub fn settings_for(db: &TestDb) -> Settings {
    settings_with(db, &[])
}

/// The test settings with some keys overridden.
pub fn settings_with(db: &TestDb, extra: &[(&str, &str)]) -> Settings {
    let mut map = HashMap::new();
    let url = match &db.url {
        DatabaseUrl::Sqlite(p) => format!("sqlite://{p}"),
        DatabaseUrl::Postgres(u) => u.clone(),
    };
    map.insert("DATABASE_URL".to_owned(), url);
    map.insert("FINMATCH_LISTEN".to_owned(), "127.0.0.1:0".to_owned());
    map.insert(
        "FINMATCH_DATA_DIR".to_owned(),
        db.data_dir().to_string_lossy().into_owned(),
    );
    map.insert("FINMATCH_JWT_SECRET".to_owned(), JWT_SECRET.to_owned());
    // Thousands of users are created; `password_checks_are_bounded` stores a standard one.
    map.insert("FINMATCH_PASSWORD_HASH_COST".to_owned(), "test".to_owned());
    map.insert(
        "FINMATCH_ADMIN_PASSWORD".to_owned(),
        ADMIN_PASSWORD.to_owned(),
    );
    map.insert("FINMATCH_DB_POOL_SIZE".to_owned(), "5".to_owned());
    map.insert("FINMATCH_WORKERS".to_owned(), "2".to_owned());
    // Tests run many servers at once on two cores: let password hashing queue rather than
    // answer 503 (`password_checks_are_bounded` tests the 503 on an instance of its own).
    map.insert("FINMATCH_HASH_WAIT_MS".to_owned(), "60000".to_owned());
    // Webhook receivers of the tests listen on loopback.
    map.insert(
        "FINMATCH_WEBHOOK_ALLOW_NETWORKS".to_owned(),
        "127.0.0.0/8".to_owned(),
    );
    // The tests connect from loopback and name other clients in X-Forwarded-For.
    map.insert(
        "FINMATCH_TRUSTED_PROXIES".to_owned(),
        "127.0.0.1".to_owned(),
    );
    // Many servers share two cores here: a connection may take longer than production's 2 s
    // to come free, which is load, not an outage (`outage` in .ci tests the short default).
    map.insert("FINMATCH_DB_TIMEOUT_MS".to_owned(), "20000".to_owned());
    // Every test client calls from one address with a few tokens, faster than any real
    // client; `rate_limits.rs` turns the limits on for itself.
    map.insert("FINMATCH_RATE_LIMIT".to_owned(), "0".to_owned());
    map.insert("FINMATCH_RATE_LIMIT_ANON".to_owned(), "0".to_owned());
    for (k, v) in extra {
        map.insert((*k).to_owned(), (*v).to_owned());
    }
    Settings::from_source(&Source::from_map(map)).expect("settings")
}

pub struct TestApp {
    pub base: String,
    pub client: reqwest::Client,
    pub admin_token: String,
    pub pool: Pool,
    /// The instance's shared state (its caches and change watch).
    pub state: actix_web::web::Data<finmatch::app::AppState>,
    pub backend: Backend,
    /// Dropped with the app: removes the database.
    pub _db: TestDb,
}

/// A response: status, parsed JSON body (Null when empty or not JSON) and headers.
pub struct Resp {
    pub status: StatusCode,
    pub body: Value,
    pub headers: reqwest::header::HeaderMap,
}

impl Resp {
    /// The ids of a 200 page's items.
    pub fn ids(&self) -> Vec<i64> {
        self.assert_status(200)["items"]
            .as_array()
            .unwrap_or_else(|| panic!("a page: {}", self.body))
            .iter()
            .map(|i| i["id"].as_i64().unwrap())
            .collect()
    }

    pub fn code(&self) -> &str {
        self.body["code"].as_str().unwrap_or("")
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// Asserts an RFC 9457 problem with this status and code.
    #[track_caller]
    pub fn assert_problem(&self, status: u16, code: &str) {
        assert_eq!(self.status.as_u16(), status, "body: {}", self.body);
        assert_eq!(self.code(), code, "body: {}", self.body);
        assert_eq!(
            self.header("content-type"),
            Some("application/problem+json")
        );
        assert_eq!(self.body["status"].as_u64(), Some(status as u64));
        assert!(
            self.body["type"].is_string()
                && self.body["title"].is_string()
                && self.body["detail"].is_string()
        );
    }

    #[track_caller]
    pub fn assert_status(&self, status: u16) -> &Value {
        assert_eq!(self.status.as_u16(), status, "body: {}", self.body);
        &self.body
    }
}

impl TestApp {
    pub async fn spawn(backend: Backend) -> Option<TestApp> {
        let db = TestDb::create(backend)?;
        let settings = settings_for(&db);
        let pool = {
            let settings = settings.clone();
            tokio::task::spawn_blocking(move || {
                let pool = startup::prepare_database(&settings)?;
                startup::ensure_admin(&pool, &settings)?;
                anyhow::Ok(pool)
            })
            .await
            .expect("join")
            .expect("database")
        };
        let app = Application::build(&settings, pool.clone()).expect("build app");
        let base = format!("http://127.0.0.1:{}", app.port);
        let state = app.state.clone();
        tokio::spawn(app.server);
        let client = reqwest::Client::new();
        let mut t = TestApp {
            base,
            client,
            admin_token: String::new(),
            pool,
            state,
            backend,
            _db: db,
        };
        t.admin_token = t.login("admin", ADMIN_PASSWORD).await;
        Some(t)
    }

    /// A second finmatch instance on the same database, with its own pool and caches, as
    /// another server of a scaled-out deployment. Returns its base URL.
    pub async fn sibling(&self) -> String {
        self.sibling_with(&[]).await
    }

    /// A sibling instance with some settings overridden.
    pub async fn sibling_with(&self, extra: &[(&str, &str)]) -> String {
        self.sibling_serving(extra).await.0
    }

    /// A sibling instance; also the port of its metrics listener when it has one.
    pub async fn sibling_serving(&self, extra: &[(&str, &str)]) -> (String, Option<u16>) {
        let (base, metrics, _) = self.sibling_app(extra).await;
        (base, metrics)
    }

    /// A sibling instance: its base URL, metrics port and shared state.
    pub async fn sibling_app(
        &self,
        extra: &[(&str, &str)],
    ) -> (
        String,
        Option<u16>,
        actix_web::web::Data<finmatch::app::AppState>,
    ) {
        let settings = settings_with(&self._db, extra);
        let for_pool = settings.clone();
        let pool = tokio::task::spawn_blocking(move || startup::prepare_database(&for_pool))
            .await
            .expect("join")
            .expect("database");
        let app = Application::build(&settings, pool).expect("build sibling");
        let base = format!("http://127.0.0.1:{}", app.port);
        let state = app.state.clone();
        tokio::spawn(app.server);
        let metrics = app.metrics.map(|(port, server)| {
            tokio::spawn(server);
            port
        });
        (base, metrics, state)
    }

    pub async fn request(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<&Value>,
        headers: &[(&str, &str)],
    ) -> Resp {
        // A full URL addresses another instance (see `sibling`).
        let url = if path.starts_with("http") {
            path.to_owned()
        } else {
            format!("{}{}", self.base, path)
        };
        let mut req = self.client.request(method.clone(), &url);
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        if let Some(b) = body {
            req = req.json(b);
        }
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        let res = req.send().await.expect("request");
        let status = res.status();
        let headers = res.headers().clone();
        let bytes = res.bytes().await.expect("body");
        keeps_contract(&method, &url, status, &headers, &bytes);
        let body = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        Resp {
            status,
            body,
            headers,
        }
    }

    /// Sends a raw body with a content type.
    pub async fn raw(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        content_type: &str,
        body: &str,
    ) -> Resp {
        let url = format!("{}{}", self.base, path);
        let mut req = self.client.request(method.clone(), &url);
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        let res = req
            .header("content-type", content_type)
            .body(body.to_owned())
            .send()
            .await
            .expect("request");
        let status = res.status();
        let headers = res.headers().clone();
        let bytes = res.bytes().await.expect("body");
        keeps_contract(&method, &url, status, &headers, &bytes);
        Resp {
            status,
            body: serde_json::from_slice(&bytes).unwrap_or(Value::Null),
            headers,
        }
    }

    /// Waits until this instance's change watch vouches for cached answers (a PostgreSQL
    /// listener connects in the background).
    pub async fn change_watch_live(state: &finmatch::app::AppState) {
        for _ in 0..200 {
            if state.changes.is_live() {
                return;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        panic!("the change watch did not go live within 10 s");
    }

    pub async fn get(&self, path: &str, token: &str) -> Resp {
        self.request(Method::GET, path, Some(token), None, &[])
            .await
    }

    pub async fn post(&self, path: &str, token: &str, body: &Value) -> Resp {
        self.request(Method::POST, path, Some(token), Some(body), &[])
            .await
    }

    pub async fn login(&self, username: &str, password: &str) -> String {
        let r = self
            .request(
                Method::POST,
                "/api/v1/auth/login",
                None,
                Some(&json!({"username": username, "password": password})),
                &[],
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "login {username}: {}", r.body);
        r.body["access_token"].as_str().expect("token").to_owned()
    }

    /// Creates a bank, guarantor or finance office with one user; returns (org id, token).
    pub async fn org_with_user(&self, kind: &str, region_code: Option<&str>) -> (i64, String) {
        let name = format!("{kind} {}", uuid::Uuid::new_v4().simple());
        let mut body = json!({"kind": kind, "name": name});
        if let Some(r) = region_code {
            body["region_code"] = json!(r);
        }
        let r = self
            .post("/api/v1/organizations", &self.admin_token, &body)
            .await;
        let id = r.assert_status(201)["id"].as_i64().expect("id");
        let username = unique_username(kind);
        let r = self
            .post(
                &format!("/api/v1/organizations/{id}/users"),
                &self.admin_token,
                &json!({"username": username, "password": PASSWORD}),
            )
            .await;
        r.assert_status(201);
        (id, self.login(&username, PASSWORD).await)
    }

    /// Registers an enterprise in `region_code`; returns (org id, token).
    pub async fn enterprise(&self, region_code: &str) -> (i64, String) {
        let username = unique_username("ent");
        let body = registration(&username, &credit_code(), region_code);
        let r = self
            .request(
                Method::POST,
                "/api/v1/auth/register",
                None,
                Some(&body),
                &[],
            )
            .await;
        let id = r.assert_status(201)["organization"]["id"]
            .as_i64()
            .expect("id");
        (id, self.login(&username, PASSWORD).await)
    }
}

/// Every response a test receives is checked against the OpenAPI document (`contract`).
#[track_caller]
fn keeps_contract(
    method: &Method,
    url: &str,
    status: StatusCode,
    headers: &reqwest::header::HeaderMap,
    body: &[u8],
) {
    // The path of the operation, whichever instance answered.
    let path = url
        .splitn(4, '/')
        .nth(3)
        .map(|p| format!("/{p}"))
        .unwrap_or_default();
    let content_type = headers
        .get(reqwest::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok());
    crate::contract::check(method.as_str(), &path, status.as_u16(), content_type, body);
}

pub fn unique_username(prefix: &str) -> String {
    format!(
        "{prefix}_{}",
        &uuid::Uuid::new_v4().simple().to_string()[..12]
    )
}

/// A random, checksum-valid 统一社会信用代码 of an enterprise (91…).
pub fn credit_code() -> String {
    const CHARSET: &[u8] = b"0123456789ABCDEFGHJKLMNPQRTUWXY";
    let bytes = uuid::Uuid::new_v4().into_bytes();
    let mut body = String::from("91370202");
    for b in bytes.iter().take(9) {
        body.push(CHARSET[*b as usize % 31] as char);
    }
    let check = check_char(body.as_bytes()).expect("check char");
    format!("{body}{check}")
}

pub fn registration(username: &str, credit_code: &str, region_code: &str) -> Value {
    json!({
        "username": username,
        "password": PASSWORD,
        "enterprise": {
            "name": "青岛海科精密机械有限公司",
            "credit_code": credit_code,
            "region_code": region_code,
            "industry": "industry",
            "employees": 120,
            "annual_revenue": "35000000.00",
            "total_assets": "28000000.00",
            "established_on": "2016-05-18",
            "has_prior_loan": false
        }
    })
}
