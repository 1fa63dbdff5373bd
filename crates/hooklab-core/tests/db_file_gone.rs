//! A database file deleted while Hooklab serves: nothing more is acknowledged (503 and a loud
//! alarm instead of 200s into the orphaned file), and the next start refuses the WAL left
//! behind instead of creating an empty database next to it.

#![allow(clippy::expect_used, clippy::unwrap_used)]

mod common;

use common::{Harness, SECRET, fixture, now_ms, secret, signed, within};
use hooklab_core::bus::BusEvent;
use hooklab_core::{Engine, EngineConfig};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deleting_the_database_stops_acknowledgements_and_the_restart_refuses_the_wal() {
    let h = Harness::start().await;
    let first = h
        .deliver(&signed(fixture("user.created", None, now_ms()).body))
        .await;
    assert_eq!(first.status, 200, "{}", first.body);
    let mut bus = h.engine.subscribe();

    std::fs::remove_file(h.db_path()).unwrap();
    let after = h
        .deliver(&signed(fixture("user.created", None, now_ms()).body))
        .await;
    assert_eq!(
        after.status, 503,
        "acknowledged into a deleted file: {}",
        after.body
    );
    let alarm = within("the file-gone alarm", async {
        loop {
            if let Ok(BusEvent::Alarm(alarm)) = bus.recv().await
                && alarm.code == "db_file_gone"
            {
                break alarm;
            }
        }
    })
    .await;
    assert!(
        alarm.message.contains("deleted or replaced"),
        "{}",
        alarm.message
    );
    let again = h
        .deliver(&signed(fixture("user.created", None, now_ms()).body))
        .await;
    assert_eq!(again.status, 503, "still refused: {}", again.body);

    let mut config = EngineConfig::new(h.db_path());
    config.secrets = vec![secret(SECRET)];
    let err = Engine::start(config).expect_err("started an empty database next to the WAL");
    assert_eq!(err.code(), "db_file_missing", "{err}");
    assert!(!h.db_path().exists());
}
