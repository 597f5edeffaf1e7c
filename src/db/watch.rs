//! Whether anything matching or a session depends on may have changed since the change
//! counters (`db::catalog::counters`) were last read, answered without a database round trip
//! when nothing did. Cached recommendation pages and live sessions are keyed by the counters,
//! so this is what lets them answer from memory and still never serve a stale answer.
//!
//! - **SQLite**: `PRAGMA data_version` on a connection of the watch's own moves whenever any
//!   other connection commits, in this process or another (such as `seed-demo`). It reads
//!   shared memory, not the file; when it moved, the counters are read again on the same
//!   connection. A change is exact on the very next request.
//! - **PostgreSQL**: a transaction that bumped a counter announces itself after its commit
//!   (`db::announce`: `NOTIFY` on the schema's channel, in a transaction of its own committed
//!   asynchronously; inside the write, NOTIFY would hold the notify queue's database-wide lock
//!   through the commit's WAL flush and serialise every writer behind it). The writer answers
//!   only after that.
//!   A listener thread on each instance counts the notifications. A request that wants the
//!   counters from memory first waits for a *flush*: an empty query on the listening
//!   connection sent after the request arrived. PostgreSQL sends a listener every
//!   notification committed before it reads a query, so once the flush is answered every
//!   change acknowledged to any client before the request arrived has been counted — the
//!   very next request on every instance sees it. One flush serves every request waiting
//!   for it, so flushes run at most once per round trip, however many requests there are.
//!   While the listener is down every request reads the counters; once a second the
//!   listener reads them itself and moves the stamp if they moved without a notification, so
//!   a notification lost with a crashed writer (after its commit, before its NOTIFY) costs at
//!   most a second.

use std::cell::{Cell, RefCell};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::Duration;

use diesel::prelude::*;
use diesel::sql_types::BigInt;
use thread_local::ThreadLocal;

use super::announce::CHANNEL;
use super::catalog::{self, Counters};
use super::{DatabaseUrl, DbConnection};

/// `PRAGMA data_version` as a query with a static id, so the connection keeps it prepared
/// (`sql_query` text is prepared again on every call: a fifth of a cached page's CPU).
#[derive(diesel::query_builder::QueryId)]
struct DataVersion;

impl diesel::query_builder::QueryFragment<diesel::sqlite::Sqlite> for DataVersion {
    fn walk_ast<'b>(
        &'b self,
        mut out: diesel::query_builder::AstPass<'_, 'b, diesel::sqlite::Sqlite>,
    ) -> QueryResult<()> {
        out.push_sql("PRAGMA data_version");
        Ok(())
    }
}

impl diesel::query_builder::Query for DataVersion {
    type SqlType = BigInt;
}

impl RunQueryDsl<diesel::SqliteConnection> for DataVersion {}

/// Moves whenever another connection (of any process) commits to the SQLite database.
fn data_version(conn: &mut DbConnection) -> Option<u64> {
    let DbConnection::Sqlite(conn) = conn else {
        return None;
    };
    DataVersion.get_result::<i64>(conn).ok().map(|v| v as u64)
}

/// What the stamp is read from.
enum Source {
    /// A connection of the watch's own per request thread (its `data_version` ignores its
    /// own reads; per thread, so request threads share no lock).
    Sqlite {
        url: DatabaseUrl,
        conns: Box<ThreadLocal<RefCell<Option<DbConnection>>>>,
    },
    /// The listener thread's count of notifications; stopped when the watch is dropped.
    Postgres {
        listener: Arc<Listener>,
        _stop: tokio::sync::oneshot::Sender<()>,
    },
    /// No watch could be set up: every read asks the database.
    Off,
}

pub struct ChangeWatch {
    source: Source,
    /// SQLite: the counters this thread last read and the `data_version` of this thread's
    /// watch connection they were read under (versions of different connections differ).
    last: ThreadLocal<Cell<Option<(u64, Counters)>>>,
    /// PostgreSQL: the counters last read by any thread and the listener stamp before it.
    shared: RwLock<Option<(u64, Counters)>>,
}

