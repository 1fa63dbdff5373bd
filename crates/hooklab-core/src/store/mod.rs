//! The SQLite store: one writer thread with group commit, WAL, embedded migrations, and read
//! connections for queries. Schema: docs/schema.md.

mod checkpoint;
mod connection;
mod events;
mod migrate;
mod record;
mod tunnel;
mod user_index;
mod users;
mod writer;

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

use rusqlite::Connection;
use tokio::sync::{broadcast, mpsc, oneshot};

pub use connection::{BUSY_TIMEOUT, Synchronous};
pub use events::{EventDetail, EventFilter, EventPage, EventSummary, get_event, list_events};
pub use migrate::SCHEMA_VERSION;
pub use record::{NewEvent, Recorded};
pub use tunnel::{TUNNEL_STATES_KEPT, TunnelStateRow, list_tunnel_states, record_tunnel_state};
pub use users::{SessionRow, UserDetail, UserPage, UserRow, count_users, get_user, list_users};

use crate::bus::BusEvent;
use writer::Job;

/// What can go wrong in the store.
#[derive(Debug, Clone, thiserror::Error)]
pub enum StoreError {
    /// The database's directory could not be created.
    #[error("cannot create the directory for {path}: {message}")]
    CreateDir {
        /// The database path.
        path: PathBuf,
        /// The OS error.
        message: String,
    },
    /// There is no database file yet.
    #[error("no Hooklab database at {0}")]
    NotFound(PathBuf),
    /// The database file could not be opened or migrated.
    #[error("cannot open the database {path}: {message}")]
    Open {
        /// The database path.
        path: PathBuf,
        /// SQLite's error.
        message: String,
    },
    /// The database was written by a newer Hooklab.
    #[error(
        "the database has schema version {found}, but this Hooklab knows only up to {supported}: it was written by a newer version"
    )]
    NewerDatabase {
        /// The version in the file.
        found: usize,
        /// The newest version this build knows.
        supported: usize,
    },
    /// Another connection held the write lock past the busy timeout.
    #[error("the database is locked by another process: {0}")]
    Busy(String),
    /// A write failed.
    #[error("the database write failed: {0}")]
    Write(String),
    /// A query failed.
    #[error("the database query failed: {0}")]
    Query(String),
    /// The store was closed.
    #[error("the store is closed")]
    Closed,
}

impl StoreError {
    pub(crate) fn from_write(e: &rusqlite::Error) -> Self {
        if is_busy(e) {
            Self::Busy(e.to_string())
        } else {
            Self::Write(e.to_string())
        }
    }

    /// A passing condition: retrying later may succeed.
    pub fn is_transient(&self) -> bool {
        matches!(self, Self::Busy(_) | Self::Closed)
    }

    /// What the user can do about it.
    pub fn hint(&self) -> Option<&'static str> {
        match self {
            Self::NotFound(_) => {
                Some("Start the receiver first (`hooklab serve`), or pass the right --db path.")
            }
            Self::NewerDatabase { .. } => {
                Some("Upgrade Hooklab, or point --db at another database file.")
            }
            Self::Busy(_) => Some(
                "Another program holds a write lock on the database; close it or use another --db.",
            ),
            _ => None,
        }
    }
}

impl From<rusqlite::Error> for StoreError {
    fn from(e: rusqlite::Error) -> Self {
        if is_busy(&e) {
            Self::Busy(e.to_string())
        } else {
            Self::Query(e.to_string())
        }
    }
}

fn is_busy(e: &rusqlite::Error) -> bool {
    matches!(
        e.sqlite_error_code(),
        Some(rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked)
    )
}

/// How the store is opened.
#[derive(Debug, Clone, Copy)]
pub struct StoreOptions {
    /// The writer's `synchronous`.
    pub synchronous: Synchronous,
    /// How long the writer waits for a lock held elsewhere.
    pub busy_timeout: Duration,
}

impl Default for StoreOptions {
    fn default() -> Self {
        Self {
            synchronous: Synchronous::Normal,
            busy_timeout: BUSY_TIMEOUT,
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
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store")
            .field("path", &self.inner.path)
            .finish()
    }
}

impl Store {
    /// Opens (creating and migrating as needed) the database and starts the writer.
    pub fn open(
        path: &Path,
        options: StoreOptions,
        bus: broadcast::Sender<BusEvent>,
    ) -> Result<Self, StoreError> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|e| StoreError::CreateDir {
                path: path.to_owned(),
                message: e.to_string(),
            })?;
        }
        let open_err = |e: rusqlite::Error| StoreError::Open {
            path: path.to_owned(),
            message: e.to_string(),
        };
        let mut conn = connection::open_writer(path, options.synchronous, options.busy_timeout)
            .map_err(open_err)?;
        migrate::migrate(&mut conn)?;
        user_index::catch_up(&conn).map_err(open_err)?;
        // Bounds the bodies waiting for the writer (at most 1 MiB each).
        let (jobs, rx) = mpsc::channel(1024);
        let writer =
            writer::spawn_writer(conn, path.to_owned(), rx, bus).map_err(|e| StoreError::Open {
                path: path.to_owned(),
                message: e.to_string(),
            })?;
        Ok(Self {
            inner: Arc::new(Inner {
                path: path.to_owned(),
                jobs,
                writer: Mutex::new(Some(writer)),
            }),
        })
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.inner.path
    }

    /// Commits one judged request; returns after the commit.
    pub async fn record(&self, event: NewEvent) -> Result<Recorded, StoreError> {
        let (reply, answer) = oneshot::channel();
        self.inner
            .jobs
            .send(Job::Record(Box::new(event), reply))
            .await
            .map_err(|_| StoreError::Closed)?;
        let (result, event) = answer.await.map_err(|_| StoreError::Closed)?;
        drop(event);
        result
    }

    /// Runs a query on a fresh read connection off the async threads.
    pub async fn read<T, F>(&self, query: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> rusqlite::Result<T> + Send + 'static,
    {
        self.on_own_connection(query).await
    }

    /// Runs a rare write that is not an event (a tunnel state) on its own connection, outside
    /// the event writer's batches; SQLite's lock orders it with them.
    pub async fn write_aside<T, F>(&self, write: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> rusqlite::Result<T> + Send + 'static,
    {
        self.on_own_connection(write).await
    }

    async fn on_own_connection<T, F>(&self, query: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> rusqlite::Result<T> + Send + 'static,
    {
        let path = self.inner.path.clone();
        tokio::task::spawn_blocking(move || {
            let conn = connection::open_reader(&path)?;
            query(&conn).map_err(StoreError::from)
        })
        .await
        .map_err(|e| StoreError::Query(e.to_string()))?
    }

    /// Finishes pending writes, checkpoints the WAL and stops the writer.
    pub async fn close(&self) {
        let (done, finished) = oneshot::channel();
        if self.inner.jobs.send(Job::Close(done)).await.is_ok() {
            let _ = finished.await;
        }
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
    let conn = connection::open_reader(path).map_err(|e| StoreError::Open {
        path: path.to_owned(),
        message: e.to_string(),
    })?;
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
