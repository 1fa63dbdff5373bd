//! Opening SQLite connections with the pragmas every Hooklab connection needs, and the one way
//! to run work in a write transaction outside the writer's batches.

use std::path::Path;
use std::time::Duration;

use rusqlite::{Connection, OpenFlags};
use serde::{Deserialize, Serialize};

/// SQLite's `synchronous` setting for the writer.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "lowercase")]
pub enum Synchronous {
    /// WAL + NORMAL: a commit survives a process crash (kill -9), not a power cut.
    #[default]
    Normal,
    /// WAL + FULL: every commit is fsynced; also survives a power cut.
    Full,
}

impl Synchronous {
    /// The pragma value.
    pub fn pragma(self) -> &'static str {
        match self {
            Self::Normal => "NORMAL",
            Self::Full => "FULL",
        }
    }
}

impl std::str::FromStr for Synchronous {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "normal" => Ok(Self::Normal),
            "full" => Ok(Self::Full),
            other => Err(format!(
                "synchronous must be `normal` or `full`, not `{other}`"
            )),
        }
    }
}

/// How long a connection waits for a lock held by another connection or process.
pub const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// Prepared statements kept per connection.
const STATEMENT_CACHE: usize = 64;

/// The page size of new databases. Each event dirties a few pages at random places (its
/// user's and session's rows, its delivery by svix-id), and every dirty page is written whole
/// to the WAL: 2 KB pages halve that, while an event row (about 2.8 KB) spills into one
/// overflow page. Measured against 4 KB (in-process bench, 100,000 events, 3 rounds,
/// interleaved): 8–25% more events/s, database 296 → 250 MB, the longest pause 150 → 95 ms;
/// 1 KB pages were slower than 2 KB, 8 KB ones slower than 4 KB (decision 32).
const PAGE_SIZE: i64 = 2048;

/// Opens the connection the writer owns.
pub(crate) fn open_writer(
    path: &Path,
    synchronous: Synchronous,
    busy_timeout: Duration,
) -> rusqlite::Result<Connection> {
    let conn = Connection::open(path)?;
    conn.busy_timeout(busy_timeout)?;
    // The writer runs a few dozen distinct statements; rusqlite's default cache holds 16, and a
    // miss re-parses the SQL on every call (measured: +20% CPU per event).
    conn.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
    // Only a new file takes it (before WAL mode writes the header); existing ones keep theirs.
    conn.pragma_update(None, "page_size", PAGE_SIZE)?;
    let mode: String = conn.pragma_update_and_check(None, "journal_mode", "WAL", |r| r.get(0))?;
    if !mode.eq_ignore_ascii_case("wal") {
        return Err(rusqlite::Error::InvalidParameterName(format!(
            "journal_mode is {mode}, WAL is required"
        )));
    }
    conn.pragma_update(None, "synchronous", synchronous.pragma())?;
    // Checkpoints run on their own thread (see checkpoint.rs), never inside a commit.
    conn.pragma_update(None, "wal_autocheckpoint", 0)?;
    conn.pragma_update(None, "journal_size_limit", 64 * 1024 * 1024)?;
    conn.pragma_update(None, "cache_size", -5120)?;
    conn.pragma_update(None, "temp_store", "MEMORY")?;
    Ok(conn)
}

/// Opens a connection for the checkpointer or for reading.
pub(crate) fn open_reader(path: &Path) -> rusqlite::Result<Connection> {
    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    conn.busy_timeout(BUSY_TIMEOUT)?;
    conn.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
    conn.pragma_update(None, "cache_size", -2048)?;
    Ok(conn)
}

/// Runs `work` in one `BEGIN IMMEDIATE` transaction: committed when it succeeds, rolled back
/// otherwise (a failed COMMIT included), so the connection is never left inside one.
pub(crate) fn immediate<T>(
    conn: &Connection,
    work: impl FnOnce() -> rusqlite::Result<T>,
) -> rusqlite::Result<T> {
    conn.execute_batch("BEGIN IMMEDIATE")?;
    let done = work().and_then(|value| conn.execute_batch("COMMIT").map(|()| value));
    if done.is_err() && !conn.is_autocommit() {
        let _ = conn.execute_batch("ROLLBACK");
    }
    done
}