impl ChangeWatch {
    /// Starts watching the database at `url` (on PostgreSQL, a listener thread with a
    /// connection of its own).
    pub fn start(url: &DatabaseUrl) -> Self {
        let source = match url {
            DatabaseUrl::Sqlite(_) => Source::Sqlite {
                url: url.clone(),
                conns: Box::default(),
            },
            DatabaseUrl::Postgres(u) => {
                let listener = Arc::new(Listener::new());
                let (stop, stopped) = tokio::sync::oneshot::channel();
                let (l, u) = (listener.clone(), u.clone());
                let spawned = std::thread::Builder::new()
                    .name("finmatch-listen".into())
                    .spawn(move || listen(&u, &l, stopped));
                match spawned {
                    Ok(_) => Source::Postgres {
                        listener,
                        _stop: stop,
                    },
                    Err(e) => {
                        tracing::warn!(error = %e, "no change listener; every request reads the counters");
                        Source::Off
                    }
                }
            }
        };
        ChangeWatch {
            source,
            last: ThreadLocal::new(),
            shared: RwLock::new(None),
        }
    }

    /// A watch that never vouches for anything: every read asks the database.
    pub fn off() -> Self {
        ChangeWatch {
            source: Source::Off,
            last: ThreadLocal::new(),
            shared: RwLock::new(None),
        }
    }

    /// This thread's watch connection (SQLite), opened on first use; `None` if it cannot be.
    fn with_sqlite<T>(&self, f: impl FnOnce(&mut DbConnection) -> Option<T>) -> Option<T> {
        let Source::Sqlite { url, conns } = &self.source else {
            return None;
        };
        let cell = conns.get_or(|| RefCell::new(None));
        let mut slot = cell.try_borrow_mut().ok()?;
        if slot.is_none() {
            match DbConnection::open(url) {
                Ok(conn) => *slot = Some(conn),
                Err(e) => {
                    tracing::warn!(error = %e, "no change watch connection; reading the counters");
                    return None;
                }
            }
        }
        f(slot.as_mut()?)
    }

    /// The counters, if they can be known without reading them: from memory when nothing
    /// was committed since they were read. On SQLite that takes a `data_version` check (and
    /// a re-read on the watch's own connection if it moved); on PostgreSQL, a flush shared
    /// with every request waiting at the same time. `None`: read them with `read`.
    pub async fn known(&self) -> Option<Counters> {
        match &self.source {
            Source::Sqlite { .. } => self.with_sqlite(|conn| {
                let stamp = data_version(conn)?;
                if let Some(counters) = self.remembered(stamp) {
                    return Some(counters);
                }
                let counters = catalog::counters(conn).ok()?;
                self.remember(stamp, counters);
                Some(counters)
            }),
            Source::Postgres { listener, .. } => {
                if !listener.flushed().await {
                    return None;
                }
                self.remembered(listener.stamp()?)
            }
            Source::Off => None,
        }
    }

    /// The counters as of now, read on `conn` (outside a transaction), and remembered for
    /// `known`.
    pub fn read(&self, conn: &mut DbConnection) -> QueryResult<Counters> {
        // The stamp is taken before the read: a commit during it (or one whose notification
        // is still in flight) moves the stamp later, and the next request reads again.
        // On SQLite `known` reads the counters itself on the request thread's own watch
        // connection; this runs on a blocking thread, which should not open one too.
        let stamp = match &self.source {
            Source::Postgres { listener, .. } => listener.stamp(),
            Source::Sqlite { .. } | Source::Off => None,
        };
        let counters = catalog::counters(conn)?;
        if let Some(stamp) = stamp {
            self.remember(stamp, counters);
        }
        Ok(counters)
    }

    /// Whether the PostgreSQL listener is connected (always true on SQLite).
    pub fn is_live(&self) -> bool {
        match &self.source {
            Source::Sqlite { .. } => true,
            Source::Postgres { listener, .. } => listener.live.load(Ordering::SeqCst),
            Source::Off => false,
        }
    }

    fn remembered(&self, stamp: u64) -> Option<Counters> {
        let last = match self.source {
            Source::Sqlite { .. } => self.last.get_or_default().get(),
            _ => *self.shared.read().unwrap_or_else(|e| e.into_inner()),
        };
        match last {
            Some((s, counters)) if s == stamp => Some(counters),
            _ => None,
        }
    }

