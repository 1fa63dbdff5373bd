//! The SQLite store: one writer thread with group commit, WAL, embedded migrations, and read
//! connections for queries. Schema: docs/schema.md.

mod arrival;
mod attempts;
mod changes;
mod checkpoint;
mod connection;
mod deliveries;
mod downtime;
mod errors;
mod events;
mod file_watch;
mod forwards;
mod identity;
mod ledger;
mod migrate;
mod queries;
mod recovery;
mod retention;
mod row_change;
mod text_index;
mod tunnel;
mod user_index;
mod user_text;
mod users;
mod writer;

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread::JoinHandle;
use std::time::Duration;

use rusqlite::Connection;
use tokio::sync::{mpsc, oneshot};

pub use changes::{CHANGES_KEPT, ChangeBatch, MAX_CHANGES_PER_BATCH, changes_since, latest_change};
pub use connection::{BUSY_TIMEOUT, Synchronous};
pub use deliveries::DeliveryAttempt;
pub use downtime::{Downtime, last_downtime};
pub use errors::StoreError;
pub use events::{
    EventDetail, EventFilter, EventPage, EventSummary, OUTCOME_FILTERS, SYNC_FILTERS, get_event,
    list_events, replays_of,
};
pub use forwards::{FORWARD_BODY_KEPT, Forward, app_advice, forward_of};
pub use identity::APPLICATION_ID;
pub(crate) use ledger::Ledger;
pub use ledger::{NewEvent, Recorded};
pub use migrate::SCHEMA_VERSION;
pub use retention::{MIN_AGE_DAYS, MIN_EVENTS, MIN_SIZE_MB, Retention, used_bytes};
pub use row_change::RowChange;
pub use tunnel::{
    TUNNEL_STATES_KEPT, TunnelStateRow, latest_tunnel_state, list_tunnel_states,
    record_tunnel_state,
};
pub use users::{
    MISSING_COUNTED, SessionRow, UserCounts, UserDetail, UserPage, UserQuery, UserRow, UserSort,
    count_users, get_user, list_users,
};

use crate::alarm::AlarmSink;
use writer::{Job, WriterParts};

/// The engine's rules, run by the writer inside each transaction for each request.
pub(crate) type Settle = fn(&Ledger<'_>, &NewEvent) -> rusqlite::Result<Recorded>;

/// How the store is opened.
#[derive(Debug, Clone, Copy)]
pub struct StoreOptions {
    /// The writer's `synchronous`.
    pub synchronous: Synchronous,
    /// How long the writer waits for a lock held elsewhere.
    pub busy_timeout: Duration,
    /// What the database keeps.
    pub retention: Retention,
}

impl Default for StoreOptions {
    fn default() -> Self {
        Self {
            synchronous: Synchronous::Normal,
            busy_timeout: BUSY_TIMEOUT,
            // No pruning unless asked: the runtime passes the settings' policy; a CLI command
            // that opens the store for one write (replay) must not prune by a default.
            retention: Retention::OFF,
        }
    }
}

/// A cheap, cloneable handle on the store.
#[derive(Clone)]
pub struct Store {
    inner: Arc<Inner>,
}

struct Inner {
    path: PathBuf,
    jobs: mpsc::Sender<Job>,
    writer: Mutex<Option<JoinHandle<()>>>,
    /// Raised when the writer thread ended without being closed.
    writer_stopped: Arc<AtomicBool>,
    /// Idle read connections, reused by queries.
    readers: Mutex<Vec<Connection>>,
    /// The retention policy the writer prunes by.
    retention: retention::Shared,
}

/// Idle read connections kept for reuse.
const IDLE_READERS: usize = 4;

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store")
            .field("path", &self.inner.path)
            .finish()
    }
}

