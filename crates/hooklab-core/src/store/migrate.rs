//! Embedded, numbered schema migrations, each in its own transaction; a database written by a
//! newer Hooklab is refused rather than misread.

use std::path::Path;

use rusqlite::{Connection, TransactionBehavior};

use super::StoreError;
use super::identity::APPLICATION_ID;

/// The migrations, in order; `PRAGMA user_version` counts how many are applied.
const MIGRATIONS: &[&str] = &[
    include_str!("../../migrations/0001_init.sql"),
    include_str!("../../migrations/0002_tunnel.sql"),
    include_str!("../../migrations/0003_changes.sql"),
    include_str!("../../migrations/0004_redeliveries.sql"),
    include_str!("../../migrations/0005_pins.sql"),
    include_str!("../../migrations/0006_outcome_indexes.sql"),
    include_str!("../../migrations/0007_event_text.sql"),
    include_str!("../../migrations/0008_user_text.sql"),
    include_str!("../../migrations/0009_forwards.sql"),
    include_str!("../../migrations/0010_event_types.sql"),
    include_str!("../../migrations/0011_early_sign_ins_kept_until_the_user.sql"),
];

/// The schema version this build writes.
pub const SCHEMA_VERSION: usize = MIGRATIONS.len();

/// Creates the whole schema on an empty scratch connection (an in-memory database).
pub(crate) fn create_schema(conn: &Connection) -> rusqlite::Result<()> {
    MIGRATIONS
        .iter()
        .try_for_each(|sql| conn.execute_batch(sql))
}

/// Applies every migration the database lacks, and marks it as Hooklab's.
pub(crate) fn migrate(conn: &mut Connection, path: &Path) -> Result<(), StoreError> {
    loop {
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let found: i64 = tx.pragma_query_value(None, "user_version", |r| r.get(0))?;
        let found = usize::try_from(found).unwrap_or(usize::MAX);
        if found > SCHEMA_VERSION {
            return Err(StoreError::NewerDatabase {
                found,
                supported: SCHEMA_VERSION,
            });
        }
        let Some(sql) = MIGRATIONS.get(found) else {
            if tx.pragma_query_value(None, "application_id", |r| r.get::<_, i32>(0))?
                != APPLICATION_ID
            {
                tx.pragma_update(None, "application_id", APPLICATION_ID)?;
                tx.commit()?;
            }
            return Ok(());
        };
        tx.execute_batch(sql).map_err(|e| StoreError::Migration {
            path: path.to_owned(),
            version: found + 1,
            message: without_sql(&e),
        })?;
        tx.pragma_update(
            None,
            "user_version",
            i64::try_from(found + 1).unwrap_or(i64::MAX),
        )?;
        tx.commit()?;
    }
}

/// SQLite's message for a failed migration, without the SQL text rusqlite attaches to it.
fn without_sql(e: &rusqlite::Error) -> String {
    match e {
        rusqlite::Error::SqliteFailure(err, Some(message)) => format!("{message} ({err})"),
        rusqlite::Error::SqlInputError { msg, .. } => msg.clone(),
        other => other.to_string(),
    }
}
