//! Which file Hooklab may open as its database: its own (marked with `PRAGMA application_id`),
//! one from before the mark (a schema version and an `events` table), or an empty or missing
//! one. Anything else is refused before it is touched (no tables added, no switch to WAL), and
//! a write-ahead log whose database file is gone is refused instead of starting afresh next to
//! it (its events would be lost).

use std::path::{Path, PathBuf};

use rusqlite::{Connection, OpenFlags};

use super::StoreError;

/// `PRAGMA application_id` of a Hooklab database: "Hook" in ASCII.
pub const APPLICATION_ID: i32 = 0x486F_6F6B;

/// Checks `path` before the writer opens (and may create or convert) it.
pub(crate) fn check_before_open(path: &Path) -> Result<(), StoreError> {
    if !path.exists() {
        let wal = sibling(path, "-wal");
        if std::fs::metadata(&wal).is_ok_and(|m| m.len() > 0) {
            return Err(StoreError::OrphanedWal {
                path: path.to_owned(),
                wal,
            });
        }
        return Ok(());
    }
    check_identity(path)
}

/// Refuses an existing file that is not a Hooklab database (checked read-only).
pub(crate) fn check_identity(path: &Path) -> Result<(), StoreError> {
    let not_ours = |detail: String| StoreError::NotHooklab {
        path: path.to_owned(),
        detail,
    };
    if path.is_dir() {
        return Err(not_ours(format!(
            "it is a folder; name a file, such as {}",
            path.join("hooklab.db").display()
        )));
    }
    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(|e| StoreError::open(path, e))?;
    let facts = conn.query_row(
        "SELECT (SELECT application_id FROM pragma_application_id), \
                (SELECT user_version FROM pragma_user_version), \
                (SELECT count(*) FROM sqlite_master), \
                (SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'events')",
        [],
        |r| {
            Ok((
                r.get::<_, i32>(0)?,
                r.get::<_, i64>(1)?,
                r.get::<_, i64>(2)?,
                r.get::<_, i64>(3)?,
            ))
        },
    );
    let (app_id, version, objects, events) = match facts {
        Ok(facts) => facts,
        // "file is not a database": a text file, an image, an encrypted database.
        Err(e) if e.sqlite_error_code() == Some(rusqlite::ErrorCode::NotADatabase) => {
            return Err(not_ours("it is not an SQLite database".into()));
        }
        Err(e) => return Err(StoreError::open(path, e)),
    };
    match (app_id, version, objects, events) {
        (APPLICATION_ID, ..) | (0, _, 0, _) => Ok(()),
        // Written by Hooklab before databases were marked.
        (0, 1.., _, 1) => Ok(()),
        (0, ..) => Err(not_ours(format!(
            "it is another application's SQLite database ({objects} tables, indexes or views, none of them Hooklab's)"
        ))),
        (other, ..) => Err(not_ours(format!(
            "it belongs to another application (application_id {other:#010x})"
        ))),
    }
}

fn sibling(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(suffix);
    PathBuf::from(name)
}