impl Store {
    /// Opens (creating and migrating as needed) the database and starts the writer, which
    /// runs `settle` for each recorded request and raises failures through `alarm`.
    pub(crate) fn open(
        path: &Path,
        options: StoreOptions,
        settle: Settle,
        alarm: AlarmSink,
    ) -> Result<Self, StoreError> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|e| StoreError::CreateDir {
                path: path.to_owned(),
                source: Arc::new(e),
            })?;
        }
        identity::check_before_open(path)?;
        let open_err = |e: rusqlite::Error| StoreError::open(path, e);
        let mut conn = connection::open_writer(path, options.synchronous, options.busy_timeout)
            .map_err(open_err)?;
        migrate::migrate(&mut conn, path)?;
        user_index::catch_up(&conn).map_err(open_err)?;
        // Bounds the bodies waiting for the writer (at most 1 MiB each).
        let (jobs, rx) = mpsc::channel(1024);
        let writer_stopped = Arc::new(AtomicBool::new(false));
        let retention = Arc::new(Mutex::new(options.retention));
        let parts = WriterParts {
            path: path.to_owned(),
            settle,
            alarm,
            stopped: Arc::clone(&writer_stopped),
            retention: Arc::clone(&retention),
        };
        let writer = writer::spawn_writer(conn, rx, parts).map_err(|e| StoreError::Open {
            path: path.to_owned(),
            source: Arc::new(e),
        })?;
        Ok(Self {
            inner: Arc::new(Inner {
                path: path.to_owned(),
                jobs,
                writer: Mutex::new(Some(writer)),
                writer_stopped,
                readers: Mutex::new(Vec::new()),
                retention,
            }),
        })
    }

    /// Sets what the database keeps; the writer prunes to it as soon as it is free.
    pub fn set_retention(&self, retention: Retention) {
        *self
            .inner
            .retention
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = retention;
        self.prune_soon();
    }

    /// The retention policy in force.
    pub fn retention(&self) -> Retention {
        *self
            .inner
            .retention
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    /// Asks the writer for a pruning pass (skipped when its queue is full: it is busy, and
    /// passes also run every few seconds while events arrive).
    pub(crate) fn prune_soon(&self) {
        let _ = self.inner.jobs.try_send(Job::Prune);
    }

    /// Replaces the set of pinned events (the app's pins; retention keeps them).
    pub async fn set_pins(&self, ids: Vec<i64>) -> Result<(), StoreError> {
        self.write_aside(move |conn| {
            connection::immediate(conn, || {
                conn.execute_batch("DELETE FROM pins")?;
                let mut stmt =
                    conn.prepare_cached("INSERT OR IGNORE INTO pins (event_id) VALUES (?1)")?;
                for id in &ids {
                    stmt.execute([id])?;
                }
                Ok(())
            })
        })
        .await?;
        // An unpinned event may be prunable again.
        self.prune_soon();
        Ok(())
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.inner.path
    }

    /// Commits one judged request; returns after the commit.
    pub(crate) async fn record(&self, event: NewEvent) -> Result<Recorded, StoreError> {
        let closed = || self.closed_error();
        let (reply, answer) = oneshot::channel();
        self.inner
            .jobs
            .send(Job::Record(Box::new(event), reply))
            .await
            .map_err(|_| closed())?;
        let (result, event) = answer.await.map_err(|_| closed())?;
        drop(event);
        result
    }

    /// Whether the writer thread ended without being closed (it died).
    pub fn writer_stopped(&self) -> bool {
        self.inner.writer_stopped.load(Ordering::Acquire)
    }

    fn closed_error(&self) -> StoreError {
        if self.writer_stopped() {
            StoreError::WriterStopped
        } else {
            StoreError::Closed
        }
    }

    /// Runs a query on a pooled read connection off the async threads.
    pub(crate) async fn read<T, F>(&self, query: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> rusqlite::Result<T> + Send + 'static,
    {
        let store = self.clone();
        tokio::task::spawn_blocking(move || {
            let conn = match store.take_reader() {
                Some(conn) => conn,
                None => connection::open_reader(store.path())?,
            };
            let result = query(&conn).map_err(StoreError::from);
            store.put_reader(conn);
            result
        })
        .await
        .map_err(|e| StoreError::Task(e.to_string()))?
    }

    /// Runs a rare write that is not an event (a tunnel state) on a read connection, outside
    /// the event writer's batches; SQLite's lock orders it with them.
    pub(crate) async fn write_aside<T, F>(&self, write: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> rusqlite::Result<T> + Send + 'static,
    {
        self.read(write).await
    }

    fn take_reader(&self) -> Option<Connection> {
        self.inner
            .readers
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .pop()
    }

    fn put_reader(&self, conn: Connection) {
        let mut idle = self
            .inner
            .readers
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if idle.len() < IDLE_READERS && conn.is_autocommit() {
            idle.push(conn);
        }
    }

    /// Finishes pending writes, checkpoints the WAL and stops the writer.
    pub async fn close(&self) {
        let (done, finished) = oneshot::channel();
        if self.inner.jobs.send(Job::Close(done)).await.is_ok() {
            let _ = finished.await;
        }
        self.inner
            .readers
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clear();
        let handle = self.inner.writer.lock().ok().and_then(|mut w| w.take());
        if let Some(handle) = handle {
            let _ = tokio::task::spawn_blocking(move || handle.join()).await;
        }
    }
}

/// Opens an existing database for queries (the CLI's read commands); never creates one.
pub fn open_for_reading(path: &Path) -> Result<Connection, StoreError> {
    if !path.exists() {
        return Err(StoreError::NotFound(path.to_owned()));
    }
    identity::check_identity(path)?;
    let conn = connection::open_reader(path).map_err(|e| StoreError::open(path, e))?;
    let found: i64 = conn.pragma_query_value(None, "user_version", |r| r.get(0))?;
    let found = usize::try_from(found).unwrap_or(usize::MAX);
    if found > SCHEMA_VERSION {
        return Err(StoreError::NewerDatabase {
            found,
            supported: SCHEMA_VERSION,
        });
    }
    if found == 0 {
        return Err(StoreError::NotFound(path.to_owned()));
    }
    Ok(conn)
}