    fn remember(&self, stamp: u64, counters: Counters) {
        match &self.source {
            Source::Sqlite { .. } => self.last.get_or_default().set(Some((stamp, counters))),
            source => {
                if let Source::Postgres { listener, .. } = source {
                    *listener
                        .remembered
                        .lock()
                        .unwrap_or_else(|e| e.into_inner()) = Some(sums_of(counters));
                }
                *self.shared.write().unwrap_or_else(|e| e.into_inner()) = Some((stamp, counters));
            }
        }
    }
}

/// What the listener thread shares with readers.
pub struct Listener {
    /// Notifications received, reconnections, and counters found moved without one.
    epoch: AtomicU64,
    /// Connected and listening: only then does the epoch vouch for anything.
    live: AtomicBool,
    /// Generation of the last flush sent.
    sent: AtomicU64,
    /// Generation of the last flush answered.
    answered: tokio::sync::watch::Sender<u64>,
    /// A request waits for a flush.
    wanted: tokio::sync::Notify,
    /// The counter sums readers last remembered: the once-a-second check moves the stamp only
    /// when the database's differ from them (a change no notification announced), not after
    /// every notified change again.
    remembered: std::sync::Mutex<Option<[i64; 3]>>,
}

/// How long the listener waits for a flush or a check before it takes its connection for dead
/// and reconnects (which wakes every waiting request, `set_live`). A request waits for its
/// flush as long as the listener does: a flush is one round trip on a connection that does
/// nothing else, so a slow one means a loaded database, on which a read through the pool would
/// be no faster (and would need a free connection).
const QUERY_WAIT: Duration = Duration::from_secs(10);

impl Listener {
    fn new() -> Self {
        Listener {
            epoch: AtomicU64::new(0),
            live: AtomicBool::new(false),
            sent: AtomicU64::new(0),
            answered: tokio::sync::watch::channel(0).0,
            wanted: tokio::sync::Notify::new(),
            remembered: std::sync::Mutex::new(None),
        }
    }

    /// Moves with every notification (this instance's own writes included: their NOTIFY is
    /// committed before the writer answers, so the next request's flush counts it);
    /// `None` while not listening. Nothing process-wide moves it: several apps in one process
    /// (the tests) do not invalidate each other.
    fn stamp(&self) -> Option<u64> {
        if !self.live.load(Ordering::SeqCst) {
            return None;
        }
        Some(self.epoch.load(Ordering::SeqCst))
    }

    fn moved(&self) {
        self.epoch.fetch_add(1, Ordering::SeqCst);
    }

    /// Waits for a flush sent after this call (one already on its way may have left before
    /// this request arrived, so it does not count). False if the listener is not live or
    /// the flush takes too long.
    async fn flushed(&self) -> bool {
        if !self.live.load(Ordering::SeqCst) {
            return false;
        }
        let need = self.sent.load(Ordering::SeqCst) + 1;
        let mut answered = self.answered.subscribe();
        self.wanted.notify_one();
        let done = answered.wait_for(|g| *g >= need || !self.live.load(Ordering::SeqCst));
        // Bounded: the listener answers, or gives up on its connection after `QUERY_WAIT` and
        // wakes every waiter (the margin covers the reconnect's own wake-up).
        matches!(
            tokio::time::timeout(QUERY_WAIT + Duration::from_secs(1), done).await,
            Ok(Ok(_))
        ) && self.live.load(Ordering::SeqCst)
    }

    fn set_live(&self, live: bool) {
        self.live.store(live, Ordering::SeqCst);
        // Waiters re-check: a listener that went down answers no flush.
        self.answered.send_modify(|_| {});
    }
}

/// How often the listener moves the stamp regardless and checks its connection.
const TICK: Duration = Duration::from_secs(1);

