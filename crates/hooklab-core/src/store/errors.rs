//! What can go wrong in the store, each with a stable code and, where there is one, what the
//! user can do; SQLite's and the OS's errors stay attached as the source.

use std::path::{Path, PathBuf};
use std::sync::Arc;

type Source = Arc<dyn std::error::Error + Send + Sync>;

/// What can go wrong in the store. Cloneable (one failed batch answers every request in it),
/// so sources are shared.
#[derive(Debug, Clone, thiserror::Error)]
pub enum StoreError {
    /// The database's directory could not be created.
    #[error("cannot create the directory for {path}: {source}")]
    CreateDir {
        /// The database path.
        path: PathBuf,
        /// The OS error.
        source: Source,
    },
    /// There is no database file yet.
    #[error("no Hooklab database at {0}")]
    NotFound(PathBuf),
    /// The database file could not be opened or migrated.
    #[error("cannot open the database {path}: {source}")]
    Open {
        /// The database path.
        path: PathBuf,
        /// SQLite's (or the OS's) error.
        source: Source,
    },
    /// The file is not a Hooklab database; it was not touched.
    #[error("{path} is not a Hooklab database: {detail}; it was left untouched")]
    NotHooklab {
        /// The path.
        path: PathBuf,
        /// What it is instead.
        detail: String,
    },
    /// The database file is gone but its write-ahead log is still there.
    #[error(
        "the database {path} is missing, but its write-ahead log {wal} is still there: a new database would lose the events in it"
    )]
    OrphanedWal {
        /// The database path.
        path: PathBuf,
        /// The `-wal` file.
        wal: PathBuf,
    },
    /// A schema migration failed.
    #[error("cannot upgrade the database {path} to schema version {version}: {message}")]
    Migration {
        /// The database path.
        path: PathBuf,
        /// The version it was being upgraded to.
        version: usize,
        /// SQLite's message (without the migration's SQL).
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
    Busy(Arc<rusqlite::Error>),
    /// A write failed.
    #[error("the database write failed: {0}")]
    Write(Arc<rusqlite::Error>),
    /// A query failed.
    #[error("the database query failed: {0}")]
    Query(Arc<rusqlite::Error>),
    /// A query's worker task failed.
    #[error("the database query did not finish: {0}")]
    Task(String),
    /// The store was closed.
    #[error("the store is closed")]
    Closed,
    /// The database file was deleted or replaced while open: nothing is acknowledged.
    #[error("the database file {0} was deleted or replaced while Hooklab was running")]
    FileGone(PathBuf),
    /// The writer thread ended without being closed: nothing can be stored.
    #[error("the database writer has stopped; nothing can be stored until Hooklab restarts")]
    WriterStopped,
}

impl StoreError {
    pub(crate) fn open(path: &Path, e: rusqlite::Error) -> Self {
        Self::Open {
            path: path.to_owned(),
            source: Arc::new(e),
        }
    }

    pub(crate) fn from_write(e: rusqlite::Error) -> Self {
        if is_busy(&e) {
            Self::Busy(Arc::new(e))
        } else {
            Self::Write(Arc::new(e))
        }
    }

    /// A passing condition: retrying later may succeed.
    pub fn is_transient(&self) -> bool {
        matches!(self, Self::Busy(_) | Self::Closed | Self::FileGone(_))
    }

    /// A stable code the UI branches on.
    pub fn code(&self) -> &'static str {
        match self {
            Self::CreateDir { .. } => "db_dir_unwritable",
            Self::NotFound(_) => "db_not_found",
            Self::Open { .. } => "db_open_failed",
            Self::NewerDatabase { .. } => "db_newer_version",
            Self::NotHooklab { .. } => "db_not_hooklab",
            Self::OrphanedWal { .. } => "db_file_missing",
            Self::Migration { .. } => "db_migration_failed",
            Self::Busy(_) => "db_busy",
            Self::Write(_) => "db_write_failed",
            Self::Query(_) | Self::Task(_) => "db_query_failed",
            Self::Closed => "db_closed",
            Self::WriterStopped => "db_writer_stopped",
            Self::FileGone(_) => "db_file_gone",
        }
    }

    /// What the user can do about it.
    pub fn hint(&self) -> Option<&'static str> {
        match self {
            Self::CreateDir { .. } => Some(
                "Choose a database location in a folder you can write to (--db or HOOKLAB_DB).",
            ),
            Self::NotFound(_) => {
                Some("Start the receiver first (`hooklab serve`), or pass the right --db path.")
            }
            Self::Open { .. } => Some(
                "Check that the file is a Hooklab database and that its folder is writable; \
                 pass another --db to start fresh.",
            ),
            Self::NewerDatabase { .. } => {
                Some("Upgrade Hooklab, or point --db at another database file.")
            }
            Self::NotHooklab { .. } => {
                Some("Point --db (or HOOKLAB_DB) at a new file or at a Hooklab database.")
            }
            Self::OrphanedWal { .. } => Some(
                "Put the database file back (a process that still has it open can copy it out \
                 of /proc/<pid>/fd/), or move the -wal file away to start with an empty database.",
            ),
            Self::Migration { .. } => Some(
                "Check free disk space and that the file is writable; keep a copy of the file \
                 and report the message if it persists.",
            ),
            Self::Busy(_) => Some(
                "Another program holds a write lock on the database; close it or use another --db.",
            ),
            Self::Write(_) => Some("Check free disk space; the log file has the details."),
            Self::WriterStopped => Some("Restart Hooklab; the log file has the cause."),
            Self::FileGone(_) => Some(
                "Restart Hooklab; copy the old file out of /proc/<pid>/fd/ first if you need \
                 the events in it.",
            ),
            Self::Query(_) | Self::Task(_) | Self::Closed => None,
        }
    }
}

impl From<rusqlite::Error> for StoreError {
    fn from(e: rusqlite::Error) -> Self {
        if is_busy(&e) {
            Self::Busy(Arc::new(e))
        } else {
            Self::Query(Arc::new(e))
        }
    }
}

fn is_busy(e: &rusqlite::Error) -> bool {
    matches!(
        e.sqlite_error_code(),
        Some(rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked)
    )
}
