//! The change feed a viewer follows: new events, a redelivery bumping a stored event, user
//! rows, and rows written by another writer on the same database file.

#![allow(clippy::expect_used, clippy::unwrap_used)] // a failed expectation is a failed test

mod common;

use common::{Harness, SECRET, fixture, now_ms, redelivery, secret, signed, user_of, within};
use hooklab_core::feed::ChangeFeed;
use hooklab_core::store::ChangeBatch;
use hooklab_core::{Engine, EngineConfig};

async fn next(feed: &mut ChangeFeed) -> ChangeBatch {
    within("a change batch", feed.next())
        .await
        .expect("the feed reads")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_redelivery_reaches_a_viewer_as_a_change_of_the_stored_event() {
    let h = Harness::start().await;
    let mut feed = ChangeFeed::new(&h.engine, 0);
    let created = fixture("user.created", None, now_ms());
    let user = user_of(&created);
    let delivery = signed(created.body);
    let first = h.deliver(&delivery).await;
    assert_eq!(first.status, 200);

    let batch = next(&mut feed).await;
    let event = batch
        .events
        .iter()
        .find(|e| e.id == first.id())
        .expect("the new event");
    assert_eq!(event.delivery_count, 1);
    assert!(batch.users.iter().any(|u| u.id == user), "the new user row");
    let seen = feed.cursor();

    let again = h.deliver(&redelivery(&delivery, SECRET)).await;
    assert_eq!(again.status, 200);
    assert_eq!(
        again.id(),
        first.id(),
        "a redelivery answers with the stored event"
    );
    let batch = next(&mut feed).await;
    assert!(batch.upto > seen);
    let bumped = batch
        .events
        .iter()
        .find(|e| e.id == first.id())
        .expect("the bumped event");
    assert_eq!(
        bumped.delivery_count, 2,
        "the viewer sees the bump, not a stale row"
    );
    assert!(batch.users.is_empty(), "a duplicate changes no user");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rows_written_by_another_writer_on_the_same_database_appear() {
    let h = Harness::start().await;
    let latest = h.engine.store().latest_change().await.unwrap();
    let mut feed = ChangeFeed::new(&h.engine, latest);
    // A second engine on the same file, as `hooklab replay` or a second `hooklab serve` is:
    // its own connections and its own bus, so only the database tells the first one.
    let mut config = EngineConfig::new(h.db_path());
    config.secrets = vec![secret(SECRET)];
    let other = Engine::start(config).unwrap();
    let created = fixture("user.created", None, now_ms());
    let user = user_of(&created);
    let delivery = signed(created.body);
    let capture = common::capture_of(&delivery);
    let receipt = other.ingest(capture).await.unwrap();
    assert_eq!(receipt.status, 200);

    let batch = next(&mut feed).await;
    assert!(batch.events.iter().any(|e| e.id == receipt.event.id));
    assert!(batch.users.iter().any(|u| u.id == user));
    other.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_long_backlog_is_read_in_pages_without_losing_a_change() {
    let h = Harness::start().await;
    for _ in 0..3 {
        h.deliver(&signed(fixture("user.created", None, now_ms()).body))
            .await;
    }
    let batch = h.engine.store().changes_since(0, 2).await.unwrap();
    assert!(!batch.reset, "nothing was pruned yet");
    assert!(batch.more, "a small limit leaves more to read");
    let rest = h
        .engine
        .store()
        .changes_since(batch.upto, 5000)
        .await
        .unwrap();
    assert!(!rest.more);
    assert!(rest.upto > batch.upto);
    let mut ids: Vec<i64> = batch
        .events
        .iter()
        .chain(&rest.events)
        .map(|e| e.id)
        .collect();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), 3, "every event once across the pages");
}
