//! Hooklab opens only its own databases: another application's SQLite file is refused before it
//! is touched (no tables added, no switch to WAL), a write-ahead log whose database file is
//! gone is refused instead of starting an empty database next to it, and new databases carry
//! Hooklab's `application_id` and 2 KB pages while older ones keep theirs.

#![allow(clippy::expect_used, clippy::unwrap_used)]

mod common;

use common::{SECRET, capture_of, fixture, now_ms, secret, signed, user_of};
use hooklab_core::store::{APPLICATION_ID, StoreError, open_for_reading};
use hooklab_core::{Engine, EngineConfig};
use rusqlite::Connection;

fn start(path: &std::path::Path) -> Result<Engine, StoreError> {
    let mut config = EngineConfig::new(path.to_owned());
    config.secrets = vec![secret(SECRET)];
    Engine::start(config)
}

/// `PRAGMA name` of the file at `path`, read through a connection of its own.
fn pragma<T: rusqlite::types::FromSql>(path: &std::path::Path, name: &str) -> T {
    Connection::open(path)
        .unwrap()
        .query_row(&format!("PRAGMA {name}"), [], |r| r.get(0))
        .unwrap()
}

#[test]
fn another_applications_database_is_refused_and_left_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("notes.db");
    let other = Connection::open(&path).unwrap();
    other
        .execute_batch("CREATE TABLE notes (id INTEGER PRIMARY KEY, text TEXT); INSERT INTO notes (text) VALUES ('keep me');")
        .unwrap();
    drop(other);

    let err = start(&path).expect_err("a foreign database was opened");
    assert_eq!(err.code(), "db_not_hooklab", "{err}");
    assert!(err.to_string().contains("left untouched"), "{err}");
    assert_eq!(
        pragma::<String>(&path, "journal_mode"),
        "delete",
        "converted to WAL"
    );
    let tables: i64 = Connection::open(&path)
        .unwrap()
        .query_row(
            "SELECT count(*) FROM sqlite_master WHERE name = 'events'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(tables, 0, "Hooklab's tables were added");
    assert_eq!(
        open_for_reading(&path).expect_err("read too").code(),
        "db_not_hooklab"
    );

    let text = dir.path().join("readme.txt");
    std::fs::write(
        &text,
        "not a database at all, just some text that is long enough",
    )
    .unwrap();
    assert_eq!(
        start(&text).expect_err("text file").code(),
        "db_not_hooklab"
    );
}

#[test]
fn a_wal_without_its_database_is_refused_instead_of_starting_afresh() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("hooklab.db");
    std::fs::write(dir.path().join("hooklab.db-wal"), vec![1u8; 4096]).unwrap();

    let err = start(&path).expect_err("started next to an orphaned WAL");
    assert_eq!(err.code(), "db_file_missing", "{err}");
    assert!(err.hint().unwrap_or_default().contains("-wal"), "{err}");
    assert!(!path.exists(), "a new, empty database was created");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn new_databases_are_marked_and_reopen() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("hooklab.db");
    let engine = start(&path).expect("a new database");
    engine.store().close().await;
    let id: i32 = pragma(&path, "application_id");
    assert_eq!(id, APPLICATION_ID);
    let again = start(&path).expect("Hooklab's own database reopens");
    again.store().close().await;
    open_for_reading(&path).expect("and reads");

    // A database from before the mark (schema and events table, no application_id) is adopted.
    Connection::open(&path)
        .unwrap()
        .execute_batch("PRAGMA application_id = 0")
        .unwrap();
    let legacy = start(&path).expect("an unmarked Hooklab database opens");
    legacy.store().close().await;
    let id: i32 = pragma(&path, "application_id");
    assert_eq!(id, APPLICATION_ID, "marked on open");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_older_4_kb_database_keeps_its_pages_and_its_users() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("hooklab.db");
    let engine = start(&path).expect("a new database");
    let created = fixture("user.created", None, now_ms());
    let user = user_of(&created);
    let receipt = engine
        .ingest(capture_of(&signed(created.body)))
        .await
        .unwrap();
    assert_eq!(receipt.status, 200);
    engine.close().await;
    assert_eq!(pragma::<i64>(&path, "page_size"), 2048, "new databases");

    // As a database created before 2 KB pages: rewritten with 4 KB ones.
    Connection::open(&path)
        .unwrap()
        .execute_batch(
            "PRAGMA journal_mode = DELETE; PRAGMA page_size = 4096; VACUUM; PRAGMA journal_mode = WAL;",
        )
        .unwrap();
    assert_eq!(pragma::<i64>(&path, "page_size"), 4096);

    let again = start(&path).expect("a 4 KB database opens");
    let updated = fixture("user.updated", Some(&user), now_ms() + 1_000);
    let receipt = again
        .ingest(capture_of(&signed(updated.body)))
        .await
        .unwrap();
    assert_eq!(receipt.status, 200);
    let stored = again.store().user(user.clone()).await.unwrap();
    again.close().await;
    assert!(stored.is_some(), "the user synced before is still there");
    assert_eq!(
        pragma::<i64>(&path, "page_size"),
        4096,
        "kept, not rewritten"
    );
}
