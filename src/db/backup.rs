//! Backup and restore of an embedded SQLite database (PostgreSQL uses pg_dump/pg_restore; see
//! docs/operations.md).
//!
//! A backup is `VACUUM INTO`: one read transaction copies a consistent snapshot while the
//! server keeps writing (WAL mode lets writers go on). A restore replaces the database file,
//! so it must not run under a server: every serving process holds a shared lock on
//! `<database>.lock` for its lifetime (`ServeLock`), and a restore takes it exclusively.

use std::fs::{File, OpenOptions};
use std::path::{Path, PathBuf};

use anyhow::{bail, Context};
use diesel::connection::SimpleConnection;
use diesel::{Connection, RunQueryDsl};

use super::conn::DatabaseUrl;

/// Held by a serving process: a restore of the same database refuses while it lives.
pub struct ServeLock {
    _file: File,
}

fn lock_path(db: &Path) -> PathBuf {
    let mut p = db.as_os_str().to_owned();
    p.push(".lock");
    PathBuf::from(p)
}

fn open_lock(db: &Path) -> anyhow::Result<File> {
    let path = lock_path(db);
    OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .with_context(|| format!("cannot open {}", path.display()))
}

/// The serving lock of a SQLite database (`None` for PostgreSQL, which has no file to
/// replace). Shared: instances in one process or several may serve side by side.
pub fn serve_lock(url: &DatabaseUrl) -> anyhow::Result<Option<ServeLock>> {
    let DatabaseUrl::Sqlite(path) = url else {
        return Ok(None);
    };
    if path == ":memory:" {
        return Ok(None);
    }
    if let Some(dir) = Path::new(path)
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
    {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    }
    let file = open_lock(Path::new(path))?;
    file.lock_shared()
        .with_context(|| format!("cannot lock {}", lock_path(Path::new(path)).display()))?;
    Ok(Some(ServeLock { _file: file }))
}

fn sqlite_path(url: &DatabaseUrl) -> anyhow::Result<&str> {
    match url {
        DatabaseUrl::Sqlite(p) => Ok(p),
        DatabaseUrl::Postgres(_) => bail!(
            "backup and restore are for the embedded SQLite database; for PostgreSQL use \
             pg_dump -Fc and pg_restore (docs/operations.md)"
        ),
    }
}

#[derive(diesel::QueryableByName)]
struct Check {
    #[diesel(sql_type = diesel::sql_types::Text)]
    integrity_check: String,
}

/// Copies the live database at `url` to `to` (which must not exist) as one consistent
/// snapshot, while a server may be writing. Returns the size of the copy in bytes.
pub fn backup(url: &DatabaseUrl, to: &Path) -> anyhow::Result<u64> {
    let path = sqlite_path(url)?;
    anyhow::ensure!(Path::new(path).exists(), "no database at {path} to back up");
    anyhow::ensure!(!to.exists(), "{} exists; choose a new file", to.display());
    let mut conn =
        diesel::SqliteConnection::establish(path).with_context(|| format!("cannot open {path}"))?;
    conn.batch_execute("PRAGMA busy_timeout = 10000")?;
    let target = to.to_str().context("the backup path is not UTF-8")?;
    diesel::sql_query("VACUUM INTO ?")
        .bind::<diesel::sql_types::Text, _>(target)
        .execute(&mut conn)
        .with_context(|| format!("VACUUM INTO {} failed", to.display()))?;
    Ok(std::fs::metadata(to)?.len())
}

/// Puts the backup `from` in place of the database at `url`; refuses while a finmatch
/// serves it, and refuses a file that is not an intact finmatch database.
pub fn restore(url: &DatabaseUrl, from: &Path) -> anyhow::Result<()> {
    let path = Path::new(sqlite_path(url)?);
    verify(from)?;
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    }
    let lock = open_lock(path)?;
    if lock.try_lock().is_err() {
        bail!(
            "database {} is in use by a running finmatch; stop it before restoring",
            path.display()
        );
    }
    // Copy beside the target, flush, then swap: a crash leaves the old or the new database,
    // never half of one. The old WAL belongs to the old file and must not be replayed.
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(".restoring");
    let tmp = PathBuf::from(tmp);
    std::fs::copy(from, &tmp).with_context(|| format!("cannot write {}", tmp.display()))?;
    File::open(&tmp)?.sync_all()?;
    for suffix in ["-wal", "-shm"] {
        let mut side = path.as_os_str().to_owned();
        side.push(suffix);
        match std::fs::remove_file(PathBuf::from(side)) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(e.into()),
        }
    }
    std::fs::rename(&tmp, path).with_context(|| format!("cannot replace {}", path.display()))?;
    drop(lock);
    Ok(())
}

/// `from` is an SQLite database that passes `PRAGMA integrity_check` and has finmatch's
/// migrations table.
fn verify(from: &Path) -> anyhow::Result<()> {
    anyhow::ensure!(from.is_file(), "no backup at {}", from.display());
    let name = from.to_str().context("the backup path is not UTF-8")?;
    let mut conn = diesel::SqliteConnection::establish(&format!("file:{name}?mode=ro"))
        .with_context(|| format!("{} is not an SQLite database", from.display()))?;
    let checks: Vec<Check> = diesel::sql_query("PRAGMA integrity_check")
        .load(&mut conn)
        .with_context(|| format!("{} is not an SQLite database", from.display()))?;
    let ok = checks.len() == 1 && checks[0].integrity_check == "ok";
    anyhow::ensure!(ok, "{} fails its integrity check", from.display());
    diesel::sql_query("SELECT 1 FROM __diesel_schema_migrations LIMIT 1")
        .execute(&mut conn)
        .with_context(|| format!("{} is not a finmatch database", from.display()))?;
    Ok(())
}
