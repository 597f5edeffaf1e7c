//! The one connection type of finmatch: SQLite (embedded default) or PostgreSQL (production),
//! chosen from the URL scheme. This is the only place that matches on the backend.

use diesel::connection::{AnsiTransactionManager, TransactionManager};
use diesel::prelude::*;
use diesel::r2d2::{self, ManageConnection};

#[derive(diesel::MultiConnection)]
pub enum DbConnection {
    Postgres(diesel::PgConnection),
    Sqlite(diesel::SqliteConnection),
}

/// Runs the same diesel expression on whichever inner connection this is — for the few
/// statements MultiConnection cannot express (such as `RETURNING`).
#[macro_export]
macro_rules! on_backend {
    ($conn:expr, $c:ident => $body:expr) => {
        match $conn {
            $crate::db::DbConnection::Postgres($c) => $body,
            $crate::db::DbConnection::Sqlite($c) => $body,
        }
    };
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// A database location. We pick the backend ourselves: the derive's own `establish`
/// tries backends in order, and SQLite accepts any string as a file name.
#[derive(Clone, Debug)]
pub enum DatabaseUrl {
    Sqlite(String),
    Postgres(String),
}

impl DatabaseUrl {
    pub fn parse(url: &str) -> anyhow::Result<Self> {
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Ok(DatabaseUrl::Postgres(url.to_owned()))
        } else if let Some(path) = url
            .strip_prefix("sqlite://")
            .or_else(|| url.strip_prefix("sqlite:"))
        {
            Ok(DatabaseUrl::Sqlite(path.to_owned()))
        } else if url.contains("://") {
            anyhow::bail!("unsupported DATABASE_URL scheme (use postgres://… or sqlite://…)")
        } else {
            Ok(DatabaseUrl::Sqlite(url.to_owned()))
        }
    }

    pub fn backend(&self) -> Backend {
        match self {
            DatabaseUrl::Sqlite(_) => Backend::Sqlite,
            DatabaseUrl::Postgres(_) => Backend::Postgres,
        }
    }

    /// Printable form without credentials.
    pub fn redacted(&self) -> String {
        match self {
            DatabaseUrl::Sqlite(p) => format!("sqlite://{p}"),
            DatabaseUrl::Postgres(u) => match (u.find("://"), u.rfind('@')) {
                (Some(s), Some(at)) if at > s => format!("{}://***{}", &u[..s], &u[at..]),
                _ => u.clone(),
            },
        }
    }
}

/// SQLite has one writer at a time. The writers of this process queue here and are woken in
/// turn as each commits, instead of in SQLite's busy handler, which sleeps 1, 2, 5 … 100 ms
/// between tries: under 4 and 16 concurrent writers that gave writes a p99 of 100–440 ms.
/// (A process serves one SQLite database; test processes, which open many, share this lock
/// across them, which only serialises their short write transactions.) Another process's
/// writer (such as `seed-demo`) is still waited for by the busy handler.
static SQLITE_WRITER: std::sync::Mutex<()> = std::sync::Mutex::new(());

impl DbConnection {
    pub fn backend(&self) -> Backend {
        match self {
            DbConnection::Postgres(_) => Backend::Postgres,
            DbConnection::Sqlite(_) => Backend::Sqlite,
        }
    }

    pub fn open(url: &DatabaseUrl) -> ConnectionResult<Self> {
        match url {
            DatabaseUrl::Postgres(u) => Ok(DbConnection::Postgres(PgConnection::establish(u)?)),
            DatabaseUrl::Sqlite(path) => {
                if let Some(parent) = std::path::Path::new(path).parent() {
                    if !parent.as_os_str().is_empty() {
                        std::fs::create_dir_all(parent).map_err(|e| {
                            ConnectionError::BadConnection(format!(
                                "cannot create {}: {e}",
                                parent.display()
                            ))
                        })?;
                    }
                }
                let mut conn = SqliteConnection::establish(path)?;
                // Each pragma on its own: foreign keys are off by default in SQLite, writers
                // wait instead of failing, and WAL lets readers run beside the single writer.
                for pragma in [
                    "PRAGMA foreign_keys = ON",
                    "PRAGMA busy_timeout = 10000",
                    "PRAGMA journal_mode = WAL",
                    "PRAGMA synchronous = NORMAL",
                ] {
                    diesel::connection::SimpleConnection::batch_execute(&mut conn, pragma)
                        .map_err(ConnectionError::CouldntSetupConfiguration)?;
                }
                Ok(DbConnection::Sqlite(conn))
            }
        }
    }