/// The listener thread: connect, LISTEN, count notifications; on any failure mark itself not
/// live, back off and reconnect. Logs once per outage and once on recovery.
fn listen(url: &str, listener: &Arc<Listener>, mut stop: tokio::sync::oneshot::Receiver<()>) {
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            tracing::warn!(error = %e, "no change listener; every request reads the counters");
            return;
        }
    };
    runtime.block_on(async move {
        let mut backoff = MIN_BACKOFF;
        let mut outage_logged = false;
        loop {
            let mut connected = false;
            let ended = tokio::select! {
                r = session(url, listener, &mut connected, &mut outage_logged) => r,
                _ = &mut stop => return,
            };
            listener.set_live(false);
            if connected {
                backoff = MIN_BACKOFF;
            }
            if !outage_logged {
                let error = ended.err().map(|e| e.to_string()).unwrap_or_default();
                tracing::warn!(%error, "change listener is not connected; every request reads the counters until it is back");
                outage_logged = true;
            }
            tokio::select! {
                _ = tokio::time::sleep(backoff) => {}
                _ = &mut stop => return,
            }
            backoff = (backoff * 2).min(MAX_BACKOFF);
        }
    });
}

const MIN_BACKOFF: Duration = Duration::from_millis(100);
const MAX_BACKOFF: Duration = Duration::from_secs(5);

/// The counters in the order `counter_sums` reads them.
fn sums_of(c: Counters) -> [i64; 3] {
    [c.catalog.products, c.catalog.demands, c.access]
}

/// The three counters' sums (`db::catalog::counters`), on the listener's connection.
async fn counter_sums(client: &tokio_postgres::Client) -> Result<[i64; 3], tokio_postgres::Error> {
    let row = client
        .query_one(
            "SELECT COALESCE(SUM(products_version), 0)::int8, \
             COALESCE(SUM(demands_version), 0)::int8, COALESCE(SUM(access_version), 0)::int8 \
             FROM catalog_shards",
            &[],
        )
        .await?;
    Ok([row.get(0), row.get(1), row.get(2)])
}

/// One connection's life: returns when it fails.
async fn session(
    url: &str,
    listener: &Arc<Listener>,
    connected: &mut bool,
    outage_logged: &mut bool,
) -> Result<(), tokio_postgres::Error> {
    let (client, mut connection) = tokio_postgres::connect(url, tokio_postgres::NoTls).await?;
    // The driver counts a notification as it reads it, before the messages after it (such
    // as a flush's answer) reach the client.
    let counting = listener.clone();
    let driver = tokio::spawn(async move {
        while let Some(message) = std::future::poll_fn(|cx| connection.poll_message(cx)).await {
            if let tokio_postgres::AsyncMessage::Notification(_) = message? {
                counting.moved();
            }
        }
        Ok::<(), tokio_postgres::Error>(())
    });
    let channel: String = client
        .query_one(&format!("SELECT {CHANNEL}"), &[])
        .await?
        .get(0);
    client
        .batch_execute(&format!("LISTEN \"{channel}\""))
        .await?;
    // The sums the once-a-second check compares with: read after LISTEN, so a change after
    // them is either notified or seen by the check.
    let mut sums = counter_sums(&client).await?;
    // Anything committed while not listening is read again by the next request.
    listener.moved();
    listener.set_live(true);
    *connected = true;
    if std::mem::take(outage_logged) {
        tracing::info!("change listener is connected again");
    }
    let mut tick = tokio::time::interval(TICK);
    let result = loop {
        // A flush when a request waits; once a second, the counters themselves, which is a
        // flush too and also catches a change whose notification was lost (its writer died
        // between commit and NOTIFY) and a connection that silently went away.
        let check = tokio::select! {
            _ = listener.wanted.notified() => false,
            _ = tick.tick() => true,
        };
        let generation = listener.sent.fetch_add(1, Ordering::SeqCst) + 1;
        // PostgreSQL sends pending notifications before it reads a query.
        let flushed = if check {
            tokio::time::timeout(QUERY_WAIT, counter_sums(&client))
                .await
                .map(|r| {
                    r.map(|now| {
                        let remembered = *listener
                            .remembered
                            .lock()
                            .unwrap_or_else(|e| e.into_inner());
                        if now != sums && remembered.is_some_and(|r| r != now) {
                            listener.moved();
                        }
                        sums = now;
                    })
                })
        } else {
            tokio::time::timeout(QUERY_WAIT, client.simple_query(""))
                .await
                .map(|r| r.map(|_| ()))
        };
        match flushed {
            Ok(Ok(())) => {
                listener.answered.send_replace(generation);
            }
            Ok(Err(e)) => break Err(e),
            Err(_) => break Ok(()),
        }
    };
    listener.set_live(false);
    driver.abort();
    result
}