    /// A transaction that holds the write lock from its first statement: `BEGIN IMMEDIATE` on
    /// SQLite (so a read that decides a write cannot be overtaken by another writer),
    /// a plain transaction on PostgreSQL (use row locks or conditional updates there).
    /// Inside an open transaction it is a savepoint: a use case called by another (or by a
    /// batch such as `seed-demo`) commits with its caller, or rolls back alone.
    pub fn write_transaction<T, E, F>(&mut self, f: F) -> Result<T, E>
    where
        F: FnOnce(&mut DbConnection) -> Result<T, E>,
        E: From<diesel::result::Error>,
    {
        let nested = <Self as Connection>::TransactionManager::transaction_manager_status_mut(self)
            .transaction_depth()?
            .is_some();
        if !nested {
            super::announce::forget();
        }
        // Held until this function returns: after the commit or the rollback.
        let _writer = match self {
            DbConnection::Sqlite(_) if !nested => {
                Some(SQLITE_WRITER.lock().unwrap_or_else(|e| e.into_inner()))
            }
            _ => None,
        };
        match self {
            DbConnection::Sqlite(inner) if !nested => {
                AnsiTransactionManager::begin_transaction_sql(inner, "BEGIN IMMEDIATE")?;
            }
            _ => {
                <Self as Connection>::TransactionManager::begin_transaction(self)?;
            }
        }
        match f(self) {
            Ok(value) => {
                <Self as Connection>::TransactionManager::commit_transaction(self)?;
                if !nested {
                    // Readers keyed by the change counters learn of this commit.
                    super::announce::announce(self);
                }
                Ok(value)
            }
            Err(e) => {
                <Self as Connection>::TransactionManager::rollback_transaction(self)?;
                if !nested {
                    super::announce::forget();
                }
                Err(e)
            }
        }
    }
}

/// r2d2 manager that opens the backend named by the URL.
#[derive(Clone, Debug)]
pub struct DbManager {
    url: DatabaseUrl,
}

impl DbManager {
    /// PostgreSQL connections give up after `timeout` (at least libpq's 2 s), and a peer that
    /// stops answering is noticed by TCP keepalives and `tcp_user_timeout` rather than after
    /// the kernel's minutes of retransmission.
    pub fn new(url: DatabaseUrl, timeout: std::time::Duration) -> Self {
        let url = match url {
            DatabaseUrl::Postgres(u) => {
                let mut u = u;
                let secs = timeout.as_millis().div_ceil(1000).max(2);
                for (key, value) in [
                    ("connect_timeout", secs.to_string()),
                    ("keepalives_idle", "10".to_owned()),
                    ("keepalives_interval", "5".to_owned()),
                    ("keepalives_count", "3".to_owned()),
                    ("tcp_user_timeout", "20000".to_owned()),
                ] {
                    if !u.contains(&format!("{key}=")) {
                        u.push(if u.contains('?') { '&' } else { '?' });
                        u.push_str(&format!("{key}={value}"));
                    }
                }
                DatabaseUrl::Postgres(u)
            }
            sqlite => sqlite,
        };
        DbManager { url }
    }
}

impl ManageConnection for DbManager {
    type Connection = DbConnection;
    type Error = r2d2::Error;

    fn connect(&self) -> Result<DbConnection, r2d2::Error> {
        DbConnection::open(&self.url).map_err(r2d2::Error::ConnectionError)
    }

    fn is_valid(&self, conn: &mut DbConnection) -> Result<(), r2d2::Error> {
        diesel::connection::SimpleConnection::batch_execute(conn, "SELECT 1")
            .map_err(r2d2::Error::QueryError)
    }

    /// A connection whose transaction could not be closed (it broke mid-transaction) is not
    /// put back into the pool.
    fn has_broken(&self, conn: &mut DbConnection) -> bool {
        use diesel::r2d2::R2D2Connection;
        match conn {
            DbConnection::Sqlite(c) => c.is_broken(),
            DbConnection::Postgres(c) => c.is_broken(),
        }
    }
}
